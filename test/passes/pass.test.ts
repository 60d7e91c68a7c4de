/**
 * Tests of the rewrite driver (src/passes/pass.ts): rules fire in node order until a fixpoint,
 * a rewrite's replacement lands where the last removed node was, renames reach every later
 * consumer and the graph outputs (model names kept), values nothing uses are pruned while
 * graph inputs and outputs survive, fresh names never collide, and a rule that never settles
 * is stopped with an error instead of looping.
 */
import { describe, expect, it } from 'vitest';
import { applyRules, freshValueName, pruneValues, type Rule } from '../../src/passes/pass.js';
import { verify } from '../../src/ir/verify.js';
import { dyn, expectSameFloat, graph, konst, node, ops } from './ir.js';

// Relu(Relu(x)) -> Relu(x): removes the outer node and renames its output to the inner one.
const dropDoubleRelu: Rule = (n, i, ctx) => {
  if (n.op !== 'Relu') return null;
  const src = ctx.producer.get(n.inputs[0]!);
  if (!src || src.op !== 'Relu') return null;
  return { remove: [i], add: [], rename: new Map([[n.outputs[0]!, src.outputs[0]!]]) };
};

describe('applyRules', () => {
  const g = graph(
    [dyn('x', [4]), dyn('a', [4]), dyn('b', [4]), dyn('c', [4]), dyn('d', [4]), dyn('y', [4])],
    [
      node('r1', 'Relu', ['x'], ['a']),
      node('r2', 'Relu', ['a'], ['b']),
      node('r3', 'Relu', ['b'], ['c']),
      node('sig', 'Sigmoid', ['c'], ['d']),
      node('add', 'Add', ['d', 'c'], ['y']),
    ],
    ['x'],
    ['y', 'c'],
  );

  it('renames later consumers and graph outputs, keeps model names, prunes dead values, verifies', () => {
    const out = verify(applyRules(g, [dropDoubleRelu]));
    expect(ops(out)).toEqual(['Relu', 'Sigmoid', 'Add']);
    expect(out.nodes[1]!.inputs).toEqual(['a']);
    expect(out.nodes[2]!.inputs).toEqual(['d', 'a']);
    expect(out.outputs.map((o) => [o.modelName, o.value])).toEqual([['m_y', 'y'], ['m_c', 'a']]);
    expect([...out.values.keys()].sort()).toEqual(['a', 'd', 'x', 'y']);
    expect(g.nodes.length).toBe(5); // the input graph is not mutated
    expectSameFloat(g, out, [Float32Array.of(-1, 0.5, 2, -3, 4, -5, 6, 0.25)], 2);
  });

  it('returns the same graph object (already pruned) when no rule fires', () => {
    const h = graph([dyn('x', [4]), dyn('y', [4])], [node('s', 'Sigmoid', ['x'], ['y'])], ['x'], ['y']);
    expect(applyRules(h, [dropDoubleRelu])).toBe(h);
  });

  it('places the replacement at the last removed node and keeps topological order', () => {
    // Fuse Sigmoid(x) ... Tanh(sig) into one Tanh where the Tanh was, with an unrelated node between.
    const h = graph(
      [dyn('x', [2]), dyn('s', [2]), dyn('u', [2]), dyn('t', [2]), dyn('y', [2])],
      [node('sig', 'Sigmoid', ['x'], ['s']), node('other', 'Relu', ['x'], ['u']), node('tanh', 'Tanh', ['s'], ['t']), node('add', 'Add', ['t', 'u'], ['y'])],
      ['x'],
      ['y'],
    );
    const fuse: Rule = (n, i, ctx) => {
      if (n.op !== 'Tanh') return null;
      const src = ctx.producer.get(n.inputs[0]!);
      if (!src || src.op !== 'Sigmoid') return null;
      return { remove: [ctx.g.nodes.indexOf(src), i], add: [node('fused', 'Tanh', ['x'], ['t'])] };
    };
    const out = verify(applyRules(h, [fuse]));
    expect(out.nodes.map((n) => n.name)).toEqual(['other', 'fused', 'add']);
    expect(out.values.has('s')).toBe(false);
  });

  it('stops a rule that rewrites a node into itself, naming the rule and node', () => {
    const h = graph([dyn('x', [2]), dyn('y', [2])], [node('r', 'Relu', ['x'], ['y'])], ['x'], ['y']);
    const forever: Rule = (n, i) => (n.op === 'Relu' ? { remove: [i], add: [{ ...n }] } : null);
    expect(() => applyRules(h, [forever])).toThrow(/rewrite rules loop: after 1 rewrite\(s\) .*rule 'forever' at node 'r'/);
  });

  it('stops two rules that undo each other, naming both', () => {
    // Relu -> Clip(0, inf) and back: each step is a new graph, the second returns to the first.
    const h = graph([dyn('x', [2]), dyn('y', [2])], [node('r', 'Relu', ['x'], ['y'])], ['x'], ['y']);
    const toClip: Rule = (n, i) => (n.op === 'Relu' ? { remove: [i], add: [node('c', 'Clip', n.inputs, n.outputs, { min: 0, max: Infinity })] } : null);
    const toRelu: Rule = (n, i) => (n.op === 'Clip' ? { remove: [i], add: [node('r', 'Relu', n.inputs, n.outputs, {})] } : null);
    expect(() => applyRules(h, [toClip, toRelu])).toThrow(/after 2 rewrite\(s\) the graph is back to what it was after step 0 \(rule 'toClip' at node 'r', rule 'toRelu' at node 'c'\)/);
  });

  it('does not mistake a graph that changes only in constant contents or attrs for a loop', () => {
    // Counts a constant down from 3 to 0 in place (same names, new data each step): a fixpoint, not a loop.
    const h = graph([dyn('x', [1]), konst('k', [1], [3]), dyn('y', [1])], [node('add', 'Add', ['x', 'k'], ['y'])], ['x'], ['y']);
    const countDown: Rule = (n, i, ctx) => {
      const k = ctx.constOf('k');
      if (n.op !== 'Add' || !k || k.data[0]! <= 0) return null;
      return { remove: [i], add: [{ ...n }], values: [{ ...k, data: Float32Array.of(k.data[0]! - 1) }] };
    };
    const out = applyRules(h, [countDown]);
    expect(Array.from(out.values.get('k')!.data!)).toEqual([0]);
    // Attributes count too: LeakyRelu alpha 0.5 -> 0.25 -> 0.125 stops at 0.125.
    const l = graph([dyn('x', [1]), dyn('y', [1])], [node('l', 'LeakyRelu', ['x'], ['y'], { alpha: 0.5 })], ['x'], ['y']);
    const halve: Rule = (n, i) => (n.op === 'LeakyRelu' && n.attrs.alpha > 0.2 ? { remove: [i], add: [{ ...n, attrs: { alpha: n.attrs.alpha / 2 } }] } : null);
    expect(applyRules(l, [halve]).nodes[0]!.attrs).toEqual({ alpha: 0.125 });
  });
});

describe('pruneValues and freshValueName', () => {
  it('keeps graph inputs and outputs even when unused, drops unused constants', () => {
    const h = graph([dyn('x', [2]), dyn('unused_in', [2]), konst('c', [2], [1, 2]), konst('dead', [1], [3]), dyn('y', [2])], [node('add', 'Add', ['x', 'c'], ['y'])], ['x', 'unused_in'], ['y']);
    const p = pruneValues(h);
    expect([...p.values.keys()].sort()).toEqual(['c', 'unused_in', 'x', 'y']);
  });

  it('never returns a name held by a value or by the taken set', () => {
    const h = graph([dyn('w', [1]), dyn('w_1', [1]), dyn('w_3', [1])], [], ['w'], ['w']);
    expect(freshValueName(h, 'v')).toBe('v');
    expect(freshValueName(h, 'w')).toBe('w_2');
    expect(freshValueName(h, 'w', new Set(['w_2']))).toBe('w_4');
  });
});
