/**
 * The HTML report of `nn2hls optimize`: one self-contained file a person reads at a glance —
 * the model and the search (split sizes, float accuracy, targets, time), default vs optimized
 * (held-out accuracy, latency, resources, power), the per-layer table of the chosen design (op,
 * shape, types, SNR, overflows, latency, II, DSP/LUT/FF/BRAM, power), and charts rendered to
 * inline SVG at build time (charts.ts): per-layer resource bars, latency breakdown, per-layer
 * SNR (both designs), the value profile (weights and activations against the chosen types, as
 * hls4ml's profiling plot), and the Pareto scatter of every candidate with the chosen point.
 */
import type { Graph } from '../ir/graph.js';
import type { DesignSummary, OptimizeResult } from '../optimize/index.js';
import { formatObjective, objectiveValue } from '../optimize/evaluate.js';
import { paretoFront } from '../optimize/pareto.js';
import { PROFILE_SAMPLES } from '../optimize/profile.js';
import { formatPower, formatTime } from '../util/units.js';
import { type LayerRow, latencySpec, type ParetoPoint, paretoSpec, profileSpec, renderSvg, resourceSpec, snrSpec } from './charts.js';
import { type Cell, definitionList, esc, figure, htmlTable, page } from './html.js';
import { writeFileSync, renameSync } from 'node:fs';

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const num = (x: number | string): Cell => ({ text: typeof x === 'number' ? x.toLocaleString('en-US') : x, num: true });

function layerRows(d: DesignSummary, design: string): LayerRow[] {
  const est = new Map(d.estimate.layers.map((l) => [l.name, l]));
  return d.heldOut.layers.map((l) => {
    const e = est.get(l.name);
    return { layer: l.name, design, dsp: e?.dsp ?? 0, lut: e?.lut ?? 0, ff: e?.ff ?? 0, bram18k: e?.bram18k ?? 0, latency: e?.latency_cycles ?? 0, snr: l.snr_db };
  });
}

/** The per-layer table of one design: simulator figures (held-out) joined with the estimate by layer name. */
function layerTable(d: DesignSummary): string {
  const est = new Map(d.estimate.layers.map((l) => [l.name, l]));
  const rows = d.heldOut.layers.map((l) => {
    const e = est.get(l.name);
    const fold = d.hlsLayers[l.name];
    return [
      l.name, l.op, `[${l.shape.join(',')}]`, Object.entries(l.types).map(([k, v]) => `${k} ${v}`).join('\n'),
      num(l.snr_db === null ? 'exact' : l.snr_db.toFixed(1)), num(l.overflows),
      num(e ? e.latency_cycles : '—'), num(e ? e.ii : '—'), num(e?.dsp ?? 0), num(e?.lut ?? 0), num(e?.ff ?? 0), num(e?.bram18k ?? 0),
      num(e ? formatPower(e.dynamic_power_w, 3) : '—'), fold ? `${fold.strategy ?? ''} ${fold.reuse !== undefined ? `reuse ${fold.reuse}` : ''}`.trim() : '',
    ];
  });
  return htmlTable(['layer', 'op', 'shape', 'types', 'SNR dB', 'overflows', 'latency', 'II', 'DSP', 'LUT', 'FF', 'BRAM_18K', 'dyn. power', 'folding'], rows, 'layers');
}

function designRow(label: string, d: DesignSummary): (string | Cell)[] {
  const t = d.estimate.total;
  return [label, num(pct(d.heldOut.accuracy)), num(`${t.latency_cycles} (${formatTime(t.latency_s, 3)})`), num(t.ii), num(t.dsp), num(t.lut), num(t.ff), num(t.bram18k), num(formatPower(d.estimate.power.total_w, 3))];
}

export interface OptimizeReportInput {
  model: string;
  graph: Graph;
  result: OptimizeResult;
}

export async function optimizeReportHtml(inp: OptimizeReportInput): Promise<string> {
  const r = inp.result;
  const est = (r.chosenDesign ?? r.reference).estimate;
  const parts: string[] = [];
  parts.push(`<h1>nn2hls optimize — ${esc(inp.model)}</h1>`);
  parts.push(r.chosen
    ? `<p class="ok">Chosen design: held-out top-1 ${pct(r.chosenDesign!.heldOut.accuracy)} (float ${pct(r.float.heldOut)}), ${esc(r.objective)} ${esc(formatObjective(r.chosen.cost, r.objective))} against ${esc(formatObjective(objectiveValue(r.reference.estimate, r.objective), r.objective))} for ap_fixed&lt;16,6&gt; at the same folding; DSP ${r.chosenDesign!.estimate.total.dsp} against ${r.reference.estimate.total.dsp}.</p>`
    : `<p class="bad">No design meets every constraint: ${esc(r.unmet.join('; '))}</p>`);
  for (const w of r.warnings) parts.push(`<p class="bad">warning: ${esc(w)}</p>`);
  parts.push('<h2>Model and search</h2>');
  parts.push(definitionList([
    ['model', inp.model],
    ['inputs', inp.graph.inputs.map((i) => `${i.modelName} [${i.modelShape.map((d) => d ?? 'N').join(',')}]`).join(', ')],
    ['layers', `${inp.graph.nodes.length} imported nodes, ${r.reference.heldOut.layers.length} after canonicalization`],
    ['part / clock / tool', `${est.part} (${est.device.name}) / ${est.clock_ns} ns / ${est.tool}`],
    ['data split', `seed ${r.split.seed}: ${r.split.choose} samples to choose, ${r.split.heldOut} held out`],
    ['float top-1', `${pct(r.float.choose)} (choose), ${pct(r.float.heldOut)} (held out)`],
    ['acceptance', `top-1 ≥ ${pct(r.target)} and ≥ ${pct(r.agreement)} of samples stable (float’s top-1 kept with the output error under half the float top-1/top-2 margin) on the choose set`],
    ['search', `${r.probes} candidates in ${(r.ms / 1000).toFixed(1)} s${r.stoppedByBudget ? ' (stopped by the budget)' : ' (converged within the budget)'}, objective ${r.objective}; ${r.screened} rejected early on the most fragile samples (not plotted), ${r.simulatedSamples.toLocaleString('en-US')} samples simulated in all`],
    ...(r.folding ? [['folding', `searched for ${r.objective} at the chosen precision (${r.folding.probes} designs estimated): ${formatObjective(r.folding.from.cost, r.objective)} → ${formatObjective(r.folding.to.cost, r.objective)}, latency ${r.folding.from.estimate.total.latency_cycles} → ${r.folding.to.estimate.total.latency_cycles} cycles`] as [string, string]] : []),
  ]));
  parts.push('<h2>Default vs optimized (held-out samples)</h2>');
  const cmpRows = [designRow(r.reference.label, r.reference)];
  if (r.chosenDesign) cmpRows.push(designRow('optimized', r.chosenDesign));
  cmpRows.push(['float', num(pct(r.float.heldOut)), '', '', '', '', '', '', ''].map((c) => c));
  parts.push(htmlTable(['design', 'held-out top-1', 'latency (cycles)', 'II', 'DSP', 'LUT', 'FF', 'BRAM_18K', 'power'], cmpRows));

  const designs = r.chosenDesign ? [r.reference, r.chosenDesign] : [r.reference];
  const rows = designs.flatMap((d) => layerRows(d, d === r.reference ? 'ap_fixed<16,6>' : 'optimized'));
  const order = r.reference.heldOut.layers.map((l) => l.name);
  const front = new Set(paretoFront(r.candidates.filter((c) => c.violations.length === 0)).map((c) => c.id));
  const points: ParetoPoint[] = r.candidates.map((c) => ({
    accuracy: c.accuracy, cost: c.cost,
    kind: c.id === r.chosen?.id ? 'chosen' : c.violations.length ? 'misses constraints' : front.has(c.id) ? 'Pareto front' : 'candidate',
  }));
  const objTitle = r.objective === 'power' ? 'power (W)' : r.objective === 'latency' ? 'latency (s)' : r.objective === 'energy' ? 'energy per inference (J)' : r.objective.toUpperCase();
  const [pareto, resources, latency, snr, profile] = await Promise.all([
    renderSvg(paretoSpec(points, objTitle)), renderSvg(resourceSpec(rows, order)), renderSvg(latencySpec(rows, order)), renderSvg(snrSpec(rows, order)),
    r.profile.length ? renderSvg(profileSpec(r.profile, order)) : Promise.resolve(''),
  ]);
  parts.push('<h2>Pareto front</h2>');
  parts.push(figure('Accuracy vs objective', pareto, `every candidate the search measured (${r.candidates.length}); the line is the front of the designs meeting the hardware constraints, the diamond the chosen design`));
  if (r.chosenDesign) {
    parts.push('<h2>Chosen design, per layer</h2>');
    parts.push(layerTable(r.chosenDesign));
  }
  parts.push('<h2>ap_fixed&lt;16,6&gt; default, per layer</h2>');
  parts.push(layerTable(r.reference));
  parts.push('<h2>Charts</h2>');
  parts.push(figure('Resources per layer', resources, 'estimated DSP, LUT, FF and BRAM_18K of each layer, default vs optimized'));
  parts.push(figure('Latency breakdown', latency, 'estimated latency of each layer in clock cycles'));
  parts.push(figure('SNR per layer', snr, 'signal-to-noise ratio of each layer’s fixed-point output against float on the held-out samples (exact layers omitted)'));
  if (profile) {
    const n = Math.min(r.split.heldOut, PROFILE_SAMPLES);
    parts.push(figure('Value profile', profile, `log2 of |weights| and |activations| per layer (float; activations on ${n} held-out samples): whiskers min–max, box the quartiles, black tick the median, over the grey band of magnitudes the ${r.chosenDesign ? 'chosen' : 'default'} design’s type represents (one LSB to its maximum) — a box right of the band overflows, left of it rounds to zero`));
  }
  return page(`nn2hls optimize — ${inp.model}`, parts.join('\n'));
}

/** Writes a report page atomically (temp file + rename). */
export function writeReportFile(path: string, html: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, html);
  renameSync(tmp, path);
}

export async function writeOptimizeReport(path: string, inp: OptimizeReportInput): Promise<void> {
  writeReportFile(path, await optimizeReportHtml(inp));
}
