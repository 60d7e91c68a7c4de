/**
 * The one adapter between the HLS backend's plan and the estimator. Every model in src/estimate
 * reads LayerView records, never the backend's Layer or the IR directly, so when the backend's
 * LayerPlan data type carries these decisions itself (reuse, II, multipliers, stream mode, FIFO
 * depth, weight storage) only this file changes.
 *
 * Today (backend plan.ts + layer.ts) some of those decisions exist only as C++ config members
 * (mult_limit, block, lb_rows) or as the kernels' pragmas (nn_dense.h: PIPELINE II=reuse with
 * at most mult_limit multipliers; nn_conv.h: one output pixel per step; resource strategy:
 * `reuse` pipelined steps of `block` products), so this adapter restates them from the same
 * formulas the lowerings use. The plan is built with the tool limits lifted so an oversized
 * design can still be estimated; the limit check then runs separately and its findings become
 * per-layer marks instead of an error.
 */
import { planProject } from '../backend-hls/index.js';
import type { EmitOptions } from '../backend-hls/options.js';
import { checkLimits } from '../backend-hls/limits.js';
import type { Plan } from '../backend-hls/plan.js';
import { constRaws } from '../backend-hls/literals.js';
import type { Graph, Node } from '../ir/graph.js';
import { isConst, numel, valueOf } from '../ir/graph.js';

export type Kind = 'dense' | 'conv' | 'pool' | 'table' | 'elementwise' | 'softmax' | 'recurrent' | 'move';

export interface TableUse {
  readonly entries: number;
  readonly width: number;
  /** Lookups per initiation (parallel reads). */
  readonly reads: number;
}

export interface LayerView {
  readonly name: string;
  readonly op: string;
  readonly kind: Kind;
  readonly strategy: 'latency' | 'resource';
  readonly reuse: number;
  /** Cycles between two inputs of this layer's hardware (its own initiation interval). */
  readonly ii: number;
  /** Times the layer's per-step hardware is iterated per inference (output pixels, rows, time steps). */
  readonly iterations: number;
  /** Multiplications per inference. */
  readonly macs: number;
  /** Multipliers the plan instantiates (mult_limit). */
  readonly multipliers: number;
  /**
   * The weight raw value of every product when the weights are constants the tool can see
   * (latency strategy: a constant array read by unrolled code). Absent for resource strategy.
   */
  readonly weightRaws?: readonly number[];
  /** Products are fully unrolled on constant operands (latency strategy, reuse 1). */
  readonly constOperands: boolean;
  /** Non-zero weights (pruned weights cost nothing). */
  readonly nonzeroWeights: number;
  readonly weightCount: number;
  readonly weightWidth: number;
  readonly inWidth: number;
  readonly accWidth: number;
  readonly outWidth: number;
  readonly outElems: number;
  readonly inElems: number;
  /** Terms summed per output (adder-tree fan-in). */
  readonly fanIn: number;
  /** Where the weights live: registers/LUTs (unrolled) or a memory read `reuse` times. */
  readonly weightStorage: 'none' | 'registers' | 'memory';
  /** Weight memory geometry when weightStorage is memory: depth (words) × width (bits). */
  readonly weightMemory?: { readonly depth: number; readonly width: number };
  readonly tables: readonly TableUse[];
  /** io_stream: native streaming kernel, or buffered (whole tensor in and out as arrays). */
  readonly stream?: 'native' | 'buffered';
  /** io_stream line buffer of a streaming convolution: rows × row length × channels × width. */
  readonly lineBuffer?: { readonly rows: number; readonly cols: number; readonly channels: number; readonly width: number };
  /** io_stream FIFO on the layer's output: depth (packs) × pack width (bits). */
  readonly fifo?: { readonly depth: number; readonly width: number };
  /** Tool limits this layer exceeds (the design is still estimated). */
  readonly beyond: readonly string[];
}

export interface PlanView {
  readonly io: 'parallel' | 'stream';
  /** io_parallel with every layer unrolled: one pipeline, II = slowest layer. */
  readonly pipelineTop: boolean;
  readonly layers: readonly LayerView[];
  readonly inElems: number;
  readonly inWidth: number;
  /** Problems with tool limits that are not a single layer's. */
  readonly beyond: readonly string[];
}

const width = (g: Graph, v: string | undefined) => (v ? (valueOf(g, v).fixed?.width ?? 0) : 0);

function rawsOf(g: Graph, v: string): number[] {
  return constRaws(g, v).raws.map((r) => Number(r));
}

const TABLE_OPS = new Set(['Sigmoid', 'Tanh', 'Elu', 'Selu', 'Softplus', 'Softsign', 'Exp', 'Log', 'Erf', 'Gelu', 'HardSwish', 'Mish', 'Sqrt', 'Reciprocal']);

function kindOf(n: Node, hasTables: boolean): Kind {
  switch (n.op) {
    case 'Dense':
      return 'dense';
    case 'Conv':
      return 'conv';
    case 'MaxPool':
    case 'AvgPool':
    case 'GlobalMaxPool':
    case 'GlobalAvgPool':
      return 'pool';
    case 'Softmax':
      return 'softmax';
    case 'LSTM':
    case 'GRU':
    case 'RNN':
      return 'recurrent';
    case 'Transpose':
    case 'Pad':
    case 'Resize':
    case 'Concat':
      return 'move';
    default:
      return hasTables || TABLE_OPS.has(n.op) ? 'table' : 'elementwise';
  }
}

function layerView(p: Plan, idx: number, beyond: readonly string[]): LayerView {
  const g = p.g;
  const l = p.layers[idx]!;
  const n = l.node;
  const R = l.reuse;
  const io = p.opts.io;
  const out = valueOf(g, l.out);
  const outElems = numel(out.shape);
  const x = n.inputs[0] ? valueOf(g, n.inputs[0]) : undefined;
  const inElems = x ? numel(x.shape) : 0;
  const tablesSpec = Object.values(n.prec?.tables ?? {});
  const kind = kindOf(n, tablesSpec.length > 0);
  const base = {
    name: n.name, op: n.op, kind, strategy: l.strategy, reuse: R,
    inWidth: width(g, n.inputs[0]), outWidth: out.fixed?.width ?? 0, accWidth: n.prec?.accum?.width ?? out.fixed?.width ?? 0,
    outElems, inElems, beyond,
    ...(io === 'stream' ? { stream: (l.stream && l.strategy === 'latency' ? 'native' : 'buffered') as 'native' | 'buffered' } : {}),
  };
  const pack = out.shape.length ? out.shape[out.shape.length - 1]! : 1;
  const fifo = io === 'stream' ? { depth: Math.max(1, l.burst) , width: pack * (out.fixed?.width ?? 0) } : undefined;
  const noMul = { constOperands: false, macs: 0, multipliers: 0, nonzeroWeights: 0, weightCount: 0, weightWidth: 0, fanIn: 1, weightStorage: 'none' as const };
  // Each table is read once per element computed in parallel.
  const tables = (reads: number): TableUse[] =>
    tablesSpec.map((t) => ({ entries: t.size, width: valueOf(g, t.value).fixed?.width ?? 18, reads }));
  switch (n.op) {
    case 'Dense': {
      const w = valueOf(g, n.inputs[1]!);
      const [K, M] = [w.shape[0]!, w.shape[1]!];
      const rows = inElems / K;
      const raws = rawsOf(g, n.inputs[1]!);
      const nz = raws.reduce((s, r) => s + (r !== 0 ? 1 : 0), 0) * rows;
      const mults = rows * K * M;
      const resource = l.strategy === 'resource';
      const block = Math.ceil((K * M) / R);
      return {
        ...base, ...noMul, ii: resource ? R * rows : R, iterations: resource ? rows : 1,
        macs: mults, multipliers: resource ? block : Math.ceil(mults / R),
        ...(!resource ? { weightRaws: rows === 1 ? raws : Array.from({ length: rows }, () => raws).flat() } : {}),
        constOperands: !resource && R === 1,
        nonzeroWeights: nz, weightCount: mults, weightWidth: w.fixed?.width ?? 0, fanIn: K,
        weightStorage: resource ? 'memory' : 'registers',
        ...(resource ? { weightMemory: { depth: R, width: block * (w.fixed?.width ?? 0) } } : {}),
        tables: [], ...(fifo ? { fifo } : {}),
      };
    }
    case 'Conv': {
      const w = valueOf(g, n.inputs[1]!);
      const cout = out.shape[out.shape.length - 1]!;
      const perPixel = numel(w.shape);
      const pixels = outElems / cout;
      const raws = rawsOf(g, n.inputs[1]!);
      const nz = raws.reduce((s, r) => s + (r !== 0 ? 1 : 0), 0);
      const s = n.attrs.kernel.length;
      const cin = x!.shape[x!.shape.length - 1]!;
      const kH = s === 2 ? n.attrs.kernel[0]! : 1;
      const dH = s === 2 ? n.attrs.dilations[0]! : 1;
      const inW = x!.shape[x!.shape.length - 2]!;
      const inH = s === 2 ? x!.shape[x!.shape.length - 3]! : 1;
      const native = io === 'stream' && l.strategy === 'latency';
      return {
        ...base, ...noMul, ii: pixels * R, iterations: pixels,
        macs: perPixel * pixels, multipliers: Math.ceil(perPixel / R),
        ...(l.strategy === 'latency' ? { weightRaws: raws } : {}),
        constOperands: l.strategy === 'latency' && R === 1,
        nonzeroWeights: nz, weightCount: perPixel, weightWidth: w.fixed?.width ?? 0,
        fanIn: perPixel / cout, weightStorage: 'registers', tables: [],
        ...(native ? { lineBuffer: { rows: Math.min((kH - 1) * dH + 1, inH), cols: inW, channels: cin, width: base.inWidth } } : {}),
        ...(fifo ? { fifo } : {}),
      };
    }
    case 'MaxPool':
    case 'AvgPool':
    case 'GlobalMaxPool':
    case 'GlobalAvgPool': {
      const c = out.shape[out.shape.length - 1]!;
      const pixels = outElems / c;
      const window = Math.max(1, Math.round(inElems / Math.max(1, outElems)));
      return { ...base, ...noMul, ii: pixels, iterations: pixels, fanIn: window, tables: tables(c), ...(fifo ? { fifo } : {}) };
    }
    case 'Softmax':
      return { ...base, ...noMul, ii: 1, iterations: 1, fanIn: pack, tables: tablesSpec.map((t, i) => ({ entries: t.size, width: valueOf(g, t.value).fixed?.width ?? 18, reads: i === 0 ? pack : 1 })), ...(fifo ? { fifo } : {}) };
    case 'LSTM':
    case 'GRU':
    case 'RNN': {
      // Gate products of one time step are unrolled; the time steps are a pipelined loop.
      const ws = n.inputs.slice(1, 3).filter((v): v is string => !!v && isConst(valueOf(g, v)));
      const perStep = ws.reduce((s, v) => s + numel(valueOf(g, v).shape), 0);
      const steps = x ? x.shape[x.shape.length - 2] ?? 1 : 1;
      const nz = ws.reduce((s, v) => s + rawsOf(g, v).filter((r) => r !== 0).length, 0);
      return {
        ...base, ...noMul, ii: steps * R, iterations: steps, macs: perStep * steps, multipliers: Math.ceil(perStep / R),
        nonzeroWeights: nz, weightCount: perStep, weightWidth: width(g, ws[0]), fanIn: perStep / Math.max(1, outElems / steps),
        weightStorage: 'registers', tables: tables(Math.max(1, outElems / steps)), ...(fifo ? { fifo } : {}),
      };
    }
    default: {
      const isMul = n.op === 'Mul' && n.inputs.length === 2;
      return {
        ...base, ...noMul, ii: 1, iterations: 1, ...(isMul ? { macs: outElems, multipliers: outElems } : {}),
        tables: tables(outElems), ...(fifo ? { fifo } : {}),
      };
    }
  }
}

/** The plan of `g` under `opts`, as the estimator reads it; tool limits become marks. */
export function planView(g: Graph, opts: EmitOptions): PlanView {
  const p = planProject(g, { ...opts, unrollLimit: Number.MAX_SAFE_INTEGER, partitionLimit: Number.MAX_SAFE_INTEGER });
  let problems: string[] = [];
  try {
    checkLimits({ ...p, opts });
  } catch (e) {
    problems = String((e as Error).message).split('\n').slice(1).map((s) => s.trim());
  }
  const mine = (name: string) => problems.filter((s) => s.startsWith(`layer '${name}'`));
  const layers = p.layers.map((_, i) => layerView(p, i, mine(p.layers[i]!.node.name)));
  const claimed = new Set(layers.flatMap((l) => l.beyond));
  const first = p.inputs[0];
  return {
    io: opts.io, pipelineTop: p.pipelineTop, layers,
    inElems: first ? first.size : 0, inWidth: first ? (valueOf(g, first.value).fixed?.width ?? 0) : 0,
    beyond: problems.filter((s) => !claimed.has(s)),
  };
}
