/**
 * Options of the HLS emitter and their validation: target part and clock, I/O style, the
 * default strategy and reuse factor, per-layer overrides (by IR node name), the tool limits the
 * emitted code must respect, and the testbench samples. Defaults mirror what `nn2hls compile`
 * documents.
 */
import type { HlsMultiplier } from '../ir/precision-config.js';
import type { FixedRun, RtTensor } from '../ir/semantics/tensor.js';
import { NnInputError } from '../util/tensor.js';
import type { Strategy } from './layer.js';

export interface LayerHlsOptions {
  readonly strategy?: Strategy;
  readonly reuse?: number;
  readonly multiplier?: HlsMultiplier;
}

export interface EmitOptions {
  /** Top function and project name (already a valid identifier; see checkProjectName). */
  readonly name: string;
  readonly part: string;
  readonly clockNs: number;
  readonly io: 'parallel' | 'stream';
  readonly strategy: Strategy;
  readonly reuse: number;
  /** Per-layer overrides, keyed by IR node name. */
  readonly layers: { readonly [node: string]: LayerHlsOptions };
  /** Model-wide multiplier binding (config hls.multiplier); absent: 'auto'. Per-layer entries win. */
  readonly multiplier?: HlsMultiplier;
  /**
   * Testbench inputs: a list of runs, each the graph's inputs as the float executor takes them
   * (model layout; with a leading batch dim when the graph is batched).
   */
  readonly runs: readonly (readonly RtTensor[])[];
  /**
   * The bit-accurate simulator (src/sim/fixed/simulate.ts `simulateFixed`), injected by the
   * caller to compute the testbench's expected outputs: the backend never imports src/sim.
   * Planning does not need it; emitProject does.
   */
  readonly simulate?: FixedRun;
  /** Loops unrolled beyond this many iterations make HLS give up (Vivado: 4096). */
  readonly unrollLimit: number;
  /** Completely partitioned arrays above this size are refused (config_array_partition -maximum_size). */
  readonly partitionLimit: number;
  /**
   * Which global settings the user gave (flag or config) rather than took from DEFAULTS; the
   * tiling pass never overrides those. Absent: a setting differing from DEFAULTS counts as given.
   */
  readonly explicit?: { readonly strategy?: boolean; readonly reuse?: boolean };
  /**
   * The estimator folded the design to the part (compile's default, or --fit): its per-layer
   * settings are in `layers` (those layers' plans say chosen_by 'fit'); recorded in nn2hls.json.
   */
  readonly fit?: { readonly by: 'default' | '--fit'; readonly outcome: 'folded' | 'closest'; readonly message: string; readonly layers: readonly string[] };
  /**
   * The part has UltraRAM (the estimator's device database says so; compileProject and the
   * estimator set it from --part): io_stream FIFOs deep enough to fill URAM are bound to it
   * (plan.ts, EdgePlan.storage) where the tool can (Vitis HLS). Absent: none is.
   */
  readonly uram?: boolean;
  /** Extra facts recorded in nn2hls.json (precision config, quantize notes). */
  readonly meta?: { readonly precision?: unknown; readonly notes?: readonly string[]; readonly source?: string; readonly sha256?: string };
}

/** The multiplier binding in effect for a layer: its own, else the model's, else 'auto'. */
export function multiplierOf(opts: Pick<EmitOptions, 'layers' | 'multiplier'>, node: string): HlsMultiplier {
  return opts.layers[node]?.multiplier ?? opts.multiplier ?? 'auto';
}

export const DEFAULTS = {
  part: 'xczu7ev-ffvc1156-2-e',
  clockNs: 5,
  io: 'parallel',
  strategy: 'latency',
  reuse: 1,
  unrollLimit: 4096,
  partitionLimit: 4096,
  name: 'myproject',
} as const;

export function checkProjectName(name: string): string {
  if (!/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(name) || name.includes('__')) {
    throw new NnInputError(`--name '${name}': a project name must be a C identifier (a letter, then letters, digits or single '_', at most 64 characters)`);
  }
  return name;
}

/** "5ns", "5", "200MHz", "0.2GHz" -> period in ns. */
export function parseClock(s: string): number {
  const m = /^\s*([0-9]*\.?[0-9]+)\s*(ns|mhz|ghz)?\s*$/i.exec(s);
  if (!m) throw new NnInputError(`--clock '${s}': expected a period such as 5ns or a frequency such as 200MHz`);
  const v = Number(m[1]);
  const unit = (m[2] ?? 'ns').toLowerCase();
  const ns = unit === 'ns' ? v : unit === 'mhz' ? 1000 / v : 1 / v;
  if (!(ns > 0) || !Number.isFinite(ns)) throw new NnInputError(`--clock '${s}': the clock must be positive`);
  return Number(ns.toPrecision(6));
}

export function checkReuse(r: unknown, where: string): number {
  if (typeof r !== 'number' || !Number.isInteger(r) || r < 1 || r > 65536) {
    throw new NnInputError(`${where}: reuse factor must be an integer 1..65536, got ${JSON.stringify(r)}`);
  }
  return r;
}

export function checkStrategy(s: unknown, where: string): Strategy {
  if (s !== 'latency' && s !== 'resource') throw new NnInputError(`${where}: strategy must be "latency" or "resource", got ${JSON.stringify(s)}`);
  return s;
}
