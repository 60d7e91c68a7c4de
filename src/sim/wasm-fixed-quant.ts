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
import { F64, I32, V128, get, set, i32c, inc, whileLt, ifThen, u, layout } from './wasm-asm.js';
import type { Exports } from './wasm-gemm.js';

/** Off: the entry cast uses the JavaScript loop (the tests compare both). */
export const wasmQuant = { enabled: true };

const QUANT_MODES = ['AP_TRN', 'AP_TRN_ZERO', 'AP_RND_CONV', 'AP_RND', 'AP_RND_MIN_INF', 'AP_RND_ZERO', 'AP_RND_INF'] as const;

const simd = (op: number) => [0xfd, ...u(op)];
const f = {
  load: [...simd(0x00), 3, 0],
  load64Splat: [...simd(0x0a), 3, 0],
  load32Splat: [...simd(0x09), 2, 0],
  load64Zero: [...simd(0x5d), 3, 0],
  promoteLow: simd(0x5f),
  storeLane0: [...simd(0x5b), 3, 0, 0],
  store: [...simd(0x0b), 3, 0],
  splat: simd(0x14),
  eq: simd(0x47),
  lt: simd(0x49),
  gt: simd(0x4a),
  not: simd(0x4d),
  and: simd(0x4e),
  andnot: simd(0x4f),
  or: simd(0x50),
  anyTrue: simd(0x53),
  floor: simd(0x75),
  trunc: simd(0x7a),
  nearest: simd(0x94),
  i64sub: simd(0xd1),
  i64lane: (l: number) => [...simd(0x1d), l],
  abs: simd(0xec),
  add: simd(0xf0),
  sub: simd(0xf1),
  mul: simd(0xf2),
  min: simd(0xf4),
  max: simd(0xf5),
  zero: [...simd(0x0c), ...new Array<number>(16).fill(0)],
};
const f64Bytes = new Map<number, number[]>();
/** f64.const v (memoized: building the module runs once per thread, and its start-up counts). */
const f64c = (v: number): number[] => {
  let b = f64Bytes.get(v);
  if (!b) f64Bytes.set(v, (b = [0x44, ...new Uint8Array(new Float64Array([v]).buffer)]));
  return b;
};
const ifElse = (then: number[], els: number[]) => [0x04, 0x40, ...then, 0x05, ...els, 0x0b];
const i32eq = [0x46];
const i32wrapI64 = [0xa7];

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
  const omIs = (c: number) => [...get(om), ...i32c(c), ...i32eq];
  const applyOverflow = ifElse(
    [...get(K), ...get(MN), ...f.max, ...get(MX), ...f.min, ...set(K)],
    [...omIs(1), ...ifElse([...get(K), ...get(E), ...f.andnot, ...set(K)], [...get(K), ...get(W2), ...get(K), ...get(HF), ...f.add, ...get(WI), ...f.mul, ...f.floor, ...f.mul, ...f.sub, ...set(K)])],
  );
  // The mode is tested per step (always the same way in a call, so predicted): one nest per mode
  // made the module larger, and it is built on every thread.
  let roundAny = round[6]!;
  for (let r = 5; r >= 0; r--) roundAny = [...get(q), ...i32c(r), ...i32eq, ...ifElse(round[r]!, roundAny)];
  const element = (single: boolean, tail: boolean) => {
    const load = tail ? (single ? [...f.load32Splat, ...f.promoteLow] : f.load64Splat) : single ? [...f.load64Zero, ...f.promoteLow] : f.load;
    const count = tail ? [...get(cnt), ...get(E), ...f.i64lane(0), ...i32wrapI64, 0x6b /* i32.sub */, ...set(cnt)] : [...get(CNT), ...get(E), ...f.i64sub, ...set(CNT)];
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
      ...[...get(K), ...get(MX), ...f.gt, ...get(K), ...get(MN), ...f.lt, ...f.or, 0x22, ...u(E)],
      ...f.anyTrue,
      ...ifThen(count, omIs(0), applyOverflow),
      ...[...get(y), ...get(K), ...f.zero, ...f.add, ...(tail ? f.storeLane0 : f.store)],
      ...(tail ? [] : [...inc(y, i32c(16)), ...inc(x, i32c(single ? 8 : 16))]),
    ];
  };
  const nest = (single: boolean) => [
    ...i32c(0),
    ...set(i),
    ...whileLt(i, [...get(n), ...i32c(1), 0x76 /* i32.shr_u */], element(single, false), inc(i, i32c(1))),
    ...get(n),
    ...i32c(1),
    0x71 /* i32.and */,
    ...ifThen(element(single, true)),
  ];
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
    ...get(cnt),
    ...get(CNT),
    ...f.i64lane(0),
    ...i32wrapI64,
    0x6a,
    ...get(CNT),
    ...f.i64lane(1),
    ...i32wrapI64,
    0x6a,
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
