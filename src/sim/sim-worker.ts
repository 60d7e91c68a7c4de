/**
 * A simulation worker (started by parallel.ts): compiles the float and quantized graphs it is
 * given once, takes the run's inputs (shared memory), then runs each chunk it is told to and posts the chunk's result back with its
 * buffers transferred. Errors go back as messages, so the main thread reports them. A worker
 * started before the graphs exist (prestartWorkers) loads its modules and compiles the
 * WebAssembly kernels meanwhile, and gets the graphs as its first message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Graph } from '../ir/graph.js';
import { ChunkRunner } from './compare.js';
import type { ChunkTask } from './parallel.js';
import type { RtTensor } from '../ir/semantics/tensor.js';
import { wasmFloatAvailable } from './wasm-float.js';
import { wasmAvailable } from './wasm-gemm.js';
import { wasmStatsAvailable } from './wasm-stats.js';
import { mark, takeMarks, traceOn } from '../util/trace.js';

mark('worker modules loaded');

type Message = { graphs: { cg: Graph; qg: Graph } } | { inputs: RtTensor[] } | { i: number; task: ChunkTask };

let runner: ChunkRunner | undefined;
const given = workerData as { cg?: Graph; qg?: Graph } | undefined;
if (given?.cg && given.qg) {
  runner = new ChunkRunner(given.cg, given.qg);
  mark('worker program compiled');
} else {
  // Waiting for the graphs: the kernel modules compiled now are ready when they come.
  wasmAvailable();
  wasmFloatAvailable();
  wasmStatsAvailable();
  mark('worker kernels compiled');
}
let chunks = 0;
/** Time spent in chunks (for the trace). */
let busy = 0;
/** The run's inputs, in shared memory (parallel.ts sharedInputs). */
let inputs: RtTensor[] | undefined;

parentPort!.on('message', (m: Message) => {
  if ('graphs' in m) {
    mark('worker got graphs');
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
