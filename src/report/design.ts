/**
 * The HTML report of one design, for `simulate --report` and `compile --report`: the model, float vs fixed accuracy
 * and agreement, the per-layer table (op, shape, types, SNR, overflows from the simulator; latency,
 * II, DSP/LUT/FF/BRAM, power from the estimate of the same quantized graph) and the per-layer
 * charts (resources, latency breakdown, SNR, and the value profile of weights and activations
 * against the chosen types' ranges, as in optimize's report) as inline SVG. Without an estimate (a part outside
 * the device database) the hardware columns and charts are left out and the page says why.
 */
import type { Estimate } from '../estimate/index.js';
import type { Graph } from '../ir/graph.js';
import type { SimulationReport } from '../sim/compare.js';
import { formatPower, formatTime } from '../util/units.js';
import { type LayerRow, latencySpec, profileSpec, renderSvg, resourceSpec, snrSpec } from './charts.js';
import { PROFILE_SAMPLES, profileValues } from '../optimize/profile.js';
import type { RtTensor } from '../ir/semantics/tensor.js';
import { takeRows } from '../optimize/split.js';
import { type Cell, definitionList, esc, figure, htmlTable, page } from './html.js';

export interface DesignReportInput {
  model: string;
  /** The quantized graph (shapes by layer). */
  qg: Graph;
  report: SimulationReport;
  precision: string;
  estimate: Estimate | { skipped: string };
  /**
   * The canonical float graph and the samples to profile values on (the first PROFILE_SAMPLES
   * rows are used): with them the page has the value-profile chart (weights and activations
   * against the chosen types' ranges), as optimize's report has.
   */
  profile?: { cg: Graph; inputs: readonly RtTensor[] };
  /** The command the page reports on (default simulate). */
  title?: 'simulate' | 'compile';
}

const pct = (x: number | null) => (x === null ? '—' : `${(100 * x).toFixed(2)}%`);
const num = (x: number | string): Cell => ({ text: typeof x === 'number' ? x.toLocaleString('en-US') : x, num: true });

export async function designReportHtml(inp: DesignReportInput): Promise<string> {
  const r = inp.report;
  const est = 'skipped' in inp.estimate ? undefined : inp.estimate;
  const byName = new Map(est?.layers.map((l) => [l.name, l]) ?? []);
  const shapeOf = (name: string) => {
    const n = inp.qg.nodes.find((x) => x.name === name);
    return n ? `[${(inp.qg.values.get(n.outputs[0]!)?.shape ?? []).join(',')}]` : '';
  };
  const cmd = inp.title ?? 'simulate';
  const parts: string[] = [`<h1>nn2hls ${cmd} — ${esc(inp.model)}</h1>`, '<h2>Model and accuracy</h2>'];
  parts.push(definitionList([
    ['model', inp.model],
    ['inputs', inp.qg.inputs.map((i) => `${i.modelName} [${i.modelShape.map((d) => d ?? 'N').join(',')}]`).join(', ')],
    ['precision', inp.precision],
    ['samples', String(r.samples)],
    ['top-1', `float ${pct(r.float.accuracy)}, fixed ${pct(r.fixed.accuracy)}; agreement ${pct(r.agreement)}`],
    ['output error', `max ${r.max_abs_error.toExponential(3)}, mean ${r.mean_abs_error.toExponential(3)}`],
    ['estimate', est ? `${est.part} at ${est.clock_ns} ns (${est.tool}): latency ${est.total.latency_cycles} cycles (${formatTime(est.total.latency_s, 3)}), II ${est.total.ii}, DSP ${est.total.dsp}, LUT ${est.total.lut}, FF ${est.total.ff}, BRAM_18K ${est.total.bram18k}, power ${formatPower(est.power.total_w, 3)}` : (inp.estimate as { skipped: string }).skipped],
  ]));
  parts.push('<h2>Per layer</h2>');
  const head = ['layer', 'op', 'shape', 'types', 'SNR dB', 'overflows', ...(est ? ['latency', 'II', 'DSP', 'LUT', 'FF', 'BRAM_18K', 'dyn. power'] : [])];
  parts.push(htmlTable(head, r.layers.map((l) => {
    const e = byName.get(l.name);
    return [
      l.name, l.op, shapeOf(l.name), Object.entries(l.types).map(([k, v]) => `${k} ${v}`).join('\n'), num(l.snr_db === null ? 'exact' : l.snr_db.toFixed(1)), num(l.overflows),
      ...(est ? [num(e?.latency_cycles ?? '—'), num(e?.ii ?? '—'), num(e?.dsp ?? 0), num(e?.lut ?? 0), num(e?.ff ?? 0), num(e?.bram18k ?? 0), num(e ? formatPower(e.dynamic_power_w, 3) : '—')] : []),
    ];
  })));
  const rows: LayerRow[] = r.layers.map((l) => {
    const e = byName.get(l.name);
    return { layer: l.name, design: 'this design', dsp: e?.dsp ?? 0, lut: e?.lut ?? 0, ff: e?.ff ?? 0, bram18k: e?.bram18k ?? 0, latency: e?.latency_cycles ?? 0, snr: l.snr_db };
  });
  const order = r.layers.map((l) => l.name);
  parts.push('<h2>Charts</h2>');
  if (est) {
    const [res, lat] = await Promise.all([renderSvg(resourceSpec(rows, order)), renderSvg(latencySpec(rows, order))]);
    parts.push(figure('Resources per layer', res, 'estimated DSP, LUT, FF and BRAM_18K of each layer'));
    parts.push(figure('Latency breakdown', lat, 'estimated latency of each layer in clock cycles'));
  }
  parts.push(figure('SNR per layer', await renderSvg(snrSpec(rows, order)), 'signal-to-noise ratio of each layer’s fixed-point output against float (exact layers omitted)'));
  if (inp.profile) {
    const { cg, inputs } = inp.profile;
    const n = cg.batched ? Math.min(PROFILE_SAMPLES, inputs[0]!.shape[0]!) : 1;
    const prof = profileValues(cg, inp.qg, cg.batched ? inputs.map((t) => takeRows(t, [...Array(n).keys()])) : inputs);
    if (prof.length) {
      parts.push(figure('Value profile', await renderSvg(profileSpec(prof, order)), `log2 of |weights| and |activations| per layer (float; activations on ${n} sample${n === 1 ? '' : 's'}): whiskers min–max, box the quartiles, black tick the median, over the grey band of magnitudes the layer’s type represents (one LSB to its maximum) — a box right of the band overflows, left of it rounds to zero`));
    }
  }
  return page(`nn2hls ${cmd} — ${inp.model}`, parts.join('\n'));
}
