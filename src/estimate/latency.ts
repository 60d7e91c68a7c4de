/**
 * Latency and initiation interval from the plan's schedule. Each layer's step (one reuse step of
 * a dense layer, one output pixel of a convolution, one element-wise pass) is a combinational
 * path — multiply, an adder tree over its fan-in, a table read — that the tool cuts into
 * pipeline stages of at most one clock period less the default 12.5 % clock uncertainty; slower
 * speed grades and families stretch the path (DEVICE_SPEED). Then:
 * - io_parallel, one pipelined top (every layer unrolled): latency = Σ layer latencies along the
 *   chain, II = the largest layer II (the plan's reuse);
 * - io_parallel with looped layers, and io_stream: DATAFLOW — the slowest stage sets the II and
 *   latency is the sum of each stage's first-output delay, with a streaming convolution's
 *   line-buffer fill (it reads the whole input once, one pixel per reuse step) in it, and a
 *   buffered layer's whole input (it computes only once every input pack has arrived).
 */
import type { Device } from './devices.js';
import type { LayerView } from './plan-view.js';
import type { BufferRole } from '../backend-hls/layer-plan.js';
import { scheduledSteps } from './multipliers.js';
import type { ToolProfile } from './tools.js';

/**
 * Path delays in ns on a -2 UltraScale+ part, fitted on the 19 Vivado HLS jet-tagger points (RF
 * 1..256, four parts): a constant-operand multiply, a shared multiplier's path (shorter: its
 * operands come registered from the reuse mux, whose 2:1 levels cost `mux` each), one adder level.
 */
export const DELAYS = { mul: 3.0, sharedMul: 1.6, add: 0.35, mux: 0.9, uncertainty: 0.125, perStepTree: 1 };
/** How scheduledSteps counts products: every non-trivial one, or only those left on DSPs. */

/**
 * Path-delay multipliers relative to a -2 UltraScale+ part. grade1 (-1 parts) and ultrascale
 * (Kintex UltraScale, from one xcku115 point) are fitted to csynth's cycle counts, which pad
 * slower parts more than their datasheet speed ratio; series7 has no calibration point.
 */
export const SPEED = { ultrascale: 4, series7: 1.6, grade1: 2 };

/** How much slower a path is than on a -2 UltraScale+ part, by process node and speed grade. */
export function speedFactor(dev: Device, speedGrade?: string): number {
  const g = Number.parseInt(speedGrade ?? '2', 10) || 2;
  const us = dev.family.includes('UltraScale') || dev.family === 'Alveo' || dev.family === 'Versal AI Core';
  const base = dev.family === 'Kintex UltraScale' ? SPEED.ultrascale : us ? 1.0 : SPEED.series7;
  return base * (g <= 1 ? SPEED.grade1 : g >= 3 ? 0.9 : 1.0);
}

export interface LayerTiming {
  /** Cycles from the layer's first input to its last output, for one inference. */
  readonly latency: number;
  readonly ii: number;
  /** Pipeline stages of one step (registers the tool inserts). */
  readonly stages: number;
  /**
   * A layer that reads its whole input before it computes (a buffered io-stream layer:
   * bufferedTiming): the cycles to read it at a pack a cycle (`fill`), and from its first input
   * to its first output when the input does arrive that fast (`first`, fill included).
   */
  readonly fill?: number;
  readonly first?: number;
}

const log2ceil = (n: number) => (n <= 1 ? 0 : Math.ceil(Math.log2(n)));

/** `constant`: the tool builds the layer's products on constant weights (see multipliersFor). */
export function layerTiming(l: LayerView, tool: ToolProfile, periodNs: number, speed: number, constant = l.constOperands): LayerTiming {
  if (l.stream !== 'buffered' || !l.buffers.length) return kernelTiming(l, tool, periodNs, speed, constant);
  // A buffered layer's kernel runs the plan's loop (trip count × step II); the plan's II is
  // its slowest process, the array reads and writes included.
  return bufferedTiming(l, kernelTiming({ ...l, ii: Math.max(1, l.iterations * l.stepII) }, tool, periodNs, speed, constant));
}

/**
 * A buffered io-stream layer is three DATAFLOW processes joined by the plan's arrays (LayerPlan
 * buffers, ping-pong channels): stream_to_array reads each input's packs into its array, the
 * kernel (`k`, timed from the plan's own loop) computes on the whole tensor, array_to_stream
 * writes the result's packs. A process reading a ping-pong array starts only once its writer
 * has finished with it, so the first output pack leaves after the whole input has arrived (the
 * inputs are read side by side: the most packs), the kernel has run (a process takes at least
 * a cycle) and two channel hops; the last one the result's packs later. The slowest of the
 * three processes sets the II: the plan's (LayerPlan.ii, reads and writes of the packs included).
 */
export function bufferedTiming(l: LayerView, k: LayerTiming): LayerTiming {
  const packs = (what: (b: BufferRole) => boolean) => Math.max(0, ...l.buffers.filter((b) => what(b.what)).map((b) => b.packs));
  const fill = packs((w) => w.startsWith('input '));
  const drain = packs((w) => w === 'result');
  const first = fill + Math.max(1, k.latency) + 2;
  return { latency: first + drain, ii: Math.max(k.ii, l.ii), stages: k.stages, fill, first };
}

function kernelTiming(l: LayerView, tool: ToolProfile, periodNs: number, speed: number, constant: boolean): LayerTiming {
  const usable = periodNs * (1 - DELAYS.uncertainty);
  const cut = (ns: number) => Math.floor((ns * speed) / usable);
  switch (l.kind) {
    case 'dense':
    case 'conv':
    case 'recurrent': {
      const shared = !constant;
      // With shared multipliers only the last step's products (fan-in / reuse) remain to be summed.
      const tree = DELAYS.add * log2ceil((shared && DELAYS.perStepTree ? Math.ceil(l.fanIn / l.reuse) : l.fanIn) + 1);
      const stages = cut((shared ? DELAYS.sharedMul + DELAYS.mux * log2ceil(l.reuse) : DELAYS.mul) + tree) + tool.denseStages;
      // One step (io stream: one row, whose packs arrive over the plan's step II). A loop of
      // rows (io stream's pipelined row loop) is costed as the other loops below.
      if (l.kind === 'dense' && l.strategy === 'latency' && l.iterations <= 1) {
        const steps = scheduledSteps(l, tool);
        const reads = l.stepII > l.reuse ? l.stepII : 0;
        return { latency: Math.max(shared ? steps : 0, reads) + stages, ii: Math.max(l.reuse, l.ii), stages };
      }
      // Looped: the plan's II (its trip count × step II: output pixels, rows, time steps, reuse
      // steps; for a streaming kernel at least a cycle per pack it reads or writes). A recurrence
      // (the plan's serial steps: time steps needing the previous hidden state) drains the
      // step's pipeline before the next one starts.
      const span = l.ii + l.serialSteps * stages;
      return { latency: span + stages + 1, ii: span, stages };
    }
    case 'pool': {
      const stages = cut(DELAYS.add * log2ceil(l.fanIn));
      return { latency: l.ii + stages, ii: l.ii, stages };
    }
    // Element-wise passes take the plan's II: a loop over pixels or packs (II above the step's)
    // spends it before its last result leaves, and so does one step whose products share fewer
    // multipliers than it has (Gelu folded); an unshared step is its pipeline depth.
    case 'table': {
      const stages = tool.tableStages;
      return { latency: stages + (l.ii > l.stepII ? l.ii : 0), ii: l.ii, stages };
    }
    case 'softmax': {
      const stages = 2 * tool.tableStages + 1 + cut(DELAYS.add * log2ceil(l.fanIn));
      return { latency: stages, ii: l.reuse, stages };
    }
    case 'product': {
      // One row per step: products, then a sum over the row's fan-in; the plan's loop sets the span.
      const stages = cut(DELAYS.mul + DELAYS.add * log2ceil(l.fanIn + 1));
      return { latency: l.ii + stages + 1, ii: l.ii, stages };
    }
    case 'elementwise': {
      const stages = l.multipliers > 0 ? cut(DELAYS.mul) : 0;
      const spread = l.ii > l.stepII || (l.multipliers > 0 && l.multipliers < l.unrolled);
      return { latency: stages + (spread && l.ii > 1 ? l.ii : 0), ii: l.ii, stages };
    }
    case 'move':
      // Wires when unrolled (the plan's II 1); a streaming movement kernel (select, upsample,
      // buffered relayout) takes the plan's II, one pack per cycle, and passes a pack on a cycle later.
      return l.ii > 1 ? { latency: l.ii + 1, ii: l.ii, stages: 1 } : { latency: 0, ii: 1, stages: 0 };
  }
}

export interface DesignTiming {
  readonly latency: number;
  readonly ii: number;
}

/**
 * Whole design. io_parallel with one pipelined top: the layers' latencies add up along the chain.
 * Otherwise every layer is a DATAFLOW process and they overlap: layer k starts producing once
 * the layers before it have each delivered their first output (their pipeline depth, plus the
 * line-buffer fill of a window kernel — (rows−1) rows and a window of pixels; a held input or
 * a buffered layer's whole input — as fast as its packs come, but no earlier than the layers
 * writing it have finished — and a buffered layer's kernel and hops: bufferedTiming), and the design's
 * last output comes from the layer for which that start
 * plus its own span is largest. The slowest process sets the II.
 */
export function designTiming(layers: readonly LayerView[], timings: readonly LayerTiming[], io: 'parallel' | 'stream', pipelineTop: boolean, tool: ToolProfile): DesignTiming {
  const ii = Math.max(1, ...timings.map((t) => t.ii));
  if (io === 'parallel' && pipelineTop) {
    return { latency: timings.reduce((s, t) => s + t.latency, 0) + tool.topStages, ii };
  }
  let offset = tool.topStages;
  let latency = 0;
  // When each layer's last output has passed its FIFO: no earlier than its own span allows, nor
  // than its pipeline depth after the last output of the layers writing it (the plan's edges).
  const done: number[] = [];
  const inputsDone = (l: LayerView) => Math.max(0, ...l.producers.map((p) => done[p] ?? 0));
  layers.forEach((l, i) => {
    const t = timings[i]!;
    if (t.first !== undefined) {
      // Its input is whole once its packs have arrived at one a cycle, and not before the
      // layers writing it are done.
      const whole = Math.max(offset + (t.fill ?? 0), inputsDone(l));
      const firstOut = whole + t.first - (t.fill ?? 0);
      done[i] = firstOut + t.latency - t.first + 1;
      latency = Math.max(latency, done[i]);
      offset = firstOut + 1;
      return;
    }
    // A native kernel holding an input whole (a streamed MatMul's right operand, LayerPlan
    // heldInput) reads it first: its rows start once the packs have arrived at one a cycle, and
    // not before the layers writing that input are done (as a buffered layer's input).
    const held = io === 'stream' ? (l.heldPacks ?? 0) : 0;
    const start = held ? Math.max(offset + held, Math.max(0, ...(l.heldProducers ?? []).map((p) => done[p] ?? 0))) : offset;
    latency = Math.max(latency, start + t.latency + 1);
    const depth = Math.max(0, t.latency - t.ii);
    done[i] = Math.max(start + t.latency + 1, inputsDone(l) + depth + 1);
    const lb = l.lineBuffer;
    const fill = lb ? (lb.rows - 1) * lb.cols + lb.rows : io === 'parallel' ? t.ii : 0;
    // Each hop through a FIFO or a DATAFLOW array costs a cycle.
    offset = start + depth + fill + 1;
  });
  // Vitis HLS schedules these small DATAFLOW regions without overlapping samples: II = latency.
  return { latency, ii: io === 'stream' && tool.streamIIIsLatency ? Math.max(ii, latency) : ii };
}
