/**
 * The bit-accurate fixed-point simulator: compiles a quantized graph (every value typed, every
 * node's internal types and tables set by the quantize pass) into one closure per node, then
 * runs batches of any size. Values travel as integer raws in Float64Arrays; graph inputs are
 * converted from float at their entry cast point; outputs come back as raws with their types.
 * Per node it counts the elements that overflowed (saturated or wrapped) at each cast point.
 */
import { type FixedType, fixedType, fracBits, MAX_WIDTH } from '../../ir/fixed.js';
import { type Graph, isConst, type Node, type Value } from '../../ir/graph.js';
import type { OpKind } from '../../ir/ops.js';
import { quantizeDouble } from '../../ir/semantics/apfixed.js';
import { rawNumbers } from '../../ir/semantics/const-raws.js';
import { checkWidth, entryQuantize, isIdentityCast } from './casts.js';
import { isWideNode, isWideType, wideKernel, type WideRun } from './wide.js';
import { mapNew, mapTo } from '../sums-codegen.js';
import { fixedModule, wasmAvailable } from '../wasm-gemm.js';
import { quantPlan, quantRun } from '../wasm-fixed-quant.js';
import type { Alloc, CastStats, CompileContext, FixedKernel, FixedKernelTable, FixedRun, FxTensor } from './kernel.js';
import { activationFixedKernels } from './kernels/activation.js';
import { attentionFixedKernels } from './kernels/attention.js';
import { elementwiseFixedKernels } from './kernels/elementwise.js';
import { layoutFixedKernels } from './kernels/layout.js';
import { linearFixedKernels } from './kernels/linear.js';
import { mathFixedKernels } from './kernels/math.js';
import { poolFixedKernels } from './kernels/pool.js';
import { quantFixedKernels } from './kernels/quant.js';
import { recurrentFixedKernels } from './kernels/recurrent.js';
import { checkInputs, runtimeLead } from '../float/executor.js';
import type { RtTensor } from '../../ir/semantics/tensor.js';

export const FIXED_KERNELS: FixedKernelTable = {
  ...linearFixedKernels,
  ...activationFixedKernels,
  ...mathFixedKernels,
  ...poolFixedKernels,
  ...elementwiseFixedKernels,
  ...layoutFixedKernels,
  ...quantFixedKernels,
  ...recurrentFixedKernels,
  ...attentionFixedKernels,
};

export interface FixedRunOptions {
  /** Called with every node output as it is computed (for per-layer reports). */
  onValue?: (name: string, t: FxTensor, node: Node) => void;
  /**
   * Let kernels write into the arrays this program handed out on its previous run (outputs of
   * values that are not graph outputs): no allocation and no garbage per chunk. Only for a
   * caller that keeps no raws from `onValue` past the run (the report's per-chunk sums).
   */
  reuseBuffers?: boolean;
  /** Where reuseBuffers gets a new array (default: an ordinary one), e.g. a WebAssembly memory the caller reads in place. */
  newArray?: (len: number) => Float64Array;
}

interface Step {
  node: Node;
  run: FixedRun;
  /** BigInt path (a value wider than 52 bits): `wideRun` instead of `run`. */
  wideRun?: WideRun;
  /** Which inputs are run-time values (constants are baked into the closure). */
  dynamic: boolean[];
  /** Outputs of following nodes (a Relu, then maybe a MaxPool) this step's run also returns, after its own (CompileContext.fuse). */
  fusedOut?: string[];
  /** A Relu computed by an earlier step: its output is already in the environment. */
  fusedIn?: boolean;
}

export class FixedProgram {
  /** Overflow counters per node name, plus one per graph input (keyed by its value name). */
  readonly stats = new Map<string, CastStats>();
  private readonly steps: Step[] = [];
  /** Per step, the output arrays of its last run with reuseBuffers (see FixedRunOptions). */
  private readonly buffers: Float64Array[][] = [];
  /** Per graph input: float data -> raws of its type (one specialised loop each, see mapNew); BigInts for wide types. */
  private readonly entry: ((x: ArrayLike<number>, into?: Float64Array) => Float64Array | bigint[])[];
  /** Per graph input, its raws array of the last run with reuseBuffers. */
  private readonly entryBuffers: (Float64Array | undefined)[] = [];

  /** `allBigInt`: run every node on the BigInt path, as if all values were wide (tests compare the paths). */
  constructor(
    readonly g: Graph,
    opts: { allBigInt?: boolean } = {},
  ) {
    const cache = new Map<string, Float64Array>();
    const value = (name: string): Value => {
      const v = g.values.get(name);
      if (!v) throw new Error(`graph '${g.name}': no value '${name}'`);
      return v;
    };
    const constRaws = (name: string): Float64Array => {
      let r = cache.get(name);
      if (!r) {
        const v = value(name);
        if (!isConst(v) || !v.fixed) throw new Error(`value '${name}' is not a typed constant (run the quantize pass)`);
        checkWidth(v.fixed, `constant '${name}'`);
        const t = v.fixed;
        r = rawNumbers(v.data, t); // memoized per (data, type) across programs: read only
        cache.set(name, r);
      }
      return r;
    };
    for (const v of g.values.values()) {
      if (!isConst(v) && !v.fixed) throw new Error(`value '${v.name}' has no fixed-point type (run the quantize pass)`);
    }
    this.entry = g.inputs.map((io) => {
      const t = value(io.value).fixed!;
      const s: CastStats = { result: 0, accum: 0 };
      this.stats.set(io.value, s);
      if (isWideType(t)) {
        const unbounded = fixedType(MAX_WIDTH, t.int + MAX_WIDTH - t.width, { q: t.q });
        return (xs: ArrayLike<number>) =>
          Array.from(xs, (x) => {
            const r = quantizeDouble(x, t);
            if (Number.isFinite(x) && r !== quantizeDouble(x, unbounded)) s.result++;
            return r;
          });
      }
      const q = entryQuantize(t, s);
      const fresh = mapNew(q);
      const into = mapTo(q);
      const plan = wasmAvailable() ? quantPlan(t) : null;
      return (x: ArrayLike<number>, y?: Float64Array) => {
        if (plan && (x instanceof Float32Array || x instanceof Float64Array)) {
          // In the integer module (wasm-fixed-quant.ts); a block needing the slow branch takes q.
          const out = y ?? new Float64Array(x.length);
          // (Not `s.result += quantRun(…)`: the fallback counts into s.result during the call.)
          const counted = quantRun(fixedModule()!, plan, x, out, (from, to) => {
            for (let i = from; i < to; i++) out[i] = q(x[i]!);
          });
          s.result += counted;
          return out;
        }
        return y ? into(x, y) : fresh(x);
      };
    });
    const fusedRelus = new Set<Node>();
    for (const [ni, node] of g.nodes.entries()) {
      const kernel = FIXED_KERNELS[node.op] as FixedKernel<OpKind> | undefined;
      if (!kernel) throw new Error(`node '${node.name}' (${node.op}): no fixed-point kernel`);
      const stats: CastStats = { result: 0, accum: 0 };
      this.stats.set(node.name, stats);
      const dynamic = node.inputs.map((i) => i !== '' && !isConst(value(i)));
      if (fusedRelus.has(node)) {
        this.steps.push({ node, run: () => [], dynamic, fusedIn: true });
        continue;
      }
      const relu = opts.allBigInt ? undefined : reluAfter(g, ni);
      const pool = relu ? poolAfter(g, relu) : undefined;
      const fuse = { relu: relu !== undefined, taken: false, pool, poolTaken: false };
      const ctx: CompileContext = { g, value, constRaws, stats, fuse };
      if (opts.allBigInt || isWideNode(node, ctx)) this.steps.push({ node, run: () => [], wideRun: wideKernel(node, ctx), dynamic });
      else {
        const step: Step = { node, run: kernel(node as never, ctx), dynamic };
        if (fuse.taken && relu) {
          step.fusedOut = [relu.outputs[0]!];
          fusedRelus.add(relu);
          if (fuse.poolTaken && pool) {
            step.fusedOut.push(pool.outputs[0]!);
            fusedRelus.add(pool);
          }
        }
        this.steps.push(step);
      }
    }
  }

  resetStats(): void {
    for (const s of this.stats.values()) {
      s.result = 0;
      s.accum = 0;
    }
  }

  /** An allocator handing step `si` the arrays of its previous run, in the order it asks for them. */
  private allocFor(si: number, make: (len: number) => Float64Array): Alloc {
    const kept = (this.buffers[si] ??= []);
    let next = 0;
    return (len) => {
      const k = next++;
      const b = kept[k];
      if (b && b.length === len) return b;
      // A shorter run (the last chunk) gets a view; the full array stays for the next run.
      if (b && b.length > len) return b.subarray(0, len);
      return (kept[k] = make(len));
    };
  }

  /** Bytes of the arrays kept for reuse (each rounded up to 16). */
  reusedBytes(): number {
    let b = 0;
    for (const a of [...this.buffers.flat(), ...this.entryBuffers]) if (a) b += Math.ceil(a.byteLength / 16) * 16;
    return b;
  }

  /** Forgets the arrays kept for reuse: the next run with reuseBuffers gets new ones (from its newArray). */
  dropReused(): void {
    this.buffers.length = 0;
    this.entryBuffers.length = 0;
  }

  /** Runs float inputs (the model's own layout) through the fixed-point graph. */
  run(inputs: readonly RtTensor[], opts: FixedRunOptions = {}): FxTensor[] {
    const steps = this.stepwise(inputs, opts);
    for (;;) {
      const r = steps.next();
      if (r.done) return r.value;
    }
  }

  /** run() one step at a time: the generator pauses after each step (see floatSteps) and returns the outputs. */
  *stepwise(inputs: readonly RtTensor[], opts: FixedRunOptions = {}): Generator<void, FxTensor[]> {
    const g = this.g;
    checkInputs(g, inputs);
    const lead = runtimeLead(g, inputs);
    const n = lead.length ? lead[0]! : 1;
    const env = new Map<string, Float64Array | bigint[]>();
    const graphOutputs = new Set(g.outputs.map((o) => o.value));
    g.inputs.forEach((io, i) => {
      const x = inputs[i]!.data;
      let into: Float64Array | undefined;
      if (opts.reuseBuffers && !graphOutputs.has(io.value) && !isWideType(g.values.get(io.value)?.fixed)) {
        // The previous run's array (the caller keeps no raws past a run with reuseBuffers).
        let b = this.entryBuffers[i];
        if (!b || b.length < x.length) b = this.entryBuffers[i] = (opts.newArray ?? fresh64)(x.length);
        into = b.length === x.length ? b : b.subarray(0, x.length);
      }
      env.set(io.value, this.entry[i]!(x, into));
    });
    const tensor = (name: string, shape: readonly number[], type: FixedType): FxTensor => {
      const r = env.get(name)!;
      return Array.isArray(r) ? { shape, raw: Float64Array.from(r, (v) => Number(v)), type, big: r } : { shape, raw: r, type };
    };
    const uses = new Map<string, number>();
    for (const s of this.steps) for (const i of s.node.inputs) if (i) uses.set(i, (uses.get(i) ?? 0) + 1);
    for (const o of g.outputs) uses.set(o.value, Infinity);
    for (const [si, s] of this.steps.entries()) {
      const ins = s.node.inputs.map((name, k) => (s.dynamic[k] ? env.get(name) : undefined));
      let outs: (Float64Array | bigint[])[];
      if (s.fusedIn) {
        outs = [env.get(s.node.outputs[0]!)!];
      } else if (s.wideRun) {
        const big = s.wideRun(ins.map((x) => (x === undefined || Array.isArray(x) ? x : Array.from(x, (v) => BigInt(v)))), n);
        // Stored as BigInts exactly when the value's type is wide; narrower outputs go back to doubles.
        outs = big.map((y, k) => (isWideType(g.values.get(s.node.outputs[k]!)?.fixed) ? y : Float64Array.from(y, (v) => Number(v))));
      } else {
        const mine = s.fusedOut ? [...s.node.outputs, ...s.fusedOut] : s.node.outputs;
        const alloc = opts.reuseBuffers && !mine.some((o) => graphOutputs.has(o)) ? this.allocFor(si, opts.newArray ?? fresh64) : undefined;
        outs = s.run(ins as (Float64Array | undefined)[], n, alloc);
        s.fusedOut?.forEach((o, k) => env.set(o, outs[s.node.outputs.length + k]!));
      }
      s.node.outputs.forEach((o, k) => {
        if (!o) return;
        env.set(o, outs[k]!);
        if (opts.onValue) {
          const v = g.values.get(o)!;
          opts.onValue(o, tensor(o, [...lead, ...v.shape], v.fixed!), s.node);
        }
      });
      for (const i of s.node.inputs) {
        if (!i) continue;
        const left = (uses.get(i) ?? 0) - 1;
        uses.set(i, left);
        if (left === 0) env.delete(i);
      }
      yield;
    }
    return g.outputs.map((o) => {
      const v = g.values.get(o.value)!;
      return tensor(o.value, [...lead, ...v.shape], v.fixed!);
    });
  }
}

function fresh64(len: number): Float64Array {
  return new Float64Array(len);
}

/**
 * A Relu reading node `ni`'s output that can be computed in the same pass: the output is the
 * node's only one, the Relu's cast is the identity, and neither value is wide (BigInt path).
 * Other readers of the output still get it (the node delivers both).
 */
function reluAfter(g: Graph, ni: number): Node | undefined {
  const node = g.nodes[ni]!;
  if (node.outputs.length !== 1 || !node.outputs[0]) return undefined;
  const y = node.outputs[0];
  const relu = g.nodes.slice(ni + 1).find((m) => m.op === 'Relu' && m.inputs[0] === y);
  if (!relu || !relu.outputs[0]) return undefined;
  const xT = g.values.get(y)?.fixed;
  const zT = g.values.get(relu.outputs[0])?.fixed;
  if (!xT || !zT || isWideType(xT) || isWideType(zT) || !isIdentityCast(xT, zT)) return undefined;
  return relu;
}

/** A MaxPool reading the Relu's output whose cast is the identity (fused after the Relu when the kernel can). */
function poolAfter(g: Graph, relu: Node): Node | undefined {
  const z = relu.outputs[0]!;
  const i = g.nodes.indexOf(relu);
  const pool = g.nodes.slice(i + 1).find((m) => m.op === 'MaxPool' && m.inputs[0] === z);
  if (!pool || pool.outputs.length !== 1 || !pool.outputs[0]) return undefined;
  const zT = g.values.get(z)?.fixed;
  const pT = g.values.get(pool.outputs[0])?.fixed;
  if (!zT || !pT || isWideType(pT) || !isIdentityCast(zT, pT)) return undefined;
  return pool;
}

/** Values of raws as float64 (exact up to 52-bit types; wider raws were rounded to doubles first). */
export function fxToFloat(t: { raw: Float64Array; type: FixedType }): Float64Array {
  const s = 2 ** -fracBits(t.type);
  return t.raw.map((r) => r * s);
}
