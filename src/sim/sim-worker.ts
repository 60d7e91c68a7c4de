/**
 * A simulation worker (started by parallel.ts): compiles the float and quantized graphs it is
 * given once, then runs each chunk it receives and posts the chunk's result back with its
 * buffers transferred. Errors go back as messages, so the main thread reports them.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Graph } from '../ir/graph.js';
import { ChunkRunner } from './compare.js';
import type { ChunkTask } from './parallel.js';

const { cg, qg } = workerData as { cg: Graph; qg: Graph };
const runner = new ChunkRunner(cg, qg);

parentPort!.on('message', ({ i, task }: { i: number; task: ChunkTask }) => {
  try {
    // The task holds just this chunk's samples, so it starts at 0 here and keeps its place.
    const r = runner.run(task.inputs, 0, task.rows);
    const result = { ...r, start: task.start };
    const buffers = [...r.floatOuts, ...r.fixedOuts, r.sig, r.err, r.stats].map((a) => a.buffer as ArrayBuffer);
    parentPort!.postMessage({ i, result }, [...new Set(buffers)]);
  } catch (e) {
    parentPort!.postMessage({ i, error: e instanceof Error ? e.message : String(e) });
  }
});
