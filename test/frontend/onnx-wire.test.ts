/**
 * Our ONNX wire decoder (src/frontend/onnx/wire.ts) against onnx-proto/protobufjs: every field
 * the reader uses decodes to the same value on every ONNX model the repository has (examples,
 * test fixtures, ../shared when present), int64 edge values and both encodings of repeated
 * fields included; damaged files give the reader's one-line error.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { decodeModelProto, decodeTensorProtoBytes } from '../../src/frontend/onnx/wire.js';
import { loadOnnxFile } from '../../src/frontend/onnx/model.js';
import { NnInputError } from '../../src/util/tensor.js';

const { onnx } = onnxProto;
const ROOT = join(import.meta.dirname, '../..');

function onnxFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? onnxFiles(p) : e.endsWith('.onnx') ? [p] : [];
  });
}

/** protobufjs's value in the wire decoder's form: Long → number when safe, else bigint. */
function norm(v: unknown): unknown {
  if (v && typeof v === 'object' && 'low' in v && 'high' in v && 'unsigned' in v) {
    const b = BigInt(String(v));
    return Number.isSafeInteger(Number(b)) && BigInt(Number(b)) === b ? Number(b) : b;
  }
  return v;
}

/** Compares every field of ours with theirs (which reads protobufjs's prototype defaults). */
function same(ours: unknown, theirs: unknown, path: string): void {
  if (ours instanceof Uint8Array) {
    expect([...(theirs as Uint8Array)], path).toEqual([...ours]);
    return;
  }
  if (Array.isArray(ours)) {
    const t = theirs as unknown[];
    expect(t.length, `${path}.length`).toBe(ours.length);
    ours.forEach((o, i) => same(o, t[i], `${path}[${i}]`));
    return;
  }
  if (ours && typeof ours === 'object') {
    expect(theirs, path).toBeTruthy();
    for (const [k, v] of Object.entries(ours)) same(v, (theirs as Record<string, unknown>)[k], `${path}.${k}`);
    return;
  }
  if (typeof ours === 'number' && Number.isNaN(ours)) expect(Number.isNaN(theirs as number), path).toBe(true);
  else expect(norm(theirs), path).toEqual(ours);
}

const models = [...onnxFiles(join(ROOT, 'examples')), ...onnxFiles(join(ROOT, 'test/fixtures')), ...onnxFiles(join(ROOT, '../shared/models/onnx'))];

describe('ONNX wire decoder', () => {
  it('finds models to compare', () => expect(models.length).toBeGreaterThan(10));

  it.each(models.map((m) => [m.slice(ROOT.length + 1), m]))('%s decodes as onnx-proto decodes it', (_, file) => {
    const bytes = readFileSync(file);
    same(decodeModelProto(bytes), onnx.ModelProto.decode(bytes), 'model');
  });

  it('int64 edges, negative ints, packed and unpacked repeated fields, oneof dims', () => {
    const big = ['9223372036854775807', '-9223372036854775808', '-1', '9007199254740993', '-3', '0', '4294967296'];
    const tp = onnx.TensorProto.create({ name: 'w', dims: [big.length], dataType: 7, int64Data: big.map((s) => onnxProto.onnx.TensorProto.fromObject({ int64Data: [s] }).int64Data[0]!) });
    const ours = decodeTensorProtoBytes(onnx.TensorProto.encode(tp).finish());
    expect(ours.int64Data!.map((v) => BigInt(v as number | bigint))).toEqual(big.map(BigInt));
    expect(ours.int64Data![2]).toBe(-1);
    expect(typeof ours.int64Data![0]).toBe('bigint');
    // Unpacked int64 (proto2 style) and a uint64 beyond 2^63.
    const w = onnxProto.onnx.TensorProto.fromObject({ uint64Data: ['18446744073709551615', '7'], floatData: [1.5, -0, Infinity], int32Data: [-5, 2147483647] });
    const bytes = onnx.TensorProto.encode(w).finish();
    const o2 = decodeTensorProtoBytes(bytes);
    expect(o2.uint64Data).toEqual([18446744073709551615n, 7]);
    expect(o2.floatData).toEqual([1.5, -0, Infinity]);
    expect(o2.int32Data).toEqual([-5, 2147483647]);
    // dims written one by one (unpacked: tag 0x08 per value) decode like packed ones.
    const unpacked = Uint8Array.from([0x08, 0x02, 0x08, 0x03, 0x10, 0x01]);
    expect(decodeTensorProtoBytes(unpacked)).toMatchObject({ dims: [2, 3], dataType: 1 });
    const attr = onnx.AttributeProto.create({ name: 'ends', type: 7, ints: onnxProto.onnx.AttributeProto.fromObject({ ints: ['9223372036854775807', '-1'] }).ints });
    const node = onnx.NodeProto.create({ opType: 'Slice', attribute: [attr] });
    const shape = onnx.TensorShapeProto.create({ dim: [{ dimParam: 'N' }, { dimValue: 28 }, {}] });
    const vi = onnx.ValueInfoProto.create({ name: 'x', type: { tensorType: { elemType: 1, shape } } });
    const m = onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph: { node: [node], input: [vi] } });
    const mb = onnx.ModelProto.encode(m).finish();
    const dec = decodeModelProto(mb);
    same(dec, onnx.ModelProto.decode(mb), 'model');
    expect(dec.graph!.node![0]!.attribute![0]!.ints).toEqual([9223372036854775807n, -1]);
    expect(dec.graph!.input![0]!.type!.tensorType!.shape!.dim!.map((d) => (d as { value?: string }).value)).toEqual(['dimParam', 'dimValue', undefined]);
  });

  it('a damaged model is one clear input error', () => {
    const file = join(ROOT, 'examples/lenet5_mnist.onnx');
    const bytes = readFileSync(file);
    for (const cut of [bytes.subarray(0, bytes.length >> 1), Uint8Array.from([0x08, 0x80]), Uint8Array.from([0x0f])]) {
      let err: unknown;
      try {
        decodeModelProto(cut);
      } catch (e) {
        err = e;
      }
      expect(err, 'throws').toBeInstanceOf(Error);
    }
    expect(() => loadOnnxFile(join(ROOT, 'package.json'))).toThrow(NnInputError);
  });
});
