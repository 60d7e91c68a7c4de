/**
 * The activations of recurrent layers (LSTM, GRU, RNN) as both the fixed-point simulator
 * (src/sim/fixed/kernels/recurrent.ts) and the HLS emitter (src/backend-hls/lower-recurrent.ts)
 * read them, and as the quantize pass types them: the activation slots of each cell, the parsing
 * of a model's activation names and parameters (ONNX's `activations` / `activation_alpha` /
 * `activation_beta`) into the typed RecurrentAttrs.activations once at import, and the mapping of
 * those typed activations onto table functions and exact piecewise-linear functions.
 */
import type { Node } from '../graph.js';
import type { RecurrentActivation, RecurrentAttrs } from '../ops.js';
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

export type RecOp = keyof typeof RECURRENT_SLOTS;

/** Gate blocks per cell: the rows of W and R are `gates · hidden` (ONNX orders LSTM i,o,f,c; GRU z,r,h). */
export const RECURRENT_GATES: { readonly [K in RecOp]: number } = { LSTM: 4, GRU: 3, RNN: 1 };

/** Per ONNX name (lower-cased): the canonical name, which parameters it takes, and their defaults. */
interface ActDef {
  readonly fn: RecurrentActivation['fn'];
  readonly uses: readonly [boolean, boolean];
  readonly dflt: readonly [number, number];
}

// The ONNX operators' defaults; ScaledTanh and Affine come from retired experimental ops without
// fixed defaults, so 1/1 and 1/0 make them plain tanh and identity when no values are given.
const DEFS: Readonly<Record<string, ActDef>> = {
  sigmoid: { fn: 'Sigmoid', uses: [false, false], dflt: [0, 0] },
  tanh: { fn: 'Tanh', uses: [false, false], dflt: [0, 0] },
  relu: { fn: 'Relu', uses: [false, false], dflt: [0, 0] },
  softsign: { fn: 'Softsign', uses: [false, false], dflt: [0, 0] },
  softplus: { fn: 'Softplus', uses: [false, false], dflt: [0, 0] },
  leakyrelu: { fn: 'LeakyRelu', uses: [true, false], dflt: [0.01, 0] },
  thresholdedrelu: { fn: 'ThresholdedRelu', uses: [true, false], dflt: [1, 0] },
  elu: { fn: 'Elu', uses: [true, false], dflt: [1, 0] },
  hardsigmoid: { fn: 'HardSigmoid', uses: [true, true], dflt: [0.2, 0.5] },
  affine: { fn: 'Affine', uses: [true, true], dflt: [1, 0] },
  scaledtanh: { fn: 'ScaledTanh', uses: [true, true], dflt: [1, 1] },
};

const KNOWN = Object.values(DEFS).map((d) => d.fn).join(', ');

function make(def: ActDef, alpha: number, beta: number): RecurrentActivation {
  switch (def.fn) {
    case 'Sigmoid':
    case 'Tanh':
    case 'Relu':
    case 'Softsign':
    case 'Softplus':
      return { fn: def.fn };
    case 'LeakyRelu':
    case 'ThresholdedRelu':
    case 'Elu':
      return { fn: def.fn, alpha };
    case 'HardSigmoid':
    case 'Affine':
    case 'ScaledTanh':
      return { fn: def.fn, alpha, beta };
  }
}

/** The default activations of one direction, as ONNX defines them. */
export const DEFAULT_RECURRENT_ACTIVATIONS: { readonly [K in RecOp]: readonly string[] } = {
  LSTM: ['Sigmoid', 'Tanh', 'Tanh'],
  GRU: ['Sigmoid', 'Tanh'],
  RNN: ['Tanh'],
};

/**
 * Parses a model's recurrent activations (ONNX `activations`, `activation_alpha`,
 * `activation_beta`; a Keras layer's translated names) into one typed list per direction. Names
 * are case-insensitive. alpha/beta are read as arrays parallel to the names when they have one
 * entry per name; otherwise they are consumed in order by just the functions that take the
 * parameter (onnxruntime's reading of "consumed in the order of activation functions"); both
 * readings agree whenever both apply. One direction's list given for a bidirectional layer is
 * shared by both. Throws Error(message) on a wrong count or an unknown name; the importer adds
 * the node.
 */
export function parseRecurrentActivations(
  op: RecOp,
  dirs: number,
  names: readonly string[],
  alpha: readonly number[] = [],
  beta: readonly number[] = [],
): RecurrentActivation[][] {
  const perDir = RECURRENT_SLOTS[op].length;
  if (names.length !== perDir * dirs && names.length !== perDir) {
    throw new Error(`expected ${perDir * dirs} activations, got ${names.length} [${names.join(',')}]`);
  }
  const params = [alpha, beta] as const;
  const parallel = params.map((p) => p.length === names.length);
  const next = [0, 0];
  const acts = names.map((name, k) => {
    const def = DEFS[name.toLowerCase()];
    if (!def) throw new Error(`activation '${name}' is not one ONNX defines for recurrent layers (${KNOWN})`);
    const ab = [def.dflt[0], def.dflt[1]];
    for (let p = 0; p < 2; p++) {
      if (!def.uses[p]) continue;
      const list = params[p]!;
      if (parallel[p]) ab[p] = list[k]!;
      else if (next[p]! < list.length) ab[p] = list[next[p]!++]!;
    }
    return make(def, ab[0]!, ab[1]!);
  });
  return Array.from({ length: dirs }, (_, d) => (names.length === perDir ? acts : acts.slice(d * perDir, (d + 1) * perDir)));
}

/** Why the activations attr of an `op` layer with `dirs` directions is malformed, or null (the registry's check). */
export function recurrentActivationsProblem(op: RecOp, dirs: number, acts: RecurrentAttrs['activations']): string | null {
  const perDir = RECURRENT_SLOTS[op].length;
  if (!Array.isArray(acts) || acts.length !== dirs) return `expected ${dirs} list(s) of activations (one per direction), got ${Array.isArray(acts) ? `${acts.length} entries` : 'none'}`;
  for (const list of acts) {
    if (!Array.isArray(list) || list.length !== perDir) return `expected ${perDir} activations per direction (${RECURRENT_SLOTS[op].join(', ')})`;
    for (const a of list as readonly unknown[]) {
      const fn = typeof a === 'object' && a !== null ? (a as { fn?: unknown }).fn : undefined;
      const def = typeof fn === 'string' ? DEFS[fn.toLowerCase()] : undefined;
      if (!def || def.fn !== fn) return `activation ${JSON.stringify(a)} is not one of ${KNOWN}`;
      const rec = a as Record<string, unknown>;
      const keys = ['fn', ...(def.uses[0] ? ['alpha'] : []), ...(def.uses[1] ? ['beta'] : [])];
      if (Object.keys(rec).length !== keys.length || keys.some((k) => k !== 'fn' && typeof rec[k] !== 'number')) {
        return `activation ${JSON.stringify(a)} must have exactly ${keys.join(', ')}`;
      }
    }
  }
  return null;
}

export const SUPPORTED_RECURRENT_ACTIVATIONS =
  'Sigmoid, Tanh, HardSigmoid, Elu, Softsign, Softplus (lookup tables), Relu, LeakyRelu, ThresholdedRelu, Affine (exact)';

export type RecNode = Node<'LSTM'> | Node<'GRU'> | Node<'RNN'>;

/** The fixed-point form of one typed activation: a table function or an exact piecewise-linear one. */
function fixedAct(a: RecurrentActivation, where: string): RecurrentAct {
  switch (a.fn) {
    case 'Sigmoid':
      return { kind: 'table', fn: 'sigmoid', params: [] };
    case 'Tanh':
      return { kind: 'table', fn: 'tanh', params: [] };
    case 'Softsign':
      return { kind: 'table', fn: 'softsign', params: [] };
    case 'Softplus':
      return { kind: 'table', fn: 'softplus', params: [] };
    case 'HardSigmoid':
      return { kind: 'table', fn: 'hardsigmoid', params: [a.alpha, a.beta] };
    case 'Elu':
      return { kind: 'table', fn: 'elu', params: [a.alpha] };
    case 'Relu':
      return { kind: 'relu' };
    case 'LeakyRelu':
      return { kind: 'leakyrelu', alpha: a.alpha };
    case 'ThresholdedRelu':
      return { kind: 'thresholdedrelu', alpha: a.alpha };
    case 'Affine':
      return { kind: 'affine', alpha: a.alpha, beta: a.beta };
    // a·tanh(b·x) has no table function and would need its own.
    case 'ScaledTanh':
      throw new NnInputError(
        `${where}: activation '${a.fn}' has no fixed-point semantics in a recurrent layer; supported: ${SUPPORTED_RECURRENT_ACTIVATIONS} (float 'run' still works)`,
      );
  }
}

/** The fixed-point activations of each direction, per slot; refuses those without fixed-point semantics. */
export function recurrentActivations(node: RecNode): RecurrentAct[][] {
  const where = `node '${node.name}' (${node.op})`;
  return node.attrs.activations.map((dir) => dir.map((a) => fixedAct(a, where)));
}
