/**
 * Cheap, exact accuracy measurement of an `optimize` candidate. The choose set and the extra
 * (calibration) samples are pooled once, run once through the float graph (its outputs never
 * change between candidates), and ordered most fragile first: by the float top-1/top-2 margin,
 * smallest first, so the samples a narrowing flips first are simulated first. A candidate then
 * runs only the fixed-point program, first on the 16 most fragile samples, then on the rest (each
 * run of the program has a fixed cost, so two runs, not many small ones), and after the first the counts so far are checked against the acceptance targets: once even a perfect rest
 * could not reach them, the candidate is rejected without simulating the rest. The rejection is
 * exact (it never rejects a candidate the full run would accept), so the search result is the
 * same as with full runs, only cheaper; it depends on no clock and no thread count.
 * Prefix reuse: the search changes one type at a time, so a candidate usually quantizes the first
 * layers exactly as the design it is derived from. The fixed-point activations of the adopted
 * design (the search's current one) are kept for the whole pool; a candidate whose first k nodes
 * are identical to it (same op, attributes, precision, input and output types and constants)
 * runs only nodes k.. as a program of its own, fed with those activations. Fed as float32 they
 * are exact (every cut value is at most 24 bits wide, else the cut moves earlier), so the entry
 * cast of the suffix program reproduces them bit for bit: the counts are the full run's.
 * The per-sample rules are those of evaluate.ts: top-1 as `predictions` reads it, correct against
 * the label (labelled samples only), agreement with float's top-1, and stable (the largest
 * output error under half the float margin, or under the distance to 0.5 for one output unit).
 */
import { type Graph, isConst, type Node, numel } from '../ir/graph.js';
import { predictions } from '../sim/compare.js';
import { FixedProgram, fxToFloat } from '../sim/fixed/executor.js';
import { runFloat } from '../sim/float/executor.js';
import type { RtTensor } from '../ir/semantics/tensor.js';
import { type Labelled, takeRows } from './split.js';

/** Acceptance targets a candidate is screened against (shares of samples). */
export interface Gate {
  /** Top-1 accuracy on the labelled samples. */
  readonly target: number;
  /** Share of stable samples over all pooled samples. */
  readonly agreement: number;
}

export interface ScreenCounts {
  /** False when the run stopped early: the counts cover `run` samples only and the candidate misses the gate. */
  readonly complete: boolean;
  readonly run: number;
  readonly accuracy: number;
  readonly agreement: number;
  readonly stable: number;
}

/** Class index per label row: argmax of one-hot rows, else the rounded value. */
function labelClasses(l: Labelled): Int32Array {
  const s = l.labelShape;
  if (s.length >= 2 && s[s.length - 1]! > 1) return predictions({ shape: s, data: l.labels });
  return Int32Array.from(l.labels, (v) => Math.round(v));
}

const fingerprints = new WeakMap<object, string>();
/** A content fingerprint of a constant's data (FNV-1a over its float32 bits), cached per array. */
function fingerprint(d: Float32Array | Float64Array): string {
  let f = fingerprints.get(d);
  if (f === undefined) {
    const u = new Uint32Array(Float32Array.from(d).buffer);
    let h = 0x811c9dc5;
    for (let i = 0; i < u.length; i++) h = Math.imul(h ^ u[i]!, 0x01000193) >>> 0;
    f = `${d.length}:${h.toString(16)}`;
    fingerprints.set(d, f);
  }
  return f;
}

/** What a node computes, as far as the fixed-point run is concerned: equal signatures, equal outputs for equal inputs. */
function signature(g: Graph, n: Node): string {
  const io = (v: string) => {
    if (!v) return '';
    const x = g.values.get(v);
    if (!x) return '?';
    return `${JSON.stringify(x.fixed ?? null)}${isConst(x) ? `=${fingerprint(x.data)}` : ''}`;
  };
  return JSON.stringify({ op: n.op, attrs: n.attrs, prec: n.prec ?? null, ins: n.inputs.map(io), outs: n.outputs.map(io) }, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}

/** Fixed-point activations of the adopted design, per value, over the whole pool (pool order). */
interface Prefix {
  readonly inputSig: string;
  readonly sigs: readonly string[];
  readonly acts: ReadonlyMap<string, Float32Array>;
}

export class Screen {
  /** Samples in the pool, of which the first `labelled` (in pool order: `isLabelled`) carry labels. */
  readonly n: number;
  readonly nLabelled: number;
  readonly floatAccuracy: number;
  /** Fixed-point samples simulated so far, over all candidates (for the report). */
  simulated = 0;
  private readonly inputs: RtTensor[];
  /** Label class per pool row, -1 for unlabelled rows. */
  private readonly label: Int32Array;
  private readonly floatOut: Float32Array;
  private readonly floatTop: Int32Array;
  /** Half the float top-1/top-2 margin (or the distance to 0.5 for one unit), per pool row. */
  private readonly margin: Float64Array;
  private readonly cols: number;
  private base: Prefix | null = null;
  private last: Prefix | null = null;
  /** Nodes skipped thanks to the prefix, over all candidates (for the report). */
  reusedNodes = 0;

  constructor(
    readonly cg: Graph,
    choose: Labelled,
    extra?: readonly RtTensor[],
  ) {
    const nC = choose.inputs[0]!.shape[0]!;
    const nX = extra ? extra[0]!.shape[0]! : 0;
    const joined = choose.inputs.map((t, k) => {
      if (!extra) return t;
      const x = extra[k]!;
      const data = new Float32Array(t.data.length + x.data.length);
      data.set(t.data);
      data.set(x.data, t.data.length);
      return { shape: [nC + nX, ...t.shape.slice(1)], data };
    });
    const fo = runFloat(cg, joined)[0]!;
    const cols = fo.shape[fo.shape.length - 1] ?? 1;
    const n = nC + nX;
    const margin = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      const o = r * cols;
      if (cols === 1) {
        margin[r] = Math.abs(fo.data[o]! - 0.5);
        continue;
      }
      let a = -Infinity;
      let b = -Infinity;
      for (let c = 0; c < cols; c++) {
        const v = fo.data[o + c]!;
        if (v > a) [a, b] = [v, a];
        else if (v > b) b = v;
      }
      margin[r] = (a - b) / 2;
    }
    // Most fragile first; ties keep the pool order, so the order is the same on every machine.
    const order = [...Array(n).keys()].sort((p, q) => margin[p]! - margin[q]! || p - q);
    this.inputs = joined.map((t) => takeRows(t, order));
    const labels = labelClasses(choose);
    this.label = Int32Array.from(order, (r) => (r < nC ? labels[r]! : -1));
    this.floatOut = takeRows(fo, order).data;
    this.floatTop = predictions({ shape: [n, cols], data: this.floatOut });
    this.margin = Float64Array.from(order, (r) => margin[r]!);
    this.cols = cols;
    this.n = n;
    this.nLabelled = nC;
    let correct = 0;
    for (let r = 0; r < n; r++) if (this.label[r]! >= 0 && this.floatTop[r] === this.label[r]) correct++;
    this.floatAccuracy = correct / nC;
  }

  /**
   * Runs `qg` on the pool, most fragile samples first; with a gate, stops as soon as the gate
   * cannot be met any more (then `complete` is false).
   */
  /** The design measured last (completely) becomes the one candidates share prefixes with. */
  adoptLast(): void {
    if (this.last) this.base = this.last;
  }

  measure(qg: Graph, gate?: Gate): ScreenCounts {
    const { n, cols } = this;
    const inputSig = JSON.stringify(qg.inputs.map((io) => qg.values.get(io.value)?.fixed ?? null));
    const sigs = qg.nodes.map((x) => signature(qg, x));
    // The first node that differs from the adopted design; the cut moves earlier while a value
    // crossing it is too wide to pass through float32 exactly (or missing).
    let k = 0;
    const base = this.base;
    if (base && base.inputSig === inputSig) {
      while (k < sigs.length && k < base.sigs.length && sigs[k] === base.sigs[k]) k++;
      if (k === sigs.length) k = Math.max(0, k - 1);
    }
    const graphInputs = new Set(qg.inputs.map((io) => io.value));
    const liveAt = (cut: number): string[] => {
      const made = new Set(qg.nodes.slice(cut).flatMap((x) => x.outputs));
      const need = new Set<string>();
      for (const x of qg.nodes.slice(cut)) for (const v of x.inputs) if (v && !made.has(v) && !isConst(qg.values.get(v)!)) need.add(v);
      for (const o of qg.outputs) if (!made.has(o.value)) need.add(o.value);
      return [...need];
    };
    let live: string[] = [];
    while (k > 0) {
      live = liveAt(k);
      const ok = live.every((v) => graphInputs.has(v) || (base!.acts.has(v) && (qg.values.get(v)!.fixed?.width ?? 99) <= 24));
      if (ok) break;
      k--;
    }
    this.reusedNodes += k;
    const sub: Graph = k === 0 ? qg : {
      ...qg,
      nodes: qg.nodes.slice(k),
      inputs: live.map((v) => ({ modelName: v, value: v, modelShape: [null, ...qg.values.get(v)!.shape], elem: 'float32' as const })),
    };
    const feed: { data: Float32Array; per: number; shape: readonly number[] }[] = k === 0
      ? this.inputs.map((t) => ({ data: t.data, per: t.data.length / t.shape[0]!, shape: t.shape.slice(1) }))
      : live.map((v) => {
          const shape = qg.values.get(v)!.shape;
          const gi = qg.inputs.findIndex((io) => io.value === v);
          const data = gi >= 0 ? this.inputs[gi]!.data : base!.acts.get(v)!;
          return { data, per: numel(shape), shape };
        });
    const program = new FixedProgram(sub);
    // Activations of this run, to share with later candidates if the search adopts it.
    const acts = new Map<string, Float32Array>(k === 0 || !base ? [] : [...base.acts].filter(([v]) => !sub.nodes.some((x) => x.outputs.includes(v))));
    const fresh = new Map<string, Float32Array>();
    // Only values a later cut can pass on exactly (at most 24 bits wide) are kept.
    for (const x of sub.nodes) for (const v of x.outputs) if (v && (qg.values.get(v)!.fixed?.width ?? 99) <= 24) fresh.set(v, new Float32Array(n * numel(qg.values.get(v)!.shape)));
    let correct = 0;
    let agree = 0;
    let stable = 0;
    let labelledSeen = 0;
    let start = 0;
    let chunk = 16;
    while (start < n) {
      const rows = Math.min(chunk, n - start);
      const part = feed.map((t) => ({ shape: [rows, ...t.shape], data: t.data.subarray(start * t.per, (start + rows) * t.per) }));
      const at = start;
      const out = program.run(part, {
        onValue: (name, t) => {
          const dst = fresh.get(name);
          if (dst) dst.set(fxToFloat(t), at * (dst.length / n));
        },
      })[0]!;
      const fx = Float32Array.from(fxToFloat(out));
      const top = predictions({ shape: [rows, cols], data: fx });
      for (let i = 0; i < rows; i++) {
        const r = start + i;
        const o = r * cols;
        let err = 0;
        for (let c = 0; c < cols; c++) err = Math.max(err, Math.abs(fx[i * cols + c]! - this.floatOut[o + c]!));
        if (err < this.margin[r]!) stable++;
        if (top[i] === this.floatTop[r]) agree++;
        if (this.label[r]! >= 0) {
          labelledSeen++;
          if (top[i] === this.label[r]) correct++;
        }
      }
      start += rows;
      this.simulated += rows;
      chunk = n;
      if (gate && start < n) {
        const restLabelled = this.nLabelled - labelledSeen;
        if ((stable + (n - start)) / n < gate.agreement || (correct + restLabelled) / this.nLabelled < gate.target) {
          return { complete: false, run: start, accuracy: correct / this.nLabelled, agreement: agree / n, stable: stable / n };
        }
      }
    }
    for (const [v, a] of fresh) acts.set(v, a);
    this.last = { inputSig, sigs, acts };
    return { complete: true, run: n, accuracy: correct / this.nLabelled, agreement: agree / n, stable: stable / n };
  }
}
