/**
 * Format-neutral builders for reductions and static data selection on model values: reduce
 * over model axes, arg-max/min, strided slice, take by constant indices, tile, expand (and
 * embedding lookups of a constant table by run-time indices). Constants fold; computed values
 * emit one IR node whose attributes are in the IR's own dims. Reductions keep the input's
 * layout; selections work on the model's plain layout (at most one Transpose before them).
 * Touching the batch dim is a BatchCrossing, as everywhere in the importer.
 */
import { numel } from '../../ir/graph.js';
import type { ReduceFn } from '../../ir/ops.js';
import * as K from './const-eval.js';
import type { Ctx } from './context.js';
import { BATCH, batchFirstPerm, type ConstT, type Dyn, type OVal } from './importer.js';

/** Normalized non-negative model axes (sorted, unique); fails on out-of-range ones. */
export function modelAxes(c: Ctx, axes: readonly number[], rank: number): number[] {
  const out = [...new Set(axes.map((a) => (a < 0 ? a + rank : a)))].sort((p, q) => p - q);
  if (out.some((a) => a < 0 || a >= rank)) c.fail(`axes [${axes.join(',')}] out of range for rank ${rank}`);
  return out;
}

/** The layout of a value after removing model dims `gone` (whose IR dims are removed too). */
function dropDims(perm: readonly number[], gone: readonly number[]): number[] {
  const irGone = gone.map((a) => perm[a]!);
  return perm.flatMap((p, i) => (gone.includes(i) ? [] : [p - irGone.filter((q) => q < p).length]));
}

function irAxes(c: Ctx, x: Dyn, axes: readonly number[]): number[] {
  const R = x.perm.length;
  return axes.map((a) => {
    const p = x.perm[a]!;
    if (c.imp.batched && p === 0) c.imp.cross(`${c.where}: reduces over the batch dim`);
    return p - R;
  });
}

/** Reduction over model `axes` (non-negative, all dims when empty). */
export function reduceOp(c: Ctx, fn: ReduceFn, x: OVal, axes0: readonly number[], keepdims: boolean): OVal {
  const R = x.kind === 'dyn' ? x.perm.length : x.t.shape.length;
  const axes = axes0.length === 0 ? Array.from({ length: R }, (_, i) => i) : modelAxes(c, axes0, R);
  if (x.kind === 'const') {
    return { kind: 'const', t: c.fold('Reduce', { fn, axes: axes.map((a) => a - R), keepdims }, [x.t])[0]! };
  }
  const [o] = c.imp.emit('Reduce', c.name, [x.ir], { fn, axes: irAxes(c, x, axes).sort((p, q) => p - q), keepdims });
  return c.imp.dyn(o!, keepdims ? x.perm : dropDims(x.perm, axes));
}

export function argOp(c: Ctx, op: 'ArgMax' | 'ArgMin', x: OVal, axis: number, keepdims: boolean, selectLast: boolean): OVal {
  const R = x.kind === 'dyn' ? x.perm.length : x.t.shape.length;
  const [a] = modelAxes(c, [axis], R);
  if (x.kind === 'const') return { kind: 'const', t: c.fold(op, { axis: a! - R, keepdims, selectLast }, [x.t])[0]! };
  const [o] = c.imp.emit(op, c.name, [x.ir], { axis: irAxes(c, x, [a!])[0]!, keepdims, selectLast });
  return c.imp.dyn(o!, keepdims ? x.perm : dropDims(x.perm, [a!]));
}

/** The plain IR value of x and its own dims (the batch dim dropped). */
function plainOwn(c: Ctx, x: Dyn): { ir: string; shape: number[] } {
  const ir = c.imp.plain(x, c.name);
  return { ir, shape: [...c.imp.irShape(ir)] };
}

/** Model-order [start, step, count] per dim, from ONNX-style (clamped) starts/ends/axes/steps. */
export function sliceOp(c: Ctx, x: OVal, starts: readonly number[], ends: readonly number[], axes: readonly number[], steps: readonly number[]): OVal {
  if (x.kind === 'const') return { kind: 'const', t: K.slice(x.t, [...starts], [...ends], [...axes], [...steps]) };
  const shape = c.imp.modelShape(x);
  const R = shape.length;
  const spec = shape.map((d) => [0, 1, d] as [number, number, number]);
  axes.forEach((a0, i) => {
    const a = a0 < 0 ? a0 + R : a0;
    if (a < 0 || a >= R) c.fail(`axis ${a0} out of range for rank ${R}`);
    if (steps[i] === 0) c.fail('slice step 0 is invalid');
    if (shape[a] === BATCH) {
      if (starts[i] !== 0 || ends[i]! < 2 ** 31 - 1 || (steps[i] ?? 1) !== 1) c.imp.cross(`${c.where}: slices the batch dim`);
      return;
    }
    const [s, e, st] = K.sliceBounds(shape[a]!, starts[i]!, ends[i]!, steps[i] ?? 1);
    const count = st > 0 ? Math.max(0, Math.ceil((e - s) / st)) : Math.max(0, Math.ceil((s - e) / -st));
    spec[a] = [s, st, count];
  });
  if (spec.some(([, , n]) => n === 0)) c.fail('the slice is empty; nn2hls needs non-empty tensors');
  // Work batch-first with the other dims in model order, wherever the model has its batch.
  const p = c.imp.batchPos(x);
  const { ir, perm } = c.imp.sampleMajor(x, c.name);
  const own = p >= 0 ? spec.filter((_, i) => i !== p) : spec;
  if (own.every(([s, st, n], i) => s === 0 && st === 1 && n === c.imp.irShape(ir)[i])) return c.imp.dyn(ir, perm);
  const [o] = c.imp.emit('Slice', c.name, [ir], { starts: own.map((q) => q[0]), steps: own.map((q) => q[1]), shape: own.map((q) => q[2]) });
  return c.imp.dyn(o!, perm);
}

/** numpy take along model `axis` (>= 0) by constant indices; a constant table with run-time indices on axis 0 is an Embedding. */
export function gatherOp(c: Ctx, data: OVal, indices: OVal, axis: number): OVal {
  if (data.kind === 'const' && indices.kind === 'const') return { kind: 'const', t: K.gather(data.t, indices.t, axis) };
  if (data.kind === 'const' && indices.kind === 'dyn') {
    if (axis !== 0) c.fail(`a lookup of run-time indices is supported along axis 0 of the table only (got axis ${axis})`);
    const [o] = c.imp.emit('Embedding', c.name, [c.imp.plain(indices, c.name), c.irConst(data.t, 'table')], {});
    return c.imp.dyn(o!);
  }
  if (indices.kind === 'dyn') return c.fail('Gather with run-time indices into a computed tensor is not supported; the indices must be constant');
  const x = data as Dyn;
  const shape = c.imp.modelShape(x);
  const R = shape.length;
  if (axis < 0 || axis >= R) c.fail(`axis ${axis} out of range for rank ${R}`);
  if (shape[axis] === BATCH) c.imp.cross(`${c.where}: gathers along the batch dim`);
  const len = shape[axis]!;
  const idx = Array.from(indices.t.data, (v) => (v < 0 ? v + len : v));
  if (idx.some((v) => v < 0 || v >= len || !Number.isInteger(v))) c.fail(`indices must lie in [${-len}, ${len})`);
  // Batch-first with the other dims in model order; the batch moves by the indices' rank - 1 when it follows the axis.
  const p = c.imp.batchPos(x);
  const { ir, perm } = c.imp.sampleMajor(x, c.name);
  const [o] = c.imp.emit('Gather', c.name, [ir], { axis: perm[axis]! - R, indices: idx, indicesShape: [...indices.t.shape] });
  const q = p < 0 || p < axis ? p : p + indices.t.shape.length - 1;
  return c.imp.dyn(o!, batchFirstPerm(R - 1 + indices.t.shape.length, q));
}

export function tileOp(c: Ctx, x: OVal, repeats: readonly number[]): OVal {
  if (x.kind === 'const') {
    const t: ConstT = x.t;
    if (repeats.length !== t.shape.length) c.fail(`repeats has ${repeats.length} entries for rank ${t.shape.length}`);
    return { kind: 'const', t: c.fold('Tile', { repeats: [...repeats] }, [t])[0]! };
  }
  const R = x.perm.length;
  if (repeats.length !== R) c.fail(`repeats has ${repeats.length} entries for rank ${R}`);
  if (c.imp.batched && repeats[0] !== 1) c.imp.cross(`${c.where}: repeats along the batch dim`);
  const { ir } = plainOwn(c, x);
  const own = c.imp.batched ? repeats.slice(1) : [...repeats];
  if (own.every((k) => k === 1)) return c.imp.dyn(ir);
  const [o] = c.imp.emit('Tile', c.name, [ir], { repeats: own });
  return c.imp.dyn(o!);
}

export function expandOp(c: Ctx, x: OVal, target: readonly number[]): OVal {
  if (x.kind === 'const') {
    if (target.includes(BATCH)) c.imp.cross(`${c.where}: expands to the batch size`);
    return { kind: 'const', t: K.expand(x.t, [...target]) };
  }
  const shape = c.imp.modelShape(x);
  const r = Math.max(shape.length, target.length);
  const a = [...new Array<number>(r - shape.length).fill(1), ...shape];
  const b = [...new Array<number>(r - target.length).fill(1), ...target];
  // The batch dim expands to itself: a target of 1 (or the declared batch size) there keeps it.
  shape.forEach((d, i) => {
    const j = r - shape.length + i;
    if (d === BATCH && (b[j] === 1 || b[j] === c.imp.declaredBatch)) b[j] = BATCH;
  });
  const out = a.map((d, i) => (d === 1 ? b[i]! : d));
  if (a.some((d, i) => d !== 1 && b[i] !== 1 && b[i] !== d)) c.fail(`[${shape.join(',')}] does not expand to [${target.join(',')}]`);
  if (c.imp.batched && r !== shape.length) c.imp.cross(`${c.where}: expands dims in front of the batch dim`);
  const { ir } = plainOwn(c, x);
  const own = c.imp.batched ? out.slice(1) : out;
  if (numel(own) === numel(c.imp.irShape(ir)) && own.length === c.imp.irShape(ir).length) return c.imp.dyn(ir);
  const [o] = c.imp.emit('Expand', c.name, [ir], { shape: own });
  return c.imp.dyn(o!);
}
