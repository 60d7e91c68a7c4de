/**
 * ONNX converters for the everyday operator set beyond the layer ops: elementwise math (Abs,
 * Neg, Exp, Log, Sqrt, Reciprocal, Pow, Sign, Floor, Ceil, Round, Erf, Mish), n-ary Sum/Mean,
 * comparisons and Where, the Reduce* family and ArgMax/ArgMin, and data selection on computed
 * tensors (Split, Slice, Gather, Tile, Expand, DepthToSpace/SpaceToDepth). Normalizations that
 * are compositions (InstanceNormalization, LpNormalization) are built from Reduce and
 * arithmetic nodes, so they need no kernels of their own.
 */
import type { OpKind, ReduceFn } from '../../ir/ops.js';
import { binaryOp, rankOf, reshapeTo, shapeOf, transposeOp, unaryOp, type UnaryKind } from '../common/builders.js';
import { BATCH, constOf, type OVal } from '../common/importer.js';
import { batchEntry, expandToBatch, gatherBatchConst, sliceBatchConst } from '../common/batch-const.js';
import { argOp, expandOp, gatherOp, reduceOp, sliceOp, tileOp } from '../common/select-builders.js';
import type { Converter, Ctx } from './context.js';
import { legacyOperandB } from './legacy.js';

const unary =
  (op: UnaryKind): Converter =>
  (c) => [unaryOp(c, op, {})];

const add = (x: number, y: number) => x + y;

const BIN: Record<string, [OpKind, (x: number, y: number) => number]> = {
  Pow: ['Pow', (x, y) => x ** y],
  Equal: ['Equal', (x, y) => (x === y ? 1 : 0)],
  Greater: ['Greater', (x, y) => (x > y ? 1 : 0)],
  Less: ['Less', (x, y) => (x < y ? 1 : 0)],
};

const binary: Converter = (c) => {
  const [op, f] = BIN[c.op]!;
  const a = c.input(0);
  const b = legacyOperandB(c, a, c.input(1));
  if (op === 'Pow' && a.kind === 'dyn' && b.kind === 'const' && b.t.data.length === 1 && b.t.shape.length <= rankOf(a)) {
    const p = powByExponent(c, a, b.t.data[0]!);
    if (p) return [p];
  }
  return [binaryOp(c, op, a, b, f)];
};

/**
 * x^p for the constant exponents exporters write (x·x for p = 2, √x for ½, 1/x for −1, ...) as
 * the ops they are, so they get the fixed-point forms those ops have; the float results are
 * the same (x·x and x^2 round alike). Other exponents stay a Pow.
 */
function powByExponent(c: Ctx, x: OVal, p: number): OVal | undefined {
  const mul = (u: OVal, v: OVal) => binaryOp(c, 'Mul', u, v, (s, t) => s * t);
  switch (p) {
    case 1:
      return x;
    case 2:
      return mul(x, x);
    case 3:
      return mul(mul(x, x), x);
    case 0.5:
      return unaryOp(c, 'Sqrt', {}, x);
    case -1:
      return unaryOp(c, 'Reciprocal', {}, x);
    default:
      return undefined;
  }
}

/** n-ary Sum and Mean (Mean = Sum · 1/n). */
const sumMean: Converter = (c) => {
  let acc = c.input(0);
  for (let i = 1; i < c.nIn; i++) acc = binaryOp(c, 'Add', acc, c.input(i), add);
  if (c.op === 'Mean' && c.nIn > 1) acc = binaryOp(c, 'Mul', acc, { kind: 'const', t: constOf([], [1 / c.nIn]) }, (x, y) => x * y);
  return [acc];
};

const where: Converter = (c) => {
  const ins = [c.input(0), c.input(1), c.input(2)];
  if (ins.every((v) => v.kind === 'const')) {
    return [{ kind: 'const', t: c.fold('Where', {}, ins.map((v) => (v.kind === 'const' ? v.t : undefined)))[0]! }];
  }
  const R = Math.max(...ins.map(rankOf));
  if (ins.some((v) => v.kind === 'const' && rankOf(v) >= R && ins.some((w) => w.kind === 'dyn'))) {
    c.imp.cross(`${c.where}: a constant operand spans the batch dim`);
  }
  const irs = ins.map((v, i) => (v.kind === 'dyn' ? c.imp.plain(v, c.name) : c.irConst(v.t, ['cond', 'x', 'y'][i]!)));
  const [o] = c.imp.emit('Where', c.name, irs, {});
  return [c.imp.dyn(o!)];
};

/** Reduce* axes: the `axes` attribute before opset 18 (13 for ReduceSum), the second input after. */
function reduceAxes(c: Ctx): number[] | undefined {
  const fromInput = c.op === 'ReduceSum' ? c.opset >= 13 : c.opset >= 18;
  if (fromInput) {
    const t = c.optConst(1, 'axes');
    return t ? Array.from(t.data) : undefined;
  }
  return c.a.ints('axes');
}

const REDUCE: Record<string, ReduceFn> = {
  ReduceSum: 'Sum',
  ReduceMean: 'Mean',
  ReduceMax: 'Max',
  ReduceMin: 'Min',
  ReduceProd: 'Prod',
  ReduceL1: 'L1',
  ReduceL2: 'L2',
  ReduceSumSquare: 'SumSquare',
  ReduceLogSumExp: 'LogSumExp',
};

const reduce: Converter = (c) => {
  const x = c.input(0);
  const axes = reduceAxes(c);
  if ((!axes || axes.length === 0) && c.a.int('noop_with_empty_axes', 0) === 1) return [x];
  return [reduceOp(c, REDUCE[c.op]!, x, axes ?? [], c.a.int('keepdims', 1) === 1)];
};

const arg: Converter = (c) => {
  const x = c.input(0);
  const R = rankOf(x);
  let axis = c.a.int('axis', 0);
  if (axis < 0) axis += R;
  return [argOp(c, c.op as 'ArgMax' | 'ArgMin', x, axis, c.a.int('keepdims', 1) === 1, c.a.int('select_last_index', 0) === 1)];
};

const BIG = 2 ** 62;

const slice: Converter = (c) => {
  const x = c.anyInput(0) ?? c.input(0);
  let starts: number[];
  let ends: number[];
  let axes: number[] | undefined;
  let steps: number[] | undefined;
  if (c.opset < 10) {
    starts = c.a.ints('starts', []);
    ends = c.a.ints('ends', []);
    axes = c.a.ints('axes');
  } else {
    starts = Array.from(c.constInput(1, 'starts').data);
    ends = Array.from(c.constInput(2, 'ends').data);
    const ax = c.optConst(3, 'axes');
    const st = c.optConst(4, 'steps');
    axes = ax ? Array.from(ax.data) : undefined;
    steps = st ? Array.from(st.data) : undefined;
  }
  axes ??= starts.map((_, i) => i);
  steps ??= starts.map(() => 1);
  if (x.kind === 'batchConst') return [sliceBatchConst(c, x, starts, ends.map((e) => (e > BIG ? BIG : e)), axes, steps)];
  return [sliceOp(c, x, starts, ends.map((e) => (e > BIG ? BIG : e)), axes, steps)];
};

const split: Converter = (c) => {
  const x = c.input(0);
  const shape = shapeOf(c, x);
  const R = shape.length;
  let axis = c.a.int('axis', 0);
  if (axis < 0) axis += R;
  if (axis < 0 || axis >= R) return c.fail(`axis ${c.a.int('axis', 0)} out of range for rank ${R}`);
  const n = c.node.outputs.length;
  if (shape[axis] === BATCH) c.imp.cross(`${c.where}: splits the batch dim`);
  const len = shape[axis]!;
  let sizes: number[] | undefined = c.opset < 13 ? c.a.ints('split') : undefined;
  if (c.opset >= 13) {
    const t = c.optConst(1, 'split');
    if (t) sizes = Array.from(t.data);
  }
  if (!sizes || sizes.length === 0) {
    // Equal parts; opset 18 lets the last one be smaller.
    const part = Math.ceil(len / n);
    sizes = Array.from({ length: n }, (_, i) => Math.min(part, len - part * i));
  }
  if (sizes.length !== n || sizes.reduce((p, q) => p + q, 0) !== len || sizes.some((s) => s <= 0)) {
    return c.fail(`split sizes [${sizes.join(',')}] do not divide dim ${axis} of size ${len} into ${n} outputs`);
  }
  let at = 0;
  return sizes.map((s) => {
    const v = sliceOp(c, x, [at], [at + s], [axis], [1]);
    at += s;
    return v;
  });
};

const gather: Converter = (c) => {
  const any = c.anyInput(0) ?? c.input(0);
  let axis = c.a.int('axis', 0);
  if (any.kind === 'batchConst') {
    if (axis < 0) axis += any.t.shape.length;
    return [gatherBatchConst(c, any, c.constInput(1, 'indices'), axis)];
  }
  const data = c.input(0);
  if (axis < 0) axis += rankOf(data);
  return [gatherOp(c, data, c.input(1), axis)];
};

const tile: Converter = (c) => {
  const x = c.input(0);
  if (c.opset < 6) {
    // Tile-1: tiles (scalar) along axis (scalar).
    const k = c.constInput(1, 'tiles').data[0]!;
    const ax = c.constInput(2, 'axis').data[0]!;
    return [tileOp(c, x, shapeOf(c, x).map((_, i) => (i === ax ? k : 1)))];
  }
  return [tileOp(c, x, Array.from(c.constInput(1, 'repeats').data))];
};

const expand: Converter = (c) => {
  const x = c.input(0);
  const target = Array.from(c.constInput(1, 'shape').data);
  // A constant expanded to the batch size stays one sample's constant, symbolic in the batch.
  const b = batchEntry(c, target, 'shape');
  if (x.kind === 'const' && b >= 0) return [expandToBatch(c, x.t, target, b)];
  return [expandOp(c, x, target)];
};

/** DepthToSpace / SpaceToDepth as reshape → transpose → reshape of the NCHW tensor. */
const depthSpace: Converter = (c) => {
  const x = c.input(0);
  const [n, ch, h, w] = shapeOf(c, x) as [number, number, number, number];
  if (shapeOf(c, x).length !== 4) return c.fail('input must be 4-D [N, C, H, W]');
  const b = c.a.int('blocksize', 0);
  if (b < 1) return c.fail('blocksize must be a positive integer');
  if (c.op === 'DepthToSpace') {
    if (ch % (b * b) !== 0) return c.fail(`channels ${ch} are not a multiple of blocksize² = ${b * b}`);
    const crd = c.a.string('mode', 'DCR') === 'CRD';
    const c2 = ch / (b * b);
    const six = crd ? [n, c2, b, b, h, w] : [n, b, b, c2, h, w];
    const perm = crd ? [0, 1, 4, 2, 5, 3] : [0, 3, 4, 1, 5, 2];
    return [reshapeTo(c, transposeOp(reshapeTo(c, x, six), perm), [n, c2, h * b, w * b])];
  }
  if (h % b !== 0 || w % b !== 0) return c.fail(`spatial dims ${h}×${w} are not multiples of blocksize ${b}`);
  const six = [n, ch, h / b, b, w / b, b];
  return [reshapeTo(c, transposeOp(reshapeTo(c, x, six), [0, 3, 5, 1, 2, 4]), [n, ch * b * b, h / b, w / b])];
};

/** A per-channel vector [C] as a constant [C, 1, ...] broadcasting over an NC... tensor of rank R. */
function channelConst(c: Ctx, v: OVal, R: number, what: string): OVal {
  if (v.kind !== 'const') return c.fail(`${what} must be a constant or initializer`);
  return { kind: 'const', t: { ...v.t, shape: [v.t.shape[0] ?? 1, ...new Array<number>(R - 2).fill(1)] } };
}

const mul = (x: number, y: number) => x * y;

/** y = scale · (x − mean) / sqrt(var + eps) + bias, statistics per sample and channel over the spatial dims. */
const instanceNorm: Converter = (c) => {
  const x = c.input(0);
  const R = rankOf(x);
  if (R < 3) return c.fail('input must be [N, C, spatial...]');
  const spatial = Array.from({ length: R - 2 }, (_, i) => i + 2);
  const mean = reduceOp(c, 'Mean', x, spatial, true);
  const d = binaryOp(c, 'Sub', x, mean, (p, q) => p - q);
  const v = reduceOp(c, 'Mean', binaryOp(c, 'Mul', d, d, mul), spatial, true);
  const eps = c.a.float('epsilon', 1e-5);
  const sd = unaryOp(c, 'Sqrt', {}, binaryOp(c, 'Add', v, { kind: 'const', t: constOf([], [eps]) }, add));
  const y = binaryOp(c, 'Div', d, sd, (p, q) => p / q);
  const scaled = binaryOp(c, 'Mul', y, channelConst(c, c.input(1), R, 'scale'), mul);
  return [binaryOp(c, 'Add', scaled, channelConst(c, c.input(2), R, 'B'), add)];
};

/**
 * LayerNormalization (opset 17): built from Reduce and arithmetic exactly as older exporters
 * write it (mean, x − mean, its square, mean, + eps, sqrt, divide, scale, bias); the
 * fuse-layernorm pass turns either form into one LayerNorm node.
 */
const layerNorm: Converter = (c) => {
  if (c.wants(1) || c.wants(2)) return c.fail('the Mean and InvStdDev outputs are not supported (only Y)');
  const x = c.input(0);
  const R = rankOf(x);
  let axis = c.a.int('axis', -1);
  if (axis < 0) axis += R;
  if (axis <= 0 || axis >= R) return c.fail(`axis ${c.a.int('axis', -1)} must select trailing dims of a rank-${R} input, not the batch dim`);
  const dims = Array.from({ length: R - axis }, (_, i) => axis + i);
  const mean = reduceOp(c, 'Mean', x, dims, true);
  const d = binaryOp(c, 'Sub', x, mean, (p, q) => p - q);
  const v = reduceOp(c, 'Mean', binaryOp(c, 'Mul', d, d, mul), dims, true);
  const eps = c.a.float('epsilon', 1e-5);
  const sd = unaryOp(c, 'Sqrt', {}, binaryOp(c, 'Add', v, { kind: 'const', t: constOf([], [eps]) }, add));
  const y = binaryOp(c, 'Mul', binaryOp(c, 'Div', d, sd, (p, q) => p / q), c.input(1), mul);
  const b = c.opt(2);
  return [b ? binaryOp(c, 'Add', y, b, add) : y];
};

const gelu: Converter = (c) => {
  const approximate = c.a.string('approximate', 'none');
  if (approximate !== 'none' && approximate !== 'tanh') return c.fail(`approximate = '${approximate}' is not 'none' or 'tanh'`);
  return [unaryOp(c, 'Gelu', { approximate })];
};

const lpNorm: Converter = (c) => {
  const x = c.input(0);
  const R = rankOf(x);
  let axis = c.a.int('axis', -1);
  if (axis < 0) axis += R;
  const p = c.a.int('p', 2);
  if (p !== 1 && p !== 2) return c.fail(`p = ${p} is not supported (ONNX allows 1 or 2)`);
  const norm = reduceOp(c, p === 1 ? 'L1' : 'L2', x, [axis], true);
  return [binaryOp(c, 'Div', x, norm, (a, b) => a / b)];
};

export const MATH_CONVERTERS: Record<string, Converter> = {
  Abs: unary('Abs'),
  Neg: unary('Neg'),
  Exp: unary('Exp'),
  Log: unary('Log'),
  Sqrt: unary('Sqrt'),
  Reciprocal: unary('Reciprocal'),
  Sign: unary('Sign'),
  Floor: unary('Floor'),
  Ceil: unary('Ceil'),
  Round: unary('Round'),
  Erf: unary('Erf'),
  Mish: unary('Mish'),
  Gelu: gelu,
  LayerNormalization: layerNorm,
  Pow: binary,
  Equal: binary,
  Greater: binary,
  Less: binary,
  Where: where,
  Sum: sumMean,
  Mean: sumMean,
  ...Object.fromEntries(Object.keys(REDUCE).map((k) => [k, reduce])),
  ArgMax: arg,
  ArgMin: arg,
  Slice: slice,
  Split: split,
  Gather: gather,
  Tile: tile,
  Expand: expand,
  DepthToSpace: depthSpace,
  SpaceToDepth: depthSpace,
  InstanceNormalization: instanceNorm,
  LpNormalization: lpNorm,
};
