/**
 * Host-side tensors as read from files (.npy, ONNX TensorProto) before they enter the IR or an
 * executor, and the error type for bad user input. A HostTensor keeps the file's element type
 * so callers can refuse what makes no sense (booleans as model inputs) and convert the rest
 * explicitly; int64 data stays in a BigInt64Array so nothing is silently rounded on reading.
 */

export type DType =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'bfloat16'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'bool';

export type HostData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

export interface HostTensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Row-major elements. float16/bfloat16 are decoded to Float32Array on reading. */
  readonly data: HostData;
}

/**
 * A problem with what the user gave us (a file, a model, a flag): the CLI prints its message
 * without a stack trace and exits 1. The message must say what is wrong, where, and what to do.
 */
export class NnInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NnInputError';
  }
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** The elements as float32 (int64 values beyond 2^24 lose precision, as they would in ORT's float cast). */
export function toFloat32(t: HostTensor): Float32Array {
  if (t.data instanceof Float32Array) return t.data;
  const out = new Float32Array(t.data.length);
  const d = t.data;
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) {
    for (let i = 0; i < d.length; i++) out[i] = Number(d[i]!);
  } else {
    out.set(d);
  }
  return out;
}

/** Decodes IEEE half-precision bit patterns. */
export function halfToFloat(bits: number): number {
  const s = bits & 0x8000 ? -1 : 1;
  const e = (bits >> 10) & 0x1f;
  const m = bits & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Decodes bfloat16 bit patterns (the top half of a float32). */
export function bfloat16ToFloat(bits: number): number {
  const buf = new DataView(new ArrayBuffer(4));
  buf.setUint32(0, (bits & 0xffff) << 16);
  return buf.getFloat32(0);
}
