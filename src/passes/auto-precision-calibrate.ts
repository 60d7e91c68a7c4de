/**
 * Calibration statistics and the choice of a tensor's integer bits from them, for post-training
 * quantization (auto-precision.ts). A tensor's statistics are its exact min and max over all
 * calibration values plus a deterministic strided sample of the values themselves (every k-th
 * value in run order, k fixed by the tensor's size so at most SAMPLE_CAP are kept). From them a
 * type of a given width is chosen by one of three methods:
 *  - `max`: integer bits that hold max|v|·(1 + margin) — nothing calibrated saturates;
 *  - `percentile`: integer bits that hold the p-th percentile of |v| — the rare tail saturates;
 *  - `mse`: of the integer-bit counts from the max's down to four fewer, the one whose type
 *    (round to nearest even, saturate) gives the smallest squared error over the sample: each
 *    integer bit given up halves the rounding step of every value and costs only the clipping
 *    of the values beyond the new top.
 * All types are AP_RND_CONV + AP_SAT, so the error computed here is the error the simulator and
 * the hardware make when they cast a value into the type.
 */
import { fixedType, fracBits, type FixedType } from '../ir/fixed.js';
import { typeForRange } from '../ir/precision.js';

export type Calibration = 'max' | 'percentile' | 'mse';
export const CALIBRATIONS: readonly Calibration[] = ['max', 'percentile', 'mse'];
export const DEFAULT_CALIBRATION: Calibration = 'mse';
export const DEFAULT_PERCENTILE = 99.99;
/** Most values kept per tensor for percentile and MSE (the min and max are over all values). */
export const SAMPLE_CAP = 1 << 16;
/** How many integer bits below the max's the MSE search tries. */
export const MSE_SEARCH = 4;

export const ROUND_SAT = { q: 'AP_RND_CONV', o: 'AP_SAT' } as const;
/** Ranges below this magnitude are treated as this (a dead tensor still needs a sane type). */
export const TINY = 2 ** -8;

/** Min, max and a strided sample of one tensor's calibration values. */
export class TensorStats {
  min = Infinity;
  max = -Infinity;
  private seen = 0;
  private readonly kept: number[] = [];

  /** `stride`: keep every stride-th value (1: all). */
  constructor(readonly stride: number) {}

  add(data: ArrayLike<number>): void {
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (v < this.min) this.min = v;
      if (v > this.max) this.max = v;
      if ((this.seen + i) % this.stride === 0) this.kept.push(v);
    }
    this.seen += data.length;
  }

  get values(): readonly number[] {
    return this.kept;
  }

  /** Statistics of every value with `f` applied (e.g. x ↦ max(x, 0) for a tensor only a Relu reads). */
  mapped(f: (v: number) => number): TensorStats {
    const s = new TensorStats(this.stride);
    s.min = f(this.min);
    s.max = f(this.max);
    for (const v of this.kept) s.kept.push(f(v));
    s.seen = this.seen;
    return s;
  }
}

/** Stats for `total` values: a stride that keeps at most SAMPLE_CAP of them. */
export function statsFor(total: number, cap = SAMPLE_CAP): TensorStats {
  return new TensorStats(Math.max(1, Math.ceil(total / cap)));
}

/** The raw bounds and scale of an AP_RND_CONV + AP_SAT cast into `t`. */
function castParams(t: FixedType): { scale: number; lo: number; hi: number } {
  return {
    scale: 2 ** fracBits(t),
    lo: t.signed ? -(2 ** (t.width - 1)) : 0,
    hi: t.signed ? 2 ** (t.width - 1) - 1 : 2 ** t.width - 1,
  };
}

function castRaw(s: number, lo: number, hi: number): number {
  let r = Math.round(s);
  // Math.round takes ties up; AP_RND_CONV takes them to the even raw.
  if (r - s === 0.5 && r % 2 !== 0) r -= 1;
  return r < lo ? lo : r > hi ? hi : r;
}

/** The value `v` takes in `t` with AP_RND_CONV (ties to even) and AP_SAT. */
export function castRoundSat(v: number, t: FixedType): number {
  const { scale, lo, hi } = castParams(t);
  return castRaw(v * scale, lo, hi) / scale;
}

/** Sum of squared cast errors of `values` in `t`. */
export function castError(values: readonly number[] | ArrayLike<number>, t: FixedType): number {
  const { scale, lo, hi } = castParams(t);
  let e = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const d = v - castRaw(v * scale, lo, hi) / scale;
    e += d * d;
  }
  return e;
}

/** The p-th percentile (0..100) of |v| over `values` (nearest rank), 0 when empty. */
export function absPercentile(values: readonly number[], p: number): number {
  if (!values.length) return 0;
  const a = Float64Array.from(values, Math.abs).sort();
  const k = Math.min(a.length - 1, Math.max(0, Math.ceil((p / 100) * a.length) - 1));
  return a[k]!;
}

export interface ChooseOptions {
  method: Calibration;
  /** Headroom over the max (method `max` only). */
  margin?: number;
  /** Percentile of |v| to hold (method `percentile` only); default DEFAULT_PERCENTILE. */
  percentile?: number;
}

/**
 * A `bits`-wide AP_RND_CONV/AP_SAT type for a tensor with these statistics; unsigned when the
 * tensor never goes negative.
 */
export function chooseType(s: TensorStats, bits: number, o: ChooseOptions): FixedType {
  const signed = s.min < 0;
  const top = Math.max(Math.abs(s.min), Math.abs(s.max), TINY);
  const holding = (m: number) => typeForRange(signed ? -m : 0, m, bits, ROUND_SAT);
  switch (o.method) {
    case 'max':
      return holding(top * (1 + (o.margin ?? 0)));
    case 'percentile':
      return holding(Math.max(absPercentile(s.values, o.percentile ?? DEFAULT_PERCENTILE), TINY));
    case 'mse': {
      const full = holding(top);
      let best = full;
      let bestErr = castError(s.values, full);
      for (let k = 1; k <= MSE_SEARCH; k++) {
        const t = fixedType(bits, full.int - k, { signed, ...ROUND_SAT });
        const e = castError(s.values, t);
        // Strictly better only: on a tie the wider range (no clipping) wins.
        if (e < bestErr) {
          best = t;
          bestErr = e;
        }
      }
      return best;
    }
  }
}
