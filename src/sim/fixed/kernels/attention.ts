/**
 * Bit-accurate kernels of the attention ops: MatMul of two tensors (run-time or one constant)
 * and LayerNorm. MatMul follows the weighted-sum semantics of Dense (docs/fixed-point.md):
 * acc = 0 in the accumulator type A; for k ascending acc = cast(acc + a·b → A) with the exact
 * product; y = cast(acc → Y). The derived accumulator holds every partial sum, so its per-term
 * casts are identities and the kernel sums integers; any other accumulator takes the per-term
 * path. Batch dims broadcast through matmulMap (src/ir/index-maps.ts), which the HLS emitter
 * reads too. LayerNorm's steps are documented at its kernel below.
 */
import { fracBits } from '../../../ir/fixed.js';
import { isConst } from '../../../ir/graph.js';
import { matmulMap } from '../../../ir/index-maps.js';
import { rawRange } from '../../../ir/precision.js';
import { NnInputError } from '../../../util/tensor.js';
import { accumCast, checkWidth, maxAbsRaw, resultCast } from '../casts.js';
import type { FixedKernel, FixedKernelTable } from '../kernel.js';

const TWO53 = 2 ** 53;

const matmul: FixedKernel<'MatMul'> = (node, ctx) => {
  const where = `node '${node.name}' (MatMul)`;
  const A = ctx.value(node.inputs[0]!);
  const B = ctx.value(node.inputs[1]!);
  const Y = ctx.value(node.outputs[0]!);
  const acc = node.prec?.accum;
  if (!acc) throw new Error(`${where}: no accumulator type (run the quantize pass)`);
  checkWidth(acc, `${where} accumulator`);
  checkWidth(Y.fixed!, `${where} result`);
  const { m, k: K, n: N, batch, aOff, bOff } = matmulMap(A.shape, B.shape);
  const fp = fracBits(A.fixed!) + fracBits(B.fixed!);
  const fa = fracBits(acc);
  const [lo, hi] = rawRange(acc);
  const pmax = maxAbsRaw(A.fixed!) * maxAbsRaw(B.fixed!);
  const f = Math.max(fa, fp);
  if (maxAbsRaw(acc) * 2 ** (f - fa) + pmax * 2 ** (f - fp) >= TWO53 || pmax * K * 2 ** (f - fp) >= TWO53) {
    throw new NnInputError(`${where}: products of these operand types summed over ${K} terms can exceed 2^53 raws; give this layer narrower types`);
  }
  // Exact when A is on the product grid (or finer) and holds K products at the extremes.
  const exact = fa >= fp && K * pmax * 2 ** (fa - fp) <= Math.min(hi, -lo);
  const out = resultCast(fa, Y.fixed!, ctx.stats);
  const sa = 2 ** (f - fa);
  const sp = 2 ** (f - fp);
  const toA = accumCast(f, acc, ctx.stats);
  const scale = 2 ** (fa - fp);
  const aConst = isConst(A) ? ctx.constRaws(A.name) : undefined;
  const bConst = isConst(B) ? ctx.constRaws(B.name) : undefined;
  const aSize = A.shape.reduce((p, d) => p * d, 1);
  const bSize = B.shape.reduce((p, d) => p * d, 1);
  const ySize = batch * m * N;
  return (ins, n) => {
    const y = new Float64Array(n * ySize);
    const a = aConst ?? ins[0]!;
    const b = bConst ?? ins[1]!;
    for (let s = 0; s < n; s++) {
      const as = aConst ? 0 : s * aSize;
      const bs = bConst ? 0 : s * bSize;
      for (let bi = 0; bi < batch; bi++) {
        const ao = as + aOff[bi]!;
        const bo = bs + bOff[bi]!;
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < N; j++) {
            let v = 0;
            if (exact) {
              for (let k = 0; k < K; k++) v += a[ao + i * K + k]! * b[bo + k * N + j]!;
              v *= scale;
            } else {
              for (let k = 0; k < K; k++) v = toA(v * sa + a[ao + i * K + k]! * b[bo + k * N + j]! * sp);
            }
            y[s * ySize + (bi * m + i) * N + j] = out(v);
          }
        }
      }
    }
    return [y];
  };
};

export const attentionFixedKernels: FixedKernelTable = {
  MatMul: matmul,
};
