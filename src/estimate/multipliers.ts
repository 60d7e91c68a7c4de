/**
 * Multipliers: how many DSP slices and how many LUT-built multipliers a layer's products need.
 * The plan fixes how many multipliers exist (mult_limit = ceil(products / reuse)); this model
 * decides what each is built from, by operand width, the tool and the device's DSP shape:
 * - reuse 1, latency strategy: every product has a constant weight operand. Zero weights vanish
 *   (pruned weights cost nothing), ±2^k weights become shifts, and weights with
 *   |raw| < 2^constLutBits (the tool profile) become LUT adders; the rest take one DSP each,
 *   or several when the other operand is wider than the DSP's multiplier port.
 * - reuse > 1 or resource strategy: the weight is a run-time operand (multiplexed from the
 *   weight array), so ceil(non-zero products / reuse) shared multipliers, each a DSP when both
 *   operands are at least varDspMinWidth bits wide, else LUTs. A tool that keepsConstantDesign
 *   (Vitis HLS 2023+) keeps the constant-propagated design when that needs fewer DSPs.
 * A layer's multiplier binding (LayerPlan.multiplier, config hls.multiplier) overrides the width
 * rules for its real products: 'fabric' builds every one in LUTs (no DSP), 'dsp' puts every one
 * on DSPs; zero weights and shifts stay free either way (they are not `mul` operations).
 */
import type { DspShape } from './devices.js';
import type { LayerView } from './plan-view.js';
import type { ToolProfile } from './tools.js';

export interface MultiplierCost {
  readonly dsp: number;
  /** Multipliers (or constant-coefficient adder chains) built in LUTs. */
  readonly lutMults: number;
  /** Their LUT cost. */
  readonly lut: number;
  /** Products that are real `mul` operations in the schedule (not zero, not a shift). */
  readonly realProducts: number;
  /** The products are built on constant weights (reuse 1, or a tool that keeps that design). */
  readonly constant: boolean;
}

/** Bits of |raw| and the number of non-zero digits of its canonical signed-digit form. */
export function constShape(raw: number): { bits: number; csd: number } {
  let v = Math.abs(Math.trunc(raw));
  const bits = v === 0 ? 0 : Math.floor(Math.log2(v)) + 1;
  let csd = 0;
  while (v > 0) {
    if (v % 2 === 1) {
      csd++;
      v = v % 4 === 3 ? v + 1 : v - 1;
    }
    v = Math.floor(v / 2);
  }
  return { bits, csd };
}

/** DSP slices for one a×b product on this DSP shape (operands wider than the ports cascade). */
export function dspsPerProduct(wa: number, wb: number, dsp: DspShape): number {
  const [hi, lo] = wa >= wb ? [wa, wb] : [wb, wa];
  return Math.ceil(hi / dsp.a) * Math.ceil(lo / dsp.b);
}

/** LUTs of a product with a constant: one adder of the input's width per extra signed digit. */
const constMultLut = (inWidth: number, csd: number) => Math.max(0, csd - 1) * (inWidth + 1);
/** LUTs of a run-time a×b product built in fabric (FINN's 1.1·a·b). */
const varMultLut = (wa: number, wb: number) => Math.ceil(1.1 * wa * wb);

function constantDesign(l: LayerView, dsp: DspShape, tool: ToolProfile, weights: Float64Array): MultiplierCost {
  let dsps = 0;
  let lutMults = 0;
  let lut = 0;
  let real = 0;
  const limit = 2 ** tool.constLutBits;
  for (const r of weights) {
    if (r === 0) continue;
    const { bits, csd } = constShape(r);
    if (csd <= 1) continue;
    real++;
    const toLut = l.multiplier === 'auto' ? Math.abs(r) < limit || l.inWidth < tool.varDspMinWidth : l.multiplier === 'fabric';
    if (toLut) {
      lutMults++;
      lut += constMultLut(l.inWidth, csd);
    } else {
      dsps += dspsPerProduct(l.inWidth, bits + 1, dsp);
    }
  }
  return { dsp: dsps, lutMults, lut, realProducts: real, constant: true };
}

export function multiplierCost(l: LayerView, dsp: DspShape, tool: ToolProfile): MultiplierCost {
  if (l.kind === 'softmax') {
    // Normalisation: each term's exp is multiplied by the row's inverse sum, all terms of a step
    // in parallel: the plan's multipliers (one per term).
    const n = l.multipliers;
    const wide = l.multBits >= tool.varDspMinWidth;
    return { dsp: wide ? n * dspsPerProduct(l.multBits, l.multBits, dsp) : 0, lutMults: wide ? 0 : n, lut: wide ? 0 : n * varMultLut(l.multBits, l.multBits), realProducts: n, constant: false };
  }
  if (l.multipliers === 0) return { dsp: 0, lutMults: 0, lut: 0, realProducts: 0, constant: false };
  if (l.constOperands && l.weightRaws) return constantDesign(l, dsp, tool, l.weightRaws);
  if (l.kind === 'elementwise' || l.kind === 'product') {
    const wide = l.inWidth >= tool.varDspMinWidth;
    return { dsp: wide ? l.multipliers * dspsPerProduct(l.inWidth, l.inWidth, dsp) : 0, lutMults: wide ? 0 : l.multipliers, lut: wide ? 0 : l.multipliers * varMultLut(l.inWidth, l.inWidth), realProducts: l.macs, constant: false };
  }
  // Shared multipliers: only non-zero products are scheduled on them.
  const perStep = Math.ceil((l.nonzeroWeights / Math.max(1, l.weightCount)) * l.multipliers);
  const shared = Math.max(l.nonzeroWeights > 0 ? 1 : 0, Math.min(l.multipliers, perStep));
  const wide = l.multiplier === 'auto' ? Math.min(l.inWidth, l.weightWidth) >= tool.varDspMinWidth : l.multiplier === 'dsp';
  const cost: MultiplierCost = wide
    ? { dsp: shared * dspsPerProduct(l.inWidth, l.weightWidth, dsp), lutMults: 0, lut: 0, realProducts: l.nonzeroWeights, constant: false }
    : { dsp: 0, lutMults: shared, lut: shared * varMultLut(l.inWidth, l.weightWidth), realProducts: l.nonzeroWeights, constant: false };
  return cost;
}

/**
 * With reuse > 1 the tool still sees constant weights (the array is a constant), so products that
 * fold to nothing or a shift do not occupy a shared multiplier: the schedule needs
 * ceil(real products / multipliers) steps, which can be fewer than the reuse factor.
 */
/** Tunable: 0 counts every non-trivial product as a shared `mul`; 1 only those bound to DSPs. */
export const STEP_MODE = { lutFactor: 0 };

export function scheduledSteps(l: LayerView, tool: ToolProfile): number {
  if (l.multipliers === 0 || l.strategy === 'resource' || l.kind !== 'dense') return l.reuse;
  const w = l.weightRaws;
  if (!w) return l.reuse;
  const limit = 2 ** tool.constLutBits;
  let real = 0;
  for (const r of w) if (r !== 0 && constShape(r).csd > 1 && Math.abs(r) >= limit * STEP_MODE.lutFactor) real++;
  return Math.min(l.reuse, Math.max(1, Math.ceil(real / l.multipliers)));
}

/**
 * The full design under this tool: shared multipliers, or the constant design when the tool keeps
 * it (Vitis HLS 2023+: fewer DSPs, and its latency). Other tools keep the shared schedule, but
 * sharing never binds more DSPs than the constant design has real products for, so the DSP count
 * never grows with the reuse factor.
 */
export function multipliersFor(l: LayerView, dsp: DspShape, tool: ToolProfile): MultiplierCost {
  const shared = multiplierCost(l, dsp, tool);
  if (!l.constOperands && l.weightRaws && l.strategy === 'latency' && l.multiplier !== 'fabric') {
    const c = constantDesign(l, dsp, tool, l.weightRaws);
    if (c.dsp < shared.dsp) return tool.keepsConstantDesign ? c : { ...shared, dsp: c.dsp };
  }
  return shared;
}
