/**
 * `nn2hls csim DIR`: C simulation of an emitted project with g++ against Xilinx's ap_types
 * headers, checked against the TypeScript bit-accurate simulator. Builds the firmware and the
 * testbench (two g++ translation units in parallel, sharing a precompiled header of the
 * ap_types and kernel headers cached per machine (csim-pch.ts), errors and warnings shown as
 * g++ prints them, a progress bar on a terminal), runs
 * the testbench on the project's tb_data (or on --input files, simulated now), and reports
 * `bit-exact: N/M samples`. On mismatches it re-runs the mismatching samples with per-layer
 * traces (io parallel) and names the first layer whose output differs from the simulator's.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadModelAsync } from '../frontend/index.js';
import type { Graph } from '../ir/graph.js';
import { parseConfig } from '../ir/precision-config.js';
import { prepareFixed } from '../passes/pipeline.js';
import { FixedProgram } from '../sim/fixed/executor.js';
import type { RtTensor } from '../ir/semantics/tensor.js';
import { NnInputError } from '../util/tensor.js';
import { moveAxis, readInputTensor } from './io.js';
import { discardPch, type Pch, precompiledHeader } from './csim-pch.js';
import { kernelSources } from '../backend-hls/kernels.js';
import { progressBar } from './progress.js';
import { projectLoadOptions } from './cut-options.js';

export interface Summary {
  name: string;
  source: string;
  source_sha256: string | null;
  precision: unknown;
  options: { io: 'parallel' | 'stream' };
  inputs: { port: string; model_name: string; value: string; shape: number[] }[];
  outputs: { port: string; model_name: string; value: string; shape: number[] }[];
  layers: { id: string; name: string; op: string; output: { value: string } }[];
}

export interface CsimOptions {
  hlsInclude?: string;
  inputs?: RtTensor[];
  log?: (s: string) => void;
  /** Extra g++ flags (tests use them to check warnings). */
  cxxflags?: string[];
  /** Show a progress bar on stderr while g++ runs (only when stderr is a terminal). */
  progress?: boolean;
  /** Use the cached precompiled header (csim-pch.ts); default: yes unless $NN2HLS_NO_PCH is set. */
  pch?: boolean;
}

/** One g++ step of the build: a translation unit, or the link. */
export interface BuildStep {
  what: string;
  ms: number;
}

export interface CsimResult {
  samples: number;
  exact: number;
  compileMs: number;
  /** Wall time of each g++ step (units run in parallel, so they overlap). */
  steps: BuildStep[];
  runMs: number;
  /** Lines describing the first mismatches (empty when bit-exact). */
  mismatches: string[];
  /** The precompiled header: found in the cache, built by this run, off, or unavailable (cache unwritable, g++ refused it). */
  pch: 'cached' | 'built' | 'off' | 'unavailable';
}

/** Where the ap_fixed headers are: --hls-include, $XILINX_HLS/include, $AP_TYPES_INCLUDE. */
export function findHlsInclude(flag?: string): string {
  const tried: string[] = [];
  const candidates: [string, string | undefined][] = [
    ['--hls-include', flag],
    ['$XILINX_HLS/include', process.env['XILINX_HLS'] ? join(process.env['XILINX_HLS'], 'include') : undefined],
    ['$AP_TYPES_INCLUDE', process.env['AP_TYPES_INCLUDE']],
  ];
  for (const [what, dir] of candidates) {
    if (!dir) {
      tried.push(`${what} (not set)`);
      continue;
    }
    if (existsSync(join(dir, 'ap_fixed.h'))) return dir;
    tried.push(`${what} = ${dir} (no ap_fixed.h there)`);
    if (what === '--hls-include') break;
  }
  throw new NnInputError(
    `cannot find Xilinx's ap_fixed.h; looked at: ${tried.join('; ')}. ` +
      'Pass --hls-include DIR (the include directory of Vivado/Vitis HLS, or of github.com/Xilinx/HLS_arbitrary_Precision_Types), or set XILINX_HLS or AP_TYPES_INCLUDE',
  );
}

export function readSummary(dir: string): Summary {
  const p = join(dir, 'nn2hls.json');
  if (!existsSync(p)) throw new NnInputError(`${dir}: not an nn2hls project (no nn2hls.json); create one with 'nn2hls compile MODEL -o ${dir}'`);
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as Summary;
  } catch (e) {
    throw new NnInputError(`${p}: not valid JSON (${(e as Error).message}); recompile the project`);
  }
}

/** The quantized graph the project was compiled from (same model file, same precision config). */
export async function projectGraph(s: Summary, dir: string): Promise<Graph> {
  if (!existsSync(s.source)) throw new NnInputError(`${dir}: the model it was compiled from (${s.source}) is gone; recompile the project`);
  if (s.source_sha256 && createHash('sha256').update(readFileSync(s.source)).digest('hex') !== s.source_sha256) {
    throw new NnInputError(`${dir}: ${s.source} changed since the project was compiled; recompile it`);
  }
  return prepareFixed((await loadModelAsync(s.source, projectLoadOptions(dir))).graph, parseConfig(s.precision, `${dir}/nn2hls.json`)).graph;
}

/** g++'s exit status for an internal compiler error (e.g. a damaged precompiled header). */
const ICE = 4;

function gxx(cxx: string, args: string[], log: (s: string) => void): Promise<void> {
  return new Promise((resolveP, reject) => {
    const p = spawn(cxx, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', (e) => reject(new NnInputError(`cannot run g++ (${e.message}); install g++ or set CXX`)));
    p.on('close', (code) => {
      if (out.trim()) log(out.trimEnd());
      if (code === 0) resolveP();
      else reject(Object.assign(new NnInputError(`g++ failed (exit ${code}) compiling ${args[args.length - 1]}; its messages are above`), { exitCode: code }));
    });
  });
}

/**
 * The g++ flags both units of a csim build share (and its precompiled header is built with),
 * without the project's own -I. Every constant array is plain integer data (weights/*.h, see
 * README "Weight storage"), so g++'s time and memory grow linearly with the weights; what
 * remains is parsing the ap_types headers and instantiating the kernels: ~2 s of CPU and
 * ~350 MB per unit even at 1M parameters without the precompiled header (npm run bench:csim).
 * Measured on the CNN and 1M-MLP projects, -O1 compiles ~10% faster than -O2 and the testbench
 * runs as fast; -O0 compiles a little faster still but simulates the 1M MLP 16x slower (19 s
 * instead of 1.2 s for 64 samples; LeNet-5: 0.6 s at -O1, 9.9 s at -O0). The parsing is done
 * once per machine in a precompiled header (csim-pch.ts), which needs both units built with
 * the same flags: both without exceptions (neither the firmware nor the testbench throws or
 * catches). The two uninitialized-value warnings come from inlined code of the Xilinx headers
 * (ap_private.h), not from the project, and would bury real messages.
 */
export function csimFlags(inc: string, extra: readonly string[] = []): string[] {
  const own = existsSync(join(inc, 'hls_stream.h')) ? [] : ['-DNN2HLS_OWN_STREAM'];
  return ['-std=c++14', '-O1', '-fno-exceptions', '-Wall', '-Wextra', '-Wno-uninitialized', '-Wno-maybe-uninitialized',
    '-isystem', inc, ...own, ...extra];
}

/**
 * Builds (or finds) the cached precompiled header every csim build with these headers and
 * default flags uses, before any project exists: the test suite calls it once up front so its
 * concurrent csim builds do not each compile the same header on a cold cache. Null when it
 * cannot be had (the builds then parse the headers themselves, as always).
 */
export async function warmPrecompiledHeader(hlsInclude?: string): Promise<Pch | null> {
  const inc = findHlsInclude(hlsInclude);
  const tmp = mkdtempSync(join(tmpdir(), 'nn2hls-pch-kernels-'));
  try {
    // The project's firmware/kernels/ is exactly the kernel library (project.ts).
    for (const [f, text] of kernelSources()) writeFileSync(join(tmp, f), text);
    return await precompiledHeader(process.env['CXX'] || 'g++', csimFlags(inc), inc, tmp);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function build(dir: string, name: string, inc: string, o: CsimOptions, log: (s: string) => void): Promise<{ exe: string; steps: BuildStep[]; pch: CsimResult['pch'] }> {
  const b = join(dir, 'build');
  mkdirSync(b, { recursive: true });
  const cxx = process.env['CXX'] || 'g++';
  const common = csimFlags(inc, o.cxxflags);
  const steps: BuildStep[] = [];
  const usePch = o.pch ?? !process.env['NN2HLS_NO_PCH'];
  const bar = o.progress ? progressBar('csim: g++') : undefined;
  const total = usePch ? 4 : 3;
  const tick = bar ? setInterval(() => bar.update(steps.length, total), 500) : undefined;
  try {
    let pch: CsimResult['pch'] = 'off';
    let pchFlags: string[] = [];
    if (usePch) {
      const h = await precompiledHeader(cxx, common, inc, join(dir, 'firmware', 'kernels'));
      if (h) {
        pch = h.built ? 'built' : 'cached';
        pchFlags = ['-Winvalid-pch', '-include', h.header];
        if (h.built) steps.push({ what: 'precompiled header (ap_types, kernels)', ms: h.ms });
      } else pch = 'unavailable';
      bar?.update(steps.length, total);
    }
    const timed = async (what: string, args: string[]) => {
      const t0 = performance.now();
      // g++'s messages go on a clean line, not after the bar.
      const say = (x: string) => {
        bar?.done();
        log(x);
      };
      try {
        await gxx(cxx, [...common, ...pchFlags, ...args], say);
      } catch (e) {
        // A crash loading the header (a damaged cache entry) must not fail the build: forget
        // the entry and compile this unit without it.
        if (!pchFlags.length || (e as { exitCode?: number }).exitCode !== ICE) throw e;
        discardPch(pchFlags[pchFlags.length - 1]!);
        say(`csim: g++ crashed with the cached precompiled header; discarded it, compiling ${what} without it`);
        await gxx(cxx, [...common, ...args], say);
      }
      steps.push({ what, ms: performance.now() - t0 });
      bar?.update(steps.length, total);
    };
    const fw = `-I${join(dir, 'firmware')}`;
    // The firmware and the testbench are independent units: two g++ processes for two cores.
    await Promise.all([
      timed(`firmware/${name}.cpp`, [fw, '-c', '-o', join(b, `${name}.o`), join(dir, 'firmware', `${name}.cpp`)]),
      timed(`tb/${name}_test.cpp`, [fw, '-c', '-o', join(b, `${name}_test.o`), join(dir, 'tb', `${name}_test.cpp`)]),
    ]);
    const exe = join(b, `${name}_csim`);
    const t0 = performance.now();
    await gxx(cxx, ['-o', exe, join(b, `${name}.o`), join(b, `${name}_test.o`)], log);
    steps.push({ what: 'link', ms: performance.now() - t0 });
    return { exe, steps, pch };
  } finally {
    if (tick) clearInterval(tick);
    bar?.done();
  }
}

function runTb(exe: string, cwd: string, args: string[]): string {
  const r = spawnSync(exe, args, { cwd, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.error) throw new NnInputError(`cannot run ${exe}: ${r.error.message}`);
  if (r.status !== 0 && r.status !== 1) throw new NnInputError(`the testbench failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

function lines(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '');
}

/** Samples of the project's runs as text lines, plus the simulator's expected raws. */
function simulateInputs(g: Graph, s: Summary, inputs: RtTensor[]): { input: string[]; expected: string[] } {
  const prog = new FixedProgram(g);
  const outs = prog.run(inputs);
  const n = g.batched ? (inputs[0]?.shape[0] ?? 1) : 1;
  const sizes = s.inputs.map((x) => x.shape.reduce((p, d) => p * d, 1));
  const osizes = s.outputs.map((x) => x.shape.reduce((p, d) => p * d, 1));
  const input: string[] = [];
  const expected: string[] = [];
  for (let k = 0; k < n; k++) {
    input.push(inputs.flatMap((t, i) => Array.from(t.data.subarray(k * sizes[i]!, (k + 1) * sizes[i]!), String)).join(' '));
    expected.push(outs.flatMap((o, i) => (o.big ?? Array.from(o.raw)).slice(k * osizes[i]!, (k + 1) * osizes[i]!).map(String)).join(' '));
  }
  return { input, expected };
}

/** First layer whose traced output differs from the simulator's, for one sample. */
function firstBadLayer(g: Graph, s: Summary, inputLine: string, traceLines: string[]): string {
  const sizes = s.inputs.map((x) => x.shape.reduce((p, d) => p * d, 1));
  const vals = inputLine.split(/\s+/).map(Number);
  let off = 0;
  const inputs: RtTensor[] = s.inputs.map((x, i) => {
    const data = Float32Array.from(vals.slice(off, off + sizes[i]!));
    off += sizes[i]!;
    return { shape: g.batched ? [1, ...x.shape] : [...x.shape], data };
  });
  const sim = new Map<string, readonly (number | bigint)[]>();
  new FixedProgram(g).run(inputs, { onValue: (name, t) => sim.set(name, t.big ?? Array.from(t.raw)) });
  const byId = new Map(s.layers.map((l) => [l.id, l]));
  for (const t of traceLines) {
    const [id, ...raws] = t.split(' ');
    const l = byId.get(id!);
    if (!l) continue;
    const ref = sim.get(l.output.value);
    if (!ref) continue;
    for (let i = 0; i < raws.length; i++) {
      if (raws[i] !== String(ref[i])) {
        return `first differing layer: '${l.name}' (${l.op}), element ${i}: C++ raw ${raws[i]}, simulator raw ${ref[i]}`;
      }
    }
  }
  return 'every traced layer matches the simulator on this input (check that the expected outputs belong to this project)';
}

export async function runCsim(dirArg: string, o: CsimOptions = {}): Promise<CsimResult> {
  const log = o.log ?? (() => {});
  // Absolute from here on: the testbench runs with the project as its cwd, where a relative
  // path to its own executable would no longer resolve.
  const dir = resolve(dirArg);
  const s = readSummary(dir);
  const inc = findHlsInclude(o.hlsInclude);
  let inPath = join(dir, 'tb_data', 'inputs.txt');
  let expPath = join(dir, 'tb_data', 'expected.txt');
  let g: Graph | undefined;
  if (o.inputs) {
    g = await projectGraph(s, dir);
    // Inputs arrive in the model's layout; the simulator and the testbench take the batch first.
    const graph = g;
    const firsts = o.inputs.map((t, k) => (graph.batched ? moveAxis(t, graph.inputs[k]?.batchAxis ?? 0, 0) : t));
    const { input, expected } = simulateInputs(g, s, firsts);
    mkdirSync(join(dir, 'build'), { recursive: true });
    inPath = join(dir, 'build', 'inputs.txt');
    expPath = join(dir, 'build', 'expected.txt');
    writeFileSync(inPath, `${input.join('\n')}\n`);
    writeFileSync(expPath, `${expected.join('\n')}\n`);
  }
  const t0 = performance.now();
  const { exe, steps, pch } = await build(dir, s.name, inc, o, log);
  const t1 = performance.now();
  const resPath = join(dir, 'build', 'results.txt');
  runTb(exe, dir, [inPath, expPath, resPath]);
  const t2 = performance.now();
  const got = lines(resPath);
  const want = lines(expPath);
  const inputs = lines(inPath);
  let exact = 0;
  const bad: number[] = [];
  want.forEach((w, i) => {
    if (got[i] !== undefined && got[i]!.trim().split(/\s+/).join(' ') === w.trim().split(/\s+/).join(' ')) exact++;
    else bad.push(i);
  });
  const mismatches: string[] = [];
  for (const i of bad.slice(0, 3)) {
    const gv = (got[i] ?? '').split(' ');
    const wv = want[i]!.split(' ');
    const k = wv.findIndex((v, j) => gv[j] !== v);
    let line = `sample ${i}: output element ${k}: C++ raw ${gv[k] ?? '(missing)'}, simulator raw ${wv[k]}`;
    if (s.options.io === 'parallel') {
      g ??= await projectGraph(s, dir);
      const one = join(dir, 'build', 'one_input.txt');
      const tr = join(dir, 'build', 'trace.txt');
      writeFileSync(one, `${inputs[i]}\n`);
      runTb(exe, dir, [one, join(dir, 'build', 'none.txt'), join(dir, 'build', 'one_result.txt'), tr]);
      line += `; ${firstBadLayer(g, s, inputs[i]!, lines(tr).filter((l) => !l.startsWith('#')))}`;
    }
    mismatches.push(line);
  }
  return { samples: want.length, exact, compileMs: t1 - t0, steps, runMs: t2 - t1, mismatches, pch };
}

export function register(program: Command): void {
  program
    .command('csim')
    .description('build the project testbench with g++ and check it bit for bit against the fixed-point simulator')
    .argument('<dir>', 'project directory made by nn2hls compile')
    .option('--hls-include <dir>', 'directory holding ap_fixed.h (default: $XILINX_HLS/include, else $AP_TYPES_INCLUDE)')
    .option('--input <file>', 'inputs (.npy) to run instead of tb_data, once per graph input', (v: string, p: string[]) => [...p, v], [] as string[])
    .action(async (dir: string, f: { hlsInclude?: string; input: string[] }) => {
      const log = (x: string) => process.stdout.write(`${x}\n`);
      const inputs = f.input.length ? f.input.map((p) => readInputTensor(p)) : undefined;
      const r = await runCsim(dir, { ...(f.hlsInclude ? { hlsInclude: f.hlsInclude } : {}), ...(inputs ? { inputs } : {}), log, progress: true });
      log(`g++ build: ${(r.compileMs / 1000).toFixed(1)} s (precompiled header: ${r.pch}); csim: ${r.samples} samples in ${(r.runMs / 1000).toFixed(2)} s (${(r.samples / Math.max(r.runMs / 1000, 1e-9)).toFixed(0)} samples/s)`);
      log(`bit-exact: ${r.exact}/${r.samples} samples`);
      for (const m of r.mismatches) log(`  ${m}`);
      if (r.exact !== r.samples) throw new NnInputError(`${dir}: C simulation differs from the bit-accurate simulator on ${r.samples - r.exact} sample(s)`);
    });
}
