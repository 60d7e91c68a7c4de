/**
 * Bit-accurate binary elementwise ops (Add, Sub, Mul, Max, Min with numpy broadcasting) and
 * Concat. Operands keep their own types; the exact result (sum and difference on the finer
 * grid, product on the sum of the grids, max/min compared exactly) is cast once into the
 * output's type. Constant operands (no batch dim) are read through the same broadcast map.
 * Exact results that can reach 2^53 (wide products, sums aligned across distant grids) are
 * computed with BigInts, since a double would round them before the cast. Where the integer
 * WebAssembly module covers the op (wasmBinary) it runs there, with the following Relu and
 * MaxPool fused; the loops here are the reference and the fallback.
 */
import { fracBits } from '../../../ir/fixed.js';
import { isConst, type Node, type Value } from '../../../ir/graph.js';
import { maxAbsRaw } from '../../../ir/precision.js';
import { checkWidth, resultCast, resultCastBig } from '../casts.js';
import { type CompileContext, type FixedKernel, type FixedKernelTable, type FixedRun, freshAlloc } from '../kernel.js';
import { sumsCodegen } from '../../sums-codegen.js';
import { eltwisePlan, eltwiseRun, type OperandMode } from '../../wasm-fixed-eltwise.js';
import { fixedModule, wasmAvailable } from '../../wasm-gemm.js';
import { broadcastIndex } from './activation.js';
import { fusedPoolWindows } from './pool.js';

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
    const wasmRun = wasmBinary(kind, node, ctx, { A, B, Y, aConst, bConst, fa, fb, bound, per });
    if (wasmRun) return wasmRun;
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

/**
 * The op in the integer WebAssembly module (wasm-fixed-eltwise.ts), with a following Relu and a
 * MaxPool after it fused as the executor offers them, when it covers the case: each operand a
 * run-time tensor of the output's shape, a constant of one sample's shape or a constant scalar
 * (not both constant), and a cast eltwisePlan() covers. Null otherwise: run-time operands that
 * broadcast (a per-sample scalar or a lower-rank run-time tensor), AP_WRAP with saturation bits,
 * and exact results of 2^52 and beyond stay on the JavaScript kernels above and below.
 */
function wasmBinary(
  kind: 'Add' | 'Sub' | 'Mul' | 'Max' | 'Min',
  node: Node,
  ctx: CompileContext,
  v: { A: Value; B: Value; Y: Value; aConst?: Float64Array; bConst?: Float64Array; fa: number; fb: number; bound: number; per: number },
): FixedRun | null {
  const { Y, per } = v;
  const same = (s: readonly number[]) => s.length === Y.shape.length && s.every((d, i) => d === Y.shape[i]);
  const mode = (x: Value, konst: Float64Array | undefined): OperandMode | null =>
    konst ? (konst.length === 1 ? 'scalar' : same(x.shape) ? 'sample' : null) : same(x.shape) ? 'full' : null;
  const am = mode(v.A, v.aConst);
  const bm = mode(v.B, v.bConst);
  if (!am || !bm || (am !== 'full' && bm !== 'full') || !wasmAvailable()) return null;
  const plan = eltwisePlan(kind, v.fa, v.fb, Y.fixed!, v.bound);
  if (!plan) return null;
  const relu = ctx.fuse?.relu === true;
  if (relu) ctx.fuse!.taken = true;
  // Add → Relu → MaxPool (a residual block's end): the pool too, two channels at a time.
  const C = Y.shape[Y.shape.length - 1]!;
  const pool = relu && C % 2 === 0 && ctx.fuse?.pool ? fusedPoolWindows(ctx.fuse.pool, ctx) : null;
  if (pool) ctx.fuse!.poolTaken = true;
  const poolLen = pool ? pool.origins.length * C : 0;
  const a0 = v.aConst;
  const b0 = v.bConst;
  return (ins, _n, alloc = freshAlloc) => {
    const a = a0 ?? ins[0]!;
    const b = b0 ?? ins[1]!;
    const samples = (am === 'full' ? a : b).length / per;
    const y = alloc(samples * per);
    const z = relu ? alloc(samples * per) : undefined;
    const p = pool ? alloc(samples * poolLen) : undefined;
    ctx.stats.result += eltwiseRun(fixedModule()!, plan, a, am, b, bm, samples, per, y, z, pool ? { spec: pool, C, p: p! } : undefined);
    return p ? [y, z!, p] : z ? [y, z] : [y];
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
