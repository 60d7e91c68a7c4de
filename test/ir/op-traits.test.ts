/**
 * The registry's traits and per-op fields as the passes read them (they replaced lists of op
 * names in quantize, auto-precision, bipolar-threshold, the comparison report and inspect): the
 * quantize pass keeps a data-movement op's input type (keepsType) and not an arithmetic op's
 * (must not fire), and refuses an op canonicalization could not rewrite with the registry's
 * `rewritten` hint; the selections are data movement; params and constRoles name real slots.
 */
import { describe, expect, it } from 'vitest';
import { parseType } from '../../src/ir/fixed.js';
import { constOperandName, hasTrait, type OpKind, OPS, opInfo } from '../../src/ir/ops.js';
import { parseConfig } from '../../src/ir/precision-config.js';
import { quantizeGraph } from '../../src/passes/quantize.js';
import { dyn, graph, node } from '../passes/ir.js';

describe('op registry traits', () => {
  it('keepsType: Reshape keeps its input type, Relu takes the result type (must not fire)', () => {
    const g = graph([dyn('x', [2, 3]), dyn('r', [6]), dyn('y', [6])], [node('reshape', 'Reshape', ['x'], ['r'], { shape: [6] }), node('relu', 'Relu', ['r'], ['y'])], ['x'], ['y']);
    const cfg = parseConfig({ model: { default: 'ap_fixed<12,4>' }, inputs: { m_x: 'ap_fixed<9,3>' } }, 'c');
    const q = quantizeGraph(g, cfg).graph;
    expect(q.values.get('r')!.fixed).toEqual(parseType('ap_fixed<9,3>'));
    expect(q.values.get('y')!.fixed).toEqual(parseType('ap_fixed<12,4>'));
  });

  it('rewritten: a Div left after canonicalization is refused with the registry’s hint', () => {
    const g = graph([dyn('a', [3]), dyn('b', [3]), dyn('y', [3])], [node('div', 'Div', ['a', 'b'], ['y'])], ['a', 'b'], ['y']);
    expect(() => quantizeGraph(g, parseConfig({}, 'c'))).toThrow(/Div: 'div' — only division by a constant is supported \(it becomes a multiply\)/);
    expect(opInfo('BatchNorm').rewritten).toMatch(/non-constant batch-norm/);
  });

  it('selects implies keepsType; maxOf ops keep elements of their input; params and constRoles are input slots', () => {
    for (const op of Object.keys(OPS) as OpKind[]) {
      const info = opInfo(op);
      if (hasTrait(op, 'selects')) expect(hasTrait(op, 'keepsType'), op).toBe(true);
      for (const s of [...(info.params ?? []), ...Object.keys(info.constRoles ?? {}).map(Number)]) expect(s, op).toBeLessThan(info.arity[1]);
      if (info.range) expect(info.range[0], op).toBeLessThan(info.range[1]);
    }
    expect((Object.keys(OPS) as OpKind[]).filter((op) => hasTrait(op, 'maxOf')).sort()).toEqual(['GlobalMaxPool', 'MaxPool', 'Relu']);
    expect((Object.keys(OPS) as OpKind[]).filter((op) => hasTrait(op, 'quantizer')).sort()).toEqual(['BipolarQuant', 'DequantizeLinear', 'Quant', 'QuantizeLinear']);
    // Reports name a layer's constants by role, an elementwise op's as 'const'.
    expect([constOperandName('Dense', 1), constOperandName('Conv', 2), constOperandName('Affine', 1), constOperandName('Mul', 0), constOperandName('Add', 1), constOperandName('Relu', 0)]).toEqual([
      'weight', 'bias', 'weight', 'const', 'const', 'const',
    ]);
    // LSTM's peepholes are slot 6 (X, W, R, B, initial_h, initial_c, P).
    expect(opInfo('LSTM').params).toEqual([1, 2, 3, 6]);
  });
});
