/**
 * Decoding of ONNX TensorProto messages (initializers, Constant values, the .pb test vectors of
 * the ONNX backend suite) into HostTensors. Handles every storage form the spec allows —
 * raw_data (little-endian) and the typed repeated fields float_data, int32_data (which also
 * carries int8/16, uint8/16, bool, float16 and bfloat16 bit patterns), int64_data, double_data
 * and uint64_data — and refuses what it cannot represent (strings, complex, external data) with
 * a message naming the tensor.
 */
import { readFileSync } from 'node:fs';
import type onnxProto from 'onnx-proto';
import {
  type DType,
  type HostData,
  type HostTensor,
  NnInputError,
  bfloat16ToFloat,
  halfToFloat,
  sizeOf,
} from '../../util/tensor.js';
import { toNum } from './attrs.js';
import { DATA_EXTERNAL, decodeTensorProtoBytes } from './wire.js';

type ITensor = onnxProto.onnx.ITensorProto;

interface TypeInfo {
  name: string;
  /** What the decoded HostTensor holds (float16/bfloat16 widen to float32). */
  dtype: DType;
  bytes: number;
}

const TYPES: Record<number, TypeInfo> = {
  1: { name: 'FLOAT', dtype: 'float32', bytes: 4 },
  2: { name: 'UINT8', dtype: 'uint8', bytes: 1 },
  3: { name: 'INT8', dtype: 'int8', bytes: 1 },
  4: { name: 'UINT16', dtype: 'uint16', bytes: 2 },
  5: { name: 'INT16', dtype: 'int16', bytes: 2 },
  6: { name: 'INT32', dtype: 'int32', bytes: 4 },
  7: { name: 'INT64', dtype: 'int64', bytes: 8 },
  9: { name: 'BOOL', dtype: 'bool', bytes: 1 },
  10: { name: 'FLOAT16', dtype: 'float32', bytes: 2 },
  11: { name: 'DOUBLE', dtype: 'float64', bytes: 8 },
  12: { name: 'UINT32', dtype: 'uint32', bytes: 4 },
  13: { name: 'UINT64', dtype: 'uint64', bytes: 8 },
  16: { name: 'BFLOAT16', dtype: 'float32', bytes: 2 },
};

const UNSUPPORTED: Record<number, string> = {
  0: 'UNDEFINED',
  8: 'STRING',
  14: 'COMPLEX64',
  15: 'COMPLEX128',
  17: 'FLOAT8E4M3FN',
  18: 'FLOAT8E4M3FNUZ',
  19: 'FLOAT8E5M2',
  20: 'FLOAT8E5M2FNUZ',
  21: 'UINT4',
  22: 'INT4',
};

export function dimsToNumbers(dims: readonly unknown[] | null | undefined): number[] {
  return (dims ?? []).map(toNum);
}

function toBig(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(v);
  return BigInt(String(v)); // protobufjs Long prints its exact decimal value
}

function fromRaw(raw: Uint8Array, t: TypeInfo, dt: number, n: number): HostData {
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  switch (dt) {
    case 1: {
      const o = new Float32Array(n);
      for (let i = 0; i < n; i++) o[i] = dv.getFloat32(4 * i, true);
      return o;
    }
    case 2:
    case 9:
      return Uint8Array.from(raw.subarray(0, n));
    case 3:
      return Int8Array.from(raw.subarray(0, n), (v) => (v << 24) >> 24);
    case 4: {
      const o = new Uint16Array(n);
      for (let i = 0; i < n; i++) o[i] = dv.getUint16(2 * i, true);
      return o;
    }
    case 5: {
      const o = new Int16Array(n);
      for (let i = 0; i < n; i++) o[i] = dv.getInt16(2 * i, true);
      return o;
    }
    case 6: {
      const o = new Int32Array(n);
      for (let i = 0; i < n; i++) o[i] = dv.getInt32(4 * i, true);
      return o;
    }
    case 7: {
      const o = new BigInt64Array(n);
      for (let i = 0; i < n; i++) o[i] = dv.getBigInt64(8 * i, true);
      return o;
    }
    case 10: {
      const o = new Float32Array(n);
      for (let i = 0; i < n; i++) o[i] = halfToFloat(dv.getUint16(2 * i, true));
      return o;
    }
    case 11: {
      const o = new Float64Array(n);
      for (let i = 0; i < n; i++) o[i] = dv.getFloat64(8 * i, true);
      return o;
    }
    case 12: {
      const o = new Uint32Array(n);
      for (let i = 0; i < n; i++) o[i] = dv.getUint32(4 * i, true);
      return o;
    }
    case 13: {
      const o = new BigUint64Array(n);
      for (let i = 0; i < n; i++) o[i] = dv.getBigUint64(8 * i, true);
      return o;
    }
    case 16: {
      const o = new Float32Array(n);
      for (let i = 0; i < n; i++) o[i] = bfloat16ToFloat(dv.getUint16(2 * i, true));
      return o;
    }
    default:
      throw new Error(`unhandled ${t.name}`);
  }
}

function fromFields(tp: ITensor, dt: number, n: number): HostData | undefined {
  const f = tp.floatData ?? [];
  const i32 = tp.int32Data ?? [];
  const i64 = tp.int64Data ?? [];
  const d = tp.doubleData ?? [];
  const u64 = tp.uint64Data ?? [];
  switch (dt) {
    case 1:
      return f.length ? Float32Array.from(f) : undefined;
    case 2:
    case 9:
      return i32.length ? Uint8Array.from(i32) : undefined;
    case 3:
      return i32.length ? Int8Array.from(i32) : undefined;
    case 4:
      return i32.length ? Uint16Array.from(i32) : undefined;
    case 5:
      return i32.length ? Int16Array.from(i32) : undefined;
    case 6:
      return i32.length ? Int32Array.from(i32) : undefined;
    case 7:
      return i64.length ? BigInt64Array.from(i64, toBig) : undefined;
    case 10:
      return i32.length ? Float32Array.from(i32, halfToFloat) : undefined;
    case 16:
      return i32.length ? Float32Array.from(i32, bfloat16ToFloat) : undefined;
    case 11:
      return d.length ? Float64Array.from(d) : undefined;
    case 12:
      return u64.length ? Uint32Array.from(u64, (v) => toNum(v)) : undefined;
    case 13:
      return u64.length ? BigUint64Array.from(u64, (v) => BigInt.asUintN(64, toBig(v))) : undefined;
    default:
      return undefined;
  }
}

/** Decodes one TensorProto; `where` prefixes every error (e.g. "model.onnx: initializer 'w'"). */
export function decodeTensorProto(tp: ITensor, where: string): HostTensor {
  const dt = tp.dataType ?? 0;
  const t = TYPES[dt];
  if (!t) {
    const name = UNSUPPORTED[dt] ?? `data type ${dt}`;
    throw new NnInputError(`${where}: ${name} tensors are not supported; nn2hls reads numeric and boolean tensors`);
  }
  if (tp.dataLocation === DATA_EXTERNAL || (tp.externalData?.length ?? 0) > 0) {
    throw new NnInputError(
      `${where}: tensor data is stored in an external file; re-save the model with onnx.save(model, path, save_as_external_data=False)`,
    );
  }
  const shape = dimsToNumbers(tp.dims);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new NnInputError(`${where}: bad dims [${shape}]`);
  const n = sizeOf(shape);
  const raw = tp.rawData;
  let data: HostData | undefined;
  if (raw && raw.length > 0) {
    if (raw.length !== n * t.bytes) {
      throw new NnInputError(`${where}: raw_data has ${raw.length} bytes, dims [${shape}] of ${t.name} need ${n * t.bytes}`);
    }
    data = fromRaw(raw, t, dt, n);
  } else {
    data = fromFields(tp, dt, n);
    if (!data) {
      if (n !== 0) throw new NnInputError(`${where}: ${t.name} tensor of dims [${shape}] holds no data`);
      data = fromRaw(new Uint8Array(0), t, dt, 0);
    }
    if (data.length !== n) {
      throw new NnInputError(`${where}: tensor holds ${data.length} values, dims [${shape}] need ${n}`);
    }
  }
  return { dtype: t.dtype, shape, data };
}

/** Reads a serialized TensorProto (.pb), as used by the ONNX backend test data. */
export function readTensorProtoFile(path: string): HostTensor {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new NnInputError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let tp: ITensor;
  try {
    tp = decodeTensorProtoBytes(bytes);
  } catch (e) {
    throw new NnInputError(`${path}: not a serialized ONNX TensorProto (${(e as Error).message})`);
  }
  return decodeTensorProto(tp, path);
}
