/**
 * Recognises TF1 `dynamic_rnn` while loops around a BasicLSTMCell / LSTMCell (no peepholes or
 * projection), a GRUCell or a BasicRNNCell, and replaces each by one node (`_TfLoopLSTM`,
 * `_TfLoopGRU`, `_TfLoopRNN`) which the op table turns into the IR's LSTM / GRU / RNN. The
 * frame is read structurally, not by names: the loop's Merge nodes (counter and states), the
 * TensorArray the inputs are scattered into (time-major), zero initial states, the trip count
 * from Less, and the cell body:
 *  - LSTM: ConcatV2([x_t, h]) → MatMul(kernel) → BiasAdd → Split(4) in TF's gate order i, j, f,
 *    o, forget bias added to f, c' = c·σ(f+fb) + σ(i)·tanh(j), h' = tanh(c')·σ(o);
 *  - GRU: σ(ConcatV2([x_t, h])·Wg + bg) → Split(2) = r, u; c = tanh(ConcatV2([x_t, r·h])·Wc +
 *    bc); h' = u·h + (1 − u)·c;
 *  - RNN: h' = tanh(ConcatV2([x_t, h])·W + b).
 * Each Exit becomes a node of the same name (so its consumers are unchanged) giving the final
 * h (or the LSTM's c). Anything else — another cell, a loop that writes every step's output,
 * peepholes — is left in place, and the reader then refuses the frame, naming it and its ops.
 */
import type { TNode } from './schema.js';
import { parseRefSimple as parseRef } from './refs.js';
import { TfAttrs } from './attrs.js';
import { decodeTfTensor } from './tensor.js';

/** The first value of a Const node (any storage form), or null. */
function constFirst(n: TNode | undefined): number | null {
  const t = n?.op === 'Const' ? n.attr?.['value']?.tensor : undefined;
  if (!t) return null;
  try {
    return decodeTfTensor(t, n!.name ?? '').data[0] ?? null;
  } catch {
    return null;
  }
}

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
    const m = matchLstm(f, byName) ?? matchGru(f, byName) ?? matchRnn(f, byName);
    if (!m) continue;
    const drop = new Set([...f.nodes, ...m.outside]);
    const repl: TNode[] = m.exits.map(({ exit, which }) => ({
      name: exit,
      op: m.op,
      input: [m.x, ...m.params, m.steps],
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
  op: '_TfLoopLSTM' | '_TfLoopGRU' | '_TfLoopRNN';
  x: string;
  /** Weight tensors: LSTM/RNN kernel, bias; GRU gates kernel, gates bias, candidate kernel, candidate bias. */
  params: string[];
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
  const fb = constFirst(fbNode);
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
    if (constFirst(val) !== 0) return null;
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
    if (m === node(less.input?.[0])) continue;
    if (m === hMerge) exits.push({ exit: n.name!, which: 'h' });
    else if (m === cMerge) exits.push({ exit: n.name!, which: 'c' });
    else return null;
  }
  if (exits.length === 0) return null;
  return {
    op: '_TfLoopLSTM',
    x: scatter.input![2]!,
    params: [kernel.name!, bias.name!],
    forgetBias: fb,
    steps: steps.name!,
    exits,
    outside: [scatter.name!, ta.name!],
  };
}

/** What every dynamic_rnn frame has: input TensorArray read, trip count, a state's Merge. */
interface FrameParts {
  inFrame: TNode[];
  node: (ref: string | undefined) => TNode | undefined;
  through: (ref: string | undefined) => TNode | undefined;
  uses: (ref: string) => TNode[];
  read: TNode;
  scatter: TNode;
  ta: TNode;
  steps: TNode;
  /** The loop counter's Merge (compared with the trip count by Less). */
  counter: TNode | undefined;
}

function frameParts(f: Frame, byName: ReadonlyMap<string, TNode>): FrameParts | null {
  const inFrame = [...f.nodes].map((n) => byName.get(n)!).filter(Boolean);
  const node = (ref: string | undefined) => (ref ? byName.get(parseRef(ref)[0]) : undefined);
  const through = (ref: string | undefined): TNode | undefined => {
    let n = node(ref);
    while (n && (n.op === 'Identity' || n.op === 'Enter')) n = node(n.input?.[0]);
    return n;
  };
  const uses = (ref: string) => inFrame.filter((n) => (n.input ?? []).some((i) => i === ref || (ref.endsWith(':0') && i === ref.slice(0, -2))));
  const reads = inFrame.filter((n) => n.op === 'TensorArrayReadV3');
  const less = inFrame.filter((n) => n.op === 'Less');
  if (reads.length !== 1 || less.length !== 1 || inFrame.some((n) => n.op?.startsWith('TensorArrayWrite'))) return null;
  const read = reads[0]!;
  const scatter = through(read.input?.[2]);
  if (scatter?.op !== 'TensorArrayScatterV3') return null;
  const ta = node(scatter.input?.[0]);
  const steps = through(less[0]!.input?.[1]);
  if (!ta || !steps) return null;
  return { inFrame, node, through, uses, read, scatter, ta, steps, counter: node(less[0]!.input?.[0]) };
}

/** The Merge a state Identity (Merge → Switch:1 → Identity) comes from. */
function mergeOfIdentity(p: FrameParts, id: TNode | undefined): TNode | undefined {
  const m = id?.op === 'Identity' ? p.node(p.node(id.input?.[0])?.input?.[0]) : undefined;
  return m?.op === 'Merge' ? m : undefined;
}

/** A state's Merge starts from zeros (Fill of 0, or an all-zero Const) and loops back from `next`. */
function stateLoop(p: FrameParts, m: TNode, next: TNode): boolean {
  if (p.node(p.node(m.input?.[1])?.input?.[0]) !== next) return false;
  const init = p.through(m.input?.[0]);
  const val = init?.op === 'Fill' ? p.through(init.input?.[1]) : init;
  if (val?.op !== 'Const') return false;
  const t = val.attr?.['value']?.tensor;
  return !t?.tensorContent?.some((b) => b !== 0) && !(t?.floatVal ?? []).some((v) => v !== 0);
}

function exitsOf(p: FrameParts, h: TNode): { exit: string; which: 'h' | 'c' }[] | null {
  const exits: { exit: string; which: 'h' | 'c' }[] = [];
  for (const n of p.inFrame) {
    if (n.op !== 'Exit') continue;
    const m = p.node(p.node(n.input?.[0])?.input?.[0]);
    if (m === p.counter) continue;
    if (m !== h) return null;
    exits.push({ exit: n.name!, which: 'h' });
  }
  return exits.length ? exits : null;
}

const isAdd = (n: TNode | undefined) => n?.op === 'Add' || n?.op === 'AddV2';

/** MatMul(ConcatV2([x_t or r·h, ...]), kernel) + bias: the dense step of a cell. */
function denseStep(p: FrameParts, ba: TNode | undefined): { concat: TNode; kernel: TNode; bias: TNode } | null {
  if (ba?.op !== 'BiasAdd') return null;
  const mm = p.node(ba.input?.[0]);
  const concat = p.node(mm?.input?.[0]);
  const kernel = p.through(mm?.input?.[1]);
  const bias = p.through(ba.input?.[1]);
  if (mm?.op !== 'MatMul' || concat?.op !== 'ConcatV2' || kernel?.op !== 'Const' && kernel?.op !== 'Identity' || !bias) return null;
  if (p.node(concat.input?.[0]) !== p.read) return null;
  return { concat, kernel: kernel!, bias };
}

function matchRnn(f: Frame, byName: ReadonlyMap<string, TNode>): LstmMatch | null {
  const p = frameParts(f, byName);
  if (!p || p.inFrame.filter((n) => n.op === 'MatMul').length !== 1 || p.inFrame.some((n) => n.op === 'Split')) return null;
  const tanh = p.inFrame.find((n) => n.op === 'Tanh' && denseStep(p, p.node(n.input?.[0])));
  if (!tanh) return null;
  const d = denseStep(p, p.node(tanh.input?.[0]))!;
  const h = mergeOfIdentity(p, p.node(d.concat.input?.[1]));
  if (!h || !stateLoop(p, h, tanh)) return null;
  const exits = exitsOf(p, h);
  if (!exits) return null;
  return { op: '_TfLoopRNN', x: p.scatter.input![2]!, params: [d.kernel.name!, d.bias.name!], forgetBias: 0, steps: p.steps.name!, exits, outside: [p.scatter.name!, p.ta.name!] };
}

function matchGru(f: Frame, byName: ReadonlyMap<string, TNode>): LstmMatch | null {
  const p = frameParts(f, byName);
  if (!p || p.inFrame.filter((n) => n.op === 'MatMul').length !== 2) return null;
  const splits = p.inFrame.filter((n) => n.op === 'Split');
  if (splits.length !== 1 || Number(splits[0]!.attr?.['num_split']?.i ?? 0) !== 2) return null;
  const split = splits[0]!;
  const sig = p.node(split.input?.[1]);
  if (sig?.op !== 'Sigmoid') return null;
  const gates = denseStep(p, p.node(sig.input?.[0]));
  if (!gates) return null;
  const h = mergeOfIdentity(p, p.node(gates.concat.input?.[1]));
  if (!h) return null;
  const hId = p.node(gates.concat.input?.[1])!;
  // r·h feeds the candidate's concat.
  const rUse = p.uses(`${split.name}:0`);
  const rh = rUse.find((n) => n.op === 'Mul' && n.input?.some((r) => p.node(r) === hId));
  if (!rh) return null;
  const candConcat = p.uses(rh.name!).find((n) => n.op === 'ConcatV2');
  const candMm = candConcat ? p.uses(candConcat.name!).find((n) => n.op === 'MatMul') : undefined;
  const candBa = candMm ? p.uses(candMm.name!).find((n) => n.op === 'BiasAdd') : undefined;
  const cand = denseStep(p, candBa);
  if (!cand || cand.concat !== candConcat) return null;
  const tanh = p.uses(candBa!.name!).find((n) => n.op === 'Tanh');
  if (!tanh) return null;
  // h' = u·h + (1 − u)·c: an Add of a Mul using u and h and a Mul using (1 − u) and c.
  const u = `${split.name}:1`;
  const uUses = p.uses(u);
  const uh = uUses.find((n) => n.op === 'Mul' && n.input?.some((r) => p.node(r) === hId));
  const oneMinus = uUses.find((n) => n.op === 'Sub');
  const oneMinusC = oneMinus ? p.uses(oneMinus.name!).find((n) => n.op === 'Mul' && n.input?.some((r) => p.node(r) === tanh)) : undefined;
  const one = oneMinus ? p.through(oneMinus.input?.[0]) : undefined;
  if (!uh || !oneMinusC || constFirst(one) !== 1) return null;
  const hNew = p.uses(uh.name!).find((n) => isAdd(n) && n.input?.some((r) => p.node(r) === oneMinusC));
  if (!hNew || !stateLoop(p, h, hNew)) return null;
  const exits = exitsOf(p, h);
  if (!exits) return null;
  return {
    op: '_TfLoopGRU',
    x: p.scatter.input![2]!,
    params: [gates.kernel.name!, gates.bias.name!, cand.kernel.name!, cand.bias.name!],
    forgetBias: 0,
    steps: p.steps.name!,
    exits,
    outside: [p.scatter.name!, p.ta.name!],
  };
}
