/**
 * `nn2hls optimize MODEL --input X.npy --labels Y.npy --part P --clock 200MHz ...`: searches
 * per-layer precision (weights, results, accumulators, tables) and per-layer folding for the cheapest
 * design per --objective whose held-out top-1 stays within --max-accuracy-drop of float
 * (src/optimize). Prints the split, the Pareto front (accuracy vs objective, with latency and
 * resources), the chosen design against the ap_fixed<16,6> default at the same folding, and the
 * chosen per-layer types. Writes only where asked: --config-out (precision + hls sections, read
 * back by --config), --json (front and choice), --report (HTML), -o (compiles the chosen design).
 * Progress goes to stderr on a terminal only. When no design meets every constraint it says which
 * ones, shows the closest designs, and exits 1.
 */
import type { Command } from 'commander';
import { checkReuse, checkStrategy, DEFAULTS } from '../backend-hls/index.js';
import { resolvePart } from '../estimate/devices.js';
import { DEFAULT_TOGGLE } from '../estimate/index.js';
import { DEFAULT_TOOL, resolveTool } from '../estimate/tools.js';
import { renderType } from '../ir/fixed.js';
import { type Candidate, formatObjective, type Objective, OBJECTIVES } from '../optimize/evaluate.js';
import { chosenConfigJson, optimize, optimizeJson, type OptimizeResult } from '../optimize/index.js';
import { gridCsv, gridSweep, parseGrid } from '../optimize/grid.js';
import { formatFront, resourceCells, table } from '../optimize/pareto.js';
import { NnInputError, toFloat32 } from '../util/tensor.js';
import { formatPower, formatTime, parsePercent, parsePower, parseRate, parseTime, parseClockNs } from '../util/units.js';
import { compileProject } from './compile.js';
import { readModelInputs, readTensorFile } from './io.js';
import { addModelOptions, loadForCommand, type ModelFlags } from './model-options.js';
import { writeAtomic } from './precision-options.js';
import { formatSeconds } from './progress.js';
import { warn } from './warnings.js';

interface OptimizeFlags extends ModelFlags {
  input: string[];
  labels?: string;
  calib?: string;
  part: string;
  clock: string;
  tool: string;
  toggle: string;
  io: string;
  strategy?: string;
  reuse?: string;
  maxAccuracyDrop: string;
  objective: string;
  maxLatency?: string;
  maxPower?: string;
  minThroughput?: string;
  maxUtil?: string;
  budget: string;
  seed: string;
  holdout: string;
  configOut?: string;
  json?: string;
  report?: string;
  out?: string;
  quiet?: boolean;
  grid?: string;
  csv?: string;
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

/** Default vs optimized, on the held-out set. */
export function formatComparison(r: OptimizeResult): string {
  const head = ['design', 'held-out top-1', 'latency (cycles)', 'II', 'DSP', 'LUT', 'FF', 'BRAM_18K', 'power'];
  const rows = [[r.reference.label, pct(r.reference.heldOut.accuracy), ...resourceCells(r.reference.estimate)]];
  if (r.chosenDesign) rows.push(['optimized', pct(r.chosenDesign.heldOut.accuracy), ...resourceCells(r.chosenDesign.estimate)]);
  rows.push(['float', pct(r.float.heldOut), '', '', '', '', '', '', '']);
  return table([head, ...rows], new Set([1, 2, 3, 4, 5, 6, 7, 8]));
}

function formatClosest(cs: readonly Candidate[], objective: Objective): string {
  const head = ['accuracy (choose)', objective, 'latency (cycles)', 'II', 'DSP', 'LUT', 'FF', 'BRAM_18K', 'power', 'misses'];
  const rows = cs.map((c) => [pct(c.accuracy), formatObjective(c.cost, objective), ...resourceCells(c.estimate), c.violations.join('; ') || 'accuracy target']);
  return table([head, ...rows], new Set([0, 1, 2, 3, 4, 5, 6, 7, 8]));
}

export function register(program: Command): void {
  const cmd = program
    .command('optimize')
    .description('search per-layer precision and folding for the cheapest design that keeps the accuracy on your labelled data (bit-accurate simulator + estimator, no synthesis)')
    .argument('<model>', 'model file: .onnx, TensorFlow .pb or SavedModel dir, Keras .h5/.keras/.json, TF.js model.json')
    .option('--input <file>', 'labelled inputs (.npy), once per graph input (required)', (v: string, p: string[]) => [...p, v], [] as string[])
    .option('--labels <file>', 'labels (.npy): class indices [N] or one-hot [N,C] (required)')
    .option('--calib <file>', 'calibration inputs (.npy): ranges of the start config, and more samples on which candidates must agree with float (default: the choose set only)')
    .option('--part <part>', 'FPGA part (see `nn2hls parts`)', DEFAULTS.part)
    .option('--clock <clock>', 'clock period (5ns) or frequency (200MHz)', `${DEFAULTS.clockNs}ns`)
    .option('--tool <tool>', 'HLS tool the estimate mimics (vivado-YYYY.N or vitis-YYYY.N)', DEFAULT_TOOL)
    .option('--toggle <rate>', 'signal toggle rate for dynamic power', `${DEFAULT_TOGGLE * 100}%`)
    .option('--io <style>', 'parallel or stream', DEFAULTS.io)
    .option('--strategy <s>', 'fix the strategy (latency or resource); default: searched per layer for the objective within the constraints')
    .option('--reuse <n>', 'fix the reuse factor; default: searched per layer for the objective within the constraints')
    .option('--max-accuracy-drop <pct>', 'largest held-out top-1 loss against float (e.g. 1%)', '1%')
    .option('--objective <what>', `what to minimise: ${OBJECTIVES.join(', ')}`, 'dsp')
    .option('--max-latency <time>', 'constraint: latency at most this (e.g. 1us)')
    .option('--max-power <power>', 'constraint: total power at most this (e.g. 2W)')
    .option('--min-throughput <rate>', 'constraint: inferences per second at least this (e.g. 1M/s)')
    .option('--max-util <pct>', 'constraint: largest utilisation of any resource class (default 100%)')
    .option('--budget <time>', 'wall-clock safety limit of the search (e.g. 30s, 2min); the search is deterministic and normally converges well within it, and says when it was cut', '2min')
    .option('--seed <n>', 'seed of the choose/held-out split', '1')
    .option('--holdout <pct>', 'share of the labelled samples held out for the final accuracy', '50%')
    .option('--config-out <file>', 'write the chosen config (precision + hls sections; read it back with --config)')
    .option('--json <file>', 'write the Pareto front and the choice as JSON')
    .option('--report <file>', 'write a self-contained HTML report')
    .option('--grid <spec>', "instead of searching, measure a grid of uniform auto-precision bits x reuse, e.g. 'bits=16,12,8;reuse=1,2,4'")
    .option('--csv <file>', 'with --grid: write the grid table as CSV')
    .option('-o, --out <dir>', 'compile the chosen design into this HLS project directory')
    .option('--quiet', 'no progress on stderr');
  addModelOptions(cmd).action(async (model: string, f: OptimizeFlags) => {
    const log = (s: string) => process.stdout.write(`${s}\n`);
    // Every flag is checked before the model loads, so a typo fails fast.
    const part = resolvePart(f.part);
    const clockNs = parseClockNs(f.clock, '--clock');
    const tool = resolveTool(f.tool);
    const toggle = parsePercent(f.toggle, '--toggle');
    if (f.io !== 'parallel' && f.io !== 'stream') throw new NnInputError(`--io must be parallel or stream, got '${f.io}'`);
    if (!(OBJECTIVES as readonly string[]).includes(f.objective)) throw new NnInputError(`--objective must be one of ${OBJECTIVES.join(', ')}, got '${f.objective}'`);
    const objective = f.objective as Objective;
    const maxDrop = parsePercent(f.maxAccuracyDrop, '--max-accuracy-drop');
    const budgetS = parseTime(f.budget, '--budget');
    const seed = Number(f.seed);
    if (!Number.isInteger(seed) || seed < 0) throw new NnInputError(`--seed must be a whole number >= 0, got '${f.seed}'`);
    const heldOutFraction = parsePercent(f.holdout, '--holdout');
    const constraints = {
      ...(f.maxLatency !== undefined ? { maxLatencyS: parseTime(f.maxLatency, '--max-latency') } : {}),
      ...(f.maxPower !== undefined ? { maxPowerW: parsePower(f.maxPower, '--max-power') } : {}),
      ...(f.minThroughput !== undefined ? { minThroughput: parseRate(f.minThroughput, '--min-throughput') } : {}),
      ...(f.maxUtil !== undefined ? { maxUtil: parsePercent(f.maxUtil, '--max-util') } : {}),
    };
    const strategy = f.strategy !== undefined ? checkStrategy(f.strategy, '--strategy') : DEFAULTS.strategy;
    const reuse = f.reuse !== undefined ? checkReuse(Number(f.reuse), '--reuse') : DEFAULTS.reuse;
    const grid = f.grid !== undefined ? parseGrid(f.grid) : undefined;
    if (f.csv && !grid) throw new NnInputError('--csv is written by --grid; give --grid \'bits=16,8;reuse=1,2\' too');
    if (grid) for (const r of grid.reuse) checkReuse(r, '--grid reuse');
    if (!f.labels) throw new NnInputError('--labels FILE is required: the true class of every --input sample (.npy, class indices [N] or one-hot [N,C])');
    const m = await loadForCommand(model, f, log);
    const g = m.graph;
    if (!g.batched) throw new NnInputError(`${model}: optimize needs a model with a batch dimension (it splits the samples into a choose set and a held-out set)`);
    const inputs = readModelInputs(g, f.input, '--input', 'labelled input data');
    const lt = readTensorFile(f.labels);
    const n = inputs[0]!.shape[0]!;
    if (lt.shape[0] !== n) throw new NnInputError(`${f.labels}: ${lt.shape[0]} labels for ${n} input samples`);
    const calib = f.calib ? readModelInputs(g, [f.calib], '--calib', 'calibration data') : undefined;
    const tty = !f.quiet && Boolean(process.stderr.isTTY) && !process.env['CI'];
    const folding = { io: f.io, strategy, reuse, layers: {}, fixed: f.strategy !== undefined || f.reuse !== undefined } as const;
    const est = { part, clockNs, tool, toggle };
    if (grid) {
      const gs = gridSweep(
        { graph: g, data: { inputs, labels: toFloat32(lt), labelShape: [...lt.shape] }, ...(calib ? { calib } : {}), bits: grid.bits, reuse: grid.reuse, io: f.io, strategy, est, seed, heldOutFraction },
        tty ? (_r, k, total) => process.stderr.write(`\roptimize --grid: ${k}/${total} points\x1b[K`) : undefined,
      );
      if (tty) process.stderr.write('\r\x1b[K');
      log(`data: ${n} labelled samples, split by seed ${seed}: ${gs.split.heldOut} held out (accuracy below); calibrated on ${calib ? `the ${calib[0]!.shape[0]} --calib samples` : `the other ${gs.split.choose}`}; float top-1 ${pct(gs.floatAccuracy)} (held out)`);
      log(`grid: uniform auto-precision at each bit width x reuse factor (strategy ${strategy}, io ${f.io}):`);
      const head = ['bits', 'reuse', 'held-out top-1', 'latency (cycles)', 'II', 'DSP', 'LUT', 'FF', 'BRAM_18K', 'power'];
      const body = gs.rows.map((r) => [String(r.bits), String(r.reuse), pct(r.accuracy), `${r.latency_cycles} (${formatTime(r.latency_s, 3)})`, String(r.ii), String(r.dsp), String(r.lut), String(r.ff), String(r.bram18k), formatPower(r.power_w, 3)]);
      log(table([head, ...body], new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])));
      if (f.csv) {
        writeAtomic(f.csv, gridCsv(gs.rows));
        log(`wrote ${f.csv}`);
      }
      return;
    }
    const r = optimize({
      graph: g, data: { inputs, labels: toFloat32(lt), labelShape: [...lt.shape] }, ...(calib ? { calib } : {}),
      est, folding, constraints, objective, maxDrop, seed, heldOutFraction, budgetMs: budgetS * 1000,
      ...(tty
        ? { onProbe: (c: Candidate, k: number, ms: number) => process.stderr.write(`\roptimize: ${k} candidates in ${formatSeconds(ms / 1000)} (budget ${formatSeconds(budgetS)}); last: ${c.label}, ${pct(c.accuracy)}, ${objective} ${formatObjective(c.cost, objective)}\x1b[K`) }
        : {}),
    });
    if (tty) process.stderr.write('\r\x1b[K');
    log(`data: ${n} labelled samples, split by seed ${seed}: ${r.split.choose} to choose, ${r.split.heldOut} held out (accuracy below is on the held-out samples)`);
    log(`float top-1: ${pct(r.float.choose)} (choose set), ${pct(r.float.heldOut)} (held out); candidates must reach ${pct(r.target)} top-1, and ${pct(r.agreement)} of samples must keep float's top-1 with the output error under half the float top-1/top-2 margin, on the choose set${calib ? ` and the ${calib[0]!.shape[0]} --calib samples` : ''} (a quarter of the allowed ${pct(maxDrop)} drop; the rest is margin for unseen data)`);
    log(`search: ${r.probes} candidates, each bit-accurately simulated and estimated (${r.screened} rejected early on the most fragile samples; ${r.simulatedSamples.toLocaleString('en-US')} samples simulated in all, ${r.poolSamples} per full measurement), in ${(r.ms / 1000).toFixed(1)} s${r.stoppedByBudget ? ` — stopped by --budget ${f.budget}; a longer budget may find a cheaper design` : ', converged within the budget'}`);
    if (r.folding) {
      const fe = (c: Candidate) => `${objective} ${formatObjective(c.cost, objective)}, latency ${c.estimate.total.latency_cycles} cycles, DSP ${c.estimate.total.dsp}, LUT ${c.estimate.total.lut}, power ${formatPower(c.estimate.power.total_w, 3)}`;
      log(`folding searched for ${objective} (${r.folding.probes} designs estimated): ${fe(r.folding.from)} -> ${fe(r.folding.to)}`);
    }
    for (const w of r.warnings) warn(w);
    log(`\nPareto front (choose-set accuracy vs ${objective}; designs meeting the hardware constraints):`);
    log(formatFront(r.front, objective, r.chosen?.id));
    if (f.json) {
      writeAtomic(f.json, `${JSON.stringify(optimizeJson(r), null, 2)}\n`);
    }
    if (f.report) {
      const { writeOptimizeReport } = await import('../report/index.js');
      await writeOptimizeReport(f.report, { model, graph: g, result: r });
    }
    if (!r.chosen) {
      log(`\nno design meets every constraint. Missed:\n  ${r.unmet.join('\n  ')}\nclosest designs:\n${formatClosest(r.closest, objective)}`);
      if (f.json) log(`wrote ${f.json}`);
      if (f.report) log(`wrote ${f.report}`);
      throw new NnInputError('optimize: no design meets the constraints (see above); relax --max-accuracy-drop or the hardware constraints, or choose a larger part');
    }
    const d = r.chosenDesign!;
    log(`\nchosen design (held-out accuracy, ${r.split.heldOut} samples):`);
    log(formatComparison(r));
    const refDsp = r.reference.estimate.total.dsp;
    log(`DSP ${d.estimate.total.dsp} vs ${refDsp} for ap_fixed<16,6> at the same folding${refDsp ? ` (${((100 * d.estimate.total.dsp) / refDsp).toFixed(1)}%)` : ''}`);
    log('\nchosen types:');
    for (const [name, t] of Object.entries(d.cfg.inputs)) log(`  input ${name.padEnd(30)} ${renderType(t)}`);
    for (const [name, l] of Object.entries(d.cfg.layers)) {
      const fold = d.hlsLayers[name];
      log(`  ${name.padEnd(36)} ${Object.entries(l.types).map(([k, t]) => `${k} ${renderType(t!)}`).join('  ')}${fold ? `  (${[fold.strategy, fold.reuse !== undefined ? `reuse ${fold.reuse}` : ''].filter(Boolean).join(', ')})` : ''}`);
    }
    const cfgJson = chosenConfigJson(r, { part: part.part, clockNs }, folding)!;
    if (f.configOut) {
      writeAtomic(f.configOut, cfgJson);
      log(`config written to ${f.configOut} (nn2hls compile ${model} --config ${f.configOut} -o DIR builds it)`);
    }
    if (f.json) log(`wrote ${f.json}`);
    if (f.report) log(`wrote ${f.report}`);
    if (f.out) {
      // The project is checked against the part as compile's default does (fitToPart): the
      // chosen design meets the constraints, so it normally fits as it is; were it over the part
      // (its estimate re-made from the emitted plan), compile's fold would replace it and say so.
      // Not when the user allowed more than the part (--max-util over 100 %).
      const toPart = (constraints.maxUtil ?? 1) <= 1;
      const res = compileProject({
        model, out: f.out, precision: d.cfg,
        options: {
          name: DEFAULTS.name, part: part.part, clockNs, io: f.io, strategy, reuse, layers: d.hlsLayers,
          unrollLimit: DEFAULTS.unrollLimit, partitionLimit: DEFAULTS.partitionLimit, explicit: { strategy: true, reuse: true },
        },
        extra: new Map([['precision.json', cfgJson]]),
        fitToPart: toPart, ...(f.tool ? { tool: f.tool } : {}),
      }, g);
      const fit = res.fit;
      const what = !toPart
        ? `not folded to ${part.part}: --max-util ${(100 * constraints.maxUtil!).toFixed(0)}% allows more than the part`
        : !fit
          ? `not checked against '${part.part}' (not in the estimator's device database)`
          : fit.outcome === 'fits'
            ? `fits ${fit.after.device.name} as chosen`
            : `the chosen design is over ${fit.after.device.name} in the emitted plan; ${fit.message}`;
      log(`${f.out}: ${res.files.size} files (the chosen design; its config is ${f.out}/precision.json); ${what}`);
      if (fit && fit.outcome !== 'fits') warn(`${f.out}: ${fit.message}`);
      log(res.estimate);
    }
  });
}
