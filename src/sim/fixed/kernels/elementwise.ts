/**
 * Bit-accurate binary elementwise ops (Add, Sub, Mul, Max, Min with numpy broadcasting) and
 * Concat. Operands keep their own types; the exact result (sum and difference on the finer
 * grid, product on the sum of the grids, max/min compared exactly) is cast once into the
 * output's type. Constant operands (no batch dim) are read through the same broadcast map.
 * Exact results that can reach 2^53 (wide products, sums aligned across distant grids) are
 * computed with BigInts, since a double would round them before the cast.
 */
import { fracBits } from '../../../ir/fixed.js';
import { isConst } from '../../../ir/graph.js';
import { maxAbsRaw } from '../../../ir/precision.js';
import { checkWidth, resultCast, resultCastBig } from '../casts.js';
import { type CompileContext, type FixedKernel, type FixedKernelTable, freshAlloc } from '../kernel.js';
import { sumsCodegen } from '../../sums-codegen.js';
import { broadcastIndex } from './activation.js';

type Combine = (a: number, b: number) => number;

function binary(kind: 'Add' | 'Sub' | 'Mul' | 'Max' | 'Min'): FixedKernel {
  return (node, ctx: CompileContext) => {
    const A = ctx.value(node.inputs[0]!);
    const B = ctx.value(node.inputs[1]!);
    const Y = ctx.value(node.outputs[0]!);
    checkWidth(Y.fixed!, `node '${node.name}' (${node.op})`);
    const fa = fracBits(A.fixed!);
    const fb = fracBits(B.fixed!);
    const f = kind === 'Mul' ? fa + fb : Math.max(fa, fb);
    const sa = kind === 'Mul' ? 1 : 2 ** (f - fa);
    const sb = kind === 'Mul' ? 1 : 2 ** (f - fb);
    const c = resultCast(f, Y.fixed!, ctx.stats);
    const op: Combine =
      kind === 'Add' ? (a, b) => a * sa + b * sb
      : kind === 'Sub' ? (a, b) => a * sa - b * sb
      : kind === 'Mul' ? (a, b) => a * b
      : kind === 'Max' ? (a, b) => Math.max(a * sa, b * sb)
      : (a, b) => Math.min(a * sa, b * sb);
    const ia = broadcastIndex(Y.shape, A.shape);
    const ib = broadcastIndex(Y.shape, B.shape);
    const per = ia.length;
    const aSize = A.shape.reduce((p, d) => p * d, 1);
    const bSize = B.shape.reduce((p, d) => p * d, 1);
    const aConst = isConst(A) ? ctx.constRaws(A.name) : undefined;
    const bConst = isConst(B) ? ctx.constRaws(B.name) : undefined;
    // Largest exact result in raws at f: beyond 2^53 a double would round it, so use BigInts.
    const ma = maxAbsRaw(A.fixed!);
    const mb = maxAbsRaw(B.fixed!);
    const bound = kind === 'Mul' ? ma * mb : kind === 'Add' || kind === 'Sub' ? ma * sa + mb * sb : Math.max(ma * sa, mb * sb);
    if (bound >= 2 ** 53) {
      const cb = resultCastBig(f, Y.fixed!, ctx.stats);
      const ka = BigInt(f - fa);
      const kb = BigInt(f - fb);
      const opB: (a: number, b: number) => bigint =
        kind === 'Mul' ? (a, b) => BigInt(a) * BigInt(b)
        : kind === 'Add' ? (a, b) => (BigInt(a) << ka) + (BigInt(b) << kb)
        : kind === 'Sub' ? (a, b) => (BigInt(a) << ka) - (BigInt(b) << kb)
        : kind === 'Max' ? (a, b) => { const x = BigInt(a) << ka; const z = BigInt(b) << kb; return x >= z ? x : z; }
        : (a, b) => { const x = BigInt(a) << ka; const z = BigInt(b) << kb; return x <= z ? x : z; };
      return (ins, n) => {
        const a = aConst ?? ins[0]!;
        const b = bConst ?? ins[1]!;
        const samples = aConst && bConst ? 1 : n;
        const y = new Float64Array(samples * per);
        for (let s = 0; s < samples; s++) {
          const ao = aConst ? 0 : s * aSize;
          const bo = bConst ? 0 : s * bSize;
          for (let i = 0; i < per; i++) y[s * per + i] = cb(opB(a[ao + ia[i]!]!, b[bo + ib[i]!]!));
        }
        return [y];
      };
    }
    const same = (s: readonly number[]) => s.length === Y.shape.length && s.every((d, i) => d === Y.shape[i]);
    if (sumsCodegen.enabled && !aConst && !bConst && same(A.shape) && same(B.shape)) {
      // Two run-time operands of the output's shape (a residual Add): one loop of its own per
      // node, the cast inlined, no index maps — the same expression on the same raws.
      const expr = { Add: `a[i] * ${sa} + b[i] * ${sb}`, Sub: `a[i] * ${sa} - b[i] * ${sb}`, Mul: 'a[i] * b[i]', Max: `Math.max(a[i] * ${sa}, b[i] * ${sb})`, Min: `Math.min(a[i] * ${sa}, b[i] * ${sb})` }[kind];
      // A following identity-cast Relu (CompileContext.fuse) in the same loop: z = y·(y > 0) + 0, its kernel's expression.
      const relu = ctx.fuse?.relu === true;
      if (relu) ctx.fuse!.taken = true;
      const body = relu ? `const v = c(${expr}); y[i] = v; z[i] = v * +(v > 0) + 0;` : `y[i] = c(${expr});`;
      // eslint-disable-next-line @typescript-eslint/no-implied-eval
      const loop = new Function('c', `return function (a, b, y, z) { for (let i = 0; i < y.length; i++) { ${body} } };`)(c) as (a: Float64Array, b: Float64Array, y: Float64Array, z?: Float64Array) => void;
      return (ins, _n, alloc = freshAlloc) => {
        const a = ins[0]!;
        const y = alloc(a.length);
        const z = relu ? alloc(a.length) : undefined;
        loop(a, ins[1]!, y, z);
        return z ? [y, z] : [y];
      };
    }
    return (ins, n) => {
      const a = aConst ?? ins[0]!;
      const b = bConst ?? ins[1]!;
      const samples = aConst && bConst ? 1 : n;
      const y = new Float64Array(samples * per);
      for (let s = 0; s < samples; s++) {
        const ao = aConst ? 0 : s * aSize;
        const bo = bConst ? 0 : s * bSize;
        for (let i = 0; i < per; i++) y[s * per + i] = c(op(a[ao + ia[i]!]!, b[bo + ib[i]!]!));
      }
      return [y];
    };
  };
}

const concat: FixedKernel<'Concat'> = (node, ctx) => {
  const Y = ctx.value(node.outputs[0]!);
  const yT = Y.fixed!;
  checkWidth(yT, `node '${node.name}' (Concat)`);
  const ax = Y.shape.length + node.attrs.axis;
  const outer = Y.shape.slice(0, ax).reduce((p, d) => p * d, 1);
  const parts = node.inputs.map((name) => {
    const v = ctx.value(name);
    const chunk = v.shape.slice(ax).reduce((p, d) => p * d, 1);
    return { chunk, size: v.shape.reduce((p, d) => p * d, 1), cast: resultCast(fracBits(v.fixed!), yT, ctx.stats), konst: isConst(v) ? ctx.constRaws(name) : undefined };
  });
  const ySize = Y.shape.reduce((p, d) => p * d, 1);
  return (ins, n) => {
    const y = new Float64Array(n * ySize);
    let pos = 0;
    for (let s = 0; s < n; s++) {
      for (let o = 0; o < outer; o++) {
        parts.forEach((p, k) => {
          const x = p.konst ?? ins[k]!;
          const base = (p.konst ? 0 : s * p.size) + o * p.chunk;
          for (let i = 0; i < p.chunk; i++) y[pos++] = p.cast(x[base + i]!);
        });
      }
    }
    return [y];
  };
};

export const elementwiseFixedKernels: FixedKernelTable = {
  Add: binary('Add'),
  Sub: binary('Sub'),
  Mul: binary('Mul'),
  Max: binary('Max'),
  Min: binary('Min'),
  Concat: concat,
};
