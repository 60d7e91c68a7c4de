/**
 * ONNX import of the everyday operator set (issue #17) on small synthetic models, for what the
 * ONNX suites do not pin down: Pow with a constant exponent becomes the op it is (so it gets
 * that op's fixed-point form), opset-6 PRelu's per-channel slope, layouts kept through
 * reductions of NCHW tensors, and `inspect`'s float-only / fixed-point column.
 */
import { describe, expect, it } from 'vitest';
import { inspectReport } from '../../src/cli/inspect.js';
import { importOnnx } from '../../src/frontend/onnx/model.js';
import { runFloat } from '../../src/sim/float/executor.js';
import { buildModel } from '../helpers/onnx-builder.js';

const X = Float32Array.from([0.5, -1.5, 2, 3]);

describe('Pow with a constant exponent', () => {
  const cases: [number, string, (x: number) => number][] = [
    [2, 'Mul', (x) => x * x],
    [3, 'Mul,Mul', (x) => x * x * x],
    [0.5, 'Sqrt', Math.sqrt],
    [-1, 'Reciprocal', (x) => 1 / x],
    [1.5, 'Pow', (x) => x ** 1.5],
  ];
  for (const [p, ops, f] of cases) {
    it(`x^${p} imports as ${ops} and computes x^${p}`, () => {
      const m = buildModel({ inputs: [['x', ['N', 4]]], outputs: [['y', ['N', 4]]], inits: [['p', [], [p]]], nodes: [{ op: 'Pow', inputs: ['x', 'p'], outputs: ['y'], name: 'pw' }] });
      const g = importOnnx(m, 't.onnx');
      expect(g.nodes.map((n) => n.op).join(',')).toBe(ops);
      const [y] = runFloat(g, [{ shape: [1, 4], data: X }]);
      Array.from(X).forEach((x, i) => {
        const want = Math.fround(f(x));
        if (Number.isNaN(want)) expect(y!.data[i]).toBeNaN();
        else expect(y!.data[i]).toBeCloseTo(want, 6);
      });
    });
  }
});

describe('opset-6 PRelu', () => {
  it('a slope vector [C] applies per channel (dim 1) of [N, C, L], not along the last dim', () => {
    const m = buildModel({
      inputs: [['x', [1, 2, 3]]],
      outputs: [['y', [1, 2, 3]]],
      inits: [['s', [2], [0.5, 0.25]]],
      nodes: [{ op: 'PRelu', inputs: ['x', 's'], outputs: ['y'], name: 'pr' }],
      opset: 6,
    });
    const [y] = runFloat(importOnnx(m, 't.onnx'), [{ shape: [1, 2, 3], data: Float32Array.from([-4, -4, 4, -4, -4, 4]) }]);
    expect(Array.from(y!.data)).toEqual([-2, -2, 4, -1, -1, 4]);
  });
});

describe('reductions keep the NCHW layout', () => {
  it('ReduceMean over H, W (keepdims 0) after a Conv equals the per-channel mean', () => {
    const m = buildModel({
      inputs: [['x', ['N', 2, 2, 2]]],
      outputs: [['y', ['N', 2]]],
      inits: [['w', [2, 2, 1, 1], [1, 0, 0, 2]]],
      opset: 13,
      nodes: [
        { op: 'Conv', inputs: ['x', 'w'], outputs: ['c'], name: 'cv' },
        { op: 'ReduceMean', inputs: ['c'], outputs: ['y'], name: 'rm', attrs: { axes: [2, 3], keepdims: 0 } },
      ],
    });
    const g = importOnnx(m, 't.onnx');
    const [y] = runFloat(g, [{ shape: [1, 2, 2, 2], data: Float32Array.from([1, 2, 3, 4, 10, 20, 30, 40]) }]);
    expect(Array.from(y!.data)).toEqual([2.5, 50]);
    const r = inspectReport(g);
    expect(r.layers.map((l) => [l.op, l.deploy])).toEqual([
      ['Transpose', 'fixed-point'],
      ['Conv', 'fixed-point'],
      ['Reduce', 'fixed-point'],
    ]);
  });

  it('inspect marks ops without a fixed-point form (a comparison; ReduceL2, by its attrs) float-only', () => {
    const m = buildModel({
      inputs: [['x', ['N', 4]]],
      outputs: [['y', ['N', 1]]],
      inits: [['z', [4], [0, 0.1, 0.2, 0.3]]],
      opset: 13,
      nodes: [
        { op: 'Erf', inputs: ['x'], outputs: ['e'], name: 'er' },
        { op: 'Greater', inputs: ['e', 'z'], outputs: ['f'], name: 'gt' },
        { op: 'ReduceL2', inputs: ['f'], outputs: ['y'], name: 'l2', attrs: { axes: [1], keepdims: 1 } },
      ],
    });
    const r = inspectReport(importOnnx(m, 't.onnx'));
    expect(r.layers.map((l) => [l.op, l.deploy])).toEqual([
      ['Erf', 'fixed-point'],
      ['Greater', 'float-only'],
      ['Reduce', 'float-only'],
    ]);
  });
});
