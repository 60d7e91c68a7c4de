/**
 * Bit-accurate pooling. Max: the largest raw of the window in x's type (padding never wins),
 * then one cast. Average: the exact sum of the in-input taps (on x's grid, held by the derived
 * accumulator) times the compiler's reciprocal-of-count table entry, product exact, then one
 * cast (docs/fixed-point.md). The divisor counts padded taps only with count_include_pad.
 */
import { fracBits } from '../../../ir/fixed.js';
import type { Node } from '../../../ir/graph.js';
import type { PoolAttrs } from '../../../ir/ops.js';
import { poolWindowPlan, type WindowPlan } from '../../../ir/semantics/window.js';
import { uniformMaxPool } from '../../pool-codegen.js';
import type { FusedPool } from '../../wasm-pool.js';
import { checkWidth, isIdentityCast, maxAbsRaw, productCast, resultCast, resultCastBig } from '../casts.js';
import { type CompileContext, type FixedKernel, type FixedKernelTable, type FixedRun, freshAlloc } from '../kernel.js';

interface Window {
  /** Per output pixel: input pixel offsets inside the input. */
  taps: readonly Int32Array[];
  /** Per output pixel: the divisor count. */
  counts: Int32Array;
  inPix: number;
  outPix: number;
  C: number;
}

function windows(node: Node, ctx: CompileContext, a: PoolAttrs, includePad: boolean): Window & { plan: WindowPlan } {
  const x = ctx.value(node.inputs[0]!);
  const y = ctx.value(node.outputs[0]!);
  const s = a.kernel.length;
  const r = x.shape.length;
  const inSp = x.shape.slice(r - s - 1, r - 1);
  const outSp = y.shape.slice(r - s - 1, r - 1);
  const plan = poolWindowPlan(inSp, outSp, a, includePad);
  const { taps, counts } = plan;
  return {
    plan,
    taps,
    counts,
    inPix: inSp.reduce((p, d) => p * d, 1),
    outPix: outSp.reduce((p, d) => p * d, 1),
    C: x.shape[r - 1]!,
  };
}

/**
 * The windows of a MaxPool (node) as a pool fused after the layer that computes its input
 * (wasm-pool.ts): null unless every window lies inside the input with the same shape and at
 * most 64 taps — the cases where the module's pass equals the reference loop trivially.
 */
export function fusedPoolWindows(node: Node, ctx: CompileContext): FusedPool | null {
  if (node.op !== 'MaxPool') return null;
  const a: PoolAttrs = node.attrs;
  const { plan } = windows(node, ctx, a, false);
  const full = a.kernel.reduce((p, d) => p * d, 1);
  const first = plan.taps[0];
  if (!first || first.length !== full || full > 64) return null;
  const rel = Int32Array.from(first, (t) => t - first[0]!);
  const origins = new Int32Array(plan.taps.length);
  for (let op = 0; op < plan.taps.length; op++) {
    const l = plan.taps[op]!;
    if (l.length !== full) return null;
    for (let j = 0; j < full; j++) if (l[j]! - l[0]! !== rel[j]) return null;
    origins[op] = l[0]!;
  }
  return { origins, rel };
}

function globalWindow(node: Node, ctx: CompileContext, spatialRank: number): Window {
  const x = ctx.value(node.inputs[0]!);
  const r = x.shape.length;
  const inPix = x.shape.slice(r - spatialRank - 1, r - 1).reduce((p, d) => p * d, 1);
  return { taps: [Int32Array.from({ length: inPix }, (_, i) => i)], counts: Int32Array.of(inPix), inPix, outPix: 1, C: x.shape[r - 1]! };
}

function maxRun(node: Node, ctx: CompileContext, w: Window, plan?: WindowPlan): FixedRun {
  const xT = ctx.value(node.inputs[0]!).fixed!;
  const yT = ctx.value(node.outputs[0]!).fixed!;
  checkWidth(yT, `node '${node.name}' (${node.op})`);
  const c = resultCast(fracBits(xT), yT, ctx.stats);
  const { C } = w;
  // The same usual case (same type in and out): no cast, and no closure call per element.
  const same = isIdentityCast(xT, yT);
  // Uniform windows inside the input: generated code (the same comparisons; raws are never -Infinity there).
  const gen = plan ? uniformMaxPool(plan, w.inPix, C, same ? undefined : c) : null;
  if (gen) {
    return (ins, _n, alloc = freshAlloc) => {
      const x = ins[0]!;
      const samples = x.length / (w.inPix * C);
      const y = alloc(samples * w.outPix * C);
      gen(x, y, samples);
      return [y];
    };
  }
  // Window offsets in elements (taps · C), per output pixel.
  const offs = w.taps.map((l) => l.map((v) => v * C));
  return (ins) => {
    const x = ins[0]!;
    const samples = x.length / (w.inPix * C);
    const y = new Float64Array(samples * w.outPix * C);
    for (let n = 0; n < samples; n++) {
      const xb = n * w.inPix * C;
      for (let op = 0; op < w.outPix; op++) {
        const list = offs[op]!;
        const L = list.length;
        const yo = (n * w.outPix + op) * C;
        for (let ch = 0; ch < C; ch++) {
          let m = -Infinity;
          for (let j = 0; j < L; j++) {
            const v = x[xb + list[j]! + ch]!;
            if (v > m) m = v;
          }
          // (An all-padding window keeps -Infinity: that one still goes through the cast.)
          y[yo + ch] = same && m !== -Infinity ? m : c(m);
        }
      }
    }
    return [y];
  };
}

function avgRun(node: Node<'AvgPool' | 'GlobalAvgPool'>, ctx: CompileContext, w: Window): FixedRun {
  const xT = ctx.value(node.inputs[0]!).fixed!;
  const yT = ctx.value(node.outputs[0]!).fixed!;
  checkWidth(yT, `node '${node.name}' (${node.op})`);
  const spec = node.prec?.tables?.['recip'];
  if (!spec) throw new Error(`node '${node.name}' (${node.op}): no reciprocal table (run the quantize pass)`);
  const recipT = ctx.value(spec.value).fixed!;
  const recip = ctx.constRaws(spec.value);
  const maxCount = w.taps.reduce((m, l) => Math.max(m, l.length), 0);
  const c = productCast(fracBits(xT) + fracBits(recipT), yT, ctx.stats, maxAbsRaw(xT) * maxCount, maxAbsRaw(recipT));
  const { C } = w;
  const sum = new Float64Array(C);
  if (maxAbsRaw(xT) * maxCount >= 2 ** 53) {
    // A window sum a double could round: add in BigInt, then cast through the exact product.
    const cb = resultCastBig(fracBits(xT) + fracBits(recipT), yT, ctx.stats);
    const big = new Array<bigint>(C);
    return (ins) => {
      const x = ins[0]!;
      const samples = x.length / (w.inPix * C);
      const y = new Float64Array(samples * w.outPix * C);
      for (let n = 0; n < samples; n++) {
        for (let op = 0; op < w.outPix; op++) {
          big.fill(0n);
          const list = w.taps[op]!;
          for (let j = 0; j < list.length; j++) {
            const base = (n * w.inPix + list[j]!) * C;
            for (let ch = 0; ch < C; ch++) big[ch] = big[ch]! + BigInt(x[base + ch]!);
          }
          const r = BigInt(recip[Math.min(w.counts[op]!, spec.size - 1)]!);
          const yo = (n * w.outPix + op) * C;
          for (let ch = 0; ch < C; ch++) y[yo + ch] = cb(big[ch]! * r);
        }
      }
      return [y];
    };
  }
  return (ins) => {
    const x = ins[0]!;
    const samples = x.length / (w.inPix * C);
    const y = new Float64Array(samples * w.outPix * C);
    for (let n = 0; n < samples; n++) {
      for (let op = 0; op < w.outPix; op++) {
        sum.fill(0);
        const list = w.taps[op]!;
        for (let j = 0; j < list.length; j++) {
          const base = (n * w.inPix + list[j]!) * C;
          for (let ch = 0; ch < C; ch++) sum[ch]! += x[base + ch]!;
        }
        const r = recip[Math.min(w.counts[op]!, spec.size - 1)]!;
        const yo = (n * w.outPix + op) * C;
        for (let ch = 0; ch < C; ch++) y[yo + ch] = c(sum[ch]!, r);
      }
    }
    return [y];
  };
}

const maxPool: FixedKernel<'MaxPool'> = (node, ctx) => {
  const w = windows(node, ctx, node.attrs, false);
  return maxRun(node, ctx, w, w.plan);
};
const avgPool: FixedKernel<'AvgPool'> = (node, ctx) => avgRun(node, ctx, windows(node, ctx, node.attrs, node.attrs.countIncludePad));
const globalMax: FixedKernel<'GlobalMaxPool'> = (node, ctx) => maxRun(node, ctx, globalWindow(node, ctx, node.attrs.spatialRank));
const globalAvg: FixedKernel<'GlobalAvgPool'> = (node, ctx) => avgRun(node, ctx, globalWindow(node, ctx, node.attrs.spatialRank));

export const poolFixedKernels: FixedKernelTable = { MaxPool: maxPool, AvgPool: avgPool, GlobalMaxPool: globalMax, GlobalAvgPool: globalAvg };
