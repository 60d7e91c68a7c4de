/**
 * Bit-exact tests of the attention kernels of the fixed-point simulator (MatMul of two tensors,
 * LayerNorm, Gelu): tiny ONNX models prepared by the real pipeline, run through FixedProgram,
 * every output raw and overflow counter compared with the independent BigInt reference of
 * sim-ref.ts, which follows docs/fixed-point.md step by step in the model's own layout.
 */
import { precisionOf } from '../../src/ir/precision.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type FixedType, fracBits, intType, parseType } from '../../src/ir/fixed.js';
import { normalCdf } from '../../src/ir/special.js';
import type { Graph, Node } from '../../src/ir/graph.js';
import { parseConfig } from '../../src/ir/precision-config.js';
import { importOnnx } from '../../src/frontend/onnx/model.js';
import { prepareFixed } from '../../src/passes/pipeline.js';
import { FixedProgram } from '../../src/sim/fixed/executor.js';
import { buildModel, type NodeSpec } from '../helpers/onnx-builder.js';
import { add, cast, Counter, type FV, geometry, holding, maxAbsRaw, mul, qd, tableEntry, tableIdx, zero } from './sim-ref.js';

const T = parseType;
const FC = { seed: 20261130, numRuns: 20 };

interface Model {
  inputs: [string, (number | string)[]][];
  outputs: [string, (number | string)[]][];
  nodes: NodeSpec[];
  inits?: [string, number[], number[]][];
  opset?: number;
}

function prepare(m: Model, cfg: (g: Graph) => unknown = () => ({})): { g: Graph; prog: FixedProgram } {
  const g0 = importOnnx(buildModel(m), 't.onnx');
  const g = prepareFixed(g0, parseConfig(cfg(g0), 'cfg')).graph;
  return { g, prog: new FixedProgram(g) };
}

function nodeOf(g: Graph, op: string): Node {
  const n = g.nodes.find((x) => x.op === op);
  if (!n) throw new Error(`no ${op} in ${g.nodes.map((x) => x.op).join(',')}`);
  return n;
}

const nums = (vs: FV[]) => vs.map((v) => Number(v.raw));
const grid = (n: number, lim: number, k: number) =>
  fc.array(fc.integer({ min: -lim * 2 ** k, max: lim * 2 ** k }).map((i) => i / 2 ** k), { minLength: n, maxLength: n });

/** Reference matmul of one sample: a [B,M,K] (or broadcast), b [B,K,N]; acc per term as Dense. */
function refMatMul(a: FV[], b: FV[], aB: number, bB: number, M: number, K: number, N: number, A: FixedType, Y: FixedType, acc: Counter, res: Counter): FV[] {
  const batch = Math.max(aB, bB);
  const out: FV[] = [];
  for (let t = 0; t < batch; t++) {
    const ao = (aB === 1 ? 0 : t) * M * K;
    const bo = (bB === 1 ? 0 : t) * K * N;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = zero(A);
        for (let k = 0; k < K; k++) s = cast(add(s, mul(a[ao + i * K + k]!, b[bo + k * N + j]!)), A, acc);
        out.push(cast(s, Y, res));
      }
    }
  }
  return out;
}

describe('MatMul of two run-time tensors', () => {
  const aT = T('ap_fixed<10,4>');
  const bT = T('ap_fixed<9,3,AP_RND_CONV,AP_SAT>');

  it('[3,4]x[4,5] per sample, derived accumulator: type per the docs, exact sum, one rounding (fast-check)', () => {
    const yT = T('ap_fixed<12,6,AP_RND_CONV,AP_SAT>');
    fc.assert(
      fc.property(grid(2 * 12, 7, 7), grid(2 * 20, 3, 6), (av, bv) => {
        const m: Model = {
          inputs: [['a', ['N', 3, 4]], ['b', ['N', 4, 5]]],
          outputs: [['y', ['N', 3, 5]]],
          nodes: [{ op: 'MatMul', inputs: ['a', 'b'], outputs: ['y'], name: 'mm' }],
        };
        const { g, prog } = prepare(m, () => ({ inputs: { a: 'ap_fixed<10,4>', b: 'ap_fixed<9,3,AP_RND_CONV,AP_SAT>' }, op_types: { MatMul: { result: 'ap_fixed<12,6,AP_RND_CONV,AP_SAT>' } } }));
        const n = nodeOf(g, 'MatMul');
        // Derived: F = Fa + Fb; the fewest integer bits holding K·max|a|·max|b|.
        const A = holding(4n * maxAbsRaw(aT) * maxAbsRaw(bT), fracBits(aT) + fracBits(bT));
        expect(n.prec!.accum).toEqual(A);
        const acc = new Counter();
        const res = new Counter();
        const a = av.map((v) => qd(v, aT));
        const b = bv.map((v) => qd(v, bT));
        const want = [0, 1].flatMap((s) => refMatMul(a.slice(s * 12, s * 12 + 12), b.slice(s * 20, s * 20 + 20), 1, 1, 3, 4, 5, A, yT, acc, res));
        prog.resetStats();
        const [y] = prog.run([{ shape: [2, 3, 4], data: Float32Array.from(av) }, { shape: [2, 4, 5], data: Float32Array.from(bv) }]);
        expect(Array.from(y!.raw)).toEqual(nums(want));
        expect(prog.stats.get(n.name)).toEqual({ result: res.n, accum: 0 });
        expect(acc.n).toBe(0);
      }),
      FC,
    );
  });

  it('batched heads [2,3,4] x [1,4,3] (broadcast), narrow wrapping accumulator: per-term casts and counts', () => {
    const A = T('ap_fixed<12,5>');
    const yT = T('ap_fixed<10,5,AP_TRN,AP_SAT>');
    fc.assert(
      fc.property(grid(24, 7, 6), grid(12, 3, 6), (av, bv) => {
        const m: Model = {
          inputs: [['a', ['N', 2, 3, 4]], ['b', ['N', 1, 4, 3]]],
          outputs: [['y', ['N', 2, 3, 3]]],
          nodes: [{ op: 'MatMul', inputs: ['a', 'b'], outputs: ['y'], name: 'mm' }],
        };
        const { g, prog } = prepare(m, () => ({
          inputs: { a: 'ap_fixed<10,4>', b: 'ap_fixed<9,3,AP_RND_CONV,AP_SAT>' },
          op_types: { MatMul: { result: 'ap_fixed<10,5,AP_TRN,AP_SAT>', accum: 'ap_fixed<12,5>' } },
        }));
        const acc = new Counter();
        const res = new Counter();
        const want = refMatMul(av.map((v) => qd(v, aT)), bv.map((v) => qd(v, bT)), 2, 1, 3, 4, 3, A, yT, acc, res);
        prog.resetStats();
        const [y] = prog.run([{ shape: [1, 2, 3, 4], data: Float32Array.from(av) }, { shape: [1, 1, 4, 3], data: Float32Array.from(bv) }]);
        expect(Array.from(y!.raw)).toEqual(nums(want));
        expect(prog.stats.get(nodeOf(g, 'MatMul').name)).toEqual({ result: res.n, accum: acc.n });
      }),
      FC,
    );
  });

  it('a constant left operand is typed as a weight; the run-time right operand has the heads', () => {
    const wT = T('ap_fixed<16,6>');
    const xT = T('ap_fixed<16,6>');
    const w = [0.5, -1.25, 0.375, 2, -0.0625, 1];
    const m: Model = {
      inputs: [['x', ['N', 2, 3, 2]]],
      outputs: [['y', ['N', 2, 2, 2]]],
      inits: [['W', [2, 3], w]],
      nodes: [{ op: 'MatMul', inputs: ['W', 'x'], outputs: ['y'], name: 'mm' }],
    };
    const { g, prog } = prepare(m);
    const n = nodeOf(g, 'MatMul');
    expect(g.values.get(n.inputs[0]!)!.fixed).toEqual(wT);
    const xs = [1.5, -2, 3.25, 0.5, -7, 4, 2, 2, -1, 0.125, 9, -3];
    const A = holding(3n * maxAbsRaw(wT) * maxAbsRaw(xT), 2 * fracBits(xT));
    const want = refMatMul(w.map((v) => qd(v, wT)), xs.map((v) => qd(v, xT)), 1, 2, 2, 3, 2, A, T('ap_fixed<16,6>'), new Counter(), new Counter());
    const [y] = prog.run([{ shape: [1, 2, 3, 2], data: Float32Array.from(xs) }]);
    expect(Array.from(y!.raw)).toEqual(nums(want));
  });
});

/** Reference LayerNorm of one row per docs/fixed-point.md ("LayerNorm"), on BigInts. */
function refLayerNorm(
  x: FV[], g: FV[], b: FV[] | null, eps: number, size: number,
  types: { tab: FixedType; rstd: FixedType; norm: FixedType; hmax: number }, yT: FixedType, res: Counter,
): FV[] {
  const N = x.length;
  const xT = x[0]!.t;
  const Fx = fracBits(xT);
  const sum = x.reduce((s, v) => s + v.raw, 0n);
  const d = x.map((v) => BigInt(N) * v.raw - sum);
  const epsRaw = BigInt(Math.max(1, Math.round(eps * N ** 3 * 2 ** (2 * Fx))));
  const V = d.reduce((s, v) => s + v * v, 0n) + epsRaw;
  const t = Math.floor(Math.log2(size / 3)) + 2;
  const p = V.toString(2).length;
  const s = (p - t) % 2 === 0 ? p - t : p - t + 1;
  const m = s >= 0 ? V >> BigInt(s) : V << BigInt(-s);
  const lo = 2 ** (t - 2);
  const idx = Math.min(3 * lo - 1, Math.max(0, Number(m) - lo));
  const e = tableEntry((v) => Math.sqrt(N) / Math.sqrt(v), intType(t, false), { base: lo, shift: 0 }, idx, types.tab);
  const rstd: FV = { raw: e.raw << BigInt(types.hmax - s / 2), t: types.rstd };
  return d.map((dv, i) => {
    const z = cast(mul({ raw: dv, t: intType(64) }, rstd), types.norm, res);
    const zg = mul(z, g[i]!);
    return cast(b ? add(zg, b[i]!) : zg, yT, res);
  });
}

describe('LayerNorm', () => {
  const cases = [
    { label: 'ap_fixed<16,6> rows of 8, default table, scale and bias', xT: 'ap_fixed<16,6>', n: 8, size: 1024, bias: true, eps: 1e-5, y: 'ap_fixed<16,6>' },
    { label: 'ap_fixed<10,4> rows of 5 (N not a power of two), 96-entry table, no bias, saturating result, eps below the grid (v = 1 on flat rows: negative shifts)', xT: 'ap_fixed<10,4>', n: 5, size: 96, bias: false, eps: 1e-7, y: 'ap_fixed<8,2,AP_RND_CONV,AP_SAT>' },
  ];
  for (const c of cases) {
    it(`${c.label}: bit-exact with the BigInt reference, counters included (fast-check)`, () => {
      const xT = T(c.xT);
      const yT = T(c.y);
      const wT = T('ap_fixed<16,6>');
      const gv = Array.from({ length: c.n }, (_, i) => 1 + (i % 3) * 0.375 - (i === 2 ? 2.5 : 0));
      const bv = Array.from({ length: c.n }, (_, i) => (i - 2) * 0.125);
      const m: Model = {
        opset: 17,
        inputs: [['x', ['N', 3, c.n]]],
        outputs: [['y', ['N', 3, c.n]]],
        inits: [['g', [c.n], gv], ...(c.bias ? ([['b', [c.n], bv]] as [string, number[], number[]][]) : [])],
        nodes: [{ op: 'LayerNormalization', name: 'ln', inputs: c.bias ? ['x', 'g', 'b'] : ['x', 'g'], outputs: ['y'], attrs: { axis: -1, epsilon: { float: c.eps } } }],
      };
      const { g, prog } = prepare(m, () => ({ inputs: { x: c.xT }, layers: { ln: { result: c.y, table_size: c.size } } }));
      const n = nodeOf(g, 'LayerNorm');
      const tab = g.values.get(precisionOf(n)!.tables!['rsqrt']!.value)!.fixed!;
      const { hmin, hmax } = precisionOf(n)!.ints!;
      // rstd spans every shift exactly: the entry's bits plus the shift range, the entry's grid moved by hmax.
      const rstd = precisionOf(n)!.types!['rstd']!;
      expect([rstd.width, fracBits(rstd), rstd.signed]).toEqual([tab.width + hmax - hmin, fracBits(tab) + hmax, false]);
      const types = { tab, rstd, norm: precisionOf(n)!.types!['norm']!, hmax };
      let saturated = 0;
      fc.assert(
        fc.property(grid(3 * c.n, 2 ** (xT.int - 1) - 1, fracBits(xT)), fc.integer({ min: 0, max: 2 }), (xs, flat) => {
          // One row constant (variance 0: only eps), one scaled down (small variance: s < 0).
          const v = xs.map((q, i) => (flat === 0 && i < c.n ? 0.5 : flat === 1 && i < c.n ? q / 64 : q));
          const res = new Counter();
          const x = v.map((q) => qd(q, xT));
          const want = [0, 1, 2].flatMap((r) =>
            refLayerNorm(x.slice(r * c.n, r * c.n + c.n), gv.map((q) => qd(q, wT)), c.bias ? bv.map((q) => qd(q, wT)) : null, Math.fround(c.eps), c.size, types, yT, res),
          );
          prog.resetStats();
          const [y] = prog.run([{ shape: [1, 3, c.n], data: Float32Array.from(v) }]);
          expect(Array.from(y!.raw)).toEqual(nums(want));
          expect(prog.stats.get(n.name)!.result).toBe(res.n);
          saturated += res.n;
        }),
        FC,
      );
      if (c.y.includes('AP_SAT')) expect(saturated).toBeGreaterThan(0);
    });
  }
});

describe('Gelu', () => {
  it('x · Φ[idx(x)] over [−8, 8), exact product, one cast; every input raw of ap_fixed<11,5>', () => {
    const xT = T('ap_fixed<11,5>');
    const yT = T('ap_fixed<10,4,AP_RND_CONV,AP_SAT>');
    const xs = Array.from({ length: 2048 }, (_, i) => (i - 1024) * 2 ** -fracBits(xT));
    const m: Model = { opset: 20, inputs: [['x', ['N', 2048]]], outputs: [['y', ['N', 2048]]], nodes: [{ op: 'Gelu', name: 'g', inputs: ['x'], outputs: ['y'] }] };
    const { g, prog } = prepare(m, () => ({ inputs: { x: 'ap_fixed<11,5>' }, layers: { g: { result: 'ap_fixed<10,4,AP_RND_CONV,AP_SAT>', table_size: 256 } } }));
    const n = nodeOf(g, 'Gelu');
    const tT = T('ap_ufixed<18,1>');
    expect(g.values.get(precisionOf(n)!.tables!['cdf']!.value)!.fixed).toEqual(tT);
    const geo = geometry(xT, -8, 8, 256);
    const res = new Counter();
    const want = xs.map((v) => {
      const x = qd(v, xT);
      return cast(mul(x, tableEntry((u) => normalCdf(u), xT, geo, tableIdx(geo, x.raw), tT)), yT, res);
    });
    const [y] = prog.run([{ shape: [1, 2048], data: Float32Array.from(xs) }]);
    expect(Array.from(y!.raw)).toEqual(nums(want));
    expect(prog.stats.get(n.name)!.result).toBe(res.n);
    expect(res.n).toBeGreaterThan(0); // x near 16 saturates ap_fixed<10,4>
  });
});
