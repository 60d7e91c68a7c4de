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

/** Per-operator constants (fitted on the jet-tagger sweep, Vivado HLS 2019.2; tool scales on top). */
export const LOGIC = { treeLut: 0.7, ffPerProductStage: 6.5, muxLutPerWeightBit: 1.4 };

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
      if (m.constant) {
        // Constant products: an adder tree of the accumulator's width over the real products
        // (LUT6 carry chains absorb about a third of it); every pipeline cut registers the
        // tree's live partial sums, about LOGIC.ffPerProductStage bits per product.
        lut += m.realProducts * acc * LOGIC.treeLut;
        ff += stages * m.realProducts * LOGIC.ffPerProductStage;
      } else {
        // Shared multipliers: one adder each, plus the reuse multiplexers that select each
        // step's weights out of the (completely partitioned) weight array, and the weights
        // themselves held in registers once the tool can no longer fold them into logic.
        const weightBits = l.nonzeroWeights * l.weightWidth;
        lut += l.multipliers * acc + (l.strategy === 'latency' ? weightBits * LOGIC.muxLutPerWeightBit : 0);
        ff += (l.strategy === 'latency' ? weightBits * (1 - 1 / l.reuse) ** 2 : l.multipliers * acc) + stages * parallelOut * acc;
      }
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
    case 'product':
      // One adder of the accumulator's width per shared multiplier; a row of results registered per stage.
      lut += l.multipliers * acc;
      ff += stages * parallelOut * acc;
      break;
    case 'elementwise': {
      // One operator per element handled in a step: the whole tensor when unrolled, a pixel's
      // elements when the layer streams (io stream) or loops over pixels.
      const lanes = Math.min(l.outElems, Math.max(1, l.unrolled));
      lut += lanes * Math.max(l.outWidth, l.inWidth) * (l.multipliers > 0 ? 0 : 1);
      ff += stages * lanes * l.outWidth;
      break;
    }
    case 'move':
      break;
  }
  return { lut: Math.round(lut * tool.lutScale), ff: Math.round(ff * tool.ffScale) };
}
