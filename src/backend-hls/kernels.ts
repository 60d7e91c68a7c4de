/**
 * Our C++ kernel library (src/backend-hls/kernels/*.h), read from the files next to this module
 * and copied verbatim into every project as firmware/kernels/. The list is fixed and sorted so
 * the project is byte-identical across runs and machines.
 */
import { readFileSync } from 'node:fs';

export const KERNEL_FILES = [
  'nn2hls.h',
  'nn_attention.h',
  'nn_binary.h',
  'nn_common.h',
  'nn_conv.h',
  'nn_dense.h',
  'nn_layout.h',
  'nn_pool.h',
  'nn_recurrent.h',
  'nn_softmax.h',
  'nn_stream.h',
  'nn_unary.h',
] as const;

let cache: Map<string, string> | undefined;

export function kernelSources(): ReadonlyMap<string, string> {
  if (!cache) {
    cache = new Map();
    for (const f of KERNEL_FILES) cache.set(f, readFileSync(new URL(`./kernels/${f}`, import.meta.url), 'utf8'));
  }
  return cache;
}
