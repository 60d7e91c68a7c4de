/**
 * `nn2hls estimate MODEL --part P --clock 5ns|200MHz [--tool vivado-2019.2] [--reuse N|N,N,...]`:
 * latency, II, resources, power and energy per layer and in total, from the same LayerPlan the
 * emitter renders (src/estimate), in well under a second and without synthesis. A list of reuse
 * factors prints one row per design point. Designs beyond a tool limit or the part are estimated
 * and marked, never refused. `--json FILE` writes the machine-readable result (a list for a sweep).
 * Without --strategy/--reuse (flags or config) the design is the one `compile` emits: folded to
 * the part when the default design does not fit (fitToPart), unless --no-fit.
 * Also `nn2hls parts`: the device database.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { checkReuse, checkStrategy, DEFAULTS } from '../backend-hls/index.js';
import { DEVICES, resolvePart } from '../estimate/devices.js';
import { bindingsOf, fitDesign, fitToPart } from '../estimate/fit.js';
import { DEFAULT_TOGGLE, type Estimate, estimateGraph, estimateJson } from '../estimate/index.js';
import { DEFAULT_TOOL, PROFILES, resolveTool } from '../estimate/tools.js';
import { prepareFixed } from '../passes/pipeline.js';
import { formatClock, formatEnergy, formatPower, formatRate, formatTime, parseClockNs, parsePercent, parsePower, parseRate, parseTime } from '../util/units.js';
import { NnInputError } from '../util/tensor.js';
import { addCalibrationOption, calibratedJson, formatCalibrated } from '../synth/estimate-hook.js';
import { readCalibrationFile } from '../synth/calibrate.js';
import { addModelOptions, loadForCommand, type ModelFlags } from './model-options.js';
import { addPrecisionOptions, type PrecisionFlags, resolvePrecision } from './precision-options.js';

interface EstimateFlags extends PrecisionFlags, ModelFlags {
  part: string;
  clock: string;
  tool: string;
  io: string;
  strategy?: string;
  reuse?: string;
  toggle: string;
  json?: string;
  calibration?: string;
  maxPower?: string;
  maxLatency?: string;
  minThroughput?: string;
  maxUtil?: string;
  fit?: boolean;
}

const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(x < 0.1 ? 2 : 1)}%` : 'n/a');
const int = (n: number) => n.toLocaleString('en-US');

function table(rows: string[][], right: ReadonlySet<number>): string {
  const w = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((s, c) => (right.has(c) ? s.padStart(w[c]!) : s.padEnd(w[c]!))).join('  ').trimEnd()).join('\n');
}

/** The per-layer table and totals of one estimate. */
export function formatEstimate(e: Estimate): string {
  const head = ['layer', 'op', 'latency', 'II', 'DSP', 'LUT', 'FF', 'BRAM_18K', 'URAM', 'dynamic'];
  const rows = e.layers.map((l) => [
    l.name + (l.marks.length ? ' *' : ''), l.op, String(l.latency_cycles), String(l.ii), int(l.dsp), int(l.lut), int(l.ff), String(l.bram18k), String(l.uram), formatPower(l.dynamic_power_w, 3),
  ]);
  const t = e.total;
  rows.push(['total', '', String(t.latency_cycles), String(t.ii), int(t.dsp), int(t.lut), int(t.ff), String(t.bram18k), String(t.uram), formatPower(e.power.dynamic_w, 3)]);
  const d = e.device;
  rows.push([`available (${d.name})`, '', '', '', int(d.dsp), int(d.lut), int(d.ff), String(d.bram18k), String(d.uram), '']);
  rows.push(['utilisation', '', '', '', pct(t.utilization.dsp), pct(t.utilization.lut), pct(t.utilization.ff), pct(t.utilization.bram18k), pct(t.utilization.uram), '']);
  const out = [
    `part ${e.part} (${d.family}, ${d.dspShape.kind} ${d.dspShape.a}x${d.dspShape.b}; ${d.datasheet})  clock ${formatClock(e.clock_ns)}  tool ${e.tool}  io ${e.io}  toggle ${pct(e.toggle)}`,
    ...(e.toolNote ? [`note: ${e.toolNote}`] : []),
    '',
    table([head, ...rows], new Set([2, 3, 4, 5, 6, 7, 8, 9])),
    '',
    `latency   ${t.latency_cycles} cycles = ${formatTime(t.latency_s)}   II ${t.ii} cycles   throughput ${formatRate(t.throughput_per_s)} inferences`,
    `power     static ${formatPower(e.power.static_w)} + dynamic ${formatPower(e.power.dynamic_w)} = ${formatPower(e.power.total_w)}   energy ${formatEnergy(e.energy_per_inference_j)} per inference`,
    `fits      ${t.fits ? `yes (${d.name})` : 'NO'}`,
  ];
  for (const m of e.marks) out.push(`  * ${m}`);
  out.push('(csynth-level estimate: DSP, BRAM, latency and II are the calibrated quantities; LUT/FF are first-order, see `npm run bench:estimate`)');
  return out.join('\n');
}

function sweepTable(points: readonly { reuse: number; e: Estimate }[]): string {
  const head = ['reuse', 'latency', 'µs', 'II', 'DSP', 'LUT', 'FF', 'BRAM_18K', 'URAM', 'power', 'energy', 'fits'];
  const rows = points.map(({ reuse, e }) => [
    String(reuse), String(e.total.latency_cycles), formatTime(e.total.latency_s, 3), String(e.total.ii), int(e.total.dsp), int(e.total.lut), int(e.total.ff),
    String(e.total.bram18k), String(e.total.uram), formatPower(e.power.total_w, 3), formatEnergy(e.energy_per_inference_j, 3), e.total.fits ? 'yes' : 'NO',
  ]);
  return table([head, ...rows], new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
}

export function parseReuseList(s: string): number[] {
  const items = s.split(',').map((x) => x.trim());
  if (!items.length || items.some((x) => !/^\d+$/.test(x))) throw new NnInputError(`--reuse '${s}': expected a reuse factor or a comma-separated list, e.g. 1,2,4,8`);
  return items.map((x) => checkReuse(Number(x), '--reuse'));
}

export function register(program: Command): void {
  const cmd = program
    .command('estimate')
    .description('latency, II, resources, power and energy per layer for a part and clock, from the HLS plan (no synthesis). Power = device static + Σ resources × f × toggle × coefficient; energy per inference = total power × II / f (one inference every II cycles at full throughput)')
    .argument('<model>', 'model file')
    .option('--part <part>', 'FPGA part (see `nn2hls parts`)', DEFAULTS.part)
    .option('--clock <clock>', 'clock period (5ns) or frequency (200MHz)', `${DEFAULTS.clockNs}ns`)
    .option('--tool <tool>', `HLS tool the estimate mimics: vivado-YYYY.N or vitis-YYYY.N; the nearest calibrated release is used (calibrated: ${PROFILES.map((p) => p.id).join(', ')})`, DEFAULT_TOOL)
    .option('--io <style>', 'parallel or stream', DEFAULTS.io)
    .option('--strategy <s>', 'latency or resource')
    .option('--reuse <n>', 'reuse factor, or a comma-separated list to sweep (1,2,4,8)')
    .option('--toggle <rate>', 'signal toggle rate for dynamic power', `${DEFAULT_TOGGLE * 100}%`)
    .option('--max-power <power>', 'mark the design when total power exceeds this (e.g. 2W)')
    .option('--max-latency <time>', 'mark the design when latency exceeds this (e.g. 1us)')
    .option('--min-throughput <rate>', 'with --fit: required inferences per second (e.g. 1M/s)')
    .option('--max-util <pct>', 'with --fit: largest utilisation of any resource class (e.g. 80%)')
    .option('--fit', 'search per-layer reuse and strategy for the lowest-latency design that fits the part and the constraints')
    .option('--no-fit', 'estimate the default design as it is (by default, without --strategy/--reuse, a design over the part is folded to it, as compile does)')
    .option('--json <file>', 'write the estimate as JSON (a list of them for a --reuse sweep)');
  addCalibrationOption(cmd);
  addModelOptions(addPrecisionOptions(cmd)).action(async (model: string, f: EstimateFlags) => {
    const log = (s: string) => process.stdout.write(`${s}\n`);
    // Validate every flag before the (slower) model load, so a typo fails fast.
    const part = resolvePart(f.part);
    const clockNs = parseClockNs(f.clock, '--clock');
    const tool = resolveTool(f.tool);
    const toggle = parsePercent(f.toggle, '--toggle');
    const maxPower = f.maxPower !== undefined ? parsePower(f.maxPower, '--max-power') : undefined;
    const maxLatency = f.maxLatency !== undefined ? parseTime(f.maxLatency, '--max-latency') : undefined;
    const minThroughput = f.minThroughput !== undefined ? parseRate(f.minThroughput, '--min-throughput') : undefined;
    const maxUtil = f.maxUtil !== undefined ? parsePercent(f.maxUtil, '--max-util') : undefined;
    if (!f.fit && (minThroughput !== undefined || maxUtil !== undefined)) throw new NnInputError('--min-throughput and --max-util are constraints of --fit; add --fit');
    if (f.fit && f.reuse !== undefined) throw new NnInputError('--fit chooses the reuse factors itself; drop --reuse (or drop --fit to estimate a given reuse)');
    if (f.io !== 'parallel' && f.io !== 'stream') throw new NnInputError(`--io must be parallel or stream, got '${f.io}'`);
    if (f.calibration) readCalibrationFile(f.calibration);
    // --calibration (src/synth): the --json object corrected per tool and device family, and one line.
    const asJson = (e: Estimate) => calibratedJson(estimateJson(e), e.device.family, f.calibration);
    const m = await loadForCommand(model, f, log);
    const g = m.graph;
    // The one config parser (precision sections and the "hls" section) every command uses.
    const { cfg: precision, hls } = resolvePrecision(g, f, log, m.precision);
    const strategy = f.strategy !== undefined ? checkStrategy(f.strategy, '--strategy') : (hls.strategy ?? DEFAULTS.strategy);
    const reuses = f.reuse !== undefined ? parseReuseList(f.reuse) : [hls.reuse ?? DEFAULTS.reuse];
    const { graph } = prepareFixed(g, precision);
    if (f.fit) {
      const t0 = performance.now();
      const r = fitDesign(graph, f.io as 'parallel' | 'stream', { part, clockNs, tool, toggle }, {
        ...(maxUtil !== undefined ? { maxUtil } : {}), ...(maxLatency !== undefined ? { maxLatencyS: maxLatency } : {}),
        ...(maxPower !== undefined ? { maxPowerW: maxPower } : {}), ...(minThroughput !== undefined ? { minThroughput } : {}),
      }, undefined, bindingsOf(hls));
      log(formatEstimate(r.estimate));
      log(`\nfit: ${r.steps} folding step(s) in ${(performance.now() - t0).toFixed(0)} ms; binding constraint: ${r.binding}`);
      log(`per-layer settings (put them in a config's "hls" section to compile this design):\n${JSON.stringify({ hls: { layers: r.layers } })}`);
      if (f.calibration) log(formatCalibrated(asJson(r.estimate)));
      if (f.json) {
        writeFileSync(f.json, `${JSON.stringify({ ...asJson(r.estimate), fit: { binding: r.binding, layers: r.layers } }, null, 2)}\n`);
        log(`wrote ${f.json}`);
      }
      return;
    }
    const explicit = { strategy: f.strategy !== undefined || hls.strategy !== undefined, reuse: f.reuse !== undefined || hls.reuse !== undefined };
    // compile's default: fold to the part unless the user chose the folding (flags or config).
    const ownFold = explicit.strategy || explicit.reuse || Object.values(hls.layers).some((v) => v.strategy !== undefined || v.reuse !== undefined);
    const toPart = f.fit === undefined && !ownFold;
    let foldNote: string | undefined;
    const points = reuses.map((reuse) => {
      const d = { io: f.io as 'parallel' | 'stream', strategy, reuse, layers: hls.layers, explicit, ...(hls.multiplier ? { multiplier: hls.multiplier } : {}) };
      const eo = { part, clockNs, tool, toggle };
      let e = estimateGraph(graph, d, eo);
      if (toPart) {
        const r = fitToPart(graph, d, eo, bindingsOf(hls), e);
        e = r.after;
        if (r.outcome !== 'fits') foldNote = `${r.outcome === 'folded' ? 'fit' : 'warning'}: ${r.message}${r.outcome === 'folded' ? ' (--no-fit keeps the unfolded design)' : ''}${r.layers ? `\nper-layer settings (compile emits them; in a config's "hls" section they fix this design):\n${JSON.stringify({ hls: { layers: r.layers } })}` : ''}`;
      }
      const marks = [...e.marks];
      if (maxPower !== undefined && e.power.total_w > maxPower) marks.push(`power ${formatPower(e.power.total_w)} exceeds --max-power ${formatPower(maxPower)}`);
      if (maxLatency !== undefined && e.total.latency_s > maxLatency) marks.push(`latency ${formatTime(e.total.latency_s)} exceeds --max-latency ${formatTime(maxLatency)}`);
      const out: Estimate = marks.length === e.marks.length ? e : { ...e, marks, total: { ...e.total, fits: false } };
      return { reuse, e: out };
    });
    if (points.length === 1) log(formatEstimate(points[0]!.e));
    if (foldNote) log(`\n${foldNote}`);
    else {
      const e0 = points[0]!.e;
      log(`part ${e0.part}  clock ${formatClock(clockNs)}  tool ${e0.tool}  io ${f.io}  strategy ${strategy}${e0.toolNote ? `\nnote: ${e0.toolNote}` : ''}\n`);
      log(sweepTable(points));
    }
    if (f.calibration) for (const p of points) log(`${points.length > 1 ? `reuse ${p.reuse}: ` : ''}${formatCalibrated(asJson(p.e))}`);
    if (f.json) {
      const json = points.length === 1 ? asJson(points[0]!.e) : points.map((p) => ({ reuse: p.reuse, ...asJson(p.e) }));
      writeFileSync(f.json, `${JSON.stringify(json, null, 2)}\n`);
      log(`wrote ${f.json}`);
    }
  });

  program
    .command('parts')
    .description('list the FPGA parts the estimator knows, with their resources and datasheets')
    .action(() => {
      const head = ['device', 'family', 'board', 'LUT', 'FF', 'DSP', 'DSP type', 'BRAM_18K', 'URAM', 'static', 'datasheet'];
      const rows = DEVICES.map((d) => [
        d.name, d.family, d.board ?? '', int(d.lut), int(d.ff), int(d.dsp), `${d.dspShape.kind} ${d.dspShape.a}x${d.dspShape.b}`, int(d.bram18k), int(d.uram), formatPower(d.staticW, 3), d.datasheet,
      ]);
      process.stdout.write(
        `${table([head, ...rows], new Set([3, 4, 5, 7, 8, 9]))}\n\n` +
          `A full part name (e.g. ${DEVICES.find((d) => d.name === 'xczu7ev')!.example}) resolves to its device; package, speed grade (-1, -2, -2L, -3) and temperature (-e, -i) suffixes are accepted.\n` +
          'Static power is a first-order figure (XPE-style, room temperature), not a datasheet value; see src/estimate/devices.ts.\n',
      );
    });
}
