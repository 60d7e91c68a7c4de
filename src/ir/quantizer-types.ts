/**
 * The fixed-point type a QONNX quantizer's output lives in, derived once from its parameters and
 * read by the quantize pass (a Quant/BipolarQuant node's output type) and by the ONNX importer (a
 * quantizer folded over constant weights records the type on the folded constant, so binary,
 * ternary and other few-bit weights keep their 1–8 bits instead of the default ap_fixed<16,6>).
 *
 * Quant(bits b, scale 2^e, zero point 0) outputs q·2^e with q a b-bit integer: exactly
 * ap_[u]fixed<b, b+e>. BipolarQuant(scale 2^e) outputs ±2^e: ap_fixed<2, e+2> (1 bit of magnitude
 * and a sign; no 1-bit two's-complement type holds both +1 and −1).
 * Per-channel scales: when every channel's scale is a power of two 2^e_c (zero point 0), the values
 * of all channels are held exactly by one type "as wide as the widest channel needs": fraction bits
 * of the finest channel (−min e_c), integer bits of the coarsest (b + max e_c), so the width is
 * b + (max e_c − min e_c). That is the type of a folded constant (its values are on each channel's
 * grid already). A run-time Quant's cast must round and saturate each channel on its own grid,
 * which one cast into one type cannot do, so `perChannel` tells the quantize pass to keep its
 * approximation note there.
 */
import { fixedType, type FixedType, type QMode } from './fixed.js';

export interface QuantParams {
  /** Scale values (one, or one per channel), zero points, and the bit width. */
  readonly scale: ArrayLike<number>;
  readonly zeroPoint: ArrayLike<number>;
  readonly bits: number;
  readonly signed: boolean;
  readonly narrow: boolean;
  readonly rounding: string;
}

export type QuantTyping =
  /** Exact: every output value is representable and the cast reproduces the quantizer. */
  | { readonly kind: 'exact'; readonly type: FixedType; readonly perChannel: boolean }
  /** No exact fixed-point form (scale not a power of two, non-zero zero point): an approximation. */
  | { readonly kind: 'approx'; readonly type: FixedType; readonly note: string };

const Q_OF: Record<string, QMode> = {
  ROUND: 'AP_RND_CONV', HALF_EVEN: 'AP_RND_CONV', FLOOR: 'AP_TRN', ROUND_TO_ZERO: 'AP_TRN_ZERO', HALF_UP: 'AP_RND_INF', HALF_DOWN: 'AP_RND_ZERO',
};

/** ap_fixed quantization mode of a QONNX rounding_mode, or null when it has none. */
export function qModeOf(rounding: string): QMode | null {
  return Q_OF[rounding.toUpperCase()] ?? null;
}

/** e when v = 2^e exactly, else null. */
export function log2Exact(v: number): number | null {
  if (!(v > 0)) return null;
  const e = Math.round(Math.log2(v));
  return 2 ** e === v ? e : null;
}

/** The exponents e_c of scales that are all powers of two, else null. */
function pow2Exponents(scale: ArrayLike<number>): number[] | null {
  const es: number[] = [];
  for (let i = 0; i < scale.length; i++) {
    const e = log2Exact(scale[i]!);
    if (e === null) return null;
    es.push(e);
  }
  return es.length ? es : null;
}

/**
 * Type of a QONNX Quant's output; q/o modes are the quantizer's rounding and (narrow) saturation.
 * `perChannelExact` false (a run-time Quant) treats distinct per-channel powers of two like any
 * other scale without one exact cast.
 */
export function quantTyping(p: QuantParams, perChannelExact: boolean): QuantTyping {
  const q = qModeOf(p.rounding) ?? 'AP_RND_CONV';
  const o = p.narrow && p.signed ? 'AP_SAT_SYM' : 'AP_SAT';
  const es = pow2Exponents(p.scale);
  const zeros = Array.from(p.zeroPoint).every((z) => z === 0);
  const oneGrid = !!es && (perChannelExact || es.every((e) => e === es[0]));
  if (!es || !zeros || !oneGrid) {
    const big = Math.max(...Array.from(p.scale, Math.abs));
    const e2 = Math.ceil(Math.log2(big));
    const uniform = (a: ArrayLike<number>) => Array.from(a).every((v) => v === a[0]);
    const s = uniform(p.scale) ? String(p.scale[0]) : '(per channel)';
    const z = uniform(p.zeroPoint) ? String(p.zeroPoint[0]) : '(per channel)';
    const type = fixedType(p.bits + 8, p.bits + e2, { signed: p.signed, q, o: 'AP_SAT' });
    const what = es && zeros ? 'has per-channel powers of two, which one cast into one type cannot round and saturate channel by channel' : 'is not a power of two with zero point 0';
    return {
      kind: 'approx',
      type,
      note: `scale ${s} / zero point ${z} ${what}; approximated by ap_${p.signed ? '' : 'u'}fixed<${p.bits + 8},${p.bits + e2}> (8 extra fraction bits)`,
    };
  }
  const lo = Math.min(...es);
  const hi = Math.max(...es);
  return { kind: 'exact', type: fixedType(p.bits + hi - lo, p.bits + hi, { signed: p.signed, q, o }), perChannel: hi !== lo };
}

/** Type of a BipolarQuant's output (±scale), or null when the scale is not one power of two. */
export function bipolarType(scale: ArrayLike<number>): FixedType | null {
  const es = pow2Exponents(scale);
  if (!es || es.some((e) => e !== es[0])) return null;
  return fixedType(2, es[0]! + 2);
}

/**
 * The type a constant folded from a quantizer is held in (plain modes: its values are on the grid
 * already, so no rounding or saturation is ever applied), or null when the quantizer has no exact one.
 */
export function foldedQuantType(p: QuantParams | { readonly bipolar: ArrayLike<number> }): FixedType | null {
  if ('bipolar' in p) {
    const es = pow2Exponents(p.bipolar);
    if (!es) return null;
    // ±2^e_c over channels: magnitude bits from the coarsest channel, fraction bits from the finest.
    const lo = Math.min(...es);
    const hi = Math.max(...es);
    return fixedType(2 + hi - lo, hi + 2);
  }
  const t = quantTyping(p, true);
  return t.kind === 'exact' ? fixedType(t.type.width, t.type.int, { signed: t.type.signed }) : null;
}

/**
 * A run-time Quant whose scales are distinct powers of two per channel (zero point 0) is exact as
 * a per-channel cast: channel c's x·2^-e_c is cast into `grid` (the b-bit integer type with the
 * quantizer's rounding and saturation) and the integer is placed on the output type's grid 2^eMin,
 * i.e. shifted left by e_c − eMin. The quantize pass records `grid` (prec.types.grid) and the
 * exponents this function computes (prec.channels); the simulator and the emitter read both.
 */
export function channelExponents(scale: ArrayLike<number>): { exps: number[]; eMin: number; eMax: number } {
  const exps = pow2Exponents(scale);
  if (!exps) throw new Error('internal: per-channel Quant scales are not all powers of two');
  return { exps, eMin: Math.min(...exps), eMax: Math.max(...exps) };
}

/** The per-channel grid type of an exact per-channel Quant, or null when one cast into its output type is the op. */
export function perChannelGrid(p: QuantParams): FixedType | null {
  const t = quantTyping(p, true);
  if (t.kind !== 'exact' || !t.perChannel) return null;
  return fixedType(p.bits, p.bits, { signed: p.signed, q: t.type.q, o: t.type.o });
}
