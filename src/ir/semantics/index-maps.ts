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
