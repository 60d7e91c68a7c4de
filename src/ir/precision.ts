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

export interface NodePrecision {
  /** Accumulator of Dense/Conv/ConvTranspose/pool sums; every partial sum is assigned into it. */
  readonly accum?: FixedType;
  /** Lookup tables by role: 'f' for unary activations, 'exp' and 'inv' for Softmax. */
  readonly tables?: { readonly [role: string]: TableSpec };
  /** Other internal types by role (Softmax 'sum', AvgPool 'recip', ...). */
  readonly types?: { readonly [role: string]: FixedType };
  /** Derived integer constants by role (LayerNorm's eps raw, mantissa bits, shift range). */
  readonly ints?: { readonly [role: string]: number };
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
