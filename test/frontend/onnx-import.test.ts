/**
 * ONNX frontend behaviour on small synthetic models: layouts (Keras' NHWC↔NCHW transposes
 * vanish, PyTorch's NCHW input gets exactly one transpose), batch-dim recognition and its
 * fallback, folding of exporter shape arithmetic, and the errors users see for bad models.
 */
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/frontend/onnx/model.js';
import { verify } from '../../src/ir/verify.js';
import { runFloat } from '../../src/sim/float/executor.js';
import { NnInputError } from '../../src/util/tensor.js';
import { buildModel } from '../helpers/onnx-builder.js';

const ops = (g: ReturnType<typeof importOnnx>) => g.nodes.map((n) => n.op);
const seq = (n: number, scale = 0.1) => Array.from({ length: n }, (_, i) => ((i * 7) % 11) * scale - 0.5);

describe('layouts', () => {
  it("Keras NHWC model: the Transpose pair around Conv disappears", () => {
    const bytes = buildModel({
      inputs: [['x', ['N', 8, 8, 1]]],
      outputs: [['y', ['N', 4]]],
      inits: [
        ['w', [2, 1, 3, 3], seq(18)],
        ['fcw', [72, 4], seq(288, 0.01)],
      ],
      nodes: [
        { op: 'Transpose', inputs: ['x'], outputs: ['xt'], attrs: { perm: [0, 3, 1, 2] } },
        { op: 'Conv', inputs: ['xt', 'w'], outputs: ['c'], attrs: { kernel_shape: [3, 3] } },
        { op: 'Relu', inputs: ['c'], outputs: ['r'] },
        { op: 'Transpose', inputs: ['r'], outputs: ['rt'], attrs: { perm: [0, 2, 3, 1] } },
        { op: 'Flatten', inputs: ['rt'], outputs: ['f'] },
        { op: 'MatMul', inputs: ['f', 'fcw'], outputs: ['y'] },
      ],
    });
    const g = verify(importOnnx(bytes, 'keras.onnx'));
    expect(g.batched).toBe(true);
    expect(ops(g)).toEqual(['Conv', 'Relu', 'Reshape', 'Dense']);
    expect(g.values.get(g.nodes[0]!.outputs[0]!)!.shape).toEqual([6, 6, 2]);
  });

  it('PyTorch NCHW model: one transpose in, one back before Flatten', () => {
    const bytes = buildModel({
      inputs: [['x', ['batch', 1, 6, 6]]],
      outputs: [['y', ['batch', 3]]],
      inits: [
        ['w', [2, 1, 3, 3], seq(18)],
        ['fcw', [3, 18], seq(54, 0.01)],
        ['fcb', [3], [0.1, 0.2, 0.3]],
      ],
      nodes: [
        { op: 'Conv', inputs: ['x', 'w'], outputs: ['c'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
        { op: 'MaxPool', inputs: ['c'], outputs: ['p'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
        { op: 'Flatten', inputs: ['p'], outputs: ['f'] },
        { op: 'Gemm', inputs: ['f', 'fcw', 'fcb'], outputs: ['y'], attrs: { transB: 1 } },
      ],
    });
    const g = verify(importOnnx(bytes, 'torch.onnx'));
    expect(ops(g)).toEqual(['Transpose', 'Conv', 'MaxPool', 'Transpose', 'Reshape', 'Dense']);
    // A 1-channel input needs no data movement, but the IR still states the layout change.
    expect(g.nodes[3]!.attrs).toEqual({ perm: [2, 0, 1] });
  });
});

describe('batch dim', () => {
  const mlp = (dim0: number | string) =>
    buildModel({
      inputs: [['x', [dim0, 3]]],
      outputs: [['y', [dim0, 2]]],
      inits: [['w', [3, 2], [1, 2, 3, 4, 5, 6]]],
      nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }],
    });

  it('recognizes symbolic, 1 and fixed large batch dims; any batch size then runs', () => {
    for (const d of ['N', 1, 789444]) {
      const g = importOnnx(mlp(d), 'm.onnx');
      expect(g.batched).toBe(true);
      expect(g.inputs[0]!.modelShape).toEqual([typeof d === 'number' ? d : null, 3]);
      const [y] = runFloat(g, [{ shape: [2, 3], data: Float32Array.from([1, 0, 0, 0, 1, 1]) }]);
      expect([...y!.shape]).toEqual([2, 2]);
      expect([...y!.data]).toEqual([1, 2, 8, 10]);
    }
  });

  it('falls back to whole tensors when an op reduces over dim 0', () => {
    const bytes = buildModel({
      inputs: [['x', [3, 4]]],
      outputs: [['y', [3, 4]]],
      nodes: [{ op: 'Softmax', inputs: ['x'], outputs: ['y'], attrs: { axis: 0 } }],
    });
    const g = importOnnx(bytes, 's.onnx');
    expect(g.batched).toBe(false);
    const [y] = runFloat(g, [{ shape: [3, 4], data: new Float32Array(12) }]);
    expect(y!.data[0]).toBeCloseTo(1 / 3, 6);
    expect(() => runFloat(g, [{ shape: [2, 4], data: new Float32Array(8) }])).toThrow(/expected shape \[3,4\]/);
  });

  it("folds PyTorch's x.view(x.size(0), -1) shape arithmetic and keeps the batch", () => {
    const bytes = buildModel({
      inputs: [['x', ['N', 2, 3]]],
      outputs: [['y', ['N', 6]]],
      intInits: [
        ['zero', [], [0]],
        ['minus1', [1], [-1]],
      ],
      nodes: [
        { op: 'Shape', inputs: ['x'], outputs: ['s'] },
        { op: 'Gather', inputs: ['s', 'zero'], outputs: ['n'], attrs: { axis: 0 } },
        { op: 'Unsqueeze', inputs: ['n'], outputs: ['n1'], attrs: { axes: [0] } },
        { op: 'Concat', inputs: ['n1', 'minus1'], outputs: ['shape'], attrs: { axis: 0 } },
        { op: 'Reshape', inputs: ['x', 'shape'], outputs: ['y'] },
      ],
      opset: 11,
    });
    const g = importOnnx(bytes, 'view.onnx');
    expect(g.batched).toBe(true);
    expect(ops(g)).toEqual(['Reshape']);
    expect(g.nodes[0]!.attrs).toEqual({ shape: [6] });
  });
});

describe('errors users see', () => {
  it('lists every unsupported op type with its nodes and the file', () => {
    const bytes = buildModel({
      inputs: [['x', ['N', 4]]],
      outputs: [['y', ['N', 4]]],
      nodes: [
        { op: 'Foo', inputs: ['x'], outputs: ['a'], name: 'first' },
        { op: 'Foo', inputs: ['a'], outputs: ['b'], name: 'second' },
        { op: 'Bar', inputs: ['b'], outputs: ['y'], name: 'third', domain: 'com.example' },
      ],
    });
    let msg = '';
    try {
      importOnnx(bytes, 'models/odd.onnx');
    } catch (e) {
      expect(e).toBeInstanceOf(NnInputError);
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/^models\/odd\.onnx: 2 unsupported op type\(s\)/);
    expect(msg).toContain("Foo: 'first', 'second'");
    expect(msg).toContain("Bar (domain com.example): 'third'");
  });

  it('says when bytes are not an ONNX model', () => {
    expect(() => importOnnx(new TextEncoder().encode('hello, this is not a model'), 'x.onnx')).toThrow(NnInputError);
    expect(() => importOnnx(new Uint8Array([0x0a, 0xff, 0xff]), 'x.onnx')).toThrow(/x\.onnx: not/);
  });

  it('refuses symbolic dims other than the batch dim, naming the input', () => {
    const bytes = buildModel({
      inputs: [['seq', ['N', 'T', 4]]],
      outputs: [['y', ['N', 'T', 4]]],
      nodes: [{ op: 'Relu', inputs: ['seq'], outputs: ['y'] }],
    });
    expect(() => importOnnx(bytes, 'r.onnx')).toThrow(/input 'seq' has symbolic dim 1 \('T'\)/);
  });

  it('rejects opsets newer than 21', () => {
    const bytes = buildModel({ inputs: [['x', [1]]], outputs: [['y', [1]]], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }], opset: 22 });
    expect(() => importOnnx(bytes, 'new.onnx')).toThrow(/opset 22 is newer than the newest supported \(21\)/);
  });

  it('reads opset-6 models, with legacy axis broadcasting aligned from the axis', () => {
    const ok = buildModel({ inputs: [['x', [2]]], outputs: [['y', [2]]], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }], opset: 6 });
    expect(importOnnx(ok, 'old.onnx').nodes.map((n) => n.op)).toEqual(['Relu']);
    const legacy = buildModel({
      inputs: [['x', [1, 3, 2]]],
      outputs: [['y', [1, 3, 2]]],
      inits: [['b', [3], [10, 20, 30]]],
      nodes: [{ op: 'Add', name: 'add_b', inputs: ['x', 'b'], outputs: ['y'], attrs: { broadcast: 1, axis: 1 } }],
      opset: 6,
    });
    const g = importOnnx(legacy, 'old.onnx');
    // b lines up with dim 1 (channels), not with the last dim as numpy rules would have it.
    const [y] = runFloat(g, [{ shape: [1, 3, 2], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }]);
    expect(Array.from(y!.data)).toEqual([11, 12, 23, 24, 35, 36]);
    const bad = buildModel({
      inputs: [['x', [2, 3]]],
      outputs: [['y', [2, 3]]],
      inits: [['b', [3, 2], [1, 2, 3, 4, 5, 6]]],
      nodes: [{ op: 'Add', name: 'add_b', inputs: ['x', 'b'], outputs: ['y'], attrs: { broadcast: 1, axis: 1 } }],
      opset: 6,
    });
    expect(() => importOnnx(bad, 'old.onnx')).toThrow(/node 'add_b' \(Add\): B of shape \[3,2\] does not fit A \[.*,3\] at axis 1/);
  });
});
