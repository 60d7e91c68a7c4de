/**
 * Bit-accurate kernels for the weighted sums — Dense, Conv, ConvTranspose — and the per-channel
 * Affine. Semantics (docs/fixed-point.md): acc = cast(bias → A); for each term in the documented
 * order acc = cast(acc + x·w → A); y = cast(acc → y.fixed). When A provably holds every partial
 * sum exactly (the derived accumulator does), each per-term cast is the identity and the kernel
 * accumulates plain integers on A's grid — the fast path that makes the simulator quick. Any
 * other accumulator takes the per-term path, which performs every cast the C++ does.
 */
import { type FixedType, fixedType, fracBits, MAX_WIDTH } from '../../../ir/fixed.js';
import type { Node } from '../../../ir/graph.js';
import type { ConvAttrs, ConvTransposeAttrs } from '../../../ir/ops.js';
import { int16SumsExact, maxAbsRaw, productSumBounds, rawRange } from '../../../ir/precision.js';
import { forEachIndex, stridesOf } from '../../../ir/semantics/float/conv.js';
import { castRaw, prepareCast } from '../../../ir/semantics/apfixed.js';
import { accumCast, checkWidth, resultCast, resultCastBig } from '../casts.js';
import { type CompileContext, type FixedKernel, type FixedKernelTable, type FixedRun, freshAlloc } from '../kernel.js';
import { mapInPlace, type RowSums, rowSums, sumsCodegen, weightedSums } from '../../sums-codegen.js';
import { convBlock, convPlan, convWindows, runConvPlan, windowIndex } from '../../im2col.js';
import { emitCast, GemmI16, gemmCastRun, identityIndex, wasmAvailable } from '../../wasm-gemm.js';
import { type CastPlan, castPlan } from '../../wasm-cast.js';
import { fusedPoolWindows } from './pool.js';
import { needsWideAccum, wideConv, wideConvTranspose, wideDense } from './linear-wide.js';

const TWO53 = 2 ** 53;

/**
 * How a weighted sum accumulates. In exact mode weights and bias are pre-scaled to A's grid and
 * `step` is never used; otherwise `step(acc, xRaw, wRaw)` performs acc = cast(acc + x·w → A).
 */
interface Accumulation {
  exact: boolean;
  /** Weights on A's grid (exact mode) or as raws (per-term mode). */
  w: Float64Array;
  /** Initial accumulator per output channel: cast(b → A) (0 without bias). */
  init: Float64Array;
  step: (acc: number, x: number, w: number) => number;
  /** Output channels whose cast(b → A) overflows: counted again for every sum that starts from it. */
  initOverflows: number;
  /** Raw (on A's grid) -> output raw. */
  out: (acc: number) => number;
  /** Weights as raws (products on the grid of x·w) and 2^(fa − fp), the step from that grid to A's. */
  raw: Float64Array;
  scale: number;
  /** Exact mode: the output cast as the module's epilogue (null: not covered, cast in JavaScript). */
  plan: CastPlan | null;
  /** Largest |sum| on A's grid, bias included (exact mode). */
  bound: number;
}

function accumulation(node: Node, ctx: CompileContext, outCh: number): Accumulation {
  const where = `node '${node.name}' (${node.op})`;
  const xT = ctx.value(node.inputs[0]!).fixed!;
  const wName = node.inputs[1]!;
  const wT = ctx.value(wName).fixed!;
  const bName = node.inputs[2] || undefined;
  const bT = bName ? ctx.value(bName).fixed! : undefined;
  const A = node.prec?.accum;
  if (!A) throw new Error(`${where}: no accumulator type (run the quantize pass)`);
  const outT = ctx.value(node.outputs[0]!).fixed!;
  checkWidth(A, `${where} accumulator`);
  checkWidth(outT, `${where} result`);
  const wr = ctx.constRaws(wName);
  const br = bName ? ctx.constRaws(bName) : undefined;
  const fa = fracBits(A);
  const fp = fracBits(xT) + fracBits(wT);
  const fb = bT ? fracBits(bT) : fa;
  const [aLo, aHi] = rawRange(A);
  // Largest partial sum on A's grid, whatever the inputs (x at its type's extreme).
  const sums = productSumBounds(wr, outCh, xT);
  let bound = 0;
  for (let m = 0; m < outCh; m++) {
    bound = Math.max(bound, sums[m]! * 2 ** (fa - fp) + (br ? Math.abs(br[m]!) * 2 ** (fa - fb) : 0));
  }
  const out = resultCast(fa, outT, ctx.stats);
  const exact = fa >= fp && fa >= fb && bound <= Math.min(aHi, -aLo) && bound < TWO53;
  const init = new Float64Array(outCh);
  if (exact) {
    const w = wr.map((v) => v * 2 ** (fa - fp));
    if (br) for (let m = 0; m < outCh; m++) init[m] = br[m]! * 2 ** (fa - fb);
    return { exact, w, init, step: () => 0, initOverflows: 0, out, raw: wr, scale: 2 ** (fa - fp), plan: castPlan(fp, fa, outT, bound), bound };
  }
  // Per-term path: the exact sum lives on the finer of the two grids before each cast into A.
  const f = Math.max(fa, fp);
  const sumBound = maxAbsRaw(A) * 2 ** (f - fa) + maxAbsRaw(xT) * maxAbsRaw(wT) * 2 ** (f - fp);
  const sa = 2 ** (f - fa);
  const sp = 2 ** (f - fp);
  let initOverflows = 0;
  if (br) {
    // Cast once here, but the C++ performs it for every sum: the kernels count it per sum.
    const bToA = prepareCast(fb, A, () => {
      initOverflows++;
    });
    for (let m = 0; m < outCh; m++) init[m] = bToA(br[m]!);
  }
  if (sumBound >= TWO53) {
    // Exact sums no longer fit a double: BigInt, slower, but the same casts.
    const big = wideAccumCast(f, A, ctx);
    const SA = BigInt(sa);
    const SP = BigInt(sp);
    return { exact, w: wr, init, step: (acc, x, w) => big(BigInt(acc) * SA + BigInt(x) * BigInt(w) * SP), initOverflows, out, raw: wr, scale: 1, plan: null, bound };
  }
  const toA = accumCast(f, A, ctx.stats);
  return { exact, w: wr, init, step: (acc, x, w) => toA(acc * sa + x * w * sp), initOverflows, out, raw: wr, scale: 1, plan: null, bound };
}

/** cast(s → A) of an exact BigInt sum on a grid of `f` fraction bits, counting overflows. */
function wideAccumCast(f: number, A: FixedType, ctx: CompileContext): (s: bigint) => number {
  const src = fixedType(MAX_WIDTH, MAX_WIDTH - f);
  // The same quantization into a type too wide to overflow: any difference is an overflow.
  const unbounded = fixedType(MAX_WIDTH, MAX_WIDTH - fracBits(A), { signed: true, q: A.q });
  return (s) => {
    const r = castRaw(s, src, A);
    if (r !== castRaw(s, src, unbounded)) ctx.stats.accum++;
    return Number(r);
  };
}

/**
 * Accepts the executor's offer to compute the following Relu too (CompileContext.fuse): the run
 * then returns that Relu's output after its own.
 */
function takeRelu(ctx: CompileContext): boolean {
  if (!ctx.fuse?.relu) return false;
  ctx.fuse.taken = true;
  return true;
}

const dense: FixedKernel<'Dense'> = (node, ctx) => {
  if (needsWideAccum(node, ctx)) return wideDense(node, ctx);
  const w = ctx.value(node.inputs[1]!);
  const K = w.shape[0]!;
  const M = w.shape[1]!;
  const a = accumulation(node, ctx, M);
  const { w: wd, init, out } = a;
  const acc = new Float64Array(M);
  const castAll = mapInPlace(out);
  if (a.exact && wasmAvailable()) {
    if (int16SumsExact(ctx.value(node.inputs[0]!).fixed!, a.raw, M)) {
      const g = new GemmI16({ K, M, rowsPerSample: 1 }, a.raw, identityIndex(K));
      const plan = a.plan;
      if (plan) {
        const init64 = BigInt64Array.from(init, (v) => BigInt(v));
        const relu = takeRelu(ctx);
        return (ins, _n, alloc = freshAlloc) => {
          const x = ins[0]!;
          const rows = x.length / K;
          const y = alloc(rows * M);
          const z = relu ? alloc(rows * M) : undefined;
          ctx.stats.result += gemmCastRun(g, x, rows, K, plan, init64, a.bound, y, M, 0, z);
          return z ? [y, z] : [y];
        };
      }
      const emit = emitCast(out);
      return (ins, _n, alloc = freshAlloc) => {
        const x = ins[0]!;
        const rows = x.length / K;
        const y = alloc(rows * M);
        g.run(x, rows, K, (sums, Mp, row0, n) => emit(sums, Mp, row0, n, y, M, 0, M, a.scale, init));
        return [y];
      };
    }
  }
  if (a.exact) {
    const sums = sumsCodegen.enabled ? weightedSums(K, M, wd, init, { dropZeroWeights: true }) : null;
    if (sums) {
      return (ins, _n, alloc = freshAlloc) => {
        const x = ins[0]!;
        const rows = x.length / K;
        const y = alloc(rows * M);
        sums(x, y, rows);
        castAll(y);
        return [y];
      };
    }
    return (ins, n) => {
      const x = ins[0]!;
      const rows = x.length / K;
      void n;
      const y = new Float64Array(rows * M);
      for (let r = 0; r < rows; r++) {
        acc.set(init);
        const xo = r * K;
        for (let k = 0; k < K; k++) {
          const xv = x[xo + k]!;
          if (xv === 0) continue;
          const wo = k * M;
          for (let m = 0; m < M; m++) acc[m]! += xv * wd[wo + m]!;
        }
        const yo = r * M;
        for (let m = 0; m < M; m++) y[yo + m] = out(acc[m]!);
      }
      return [y];
    };
  }
  const step = a.step;
  return (ins) => {
    const x = ins[0]!;
    const rows = x.length / K;
    const y = new Float64Array(rows * M);
    ctx.stats.accum += rows * a.initOverflows;
    for (let r = 0; r < rows; r++) {
      acc.set(init);
      for (let k = 0; k < K; k++) {
        const xv = x[r * K + k]!;
        for (let m = 0; m < M; m++) acc[m] = step(acc[m]!, xv, wd[k * M + m]!);
      }
      for (let m = 0; m < M; m++) y[r * M + m] = out(acc[m]!);
    }
    return [y];
  };
};

interface ConvGeometry {
  s: number;
  inSp: number[];
  outSp: number[];
  cin: number;
  cout: number;
  inStr: number[];
  outStr: number[];
  taps: number[][];
}

function convGeometry(node: Node, ctx: CompileContext, a: ConvAttrs): ConvGeometry {
  const x = ctx.value(node.inputs[0]!);
  const y = ctx.value(node.outputs[0]!);
  const s = a.kernel.length;
  const r = x.shape.length;
  const inSp = x.shape.slice(r - s - 1, r - 1);
  const outSp = y.shape.slice(r - s - 1, r - 1);
  const taps: number[][] = [];
  forEachIndex(a.kernel, (k) => taps.push([...k]));
  return { s, inSp, outSp, cin: x.shape[r - 1]!, cout: y.shape[r - 1]!, inStr: stridesOf(inSp), outStr: stridesOf(outSp), taps };
}

const conv: FixedKernel<'Conv'> = (node, ctx) => {
  if (needsWideAccum(node, ctx)) return wideConv(node, ctx);
  const at: ConvAttrs = node.attrs;
  const G = convGeometry(node, ctx, at);
  const acc = accumulation(node, ctx, G.cout);
  const { w, init, out, exact, step, initOverflows } = acc;
  const cinG = G.cin / at.group;
  const coutG = G.cout / at.group;
  const inPix = G.inSp.reduce((p, d) => p * d, 1);
  const outPix = G.outSp.reduce((p, d) => p * d, 1);
  // For each output pixel: the list of (tap index, input pixel offset) inside the input.
  const plan: Int32Array[] = [];
  forEachIndex(G.outSp, (o) => {
    const list: number[] = [];
    G.taps.forEach((k, t) => {
      let off = 0;
      for (let i = 0; i < G.s; i++) {
        const p = o[i]! * at.strides[i]! + k[i]! * at.dilations[i]! - at.pads[i]!;
        if (p < 0 || p >= G.inSp[i]!) return;
        off += p * G.inStr[i]!;
      }
      list.push(t, off);
    });
    plan.push(Int32Array.from(list));
  });
  // Exact accumulation: every output is a plain integer sum, so run each group as generated
  // row sums — straight from the input where the window is inside it, through a gathered patch
  // along padded borders (zeros there add nothing).
  if (exact && wasmAvailable() && at.group > 1 && coutG < 4 && acc.plan) {
    // Narrow groups (depthwise): one int16 sum over all channels with block-diagonal weights —
    // the other groups' weights are 0 and add nothing to the exact integer sums.
    const run = expandedGroups(node, ctx, G, at, acc, outPix, inPix);
    if (run) return run;
  }
  if (exact && wasmAvailable() && coutG >= 4) {
    const W = convWindows(G.inSp, G.outSp, at);
    const K = W.taps * cinG;
    const xT = ctx.value(node.inputs[0]!).fixed!;
    const gemms: GemmI16[] = [];
    for (let gr = 0; gr < at.group; gr++) {
      const wg = new Float64Array(K * coutG);
      for (let k = 0; k < K; k++) for (let co = 0; co < coutG; co++) wg[k * coutG + co] = acc.raw[k * G.cout + gr * coutG + co]!;
      if (!int16SumsExact(xT, wg, coutG)) break;
      gemms.push(new GemmI16({ K, M: coutG, rowsPerSample: outPix }, wg, windowIndex(W, G.cin, gr * cinG, cinG)));
    }
    if (gemms.length === at.group && acc.plan) {
      const plan = acc.plan;
      const inits = gemms.map((_, gr) => BigInt64Array.from(init.subarray(gr * coutG, (gr + 1) * coutG), (v) => BigInt(v)));
      const relu = takeRelu(ctx);
      // Conv → Relu → MaxPool: the pool too, on each block of the ReLU output still in scratch.
      const pool = relu && at.group === 1 && G.cout % 2 === 0 && ctx.fuse?.pool ? fusedPoolWindows(ctx.fuse.pool, ctx) : null;
      if (pool) ctx.fuse!.poolTaken = true;
      const poolLen = pool ? pool.origins.length * G.cout : 0;
      return (ins, _n, alloc = freshAlloc) => {
        const x = ins[0]!;
        const samples = x.length / (inPix * G.cin);
        const y = alloc(samples * outPix * G.cout);
        const z = relu ? alloc(samples * outPix * G.cout) : undefined;
        const p = pool ? alloc(samples * poolLen) : undefined;
        gemms.forEach((g, gr) => {
          ctx.stats.result += gemmCastRun(g, x, samples, inPix * G.cin, plan, inits[gr]!, acc.bound, y, G.cout, gr * coutG, z, pool ? { spec: pool, p: p! } : undefined);
        });
        return p ? [y, z!, p] : z ? [y, z] : [y];
      };
    }
    if (gemms.length === at.group) {
      const emit = emitCast(out);
      const inits = gemms.map((_, gr) => init.subarray(gr * coutG, (gr + 1) * coutG));
      return (ins, _n, alloc = freshAlloc) => {
        const x = ins[0]!;
        const samples = x.length / (inPix * G.cin);
        const y = alloc(samples * outPix * G.cout);
        gemms.forEach((g, gr) => g.run(x, samples, inPix * G.cin, (sums, Mp, row0, n) => emit(sums, Mp, row0, n, y, G.cout, gr * coutG, coutG, acc.scale, inits[gr]!)));
        return [y];
      };
    }
  }
  if (exact && sumsCodegen.enabled) {
    const P = convPlan(G.inSp, G.outSp, at, G.cin, G.cout);
    const K = P.W.taps * cinG;
    const inside: RowSums[] = [];
    const border: RowSums[] = [];
    for (let gr = 0; gr < at.group; gr++) {
      const wg = new Float64Array(K * coutG);
      for (let k = 0; k < K; k++) for (let co = 0; co < coutG; co++) wg[k * coutG + co] = w[k * G.cout + gr * coutG + co]!;
      const ig = init.subarray(gr * coutG, (gr + 1) * coutG);
      inside.push(rowSums(K, coutG, wg, ig, P.off[gr]!, { dropZeroWeights: true }));
      border.push(rowSums(K, coutG, wg, ig, P.identity, { dropZeroWeights: true }));
    }
    const castAll = mapInPlace(out);
    return (ins, _n, alloc = freshAlloc) => {
      const x = ins[0]!;
      const samples = x.length / (inPix * G.cin);
      const y = alloc(samples * outPix * G.cout);
      const block = convBlock(P, samples);
      const patch = new Float64Array(Math.max(1, block * P.border.length * K));
      runConvPlan(P, x, samples, y, inside, border, patch, block);
      castAll(y);
      return [y];
    };
  }
  const a = new Float64Array(G.cout);
  return (ins) => {
    const x = ins[0]!;
    const samples = x.length / (inPix * G.cin);
    const y = new Float64Array(samples * outPix * G.cout);
    ctx.stats.accum += samples * outPix * initOverflows;
    for (let nn = 0; nn < samples; nn++) {
      const xo = nn * inPix * G.cin;
      for (let op = 0; op < outPix; op++) {
        a.set(init);
        const list = plan[op]!;
        for (let j = 0; j < list.length; j += 2) {
          const t = list[j]!;
          const xBase = xo + list[j + 1]! * G.cin;
          const wBase = t * cinG * G.cout;
          for (let gr = 0; gr < at.group; gr++) {
            for (let ci = 0; ci < cinG; ci++) {
              const xv = x[xBase + gr * cinG + ci]!;
              const wRow = wBase + ci * G.cout + gr * coutG;
              const aRow = gr * coutG;
              if (exact) {
                if (xv === 0) continue;
                for (let co = 0; co < coutG; co++) a[aRow + co]! += xv * w[wRow + co]!;
              } else {
                for (let co = 0; co < coutG; co++) a[aRow + co] = step(a[aRow + co]!, xv, w[wRow + co]!);
              }
            }
          }
        }
        const yo = (nn * outPix + op) * G.cout;
        for (let c = 0; c < G.cout; c++) y[yo + c] = out(a[c]!);
      }
    }
    return [y];
  };
};

/** A grouped conv as one int16 sum over all input channels (block-diagonal weights); null when not exact in int32 or too large. */
function expandedGroups(node: Node, ctx: CompileContext, G: ConvGeometry, at: ConvAttrs, acc: Accumulation, outPix: number, inPix: number): FixedRun | null {
  const W = convWindows(G.inSp, G.outSp, at);
  const cinG = G.cin / at.group;
  const coutG = G.cout / at.group;
  const K = W.taps * G.cin;
  if (K * G.cout > 1 << 16) return null;
  const wx = new Float64Array(K * G.cout);
  for (let t = 0; t < W.taps; t++) {
    for (let co = 0; co < G.cout; co++) {
      const gr = Math.floor(co / coutG);
      for (let c = 0; c < cinG; c++) wx[(t * G.cin + gr * cinG + c) * G.cout + co] = acc.raw[(t * cinG + c) * G.cout + co]!;
    }
  }
  if (!int16SumsExact(ctx.value(node.inputs[0]!).fixed!, wx, G.cout)) return null;
  const g = new GemmI16({ K, M: G.cout, rowsPerSample: outPix }, wx, windowIndex(W, G.cin, 0, G.cin));
  const plan = acc.plan!;
  const init64 = BigInt64Array.from(acc.init, (v) => BigInt(v));
  const relu = takeRelu(ctx);
  const pool = relu && G.cout % 2 === 0 && ctx.fuse?.pool ? fusedPoolWindows(ctx.fuse.pool, ctx) : null;
  if (pool) ctx.fuse!.poolTaken = true;
  const poolLen = pool ? pool.origins.length * G.cout : 0;
  return (ins, _n, alloc = freshAlloc) => {
    const x = ins[0]!;
    const samples = x.length / (inPix * G.cin);
    const y = alloc(samples * outPix * G.cout);
    const z = relu ? alloc(samples * outPix * G.cout) : undefined;
    const p = pool ? alloc(samples * poolLen) : undefined;
    ctx.stats.result += gemmCastRun(g, x, samples, inPix * G.cin, plan, init64, acc.bound, y, G.cout, 0, z, pool ? { spec: pool, p: p! } : undefined);
    return p ? [y, z!, p] : z ? [y, z] : [y];
  };
}

const convTranspose: FixedKernel<'ConvTranspose'> = (node, ctx) => {
  if (needsWideAccum(node, ctx)) return wideConvTranspose(node, ctx);
  const at: ConvTransposeAttrs = node.attrs;
  const G = convGeometry(node, ctx, at);
  const { w, init, out, exact, step, initOverflows } = accumulation(node, ctx, G.cout);
  const cinG = G.cin / at.group;
  const coutG = G.cout / at.group;
  const inPix = G.inSp.reduce((p, d) => p * d, 1);
  const outPix = G.outSp.reduce((p, d) => p * d, 1);
  return (ins) => {
    const x = ins[0]!;
    const samples = x.length / (inPix * G.cin);
    const y = new Float64Array(samples * outPix * G.cout);
    const acc = new Float64Array(outPix * G.cout);
    ctx.stats.accum += samples * outPix * initOverflows;
    for (let nn = 0; nn < samples; nn++) {
      for (let p = 0; p < outPix; p++) acc.set(init, p * G.cout);
      const xo = nn * inPix * G.cin;
      forEachIndex(G.inSp, (iIdx, iFlat) => {
        G.taps.forEach((k, t) => {
          let off = 0;
          for (let d = 0; d < G.s; d++) {
            const o = iIdx[d]! * at.strides[d]! + k[d]! * at.dilations[d]! - at.pads[d]!;
            if (o < 0 || o >= G.outSp[d]!) return;
            off += o * G.outStr[d]!;
          }
          for (let gr = 0; gr < at.group; gr++) {
            for (let ci = 0; ci < cinG; ci++) {
              const cIn = gr * cinG + ci;
              const xv = x[xo + iFlat * G.cin + cIn]!;
              const wRow = (t * G.cin + cIn) * coutG;
              const oRow = off * G.cout + gr * coutG;
              for (let co = 0; co < coutG; co++) {
                acc[oRow + co] = exact ? acc[oRow + co]! + xv * w[wRow + co]! : step(acc[oRow + co]!, xv, w[wRow + co]!);
              }
            }
          }
        });
      });
      const yo = nn * outPix * G.cout;
      for (let i = 0; i < outPix * G.cout; i++) y[yo + i] = out(acc[i]!);
    }
    return [y];
  };
};

const affine: FixedKernel<'Affine'> = (node, ctx): FixedRun => {
  const where = `node '${node.name}' (Affine)`;
  const xT = ctx.value(node.inputs[0]!).fixed!;
  const sT = ctx.value(node.inputs[1]!).fixed!;
  const bT = ctx.value(node.inputs[2]!).fixed!;
  const outT = ctx.value(node.outputs[0]!).fixed!;
  checkWidth(outT, where);
  const s = ctx.constRaws(node.inputs[1]!);
  const b = ctx.constRaws(node.inputs[2]!);
  const fp = fracBits(xT) + fracBits(sT);
  const f = Math.max(fp, fracBits(bT));
  const C = s.length;
  if (maxAbsRaw(xT) * maxAbsRaw(sT) * 2 ** (f - fp) + maxAbsRaw(bT) * 2 ** (f - fracBits(bT)) >= TWO53) {
    // Exact results a double would round: the same sum in BigInt, then the same cast.
    const sB = Array.from(s, (v) => BigInt(v) << BigInt(f - fp));
    const bB = Array.from(b, (v) => BigInt(v) << BigInt(f - fracBits(bT)));
    const outB = resultCastBig(f, outT, ctx.stats);
    return (ins) => {
      const x = ins[0]!;
      const y = new Float64Array(x.length);
      for (let i = 0; i < x.length; i++) y[i] = outB(BigInt(x[i]!) * sB[i % C]! + bB[i % C]!);
      return [y];
    };
  }
  const sS = s.map((v) => v * 2 ** (f - fp));
  const bS = b.map((v) => v * 2 ** (f - fracBits(bT)));
  const out = resultCast(f, outT, ctx.stats);
  return (ins) => {
    const x = ins[0]!;
    const y = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) y[i] = out(x[i]! * sS[i % C]! + bS[i % C]!);
    return [y];
  };
};

export const linearFixedKernels: FixedKernelTable = { Dense: dense, Conv: conv, ConvTranspose: convTranspose, Affine: affine };
