/**
 * The contract between the float reference executor and its per-op kernels. A run-time tensor
 * is a row-major Float32Array with its full shape: the IR value's shape with the run-time
 * leading dims (the batch N of a batched graph) in front. Kernels are pure: they read their
 * inputs, allocate their outputs, and treat any dims in front of the op's own dims as
 * independent samples. Integer and boolean values travel as float32 holding exact integers.
 */
import type { Graph, Node } from '../graph.js';
import type { OpKind } from '../ops.js';

export interface RtTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/**
 * A kernel receives the node, its inputs (undefined for omitted optional inputs) and the full
 * run-time shapes its outputs must have (already computed from the IR), and returns outputs.
 * `alloc`, when given, hands out output arrays that may be this node's arrays of a previous
 * run (arbitrary contents): a kernel that takes its outputs from it writes every element.
 */
export type Kernel<K extends OpKind = OpKind> = (
  node: Node<K>,
  inputs: readonly (RtTensor | undefined)[],
  outShapes: readonly (readonly number[])[],
  alloc?: (len: number) => Float32Array,
) => RtTensor[];

export type KernelTable = { readonly [K in OpKind]?: Kernel<K> };

export function tensor(shape: readonly number[], data?: Float32Array): RtTensor {
  let n = 1;
  for (const d of shape) n *= d;
  if (data && data.length !== n) throw new Error(`tensor data has ${data.length} elements, shape [${shape}] needs ${n}`);
  return { shape, data: data ?? new Float32Array(n) };
}

/**
 * Runs a graph in float32 on a batch and returns its outputs, calling onValue with every value
 * it computes. The executor is src/sim/float/executor.ts `runFloat`; passes that need a float
 * run (calibration) take one as an argument from the application layer instead of importing
 * the simulator.
 */
export type FloatRun = (
  g: Graph,
  inputs: readonly RtTensor[],
  opts: { onValue?: (name: string, t: RtTensor, node: Node) => void },
) => RtTensor[];

/**
 * Runs the bit-accurate simulator on a quantized graph and returns, per graph output, the raw
 * integers of every element of the batch (BigInts where wider than 53 bits). The simulator is
 * src/sim/fixed/executor.ts (`simulateFixed`); the HLS emitter takes one as an argument to write
 * the testbench's expected outputs instead of importing the simulator.
 */
export type FixedRun = (g: Graph, inputs: readonly RtTensor[]) => readonly (ArrayLike<number> | readonly bigint[])[];
