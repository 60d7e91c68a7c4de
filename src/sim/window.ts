/**
 * Pooling windows, computed once per layer and shared by the float and fixed-point kernels (so
 * both agree on which taps a window covers): for every output pixel, the offsets of the input
 * pixels inside the input, and the divisor average pooling uses — the in-input taps, or with
 * count_include_pad the taps inside the padded input (a ceil-mode window hanging past the end
 * padding counts only up to the padded edge, as onnxruntime and PyTorch do).
 */
import type { PoolAttrs } from '../ir/ops.js';
import { forEachIndex, stridesOf } from './float/kernels/conv.js';

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
