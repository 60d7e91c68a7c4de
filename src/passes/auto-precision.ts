/**
 * Post-training quantization: chooses a PrecisionConfig from calibration data. The canonical
 * graph (the one the quantize pass will type, so layer names match) runs in float on the
 * calibration samples while the range of every tensor is recorded. Then, per layer:
 *  - result: `bits` wide, integer bits for max|v|·(1 + margin) (so calibrated values cannot
 *    saturate, with headroom for unseen data), unsigned when the tensor never goes negative,
 *    AP_RND_CONV + AP_SAT (rounding halves the error, saturation makes outliers graceful);
 *    bounded activations (Sigmoid, Softmax, Tanh, HardSigmoid) use their exact range instead;
 *  - weight / bias: `weightBits` wide, integer bits from the constant's own max, rounded to
 *    nearest by the compiler (no margin: the values are known);
 *  - data-movement ops (Reshape, Transpose, MaxPool, ...) inherit their input's type, and
 *    accumulators stay derived, so nothing here can overflow a sum.
 * The result is a plain config: printed, written to a file, editable, and read back as is.
 */
import { fixedType, type FixedType } from '../ir/fixed.js';
import { type Graph, isConst } from '../ir/graph.js';
import type { LevelSpec, PrecisionConfig } from '../ir/precision-config.js';
import { typeForRange } from '../ir/precision.js';
import type { FloatRun, RtTensor } from '../ir/semantics/tensor.js';
import { NnInputError } from '../util/tensor.js';
import { canonicalize } from './pipeline.js';

export interface AutoPrecisionOptions {
  /** Width of activations (results and inputs); default 16. */
  bits?: number;
  /** Width of weights and biases; default = bits. */
  weightBits?: number;
  /** Headroom on calibrated activation ranges, as a fraction; default 0.1 (10 %). */
  margin?: number;
  /** Samples per float run (memory bound); default 4096. */
  chunk?: number;
  /** The float executor (src/sim/float/executor.ts runFloat), passed in by the caller: passes never import the simulator. */
  run: FloatRun;
}

export const DEFAULT_MARGIN = 0.1;

interface Range {
  min: number;
  max: number;
}

const KEEPS_TYPE = new Set(['Reshape', 'Transpose', 'Pad', 'Resize', 'MaxPool', 'GlobalMaxPool', 'Slice', 'Tile', 'Expand', 'Gather']);
/** Ops whose output range is known exactly, whatever the data. */
const BOUNDED: Record<string, Range> = {
  Sigmoid: { min: 0, max: 1 },
  Softmax: { min: 0, max: 1 },
  HardSigmoid: { min: 0, max: 1 },
  Tanh: { min: -1, max: 1 },
  Softsign: { min: -1, max: 1 },
  Erf: { min: -1, max: 1 },
};
const ROUND_SAT = { q: 'AP_RND_CONV', o: 'AP_SAT' } as const;
/** Ranges below this magnitude are treated as this (a dead tensor still needs a sane type). */
const TINY = 2 ** -8;

/** Records min/max of every value over the calibration data, in chunks. */
export function calibrateRanges(g: Graph, calib: readonly RtTensor[], run: FloatRun, chunk = 4096): Map<string, Range> {
  const ranges = new Map<string, Range>();
  const note = (name: string, data: ArrayLike<number>) => {
    let r = ranges.get(name);
    if (!r) ranges.set(name, (r = { min: Infinity, max: -Infinity }));
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (v < r.min) r.min = v;
      if (v > r.max) r.max = v;
    }
  };
  const n = g.batched ? calib[0]!.shape[0]! : 1;
  for (let s = 0; s < n; s += chunk) {
    const part = g.batched
      ? calib.map((t) => {
          const per = t.data.length / t.shape[0]!;
          const e = Math.min(n, s + chunk);
          return { shape: [e - s, ...t.shape.slice(1)], data: t.data.subarray(s * per, e * per) };
        })
      : calib;
    g.inputs.forEach((io, k) => note(io.value, part[k]!.data));
    run(g, part, { onValue: (name, t) => note(name, t.data) });
  }
  return ranges;
}

function activationType(r: Range, bits: number, margin: number): FixedType {
  const hi = Math.max(Math.abs(r.min), Math.abs(r.max), TINY) * (1 + margin);
  return typeForRange(r.min < 0 ? -hi : 0, hi, bits, ROUND_SAT);
}

function boundedType(r: Range, bits: number): FixedType {
  // [0, 1] in ap_ufixed<W,0> and [-1, 1] in ap_fixed<W,1>: every fraction bit is used, and
  // the one value out of range (exactly 1) saturates to 1 - 2^-F, an error of one LSB.
  return fixedType(bits, r.min < 0 ? 1 : 0, { signed: r.min < 0, ...ROUND_SAT });
}

function constType(data: Float32Array | Float64Array, bits: number): FixedType {
  let lo = 0;
  let hi = 0;
  for (const v of data) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const m = Math.max(-lo, hi, TINY);
  return typeForRange(lo < 0 ? -m : 0, m, bits, ROUND_SAT);
}

/** Chooses a config for `g` (as imported) from calibration inputs in the model's layout. */
export function autoPrecision(g: Graph, calib: readonly RtTensor[], opts: AutoPrecisionOptions): PrecisionConfig {
  const bits = opts.bits ?? 16;
  const wbits = opts.weightBits ?? bits;
  const margin = opts.margin ?? DEFAULT_MARGIN;
  for (const [what, b] of [['--bits', bits], ['--weight-bits', wbits]] as const) {
    if (!Number.isInteger(b) || b < 2 || b > 32) throw new NnInputError(`${what} must be an integer 2..32, got ${b}`);
  }
  if (!(margin >= 0 && margin <= 10)) throw new NnInputError(`--margin must be between 0 and 10, got ${margin}`);
  const cg = canonicalize(g);
  const ranges = calibrateRanges(cg, calib, opts.run, opts.chunk);
  const layers: Record<string, LevelSpec> = {};
  for (const n of cg.nodes) {
    const types: Record<string, FixedType> = {};
    const out = n.outputs[0]!;
    const r = ranges.get(out);
    if (BOUNDED[n.op]) types['result'] = boundedType(BOUNDED[n.op]!, bits);
    else if (!KEEPS_TYPE.has(n.op) && r && !['Quant', 'BipolarQuant', 'QuantizeLinear', 'DequantizeLinear'].includes(n.op)) {
      types['result'] = activationType(r, bits, margin);
    }
    const roles: Record<number, 'weight' | 'bias'> =
      n.op === 'Dense' || n.op === 'Conv' || n.op === 'ConvTranspose' || n.op === 'Affine'
        ? { 1: 'weight', 2: 'bias' }
        : n.op === 'PRelu' || n.op === 'Mul'
          ? { 0: 'weight', 1: 'weight' }
          : n.op === 'Add' || n.op === 'Sub' || n.op === 'Max' || n.op === 'Min'
            ? { 0: 'bias', 1: 'bias' }
            : {};
    for (const [slot, role] of Object.entries(roles)) {
      const v = cg.values.get(n.inputs[Number(slot)] ?? '');
      if (v && isConst(v)) types[role] = constType(v.data, wbits);
    }
    if (Object.keys(types).length) layers[n.name] = { types };
  }
  const inputs: Record<string, FixedType> = {};
  for (const io of cg.inputs) {
    const r = ranges.get(io.value);
    if (r) inputs[io.modelName] = activationType(r, bits, margin);
  }
  const defaultInt = Math.max(1, Math.round(bits * 0.375));
  return {
    model: { types: { default: fixedType(bits, defaultInt, ROUND_SAT) } },
    opTypes: {},
    layers,
    inputs,
  };
}
