/**
 * TF1 dynamic_rnn while loops around GRUCell and BasicRNNCell, written by hand in the
 * structure TF emits (Enter/Merge/Less/LoopCond/Switch/Identity/NextIteration/Exit, the
 * inputs scattered into a TensorArray time-major and read per step, zero initial state as a
 * Fill), recognised and lowered to the IR's GRU / RNN, and compared with two references:
 * the cells' TF definitions evaluated step by step in plain JavaScript from the graph's own
 * constants, and tfjs executing the while loop itself. (The BasicLSTMCell loop is checked
 * against tfjs on the shared Basic_LSTM_S.pb graph.)
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { DEFAULTS } from '../../src/backend-hls/index.js';
import { compileProject } from '../../src/cli/compile.js';
import { runCsim } from '../../src/cli/csim.js';
import { defaultConfig } from '../../src/ir/precision-config.js';
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
import { NnInputError } from '../../src/util/tensor.js';

const dir = mkdtempSync(join(tmpdir(), 'nn2hls-tfloops-'));
const T = 5;
const I = 3;
const H = 4;
let seed = 5;
const rnd = (n: number, s = 0.5) => Array.from(randn(n, seed++), (v) => v * s);

type Cell = (b: GraphDefBuilder, xt: string, h: string, inv: (name: string) => string) => string;
/** A cell over several states (LSTM: m then c): each state's next value by name. */
type MultiCell = (b: GraphDefBuilder, xt: string, st: Record<string, string>, inv: (name: string) => string) => Record<string, string>;

/** x [-1, T, I] → dynamic_rnn(cell) → final h [-1, H] → Relu. */
function rnnGraph(cell: Cell): GraphDefBuilder {
  return stateGraph((b, xt, st, inv) => ({ h: cell(b, xt, st['h']!, inv) }), [['h', H]]);
}

/**
 * x [-1, T, I] → dynamic_rnn over the states (zeros at the start) → Relu(final first state), or
 * with `everyStep` Relu(outputs): dynamic_rnn's output TensorArray written every step (its flow
 * a loop variable), gathered after the loop ([T, N, out]) and transposed back to batch-major.
 */
function stateGraph(cell: MultiCell, states: [string, number][], exitState = states[0]![0], everyStep = false): GraphDefBuilder {
  const b = new GraphDefBuilder();
  const F = 'rnn/while/while_context';
  const fr = (constant: boolean) => ({ frame_name: { s: F }, is_constant: { b: constant }, parallel_iterations: { i: 32 }, T: { type: 'float32' as const } });
  const x = b.placeholder('x', [-1, T, I]);
  const xt = b.node('rnn/transpose', 'Transpose', [x, b.const('rnn/perm', [3], [1, 0, 2], 'int32')]);
  const size = b.const('rnn/T', [], [T], 'int32');
  b.node('rnn/TensorArray', 'TensorArrayV3', [size], { dtype: { type: 'float32' }, element_shape: { shape: [-1, I] }, dynamic_size: { b: false }, clear_after_read: { b: true }, identical_element_shapes: { b: true } });
  const scatter = b.node('rnn/Scatter', 'TensorArrayScatterV3', ['rnn/TensorArray', b.const('rnn/range', [T], [0, 1, 2, 3, 4], 'int32'), xt, 'rnn/TensorArray:1'], { T: { type: 'float32' } });
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
  // states (zero_state: a Fill of 0 each)
  const st: Record<string, string> = {};
  for (const [s, n] of states) {
    const zeros = b.node(`rnn/zeros_${s}`, 'Fill', [b.const(`rnn/zeros_${s}/dims`, [2], [1, n], 'int32'), b.const(`rnn/zeros_${s}/v`, [], [0])], { T: { type: 'float32' } });
    b.node(`${W}Enter_${s}`, 'Enter', [zeros], fr(false));
    b.node(`${W}Merge_${s}`, 'Merge', [`${W}Enter_${s}`, `${W}NextIteration_${s}`], { T: { type: 'float32' }, N: { i: 2 } });
    b.node(`${W}Switch_${s}`, 'Switch', [`${W}Merge_${s}`, `${W}LoopCond`], { T: { type: 'float32' } });
    st[s] = b.node(`${W}Identity_${s}`, 'Identity', [`${W}Switch_${s}:1`], { T: { type: 'float32' } });
  }
  // x_t
  b.node(`${W}Read/Enter`, 'Enter', ['rnn/TensorArray'], { ...fr(true), T: { type: 'resource' as never } });
  b.node(`${W}Read/Enter_1`, 'Enter', [scatter], fr(true));
  const xr = b.node(`${W}Read`, 'TensorArrayReadV3', [`${W}Read/Enter`, `${W}Identity`, `${W}Read/Enter_1`], { dtype: { type: 'float32' } });
  const inv = (name: string) => b.node(`${W}${name}/Enter`, 'Enter', [name], fr(true));
  const next = cell(b, xr, st, inv);
  for (const [s] of states) {
    b.node(`${W}NextIteration_${s}`, 'NextIteration', [next[s]!], { T: { type: 'float32' } });
    b.node(`${W}Exit_${s}`, 'Exit', [`${W}Switch_${s}`], { T: { type: 'float32' } });
  }
  if (!everyStep) {
    b.node('out', 'Relu', [`${W}Exit_${exitState}`]);
    return b;
  }
  const outN = states[0]![1];
  const ta = b.node('rnn/TensorArray_1', 'TensorArrayV3', [size], { dtype: { type: 'float32' }, element_shape: { shape: [-1, outN] }, dynamic_size: { b: false }, clear_after_read: { b: true }, identical_element_shapes: { b: true } });
  b.node(`${W}Enter_out`, 'Enter', [`${ta}:1`], fr(false));
  b.node(`${W}Merge_out`, 'Merge', [`${W}Enter_out`, `${W}NextIteration_out`], { T: { type: 'float32' }, N: { i: 2 } });
  b.node(`${W}Switch_out`, 'Switch', [`${W}Merge_out`, `${W}LoopCond`], { T: { type: 'float32' } });
  b.node(`${W}Identity_out`, 'Identity', [`${W}Switch_out:1`], { T: { type: 'float32' } });
  b.node(`${W}Write/Enter`, 'Enter', [ta], { ...fr(true), T: { type: 'resource' as never } });
  b.node(`${W}Write`, 'TensorArrayWriteV3', [`${W}Write/Enter`, `${W}Identity`, next[states[0]![0]]!, `${W}Identity_out`], { T: { type: 'float32' } });
  b.node(`${W}NextIteration_out`, 'NextIteration', [`${W}Write`], { T: { type: 'float32' } });
  b.node(`${W}Exit_out`, 'Exit', [`${W}Switch_out`], { T: { type: 'float32' } });
  const sz = b.node('rnn/TensorArrayStack/TensorArraySizeV3', 'TensorArraySizeV3', [ta, `${W}Exit_out`]);
  const range = b.node('rnn/TensorArrayStack/range', 'Range', [b.const('rnn/TensorArrayStack/range/start', [], [0], 'int32'), sz, b.const('rnn/TensorArrayStack/range/delta', [], [1], 'int32')], { Tidx: { type: 'int32' } });
  const gather = b.node('rnn/TensorArrayStack/TensorArrayGatherV3', 'TensorArrayGatherV3', [ta, range, `${W}Exit_out`], { dtype: { type: 'float32' }, element_shape: { shape: [-1, outN] } });
  const bm = b.node('rnn/transpose_1', 'Transpose', [gather, b.const('rnn/perm_1', [3], [1, 0, 2], 'int32')], f32);
  b.node('out', 'Relu', [bm]);
  return b;
}

const f32 = { T: { type: 'float32' as const } };
const dense = (b: GraphDefBuilder, name: string, a: string, h: string, inv: (n: string) => string, cols: number, hRows = H) => {
  const cc = b.node(`${name}/concat`, 'ConcatV2', [a, h, b.const(`${name}/axis`, [], [1], 'int32')], { N: { i: 2 }, ...f32 });
  const k = inv(b.const(`${name}/kernel`, [I + hRows, cols], rnd((I + hRows) * cols)));
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

/** TF1 LSTMCell (rnn_cell_impl.LSTMCell.call) with the options under test, states m then c. */
function lstmCell(o: { peep: boolean; P?: number; cellClip?: boolean; projClip?: boolean }): MultiCell {
  return (b, xt, st, inv) => {
    const P = o.P ?? H;
    const z = dense(b, 'lstm', xt, st['m']!, inv, 4 * H, P);
    b.node('lstm/split', 'Split', [b.const('lstm/split_dim', [], [1], 'int32'), z], { num_split: { i: 4 }, ...f32 });
    const [gi, gj, gf, go] = ['lstm/split', 'lstm/split:1', 'lstm/split:2', 'lstm/split:3'];
    const c = st['c']!;
    const diag = (n: string) => inv(b.const(`lstm/w_${n}_diag`, [H], rnd(H)));
    const op = (name: string, kind: string, ins: string[]) => b.node(`lstm/${name}`, kind, ins, f32);
    // sigmoid(f + forget_bias [+ w_f_diag * c_prev]) * c_prev + sigmoid(i [+ w_i_diag * c_prev]) * tanh(j)
    let fa = op('add', 'AddV2', [gf, inv(b.const('lstm/forget_bias', [], [1]))]);
    let ia = gi;
    if (o.peep) {
      fa = op('add_1', 'AddV2', [fa, op('mul', 'Mul', [diag('f'), c])]);
      ia = op('add_2', 'AddV2', [gi, op('mul_1', 'Mul', [diag('i'), c])]);
    }
    let cNew = op('add_3', 'AddV2', [op('mul_2', 'Mul', [op('Sigmoid', 'Sigmoid', [fa]), c]), op('mul_3', 'Mul', [op('Sigmoid_1', 'Sigmoid', [ia]), op('Tanh', 'Tanh', [gj])])]);
    if (o.cellClip) cNew = op('clip', 'ClipByValue', [cNew, b.const('lstm/clip/lo', [], [-3]), b.const('lstm/clip/hi', [], [3])]);
    // m = sigmoid(o [+ w_o_diag * c]) * tanh(c) [· proj_kernel]
    const oa = o.peep ? op('add_4', 'AddV2', [go, op('mul_4', 'Mul', [diag('o'), cNew])]) : go;
    let m = op('mul_5', 'Mul', [op('Sigmoid_2', 'Sigmoid', [oa]), op('Tanh_1', 'Tanh', [cNew])]);
    if (o.P) {
      const k = inv(b.const('lstm/projection/kernel', [H, o.P], rnd(H * o.P)));
      m = b.node('lstm/projection/MatMul', 'MatMul', [m, k], { transpose_a: { b: false }, transpose_b: { b: false }, ...f32 });
    }
    if (o.projClip) m = op('clip_1', 'ClipByValue', [m, b.const('lstm/clip_1/lo', [], [-1]), b.const('lstm/clip_1/hi', [], [1])]);
    return { m, c: cNew };
  };
}

/** Final Relu(m) of TF's LSTMCell over the T steps, from x [T, I] (batch 1), evaluated independently. */
function lstmRef(o: { peep: boolean; P?: number }, get: (name: string) => Float64Array, x: Float32Array): number[] {
  const P = o.P ?? H;
  const K = get('lstm/kernel');
  const bias = get('lstm/bias');
  const zero = new Float64Array(H);
  const [wi, wf, wo] = o.peep ? ['i', 'f', 'o'].map((n) => get(`lstm/w_${n}_diag`)) : [zero, zero, zero];
  let m = new Array<number>(P).fill(0);
  let c = new Array<number>(H).fill(0);
  for (let t = 0; t < T; t++) {
    const z = matvec([...Array.from(x.slice(t * I, (t + 1) * I)), ...m], K, 4 * H, 0, 4 * H).map((v, k) => v + bias[k]!);
    const cN = c.map((cp, k) => sigmoid(z[2 * H + k]! + 1 + wf![k]! * cp) * cp + sigmoid(z[k]! + wi![k]! * cp) * Math.tanh(z[H + k]!));
    const h = cN.map((cn, k) => sigmoid(z[3 * H + k]! + wo![k]! * cn) * Math.tanh(cn));
    m = o.P ? matvec(h, get('lstm/projection/kernel'), o.P, 0, o.P) : h;
    c = cN;
  }
  return m.map((v) => Math.max(0, v));
}

describe('TF1 LSTMCell loops: peepholes and projection', () => {
  const CASES: [string, { peep: boolean; P?: number }, string[]][] = [
    ['peepholes', { peep: true }, ['LSTM', 'Reshape', 'Relu']],
    ['projection (num_proj 3)', { peep: false, P: 3 }, ['LSTM', 'Reshape', 'Dense', 'Relu']],
    ['peepholes and projection (num_proj 2)', { peep: true, P: 2 }, ['LSTM', 'Reshape', 'Dense', 'Relu']],
  ];
  for (const [name, o, ops] of CASES) {
    it(`LSTMCell with ${name} becomes the IR's LSTM${o.P ? ' and a Dense' : ''}, equal to TF's cell and to tfjs`, async () => {
      const bytes = stateGraph(lstmCell(o), [['m', o.P ?? H], ['c', H]]).encode();
      const path = join(dir, `lstm_${o.peep}_${o.P ?? 0}.pb`);
      writeFileSync(path, bytes);
      // The final c leaves the loop too (an unread Exit, a sink): the graph ends at `out`.
      const g = loadModel(path, { outputs: ['out'] });
      expect(g.nodes.map((n) => n.op)).toEqual(ops);
      const lstm = g.nodes.find((n) => n.op === 'LSTM')!;
      expect(!!lstm.inputs[6]).toBe(o.peep); // X, W, R, B, h0, c0, P
      const x = Float32Array.from(rnd(T * I, 1));
      const ours = runFloat(g, [{ shape: [1, T, I], data: x }])[0]!;
      expect(ours.shape).toEqual([1, o.P ?? H]);
      const nodes = readTfContainer(path).graph.node!;
      const get = (n: string) => decodeTfTensor(nodes.find((q) => q.name === n)!.attr!['value']!.tensor!, n).data;
      const ref = lstmRef(o, get, x);
      let err = 0;
      let mx = 0;
      ref.forEach((r, i) => {
        err = Math.max(err, Math.abs(r - ours.data[i]!));
        mx = Math.max(mx, Math.abs(r));
      });
      console.log(`LSTMCell ${name}: max |err| vs the JS cell ${err.toExponential(2)} (max |ref| ${mx.toFixed(3)})`);
      expect(mx).toBeGreaterThan(0.05);
      expect(err).toBeLessThanOrEqual(1e-4 * mx);
      const tfjs = await runTfjs(await graphDefAsTfjs(bytes, { x: [-1, T, I] }, ['out']), { x: { shape: [1, T, I], data: x } }, 'out');
      let errT = 0;
      tfjs.forEach((r, i) => (errT = Math.max(errT, Math.abs(r - ours.data[i]!))));
      console.log(`LSTMCell ${name}: max |err| vs tfjs ${errT.toExponential(2)}`);
      expect(errT).toBeLessThanOrEqual(1e-4 * mx);
    }, 30_000);
  }

  it('refuses a cell clip and a projection clip, naming the loop and the option', () => {
    for (const [o, what] of [[{ peep: true, cellClip: true }, 'cell_clip'], [{ peep: false, P: 3, projClip: true }, 'proj_clip']] as const) {
      const path = join(dir, `lstm_clip_${what}.pb`);
      writeFileSync(path, stateGraph(lstmCell(o), [['m', 'P' in o ? o.P : H], ['c', H]]).encode());
      expect(() => loadModel(path)).toThrow(NnInputError);
      expect(() => loadModel(path)).toThrow(new RegExp(`while loop 'rnn/while/while_context'.*${what}`));
    }
  });
});

describe('TF1 dynamic_rnn loops that output every step (TensorArray written per step, gathered)', () => {
  const seqRef = (step: (xt: number[], st: number[][]) => number[][], x: Float32Array, init: number[][]): number[] => {
    const out: number[] = [];
    let st = init;
    for (let t = 0; t < T; t++) {
      st = step(Array.from(x.slice(t * I, (t + 1) * I)), st);
      out.push(...st[0]!.map((v) => Math.max(0, v)));
    }
    return out;
  };
  const CASES: [string, () => GraphDefBuilder, string[], number, (get: (n: string) => Float64Array, x: Float32Array) => number[]][] = [
    ['BasicRNNCell', () => stateGraph((b, xt, st, inv) => ({ h: b.node('rnn/while/cell/Tanh', 'Tanh', [dense(b, 'cell', xt, st['h']!, inv, H)], f32) }), [['h', H]], 'h', true), ['RNN', 'Reshape', 'Relu'], H,
      (get, x) => seqRef((xt, [h]) => [matvec([...xt, ...h!], get('cell/kernel'), H, 0, H).map((v, j) => Math.tanh(v + get('cell/bias')[j]!))], x, [new Array<number>(H).fill(0)])],
    ['LSTMCell with peepholes and projection (num_proj 2)', () => stateGraph(lstmCell({ peep: true, P: 2 }), [['m', 2], ['c', H]], 'm', true), ['LSTM', 'Reshape', 'Dense', 'Relu'], 2,
      (get, x) => {
        const K = get('lstm/kernel');
        const bias = get('lstm/bias');
        const [wi, wf, wo] = ['i', 'f', 'o'].map((n) => get(`lstm/w_${n}_diag`));
        return seqRef((xt, [m, c]) => {
          const z = matvec([...xt, ...m!], K, 4 * H, 0, 4 * H).map((v, k) => v + bias[k]!);
          const cN = c!.map((cp, k) => sigmoid(z[2 * H + k]! + 1 + wf![k]! * cp) * cp + sigmoid(z[k]! + wi![k]! * cp) * Math.tanh(z[H + k]!));
          const h = cN.map((cn, k) => sigmoid(z[3 * H + k]! + wo![k]! * cn) * Math.tanh(cn));
          return [matvec(h, get('lstm/projection/kernel'), 2, 0, 2), cN];
        }, x, [[0, 0], new Array<number>(H).fill(0)]);
      }],
  ];
  for (const [name, build, ops, outN, ref] of CASES) {
    it(`${name}: the gathered outputs become the IR's Y (viewed time-major), equal to TF's cell and to tfjs`, async () => {
      const bytes = build().encode();
      const path = join(dir, `seq_${name.replace(/\W+/g, '_')}.pb`);
      writeFileSync(path, bytes);
      const g = loadModel(path, { outputs: ['out'] });
      expect(g.nodes.map((n) => n.op)).toEqual(ops);
      const x = Float32Array.from(rnd(2 * T * I, 1));
      const ours = runFloat(g, [{ shape: [2, T, I], data: x }])[0]!;
      expect(ours.shape).toEqual([2, T, outN]);
      const nodes = readTfContainer(path).graph.node!;
      const get = (n: string) => decodeTfTensor(nodes.find((q) => q.name === n)!.attr!['value']!.tensor!, n).data;
      const want = [...ref(get, x.subarray(0, T * I)), ...ref(get, x.subarray(T * I))];
      let err = 0;
      let mx = 0;
      want.forEach((r, i) => {
        err = Math.max(err, Math.abs(r - ours.data[i]!));
        mx = Math.max(mx, Math.abs(r));
      });
      expect(mx).toBeGreaterThan(0.05);
      expect(err).toBeLessThanOrEqual(1e-4 * mx);
      // tfjs runs the loop itself; its zero state is built for batch 1, so one sample at a time.
      const model = await graphDefAsTfjs(bytes, { x: [-1, T, I] }, ['out']);
      let errT = 0;
      for (let k = 0; k < 2; k++) {
        const t = await runTfjs(model, { x: { shape: [1, T, I], data: x.slice(k * T * I, (k + 1) * T * I) } }, 'out');
        t.forEach((r, i) => (errT = Math.max(errT, Math.abs(r - ours.data[k * T * outN + i]!))));
      }
      console.log(`every step, ${name}: max |err| vs the JS cell ${err.toExponential(2)}, vs tfjs ${errT.toExponential(2)} (max |ref| ${mx.toFixed(3)})`);
      expect(errT).toBeLessThanOrEqual(1e-4 * mx);
    }, 30_000);
  }
});

/** TF1 static_rnn: the LSTMCell unrolled over Unpack(x, axis 1), weights shared (one Const read per tensor). */
function staticLstmGraph(o: { peep: boolean; P?: number }, out: 'last' | 'sequence'): GraphDefBuilder {
  const b = new GraphDefBuilder();
  const P = o.P ?? H;
  const x = b.placeholder('x', [-1, T, I]);
  b.node('rnn/unstack', 'Unpack', [x], { num: { i: T }, axis: { i: 1 }, ...f32 });
  const read = (name: string, shape: number[], data: number[]) => b.node(`${name}/read`, 'Identity', [b.const(name, shape, data)], f32);
  const kernel = read('lstm/kernel', [I + P, 4 * H], rnd((I + P) * 4 * H));
  const bias = read('lstm/bias', [4 * H], rnd(4 * H));
  const diag = Object.fromEntries(['i', 'f', 'o'].map((n) => [n, o.peep ? read(`lstm/w_${n}_diag`, [H], rnd(H)) : '']));
  const proj = o.P ? read('lstm/projection/kernel', [H, o.P], rnd(H * o.P)) : '';
  const fb = b.const('rnn/forget_bias', [], [1]);
  let m = b.node('rnn/zeros_m', 'Fill', [b.const('rnn/zeros_m/dims', [2], [1, P], 'int32'), b.const('rnn/zeros_m/v', [], [0])], f32);
  let c = b.node('rnn/zeros_c', 'Fill', [b.const('rnn/zeros_c/dims', [2], [1, H], 'int32'), b.const('rnn/zeros_c/v', [], [0])], f32);
  const outs: string[] = [];
  for (let t = 0; t < T; t++) {
    const s = t === 0 ? '' : `_${t}`;
    const op = (name: string, kind: string, ins: string[], extra = {}) => b.node(`rnn/lstm_cell${s}/${name}`, kind, ins, { ...f32, ...extra });
    const cc = op('concat', 'ConcatV2', [`rnn/unstack:${t}`, m, b.const(`rnn/lstm_cell${s}/axis`, [], [1], 'int32')], { N: { i: 2 } });
    const z = op('BiasAdd', 'BiasAdd', [op('MatMul', 'MatMul', [cc, kernel], { transpose_a: { b: false }, transpose_b: { b: false } }), bias]);
    const split = op('split', 'Split', [b.const(`rnn/lstm_cell${s}/split_dim`, [], [1], 'int32'), z], { num_split: { i: 4 } });
    let fa = op('add', 'AddV2', [`${split}:2`, fb]);
    let ia = split;
    if (o.peep) {
      fa = op('add_1', 'AddV2', [fa, op('mul', 'Mul', [diag['f']!, c])]);
      ia = op('add_2', 'AddV2', [split, op('mul_1', 'Mul', [diag['i']!, c])]);
    }
    const cN = op('add_3', 'AddV2', [op('mul_2', 'Mul', [op('Sigmoid', 'Sigmoid', [fa]), c]), op('mul_3', 'Mul', [op('Sigmoid_1', 'Sigmoid', [ia]), op('Tanh', 'Tanh', [`${split}:1`])])]);
    const oa = o.peep ? op('add_4', 'AddV2', [`${split}:3`, op('mul_4', 'Mul', [diag['o']!, cN])]) : `${split}:3`;
    let mN = op('mul_5', 'Mul', [op('Sigmoid_2', 'Sigmoid', [oa]), op('Tanh_1', 'Tanh', [cN])]);
    if (proj) mN = op('projection/MatMul', 'MatMul', [mN, proj], { transpose_a: { b: false }, transpose_b: { b: false } });
    outs.push(mN);
    m = mN;
    c = cN;
  }
  if (out === 'last') b.node('out', 'Relu', [m]);
  else b.node('out', 'Relu', [b.node('rnn/stack', 'Pack', outs, { N: { i: T }, axis: { i: 1 }, ...f32 })]);
  return b;
}

/** Every step's m of TF's LSTMCell, from x [T, I] (batch 1), evaluated independently. */
function lstmSteps(o: { peep: boolean; P?: number }, get: (name: string) => Float64Array, x: Float32Array): number[][] {
  const P = o.P ?? H;
  const K = get('lstm/kernel');
  const bias = get('lstm/bias');
  const zero = new Float64Array(H);
  const [wi, wf, wo] = o.peep ? ['i', 'f', 'o'].map((n) => get(`lstm/w_${n}_diag`)) : [zero, zero, zero];
  let m = new Array<number>(P).fill(0);
  let c = new Array<number>(H).fill(0);
  const all: number[][] = [];
  for (let t = 0; t < T; t++) {
    const z = matvec([...Array.from(x.slice(t * I, (t + 1) * I)), ...m], K, 4 * H, 0, 4 * H).map((v, k) => v + bias[k]!);
    const cN = c.map((cp, k) => sigmoid(z[2 * H + k]! + 1 + wf![k]! * cp) * cp + sigmoid(z[k]! + wi![k]! * cp) * Math.tanh(z[H + k]!));
    const h = cN.map((cn, k) => sigmoid(z[3 * H + k]! + wo![k]! * cn) * Math.tanh(cn));
    m = o.P ? matvec(h, get('lstm/projection/kernel'), o.P, 0, o.P) : h;
    c = cN;
    all.push(m);
  }
  return all;
}

describe('TF1 static_rnn: an LSTM cell unrolled per time step with shared weights', () => {
  const CASES: [string, { peep: boolean; P?: number }, 'last' | 'sequence', string[]][] = [
    ['BasicLSTMCell-shaped, final h', { peep: false }, 'last', ['LSTM', 'Reshape', 'Relu']],
    ['LSTMCell with peepholes and projection (num_proj 3), every step stacked', { peep: true, P: 3 }, 'sequence', ['LSTM', 'Reshape', 'Dense', 'Relu']],
  ];
  for (const [name, o, out, ops] of CASES) {
    it(`${name}: the chain becomes one IR LSTM, equal to TF's cell and to tfjs`, async () => {
      const bytes = staticLstmGraph(o, out).encode();
      const path = join(dir, `static_${out}_${o.P ?? 0}.pb`);
      writeFileSync(path, bytes);
      const g = loadModel(path);
      expect(g.nodes.map((n) => n.op)).toEqual(ops);
      const x = Float32Array.from(rnd(2 * T * I, 1));
      const ours = runFloat(g, [{ shape: [2, T, I], data: x }])[0]!;
      const P = o.P ?? H;
      expect(ours.shape).toEqual(out === 'last' ? [2, P] : [2, T, P]);
      const nodes = readTfContainer(path).graph.node!;
      const get = (n: string) => decodeTfTensor(nodes.find((q) => q.name === n)!.attr!['value']!.tensor!, n).data;
      const want = [0, 1].flatMap((k) => {
        const st = lstmSteps(o, get, x.subarray(k * T * I, (k + 1) * T * I));
        return (out === 'last' ? st[T - 1]! : st.flat()).map((v) => Math.max(0, v));
      });
      let err = 0;
      let mx = 0;
      want.forEach((r, i) => {
        err = Math.max(err, Math.abs(r - ours.data[i]!));
        mx = Math.max(mx, Math.abs(r));
      });
      expect(mx).toBeGreaterThan(0.05);
      expect(err).toBeLessThanOrEqual(1e-4 * mx);
      const model = await graphDefAsTfjs(bytes, { x: [-1, T, I] }, ['out']);
      const per = want.length / 2;
      let errT = 0;
      for (let k = 0; k < 2; k++) {
        const t = await runTfjs(model, { x: { shape: [1, T, I], data: x.slice(k * T * I, (k + 1) * T * I) } }, 'out');
        t.forEach((r, i) => (errT = Math.max(errT, Math.abs(r - ours.data[k * per + i]!))));
      }
      console.log(`static_rnn ${name}: max |err| vs the JS cell ${err.toExponential(2)}, vs tfjs ${errT.toExponential(2)} (max |ref| ${mx.toFixed(3)})`);
      expect(errT).toBeLessThanOrEqual(1e-4 * mx);
    }, 30_000);
  }
});

/** static_rnn of a GRUCell or BasicRNNCell over Unpack(x, axis 1), weights shared (Const reads). */
function staticOneStateGraph(kind: 'GRU' | 'RNN', out: 'last' | 'sequence'): GraphDefBuilder {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', [-1, T, I]);
  b.node('rnn/unstack', 'Unpack', [x], { num: { i: T }, axis: { i: 1 }, ...f32 });
  const read = (name: string, shape: number[]) => b.node(`${name}/read`, 'Identity', [b.const(name, shape, rnd(shape.reduce((a, d) => a * d, 1)))], f32);
  const gru = kind === 'GRU'
    ? { gk: read('gru/gates/kernel', [I + H, 2 * H]), gb: read('gru/gates/bias', [2 * H]), ck: read('gru/candidate/kernel', [I + H, H]), cb: read('gru/candidate/bias', [H]), one: b.const('gru/one', [], [1]) }
    : null;
  const rnn = kind === 'RNN' ? { k: read('cell/kernel', [I + H, H]), b: read('cell/bias', [H]) } : null;
  let h = b.node('rnn/zeros', 'Fill', [b.const('rnn/zeros/dims', [2], [1, H], 'int32'), b.const('rnn/zeros/v', [], [0])], f32);
  const outs: string[] = [];
  for (let t = 0; t < T; t++) {
    const s = t === 0 ? '' : `_${t}`;
    const op = (name: string, k: string, ins: string[], extra = {}) => b.node(`rnn/cell${s}/${name}`, k, ins, { ...f32, ...extra });
    const dn = (name: string, a: string, kk: string, bb: string) => {
      const cc = op(`${name}/concat`, 'ConcatV2', [`rnn/unstack:${t}`, a, b.const(`rnn/cell${s}/${name}/axis`, [], [1], 'int32')], { N: { i: 2 } });
      return op(`${name}/BiasAdd`, 'BiasAdd', [op(`${name}/MatMul`, 'MatMul', [cc, kk], { transpose_a: { b: false }, transpose_b: { b: false } }), bb]);
    };
    if (gru) {
      const split = op('split', 'Split', [b.const(`rnn/cell${s}/split_dim`, [], [1], 'int32'), op('Sigmoid', 'Sigmoid', [dn('gates', h, gru.gk, gru.gb)])], { num_split: { i: 2 } });
      const c = op('Tanh', 'Tanh', [dn('candidate', op('mul', 'Mul', [split, h]), gru.ck, gru.cb)]);
      h = op('add', 'AddV2', [op('mul_1', 'Mul', [`${split}:1`, h]), op('mul_2', 'Mul', [op('sub', 'Sub', [gru.one, `${split}:1`]), c])]);
    } else {
      h = op('Tanh', 'Tanh', [dn('dense', h, rnn!.k, rnn!.b)]);
    }
    outs.push(h);
  }
  if (out === 'last') b.node('out', 'Relu', [h]);
  else b.node('out', 'Relu', [b.node('rnn/stack', 'Pack', outs, { N: { i: T }, axis: { i: 1 }, ...f32 })]);
  return b;
}

describe('TF1 static_rnn: GRUCell and BasicRNNCell chains', () => {
  const CASES: ['GRU' | 'RNN', 'last' | 'sequence'][] = [['GRU', 'last'], ['RNN', 'sequence']];
  for (const [kind, out] of CASES) {
    it(`${kind} (${out === 'last' ? 'final h' : 'every step stacked'}): the chain becomes one IR ${kind}, equal to TF's cell and to tfjs`, async () => {
      const bytes = staticOneStateGraph(kind, out).encode();
      const path = join(dir, `static_${kind}_${out}.pb`);
      writeFileSync(path, bytes);
      const g = loadModel(path);
      expect(g.nodes.map((n) => n.op)).toEqual([kind, 'Reshape', 'Relu']);
      const x = Float32Array.from(rnd(2 * T * I, 1));
      const ours = runFloat(g, [{ shape: [2, T, I], data: x }])[0]!;
      expect(ours.shape).toEqual(out === 'last' ? [2, H] : [2, T, H]);
      const nodes = readTfContainer(path).graph.node!;
      const get = (n: string) => decodeTfTensor(nodes.find((q) => q.name === n)!.attr!['value']!.tensor!, n).data;
      // Every step of BasicRNNCell from x [T, I]: h' = tanh([x, h]·W + b).
      const rnnSeq = (xs: Float32Array) => {
        let h = new Array<number>(H).fill(0);
        const all: number[] = [];
        for (let t = 0; t < T; t++) {
          h = matvec([...Array.from(xs.slice(t * I, (t + 1) * I)), ...h], get('cell/kernel'), H, 0, H).map((v, j) => Math.tanh(v + get('cell/bias')[j]!));
          all.push(...h.map((v) => Math.max(0, v)));
        }
        return all;
      };
      const want = [0, 1].flatMap((k) => {
        const xs = x.subarray(k * T * I, (k + 1) * T * I);
        return kind === 'GRU' ? REFS['GRU']!(get, xs) : rnnSeq(xs);
      });
      let err = 0;
      let mx = 0;
      want.forEach((r, i) => {
        err = Math.max(err, Math.abs(r - ours.data[i]!));
        mx = Math.max(mx, Math.abs(r));
      });
      expect(mx).toBeGreaterThan(0.05);
      expect(err).toBeLessThanOrEqual(1e-4 * mx);
      const model = await graphDefAsTfjs(bytes, { x: [-1, T, I] }, ['out']);
      const per = want.length / 2;
      let errT = 0;
      for (let k = 0; k < 2; k++) {
        const t = await runTfjs(model, { x: { shape: [1, T, I], data: x.slice(k * T * I, (k + 1) * T * I) } }, 'out');
        t.forEach((r, i) => (errT = Math.max(errT, Math.abs(r - ours.data[k * per + i]!))));
      }
      console.log(`static_rnn ${kind} ${out}: max |err| vs the JS cell ${err.toExponential(2)}, vs tfjs ${errT.toExponential(2)} (max |ref| ${mx.toFixed(3)})`);
      expect(errT).toBeLessThanOrEqual(1e-4 * mx);
    }, 30_000);
  }
});

const INC = process.env['AP_TYPES_INCLUDE'];
const HAVE_CC = !!INC && existsSync(join(INC, 'ap_fixed.h'));
describe.skipIf(!HAVE_CC)('a converted LSTMCell loop compiles and C-simulates bit-exactly (default flags)', () => {
  for (const io of ['parallel', 'stream'] as const) {
    it(`peepholes + projection, every step's output (io ${io})`, { timeout: 600_000 }, async () => {
      const path = join(dir, `csim_lstm_${io}.pb`);
      writeFileSync(path, stateGraph(lstmCell({ peep: true, P: 2 }), [['m', 2], ['c', H]], 'm', true).encode());
      const g = loadModel(path, { outputs: ['out'] });
      const out = join(dir, `csim_lstm_${io}`);
      compileProject({ model: path, out, precision: defaultConfig(), samples: 16, options: { ...DEFAULTS, io, layers: {} } }, g);
      const r = await runCsim(out, { hlsInclude: INC! });
      console.log(`LSTMCell loop io ${io}: bit-exact ${r.exact}/${r.samples}`);
      expect(r.mismatches).toEqual([]);
      expect(r.exact).toBe(16);
    });
  }
});
