/**
 * A SavedModel whose weights are unfrozen variables: the variables bundle (variables.index, a
 * LevelDB-format table of BundleEntryProto; variables.data-00000-of-00001, the raw tensor
 * bytes) is read and each variable becomes a constant. Fixtures are written here: the
 * GraphDef with our own builder, the table with a minimal SSTable writer (one data block, an
 * index block, an empty metaindex, the footer and magic), so no TensorFlow install is needed.
 * Checked: TF1 VariableV2 + Identity reads with the checkpoint saver subgraph, and resource
 * variables (VarHandleOp + ReadVariableOp); float output against the dense layer computed in
 * JavaScript; a missing shard and a truncated index are clear errors.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/frontend/index.js';
import { tfType } from '../../src/frontend/tf/schema.js';
import { GraphDefBuilder } from '../../src/frontend/tf/write.js';
import { runFloat } from '../../src/sim/float/executor.js';
import { NnInputError } from '../../src/util/tensor.js';

const root = mkdtempSync(join(tmpdir(), 'nn2hls-savedmodel-'));

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

/** A table block with every entry a restart point (no shared key prefixes). */
function block(entries: [string, Uint8Array][]): Uint8Array {
  const bytes: number[] = [];
  const restarts: number[] = [];
  for (const [k, v] of entries) {
    restarts.push(bytes.length);
    const kb = new TextEncoder().encode(k);
    bytes.push(...varint(0), ...varint(kb.length), ...varint(v.length), ...kb, ...v);
  }
  if (!restarts.length) restarts.push(0);
  const tail = new Uint8Array(4 * (restarts.length + 1));
  const dv = new DataView(tail.buffer);
  restarts.forEach((r, i) => dv.setUint32(4 * i, r, true));
  dv.setUint32(4 * restarts.length, restarts.length, true);
  return Uint8Array.from([...bytes, ...tail]);
}

/** An SSTable of sorted entries: data block, metaindex, index, footer (handles, padding, magic). */
function table(entries: [string, Uint8Array][]): Uint8Array {
  const parts: number[] = [];
  const put = (b: Uint8Array) => {
    const h = { offset: parts.length, size: b.length };
    parts.push(...b, 0, 0, 0, 0, 0); // trailer: no compression, checksum (not checked)
    return h;
  };
  const data = put(block(entries));
  const meta = put(block([]));
  const index = put(block([[entries[entries.length - 1]![0], Uint8Array.from([...varint(data.offset), ...varint(data.size)])]]));
  const footer = [...varint(meta.offset), ...varint(meta.size), ...varint(index.offset), ...varint(index.size)];
  while (footer.length < 40) footer.push(0);
  footer.push(0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb);
  return Uint8Array.from([...parts, ...footer]);
}

const KERNEL = [0.5, -0.25, 1.5, 0.75, -1, 0.125];
const BIAS = [0.1, -0.2];

/** saved_model.pb + variables/ for x [-1, 3] -> Relu(x·kernel + bias), with the weights in variables. */
function savedModel(name: string, resource: boolean): string {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', [-1, 3]);
  const f32 = { T: { type: 'float32' as const } };
  const read = (v: string, shape: number[]) => {
    if (resource) {
      b.node(`${v}_handle`, 'VarHandleOp', [], { dtype: { type: 'float32' }, shape: { shape }, shared_name: { s: v } });
      return b.node(`${v}/Read/ReadVariableOp`, 'ReadVariableOp', [`${v}_handle`], { dtype: { type: 'float32' } });
    }
    b.node(v, 'VariableV2', [], { dtype: { type: 'float32' }, shape: { shape } });
    return b.node(`${v}/read`, 'Identity', [v], f32);
  };
  const k = read('dense/kernel', [3, 2]);
  const bb = read('dense/bias', [2]);
  b.node('out', 'Relu', [b.node('dense/BiasAdd', 'BiasAdd', [b.node('dense/MatMul', 'MatMul', [x, k], f32), bb], f32)], f32);
  if (!resource) {
    // The TF1 saver: restore ops assign the checkpoint's tensors; none of it is the model.
    const restore = b.node('save/RestoreV2', 'RestoreV2', [b.const('save/Const', [], [0]), b.const('save/names', [2], [0, 0]), b.const('save/slices', [2], [0, 0])]);
    b.node('save/Assign', 'Assign', ['dense/kernel', `${restore}`], f32);
    b.node('save/Assign_1', 'Assign', ['dense/bias', `${restore}:1`], f32);
    b.node('save/restore_all', 'NoOp', ['^save/Assign', '^save/Assign_1']);
  }
  const dir = join(root, name);
  mkdirSync(join(dir, 'variables'), { recursive: true });
  const sm = tfType('SavedModel');
  writeFileSync(join(dir, 'saved_model.pb'), sm.encode(sm.fromObject({ savedModelSchemaVersion: 1, metaGraphs: [{ graphDef: tfType('GraphDef').decode(b.encode()) }] })).finish());
  const data = new Float32Array([...BIAS, ...KERNEL]);
  const entry = (shape: number[], offset: number, n: number) =>
    tfType('BundleEntryProto').encode(tfType('BundleEntryProto').fromObject({ dtype: 1, shape: { dim: shape.map((size) => ({ size })) }, shardId: 0, offset, size: 4 * n })).finish();
  writeFileSync(join(dir, 'variables', 'variables.index'), table([
    ['', tfType('BundleHeaderProto').encode(tfType('BundleHeaderProto').fromObject({ numShards: 1 })).finish()],
    ['dense/bias', entry([2], 0, 2)],
    ['dense/kernel', entry([3, 2], 8, 6)],
  ]));
  writeFileSync(join(dir, 'variables', 'variables.data-00000-of-00001'), new Uint8Array(data.buffer));
  return dir;
}

describe('SavedModel with unfrozen variables', () => {
  for (const resource of [false, true]) {
    it(`reads the variables bundle (${resource ? 'VarHandleOp + ReadVariableOp' : 'VariableV2 + saver subgraph'})`, () => {
      const dir = savedModel(resource ? 'resource' : 'v1', resource);
      const g = loadModel(dir);
      expect(g.nodes.map((n) => n.op)).toEqual(['Dense', 'Add', 'Relu']);
      expect(g.outputs.map((o) => o.modelName)).toEqual(['out']);
      const x = Float32Array.from([1, 2, -1, 0.5, -0.5, 2]);
      const y = runFloat(g, [{ shape: [2, 3], data: x }])[0]!;
      const want = [0, 1].flatMap((r) => [0, 1].map((j) => Math.max(0, BIAS[j]! + [0, 1, 2].reduce((s, i) => s + x[r * 3 + i]! * KERNEL[i * 2 + j]!, 0))));
      want.forEach((w, i) => expect(y.data[i]).toBeCloseTo(w, 6));
      expect(want.some((w) => w > 0)).toBe(true);
    });
  }

  it('a missing data shard and a truncated index are clear errors', () => {
    const dir = savedModel('broken', false);
    writeFileSync(join(dir, 'variables', 'variables.data-00000-of-00001'), new Uint8Array(8));
    expect(() => loadModel(dir)).toThrow(/variable 'dense\/kernel' lies beyond its data shard/);
    const dir2 = savedModel('noshard', false);
    rmSync(join(dir2, 'variables', 'variables.data-00000-of-00001'));
    expect(() => loadModel(dir2)).toThrow(NnInputError);
    expect(() => loadModel(dir2)).toThrow(/data shard .*variables\.data-00000-of-00001 is missing/);
    const dir3 = savedModel('truncated', true);
    writeFileSync(join(dir3, 'variables', 'variables.index'), new Uint8Array(20));
    expect(() => loadModel(dir3)).toThrow(/not a readable TensorFlow variables index \(20 bytes/);
  });
});
