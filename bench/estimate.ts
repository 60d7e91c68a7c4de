/**
 * `npm run bench:estimate`: rebuilds the published designs of ../shared/reference/estimator (hls4ml
 * CI baselines and jet-tagger runs) and the jet-tagger reuse sweep (RF 1..256, xczu7ev, Vivado HLS
 * 2019.2) with nn2hls, estimates each for its part, clock and tool, and prints per point
 * estimated/published latency, II, DSP, LUT, FF and BRAM_18K, the median absolute % error per
 * quantity, and the share of io_parallel points inside the acceptance bands (DSP ±15 %, latency
 * ±10 %; a reference under 10 cycles / 7 DSPs is given ±1, since 10 % of it is under one unit).
 * Also times `estimate` on the jet tagger and a 10-point reuse sweep, and the fold to the part
 * that `compile` runs by default (fitToPart) on bundled models in both io modes (`-- --fit`: only that).
 * Points whose nn2hls design is not the published one's shape are printed but flagged `≠` and
 * left out of the band counts (say why in DIFFERS).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseType } from '../src/ir/fixed.js';
import { defaultConfig } from '../src/ir/precision-config.js';
import { prepareFixed } from '../src/passes/pipeline.js';
import { loadCalibration, loadJetSweep, type PublishedPoint } from '../src/estimate/calibration.js';
import { type Estimate, estimateGraph } from '../src/estimate/index.js';
import { fitToPart } from '../src/estimate/fit.js';
import { loadModel } from '../src/frontend/index.js';
import { designFor } from './estimate-designs.js';
import type { Graph } from '../src/ir/graph.js';

const ROOT = join(import.meta.dirname, '..');
const SHARED = join(ROOT, '../shared');
const REF = join(SHARED, 'reference/estimator');

/** Designs nn2hls builds differently from hls4ml, so the published numbers do not describe them. */
const DIFFERS: { test: (p: PublishedPoint) => boolean; why: string }[] = [
  { test: (p) => /Pooling/.test(p.id) && p.io === 'parallel', why: 'nn2hls io_parallel pooling is a loop pipelined per output pixel; hls4ml unrolls it (latency 0)' },
];

interface Row {
  id: string;
  tool: string;
  io: string;
  est: Estimate;
  ref: { latency: number | null; ii: number | null; dsp: number | null; lut: number | null; ff: number | null; bram18k: number | null };
  differs?: string;
}

const Q = ['latency', 'ii', 'dsp', 'lut', 'ff', 'bram18k'] as const;
type Qk = (typeof Q)[number];
const estOf = (e: Estimate, k: Qk) => (k === 'latency' ? e.total.latency_cycles : k === 'ii' ? e.total.ii : e.total[k]);
const pctErr = (est: number, ref: number) => (ref === 0 ? (est === 0 ? 0 : 100) : (Math.abs(est - ref) / ref) * 100);
const inBand = (est: number, ref: number, pct: number, small: number) => (ref < small ? Math.abs(est - ref) <= 1 : pctErr(est, ref) <= pct);
const median = (xs: number[]) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const cache = new Map<string, Graph>();
function quantized(id: string, key: string): Graph | null {
  if (cache.has(key)) return cache.get(key)!;
  const d = designFor(id, join(SHARED, 'models'));
  if (!d) return null;
  const g = prepareFixed(d.graph, defaultConfig(parseType(d.precision.replace(/^fixed/, 'ap_fixed')))).graph;
  cache.set(key, g);
  return g;
}

function main(): void {
  if (!existsSync(REF)) {
    process.stdout.write(`bench:estimate skipped: ${REF} is absent\n`);
    return;
  }
  const rows: Row[] = [];
  for (const p of loadCalibration(REF)) {
    if (p.level !== 'csynth') continue;
    const key = p.id.startsWith('T-') ? 'jet' : p.id;
    const g = quantized(p.id, key);
    if (!g) {
      process.stdout.write(`  (no nn2hls rebuild for ${p.id})\n`);
      continue;
    }
    const est = estimateGraph(g, { io: p.io, strategy: p.strategy, reuse: p.reuse }, { part: p.part, clockNs: p.clockNs, tool: p.tool });
    const differs = DIFFERS.find((d) => d.test(p))?.why;
    rows.push({ id: p.id, tool: p.tool, io: p.io, est, ref: { latency: p.latency, ii: p.ii, dsp: p.dsp, lut: p.lut, ff: p.ff, bram18k: p.bram18k }, ...(differs ? { differs } : {}) });
  }
  const jet = quantized('T-sweep', 'jet')!;
  for (const s of loadJetSweep(join(SHARED, 'reference/hls4ml_jet_tagger_published.md'))) {
    const est = estimateGraph(jet, { io: 'parallel', strategy: 'latency', reuse: s.reuse }, { part: 'xczu7ev-ffvc1156-2-e', clockNs: 5, tool: 'vivado-2019.2' });
    rows.push({ id: `J-sweep-rf${s.reuse}`, tool: 'vivado-2019.2', io: 'parallel', est, ref: s });
  }

  const w = (s: string | number, n: number) => String(s).padStart(n);
  const cell = (r: Row, k: Qk) => `${w(estOf(r.est, k), 6)}/${w(r.ref[k] ?? '-', 6)}`;
  process.stdout.write(`${'point'.padEnd(58)} ${'tool'.padEnd(13)} io ${Q.map((k) => w(`${k} est/ref`, 13)).join(' ')}\n`);
  for (const r of rows) {
    process.stdout.write(`${(r.differs ? '≠ ' : '  ') + r.id.slice(0, 56).padEnd(56)} ${r.tool.padEnd(13)} ${r.io === 'parallel' ? 'P ' : 'S '} ${Q.map((k) => cell(r, k)).join(' ')}\n`);
  }
  const counted = rows.filter((r) => !r.differs);
  process.stdout.write(`\nmedian |error| % over ${counted.length} comparable points (≠ rows excluded: ${rows.length - counted.length}):\n`);
  for (const io of ['parallel', 'stream', 'all'] as const) {
    const rs = counted.filter((r) => io === 'all' || r.io === io);
    const med = Q.map((k) => {
      const errs = rs.filter((r) => r.ref[k] !== null).map((r) => pctErr(estOf(r.est, k), r.ref[k]!));
      return `${k} ${median(errs).toFixed(1)}%`;
    });
    process.stdout.write(`  ${io.padEnd(8)} (${w(rs.length, 2)} points): ${med.join('  ')}\n`);
  }
  const par = counted.filter((r) => r.io === 'parallel' && r.ref.dsp !== null && r.ref.latency !== null);
  const dspOk = par.filter((r) => inBand(r.est.total.dsp, r.ref.dsp!, 15, 7));
  const latOk = par.filter((r) => inBand(r.est.total.latency_cycles, r.ref.latency!, 10, 10));
  const both = par.filter((r) => dspOk.includes(r) && latOk.includes(r));
  const pc = (n: number) => `${n}/${par.length} = ${((100 * n) / par.length).toFixed(0)}%`;
  process.stdout.write(`\nio_parallel points in band: DSP ±15%: ${pc(dspOk.length)}; latency ±10%: ${pc(latOk.length)}; both: ${pc(both.length)}\n`);
  const miss = par.filter((r) => !both.includes(r)).map((r) => r.id);
  if (miss.length) process.stdout.write(`  outside: ${miss.join(', ')}\n`);
  // What the LUT/FF scales of each tool profile should be: median published/estimated ratio.
  const tools = [...new Set(counted.map((r) => r.tool))].sort();
  for (const t of tools) {
    const rs = counted.filter((r) => r.tool === t && r.ref.lut && r.ref.ff && r.est.total.lut > 0 && r.est.total.ff > 0);
    const lr = median(rs.map((r) => r.ref.lut! / r.est.total.lut));
    const fr = median(rs.map((r) => r.ref.ff! / r.est.total.ff));
    process.stdout.write(`  ${t.padEnd(14)} published/estimated median ratio over ${rs.length} points: LUT ${lr.toFixed(2)}  FF ${fr.toFixed(2)}\n`);
  }
  const sweep = rows.filter((r) => r.id.startsWith('J-sweep'));
  const sweepOk = sweep.filter((r) => inBand(r.est.total.dsp, r.ref.dsp!, 15, 7) && inBand(r.est.total.latency_cycles, r.ref.latency!, 10, 10));
  process.stdout.write(`jet-tagger sweep RF 1..256 in both bands: ${sweepOk.length}/${sweep.length}\n`);

  // Timing: what a user waits for (graph already loaded and quantized, as the CLI does once).
  const t0 = performance.now();
  const g1 = prepareFixed(designFor('T-time', join(SHARED, 'models'))!.graph, defaultConfig()).graph;
  estimateGraph(g1, { io: 'parallel', strategy: 'latency', reuse: 1 }, { part: 'xczu7ev', clockNs: 5 });
  const t1 = performance.now();
  for (let r = 1; r <= 512; r *= 2) estimateGraph(g1, { io: 'parallel', strategy: 'latency', reuse: r }, { part: 'xczu7ev', clockNs: 5 });
  const t2 = performance.now();
  process.stdout.write(`\ntiming: jet tagger quantize + estimate ${(t1 - t0).toFixed(0)} ms; 10-point reuse sweep ${(t2 - t1).toFixed(0)} ms\n`);
  fitTiming();
}

/** CPU time of the default fold to xczu7ev (graph loaded and quantized once, as compile does). */
function fitTiming(): void {
  const models: [string, string][] = [
    ['LeNet-5', 'examples/lenet5_mnist.onnx'], ['cnn32', 'examples/cnn32_mnist.onnx'],
    ['transformer', 'test/fixtures/attention/transformer_digits.onnx'], ['U-Net 256x256', 'test/fixtures/qonnx/unet_cl_256.onnx'],
  ];
  process.stdout.write('\nfold to the part (compile default, xczu7ev, 5 ns), CPU time:\n');
  for (const [name, file] of models) {
    if (!existsSync(join(ROOT, file))) continue;
    const g = prepareFixed(loadModel(join(ROOT, file)), defaultConfig()).graph;
    for (const io of ['parallel', 'stream'] as const) {
      const c0 = process.cpuUsage();
      const r = fitToPart(g, { io, strategy: 'latency', reuse: 1 }, { part: 'xczu7ev', clockNs: 5 });
      const c = process.cpuUsage(c0);
      const u = (x: number) => `${(100 * x).toFixed(1)}%`;
      const dsp = `DSP ${u(r.before.total.utilization.dsp)} -> ${u(r.after.total.utilization.dsp)}`;
      process.stdout.write(`  ${name.padEnd(14)} io ${io.padEnd(8)} ${r.outcome.padEnd(7)} ${String(r.steps).padStart(3)} steps  ${dsp.padEnd(26)} ${((c.user + c.system) / 1000).toFixed(0).padStart(6)} ms\n`);
    }
  }
}

if (process.argv.includes('--fit')) fitTiming();
else main();
