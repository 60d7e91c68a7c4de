/**
 * Batch-merged layouts in the ONNX importer (src/frontend/common/merged.ts): the reshapes
 * PyTorch's multi-head attention exports with a dynamic batch — [T, N, E] to [T, N·heads, d],
 * transposed to [N·heads, T, d] for the per-head products, and back through [T·N, E] — import
 * with the batch kept symbolic (one sample in the IR) and compute what onnxruntime computes at
 * batch 1 and 3; a reshape that would mix samples still refuses the batched import (the model
 * then imports without a batch dim, as before).
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/frontend/onnx/model.js';
import { runFloat } from '../../src/sim/float/executor.js';
import { buildModel, type NodeSpec } from '../helpers/onnx-builder.js';

const T = 3;
const E = 4;
const H = 2;

/** dims = Concat(Unsqueeze(a), Unsqueeze(b), ...) of scalars a, b, ... (int64). */
function concatDims(parts: string[], out: string): NodeSpec[] {
  return [
    ...parts.map((p, i): NodeSpec => ({ op: 'Unsqueeze', inputs: [p, 'zero'], outputs: [`${out}_u${i}`] })),
    { op: 'Concat', inputs: parts.map((_, i) => `${out}_u${i}`), outputs: [out], attrs: { axis: 0 } },
  ];
}

/** Two-head self-attention in the exporter's form, with the batch merged into the heads. */
function mhaModel(): Uint8Array {
  const nodes: NodeSpec[] = [
    { op: 'Transpose', inputs: ['x'], outputs: ['xt'], attrs: { perm: [1, 0, 2] } }, // [T, N, E]
    { op: 'Shape', inputs: ['xt'], outputs: ['shp'] },
    { op: 'Gather', inputs: ['shp', 'i0'], outputs: ['t'], attrs: { axis: 0 } },
    { op: 'Gather', inputs: ['shp', 'i1'], outputs: ['n'], attrs: { axis: 0 } },
    { op: 'Mul', inputs: ['n', 'heads'], outputs: ['nh'] },
    { op: 'Mul', inputs: ['t', 'n'], outputs: ['tn'] },
    ...concatDims(['t', 'nh', 'hd'], 'dims1'),
    { op: 'MatMul', inputs: ['xt', 'wq'], outputs: ['q0'] },
    { op: 'Reshape', inputs: ['q0', 'dims1'], outputs: ['q1'] }, // [T, N·H, d]
    { op: 'Transpose', inputs: ['q1'], outputs: ['q'], attrs: { perm: [1, 0, 2] } }, // [N·H, T, d]
    { op: 'Div', inputs: ['q', 'scale'], outputs: ['qs'] },
    { op: 'Reshape', inputs: ['xt', 'dims1'], outputs: ['k1'] },
    { op: 'Transpose', inputs: ['k1'], outputs: ['kt'], attrs: { perm: [1, 2, 0] } }, // [N·H, d, T]
    { op: 'MatMul', inputs: ['qs', 'kt'], outputs: ['s'] },
    { op: 'Softmax', inputs: ['s'], outputs: ['p'], attrs: { axis: -1 } },
    { op: 'Transpose', inputs: ['k1'], outputs: ['v'], attrs: { perm: [1, 0, 2] } },
    { op: 'MatMul', inputs: ['p', 'v'], outputs: ['o'] }, // [N·H, T, d]
    { op: 'Transpose', inputs: ['o'], outputs: ['o1'], attrs: { perm: [1, 0, 2] } }, // [T, N·H, d]
    ...concatDims(['tn', 'e'], 'dims2'),
    { op: 'Reshape', inputs: ['o1', 'dims2'], outputs: ['o2'] }, // [T·N, E]
    { op: 'Gemm', inputs: ['o2', 'wo', 'bo'], outputs: ['o3'], attrs: { transB: 1 } },
    ...concatDims(['t', 'n', 'e'], 'dims3'),
    { op: 'Reshape', inputs: ['o3', 'dims3'], outputs: ['o4'] }, // [T, N, E]
    { op: 'Transpose', inputs: ['o4'], outputs: ['y'], attrs: { perm: [1, 0, 2] } },
  ];
  const w = (n: number, k: number) => Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + k) * 0.6);
  return buildModel({
    inputs: [['x', ['N', T, E]]],
    outputs: [['y', ['N', T, E]]],
    nodes,
    inits: [['wq', [E, E], w(E * E, 1)], ['wo', [E, E], w(E * E, 2)], ['bo', [E], w(E, 3)], ['scale', [], [Math.SQRT2]]],
    intInits: [['i0', [], [0]], ['i1', [], [1]], ['heads', [], [H]], ['hd', [], [E / H]], ['e', [], [E]], ['zero', [1], [0]]],
  });
}

describe('batch merged with the heads (PyTorch multi-head attention layouts)', () => {
  it('imports with batch N and equals onnxruntime at batch 1 and 3', async () => {
    const bytes = mhaModel();
    const g = importOnnx(bytes, 'mha.onnx');
    expect(g.batched).toBe(true);
    // One sample: the per-head products are [H, T, d] x [H, d, T]; the batch never enters the IR.
    const mm = g.nodes.filter((n) => n.op === 'MatMul').map((n) => n.inputs.map((i) => g.values.get(i)!.shape));
    expect(mm).toEqual([[[H, T, E / H], [H, E / H, T]], [[H, T, T], [H, T, E / H]]]);
    expect(g.nodes.filter((n) => n.op === 'Dense')).toHaveLength(2);
    const session = await ort.InferenceSession.create(bytes);
    for (const n of [1, 3]) {
      const x = Float32Array.from({ length: n * T * E }, (_, i) => Math.cos(i * 0.37) * 1.5);
      const [y] = runFloat(g, [{ shape: [n, T, E], data: x }]);
      const r = await session.run({ x: new ort.Tensor('float32', x, [n, T, E]) });
      const want = r['y']!.data as Float32Array;
      expect(y!.shape).toEqual([n, T, E]);
      for (let i = 0; i < want.length; i++) expect(y!.data[i]).toBeCloseTo(want[i]!, 5);
    }
  });

  it('refuses a reshape that mixes samples ([T, N, E] read back as [N, T·E]), saying which', () => {
    const bytes = buildModel({
      inputs: [['x', ['N', T, E]]],
      outputs: [['y', ['N', T * E]]],
      nodes: [
        { op: 'Transpose', inputs: ['x'], outputs: ['xt'], attrs: { perm: [1, 0, 2] } },
        { op: 'Shape', inputs: ['xt'], outputs: ['shp'] },
        { op: 'Gather', inputs: ['shp', 'i1'], outputs: ['n'], attrs: { axis: 0 } },
        { op: 'Mul', inputs: ['n', 'three'], outputs: ['n3'] },
        ...concatDims(['n3', 'e'], 'dims'),
        { op: 'Reshape', inputs: ['xt', 'dims'], outputs: ['m'] }, // [T·N, E]: per sample, T major
        // [N, T·E] would need N major: each row mixes the samples.
        ...concatDims(['n', 'te'], 'dims2'),
        { op: 'Reshape', inputs: ['m', 'dims2'], outputs: ['y'] },
      ],
      intInits: [['i1', [], [1]], ['three', [], [T]], ['e', [], [E]], ['te', [], [T * E]], ['zero', [1], [0]]],
    });
    // Without a batch dim the symbolic N cannot be imported either: the error names the reshape.
    expect(() => importOnnx(bytes, 'mix.onnx')).toThrow(/cannot run per sample because[\s\S]*reshape of \[3·N,4\] to \[N,12\] does not keep each sample's elements together/);
  });
});
