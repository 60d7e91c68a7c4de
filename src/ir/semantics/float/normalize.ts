/**
 * Float reference kernels for ops that normalize along an axis: batch normalization (inference
 * and training mode) over the last, channel, axis, and (log-)softmax along one axis or, for the
 * pre-opset-13 ONNX form, over every dim from the axis to the end.
 */
import { type Kernel, type KernelTable, tensor } from '../tensor.js';

const batchNorm: Kernel<'BatchNorm'> = (node, ins) => {
  const [x, scale, bias, mean, variance] = ins as [any, any, any, any, any];
  const C = x.shape[x.shape.length - 1];
  const a = new Float64Array(C);
  const b = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    a[c] = scale.data[c] / Math.sqrt(variance.data[c] + node.attrs.epsilon);
    b[c] = bias.data[c] - mean.data[c] * a[c]!;
  }
  const out = new Float32Array(x.data.length);
  for (let i = 0; i < out.length; i++) {
    const c = i % C;
    out[i] = x.data[i] * a[c]! + b[c]!;
  }
  return [tensor(x.shape, out)];
};

const affine: Kernel<'Affine'> = (_node, ins) => {
  const x = ins[0]!;
  const scale = ins[1]!.data;
  const bias = ins[2]!.data;
  const C = scale.length;
  const out = new Float32Array(x.data.length);
  for (let i = 0; i < out.length; i++) out[i] = x.data[i]! * scale[i % C]! + bias[i % C]!;
  return [tensor(x.shape, out)];
};

const batchNormTraining: Kernel<'BatchNormTraining'> = (node, ins, outShapes) => {
  const [x, scale, bias, mean, variance] = ins as [any, any, any, any, any];
  const C: number = x.shape[x.shape.length - 1];
  const n = x.data.length / C;
  const mu = new Float64Array(C);
  const v = new Float64Array(C);
  for (let i = 0; i < x.data.length; i++) mu[i % C]! += x.data[i];
  for (let c = 0; c < C; c++) mu[c]! /= n;
  for (let i = 0; i < x.data.length; i++) {
    const d = x.data[i] - mu[i % C]!;
    v[i % C]! += d * d;
  }
  for (let c = 0; c < C; c++) v[c]! /= n;
  const out = new Float32Array(x.data.length);
  for (let i = 0; i < out.length; i++) {
    const c = i % C;
    out[i] = ((x.data[i] - mu[c]!) / Math.sqrt(v[c]! + node.attrs.epsilon)) * scale.data[c] + bias.data[c];
  }
  const m = node.attrs.momentum;
  const runMean = new Float32Array(C);
  const runVar = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    runMean[c] = mean.data[c] * m + mu[c]! * (1 - m);
    runVar[c] = variance.data[c] * m + v[c]! * (1 - m);
  }
  return [tensor(x.shape, out), tensor([C], runMean), tensor([C], runVar)].slice(0, outShapes.length);
};

/** Softmax family: normalizes groups of `len` elements spaced `inner` apart. */
function softmaxLike(log: boolean): Kernel<'Softmax' | 'LogSoftmax'> {
  return (node, ins) => {
    const x = ins[0]!;
    const r = x.shape.length;
    const ax = r + node.attrs.axis;
    let len = 1;
    let inner = 1;
    if (node.attrs.toEnd) {
      for (let d = ax; d < r; d++) len *= x.shape[d]!;
    } else {
      len = x.shape[ax]!;
      for (let d = ax + 1; d < r; d++) inner *= x.shape[d]!;
    }
    const outer = x.data.length / (len * inner);
    const out = new Float32Array(x.data.length);
    // Each exp is computed once (the float simulator runs this per chunk of samples).
    const e = new Float64Array(len);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < inner; j++) {
        const base = o * len * inner + j;
        let mx = -Infinity;
        for (let k = 0; k < len; k++) mx = Math.max(mx, x.data[base + k * inner]!);
        let sum = 0;
        for (let k = 0; k < len; k++) sum += e[k] = Math.exp(x.data[base + k * inner]! - mx);
        if (log) {
          const ls = Math.log(sum);
          for (let k = 0; k < len; k++) out[base + k * inner] = x.data[base + k * inner]! - mx - ls;
        } else for (let k = 0; k < len; k++) out[base + k * inner] = e[k]! / sum;
      }
    }
    return [tensor(x.shape, out)];
  };
}

/** Layer normalization over the dims from `axis` to the end, in float64 per row. */
const layerNorm: Kernel<'LayerNorm'> = (node, ins) => {
  const x = ins[0]!;
  const scale = ins[1]!;
  const bias = ins[2];
  const n = x.shape.slice(x.shape.length + node.attrs.axis).reduce((p, d) => p * d, 1);
  const out = new Float32Array(x.data.length);
  for (let o = 0; o < x.data.length; o += n) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += x.data[o + i]!;
    mean /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (x.data[o + i]! - mean) ** 2;
    const r = 1 / Math.sqrt(v / n + node.attrs.epsilon);
    for (let i = 0; i < n; i++) out[o + i] = (x.data[o + i]! - mean) * r * scale.data[i]! + (bias ? bias.data[i]! : 0);
  }
  return [tensor(x.shape, out)];
};

export const normalizeKernels: KernelTable = {
  LayerNorm: layerNorm,
  BatchNorm: batchNorm,
  Affine: affine,
  BatchNormTraining: batchNormTraining,
  Softmax: softmaxLike(false),
  LogSoftmax: softmaxLike(true),
};
