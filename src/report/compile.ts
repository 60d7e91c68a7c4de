/**
 * `compile --report`: the design page (design.ts) for a compiled project — the testbench inputs
 * (the user's --input, else the seeded random samples compile generated) simulated float vs
 * fixed on the project's quantized graph, joined with the estimate of the very plan compile
 * emitted (so the per-layer hardware columns are the project's, not a re-plan).
 */
import type { Plan } from '../backend-hls/plan.js';
import { resolvePart } from '../estimate/devices.js';
import { type Estimate, estimate } from '../estimate/index.js';
import { viewOfPlan } from '../estimate/plan-view.js';
import type { Graph } from '../ir/graph.js';
import { canonicalize } from '../passes/pipeline.js';
import { simulate } from '../sim/compare.js';
import type { RtTensor } from '../ir/semantics/tensor.js';
import { designReportHtml } from './design.js';
import { writeReportFile } from './index.js';

export interface CompileReportInput {
  model: string;
  /** The model as imported, and the quantized graph the project was emitted from. */
  graph: Graph;
  qg: Graph;
  plan: Plan;
  /** The testbench inputs (one batched run). */
  inputs: readonly RtTensor[];
  precision: string;
}

export async function designCompileReport(path: string, inp: CompileReportInput): Promise<void> {
  const qg = inp.qg;
  const cg = canonicalize(inp.graph);
  const report = simulate(cg, qg, inp.inputs).report;
  let est: Estimate | { skipped: string };
  try {
    est = estimate(viewOfPlan(inp.plan), { part: resolvePart(inp.plan.opts.part), clockNs: inp.plan.opts.clockNs });
  } catch {
    est = { skipped: `no estimate: part '${inp.plan.opts.part}' is not in the estimator's device database (nn2hls parts)` };
  }
  const html = await designReportHtml({ model: inp.model, qg, report, precision: inp.precision, estimate: est, title: 'compile', profile: { cg, inputs: inp.inputs } });
  writeReportFile(path, html);
}
