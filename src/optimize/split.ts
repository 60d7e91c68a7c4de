/**
 * The labelled data split of `nn2hls optimize`: a seeded shuffle (mulberry32, so the same seed
 * gives the same split on every machine) cuts the samples into a choose set, on which every
 * candidate's accuracy is measured, and a held-out set, on which only the chosen design (and the
 * references it is compared with) are re-simulated — so the reported accuracy was not used to choose.
 */
import type { RtTensor } from '../ir/semantics/tensor.js';
import { NnInputError } from '../util/tensor.js';

/** mulberry32: a small, fast, well-mixed 32-bit PRNG; deterministic for a seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Labelled {
  inputs: RtTensor[];
  labels: Float32Array;
  labelShape: number[];
}

/** Rows `idx` of a batched tensor (first dim is the sample). */
export function takeRows(t: { shape: readonly number[]; data: Float32Array }, idx: readonly number[]): RtTensor {
  const per = t.data.length / t.shape[0]!;
  const out = new Float32Array(idx.length * per);
  idx.forEach((r, k) => out.set(t.data.subarray(r * per, (r + 1) * per), k * per));
  return { shape: [idx.length, ...t.shape.slice(1)], data: out };
}

export interface Split {
  choose: Labelled;
  heldOut: Labelled;
  chooseIdx: number[];
  heldOutIdx: number[];
}

/**
 * Splits `n` labelled samples: a Fisher–Yates shuffle of 0..n-1 by `seed`, the first
 * round(n·heldOutFraction) held out (each set sorted, so sample order inside a set is the file's).
 */
export function splitSamples(data: Labelled, seed: number, heldOutFraction: number): Split {
  const n = data.inputs[0]!.shape[0]!;
  if (!(heldOutFraction > 0 && heldOutFraction < 1)) throw new NnInputError(`--holdout must be between 0% and 100% (exclusive), got ${heldOutFraction * 100}%`);
  const nHeld = Math.round(n * heldOutFraction);
  if (nHeld < 1 || n - nHeld < 1) {
    throw new NnInputError(`optimize needs labelled samples for both a choose set and a held-out set; ${n} sample(s) with --holdout ${heldOutFraction * 100}% leaves one of them empty (give more samples)`);
  }
  const perm = Array.from({ length: n }, (_, i) => i);
  const rnd = mulberry32(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  }
  const heldOutIdx = perm.slice(0, nHeld).sort((a, b) => a - b);
  const chooseIdx = perm.slice(nHeld).sort((a, b) => a - b);
  const part = (idx: number[]): Labelled => ({
    inputs: data.inputs.map((t) => takeRows(t, idx)),
    labels: takeRows({ shape: data.labelShape, data: data.labels }, idx).data,
    labelShape: [idx.length, ...data.labelShape.slice(1)],
  });
  return { choose: part(chooseIdx), heldOut: part(heldOutIdx), chooseIdx, heldOutIdx };
}
