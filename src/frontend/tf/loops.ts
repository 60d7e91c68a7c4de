/**
 * Recognises TF1 `dynamic_rnn` while loops around a BasicLSTMCell / LSTMCell (with or without
 * peepholes and projection), a GRUCell or a BasicRNNCell, and replaces each by one node (`_TfLoopLSTM`,
 * `_TfLoopGRU`, `_TfLoopRNN`) which the op table turns into the IR's LSTM / GRU / RNN. The
 * frame is read structurally, not by names: the loop's Merge nodes (counter and states), the
 * TensorArray the inputs are scattered into (time-major), zero initial states, the trip count
 * from Less, and the cell body:
 *  - LSTM: ConcatV2([x_t, h]) → MatMul(kernel) → BiasAdd → Split(4) in TF's gate order i, j, f,
 *    o, forget bias added to f, c' = c·σ(f+fb) + σ(i)·tanh(j), h' = tanh(c')·σ(o); LSTMCell's
 *    peepholes add w·c to i, f (previous c) and o (new c), its projection multiplies h' by
 *    proj_kernel (see matchLstm);
 *  - GRU: σ(ConcatV2([x_t, h])·Wg + bg) → Split(2) = r, u; c = tanh(ConcatV2([x_t, r·h])·Wc +
 *    bc); h' = u·h + (1 − u)·c;
 *  - RNN: h' = tanh(ConcatV2([x_t, h])·W + b).
 * Each Exit becomes a node of the same name (so its consumers are unchanged) giving the final
 * h (or the LSTM's c); a loop that also writes each step's output to a TensorArray gathered after
 * the loop (dynamic_rnn's outputs) gives that gather's place to a node returning the IR's Y
 * (see stepOutputs). Anything else — another cell, other writes — is left in place, and the
 * reader then refuses the frame, naming it and its ops.
 */
import type { TNode } from './schema.js';
import { parseRefSimple as parseRef } from './refs.js';
import { TfAttrs } from './attrs.js';
import { decodeTfTensor } from './tensor.js';
import { NnInputError } from '../../util/tensor.js';

/** The first value of a Const node (any storage form), or null. */
export function constFirst(n: TNode | undefined): number | null {
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
export function rewriteLstmLoops(nodes: readonly TNode[], source = 'model'): TNode[] {
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
    const m = matchLstm(f, byName, source) ?? matchGru(f, byName) ?? matchRnn(f, byName);
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
        peephole: { value: 'b', b: !!m.peephole },
        projection: { value: 'b', b: !!m.projection },
      },
    }));
    // The replacements go where the frame's first Exit was (their inputs all come before the loop).
    const anchor = result.findIndex((n) => n.op === 'Exit' && f.nodes.has(n.name ?? ''));
    const before = result.slice(0, anchor).filter((n) => !drop.has(n.name ?? ''));
    const after = result.slice(anchor).filter((n) => !drop.has(n.name ?? '') && !repl.some((r) => r.name === n.name));
    result = [...before, ...repl, ...after];
  }
  return result;
}

interface LstmMatch {
  op: '_TfLoopLSTM' | '_TfLoopGRU' | '_TfLoopRNN';
  x: string;
  /**
   * Weight tensors: LSTM/RNN kernel, bias (LSTM then w_i_diag, w_f_diag, w_o_diag with
   * peepholes, then the projection kernel); GRU gates kernel, gates bias, candidate kernel,
   * candidate bias.
   */
  params: string[];
  /** LSTMCell(use_peepholes=True) / LSTMCell(num_proj=...). */
  peephole?: boolean;
  projection?: boolean;
  forgetBias: number;
  /** The trip count as a tensor reference (checked against the sequence length at import). */
  steps: string;
  /** The replaced results: final h (or m), final c, and 'y' every step's output (the gather's name). */
  exits: { exit: string; which: 'h' | 'c' | 'y' }[];
  /** Nodes outside the frame that only feed it (TensorArray, its scatter). */
  outside: string[];
}

/** The addends met walking from a gate's Split output, through single-use Adds, to its activation. */
interface GateChain {
  act: TNode;
  /** Sum of the constant addends (the forget bias). */
  constant: number;
  /** Peephole terms diag·state: the diagonal weights and the state Identity/Add they multiply. */
  peep: { diag: TNode; state: TNode | undefined }[];
}

function gateChain(p: BodyCtx, ref: string): GateChain | null {
  let cur = ref;
  let constant = 0;
  const peep: GateChain['peep'] = [];
  for (;;) {
    const us = p.uses(cur);
    if (us.length !== 1) return null;
    const n = us[0]!;
    if (n.op === 'Sigmoid' || n.op === 'Tanh') return { act: n, constant, peep };
    if (!isAdd(n)) return null;
    const other = (n.input ?? []).find((r) => r !== cur && !(cur.endsWith(':0') && r === cur.slice(0, -2)));
    const o = p.through(other);
    const k = constFirst(o);
    if (k !== null && o?.op === 'Const') constant += k;
    else if (p.node(other)?.op === 'Mul') {
      const mul = p.node(other)!;
      const [a, b] = (mul.input ?? []).map((r) => p.through(r));
      const diag = a?.op === 'Const' ? a : b?.op === 'Const' ? b : undefined;
      if (!diag) return null;
      peep.push({ diag, state: p.node(mul.input?.find((r) => p.through(r) !== diag)) });
    } else return null;
    cur = `${n.name}:0`;
  }
}

const clipOps = new Set(['ClipByValue', 'Minimum', 'Maximum']);

/**
 * BasicLSTMCell, and LSTMCell with or without peepholes (w_i_diag, w_f_diag, w_o_diag) and a
 * projection (num_proj: m = (o·tanh(c))·proj_kernel fed back in place of h):
 *   [i, j, f, o] = [x_t, m]·kernel + bias; c' = σ(f + fb [+ w_f·c])·c + σ(i [+ w_i·c])·tanh(j);
 *   m' = σ(o [+ w_o·c'])·tanh(c') [· proj_kernel].
 * A cell clip or projection clip (clip_by_value on c or m) is refused by name: the IR's LSTM
 * clips gate inputs, not the state.
 */
/** Lookups a cell body is matched with: a loop frame's nodes, or the whole graph for static_rnn. */
export interface BodyCtx {
  node: (ref: string | undefined) => TNode | undefined;
  through: (ref: string | undefined) => TNode | undefined;
  uses: (ref: string) => TNode[];
}

/** One LSTM step found from its Split: what it reads (x, previous h/m and c) and what it gives. */
export interface LstmBody {
  concat: TNode;
  kernel: TNode;
  bias: TNode;
  /** The previous h (m with a projection) and c, as the nodes that feed the step. */
  hPrev: TNode | undefined;
  cPrev: TNode | undefined;
  cNew: TNode;
  /** The new h, or the projected m: the state fed back and the step's output. */
  out: TNode;
  diags: TNode[];
  projKernel: TNode | undefined;
  forgetBias: number;
}

/**
 * BasicLSTMCell, and LSTMCell with or without peepholes (w_i_diag, w_f_diag, w_o_diag) and a
 * projection (num_proj: m = (o·tanh(c))·proj_kernel fed back in place of h):
 *   [i, j, f, o] = [x_t, m]·kernel + bias; c' = σ(f + fb [+ w_f·c])·c + σ(i [+ w_i·c])·tanh(j);
 *   m' = σ(o [+ w_o·c'])·tanh(c') [· proj_kernel].
 * A cell clip or projection clip (clip_by_value on c or m) is refused by name (`fail`): the IR's
 * LSTM clips gate inputs, not the state.
 */
export function lstmBody(p: BodyCtx, split: TNode, fail: (what: string) => never): LstmBody | null {
  if (split.op !== 'Split' || Number(split.attr?.['num_split']?.i ?? 0) !== 4) return null;
  const d = denseStep(p, p.node(split.input?.[1]));
  if (!d) return null;
  const sp = split.name!;
  const [gi, gj, gf, go] = [0, 1, 2, 3].map((k) => gateChain(p, `${sp}:${k}`));
  if (!gi || !gj || !gf || !go) return null;
  if (gi.act.op !== 'Sigmoid' || gj.act.op !== 'Tanh' || gf.act.op !== 'Sigmoid' || go.act.op !== 'Sigmoid') return null;
  if (gj.peep.length || gj.constant || gi.constant || go.constant) return null;
  // c' = σ(f)·c + σ(i)·tanh(j), either operand order.
  const other = (n: TNode, x: TNode) => p.node(n.input?.find((r) => p.node(r) !== x));
  const mulIJ = p.uses(`${gi.act.name}:0`).find((n) => n.op === 'Mul' && other(n, gi.act) === gj.act);
  const mulF = p.uses(`${gf.act.name}:0`).find((n) => n.op === 'Mul');
  if (!mulIJ || !mulF) return null;
  const cNew = p.uses(`${mulIJ.name}:0`).find((n) => isAdd(n) && (n.input ?? []).some((r) => p.node(r) === mulF));
  const cPrev = other(mulF, gf.act);
  if (!cNew) return null;
  if (p.uses(`${cNew.name}:0`).some((n) => clipOps.has(n.op ?? ''))) fail('a cell clip (cell_clip)');
  // Peepholes: i and f read the previous c, o the new one; all three or none.
  const peeps = [gi.peep, gf.peep, go.peep];
  const peephole = peeps.every((q) => q.length === 1);
  if (!peephole && peeps.some((q) => q.length)) return null;
  if (peephole && (gi.peep[0]!.state !== cPrev || gf.peep[0]!.state !== cPrev || go.peep[0]!.state !== cNew)) return null;
  const tanhC = p.uses(`${cNew.name}:0`).find((n) => n.op === 'Tanh');
  const m = tanhC ? p.uses(`${tanhC.name}:0`).find((n) => n.op === 'Mul' && other(n, tanhC) === go.act) : undefined;
  if (!m) return null;
  // Projection: m·proj_kernel is the state fed back.
  const proj = p.uses(`${m.name}:0`).find((n) => n.op === 'MatMul' && p.node(n.input?.[0]) === m);
  const projKernel = proj ? p.through(proj.input?.[1]) : undefined;
  if (proj && projKernel?.op !== 'Const') return null;
  if (proj && p.uses(`${proj.name}:0`).some((n) => clipOps.has(n.op ?? ''))) fail('a projection clip (proj_clip)');
  if (proj && (proj.attr?.['transpose_a']?.b || proj.attr?.['transpose_b']?.b)) return null;
  return {
    ...d, hPrev: p.node(d.concat.input?.[1]), cPrev, cNew, out: proj ?? m,
    diags: peephole ? [gi.peep[0]!.diag, gf.peep[0]!.diag, go.peep[0]!.diag] : [], projKernel, forgetBias: gf.constant,
  };
}

export function unsupportedLstm(source: string, where: string): (what: string) => never {
  return (what) => {
    throw new NnInputError(`${source}: ${where}: an LSTMCell with ${what} is not supported (the IR's LSTM clips gate inputs, not the state); rebuild the cell without it`);
  };
}

function matchLstm(f: Frame, byName: ReadonlyMap<string, TNode>, source: string): LstmMatch | null {
  const p = frameParts(f, byName);
  if (!p) return null;
  const splits = p.inFrame.filter((n) => n.op === 'Split');
  if (splits.length !== 1) return null;
  const b = lstmBody(p, splits[0]!, unsupportedLstm(source, `while loop '${f.name}'`));
  if (!b || p.node(b.concat.input?.[0]) !== p.read) return null;
  const hMerge = mergeOfIdentity(p, b.hPrev);
  const cMerge = mergeOfIdentity(p, b.cPrev);
  if (!hMerge || !cMerge || !stateLoop(p, hMerge, b.out) || !stateLoop(p, cMerge, b.cNew)) return null;
  const ex = exitsOf(p, new Map([[hMerge, 'h'], [cMerge, 'c']]), b.out);
  if (!ex) return null;
  return {
    op: '_TfLoopLSTM',
    x: p.scatter.input![2]!,
    params: lstmParams(b),
    forgetBias: b.forgetBias,
    steps: p.steps.name!,
    ...ex,
    peephole: b.diags.length > 0,
    projection: !!b.projKernel,
  };
}

export const lstmParams = (b: LstmBody) => [b.kernel.name!, b.bias.name!, ...b.diags.map((d) => d.name!), ...(b.projKernel ? [b.projKernel.name!] : [])];

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
  /** The TensorArrayWriteV3 storing each step's output (dynamic_rnn's outputs), if any. */
  write: TNode | undefined;
  byName: ReadonlyMap<string, TNode>;
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
  const writes = inFrame.filter((n) => n.op?.startsWith('TensorArrayWrite'));
  if (reads.length !== 1 || less.length !== 1 || writes.length > 1 || (writes[0] && writes[0].op !== 'TensorArrayWriteV3')) return null;
  const read = reads[0]!;
  const scatter = through(read.input?.[2]);
  if (scatter?.op !== 'TensorArrayScatterV3') return null;
  const ta = node(scatter.input?.[0]);
  const steps = through(less[0]!.input?.[1]);
  if (!ta || !steps) return null;
  return { inFrame, node, through, uses, read, scatter, ta, steps, counter: node(less[0]!.input?.[0]), write: writes[0], byName };
}

/**
 * dynamic_rnn's per-step outputs: a TensorArrayWriteV3 of `state` at the loop counter, its flow
 * looping through a Merge and leaving by an Exit, and after the loop a TensorArrayGatherV3 of
 * every step ([T, N, H], time-major). Returns that flow Merge, the gather (which the loop's
 * replacement takes the place of) and the nodes outside the frame that only serve it; `none`
 * when the loop writes nothing; null when it writes something else.
 */
function stepOutputs(p: FrameParts, state: TNode): { merge: TNode; gather: TNode; outside: string[] } | 'none' | null {
  const w = p.write;
  if (!w) return 'none';
  if (p.node(w.input?.[2]) !== state) return null;
  const idx = p.node(w.input?.[1]);
  if (idx?.op !== 'Identity' || p.node(p.node(idx.input?.[0])?.input?.[0]) !== p.counter) return null;
  const merge = mergeOfIdentity(p, p.node(w.input?.[3]));
  if (!merge || p.node(p.node(merge.input?.[1])?.input?.[0]) !== w) return null;
  const handle = p.through(w.input?.[0]);
  const exit = p.inFrame.find((n) => n.op === 'Exit' && p.node(p.node(n.input?.[0])?.input?.[0]) === merge);
  if (handle?.op !== 'TensorArrayV3' || !exit) return null;
  const gathers = [...p.byName.values()].filter((n) => n.op === 'TensorArrayGatherV3' && p.node(n.input?.[2]) === exit);
  if (gathers.length !== 1 || p.through(gathers[0]!.input?.[0]) !== handle) return null;
  const gather = gathers[0]!;
  // indices: Range(0, TensorArraySizeV3(handle, flow), 1) — every step, in order.
  const range = p.node(gather.input?.[1]);
  const size = range?.op === 'Range' ? p.node(range.input?.[1]) : undefined;
  if (range?.op !== 'Range' || constFirst(p.through(range.input?.[0])) !== 0 || constFirst(p.through(range.input?.[2])) !== 1) return null;
  if (size?.op !== 'TensorArraySizeV3') return null;
  return { merge, gather, outside: [handle.name!, range.name!, size.name!, gather.name!] };
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

type Exits = LstmMatch['exits'];

/**
 * The loop's results: an Exit per state Merge read (`states`: merge → which), and with per-step
 * outputs (stepOutputs) the gather of every step as 'y'. Null when an Exit leaves through
 * another Merge.
 */
function exitsOf(p: FrameParts, states: ReadonlyMap<TNode, 'h' | 'c'>, out: TNode): { exits: Exits; outside: string[] } | null {
  const y = stepOutputs(p, out);
  if (y === null) return null;
  const exits: Exits = [];
  for (const n of p.inFrame) {
    if (n.op !== 'Exit') continue;
    const m = p.node(p.node(n.input?.[0])?.input?.[0]);
    if (m === p.counter || (y !== 'none' && m === y.merge)) continue;
    const which = m ? states.get(m) : undefined;
    if (!which) return null;
    exits.push({ exit: n.name!, which });
  }
  if (y !== 'none') exits.push({ exit: y.gather.name!, which: 'y' });
  return exits.length ? { exits, outside: [p.scatter.name!, p.ta.name!, ...(y === 'none' ? [] : y.outside)] } : null;
}

const isAdd = (n: TNode | undefined) => n?.op === 'Add' || n?.op === 'AddV2';

/** MatMul(ConcatV2([x_t or r·h, ...]), kernel) + bias: the dense step of a cell. */
function denseStep(p: BodyCtx, ba: TNode | undefined): { concat: TNode; kernel: TNode; bias: TNode } | null {
  if (ba?.op !== 'BiasAdd') return null;
  const mm = p.node(ba.input?.[0]);
  const concat = p.node(mm?.input?.[0]);
  const kernel = p.through(mm?.input?.[1]);
  const bias = p.through(ba.input?.[1]);
  if (mm?.op !== 'MatMul' || concat?.op !== 'ConcatV2' || kernel?.op !== 'Const' && kernel?.op !== 'Identity' || !bias) return null;
  return { concat, kernel: kernel!, bias };
}

/** One step of any recognised cell: what it reads and gives (see lstmBody, gruBody, rnnBody). */
export interface StepBody {
  op: LstmMatch['op'];
  /** The step's input x_t (the first operand of its ConcatV2s). */
  x: TNode | undefined;
  xRef: string | undefined;
  hPrev: TNode | undefined;
  /** The new h (or projected m): the state fed back and the step's output. */
  out: TNode;
  /** LSTM only: the previous and new c. */
  cPrev?: TNode | undefined;
  cNew?: TNode;
  params: string[];
  forgetBias: number;
  peephole: boolean;
  projection: boolean;
}

export function lstmStep(p: BodyCtx, split: TNode, fail: (what: string) => never): StepBody | null {
  const b = lstmBody(p, split, fail);
  if (!b) return null;
  return {
    op: '_TfLoopLSTM', x: p.node(b.concat.input?.[0]), xRef: b.concat.input?.[0], hPrev: b.hPrev, out: b.out, cPrev: b.cPrev, cNew: b.cNew,
    params: lstmParams(b), forgetBias: b.forgetBias, peephole: b.diags.length > 0, projection: !!b.projKernel,
  };
}

/** BasicRNNCell: h' = tanh([x_t, h]·W + b), found from its Tanh. */
export function rnnStep(p: BodyCtx, tanh: TNode): StepBody | null {
  if (tanh.op !== 'Tanh') return null;
  const d = denseStep(p, p.node(tanh.input?.[0]));
  if (!d) return null;
  return {
    op: '_TfLoopRNN', x: p.node(d.concat.input?.[0]), xRef: d.concat.input?.[0], hPrev: p.node(d.concat.input?.[1]), out: tanh,
    params: [d.kernel.name!, d.bias.name!], forgetBias: 0, peephole: false, projection: false,
  };
}

/** GRUCell: r, u = split(σ([x_t, h]·Wg + bg)); c = tanh([x_t, r·h]·Wc + bc); h' = u·h + (1 − u)·c, found from its Split. */
export function gruStep(p: BodyCtx, split: TNode): StepBody | null {
  if (split.op !== 'Split' || Number(split.attr?.['num_split']?.i ?? 0) !== 2) return null;
  const sig = p.node(split.input?.[1]);
  if (sig?.op !== 'Sigmoid') return null;
  const gates = denseStep(p, p.node(sig.input?.[0]));
  if (!gates) return null;
  const hId = p.node(gates.concat.input?.[1]);
  if (!hId) return null;
  // r·h feeds the candidate's concat.
  const rh = p.uses(`${split.name}:0`).find((n) => n.op === 'Mul' && n.input?.some((r) => p.node(r) === hId));
  if (!rh) return null;
  const candConcat = p.uses(`${rh.name}:0`).find((n) => n.op === 'ConcatV2');
  const candMm = candConcat ? p.uses(`${candConcat.name}:0`).find((n) => n.op === 'MatMul') : undefined;
  const candBa = candMm ? p.uses(`${candMm.name}:0`).find((n) => n.op === 'BiasAdd') : undefined;
  const cand = denseStep(p, candBa);
  const x = p.node(gates.concat.input?.[0]);
  if (!cand || cand.concat !== candConcat || p.node(cand.concat.input?.[0]) !== x) return null;
  const tanh = p.uses(`${candBa!.name}:0`).find((n) => n.op === 'Tanh');
  if (!tanh) return null;
  // h' = u·h + (1 − u)·c: an Add of a Mul using u and h and a Mul using (1 − u) and c.
  const uUses = p.uses(`${split.name}:1`);
  const uh = uUses.find((n) => n.op === 'Mul' && n.input?.some((r) => p.node(r) === hId));
  const oneMinus = uUses.find((n) => n.op === 'Sub');
  const oneMinusC = oneMinus ? p.uses(`${oneMinus.name}:0`).find((n) => n.op === 'Mul' && n.input?.some((r) => p.node(r) === tanh)) : undefined;
  const one = oneMinus ? p.through(oneMinus.input?.[0]) : undefined;
  if (!uh || !oneMinusC || constFirst(one) !== 1) return null;
  const hNew = p.uses(`${uh.name}:0`).find((n) => isAdd(n) && n.input?.some((r) => p.node(r) === oneMinusC));
  if (!hNew) return null;
  return {
    op: '_TfLoopGRU', x, xRef: gates.concat.input?.[0], hPrev: hId, out: hNew,
    params: [gates.kernel.name!, gates.bias.name!, cand.kernel.name!, cand.bias.name!], forgetBias: 0, peephole: false, projection: false,
  };
}

/** A one-state cell's while loop: its step reads the TensorArray and loops h back. */
function matchOneState(p: FrameParts | null, body: StepBody | null): LstmMatch | null {
  if (!p || !body || body.x !== p.read) return null;
  const h = mergeOfIdentity(p, body.hPrev);
  if (!h || !stateLoop(p, h, body.out)) return null;
  const ex = exitsOf(p, new Map([[h, 'h']]), body.out);
  if (!ex) return null;
  return { op: body.op, x: p.scatter.input![2]!, params: body.params, forgetBias: 0, steps: p.steps.name!, ...ex };
}

function matchRnn(f: Frame, byName: ReadonlyMap<string, TNode>): LstmMatch | null {
  const p = frameParts(f, byName);
  if (!p || p.inFrame.filter((n) => n.op === 'MatMul').length !== 1 || p.inFrame.some((n) => n.op === 'Split')) return null;
  const tanh = p.inFrame.find((n) => n.op === 'Tanh' && rnnStep(p, n)?.x === p.read);
  return tanh ? matchOneState(p, rnnStep(p, tanh)) : null;
}

function matchGru(f: Frame, byName: ReadonlyMap<string, TNode>): LstmMatch | null {
  const p = frameParts(f, byName);
  if (!p || p.inFrame.filter((n) => n.op === 'MatMul').length !== 2) return null;
  const splits = p.inFrame.filter((n) => n.op === 'Split');
  if (splits.length !== 1) return null;
  return matchOneState(p, gruStep(p, splits[0]!));
}
