/**
 * Keras semantics the tfjs oracle cannot run, checked against references written in this test
 * from Keras's and QKeras's definitions, on hand-written configs stored as TF.js layers-model
 * folders: GRU with reset_after=True, QDenseBatchnorm folding, a Keras 3 functional config
 * (keras_history inbound nodes) with Keras 3's hard_sigmoid, channels_first convolution and
 * pooling, 1-D padding/cropping/upsampling, causal convolution, ReLU(max_value,
 * negative_slope) and ELU(alpha); QActivation(quantized_relu with negative_slope) and
 * QActivation(binary) simulated bit-accurately against QKeras's definitions.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadKeras } from '../../../src/frontend/keras/index.js';
import { runFloat } from '../../../src/sim/float/executor.js';
import { defaultConfig } from '../../../src/ir/precision-config.js';
import { prepareFixed } from '../../../src/passes/pipeline.js';
import { FixedProgram, fxToFloat } from '../../../src/sim/fixed/executor.js';
import { withModelPrecision } from '../../../src/cli/model-options.js';
import { randomInput, relErr } from './helpers.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

interface W {
  name: string;
  shape: number[];
  data: Float32Array;
}

function writeModel(config: unknown, weights: W[], kerasVersion = '2.9.0'): string {
  const dir = mkdtempSync(join(tmpdir(), 'nn2hls-keras-hw-'));
  dirs.push(dir);
  const bytes = new Uint8Array(weights.reduce((a, w) => a + 4 * w.data.length, 0));
  let off = 0;
  for (const w of weights) {
    bytes.set(new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength), off);
    off += w.data.byteLength;
  }
  writeFileSync(join(dir, 'w.bin'), bytes);
  writeFileSync(
    join(dir, 'model.json'),
    JSON.stringify({
      format: 'layers-model',
      modelTopology: { keras_version: kerasVersion, backend: 'tensorflow', model_config: config },
      weightsManifest: [{ paths: ['w.bin'], weights: weights.map((w) => ({ name: w.name, shape: w.shape, dtype: 'float32' })) }],
    }),
  );
  return dir;
}

const seq = (input: number[], layers: { class_name: string; config: Record<string, unknown> }[]) => ({
  class_name: 'Sequential',
  config: { name: 'm', layers: [{ class_name: 'InputLayer', config: { name: 'x', batch_input_shape: [null, ...input] } }, ...layers] },
});
const rnd = (name: string, shape: number[], seed: number, scale = 0.8): W => ({ name, shape, data: randomInput(shape, seed, scale).data });
const sig = (v: number) => 1 / (1 + Math.exp(-v));

describe('Keras semantics beyond the tfjs oracle', () => {
  it('GRU reset_after=True (separate recurrent bias) and reset_after=False', async () => {
    for (const resetAfter of [true, false]) {
      const [T, I, H] = [5, 3, 4];
      const k = rnd('gru/kernel', [I, 3 * H], 1);
      const r = rnd('gru/recurrent_kernel', [H, 3 * H], 2);
      const b = rnd('gru/bias', resetAfter ? [2, 3 * H] : [3 * H], 3);
      const dir = writeModel(seq([T, I], [{ class_name: 'GRU', config: { name: 'gru', units: H, return_sequences: true, reset_after: resetAfter, activation: 'tanh', recurrent_activation: 'sigmoid' } }]), [k, r, b]);
      const { graph } = await loadKeras(dir);
      const x = randomInput([2, T, I], 9, 1.5);
      const got = runFloat(graph, [x])[0]!;
      const want: number[] = [];
      for (let s = 0; s < 2; s++) {
        let h = new Array<number>(H).fill(0);
        for (let t = 0; t < T; t++) {
          const xt = Array.from(x.data.subarray((s * T + t) * I, (s * T + t + 1) * I));
          const xw = (g: number, j: number) => xt.reduce((a, v, i) => a + v * k.data[i * 3 * H + g * H + j]!, 0) + b.data[g * H + j]!;
          const hu = (hv: number[], g: number, j: number) => hv.reduce((a, v, i) => a + v * r.data[i * 3 * H + g * H + j]!, 0) + (resetAfter ? b.data[3 * H + g * H + j]! : 0);
          const z = h.map((_, j) => sig(xw(0, j) + hu(h, 0, j)));
          const rr = h.map((_, j) => sig(xw(1, j) + hu(h, 1, j)));
          const hh = h.map((_, j) => Math.tanh(xw(2, j) + (resetAfter ? rr[j]! * hu(h, 2, j) : hu(h.map((v, i) => v * rr[i]!), 2, j))));
          h = h.map((v, j) => z[j]! * v + (1 - z[j]!) * hh[j]!);
          want.push(...h);
        }
      }
      expect(got.shape).toEqual([2, T, H]);
      expect(relErr(got.data, want)).toBeLessThan(1e-5);
    }
  });

  it('QDenseBatchnorm folds batch norm into the kernel and bias before quantizing, as QKeras does', async () => {
    const [K, M] = [6, 4];
    const ws = [
      rnd('f/kernel', [K, M], 1),
      rnd('f/bias', [M], 2),
      rnd('f/gamma', [M], 3),
      rnd('f/beta', [M], 4),
      rnd('f/moving_mean', [M], 5),
      { name: 'f/moving_variance', shape: [M], data: Float32Array.from([0.5, 1.5, 0.8, 2.0]) },
    ];
    const q = { class_name: 'quantized_bits', config: { bits: 8, integer: 2, alpha: 1 } };
    const dir = writeModel(seq([K], [{ class_name: 'QDenseBatchnorm', config: { name: 'f', units: M, use_bias: true, epsilon: 0.001, kernel_quantizer: q, bias_quantizer: q, activation: 'linear' } }]), ws);
    const { graph, precision } = await loadKeras(dir);
    expect(precision['f']?.types.weight).toMatchObject({ width: 8, int: 3 });
    const qb = (v: number) => {
      const s = v * 32;
      const f = Math.floor(s);
      const rr = s - f > 0.5 || (s - f === 0.5 && f % 2 !== 0) ? f + 1 : f;
      return Math.min(127, Math.max(-128, rr)) / 32;
    };
    const [k, b, g, be, mu, va] = ws.map((w) => w.data);
    const inv = Array.from({ length: M }, (_, m) => g![m]! / Math.sqrt(va![m]! + 0.001));
    const x = randomInput([3, K], 4);
    const got = runFloat(graph, [x])[0]!;
    const want = Array.from({ length: 3 * M }, (_, i) => {
      const s = Math.floor(i / M);
      const m = i % M;
      let acc = qb(Math.fround(inv[m]! * (b![m]! - mu![m]!) + be![m]!));
      for (let kk = 0; kk < K; kk++) acc += x.data[s * K + kk]! * qb(Math.fround(k![kk * M + m]! * inv[m]!));
      return acc;
    });
    expect(relErr(got.data, want)).toBeLessThan(1e-6);
  });

  it('Keras 3 functional config (keras_history inbound nodes) with Keras 3 hard_sigmoid', async () => {
    const kt = (name: string) => ({ class_name: '__keras_tensor__', config: { shape: [null, 4], dtype: 'float32', keras_history: [name, 0, 0] } });
    const config = {
      class_name: 'Functional',
      config: {
        name: 'f',
        layers: [
          { class_name: 'InputLayer', name: 'inp', config: { name: 'inp', batch_shape: [null, 4] }, inbound_nodes: [] },
          { class_name: 'Dense', name: 'a', config: { name: 'a', units: 4, activation: 'hard_sigmoid', use_bias: false }, inbound_nodes: [{ args: [kt('inp')], kwargs: {} }] },
          { class_name: 'Add', name: 'sum', config: { name: 'sum' }, inbound_nodes: [{ args: [[kt('a'), kt('inp')]], kwargs: {} }] },
        ],
        input_layers: [['inp', 0, 0]],
        output_layers: ['sum', 0, 0],
      },
    };
    const w = rnd('a/kernel', [4, 4], 7, 3);
    const { graph } = await loadKeras(writeModel(config, [w], '3.3.3'));
    const x = randomInput([2, 4], 3, 3);
    const got = runFloat(graph, [x])[0]!;
    const want = Array.from({ length: 8 }, (_, i) => {
      const s = Math.floor(i / 4);
      const j = i % 4;
      const pre = [0, 1, 2, 3].reduce((a, kk) => a + x.data[s * 4 + kk]! * w.data[kk * 4 + j]!, 0);
      return Math.min(1, Math.max(0, pre / 6 + 0.5)) + x.data[i]!;
    });
    expect(relErr(got.data, want)).toBeLessThan(1e-6);
  });

  it('channels_first Conv2D, MaxPooling2D and Flatten equal the channels_last model on transposed input', async () => {
    const k = rnd('c/kernel', [3, 3, 2, 3], 1);
    const bias = rnd('c/bias', [3], 2);
    const layers = (df: string) => [
      { class_name: 'Conv2D', config: { name: 'c', filters: 3, kernel_size: [3, 3], padding: 'same', data_format: df, activation: 'relu' } },
      { class_name: 'MaxPooling2D', config: { name: 'p', pool_size: [2, 2], data_format: df } },
      { class_name: 'Flatten', config: { name: 'fl', data_format: df } },
    ];
    const cf = (await loadKeras(writeModel(seq([2, 6, 6], layers('channels_first')), [k, bias]))).graph;
    const cl = (await loadKeras(writeModel(seq([6, 6, 2], layers('channels_last')), [k, bias]))).graph;
    const xcl = randomInput([2, 6, 6, 2], 5);
    const xcf = { shape: [2, 2, 6, 6], data: new Float32Array(xcl.data.length) };
    for (let s = 0; s < 2; s++) for (let h = 0; h < 6; h++) for (let w = 0; w < 6; w++) for (let c = 0; c < 2; c++) xcf.data[((s * 2 + c) * 6 + h) * 6 + w] = xcl.data[((s * 6 + h) * 6 + w) * 2 + c]!;
    const ycf = runFloat(cf, [xcf])[0]!;
    const ycl = runFloat(cl, [xcl])[0]!;
    // Keras's Flatten(data_format='channels_first') moves channels last first, so both flatten alike.
    expect(Array.from(ycf.data)).toEqual(Array.from(ycl.data));
  });

  it('1-D padding, cropping, upsampling, causal Conv1D, ReLU(max_value, negative_slope), ELU(alpha)', async () => {
    const k = { name: 'cv/kernel', shape: [2, 1, 1], data: Float32Array.from([0.5, 2]) };
    const dir = writeModel(
      seq([4, 1], [
        { class_name: 'ZeroPadding1D', config: { name: 'zp', padding: [1, 2] } },
        { class_name: 'Cropping1D', config: { name: 'cr', cropping: [0, 1] } },
        { class_name: 'UpSampling1D', config: { name: 'up', size: 2 } },
        { class_name: 'Conv1D', config: { name: 'cv', filters: 1, kernel_size: [2], padding: 'causal', use_bias: false } },
        { class_name: 'ReLU', config: { name: 'rl', max_value: 3, negative_slope: 0.25 } },
        { class_name: 'ELU', config: { name: 'el', alpha: 0.5 } },
      ]),
      [k],
    );
    const { graph } = await loadKeras(dir);
    const x = { shape: [1, 4, 1], data: Float32Array.from([1, -4, 3, 0.5]) };
    const padded = [0, 1, -4, 3, 0.5, 0, 0].slice(0, 6);
    const up = padded.flatMap((v) => [v, v]);
    const conv = up.map((v, t) => 0.5 * (t > 0 ? up[t - 1]! : 0) + 2 * v);
    const relu = conv.map((v) => (v >= 3 ? 3 : v >= 0 ? v : 0.25 * v));
    const elu = relu.map((v) => (v > 0 ? v : 0.5 * Math.expm1(v)));
    const got = runFloat(graph, [x])[0]!;
    expect(got.shape).toEqual([1, 12, 1]);
    expect(relErr(got.data, elu)).toBeLessThan(1e-6);
  });
});

/** tf.round + clip of quantized_bits(bits, integer) with alpha 1 (QKeras's definition). */
function qBits(x: number, bits: number, integer: number): number {
  const m = 2 ** (bits - 1);
  const mi = 2 ** integer;
  const s = (x * m) / mi;
  const f = Math.floor(s);
  const r = s - f > 0.5 || (s - f === 0.5 && f % 2 !== 0) ? f + 1 : f;
  return (mi * Math.min(m - 1, Math.max(-m, r))) / m;
}

describe('QKeras layers equal their Keras twins with weights quantized by the reference', () => {
  const q = (bits: number, integer: number) => ({ class_name: 'quantized_bits', config: { bits, integer, alpha: 1 } });
  const cases: { name: string; input: number[]; q: { class_name: string; config: Record<string, unknown> }; plain: { class_name: string; config: Record<string, unknown> }; weights: W[]; bits: number[]; typed: Record<string, string[]> }[] = [
    {
      name: 'QDepthwiseConv2D',
      input: [5, 5, 2],
      q: { class_name: 'QDepthwiseConv2D', config: { name: 'l', kernel_size: [3, 3], depth_multiplier: 2, padding: 'same', depthwise_quantizer: q(5, 0), bias_quantizer: q(6, 1) } },
      plain: { class_name: 'DepthwiseConv2D', config: { name: 'l', kernel_size: [3, 3], depth_multiplier: 2, padding: 'same' } },
      weights: [rnd('l/depthwise_kernel', [3, 3, 2, 2], 1), rnd('l/bias', [4], 2)],
      bits: [5, 6],
      typed: { l: ['weight', 'bias'] },
    },
    {
      name: 'QSeparableConv2D',
      input: [5, 5, 2],
      q: { class_name: 'QSeparableConv2D', config: { name: 'l', filters: 3, kernel_size: [3, 3], depthwise_quantizer: q(4, 0), pointwise_quantizer: q(6, 0), bias_quantizer: q(8, 2) } },
      plain: { class_name: 'SeparableConv2D', config: { name: 'l', filters: 3, kernel_size: [3, 3] } },
      weights: [rnd('l/depthwise_kernel', [3, 3, 2, 1], 3), rnd('l/pointwise_kernel', [1, 1, 2, 3], 4), rnd('l/bias', [3], 5)],
      bits: [4, 6, 8],
      typed: { l_depthwise: ['weight'], l: ['weight', 'bias'] },
    },
    {
      name: 'QLSTM',
      input: [4, 3],
      q: { class_name: 'QLSTM', config: { name: 'l', units: 2, kernel_quantizer: q(6, 0), recurrent_quantizer: q(5, 0), bias_quantizer: q(8, 1), recurrent_activation: 'sigmoid' } },
      plain: { class_name: 'LSTM', config: { name: 'l', units: 2, recurrent_activation: 'sigmoid' } },
      weights: [rnd('l/kernel', [3, 8], 6), rnd('l/recurrent_kernel', [2, 8], 7), rnd('l/bias', [8], 8)],
      bits: [6, 5, 8],
      typed: { l: ['weight', 'recurrent_weight', 'bias'] },
    },
  ];
  it.each(cases)('$name', async (c) => {
    // Integer bits as configured above, per weight.
    const integerOf = (k: number) => {
      const qs = Object.entries(c.q.config).filter(([key]) => key.endsWith('_quantizer')).map(([, v]) => (v as { config: { integer: number } }).config.integer);
      return qs[k]!;
    };
    const quantized = c.weights.map((w, k) => ({ ...w, data: Float32Array.from(w.data, (v) => qBits(v, c.bits[k]!, integerOf(k))) }));
    const qm = await loadKeras(writeModel(seq(c.input, [c.q]), c.weights));
    const pm = await loadKeras(writeModel(seq(c.input, [c.plain]), quantized));
    const x = randomInput([3, ...c.input], 12);
    expect(relErr(runFloat(qm.graph, [x])[0]!.data, runFloat(pm.graph, [x])[0]!.data)).toBeLessThan(1e-6);
    expect(Object.fromEntries(Object.entries(qm.precision).map(([k, v]) => [k, Object.keys(v.types).sort()]))).toEqual(
      Object.fromEntries(Object.entries(c.typed).map(([k, v]) => [k, [...v].sort()])),
    );
  });
});

/** tf.round (half to even). */
const tfRound = (v: number): number => (Math.abs(v - Math.trunc(v)) === 0.5 ? 2 * Math.round(v / 2) : Math.round(v));
const clip = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** QKeras quantized_relu(bits, integer, negative_slope=s) at inference, as quantizers.py writes it. */
function qReluLeaky(x: number, bits: number, integer: number, s: number): number {
  const m = 2 ** (bits - 1);
  const mi = 2 ** integer;
  const p = (x * m) / mi;
  const pos = mi * clip(tfRound(p) / m, 0, 1 - 1 / m);
  const negFactor = 1 / (s * m);
  return pos + mi * s * clip(tfRound(p * s) * negFactor, -1, 0);
}

describe('QKeras activations simulated bit-accurately', () => {
  // Inputs on a 1/256 grid within ±19.5: exact in the default input type, ties included.
  const N = 2 * 5000 + 1;
  const xs = Float32Array.from({ length: N }, (_, k) => (k - 5000) / 256);
  const simulate = async (activation: string): Promise<Float64Array> => {
    const { graph, precision } = await loadKeras(writeModel(seq([1], [{ class_name: 'QActivation', config: { name: 'a', activation } }]), []));
    const { graph: qg } = prepareFixed(graph, withModelPrecision(defaultConfig(), precision, false));
    let out: Float64Array | undefined;
    new FixedProgram(qg).run([{ shape: [N, 1], data: xs }], { onValue: (name, t) => (name === qg.outputs[0]!.value ? (out = fxToFloat(t)) : undefined) });
    return out!;
  };

  it.each([
    [6, 2, 0.25],
    [8, 0, 0.5],
    [4, 1, 0.125],
    [5, 1, 1],
  ])('quantized_relu(%i, %i, negative_slope=%f): leaky side rounded half-even and clipped at −s·2^integer', async (bits, integer, s) => {
    const got = await simulate(`quantized_relu(${bits},${integer},negative_slope=${s})`);
    const want = Array.from(xs, (x) => qReluLeaky(x, bits, integer, s) + 0);
    expect(Array.from(got, (v) => v + 0)).toEqual(want);
    await expect(loadKeras(writeModel(seq([1], [{ class_name: 'QActivation', config: { name: 'a', activation: 'quantized_relu(6,2,negative_slope=2)' } }]), []))).rejects.toThrow(/negative_slope 2 must be a power of two, at most 1/);
    // The clip below −s·2^integer is reached (the type alone would stop at −2^integer).
    expect(Math.min(...got)).toBe(-s * 2 ** integer);
  });

  it.each([
    ['binary()', (x: number) => (x >= 0 ? 1 : -1)],
    ['binary(alpha=0.5)', (x: number) => (x >= 0 ? 0.5 : -0.5)],
    ['binary(use_01=True)', (x: number) => (x >= 0 ? 1 : 0)],
  ])('QActivation %s: sign with 0 counted as +1', async (act, ref) => {
    const got = await simulate(act as string);
    expect(Array.from(got, (v) => v + 0)).toEqual(Array.from(xs, (x) => (ref as (x: number) => number)(x)));
  });
});
