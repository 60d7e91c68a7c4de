/**
 * The estimator's view of a design: the backend's LayerPlan (every hardware decision: reuse,
 * II, trip count, multipliers, stream mode, line buffer, FIFO depth and pack per edge, weight
 * storage, pipeline-depth inputs) joined with the model facts the plan does not repeat (the
 * weight values, for constant folding and pruning; which constant arrays are lookup tables).
 * Nothing here decides parallelism: every count is read from the plan. The plan is built with
 * the tool limits lifted, so a design beyond them is still estimated; the limit check then runs
 * on it and its findings become per-layer marks instead of an error.
 */
import { planProject } from '../backend-hls/index.js';
import type { EmitOptions } from '../backend-hls/options.js';
import { checkLimits } from '../backend-hls/limits.js';
import type { Plan } from '../backend-hls/plan.js';
import { rawNumbers } from '../ir/semantics/const-raws.js';
import type { BufferPlan, LayerPlan, StreamMode, WeightStorage } from '../backend-hls/layer-plan.js';
import type { Graph, Node } from '../ir/graph.js';
import { isConst, numel, valueOf } from '../ir/graph.js';
import { NnInputError } from '../util/tensor.js';

/** `product`: a pipelined loop of products of two run-time values (MatMul, LayerNorm), one row per step. */
export type Kind = 'dense' | 'conv' | 'pool' | 'table' | 'elementwise' | 'product' | 'softmax' | 'recurrent' | 'move';

/** A lookup table or index map the layer reads from a memory or LUT ROM (LayerPlan.weights[], kind table/index). */
export interface TableUse {
  readonly entries: number;
  readonly width: number;
  /** LayerPlan ports: reads per clock cycle. */
  readonly reads: number;
  /** LayerPlan storage: BRAM, LUTRAM, or registers (a LUT ROM per bit per read). */
  readonly storage: WeightStorage;
}

export interface LayerView {
  readonly name: string;
  readonly op: string;
  readonly kind: Kind;
  readonly strategy: 'latency' | 'resource';
  readonly reuse: number;
  /** LayerPlan.ii: cycles between two samples entering the layer. */
  readonly ii: number;
  /** LayerPlan.tripCount and stepII: the layer's pipelined loop. */
  readonly iterations: number;
  readonly stepII: number;
  /** LayerPlan.serialSteps: groups of iterations that wait for the previous group (a recurrence). */
  readonly serialSteps: number;
  /** Multiplications per sample and multipliers instantiated (LayerPlan.macs / multipliers). */
  readonly macs: number;
  readonly multipliers: number;
  /** LayerPlan.multiplier: the binding of the weight products ('auto' where the kernel renders none). */
  readonly multiplier: 'dsp' | 'fabric' | 'auto';
  /**
   * The weight raw value of every product when the weights are constants the tool can see
   * (latency strategy: a constant array read by unrolled code). Absent for resource strategy.
   */
  readonly weightRaws?: Float64Array;
  /** LayerPlan.constOperands: every product on a multiplier of its own with a constant weight operand. */
  readonly constOperands: boolean;
  /** Non-zero weights over all products (pruned weights cost nothing) and all products. */
  readonly nonzeroWeights: number;
  readonly weightCount: number;
  readonly weightWidth: number;
  readonly inWidth: number;
  readonly accWidth: number;
  readonly outWidth: number;
  /** LayerPlan.pipeline.multBits: widest multiplication operand. */
  readonly multBits: number;
  readonly outElems: number;
  /** LayerPlan.unrolled: elements one pipelined step handles (io stream: a pixel's pack; per-pixel io parallel: a pixel). */
  readonly unrolled: number;
  readonly inElems: number;
  /** LayerPlan.pipeline.reduction (at least 1): terms summed per output. */
  readonly fanIn: number;
  readonly tableLookups: number;
  readonly weightStorage: 'none' | 'registers' | 'memory';
  /** The weight memory when the plan keeps weights in one: words × word width and its storage. */
  readonly weightMemory?: { readonly depth: number; readonly width: number; readonly storage: WeightStorage };
  readonly tables: readonly TableUse[];
  /** io_stream: native streaming kernel, or buffered (whole tensor in and out as arrays). */
  readonly stream?: StreamMode;
  readonly lineBuffer?: { readonly rows: number; readonly cols: number; readonly channels: number; readonly width: number; readonly partitioned: boolean };
  /** io_stream FIFOs this layer writes: depth (packs) × pack width (bits); `uram` when the plan binds it to UltraRAM (EdgePlan.storage). */
  readonly fifos: readonly { readonly depth: number; readonly width: number; readonly uram?: boolean }[];
  /** Elements the layer holds whole (io_stream buffered arrays, row buffers). */
  readonly bufferedElements: number;
  /** io stream: the arrays it holds as the plan declares them (LayerPlan.buffers: whole inputs and results, a held input, a native kernel's row arrays; size, partition, ping-pong copies, packs). */
  readonly buffers: readonly BufferPlan[];
  /** io_stream native kernel: packs of the input it reads whole before its first output (LayerPlan.heldInput), else 0. */
  readonly heldPacks?: number;
  /** The layers (indices) writing that held input (EdgePlan from → to of LayerPlan.heldInput's value). */
  readonly heldProducers?: readonly number[];
  /** Layers (indices) whose outputs this one reads (EdgePlan from → to; graph inputs left out). */
  readonly producers: readonly number[];
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

/** The raws of a layer's weight constants, in order (memoized per data and type: nothing is re-quantized). */
function rawsOf(g: Graph, vs: readonly string[]): Float64Array {
  const parts = vs.map((name) => {
    const v = valueOf(g, name);
    if (!isConst(v) || !v.fixed) throw new Error(`internal: '${name}' is not a typed constant`);
    return rawNumbers(v.data, v.fixed);
  });
  if (parts.length === 1) return parts[0]!;
  const out = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The raws repeated `rows` times (dense layers applied to every row of their input). */
function repeated(raws: Float64Array, rows: number): Float64Array {
  if (rows === 1) return raws;
  const out = new Float64Array(raws.length * rows);
  for (let r = 0; r < rows; r++) out.set(raws, r * raws.length);
  return out;
}

function kindOf(n: Node, tableLookups: number): Kind {
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
    // Products of two run-time values: the plan's multiplier count, each as wide as its operands;
    // MatMul and LayerNorm compute a row per step of a pipelined loop (the plan's trip count and II).
    case 'MatMul':
    case 'LayerNorm':
      return 'product';
    case 'Gelu':
      return 'elementwise';
    case 'LSTM':
    case 'GRU':
    case 'RNN':
      return 'recurrent';
    case 'Transpose':
    case 'Pad':
    case 'Resize':
    case 'Concat':
    case 'Reshape':
    case 'Slice':
    case 'Tile':
    case 'Expand':
    case 'Gather':
      return 'move';
    default:
      return tableLookups > 0 ? 'table' : 'elementwise';
  }
}

/** The constant weight operand of a layer's products (Dense/Conv kernel, recurrent W and R). */
function weightValues(g: Graph, n: Node): string[] {
  switch (n.op) {
    case 'Dense':
    case 'Conv':
      return [n.inputs[1]!];
    case 'LSTM':
    case 'GRU':
    case 'RNN':
      return n.inputs.slice(1, 3).filter((v): v is string => !!v && isConst(valueOf(g, v)));
    default:
      return [];
  }
}

function layerView(p: Plan, idx: number, beyond: readonly string[]): LayerView {
  const g = p.g;
  const l = p.layers[idx]!;
  const lp: LayerPlan = p.plans[idx]!;
  const n = l.node;
  const out = valueOf(g, l.out);
  const outElems = numel(lp.outShape);
  const inElems = lp.inShapes.length ? numel(lp.inShapes[0]!) : 0;
  const kind = kindOf(n, lp.pipeline.tableLookups);
  const wv = weightValues(g, n);
  const raws = rawsOf(g, wv);
  let nonzero = 0;
  for (let i = 0; i < raws.length; i++) if (raws[i] !== 0) nonzero++;
  // Rows (pixels) of a Dense share the weights. The rows built side by side in hardware are the
  // plan's products of one step over the weights (io parallel unrolls every row, io stream's
  // dense_stream one row at a time); under the resource schedule only the density matters.
  const latencyStep = lp.strategy === 'latency' ? lp.unrolled : lp.macs;
  const rows = kind === 'dense' && raws.length ? Math.max(1, Math.round(latencyStep / raws.length)) : 1;
  const weightCount = kind === 'dense' ? raws.length * rows : raws.length;
  const latency = lp.strategy === 'latency';
  const wPlans = new Set(wv.map((v) => valueOf(g, v).name));
  // Constant arrays as the plan stores them: lookup tables and index maps read at run-time
  // addresses (ports > 0) are ROMs (those read at fixed addresses fold into wiring), the
  // weight arrays the layer's weight memory, if any.
  const tables: TableUse[] = [];
  let weightMemory: { depth: number; width: number; storage: WeightStorage } | undefined;
  const sorted = [...lp.weights].sort((a, b) => b.elements - a.elements);
  for (const w of sorted) {
    if (w.kind !== 'data') {
      if (w.ports > 0) tables.push({ entries: w.elements, width: w.bits, reads: w.ports, storage: w.storage });
    } else if (!weightMemory && wPlans.size && w.storage !== 'registers') {
      weightMemory = { depth: w.words, width: w.wordElements * w.bits, storage: w.storage };
    }
  }
  const heldValue = lp.heldInput?.value;
  const fifos = p.edges.filter((e) => e.kind === 'stream' && e.from === idx).map((e) => ({ depth: e.depth, width: e.pack * e.bits, ...(e.storage === 'uram' ? { uram: true } : {}) }));
  return {
    name: lp.name, op: lp.op, kind, strategy: lp.strategy, reuse: lp.reuse,
    ii: lp.ii, iterations: lp.tripCount, stepII: lp.stepII, serialSteps: lp.serialSteps,
    macs: lp.macs, multipliers: lp.multipliers,
    multiplier: lp.multiplier,
    ...(latency && raws.length ? { weightRaws: repeated(raws, rows) } : {}),
    constOperands: lp.constOperands,
    nonzeroWeights: nonzero * rows, weightCount,
    weightWidth: wv.length ? width(g, wv[0]) : 0,
    inWidth: width(g, n.inputs[0]), outWidth: out.fixed?.width ?? 0,
    accWidth: lp.pipeline.accumBits || (out.fixed?.width ?? 0), multBits: lp.pipeline.multBits,
    outElems, unrolled: lp.unrolled, inElems, fanIn: Math.max(1, lp.pipeline.reduction), tableLookups: lp.pipeline.tableLookups,
    weightStorage: !wv.length ? 'none' : weightMemory ? 'memory' : 'registers',
    ...(weightMemory ? { weightMemory } : {}),
    tables,
    ...(lp.stream ? { stream: lp.stream } : {}),
    ...(lp.lineBuffer ? { lineBuffer: { rows: lp.lineBuffer.rows, cols: lp.lineBuffer.width, channels: lp.lineBuffer.channels, width: width(g, n.inputs[0]), partitioned: lp.lineBuffer.partitioned } } : {}),
    fifos,
    bufferedElements: lp.bufferedElements,
    buffers: lp.buffers,
    heldPacks: lp.heldInput?.packs ?? 0,
    ...(heldValue !== undefined ? { heldProducers: [...new Set(p.edges.filter((e) => e.to === idx && e.from >= 0 && e.value === heldValue).map((e) => e.from))] } : {}),
    producers: [...new Set(p.edges.filter((e) => e.to === idx && e.from >= 0).map((e) => e.from))],
    beyond,
  };
}

/**
 * The plan of `g` under `opts` — the very plan `compile` would emit — as the estimator reads it.
 * When `compile` would refuse it (a layer the planner cannot bring under a tool limit), the design
 * is planned with the limits lifted and estimated anyway, the violations becoming marks.
 */
export function planView(g: Graph, opts: EmitOptions): PlanView {
  try {
    return viewOfPlan(planProject(g, opts), opts);
  } catch (e) {
    if (!(e instanceof NnInputError) || !/tool limits/.test(e.message)) throw e;
    return viewOfPlan(planProject(g, { ...opts, unrollLimit: Number.MAX_SAFE_INTEGER, partitionLimit: Number.MAX_SAFE_INTEGER }), opts);
  }
}

/** The view of a plan already made (e.g. by `compile`); `limits` are the options whose limits mark layers. */
export function viewOfPlan(p: Plan, limits: EmitOptions = p.opts): PlanView {
  let problems: string[] = [];
  try {
    problems = checkLimits({ ...p, opts: limits }).map((w) => w.replace(/; kept as you set it.*$/, ''));
  } catch (e) {
    problems = String((e as Error).message).split('\n').slice(1).map((s) => s.trim());
  }
  const mine = (name: string) => problems.filter((s) => s.startsWith(`layer '${name}'`));
  const layers = p.layers.map((_, i) => layerView(p, i, mine(p.plans[i]!.name)));
  const claimed = new Set(layers.flatMap((l) => l.beyond));
  const first = p.inputs[0];
  return {
    io: limits.io, pipelineTop: p.pipelineTop, layers,
    inElems: first ? first.size : 0, inWidth: first ? (valueOf(p.g, first.value).fixed?.width ?? 0) : 0,
    beyond: problems.filter((s) => !claimed.has(s)),
  };
}
