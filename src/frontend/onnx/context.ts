/**
 * The ONNX side of the shared converter context: ONNX nodes seen through the common NodeView
 * (attributes read by NodeAttrs), the converter type for ONNX tables, and ONNX's element types.
 */
import type onnxProto from 'onnx-proto';
import type { ElemType } from '../../ir/graph.js';
import { type Converter as CommonConverter, Ctx as CommonCtx } from '../common/context.js';
import type { NodeView } from '../common/node-view.js';
import { NodeAttrs } from './attrs.js';

export { constScalar } from '../common/context.js';

export type INode = onnxProto.onnx.INodeProto;
export type Ctx = CommonCtx<NodeAttrs>;
export type Converter = CommonConverter<NodeAttrs>;

/** An ONNX NodeProto as the common NodeView. */
export function onnxNodeView(node: INode, name: string, where: string): NodeView<NodeAttrs> {
  return {
    op: node.opType ?? '',
    name: node.name ?? '',
    inputs: node.input ?? [],
    outputs: node.output ?? [],
    attrs: new NodeAttrs(node, where),
  };
}

/** A converter context for one ONNX node; `name` is the unique IR base name for its nodes. */
export function onnxCtx(imp: CommonCtx['imp'], node: INode, name: string): Ctx {
  const where = `${imp.source}: node '${name}' (${node.opType ?? ''})`;
  return new CommonCtx(imp, onnxNodeView(node, name, where), name);
}

/** ONNX TensorProto.DataType → IR element tag (all floats compute as float32). */
export function elemOfOnnxType(dt: number): ElemType {
  switch (dt) {
    case 2:
      return 'uint8';
    case 3:
      return 'int8';
    case 6:
      return 'int32';
    case 4:
    case 5:
    case 7:
    case 12:
    case 13:
      return 'int64';
    case 9:
      return 'bool';
    default:
      return 'float32';
  }
}
