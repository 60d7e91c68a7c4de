/**
 * Per-layer summary of an IR graph: output shape, parameter count and multiply-accumulates
 * per sample for every node, plus totals. Used by `nn2hls inspect` and, later, by reports
 * and the estimator; the MAC formulas are the ones the hardware actually performs.
 */
import { type Graph, isConst, type Node, numel, valueOf } from './graph.js';

export interface LayerSummary {
  name: string;
  op: string;
  outputShape: number[];
  params: number;
  macs: number;
}

export interface GraphSummary {
  layers: LayerSummary[];
  totalParams: number;
  totalMacs: number;
}

function macsOf(g: Graph, n: Node): number {
  const shape = (name: string) => valueOf(g, name).shape;
  const out = shape(n.outputs[0]!);
  switch (n.op) {
    case 'Dense': {
      const w = shape(n.inputs[1]!);
      return (numel(out) / w[1]!) * w[0]! * w[1]!;
    }
    case 'Conv': {
      const w = shape(n.inputs[1]!);
      // Every output element reads kernel × Cin/group inputs.
      return numel(out) * numel(w.slice(0, -1));
    }
    case 'ConvTranspose': {
      const w = shape(n.inputs[1]!);
      return numel(shape(n.inputs[0]!)) * numel(w.slice(0, -2)) * w[w.length - 1]!;
    }
    case 'MatMul': {
      const a = shape(n.inputs[0]!);
      return numel(out) * a[a.length - 1]!;
    }
    case 'LSTM':
    case 'GRU':
    case 'RNN': {
      const x = shape(n.inputs[0]!);
      const w = shape(n.inputs[1]!);
      const r = shape(n.inputs[2]!);
      const steps = numel(x.slice(0, -1));
      return steps * (numel(w) + numel(r));
    }
    default:
      return 0;
  }
}

export function summarize(g: Graph): GraphSummary {
  const layers = g.nodes.map((n) => {
    const params = n.inputs.reduce((s, i) => {
      const v = i ? g.values.get(i) : undefined;
      return s + (v && isConst(v) ? v.data.length : 0);
    }, 0);
    return { name: n.name, op: n.op, outputShape: [...valueOf(g, n.outputs[0]!).shape], params, macs: macsOf(g, n) };
  });
  return {
    layers,
    totalParams: layers.reduce((s, l) => s + l.params, 0),
    totalMacs: layers.reduce((s, l) => s + l.macs, 0),
  };
}
