/**
 * TensorProto decoding in every storage form ONNX allows: the same values stored as raw_data
 * and as the typed repeated fields must decode identically, half floats must decode exactly,
 * and unsupported or inconsistent tensors must be refused with the tensor's location.
 */
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { decodeTensorProto } from '../../src/frontend/onnx/tensor-proto.js';

const { onnx } = onnxProto;
const T = onnx.TensorProto.DataType;

function raw(bytes: number[] | ArrayBufferView): Uint8Array {
  return bytes instanceof Array ? Uint8Array.from(bytes) : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

describe('decodeTensorProto', () => {
  it('decodes raw_data and typed fields to the same values', () => {
    const cases: [number, Record<string, unknown>, Uint8Array, unknown[]][] = [
      [T.FLOAT, { floatData: [1.5, -2] }, raw(Float32Array.from([1.5, -2])), [1.5, -2]],
      [T.DOUBLE, { doubleData: [0.1, 3] }, raw(Float64Array.from([0.1, 3])), [0.1, 3]],
      [T.INT32, { int32Data: [-7, 9] }, raw(Int32Array.from([-7, 9])), [-7, 9]],
      [T.INT8, { int32Data: [-128, 127] }, raw([0x80, 0x7f]), [-128, 127]],
      [T.UINT8, { int32Data: [0, 255] }, raw([0, 255]), [0, 255]],
      [T.INT16, { int32Data: [-300, 300] }, raw(Int16Array.from([-300, 300])), [-300, 300]],
      [T.INT64, { int64Data: [-5, 2 ** 40] }, raw(BigInt64Array.from([-5n, 2n ** 40n])), [-5n, 2n ** 40n]],
      [T.BOOL, { int32Data: [1, 0] }, raw([1, 0]), [1, 0]],
      [T.FLOAT16, { int32Data: [0x3c00, 0xc000] }, raw(Uint16Array.from([0x3c00, 0xc000])), [1, -2]],
      [T.BFLOAT16, { int32Data: [0x3f80, 0x4049] }, raw(Uint16Array.from([0x3f80, 0x4049])), [1, 3.140625]],
      [T.UINT64, { uint64Data: [3, 4] }, raw(BigUint64Array.from([3n, 4n])), [3n, 4n]],
    ];
    for (const [dataType, fields, bytes, want] of cases) {
      const a = decodeTensorProto(onnx.TensorProto.create({ dims: [2], dataType, ...fields }), 'fields');
      const b = decodeTensorProto(onnx.TensorProto.create({ dims: [2], dataType, rawData: bytes }), 'raw');
      expect([...a.data], `type ${dataType} fields`).toEqual(want);
      expect([...b.data], `type ${dataType} raw`).toEqual(want);
      expect(a.dtype).toBe(b.dtype);
      expect(a.shape).toEqual([2]);
    }
  });

  it('reads scalars (no dims) and empty tensors', () => {
    expect([...decodeTensorProto(onnx.TensorProto.create({ dataType: T.FLOAT, floatData: [4] }), 's').data]).toEqual([4]);
    const e = decodeTensorProto(onnx.TensorProto.create({ dims: [0, 3], dataType: T.FLOAT }), 'e');
    expect(e.data.length).toBe(0);
  });

  it('refuses what it cannot represent, naming the tensor', () => {
    const s = onnx.TensorProto.create({ dims: [1], dataType: T.STRING, stringData: [new Uint8Array([65])] });
    expect(() => decodeTensorProto(s, "m.onnx: initializer 'names'")).toThrow(/m\.onnx: initializer 'names': STRING tensors are not supported/);
    const ext = onnx.TensorProto.create({ dims: [2], dataType: T.FLOAT, dataLocation: onnx.TensorProto.DataLocation.EXTERNAL, externalData: [{ key: 'location', value: 'w.bin' }] });
    expect(() => decodeTensorProto(ext, "initializer 'w'")).toThrow(/external file; re-save the model with onnx\.save/);
    const short = onnx.TensorProto.create({ dims: [3], dataType: T.FLOAT, rawData: new Uint8Array(8) });
    expect(() => decodeTensorProto(short, "initializer 'b'")).toThrow(/raw_data has 8 bytes, dims \[3\] of FLOAT need 12/);
    const missing = onnx.TensorProto.create({ dims: [3], dataType: T.FLOAT });
    expect(() => decodeTensorProto(missing, "initializer 'c'")).toThrow(/holds no data/);
  });
});
