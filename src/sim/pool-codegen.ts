/**
 * Max pooling as generated JavaScript, shared by the float executor and the fixed-point
 * simulator (the fast path over the reference pooling loops, which stay the tests' oracle).
 */
import { sumsCodegen } from './sums-codegen.js';
import type { WindowPlan } from '../ir/semantics/window.js';

/**
 * Max pooling as generated code when every window lies inside the input with the same shape
 * (the usual 2×2 stride-2 pool): per output element m = -Infinity, then for each tap, unrolled
 * with its offset inlined, `if (v > m) m = v` — the reference's comparisons in the reference's
 * order, so NaN never wins exactly as there. `cast` (fixed point, when the output type differs)
 * is applied to m; it is inlined since every call makes new source. null when windows differ.
 * The generated text holds only numbers computed here.
 */
export type MaxPoolRun = (x: ArrayLike<number>, y: { [i: number]: number }, samples: number) => void;

export function uniformMaxPool(plan: WindowPlan, inPix: number, C: number, cast?: (v: number) => number): MaxPoolRun | null {
  if (!sumsCodegen.enabled) return null;
  const first = plan.taps[0];
  if (!first || first.length === 0 || first.length > 64) return null;
  const rel = Array.from(first, (t) => t - first[0]!);
  const origins = new Int32Array(plan.taps.length);
  for (let op = 0; op < plan.taps.length; op++) {
    const l = plan.taps[op]!;
    if (l.length !== rel.length) return null;
    for (let j = 0; j < l.length; j++) if (l[j]! - l[0]! !== rel[j]) return null;
    origins[op] = l[0]! * C;
  }
  const outPix = plan.taps.length;
  const taps = rel.map((r) => `v = x[o + ${r * C}]; if (v > m) m = v;`).join(' ');
  const body = [
    `for (let n = 0; n < samples; n++) { const xb = n * ${inPix * C}; const yb = n * ${outPix * C};`,
    `for (let op = 0; op < ${outPix}; op++) { const ob = xb + origins[op]; const yo = yb + op * ${C};`,
    `for (let c = 0; c < ${C}; c++) { const o = ob + c; let m = -Infinity; let v; ${taps} y[yo + c] = ${cast ? 'f(m)' : 'm'}; } } }`,
  ].join('\n');
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const run = new Function('f', 'origins', `return function (x, y, samples) {\n${body}\n};`)(cast, origins) as MaxPoolRun;
  return run;
}
