/**
 * Batch-symbolic folding in the ONNX importer: shape arithmetic built from the batch size
 * (Shape → Gather → Unsqueeze → Concat → ConstantOfShape, Expand to the batch) folds with the
 * batch kept symbolic, so the graph stays batched (one sample in the IR) and runs at any batch;
 * a batch-sized constant that reaches something not per-sample refuses with a message naming it;
 * an input whose batch is not dim 0 ([T, N, F]) is imported with its batch axis recorded. Float
 * results are checked against hand-computed numpy semantics.
 */
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/frontend/onnx/model.js';
import { parseGraph } from '../../src/ir/parse.js';
import { printGraph } from '../../src/ir/print.js';
import { runFloat } from '../../src/sim/float/executor.js';
import { buildModel, type NodeSpec } from '../helpers/onnx-builder.js';

/** Nodes making ConstantOfShape([c0, N, c2]) from Shape(x)[axis], filled with `fill`. */
function zeroState(x: string, axis: number, lead: number, tail: number, out: string): { nodes: NodeSpec[]; ints: [string, number[], number[]][] } {
  return {
    nodes: [
      { op: 'Shape', inputs: [x], outputs: ['shp'] },
      { op: 'Gather', inputs: ['shp', 'ax'], outputs: ['n'], attrs: { axis: 0 } },
      { op: 'Unsqueeze', inputs: ['n', 'zero'], outputs: ['n1'] },
      { op: 'Concat', inputs: ['lead', 'n1', 'tail'], outputs: ['dims'], attrs: { axis: 0 } },
      { op: 'ConstantOfShape', inputs: ['dims'], outputs: [out] },
    ],
    ints: [
      ['ax', [], [axis]],
      ['zero', [1], [0]],
      ['lead', [1], [lead]],
      ['tail', [1], [tail]],
    ],
  };
}

describe('batch-symbolic shape arithmetic', () => {
  it('adds a ConstantOfShape built from the batch size, sliced on another axis, per sample', () => {
    // z = ConstantOfShape([2, N, 3]) (zeros) sliced to [1, N, 3], squeezed to [N, 3], plus x, plus an
    // Expand of [1, 3] to [N, 3]: y = x + b at every batch size.
    const zs = zeroState('x', 0, 2, 3, 'z');
    const bytes = buildModel({
      inputs: [['x', ['N', 3]]],
      outputs: [['y', ['N', 3]]],
      nodes: [
        ...zs.nodes,
        { op: 'Slice', inputs: ['z', 'st', 'en', 'axes0'], outputs: ['z1'] },
        { op: 'Squeeze', inputs: ['z1', 'axes0'], outputs: ['z2'] },
        { op: 'Add', inputs: ['x', 'z2'], outputs: ['s'] },
        { op: 'Shape', inputs: ['x'], outputs: ['shp2'] },
        { op: 'Gather', inputs: ['shp2', 'ax'], outputs: ['n2'], attrs: { axis: 0 } },
        { op: 'Unsqueeze', inputs: ['n2', 'zero'], outputs: ['n3'] },
        { op: 'Concat', inputs: ['n3', 'tail'], outputs: ['dims2'], attrs: { axis: 0 } },
        { op: 'Expand', inputs: ['b', 'dims2'], outputs: ['bx'] },
        { op: 'Add', inputs: ['s', 'bx'], outputs: ['y'] },
      ],
      inits: [['b', [1, 3], [1, 2, 3]]],
      intInits: [...zs.ints, ['st', [1], [1]], ['en', [1], [2]], ['axes0', [1], [0]]],
    });
    const g = importOnnx(bytes, 'zs.onnx');
    expect(g.batched).toBe(true);
    expect(g.nodes.map((n) => n.op)).toEqual(['Add', 'Add']);
    for (const n of [1, 4]) {
      const x = Float32Array.from({ length: n * 3 }, (_, i) => i * 0.5 - 1);
      const [y] = runFloat(g, [{ shape: [n, 3], data: x }]);
      expect(y!.shape).toEqual([n, 3]);
      expect(Array.from(y!.data)).toEqual(Array.from(x, (v, i) => v + [1, 2, 3][i % 3]!));
    }
  });

  it('refuses a batch-sized constant that reaches a graph output, naming it and the reason', () => {
    const zs = zeroState('x', 0, 1, 3, 'z');
    const bytes = buildModel({
      inputs: [['x', ['N', 3]]],
      outputs: [['z', [1, 'N', 3]]],
      nodes: zs.nodes,
      intInits: zs.ints,
    });
    expect(() => importOnnx(bytes, 'bad.onnx')).toThrow(/symbolic dim 0[\s\S]*cannot run per sample because .*'z' is a constant whose shape \[1,N,3\] includes the batch size/);
  });

  it('feeds an LSTM the zero state and sequence_lens built from the batch size: same as leaving them out', () => {
    // Sequence-first x [T, N, I] (layout 0): initial_h/c = ConstantOfShape([1, N, H]) from Shape(x)[1],
    // sequence_lens = Expand(T, [N]). Y [T, 1, N, H] has its batch on axis 2.
    const T = 3;
    const I = 2;
    const H = 2;
    const w = (n: number, k: number) => Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + k) * 0.5);
    const zs = zeroState('x', 1, 1, H, 'h0');
    const common = {
      inputs: [['x', [T, 'N', I]]] as [string, (number | string)[]][],
      outputs: [['y', [T, 1, 'N', H]]] as [string, (number | string)[]][],
      inits: [['W', [1, 4 * H, I], w(4 * H * I, 1)], ['R', [1, 4 * H, H], w(4 * H * H, 2)], ['B', [1, 8 * H], w(8 * H, 3)]] as [string, number[], number[]][],
    };
    const withState = buildModel({
      ...common,
      nodes: [
        ...zs.nodes,
        { op: 'Unsqueeze', inputs: ['n', 'zero'], outputs: ['nn'] },
        { op: 'Expand', inputs: ['tt', 'nn'], outputs: ['lens'] },
        { op: 'LSTM', inputs: ['x', 'W', 'R', 'B', 'lens', 'h0', 'h0'], outputs: ['y'], attrs: { hidden_size: H } },
      ],
      intInits: [...zs.ints, ['tt', [], [T]]],
    });
    const plain = buildModel({ ...common, nodes: [{ op: 'LSTM', inputs: ['x', 'W', 'R', 'B'], outputs: ['y'], attrs: { hidden_size: H } }] });
    const g = importOnnx(withState, 'state.onnx');
    const ref = importOnnx(plain, 'plain.onnx');
    expect(g.batched).toBe(true);
    expect(g.outputs[0]!.batchAxis).toBe(2);
    expect(g.nodes.find((n) => n.op === 'LSTM')!.inputs.length).toBe(4);
    const x = { shape: [5, T, I], data: Float32Array.from(w(5 * T * I, 4)) };
    const [a] = runFloat(g, [x]);
    const [b] = runFloat(ref, [x]);
    expect(a!.shape).toEqual([5, T, 1, H]);
    expect(Array.from(a!.data)).toEqual(Array.from(b!.data));
  });

  it('imports a sequence-first input [T, N, F] with its batch axis, through print/parse, and runs it', () => {
    // y[n] = sum over t of x[t, n, :] — ReduceSum over the time axis 0 of a [T, N, F] input.
    const bytes = buildModel({
      inputs: [['x', [3, 'batch', 2]]],
      outputs: [['y', ['batch', 2]]],
      nodes: [{ op: 'ReduceSum', inputs: ['x', 'axes'], outputs: ['y'], attrs: { keepdims: 0 } }],
      intInits: [['axes', [1], [0]]],
    });
    const g = importOnnx(bytes, 'sf.onnx');
    expect(g.batched).toBe(true);
    expect(g.inputs[0]!.batchAxis).toBe(1);
    expect(g.inputs[0]!.modelShape).toEqual([3, null, 2]);
    expect(g.values.get(g.inputs[0]!.value)!.shape).toEqual([3, 2]);
    expect(g.outputs[0]!.batchAxis).toBeUndefined();
    const back = parseGraph(printGraph(g));
    expect(back.inputs[0]!.batchAxis).toBe(1);
    expect(printGraph(back)).toBe(printGraph(g));
    // Batch first, as the executors take it: sample n holds x[:, n, :].
    const [y] = runFloat(g, [{ shape: [2, 3, 2], data: Float32Array.from([1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 50, 60]) }]);
    expect(Array.from(y!.data)).toEqual([9, 12, 90, 120]);
  });
});
