/**
 * Post-training quantization: chooses a PrecisionConfig from calibration data. The canonical
 * graph (the one the quantize pass will type, so layer names match) runs in float on the
 * calibration samples while the statistics of every tensor are recorded
 * (auto-precision-calibrate.ts). Then, per layer:
 *  - result: `bits` wide, AP_RND_CONV + AP_SAT (rounding halves the error, saturation makes
 *    outliers graceful), unsigned when the tensor never goes negative. Its integer bits come from
 *    the calibration method: `max` holds max|v|·(1 + margin); `percentile` holds the p-th
 *    percentile of |v|; `mse` (the default) picks the integer bits with the least squared cast
 *    error on the calibration values. With `percentile` and `mse`, a tensor whose only reader is
 *    a Relu or a max pool is calibrated on that reader's output (followed down the chain): a
 *    Conv read only by a Relu gets an unsigned type whose saturation at 0 does the Relu's work —
 *    the sign bit and the negative range, which no later layer sees, go to resolution instead.
 *    Bounded activations (Sigmoid, Softmax, Tanh, HardSigmoid) use their exact range instead;
 *  - weight: `weightBits` wide, from the constant's own values (its max with `max`, least squared
 *    error with the other methods); bias: integer bits from its own max (a clipped bias shifts a
 *    whole channel), fraction bits those of the layer's products (with `max`: `weightBits` wide);
 *  - bias correction (default on, not with `max`): the mean shift that rounding a Dense/Conv
 *    layer's weights causes in its output, E[x·(Wq − W)] per output channel over the float
 *    calibration activations, is subtracted from the layer's bias (`bias_correction` in the
 *    config, which the quantize pass folds into the bias constant);
 *  - data-movement ops (Reshape, Transpose, MaxPool, ...) inherit their input's type, and
 *    accumulators stay derived, so nothing here can overflow a sum.
 * The result is a plain config: printed, written to a file, editable, and read back as is.
 * Deterministic: statistics are strided samples in run order, ties keep the wider range.
 */
import { fixedType, type FixedType, fracBits } from '../ir/fixed.js';
import { type Graph, isConst, type Node, numel, type Value } from '../ir/graph.js';
import type { LevelSpec, PrecisionConfig } from '../ir/precision-config.js';
import type { FloatRun, RtTensor } from '../ir/semantics/tensor.js';
import { RECURRENT_SLOTS } from '../ir/semantics/recurrent.js';
import { hasTrait, opInfo } from '../ir/ops.js';
import { NnInputError } from '../util/tensor.js';
import {
  type Calibration, CALIBRATIONS, castRoundSat, chooseType, DEFAULT_CALIBRATION, DEFAULT_PERCENTILE, ROUND_SAT, statsFor, TensorStats,
} from './auto-precision-calibrate.js';
import { canonicalize } from './pipeline.js';

export type { Calibration } from './auto-precision-calibrate.js';

export interface AutoPrecisionOptions {
  /** Width of activations (results and inputs); default 16. */
  bits?: number;
  /** Width of weights and biases; default = bits. */
  weightBits?: number;
  /** How activation ranges are chosen from the calibration data; default 'mse'. */
  calibration?: Calibration;
  /** Headroom on calibrated activation ranges, as a fraction (calibration 'max'); default 0.1 (10 %). */
  margin?: number;
  /** Percentile of |v| each activation type holds (calibration 'percentile'); default 99.99. */
  percentile?: number;
  /** Fold the mean output shift of weight rounding into the biases; default true except with 'max'. */
  biasCorrection?: boolean;
  /** Samples per float run (memory bound); default 4096. */
  chunk?: number;
  /** The float executor (src/sim/float/executor.ts runFloat), passed in by the caller: passes never import the simulator. */
  run: FloatRun;
}

export const DEFAULT_MARGIN = 0.1;


/** A weighted layer's output-mean shift from weight rounding, accumulated over the calibration runs. */
interface Shift {
  node: Node;
  /** The layer alone, with W replaced by Wq − W and no bias: its output is x·(Wq − W). */
  delta: Graph;
  sums: Float64Array;
  count: number;
}

/**
 * Runs `g` in float over the calibration data in chunks, giving every value (graph inputs and
 * node outputs) to `see`.
 */
function calibrationRuns(g: Graph, calib: readonly RtTensor[], run: FloatRun, chunk: number, see: (name: string, t: RtTensor) => void): number {
  const n = g.batched ? calib[0]!.shape[0]! : 1;
  for (let s = 0; s < n; s += chunk) {
    const part = g.batched
      ? calib.map((t) => {
          const per = t.data.length / t.shape[0]!;
          const e = Math.min(n, s + chunk);
          return { shape: [e - s, ...t.shape.slice(1)], data: t.data.subarray(s * per, e * per) };
        })
      : calib;
    g.inputs.forEach((io, k) => see(io.value, part[k]!));
    run(g, part, { onValue: (name, t) => see(name, t) });
  }
  return n;
}

/** Records the statistics of every value over the calibration data. */
export function calibrateStats(g: Graph, calib: readonly RtTensor[], run: FloatRun, chunk = 4096): Map<string, TensorStats> {
  return collect(g, calib, run, chunk, []).stats;
}

function collect(g: Graph, calib: readonly RtTensor[], run: FloatRun, chunk: number, shifts: readonly Shift[]): { stats: Map<string, TensorStats> } {
  const n = g.batched ? calib[0]!.shape[0]! : 1;
  const stats = new Map<string, TensorStats>();
  const byInput = new Map<string, Shift[]>();
  for (const s of shifts) byInput.set(s.node.inputs[0]!, [...(byInput.get(s.node.inputs[0]!) ?? []), s]);
  calibrationRuns(g, calib, run, chunk, (name, t) => {
    let st = stats.get(name);
    if (!st) stats.set(name, (st = statsFor(numel(g.values.get(name)?.shape ?? []) * n)));
    st.add(t.data);
    for (const s of byInput.get(name) ?? []) {
      const [d] = run(s.delta, [t], {});
      const C = s.sums.length;
      for (let i = 0; i < d!.data.length; i++) s.sums[i % C]! += d!.data[i]!;
      s.count += d!.data.length / C;
    }
  });
  return { stats };
}

/** The layer `n` alone with weights Wq − W (Wq: W cast to `wT`) and no bias. */
function deltaGraph(g: Graph, n: Node, wT: FixedType): Graph {
  const x = g.values.get(n.inputs[0]!)!;
  const w = g.values.get(n.inputs[1]!)! as Value & { data: Float32Array | Float64Array };
  const out = g.values.get(n.outputs[0]!)!;
  const dName = `${w.name}__rounding`;
  const data = Float32Array.from(w.data, (v) => castRoundSat(v, wT) - v);
  const values = new Map<string, Value>([
    [x.name, x],
    [dName, { ...w, name: dName, data }],
    [out.name, out],
  ]);
  const node = { ...n, inputs: [x.name, dName, ...(n.inputs.length > 2 ? [''] : [])], outputs: [out.name] } as Node;
  return {
    name: `${n.name} weight rounding`, batched: g.batched, values, nodes: [node], source: g.source,
    inputs: [{ modelName: x.name, value: x.name, modelShape: [], elem: 'float32' }],
    outputs: [{ modelName: out.name, value: out.name, modelShape: [], elem: 'float32' }],
  };
}

function boundedType(r: readonly [number, number], bits: number): FixedType {
  // [0, 1] in ap_ufixed<W,0> and [-1, 1] in ap_fixed<W,1>: every fraction bit is used, and
  // the one value out of range (exactly 1) saturates to 1 - 2^-F, an error of one LSB.
  return fixedType(bits, r[0] < 0 ? 1 : 0, { signed: r[0] < 0, ...ROUND_SAT });
}

function constStats(data: ArrayLike<number>): TensorStats {
  const s = new TensorStats(1);
  s.add(data);
  return s;
}

/** Six significant digits: the config stays readable and the value deterministic. */
function tidy(v: number): number {
  return v === 0 ? 0 : Number(v.toPrecision(6));
}

/** Chooses a config for `g` (as imported) from calibration inputs in the model's layout. */
export function autoPrecision(g: Graph, calib: readonly RtTensor[], opts: AutoPrecisionOptions): PrecisionConfig {
  const bits = opts.bits ?? 16;
  const wbits = opts.weightBits ?? bits;
  const method = opts.calibration ?? DEFAULT_CALIBRATION;
  const margin = opts.margin ?? DEFAULT_MARGIN;
  const percentile = opts.percentile ?? DEFAULT_PERCENTILE;
  const correct = opts.biasCorrection ?? method !== 'max';
  for (const [what, b] of [['--bits', bits], ['--weight-bits', wbits]] as const) {
    if (!Number.isInteger(b) || b < 2 || b > 32) throw new NnInputError(`${what} must be an integer 2..32, got ${b}`);
  }
  if (!CALIBRATIONS.includes(method)) throw new NnInputError(`--calib-method must be one of ${CALIBRATIONS.join(', ')}, got '${method}'`);
  if (!(margin >= 0 && margin <= 10)) throw new NnInputError(`--margin must be between 0 and 10, got ${margin}`);
  if (!(percentile > 50 && percentile <= 100)) throw new NnInputError(`--percentile must be above 50 and at most 100, got ${percentile}`);
  const cg = canonicalize(g);
  const constOf = (name: string | undefined) => {
    const v = cg.values.get(name ?? '');
    return v && isConst(v) ? v : undefined;
  };
  // Weights first: bias correction needs their rounded values during the calibration runs.
  const weightMethod = method === 'max' ? 'max' : 'mse';
  const weightTypes = new Map<string, FixedType>();
  const shifts: Shift[] = [];
  for (const n of cg.nodes) {
    const w = constOf(n.inputs[1]);
    if (!(hasTrait(n.op, 'weightedSum') || n.op === 'Affine') || !w) continue;
    const wT = chooseType(constStats(w.data), wbits, { method: weightMethod });
    weightTypes.set(n.name, wT);
    const b = constOf(n.inputs[2]);
    if (correct && hasTrait(n.op, 'weightedSum') && b && !constOf(n.inputs[0])) {
      shifts.push({ node: n, delta: deltaGraph(cg, n, wT), sums: new Float64Array(b.data.length), count: 0 });
    }
  }
  const { stats } = collect(cg, calib, opts.run, opts.chunk ?? 4096, shifts);
  const corrections = new Map<string, number[]>();
  for (const s of shifts) if (s.count > 0) corrections.set(s.node.name, Array.from(s.sums, (v) => tidy(-v / s.count)));

  // A tensor whose one reader is a Relu or a max pool is typed from what that reader passes on:
  // the cast (round, saturate) is monotone, so it commutes with max(·, 0) and with taking maxima,
  // and only the values that survive the chain matter. Through a Relu that is the positive part
  // (an unsigned type whose saturation at 0 does the Relu's work); through a max pool, the
  // window maxima (the large values the least-squared-error rule must not clip for the many
  // small ones a pool discards).
  const readers = new Map<string, Node[]>();
  for (const n of cg.nodes) for (const i of n.inputs) if (i) readers.set(i, [...(readers.get(i) ?? []), n]);
  const outputs = new Set(cg.outputs.map((o) => o.value));
  const representative = (v: string): string => {
    let cur = v;
    for (;;) {
      const rs = readers.get(cur) ?? [];
      if (method === 'max' || outputs.has(cur) || rs.length !== 1 || !hasTrait(rs[0]!.op, 'maxOf') || rs[0]!.inputs[0] !== cur) return cur;
      cur = rs[0]!.outputs[0]!;
    }
  };
  const activation = (name: string): FixedType | undefined => {
    const st = stats.get(representative(name));
    if (!st) return undefined;
    return chooseType(st, bits, { method, margin, percentile });
  };

  const inputs: Record<string, FixedType> = {};
  // The type every run-time value will have (graph inputs, results, and what data movement keeps).
  const valueType = new Map<string, FixedType>();
  for (const io of cg.inputs) {
    const t = activation(io.value);
    if (t) {
      inputs[io.modelName] = t;
      valueType.set(io.value, t);
    }
  }
  const layers: Record<string, LevelSpec> = {};
  for (const n of cg.nodes) {
    const types: Record<string, FixedType> = {};
    const out = n.outputs[0]!;
    // An output range known exactly, whatever the data (the registry's range).
    const range = opInfo(n.op).range;
    if (range) types['result'] = boundedType(range, bits);
    else if (n.op in RECURRENT_SLOTS) {
      // A recurrent layer feeds its result back every step, so clipping it compounds over time:
      // its hidden type holds the whole calibrated range (max rule). Its gate pre-activations and
      // LSTM cell state are not graph values the float run reports; they default to the result
      // type, whose range (about ±1 for tanh outputs) would clip them, so they get ±8 — where
      // sigmoid and tanh have saturated to within 4e-4 of their limits.
      const st = stats.get(out);
      if (st) types['result'] = chooseType(st, bits, { method: 'max', margin, percentile });
      types['gate'] = fixedType(bits, Math.min(bits, 4), ROUND_SAT);
      if (n.op === 'LSTM') types['state'] = fixedType(bits, Math.min(bits, 4), ROUND_SAT);
    } else if (!hasTrait(n.op, 'keepsType') && !hasTrait(n.op, 'quantizer')) {
      const t = activation(out);
      if (t) types['result'] = t;
    }
    const kept = hasTrait(n.op, 'keepsType') ? valueType.get(n.inputs[0]!) : undefined;
    if (types['result'] ?? kept) valueType.set(out, (types['result'] ?? kept)!);
    // The constant operands the config types, by slot (the registry's constRoles).
    const roles = opInfo(n.op).constRoles ?? {};
    const corr = corrections.get(n.name);
    for (const [slot, role] of Object.entries(roles)) {
      const v = constOf(n.inputs[Number(slot)]);
      if (!v) continue;
      if (role === 'weight') {
        types[role] = weightTypes.get(n.name) ?? chooseType(constStats(v.data), wbits, { method: weightMethod });
        continue;
      }
      // The bias as the quantize pass will hold it: corrected, when a correction applies.
      const data = corr ? Array.from(v.data, (b, c) => b + corr[c % corr.length]!) : v.data;
      const byMax = chooseType(constStats(data), wbits, { method: 'max' });
      const xT = valueType.get(n.inputs[0]!);
      const wT = weightTypes.get(n.name);
      if (method === 'max' || !xT || !wT) {
        types[role] = byMax;
        continue;
      }
      // A weighted layer's bias on the grid of its products (x's plus w's fraction bits): it is
      // added once per output, so its bits cost no multiplier and no accumulator width, and a
      // bias correction smaller than a weight-width LSB still takes effect.
      const frac = fracBits(xT) + fracBits(wT);
      const width = Math.min(32, Math.max(2, byMax.int + frac));
      types[role] = fixedType(width, width - frac, { signed: byMax.signed, ...ROUND_SAT });
    }
    if (Object.keys(types).length || corr) layers[n.name] = { types, ...(corr ? { biasCorrection: corr } : {}) };
  }
  const defaultInt = Math.max(1, Math.round(bits * 0.375));
  return {
    model: { types: { default: fixedType(bits, defaultInt, ROUND_SAT) } },
    opTypes: {},
    layers,
    inputs,
  };
}
