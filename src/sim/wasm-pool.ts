/**
 * Max pooling inside the WebAssembly module (issue #13), run on a block of a convolution's
 * ReLU output while it is still in scratch (the executor fuses Conv → Relu → MaxPool): every
 * window lies inside the input with the same shape (the usual 2×2 stride-2 pool), channels
 * last, an even channel count, two channels per f64x2.max. The raws are integers held as
 * doubles, never NaN or -0, so max is exactly the reference's `if (v > m) m = v` from -Infinity.
 */
import { I32, get, set, i32c, add, mul, i32load, v128load, v128store, inc, whileLt, u } from './wasm-asm.js';

const f64x2max = [0xfd, ...u(0xf5)];

/**
 * maxpool_f64(src, nb, inStride, orig, nOut, rel, nTaps, cBytes, dst): for each of nb samples
 * (src advancing inStride bytes), each output pixel op (window origin orig[op], bytes) and each
 * pair of channels: dst ← max over taps t of src + orig[op] + rel[t] + channel offset.
 * Locals: src nb inStride orig nOut rel nTaps cBytes dst | s op base c a tp tend | m.
 */
export function maxPoolBody(): number[] {
  const [src, nb, inStride, orig, nOut, rel, nTaps, cBytes, dst] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [s, op, base, c, a, tp, tend, m] = [9, 10, 11, 12, 13, 14, 15, 16];
  const channelPair = [
    ...get(base),
    ...get(c),
    ...add,
    ...set(a),
    ...get(a),
    ...get(rel),
    ...i32load(),
    ...add,
    ...v128load(),
    ...set(m),
    ...get(rel),
    ...i32c(4),
    ...add,
    ...set(tp),
    ...whileLt(tp, get(tend), [...get(m), ...get(a), ...get(tp), ...i32load(), ...add, ...v128load(), ...f64x2max, ...set(m)], inc(tp, i32c(4))),
    ...get(dst),
    ...get(m),
    ...v128store(),
    ...inc(dst, i32c(16)),
    ...inc(c, i32c(16)),
  ];
  const pixel = [...get(src), ...get(orig), ...get(op), ...i32c(4), ...mul, ...add, ...i32load(), ...add, ...set(base), ...i32c(0), ...set(c), ...whileLt(c, get(cBytes), channelPair), ...inc(op, i32c(1))];
  return [
    ...get(rel),
    ...get(nTaps),
    ...i32c(4),
    ...mul,
    ...add,
    ...set(tend),
    ...i32c(0),
    ...set(s),
    ...whileLt(s, get(nb), [...i32c(0), ...set(op)], whileLt(op, get(nOut), pixel), inc(src, get(inStride)), inc(s, i32c(1))),
  ];
}
export const MAXPOOL_PARAMS = new Array<number>(9).fill(I32);
export const MAXPOOL_LOCALS: [number, number][] = [
  [7, I32],
  [1, 0x7b /* v128 */],
];

/** A max pool fused after a convolution: window origins and tap offsets in input pixels. */
export interface FusedPool {
  /** Per output pixel, the input pixel of its window's first tap. */
  readonly origins: Int32Array;
  /** Tap offsets in input pixels, relative to the first tap. */
  readonly rel: Int32Array;
}

/** Per layer, computed on its first call (a chunk makes one call per layer): window origins and taps in bytes of pixels of M channels. */
const poolBytesOf = new WeakMap<FusedPool, { M: number; origins: Int32Array; rel: Int32Array }>();
export function poolBytes(spec: FusedPool, M: number): { origins: Int32Array; rel: Int32Array } {
  let b = poolBytesOf.get(spec);
  if (!b || b.M !== M) poolBytesOf.set(spec, (b = { M, origins: Int32Array.from(spec.origins, (o) => o * M * 8), rel: Int32Array.from(spec.rel, (o) => o * M * 8) }));
  return b;
}
