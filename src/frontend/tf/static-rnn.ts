/**
 * Recognises TF1 `static_rnn` cells (BasicLSTMCell/LSTMCell, GRUCell, BasicRNNCell): the cell
 * unrolled once per time step with shared weights (the same kernel, bias, peepholes and
 * projection in every step), each step reading one output of an Unpack of the input sequence
 * and the previous step's h (or m) and c, the first step zeros. The chain becomes one
 * `_TfLoop*` node per result the rest of the graph reads — the last step's h (or projected m),
 * the LSTM's last c, or a Pack of every step's output (the sequence) —
 * each named after the node it replaces, so consumers are unchanged; the loop converter
 * (convert.ts loopCell) turns them into the IR's LSTM. A chain whose intermediate values are
 * read elsewhere is left as it is (its ops are imported one by one, which is still exact).
 * Preconditions: while-loop frames were already rewritten (loops.ts).
 */
import { parseRefSimple as parseRef } from './refs.js';
import { constFirst, type BodyCtx, gruStep, lstmStep, rnnStep, type StepBody, unsupportedLstm } from './loops.js';
import type { TNode } from './schema.js';

const enc = (s: string) => new TextEncoder().encode(s);

/** A zero initial state: a Fill of 0 or an all-zero Const (zero_state). */
function isZeros(p: BodyCtx, n: TNode | undefined): boolean {
  const v = n?.op === 'Fill' ? p.through(n.input?.[1]) : n;
  if (v?.op !== 'Const') return false;
  const t = v.attr?.['value']?.tensor;
  return constFirst(v) === 0 && !t?.tensorContent?.some((b) => b !== 0) && !(t?.floatVal ?? []).some((x) => x !== 0);
}

export function rewriteStaticRnn(nodes: readonly TNode[], source = 'model'): TNode[] {
  const byName = new Map(nodes.map((n) => [n.name ?? '', n]));
  const byRef = new Map<string, TNode[]>();
  for (const n of nodes) {
    for (const i of n.input ?? []) {
      if (i.startsWith('^')) continue;
      const [src, k] = parseRef(i);
      const key = `${src}:${k}`;
      byRef.set(key, [...(byRef.get(key) ?? []), n]);
    }
  }
  const norm = (ref: string) => {
    const [src, k] = parseRef(ref);
    return `${src}:${k}`;
  };
  const node = (ref: string | undefined) => (ref ? byName.get(parseRef(ref)[0]) : undefined);
  const p: BodyCtx = {
    node,
    through: (ref) => {
      let n = node(ref);
      while (n && (n.op === 'Identity' || n.op === 'Enter')) n = node(n.input?.[0]);
      return n;
    },
    uses: (ref) => byRef.get(norm(ref)) ?? [],
  };
  // Every cell step whose input is an Unpack output, grouped by its weights.
  const groups = new Map<string, { body: StepBody; t: number; unpack: TNode }[]>();
  for (const n of nodes) {
    const b = n.op === 'Split' ? (lstmStep(p, n, unsupportedLstm(source, `static_rnn LSTM step '${n.name}'`)) ?? gruStep(p, n)) : n.op === 'Tanh' ? rnnStep(p, n) : null;
    if (!b || b.x?.op !== 'Unpack' || !b.xRef) continue;
    const key = [b.op, ...b.params].join('|');
    groups.set(key, [...(groups.get(key) ?? []), { body: b, t: parseRef(b.xRef)[1], unpack: b.x }]);
  }
  let result = [...nodes];
  for (const steps of groups.values()) {
    const unpack = steps[0]!.unpack;
    const T = Number(unpack.attr?.['num']?.i ?? 0);
    const axis = Number(unpack.attr?.['axis']?.i ?? 0);
    if (steps.length !== T || T < 2 || (axis !== 0 && axis !== 1) || steps.some((s) => s.unpack !== unpack)) continue;
    steps.sort((a, b) => a.t - b.t);
    if (steps.some((s, t) => s.t !== t)) continue;
    const lstm = steps[0]!.body.op === '_TfLoopLSTM';
    // The chain: zeros into step 0, each step's h/m and c into the next.
    const chained = steps.every(({ body }, t) =>
      t === 0
        ? isZeros(p, p.through(body.hPrev?.name)) && (!lstm || isZeros(p, p.through(body.cPrev?.name)))
        : p.through(body.hPrev?.name) === steps[t - 1]!.body.out && (!lstm || p.through(body.cPrev?.name) === steps[t - 1]!.body.cNew));
    if (!chained) continue;
    const last = steps[T - 1]!.body;
    // The chain's own nodes: everything the last step's results depend on, back to the Unpack,
    // the weights (Const reads), and the zero states.
    const chain = new Set<string>();
    const stack: TNode[] = [last.out, ...(last.cNew ? [last.cNew] : [])];
    while (stack.length) {
      const n = stack.pop()!;
      if (chain.has(n.name!) || n === unpack || n.op === 'Fill' || n.op === 'Const' || p.through(n.name)?.op === 'Const') continue;
      chain.add(n.name!);
      for (const i of n.input ?? []) {
        const m = node(i.replace(/^\^/, ''));
        if (m) stack.push(m);
      }
    }
    // What the rest of the graph reads: the last h/m, the last c, a Pack of every step's output.
    const outs = steps.map((s) => s.body.out);
    const results: { name: string; which: 'h' | 'c' | 'y'; yTimeMajor: boolean }[] = [];
    let ok = true;
    for (const name of chain) {
      for (const [key, users] of byRef) {
        if (parseRef(key)[0] !== name) continue;
        for (const u of users) {
          if (chain.has(u.name!)) continue;
          const n = byName.get(name)!;
          const pack = u.op === 'Pack' && (u.input ?? []).length === T && (u.input ?? []).every((r, t) => node(r) === outs[t]) && [0, 1].includes(Number(u.attr?.['axis']?.i ?? 0));
          let which: 'h' | 'c' | 'y' | null = null;
          if (pack) which = 'y';
          else if (n === last.out) which = 'h';
          else if (lstm && n === last.cNew) which = 'c';
          if (!which) ok = false;
          else {
            const rname = which === 'y' ? u.name! : name;
            if (!results.some((r) => r.name === rname)) results.push({ name: rname, which, yTimeMajor: which === 'y' && Number(u.attr?.['axis']?.i ?? 0) === 0 });
          }
        }
      }
    }
    // An unread last output is a graph output (a sink): it stays one.
    if (!p.uses(`${last.out.name}:0`).length) results.push({ name: last.out.name!, which: 'h', yTimeMajor: false });
    if (!ok || !results.length) continue;
    const drop = new Set([...chain, ...results.filter((r) => r.which === 'y').map((r) => r.name)]);
    const repl: TNode[] = results.map((r) => ({
      name: r.name,
      op: last.op,
      input: [unpack.input![0]!, ...last.params],
      attr: {
        forget_bias: { value: 'f', f: last.forgetBias },
        output: { value: 's', s: enc(r.which) },
        frame_name: { value: 's', s: enc(`static_rnn ${last.params[0]}`) },
        peephole: { value: 'b', b: last.peephole },
        projection: { value: 'b', b: last.projection },
        unrolled: { value: 'b', b: true },
        x_time_major: { value: 'b', b: axis === 0 },
        y_time_major: { value: 'b', b: r.yTimeMajor },
      },
    }));
    // The replacements go where the chain began (their inputs all come before it).
    const anchor = result.findIndex((n) => drop.has(n.name ?? ''));
    const before = result.slice(0, anchor);
    const after = result.slice(anchor).filter((n) => !drop.has(n.name ?? ''));
    result = [...before, ...repl, ...after];
  }
  return result;
}
