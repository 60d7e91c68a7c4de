/**
 * The contract between the float reference executor and its per-op kernels. A run-time tensor
 * is a row-major Float32Array with its full shape: the IR value's shape with the run-time
 * leading dims (the batch N of a batched graph) in front. Kernels are pure: they read their
 * inputs, allocate their outputs, and treat any dims in front of the op's own dims as
 * independent samples. Integer and boolean values travel as float32 holding exact integers.
 */
import type { Node } from '../graph.js';
import type { OpKind } from '../ops.js';

export interface RtTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/**
 * A kernel receives the node, its inputs (undefined for omitted optional inputs) and the full
 * run-time shapes its outputs must have (already computed from the IR), and returns outputs.
 */
export type Kernel<K extends OpKind = OpKind> = (
  node: Node<K>,
  inputs: readonly (RtTensor | undefined)[],
  outShapes: readonly (readonly number[])[],
) => RtTensor[];

export type KernelTable = { readonly [K in OpKind]?: Kernel<K> };

export function tensor(shape: readonly number[], data?: Float32Array): RtTensor {
  let n = 1;
  for (const d of shape) n *= d;
  if (data && data.length !== n) throw new Error(`tensor data has ${data.length} elements, shape [${shape}] needs ${n}`);
  return { shape, data: data ?? new Float32Array(n) };
}
