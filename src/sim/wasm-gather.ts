/**
 * The patch gather of the integer WebAssembly sums (issue #13), in two passes instead of one
 * index lookup, branch and conversion per patch element: cvt_f64_i16 converts a block of input
 * raws (integers held as doubles, int16 range) to int16 once, then gather_seg copies the patch
 * rows as segments — runs of consecutive input elements (a kernel row's taps × channels) or
 * runs of padding — 16 bytes at a time. A segment's last vector may spill past its end: the
 * segments are written in ascending order, so the next one overwrites the spill, and the caller
 * leaves 16 bytes of slack after the patch and after the source. segments() builds the list from
 * the same index map (im2col.ts windowIndex, -1 = padding) the per-element gather read.
 */
import { I32, get, set, i32c, add, mul, i32load, f64load, i32store16, v128load, v128store, v128zero, inc, whileLt, ifElse } from './wasm-asm.js';

const ltS = [0x48];

/** cvt_f64_i16(src, n, dst): dst[i] = (int16) trunc(src[i]). Locals: src n dst | end. */
export function cvtBody(): number[] {
  const [src, n, dst, end] = [0, 1, 2, 3];
  return [
    ...get(src),
    ...get(n),
    ...i32c(8),
    ...mul,
    ...add,
    ...set(end),
    ...whileLt(src, get(end), [...get(dst), ...get(src), ...f64load(), 0xaa /* i32.trunc_f64_s */, ...i32store16()], inc(src, i32c(8)), inc(dst, i32c(2))),
  ];
}
export const CVT_LOCALS: [number, number][] = [[1, I32]];

/**
 * gather_seg(src, step, nb, segs, nseg, dst, dstStep): for each of nb samples (src and dst
 * advancing by step and dstStep bytes), for each segment (dstOff, srcOff, bytes) of the table:
 * copy `bytes` (a multiple of 16) from src + srcOff to dst + dstOff, or zeros when srcOff < 0.
 * Locals: src step nb segs nseg dst dstStep | s sp send d o e.
 */
export function gatherSegBody(): number[] {
  const [src, step, nb, segs, nseg, dst, dstStep, s, sp, send, d, o, e] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
  const segment = [
    ...get(dst),
    ...get(sp),
    ...i32load(),
    ...add,
    ...set(d),
    ...get(d),
    ...get(sp),
    ...i32load(8),
    ...add,
    ...set(e),
    ...get(sp),
    ...i32load(4),
    ...set(o),
    ...get(o),
    ...i32c(0),
    ...ltS,
    ...ifElse(
      whileLt(d, get(e), [...get(d), ...v128zero, ...v128store()], inc(d, i32c(16))),
      [...inc(o, get(src)), ...whileLt(d, get(e), [...get(d), ...get(o), ...v128load(), ...v128store()], inc(d, i32c(16)), inc(o, i32c(16)))],
    ),
    ...inc(sp, i32c(12)),
  ];
  return [
    ...get(segs),
    ...get(nseg),
    ...i32c(12),
    ...mul,
    ...add,
    ...set(send),
    ...i32c(0),
    ...set(s),
    ...whileLt(s, get(nb), [...get(segs), ...set(sp)], whileLt(sp, get(send), segment), inc(src, get(step)), inc(dst, get(dstStep)), inc(s, i32c(1))),
  ];
}
export const GATHER_SEG_LOCALS: [number, number][] = [[6, I32]];

/**
 * The segment table of a per-sample index map of int16 elements: (dstOff, srcOff, bytes)
 * triples in bytes, bytes rounded up to 16, srcOff -1 for padding. Consecutive entries join a
 * segment while their sources are consecutive (or both padding).
 */
export function segments(idx: Int32Array): Int32Array {
  const out: number[] = [];
  let i = 0;
  while (i < idx.length) {
    const a = idx[i]!;
    let j = i + 1;
    if (a < 0) while (j < idx.length && idx[j]! < 0) j++;
    else while (j < idx.length && idx[j] === a + (j - i)) j++;
    out.push(2 * i, a < 0 ? -1 : 2 * a, Math.ceil((2 * (j - i)) / 16) * 16);
    i = j;
  }
  return Int32Array.from(out);
}
