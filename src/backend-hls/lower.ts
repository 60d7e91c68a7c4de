/**
 * Lowers every node of a quantized graph to a Layer (see layer.ts), in graph order, refusing in
 * one message the ops the HLS backend has no kernel for.
 */
import type { Graph, Node } from '../ir/graph.js';
import { isTableNode } from '../ir/precision.js';
import { RECURRENT_SLOTS } from '../ir/semantics/recurrent.js';
import { NnInputError } from '../util/tensor.js';
import type { Layer, LowerContext } from './layer.js';
import { lowerLayerNorm, lowerMatMul } from './lower-attention.js';
import { lowerConv, lowerDense, lowerPool } from './lower-linear.js';
import { lowerRecurrent } from './lower-recurrent.js';
import { lowerBinary, lowerConcat, lowerGather, lowerReduce, lowerSoftmax, lowerUnary } from './lower-misc.js';

const HINTS: { [op: string]: string } = {
  ConvTranspose: 'transposed convolution has no HLS kernel yet',
};

function lowerNode(ctx: LowerContext, n: Node): Layer | null {
  switch (n.op) {
    case 'Dense':
      return lowerDense(ctx, n);
    case 'Conv':
      return lowerConv(ctx, n);
    case 'MaxPool':
    case 'AvgPool':
    case 'GlobalMaxPool':
    case 'GlobalAvgPool':
      return lowerPool(ctx, n);
    case 'MatMul':
      return lowerMatMul(ctx, n);
    case 'LayerNorm':
      return lowerLayerNorm(ctx, n);
    case 'Softmax':
      return lowerSoftmax(ctx, n);
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Max':
    case 'Min':
      return lowerBinary(ctx, n);
    case 'Transpose':
    case 'Pad':
    case 'Slice':
    case 'Tile':
    case 'Expand':
    case 'Gather':
      return lowerGather(ctx, n);
    case 'Resize':
      return n.attrs.mode === 'nearest' ? lowerGather(ctx, n) : null;
    case 'Reduce':
      return lowerReduce(ctx, n);
    case 'Concat':
      return lowerConcat(ctx, n);
    case 'LSTM':
    case 'GRU':
    case 'RNN':
      return lowerRecurrent(ctx, n);
    case 'Relu':
    case 'LeakyRelu':
    case 'PRelu':
    case 'ThresholdedRelu':
    case 'Clip':
    case 'Quant':
    case 'BipolarQuant':
    case 'QuantizeLinear':
    case 'DequantizeLinear':
    case 'Affine':
    case 'Reshape':
    case 'Abs':
    case 'Neg':
    case 'Sign':
    case 'Floor':
    case 'Ceil':
    case 'Round':
    case 'Gelu':
      return lowerUnary(ctx, n);
    default:
      // The lookup-table activations (precision.ts TABLE_FN) are unary too.
      return isTableNode(n) ? lowerUnary(ctx, n) : null;
  }
}

/** Lowers every node except `skip` (nodes the plan moves to the host, see plan.ts). */
export function lowerGraph(g: Graph, ctx: LowerContext, skip: ReadonlySet<Node> = new Set()): Layer[] {
  const bad: string[] = [];
  for (const n of g.nodes) {
    for (const v of [...n.inputs, ...n.outputs]) {
      const val = v ? g.values.get(v) : undefined;
      // Constants a kernel reads as floats (BipolarQuant's scale) legitimately have no type.
      if (v && (!val || (!val.fixed && !val.data))) {
        throw new Error(`internal: value '${v}' of node '${n.name}' has no fixed-point type (run prepareFixed first)`);
      }
    }
    if (n.outputs.slice(1).some((o) => o)) {
      const rec = n.op in RECURRENT_SLOTS;
      bad.push(`  ${n.op} '${n.name}': ${rec ? 'only the output Y is supported (not Y_h/Y_c); take its last time step instead' : 'only single-output layers are supported'}`);
    }
  }
  const layers: Layer[] = [];
  for (const n of g.nodes) {
    if (skip.has(n)) continue;
    const l = lowerNode(ctx, n);
    if (l) layers.push(l);
    else bad.push(`  ${n.op} '${n.name}'${HINTS[n.op] ? `: ${HINTS[n.op]}` : ': no HLS kernel for this op'}`);
  }
  if (bad.length) {
    throw new NnInputError(`${g.source}: the HLS backend cannot compile these layers (the fixed-point simulator still runs them):\n${bad.join('\n')}`);
  }
  return layers;
}
