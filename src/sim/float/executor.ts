/**
 * The float reference executor: runs an IR graph in float32 (float64 accumulation inside
 * kernels) on a batch of any size. It is the yardstick every fixed-point number is measured
 * against, so it only reads the IR: shapes come from the graph, semantics from the kernels.
 * Inputs and outputs are in the model's own layout; intermediate values are freed after their
 * last use so large batches stay within memory. A Relu reading a Conv, Dense or Add is computed
 * by that layer's fast kernel in the same pass (reluFusions below); both values still exist.
 */
import { type Graph, isConst, type Node, numel } from '../../ir/graph.js';
import type { OpKind } from '../../ir/ops.js';
import { NnInputError } from '../../util/tensor.js';
import type { Kernel, KernelTable, RtTensor } from '../../ir/semantics/tensor.js';
import { REFERENCE_FLOAT_KERNELS } from '../../ir/semantics/float/index.js';
import { generatedFloatKernels, reluFusable } from './kernels/generated.js';

export const FLOAT_KERNELS: KernelTable = {
  ...REFERENCE_FLOAT_KERNELS,
  // Generated Dense/Conv (same results as the reference loop kernels, which they fall back to).
  ...generatedFloatKernels,
};

export interface FloatRunOptions {
  /** Called with every node output as it is computed (for per-layer reports). */
  onValue?: (name: string, t: RtTensor, node: Node) => void;
  /**
   * Output arrays kept per node across runs: kernels write into the arrays of the previous run
   * (no allocation per chunk) for every node that produces no graph output. Only for a caller
   * that keeps no value past the next run (the report's chunk runner).
   */
  buffers?: Map<Node, Float32Array[]>;
  /** Where `buffers` gets a new array (default: an ordinary one), e.g. a WebAssembly memory the caller reads in place. */
  newArray?: (len: number) => Float32Array;
}

/** An allocator handing `node` its arrays of the previous run, in the order it asks for them. */
function reusing(buffers: Map<Node, Float32Array[]>, node: Node, make: (len: number) => Float32Array): (len: number) => Float32Array {
  let kept = buffers.get(node);
  if (!kept) buffers.set(node, (kept = []));
  const k0 = kept;
  let next = 0;
  return (len) => {
    const k = next++;
    const b = k0[k];
    if (b && b.length === len) return b;
    // A shorter run (the last chunk) gets a view; the full array stays for the next run.
    if (b && b.length > len) return b.subarray(0, len);
    return (k0[k] = make(len));
  };
}

function fresh32(len: number): Float32Array {
  return new Float32Array(len);
}

/** Leading run-time dims of a batch: [N] for a batched graph, [] otherwise. */
export function runtimeLead(g: Graph, inputs: readonly RtTensor[]): number[] {
  if (!g.batched) return [];
  const first = inputs[0];
  return first && first.shape.length > 0 ? [first.shape[0]!] : [1];
}

/** Checks user inputs against the graph's inputs and returns the batch size. */
export function checkInputs(g: Graph, inputs: readonly RtTensor[]): number {
  if (inputs.length !== g.inputs.length) {
    throw new NnInputError(
      `${g.source}: the model has ${g.inputs.length} input(s) (${g.inputs.map((i) => `'${i.modelName}'`).join(', ')}), got ${inputs.length}`,
    );
  }
  let batch = 1;
  inputs.forEach((t, i) => {
    const io = g.inputs[i]!;
    const v = g.values.get(io.value)!;
    const want = g.batched ? [t.shape[0] ?? -1, ...v.shape] : [...v.shape];
    const shown = g.batched ? `[N,${v.shape.join(',')}]` : `[${v.shape.join(',')}]`;
    if (t.shape.length !== want.length || t.shape.some((d, k) => d !== want[k])) {
      throw new NnInputError(
        `input ${i} '${io.modelName}': expected shape ${shown}, got [${t.shape.join(',')}]`,
      );
    }
    if (g.batched) {
      if (i === 0) batch = t.shape[0]!;
      else if (t.shape[0] !== batch) {
        throw new NnInputError(`input ${i} '${io.modelName}': batch ${t.shape[0]} differs from input 0's batch ${batch}`);
      }
    }
  });
  return batch;
}

/**
 * Layers whose output a Relu reads, mapped to that Relu (the first one in node order): their
 * fast kernel writes the Relu's output in the same pass (generated.ts reluFusable), and the Relu
 * node then takes that array instead of a pass of its own. Same values as running the Relu.
 */
const fusionPlans = new WeakMap<Graph, Map<Node, Node>>();
function reluFusions(g: Graph): Map<Node, Node> {
  let plan = fusionPlans.get(g);
  if (plan) return plan;
  plan = new Map();
  const producer = new Map<string, Node>();
  for (const n of g.nodes) {
    if (n.op === 'Relu' && n.inputs[0]) {
      const p = producer.get(n.inputs[0]);
      if (p && reluFusable[p.op] && !plan.has(p)) plan.set(p, n);
    }
    for (const o of n.outputs) if (o) producer.set(o, n);
  }
  fusionPlans.set(g, plan);
  return plan;
}

export function runFloat(g: Graph, inputs: readonly RtTensor[], opts: FloatRunOptions = {}): RtTensor[] {
  const steps = floatSteps(g, inputs, opts);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * A constant's data as float32, converted once per array: the report runs the graph once per
 * chunk of 16+ samples, and converting every float64 constant (weights, tables) each time
 * cost more than some layers' sums.
 */
const asFloat32 = new WeakMap<object, Float32Array>();
function float32Const(d: Float32Array | Float64Array): Float32Array {
  if (d instanceof Float32Array) return d;
  let f = asFloat32.get(d);
  if (!f) asFloat32.set(d, (f = Float32Array.from(d)));
  return f;
}

/**
 * What every run of a graph starts from, made once per graph (the report runs it per chunk of
 * 16+ samples): its constants as float32 tensors (kernels never write their inputs), the number
 * of uses of each value (graph outputs never dropped), and the graph outputs.
 */
const runPlans = new WeakMap<Graph, { consts: [string, RtTensor][]; useCounts: Map<string, number>; graphOutputs: Set<string> }>();
function runPlan(g: Graph): { consts: [string, RtTensor][]; useCounts: Map<string, number>; graphOutputs: Set<string> } {
  let plan = runPlans.get(g);
  if (plan) return plan;
  const consts: [string, RtTensor][] = [];
  for (const [name, v] of g.values) {
    // Constants held in float64 (lookup tables) run as float32, like every value here.
    if (isConst(v)) consts.push([name, { shape: v.shape, data: float32Const(v.data) }]);
  }
  const useCounts = new Map<string, number>();
  for (const n of g.nodes) for (const i of n.inputs) if (i) useCounts.set(i, (useCounts.get(i) ?? 0) + 1);
  for (const o of g.outputs) useCounts.set(o.value, Infinity);
  plan = { consts, useCounts, graphOutputs: new Set(g.outputs.map((o) => o.value)) };
  runPlans.set(g, plan);
  return plan;
}

/**
 * runFloat one node at a time: the generator pauses after each node (its outputs passed to
 * onValue) and returns the graph outputs. The report runs it in step with the fixed program
 * (compare.ts), so each layer's two values are compared while they are still in cache.
 */
export function* floatSteps(g: Graph, inputs: readonly RtTensor[], opts: FloatRunOptions = {}): Generator<void, RtTensor[]> {
  checkInputs(g, inputs);
  const lead = runtimeLead(g, inputs);
  const { consts, useCounts, graphOutputs } = runPlan(g);
  const env = new Map<string, RtTensor>(consts);
  g.inputs.forEach((io, i) => env.set(io.value, inputs[i]!));
  // Remaining uses of each dynamic value, so it can be dropped after its last consumer.
  const uses = new Map(useCounts);
  const fusions = reluFusions(g);
  /** Relu outputs already written by the layer they read. */
  const fused = new Map<Node, RtTensor>();
  const allocFor = (node: Node) => (opts.buffers && !node.outputs.some((o) => graphOutputs.has(o)) ? reusing(opts.buffers, node, opts.newArray ?? fresh32) : undefined);

  for (const node of g.nodes) {
    const kernel = FLOAT_KERNELS[node.op] as Kernel<OpKind> | undefined;
    if (!kernel) throw new Error(`node '${node.name}' (${node.op}): no float kernel`);
    const ins = node.inputs.map((n) => (n ? env.get(n) : undefined));
    ins.forEach((t, k) => {
      if (node.inputs[k] && !t) throw new Error(`node '${node.name}' (${node.op}): input '${node.inputs[k]}' not computed`);
    });
    // An absent optional output (e.g. an LSTM's unread Y) has no value and gets the empty shape.
    const outShapes = node.outputs.map((o) => (o ? [...lead, ...g.values.get(o)!.shape] : []));
    const alloc = allocFor(node);
    let outs: RtTensor[];
    const relu = fusions.get(node);
    const done = fused.get(node);
    if (done) {
      outs = [done];
      fused.delete(node);
    } else if (relu) {
      outs = reluFusable[node.op]!(node, ins, outShapes, alloc ?? fresh32, allocFor(relu) ?? fresh32);
      if (outs.length === 2) fused.set(relu, outs.pop()!);
    } else outs = kernel(node as never, ins, outShapes, alloc);
    node.outputs.forEach((o, k) => {
      if (!o) return;
      const t = outs[k];
      if (!t || t.data.length !== numel(outShapes[k]!)) {
        throw new Error(`node '${node.name}' (${node.op}): kernel produced a wrong-sized output ${k}`);
      }
      const fixed = { shape: outShapes[k]!, data: t.data };
      env.set(o, fixed);
      opts.onValue?.(o, fixed, node);
    });
    for (const i of node.inputs) {
      if (!i) continue;
      const left = (uses.get(i) ?? 0) - 1;
      uses.set(i, left);
      if (left === 0 && !isConst(g.values.get(i)!)) env.delete(i);
    }
    yield;
  }
  return g.outputs.map((o) => {
    const t = env.get(o.value);
    if (!t) throw new Error(`graph output '${o.modelName}' was not computed`);
    return t;
  });
}
