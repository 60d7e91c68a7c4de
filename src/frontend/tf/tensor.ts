/**
 * TensorFlow tensor data → import constants. Reads TensorProto (frozen GraphDef Const values)
 * in every storage form TF writes: `tensor_content` (raw little-endian, read through a
 * DataView because protobufjs hands out views at odd byte offsets), or the typed `*_val` field
 * of the dtype — where fewer values than the shape needs mean "repeat the last one" and none
 * means zeros, as TF's own decoder does — with float16/bfloat16 bit patterns in `half_val`.
 * Also decodes TF.js weight bytes (float32, int32, bool, and uint8/uint16/float16 quantized).
 * Every weight is checked to be finite, since a NaN weight would silently poison the model.
 */
import type { ElemType } from '../../ir/graph.js';
import { bfloat16ToFloat, halfToFloat, NnInputError } from '../../util/tensor.js';
import { type ConstT } from '../common/importer.js';
import type { TShape, TTensor } from './schema.js';

export function toNum(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Number(v);
  if (typeof v === 'bigint') return Number(v);
  if (v && typeof v === 'object' && 'toNumber' in v) return (v as { toNumber(): number }).toNumber();
  return Number(v ?? 0);
}

/** TF DataType (with *_REF stripped) → [name, IR element tag, bytes per element in tensor_content]. */
const DTYPES: Record<number, [string, ElemType, number]> = {
  1: ['float32', 'float32', 4],
  2: ['float64', 'float32', 8],
  3: ['int32', 'int32', 4],
  4: ['uint8', 'uint8', 1],
  5: ['int16', 'int32', 2],
  6: ['int8', 'int8', 1],
  9: ['int64', 'int64', 8],
  10: ['bool', 'bool', 1],
  14: ['bfloat16', 'float32', 2],
  17: ['uint16', 'int32', 2],
  19: ['float16', 'float32', 2],
  22: ['uint32', 'int64', 4],
  23: ['uint64', 'int64', 8],
};

export const baseDtype = (dt: number): number => (dt > 100 ? dt - 100 : dt);

export function dtypeName(dt: number): string {
  const NAMES: Record<number, string> = { 7: 'string', 8: 'complex64', 18: 'complex128', 20: 'resource', 21: 'variant' };
  return DTYPES[baseDtype(dt)]?.[0] ?? NAMES[baseDtype(dt)] ?? `DataType ${dt}`;
}

export function elemOfTfType(dt: number): ElemType {
  return DTYPES[baseDtype(dt)]?.[1] ?? 'float32';
}

/** Dims of a TensorShapeProto; -1 for unknown; null when the rank is unknown. */
export function shapeDims(s: TShape | undefined): number[] | null {
  if (!s || s.unknownRank) return null;
  return (s.dim ?? []).map((d) => toNum(d.size));
}

function checkFinite(data: Float64Array, where: string): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) {
      throw new NnInputError(`${where}: element ${i} is ${data[i]}; the model's weights must be finite (retrain or re-export it)`);
    }
  }
}

function readLE(view: DataView, dt: number, i: number): number {
  switch (dt) {
    case 1: return view.getFloat32(4 * i, true);
    case 2: return view.getFloat64(8 * i, true);
    case 3: return view.getInt32(4 * i, true);
    case 4: return view.getUint8(i);
    case 5: return view.getInt16(2 * i, true);
    case 6: return view.getInt8(i);
    case 9: return Number(view.getBigInt64(8 * i, true));
    case 10: return view.getUint8(i) ? 1 : 0;
    case 14: return bfloat16ToFloat(view.getUint16(2 * i, true));
    case 17: return view.getUint16(2 * i, true);
    case 19: return halfToFloat(view.getUint16(2 * i, true));
    case 22: return view.getUint32(4 * i, true);
    case 23: return Number(view.getBigUint64(8 * i, true));
    default: throw new Error(`dtype ${dt}`);
  }
}

/** A TensorProto as a constant; `where` names the node for errors. */
export function decodeTfTensor(t: TTensor, where: string): ConstT {
  const dt = baseDtype(t.dtype ?? 0);
  const info = DTYPES[dt];
  if (!info) throw new NnInputError(`${where}: tensors of type ${dtypeName(dt)} are not supported (numeric and bool tensors are)`);
  const shape = shapeDims(t.tensorShape) ?? [];
  if (shape.some((d) => d < 0)) throw new NnInputError(`${where}: constant has an unknown dim in [${shape.join(',')}]`);
  const n = shape.reduce((p, d) => p * d, 1);
  const data = new Float64Array(n);
  const content = t.tensorContent;
  if (content && content.length > 0) {
    if (content.length !== n * info[2]) {
      throw new NnInputError(`${where}: tensor_content has ${content.length} bytes but shape [${shape.join(',')}] of ${info[0]} needs ${n * info[2]}; the file is damaged`);
    }
    const view = new DataView(content.buffer, content.byteOffset, content.byteLength);
    for (let i = 0; i < n; i++) data[i] = readLE(view, dt, i);
  } else {
    const vals: ArrayLike<unknown> =
      dt === 1 ? (t.floatVal ?? []) :
      dt === 2 ? (t.doubleVal ?? []) :
      dt === 9 ? (t.int64Val ?? []) :
      dt === 10 ? (t.boolVal ?? []) :
      dt === 14 || dt === 19 ? (t.halfVal ?? []) :
      dt === 22 ? (t.uint32Val ?? []) :
      dt === 23 ? (t.uint64Val ?? []) :
      (t.intVal ?? []);
    if (vals.length > n) throw new NnInputError(`${where}: ${vals.length} values for shape [${shape.join(',')}]; the file is damaged`);
    const conv = (v: unknown): number => {
      if (dt === 10) return v ? 1 : 0;
      if (dt === 19) return halfToFloat(toNum(v) & 0xffff);
      if (dt === 14) return bfloat16ToFloat(toNum(v) & 0xffff);
      if (dt === 1) return Math.fround(toNum(v));
      return toNum(v);
    };
    for (let i = 0; i < vals.length; i++) data[i] = conv(vals[i]);
    // TF fills the rest of the shape with the last value given (zeros when none is).
    if (vals.length > 0) data.fill(data[vals.length - 1]!, vals.length);
  }
  checkFinite(data, where);
  return { shape, data, elem: info[1] };
}

/** One entry of a TF.js weightsManifest. */
export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale?: number; min?: number; original_dtype?: string };
}

const TFJS_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/** Bytes a TF.js weight takes in its group's concatenated shards. */
export function tfjsWeightBytes(w: TfjsWeightSpec, where: string): number {
  const dt = w.quantization?.dtype ?? w.dtype;
  const b = TFJS_BYTES[dt];
  if (!b) throw new NnInputError(`${where}: weight '${w.name}' has dtype '${dt}'; nn2hls reads float32, int32, bool and uint8/uint16/float16-quantized weights`);
  return b * w.shape.reduce((p, d) => p * d, 1);
}

/** Decodes one TF.js weight from `bytes` (exactly tfjsWeightBytes long). */
export function decodeTfjsWeight(w: TfjsWeightSpec, bytes: Uint8Array, where: string): ConstT {
  const n = w.shape.reduce((p, d) => p * d, 1);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const data = new Float64Array(n);
  const q = w.quantization;
  const elem: ElemType = w.dtype === 'int32' ? 'int32' : w.dtype === 'bool' ? 'bool' : 'float32';
  if (q) {
    if (q.dtype === 'float16') {
      for (let i = 0; i < n; i++) data[i] = halfToFloat(view.getUint16(2 * i, true));
    } else {
      if (q.scale === undefined || q.min === undefined) {
        throw new NnInputError(`${where}: weight '${w.name}' is ${q.dtype}-quantized but has no scale/min`);
      }
      for (let i = 0; i < n; i++) {
        const v = (q.dtype === 'uint8' ? view.getUint8(i) : view.getUint16(2 * i, true)) * q.scale + q.min;
        data[i] = elem === 'int32' ? Math.round(v) : Math.fround(v);
      }
    }
  } else {
    for (let i = 0; i < n; i++) {
      data[i] = w.dtype === 'float32' ? view.getFloat32(4 * i, true) : w.dtype === 'int32' ? view.getInt32(4 * i, true) : view.getUint8(i) ? 1 : 0;
    }
  }
  checkFinite(data, `${where}: weight '${w.name}'`);
  return { shape: [...w.shape], data, elem };
}
