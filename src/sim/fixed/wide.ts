/**
 * The BigInt path for values wider than the number path's 52 bits (ap_fixed<64,32>, ...): nodes
 * whose inputs, constants or outputs have such types run these kernels on BigInt raws, with the
 * same semantics as the number kernels (docs/fixed-point.md) — one exact result, one cast into
 * the output type through castRaw, overflows counted at the same cast points. The executor
 * stores a value as BigInts exactly when its type is wider than 52 bits and converts at the
 * boundary to the number kernels. The ops covered are those of MLPs and CNNs; any other op with a
 * wide value is refused with the list (use types of at most 52 bits for that layer).
 */
import { type FixedType, fixedType, fracBits, MAX_WIDTH, renderType } from '../../ir/fixed.js';
import { isConst, type Node } from '../../ir/graph.js';
import type { ConvAttrs, ConvTransposeAttrs, OpKind } from '../../ir/ops.js';
import type { TableOp, TableSpec } from '../../ir/precision.js';
import { NnInputError } from '../../util/tensor.js';
import { poolWindowPlan } from '../../ir/semantics/window.js';
import { castRaw, FAST_MAX_WIDTH, quantizeDouble } from '../../ir/semantics/apfixed.js';
import type { CastStats, CompileContext } from './kernel.js';
import { broadcastIndex } from './kernels/activation.js';
import { movementIndexMap } from '../../ir/semantics/index-maps.js';
import { padRawOf } from '../../ir/semantics/derived-raws.js';
import { wideConvBig, wideConvTransposeBig, wideDenseBig } from './kernels/linear-wide.js';

export type BigRaws = bigint[];
/** Runs one node on `n` samples of BigInt raws (constants excluded from `ins`). */
export type WideRun = (ins: readonly (BigRaws | undefined)[], n: number) => BigRaws[];
type WideKernel<K extends OpKind = OpKind> = (node: Node<K>, ctx: CompileContext) => WideRun;

export function isWideType(t: FixedType | undefined): boolean {
  return (t?.width ?? 0) > FAST_MAX_WIDTH;
}

/** A node takes the BigInt path when any value it reads or writes is wider than 52 bits. */
export function isWideNode(node: Node, ctx: CompileContext): boolean {
  return [...node.inputs, ...node.outputs].some((v) => v !== '' && isWideType(ctx.value(v).fixed));
}

/** cast(raw with `fromFrac` fraction bits → to), exact, counting overflows as the node's result. */
export function castBig(fromFrac: number, to: FixedType, count: () => void): (raw: bigint) => bigint {
  const src = fixedType(MAX_WIDTH, MAX_WIDTH - fromFrac);
  const unbounded = fixedType(MAX_WIDTH, MAX_WIDTH - fracBits(to), { q: to.q });
  const max = to.signed ? (1n << BigInt(to.width - 1)) - 1n : (1n << BigInt(to.width)) - 1n;
  const min = to.signed ? (to.o === 'AP_SAT_SYM' ? -max : -max - 1n) : 0n;
  const same = fromFrac === fracBits(to);
  return (raw) => {
    if (same && raw >= min && raw <= max) return raw;
    const r = castRaw(raw, src, to);
    if (r !== castRaw(raw, src, unbounded)) count();
    return r;
  };
}

function resultBig(fromFrac: number, to: FixedType, stats: CastStats): (raw: bigint) => bigint {
  return castBig(fromFrac, to, () => {
    stats.result++;
  });
}

/** A constant's raws in its own type, as BigInts. */
export function constBig(ctx: CompileContext, name: string): BigRaws {
  const v = ctx.value(name);
  if (!isConst(v) || !v.fixed || !v.data) throw new Error(`value '${name}' is not a typed constant (run the quantize pass)`);
  const t = v.fixed;
  return Array.from(v.data, (x) => quantizeDouble(x, t));
}

function types(node: Node, ctx: CompileContext): { xT: FixedType; yT: FixedType } {
  return { xT: ctx.value(node.inputs[0]!).fixed!, yT: ctx.value(node.outputs[0]!).fixed! };
}

function map1(f: (r: bigint, i: number) => bigint): WideRun {
  return (ins) => [ins[0]!.map((r, i) => f(r, i))];
}

const relu: WideKernel = (node, ctx) => {
  const { xT, yT } = types(node, ctx);
  const c = resultBig(fracBits(xT), yT, ctx.stats);
  return map1((r) => c(r > 0n ? r : 0n));
};

const leakyRelu: WideKernel<'LeakyRelu'> = (node, ctx) => {
  const { xT, yT } = types(node, ctx);
  const aT = node.prec?.types.alpha;
  if (!aT) throw new Error(`node '${node.name}' (LeakyRelu): no alpha type (run the quantize pass)`);
  const alpha = node.prec!.raws.alpha; // α's raw in aT (src/ir/semantics/derived-raws.ts)
  const pos = resultBig(fracBits(xT), yT, ctx.stats);
  const neg = resultBig(fracBits(xT) + fracBits(aT), yT, ctx.stats);
  return map1((r) => (r >= 0n ? pos(r) : neg(r * alpha)));
};

const prelu: WideKernel = (node, ctx) => {
  const { xT, yT } = types(node, ctx);
  const sV = ctx.value(node.inputs[1]!);
  const slope = constBig(ctx, sV.name);
  const idx = broadcastIndex(ctx.value(node.inputs[0]!).shape, sV.shape);
  const per = idx.length;
  const pos = resultBig(fracBits(xT), yT, ctx.stats);
  const neg = resultBig(fracBits(xT) + fracBits(sV.fixed!), yT, ctx.stats);
  return map1((r, i) => (r >= 0n ? pos(r) : neg(r * slope[idx[i % per]!]!)));
};

const thresholdedRelu: WideKernel<'ThresholdedRelu'> = (node, ctx) => {
  const { xT, yT } = types(node, ctx);
  const c = resultBig(fracBits(xT), yT, ctx.stats);
  const raws = node.prec?.raws;
  if (!raws) throw new Error(`node '${node.name}' (ThresholdedRelu): no threshold (run the quantize pass)`);
  const t = raws.thr; // raw > thr ⟺ x > α
  return map1((r) => (r > t ? c(r) : 0n));
};

const clip: WideKernel<'Clip'> = (node, ctx) => {
  const { xT, yT } = types(node, ctx);
  const c = resultBig(fracBits(xT), yT, ctx.stats);
  const raws = node.prec?.raws;
  if (!raws) throw new Error(`node '${node.name}' (Clip): no clip bounds (run the quantize pass)`);
  // raw < lo ⟺ x < min, raw > hi ⟺ x > max (thresholds one step outside x's range when unbounded).
  const { lo, hi, lo_out: loY, hi_out: hiY } = raws;
  return map1((r) => (r < lo ? loY : r > hi ? hiY : c(r)));
};

function tableIndexBig(spec: TableSpec): (raw: bigint) => number {
  const base = BigInt(spec.base);
  const shift = BigInt(spec.shift);
  const last = BigInt(spec.size - 1);
  return (raw) => {
    const i = (raw - base) >> shift; // BigInt >> floors, as the number path's Math.floor does
    return Number(i < 0n ? 0n : i > last ? last : i);
  };
}

const tableActivation: WideKernel<TableOp> = (node, ctx) => {
  const { yT } = types(node, ctx);
  const spec = node.prec?.tables.f;
  if (!spec) throw new Error(`node '${node.name}' (${node.op}): no lookup table (run the quantize pass)`);
  const tT = ctx.value(spec.value).fixed!;
  const t = constBig(ctx, spec.value);
  const c = resultBig(fracBits(tT), yT, ctx.stats);
  const idx = tableIndexBig(spec);
  return map1((r) => c(t[idx(r)]!));
};

const softmax: WideKernel<'Softmax'> = (node, ctx) => {
  const { yT } = types(node, ctx);
  const x = ctx.value(node.inputs[0]!);
  const a = node.attrs;
  const ax = x.shape.length + a.axis;
  const inner = a.toEnd ? 1 : x.shape.slice(ax + 1).reduce((p, d) => p * d, 1);
  const len = a.toEnd ? x.shape.slice(ax).reduce((p, d) => p * d, 1) : x.shape[ax]!;
  const tabs = node.prec?.tables;
  if (!tabs) throw new Error(`node '${node.name}' (Softmax): no exp/inv tables (run the quantize pass)`);
  const { exp: expS, inv: invS } = tabs;
  const expT = ctx.value(expS.value).fixed!;
  const invT = ctx.value(invS.value).fixed!;
  const expR = constBig(ctx, expS.value);
  const invR = constBig(ctx, invS.value);
  const eIdx = tableIndexBig(expS);
  const iIdx = tableIndexBig(invS);
  const out = resultBig(fracBits(expT) + fracBits(invT), yT, ctx.stats);
  return (ins) => {
    const xs = ins[0]!;
    const y = new Array<bigint>(xs.length);
    const e = new Array<bigint>(len);
    const outer = xs.length / (len * inner);
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < inner; k++) {
        const b = o * len * inner + k;
        let m = xs[b]!;
        for (let j = 1; j < len; j++) if (xs[b + j * inner]! > m) m = xs[b + j * inner]!;
        let s = 0n;
        for (let j = 0; j < len; j++) {
          e[j] = expR[eIdx(xs[b + j * inner]! - m)]!;
          s += e[j]!;
        }
        const r = invR[iIdx(s)]!;
        for (let j = 0; j < len; j++) y[b + j * inner] = out(e[j]! * r);
      }
    }
    return [y];
  };
};

const movement: WideKernel = (node, ctx) => {
  const { xT, yT } = types(node, ctx);
  const map = movementIndexMap(ctx.g, node);
  const inSize = ctx.value(node.inputs[0]!).shape.reduce((p, d) => p * d, 1);
  const per = map.length;
  const padRaw = node.op === 'Pad' ? padRawOf(node) : 0n;
  const c = resultBig(fracBits(xT), yT, ctx.stats);
  return (ins, n) => {
    const x = ins[0]!;
    const y = new Array<bigint>(n * per);
    for (let s = 0; s < n; s++) {
      for (let j = 0; j < per; j++) {
        const i = map[j]!;
        y[s * per + j] = i < 0 ? padRaw : c(x[s * inSize + i]!);
      }
    }
    return [y];
  };
};

function binary(kind: 'Add' | 'Sub' | 'Mul' | 'Max' | 'Min'): WideKernel {
  return (node, ctx) => {
    const A = ctx.value(node.inputs[0]!);
    const B = ctx.value(node.inputs[1]!);
    const Y = ctx.value(node.outputs[0]!);
    const fa = fracBits(A.fixed!);
    const fb = fracBits(B.fixed!);
    const f = kind === 'Mul' ? fa + fb : Math.max(fa, fb);
    const ka = BigInt(kind === 'Mul' ? 0 : f - fa);
    const kb = BigInt(kind === 'Mul' ? 0 : f - fb);
    const c = resultBig(f, Y.fixed!, ctx.stats);
    const op: (a: bigint, b: bigint) => bigint =
      kind === 'Mul' ? (a, b) => a * b
      : kind === 'Add' ? (a, b) => (a << ka) + (b << kb)
      : kind === 'Sub' ? (a, b) => (a << ka) - (b << kb)
      : kind === 'Max' ? (a, b) => ((a << ka) >= (b << kb) ? a << ka : b << kb)
      : (a, b) => ((a << ka) <= (b << kb) ? a << ka : b << kb);
    const ia = broadcastIndex(Y.shape, A.shape);
    const ib = broadcastIndex(Y.shape, B.shape);
    const per = ia.length;
    const aSize = A.shape.reduce((p, d) => p * d, 1);
    const bSize = B.shape.reduce((p, d) => p * d, 1);
    const aConst = isConst(A) ? constBig(ctx, A.name) : undefined;
    const bConst = isConst(B) ? constBig(ctx, B.name) : undefined;
    return (ins, n) => {
      const a = aConst ?? ins[0]!;
      const b = bConst ?? ins[1]!;
      const samples = aConst && bConst ? 1 : n;
      const y = new Array<bigint>(samples * per);
      for (let s = 0; s < samples; s++) {
        const ao = aConst ? 0 : s * aSize;
        const bo = bConst ? 0 : s * bSize;
        for (let i = 0; i < per; i++) y[s * per + i] = c(op(a[ao + ia[i]!]!, b[bo + ib[i]!]!));
      }
      return [y];
    };
  };
}

function maxPoolOver(node: Node, ctx: CompileContext, taps: readonly Int32Array[], inPix: number, outPix: number): WideRun {
  const { xT, yT } = types(node, ctx);
  const x = ctx.value(node.inputs[0]!);
  const C = x.shape[x.shape.length - 1]!;
  const c = resultBig(fracBits(xT), yT, ctx.stats);
  return (ins) => {
    const xs = ins[0]!;
    const samples = xs.length / (inPix * C);
    const y = new Array<bigint>(samples * outPix * C);
    for (let n = 0; n < samples; n++) {
      for (let op = 0; op < outPix; op++) {
        const list = taps[op]!;
        for (let ch = 0; ch < C; ch++) {
          let m: bigint | undefined;
          for (let j = 0; j < list.length; j++) {
            const v = xs[(n * inPix + list[j]!) * C + ch]!;
            if (m === undefined || v > m) m = v;
          }
          y[(n * outPix + op) * C + ch] = c(m ?? 0n);
        }
      }
    }
    return [y];
  };
}

const maxPool: WideKernel<'MaxPool'> = (node, ctx) => {
  const a = node.attrs;
  const x = ctx.value(node.inputs[0]!);
  const y = ctx.value(node.outputs[0]!);
  const s = a.kernel.length;
  const r = x.shape.length;
  const inSp = x.shape.slice(r - s - 1, r - 1);
  const outSp = y.shape.slice(r - s - 1, r - 1);
  const { taps } = poolWindowPlan(inSp, outSp, a, false);
  return maxPoolOver(node, ctx, taps, inSp.reduce((p, d) => p * d, 1), outSp.reduce((p, d) => p * d, 1));
};

const globalMaxPool: WideKernel<'GlobalMaxPool'> = (node, ctx) => {
  const x = ctx.value(node.inputs[0]!);
  const r = x.shape.length;
  const rank = node.attrs.spatialRank;
  const inPix = x.shape.slice(r - rank - 1, r - 1).reduce((p, d) => p * d, 1);
  return maxPoolOver(node, ctx, [Int32Array.from({ length: inPix }, (_, i) => i)], inPix, 1);
};

/** Average pooling: exact window sum times the reciprocal-of-count entry, one cast (as pool.ts). */
function avgPoolOver(node: Node<'AvgPool' | 'GlobalAvgPool'>, ctx: CompileContext, taps: readonly Int32Array[], counts: Int32Array, inPix: number, outPix: number): WideRun {
  const { xT, yT } = types(node, ctx);
  const x = ctx.value(node.inputs[0]!);
  const C = x.shape[x.shape.length - 1]!;
  const spec = node.prec?.tables.recip;
  if (!spec) throw new Error(`node '${node.name}' (${node.op}): no reciprocal table (run the quantize pass)`);
  const recipT = ctx.value(spec.value).fixed!;
  const recip = constBig(ctx, spec.value);
  const c = resultBig(fracBits(xT) + fracBits(recipT), yT, ctx.stats);
  return (ins) => {
    const xs = ins[0]!;
    const samples = xs.length / (inPix * C);
    const y = new Array<bigint>(samples * outPix * C);
    for (let n = 0; n < samples; n++) {
      for (let op = 0; op < outPix; op++) {
        const list = taps[op]!;
        const r = recip[Math.min(counts[op]!, spec.size - 1)]!;
        for (let ch = 0; ch < C; ch++) {
          let sum = 0n;
          for (let j = 0; j < list.length; j++) sum += xs[(n * inPix + list[j]!) * C + ch]!;
          y[(n * outPix + op) * C + ch] = c(sum * r);
        }
      }
    }
    return [y];
  };
}

const avgPool: WideKernel<'AvgPool'> = (node, ctx) => {
  const a = node.attrs;
  const x = ctx.value(node.inputs[0]!);
  const y = ctx.value(node.outputs[0]!);
  const s = a.kernel.length;
  const r = x.shape.length;
  const inSp = x.shape.slice(r - s - 1, r - 1);
  const outSp = y.shape.slice(r - s - 1, r - 1);
  const { taps, counts } = poolWindowPlan(inSp, outSp, a, a.countIncludePad);
  return avgPoolOver(node, ctx, taps, counts, inSp.reduce((p, d) => p * d, 1), outSp.reduce((p, d) => p * d, 1));
};

const globalAvgPool: WideKernel<'GlobalAvgPool'> = (node, ctx) => {
  const x = ctx.value(node.inputs[0]!);
  const r = x.shape.length;
  const rank = node.attrs.spatialRank;
  const inPix = x.shape.slice(r - rank - 1, r - 1).reduce((p, d) => p * d, 1);
  return avgPoolOver(node, ctx, [Int32Array.from({ length: inPix }, (_, i) => i)], Int32Array.of(inPix), inPix, 1);
};

/** Concat: each part cast into the output type, parts interleaved per outer index (as elementwise.ts). */
const concat: WideKernel<'Concat'> = (node, ctx) => {
  const Y = ctx.value(node.outputs[0]!);
  const yT = Y.fixed!;
  const ax = Y.shape.length + node.attrs.axis;
  const outer = Y.shape.slice(0, ax).reduce((p, d) => p * d, 1);
  const parts = node.inputs.map((name) => {
    const v = ctx.value(name);
    return {
      chunk: v.shape.slice(ax).reduce((p, d) => p * d, 1),
      size: v.shape.reduce((p, d) => p * d, 1),
      cast: resultBig(fracBits(v.fixed!), yT, ctx.stats),
      konst: isConst(v) ? constBig(ctx, name) : undefined,
    };
  });
  const ySize = Y.shape.reduce((p, d) => p * d, 1);
  return (ins, n) => {
    const y = new Array<bigint>(n * ySize);
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

/** Quantizer ops (as quant.ts): Quant casts into its type, QuantizeLinear casts x/2^e, the others relabel or pick. */
const quant: WideKernel<'Quant'> = (node, ctx) => {
  const { xT, yT } = types(node, ctx);
  const pc = node.prec;
  if (!pc) {
    const c = resultBig(fracBits(xT), yT, ctx.stats);
    return map1((r) => c(r));
  }
  // Per-channel powers of two, as quant.ts: cast x·2^-e_c into the grid, shift onto y's grid.
  const grid = pc.types.grid;
  const X = ctx.value(node.inputs[0]!);
  const S = ctx.value(node.inputs[1]!);
  const { exps, eMin } = pc.channels;
  const casts = exps.map((e) => resultBig(fracBits(xT) + e, grid, ctx.stats));
  const idx = broadcastIndex(X.shape, S.shape);
  const per = idx.length;
  return map1((r, i) => {
    const k = idx[i % per]!;
    return casts[k]!(r) << BigInt(exps[k]! - eMin);
  });
};

const quantizeLinear: WideKernel<'QuantizeLinear'> = (node, ctx) => {
  const { yT } = types(node, ctx);
  const scaled = node.prec?.types.scaled;
  if (!scaled) throw new Error(`node '${node.name}' (QuantizeLinear): no scaled type (run the quantize pass)`);
  const c = resultBig(fracBits(scaled), yT, ctx.stats);
  return map1((r) => c(r));
};

const bipolar: WideKernel = (node, ctx) => {
  const X = ctx.value(node.inputs[0]!);
  const S = ctx.value(node.inputs[1]!);
  const idx = broadcastIndex(X.shape, S.shape);
  if (node.op !== 'BipolarQuant' || !node.prec?.raws) throw new Error(`node '${node.name}' (${node.op}): no ±scale raws (run the quantize pass)`);
  const { pos: p, neg: q } = node.prec.raws;
  const pos = Array.from(idx, (i) => p[i]!);
  const neg = Array.from(idx, (i) => q[i]!);
  const per = idx.length;
  return map1((r, i) => (r >= 0n ? pos[i % per]! : neg[i % per]!));
};

const affine: WideKernel = (node, ctx) => {
  const xT = ctx.value(node.inputs[0]!).fixed!;
  const sT = ctx.value(node.inputs[1]!).fixed!;
  const bT = ctx.value(node.inputs[2]!).fixed!;
  const yT = ctx.value(node.outputs[0]!).fixed!;
  const fp = fracBits(xT) + fracBits(sT);
  const f = Math.max(fp, fracBits(bT));
  const s = constBig(ctx, node.inputs[1]!).map((v) => v << BigInt(f - fp));
  const b = constBig(ctx, node.inputs[2]!).map((v) => v << BigInt(f - fracBits(bT)));
  const C = s.length;
  const c = resultBig(f, yT, ctx.stats);
  return map1((r, i) => c(r * s[i % C]! + b[i % C]!));
};

const WIDE_KERNELS: { readonly [K in OpKind]?: WideKernel<K> } = {
  Dense: wideDenseBig,
  Conv: wideConvBig,
  ConvTranspose: wideConvTransposeBig,
  Affine: affine,
  Relu: relu,
  LeakyRelu: leakyRelu,
  PRelu: prelu,
  ThresholdedRelu: thresholdedRelu,
  Clip: clip,
  Sigmoid: tableActivation,
  Tanh: tableActivation,
  Elu: tableActivation,
  Selu: tableActivation,
  Softplus: tableActivation,
  Softsign: tableActivation,
  HardSigmoid: tableActivation,
  HardSwish: tableActivation,
  Exp: tableActivation,
  Log: tableActivation,
  Sqrt: tableActivation,
  Reciprocal: tableActivation,
  Erf: tableActivation,
  Mish: tableActivation,
  Softmax: softmax,
  Reshape: movement,
  Transpose: movement,
  Pad: movement,
  Resize: movement,
  Slice: movement,
  Tile: movement,
  Expand: movement,
  Gather: movement,
  Add: binary('Add'),
  Sub: binary('Sub'),
  Mul: binary('Mul'),
  Max: binary('Max'),
  Min: binary('Min'),
  MaxPool: maxPool,
  GlobalMaxPool: globalMaxPool,
  AvgPool: avgPool,
  GlobalAvgPool: globalAvgPool,
  Concat: concat,
  Quant: quant,
  BipolarQuant: bipolar,
  QuantizeLinear: quantizeLinear,
  DequantizeLinear: () => (ins) => [ins[0]!.slice()],
};

export function wideKernel(node: Node, ctx: CompileContext): WideRun {
  // The table pairs each op with its kernel; indexing by a union op loses that pairing.
  const k = WIDE_KERNELS[node.op] as WideKernel | undefined;
  if (!k) {
    const wide = [...node.inputs, ...node.outputs].filter((v) => v && isWideType(ctx.value(v).fixed)).map((v) => renderType(ctx.value(v).fixed!));
    throw new NnInputError(
      `layer '${node.name}' (${node.op}): types wider than ${FAST_MAX_WIDTH} bits (${[...new Set(wide)].join(', ')}) are simulated for ` +
        `${Object.keys(WIDE_KERNELS).join(', ')} — not yet for ${node.op}; give this layer types of at most ${FAST_MAX_WIDTH} bits in the config`,
    );
  }
  return k(node, ctx);
}

export type { ConvAttrs, ConvTransposeAttrs };
