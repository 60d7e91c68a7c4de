/**
 * Bit-accurate kernels of the attention ops: MatMul of two tensors (run-time or one constant)
 * and LayerNorm. MatMul follows the weighted-sum semantics of Dense (docs/fixed-point.md):
 * acc = 0 in the accumulator type A; for k ascending acc = cast(acc + a·b → A) with the exact
 * product; y = cast(acc → Y). The derived accumulator holds every partial sum, so its per-term
 * casts are identities and the kernel sums integers; any other accumulator takes the per-term
 * path. Batch dims broadcast through matmulMap (src/ir/semantics/index-maps.ts), which the HLS emitter
 * reads too. LayerNorm's steps are documented at its kernel below; Gelu is x times a table of Φ.
 */
import { fracBits } from '../../../ir/fixed.js';
import { isConst } from '../../../ir/graph.js';
import { matmulMap } from '../../../ir/semantics/index-maps.js';
import { rawRange } from '../../../ir/precision.js';
import { NnInputError } from '../../../util/tensor.js';
import { accumCast, checkWidth, maxAbsRaw, productCast, resultCast } from '../casts.js';
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

/** The even shift s with v = m·2^s, m in [2^(t−2), 2^t) (v >= 1): s = (bitlen(v) − t) rounded up to even. */
export function normShift(v: number, t: number): number {
  let p = 0;
  while (2 ** p <= v) p++;
  const s = p - t;
  return s % 2 === 0 ? s : s + 1;
}

/**
 * LayerNorm per row of N elements (docs/fixed-point.md, "LayerNorm"; types and integers from
 * the quantize pass): sum exact; d = N·x − sum exact; v = Σ raw(d)² + eps exact; v = m·2^s
 * (m = v >> s, or v << −s) indexes the 1/sqrt table at m − 2^(t−2); rstd = entry·2^(−s/2)
 * exactly (raw entry << (h_max − s/2)); z = cast(raw(d)·rstd → norm); y = cast(z·gamma + beta → Y).
 */
const layerNorm: FixedKernel<'LayerNorm'> = (node, ctx) => {
  const where = `node '${node.name}' (LayerNorm)`;
  const X = ctx.value(node.inputs[0]!);
  const xT = X.fixed!;
  const yT = ctx.value(node.outputs[0]!).fixed!;
  checkWidth(yT, `${where} result`);
  const p = node.prec;
  const spec = p?.tables?.['rsqrt'];
  const ints = p?.ints;
  const normT = p?.types?.['norm'];
  const rstdT = p?.types?.['rstd'];
  if (!spec || !ints || !normT || !rstdT) throw new Error(`${where}: no 1/sqrt table or derived constants (run the quantize pass)`);
  const N = X.shape.slice(X.shape.length + node.attrs.axis).reduce((q, d) => q * d, 1);
  const gT = ctx.value(node.inputs[1]!).fixed!;
  const g = ctx.constRaws(node.inputs[1]!);
  const bT = node.inputs[2] ? ctx.value(node.inputs[2]).fixed! : undefined;
  const b = node.inputs[2] ? ctx.constRaws(node.inputs[2]) : undefined;
  const tab = ctx.constRaws(spec.value);
  const tabT = ctx.value(spec.value).fixed!;
  const { eps, mant: t, hmax } = ints;
  const base = 2 ** (t - 2);
  // z = raw(d)·rstd: d's raw (an integer) times rstd = sqrt(N)/sqrt(v), the standardized value.
  const toNorm = productCast(fracBits(rstdT), normT, ctx.stats, N * 2 ** xT.width, maxAbsRaw(tabT) * 2 ** (fracBits(rstdT) - fracBits(tabT)));
  const fp = fracBits(normT) + fracBits(gT);
  const f = bT ? Math.max(fp, fracBits(bT)) : fp;
  const sp = 2 ** (f - fp);
  const sb = bT ? 2 ** (f - fracBits(bT)) : 0;
  const out = resultCast(f, yT, ctx.stats);
  if (maxAbsRaw(normT) * maxAbsRaw(gT) * sp + (bT ? maxAbsRaw(bT) * sb : 0) >= TWO53) {
    throw new NnInputError(`${where}: its scale and bias types are too wide for an exact sum below 2^53; give this layer narrower weight/bias types`);
  }
  const d = new Float64Array(N);
  return (ins) => {
    const x = ins[0]!;
    const y = new Float64Array(x.length);
    for (let o = 0; o < x.length; o += N) {
      let sum = 0;
      for (let i = 0; i < N; i++) sum += x[o + i]!;
      let v = eps;
      for (let i = 0; i < N; i++) {
        d[i] = N * x[o + i]! - sum;
        v += d[i]! * d[i]!;
      }
      const s = normShift(v, t);
      const m = s >= 0 ? Math.floor(v / 2 ** s) : v * 2 ** -s;
      const idx = Math.min(spec.size - 1, Math.max(0, m - base));
      const r = tab[idx]! * 2 ** (hmax - s / 2);
      for (let i = 0; i < N; i++) {
        const z = toNorm(d[i]!, r);
        y[o + i] = out(z * g[i]! * sp + (b ? b[i]! * sb : 0));
      }
    }
    return [y];
  };
};

/** Gelu: y = cast(x · Φ[idx(x)] → Y), the exact product of x and its table entry. */
const gelu: FixedKernel<'Gelu'> = (node, ctx) => {
  const xT = ctx.value(node.inputs[0]!).fixed!;
  const yT = ctx.value(node.outputs[0]!).fixed!;
  checkWidth(yT, `node '${node.name}' (Gelu)`);
  const spec = node.prec?.tables?.['cdf'];
  if (!spec) throw new Error(`node '${node.name}' (Gelu): no lookup table (run the quantize pass)`);
  const tT = ctx.value(spec.value).fixed!;
  const tab = ctx.constRaws(spec.value);
  const c = productCast(fracBits(xT) + fracBits(tT), yT, ctx.stats, maxAbsRaw(xT), maxAbsRaw(tT));
  const div = 2 ** spec.shift;
  return (ins) => [
    ins[0]!.map((r) => {
      let i = Math.floor((r - spec.base) / div);
      i = i < 0 ? 0 : i >= spec.size ? spec.size - 1 : i;
      return c(r, tab[i]!);
    }),
  ];
};

export const attentionFixedKernels: FixedKernelTable = {
  MatMul: matmul,
  LayerNorm: layerNorm,
  Gelu: gelu,
};
