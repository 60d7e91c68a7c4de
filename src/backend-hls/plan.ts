/**
 * The project plan shared by every emitted file: ports (graph inputs/outputs with their C++
 * names, types and sizes), the lowered layers, the C++ name of every run-time value, and who
 * reads each value — from which the top function derives copies for values read by several
 * processes and FIFO depths for io_stream.
 */
import { renderType } from '../ir/fixed.js';
import { type Graph, isConst, numel, valueOf } from '../ir/graph.js';
import type { Layer } from './layer.js';
import { packWidth } from './layer.js';
import type { NameTable } from './names.js';
import type { EmitOptions } from './options.js';

export interface Port {
  readonly modelName: string;
  readonly value: string;
  /** C++ port name. */
  readonly id: string;
  /** typedef name of its element type and constant name of its size (defines.h). */
  readonly typeName: string;
  readonly sizeName: string;
  readonly ctype: string;
  readonly size: number;
  /** io_stream pack width. */
  readonly pack: number;
  readonly shape: readonly number[];
}

export interface Plan {
  readonly g: Graph;
  readonly opts: EmitOptions;
  readonly inputs: readonly Port[];
  readonly outputs: readonly Port[];
  readonly layers: readonly Layer[];
  /** Base C++ name of each run-time value (arrays or streams). */
  readonly valueIds: ReadonlyMap<string, string>;
  /** Readers of each run-time value: layer index and input position; -1 marks a graph output. */
  readonly readers: ReadonlyMap<string, readonly number[]>;
  /** The top function is one pipeline (io_parallel, every layer unrolled) rather than DATAFLOW. */
  readonly pipelineTop: boolean;
  readonly names: NameTable;
}

export function makePorts(g: Graph, names: NameTable): { inputs: Port[]; outputs: Port[] } {
  const port = (io: Graph['inputs'][number], prefix: string): Port => {
    const v = valueOf(g, io.value);
    const id = names.fresh(io.modelName, prefix);
    return {
      modelName: io.modelName, value: io.value, id, typeName: names.fresh(`${id}_t`), sizeName: names.fresh(`${id}_size`), ctype: renderType(v.fixed!),
      size: numel(v.shape), pack: packWidth(g, io.value), shape: v.shape,
    };
  };
  return { inputs: g.inputs.map((io) => port(io, 'in')), outputs: g.outputs.map((io) => port(io, 'out')) };
}

export function makePlan(g: Graph, opts: EmitOptions, names: NameTable, ports: { inputs: Port[]; outputs: Port[] }, layers: Layer[]): Plan {
  const valueIds = new Map<string, string>();
  for (const p of ports.inputs) valueIds.set(p.value, p.id);
  for (const l of layers) valueIds.set(l.out, names.fresh(`${l.id}_out`));
  const readers = new Map<string, number[]>();
  layers.forEach((l, i) => {
    for (const v of l.dyn) {
      if (isConst(valueOf(g, v))) continue;
      readers.set(v, [...(readers.get(v) ?? []), i]);
    }
  });
  for (const p of ports.outputs) readers.set(p.value, [...(readers.get(p.value) ?? []), -1]);
  const pipelineTop = opts.io === 'parallel' && layers.every((l) => !l.looped);
  return { g, opts, ...ports, layers, valueIds, readers, pipelineTop, names };
}
