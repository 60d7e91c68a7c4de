/**
 * Float reference kernels for channels-last pooling: MaxPool and AvgPool over N-d windows with
 * strides, dilations, asymmetric pads and ceil mode, and the global mean/max over all spatial
 * dims. Padding never wins a max. For AvgPool the divisor is the number of window taps inside
 * the input (count_include_pad = 0) or inside the padded input (count_include_pad = 1) —
 * in ceil mode a window that hangs past the end padding counts only up to the padded edge,
 * matching onnxruntime and PyTorch.
 */
import type { PoolAttrs } from '../../ops.js';
import { type Kernel, type KernelTable, tensor } from '../tensor.js';
import { poolWindowPlan } from '../window.js';

function windowPool(mode: 'max' | 'avg'): Kernel<'MaxPool' | 'AvgPool'> {
  return (node, ins, outShapes) => {
    const a: PoolAttrs = node.attrs;
    const includePad = node.op === 'AvgPool' && node.attrs.countIncludePad;
    const x = ins[0]!;
    const s = a.kernel.length;
    const r = x.shape.length;
    const inSp = x.shape.slice(r - s - 1, r - 1);
    const outShape = outShapes[0]!;
    const outSp = outShape.slice(r - s - 1, r - 1);
    const C = x.shape[r - 1]!;
    const samples = x.shape.slice(0, r - s - 1).reduce((p, d) => p * d, 1);
    const inPix = inSp.reduce((p, d) => p * d, 1);
    const outPix = outSp.reduce((p, d) => p * d, 1);
    const { taps, counts } = poolWindowPlan(inSp, outSp, a, includePad);
    const out = tensor(outShape);
    const maxFast: boolean = mode === 'max';
    if (maxFast) {
      // Per channel the same max as below (from -Infinity, NaN never wins), without the
      // accumulator array: the common case, written out.
      const d = x.data;
      const o = out.data;
      const offs = taps.map((l) => l.map((v) => v * C));
      for (let n = 0; n < samples; n++) {
        const xb = n * inPix * C;
        for (let op = 0; op < outPix; op++) {
          const list = offs[op]!;
          const L = list.length;
          const ob = (n * outPix + op) * C;
          for (let c = 0; c < C; c++) {
            let m = -Infinity;
            for (let j = 0; j < L; j++) {
              const v = d[xb + list[j]! + c]!;
              if (v > m) m = v;
            }
            o[ob + c] = m;
          }
        }
      }
      return [out];
    }
    const acc = new Float64Array(C);
    for (let n = 0; n < samples; n++) {
      for (let op = 0; op < outPix; op++) {
        acc.fill(mode === 'max' ? -Infinity : 0);
        const list = taps[op]!;
        for (let j = 0; j < list.length; j++) {
          const base = (n * inPix + list[j]!) * C;
          if (mode === 'max') {
            for (let c = 0; c < C; c++) {
              const v = x.data[base + c]!;
              if (v > acc[c]!) acc[c] = v;
            }
          } else {
            for (let c = 0; c < C; c++) acc[c]! += x.data[base + c]!;
          }
        }
        const ob = (n * outPix + op) * C;
        if (mode === 'max') out.data.set(acc, ob);
        else {
          const div = counts[op]!;
          for (let c = 0; c < C; c++) out.data[ob + c] = div > 0 ? acc[c]! / div : 0;
        }
      }
    }
    return [out];
  };
}

function globalPool(mode: 'max' | 'avg'): Kernel<'GlobalAvgPool' | 'GlobalMaxPool'> {
  return (node, ins, outShapes) => {
    const x = ins[0]!;
    const s = node.attrs.spatialRank;
    const r = x.shape.length;
    const C = x.shape[r - 1]!;
    const pix = x.shape.slice(r - s - 1, r - 1).reduce((p, d) => p * d, 1);
    const samples = x.data.length / (pix * C);
    const out = tensor(outShapes[0]!);
    const acc = new Float64Array(C);
    for (let n = 0; n < samples; n++) {
      acc.fill(mode === 'max' ? -Infinity : 0);
      for (let p = 0; p < pix; p++) {
        const base = (n * pix + p) * C;
        for (let c = 0; c < C; c++) {
          const v = x.data[base + c]!;
          if (mode === 'max') {
            if (v > acc[c]!) acc[c] = v;
          } else acc[c]! += v;
        }
      }
      for (let c = 0; c < C; c++) out.data[n * C + c] = mode === 'max' ? acc[c]! : acc[c]! / pix;
    }
    return [out];
  };
}

export const poolKernels: KernelTable = {
  MaxPool: windowPool('max'),
  AvgPool: windowPool('avg'),
  GlobalAvgPool: globalPool('avg'),
  GlobalMaxPool: globalPool('max'),
};
