/**
 * Float reference kernel for Resize (ONNX opset 13 semantics) in 'nearest' and 'linear' modes
 * over the value's own dims; leading run-time dims pass through. Each output coordinate is
 * mapped back to the input with the coordinate transform (half_pixel, pytorch_half_pixel,
 * align_corners, asymmetric, tf_half_pixel_for_nn) using the scale the frontend stored per dim;
 * a dim whose scale is 1 and whose size is unchanged maps straight through (as in onnxruntime),
 * without the transform.
 * Nearest then rounds per nearest_mode and clamps to the input; linear clamps the coordinate to
 * [0, len − 1] and blends the two neighbours, which is what ONNX's edge-padded reference does.
 * Both modes are separable, so the kernel resamples one dim at a time (N-linear interpolation is
 * the product of the 1-D weights), in float64, skipping dims whose size and scale are unchanged.
 */
import type { OpAttrs, ResizeCoordMode, ResizeNearestMode } from '../../ops.js';
import { type Kernel, type KernelTable, tensor } from '../tensor.js';

/**
 * Input coordinate of output index `o` along one dim, evaluated in float32 like onnxruntime and
 * ONNX's float32 scales: nearest rounding is discontinuous, and exact float64 arithmetic would
 * pick another pixel at points such as 3 / 0.6 (4.9999999 in float64, 5 in float32).
 */
export function resizeSourceCoord(mode: ResizeCoordMode, o: number, scale: number, lenOut: number, lenIn: number): number {
  const f = Math.fround;
  const s = f(scale);
  switch (mode) {
    case 'half_pixel':
      return f(f((o + 0.5) / s) - 0.5);
    case 'pytorch_half_pixel':
      return lenOut > 1 ? f(f((o + 0.5) / s) - 0.5) : 0;
    case 'align_corners':
      return lenOut === 1 ? 0 : f((o * (lenIn - 1)) / (lenOut - 1));
    case 'asymmetric':
      return f(o / s);
    case 'tf_half_pixel_for_nn':
      return f((o + 0.5) / s);
  }
}

/** Nearest input index for coordinate x: round per mode, then clamp into the input. */
export function resizeNearestIndex(mode: ResizeNearestMode, x: number, lenIn: number): number {
  let i: number;
  const fl = Math.floor(x);
  switch (mode) {
    case 'floor':
      i = fl;
      break;
    case 'ceil':
      i = Math.ceil(x);
      break;
    case 'round_prefer_floor':
      i = x - fl === 0.5 ? fl : Math.round(x);
      break;
    case 'round_prefer_ceil':
      i = x - fl === 0.5 ? fl + 1 : Math.round(x);
      break;
  }
  return Math.min(Math.max(i, 0), lenIn - 1);
}

/** Per output index of one dim: the two source indices and their weights (w1 = 0 for nearest). */
interface Taps {
  readonly i0: Int32Array;
  readonly i1: Int32Array;
  readonly w1: Float64Array;
}

function taps(a: OpAttrs['Resize'], d: number, lenIn: number, lenOut: number): Taps {
  const i0 = new Int32Array(lenOut);
  const i1 = new Int32Array(lenOut);
  const w1 = new Float64Array(lenOut);
  for (let o = 0; o < lenOut; o++) {
    const x = resizeSourceCoord(a.coordMode, o, a.scales[d]!, lenOut, lenIn);
    if (a.mode === 'nearest') {
      i0[o] = i1[o] = resizeNearestIndex(a.nearestMode, x, lenIn);
      continue;
    }
    const xc = Math.min(Math.max(x, 0), lenIn - 1);
    const lo = Math.floor(xc);
    i0[o] = lo;
    i1[o] = Math.min(lo + 1, lenIn - 1);
    w1[o] = xc - lo;
  }
  return { i0, i1, w1 };
}

const resize: Kernel<'Resize'> = (node, ins, outShapes) => {
  const x = ins[0]!;
  const a = node.attrs;
  const outShape = outShapes[0]!;
  const r = a.scales.length;
  const lead = x.shape.length - r;
  let shape = [...x.shape];
  let cur: Float64Array | Float32Array = x.data;
  for (let d = 0; d < r; d++) {
    const ax = lead + d;
    const lenIn = x.shape[ax]!;
    const lenOut = outShape[ax]!;
    if (lenIn === lenOut && a.scales[d] === 1) continue;
    const { i0, i1, w1 } = taps(a, d, lenIn, lenOut);
    let outer = 1;
    for (let k = 0; k < ax; k++) outer *= shape[k]!;
    let inner = 1;
    for (let k = ax + 1; k < shape.length; k++) inner *= shape[k]!;
    const next = new Float64Array(outer * lenOut * inner);
    for (let p = 0; p < outer; p++) {
      const src = p * lenIn * inner;
      const dst = p * lenOut * inner;
      for (let o = 0; o < lenOut; o++) {
        const s0 = src + i0[o]! * inner;
        const s1 = src + i1[o]! * inner;
        const wb = w1[o]!;
        const wa = 1 - wb;
        const row = dst + o * inner;
        if (wb === 0) for (let q = 0; q < inner; q++) next[row + q] = cur[s0 + q]!;
        else for (let q = 0; q < inner; q++) next[row + q] = wa * cur[s0 + q]! + wb * cur[s1 + q]!;
      }
    }
    cur = next;
    shape = [...shape.slice(0, ax), lenOut, ...shape.slice(ax + 1)];
  }
  return [tensor(outShape, cur instanceof Float32Array ? cur.slice() : Float32Array.from(cur))];
};

export const resizeKernels: KernelTable = { Resize: resize };
