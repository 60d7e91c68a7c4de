/**
 * Tests of recurrent-final-state: a one-directional LSTM/GRU/RNN's final hidden state Y_h
 * becomes Slice(Y, last step — first for reverse) + Reshape, with the same float results
 * (float executor as oracle); a bidirectional layer's Y_h joins both directions' final steps;
 * unread final states are dropped; it must not fire when the LSTM's Y_c is read. The C simulation of the rewritten graph is the golden case
 * test/backend/golden/cases/lstm_final.ir.
 */
import { describe, expect, it } from 'vitest';
import type { RecurrentAttrs } from '../../src/ir/ops.js';
import { verify } from '../../src/ir/verify.js';
import { recurrentFinalState } from '../../src/passes/recurrent-final-state.js';
import { parseRecurrentActivations } from '../../src/ir/semantics/recurrent.js';
import { dyn, expectSameFloat, graph, konst, node, ops } from './ir.js';

const T = 4;
const I = 2;
const H = 3;
const rand = (n: number, seed: number) => Array.from({ length: n }, (_, i) => Math.sin(seed * 13.7 + i * 2.3) * 0.6);
const attrs = (direction: RecurrentAttrs['direction'], gates: number): RecurrentAttrs => ({
  hidden: H, direction,
  activations: parseRecurrentActivations(gates === 4 ? 'LSTM' : gates === 3 ? 'GRU' : 'RNN', direction === 'bidirectional' ? 2 : 1, gates === 4 ? ['Sigmoid', 'Tanh', 'Tanh'] : gates === 3 ? ['Sigmoid', 'Tanh'] : ['Tanh']),
  clip: 0,
});

function rnnGraph(op: 'LSTM' | 'GRU' | 'RNN', direction: RecurrentAttrs['direction'], outs: { y?: boolean; c?: boolean } = {}) {
  const gates = op === 'LSTM' ? 4 : op === 'GRU' ? 3 : 1;
  const D = direction === 'bidirectional' ? 2 : 1;
  const values = [
    dyn('x', [T, I]), konst('w', [D, gates * H, I], rand(D * gates * H * I, 1)), konst('r', [D, gates * H, H], rand(D * gates * H * H, 2)),
    konst('b', [D, 2 * gates * H], rand(D * 2 * gates * H, 3)), dyn('h', [D, H]),
    ...(outs.y ? [dyn('y', [T, D, H])] : []), ...(outs.c ? [dyn('c', [D, H])] : []),
  ];
  const outputs = [outs.y ? 'y' : '', 'h', ...(outs.c ? ['c'] : [])];
  const inputs = ['x', 'w', 'r', 'b'];
  const n = op === 'LSTM'
    ? node('rnn', 'LSTM', inputs, outputs, { ...attrs(direction, 4), inputForget: false })
    : op === 'GRU' ? node('rnn', 'GRU', inputs, outputs, { ...attrs(direction, 3), linearBeforeReset: false }) : node('rnn', 'RNN', inputs, outputs, attrs(direction, 1));
  return verify(graph(values, [n], ['x'], ['h', ...(outs.y ? ['y'] : []), ...(outs.c ? ['c'] : [])]));
}

const xs = [Float32Array.from(rand(2 * T * I, 7))];

describe('recurrent-final-state', () => {
  it('rewrites a forward LSTM Y_h into the last step of Y, same floats', () => {
    const g = rnnGraph('LSTM', 'forward');
    const out = verify(recurrentFinalState.run(g));
    expect(ops(out)).toEqual(['LSTM', 'Slice', 'Reshape']);
    const [lstm, slice, reshape] = out.nodes;
    expect(lstm!.outputs).toEqual([slice!.inputs[0]]);
    expect(out.values.get(lstm!.outputs[0]!)!.shape).toEqual([T, 1, H]);
    expect(slice!.attrs).toEqual({ starts: [T - 1, 0, 0], steps: [1, 1, 1], shape: [1, 1, H] });
    expect(reshape!.outputs).toEqual(['h']);
    expectSameFloat(g, out, xs, 2);
  });

  it('takes the first step of a reverse layer, and reuses a Y that is already read', () => {
    for (const op of ['GRU', 'RNN'] as const) {
      const g = rnnGraph(op, 'reverse', { y: true });
      const out = verify(recurrentFinalState.run(g));
      expect(ops(out)).toEqual([op, 'Slice', 'Reshape']);
      expect(out.nodes[0]!.outputs).toEqual(['y']);
      expect(out.nodes[1]!.inputs).toEqual(['y']);
      expect(out.nodes[1]!.attrs).toEqual({ starts: [0, 0, 0], steps: [1, 1, 1], shape: [1, 1, H] });
      expectSameFloat(g, out, xs, 2);
    }
  });

  it('joins both directions of a bidirectional layer: forward step T-1, reverse step 0, same floats', () => {
    const g = rnnGraph('LSTM', 'bidirectional');
    const out = verify(recurrentFinalState.run(g));
    expect(ops(out)).toEqual(['LSTM', 'Slice', 'Slice', 'Concat', 'Reshape']);
    expect(out.nodes[1]!.attrs).toEqual({ starts: [T - 1, 0, 0], steps: [1, 1, 1], shape: [1, 1, H] });
    expect(out.nodes[2]!.attrs).toEqual({ starts: [0, 1, 0], steps: [1, 1, 1], shape: [1, 1, H] });
    expect(out.values.get('h')!.shape).toEqual([2, H]);
    expectSameFloat(g, out, xs, 2);
  });

  it('drops final-state outputs nobody reads (PyTorch lists all three LSTM outputs)', () => {
    const g = verify(graph(
      [dyn('x', [T, I]), konst('w', [2, 4 * H, I], rand(8 * H * I, 1)), konst('r', [2, 4 * H, H], rand(8 * H * H, 2)), dyn('y', [T, 2, H]), dyn('h', [2, H]), dyn('c', [2, H])],
      [node('rnn', 'LSTM', ['x', 'w', 'r'], ['y', 'h', 'c'], { ...attrs('bidirectional', 4), inputForget: false })], ['x'], ['y'],
    ));
    const out = verify(recurrentFinalState.run(g));
    expect(out.nodes.map((n) => n.outputs)).toEqual([['y']]);
    expect(out.values.has('h')).toBe(false);
    expectSameFloat(g, out, xs, 1);
  });

  it('must not fire for a read Y_c, or a layer with only Y', () => {
    for (const g of [rnnGraph('LSTM', 'forward', { c: true }), rnnGraph('LSTM', 'bidirectional', { c: true })]) {
      expect(recurrentFinalState.run(g)).toBe(g);
    }
    const yOnly = verify(graph(
      [dyn('x', [T, I]), konst('w', [1, H, I], rand(H * I, 1)), konst('r', [1, H, H], rand(H * H, 2)), dyn('y', [T, 1, H])],
      [node('rnn', 'RNN', ['x', 'w', 'r'], ['y'], attrs('forward', 1))], ['x'], ['y'],
    ));
    expect(recurrentFinalState.run(yOnly)).toBe(yOnly);
  });
});
