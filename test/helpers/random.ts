/** A small deterministic PRNG (32-bit LCG) for tests, so a failing case reproduces from its seed. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}
