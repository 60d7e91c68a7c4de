/**
 * The quantize pass's part for the recurrent layers LSTM, GRU and RNN: types the constants
 * (W `weight`, R `recurrent_weight` falling back to `weight`, B `bias`, peepholes P `weight`,
 * constant initial states in the hidden/state types), chooses the node's internal types — gate
 * pre-activation `gate`, cell state `state`, activation outputs `table`, all defaulting to the
 * layer's result type — derives the gate accumulator so that no partial sum of any gate of any
 * direction can overflow (unless `accum` is configured), and builds one lookup table per
 * (direction, activation slot) that needs one, sharing identical tables. The semantics these
 * types feed are in docs/fixed-point.md ("LSTM, GRU, RNN") and src/sim/fixed/kernels/recurrent.ts.
 * Returns the types of the node's outputs Y, Y_h (result type) and Y_c (state type).
 */
import { type FixedType, fracBits } from '../ir/fixed.js';
import { isConst, type Node } from '../ir/graph.js';
import { type PrecisionConfig, resolveTableRange, resolveTableSize, resolveType, DEFAULT_TYPE } from '../ir/precision-config.js';
import { type NodePrecision, rawRange, type TableSpec, tableGeometry, maxAbsRaw, typeHolding, actParamType } from '../ir/precision.js';
import { RECURRENT_SLOTS, recurrentActivations } from '../ir/semantics/recurrent.js';
import { NnInputError } from '../util/tensor.js';
import type { Quantizer } from './quantize.js';

type RecNode = Node<'LSTM'> | Node<'GRU'> | Node<'RNN'>;

/** Mutable internal-precision record the Quantizer fills for a node (NodePrecision's fields, writable). */
export type PrecDraft = { -readonly [F in keyof NodePrecision]: NodePrecision[F] };

function setting(cfg: PrecisionConfig, n: RecNode, v: 'weight' | 'bias' | 'accum' | 'table' | 'gate' | 'state' | 'recurrent_weight'): FixedType | undefined {
  return resolveType(cfg, n.name, n.op, v);
}

export function quantizeRecurrent(q: Quantizer, n: RecNode, inputs: string[], prec: PrecDraft): FixedType[] {
  const where = `${q.g.source}: node '${n.name}' (${n.op})`;
  const cfg = q.cfg;
  const op = n.op;
  const a = n.attrs;
  let acts;
  try {
    acts = recurrentActivations(n);
  } catch (e) {
    if (e instanceof NnInputError) throw new NnInputError(`${q.g.source}: ${e.message}`);
    throw e;
  }
  const slots = RECURRENT_SLOTS[op];

  // Types of the node.
  const R = q.resultType(n);
  const G = setting(cfg, n, 'gate') ?? R;
  const S = setting(cfg, n, 'state') ?? R;
  const Ta = setting(cfg, n, 'table') ?? R;
  const wT = setting(cfg, n, 'weight') ?? DEFAULT_TYPE;
  const rT = setting(cfg, n, 'recurrent_weight') ?? wT;
  const bT = setting(cfg, n, 'bias') ?? DEFAULT_TYPE;

  // Constants. The fixed-point kernel bakes them in; a per-sample W/R/B/P has no weighted-sum
  // semantics here (it would be a run-time matrix product).
  const constSlot = (slot: number, what: string, t: FixedType) => {
    const name = n.inputs[slot];
    if (!name) return;
    if (!isConst(q.values.get(name)!)) {
      throw new NnInputError(`${where}: ${what} is computed at run time; fixed point needs it constant (export the weights as initializers)`);
    }
    inputs[slot] = q.constTyped(n, slot, t);
  };
  constSlot(1, 'W', wT);
  constSlot(2, 'R', rT);
  constSlot(3, 'B', bT);
  if (op === 'LSTM') constSlot(6, 'P', wT);
  // Initial states: constants are stored in the type the state has inside the cell; run-time
  // ones keep their producer's type and the kernel casts them on entry.
  const stateSlot = (slot: number, t: FixedType) => {
    const name = n.inputs[slot];
    if (name && isConst(q.values.get(name)!)) inputs[slot] = q.constTyped(n, slot, t);
  };
  stateSlot(4, R);
  if (op === 'LSTM') stateSlot(5, S);

  // Derived accumulator: exact products, every partial sum of every gate row fits.
  const xT = q.type(n.inputs[0]!);
  const x = q.values.get(n.inputs[0]!)!;
  const I = x.shape[x.shape.length - 1]!;
  const H = a.hidden;
  const D = a.direction === 'bidirectional' ? 2 : 1;
  const GH = (op === 'LSTM' ? 4 : op === 'GRU' ? 3 : 1) * H;
  let A = setting(cfg, n, 'accum');
  if (!A) {
    const pName = op === 'LSTM' ? inputs[6] || undefined : undefined;
    const pT = pName ? q.type(pName) : undefined;
    const fX = fracBits(xT) + fracBits(wT);
    const fH = fracBits(R) + fracBits(rT);
    const fB = inputs[3] ? fracBits(bT) : -Infinity;
    const fP = pT ? fracBits(S) + fracBits(pT) : -Infinity;
    const fa = Math.max(fX, fH, fB, fP);
    const w = q.raws(inputs[1]!);
    const r = q.raws(inputs[2]!);
    const b = inputs[3] ? q.raws(inputs[3]) : undefined;
    const p = pName ? q.raws(pName) : undefined;
    const xMax = maxAbsRaw(xT);
    const hMax = maxAbsRaw(R);
    const sMax = maxAbsRaw(S);
    let bound = 0;
    for (let d = 0; d < D; d++) {
      for (let k = 0; k < GH; k++) {
        let s = 0;
        for (let i = 0; i < I; i++) s += Math.abs(w[(d * GH + k) * I + i]!) * xMax * 2 ** (fa - fX);
        for (let j = 0; j < H; j++) s += Math.abs(r[(d * GH + k) * H + j]!) * hMax * 2 ** (fa - fH);
        if (b) s += (Math.abs(b[d * 2 * GH + k]!) + Math.abs(b[d * 2 * GH + GH + k]!)) * 2 ** (fa - fB);
        // P = [Pi, Po, Pf] lines up with the gate blocks i, o, f.
        if (p && k < 3 * H) s += Math.abs(p[d * 3 * H + k]!) * sMax * 2 ** (fa - fP);
        bound = Math.max(bound, s);
      }
    }
    A = typeHolding(bound, fa);
  }
  prec.accum = A;

  // Activations: tables (shared when identical) and the parameter types of the exact ones.
  const types: Record<string, FixedType> = { gate: G, state: S, hidden: R, act: Ta };
  const tables: Record<string, TableSpec> = {};
  const built = new Map<string, TableSpec>();
  const size = resolveTableSize(cfg, n.name, op);
  const userRange = resolveTableRange(cfg, n.name, op);
  for (let d = 0; d < D; d++) {
    slots.forEach((slot, k) => {
      const act = acts[d]![k]!;
      const role = `${slot}${d}`;
      const inT = slot === 'h' ? S : G;
      if (act.kind === 'table') {
        const F = fracBits(inT);
        const [lo, hi] = rawRange(inT).map((v) => v * 2 ** -F) as [number, number];
        const range = userRange ?? (act.fn === 'sigmoid' || act.fn === 'tanh' ? [-8, 8] : [lo, hi + 2 ** -F]);
        const spec = { fn: act.fn, params: [...act.params], inType: inT, ...tableGeometry(inT, range[0], range[1], size) };
        const key = JSON.stringify(spec);
        let t = built.get(key);
        if (!t) {
          t = q.addTable(n, role, spec, Ta);
          built.set(key, t);
        }
        tables[role] = t;
      } else if (act.kind === 'leakyrelu') {
        types[`${role}_alpha`] = actParamType(act.alpha);
      } else if (act.kind === 'affine') {
        types[`${role}_alpha`] = actParamType(act.alpha);
        types[`${role}_beta`] = actParamType(act.beta);
      }
    });
  }
  prec.types = types;
  if (Object.keys(tables).length) prec.tables = tables;
  return [R, R, S];
}
