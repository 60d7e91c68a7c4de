/**
 * Float versus fixed point on the same inputs: what `nn2hls simulate` reports. Runs the
 * canonical float graph and its quantized twin chunk by chunk (bounded memory for any N),
 * pairs every layer's output by value name, and accumulates per layer the signal and error
 * power (SNR in dB) and the overflow counts of the layer's cast points; for the model outputs
 * it measures accuracy against labels (class indices or one-hot), top-1 agreement float vs
 * fixed, and the max and mean absolute error.
 */
import { fracBits, renderType } from '../ir/fixed.js';
import { constantOverflows } from '../ir/const-overflow.js';
import { FAST_MAX_WIDTH, prepareQuantize, quantizeDouble } from '../ir/semantics/apfixed.js';
import type { Graph, Node } from '../ir/graph.js';
import { constOperandName, opInfo } from '../ir/ops.js';
import { floatSteps } from './float/executor.js';
import type { RtTensor } from '../ir/semantics/tensor.js';
import { FixedProgram, fxToFloat } from './fixed/executor.js';
import { checkInputs } from './float/executor.js';
import { statsArena, sumSquares } from './wasm-stats.js';

export interface LayerReport {
  name: string;
  op: string;
  /** Types by role: result, weight, bias, accum, and table types. */
  types: Record<string, string>;
  /** 10·log10(Σ float² / Σ (fixed − float)²); null when the layer is exact. */
  snr_db: number | null;
  overflows: number;
  /** Constant elements (weights, biases, table entries) that do not fit their type (ir/const-overflow.ts). */
  constant_overflows: number;
  /** Largest |quantized − float| over the layer's weights and biases; null without any. */
  weight_error: number | null;
}

export interface SimulationReport {
  samples: number;
  float: { accuracy: number | null };
  fixed: { accuracy: number | null };
  agreement: number;
  max_abs_error: number;
  mean_abs_error: number;
  layers: LayerReport[];
  /** Elements of the inputs that overflowed their entry type. */
  input_overflows: number;
}

export interface SimulationResult {
  report: SimulationReport;
  floatOutputs: RtTensor[];
  fixedOutputs: RtTensor[];
}

export interface SimulateOptions {
  /** Labels for accuracy: [N] class indices or [N, C] one-hot (or [N] 0/1 for one output unit). */
  labels?: Float32Array;
  labelShape?: readonly number[];
  chunk?: number;
  onProgress?: (done: number, total: number) => void;
}

/** Predicted class per row of output 0: argmax of the last dim, or > 0.5 for a single unit. */
export function predictions(t: { shape: readonly number[]; data: ArrayLike<number> }): Int32Array {
  const cols = t.shape[t.shape.length - 1] ?? 1;
  const rows = t.data.length / cols;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    if (cols === 1) {
      out[r] = t.data[r]! > 0.5 ? 1 : 0;
      continue;
    }
    let best = 0;
    for (let c = 1; c < cols; c++) if (t.data[r * cols + c]! > t.data[r * cols + best]!) best = c;
    out[r] = best;
  }
  return out;
}

function labelClasses(labels: Float32Array, shape: readonly number[], rows: number): Int32Array {
  if (shape.length >= 2 && shape[shape.length - 1]! > 1) {
    return predictions({ shape, data: labels });
  }
  if (labels.length !== rows) throw new Error(`labels hold ${labels.length} entries for ${rows} samples`);
  return Int32Array.from(labels, (v) => Math.round(v));
}

/** max |value in its fixed type − float value| over the node's parameters (the registry's params; exact for QKeras models). */
function weightError(qg: Graph, n: Node): number | null {
  const slots = opInfo(n.op).params;
  if (!slots) return null;
  let worst: number | null = null;
  for (const i of slots) {
    const v = qg.values.get(n.inputs[i] ?? '');
    if (!v?.data || !v.fixed) continue;
    const scale = 2 ** -fracBits(v.fixed);
    // The number path where the width allows (the same raws, without a BigInt per weight).
    const t = v.fixed;
    const q = t.width <= FAST_MAX_WIDTH ? prepareQuantize(t) : (x: number) => Number(quantizeDouble(x, t));
    for (const x of v.data) worst = Math.max(worst ?? 0, Math.abs(q(x) * scale - x));
  }
  return worst;
}

function layerTypes(qg: Graph, n: Node): Record<string, string> {
  const t: Record<string, string> = {};
  const out = qg.values.get(n.outputs[0]!)?.fixed;
  if (out) t['result'] = renderType(out);
  const role = (i: number, name: string) => {
    const v = qg.values.get(n.inputs[i] ?? '');
    if (v?.data && v.fixed) t[name] = renderType(v.fixed);
  };
  // The registry's constRoles: a layer's weight and bias by name, an elementwise op's constant as 'const'.
  for (const slot of Object.keys(opInfo(n.op).constRoles ?? {}).map(Number)) role(slot, constOperandName(n.op, slot));
  if (n.prec?.accum) t['accum'] = renderType(n.prec.accum);
  for (const [k, s] of Object.entries(n.prec?.tables ?? {})) {
    const tt = qg.values.get(s.value)?.fixed;
    if (tt) t[`${k === 'f' ? '' : `${k}_`}table`] = `${renderType(tt)}[${s.size}]`;
  }
  for (const [k, v] of Object.entries(n.prec?.types ?? {})) t[k] = renderType(v);
  return t;
}

/** One chunk of samples run through both graphs: its outputs and its per-layer sums. */
export interface ChunkResult {
  start: number;
  rows: number;
  floatOuts: Float32Array[];
  fixedOuts: Float32Array[];
  /** Σ float² and Σ (fixed − float)² per layer value (ChunkRunner.values order). */
  sig: Float64Array;
  err: Float64Array;
  /** Overflow counts of this chunk: [result, accum] per ChunkRunner.statKeys entry. */
  stats: Float64Array;
}

/**
 * Runs chunks of samples through the float graph and the fixed program and returns what the
 * report needs from each chunk. Chunks are independent, so they can run on any thread; the
 * drivers merge them in chunk order, which makes every sum the same whatever ran where.
 */
export class ChunkRunner {
  readonly program: FixedProgram;
  /** Every value a node of the quantized graph produces, in node order. */
  readonly values: string[];
  readonly statKeys: string[];
  private readonly index = new Map<string, number>();
  /** The float executor's per-node output arrays, reused chunk after chunk. */
  private readonly floatBuffers = new Map<Node, Float32Array[]>();
  /**
   * Whether the arrays both executors reuse live in this thread's stats arena (wasm-stats.ts),
   * where the statistics read them in place. The first run sizes them in ordinary arrays; the
   * runner then claims the arena and drops those, and the next run takes new ones from it. An
   * arena claimed by another runner since is noticed at the start of a run: the arrays taken
   * from it are dropped (they may be the other runner's now) and claimed anew after the run.
   */
  private inArena = false;

  constructor(
    readonly cg: Graph,
    readonly qg: Graph,
  ) {
    this.program = new FixedProgram(qg);
    this.values = qg.nodes.flatMap((n) => n.outputs.filter((o) => o !== ''));
    this.values.forEach((v, i) => this.index.set(v, i));
    this.statKeys = [...this.program.stats.keys()];
  }

  /** Samples [start, start + rows) of `inputs` (whole batches: every input has dim 0 = N). */
  run(inputs: readonly RtTensor[], start: number, rows: number): ChunkResult {
    if (this.inArena && !statsArena.owns(this)) this.leaveArena();
    if (!this.inArena) return this.runOnce(inputs, start, rows);
    // A kernel call may take the arena back mid-run (statsArena.generation): the arrays this
    // run wrote are then detached, so the chunk runs again on ordinary ones.
    const gen = statsArena.generation;
    try {
      const r = this.runOnce(inputs, start, rows);
      if (statsArena.generation === gen) return r;
    } catch (e) {
      if (statsArena.generation === gen) throw e;
    }
    this.leaveArena();
    return this.runOnce(inputs, start, rows);
  }

  private runOnce(inputs: readonly RtTensor[], start: number, rows: number): ChunkResult {
    const { cg, program } = this;
    const part = cg.batched
      ? inputs.map((t) => {
          const per = t.data.length / t.shape[0]!;
          return { shape: [rows, ...t.shape.slice(1)], data: t.data.subarray(start * per, (start + rows) * per) };
        })
      : inputs;
    const sig = new Float64Array(this.values.length);
    const err = new Float64Array(this.values.length);
    const floatVals = new Map<string, Float32Array>();
    program.resetStats();
    const arena = this.inArena;
    // The float graph runs in step with the fixed program: up to the node producing the value
    // the fixed program has just computed, so both are still in cache when they are compared.
    const floatRun = floatSteps(cg, part, {
      buffers: this.floatBuffers,
      newArray: arena ? (len) => statsArena.f32(this, len) : undefined,
      onValue: (name, t) => floatVals.set(name, t.data),
    });
    let fo: RtTensor[] | undefined;
    const floatUpTo = (name?: string) => {
      while (!fo && (name === undefined || !floatVals.has(name))) {
        const r = floatRun.next();
        if (r.done) fo = r.value;
      }
      return name === undefined ? undefined : floatVals.get(name);
    };
    const xo = program.run(part, {
      reuseBuffers: true,
      newArray: arena ? (len) => statsArena.f64(this, len) : undefined,
      onValue: (name, t) => {
        const f = floatUpTo(name);
        const i = this.index.get(name);
        if (!f || i === undefined) return;
        const [ss, ee] = sumSquares(f, t.raw, 2 ** -fracBits(t.type));
        sig[i] = ss;
        err[i] = ee;
      },
    });
    floatUpTo();
    if (!this.inArena) {
      let bytes = program.reusedBytes();
      for (const arrays of this.floatBuffers.values()) for (const a of arrays) bytes += Math.ceil(a.byteLength / 16) * 16;
      if (bytes > 0 && statsArena.claim(this, bytes)) {
        this.leaveArena();
        this.inArena = true;
      }
    }
    const stats = new Float64Array(2 * this.statKeys.length);
    this.statKeys.forEach((k, i) => {
      const st = program.stats.get(k)!;
      stats[2 * i] = st.result;
      stats[2 * i + 1] = st.accum;
    });
    return {
      start,
      rows,
      // Copies: an output may share an array with a node whose arrays the next chunk reuses
      // (e.g. a trailing Reshape), and the worker transfers these buffers.
      floatOuts: fo!.map((t) => t.data.slice()),
      fixedOuts: xo.map((t) => Float32Array.from(fxToFloat(t))),
      sig,
      err,
      stats,
    };
  }

  /** Drops the arrays both executors reuse: the next run takes new ones (from the arena if this runner owns it). */
  private leaveArena(): void {
    this.floatBuffers.clear();
    this.program.dropReused();
    this.inArena = false;
  }
}

/** Sums of the chunks merged so far, in chunk order, and the outputs put in place. */
export class Merger {
  readonly sig: Float64Array;
  readonly err: Float64Array;
  readonly stats: Float64Array;
  readonly floatOuts: Float32Array[];
  readonly fixedOuts: Float32Array[];

  constructor(
    readonly r: ChunkRunner,
    n: number,
  ) {
    const { cg, qg } = r;
    this.sig = new Float64Array(r.values.length);
    this.err = new Float64Array(r.values.length);
    this.stats = new Float64Array(2 * r.statKeys.length);
    this.floatOuts = cg.outputs.map((o) => new Float32Array((cg.batched ? n : 1) * size(cg, o.value)));
    this.fixedOuts = qg.outputs.map((o) => new Float32Array((cg.batched ? n : 1) * size(qg, o.value)));
  }

  add(c: ChunkResult): void {
    for (let i = 0; i < c.sig.length; i++) {
      this.sig[i]! += c.sig[i]!;
      this.err[i]! += c.err[i]!;
    }
    for (let i = 0; i < c.stats.length; i++) this.stats[i]! += c.stats[i]!;
    c.floatOuts.forEach((t, k) => this.floatOuts[k]!.set(t, c.start * (t.length / c.rows)));
    c.fixedOuts.forEach((t, k) => this.fixedOuts[k]!.set(t, c.start * (t.length / c.rows)));
  }
}

/**
 * Samples per chunk for a graph: about 2^16 elements in its largest value (512 KiB of raws), a
 * power of two from 16 to 8192 — small enough that each layer's output arrays stay in cache
 * until the statistics compare its float and fixed values (the residual and CIFAR-shaped CNNs
 * ran ~8 % faster at 16 samples than at 64), large enough to amortise per-chunk work; bounded
 * memory for any N. It depends on the graph only, never on the thread count, so every driver
 * cuts the same chunks.
 */
export function chunkFor(g: Graph): number {
  let largest = 1;
  for (const v of g.values.values()) if (!v.data) largest = Math.max(largest, v.shape.reduce((p, d) => p * d, 1));
  const c = 2 ** Math.floor(Math.log2(Math.max(1, 2 ** 16 / largest)));
  return Math.max(16, Math.min(8192, c));
}

/** Samples in a run and the chunk boundaries every driver uses. */
export function chunking(cg: Graph, inputs: readonly RtTensor[], chunk = chunkFor(cg)): { n: number; starts: number[] } {
  const n = cg.batched ? inputs[0]!.shape[0]! : 1;
  const starts: number[] = [];
  for (let s = 0; s < n; s += chunk) starts.push(s);
  return { n, starts };
}

/**
 * `cg` is the canonical float graph (canonicalize(g)) and `qg` its quantized twin; both take
 * the user's inputs in the model's layout. Runs on this thread, chunk by chunk (bounded memory
 * for any N); simulateParallel (parallel.ts) gives the same result using worker threads.
 */
export function simulate(cg: Graph, qg: Graph, inputs: readonly RtTensor[], opts: SimulateOptions = {}): SimulationResult {
  checkInputs(cg, inputs);
  const runner = new ChunkRunner(cg, qg);
  const chunk = opts.chunk ?? chunkFor(cg);
  const { n, starts } = chunking(cg, inputs, chunk);
  const m = new Merger(runner, n);
  for (const s of starts) {
    const rows = cg.batched ? Math.min(n, s + chunk) - s : 1;
    m.add(runner.run(inputs, s, rows));
    opts.onProgress?.(s + rows, n);
  }
  return finishReport(runner, m, n, opts);
}

/** The report from merged chunks. */
export function finishReport(runner: ChunkRunner, m: Merger, n: number, opts: SimulateOptions): SimulationResult {
  const { cg, qg } = runner;
  const floatOuts = m.floatOuts;
  const fixedOuts = m.fixedOuts;
  const shapeOf = (g: Graph, v: string) => [...(g.batched ? [n] : []), ...g.values.get(v)!.shape];
  const floatOutputs = cg.outputs.map((o, k) => ({ shape: shapeOf(cg, o.value), data: floatOuts[k]! }));
  const fixedOutputs = qg.outputs.map((o, k) => ({ shape: shapeOf(qg, o.value), data: fixedOuts[k]! }));

  let maxErr = 0;
  let sumErr = 0;
  let count = 0;
  floatOutputs.forEach((f, k) => {
    const q = fixedOutputs[k]!.data;
    for (let i = 0; i < q.length; i++) {
      const d = Math.abs(q[i]! - f.data[i]!);
      if (d > maxErr) maxErr = d;
      sumErr += d;
      count++;
    }
  });
  const pf = predictions(floatOutputs[0]!);
  const pq = predictions(fixedOutputs[0]!);
  let agree = 0;
  for (let i = 0; i < pf.length; i++) if (pf[i] === pq[i]) agree++;
  let accF: number | null = null;
  let accQ: number | null = null;
  if (opts.labels) {
    const cls = labelClasses(opts.labels, opts.labelShape ?? [opts.labels.length], pf.length);
    if (cls.length !== pf.length) throw new Error(`labels hold ${cls.length} samples, the inputs ${pf.length}`);
    let a = 0;
    let b = 0;
    for (let i = 0; i < cls.length; i++) {
      if (pf[i] === cls[i]) a++;
      if (pq[i] === cls[i]) b++;
    }
    accF = a / cls.length;
    accQ = b / cls.length;
  }
  const constOver = new Map<string, number>();
  for (const c of constantOverflows(qg)) constOver.set(c.layer, (constOver.get(c.layer) ?? 0) + c.count);
  const valueIndex = new Map(runner.values.map((v, i) => [v, i]));
  const statIndex = new Map(runner.statKeys.map((k, i) => [k, i]));
  const stat = (k: string, which: 0 | 1) => {
    const i = statIndex.get(k);
    return i === undefined ? 0 : m.stats[2 * i + which]!;
  };
  const layers: LayerReport[] = qg.nodes.map((node) => {
    const i = valueIndex.get(node.outputs[0]!);
    const s = i === undefined ? 0 : m.sig[i]!;
    const e = i === undefined ? 0 : m.err[i]!;
    return {
      name: node.name,
      op: node.op,
      types: layerTypes(qg, node),
      snr_db: e === 0 ? null : 10 * Math.log10(s / e),
      overflows: stat(node.name, 0) + stat(node.name, 1),
      constant_overflows: constOver.get(node.name) ?? 0,
      weight_error: weightError(qg, node),
    };
  });
  const inputOverflows = qg.inputs.reduce((acc, io) => acc + stat(io.value, 0), 0);
  return {
    report: {
      samples: pf.length,
      float: { accuracy: accF },
      fixed: { accuracy: accQ },
      agreement: agree / pf.length,
      max_abs_error: maxErr,
      mean_abs_error: count ? sumErr / count : 0,
      layers,
      input_overflows: inputOverflows,
    },
    floatOutputs,
    fixedOutputs,
  };
}

function size(g: Graph, v: string): number {
  return g.values.get(v)!.shape.reduce((p, d) => p * d, 1);
}
