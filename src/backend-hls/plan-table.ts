/**
 * The plan in the forms people read: a JSON record per layer (nn2hls.json), a text table
 * (`compile --dump-plan`), and one line per layer the tiling pass or the reuse validation
 * changed (printed by every `compile`). Everything here only formats LayerPlan fields.
 */
import type { LayerPlan } from './layer-plan.js';
import type { Plan } from './plan.js';

export function planJson(l: LayerPlan): object {
  return {
    kernel: l.kernel,
    strategy: l.strategy,
    reuse: l.reuse,
    reuse_requested: l.reuseRequested,
    chosen_by: l.chosenBy,
    notes: l.notes,
    ii: l.ii,
    trip_count: l.tripCount,
    step_ii: l.stepII,
    // Only for recurrences, so other projects keep their nn2hls.json.
    ...(l.serialSteps ? { serial_steps: l.serialSteps } : {}),
    macs: l.macs,
    multipliers: l.multipliers,
    const_operands: l.constOperands,
    // Only when the config binds it, so projects without a binding keep their nn2hls.json.
    ...(l.multiplier !== 'auto' ? { multiplier_binding: l.multiplier } : {}),
    unrolled: l.unrolled,
    block: l.block,
    partitioned: l.partitioned,
    stream: l.stream,
    line_buffer: l.lineBuffer,
    buffered_elements: l.bufferedElements,
    // Only for layers holding whole arrays in io stream, so other projects keep their nn2hls.json.
    ...(l.buffers.length ? { buffers: l.buffers } : {}),
    // Only for native kernels holding an input whole, so other projects keep their nn2hls.json.
    ...(l.heldInput ? { held_input: l.heldInput } : {}),
    out_fifo_depth: l.outDepth,
    out_pack: l.outPack,
    weights: l.weights,
    pipeline: l.pipeline,
  };
}

function storage(l: LayerPlan): string {
  const kinds = [...new Set(l.weights.filter((w) => w.elements > 1).map((w) => w.storage))];
  return kinds.length ? kinds.join('+') : '-';
}

/** Fixed-width text table of every layer's plan. */
export function planTable(p: Plan): string {
  const head = ['layer', 'op', 'kernel', 'strategy', 'reuse', 'II', 'trips', 'mults', 'unrolled', 'stream', 'buffer', 'lb', 'fifo', 'pack', 'weights'];
  const rows = p.plans.map((l) => [
    l.name, l.op, l.kernel.replace(/^nn2hls::/, ''), l.strategy, l.chosenBy === 'tiling' ? `${l.reuse} (tiled)` : l.chosenBy === 'fit' ? `${l.reuse} (fit)` : l.reuseRequested !== l.reuse ? `${l.reuse} (asked ${l.reuseRequested})` : String(l.reuse),
    String(l.ii), String(l.tripCount), String(l.multipliers), String(l.unrolled), l.stream ?? '-', l.heldInput ? `${l.bufferedElements} (input ${l.heldInput.input})` : String(l.bufferedElements),
    l.lineBuffer ? `${l.lineBuffer.rows}x${l.lineBuffer.width}x${l.lineBuffer.channels}` : '-', l.stream ? String(l.outDepth) : '-', String(l.outPack), storage(l),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i < 4 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ').trimEnd();
  const top = `top: ${p.pipelineTop ? `PIPELINE II=${p.topII}` : 'DATAFLOW'}, io ${p.opts.io}`;
  return [top, line(head), ...rows.map(line)].join('\n');
}

/** One line per layer whose strategy/reuse the compiler chose or corrected, then the warnings. */
export function planChanges(p: Plan): string[] {
  const out: string[] = [];
  for (const l of p.plans) {
    for (const n of l.notes) out.push(`plan: layer '${l.name}' (${l.op}): ${n}`);
  }
  for (const w of p.warnings) out.push(`warning: ${w}`);
  return out;
}
