/**
 * One candidate design of `nn2hls optimize`, measured: a precision config is quantized onto the
 * canonical graph, run through the bit-accurate simulator on a labelled set (top-1 accuracy,
 * agreement with float, stability; screen.ts) and planned and estimated exactly as `compile` would
 * (src/estimate). Folding (per-layer reuse/strategy) is the user's when that design meets the
 * hardware constraints; otherwise the estimator's fitDesign folds it until it does (later
 * candidates fold on from the folding the last one needed, fold.ts fitFrom), and a
 * design fitDesign cannot fit is kept with the constraints it misses (the closest designs are
 * shown from those when nothing fits).
 */
import type { LayerHlsOptions } from '../backend-hls/index.js';
import { type Estimate, type EstimateOptions, estimateGraph } from '../estimate/index.js';
import { fitDesign } from '../estimate/fit.js';
import type { Graph } from '../ir/graph.js';
import type { PrecisionConfig } from '../ir/precision-config.js';
import { verify } from '../ir/verify.js';
import { quantizeGraph } from '../passes/quantize.js';
import { simulate } from '../sim/compare.js';
import { formatPower, formatTime } from '../util/units.js';
import { NnInputError } from '../util/tensor.js';
import type { RtTensor } from '../ir/semantics/tensor.js';
import { fitFrom } from './fold.js';
import { type Gate, Screen } from './screen.js';
import type { Labelled } from './split.js';

export type Objective = 'dsp' | 'lut' | 'power' | 'latency' | 'energy';
export const OBJECTIVES: readonly Objective[] = ['dsp', 'lut', 'power', 'latency', 'energy'];

export interface HwConstraints {
  readonly maxLatencyS?: number;
  readonly maxPowerW?: number;
  readonly minThroughput?: number;
  /** Largest utilisation of any resource class (default 1: the design must fit the part). */
  readonly maxUtil?: number;
}

export interface Folding {
  readonly io: 'parallel' | 'stream';
  readonly strategy: 'latency' | 'resource';
  readonly reuse: number;
  readonly layers: { readonly [node: string]: LayerHlsOptions };
  /** The user fixed the folding (--reuse/--strategy or the config's hls section): never refolded. */
  readonly fixed: boolean;
}

/** One layer of a simulated design, as the report's table shows it. */
export interface LayerMeasure {
  readonly name: string;
  readonly op: string;
  readonly shape: readonly number[];
  readonly types: Readonly<Record<string, string>>;
  readonly snr_db: number | null;
  readonly overflows: number;
}

export interface Measured {
  readonly accuracy: number;
  readonly floatAccuracy: number;
  readonly agreement: number;
  /**
   * Share of samples whose top-1 is the float top-1 with room to spare: the largest output error
   * is under half the float top-1/top-2 margin, so the class could not flip at that noise level.
   * Stricter than agreement and smoother (it degrades before samples flip), which is what lets a
   * small choose set reject narrowings that would flip unseen samples.
   */
  readonly stable: number;
  readonly snr: Readonly<Record<string, number | null>>;
  readonly overflows: Readonly<Record<string, number>>;
  readonly layers: readonly LayerMeasure[];
}

export interface Candidate extends Measured {
  readonly id: number;
  /** What this candidate changed relative to the one it was derived from. */
  readonly label: string;
  readonly cfg: PrecisionConfig;
  readonly estimate: Estimate;
  /** Per-layer reuse/strategy this design was estimated with. */
  readonly hlsLayers: { readonly [node: string]: LayerHlsOptions };
  /** Hardware constraints it misses (empty: meets them all). */
  readonly violations: readonly string[];
  readonly cost: number;
}

export function objectiveValue(e: Estimate, o: Objective): number {
  switch (o) {
    case 'dsp':
      return e.total.dsp;
    case 'lut':
      return e.total.lut;
    case 'power':
      return e.power.total_w;
    case 'latency':
      return e.total.latency_s;
    case 'energy':
      return e.energy_per_inference_j;
  }
}

export function formatObjective(v: number, o: Objective): string {
  switch (o) {
    case 'dsp':
    case 'lut':
      return String(v);
    case 'power':
      return formatPower(v, 4);
    case 'latency':
      return formatTime(v, 4);
    case 'energy':
      return `${Number((v * 1e9).toPrecision(4))} nJ`;
  }
}

/** The constraints an estimate misses, one readable line each. */
export function hwViolations(e: Estimate, c: HwConstraints): string[] {
  const out: string[] = [];
  const maxU = c.maxUtil ?? 1;
  for (const k of ['dsp', 'lut', 'ff', 'bram18k', 'uram'] as const) {
    const u = e.total.utilization[k];
    if (u > maxU) out.push(`${k.toUpperCase()} ${e.total[k]} is ${(100 * u).toFixed(1)}% of ${e.device.name} (limit ${(100 * maxU).toFixed(0)}%)`);
  }
  if (c.maxLatencyS !== undefined && e.total.latency_s > c.maxLatencyS) out.push(`latency ${formatTime(e.total.latency_s)} exceeds --max-latency ${formatTime(c.maxLatencyS)}`);
  if (c.maxPowerW !== undefined && e.power.total_w > c.maxPowerW) out.push(`power ${formatPower(e.power.total_w)} exceeds --max-power ${formatPower(c.maxPowerW)}`);
  if (c.minThroughput !== undefined && e.total.throughput_per_s < c.minThroughput) out.push(`throughput ${e.total.throughput_per_s.toPrecision(4)}/s is below --min-throughput ${c.minThroughput}/s`);
  for (const m of e.marks) if (m.startsWith('layer ')) out.push(m);
  return out;
}

/** Accuracy of `cg` quantized with `cfg` on a labelled set, with the per-layer figures the search reads. */
/** Samples whose fixed top-1 equals float's with the output error under half the float margin. */
export function stableCount(float: RtTensor, fixed: RtTensor): number {
  const cols = float.shape[float.shape.length - 1] ?? 1;
  const rows = float.data.length / cols;
  let n = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let err = 0;
    for (let c = 0; c < cols; c++) err = Math.max(err, Math.abs(fixed.data[o + c]! - float.data[o + c]!));
    if (cols === 1) {
      // One output unit: class 1 above 0.5; the margin is the distance to the threshold.
      if (err < Math.abs(float.data[o]! - 0.5)) n++;
      continue;
    }
    let a = -Infinity;
    let b = -Infinity;
    for (let c = 0; c < cols; c++) {
      const v = float.data[o + c]!;
      if (v > a) [a, b] = [v, a];
      else if (v > b) b = v;
    }
    if (err < (a - b) / 2) n++;
  }
  return n;
}

export function measure(cg: Graph, qg: Graph, data: Labelled): Measured {
  const sim = simulate(cg, qg, data.inputs, { labels: data.labels, labelShape: data.labelShape });
  const r = sim.report;
  return {
    stable: stableCount(sim.floatOutputs[0]!, sim.fixedOutputs[0]!) / r.samples,
    accuracy: r.fixed.accuracy ?? 0,
    floatAccuracy: r.float.accuracy ?? 0,
    agreement: r.agreement,
    snr: Object.fromEntries(r.layers.map((l) => [l.name, l.snr_db])),
    overflows: Object.fromEntries(r.layers.map((l) => [l.name, l.overflows])),
    layers: r.layers.map((l) => {
      const node = qg.nodes.find((n) => n.name === l.name);
      const shape = node ? (qg.values.get(node.outputs[0]!)?.shape ?? []) : [];
      return { name: l.name, op: l.op, shape: [...shape], types: l.types, snr_db: l.snr_db, overflows: l.overflows };
    }),
  };
}

export class Evaluator {
  readonly history: Candidate[] = [];
  /** Candidates the screen rejected before simulating every sample (not in the history). */
  screened = 0;
  readonly screen: Screen;
  private lastFold: { readonly [node: string]: LayerHlsOptions } | undefined;

  constructor(
    readonly cg: Graph,
    readonly data: Labelled,
    readonly folding: Folding,
    readonly est: EstimateOptions,
    readonly constraints: HwConstraints,
    readonly objective: Objective,
    /** Unlabelled inputs (the calibration set) on which top-1 agreement with float is measured too. */
    readonly extra?: readonly RtTensor[],
  ) {
    this.screen = new Screen(cg, data, extra);
  }

  quantize(cfg: PrecisionConfig): Graph {
    return verify(quantizeGraph(this.cg, cfg).graph);
  }

  /** The estimate of a quantized graph at the user's folding, refolded by fitDesign when that misses a constraint. */
  design(qg: Graph): { estimate: Estimate; layers: { readonly [node: string]: LayerHlsOptions }; violations: string[] } {
    const f = this.folding;
    // Once a candidate needed folding, later ones fold on from that folding (fold.ts fitFrom):
    // a narrower candidate usually fits it as is (one estimate), where the user's folding would
    // cost an estimate that misses again and fitDesign a search from reuse 1. Layers this leaves
    // folded further than needed are unfolded by the folding search when the objective gains.
    if (this.lastFold && !f.fixed) {
      const r = fitFrom(this, qg, this.lastFold);
      if (r) {
        this.lastFold = r.layers;
        return { estimate: r.estimate, layers: r.layers, violations: hwViolations(r.estimate, this.constraints) };
      }
    }
    const e = estimateGraph(qg, { io: f.io, strategy: f.strategy, reuse: f.reuse, layers: f.layers, explicit: { strategy: f.fixed, reuse: f.fixed } }, this.est);
    const v = hwViolations(e, this.constraints);
    if (!v.length || f.fixed) return { estimate: e, layers: f.layers, violations: v };
    const c = this.constraints;
    try {
      const r = fitDesign(qg, f.io, this.est, {
        ...(c.maxUtil !== undefined ? { maxUtil: c.maxUtil } : {}), ...(c.maxLatencyS !== undefined ? { maxLatencyS: c.maxLatencyS } : {}),
        ...(c.maxPowerW !== undefined ? { maxPowerW: c.maxPowerW } : {}), ...(c.minThroughput !== undefined ? { minThroughput: c.minThroughput } : {}),
      });
      this.lastFold = r.layers;
      return { estimate: r.estimate, layers: r.layers, violations: hwViolations(r.estimate, c) };
    } catch (err) {
      if (!(err instanceof NnInputError)) throw err;
      return { estimate: e, layers: f.layers, violations: v };
    }
  }

  /** fitDesign's folding for a quantized graph (the lowest-latency one that meets the constraints), or null when none does. */
  freshFit(qg: Graph): { readonly [node: string]: LayerHlsOptions } | null {
    const c = this.constraints;
    try {
      return fitDesign(qg, this.folding.io, this.est, {
        ...(c.maxUtil !== undefined ? { maxUtil: c.maxUtil } : {}), ...(c.maxLatencyS !== undefined ? { maxLatencyS: c.maxLatencyS } : {}),
        ...(c.maxPowerW !== undefined ? { maxPowerW: c.maxPowerW } : {}), ...(c.minThroughput !== undefined ? { minThroughput: c.minThroughput } : {}),
      }).layers;
    } catch (err) {
      if (!(err instanceof NnInputError)) throw err;
      return null;
    }
  }

  /** The estimate of a quantized graph at an explicit per-layer folding. */
  estimateAt(qg: Graph, layers: { readonly [node: string]: LayerHlsOptions }): Estimate {
    const f = this.folding;
    return estimateGraph(qg, { io: f.io, strategy: f.strategy, reuse: f.reuse, layers, explicit: { strategy: true, reuse: true } }, this.est);
  }

  /**
   * Measures a precision config: accuracy, agreement and stability on the pooled samples
   * (screen.ts), then the estimate. With a gate, a candidate that cannot reach it is rejected
   * as soon as that is certain (null; counted in `screened`, not kept in the history).
   * `full`: also the per-layer SNR and overflows (a full simulation of the choose set).
   */
  evaluate(cfg: PrecisionConfig, label: string, gate?: Gate, full = false): Candidate | null {
    const qg = this.quantize(cfg);
    const s = this.screen.measure(qg, gate);
    if (!s.complete) {
      this.screened++;
      return null;
    }
    const per = full ? measure(this.cg, qg, this.data) : { snr: {}, overflows: {}, layers: [] };
    const m: Measured = { accuracy: s.accuracy, floatAccuracy: this.screen.floatAccuracy, agreement: s.agreement, stable: s.stable, snr: per.snr, overflows: per.overflows, layers: per.layers };
    const d = this.design(qg);
    return this.record({ label, cfg, ...m, estimate: d.estimate, hlsLayers: d.layers, violations: d.violations, cost: objectiveValue(d.estimate, this.objective) });
  }

  /** The same precision as `parent` (so the same accuracy: folding does not change the arithmetic) at another folding. */
  refold(parent: Candidate, qg: Graph, layers: { readonly [node: string]: LayerHlsOptions }, label: string): Candidate {
    const e = this.estimateAt(qg, layers);
    return this.record({ ...parent, label, estimate: e, hlsLayers: layers, violations: hwViolations(e, this.constraints), cost: objectiveValue(e, this.objective) });
  }

  private record(c: Omit<Candidate, 'id'>): Candidate {
    const out: Candidate = { ...c, id: this.history.length };
    this.history.push(out);
    return out;
  }
}

/** Orders candidates by objective, then DSP, LUT, FF, BRAM, then higher accuracy, then id (stable, deterministic). */
export function compareCost(a: Candidate, b: Candidate): number {
  const ka = [a.cost, a.estimate.total.dsp, a.estimate.total.lut, a.estimate.total.ff, a.estimate.total.bram18k, -a.accuracy, a.id];
  const kb = [b.cost, b.estimate.total.dsp, b.estimate.total.lut, b.estimate.total.ff, b.estimate.total.bram18k, -b.accuracy, b.id];
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! - kb[i]!;
  return 0;
}
