/**
 * The precision search of `nn2hls optimize`: coordinate descent over per-layer widths, guided
 * by sensitivity. Starting from the calibrated auto config (16-bit, ranges with margin), every
 * tunable type — each layer's weight and result, each graph input — is visited in order of the
 * layer's SNR in the start design (highest first: a layer far above the noise floor gives bits
 * away cheaply), and its width is binary-searched down to the narrowest that keeps the choose-set
 * accuracy and the share of stable samples (same top-1 as float, with margin) at or above their targets, integer bits fixed (fraction bits go). Then the integer bits
 * of results and inputs are tightened (one integer and one total bit less, same resolution) while
 * the accuracy holds: that trades the auto config's range margin for width. A second sweep
 * tries one bit less on every type, now that the others are narrowed. Every probe is a full candidate (bit-accurate
 * accuracy on the choose set, estimate), kept in the evaluator's history for the Pareto front;
 * a change is kept only when it meets the accuracy target and does not raise the objective.
 * Feasibility in width is assumed monotone (narrower never more accurate), which is what makes
 * the binary search a handful of probes per type. Deterministic: no randomness here; the budget
 * only ever cuts the search short (and the result says so).
 */
import { fixedType, type FixedType } from '../ir/fixed.js';
import type { LevelSpec, PrecisionConfig } from '../ir/precision-config.js';
import type { Candidate, Evaluator } from './evaluate.js';

export type TunableVar = 'weight' | 'result' | 'input';

export interface Tunable {
  /** Layer name (IR node) or graph input model name. */
  readonly name: string;
  readonly v: TunableVar;
}

export const tunableKey = (t: Tunable) => (t.v === 'input' ? `input ${t.name}` : `${t.name}.${t.v}`);

export function getType(cfg: PrecisionConfig, t: Tunable): FixedType | undefined {
  return t.v === 'input' ? cfg.inputs[t.name] : cfg.layers[t.name]?.types[t.v];
}

export function withType(cfg: PrecisionConfig, t: Tunable, ty: FixedType): PrecisionConfig {
  if (t.v === 'input') return { ...cfg, inputs: { ...cfg.inputs, [t.name]: ty } };
  const l: LevelSpec = cfg.layers[t.name] ?? { types: {} };
  return { ...cfg, layers: { ...cfg.layers, [t.name]: { ...l, types: { ...l.types, [t.v]: ty } } } };
}

const reshape = (t: FixedType, width: number, int: number) => fixedType(width, int, { signed: t.signed, q: t.q, o: t.o, n: Math.min(t.n, width) });

/** The tunable types of a config, in sensitivity order (layers by start SNR, highest first; then inputs). */
export function tunables(cfg: PrecisionConfig, snr: Readonly<Record<string, number | null>>): Tunable[] {
  const layerNames = Object.keys(cfg.layers);
  const s = (n: string) => (snr[n] === null ? Infinity : (snr[n] ?? -Infinity));
  const order = layerNames.map((n, i) => ({ n, i })).sort((a, b) => s(b.n) - s(a.n) || a.i - b.i);
  const out: Tunable[] = [];
  for (const { n } of order) {
    const types = cfg.layers[n]!.types;
    if (types.weight) out.push({ name: n, v: 'weight' });
    if (types.result) out.push({ name: n, v: 'result' });
  }
  for (const n of Object.keys(cfg.inputs)) out.push({ name: n, v: 'input' });
  return out;
}

export interface SearchOptions {
  /** Choose-set accuracy every kept change must reach. */
  readonly target: number;
  /** Share of stable samples (evaluate.ts, Measured.stable) every kept change must reach (guards against changes that only happen to keep the count). */
  readonly agreement: number;
  /** Narrowest width tried. */
  readonly minWidth?: number;
  /** Wall-clock deadline (performance.now() value). */
  readonly deadline: number;
  /** Sweeps over all tunables (default 2). */
  readonly sweeps?: number;
  readonly onProbe?: (c: Candidate, probes: number) => void;
}

export interface SearchResult {
  readonly start: Candidate;
  /** The candidate the descent ended on (meets the accuracy target unless the start did not). */
  readonly final: Candidate;
  readonly probes: number;
  readonly stoppedByBudget: boolean;
}

export function searchPrecision(ev: Evaluator, startCfg: PrecisionConfig, o: SearchOptions): SearchResult {
  let probes = 0;
  let stopped = false;
  const minW = o.minWidth ?? 2;
  const probe = (cfg: PrecisionConfig, label: string): Candidate | null => {
    if (performance.now() > o.deadline) {
      stopped = true;
      return null;
    }
    const c = ev.evaluate(cfg, label);
    probes++;
    o.onProbe?.(c, probes);
    return c;
  };
  const start = probe(startCfg, 'auto 16-bit (start)') ?? ev.evaluate(startCfg, 'auto 16-bit (start)');
  let cur = start;
  const ok = (c: Candidate) => c.accuracy >= o.target && c.stable >= o.agreement && c.cost <= cur.cost;
  const order = tunables(startCfg, start.snr);
  const sweeps = o.sweeps ?? 2;
  for (let sweep = 0; sweep < sweeps && !stopped; sweep++) {
    const before = cur.id;
    for (const t of order) {
      const ty = getType(cur.cfg, t);
      if (!ty) continue;
      // Binary search on the width, integer bits fixed: hi is known good (the current design).
      // Later sweeps only try one bit less (the first sweep found each type's floor already).
      let lo = Math.max(minW, 1 + (ty.signed ? 1 : 0), sweep === 0 ? 0 : ty.width - 1);
      let hi = ty.width;
      let best: Candidate | undefined;
      while (lo < hi) {
        const mid = Math.floor((lo + hi) / 2);
        const c = probe(withType(cur.cfg, t, reshape(ty, mid, ty.int)), `${tunableKey(t)} width ${mid}`);
        if (!c) break;
        if (ok(c)) {
          hi = mid;
          best = c;
        } else lo = mid + 1;
      }
      if (best) cur = best;
      if (stopped) break;
      // Integer bits: one integer and one total bit less keeps the resolution and gives up range.
      if (t.v !== 'weight' && sweep === 0) {
        for (let k = 0; k < 4; k++) {
          const t0 = getType(cur.cfg, t)!;
          if (t0.width - 1 < lo - 1 || t0.width - 1 < minW) break;
          const c = probe(withType(cur.cfg, t, reshape(t0, t0.width - 1, t0.int - 1)), `${tunableKey(t)} int ${t0.int - 1} width ${t0.width - 1}`);
          if (!c || !ok(c)) break;
          cur = c;
        }
      }
      if (stopped) break;
    }
    if (cur.id === before) break; // a sweep that changed nothing: the next would not either
  }
  return { start, final: cur, probes, stoppedByBudget: stopped };
}
