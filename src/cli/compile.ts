/**
 * `nn2hls compile MODEL -o DIR`: quantizes the model (precision flags shared with `simulate`),
 * emits the HLS project with the pure emitter (src/backend-hls) and writes it atomically: all
 * files go to a temporary sibling directory which is then renamed into place, so DIR is either
 * the old project or the complete new one. A DIR that exists but is not an nn2hls project
 * (no nn2hls.json) is never overwritten.
 * The config file may carry an "hls" section next to the precision ones:
 *   {"hls": {"strategy": "resource", "reuse": 4, "layers": {"<layer>": {"strategy": "latency", "reuse": 2}}}}
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  checkProjectName, checkReuse, checkStrategy, DEFAULTS, emitProject, type EmitOptions, type LayerHlsOptions, parseClock,
} from '../backend-hls/index.js';
import { type LoadOptions, loadModel } from '../frontend/index.js';
import { addCutOptions, LOAD_FILE, cutOptionsOf, modelFileOf, type CutFlags } from './cut-options.js';
import type { Graph } from '../ir/graph.js';
import { configToJson, parseConfig, type PrecisionConfig } from '../ir/precision-config.js';
import { prepareFixed } from '../passes/pipeline.js';
import type { RtTensor } from '../sim/float/kernel.js';
import { NnInputError } from '../util/tensor.js';
import { readInputTensor } from './io.js';
import { addPrecisionOptions, type PrecisionFlags, resolvePrecision } from './precision-options.js';

interface CompileFlags extends PrecisionFlags, CutFlags {
  out: string;
  part: string;
  clock: string;
  io: string;
  strategy?: string;
  reuse?: string;
  name: string;
  input: string[];
  samples: string;
}

export interface HlsSection {
  strategy?: 'latency' | 'resource';
  reuse?: number;
  layers: { [node: string]: LayerHlsOptions };
}

/** Reads a config file whose optional "hls" section holds strategies and reuse factors. */
export function readCompileConfig(path: string): { precision: PrecisionConfig; hls: HlsSection } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new NnInputError(`${path}: ${err.code ? `cannot read the config (${err.code})` : `not valid JSON (${err.message})`}`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new NnInputError(`${path}: the config must be a JSON object`);
  const { hls, ...rest } = raw as Record<string, unknown>;
  const out: HlsSection = { layers: {} };
  if (hls !== undefined) {
    if (!hls || typeof hls !== 'object' || Array.isArray(hls)) throw new NnInputError(`${path}: "hls" must be an object`);
    for (const [k, v] of Object.entries(hls as Record<string, unknown>)) {
      if (k === 'strategy') out.strategy = checkStrategy(v, `${path}: hls.strategy`);
      else if (k === 'reuse') out.reuse = checkReuse(v, `${path}: hls.reuse`);
      else if (k === 'layers') {
        if (!v || typeof v !== 'object' || Array.isArray(v)) throw new NnInputError(`${path}: hls.layers must be an object keyed by layer name`);
        for (const [name, lv] of Object.entries(v as Record<string, unknown>)) {
          if (!lv || typeof lv !== 'object' || Array.isArray(lv)) throw new NnInputError(`${path}: hls.layers.${name} must be an object with strategy and/or reuse`);
          const o: { strategy?: 'latency' | 'resource'; reuse?: number } = {};
          for (const [lk, x] of Object.entries(lv as Record<string, unknown>)) {
            if (lk === 'strategy') o.strategy = checkStrategy(x, `${path}: hls.layers.${name}.strategy`);
            else if (lk === 'reuse') o.reuse = checkReuse(x, `${path}: hls.layers.${name}.reuse`);
            else throw new NnInputError(`${path}: hls.layers.${name}: unknown key '${lk}'; expected strategy, reuse`);
          }
          out.layers[name] = o;
        }
      } else throw new NnInputError(`${path}: hls: unknown key '${k}'; expected strategy, reuse, layers`);
    }
  }
  return { precision: parseConfig(rest, path), hls: out };
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
      const shape = io.modelShape.map((d, i) => (g.batched && i === 0 ? batch : (d ?? 1)));
      const size = shape.reduce((p, d) => p * d, 1);
      return { shape, data: Float32Array.from({ length: size }, gauss) };
    });
  return g.batched ? [tensor(n)] : Array.from({ length: n }, () => tensor(1));
}

/** Writes `files` under `dir` atomically; refuses to replace a directory nn2hls did not make. */
export function writeProject(dir: string, files: ReadonlyMap<string, string>): void {
  const target = resolve(dir);
  if (existsSync(target)) {
    if (!statSync(target).isDirectory()) throw new NnInputError(`${dir}: exists and is not a directory; choose another -o`);
    if (readdirSync(target).length > 0 && !existsSync(join(target, 'nn2hls.json'))) {
      throw new NnInputError(`${dir}: exists and is not an nn2hls project (no nn2hls.json); refusing to overwrite it — choose another -o or remove it`);
    }
  }
  mkdirSync(dirname(target), { recursive: true });
  const tmp = join(dirname(target), `.${basename(target)}.nn2hls-tmp-${process.pid}`);
  const old = join(dirname(target), `.${basename(target)}.nn2hls-old-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  try {
    for (const [rel, text] of files) {
      const p = join(tmp, rel);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, text);
    }
    if (existsSync(target)) {
      renameSync(target, old);
      renameSync(tmp, target);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, target);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export interface CompileRequest {
  model: string;
  out: string;
  precision: PrecisionConfig;
  options: Omit<EmitOptions, 'runs' | 'meta'>;
  runs?: RtTensor[][];
  samples?: number;
  /** Graph cut (--inputs/--outputs); recorded in the project so csim loads the same graph. */
  load?: LoadOptions;
}

/** Loads, quantizes, emits and writes; returns the emitted files and the quantize notes. */
export function compileProject(req: CompileRequest, g0?: Graph): { files: Map<string, string>; notes: string[] } {
  const g = g0 ?? loadModel(req.model, req.load ?? {});
  const { graph, notes } = prepareFixed(g, req.precision);
  const runs = req.runs ?? defaultRuns(graph, req.samples ?? 64);
  const modelBytes = readFileSync(req.model);
  const files = emitProject(graph, {
    ...req.options,
    runs,
    meta: {
      precision: JSON.parse(configToJson(req.precision)),
      notes,
      source: resolve(req.model),
      sha256: createHash('sha256').update(modelBytes).digest('hex'),
    },
  });
  if (req.load && (req.load.inputs?.length || req.load.outputs?.length)) files.set(LOAD_FILE, `${JSON.stringify(req.load, null, 2)}\n`);
  writeProject(req.out, files);
  return { files, notes };
}

export function register(program: Command): void {
  const cmd = program
    .command('compile')
    .description('emit a Vivado/Vitis HLS project (C++ kernels, testbench, build scripts) for a model')
    .argument('<model>', 'model file (.onnx)')
    .requiredOption('-o, --out <dir>', 'project directory (created or replaced atomically; must be an nn2hls project if it exists)')
    .option('--part <part>', 'FPGA part', DEFAULTS.part)
    .option('--clock <period>', 'clock period (5ns) or frequency (200MHz)', `${DEFAULTS.clockNs}ns`)
    .option('--io <style>', 'parallel (arrays) or stream (hls::stream between layers)', DEFAULTS.io)
    .option('--strategy <s>', 'latency (unrolled) or resource (weights in BRAM, multipliers reused)')
    .option('--reuse <n>', 'reuse factor: how many times each multiplier is used per sample')
    .option('--name <name>', 'top function and project name', DEFAULTS.name)
    .option('--input <file>', 'testbench inputs (.npy), once per graph input; default: 64 seeded random samples', (v: string, p: string[]) => [...p, v], [] as string[])
    .option('--samples <n>', 'number of random testbench samples when no --input is given', '64');
  addPrecisionOptions(addCutOptions(cmd)).action((modelArg: string, f: CompileFlags) => {
    const model = modelFileOf(modelArg);
    const log = (s: string) => process.stdout.write(`${s}\n`);
    const load = cutOptionsOf(f);
    const g = loadModel(model, load);
    let precision: PrecisionConfig;
    let hls: HlsSection = { layers: {} };
    if (f.config) {
      if (f.precision) throw new NnInputError('give either --config or --precision, not both');
      ({ precision, hls } = readCompileConfig(f.config));
    } else {
      precision = resolvePrecision(g, model, f, log).cfg;
    }
    if (f.io !== 'parallel' && f.io !== 'stream') throw new NnInputError(`--io must be parallel or stream, got '${f.io}'`);
    const samples = Number(f.samples);
    if (!Number.isInteger(samples) || samples < 1 || samples > 100000) throw new NnInputError(`--samples must be an integer 1..100000, got '${f.samples}'`);
    const runs = f.input.length ? [f.input.map(readInputTensor)] : undefined;
    if (runs && runs[0]!.length !== g.inputs.length) {
      throw new NnInputError(`the model has ${g.inputs.length} input(s) but ${runs[0]!.length} --input file(s) were given`);
    }
    const options: Omit<EmitOptions, 'runs' | 'meta'> = {
      name: checkProjectName(f.name),
      part: f.part,
      clockNs: parseClock(f.clock),
      io: f.io,
      strategy: f.strategy !== undefined ? checkStrategy(f.strategy, '--strategy') : (hls.strategy ?? DEFAULTS.strategy),
      reuse: f.reuse !== undefined ? checkReuse(Number(f.reuse), '--reuse') : (hls.reuse ?? DEFAULTS.reuse),
      layers: hls.layers,
      unrollLimit: DEFAULTS.unrollLimit,
      partitionLimit: DEFAULTS.partitionLimit,
    };
    const { files, notes } = compileProject({ model, out: f.out, precision, options, load, ...(runs ? { runs } : { samples }) }, g);
    for (const n of notes) log(`note: ${n}`);
    const summary = JSON.parse(files.get('nn2hls.json')!) as { layers: unknown[]; testbench: { samples: number } };
    log(`${f.out}: ${files.size} files, ${summary.layers.length} layers, io ${f.io}, ${summary.testbench.samples} testbench samples`);
    log(`next: nn2hls csim ${f.out}   (or: cd ${f.out} && vitis_hls -f build_prj.tcl)`);
  });
}
