/**
 * A tiny builder for ONNX models in tests: graph inputs/outputs with shapes (numbers or symbolic
 * names), float initializers and nodes with int/float/ints/string attributes, encoded with
 * onnx-proto exactly as a real exporter's file would be.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
type Dim = number | string;
type AttrVal = number | number[] | string | { float: number } | { floats: number[] };

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  domain?: string;
  attrs?: Record<string, AttrVal>;
}

function valueInfo(name: string, dims: Dim[], elemType = 1) {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
}

function attr(name: string, v: AttrVal) {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  if (typeof v === 'number') return { name, type: T.INT, i: v };
  if ('float' in v) return { name, type: T.FLOAT, f: v.float };
  return { name, type: T.FLOATS, floats: v.floats };
}

export function buildModel(spec: {
  inputs: [string, Dim[]][];
  outputs: [string, Dim[]][];
  nodes: NodeSpec[];
  inits?: [string, number[], number[]][];
  intInits?: [string, number[], number[]][];
  /** int8 initializers (e.g. QuantizeLinear zero points that select an int8 output). */
  int8Inits?: [string, number[], number[]][];
  opset?: number;
  extraOpsets?: { domain: string; version: number }[];
}): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: spec.opset ?? 13 }, ...(spec.extraOpsets ?? [])],
    graph: {
      name: 'test',
      input: spec.inputs.map(([n, d]) => valueInfo(n, d)),
      output: spec.outputs.map(([n, d]) => valueInfo(n, d)),
      initializer: [
        ...(spec.inits ?? []).map(([name, dims, data]) => ({ name, dims, dataType: 1, floatData: data })),
        ...(spec.intInits ?? []).map(([name, dims, data]) => ({ name, dims, dataType: 7, int64Data: data })),
        ...(spec.int8Inits ?? []).map(([name, dims, data]) => ({ name, dims, dataType: 3, int32Data: data })),
      ],
      node: spec.nodes.map((n, i) => ({
        name: n.name ?? `${n.op.toLowerCase()}${i}`,
        opType: n.op,
        domain: n.domain ?? '',
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attr(k, v)),
      })),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
