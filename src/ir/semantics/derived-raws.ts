/**
 * The derived integer constants of the exact piecewise-linear datapaths — the numbers a kernel
 * compares raws with or multiplies them by, each a function of the node's attributes and its
 * fixed-point types: LeakyRelu's α raw, ThresholdedRelu's threshold, Clip's thresholds and
 * clipped results, BipolarQuant's ±scale levels, Pad's pad raw, and a recurrent cell's clip
 * threshold/results and its exact activations' thresholds and α/β raws. They are computed here
 * once, by the quantize pass, and stored in the node's precision record (`prec.raws`); the
 * fixed-point simulator and the HLS emitter read that record, and verify() recomputes them with
 * this same function to reject a record that disagrees with the types.
 * Thresholds are integers t on the input's raws with `raw > t` (or `raw < t`) exactly equal to
 * the real comparison (raws are integers: r > a ⟺ r > ⌊a⌋, r < a ⟺ r < ⌈a⌉), kept one step
 * outside the type's raw range so every value of the type compares as the real one would.
 */
import { type FixedType, fracBits } from '../fixed.js';
import type { Value } from '../graph.js';
import type { Node } from '../graph.js';
import type { NodePrecision } from '../precision.js';
import { quantizeDouble } from './apfixed.js';
import { RECURRENT_SLOTS, recurrentActivations, type RecNode } from './recurrent.js';

/** Derived raws by role: one integer, or one per element of a constant (BipolarQuant's levels). */
export type DerivedRaws = { readonly [role: string]: bigint | readonly bigint[] };

function rawBounds(t: FixedType): [bigint, bigint] {
  if (t.signed) return [-(1n << BigInt(t.width - 1)), (1n << BigInt(t.width - 1)) - 1n];
  return [0n, (1n << BigInt(t.width)) - 1n];
}

const clampBig = (v: bigint, lo: bigint, hi: bigint) => (v < lo ? lo : v > hi ? hi : v);

/** An integer-valued double (or ±Infinity) as a bigint clamped into [lo, hi]. */
function clampedInt(x: number, lo: bigint, hi: bigint): bigint {
  if (x === Infinity) return hi;
  if (x === -Infinity) return lo;
  return clampBig(BigInt(x), lo, hi);
}

/** t with `raw > t` ⟺ `raw·2^-F > x` for every raw of `t` (⌊x·2^F⌋ within [min−1, max]). */
export function aboveThreshold(x: number, t: FixedType): bigint {
  const [lo, hi] = rawBounds(t);
  if (Number.isNaN(x)) return hi; // no raw compares above NaN
  return clampedInt(Math.floor(x * 2 ** fracBits(t)), lo - 1n, hi);
}

/** t with `raw < t` ⟺ `raw·2^-F < x` for every raw of `t` (⌈x·2^F⌉ within [min, max+1]). */
export function belowThreshold(x: number, t: FixedType): bigint {
  const [lo, hi] = rawBounds(t);
  if (Number.isNaN(x)) return lo; // no raw compares below NaN
  return clampedInt(Math.ceil(x * 2 ** fracBits(t)), lo, hi + 1n);
}

/** The facts about a node the derivation reads: its values (types, constant data) and internal types. */
export interface DerivationInputs {
  readonly value: (name: string) => Value;
  /** The node's internal types (prec.types), which the quantize pass decides first. */
  readonly types: NodePrecision['types'];
}

/**
 * The derived raws of node n, or undefined when its op has none. Throws Error (internal) when a
 * type it needs is missing: callers run it on quantized nodes only.
 */
export function derivedRaws(n: Node, inp: DerivationInputs): DerivedRaws | undefined {
  const typeOf = (name: string): FixedType => {
    const t = inp.value(name).fixed;
    if (!t) throw new Error(`internal: node '${n.name}' (${n.op}): value '${name}' has no fixed type`);
    return t;
  };
  const internal = (role: string): FixedType => {
    const t = inp.types?.[role];
    if (!t) throw new Error(`internal: node '${n.name}' (${n.op}): no ${role} type`);
    return t;
  };
  switch (n.op) {
    case 'LeakyRelu':
      return { alpha: quantizeDouble(n.attrs.alpha, internal('alpha')) };
    case 'ThresholdedRelu':
      return { thr: aboveThreshold(n.attrs.alpha, typeOf(n.inputs[0]!)) };
    case 'Clip': {
      const xT = typeOf(n.inputs[0]!);
      const yT = typeOf(n.outputs[0]!);
      const { min, max } = n.attrs;
      return {
        lo: belowThreshold(min, xT),
        hi: aboveThreshold(max, xT),
        lo_out: Number.isFinite(min) ? quantizeDouble(min, yT) : 0n,
        hi_out: Number.isFinite(max) ? quantizeDouble(max, yT) : 0n,
      };
    }
    case 'BipolarQuant': {
      const yT = typeOf(n.outputs[0]!);
      const s = inp.value(n.inputs[1]!).data;
      if (!s) throw new Error(`internal: node '${n.name}' (BipolarQuant): scale is not a constant`);
      return { pos: Array.from(s, (v) => quantizeDouble(v, yT)), neg: Array.from(s, (v) => quantizeDouble(-v, yT)) };
    }
    case 'Pad':
      return { pad: quantizeDouble(n.attrs.value, typeOf(n.outputs[0]!)) };
    case 'LSTM':
    case 'GRU':
    case 'RNN':
      return recurrentRaws(n, internal);
    default:
      return undefined;
  }
}

/**
 * A recurrent cell's constants: the clip threshold on the gate type's raws and the clipped
 * results (when clip > 0), and per exact activation role `<slot><dir>` its threshold on its
 * input's raws (ThresholdedRelu) or its α/β raws in their types (LeakyRelu, Affine).
 */
function recurrentRaws(n: RecNode, internal: (role: string) => FixedType): DerivedRaws {
  const out: Record<string, bigint> = {};
  const G = internal('gate');
  const S = internal('state');
  const clip = n.attrs.clip;
  if (clip > 0) {
    // Both sides: raw > t ⟺ v > clip and raw < −t ⟺ v < −clip (t = ⌊clip·2^F⌋ within the range).
    const [gLo, gHi] = rawBounds(G);
    const m = -gLo > gHi + 1n ? -gLo : gHi + 1n;
    out['clip_thr'] = clampedInt(Math.floor(clip * 2 ** fracBits(G)), -m, m);
    out['clip_hi'] = quantizeDouble(clip, G);
    out['clip_lo'] = quantizeDouble(-clip, G);
  }
  const slots = RECURRENT_SLOTS[n.op];
  recurrentActivations(n).forEach((dir, d) =>
    dir.forEach((act, k) => {
      const slot = slots[k]!;
      const role = `${slot}${d}`;
      // LSTM's h slot squashes the cell state; the others the gate pre-activations.
      const inT = slot === 'h' ? S : G;
      switch (act.kind) {
        case 'thresholdedrelu':
          out[`${role}_thr`] = aboveThreshold(act.alpha, inT);
          break;
        case 'leakyrelu':
          out[`${role}_alpha`] = quantizeDouble(act.alpha, internal(`${role}_alpha`));
          break;
        case 'affine':
          out[`${role}_alpha`] = quantizeDouble(act.alpha, internal(`${role}_alpha`));
          out[`${role}_beta`] = quantizeDouble(act.beta, internal(`${role}_beta`));
          break;
        default:
      }
    }),
  );
  return out;
}

/** Pad's pad value as a raw of its output type, from its record (the movement kernels' one reader). */
export function padRawOf(n: Node<'Pad'>): bigint {
  const r = n.prec?.raws;
  if (!r) throw new Error(`node '${n.name}' (Pad): no pad raw (run the quantize pass)`);
  return r.pad;
}
