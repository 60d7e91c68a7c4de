/**
 * The nn2hls graph IR: plain immutable data. A Graph is a list of values (tensors with a
 * static per-sample shape, optionally holding constant data such as weights) and a list of
 * nodes in topological order, each `{name, op, inputs, outputs, attrs}` with attrs typed per
 * op (see ops.ts). Shapes describe ONE sample when `graph.batched` is true: at run time every
 * non-constant value carries an extra leading batch dimension N that no op may touch. When
 * `batched` is false the shapes are the whole tensors. Spatial ops are channels-last.
 */
import type { FixedType } from './fixed.js';
import type { OpAttrs, OpKind } from './ops.js';
import type { PrecOf } from './precision.js';

/** Element type of a value. The float executor computes in float32; int/bool tags matter at the edges. */
export type ElemType = 'float32' | 'int64' | 'int32' | 'int8' | 'uint8' | 'bool';

export interface Value {
  readonly name: string;
  /** Per-sample shape (no batch dim) if graph.batched, else the full shape. */
  readonly shape: readonly number[];
  readonly elem: ElemType;
  /**
   * Constant contents (weights, biases, tables), row-major in `shape`. Constants never carry a
   * batch dim. Model weights are float32; compiler-built tables are float64 so their exact
   * fixed-point entries survive whatever their width.
   */
  readonly data?: Float32Array | Float64Array;
  /**
   * The value's fixed-point type once the quantize pass has run: for a node output it is the
   * cast point where the node's exact result is converted; for a constant, the type its data is
   * quantized to (by quantizeDouble, in the simulator and the emitter alike); for a graph input,
   * the type user data is converted to on entry.
   */
  readonly fixed?: FixedType;
  /**
   * A constant the importer folded from a model quantizer (QONNX Quant/BipolarQuant over weights):
   * the type that holds exactly the quantizer's values (src/ir/quantizer-types.ts). The quantize
   * pass gives the constant this type unless the precision config names one for its layer or op
   * type, so binary, ternary and few-bit weights stay 1–8 bits wide. Values derived from the
   * constant (batch-norm folding, scaling) are new constants without it.
   */
  readonly quantized?: FixedType;
}

export type Node<K extends OpKind = OpKind> = K extends OpKind
  ? {
      readonly name: string;
      readonly op: K;
      /** Value names; '' marks an omitted optional input. */
      readonly inputs: readonly string[];
      readonly outputs: readonly string[];
      readonly attrs: OpAttrs[K];
      /** Internal fixed-point types and lookup tables of the node (set by the quantize pass). */
      readonly prec?: PrecOf<K>;
    }
  : never;

/** How a graph input or output looks to the user: the model's own name, full shape and layout. */
export interface IoBinding {
  /** Name in the source model (user-facing, never used as an identifier). */
  readonly modelName: string;
  /** IR value carrying it. */
  readonly value: string;
  /** Full shape as the model declares it; batch entry is the declared one (null when symbolic). */
  readonly modelShape: readonly (number | null)[];
  readonly elem: ElemType;
  /**
   * Model axis of the batch dim when it is not 0 (a sequence-first RNN's input [T, N, F]). The IR,
   * the simulators and the emitted design hold every batch first; the CLI moves it at its edges.
   */
  readonly batchAxis?: number;
}

export interface Graph {
  readonly name: string;
  /** True when dim 0 of every graph input/output is a batch dim stripped from IR shapes. */
  readonly batched: boolean;
  readonly values: ReadonlyMap<string, Value>;
  readonly nodes: readonly Node[];
  readonly inputs: readonly IoBinding[];
  readonly outputs: readonly IoBinding[];
  /** Where the graph came from, for error messages (file path). */
  readonly source: string;
}

export function isConst(v: Value): v is Value & { data: Float32Array | Float64Array } {
  return v.data !== undefined;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides of a shape. */
export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

export function shapeStr(shape: readonly (number | null)[]): string {
  return `[${shape.map((d) => (d === null ? 'N' : String(d))).join(',')}]`;
}

/** Looks a value up, failing with the graph's vocabulary instead of `undefined` surprises. */
export function valueOf(g: Graph, name: string): Value {
  const v = g.values.get(name);
  if (!v) throw new Error(`graph '${g.name}': no value named '${name}'`);
  return v;
}

/** Consumers of each value (node indices), computed on demand; passes use it for pattern matching. */
export function consumers(g: Graph): Map<string, number[]> {
  const m = new Map<string, number[]>();
  g.nodes.forEach((n, i) => {
    for (const inp of n.inputs) {
      if (!inp) continue;
      const list = m.get(inp);
      if (list) list.push(i);
      else m.set(inp, [i]);
    }
  });
  return m;
}

/** The node that produces each non-constant value. */
export function producers(g: Graph): Map<string, Node> {
  const m = new Map<string, Node>();
  for (const n of g.nodes) for (const o of n.outputs) m.set(o, n);
  return m;
}
