/**
 * The fixed-point simulator's binary element-wise ops (Add, Sub, Mul, Max, Min) in the integer
 * WebAssembly module (issue #13; the module is assembled in wasm-gemm.ts, whose memory also holds
 * the report's arena): eltwise_f64 reads both operands' raws (integers held as doubles), forms
 * the exact result on the common grid and casts it into the output type — rounding mode,
 * overflow mode and overflow count as castRaw (src/ir/semantics/apfixed.ts) gives them — two
 * elements per f64x2 instruction, then optionally writes the fused ReLU, and maxpool_f64
 * (wasm-pool.ts) pools that ReLU. Every step is exact in binary64: the raws and results stay
 * below 2^52, and scaling by powers of two, floor, trunc and round-to-nearest-even of such
 * values are exact, so the integer semantics hold lane for lane (eltwisePlan() checks the bounds
 * and says when the kernel applies; the reference kernel, src/sim/fixed/kernels/elementwise.ts,
 * keeps every other case). Operands are run-time tensors of the output's shape, constants of one
 * sample's shape (a positional embedding) or constant scalars. Arrays that live in the module's
 * memory are read and written in place; others go through scratch a block of samples at a time.
 */
import type { FixedType } from '../ir/fixed.js';
import { F64, I32, V128, get, set, i32c, add, inc, ifThen, ifElse, i32eq, layout } from './wasm-asm.js';
import { castPlan } from './wasm-cast.js';
import { f64x2, overflowStep, overflowTotal, pairsThenTail, type OverflowLocals } from './wasm-f64x2.js';
import { type FusedPool, poolBytes } from './wasm-pool.js';
import type { Exports } from './wasm-gemm.js';

/** Off: the element-wise ops use the JavaScript kernels (the tests compare both). */
export const wasmEltwise = {
  enabled: true,
  /** Nodes prepared for the module so far (tests check the path is taken). */
  compiled: 0,
  /** Calls whose output was written where it lies in the module's memory (the arena), no copy. */
  inPlace: 0,
};

/** The binary element-wise ops eltwise_f64 computes. */
export type EltwiseKind = 'Add' | 'Sub' | 'Mul' | 'Max' | 'Min';

/** eltwise_f64's `op` parameter for `kind` (its loop nests are in this order). */
function opCode(kind: EltwiseKind): number {
  switch (kind) {
    case 'Add':
      return 0;
    case 'Sub':
      return 1;
    case 'Mul':
      return 2;
    case 'Max':
      return 3;
    case 'Min':
      return 4;
  }
}

const f = f64x2;

/** Parameter and local types of eltwise_f64, in order (the module's type section uses them). */
export const ELTWISE_PARAMS = [...new Array<number>(10).fill(I32), ...new Array<number>(9).fill(F64)];
export const ELTWISE_LOCALS: [number, number][] = [
  [2, I32],
  [15, V128],
];

/**
 * eltwise_f64(a, sa, b, sb, n, y, z, op, rm, om, ka, kb, scale, add, min, max, w2, w2inv, half) -> overflows:
 * for i < n, with x = a[i]·ka and w = b[i]·kb (a and b advance sa and sb bytes per element: 8, or
 * 0 for a scalar stored twice), v = x + w, x − w, a[i]·b[i], max(x, w) or min(x, w) by op, then
 * k = floor((v + add)·scale) (rm 0), the same on |v| with v's sign (1), nearest-even(v·scale) (2)
 * or v·scale (3); k outside [min, max] is counted and clamped (om 0), zeroed (1) or wrapped as
 * k − w2·floor((k + half)·w2inv) (2); y[i] = k + 0 (never −0) and, when z ≠ 0, z[i] = max(k, 0).
 * Pairs of elements per f64x2 step, then the odd last one with both lanes equal. One loop nest
 * per op; the overflow mode is only looked at in a step where some lane overflowed.
 * Locals: a sa b sb n y z op rm om ka kb scale add min max w2 w2inv half | i cnt |
 * X W V K T CNT KA KB SC AD MN MX W2 WI HF.
 */
export function eltwiseBody(): number[] {
  const [a, sa, b, sb, n, y, z, op, rm, om, ka, kb, scale, addp, minp, maxp, w2, w2inv, half] = Array.from({ length: 19 }, (_, i) => i);
  const [i, cnt] = [19, 20];
  const [X, W, V, K, T, CNT, KA, KB, SC, AD, MN, MX, W2, WI, HF] = Array.from({ length: 15 }, (_, j) => 21 + j);
  const combine = [
    [...get(X), ...get(W), ...f.add],
    [...get(X), ...get(W), ...f.sub],
    [...get(X), ...get(W), ...f.mul],
    [...get(X), ...get(W), ...f.max],
    [...get(X), ...get(W), ...f.min],
  ];
  const round = [
    [...get(V), ...get(AD), ...f.add, ...get(SC), ...f.mul, ...f.floor, ...set(K)],
    [
      ...[...get(V), ...f.abs, ...get(AD), ...f.add, ...get(SC), ...f.mul, ...f.floor, ...set(T)],
      ...[...get(T), ...f.neg, ...get(T), ...get(V), ...f.zero, ...f.lt, ...f.bitselect, ...set(K)],
    ],
    [...get(V), ...get(SC), ...f.mul, ...f.nearest, ...set(K)],
    [...get(V), ...get(SC), ...f.mul, ...set(K)],
  ];
  const ov: OverflowLocals = { om, cnt, K, mask: T, MN, MX, W2, WI, HF, CNT };
  const is = (l: number, c: number) => [...get(l), ...i32c(c), ...i32eq];
  // if (l == 0) f(0) else if (l == 1) f(1) ... else f(count − 1)
  const chain = (l: number, count: number, fn: (c: number) => number[]): number[] => {
    let code = fn(count - 1);
    for (let c = count - 2; c >= 0; c--) code = [...is(l, c), ...ifElse(fn(c), code)];
    return code;
  };
  // The rounding mode and z are tested per step (always the same way in a call, so predicted):
  // one nest per (op, mode, z) made the module six times larger, and it is built on every thread.
  const roundAny = chain(rm, 4, (r) => round[r]!);
  const element = (o: number, tail: boolean) => {
    const load = tail ? f.load64Splat : f.load;
    const scaled = (p: number, s: number) => (o === 2 ? [...get(p), ...load] : [...get(p), ...load, ...get(s), ...f.mul]);
    const store = tail ? f.storeLane0 : f.store;
    return [
      ...scaled(a, KA),
      ...set(X),
      ...scaled(b, KB),
      ...set(W),
      ...combine[o]!,
      ...set(V),
      ...roundAny,
      ...overflowStep(ov, tail),
      ...[...get(K), ...f.zero, ...f.add, ...set(K)],
      ...[...get(y), ...get(K), ...store],
      ...get(z),
      ...ifThen([...get(z), ...get(K), ...f.zero, ...f.max, ...store], tail ? [] : inc(z, i32c(16))),
      ...(tail ? [] : [...inc(y, i32c(16)), ...inc(a, [...get(sa), ...get(sa), ...add]), ...inc(b, [...get(sb), ...get(sb), ...add])]),
    ];
  };
  const nest = (o: number) => pairsThenTail(i, n, (tail) => element(o, tail));
  const splat = (p: number, l: number) => [...get(p), ...f.splat, ...set(l)];
  return [
    ...splat(ka, KA),
    ...splat(kb, KB),
    ...splat(scale, SC),
    ...splat(addp, AD),
    ...splat(minp, MN),
    ...splat(maxp, MX),
    ...splat(w2, W2),
    ...splat(w2inv, WI),
    ...splat(half, HF),
    ...f.zero,
    ...set(CNT),
    ...i32c(0),
    ...set(cnt),
    ...chain(op, 5, nest),
    ...overflowTotal(ov),
  ];
}

/** eltwise_f64's parameters for one node (see eltwiseBody). */
export interface EltwisePlan {
  readonly op: number;
  readonly rm: number;
  readonly om: number;
  readonly ka: number;
  readonly kb: number;
  readonly scale: number;
  readonly add: number;
  readonly min: number;
  readonly max: number;
  readonly w2: number;
  readonly w2inv: number;
  readonly half: number;
}

/**
 * The kernel's parameters for `kind` on raws with fa and fb fraction bits cast into `to`, where
 * `bound` bounds the magnitude of the exact result in raws of the common grid (fa + fb for Mul,
 * max(fa, fb) otherwise). Null where the kernel does not cover the cast: castPlan()'s refusals
 * (AP_WRAP with saturation bits, types wider than 52 bits), and results, roundings or shifts that
 * could leave the range where doubles are exact integers (|v| < 2^52, a right shift of at most
 * 52 bits, a left shift staying below 2^52) — the JavaScript kernel handles those.
 */
export function eltwisePlan(kind: EltwiseKind, fa: number, fb: number, to: FixedType, bound: number): EltwisePlan | null {
  if (!wasmEltwise.enabled || !(bound < 2 ** 52)) return null;
  const fr = kind === 'Mul' ? fa + fb : Math.max(fa, fb);
  const ka = kind === 'Mul' ? 0 : fr - fa;
  const kb = kind === 'Mul' ? 0 : fr - fb;
  const c = castPlan(fr, fr, to, bound);
  if (!c) return null;
  const sh = Number(c.sh);
  if (c.rm === 3 ? bound * 2 ** sh >= 2 ** 52 : sh > 52) return null;
  wasmEltwise.compiled++;
  return {
    op: opCode(kind),
    rm: c.rm,
    // cast_i32's modes 2 and 3 (wrap signed, unsigned) are one formula here, with half = 0 for unsigned.
    om: Math.min(c.om, 2),
    ka: 2 ** ka,
    kb: 2 ** kb,
    scale: c.rm === 3 ? 2 ** sh : 2 ** -sh,
    add: Number(c.add),
    min: Number(c.min),
    max: Number(c.max),
    w2: 2 ** c.W,
    w2inv: 2 ** -c.W,
    half: c.om === 2 ? 2 ** (c.W - 1) : 0,
  };
}

/**
 * How an operand is read: `full` a run-time tensor of the output's shape; `sample` a constant
 * of one sample's output shape, the same for every sample; `scalar` a constant of one element.
 */
export type OperandMode = 'full' | 'sample' | 'scalar';

/** A max pool after the fused ReLU: windows in pixels of C channels (C even, two per f64x2). */
export interface EltwisePool {
  readonly spec: FusedPool;
  readonly C: number;
  readonly p: Float64Array;
}

/** Bytes of scratch per block of samples (operands, outputs and pool stay in L2 between passes). */
const BLOCK_BYTES = 256 << 10;

/**
 * y = cast(a op b) for `samples` samples of `per` elements, z = ReLU(y) when given, and the max
 * pool of z into pool.p when given, in module `ex`. Returns the number of elements whose cast
 * overflowed.
 */
export function eltwiseRun(
  ex: Exports,
  k: EltwisePlan,
  a: Float64Array,
  am: OperandMode,
  b: Float64Array,
  bm: OperandMode,
  samples: number,
  per: number,
  y: Float64Array,
  z?: Float64Array,
  pool?: EltwisePool,
): number {
  const bytes = per * 8;
  const nOut = pool ? pool.spec.origins.length : 0;
  const nTaps = pool ? pool.spec.rel.length : 0;
  const poolPer = pool ? nOut * pool.C : 0;
  const bs = Math.max(1, Math.min(samples, Math.floor(BLOCK_BYTES / (bytes * 4 + poolPer * 8))));
  const opSize = (m: OperandMode) => (m === 'full' ? bs * bytes : m === 'sample' ? bytes : 16);
  const [ao, bo, yo, zo, oo, ro, po] = layout(ex, [opSize(am), opSize(bm), bs * bytes, z ? bs * bytes : 0, nOut * 4, nTaps * 4, bs * poolPer * 8]);
  // Views and `buffer` checks after layout(), which may have grown the memory or taken the arena back.
  const buf = ex.mem.buffer;
  const konst = (x: Float64Array, m: OperandMode, at: number) => {
    if (m === 'sample') new Float64Array(buf, at, per).set(x);
    else if (m === 'scalar') new Float64Array(buf, at, 2).fill(x[0]!); // read a pair at a time with no advance
  };
  konst(a, am, ao!);
  konst(b, bm, bo!);
  if (pool) {
    const pb = poolBytes(pool.spec, pool.C);
    new Int32Array(buf, oo!, nOut).set(pb.origins);
    new Int32Array(buf, ro!, nTaps).set(pb.rel);
  }
  const aIn = am === 'full' && a.buffer === buf;
  const bIn = bm === 'full' && b.buffer === buf;
  const yIn = y.buffer === buf;
  const zIn = z !== undefined && z.buffer === buf;
  const pIn = pool !== undefined && pool.p.buffer === buf;
  if (yIn) wasmEltwise.inPlace++;
  const perSample = am === 'sample' || bm === 'sample';
  const sa = am === 'scalar' ? 0 : 8;
  const sb = bm === 'scalar' ? 0 : 8;
  const call = (aP: number, bP: number, cnt: number, yP: number, zP: number) =>
    ex.eltwise_f64(aP, sa, bP, sb, cnt, yP, zP, k.op, k.rm, k.om, k.ka, k.kb, k.scale, k.add, k.min, k.max, k.w2, k.w2inv, k.half);
  let overflows = 0;
  for (let s0 = 0; s0 < samples; s0 += bs) {
    const nb = Math.min(bs, samples - s0);
    const e0 = s0 * per;
    const cnt = nb * per;
    const operand = (x: Float64Array, m: OperandMode, inPlace: boolean, at: number) => {
      if (m !== 'full') return at;
      if (inPlace) return x.byteOffset + e0 * 8;
      new Float64Array(buf, at, cnt).set(x.subarray(e0, e0 + cnt));
      return at;
    };
    const aAt = operand(a, am, aIn, ao!);
    const bAt = operand(b, bm, bIn, bo!);
    const yAt = yIn ? y.byteOffset + e0 * 8 : yo!;
    const zAt = !z ? 0 : zIn ? z.byteOffset + e0 * 8 : zo!;
    if (perSample) {
      // A constant of one sample's shape: the same bytes for every sample, one call each.
      for (let s = 0; s < nb; s++) {
        const o = s * bytes;
        overflows += call(am === 'full' ? aAt + o : aAt, bm === 'full' ? bAt + o : bAt, per, yAt + o, z ? zAt + o : 0);
      }
    } else overflows += call(aAt, bAt, cnt, yAt, zAt);
    if (!yIn) y.set(new Float64Array(buf, yo!, cnt), e0);
    if (z && !zIn) z.set(new Float64Array(buf, zo!, cnt), e0);
    if (pool) {
      ex.maxpool_f64(zAt, nb, bytes, oo!, nOut, ro!, nTaps, pool.C * 8, pIn ? pool.p.byteOffset + s0 * poolPer * 8 : po!);
      if (!pIn) pool.p.set(new Float64Array(buf, po!, nb * poolPer), s0 * poolPer);
    }
  }
  return overflows;
}
