/**
 * Generated weighted sums, shared by the float executor and the fixed-point simulator:
 * y[r*M + m] = init[m] + Σ_k x[r*K + k]·w[k*M + m] for every row r, compiled once per layer into
 * JavaScript with the weights inlined as number literals. The outputs are split into groups of
 * a few channels; each group is one function whose accumulators are local variables and which,
 * for each input x_k, skips all of that input's products when x_k is 0 (ReLU outputs, padding
 * and blank pixels are mostly zeros). Within every output the terms are added in ascending k
 * starting from init — the order of the reference loops — so float sums come out identical to
 * them, and exact integer sums are identical in any order anyway. Zero weights are dropped only
 * when `dropZeroWeights` (integer raws: x·0 is always 0; in float, Inf·0 must stay NaN).
 * The generated text holds only numbers we produce, never names from the model.
 */

/** Write y[r*yStride + m] for rows [0, rows); x rows are K long (from offset 0). */
export type Sums = (x: ArrayLike<number>, y: { [i: number]: number }, rows: number) => void;

/** Terms in one generated function: long functions stop being optimized well by V8. */
const TERMS_PER_FUNCTION = 4096;
/**
 * Largest layer (K·M weights) compiled into code. V8 spends time proportional to the code size
 * optimizing it (on a background thread that competes with the run), so beyond this the loop
 * form (sumsLoop) is faster for any realistic batch.
 */
export const MAX_GENERATED_TERMS = 4096;
/** Outputs per group: enough locals to reuse each x_k, few enough to stay in registers. */
const MAX_GROUP = 16;

function literal(v: number): string {
  const s = String(v);
  if (!/^-?(\d+(\.\d*)?(e[-+]?\d+)?|Infinity)$/.test(s)) throw new Error(`internal: non-numeric literal '${s}' in generated code`);
  return s.startsWith('-') ? `(${s})` : s;
}

/** Off: the kernels run their original reference loops (the oracle of the property tests). */
export const sumsCodegen = { enabled: true };

export interface SumsOptions {
  dropZeroWeights: boolean;
  /** Distance between output rows (default M): lets a group of a grouped conv write in place. */
  yStride?: number;
}

export function compileSums(K: number, M: number, w: ArrayLike<number>, init: ArrayLike<number>, opts: SumsOptions): Sums | null {
  if (K * M > MAX_GENERATED_TERMS || K === 0 || M === 0) return null;
  for (let i = 0; i < K * M; i++) if (!Number.isFinite(w[i]!)) return null;
  for (let m = 0; m < M; m++) if (!Number.isFinite(init[m]!)) return null;
  const group = Math.max(1, Math.min(MAX_GROUP, Math.floor(TERMS_PER_FUNCTION / K)));
  const yStride = opts.yStride ?? M;
  const parts: Sums[] = [];
  for (let m0 = 0; m0 < M; m0 += group) {
    const m1 = Math.min(M, m0 + group);
    const lines: string[] = ['for (let r = 0; r < rows; r++) {', `const xo = r * ${K}; const yo = r * ${yStride} + ${m0};`];
    for (let m = m0; m < m1; m++) lines.push(`let a${m - m0} = ${literal(init[m]!)};`);
    lines.push('let v;');
    for (let k = 0; k < K; k++) {
      const terms: string[] = [];
      for (let m = m0; m < m1; m++) {
        const c = w[k * M + m]!;
        if (c === 0 && opts.dropZeroWeights) continue;
        terms.push(`a${m - m0} += v * ${literal(c)};`);
      }
      if (terms.length) lines.push(`v = x[xo + ${k}]; if (v !== 0) { ${terms.join(' ')} }`);
    }
    for (let m = m0; m < m1; m++) lines.push(`y[yo + ${m - m0}] = a${m - m0};`);
    lines.push('}');
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    parts.push(new Function('x', 'y', 'rows', lines.join('\n')) as Sums);
  }
  if (parts.length === 1) return parts[0]!;
  return (x, y, rows) => {
    for (const p of parts) p(x, y, rows);
  };
}

/**
 * The loop form of the same sums for layers too large to generate. Weights are regrouped in
 * blocks of 8 outputs ([block][k][8]); per row the nonzero inputs are listed once, then each
 * block keeps its 8 sums in local variables while it walks that list — one weight load per
 * product, no accumulator traffic. Each output still adds its terms in ascending k from init.
 */
export function sumsLoop(K: number, M: number, w: ArrayLike<number>, init: ArrayLike<number>, yStride = M): Sums {
  const B = 8;
  const nb = Math.ceil(M / B);
  const wb = new Float64Array(nb * K * B);
  for (let k = 0; k < K; k++) for (let m = 0; m < M; m++) wb[(Math.floor(m / B) * K + k) * B + (m % B)] = w[k * M + m]!;
  const ib = new Float64Array(nb * B);
  for (let m = 0; m < M; m++) ib[m] = init[m]!;
  const nzIdx = new Int32Array(K);
  const nzVal = new Float64Array(K);
  return (x, y, rows) => {
    for (let r = 0; r < rows; r++) {
      const xo = r * K;
      let cnt = 0;
      for (let k = 0; k < K; k++) {
        const v = x[xo + k]!;
        if (v !== 0) {
          nzIdx[cnt] = k * B;
          nzVal[cnt++] = v;
        }
      }
      const yo = r * yStride;
      for (let bi = 0; bi < nb; bi++) {
        const i0 = bi * B;
        let a0 = ib[i0]!;
        let a1 = ib[i0 + 1]!;
        let a2 = ib[i0 + 2]!;
        let a3 = ib[i0 + 3]!;
        let a4 = ib[i0 + 4]!;
        let a5 = ib[i0 + 5]!;
        let a6 = ib[i0 + 6]!;
        let a7 = ib[i0 + 7]!;
        const base = bi * K * B;
        for (let j = 0; j < cnt; j++) {
          const v = nzVal[j]!;
          const o = base + nzIdx[j]!;
          a0 += v * wb[o]!;
          a1 += v * wb[o + 1]!;
          a2 += v * wb[o + 2]!;
          a3 += v * wb[o + 3]!;
          a4 += v * wb[o + 4]!;
          a5 += v * wb[o + 5]!;
          a6 += v * wb[o + 6]!;
          a7 += v * wb[o + 7]!;
        }
        const n = Math.min(B, M - i0);
        const yb = yo + i0;
        y[yb] = a0;
        if (n > 1) y[yb + 1] = a1;
        if (n > 2) y[yb + 2] = a2;
        if (n > 3) y[yb + 3] = a3;
        if (n > 4) y[yb + 4] = a4;
        if (n > 5) y[yb + 5] = a5;
        if (n > 6) y[yb + 6] = a6;
        if (n > 7) y[yb + 7] = a7;
      }
    }
  };
}

/** Generated sums when the layer is small enough, the loop form otherwise. */
export function weightedSums(K: number, M: number, w: ArrayLike<number>, init: ArrayLike<number>, opts: SumsOptions): Sums {
  return compileSums(K, M, w, init, opts) ?? sumsLoop(K, M, w, init, opts.yStride);
}

/**
 * `y[i] = f(y[i])` over a whole array, as a loop of its own: every call makes a new function
 * (new source, so V8 keeps separate type feedback), so its call to `f` sees one target and is
 * inlined. A loop shared by all layers would see each layer's cast closure, stop inlining, and
 * pay a call per element — as much as the layer's products.
 */
export function mapInPlace(f: (v: number) => number): (y: Float64Array) => void {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function('f', 'return function (y) { for (let i = 0; i < y.length; i++) y[i] = f(y[i]); };')(f) as (y: Float64Array) => void;
}

/** `y[i] = f(x[i])` into a new Float64Array, specialised per call like mapInPlace. */
export function mapNew(f: (v: number) => number): (x: ArrayLike<number>) => Float64Array {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function('f', 'return function (x) { const y = new Float64Array(x.length); for (let i = 0; i < x.length; i++) y[i] = f(x[i]); return y; };')(f) as (
    x: ArrayLike<number>,
  ) => Float64Array;
}

/** `y[i] = f(x[i])` into a given array of x's length, specialised per call like mapInPlace. */
export function mapTo(f: (v: number) => number): (x: ArrayLike<number>, y: Float64Array) => Float64Array {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function('f', 'return function (x, y) { for (let i = 0; i < x.length; i++) y[i] = f(x[i]); return y; };')(f) as (x: ArrayLike<number>, y: Float64Array) => Float64Array;
}

/**
 * The same sums over rows found anywhere: row r reads x[xb[r] + off[k]] and writes
 * y[yb[r] + m]. A convolution uses it on the input itself for output pixels whose window lies
 * inside the input (off = the window's offsets), and on gathered patch rows for the others.
 */
export type RowSums = (x: ArrayLike<number>, xb: Int32Array, y: { [i: number]: number }, yb: Int32Array, rows: number) => void;

export function rowSums(K: number, M: number, w: ArrayLike<number>, init: ArrayLike<number>, off: Int32Array, opts: SumsOptions): RowSums {
  if (K * M <= MAX_GENERATED_TERMS && K > 0 && M > 0 && Array.prototype.every.call(w, Number.isFinite) && Array.prototype.every.call(init, Number.isFinite)) {
    const group = Math.max(1, Math.min(MAX_GROUP, Math.floor(TERMS_PER_FUNCTION / K)));
    const parts: RowSums[] = [];
    for (let m0 = 0; m0 < M; m0 += group) {
      const m1 = Math.min(M, m0 + group);
      const lines: string[] = ['for (let r = 0; r < rows; r++) {', `const xo = xb[r]; const yo = yb[r] + ${m0};`];
      for (let m = m0; m < m1; m++) lines.push(`let a${m - m0} = ${literal(init[m]!)};`);
      lines.push('let v;');
      for (let k = 0; k < K; k++) {
        const terms: string[] = [];
        for (let m = m0; m < m1; m++) {
          const c = w[k * M + m]!;
          if (c === 0 && opts.dropZeroWeights) continue;
          terms.push(`a${m - m0} += v * ${literal(c)};`);
        }
        if (terms.length) lines.push(`v = x[xo + ${off[k]! | 0}]; if (v !== 0) { ${terms.join(' ')} }`);
      }
      for (let m = m0; m < m1; m++) lines.push(`y[yo + ${m - m0}] = a${m - m0};`);
      lines.push('}');
      // eslint-disable-next-line @typescript-eslint/no-implied-eval
      parts.push(new Function('x', 'xb', 'y', 'yb', 'rows', lines.join('\n')) as RowSums);
    }
    if (parts.length === 1) return parts[0]!;
    return (x, xb, y, yb, rows) => {
      for (const p of parts) p(x, xb, y, yb, rows);
    };
  }
  return rowSumsLoop(K, M, w, init, off);
}

/** The loop form of rowSums (sumsLoop's blocking, reading through the offsets). */
function rowSumsLoop(K: number, M: number, w: ArrayLike<number>, init: ArrayLike<number>, off: Int32Array): RowSums {
  const B = 8;
  const nb = Math.ceil(M / B);
  const wb = new Float64Array(nb * K * B);
  for (let k = 0; k < K; k++) for (let m = 0; m < M; m++) wb[(Math.floor(m / B) * K + k) * B + (m % B)] = w[k * M + m]!;
  const ib = new Float64Array(nb * B);
  for (let m = 0; m < M; m++) ib[m] = init[m]!;
  const nzIdx = new Int32Array(K);
  const nzVal = new Float64Array(K);
  return (x, xb, y, yb, rows) => {
    for (let r = 0; r < rows; r++) {
      const xo = xb[r]!;
      let cnt = 0;
      for (let k = 0; k < K; k++) {
        const v = x[xo + off[k]!]!;
        if (v !== 0) {
          nzIdx[cnt] = k * B;
          nzVal[cnt++] = v;
        }
      }
      const yo = yb[r]!;
      for (let bi = 0; bi < nb; bi++) {
        const i0 = bi * B;
        let a0 = ib[i0]!;
        let a1 = ib[i0 + 1]!;
        let a2 = ib[i0 + 2]!;
        let a3 = ib[i0 + 3]!;
        let a4 = ib[i0 + 4]!;
        let a5 = ib[i0 + 5]!;
        let a6 = ib[i0 + 6]!;
        let a7 = ib[i0 + 7]!;
        const base = bi * K * B;
        for (let j = 0; j < cnt; j++) {
          const v = nzVal[j]!;
          const o = base + nzIdx[j]!;
          a0 += v * wb[o]!;
          a1 += v * wb[o + 1]!;
          a2 += v * wb[o + 2]!;
          a3 += v * wb[o + 3]!;
          a4 += v * wb[o + 4]!;
          a5 += v * wb[o + 5]!;
          a6 += v * wb[o + 6]!;
          a7 += v * wb[o + 7]!;
        }
        const n = Math.min(B, M - i0);
        const yq = yo + i0;
        y[yq] = a0;
        if (n > 1) y[yq + 1] = a1;
        if (n > 2) y[yq + 2] = a2;
        if (n > 3) y[yq + 3] = a3;
        if (n > 4) y[yq + 4] = a4;
        if (n > 5) y[yq + 5] = a5;
        if (n > 6) y[yq + 6] = a6;
        if (n > 7) y[yq + 7] = a7;
      }
    }
  };
}
