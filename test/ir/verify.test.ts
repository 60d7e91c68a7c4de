/**
 * Tests of the IR verifier and op registry: a consistent graph passes; each kind of damage is
 * reported in the `node 'name' (Op): expected ...` form; shape inference of window ops follows
 * the ONNX formulas (floor and ceil modes).
 */
import { describe, expect, it } from 'vitest';
import type { Graph, Node, Value } from '../../src/ir/graph.js';
import { broadcastShapes, OPS, windowOut } from '../../src/ir/ops.js';
import { verify, verifyProblems } from '../../src/ir/verify.js';

function graph(values: Value[], nodes: Node[], batched = true): Graph {
  return {
    name: 'g',
    batched,
    values: new Map(values.map((v) => [v.name, v])),
    nodes,
    inputs: [{ modelName: 'x', value: 'x', modelShape: [null, 4], elem: 'float32' }],
    outputs: [{ modelName: 'y', value: 'y', modelShape: [null, 3], elem: 'float32' }],
    source: 'test',
  };
}

const x: Value = { name: 'x', shape: [4], elem: 'float32' };
const w: Value = { name: 'w', shape: [4, 3], elem: 'float32', data: new Float32Array(12) };
const b: Value = { name: 'b', shape: [3], elem: 'float32', data: new Float32Array(3) };
const y: Value = { name: 'y', shape: [3], elem: 'float32' };
const fc1 = (attrsOut = 'y'): Node => ({ name: 'fc1', op: 'Dense', inputs: ['x', 'w', 'b'], outputs: [attrsOut], attrs: {} });

describe('verify', () => {
  it('accepts a consistent Dense graph', () => {
    expect(verifyProblems(graph([x, w, b, y], [fc1()]))).toEqual([]);
  });

  it('reports a wrong stored shape in the node-first form', () => {
    const bad = { ...y, shape: [5] };
    expect(verifyProblems(graph([x, w, b, bad], [fc1()]))).toEqual([
      "node 'fc1' (Dense): expected output 'y' shape [3], stored [5]",
    ]);
  });

  it('reports a non-constant weight, a missing input and a short constant', () => {
    const dynW: Value = { name: 'w', shape: [4, 3], elem: 'float32' };
    expect(verifyProblems(graph([x, dynW, b, y], [fc1()]))[0]).toMatch(/node 'fc1' \(Dense\): (expected input 1 'w' to be a constant|input 1 'w' is used before)/);
    const n: Node = { name: 'fc1', op: 'Dense', inputs: ['x', 'nope'], outputs: ['y'], attrs: {} };
    expect(verifyProblems(graph([x, y], [n]))).toContain("node 'fc1' (Dense): input 1 'nope' does not exist");
    const shortW = { ...w, data: new Float32Array(11) };
    expect(verifyProblems(graph([x, shortW, b, y], [fc1()]))).toContain(
      "constant 'w': holds 11 elements, shape [4,3] needs 12",
    );
  });

  it('refuses broadcasting a constant over the batch dim', () => {
    const c: Value = { name: 'c', shape: [2, 4], elem: 'float32', data: new Float32Array(8) };
    const out: Value = { name: 'y', shape: [2, 4], elem: 'float32' };
    const add: Node = { name: 'add', op: 'Add', inputs: ['x', 'c'], outputs: ['y'], attrs: {} };
    expect(verifyProblems(graph([x, c, out], [add])).join('\n')).toMatch(/constant 'c' of rank <= 1/);
    expect(verifyProblems(graph([x, c, out], [add], false))).toEqual([]);
  });

  it('throws listing every problem', () => {
    expect(() => verify(graph([x, y], [fc1()]))).toThrow(/IR verification failed/);
  });
});

describe('shape inference', () => {
  it('computes window outputs like ONNX (floor and ceil)', () => {
    expect(windowOut(32, 3, 1, 1, 1, 1)).toBe(32);
    expect(windowOut(5, 2, 2, 1, 0, 0)).toBe(2);
    expect(windowOut(5, 2, 2, 1, 0, 0, true)).toBe(3);
    // ceil mode never starts a window entirely in the right padding
    expect(windowOut(4, 2, 2, 1, 1, 1, true)).toBe(3);
  });

  it('conv: channels-last with groups', () => {
    const xv: Value = { name: 'x', shape: [8, 8, 4], elem: 'float32' };
    const wv: Value = { name: 'w', shape: [3, 3, 2, 6], elem: 'float32' };
    const attrs = { kernel: [3, 3], strides: [2, 2], dilations: [1, 1], pads: [1, 1, 1, 1], group: 2 };
    expect(OPS.Conv.infer([xv, wv], attrs as never)[0]!.shape).toEqual([4, 4, 6]);
    const badW: Value = { ...wv, shape: [3, 3, 4, 6] };
    expect(() => OPS.Conv.infer([xv, badW], attrs as never)).toThrow(/weight must be \[3,3,2,6\]/);
  });

  it('broadcasts like numpy', () => {
    expect(broadcastShapes([3, 1, 5], [4, 1])).toEqual([3, 4, 5]);
    expect(() => broadcastShapes([3], [4])).toThrow(/do not broadcast/);
  });
});
