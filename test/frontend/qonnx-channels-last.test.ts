/**
 * QONNX channels-last models (test/fixtures/qonnx, made by scripts/make_qonnx_fixtures.py):
 * a depthwise-separable CNN, a branched CNN (Add and Concat of conv branches) and a tiny U-Net
 * (MaxPool encoder, Resize + Concat-skip decoder) whose spatial ops are in the
 * `qonnx.custom_op.channels_last` domain with QONNX Quant on weights (per tensor and per channel,
 * power-of-two scales) and activations. onnxruntime cannot run those domains, so the float oracle
 * is onnxruntime on the script's standard-ONNX twin of each model (Transpose → standard op →
 * Transpose, Quant spelled as Div/Round/Clip/Mul). Also: the channels-last ops import without IR
 * Transposes, the fixed-point simulator agrees with float, and per-op converter cases (1-D conv,
 * grouped conv, pads, channels-last Resize scales in either order) against the same oracle.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/frontend/onnx/model.js';
import { defaultConfig } from '../../src/ir/precision-config.js';
import { canonicalize, prepareFixed } from '../../src/passes/pipeline.js';
import { simulate } from '../../src/sim/compare.js';
import { runFloat } from '../../src/sim/float/executor.js';
import { NnInputError } from '../../src/util/tensor.js';
import { buildModel, type NodeSpec } from '../helpers/onnx-builder.js';
import { randn } from '../helpers/ort.js';

const DIR = join(__dirname, '../fixtures/qonnx');
export const QONNX_FIXTURES = ['sepconv_cl', 'branched_cl', 'unet_cl', 'bnn_cl'] as const;
const report: string[] = [];

/**
 * Inputs in [-3, 3) on the input Quant's grid (8 bits, scale 2^-5), as data already quantized for
 * the model: the fixed-point input type holds them exactly, so the simulation's differences come
 * from the layers (a binarized network flips signs on any input rounding).
 */
function inputsFor(shape: number[], seed: number): Float32Array {
  return randn(shape.reduce((a, b) => a * b, 1), seed).map((v) => Math.round(Math.max(-3, Math.min(2.96, v)) * 32) / 32);
}

afterAll(() => console.log(`qonnx channels-last fixtures (float: max |nn2hls − ORT| / max |ORT|):\n${report.join('\n')}`));

describe('QONNX channels-last fixtures: float equals onnxruntime on the standard twin', () => {
  for (const name of QONNX_FIXTURES) {
    it(name, async () => {
      const g = importOnnx(readFileSync(join(DIR, `${name}.onnx`)), `${name}.onnx`);
      const io = g.inputs[0]!;
      const N = 4;
      const shape = [N, ...g.values.get(io.value)!.shape];
      const x = inputsFor(shape, 7);
      const ours = runFloat(g, [{ shape, data: x }])[0]!;
      const session = await ort.InferenceSession.create(readFileSync(join(DIR, `${name}_standard.onnx`)));
      let maxRef = 0;
      let maxErr = 0;
      for (let i = 0; i < N; i++) {
        const per = x.length / N;
        const one = new ort.Tensor('float32', x.slice(i * per, (i + 1) * per), [1, ...shape.slice(1)]);
        const r = (await session.run({ [io.modelName]: one }))[g.outputs[0]!.modelName]!;
        const rd = r.data as Float32Array;
        expect([N, ...r.dims.slice(1).map(Number)]).toEqual([...ours.shape]);
        for (let k = 0; k < rd.length; k++) {
          maxRef = Math.max(maxRef, Math.abs(rd[k]!));
          maxErr = Math.max(maxErr, Math.abs(rd[k]! - ours.data[i * rd.length + k]!));
        }
      }
      report.push(`  ${name.padEnd(12)} ${(maxErr / maxRef).toExponential(2)} (max |ORT| ${maxRef.toFixed(3)})`);
      expect(maxRef).toBeGreaterThan(0.1);
      expect(maxErr).toBeLessThanOrEqual(1e-4 * maxRef);
    });
  }
});

describe('QONNX channels-last fixtures: import and fixed point', () => {
  it('chains of channels-last ops need no IR Transpose (only an NCHW input and the Flatten back to NCHW do)', () => {
    const count = (name: string) => importOnnx(readFileSync(join(DIR, `${name}.onnx`)), name).nodes.filter((n) => n.op === 'Transpose').length;
    // sepconv: NCHW input → NHWC, and NHWC → NCHW before Flatten; branched: the Flatten one; U-Net: none.
    expect(QONNX_FIXTURES.map(count)).toEqual([2, 1, 0, 1]);
  });

  for (const name of QONNX_FIXTURES) {
    it(`${name}: the default-precision simulation follows float`, () => {
      const g = importOnnx(readFileSync(join(DIR, `${name}.onnx`)), `${name}.onnx`);
      const shape = [32, ...g.values.get(g.inputs[0]!.value)!.shape];
      const r = simulate(canonicalize(g), prepareFixed(g, defaultConfig()).graph, [{ shape, data: inputsFor(shape, 11) }]).report;
      const range = Math.max(...Array.from(runFloat(g, [{ shape, data: inputsFor(shape, 11) }])[0]!.data, Math.abs));
      report.push(`  ${name.padEnd(12)} simulate: agreement ${(100 * r.agreement).toFixed(1)} %, max |fixed − float| ${r.max_abs_error.toExponential(2)} (output range ${range.toFixed(3)})`);
      expect(r.agreement).toBeGreaterThanOrEqual(0.9);
      // bnn_cl: every ±1 activation exact (bipolar-threshold), only the Gemm's 16-bit bias rounds.
      expect(r.max_abs_error).toBeLessThan((name === 'bnn_cl' ? 0.001 : 0.05) * range);
    });
  }
});

// ---- per-op cases against onnxruntime on the standard twin ----------------------------------

const CL = 'qonnx.custom_op.channels_last';

/** Channels-last ranks' transposes: [N, S..., C] ↔ [N, C, S...]. */
const toCF = (R: number) => [0, R - 1, ...Array.from({ length: R - 2 }, (_, i) => i + 1)];
const toCL = (R: number) => [0, ...Array.from({ length: R - 2 }, (_, i) => i + 2), 1];

/** The QONNX definition as standard ONNX: data inputs to channels-first, the op, the output back. */
function twinNodes(n: NodeSpec, R: number, params: Record<string, string> = {}): NodeSpec[] {
  const out: NodeSpec[] = [];
  const ins = n.inputs.map((name, i) => {
    const data = i === 0 || (n.op === 'Conv' && i === 1) || n.op === 'Concat';
    if (params[name]) return params[name]!;
    if (!data || !name) return name;
    out.push({ op: 'Transpose', inputs: [name], outputs: [`${name}_cf`], attrs: { perm: toCF(R) } });
    return `${name}_cf`;
  });
  out.push({ op: n.op, inputs: ins, outputs: [`${n.outputs[0]}_cf`], attrs: n.attrs ?? {} });
  out.push({ op: 'Transpose', inputs: [`${n.outputs[0]}_cf`], outputs: n.outputs, attrs: { perm: toCL(R) } });
  return out;
}

interface OpCase {
  name: string;
  node: NodeSpec;
  inputs: [string, number[]][];
  out: number[];
  inits?: [string, number[], number[]][];
  /** Initializers the twin reads instead (e.g. channels-first scales). */
  twinInits?: [string, number[], number[]][];
}

const seq = (n: number, f = 0.37) => Array.from({ length: n }, (_, i) => Math.sin(i * f + 0.1));

const OP_CASES: OpCase[] = [
  {
    name: 'Conv 1-D, pads [1,2], stride 2, bias',
    node: { op: 'Conv', domain: CL, inputs: ['x', 'w', 'b'], outputs: ['y'], attrs: { kernel_shape: [3], strides: [2], dilations: [1], pads: [1, 2], group: 1 } },
    inputs: [['x', [1, 10, 3]]],
    out: [1, 6, 4],
    inits: [['w', [4, 3, 3], seq(36)], ['b', [4], [0.1, -0.2, 0.3, 0]]],
  },
  {
    name: 'Conv 2-D, group 2, dilations 2, asymmetric pads, strides [1,2]',
    node: { op: 'Conv', domain: CL, inputs: ['x', 'w'], outputs: ['y'], attrs: { kernel_shape: [3, 3], strides: [1, 2], dilations: [2, 2], pads: [0, 1, 2, 1], group: 2 } },
    inputs: [['x', [1, 9, 8, 4]]],
    out: [1, 7, 3, 6],
    inits: [['w', [6, 3, 3, 2], seq(108, 0.21)]],
  },
  {
    name: 'MaxPool 3x3 stride 2 pads 1',
    node: { op: 'MaxPool', domain: CL, inputs: ['x'], outputs: ['y'], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] } },
    inputs: [['x', [1, 7, 7, 3]]],
    out: [1, 4, 4, 3],
  },
  {
    name: 'AveragePool count_include_pad',
    node: { op: 'AveragePool', domain: CL, inputs: ['x'], outputs: ['y'], attrs: { kernel_shape: [2, 2], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 1 } },
    inputs: [['x', [1, 6, 6, 2]]],
    out: [1, 4, 4, 2],
  },
  {
    name: 'BatchNormalization',
    node: { op: 'BatchNormalization', domain: CL, inputs: ['x', 'g', 'bb', 'm', 'v'], outputs: ['y'], attrs: { epsilon: { float: 1e-3 } } },
    inputs: [['x', [1, 5, 5, 3]]],
    out: [1, 5, 5, 3],
    inits: [['g', [3], [0.5, 1, 2]], ['bb', [3], [0, 0.1, -0.1]], ['m', [3], [0.2, 0, -0.3]], ['v', [3], [1, 0.5, 2]]],
  },
  {
    name: 'Concat axis 1 (channels) of two channels-last tensors',
    node: { op: 'Concat', domain: CL, inputs: ['x', 'x2'], outputs: ['y'], attrs: { axis: 1 } },
    inputs: [['x', [1, 4, 5, 2]], ['x2', [1, 4, 5, 3]]],
    out: [1, 4, 5, 5],
  },
  {
    name: 'Concat axis 2 (H in channels-first numbering)',
    node: { op: 'Concat', domain: CL, inputs: ['x', 'x2'], outputs: ['y'], attrs: { axis: 2 } },
    inputs: [['x', [1, 4, 5, 2]], ['x2', [1, 3, 5, 2]]],
    out: [1, 7, 5, 2],
  },
  {
    name: 'Resize nearest, scales in channels-first order',
    node: { op: 'Resize', domain: CL, inputs: ['x', '', 'sc'], outputs: ['y'], attrs: { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' } },
    inputs: [['x', [1, 3, 4, 2]]],
    out: [1, 6, 12, 2],
    inits: [['sc', [4], [1, 1, 2, 3]]],
  },
  {
    name: 'Resize nearest, scales rewritten to channels-last order',
    node: { op: 'Resize', domain: CL, inputs: ['x', '', 'sc'], outputs: ['y'], attrs: { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' } },
    inputs: [['x', [1, 3, 4, 2]]],
    out: [1, 6, 12, 2],
    inits: [['sc', [4], [1, 2, 3, 1]]],
    twinInits: [['sc_cf', [4], [1, 1, 2, 3]]],
  },
  {
    name: 'Resize linear, sizes in channels-first order',
    node: { op: 'Resize', domain: CL, inputs: ['x', '', '', 'sz'], outputs: ['y'], attrs: { mode: 'linear' } },
    inputs: [['x', [1, 3, 4, 2]]],
    out: [1, 5, 7, 2],
    intInits: [['sz', [4], [1, 2, 5, 7]]],
  } as OpCase & { intInits: [string, number[], number[]][] },
];

describe('channels-last ops equal onnxruntime on their QONNX definition', () => {
  for (const k of OP_CASES) {
    it(k.name, async () => {
      const intInits = (k as { intInits?: [string, number[], number[]][] }).intInits;
      const R = k.out.length;
      const cl = buildModel({ inputs: k.inputs, outputs: [['y', k.out]], nodes: [k.node], inits: k.inits, intInits, extraOpsets: [{ domain: CL, version: 1 }] });
      const params = Object.fromEntries((k.twinInits ?? []).map(([n]) => [n.replace(/_cf$/, ''), n]));
      const twin = buildModel({
        inputs: k.inputs,
        outputs: [['y', k.out]],
        nodes: twinNodes(k.node, R, params),
        inits: [...(k.inits ?? []), ...(k.twinInits ?? [])],
        intInits,
      });
      const g = importOnnx(cl, `${k.name}.onnx`);
      expect(g.nodes.filter((n) => n.op === 'Transpose')).toEqual([]);
      const feeds: Record<string, ort.Tensor> = {};
      const ins = k.inputs.map(([name, shape], i) => {
        const data = randn(shape.reduce((a, b) => a * b, 1), 40 + i);
        feeds[name] = new ort.Tensor('float32', data, shape);
        return { shape, data };
      });
      const ref = (await (await ort.InferenceSession.create(twin)).run(feeds))['y']!;
      const ours = runFloat(g, ins)[0]!;
      expect([...ours.shape]).toEqual(k.out);
      expect(ref.dims.map(Number)).toEqual(k.out);
      const rd = ref.data as Float32Array;
      const maxRef = Math.max(...Array.from(rd, Math.abs));
      for (let i = 0; i < rd.length; i++) expect(Math.abs(ours.data[i]! - rd[i]!)).toBeLessThanOrEqual(1e-5 * maxRef);
    });
  }

  it('refuses a channels-last op the domain does not define, naming node and domain', () => {
    const m = buildModel({ inputs: [['x', [1, 4, 4, 2]]], outputs: [['y', [1, 4, 4, 2]]], nodes: [{ op: 'LRN', name: 'lrn', domain: CL, inputs: ['x'], outputs: ['y'], attrs: { size: 3 } }] });
    expect(() => importOnnx(m, 'lrn.onnx')).toThrow(NnInputError);
    expect(() => importOnnx(m, 'lrn.onnx')).toThrow(/LRN \(domain qonnx\.custom_op\.channels_last\)/);
  });

  it('refuses a rank-2 input to a channels-last Conv', () => {
    const m = buildModel({
      inputs: [['x', [1, 4]]],
      outputs: [['y', [1, 4]]],
      nodes: [{ op: 'MaxPool', name: 'mp', domain: CL, inputs: ['x'], outputs: ['y'], attrs: { kernel_shape: [1], strides: [1], pads: [0, 0] } }],
    });
    expect(() => importOnnx(m, 'mp.onnx')).toThrow(/node 'mp' \(MaxPool\): expected a channels-last input \[N, spatial\.\.\., C\], got rank 2/);
  });
});
