/**
 * Bit-accurate kernels for the ONNX recurrent layers LSTM, GRU and RNN (the one reading of their
 * `activations` attribute, shared with the quantize pass and the emitter, is in
 * src/ir/semantics/recurrent.ts). Semantics
 * (docs/fixed-point.md, "LSTM, GRU, RNN"): every gate pre-activation is a weighted sum
 * Wb + Rb + x·W + h·R (+ P⊙c) accumulated in the node's accumulator A exactly as Dense does,
 * then cast into the gate type G and clamped by `clip`; the activations are the compiler's
 * lookup tables (or exact piecewise-linear functions), producing values of the activation type;
 * the cell state is cast into the state type S and the hidden state into the result type. Every
 * other intermediate is exact, so each cast point is one cast of an exactly known real number.
 * Layouts follow the float kernels: X [lead, T, I], Y [lead, T, D, H], Y_h/Y_c [lead, D, H];
 * W, R, B, P keep ONNX's layouts and gate orders (LSTM i,o,f,c; GRU z,r,h). IR input slots are
 * X, W, R, B, initial_h, initial_c, P (the importer drops ONNX's sequence_lens slot).
 * All arithmetic is on integer raws held in doubles; the compile step proves that every exact
 * intermediate stays below 2^53 (or refuses the node) so nothing is ever rounded by the double.
 */
import { type FixedType, fracBits } from '../../../ir/fixed.js';
import type { RecurrentAttrs } from '../../../ir/ops.js';
import { type TableSpec, rawRange, maxAbsRaw } from '../../../ir/precision.js';
import { NnInputError } from '../../../util/tensor.js';
import { RECURRENT_SLOTS, recurrentActivations, type RecNode, type RecurrentAct } from '../../../ir/semantics/recurrent.js';
import { accumCast, checkWidth, resultCast } from '../casts.js';
import type { CompileContext, FixedKernel, FixedKernelTable, FixedRun } from '../kernel.js';

const TWO53 = 2 ** 53;

/** An activation compiled for one input grid: raw in -> raw of the activation type, and its bound. */
interface CompiledAct {
  readonly apply: (raw: number) => number;
  /** Largest |raw| it can return (table: the largest entry; exact: the activation type's range). */
  readonly maxRaw: number;
}

function compileAct(
  act: RecurrentAct,
  role: string,
  node: RecNode,
  ctx: CompileContext,
  inT: FixedType,
  actT: FixedType,
): CompiledAct {
  const where = `node '${node.name}' (${node.op}) activation ${role}`;
  const prec = node.prec!;
  const fi = fracBits(inT);
  const fo = fracBits(actT);
  const ovf = accumCast; // activation outputs are internal: their overflows count as the node's accum
  // The derived raws of the exact activations (src/ir/semantics/derived-raws.ts).
  const raw = (k: `${string}_${'thr' | 'alpha' | 'beta'}`): bigint => {
    const v = prec.raws?.[k];
    if (v === undefined) throw new Error(`${where}: no ${k} raw (run the quantize pass)`);
    return v;
  };
  switch (act.kind) {
    case 'table': {
      const spec: TableSpec | undefined = prec.tables?.[role];
      if (!spec) throw new Error(`${where}: no lookup table (run the quantize pass)`);
      const tT = ctx.value(spec.value).fixed!;
      if (fracBits(tT) !== fo || tT.width !== actT.width || tT.signed !== actT.signed) {
        throw new Error(`${where}: table type differs from the activation type`);
      }
      if (fracBits(spec.inType) !== fi) throw new Error(`${where}: table indexed on another grid`);
      const t = ctx.constRaws(spec.value);
      const { base, size } = spec;
      const div = 2 ** spec.shift;
      let m = 0;
      for (const v of t) m = Math.max(m, Math.abs(v));
      return {
        maxRaw: m,
        apply: (r) => {
          let i = Math.floor((r - base) / div);
          i = i < 0 ? 0 : i >= size ? size - 1 : i;
          return t[i]!;
        },
      };
    }
    case 'relu': {
      const c = ovf(fi, actT, ctx.stats);
      return { maxRaw: maxAbsRaw(actT), apply: (r) => (r > 0 ? c(r) : 0) };
    }
    case 'thresholdedrelu': {
      const c = ovf(fi, actT, ctx.stats);
      const th = Number(raw(`${role}_thr`)); // raw > th ⟺ v > α
      return { maxRaw: maxAbsRaw(actT), apply: (r) => (r > th ? c(r) : 0) };
    }
    case 'leakyrelu': {
      const aT = prec.types?.[`${role}_alpha`];
      if (!aT) throw new Error(`${where}: no alpha type (run the quantize pass)`);
      const al = Number(raw(`${role}_alpha`));
      if (maxAbsRaw(inT) * Math.abs(al) >= TWO53) throw new NnInputError(`${where}: types too wide for the simulator's number path; choose narrower types`);
      const pos = ovf(fi, actT, ctx.stats);
      const neg = ovf(fi + fracBits(aT), actT, ctx.stats);
      return { maxRaw: maxAbsRaw(actT), apply: (r) => (r >= 0 ? pos(r) : neg(r * al)) };
    }
    case 'affine': {
      const aT = prec.types?.[`${role}_alpha`];
      const bT = prec.types?.[`${role}_beta`];
      if (!aT || !bT) throw new Error(`${where}: no alpha/beta types (run the quantize pass)`);
      const fp = fi + fracBits(aT);
      const f = Math.max(fp, fracBits(bT));
      const al = Number(raw(`${role}_alpha`)) * 2 ** (f - fp);
      const be = Number(raw(`${role}_beta`)) * 2 ** (f - fracBits(bT));
      if (maxAbsRaw(inT) * Math.abs(al) + Math.abs(be) >= TWO53) throw new NnInputError(`${where}: types too wide for the simulator's number path; choose narrower types`);
      const c = ovf(f, actT, ctx.stats);
      return { maxRaw: maxAbsRaw(actT), apply: (r) => c(r * al + be) };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Gate accumulation
// ---------------------------------------------------------------------------------------------

/**
 * The terms of a gate pre-activation on their own grids: x·W (fX), h·R (fH), biases (fB) and
 * peephole products P·c (fP). `add(acc, term)` performs acc = cast(acc + term → A) — a plain
 * scaled addition when A provably holds every partial sum exactly (derived A), else the cast.
 */
interface Accum {
  readonly exact: boolean;
  readonly addX: (acc: number, t: number) => number;
  readonly addH: (acc: number, t: number) => number;
  readonly addB: (acc: number, t: number) => number;
  readonly addP: (acc: number, t: number) => number;
}

function makeAccum(where: string, A: FixedType, kinds: { f: number; max: number }[], bound: number, ctx: CompileContext): Accum {
  const fa = fracBits(A);
  const [aLo, aHi] = rawRange(A);
  const exact = kinds.every((k) => k.f <= fa) && bound <= Math.min(aHi, -aLo) && bound < TWO53;
  const mk = (k: { f: number; max: number }) => {
    if (exact) {
      const s = 2 ** (fa - k.f);
      return (acc: number, t: number) => acc + t * s;
    }
    const f = Math.max(fa, k.f);
    if (maxAbsRaw(A) * 2 ** (f - fa) + k.max * 2 ** (f - k.f) >= TWO53) {
      throw new NnInputError(`${where}: accumulator ${A.width} bits is too wide for the simulator's number path; choose a narrower accum`);
    }
    const toA = accumCast(f, A, ctx.stats);
    const sa = 2 ** (f - fa);
    const st = 2 ** (f - k.f);
    return (acc: number, t: number) => toA(acc * sa + t * st);
  };
  const [x, h, b, p] = kinds.map(mk) as [Accum['addX'], Accum['addX'], Accum['addX'], Accum['addX']];
  return { exact, addX: x, addH: h, addB: b, addP: p };
}

// ---------------------------------------------------------------------------------------------
// The kernel
// ---------------------------------------------------------------------------------------------

/** Per-direction compiled parameters. */
interface Dir {
  readonly w: Float64Array; // [G·H, I] raws
  readonly r: Float64Array; // [G·H, H]
  readonly wb: Float64Array | undefined; // [G·H]
  readonly rb: Float64Array | undefined;
  readonly p: Float64Array | undefined; // [3·H]: i, o, f
  readonly acts: CompiledAct[]; // per slot
}

const recurrentKernel = (node: RecNode, ctx: CompileContext): FixedRun => {
  const op = node.op;
  const where = `node '${node.name}' (${op})`;
  const a: RecurrentAttrs = node.attrs;
  const prec = node.prec;
  const A = prec?.accum;
  const G = prec?.types?.['gate'];
  const S = prec?.types?.['state'];
  const Hy = prec?.types?.['hidden'];
  const Ta = prec?.types?.['act'];
  if (!A || !G || !S || !Hy || !Ta) throw new Error(`${where}: no accumulator/gate/state/hidden/act types (run the quantize pass)`);
  for (const [t, w] of [[A, 'accumulator'], [G, 'gate'], [S, 'state'], [Hy, 'result'], [Ta, 'activation']] as const) checkWidth(t, `${where} ${w} type`);
  const gates = op === 'LSTM' ? 4 : op === 'GRU' ? 3 : 1;
  const D = a.direction === 'bidirectional' ? 2 : 1;
  const H = a.hidden;
  const GH = gates * H;
  const xV = ctx.value(node.inputs[0]!);
  const xT = xV.fixed!;
  const T = xV.shape[xV.shape.length - 2]!;
  const I = xV.shape[xV.shape.length - 1]!;
  const typeOf = (slot: number) => ctx.value(node.inputs[slot]!).fixed!;
  const wT = typeOf(1);
  const rT = typeOf(2);
  const bName = node.inputs[3] || undefined;
  const bT = bName ? typeOf(3) : undefined;
  const pName = op === 'LSTM' ? node.inputs[6] || undefined : undefined;
  const pT = pName ? typeOf(6) : undefined;
  const W = ctx.constRaws(node.inputs[1]!);
  const R = ctx.constRaws(node.inputs[2]!);
  const B = bName ? ctx.constRaws(bName) : undefined;
  const P = pName ? ctx.constRaws(pName) : undefined;
  const lbr = node.op === 'GRU' && node.attrs.linearBeforeReset;
  const coupled = node.op === 'LSTM' && node.attrs.inputForget;

  const fG = fracBits(G);
  const fS = fracBits(S);
  const fH = fracBits(Hy);
  const fT = fracBits(Ta);
  const actsAll = recurrentActivations(node);
  const slots = RECURRENT_SLOTS[op];
  const dirs: Dir[] = [];
  for (let d = 0; d < D; d++) {
    dirs.push({
      w: W.subarray(d * GH * I, (d + 1) * GH * I),
      r: R.subarray(d * GH * H, (d + 1) * GH * H),
      wb: B?.subarray(d * 2 * GH, d * 2 * GH + GH),
      rb: B?.subarray(d * 2 * GH + GH, (d + 1) * 2 * GH),
      p: P?.subarray(d * 3 * H, (d + 1) * 3 * H),
      acts: slots.map((s, k) => compileAct(actsAll[d]![k]!, `${s}${d}`, node, ctx, s === 'h' ? S : G, Ta)),
    });
  }

  // Accumulator: bound of every row's partial sums on A's grid, as the quantize pass derives it.
  const fa = fracBits(A);
  const kinds = [
    { f: fracBits(xT) + fracBits(wT), max: maxAbsRaw(xT) * maxAbsRaw(wT) },
    { f: fH + fracBits(rT), max: maxAbsRaw(Hy) * maxAbsRaw(rT) },
    { f: bT ? fracBits(bT) : fa, max: bT ? maxAbsRaw(bT) : 0 },
    { f: pT ? fS + fracBits(pT) : fa, max: pT ? maxAbsRaw(S) * maxAbsRaw(pT) : 0 },
  ];
  let bound = 0;
  const xMax = maxAbsRaw(xT);
  const hMax = maxAbsRaw(Hy);
  const sMax = maxAbsRaw(S);
  for (const dd of dirs) {
    for (let k = 0; k < GH; k++) {
      let s = 0;
      for (let i = 0; i < I; i++) s += Math.abs(dd.w[k * I + i]!) * xMax * 2 ** (fa - kinds[0]!.f);
      for (let j = 0; j < H; j++) s += Math.abs(dd.r[k * H + j]!) * hMax * 2 ** (fa - kinds[1]!.f);
      if (dd.wb) s += (Math.abs(dd.wb[k]!) + Math.abs(dd.rb![k]!)) * 2 ** (fa - kinds[2]!.f);
      // P is [Pi, Po, Pf]: the same order as LSTM's first three gate blocks i, o, f, so row k
      // has peephole P[k] (the c block, k >= 3H, has none).
      if (dd.p && k < 3 * H) s += Math.abs(dd.p[k]!) * sMax * 2 ** (fa - kinds[3]!.f);
      bound = Math.max(bound, s);
    }
  }
  const acc = makeAccum(where, A, kinds, bound, ctx);

  // Cast points. Into G, the activation type (1 − i), and GRU's r⊙h are internal (accum counter);
  // into S and the result type they are the node's outputs (result counter).
  const toG = accumCast(fa, G, ctx.stats);
  const clipT = a.clip;
  // g > thr ⟺ v > clip, g < −thr ⟺ v < −clip; the clipped results as raws of G (node.prec.raws).
  const clipRaw = (k: 'clip_thr' | 'clip_hi' | 'clip_lo'): number => {
    const v = prec!.raws?.[k];
    if (v === undefined) throw new Error(`${where}: no ${k} raw (run the quantize pass)`);
    return Number(v);
  };
  const clipHiRaw = clipT > 0 ? clipRaw('clip_thr') : 0;
  const clipHi = clipT > 0 ? clipRaw('clip_hi') : 0;
  const clipLo = clipT > 0 ? clipRaw('clip_lo') : 0;
  const gate =
    clipT > 0
      ? (accRaw: number) => {
          const g = toG(accRaw);
          return g > clipHiRaw ? clipHi : g < -clipHiRaw ? clipLo : g;
        }
      : toG;
  const one = 2 ** fT; // 1 on the activation grid
  const maxAct = Math.max(...dirs.flatMap((dd) => dd.acts.map((c) => c.maxRaw)));
  const need = (v: number, what: string) => {
    if (!(v < TWO53)) throw new NnInputError(`${where}: ${what} exceeds the simulator's 53-bit number path; use narrower types`);
  };

  // h0 / c0: run-time values are cast into the result / state type once, constants were typed so.
  const h0Name = node.inputs[4] || undefined;
  const c0Name = op === 'LSTM' ? node.inputs[5] || undefined : undefined;
  const h0Const = h0Name && ctx.value(h0Name).data ? ctx.constRaws(h0Name) : undefined;
  const c0Const = c0Name && ctx.value(c0Name).data ? ctx.constRaws(c0Name) : undefined;
  const h0Cast = h0Name ? resultCast(fracBits(ctx.value(h0Name).fixed!), Hy, ctx.stats) : undefined;
  const c0Cast = c0Name ? resultCast(fracBits(ctx.value(c0Name).fixed!), S, ctx.stats) : undefined;

  const accs = new Float64Array(GH);
  const accX = new Float64Array(H); // GRU lbr: x part of the h gate
  let h = new Float64Array(H);
  let hNext = new Float64Array(H);
  const c = new Float64Array(H);
  const rh = new Float64Array(H);
  const z = new Float64Array(H);
  const rg = new Float64Array(H);

  /** acc_k = cast(Wb → A); += Rb; += x·W row k, i ascending; += h·R row k, j ascending. */
  const rowSum = (dd: Dir, k: number, x: Float64Array, xOff: number, hv: Float64Array, withW: boolean, withR: boolean): number => {
    let s = 0;
    if (acc.exact) {
      // Exact mode: order is immaterial, every partial sum is exact on A's grid.
      if (withW) {
        if (dd.wb) s = acc.addB(s, dd.wb[k]!);
        const row = k * I;
        let t = 0;
        for (let i = 0; i < I; i++) t += x[xOff + i]! * dd.w[row + i]!;
        s = acc.addX(s, t);
      }
      if (withR) {
        if (dd.rb) s = acc.addB(s, dd.rb[k]!);
        const row = k * H;
        let t = 0;
        for (let j = 0; j < H; j++) t += hv[j]! * dd.r[row + j]!;
        s = acc.addH(s, t);
      }
      return s;
    }
    if (withW && dd.wb) s = acc.addB(s, dd.wb[k]!);
    if (withR && dd.rb) s = acc.addB(s, dd.rb[k]!);
    if (withW) for (let i = 0; i < I; i++) s = acc.addX(s, x[xOff + i]! * dd.w[k * I + i]!);
    if (withR) for (let j = 0; j < H; j++) s = acc.addH(s, hv[j]! * dd.r[k * H + j]!);
    return s;
  };
  // Exact mode sums the x·W products of one row on the (x, W) grid before scaling: that inner
  // sum is bounded by the row bound over 2^(fa − fX) ≤ 2^53, so it is exact as well.

  // Bounds of the exact intermediates of the cell updates (raws on their exact grids).
  if (op === 'LSTM') {
    const fc = Math.max(fT + fS, 2 * fT);
    need(maxAct * sMax * 2 ** (fc - fT - fS) + maxAct * maxAct * 2 ** (fc - 2 * fT), 'f·c + i·g');
    need(maxAct * maxAct, 'o·h(c)');
  } else if (op === 'GRU') {
    need((one + maxAct) * maxAct * 2 ** Math.max(0, fH - fT) + maxAct * hMax * 2 ** Math.max(0, fT - fH), '(1 − z)·n + z·h');
    need(maxAct * hMax, 'r·h');
    if (lbr) need(maxAbsRaw(A) * 2 ** Math.max(0, fT + fG - fa) + maxAct * maxAbsRaw(G) * 2 ** Math.max(0, fa - fT - fG), 'x·W + r·(h·R)');
  }

  let step: (dd: Dir, x: Float64Array, xOff: number) => void;
  if (op === 'LSTM') {
    // c = cast(f·c + i·g → S): f·c on grid fT+fS, i·g on 2fT; the exact sum on the finer one.
    const fc = Math.max(fT + fS, 2 * fT);
    const sFC = 2 ** (fc - fT - fS);
    const sIG = 2 ** (fc - 2 * fT);
    const toS = resultCast(fc, S, ctx.stats);
    const toH = resultCast(2 * fT, Hy, ctx.stats);
    const oneMinus = accumCast(fT, Ta, ctx.stats);
    step = (dd, x, xOff) => {
      for (let k = 0; k < GH; k++) accs[k] = rowSum(dd, k, x, xOff, h, true, true);
      const [fAct, gAct, hAct] = dd.acts as [CompiledAct, CompiledAct, CompiledAct];
      for (let j = 0; j < H; j++) {
        const cPrev = c[j]!;
        let ai = accs[j]!;
        if (dd.p) ai = acc.addP(ai, dd.p[j]! * cPrev);
        const ig = fAct.apply(gate(ai));
        let fg: number;
        if (coupled) fg = oneMinus(one - ig);
        else {
          let af = accs[2 * H + j]!;
          if (dd.p) af = acc.addP(af, dd.p[2 * H + j]! * cPrev);
          fg = fAct.apply(gate(af));
        }
        const gg = gAct.apply(gate(accs[3 * H + j]!));
        const cNew = toS(fg * cPrev * sFC + ig * gg * sIG);
        let ao = accs[H + j]!;
        if (dd.p) ao = acc.addP(ao, dd.p[H + j]! * cNew);
        const og = fAct.apply(gate(ao));
        c[j] = cNew;
        hNext[j] = toH(og * hAct.apply(cNew));
      }
    };
  } else if (op === 'GRU') {
    const toRH = accumCast(fT + fH, Hy, ctx.stats);
    // h = cast((1 − z)·n + z·h → result): (1 − z)·n on 2fT, z·h on fT+fH.
    const fo = Math.max(2 * fT, fT + fH);
    const sUN = 2 ** (fo - 2 * fT);
    const sZH = 2 ** (fo - fT - fH);
    const toH = resultCast(fo, Hy, ctx.stats);
    // lbr: pre = cast(accX + r·cast(accH → G) → G), r·hr on fT+fG, accX on fa.
    const fl = Math.max(fa, fT + fG);
    const sAX = 2 ** (fl - fa);
    const sRH = 2 ** (fl - fT - fG);
    const toGl = accumCast(fl, G, ctx.stats);
    const clipL =
      clipT > 0
        ? (v: number) => {
            const g = toGl(v);
            return g > clipHiRaw ? clipHi : g < -clipHiRaw ? clipLo : g;
          }
        : toGl;
    step = (dd, x, xOff) => {
      const [fAct, gAct] = dd.acts as [CompiledAct, CompiledAct];
      for (let k = 0; k < 2 * H; k++) accs[k] = rowSum(dd, k, x, xOff, h, true, true);
      for (let j = 0; j < H; j++) {
        z[j] = fAct.apply(gate(accs[j]!));
        rg[j] = fAct.apply(gate(accs[H + j]!));
      }
      if (!lbr) {
        for (let j = 0; j < H; j++) rh[j] = toRH(rg[j]! * h[j]!);
        for (let j = 0; j < H; j++) accs[2 * H + j] = rowSum(dd, 2 * H + j, x, xOff, rh, true, true);
      } else {
        for (let j = 0; j < H; j++) {
          accX[j] = rowSum(dd, 2 * H + j, x, xOff, h, true, false);
          accs[2 * H + j] = rowSum(dd, 2 * H + j, x, xOff, h, false, true);
        }
      }
      for (let j = 0; j < H; j++) {
        const pre = lbr ? clipL(accX[j]! * sAX + rg[j]! * toG(accs[2 * H + j]!) * sRH) : gate(accs[2 * H + j]!);
        const n = gAct.apply(pre);
        hNext[j] = toH((one - z[j]!) * n * sUN + z[j]! * h[j]! * sZH);
      }
    };
  } else {
    const toH = resultCast(fT, Hy, ctx.stats);
    step = (dd, x, xOff) => {
      const fAct = dd.acts[0]!;
      for (let j = 0; j < H; j++) hNext[j] = toH(fAct.apply(gate(rowSum(dd, j, x, xOff, h, true, true))));
    };
  }

  const nOut = node.outputs.length;
  return (ins) => {
    const x = ins[0]!;
    const Nb = x.length / (T * I);
    const h0 = h0Name ? (h0Const ?? ins[4]!) : undefined;
    const c0 = c0Name ? (c0Const ?? ins[5]!) : undefined;
    const Y = new Float64Array(Nb * T * D * H);
    const Yh = new Float64Array(Nb * D * H);
    const Yc = new Float64Array(Nb * D * H);
    for (let n = 0; n < Nb; n++) {
      for (let d = 0; d < D; d++) {
        const dd = dirs[d]!;
        const reverse = a.direction === 'reverse' || d === 1;
        const st = (n * D + d) * H;
        for (let j = 0; j < H; j++) {
          h[j] = h0 ? h0Cast!(h0[st + j]!) : 0;
          c[j] = c0 ? c0Cast!(c0[st + j]!) : 0;
        }
        for (let k = 0; k < T; k++) {
          const t = reverse ? T - 1 - k : k;
          step(dd, x, (n * T + t) * I);
          [h, hNext] = [hNext, h];
          Y.set(h, ((n * T + t) * D + d) * H);
        }
        Yh.set(h, st);
        Yc.set(c, st);
      }
    }
    return [Y, Yh, Yc].slice(0, nOut);
  };
};

export const recurrentFixedKernels: FixedKernelTable = {
  LSTM: recurrentKernel as FixedKernel<'LSTM'>,
  GRU: recurrentKernel as FixedKernel<'GRU'>,
  RNN: recurrentKernel as FixedKernel<'RNN'>,
};
