/**
 * Starting simulation workers (sim-worker.ts), kept apart from the parallel driver so that it
 * is cheap to import: the CLI starts a long run's workers before it loads the model, the
 * passes or the simulator, so their own start-up (modules, WebAssembly kernels) overlaps all
 * of that. Also the default thread count from the load average.
 */
import { availableParallelism, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Graph } from '../ir/graph.js';

/**
 * The cores not already busy: all of them on an idle machine, fewer as the 1-minute load
 * average rises, at least 1. On a saturated machine a worker only adds start-up and contention.
 */
export function defaultThreads(): number {
  const cores = availableParallelism();
  return Math.max(1, Math.min(cores, Math.round(cores - loadavg()[0]! + 1)));
}

function workerUrl(): URL {
  const self = new URL(import.meta.url);
  return new URL(self.pathname.endsWith('.ts') ? './sim-worker.ts' : './sim-worker.js', self);
}

/**
 * A worker running sim-worker, given the graphs (and the compiled kernel modules,
 * wasm-asm.ts compiledModules) now or (without them) later by messages;
 * under tsx (TypeScript sources) it registers tsx first.
 */
export function startWorker(graphs?: { cg: Graph; qg: Graph; modules?: Record<string, object> }): Worker {
  const url = workerUrl();
  const workerData = graphs ?? {};
  if (!url.pathname.endsWith('.ts')) return new Worker(url, { workerData });
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(boot, { eval: true, workerData });
}

/**
 * Workers started before the graphs exist (the CLI starts them first thing, when the run looks
 * long): they load their modules while this thread loads the model and reads the inputs, and
 * take the compiled WebAssembly kernels from it (parallel.ts shareKernels) instead of building them; simulateParallel (ParallelOptions.prestarted) gives them the
 * graphs, or ends those it does not need. Until then they do not keep the process alive.
 */
export function prestartWorkers(count: number): Worker[] {
  return Array.from({ length: Math.max(0, count) }, () => {
    const w = startWorker();
    w.unref();
    return w;
  });
}

/** Ends prestarted workers nobody took (e.g. after an error before the run). */
export function endWorkers(workers: readonly Worker[]): void {
  for (const w of workers) void w.terminate();
}
