/**
 * An independent reference for the fixed-point simulator tests, written from docs/fixed-point.md
 * with nothing but the BigInt functions of apfixed.ts (quantizeDouble, castRaw, mulType, addType,
 * subType). Values are {raw: bigint, t: FixedType}; every arithmetic step is exact and the only
 * rounding is an explicit `cast`, which can count overflows (an element whose quantized value
 * falls outside the target's range, i.e. gets saturated or wrapped). Nothing here imports the
 * simulator's kernels or casts.
 */
import { type FixedType, fixedType, fracBits } from '../../src/ir/fixed.js';
import { addType, castRaw, mulType, quantizeDouble, subType } from '../../src/ir/semantics/apfixed.js';

export interface FV {
  readonly raw: bigint;
  readonly t: FixedType;
}

export class Counter {
  n = 0;
}

/** A float (as float32, like the graph's data) quantized into t with t's own modes. */
export function qd(x: number, t: FixedType): FV {
  return { raw: quantizeDouble(Math.fround(x), t), t };
}

export function mul(a: FV, b: FV): FV {
  return { raw: a.raw * b.raw, t: mulType(a.t, b.t) };
}

/** Exact re-expression of a on a grid/range that holds it (finer or equal grid, wider range). */
function align(a: FV, t: FixedType): bigint {
  const d = fracBits(t) - fracBits(a.t);
  if (d < 0) throw new Error('reference: align to a coarser grid');
  return a.raw << BigInt(d);
}

export function add(a: FV, b: FV): FV {
  const t = addType(a.t, b.t);
  return { raw: align(a, t) + align(b, t), t };
}

export function sub(a: FV, b: FV): FV {
  const t = subType(a.t, b.t);
  return { raw: align(a, t) - align(b, t), t };
}

/** Exact comparison of two values of any types. */
export function cmp(a: FV, b: FV): number {
  const f = Math.max(fracBits(a.t), fracBits(b.t));
  const x = a.raw << BigInt(f - fracBits(a.t));
  const y = b.raw << BigInt(f - fracBits(b.t));
  return x < y ? -1 : x > y ? 1 : 0;
}

export function rangeOf(t: FixedType): [bigint, bigint] {
  const max = t.signed ? (1n << BigInt(t.width - 1)) - 1n : (1n << BigInt(t.width)) - 1n;
  const min = t.signed ? (t.o === 'AP_SAT_SYM' ? -max : -max - 1n) : 0n;
  return [min, max];
}

/** True when quantizing v onto t's grid (t's q mode) lands outside t's range. */
export function overflows(v: FV, to: FixedType): boolean {
  const F = fracBits(to);
  const I = Math.max(to.int, v.t.int) + 4;
  const wide = fixedType(I + F, I, { q: to.q });
  const k = castRaw(v.raw, v.t, wide);
  const [min, max] = rangeOf(to);
  return k > max || k < min;
}

/** `T y = v;` (docs: cast), counting an overflow into c. */
export function cast(v: FV, to: FixedType, c?: Counter): FV {
  if (c && overflows(v, to)) c.n++;
  return { raw: castRaw(v.raw, v.t, to), t: to };
}

export function zero(t: FixedType): FV {
  return { raw: 0n, t };
}

/** The value as a double (exact for the small types used in tests). */
export function val(v: FV): number {
  return Number(v.raw) * 2 ** -fracBits(v.t);
}

/** A raw on the grid of t as an FV. */
export function rawOf(raw: number | bigint, t: FixedType): FV {
  return { raw: BigInt(raw), t };
}

/** Fewest-integer-bits signed type with F fraction bits holding +-bound (bound in raws at F). */
export function holding(boundRaw: bigint, F: number): FixedType {
  let w = 2;
  while ((1n << BigInt(w - 1)) - 1n < boundRaw) w++;
  return fixedType(w, w - F);
}

export function maxAbsRaw(t: FixedType): bigint {
  const [min, max] = [t.signed ? -(1n << BigInt(t.width - 1)) : 0n, t.signed ? (1n << BigInt(t.width - 1)) - 1n : (1n << BigInt(t.width)) - 1n];
  return -min > max ? -min : max;
}

/** Table geometry per docs/fixed-point.md and precision.ts: smallest power-of-two bucket. */
export function geometry(inT: FixedType, lo: number, hi: number, maxSize: number): { base: number; shift: number; size: number } {
  const F = fracBits(inT);
  const rmin = inT.signed ? -(2 ** (inT.width - 1)) : 0;
  const rmax = inT.signed ? 2 ** (inT.width - 1) - 1 : 2 ** inT.width - 1;
  const base = Math.max(rmin, Math.floor(lo * 2 ** F));
  const top = Math.min(rmax + 1, Math.ceil(hi * 2 ** F));
  const span = Math.max(1, top - base);
  let shift = 0;
  while (2 ** shift * maxSize < span) shift++;
  return { base, shift, size: Math.ceil(span / 2 ** shift) };
}

/** Entry idx of a table: f at the bucket centre, round-half-even, saturated into the entry type. */
export function tableEntry(f: (x: number) => number, inT: FixedType, g: { base: number; shift: number }, idx: number, entryT: FixedType): FV {
  const raw = g.base + idx * 2 ** g.shift + (g.shift > 0 ? 2 ** (g.shift - 1) : 0);
  const x = raw * 2 ** -fracBits(inT);
  const rt = fixedType(entryT.width, entryT.int, { signed: entryT.signed, q: 'AP_RND_CONV', o: 'AP_SAT' });
  return { raw: quantizeDouble(f(x), rt), t: entryT };
}

export function tableIdx(g: { base: number; shift: number; size: number }, raw: bigint): number {
  const i = Math.floor((Number(raw) - g.base) / 2 ** g.shift);
  return Math.min(g.size - 1, Math.max(0, i));
}
