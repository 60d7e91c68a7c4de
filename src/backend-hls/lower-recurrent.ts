/**
 * Lowering of the recurrent layers LSTM, GRU and RNN -> nn2hls::recurrent (nn_recurrent.h).
 * Every type comes from the quantize pass (node.prec: accum, types gate/state/hidden/act and the
 * activations' alpha/beta, tables per role `<slot><direction>`); every constant the kernel
 * compares or multiplies with (clip thresholds and results, thresholds, α, β) is read from its
 * raws (prec.raws, src/ir/semantics/derived-raws.ts), which the simulator reads too. Only the output Y is supported
 * (a layer has one output array).
 * Schedules (the tiling pass's strategy/reuse, src/passes/tile.ts): latency unrolls every
 * product of a time step with W and R in registers; resource folds them by the reuse factor
 * with the weights in ROMs laid out as the kernel's reuse loop reads them (one ROM per pass,
 * [D][I+H][rows of the pass], W's and R's raws re-expressed in one type that holds both
 * exactly, so the products are the same numbers). In io_stream a forward one-directional
 * layer whose initial states are constants streams natively (a time step in, a hidden state
 * out); reverse and bidirectional layers buffer their tensors (they read x backwards).
 */
import { type FixedType, fixedType, fracBits, renderType } from '../ir/fixed.js';
import { isConst, type Node, numel, valueOf } from '../ir/graph.js';
import { RECURRENT_SLOTS, recurrentActivations, type RecurrentAct } from '../ir/semantics/recurrent.js';
import { Cfg, type ConstArray, constArray, DUMMY_ARRAY, DUMMY_T, type Layer, type LowerContext, ownArray, plainFacts, tableStruct, unsupported } from './layer.js';
import { constRaws } from './literals.js';

type RecNode = Node<'LSTM'> | Node<'GRU'> | Node<'RNN'>;

const DUMMY_FIXED = 'ap_fixed<2,2>';
const DUMMY_TAB = 'struct tab {\n  static const long long base = 0LL;\n  static const unsigned shift = 0;\n  static const unsigned size = 1;\n  static const int iw = 2;\n};';

/** A type representing every value of `a` and of `b` exactly (default modes: nothing is cast into it inexactly). */
function covering(a: FixedType, b: FixedType): FixedType {
  const signed = a.signed || b.signed;
  const f = Math.max(fracBits(a), fracBits(b));
  const intOf = (t: FixedType) => (signed && !t.signed ? t.int + 1 : t.int);
  const int = Math.max(intOf(a), intOf(b));
  return fixedType(Math.max(1, int + f), int, { signed });
}

/**
 * The resource schedule's ROM of one pass: rows [row0, row0+nr) of every direction, laid out
 * [D][I+H][nr] (input-major, as the reuse loop reads them), W's and R's raws in `wrT`.
 */
function passRaws(w: { raws: readonly bigint[]; type: FixedType }, r: { raws: readonly bigint[]; type: FixedType }, wrT: FixedType, D: number, GH: number, I: number, H: number, row0: number, nr: number): bigint[] {
  const up = (raw: bigint, t: FixedType) => raw << BigInt(fracBits(wrT) - fracBits(t));
  const out: bigint[] = [];
  for (let d = 0; d < D; d++) {
    for (let i = 0; i < I + H; i++) {
      for (let m = 0; m < nr; m++) {
        const k = row0 + m;
        out.push(i < I ? up(w.raws[(d * GH + k) * I + i]!, w.type) : up(r.raws[(d * GH + k) * H + (i - I)]!, r.type));
      }
    }
  }
  return out;
}

export function lowerRecurrent(ctx: LowerContext, node: RecNode): Layer {
  const { g } = ctx;
  const id = ctx.names.fresh(node.name, 'layer');
  const cfg = ctx.names.fresh(`cfg_${id}`);
  const strategy = ctx.strategyOf(node);
  const reuse = ctx.reuseOf(node);
  const op = node.op;
  const a = node.attrs;
  const prec = node.prec;
  const A = prec?.accum;
  const types = prec?.types;
  if (!A || !types) throw new Error(`internal: ${node.name} has no recurrent types (run the quantize pass)`);
  const { gate: G, state: S, hidden: Hy, act: Ta } = types;
  const raw = (k: `${string}_${'thr' | 'hi' | 'lo' | 'alpha' | 'beta'}`): bigint => {
    const v = prec?.raws?.[k];
    if (v === undefined) throw new Error(`internal: ${node.name} has no ${k} raw (run the quantize pass)`);
    return v;
  };
  const resource = strategy === 'resource';
  // The latency schedule has no reuse loop (the tiling pass turns a latency reuse > 1 into the
  // resource schedule), so a reuse factor reaching it is an internal error, not ignored.
  if (!resource && reuse !== 1) throw new Error(`internal: ${node.name} has the latency schedule with reuse ${reuse}`);
  if (!node.outputs[0]) unsupported(node, 'only the output Y is supported (not Y_h/Y_c); take its last time step instead');
  const x = valueOf(g, node.inputs[0]!);
  const y = valueOf(g, node.outputs[0]!);
  if (renderType(y.fixed!) !== renderType(Hy)) throw new Error(`internal: ${node.name} output type differs from its hidden type`);
  const T = x.shape[x.shape.length - 2]!;
  const I = x.shape[x.shape.length - 1]!;
  const rows = numel(x.shape) / (T * I);
  const H = a.hidden;
  const D = a.direction === 'bidirectional' ? 2 : 1;
  const gates = op === 'LSTM' ? 4 : op === 'GRU' ? 3 : 1;
  const GH = gates * H;
  const consts: ConstArray[] = [];
  const dyn: string[] = [node.inputs[0]!];
  const typeOf = (slot: number) => valueOf(g, node.inputs[slot]!).fixed!;

  const nXh = I + H;
  // Resource: valid reuse (tile.ts) folds each block of H rows evenly over n_xh = I + H terms.
  const kb = resource ? (reuse <= nXh ? nXh / reuse : 1) : nXh;
  const mr = resource && reuse > nXh ? reuse / nXh : 1;
  if (resource && (!Number.isInteger(kb) || H % mr !== 0)) throw new Error(`internal: invalid reuse ${reuse} for ${node.name} (${nXh} terms, ${H} hidden)`);
  // GRU without linear_before_reset: r gates the candidate rows' h terms, so they are a second pass.
  const twoPass = node.op === 'GRU' && !node.attrs.linearBeforeReset;
  const rows0 = twoPass ? 2 * H : GH;
  const rows1 = twoPass ? H : 0;
  const block0 = resource ? (kb * rows0) / mr : 1;
  const block1 = resource && twoPass ? (kb * rows1) / mr : 1;
  const wT = typeOf(1);
  const rT = typeOf(2);
  const wrT = resource ? covering(wT, rT) : null;
  const xhT = resource ? covering(x.fixed!, Hy) : null;
  let wId: string;
  let rId: string;
  if (wrT) {
    const wRaws = constRaws(g, node.inputs[1]!);
    const rRaws = constRaws(g, node.inputs[2]!);
    const what = twoPass ? 'z and r rows' : 'all gate rows';
    wId = ownArray(ctx, consts, `wr_${id}`, wrT, passRaws(wRaws, rRaws, wrT, D, GH, I, H, 0, rows0), `input and recurrent weights [${D}][${nXh}][${rows0}] (${what}) of ${id}, one reuse step per ${block0} elements`);
    rId = twoPass
      ? ownArray(ctx, consts, `wr1_${id}`, wrT, passRaws(wRaws, rRaws, wrT, D, GH, I, H, 2 * H, rows1), `input and recurrent weights [${D}][${nXh}][${rows1}] (candidate rows) of ${id}, one reuse step per ${block1} elements`)
      : DUMMY_ARRAY;
  } else {
    wId = constArray(ctx, consts, node.inputs[1]!, `w_${id}`, `input weights [${D}][${GH}][${I}] of ${id}`);
    rId = constArray(ctx, consts, node.inputs[2]!, `r_${id}`, `recurrent weights [${D}][${GH}][${H}] of ${id}`);
  }
  const sizeOf = (arr: string) => (arr === DUMMY_ARRAY ? 1 : consts.find((k) => k.id === arr)?.items.length ?? 1);
  const hasBias = !!node.inputs[3];
  const bId = hasBias ? constArray(ctx, consts, node.inputs[3]!, `b_${id}`, `biases [${D}][${2 * GH}] of ${id}`) : DUMMY_ARRAY;
  const hasPeep = op === 'LSTM' && !!node.inputs[6];
  const pId = hasPeep ? constArray(ctx, consts, node.inputs[6]!, `p_${id}`, `peepholes [${D}][${3 * H}] of ${id}`) : DUMMY_ARRAY;
  // Initial states: constants become arrays, run-time ones are inputs of the call.
  const state = (slot: number, what: string): { arr: string | null; t: FixedType | string; has: boolean } => {
    const name = node.inputs[slot];
    if (!name) return { arr: DUMMY_ARRAY, t: DUMMY_T, has: false };
    const v = valueOf(g, name);
    if (numel(v.shape) !== rows * D * H) unsupported(node, `initial ${what} has ${numel(v.shape)} elements, expected ${rows * D * H}`);
    if (isConst(v)) return { arr: constArray(ctx, consts, name, `${what}0_${id}`, `initial ${what} of ${id}`), t: v.fixed!, has: true };
    dyn.push(name);
    return { arr: null, t: v.fixed!, has: true };
  };
  const h0 = state(4, 'h');
  const c0 = op === 'LSTM' ? state(5, 'c') : { arr: DUMMY_ARRAY, t: DUMMY_T, has: false };

  // Activations per direction and slot.
  const acts = recurrentActivations(node);
  const slots = RECURRENT_SLOTS[op];
  const tableIds: string[][] = [];
  const dirStructs: string[] = [];
  for (let d = 0; d < D; d++) {
    const ids: string[] = [];
    const members: string[] = [];
    for (const slot of ['f', 'g', 'h'] as const) {
      const k = slots.indexOf(slot as never);
      if (k < 0) {
        // Slot the cell does not have: an unused stand-in (never called).
        members.push(new Cfg(slot).i('kind', 'nn2hls::RA_RELU').type('table_t', DUMMY_T).type('alpha_t', DUMMY_FIXED).type('beta_t', DUMMY_FIXED)
          .ll('thr', 0).ll('alpha_raw', 0).ll('beta_raw', 0).nested(DUMMY_TAB).render());
        ids.push(DUMMY_ARRAY);
        continue;
      }
      const act: RecurrentAct = acts[d]![k]!;
      const role = `${slot}${d}`;
      const inT = slot === 'h' ? S : G;
      const c = new Cfg(slot);
      let tableT: FixedType | string = DUMMY_T;
      let tab = DUMMY_TAB;
      let alphaT: FixedType | string = DUMMY_FIXED;
      let betaT: FixedType | string = DUMMY_FIXED;
      let thr = 0n;
      let alphaRaw = 0n;
      let betaRaw = 0n;
      let kind: string;
      let arr = DUMMY_ARRAY;
      switch (act.kind) {
        case 'table': {
          const spec = prec!.tables?.[role];
          if (!spec) throw new Error(`internal: ${node.name} has no table for ${role}`);
          tableT = valueOf(g, spec.value).fixed!;
          if (renderType(tableT) !== renderType(Ta)) throw new Error(`internal: ${node.name} table ${role} type differs from the activation type`);
          if (fracBits(spec.inType) !== fracBits(inT)) throw new Error(`internal: ${node.name} table ${role} indexed on another grid`);
          arr = constArray(ctx, consts, spec.value, `${id}_${role}_table`, `${spec.fn} table of ${id} (${role})`);
          tab = tableStruct('tab', spec);
          kind = 'RA_TABLE';
          break;
        }
        case 'relu':
          kind = 'RA_RELU';
          break;
        case 'thresholdedrelu':
          kind = 'RA_THRESH';
          thr = raw(`${role}_thr`);
          break;
        case 'leakyrelu': {
          kind = 'RA_LEAKY';
          const aT = types[`${role}_alpha`];
          if (!aT) throw new Error(`internal: ${node.name} has no alpha type for ${role}`);
          alphaT = aT;
          alphaRaw = raw(`${role}_alpha`);
          break;
        }
        case 'affine': {
          kind = 'RA_AFFINE';
          const aT = types[`${role}_alpha`];
          const bT = types[`${role}_beta`];
          if (!aT || !bT) throw new Error(`internal: ${node.name} has no alpha/beta types for ${role}`);
          alphaT = aT;
          betaT = bT;
          alphaRaw = raw(`${role}_alpha`);
          betaRaw = raw(`${role}_beta`);
          break;
        }
      }
      c.i('kind', `nn2hls::${kind}`).type('table_t', tableT).type('alpha_t', alphaT).type('beta_t', betaT)
        .ll('thr', thr).ll('alpha_raw', alphaRaw).ll('beta_raw', betaRaw).nested(tab);
      members.push(c.render());
      ids.push(arr);
    }
    // LSTM's h slot squashes c; GRU/RNN have no h slot (the stand-in above).
    tableIds.push(ids);
    const dc = new Cfg(`d${d}`);
    for (const m of members) dc.nested(m);
    dirStructs.push(dc.render());
  }
  if (D === 1) {
    dirStructs.push('typedef d0 d1;');
    tableIds.push(tableIds[0]!);
  }
  // A time step applies every gate's activation at once (rec_step): slot f serves LSTM's three
  // gates (GRU's two, RNN's one), g and h one each, H values per gate. Roles with the same
  // function share one table; the directions run one after the other.
  const gateReads = { f: op === 'LSTM' ? 3 * H : op === 'GRU' ? 2 * H : H, g: H, h: H } as const;
  const tableReads = new Map<string, number>();
  for (const ids of tableIds.slice(0, D)) {
    const per = new Map<string, number>();
    (['f', 'g', 'h'] as const).forEach((slot, k) => {
      const t = ids[k]!;
      if (t !== DUMMY_ARRAY) per.set(t, (per.get(t) ?? 0) + gateReads[slot]);
    });
    for (const [t, r] of per) tableReads.set(t, Math.max(tableReads.get(t) ?? 0, r));
  }
  const lookups = Object.fromEntries([...tableReads].map(([t, r]) => [t, { kind: 'table' as const, reads: r, ii: 1 }]));

  // Clip: raw(v) > clip_thr <=> v > clip exactly (raws are integers), and −clip_thr below.
  const clip = a.clip;
  const c = new Cfg(cfg)
    .type('x_t', x.fixed!)
    .type('out_t', Hy)
    .type('weight_t', wT)
    .type('rweight_t', rT)
    .type('bias_t', hasBias ? typeOf(3) : DUMMY_T)
    .type('peep_t', hasPeep ? typeOf(6) : DUMMY_T)
    .type('h0_t', h0.t)
    .type('c0_t', c0.t)
    .type('accum_t', A)
    .type('gate_t', G)
    .type('state_t', S)
    .type('act_t', Ta)
    .i('cell', `nn2hls::REC_${op}`)
    .u('gates', gates)
    .u('rows', rows)
    .u('steps', T)
    .u('n_in', I)
    .u('n_hidden', H)
    .u('n_dir', D)
    .b('reverse', a.direction === 'reverse')
    .b('has_bias', hasBias)
    .b('has_peep', hasPeep)
    .b('has_h0', h0.has)
    .b('has_c0', c0.has)
    .b('input_forget', node.op === 'LSTM' && node.attrs.inputForget)
    .b('lbr', node.op === 'GRU' && node.attrs.linearBeforeReset)
    .b('has_clip', clip > 0)
    .ll('clip_thr', clip > 0 ? raw('clip_thr') : 0n)
    .ll('clip_hi', clip > 0 ? raw('clip_hi') : 0n)
    .ll('clip_lo', clip > 0 ? raw('clip_lo') : 0n)
    .i('strategy', resource ? 'nn2hls::STRATEGY_RESOURCE' : 'nn2hls::STRATEGY_LATENCY')
    .u('reuse', reuse)
    .type('xh_t', xhT ?? DUMMY_FIXED)
    .type('wr_t', wrT ?? DUMMY_FIXED)
    .u('n_xh', nXh)
    .u('kb', kb)
    .u('mr', mr)
    .u('rows0', rows0)
    .u('rows1', rows1)
    .u('block0', block0)
    .u('block1', block1)
    .u('w_size', sizeOf(wId))
    .u('r_size', sizeOf(rId));
  for (const s of dirStructs) c.nested(s);
  const tabs = [...tableIds[0]!, ...tableIds[1]!];
  // Native io_stream: one forward direction, x arriving a time step per pack, constant or no
  // initial states (run-time ones would be streams of their own).
  const native = D === 1 && a.direction === 'forward' && dyn.length === 1 && ctx.packOf(node.inputs[0]!) === I;
  const products = D * GH * nXh;
  const perStep = GH * nXh;
  // Time steps wait for the previous one's h (and GRU's candidate pass for r): the pipelined
  // loop drains between them.
  const passes = resource && twoPass ? 2 : 1;
  const serial = rows * D * T * passes;
  const biasIds = consts.filter((k) => !tabs.includes(k.id) && k.id !== wId && k.id !== rId).map((k) => k.id);
  return {
    node, id, cfg, cfgText: c.render(), consts, dyn, out: node.outputs[0]!,
    parallel: (ins, out) => {
      let k = 1;
      const hArr = h0.arr ?? ins[k++]!;
      const cArr = c0.arr ?? ins[k++]!;
      return `nn2hls::recurrent<${cfg}>(${[ins[0]!, out, wId, rId, bId, pId, hArr, cArr, ...tabs].join(', ')});`;
    },
    ...(native ? { stream: (ins: readonly string[], out: string) => `nn2hls::recurrent_stream<${cfg}>(${[ins[0]!, out, wId, rId, bId, pId, h0.arr!, c0.arr!, ...tableIds[0]!].join(', ')});` } : {}),
    burst: 1,
    unrolled: resource ? perStep / reuse : perStep,
    partitioned: resource ? [{ what: `accumulators of ${id}`, size: GH }] : [{ what: `weights of ${id}`, size: products }],
    strategy, reuse, looped: true,
    facts: plainFacts('nn2hls::recurrent', {
      streamKernel: 'nn2hls::recurrent_stream',
      macs: rows * T * products, multipliers: resource ? products / reuse : products,
      // Latency (reuse 1 only): every product of a time step on its own multiplier, W and R in registers.
      constOperands: !resource,
      tripCount: resource ? serial * reuse : serial, stepII: 1, serialSteps: serial, reduction: nXh,
      tableLookups: 2, multBits: resource ? Math.max(xhT!.width, wrT!.width) : Math.max(x.fixed!.width, wT.width), accumBits: A.width,
      // Latency: weights and biases read whole every step (registers). Resource: a pass's ROM
      // gives one reuse step's weights per word; biases are read whole. Tables: one entry at a time.
      wordElements: Object.fromEntries([
        ...(resource ? [[wId, block0], ...(twoPass ? [[rId, block1]] : [])] : [[wId, sizeOf(wId)], [rId, sizeOf(rId)]]),
        ...biasIds.map((b) => [b, sizeOf(b)]),
      ]),
      streamUnrolled: resource ? perStep / reuse : perStep,
      // io_parallel: x is read and y written a time step (a pixel of I / H values) at a time.
      pixelWise: true,
      lookups,
    }),
  };
}
