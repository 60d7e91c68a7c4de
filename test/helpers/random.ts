/** A small deterministic PRNG (32-bit LCG) for tests, so a failing case reproduces from its seed. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** Deterministic values in [-amp, amp] with about `zeros` of them exactly +0 (ReLU-like sparsity). */
export function sparseValues(n: number, seed: number, amp: number, zeros = 0.3): Float32Array {
  const rnd = lcg(seed);
  return Float32Array.from({ length: n }, () => {
    const u = rnd();
    return u < zeros ? 0 : (2 * ((u - zeros) / (1 - zeros)) - 1) * amp;
  });
}
