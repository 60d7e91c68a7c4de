/**
 * Float reference kernels for ops that move data without arithmetic: Reshape (a new view of the
 * same row-major data), Transpose of the value's own dims (leading run-time dims stay first),
 * and Concat along a (negative) axis.
 */
import { type Kernel, type KernelTable, tensor } from '../tensor.js';

const reshape: Kernel<'Reshape'> = (_node, ins, outShapes) => [tensor(outShapes[0]!, ins[0]!.data)];

/** Permutes the last perm.length dims of `data` (shape `shape`); leading dims are batches. */
export function transposeData<T extends Float32Array | Float64Array>(data: T, shape: readonly number[], perm: readonly number[]): T {
  const r = perm.length;
  const own = shape.slice(shape.length - r);
  const blk = own.reduce((p, d) => p * d, 1);
  const nb = blk === 0 ? 0 : data.length / blk;
  const inStr = new Array<number>(r);
  let acc = 1;
  for (let i = r - 1; i >= 0; i--) {
    inStr[i] = acc;
    acc *= own[i]!;
  }
  const outShape = perm.map((p) => own[p]!);
  const srcStr = perm.map((p) => inStr[p]!);
  // Dims of size 1 moving around change no element's place (NCHW -> NHWC with one channel).
  const moved = perm.filter((p) => own[p]! !== 1);
  if (moved.every((p, i) => i === 0 || p > moved[i - 1]!)) return data.slice() as T;
  const out = (data instanceof Float64Array ? new Float64Array(data.length) : new Float32Array(data.length)) as T;
  // The source offset of every output element of one block, once; then a gather per block.
  const map = new Int32Array(blk);
  const idx = new Array<number>(r).fill(0);
  let src = 0;
  for (let o = 0; o < blk; o++) {
    map[o] = src;
    for (let d = r - 1; d >= 0; d--) {
      idx[d]!++;
      src += srcStr[d]!;
      if (idx[d]! < outShape[d]!) break;
      src -= srcStr[d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
  for (let b = 0; b < nb; b++) {
    const base = b * blk;
    for (let o = 0; o < blk; o++) out[base + o] = data[base + map[o]!]!;
  }
  return out;
}

const transpose: Kernel<'Transpose'> = (node, ins, outShapes) => [
  tensor(outShapes[0]!, transposeData(ins[0]!.data, ins[0]!.shape, node.attrs.perm)),
];

const concat: Kernel<'Concat'> = (node, ins, outShapes) => {
  const outShape = outShapes[0]!;
  const r = outShape.length;
  const ax = r + node.attrs.axis;
  let outer = 1;
  for (let d = 0; d < ax; d++) outer *= outShape[d]!;
  let inner = 1;
  for (let d = ax + 1; d < r; d++) inner *= outShape[d]!;
  const out = tensor(outShape);
  const rowOut = outShape[ax]! * inner;
  let offset = 0;
  for (const t of ins) {
    const row = t!.shape[ax]! * inner;
    for (let o = 0; o < outer; o++) out.data.set(t!.data.subarray(o * row, (o + 1) * row), o * rowOut + offset);
    offset += row;
  }
  return [out];
};

export const layoutKernels: KernelTable = { Reshape: reshape, Transpose: transpose, Concat: concat };
