/**
 * `nn2hls simulate`: float and bit-accurate fixed point on the same inputs. Prints accuracy
 * (with labels), top-1 agreement, output errors and a per-layer table of chosen types, SNR and
 * overflow counts; optionally writes the report as JSON and both sets of outputs as .npy.
 */
import { renameSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Worker } from 'node:worker_threads';
import { canonicalize } from '../passes/pipeline.js';
import type { Estimate } from '../estimate/index.js';
import type { Graph } from '../ir/graph.js';
import type { HlsSection } from '../ir/precision-config.js';
import { parseClockNs } from '../util/units.js';
import { quantizeGraph } from '../passes/quantize.js';
import { verify } from '../ir/verify.js';
import type { SimulationReport } from '../sim/compare.js';
import { endWorkers, prestartWorkers, shareKernels, simulateParallel } from '../sim/parallel.js';
import { prestartCount, takeEarly } from './simulate-workers.js';
import { prefetchDone } from '../util/npy.js';
import { NnInputError, toFloat32 } from '../util/tensor.js';
import { readModelInputs, readTensorFile, toModelLayout, writeOutputs } from './io.js';
import { addDumpOption, dumpHook } from './dump.js';
import { addPrecisionOptions, type PrecisionFlags, resolvePrecision } from './precision-options.js';
import { progressBar } from './progress.js';
import { warn, warnConstantOverflows } from './warnings.js';
import { addModelOptions, loadForCommand, type ModelFlags } from './model-options.js';
import { mark } from '../util/trace.js';

interface SimulateFlags extends PrecisionFlags, ModelFlags {
  input: string[];
  labels?: string;
  json?: string;
  saveOutputs?: string;
  threads?: string;
  quiet?: boolean;
  report?: string;
}

function pct(v: number | null): string {
  return v === null ? '—' : `${(100 * v).toFixed(2)}%`;
}

/**
 * The layers that lost most: for each layer, the noise it adds relative to its output's signal,
 * 10^(−SNR_out/10) − 10^(−SNR_in/10) with SNR_in the worst SNR of the layers feeding it (graph
 * inputs count as exact), largest first. An estimate from the per-layer SNRs (a layer also scales
 * the noise it receives), but it names where precision went: a narrow type, a clipped range, a
 * coarse weight grid. A layer read only by a Relu is ranked together with it (as 'layer + Relu'):
 * an unsigned type may clip its negative outputs on purpose, which only the Relu's SNR judges.
 */
export function lossRanking(qg: Graph, r: SimulationReport, top = 3): { name: string; op: string; added_db: number; snr_db: number }[] {
  const snrOf = new Map<string, number>();
  const byName = new Map(r.layers.map((l) => [l.name, l]));
  const out: { name: string; op: string; added_db: number; snr_db: number }[] = [];
  const readers = new Map<string, string[]>();
  for (const n of qg.nodes) for (const i of n.inputs) if (i) readers.set(i, [...(readers.get(i) ?? []), n.op]);
  const graphOut = new Set(qg.outputs.map((o) => o.value));
  /** Output value → the layer a Relu reading it is ranked with, and that layer's input SNR. */
  const fused = new Map<string, { name: string; snrIn: number }>();
  for (const n of qg.nodes) {
    const l = byName.get(n.name);
    const snr = l?.snr_db ?? Infinity;
    let snrIn = Infinity;
    for (const i of n.inputs) {
      const s = snrOf.get(i);
      if (s !== undefined) snrIn = Math.min(snrIn, s);
    }
    const o = n.outputs[0];
    const rs = o ? (readers.get(o) ?? []) : [];
    if (o && n.op !== 'Relu' && rs.length && rs.every((op) => op === 'Relu') && !graphOut.has(o)) {
      fused.set(o, { name: n.name, snrIn });
      snrOf.set(o, snrIn);
      continue;
    }
    const with_ = n.op === 'Relu' ? fused.get(n.inputs[0]!) : undefined;
    if (with_) snrIn = with_.snrIn;
    for (const v of n.outputs) if (v) snrOf.set(v, snr);
    const added = 10 ** (-snr / 10) - 10 ** (-snrIn / 10);
    if (l && added > 0 && Number.isFinite(snr)) {
      out.push({ name: with_ ? `${with_.name} + ${n.name}` : n.name, op: with_ ? 'layer + Relu' : n.op, added_db: 10 * Math.log10(added), snr_db: snr });
    }
  }
  return out.sort((a, b) => b.added_db - a.added_db || a.name.localeCompare(b.name)).slice(0, top);
}

/** Layers with an unsigned result read only by Relu layers, that the report counts overflows on. */
function reluSaturations(qg: Graph, r: SimulationReport): string[] {
  const readers = new Map<string, string[]>();
  for (const n of qg.nodes) for (const i of n.inputs) if (i) readers.set(i, [...(readers.get(i) ?? []), n.op]);
  const over = new Map(r.layers.map((l) => [l.name, l.overflows]));
  return qg.nodes
    .filter((n) => {
      const o = n.outputs[0];
      const rs = o ? (readers.get(o) ?? []) : [];
      return o && n.op !== 'Relu' && rs.length > 0 && rs.every((op) => op === 'Relu') && qg.values.get(o)?.fixed?.signed === false && (over.get(n.name) ?? 0) > 0;
    })
    .map((n) => `'${n.name}'`);
}

export function formatReport(r: SimulationReport, qg?: Graph): string {
  const lines: string[] = [];
  lines.push(`samples: ${r.samples}`);
  lines.push(`accuracy: float ${pct(r.float.accuracy)}, fixed ${pct(r.fixed.accuracy)}`);
  lines.push(`top-1 agreement float vs fixed: ${pct(r.agreement)}`);
  lines.push(`output error: max ${r.max_abs_error.toExponential(3)}, mean ${r.mean_abs_error.toExponential(3)}`);
  if (r.input_overflows) lines.push(`inputs: ${r.input_overflows} element(s) overflowed the input type`);
  lines.push('');
  const rows = r.layers.map((l) => [
    l.name,
    l.op,
    Object.entries(l.types)
      .map(([k, v]) => `${k}=${v}`)
      .join(' '),
    l.snr_db === null ? 'exact' : l.snr_db.toFixed(1),
    String(l.overflows),
    String(l.constant_overflows),
    l.weight_error === null ? '' : l.weight_error === 0 ? 'exact' : l.weight_error.toExponential(1),
  ]);
  const head = ['layer', 'op', 'types', 'SNR dB', 'overflows', 'const ovf', 'weight err'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const fmt = (row: string[]) => row.map((c, i) => (i >= 3 ? c.padStart(w[i]!) : c.padEnd(w[i]!))).join('  ').trimEnd();
  lines.push(fmt(head), ...rows.map(fmt));
  const reluSat = qg ? reluSaturations(qg, r) : [];
  if (reluSat.length) {
    lines.push(
      '',
      `note: ${reluSat.join(', ')} ${reluSat.length === 1 ? 'is' : 'are'} read only by a Relu and ${reluSat.length === 1 ? 'has' : 'have'} an unsigned type: ` +
        'their overflows count negative values saturating to 0, the Relu\'s own work, not an error',
    );
  }
  const lost = qg ? lossRanking(qg, r) : [];
  if (lost.length) {
    lines.push('', 'layers that lost most (noise each adds, relative to its output signal; from the SNR drop):');
    for (const l of lost) lines.push(`  ${l.name} (${l.op}): ${l.added_db.toFixed(1)} dB, output SNR ${l.snr_db.toFixed(1)} dB`);
  }
  return lines.join('\n');
}

/**
 * The estimate the report shows: the config's hls section, else the compile defaults. (The
 * estimator and the backend's defaults load only for --report.)
 */
async function reportEstimate(qg: Graph, hls: HlsSection): Promise<Estimate | { skipped: string }> {
  const { DEFAULTS } = await import('../backend-hls/options.js');
  const { resolvePart } = await import('../estimate/devices.js');
  const { estimateGraph } = await import('../estimate/index.js');
  let part;
  try {
    part = resolvePart(hls.part ?? DEFAULTS.part);
  } catch {
    return { skipped: `no estimate: part '${hls.part}' is not in the estimator's device database (nn2hls parts)` };
  }
  const clockNs = hls.clock !== undefined ? parseClockNs(hls.clock, 'hls.clock') : DEFAULTS.clockNs;
  return estimateGraph(qg, {
    io: hls.io ?? DEFAULTS.io, strategy: hls.strategy ?? DEFAULTS.strategy, reuse: hls.reuse ?? DEFAULTS.reuse, layers: hls.layers,
    ...(hls.multiplier ? { multiplier: hls.multiplier } : {}),
    explicit: { strategy: hls.strategy !== undefined, reuse: hls.reuse !== undefined },
  }, { part, clockNs });
}

export function register(program: Command): void {
  const cmd = program
    .command('simulate')
    .description('float vs bit-accurate fixed point: accuracy, agreement, per-layer SNR and overflows')
    .argument('<model>', 'model file: .onnx, TensorFlow .pb or SavedModel dir, Keras .h5/.keras/.json, TF.js model.json')
    .option('--input <file>', 'input tensor (.npy or .pb), once per graph input (required)', (v: string, p: string[]) => [...p, v], [])
    .option('--labels <file>', 'labels (.npy): class indices [N] or one-hot [N,C]')
    .option('--json <file>', 'write the report as JSON')
    .option('--save-outputs <dir>', 'write fixed_output_<k>.npy and float_output_<k>.npy')
    .option('--threads <n>', 'threads for long runs (default: the cores not busy per the load average; 1: this thread only)')
    .option('--quiet', 'no progress line on stderr')
    .option('--report <file>', 'write a self-contained HTML report (per-layer types, SNR, overflows, estimate at the config\'s hls section or the defaults; charts)');
  addDumpOption(addModelOptions(addPrecisionOptions(cmd))).action(async (model: string, o: SimulateFlags & { dumpAfter?: string }) => {
    // A long run's workers start now (or started before this module loaded: main.ts, startEarly),
    // loading their modules while this thread loads the model.
    const prestarted = takeEarly() ?? prestartWorkers(prestartCount(o.input, o.threads));
    mark(`${prestarted.length} worker(s) prestarted`);
    shareKernels(prestarted);
    try {
      await simulateAction(model, o, prestarted);
    } finally {
      endWorkers(prestarted);
    }
  });
}

async function simulateAction(model: string, o: SimulateFlags & { dumpAfter?: string }, prestarted: readonly Worker[]): Promise<void> {
  const log = (s: string) => process.stdout.write(`${s}\n`);
  const hook = dumpHook(o.dumpAfter);
  const m = await loadForCommand(model, o, log);
  const g = m.graph;
  mark('model loaded');
  // Shared memory: workers read their samples where this thread reads them, no copies per chunk.
  // (Read ahead since main.ts saw the command: simulate-workers.ts startEarly.)
  await prefetchDone();
  mark('input bytes read');
  const inputs = readModelInputs(g, o.input, '--input', 'input data', true);
  mark('inputs read');
  const { cfg, describe, hls } = resolvePrecision(g, o, log, m.precision);
  const cg = canonicalize(g, hook);
  mark('canonicalized');
  const q = quantizeGraph(cg, cfg);
  const qg = verify(q.graph);
  mark('quantized and verified');
  hook?.('quantize', qg);
  for (const note of q.notes) log(`note: ${note}`);
  for (const w of q.ignored) warn(w);
  warnConstantOverflows(qg);
  let labels: Float32Array | undefined;
  let labelShape: readonly number[] | undefined;
  if (o.labels) {
    const t = readTensorFile(o.labels);
    labels = toFloat32(t);
    labelShape = t.shape;
    const n = g.batched ? inputs[0]!.shape[0]! : 1;
    if (t.shape[0] !== n) throw new NnInputError(`${o.labels}: ${t.shape[0]} labels for ${n} input samples`);
  }
  let threads: number | undefined;
  if (o.threads !== undefined) {
    threads = Number(o.threads);
    if (!Number.isInteger(threads) || threads < 1) throw new NnInputError(`--threads must be a whole number >= 1, got '${o.threads}'`);
  }
  const bar = progressBar('simulating', process.stderr, o.quiet === true);
  const t0 = performance.now();
  let workers = 0;
  let r;
  try {
    r = await simulateParallel(cg, qg, inputs, { labels, labelShape, threads, prestarted, onProgress: bar.update, onWorkers: (k) => (workers = k) });
  } finally {
    bar.done();
  }
  const ms = performance.now() - t0;
  mark('simulated');
  log(`precision: ${describe}`);
  log(formatReport(r.report, qg));
  const on = workers ? ` on ${workers + 1} threads` : '';
  log(`\n${r.report.samples} sample(s), float + fixed, in ${(ms / 1000).toFixed(2)} s${on} (${Math.round((r.report.samples / ms) * 1000).toLocaleString('en-US')} samples/s)`);
  if (o.json) {
    const tmp = `${o.json}.tmp-${process.pid}`;
    writeFileSync(tmp, `${JSON.stringify(r.report, null, 2)}\n`);
    renameSync(tmp, o.json);
    log(`report: ${o.json}`);
  }
  if (o.report) {
    const { writeReportFile } = await import('../report/index.js');
    const { designReportHtml } = await import('../report/design.js');
    writeReportFile(o.report, await designReportHtml({ model, qg, report: r.report, precision: describe, estimate: await reportEstimate(qg, hls), profile: { cg, inputs } }));
    log(`report: ${o.report}`);
  }
  if (o.saveOutputs) {
    writeOutputs(o.saveOutputs, toModelLayout(qg, r.fixedOutputs), 'fixed_output');
    writeOutputs(o.saveOutputs, toModelLayout(qg, r.floatOutputs), 'float_output');
    log(`outputs: ${o.saveOutputs}/fixed_output_<k>.npy, float_output_<k>.npy`);
  }
  mark('report written');
}
