/**
 * Shape arithmetic with the batch kept symbolic. Shape of a batched value gives a shape tensor
 * whose batch entry is the BATCH marker; Gather/Slice/Unsqueeze/Concat of such shape tensors fold
 * as ordinary constants (const-eval.ts moves BATCH along untouched). This file handles what is
 * built *from* such a shape: ConstantOfShape and Expand to a shape holding BATCH give a
 * BatchConst (one sample's worth of data plus the axis where the batch goes), which selections
 * on the other axes, reshapes that keep the batch axis, casts, and recurrent initial states
 * keep per sample. Anything else that meets a BatchConst refuses the batched import with a
 * message naming the tensor (Importer.get), so a batch-dependent value never silently becomes
 * a one-sample constant.
 */
import { numel } from '../../ir/graph.js';
import * as K from './const-eval.js';
import type { Ctx } from './context.js';
import { BATCH, type BatchConst, type ConstT, constOf } from './importer.js';

/** The batch axis of a shape tensor's values, or -1 when it has none; fails on more than one. */
export function batchEntry(c: Ctx, shape: readonly number[], what: string): number {
  const at = shape.flatMap((d, i) => (d === BATCH ? [i] : []));
  if (at.length > 1) c.fail(`${what} ${K.shapeText(constOf([shape.length], shape))} uses the batch size more than once`);
  return at.length === 1 ? at[0]! : -1;
}

/** ConstantOfShape(shape) filled with `fill`, where `shape` holds BATCH once at `axis`. */
export function constantOfBatchShape(shape: readonly number[], axis: number, fill: number, elem: ConstT['elem']): BatchConst {
  const one = shape.map((d, i) => (i === axis ? 1 : d));
  return { kind: 'batchConst', t: constOf(one, new Float64Array(numel(one)).fill(fill), elem), axis };
}

/** Expand of a constant to a target holding BATCH at `axis` (numpy broadcasting, right-aligned). */
export function expandToBatch(c: Ctx, x: ConstT, target: readonly number[], axis: number): BatchConst {
  const r = Math.max(x.shape.length, target.length);
  const at = axis + (r - target.length);
  const padded = [...new Array<number>(r - x.shape.length).fill(1), ...x.shape];
  if (padded[at] !== 1) c.fail(`a constant of shape [${x.shape.join(',')}] cannot expand to the batch size along axis ${at}`);
  return { kind: 'batchConst', t: K.expand(x, target.map((d, i) => (i === axis ? 1 : d))), axis: at };
}

/** Slice of a BatchConst; the batch axis may only be taken whole. */
export function sliceBatchConst(
  c: Ctx,
  v: BatchConst,
  starts: readonly number[],
  ends: readonly number[],
  axes: readonly number[],
  steps: readonly number[],
): BatchConst {
  const R = v.t.shape.length;
  const keep: number[] = [];
  axes.forEach((a0, i) => {
    const a = a0 < 0 ? a0 + R : a0;
    if (a === v.axis) {
      if (starts[i] !== 0 || ends[i]! < 2 ** 31 - 1 || (steps[i] ?? 1) !== 1) c.imp.cross(`${c.where}: slices the batch dim`);
      return;
    }
    keep.push(i);
  });
  const pick = <T>(xs: readonly T[]) => keep.map((i) => xs[i]!);
  return { kind: 'batchConst', t: K.slice(v.t, pick(starts), pick(ends), pick(axes), pick(steps)), axis: v.axis };
}

/** numpy take of a BatchConst along a non-batch `axis` (>= 0) by constant indices. */
export function gatherBatchConst(c: Ctx, v: BatchConst, indices: ConstT, axis: number): BatchConst {
  if (axis === v.axis) c.imp.cross(`${c.where}: gathers along the batch dim`);
  const t = K.gather(v.t, indices, axis);
  return { kind: 'batchConst', t, axis: axis < v.axis ? v.axis + indices.shape.length - 1 : v.axis };
}

/**
 * A reshape of a BatchConst to `target` (model dims, BATCH once for the batch): allowed when
 * the dims before the batch multiply to the same product, so every sample keeps its own data.
 */
export function reshapeBatchConst(c: Ctx, v: BatchConst, target: readonly number[]): BatchConst {
  const at = batchEntry(c, target, 'reshape target');
  if (at < 0 || numel(v.t.shape.slice(0, v.axis)) !== numel(target.slice(0, at))) c.imp.cross(`${c.where}: reshapes across the batch dim`);
  const shape = target.map((d, i) => (i === at ? 1 : d));
  if (numel(shape) !== numel(v.t.shape)) c.fail(`cannot reshape [${v.t.shape.join(',')}] to [${shape.join(',')}]`);
  return { kind: 'batchConst', t: { ...v.t, shape }, axis: at };
}

/** Model shape of a BatchConst with BATCH at its batch axis (what Shape of it gives). */
export function batchConstShape(v: BatchConst): number[] {
  return v.t.shape.map((d, i) => (i === v.axis ? BATCH : d));
}

/** One sample of a BatchConst: its data with the batch axis removed. */
export function perSample(v: BatchConst): ConstT {
  return { ...v.t, shape: v.t.shape.filter((_, i) => i !== v.axis) };
}
