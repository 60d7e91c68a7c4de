/**
 * .npy reading and writing: round trips, byte orders, Fortran order, header versions, and the
 * errors a user sees for files that are not what they claim to be. The fixtures are built
 * byte by byte here, following the format NumPy documents, so no Python is needed.
 */
import { describe, expect, it } from 'vitest';
import { readNpy, writeNpy } from '../../src/util/npy.js';
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
});
