/**
 * Index maps that describe data movement independently of any arithmetic, shared by the
 * fixed-point simulator and the HLS emitter so that both reduce, gather and scatter the same
 * elements: a reduction's output position for every input element, and the source element of
 * every output element of a data-movement op (obtained once by running the op's reference
 * float kernel on a tensor of element numbers).
 */
import { type Graph, type Node, valueOf } from '../graph.js';
import { NnInputError } from '../../util/tensor.js';
import { REFERENCE_FLOAT_KERNELS } from './float/index.js';
import type { Kernel } from './tensor.js';

/** For each element of one sample of `shape`, its output position after reducing `axes` (negative). */
export function reduceIndexMap(shape: readonly number[], axes: readonly number[]): { map: Int32Array; outSize: number; count: number } {
  const r = shape.length;
  const red = new Set(axes.map((a) => r + a));
  const kept = shape.map((d, i) => (red.has(i) ? 1 : d));
  const ks = new Array<number>(r).fill(0);
  let acc = 1;
  for (let i = r - 1; i >= 0; i--) {
    ks[i] = red.has(i) ? 0 : acc;
    acc *= kept[i]!;
  }
  const n = shape.reduce((p, d) => p * d, 1);
  const map = new Int32Array(n);
  const idx = new Array<number>(r).fill(0);
  let o = 0;
  for (let j = 0; j < n; j++) {
    map[j] = o;
    for (let d = r - 1; d >= 0; d--) {
      idx[d]!++;
      o += ks[d]!;
      if (idx[d]! < shape[d]!) break;
      o -= ks[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
  return { map, outSize: acc, count: n / acc };
}

/**
 * map[j] = input element feeding output element j (per sample), or -1 for the pad constant.
 * Shared with the HLS emitter, which writes the same map as a constant array.
 */
export function movementIndexMap(g: Graph, node: Node): Int32Array {
  const x = valueOf(g, node.inputs[0]!);
  const y = valueOf(g, node.outputs[0]!);
  const n = x.shape.reduce((p, d) => p * d, 1);
  if (n >= 2 ** 24) throw new NnInputError(`node '${node.name}' (${node.op}): more than 2^24 elements per sample are not supported`);
  const iota = new Float32Array(n);
  for (let i = 0; i < n; i++) iota[i] = i + 1;
  const lead = g.batched ? [1] : [];
  const probe = node.op === 'Pad' ? ({ ...node, attrs: { ...node.attrs, value: 0 } } as Node) : node;
  const kernel = REFERENCE_FLOAT_KERNELS[node.op] as Kernel | undefined;
  if (!kernel) throw new Error(`internal: no float kernel for ${node.op}`);
  const [out] = kernel(probe as never, [{ shape: [...lead, ...x.shape], data: iota }], [[...lead, ...y.shape]]);
  return Int32Array.from(out!.data, (v) => v - 1);
}

/**
 * The batched matrix product of two values (numpy matmul, 1-D operands promoted): M, K, N, the
 * number of output matrices, and for each output matrix the element offset of its A and B
 * matrices within one sample (broadcast batch dims repeat an operand's matrix).
 */
export interface MatMulMap {
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly batch: number;
  readonly aOff: Int32Array;
  readonly bOff: Int32Array;
}

export function matmulMap(aShape0: readonly number[], bShape0: readonly number[]): MatMulMap {
  const a = aShape0.length === 1 ? [1, aShape0[0]!] : [...aShape0];
  const b = bShape0.length === 1 ? [bShape0[0]!, 1] : [...bShape0];
  const m = a[a.length - 2]!;
  const k = a[a.length - 1]!;
  const n = b[b.length - 1]!;
  const ab = a.slice(0, -2);
  const bb = b.slice(0, -2);
  const r = Math.max(ab.length, bb.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const da = ab[ab.length - r + i] ?? 1;
    const db = bb[bb.length - r + i] ?? 1;
    out.push(da === 1 ? db : da);
  }
  const batch = out.reduce((p, d) => p * d, 1);
  const offsets = (dims: number[], per: number): Int32Array => {
    const res = new Int32Array(batch);
    const idx = new Array<number>(r).fill(0);
    for (let bi = 0; bi < batch; bi++) {
      let o = 0;
      for (let i = 0; i < dims.length; i++) {
        const d = dims[i]!;
        o = o * d + (d === 1 ? 0 : idx[r - dims.length + i]!);
      }
      res[bi] = o * per;
      for (let i = r - 1; i >= 0; i--) {
        if (++idx[i]! < out[i]!) break;
        idx[i] = 0;
      }
    }
    return res;
  };
  return { m, k, n, batch, aOff: offsets(ab, m * k), bOff: offsets(bb, k * n) };
}
