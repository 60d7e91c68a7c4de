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
import { foldShape } from '../passes/tile.js';
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

const RESOURCES = ['dsp', 'lut', 'ff', 'bram18k', 'uram'] as const;
const LABEL: Record<(typeof RESOURCES)[number], string> = { dsp: 'DSP', lut: 'LUT', ff: 'FF', bram18k: 'BRAM_18K', uram: 'URAM' };

/**
 * `floors`: utilisations no folding gets below (see searchFit); a class whose floor is over the
 * limit is folded down to its floor, not to the limit.
 */
function violations(e: Estimate, c: FitConstraints, floors: Partial<Resources> = {}): Violation[] {
  const maxU = c.maxUtil ?? 1;
  const out: Violation[] = [];
  for (const k of ['dsp', 'lut', 'ff', 'bram18k', 'uram'] as const) {
    const u = e.total.utilization[k];
    const limit = Math.max(maxU, (floors[k] ?? 0) * (1 + 1e-9));
    if (u > limit) out.push({ kind: 'resource', res: k, over: u / limit });
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

/** Where the search ended without a design that meets the constraints. */
interface Stuck {
  readonly estimate: Estimate;
  readonly layers: { readonly [node: string]: LayerHlsOptions };
  readonly why: string;
  readonly lacks: readonly string[];
  readonly steps: number;
}


/**
 * `bindings`: the config's multiplier bindings (model-wide and per layer), held fixed while the
 * search folds, so the fitted design is costed with the DSP/LUT split the project will have.
 */
export function fitDesign(g: Graph, io: 'parallel' | 'stream', o: EstimateOptions, c: FitConstraints, maxSteps = 400, bindings: Bindings = {}): FitResult {
  const r = searchFit(g, io, o, c, maxSteps, bindings);
  if (!('why' in r)) return r;
  const { estimate: e, why, lacks } = r;
  throw new NnInputError(
    `--fit: no design fits ${e.device.name}${c.maxUtil !== undefined ? ` at ${(100 * c.maxUtil).toFixed(0)}% utilisation` : ''} with these constraints (${why}).\n` +
      `  closest: latency ${e.total.latency_cycles} cycles, II ${e.total.ii}, DSP ${e.total.dsp}, LUT ${e.total.lut}, FF ${e.total.ff}, BRAM_18K ${e.total.bram18k}, power ${e.power.total_w.toPrecision(3)} W\n` +
      `  it lacks: ${lacks.join('; ')}`,
  );
}

/**
 * `worthIt`: when some class cannot fit, search only if folding as far as it goes removes more
 * than this share of the utilisation over the limits (the default fit: a 256x256 U-Net in io
 * parallel is over the part by element-wise layers that do not fold, and each of its estimates
 * is slow); 0 always searches.
 */
function searchFit(g: Graph, io: 'parallel' | 'stream', o: EstimateOptions, c: FitConstraints, maxSteps: number, bindings: Bindings, worthIt = 0): FitResult | Stuck {
  const folds = g.nodes.map((n) => ({ n, f: foldShape(g, n, io) })).filter((x): x is { n: typeof x.n; f: NonNullable<typeof x.f> } => x.f !== null);
  const state = new Map(folds.map(({ n, f }) => [n.name, { strategy: 'latency' as 'latency' | 'resource', i: 0, reuses: f.reuses, resource: f.resource, resourceOnly: f.resourceOnlyReuse }]));
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
  // Floors: the least of each resource class over the two designs folded as far as they go
  // (every layer at its largest reuse, latency or resource strategy). A class whose floor is
  // over the limit cannot fit; it is folded down to its floor (not walked layer by layer
  // through folds that relieve nothing: BRAM held by FIFOs, DSPs of layers that do not fold)
  // and the result is the closest design, not a fit.
  const maxU = c.maxUtil ?? 1;
  let floors: Partial<Resources> = {};
  if (violations(e, c).some((x) => x.kind === 'resource')) {
    const saved = [...state.values()].map((s) => ({ s, i: s.i, strategy: s.strategy }));
    const extreme = (resource: boolean) => {
      for (const s of state.values()) {
        s.i = s.reuses.length - 1;
        s.strategy = resource && s.resource ? 'resource' : 'latency';
      }
      return estimateGraph(g, design(), o);
    };
    const ends = [extreme(false), extreme(true)];
    for (const x of saved) Object.assign(x.s, { i: x.i, strategy: x.strategy });
    floors = Object.fromEntries(RESOURCES.map((k) => [k, Math.min(...ends.map((x) => x.total.utilization[k]))]));
  }
  const unfit = RESOURCES.filter((k) => (floors[k] ?? 0) > maxU);
  const floorNote = `folded as far as it goes, ${unfit.map((k) => `${LABEL[k]} stays at ${(100 * floors[k]!).toFixed(1)}%`).join(', ')}`;
  if (unfit.length && worthIt > 0) {
    const over = (u: (k: (typeof RESOURCES)[number]) => number) => RESOURCES.reduce((s, k) => s + Math.max(0, u(k) - maxU), 0);
    const now = over((k) => e.total.utilization[k]);
    if (over((k) => Math.min(floors[k]!, e.total.utilization[k])) > (1 - worthIt) * now) {
      return { estimate: e, layers: design().layers!, why: floorNote, lacks: violations(e, c).map((x) => describe(x, e, c)), steps: 0 };
    }
  }
  for (let step = 0; ; step++) {
    const v = violations(e, c, floors);
    const stuck = (why: string): Stuck => ({ estimate: e, layers: design().layers!, why, lacks: violations(e, c).map((x) => describe(x, e, c)), steps: step });
    if (!v.length) {
      if (unfit.length) return stuck(floorNote);
      return { estimate: e, layers: design().layers!, binding, steps: step };
    }
    const worst = v[0]!;
    if (worst.kind === 'latency' || worst.kind === 'throughput') return stuck(`folding further only makes ${worst.kind} worse`);
    if (step >= maxSteps) return stuck(`${unfit.length ? `${floorNote}; ` : ''}gave up after ${maxSteps} folding steps`);
    const what = worst.kind === 'resource' ? worst.res.toUpperCase() : worst.kind;
    // The layer that uses most of the binding resource and can still fold.
    const key = (l: Estimate['layers'][number]) =>
      worst.kind === 'resource' ? l[worst.res] : worst.kind === 'power' ? l.dynamic_power_w : l.marks.length ? l.dsp + l.lut + 1 : 0;
    const movable = e.layers.filter((l) => {
      const s = state.get(l.name);
      return s && (s.i < s.reuses.length - 1 || (s.strategy === 'latency' && s.resource));
    });
    const pick = [...movable].sort((a, b) => key(b) - key(a))[0];
    if (!pick || key(pick) === 0) return stuck(`every layer that uses ${what} is already folded as far as it goes`);
    // Two ways to fold it: its next valid reuse factor, or the resource strategy (weights to
    // memory); take the one that relieves the binding constraint most (fewer cycles on a tie).
    const s = state.get(pick.name)!;
    const metric = (x: Estimate) => (worst.kind === 'resource' ? x.total[worst.res] : worst.kind === 'power' ? x.power.total_w : x.marks.length);
    const tries: { apply: () => void; undo: () => void }[] = [];
    // Far over the limit (more than twice), a step at least doubles the reuse factor: a layer
    // with many valid factors (a 5x5 convolution's divisors) is not walked one divisor at a time.
    const from = s.i;
    let to = s.i + 1;
    if (worst.kind !== 'limits' && worst.over > 2) while (to < s.reuses.length - 1 && s.reuses[to]! < 2 * s.reuses[from]!) to++;
    if (s.i < s.reuses.length - 1) tries.push({ apply: () => (s.i = to), undo: () => (s.i = from) });
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

/**
 * Folding steps the default fit takes at most (it runs in every compile of a design over the
 * part; explicit --fit takes up to 400). Past it, the closest design found so far is emitted.
 */
export const DEFAULT_FIT_STEPS = 60;

/** What `compile` and `estimate` do by default (no strategy/reuse given): fold the design to the part. */
export interface PartFit {
  /** fits: the default design fits (nothing changes); folded: fitDesign's design fits; closest: nothing fits. */
  readonly outcome: 'fits' | 'folded' | 'closest';
  /** Per-layer settings of the design to emit; null: the default design as it is. */
  readonly layers: { readonly [node: string]: LayerHlsOptions } | null;
  /** The default design's estimate and the emitted design's. */
  readonly before: Estimate;
  readonly after: Estimate;
  readonly steps: number;
  /** One line: what was folded and why (before → after), or what is over and by how much. */
  readonly message: string;
}

/** How far a design is from fitting: its utilisation over 100 %, summed over the resource classes. */
const excess = (e: Estimate) => RESOURCES.reduce((s, k) => s + Math.max(0, e.total.utilization[k] - 1), 0);
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/**
 * The default fold to the part: `base` is the design the user's settings give (no strategy or
 * reuse of their own: the tiling pass's defaults). When its estimate fits the part it is kept
 * unchanged; otherwise fitDesign's lowest-latency design that fits replaces it. When nothing
 * fits, the closer of the two (less utilisation over 100 %; the default on a tie) is kept and the
 * message names every resource over the part and by how much. `estimated`: the base design's
 * estimate when the caller has it (compile estimates the plan it made).
 */
export function fitToPart(g: Graph, base: DesignOptions, o: EstimateOptions, bindings: Bindings = {}, estimated?: Estimate): PartFit {
  const before = estimated ?? estimateGraph(g, base, o);
  const dev = before.device.name;
  if (before.total.fits) return { outcome: 'fits', layers: null, before, after: before, steps: 0, message: `fits ${dev} as it is` };
  const r = searchFit(g, base.io, o, {}, DEFAULT_FIT_STEPS, bindings, 0.1);
  const folded = (ls: { readonly [node: string]: LayerHlsOptions }) => Object.values(ls).filter((s) => (s.reuse ?? 1) > 1 || s.strategy === 'resource').length;
  // The classes over the part before or after, the most over (the binding one) first.
  const over = (e: Estimate) => RESOURCES.filter((k) => before.total.utilization[k] > 1 || e.total.utilization[k] > 1).sort((a, b) => before.total.utilization[b] - before.total.utilization[a]);
  const change = (e: Estimate, ks: readonly (typeof RESOURCES)[number][]) => ks.map((k) => `${LABEL[k]} ${pct(before.total.utilization[k])} → ${pct(e.total.utilization[k])}`).join(', ');
  const cycles = (e: Estimate) => e.total.latency_cycles.toLocaleString('en-US');
  if (!('why' in r)) {
    return {
      outcome: 'folded', layers: r.layers, before, after: r.estimate, steps: r.steps,
      message: `folded ${folded(r.layers)} layer(s) to fit ${dev}, binding ${over(r.estimate).length ? `${LABEL[over(r.estimate)[0]!]}: ${change(r.estimate, over(r.estimate))}` : 'HLS tool limits'}; latency ${cycles(before)} → ${cycles(r.estimate)} cycles, II ${before.total.ii} → ${r.estimate.total.ii}`,
    };
  }
  // The closest design must not break a tool limit the default design keeps (compile would refuse it).
  const limitMarks = (e: Estimate) => e.marks.filter((m) => m.startsWith('layer ')).length;
  const useFit = excess(r.estimate) < excess(before) && limitMarks(r.estimate) <= limitMarks(before);
  const after = useFit ? r.estimate : before;
  const lacking = RESOURCES.filter((k) => after.total.utilization[k] > 1)
    .map((k) => `${LABEL[k]} ${pct(after.total.utilization[k])} (${after.total[k].toLocaleString('en-US')} of ${after.device[k].toLocaleString('en-US')}, ${(after.total[k] - after.device[k]).toLocaleString('en-US')} over)`);
  const limits = after.marks.filter((m) => m.startsWith('layer '));
  const what = [...lacking, ...(limits.length ? [`HLS tool limits: ${limits.join('; ')}`] : [])].join('; ');
  return {
    outcome: 'closest', layers: useFit ? r.layers : null, before, after, steps: r.steps,
    message: `no design fits ${dev} (${r.why}): ${what}; ${useFit ? `emitted the closest design found, ${folded(r.layers)} layer(s) folded (${change(after, over(after))})` : 'folding does not bring it closer, so the default design is emitted'}`,
  };
}
