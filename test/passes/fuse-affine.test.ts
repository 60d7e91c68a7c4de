/**
 * Tests of fuse-affine: an Affine fed by a Dense or Conv folds into it (W' = W·s per output
 * channel, b' = b·s + t, float32), the fused node keeps the Dense/Conv name and takes the
 * Affine's output, and the old weights are pruned. It must not fire when the Dense/Conv output
 * has another consumer or is a graph output, when its weight or bias constant is shared, or
 * when the producer is not a Dense/Conv. Every result verifies; random graphs keep their float
 * meaning (fast-check); and the ONNX Conv→BatchNormalization→Relu pattern canonicalizes to
 * Conv→Relu through the real pipeline.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Graph, Node } from '../../src/ir/graph.js';
import { verify } from '../../src/ir/verify.js';
import { importOnnx } from '../../src/frontend/onnx/model.js';
import { fuseAffine } from '../../src/passes/fuse-affine.js';
import { canonicalize } from '../../src/passes/pipeline.js';
import { buildModel } from '../helpers/onnx-builder.js';
import { dyn, expectSameFloat, graph, konst, node, ops } from './ir.js';

const K = 4;
const M = 3;
const W = [0.5, -1, 2, 1.5, 0.25, -0.75, -2, 1, 0.5, 3, -1.25, 0.125];
const B = [0.1, -0.2, 0.3];
const S = [2, -0.5, 1.25];
const Tt = [1, 0.5, -0.25];

function denseAffine(opts: { bias?: boolean; extraUse?: boolean; midOut?: boolean; sharedW?: boolean; sharedB?: boolean } = {}): Graph {
  const vals = [dyn('x', [K]), konst('W', [K, M], W), konst('s', [M], S), konst('t', [M], Tt), dyn('h', [M]), dyn('y', [M])];
  const nodes: Node[] = [node('fc', 'Dense', opts.bias === false ? ['x', 'W'] : ['x', 'W', 'B'], ['h']), node('bn', 'Affine', ['h', 's', 't'], ['y'])];
  if (opts.bias !== false) vals.push(konst('B', [M], B));
  if (opts.extraUse) {
    vals.push(dyn('r', [M]));
    nodes.push(node('relu', 'Relu', ['h'], ['r']));
  }
  if (opts.sharedW || opts.sharedB) {
    vals.push(dyn('x2', [K]), dyn('h2', [M]));
    nodes.push(node('fc2', 'Dense', opts.sharedW ? ['x2', 'W'] : ['x2', 'W2', 'B'], ['h2']));
    if (!opts.sharedW) vals.push(konst('W2', [K, M], W));
  }
  const inputs = opts.sharedW || opts.sharedB ? ['x', 'x2'] : ['x'];
  const outputs = ['y', ...(opts.extraUse ? ['r'] : []), ...(opts.midOut ? ['h'] : []), ...(opts.sharedW || opts.sharedB ? ['h2'] : [])];
  return verify(graph(vals, nodes, inputs, outputs));
}

describe('fuse-affine', () => {
  it('folds Affine into Dense: W·s per column, b·s + t, node keeps the Dense name and takes y', () => {
    for (const bias of [true, false]) {
      const g = denseAffine({ bias });
      const out = verify(fuseAffine.run(g));
      expect(ops(out)).toEqual(['Dense']);
      const n = out.nodes[0]!;
      expect(n.name).toBe('fc');
      expect(n.outputs).toEqual(['y']);
      expect(n.inputs[0]).toBe('x');
      const w = out.values.get(n.inputs[1]!)!;
      const b = out.values.get(n.inputs[2]!)!;
      expect(w.shape).toEqual([K, M]);
      expect(Array.from(w.data!)).toEqual(W.map((v, i) => Math.fround(v * S[i % M]!)));
      expect(Array.from(b.data!)).toEqual(S.map((s, m) => Math.fround((bias ? Math.fround(B[m]!) : 0) * s + Tt[m]!)));
      expect(out.values.has('W')).toBe(false);
      expect(out.values.has('h')).toBe(false);
      const x = Float32Array.of(1, -2, 0.5, 3, 0.25, 0.75, -1, -4);
      expectSameFloat(g, out, [x], 2);
    }
  });

  it('must not fire when the Dense output has a second consumer, is a graph output, or W/B are shared', () => {
    for (const opts of [{ extraUse: true }, { midOut: true }, { sharedW: true }, { sharedB: true }]) {
      const g = denseAffine(opts);
      const out = fuseAffine.run(g);
      expect(ops(out)).toEqual(ops(g));
      expect(out.nodes.find((n) => n.op === 'Affine')).toBeDefined();
    }
  });

  it('must not fire after a Relu or a ConvTranspose', () => {
    const g = verify(graph(
      [dyn('x', [M]), dyn('h', [M]), konst('s', [M], S), konst('t', [M], Tt), dyn('y', [M])],
      [node('relu', 'Relu', ['x'], ['h']), node('bn', 'Affine', ['h', 's', 't'], ['y'])],
      ['x'],
      ['y'],
    ));
    expect(fuseAffine.run(g)).toBe(g);
    const attrs = { kernel: [2], strides: [1], dilations: [1], pads: [0, 0], group: 1, outputPadding: [0] };
    const ct = verify(graph(
      [dyn('x', [3, 2]), konst('w', [2, 2, M], range(12)), dyn('h', [4, M]), konst('s', [M], S), konst('t', [M], Tt), dyn('y', [4, M])],
      [node('ct', 'ConvTranspose', ['x', 'w'], ['h'], attrs), node('bn', 'Affine', ['h', 's', 't'], ['y'])],
      ['x'],
      ['y'],
    ));
    expect(fuseAffine.run(ct)).toBe(ct);
  });

  it('two Affines in a row both fold (fixpoint), in order', () => {
    const g = verify(graph(
      [dyn('x', [K]), konst('W', [K, M], W), konst('B', [M], B), konst('s', [M], S), konst('t', [M], Tt), konst('s2', [M], [3, 0.5, -1]), konst('t2', [M], [0, 1, 2]), dyn('h', [M]), dyn('y1', [M]), dyn('y', [M])],
      [node('fc', 'Dense', ['x', 'W', 'B'], ['h']), node('bn1', 'Affine', ['h', 's', 't'], ['y1']), node('bn2', 'Affine', ['y1', 's2', 't2'], ['y'])],
      ['x'],
      ['y'],
    ));
    const out = verify(fuseAffine.run(g));
    expect(ops(out)).toEqual(['Dense']);
    expect(out.nodes[0]!.outputs).toEqual(['y']);
    expectSameFloat(g, out, [Float32Array.of(1, 2, 3, 4)], 1);
  });

  it('preserves the float meaning of Dense/Conv (grouped, strided, padded) + Affine (fast-check)', () => {
    const f = (n: number, lim = 2) => fc.array(fc.float({ min: Math.fround(-lim), max: Math.fround(lim), noNaN: true }), { minLength: n, maxLength: n });
    // Conv: x [5,4,C=4] channels-last, kernel 2x3, group 2, Cout 4 -> weight [2,3,2,4]
    const conv = { kernel: [2, 3], strides: [1, 2], dilations: [1, 1], pads: [1, 1, 0, 1], group: 2 };
    fc.assert(
      fc.property(fc.boolean(), f(48), f(4), f(4), f(4), f(5 * 4 * 4 * 2, 4), (useConv, w, b, s, t, x) => {
        let g: Graph;
        if (useConv) {
          g = verify(graph(
            [dyn('x', [5, 4, 4]), konst('W', [2, 3, 2, 4], w), konst('B', [4], b), konst('s', [4], s), konst('t', [4], t), dyn('h', [5, 2, 4]), dyn('y', [5, 2, 4])],
            [node('cv', 'Conv', ['x', 'W', 'B'], ['h'], conv), node('bn', 'Affine', ['h', 's', 't'], ['y'])],
            ['x'],
            ['y'],
          ));
        } else {
          g = verify(graph(
            [dyn('x', [12]), konst('W', [12, 4], w), konst('B', [4], b), konst('s', [4], s), konst('t', [4], t), dyn('h', [4]), dyn('y', [4])],
            [node('fc', 'Dense', ['x', 'W', 'B'], ['h']), node('bn', 'Affine', ['h', 's', 't'], ['y'])],
            ['x'],
            ['y'],
          ));
        }
        const out = verify(fuseAffine.run(g));
        expect(ops(out)).toEqual([useConv ? 'Conv' : 'Dense']);
        const xs = Float32Array.from(useConv ? x : x.slice(0, 12 * 4));
        // tolerance relative to the sizes of the terms: up to 24 products of |w·s·x| <= 32
        expectSameFloat(g, out, [xs], useConv ? 2 : 4, 1e-4);
      }),
      { seed: 11, numRuns: 60 },
    );
  });

  it('ONNX Conv → BatchNormalization → Relu canonicalizes to Conv → Relu (relayout transposes kept)', () => {
    const bytes = buildModel({
      inputs: [['x', ['N', 2, 4, 4]]],
      outputs: [['y', ['N', 3, 4, 4]]],
      inits: [
        ['w', [3, 2, 3, 3], range(54).map((i) => ((i % 7) - 3) / 8)],
        ['b', [3], [0.5, -0.25, 1]],
        ['sc', [3], [1.5, -1, 0.5]],
        ['bi', [3], [0.1, 0.2, 0.3]],
        ['mu', [3], [0, 1, -1]],
        ['va', [3], [1, 4, 0.25]],
      ],
      nodes: [
        { op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['c'], attrs: { pads: [1, 1, 1, 1] } },
        { op: 'BatchNormalization', inputs: ['c', 'sc', 'bi', 'mu', 'va'], outputs: ['n'] },
        { op: 'Relu', inputs: ['n'], outputs: ['y'] },
      ],
    });
    const g = importOnnx(bytes, 't.onnx');
    const out = canonicalize(g);
    expect(ops(out).filter((o) => o !== 'Transpose')).toEqual(['Conv', 'Relu']);
    const x = Float32Array.from(range(2 * 32), (i) => Math.sin(i));
    expectSameFloat(g, out, [x], 2, 1e-5);
  });
});

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
