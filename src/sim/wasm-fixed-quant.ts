/**
 * The fixed-point simulator's entry cast in the integer WebAssembly module (issue #13): float
 * inputs (float32 or float64) quantized into the raws of a graph input's fixed type, the same
 * as prepareQuantize (src/ir/semantics/apfixed.ts): y = x·2^F is exact, then rounded with the
 * type's quantization mode — floor, trunc, round-to-nearest-even, and the other AP_RND* modes as
 * nearest-even corrected on exact ties, the reference's own steps — then counted and saturated,
 * zeroed or wrapped per the overflow mode, two elements per f64x2 instruction. Where the
 * reference takes its slow branch (|y| >= 2^51, Inf or NaN, or a negative x whose y underflowed
 * to 0 under AP_TRN) the call reports it and the caller runs the JavaScript cast on that block
 * instead, so every raw and count is the reference's. Outputs in the module's memory (the
 * report's arena) are written in place.
 */
import { fracBits, type FixedType } from '../ir/fixed.js';
import { F64, I32, V128, get, set, i32c, inc, ifThen, ifElse, i32eq, u, layout } from './wasm-asm.js';
import { f64c, f64x2, overflowStep, overflowTotal, pairsThenTail, type OverflowLocals } from './wasm-f64x2.js';
import type { Exports } from './wasm-gemm.js';

/** Off: the entry cast uses the JavaScript loop (the tests compare both). */
export const wasmQuant = { enabled: true };

const QUANT_MODES = ['AP_TRN', 'AP_TRN_ZERO', 'AP_RND_CONV', 'AP_RND', 'AP_RND_MIN_INF', 'AP_RND_ZERO', 'AP_RND_INF'] as const;

const f = f64x2;

export const QUANT_PARAMS = [...new Array<number>(6).fill(I32), ...new Array<number>(6).fill(F64)];
export const QUANT_LOCALS: [number, number][] = [
  [2, I32],
  [13, V128],
];

/**
 * quant_f64(x, n, y, f32, q, om, s, min, max, w2, w2inv, half) -> overflows, or −1: for i < n,
 * v = x[i] (float32 when f32 ≠ 0, else float64), t = v·s, k = t rounded per q (QUANT_MODES
 * order), k outside [min, max] counted and clamped (om 0), zeroed (1) or wrapped (2, as in
 * eltwise_f64), y[i] = k + 0. −1 (nothing counted) when some element needs the reference's slow
 * branch. Pairs per f64x2 step, then the odd last one. One loop nest per input type.
 * Locals: x n y f32 q om s min max w2 w2inv half | i cnt | X T K E B CNT S MN MX W2 WI HF ONE.
 */
export function quantBody(): number[] {
  const [x, n, y, f32, q, om, s, minp, maxp, w2, w2inv, half] = Array.from({ length: 12 }, (_, i) => i);
  const [i, cnt] = [12, 13];
  const [X, T, K, E, B, CNT, S, MN, MX, W2, WI, HF, ONE] = Array.from({ length: 13 }, (_, j) => 14 + j);
  const one = (mask: number[]) => [...mask, ...get(ONE), ...f.and]; // 1.0 where the mask is set, +0 elsewhere
  const e = (v: number) => [...get(E), ...f64c(v), ...f.splat, ...f.eq];
  const sign = (cmp: number[]) => [...get(T), ...f.zero, ...cmp];
  const nearestAnd = (adjust: number[]) => [...get(T), ...f.nearest, ...set(K), ...get(K), ...get(T), ...f.sub, ...set(E), ...adjust];
  const round = [
    [...get(T), ...f.floor, ...set(K), ...get(B), ...get(T), ...f.zero, ...f.eq, ...get(X), ...f.zero, ...f.lt, ...f.and, ...f.or, ...set(B)],
    [...get(T), ...f.trunc, ...set(K)],
    [...get(T), ...f.nearest, ...set(K)],
    nearestAnd([...get(K), ...one(e(-0.5)), ...f.add, ...set(K)]),
    nearestAnd([...get(K), ...one(e(0.5)), ...f.sub, ...set(K)]),
    nearestAnd([...get(K), ...one([...e(0.5), ...sign(f.gt), ...f.and]), ...f.sub, ...one([...e(-0.5), ...sign(f.lt), ...f.and]), ...f.add, ...set(K)]),
    nearestAnd([...get(K), ...one([...e(0.5), ...sign(f.lt), ...f.and]), ...f.sub, ...one([...e(-0.5), ...sign(f.gt), ...f.and]), ...f.add, ...set(K)]),
  ];
  const ov: OverflowLocals = { om, cnt, K, mask: E, MN, MX, W2, WI, HF, CNT };
  // The mode is tested per step (always the same way in a call, so predicted): one nest per mode
  // made the module larger, and it is built on every thread.
  let roundAny = round[6]!;
  for (let r = 5; r >= 0; r--) roundAny = [...get(q), ...i32c(r), ...i32eq, ...ifElse(round[r]!, roundAny)];
  const element = (single: boolean, tail: boolean) => {
    const load = tail ? (single ? [...f.load32Splat, ...f.promoteLow] : f.load64Splat) : single ? [...f.load64Zero, ...f.promoteLow] : f.load;
    return [
      ...get(x),
      ...load,
      0x22, ...u(X), // local.tee
      ...get(S),
      ...f.mul,
      0x22, ...u(T),
      // |t| < 2^51 is false for huge, infinite and NaN t: the reference's slow branch.
      ...[...f.abs, ...f64c(2 ** 51), ...f.splat, ...f.lt, ...f.not, ...get(B), ...f.or, ...set(B)],
      ...roundAny,
      ...overflowStep(ov, tail),
      ...[...get(y), ...get(K), ...f.zero, ...f.add, ...(tail ? f.storeLane0 : f.store)],
      ...(tail ? [] : [...inc(y, i32c(16)), ...inc(x, i32c(single ? 8 : 16))]),
    ];
  };
  const nest = (single: boolean) => pairsThenTail(i, n, (tail) => element(single, tail));
  const byMode = [...get(f32), ...ifElse(nest(true), nest(false))];
  const splat = (p: number, l: number) => [...get(p), ...f.splat, ...set(l)];
  return [
    ...splat(s, S),
    ...splat(minp, MN),
    ...splat(maxp, MX),
    ...splat(w2, W2),
    ...splat(w2inv, WI),
    ...splat(half, HF),
    ...f64c(1),
    ...f.splat,
    ...set(ONE),
    ...f.zero,
    ...set(CNT),
    ...f.zero,
    ...set(B),
    ...i32c(0),
    ...set(cnt),
    ...byMode,
    ...get(B),
    ...f.anyTrue,
    ...ifThen(i32c(-1), [0x0f] /* return */),
    ...overflowTotal(ov),
  ];
}

/** quant_f64's parameters for one type. */
export interface QuantPlan {
  readonly q: number;
  readonly om: number;
  readonly s: number;
  readonly min: number;
  readonly max: number;
  readonly w2: number;
  readonly w2inv: number;
  readonly half: number;
}

/**
 * The entry cast of `t` in the module, or null where it does not apply: AP_WRAP with saturation
 * bits, types wider than 52 bits, and scales beyond 2^±1000 (the reference then splits the scale).
 */
export function quantPlan(t: FixedType): QuantPlan | null {
  const F = fracBits(t);
  if (!wasmQuant.enabled || t.width > 52 || Math.abs(F) > 1000 || (t.o === 'AP_WRAP' && t.n !== 0)) return null;
  const w = t.width;
  const max = t.signed ? 2 ** (w - 1) - 1 : 2 ** w - 1;
  const min = t.signed ? (t.o === 'AP_SAT_SYM' ? 0 - max : -max - 1) : 0;
  return {
    q: QUANT_MODES.indexOf(t.q),
    om: t.o === 'AP_SAT' || t.o === 'AP_SAT_SYM' ? 0 : t.o === 'AP_SAT_ZERO' ? 1 : 2,
    s: 2 ** F,
    min,
    max,
    w2: 2 ** w,
    w2inv: 2 ** -w,
    half: t.signed ? 2 ** (w - 1) : 0,
  };
}

/** Elements per call: the block's float32/float64 input and f64 output stay in L2. */
const BLOCK = 1 << 14;

/**
 * y = quantize(x) with plan `p` in module `ex`; `fallback(x, y, from, to)` does elements
 * [from, to) with the JavaScript cast (its overflows counted by the caller's closure) where the
 * module reports the reference's slow branch. Returns the overflows counted here.
 */
export function quantRun(ex: Exports, p: QuantPlan, x: Float32Array | Float64Array, y: Float64Array, fallback: (from: number, to: number) => void): number {
  const n = x.length;
  const single = x instanceof Float32Array;
  const bs = Math.min(n, BLOCK);
  const [xo, yo] = layout(ex, [bs * x.BYTES_PER_ELEMENT + 16, bs * 8 + 16]);
  const buf = ex.mem.buffer;
  const yIn = y.buffer === buf;
  const xIn = x.buffer === buf;
  let overflows = 0;
  for (let e0 = 0; e0 < n; e0 += bs) {
    const cnt = Math.min(bs, n - e0);
    let xAt = xo!;
    if (xIn) xAt = x.byteOffset + e0 * x.BYTES_PER_ELEMENT;
    else if (single) new Float32Array(buf, xo!, cnt).set(x.subarray(e0, e0 + cnt));
    else new Float64Array(buf, xo!, cnt).set(x.subarray(e0, e0 + cnt));
    const yAt = yIn ? y.byteOffset + e0 * 8 : yo!;
    const r = ex.quant_f64(xAt, cnt, yAt, single ? 1 : 0, p.q, p.om, p.s, p.min, p.max, p.w2, p.w2inv, p.half);
    if (r < 0) fallback(e0, e0 + cnt);
    else {
      overflows += r;
      if (!yIn) y.set(new Float64Array(buf, yo!, cnt), e0);
    }
  }
  return overflows;
}
