/**
 * The subset of TensorFlow's protobuf schema nn2hls reads, written for this project from the
 * field numbers of TensorFlow's graph.proto, node_def.proto, attr_value.proto, tensor.proto,
 * tensor_shape.proto, types.proto, function.proto, versions.proto and saved_model.proto.
 * Unknown (newer) fields are skipped by the decoder. The same message types take TF.js
 * graph-model topologies (proto3 JSON) through `fromObject`, so a frozen .pb and a TF.js
 * model become one GraphDef representation. Also used to write GraphDefs (scripts/).
 */
import { createRequire } from 'node:module';
import type protobuf from 'protobufjs';

export const TF_PROTO = `
syntax = "proto3";
package tensorflow;
enum DataType {
  DT_INVALID = 0; DT_FLOAT = 1; DT_DOUBLE = 2; DT_INT32 = 3; DT_UINT8 = 4; DT_INT16 = 5; DT_INT8 = 6;
  DT_STRING = 7; DT_COMPLEX64 = 8; DT_INT64 = 9; DT_BOOL = 10; DT_QINT8 = 11; DT_QUINT8 = 12;
  DT_QINT32 = 13; DT_BFLOAT16 = 14; DT_QINT16 = 15; DT_QUINT16 = 16; DT_UINT16 = 17; DT_COMPLEX128 = 18;
  DT_HALF = 19; DT_RESOURCE = 20; DT_VARIANT = 21; DT_UINT32 = 22; DT_UINT64 = 23;
  DT_FLOAT_REF = 101; DT_DOUBLE_REF = 102; DT_INT32_REF = 103; DT_UINT8_REF = 104; DT_INT16_REF = 105;
  DT_INT8_REF = 106; DT_STRING_REF = 107; DT_INT64_REF = 109; DT_BOOL_REF = 110; DT_HALF_REF = 119;
  DT_RESOURCE_REF = 120;
}
message TensorShapeProto {
  message Dim { int64 size = 1; string name = 2; }
  repeated Dim dim = 2;
  bool unknown_rank = 3;
}
message TensorProto {
  DataType dtype = 1;
  TensorShapeProto tensor_shape = 2;
  int32 version_number = 3;
  bytes tensor_content = 4;
  repeated int32 half_val = 13 [packed = true];
  repeated float float_val = 5 [packed = true];
  repeated double double_val = 6 [packed = true];
  repeated int32 int_val = 7 [packed = true];
  repeated bytes string_val = 8;
  repeated float scomplex_val = 9 [packed = true];
  repeated int64 int64_val = 10 [packed = true];
  repeated bool bool_val = 11 [packed = true];
  repeated double dcomplex_val = 12 [packed = true];
  repeated uint32 uint32_val = 16 [packed = true];
  repeated uint64 uint64_val = 17 [packed = true];
}
message NameAttrList { string name = 1; map<string, AttrValue> attr = 2; }
message AttrValue {
  message ListValue {
    repeated bytes s = 2;
    repeated int64 i = 3 [packed = true];
    repeated float f = 4 [packed = true];
    repeated bool b = 5 [packed = true];
    repeated DataType type = 6 [packed = true];
    repeated TensorShapeProto shape = 7;
    repeated TensorProto tensor = 8;
    repeated NameAttrList func = 9;
  }
  oneof value {
    ListValue list = 1; bytes s = 2; int64 i = 3; float f = 4; bool b = 5; DataType type = 6;
    TensorShapeProto shape = 7; TensorProto tensor = 8; string placeholder = 9; NameAttrList func = 10;
  }
}
message NodeDef {
  string name = 1; string op = 2; repeated string input = 3; string device = 4;
  map<string, AttrValue> attr = 5;
}
message VersionDef { int32 producer = 1; int32 min_consumer = 2; repeated int32 bad_consumers = 3; }
message OpDef { string name = 1; }
message FunctionDef {
  OpDef signature = 1; repeated NodeDef node_def = 3; map<string, string> ret = 4; map<string, AttrValue> attr = 5;
}
message FunctionDefLibrary { repeated FunctionDef function = 1; }
message GraphDef { repeated NodeDef node = 1; FunctionDefLibrary library = 2; int32 version = 3; VersionDef versions = 4; }
message MetaGraphDef { GraphDef graph_def = 2; }
message SavedModel { int64 saved_model_schema_version = 1; repeated MetaGraphDef meta_graphs = 2; }
message BundleHeaderProto { int32 num_shards = 1; int32 endianness = 2; }
message BundleEntryProto {
  DataType dtype = 1; TensorShapeProto shape = 2; int32 shard_id = 3; int64 offset = 4; int64 size = 5; fixed32 crc32c = 6;
}
`;

let root: protobuf.Root | undefined;

/** The parsed schema (parsed once, on first use; protobufjs itself loads then, not with every command). */
export function tfRoot(): protobuf.Root {
  root ??= (createRequire(import.meta.url)('protobufjs') as typeof protobuf).parse(TF_PROTO, { keepCase: false }).root;
  return root;
}

export const tfType = (name: 'GraphDef' | 'SavedModel' | 'NodeDef' | 'TensorProto' | 'AttrValue' | 'BundleHeaderProto' | 'BundleEntryProto'): protobuf.Type => tfRoot().lookupType(`tensorflow.${name}`);

// Plain shapes of decoded messages (protobufjs objects; int64 as Long or number).
export interface TShape {
  dim?: { size?: unknown; name?: string }[];
  unknownRank?: boolean;
}
export interface TTensor {
  dtype?: number;
  tensorShape?: TShape;
  tensorContent?: Uint8Array;
  halfVal?: number[];
  floatVal?: number[];
  doubleVal?: number[];
  intVal?: number[];
  int64Val?: unknown[];
  boolVal?: boolean[];
  uint32Val?: number[];
  uint64Val?: unknown[];
  stringVal?: Uint8Array[];
}
export interface TAttr {
  value?: string;
  list?: { s?: Uint8Array[]; i?: unknown[]; f?: number[]; b?: boolean[]; type?: number[]; shape?: TShape[]; tensor?: TTensor[] };
  s?: Uint8Array;
  i?: unknown;
  f?: number;
  b?: boolean;
  type?: number;
  shape?: TShape;
  tensor?: TTensor;
  func?: { name?: string };
}
export interface TNode {
  name?: string;
  op?: string;
  input?: string[];
  device?: string;
  attr?: Record<string, TAttr>;
}
export interface TGraph {
  node?: TNode[];
  library?: { function?: { signature?: { name?: string }; nodeDef?: TNode[] }[] };
  versions?: { producer?: number };
}
