/**
 * The wide path of the weighted sums (Dense, Conv, ConvTranspose): used when the accumulator is
 * wider than the number path's 52 bits, as the derived accumulator of 32-bit operands is (a
 * product alone has 64 bits), and for operands wider than 52 bits (wide.ts runs the BigInt forms). The accumulator lives in BigInts and every per-term step is the
 * one the C++ performs, acc = cast(acc + x·w → A), with the output cast from A's grid at the end —
 * the same semantics as linear.ts, term for term in the same order, only slower. When A holds the
 * exact sum (the derived accumulator always does) the cast is skipped by a range test, which is
 * exactly what the cast would have returned.
 */
import { type FixedType, fixedType, fracBits, MAX_WIDTH } from '../../../ir/fixed.js';
import type { Node } from '../../../ir/graph.js';
import type { ConvAttrs, ConvTransposeAttrs } from '../../../ir/ops.js';
import { forEachIndex, stridesOf } from '../../../ir/semantics/float/conv.js';
import { castRaw, FAST_MAX_WIDTH, quantizeDouble } from '../../../ir/semantics/apfixed.js';
import type { CompileContext, FixedRun } from '../kernel.js';

/** True when a weighted sum's accumulator does not fit the number path. */
export function needsWideAccum(node: Node, ctx: CompileContext): boolean {
  void ctx;
  return (node.prec?.accum?.width ?? 0) > FAST_MAX_WIDTH;
}

interface WideAccumulation {
  /** Weight raws as BigInts. */
  w: bigint[];
  /** cast(b → A) per output channel (0 without bias). */
  init: bigint[];
  /** Output channels whose cast(b → A) overflows: counted for every sum that starts from it. */
  initOverflows: number;
  step: (acc: bigint, x: bigint, w: bigint) => bigint;
  out: (acc: bigint) => bigint;
}

/** Raws of a constant in its own type, as BigInts (any width). */
function constBigRaws(ctx: CompileContext, name: string): bigint[] {
  const v = ctx.value(name);
  const t = v.fixed!;
  return Array.from(v.data!, (x) => quantizeDouble(x, t));
}

/** cast(acc on a grid of `fa` fraction bits → t), counting overflows as the node's result. */
function outCast(fa: number, t: FixedType, ctx: CompileContext): (acc: bigint) => bigint {
  const src = fixedType(MAX_WIDTH, MAX_WIDTH - fa);
  const unbounded = fixedType(MAX_WIDTH, MAX_WIDTH - fracBits(t), { q: t.q });
  return (acc) => {
    const r = castRaw(acc, src, t);
    if (r !== castRaw(acc, src, unbounded)) ctx.stats.result++;
    return r;
  };
}

function wideAccumulation(node: Node, ctx: CompileContext, outCh: number): WideAccumulation {
  const xT = ctx.value(node.inputs[0]!).fixed!;
  const wName = node.inputs[1]!;
  const wT = ctx.value(wName).fixed!;
  const bName = node.inputs[2] || undefined;
  const A = node.prec!.accum!;
  const outT = ctx.value(node.outputs[0]!).fixed!;
  const fa = fracBits(A);
  const fp = fracBits(xT) + fracBits(wT);
  const f = Math.max(fa, fp);
  const sa = BigInt(f - fa);
  const sp = BigInt(f - fp);
  const max = A.signed ? (1n << BigInt(A.width - 1)) - 1n : (1n << BigInt(A.width)) - 1n;
  const min = A.signed ? (A.o === 'AP_SAT_SYM' ? -max : -max - 1n) : 0n;
  const src = fixedType(MAX_WIDTH, MAX_WIDTH - f);
  // Same quantization into a type too wide to overflow: a different result means A overflowed.
  const unbounded = fixedType(MAX_WIDTH, MAX_WIDTH - fa, { q: A.q });
  const toA = (s: bigint): bigint => {
    if (f === fa && s >= min && s <= max) return s;
    const r = castRaw(s, src, A);
    if (r !== castRaw(s, src, unbounded)) ctx.stats.accum++;
    return r;
  };
  const init = new Array<bigint>(outCh).fill(0n);
  let initOverflows = 0;
  if (bName) {
    const bT = ctx.value(bName).fixed!;
    const br = constBigRaws(ctx, bName);
    const bUnbounded = fixedType(MAX_WIDTH, MAX_WIDTH - fa, { q: A.q });
    for (let m = 0; m < outCh; m++) {
      const b = br[m]!;
      init[m] = castRaw(b, bT, A);
      if (init[m] !== castRaw(b, bT, bUnbounded)) initOverflows++;
    }
  }
  return {
    w: constBigRaws(ctx, wName),
    init,
    initOverflows,
    step: (acc, x, w) => toA((acc << sa) + ((x * w) << sp)),
    out: outCast(fa, outT, ctx),
  };
}

type BigRun = (ins: readonly (bigint[] | undefined)[], n: number) => bigint[][];

/** A BigInt run used by a number kernel: raws in and out as doubles (the output type is at most 52 bits). */
function onNumbers(run: BigRun): FixedRun {
  return (ins, n) => run(ins.map((x) => (x ? Array.from(x, (v) => BigInt(v)) : undefined)), n).map((y) => Float64Array.from(y, (v) => Number(v)));
}

export const wideDense = (node: Node<'Dense'>, ctx: CompileContext): FixedRun => onNumbers(wideDenseBig(node, ctx));
export const wideConv = (node: Node<'Conv'>, ctx: CompileContext): FixedRun => onNumbers(wideConvBig(node, ctx));
export const wideConvTranspose = (node: Node<'ConvTranspose'>, ctx: CompileContext): FixedRun => onNumbers(wideConvTransposeBig(node, ctx));

export function wideDenseBig(node: Node<'Dense'>, ctx: CompileContext): BigRun {
  const wv = ctx.value(node.inputs[1]!);
  const K = wv.shape[0]!;
  const M = wv.shape[1]!;
  const a = wideAccumulation(node, ctx, M);
  return (ins) => {
    const x = ins[0]!;
    const rows = x.length / K;
    const y = new Array<bigint>(rows * M);
    ctx.stats.accum += rows * a.initOverflows;
    const acc = new Array<bigint>(M);
    for (let r = 0; r < rows; r++) {
      for (let m = 0; m < M; m++) acc[m] = a.init[m]!;
      for (let k = 0; k < K; k++) {
        const xv = x[r * K + k]!;
        for (let m = 0; m < M; m++) acc[m] = a.step(acc[m]!, xv, a.w[k * M + m]!);
      }
      for (let m = 0; m < M; m++) y[r * M + m] = a.out(acc[m]!);
    }
    return [y];
  };
}

function geometry(node: Node<'Conv' | 'ConvTranspose'>, ctx: CompileContext, at: ConvAttrs) {
  const x = ctx.value(node.inputs[0]!);
  const y = ctx.value(node.outputs[0]!);
  const s = at.kernel.length;
  const r = x.shape.length;
  const inSp = x.shape.slice(r - s - 1, r - 1);
  const outSp = y.shape.slice(r - s - 1, r - 1);
  const taps: number[][] = [];
  forEachIndex(at.kernel, (k) => taps.push([...k]));
  const cin = x.shape[r - 1]!;
  const cout = y.shape[r - 1]!;
  return {
    s, inSp, outSp, cin, cout, taps, inStr: stridesOf(inSp), outStr: stridesOf(outSp),
    inPix: inSp.reduce((p, d) => p * d, 1), outPix: outSp.reduce((p, d) => p * d, 1),
    cinG: cin / at.group, coutG: cout / at.group,
  };
}

/** Conv in linear.ts's term order: taps, then groups, then input channels. */
export function wideConvBig(node: Node<'Conv'>, ctx: CompileContext): BigRun {
  const at: ConvAttrs = node.attrs;
  const G = geometry(node, ctx, at);
  const a = wideAccumulation(node, ctx, G.cout);
  return (ins) => {
    const x = ins[0]!;
    const samples = x.length / (G.inPix * G.cin);
    const y = new Array<bigint>(samples * G.outPix * G.cout);
    ctx.stats.accum += samples * G.outPix * a.initOverflows;
    const acc = new Array<bigint>(G.cout);
    for (let nn = 0; nn < samples; nn++) {
      const xo = nn * G.inPix * G.cin;
      forEachIndex(G.outSp, (o, op) => {
        for (let c = 0; c < G.cout; c++) acc[c] = a.init[c]!;
        G.taps.forEach((k, t) => {
          let off = 0;
          for (let i = 0; i < G.s; i++) {
            const p = o[i]! * at.strides[i]! + k[i]! * at.dilations[i]! - at.pads[i]!;
            if (p < 0 || p >= G.inSp[i]!) return;
            off += p * G.inStr[i]!;
          }
          for (let gr = 0; gr < at.group; gr++) {
            for (let ci = 0; ci < G.cinG; ci++) {
              const xv = x[xo + off * G.cin + gr * G.cinG + ci]!;
              const wRow = t * G.cinG * G.cout + ci * G.cout + gr * G.coutG;
              for (let co = 0; co < G.coutG; co++) acc[gr * G.coutG + co] = a.step(acc[gr * G.coutG + co]!, xv, a.w[wRow + co]!);
            }
          }
        });
        const yo = (nn * G.outPix + op) * G.cout;
        for (let c = 0; c < G.cout; c++) y[yo + c] = a.out(acc[c]!);
      });
    }
    return [y];
  };
}

/** ConvTranspose in linear.ts's term order: input pixels, then taps, groups, input channels. */
export function wideConvTransposeBig(node: Node<'ConvTranspose'>, ctx: CompileContext): BigRun {
  const at: ConvTransposeAttrs = node.attrs;
  const G = geometry(node, ctx, at);
  const a = wideAccumulation(node, ctx, G.cout);
  return (ins) => {
    const x = ins[0]!;
    const samples = x.length / (G.inPix * G.cin);
    const y = new Array<bigint>(samples * G.outPix * G.cout);
    const acc = new Array<bigint>(G.outPix * G.cout);
    ctx.stats.accum += samples * G.outPix * a.initOverflows;
    for (let nn = 0; nn < samples; nn++) {
      for (let p = 0; p < G.outPix; p++) for (let c = 0; c < G.cout; c++) acc[p * G.cout + c] = a.init[c]!;
      const xo = nn * G.inPix * G.cin;
      forEachIndex(G.inSp, (iIdx, iFlat) => {
        G.taps.forEach((k, t) => {
          let off = 0;
          for (let d = 0; d < G.s; d++) {
            const o = iIdx[d]! * at.strides[d]! + k[d]! * at.dilations[d]! - at.pads[d]!;
            if (o < 0 || o >= G.outSp[d]!) return;
            off += o * G.outStr[d]!;
          }
          for (let gr = 0; gr < at.group; gr++) {
            for (let ci = 0; ci < G.cinG; ci++) {
              const cIn = gr * G.cinG + ci;
              const xv = x[xo + iFlat * G.cin + cIn]!;
              const wRow = (t * G.cin + cIn) * G.coutG;
              const oRow = off * G.cout + gr * G.coutG;
              for (let co = 0; co < G.coutG; co++) acc[oRow + co] = a.step(acc[oRow + co]!, xv, a.w[wRow + co]!);
            }
          }
        });
      });
      const yo = nn * G.outPix * G.cout;
      for (let i = 0; i < G.outPix * G.cout; i++) y[yo + i] = a.out(acc[i]!);
    }
    return [y];
  };
}
