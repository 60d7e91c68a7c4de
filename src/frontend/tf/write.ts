/**
 * Writing frozen TensorFlow GraphDefs with the project's own schema (schema.ts), without a
 * TensorFlow install: a small builder of NodeDefs (Const tensors as little-endian
 * tensor_content, typed attributes) whose `encode()` gives the .pb bytes TF's
 * tf.io.read_graph / tf.compat.v1.GraphDef.FromString read. Used by the example-export script
 * and by the tests that build op-level graphs.
 */
import { tfType } from './schema.js';

const DT = { float32: 1, int32: 3, int64: 9, bool: 10 } as const;
type Dt = keyof typeof DT;

export type AttrSpec =
  | { s: string }
  | { i: number }
  | { f: number }
  | { b: boolean }
  | { type: Dt }
  | { ints: number[] }
  | { strings: string[] }
  | { shape: number[] };

function attrValue(a: AttrSpec): object {
  if ('s' in a) return { s: new TextEncoder().encode(a.s) };
  if ('i' in a) return { i: a.i };
  if ('f' in a) return { f: a.f };
  if ('b' in a) return { b: a.b };
  if ('type' in a) return { type: DT[a.type] };
  if ('ints' in a) return { list: { i: a.ints } };
  if ('strings' in a) return { list: { s: a.strings.map((s) => new TextEncoder().encode(s)) } };
  return { shape: { dim: a.shape.map((size) => ({ size })) } };
}

function tensorContent(dt: Dt, data: ArrayLike<number>): Uint8Array {
  const n = data.length;
  const bytes = dt === 'int64' ? 8 : dt === 'bool' ? 1 : 4;
  const buf = new DataView(new ArrayBuffer(n * bytes));
  for (let i = 0; i < n; i++) {
    const v = data[i]!;
    if (dt === 'float32') buf.setFloat32(4 * i, v, true);
    else if (dt === 'int32') buf.setInt32(4 * i, v, true);
    else if (dt === 'int64') buf.setBigInt64(8 * i, BigInt(v), true);
    else buf.setUint8(i, v ? 1 : 0);
  }
  return new Uint8Array(buf.buffer);
}

export class GraphDefBuilder {
  private readonly nodes: object[] = [];

  /** Adds a node; returns its name (its output 0). */
  node(name: string, op: string, inputs: string[] = [], attrs: Record<string, AttrSpec> = {}): string {
    this.nodes.push({ name, op, input: inputs, attr: Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, attrValue(v)])) });
    return name;
  }

  placeholder(name: string, shape: number[], dtype: Dt = 'float32'): string {
    return this.node(name, 'Placeholder', [], { dtype: { type: dtype }, shape: { shape } });
  }

  const(name: string, shape: number[], data: ArrayLike<number>, dtype: Dt = 'float32'): string {
    const n = shape.reduce((p, d) => p * d, 1);
    if (data.length !== n) throw new Error(`const '${name}': ${data.length} values for shape [${shape}]`);
    const tensor = { dtype: DT[dtype], tensorShape: { dim: shape.map((size) => ({ size })) }, tensorContent: tensorContent(dtype, data) };
    this.nodes.push({ name, op: 'Const', input: [], attr: { dtype: { type: DT[dtype] }, value: { tensor } } });
    return name;
  }

  encode(producer = 1087): Uint8Array {
    const T = tfType('GraphDef');
    return T.encode(T.fromObject({ node: this.nodes, versions: { producer } })).finish();
  }
}
