/**
 * The PyTorch attention fixtures of test/fixtures/attention (scripts/make_torch_attention_fixtures.py:
 * a self-attention classifier, nn.MultiheadAttention, one nn.TransformerEncoderLayer block) end
 * to end: the float executor equals onnxruntime-node (≤ 1e-4 relative), the simulator at the
 * default ap_fixed<16,6> stays within 1 point of float top-1 on the 360 held-out digits, and each
 * compiles with no flags in both io modes with a C simulation bit-exact with the simulator
 * (needs AP_TYPES_INCLUDE; skipped, saying why, without it). Models exported with a fixed batch
 * of 1 whose exporter moves the batch dim (MultiheadAttention's [T, B, E]) import without a
 * batch dim, so they run one sample at a time.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/backend-hls/index.js';
import { compileProject } from '../../src/cli/compile.js';
import { runCsim } from '../../src/cli/csim.js';
import { loadOnnxFile } from '../../src/frontend/onnx/model.js';
import type { Graph } from '../../src/ir/graph.js';
import type { FixedType } from '../../src/ir/fixed.js';
import { defaultConfig, type LevelSpec, type PrecisionConfig } from '../../src/ir/precision-config.js';
import { autoPrecision } from '../../src/passes/auto-precision.js';
import { prepareFixed } from '../../src/passes/pipeline.js';
import { FixedProgram, fxToFloat } from '../../src/sim/fixed/executor.js';
import { runFloat } from '../../src/sim/float/executor.js';
import { readNpyFile } from '../../src/util/npy.js';
import { toFloat32 } from '../../src/util/tensor.js';
import { freeBatch } from '../helpers/ort.js';

const DIR = join(__dirname, '../fixtures/attention');
const INC = process.env['AP_TYPES_INCLUDE'];
const HAVE = !!INC && existsSync(join(INC, 'ap_fixed.h'));
if (!HAVE) console.log(`test/onnx/attention-fixtures csim: skipped — set AP_TYPES_INCLUDE to a directory holding ap_fixed.h (got ${INC ?? 'nothing'})`);

/** Fixture model -> its input file (the same digits for the opset variants). */
export const ATTENTION_FIXTURES: readonly [model: string, input: string][] = [
  ['attn_digits', 'attn_digits'],
  ['mha_digits', 'mha_digits'],
  ['transformer_digits', 'transformer_digits'],
  ['transformer_digits_opset13', 'transformer_digits'],
];

const labels = Array.from(toFloat32(readNpyFile(join(DIR, 'digits_attention_labels.npy'))));

function inputs(name: string): { shape: number[]; data: Float32Array; n: number; per: number } {
  const t = readNpyFile(join(DIR, `${name}_input.npy`));
  const data = toFloat32(t);
  return { shape: [...t.shape], data, n: t.shape[0]!, per: data.length / t.shape[0]! };
}

const argmax = (v: ArrayLike<number>, o: number, n: number) => {
  let b = 0;
  for (let i = 1; i < n; i++) if (v[o + i]! > v[o + b]!) b = i;
  return b;
};

/** Sample-major outputs of the float and fixed-point runs (one sample at a time without a batch dim). */
function runAll(g: Graph, name: string, fixed?: PrecisionConfig): { float: Float32Array; fx?: Float64Array; classes: number } {
  const x = inputs(name);
  const shape1 = g.batched ? x.shape : g.inputs[0]!.modelShape.map((d) => d ?? 1);
  const chunks = g.batched ? [x.data] : Array.from({ length: x.n }, (_, i) => x.data.subarray(i * x.per, (i + 1) * x.per));
  const prog = fixed ? new FixedProgram(prepareFixed(g, fixed).graph) : undefined;
  const fl: number[] = [];
  const fx: number[] = [];
  for (const c of chunks) {
    const t = { shape: g.batched ? shape1 : shape1, data: c };
    fl.push(...runFloat(g, [t])[0]!.data);
    if (prog) fx.push(...fxToFloat(prog.run([t])[0]!));
  }
  return { float: Float32Array.from(fl), ...(prog ? { fx: Float64Array.from(fx) } : {}), classes: fl.length / x.n };
}

/** The wider-ranged of two types of one width (larger integer part). */
function widest(a: FixedType | undefined, b: FixedType): FixedType {
  return a && a.int >= b.int ? a : b;
}

/**
 * `--precision auto --bits 8` calibrated on the 64 training samples of NAME_calib.npy. A graph
 * without a batch dim takes one sample per run, so it is calibrated one sample at a time and
 * each layer keeps the widest range any sample needed (what one batched calibration chooses).
 */
function auto8(g: Graph, name: string, bits = 8): PrecisionConfig {
  const t = readNpyFile(join(DIR, `${name}_calib.npy`));
  const data = toFloat32(t);
  if (g.batched) return autoPrecision(g, [{ shape: [...t.shape], data }], { bits, run: runFloat });
  const per = data.length / t.shape[0]!;
  const shape = g.inputs[0]!.modelShape.map((d) => d ?? 1);
  let cfg: PrecisionConfig | undefined;
  for (let i = 0; i < t.shape[0]!; i++) {
    const c = autoPrecision(g, [{ shape, data: data.subarray(i * per, (i + 1) * per) }], { bits, run: runFloat });
    if (!cfg) {
      cfg = c;
      continue;
    }
    const layers: Record<string, LevelSpec> = { ...cfg.layers };
    for (const [k, spec] of Object.entries(c.layers)) {
      const types: Record<string, FixedType> = { ...(layers[k]?.types ?? {}) };
      for (const [role, ty] of Object.entries(spec.types)) types[role] = widest(types[role], ty);
      layers[k] = { ...spec, types };
    }
    const ins: Record<string, FixedType> = { ...cfg.inputs };
    for (const [k, ty] of Object.entries(c.inputs)) ins[k] = widest(ins[k], ty);
    cfg = { ...cfg, layers, inputs: ins };
  }
  return cfg!;
}

function accuracy(out: ArrayLike<number>, classes: number): number {
  let ok = 0;
  labels.forEach((l, i) => {
    if (argmax(out, i * classes, classes) === l) ok++;
  });
  return (100 * ok) / labels.length;
}

describe('attention fixtures: float equals onnxruntime', () => {
  for (const [model, inp] of ATTENTION_FIXTURES) {
    it(`${model}: every logit of the 360 digits within 1e-4 relative (absolute below 1)`, async () => {
      const file = join(DIR, `${model}.onnx`);
      const g = loadOnnxFile(file);
      const x = inputs(inp);
      const ours = runAll(g, inp).float;
      const bytes = new Uint8Array(readFileSync(file));
      const session = await ort.InferenceSession.create(g.batched ? freeBatch(bytes) : bytes);
      const theirs: number[] = [];
      const per = g.batched ? [x.data] : Array.from({ length: x.n }, (_, i) => x.data.subarray(i * x.per, (i + 1) * x.per));
      for (const c of per) {
        const shape = g.batched ? x.shape : [1, ...x.shape.slice(1)];
        const r = await session.run({ input: new ort.Tensor('float32', Float32Array.from(c), shape) });
        theirs.push(...(r['output']!.data as Float32Array));
      }
      expect(theirs.length).toBe(ours.length);
      let worst = 0;
      for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i]! - theirs[i]!) / Math.max(1, Math.abs(theirs[i]!)));
      console.log(`${model}: max relative error vs onnxruntime ${worst.toExponential(2)}`);
      expect(worst).toBeLessThanOrEqual(1e-4);
    });
  }
});

describe('attention fixtures: fixed point holds top-1', () => {
  for (const [model, inp] of ATTENTION_FIXTURES) {
    it(`${model}: ap_fixed<16,6> within 1 point of float top-1, auto 8-bit within 2 (6-bit measured)`, () => {
      const g = loadOnnxFile(join(DIR, `${model}.onnx`));
      const r = runAll(g, inp, defaultConfig());
      const fl = accuracy(r.float, r.classes);
      const fx = accuracy(r.fx!, r.classes);
      const a = runAll(g, inp, auto8(g, inp));
      const a8 = accuracy(a.fx!, a.classes);
      const a6 = runAll(g, inp, auto8(g, inp, 6));
      console.log(`${model}: float ${fl.toFixed(2)}%, ap_fixed<16,6> ${fx.toFixed(2)}%, auto 8-bit ${a8.toFixed(2)}%, auto 6-bit ${accuracy(a6.fx!, a6.classes).toFixed(2)}%`);
      expect(fl).toBeGreaterThan(85);
      expect(Math.abs(fl - fx)).toBeLessThanOrEqual(1);
      expect(Math.abs(fl - a8)).toBeLessThanOrEqual(2);
    });
  }
});

const root = HAVE ? mkdtempSync(join(tmpdir(), 'nn2hls-attn-csim-')) : '';
afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
}, 120_000);

describe.skipIf(!HAVE)('attention fixtures: csim bit-exact with the simulator, no flags', () => {
  const runs = ATTENTION_FIXTURES.flatMap(([model, inp]) => [
    ...(['parallel', 'stream'] as const).map((io) => [model, inp, io, 'default'] as const),
    // 8-bit post-training types too, for the two main fixtures.
    ...(model === 'attn_digits' || model === 'transformer_digits' ? (['parallel', 'stream'] as const).map((io) => [model, inp, io, 'auto8'] as const) : []),
  ]);
  for (const [model, inp, io, kind] of runs) {
    {
      it(`${model} (io ${io}, ${kind})`, { timeout: 600_000 }, async () => {
        const dir = join(root, `${model}_${io}_${kind}`);
        const file = join(DIR, `${model}.onnx`);
        const precision = kind === 'default' ? defaultConfig() : auto8(loadOnnxFile(file), inp);
        const res = compileProject({ model: file, out: dir, precision, samples: 16, options: { ...DEFAULTS, io, layers: {} } });
        const r = await runCsim(dir, { hlsInclude: INC! });
        console.log(`${model} io ${io} ${kind}: csim bit-exact ${r.exact}/${r.samples}; estimate: ${res.estimate}`);
        expect(r.mismatches).toEqual([]);
        expect(r.exact).toBe(16);
      });
    }
  }
});
