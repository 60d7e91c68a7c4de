/**
 * Convolution windows gathered into rows ("im2col"), shared by the float executor and the
 * fixed-point simulator: for each output pixel the list of (tap, input pixel) pairs inside the
 * input, computed once per layer, and the index map of a gather that copies a block of samples'
 * windows into a patch matrix [samples·outPix, taps·channels] in the weights' row order
 * (tap-major, then channel). A convolution then runs as one weighted sum over the patch rows.
 */
import { forEachIndex, stridesOf } from './float/kernels/conv.js';

export interface ConvWindows {
  readonly inPix: number;
  readonly outPix: number;
  readonly taps: number;
  /** Per output pixel: flat pairs (tap index, input pixel offset), inside-the-input taps only. */
  readonly plan: readonly Int32Array[];
}

export interface WindowGeometry {
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  /** Begin pads per spatial dim (end pads only bound the output size, already in outSp). */
  readonly pads: readonly number[];
}

export function convWindows(inSp: readonly number[], outSp: readonly number[], a: WindowGeometry): ConvWindows {
  const s = a.kernel.length;
  const inStr = stridesOf(inSp);
  const taps: number[][] = [];
  forEachIndex(a.kernel, (k) => taps.push([...k]));
  const plan: Int32Array[] = [];
  forEachIndex(outSp, (o) => {
    const list: number[] = [];
    taps.forEach((k, t) => {
      let off = 0;
      for (let i = 0; i < s; i++) {
        const p = o[i]! * a.strides[i]! + k[i]! * a.dilations[i]! - a.pads[i]!;
        if (p < 0 || p >= inSp[i]!) return;
        off += p * inStr[i]!;
      }
      list.push(t, off);
    });
    plan.push(Int32Array.from(list));
  });
  return { inPix: inSp.reduce((p, d) => p * d, 1), outPix: outSp.reduce((p, d) => p * d, 1), taps: taps.length, plan };
}

/**
 * Where each element of one sample's patch comes from: for patch element (output pixel p,
 * tap t, channel ci) of channels [c0, c0 + cn), the offset of its input inside the sample
 * (channels-last, `cin` channels), or -1 where the tap hangs over the padding. A gather is then
 * one linear pass: patch[i] = idx[i] < 0 ? 0 : x[sampleBase + idx[i]] (each kernel writes that
 * loop itself, so V8 sees one array type per loop).
 */
export function windowIndex(W: ConvWindows, cin: number, c0: number, cn: number): Int32Array {
  const K = W.taps * cn;
  const idx = new Int32Array(W.outPix * K).fill(-1);
  for (let op = 0; op < W.outPix; op++) {
    const list = W.plan[op]!;
    for (let j = 0; j < list.length; j += 2) {
      const dst = op * K + list[j]! * cn;
      const src = list[j + 1]! * cin + c0;
      for (let ci = 0; ci < cn; ci++) idx[dst + ci] = src + ci;
    }
  }
  return idx;
}

/** Samples per gathered block so a patch stays near `budget` elements. */
export function blockSamples(W: ConvWindows, K: number, samples: number, budget = 1 << 20): number {
  return Math.max(1, Math.min(samples, Math.floor(budget / (W.outPix * K))));
}
