/**
 * Post-training calibration: the cast the statistics are measured against (round to nearest
 * even, saturate), the integer bits each method chooses on a heavy-tailed tensor whose errors
 * are worked out by hand, the strided sample, Relu-only tensors typed from their positive part,
 * bias correction (its exact per-channel value on a constructed layer, and that it removes the
 * output's mean error), the CLI's refusal of flags that would do nothing, and accuracy at 8 and
 * 6 bits on the depthwise-separable models.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importOnnx, loadOnnxFile } from '../../src/frontend/onnx/model.js';
import { parseType, renderType } from '../../src/ir/fixed.js';
import { configToJson, parseConfig } from '../../src/ir/precision-config.js';
import { autoPrecision } from '../../src/passes/auto-precision.js';
import { absPercentile, castError, castRoundSat, chooseType, statsFor, TensorStats } from '../../src/passes/auto-precision-calibrate.js';
import { canonicalize, prepareFixed } from '../../src/passes/pipeline.js';
import { resolvePrecision } from '../../src/cli/precision-options.js';
import { lossRanking } from '../../src/cli/simulate.js';
import { simulate } from '../../src/sim/compare.js';
import { runFloat } from '../../src/sim/float/executor.js';
import { readNpyFile } from '../../src/util/npy.js';
import { toFloat32 } from '../../src/util/tensor.js';
import { buildModel } from '../helpers/onnx-builder.js';

const EX = join(__dirname, '../../examples');
const FX = join(__dirname, '../fixtures/ptq');
const npy = (dir: string, f: string) => {
  const t = readNpyFile(join(dir, f));
  return { shape: t.shape, data: toFloat32(t) };
};

describe('castRoundSat', () => {
  it('rounds ties to the even raw and saturates at both ends, like AP_RND_CONV + AP_SAT', () => {
    const t = parseType('ap_ufixed<8,3>'); // LSB 1/32, top 255/32
    expect(castRoundSat(1.5 / 32, t)).toBe(2 / 32);
    expect(castRoundSat(2.5 / 32, t)).toBe(2 / 32);
    expect(castRoundSat(3.5 / 32, t)).toBe(4 / 32);
    expect(castRoundSat(9, t)).toBe(255 / 32);
    expect(castRoundSat(-1, t)).toBe(0);
    const s = parseType('ap_fixed<4,1>'); // LSB 1/8, range [-1, 7/8]
    expect(castRoundSat(-0.5625, s)).toBe(-0.5);
    expect(castRoundSat(-3, s)).toBe(-1);
    expect(castRoundSat(0.99, s)).toBe(0.875);
  });
});

describe('chooseType on a heavy-tailed tensor', () => {
  // 10000 values of 3/64 (a tie on the 1/32 grid, exact on the 1/64 grid) and one outlier 4.5.
  //  ap_ufixed<8,3> (holds 4.5): bulk rounds to 2/32, error 1/64 each: 10000/4096 = 2.44; outlier exact.
  //  ap_ufixed<8,2> (top 255/64): bulk exact; outlier saturates: (4.5 − 255/64)^2 = 0.2659.
  //  ap_ufixed<8,1> (top 255/128): bulk exact; outlier: (4.5 − 255/128)^2 = 6.29.
  const s = new TensorStats(1);
  s.add(new Float64Array(10000).fill(3 / 64));
  s.add([4.5]);

  it('has the hand-computed cast errors', () => {
    expect(castError(s.values, parseType('ap_ufixed<8,3,AP_RND_CONV,AP_SAT>'))).toBeCloseTo(10000 / 4096, 12);
    expect(castError(s.values, parseType('ap_ufixed<8,2,AP_RND_CONV,AP_SAT>'))).toBeCloseTo((4.5 - 255 / 64) ** 2, 12);
    expect(castError(s.values, parseType('ap_ufixed<8,1,AP_RND_CONV,AP_SAT>'))).toBeCloseTo((4.5 - 255 / 128) ** 2, 12);
  });

  it('max holds the outlier; mse gives up one integer bit; percentile holds the bulk', () => {
    expect(renderType(chooseType(s, 8, { method: 'max' }))).toBe('ap_ufixed<8,3,AP_RND_CONV,AP_SAT>');
    expect(renderType(chooseType(s, 8, { method: 'max', margin: 0.1 }))).toBe('ap_ufixed<8,3,AP_RND_CONV,AP_SAT>');
    expect(renderType(chooseType(s, 8, { method: 'mse' }))).toBe('ap_ufixed<8,2,AP_RND_CONV,AP_SAT>');
    // 99.99th percentile by nearest rank: rank 10001·0.9999 → the 10000th smallest, 3/64 ≤ 2^-4.
    expect(absPercentile(s.values, 99.99)).toBe(3 / 64);
    expect(renderType(chooseType(s, 8, { method: 'percentile' }))).toBe('ap_ufixed<8,-4,AP_RND_CONV,AP_SAT>');
    expect(renderType(chooseType(s, 8, { method: 'percentile', percentile: 100 }))).toBe('ap_ufixed<8,3,AP_RND_CONV,AP_SAT>');
  });

  it('mse keeps the full range when the tail is too heavy to clip, and is signed when values go negative', () => {
    const few = new TensorStats(1);
    few.add(new Float64Array(100).fill(-3 / 64)); // 100/4096 = 0.024 < 0.27: clipping does not pay
    few.add([4.5]);
    expect(renderType(chooseType(few, 8, { method: 'mse' }))).toBe('ap_fixed<8,4,AP_RND_CONV,AP_SAT>');
  });

  it('samples with a fixed stride but keeps the exact min and max', () => {
    const st = statsFor(200000);
    expect(st.stride).toBe(4);
    const data = Float32Array.from({ length: 200000 }, (_, i) => (i === 7 ? 100 : i === 9 ? -50 : (i % 10) / 10));
    st.add(data.subarray(0, 100001));
    st.add(data.subarray(100001));
    expect(st.values.length).toBe(50000);
    expect([st.min, st.max]).toEqual([-50, 100]);
    // Every 4th value in run order across both chunks: indices 0, 4, 8, ..., 100000, 100004, ...
    expect(st.values.slice(0, 3)).toEqual([0, data[4], data[8]]);
    expect(st.values[25000]).toBe(data[100000]);
    expect(st.values[25001]).toBe(data[100004]);
  });
});

// y = x·W + b with x [N,4], W = 0.1 everywhere, b = 0.2 (then a Relu, whose input is never negative).
function layer(relu: boolean) {
  return importOnnx(
    buildModel({
      inputs: [['x', ['N', 4]]],
      outputs: [['y', ['N', 1]]],
      inits: [['W', [4, 1], [0.1, 0.1, 0.1, 0.1]], ['b', [1], [0.2]]],
      nodes: [
        { op: 'Gemm', name: 'fc', inputs: ['x', 'W', 'b'], outputs: [relu ? 'h' : 'y'] },
        ...(relu ? [{ op: 'Relu', name: 'act', inputs: ['h'], outputs: ['y'] }] : []),
      ],
    }),
    'layer.onnx',
  );
}
// 48 rows of 4 values cycling 0, 0.5, 1: every input's mean is 0.5.
const X = { shape: [48, 4], data: Float32Array.from({ length: 192 }, (_, i) => (i % 3) * 0.5) };

describe('bias correction', () => {
  it('folds −E[x·(Wq − W)] into the bias, on the products grid, and removes the mean output error', () => {
    const g = layer(false);
    const cfg = autoPrecision(g, [X], { bits: 8, weightBits: 4, run: runFloat });
    const fc = cfg.layers['fc']!;
    // 0.1 in ap_ufixed<4,-3> (LSB 2^-7) rounds to 13/128 = 0.1015625: each output gains
    // 4 · (0.1015625 − 0.1) · 0.5 on average.
    expect(renderType(fc.types.weight!)).toBe('ap_ufixed<4,-3,AP_RND_CONV,AP_SAT>');
    expect(fc.biasCorrection).toEqual([-0.003125]);
    // x is ap_ufixed<8,0> (8 fraction bits), w has 7: the bias gets 15 fraction bits, integer
    // bits for 0.2 − 0.003125.
    expect(renderType(cfg.inputs['x']!)).toBe('ap_ufixed<8,0,AP_RND_CONV,AP_SAT>');
    expect(renderType(fc.types.bias!)).toBe('ap_ufixed<13,-2,AP_RND_CONV,AP_SAT>');
    // The quantized graph carries the corrected bias; the float one keeps the model's.
    const { graph } = prepareFixed(g, cfg);
    const qfc = graph.nodes.find((n) => n.name === 'fc')!;
    expect(qfc.inputs[2]).not.toBe('b');
    expect(graph.values.get(qfc.inputs[2]!)!.data![0]).toBeCloseTo(0.2 - 0.003125, 7);

    const meanError = (c: typeof cfg) => {
      const r = simulate(canonicalize(g), prepareFixed(g, c).graph, [X]);
      let e = 0;
      for (let i = 0; i < 48; i++) e += r.fixedOutputs[0]!.data[i]! - r.floatOutputs[0]!.data[i]!;
      return e / 48;
    };
    const off = meanError(autoPrecision(g, [X], { bits: 8, weightBits: 4, biasCorrection: false, run: runFloat }));
    const on = meanError(cfg);
    // Uncorrected, the output sits 2.3e-3 high (3.1e-3 from the weights, less 0.5e-3 from x = 1
    // saturating to 255/256, and the output's rounding); corrected, only those residues remain.
    expect(off).toBeGreaterThan(2.2e-3);
    expect(Math.abs(on)).toBeLessThan(off / 4);
  });

  it('is written to and read back from the config, and refused on a layer without a bias', () => {
    const g = layer(false);
    const cfg = autoPrecision(g, [X], { bits: 8, weightBits: 4, run: runFloat });
    const back = parseConfig(JSON.parse(configToJson(cfg)), 'auto.json');
    expect(back.layers['fc']!.biasCorrection).toEqual([-0.003125]);
    expect(configToJson(back)).toBe(configToJson(cfg));
    expect(() => parseConfig({ layers: { fc: { bias_correction: [] } } }, 'c.json')).toThrow(/bias_correction: expected a non-empty list of numbers/);
    expect(() => prepareFixed(g, parseConfig({ layers: { fc: { bias_correction: [1, 2] } } }, 'c.json'))).toThrow(
      /layers\.fc\.bias_correction has 2 value\(s\), but layer 'fc' \(Gemm|Dense\) has 1 output channel/,
    );
  });

  it('is off with calibration max (the old behaviour) and when asked', () => {
    const g = layer(false);
    expect(autoPrecision(g, [X], { bits: 8, weightBits: 4, calibration: 'max', run: runFloat }).layers['fc']!.biasCorrection).toBeUndefined();
    expect(autoPrecision(g, [X], { bits: 8, weightBits: 4, biasCorrection: false, run: runFloat }).layers['fc']!.biasCorrection).toBeUndefined();
  });
});

describe('what a Relu reads', () => {
  it('a layer read only by a Relu is typed from the positive part: unsigned, the saturation at 0 is the Relu', () => {
    const g = layer(true);
    // x in {−4, ..., 4}: h = 0.1·Σx + 0.2 spans about [−1.4, 1.8].
    const x = { shape: [48, 4], data: Float32Array.from({ length: 192 }, (_, i) => (i % 9) - 4) };
    const mse = autoPrecision(g, [x], { bits: 8, run: runFloat });
    expect(mse.layers['fc']!.types.result!.signed).toBe(false);
    expect(renderType(mse.layers['fc']!.types.result!)).toBe(renderType(mse.layers['act']!.types.result!));
    const max = autoPrecision(g, [x], { bits: 8, calibration: 'max', run: runFloat });
    expect(max.layers['fc']!.types.result!.signed).toBe(true);
    // Bit for bit the same outputs as the Relu of the signed type would give, with a finer grid.
    const r = simulate(canonicalize(g), prepareFixed(g, mse).graph, [x]).report;
    expect(r.max_abs_error).toBeLessThan(2 ** -(8 - mse.layers['act']!.types.result!.int));
  });
});

describe('resolvePrecision flags', () => {
  const g = loadOnnxFile(join(EX, 'digits_mlp.onnx'));
  const calib = join(EX, 'digits_mlp_calib.npy');
  const quiet = () => {};
  it('refuses an unknown method, --margin without max, --percentile without percentile', () => {
    expect(() => resolvePrecision(g, { precision: 'auto', calib, calibMethod: 'kl' }, quiet)).toThrow(/--calib-method must be one of max, percentile, mse, got 'kl'/);
    expect(() => resolvePrecision(g, { precision: 'auto', calib, margin: '0.2' }, quiet)).toThrow(/--margin only has an effect with --calib-method max/);
    expect(() => resolvePrecision(g, { precision: 'auto', calib, percentile: '99' }, quiet)).toThrow(/--percentile only has an effect with --calib-method percentile/);
    expect(() => resolvePrecision(g, { precision: 'ap_fixed<8,3>', calibMethod: 'mse' }, quiet)).toThrow(/--calib-method only has an effect with --precision auto/);
  });
  it('says which rule chose the ranges and how many layers were bias-corrected', () => {
    const lines: string[] = [];
    resolvePrecision(g, { precision: 'auto', calib, bits: '8', calibMethod: 'percentile', percentile: '99.9' }, (s) => lines.push(s));
    expect(lines[0]).toMatch(/^auto precision: 8-bit activations, 8-bit weights, ranges by 99\.9th percentile, bias correction on 3 layer\(s\), from 256 calibration sample/);
  });
});

describe('accuracy of the depthwise-separable models', () => {
  it('dsconv_mnist at 8 bits (default calibration) stays within 2 points of float on its 100 bundled samples', () => {
    const g = loadOnnxFile(join(EX, 'dsconv_mnist.onnx'));
    const labels = toFloat32(readNpyFile(join(EX, 'mnist_labels.npy')));
    const r = simulate(canonicalize(g), prepareFixed(g, autoPrecision(g, [npy(EX, 'mnist_calib.npy')], { bits: 8, run: runFloat })).graph, [npy(EX, 'mnist_input.npy')], {
      labels,
    }).report;
    expect(r.float.accuracy).toBe(0.96);
    expect(r.fixed.accuracy!).toBeGreaterThanOrEqual(r.float.accuracy! - 0.02);
  });

  it('dsconv_mnist with 4-bit weights: bias correction recovers most of what weight rounding loses', () => {
    // Measured on the 100 bundled samples (float 96%): max 75%, mse without correction 91%, with 95%.
    const g = loadOnnxFile(join(EX, 'dsconv_mnist.onnx'));
    const labels = toFloat32(readNpyFile(join(EX, 'mnist_labels.npy')));
    const acc = (biasCorrection: boolean) => {
      const cfg = autoPrecision(g, [npy(EX, 'mnist_calib.npy')], { bits: 8, weightBits: 4, biasCorrection, run: runFloat });
      return simulate(canonicalize(g), prepareFixed(g, cfg).graph, [npy(EX, 'mnist_input.npy')], { labels }).report.fixed.accuracy!;
    };
    const on = acc(true);
    expect(on).toBeGreaterThanOrEqual(0.94);
    expect(on).toBeGreaterThan(acc(false) + 0.02);
  });

  it('the batch-normalized depthwise-separable fixture at 6 bits stays within 2 points on 360 held-out digits', () => {
    const g = loadOnnxFile(join(FX, 'dsconv_bn_digits.onnx'));
    const labels = toFloat32(readNpyFile(join(FX, 'dsconv_bn_digits_labels.npy')));
    const x = npy(FX, 'dsconv_bn_digits_test.npy');
    const cfg = autoPrecision(g, [npy(FX, 'dsconv_bn_digits_calib.npy')], { bits: 6, run: runFloat });
    const r = simulate(canonicalize(g), prepareFixed(g, cfg).graph, [x], { labels }).report;
    expect(r.float.accuracy!).toBeCloseTo(350 / 360, 6);
    expect(r.fixed.accuracy!).toBeGreaterThanOrEqual(r.float.accuracy! - 0.02);
  });
});

describe('layers that lost most', () => {
  it('ranks by the noise each layer adds over its inputs, and ranks a layer read only by a Relu with the Relu', () => {
    const g = importOnnx(
      buildModel({
        inputs: [['x', ['N', 2]]],
        outputs: [['y', ['N', 2]]],
        inits: [['W', [2, 2], [1, 0, 0, 1]], ['V', [2, 2], [1, 0, 0, 1]]],
        nodes: [
          { op: 'Gemm', name: 'fc1', inputs: ['x', 'W'], outputs: ['h'] },
          { op: 'Relu', name: 'act', inputs: ['h'], outputs: ['r'] },
          { op: 'Gemm', name: 'fc2', inputs: ['r', 'V'], outputs: ['y'] },
        ],
      }),
      'chain.onnx',
    );
    const qg = prepareFixed(g, parseConfig({}, 'c.json')).graph;
    const layer = (name: string, op: string, snr: number) => ({ name, op, types: {}, snr_db: snr, overflows: 0, constant_overflows: 0, weight_error: null });
    const report = {
      samples: 1, float: { accuracy: null }, fixed: { accuracy: null }, agreement: 1, max_abs_error: 0, mean_abs_error: 0, input_overflows: 0,
      layers: [layer('fc1', 'Dense', 5), layer('act', 'Relu', 30), layer('fc2', 'Dense', 20)],
    };
    // fc1's own 5 dB is the Relu's clipping; fc1 + act adds 10^-3 (−30 dB); fc2 adds 10^-2 − 10^-3.
    const r = lossRanking(qg, report);
    expect(r.map((l) => [l.name, l.op])).toEqual([['fc2', 'Dense'], ['fc1 + act', 'layer + Relu']]);
    expect(r[0]!.added_db).toBeCloseTo(10 * Math.log10(0.01 - 0.001), 9);
    expect(r[1]!.added_db).toBeCloseTo(-30, 9);
  });
});
