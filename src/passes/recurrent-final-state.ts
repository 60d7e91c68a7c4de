/**
 * recurrent-final-state: rewrites a read of a one-directional LSTM/GRU/RNN's final hidden state
 * Y_h into a slice of its output sequence Y — the last time step for a forward layer, the first
 * for a reverse one — reshaped to Y_h's shape, so every backend needs only Y (TF's dynamic_rnn
 * graphs, e.g. the keyword-spotting LSTMs, read the final state, not the sequence). The
 * simulator runs the rewritten graph too, so simulation and C simulation stay identical.
 * Preconditions: shapes inferred. Must not fire on bidirectional layers (Y_h then mixes two
 * time steps), when the LSTM's final cell state Y_c is read (Y does not hold it), or when Y_h
 * is not read. Invariant: the same numbers, since Y's step T−1 (forward) is the final state.
 */
import { type Graph, type Node, valueOf } from '../ir/graph.js';
import { applyRules, freshValueName, type Pass, type Rule } from './pass.js';

function freshNodeName(g: Graph, base: string): string {
  const taken = new Set(g.nodes.map((n) => n.name));
  if (!taken.has(base)) return base;
  for (let k = 1; ; k++) if (!taken.has(`${base}_${k}`)) return `${base}_${k}`;
}

const finalState: Rule = (n, i, ctx) => {
  if (n.op !== 'LSTM' && n.op !== 'GRU' && n.op !== 'RNN') return null;
  if (n.attrs.direction === 'bidirectional') return null;
  const yh = n.outputs[1];
  if (!yh) return null;
  const read = (v: string | undefined) => !!v && ((ctx.uses.get(v)?.length ?? 0) > 0 || ctx.isOutput(v));
  if (n.op === 'LSTM' && read(n.outputs[2])) return null;
  const { g } = ctx;
  const x = valueOf(g, n.inputs[0]!);
  const lead = x.shape.slice(0, -2);
  const T = x.shape[x.shape.length - 2]!;
  const H = n.attrs.hidden;
  const values = [];
  let y = n.outputs[0];
  if (!y) {
    y = freshValueName(g, `${yh}_sequence`);
    values.push({ name: y, shape: [...lead, T, 1, H], elem: 'float32' as const });
  }
  const last = freshValueName(g, `${yh}_step`, new Set([y]));
  values.push({ name: last, shape: [...lead, 1, 1, H], elem: 'float32' as const });
  const step = n.attrs.direction === 'reverse' ? 0 : T - 1;
  const layer: Node = { ...n, outputs: [y] };
  const slice: Node = {
    name: freshNodeName(g, `${n.name}_final_step`), op: 'Slice', inputs: [y], outputs: [last],
    attrs: { starts: [...lead.map(() => 0), step, 0, 0], steps: [...lead.map(() => 1), 1, 1, 1], shape: [...lead, 1, 1, H] },
  };
  const reshape: Node = { name: freshNodeName(g, `${n.name}_final_state`), op: 'Reshape', inputs: [last], outputs: [yh], attrs: { shape: [...lead, 1, H] } };
  return { remove: [i], add: [layer, slice, reshape], values };
};

export const recurrentFinalState: Pass = { name: 'recurrent-final-state', run: (g) => applyRules(g, [finalState]) };

