/**
 * Per-op float tests of the TensorFlow converters against @tensorflow/tfjs: each case is a
 * small frozen GraphDef written with the project's schema (GraphDefBuilder), imported by
 * nn2hls and run by the float executor, and run by tfjs as an in-memory graph-model. The
 * cases pin TF's conventions: SAME padding's odd pixel at the end, AvgPool SAME averaging only
 * real elements, depthwise channel order c·m+j, strides in data_format order, Conv1D as
 * ExpandDims + Conv2D + Squeeze, a Keras Flatten's computed shape, unfused batch-norm
 * arithmetic folded into constants, TF.js fused ops. Pass: max error ≤ 1e-4 · max |tfjs|.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/frontend/index.js';
import { type AttrSpec, GraphDefBuilder } from '../../src/frontend/tf/write.js';
import { runFloat } from '../../src/sim/float/executor.js';
import { randn } from '../helpers/ort.js';
import { graphDefAsTfjs, runTfjs } from '../helpers/tfjs.js';

const dir = mkdtempSync(join(tmpdir(), 'nn2hls-tfops-'));
let seed = 11;
const rnd = (shape: number[], scale = 1) => Array.from(randn(shape.reduce((p, d) => p * d, 1), seed++), (v) => v * scale);

interface OpCase {
  name: string;
  x: number[];
  build: (b: GraphDefBuilder, x: string) => string;
  /** IR op types the import must produce (checks the lowering, not just the numbers). */
  ops?: string[];
}

const conv = (b: GraphDefBuilder, x: string, name: string, k: number[], attrs: Record<string, AttrSpec>, op = 'Conv2D') =>
  b.node(name, op, [x, b.const(`${name}/w`, k, rnd(k, 0.5))], { T: { type: 'float32' }, ...attrs });

const CASES: OpCase[] = [
  { name: 'Conv2D SAME stride 2 (odd pixel at the end) + BiasAdd + Relu6', x: [1, 7, 8, 3], ops: ['Conv', 'Add', 'Clip'], build: (b, x) => {
    const c = conv(b, x, 'c', [3, 3, 3, 4], { strides: { ints: [1, 2, 2, 1] }, padding: { s: 'SAME' } });
    const a = b.node('bias', 'BiasAdd', [c, b.const('bias/b', [4], rnd([4]))], { T: { type: 'float32' } });
    return b.node('r6', 'Relu6', [a]);
  } },
  { name: 'Conv2D VALID dilated', x: [1, 9, 9, 2], build: (b, x) => conv(b, x, 'c', [3, 3, 2, 3], { strides: { ints: [1, 1, 1, 1] }, dilations: { ints: [1, 2, 2, 1] }, padding: { s: 'VALID' } }) },
  { name: 'Conv2D EXPLICIT padding', x: [1, 6, 6, 2], build: (b, x) => conv(b, x, 'c', [3, 3, 2, 2], { strides: { ints: [1, 1, 1, 1] }, padding: { s: 'EXPLICIT' }, explicit_paddings: { ints: [0, 0, 2, 1, 0, 1, 0, 0] } }) },
  { name: 'DepthwiseConv2dNative multiplier 2 SAME', x: [1, 6, 5, 3], ops: ['Conv'], build: (b, x) => conv(b, x, 'dw', [3, 3, 3, 2], { strides: { ints: [1, 1, 1, 1] }, padding: { s: 'SAME' } }, 'DepthwiseConv2dNative') },
  { name: 'AvgPool SAME (averages real elements only)', x: [1, 5, 7, 2], ops: ['AvgPool'], build: (b, x) => b.node('p', 'AvgPool', [x], { ksize: { ints: [1, 3, 3, 1] }, strides: { ints: [1, 2, 2, 1] }, padding: { s: 'SAME' }, T: { type: 'float32' } }) },
  { name: 'MaxPool SAME', x: [1, 5, 7, 2], build: (b, x) => b.node('p', 'MaxPool', [x], { ksize: { ints: [1, 2, 2, 1] }, strides: { ints: [1, 2, 2, 1] }, padding: { s: 'SAME' }, T: { type: 'float32' } }) },
  { name: 'Conv2DBackpropInput SAME stride 2', x: [1, 4, 3, 3], ops: ['ConvTranspose'], build: (b, x) =>
    b.node('dc', 'Conv2DBackpropInput', [b.const('dc/sizes', [4], [1, 8, 6, 2], 'int32'), b.const('dc/w', [3, 3, 2, 3], rnd([3, 3, 2, 3], 0.5)), x], { strides: { ints: [1, 2, 2, 1] }, padding: { s: 'SAME' }, T: { type: 'float32' } }) },
  { name: 'Mean over H,W (global average pool), keep_dims false', x: [1, 4, 5, 3], ops: ['GlobalAvgPool', 'Reshape'], build: (b, x) =>
    b.node('m', 'Mean', [x, b.const('m/axes', [2], [1, 2], 'int32')], { keep_dims: { b: false }, T: { type: 'float32' } }) },
  { name: 'FusedBatchNormV3 (inference) + Elu', x: [1, 3, 3, 4], ops: ['BatchNorm', 'Elu'], build: (b, x) => {
    const p = (n: string, s = 1, o = 0) => b.const(`bn/${n}`, [4], rnd([4]).map((v) => Math.abs(v) * s + o));
    const y = b.node('bn', 'FusedBatchNormV3', [x, p('g', 1, 0.5), p('b'), p('m'), p('v', 1, 0.1)], { epsilon: { f: 0.001 }, is_training: { b: false }, T: { type: 'float32' } });
    return b.node('e', 'Elu', [y]);
  } },
  { name: 'unfused batch norm arithmetic folds (Rsqrt, Mul, Sub on constants)', x: [2, 6], ops: ['Mul', 'Add'], build: (b, x) => {
    const v = b.const('v', [6], rnd([6]).map((q) => Math.abs(q) + 0.1));
    const r = b.node('rs', 'Rsqrt', [b.node('ve', 'AddV2', [v, b.const('eps', [], [0.001])])]);
    const sc = b.node('sc', 'Mul', [r, b.const('g', [6], rnd([6]))]);
    const sh = b.node('sh', 'Sub', [b.const('be', [6], rnd([6])), b.node('ms', 'Mul', [b.const('mu', [6], rnd([6])), sc])]);
    return b.node('y', 'AddV2', [b.node('xs', 'Mul', [x, sc]), sh]);
  } },
  { name: 'MatMul transpose_b + Add + LeakyRelu + Softsign', x: [3, 5], ops: ['Dense', 'Add', 'LeakyRelu', 'Softsign'], build: (b, x) => {
    const m = b.node('mm', 'MatMul', [x, b.const('w', [4, 5], rnd([4, 5]))], { transpose_a: { b: false }, transpose_b: { b: true } });
    const a = b.node('a', 'Add', [m, b.const('bb', [4], rnd([4]))]);
    return b.node('s', 'Softsign', [b.node('l', 'LeakyRelu', [a], { alpha: { f: 0.1 } })]);
  } },
  { name: 'BatchMatMulV2 with a constant operand, Selu, Softplus, LogSoftmax', x: [2, 3, 4], build: (b, x) => {
    const m = b.node('bmm', 'BatchMatMulV2', [x, b.const('w', [4, 6], rnd([4, 6]))], { adj_x: { b: false }, adj_y: { b: false } });
    return b.node('ls', 'LogSoftmax', [b.node('sp', 'Softplus', [b.node('se', 'Selu', [m])])]);
  } },
  { name: 'Conv1D as ExpandDims + Conv2D + Squeeze', x: [2, 12, 3], build: (b, x) => {
    const e = b.node('e', 'ExpandDims', [x, b.const('e/axis', [], [1], 'int32')]);
    const c = conv(b, e, 'c', [1, 3, 3, 4], { strides: { ints: [1, 1, 2, 1] }, padding: { s: 'SAME' } });
    return b.node('sq', 'Squeeze', [c], { squeeze_dims: { ints: [1] } });
  } },
  { name: 'Keras Flatten (Shape, StridedSlice, Prod, Pack, Reshape) + Sigmoid', x: [2, 3, 4, 2], ops: ['Reshape', 'Sigmoid'], build: (b, x) => {
    const sh = b.node('s', 'Shape', [x], { out_type: { type: 'int32' } });
    const i32 = (n: string, v: number[]) => b.const(n, [v.length], v, 'int32');
    const n0 = b.node('n0', 'StridedSlice', [sh, i32('b0', [0]), i32('e0', [1]), i32('s0', [1])], { shrink_axis_mask: { i: 1 } });
    const rest = b.node('rest', 'StridedSlice', [sh, i32('b1', [1]), i32('e1', [0]), i32('s1', [1])], { end_mask: { i: 1 } });
    const p = b.node('prod', 'Prod', [rest, b.const('pa', [1], [0], 'int32')], { keep_dims: { b: false } });
    const tgt = b.node('pack', 'Pack', [n0, p], { axis: { i: 0 }, N: { i: 2 } });
    return b.node('sig', 'Sigmoid', [b.node('r', 'Reshape', [x, tgt])]);
  } },
  { name: 'ConcatV2 on channels, Transpose, Tanh', x: [1, 3, 4, 2], build: (b, x) => {
    const c = b.node('cc', 'ConcatV2', [x, b.node('neg', 'Mul', [x, b.const('k', [], [-0.5])]), b.const('ax', [], [-1], 'int32')], { N: { i: 2 } });
    return b.node('t', 'Tanh', [b.node('tr', 'Transpose', [c, b.const('perm', [4], [0, 3, 1, 2], 'int32')])]);
  } },
  { name: 'Pad, MirrorPad REFLECT, PadV2', x: [1, 4, 4, 2], ops: ['Pad', 'Pad', 'Pad'], build: (b, x) => {
    const pads = (n: string) => b.const(n, [4, 2], [0, 0, 1, 2, 2, 1, 0, 0], 'int32');
    const p1 = b.node('p1', 'Pad', [x, pads('pp1')]);
    const p2 = b.node('p2', 'MirrorPad', [p1, pads('pp2')], { mode: { s: 'REFLECT' } });
    return b.node('p3', 'PadV2', [p2, pads('pp3'), b.const('cv', [], [0.5])]);
  } },
  { name: 'ResizeBilinear half_pixel_centers', x: [1, 3, 4, 2], ops: ['Resize'], build: (b, x) =>
    b.node('rb', 'ResizeBilinear', [x, b.const('sz', [2], [7, 5], 'int32')], { align_corners: { b: false }, half_pixel_centers: { b: true } }) },
  { name: 'ResizeBilinear align_corners', x: [1, 3, 4, 2], build: (b, x) =>
    b.node('rb', 'ResizeBilinear', [x, b.const('sz', [2], [5, 7], 'int32')], { align_corners: { b: true }, half_pixel_centers: { b: false } }) },
  { name: 'ResizeNearestNeighbor (asymmetric) and half_pixel_centers', x: [1, 3, 4, 2], build: (b, x) => {
    const r1 = b.node('rn1', 'ResizeNearestNeighbor', [x, b.const('sz1', [2], [6, 8], 'int32')], { align_corners: { b: false }, half_pixel_centers: { b: false } });
    return b.node('rn2', 'ResizeNearestNeighbor', [r1, b.const('sz2', [2], [9, 5], 'int32')], { align_corners: { b: false }, half_pixel_centers: { b: true } });
  } },
  { name: 'TF.js-style _FusedConv2D (BiasAdd, Relu) and _FusedMatMul (BiasAdd, LeakyRelu)', x: [1, 5, 5, 2], ops: ['Conv', 'Relu', 'Reshape', 'Dense', 'LeakyRelu'], build: (b, x) => {
    const c = b.node('fc', '_FusedConv2D', [x, b.const('fc/w', [3, 3, 2, 3], rnd([3, 3, 2, 3], 0.5)), b.const('fc/b', [3], rnd([3]))], {
      T: { type: 'float32' }, strides: { ints: [1, 1, 1, 1] }, padding: { s: 'VALID' }, num_args: { i: 1 }, fused_ops: { strings: ['BiasAdd', 'Relu'] }, dilations: { ints: [1, 1, 1, 1] }, data_format: { s: 'NHWC' },
    });
    const r = b.node('r', 'Reshape', [c, b.const('r/s', [2], [-1, 27], 'int32')]);
    return b.node('fm', '_FusedMatMul', [r, b.const('fm/w', [27, 4], rnd([27, 4], 0.3)), b.const('fm/b', [4], rnd([4]))], {
      T: { type: 'float32' }, transpose_a: { b: false }, transpose_b: { b: false }, num_args: { i: 1 }, fused_ops: { strings: ['BiasAdd', 'LeakyRelu'] }, leakyrelu_alpha: { f: 0.3 },
    });
  } },
];

describe('TensorFlow ops vs tfjs', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const b = new GraphDefBuilder();
      const x = b.placeholder('x', [-1, ...c.x.slice(1)]);
      const out = c.build(b, x);
      const bytes = b.encode();
      const path = join(dir, `${c.name.replace(/[^A-Za-z0-9]+/g, '_')}.pb`);
      writeFileSync(path, bytes);
      const g = loadModel(path, { outputs: [out] });
      if (c.ops) expect(g.nodes.map((n) => n.op).filter((o) => o !== 'Transpose')).toEqual(c.ops);
      const data = Float32Array.from(rnd(c.x));
      const ours = runFloat(g, [{ shape: c.x, data }])[0]!;
      const ref = await runTfjs(await graphDefAsTfjs(bytes, { x: [-1, ...c.x.slice(1)] }, [out]), { x: { shape: c.x, data } }, out);
      expect(ours.data.length).toBe(ref.length);
      let err = 0;
      let mx = 0;
      ref.forEach((r, i) => {
        err = Math.max(err, Math.abs(ours.data[i]! - r));
        mx = Math.max(mx, Math.abs(r));
      });
      expect(mx).toBeGreaterThan(0);
      expect(err).toBeLessThanOrEqual(1e-4 * mx);
    }, 30_000);
  }
});
