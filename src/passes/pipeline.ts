/**
 * The pass pipeline, in order. Canonicalization runs on every imported graph before fixed
 * point; quantization then types it from a precision config. Each pass's output is verified.
 */
import type { Graph } from '../ir/graph.js';
import type { PrecisionConfig } from '../ir/precision-config.js';
import { verify } from '../ir/verify.js';
import { batchnormToAffine } from './batchnorm-to-affine.js';
import { divToMul } from './div-to-mul.js';
import { fuseAffine } from './fuse-affine.js';
import { fuseBiasAdd } from './fuse-bias-add.js';
import type { Pass } from './pass.js';
import { quantizeGraph, type QuantizeResult } from './quantize.js';

export const CANONICALIZE: readonly Pass[] = [
  // MatMul + Add(bias) as exported by Keras/TF -> one Dense (or Conv) with a bias.
  fuseBiasAdd,
  // BatchNorm with constant statistics -> one per-channel multiply-add.
  batchnormToAffine,
  // ...which folds into the Dense/Conv before it when nothing else reads that layer's output.
  fuseAffine,
  // Division by a constant -> multiplication by its reciprocal.
  divToMul,
];

export function canonicalize(g: Graph): Graph {
  for (const p of CANONICALIZE) g = verify(p.run(g));
  return g;
}

/** Canonicalize, then quantize with `cfg`. */
export function prepareFixed(g: Graph, cfg: PrecisionConfig): QuantizeResult {
  const r = quantizeGraph(canonicalize(g), cfg);
  return { ...r, graph: verify(r.graph) };
}
