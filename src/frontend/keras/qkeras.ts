/**
 * QKeras quantizers: parsing (the serialized {class_name, config} object or the string form
 * "quantized_bits(6,0,alpha=1)"), applying them to weights exactly as QKeras does at inference
 * (tf.round is round-half-to-even), and the ap_fixed type that holds their outputs exactly.
 * Definitions follow QKeras's quantizers.py:
 *  - quantized_bits(bits, integer, symmetric, keep_negative, alpha): m = 2^(bits−keep_negative),
 *    xq = 2^integer·clip(round(x·m/2^integer), keep_negative·(−m+symmetric), m−1)/m, times alpha;
 *    alpha "auto"/"auto_po2" picks a per-output-channel scale from the weights (symmetric);
 *  - quantized_relu(bits, integer, use_sigmoid=0, negative_slope): clip(round(x·2^(bits−integer)),
 *    0, 2^bits−1)·2^(integer−bits); with negative_slope s > 0 one bit goes to the sign, the step is
 *    2^(integer−bits+1) and the negative side is step·round(s·x/step), clipped at −s·2^integer;
 *  - quantized_tanh / quantized_sigmoid: the hard (piecewise-linear) functions QKeras uses by
 *    default, rounded to bits−1 / bits fraction bits and clipped below 1;
 *  - binary (±1, 0 counted as +1, or {0,1} with use_01), ternary (−1, 0, +1 where |x| ≥ threshold),
 *    quantized_po2; binary/ternary alpha "auto"/"auto_po2" on weights is QKeras's least-squares
 *    per-channel scale mean(x·q)/(mean(q·q)+ε) (ternary: iterated number_of_unrolls times from 2·max|x|/3).
 */
import { fixedType, type FixedType } from '../../ir/fixed.js';
import { NnInputError } from '../../util/tensor.js';

export type QArg = number | string | boolean | null;

export interface QSpec {
  readonly name: string;
  readonly args: Readonly<Record<string, QArg>>;
}

const POSITIONAL: Record<string, readonly string[]> = {
  quantized_bits: ['bits', 'integer', 'symmetric', 'keep_negative', 'alpha', 'use_stochastic_rounding', 'scale_axis', 'qnoise_factor'],
  quantized_relu: ['bits', 'integer', 'use_sigmoid', 'negative_slope', 'use_stochastic_rounding', 'relu_upper_bound', 'is_quantized_clip', 'qnoise_factor'],
  quantized_tanh: ['bits', 'use_stochastic_rounding', 'symmetric', 'use_real_tanh'],
  quantized_sigmoid: ['bits', 'symmetric', 'use_real_sigmoid', 'use_stochastic_rounding'],
  binary: ['use_01', 'alpha', 'use_stochastic_rounding'],
  stochastic_binary: ['alpha', 'temperature', 'use_real_sigmoid'],
  ternary: ['alpha', 'threshold', 'use_stochastic_rounding', 'number_of_unrolls'],
  stochastic_ternary: ['alpha', 'threshold', 'temperature', 'use_real_sigmoid', 'number_of_unrolls'],
  quantized_po2: ['bits', 'max_value', 'use_stochastic_rounding', 'quadratic_approximation', 'log2_rounding'],
};

export const KNOWN_QUANTIZERS = Object.keys(POSITIONAL);

function parseLiteral(s: string, where: string): QArg {
  const t = s.trim();
  if (t === 'None') return null;
  if (t === 'True') return true;
  if (t === 'False') return false;
  if (/^(['"]).*\1$/.test(t)) return t.slice(1, -1);
  const n = Number(t);
  if (t !== '' && Number.isFinite(n)) return n;
  throw new NnInputError(`${where}: cannot read quantizer argument '${t}'`);
}

/** Parses a quantizer from its serialized object or string form; null for "no quantizer". */
export function parseQuantizer(raw: unknown, where: string): QSpec | null {
  if (raw === null || raw === undefined) return null;
  let name: string;
  const args: Record<string, QArg> = {};
  if (typeof raw === 'string') {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\((.*)\))?\s*$/s.exec(raw);
    if (!m) throw new NnInputError(`${where}: cannot read quantizer '${raw}'`);
    name = m[1]!;
    const pos = POSITIONAL[name];
    if (!pos) throw unknownQuantizer(name, where);
    const body = (m[2] ?? '').trim();
    if (body) {
      body.split(',').forEach((part, i) => {
        const eq = part.indexOf('=');
        if (eq >= 0) args[part.slice(0, eq).trim()] = parseLiteral(part.slice(eq + 1), where);
        else if (i < pos.length) args[pos[i]!] = parseLiteral(part, where);
        else throw new NnInputError(`${where}: too many arguments in '${raw}'`);
      });
    }
  } else if (typeof raw === 'object' && !Array.isArray(raw)) {
    const o = raw as Record<string, unknown>;
    name = String(o['class_name'] ?? '');
    if (!POSITIONAL[name]) throw unknownQuantizer(name || JSON.stringify(raw).slice(0, 80), where);
    for (const [k, v] of Object.entries((o['config'] ?? {}) as Record<string, unknown>)) {
      args[k] = typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || v === null ? v : String(v);
    }
  } else {
    throw new NnInputError(`${where}: cannot read quantizer ${JSON.stringify(raw).slice(0, 80)}`);
  }
  return { name, args };
}

function unknownQuantizer(name: string, where: string): NnInputError {
  return new NnInputError(`${where}: unknown quantizer '${name}'; supported: ${KNOWN_QUANTIZERS.join(', ')}`);
}

const num = (q: QSpec, k: string, d: number): number => {
  const v = q.args[k];
  if (v === undefined || v === null) return d;
  if (typeof v === 'boolean') return v ? 1 : 0;
  const n = Number(v);
  return Number.isFinite(n) ? n : d;
};
const bool = (q: QSpec, k: string, d: boolean): boolean => {
  const v = q.args[k];
  return v === undefined || v === null ? d : v === true || v === 1 || v === 'True' || v === 'true';
};

/** Round half to even (tf.round / numpy.round). */
export function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

function log2Exact(v: number): number | null {
  if (!(v > 0)) return null;
  const e = Math.round(Math.log2(v));
  return 2 ** e === v ? e : null;
}

const RND_SAT = { q: 'AP_RND_CONV', o: 'AP_SAT' } as const;

/** Refuses options whose inference behaviour nn2hls does not reproduce. */
function refuseUnsupported(q: QSpec, where: string): void {
  // use_stochastic_rounding only acts in training; inference rounds half to even.
  if (q.name === 'quantized_relu' && num(q, 'use_sigmoid', 0)) {
    throw new NnInputError(`${where}: quantized_relu with use_sigmoid=1 is not supported; retrain with use_sigmoid=0`);
  }
}

export interface WeightQuant {
  /** Quantized values (float64, exact). */
  readonly data: Float64Array;
  /** A type holding every value exactly, or null when none exists (float "auto" scales). */
  readonly type: FixedType | null;
  /** Why there is no exact type, for the notes. */
  readonly note?: string;
}

/** Per-channel max |x| over all axes but the last (QKeras's channels_last scale axis). */
function channelMaxAbs(x: Float32Array | Float64Array, channels: number): Float64Array {
  const out = new Float64Array(channels);
  for (let i = 0; i < x.length; i++) out[i % channels] = Math.max(out[i % channels]!, Math.abs(x[i]!));
  return out;
}

/** Smallest type holding these values exactly (all are multiples of a power of two). */
function exactTypeOf(data: Float64Array): FixedType | null {
  // frac: the most fraction bits any value needs (its finest binary digit).
  let frac = -Infinity;
  let maxAbs = 0;
  let neg = false;
  for (const v of data) {
    if (v === 0) continue;
    if (v < 0) neg = true;
    maxAbs = Math.max(maxAbs, Math.abs(v));
    let e = 0;
    let m = Math.abs(v);
    while (!Number.isInteger(m) && e < 64) {
      m *= 2;
      e++;
    }
    if (!Number.isInteger(m)) return null;
    while (m % 2 === 0 && m > 0) {
      m /= 2;
      e--;
    }
    frac = Math.max(frac, e);
  }
  if (maxAbs === 0) return fixedType(2, 1, RND_SAT);
  let int = Math.ceil(Math.log2(maxAbs + 2 ** -frac)) + (neg ? 1 : 0);
  // At least two bits wide.
  if (int + frac < 2) int = 2 - frac;
  return fixedType(int + frac, int, { signed: neg, ...RND_SAT });
}

/** Scale index of element i in QKeras's least-squares fit: the last axis; a 1-D tensor is not reduced (one scale per element). */
function channelOf(shape: readonly number[], channels: number): (i: number) => number {
  return shape.length > 1 ? (i) => i % channels : (i) => i;
}

/** QKeras's least-squares scale for alpha 'auto'/'auto_po2': per channel mean(x·q)/(mean(q·q)+ε), po2-snapped. */
function fitScale(alpha: 'auto' | 'auto_po2', x: Float32Array, q: Float64Array, n: number, ch: (i: number) => number): Float64Array {
  const qx = new Float64Array(n);
  const qq = new Float64Array(n);
  const cnt = new Float64Array(n);
  for (let i = 0; i < x.length; i++) {
    const c = ch(i);
    qx[c]! += x[i]! * q[i]!;
    qq[c]! += q[i]! * q[i]!;
    cnt[c]! += 1;
  }
  const eps = 1e-7;
  return Float64Array.from(qx, (v, c) => {
    const s = v / cnt[c]! / (qq[c]! / cnt[c]! + eps);
    return alpha === 'auto_po2' ? 2 ** roundHalfEven(Math.log(s + eps) / Math.LN2) : s;
  });
}

function autoAlpha(a: string, name: string, where: string): 'auto' | 'auto_po2' {
  if (a !== 'auto' && a !== 'auto_po2') throw new NnInputError(`${where}: ${name} alpha '${a}' is not a number, 'auto' or 'auto_po2'`);
  return a;
}

/** Scaled values and their exact type ('auto' float scales have none). */
function scaled(out: Float64Array, alpha: string | number, name: string): WeightQuant {
  const t = alpha === 'auto' ? null : exactTypeOf(out);
  return t ? { data: out, type: t } : { data: out, type: null, note: `${name} alpha=${alpha} gives scales that are not powers of two; weights are not on one fixed-point grid` };
}

/**
 * Quantizes a weight tensor (channels last) as the QKeras quantizer does at inference, and
 * returns the type that holds the result exactly.
 */
export function quantizeWeights(q: QSpec, x: Float32Array, shape: readonly number[], where: string): WeightQuant {
  refuseUnsupported(q, where);
  const channels = shape.length > 1 ? shape[shape.length - 1]! : x.length;
  const out = new Float64Array(x.length);
  switch (q.name) {
    case 'quantized_bits': {
      const bits = num(q, 'bits', 8);
      const integer = num(q, 'integer', 0);
      const keepNeg = bool(q, 'keep_negative', true) ? 1 : 0;
      let symmetric = num(q, 'symmetric', 0) ? 1 : 0;
      const alpha = q.args['alpha'];
      const m = 2 ** (bits - keepNeg);
      const mi = 2 ** integer;
      if (bits - keepNeg <= 0) {
        // One signed bit: the sign of x, 0 counted as +1.
        for (let i = 0; i < x.length; i++) out[i] = keepNeg ? (x[i]! >= 0 ? 1 : -1) : x[i]! >= 0 ? 1 : 0;
        return { data: out, type: exactTypeOf(out) };
      }
      if (typeof alpha === 'string') {
        if (alpha !== 'auto' && alpha !== 'auto_po2') throw new NnInputError(`${where}: quantized_bits alpha '${alpha}' is not 'auto' or 'auto_po2'`);
        symmetric = 1;
        const levels = (2 ** (bits - 1) - 1) * 2;
        const xs = Float64Array.from(x, (v) => v / mi);
        // Scales are per channel (last axis); for a 1-D tensor QKeras starts from one scale (max over
        // axis 0) and its least-squares refit is per element (no reduction), so sIdx follows the array.
        const sIdx = (scale: Float64Array, i: number) => (shape.length > 1 ? i % channels : scale.length === 1 ? 0 : i);
        const zOf = (scale: Float64Array) => {
          const z = new Float64Array(xs.length);
          for (let i = 0; i < xs.length; i++) {
            const s = scale[sIdx(scale, i)]!;
            const v = Math.floor(Math.abs(xs[i]!) / s + 0.5);
            z[i] = Math.sign(xs[i]!) * (v < levels / 2 ? v : levels / 2);
          }
          return z;
        };
        const maxes = shape.length > 1 ? channelMaxAbs(xs, channels) : Float64Array.of(xs.reduce((a, v) => Math.max(a, Math.abs(v)), 0));
        let scale = Float64Array.from(maxes, (v) => (v * 2) / levels);
        const eps = 1e-7;
        // z is computed once from the current scale; in auto_po2, QKeras keeps the z of its last
        // iteration and multiplies it by the scale refitted from it.
        let z = zOf(scale);
        if (alpha === 'auto_po2') {
          scale = Float64Array.from(scale, (s) => 2 ** roundHalfEven(Math.log(s + eps) / Math.LN2));
          const n = shape.length > 1 ? channels : xs.length;
          for (let it = 0; it < 5; it++) {
            z = zOf(scale);
            // Least-squares scale per channel (mean of x·z over mean of z·z), snapped to a power of two.
            const qx = new Float64Array(n);
            const qq = new Float64Array(n);
            for (let i = 0; i < xs.length; i++) {
              const c = shape.length > 1 ? i % channels : i;
              qx[c]! += xs[i]! * z[i]!;
              qq[c]! += z[i]! * z[i]!;
            }
            const per = shape.length > 1 ? xs.length / channels : 1;
            scale = Float64Array.from(qx, (v, c) => 2 ** roundHalfEven(Math.log(v / per / (qq[c]! / per + eps) + eps) / Math.LN2));
          }
        }
        // QKeras: xq = scale·m · (2^integer · z / m).
        for (let i = 0; i < xs.length; i++) {
          const s = scale[sIdx(scale, i)]!;
          out[i] = Math.fround(s * m) * Math.fround((mi * z[i]!) / m);
        }
        const t = alpha === 'auto_po2' ? exactTypeOf(out) : null;
        return t
          ? { data: out, type: t }
          : { data: out, type: null, note: `quantized_bits alpha='${alpha}' gives per-channel float scales; weights are not on one fixed-point grid` };
      }
      const a = alpha === null || alpha === undefined ? 1 : Number(alpha);
      const e = log2Exact(a);
      const lo = keepNeg * (-m + symmetric);
      for (let i = 0; i < x.length; i++) out[i] = (a * mi * Math.min(m - 1, Math.max(lo, roundHalfEven((x[i]! * m) / mi)))) / m;
      if (e === null) {
        return { data: out, type: null, note: `quantized_bits alpha=${a} is not a power of two; weights are not on one fixed-point grid` };
      }
      return { data: out, type: bitsType(bits, integer + e, keepNeg === 1, symmetric === 1) };
    }
    case 'binary': {
      const use01 = bool(q, 'use_01', false);
      const a = q.args['alpha'];
      // tf.sign(0) = 0 is counted as +1.
      const k = Float64Array.from(x, (v) => (v >= 0 ? 1 : use01 ? 0 : -1));
      if (typeof a === 'string') {
        const ch = channelOf(shape, channels);
        const sc = fitScale(autoAlpha(a, 'binary', where), x, k, shape.length > 1 ? channels : x.length, ch);
        for (let i = 0; i < x.length; i++) out[i] = sc[ch(i)]! * k[i]!;
        return scaled(out, a, 'binary');
      }
      const s = a === null || a === undefined ? 1 : Number(a);
      for (let i = 0; i < out.length; i++) out[i] = s * k[i]!;
      return scaled(out, s, 'binary');
    }
    case 'ternary': {
      const a = q.args['alpha'];
      if (typeof a === 'string') {
        const mode = autoAlpha(a, 'ternary', where);
        const n = shape.length > 1 ? channels : x.length;
        const ch = channelOf(shape, channels);
        const unrolls = num(q, 'number_of_unrolls', 5);
        if (!(unrolls >= 1)) throw new NnInputError(`${where}: ternary number_of_unrolls ${unrolls} must be at least 1`);
        // Start from 2·max|x|/3 per channel (one max for a 1-D tensor), then alternate threshold
        // (scale/2) and least-squares scale.
        const m = channelMaxAbs(x, shape.length > 1 ? channels : 1);
        let sc: Float64Array = Float64Array.from(m, (v) => (2 * v) / 3);
        if (mode === 'auto_po2') sc = Float64Array.from(sc, (v) => 2 ** roundHalfEven(Math.log(v + 1e-7) / Math.LN2));
        let k: Float64Array = new Float64Array(x.length);
        for (let it = 0; it < unrolls; it++) {
          const cur = sc;
          k = Float64Array.from(x, (v, i) => {
            const s = cur[cur.length === 1 ? 0 : ch(i)]!;
            return Math.abs(s * roundHalfEven(v / s)) >= s / 2 ? Math.sign(v) : 0;
          });
          sc = fitScale(mode, x, k, n, ch);
        }
        for (let i = 0; i < x.length; i++) out[i] = sc[ch(i)]! * k[i]!;
        return scaled(out, a, 'ternary');
      }
      const th = num(q, 'threshold', 0.33);
      const s = a === null || a === undefined ? 1 : Number(a);
      for (let i = 0; i < x.length; i++) out[i] = Math.abs(x[i]!) >= th ? s * Math.sign(x[i]!) : 0;
      return scaled(out, s, 'ternary');
    }
    case 'quantized_po2': {
      const bits = num(q, 'bits', 8);
      const maxValue = q.args['max_value'];
      if (bool(q, 'quadratic_approximation', false)) throw new NnInputError(`${where}: quantized_po2 with quadratic_approximation is not supported`);
      const floorMode = q.args['log2_rounding'] === 'floor';
      const needSign = maxValue !== null && maxValue !== undefined && Number(maxValue) <= 1 ? 0 : 1;
      const expBits = bits - 1 - needSign;
      const maxExp = maxValue !== null && maxValue !== undefined ? roundHalfEven(Math.log2(Number(maxValue))) : 2 ** expBits - 1;
      const minExp = needSign ? -(2 ** expBits) + 1 : -(2 ** (bits - 1)) + 1;
      const eps = 1e-7;
      for (let i = 0; i < x.length; i++) {
        const ax = Math.abs(x[i]!);
        let f = ax < eps ? eps : ax;
        if (maxValue !== null && maxValue !== undefined && f >= Number(maxValue)) f = Number(maxValue);
        const l = Math.log(f) / Math.LN2;
        const e = ax < eps ? minExp : Math.min(maxExp, Math.max(minExp, floorMode ? Math.floor(l) : roundHalfEven(l)));
        out[i] = Math.sign(x[i]!) * 2 ** e;
      }
      const t = exactTypeOf(out);
      return t ? { data: out, type: t } : { data: out, type: null, note: 'quantized_po2 values span too many octaves for one type' };
    }
    default:
      throw new NnInputError(`${where}: quantizer '${q.name}' cannot quantize weights; use quantized_bits, binary, ternary or quantized_po2`);
  }
}

/** ap_fixed type of quantized_bits outputs (keep_negative: signed with one sign bit). */
export function bitsType(bits: number, integer: number, signed: boolean, symmetric: boolean): FixedType {
  return fixedType(bits, integer + (signed ? 1 : 0), { signed, q: 'AP_RND_CONV', o: symmetric && signed ? 'AP_SAT_SYM' : 'AP_SAT' });
}

/** How a quantizer used as an activation becomes IR: the float op and the result type. */
export type ActQuant =
  | { readonly op: 'identity'; readonly type: FixedType }
  | { readonly op: 'relu'; readonly type: FixedType }
  | { readonly op: 'leaky'; readonly alpha: number; readonly floor: number; readonly type: FixedType }
  | { readonly op: 'hardtanh'; readonly type: FixedType }
  | { readonly op: 'tanh'; readonly type: FixedType }
  | { readonly op: 'hardsigmoid'; readonly type: FixedType }
  | { readonly op: 'sigmoid'; readonly type: FixedType }
  | { readonly op: 'binary'; readonly scale: number; readonly use01: boolean; readonly type: FixedType };

export function activationQuantizer(q: QSpec, where: string): ActQuant {
  refuseUnsupported(q, where);
  switch (q.name) {
    case 'quantized_bits': {
      const alpha = q.args['alpha'];
      if (typeof alpha === 'string') throw new NnInputError(`${where}: quantized_bits alpha='${alpha}' on activations is not supported`);
      const a = alpha === null || alpha === undefined ? 1 : Number(alpha);
      const e = log2Exact(a);
      if (e === null) throw new NnInputError(`${where}: quantized_bits alpha=${a} is not a power of two; it has no fixed-point type`);
      const keepNeg = bool(q, 'keep_negative', true);
      const bits = num(q, 'bits', 8);
      if (bits - (keepNeg ? 1 : 0) <= 0) throw new NnInputError(`${where}: a 1-bit quantized_bits activation is a sign function; use binary()`);
      return { op: 'identity', type: bitsType(bits, num(q, 'integer', 0) + e, keepNeg, num(q, 'symmetric', 0) !== 0) };
    }
    case 'quantized_relu': {
      const bits = num(q, 'bits', 8);
      const integer = num(q, 'integer', 0);
      const ns = num(q, 'negative_slope', 0);
      if (ns === 0) return { op: 'relu', type: fixedType(bits, integer, { signed: false, ...RND_SAT }) };
      const e = log2Exact(ns);
      if (e === null || ns > 1) throw new NnInputError(`${where}: quantized_relu negative_slope ${ns} must be a power of two, at most 1`);
      // QKeras clips the negative side at −s·2^integer; below one step (s·2^(bits−1) < 1) that bound is off the grid.
      if (e + bits - 1 < 0) throw new NnInputError(`${where}: quantized_relu negative_slope ${ns} is below one step of ${bits} bits; its negative bound is not on the output grid`);
      return { op: 'leaky', alpha: ns, floor: -ns * 2 ** integer, type: fixedType(bits, integer + 1, { signed: true, ...RND_SAT }) };
    }
    case 'quantized_tanh': {
      const bits = num(q, 'bits', 8);
      const sym = num(q, 'symmetric', 0) !== 0;
      const t = fixedType(bits, 1, { signed: true, q: 'AP_RND_CONV', o: sym ? 'AP_SAT_SYM' : 'AP_SAT' });
      return { op: bool(q, 'use_real_tanh', false) ? 'tanh' : 'hardtanh', type: t };
    }
    case 'quantized_sigmoid': {
      const bits = num(q, 'bits', 8);
      if (num(q, 'symmetric', 0)) throw new NnInputError(`${where}: quantized_sigmoid symmetric=1 (lowest code 2^-bits) has no ap_fixed mode`);
      return { op: bool(q, 'use_real_sigmoid', false) ? 'sigmoid' : 'hardsigmoid', type: fixedType(bits, 0, { signed: false, ...RND_SAT }) };
    }
    case 'binary': {
      // sign(x) with 0 counted as +1, times alpha; use_01 maps −1 to 0 (at inference stochastic rounding is off).
      const a = q.args['alpha'];
      if (typeof a === 'string') throw new NnInputError(`${where}: binary alpha='${a}' on activations scales by the batch; use a fixed alpha`);
      const s = a === null || a === undefined ? 1 : Number(a);
      const e = log2Exact(s);
      if (e === null) throw new NnInputError(`${where}: binary alpha=${s} is not a power of two; it has no fixed-point type`);
      const use01 = bool(q, 'use_01', false);
      return { op: 'binary', scale: s, use01, type: use01 ? fixedType(2, e + 1, { signed: false, ...RND_SAT }) : fixedType(2, e + 2) };
    }
    case 'ternary':
      throw new NnInputError(`${where}: ternary as an activation is not supported (its threshold test needs a comparison the fixed-point datapath lacks); use binary or quantized_bits`);
    case 'quantized_po2':
    case 'stochastic_binary':
    case 'stochastic_ternary':
      throw new NnInputError(`${where}: ${q.name} as an activation is not supported (it needs a sign/threshold op the IR lacks); use quantized_bits or quantized_relu`);
    default:
      throw unknownQuantizer(q.name, where);
  }
}
