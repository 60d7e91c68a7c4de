/**
 * Fixed-point LSTM / GRU / RNN (docs/fixed-point.md, "LSTM, GRU, RNN"). Three kinds of checks:
 *  (a) at wide types (ap_fixed<28,8> everywhere, 4096-entry tables) the bit-accurate simulator
 *      tracks the float executor on random weights, for every cell variant the float kernels
 *      support (directions, peepholes, clip, coupled gates, linear_before_reset, initial states,
 *      the non-default activations), within a tolerance stated from the table resolution;
 *  (b) an independent step-by-step reference written here with the BigInt apfixed functions,
 *      following the documented order of operations and cast points literally (its own tables
 *      too), agrees with the kernel bit for bit — at narrow types with non-default modes and a
 *      configured accumulator, so saturations and per-term casts are exercised;
 *  (c) the errors users see for what has no fixed-point semantics.
 * Models are built as ONNX files and imported, so the whole path (import, quantize, simulate) runs.
 */
import { precisionOf } from '../../src/ir/precision.js';
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/frontend/onnx/model.js';
import { type FixedType, fixedType, fracBits, parseType } from '../../src/ir/fixed.js';
import type { Graph, Node } from '../../src/ir/graph.js';
import { parseConfig, type PrecisionConfig } from '../../src/ir/precision-config.js';
import { prepareFixed } from '../../src/passes/pipeline.js';
import { addType, castRaw, mulType, quantizeDouble } from '../../src/ir/semantics/apfixed.js';
import { FixedProgram, fxToFloat } from '../../src/sim/fixed/executor.js';
import { runFloat } from '../../src/sim/float/executor.js';
import type { RtTensor } from '../../src/ir/semantics/tensor.js';
import { NnInputError } from '../../src/util/tensor.js';
import { buildModel } from '../helpers/onnx-builder.js';
import { GATES, NARROW_LAYER, type RecurrentCase, recurrentModel, rng } from '../helpers/recurrent-model.js';


// ---------------------------------------------------------------- model building

type Case = RecurrentCase;

function inputsFor(g: Graph, c: Case, N: number): RtTensor[] {
  const r = rng(c.seed + 1000);
  const D = c.dir === 'bidirectional' ? 2 : 1;
  const t = (shape: number[], s: number): RtTensor => ({
    shape,
    data: Float32Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => r(-s, s)),
  });
  const all = [t([N, c.T, c.I], 1.5)];
  if (c.init) {
    all.push(t([N, D, c.H], 0.8));
    if (c.kind === 'LSTM') all.push(t([N, D, c.H], 1.2));
  }
  expect(all.length).toBe(g.inputs.length);
  return all;
}

const cfg = (o: object): PrecisionConfig => parseConfig(o, 'test-config');

// ---------------------------------------------------------------- (a) tracking float

const WIDE = { model: { default: 'ap_fixed<28,8>', table_size: 4096 } };

/**
 * Tolerance. Inputs, weights and states have 20 fraction bits (error ~1e-6); what dominates is
 * the tables: 4096 entries over [-8, 8) is a bucket of 2^-8, evaluated at its centre, so a
 * lookup errs by at most half a bucket times the slope — 2e-3 for tanh, 5e-4 for sigmoid.
 * A few of those per step, carried through at most 6 steps by contracting cells: 1e-2.
 */
const TOL = 1e-2;

function maxErrVsFloat(c: Case, config: PrecisionConfig, N = 3): { err: number[]; graph: Graph; overflows: number } {
  const g = importOnnx(recurrentModel(c), `${c.kind}.onnx`);
  const { graph } = prepareFixed(g, config);
  const ins = inputsFor(g, c, N);
  const want = runFloat(g, ins);
  const prog = new FixedProgram(graph);
  const got = prog.run(ins);
  const err = got.map((t, k) => {
    const f = fxToFloat(t);
    const w = want[k]!.data;
    expect(f.length).toBe(w.length);
    let m = 0;
    for (let i = 0; i < f.length; i++) m = Math.max(m, Math.abs(f[i]! - w[i]!));
    return m;
  });
  let overflows = 0;
  for (const s of prog.stats.values()) overflows += s.result + s.accum;
  return { err, graph, overflows };
}

const TRACK: [string, Case][] = [
  ['LSTM forward', { kind: 'LSTM', T: 6, I: 3, H: 4, seed: 1 }],
  ['LSTM bidirectional, peepholes, clip, run-time initial states', { kind: 'LSTM', T: 5, I: 3, H: 4, dir: 'bidirectional', peep: true, clip: 0.9, init: true, seed: 2 }],
  ['LSTM reverse, coupled input/forget, no bias', { kind: 'LSTM', T: 5, I: 2, H: 3, dir: 'reverse', inputForget: true, bias: false, seed: 3 }],
  ['GRU forward', { kind: 'GRU', T: 6, I: 3, H: 4, seed: 4 }],
  ['GRU linear_before_reset, bidirectional, initial state', { kind: 'GRU', T: 5, I: 3, H: 4, lbr: true, dir: 'bidirectional', init: true, seed: 5 }],
  ['GRU clip', { kind: 'GRU', T: 5, I: 3, H: 3, clip: 0.5, seed: 6 }],
  ['RNN tanh', { kind: 'RNN', T: 6, I: 3, H: 4, seed: 7 }],
  ['RNN bidirectional, initial state', { kind: 'RNN', T: 4, I: 2, H: 3, dir: 'bidirectional', init: true, seed: 8 }],
];

describe('fixed recurrent layers track the float executor at wide types', () => {
  const report: string[] = [];
  for (const [name, c] of TRACK) {
    it(name, () => {
      const { err, overflows } = maxErrVsFloat(c, cfg(WIDE));
      report.push(`${name}: max |fixed − float| per output ${err.map((e) => e.toExponential(2)).join(', ')}`);
      expect(overflows).toBe(0);
      for (const e of err) expect(e).toBeLessThan(TOL);
      // Not trivially zero: the outputs really went through fixed point.
      expect(Math.max(...err)).toBeGreaterThan(0);
    });
  }

  it('non-default activations (exact ones and full-range tables)', () => {
    // Tables of non-sigmoid/tanh functions cover the gate type's whole range ([-128, 128) here):
    // 65536 entries give the same 2^-8 bucket as above. Elu/Softsign/Softplus/HardSigmoid slopes
    // are at most 1, so the same tolerance holds. 24 bits: an Elu table reaches 128, and the
    // exact f·c of 28-bit types would pass the simulator's 53-bit number path.
    const big = cfg({ model: { default: 'ap_fixed<24,8>', table_size: 65536 } });
    const cases: Case[] = [
      { kind: 'RNN', T: 5, I: 3, H: 4, acts: ['Relu'], w: 0.4, seed: 11 },
      { kind: 'RNN', T: 5, I: 3, H: 4, acts: ['LeakyRelu'], alpha: [0.1], w: 0.4, seed: 12 },
      { kind: 'RNN', T: 5, I: 3, H: 4, acts: ['Affine'], alpha: [0.5], beta: [0.25], seed: 13 },
      { kind: 'RNN', T: 5, I: 3, H: 4, acts: ['ThresholdedRelu'], alpha: [0.2], w: 0.4, seed: 14 },
      { kind: 'GRU', T: 5, I: 3, H: 3, acts: ['HardSigmoid', 'Softsign'], seed: 15 },
      { kind: 'LSTM', T: 4, I: 3, H: 3, acts: ['Sigmoid', 'Elu', 'Softplus'], seed: 16 },
      { kind: 'LSTM', T: 4, I: 2, H: 2, dir: 'bidirectional', acts: ['Sigmoid', 'Tanh', 'Tanh', 'HardSigmoid', 'Softsign', 'Tanh'], seed: 17 },
    ];
    for (const c of cases) {
      const { err, overflows } = maxErrVsFloat(c, big);
      expect(overflows, c.acts!.join()).toBe(0);
      for (const e of err) expect(e, `${c.kind} ${c.acts!.join()}`).toBeLessThan(TOL);
    }
  });

  it('outputs are typed: Y and Y_h in the result type, Y_c in the state type; tables shared', () => {
    const c: Case = { kind: 'LSTM', T: 3, I: 2, H: 2, dir: 'bidirectional', seed: 21 };
    const g = importOnnx(recurrentModel(c), 'lstm.onnx');
    const { graph } = prepareFixed(
      g,
      cfg({ model: { default: 'ap_fixed<16,6>' }, op_types: { LSTM: { result: 'ap_fixed<14,4>', state: 'ap_fixed<18,5>', gate: 'ap_fixed<12,4>' } } }),
    );
    const node = graph.nodes.find((n) => n.op === 'LSTM')!;
    const t = (v: string) => graph.values.get(v)!.fixed!;
    expect(t(node.outputs[0]!)).toEqual(parseType('ap_fixed<14,4>'));
    expect(t(node.outputs[1]!)).toEqual(parseType('ap_fixed<14,4>'));
    expect(t(node.outputs[2]!)).toEqual(parseType('ap_fixed<18,5>'));
    expect(node.prec!.types!['gate']).toEqual(parseType('ap_fixed<12,4>'));
    // Six roles (f, g, h per direction) but only two distinct tables: sigmoid and tanh over the
    // gate type, tanh over the state type — g0 and g1 and f0 and f1 coincide.
    const roles = node.prec!.tables!;
    expect(Object.keys(roles).sort()).toEqual(['f0', 'f1', 'g0', 'g1', 'h0', 'h1']);
    expect(new Set(Object.values(roles).map((s) => s.value)).size).toBe(3);
    expect(roles['h0']!.inType).toEqual(parseType('ap_fixed<18,5>'));
    expect(roles['f0']!.size).toBe(1024);
    // The derived accumulator holds the gate sums exactly: its LSB is the finest product's.
    expect(fracBits(node.prec!.accum!)).toBe(10 + 10);
  });
});

// ---------------------------------------------------------------- (b) independent bit-exact reference

interface Fx {
  raw: bigint;
  t: FixedType;
}

const fx = (raw: bigint, t: FixedType): Fx => ({ raw, t });
const mul = (a: Fx, b: Fx): Fx => fx(a.raw * b.raw, mulType(a.t, b.t));
function add(a: Fx, b: Fx): Fx {
  const t = addType(a.t, b.t);
  const f = BigInt(fracBits(t));
  return fx((a.raw << (f - BigInt(fracBits(a.t)))) + (b.raw << (f - BigInt(fracBits(b.t)))), t);
}
const cast = (a: Fx, t: FixedType): Fx => fx(castRaw(a.raw, a.t, t), t);
/** The exact constant 1 (ap_uint<1>) and 1 − v done with add of −v (negation is exact). */
const ONE = fx(1n, fixedType(1, 1, { signed: false }));
const neg = (a: Fx): Fx => fx(-a.raw, fixedType(a.t.width + 1, a.t.int + 1));

const ACT_FN: Record<string, (v: number) => number> = {
  sigmoid: (v) => 1 / (1 + Math.exp(-v)),
  tanh: Math.tanh,
};

/** The documented table: entry = f(bucket centre) rounded to nearest-even, saturated. */
function refTable(fn: string, inT: FixedType, outT: FixedType, base: number, shift: number, size: number): (v: Fx) => Fx {
  const F = fracBits(inT);
  const round = fixedType(outT.width, outT.int, { signed: outT.signed, q: 'AP_RND_CONV', o: 'AP_SAT' });
  const entries = Array.from({ length: size }, (_, i) => {
    const centreRaw = base + i * 2 ** shift + (shift > 0 ? 2 ** (shift - 1) : 0);
    return quantizeDouble(ACT_FN[fn]!(centreRaw * 2 ** -F), round);
  });
  return (v) => {
    if (fracBits(v.t) !== F) throw new Error('table indexed with a value of another grid');
    let i = (v.raw - BigInt(base)) >> BigInt(shift);
    if (i < 0n) i = 0n;
    if (i > BigInt(size - 1)) i = BigInt(size - 1);
    return fx(entries[Number(i)]!, outT);
  };
}

/** Raws of a constant of the quantized graph (quantizeDouble of its data into its type). */
function constFx(g: Graph, name: string): Fx[] {
  const v = g.values.get(name)!;
  return Array.from(v.data!, (d) => fx(quantizeDouble(d, v.fixed!), v.fixed!));
}

/**
 * Step-by-step reference of one forward direction of an LSTM or GRU on one sample, written from
 * the documented semantics: the accumulator chain (Wb, Rb, x·W by i, h·R by j, peephole last),
 * cast into the gate type, clip, table, and the cell's own cast points.
 */
function reference(g: Graph, node: Node, x: number[][], c: Case): { Y: Fx[][]; h: Fx[]; c: Fx[] } {
  const p = precisionOf(node)!;
  const A = p.accum!;
  const G = p.types!['gate']!;
  const S = p.types!['state']!;
  const Rt = p.types!['hidden']!;
  const Ta = p.types!['act']!;
  const xT = g.values.get(node.inputs[0]!)!.fixed!;
  const W = constFx(g, node.inputs[1]!);
  const R = constFx(g, node.inputs[2]!);
  const B = node.inputs[3] ? constFx(g, node.inputs[3]) : undefined;
  const P = c.kind === 'LSTM' && node.inputs[6] ? constFx(g, node.inputs[6]) : undefined;
  const { H, I } = c;
  const GH = GATES[c.kind] * H;
  const tab = (role: string, fn: string) => {
    const s = p.tables![role]!;
    return refTable(fn, s.inType, Ta, s.base, s.shift, s.size);
  };
  const sig = tab('f0', 'sigmoid');
  const tanhG = tab('g0', 'tanh');
  const tanhS = c.kind === 'LSTM' ? tab('h0', 'tanh') : undefined;
  const clip = (v: Fx): Fx => {
    if (!c.clip) return v;
    const val = Number(v.raw) * 2 ** -fracBits(v.t); // exact: narrow types
    if (val > c.clip) return fx(quantizeDouble(c.clip, G), G);
    if (val < -c.clip) return fx(quantizeDouble(-c.clip, G), G);
    return v;
  };
  const zero = (t: FixedType) => fx(0n, t);
  /** acc = cast(Wb → A); acc = cast(acc + Rb → A); x terms; h terms (either part optional). */
  const chain = (k: number, xs: Fx[], hs: Fx[], withW = true, withR = true): Fx => {
    let acc = zero(A);
    if (B && withW) acc = cast(add(acc, B[k]!), A);
    if (B && withR) acc = cast(add(acc, B[GH + k]!), A);
    if (withW) for (let i = 0; i < I; i++) acc = cast(add(acc, mul(xs[i]!, W[k * I + i]!)), A);
    if (withR) for (let j = 0; j < H; j++) acc = cast(add(acc, mul(hs[j]!, R[k * H + j]!)), A);
    return acc;
  };
  const gate = (acc: Fx) => clip(cast(acc, G));
  let h = Array.from({ length: H }, () => zero(Rt));
  let cs = Array.from({ length: H }, () => zero(S));
  const Y: Fx[][] = [];
  for (let t = 0; t < c.T; t++) {
    const xs = x[t]!.map((v) => fx(quantizeDouble(v, xT), xT));
    const hn: Fx[] = [];
    if (c.kind === 'LSTM') {
      const cn: Fx[] = [];
      for (let j = 0; j < H; j++) {
        let ai = chain(j, xs, h);
        let af = chain(2 * H + j, xs, h);
        if (P) {
          ai = cast(add(ai, mul(P[j]!, cs[j]!)), A);
          af = cast(add(af, mul(P[2 * H + j]!, cs[j]!)), A);
        }
        const i = sig(gate(ai));
        const f = c.inputForget ? cast(add(ONE, neg(i)), Ta) : sig(gate(af));
        const gg = tanhG(gate(chain(3 * H + j, xs, h)));
        const cNew = cast(add(mul(f, cs[j]!), mul(i, gg)), S);
        let ao = chain(H + j, xs, h);
        if (P) ao = cast(add(ao, mul(P[H + j]!, cNew)), A);
        const o = sig(gate(ao));
        hn.push(cast(mul(o, tanhS!(cNew)), Rt));
        cn.push(cNew);
      }
      cs = cn;
    } else {
      const z = h.map((_, j) => sig(gate(chain(j, xs, h))));
      const r = h.map((_, j) => sig(gate(chain(H + j, xs, h))));
      let pre: Fx[];
      if (!c.lbr) {
        const rh = h.map((hj, j) => cast(mul(r[j]!, hj), Rt));
        pre = h.map((_, j) => gate(chain(2 * H + j, xs, rh)));
      } else {
        pre = h.map((_, j) => {
          const accX = chain(2 * H + j, xs, h, true, false);
          const hr = cast(chain(2 * H + j, xs, h, false, true), G);
          return clip(cast(add(accX, mul(r[j]!, hr)), G));
        });
      }
      for (let j = 0; j < H; j++) {
        const n = tanhG(pre[j]!);
        hn.push(cast(add(mul(add(ONE, neg(z[j]!)), n), mul(z[j]!, h[j]!)), Rt));
      }
    }
    h = hn;
    Y.push(h);
  }
  return { Y, h, c: cs };
}

const NARROW = { model: { default: 'ap_fixed<12,4>', table_size: 256 }, op_types: { LSTM: NARROW_LAYER, GRU: NARROW_LAYER } };

function bitExact(c: Case, config: PrecisionConfig): { overflows: number; checked: number } {
  const g = importOnnx(recurrentModel(c), `${c.kind}.onnx`);
  const { graph } = prepareFixed(g, config);
  const node = graph.nodes.find((n) => n.op === c.kind)!;
  const N = 4;
  const ins = inputsFor(g, c, N);
  const prog = new FixedProgram(graph);
  const got = prog.run(ins);
  let checked = 0;
  for (let n = 0; n < N; n++) {
    const x = Array.from({ length: c.T }, (_, t) => Array.from(ins[0]!.data.subarray((n * c.T + t) * c.I, (n * c.T + t + 1) * c.I)));
    const ref = reference(graph, node, x, c);
    for (let t = 0; t < c.T; t++) {
      for (let j = 0; j < c.H; j++) {
        const y = ref.Y[t]![j]!;
        expect(got[0]!.type).toEqual(y.t);
        expect(BigInt(got[0]!.raw[(n * c.T + t) * c.H + j]!), `Y[${n},${t},${j}]`).toBe(y.raw);
        checked++;
      }
    }
    for (let j = 0; j < c.H; j++) {
      expect(BigInt(got[1]!.raw[n * c.H + j]!), `Y_h[${n},${j}]`).toBe(ref.h[j]!.raw);
      if (c.kind === 'LSTM') {
        expect(got[2]!.type).toEqual(ref.c[j]!.t);
        expect(BigInt(got[2]!.raw[n * c.H + j]!), `Y_c[${n},${j}]`).toBe(ref.c[j]!.raw);
      }
      checked++;
    }
  }
  let overflows = 0;
  for (const s of prog.stats.values()) overflows += s.result + s.accum;
  return { overflows, checked };
}

describe('bit-exact against an independent BigInt reference', () => {
  const base = { T: 3, I: 3, H: 2, w: 1.9 } as const;
  const cases: [string, Case, object][] = [
    ['LSTM, derived accumulator, default types', { kind: 'LSTM', ...base, seed: 31 }, { model: { default: 'ap_fixed<16,6>' } }],
    ['LSTM, narrow modes, configured accumulator, peepholes, clip', { kind: 'LSTM', ...base, peep: true, clip: 1.25, seed: 32 }, NARROW],
    ['LSTM, coupled input/forget, narrow', { kind: 'LSTM', ...base, inputForget: true, seed: 33 }, NARROW],
    ['GRU, derived accumulator, default types', { kind: 'GRU', ...base, seed: 34 }, { model: { default: 'ap_fixed<16,6>' } }],
    ['GRU, narrow, clip', { kind: 'GRU', ...base, clip: 1.1, seed: 35 }, NARROW],
    ['GRU linear_before_reset, narrow', { kind: 'GRU', ...base, lbr: true, seed: 36 }, NARROW],
    ['GRU linear_before_reset, derived accumulator', { kind: 'GRU', ...base, lbr: true, seed: 37 }, { model: { default: 'ap_fixed<16,6>' } }],
  ];
  for (const [name, c, conf] of cases) {
    it(name, () => {
      const { overflows, checked } = bitExact(c, cfg(conf));
      expect(checked).toBe(4 * (c.T + 1) * c.H);
      // The narrow configurations must really saturate/wrap somewhere, or they test nothing
      // beyond the wide case.
      if (conf === NARROW) expect(overflows).toBeGreaterThan(0);
      console.log(`${name}: ${checked} outputs bit-exact, ${overflows} overflowing casts`);
    });
  }

  it('the derived accumulator is never exceeded (no accumulator overflow on extreme inputs)', () => {
    const c: Case = { kind: 'LSTM', ...base, peep: true, seed: 38 };
    const g = importOnnx(recurrentModel(c), 'lstm.onnx');
    const { graph } = prepareFixed(g, cfg({ model: { default: 'ap_fixed<16,6>' }, op_types: { LSTM: { gate: 'ap_fixed<40,20>' } } }));
    const prog = new FixedProgram(graph);
    // Inputs at the type's extremes: the gate type is wide enough to take any accumulator value,
    // so the only possible accumulator overflow would be the accumulator's own.
    prog.run([{ shape: [2, 3, 3], data: Float32Array.from([31.99, -32, 31.99, -32, -32, 31.99, 31.99, 31.99, 31.99, -32, -32, -32, 31.99, -32, 31.99, 5, -7, 9]) }]);
    expect(prog.stats.get(graph.nodes.find((n) => n.op === 'LSTM')!.name)!.accum).toBe(0);
  });
});

// ---------------------------------------------------------------- (c) errors

describe('errors', () => {
  it('an activation without fixed-point semantics is refused by name, with the supported list', () => {
    const c: Case = { kind: 'RNN', T: 2, I: 2, H: 2, acts: ['ScaledTanh'], alpha: [1], beta: [1], seed: 41 };
    const g = importOnnx(recurrentModel(c), 'scaled.onnx');
    let err: unknown;
    try {
      prepareFixed(g, cfg({}));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NnInputError);
    const msg = (err as Error).message;
    expect(msg).toContain('scaled.onnx');
    // The IR node name is the ONNX one, possibly made unique with a suffix by the importer.
    expect(msg).toMatch(/node 'rnn_layer(_\d+)?' \(RNN\)/);
    expect(msg).toContain("activation 'ScaledTanh'");
    expect(msg).toContain('Sigmoid, Tanh');
    expect(msg).toContain("float 'run' still works");
    // ...while the float path runs it.
    expect(() => runFloat(g, inputsFor(g, c, 1))).not.toThrow();
  });

  it('run-time weights are refused', () => {
    const bytes = buildModel({
      inputs: [
        ['X', [1, 2, 2]],
        ['W', [1, 2, 2]],
      ],
      outputs: [['Y', [1, 2, 1, 2]]],
      inits: [['R', [1, 2, 2], [0.1, 0.2, 0.3, 0.4]]],
      opset: 14,
      nodes: [{ op: 'RNN', name: 'rnn_layer', inputs: ['X', 'W', 'R'], outputs: ['Y'], attrs: { hidden_size: 2, layout: 1 } }],
    });
    const g = importOnnx(bytes, 'dynw.onnx');
    expect(() => prepareFixed(g, cfg({}))).toThrow(/node 'rnn_layer(_\d+)?' \(RNN\): W is computed at run time/);
  });

  it('the new config variables parse, and unknown ones are still refused', () => {
    const c = cfg({ op_types: { LSTM: { gate: 'ap_fixed<12,4>', state: 'ap_fixed<20,6>', recurrent_weight: 'ap_fixed<6,1>' } } });
    expect(c.opTypes['LSTM']!.types.state).toEqual(parseType('ap_fixed<20,6>'));
    expect(() => cfg({ op_types: { LSTM: { cell: 'ap_fixed<12,4>' } } })).toThrow(/unknown key 'cell'.*gate, state, recurrent_weight/);
  });
});
