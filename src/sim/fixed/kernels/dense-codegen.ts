/**
 * Speed path for Dense in exact-accumulator mode: compiles the layer into a JavaScript function
 * with the integer weights inlined as constants (zero weights dropped), the way a simulator that
 * JIT-compiles its model does. Each output is one sum of products of integers below 2^53, so
 * any evaluation order gives the same exact result as the generic loop; the output cast runs
 * afterwards in a separate tight loop. The generated text contains only numbers we produce, never
 * names from the model. Large layers (more than MAX_TERMS weights) keep the loop kernel, since
 * very long functions stop being optimized well.
 */
export const MAX_TERMS = 16384;

/** acc[r*M + m] = init[m] + Σ_k x[r*K + k]·w[k*M + m] for every row r. */
export type DenseSums = (x: Float64Array, acc: Float64Array, rows: number) => void;

export function compileDenseSums(K: number, M: number, w: Float64Array, init: Float64Array): DenseSums | null {
  if (K * M > MAX_TERMS) return null;
  const lines: string[] = ['for (let r = 0; r < rows; r++) {', `const xo = r * ${K}; const yo = r * ${M};`];
  for (let k = 0; k < K; k++) lines.push(`const x${k} = x[xo + ${k}];`);
  for (let m = 0; m < M; m++) {
    const terms: string[] = [];
    if (init[m] !== 0) terms.push(String(init[m]));
    for (let k = 0; k < K; k++) {
      const c = w[k * M + m]!;
      if (c !== 0) terms.push(`x${k} * ${c}`);
    }
    if (!terms.every((t) => /^[-\w .*+]+$/.test(t))) throw new Error('internal: non-numeric term in generated code');
    lines.push(`acc[yo + ${m}] = ${terms.length ? terms.join(' + ') : '0'};`);
  }
  lines.push('}');
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function('x', 'acc', 'rows', lines.join('\n')) as DenseSums;
}
