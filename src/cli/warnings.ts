/**
 * Warnings the CLI prints on stderr (`nn2hls: warning: ...`): things that run but are probably
 * not what the user meant — constants that do not fit their type, options that change nothing.
 * They never stop a command; a test or script can still see them on stderr.
 */
import { constantOverflows, formatConstOverflow } from '../ir/const-overflow.js';
import type { Graph } from '../ir/graph.js';

export function warn(s: string): void {
  process.stderr.write(`nn2hls: warning: ${s}\n`);
}

/** One warning per constant of the quantized graph that wraps or saturates; returns their number. */
export function warnConstantOverflows(qg: Graph): number {
  const list = constantOverflows(qg);
  for (const c of list) warn(formatConstOverflow(c));
  return list.length;
}
