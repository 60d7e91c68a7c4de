/**
 * Property tests of the fixed-point path's WebAssembly epilogue and fusions (issue #13): the
 * output cast done in integers in the module (wasm-cast.ts) must give every raw and overflow
 * count the JavaScript cast (prepareCast) gives, for every rounding and overflow mode; and a
 * Conv/Dense with a following Relu computed in the same pass must deliver through onValue
 * exactly the values (both the layer's and the Relu's), outputs and counters of the reference
 * kernels (wasmGemm and sumsCodegen off), also on reused, dirty arrays and on arrays in the
 * module's memory (written in place, the fused pool reading the ReLU there).
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { lcg, sparseValues as values } from '../helpers/random.js';
import { fixedType, fracBits, O_MODES, Q_MODES } from '../../src/ir/fixed.js';
import type { Graph, Node, Value } from '../../src/ir/graph.js';
import { prepareCast } from '../../src/ir/semantics/apfixed.js';
import { parseConfig } from '../../src/ir/precision-config.js';
import { prepareFixed } from '../../src/passes/pipeline.js';
import { FixedProgram } from '../../src/sim/fixed/executor.js';
import type { RtTensor } from '../../src/ir/semantics/tensor.js';
import { sumsCodegen } from '../../src/sim/sums-codegen.js';
import { castPlan, simdCast } from '../../src/sim/wasm-cast.js';
import { GemmI16, gemmCastRun, wasmGemm } from '../../src/sim/wasm-gemm.js';
import { statsArena } from '../../src/sim/wasm-stats.js';

const FC = { seed: 20261130, numRuns: 80 };

afterEach(() => {
  sumsCodegen.enabled = true;
  wasmGemm.enabled = true;
});

describe('the WebAssembly output cast', () => {
  it('equals prepareCast on every raw and overflow, all modes, shifts both ways, with and without the ReLU output, in int64 and in int32 lanes (with a 1–3 lane tail), in place in the module memory', () => {
    let lanes = 0;
    let tails = 0;
    let inPlace = 0;
    const spec = fc.record({
      q: fc.constantFrom(...Q_MODES),
      o: fc.constantFrom(...O_MODES),
      signed: fc.boolean(),
      width: fc.integer({ min: 2, max: 30 }),
      int: fc.integer({ min: -4, max: 20 }),
      fp: fc.integer({ min: 0, max: 20 }),
      up: fc.integer({ min: 0, max: 6 }),
      M: fc.oneof(fc.integer({ min: 1, max: 19 }), fc.constantFrom(4, 8, 12, 16)),
      rows: fc.integer({ min: 1, max: 9 }),
      relu: fc.boolean(),
      // Small weights: every sum inside int32 with room, the four-lane int32 form of the cast.
      small: fc.boolean(),
      seed: fc.integer({ min: 1, max: 1 << 30 }),
    });
    fc.assert(
      fc.property(spec, (p) => {
        const to = fixedType(p.width, p.int, { signed: p.signed, q: p.q, o: p.o });
        const fa = p.fp + p.up;
        const rnd = lcg(p.seed);
        // Two terms per output: sums up to 2·32767² (near 2^31), some tiny, some zero.
        const K = 2;
        const wMax = p.small ? 3 : 32767;
        const w = Array.from({ length: K * p.M }, () => Math.round((rnd() * 2 - 1) * (rnd() < 0.3 ? 3 : wMax)));
        const x = Float64Array.from({ length: p.rows * K }, () => (rnd() < 0.2 ? 0 : Math.round((rnd() * 2 - 1) * 32767)));
        const init = Float64Array.from({ length: p.M }, () => Math.round((rnd() * 2 - 1) * 2 ** 20));
        const bound = 2 * wMax * 32767 * 2 ** p.up + 2 ** 20;
        const plan = castPlan(p.fp, fa, to, bound);
        // Refused only when a left shift could leave int64 (the JavaScript cast keeps those).
        if (!plan) {
          expect(fa - fracBits(to)).toBeLessThan(0);
          expect(bound * 2 ** (fracBits(to) - fa)).toBeGreaterThanOrEqual(2 ** 62);
          return;
        }
        let count = 0;
        const ref = prepareCast(fa, to, () => count++);
        const want: number[] = [];
        for (let r = 0; r < p.rows; r++) {
          for (let m = 0; m < p.M; m++) {
            let s = 0;
            for (let k = 0; k < K; k++) s += x[r * K + k]! * w[k * p.M + m]!;
            want.push(ref(s * 2 ** p.up + init[m]!));
          }
        }
        const g = new GemmI16({ K, M: p.M, rowsPerSample: 1 }, w, Int32Array.of(0, 1));
        const y = new Float64Array(p.rows * p.M).fill(NaN);
        const z = p.relu ? new Float64Array(p.rows * p.M).fill(NaN) : undefined;
        if (simdCast(plan!, bound)) (lanes++, (tails += +(p.M % 4 !== 0)));
        const init64 = BigInt64Array.from(init, (v) => BigInt(v));
        const got = gemmCastRun(g, x, p.rows, K, plan!, init64, bound, y, p.M, 0, z);
        expect(Array.from(y)).toEqual(want);
        expect(got).toBe(count);
        // ReLU of the cast raw, +0 (never -0) for k <= 0: what the Relu kernel gives.
        const relu = want.map((v) => v * +(v > 0) + 0);
        if (z) expect(Array.from(z, (v) => Object.is(v, -0) ? 'neg0' : v)).toEqual(relu);
        // Written in place in the module's memory: nothing past the last row's M outputs (the tail's padding lanes) is touched.
        const owner = {};
        if (statsArena.claim(owner, 1 << 20)) {
          try {
            const n = p.rows * p.M;
            const yIn = statsArena.f64(owner, n).fill(NaN);
            const guard1 = statsArena.f64(owner, 4).fill(7);
            const zIn = z ? statsArena.f64(owner, n).fill(NaN) : undefined;
            const guard2 = statsArena.f64(owner, 4).fill(7);
            const before = wasmGemm.inPlace;
            expect(gemmCastRun(g, x, p.rows, K, plan!, init64, bound, yIn, p.M, 0, zIn)).toBe(count);
            inPlace += wasmGemm.inPlace - before;
            expect(Array.from(yIn)).toEqual(want);
            if (zIn) expect(Array.from(zIn)).toEqual(relu);
            expect([...guard1, ...guard2]).toEqual(new Array(8).fill(7));
          } finally {
            statsArena.release();
          }
        }
      }),
      { ...FC, numRuns: 300 },
    );
    expect(lanes).toBeGreaterThan(10);
    expect(tails).toBeGreaterThan(10);
    expect(inPlace).toBeGreaterThan(100);
  });

  it('is refused where it does not apply (AP_WRAP with saturation bits, shifts beyond int64)', () => {
    expect(castPlan(4, 6, fixedType(8, 3, { o: 'AP_WRAP', n: 2 }), 1000)).toBeNull();
    expect(castPlan(4, 3, fixedType(8, 3), 1000)).toBeNull(); // accumulator coarser than the products
    expect(castPlan(0, 0, fixedType(40, -30), 2 ** 40)).toBeNull(); // 2^40 · 2^70 overflows int64
    expect(castPlan(4, 6, fixedType(16, 6), 2 ** 40)).not.toBeNull();
  });
});

// ---------- graphs: Conv/Dense then Relu ----------

function value(name: string, shape: number[], data?: Float32Array): Value {
  return data ? { name, shape, elem: 'float32', data } : { name, shape, elem: 'float32' };
}

/**
 * x → layer → y → Relu → z, and (`shared`) y also into an Add with z (a second reader of y),
 * itself followed by a Relu (fused into the Add's loop); `reluOut`: z is a graph output itself;
 * `pool`: a MaxPool reads z (Conv only), its output a graph output or (`after`) read by a Relu; `group`: a grouped Conv (narrow groups run as one
 * block-diagonal sum).
 */
function graph(kind: 'Conv' | 'Dense', cin: number, cout: number, seed: number, shared: boolean, reluOut: boolean, pool?: { k: number; s: number; after?: boolean }, group = 1): Graph {
  const conv = kind === 'Conv';
  const xs = conv ? [5, 4, cin] : [cin];
  const ys = conv ? [5, 4, cout] : [cout];
  const wShape = conv ? [3, 3, cin / group, cout] : [cin, cout];
  const vals: Value[] = [
    value('x', xs),
    value('w', wShape, values(wShape.reduce((a, b) => a * b, 1), seed, 1.5, 0.1)),
    value('b', [cout], values(cout, seed + 1, 2, 0)),
    value('y', ys),
    value('z', ys),
    value('s', ys),
  ];
  const layer = {
    name: 'layer',
    op: kind,
    inputs: ['x', 'w', 'b'],
    outputs: ['y'],
    attrs: conv ? { kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], group } : {},
  } as unknown as Node;
  const relu = { name: 'relu', op: 'Relu', inputs: ['y'], outputs: ['z'], attrs: {} } as unknown as Node;
  const addN = { name: 'add', op: 'Add', inputs: ['z', 'y'], outputs: ['s'], attrs: {} } as unknown as Node;
  const relu2 = { name: 'relu2', op: 'Relu', inputs: ['s'], outputs: ['u'], attrs: {} } as unknown as Node;
  vals.push(value('u', ys));
  const nodes = shared ? [layer, relu, addN, relu2] : [layer, relu];
  const vs = new Map(vals.map((v) => [v.name, v]));
  const io = (name: string) => ({ modelName: name, value: name, modelShape: [null, ...vs.get(name)!.shape], elem: 'float32' as const });
  const outputs = shared ? (reluOut ? [io('u'), io('z')] : [io('u')]) : pool?.after && conv ? [] : [io('z')];
  if (pool && conv) {
    // z → MaxPool → p (fused into the conv's pass when the channel count is even).
    const ps = [Math.floor((5 - pool.k) / pool.s) + 1, Math.floor((4 - pool.k) / pool.s) + 1, cout];
    vs.set('p', value('p', ps));
    nodes.push({
      name: 'pool',
      op: 'MaxPool',
      inputs: ['z'],
      outputs: ['p'],
      attrs: { kernel: [pool.k, pool.k], strides: [pool.s, pool.s], dilations: [1, 1], pads: [0, 0, 0, 0], ceilMode: false },
    } as unknown as Node);
    if (pool.after) {
      // p read by another node, not a graph output: the conv's step may write it in place.
      vs.set('pr', value('pr', ps));
      nodes.push({ name: 'relu3', op: 'Relu', inputs: ['p'], outputs: ['pr'], attrs: {} } as unknown as Node);
      outputs.push(io('pr'));
    } else outputs.push(io('p'));
  }
  return { name: 'g', batched: true, values: vs, nodes, inputs: [io('x')], outputs, source: 'fixed-fused test' };
}

const PRECISIONS: Record<string, unknown>[] = [
  { model: { default: 'ap_fixed<16,6>' } },
  { model: { default: 'ap_fixed<16,4,AP_RND_CONV,AP_SAT_SYM>' } },
  { model: { default: 'ap_fixed<14,6,AP_RND_INF,AP_WRAP>' } },
  { model: { default: 'ap_fixed<12,3,AP_RND,AP_SAT>' } },
  { model: { default: 'ap_fixed<10,2,AP_RND_ZERO,AP_SAT_ZERO>' } },
  { model: { default: 'ap_fixed<16,6>' }, layers: { layer: { result: 'ap_fixed<8,1,AP_TRN_ZERO,AP_WRAP>' } } },
  { model: { default: 'ap_fixed<16,6>' }, layers: { layer: { result: 'ap_ufixed<9,3,AP_RND_MIN_INF,AP_WRAP>' } } },
  { model: { default: 'ap_fixed<16,6>' }, layers: { layer: { result: 'ap_fixed<20,14>' } } },
];

interface Seen {
  values: Map<string, number[]>;
  outs: number[][];
  stats: string;
}

/** `arena`: the reused arrays come from the module's memory (as the report's runner places them), read and written in place. */
function runAll(prog: FixedProgram, x: RtTensor, reuse: boolean, arena?: object): Seen {
  const seen = new Map<string, number[]>();
  prog.resetStats();
  // -0 and +0 are told apart: the raws must be the same doubles.
  const bits = (a: Float64Array) => Array.from(a, (v) => (Object.is(v, -0) ? -Infinity : v));
  const newArray = arena ? (len: number) => statsArena.f64(arena, len) : undefined;
  const outs = prog.run([x], { reuseBuffers: reuse, newArray, onValue: (name, t) => seen.set(name, bits(t.raw)) });
  return { values: seen, outs: outs.map((o) => bits(o.raw)), stats: JSON.stringify([...prog.stats]) };
}

describe('a layer, its Relu and a max pool in one pass', () => {
  it('delivers every value, output and counter of the reference kernels (Conv, Dense and Add; shared readers, graph outputs, dirty arrays)', () => {
    const spec = fc.record({
      kind: fc.constantFrom<'Conv' | 'Dense'>('Conv', 'Dense'),
      cin: fc.integer({ min: 1, max: 6 }),
      cout: fc.integer({ min: 4, max: 13 }),
      shared: fc.boolean(),
      reluOut: fc.boolean(),
      pool: fc.option(fc.record({ k: fc.constantFrom(2, 3), s: fc.constantFrom(1, 2), after: fc.boolean() }), { nil: undefined }),
      // Depthwise-like: group = cin, 1 or 2 outputs per group.
      depthwise: fc.constantFrom(0, 0, 1, 2),
      n: fc.integer({ min: 1, max: 5 }),
      seed: fc.integer({ min: 1, max: 1 << 30 }),
    });
    let fused = 0;
    let pooled = 0;
    let grouped = 0;
    let pooledInPlace = 0;
    fc.assert(
      fc.property(spec, fc.constantFrom(...PRECISIONS), (p, cfg) => {
        const dw = p.kind === 'Conv' && p.depthwise > 0;
        const g = dw ? graph('Conv', p.cin + 1, (p.cin + 1) * p.depthwise, p.seed, p.shared, p.reluOut, p.pool, p.cin + 1) : graph(p.kind, p.cin, p.cout, p.seed, p.shared, p.reluOut, p.pool);
        const q = prepareFixed(g, parseConfig(cfg, 'test config')).graph;
        const per = g.values.get('x')!.shape.reduce((a, b) => a * b, 1);
        const x: RtTensor = { shape: [p.n, ...g.values.get('x')!.shape], data: values(p.n * per, p.seed + 5, 6, 0.2) };
        sumsCodegen.enabled = false;
        wasmGemm.enabled = false;
        const ref = runAll(new FixedProgram(q), x, false);
        sumsCodegen.enabled = true;
        wasmGemm.enabled = true;
        const fast = new FixedProgram(q);
        const fusedOut = (fast as unknown as { steps: { fusedOut?: string[] }[] }).steps[0]!.fusedOut;
        if (fusedOut) fused++;
        if (fusedOut && dw) grouped++;
        if (fusedOut?.includes('p')) pooled++;
        const dirty: RtTensor = { shape: [p.n + 2, ...x.shape.slice(1)], data: values((p.n + 2) * per, p.seed + 9, 9, 0.05) };
        runAll(fast, dirty, true);
        const owner = {};
        expect(statsArena.claim(owner, 1 << 20)).toBe(true);
        const inArena = new FixedProgram(q);
        runAll(inArena, dirty, true, owner);
        const before = wasmGemm.inPlace;
        const arenaRun = runAll(inArena, x, true, owner);
        if (wasmGemm.inPlace > before && fusedOut?.includes('p')) pooledInPlace++;
        statsArena.release();
        for (const got of [runAll(fast, x, true), runAll(new FixedProgram(q), x, false), arenaRun]) {
          expect([...got.values.keys()]).toEqual([...ref.values.keys()]);
          for (const [name, raws] of ref.values) expect(got.values.get(name), name).toEqual(raws);
          expect(got.outs).toEqual(ref.outs);
          expect(got.stats).toEqual(ref.stats);
        }
      }),
      FC,
    );
    // Layers whose int32 sums are not provably exact keep the JavaScript sums (no fusion).
    expect(fused).toBeGreaterThan(FC.numRuns / 3);
    expect(pooled).toBeGreaterThan(5);
    expect(grouped).toBeGreaterThan(3);
    expect(pooledInPlace).toBeGreaterThan(1);
  });

  it('Conv → Relu → MaxPool written in place in the module memory equals the reference (every precision, pool shapes)', () => {
    let n = 0;
    for (const cfg of PRECISIONS) {
      for (const [k, st] of [[2, 2], [2, 1], [3, 1]] as const) {
        const g = graph('Conv', 3, 8, 11 + k * st, false, false, { k, s: st, after: true });
        const q = prepareFixed(g, parseConfig(cfg, 'test config')).graph;
        const x: RtTensor = { shape: [3, 5, 4, 3], data: values(3 * 60, 17 + k, 6, 0.2) };
        sumsCodegen.enabled = false;
        const ref = runAll(new FixedProgram(q), x, false);
        sumsCodegen.enabled = true;
        const prog = new FixedProgram(q);
        if (!(prog as unknown as { steps: { fusedOut?: string[] }[] }).steps[0]!.fusedOut?.includes('p')) continue;
        const owner = {};
        expect(statsArena.claim(owner, 1 << 20)).toBe(true);
        runAll(prog, { shape: [5, 5, 4, 3], data: values(5 * 60, 5, 9, 0.05) }, true, owner); // dirty arrays first
        const before = wasmGemm.inPlace;
        const got = runAll(prog, x, true, owner);
        expect(wasmGemm.inPlace).toBeGreaterThan(before);
        statsArena.release();
        for (const [name, raws] of ref.values) expect(got.values.get(name), name).toEqual(raws);
        expect(got.outs).toEqual(ref.outs);
        expect(got.stats).toEqual(ref.stats);
        n++;
      }
    }
    expect(n).toBeGreaterThan(8);
  });

  it('the fused path is taken: the Relu runs no kernel of its own', () => {
    const g = graph('Conv', 3, 8, 7, false, true, { k: 2, s: 2 });
    const q = prepareFixed(g, parseConfig({ model: { default: 'ap_fixed<16,6>' } }, 'cfg')).graph;
    const prog = new FixedProgram(q);
    const steps = (prog as unknown as { steps: { node: Node; fusedOut?: string[]; fusedIn?: boolean }[] }).steps;
    expect(steps.map((s) => [s.node.name, s.fusedOut ?? [], s.fusedIn ?? false])).toEqual([
      ['layer', ['z', 'p'], false],
      ['relu', [], true],
      ['pool', [], true],
    ]);
    expect(fracBits(q.values.get('z')!.fixed!)).toBe(10);
    const g2 = graph('Dense', 3, 8, 7, true, false);
    const q2 = prepareFixed(g2, parseConfig({ model: { default: 'ap_fixed<16,6>' } }, 'cfg')).graph;
    const steps2 = (new FixedProgram(q2) as unknown as { steps: { node: Node; fusedOut?: string[]; fusedIn?: boolean }[] }).steps;
    expect(steps2.map((s) => [s.node.name, s.fusedOut ?? [], s.fusedIn ?? false])).toEqual([
      ['layer', ['z'], false],
      ['relu', [], true],
      ['add', ['u'], false],
      ['relu2', [], true],
    ]);
  });
});
