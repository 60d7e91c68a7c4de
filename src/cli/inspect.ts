/**
 * `nn2hls inspect`: what the compiler understood of a model — per layer name, op, output shape,
 * parameters and MACs per sample, the totals, and the inputs/outputs with their layouts —
 * as a table or as JSON.
 */
import type { Graph } from '../ir/graph.js';
import { shapeStr } from '../ir/graph.js';
import { summarize } from '../ir/summary.js';

export interface InspectReport {
  model: string;
  batched: boolean;
  inputs: { name: string; shape: (number | null)[]; layout: string }[];
  outputs: { name: string; shape: (number | null)[] }[];
  layers: { name: string; op: string; output_shape: number[]; params: number; macs: number }[];
  total_params: number;
  total_macs: number;
}

/** Says how spatial ops read an input: directly (channels-last), through a transpose (channels-first), or not at all. */
function layoutOf(g: Graph, value: string): string {
  const shape = g.values.get(value)!.shape;
  for (const n of g.nodes) {
    if (n.inputs[0] !== value) continue;
    if (n.op === 'Transpose' && n.attrs.perm[0] !== 0 && n.attrs.perm[n.attrs.perm.length - 1] === 0) {
      return 'channels-first (N,C,spatial...)';
    }
    if (['Conv', 'MaxPool', 'AvgPool', 'BatchNorm', 'GlobalAvgPool', 'ConvTranspose'].includes(n.op) && shape.length >= 2) {
      return 'channels-last (N,spatial...,C)';
    }
  }
  return shape.length <= 1 ? 'features' : 'as declared';
}

export function inspectReport(g: Graph): InspectReport {
  const s = summarize(g);
  return {
    model: g.source,
    batched: g.batched,
    inputs: g.inputs.map((io) => ({ name: io.modelName, shape: [...io.modelShape], layout: layoutOf(g, io.value) })),
    outputs: g.outputs.map((io) => ({ name: io.modelName, shape: [...io.modelShape] })),
    layers: s.layers.map((l) => ({ name: l.name, op: l.op, output_shape: l.outputShape, params: l.params, macs: l.macs })),
    total_params: s.totalParams,
    total_macs: s.totalMacs,
  };
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c >= 3 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ')).join('\n');
}

export function formatInspect(r: InspectReport): string {
  const lines: string[] = [];
  lines.push(`model: ${r.model}${r.batched ? '  (batch dim N is free: any batch size runs)' : '  (fixed shapes, no batch dim)'}`);
  for (const i of r.inputs) lines.push(`input  '${i.name}' ${shapeStr(i.shape)}  ${i.layout}`);
  for (const o of r.outputs) lines.push(`output '${o.name}' ${shapeStr(o.shape)}`);
  lines.push('');
  const rows = [['layer', 'op', 'output (per sample)', 'params', 'MACs']];
  for (const l of r.layers) rows.push([l.name, l.op, shapeStr(l.output_shape), String(l.params), String(l.macs)]);
  rows.push(['total', '', '', String(r.total_params), String(r.total_macs)]);
  lines.push(table(rows));
  return lines.join('\n');
}
