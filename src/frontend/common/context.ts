/**
 * What an op converter sees, for every format: the importer, a format-neutral view of the node
 * (op, name, input/output tensor names, typed attributes), and helpers that read inputs as
 * constants or dynamic values with error messages naming the file, node and op. Also folds ops
 * over constant inputs by running the IR's own float kernels, so constant subgraphs (quantized
 * weights, transposed initializers, unfused batch-norm arithmetic) cost nothing at run time.
 */
import type { ElemType } from '../../ir/graph.js';
import { numel } from '../../ir/graph.js';
import { inferShapes, type OpAttrs, type OpKind } from '../../ir/ops.js';
import { REFERENCE_FLOAT_KERNELS } from '../../ir/semantics/float/index.js';
import type { Kernel, RtTensor } from '../../ir/semantics/tensor.js';
import { NnInputError } from '../../util/tensor.js';
import type { BatchConst, ConstT, Dyn, Importer, MVal, OVal } from './importer.js';
import type { AttrReader, NodeView } from './node-view.js';

export class Ctx<A extends AttrReader = AttrReader> {
  constructor(
    readonly imp: Importer,
    readonly node: NodeView<A>,
    /** Unique, readable node name used for IR nodes made from this model node. */
    readonly name: string,
  ) {}

  /** The node's attributes, typed by the reader (ONNX, TF, ...) the converter table belongs to. */
  get a(): A {
    return this.node.attrs;
  }

  get op(): string {
    return this.node.op;
  }

  get where(): string {
    return `${this.imp.source}: node '${this.name}' (${this.op})`;
  }

  get opset(): number {
    return this.imp.opset;
  }

  fail(msg: string): never {
    throw new NnInputError(`${this.where}: ${msg}`);
  }

  get nIn(): number {
    return this.node.inputs.length;
  }

  input(i: number): OVal {
    const name = this.node.inputs[i];
    if (!name) this.fail(`input ${i} is required`);
    return this.imp.get(name, this.where);
  }

  opt(i: number): OVal | undefined {
    return this.imp.opt(this.node, i, this.where);
  }

  /** Input `i` as stored, batch-sized constants included (see BatchConst); undefined when absent. */
  anyInput(i: number): OVal | BatchConst | undefined {
    const v = this.laidInput(i);
    return v?.kind === 'merged' ? this.input(i) : v;
  }

  /** Input `i` as stored, batch-merged tensors too (see Merged; merged.ts); undefined when absent. */
  laidInput(i: number): MVal | undefined {
    const name = this.node.inputs[i];
    return name ? this.imp.getAny(name, this.where) : undefined;
  }

  constInput(i: number, what: string): ConstT {
    const v = this.input(i);
    if (v.kind !== 'const') {
      this.fail(`${what} (input ${i}) must be a constant or initializer; nn2hls needs static shapes and parameters`);
    }
    return v.t;
  }

  optConst(i: number, what: string): ConstT | undefined {
    return this.opt(i) ? this.constInput(i, what) : undefined;
  }

  dynInput(i: number, what: string): Dyn {
    const v = this.input(i);
    if (v.kind !== 'dyn') this.fail(`${what} (input ${i}) is constant here; expected a computed tensor`);
    return v;
  }

  /** Number of requested (non-empty) outputs. */
  wants(i: number): boolean {
    return !!this.node.outputs[i];
  }

  /** Runs an IR op's float kernel on constant inputs (whole tensors, no batch). */
  fold<K extends OpKind>(op: K, attrs: OpAttrs[K], ins: (ConstT | undefined)[], elem?: ElemType): ConstT[] {
    const vals = ins.map((t, k) =>
      t ? { name: `c${k}`, shape: t.shape, elem: t.elem, data: Float32Array.from(t.data) } : undefined,
    );
    let shapes;
    try {
      shapes = inferShapes(op, vals, attrs);
    } catch (e) {
      this.fail((e as Error).message);
    }
    const rts: (RtTensor | undefined)[] = vals.map((v) => (v ? { shape: v.shape, data: v.data } : undefined));
    const kernel = REFERENCE_FLOAT_KERNELS[op] as Kernel<OpKind>;
    const node = { name: this.name, op, inputs: [], outputs: shapes.map((_, k) => `o${k}`), attrs } as never;
    const outs = kernel(node, rts, shapes.map((s) => s.shape));
    return outs.map((o, k) => ({
      shape: [...o.shape],
      data: Float64Array.from(o.data),
      elem: elem ?? shapes[k]!.elem,
    }));
  }

  /** Adds a model constant to the IR as-is (full shape). */
  irConst(t: ConstT, base: string): string {
    return this.imp.addConst({ shape: t.shape, data: t.data, elem: t.elem, ...(t.quantized ? { quantized: t.quantized } : {}) }, `${this.name}_${base}`);
  }
}

/** One entry of a format's converter table: model node → one OVal per model output (undefined = unsupported output). */
export type Converter<A extends AttrReader = AttrReader> = (c: Ctx<A>) => (MVal | undefined)[];

/** The single value of a scalar constant, or `dflt` when absent. */
export function constScalar(t: ConstT | undefined, dflt: number): number {
  if (!t) return dflt;
  if (numel(t.shape) !== 1) throw new Error(`expected a scalar, got shape [${t.shape.join(',')}]`);
  return t.data[0]!;
}
