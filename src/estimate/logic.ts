/**
 * LUT and FF for the logic around the multipliers: adder trees and accumulators (one adder of
 * the accumulator's width per product), the reuse multiplexers feeding shared multipliers
 * (an R:1 mux per operand bit, 4:1 per LUT6), comparators (max pooling, ReLU clipping), table
 * index arithmetic, and the pipeline registers on every stage boundary. csynth's own LUT/FF
 * estimates are noisy and overshoot post-synthesis by 1.4-11× (see the calibration README); the
 * tool profile's lutScale/ffScale carry what the bench fits.
 */
import type { LayerView } from './plan-view.js';
import type { MultiplierCost } from './multipliers.js';
import type { ToolProfile } from './tools.js';

export interface LogicCost {
  readonly lut: number;
  readonly ff: number;
}

export function logicCost(l: LayerView, m: MultiplierCost, stages: number, tool: ToolProfile): LogicCost {
  let lut = m.lut;
  let ff = 0;
  const acc = l.accWidth || l.outWidth;
  const parallelOut = l.iterations > 0 ? l.outElems / l.iterations : l.outElems;
  switch (l.kind) {
    case 'dense':
    case 'conv':
    case 'recurrent': {
      const products = l.constOperands ? m.realProducts : Math.min(l.multipliers, Math.max(1, m.realProducts));
      lut += products * acc; // one adder per product into the tree/accumulator
      if (!l.constOperands && l.reuse > 1) {
        lut += l.multipliers * (l.inWidth + l.weightWidth) * Math.ceil((l.reuse - 1) / 3);
        ff += l.multipliers * acc; // accumulator registers of the shared multipliers
      }
      ff += stages * parallelOut * acc;
      break;
    }
    case 'pool':
      lut += parallelOut * (l.fanIn - 1) * acc;
      ff += parallelOut * acc;
      break;
    case 'table':
    case 'softmax':
      lut += l.outElems * (l.inWidth + 8);
      ff += stages * l.outElems * l.outWidth;
      break;
    case 'elementwise':
      lut += l.outElems * Math.max(l.outWidth, l.inWidth) * (l.multipliers > 0 ? 0 : 1);
      ff += stages * l.outElems * l.outWidth;
      break;
    case 'move':
      break;
  }
  return { lut: Math.round(lut * tool.lutScale), ff: Math.round(ff * tool.ffScale) };
}
