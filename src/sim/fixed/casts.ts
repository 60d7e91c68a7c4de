/**
 * Cast helpers shared by the fixed-point kernels: prepared number-path casts that count
 * overflows into a node's statistics, and the identity test that lets kernels skip a cast. All
 * conversions are the ones in apfixed.ts, checked against Xilinx's headers.
 */
import { type FixedType, fixedType, fracBits, MAX_WIDTH } from '../../ir/fixed.js';
import { castRaw, FAST_MAX_WIDTH, type NumCast, prepareCast, prepareQuantize } from '../../ir/semantics/apfixed.js';
import type { CastStats } from './kernel.js';
import { NnInputError } from '../../util/tensor.js';

export function checkWidth(t: FixedType, what: string): void {
  if (t.width > FAST_MAX_WIDTH) {
    // Reached only by ops without a BigInt path for this type (recurrent layers): see wide.ts.
    throw new NnInputError(`${what}: a type of width ${t.width} is wider than the ${FAST_MAX_WIDTH} bits this op is simulated with (wider types are simulated for feed-forward layers, not yet for this one); give this layer narrower types in the precision config`);
  }
}

/** raw (with `fromFrac` fraction bits) -> raw of `to`, counting overflows as the node's result. */
export function resultCast(fromFrac: number, to: FixedType, stats: CastStats): NumCast {
  return prepareCast(fromFrac, to, () => {
    stats.result++;
  });
}

/**
 * The BigInt form of resultCast, for exact results too wide for a double (2^53 and beyond): the
 * raw has `fromFrac` fraction bits and any size; the cast is castRaw's, overflows are counted.
 */
export function resultCastBig(fromFrac: number, to: FixedType, stats: CastStats): (raw: bigint) => number {
  checkWidth(to, 'cast target');
  const from = fixedType(MAX_WIDTH, MAX_WIDTH - fromFrac);
  // Same grid as `to`, range wide enough for any source: quantizes exactly like `to` without overflowing.
  const wide = fixedType(MAX_WIDTH, MAX_WIDTH - fracBits(to), { q: to.q });
  const max = to.signed ? 2n ** BigInt(to.width - 1) - 1n : 2n ** BigInt(to.width) - 1n;
  const min = to.signed ? (to.o === 'AP_SAT_SYM' ? -max : -max - 1n) : 0n;
  return (raw) => {
    const k = castRaw(raw, from, wide);
    if (k >= min && k <= max) return Number(k);
    stats.result++;
    return Number(castRaw(k, wide, to));
  };
}

/**
 * `(a, b) => cast(a·b → to)` for integer raws whose exact product has `fromFrac` fraction bits;
 * |a| <= maxA and |b| <= maxB. The product is a double when it stays below 2^53, a BigInt otherwise.
 */
export function productCast(fromFrac: number, to: FixedType, stats: CastStats, maxA: number, maxB: number): (a: number, b: number) => number {
  if (maxA * maxB < 2 ** 53) {
    const c = resultCast(fromFrac, to, stats);
    return (a, b) => c(a * b);
  }
  const c = resultCastBig(fromFrac, to, stats);
  return (a, b) => c(BigInt(a) * BigInt(b));
}

export function accumCast(fromFrac: number, to: FixedType, stats: CastStats): NumCast {
  return prepareCast(fromFrac, to, () => {
    stats.accum++;
  });
}

/** True when a cast from `from` to `to` changes no raw (same grid, `to`'s range covers `from`'s). */
export function isIdentityCast(from: FixedType, to: FixedType): boolean {
  if (fracBits(from) !== fracBits(to)) return false;
  if (to.o === 'AP_SAT_SYM' && to.signed) return false; // its most-negative quirk can change a raw
  const fromLo = from.signed ? -(2 ** (from.width - 1)) : 0;
  const fromHi = from.signed ? 2 ** (from.width - 1) - 1 : 2 ** from.width - 1;
  const toLo = to.signed ? -(2 ** (to.width - 1)) : 0;
  const toHi = to.signed ? 2 ** (to.width - 1) - 1 : 2 ** to.width - 1;
  return fromLo >= toLo && fromHi <= toHi;
}

/** Float input -> raws of the input type (the graph's entry cast point). */
export function entryQuantize(t: FixedType, stats: CastStats): NumCast {
  return prepareQuantize(t, () => {
    stats.result++;
  });
}

export { maxAbsRaw } from '../../ir/precision.js';
