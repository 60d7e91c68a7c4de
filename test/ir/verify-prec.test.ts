/**
 * The verifier's check of precision records (src/ir/verify-prec.ts), on the stored per-channel
 * exponents of an exact per-channel Quant: the quantize pass writes them once (prec.channels),
 * they survive the IR text, and any record that disagrees with the scale constant — a wrong
 * exponent, a wrong range, the wrong count, or none at all — is refused naming the node.
 */
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/frontend/onnx/model.js';
import type { Graph, Node } from '../../src/ir/graph.js';
import { parseGraph } from '../../src/ir/parse.js';
import { defaultConfig } from '../../src/ir/precision-config.js';
import { printGraph } from '../../src/ir/print.js';
import { verifyProblems } from '../../src/ir/verify.js';
import { prepareFixed } from '../../src/passes/pipeline.js';
import { buildModel } from '../helpers/onnx-builder.js';

const QG = 'qonnx.custom_op.general';
const pcQuant = (scale: number[]) =>
  buildModel({
    inputs: [['x', [1, 4, 2, 2]]],
    outputs: [['y', [1, 4, 2, 2]]],
    nodes: [{ op: 'Quant', name: 'q', domain: QG, inputs: ['x', 's', 'z', 'b'], outputs: ['y'], attrs: { signed: 1, narrow: 0, rounding_mode: 'ROUND' } }],
    inits: [['s', [1, 4, 1, 1], scale], ['z', [], [0]], ['b', [], [4]]],
    extraOpsets: [{ domain: QG, version: 1 }],
  });

function quantized(scale: number[]): { g: Graph; q: Node<'Quant'> } {
  const g = prepareFixed(importOnnx(pcQuant(scale), 'q.onnx'), defaultConfig()).graph;
  const q = g.nodes.find((n): n is Node<'Quant'> => n.op === 'Quant');
  if (!q) throw new Error('no Quant');
  return { g, q };
}

/** The graph with the Quant's precision record replaced (as a hand-edited IR text or a buggy pass would). */
function withPrec(g: Graph, prec: unknown): Graph {
  return { ...g, nodes: g.nodes.map((n) => (n.op === 'Quant' ? ({ ...n, prec } as Node) : n)) };
}

describe('stored per-channel Quant exponents', () => {
  it('the quantize pass stores the exponents of the scale constant once; they survive the IR text', () => {
    const { g, q } = quantized([0.5, 0.25, 0.125, 0.5]);
    expect(q.prec?.channels).toEqual({ exps: [-1, -2, -3, -1], eMin: -3, eMax: -1 });
    expect(verifyProblems(g)).toEqual([]);
    const back = parseGraph(printGraph(g), 'q.ir');
    expect(back.nodes.find((n) => n.op === 'Quant')!.prec).toEqual(q.prec);
  });

  it('one scale for every channel: no record at all (one cast is the op)', () => {
    const { g, q } = quantized([0.25, 0.25, 0.25, 0.25]);
    expect(q.prec).toBeUndefined();
    expect(verifyProblems(g)).toEqual([]);
  });

  it('refuses exponents that disagree with the scale constant, naming the node and the channel', () => {
    const { g, q } = quantized([0.5, 0.25, 0.125, 0.5]);
    const p = q.prec!;
    expect(verifyProblems(withPrec(g, { ...p, channels: { exps: [-1, -2, -2, -1], eMin: -3, eMax: -1 } }))).toEqual([
      "node 'q' (Quant): per-channel exponent 2 is -2, its scale 0.125 is 2^-3",
    ]);
    expect(verifyProblems(withPrec(g, { ...p, channels: { exps: [-1, -2, -3, -1], eMin: -2, eMax: -1 } }))).toEqual([
      "node 'q' (Quant): per-channel exponent range is [-2, -1], the exponents span [-3, -1]",
    ]);
    expect(verifyProblems(withPrec(g, { ...p, channels: { exps: [-1, -2, -3], eMin: -3, eMax: -1 } }))).toEqual([
      "node 'q' (Quant): expected 4 per-channel exponents (one per scale element), got 3",
    ]);
    expect(verifyProblems(withPrec(g, { types: p.types }))).toEqual(["node 'q' (Quant): precision field 'channels' is missing"]);
    expect(verifyProblems(withPrec(g, { channels: p.channels }))).toEqual(["node 'q' (Quant): precision field 'types' is missing"]);
  });
});
