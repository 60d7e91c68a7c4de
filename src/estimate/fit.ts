/**
 * `--fit`: the lowest-latency design that fits the part and the user's constraints, searched over
 * per-layer reuse factor and strategy. Start from the fully parallel design (every layer at reuse
 * 1, latency strategy); while something is violated, take the resource class (or power) that is
 * furthest over its limit, pick the layer that uses most of it, and fold that layer one step
 * further (its next valid reuse factor, per src/passes/tile.ts; at the last one, the resource
 * strategy that moves weights to memory). Folding only ever raises latency and II, so when a
 * latency/throughput constraint is violated the search stops: nothing fits, and the closest
 * design is reported with what it lacks. The result is always re-estimated from a real plan, so
 * a returned design is one the estimator says fits.
 */
import type { LayerHlsOptions } from '../backend-hls/index.js';
import type { Graph } from '../ir/graph.js';
import { foldShape, validReuses } from '../passes/tile.js';
import { NnInputError } from '../util/tensor.js';
import { type DesignOptions, type Estimate, type EstimateOptions, estimateGraph } from './index.js';
import type { Resources } from './power.js';

export interface FitConstraints {
  /** Largest utilisation of any resource class (0..1; default 1). */
  readonly maxUtil?: number;
  readonly maxLatencyS?: number;
  readonly maxPowerW?: number;
  readonly minThroughput?: number;
}

export interface Bindings {
  readonly multiplier?: 'dsp' | 'fabric' | 'auto';
  readonly layers?: { readonly [node: string]: 'dsp' | 'fabric' | 'auto' };
}

/** The multiplier bindings of an hls section or EmitOptions. */
export function bindingsOf(h: { readonly multiplier?: Bindings['multiplier']; readonly layers: { readonly [node: string]: { readonly multiplier?: Bindings['multiplier'] } } }): Bindings {
  const layers = Object.fromEntries(Object.entries(h.layers).flatMap(([k, v]) => (v.multiplier ? [[k, v.multiplier]] : [])));
  return { ...(h.multiplier ? { multiplier: h.multiplier } : {}), ...(Object.keys(layers).length ? { layers } : {}) };
}

export interface FitResult {
  readonly estimate: Estimate;
  readonly layers: { readonly [node: string]: LayerHlsOptions };
  /** What made the search fold the design (or that the fully parallel design fits). */
  readonly binding: string;
  readonly steps: number;
}

type Violation = { kind: 'resource'; res: keyof Resources; over: number } | { kind: 'power'; over: number } | { kind: 'latency' | 'throughput' | 'limits'; over: number };

function violations(e: Estimate, c: FitConstraints): Violation[] {
  const maxU = c.maxUtil ?? 1;
  const out: Violation[] = [];
  for (const k of ['dsp', 'lut', 'ff', 'bram18k', 'uram'] as const) {
    const u = e.total.utilization[k];
    if (u > maxU) out.push({ kind: 'resource', res: k, over: u / maxU });
  }
  if (c.maxPowerW !== undefined && e.power.total_w > c.maxPowerW) out.push({ kind: 'power', over: e.power.total_w / c.maxPowerW });
  if (c.maxLatencyS !== undefined && e.total.latency_s > c.maxLatencyS) out.push({ kind: 'latency', over: e.total.latency_s / c.maxLatencyS });
  if (c.minThroughput !== undefined && e.total.throughput_per_s < c.minThroughput) out.push({ kind: 'throughput', over: c.minThroughput / e.total.throughput_per_s });
  if (e.marks.some((m) => m.startsWith('layer '))) out.push({ kind: 'limits', over: 1 });
  return out.sort((a, b) => b.over - a.over);
}

function describe(v: Violation, e: Estimate, c: FitConstraints): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  switch (v.kind) {
    case 'resource':
      return `${v.res.toUpperCase()} ${pct(e.total.utilization[v.res])} of ${e.device.name} (limit ${pct(c.maxUtil ?? 1)})`;
    case 'power':
      return `power ${e.power.total_w.toPrecision(3)} W (limit ${c.maxPowerW} W)`;
    case 'latency':
      return `latency ${(e.total.latency_s * 1e9).toPrecision(4)} ns (limit ${(c.maxLatencyS! * 1e9).toPrecision(4)} ns)`;
    case 'throughput':
      return `throughput ${e.total.throughput_per_s.toPrecision(4)}/s (needs ${c.minThroughput}/s)`;
    case 'limits':
      return `HLS tool limits: ${e.marks.filter((m) => m.startsWith('layer ')).join('; ')}`;
  }
}

/**
 * `bindings`: the config's multiplier bindings (model-wide and per layer), held fixed while the
 * search folds, so the fitted design is costed with the DSP/LUT split the project will have.
 */
export function fitDesign(g: Graph, io: 'parallel' | 'stream', o: EstimateOptions, c: FitConstraints, maxSteps = 400, bindings: Bindings = {}): FitResult {
  const folds = g.nodes.map((n) => ({ n, f: foldShape(g, n, io) })).filter((x): x is { n: typeof x.n; f: NonNullable<typeof x.f> } => x.f !== null);
  const state = new Map(folds.map(({ n, f }) => [n.name, { strategy: 'latency' as 'latency' | 'resource', i: 0, reuses: validReuses(f.nIn, f.nOut), resource: f.resource, resourceOnly: f.resourceOnlyReuse }]));
  const design = (): DesignOptions => ({
    io, strategy: 'latency', reuse: 1,
    ...(bindings.multiplier ? { multiplier: bindings.multiplier } : {}),
    layers: {
      ...Object.fromEntries(Object.entries(bindings.layers ?? {}).map(([k, m]) => [k, { multiplier: m }])),
      // Layers that share multipliers only in the resource schedule (recurrent) say so when folded.
      ...Object.fromEntries([...state].map(([k, s]) => [k, { strategy: s.resourceOnly && s.i > 0 ? 'resource' as const : s.strategy, reuse: s.reuses[s.i]!, ...(bindings.layers?.[k] ? { multiplier: bindings.layers[k] } : {}) }])),
    },
  });
  let e = estimateGraph(g, design(), o);
  let binding = 'none: the fully parallel design fits';
  for (let step = 0; ; step++) {
    const v = violations(e, c);
    if (!v.length) return { estimate: e, layers: design().layers!, binding, steps: step };
    const worst = v[0]!;
    const stuck = (why: string): never => {
      throw new NnInputError(
        `--fit: no design fits ${e.device.name}${c.maxUtil !== undefined ? ` at ${(100 * c.maxUtil).toFixed(0)}% utilisation` : ''} with these constraints (${why}).\n` +
          `  closest: latency ${e.total.latency_cycles} cycles, II ${e.total.ii}, DSP ${e.total.dsp}, LUT ${e.total.lut}, FF ${e.total.ff}, BRAM_18K ${e.total.bram18k}, power ${e.power.total_w.toPrecision(3)} W\n` +
          `  it lacks: ${v.map((x) => describe(x, e, c)).join('; ')}`,
      );
    };
    if (worst.kind === 'latency' || worst.kind === 'throughput') stuck(`folding further only makes ${worst.kind} worse`);
    if (step >= maxSteps) stuck(`gave up after ${maxSteps} folding steps`);
    // The layer that uses most of the binding resource and can still fold.
    const key = (l: Estimate['layers'][number]) =>
      worst.kind === 'resource' ? l[worst.res] : worst.kind === 'power' ? l.dynamic_power_w : l.marks.length ? l.dsp + l.lut + 1 : 0;
    const movable = e.layers.filter((l) => {
      const s = state.get(l.name);
      return s && (s.i < s.reuses.length - 1 || (s.strategy === 'latency' && s.resource));
    });
    const pick = [...movable].sort((a, b) => key(b) - key(a))[0];
    if (!pick || key(pick) === 0) stuck(`every layer that uses ${worst.kind === 'resource' ? worst.res.toUpperCase() : worst.kind} is already folded as far as it goes`);
    // Two ways to fold it: its next valid reuse factor, or the resource strategy (weights to
    // memory); take the one that relieves the binding constraint most (fewer cycles on a tie).
    const s = state.get(pick!.name)!;
    const metric = (x: Estimate) => (worst.kind === 'resource' ? x.total[worst.res] : worst.kind === 'power' ? x.power.total_w : x.marks.length);
    const tries: { apply: () => void; undo: () => void }[] = [];
    if (s.i < s.reuses.length - 1) tries.push({ apply: () => s.i++, undo: () => s.i-- });
    if (s.strategy === 'latency' && s.resource) tries.push({ apply: () => (s.strategy = 'resource'), undo: () => (s.strategy = 'latency') });
    let best: { t: (typeof tries)[number]; e: Estimate } | undefined;
    for (const t of tries) {
      t.apply();
      const cand = estimateGraph(g, design(), o);
      t.undo();
      const better = !best || metric(cand) < metric(best.e) || (metric(cand) === metric(best.e) && cand.total.latency_cycles < best.e.total.latency_cycles);
      if (better) best = { t, e: cand };
    }
    best!.t.apply();
    binding = describe(worst, e, c);
    e = best!.e;
  }
}
