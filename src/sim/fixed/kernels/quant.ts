/**
 * Bit-accurate quantizer ops. The quantize pass gave each output exactly the type the quantizer
 * implements, so QONNX Quant is one cast into it; BipolarQuant picks ±scale; QuantizeLinear
 * casts x/2^e (a relabelling of x's raw) into ap_int<8>/ap_uint<8> with round-half-even and
 * saturation; DequantizeLinear keeps the raw and relabels it onto the scale's grid.
 */
import { fracBits } from '../../../ir/fixed.js';
import { checkWidth, resultCast } from '../casts.js';
import type { FixedKernel, FixedKernelTable } from '../kernel.js';
import { broadcastIndex } from './activation.js';

const quant: FixedKernel<'Quant'> = (node, ctx) => {
  const xT = ctx.value(node.inputs[0]!).fixed!;
  const yT = ctx.value(node.outputs[0]!).fixed!;
  checkWidth(yT, `node '${node.name}' (Quant)`);
  const pc = node.prec;
  if (!pc) {
    const c = resultCast(fracBits(xT), yT, ctx.stats);
    return (ins) => [ins[0]!.map(c)];
  }
  // Per-channel powers of two: x·2^-e_c (x's raw read e_c bits finer) cast into the integer grid,
  // then placed on y's grid 2^eMin (src/ir/quantizer-types.ts); the exponents are the quantize pass's.
  const grid = pc.types.grid;
  const X = ctx.value(node.inputs[0]!);
  const S = ctx.value(node.inputs[1]!);
  const { exps, eMin } = pc.channels;
  const casts = exps.map((e) => resultCast(fracBits(xT) + e, grid, ctx.stats));
  const mult = exps.map((e) => 2 ** (e - eMin));
  const idx = broadcastIndex(X.shape, S.shape);
  const per = idx.length;
  return (ins) => {
    const x = ins[0]!;
    const y = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const k = idx[i % per]!;
      y[i] = casts[k]!(x[i]!) * mult[k]!;
    }
    return [y];
  };
};

const bipolar: FixedKernel<'BipolarQuant'> = (node, ctx) => {
  const X = ctx.value(node.inputs[0]!);
  const S = ctx.value(node.inputs[1]!);
  const idx = broadcastIndex(X.shape, S.shape);
  const raws = node.prec?.raws;
  if (!raws) throw new Error(`node '${node.name}' (BipolarQuant): no ±scale raws (run the quantize pass)`);
  // ±scale as raws of y, per scale element (derived once: src/ir/semantics/derived-raws.ts).
  const pos = Float64Array.from(idx, (i) => Number(raws.pos[i]!));
  const neg = Float64Array.from(idx, (i) => Number(raws.neg[i]!));
  const per = idx.length;
  return (ins) => {
    const x = ins[0]!;
    const y = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) y[i] = x[i]! >= 0 ? pos[i % per]! : neg[i % per]!;
    return [y];
  };
};

const quantizeLinear: FixedKernel<'QuantizeLinear'> = (node, ctx) => {
  const yT = ctx.value(node.outputs[0]!).fixed!;
  // x / 2^e as a raw: the same integer on the grid the quantize pass recorded.
  const scaled = node.prec?.types.scaled;
  if (!scaled) throw new Error(`node '${node.name}' (QuantizeLinear): no scaled type (run the quantize pass)`);
  const c = resultCast(fracBits(scaled), yT, ctx.stats);
  return (ins) => [ins[0]!.map(c)];
};

const dequantizeLinear: FixedKernel<'DequantizeLinear'> = () => (ins) => [ins[0]!.slice()];

export const quantFixedKernels: FixedKernelTable = {
  Quant: quant,
  BipolarQuant: bipolar,
  QuantizeLinear: quantizeLinear,
  DequantizeLinear: dequantizeLinear,
};
