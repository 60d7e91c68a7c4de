/**
 * The pass pipeline, in order. Canonicalization runs on every imported graph before fixed
 * point; quantization then types it from a precision config. Each pass's output is verified.
 * An optional hook sees the graph after each stage ('import', each canonicalization pass by
 * name, 'quantize'), which is how `--dump-after PASS` prints the IR text.
 */
import type { Graph } from '../ir/graph.js';
import type { PrecisionConfig } from '../ir/precision-config.js';
import { verify } from '../ir/verify.js';
import { batchnormToAffine } from './batchnorm-to-affine.js';
import { bipolarThreshold } from './bipolar-threshold.js';
import { divToMul } from './div-to-mul.js';
import { fuseAffine } from './fuse-affine.js';
import { fuseBiasAdd } from './fuse-bias-add.js';
import { fuseGelu } from './fuse-gelu.js';
import { fuseLayerNorm } from './fuse-layernorm.js';
import type { Pass } from './pass.js';
import { recurrentFinalState } from './recurrent-final-state.js';
import { quantizeGraph, type QuantizeResult } from './quantize.js';

export const CANONICALIZE: readonly Pass[] = [
  // A one-directional RNN's final state Y_h -> a slice of its last time step of Y.
  recurrentFinalState,
  // MatMul + Add(bias) as exported by Keras/TF -> one Dense (or Conv) with a bias.
  fuseBiasAdd,
  // BatchNorm with constant statistics -> one per-channel multiply-add.
  batchnormToAffine,
  // ...which folds into the Dense/Conv before it when nothing else reads that layer's output;
  fuseAffine,
  // ...or, before a BipolarQuant on an exact binarized layer, becomes an exact threshold.
  bipolarThreshold,
  // Layer normalization written as mean/sub/square/mean/sqrt/div arithmetic -> one LayerNorm.
  fuseLayerNorm,
  // GELU written as x·0.5·(1 + erf(x/√2)) -> one Gelu.
  fuseGelu,
  // Division by a constant -> multiplication by its reciprocal.
  divToMul,
];

/** Called with each stage's name and its output graph. */
export type PassHook = (stage: string, g: Graph) => void;

/** Stages a hook can see, in pipeline order. */
export const STAGES: readonly string[] = ['import', ...CANONICALIZE.map((p) => p.name), 'quantize'];

export function canonicalize(g: Graph, hook?: PassHook): Graph {
  hook?.('import', g);
  for (const p of CANONICALIZE) {
    g = verify(p.run(g));
    hook?.(p.name, g);
  }
  return g;
}

/** Canonicalize, then quantize with `cfg`. */
export function prepareFixed(g: Graph, cfg: PrecisionConfig, hook?: PassHook): QuantizeResult {
  const r = quantizeGraph(canonicalize(g, hook), cfg);
  const graph = verify(r.graph);
  hook?.('quantize', graph);
  return { ...r, graph };
}
