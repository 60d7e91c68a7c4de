/**
 * Tests of batchnorm-to-affine: a BatchNorm with constant parameters becomes Affine(x, s, b)
 * with s = scale/sqrt(var+eps) and b = bias − mean·s stored as float32, under the BatchNorm's
 * node name, with fresh constant names; the old parameters are pruned unless something else
 * uses them; a BatchNorm with a run-time parameter is left alone; the result verifies and
 * computes the same floats (fast-check over parameters and inputs).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { verify } from '../../src/ir/verify.js';
import { batchnormToAffine } from '../../src/passes/batchnorm-to-affine.js';
import { dyn, expectSameFloat, graph, konst, node, ops } from './ir.js';

const C = 3;
function bnGraph(p: { scale: number[]; bias: number[]; mean: number[]; variance: number[]; eps: number }, extra = false) {
  return graph(
    [
      dyn('x', [2, C]),
      konst('scale', [C], p.scale),
      konst('bias', [C], p.bias),
      konst('mean', [C], p.mean),
      konst('var', [C], p.variance),
      ...(extra ? [konst('bn_scale', [1], [0]), dyn('z', [2, C])] : []),
      dyn('y', [2, C]),
    ],
    [node('bn', 'BatchNorm', ['x', 'scale', 'bias', 'mean', 'var'], ['y'], { epsilon: p.eps }), ...(extra ? [node('m', 'Mul', ['y', 'mean'], ['z'])] : [])],
    ['x'],
    extra ? ['y', 'z'] : ['y'],
  );
}

describe('batchnorm-to-affine', () => {
  const p = { scale: [2, -0.5, 1], bias: [0.25, 1, -3], mean: [1, -2, 0.5], variance: [3, 0.25, 1e-3], eps: 1e-5 };

  it('rewrites to Affine with float32 s and b computed per the formula, under the same node name', () => {
    const g = bnGraph(p);
    const out = verify(batchnormToAffine.run(g));
    expect(ops(out)).toEqual(['Affine']);
    const n = out.nodes[0]!;
    expect(n.name).toBe('bn');
    expect(n.inputs[0]).toBe('x');
    expect(n.outputs).toEqual(['y']);
    const s = out.values.get(n.inputs[1]!)!;
    const b = out.values.get(n.inputs[2]!)!;
    expect([n.inputs[1], n.inputs[2]]).toEqual(['bn_scale', 'bn_shift']);
    expect(s.shape).toEqual([C]);
    const f = Math.fround;
    const ws = p.scale.map((v, c) => f(v) / Math.sqrt(f(p.variance[c]!) + p.eps));
    expect(Array.from(s.data!)).toEqual(ws.map(f));
    expect(Array.from(b.data!)).toEqual(p.bias.map((v, c) => f(f(v) - f(p.mean[c]!) * ws[c]!)));
    // The four BatchNorm parameters are gone.
    expect([...out.values.keys()].sort()).toEqual(['bn_scale', 'bn_shift', 'x', 'y']);
  });

  it('takes fresh names when bn_scale is taken, and keeps a parameter another node still reads', () => {
    const out = verify(batchnormToAffine.run(bnGraph(p, true)));
    expect(ops(out)).toEqual(['Affine', 'Mul']);
    expect(out.nodes[0]!.inputs.slice(1)).toEqual(['bn_scale_1', 'bn_shift']);
    expect(out.values.get('bn_scale_1')!.shape).toEqual([C]);
    expect(out.values.has('bn_scale')).toBe(false); // the unrelated, unused constant is pruned
    expect(out.values.has('mean')).toBe(true);
    expect(out.values.has('var')).toBe(false);
  });

  it('must not fire when a parameter is a run-time value', () => {
    const g = graph(
      [dyn('x', [2, C]), dyn('s', [2, C]), konst('bias', [C], [0, 0, 0]), konst('mean', [C], [0, 0, 0]), konst('var', [C], [1, 1, 1]), dyn('y', [2, C])],
      [node('bn', 'BatchNorm', ['x', 's', 'bias', 'mean', 'var'], ['y'], { epsilon: 1e-5 })],
      ['x', 's'],
      ['y'],
    );
    expect(batchnormToAffine.run(g)).toBe(g);
  });

  it('preserves the float result (fast-check)', () => {
    const v = (lo: number, hi: number) => fc.array(fc.float({ min: Math.fround(lo), max: Math.fround(hi), noNaN: true }), { minLength: C, maxLength: C });
    fc.assert(
      fc.property(v(-4, 4), v(-4, 4), v(-4, 4), v(0.01, 9), fc.float({ min: Math.fround(1e-6), max: Math.fround(0.1), noNaN: true }), fc.array(fc.float({ min: -10, max: 10, noNaN: true }), { minLength: 4 * 2 * C, maxLength: 4 * 2 * C }), (scale, bias, mean, variance, eps, x) => {
        const g = bnGraph({ scale, bias, mean, variance, eps });
        expectSameFloat(g, verify(batchnormToAffine.run(g)), [Float32Array.from(x)], 4, 1e-5);
      }),
      { seed: 7, numRuns: 60 },
    );
  });
});
