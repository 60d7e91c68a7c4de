/**
 * The import driver every reader shares: the batched-then-unbatched retry (a batched import
 * that meets an op mixing samples throws BatchCrossing and starts over without a batch dim,
 * so any model still imports, then at its declared shape), verification of the finished
 * graph, batch detection from declared input shapes, and the one "unsupported ops" error
 * listing every unsupported op type with the nodes that use it.
 */
import type { Graph } from '../../ir/graph.js';
import { verify, VerifyError } from '../../ir/verify.js';
import { NnInputError } from '../../util/tensor.js';
import { BatchCrossing } from './importer.js';

/** A declared input dim: a number, a symbolic name, or null for unknown (-1 / None / '?'). */
export type DeclaredDim = number | string | null;

/**
 * A shared leading dim (all symbolic, or all the same number) marks a batch dim. So does one
 * symbolic (or unknown) dim per input with the same name elsewhere (a sequence-first RNN's [T, 'batch', F]):
 * then `axes` gives each input's batch axis.
 */
export function detectBatch(inputDims: readonly (readonly DeclaredDim[])[]): { batched: boolean; declared: number | null; axes?: number[] } {
  if (inputDims.length === 0 || inputDims.some((d) => d.length === 0)) return { batched: false, declared: null };
  const firsts = inputDims.map((d) => d[0]);
  if (firsts.every((f) => typeof f !== 'number')) return { batched: true, declared: null };
  const symbolic = inputDims.map((d) => d.flatMap((x, i) => (typeof x !== 'number' ? [i] : [])));
  if (symbolic.every((s) => s.length === 1) && inputDims.every((d, k) => d[symbolic[k]![0]!] === inputDims[0]![symbolic[0]![0]!])) {
    return { batched: true, declared: null, axes: symbolic.map((s) => s[0]!) };
  }
  if (firsts.every((f) => f === firsts[0])) return { batched: true, declared: firsts[0] as number };
  return { batched: false, declared: null };
}

/**
 * Runs `build(batched, declared)` batched when `batch.batched`, and once more unbatched if the
 * batched build threw BatchCrossing; then verifies the graph. A verify failure is an internal
 * error (the converters must produce consistent IR), reported with the source file.
 */
export function importWithBatchRetry(
  source: string,
  batch: { batched: boolean; declared: number | null },
  build: (batched: boolean, declared: number | null) => Graph,
): Graph {
  let graph: Graph;
  try {
    graph = build(batch.batched, batch.declared);
  } catch (e) {
    if (!(e instanceof BatchCrossing) || !batch.batched) throw e;
    try {
      graph = build(false, null);
    } catch (e2) {
      // A symbolic batch cannot be imported whole: say which op kept it from running per sample.
      if (e2 instanceof NnInputError && /symbolic dim/.test(e2.message)) {
        throw new NnInputError(`${e2.message}
  it cannot run per sample because ${e.message}`);
      }
      throw e2;
    }
  }
  try {
    return verify(graph);
  } catch (e) {
    if (e instanceof VerifyError) throw new Error(`${source}: internal error, the imported graph is inconsistent:\n${e.message}`);
    throw e;
  }
}

/**
 * Throws one NnInputError listing every unsupported op type with up to five node names each,
 * or returns when `nodes` has none. `key` names the op (with a domain when relevant) or
 * returns null when the node is supported.
 */
export function refuseUnsupported<N>(
  source: string,
  nodes: readonly N[],
  key: (n: N) => string | null,
  nodeName: (n: N, i: number) => string,
  supported: readonly string[],
  formatName: string,
): void {
  const missing = new Map<string, string[]>();
  nodes.forEach((n, i) => {
    const k = key(n);
    if (k === null) return;
    const list = missing.get(k) ?? [];
    list.push(nodeName(n, i));
    missing.set(k, list);
  });
  if (missing.size === 0) return;
  const lines = [...missing].map(([op, names]) => {
    const shown = names.slice(0, 5).map((s) => `'${s}'`).join(', ');
    return `  ${op}: ${shown}${names.length > 5 ? ` and ${names.length - 5} more` : ''}`;
  });
  throw new NnInputError(
    `${source}: ${missing.size} unsupported op type(s):\n${lines.join('\n')}\n` + `Supported ${formatName} ops: ${supported.join(', ')}.`,
  );
}
