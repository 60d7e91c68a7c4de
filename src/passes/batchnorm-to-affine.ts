/**
 * batchnorm-to-affine: rewrites inference BatchNorm(x, scale, bias, mean, var) with constant
 * parameters into Affine(x, s, b) with s = scale / sqrt(var + eps) and b = bias − mean·s, so
 * later passes and the fixed-point kernels see one multiply and one add per element.
 * Preconditions: none (non-constant parameters leave the node alone). Invariant: the float
 * result is unchanged up to float32 rounding of s and b.
 */
import type { Node } from '../ir/graph.js';
import { applyRules, freshValueName, type Pass, type Rule } from './pass.js';

// BatchNorm(x, scale, bias, mean, var) -> Affine(x, s, b)
const toAffine: Rule = (n, i, ctx) => {
  if (n.op !== 'BatchNorm') return null;
  const p = n.inputs.slice(1).map((v) => ctx.constOf(v));
  if (p.some((c) => !c)) return null;
  const [scale, bias, mean, variance] = p as NonNullable<(typeof p)[number]>[];
  const C = scale.data.length;
  const s = new Float32Array(C);
  const b = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    const k = scale.data[c]! / Math.sqrt(variance.data[c]! + n.attrs.epsilon);
    s[c] = k;
    b[c] = bias.data[c]! - mean.data[c]! * k;
  }
  const sName = freshValueName(ctx.g, `${n.name}_scale`);
  const bName = freshValueName(ctx.g, `${n.name}_shift`, new Set([sName]));
  const node: Node = { name: n.name, op: 'Affine', inputs: [n.inputs[0]!, sName, bName], outputs: n.outputs, attrs: {} };
  return {
    remove: [i],
    add: [node],
    values: [
      { name: sName, shape: [C], elem: 'float32', data: s },
      { name: bName, shape: [C], elem: 'float32', data: b },
    ],
  };
};

export const batchnormToAffine: Pass = { name: 'batchnorm-to-affine', run: (g) => applyRules(g, [toAffine]) };
