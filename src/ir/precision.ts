/**
 * Fixed-point annotations of the IR beyond the per-value types (Value.fixed): a node's internal
 * types (accumulator, softmax sum, reciprocal) and its lookup tables. Tables are defined here
 * once — index computation, bucket placement and the function evaluated — and built by the
 * compiler into constant values, so the TypeScript simulator and the emitted C++ read the very
 * same entries. A table maps an input raw r (the integer behind a fixed-point value of type
 * inType) to idx = clamp((r - base) >> shift, 0, size - 1); entry idx holds f evaluated at the
 * centre of its bucket (at the bucket's only point when shift = 0), rounded to nearest-even and
 * saturated into the table's type.
 */
import { type FixedType, fixedType, fracBits } from './fixed.js';
import type { Node } from './graph.js';
import type { OpKind } from './op-attrs.js';
import { erf, mish, normalCdf } from './special.js';

export type TableFn =
  | 'sigmoid'
  | 'tanh'
  | 'exp'
  | 'inv'
  | 'elu'
  | 'selu'
  | 'softplus'
  | 'softsign'
  | 'hardsigmoid'
  | 'hardswish'
  | 'log'
  | 'sqrt'
  | 'erf'
  | 'mish'
  | 'rsqrt'
  | 'normcdf';

export interface TableSpec {
  readonly fn: TableFn;
  /** Function parameters (elu: alpha; selu: alpha, gamma; hardsigmoid: alpha, beta; rsqrt: c, giving sqrt(c)/sqrt(x); normcdf: 1 for GELU's tanh form). */
  readonly params: readonly number[];
  /** Constant value holding the entries; its `fixed` is the entry type. */
  readonly value: string;
  /** Type of the raws that index the table. */
  readonly inType: FixedType;
  /** idx = clamp((raw - base) >> shift, 0, size - 1). */
  readonly base: number;
  readonly shift: number;
  readonly size: number;
}

/**
 * Any node's precision record, as generic readers (the IR printer, reports, searches) walk it.
 * What a given op holds is OpPrecision[op] below, which is what Node<K>.prec is typed as.
 */
export interface NodePrecision {
  /** Accumulator of Dense/Conv/ConvTranspose/pool sums; every partial sum is assigned into it. */
  readonly accum?: FixedType;
  /** Lookup tables by role: 'f' for unary activations, 'exp' and 'inv' for Softmax. */
  readonly tables?: { readonly [role: string]: TableSpec };
  /** Other internal types by role (Softmax 'sum', AvgPool 'recip', ...). */
  readonly types?: { readonly [role: string]: FixedType };
  /** Derived integer constants by role (LayerNorm's eps raw, mantissa bits, shift range). */
  readonly ints?: { readonly [role: string]: number };
  /** Per-channel power-of-two exponents (an exact per-channel Quant). */
  readonly channels?: ChannelExponents;
  /**
   * Derived integer constants the datapath compares raws with or multiplies them by (thresholds,
   * clip bounds and results, α/β raws, ±scale levels, the pad raw), exact, by role: computed once
   * by src/ir/semantics/derived-raws.ts, read by the simulator and the emitter.
   */
  readonly raws?: { readonly [role: string]: bigint | readonly bigint[] };
}

/**
 * The exponents of an exact per-channel power-of-two Quant, scale_c = 2^exps[c] (exps in the
 * order of the scale constant's elements), and their extremes: the output grid is 2^eMin and
 * channel c's integer is shifted left by exps[c] − eMin (src/ir/quantizer-types.ts). Written by
 * the quantize pass, checked against the scale constant by the verifier, read by the simulator
 * and the emitter.
 */
export interface ChannelExponents {
  readonly exps: readonly number[];
  readonly eMin: number;
  readonly eMax: number;
}

/** A precision record holding exactly the fields of T (the others absent). */
type Only<T> = T & { readonly [F in Exclude<keyof NodePrecision, keyof T>]?: undefined };

type AccumPrec = Only<{ readonly accum: FixedType }>;
type TablePrec = Only<{ readonly tables: { readonly f: TableSpec } }>;
type MeanPrec = Only<{ readonly accum: FixedType; readonly tables: { readonly recip: TableSpec } }>;
type WholePrec = Only<{ readonly types: { readonly whole: FixedType } }>;

/** LayerNorm's derived integers (docs/fixed-point.md, "LayerNorm"). */
export type LayerNormInts = {
  /** eps on the grid of v = Σ raw(d)². */
  readonly eps: number;
  /** Mantissa bits t of v = m·2^s, m in [2^(t−2), 2^t). */
  readonly mant: number;
  /** Range of the even shift s the row's v can need. */
  readonly hmin: number;
  readonly hmax: number;
  /** Bits of the largest v. */
  readonly vbits: number;
};

/** A recurrent layer's internal types; `<slot><dir>_alpha`/`_beta` type an exact activation's parameters. */
export type RecurrentTypes = {
  readonly gate: FixedType;
  readonly state: FixedType;
  readonly hidden: FixedType;
  readonly act: FixedType;
} & { readonly [param: `${string}_alpha` | `${string}_beta`]: FixedType };

/**
 * What the quantize pass records per op (absent ops have no precision record). Tables are keyed
 * by role; a recurrent layer's by `<slot><dir>` (f0, g0, h0, f1, ...) for the activations that
 * need one.
 */
export interface OpPrecision {
  Dense: AccumPrec;
  Conv: AccumPrec;
  ConvTranspose: AccumPrec;
  MatMul: AccumPrec;
  AvgPool: MeanPrec;
  GlobalAvgPool: MeanPrec;
  /** Sum: the exact sum's type; Mean also the reciprocal-of-count table. */
  Reduce: Only<{ readonly accum: FixedType; readonly tables?: { readonly recip: TableSpec } }>;
  Softmax: Only<{ readonly types: { readonly diff: FixedType; readonly sum: FixedType }; readonly tables: { readonly exp: TableSpec; readonly inv: TableSpec } }>;
  LayerNorm: Only<{
    readonly tables: { readonly rsqrt: TableSpec };
    readonly types: { readonly sum: FixedType; readonly diff: FixedType; readonly rstd: FixedType; readonly norm: FixedType };
    readonly ints: LayerNormInts;
  }>;
  Gelu: Only<{ readonly tables: { readonly cdf: TableSpec } }>;
  Floor: WholePrec;
  Ceil: WholePrec;
  Round: WholePrec;
  /** α's type and its raw in it. */
  LeakyRelu: Only<{ readonly types: { readonly alpha: FixedType }; readonly raws: { readonly alpha: bigint } }>;
  /** raw(x) > thr ⟺ x > α. */
  ThresholdedRelu: Only<{ readonly raws: { readonly thr: bigint } }>;
  /** raw(x) < lo ⟺ x < min, raw(x) > hi ⟺ x > max; lo_out/hi_out: min and max as raws of y. */
  Clip: Only<{ readonly raws: { readonly lo: bigint; readonly hi: bigint; readonly lo_out: bigint; readonly hi_out: bigint } }>;
  /** ±scale as raws of y, one per element of the scale constant. */
  BipolarQuant: Only<{ readonly raws: { readonly pos: readonly bigint[]; readonly neg: readonly bigint[] } }>;
  /** The pad value as a raw of y. */
  Pad: Only<{ readonly raws: { readonly pad: bigint } }>;
  LSTM: RecurrentPrec;
  GRU: RecurrentPrec;
  RNN: RecurrentPrec;
  /** Only an exact per-channel Quant has one: the integer grid each channel is cast into, and the exponents. */
  Quant: Only<{ readonly types: { readonly grid: FixedType }; readonly channels: ChannelExponents }>;
  /** x/2^e: x's raw read on a grid e bits finer. */
  QuantizeLinear: Only<{ readonly types: { readonly scaled: FixedType } }>;
  Sigmoid: TablePrec;
  Tanh: TablePrec;
  Elu: TablePrec;
  Selu: TablePrec;
  Softplus: TablePrec;
  Softsign: TablePrec;
  HardSigmoid: TablePrec;
  HardSwish: TablePrec;
  Exp: TablePrec;
  Log: TablePrec;
  Sqrt: TablePrec;
  Reciprocal: TablePrec;
  Erf: TablePrec;
  Mish: TablePrec;
}

/**
 * A recurrent layer's derived raws (present when any): the clip threshold on the gate type's raws
 * and the clipped results (`clip_thr`, `clip_hi`, `clip_lo`, when clip > 0), and per exact
 * activation role `<slot><dir>` its threshold (`_thr`) or its α/β raws (`_alpha`, `_beta`).
 */
export type RecurrentRaws = { readonly [role: `${string}_${'thr' | 'hi' | 'lo' | 'alpha' | 'beta'}`]: bigint };

export type RecurrentPrec = Only<{
  readonly accum: FixedType;
  readonly types: RecurrentTypes;
  readonly tables?: { readonly [role: string]: TableSpec };
  readonly raws?: RecurrentRaws;
}>;

/** The precision record of op K (never: the op has none). */
export type PrecOf<K extends OpKind> = K extends keyof OpPrecision ? OpPrecision[K] : never;

/** The ops evaluated through one lookup table 'f'. */
export type TableOp = { [K in keyof OpPrecision]: OpPrecision[K] extends TablePrec ? K : never }[keyof OpPrecision];

/** The function each table op's table 'f' evaluates (typed so it lists exactly the TableOps). */
export const TABLE_FN: { readonly [K in TableOp]: TableFn } = {
  Sigmoid: 'sigmoid',
  Tanh: 'tanh',
  Elu: 'elu',
  Selu: 'selu',
  Softplus: 'softplus',
  Softsign: 'softsign',
  HardSigmoid: 'hardsigmoid',
  HardSwish: 'hardswish',
  Exp: 'exp',
  Log: 'log',
  Sqrt: 'sqrt',
  Reciprocal: 'inv',
  Erf: 'erf',
  Mish: 'mish',
};

export function isTableOp(op: OpKind): op is TableOp {
  return Object.prototype.hasOwnProperty.call(TABLE_FN, op);
}

export function isTableNode(n: Node): n is Node<TableOp> {
  return isTableOp(n.op);
}

/** A node's precision record as the generic view (printing, reports, searches over every role). */
export function precisionOf(n: Node): NodePrecision | undefined {
  return n.prec;
}

export function tableFunction(fn: TableFn, p: readonly number[]): (x: number) => number {
  switch (fn) {
    case 'sigmoid':
      return (x) => 1 / (1 + Math.exp(-x));
    case 'tanh':
      return Math.tanh;
    case 'exp':
      return Math.exp;
    case 'inv':
      return (x) => (x === 0 ? Infinity : 1 / x);
    case 'elu':
      return (x) => (x >= 0 ? x : p[0]! * (Math.exp(x) - 1));
    case 'selu':
      return (x) => p[1]! * (x > 0 ? x : p[0]! * (Math.exp(x) - 1));
    case 'softplus':
      return (x) => (x > 30 ? x : Math.log1p(Math.exp(x)));
    case 'softsign':
      return (x) => x / (1 + Math.abs(x));
    case 'hardsigmoid':
      return (x) => Math.max(0, Math.min(1, p[0]! * x + p[1]!));
    case 'hardswish':
      return (x) => x * Math.max(0, Math.min(1, x / 6 + 0.5));
    // log and sqrt have no real value below their domain: log saturates to the entry type's
    // minimum (−∞), sqrt reads 0 (a datapath has no NaN).
    case 'log':
      return (x) => (x > 0 ? Math.log(x) : -Infinity);
    case 'sqrt':
      return (x) => (x > 0 ? Math.sqrt(x) : 0);
    case 'erf':
      return erf;
    case 'mish':
      return mish;
    case 'rsqrt':
      return (x) => (x > 0 ? Math.sqrt(p[0]!) / Math.sqrt(x) : Infinity);
    case 'normcdf':
      return (x) => normalCdf(x, p[0] === 1);
  }
}

/** The range of raws of a type: [min, max]. */
export function rawRange(t: FixedType): [number, number] {
  if (t.signed) return [-(2 ** (t.width - 1)), 2 ** (t.width - 1) - 1];
  return [0, 2 ** t.width - 1];
}

/** Largest magnitude a type can hold, in raw units (the most negative raw for signed types). */
export function maxAbsRaw(t: FixedType): number {
  const [lo, hi] = rawRange(t);
  return Math.max(-lo, hi);
}

/**
 * Bound on the exact partial sums of a weighted sum y[m] = Σ_k x[k]·w[k][m] (weights as raws
 * [k][m], x raws of type xT), per output m: Σ_k |w[k][m]|·max|x| on the product grid. Any subset
 * of the terms, added in any order, stays within it. The quantize pass derives accumulators from
 * it; the simulator reads it to prove which integer arithmetic is exact (doubles below 2^53,
 * int32 sums below 2^31) — one computation of the bound for both.
 */
export function productSumBounds(wRaws: ArrayLike<number>, outCh: number, xT: FixedType): Float64Array {
  const sums = new Float64Array(outCh);
  for (let i = 0; i < wRaws.length; i++) sums[i % outCh]! += Math.abs(wRaws[i]!);
  const xMax = maxAbsRaw(xT);
  for (let m = 0; m < outCh; m++) sums[m] = sums[m]! * xMax;
  return sums;
}

/**
 * True when the weighted sum runs exactly as int16 × int16 products added in int32, in any order
 * and pairwise (the simulator's SIMD path): x's raws and the weight raws fit int16 and every
 * per-output bound (productSumBounds) is below 2^31.
 */
export function int16SumsExact(xT: FixedType, wRaws: ArrayLike<number>, outCh: number): boolean {
  const [lo, hi] = rawRange(xT);
  if (lo < -32768 || hi > 32767) return false;
  for (let i = 0; i < wRaws.length; i++) {
    const v = wRaws[i]!;
    if (!Number.isInteger(v) || v < -32768 || v > 32767) return false;
  }
  return productSumBounds(wRaws, outCh, xT).every((b) => b < 2 ** 31);
}

/** Smallest signed type with `frac` fraction bits whose range holds ±boundRaw (raws at that frac). */
export function typeHolding(boundRaw: number, frac: number): FixedType {
  let w = 2;
  while (2 ** (w - 1) - 1 < boundRaw) w++;
  return fixedType(w, w - frac);
}

/** Type of an activation parameter (LeakyRelu's α, a recurrent cell's α/β): 18 bits, enough integer bits for |v|. */
export function actParamType(v: number): FixedType {
  return fixedType(18, Math.max(1, Math.ceil(Math.log2(Math.abs(v) + 2 ** -17)) + 1));
}

/**
 * Geometry of a table over the real interval [lo, hi) of inputs of type inType (clipped to the
 * type's range) with at most `maxSize` entries: the smallest power-of-two bucket that fits.
 */
export function tableGeometry(inType: FixedType, lo: number, hi: number, maxSize: number): { base: number; shift: number; size: number } {
  const F = fracBits(inType);
  const [rmin, rmax] = rawRange(inType);
  const base = Math.max(rmin, Math.floor(lo * 2 ** F));
  const top = Math.min(rmax + 1, Math.ceil(hi * 2 ** F));
  const span = Math.max(1, top - base);
  let shift = 0;
  while (span / 2 ** shift > maxSize) shift++;
  return { base, shift, size: Math.ceil(span / 2 ** shift) };
}

export function tableIndex(spec: Pick<TableSpec, 'base' | 'shift' | 'size'>, raw: number): number {
  const i = Math.floor((raw - spec.base) / 2 ** spec.shift);
  return i < 0 ? 0 : i >= spec.size ? spec.size - 1 : i;
}

/** The real input value entry idx is computed at. */
export function bucketPoint(spec: Pick<TableSpec, 'base' | 'shift' | 'inType'>, idx: number): number {
  const raw = spec.base + idx * 2 ** spec.shift + (spec.shift > 0 ? 2 ** (spec.shift - 1) : 0);
  return raw * 2 ** -fracBits(spec.inType);
}

/** Entry values before quantization into the table type (the caller quantizes them). */
export function tableValues(spec: Omit<TableSpec, 'value'>): Float64Array {
  const f = tableFunction(spec.fn, spec.params);
  const out = new Float64Array(spec.size);
  for (let i = 0; i < spec.size; i++) out[i] = f(bucketPoint(spec, i));
  return out;
}

/** Entry type for values in [lo, hi] with `width` bits: the fewest integer bits that hold them. */
export function typeForRange(lo: number, hi: number, width: number, opts: { q?: FixedType['q']; o?: FixedType['o'] } = {}): FixedType {
  const signed = lo < 0;
  const m = Math.max(Math.abs(lo), Math.abs(hi), 2 ** -64);
  // Smallest I with m <= 2^(I - signed) (values at the top saturate by at most one LSB).
  let int = Math.ceil(Math.log2(m)) + (signed ? 1 : 0);
  if (2 ** (int - (signed ? 1 : 0)) < m) int++;
  return fixedType(width, int, { signed, ...opts });
}
