/**
 * `--dump-after STAGE` (inspect, simulate, compile): prints the IR text (src/ir/print.ts) of the
 * graph after one pipeline stage — 'import', a canonicalization pass, or 'quantize' — to stdout,
 * under a `# IR after STAGE` comment line, so the dump can be read by eye, diffed, or parsed
 * back. Constants above DUMP_MAX_DATA elements are elided to keep dumps of real models short.
 */
import type { Command } from 'commander';
import { printGraph } from '../ir/print.js';
import { type PassHook, STAGES } from '../passes/pipeline.js';
import { NnInputError } from '../util/tensor.js';

export const DUMP_MAX_DATA = 64;

export function addDumpOption(cmd: Command): Command {
  return cmd.option('--dump-after <stage>', `print the IR text after a pipeline stage (${STAGES.join(', ')})`);
}

/** The hook that prints after `stage`, or undefined without the flag; an unknown stage is an input error. */
export function dumpHook(stage: string | undefined): PassHook | undefined {
  if (stage === undefined) return undefined;
  if (!STAGES.includes(stage)) throw new NnInputError(`--dump-after '${stage}': no such stage; expected one of ${STAGES.join(', ')}`);
  return (s, g) => {
    if (s === stage) process.stdout.write(`# IR after ${s}\n${printGraph(g, { maxData: DUMP_MAX_DATA })}`);
  };
}
