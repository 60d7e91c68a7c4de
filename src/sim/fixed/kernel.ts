/**
 * The contract between the bit-accurate simulator and its per-op kernels. A fixed tensor holds
 * integer raws in a Float64Array (exact below 2^53) plus its type. Kernels are *compiled* once
 * per node: `compile` reads the annotated node (its types, constants and tables) and returns a
 * `run` closure that maps input raws for a batch of `n` samples to output raws already cast
 * into the output's type, counting overflows at the node's cast points. Nothing here chooses a
 * type; everything comes from the IR (docs/fixed-point.md).
 */
import type { FixedType } from '../../ir/fixed.js';
import type { Graph, Node, Value } from '../../ir/graph.js';
import type { OpKind } from '../../ir/ops.js';

export interface FxTensor {
  readonly shape: readonly number[];
  /** Raws as doubles: exact up to 52-bit types; rounded to the nearest double for wider ones. */
  readonly raw: Float64Array;
  readonly type: FixedType;
  /** Exact raws, present when the type is wider than 52 bits (the BigInt path, wide.ts). */
  readonly big?: readonly bigint[];
}

/** Overflow counters of one node: its output cast and (when it can overflow) its accumulator. */
export interface CastStats {
  result: number;
  accum: number;
}

export interface CompileContext {
  readonly g: Graph;
  value(name: string): Value;
  /** Raws of a constant quantized into its own fixed type (cached). */
  constRaws(name: string): Float64Array;
  readonly stats: CastStats;
  /**
   * Offered by the executor when a Relu whose cast is the identity reads this node's only
   * output: a kernel that computes that ReLU in the same pass sets `taken` and its run returns
   * the Relu's output after its own (the Relu node then runs no kernel of its own).
   */
  readonly fuse?: {
    readonly relu: boolean;
    taken: boolean;
    /** A MaxPool reading that Relu's output, offered the same way (`poolTaken`: its output comes after the Relu's). */
    readonly pool?: Node;
    poolTaken?: boolean;
  };
}

/**
 * Where a kernel gets an output array of `len` raws. The executor may hand back the same
 * node's array from the previous run (no allocation, no garbage per chunk), so its contents are
 * arbitrary: a kernel that takes its outputs from here writes every element.
 */
export type Alloc = (len: number) => Float64Array;

export const freshAlloc: Alloc = (len) => new Float64Array(len);

/**
 * Runs one node on `n` samples: inputs are per-sample-major raws (constants excluded). Kernels
 * that write every output element may take their outputs from `alloc`; others ignore it.
 */
export type FixedRun = (ins: readonly (Float64Array | undefined)[], n: number, alloc?: Alloc) => Float64Array[];

export type FixedKernel<K extends OpKind = OpKind> = (node: Node<K>, ctx: CompileContext) => FixedRun;

export type FixedKernelTable = { readonly [K in OpKind]?: FixedKernel<K> };

export function sampleSize(v: Value): number {
  let s = 1;
  for (const d of v.shape) s *= d;
  return s;
}
