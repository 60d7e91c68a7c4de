/**
 * Bit-exact model of Xilinx ap_fixed / ap_int arithmetic (C-simulation headers). A value is its
 * stored integer `raw` with value raw * 2^(int - width). Every conversion works on the EXACT
 * source value (the exact binary value of a double, or the exact source fixed value): first
 * quantization turns x = value * 2^F into an integer k per the Q mode, then the O mode fits k
 * into W bits. Nothing is rounded twice. The BigInt functions are the reference; the `...Num`
 * functions and the prepared closures are a fast path on plain JS numbers for the simulator's hot
 * loops (targets of width <= 52, source raws below 2^53), written so every double operation in
 * them is exact (scaling by powers of two, floor, x - floor(x), fmod-style wraps).
 * Library quirks kept on purpose: AP_SAT_SYM maps the most negative code to -max even when it
 * is representable; unsigned AP_WRAP with N > 0 sets the top N bits to 1 on negative overflow too.
 */
import { type FixedType, type QMode, fixedType, fracBits, intType } from '../fixed.js';

// ---------------------------------------------------------------------------------------------
// Result types of full-precision arithmetic (always default modes, like the library's).
// ---------------------------------------------------------------------------------------------

/** a*b: ap_fixed<w1+w2, i1+i2>, signed if either operand is. */
export function mulType(a: FixedType, b: FixedType): FixedType {
  return fixedType(a.width + b.width, a.int + b.int, { signed: a.signed || b.signed });
}

function sumType(a: FixedType, b: FixedType, signed: boolean): FixedType {
  // An unsigned operand meeting a signed one needs one extra integer bit to stay exact.
  const i = Math.max(a.int + (b.signed && !a.signed ? 1 : 0), b.int + (a.signed && !b.signed ? 1 : 0)) + 1;
  const f = Math.max(fracBits(a), fracBits(b));
  return fixedType(i + f, i, { signed });
}

/** a+b: I = max(i1 + [s2&&!s1], i2 + [s1&&!s2]) + 1, F = max(F1, F2), signed if either is. */
export function addType(a: FixedType, b: FixedType): FixedType {
  return sumType(a, b, a.signed || b.signed);
}

/** a-b: same width as a+b but ALWAYS signed (even unsigned - unsigned). */
export function subType(a: FixedType, b: FixedType): FixedType {
  return sumType(a, b, true);
}

// ---------------------------------------------------------------------------------------------
// Exact (BigInt) reference path.
// ---------------------------------------------------------------------------------------------

/**
 * Quantizes the exact value m * 2^-shift (shift = srcFrac - dstFrac, in destination LSBs) to an
 * integer per q. Right shifts of BigInt floor, so AP_TRN is a plain shift.
 */
function quantizeBig(m: bigint, shift: number, q: QMode): bigint {
  if (shift <= 0) return shift === 0 ? m : m << BigInt(-shift);
  const s = BigInt(shift);
  const fl = m >> s;
  const rem = m - (fl << s); // in [0, 2^shift)
  if (rem === 0n || q === 'AP_TRN') return fl;
  if (q === 'AP_TRN_ZERO') return m < 0n ? fl + 1n : fl;
  const half = 1n << (s - 1n);
  if (rem > half) return fl + 1n;
  if (rem < half) return fl;
  switch (q) { // exact tie
    case 'AP_RND': return fl + 1n;
    case 'AP_RND_ZERO': return m < 0n ? fl + 1n : fl;
    case 'AP_RND_INF': return m < 0n ? fl : fl + 1n;
    case 'AP_RND_MIN_INF': return fl;
    default: return (fl & 1n) === 0n ? fl : fl + 1n; // AP_RND_CONV: the stored LSB becomes 0
  }
}

/** Fits the quantized integer k into t per t.o / t.n; k is a raw of t's grid but any size. */
function overflowBig(k: bigint, t: FixedType): bigint {
  const w = t.width;
  const W = BigInt(w);
  const max = t.signed ? (1n << (W - 1n)) - 1n : (1n << W) - 1n;
  const min = t.signed ? -max - 1n : 0n;
  if (k <= max && k >= min) {
    // Quirk: SAT_SYM never stores 100..0, even for an in-range value.
    return t.o === 'AP_SAT_SYM' && t.signed && k === min ? -max : k;
  }
  switch (t.o) {
    case 'AP_SAT': return k > max ? max : min;
    case 'AP_SAT_ZERO': return 0n;
    case 'AP_SAT_SYM': return k > max ? max : t.signed ? -max : min;
    default: break;
  }
  if (t.n === 0) return t.signed ? BigInt.asIntN(w, k) : BigInt.asUintN(w, k);
  const low = BigInt(w - t.n);
  const lo = BigInt.asUintN(w - t.n, k); // the low W-N bits wrap as usual
  if (!t.signed) return (((1n << BigInt(t.n)) - 1n) << low) | lo; // top N bits set, on BOTH sides (quirk)
  // Signed: sign bit = true sign, the N-1 bits below it = its complement.
  return k > max ? (((1n << BigInt(t.n - 1)) - 1n) << low) | lo : lo - (1n << (W - 1n));
}

/** Non-finite inputs behave like huge values whose low bits are all zero (NaN like +huge). */
function hugeBig(t: FixedType, negative: boolean): bigint {
  const k = 1n << BigInt(t.width + 1);
  return negative ? -k : k;
}

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Exact decomposition x = m * 2^e with integer m (|m| < 2^53); x finite. */
function decompose(x: number): { m: bigint; e: number } {
  F64[0] = x;
  const hi = U32[LITTLE ? 1 : 0]!;
  const lo = U32[LITTLE ? 0 : 1]!;
  const bexp = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e: number;
  if (bexp === 0) e = -1074; // subnormal (or zero)
  else {
    mant |= 1n << 52n;
    e = bexp - 1075;
  }
  return { m: hi >>> 31 ? -mant : mant, e };
}

/** `T r(x)` for a double x: exact value, quantize, then overflow. */
export function quantizeDouble(x: number, t: FixedType): bigint {
  if (Number.isNaN(x)) return overflowBig(hugeBig(t, false), t);
  if (!Number.isFinite(x)) return overflowBig(hugeBig(t, x < 0), t);
  if (x === 0) return overflowBig(0n, t); // also -0: no sign survives
  const { m, e } = decompose(x);
  return overflowBig(quantizeBig(m, -e - fracBits(t), t.q), t);
}

/** `TT r(src)`: fixed -> fixed cast with the target's modes (the source's modes play no part). */
export function castRaw(raw: bigint, from: FixedType, to: FixedType): bigint {
  return overflowBig(quantizeBig(raw, fracBits(from) - fracBits(to), to.q), to);
}

/** Raw of the full-precision product (type mulType(a, b)): the integers simply multiply. */
export function mulRaw(a: bigint, b: bigint): bigint {
  return a * b;
}

function align(raw: bigint, from: FixedType, toFrac: number): bigint {
  return raw << BigInt(toFrac - fracBits(from)); // toFrac >= from's frac: exact
}

export function addRaw(a: bigint, fa: FixedType, b: bigint, fb: FixedType): { raw: bigint; type: FixedType } {
  const type = addType(fa, fb);
  const f = fracBits(type);
  return { raw: align(a, fa, f) + align(b, fb, f), type };
}

export function subRaw(a: bigint, fa: FixedType, b: bigint, fb: FixedType): { raw: bigint; type: FixedType } {
  const type = subType(fa, fb);
  const f = fracBits(type);
  return { raw: align(a, fa, f) - align(b, fb, f), type };
}

export type BinOp = 'add' | 'sub' | 'mul';

/** Full-precision a op b with its result type. */
export function binopRaw(op: BinOp, a: bigint, fa: FixedType, b: bigint, fb: FixedType): { raw: bigint; type: FixedType } {
  if (op === 'mul') return { raw: mulRaw(a, b), type: mulType(fa, fb) };
  return op === 'add' ? addRaw(a, fa, b, fb) : subRaw(a, fa, b, fb);
}

/** `a op= b`: the exact full result cast to a's type with a's modes. */
export function compoundRaw(op: BinOp, a: bigint, fa: FixedType, b: bigint, fb: FixedType): bigint {
  const r = binopRaw(op, a, fa, b, fb);
  return castRaw(r.raw, r.type, fa);
}

/** Keeps the low `width` bits (what assigning to ap_int<width>/ap_uint<width> does). */
export function wrapInt(raw: bigint, width: number, signed: boolean): bigint {
  return signed ? BigInt.asIntN(width, raw) : BigInt.asUintN(width, raw);
}

/** Full-precision ap_int/ap_uint op and the result type (int === width, default modes). */
export function intBinop(op: BinOp, a: bigint, wa: number, sa: boolean, b: bigint, wb: number, sb: boolean): { raw: bigint; type: FixedType } {
  return binopRaw(op, a, intType(wa, sa), b, intType(wb, sb));
}

// ---------------------------------------------------------------------------------------------
// to_double.
// ---------------------------------------------------------------------------------------------

/** Exact powers of two 2^-1074 .. 2^1023, built by doubling so no libm rounding can creep in. */
const POW2 = (() => {
  const p = new Float64Array(1074 + 1024);
  let v = 1;
  for (let e = 0; e <= 1023; e++, v *= 2) p[e + 1074] = v;
  v = 1;
  for (let e = 0; e >= -1074; e--, v /= 2) p[e + 1074] = v;
  return p;
})();

/** 2^e for -1074 <= e <= 1023 (0 / Infinity outside). */
export function pow2(e: number): number {
  return e < -1074 ? 0 : e > 1023 ? Infinity : POW2[e + 1074]!;
}

function bitLength(a: bigint): number {
  return a.toString(2).length; // a > 0; only used on the slow, rare wide path
}

/** x * 2^e exactly, as long as every intermediate and the result stay normal. */
function ldexp(x: number, e: number): number {
  while (e > 1000) { x *= POW2[1000 + 1074]!; e -= 1000; }
  while (e < -1000) { x *= POW2[-1000 + 1074]!; e += 1000; }
  return x * POW2[e + 1074]!;
}

/** raw / 2^F rounded to nearest, ties to even (what the library gives; exact when it fits). */
export function toDouble(raw: bigint, t: FixedType): number {
  if (raw === 0n) return 0;
  const F = fracBits(t);
  const neg = raw < 0n;
  let a = neg ? -raw : raw;
  if (a < 9007199254740992n && F >= -1000 && F <= 1000) {
    // Fast: Number(a) is exact and one power-of-two scaling is exact unless the result is subnormal.
    const v = Number(a) * POW2[-F + 1074]!;
    if (v >= 2.2250738585072014e-308) return neg ? -v : v;
  }
  const bl = bitLength(a);
  const top = bl - 1 - F; // value in [2^top, 2^(top+1))
  let v: number;
  if (top > 1023) v = Infinity;
  else if (top < -1022) {
    // Subnormal result: round once, directly on the 2^-1074 grid.
    v = Number(quantizeBig(a, F - 1074, 'AP_RND_CONV')) * POW2[0]!;
  } else {
    let e = -F;
    if (bl > 64) {
      // Keep 64 bits plus a sticky bit so Number() performs the single correct rounding.
      const s = bl - 64;
      const sticky = (a & ((1n << BigInt(s)) - 1n)) !== 0n ? 1n : 0n;
      a = (a >> BigInt(s)) | sticky;
      e += s;
    }
    v = ldexp(Number(a), e);
  }
  return neg ? -v : v;
}

// ---------------------------------------------------------------------------------------------
// Fast number path. Preconditions: target width <= 52; source raws are integers below 2^53.
// ---------------------------------------------------------------------------------------------

/** Max target width of the number path (2^w and every wrap intermediate stay exact). */
export const FAST_MAX_WIDTH = 52;
/** Threshold above which a double's low 52 bits are all zero (its ulp exceeds 2^53). */
const TWO106 = 2 ** 106;

function checkFast(t: FixedType): void {
  if (t.width > FAST_MAX_WIDTH) throw new Error(`number fast path needs width <= ${FAST_MAX_WIDTH}, got ${t.width}`);
}

/** Quantizes an exact, finite double x (|x| < 2^106, x - floor(x) exact) to an integer; never returns -0. */
function roundNum(x: number, q: QMode): number {
  const fl = Math.floor(x);
  const fr = x - fl;
  if (fr === 0) return fl + 0; // + 0 turns -0 into +0
  switch (q) {
    case 'AP_TRN': return fl;
    case 'AP_TRN_ZERO': return x < 0 ? fl + 1 : fl;
    case 'AP_RND': return fr >= 0.5 ? fl + 1 : fl;
    case 'AP_RND_ZERO': return fr > 0.5 || (fr === 0.5 && x < 0) ? fl + 1 : fl;
    case 'AP_RND_INF': return fr > 0.5 || (fr === 0.5 && x > 0) ? fl + 1 : fl;
    case 'AP_RND_MIN_INF': return fr > 0.5 ? fl + 1 : fl;
    default: return fr > 0.5 || (fr === 0.5 && fl % 2 !== 0) ? fl + 1 : fl;
  }
}

/** k mod m in [0, m) for an exact integer double k (|k| < 2^117), m = 2^j: every step is exact. */
function modPow2(k: number, m: number): number {
  return k - Math.floor(k / m) * m;
}

/** Out-of-range handling for an integer k known to be outside t's (SAT_SYM: symmetric) range. */
function overflowSlow(k: number, t: FixedType): number {
  const w = t.width;
  const max = t.signed ? POW2[w - 1 + 1074]! - 1 : POW2[w + 1074]! - 1;
  const min = t.signed ? -max - 1 : 0;
  switch (t.o) {
    case 'AP_SAT': return k > max ? max : min;
    case 'AP_SAT_ZERO': return 0;
    case 'AP_SAT_SYM': return k > max ? max : t.signed ? 0 - max : min; // 0 - max: never -0 (w = 1)
    default: break;
  }
  if (t.n === 0) {
    const r = modPow2(k, POW2[w + 1074]!);
    return t.signed && r > max ? r - (max + 1) * 2 : r;
  }
  const lowM = POW2[w - t.n + 1074]!;
  const lo = modPow2(k, lowM);
  if (!t.signed) return POW2[w + 1074]! - lowM + lo;
  return k > max ? (POW2[t.n - 1 + 1074]! - 1) * lowM + lo : lo - (max + 1);
}

/** Fits an exact integer k into t (in range: unchanged; SAT_SYM's most-negative quirk included). */
function overflowNum(k: number, t: FixedType): number {
  const w = t.width;
  const max = t.signed ? POW2[w - 1 + 1074]! - 1 : POW2[w + 1074]! - 1;
  const min = t.signed ? (t.o === 'AP_SAT_SYM' ? 0 - max : -max - 1) : 0;
  return k > max || k < min ? overflowSlow(k, t) : k;
}

/** Scaled source: raw * 2^-d as an exact double whose rounding gives the right k in every mode. */
function scaleNum(raw: number, d: number): number {
  if (d <= 0) return raw * POW2[Math.min(-d, 64) + 1074]!; // shifts >= w leave the low w bits 0 either way
  if (d < 54) return raw * POW2[-d + 1074]!;
  // |raw * 2^-d| < 1/2: every mode gives what +-1/4 gives (floor -> 0 or -1, nearest -> 0).
  return raw > 0 ? 0.25 : raw < 0 ? -0.25 : 0;
}

/** castRaw on numbers: raw (integer, |raw| < 2^53) with fromFrac fraction bits into `to` (width <= 52). */
export function castRawNum(raw: number, fromFrac: number, to: FixedType): number {
  const d = fromFrac - (to.width - to.int);
  const k = d <= 0 ? scaleNum(raw, d) + 0 : roundNum(scaleNum(raw, d), to.q);
  return overflowNum(k, to);
}

/** quantizeDouble on numbers for width <= 52 targets (NaN/Inf/-0/subnormals handled like the BigInt path). */
export function quantizeDoubleNum(x: number, t: FixedType): number {
  const F = t.width - t.int;
  let y = x * pow2(Math.max(-1000, Math.min(1000, F))) * pow2(F - Math.max(-1000, Math.min(1000, F)));
  const ay = Math.abs(y);
  if (!(ay >= 0.5 && ay < TWO106)) y = fixScaled(x, y, ay);
  return overflowNum(roundNum(y, t.q), t);
}

/**
 * Repairs a scaled double that left the exact window: NaN -> +huge; |y| >= 2^106 or Inf -> +-2^106
 * (the true value's low 52 bits are 0 as well); |y| < 1/2 or underflow -> +-1/4 with x's sign.
 */
function fixScaled(x: number, y: number, ay: number): number {
  if (x !== x) return TWO106;
  if (x === 0) return 0;
  if (ay >= TWO106) return y > 0 ? TWO106 : -TWO106;
  return x > 0 ? 0.25 : -0.25;
}

export type NumCast = (raw: number) => number;

/** Per-type constants and the out-of-range handler, shared by the prepared closures. */
function overflowParts(to: FixedType, onOverflow?: () => void): { max: number; min: number; ovf: (k: number) => number } {
  const parts = overflowPartsRaw(to);
  if (!onOverflow) return parts;
  const inner = parts.ovf;
  return { ...parts, ovf: (k) => { onOverflow(); return inner(k); } };
}

function overflowPartsRaw(to: FixedType): { max: number; min: number; ovf: (k: number) => number } {
  const w = to.width;
  const max = to.signed ? POW2[w - 1 + 1074]! - 1 : POW2[w + 1074]! - 1;
  const min = to.signed ? (to.o === 'AP_SAT_SYM' ? 0 - max : -max - 1) : 0; // 0 - max: never -0 (w = 1)
  const M = POW2[w + 1074]!;
  let ovf: (k: number) => number;
  if (to.o === 'AP_SAT') ovf = (k) => (k > max ? max : min);
  else if (to.o === 'AP_SAT_SYM') ovf = (k) => (k > max ? max : min); // min is already -max when signed
  else if (to.o === 'AP_SAT_ZERO') ovf = () => 0;
  else if (to.n === 0) ovf = to.signed ? (k) => { const r = k - Math.floor(k / M) * M; return r > max ? r - M : r; } : (k) => k - Math.floor(k / M) * M;
  else ovf = (k) => overflowSlow(k, to);
  return { max, min, ovf };
}

/**
 * 1.5 * 2^52: for an exact double |y| < 2^51, (y + MAGIC) - MAGIC is y rounded to the nearest
 * integer with ties to even, in one correctly rounded addition (the sum's ulp is exactly 1). The
 * other AP_RND* modes differ from it only on exact ties, where r - y (exact, by Sterbenz) is +-1/2.
 * Branch-free rounding matters: the low bits of real data are random, so a `frac > 0.5` test
 * mispredicts about half the time.
 */
const MAGIC = 6755399441055744;
const TWO51 = 2 ** 51;

/**
 * Per-element cast `k = round(y)` then range check; y = raw * s is exact and |y| < 2^51 (d >= 2).
 * One function literal per mode, so each closure's call sites stay monomorphic in V8.
 */
function castClosure(q: QMode, s: number, max: number, min: number, ovf: NumCast): NumCast {
  switch (q) {
    case 'AP_TRN':
      return (raw) => { const k = Math.floor(raw * s) + 0; return k > max || k < min ? ovf(k) : k; };
    case 'AP_TRN_ZERO':
      return (raw) => { const k = Math.trunc(raw * s) + 0; return k > max || k < min ? ovf(k) : k; };
    case 'AP_RND_CONV':
      return (raw) => { const k = raw * s + MAGIC - MAGIC; return k > max || k < min ? ovf(k) : k; };
    case 'AP_RND':
      return (raw) => {
        const y = raw * s; let k = y + MAGIC - MAGIC;
        if (k - y === -0.5) k += 1;
        return k > max || k < min ? ovf(k) : k;
      };
    case 'AP_RND_MIN_INF':
      return (raw) => {
        const y = raw * s; let k = y + MAGIC - MAGIC;
        if (k - y === 0.5) k -= 1;
        return k > max || k < min ? ovf(k) : k;
      };
    case 'AP_RND_ZERO':
      return (raw) => {
        const y = raw * s; let k = y + MAGIC - MAGIC; const e = k - y;
        if (e === 0.5 && y > 0) k -= 1; else if (e === -0.5 && y < 0) k += 1;
        return k > max || k < min ? ovf(k) : k;
      };
    default: // AP_RND_INF
      return (raw) => {
        const y = raw * s; let k = y + MAGIC - MAGIC; const e = k - y;
        if (e === 0.5 && y < 0) k -= 1; else if (e === -0.5 && y > 0) k += 1;
        return k > max || k < min ? ovf(k) : k;
      };
  }
}

/**
 * A specialised `raw => castRawNum(raw, fromFrac, to)` (same preconditions): mode dispatch and
 * constants are resolved once, so the common case is a multiply, an add pair and two compares.
 */
export function prepareCast(fromFrac: number, to: FixedType, onOverflow?: () => void): NumCast {
  checkFast(to);
  const { max, min, ovf } = overflowParts(to, onOverflow);
  const d = fromFrac - fracBits(to);
  if (d <= 0) {
    const mul = POW2[Math.min(-d, 64) + 1074]!;
    return (raw) => { const k = raw * mul + 0; return k > max || k < min ? ovf(k) : k; };
  }
  if (d >= 54) {
    // |raw * 2^-d| < 1/2: every mode gives what +-1/4 LSB gives, i.e. a shift of 2 applied to sign(raw).
    const inner = prepareCast(fracBits(to) + 2, to, onOverflow);
    return (raw) => inner(raw > 0 ? 1 : raw < 0 ? -1 : 0);
  }
  const s = POW2[-d + 1074]!;
  if (d === 1) {
    // |y| may reach 2^52, outside MAGIC's window: use the generic exact rounding.
    const q = to.q;
    return (raw) => { const k = roundNum(raw * s, q); return k > max || k < min ? ovf(k) : k; };
  }
  return castClosure(to.q, s, max, min, ovf);
}

/** A specialised `x => quantizeDoubleNum(x, t)`; non-finite, huge and underflowing inputs take a slow branch. */
export function prepareQuantize(t: FixedType, onOverflow?: () => void): NumCast {
  checkFast(t);
  const { max, min, ovf } = overflowParts(t, onOverflow);
  const F = fracBits(t);
  const s1 = pow2(Math.max(-1000, Math.min(1000, F)));
  const s2 = pow2(F - Math.max(-1000, Math.min(1000, F)));
  const q = t.q;
  const slow = (x: number, y: number): number => { // |y| >= 2^51, Inf or NaN
    const ay = Math.abs(y);
    const k = roundNum(ay < TWO106 ? y : fixScaled(x, y, ay), q);
    return k > max || k < min ? ovf(k) : k;
  };
  // y = x * 2^F is exact whenever it is normal; a y that underflowed to +-0 only matters to AP_TRN,
  // which must floor a tiny negative x to -1 (the other modes give 0 for any |y| < 1/2).
  switch (q) {
    case 'AP_TRN':
      return (x) => {
        const y = x * s1 * s2;
        if (!(Math.abs(y) < TWO51)) return slow(x, y);
        let k = Math.floor(y) + 0;
        if (k === 0 && x < 0) k = -1;
        return k > max || k < min ? ovf(k) : k;
      };
    case 'AP_RND_CONV':
      return (x) => {
        const y = x * s1 * s2;
        if (!(Math.abs(y) < TWO51)) return slow(x, y);
        const k = y + MAGIC - MAGIC;
        return k > max || k < min ? ovf(k) : k;
      };
    default: {
      // The remaining modes reuse castClosure's per-mode rounding on y (raw = y, s = 1).
      const c = castClosure(q, 1, max, min, ovf);
      return (x) => {
        const y = x * s1 * s2;
        return Math.abs(y) < TWO51 ? c(y) : slow(x, y);
      };
    }
  }
}
