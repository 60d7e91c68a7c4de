/**
 * Lowering of the recurrent layers LSTM, GRU and RNN -> nn2hls::recurrent (nn_recurrent.h).
 * Every type comes from the quantize pass (node.prec: accum, types gate/state/hidden/act and the
 * activations' alpha/beta, tables per role `<slot><direction>`); every constant the kernel
 * compares or multiplies with (clip thresholds and results, thresholds, α, β) is derived here
 * exactly as src/sim/fixed/kernels/recurrent.ts derives it. Only the output Y is supported
 * (a layer has one output array); io_stream buffers the whole tensor (the generic fallback).
 */
import { type FixedType, fracBits, renderType } from '../ir/fixed.js';
import { isConst, type Node, numel, valueOf } from '../ir/graph.js';
import { rawRange } from '../ir/precision.js';
import { quantizeDouble } from '../ir/semantics/apfixed.js';
import { RECURRENT_SLOTS, recurrentActivations, type RecurrentAct } from '../ir/semantics/recurrent.js';
import { Cfg, type ConstArray, constArray, DUMMY_ARRAY, DUMMY_T, type Layer, type LowerContext, plainFacts, tableStruct, unsupported } from './layer.js';

type RecNode = Node<'LSTM'> | Node<'GRU'> | Node<'RNN'>;

const DUMMY_FIXED = 'ap_fixed<2,2>';
const DUMMY_TAB = 'struct tab {\n  static const long long base = 0LL;\n  static const unsigned shift = 0;\n  static const unsigned size = 1;\n  static const int iw = 2;\n};';

/** Threshold t on the raws of `inT` for `raw > x·2^F`: floor, kept within [min−1, max+1]. */
function rawThreshold(x: number, inT: FixedType): bigint {
  const [lo, hi] = rawRange(inT);
  const v = Math.floor(x * 2 ** fracBits(inT));
  return BigInt(Math.min(hi + 1, Math.max(lo - 1, v)));
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
  const types = prec?.types ?? {};
  const [G, S, Hy, Ta] = [types['gate'], types['state'], types['hidden'], types['act']];
  if (!A || !G || !S || !Hy || !Ta) throw new Error(`internal: ${node.name} has no recurrent types (run the quantize pass)`);
  if (strategy === 'resource') unsupported(node, `recurrent layers have no resource strategy yet; set {"hls": {"layers": {${JSON.stringify(node.name)}: {"strategy": "latency"}}}}`);
  // The recurrent kernel computes one time step per iteration with every product unrolled; it
  // has no reuse loop, so a reuse factor is refused rather than silently ignored.
  if (reuse !== 1) unsupported(node, `recurrent layers run one time step per cycle and cannot share multipliers (reuse ${reuse} asked); set {"hls": {"layers": {${JSON.stringify(node.name)}: {"reuse": 1}}}}`);
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

  const wId = constArray(ctx, consts, node.inputs[1]!, `w_${id}`, `input weights [${D}][${GH}][${I}] of ${id}`);
  const rId = constArray(ctx, consts, node.inputs[2]!, `r_${id}`, `recurrent weights [${D}][${GH}][${H}] of ${id}`);
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
          thr = rawThreshold(act.alpha, inT);
          break;
        case 'leakyrelu': {
          kind = 'RA_LEAKY';
          const aT = types[`${role}_alpha`];
          if (!aT) throw new Error(`internal: ${node.name} has no alpha type for ${role}`);
          alphaT = aT;
          alphaRaw = quantizeDouble(act.alpha, aT);
          break;
        }
        case 'affine': {
          kind = 'RA_AFFINE';
          const aT = types[`${role}_alpha`];
          const bT = types[`${role}_beta`];
          if (!aT || !bT) throw new Error(`internal: ${node.name} has no alpha/beta types for ${role}`);
          alphaT = aT;
          betaT = bT;
          alphaRaw = quantizeDouble(act.alpha, aT);
          betaRaw = quantizeDouble(act.beta, bT);
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

  // Clip: raw(v) > floor(clip·2^F_G) <=> v > clip exactly (raws are integers).
  const clip = a.clip;
  const [gLo, gHi] = rawRange(G);
  const clipThr = clip > 0 ? BigInt(Math.min(Math.max(-gLo, gHi + 1), Math.floor(clip * 2 ** fracBits(G)))) : 0n;
  const c = new Cfg(cfg)
    .type('x_t', x.fixed!)
    .type('out_t', Hy)
    .type('weight_t', typeOf(1))
    .type('rweight_t', typeOf(2))
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
    .b('input_forget', op === 'LSTM' && (node as Node<'LSTM'>).attrs.inputForget)
    .b('lbr', op === 'GRU' && (node as Node<'GRU'>).attrs.linearBeforeReset)
    .b('has_clip', clip > 0)
    .ll('clip_thr', clipThr)
    .ll('clip_hi', clip > 0 ? quantizeDouble(clip, G) : 0n)
    .ll('clip_lo', clip > 0 ? quantizeDouble(-clip, G) : 0n)
    .u('reuse', reuse);
  for (const s of dirStructs) c.nested(s);
  const tabs = [...tableIds[0]!, ...tableIds[1]!];
  return {
    node, id, cfg, cfgText: c.render(), consts, dyn, out: node.outputs[0]!,
    parallel: (ins, out) => {
      let k = 1;
      const hArr = h0.arr ?? ins[k++]!;
      const cArr = c0.arr ?? ins[k++]!;
      return `nn2hls::recurrent<${cfg}>(${[ins[0]!, out, wId, rId, bId, pId, hArr, cArr, ...tabs].join(', ')});`;
    },
    burst: 1,
    unrolled: GH * (I + H),
    partitioned: [{ what: `weights of ${id}`, size: D * GH * (I + H) }],
    strategy, reuse, looped: true,
    facts: plainFacts('nn2hls::recurrent', {
      macs: rows * T * D * GH * (I + H), multipliers: D * GH * (I + H), tripCount: rows * T, stepII: 1, reduction: I + H,
      tableLookups: 2, multBits: Math.max(x.fixed!.width, typeOf(1).width), accumBits: A.width,
      // Weights and biases are read whole every step (registers); tables one entry at a time.
      wordElements: Object.fromEntries(consts.filter((c) => !tabs.includes(c.id)).map((c) => [c.id, c.items.length])),
    }),
  };
}
