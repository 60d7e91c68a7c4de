/**
 * A long `simulate` run's workers, started before the command's modules load: main.ts calls
 * startEarly with the command line as soon as it sees the command is `simulate`, so each
 * worker's own start-up (its modules and WebAssembly kernels, ~0.25 s) overlaps this thread's
 * loading of the readers, passes and simulator, the model load and the input read. Only
 * `--input` and `--threads` are read from the raw arguments (commander parses them again, and
 * reports any mistake); a misread only starts a worker the run then ends, or starts none, and
 * the action starts its own then (prestartCount). The simulate action takes the workers with
 * takeEarly; main.ts ends those nobody took. The .npy inputs start being read then too, on
 * libuv's thread pool, for the action to take once it has loaded the model.
 */
import { statSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { defaultThreads, endWorkers, prestartWorkers } from '../sim/workers.js';
import { dropPrefetched, prefetchNpy } from '../util/npy.js';

/** Inputs at least this large make a run long enough to start threads − 1 workers up front. */
const PRESTART_BYTES = 4 << 20;

/**
 * Workers to start before the model is loaded: threads − 1 when the inputs are large enough
 * (PRESTART_BYTES) that the run will likely want them; simulateParallel ends those it does not.
 */
export function prestartCount(inputs: readonly string[], threadsFlag: string | undefined): number {
  const threads = threadsFlag === undefined ? defaultThreads() : Number(threadsFlag);
  if (!Number.isInteger(threads) || threads < 2) return 0;
  let bytes = 0;
  for (const f of inputs) {
    try {
      bytes += statSync(f).size;
    } catch {
      return 0; // reading it reports the error
    }
  }
  return bytes >= PRESTART_BYTES ? threads - 1 : 0;
}

/** The values of `--name V` / `--name=V` among the arguments after the command, up to `--`. */
export function flagValues(args: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') break;
    if (a === name && i + 1 < args.length) out.push(args[++i]!);
    else if (a.startsWith(`${name}=`)) out.push(a.slice(name.length + 1));
  }
  return out;
}

let early: Worker[] | undefined;

/**
 * Starts the workers `argv` (the whole command line) asks for, and the reading of its .npy
 * inputs into shared memory (npy.ts prefetchNpy; the action waits for it with prefetchDone);
 * returns what ends the workers not taken and drops input bytes nobody read.
 */
export function startEarly(argv: readonly string[]): () => void {
  const args = argv.slice(argv.indexOf('simulate') + 1);
  const inputs = flagValues(args, '--input');
  const workers = prestartWorkers(prestartCount(inputs, flagValues(args, '--threads').at(-1)));
  prefetchNpy(inputs.filter((f) => f.toLowerCase().endsWith('.npy')), true);
  early = workers;
  return () => {
    if (early === workers) early = undefined;
    endWorkers(workers.filter((w) => !taken.has(w)));
    dropPrefetched();
  };
}

const taken = new WeakSet<Worker>();

/** The workers startEarly started (once; undefined when it did not run). */
export function takeEarly(): Worker[] | undefined {
  const w = early;
  early = undefined;
  for (const x of w ?? []) taken.add(x);
  return w;
}
