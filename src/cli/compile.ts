/**
 * `nn2hls compile MODEL -o DIR`: quantizes the model (config flags shared with `simulate`),
 * emits the HLS project with the pure emitter (src/backend-hls) and writes it without losing the
 * user's work (project-files.ts: files nn2hls did not write are kept, edited generated files are
 * only overwritten with --force, new files staged then moved in). Options come from the flags,
 * else the config's "hls" section ({"hls": {"part", "clock", "io", "strategy", "reuse",
 * "layers": {"<layer>": {"strategy", "reuse"}}}}), else the defaults; the summary echoes what was
 * used, and options that change nothing (a reuse factor beyond a layer's multiplications) warn.
 * When the user gave no strategy or reuse (flags or config), the design is folded to the part:
 * if the estimate of the default design does not fit --part, the estimator's fitDesign chooses
 * per-layer strategy/reuse (as --fit) and that design is emitted, with one line saying what was
 * folded and why; when nothing fits, the closest design is emitted with a warning naming what is
 * over. --no-fit emits the default design as it is.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  checkProjectName, checkReuse, checkStrategy, DEFAULTS, emitProject, type EmitOptions, type Plan, planChanges, planProject, planTable,
} from '../backend-hls/index.js';
import { loadModel, modelFile } from '../frontend/index.js';
import { addModelOptions, loadForCommand, type ModelFlags } from './model-options.js';
import { estimate, estimateForProject } from '../estimate/index.js';
import { viewOfPlan } from '../estimate/plan-view.js';
import { cutOptionsOf, LOAD_FILE, loadRecordJson } from './cut-options.js';
import type { Graph } from '../ir/graph.js';
import { configToJson, type PrecisionConfig } from '../ir/precision-config.js';
import { summarize } from '../ir/summary.js';
import { type PassHook, prepareFixed } from '../passes/pipeline.js';
import type { RtTensor } from '../ir/semantics/tensor.js';
import { NnInputError } from '../util/tensor.js';
import { readModelInputs } from './io.js';
import { addDumpOption, dumpHook } from './dump.js';
import { formatClock, parseClockNs, parsePercent, parsePower, parseRate, parseTime } from '../util/units.js';
import { resolvePart, type ResolvedPart } from '../estimate/devices.js';
import { bindingsOf, fitDesign, fitToPart, type PartFit } from '../estimate/fit.js';
import { addPrecisionOptions, type PrecisionFlags, resolvePrecision } from './precision-options.js';
import { writeProject, type WriteResult } from './project-files.js';
import { statusLine } from './progress.js';
import { warn, warnConstantOverflows } from './warnings.js';
import { simulateFixed } from '../sim/fixed/simulate.js';

export { writeProject };

interface CompileFlags extends PrecisionFlags {
  out?: string;
  part?: string;
  clock?: string;
  io?: string;
  strategy?: string;
  reuse?: string;
  name: string;
  input: string[];
  samples: string;
  force?: boolean;
  dumpPlan?: boolean;
  report?: string;
  fit?: boolean;
  maxLatency?: string;
  maxPower?: string;
  minThroughput?: string;
  maxUtil?: string;
}

/**
 * --fit: the estimator's fitDesign (as `estimate --fit`) chooses every layer's strategy and reuse
 * for the lowest-latency design that fits the part and the constraints; the project is then
 * compiled with exactly those per-layer settings (a layer's multiplier binding is kept). Nothing
 * fits: fitDesign's error (closest design, what it lacks) and nothing is written.
 */
function fitLayers(g: Graph, precision: PrecisionConfig, options: Omit<EmitOptions, 'runs' | 'meta'>, f: CompileFlags, log: (s: string) => void): Omit<EmitOptions, 'runs' | 'meta'> {
  const own = Object.entries(options.layers).filter(([, v]) => v.strategy !== undefined || v.reuse !== undefined).map(([k]) => k);
  if (f.strategy !== undefined || f.reuse !== undefined || own.length) {
    throw new NnInputError(`--fit chooses strategy and reuse itself; drop ${f.strategy !== undefined || f.reuse !== undefined ? '--strategy/--reuse' : `hls.layers strategy/reuse of ${own.join(', ')} from the config`} (or drop --fit)`);
  }
  const part = resolvePart(options.part);
  const c = {
    ...(f.maxUtil !== undefined ? { maxUtil: parsePercent(f.maxUtil, '--max-util') } : {}),
    ...(f.maxLatency !== undefined ? { maxLatencyS: parseTime(f.maxLatency, '--max-latency') } : {}),
    ...(f.maxPower !== undefined ? { maxPowerW: parsePower(f.maxPower, '--max-power') } : {}),
    ...(f.minThroughput !== undefined ? { minThroughput: parseRate(f.minThroughput, '--min-throughput') } : {}),
  };
  const r = fitDesign(prepareFixed(g, precision).graph, options.io, { part, clockNs: options.clockNs }, c, undefined, bindingsOf(options));
  const message = `${r.steps} folding step(s); binding constraint: ${r.binding}`;
  log(`fit (${part.part}): ${message}`);
  return withFit(options, r.layers, { by: '--fit', outcome: 'folded', message });
}

/** The options with a fitted design's per-layer settings (a layer's own multiplier binding is kept) and its record. */
function withFit(options: Omit<EmitOptions, 'runs' | 'meta'>, layers: EmitOptions['layers'], rec: Omit<NonNullable<EmitOptions['fit']>, 'layers'>): Omit<EmitOptions, 'runs' | 'meta'> {
  const merged = { ...options.layers };
  for (const [k, v] of Object.entries(layers)) merged[k] = { ...merged[k], ...v, ...(options.layers[k]?.multiplier ? { multiplier: options.layers[k]!.multiplier } : {}) };
  const fitted = Object.entries(layers).filter(([, v]) => v.strategy !== undefined || v.reuse !== undefined).map(([k]) => k).sort();
  return { ...options, layers: merged, fit: { ...rec, layers: fitted } };
}

/** The part as the estimator knows it, or null (compile still works for parts it does not know). */
function knownPart(part: string): ResolvedPart | null {
  try {
    return resolvePart(part);
  } catch {
    return null;
  }
}

/** Deterministic test inputs: `n` samples of roughly normal data (sd 2) from a fixed seed. */
export function defaultRuns(g: Graph, n: number): RtTensor[][] {
  let s = 0x2545f491;
  const rnd = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
  const gauss = () => (rnd() + rnd() + rnd() + rnd() - 2) * Math.sqrt(3) * 2;
  const tensor = (batch: number): RtTensor[] =>
    g.inputs.map((io) => {
      // Batch first, as the simulators and the testbench hold it (whatever the model's batch axis).
      const shape = g.batched ? [batch, ...g.values.get(io.value)!.shape] : io.modelShape.map((d) => d ?? 1);
      const size = shape.reduce((p, d) => p * d, 1);
      return { shape, data: Float32Array.from({ length: size }, gauss) };
    });
  return g.batched ? [tensor(n)] : Array.from({ length: n }, () => tensor(1));
}

export interface CompileRequest {
  model: string;
  out: string;
  precision: PrecisionConfig;
  options: Omit<EmitOptions, 'runs' | 'meta'>;
  runs?: RtTensor[][];
  samples?: number;
  /** Overwrite generated files the user edited. */
  force?: boolean;
  /** Extra files written into the project (and hashed) next to the emitted ones. */
  extra?: ReadonlyMap<string, string>;
  /**
   * Fold to the part (compile's default when the user gave no strategy/reuse): when the emitted
   * design's estimate does not fit options.part, emit fitToPart's design instead.
   */
  fitToPart?: boolean;
  /** The estimator's tool profile for that fit and for estimate.json (default: the estimator's). */
  tool?: string;
}

export interface CompileResult {
  files: Map<string, string>;
  notes: string[];
  ignored: string[];
  graph: Graph;
  written: WriteResult;
  plan: Plan;
  /** The estimate's headline, or why there is none. */
  estimate: string;
  /** The options the project was emitted with (the fitted per-layer settings included). */
  options: Omit<EmitOptions, 'runs' | 'meta'>;
  /** The fold to the part, when asked for and the part is known. */
  fit?: PartFit;
}

/** Loads, quantizes, emits and writes; returns the emitted files and the quantize notes. */
export function compileProject(req: CompileRequest, g0?: Graph, hook?: PassHook): CompileResult {
  const g = g0 ?? loadModel(req.model);
  const { graph, notes, ignored } = prepareFixed(g, req.precision, hook);
  const runs = req.runs ?? defaultRuns(graph, req.samples ?? 64);
  const modelBytes = readFileSync(modelFile(req.model));
  // Deep FIFOs may go to UltraRAM on a part that has it (EmitOptions.uram).
  const dev = knownPart(req.options.part)?.device;
  let options = req.options.uram === undefined && dev && dev.uram > 0 ? { ...req.options, uram: true } : req.options;
  const meta = {
    precision: JSON.parse(configToJson(req.precision)),
    notes,
    source: resolve(modelFile(req.model)),
    sha256: createHash('sha256').update(modelBytes).digest('hex'),
  };
  const emitOf = (o: Omit<EmitOptions, 'runs' | 'meta'>) => ({ ...o, runs, simulate: simulateFixed, meta });
  let emitOpts = emitOf(options);
  let plan = planProject(graph, emitOpts);
  // The default design's estimate is the plan's; only a design that does not fit is refolded.
  const part = req.fitToPart ? knownPart(options.part) : null;
  let fit: PartFit | undefined;
  if (part) {
    const eo = { part, clockNs: options.clockNs, ...(req.tool ? { tool: req.tool } : {}) };
    const before = estimate(viewOfPlan(plan), eo);
    const design = { io: options.io, strategy: options.strategy, reuse: options.reuse, layers: options.layers, ...(options.explicit ? { explicit: options.explicit } : {}), ...(options.multiplier ? { multiplier: options.multiplier } : {}) };
    fit = fitToPart(graph, design, eo, bindingsOf(options), before);
    if (fit.layers && fit.outcome !== 'fits') {
      options = withFit(options, fit.layers, { by: 'default', outcome: fit.outcome, message: fit.message });
      emitOpts = emitOf(options);
      plan = planProject(graph, emitOpts);
    }
  }
  const files = emitProject(graph, emitOpts, plan);
  // Estimator hook (src/estimate): estimate.json beside the project, headline for the log.
  const est = estimateForProject(plan, req.tool, fit !== undefined && fit.outcome === 'closest');
  if ('json' in est) files.set('estimate.json', est.json);
  for (const [k, v] of req.extra ?? []) files.set(k, v);
  const written = writeProject(req.out, files, { force: req.force ?? false });
  return { files, notes, ignored, graph, written, plan, estimate: 'headline' in est ? est.headline : est.skipped, options, ...(fit ? { fit } : {}) };
}

/** Layers whose reuse factor exceeds their multiplications per sample: reuse has no effect beyond that. */
function reuseWarnings(g: Graph, reuse: number, layers: { readonly [n: string]: { reuse?: number } }): string[] {
  const out: string[] = [];
  const macs = new Map(summarize(g).layers.map((l) => [l.name, l.macs]));
  for (const n of g.nodes) {
    const own = layers[n.name]?.reuse;
    const r = own ?? reuse;
    const m = macs.get(n.name) ?? 0;
    if (m === 0) {
      if (own !== undefined) out.push(`hls.layers.${n.name}.reuse ${own} has no effect: layer '${n.name}' (${n.op}) has no multiplications`);
      continue;
    }
    if (r > m) {
      out.push(`${own !== undefined ? `hls.layers.${n.name}.reuse` : '--reuse'} ${r} has no effect beyond ${m} on layer '${n.name}' (${n.op}), which has ${m} multiplication(s) per sample; use a reuse factor of at most ${m}`);
    }
  }
  return out;
}

export function register(program: Command): void {
  const cmd = program
    .command('compile')
    .description('emit a Vivado/Vitis HLS project (C++ kernels, testbench, build scripts) for a model')
    .argument('<model>', 'model file: .onnx, TensorFlow .pb or SavedModel dir, Keras .h5/.keras/.json, TF.js model.json')
    .option('-o, --out <dir>', 'project directory (created, or updated keeping every file nn2hls did not write); required')
    .option('--part <part>', `FPGA part (default ${DEFAULTS.part})`)
    .option('--clock <clock>', `clock period (5ns) or frequency (200MHz); a unit is required (default ${DEFAULTS.clockNs}ns)`)
    .option('--io <style>', `parallel (arrays) or stream (hls::stream between layers) (default ${DEFAULTS.io})`)
    .option('--strategy <s>', 'latency (unrolled) or resource (weights in BRAM, multipliers reused)')
    .option('--reuse <n>', 'reuse factor: how many times each multiplier is used per sample')
    .option('--name <name>', 'top function and project name', DEFAULTS.name)
    .option('--input <file>', 'testbench inputs (.npy), once per graph input; default: 64 seeded random samples', (v: string, p: string[]) => [...p, v], [] as string[])
    .option('--samples <n>', 'number of random testbench samples when no --input is given', '64')
    .option('--force', 'overwrite generated files you edited since nn2hls wrote them')
    .option('--report <file>', 'write a self-contained HTML report of the design (testbench samples simulated float vs fixed, per-layer estimate, charts)')
    .option('--dump-plan', 'print the per-layer plan (strategy, reuse, II, multipliers, stream mode, buffers, FIFOs, weight storage) as a table')
    .option('--fit', 'choose per-layer reuse and strategy for the lowest-latency design that fits --part and the constraints (as estimate --fit); an error when nothing fits')
    .option('--no-fit', 'emit the default design even when it does not fit --part (by default, without --strategy/--reuse, a design over the part is folded to it)')
    .option('--max-latency <time>', 'with --fit: largest latency (e.g. 2us)')
    .option('--max-power <power>', 'with --fit: largest total power (e.g. 1.5W)')
    .option('--min-throughput <rate>', 'with --fit: required inferences per second (e.g. 1M/s)')
    .option('--max-util <pct>', 'with --fit: largest utilisation of any resource class (e.g. 80%)');
  addDumpOption(addModelOptions(addPrecisionOptions(cmd))).action(async (model: string, f: CompileFlags & ModelFlags & { dumpAfter?: string }) => {
    const log = (s: string) => process.stdout.write(`${s}\n`);
    const hook = dumpHook(f.dumpAfter);
    if (!f.out) throw new NnInputError(`-o/--out DIR is required: the directory of the HLS project (e.g. nn2hls compile ${model} -o build/myproject)`);
    const m = await loadForCommand(model, f, log);
    const g = m.graph;
    const resolved = resolvePrecision(g, f, log, m.precision);
    const { cfg: precision, hls } = resolved;
    const io = f.io ?? hls.io ?? DEFAULTS.io;
    if (io !== 'parallel' && io !== 'stream') throw new NnInputError(`--io must be parallel or stream, got '${io}'`);
    const samples = Number(f.samples);
    if (!Number.isInteger(samples) || samples < 1 || samples > 100000) throw new NnInputError(`--samples must be an integer 1..100000, got '${f.samples}'`);
    if (f.input.length && f.samples !== '64') throw new NnInputError('--samples only has an effect without --input (the testbench then runs the --input samples); leave one out');
    const runs = f.input.length ? [readModelInputs(g, f.input, '--input', 'testbench input')] : undefined;
    const clockNs = f.clock !== undefined ? parseClockNs(f.clock, '--clock') : hls.clock !== undefined ? parseClockNs(hls.clock, `${f.config}: hls.clock`) : DEFAULTS.clockNs;
    if (!f.fit && [f.maxLatency, f.maxPower, f.minThroughput, f.maxUtil].some((x) => x !== undefined)) {
      throw new NnInputError('--max-latency, --max-power, --min-throughput and --max-util are constraints of --fit; add --fit');
    }
    let options: Omit<EmitOptions, 'runs' | 'meta'> = {
      name: checkProjectName(f.name),
      part: f.part ?? hls.part ?? DEFAULTS.part,
      clockNs,
      io,
      strategy: f.strategy !== undefined ? checkStrategy(f.strategy, '--strategy') : (hls.strategy ?? DEFAULTS.strategy),
      reuse: f.reuse !== undefined ? checkReuse(Number(f.reuse), '--reuse') : (hls.reuse ?? DEFAULTS.reuse),
      layers: hls.layers,
      ...(hls.multiplier ? { multiplier: hls.multiplier } : {}),
      unrollLimit: DEFAULTS.unrollLimit,
      partitionLimit: DEFAULTS.partitionLimit,
      explicit: { strategy: f.strategy !== undefined || hls.strategy !== undefined, reuse: f.reuse !== undefined || hls.reuse !== undefined },
    };
    if (f.fit) options = fitLayers(g, precision, options, f, log);
    // Folding to the part is the default unless the user chose the folding (flags or config).
    const ownFold = Object.values(hls.layers).some((v) => v.strategy !== undefined || v.reuse !== undefined);
    const fitToPart = f.fit === undefined && !ownFold && !options.explicit!.strategy && !options.explicit!.reuse;
    // auto's choice is kept inside the project unless the user said where (--write-config).
    const extra = new Map<string, string>();
    if (resolved.chosen && !f.writeConfig) extra.set('precision.json', resolved.json);
    // A graph cut (--inputs/--outputs) and a Keras architecture's weights file are recorded so csim
    // rebuilds the same graph from the same (unchanged) files.
    const record = loadRecordJson(cutOptionsOf(f), m.weightsFile);
    if (record) extra.set(LOAD_FILE, record);
    const n = runs ? (g.batched ? (runs[0]![0]?.shape[0] ?? 1) : 1) : samples;
    const status = statusLine(`compiling ${model}: quantizing, emitting, simulating ${n} testbench sample(s)`);
    let r: CompileResult;
    try {
      r = compileProject({ model, out: f.out, precision, options, force: f.force ?? false, extra, fitToPart, ...(runs ? { runs } : { samples }) }, g, hook);
    } finally {
      status.done();
    }
    for (const n of r.notes) log(`note: ${n}`);
    if (r.fit?.outcome === 'folded') log(`fit: ${r.fit.message} (--no-fit keeps the unfolded design)`);
    if (r.fit?.outcome === 'closest') warn(r.fit.message);
    options = r.options;
    for (const line of planChanges(r.plan)) log(line);
    if (f.dumpPlan) log(planTable(r.plan));
    for (const w of r.ignored) warn(w);
    warnConstantOverflows(r.graph);
    for (const w of reuseWarnings(r.graph, options.reuse, options.layers)) warn(w);
    const summary = JSON.parse(r.files.get('nn2hls.json')!) as { layers: unknown[]; testbench: { samples: number } };
    const perLayer = Object.entries(options.layers).map(([k, v]) => `${k}: ${[v.strategy, v.reuse !== undefined ? `reuse ${v.reuse}` : ''].filter(Boolean).join(' ')}`);
    log(`${f.out}: ${r.files.size} files, ${summary.layers.length} layers, ${summary.testbench.samples} testbench samples`);
    log(`  part ${options.part}, clock ${formatClock(options.clockNs)}, io ${options.io}, strategy ${options.strategy}, reuse ${options.reuse}${perLayer.length ? `; per layer: ${perLayer.join(', ')}` : ''}`);
    log(`  precision: ${resolved.describe}${extra.has('precision.json') ? ` (written to ${join(f.out, 'precision.json')}; edit it and pass it back with --config)` : ''}`);
    if (r.written.kept.length) log(`  kept (not written by nn2hls): ${r.written.kept.join(', ')}`);
    if (r.written.overwritten.length) log(`  overwritten (--force): ${r.written.overwritten.join(', ')}`);
    log(r.estimate);
    if (f.report) {
      const { designCompileReport } = await import('../report/compile.js');
      await designCompileReport(f.report, { model, graph: g, qg: r.graph, plan: r.plan, inputs: (runs ?? defaultRuns(r.graph, samples))[0]!, precision: resolved.describe });
      log(`report: ${f.report}`);
    }
    log(`next: nn2hls csim ${f.out}   (or: cd ${f.out} && vitis_hls -f build_prj.tcl)`);
  });
}
