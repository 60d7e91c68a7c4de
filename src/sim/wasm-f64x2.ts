/**
 * What the integer module's f64x2 kernels share (eltwise_f64 in wasm-fixed-eltwise.ts and
 * quant_f64 in wasm-fixed-quant.ts, issue #13): the f64x2 opcodes they use, memoized f64
 * constants, the pairs-then-odd-last loop over n elements, and the overflow step that both casts
 * end with — lanes of K outside [min, max] counted, then saturated, zeroed or wrapped per the
 * overflow mode — with its count summed at the end. Both kernels hold raws as doubles, so one
 * definition of the step keeps their overflow semantics the same as castRaw's.
 */
import { i32c, add, get, set, ifThen, ifElse, i32eq, i32wrapI64, inc, u, whileLt } from './wasm-asm.js';

const simd = (op: number) => [0xfd, ...u(op)];

/** The f64x2 (and a few v128/i64x2) instructions of the f64x2 kernels. */
export const f64x2 = {
  load: [...simd(0x00), 3, 0],
  load64Splat: [...simd(0x0a), 3, 0],
  load32Splat: [...simd(0x09), 2, 0],
  load64Zero: [...simd(0x5d), 3, 0],
  promoteLow: simd(0x5f),
  store: [...simd(0x0b), 3, 0],
  storeLane0: [...simd(0x5b), 3, 0, 0],
  splat: simd(0x14),
  eq: simd(0x47),
  lt: simd(0x49),
  gt: simd(0x4a),
  not: simd(0x4d),
  and: simd(0x4e),
  andnot: simd(0x4f),
  or: simd(0x50),
  bitselect: simd(0x52),
  anyTrue: simd(0x53),
  floor: simd(0x75),
  trunc: simd(0x7a),
  nearest: simd(0x94),
  i64sub: simd(0xd1),
  i64lane: (l: number) => [...simd(0x1d), l],
  abs: simd(0xec),
  neg: simd(0xed),
  add: simd(0xf0),
  sub: simd(0xf1),
  mul: simd(0xf2),
  min: simd(0xf4),
  max: simd(0xf5),
  zero: [...simd(0x0c), ...new Array<number>(16).fill(0)],
};
const f = f64x2;

const f64Bytes = new Map<number, number[]>();
/** f64.const v (memoized: building the module runs once per thread, and its start-up counts). */
export const f64c = (v: number): number[] => {
  let b = f64Bytes.get(v);
  if (!b) f64Bytes.set(v, (b = [0x44, ...new Uint8Array(new Float64Array([v]).buffer)]));
  return b;
};

/**
 * for (i = 0; i < n >> 1; i++) element(false); if (n & 1) element(true): pairs of elements per
 * f64x2 step, then the odd last one (its two lanes equal). `element(false)` advances its pointers.
 */
export const pairsThenTail = (i: number, n: number, element: (tail: boolean) => number[]): number[] => [
  ...i32c(0),
  ...set(i),
  ...whileLt(i, [...get(n), ...i32c(1), 0x76 /* i32.shr_u */], element(false), inc(i, i32c(1))),
  ...get(n),
  ...i32c(1),
  0x71 /* i32.and */,
  ...ifThen(element(true)),
];

/** Locals of the overflow step: i32 om and cnt, v128 K (the rounded raws), mask, MN, MX, W2 (2^w), WI (2^-w), HF (2^(w-1)), CNT. */
export interface OverflowLocals {
  readonly om: number;
  readonly cnt: number;
  readonly K: number;
  readonly mask: number;
  readonly MN: number;
  readonly MX: number;
  readonly W2: number;
  readonly WI: number;
  readonly HF: number;
  readonly CNT: number;
}

/**
 * Lanes of K outside [MN, MX] (all ones in `mask`) are counted — a tail's two lanes are one
 * element, counted in cnt; a pair's in CNT's i64 lanes — and, only in a step where some lane
 * overflowed, K is saturated (om 0), zeroed (1) or wrapped as K − W2·floor((K + HF)·WI) (2).
 */
export function overflowStep(l: OverflowLocals, tail: boolean): number[] {
  const count = tail
    ? [...get(l.cnt), ...get(l.mask), ...f.i64lane(0), ...i32wrapI64, 0x6b /* i32.sub */, ...set(l.cnt)]
    : [...get(l.CNT), ...get(l.mask), ...f.i64sub, ...set(l.CNT)];
  const omIs = (c: number) => [...get(l.om), ...i32c(c), ...i32eq];
  const K = l.K;
  const apply = ifElse(
    [...get(K), ...get(l.MN), ...f.max, ...get(l.MX), ...f.min, ...set(K)],
    [
      ...omIs(1),
      ...ifElse(
        [...get(K), ...get(l.mask), ...f.andnot, ...set(K)],
        [...get(K), ...get(l.W2), ...get(K), ...get(l.HF), ...f.add, ...get(l.WI), ...f.mul, ...f.floor, ...f.mul, ...f.sub, ...set(K)],
      ),
    ],
  );
  return [
    ...[...get(K), ...get(l.MX), ...f.gt, ...get(K), ...get(l.MN), ...f.lt, ...f.or, 0x22 /* local.tee */, ...u(l.mask)],
    ...f.anyTrue,
    ...ifThen(count, omIs(0), apply),
  ];
}

/** The overflow count left on the stack: cnt plus CNT's two i64 lanes, as i32. */
export const overflowTotal = (l: OverflowLocals): number[] => [
  ...get(l.cnt),
  ...get(l.CNT),
  ...f.i64lane(0),
  ...i32wrapI64,
  ...add,
  ...get(l.CNT),
  ...f.i64lane(1),
  ...i32wrapI64,
  ...add,
];
