/**
 * `simulate` on worker threads: the same chunks as the single-thread driver (compare.ts), run
 * by this thread and by workers that each hold their own compiled copy of both graphs, merged
 * in chunk order — so the report and outputs are identical to simulate()'s, whatever ran where.
 * Workers start only when the run is long enough to pay for them (a worker's start-up — loading
 * the modules and compiling the graphs — costs about 0.3 CPU s): when the graph's own estimate
 * (estimatedMs) already says the run takes longer than `minParallelMs`, they start before this
 * thread compiles anything, so their start-up overlaps its first chunks; otherwise this thread
 * times the first chunk and starts up to threads−1 workers if the rest would take longer.
 * By default it uses the cores the load average says are free.
 * Each worker has two to four chunks in flight (two towards the end). The inputs live in shared
 * memory (SharedArrayBuffer; the CLI reads them there, other inputs are copied there once), so a
 * task is just its chunk's place; outputs come back as transferred buffers.
 */
import type { Worker } from 'node:worker_threads';
import { type Graph, numel } from '../ir/graph.js';
import { summarize } from '../ir/summary.js';
import { chunkFor, type ChunkResult, ChunkRunner, chunking, finishReport, Merger, type SimulateOptions, type SimulationResult } from './compare.js';
import { checkInputs } from './float/executor.js';
import type { RtTensor } from '../ir/semantics/tensor.js';
import { addMarks, mark, traceOn, type TraceMark } from '../util/trace.js';
import { defaultThreads, endWorkers, startWorker } from './workers.js';
import { compiledModules } from './wasm-asm.js';

// Worker start-up lives in workers.ts (light to import: the CLI starts workers before it loads the simulator).
export { defaultThreads, endWorkers, prestartWorkers } from './workers.js';

export interface ParallelOptions extends SimulateOptions {
  /** Threads in all, this one included (default: defaultThreads()). */
  threads?: number;
  /** Start workers only when the remaining chunks would take longer than this on one thread. */
  minParallelMs?: number;
  /** Called once with how many workers were started (0: all on this thread). */
  onWorkers?: (count: number) => void;
  /** Workers from prestartWorkers: used first (given the graphs), the ones not needed are ended. */
  prestarted?: readonly Worker[];
}

/** A message to a worker: run samples [start, start+rows) of the shared inputs it was given. */
export interface ChunkTask {
  start: number;
  rows: number;
}

/** The inputs in shared memory, for workers to read in place: as they are, or copied there once. */
export function sharedInputs(inputs: readonly RtTensor[]): RtTensor[] {
  return inputs.map((t) => {
    if (t.data.buffer instanceof SharedArrayBuffer) return t;
    const data = new Float32Array(new SharedArrayBuffer(t.data.byteLength));
    data.set(t.data);
    return { shape: t.shape, data };
  });
}

/**
 * Milliseconds one thread would need for `n` samples, from the graph alone (a floor, for
 * starting workers before anything is timed): per sample 0.25 ns per multiply-accumulate and
 * 5 ns per element of every run-time value, both paths and the statistics together — about
 * what the convolutional examples take on this 2-core machine.
 */
export function estimatedMs(qg: Graph, n: number): number {
  let elems = 0;
  for (const node of qg.nodes) for (const o of node.outputs) if (o) elems += numel(qg.values.get(o)?.shape ?? []);
  return (n * (0.25e-6 * summarize(qg).totalMacs + 5e-6 * elems));
}

export async function simulateParallel(cg: Graph, qg: Graph, inputs: readonly RtTensor[], opts: ParallelOptions = {}): Promise<SimulationResult> {
  try {
    return await run(cg, qg, inputs, opts);
  } finally {
    // Prestarted workers not taken (an error came first) must not outlive the run.
    if (opts.prestarted) endWorkers(opts.prestarted.filter((w) => !taken.has(w)));
  }
}

/** Prestarted workers already given the compiled kernel modules (shareKernels). */
const hasKernels = new WeakSet<Worker>();

/**
 * Compiles the kernel modules on this thread (it needs them anyway) and posts them to prestarted
 * workers, so they do not build their own: call it as soon as the simulator is loaded.
 */
export function shareKernels(workers: readonly Worker[]): void {
  if (workers.length === 0) return;
  const modules = compiledModules();
  for (const w of workers) {
    w.postMessage({ modules });
    hasKernels.add(w);
  }
  mark('kernels compiled and shared');
}

/** Prestarted workers given graphs by a run (the rest are ended when it returns). */
const taken = new WeakSet<Worker>();

async function run(cg: Graph, qg: Graph, inputs: readonly RtTensor[], opts: ParallelOptions): Promise<SimulationResult> {
  checkInputs(cg, inputs);
  const chunk = opts.chunk ?? chunkFor(cg);
  const { n, starts } = chunking(cg, inputs, chunk);
  const rowsOf = (s: number) => (cg.batched ? Math.min(n, s + chunk) - s : 1);
  const threads = Math.max(1, Math.min(opts.threads ?? defaultThreads(), starts.length));
  const minMs = opts.minParallelMs ?? 1500;
  // A run the graph alone says is long starts its workers now, so their start-up overlaps this
  // thread's compiling and first chunks; otherwise the first chunk is timed first.
  const early = threads > 1 && starts.length > 2 && estimatedMs(qg, n) > minMs;
  const spare = [...(opts.prestarted ?? [])];
  const workers: Worker[] = [];
  let shared: RtTensor[] | undefined;
  const want = (k: number) => {
    while (workers.length < k) {
      const w = spare.shift();
      if (!w) workers.push(startWorker({ cg, qg, modules: compiledModules() }));
      else {
        taken.add(w);
        w.ref();
        w.postMessage({ graphs: { cg, qg }, modules: hasKernels.has(w) ? undefined : compiledModules() });
        workers.push(w);
      }
      shared ??= sharedInputs(inputs);
      workers[workers.length - 1]!.postMessage({ inputs: shared });
    }
    endWorkers(spare.splice(0));
  };
  if (early) want(threads - 1);
  const runner = new ChunkRunner(cg, qg);
  mark('program compiled');
  const results = new Array<ChunkResult | undefined>(starts.length);
  let done = 0;
  const finish = (i: number, r: ChunkResult) => {
    results[i] = r;
    done += r.rows;
    opts.onProgress?.(done, n);
  };
  let next = 0;
  /** Chunks this thread ran in the parallel loop, and their time (for the trace). */
  const mine = { chunks: 0, ms: 0 };
  if (!early) {
    const t0 = performance.now();
    finish(0, runner.run(inputs, 0, rowsOf(0)));
    next = 1;
    const perChunk = performance.now() - t0;
    want(perChunk * (starts.length - 1) > minMs ? threads - 1 : 0);
  }
  opts.onWorkers?.(workers.length);
  if (workers.length > 0) {
    let failure: Error | undefined;
    const inFlight = new Map<Worker, number>();
    await new Promise<void>((resolve) => {
      let live = workers.length;
      // Chunks queued per worker: enough to cover a long chunk of this thread (it feeds them only
      // between its own), fewer towards the end so that no thread waits long for the last ones.
      const depth = () => Math.max(2, Math.min(4, Math.ceil((starts.length - next) / (2 * (workers.length + 1)))));
      const feed = (w: Worker) => {
        while ((inFlight.get(w) ?? 0) < depth() && next < starts.length && !failure) {
          const i = next++;
          inFlight.set(w, (inFlight.get(w) ?? 0) + 1);
          const task: ChunkTask = { start: starts[i]!, rows: rowsOf(starts[i]!) };
          w.postMessage({ i, task });
        }
        if ((inFlight.get(w) ?? 0) === 0) {
          inFlight.delete(w);
          void w.terminate();
          if (--live === 0) resolve();
        }
      };
      for (const w of workers) {
        w.on('message', (m: { i: number; result?: ChunkResult; error?: string; trace?: TraceMark[] }) => {
          addMarks(m.trace);
          inFlight.set(w, inFlight.get(w)! - 1);
          if (m.error) failure ??= new Error(`simulation worker: ${m.error}`);
          else finish(m.i, m.result!);
          feed(w);
        });
        w.on('error', (e) => {
          failure ??= e instanceof Error ? e : new Error(String(e));
          inFlight.set(w, 0);
          feed(w);
        });
        feed(w);
      }
      // This thread takes chunks too, yielding between them so worker messages are handled.
      const local = () => {
        if (next < starts.length && !failure) {
          const i = next++;
          const t0 = traceOn ? performance.now() : 0;
          finish(i, runner.run(inputs, starts[i]!, rowsOf(starts[i]!)));
          if (traceOn) (mine.chunks++, (mine.ms += performance.now() - t0));
          setImmediate(local);
        }
      };
      setImmediate(local);
    });
    if (failure) throw failure;
  }
  mark(`loop done (${starts.length} chunks; this thread ran ${mine.chunks} in ${mine.ms.toFixed(0)} ms)`);
  for (; next < starts.length; next++) finish(next, runner.run(inputs, starts[next]!, rowsOf(starts[next]!)));
  const m = new Merger(runner, n);
  for (const r of results) m.add(r!);
  mark('merged');
  const out = finishReport(runner, m, n, opts);
  mark('report computed');
  return out;
}
