/**
 * The PyTorch attention fixtures of test/fixtures/attention (scripts/make_torch_attention_fixtures.py:
 * a self-attention classifier, nn.MultiheadAttention, one nn.TransformerEncoderLayer block, all
 * exported with a dynamic batch dim) end to end, in batches: each imports with batch N (the
 * MultiheadAttention layouts that merge the batch with the heads, [T, N·heads, d] and [T·N, E],
 * are kept per sample), the float executor equals onnxruntime-node on all 360 held-out digits at
 * once (≤ 1e-4 relative), the simulator at the default ap_fixed<16,6> stays within 1 point of
 * float top-1 and post-training auto 8-bit (calibrated on a batch of 64 training digits) within
 * 2, and each compiles with no flags in both io modes with a C simulation bit-exact with the
 * simulator on a batch of 16 (needs AP_TYPES_INCLUDE; skipped, saying why, without it).
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
import { defaultConfig, type PrecisionConfig } from '../../src/ir/precision-config.js';
import { autoPrecision } from '../../src/passes/auto-precision.js';
import { prepareFixed } from '../../src/passes/pipeline.js';
import { FixedProgram, fxToFloat } from '../../src/sim/fixed/executor.js';
import { runFloat } from '../../src/sim/float/executor.js';
import { readNpyFile } from '../../src/util/npy.js';
import { toFloat32 } from '../../src/util/tensor.js';

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

/** Float and fixed-point outputs of the whole held-out batch, sample-major. */
function runAll(g: Graph, name: string, fixed?: PrecisionConfig): { float: Float32Array; fx?: Float64Array; classes: number } {
  const x = inputs(name);
  const t = { shape: x.shape, data: x.data };
  const float = runFloat(g, [t])[0]!.data;
  const prog = fixed ? new FixedProgram(prepareFixed(g, fixed).graph) : undefined;
  return { float: Float32Array.from(float), ...(prog ? { fx: Float64Array.from(fxToFloat(prog.run([t])[0]!)) } : {}), classes: float.length / x.n };
}

/** `--precision auto --bits 8` calibrated on the batch of 64 training samples in NAME_calib.npy. */
function auto8(g: Graph, name: string, bits = 8): PrecisionConfig {
  const t = readNpyFile(join(DIR, `${name}_calib.npy`));
  return autoPrecision(g, [{ shape: [...t.shape], data: toFloat32(t) }], { bits, run: runFloat });
}

function accuracy(out: ArrayLike<number>, classes: number): number {
  let ok = 0;
  labels.forEach((l, i) => {
    if (argmax(out, i * classes, classes) === l) ok++;
  });
  return (100 * ok) / labels.length;
}

describe('attention fixtures: batch dim and float equal to onnxruntime', () => {
  for (const [model, inp] of ATTENTION_FIXTURES) {
    it(`${model}: imports with batch N; every logit of the 360 digits, run as one batch, within 1e-4 relative (absolute below 1)`, async () => {
      const file = join(DIR, `${model}.onnx`);
      const g = loadOnnxFile(file);
      expect(g.batched).toBe(true);
      expect(g.inputs[0]!.modelShape[0]).toBeNull();
      const x = inputs(inp);
      const ours = runAll(g, inp).float;
      expect(ours.length).toBe(x.n * 10);
      const session = await ort.InferenceSession.create(readFileSync(file));
      const r = await session.run({ input: new ort.Tensor('float32', x.data, x.shape) });
      const theirs = r['output']!.data as Float32Array;
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
        // The testbench runs the first 16 held-out digits as one batch.
        const x = inputs(inp);
        const runs = [[{ shape: [16, ...x.shape.slice(1)], data: x.data.slice(0, 16 * x.per) }]];
        // `default`: what `nn2hls compile` does with no flags, folding the design to the default
        // part (xczu7ev at 5 ns) when it is over; auto8 keeps the unfolded design (reuse 1).
        const res = compileProject({ model: file, out: dir, precision, runs, options: { ...DEFAULTS, io, layers: {} }, fitToPart: kind === 'default' });
        if (kind === 'default') {
          // Every attention model is over the part unfolded; the folded design fits it.
          expect(res.fit?.outcome, res.fit?.message).toBe('folded');
          expect(res.fit!.after.total.fits).toBe(true);
        }
        if (kind === 'default' && io === 'parallel' && model.startsWith('transformer')) {
          // The fold reaches MatMul, LayerNorm or Gelu (their reuse splits a step: nn_attention.h, unary_shared).
          expect(res.plan.plans.filter((l) => ['MatMul', 'LayerNorm', 'Gelu'].includes(l.op) && l.reuse > 1).length).toBeGreaterThan(0);
        }
        // io stream computes MatMul, LayerNorm and Gelu natively: none buffers a whole tensor.
        const attn = res.plan.plans.filter((l) => l.op === 'MatMul' || l.op === 'LayerNorm' || l.op === 'Gelu');
        expect(attn.length).toBeGreaterThan(0);
        for (const l of attn) expect(l.stream, l.name).toBe(io === 'stream' ? 'native' : null);
        const r = await runCsim(dir, { hlsInclude: INC! });
        console.log(`${model} io ${io} ${kind}: csim bit-exact ${r.exact}/${r.samples}; estimate: ${res.estimate}`);
        expect(r.mismatches).toEqual([]);
        expect(r.exact).toBe(16);
      });
    }
  }
});
