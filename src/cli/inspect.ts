/**
 * `nn2hls inspect`: what the compiler understood of a model — per layer name, op, output shape,
 * parameters and MACs per sample, the totals, and the inputs/outputs with their layouts —
 * as a table or as JSON. The layers are those left after canonicalization (bias adds and batch
 * norms fused into the layer before them), because those are the names the config's `layers`
 * and `hls.layers` sections accept; what was fused into what is listed after the table.
 */
import type { Graph } from '../ir/graph.js';
import { shapeStr } from '../ir/graph.js';
import { floatOnlyReason, hasTrait } from '../ir/ops.js';
import { summarize } from '../ir/summary.js';
import { canonicalize } from '../passes/pipeline.js';

export interface InspectReport {
  model: string;
  batched: boolean;
  inputs: { name: string; shape: (number | null)[]; layout: string }[];
  outputs: { name: string; shape: (number | null)[] }[];
  /** `deploy`: 'fixed-point' when simulate/compile can take the op, else 'float-only' (the op registry's trait). */
  layers: { name: string; op: string; output_shape: number[]; params: number; macs: number; deploy: 'fixed-point' | 'float-only' }[];
  total_params: number;
  total_macs: number;
  /** Imported layers a canonicalization pass merged into another one (the config names `into`). */
  fused: { name: string; op: string; into: string | null }[];
}

/** Says how spatial ops read an input: directly (channels-last), through a transpose (channels-first), or not at all. */
function layoutOf(g: Graph, value: string): string {
  const shape = g.values.get(value)!.shape;
  for (const n of g.nodes) {
    if (n.inputs[0] !== value) continue;
    if (n.op === 'Transpose' && n.attrs.perm[0] !== 0 && n.attrs.perm[n.attrs.perm.length - 1] === 0) {
      return 'channels-first (N,C,spatial...)';
    }
    if (hasTrait(n.op, 'channelsLast') && shape.length >= 2) {
      return 'channels-last (N,spatial...,C)';
    }
  }
  return shape.length <= 1 ? 'features' : 'as declared';
}

/** Nodes of the imported graph that canonicalization removed, and the layer that took over their output. */
export function fusedLayers(g: Graph, cg: Graph): InspectReport['fused'] {
  const kept = new Set(cg.nodes.map((n) => n.name));
  const byOutput = new Map<string, string>();
  for (const n of cg.nodes) for (const o of n.outputs) if (o) byOutput.set(o, n.name);
  return g.nodes
    .filter((n) => !kept.has(n.name))
    .map((n) => ({ name: n.name, op: n.op, into: n.outputs.map((o) => byOutput.get(o)).find((x) => x !== undefined) ?? null }));
}

export function inspectReport(g0: Graph): InspectReport {
  const g = canonicalize(g0);
  const s = summarize(g);
  const nodeOf = new Map(g.nodes.map((n) => [n.name, n]));
  return {
    model: g.source,
    batched: g.batched,
    inputs: g.inputs.map((io) => ({ name: io.modelName, shape: [...io.modelShape], layout: layoutOf(g, io.value) })),
    outputs: g.outputs.map((io) => ({ name: io.modelName, shape: [...io.modelShape] })),
    layers: s.layers.map((l) => ({
      name: l.name,
      op: l.op,
      output_shape: l.outputShape,
      params: l.params,
      macs: l.macs,
      deploy: nodeOf.has(l.name) && floatOnlyReason(nodeOf.get(l.name)!) ? ('float-only' as const) : ('fixed-point' as const),
    })),
    total_params: s.totalParams,
    total_macs: s.totalMacs,
    fused: fusedLayers(g0, g),
  };
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c >= 3 && c <= 4 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd()).join('\n');
}

export function formatInspect(r: InspectReport): string {
  const lines: string[] = [];
  lines.push(`model: ${r.model}${r.batched ? '  (batch dim N is free: any batch size runs)' : '  (fixed shapes, no batch dim)'}`);
  for (const i of r.inputs) lines.push(`input  '${i.name}' ${shapeStr(i.shape)}  ${i.layout}`);
  for (const o of r.outputs) lines.push(`output '${o.name}' ${shapeStr(o.shape)}`);
  lines.push('');
  const rows = [['layer', 'op', 'output (per sample)', 'params', 'MACs', 'deploy']];
  for (const l of r.layers) rows.push([l.name, l.op, shapeStr(l.output_shape), String(l.params), String(l.macs), l.deploy]);
  rows.push(['total', '', '', String(r.total_params), String(r.total_macs), '']);
  lines.push(table(rows));
  lines.push('', 'layer names above are the ones the config accepts (layers, hls.layers)');
  const floatOnly = [...new Set(r.layers.filter((l) => l.deploy === 'float-only').map((l) => l.op))];
  if (floatOnly.length) {
    lines.push(`float-only ops (\`run\` works; \`simulate\`/\`compile\` refuse them): ${floatOnly.join(', ')}`);
  }
  if (r.fused.length) {
    lines.push('fused by nn2hls (configure them through the layer they went into):');
    for (const f of r.fused) lines.push(`  ${f.name} (${f.op}) -> ${f.into === null ? 'removed' : f.into}`);
  }
  return lines.join('\n');
}
