/**
 * Bit-accurate kernels of the everyday ops that are exact on a fixed-point datapath: Abs and
 * Neg (y = cast(±x → Y)), Sign/Floor/Ceil/Round, and the Sum/Mean/Max/Min reductions. A sum is exact (the raws of at
 * most 2^53 fit a double), Mean multiplies that exact sum by 1/K from the compiler's reciprocal
 * table (as average pooling does) and casts once; Max/Min select exactly and cast once.
 * Semantics: docs/fixed-point.md; types: the quantize pass.
 */
import { fracBits } from '../../../ir/fixed.js';
import { NnInputError } from '../../../util/tensor.js';
import { checkWidth, maxAbsRaw, productCast, resultCast } from '../casts.js';
import type { FixedKernel, FixedKernelTable } from '../kernel.js';
import { reduceIndexMap } from '../../../ir/semantics/index-maps.js';

const signFlip =
  (abs: boolean): FixedKernel<'Abs' | 'Neg'> =>
  (node, ctx) => {
    const xT = ctx.value(node.inputs[0]!).fixed!;
    const yT = ctx.value(node.outputs[0]!).fixed!;
    checkWidth(yT, `node '${node.name}' (${node.op})`);
    const c = resultCast(fracBits(xT), yT, ctx.stats);
    return (ins) => {
      const x = ins[0]!;
      const y = new Float64Array(x.length);
      for (let i = 0; i < x.length; i++) y[i] = c(abs ? Math.abs(x[i]!) : -x[i]!);
      return [y];
    };
  };

/**
 * Sign, Floor, Ceil, Round: Sign is cast(±1 or 0 → Y); the others go through the node's
 * whole-number type `prec.types.whole` (truncating for Floor/Ceil, AP_RND_CONV for Round),
 * which holds every result exactly, then cast into Y — as the C++ assigns them.
 */
const wholePart: FixedKernel<'Sign' | 'Floor' | 'Ceil' | 'Round'> = (node, ctx) => {
  const xT = ctx.value(node.inputs[0]!).fixed!;
  const yT = ctx.value(node.outputs[0]!).fixed!;
  checkWidth(yT, `node '${node.name}' (${node.op})`);
  if (node.op === 'Sign') {
    const c = resultCast(0, yT, ctx.stats);
    return (ins) => [ins[0]!.map((r) => c(r > 0 ? 1 : r < 0 ? -1 : 0))];
  }
  const wT = node.prec?.types?.['whole'];
  if (!wT) throw new Error(`node '${node.name}' (${node.op}): no whole-number type (run the quantize pass)`);
  const scratch = { result: 0, accum: 0 };
  const toWhole = resultCast(fracBits(xT), wT, scratch);
  const c = resultCast(0, yT, ctx.stats);
  const f = node.op === 'Ceil' ? (r: number) => c(-toWhole(-r)) : (r: number) => c(toWhole(r));
  return (ins) => [ins[0]!.map(f)];
};

const reduce: FixedKernel<'Reduce'> = (node, ctx) => {
  const where = `node '${node.name}' (Reduce${node.attrs.fn})`;
  const X = ctx.value(node.inputs[0]!);
  const xT = X.fixed!;
  const yT = ctx.value(node.outputs[0]!).fixed!;
  checkWidth(yT, where);
  const { map, outSize, count } = reduceIndexMap(X.shape, node.attrs.axes);
  const per = map.length;
  const fn = node.attrs.fn;
  if (fn === 'Max' || fn === 'Min') {
    const c = resultCast(fracBits(xT), yT, ctx.stats);
    const better = fn === 'Max' ? (a: number, b: number) => a > b : (a: number, b: number) => a < b;
    return (ins, n) => {
      const x = ins[0]!;
      const y = new Float64Array(n * outSize);
      const m = new Float64Array(outSize);
      const seen = new Uint8Array(outSize);
      for (let s = 0; s < n; s++) {
        seen.fill(0);
        for (let j = 0; j < per; j++) {
          const o = map[j]!;
          const v = x[s * per + j]!;
          if (!seen[o] || better(v, m[o]!)) {
            m[o] = v;
            seen[o] = 1;
          }
        }
        for (let o = 0; o < outSize; o++) y[s * outSize + o] = c(m[o]!);
      }
      return [y];
    };
  }
  if (fn !== 'Sum' && fn !== 'Mean') throw new NnInputError(`${where}: has no fixed-point kernel`);
  if (maxAbsRaw(xT) * count >= 2 ** 53) {
    throw new NnInputError(`${where}: a sum of ${count} values of this ${xT.width}-bit type can exceed 2^53 raws; use a narrower input type for this layer`);
  }
  let cast: (sum: number) => number;
  if (fn === 'Sum') {
    cast = resultCast(fracBits(xT), yT, ctx.stats);
  } else {
    const spec = node.prec?.tables?.['recip'];
    if (!spec) throw new Error(`${where}: no reciprocal table (run the quantize pass)`);
    const recipT = ctx.value(spec.value).fixed!;
    const r = ctx.constRaws(spec.value)[count]!;
    const pc = productCast(fracBits(xT) + fracBits(recipT), yT, ctx.stats, maxAbsRaw(xT) * count, maxAbsRaw(recipT));
    cast = (sum) => pc(sum, r);
  }
  return (ins, n) => {
    const x = ins[0]!;
    const y = new Float64Array(n * outSize);
    const acc = new Float64Array(outSize);
    for (let s = 0; s < n; s++) {
      acc.fill(0);
      for (let j = 0; j < per; j++) acc[map[j]!]! += x[s * per + j]!;
      for (let o = 0; o < outSize; o++) y[s * outSize + o] = cast(acc[o]!);
    }
    return [y];
  };
};

export const mathFixedKernels: FixedKernelTable = {
  Abs: signFlip(true),
  Neg: signFlip(false),
  Sign: wholePart,
  Floor: wholePart,
  Ceil: wholePart,
  Round: wholePart,
  Reduce: reduce,
};
