/**
 * Float reference kernels for quantization ops: ONNX QuantizeLinear / DequantizeLinear (per
 * tensor or per axis) and QONNX Quant / BipolarQuant (scale and zero point broadcast to x).
 * Values stay float32; quantized integers are held exactly.
 */
import type { RtTensor } from '../tensor.js';
import { type Kernel, type KernelTable, tensor } from '../tensor.js';
import { broadcastApply } from './elementwise.js';

/** Round half to even, as ONNX and numpy do. */
export function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Index into a per-axis parameter for flat element i of a tensor with `shape`. */
function axisIndexer(shape: readonly number[], axis: number, param: RtTensor | undefined): (i: number) => number {
  if (!param || param.data.length === 1) return () => 0;
  const ax = shape.length + axis;
  let inner = 1;
  for (let d = ax + 1; d < shape.length; d++) inner *= shape[d]!;
  const len = shape[ax]!;
  return (i) => Math.floor(i / inner) % len;
}

const quantizeLinear: Kernel<'QuantizeLinear'> = (node, ins) => {
  const [x, scale, zp] = ins;
  const at = axisIndexer(x!.shape, node.attrs.axis, scale);
  const [lo, hi] = node.attrs.elem === 'int8' ? [-128, 127] : [0, 255];
  const out = new Float32Array(x!.data.length);
  for (let i = 0; i < out.length; i++) {
    const k = at(i);
    const q = roundHalfEven(x!.data[i]! / scale!.data[k]!) + (zp ? zp.data[k]! : 0);
    out[i] = Math.min(hi, Math.max(lo, q));
  }
  return [tensor(x!.shape, out)];
};

const dequantizeLinear: Kernel<'DequantizeLinear'> = (node, ins) => {
  const [x, scale, zp] = ins;
  const at = axisIndexer(x!.shape, node.attrs.axis, scale);
  const out = new Float32Array(x!.data.length);
  for (let i = 0; i < out.length; i++) {
    const k = at(i);
    out[i] = (x!.data[i]! - (zp ? zp.data[k]! : 0)) * scale!.data[k]!;
  }
  return [tensor(x!.shape, out)];
};

const ROUNDING: Record<string, (v: number) => number> = {
  ROUND: roundHalfEven,
  HALF_EVEN: roundHalfEven,
  CEIL: Math.ceil,
  FLOOR: Math.floor,
  ROUND_TO_ZERO: Math.trunc,
  HALF_UP: (v) => Math.sign(v) * Math.floor(Math.abs(v) + 0.5),
  HALF_DOWN: (v) => Math.sign(v) * Math.ceil(Math.abs(v) - 0.5),
};

export function quantRange(bits: number, signed: boolean, narrow: boolean): [number, number] {
  if (signed) return [-(2 ** (bits - 1)) + (narrow ? 1 : 0), 2 ** (bits - 1) - 1];
  return [0, 2 ** bits - 1 - (narrow ? 1 : 0)];
}

const quant: Kernel<'Quant'> = (node, ins, outShapes) => {
  const [x, scale, zp, bw] = ins as [RtTensor, RtTensor, RtTensor, RtTensor];
  const round = ROUNDING[node.attrs.rounding.toUpperCase()];
  if (!round) throw new Error(`Quant: unknown rounding_mode '${node.attrs.rounding}'`);
  const [lo, hi] = quantRange(bw.data[0]!, node.attrs.signed, node.attrs.narrow);
  const shape = outShapes[0]!;
  // Broadcast scale and zero point to x's shape first, then quantize element by element.
  const s = broadcastApply(x, scale, shape, (_a, b) => b);
  const z = broadcastApply(x, zp, shape, (_a, b) => b);
  const out = new Float32Array(s.data.length);
  for (let i = 0; i < out.length; i++) {
    const q = Math.min(hi, Math.max(lo, round(x.data[i]! / s.data[i]! + z.data[i]!)));
    out[i] = (q - z.data[i]!) * s.data[i]!;
  }
  return [tensor(shape, out)];
};

const bipolarQuant: Kernel<'BipolarQuant'> = (_node, ins, outShapes) => [
  broadcastApply(ins[0]!, ins[1]!, outShapes[0]!, (v, s) => (v >= 0 ? s : -s)),
];

export const quantKernels: KernelTable = {
  QuantizeLinear: quantizeLinear,
  DequantizeLinear: dequantizeLinear,
  Quant: quant,
  BipolarQuant: bipolarQuant,
};
