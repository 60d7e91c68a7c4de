/**
 * The float executor's speed paths (src/sim/wasm-float.ts, src/sim/float/kernels/generated.ts,
 * the Relu fusion of src/sim/float/executor.ts) against the reference kernels of
 * src/ir/semantics/float: every value of random graphs — Conv (groups, padding, strides,
 * dilations), Dense, Add (same shape and trailing-block broadcasts), each read by a Relu the fast path writes in the same pass —
 * must have the same float32 bits, including for NaN, ±Inf and −0 inputs and weights, on fresh
 * and on reused, dirty arrays.
 */
import fc from 'fast-check';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadOnnxFile } from '../../src/frontend/onnx/model.js';
import type { Graph, Node, Value } from '../../src/ir/graph.js';
import { canonicalize } from '../../src/passes/pipeline.js';
import { runFloat } from '../../src/sim/float/executor.js';
import type { RtTensor } from '../../src/ir/semantics/tensor.js';
import { sumsCodegen } from '../../src/sim/sums-codegen.js';
import { floatModuleBytes, wasmFloat } from '../../src/sim/wasm-float.js';
import { floatEltwiseModuleBytes, wasmEltwise } from '../../src/sim/wasm-float-eltwise.js';
import { floatScatterModuleBytes, wasmScatter } from '../../src/sim/wasm-float-scatter.js';
import { floatInPlace } from '../../src/sim/wasm-float-io.js';
import { statsArena } from '../../src/sim/wasm-stats.js';

const FC = { seed: 20261130, numRuns: 60 };

afterEach(() => {
  sumsCodegen.enabled = true;
  wasmFloat.enabled = true;
});

/** Deterministic values in [-amp, amp]: about `zeros` exact zeros (half of them −0), and specials if asked. */
function values(n: number, seed: number, amp: number, zeros = 0.3, specials = 0): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  const SPECIAL = [NaN, Infinity, -Infinity, -0];
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u = s / 4294967296;
    if (u < specials) out[i] = SPECIAL[Math.floor((u / specials) * 4)]!;
    else if (u < specials + zeros) out[i] = u < specials + zeros / 2 ? -0 : 0;
    else out[i] = (2 * ((u - specials - zeros) / (1 - specials - zeros)) - 1) * amp;
  }
  return out;
}

function value(name: string, shape: number[], data?: Float32Array): Value {
  return data ? { name, shape, elem: 'float32', data } : { name, shape, elem: 'float32' };
}

function graphOf(vals: Value[], nodes: Node[], input: string, outputs: string[]): Graph {
  const vs = new Map(vals.map((v) => [v.name, v]));
  const io = (name: string) => ({ modelName: name, value: name, modelShape: [null, ...vs.get(name)!.shape], elem: 'float32' as const });
  return { name: 'g', batched: true, values: vs, nodes, inputs: [io(input)], outputs: outputs.map(io), source: 'float fast-paths test' };
}

const node = (name: string, op: string, inputs: string[], outputs: string[], attrs: object = {}) => ({ name, op, inputs, outputs, attrs }) as unknown as Node;

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
  specials: boolean;
}

const convSpec = fc
  .record({
    rank: fc.constantFrom(1, 2),
    size: fc.integer({ min: 3, max: 7 }),
    size2: fc.integer({ min: 3, max: 6 }),
    cinG: fc.integer({ min: 1, max: 5 }),
    coutG: fc.integer({ min: 1, max: 19 }),
    group: fc.constantFrom(1, 1, 2, 3),
    // Depthwise (cinG = coutG = 1, group = channels) has a kernel of its own.
    depthwise: fc.constantFrom(0, 0, 0, 1, 2, 3, 8),
    k: fc.integer({ min: 1, max: 3 }),
    stride: fc.integer({ min: 1, max: 2 }),
    dil: fc.integer({ min: 1, max: 2 }),
    pad: fc.integer({ min: 0, max: 2 }),
    pad2: fc.integer({ min: 0, max: 1 }),
    bias: fc.boolean(),
    seed: fc.integer({ min: 1, max: 1 << 30 }),
    specials: fc.boolean(),
  })
  .filter((r) => r.size + r.pad + r.pad2 >= (r.k - 1) * r.dil + 1 && r.size2 + r.pad + r.pad2 >= (r.k - 1) * r.dil + 1)
  .map(
    (r): ConvSpec => ({
      sp: r.rank === 1 ? [r.size] : [r.size, r.size2],
      cinG: r.depthwise ? 1 : r.cinG,
      coutG: r.depthwise ? 1 : r.coutG,
      group: r.depthwise || r.group,
      k: r.rank === 1 ? [r.k] : [r.k, Math.max(1, r.k - 1)],
      strides: r.rank === 1 ? [r.stride] : [r.stride, 1],
      dil: r.rank === 1 ? [r.dil] : [1, r.dil],
      pads: r.rank === 1 ? [r.pad, r.pad2] : [r.pad, r.pad2, r.pad2, r.pad],
      bias: r.bias,
      seed: r.seed,
      specials: r.specials,
    }),
  );

/** x → Conv → y; Relu(y) → z; Add(y, z) → s; Relu(s) → r: outputs y and r (y read three times). */
function convGraph(c: ConvSpec): Graph {
  const s = c.sp.length;
  const cin = c.cinG * c.group;
  const cout = c.coutG * c.group;
  const out = c.sp.map((d, i) => Math.floor((d + c.pads[i]! + c.pads[i + s]! - ((c.k[i]! - 1) * c.dil[i]! + 1)) / c.strides[i]!) + 1);
  const wShape = [...c.k, c.cinG, cout];
  const nW = wShape.reduce((a, b) => a * b, 1);
  const sp = c.specials ? 0.04 : 0;
  const vals = [
    value('x', [...c.sp, cin]),
    value('w', wShape, values(nW, c.seed, 1.5, 0.1, sp)),
    ...(c.bias ? [value('b', [cout], values(cout, c.seed + 1, 2, 0.2, sp))] : []),
    ...['y', 'z', 's', 'r'].map((n) => value(n, [...out, cout])),
  ];
  const conv = node('conv', 'Conv', ['x', 'w', c.bias ? 'b' : ''], ['y'], { kernel: c.k, strides: c.strides, dilations: c.dil, pads: c.pads, group: c.group });
  return graphOf(vals, [conv, node('relu', 'Relu', ['y'], ['z']), node('add', 'Add', ['y', 'z'], ['s']), node('relu2', 'Relu', ['s'], ['r'])], 'x', ['y', 'r']);
}

/** x → Dense → y → Relu → z → Dense → u → Relu → v (output). */
function denseGraph(K: number, M: number, seed: number, specials: boolean): Graph {
  const sp = specials ? 0.04 : 0;
  const vals = [
    value('x', [K]),
    value('w', [K, M], values(K * M, seed, 1, 0.1, sp)),
    value('b', [M], values(M, seed + 1, 1, 0.2, sp)),
    value('w2', [M, 3], values(M * 3, seed + 2, 1, 0.1)),
    value('y', [M]),
    value('z', [M]),
    value('u', [3]),
    value('v', [3]),
  ];
  return graphOf(
    vals,
    [node('dense', 'Dense', ['x', 'w', 'b'], ['y']), node('relu', 'Relu', ['y'], ['z']), node('dense2', 'Dense', ['z', 'w2', ''], ['u']), node('relu2', 'Relu', ['u'], ['v'])],
    'x',
    ['v'],
  );
}

function input(g: Graph, n: number, seed: number, specials: boolean, amp = 3): RtTensor {
  const per = g.values.get(g.inputs[0]!.value)!.shape.reduce((a, b) => a * b, 1);
  return { shape: [n, ...g.values.get(g.inputs[0]!.value)!.shape], data: values(n * per, seed, amp, 0.4, specials ? 0.03 : 0) };
}

/**
 * Float32 bits, every NaN as one pattern: JavaScript arithmetic does not define a NaN's sign or
 * payload (x86 makes 0·Inf a negative NaN, V8 may canonicalise), so neither does the reference.
 */
const bits = (d: Float32Array) => Array.from(new Uint32Array(d.buffer, d.byteOffset, d.length), (b, i) => (Number.isNaN(d[i]) ? 0x7fc00000 : b));

/** Every value of a run, as float32 bits. */
function everyValue(g: Graph, x: RtTensor, buffers?: Map<Node, Float32Array[]>, newArray?: (len: number) => Float32Array): Map<string, number[]> {
  const seen = new Map<string, number[]>();
  const outs = runFloat(g, [x], { buffers, newArray, onValue: (name, t) => seen.set(name, bits(t.data)) });
  g.outputs.forEach((o, k) => seen.set(`output ${o.value}`, bits(outs[k]!.data)));
  return seen;
}

/** The reference kernels (speed paths off) against the speed paths, fresh and on dirty reused arrays. */
function expectSameAsReference(g: Graph, x: RtTensor): void {
  sumsCodegen.enabled = false;
  const want = everyValue(g, x);
  sumsCodegen.enabled = true;
  const fresh = everyValue(g, x);
  const n = x.shape[0]!;
  const per = x.data.length / n;
  const buffers = new Map<Node, Float32Array[]>();
  everyValue(g, { shape: [n + 2, ...x.shape.slice(1)], data: values((n + 2) * per, per + 99, 5, 0.1) }, buffers);
  const reused = everyValue(g, x, buffers);
  // The input and the reused arrays in the kernels' memory (the report's arena), dirty from a
  // run on other inputs: the WebAssembly kernels read and write them in place.
  const owner = {};
  const bytes = 16 * (x.data.length + 64) + 2 * [...buffers.values()].flat().reduce((a, b) => a + b.byteLength + 64, 0);
  expect(statsArena.claim(owner, bytes)).toBe(true);
  const arena = (len: number) => statsArena.f32(owner, len);
  const xa = arena(x.data.length);
  xa.set(x.data);
  const inArena = new Map<Node, Float32Array[]>();
  everyValue(g, { shape: [n + 2, ...x.shape.slice(1)], data: values((n + 2) * per, per + 98, 5, 0.1) }, inArena, arena);
  const inPlace = everyValue(g, { shape: x.shape, data: xa }, inArena, arena);
  expect(statsArena.owns(owner)).toBe(true);
  statsArena.release();
  expect(want.size).toBe(g.nodes.length + g.outputs.length);
  for (const [name, b] of want) {
    expect(fresh.get(name), name).toEqual(b);
    expect(reused.get(name), name).toEqual(b);
    expect(inPlace.get(name), name).toEqual(b);
  }
}

describe('float speed paths equal the reference kernels', () => {
  it('the module validates, and Conv/Dense take it', () => {
    const wa = (globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } }).WebAssembly;
    expect(wa.validate(floatModuleBytes())).toBe(true);
    expect(wa.validate(floatEltwiseModuleBytes())).toBe(true);
    expect(wa.validate(floatScatterModuleBytes())).toBe(true);
    const before = wasmFloat.compiled;
    const g = denseGraph(5, 9, 3, false);
    runFloat(g, [input(g, 2, 1, false)]);
    expect(wasmFloat.compiled - before).toBe(2);
  });

  it('dsconv: every value bit-identical (depthwise convs with Relu-free outputs, pointwise with Relu)', () => {
    const g = canonicalize(loadOnnxFile(join(import.meta.dirname, '../../examples/dsconv_mnist.onnx')));
    expect(g.nodes.filter((n) => n.op === 'Conv' && n.attrs.group > 1).length).toBe(2);
    expectSameAsReference(g, { shape: [2, 1, 28, 28], data: values(2 * 784, 5, 1, 0.6).map(Math.abs) });
  });

  it('Conv + Relu + same-shape Add + Relu: random geometry, groups, batch, NaN/±Inf/−0', () => {
    fc.assert(
      fc.property(convSpec, fc.integer({ min: 1, max: 5 }), (c, n) => {
        const g = convGraph(c);
        expectSameAsReference(g, input(g, n, c.seed + 7, c.specials));
      }),
      FC,
    );
  });

  it('Conv with whole quads of outputs: dense inputs take the all-terms kernel (finite weights, no −0 bias only), sparse ones the input-stationary kernel (any weights); same bits', () => {
    const spec = fc.record({
      coutG: fc.constantFrom(8, 16, 24),
      cinG: fc.integer({ min: 1, max: 4 }),
      group: fc.constantFrom(1, 1, 2),
      size: fc.integer({ min: 3, max: 8 }),
      size2: fc.integer({ min: 3, max: 6 }),
      pad: fc.integer({ min: 0, max: 2 }),
      stride: fc.integer({ min: 1, max: 2 }),
      dil: fc.integer({ min: 1, max: 2 }),
      // 0: finite weights, bias without −0; 1: no bias; 2: a −0 bias; 3: an Inf or NaN weight.
      kind: fc.constantFrom(0, 0, 1, 2, 3),
      sparse: fc.boolean(),
      seed: fc.integer({ min: 1, max: 1 << 30 }),
      n: fc.integer({ min: 1, max: 4 }),
    });
    const seen = { dense: 0, scatter: 0 };
    fc.assert(
      fc.property(spec, (p) => {
        fc.pre(p.size + 2 * p.pad >= 2 * p.dil + 1 && p.size2 + 2 * p.pad >= 2 * p.dil + 1);
        const c: ConvSpec = {
          sp: [p.size, p.size2],
          cinG: p.cinG,
          coutG: p.coutG,
          group: p.group,
          k: [3, 3],
          strides: [p.stride, 1],
          dil: [p.dil, p.dil],
          pads: [p.pad, p.pad, p.pad, p.pad],
          bias: p.kind !== 1,
          seed: p.seed,
          specials: false,
        };
        const g = convGraph(c);
        const cout = p.coutG * p.group;
        const vals = new Map(g.values);
        if (c.bias) {
          const b = values(cout, p.seed + 1, 2, 0.2).map((v) => (Object.is(v, -0) ? 0 : v));
          if (p.kind === 2) b[p.seed % cout] = -0;
          vals.set('b', value('b', [cout], b));
        }
        if (p.kind === 3) {
          const w = vals.get('w')!;
          const wd = Float32Array.from(w.data as Float32Array);
          wd[p.seed % wd.length] = p.seed % 2 ? Infinity : NaN;
          vals.set('w', value('w', [...w.shape], wd));
        }
        const per = g.values.get('x')!.shape.reduce((a, b) => a * b, 1);
        // Sparse: ~60 % zeros (and NaN/±Inf); dense: no zeros in the first sample, a few later.
        const x = p.sparse ? input(g, p.n, p.seed + 7, true) : { shape: [p.n, ...g.values.get('x')!.shape], data: values(p.n * per, p.seed + 7, 3, 0).map((v, i) => (i >= per && i % 5 === 0 ? 0 : v)) };
        const d0 = wasmFloat.denseCalls;
        const s0 = wasmScatter.calls;
        const c0 = wasmFloat.dense;
        expectSameAsReference({ ...g, values: vals }, x);
        const allTerms = p.kind <= 1;
        expect(wasmFloat.dense - c0, 'all-terms kernel allowed').toBe(allTerms ? 1 : 0);
        const dense = wasmFloat.denseCalls - d0;
        const scatter = wasmScatter.calls - s0;
        // Five runs of the conv: fresh, reused and in the arena on x, and two on other inputs (10 % zeros) in between.
        if (p.group === 1 && !allTerms) expect([scatter, dense]).toEqual([5, 0]);
        if (p.group === 1 && allTerms) expect(p.sparse ? scatter : dense).toBeGreaterThanOrEqual(3);
        seen.dense += dense;
        seen.scatter += scatter;
      }),
      FC,
    );
    expect(seen.dense).toBeGreaterThan(30);
    expect(seen.scatter).toBeGreaterThan(30);
  });

  it('Dense + Relu: quads, tails (odd M), K = 1, NaN/±Inf/−0', () => {
    const sizes = fc.record({ K: fc.integer({ min: 1, max: 40 }), M: fc.integer({ min: 1, max: 27 }) });
    fc.assert(
      fc.property(sizes, fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 1 << 30 }), fc.boolean(), ({ K, M }, n, seed, sp) => {
        const g = denseGraph(K, M, seed, sp);
        expectSameAsReference(g, input(g, n, seed + 3, sp));
      }),
      { ...FC, numRuns: 40 },
    );
  });

  it('Add of a whole and a repeated trailing block (bias, scalar, same shape), either side, + Relu, NaN/±Inf/−0', () => {
    const spec = fc.record({
      shape: fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 3 }),
      // How many trailing dims the block keeps (0 = a scalar), and leading 1s it carries.
      keep: fc.integer({ min: 0, max: 3 }),
      ones: fc.integer({ min: 0, max: 2 }),
      blockFirst: fc.boolean(),
      relu: fc.boolean(),
      seed: fc.integer({ min: 1, max: 1 << 30 }),
      n: fc.integer({ min: 1, max: 5 }),
    });
    const before = wasmEltwise.calls;
    fc.assert(
      fc.property(spec, ({ shape, keep, ones, blockFirst, relu, seed, n }) => {
        const block = [...new Array<number>(ones).fill(1), ...shape.slice(shape.length - Math.min(keep, shape.length))];
        const bn = block.reduce((p, d) => p * d, 1);
        const vals = [value('x', shape), value('c', block, values(bn, seed + 5, 4, 0.2, 0.1)), value('y', shape), value('r', shape)];
        const add = node('add', 'Add', blockFirst ? ['c', 'x'] : ['x', 'c'], ['y']);
        const nodes = relu ? [add, node('relu', 'Relu', ['y'], ['r'])] : [add];
        const g = graphOf(relu ? vals : vals.slice(0, 3), nodes, 'x', [relu ? 'r' : 'y']);
        expectSameAsReference(g, input(g, n, seed, true));
      }),
      FC,
    );
    expect(wasmEltwise.calls - before).toBeGreaterThan(60);
  });

  it('Dense with whole quads of outputs (rows of consecutive samples paired, odd counts, several blocks): same bits', () => {
    const sizes = fc.record({ K: fc.integer({ min: 1, max: 40 }), M: fc.constantFrom(8, 16, 32), n: fc.constantFrom(1, 2, 3, 7, 700), seed: fc.integer({ min: 1, max: 1 << 30 }) });
    const before = wasmFloat.denseCalls;
    fc.assert(
      fc.property(sizes, ({ K, M, n, seed }) => {
        const g = denseGraph(K, M, seed, false);
        const vals = new Map(g.values);
        vals.set('b', value('b', [M], values(M, seed + 1, 1, 0.2).map((v) => (Object.is(v, -0) ? 0 : v))));
        const c0 = wasmFloat.denseCalls;
        // Inputs without zeros (those take the all-terms kernel), then NaN/±Inf/−0 among them.
        const x = { shape: [n, K], data: values(n * K, seed + 3, 3, 0, 0.02).map((v) => (Object.is(v, -0) ? 1 : v)) };
        for (let i = 50; i < x.data.length; i += 97) x.data[i] = -0;
        expectSameAsReference({ ...g, values: vals }, x);
        expect(wasmFloat.denseCalls - c0).toBeGreaterThanOrEqual(2);
      }),
      { ...FC, numRuns: 25 },
    );
    expect(wasmFloat.denseCalls - before).toBeGreaterThanOrEqual(50);
  });

  it('Transpose: random shapes (with 1s) and permutations, as an index map or a copy', () => {
    const spec = fc.record({
      shape: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
      seed: fc.integer({ min: 1, max: 1 << 30 }),
      n: fc.integer({ min: 1, max: 4 }),
    });
    fc.assert(
      fc.property(spec, ({ shape, seed, n }) => {
        const perm = shape.map((_, i) => i);
        let s = seed;
        for (let i = perm.length - 1; i > 0; i--) {
          s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
          const j = s % (i + 1);
          [perm[i], perm[j]] = [perm[j]!, perm[i]!];
        }
        const g = graphOf([value('x', shape), value('y', perm.map((p) => shape[p]!))], [node('t', 'Transpose', ['x'], ['y'], { perm })], 'x', ['y']);
        expectSameAsReference(g, input(g, n, seed, true));
      }),
      FC,
    );
  });

  it('MaxPool: random windows, strides, pads, dilations and channel counts (vector tails), NaN/±Inf/−0', () => {
    const spec = fc.record({
      H: fc.integer({ min: 2, max: 7 }),
      W: fc.integer({ min: 2, max: 7 }),
      C: fc.integer({ min: 1, max: 11 }),
      k: fc.integer({ min: 1, max: 3 }),
      s: fc.integer({ min: 1, max: 3 }),
      d: fc.integer({ min: 1, max: 2 }),
      pad: fc.integer({ min: 0, max: 1 }),
      seed: fc.integer({ min: 1, max: 1 << 30 }),
      n: fc.integer({ min: 1, max: 4 }),
    });
    const before = wasmFloat.compiled;
    fc.assert(
      fc.property(spec, (p) => {
        const ext = (p.k - 1) * p.d + 1;
        fc.pre(p.H + 2 * p.pad >= ext && p.W + 2 * p.pad >= ext && p.pad < p.k);
        const oh = Math.floor((p.H + 2 * p.pad - ext) / p.s) + 1;
        const ow = Math.floor((p.W + 2 * p.pad - ext) / p.s) + 1;
        const attrs = { kernel: [p.k, p.k], strides: [p.s, p.s], dilations: [p.d, p.d], pads: [p.pad, p.pad, p.pad, p.pad], ceilMode: false };
        const g = graphOf([value('x', [p.H, p.W, p.C]), value('y', [oh, ow, p.C])], [node('pool', 'MaxPool', ['x'], ['y'], attrs)], 'x', ['y']);
        expectSameAsReference(g, input(g, p.n, p.seed, true));
      }),
      FC,
    );
    // Windows of one shape (most of them) take the WebAssembly pool.
    expect(wasmFloat.compiled - before).toBeGreaterThan(20);
  });

  it('the Relu of a −0, NaN or −Inf layer output is +0, like the reference', () => {
    // Dense with one input: y = b + x·w; w = 1 passes x through (x = 0 is skipped, leaving b).
    const g0 = denseGraph(1, 1, 1, false);
    const vals = new Map(g0.values);
    vals.set('w', value('w', [1, 1], Float32Array.of(1)));
    vals.set('b', value('b', [1], Float32Array.of(-0)));
    const g = { ...g0, values: vals };
    const x = { shape: [6, 1], data: Float32Array.of(0, NaN, -Infinity, -2, Infinity, 3) };
    const z: Float32Array[] = [];
    runFloat(g, [x], { onValue: (name, t) => name === 'z' && z.push(t.data.slice()) });
    expect(bits(z[0]!)).toEqual(bits(Float32Array.of(0, 0, 0, 0, Infinity, 3)));
    expectSameAsReference(g, x);
  });

  it('LeNet-5 and the residual CNN: every value bit-identical on MNIST-like inputs', () => {
    const before = { ...floatInPlace };
    for (const [model, shape] of [
      ['lenet5_mnist.onnx', [1, 28, 28]],
      ['resnet_mnist.onnx', [1, 28, 28]],
      ['dsconv_mnist.onnx', [1, 28, 28]],
    ] as const) {
      const g = canonicalize(loadOnnxFile(join(import.meta.dirname, '../../examples', model)));
      const n = 3;
      const x = { shape: [n, ...shape], data: values(n * 784, 17, 1, 0.6).map(Math.abs) };
      expectSameAsReference(g, x);
    }
    // Their kernels read inputs and wrote outputs in place in the arena runs.
    expect(floatInPlace.inputs - before.inputs).toBeGreaterThan(10);
    expect(floatInPlace.outputs - before.outputs).toBeGreaterThan(10);
  });
});
