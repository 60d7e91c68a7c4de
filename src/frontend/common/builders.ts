/**
 * The IR-building halves of the layer converters, shared by every frontend. A format's
 * converter parses its own attributes (ONNX `auto_pad`/`pads`, TF `padding`/`data_format`,
 * Keras `padding: "same"`) into the plain arguments below and calls one builder, which
 * places the input in the layout the IR op needs, stores or transposes the weights, emits
 * the IR node and returns the result as a model-side value.
 *
 * Layouts: a spatial builder takes `layout`, the permutation such that the model's tensor
 * equals the channels-last IR tensor [N, S..., C] transposed by it. ONNX NCHW is `clPerm(R)`;
 * TensorFlow/Keras NHWC is `identity(R)`. The result keeps that layout, so a chain of NCHW
 * (or NHWC) layers needs no transposes in the IR.
 */
import { numel } from '../../ir/graph.js';
import type { OpKind, ResizeCoordMode, ResizeNearestMode } from '../../ir/ops.js';
import { transposeData } from '../../ir/semantics/float/layout.js';
import * as K from './const-eval.js';
import type { Ctx } from './context.js';
import { BATCH, batchFirstPerm, type ConstT, type Dyn, identity, type OVal } from './importer.js';
import { batchFactor, dimText } from './merged.js';

/** Channels-first [N, C, S...] model tensor = channels-last IR [N, S..., C] transposed by this perm. */
export const clPerm = (R: number): number[] => [0, R - 1, ...identity(R - 2).map((i) => i + 1)];

export function transposeConst(t: ConstT, perm: readonly number[]): ConstT {
  return { shape: perm.map((p) => t.shape[p]!), data: transposeData(t.data, t.shape, [...perm]), elem: t.elem, ...(t.quantized ? { quantized: t.quantized } : {}) };
}

/** Full model-side shape of a value (batch dim as BATCH when dynamic and batched). */
export function shapeOf(c: Ctx, v: OVal): number[] {
  return v.kind === 'const' ? [...v.t.shape] : c.imp.modelShape(v);
}

/** Rank of a value as the model sees it. */
export function rankOf(v: OVal): number {
  return v.kind === 'dyn' ? v.perm.length : v.t.shape.length;
}

/**
 * A weight-like input as an IR value, optionally transposed by `perm` into the IR op's
 * weight layout: constants are stored; computed ones are allowed only in unbatched graphs.
 */
export function paramInput(c: Ctx, v: OVal, base: string, perm?: readonly number[]): string {
  if (v.kind === 'const') return c.irConst(perm ? transposeConst(v.t, perm) : v.t, base);
  c.imp.cross(`${c.where}: ${base} is computed per sample`);
  const plain = c.imp.plain(v, c.name);
  return perm ? c.imp.emit('Transpose', `${c.name}_${base}_t`, [plain], { perm })[0]! : plain;
}

/**
 * Explicit SAME padding of a window op, [begin per spatial dim..., end per spatial dim...].
 * `extraAtEnd` (ONNX SAME_UPPER, TensorFlow and Keras 'same') puts an odd pixel at the end.
 */
export function samePads(inSp: readonly number[], kernel: readonly number[], strides: readonly number[], dil: readonly number[], extraAtEnd = true): number[] {
  const begin: number[] = [];
  const end: number[] = [];
  inSp.forEach((d, i) => {
    const out = Math.ceil(d / strides[i]!);
    const total = Math.max(0, (out - 1) * strides[i]! + (kernel[i]! - 1) * dil[i]! + 1 - d);
    const small = Math.floor(total / 2);
    begin.push(extraAtEnd ? small : total - small);
    end.push(extraAtEnd ? total - small : small);
  });
  return [...begin, ...end];
}

export interface WindowAttrs {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** [begin per spatial dim..., end per spatial dim...]. */
  pads: number[];
}

/**
 * Conv (or ConvTranspose) on `x` laid out by `layout`. `weight` is the IR weight value in the
 * IR layout (Conv: [k..., Cin/group, Cout]; ConvTranspose: [k..., Cin, Cout/group]) — use
 * paramInput with the format's weight permutation (ONNX [O,I,k...] → perm [2..,1,0]; TF
 * [k...,I,O] → none).
 */
export function convLayer(c: Ctx, x: Dyn, layout: readonly number[], weight: string, bias: string | undefined, attrs: WindowAttrs & { group: number }): Dyn {
  const ins = [c.imp.relayout(x, layout, c.name), weight];
  if (bias) ins.push(bias);
  const [o] = c.imp.emit('Conv', c.name, ins, { ...attrs });
  return c.imp.dyn(o!, layout);
}

export function convTransposeLayer(c: Ctx, x: Dyn, layout: readonly number[], weight: string, bias: string | undefined, attrs: WindowAttrs & { group: number; outputPadding: number[] }): Dyn {
  const ins = [c.imp.relayout(x, layout, c.name), weight];
  if (bias) ins.push(bias);
  const [o] = c.imp.emit('ConvTranspose', c.name, ins, { ...attrs });
  return c.imp.dyn(o!, layout);
}

/** MaxPool / AvgPool. `countIncludePad` is read for AvgPool only (TF and Keras SAME: false). */
export function poolLayer(c: Ctx, kind: 'MaxPool' | 'AvgPool', x: Dyn, layout: readonly number[], attrs: WindowAttrs & { ceilMode: boolean; countIncludePad?: boolean }): Dyn {
  const ir = c.imp.relayout(x, layout, c.name);
  const base = { kernel: attrs.kernel, strides: attrs.strides, dilations: attrs.dilations, pads: attrs.pads, ceilMode: attrs.ceilMode };
  const [o] =
    kind === 'MaxPool'
      ? c.imp.emit('MaxPool', c.name, [ir], base)
      : c.imp.emit('AvgPool', c.name, [ir], { ...base, countIncludePad: attrs.countIncludePad ?? false });
  return c.imp.dyn(o!, layout);
}

/** Global pooling keeping the spatial dims as 1s (ONNX GlobalAveragePool, TF Mean keep_dims=true). */
export function globalPoolLayer(c: Ctx, kind: 'GlobalAvgPool' | 'GlobalMaxPool', x: Dyn, layout: readonly number[]): Dyn {
  const [o] = c.imp.emit(kind, c.name, [c.imp.relayout(x, layout, c.name)], { spatialRank: layout.length - 2 });
  return c.imp.dyn(o!, layout);
}

/**
 * Inference batch norm over the channel axis of `x` (the model axis that `layout` maps to the IR's last). Params
 * scale, bias, mean, var must be vectors of the channel count.
 */
export function batchNormLayer(c: Ctx, x: Dyn, layout: readonly number[], params: readonly OVal[], epsilon: number): Dyn {
  const R = x.perm.length;
  const shape = c.imp.modelShape(x);
  const chAxis = layout.indexOf(R - 1);
  const channels = shape[chAxis]!;
  if (channels === BATCH) c.imp.cross(`${c.where}: normalizes over the batch dim`);
  const names = ['scale', 'bias', 'mean', 'variance'];
  params.forEach((p, i) => {
    const ps = shapeOf(c, p);
    if (ps.length !== 1 || ps[0] !== channels) {
      c.fail(`${names[i]} has shape [${ps}] but the input has ${channels} channels (dim ${chAxis} of [${shape}]); the model is invalid`);
    }
  });
  const ins = [c.imp.relayout(x, layout, c.name), ...params.map((p, i) => paramInput(c, p, names[i]!))];
  const [o] = c.imp.emit('BatchNorm', c.name, ins, { epsilon });
  return c.imp.dyn(o!, layout);
}

/** numpy matmul of two model operands: Dense when the right side is a constant matrix. */
export function matmulOp(c: Ctx, a: OVal, b: OVal, bias?: ConstT): OVal {
  const imp = c.imp;
  if (a.kind === 'const' && b.kind === 'const') {
    const p = c.fold('MatMul', {}, [a.t, b.t])[0]!;
    return { kind: 'const', t: bias ? K.broadcast2(p, bias, (x, y) => x + y, p.elem) : p };
  }
  if (a.kind === 'dyn' && b.kind === 'const' && b.t.shape.length === 2) {
    const R = a.perm.length;
    if (R === 1) imp.cross(`${c.where}: contracts over the batch dim`);
    // Dense contracts the IR's last dim: when that is the model's last dim and the batch is not
    // in front, the layout is kept (a [T, N, E] projection in PyTorch attention; moving the batch
    // would refuse the batched import).
    const keep = imp.batched && R > 1 && a.perm[R - 1] === R - 1 && a.perm[0] !== 0;
    const ins = [keep ? a.ir : imp.plain(a, c.name), c.irConst(b.t, 'weight')];
    if (bias) ins.push(c.irConst(bias, 'bias'));
    const [o] = imp.emit('Dense', c.name, ins, {});
    return imp.dyn(o!, keep ? a.perm : undefined);
  }
  const ra = rankOf(a);
  const rb = rankOf(b);
  if (imp.batched) {
    // Batch dim must be a matmul batch dim on every dynamic side and absent from constants.
    if ((a.kind === 'dyn' && ra < 3) || (b.kind === 'dyn' && rb < 3)) imp.cross(`${c.where}: contracts over the batch dim`);
    if ((a.kind === 'const' && ra >= rb) || (b.kind === 'const' && rb >= ra)) {
      imp.cross(`${c.where}: constant operand spans the batch dim`);
    }
  }
  const ia = a.kind === 'dyn' ? imp.plain(a, c.name) : c.irConst(a.t, 'a');
  const ib = b.kind === 'dyn' ? imp.plain(b, c.name) : c.irConst(b.t, 'b');
  const [o] = imp.emit('MatMul', c.name, [ia, ib], {});
  const y = imp.dyn(o!);
  return bias ? binaryOp(c, 'Add', y, { kind: 'const', t: bias }, (p, q) => p + q) : y;
}

/** Emits an IR broadcasting binary op for two model operands (numpy rules), keeping a shared layout. */
export function binaryOp(c: Ctx, op: OpKind, a: OVal, b: OVal, f: (x: number, y: number, int: boolean) => number): OVal {
  const imp = c.imp;
  if (a.kind === 'const' && b.kind === 'const') {
    const int = K.isIntElem(a.t.elem) && K.isIntElem(b.t.elem);
    return { kind: 'const', t: K.broadcast2(a.t, b.t, (x, y) => f(x, y, int), a.t.elem) };
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

/** IR ops taking one tensor and keeping its shape (activations and the like). */
export type UnaryKind = Exclude<OpKind, 'Dense' | 'MatMul' | 'Conv' | 'ConvTranspose' | 'MaxPool' | 'AvgPool' | 'GlobalAvgPool' | 'GlobalMaxPool'>;

/**
 * An elementwise op on `x` (folded when constant), keeping x's layout. The converters' tables
 * pass `op` and its attributes as separate values, so their pairing is not visible to the type
 * checker here; the registry's shape inference (run by emit/fold) is what checks the attrs.
 */
export function unaryOp(c: Ctx, op: UnaryKind, attrs: object, x: OVal = c.input(0)): OVal {
  if (x.kind === 'const') return { kind: 'const', t: c.fold(op, attrs as never, [x.t])[0]! };
  const [o] = c.imp.emit(op, c.name, [x.ir], attrs as never);
  return c.imp.dyn(o!, x.perm);
}

/** (Log)Softmax over model axis `axis` (>= 0), in x's own layout. */
export function softmaxOp(c: Ctx, op: 'Softmax' | 'LogSoftmax', x: OVal, axis: number): OVal {
  const R = rankOf(x);
  if (x.kind === 'const') return { kind: 'const', t: c.fold(op, { axis: axis - R, toEnd: false }, [x.t])[0]! };
  if (axis === 0) c.imp.cross(`${c.where}: normalizes over the batch dim`);
  const [o] = c.imp.emit(op, c.name, [x.ir], { axis: x.perm[axis]! - R, toEnd: false });
  return c.imp.dyn(o!, x.perm);
}

/** A transpose of the model tensor: free (only the layout record changes). */
export function transposeOp(x: OVal, perm: readonly number[]): OVal {
  if (x.kind === 'const') return { kind: 'const', t: transposeConst(x.t, perm) };
  return { kind: 'dyn', ir: x.ir, perm: perm.map((p) => x.perm[p]!) };
}

/**
 * Reshapes a value to a full model target shape (-1 already resolved; BATCH once when batched).
 * The batch may sit anywhere in the input and the target (a sequence-first RNN's [T, N, H]); the
 * reshape is per sample when the dims in front of the batch keep their product, and then runs
 * on the sample-major layout (batch first in the IR, other dims in model order).
 */
export function reshapeTo(c: Ctx, x: OVal, target: number[]): OVal {
  if (x.kind === 'const') {
    if (numel(target) !== numel(x.t.shape)) return c.fail(`cannot reshape [${x.t.shape}] to [${target}]`);
    return { kind: 'const', t: { ...x.t, shape: target } };
  }
  const imp = c.imp;
  const cur = imp.irShape(x.ir);
  let sample = target;
  let q = -1;
  if (imp.batched) {
    const p = imp.batchPos(x);
    const shape = imp.modelShape(x);
    q = target.indexOf(BATCH);
    if (q < 0 || target.lastIndexOf(BATCH) !== q || numel(shape.slice(0, p)) !== numel(target.slice(0, q))) {
      imp.cross(`${c.where}: reshape to [${target.join(',')}] does not keep the batch dim`);
    }
    sample = target.filter((_, i) => i !== q);
  }
  if (numel(sample) !== numel(cur)) return c.fail(`cannot reshape [${imp.modelShape(x).join(',')}] to [${target.join(',')}]`);
  const outPerm = batchFirstPerm(target.length, q);
  if (x.perm.length === target.length && x.perm.every((v, i) => v === outPerm[i]) && sample.every((d, i) => d === cur[i])) return x;
  const { ir } = imp.sampleMajor(x, c.name);
  const [o] = imp.emit('Reshape', c.name, [ir], { shape: sample });
  return imp.dyn(o!, outPerm);
}

/**
 * Resolves a reshape target with at most one -1 against the input's full shape. In a batched
 * import a leading -1 (or the declared batch size) that leaves the sample size intact is the
 * batch dim, as is an entry copied from the input's batch dim (ONNX 0); any other target mixes
 * samples (BatchCrossing).
 */
export function resolveReshape(c: Ctx, inShape: readonly number[], spec: readonly number[]): number[] {
  const imp = c.imp;
  const out = [...spec];
  if (imp.batched) {
    // A dim holding the batch may merge it with others (k·BATCH, see merged.ts): k counts per sample.
    const total = inShape.reduce((p, d) => p * (batchFactor(d) || d), 1);
    if (!out.some((d) => batchFactor(d) > 0)) {
      const rest = out.slice(1);
      if (out[0] === -1 && !rest.includes(-1) && numel(rest) === total) out[0] = BATCH;
      else if (imp.declaredBatch !== null && out[0] === imp.declaredBatch) out[0] = BATCH;
    }
    const qs = out.flatMap((d, i) => (batchFactor(d) > 0 ? [i] : []));
    if (qs.length === 1) {
      const q = qs[0]!;
      const known = out.reduce((p, d, i) => p * (i === q ? batchFactor(d) : d === -1 ? 1 : d), 1);
      const res = out.map((d, i) => (i === q ? d : d === -1 ? total / known : d));
      if (out.filter((d) => d === -1).length > 1 || res.some((d, i) => i !== q && (!Number.isInteger(d) || d < 0))) {
        return c.fail(`cannot reshape [${inShape.map(dimText).join(',')}] to [${spec.map(dimText).join(',')}]`);
      }
      return res;
    }
    imp.cross(`${c.where}: reshape target [${spec.join(',')}] mixes the batch dim`);
  }
  const known = out.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
  const total = numel(inShape);
  const res = out.map((d) => (d === -1 ? total / known : d));
  if (out.filter((d) => d === -1).length > 1 || res.some((d) => !Number.isInteger(d) || d < 0)) {
    return c.fail(`cannot reshape [${inShape.join(',')}] to [${spec.join(',')}]`);
  }
  return res;
}

/** Concatenation along model axis `axis` (>= 0); constants fold, a shared layout is kept. */
export function concatOp(c: Ctx, ins: readonly OVal[], axis: number): OVal {
  const R = rankOf(ins[0]!);
  if (ins.every((v) => v.kind === 'const')) {
    return { kind: 'const', t: K.concat(ins.map((v) => (v as { t: ConstT }).t), axis) };
  }
  if (axis === 0) c.imp.cross(`${c.where}: concatenates along the batch dim`);
  const dyns = ins.filter((v): v is Dyn => v.kind === 'dyn');
  const p0 = dyns[0]!.perm;
  const shared = ins.every((v) => v.kind === 'dyn' && v.perm.every((p, i) => p === p0[i]));
  if (shared) {
    const [o] = c.imp.emit('Concat', c.name, dyns.map((v) => v.ir), { axis: p0[axis]! - R });
    return c.imp.dyn(o!, p0);
  }
  if (ins.some((v) => v.kind === 'const')) c.imp.cross(`${c.where}: concatenates a constant with per-sample tensors`);
  const parts = ins.map((v, i) => (v.kind === 'dyn' ? c.imp.plain(v, c.name) : c.irConst(v.t, `part${i}`)));
  const [o] = c.imp.emit('Concat', c.name, parts, { axis: axis - R });
  return c.imp.dyn(o!);
}

/** Pad with model-order pads [begin per dim..., end per dim...], in x's own layout. */
export function padOp(c: Ctx, x: Dyn, pads: readonly number[], mode: 'constant' | 'edge' | 'reflect', value: number): OVal {
  const R = x.perm.length;
  if (pads.length !== 2 * R) return c.fail(`pads has ${pads.length} entries, expected ${2 * R}`);
  if (pads[0] !== 0 || pads[R] !== 0) c.imp.cross(`${c.where}: pads the batch dim`);
  const irPads = new Array<number>(2 * R).fill(0);
  for (let i = 0; i < R; i++) {
    irPads[x.perm[i]!] = pads[i]!;
    irPads[x.perm[i]! + R] = pads[i + R]!;
  }
  const own = c.imp.batched ? [...irPads.slice(1, R), ...irPads.slice(R + 1)] : irPads;
  const [o] = c.imp.emit('Pad', c.name, [x.ir], { mode, pads: own, value });
  return c.imp.dyn(o!, x.perm);
}

/** Resize with model-order output shape and scales, in x's own layout. */
export function resizeOp(
  c: Ctx,
  x: Dyn,
  r: { mode: 'nearest' | 'linear'; outShape: readonly number[]; scales: readonly number[]; coordMode: ResizeCoordMode; nearestMode: ResizeNearestMode },
): OVal {
  const R = x.perm.length;
  const inShape = c.imp.modelShape(x);
  if (r.outShape.length !== R || r.scales.length !== R) return c.fail(`scales/sizes must have ${R} entries`);
  if (r.scales[0] !== 1 || r.outShape[0] !== inShape[0]) c.imp.cross(`${c.where}: resizes the batch dim`);
  const irScales = new Array<number>(R);
  const irOut = new Array<number>(R);
  for (let i = 0; i < R; i++) {
    irScales[x.perm[i]!] = r.scales[i]!;
    irOut[x.perm[i]!] = r.outShape[i]!;
  }
  const own = (a: number[]) => (c.imp.batched ? a.slice(1) : a);
  const [o] = c.imp.emit('Resize', c.name, [x.ir], {
    mode: r.mode,
    scales: own(irScales),
    outShape: own(irOut),
    coordMode: r.coordMode,
    nearestMode: r.nearestMode,
  });
  return c.imp.dyn(o!, x.perm);
}
