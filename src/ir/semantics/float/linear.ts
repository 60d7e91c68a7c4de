/**
 * Float reference kernels for Dense (x·W + b with W [K, M]) and numpy-style MatMul of two
 * run-time tensors (batched matrix products with broadcast leading dims). Sums accumulate in
 * float64 so the reference is at least as accurate as onnxruntime's float32 GEMM.
 */
import { type Kernel, type KernelTable, type RtTensor, tensor } from '../tensor.js';

const dense: Kernel<'Dense'> = (_node, ins) => {
  const x = ins[0]!;
  const w = ins[1]!;
  const b = ins[2];
  const K = w.shape[0]!;
  const M = w.shape[1]!;
  const rows = x.data.length / K;
  const out = new Float32Array(rows * M);
  const acc = new Float64Array(M);
  const wd = w.data;
  for (let r = 0; r < rows; r++) {
    if (b) for (let m = 0; m < M; m++) acc[m] = b.data[m]!;
    else acc.fill(0);
    const xo = r * K;
    for (let k = 0; k < K; k++) {
      const xv = x.data[xo + k]!;
      if (xv === 0) continue;
      const wo = k * M;
      for (let m = 0; m < M; m++) acc[m]! += xv * wd[wo + m]!;
    }
    out.set(acc, r * M);
  }
  return [tensor([...x.shape.slice(0, -1), M], out)];
};

/** Offset of the matrix selected by `idx` (over broadcast batch dims) in a tensor of batch shape `bs`. */
function batchOffset(idx: readonly number[], bs: readonly number[], matSize: number): number {
  let off = 0;
  let mul = matSize;
  for (let i = bs.length - 1; i >= 0; i--) {
    const d = bs[i]!;
    const j = idx[idx.length - bs.length + i]!;
    off += (d === 1 ? 0 : j) * mul;
    mul *= d;
  }
  return off;
}

const matmul: Kernel<'MatMul'> = (_node, ins, outShapes) => {
  const a0 = ins[0]!;
  const b0 = ins[1]!;
  const aShape = a0.shape.length === 1 ? [1, a0.shape[0]!] : [...a0.shape];
  const bShape = b0.shape.length === 1 ? [b0.shape[0]!, 1] : [...b0.shape];
  const M = aShape[aShape.length - 2]!;
  const K = aShape[aShape.length - 1]!;
  const N = bShape[bShape.length - 1]!;
  const ab = aShape.slice(0, -2);
  const bb = bShape.slice(0, -2);
  const r = Math.max(ab.length, bb.length);
  const batch: number[] = [];
  for (let i = 0; i < r; i++) {
    const da = ab[ab.length - r + i] ?? 1;
    const db = bb[bb.length - r + i] ?? 1;
    batch.push(da === 1 ? db : da);
  }
  const nb = batch.reduce((p, d) => p * d, 1);
  const out = tensor(outShapes[0]!);
  const idx = new Array<number>(r).fill(0);
  const acc = new Float64Array(N);
  for (let bi = 0; bi < nb; bi++) {
    const ao = batchOffset(idx, ab, M * K);
    const bo = batchOffset(idx, bb, K * N);
    const oo = bi * M * N;
    for (let i = 0; i < M; i++) {
      acc.fill(0);
      for (let k = 0; k < K; k++) {
        const av = a0.data[ao + i * K + k]!;
        const brow = bo + k * N;
        for (let j = 0; j < N; j++) acc[j]! += av * b0.data[brow + j]!;
      }
      for (let j = 0; j < N; j++) out.data[oo + i * N + j] = acc[j]!;
    }
    for (let d = r - 1; d >= 0; d--) {
      if (++idx[d]! < batch[d]!) break;
      idx[d] = 0;
    }
  }
  return [out];
};

export const linearKernels: KernelTable = { Dense: dense, MatMul: matmul };

export type { RtTensor };
