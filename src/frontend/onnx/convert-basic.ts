/**
 * Converters for ONNX's elementwise and data-movement ops: arithmetic with broadcasting,
 * activations, Clip, (Log)Softmax, Identity/Dropout, Transpose, Reshape, Flatten,
 * Squeeze/Unsqueeze, Concat, Cast and the shape-arithmetic ops that only ever fold
 * (Shape, Gather, Slice, ConstantOfShape, Range, Expand, Constant). Each keeps the
 * layout of its input where the op allows, so transposes are not materialized needlessly.
 */
import type { ElemType } from '../../ir/graph.js';
import { numel } from '../../ir/graph.js';
import type { OpKind } from '../../ir/ops.js';
import { transposeData } from '../../sim/float/kernels/layout.js';
import { decodeTensorProto } from './tensor-proto.js';
import * as K from './const-eval.js';
import { type Converter, type Ctx, elemOfOnnxType } from './context.js';
import { BATCH, type ConstT, constOf, type Dyn, identity, isIdentity, type OVal } from './importer.js';

const BIN: Record<string, [OpKind, (x: number, y: number, int: boolean) => number]> = {
  Add: ['Add', (x, y) => x + y],
  Sub: ['Sub', (x, y) => x - y],
  Mul: ['Mul', (x, y) => x * y],
  Div: ['Div', (x, y, int) => (int ? Math.trunc(x / y) : x / y)],
  PRelu: ['PRelu', (x, s) => (x < 0 ? s * x : x)],
  Max: ['Max', (x, y) => Math.max(x, y)],
  Min: ['Min', (x, y) => Math.min(x, y)],
};

/** Emits an IR broadcasting binary op for two ONNX operands, keeping a shared layout. */
export function binaryOp(c: Ctx, op: OpKind, a: OVal, b: OVal, f: (x: number, y: number, int: boolean) => number): OVal {
  const imp = c.imp;
  if (a.kind === 'const' && b.kind === 'const') {
    const int = K.isIntElem(a.t.elem) && K.isIntElem(b.t.elem);
    const elem = a.t.elem;
    return { kind: 'const', t: K.broadcast2(a.t, b.t, (x, y) => f(x, y, int), elem) };
  }
  if (a.kind === 'dyn' && b.kind === 'dyn') {
    if (a.perm.length === b.perm.length && a.perm.every((p, i) => p === b.perm[i])) {
      const [o] = imp.emit(op as 'Add', c.name, [a.ir, b.ir], {});
      return imp.dyn(o!, a.perm);
    }
    if (a.perm.length !== b.perm.length) imp.cross(`${c.where}: operands of different rank broadcast over the batch dim`);
    const [o] = imp.emit(op as 'Add', c.name, [imp.plain(a, c.name), imp.plain(b, c.name)], {});
    return imp.dyn(o!);
  }
  const d = (a.kind === 'dyn' ? a : b) as Dyn;
  const k = (a.kind === 'const' ? a : b) as Extract<OVal, { kind: 'const' }>;
  const placed = imp.constFor(k.t, d.perm, c.name, `${c.name}_${a === k ? 'a' : 'b'}`);
  if (placed !== null) {
    const ins = a === d ? [d.ir, placed] : [placed, d.ir];
    const [o] = imp.emit(op as 'Add', c.name, ins, {});
    return imp.dyn(o!, d.perm);
  }
  // The constant has more dims than the tensor: the result grows leading dims.
  imp.cross(`${c.where}: constant of rank ${k.t.shape.length} adds dims in front of the batch dim`);
  const kc = c.irConst(k.t, a === d ? 'b' : 'a');
  const dp = imp.plain(d, c.name);
  const [o] = imp.emit(op as 'Add', c.name, a === d ? [dp, kc] : [kc, dp], {});
  return imp.dyn(o!);
}

const binary: Converter = (c) => {
  const [op, f] = BIN[c.op]!;
  return [binaryOp(c, op, c.input(0), c.input(1), f)];
};

/** Variadic Max/Min (opset 8+ allows any number of inputs). */
const variadic: Converter = (c) => {
  const [op, f] = BIN[c.op]!;
  let acc = c.input(0);
  for (let i = 1; i < c.nIn; i++) acc = binaryOp(c, op, acc, c.input(i), f);
  return [acc];
};

type Unary = Exclude<
  OpKind,
  'Dense' | 'MatMul' | 'Conv' | 'ConvTranspose' | 'MaxPool' | 'AvgPool' | 'GlobalAvgPool' | 'GlobalMaxPool'
>;

function unaryOp(c: Ctx, op: Unary, attrs: object): OVal {
  const x = c.input(0);
  if (x.kind === 'const') return { kind: 'const', t: c.fold(op, attrs as never, [x.t])[0]! };
  const [o] = c.imp.emit(op, c.name, [x.ir], attrs as never);
  return c.imp.dyn(o!, x.perm);
}

const unary =
  (op: Unary, attrs: (c: Ctx) => object = () => ({})): Converter =>
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
    const x = c.input(0);
    const legacy = c.opset < 13;
    const R = x.kind === 'dyn' ? x.perm.length : x.t.shape.length;
    let axis = c.a.int('axis', legacy ? 1 : -1);
    if (axis < 0) axis += R;
    if (axis < 0 || axis >= R) return c.fail(`axis ${c.a.int('axis')} out of range for rank ${R}`);
    if (x.kind === 'const') return [{ kind: 'const', t: c.fold(op, { axis: axis - R, toEnd: legacy }, [x.t])[0]! }];
    if (axis === 0) c.imp.cross(`${c.where}: normalizes over the batch dim`);
    if (legacy) {
      // Normalizing over dims [axis, R) commutes with a layout that keeps that set of dims.
      const tail = x.perm.slice(axis);
      const keeps = tail.every((p) => p >= axis);
      const ir = keeps ? x.ir : c.imp.plain(x, c.name);
      const [o] = c.imp.emit(op, c.name, [ir], { axis: axis - R, toEnd: true });
      return [c.imp.dyn(o!, keeps ? x.perm : identity(R))];
    }
    const [o] = c.imp.emit(op, c.name, [x.ir], { axis: x.perm[axis]! - R, toEnd: false });
    return [c.imp.dyn(o!, x.perm)];
  };
}

const identityOp: Converter = (c) => [c.input(0)];

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
  const shape = x.kind === 'dyn' ? c.imp.onnxShape(x) : x.t.shape;
  return [x, { kind: 'const', t: constOf(shape, new Float64Array(numel(shape)).fill(1), 'bool') }];
};

const transpose: Converter = (c) => {
  const x = c.input(0);
  const R = x.kind === 'dyn' ? x.perm.length : x.t.shape.length;
  const tp = c.a.ints('perm', identity(R).reverse());
  if (tp.length !== R || [...tp].sort((p, q) => p - q).some((p, i) => p !== i)) {
    return c.fail(`perm [${tp.join(',')}] is not a permutation of ${R} dims`);
  }
  if (x.kind === 'const') {
    return [{ kind: 'const', t: { shape: tp.map((p) => x.t.shape[p]!), data: transposeData(x.t.data, x.t.shape, tp), elem: x.t.elem } }];
  }
  return [{ kind: 'dyn', ir: x.ir, perm: tp.map((p) => x.perm[p]!) }];
};

/** Reshapes a tensor to a full ONNX target shape (0 and -1 already resolved except for batch handling). */
export function reshapeTo(c: Ctx, x: OVal, target: number[]): OVal {
  if (x.kind === 'const') {
    if (numel(target) !== numel(x.t.shape)) return c.fail(`cannot reshape [${x.t.shape}] to [${target}]`);
    return { kind: 'const', t: { ...x.t, shape: target } };
  }
  const imp = c.imp;
  const cur = imp.irShape(x.ir);
  let sample = target;
  if (imp.batched) {
    if (target[0] !== BATCH) imp.cross(`${c.where}: reshape to [${target.join(',')}] does not keep the batch dim first`);
    sample = target.slice(1);
  }
  if (numel(sample) !== numel(cur)) return c.fail(`cannot reshape [${imp.onnxShape(x).join(',')}] to [${target.join(',')}]`);
  if (isIdentity(x.perm) && sample.length === cur.length && sample.every((d, i) => d === cur[i])) return x;
  const [o] = imp.emit('Reshape', c.name, [imp.plain(x, c.name)], { shape: sample });
  return imp.dyn(o!);
}

/** Resolves an ONNX Reshape target (0 = copy, -1 = infer) against the input's full shape. */
function resolveTarget(c: Ctx, inShape: readonly number[], spec: readonly number[], allowZero: boolean): number[] {
  const imp = c.imp;
  const out = spec.map((t, i) => (t === 0 && !allowZero ? inShape[i]! : t));
  if (imp.batched) {
    if (out[0] !== BATCH) {
      const rest = out.slice(1);
      const sampleSize = numel(inShape.slice(1));
      if (out[0] === -1 && !rest.includes(-1) && numel(rest) === sampleSize) out[0] = BATCH;
      else if (imp.declaredBatch !== null && out[0] === imp.declaredBatch) out[0] = BATCH;
    }
    if (out[0] === BATCH) {
      const rest = out.slice(1);
      const known = rest.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
      const total = numel(inShape.slice(1));
      return [BATCH, ...rest.map((d) => (d === -1 ? total / known : d))];
    }
    imp.cross(`${c.where}: reshape target ${K.shapeText(constOf(spec, spec))} mixes the batch dim`);
  }
  const known = out.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
  const total = numel(inShape);
  const res = out.map((d) => (d === -1 ? total / known : d));
  if (out.filter((d) => d === -1).length > 1 || res.some((d) => !Number.isInteger(d) || d < 0)) {
    return c.fail(`cannot reshape [${inShape.join(',')}] to [${spec.join(',')}]`);
  }
  return res;
}

function fullShape(c: Ctx, x: OVal): number[] {
  return x.kind === 'dyn' ? c.imp.onnxShape(x) : [...x.t.shape];
}

const reshape: Converter = (c) => {
  const x = c.input(0);
  const spec = c.opset < 5 ? c.a.ints('shape', []) : Array.from(c.constInput(1, 'shape').data);
  const target = resolveTarget(c, fullShape(c, x), spec, c.a.int('allowzero', 0) === 1);
  return [reshapeTo(c, x, target)];
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
  const x = c.input(0);
  const shape = fullShape(c, x);
  const R = shape.length;
  const given = axesOf(c, 1);
  const axes = (given ?? shape.flatMap((d, i) => (d === 1 ? [i] : []))).map((a) => (a < 0 ? a + R : a));
  if (shape[0] === BATCH) {
    // A declared batch of 1 is squeezed by an axis-less Squeeze; either way the batch dim goes.
    if (axes.includes(0) || (!given && c.imp.declaredBatch === 1)) c.imp.cross(`${c.where}: squeezes the batch dim`);
  }
  for (const a of axes) if (shape[a] !== 1) c.fail(`cannot squeeze axis ${a} of size ${shape[a]}`);
  return [reshapeTo(c, x, shape.filter((_, i) => !axes.includes(i)))];
};

const unsqueeze: Converter = (c) => {
  const x = c.input(0);
  const shape = fullShape(c, x);
  const axes = axesOf(c, 1);
  if (!axes) return c.fail('axes are required');
  const R = shape.length + axes.length;
  const norm = axes.map((a) => (a < 0 ? a + R : a)).sort((p, q) => p - q);
  const out = [...shape];
  for (const a of norm) out.splice(a, 0, 1);
  if (norm.includes(0) && x.kind === 'dyn') c.imp.cross(`${c.where}: inserts a dim before the batch dim`);
  return [reshapeTo(c, x, out)];
};

const concat: Converter = (c) => {
  const ins = Array.from({ length: c.nIn }, (_, i) => c.input(i));
  const R = ins[0]!.kind === 'dyn' ? (ins[0] as Dyn).perm.length : (ins[0] as { t: ConstT }).t.shape.length;
  let axis = c.a.int('axis', c.opset < 4 ? 1 : 0);
  if (axis < 0) axis += R;
  if (ins.every((v) => v.kind === 'const')) {
    return [{ kind: 'const', t: K.concat(ins.map((v) => (v as { t: ConstT }).t), axis) }];
  }
  if (axis === 0) c.imp.cross(`${c.where}: concatenates along the batch dim`);
  const dyns = ins.filter((v): v is Dyn => v.kind === 'dyn');
  const p0 = dyns[0]!.perm;
  const shared = ins.every((v) => v.kind === 'dyn' && v.perm.every((p, i) => p === p0[i]));
  if (shared) {
    const [o] = c.imp.emit('Concat', c.name, dyns.map((v) => v.ir), { axis: p0[axis]! - R });
    return [c.imp.dyn(o!, p0)];
  }
  if (ins.some((v) => v.kind === 'const')) c.imp.cross(`${c.where}: concatenates a constant with per-sample tensors`);
  const parts = ins.map((v, i) => (v.kind === 'dyn' ? c.imp.plain(v, c.name) : c.irConst(v.t, `part${i}`)));
  const [o] = c.imp.emit('Concat', c.name, parts, { axis: axis - R });
  return [c.imp.dyn(o!)];
};

const cast: Converter = (c) => {
  const x = c.input(0);
  const to = elemOfOnnxType(c.a.int('to', 1));
  const dt = c.a.int('to', 1);
  if (dt === 8) return c.fail('casting to STRING is not supported');
  if (x.kind === 'const') return [{ kind: 'const', t: K.cast(x.t, to) }];
  const fromElem = c.imp.irShape(x.ir) && (c.imp.values.get(x.ir)!.elem as ElemType);
  if (to === 'float32' || to === fromElem) return [x];
  return c.fail(`casting a computed ${fromElem} tensor to ${to} is not supported (only constant shape arithmetic may be cast to integers)`);
};

const shapeOp: Converter = (c) => {
  const x = c.input(0);
  const shape = fullShape(c, x);
  const R = shape.length;
  const clampIdx = (v: number) => Math.min(R, Math.max(0, v < 0 ? v + R : v));
  const start = clampIdx(c.a.int('start', 0));
  const end = clampIdx(c.a.int('end', R));
  const out = shape.slice(start, Math.max(start, end));
  return [{ kind: 'const', t: constOf([out.length], out, 'int64') }];
};

const gather: Converter = (c) => {
  const data = c.constInput(0, 'data (Gather on computed tensors is not supported)');
  const idx = c.constInput(1, 'indices');
  return [{ kind: 'const', t: K.gather(data, idx, c.a.int('axis', 0)) }];
};

const sliceOp: Converter = (c) => {
  const data = c.constInput(0, 'data (Slice on computed tensors is not supported)');
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
  return [{ kind: 'const', t: K.slice(data, starts, ends, axes, steps) }];
};

const constantOfShape: Converter = (c) => {
  const shape = Array.from(c.constInput(0, 'shape').data);
  if (shape.includes(BATCH)) c.imp.cross(`${c.where}: builds a per-sample constant`);
  const vt = c.a.tensor('value');
  const v = vt ? decodeTensorProto(vt, c.where) : undefined;
  const fill = v ? Number(v.data[0] ?? 0) : 0;
  const elem = vt ? elemOfOnnxType(vt.dataType ?? 1) : 'float32';
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

const expand: Converter = (c) => {
  const x = c.constInput(0, 'input (Expand of computed tensors is not supported)');
  const shape = Array.from(c.constInput(1, 'shape').data);
  if (shape.includes(BATCH)) c.imp.cross(`${c.where}: expands to the batch size`);
  return [{ kind: 'const', t: K.expand(x, shape) }];
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
  Gather: gather,
  Slice: sliceOp,
  ConstantOfShape: constantOfShape,
  Range: rangeOp,
  Expand: expand,
  Constant: constant,
};

