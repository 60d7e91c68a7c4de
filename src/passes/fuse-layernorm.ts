/**
 * fuse-layernorm: recognises layer normalization written out as arithmetic — what PyTorch
 * exports below opset 17 and what the ONNX LayerNormalization converter builds —
 *   m = ReduceMean(x, trailing axes, keepdims); d = x − m; v = ReduceMean(d·d, same axes);
 *   y = d / Sqrt(v + eps) [· gamma] [+ beta]          (gamma, beta, eps constant)
 * and replaces it by one LayerNorm(x, gamma, beta) node, which has a fixed-point kernel (one
 * 1/sqrt table instead of a Div of two run-time tensors, which has none).
 * Preconditions: none (runs on the imported graph; Pow(d, 2) already is Mul(d, d)).
 * Must not fire when any intermediate is read elsewhere or is a graph output, when the two
 * means reduce different axes or not the trailing ones, or when gamma/beta/eps are not
 * constants of the normalized dims' shape. Invariant: float results equal up to float32
 * rounding (the fused kernel computes the same formula in float64).
 */
import type { Node } from '../ir/graph.js';
import { broadcastShapes } from '../ir/ops.js';
import { applyRules, freshValueName, type Pass, type Rule, type RuleContext } from './pass.js';

/** The node producing `v` when it is an `op` read only by `reader` nodes (`n` uses in all) and not a graph output. */
function only(ctx: RuleContext, v: string, op: string, uses = 1): Node | undefined {
  const p = ctx.producer.get(v);
  if (!p || p.op !== op || ctx.isOutput(v) || (ctx.uses.get(v)?.length ?? 0) !== uses) return undefined;
  return p;
}

/** The constant operand of a binary node and its other input, when exactly one operand is constant. */
function constOperand(ctx: RuleContext, n: Node): { value: string; other: string } | undefined {
  const [a, b] = n.inputs as [string, string];
  if (ctx.constOf(b) && !ctx.constOf(a)) return { value: b, other: a };
  if (ctx.constOf(a) && !ctx.constOf(b)) return { value: a, other: b };
  return undefined;
}

const fold: Rule = (div, i, ctx) => {
  if (div.op !== 'Div') return null;
  const [dName, sdName] = div.inputs as [string, string];
  const sd = only(ctx, sdName, 'Sqrt');
  const ve = sd && only(ctx, sd.inputs[0]!, 'Add');
  const epsOp = ve && constOperand(ctx, ve);
  const eps = epsOp && ctx.constOf(epsOp.value);
  if (!eps || eps.data.length !== 1) return null;
  const v = only(ctx, epsOp.other, 'Reduce');
  const sq = v && only(ctx, v.inputs[0]!, 'Mul');
  if (!sq || sq.inputs[0] !== dName || sq.inputs[1] !== dName) return null;
  // d is read twice by the square and once by the division.
  const d = only(ctx, dName, 'Sub', 3);
  const m = d && only(ctx, d.inputs[1]!, 'Reduce');
  if (!m || v!.op !== 'Reduce' || m.op !== 'Reduce' || m.inputs[0] !== d.inputs[0]) return null;
  const x = m.inputs[0]!;
  const shape = ctx.g.values.get(x)!.shape;
  const R = shape.length;
  const axesOk = (a: readonly number[]) => a.length > 0 && a.length < R + 1 && a.every((ax, k) => ax === -a.length + k);
  const ma = m.attrs;
  const va = v!.attrs;
  if (ma.fn !== 'Mean' || va.fn !== 'Mean' || !ma.keepdims || !va.keepdims || !axesOk(ma.axes) || ma.axes.join() !== va.axes.join()) return null;
  const k = ma.axes.length;
  const normShape = shape.slice(R - k);
  const N = normShape.reduce((p, q) => p * q, 1);
  const fits = (s: readonly number[]) => {
    try {
      return s.reduce((p, q) => p * q, 1) === N && broadcastShapes(s, normShape).join() === normShape.join();
    } catch {
      return false;
    }
  };
  const removed = [ctx.g.nodes.indexOf(m), ctx.g.nodes.indexOf(d), ctx.g.nodes.indexOf(sq), ctx.g.nodes.indexOf(v!), ctx.g.nodes.indexOf(ve!), ctx.g.nodes.indexOf(sd!), i];
  let out = div.outputs[0]!;
  let gamma: Float32Array | undefined;
  let beta: Float32Array | undefined;
  // Optional affine tail: · gamma, then + beta (each the only reader of the value before it).
  const next = (v0: string, op: string): Node | undefined => {
    const us = ctx.uses.get(v0) ?? [];
    if (us.length !== 1 || ctx.isOutput(v0)) return undefined;
    const n = ctx.g.nodes[us[0]!]!;
    return n.op === op ? n : undefined;
  };
  const mul = next(out, 'Mul');
  const mc = mul && constOperand(ctx, mul);
  if (mul && mc && mc.other === out && fits(ctx.constOf(mc.value)!.shape)) {
    gamma = Float32Array.from(ctx.constOf(mc.value)!.data);
    removed.push(ctx.g.nodes.indexOf(mul));
    out = mul.outputs[0]!;
    const add = next(out, 'Add');
    const ac = add && constOperand(ctx, add);
    if (add && ac && ac.other === out && fits(ctx.constOf(ac.value)!.shape)) {
      beta = Float32Array.from(ctx.constOf(ac.value)!.data);
      removed.push(ctx.g.nodes.indexOf(add));
      out = add.outputs[0]!;
    }
  }
  const gName = freshValueName(ctx.g, `${div.name}_gamma`);
  const bName = freshValueName(ctx.g, `${div.name}_beta`, new Set([gName]));
  // Named after the first node of the pattern (the LayerNormalization's own name when imported from one).
  const node = {
    name: m.name,
    op: 'LayerNorm',
    inputs: [x, gName, ...(beta ? [bName] : [])],
    outputs: [out],
    attrs: { axis: -k, epsilon: eps.data[0]! },
  } as Node;
  return {
    remove: removed,
    add: [node],
    values: [
      { name: gName, shape: normShape, elem: 'float32', data: gamma ?? new Float32Array(N).fill(1) },
      ...(beta ? [{ name: bName, shape: normShape, elem: 'float32' as const, data: beta }] : []),
    ],
  };
};

export const fuseLayerNorm: Pass = { name: 'fuse-layernorm', run: (g) => applyRules(g, [fold]) };
