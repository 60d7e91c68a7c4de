/**
 * Estimate beside report: reads the estimate of a project (`estimate.json`, the `nn2hls estimate
 * --json` shape) and lines its totals and layers up with what synthesis reported — csynth
 * latency/II/resources, post-synthesis utilisation, report_power, cosim latency — with the signed
 * error of the estimate per quantity. Layers are matched to csynth instances by their config
 * struct (`cfg_<id>`, ids from nn2hls.json), C id or name appearing in the instance or module name
 * (HLS names template instances after their arguments, the config struct among them).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProjectReports } from './project.js';
import type { InstanceRow } from './reports.js';

/** The part of the estimator's --json shape read here (issue "nn2hls estimate"). */
export interface EstimateLayerJson {
  readonly name: string;
  readonly op: string;
  readonly latency_cycles: number;
  readonly ii: number;
  readonly dsp: number;
  readonly lut: number;
  readonly ff: number;
  readonly bram18k: number;
  readonly uram: number;
  readonly dynamic_power_w?: number | null;
}

export interface EstimateJson {
  readonly part?: string;
  readonly clock_ns?: number;
  readonly tool?: string;
  /** Device family (added by the estimator's calibration hook; absent in older files). */
  readonly family?: string;
  readonly layers?: readonly EstimateLayerJson[];
  readonly total: {
    readonly latency_cycles: number;
    readonly ii: number;
    readonly dsp: number;
    readonly lut: number;
    readonly ff: number;
    readonly bram18k: number;
    readonly uram: number;
    readonly latency_s?: number | null;
    readonly utilization?: Readonly<Record<string, number | null>>;
    readonly [k: string]: unknown;
  };
  readonly power?: { readonly static_w: number | null; readonly dynamic_w: number | null; readonly total_w: number | null };
  readonly [k: string]: unknown;
}

export function isEstimateJson(j: unknown): j is EstimateJson {
  const t = (j as { total?: Record<string, unknown> } | null)?.total;
  return !!t && ['latency_cycles', 'ii', 'dsp', 'lut', 'ff', 'bram18k'].every((k) => typeof t[k] === 'number');
}

/** estimate.json of a project: the estimate, or why there is none. */
export function readEstimate(dir: string): { estimate: EstimateJson | null; problem: string | null } {
  const p = join(dir, 'estimate.json');
  if (!existsSync(p)) {
    return { estimate: null, problem: `${dir}: no estimate.json (compile writes it when the estimator is present; or run \`nn2hls estimate MODEL ... --json ${p}\`)` };
  }
  let j: unknown;
  try {
    j = JSON.parse(readFileSync(p, 'utf8'));
  } catch (e) {
    return { estimate: null, problem: `${p}: not valid JSON (${(e as Error).message})` };
  }
  // A sweep writes a list; a project holds one design.
  if (Array.isArray(j) && j.length === 1) j = j[0];
  if (!isEstimateJson(j)) return { estimate: null, problem: `${p}: not an nn2hls estimate (no total.latency_cycles/ii/dsp/lut/ff/bram18k)` };
  return { estimate: j, problem: null };
}

export const QUANTITIES = ['latency_cycles', 'ii', 'dsp', 'lut', 'ff', 'bram18k', 'uram'] as const;
export type Quantity = (typeof QUANTITIES)[number];

export interface CompareRow {
  readonly quantity: string;
  readonly estimate: number | null;
  /** HLS C-synthesis estimate (csynth). */
  readonly csynth: number | null;
  /** Post-synthesis (Vivado) or measured (cosim, report_power) value. */
  readonly actual: number | null;
  readonly actualSource: string | null;
  /** Signed % error of the estimate against csynth (or against `actual` when csynth has none). */
  readonly errorPct: number | null;
  readonly errorVsActualPct: number | null;
}

export interface LayerCompare {
  readonly layer: string;
  readonly op: string;
  readonly instance: string | null;
  readonly rows: readonly CompareRow[];
}

export interface Comparison {
  readonly rows: readonly CompareRow[];
  readonly layers: readonly LayerCompare[];
  /** Report instances no estimated layer matched (top-level glue, FIFOs, ...). */
  readonly unmatched: readonly string[];
}

export const pctError = (est: number | null, ref: number | null): number | null =>
  est === null || ref === null ? null : ref === 0 ? (est === 0 ? 0 : null) : ((est - ref) / Math.abs(ref)) * 100;

function row(quantity: string, estimate: number | null, csynth: number | null, actual: number | null, actualSource: string | null): CompareRow {
  return { quantity, estimate, csynth, actual, actualSource, errorPct: pctError(estimate, csynth ?? actual), errorVsActualPct: pctError(estimate, actual) };
}

const norm = (s: string) => `_${s.toLowerCase().replace(/[^a-z0-9]+/g, '_')}_`;

/** Name keys of a layer, most specific first: its config struct (cfg_<id>), its C id, its model name. */
export function layerKeys(name: string, id?: string): string[] {
  return [...(id ? [`cfg_${id}`, id] : []), name].map(norm).filter((k) => k.length >= 3);
}

const instKey = (i: InstanceRow) => norm(`${i.instance}_${i.module}`);

/**
 * Assigns csynth instances to layers: each instance goes to the layer with the longest key
 * contained in its instance or module name (so `cfg_fc1` does not take the instance of
 * `cfg_fc1_1`), and each layer keeps one of its instances — the one naming the layer's kernel
 * (op), then the shortest name.
 */
export function assignInstances(layers: readonly { name: string; op: string; id?: string }[], instances: readonly InstanceRow[]): (InstanceRow | null)[] {
  const keys = layers.map((l) => layerKeys(l.name, l.id));
  const owner = instances.map((i) => {
    const k = instKey(i);
    let best = -1;
    let len = 0;
    keys.forEach((ks, li) => {
      for (const key of ks) if (k.includes(key) && key.length > len) [best, len] = [li, key.length];
    });
    return best;
  });
  return layers.map((l, li) => {
    const mine = instances.filter((_, ii) => owner[ii] === li);
    const kernel = l.op.toLowerCase();
    const rank = (i: InstanceRow) => (kernel && `${i.instance}_${i.module}`.toLowerCase().includes(kernel) ? 0 : 1);
    return mine.sort((a, b) => rank(a) - rank(b) || a.instance.length - b.instance.length)[0] ?? null;
  });
}

/** The report instance of one layer among instances (see assignInstances). */
export function matchInstance(layer: string, instances: readonly InstanceRow[], op = ''): InstanceRow | null {
  const keys = layerKeys(layer);
  const hits = instances.filter((i) => keys.some((k) => instKey(i).includes(k)));
  return assignInstances([{ name: layer, op }], hits)[0] ?? null;
}

export function compare(est: EstimateJson | null, rep: ProjectReports): Comparison {
  const c = rep.csynth;
  const s = rep.synth;
  const t = est?.total;
  const e = (k: Quantity) => (t ? t[k] : null);
  const rows: CompareRow[] = [
    row('latency (cycles)', e('latency_cycles'), c?.latencyWorst ?? null, rep.cosim?.latencyMax ?? null, rep.cosim ? 'cosim' : null),
    row('II (cycles)', e('ii'), c?.iiMax ?? null, rep.cosim?.iiMax ?? null, rep.cosim ? 'cosim' : null),
    row('DSP', e('dsp'), c?.resources.dsp ?? null, s?.dsp ?? null, s ? 'synth' : null),
    row('LUT', e('lut'), c?.resources.lut ?? null, s?.lut ?? null, s ? 'synth' : null),
    row('FF', e('ff'), c?.resources.ff ?? null, s?.ff ?? null, s ? 'synth' : null),
    row('BRAM_18K', e('bram18k'), c?.resources.bram18k ?? null, s?.bram18k ?? null, s ? 'synth' : null),
    row('URAM', e('uram'), c?.resources.uram ?? null, s?.uram ?? null, s ? 'synth' : null),
    // The estimate's clock is the target; the tool's estimated period is no error of ours.
    { ...row('clock target / achieved (ns)', est?.clock_ns ?? c?.targetClockNs ?? null, c?.estimatedClockNs ?? null, null, null), errorPct: null },
  ];
  if (rep.power) {
    const p = rep.power;
    rows.push(
      row('power total (W)', est?.power?.total_w ?? null, null, p?.totalW ?? null, p ? 'power' : null),
      row('power static (W)', est?.power?.static_w ?? null, null, p?.staticW ?? null, p ? 'power' : null),
      row('power dynamic (W)', est?.power?.dynamic_w ?? null, null, p?.dynamicW ?? null, p ? 'power' : null),
    );
  }
  const instances = c?.instances ?? [];
  const used = new Set<string>();
  const layers: LayerCompare[] = [];
  const estLayers = est?.layers ?? [];
  const assigned = assignInstances(estLayers.map((l) => ({ name: l.name, op: l.op, ...(rep.layerIds[l.name] ? { id: rep.layerIds[l.name] } : {}) })), instances);
  for (const [k, l] of estLayers.entries()) {
    const i = assigned[k];
    if (!i) continue;
    used.add(i.instance);
    layers.push({
      layer: l.name, op: l.op, instance: i.instance,
      rows: [
        row('latency', l.latency_cycles, i.latencyMax, null, null), row('II', l.ii, i.iiMax, null, null),
        row('DSP', l.dsp, i.dsp, null, null), row('LUT', l.lut, i.lut, null, null), row('FF', l.ff, i.ff, null, null), row('BRAM_18K', l.bram18k, i.bram18k, null, null),
      ],
    });
  }
  return { rows, layers, unmatched: instances.map((i) => i.instance).filter((n) => !used.has(n)) };
}
