/**
 * The state of one model → IR import, shared by every frontend (ONNX, TensorFlow, Keras).
 * Every model tensor (by its name in the model) maps either to a constant (folded at import,
 * kept in float64 so int64 shape arithmetic stays exact) or to an IR value plus a permutation:
 * the model tensor equals the IR value (with its run-time batch dim in front) transposed by
 * `perm`. Transposes are therefore free until an op needs a particular layout; convolutions ask
 * for channels-last, so an ONNX export of a Keras model's NHWC→NCHW→NHWC Transposes vanish and
 * a TensorFlow NHWC graph needs none at all. In a batched import, any op that would move,
 * contract or broadcast over the batch dim throws BatchCrossing and the whole import is retried
 * without a batch dim (see `importWithBatchRetry` in import.ts).
 */
import type { FixedType } from '../../ir/fixed.js';
import type { ElemType, Node, Value } from '../../ir/graph.js';
import { numel } from '../../ir/graph.js';
import { inferShapes, type OpAttrs, type OpKind } from '../../ir/ops.js';
import { transposeData } from '../../ir/semantics/float/layout.js';
import { NnInputError } from '../../util/tensor.js';

/** Stands for the symbolic batch size inside constant shape tensors (from Shape of a batched value). */
export const BATCH = -(2 ** 40);

export class BatchCrossing extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BatchCrossing';
  }
}

export interface ConstT {
  readonly shape: readonly number[];
  readonly data: Float64Array;
  readonly elem: ElemType;
  /** Set when the values come from a model quantizer folded at import: the type holding them exactly (Value.quantized). */
  readonly quantized?: FixedType;
}

export type OVal =
  | { readonly kind: 'const'; readonly t: ConstT }
  | { readonly kind: 'dyn'; readonly ir: string; readonly perm: readonly number[] };

export type Dyn = Extract<OVal, { kind: 'dyn' }>;

/**
 * A constant whose model shape has the symbolic batch size at `axis`, the same for every
 * sample: what exporters build from the batch size (PyTorch's zero initial state of an RNN,
 * ConstantOfShape(Concat(c, Shape(x)[0], c)); Expand of a constant to the batch). `t` holds one
 * sample, with size 1 at `axis`. Only the converters that know how to keep it per sample
 * (shape-preserving selections, recurrent initial states) read it; any other op that meets it
 * refuses the batched import (BatchCrossing) with a message naming the tensor.
 */
export interface BatchConst {
  readonly kind: 'batchConst';
  readonly t: ConstT;
  readonly axis: number;
}

/**
 * A computed tensor some of whose model dims merge the batch dim with other dims (PyTorch's
 * multi-head attention reshapes [T, N, E] to [T, N·heads, d] and [T·N, E]): the model tensor
 * is transpose(IR value with its batch dim in front, `perm`) reshaped so that model dim i is
 * the product of `groups[i]` consecutive dims of that transpose. Only the converters that know
 * how to keep it per sample (Reshape, Transpose, batched MatMul, Dense over the last dim,
 * Softmax over the last dim, arithmetic with a scalar, Shape) read it (see merged.ts); any
 * other op that meets it refuses the batched import (BatchCrossing).
 */
export interface Merged {
  readonly kind: 'merged';
  readonly ir: string;
  readonly perm: readonly number[];
  readonly groups: readonly number[];
}

/** What a model tensor name maps to: an ordinary value, a batch-sized constant or a batch-merged tensor. */
export type MVal = OVal | BatchConst | Merged;

/** The model shape of a batch-sized constant with the batch shown as N. */
export function batchShapeText(v: BatchConst): string {
  return `[${v.t.shape.map((d, i) => (i === v.axis ? 'N' : String(d))).join(',')}]`;
}

/**
 * The layout of a model tensor whose batch dim sits at model position `p` while the IR holds it
 * first and the other dims in model order (identity when p <= 0).
 */
export function batchFirstPerm(rank: number, p: number): number[] {
  return Array.from({ length: rank }, (_, i) => (p < 0 || i > p ? i : i === p ? 0 : i + 1));
}

export const identity = (r: number): number[] => Array.from({ length: r }, (_, i) => i);
export const isIdentity = (p: readonly number[]): boolean => p.every((v, i) => v === i);
export function invert(p: readonly number[]): number[] {
  const q = new Array<number>(p.length);
  p.forEach((v, i) => (q[v] = i));
  return q;
}

export function constOf(shape: readonly number[], data: ArrayLike<number>, elem: ElemType = 'float32'): ConstT {
  return { shape: [...shape], data: Float64Array.from(data as ArrayLike<number>), elem };
}

export class Importer {
  readonly values = new Map<string, Value>();
  readonly nodes: Node[] = [];
  private readonly modelVals = new Map<string, MVal>();
  private readonly names = new Set<string>();
  private readonly nodeNames = new Set<string>();

  constructor(
    readonly source: string,
    readonly batched: boolean,
    /** Declared fixed batch size of the inputs (e.g. 789444), or null when symbolic. */
    readonly declaredBatch: number | null,
    /** The format's op-set version (the ONNX opset; 0 for formats without one, e.g. TensorFlow). */
    readonly opset: number,
  ) {}

  // ---- naming -------------------------------------------------------------------------------

  /** A value name not used yet, derived from `base` (model names are kept readable here; the emitter sanitizes). */
  fresh(base: string): string {
    const b = base || 'v';
    let name = b;
    for (let k = 1; this.names.has(name); k++) name = `${b}_${k}`;
    this.names.add(name);
    return name;
  }

  /** The name freshNode would give now, without taking it (the converter's emit takes it). */
  peekNode(base: string): string {
    let name = base;
    for (let k = 1; this.nodeNames.has(name); k++) name = `${base}_${k}`;
    return name;
  }

  freshNode(base: string): string {
    let name = base;
    for (let k = 1; this.nodeNames.has(name); k++) name = `${base}_${k}`;
    this.nodeNames.add(name);
    return name;
  }

  // ---- model-side values (by the model's tensor names) ---------------------------------------------------------------------

  set(name: string, v: MVal): void {
    this.modelVals.set(name, v);
  }

  /** Any value, batch-sized constants included (for the converters that handle them). */
  getAny(name: string, where: string): MVal {
    const v = this.modelVals.get(name);
    if (!v) throw new NnInputError(`${where}: input '${name}' is not produced by any earlier node, initializer or graph input`);
    return v;
  }

  get(name: string, where: string): OVal {
    const v = this.getAny(name, where);
    if (v.kind === 'merged') {
      throw new BatchCrossing(`${where}: input '${name}' merges the batch dim with other dims, and this op cannot use it per sample`);
    }
    if (v.kind === 'batchConst') {
      throw new BatchCrossing(
        `${where}: input '${name}' is a constant whose shape ${batchShapeText(v)} includes the batch size (built from Shape of a batched input), and this op cannot use it per sample`,
      );
    }
    return v;
  }

  /** Optional input: '' or beyond the list means absent. */
  opt(node: { readonly inputs: readonly string[] }, i: number, where: string): OVal | undefined {
    const name = node.inputs[i];
    return name ? this.get(name, where) : undefined;
  }

  // ---- IR emission --------------------------------------------------------------------------

  addInput(name: string, shape: readonly number[], elem: ElemType): string {
    const ir = this.fresh(name);
    this.values.set(ir, { name: ir, shape: [...shape], elem });
    return ir;
  }

  /** Stores a constant in the IR as float32 (weights) and returns its IR name. */
  addConst(t: { shape: readonly number[]; data: ArrayLike<number>; elem?: ElemType; quantized?: FixedType }, base: string): string {
    const ir = this.fresh(base);
    const data = Float32Array.from(t.data);
    // A quantizer's type is kept only while float32 holds its values exactly (up to 24 significant bits).
    const exact = t.quantized && t.quantized.width <= 24 && Array.from(t.data).every((v, i) => v === data[i]);
    this.values.set(ir, { name: ir, shape: [...t.shape], elem: t.elem ?? 'float32', data, ...(exact ? { quantized: t.quantized } : {}) });
    return ir;
  }

  /** Appends a node; output shapes come from the op registry so the IR is consistent by construction. */
  emit<K extends OpKind>(op: K, nodeName: string, inputs: readonly string[], attrs: OpAttrs[K], nOut = 1): string[] {
    const ins = inputs.map((i) => (i ? this.values.get(i) : undefined));
    const name = this.freshNode(nodeName);
    let inferred;
    try {
      inferred = inferShapes(op, ins, attrs);
    } catch (e) {
      throw new NnInputError(`${this.source}: node '${nodeName}' (${op}): ${(e as Error).message}`);
    }
    const outs: string[] = [];
    for (let k = 0; k < nOut; k++) {
      const r = inferred[k]!;
      const o = this.fresh(nOut === 1 ? name : `${name}_out${k}`);
      this.values.set(o, { name: o, shape: r.shape, elem: r.elem });
      outs.push(o);
    }
    this.nodes.push({ name, op, inputs: [...inputs], outputs: outs, attrs } as unknown as Node);
    return outs;
  }

  irShape(ir: string): readonly number[] {
    return this.values.get(ir)!.shape;
  }

  // ---- layouts ------------------------------------------------------------------------------

  /** Full rank of a dynamic value as the model sees it (batch dim included). */
  rank(v: Dyn): number {
    return v.perm.length;
  }

  /** Full model-side shape of a dynamic value; the batch dim is BATCH (or the declared size). */
  modelShape(v: Dyn): number[] {
    const irFull = this.batched ? [BATCH, ...this.irShape(v.ir)] : [...this.irShape(v.ir)];
    return v.perm.map((p) => irFull[p]!);
  }

  /** Refuses an operation that would mix samples; in an unbatched import there is nothing to refuse. */
  cross(what: string): void {
    if (this.batched) throw new BatchCrossing(what);
  }

  dyn(ir: string, perm?: readonly number[]): Dyn {
    const r = this.irShape(ir).length + (this.batched ? 1 : 0);
    return { kind: 'dyn', ir, perm: perm ?? identity(r) };
  }

  /**
   * An IR value whose full dims, transposed by `want`, give the model tensor `v`.
   * Emits at most one Transpose.
   */
  relayout(v: Dyn, want: readonly number[], nodeName: string): string {
    const qinv = invert(want);
    const r = qinv.map((j) => v.perm[j]!);
    if (isIdentity(r)) return v.ir;
    let own = r;
    if (this.batched) {
      if (r[0] !== 0) throw new BatchCrossing(`${nodeName}: layout change moves the batch dim`);
      own = r.slice(1).map((x) => x - 1);
    }
    return this.emit('Transpose', `${nodeName}_relayout`, [v.ir], { perm: own })[0]!;
  }

  /** Model position of the batch dim of `v` (-1 in an unbatched import). */
  batchPos(v: Dyn): number {
    return this.batched ? v.perm.indexOf(0) : -1;
  }

  /**
   * The IR value holding `v` in the model's own dim order apart from the batch dim, which the IR
   * keeps first; with `batchFirstPerm(rank, batchPos)` as its layout. This is the model's plain
   * layout when the batch is the model's dim 0 (or the import is unbatched).
   */
  sampleMajor(v: Dyn, nodeName: string): { ir: string; perm: number[] } {
    const perm = batchFirstPerm(v.perm.length, this.batchPos(v));
    return { ir: this.relayout(v, perm, nodeName), perm };
  }

  /** The IR value holding `v` in the model's own layout. */
  plain(v: Dyn, nodeName: string): string {
    return this.relayout(v, identity(v.perm.length), nodeName);
  }

  /**
   * A constant placed so that it broadcasts against a dynamic value of full rank `rank` laid
   * out by `perm`, exactly as the model's constant broadcasts against the model's tensor (numpy rules). Returns
   * null when the constant has a higher rank (the caller then works in the plain layout).
   */
  constFor(c: ConstT, perm: readonly number[], nodeName: string, base: string): string | null {
    const R = perm.length;
    if (c.shape.length > R) return null;
    const expanded = [...new Array<number>(R - c.shape.length).fill(1), ...c.shape];
    const pinv = invert(perm);
    let shape = pinv.map((i) => expanded[i]!);
    let data = isIdentity(perm)
      ? Float32Array.from(c.data)
      : transposeData(Float32Array.from(c.data), expanded, pinv);
    if (this.batched) {
      if (shape[0] !== 1) {
        throw new BatchCrossing(`${nodeName}: constant of shape [${c.shape.join(',')}] varies along the batch dim`);
      }
      shape = shape.slice(1);
    }
    // Leading 1s broadcast anyway; dropping them keeps constants minimal.
    while (shape.length > 0 && shape[0] === 1) shape = shape.slice(1);
    if (numel(shape) !== data.length) data = data.slice(0, numel(shape));
    return this.addConst({ shape, data, elem: c.elem }, base);
  }
}
