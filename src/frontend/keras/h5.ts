/**
 * A small read-only HDF5 adapter over h5wasm (libhdf5 compiled to WebAssembly), loaded lazily
 * with import() so only commands given an .h5 or .keras file pay its ~200 ms start-up. Files
 * are copied into h5wasm's in-memory file system, which also serves the weights file held
 * inside a .keras zip. The adapter reads everything it is asked for at once into plain data
 * (strings, numbers, Float32Array), then closes the file, so no wasm handle escapes.
 */
import { NnInputError } from '../../util/tensor.js';

export interface H5Dataset {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export type H5AttrValue = string | number | readonly string[] | readonly number[] | null;

/** What a Keras reader needs of an HDF5 file: attributes, group members and float datasets. */
export interface H5Reader {
  readonly source: string;
  /** Attribute of the object at `path` ('' or '/' = root), or undefined when absent. */
  attr(path: string, name: string): H5AttrValue | undefined;
  /** Member names of the group at `path`, or null when it is not a group. */
  keys(path: string): string[] | null;
  isDataset(path: string): boolean;
  dataset(path: string, where: string): H5Dataset;
  close(): void;
}

const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** True when the bytes start like an HDF5 file (superblock at offset 0, as Keras files have). */
export function isHdf5(bytes: Uint8Array): boolean {
  return HDF5_MAGIC.every((b, i) => bytes[i] === b);
}

type H5Module = typeof import('h5wasm');
interface MemFs {
  writeFile(p: string, b: Uint8Array): void;
  unlink(p: string): void;
}
let loading: Promise<{ h5: H5Module; FS: MemFs }> | null = null;
let counter = 0;

async function h5wasm(): Promise<{ h5: H5Module; FS: MemFs }> {
  if (!loading) {
    loading = import('h5wasm').then(async (m) => {
      const h5 = (m as unknown as { default?: H5Module }).default ?? m;
      const mod = (await h5.ready) as unknown as { FS: MemFs };
      return { h5, FS: mod.FS };
    });
  }
  return loading;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

function toFloat32(value: unknown, dtype: unknown, n: number, where: string): Float32Array {
  if (value instanceof Float32Array) return value;
  if (value instanceof Float64Array || value instanceof Int8Array || value instanceof Uint8Array ||
      value instanceof Int16Array || value instanceof Uint16Array || value instanceof Int32Array || value instanceof Uint32Array) {
    // h5wasm hands float16 over as raw 16-bit words (there is no Float16Array).
    if (dtype === '<e' || dtype === '>e') {
      const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = halfToFloat(dv.getUint16(2 * i, dtype === '<e'));
      return out;
    }
    return Float32Array.from(value);
  }
  if (typeof value === 'number') return Float32Array.of(value);
  throw new NnInputError(`${where}: expected a numeric dataset, found ${typeof value} (dtype ${JSON.stringify(dtype)})`);
}

function attrValue(v: unknown): H5AttrValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v.replace(/\0+$/, '');
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint' || typeof v === 'boolean') return Number(v);
  if (v instanceof Uint8Array && v.length > 0 && v.every((b) => b >= 9 && b < 127)) return new TextDecoder().decode(v);
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number | bigint>, Number);
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'string')) return v.map((s: string) => s.replace(/\0+$/, ''));
    if (v.every((x) => x instanceof Uint8Array)) return v.map((b: Uint8Array) => new TextDecoder().decode(b).replace(/\0+$/, ''));
    return v.map((x) => Number(x));
  }
  return String(v);
}

/** Opens HDF5 bytes; `source` names the file in every error. */
export async function openH5(bytes: Uint8Array, source: string): Promise<H5Reader> {
  if (!isHdf5(bytes)) {
    throw new NnInputError(`${source}: not an HDF5 file (no HDF5 signature); expected a Keras .h5 saved by model.save or save_weights`);
  }
  const { h5, FS } = await h5wasm();
  const path = `/nn2hls_${process.pid}_${counter++}.h5`;
  FS.writeFile(path, bytes);
  let file: InstanceType<H5Module['File']>;
  try {
    file = new h5.File(path, 'r');
    if (!file.file_id || file.file_id < 0n) throw new Error('open failed');
  } catch (e) {
    FS.unlink(path);
    throw new NnInputError(`${source}: HDF5 file cannot be opened (${(e as Error).message}); is it truncated?`);
  }
  const norm = (p: string) => (p === '' || p === '/' ? '/' : p.startsWith('/') ? p : `/${p}`);
  const getObj = (p: string) => {
    const q = norm(p);
    if (q === '/') return file;
    try {
      return file.get(q.slice(1));
    } catch {
      return null;
    }
  };
  return {
    source,
    attr(p, name) {
      const o = getObj(p) as { attrs?: Record<string, { value: unknown }> } | null;
      if (!o || !o.attrs) return undefined;
      const a = o.attrs[name];
      return a === undefined ? undefined : attrValue(a.value);
    },
    keys(p) {
      const o = getObj(p);
      return o instanceof h5.Group ? o.keys() : null;
    },
    isDataset(p) {
      return getObj(p) instanceof h5.Dataset;
    },
    dataset(p, where) {
      const o = getObj(p);
      if (!(o instanceof h5.Dataset)) throw new NnInputError(`${where}: dataset '${p}' not found in ${source}`);
      const shape = o.shape ?? [];
      const n = shape.reduce((a, d) => a * d, 1);
      let value: unknown;
      try {
        value = o.value;
      } catch (e) {
        throw new NnInputError(`${where}: dataset '${p}' in ${source} cannot be read (${(e as Error).message})`);
      }
      const data = toFloat32(value, o.dtype, n, where);
      if (data.length !== n) throw new NnInputError(`${where}: dataset '${p}' in ${source} holds ${data.length} values for shape [${shape.join(',')}]`);
      return { shape, data };
    },
    close() {
      try {
        file.close();
      } finally {
        FS.unlink(path);
      }
    },
  };
}
