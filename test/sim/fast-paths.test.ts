/**
 * Property tests of the simulator's speed paths (issue #13): generated weighted sums, im2col
 * convolution with groups, and the loop form for large layers must give exactly what the
 * reference loop kernels give — every fixed-point raw and overflow counter, and every float32
 * bit of the float executor — on random Dense/Conv graphs (shapes, strides, dilations, pads,
 * groups, types, batch sizes). The reference is the same code with sumsCodegen.enabled off.
 * Also: simulateParallel on worker threads returns the report and outputs simulate() does.
 */
import fc from 'fast-check';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sparseValues as values } from '../helpers/random.js';
import { loadOnnxFile } from '../../src/frontend/onnx/model.js';
import { fixedType } from '../../src/ir/fixed.js';
import type { Graph, Node, Value } from '../../src/ir/graph.js';
import { int16SumsExact } from '../../src/ir/precision.js';
import { parseConfig } from '../../src/ir/precision-config.js';
import { canonicalize, prepareFixed } from '../../src/passes/pipeline.js';
import { simulate } from '../../src/sim/compare.js';
import { FixedProgram } from '../../src/sim/fixed/executor.js';
import { runFloat } from '../../src/sim/float/executor.js';
import type { RtTensor } from '../../src/ir/semantics/tensor.js';
import { estimatedMs, prestartWorkers, simulateParallel } from '../../src/sim/parallel.js';
import type { Worker } from 'node:worker_threads';
import { MAX_GENERATED_TERMS, sumsCodegen } from '../../src/sim/sums-codegen.js';
import { GemmI16, moduleBytes, wasmGemm } from '../../src/sim/wasm-gemm.js';

const FC = { seed: 20261130, numRuns: 40 };

afterEach(() => {
  sumsCodegen.enabled = true;
  wasmGemm.enabled = true;
});

function value(name: string, shape: number[], data?: Float32Array): Value {
  return data ? { name, shape, elem: 'float32', data } : { name, shape, elem: 'float32' };
}

function graphOf(vals: Value[], nodes: Node[], input: string, output: string): Graph {
  const vs = new Map(vals.map((v) => [v.name, v]));
  const io = (name: string) => ({ modelName: name, value: name, modelShape: [null, ...vs.get(name)!.shape], elem: 'float32' as const });
  return { name: 'g', batched: true, values: vs, nodes, inputs: [io(input)], outputs: [io(output)], source: 'fast-paths test' };
}

interface ConvSpec {
  sp: number[];
  cinG: number;
  coutG: number;
  group: number;
  k: number[];
  strides: number[];
  dil: number[];
  pads: number[];
  bias: boolean;
  seed: number;
}

const convSpec = fc
  .record({
    rank: fc.constantFrom(1, 2),
    size: fc.integer({ min: 3, max: 7 }),
    size2: fc.integer({ min: 3, max: 6 }),
    cinG: fc.integer({ min: 1, max: 3 }),
    coutG: fc.integer({ min: 1, max: 4 }),
    group: fc.constantFrom(1, 1, 2, 3),
    k: fc.integer({ min: 1, max: 3 }),
    stride: fc.integer({ min: 1, max: 2 }),
    dil: fc.integer({ min: 1, max: 2 }),
    pad: fc.integer({ min: 0, max: 2 }),
    pad2: fc.integer({ min: 0, max: 1 }),
    bias: fc.boolean(),
    seed: fc.integer({ min: 1, max: 1 << 30 }),
  })
  .filter((r) => r.size + r.pad + r.pad2 >= (r.k - 1) * r.dil + 1 && r.size2 + r.pad + r.pad2 >= (r.k - 1) * r.dil + 1)
  .map(
    (r): ConvSpec => ({
      sp: r.rank === 1 ? [r.size] : [r.size, r.size2],
      cinG: r.cinG,
      coutG: r.coutG,
      group: r.group,
      k: r.rank === 1 ? [r.k] : [r.k, Math.max(1, r.k - 1)],
      strides: r.rank === 1 ? [r.stride] : [r.stride, 1],
      dil: r.rank === 1 ? [r.dil] : [1, r.dil],
      pads: r.rank === 1 ? [r.pad, r.pad2] : [r.pad, r.pad2, r.pad2, r.pad],
      bias: r.bias,
      seed: r.seed,
    }),
  );

function convGraph(c: ConvSpec): Graph {
  const s = c.sp.length;
  const cin = c.cinG * c.group;
  const cout = c.coutG * c.group;
  const out = c.sp.map((d, i) => Math.floor((d + c.pads[i]! + c.pads[i + s]! - ((c.k[i]! - 1) * c.dil[i]! + 1)) / c.strides[i]!) + 1);
  const wShape = [...c.k, c.cinG, cout];
  const nW = wShape.reduce((a, b) => a * b, 1);
  const vals = [
    value('x', [...c.sp, cin]),
    value('w', wShape, values(nW, c.seed, 1.5, 0.1)),
    ...(c.bias ? [value('b', [cout], values(cout, c.seed + 1, 2, 0))] : []),
    value('y', [...out, cout]),
    value('z', [...out, cout]),
  ];
  const conv = {
    name: 'conv',
    op: 'Conv',
    inputs: ['x', 'w', c.bias ? 'b' : ''],
    outputs: ['y'],
    attrs: { kernel: c.k, strides: c.strides, dilations: c.dil, pads: c.pads, group: c.group },
  } as unknown as Node;
  const relu = { name: 'relu', op: 'Relu', inputs: ['y'], outputs: ['z'], attrs: {} } as unknown as Node;
  return graphOf(vals, [conv, relu], 'x', 'z');
}

function denseGraph(K: number, M: number, seed: number): Graph {
  const vals = [value('x', [K]), value('w', [K, M], values(K * M, seed, 1, 0.1)), value('b', [M], values(M, seed + 1, 1, 0)), value('y', [M])];
  const dense = { name: 'dense', op: 'Dense', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs: {} } as unknown as Node;
  return graphOf(vals, [dense], 'x', 'y');
}

/** Precision configs: derived (exact) accumulators, narrow exact ones, and a per-term accumulator. */
const PRECISIONS: Record<string, unknown>[] = [
  {},
  { model: { default: 'ap_fixed<10,4>' } },
  { model: { default: 'ap_fixed<8,3,AP_RND,AP_SAT>' } },
  { model: { default: 'ap_ufixed<6,2>' } },
  { layers: { LAYER: { accum: 'ap_fixed<12,5,AP_RND_CONV,AP_WRAP>' } } },
  // int16 raws: the WebAssembly int16 sums (when the int32 bound holds), with each rounding/overflow mode on the casts.
  { model: { default: 'ap_fixed<16,6>' } },
  { model: { default: 'ap_fixed<16,4,AP_RND_CONV,AP_SAT_SYM>' } },
  { model: { default: 'ap_fixed<14,6,AP_RND_INF,AP_WRAP>' } },
  // Raws too wide for int16 (float64 sums in JavaScript), and wider than a double (BigInt path).
  { model: { default: 'ap_fixed<24,8,AP_RND,AP_SAT>' } },
  { model: { default: 'ap_fixed<60,20>' } },
];

/** The config with the per-layer entry aimed at this graph's weighted layer. */
function forLayer(cfg: Record<string, unknown>, layer: string): Record<string, unknown> {
  return JSON.parse(JSON.stringify(cfg).replace('LAYER', layer)) as Record<string, unknown>;
}

function input(g: Graph, n: number, seed: number, amp = 3): RtTensor {
  const per = g.values.get(g.inputs[0]!.value)!.shape.reduce((a, b) => a * b, 1);
  return { shape: [n, ...g.values.get(g.inputs[0]!.value)!.shape], data: values(n * per, seed, amp, 0.4) };
}

/**
 * Runs g three ways — all speed paths (WebAssembly sums), the generated JavaScript sums alone,
 * and the reference loops — and expects identical float bits, raws and counters.
 */
function expectSameBothWays(g: Graph, cfg: Record<string, unknown>, x: RtTensor): void {
  const q = prepareFixed(g, parseConfig(cfg, 'test config')).graph;
  const results = [
    [true, true],
    [true, false],
    [false, false],
  ].map(([on, wasm]) => {
    sumsCodegen.enabled = on!;
    wasmGemm.enabled = wasm!;
    const prog = new FixedProgram(q);
    const fx = prog.run([x])[0]!;
    const fl = runFloat(g, [x])[0]!;
    return { raw: Array.from(fx.raw), float: Array.from(new Uint32Array(fl.data.buffer, fl.data.byteOffset, fl.data.length)), stats: JSON.stringify([...prog.stats]) };
  });
  sumsCodegen.enabled = true;
  wasmGemm.enabled = true;
  // All speed paths again, with reused output arrays left dirty by a longer run on other inputs.
  const prog = new FixedProgram(q);
  const n = x.shape[0]!;
  const per = x.data.length / n;
  const dirty = { shape: [n + 2, ...x.shape.slice(1)], data: values((n + 2) * per, per + 99, 5, 0.1) };
  const buffers = new Map<Node, Float32Array[]>();
  prog.run([dirty], { reuseBuffers: true });
  runFloat(g, [dirty], { buffers });
  prog.resetStats();
  const fx = prog.run([x], { reuseBuffers: true })[0]!;
  // The graph output's node never reuses; every node before it writes into dirty arrays.
  const fl = runFloat(g, [x], { buffers })[0]!;
  results.push({ raw: Array.from(fx.raw), float: Array.from(new Uint32Array(fl.data.buffer, fl.data.byteOffset, fl.data.length)), stats: JSON.stringify([...prog.stats]) });
  for (const r of results.slice(1)) {
    expect(results[0]!.raw).toEqual(r.raw);
    expect(results[0]!.float).toEqual(r.float);
    expect(results[0]!.stats).toEqual(r.stats);
  }
}

describe('speed paths equal the reference kernels', () => {
  it('Conv: random geometry, groups (incl. depthwise-like), types and batch', () => {
    fc.assert(
      fc.property(convSpec, fc.constantFrom(...PRECISIONS), fc.integer({ min: 1, max: 5 }), (c, cfg, n) => {
        const g = convGraph(c);
        expectSameBothWays(g, forLayer(cfg, 'conv'), input(g, n, c.seed + 7));
      }),
      FC,
    );
  });

  it('Dense: generated sizes and the loop form beyond MAX_GENERATED_TERMS', () => {
    const sizes = fc.oneof(
      fc.record({ K: fc.integer({ min: 1, max: 40 }), M: fc.integer({ min: 1, max: 40 }) }),
      fc.record({ K: fc.constantFrom(70, 130), M: fc.constant(Math.ceil(MAX_GENERATED_TERMS / 64)) }),
    );
    fc.assert(
      fc.property(sizes, fc.constantFrom(...PRECISIONS), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 1 << 30 }), ({ K, M }, cfg, n, seed) => {
        const g = denseGraph(K, M, seed);
        expectSameBothWays(g, forLayer(cfg, 'dense'), input(g, n, seed + 3));
      }),
      { ...FC, numRuns: 30 },
    );
  });

  it('a large conv (K·M above the generated limit) takes the loop form and still matches', () => {
    const c: ConvSpec = { sp: [6, 6], cinG: 40, coutG: 120, group: 1, k: [1, 1], strides: [1, 1], dil: [1, 1], pads: [0, 0, 0, 0], bias: true, seed: 5 };
    expect(c.cinG * c.coutG).toBeGreaterThan(MAX_GENERATED_TERMS);
    const g = convGraph(c);
    for (const cfg of PRECISIONS.slice(0, 3)) expectSameBothWays(g, cfg, input(g, 3, 11));
  });
});

describe('generated max pools', () => {
  it('equal the reference loops: random windows, strides, pads (uniform windows generated, others not), types', () => {
    const spec = fc.record({
      H: fc.integer({ min: 2, max: 7 }),
      W: fc.integer({ min: 2, max: 7 }),
      C: fc.integer({ min: 1, max: 5 }),
      k: fc.integer({ min: 1, max: 3 }),
      s: fc.integer({ min: 1, max: 3 }),
      pad: fc.integer({ min: 0, max: 1 }),
      seed: fc.integer({ min: 1, max: 1 << 30 }),
    });
    fc.assert(
      fc.property(spec, fc.constantFrom(...PRECISIONS.slice(0, 8)), fc.integer({ min: 1, max: 4 }), (p, cfg, n) => {
        fc.pre(p.H + 2 * p.pad >= p.k && p.W + 2 * p.pad >= p.k && p.pad < p.k);
        const oh = Math.floor((p.H + 2 * p.pad - p.k) / p.s) + 1;
        const ow = Math.floor((p.W + 2 * p.pad - p.k) / p.s) + 1;
        const vals = [value('x', [p.H, p.W, p.C]), value('y', [oh, ow, p.C])];
        const pool = {
          name: 'pool',
          op: 'MaxPool',
          inputs: ['x'],
          outputs: ['y'],
          attrs: { kernel: [p.k, p.k], strides: [p.s, p.s], dilations: [1, 1], pads: [p.pad, p.pad, p.pad, p.pad], ceilMode: false },
        } as unknown as Node;
        const g = graphOf(vals, [pool], 'x', 'y');
        expectSameBothWays(g, forLayer(cfg, 'pool'), input(g, n, p.seed));
      }),
      { ...FC, numRuns: 30 },
    );
  });
});

describe('WebAssembly int16 sums', () => {
  it('the module validates, and 16-bit layers take it', () => {
    const wa = (globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } }).WebAssembly;
    expect(wa.validate(moduleBytes())).toBe(true);
    const c: ConvSpec = { sp: [6, 5], cinG: 3, coutG: 9, group: 1, k: [3, 2], strides: [1, 1], dil: [1, 1], pads: [1, 0, 1, 0], bias: true, seed: 3 };
    const g = convGraph(c);
    const before = wasmGemm.compiled;
    expectSameBothWays(g, { model: { default: 'ap_fixed<16,6>' } }, input(g, 4, 9));
    // One int16 conv in each of the two fixed programs on the speed paths (fresh and reused
    // arrays); the float executor's conv is in wasm-float.ts (test/sim/float-fast-paths.test.ts).
    expect(wasmGemm.compiled - before).toBe(2);
  });

  it('int16SumsExact refuses raws beyond int16 and sums that can reach 2^31', () => {
    const x16 = fixedType(16, 6);
    expect(int16SumsExact(x16, [1, 2, 3], 1)).toBe(true);
    expect(int16SumsExact(fixedType(17, 6), [1], 1)).toBe(false);
    expect(int16SumsExact(fixedType(16, 6, { signed: false }), [1], 1)).toBe(false);
    expect(int16SumsExact(fixedType(15, 6, { signed: false }), [1], 1)).toBe(true);
    expect(int16SumsExact(fixedType(4, 2), [32768], 1)).toBe(false);
    expect(int16SumsExact(fixedType(4, 2), [0.5], 1)).toBe(false);
    // Σ|w|·max|x| = 2·32768·32768 = 2^31: one pair of the dot instruction could overflow.
    expect(int16SumsExact(x16, [-32768, -32768], 1)).toBe(false);
    expect(int16SumsExact(x16, [-32768, -32767], 1)).toBe(true);
    // The bound is per output column ([k][m] layout): each column alone stays below 2^31.
    expect(int16SumsExact(x16, [32767, 1, 32767, 1], 2)).toBe(true);
    expect(int16SumsExact(x16, [32767, 1, 32767, 1], 1)).toBe(false);
  });

  it('sums the extreme raws exactly (pairs of -32768·-32767, odd K, tail and quad blocks)', () => {
    const K = 3;
    const M = 21;
    // Per column Σ|w| = 65535 at most: the largest sums int16Exact accepts with x at -32768.
    const w = Array.from({ length: K * M }, (_, i) => {
      const k = Math.floor(i / M);
      const m = i % M;
      return k === 0 ? -32767 : k === 1 ? (m % 2 ? 32767 : -32767) : (m % 3) - 1;
    });
    const x = Float64Array.from({ length: 2 * K }, (_, i) => (i % 2 ? -32768 : 32767));
    expect(int16SumsExact(fixedType(16, 6), w, M)).toBe(true);
    const g = new GemmI16({ K, M, rowsPerSample: 1 }, w, Int32Array.from({ length: K }, (_, k) => k));
    const got: number[] = [];
    g.run(x, 2, K, (sums, Mp, row0, n) => {
      for (let r = 0; r < n; r++) for (let m = 0; m < M; m++) got[(row0 + r) * M + m] = sums[r * Mp + m]!;
    });
    const want: number[] = [];
    for (let r = 0; r < 2; r++) for (let m = 0; m < M; m++) want.push([0, 1, 2].reduce((s, k) => s + x[r * K + k]! * w[k * M + m]!, 0));
    expect(got).toEqual(want);
  });
});

describe('simulateParallel', () => {
  it('gives simulate()’s report and outputs bit for bit on worker threads', async () => {
    const c: ConvSpec = { sp: [8, 8], cinG: 2, coutG: 3, group: 2, k: [3, 3], strides: [1, 1], dil: [1, 1], pads: [1, 1, 1, 1], bias: true, seed: 99 };
    const g = convGraph(c);
    const q = prepareFixed(g, parseConfig({ model: { default: 'ap_fixed<8,3>' } }, 'cfg')).graph;
    const x = input(g, 203, 5, 6);
    const a = simulate(g, q, [x], { chunk: 16 });
    let workers = -1;
    const b = await simulateParallel(g, q, [x], { chunk: 16, threads: 3, minParallelMs: 0, onWorkers: (k) => (workers = k) });
    expect(workers).toBe(2);
    expect(b.report).toEqual(a.report);
    expect(a.report.layers.some((l) => l.overflows > 0)).toBe(true);
    expect(Array.from(b.fixedOutputs[0]!.data)).toEqual(Array.from(a.fixedOutputs[0]!.data));
    expect(Array.from(b.floatOutputs[0]!.data)).toEqual(Array.from(a.floatOutputs[0]!.data));
  }, 60000);

  it('starts the workers before the first chunk when the graph says the run is long (estimatedMs)', async () => {
    const c: ConvSpec = { sp: [8, 8], cinG: 2, coutG: 3, group: 1, k: [3, 3], strides: [1, 1], dil: [1, 1], pads: [1, 1, 1, 1], bias: true, seed: 7 };
    const g = convGraph(c);
    const q = prepareFixed(g, parseConfig({ model: { default: 'ap_fixed<8,3>' } }, 'cfg')).graph;
    const x = input(g, 64, 5, 6);
    const est = estimatedMs(q, 64);
    expect(est).toBeGreaterThan(0);
    expect(estimatedMs(q, 128)).toBeCloseTo(2 * est, 9);
    const seen: string[] = [];
    const opts = { chunk: 16, threads: 2, onWorkers: (k: number) => seen.push(`workers ${k}`), onProgress: (d: number) => seen.push(`done ${d}`) };
    const b = await simulateParallel(g, q, [x], { ...opts, minParallelMs: est / 2 });
    expect(seen[0]).toBe('workers 1');
    expect(b.report).toEqual(simulate(g, q, [x], { chunk: 16 }).report);
    // Below the estimate: the first chunk runs (and is timed) before any worker is considered.
    seen.length = 0;
    await simulateParallel(g, q, [x], { ...opts, minParallelMs: 2 * est });
    expect(seen[0]).toBe('done 16');
  }, 60000);

  it('uses prestarted workers (given the graphs later) and ends the ones it does not need, also on an error', async () => {
    const c: ConvSpec = { sp: [8, 8], cinG: 2, coutG: 3, group: 1, k: [3, 3], strides: [1, 1], dil: [1, 1], pads: [1, 1, 1, 1], bias: true, seed: 8 };
    const g = convGraph(c);
    const q = prepareFixed(g, parseConfig({ model: { default: 'ap_fixed<8,3>' } }, 'cfg')).graph;
    const x = input(g, 80, 5, 6);
    const exited = (w: Worker) => new Promise<number>((resolve) => w.once('exit', resolve));
    const pre = prestartWorkers(3);
    const ends = pre.map(exited);
    let workers = -1;
    const b = await simulateParallel(g, q, [x], { chunk: 16, threads: 2, minParallelMs: 0, prestarted: pre, onWorkers: (k) => (workers = k) });
    expect(workers).toBe(1);
    expect(b.report).toEqual(simulate(g, q, [x], { chunk: 16 }).report);
    await Promise.all(ends); // the one used, when done, and the two spares
    const pre2 = prestartWorkers(2);
    const ends2 = pre2.map(exited);
    await expect(simulateParallel(g, q, [{ shape: [3, 7], data: new Float32Array(21) }], { prestarted: pre2 })).rejects.toThrow(/expected shape/);
    await Promise.all(ends2);
  }, 60000);

  it('stays on this thread for short runs', async () => {
    const g = denseGraph(4, 3, 1);
    const q = prepareFixed(g, parseConfig({}, 'cfg')).graph;
    let workers = -1;
    await simulateParallel(g, q, [input(g, 10, 2)], { onWorkers: (k) => (workers = k) });
    expect(workers).toBe(0);
  });
});

describe('reused output arrays (FixedRunOptions.reuseBuffers)', () => {
  it('LeNet-5: every value of a run on reused, dirty arrays equals a fresh program’s (conv, relu, pool, transposes, dense)', () => {
    const g = loadOnnxFile(join(import.meta.dirname, '../../examples/lenet5_mnist.onnx'));
    const q = prepareFixed(g, parseConfig({ model: { default: 'ap_fixed<16,6>' } }, 'test config')).graph;
    const x = (n: number, seed: number): RtTensor => ({ shape: [n, 1, 28, 28], data: values(n * 784, seed, 1, 0.5).map(Math.abs) });
    const cg = canonicalize(g);
    const floatBuffers = new Map<Node, Float32Array[]>();
    const collect = (prog: FixedProgram, t: RtTensor, reuseBuffers: boolean) => {
      const seen = new Map<string, number[]>();
      prog.resetStats();
      const out = prog.run([t], { reuseBuffers, onValue: (name, v) => seen.set(name, Array.from(v.raw)) });
      runFloat(cg, [t], { buffers: reuseBuffers ? floatBuffers : undefined, onValue: (name, v) => seen.set(`float ${name}`, Array.from(v.data)) });
      return { seen, out: Array.from(out[0]!.raw), stats: JSON.stringify([...prog.stats]) };
    };
    const reused = new FixedProgram(q);
    collect(reused, x(7, 1), true);
    const a = collect(reused, x(5, 2), true);
    const b = collect(new FixedProgram(q), x(5, 2), false);
    expect(a.seen.size).toBeGreaterThan(20);
    expect(floatBuffers.size).toBeGreaterThan(5);
    for (const [name, raws] of b.seen) expect(a.seen.get(name), name).toEqual(raws);
    expect(a.out).toEqual(b.out);
    expect(a.stats).toEqual(b.stats);
  });
});
