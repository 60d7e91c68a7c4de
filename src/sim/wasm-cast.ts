/**
 * The output cast of an exact integer weighted sum as a WebAssembly epilogue (issue #13): the
 * int32 sums of gemm_i16 moved to the accumulator's grid (sum·2^up + init[m], exact in int64),
 * rounded onto the output's grid with the output type's quantization mode and wrapped or
 * saturated with its overflow mode — castRaw's semantics (src/ir/semantics/apfixed.ts) done in
 * integers, so every raw equals what the JavaScript cast (prepareCast) gives — written as
 * doubles, counting the elements that overflowed. Optionally it writes a second array, the
 * ReLU of the cast result (max(k, 0), +0 for k <= 0), for a following Relu whose cast is the
 * identity: the executor then delivers both values without another pass over them.
 * castPlan() decides when this applies (every rounding mode; AP_WRAP only without saturation
 * bits; results whose shifts stay inside int64) and returns the run-time parameters.
 */
import { type FixedType, fracBits } from '../ir/fixed.js';
import { I32, get, set, i32c, add, mul, i32load, ifThen, inc, whileLt, u, i32eq, i32wrapI64, ifElse } from './wasm-asm.js';

/** Rounding: 0 = (v + add) >> sh, 1 = the same on |v| with the sign put back, 2 = ties to even, 3 = v << sh. */
export interface CastPlan {
  readonly up: number;
  readonly rm: number;
  readonly om: number;
  readonly W: number;
  readonly sh: bigint;
  readonly add: bigint;
  readonly h: bigint;
  readonly mask: bigint;
  readonly min: bigint;
  readonly max: bigint;
}

/**
 * Parameters of the epilogue for sums on a grid of `fp` fraction bits moved to the
 * accumulator's `fa` (fa >= fp) and cast to `to`; `bound` bounds |sum·2^(fa−fp) + init| (< 2^53).
 * null when the epilogue does not cover the cast (the caller keeps the JavaScript cast).
 */
export function castPlan(fp: number, fa: number, to: FixedType, bound: number): CastPlan | null {
  const up = fa - fp;
  if (up < 0 || up > 31 || !(bound < 2 ** 53)) return null;
  if (to.width > 52) return null;
  if (to.o === 'AP_WRAP' && to.n !== 0) return null;
  const d = fa - fracBits(to);
  if (d <= 0 && bound * 2 ** -d >= 2 ** 62) return null;
  if (d > 62) return null;
  const W = to.width;
  const max = to.signed ? 2n ** BigInt(W - 1) - 1n : 2n ** BigInt(W) - 1n;
  const min = to.signed ? (to.o === 'AP_SAT_SYM' ? -max : -max - 1n) : 0n;
  const om = to.o === 'AP_SAT' || to.o === 'AP_SAT_SYM' ? 0 : to.o === 'AP_SAT_ZERO' ? 1 : to.signed ? 2 : 3;
  const base = { up, om, W, min, max };
  if (d <= 0) return { ...base, rm: 3, sh: BigInt(-d), add: 0n, h: 0n, mask: 0n };
  const h = 1n << BigInt(d - 1);
  const mask = (1n << BigInt(d)) - 1n;
  const sh = BigInt(d);
  switch (to.q) {
    case 'AP_TRN':
      return { ...base, rm: 0, sh, add: 0n, h, mask };
    case 'AP_RND':
      return { ...base, rm: 0, sh, add: h, h, mask };
    case 'AP_RND_MIN_INF':
      return { ...base, rm: 0, sh, add: h - 1n, h, mask };
    case 'AP_TRN_ZERO':
      return { ...base, rm: 1, sh, add: 0n, h, mask };
    case 'AP_RND_ZERO':
      return { ...base, rm: 1, sh, add: h - 1n, h, mask };
    case 'AP_RND_INF':
      return { ...base, rm: 1, sh, add: h, h, mask };
    case 'AP_RND_CONV':
      return { ...base, rm: 2, sh, add: 0n, h, mask };
  }
}

const I64 = 0x7e;
// i64 opcodes used below.
const i64 = {
  extendS: [0xac],
  extendU: [0xad],
  add: [0x7c],
  sub: [0x7d],
  and: [0x83],
  shl: [0x86],
  shrS: [0x87],
  shrU: [0x88],
  eq: [0x51],
  ltS: [0x53],
  gtS: [0x55],
  load: [0x29, 3, 0],
  const0: [0x42, 0],
  const1: [0x42, 1],
};
const f64store = [0x39, 3, 0];
const f64convertI64S = [0xb9];
const select = [0x1b];
const i32or = [0x72];
const i32and = [0x71];

/** Parameter and local types of cast_i32, in order (the module's type section uses them). */
export const CAST_PARAMS = [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I64, I64, I64, I64, I64, I64];
export const CAST_LOCALS: [number, number][] = [
  [5, I32],
  [6, I64],
];

/**
 * cast_i32(sums, rows, Mp, M, init, y, z, up, rm, om, W, sh, add, h, mask, min, max) -> overflows:
 * for r < rows, m < M: v = sums[r·Mp + m]·2^up + init[m] (init: int64), k = round(v) per rm,
 * out of [min, max] → counted and saturated (om 0), zeroed (1), wrapped signed (2) or unsigned (3);
 * y[r·M + m] = k as f64, and when z ≠ 0, z[r·M + m] = max(k, 0).
 * Locals: r m sp ip cnt | v k upl ws q.
 */
export function castBody(): number[] {
  const [sums, rows, Mp, M, init, y, z, up, rm, om, W, sh, addv, h, mask, min, max] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
  const [r, m, sp, ip, cnt] = [17, 18, 19, 20, 21];
  const [v, k, upl, ws, q, tmp] = [22, 23, 24, 25, 26, 27];
  const tee = (l: number) => [0x22, ...u(l)];
  const rmIs = (c: number) => [...get(rm), ...i32c(c), ...i32eq];
  const omIs = (c: number) => [...get(om), ...i32c(c), ...i32eq];
  const floorAdd = [...get(v), ...get(addv), ...i64.add, ...get(sh), ...i64.shrS, ...set(k)];
  // |v| rounded the same way, then the sign back: v < 0 ? -(((-v) + add) >> sh) : (v + add) >> sh.
  const symmetric = [
    ...get(v),
    ...i64.const0,
    ...i64.ltS,
    ...ifElse(
      [...i64.const0, ...i64.const0, ...get(v), ...i64.sub, ...get(addv), ...i64.add, ...get(sh), ...i64.shrS, ...i64.sub, ...set(k)],
      floorAdd,
    ),
  ];
  // q = v >> sh; rest = v & mask; k = q + (rest > h || (rest == h && q odd)).
  const tiesEven = [
    ...get(v),
    ...get(sh),
    ...i64.shrS,
    ...tee(q),
    ...get(v),
    ...get(mask),
    ...i64.and,
    ...tee(tmp),
    ...get(h),
    ...i64.gtS,
    ...get(tmp),
    ...get(h),
    ...i64.eq,
    ...get(q),
    ...i64.const1,
    ...i64.and,
    ...i32wrapI64,
    ...i32and,
    ...i32or,
    ...i64.extendU,
    ...i64.add,
    ...set(k),
  ];
  const shiftLeft = [...get(v), ...get(sh), ...i64.shl, ...set(k)];
  const byMode = [floorAdd, symmetric, tiesEven, shiftLeft];
  const overflow = [
    ...get(k),
    ...get(max),
    ...i64.gtS,
    ...get(k),
    ...get(min),
    ...i64.ltS,
    ...i32or,
    ...ifThen(
      inc(cnt, i32c(1)),
      omIs(0),
      ifElse(
        [...get(max), ...get(min), ...get(k), ...get(max), ...i64.gtS, ...select, ...set(k)],
        [
          ...omIs(1),
          ...ifElse(
            [...i64.const0, ...set(k)],
            [...omIs(2), ...ifElse([...get(k), ...get(ws), ...i64.shl, ...get(ws), ...i64.shrS, ...set(k)], [...get(k), ...get(ws), ...i64.shl, ...get(ws), ...i64.shrU, ...set(k)])],
          ),
        ],
      ),
    ),
  ];
  // One loop nest per rounding mode, with and without z: the mode is tested once per call.
  const element = (rmode: number, withZ: boolean) => [
    ...get(sp),
    ...i32load(),
    ...i64.extendS,
    ...get(upl),
    ...i64.shl,
    ...get(ip),
    ...i64.load,
    ...i64.add,
    ...set(v),
    ...byMode[rmode]!,
    ...overflow,
    ...get(y),
    ...get(k),
    ...f64convertI64S,
    ...f64store,
    ...inc(y, i32c(8)),
    ...(withZ ? [...get(z), ...get(k), ...i64.const0, ...get(k), ...i64.const0, ...i64.gtS, ...select, ...f64convertI64S, ...f64store, ...inc(z, i32c(8))] : []),
    ...inc(sp, i32c(4)),
    ...inc(ip, i32c(8)),
  ];
  const nest = (rmode: number, withZ: boolean) => [
    ...i32c(0),
    ...set(r),
    ...whileLt(
      r,
      get(rows),
      [...get(sums), ...get(r), ...get(Mp), ...mul, ...i32c(4), ...mul, ...add, ...set(sp)],
      [...get(init), ...set(ip)],
      [...i32c(0), ...set(m)],
      whileLt(m, get(M), element(rmode, withZ), inc(m, i32c(1))),
      inc(r, i32c(1)),
    ),
  ];
  const byZ = (rmode: number) => [...get(z), ...ifElse(nest(rmode, true), nest(rmode, false))];
  return [
    ...get(up),
    ...i64.extendU,
    ...set(upl),
    ...i32c(64),
    ...get(W),
    0x6b /* i32.sub */,
    ...i64.extendU,
    ...set(ws),
    ...i32c(0),
    ...set(cnt),
    ...rmIs(0),
    ...ifElse(byZ(0), [...rmIs(1), ...ifElse(byZ(1), [...rmIs(2), ...ifElse(byZ(2), byZ(3))])]),
    ...get(cnt),
  ];
}

/**
 * The same cast four lanes at a time in int32 (cast_i32x4), for the usual case: a rounding of
 * the form (v + add) >> sh (AP_TRN, AP_RND, AP_RND_MIN_INF; sh >= 1), every v + add inside
 * int32, output width <= 31. Rows of M = 4·M4 + nt outputs: the M4 quads, then (nt = 1–3) one
 * more quad of the padded sums (gemm_i16 rows are Mp = 4·ceil(M/4) wide, the padding columns
 * 0) of which only the first nt lanes are stored. The overflow mode is applied
 * branch-free to every lane (it changes nothing inside [min, max]); overflowed lanes are
 * counted. Null when the plan does not qualify.
 */
export function simdCast(plan: CastPlan, bound: number): { om: number; ws: number; min: number; max: number; add: number; sh: number } | null {
  if (plan.rm !== 0 || plan.W > 31) return null;
  if (bound + Number(plan.add) >= 2 ** 31) return null;
  return { om: plan.om, ws: 32 - plan.W, min: Number(plan.min), max: Number(plan.max), add: Number(plan.add), sh: Number(plan.sh) };
}

const simd = (op: number) => [0xfd, ...u(op)];
const v = {
  load: [...simd(0x00), 4, 0],
  store: (off: number) => [...simd(0x0b), 4, ...u(off)],
  splat: simd(0x11),
  shl: simd(0xab),
  shrS: simd(0xac),
  shrU: simd(0xad),
  add: simd(0xae),
  sub: simd(0xb1),
  gtS: simd(0x3b),
  ltS: simd(0x39),
  or: simd(0x50),
  andnot: simd(0x4f),
  minS: simd(0xb6),
  maxS: simd(0xb8),
  cvtLow: simd(0xfe),
  // lanes 2,3 moved to 0,1 (both operands the same vector)
  high: [...simd(0x0d), 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7],
  zero: [...simd(0x0c), ...new Array<number>(16).fill(0)],
  lane: (i: number) => [...simd(0x1b), i],
};
export const CAST4_PARAMS = new Array<number>(14).fill(I32);
export const CAST4_LOCALS: [number, number][] = [
  [4, I32],
  [6, 0x7b /* v128 */],
];

/**
 * cast_i32x4(sums, rows, M4, init, y, z, up, sh, add, min, max, ws, om, nt) -> overflows: as
 * cast_i32 with rm 0 in int32 lanes on rows of 4·M4 + nt outputs (sums rows 4·ceil(M/4)
 * wide); init int32, 4·ceil(M/4) of them. Locals: r q sp ip | K MIN MAX ADD CNT T.
 */
export function castSimdBody(): number[] {
  const [sums, rows, M4, init, y, z, up, sh, addp, minp, maxp, ws, om, nt] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
  const [r, q, sp, ip] = [14, 15, 16, 17];
  const [K, MIN, MAX, ADD, CNT, T] = [18, 19, 20, 21, 22, 23];
  const storeF64 = (ptr: number, src: number[]) => [...get(ptr), ...src, ...v.cvtLow, ...v.store(0), ...get(ptr), ...src, ...src, ...v.high, ...v.cvtLow, ...v.store(16)];
  // Lanes j < nt of src as f64 at ptr + 8j, the tail's stores: lanes 0 and 1 as one vector when nt >= 2.
  const storeLane = (ptr: number, src: number[], j: number) => [...get(ptr), ...src, ...v.lane(j), 0xb7 /* f64.convert_i32_s */, 0x39, 3, ...u(8 * j)];
  const storeLanes = (ptr: number, src: number[]) => [
    ...get(nt),
    ...i32c(1),
    ...i32eq,
    ...ifElse(storeLane(ptr, src, 0), [...get(ptr), ...src, ...v.cvtLow, ...v.store(0), ...get(nt), ...i32c(3), ...i32eq, ...ifThen(storeLane(ptr, src, 2))]),
  ];
  // K = ((sums << up) + init + add) >> sh, for the quad at sp / ip.
  const k = [...get(sp), ...v.load, ...get(up), ...v.shl, ...get(ip), ...v.load, ...v.add, ...get(ADD), ...v.add, ...get(sh), ...v.shrS, ...set(K)];
  // T = the lanes out of [min, max]; CNT −= T. The tail's lanes past nt need no mask: their sums
  // (zero weights) and init are 0, so K = add >> sh = 0 (add < 2^sh), always inside the range.
  const count = [...get(CNT), ...get(K), ...get(MAX), ...v.gtS, ...get(K), ...get(MIN), ...v.ltS, ...v.or, 0x22, ...u(T), ...v.sub, ...set(CNT)];
  const nest = (omode: number, withZ: boolean) => {
    const wrap = (shr: number[]) => [...get(K), ...get(ws), ...v.shl, ...get(ws), ...shr, ...set(K)];
    const apply =
      omode === 0 ? [...get(K), ...get(MAX), ...v.minS, ...get(MIN), ...v.maxS, ...set(K)]
      : omode === 1 ? [...get(K), ...get(T), ...v.andnot, ...set(K)]
      : omode === 2 ? wrap(v.shrS)
      : wrap(v.shrU);
    const relu = [...get(K), ...v.zero, ...v.maxS];
    const element = [
      ...k,
      ...count,
      ...apply,
      ...storeF64(y, get(K)),
      ...inc(y, i32c(32)),
      ...(withZ ? [...storeF64(z, relu), ...inc(z, i32c(32))] : []),
      ...inc(sp, i32c(16)),
      ...inc(ip, i32c(16)),
    ];
    const tail = [
      ...k,
      ...count,
      ...apply,
      ...storeLanes(y, get(K)),
      ...inc(y, [...get(nt), ...i32c(8), ...mul]),
      ...(withZ ? [...storeLanes(z, relu), ...inc(z, [...get(nt), ...i32c(8), ...mul])] : []),
      ...inc(sp, i32c(16)),
    ];
    return [
      ...i32c(0),
      ...set(r),
      ...whileLt(r, get(rows), [...get(init), ...set(ip)], [...i32c(0), ...set(q)], whileLt(q, get(M4), element, inc(q, i32c(1))), [...get(nt), ...ifThen(tail)], inc(r, i32c(1))),
    ];
  };
  const byZ = (omode: number) => [...get(z), ...ifElse(nest(omode, true), nest(omode, false))];
  const omIs = (c: number) => [...get(om), ...i32c(c), ...i32eq];
  return [
    ...get(minp),
    ...v.splat,
    ...set(MIN),
    ...get(maxp),
    ...v.splat,
    ...set(MAX),
    ...get(addp),
    ...v.splat,
    ...set(ADD),
    ...v.zero,
    ...set(CNT),
    ...get(sums),
    ...set(sp),
    ...omIs(0),
    ...ifElse(byZ(0), [...omIs(1), ...ifElse(byZ(1), [...omIs(2), ...ifElse(byZ(2), byZ(3))])]),
    // the overflow count: the sum of the lanes' counts
    ...get(CNT),
    ...v.lane(0),
    ...get(CNT),
    ...v.lane(1),
    0x6a,
    ...get(CNT),
    ...v.lane(2),
    0x6a,
    ...get(CNT),
    ...v.lane(3),
    0x6a,
  ];
}
