/**
 * Reader and writer for NumPy's .npy format (versions 1.0, 2.0 and 3.0): the way ML engineers
 * hand tensors around. Reads every numeric dtype and bool in either byte order and either
 * memory order (Fortran-ordered arrays are transposed to row-major); writes little-endian,
 * C-ordered version 1.0 files that numpy.load reads back unchanged. Errors name the file and
 * say what is wrong with it. A file's float32 payload in the host's byte order is not copied:
 * the file is read into a buffer of its own and the array is a view of it (a 10,000-image MNIST
 * input is 31 MB), optionally a SharedArrayBuffer that simulation workers read without copies.
 */
import { closeSync, fstatSync, openSync, readSync, renameSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { type DType, type HostData, type HostTensor, NnInputError, halfToFloat, sizeOf } from './tensor.js';

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

interface DescrInfo {
  dtype: DType;
  bytes: number;
}

const DESCR: Record<string, DescrInfo> = {
  f4: { dtype: 'float32', bytes: 4 },
  f8: { dtype: 'float64', bytes: 8 },
  f2: { dtype: 'float16', bytes: 2 },
  i1: { dtype: 'int8', bytes: 1 },
  u1: { dtype: 'uint8', bytes: 1 },
  i2: { dtype: 'int16', bytes: 2 },
  u2: { dtype: 'uint16', bytes: 2 },
  i4: { dtype: 'int32', bytes: 4 },
  u4: { dtype: 'uint32', bytes: 4 },
  i8: { dtype: 'int64', bytes: 8 },
  u8: { dtype: 'uint64', bytes: 8 },
  b1: { dtype: 'bool', bytes: 1 },
};

function field(header: string, key: string, where: string): string {
  const m = new RegExp(`['"]${key}['"]\\s*:\\s*`).exec(header);
  if (!m) throw new NnInputError(`${where}: .npy header has no '${key}' entry`);
  return header.slice(m.index + m[0].length);
}

function parseHeader(header: string, where: string): { descr: string; fortran: boolean; shape: number[] } {
  const d = /^['"]([^'"]*)['"]/.exec(field(header, 'descr', where));
  if (!d) throw new NnInputError(`${where}: .npy header 'descr' is not a simple dtype string (structured arrays are not supported)`);
  const f = /^(True|False)/.exec(field(header, 'fortran_order', where));
  if (!f) throw new NnInputError(`${where}: .npy header 'fortran_order' is not True or False`);
  const s = /^\(([^)]*)\)/.exec(field(header, 'shape', where));
  if (!s) throw new NnInputError(`${where}: .npy header 'shape' is not a tuple`);
  const shape = s[1]!
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0)
    .map((x) => {
      const n = Number(x.replace(/L$/, ''));
      if (!Number.isInteger(n) || n < 0) throw new NnInputError(`${where}: .npy shape entry '${x}' is not a size`);
      return n;
    });
  return { descr: d[1]!, fortran: f[1] === 'True', shape };
}

const HOST_LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * `owned`: the caller gives `bytes` a buffer nobody else uses (readNpyFile's own read), so an
 * aligned float32 payload in host byte order can be returned as a view of it.
 */
function decode(bytes: Uint8Array, info: DescrInfo, little: boolean, n: number, owned: boolean): HostData {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (info.dtype) {
    case 'float32': {
      if (little === HOST_LITTLE && owned && bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, n);
      // The file's byte order is the host's: one copy of the bytes (a large input decodes in
      // milliseconds, not the tenth of a second an element-wise DataView loop takes).
      // (Copied into a fresh array: `bytes` may be a Buffer, whose slice() is a view of a pool.)
      if (little === HOST_LITTLE) {
        const c = new Uint8Array(4 * n);
        c.set(bytes.subarray(0, 4 * n));
        return new Float32Array(c.buffer);
      }
      const o = new Float32Array(n);
      for (let i = 0; i < n; i++) o[i] = dv.getFloat32(4 * i, little);
      return o;
    }
    case 'float64': {
      const o = new Float64Array(n);
      for (let i = 0; i < n; i++) o[i] = dv.getFloat64(8 * i, little);
      return o;
    }
    case 'float16': {
      const o = new Float32Array(n);
      for (let i = 0; i < n; i++) o[i] = halfToFloat(dv.getUint16(2 * i, little));
      return o;
    }
    case 'int8':
      return Int8Array.from(bytes.subarray(0, n), (v) => (v << 24) >> 24);
    case 'uint8':
    case 'bool':
      return Uint8Array.from(bytes.subarray(0, n));
    case 'int16': {
      const o = new Int16Array(n);
      for (let i = 0; i < n; i++) o[i] = dv.getInt16(2 * i, little);
      return o;
    }
    case 'uint16': {
      const o = new Uint16Array(n);
      for (let i = 0; i < n; i++) o[i] = dv.getUint16(2 * i, little);
      return o;
    }
    case 'int32': {
      const o = new Int32Array(n);
      for (let i = 0; i < n; i++) o[i] = dv.getInt32(4 * i, little);
      return o;
    }
    case 'uint32': {
      const o = new Uint32Array(n);
      for (let i = 0; i < n; i++) o[i] = dv.getUint32(4 * i, little);
      return o;
    }
    case 'int64': {
      const o = new BigInt64Array(n);
      for (let i = 0; i < n; i++) o[i] = dv.getBigInt64(8 * i, little);
      return o;
    }
    case 'uint64': {
      const o = new BigUint64Array(n);
      for (let i = 0; i < n; i++) o[i] = dv.getBigUint64(8 * i, little);
      return o;
    }
    default:
      throw new Error(`unhandled dtype ${info.dtype}`);
  }
}

/** Row-major copy of a Fortran-ordered (column-major) array. */
function fromFortran<T extends HostData>(data: T, shape: readonly number[]): T {
  const r = shape.length;
  if (r < 2) return data;
  const out = new (data.constructor as new (n: number) => T)(data.length);
  const rowStride = new Array<number>(r).fill(1);
  for (let i = r - 2; i >= 0; i--) rowStride[i] = rowStride[i + 1]! * shape[i + 1]!;
  const idx = new Array<number>(r).fill(0);
  for (let f = 0; f < data.length; f++) {
    let o = 0;
    for (let i = 0; i < r; i++) o += idx[i]! * rowStride[i]!;
    (out as unknown as number[])[o] = (data as unknown as number[])[f]!;
    for (let i = 0; i < r; i++) {
      if (++idx[i]! < shape[i]!) break;
      idx[i] = 0;
    }
  }
  return out;
}

export function readNpy(buf: Uint8Array, where = '(buffer)', owned = false): HostTensor {
  if (buf.length < 10 || !MAGIC.equals(Buffer.from(buf.subarray(0, 6)))) {
    throw new NnInputError(`${where}: not a .npy file (missing the \\x93NUMPY magic); save arrays with numpy.save`);
  }
  const major = buf[6]!;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let hlen: number;
  let start: number;
  if (major === 1) {
    hlen = dv.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    hlen = dv.getUint32(8, true);
    start = 12;
  } else {
    throw new NnInputError(`${where}: .npy format version ${major} is not known (1.0, 2.0 and 3.0 are)`);
  }
  if (start + hlen > buf.length) throw new NnInputError(`${where}: .npy header runs past the end of the file (truncated?)`);
  const header = Buffer.from(buf.subarray(start, start + hlen)).toString(major === 3 ? 'utf8' : 'latin1');
  const { descr, fortran, shape } = parseHeader(header, where);
  const m = /^([<>|=]?)([a-z]\d+)$/.exec(descr);
  const info = m ? DESCR[m[2]!] : undefined;
  if (!m || !info) {
    throw new NnInputError(`${where}: .npy dtype '${descr}' is not supported; use a numeric dtype such as float32`);
  }
  const little = m[1] !== '>';
  const n = sizeOf(shape);
  const body = buf.subarray(start + hlen);
  if (body.length < n * info.bytes) {
    throw new NnInputError(`${where}: .npy data has ${body.length} bytes, shape [${shape}] of ${descr} needs ${n * info.bytes} (truncated?)`);
  }
  const data = decode(body, info, little, n, owned);
  return { dtype: info.dtype === 'float16' ? 'float32' : info.dtype, shape, data: fortran ? fromFortran(data, shape) : data };
}

const WRITE_DESCR: Partial<Record<DType, string>> = {
  float32: '<f4',
  float64: '<f8',
  int8: '|i1',
  uint8: '|u1',
  int16: '<i2',
  uint16: '<u2',
  int32: '<i4',
  uint32: '<u4',
  int64: '<i8',
  uint64: '<u8',
  bool: '|b1',
};

export function writeNpy(t: HostTensor): Uint8Array {
  const descr = WRITE_DESCR[t.dtype];
  if (!descr) throw new Error(`cannot write dtype ${t.dtype} to .npy`);
  const n = sizeOf(t.shape);
  if (t.data.length !== n) throw new Error(`tensor has ${t.data.length} elements, shape [${t.shape}] needs ${n}`);
  const shapeText = t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // Pad with spaces so the data starts on a 64-byte boundary, ending the header with '\n'.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total + t.data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(Buffer.from(header, 'latin1'), 10);
  // Host byte order is little-endian on every platform Node supports for this project.
  out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), total);
  return out;
}

/**
 * Reads a .npy file. With `shared`, the bytes are read into a SharedArrayBuffer, so a float32
 * payload (a view of it) can be handed to worker threads without copying.
 */
export function readNpyFile(path: string, opts: { shared?: boolean } = {}): HostTensor {
  let buf: Uint8Array;
  const pre = prefetched.get(path);
  try {
    if (pre?.bytes && pre.shared === (opts.shared === true)) {
      prefetched.delete(path);
      buf = pre.bytes;
    } else buf = readWhole(path, opts.shared === true);
  } catch (e) {
    throw new NnInputError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return readNpy(buf, path, true);
}

/**
 * Files being read ahead (prefetchNpy): their bytes once read; an entry without bytes is still
 * in flight or failed (readNpyFile then reads the file itself and reports any error).
 */
const prefetched = new Map<string, { shared: boolean; bytes?: Uint8Array; done: Promise<void> }>();

/**
 * Starts reading .npy files on libuv's thread pool, so the copy from the page cache and the page
 * faults of a large input overlap this thread's work (`simulate` starts it before loading its
 * modules); readNpyFile takes the bytes once prefetchDone() has resolved.
 */
export function prefetchNpy(paths: readonly string[], shared: boolean): void {
  for (const path of paths) {
    if (prefetched.has(path)) continue;
    const entry: { shared: boolean; bytes?: Uint8Array; done: Promise<void> } = { shared, done: Promise.resolve() };
    entry.done = readWholeAsync(path, shared).then(
      (b) => void (entry.bytes = b),
      () => undefined, // readNpyFile reads it again and reports the error
    );
    prefetched.set(path, entry);
  }
}

/** Resolves when every prefetch has finished (read or failed). */
export async function prefetchDone(): Promise<void> {
  await Promise.all([...prefetched.values()].map((e) => e.done));
}

/** Drops prefetched bytes nobody took (the run failed first, or the files were not inputs). */
export function dropPrefetched(): void {
  prefetched.clear();
}

async function readWholeAsync(path: string, shared: boolean): Promise<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const buf = new Uint8Array(shared ? new SharedArrayBuffer(size) : new ArrayBuffer(size));
    let at = 0;
    while (at < size) {
      const { bytesRead } = await fh.read(buf, at, size - at, at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    return at < size ? buf.subarray(0, at) : buf;
  } finally {
    await fh.close();
  }
}

/** The whole file in a buffer of its own (readFileSync's Buffer may be a view of a shared pool). */
function readWhole(path: string, shared: boolean): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const buf = new Uint8Array(shared ? new SharedArrayBuffer(size) : new ArrayBuffer(size));
    let at = 0;
    while (at < size) {
      const got = readSync(fd, buf, at, size - at, at);
      if (got === 0) break;
      at += got;
    }
    // A file that shrank while being read: only what was read.
    return at < size ? buf.subarray(0, at) : buf;
  } finally {
    closeSync(fd);
  }
}

/** Writes through a temp file renamed into place, so a crash never leaves a partial .npy. */
export function writeNpyFile(path: string, t: HostTensor): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, writeNpy(t));
  renameSync(tmp, path);
}
