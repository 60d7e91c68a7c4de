/**
 * Random small graphs for whole-pipeline property tests: a recipe (a list of steps drawn by
 * fast-check) is built into a batched IR graph — Dense (bias as input, as a following Add, or
 * none), Conv (1x1..3x3, stride 1-2, padding), BatchNorm, Div by a constant, activations,
 * Max/Avg pooling, residual Add/Mul with a side branch, Flatten — on a channels-last input of
 * random shape. Steps that do not fit the current shape (pooling a vector) are skipped, so
 * every recipe builds a valid graph. Weights come from a seeded PRNG on a 1/64 grid. Also a
 * random precision config (widths, integer bits, signedness, rounding and overflow modes) that
 * never names an accumulator, so every accumulator is derived.
 */
import fc from 'fast-check';
import type { Graph, Node, Value } from '../../src/ir/graph.js';
import { verify } from '../../src/ir/verify.js';
import { dyn, graph, konst, node } from './ir.js';

type Bias = 'none' | 'input' | 'add';
export type Step =
  | { k: 'dense'; m: number; bias: Bias; seed: number }
  | { k: 'conv'; co: number; ks: number; stride: number; pad: number; bias: Bias; seed: number }
  | { k: 'bn'; seed: number }
  | { k: 'div'; seed: number }
  | { k: 'act'; op: 'Relu' | 'Sigmoid' | 'Tanh' | 'LeakyRelu' | 'Clip' }
  | { k: 'pool'; op: 'MaxPool' | 'AvgPool'; ks: number }
  | { k: 'residual'; op: 'Add' | 'Mul' }
  | { k: 'flatten' };

const seedArb = fc.integer({ min: 1, max: 0x7fffffff });
const biasArb = fc.constantFrom<Bias>('none', 'input', 'add');

export const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ k: fc.constant('dense' as const), m: fc.integer({ min: 1, max: 5 }), bias: biasArb, seed: seedArb }),
  fc.record({
    k: fc.constant('conv' as const), co: fc.integer({ min: 1, max: 3 }), ks: fc.integer({ min: 1, max: 3 }),
    stride: fc.integer({ min: 1, max: 2 }), pad: fc.integer({ min: 0, max: 1 }), bias: biasArb, seed: seedArb,
  }),
  fc.record({ k: fc.constant('bn' as const), seed: seedArb }),
  fc.record({ k: fc.constant('div' as const), seed: seedArb }),
  fc.record({ k: fc.constant('act' as const), op: fc.constantFrom('Relu', 'Sigmoid', 'Tanh', 'LeakyRelu', 'Clip') }),
  fc.record({ k: fc.constant('pool' as const), op: fc.constantFrom('MaxPool', 'AvgPool'), ks: fc.integer({ min: 2, max: 3 }) }),
  fc.record({ k: fc.constant('residual' as const), op: fc.constantFrom('Add', 'Mul') }),
  fc.record({ k: fc.constant('flatten' as const) }),
);

/** Input shape per sample: [H, W, C] or a vector [K]. */
export const shapeArb: fc.Arbitrary<number[]> = fc.oneof(
  fc.tuple(fc.integer({ min: 2, max: 6 }), fc.integer({ min: 2, max: 6 }), fc.integer({ min: 1, max: 3 })).map((t) => [...t]),
  fc.integer({ min: 1, max: 8 }).map((k) => [k]),
);

export const recipeArb = fc.record({ shape: shapeArb, steps: fc.array(stepArb, { minLength: 1, maxLength: 6 }) });

function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/** n weights on a 1/64 grid in [-scale, scale]. */
function weights(seed: number, n: number, scale = 1): number[] {
  const r = prng(seed);
  return Array.from({ length: n }, () => Math.round((r() * 2 - 1) * scale * 64) / 64);
}

export function buildGraph(recipe: { shape: number[]; steps: Step[] }): Graph {
  const values: Value[] = [dyn('x', recipe.shape)];
  const nodes: Node[] = [];
  let cur = 'x';
  let shape = recipe.shape;
  let k = 0;
  const fresh = (p: string) => `${p}${k++}`;
  const emit = (n: Node, outShape: number[]) => {
    nodes.push(n);
    values.push(dyn(n.outputs[0]!, outShape));
    cur = n.outputs[0]!;
    shape = outShape;
  };
  const C = () => shape[shape.length - 1]!;
  const addBias = (bias: Bias, seed: number, m: number): string[] => {
    if (bias !== 'input') return [];
    const b = fresh('b');
    values.push(konst(b, [m], weights(seed + 7, m, 0.5)));
    return [b];
  };
  const biasAdd = (bias: Bias, seed: number) => {
    if (bias !== 'add') return;
    const c = fresh('c');
    values.push(konst(c, [C()], weights(seed + 11, C(), 0.5)));
    emit(node(fresh('add'), 'Add', [cur, c], [fresh('v')]), shape);
  };
  for (const s of recipe.steps) {
    switch (s.k) {
      case 'dense': {
        const w = fresh('w');
        values.push(konst(w, [C(), s.m], weights(s.seed, C() * s.m)));
        emit(node(fresh('dense'), 'Dense', [cur, w, ...addBias(s.bias, s.seed, s.m)], [fresh('v')]), [...shape.slice(0, -1), s.m]);
        biasAdd(s.bias, s.seed);
        break;
      }
      case 'conv': {
        if (shape.length !== 3) break;
        const [H, W] = shape as [number, number, number];
        const out = (d: number) => Math.floor((d + 2 * s.pad - s.ks) / s.stride) + 1;
        if (out(H) < 1 || out(W) < 1) break;
        const w = fresh('w');
        values.push(konst(w, [s.ks, s.ks, C(), s.co], weights(s.seed, s.ks * s.ks * C() * s.co, 0.75)));
        const attrs = { kernel: [s.ks, s.ks], strides: [s.stride, s.stride], dilations: [1, 1], pads: [s.pad, s.pad, s.pad, s.pad], group: 1 };
        emit(node(fresh('conv'), 'Conv', [cur, w, ...addBias(s.bias, s.seed, s.co)], [fresh('v')], attrs), [out(H), out(W), s.co]);
        biasAdd(s.bias, s.seed);
        break;
      }
      case 'bn': {
        const names = ['scale', 'bias', 'mean', 'var'].map((p) => fresh(p));
        const r = prng(s.seed);
        const pos = (n: number) => Array.from({ length: n }, () => Math.round((0.25 + r() * 2) * 64) / 64);
        const data = [weights(s.seed, C()), weights(s.seed + 1, C(), 0.5), weights(s.seed + 2, C(), 0.5), pos(C())];
        names.forEach((nm, i) => values.push(konst(nm, [C()], data[i]!)));
        emit(node(fresh('bn'), 'BatchNorm', [cur, ...names], [fresh('v')], { epsilon: 1e-3 }), shape);
        break;
      }
      case 'div': {
        const d = fresh('d');
        const r = prng(s.seed);
        values.push(konst(d, [C()], Array.from({ length: C() }, () => (r() < 0.5 ? -1 : 1) * (0.5 + Math.round(r() * 3 * 8) / 8))));
        emit(node(fresh('div'), 'Div', [cur, d], [fresh('v')]), shape);
        break;
      }
      case 'act': {
        const id = fresh('act');
        const out = [fresh('v')];
        if (s.op === 'LeakyRelu') emit(node(id, 'LeakyRelu', [cur], out, { alpha: 0.125 }), shape);
        else if (s.op === 'Clip') emit(node(id, 'Clip', [cur], out, { min: -1.5, max: 2.25 }), shape);
        else emit(node(id, s.op, [cur], out), shape);
        break;
      }
      case 'pool': {
        if (shape.length !== 3 || shape[0]! < s.ks || shape[1]! < s.ks) break;
        const out = shape.map((d, i) => (i < 2 ? Math.floor((d - s.ks) / s.ks) + 1 : d));
        const pa = { kernel: [s.ks, s.ks], strides: [s.ks, s.ks], dilations: [1, 1], pads: [0, 0, 0, 0], ceilMode: false };
        if (s.op === 'MaxPool') emit(node(fresh('pool'), 'MaxPool', [cur], [fresh('v')], pa), out);
        else emit(node(fresh('pool'), 'AvgPool', [cur], [fresh('v')], { ...pa, countIncludePad: false }), out);
        break;
      }
      case 'residual': {
        const a = cur;
        emit(node(fresh('side'), 'Relu', [a], [fresh('v')]), shape);
        emit(node(fresh('res'), s.op, [a, cur], [fresh('v')]), shape);
        break;
      }
      case 'flatten': {
        const n = shape.reduce((p, d) => p * d, 1);
        emit(node(fresh('flat'), 'Reshape', [cur], [fresh('v')], { shape: [n] }), [n]);
        break;
      }
    }
  }
  return verify(graph(values, nodes, ['x'], [cur]));
}

const typeArb = (minW: number, maxW: number) =>
  fc
    .record({
      w: fc.integer({ min: minW, max: maxW }),
      i: fc.integer({ min: -2, max: 8 }),
      u: fc.boolean(),
      q: fc.constantFrom('AP_TRN', 'AP_RND', 'AP_RND_CONV', 'AP_TRN_ZERO'),
      o: fc.constantFrom('AP_WRAP', 'AP_SAT', 'AP_SAT_SYM'),
    })
    .map(({ w, i, u, q, o }) => `${u ? 'ap_ufixed' : 'ap_fixed'}<${w},${Math.min(i, w)},${q},${o}>`);

/** A random precision config (JSON form) that never names an accumulator. */
export const configArb = fc.record({
  model: fc.record({ default: typeArb(4, 18) }),
  op_types: fc.record({
    Dense: fc.record({ weight: typeArb(2, 12), bias: typeArb(2, 16), result: typeArb(4, 18) }),
    Conv: fc.record({ weight: typeArb(2, 12), bias: typeArb(2, 16), result: typeArb(4, 18) }),
    AvgPool: fc.record({ result: typeArb(4, 18) }),
  }),
  inputs: fc.record({ m_x: typeArb(3, 14) }),
});
