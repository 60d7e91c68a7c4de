/**
 * The report's charts: Vega-Lite specs compiled by vega-lite and rendered to SVG strings by
 * vega's headless View (renderer 'none', toSVG needs no DOM or canvas), so the HTML page is
 * static, has no scripts and prints well. vega is loaded lazily (about half a second) and only
 * by commands that write a report. Text uses the generic sans-serif family: no font files.
 */
import type { ValueProfile } from '../optimize/profile.js';

type Spec = Record<string, unknown>;

interface VegaModules {
  vega: typeof import('vega');
  vl: typeof import('vega-lite');
}

let modules: Promise<VegaModules> | undefined;
function load(): Promise<VegaModules> {
  modules ??= Promise.all([import('vega'), import('vega-lite')]).then(([vega, vl]) => ({ vega, vl }));
  return modules;
}

const CONFIG = { font: 'sans-serif', view: { stroke: '#ddd' }, axis: { labelFontSize: 11, titleFontSize: 12 }, legend: { labelFontSize: 11 } };

/** Renders one Vega-Lite spec to an SVG string. */
export async function renderSvg(spec: Spec): Promise<string> {
  const { vega, vl } = await load();
  const compiled = vl.compile({ $schema: 'https://vega.github.io/schema/vega-lite/v5.json', config: CONFIG, ...spec } as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export interface LayerRow {
  layer: string;
  design: string;
  dsp: number;
  lut: number;
  ff: number;
  bram18k: number;
  latency: number;
  snr: number | null;
}

/** Per-layer DSP / LUT / FF / BRAM_18K bars, one panel per resource, designs side by side. */
export function resourceSpec(rows: readonly LayerRow[], order: readonly string[]): Spec {
  const values = rows.flatMap((r) => (['dsp', 'lut', 'ff', 'bram18k'] as const).map((k) => ({ layer: r.layer, design: r.design, resource: k.toUpperCase().replace('BRAM18K', 'BRAM_18K'), value: r[k] })));
  return {
    data: { values },
    facet: { column: { field: 'resource', type: 'nominal', title: null, sort: ['DSP', 'LUT', 'FF', 'BRAM_18K'] } },
    resolve: { scale: { x: 'independent' } },
    spec: {
      width: 170, height: { step: 9 },
      mark: { type: 'bar' },
      encoding: {
        y: { field: 'layer', type: 'nominal', sort: order, title: null, axis: { labelLimit: 160 } },
        yOffset: { field: 'design' },
        x: { field: 'value', type: 'quantitative', title: null },
        color: { field: 'design', type: 'nominal', title: 'design' },
        tooltip: [{ field: 'layer' }, { field: 'design' }, { field: 'value' }],
      },
    },
  };
}

/** Latency in cycles per layer, per design. */
export function latencySpec(rows: readonly LayerRow[], order: readonly string[]): Spec {
  return {
    data: { values: rows.map((r) => ({ layer: r.layer, design: r.design, cycles: r.latency })) },
    width: 520, height: { step: 9 },
    mark: 'bar',
    encoding: {
      y: { field: 'layer', type: 'nominal', sort: order, title: null, axis: { labelLimit: 200 } },
      yOffset: { field: 'design' },
      x: { field: 'cycles', type: 'quantitative', title: 'latency (cycles)' },
      color: { field: 'design', type: 'nominal' },
    },
  };
}

/** SNR in dB per layer, per design (exact layers are left out: their SNR is infinite). */
export function snrSpec(rows: readonly LayerRow[], order: readonly string[]): Spec {
  return {
    data: { values: rows.filter((r) => r.snr !== null).map((r) => ({ layer: r.layer, design: r.design, snr: Number(r.snr!.toFixed(2)) })) },
    width: 520, height: { step: 9 },
    mark: 'bar',
    encoding: {
      y: { field: 'layer', type: 'nominal', sort: order, title: null, axis: { labelLimit: 200 } },
      yOffset: { field: 'design' },
      x: { field: 'snr', type: 'quantitative', title: 'SNR (dB) vs float' },
      color: { field: 'design', type: 'nominal' },
    },
  };
}

export interface ParetoPoint {
  accuracy: number;
  cost: number;
  kind: 'candidate' | 'misses constraints' | 'Pareto front' | 'chosen';
}

/** Accuracy (choose set) against the objective for every candidate; the front as a line, the choice marked. */
export function paretoSpec(points: readonly ParetoPoint[], objective: string): Spec {
  const values = points.map((p) => ({ ...p, accuracy: Number((100 * p.accuracy).toFixed(3)) }));
  const x = { field: 'cost', type: 'quantitative', title: objective, scale: { zero: false } };
  const y = { field: 'accuracy', type: 'quantitative', title: 'top-1 on the choose set (%)', scale: { zero: false } };
  return {
    data: { values },
    width: 520, height: 300,
    layer: [
      { transform: [{ filter: "datum.kind === 'Pareto front' || datum.kind === 'chosen'" }], mark: { type: 'line', interpolate: 'step-after', color: '#999' }, encoding: { x, y, order: { field: 'cost' } } },
      {
        mark: { type: 'point', filled: true, size: 50, opacity: 0.8 },
        encoding: {
          x, y,
          color: { field: 'kind', type: 'nominal', title: null, scale: { domain: ['candidate', 'misses constraints', 'Pareto front', 'chosen'], range: ['#9ecae1', '#d9d9d9', '#3182bd', '#e6550d'] } },
          size: { condition: { test: "datum.kind === 'chosen'", value: 220 }, value: 50 },
          shape: { condition: { test: "datum.kind === 'chosen'", value: 'diamond' }, value: 'circle' },
        },
      },
    ],
  };
}

/**
 * hls4ml-style value profile: per layer and role, a box of log2|x| (whiskers min..max, box the
 * quartiles, tick the median) over a grey band of the magnitudes its chosen type represents.
 */
export function profileSpec(rows: readonly ValueProfile[], order: readonly string[]): Spec {
  const values = rows.map((r) => ({
    layer: r.layer, role: r.kind, type: r.type, min: r.log2[0], q1: r.log2[1], median: r.log2[2], q3: r.log2[3], max: r.log2[4], lo: r.typeLo, hi: r.typeHi,
  }));
  const y = { field: 'layer', type: 'nominal', sort: order, title: null, axis: { labelLimit: 200 } };
  const yOffset = { field: 'role', sort: ['activation', 'weight', 'bias', 'const'] };
  const x = (field: string) => ({ field, type: 'quantitative', title: 'log2 |value|' });
  return {
    data: { values },
    width: 520, height: { step: 12 },
    encoding: { y, yOffset },
    layer: [
      { mark: { type: 'bar', color: '#d9d9d9', opacity: 0.7 }, encoding: { x: x('lo'), x2: { field: 'hi' }, tooltip: [{ field: 'layer' }, { field: 'role' }, { field: 'type' }] } },
      { mark: { type: 'rule' }, encoding: { x: x('min'), x2: { field: 'max' }, color: { field: 'role', type: 'nominal', title: null } } },
      { mark: { type: 'bar', height: { band: 0.8 } }, encoding: { x: x('q1'), x2: { field: 'q3' }, color: { field: 'role', type: 'nominal', title: null } } },
      { mark: { type: 'tick', color: 'black' }, encoding: { x: x('median') } },
    ],
  };
}
