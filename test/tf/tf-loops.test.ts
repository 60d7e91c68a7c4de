/**
 * TF1 dynamic_rnn while loops around GRUCell and BasicRNNCell, written by hand in the
 * structure TF emits (Enter/Merge/Less/LoopCond/Switch/Identity/NextIteration/Exit, the
 * inputs scattered into a TensorArray time-major and read per step, zero initial state as a
 * Fill), recognised and lowered to the IR's GRU / RNN, and compared with two references:
 * the cells' TF definitions evaluated step by step in plain JavaScript from the graph's own
 * constants, and tfjs executing the while loop itself. (The BasicLSTMCell loop is checked
 * against tfjs on the shared Basic_LSTM_S.pb graph.)
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/frontend/index.js';
import { GraphDefBuilder } from '../../src/frontend/tf/write.js';
import { runFloat } from '../../src/sim/float/executor.js';
import { randn } from '../helpers/ort.js';
import { readTfContainer } from '../../src/frontend/tf/container.js';
import { decodeTfTensor } from '../../src/frontend/tf/tensor.js';
import { graphDefAsTfjs, runTfjs } from '../helpers/tfjs.js';

const dir = mkdtempSync(join(tmpdir(), 'nn2hls-tfloops-'));
const T = 5;
const I = 3;
const H = 4;
let seed = 5;
const rnd = (n: number, s = 0.5) => Array.from(randn(n, seed++), (v) => v * s);

type Cell = (b: GraphDefBuilder, xt: string, h: string, inv: (name: string) => string) => string;

/** x [-1, T, I] → dynamic_rnn(cell) → final h [-1, H] → Relu. */
function rnnGraph(cell: Cell): GraphDefBuilder {
  const b = new GraphDefBuilder();
  const F = 'rnn/while/while_context';
  const fr = (constant: boolean) => ({ frame_name: { s: F }, is_constant: { b: constant }, parallel_iterations: { i: 32 }, T: { type: 'float32' as const } });
  const x = b.placeholder('x', [-1, T, I]);
  const xt = b.node('rnn/transpose', 'Transpose', [x, b.const('rnn/perm', [3], [1, 0, 2], 'int32')]);
  const size = b.const('rnn/T', [], [T], 'int32');
  b.node('rnn/TensorArray', 'TensorArrayV3', [size], { dtype: { type: 'float32' }, element_shape: { shape: [-1, I] }, dynamic_size: { b: false }, clear_after_read: { b: true }, identical_element_shapes: { b: true } });
  const scatter = b.node('rnn/Scatter', 'TensorArrayScatterV3', ['rnn/TensorArray', b.const('rnn/range', [T], [0, 1, 2, 3, 4], 'int32'), xt, 'rnn/TensorArray:1'], { T: { type: 'float32' } });
  const zeros = b.node('rnn/zeros', 'Fill', [b.const('rnn/zeros/dims', [2], [1, H], 'int32'), b.const('rnn/zeros/v', [], [0])], { T: { type: 'float32' } });
  const W = 'rnn/while/';
  // counter
  b.node(`${W}Enter`, 'Enter', [b.const('rnn/time', [], [0], 'int32')], { ...fr(false), T: { type: 'int32' } });
  b.node(`${W}Merge`, 'Merge', [`${W}Enter`, `${W}NextIteration`], { T: { type: 'int32' }, N: { i: 2 } });
  b.node(`${W}Less/Enter`, 'Enter', [size], { ...fr(true), T: { type: 'int32' } });
  b.node(`${W}Less`, 'Less', [`${W}Merge`, `${W}Less/Enter`], { T: { type: 'int32' } });
  b.node(`${W}LoopCond`, 'LoopCond', [`${W}Less`]);
  b.node(`${W}Switch`, 'Switch', [`${W}Merge`, `${W}LoopCond`], { T: { type: 'int32' } });
  b.node(`${W}Identity`, 'Identity', [`${W}Switch:1`], { T: { type: 'int32' } });
  b.node(`${W}add`, 'AddV2', [`${W}Identity`, b.const(`${W}one`, [], [1], 'int32')], { T: { type: 'int32' } });
  b.node(`${W}NextIteration`, 'NextIteration', [`${W}add`], { T: { type: 'int32' } });
  b.node(`${W}Exit`, 'Exit', [`${W}Switch`], { T: { type: 'int32' } });
  // state h
  b.node(`${W}Enter_h`, 'Enter', [zeros], fr(false));
  b.node(`${W}Merge_h`, 'Merge', [`${W}Enter_h`, `${W}NextIteration_h`], { T: { type: 'float32' }, N: { i: 2 } });
  b.node(`${W}Switch_h`, 'Switch', [`${W}Merge_h`, `${W}LoopCond`], { T: { type: 'float32' } });
  const h = b.node(`${W}Identity_h`, 'Identity', [`${W}Switch_h:1`], { T: { type: 'float32' } });
  // x_t
  b.node(`${W}Read/Enter`, 'Enter', ['rnn/TensorArray'], { ...fr(true), T: { type: 'resource' as never } });
  b.node(`${W}Read/Enter_1`, 'Enter', [scatter], fr(true));
  const xr = b.node(`${W}Read`, 'TensorArrayReadV3', [`${W}Read/Enter`, `${W}Identity`, `${W}Read/Enter_1`], { dtype: { type: 'float32' } });
  const inv = (name: string) => b.node(`${W}${name}/Enter`, 'Enter', [name], fr(true));
  const hNew = cell(b, xr, h, inv);
  b.node(`${W}NextIteration_h`, 'NextIteration', [hNew], { T: { type: 'float32' } });
  const exit = b.node(`${W}Exit_h`, 'Exit', [`${W}Switch_h`], { T: { type: 'float32' } });
  b.node('out', 'Relu', [exit]);
  return b;
}

const f32 = { T: { type: 'float32' as const } };
const dense = (b: GraphDefBuilder, name: string, a: string, h: string, inv: (n: string) => string, cols: number) => {
  const cc = b.node(`${name}/concat`, 'ConcatV2', [a, h, b.const(`${name}/axis`, [], [1], 'int32')], { N: { i: 2 }, ...f32 });
  const k = inv(b.const(`${name}/kernel`, [I + H, cols], rnd((I + H) * cols)));
  const bb = inv(b.const(`${name}/bias`, [cols], rnd(cols)));
  return b.node(`${name}/BiasAdd`, 'BiasAdd', [b.node(`${name}/MatMul`, 'MatMul', [cc, k], { transpose_a: { b: false }, transpose_b: { b: false }, ...f32 }), bb], f32);
};

type Ref = (get: (name: string) => Float64Array, x: Float32Array) => number[];
const matvec = (v: number[], k: Float64Array, cols: number, off: number, n: number) =>
  Array.from({ length: n }, (_, j) => v.reduce((s, vi, i) => s + vi * k[i * cols + off + j]!, 0));
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
/** Final h of TF's cell over the T steps, from x [T, I] (batch 1). */
function run(step: (xt: number[], h: number[]) => number[], x: Float32Array): number[] {
  let h = new Array<number>(H).fill(0);
  for (let t = 0; t < T; t++) h = step(Array.from(x.slice(t * I, (t + 1) * I)), h);
  return h.map((v) => Math.max(0, v));
}
const REFS: Record<string, Ref> = {
  // BasicRNNCell: h' = tanh([x, h]·W + b)
  RNN: (get, x) => run((xt, h) => matvec([...xt, ...h], get('cell/kernel'), H, 0, H).map((v, j) => Math.tanh(v + get('cell/bias')[j]!)), x),
  // GRUCell: r, u = split(σ([x, h]·Wg + bg)); c = tanh([x, r·h]·Wc + bc); h' = u·h + (1 − u)·c
  GRU: (get, x) =>
    run((xt, h) => {
      const g = matvec([...xt, ...h], get('gru/gates/kernel'), 2 * H, 0, 2 * H).map((v, j) => sigmoid(v + get('gru/gates/bias')[j]!));
      const r = g.slice(0, H);
      const u = g.slice(H);
      const c = matvec([...xt, ...h.map((v, j) => v * r[j]!)], get('gru/candidate/kernel'), H, 0, H).map((v, j) => Math.tanh(v + get('gru/candidate/bias')[j]!));
      return h.map((v, j) => u[j]! * v + (1 - u[j]!) * c[j]!);
    }, x),
};

const CELLS: [string, string, Cell][] = [
  ['BasicRNNCell', 'RNN', (b, xt, h, inv) => b.node('rnn/while/cell/Tanh', 'Tanh', [dense(b, 'cell', xt, h, inv, H)], f32)],
  ['GRUCell', 'GRU', (b, xt, h, inv) => {
    const sig = b.node('gru/Sigmoid', 'Sigmoid', [dense(b, 'gru/gates', xt, h, inv, 2 * H)], f32);
    b.node('gru/split', 'Split', [b.const('gru/split_dim', [], [1], 'int32'), sig], { num_split: { i: 2 }, ...f32 });
    const rh = b.node('gru/mul', 'Mul', ['gru/split', h], f32);
    const c = b.node('gru/Tanh', 'Tanh', [dense(b, 'gru/candidate', xt, rh, inv, H)], f32);
    const uh = b.node('gru/mul_1', 'Mul', ['gru/split:1', h], f32);
    const one = b.node('gru/sub', 'Sub', [inv(b.const('gru/one', [], [1])), 'gru/split:1'], f32);
    return b.node('gru/add', 'AddV2', [uh, b.node('gru/mul_2', 'Mul', [one, c], f32)], f32);
  }],
];

describe('TF1 dynamic_rnn loops', () => {
  for (const [name, op, cell] of CELLS) {
    it(`${name} loop becomes the IR's ${op} and computes TF's cell`, async () => {
      const bytes = rnnGraph(cell).encode();
      const path = join(dir, `${name}.pb`);
      writeFileSync(path, bytes);
      const g = loadModel(path);
      expect(g.nodes.map((n) => n.op)).toEqual([op, 'Reshape', 'Relu']);
      const x = Float32Array.from(rnd(T * I, 1));
      const ours = runFloat(g, [{ shape: [1, T, I], data: x }])[0]!;
      const nodes = readTfContainer(path).graph.node!;
      const get = (n: string) => decodeTfTensor(nodes.find((q) => q.name === n)!.attr!['value']!.tensor!, n).data;
      const ref = REFS[op]!(get, x);
      let err = 0;
      let mx = 0;
      ref.forEach((r, i) => {
        err = Math.max(err, Math.abs(r - ours.data[i]!));
        mx = Math.max(mx, Math.abs(r));
      });
      expect(mx).toBeGreaterThan(0.05);
      expect(err).toBeLessThanOrEqual(1e-4 * mx);
      const tfjs = await runTfjs(await graphDefAsTfjs(bytes, { x: [-1, T, I] }, ['out']), { x: { shape: [1, T, I], data: x } }, 'out');
      tfjs.forEach((r, i) => expect(Math.abs(r - ours.data[i]!)).toBeLessThanOrEqual(1e-4 * mx));
    }, 30_000);
  }
});
