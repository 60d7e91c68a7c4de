/**
 * recurrent-final-state: rewrites a read of a one-directional LSTM/GRU/RNN's final hidden state
 * Y_h into a slice of its output sequence Y — the last time step for a forward layer, the first
 * for a reverse one — reshaped to Y_h's shape, so every backend needs only Y (TF's dynamic_rnn
 * graphs, e.g. the keyword-spotting LSTMs, read the final state, not the sequence). The
 * simulator runs the rewritten graph too, so simulation and C simulation stay identical.
 * A bidirectional layer's Y_h joins both directions' final steps (forward T−1, reverse 0) with a
 * Concat. Final states nobody reads are dropped from the layer's outputs.
 * Preconditions: shapes inferred. Must not fire when the LSTM's final cell state Y_c is read (Y
 * does not hold it), or when Y_h is not read and the layer has no unread state outputs.
 * Invariant: the same numbers, since Y's step T−1 (forward) is the final state.
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
  const read = (v: string | undefined) => !!v && ((ctx.uses.get(v)?.length ?? 0) > 0 || ctx.isOutput(v));
  // Final states nobody reads (PyTorch lists all three LSTM outputs) are simply dropped.
  if (n.outputs[0] && n.outputs.length > 1 && !n.outputs.slice(1).some(read)) return { remove: [i], add: [{ ...n, outputs: [n.outputs[0]] }] };
  const yh = n.outputs[1];
  if (!yh || !read(yh)) return null;
  if (n.op === 'LSTM' && read(n.outputs[2])) return null;
  const { g } = ctx;
  const x = valueOf(g, n.inputs[0]!);
  const lead = x.shape.slice(0, -2);
  const T = x.shape[x.shape.length - 2]!;
  const H = n.attrs.hidden;
  const D = n.attrs.direction === 'bidirectional' ? 2 : 1;
  const values = [];
  let y = n.outputs[0];
  if (!y) {
    y = freshValueName(g, `${yh}_sequence`);
    values.push({ name: y, shape: [...lead, T, D, H], elem: 'float32' as const });
  }
  const taken = new Set([y]);
  const zeros = lead.map(() => 0);
  const ones = lead.map(() => 1);
  // Direction d's final state: the last step forward, the first step in reverse.
  const steps = Array.from({ length: D }, (_, d) => {
    const last = freshValueName(g, `${yh}_step${D > 1 ? d : ''}`, taken);
    taken.add(last);
    values.push({ name: last, shape: [...lead, 1, 1, H], elem: 'float32' as const });
    const step = n.attrs.direction === 'reverse' || d === 1 ? 0 : T - 1;
    const slice: Node = {
      name: freshNodeName(g, `${n.name}_final_step${D > 1 ? d : ''}`), op: 'Slice', inputs: [y], outputs: [last],
      attrs: { starts: [...zeros, step, d, 0], steps: [...ones, 1, 1, 1], shape: [...lead, 1, 1, H] },
    };
    return slice;
  });
  const added: Node[] = [{ ...n, outputs: [y] }, ...steps];
  let joined = steps[0]!.outputs[0]!;
  if (D > 1) {
    joined = freshValueName(g, `${yh}_steps`, taken);
    values.push({ name: joined, shape: [...lead, 1, D, H], elem: 'float32' as const });
    added.push({ name: freshNodeName(g, `${n.name}_final_join`), op: 'Concat', inputs: steps.map((s) => s.outputs[0]!), outputs: [joined], attrs: { axis: -2 } });
  }
  added.push({ name: freshNodeName(g, `${n.name}_final_state`), op: 'Reshape', inputs: [joined], outputs: [yh], attrs: { shape: [...lead, D, H] } });
  return { remove: [i], add: added, values };
};

export const recurrentFinalState: Pass = { name: 'recurrent-final-state', run: (g) => applyRules(g, [finalState]) };
