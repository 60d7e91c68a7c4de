/**
 * Recognises TF1 `dynamic_rnn` while loops built from a BasicLSTMCell / LSTMCell without
 * peepholes or projection and replaces each by one node, `_TfLoopLSTM`, which the op table
 * turns into the IR's LSTM. The frame is read structurally, not by names: the loop's Merge
 * nodes (counter, cell state c, hidden state h), the TensorArray the inputs are scattered into
 * (time-major), and the cell body ConcatV2([x_t, h]) → MatMul(kernel) → BiasAdd(bias) →
 * Split(4) with TF's gate order i, j, f, o, the forget bias added to f, c' = c·σ(f+fb) +
 * σ(i)·tanh(j) and h' = tanh(c')·σ(o). Each Exit of the frame becomes a `_TfLoopLSTM` node of
 * the same name (so its consumers are unchanged) giving the final h or c. Anything else —
 * another cell, a loop that writes every step's output, peepholes — is left in place, and the
 * reader then refuses the frame, naming it and its ops.
 */
import type { TNode } from './schema.js';
import { parseRefSimple as parseRef } from './refs.js';
import { TfAttrs } from './attrs.js';

interface Frame {
  name: string;
  nodes: Set<string>;
}

/** Nodes of each while frame: forward from its Enter nodes up to and including its Exits. */
function frames(nodes: readonly TNode[], consumers: ReadonlyMap<string, string[]>): Frame[] {
  const byFrame = new Map<string, string[]>();
  for (const n of nodes) {
    if (n.op !== 'Enter') continue;
    const f = new TfAttrs(n, '').string('frame_name', '');
    byFrame.set(f, [...(byFrame.get(f) ?? []), n.name ?? '']);
  }
  const out: Frame[] = [];
  const opOf = new Map(nodes.map((n) => [n.name ?? '', n.op ?? '']));
  for (const [name, enters] of byFrame) {
    const seen = new Set<string>(enters);
    const stack = [...enters];
    while (stack.length) {
      const cur = stack.pop()!;
      if (opOf.get(cur) === 'Exit') continue;
      for (const c of consumers.get(cur) ?? []) {
        if (!seen.has(c)) {
          seen.add(c);
          stack.push(c);
        }
      }
    }
    out.push({ name, nodes: seen });
  }
  return out;
}

/**
 * Returns the node list with every recognised LSTM frame replaced (and the TensorArray nodes
 * feeding it dropped), or the list unchanged.
 */
export function rewriteLstmLoops(nodes: readonly TNode[]): TNode[] {
  const byName = new Map(nodes.map((n) => [n.name ?? '', n]));
  const consumers = new Map<string, string[]>();
  for (const n of nodes) {
    for (const i of n.input ?? []) {
      const [src] = parseRef(i.replace(/^\^/, ''));
      consumers.set(src, [...(consumers.get(src) ?? []), n.name ?? '']);
    }
  }
  let result = [...nodes];
  for (const f of frames(nodes, consumers)) {
    const m = matchLstm(f, byName);
    if (!m) continue;
    const drop = new Set([...f.nodes, ...m.outside]);
    const repl: TNode[] = m.exits.map(({ exit, which }) => ({
      name: exit,
      op: '_TfLoopLSTM',
      input: [m.x, m.kernel, m.bias, m.steps],
      attr: {
        forget_bias: { value: 'f', f: m.forgetBias },
        output: { value: 's', s: new TextEncoder().encode(which) },
        steps: { value: 'i', i: m.steps },
        frame_name: { value: 's', s: new TextEncoder().encode(f.name) },
      },
    }));
    const firstExit = result.findIndex((n) => n.name === m.exits[0]!.exit);
    result = result.filter((n, i) => i === firstExit || !drop.has(n.name ?? ''));
    const at = result.findIndex((n) => n.name === m.exits[0]!.exit);
    result.splice(at, 1, ...repl);
  }
  return result;
}

interface LstmMatch {
  x: string;
  kernel: string;
  bias: string;
  forgetBias: number;
  /** The trip count as a tensor reference (checked against the sequence length at import). */
  steps: string;
  exits: { exit: string; which: 'h' | 'c' }[];
  /** Nodes outside the frame that only feed it (TensorArray, its scatter). */
  outside: string[];
}

function matchLstm(f: Frame, byName: ReadonlyMap<string, TNode>): LstmMatch | null {
  const inFrame = [...f.nodes].map((n) => byName.get(n)!).filter(Boolean);
  const only = (op: string) => {
    const l = inFrame.filter((n) => n.op === op);
    return l.length === 1 ? l[0]! : null;
  };
  const node = (ref: string | undefined) => (ref ? byName.get(parseRef(ref)[0]) : undefined);
  const through = (ref: string | undefined): TNode | undefined => {
    // Skips Identity and Enter (loop-invariant inputs enter the frame through Enter).
    let n = node(ref);
    while (n && (n.op === 'Identity' || n.op === 'Enter')) n = node(n.input?.[0]);
    return n;
  };
  const read = only('TensorArrayReadV3');
  const concat = only('ConcatV2');
  const mm = only('MatMul');
  const ba = only('BiasAdd');
  const split = only('Split');
  if (!read || !concat || !mm || !ba || !split) return null;
  if (inFrame.some((n) => n.op?.startsWith('TensorArrayWrite'))) return null;
  if (split.attr?.['num_split']?.i === undefined || Number(split.attr['num_split'].i) !== 4) return null;
  if (node(concat.input?.[0]) !== read) return null;
  if (node(mm.input?.[0]) !== concat || node(ba.input?.[0]) !== mm || node(split.input?.[1]) !== ba) return null;
  const kernel = through(mm.input?.[1]);
  const bias = through(ba.input?.[1]);
  if (!kernel || !bias) return null;
  // The state merges: h feeds the concat (through Switch → Identity), c feeds the forget Mul.
  const hIdentity = node(concat.input?.[1]);
  const mergeOf = (id: TNode | undefined) => (id?.op === 'Identity' ? node(node(id.input?.[0])?.input?.[0]) : undefined);
  const hMerge = mergeOf(hIdentity);
  if (hMerge?.op !== 'Merge') return null;
  // Split outputs in TF's order i, j, f, o.
  const uses = (ref: string) => inFrame.filter((n) => (n.input ?? []).some((i) => i === ref || (ref.endsWith(':0') && i === ref.slice(0, -2))));
  const sp = split.name!;
  const [iU, jU, fU, oU] = [0, 1, 2, 3].map((k) => uses(`${sp}:${k}`));
  if ([iU, jU, fU, oU].some((u) => u.length !== 1)) return null;
  const sigI = iU[0]!;
  const tanhJ = jU[0]!;
  const addF = fU[0]!;
  const sigO = oU[0]!;
  if (sigI.op !== 'Sigmoid' || tanhJ.op !== 'Tanh' || sigO.op !== 'Sigmoid' || (addF.op !== 'Add' && addF.op !== 'AddV2')) return null;
  const fbNode = through(addF.input?.[1]);
  const fb = fbNode?.op === 'Const' ? fbNode.attr?.['value']?.tensor?.floatVal?.[0] ?? null : null;
  if (fb === null) return null;
  const sigF = uses(addF.name!)[0];
  if (sigF?.op !== 'Sigmoid') return null;
  const mulF = uses(sigF.name!)[0];
  const mulIJ = uses(sigI.name!)[0];
  if (mulF?.op !== 'Mul' || mulIJ?.op !== 'Mul' || !mulIJ.input?.some((r) => node(r) === tanhJ)) return null;
  const cNew = uses(mulF.name!)[0];
  if (!cNew || (cNew.op !== 'Add' && cNew.op !== 'AddV2') || !cNew.input?.some((r) => node(r) === mulIJ)) return null;
  const cMerge = mergeOf(node(mulF.input?.find((r) => node(r) !== sigF)));
  if (cMerge?.op !== 'Merge') return null;
  const tanhC = uses(cNew.name!).find((n) => n.op === 'Tanh');
  const hNew = tanhC ? uses(tanhC.name!)[0] : undefined;
  if (hNew?.op !== 'Mul' || !hNew.input?.some((r) => node(r) === sigO)) return null;
  // The merges loop back from the new states.
  const back = (m: TNode) => node(m.input?.[1]);
  if (node(back(hMerge)?.input?.[0]) !== hNew || node(back(cMerge)?.input?.[0]) !== cNew) return null;
  // The initial states must be zeros (BasicLSTMCell.zero_state): their Enter takes a Fill of 0.
  for (const m of [hMerge, cMerge]) {
    const init = through(m.input?.[0]);
    const val = init?.op === 'Fill' ? through(init.input?.[1]) : undefined;
    if (val?.op !== 'Const' || (val.attr?.['value']?.tensor?.floatVal?.[0] ?? 0) !== 0) return null;
  }
  // Inputs: the value scattered into the TensorArray read here; the trip count from Less.
  const scatter = through(read.input?.[2]);
  if (scatter?.op !== 'TensorArrayScatterV3') return null;
  const ta = node(scatter.input?.[0]);
  const less = only('Less');
  if (!less || !ta) return null;
  const steps = through(less.input?.[1]);
  if (!steps) return null;
  // Exits: which merge each one leaves through (Exit ← Switch ← Merge).
  const exits: LstmMatch['exits'] = [];
  for (const n of inFrame) {
    if (n.op !== 'Exit') continue;
    const m = node(node(n.input?.[0])?.input?.[0]);
    if (m === hMerge) exits.push({ exit: n.name!, which: 'h' });
    else if (m === cMerge) exits.push({ exit: n.name!, which: 'c' });
    else return null;
  }
  if (exits.length === 0) return null;
  return {
    x: scatter.input![2]!,
    kernel: kernel.name!,
    bias: bias.name!,
    forgetBias: fb,
    steps: steps.name!,
    exits,
    outside: [scatter.name!, ta.name!],
  };
}
