/**
 * The all-terms float sums of a Dense or Conv layer (issue #13), a function of wasm-float.ts's
 * module (kept apart for size): gemm_f64_dense adds x·w for every input, zeros included, two
 * rows at a time so each weight vector is loaded once for both — no compaction pass, which makes
 * it the cheaper kernel when most inputs are not 0. It is used only where it gives gemm_f64's
 * bits exactly (see below and FloatGemm in wasm-float.ts).
 */
import { get, set, i32c, add, mul, i32load, f32load, v128load, v128store, f64x2splat, f64x2add, f64x2mul, inc, whileLt, simd } from './wasm-asm.js';

const promote = [0xbb];
const select = [0x1b];
const v128zeroConst = [...simd(0x0c), ...new Array<number>(16).fill(0)];

/**
 * gemm_f64_dense(x, nb, sstride, idx, R, K, nquad, w, init, y, yStride, z): the sums of gemm_f64
 * for whole quads (M a multiple of 8) with every term added, zeros included, two rows at a
 * time sharing each weight load: sample s at x + s·sstride bytes, idx byte offsets into it
 * (padding pointing at a 0 the caller put there); an odd last row is paired with itself. The
 * float32 results equal gemm_f64's where every weight is finite and no init is −0 (FloatGemm
 * checks): then a term x·w with x = ±0 is ±0, and acc + ±0 = acc for every acc that is not −0,
 * which acc never is (it starts as init, and a sum is −0 only when both addends are).
 */
export function gemmDenseBody(relu: boolean): number[] {
  const [x, nb, sstride, idx, R, K, nquad, w, init, y, yStride, z] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const [s, xs, r, ip0, ip1, q, wp, pa, pb, pend, yc0, yc1, zd, ib, yrow, ysam, k4, ys4] = [12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29];
  const [s0, s1, tmp] = [30, 31, 32];
  const A = [33, 34, 35, 36];
  const B = [37, 38, 39, 40];
  const W = [41, 42, 43, 44];
  const join = [...simd(0x0d), 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];
  const demoteZero = simd(0x5e);
  // The 8 sums of one row rounded to float32 (two vectors) at yc, and their Relu at yc + zd.
  const quadStore = (acc: number[], yc: number) => {
    const half = (a: number, b: number, off: number) => [
      ...[...get(acc[a]!), ...demoteZero, ...get(acc[b]!), ...demoteZero, ...join, ...set(tmp)],
      ...[...get(yc), ...get(tmp), ...v128store(off)],
      ...(relu ? [...get(yc), ...get(zd), ...add, ...get(tmp), ...get(tmp), ...v128zeroConst, ...simd(0x44) /* f32x4.gt */, ...simd(0x4e) /* v128.and */, ...v128store(off)] : []),
    ];
    return [...half(0, 1, 0), ...half(2, 3, 16)];
  };
  const ltS = 0x48;
  const splatX = (p: number, dst: number) => [...get(xs), ...get(p), ...i32load(), ...add, ...f32load(), ...promote, ...f64x2splat, ...set(dst)];
  const kLoop = whileLt(
    pa,
    get(pend),
    splatX(pa, s0),
    splatX(pb, s1),
    W.flatMap((wl, i) => [...get(wp), ...v128load(16 * i), ...set(wl)]),
    A.flatMap((a, i) => [...get(a), ...get(s0), ...get(W[i]!), ...f64x2mul, ...f64x2add, ...set(a)]),
    B.flatMap((b, i) => [...get(b), ...get(s1), ...get(W[i]!), ...f64x2mul, ...f64x2add, ...set(b)]),
    inc(wp, i32c(64)),
    inc(pa, i32c(4)),
    inc(pb, i32c(4)),
  );
  const quadLoop = whileLt(
    q,
    get(nquad),
    [...A, ...B].flatMap((a, i) => [...get(ib), ...v128load(16 * (i % 4)), ...set(a)]),
    [...get(ip0), ...set(pa)],
    [...get(ip1), ...set(pb)],
    [...get(ip0), ...get(k4), ...add, ...set(pend)],
    kLoop,
    quadStore(A, yc0),
    quadStore(B, yc1),
    inc(ib, i32c(64)),
    inc(yc0, i32c(32)),
    inc(yc1, i32c(32)),
    inc(q, i32c(1)),
  );
  // Second row of the pair: the next one, or the same one when r is the last.
  const pick = (dst: number, base: number, step: number) => [...get(base), ...get(step), ...add, ...get(base), ...get(r), ...i32c(1), ...add, ...get(R), ltS, ...select, ...set(dst)];
  return [
    ...[...get(z), ...get(y), 0x6b /* i32.sub */, ...set(zd)],
    ...[...get(K), ...i32c(4), ...mul, ...set(k4)],
    ...[...get(yStride), ...i32c(4), ...mul, ...set(ys4)],
    ...[...get(x), ...set(xs)],
    ...[...get(y), ...set(ysam)],
    ...i32c(0),
    ...set(s),
    ...whileLt(
      s,
      get(nb),
      [...get(idx), ...set(ip0)],
      [...get(ysam), ...set(yrow)],
      [...i32c(0), ...set(r)],
      whileLt(
        r,
        get(R),
        pick(ip1, ip0, k4),
        pick(yc1, yrow, ys4),
        [...get(yrow), ...set(yc0)],
        [...get(w), ...set(wp)],
        [...get(init), ...set(ib)],
        [...i32c(0), ...set(q)],
        quadLoop,
        inc(ip0, [...get(k4), ...i32c(2), ...mul]),
        inc(yrow, [...get(ys4), ...i32c(2), ...mul]),
        inc(r, i32c(2)),
      ),
      inc(xs, get(sstride)),
      inc(ysam, [...get(ys4), ...get(R), ...mul]),
      inc(s, i32c(1)),
    ),
  ];
}
