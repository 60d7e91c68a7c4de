/**
 * The activations of recurrent layers (LSTM, GRU, RNN) as both the fixed-point simulator
 * (src/sim/fixed/kernels/recurrent.ts) and the HLS emitter (src/backend-hls/lower-recurrent.ts)
 * read them, and as the quantize pass types them: the activation slots of each cell, and the
 * resolution of ONNX's `activations` / `activation_alpha` / `activation_beta` attributes into
 * table functions and exact piecewise-linear functions.
 */
import type { Node } from '../graph.js';
import type { RecurrentAttrs } from '../ops.js';
import type { TableFn } from '../precision.js';
import { NnInputError } from '../../util/tensor.js';

/** One resolved activation of a recurrent layer. */
export type RecurrentAct =
  | { readonly kind: 'table'; readonly fn: TableFn; readonly params: readonly number[] }
  | { readonly kind: 'relu' }
  | { readonly kind: 'leakyrelu'; readonly alpha: number }
  | { readonly kind: 'thresholdedrelu'; readonly alpha: number }
  | { readonly kind: 'affine'; readonly alpha: number; readonly beta: number };

/**
 * Activation slots per cell, in the order of ONNX's `activations` list: f (the gates), g (the
 * candidate), h (LSTM's output squashing of c).
 */
export const RECURRENT_SLOTS = { LSTM: ['f', 'g', 'h'], GRU: ['f', 'g'], RNN: ['f'] } as const;

interface ActDef {
  readonly uses: readonly [boolean, boolean];
  readonly dflt: readonly [number, number];
  readonly make: (alpha: number, beta: number) => RecurrentAct;
}

// Same names, parameter usage and defaults as the float kernels (./float/recurrent.ts);
// ScaledTanh is deliberately absent: a·tanh(b·x) has no table function and would need its own.
const ACTS: Readonly<Record<string, ActDef>> = {
  sigmoid: { uses: [false, false], dflt: [0, 0], make: () => ({ kind: 'table', fn: 'sigmoid', params: [] }) },
  tanh: { uses: [false, false], dflt: [0, 0], make: () => ({ kind: 'table', fn: 'tanh', params: [] }) },
  hardsigmoid: { uses: [true, true], dflt: [0.2, 0.5], make: (a, b) => ({ kind: 'table', fn: 'hardsigmoid', params: [a, b] }) },
  elu: { uses: [true, false], dflt: [1, 0], make: (a) => ({ kind: 'table', fn: 'elu', params: [a] }) },
  softsign: { uses: [false, false], dflt: [0, 0], make: () => ({ kind: 'table', fn: 'softsign', params: [] }) },
  softplus: { uses: [false, false], dflt: [0, 0], make: () => ({ kind: 'table', fn: 'softplus', params: [] }) },
  relu: { uses: [false, false], dflt: [0, 0], make: () => ({ kind: 'relu' }) },
  leakyrelu: { uses: [true, false], dflt: [0.01, 0], make: (a) => ({ kind: 'leakyrelu', alpha: a }) },
  thresholdedrelu: { uses: [true, false], dflt: [1, 0], make: (a) => ({ kind: 'thresholdedrelu', alpha: a }) },
  affine: { uses: [true, true], dflt: [1, 0], make: (a, b) => ({ kind: 'affine', alpha: a, beta: b }) },
};

export const SUPPORTED_RECURRENT_ACTIVATIONS =
  'Sigmoid, Tanh, HardSigmoid, Elu, Softsign, Softplus (lookup tables), Relu, LeakyRelu, ThresholdedRelu, Affine (exact)';

export type RecNode = Node<'LSTM'> | Node<'GRU'> | Node<'RNN'>;

/**
 * The activations of each direction, per slot. activation_alpha/beta are read exactly as the
 * float kernel reads them: parallel to the names when they have one entry per name, otherwise
 * consumed in order by the functions that take the parameter. Unsupported names are refused.
 */
export function recurrentActivations(node: RecNode): RecurrentAct[][] {
  const a: RecurrentAttrs = node.attrs;
  const perDir = RECURRENT_SLOTS[node.op].length;
  const dirs = a.direction === 'bidirectional' ? 2 : 1;
  const names = a.activations;
  const where = `node '${node.name}' (${node.op})`;
  if (names.length !== perDir * dirs && names.length !== perDir) {
    throw new NnInputError(`${where}: expected ${perDir * dirs} activations, got ${names.length} [${names.join(',')}]`);
  }
  const params = [a.activationAlpha, a.activationBeta] as const;
  const parallel = params.map((p) => p.length === names.length);
  const next = [0, 0];
  const acts = names.map((name) => {
    const def = ACTS[name.toLowerCase()];
    if (!def) {
      throw new NnInputError(
        `${where}: activation '${name}' has no fixed-point semantics in a recurrent layer; supported: ${SUPPORTED_RECURRENT_ACTIVATIONS} (float 'run' still works)`,
      );
    }
    return { name, def };
  });
  const fns = acts.map(({ def }, k) => {
    const ab = [def.dflt[0], def.dflt[1]];
    for (let p = 0; p < 2; p++) {
      if (!def.uses[p]) continue;
      const list = params[p]!;
      if (parallel[p]) ab[p] = list[k]!;
      else if (next[p]! < list.length) ab[p] = list[next[p]!++]!;
    }
    return def.make(ab[0]!, ab[1]!);
  });
  return Array.from({ length: dirs }, (_, d) => (names.length === perDir ? fns : fns.slice(d * perDir, (d + 1) * perDir)));
}
