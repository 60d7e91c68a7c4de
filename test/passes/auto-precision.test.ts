/**
 * Post-training quantization: the types chosen from calibration ranges with `calibration: 'max'`
 * (integer bits that hold the calibrated max with the margin, unsigned for non-negative tensors,
 * weights from their own max, bounded activations from their exact range), and the accuracy the
 * max and the default (least squared error) calibrations keep on the bundled examples against
 * the labels. The other methods and bias correction: auto-precision-calibrate.test.ts.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOnnxFile } from '../../src/frontend/onnx/model.js';
import { renderType } from '../../src/ir/fixed.js';
import { configToJson, parseConfig } from '../../src/ir/precision-config.js';
import { autoPrecision } from '../../src/passes/auto-precision.js';
import { canonicalize, prepareFixed } from '../../src/passes/pipeline.js';
import { simulate } from '../../src/sim/compare.js';
import { readNpyFile } from '../../src/util/npy.js';
import { toFloat32 } from '../../src/util/tensor.js';
import { buildModel } from '../helpers/onnx-builder.js';
import { importOnnx } from '../../src/frontend/onnx/model.js';
import { runFloat } from '../../src/sim/float/executor.js';

const EX = join(__dirname, '../../examples');
const npy = (f: string) => {
  const t = readNpyFile(join(EX, f));
  return { shape: t.shape, data: toFloat32(t) };
};

describe('autoPrecision', () => {
  it('derives integer bits from calibrated ranges, weights and bounded ops', () => {
    const g = importOnnx(
      buildModel({
        inputs: [['x', ['N', 2]]],
        outputs: [['y', ['N', 2]]],
        inits: [['W', [2, 2], [3, -0.5, 0.25, 1]], ['b', [2], [0.1, 0.2]]],
        nodes: [
          { op: 'Gemm', name: 'fc', inputs: ['x', 'W', 'b'], outputs: ['h'] },
          { op: 'Relu', name: 'act', inputs: ['h'], outputs: ['r'] },
          { op: 'Sigmoid', name: 'sig', inputs: ['r'], outputs: ['y'] },
        ],
      }),
      'a.onnx',
    );
    // x in [-5, 7]; h = x·W + b.
    const calib = { shape: [3, 2], data: Float32Array.from([7, 1, -5, 0, 1, 1]) };
    const cfg = autoPrecision(g, [calib], { bits: 8, margin: 0.1, calibration: 'max', run: runFloat });
    // |x| <= 7·1.1 = 7.7 needs 3 integer bits plus sign: ap_fixed<8,4>.
    expect(renderType(cfg.inputs['x']!)).toBe('ap_fixed<8,4,AP_RND_CONV,AP_SAT>');
    // max|W| = 3 -> 2 integer bits + sign; bias max 0.2 -> -2 integer bits + sign = -1.
    expect(renderType(cfg.layers['fc']!.types.weight!)).toBe('ap_fixed<8,3,AP_RND_CONV,AP_SAT>');
    expect(renderType(cfg.layers['fc']!.types.bias!)).toBe('ap_ufixed<8,-2,AP_RND_CONV,AP_SAT>');
    // h row 0: 7·3 + 1·0.25 + 0.1 = 21.35 -> ·1.1 = 23.5 -> 5 integer bits + sign.
    expect(renderType(cfg.layers['fc']!.types.result!)).toBe('ap_fixed<8,6,AP_RND_CONV,AP_SAT>');
    // Relu output is never negative: unsigned, same magnitude.
    expect(renderType(cfg.layers['act']!.types.result!)).toBe('ap_ufixed<8,5,AP_RND_CONV,AP_SAT>');
    // Sigmoid's range is (0, 1) whatever the data.
    expect(renderType(cfg.layers['sig']!.types.result!)).toBe('ap_ufixed<8,0,AP_RND_CONV,AP_SAT>');
    // The written config reads back to the same types.
    const back = parseConfig(JSON.parse(configToJson(cfg)), 'auto.json');
    expect(configToJson(back)).toBe(configToJson(cfg));
  });

  // What must hold at each width with calibration 'max', on the examples' held-out inputs (not
  // the calibration set):
  //  - no layer overflows (the margin over calibrated ranges covers unseen samples);
  //  - accuracy within `drop` of float (0.5 point at 16 bits, 1 point at 8);
  //  - every non-Softmax layer that differs from float keeps SNR >= 5·bits − 16 dB (about 6 dB a
  //    bit, less the bits spent on integer headroom); Softmax (table-bound) keeps >= 25 dB.
  // Measured: 16 bits ≥ 73 dB, 8 bits ≥ 25.7 dB (CNN) / 28.7 dB (MLP); Softmax ≥ 30.9 dB.
  const CASES = [
    ['digits_cnn', 16, 0.005],
    ['digits_mlp', 16, 0.005],
    ['digits_cnn', 8, 0.01],
    ['digits_mlp', 8, 0.01],
  ] as const;
  const labels = toFloat32(readNpyFile(join(EX, 'digits_labels.npy')));
  for (const [name, bits, drop] of CASES) {
    it(`${name} at ${bits} bits, max: no overflow, accuracy within ${drop * 100} point(s), SNR above the stated floor`, () => {
      const g = loadOnnxFile(join(EX, `${name}.onnx`));
      const cfg = autoPrecision(g, [npy(`${name}_calib.npy`)], { bits, calibration: 'max', run: runFloat });
      const { graph } = prepareFixed(g, cfg);
      const r = simulate(canonicalize(g), graph, [npy(`${name}_input.npy`)], { labels }).report;
      expect(r.float.accuracy! - r.fixed.accuracy!).toBeLessThanOrEqual(drop + 1e-9);
      for (const l of r.layers) {
        expect(l.overflows, `${l.name} overflows`).toBe(0);
        const floor = l.op === 'Softmax' ? 25 : 5 * bits - 16;
        if (l.snr_db !== null) expect(l.snr_db, `${l.name} SNR (dB)`).toBeGreaterThanOrEqual(floor);
      }
    });
  }
});

// The default calibration clips on purpose (and a Relu's saturation at 0 counts as an overflow),
// so only accuracy is asserted: within 1 point at 8 bits, 2 points at 6 (measured: MLP 97.0% and
// 96.5%, CNN 99.5% and 99.5%, float 97.5% and 99.5%).
describe('autoPrecision, default calibration', () => {
  const labels = toFloat32(readNpyFile(join(EX, 'digits_labels.npy')));
  for (const [name, bits, drop] of [['digits_cnn', 8, 0.01], ['digits_mlp', 8, 0.01], ['digits_cnn', 6, 0.02], ['digits_mlp', 6, 0.02]] as const) {
    it(`${name} at ${bits} bits: accuracy within ${drop * 100} point(s) of float`, () => {
      const g = loadOnnxFile(join(EX, `${name}.onnx`));
      const cfg = autoPrecision(g, [npy(`${name}_calib.npy`)], { bits, run: runFloat });
      const r = simulate(canonicalize(g), prepareFixed(g, cfg).graph, [npy(`${name}_input.npy`)], { labels }).report;
      expect(r.float.accuracy! - r.fixed.accuracy!).toBeLessThanOrEqual(drop + 1e-9);
    });
  }
});

describe('config names', () => {
  it('a layer or input the model does not have, or an unknown op type, is an error naming it', () => {
    const g = loadOnnxFile(join(EX, 'digits_mlp.onnx'));
    const bad = (raw: unknown) => () => prepareFixed(g, parseConfig(raw, 'c.json'));
    expect(bad({ layers: { fc1: 'ap_fixed<8,3>' } })).toThrow(/layers\.fc1: no layer of that name \(layers: '\/body\/body\.0\/Gemm'/);
    expect(bad({ inputs: { image: 'ap_fixed<8,3>' } })).toThrow(/inputs\.image: no graph input of that name \(inputs: 'input'\)/);
    expect(bad({ op_types: { Dence: 'ap_fixed<8,3>' } })).toThrow(/op_types\.Dence: not an op type/);
    // An op type this model lacks is allowed: one config may serve several models.
    expect(() => prepareFixed(g, parseConfig({ op_types: { Conv: 'ap_fixed<8,3>' } }, 'c.json'))).not.toThrow();
  });
});
