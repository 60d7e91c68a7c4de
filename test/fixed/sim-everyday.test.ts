/**
 * Bit-exact tests of the fixed-point simulator for the everyday ops of issue #17: Abs and Neg,
 * the Sum/Mean/Max/Min reductions and the static selections Slice, Split, Gather, Tile and
 * Expand. Each builds a tiny ONNX model, prepares it with the real pipeline and compares every
 * output raw and the overflow counters with the independent BigInt reference (sim-ref.ts),
 * which follows docs/fixed-point.md and numpy's index rules written out here. Ops with no
 * fixed-point form are refused by name.
 */
import { precisionOf } from '../../src/ir/precision.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixedType, parseType } from '../../src/ir/fixed.js';
import type { Graph, Node } from '../../src/ir/graph.js';
import { parseConfig } from '../../src/ir/precision-config.js';
import { importOnnx } from '../../src/frontend/onnx/model.js';
import { prepareFixed } from '../../src/passes/pipeline.js';
import { FixedProgram } from '../../src/sim/fixed/executor.js';
import { buildModel, type NodeSpec } from '../helpers/onnx-builder.js';
import { fracBits } from '../../src/ir/fixed.js';
import { erf, mish } from '../../src/ir/special.js';
import { add, cast, cmp, Counter, type FV, geometry, mul, qd, tableEntry, tableIdx, zero } from './sim-ref.js';

const T = parseType;
const FC = { seed: 20261130, numRuns: 20 };

interface Model {
  inputs: [string, (number | string)[]][];
  outputs: [string, (number | string)[]][];
  nodes: NodeSpec[];
  inits?: [string, number[], number[]][];
  intInits?: [string, number[], number[]][];
  opset?: number;
}

function prepare(m: Model, cfg: unknown): { g: Graph; prog: FixedProgram } {
  const g0 = importOnnx(buildModel(m), 't.onnx');
  const g = prepareFixed(g0, parseConfig(cfg, 'cfg')).graph;
  return { g, prog: new FixedProgram(g) };
}

function nodeOf(g: Graph, op: string): Node {
  const n = g.nodes.find((x) => x.op === op);
  if (!n) throw new Error(`no ${op} in ${g.nodes.map((x) => x.op).join(',')}`);
  return n;
}

function runAll(prog: FixedProgram, shape: number[], data: number[]): number[][] {
  prog.resetStats();
  return prog.run([{ shape, data: Float32Array.from(data) }]).map((y) => Array.from(y.raw));
}

const nums = (vs: FV[]) => vs.map((v) => Number(v.raw));
const grid = (n: number, lim: number, k: number) =>
  fc.array(fc.integer({ min: -lim * 2 ** k, max: lim * 2 ** k }).map((i) => i / 2 ** k), { minLength: n, maxLength: n });
const neg = (v: FV): FV => ({ raw: -v.raw, t: v.t });

describe('Abs and Neg', () => {
  const xT = T('ap_fixed<8,3>');
  const yT = T('ap_fixed<6,2,AP_RND_CONV,AP_SAT>');
  for (const op of ['Abs', 'Neg'] as const) {
    it(`${op}: y = cast(${op === 'Abs' ? '|x|' : '−x'} → Y), counting saturations (fast-check)`, () => {
      fc.assert(
        fc.property(grid(12, 4, 6), (xs) => {
          const { g, prog } = prepare(
            { inputs: [['x', ['N', 12]]], outputs: [['y', ['N', 12]]], nodes: [{ op, inputs: ['x'], outputs: ['y'], name: 'f' }] },
            { inputs: { x: 'ap_fixed<8,3>' }, op_types: { [op]: 'ap_fixed<6,2,AP_RND_CONV,AP_SAT>' } },
          );
          const res = new Counter();
          const want = xs.map((v) => {
            const q = qd(v, xT);
            return cast(op === 'Neg' || cmp(q, zero(xT)) < 0 ? neg(q) : q, yT, res);
          });
          expect(runAll(prog, [1, 12], xs)[0]).toEqual(nums(want));
          expect(prog.stats.get(nodeOf(g, op).name)!.result).toBe(res.n);
        }),
        FC,
      );
    });
  }
});

describe('Sign, Floor, Ceil, Round', () => {
  const xT = T('ap_fixed<12,4>');
  const F = 8n;
  const xs = Array.from({ length: 4096 }, (_, i) => (i - 2048) / 256); // every raw once
  const whole = (raw: bigint): FV => ({ raw, t: fixedType(40, 40) });
  const ref: Record<string, (r: bigint) => FV> = {
    Sign: (r) => whole(r > 0n ? 1n : r < 0n ? -1n : 0n),
    Floor: (r) => whole(r >> F),
    Ceil: (r) => whole(-(-r >> F)),
    Round: (r) => {
      const fl = r >> F;
      const rem = r - (fl << F);
      const half = 1n << (F - 1n);
      return whole(rem > half || (rem === half && (fl & 1n) === 1n) ? fl + 1n : fl);
    },
  };
  // A result type too narrow for the ends of the range, so saturation is counted too.
  for (const [op, yS] of [['Sign', 'ap_fixed<4,2>'], ['Floor', 'ap_fixed<5,3,AP_TRN,AP_SAT>'], ['Ceil', 'ap_fixed<6,4,AP_TRN,AP_SAT>'], ['Round', 'ap_fixed<5,3,AP_TRN,AP_SAT>']] as const) {
    it(`${op}: exact whole number, one cast into ${yS}, over every input raw`, () => {
      const { g, prog } = prepare(
        { inputs: [['x', ['N', xs.length]]], outputs: [['y', ['N', xs.length]]], nodes: [{ op, inputs: ['x'], outputs: ['y'], name: 'w' }] },
        { inputs: { x: 'ap_fixed<12,4>' }, layers: { w: yS } },
      );
      const yT = T(yS);
      const res = new Counter();
      const want = xs.map((v) => cast(ref[op]!(qd(v, xT).raw), yT, res));
      expect(runAll(prog, [1, xs.length], xs)[0]).toEqual(nums(want));
      expect(prog.stats.get(nodeOf(g, op).name)!.result).toBe(res.n);
      if (op !== 'Sign') expect(res.n).toBeGreaterThan(0);
    });
  }
  it('Round sends halves to even: 0.5 → 0, 1.5 → 2, −2.5 → −2', () => {
    const { prog } = prepare(
      { inputs: [['x', ['N', 3]]], outputs: [['y', ['N', 3]]], nodes: [{ op: 'Round', inputs: ['x'], outputs: ['y'], name: 'w' }] },
      { inputs: { x: 'ap_fixed<12,4>' }, layers: { w: 'ap_fixed<8,8>' } },
    );
    expect(runAll(prog, [1, 3], [0.5, 1.5, -2.5])[0]).toEqual([0, 2, -2]);
  });
});

/** numpy-order index of [i, j, k] in a [A, B, C] tensor. */
const at3 = (B: number, C: number) => (i: number, j: number, k: number) => (i * B + j) * C + k;

describe('reductions', () => {
  const xT = T('ap_fixed<10,4>');
  const shape = [3, 4, 5];
  const n = 60;
  const idx = at3(4, 5);
  const model = (op: string, keepdims: number, out: number[]): Model => ({
    inputs: [['x', ['N', ...shape]]],
    outputs: [['y', ['N', ...out]]],
    // ReduceSum takes its axes as an input from opset 13 on; the attribute form is opset 11.
    opset: op === 'ReduceSum' ? 11 : 13,
    nodes: [{ op, inputs: ['x'], outputs: ['y'], name: 'r', attrs: { axes: [1, 3], keepdims } }],
  });
  /** Groups of the reference over axes 1 and 3 (model dims) → output j (dim 2). */
  const groups = (x: FV[]) => Array.from({ length: 4 }, (_, j) => [0, 1, 2].flatMap((i) => [0, 1, 2, 3, 4].map((k) => x[idx(i, j, k)]!)));

  it('ReduceSum: exact sum, one cast into the result type; keepdims=0 (fast-check)', () => {
    const yT = T('ap_fixed<9,5,AP_RND,AP_SAT>');
    fc.assert(
      fc.property(grid(n, 7, 7), (xs) => {
        const { g, prog } = prepare(model('ReduceSum', 0, [4]), { inputs: { x: 'ap_fixed<10,4>' }, op_types: { Reduce: 'ap_fixed<9,5,AP_RND,AP_SAT>' } });
        const x = xs.map((v) => qd(v, xT));
        const res = new Counter();
        const want = groups(x).map((gs) => cast(gs.reduce((a, b) => add(a, b)), yT, res));
        expect(runAll(prog, [1, ...shape], xs)[0]).toEqual(nums(want));
        expect(prog.stats.get(nodeOf(g, 'Reduce').name)!.result).toBe(res.n);
        expect(nodeOf(g, 'Reduce').prec!.accum).toEqual(fixedType(10 + 4, 4 + 4));
      }),
      FC,
    );
  });

  it('ReduceMean: exact sum · 1/15 from the reciprocal table (round-half-even, 18 bits), one cast; keepdims=1', () => {
    const yT = T('ap_fixed<12,4,AP_RND_CONV,AP_SAT>');
    const recipT = fixedType(18, 1, { signed: false, q: 'AP_RND_CONV', o: 'AP_SAT' });
    fc.assert(
      fc.property(grid(n, 7, 7), (xs) => {
        const { g, prog } = prepare(model('ReduceMean', 1, [1, 4, 1]), { inputs: { x: 'ap_fixed<10,4>' }, op_types: { Reduce: 'ap_fixed<12,4,AP_RND_CONV,AP_SAT>' } });
        const x = xs.map((v) => qd(v, xT));
        const r = qd(1 / 15, recipT);
        const res = new Counter();
        const want = groups(x).map((gs) => cast(mul(gs.reduce((a, b) => add(a, b)), r), yT, res));
        expect(runAll(prog, [1, ...shape], xs)[0]).toEqual(nums(want));
        expect(prog.stats.get(nodeOf(g, 'Reduce').name)!.result).toBe(res.n);
      }),
      FC,
    );
  });

  for (const op of ['ReduceMax', 'ReduceMin'] as const) {
    it(`${op}: exact selection, the input's type kept when nothing is configured (fast-check)`, () => {
      fc.assert(
        fc.property(grid(n, 9, 8), (xs) => {
          const { g, prog } = prepare(model(op, 0, [4]), { inputs: { x: 'ap_fixed<10,4>' } });
          const x = xs.map((v) => qd(v, xT));
          const pickMax = op === 'ReduceMax';
          const want = groups(x).map((gs) => gs.reduce((a, b) => ((pickMax ? cmp(b, a) > 0 : cmp(b, a) < 0) ? b : a)));
          expect(g.values.get(nodeOf(g, 'Reduce').outputs[0]!)!.fixed).toEqual(xT);
          expect(runAll(prog, [1, ...shape], xs)[0]).toEqual(nums(want));
        }),
        FC,
      );
    });
  }

  it('ReduceL2 is refused at quantize time, naming the op and the layer', () => {
    expect(() => prepare(model('ReduceL2', 0, [4]), { inputs: { x: 'ap_fixed<10,4>' } })).toThrow(/ReduceL2: 'r' — ReduceL2 has no fixed-point kernel/);
  });
});

describe('static selections keep the raws (numpy index rules written out)', () => {
  const xT = T('ap_fixed<8,3>');
  const shape = [3, 4, 5];
  const idx = at3(4, 5);
  const cfg = { inputs: { x: 'ap_fixed<8,3>' } };
  const xs = Array.from({ length: 60 }, (_, i) => ((i * 37) % 61) / 8 - 3.5);
  const x = xs.map((v) => qd(v, xT));
  const pick = (f: (out: number[]) => number[], out: number[]) => {
    const r: FV[] = [];
    for (let i = 0; i < out[0]!; i++) for (let j = 0; j < out[1]!; j++) for (let k = 0; k < out[2]!; k++) r.push(x[idx(...(f([i, j, k]) as [number, number, number]))]!);
    return nums(r);
  };
  const one = (node: NodeSpec, out: number[], extra: Partial<Model> = {}): number[] => {
    const { prog } = prepare({ inputs: [['x', ['N', ...shape]]], outputs: [['y', ['N', ...out]]], opset: 13, nodes: [node], ...extra }, cfg);
    return runAll(prog, [1, ...shape], xs)[0]!;
  };

  it('Slice with negative step and a clamped end: y[i,j,k] = x[i, 3 − 2j, k + 1]', () => {
    const got = one(
      { op: 'Slice', inputs: ['x', 'st', 'en', 'ax', 'sp'], outputs: ['y'], name: 's' },
      [3, 2, 4],
      { intInits: [['st', [2], [-1, 1]], ['en', [2], [-100, 9]], ['ax', [2], [2, 3]], ['sp', [2], [-2, 1]]] },
    );
    expect(got).toEqual(pick(([i, j, k]) => [i!, 3 - 2 * j!, k! + 1], [3, 2, 4]));
  });

  it('Gather of constant indices [2, 0, 2] along dim 3', () => {
    const got = one({ op: 'Gather', inputs: ['x', 'ix'], outputs: ['y'], name: 'gth', attrs: { axis: 3 } }, [3, 4, 3], { intInits: [['ix', [3], [2, 0, -3]]] });
    expect(got).toEqual(pick(([i, j, k]) => [i!, j!, [2, 0, 2][k!]!], [3, 4, 3]));
  });

  it('Tile by [1, 1, 2, 1]: y[i,j,k] = x[i, j mod 4, k]', () => {
    const got = one({ op: 'Tile', inputs: ['x', 'rp'], outputs: ['y'], name: 't' }, [3, 8, 5], { intInits: [['rp', [4], [1, 1, 2, 1]]] });
    expect(got).toEqual(pick(([i, j, k]) => [i!, j! % 4, k!], [3, 8, 5]));
  });

  it('Split into [1, 3] along dim 2: two outputs, each a plain window of x', () => {
    const { prog } = prepare(
      {
        inputs: [['x', ['N', ...shape]]],
        outputs: [['a', ['N', 3, 1, 5]], ['b', ['N', 3, 3, 5]]],
        opset: 13,
        intInits: [['sp', [2], [1, 3]]],
        nodes: [{ op: 'Split', inputs: ['x', 'sp'], outputs: ['a', 'b'], name: 'sp', attrs: { axis: 2 } }],
      },
      cfg,
    );
    const [a, b] = runAll(prog, [1, ...shape], xs);
    expect(a).toEqual(pick(([i, , k]) => [i!, 0, k!], [3, 1, 5]));
    expect(b).toEqual(pick(([i, j, k]) => [i!, j! + 1, k!], [3, 3, 5]));
  });

  it('Expand [N,3,1,5] to [N,3,4,5] repeats the size-1 dim', () => {
    const { prog } = prepare(
      {
        inputs: [['x', ['N', 3, 1, 5]]],
        outputs: [['y', ['N', 3, 4, 5]]],
        opset: 13,
        intInits: [['sh', [4], [1, 3, 4, 5]]],
        nodes: [{ op: 'Expand', inputs: ['x', 'sh'], outputs: ['y'], name: 'e' }],
      },
      cfg,
    );
    const small = xs.slice(0, 15);
    const got = runAll(prog, [1, 3, 1, 5], small)[0];
    const want: number[] = [];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) for (let k = 0; k < 5; k++) want.push(Number(qd(small[i * 5 + k]!, xT).raw));
    expect(got).toEqual(want);
  });
});

describe('transcendental ops through the compiler-built tables', () => {
  const xT = T('ap_fixed<12,6>');
  const lsb = 2 ** -fracBits(xT);
  const xs = Array.from({ length: 4096 }, (_, i) => (i - 2048) * lsb); // every raw once
  const cases: { op: string; f: (x: number) => number; result: string; size: number }[] = [
    { op: 'Exp', f: Math.exp, result: 'ap_fixed<16,8,AP_RND,AP_SAT>', size: 256 },
    { op: 'Log', f: (x) => (x > 0 ? Math.log(x) : -Infinity), result: 'ap_fixed<12,4,AP_RND,AP_SAT>', size: 128 },
    { op: 'Sqrt', f: (x) => (x > 0 ? Math.sqrt(x) : 0), result: 'ap_ufixed<10,4>', size: 64 },
    { op: 'Reciprocal', f: (x) => (x === 0 ? Infinity : 1 / x), result: 'ap_fixed<14,6,AP_TRN,AP_SAT>', size: 512 },
    { op: 'Erf', f: erf, result: 'ap_fixed<12,2>', size: 128 },
    { op: 'Mish', f: mish, result: 'ap_fixed<14,7>', size: 128 },
  ];
  for (const c of cases) {
    it(`${c.op}: entry f(bucket centre) in the result type, clamped index, over every input raw`, () => {
      const { g, prog } = prepare(
        { inputs: [['x', ['N', xs.length]]], outputs: [['y', ['N', xs.length]]], nodes: [{ op: c.op, inputs: ['x'], outputs: ['y'], name: 'f' }] },
        { inputs: { x: 'ap_fixed<12,6>' }, layers: { f: { result: c.result, table_size: c.size } } },
      );
      const n = nodeOf(g, c.op);
      const spec = precisionOf(n)!.tables!['f']!;
      const geo = geometry(xT, -32, 32, c.size);
      expect({ base: spec.base, shift: spec.shift, size: spec.size }).toEqual(geo);
      const yT = T(c.result);
      const res = new Counter();
      const want = xs.map((v) => cast(tableEntry(c.f, xT, geo, tableIdx(geo, qd(v, xT).raw), yT), yT, res));
      expect(runAll(prog, [1, xs.length], xs)[0]).toEqual(nums(want));
      expect(prog.stats.get(n.name)!.result).toBe(res.n);
    });
  }
});

describe('float-only ops are refused by name at simulate/compile time', () => {
  it('Pow with a run-time exponent names itself and the layer', () => {
    const m: Model = { inputs: [['x', ['N', 4]], ['e', ['N', 4]]], outputs: [['y', ['N', 4]]], nodes: [{ op: 'Pow', inputs: ['x', 'e'], outputs: ['y'], name: 'pw' }] };
    expect(() => prepare(m, {})).toThrow(/no fixed-point semantics for these ops[\s\S]*Pow: 'pw' — Pow has no fixed-point kernel yet/);
  });
});

