/**
 * Converters for ONNX's elementwise and data-movement ops: arithmetic with broadcasting,
 * activations, Clip, (Log)Softmax, Identity/Dropout, Transpose, Reshape, Flatten,
 * Squeeze/Unsqueeze, Concat, Cast and the shape-arithmetic ops that only ever fold
 * (Shape, ConstantOfShape, Range, Constant; Gather/Slice/Expand are in convert-math.ts). Each keeps the
 * layout of its input where the op allows, so transposes are not materialized needlessly.
 */
import type { ElemType } from '../../ir/graph.js';
import { numel } from '../../ir/graph.js';
import type { OpKind } from '../../ir/ops.js';
import { decodeTensorProto } from './tensor-proto.js';
import * as K from '../common/const-eval.js';
import { binaryOp, concatOp, rankOf, reshapeTo, resolveReshape, softmaxOp, transposeOp, unaryOp, type UnaryKind } from '../common/builders.js';
import { batchConstShape, batchEntry, constantOfBatchShape, reshapeBatchConst } from '../common/batch-const.js';
import { BATCH, type BatchConst, constOf, identity, type MVal, type OVal } from '../common/importer.js';
import { batchFactor, dimText, irAxisOf, laidOut, mergedShape, regroup, sameLayout, scalarOf, transposeMerged } from '../common/merged.js';
import { type Converter, type Ctx, elemOfOnnxType } from './context.js';
import { legacyOperandB, legacySlope } from './legacy.js';

export { binaryOp, reshapeTo };

const BIN: Record<string, [OpKind, (x: number, y: number, int: boolean) => number]> = {
  Add: ['Add', (x, y) => x + y],
  Sub: ['Sub', (x, y) => x - y],
  Mul: ['Mul', (x, y) => x * y],
  Div: ['Div', (x, y, int) => (int ? Math.trunc(x / y) : x / y)],
  PRelu: ['PRelu', (x, s) => (x < 0 ? s * x : x)],
  Max: ['Max', (x, y) => Math.max(x, y)],
  Min: ['Min', (x, y) => Math.min(x, y)],
};

const binary: Converter = (c) => {
  const [op, f] = BIN[c.op]!;
  const merged = mergedBinary(c, op);
  if (merged) return [merged];
  const a = withBatchConst(c, 0, 1);
  const b0 = withBatchConst(c, 1, 0);
  const b = op === 'PRelu' ? legacySlope(c, a, b0) : legacyOperandB(c, a, b0);
  return [binaryOp(c, op, a, b, f)];
};

/**
 * An elementwise op on a batch-merged tensor (merged.ts): with a scalar constant (attention's
 * 1/sqrt(d) scale), or with a tensor of the very same layout; null when no input is merged.
 */
function mergedBinary(c: Ctx, op: OpKind): MVal | null {
  const a = c.laidInput(0);
  const b = c.laidInput(1);
  if (a?.kind !== 'merged' && b?.kind !== 'merged') return null;
  const m = (a?.kind === 'merged' ? a : b) as Extract<MVal, { kind: 'merged' }>;
  const other = m === a ? b : a;
  let ins: string[];
  if (other?.kind === 'merged' && other.perm.join() === m.perm.join() && other.groups.join() === m.groups.join() &&
    c.imp.irShape(other.ir).join() === c.imp.irShape(m.ir).join()) {
    ins = [a!.kind === 'merged' ? a!.ir : '', b!.kind === 'merged' ? b!.ir : ''];
  } else {
    const k = scalarOf(other);
    if (k === null || other?.kind !== 'const') {
      c.imp.cross(`${c.where}: operand merging the batch dim with other dims meets a tensor of another layout`);
      return null;
    }
    const kc = c.irConst(constOf([], [k], other.t.elem), `${c.name}_${m === a ? 'b' : 'a'}`);
    ins = m === a ? [m.ir, kc] : [kc, m.ir];
  }
  const [o] = c.imp.emit(op as 'Add', c.name, ins, {});
  return sameLayout(m, o!);
}

/**
 * Input `i` of an elementwise op; a BatchConst is as good as its one sample (size 1 on the batch
 * axis broadcasts) when the other operand is a computed tensor with its batch on the same axis.
 */
function withBatchConst(c: Ctx, i: number, other: number): OVal {
  const v = c.anyInput(i);
  const o = c.anyInput(other);
  if (v?.kind !== 'batchConst' || o?.kind !== 'dyn') return c.input(i);
  const R = o.perm.length;
  if (v.t.shape.length > R || v.axis + R - v.t.shape.length !== c.imp.batchPos(o)) return c.input(i);
  return { kind: 'const', t: v.t };
}

/** Variadic Max/Min (opset 8+ allows any number of inputs). */
const variadic: Converter = (c) => {
  const [op, f] = BIN[c.op]!;
  let acc = c.input(0);
  for (let i = 1; i < c.nIn; i++) acc = binaryOp(c, op, acc, c.input(i), f);
  return [acc];
};

const unary =
  (op: UnaryKind, attrs: (c: Ctx) => object = () => ({})): Converter =>
  (c) => [unaryOp(c, op, attrs(c))];

const clip: Converter = (c) => {
  if (c.opset < 11) {
    return [unaryOp(c, 'Clip', { min: c.a.float('min', -3.4028234663852886e38), max: c.a.float('max', 3.4028234663852886e38) })];
  }
  const lo = c.opt(1);
  const hi = c.opt(2);
  if ((!lo || lo.kind === 'const') && (!hi || hi.kind === 'const')) {
    const min = lo && lo.kind === 'const' ? lo.t.data[0]! : -Infinity;
    const max = hi && hi.kind === 'const' ? hi.t.data[0]! : Infinity;
    return [unaryOp(c, 'Clip', { min, max })];
  }
  // Bounds computed at run time: clip = min(max(x, lo), hi).
  let v = c.input(0);
  if (lo) v = binaryOp(c, 'Max', v, lo, (x, y) => Math.max(x, y));
  if (hi) v = binaryOp(c, 'Min', v, hi, (x, y) => Math.min(x, y));
  return [v];
};

function softmax(op: 'Softmax' | 'LogSoftmax'): Converter {
  return (c) => {
    const merged = mergedSoftmax(c, op);
    if (merged) return [merged];
    const x = c.input(0);
    const legacy = c.opset < 13;
    const R = x.kind === 'dyn' ? x.perm.length : x.t.shape.length;
    let axis = c.a.int('axis', legacy ? 1 : -1);
    if (axis < 0) axis += R;
    if (axis < 0 || axis >= R) return c.fail(`axis ${c.a.int('axis')} out of range for rank ${R}`);
    if (x.kind === 'const' && legacy) return [{ kind: 'const', t: c.fold(op, { axis: axis - R, toEnd: true }, [x.t])[0]! }];
    if (legacy && x.kind === 'dyn') {
      if (axis === 0) c.imp.cross(`${c.where}: normalizes over the batch dim`);
      // Normalizing over dims [axis, R) commutes with a layout that keeps that set of dims.
      const tail = x.perm.slice(axis);
      const keeps = tail.every((p) => p >= axis);
      const ir = keeps ? x.ir : c.imp.plain(x, c.name);
      const [o] = c.imp.emit(op, c.name, [ir], { axis: axis - R, toEnd: true });
      return [c.imp.dyn(o!, keeps ? x.perm : identity(R))];
    }
    return [softmaxOp(c, op, x, axis)];
  };
}

/** Softmax over the last dim of a batch-merged tensor (attention scores [N·heads, T, T]), per sample. */
function mergedSoftmax(c: Ctx, op: 'Softmax' | 'LogSoftmax'): MVal | null {
  const x = c.laidInput(0);
  if (x?.kind !== 'merged') return null;
  const R = x.groups.length;
  let axis = c.a.int('axis', c.opset < 13 ? 1 : -1);
  if (axis < 0) axis += R;
  const ir = c.opset >= 13 ? irAxisOf(c, x, axis) : null;
  if (ir === null) {
    c.imp.cross(`${c.where}: normalizes a tensor merging the batch dim over a dim other than a plain last one`);
    return null;
  }
  const [o] = c.imp.emit(op, c.name, [x.ir], { axis: ir, toEnd: false });
  return sameLayout(x, o!);
}

const identityOp: Converter = (c) => [c.anyInput(0)];

const dropout: Converter = (c) => {
  const x = c.input(0);
  const training = c.opset >= 12 ? K.constScalarOr(c.optConst(2, 'training_mode'), 0) : 0;
  const ratio = c.opset >= 12 ? K.constScalarOr(c.optConst(1, 'ratio'), 0.5) : c.a.float('ratio', 0.5);
  if (training && ratio !== 0) {
    return c.fail('training-mode Dropout drops random elements; export the model in inference (eval) mode');
  }
  if (!c.wants(1)) return [x];
  // The mask of an inference Dropout is all true; as a constant it cannot carry a batch dim.
  if (x.kind === 'dyn') c.imp.cross(`${c.where}: the mask output is a per-sample constant`);
  const shape = x.kind === 'dyn' ? c.imp.modelShape(x) : x.t.shape;
  return [x, { kind: 'const', t: constOf(shape, new Float64Array(numel(shape)).fill(1), 'bool') }];
};

const transpose: Converter = (c) => {
  const any = c.laidInput(0);
  const x = any?.kind === 'merged' ? any : c.input(0);
  const R = x.kind === 'merged' ? x.groups.length : x.kind === 'dyn' ? x.perm.length : x.t.shape.length;
  const tp = c.a.ints('perm', identity(R).reverse());
  if (tp.length !== R || [...tp].sort((p, q) => p - q).some((p, i) => p !== i)) {
    return c.fail(`perm [${tp.join(',')}] is not a permutation of ${R} dims`);
  }
  return [x.kind === 'merged' ? transposeMerged(x, tp) : transposeOp(x, tp)];
};

/** Resolves an ONNX Reshape target (0 = copy, -1 = infer) against the input's full shape. */
function resolveTarget(c: Ctx, inShape: readonly number[], spec: readonly number[], allowZero: boolean): number[] {
  return resolveReshape(c, inShape, spec.map((t, i) => (t === 0 && !allowZero ? inShape[i]! : t)));
}

function fullShape(c: Ctx, x: MVal): number[] {
  if (x.kind === 'batchConst') return batchConstShape(x);
  if (x.kind === 'merged') return mergedShape(c, x);
  return x.kind === 'dyn' ? c.imp.modelShape(x) : [...x.t.shape];
}

/** Input 0 as stored: a BatchConst too (the converters calling this handle it). */
function anyValue(c: Ctx): OVal | BatchConst {
  return c.anyInput(0) ?? c.input(0);
}

const reshape: Converter = (c) => {
  const laid = laidOut(c.laidInput(0));
  const x = laid ?? c.input(0);
  const spec = c.opset < 5 ? c.a.ints('shape', []) : Array.from(c.constInput(1, 'shape').data);
  const target = resolveTarget(c, fullShape(c, x), spec, c.a.int('allowzero', 0) === 1);
  // A batch merged with other dims, in the input or in the target (multi-head attention's
  // [T, N·heads, d]): regrouped per sample (merged.ts).
  if (c.imp.batched && laid && (laid.kind === 'merged' || target.some((d) => batchFactor(d) > 1))) {
    const y = regroup(c, laid, target);
    if (y) return [y];
    c.imp.cross(`${c.where}: reshape of [${fullShape(c, laid).map(dimText).join(',')}] to [${target.map(dimText).join(',')}] does not keep each sample's elements together`);
  }
  return [reshapeTo(c, c.input(0), target)];
};

const flatten: Converter = (c) => {
  const x = c.input(0);
  const shape = fullShape(c, x);
  let axis = c.a.int('axis', 1);
  if (axis < 0) axis += shape.length;
  if (axis < 0 || axis > shape.length) return c.fail(`axis ${c.a.int('axis')} out of range for rank ${shape.length}`);
  if (c.imp.batched && x.kind === 'dyn') {
    // Keras converters write Flatten(axis=0) for a model declared with batch 1: [1, ...] ->
    // [1, n]. Flattening each sample gives exactly that at batch 1 and lets any batch run (at
    // N > 1 the ONNX graph itself would feed [1, N·n] to the next layer and fail).
    if (axis === 0 && c.imp.declaredBatch === 1) axis = 1;
    if (axis === 0 || numel(shape.slice(1, axis)) !== 1) c.imp.cross(`${c.where}: flattens the batch dim`);
    return [reshapeTo(c, x, [BATCH, numel(shape.slice(axis))])];
  }
  return [reshapeTo(c, x, [numel(shape.slice(0, axis)), numel(shape.slice(axis))])];
};

function axesOf(c: Ctx, inputIdx: number): number[] | undefined {
  if (c.opset >= 13) {
    const t = c.optConst(inputIdx, 'axes');
    return t ? Array.from(t.data) : undefined;
  }
  return c.a.ints('axes');
}

const squeeze: Converter = (c) => {
  const x = anyValue(c);
  const shape = fullShape(c, x);
  const R = shape.length;
  const given = axesOf(c, 1);
  const axes = (given ?? shape.flatMap((d, i) => (d === 1 ? [i] : []))).map((a) => (a < 0 ? a + R : a));
  const b = shape.indexOf(BATCH);
  if (b >= 0) {
    // A declared batch of 1 is squeezed by an axis-less Squeeze; either way the batch dim goes.
    if (axes.includes(b) || (!given && c.imp.declaredBatch === 1)) c.imp.cross(`${c.where}: squeezes the batch dim`);
  }
  for (const a of axes) if (shape[a] !== 1) c.fail(`cannot squeeze axis ${a} of size ${shape[a]}`);
  const target = shape.filter((_, i) => !axes.includes(i));
  if (x.kind === 'batchConst') return [reshapeBatchConst(c, x, target)];
  return [reshapeTo(c, x, target)];
};

const unsqueeze: Converter = (c) => {
  const x = anyValue(c);
  const shape = fullShape(c, x);
  const axes = axesOf(c, 1);
  if (!axes) return c.fail('axes are required');
  const R = shape.length + axes.length;
  const norm = axes.map((a) => (a < 0 ? a + R : a)).sort((p, q) => p - q);
  const out = [...shape];
  for (const a of norm) out.splice(a, 0, 1);
  // Dims of size 1 in front of the batch keep every sample's data in place (reshapeTo checks).
  if (x.kind === 'batchConst') return [reshapeBatchConst(c, x, out)];
  return [reshapeTo(c, x, out)];
};

const concat: Converter = (c) => {
  const ins = Array.from({ length: c.nIn }, (_, i) => c.input(i));
  const R = rankOf(ins[0]!);
  let axis = c.a.int('axis', c.opset < 4 ? 1 : 0);
  if (axis < 0) axis += R;
  return [concatOp(c, ins, axis)];
};

const cast: Converter = (c) => {
  const to = elemOfOnnxType(c.a.int('to', 1));
  const dt = c.a.int('to', 1);
  if (dt === 8) return c.fail('casting to STRING is not supported');
  const any = anyValue(c);
  if (any.kind === 'batchConst') return [{ ...any, t: K.cast(any.t, to) }];
  const x = c.input(0);
  if (x.kind === 'const') return [{ kind: 'const', t: K.cast(x.t, to) }];
  const fromElem = c.imp.irShape(x.ir) && (c.imp.values.get(x.ir)!.elem as ElemType);
  if (to === 'float32' || to === fromElem) return [x];
  return c.fail(`casting a computed ${fromElem} tensor to ${to} is not supported (only constant shape arithmetic may be cast to integers)`);
};

const shapeOp: Converter = (c) => {
  const x = c.laidInput(0) ?? c.input(0);
  const shape = fullShape(c, x);
  const R = shape.length;
  const clampIdx = (v: number) => Math.min(R, Math.max(0, v < 0 ? v + R : v));
  const start = clampIdx(c.a.int('start', 0));
  const end = clampIdx(c.a.int('end', R));
  const out = shape.slice(start, Math.max(start, end));
  return [{ kind: 'const', t: constOf([out.length], out, 'int64') }];
};

const constantOfShape: Converter = (c) => {
  const shape = Array.from(c.constInput(0, 'shape').data);
  const vt = c.a.tensor('value');
  const v = vt ? decodeTensorProto(vt, c.where) : undefined;
  const fill = v ? Number(v.data[0] ?? 0) : 0;
  const elem = vt ? elemOfOnnxType(vt.dataType ?? 1) : 'float32';
  // A shape built from the batch size (PyTorch's zero RNN state) stays symbolic in the batch.
  const b = batchEntry(c, shape, 'shape');
  if (b >= 0) return [constantOfBatchShape(shape, b, fill, elem)];
  return [{ kind: 'const', t: constOf(shape, new Float64Array(numel(shape)).fill(fill), elem) }];
};

const rangeOp: Converter = (c) => {
  const s = c.constInput(0, 'start');
  return [
    {
      kind: 'const',
      t: K.range(s.data[0]!, c.constInput(1, 'limit').data[0]!, c.constInput(2, 'delta').data[0]!, s.elem),
    },
  ];
};

const constant: Converter = (c) => {
  const t = c.a.tensor('value');
  if (t) {
    const h = decodeTensorProto(t, c.where);
    return [{ kind: 'const', t: constOf(h.shape, Array.from(h.data as ArrayLike<number | bigint>, Number), elemOfOnnxType(t.dataType ?? 1)) }];
  }
  if (c.a.has('value_float')) return [{ kind: 'const', t: constOf([], [c.a.float('value_float', 0)]) }];
  if (c.a.has('value_floats')) {
    const f = c.a.floats('value_floats', []);
    return [{ kind: 'const', t: constOf([f.length], f) }];
  }
  if (c.a.has('value_int')) return [{ kind: 'const', t: constOf([], [c.a.int('value_int', 0)], 'int64') }];
  if (c.a.has('value_ints')) {
    const v = c.a.ints('value_ints', []);
    return [{ kind: 'const', t: constOf([v.length], v, 'int64') }];
  }
  return c.fail('only tensor, float(s) and int(s) Constant values are supported (sparse and string values are not)');
};

export const BASIC_CONVERTERS: Record<string, Converter> = {
  Add: binary,
  Sub: binary,
  Mul: binary,
  Div: binary,
  PRelu: binary,
  Max: variadic,
  Min: variadic,
  Relu: unary('Relu'),
  LeakyRelu: unary('LeakyRelu', (c) => ({ alpha: c.a.float('alpha', 0.01) })),
  Sigmoid: unary('Sigmoid'),
  HardSigmoid: unary('HardSigmoid', (c) => ({ alpha: c.a.float('alpha', 0.2), beta: c.a.float('beta', 0.5) })),
  HardSwish: unary('HardSwish'),
  Tanh: unary('Tanh'),
  Elu: unary('Elu', (c) => ({ alpha: c.a.float('alpha', 1) })),
  Selu: unary('Selu', (c) => ({
    alpha: c.a.float('alpha', 1.67326319217681884765625),
    gamma: c.a.float('gamma', 1.05070102214813232421875),
  })),
  Softplus: unary('Softplus'),
  Softsign: unary('Softsign'),
  ThresholdedRelu: unary('ThresholdedRelu', (c) => ({ alpha: c.a.float('alpha', 1) })),
  Clip: clip,
  Softmax: softmax('Softmax'),
  LogSoftmax: softmax('LogSoftmax'),
  Identity: identityOp,
  Dropout: dropout,
  Transpose: transpose,
  Reshape: reshape,
  Flatten: flatten,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Concat: concat,
  Cast: cast,
  Shape: shapeOp,
  ConstantOfShape: constantOfShape,
  Range: rangeOp,
  Constant: constant,
};

