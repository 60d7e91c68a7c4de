/**
 * Pooling windows, computed once per layer and shared by the float and fixed-point kernels (so
 * both agree on which taps a window covers): for every output pixel, the offsets of the input
 * pixels inside the input, and the divisor average pooling uses — the in-input taps, or with
 * count_include_pad the taps inside the padded input (a ceil-mode window hanging past the end
 * padding counts only up to the padded edge, as onnxruntime and PyTorch do).
 */
import type { PoolAttrs } from '../ir/ops.js';
import { forEachIndex, stridesOf } from './float/kernels/conv.js';
import { sumsCodegen } from './sums-codegen.js';

export interface WindowPlan {
  /** Per output pixel (row-major): input pixel offsets (row-major over the input's spatial dims). */
  readonly taps: readonly Int32Array[];
  /** Per output pixel: the average-pooling divisor. */
  readonly counts: Int32Array;
}

export function poolWindowPlan(inSp: readonly number[], outSp: readonly number[], a: PoolAttrs, includePad: boolean): WindowPlan {
  const s = a.kernel.length;
  const inStr = stridesOf(inSp);
  const kTaps: number[][] = [];
  forEachIndex(a.kernel, (k) => kTaps.push([...k]));
  const taps: Int32Array[] = [];
  const counts: number[] = [];
  forEachIndex(outSp, (o) => {
    const list: number[] = [];
    let padCount = 0;
    for (const k of kTaps) {
      let inside = true;
      let inPadded = true;
      let off = 0;
      for (let d = 0; d < s; d++) {
        const p = o[d]! * a.strides[d]! + k[d]! * a.dilations[d]! - a.pads[d]!;
        if (p < -a.pads[d]! || p >= inSp[d]! + a.pads[d + s]!) inPadded = false;
        if (p < 0 || p >= inSp[d]!) inside = false;
        else off += p * inStr[d]!;
      }
      if (inPadded) padCount++;
      if (inside) list.push(off);
    }
    taps.push(Int32Array.from(list));
    counts.push(includePad ? padCount : list.length);
  });
  return { taps, counts: Int32Array.from(counts) };
}

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
