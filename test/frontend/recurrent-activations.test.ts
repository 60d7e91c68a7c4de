/**
 * Recurrent activations are parsed once, at import, into the typed RecurrentAttrs.activations
 * (one list per direction, every parameter resolved): ONNX's names are case-insensitive,
 * activation_alpha/beta are consumed in order by the functions that take them (or read in
 * parallel when there is one per name), one direction's list serves both directions of a
 * bidirectional layer, and an unknown name is an import error naming the node. The registry
 * refuses a malformed typed attr (e.g. the old string form in IR text).
 */
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/frontend/onnx/model.js';
import type { Node } from '../../src/ir/graph.js';
import { parseGraph } from '../../src/ir/parse.js';
import { printGraph } from '../../src/ir/print.js';
import { recurrentModel } from '../helpers/recurrent-model.js';

function recNode(bytes: Uint8Array): Node<'LSTM' | 'GRU' | 'RNN'> {
  const g = importOnnx(bytes, 'rec.onnx');
  const n = g.nodes.find((x): x is Node<'LSTM' | 'GRU' | 'RNN'> => x.op === 'LSTM' || x.op === 'GRU' || x.op === 'RNN');
  if (!n) throw new Error('no recurrent node');
  return n;
}

describe('recurrent activations parsed at import', () => {
  it('defaults per op, one list per direction', () => {
    expect(recNode(recurrentModel({ kind: 'LSTM', T: 2, I: 2, H: 2, seed: 1 })).attrs.activations).toEqual([[{ fn: 'Sigmoid' }, { fn: 'Tanh' }, { fn: 'Tanh' }]]);
    expect(recNode(recurrentModel({ kind: 'GRU', T: 2, I: 2, H: 2, dir: 'bidirectional', seed: 1 })).attrs.activations).toEqual([
      [{ fn: 'Sigmoid' }, { fn: 'Tanh' }],
      [{ fn: 'Sigmoid' }, { fn: 'Tanh' }],
    ]);
  });

  it('names case-insensitively; alpha/beta consumed in order by the functions that take them; defaults fill the rest', () => {
    const n = recNode(
      recurrentModel({ kind: 'LSTM', T: 2, I: 2, H: 2, acts: ['hardsigmoid', 'LeakyRelu', 'Elu'], alpha: [0.25, 0.125], beta: [0.375], seed: 2 }),
    );
    expect(n.attrs.activations).toEqual([[{ fn: 'HardSigmoid', alpha: 0.25, beta: 0.375 }, { fn: 'LeakyRelu', alpha: 0.125 }, { fn: 'Elu', alpha: 1 }]]);
  });

  it('parameters parallel to the names when there is one per name; one direction list shared by both', () => {
    const n = recNode(
      recurrentModel({ kind: 'RNN', T: 2, I: 2, H: 2, dir: 'bidirectional', acts: ['Affine', 'ThresholdedRelu'], alpha: [0.5, 0.75], beta: [0.25, 0], seed: 3 }),
    );
    expect(n.attrs.activations).toEqual([[{ fn: 'Affine', alpha: 0.5, beta: 0.25 }], [{ fn: 'ThresholdedRelu', alpha: 0.75 }]]);
    const shared = recNode(recurrentModel({ kind: 'RNN', T: 2, I: 2, H: 2, dir: 'bidirectional', acts: ['Relu'], seed: 3 }));
    expect(shared.attrs.activations).toEqual([[{ fn: 'Relu' }], [{ fn: 'Relu' }]]);
  });

  it('an unknown activation or a wrong count is an import error naming the node', () => {
    expect(() => recNode(recurrentModel({ kind: 'LSTM', T: 2, I: 2, H: 2, acts: ['Sigmoid', 'Gelu', 'Tanh'], seed: 4 }))).toThrow(
      /rec\.onnx.*'lstm_layer'.*activation 'Gelu' is not one ONNX defines for recurrent layers \(Sigmoid, Tanh, Relu/,
    );
    expect(() => recNode(recurrentModel({ kind: 'GRU', T: 2, I: 2, H: 2, acts: ['Sigmoid', 'Tanh', 'Tanh'], seed: 4 }))).toThrow(
      /'gru_layer'.*expected 2 activations, got 3 \[Sigmoid,Tanh,Tanh\]/,
    );
  });

  it('the typed attr survives the IR text; the old string form is refused by the registry', () => {
    const g = importOnnx(recurrentModel({ kind: 'LSTM', T: 2, I: 2, H: 2, acts: ['HardSigmoid', 'Tanh', 'Affine'], alpha: [0.5, 2], beta: [0.25, -1], seed: 5 }), 'rec.onnx');
    const text = printGraph(g);
    expect(text).toContain('activations: [[{fn: "HardSigmoid", alpha: 0.5, beta: 0.25}, {fn: "Tanh"}, {fn: "Affine", alpha: 2, beta: -1}]]');
    expect(parseGraph(text, 'rec.ir').nodes).toEqual(g.nodes);
    const old = text.replace(/activations: \[\[.*?\]\]/, 'activations: ["Sigmoid", "Tanh", "Tanh"]');
    expect(() => parseGraph(old, 'rec.ir')).toThrow(/node 'lstm_layer' \(LSTM\): expected 1 list\(s\) of activations \(one per direction\), got 3 entries/);
    const bad = text.replace('{fn: "Tanh"}', '{fn: "Tanh", alpha: 1}');
    expect(() => parseGraph(bad, 'rec.ir')).toThrow(/activation \{"fn":"Tanh","alpha":1\} must have exactly fn/);
  });
});
