/**
 * The TensorFlow op table, shared by frozen GraphDefs, SavedModels and TF.js graph-models
 * (one op vocabulary in three containers). Each converter reads TF's attributes with TF's
 * registered defaults (data_format NHWC, FusedBatchNorm epsilon 1e-4 and is_training true,
 * LeakyRelu alpha 0.2, ...), resolves SAME/VALID/EXPLICIT padding with SAME's odd pixel at the
 * end, and calls the common builders. NHWC tensors are the IR's own channels-last layout, so a
 * TF CNN imports without transposes. Shape arithmetic (Shape, StridedSlice, Pack, Prod, ...)
 * only ever folds to constants; with the batch dim kept symbolic (BATCH) a Keras Flatten's
 * computed target shape folds to [BATCH, n].
 */
import { numel } from '../../ir/graph.js';
import type { ResizeCoordMode, ResizeNearestMode } from '../../ir/ops.js';
import { DEFAULT_RECURRENT_ACTIVATIONS, parseRecurrentActivations, RECURRENT_GATES } from '../../ir/semantics/recurrent.js';
import * as B from '../common/builders.js';
import * as K from '../common/const-eval.js';
import { type Converter as CommonConverter, type Ctx as CommonCtx } from '../common/context.js';
import { BATCH, type ConstT, constOf, type Dyn, identity, isIdentity, type OVal } from '../common/importer.js';
import type { TfAttrs } from './attrs.js';
import { decodeTfTensor, elemOfTfType } from './tensor.js';

export type Ctx = CommonCtx<TfAttrs>;
export type Converter = CommonConverter<TfAttrs>;

const cnst = (t: ConstT): OVal => ({ kind: 'const', t });

/** Model layout of a TF tensor of rank R under the node's data_format. */
function layoutOf(c: Ctx, R: number): number[] {
  const df = c.a.string('data_format', 'NHWC');
  if (df.startsWith('NC')) return B.clPerm(R);
  if (df !== 'NHWC' && df !== 'NWC' && df !== 'NDHWC') return c.fail(`data_format '${df}' is not supported`);
  return identity(R);
}

/** Spatial entries of a per-dim attribute given in data_format order. */
function spatial(c: Ctx, vals: readonly number[], R: number, what: string): number[] {
  if (vals.length !== R) return c.fail(`${what} has ${vals.length} entries, expected ${R}`);
  return c.a.string('data_format', 'NHWC').startsWith('NC') ? vals.slice(2) : vals.slice(1, R - 1);
}

function windowPads(c: Ctx, R: number, inSp: number[], kernel: number[], strides: number[], dil: number[]): number[] {
  const padding = c.a.string('padding', 'VALID');
  if (padding === 'VALID') return new Array<number>(2 * inSp.length).fill(0);
  if (padding === 'SAME') return B.samePads(inSp, kernel, strides, dil, true);
  if (padding === 'EXPLICIT') {
    const ex = c.a.ints('explicit_paddings', []);
    if (ex.length !== 2 * R) return c.fail(`explicit_paddings has ${ex.length} entries, expected ${2 * R}`);
    const pairs = spatial(c, Array.from({ length: R }, (_, i) => i), R, 'explicit_paddings');
    return [...pairs.map((d) => ex[2 * d]!), ...pairs.map((d) => ex[2 * d + 1]!)];
  }
  return c.fail(`padding '${padding}' is not supported (SAME, VALID, EXPLICIT are)`);
}

function spatialInput(c: Ctx): { x: Dyn; R: number; layout: number[]; inSp: number[] } {
  const x = c.dynInput(0, 'input');
  const R = x.perm.length;
  if (R < 3) return c.fail(`expected a rank-4 (or rank-3) image tensor, got rank ${R}`);
  const layout = layoutOf(c, R);
  const shape = c.imp.modelShape(x);
  const inSp = identity(R - 2).map((i) => shape[layout.indexOf(i + 1)]!);
  return { x, R, layout, inSp };
}

/** Applies a TF.js fused_ops activation (lower-case names as the executor does). */
function fusedActivation(c: Ctx, y: OVal, act: string, alpha?: OVal): OVal {
  switch (act.toLowerCase()) {
    case 'relu':
      return B.unaryOp(c, 'Relu', {}, y);
    case 'relu6':
      return B.unaryOp(c, 'Clip', { min: 0, max: 6 }, y);
    case 'elu':
      return B.unaryOp(c, 'Elu', { alpha: 1 }, y);
    case 'leakyrelu':
      return B.unaryOp(c, 'LeakyRelu', { alpha: c.a.float('leakyrelu_alpha', 0.2) }, y);
    case 'sigmoid':
      return B.unaryOp(c, 'Sigmoid', {}, y);
    case 'tanh':
      return B.unaryOp(c, 'Tanh', {}, y);
    case 'prelu':
      if (!alpha) return c.fail('fused Prelu needs its alpha argument (num_args = 2)');
      return B.binaryOp(c, 'PRelu', y, alpha, (x, s) => (x < 0 ? s * x : x));
    default:
      return c.fail(`fused activation '${act}' is not supported (Relu, Relu6, Elu, LeakyRelu, Sigmoid, Tanh, Prelu are)`);
  }
}

/** Splits fused_ops into the bias argument (BiasAdd) and the activation to apply after. */
function fusedParts(c: Ctx): { bias?: OVal; act?: string; alpha?: OVal } {
  const ops = c.a.strings('fused_ops') ?? [];
  const args = c.node.inputs.slice(2).map((_, i) => c.input(i + 2));
  let k = 0;
  const out: { bias?: OVal; act?: string; alpha?: OVal } = {};
  for (const op of ops) {
    if (op === 'BiasAdd') out.bias = args[k++];
    else if (op === 'NoOp') continue;
    else if (op === 'FusedBatchNorm') return c.fail('fused_ops FusedBatchNorm is not supported; convert the model with batch norms folded (tensorflowjs_converter does so by default)');
    else {
      out.act = op;
      if (op.toLowerCase() === 'prelu') out.alpha = args[k++];
    }
  }
  return out;
}

function conv2d(kind: 'conv' | 'depthwise', fused: boolean): Converter {
  return (c) => {
    const { x, R, layout, inSp } = spatialInput(c);
    const w = c.constInput(1, 'filter');
    if (w.shape.length !== R) return c.fail(`filter has rank ${w.shape.length}, expected ${R}`);
    const S = R - 2;
    const kernel = w.shape.slice(0, S);
    const strides = spatial(c, c.a.ints('strides', new Array<number>(R).fill(1)), R, 'strides');
    const dilations = spatial(c, c.a.ints('dilations', new Array<number>(R).fill(1)), R, 'dilations');
    const pads = windowPads(c, R, inSp, kernel, strides, dilations);
    const cin = c.imp.modelShape(x)[layout.indexOf(R - 1)]!;
    let weight = w;
    let group = 1;
    if (kind === 'depthwise') {
      // [k..., C, m] → [k..., 1, C·m]: output channel c·m + j, as TF numbers them.
      const [C, m] = [w.shape[S]!, w.shape[S + 1]!];
      weight = { ...w, shape: [...kernel, 1, C * m] };
      group = C;
    }
    if (kind === 'conv' && cin % w.shape[S]! !== 0) return c.fail(`filter expects ${w.shape[S]} input channels but the input has ${cin}`);
    if (kind === 'conv') group = cin / w.shape[S]!;
    const parts = fused ? fusedParts(c) : {};
    const bias = parts.bias ? B.paramInput(c, parts.bias, 'bias') : undefined;
    let y: OVal = B.convLayer(c, x, layout, c.irConst(weight, 'weight'), bias, { kernel, strides, dilations, pads, group });
    if (parts.act) y = fusedActivation(c, y, parts.act, parts.alpha);
    return [y];
  };
}

const conv2dBackpropInput: Converter = (c) => {
  const sizes = Array.from(c.constInput(0, 'input_sizes').data);
  const w = c.constInput(1, 'filter');
  const x = c.dynInput(2, 'out_backprop');
  const R = x.perm.length;
  const layout = layoutOf(c, R);
  const shape = c.imp.modelShape(x);
  const inSp = identity(R - 2).map((i) => shape[layout.indexOf(i + 1)]!);
  const outSp = identity(R - 2).map((i) => sizes[layout.indexOf(i + 1)]!);
  const S = R - 2;
  const kernel = w.shape.slice(0, S);
  const strides = spatial(c, c.a.ints('strides', new Array<number>(R).fill(1)), R, 'strides');
  const dilations = spatial(c, c.a.ints('dilations', new Array<number>(R).fill(1)), R, 'dilations');
  // The forward conv maps outSp → inSp; its pads are the transposed conv's crops.
  const fwd = windowPads(c, R, outSp, kernel, strides, dilations);
  const outputPadding = outSp.map((o, i) => o - (strides[i]! * (inSp[i]! - 1) + (kernel[i]! - 1) * dilations[i]! + 1 - fwd[i]! - fwd[i + S]!));
  if (outputPadding.some((p, i) => p < 0 || p >= strides[i]!)) return c.fail(`input_sizes [${sizes}] do not fit the filter, strides and padding`);
  // TF filter [k..., Cout_of_this_op, Cin_of_this_op] → IR [k..., Cin, Cout].
  const perm = [...identity(S), S + 1, S];
  const weight = B.paramInput(c, cnst(w), 'weight', perm);
  return [B.convTransposeLayer(c, x, layout, weight, undefined, { kernel, strides, dilations, pads: fwd, group: 1, outputPadding })];
};

function pool(kind: 'MaxPool' | 'AvgPool'): Converter {
  return (c) => {
    const { x, R, layout, inSp } = spatialInput(c);
    const kernel = spatial(c, c.a.ints('ksize', []), R, 'ksize');
    const strides = spatial(c, c.a.ints('strides', []), R, 'strides');
    const dilations = kernel.map(() => 1);
    const pads = windowPads(c, R, inSp, kernel, strides, dilations);
    // TF's SAME average counts only real elements.
    return [B.poolLayer(c, kind, x, layout, { kernel, strides, dilations, pads, ceilMode: false, countIncludePad: false })];
  };
}

const mean: Converter = (c) => {
  const x = c.input(0);
  const R = B.rankOf(x);
  const axes = [...new Set(Array.from(c.constInput(1, 'reduction_indices').data, (a) => (a < 0 ? a + R : a)))].sort((p, q) => p - q);
  const keep = c.a.bool('keep_dims', false);
  const shape = B.shapeOf(c, x);
  const outShape = keep ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
  if (x.kind === 'const') return c.fail('Mean of a constant is not supported');
  if (axes.every((a) => shape[a] === 1)) return [B.reshapeTo(c, x, outShape)];
  const irAxes = axes.map((a) => x.perm[a]!).sort((p, q) => p - q);
  const spatialIr = identity(R - 2).map((i) => i + 1);
  if (R >= 3 && irAxes.length === spatialIr.length && irAxes.every((a, i) => a === spatialIr[i])) {
    const y = B.globalPoolLayer(c, 'GlobalAvgPool', x, x.perm);
    return [keep ? y : B.reshapeTo(c, y, outShape)];
  }
  return c.fail(`Mean over axes [${axes}] of [${shape.map((d) => (d === BATCH ? -1 : d))}] is not supported: the IR averages only over all spatial axes (global average pooling)`);
};

const fusedBatchNorm: Converter = (c) => {
  if (c.a.bool('is_training', true)) {
    return c.fail('is_training is true: the graph normalizes with the statistics of each batch; re-export or freeze it in inference mode (Keras: training=False / K.set_learning_phase(0); TF1: is_training=False)');
  }
  const x = c.dynInput(0, 'x');
  const R = x.perm.length;
  const layout = layoutOf(c, R);
  const params = [1, 2, 3, 4].map((i) => c.input(i));
  return [B.batchNormLayer(c, x, layout, params, c.a.float('epsilon', 1e-4))];
};

function matmulTf(c: Ctx, ta: boolean, tb: boolean, fused: boolean): OVal[] {
  let a = c.input(0);
  let b = c.input(1);
  const swap = (v: OVal): OVal => {
    const R = B.rankOf(v);
    return B.transposeOp(v, [...identity(R - 2), R - 1, R - 2]);
  };
  if (ta) a = swap(a);
  if (tb) b = swap(b);
  const parts = fused ? fusedParts(c) : {};
  let bias: ConstT | undefined;
  if (parts.bias) {
    if (parts.bias.kind !== 'const') return c.fail('a computed bias is not supported');
    bias = parts.bias.t;
  }
  let y = B.matmulOp(c, a, b, bias);
  if (parts.act) y = fusedActivation(c, y, parts.act, parts.alpha);
  return [y];
}

const biasAdd: Converter = (c) => {
  const x = c.input(0);
  let b = c.input(1);
  const R = B.rankOf(x);
  if (c.a.string('data_format', 'NHWC').startsWith('NC') && R > 2) {
    if (b.kind !== 'const') return c.fail('a computed bias is not supported with NCHW');
    b = cnst({ ...b.t, shape: [b.t.shape[0]!, ...new Array<number>(R - 2).fill(1)] });
  }
  return [B.binaryOp(c, 'Add', x, b, (p, q) => p + q)];
};

type Bin = [Parameters<typeof B.binaryOp>[1], (x: number, y: number, int: boolean) => number];
const BIN: Record<string, Bin> = {
  Add: ['Add', (x, y) => x + y],
  AddV2: ['Add', (x, y) => x + y],
  Sub: ['Sub', (x, y) => x - y],
  Mul: ['Mul', (x, y) => x * y],
  RealDiv: ['Div', (x, y) => x / y],
  Maximum: ['Max', (x, y) => Math.max(x, y)],
  Minimum: ['Min', (x, y) => Math.min(x, y)],
  Prelu: ['PRelu', (x, s) => (x < 0 ? s * x : x)],
};
const binary: Converter = (c) => {
  const [op, f] = BIN[c.op]!;
  return [B.binaryOp(c, op, c.input(0), c.input(1), f)];
};

/** Elementwise math TF graphs use on constants (unfused batch norm); computed Square is x·x. */
function constMath(f: (x: number) => number): Converter {
  return (c) => {
    const x = c.input(0);
    if (x.kind === 'const') return [cnst({ ...x.t, data: x.t.data.map(f) })];
    if (c.op === 'Square') return [B.binaryOp(c, 'Mul', x, x, (p, q) => p * q)];
    return c.fail(`${c.op} of a computed tensor is not supported (only of constants, as in an unfused batch norm)`);
  };
}

const unary =
  (op: B.UnaryKind, attrs: (c: Ctx) => object = () => ({})): Converter =>
  (c) => [B.unaryOp(c, op, attrs(c))];

const softmax = (op: 'Softmax' | 'LogSoftmax'): Converter => (c) => {
  const x = c.input(0);
  return [B.softmaxOp(c, op, x, B.rankOf(x) - 1)];
};

const passThrough: Converter = (c) => c.node.inputs.map((_, i) => c.input(i));

/** A Const holding its value in the graph (TF.js Consts take theirs from the shards, see model.ts). */
const constOp: Converter = (c) => {
  const t = c.a.tensor('value');
  if (!t) return c.fail('Const without a value');
  return [cnst(decodeTfTensor(t, c.where))];
};

const placeholder: Converter = (c) =>
  c.fail(`Placeholder '${c.node.name}' is not fed: list it with --inputs (e.g. --inputs ${c.node.name}:1,16), or cut the graph after it`);

const placeholderWithDefault: Converter = (c) => [c.input(0)];

const reshape: Converter = (c) => {
  const x = c.input(0);
  const spec = Array.from(c.constInput(1, 'shape').data);
  return [B.reshapeTo(c, x, B.resolveReshape(c, B.shapeOf(c, x), spec))];
};

const squeeze: Converter = (c) => {
  const x = c.input(0);
  const shape = B.shapeOf(c, x);
  const R = shape.length;
  const given = c.a.ints('squeeze_dims') ?? c.a.ints('axis');
  const axes = (given && given.length ? given : shape.flatMap((d, i) => (d === 1 ? [i] : []))).map((a) => (a < 0 ? a + R : a));
  if (axes.includes(0) && shape[0] === BATCH) c.imp.cross(`${c.where}: squeezes the batch dim`);
  for (const a of axes) if (shape[a] !== 1) c.fail(`cannot squeeze axis ${a} of size ${shape[a]}`);
  return [B.reshapeTo(c, x, shape.filter((_, i) => !axes.includes(i)))];
};

function expandDims(c: Ctx, x: OVal, axis0: number): OVal {
  const shape = B.shapeOf(c, x);
  const axis = axis0 < 0 ? axis0 + shape.length + 1 : axis0;
  if (axis === 0 && x.kind === 'dyn') c.imp.cross(`${c.where}: inserts a dim before the batch dim`);
  const out = [...shape];
  out.splice(axis, 0, 1);
  return B.reshapeTo(c, x, out);
}

const expandDimsOp: Converter = (c) => [expandDims(c, c.input(0), c.constInput(1, 'axis').data[0]!)];

const concatV2: Converter = (c) => {
  const n = c.node.inputs.length - 1;
  const ins = Array.from({ length: n }, (_, i) => c.input(i));
  const R = B.rankOf(ins[0]!);
  let axis = c.constInput(n, 'axis').data[0]!;
  if (axis < 0) axis += R;
  return [B.concatOp(c, ins, axis)];
};

const pack: Converter = (c) => {
  const ins = c.node.inputs.map((_, i) => c.input(i));
  const R = B.rankOf(ins[0]!) + 1;
  let axis = c.a.int('axis', 0);
  if (axis < 0) axis += R;
  return [B.concatOp(c, ins.map((v) => expandDims(c, v, axis)), axis)];
};

const unpack: Converter = (c) => {
  const x = c.constInput(0, 'value (Unpack of computed tensors is not supported)');
  const R = x.shape.length;
  let axis = c.a.int('axis', 0);
  if (axis < 0) axis += R;
  const n = x.shape[axis]!;
  return Array.from({ length: n }, (_, k) => {
    const s = K.slice(x, [k], [k + 1], [axis], [1]);
    return cnst({ ...s, shape: s.shape.filter((_, i) => i !== axis) });
  });
};

const padOp: Converter = (c) => {
  const x = c.dynInput(0, 'input');
  const p = c.constInput(1, 'paddings');
  const R = x.perm.length;
  if (p.shape.length !== 2 || p.shape[0] !== R || p.shape[1] !== 2) return c.fail(`paddings must be [${R}, 2], got [${p.shape}]`);
  const pads = [...identity(R).map((i) => p.data[2 * i]!), ...identity(R).map((i) => p.data[2 * i + 1]!)];
  let mode: 'constant' | 'reflect' = 'constant';
  let value = 0;
  if (c.op === 'PadV2') value = c.constInput(2, 'constant_values').data[0]!;
  if (c.op === 'MirrorPad') {
    const m = c.a.string('mode', 'REFLECT');
    if (m !== 'REFLECT') return c.fail(`MirrorPad mode '${m}' is not supported (REFLECT is)`);
    mode = 'reflect';
  }
  return [B.padOp(c, x, pads, mode, value)];
};

const transpose: Converter = (c) => {
  const x = c.input(0);
  const perm = Array.from(c.constInput(1, 'perm').data);
  const R = B.rankOf(x);
  if (perm.length !== R || [...perm].sort((p, q) => p - q).some((p, i) => p !== i)) return c.fail(`perm [${perm}] is not a permutation of ${R} dims`);
  return [B.transposeOp(x, perm)];
};

function resize(mode: 'nearest' | 'linear'): Converter {
  return (c) => {
    const x = c.dynInput(0, 'images');
    if (x.perm.length !== 4) return c.fail('expected NHWC images of rank 4');
    const size = Array.from(c.constInput(1, 'size').data);
    const inShape = c.imp.modelShape(x);
    const outShape = [inShape[0]!, size[0]!, size[1]!, inShape[3]!];
    const scales = outShape.map((d, i) => (i === 1 || i === 2 ? d / inShape[i]! : 1));
    const align = c.a.bool('align_corners', false);
    const half = c.a.bool('half_pixel_centers', false);
    if (align && half) return c.fail('align_corners and half_pixel_centers cannot both be true');
    let coordMode: ResizeCoordMode = 'asymmetric';
    let nearestMode: ResizeNearestMode = 'floor';
    if (align) {
      coordMode = 'align_corners';
      nearestMode = 'round_prefer_ceil';
    } else if (half) coordMode = mode === 'nearest' ? 'tf_half_pixel_for_nn' : 'half_pixel';
    return [B.resizeOp(c, x, { mode, outShape, scales, coordMode, nearestMode })];
  };
}

// ---- shape arithmetic (constants only) -----------------------------------------------------

const shapeOp: Converter = (c) => {
  const shape = B.shapeOf(c, c.input(0));
  return [cnst(constOf([shape.length], shape, c.a.type('out_type') === 9 ? 'int64' : 'int32'))];
};

/** TF StridedSlice on a constant, with begin/end/ellipsis/new_axis/shrink_axis masks. */
const stridedSlice: Converter = (c) => {
  const x = c.constInput(0, 'input (StridedSlice of computed tensors is not supported)');
  const begin = Array.from(c.constInput(1, 'begin').data);
  const end = Array.from(c.constInput(2, 'end').data);
  const strides = Array.from(c.constInput(3, 'strides').data);
  const [bm, em, elm, nm, sm] = ['begin_mask', 'end_mask', 'ellipsis_mask', 'new_axis_mask', 'shrink_axis_mask'].map((a) => c.a.int(a, 0));
  // Expand the sparse spec to one entry per input dim.
  const R = x.shape.length;
  const dense: { b: number; e: number; s: number; bm: boolean; em: boolean; shrink: boolean }[] = [];
  const newAxes: number[] = [];
  let dim = 0;
  for (let i = 0; i < begin.length; i++) {
    if (elm! & (1 << i)) {
      const rest = begin.slice(i + 1).filter((_, j) => !(nm! & (1 << (i + 1 + j)))).length;
      while (dim < R - rest) dense.push({ b: 0, e: 0, s: 1, bm: true, em: true, shrink: false }), dim++;
      continue;
    }
    if (nm! & (1 << i)) {
      newAxes.push(dense.length + newAxes.length);
      continue;
    }
    dense.push({ b: begin[i]!, e: end[i]!, s: strides[i]!, bm: !!(bm! & (1 << i)), em: !!(em! & (1 << i)), shrink: !!(sm! & (1 << i)) });
    dim++;
  }
  while (dense.length < R) dense.push({ b: 0, e: 0, s: 1, bm: true, em: true, shrink: false });
  const starts: number[] = [];
  const ends: number[] = [];
  const steps: number[] = [];
  dense.forEach((d, i) => {
    const len = x.shape[i]!;
    if (d.shrink) {
      const k = d.b < 0 ? d.b + len : d.b;
      starts.push(k);
      ends.push(k + 1);
      steps.push(1);
      return;
    }
    starts.push(d.bm ? (d.s > 0 ? 0 : len - 1) : d.b);
    ends.push(d.em ? (d.s > 0 ? len : -len - 1) : d.e);
    steps.push(d.s);
  });
  const t = K.slice(x, starts, ends, identity(R), steps);
  let shape = t.shape.filter((_, i) => !dense[i]!.shrink);
  for (const a of newAxes) shape = [...shape.slice(0, a), 1, ...shape.slice(a)];
  return [cnst({ ...t, shape })];
};

const sliceOp: Converter = (c) => {
  const x = c.constInput(0, 'input (Slice of computed tensors is not supported)');
  const begin = Array.from(c.constInput(1, 'begin').data);
  const size = Array.from(c.constInput(2, 'size').data);
  const ends = size.map((s, i) => (s === -1 ? x.shape[i]! : begin[i]! + s));
  return [cnst(K.slice(x, begin, ends, identity(begin.length), begin.map(() => 1)))];
};

const gather: Converter = (c) => {
  const data = c.constInput(0, 'params (Gather of computed tensors is not supported)');
  const idx = c.constInput(1, 'indices');
  const axis = c.op === 'GatherV2' ? c.constInput(2, 'axis').data[0]! : 0;
  if (c.a.int('batch_dims', 0) !== 0) return c.fail('batch_dims other than 0 is not supported');
  return [cnst(K.gather(data, idx, axis))];
};

const fill: Converter = (c) => {
  const dims = Array.from(c.constInput(0, 'dims').data);
  if (dims.includes(BATCH)) c.imp.cross(`${c.where}: builds a per-sample constant`);
  const v = c.constInput(1, 'value');
  return [cnst(constOf(dims, new Float64Array(numel(dims)).fill(v.data[0]!), v.elem))];
};

const rangeOp: Converter = (c) => {
  const s = c.constInput(0, 'start');
  return [cnst(K.range(s.data[0]!, c.constInput(1, 'limit').data[0]!, c.constInput(2, 'delta').data[0]!, s.elem))];
};

const cast: Converter = (c) => {
  const x = c.input(0);
  const to = elemOfTfType(c.a.type('DstT') ?? 1);
  if (x.kind === 'const') return [cnst(K.cast(x.t, to))];
  const from = c.imp.values.get(x.ir)!.elem;
  if (to === 'float32' || to === from) return [x];
  return c.fail(`casting a computed ${from} tensor to ${to} is not supported (only constant shape arithmetic may be cast to integers)`);
};

const prod: Converter = (c) => {
  const x = c.constInput(0, 'input (Prod of computed tensors is not supported)');
  const R = x.shape.length;
  const axes = Array.from(c.constInput(1, 'reduction_indices').data, (a) => (a < 0 ? a + R : a));
  const keep = c.a.bool('keep_dims', false);
  const outFull = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const out = new Float64Array(numel(outFull)).fill(1);
  const st = (s: readonly number[]) => s.map((_, i) => numel(s.slice(i + 1)));
  const si = st(x.shape);
  const so = st(outFull);
  for (let i = 0; i < x.data.length; i++) {
    let o = 0;
    for (let d = 0; d < R; d++) o += axes.includes(d) ? 0 : Math.floor(i / si[d]!) % x.shape[d]! * so[d]!;
    out[o] *= x.data[i]!;
  }
  // A product over the symbolic batch size is not a per-sample shape: import unbatched instead.
  if (out.some((v) => Math.abs(v) >= Math.abs(BATCH))) c.imp.cross(`${c.where}: multiplies the batch size into a shape`);
  return [cnst(constOf(keep ? outFull : x.shape.filter((_, i) => !axes.includes(i)), out, x.elem))];
};

/**
 * A recognised dynamic_rnn loop (see loops.ts) as the IR's recurrent op: inputs x (time-major
 * [T, N, I]), the cell's weights in TF's layout, and the trip count. TF's kernels are
 * [I+H, gates·H] over concat([x, h]); ONNX's W [1, gates·H, I], R [1, gates·H, H] and B
 * [1, 2·gates·H] come from its rows, with TF's gate order mapped to ONNX's (LSTM: TF i, j, f, o
 * → ONNX i, o, f, c, the forget bias folded into f; GRU: TF r, u and candidate → ONNX z = u, r,
 * h, linear_before_reset = 0 as TF applies r before the candidate's matmul).
 */
function loopCell(kind: 'LSTM' | 'GRU' | 'RNN'): Converter {
  return (c) => {
    const x = c.dynInput(0, 'inputs');
    // A while loop reads its TensorArray time-major; a static_rnn chain (static-rnn.ts) its Unpack's input along axis 0 or 1.
    const xTimeMajor = c.a.bool('x_time_major', true);
    if (x.perm.length !== 3) return c.fail(`expected ${xTimeMajor ? 'time-major inputs [T, N, I]' : 'inputs [N, T, I]'}, got rank ${x.perm.length}`);
    const xs = c.imp.modelShape(x) as [number, number, number];
    const [T, I] = xTimeMajor ? [xs[0], xs[2]] : [xs[1], xs[2]];
    // LSTMCell extras (loops.ts): peepholes w_i, w_f, w_o after kernel and bias, then the projection kernel.
    const peep = kind === 'LSTM' && c.a.bool('peephole', false);
    const proj = kind === 'LSTM' && c.a.bool('projection', false);
    const nParams = kind === 'GRU' ? 4 : 2 + (peep ? 3 : 0) + (proj ? 1 : 0);
    const ps = Array.from({ length: nParams }, (_, i) => c.constInput(i + 1, 'cell weights'));
    if (!c.a.bool('unrolled', false)) {
      const steps = c.constInput(nParams + 1, 'trip count').data[0]!;
      if (steps !== T) return c.fail(`the loop runs ${steps} steps over a sequence of ${T}; only full-length sequences are supported`);
    }
    const gates = RECURRENT_GATES[kind];
    const H = kind === 'GRU' ? ps[2]!.shape[1]! : ps[0]!.shape[1]! / gates;
    const Wp = proj ? ps[nParams - 1]! : undefined;
    // The state fed back: h, or with a projection m = h·Wp (P values).
    const P = Wp ? Wp.shape[1]! : H;
    if (Wp && (Wp.shape.length !== 2 || Wp.shape[0] !== H)) return c.fail(`projection kernel [${Wp.shape}] does not fit hidden size ${H}`);
    // Per ONNX gate: [kernel, bias, column offset] in TF's tensors.
    const src: [ConstT, ConstT, number][] =
      kind === 'LSTM' ? [0, 3, 2, 1].map((tb) => [ps[0]!, ps[1]!, tb * H]) :
      kind === 'GRU' ? [[ps[0]!, ps[1]!, H], [ps[0]!, ps[1]!, 0], [ps[2]!, ps[3]!, 0]] :
      [[ps[0]!, ps[1]!, 0]];
    for (const [k] of src) {
      if (k.shape.length !== 2 || k.shape[0] !== I + P || !Number.isInteger(H)) return c.fail(`kernel [${k.shape}] does not fit input size ${I} and ${proj ? `projection size ${P}` : `hidden size ${H}`}`);
    }
    const fb = kind === 'LSTM' ? c.a.float('forget_bias', 1) : 0;
    const W = new Float64Array(gates * H * I);
    const R = new Float64Array(gates * H * H);
    const bias = new Float64Array(2 * gates * H);
    src.forEach(([k, b, off], g) => {
      const cols = k.shape[1]!;
      for (let h = 0; h < H; h++) {
        const col = off + h;
        for (let i = 0; i < I; i++) W[(g * H + h) * I + i] = k.data[i * cols + col]!;
        // With a projection the gates see m·K_m = h·(Wp·K_m): the recurrent weights are that product.
        for (let j = 0; j < H; j++) {
          let r = 0;
          if (Wp) for (let q = 0; q < P; q++) r += Wp.data[j * P + q]! * k.data[(I + q) * cols + col]!;
          else r = k.data[(I + j) * cols + col]!;
          R[(g * H + h) * H + j] = r;
        }
        bias[g * H + h] = b.data[col]! + (kind === 'LSTM' && g === 2 ? fb : 0);
      }
    });
    const ins = [
      c.imp.relayout(x, xTimeMajor ? [1, 0, 2] : [0, 1, 2], c.name),
      c.irConst(constOf([1, gates * H, I], W), 'W'),
      c.irConst(constOf([1, gates * H, H], R), 'R'),
      c.irConst(constOf([1, 2 * gates * H], bias), 'B'),
    ];
    if (peep) {
      // The IR's P (input 6, after h0 and c0) is [i, o, f]; TF gives w_i_diag, w_f_diag, w_o_diag.
      const [wi, wf, wo] = [ps[2]!, ps[3]!, ps[4]!];
      if ([wi, wf, wo].some((d) => d.data.length !== H)) return c.fail(`peephole weights do not have ${H} values`);
      ins.push('', '', c.irConst(constOf([1, 3 * H], Float64Array.from([...wi.data, ...wo.data, ...wf.data])), 'P'));
    }
    // TF's fused cells use ONNX's defaults (sigmoid gates, tanh candidate and output).
    const base = { hidden: H, direction: 'forward' as const, activations: parseRecurrentActivations(kind, 1, DEFAULT_RECURRENT_ACTIVATIONS[kind]), clip: 0 };
    const outs =
      kind === 'LSTM'
        ? c.imp.emit('LSTM', c.name, ins, { ...base, inputForget: false }, 3)
        : kind === 'GRU'
          ? c.imp.emit('GRU', c.name, ins, { ...base, linearBeforeReset: false }, 2)
          : c.imp.emit('RNN', c.name, ins, base, 2);
    const output = c.a.string('output', 'h');
    const n = c.imp.batched ? BATCH : xs[xTimeMajor ? 1 : 0];
    if (output === 'y') {
      // Every step's output (the loop's TensorArray gathered): TF's [T, N, H] is the IR's Y
      // [N, T, 1, H] viewed time-major (a free permutation), projected per step when the cell has one.
      let y = B.reshapeTo(c, c.imp.dyn(outs[0]!), [n, T, H]);
      if (Wp) y = B.matmulOp(c, y, cnst(Wp));
      if (y.kind !== 'dyn' || !isIdentity(y.perm)) return c.fail('internal: the sequence output is not a plain IR value');
      return [c.a.bool('y_time_major', true) ? c.imp.dyn(y.ir, [1, 0, 2]) : y];
    }
    const isC = kind === 'LSTM' && output === 'c';
    const y = B.reshapeTo(c, c.imp.dyn(isC ? outs[2]! : outs[1]!), [n, H]);
    // The projected output m = h·Wp (the final state a projected cell returns).
    return [Wp && !isC ? B.matmulOp(c, y, cnst(Wp)) : y];
  };
}

export const TF_CONVERTERS: Record<string, Converter> = {
  _TfLoopLSTM: loopCell('LSTM'),
  _TfLoopGRU: loopCell('GRU'),
  _TfLoopRNN: loopCell('RNN'),
  Const: constOp,
  Placeholder: placeholder,
  PlaceholderWithDefault: placeholderWithDefault,
  Identity: passThrough,
  IdentityN: passThrough,
  StopGradient: passThrough,
  Snapshot: passThrough,
  NoOp: () => [],
  MatMul: (c) => matmulTf(c, c.a.bool('transpose_a', false), c.a.bool('transpose_b', false), false),
  _FusedMatMul: (c) => matmulTf(c, c.a.bool('transpose_a', false), c.a.bool('transpose_b', false), true),
  BatchMatMul: (c) => matmulTf(c, c.a.bool('adj_x', false), c.a.bool('adj_y', false), false),
  BatchMatMulV2: (c) => matmulTf(c, c.a.bool('adj_x', false), c.a.bool('adj_y', false), false),
  BatchMatMulV3: (c) => matmulTf(c, c.a.bool('adj_x', false), c.a.bool('adj_y', false), false),
  BiasAdd: biasAdd,
  Add: binary,
  AddV2: binary,
  Sub: binary,
  Mul: binary,
  RealDiv: binary,
  Maximum: binary,
  Minimum: binary,
  Prelu: binary,
  Square: constMath((x) => x * x),
  Sqrt: constMath(Math.sqrt),
  Rsqrt: constMath((x) => 1 / Math.sqrt(x)),
  Relu: unary('Relu'),
  Relu6: unary('Clip', () => ({ min: 0, max: 6 })),
  LeakyRelu: unary('LeakyRelu', (c) => ({ alpha: c.a.float('alpha', 0.2) })),
  Elu: unary('Elu', () => ({ alpha: 1 })),
  Selu: unary('Selu', () => ({ alpha: 1.6732632423543772, gamma: 1.0507009873554805 })),
  Sigmoid: unary('Sigmoid'),
  Tanh: unary('Tanh'),
  Softplus: unary('Softplus'),
  Softsign: unary('Softsign'),
  Softmax: softmax('Softmax'),
  LogSoftmax: softmax('LogSoftmax'),
  Conv2D: conv2d('conv', false),
  _FusedConv2D: conv2d('conv', true),
  DepthwiseConv2dNative: conv2d('depthwise', false),
  FusedDepthwiseConv2dNative: conv2d('depthwise', true),
  Conv2DBackpropInput: conv2dBackpropInput,
  MaxPool: pool('MaxPool'),
  AvgPool: pool('AvgPool'),
  Mean: mean,
  FusedBatchNorm: fusedBatchNorm,
  FusedBatchNormV2: fusedBatchNorm,
  FusedBatchNormV3: fusedBatchNorm,
  Reshape: reshape,
  Squeeze: squeeze,
  ExpandDims: expandDimsOp,
  ConcatV2: concatV2,
  Pack: pack,
  Unpack: unpack,
  Pad: padOp,
  PadV2: padOp,
  MirrorPad: padOp,
  Transpose: transpose,
  ResizeNearestNeighbor: resize('nearest'),
  ResizeBilinear: resize('linear'),
  Shape: shapeOp,
  StridedSlice: stridedSlice,
  Slice: sliceOp,
  Gather: gather,
  GatherV2: gather,
  Fill: fill,
  Range: rangeOp,
  Cast: cast,
  Prod: prod,
};

/** Every supported TensorFlow op type (for `inspect` and error messages). */
export function supportedTfOps(): string[] {
  return Object.keys(TF_CONVERTERS).sort();
}
