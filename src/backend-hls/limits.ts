/**
 * The HLS tool limits users hit, checked before anything is written: a loop unrolled into one
 * pipelined step beyond `unrollLimit` iterations (Vivado HLS gives up unrolling), and arrays
 * partitioned completely beyond `partitionLimit` elements (refused above
 * config_array_partition -maximum_size). Every offending layer is named in one message with
 * what to change.
 */
import { numel, valueOf } from '../ir/graph.js';
import { NnInputError } from '../util/tensor.js';
import type { Plan } from './plan.js';

export function checkLimits(p: Plan): void {
  const { unrollLimit: U, partitionLimit: P, io } = p.opts;
  const problems: string[] = [];
  const layerHint = (name: string, strategy: string, reuse: number) =>
    `in the config file: {"hls": {"layers": {${JSON.stringify(name)}: {"strategy": "${strategy}", "reuse": ${reuse}}}}}`;
  for (const l of p.layers) {
    const before = problems.length;
    const native = io === 'stream' && l.stream !== undefined && l.strategy === 'latency';
    let unrolled = l.unrolled;
    if (native && l.node.op !== 'Conv') unrolled = numel(valueOf(p.g, l.out).shape.slice(-1));
    if (unrolled > U) {
      if (l.node.op === 'Dense') {
        const w = valueOf(p.g, l.node.inputs[1]!).shape;
        const need = Math.ceil((w[0]! * w[1]!) / U);
        problems.push(
          `  layer '${l.node.name}' (Dense ${w[0]}x${w[1]}): ${l.strategy} strategy unrolls ${unrolled} multiplications in one step (limit ${U}); ` +
            `use --strategy resource --reuse ${Math.max(need, l.reuse + 1)} or, for this layer only, ${layerHint(l.node.name, 'resource', Math.max(need, l.reuse + 1))}`,
        );
      } else if (l.node.op === 'Conv') {
        problems.push(`  layer '${l.node.name}' (Conv): one output pixel needs ${unrolled} multiplications unrolled (limit ${U}); split the layer into groups of output channels or reduce its channels`);
      } else {
        problems.push(`  layer '${l.node.name}' (${l.node.op}): ${unrolled} elements unrolled in one step (limit ${U}); use --io stream${io === 'stream' ? ' with smaller tensors or channels' : ''}`);
      }
    }
    for (const part of l.partitioned) {
      // An unroll problem of the same layer already says what to change.
      if (part.size > P && l.strategy !== 'resource' && problems.length === before) {
        problems.push(`  layer '${l.node.name}' (${l.node.op}): ${part.what} (${part.size} elements) would be partitioned completely (limit ${P}); use --strategy resource or a higher --reuse for it`);
      }
    }
  }
  // Arrays every io_parallel layer reads in parallel (and buffered io_stream layers alike).
  const arrays = new Map<string, string>();
  for (const l of p.layers) {
    const native = io === 'stream' && l.stream !== undefined && l.strategy === 'latency';
    if (native) continue;
    for (const v of [...l.dyn, l.out]) arrays.set(v, l.node.name);
  }
  for (const [v, layer] of arrays) {
    const n = numel(valueOf(p.g, v).shape);
    if (n > P) {
      problems.push(
        `  layer '${layer}': its tensor '${v}' has ${n} elements, more than the ${P} an array may be partitioned into; ` +
          (io === 'parallel' ? 'use --io stream' : 'this layer buffers whole tensors in io stream; reduce the tensor size'),
      );
    }
  }
  if (problems.length) {
    throw new NnInputError(`the HLS project would exceed tool limits (unroll ${U}, partition ${P}):\n${[...new Set(problems)].join('\n')}`);
  }
}
