/**
 * Tests of the float LSTM / GRU / RNN kernels. Each kernel is compared with a deliberately plain
 * reference written here from the ONNX equations: ONNX layout ([T, N, I] input, [D, N, H]
 * states), one explicit weight matrix per gate, a per-timestep loop over the whole batch. The
 * cases cover forward, reverse and bidirectional layers, with and without bias and initial
 * states, peepholes, clip, coupled input/forget gates, linear_before_reset, non-default
 * activations with alpha/beta, and several samples spread over more than one leading dim. When
 * the Debian ONNX node-test data and the project's TensorProto reader are present, the kernels
 * are also checked against a few of ONNX's stored node-test outputs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import type { Node } from '../../src/ir/graph.js';
import type { RecurrentAttrs } from '../../src/ir/ops.js';
import type { RtTensor } from '../../src/ir/semantics/tensor.js';
import { recurrentKernels } from '../../src/ir/semantics/float/recurrent.js';
import { parseRecurrentActivations } from '../../src/ir/semantics/recurrent.js';

// ---------------------------------------------------------------- helpers

/** Small deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number): (lo?: number, hi?: number) => number {
  let a = seed >>> 0;
  return (lo = -1, hi = 1) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return lo + (hi - lo) * u;
  };
}

/** Nested array of the given shape filled by f (values rounded to float32 like a real tensor). */
function fill(shape: number[], f: () => number): any {
  if (shape.length === 0) return Math.fround(f());
  return Array.from({ length: shape[0]! }, () => fill(shape.slice(1), f));
}

const flat = (a: any): number[] => (Array.isArray(a) ? a.flatMap(flat) : [a]);

/** Transposes a nested array by `perm` (output dim i is input dim perm[i]). */
function permute(a: any, perm: number[]): any {
  const shape: number[] = [];
  for (let x = a; Array.isArray(x); x = x[0]) shape.push(x.length);
  const build = (idx: number[]): any => {
    if (idx.length === perm.length) {
      const src = new Array<number>(perm.length);
      perm.forEach((p, i) => (src[p] = idx[i]!));
      return src.reduce((x: any, i) => x[i], a);
    }
    return Array.from({ length: shape[perm[idx.length]!]! }, (_, i) => build([...idx, i]));
  };
  return build([]);
}

const rt = (shape: number[], nested: any): RtTensor => ({ shape, data: Float32Array.from(flat(nested)) });

function expectClose(got: Float32Array, want: number[], what: string, atol = 2e-6, rtol = 2e-5): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  let worst = -Infinity;
  let at = 0;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i]! - want[i]!) - (atol + rtol * Math.abs(want[i]!));
    if (err > worst) [worst, at] = [err, i];
  }
  expect(worst, `${what}: element ${at} is ${got[at]}, expected ${want[at]}`).toBeLessThanOrEqual(0);
}

// ---------------------------------------------------------------- reference (ONNX layout)

type F = (x: number) => number;
const sigm: F = (x) => 1 / (1 + Math.exp(-x));
const FN: Record<string, (a?: number, b?: number) => F> = {
  Sigmoid: () => sigm,
  Tanh: () => Math.tanh,
  Relu: () => (x) => Math.max(0, x),
  HardSigmoid: (a = 0.2, b = 0.5) => (x) => Math.min(1, Math.max(0, a * x + b)),
  LeakyRelu: (a = 0.01) => (x) => (x < 0 ? a * x : x),
  Softsign: () => (x) => x / (1 + Math.abs(x)),
};

/** y = M·v for M [rows][cols]. */
const mv = (M: number[][], v: number[]): number[] => M.map((row) => row.reduce((s, m, j) => s + m * v[j]!, 0));
const add = (...vs: number[][]): number[] => vs[0]!.map((_, j) => vs.reduce((s, v) => s + v[j]!, 0));
const mul = (a: number[], b: number[]): number[] => a.map((x, j) => x * b[j]!);
/** Rows [g·H, (g+1)·H) of a gate-stacked matrix or vector. */
const gate = <T>(m: T[], g: number, H: number): T[] => m.slice(g * H, (g + 1) * H);

interface RefIn {
  X: number[][][]; // [T][N][I]
  W: number[][][]; // [D][G·H][I]
  R: number[][][]; // [D][G·H][H]
  B?: number[][]; // [D][2·G·H]
  h0?: number[][][]; // [D][N][H]
  c0?: number[][][];
  P?: number[][]; // [D][3H]
  dir: RecurrentAttrs['direction'];
  H: number;
  clip: number;
  fns: F[][]; // per direction
}

interface RefOut {
  Y: number[][][][]; // [T][D][N][H]
  Yh: number[][][]; // [D][N][H]
  Yc: number[][][];
}

/** Runs `cell` over time for each direction the way the ONNX spec describes. */
function refRun(
  p: RefIn,
  G: number,
  cell: (d: number, x: number[], h: number[], c: number[], W: number[][][], R: number[][][], Wb: number[][], Rb: number[][]) => [number[], number[]],
): RefOut {
  const T = p.X.length;
  const N = p.X[0]!.length;
  const D = p.dir === 'bidirectional' ? 2 : 1;
  const H = p.H;
  const Y: number[][][][] = Array.from({ length: T }, () => Array.from({ length: D }, () => []));
  const Yh: number[][][] = [];
  const Yc: number[][][] = [];
  for (let d = 0; d < D; d++) {
    const W = Array.from({ length: G }, (_, g) => gate(p.W[d]!, g, H));
    const R = Array.from({ length: G }, (_, g) => gate(p.R[d]!, g, H));
    const bias = p.B?.[d] ?? new Array<number>(2 * G * H).fill(0);
    const Wb = Array.from({ length: G }, (_, g) => gate(bias, g, H));
    const Rb = Array.from({ length: G }, (_, g) => gate(bias, G + g, H));
    let h = Array.from({ length: N }, (_, n) => p.h0?.[d]![n]! ?? new Array<number>(H).fill(0));
    let c = Array.from({ length: N }, (_, n) => p.c0?.[d]![n]! ?? new Array<number>(H).fill(0));
    const order = Array.from({ length: T }, (_, k) => (p.dir === 'reverse' || d === 1 ? T - 1 - k : k));
    for (const t of order) {
      const next = p.X[t]!.map((x, n) => cell(d, x, h[n]!, c[n]!, W, R, Wb, Rb));
      h = next.map((s) => s[0]);
      c = next.map((s) => s[1]);
      Y[t]![d] = h;
    }
    Yh.push(h);
    Yc.push(c);
  }
  return { Y, Yh, Yc };
}

function refLSTM(p: RefIn, inputForget = false): RefOut {
  const H = p.H;
  const cl = (v: number[]) => (p.clip > 0 ? v.map((x) => Math.min(p.clip, Math.max(-p.clip, x))) : v);
  return refRun(p, 4, (d, x, h, c, W, R, Wb, Rb) => {
    const [f, g, hf] = p.fns[d]!;
    const P = p.P?.[d] ?? new Array<number>(3 * H).fill(0);
    const [Pi, Po, Pf] = [gate(P, 0, H), gate(P, 1, H), gate(P, 2, H)];
    const pre = (k: number) => add(mv(W[k]!, x), mv(R[k]!, h), Wb[k]!, Rb[k]!);
    const it = cl(add(pre(0), mul(Pi, c))).map(f!);
    const ft = inputForget ? it.map((v) => 1 - v) : cl(add(pre(2), mul(Pf, c))).map(f!);
    const ct = cl(pre(3)).map(g!);
    const C = add(mul(ft, c), mul(it, ct));
    const ot = cl(add(pre(1), mul(Po, C))).map(f!);
    return [mul(ot, C.map(hf!)), C];
  });
}

function refGRU(p: RefIn, linearBeforeReset = false): RefOut {
  const cl = (v: number[]) => (p.clip > 0 ? v.map((x) => Math.min(p.clip, Math.max(-p.clip, x))) : v);
  return refRun(p, 3, (d, x, h, c, W, R, Wb, Rb) => {
    const [f, g] = p.fns[d]!;
    const zt = cl(add(mv(W[0]!, x), mv(R[0]!, h), Wb[0]!, Rb[0]!)).map(f!);
    const rt = cl(add(mv(W[1]!, x), mv(R[1]!, h), Wb[1]!, Rb[1]!)).map(f!);
    const ht = linearBeforeReset
      ? cl(add(mv(W[2]!, x), mul(rt, add(mv(R[2]!, h), Rb[2]!)), Wb[2]!)).map(g!)
      : cl(add(mv(W[2]!, x), mv(R[2]!, mul(rt, h)), Rb[2]!, Wb[2]!)).map(g!);
    return [add(mul(zt.map((z) => 1 - z), ht), mul(zt, h)), c];
  });
}

function refRNN(p: RefIn): RefOut {
  const cl = (v: number[]) => (p.clip > 0 ? v.map((x) => Math.min(p.clip, Math.max(-p.clip, x))) : v);
  return refRun(p, 1, (d, x, h, c, W, R, Wb, Rb) => [cl(add(mv(W[0]!, x), mv(R[0]!, h), Wb[0]!, Rb[0]!)).map(p.fns[d]![0]!), c]);
}

// ---------------------------------------------------------------- cases

type Kind = 'LSTM' | 'GRU' | 'RNN';
const GATES: Record<Kind, number> = { LSTM: 4, GRU: 3, RNN: 1 };
const DEFAULT_ACTS: Record<Kind, string[]> = { LSTM: ['Sigmoid', 'Tanh', 'Tanh'], GRU: ['Sigmoid', 'Tanh'], RNN: ['Tanh'] };

interface Case {
  name: string;
  kind: Kind;
  dir?: RecurrentAttrs['direction'];
  lead?: number[]; // IR leading dims; their product is the batch N
  T?: number;
  I?: number;
  H?: number;
  bias?: boolean;
  h0?: boolean;
  c0?: boolean;
  peep?: boolean;
  clip?: number;
  inputForget?: boolean;
  lbr?: boolean;
  /** Activations for one direction, with alpha/beta as the attribute would carry them. */
  acts?: { names: string[]; alpha: number[]; beta: number[]; fns: F[] };
  scale?: number; // weight range
  outputs?: number;
}

/** Builds random inputs, runs the kernel (IR layout) and the reference (ONNX layout), returns both. */
function run(c: Case, seed: number): { got: RtTensor[]; want: RefOut; D: number } {
  const r = rng(seed);
  const D = c.dir === 'bidirectional' ? 2 : 1;
  const [T, I, H] = [c.T ?? 4, c.I ?? 3, c.H ?? 5];
  const lead = c.lead ?? [2];
  const N = lead.reduce((p, v) => p * v, 1);
  const G = GATES[c.kind];
  const s = c.scale ?? 0.6;
  const rnd = () => r(-s, s);
  const X = fill([T, N, I], () => r(-1.5, 1.5));
  const W = fill([D, G * H, I], rnd);
  const R = fill([D, G * H, H], rnd);
  const B = c.bias ? fill([D, 2 * G * H], rnd) : undefined;
  const h0 = c.h0 ? fill([D, N, H], () => r(-0.8, 0.8)) : undefined;
  const c0 = c.c0 ? fill([D, N, H], () => r(-0.8, 0.8)) : undefined;
  const P = c.peep ? fill([D, 3 * H], rnd) : undefined;
  const acts = c.acts ?? {
    names: DEFAULT_ACTS[c.kind],
    alpha: [],
    beta: [],
    fns: DEFAULT_ACTS[c.kind].map((n) => FN[n]!()),
  };
  const ref: RefIn = { X, W, R, B, h0, c0, P, dir: c.dir ?? 'forward', H, clip: c.clip ?? 0, fns: Array.from({ length: D }, () => acts.fns) };
  const want = c.kind === 'LSTM' ? refLSTM(ref, c.inputForget) : c.kind === 'GRU' ? refGRU(ref, c.lbr) : refRNN(ref);

  const base: RecurrentAttrs = {
    hidden: H,
    direction: c.dir ?? 'forward',
    activations: parseRecurrentActivations(
      c.kind,
      D,
      Array.from({ length: D }, () => acts.names).flat(),
      acts.alpha.length ? Array.from({ length: D }, () => acts.alpha).flat() : [],
      acts.beta.length ? Array.from({ length: D }, () => acts.beta).flat() : [],
    ),
    clip: c.clip ?? 0,
  };
  const ins: (RtTensor | undefined)[] = [
    rt([...lead, T, I], permute(X, [1, 0, 2])),
    rt([D, G * H, I], W),
    rt([D, G * H, H], R),
    B && rt([D, 2 * G * H], B),
    h0 && rt([...lead, D, H], permute(h0, [1, 0, 2])),
  ];
  if (c.kind === 'LSTM') ins.push(c0 && rt([...lead, D, H], permute(c0, [1, 0, 2])), P && rt([D, 3 * H], P));
  const shapes = [
    [...lead, T, D, H],
    [...lead, D, H],
    [...lead, D, H],
  ].slice(0, c.outputs ?? (c.kind === 'LSTM' ? 3 : 2));
  const outs = ['Y', 'Y_h', 'Y_c'].slice(0, shapes.length);
  const node = { name: 'rec', op: c.kind, inputs: [], outputs: outs } as const;
  let got: RtTensor[];
  if (c.kind === 'LSTM') got = recurrentKernels.LSTM!({ ...node, op: 'LSTM', attrs: { ...base, inputForget: !!c.inputForget } }, ins, shapes);
  else if (c.kind === 'GRU') got = recurrentKernels.GRU!({ ...node, op: 'GRU', attrs: { ...base, linearBeforeReset: !!c.lbr } }, ins, shapes);
  else got = recurrentKernels.RNN!({ ...node, op: 'RNN', attrs: base }, ins, shapes);
  return { got, want, D };
}

function check(c: Case, seed = 7): RtTensor[] {
  const { got, want } = run(c, seed);
  expect(got.length).toBe(c.outputs ?? (c.kind === 'LSTM' ? 3 : 2));
  // Reference Y is [T][D][N][H]; the IR's is [N, T, D, H]. States [D][N][H] vs [N, D, H].
  expectClose(got[0]!.data, flat(permute(want.Y, [2, 0, 1, 3])), `${c.name} Y`);
  if (got[1]) expectClose(got[1].data, flat(permute(want.Yh, [1, 0, 2])), `${c.name} Y_h`);
  if (got[2]) expectClose(got[2].data, flat(permute(want.Yc, [1, 0, 2])), `${c.name} Y_c`);
  return got;
}

const hardSigLeaky = {
  names: ['HardSigmoid', 'LeakyRelu', 'Softsign'],
  fns: [FN.HardSigmoid!(0.3, 0.45), FN.LeakyRelu!(0.05), FN.Softsign!()],
};

describe('LSTM kernel', () => {
  const cases: Case[] = [
    { name: 'forward, defaults', kind: 'LSTM' },
    { name: 'forward, bias + states', kind: 'LSTM', bias: true, h0: true, c0: true },
    { name: 'reverse, bias + h0', kind: 'LSTM', dir: 'reverse', bias: true, h0: true },
    { name: 'bidirectional, everything', kind: 'LSTM', dir: 'bidirectional', bias: true, h0: true, c0: true, peep: true },
    { name: 'peepholes', kind: 'LSTM', peep: true, c0: true, bias: true },
    { name: 'clip', kind: 'LSTM', clip: 0.4, scale: 1.5, bias: true, c0: true, peep: true },
    { name: 'coupled input/forget', kind: 'LSTM', inputForget: true, bias: true, c0: true, dir: 'bidirectional' },
    { name: 'two leading dims', kind: 'LSTM', lead: [2, 3], bias: true, h0: true, c0: true, dir: 'bidirectional' },
    { name: 'Y only', kind: 'LSTM', outputs: 1, bias: true },
    { name: 'T = 1, H = 1', kind: 'LSTM', T: 1, H: 1, I: 2, bias: true, h0: true },
    {
      name: 'activations with sequential alpha/beta',
      kind: 'LSTM',
      bias: true,
      dir: 'bidirectional',
      acts: { ...hardSigLeaky, alpha: [0.3, 0.05], beta: [0.45] },
    },
    {
      name: 'activations with parallel alpha/beta',
      kind: 'LSTM',
      bias: true,
      acts: { ...hardSigLeaky, alpha: [0.3, 0.05, 0], beta: [0.45, 0, 0] },
    },
  ];
  for (const c of cases) it(c.name, () => void check(c));

  it('clip changes the result (the case above is not vacuous)', () => {
    const a = run({ name: 'x', kind: 'LSTM', clip: 0.4, scale: 1.5, bias: true }, 3).got[0]!.data;
    const b = run({ name: 'x', kind: 'LSTM', clip: 0, scale: 1.5, bias: true }, 3).got[0]!.data;
    expect(Array.from(a)).not.toEqual(Array.from(b));
  });

  it('hand-computed single step', () => {
    // I = H = 1, W = 1 for all gates, R = 0, x = 1: i = o = f = σ(1), g = tanh(1), C = σ(1)·tanh(1).
    const s = sigm(1);
    const C = s * Math.tanh(1);
    const node: Node<'LSTM'> = {
      name: 'l',
      op: 'LSTM',
      inputs: [],
      outputs: ['y', 'h', 'c'],
      attrs: { hidden: 1, direction: 'forward', activations: [[{ fn: 'Sigmoid' }, { fn: 'Tanh' }, { fn: 'Tanh' }]], clip: 0, inputForget: false },
    };
    const out = recurrentKernels.LSTM!(node, [rt([1, 1, 1], [1]), rt([1, 4, 1], [1, 1, 1, 1]), rt([1, 4, 1], [0, 0, 0, 0])], [
      [1, 1, 1, 1],
      [1, 1, 1],
      [1, 1, 1],
    ]);
    expect(out[2]!.data[0]).toBeCloseTo(C, 6);
    expect(out[0]!.data[0]).toBeCloseTo(s * Math.tanh(C), 6);
  });
});

describe('GRU kernel', () => {
  const cases: Case[] = [
    { name: 'forward, defaults', kind: 'GRU' },
    { name: 'forward, bias + h0', kind: 'GRU', bias: true, h0: true },
    { name: 'linear_before_reset', kind: 'GRU', bias: true, h0: true, lbr: true },
    { name: 'reverse, linear_before_reset', kind: 'GRU', dir: 'reverse', bias: true, lbr: true },
    { name: 'bidirectional', kind: 'GRU', dir: 'bidirectional', bias: true, h0: true },
    { name: 'bidirectional, linear_before_reset, two leading dims', kind: 'GRU', dir: 'bidirectional', bias: true, h0: true, lbr: true, lead: [3, 2] },
    { name: 'clip', kind: 'GRU', clip: 0.3, scale: 1.5, bias: true, h0: true },
    { name: 'Y only', kind: 'GRU', outputs: 1, bias: true },
    {
      name: 'HardSigmoid / LeakyRelu with alpha/beta',
      kind: 'GRU',
      bias: true,
      acts: { names: ['HardSigmoid', 'LeakyRelu'], alpha: [0.25, 0.1], beta: [0.4], fns: [FN.HardSigmoid!(0.25, 0.4), FN.LeakyRelu!(0.1)] },
    },
  ];
  for (const c of cases) it(c.name, () => void check(c));
});

describe('RNN kernel', () => {
  const cases: Case[] = [
    { name: 'forward, defaults', kind: 'RNN' },
    { name: 'forward, bias + h0', kind: 'RNN', bias: true, h0: true },
    { name: 'reverse', kind: 'RNN', dir: 'reverse', bias: true },
    { name: 'bidirectional, two leading dims', kind: 'RNN', dir: 'bidirectional', bias: true, h0: true, lead: [2, 2] },
    { name: 'clip', kind: 'RNN', clip: 0.5, scale: 1.5, bias: true },
    { name: 'Relu', kind: 'RNN', bias: true, acts: { names: ['Relu'], alpha: [], beta: [], fns: [FN.Relu!()] } },
    { name: 'LeakyRelu default alpha', kind: 'RNN', bias: true, acts: { names: ['LeakyRelu'], alpha: [], beta: [], fns: [FN.LeakyRelu!()] } },
  ];
  for (const c of cases) it(c.name, () => void check(c));

  it('rejects an unknown activation', () => {
    expect(() => run({ name: 'x', kind: 'RNN', acts: { names: ['Gelu'], alpha: [], beta: [], fns: [FN.Tanh!()] } }, 1)).toThrow(/Gelu/);
  });
});

// ---------------------------------------------------------------- ONNX node tests

const NODE_ROOT = '/usr/share/libonnx-testdata/data/node';
const TP_PATH = fileURLToPath(new URL('../../src/frontend/onnx/tensor-proto.ts', import.meta.url));

/** readTensorProtoFile from the project's frontend, if that module exists and exports it yet. */
async function loadReader(): Promise<((path: string) => { shape: readonly number[]; data: ArrayLike<number | bigint> }) | string> {
  if (!existsSync(NODE_ROOT)) return `${NODE_ROOT} is not installed`;
  if (!existsSync(TP_PATH)) return 'src/frontend/onnx/tensor-proto.ts does not exist';
  const mod: Record<string, unknown> = await import(TP_PATH);
  if (typeof mod.readTensorProtoFile !== 'function') return 'tensor-proto.ts does not export readTensorProtoFile';
  return mod.readTensorProtoFile as never;
}
const reader = await loadReader();

/** A node test's tensors by the model's input/output names, plus its single node. */
function loadNodeTest(name: string, op: string, read: Exclude<typeof reader, string>) {
  const dir = join(NODE_ROOT, name);
  const model = onnxProto.onnx.ModelProto.decode(readFileSync(join(dir, 'model.onnx')));
  const g = model.graph!;
  const node = g.node!.find((n) => n.opType === op)!;
  const tensors = new Map<string, { shape: number[]; data: number[] }>();
  const load = (file: string) => {
    const t = read(join(dir, 'test_data_set_0', file));
    return { shape: Array.from(t.shape, Number), data: Array.from(t.data, Number) };
  };
  g.input!.forEach((v, k) => tensors.set(v.name!, load(`input_${k}.pb`)));
  g.output!.forEach((v, k) => tensors.set(v.name!, load(`output_${k}.pb`)));
  const attr = (n: string) => node.attribute!.find((a) => a.name === n);
  return { node, tensors, attr };
}

/** Nested array of flat row-major data. */
function nest(data: number[], shape: number[]): any {
  if (shape.length === 0) return data[0];
  const step = data.length / shape[0]!;
  return Array.from({ length: shape[0]! }, (_, i) => nest(data.slice(i * step, (i + 1) * step), shape.slice(1)));
}

describe.skipIf(typeof reader === 'string')(`ONNX node tests (recurrent)${typeof reader === 'string' ? ` — skipped: ${reader}` : ''}`, () => {
  const cases: [string, Kind][] = [
    ['test_lstm_defaults', 'LSTM'],
    ['test_lstm_with_initial_bias', 'LSTM'],
    ['test_lstm_with_peepholes', 'LSTM'],
    ['test_gru_defaults', 'GRU'],
    ['test_gru_with_initial_bias', 'GRU'],
    ['test_simple_rnn_defaults', 'RNN'],
    ['test_simple_rnn_with_initial_bias', 'RNN'],
  ];
  for (const [name, kind] of cases) {
    it(name, () => {
      const { node, tensors, attr } = loadNodeTest(name, kind, reader as Exclude<typeof reader, string>);
      const onnxIn = (p: number) => (node.input![p] ? tensors.get(node.input![p]!) : undefined);
      const x = onnxIn(0)!;
      const [T, N, I] = x.shape as [number, number, number];
      const H = Number(attr('hidden_size')!.i);
      const dir = (attr('direction')?.s ? new TextDecoder().decode(attr('direction')!.s!) : 'forward') as RecurrentAttrs['direction'];
      const D = dir === 'bidirectional' ? 2 : 1;
      // ONNX inputs X, W, R, B, sequence_lens, initial_h, initial_c, P → IR without sequence_lens.
      const state = (p: number) => {
        const t = onnxIn(p);
        return t && rt([N, D, H], permute(nest(t.data, t.shape), [1, 0, 2]));
      };
      const param = (p: number) => {
        const t = onnxIn(p);
        return t && rt(t.shape, t.data);
      };
      const ins = [rt([N, T, I], permute(nest(x.data, x.shape), [1, 0, 2])), param(1), param(2), param(3), state(5)];
      if (kind === 'LSTM') ins.push(state(6), param(7));
      // Node outputs may skip Y ('' in its slot); ask the kernel for every slot up to the last.
      const outNames = node.output!;
      const shapes = [[N, T, D, H], [N, D, H], [N, D, H]].slice(0, outNames.length);
      const base: RecurrentAttrs = {
        hidden: H,
        direction: dir,
        activations: parseRecurrentActivations(kind, D, DEFAULT_ACTS[kind]),
        clip: 0,
      };
      const n = { name, inputs: [], outputs: [...outNames] };
      const got =
        kind === 'LSTM'
          ? recurrentKernels.LSTM!({ ...n, op: 'LSTM', attrs: { ...base, inputForget: false } }, ins, shapes)
          : kind === 'GRU'
            ? recurrentKernels.GRU!({ ...n, op: 'GRU', attrs: { ...base, linearBeforeReset: Number(attr('linear_before_reset')?.i ?? 0) === 1 } }, ins, shapes)
            : recurrentKernels.RNN!({ ...n, op: 'RNN', attrs: base }, ins, shapes);
      outNames.forEach((o, k) => {
        const want = tensors.get(o);
        if (!want) return;
        // ONNX Y is [T, D, N, H] and Y_h/Y_c [D, N, H]; the IR puts the batch first.
        const perm = k === 0 ? [2, 0, 1, 3] : [1, 0, 2];
        expectClose(got[k]!.data, flat(permute(nest(want.data, want.shape), perm)), `${name} ${o}`, 1e-5, 1e-4);
      });
    });
  }
});
