/**
 * `nn2hls optimize --grid`: a user-given grid instead of a search. For every bit width b the
 * model gets the uniform calibrated auto-precision config at b bits (autoPrecision, the config
 * `nn2hls compile --auto --bits b` builds), bit-accurately simulated on the held-out samples (the
 * same seeded split as the search), and for every reuse factor r the estimator's latency,
 * resources and power at that reuse for every layer. One row per (bits, reuse), bits outer;
 * rows are deterministic for a given seed.
 */
import type { EstimateOptions } from '../estimate/index.js';
import { estimateGraph } from '../estimate/index.js';
import type { Graph } from '../ir/graph.js';
import { autoPrecision } from '../passes/auto-precision.js';
import { canonicalize } from '../passes/pipeline.js';
import { quantizeGraph } from '../passes/quantize.js';
import type { RtTensor } from '../ir/semantics/tensor.js';
import { NnInputError } from '../util/tensor.js';
import { measure } from './evaluate.js';
import { type Labelled, splitSamples } from './split.js';
import { runFloat } from '../sim/float/executor.js';

export interface GridRequest {
  graph: Graph;
  data: Labelled;
  calib?: readonly RtTensor[];
  bits: readonly number[];
  reuse: readonly number[];
  io: 'parallel' | 'stream';
  strategy: 'latency' | 'resource';
  est: EstimateOptions;
  seed: number;
  heldOutFraction: number;
}

export interface GridRow {
  bits: number;
  reuse: number;
  accuracy: number;
  latency_cycles: number;
  latency_s: number;
  ii: number;
  dsp: number;
  lut: number;
  ff: number;
  bram18k: number;
  power_w: number;
}

/** Parses 'bits=16,12,8;reuse=1,2,4' (either key may be left out: bits 16, reuse 1). */
export function parseGrid(spec: string): { bits: number[]; reuse: number[] } {
  const out: { bits: number[]; reuse: number[] } = { bits: [16], reuse: [1] };
  for (const part of spec.split(';').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(bits|reuse)\s*=\s*(.+)$/.exec(part);
    if (!m) throw new NnInputError(`--grid: cannot read '${part}'; write e.g. 'bits=16,12,8;reuse=1,2,4'`);
    const vals = m[2]!.split(',').map((s) => Number(s.trim()));
    const [lo, hi] = m[1] === 'bits' ? [2, 32] : [1, 1 << 20];
    for (const v of vals) if (!Number.isInteger(v) || v < lo || v > hi) throw new NnInputError(`--grid: ${m[1]} must be whole numbers ${lo}..${hi}, got '${m[2]}'`);
    out[m[1] as 'bits' | 'reuse'] = [...new Set(vals)];
  }
  return out;
}

export function gridSweep(req: GridRequest, onRow?: (r: GridRow, k: number, n: number) => void): { rows: GridRow[]; split: { choose: number; heldOut: number }; floatAccuracy: number } {
  const cg = canonicalize(req.graph);
  const split = splitSamples(req.data, req.seed, req.heldOutFraction);
  const calib = req.calib ?? split.choose.inputs;
  const rows: GridRow[] = [];
  let floatAccuracy = 0;
  for (const bits of req.bits) {
    const cfg = autoPrecision(req.graph, calib, { bits, run: runFloat });
    const qg = quantizeGraph(cg, cfg).graph;
    const m = measure(cg, qg, split.heldOut);
    floatAccuracy = m.floatAccuracy;
    for (const reuse of req.reuse) {
      const e = estimateGraph(qg, { io: req.io, strategy: req.strategy, reuse, layers: {}, explicit: { strategy: true, reuse: true } }, req.est);
      const t = e.total;
      const row = { bits, reuse, accuracy: m.accuracy, latency_cycles: t.latency_cycles, latency_s: t.latency_s, ii: t.ii, dsp: t.dsp, lut: t.lut, ff: t.ff, bram18k: t.bram18k, power_w: e.power.total_w };
      rows.push(row);
      onRow?.(row, rows.length, req.bits.length * req.reuse.length);
    }
  }
  return { rows, split: { choose: split.chooseIdx.length, heldOut: split.heldOutIdx.length }, floatAccuracy };
}

/** CSV with a header row; numbers in plain decimal (seconds, watts). */
export function gridCsv(rows: readonly GridRow[]): string {
  const keys = ['bits', 'reuse', 'accuracy', 'latency_cycles', 'latency_s', 'ii', 'dsp', 'lut', 'ff', 'bram18k', 'power_w'] as const;
  return `${keys.join(',')}\n${rows.map((r) => keys.map((k) => String(Number(r[k].toPrecision(6)))).join(',')).join('\n')}\n`;
}
