/**
 * Bit-accurate activations: the piecewise-linear ones computed exactly (Relu, LeakyRelu, PRelu,
 * ThresholdedRelu, Clip), the smooth ones through the compiler's lookup tables (Sigmoid, Tanh,
 * Elu, Selu, Softplus, Softsign, HardSigmoid, HardSwish), and Softmax through its exp and 1/x
 * tables. Semantics, table indexing and types: docs/fixed-point.md and src/ir/precision.ts.
 */
import { type FixedType, fracBits } from '../../../ir/fixed.js';
import type { Node } from '../../../ir/graph.js';
import type { TableOp, TableSpec } from '../../../ir/precision.js';
import { checkWidth, isIdentityCast, maxAbsRaw, productCast, resultCast } from '../casts.js';
import { type CompileContext, type FixedKernel, type FixedKernelTable, type FixedRun, freshAlloc } from '../kernel.js';
import { mapNew } from '../../sums-codegen.js';

function types(node: Node, ctx: CompileContext): { xT: FixedType; yT: FixedType } {
  const xT = ctx.value(node.inputs[0]!).fixed!;
  const yT = ctx.value(node.outputs[0]!).fixed!;
  checkWidth(yT, `node '${node.name}' (${node.op})`);
  return { xT, yT };
}

/** Elementwise map raw -> raw, with the cast into y's type folded in. */
function mapKernel(f: (raw: number) => number): FixedRun {
  // A loop of its own per node (see mapNew), so the call to f is inlined.
  const map = mapNew(f);
  return (ins) => [map(ins[0]!)];
}

const relu: FixedKernel<'Relu'> = (node, ctx) => {
  const { xT, yT } = types(node, ctx);
  if (isIdentityCast(xT, yT)) {
    // The common case, written out: a closure call per element would dominate the run time.
    return (ins, _n, alloc = freshAlloc) => {
      const x = ins[0]!;
      const y = alloc(x.length);
      // Branch-free (a ReLU's sign is a coin flip the branch predictor loses): v·(v>0) is v or
      // ±0, +0 makes it +0; raws are finite integers, so r is never NaN here.
      for (let i = 0; i < x.length; i++) {
        const v = x[i]!;
        y[i] = v * +(v > 0) + 0;
      }
      return [y];
    };
  }
  const c = resultCast(fracBits(xT), yT, ctx.stats);
  return mapKernel((r) => (r > 0 ? c(r) : c(0)));
};

const leakyRelu: FixedKernel<'LeakyRelu'> = (node, ctx) => {
  const { xT, yT } = types(node, ctx);
  const aT = node.prec!.types!['alpha']!;
  const alpha = Number(node.prec!.raws!.alpha); // α's raw in aT, derived once (src/ir/semantics/derived-raws.ts)
  const pos = resultCast(fracBits(xT), yT, ctx.stats);
  const neg = productCast(fracBits(xT) + fracBits(aT), yT, ctx.stats, maxAbsRaw(xT), Math.abs(alpha));
  return mapKernel((r) => (r >= 0 ? pos(r) : neg(r, alpha)));
};

const prelu: FixedKernel<'PRelu'> = (node, ctx) => {
  const { xT, yT } = types(node, ctx);
  const sV = ctx.value(node.inputs[1]!);
  const slope = ctx.constRaws(sV.name);
  const x = ctx.value(node.inputs[0]!);
  const pos = resultCast(fracBits(xT), yT, ctx.stats);
  const neg = productCast(fracBits(xT) + fracBits(sV.fixed!), yT, ctx.stats, maxAbsRaw(xT), Math.max(0, ...slope.map(Math.abs)));
  const idx = broadcastIndex(x.shape, sV.shape);
  const per = idx.length;
  return mapKernelIndexed((r, i) => (r >= 0 ? pos(r) : neg(r, slope[idx[i % per]!]!)));
};

function mapKernelIndexed(f: (raw: number, i: number) => number): FixedRun {
  return (ins) => {
    const x = ins[0]!;
    const y = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) y[i] = f(x[i]!, i);
    return [y];
  };
}

/** For each element of `shape` (row-major), the index into a tensor of `small` broadcast to it. */
export function broadcastIndex(shape: readonly number[], small: readonly number[]): Int32Array {
  const n = shape.reduce((p, d) => p * d, 1);
  const out = new Int32Array(n);
  const r = shape.length;
  const sStr: number[] = new Array(r).fill(0);
  let acc = 1;
  for (let i = small.length - 1; i >= 0; i--) {
    const j = r - small.length + i;
    sStr[j] = small[i] === 1 ? 0 : acc;
    acc *= small[i]!;
  }
  const idx = new Array<number>(r).fill(0);
  for (let f = 0; f < n; f++) {
    let o = 0;
    for (let i = 0; i < r; i++) o += idx[i]! * sStr[i]!;
    out[f] = o;
    for (let i = r - 1; i >= 0; i--) {
      if (++idx[i]! < shape[i]!) break;
      idx[i] = 0;
    }
  }
  return out;
}

const thresholdedRelu: FixedKernel<'ThresholdedRelu'> = (node, ctx) => {
  const { xT, yT } = types(node, ctx);
  const c = resultCast(fracBits(xT), yT, ctx.stats);
  const raws = node.prec?.raws;
  if (!raws) throw new Error(`node '${node.name}' (${node.op}): no threshold (run the quantize pass)`);
  const thr = Number(raws.thr); // raw > thr ⟺ x > α
  return mapKernel((r) => (r > thr ? c(r) : 0));
};

const clip: FixedKernel<'Clip'> = (node, ctx) => {
  const { xT, yT } = types(node, ctx);
  const c = resultCast(fracBits(xT), yT, ctx.stats);
  const raws = node.prec?.raws;
  if (!raws) throw new Error(`node '${node.name}' (${node.op}): no clip bounds (run the quantize pass)`);
  // raw < lo ⟺ x < min, raw > hi ⟺ x > max; the results are min and max as raws of y.
  const [lo, hi, loY, hiY] = [raws.lo, raws.hi, raws.lo_out, raws.hi_out].map(Number) as [number, number, number, number];
  return mapKernel((r) => (r < lo ? loY : r > hi ? hiY : c(r)));
};

/** Table entries as raws of the table's type. */
export function tableRaws(ctx: CompileContext, spec: TableSpec): Float64Array {
  return ctx.constRaws(spec.value);
}

const tableActivation: FixedKernel<TableOp> = (node, ctx) => {
  const { yT } = types(node, ctx);
  const spec = node.prec?.tables?.['f'];
  if (!spec) throw new Error(`node '${node.name}' (${node.op}): no lookup table (run the quantize pass)`);
  const tT = ctx.value(spec.value).fixed!;
  const t = tableRaws(ctx, spec);
  const c = resultCast(fracBits(tT), yT, ctx.stats);
  // Entries are cast once here; the cast counts overflows per element at run time below.
  const { base, size } = spec;
  const div = 2 ** spec.shift;
  const same = isIdentityCast(tT, yT);
  return mapKernel((r) => {
    let i = Math.floor((r - base) / div);
    i = i < 0 ? 0 : i >= size ? size - 1 : i;
    return same ? t[i]! : c(t[i]!);
  });
};

const softmax: FixedKernel<'Softmax'> = (node, ctx) => {
  const { xT, yT } = types(node, ctx);
  const x = ctx.value(node.inputs[0]!);
  const ax = x.shape.length + node.attrs.axis;
  const inner = node.attrs.toEnd ? 1 : x.shape.slice(ax + 1).reduce((p, d) => p * d, 1);
  const len = node.attrs.toEnd ? x.shape.slice(ax).reduce((p, d) => p * d, 1) : x.shape[ax]!;
  const expS = node.prec!.tables!['exp']!;
  const invS = node.prec!.tables!['inv']!;
  const dT = node.prec!.types!['diff']!;
  const sumT = node.prec!.types!['sum']!;
  const expT = ctx.value(expS.value).fixed!;
  const invT = ctx.value(invS.value).fixed!;
  const expR = tableRaws(ctx, expS);
  const invR = tableRaws(ctx, invS);
  // d = x - max is exact on x's grid (dT has x's fraction bits); sums of exp entries are exact
  // on the exp grid, which sumT shares.
  if (fracBits(dT) !== fracBits(xT) || fracBits(sumT) !== fracBits(expT)) throw new Error('internal: softmax grids');
  const out = productCast(fracBits(expT) + fracBits(invT), yT, ctx.stats, maxAbsRaw(expT), maxAbsRaw(invT));
  const eDiv = 2 ** expS.shift;
  const iDiv = 2 ** invS.shift;
  const e = new Float64Array(len);
  return (ins) => {
    const xs = ins[0]!;
    const y = new Float64Array(xs.length);
    const outer = xs.length / (len * inner);
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < inner; k++) {
        const b = o * len * inner + k;
        let m = -Infinity;
        for (let j = 0; j < len; j++) m = Math.max(m, xs[b + j * inner]!);
        let s = 0;
        for (let j = 0; j < len; j++) {
          let i = Math.floor((xs[b + j * inner]! - m - expS.base) / eDiv);
          i = i < 0 ? 0 : i >= expS.size ? expS.size - 1 : i;
          e[j] = expR[i]!;
          s += expR[i]!;
        }
        let ii = Math.floor((s - invS.base) / iDiv);
        ii = ii < 0 ? 0 : ii >= invS.size ? invS.size - 1 : ii;
        const r = invR[ii]!;
        for (let j = 0; j < len; j++) y[b + j * inner] = out(e[j]!, r);
      }
    }
    return [y];
  };
};

export const activationFixedKernels: FixedKernelTable = {
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
};
