/**
 * The folding search of `nn2hls optimize`: with the precision fixed (so the accuracy is fixed —
 * folding changes when products are computed, never their arithmetic), per-layer reuse factor
 * and strategy are searched for the objective, every design costed by the estimator from its
 * LayerPlan. It starts from the better of the folding the precision search ended on and
 * fitDesign's (the lowest-latency one meeting the constraints) at this precision. Then coordinate
 * descent: the foldable layers (those with a reuse-folded product,
 * src/passes/tile.ts) are visited in order of their share of the objective (largest first); for
 * each, its valid reuse factors (all of them when there are few, else a log-spaced subset that
 * includes the neighbours of the current one) under both strategies are estimated and the best
 * is kept when it lowers the objective and keeps every hardware constraint (or, for a design
 * that misses some, misses fewer). Passes repeat until one changes nothing. So --objective dsp,
 * lut or power folds layers further (fewer multipliers) while the constraints allow, and
 * --objective latency unfolds layers the constraints had folded. Deterministic; the budget only
 * cuts it short.
 */
import type { LayerHlsOptions } from '../backend-hls/index.js';
import type { Estimate } from '../estimate/index.js';
import type { Graph } from '../ir/graph.js';
import { closestReuse, foldShape } from '../passes/tile.js';
import type { Candidate, Evaluator, Objective } from './evaluate.js';

/** Most reuse factors tried per layer and strategy. */
const MAX_OPTIONS = 8;

/** Layer share of the objective (what makes it worth folding first). */
function share(e: Estimate, name: string, o: Objective): number {
  const l = e.layers.find((x) => x.name === name);
  if (!l) return 0;
  switch (o) {
    case 'dsp':
      return l.dsp;
    case 'lut':
      return l.lut;
    case 'power':
    case 'energy':
      return l.dynamic_power_w;
    case 'latency':
      return l.latency_cycles;
  }
}

/** Up to MAX_OPTIONS of `all` (ascending): log-spaced picks plus the neighbours of `cur`. */
export function reuseOptions(all: readonly number[], cur: number): number[] {
  if (all.length <= MAX_OPTIONS) return all.filter((r) => r !== cur);
  const i = Math.max(0, all.indexOf(cur));
  const pick = new Set<number>([all[0]!, all[all.length - 1]!, all[Math.max(0, i - 1)]!, all[Math.min(all.length - 1, i + 1)]!]);
  for (let k = 1; pick.size < MAX_OPTIONS && k < MAX_OPTIONS; k++) pick.add(all[Math.round((k * (all.length - 1)) / (MAX_OPTIONS - 1))]!);
  return [...pick].filter((r) => r !== cur).sort((a, b) => a - b);
}

/** Strictly better: fewer constraint misses, then lower objective, then fewer DSP, LUT, FF, BRAM, then lower latency. */
function better(a: Candidate, b: Candidate): boolean {
  const ka = [a.violations.length, a.cost, a.estimate.total.dsp, a.estimate.total.lut, a.estimate.total.ff, a.estimate.total.bram18k, a.estimate.total.latency_cycles];
  const kb = [b.violations.length, b.cost, b.estimate.total.dsp, b.estimate.total.lut, b.estimate.total.ff, b.estimate.total.bram18k, b.estimate.total.latency_cycles];
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! < kb[i]!;
  return false;
}

export interface FoldResult {
  readonly start: Candidate;
  readonly final: Candidate;
  readonly probes: number;
  readonly stoppedByBudget: boolean;
}

export function searchFolding(ev: Evaluator, start: Candidate, qg: Graph, o: { deadline: number; maxPasses?: number; onProbe?: (c: Candidate, probes: number) => void }): FoldResult {
  const f = ev.folding;
  const foldable = qg.nodes.flatMap((n) => {
    const s = foldShape(qg, n, f.io);
    return s ? [{ name: n.name, reuses: s.reuses, resource: s.resource, shape: s }] : [];
  });
  let cur = start;
  let probes = 0;
  let stopped = false;
  const maxPasses = o.maxPasses ?? 3;
  // First candidate: fitDesign's folding at this precision (from reuse 1: the lowest-latency
  // design that fits), which the precision search's folding-on may have left behind; a
  // coordinate step cannot find it when unfolding one layer needs folding another.
  const fresh = ev.freshFit(qg);
  if (fresh) {
    const c = ev.refold(cur, qg, fresh, 'fitDesign folding at this precision');
    probes++;
    o.onProbe?.(c, probes);
    if (better(c, cur)) cur = c;
  }
  for (let pass = 0; pass < maxPasses && !stopped; pass++) {
    const before = cur.id;
    const order = [...foldable].sort((a, b) => share(cur.estimate, b.name, ev.objective) - share(cur.estimate, a.name, ev.objective));
    for (const l of order) {
      if (share(cur.estimate, l.name, ev.objective) === 0 && ev.objective !== 'latency') continue;
      const own: LayerHlsOptions = cur.hlsLayers[l.name] ?? {};
      const strategy = own.strategy ?? f.strategy;
      const reuse = closestReuse(l.shape, own.reuse ?? f.reuse);
      let best: Candidate | undefined;
      for (const s of l.resource ? (['latency', 'resource'] as const) : (['latency'] as const)) {
        for (const r of s === strategy ? reuseOptions(l.reuses, reuse) : [reuse, ...reuseOptions(l.reuses, reuse)]) {
          if (performance.now() > o.deadline) {
            stopped = true;
            break;
          }
          const layers = { ...cur.hlsLayers, [l.name]: { ...own, strategy: s, reuse: r } };
          const c = ev.refold(cur, qg, layers, `${l.name} ${s} reuse ${r}`);
          probes++;
          o.onProbe?.(c, probes);
          if (better(c, best ?? cur)) best = c;
        }
        if (stopped) break;
      }
      if (best) cur = best;
      if (stopped) break;
    }
    if (cur.id === before) break;
  }
  return { start, final: cur, probes, stoppedByBudget: stopped };
}

/**
 * Folds a design further until it meets the hardware constraints, starting from a given
 * folding (the one an earlier candidate needed) rather than from reuse 1 as fitDesign does:
 * the rule is fitDesign's (take the resource class or power furthest over its limit, fold the
 * layer using most of it one step: its next valid reuse factor, or the resource strategy at the
 * last one), but a narrower candidate usually needs no step or a few, not a whole fold search.
 * Returns null when a latency or throughput limit is missed (folding only makes those worse) or
 * nothing can fold further.
 */
export function fitFrom(ev: Evaluator, qg: Graph, from: { readonly [node: string]: LayerHlsOptions }, maxSteps = 400): { estimate: Estimate; layers: { readonly [node: string]: LayerHlsOptions } } | null {
  const f = ev.folding;
  const c = ev.constraints;
  const maxU = c.maxUtil ?? 1;
  const foldable = new Map(qg.nodes.flatMap((n) => {
    const s = foldShape(qg, n, f.io);
    return s ? [[n.name, { reuses: s.reuses, resource: s.resource, shape: s }] as const] : [];
  }));
  let layers = { ...from };
  let e = ev.estimateAt(qg, layers);
  for (let step = 0; step < maxSteps; step++) {
    const over: { key: (l: Estimate['layers'][number]) => number; metric: (x: Estimate) => number; by: number }[] = [];
    for (const k of ['dsp', 'lut', 'ff', 'bram18k', 'uram'] as const) {
      if (e.total.utilization[k] > maxU) over.push({ key: (l) => l[k], metric: (x) => x.total[k], by: e.total.utilization[k] / maxU });
    }
    if (c.maxPowerW !== undefined && e.power.total_w > c.maxPowerW) over.push({ key: (l) => l.dynamic_power_w, metric: (x) => x.power.total_w, by: e.power.total_w / c.maxPowerW });
    const marked = e.layers.some((l) => l.marks.length);
    if (marked) over.push({ key: (l) => (l.marks.length ? l.dsp + l.lut + 1 : 0), metric: (x) => x.layers.filter((l) => l.marks.length).length, by: 1 });
    const timing = (c.maxLatencyS !== undefined && e.total.latency_s > c.maxLatencyS) || (c.minThroughput !== undefined && e.total.throughput_per_s < c.minThroughput);
    if (!over.length) return timing ? null : { estimate: e, layers };
    const worst = over.sort((a, b) => b.by - a.by)[0]!;
    const state = (name: string) => {
      const fl = foldable.get(name)!;
      const own = layers[name] ?? {};
      return { fl, own, strategy: own.strategy ?? f.strategy, reuse: closestReuse(fl.shape, own.reuse ?? f.reuse) };
    };
    const movable = e.layers.filter((l) => {
      if (!foldable.has(l.name)) return false;
      const s = state(l.name);
      return s.reuse < s.fl.reuses[s.fl.reuses.length - 1]! || (s.strategy === 'latency' && s.fl.resource);
    });
    const pick = [...movable].sort((a, b) => worst.key(b) - worst.key(a))[0];
    if (!pick || worst.key(pick) === 0) return null;
    const s = state(pick.name);
    const tries: LayerHlsOptions[] = [];
    const i = s.fl.reuses.indexOf(s.reuse);
    if (i < s.fl.reuses.length - 1) tries.push({ ...s.own, strategy: s.strategy, reuse: s.fl.reuses[i + 1]! });
    if (s.strategy === 'latency' && s.fl.resource) tries.push({ ...s.own, strategy: 'resource', reuse: s.reuse });
    let best: { l: LayerHlsOptions; e: Estimate } | undefined;
    for (const t of tries) {
      const cand = ev.estimateAt(qg, { ...layers, [pick.name]: t });
      if (!best || worst.metric(cand) < worst.metric(best.e) || (worst.metric(cand) === worst.metric(best.e) && cand.total.latency_cycles < best.e.total.latency_cycles)) best = { l: t, e: cand };
    }
    layers = { ...layers, [pick.name]: best!.l };
    e = best!.e;
  }
  return null;
}

