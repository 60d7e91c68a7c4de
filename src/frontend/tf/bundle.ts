/**
 * TensorFlow's variables bundle, as a SavedModel stores its unfrozen weights next to
 * saved_model.pb: variables/variables.index is a table in LevelDB's SSTable format (data
 * blocks of prefix-compressed key/value entries, an index block pointing at them, a 48-byte
 * footer ending in the table magic) mapping each checkpoint key (the variable's name) to a
 * BundleEntryProto — dtype, shape, shard, offset, size — and the empty key to a
 * BundleHeaderProto (the number of shards); variables.data-SSSSS-of-NNNNN hold the tensors'
 * raw little-endian bytes. TensorFlow writes bundle tables uncompressed; a compressed block,
 * a bad magic, a missing shard or an entry beyond its shard is a clear error.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NnInputError } from '../../util/tensor.js';
import { tfType, type TShape, type TTensor } from './schema.js';

/** The table magic number, little-endian (LevelDB's kTableMagicNumber). */
const MAGIC = [0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb];
const FOOTER = 48;

class Reader {
  constructor(readonly buf: Uint8Array, public pos = 0, readonly what = 'table') {}

  varint(): number {
    let v = 0;
    let mul = 1;
    for (let k = 0; k < 10; k++) {
      if (this.pos >= this.buf.length) throw new Error(`truncated varint in the ${this.what}`);
      const b = this.buf[this.pos++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
    throw new Error(`bad varint in the ${this.what}`);
  }
}

interface Handle {
  offset: number;
  size: number;
}

/** The entries of one block: keys restored from their shared prefixes, values as slices. */
function blockEntries(block: Uint8Array): [string, Uint8Array][] {
  if (block.length < 4) throw new Error('block shorter than its restart count');
  const dv = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const restarts = dv.getUint32(block.length - 4, true);
  const end = block.length - 4 - 4 * restarts;
  if (end < 0) throw new Error('block restart array larger than the block');
  const r = new Reader(block, 0, 'block');
  const out: [string, Uint8Array][] = [];
  let key = new Uint8Array(0);
  while (r.pos < end) {
    const shared = r.varint();
    const own = r.varint();
    const vlen = r.varint();
    if (shared > key.length || r.pos + own + vlen > end) throw new Error('block entry beyond the block');
    const k = new Uint8Array(shared + own);
    k.set(key.subarray(0, shared));
    k.set(block.subarray(r.pos, r.pos + own), shared);
    r.pos += own;
    out.push([new TextDecoder().decode(k), block.subarray(r.pos, r.pos + vlen)]);
    r.pos += vlen;
    key = k;
  }
  return out;
}

/** Every key/value of an SSTable, in key order. */
export function readTable(buf: Uint8Array, source: string): [string, Uint8Array][] {
  const fail = (why: string): never => {
    throw new NnInputError(`${source}: not a readable TensorFlow variables index (${why}); is the file truncated?`);
  };
  if (buf.length < FOOTER) fail(`${buf.length} bytes, shorter than the ${FOOTER}-byte table footer`);
  const foot = buf.subarray(buf.length - FOOTER);
  if (MAGIC.some((b, i) => foot[40 + i] !== b)) fail('no table magic number at its end');
  try {
    const r = new Reader(foot);
    const handle = (): Handle => ({ offset: r.varint(), size: r.varint() });
    handle(); // metaindex: no filters or properties are needed
    const index = handle();
    const block = (h: Handle): Uint8Array => {
      if (h.offset + h.size + 5 > buf.length) throw new Error(`block at ${h.offset} (+${h.size}) beyond the file`);
      const type = buf[h.offset + h.size]!;
      if (type !== 0) throw new Error(`block at ${h.offset} is compressed (type ${type}); TensorFlow writes bundles uncompressed`);
      return buf.subarray(h.offset, h.offset + h.size);
    };
    const out: [string, Uint8Array][] = [];
    for (const [, v] of blockEntries(block(index))) {
      const hr = new Reader(v);
      out.push(...blockEntries(block({ offset: hr.varint(), size: hr.varint() })));
    }
    return out;
  } catch (e) {
    if (e instanceof NnInputError) throw e;
    return fail((e as Error).message);
  }
}

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(String(v ?? 0)));

/**
 * The tensors of the bundle `prefix` (e.g. dir/variables/variables), by checkpoint key, as
 * TensorProtos holding their bytes (tensor_content), ready to become Const nodes.
 */
export function readBundle(prefix: string): Map<string, TTensor> {
  const indexFile = `${prefix}.index`;
  const entries = readTable(readFileSync(indexFile), indexFile);
  const header = entries.find(([k]) => k === '');
  const hdr = header ? (tfType('BundleHeaderProto').decode(header[1]) as unknown as { numShards?: number; endianness?: number }) : {};
  const shards = hdr.numShards ?? 1;
  if (hdr.endianness) throw new NnInputError(`${indexFile}: the bundle is big-endian; only little-endian bundles are read`);
  const data = new Map<number, Uint8Array>();
  const shard = (k: number): Uint8Array => {
    const name = `${prefix}.data-${String(k).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}`;
    if (!data.has(k)) {
      if (!existsSync(name)) throw new NnInputError(`${indexFile}: its data shard ${name} is missing`);
      data.set(k, readFileSync(name));
    }
    return data.get(k)!;
  };
  const out = new Map<string, TTensor>();
  for (const [key, value] of entries) {
    if (key === '') continue;
    const e = tfType('BundleEntryProto').decode(value) as unknown as { dtype?: number; shape?: TShape; shardId?: number; offset?: unknown; size?: unknown };
    const off = num(e.offset);
    const size = num(e.size);
    const bytes = shard(e.shardId ?? 0);
    if (off + size > bytes.length) throw new NnInputError(`${indexFile}: variable '${key}' lies beyond its data shard (${off}+${size} > ${bytes.length} bytes)`);
    out.set(key, { dtype: e.dtype ?? 0, tensorShape: e.shape ?? {}, tensorContent: bytes.slice(off, off + size) });
  }
  return out;
}

export const bundlePrefix = (savedModelDir: string): string => join(savedModelDir, 'variables', 'variables');
