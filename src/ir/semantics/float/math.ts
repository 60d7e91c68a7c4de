/**
 * Float reference kernels for the everyday math ops beyond the activations: elementwise unary
 * functions (Abs, Neg, Exp, Log, Sqrt, Reciprocal, Sign, Floor, Ceil, Round, Erf, Mish),
 * Pow and the comparisons with broadcasting, Where, the reductions over axes and
 * ArgMax/ArgMin. Axes are negative, so they address the value's own dims whatever run-time
 * dims (the batch) lead the tensor.
 */
import type { Node } from '../../graph.js';
import { type Kernel, type KernelTable, type RtTensor, tensor } from '../tensor.js';
import { erf, mish, normalCdf } from '../../special.js';
import { broadcastApply } from './elementwise.js';

/** Round half to even (ONNX Round, numpy.round). */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

function scalar(node: Node): (x: number) => number {
  switch (node.op) {
    case 'Abs':
      return Math.abs;
    case 'Neg':
      return (x) => -x;
    case 'Exp':
      return Math.exp;
    case 'Log':
      return Math.log;
    case 'Sqrt':
      return Math.sqrt;
    case 'Reciprocal':
      return (x) => 1 / x;
    case 'Sign':
      return (x) => (Number.isNaN(x) ? NaN : x > 0 ? 1 : x < 0 ? -1 : 0);
    case 'Floor':
      return Math.floor;
    case 'Ceil':
      return Math.ceil;
    case 'Round':
      return roundHalfEven;
    case 'Erf':
      return erf;
    case 'Mish':
      return mish;
    case 'Gelu': {
      const t = node.attrs.approximate === 'tanh';
      return (x) => x * normalCdf(x, t);
    }
    default:
      throw new Error(`no scalar function for ${node.op}`);
  }
}

const unary: Kernel = (node, ins) => {
  const x = ins[0]!;
  const f = scalar(node);
  return [tensor(x.shape, x.data.map((v) => f(v)))];
};

const BIN: Record<string, (x: number, y: number) => number> = {
  Pow: (x, y) => x ** y,
  Equal: (x, y) => (x === y ? 1 : 0),
  Greater: (x, y) => (x > y ? 1 : 0),
  Less: (x, y) => (x < y ? 1 : 0),
};

const binary: Kernel = (node, ins, outShapes) => [broadcastApply(ins[0]!, ins[1]!, outShapes[0]!, BIN[node.op]!)];

const where: Kernel<'Where'> = (_node, ins, outShapes) => {
  const out = outShapes[0]!;
  // Select by broadcasting twice: first pick a where cond holds (NaN marks "not chosen" only
  // in a private pairing, so a NaN in the data itself survives), then fill the rest from b.
  const cond = broadcastApply(ins[0]!, ins[1]!, out, (c) => c);
  const a = broadcastApply(ins[0]!, ins[1]!, out, (_c, v) => v);
  const b = broadcastApply(ins[0]!, ins[2]!, out, (_c, v) => v);
  const d = new Float32Array(cond.data.length);
  for (let i = 0; i < d.length; i++) d[i] = cond.data[i] !== 0 ? a.data[i]! : b.data[i]!;
  return [tensor(out, d)];
};

/** Row-major strides of a shape. */
function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

/**
 * Groups the input's elements by output position: calls visit(outIndex, value) for every
 * input element, in row-major input order, where the reduced dims are collapsed.
 */
function forEachReduced(x: RtTensor, reduced: ReadonlySet<number>, visit: (o: number, v: number) => void): number {
  const r = x.shape.length;
  const keptShape = x.shape.map((d, i) => (reduced.has(i) ? 1 : d));
  const ks = strides(keptShape).map((s, i) => (reduced.has(i) ? 0 : s));
  const idx = new Array<number>(r).fill(0);
  let o = 0;
  for (let i = 0; i < x.data.length; i++) {
    visit(o, x.data[i]!);
    for (let d = r - 1; d >= 0; d--) {
      idx[d]!++;
      o += ks[d]!;
      if (idx[d]! < x.shape[d]!) break;
      o -= ks[d]! * x.shape[d]!;
      idx[d] = 0;
    }
  }
  return keptShape.reduce((p, d) => p * d, 1);
}

const reduce: Kernel<'Reduce'> = (node, ins, outShapes) => {
  const x = ins[0]!;
  const r = x.shape.length;
  const reduced = new Set(node.attrs.axes.map((a) => r + a));
  const count = [...reduced].reduce((p, a) => p * x.shape[a]!, 1);
  const n = x.shape.reduce((p, d, i) => (reduced.has(i) ? p : p * d), 1);
  const fn = node.attrs.fn;
  const acc = new Float64Array(n);
  if (fn === 'Max') acc.fill(-Infinity);
  if (fn === 'Min') acc.fill(Infinity);
  if (fn === 'Prod') acc.fill(1);
  if (fn === 'LogSumExp') {
    // Stable: subtract each group's max before exponentiating.
    const mx = new Float64Array(n).fill(-Infinity);
    forEachReduced(x, reduced, (o, v) => {
      if (v > mx[o]!) mx[o] = v;
    });
    forEachReduced(x, reduced, (o, v) => {
      acc[o]! += Math.exp(v - mx[o]!);
    });
    return [tensor(outShapes[0]!, Float32Array.from(acc, (s, o) => (Number.isFinite(mx[o]!) ? mx[o]! + Math.log(s) : mx[o]!)))];
  }
  const step: Record<Exclude<typeof fn, 'LogSumExp'>, (a: number, v: number) => number> = {
    Sum: (a, v) => a + v,
    Mean: (a, v) => a + v,
    Max: (a, v) => (Number.isNaN(a) || v > a ? v : a),
    Min: (a, v) => (Number.isNaN(a) || v < a ? v : a),
    Prod: (a, v) => a * v,
    L1: (a, v) => a + Math.abs(v),
    L2: (a, v) => a + v * v,
    SumSquare: (a, v) => a + v * v,
  };
  const f = step[fn];
  forEachReduced(x, reduced, (o, v) => {
    acc[o] = f(acc[o]!, v);
  });
  const fin = fn === 'Mean' ? (s: number) => s / count : fn === 'L2' ? Math.sqrt : (s: number) => s;
  return [tensor(outShapes[0]!, Float32Array.from(acc, fin))];
};

function argKernel(smaller: boolean): Kernel<'ArgMax' | 'ArgMin'> {
  return (node, ins, outShapes) => {
    const x = ins[0]!;
    const r = x.shape.length;
    const ax = r + node.attrs.axis;
    const len = x.shape[ax]!;
    const inner = x.shape.slice(ax + 1).reduce((p, d) => p * d, 1);
    const outer = x.shape.slice(0, ax).reduce((p, d) => p * d, 1);
    const out = new Float32Array(outer * inner);
    const last = node.attrs.selectLast;
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let best = 0;
        let bv = x.data[o * len * inner + i]!;
        for (let k = 1; k < len; k++) {
          const v = x.data[(o * len + k) * inner + i]!;
          const better = smaller ? v < bv || (last && v === bv) : v > bv || (last && v === bv);
          if (better) {
            bv = v;
            best = k;
          }
        }
        out[o * inner + i] = best;
      }
    }
    return [tensor(outShapes[0]!, out)];
  };
}

export const mathKernels: KernelTable = {
  Abs: unary,
  Neg: unary,
  Exp: unary,
  Log: unary,
  Sqrt: unary,
  Reciprocal: unary,
  Sign: unary,
  Floor: unary,
  Ceil: unary,
  Round: unary,
  Erf: unary,
  Mish: unary,
  Gelu: unary,
  Pow: binary,
  Equal: binary,
  Greater: binary,
  Less: binary,
  Where: where,
  Reduce: reduce,
  ArgMax: argKernel(false),
  ArgMin: argKernel(true),
};
