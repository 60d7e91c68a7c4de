/**
 * fuse-layernorm and fuse-gelu: layer normalization written out as ReduceMean/Sub/Pow/ReduceMean/
 * Add/Sqrt/Div (· scale + bias) — and ONNX's LayerNormalization, which imports as that pattern —
 * becomes one LayerNorm; x·0.5·(1+erf(x/√2)) in each product order becomes one Gelu. Float results
 * equal the unfused graph; neither fires when an intermediate has another reader, when the axes
 * or constants differ from the pattern's.
 */
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/frontend/onnx/model.js';
import type { Graph } from '../../src/ir/graph.js';
import { verify } from '../../src/ir/verify.js';
import { fuseGelu } from '../../src/passes/fuse-gelu.js';
import { fuseLayerNorm } from '../../src/passes/fuse-layernorm.js';
import { runFloat } from '../../src/sim/float/executor.js';
import { buildModel, type NodeSpec } from '../helpers/onnx-builder.js';
import { randn } from '../helpers/ort.js';

const x = { shape: [2, 3, 4], data: randn(24, 7).map((v, i) => v * (1 + (i % 4))) };

function lnPattern(opts: { axes2?: number[]; eps?: number; extraReader?: boolean; affine?: boolean } = {}): Graph {
  const nodes: NodeSpec[] = [
    { op: 'ReduceMean', name: 'mean', inputs: ['x'], outputs: ['m'], attrs: { axes: [-1], keepdims: 1 } },
    { op: 'Sub', name: 'sub', inputs: ['x', 'm'], outputs: ['d'] },
    { op: 'Pow', name: 'pow', inputs: ['d', 'two'], outputs: ['sq'] },
    { op: 'ReduceMean', name: 'var', inputs: ['sq'], outputs: ['v'], attrs: { axes: opts.axes2 ?? [-1], keepdims: 1 } },
    { op: 'Add', name: 'addeps', inputs: ['v', 'eps'], outputs: ['ve'] },
    { op: 'Sqrt', name: 'sqrt', inputs: ['ve'], outputs: ['sd'] },
    { op: 'Div', name: 'div', inputs: ['d', 'sd'], outputs: [opts.affine === false ? 'y' : 'n'] },
    ...(opts.affine === false
      ? []
      : [
          { op: 'Mul', name: 'scale', inputs: ['n', 'g'], outputs: ['ng'] },
          { op: 'Add', name: 'shift', inputs: ['ng', 'b'], outputs: ['y'] },
        ]),
    ...(opts.extraReader ? [{ op: 'Relu', name: 'r', inputs: ['d'], outputs: ['z'] }] : []),
  ];
  return importOnnx(
    buildModel({
      inputs: [['x', ['N', 3, 4]]],
      outputs: [['y', ['N', 3, 4]], ...(opts.extraReader ? ([['z', ['N', 3, 4]]] as [string, (number | string)[]][]) : [])],
      inits: [['two', [], [2]], ['eps', [], [opts.eps ?? 1e-5]], ['g', [4], [1, 0.5, -2, 1.5]], ['b', [4], [0.1, 0, -0.3, 1]]],
      nodes,
    }),
    'ln.onnx',
  );
}

const ops = (g: Graph) => g.nodes.map((n) => n.op);
const close = (a: Float32Array, b: Float32Array) => a.every((v, i) => Math.abs(v - b[i]!) <= 1e-5 * Math.max(1, Math.abs(b[i]!)));

describe('fuse-layernorm', () => {
  it('the exported pattern with scale and bias -> one LayerNorm, same float result', () => {
    const g = lnPattern();
    const f = verify(fuseLayerNorm.run(g));
    expect(ops(f)).toEqual(['LayerNorm']);
    const n = f.nodes[0]!;
    expect(n.name).toBe('mean');
    expect(n.attrs).toEqual({ axis: -1, epsilon: Math.fround(1e-5) });
    expect(Array.from(f.values.get(n.inputs[1]!)!.data!)).toEqual([1, 0.5, -2, 1.5]);
    expect(Array.from(f.values.get(n.inputs[2]!)!.data!)).toEqual([0.1, 0, -0.3, 1].map(Math.fround));
    expect(close(runFloat(f, [x])[0]!.data, runFloat(g, [x])[0]!.data)).toBe(true);
  });

  it('without the affine tail: gamma of ones, no bias', () => {
    const f = verify(fuseLayerNorm.run(lnPattern({ affine: false })));
    expect(ops(f)).toEqual(['LayerNorm']);
    expect(f.nodes[0]!.inputs.length).toBe(2);
    expect(Array.from(f.values.get(f.nodes[0]!.inputs[1]!)!.data!)).toEqual([1, 1, 1, 1]);
  });

  it('ONNX LayerNormalization (opset 17, axis -2) imports as the pattern and fuses over the two trailing dims', () => {
    const g = importOnnx(
      buildModel({
        opset: 17,
        inputs: [['x', ['N', 3, 4]]],
        outputs: [['y', ['N', 3, 4]]],
        inits: [['g', [3, 4], Array.from({ length: 12 }, (_, i) => 1 + i / 8)], ['b', [3, 4], Array.from({ length: 12 }, (_, i) => i / 16 - 0.3)]],
        nodes: [{ op: 'LayerNormalization', name: 'ln', inputs: ['x', 'g', 'b'], outputs: ['y'], attrs: { axis: -2, epsilon: { float: 1e-3 } } }],
      }),
      'ln17.onnx',
    );
    const f = verify(fuseLayerNorm.run(g));
    expect(ops(f)).toEqual(['LayerNorm']);
    expect(f.nodes[0]!.name).toBe('ln');
    expect(f.nodes[0]!.attrs).toEqual({ axis: -2, epsilon: Math.fround(1e-3) });
    expect(close(runFloat(f, [x])[0]!.data, runFloat(g, [x])[0]!.data)).toBe(true);
  });

  it('LayerNormalization asking for its Mean/InvStdDev outputs is refused, naming the node and why', () => {
    const bytes = buildModel({
      opset: 17,
      inputs: [['x', ['N', 3, 4]]],
      outputs: [['y', ['N', 3, 4]], ['mu', ['N', 3, 1]]],
      inits: [['g', [4], [1, 1, 1, 1]]],
      nodes: [{ op: 'LayerNormalization', name: 'ln', inputs: ['x', 'g'], outputs: ['y', 'mu'] }],
    });
    expect(() => importOnnx(bytes, 'ln.onnx')).toThrow(/ln.*Mean and InvStdDev outputs are not supported/);
  });

  it('must not fire when the two means reduce different axes', () => {
    expect(ops(fuseLayerNorm.run(lnPattern({ axes2: [-2, -1] })))).not.toContain('LayerNorm');
  });

  it('must not fire when x − mean is read elsewhere', () => {
    expect(ops(fuseLayerNorm.run(lnPattern({ extraReader: true })))).not.toContain('LayerNorm');
  });
});

function geluModel(order: 'xa_h' | 'x_ah' | 'xh_a', c = Math.SQRT2): Graph {
  const tail: NodeSpec[] =
    order === 'xa_h'
      ? [{ op: 'Mul', name: 'm1', inputs: ['x', 'a'], outputs: ['p'] }, { op: 'Mul', name: 'm2', inputs: ['p', 'half'], outputs: ['y'] }]
      : order === 'x_ah'
        ? [{ op: 'Mul', name: 'm1', inputs: ['half', 'a'], outputs: ['p'] }, { op: 'Mul', name: 'm2', inputs: ['x', 'p'], outputs: ['y'] }]
        : [{ op: 'Mul', name: 'm0', inputs: ['x', 'half'], outputs: ['hx'] }, { op: 'Mul', name: 'm1', inputs: ['a', 'hx'], outputs: ['y'] }];
  return importOnnx(
    buildModel({
      inputs: [['x', ['N', 3, 4]]],
      outputs: [['y', ['N', 3, 4]]],
      inits: [['s2', [], [c]], ['one', [], [1]], ['half', [], [0.5]]],
      nodes: [
        { op: 'Div', name: 'div', inputs: ['x', 's2'], outputs: ['t'] },
        { op: 'Erf', name: 'erf', inputs: ['t'], outputs: ['e'] },
        { op: 'Add', name: 'add', inputs: ['e', 'one'], outputs: ['a'] },
        ...tail,
      ],
    }),
    'gelu.onnx',
  );
}

describe('fuse-gelu', () => {
  for (const order of ['xa_h', 'x_ah', 'xh_a'] as const) {
    it(`x·0.5·(1+erf(x/√2)) as ${order} -> one Gelu, same float result`, () => {
      const g = geluModel(order);
      const f = verify(fuseGelu.run(g));
      expect(ops(f)).toEqual(['Gelu']);
      expect(f.nodes[0]!.attrs).toEqual({ approximate: 'none' });
      expect(f.nodes[0]!.outputs[0]).toBe(g.outputs[0]!.value);
      expect(close(runFloat(f, [x])[0]!.data, runFloat(g, [x])[0]!.data)).toBe(true);
    });
  }

  it('must not fire when the divisor is not √2', () => {
    expect(ops(fuseGelu.run(geluModel('xa_h', 1.5)))).not.toContain('Gelu');
  });

  it('ONNX Gelu (opset 20) imports as one Gelu, tanh form kept', () => {
    const g = importOnnx(
      buildModel({ opset: 20, inputs: [['x', ['N', 3, 4]]], outputs: [['y', ['N', 3, 4]]], nodes: [{ op: 'Gelu', name: 'g', inputs: ['x'], outputs: ['y'], attrs: { approximate: 'tanh' } }] }),
      'g20.onnx',
    );
    expect(g.nodes.map((n) => [n.op, n.attrs])).toEqual([['Gelu', { approximate: 'tanh' }]]);
    const y = runFloat(g, [x])[0]!.data;
    const v = x.data[5]!;
    expect(y[5]).toBeCloseTo(0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))), 5);
  });
});
