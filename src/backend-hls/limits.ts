/**
 * The HLS tool limits, checked on the LayerPlan before anything is written (the limits and
 * their sources are in src/passes/tile.ts): loops unrolled into one pipelined step beyond
 * `unrollLimit` iterations, arrays partitioned completely beyond `partitionLimit` elements
 * (weights, io_stream buffers and line buffers alike), and AXI4-Stream ports wider than 4096
 * bits (Vitis HLS). A layer whose schedule the user set explicitly is honoured with a warning
 * (designs beyond these limits are known to synthesize with Vitis HLS); a layer the compiler
 * planned that still exceeds one is refused, naming every offending layer and what to change.
 */
import { NnInputError } from '../util/tensor.js';
import type { Plan } from './plan.js';

/** Vitis HLS's maximum AXI4-Stream TDATA width (UG1399, "AXI4-Stream Interfaces"). */
export const AXIS_MAX_BITS = 4096;

export function checkLimits(p: Plan): string[] {
  const { unrollLimit: U, partitionLimit: P, io } = p.opts;
  const problems: string[] = [];
  const warnings: string[] = [];
  for (const l of p.plans) {
    const mine: string[] = [];
    if (l.unrolled > U) {
      const what = l.op === 'Dense' || l.op === 'Conv' ? 'multiplications' : 'elements';
      mine.push(`layer '${l.name}' (${l.op}): ${l.unrolled} ${what} unrolled in one step (limit ${U})`);
    }
    for (const part of l.partitioned) {
      if (part.elements > P) mine.push(`layer '${l.name}' (${l.op}): ${part.what} (${part.elements} elements) partitioned completely (limit ${P})`);
    }
    if (l.stream === 'buffered' && l.bufferedElements > P) {
      mine.push(`layer '${l.name}' (${l.op}): buffers a whole tensor of ${l.bufferedElements} elements in io stream (limit ${P})`);
    }
    if (io === 'parallel') {
      for (const s of [...l.inShapes, l.outShape]) {
        const n = s.reduce((a, d) => a * d, 1);
        // Arrays beyond the limit are partitioned by channel (plan.ts cyclicArrays) when their
        // readers take a pixel at a time; the others cannot be.
        if (n > P && !l.pixelWise) mine.push(`layer '${l.name}' (${l.op}): a tensor of ${n} elements is partitioned completely in io parallel (limit ${P}); use --io stream`);
      }
    }
    if (!mine.length) continue;
    if (l.chosenBy === 'user') warnings.push(...mine.map((m) => `${m}; kept as you set it (Vitis HLS may still synthesize it, Vivado HLS refuses)`));
    else problems.push(...mine.map((m) => `  ${m}`));
  }
  if (io === 'stream') {
    for (const x of [...p.inputs, ...p.outputs]) {
      const bits = x.pack * Number(/<(\d+)/.exec(x.ctype)?.[1] ?? 32);
      if (bits > AXIS_MAX_BITS) warnings.push(`port '${x.modelName}': ${x.pack} elements per AXI4-Stream beat is ${bits} bits, more than Vitis HLS's ${AXIS_MAX_BITS}-bit TDATA limit`);
    }
  }
  if (problems.length) {
    throw new NnInputError(`the HLS project would exceed tool limits (unroll ${U}, partition ${P}):\n${[...new Set(problems)].join('\n')}\n` +
      'set a strategy/reuse for these layers in the config ({"hls": {"layers": {...}}}) to override, or use --io stream');
  }
  return [...new Set(warnings)];
}
