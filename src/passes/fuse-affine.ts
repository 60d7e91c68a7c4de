/**
 * fuse-affine: folds a per-channel Affine (a BatchNorm after batchnorm-to-affine) into the
 * Dense or Conv that feeds it: W'[..., m] = W[..., m]·s[m], b'[m] = b[m]·s[m] + t[m]. This is
 * what hls4ml does too and it removes a layer, a cast point and its rounding.
 * Preconditions: the Dense/Conv output is used only by the Affine and is not a graph output;
 * weight and bias constants are used by no other node; the weights are not binary or ternary
 * (a model quantizer of at most 2 bits, Value.quantized): folding would turn them into
 * full-width values and their XNOR/popcount-sized products into multipliers, so that batch norm
 * stays a per-channel Affine. Invariant: float results equal up to
 * float32 rounding of the folded weights.
 */
import type { Node } from '../ir/graph.js';
import { applyRules, freshValueName, type Pass, type Rule } from './pass.js';

// Dense|Conv(x, W, b?) -> Affine(·, s, t)   ==>   Dense|Conv(x, W·s, b·s + t)
const fold: Rule = (n, i, ctx) => {
  if (n.op !== 'Affine') return null;
  const src = ctx.producer.get(n.inputs[0]!);
  if (!src || (src.op !== 'Dense' && src.op !== 'Conv')) return null;
  const mid = src.outputs[0]!;
  if ((ctx.uses.get(mid)?.length ?? 0) !== 1 || ctx.isOutput(mid)) return null;
  const s = ctx.constOf(n.inputs[1]!);
  const t = ctx.constOf(n.inputs[2]!);
  const w = ctx.constOf(src.inputs[1]!);
  const b = src.inputs[2] ? ctx.constOf(src.inputs[2]) : undefined;
  if (!s || !t || !w || (src.inputs[2] && !b)) return null;
  if (w.quantized && w.quantized.width <= 2) return null;
  if ((ctx.uses.get(w.name)?.length ?? 0) !== 1 || (b && (ctx.uses.get(b.name)?.length ?? 0) !== 1)) return null;
  const M = s.data.length;
  if (w.shape[w.shape.length - 1] !== M) return null;
  const wd = new Float32Array(w.data.length);
  for (let k = 0; k < wd.length; k++) wd[k] = w.data[k]! * s.data[k % M]!;
  const bd = new Float32Array(M);
  for (let m = 0; m < M; m++) bd[m] = (b ? b.data[m]! : 0) * s.data[m]! + t.data[m]!;
  const wName = freshValueName(ctx.g, `${src.name}_w_fused`);
  const bName = freshValueName(ctx.g, `${src.name}_b_fused`, new Set([wName]));
  const srcIndex = ctx.g.nodes.indexOf(src);
  const fused = { ...src, inputs: [src.inputs[0]!, wName, bName], outputs: n.outputs } as Node;
  return {
    remove: [srcIndex, i],
    add: [fused],
    values: [
      { name: wName, shape: w.shape, elem: 'float32', data: wd },
      { name: bName, shape: [M], elem: 'float32', data: bd },
    ],
  };
};

export const fuseAffine: Pass = { name: 'fuse-affine', run: (g) => applyRules(g, [fold]) };
