/**
 * Tests of div-to-mul: Div(x, c) with a constant divisor becomes Mul(x, 1/c) (float32
 * reciprocals, same broadcast shape, same node name and output), the old divisor is pruned
 * unless still used; it must not fire for a divisor with a zero element, a run-time divisor,
 * or a constant dividend Div(c, x). Results verify and keep their float meaning (fast-check).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { verify } from '../../src/ir/verify.js';
import { divToMul } from '../../src/passes/div-to-mul.js';
import { dyn, expectSameFloat, graph, konst, node, ops } from './ir.js';

function divGraph(cShape: number[], c: number[], opts: { reuse?: boolean } = {}) {
  return verify(graph(
    [dyn('x', [2, 3]), konst('c', cShape, c), dyn('y', [2, 3]), ...(opts.reuse ? [dyn('z', [2, 3])] : [])],
    [node('div', 'Div', ['x', 'c'], ['y']), ...(opts.reuse ? [node('add', 'Add', ['y', 'c'], ['z'])] : [])],
    ['x'],
    opts.reuse ? ['z'] : ['y'],
  ));
}

describe('div-to-mul', () => {
  it('rewrites Div(x, c) to Mul(x, 1/c) with the same shape, name and output; drops c', () => {
    const g = divGraph([3], [4, -0.3, 7]);
    const out = verify(divToMul.run(g));
    expect(ops(out)).toEqual(['Mul']);
    const n = out.nodes[0]!;
    expect(n.name).toBe('div');
    expect(n.outputs).toEqual(['y']);
    expect(n.inputs[0]).toBe('x');
    const r = out.values.get(n.inputs[1]!)!;
    expect(r.shape).toEqual([3]);
    expect(Array.from(r.data!)).toEqual([0.25, Math.fround(1 / Math.fround(-0.3)), Math.fround(1 / 7)]);
    expect(out.values.has('c')).toBe(false);
  });

  it('keeps the divisor when another node reads it', () => {
    const out = verify(divToMul.run(divGraph([1, 3], [2, 2, 2], { reuse: true })));
    expect(ops(out)).toEqual(['Mul', 'Add']);
    expect(out.values.get('c')!.data).toEqual(Float32Array.of(2, 2, 2));
    expect(out.nodes[1]!.inputs).toEqual(['y', 'c']);
  });

  it('must not fire for a zero (or -0) divisor element, a run-time divisor, or a constant dividend', () => {
    for (const c of [[1, 0, 2], [1, -0, 2]]) {
      const g = divGraph([3], c);
      expect(divToMul.run(g)).toBe(g);
    }
    const dynDiv = verify(graph([dyn('x', [3]), dyn('d', [3]), dyn('y', [3])], [node('div', 'Div', ['x', 'd'], ['y'])], ['x', 'd'], ['y']));
    expect(divToMul.run(dynDiv)).toBe(dynDiv);
    const constNum = verify(graph([konst('c', [3], [1, 2, 3]), dyn('x', [3]), dyn('y', [3])], [node('div', 'Div', ['c', 'x'], ['y'])], ['x'], ['y']));
    expect(divToMul.run(constNum)).toBe(constNum);
  });

  it('preserves the float result within float32 rounding (fast-check)', () => {
    const nz = fc.float({ min: Math.fround(0.01), max: Math.fround(100), noNaN: true }).chain((v) => fc.constantFrom(v, -v));
    fc.assert(
      fc.property(fc.array(nz, { minLength: 3, maxLength: 3 }), fc.array(fc.float({ min: -1000, max: 1000, noNaN: true }), { minLength: 18, maxLength: 18 }), (c, x) => {
        const g = divGraph([3], c);
        const out = verify(divToMul.run(g));
        expect(ops(out)).toEqual(['Mul']);
        expectSameFloat(g, out, [Float32Array.from(x)], 3, 1e-6);
      }),
      { seed: 3, numRuns: 80 },
    );
  });
});
