/**
 * TensorFlow reader structure and errors: the cross-format check (hls4ml_3layer.pb imports to
 * the same layer list and shapes as the ONNX jet tagger), TF.js weights in every stored form
 * (float32, uint8/uint16 affine, float16; a weight straddling two shards), graph cuts, and the
 * clear errors for bad files: truncated or foreign bytes, a missing or short shard, NaN
 * weights, training-mode batch norm, a while loop, unsupported ops, unknown cut names, an
 * unfrozen SavedModel.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../src/ir/graph.js';
import { loadModel } from '../../src/frontend/index.js';
import { tfType } from '../../src/frontend/tf/schema.js';
import { GraphDefBuilder } from '../../src/frontend/tf/write.js';
import { runFloat } from '../../src/sim/float/executor.js';
import { NnInputError } from '../../src/util/tensor.js';

const SHARED = join(__dirname, '../../../shared/models');
const have = existsSync(SHARED);
const dir = mkdtempSync(join(tmpdir(), 'nn2hls-tfimp-'));

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(NnInputError);
    return (e as Error).message;
  }
  throw new Error('expected an NnInputError');
}

const layers = (g: Graph) => g.nodes.map((n) => `${n.op}:[${n.outputs.map((o) => g.values.get(o)!.shape.join(',')).join(';')}]`);

describe.skipIf(!have)('cross-format: TensorFlow and ONNX jet taggers', () => {
  it('hls4ml_3layer.pb has the layer list and shapes of three_layer_keras.onnx', () => {
    const tf = loadModel(join(SHARED, 'tensorflow/hls4ml_3layer.pb'));
    const onnx = loadModel(join(SHARED, 'onnx/three_layer_keras.onnx'));
    expect(layers(tf)).toEqual(layers(onnx));
    expect(layers(tf)).toEqual(['Dense:[64]', 'Add:[64]', 'Relu:[64]', 'Dense:[32]', 'Add:[32]', 'Relu:[32]', 'Dense:[32]', 'Add:[32]', 'Relu:[32]', 'Dense:[5]', 'Add:[5]', 'Softmax:[5]']);
    expect(tf.inputs.map((i) => i.modelShape)).toEqual([[null, 16]]);
  });
});

/** A one-Dense graph as a TF.js graph-model directory; `store` writes the weight bytes. */
function tfjsModel(name: string, w: number[], wShape: number[], quant?: { dtype: 'uint8' | 'uint16' | 'float16'; scale?: number; min?: number }, shards = 1): string {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', [-1, wShape[0]!]);
  b.node('w', 'Const', [], { dtype: { type: 'float32' } });
  b.node('y', 'MatMul', [x, 'w'], { transpose_a: { b: false }, transpose_b: { b: false } });
  const topo = tfType('GraphDef').toObject(tfType('GraphDef').decode(b.encode()), { enums: String, longs: String, bytes: String });
  const n = w.length;
  let bytes: Uint8Array;
  if (!quant) bytes = new Uint8Array(Float32Array.from(w).buffer);
  else if (quant.dtype === 'float16') {
    const dv = new DataView(new ArrayBuffer(2 * n));
    // Values chosen exactly representable in binary16: sign, exponent 15 (+-1.x), 10-bit mantissa.
    w.forEach((v, i) => dv.setUint16(2 * i, (v < 0 ? 0x8000 : 0) | (15 << 10) | Math.round((Math.abs(v) - 1) * 1024), true));
    bytes = new Uint8Array(dv.buffer);
  } else {
    const q = w.map((v) => Math.round((v - quant.min!) / quant.scale!));
    bytes = quant.dtype === 'uint8' ? Uint8Array.from(q) : new Uint8Array(Uint16Array.from(q).buffer);
  }
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  const cut = Math.floor(bytes.length / shards) + 1;
  const paths: string[] = [];
  for (let s = 0; s < shards; s++) {
    const p = `group1-shard${s + 1}of${shards}.bin`;
    writeFileSync(join(d, p), bytes.subarray(s * cut, Math.min(bytes.length, (s + 1) * cut)));
    paths.push(p);
  }
  const spec = { name: 'w', shape: wShape, dtype: 'float32', ...(quant ? { quantization: { dtype: quant.dtype, ...(quant.scale !== undefined ? { scale: quant.scale, min: quant.min } : {}) } } : {}) };
  writeFileSync(join(d, 'model.json'), JSON.stringify({ format: 'graph-model', modelTopology: topo, weightsManifest: [{ paths, weights: [spec] }] }));
  return d;
}

function denseWeights(g: Graph): number[] {
  const dense = g.nodes.find((n) => n.op === 'Dense')!;
  return Array.from(g.values.get(dense.inputs[1]!)!.data!);
}

describe('TF.js graph-model weights', () => {
  const w = [1.5, -1.25, 1.0, -1.75, 1.125, 1.0625];
  it('float32 weights over two shards (a weight straddling them) read exactly', () => {
    const g = loadModel(tfjsModel('f32', w, [3, 2], undefined, 2));
    expect(denseWeights(g)).toEqual(w);
    const y = runFloat(g, [{ shape: [1, 3], data: Float32Array.from([1, 2, 3]) }])[0]!;
    expect(Array.from(y.data)).toEqual([1.5 * 1 + 1.0 * 2 + 1.125 * 3, -1.25 * 1 - 1.75 * 2 + 1.0625 * 3]);
  });
  it('uint8 and uint16 affine-quantized weights dequantize as q·scale + min', () => {
    const g8 = loadModel(tfjsModel('u8', w, [3, 2], { dtype: 'uint8', scale: 0.0135, min: -1.75 }));
    const want = w.map((v) => Math.fround(Math.round((v + 1.75) / 0.0135) * 0.0135 - 1.75));
    expect(denseWeights(g8)).toEqual(want);
    const g16 = loadModel(tfjsModel('u16', w, [3, 2], { dtype: 'uint16', scale: 1 / 4096, min: -2 }));
    expect(denseWeights(g16)).toEqual(w);
  });
  it('float16 weights decode from binary16', () => {
    expect(denseWeights(loadModel(tfjsModel('f16', w, [3, 2], { dtype: 'float16' })))).toEqual(w);
  });
  it('a missing shard, a short shard and quantization without scale are clear errors', () => {
    const d = tfjsModel('miss', w, [3, 2], undefined, 2);
    writeFileSync(join(d, 'model.json'), readFileSync(join(d, 'model.json'), 'utf8').replace('group1-shard2of2.bin', 'gone.bin'));
    expect(errorOf(() => loadModel(d))).toMatch(/weight shard 'gone.bin' \(group 0\) is missing/);
    const s = tfjsModel('short', w, [3, 2]);
    writeFileSync(join(s, 'group1-shard1of1.bin'), new Uint8Array(10));
    expect(errorOf(() => loadModel(s))).toMatch(/group 0 .* has 10 bytes but its manifest describes 24/);
    expect(errorOf(() => loadModel(tfjsModel('noscale', w, [3, 2], { dtype: 'uint8' })))).toMatch(/uint8-quantized but has no scale\/min/);
  });
  it('NaN weights are refused with the weight named', () => {
    expect(errorOf(() => loadModel(tfjsModel('nan', [1, NaN, 2, 3, 4, 5], [3, 2])))).toMatch(/weight 'w'.*element 1 is NaN/);
    const b = new GraphDefBuilder();
    const x = b.placeholder('x', [-1, 2]);
    b.node('y', 'Add', [x, b.const('c', [2], [1, Infinity])]);
    const p = join(dir, 'inf.pb');
    writeFileSync(p, b.encode());
    expect(errorOf(() => loadModel(p))).toMatch(/node 'c' \(Const\).*element 1 is Infinity/);
  });
});

describe('frozen GraphDef errors', () => {
  const small = () => {
    const b = new GraphDefBuilder();
    const x = b.placeholder('x', [-1, 4]);
    b.node('r', 'Relu', [b.node('m', 'MatMul', [x, b.const('w', [4, 3], new Array(12).fill(0.5))])]);
    return b;
  };
  it('a truncated file and foreign bytes are clear errors', () => {
    const bytes = small().encode();
    const t = join(dir, 'trunc.pb');
    writeFileSync(t, bytes.subarray(0, bytes.length - 20));
    expect(errorOf(() => loadModel(t))).toMatch(/trunc\.pb: not a readable TensorFlow GraphDef .*truncated/);
    const f = join(dir, 'foreign.pb');
    writeFileSync(f, Buffer.from('GIF89a this is not a graph at all'));
    expect(errorOf(() => loadModel(f))).toMatch(/foreign\.pb: not a (readable )?TensorFlow GraphDef/);
  });
  it('training-mode FusedBatchNorm (the op default) is refused, saying how to fix it', () => {
    const b = new GraphDefBuilder();
    const x = b.placeholder('x', [-1, 2, 2, 3]);
    const p = (n: string) => b.const(n, [3], [1, 1, 1]);
    b.node('bn', 'FusedBatchNorm', [x, p('g'), p('b'), p('m'), p('v')]);
    const path = join(dir, 'bn.pb');
    writeFileSync(path, b.encode());
    expect(errorOf(() => loadModel(path))).toMatch(/node 'bn' \(FusedBatchNorm\): is_training is true.*inference mode/);
  });
  it('every unsupported op type is listed in one error, with its nodes', () => {
    const b = small();
    b.node('e1', 'Erf', ['r']);
    b.node('e2', 'Erf', ['e1']);
    b.node('cu', 'Cumsum', ['e2', b.const('ax', [], [1], 'int32')]);
    const path = join(dir, 'unsup.pb');
    writeFileSync(path, b.encode());
    const msg = errorOf(() => loadModel(path));
    expect(msg).toMatch(/2 unsupported op type\(s\):\n {2}Erf: 'e1', 'e2'\n {2}Cumsum: 'cu'/);
    expect(msg).toContain('Supported TensorFlow ops:');
  });
  it('unknown --inputs/--outputs names are errors listing candidates; a cut input without dims asks for them', () => {
    const path = join(dir, 'cut.pb');
    writeFileSync(path, small().encode());
    expect(errorOf(() => loadModel(path, { outputs: ['rel'] }))).toMatch(/--outputs: no node named 'rel'; candidates: r/);
    expect(errorOf(() => loadModel(path, { inputs: [{ name: 'mm' }] }))).toMatch(/--inputs: no node named 'mm'; candidates: .*m/);
    expect(errorOf(() => loadModel(path, { inputs: [{ name: 'm' }] }))).toMatch(/input 'm' has no declared shape; give it as --inputs m:d0,d1/);
    const g = loadModel(path, { inputs: [{ name: 'm', dims: [-1, 3] }], outputs: ['r'] });
    expect(g.nodes.map((n) => n.op)).toEqual(['Relu']);
  });
  it('a while loop that is not an LSTM cell is refused naming the frame and the ops inside it', () => {
    // A counter loop: i = 0; while (i < 5) i = i + x  (cyclic control flow, no recurrent cell).
    const b = new GraphDefBuilder();
    const x = b.placeholder('x', [-1, 2]);
    const fr = { frame_name: { s: 'loop/while/while_context' } };
    b.node('loop/while/Enter', 'Enter', [b.const('zero', [1, 2], [0, 0])], fr);
    b.node('loop/while/Merge', 'Merge', ['loop/while/Enter', 'loop/while/NextIteration']);
    b.node('loop/while/Less', 'Less', ['loop/while/Merge', b.const('five', [], [5])]);
    b.node('loop/while/LoopCond', 'LoopCond', ['loop/while/Less']);
    b.node('loop/while/Switch', 'Switch', ['loop/while/Merge', 'loop/while/LoopCond']);
    b.node('loop/while/Identity', 'Identity', ['loop/while/Switch:1']);
    b.node('loop/while/add', 'AddV2', ['loop/while/Identity', x]);
    b.node('loop/while/NextIteration', 'NextIteration', ['loop/while/add']);
    b.node('loop/while/Exit', 'Exit', ['loop/while/Switch']);
    b.node('y', 'Relu', ['loop/while/Exit']);
    const p = join(dir, 'loop.pb');
    writeFileSync(p, b.encode());
    const msg = errorOf(() => loadModel(p));
    expect(msg).toMatch(/while loop/);
    expect(msg).toMatch(/frame 'loop\/while\/while_context': AddV2, Enter, Exit, Identity, Less, LoopCond, Merge, NextIteration, Switch/);
  });
  it.skipIf(!have)('the keyword-spotting audio front end is listed as unsupported when the graph is not cut', () => {
    expect(errorOf(() => loadModel(join(SHARED, 'tensorflow/kws/DNN_S.pb')))).toMatch(/DecodeWav: 'decoded_sample_data'\n {2}AudioSpectrogram: 'AudioSpectrogram'\n {2}Mfcc: 'Mfcc'/);
  });
  it('a SavedModel whose weights are variables is refused with how to freeze it', () => {
    const b = new GraphDefBuilder();
    b.node('v', 'VarHandleOp', [], { dtype: { type: 'float32' } });
    b.node('call', 'StatefulPartitionedCall', ['v']);
    const sm = tfType('SavedModel');
    const graph = tfType('GraphDef').decode(b.encode());
    const d = join(dir, 'saved');
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'saved_model.pb'), sm.encode(sm.fromObject({ savedModelSchemaVersion: 1, metaGraphs: [{ graphDef: graph }] })).finish());
    expect(errorOf(() => loadModel(d))).toMatch(/keeps its weights in variables \(VarHandleOp, StatefulPartitionedCall\).*convert_variables_to_constants_v2/);
  });
  it('Const typed fields: one value fills the shape, half_val holds float16 bits', () => {
    const T = tfType('GraphDef');
    const g = T.fromObject({
      node: [
        { name: 'x', op: 'Placeholder', attr: { dtype: { type: 1 }, shape: { shape: { dim: [{ size: -1 }, { size: 3 }] } } } },
        { name: 'c', op: 'Const', attr: { value: { tensor: { dtype: 1, tensorShape: { dim: [{ size: 3 }] }, floatVal: [0.25] } } } },
        { name: 'h', op: 'Const', attr: { value: { tensor: { dtype: 19, tensorShape: { dim: [{ size: 3 }] }, halfVal: [0x3c00, 0xc000, 0x3800] } } } },
        { name: 'a', op: 'Mul', input: ['x', 'c'] },
        { name: 'y', op: 'AddV2', input: ['a', 'h'] },
      ],
    });
    const p = join(dir, 'typed.pb');
    writeFileSync(p, T.encode(g).finish());
    const y = runFloat(loadModel(p), [{ shape: [1, 3], data: Float32Array.from([4, 8, 12]) }])[0]!;
    expect(Array.from(y.data)).toEqual([1 + 1, 2 - 2, 3 + 0.5]);
  });
});
