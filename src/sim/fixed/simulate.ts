/**
 * The bit-accurate simulator as a plain function of (graph, inputs) → output raws (the FixedRun
 * of src/ir/semantics/tensor.ts), for the callers that inject it into code that must not import
 * the simulator (the HLS emitter's testbench expectations). One compiled FixedProgram is kept
 * per graph, so a testbench of many single-sample runs compiles the graph once.
 */
import type { Graph } from '../../ir/graph.js';
import type { FixedRun } from '../../ir/semantics/tensor.js';
import { FixedProgram } from './executor.js';

const programs = new WeakMap<Graph, FixedProgram>();

export const simulateFixed: FixedRun = (g, inputs) => {
  let p = programs.get(g);
  if (!p) programs.set(g, (p = new FixedProgram(g)));
  return p.run(inputs).map((o) => o.big ?? o.raw);
};
