/**
 * div-to-mul: rewrites Div(x, c) with a constant divisor into Mul(x, 1/c), because hardware
 * multiplies by a constant far more cheaply than it divides, and fixed point then needs only
 * the multiply semantics. Preconditions: c is a constant with no zero element (a zero leaves
 * the node alone, so the float result keeps its Infinity). Invariant: float result equal up
 * to the float32 rounding of 1/c.
 */
import type { Node } from '../ir/graph.js';
import { applyRules, freshValueName, type Pass, type Rule } from './pass.js';

// Div(x, c) -> Mul(x, 1/c)
const recip: Rule = (n, i, ctx) => {
  if (n.op !== 'Div') return null;
  const c = ctx.constOf(n.inputs[1]!);
  if (!c || c.data.some((v) => v === 0)) return null;
  const name = freshValueName(ctx.g, `${n.name}_recip`);
  const node: Node = { name: n.name, op: 'Mul', inputs: [n.inputs[0]!, name], outputs: n.outputs, attrs: {} };
  return { remove: [i], add: [node], values: [{ name, shape: c.shape, elem: 'float32', data: c.data.map((v) => 1 / v) }] };
};

export const divToMul: Pass = { name: 'div-to-mul', run: (g) => applyRules(g, [recip]) };
