/**
 * A simulation worker (started by parallel.ts): compiles the float and quantized graphs it is
 * given once, takes the run's inputs (shared memory), then runs each chunk it is told to and posts the chunk's result back with its
 * buffers transferred. Errors go back as messages, so the main thread reports them. A worker
 * started before the graphs exist (prestartWorkers) loads its modules meanwhile and gets the
 * compiled WebAssembly kernel modules and then the graphs as messages; one started with the
 * graphs gets the kernel modules with them (workerData).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Graph } from '../ir/graph.js';
import { ChunkRunner } from './compare.js';
import type { ChunkTask } from './parallel.js';
import type { RtTensor } from '../ir/semantics/tensor.js';
import { wasmFloatAvailable } from './wasm-float.js';
import { wasmAvailable } from './wasm-gemm.js';
import { wasmStatsAvailable } from './wasm-stats.js';
import { provideModules } from './wasm-asm.js';
import { mark, takeMarks, traceOn } from '../util/trace.js';

mark('worker modules loaded');

/** Compiled kernel modules from the main thread (wasm-asm.ts compiledModules), by name. */
type Modules = Record<string, object>;
type Message = { modules: Modules } | { graphs: { cg: Graph; qg: Graph }; modules?: Modules } | { inputs: RtTensor[] } | { i: number; task: ChunkTask };

let runner: ChunkRunner | undefined;
const given = workerData as { cg?: Graph; qg?: Graph; modules?: Modules } | undefined;
provideModules(given?.modules);
if (given?.cg && given.qg) {
  runner = new ChunkRunner(given.cg, given.qg);
  mark('worker program compiled');
}
// A prestarted worker waits: the main thread compiles the kernel modules anyway and posts them
// (parallel.ts shareKernels), which costs this thread nothing; building them here would take
// ~60 ms of CPU from the main thread's start-up on a 2-core machine.
let chunks = 0;
/** Time spent in chunks (for the trace). */
let busy = 0;
/** The run's inputs, in shared memory (parallel.ts sharedInputs). */
let inputs: RtTensor[] | undefined;

parentPort!.on('message', (m: Message) => {
  if ('modules' in m && !('graphs' in m)) {
    provideModules(m.modules);
    // Instantiated now, while waiting for the graphs.
    wasmAvailable();
    wasmFloatAvailable();
    wasmStatsAvailable();
    mark('worker kernels received');
    return;
  }
  if ('graphs' in m) {
    mark('worker got graphs');
    provideModules(m.modules);
    runner = new ChunkRunner(m.graphs.cg, m.graphs.qg);
    mark('worker program compiled');
    return;
  }
  if ('inputs' in m) {
    inputs = m.inputs;
    return;
  }
  const { i, task } = m;
  try {
    if (!runner || !inputs) throw new Error('a chunk came before the graphs and inputs');
    const t0 = traceOn ? performance.now() : 0;
    const result = runner.run(inputs, task.start, task.rows);
    busy += traceOn ? performance.now() - t0 : 0;
    if (++chunks === 1) mark('worker first chunk done');
    else if (traceOn && chunks % 100 === 0) mark(`worker ran ${chunks} chunks in ${busy.toFixed(0)} ms`);
    const r = result;
    const buffers = [...r.floatOuts, ...r.fixedOuts, r.sig, r.err, r.stats].map((a) => a.buffer as ArrayBuffer);
    parentPort!.postMessage({ i, result, trace: takeMarks() }, [...new Set(buffers)]);
  } catch (e) {
    parentPort!.postMessage({ i, error: e instanceof Error ? e.message : String(e) });
  }
});
