/**
 * Float reference kernels for elementwise ops: the activation functions (one scalar function
 * each, applied over the whole tensor) and the broadcasting binary ops (numpy rules over the
 * full run-time shapes, which is correct because the IR forbids broadcasting over the batch).
 */
import type { Node } from '../../graph.js';
import type { OpKind } from '../../ops.js';
import { type Kernel, type KernelTable, type RtTensor, tensor } from '../tensor.js';

type Scalar = (x: number) => number;

/** Builds the scalar function of an activation node from its attrs. */
function activation(node: Node): Scalar {
  switch (node.op) {
    case 'Relu':
      return (x) => (x > 0 ? x : 0);
    case 'LeakyRelu': {
      const a = node.attrs.alpha;
      return (x) => (x < 0 ? a * x : x);
    }
    case 'Sigmoid':
      return (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
    case 'HardSigmoid': {
      const { alpha, beta } = node.attrs;
      return (x) => Math.max(0, Math.min(1, alpha * x + beta));
    }
    case 'HardSwish':
      return (x) => x * Math.max(0, Math.min(1, x / 6 + 0.5));
    case 'Tanh':
      return Math.tanh;
    case 'Elu': {
      const a = node.attrs.alpha;
      return (x) => (x < 0 ? a * Math.expm1(x) : x);
    }
    case 'Selu': {
      const { alpha, gamma } = node.attrs;
      return (x) => gamma * (x <= 0 ? alpha * Math.expm1(x) : x);
    }
    case 'Softplus':
      // log(1 + e^x) without overflow for large x.
      return (x) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));
    case 'Softsign':
      return (x) => x / (1 + Math.abs(x));
    case 'ThresholdedRelu': {
      const a = node.attrs.alpha;
      return (x) => (x > a ? x : 0);
    }
    case 'Clip': {
      const { min, max } = node.attrs;
      return (x) => (x < min ? min : x > max ? max : x);
    }
    default:
      throw new Error(`no scalar function for ${node.op}`);
  }
}

const unaryKernel: Kernel = (node, ins, _shapes, alloc) => {
  const x = ins[0]!;
  const out = alloc ? alloc(x.data.length) : new Float32Array(x.data.length);
  const d = x.data;
  if (node.op === 'Relu') {
    // The common case written out: the shared loop below calls a different f per op.
    // Branch-free (the sign of a ReLU input is a coin flip the branch predictor loses, which
    // costs more than the arithmetic): v·(v>0) is v or ±0, +0 makes it +0; it is NaN only for
    // v = NaN or −Inf, both of which give 0 like (v > 0 ? v : 0).
    for (let i = 0; i < out.length; i++) {
      const v = d[i]!;
      const r = v * +(v > 0) + 0;
      out[i] = r === r ? r : 0;
    }
    return [tensor(x.shape, out)];
  }
  const f = activation(node);
  for (let i = 0; i < out.length; i++) out[i] = f(d[i]!);
  return [tensor(x.shape, out)];
};

/**
 * Applies f over two broadcast tensors into `outShape`. Walks the output with an odometer and
 * per-input strides that are 0 along broadcast dims, so no index is recomputed from scratch.
 */
export function broadcastApply(
  a: RtTensor,
  b: RtTensor,
  outShape: readonly number[],
  f: (x: number, y: number) => number,
): RtTensor {
  const r = outShape.length;
  const out = tensor(outShape);
  const n = out.data.length;
  if (n === 0) return out;
  const sa = bstrides(a.shape, outShape);
  const sb = bstrides(b.shape, outShape);
  const idx = new Array<number>(r).fill(0);
  let ia = 0;
  let ib = 0;
  const ad = a.data;
  const bd = b.data;
  const od = out.data;
  for (let i = 0; i < n; i++) {
    od[i] = f(ad[ia]!, bd[ib]!);
    for (let d = r - 1; d >= 0; d--) {
      idx[d]!++;
      ia += sa[d]!;
      ib += sb[d]!;
      if (idx[d]! < outShape[d]!) break;
      ia -= sa[d]! * outShape[d]!;
      ib -= sb[d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

/** Strides of `shape` right-aligned into `outShape`, 0 where the dim broadcasts. */
function bstrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const r = outShape.length;
  const s = new Array<number>(r).fill(0);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i]!;
    s[r - shape.length + i] = d === 1 ? 0 : acc;
    acc *= d;
  }
  return s;
}

const BINARY: Partial<Record<OpKind, (x: number, y: number) => number>> = {
  Add: (x, y) => x + y,
  Sub: (x, y) => x - y,
  Mul: (x, y) => x * y,
  Div: (x, y) => x / y,
  Max: (x, y) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : Math.max(x, y)),
  Min: (x, y) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : Math.min(x, y)),
  PRelu: (x, s) => (x < 0 ? s * x : x),
};

const binaryKernel: Kernel = (node, ins, outShapes) => {
  const f = BINARY[node.op];
  if (!f) throw new Error(`no binary function for ${node.op}`);
  return [broadcastApply(ins[0]!, ins[1]!, outShapes[0]!, f)];
};

export const elementwiseKernels: KernelTable = {
  Relu: unaryKernel,
  LeakyRelu: unaryKernel,
  Sigmoid: unaryKernel,
  HardSigmoid: unaryKernel,
  HardSwish: unaryKernel,
  Tanh: unaryKernel,
  Elu: unaryKernel,
  Selu: unaryKernel,
  Softplus: unaryKernel,
  Softsign: unaryKernel,
  ThresholdedRelu: unaryKernel,
  Clip: unaryKernel,
  Add: binaryKernel,
  Sub: binaryKernel,
  Mul: binaryKernel,
  Div: binaryKernel,
  Max: binaryKernel,
  Min: binaryKernel,
  PRelu: binaryKernel,
};
