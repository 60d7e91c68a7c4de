/**
 * .npy reading and writing: round trips, byte orders, Fortran order, header versions, and the
 * errors a user sees for files that are not what they claim to be. The fixtures are built
 * byte by byte here, following the format NumPy documents, so no Python is needed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dropPrefetched, prefetchDone, prefetchNpy, readNpy, readNpyFile, writeNpy } from '../../src/util/npy.js';
import { NnInputError } from '../../src/util/tensor.js';

function npyBytes(header: string, body: Uint8Array, major = 1): Uint8Array {
  const pre = major === 1 ? 10 : 12;
  const total = Math.ceil((pre + header.length + 1) / 64) * 64;
  const h = header.padEnd(total - pre - 1, ' ') + '\n';
  const out = new Uint8Array(total + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const dv = new DataView(out.buffer);
  if (major === 1) dv.setUint16(8, h.length, true);
  else dv.setUint32(8, h.length, true);
  out.set(Buffer.from(h, 'latin1'), pre);
  out.set(body, total);
  return out;
}

describe('npy', () => {
  it('round-trips float32 and int64 through writeNpy/readNpy', () => {
    const f = { dtype: 'float32' as const, shape: [2, 3], data: Float32Array.from([1.5, -2, 3, 4, 5, 6.25]) };
    const back = readNpy(writeNpy(f));
    expect(back.dtype).toBe('float32');
    expect(back.shape).toEqual([2, 3]);
    expect([...back.data]).toEqual([1.5, -2, 3, 4, 5, 6.25]);
    const i = { dtype: 'int64' as const, shape: [2], data: BigInt64Array.from([-(2n ** 40n), 7n]) };
    expect([...readNpy(writeNpy(i)).data]).toEqual([-(2n ** 40n), 7n]);
  });

  it('writes the 64-byte-aligned v1.0 header numpy writes', () => {
    const bytes = writeNpy({ dtype: 'float32', shape: [3], data: new Float32Array(3) });
    const hlen = new DataView(bytes.buffer).getUint16(8, true);
    expect((10 + hlen) % 64).toBe(0);
    expect(Buffer.from(bytes.subarray(10, 10 + hlen)).toString('latin1').trimEnd()).toBe(
      "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }",
    );
  });

  it('reads big-endian float64, Fortran order, and version 2.0 headers', () => {
    const body = new Uint8Array(6 * 8);
    const dv = new DataView(body.buffer);
    // Fortran order: column-major storage of [[1,2,3],[4,5,6]] is 1,4,2,5,3,6.
    [1, 4, 2, 5, 3, 6].forEach((v, k) => dv.setFloat64(8 * k, v, false));
    const t = readNpy(npyBytes("{'descr': '>f8', 'fortran_order': True, 'shape': (2, 3), }", body, 2));
    expect(t.dtype).toBe('float64');
    expect([...t.data]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('reads float32 in either byte order, with trailing bytes after the data (the host-order copy and the DataView loop)', () => {
    for (const little of [true, false]) {
      const vals = [1.5, -0, 3.4028234663852886e38, -1e-45, 0.1];
      const body = new Uint8Array(vals.length * 4 + 3);
      const dv = new DataView(body.buffer);
      vals.forEach((v, k) => dv.setFloat32(4 * k, v, little));
      const file = npyBytes(`{'descr': '${little ? '<' : '>'}f4', 'fortran_order': False, 'shape': (5,), }`, body);
      // Also as a Buffer inside a larger allocation (what readFileSync gives): its slice() is a view.
      const pooled = Buffer.alloc(file.length + 16);
      pooled.set(file, 8);
      for (const bytes of [file, pooled.subarray(8, 8 + file.length)]) {
        const t = readNpy(bytes);
        expect(t.data).toBeInstanceOf(Float32Array);
        expect(t.data.length).toBe(5);
        expect([...t.data]).toEqual([...Float32Array.from(vals)]);
        expect(Object.is(t.data[1], -0)).toBe(true);
      }
    }
  });

  it('decodes float16 to float32 and bool to bytes', () => {
    const body = new Uint8Array([0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00]); // 1.0, -2.0, smallest subnormal
    const t = readNpy(npyBytes("{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }", body));
    expect([...t.data]).toEqual([1, -2, 2 ** -24]);
    const b = readNpy(npyBytes("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", new Uint8Array([1, 0])));
    expect(b.dtype).toBe('bool');
  });

  it('explains bad files', () => {
    expect(() => readNpy(new TextEncoder().encode('col1,col2\n1,2\n'), 'data.csv')).toThrow(/data\.csv: not a \.npy file/);
    const short = npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", new Uint8Array(8));
    expect(() => readNpy(short, 'x.npy')).toThrow(/x\.npy: \.npy data has 8 bytes, shape \[4\] of <f4 needs 16 \(truncated\?\)/);
    const cplx = npyBytes("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(8));
    expect(() => readNpy(cplx, 'c.npy')).toThrow(NnInputError);
    expect(() => readNpy(cplx, 'c.npy')).toThrow(/dtype '<c8' is not supported/);
  });

  it('a file\'s aligned float32 payload is a view of the file\'s own buffer (shared on request); others are copies', () => {
    const dir = mkdtempSync(join(tmpdir(), 'npy-'));
    try {
      const data = Float32Array.from([1.5, -2, 3, Number.MIN_VALUE, -0, 7]);
      const file = join(dir, 'x.npy');
      writeFileSync(file, writeNpy({ dtype: 'float32', shape: [2, 3], data }));
      const plain = readNpyFile(file);
      const shared = readNpyFile(file, { shared: true });
      for (const t of [plain, shared]) {
        expect(t.shape).toEqual([2, 3]);
        expect([...t.data]).toEqual([...data]);
        expect(Object.is(t.data[4], -0)).toBe(true);
        // A view past the header: no copy of the payload.
        expect(t.data.byteOffset).toBe(t.data.buffer.byteLength - data.byteLength);
      }
      expect(plain.data.buffer).toBeInstanceOf(ArrayBuffer);
      expect(shared.data.buffer).toBeInstanceOf(SharedArrayBuffer);
      // A header that leaves the payload unaligned (not what numpy writes) is copied, and still right.
      const body = new Uint8Array(data.buffer);
      let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }";
      while ((10 + header.length + 1) % 4 !== 2) header += ' ';
      const odd = new Uint8Array(10 + header.length + 1 + body.length);
      odd.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
      new DataView(odd.buffer).setUint16(8, header.length + 1, true);
      odd.set(Buffer.from(`${header}\n`, 'latin1'), 10);
      odd.set(body, 10 + header.length + 1);
      expect((10 + header.length + 1) % 4).not.toBe(0);
      writeFileSync(join(dir, 'odd.npy'), odd);
      const o = readNpyFile(join(dir, 'odd.npy'), { shared: true });
      expect([...o.data]).toEqual([...data]);
      expect(o.data.byteOffset % 4).toBe(0);
      // Big-endian float32 decodes element by element.
      const be = new Uint8Array(body.length);
      const dv = new DataView(be.buffer);
      data.forEach((v, i) => dv.setFloat32(4 * i, v, false));
      writeFileSync(join(dir, 'be.npy'), npyBytes("{'descr': '>f4', 'fortran_order': False, 'shape': (6,), }", be));
      expect([...readNpyFile(join(dir, 'be.npy')).data]).toEqual([...data]);
      expect(() => readNpyFile(join(dir, 'missing.npy'))).toThrow(/missing\.npy: cannot read \(ENOENT\)/);
      expect(() => readNpyFile(dir)).toThrow(NnInputError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a prefetched file is read once, ahead, and taken by the first matching readNpyFile; failures surface there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'npy-'));
    try {
      const data = Float32Array.from({ length: 1000 }, (_, i) => i / 7);
      const file = join(dir, 'x.npy');
      writeFileSync(file, writeNpy({ dtype: 'float32', shape: [10, 100], data }));
      prefetchNpy([file, join(dir, 'missing.npy')], true);
      await prefetchDone();
      // Rewritten after the prefetch: the prefetched bytes (the old contents) are what the first read gets.
      writeFileSync(file, writeNpy({ dtype: 'float32', shape: [1000], data }));
      const first = readNpyFile(file, { shared: true });
      expect(first.shape).toEqual([10, 100]);
      expect([...first.data]).toEqual([...data]);
      expect(first.data.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(readNpyFile(file, { shared: true }).shape).toEqual([1000]); // taken: read anew
      expect(() => readNpyFile(join(dir, 'missing.npy'), { shared: true })).toThrow(/missing\.npy: cannot read \(ENOENT\)/);
      // Bytes prefetched as shared are not handed to a plain read, and dropPrefetched forgets them.
      prefetchNpy([file], true);
      await prefetchDone();
      expect(readNpyFile(file).data.buffer).toBeInstanceOf(ArrayBuffer);
      dropPrefetched();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
