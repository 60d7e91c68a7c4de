/**
 * Float reference kernels for static data selection: Slice, Tile, Expand and Gather (constant
 * indices) — each output element copies one input element, so each is written as its index
 * rule over the full run-time shape (run-time leading dims are taken whole) — and Embedding,
 * the lookup of constant table rows by run-time integer indices. The fixed-point simulator and
 * the HLS emitter reuse the first four as index maps (movementIndexMap).
 */
import { NnInputError } from '../../../util/tensor.js';
import { type Kernel, type KernelTable, type RtTensor, tensor } from '../tensor.js';

/** out[j] = x[src(j's multi-index)], walking the output with an odometer. */
function pick(x: RtTensor, outShape: readonly number[], src: (d: number, k: number) => number): RtTensor {
  const r = outShape.length;
  const xs = new Array<number>(x.shape.length).fill(1);
  for (let i = x.shape.length - 2; i >= 0; i--) xs[i] = xs[i + 1]! * x.shape[i + 1]!;
  const out = tensor(outShape);
  const idx = new Array<number>(r).fill(0);
  const n = out.data.length;
  for (let j = 0; j < n; j++) {
    let off = 0;
    for (let d = 0; d < r; d++) off += src(d, idx[d]!) * xs[d]!;
    out.data[j] = x.data[off]!;
    for (let d = r - 1; d >= 0; d--) {
      if (++idx[d]! < outShape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

const slice: Kernel<'Slice'> = (node, ins, outShapes) => {
  const x = ins[0]!;
  const lead = x.shape.length - node.attrs.starts.length;
  const { starts, steps } = node.attrs;
  return [pick(x, outShapes[0]!, (d, k) => (d < lead ? k : starts[d - lead]! + k * steps[d - lead]!))];
};

const tile: Kernel<'Tile'> = (_node, ins, outShapes) => {
  const x = ins[0]!;
  return [pick(x, outShapes[0]!, (d, k) => k % x.shape[d]!)];
};

const expand: Kernel<'Expand'> = (_node, ins, outShapes) => {
  const x = ins[0]!;
  const out = outShapes[0]!;
  // Right-align x against the output: missing leading dims and size-1 dims repeat.
  const off = out.length - x.shape.length;
  const xr: RtTensor = { shape: [...new Array<number>(off).fill(1), ...x.shape], data: x.data };
  return [pick(xr, out, (d, k) => (xr.shape[d] === 1 ? 0 : k))];
};

const gather: Kernel<'Gather'> = (node, ins, outShapes) => {
  const x = ins[0]!;
  const ax = x.shape.length + node.attrs.axis;
  const k = node.attrs.indicesShape.length;
  const is = node.attrs.indicesShape;
  const { indices } = node.attrs;
  // View the output as [pre..., idx..., post...]; collapse the idx dims into one flat index.
  const out = outShapes[0]!;
  const viewShape = [...out.slice(0, ax), is.reduce((p, d) => p * d, 1), ...out.slice(ax + k)];
  const res = pick(x, viewShape, (d, kk) => (d === ax ? indices[kk]! : kk));
  return [tensor(out, res.data)];
};

const embedding: Kernel<'Embedding'> = (node, ins, outShapes) => {
  const idx = ins[0]!;
  const table = ins[1]!;
  const rows = table.shape[0]!;
  const row = table.data.length / rows;
  const out = tensor(outShapes[0]!);
  for (let i = 0; i < idx.data.length; i++) {
    let v = idx.data[i]!;
    if (!Number.isInteger(v) || v < -rows || v >= rows) {
      throw new NnInputError(`node '${node.name}' (Embedding): index ${v} at element ${i} is not an integer in [${-rows}, ${rows})`);
    }
    if (v < 0) v += rows;
    out.data.set(table.data.subarray(v * row, (v + 1) * row), i * row);
  }
  return [out];
};

export const selectKernels: KernelTable = { Slice: slice, Tile: tile, Expand: expand, Gather: gather, Embedding: embedding };
