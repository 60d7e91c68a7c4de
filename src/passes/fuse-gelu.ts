/**
 * fuse-gelu: recognises GELU in its exact Erf form, as PyTorch exports it below opset 20,
 *   y = x · 0.5 · (1 + erf(x / √2))   (x/√2 as Div by √2 or Mul by 1/√2; the three products in
 *   any of the orders (x·a)·0.5, x·(a·0.5), (x·0.5)·a, operands either way round)
 * and replaces it by one Gelu(x) node: one table of Φ and one product per element instead of an
 * erf table, an add and two products, each with its own rounding.
 * Preconditions: none. Must not fire when an intermediate is read elsewhere or is a graph
 * output, or when a constant differs from √2, 1 or 0.5 (beyond float32 rounding).
 * Invariant: float results equal up to float32 rounding.
 */
import type { Node } from '../ir/graph.js';
import { applyRules, type Pass, type Rule, type RuleContext } from './pass.js';

const near = (v: number, want: number) => Math.abs(v - want) <= 1e-6 * Math.abs(want);

/** The scalar constant operand of a binary `op` node and its other (run-time) operand. */
function scalarOperand(ctx: RuleContext, n: Node | undefined, op: string): { c: number; other: string } | undefined {
  if (!n || n.op !== op) return undefined;
  const [a, b] = n.inputs as [string, string];
  const ca = ctx.constOf(a);
  const cb = ctx.constOf(b);
  if (cb && !ca && cb.data.length === 1) return { c: cb.data[0]!, other: a };
  if (ca && !cb && ca.data.length === 1 && op !== 'Div') return { c: ca.data[0]!, other: b };
  return undefined;
}

/** The single reader of `v`, when it is not a graph output. */
function soleReader(ctx: RuleContext, v: string): Node | undefined {
  const us = ctx.uses.get(v) ?? [];
  return us.length === 1 && !ctx.isOutput(v) ? ctx.g.nodes[us[0]!] : undefined;
}

/** The operand of binary `n` that is not `v` (undefined when both are `v`). */
function otherInput(n: Node, v: string): string | undefined {
  const [a, b] = n.inputs as [string, string];
  return a === v && b !== v ? b : b === v && a !== v ? a : undefined;
}

const fold: Rule = (erf, i, ctx) => {
  if (erf.op !== 'Erf') return null;
  const tName = erf.inputs[0]!;
  if (soleReader(ctx, tName) !== erf) return null;
  const tNode = ctx.producer.get(tName);
  const byMul = scalarOperand(ctx, tNode, 'Mul');
  const byDiv = scalarOperand(ctx, tNode, 'Div');
  const scaled = byMul && near(byMul.c, Math.SQRT1_2) ? byMul : byDiv && near(byDiv.c, Math.SQRT2) ? byDiv : undefined;
  if (!scaled) return null;
  const x = scaled.other;
  const add = soleReader(ctx, erf.outputs[0]!);
  const one = scalarOperand(ctx, add, 'Add');
  if (!add || !one || !near(one.c, 1) || one.other !== erf.outputs[0]) return null;
  const a = add.outputs[0]!;
  const m1 = soleReader(ctx, a);
  if (!m1 || m1.op !== 'Mul') return null;
  const idx = (n: Node) => ctx.g.nodes.indexOf(n);
  const removed = [idx(tNode!), i, idx(add), idx(m1)];
  let out: string;
  const half = scalarOperand(ctx, m1, 'Mul');
  if (half && half.other === a) {
    // x · (a · 0.5)
    if (!near(half.c, 0.5)) return null;
    const m2 = soleReader(ctx, m1.outputs[0]!);
    if (!m2 || m2.op !== 'Mul' || otherInput(m2, m1.outputs[0]!) !== x) return null;
    removed.push(idx(m2));
    out = m2.outputs[0]!;
  } else {
    const o = otherInput(m1, a);
    if (o === undefined) return null;
    if (o === x) {
      // (x · a) · 0.5
      const m2 = soleReader(ctx, m1.outputs[0]!);
      const h = scalarOperand(ctx, m2, 'Mul');
      if (!m2 || !h || !near(h.c, 0.5) || h.other !== m1.outputs[0]) return null;
      removed.push(idx(m2));
      out = m2.outputs[0]!;
    } else {
      // (x · 0.5) · a
      const hNode = ctx.producer.get(o);
      const h = scalarOperand(ctx, hNode, 'Mul');
      if (!hNode || !h || !near(h.c, 0.5) || h.other !== x || soleReader(ctx, o) !== m1) return null;
      removed.push(idx(hNode));
      out = m1.outputs[0]!;
    }
  }
  const node = { name: erf.name, op: 'Gelu', inputs: [x], outputs: [out], attrs: { approximate: 'none' } } as Node;
  return { remove: removed, add: [node] };
};

export const fuseGelu: Pass = { name: 'fuse-gelu', run: (g) => applyRules(g, [fold]) };
