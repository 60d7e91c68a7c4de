/**
 * The BigInt path (src/sim/fixed/wide.ts, used for values wider than 52 bits) against the number
 * path: with every node forced onto BigInts, narrow models must give the same raws and the same
 * overflow counts at every cast point. This holds each wide kernel to the semantics of its number
 * kernel (itself checked against the reference and the C++), op by op, including saturating and
 * wrapping types so the overflow paths run.
 */
import fc from 'fast-check';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/frontend/index.js';
import { importOnnx } from '../../src/frontend/onnx/model.js';
import type { Graph } from '../../src/ir/graph.js';
import { parseConfig } from '../../src/ir/precision-config.js';
import { prepareFixed } from '../../src/passes/pipeline.js';
import { FixedProgram } from '../../src/sim/fixed/executor.js';
import type { RtTensor } from '../../src/ir/semantics/tensor.js';
import { buildModel, type NodeSpec } from '../helpers/onnx-builder.js';

const EX = join(__dirname, '../../examples');

/** Compares the two paths; returns the number of overflows counted (so callers can check it is not vacuous). */
function same(g: Graph, inputs: RtTensor[]): number {
  const a = new FixedProgram(g);
  const b = new FixedProgram(g, { allBigInt: true });
  const ra = a.run(inputs);
  const rb = b.run(inputs);
  ra.forEach((t, k) => expect(Array.from(rb[k]!.raw)).toEqual(Array.from(t.raw)));
  expect(Object.fromEntries(b.stats)).toEqual(Object.fromEntries(a.stats));
  return [...a.stats.values()].reduce((n, s) => n + s.result + s.accum, 0);
}

function rnd(seed: number, n: number, scale: number): Float32Array {
  let s = seed | 1;
  return Float32Array.from({ length: n }, () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) / 2 ** 32 - 0.5) * 2 * scale;
  });
}

const CONFIGS = [
  {},
  { model: { default: 'ap_fixed<8,3,AP_RND_CONV,AP_SAT>' } },
  { model: { default: 'ap_fixed<7,2>', accum: 'ap_fixed<10,3,AP_RND,AP_WRAP>' } },
];

describe('BigInt path = number path on narrow types (raws and overflow counts)', () => {
  for (const name of ['digits_mlp', 'digits_cnn']) {
    it(`${name} under default, saturating and wrapping configs`, () => {
      const g0 = loadModel(join(EX, `${name}.onnx`));
      const shape = name === 'digits_mlp' ? [6, 64] : [6, 1, 8, 8];
      const counts = CONFIGS.map((cfg) => {
        const g = prepareFixed(g0, parseConfig(cfg, 'cfg')).graph;
        return same(g, [{ shape, data: rnd(7, shape.reduce((p, d) => p * d, 1), 12) }]);
      });
      expect(counts[1]! + counts[2]!).toBeGreaterThan(0); // the overflow paths ran
    });
  }

  const C = 3;
  const unary = (op: string, attrs: NodeSpec['attrs'] = {}, extra: string[] = [], inits: [string, number[], number[]][] = [], outShape = ['N', C, 4, 4]) =>
    buildModel({
      inputs: [['x', ['N', C, 4, 4]]],
      outputs: [['y', outShape]],
      inits,
      nodes: [{ op, inputs: ['x', ...extra], outputs: ['y'], name: 'op', attrs }],
    });
  const cases: [string, Uint8Array][] = [
    ['PRelu', unary('PRelu', {}, ['s'], [['s', [C, 1, 1], [0.25, -0.5, 1.5]]])],
    ['ThresholdedRelu', unary('ThresholdedRelu', { alpha: { float: 0.7 } })],
    ['LeakyRelu', unary('LeakyRelu', { alpha: { float: 0.1 } })],
    ['Sigmoid', unary('Sigmoid')],
    ['Tanh', unary('Tanh')],
    ['Softmax', unary('Softmax', { axis: 1 })],
    ['AveragePool', unary('AveragePool', { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 1 }, [], [], ['N', C, 2, 2])],
    ['GlobalAveragePool', unary('GlobalAveragePool', {}, [], [], ['N', C, 1, 1])],
    ['MaxPool', unary('MaxPool', { kernel_shape: [2, 2], strides: [2, 2] }, [], [], ['N', C, 2, 2])],
    ['Transpose', unary('Transpose', { perm: [0, 2, 3, 1] }, [], [], ['N', 4, 4, C])],
    ['Add (broadcast constant)', unary('Add', {}, ['c'], [['c', [C, 1, 1], [0.5, -7, 3.25]]])],
    ['Mul (broadcast constant)', unary('Mul', {}, ['c'], [['c', [4], [0.5, -3, 1.25, 9]]])],
    ['Max (constant)', unary('Max', {}, ['c'], [['c', [1], [0.3]]])],
    ['BatchNormalization', unary('BatchNormalization', {}, ['g', 'b', 'm', 'v'], [['g', [C], [1.5, -2, 0.5]], ['b', [C], [0.1, 2, -3]], ['m', [C], [0, 1, -1]], ['v', [C], [1, 4, 0.25]]])],
    [
      'Concat',
      buildModel({
        inputs: [['x', ['N', C, 4, 4]], ['z', ['N', 2, 4, 4]]],
        outputs: [['y', ['N', C + 2, 4, 4]]],
        nodes: [{ op: 'Concat', inputs: ['x', 'z'], outputs: ['y'], name: 'op', attrs: { axis: 1 } }],
      }),
    ],
    [
      'QuantizeLinear → DequantizeLinear',
      buildModel({
        inputs: [['x', ['N', C, 4, 4]]],
        outputs: [['y', ['N', C, 4, 4]]],
        inits: [['s', [], [0.25]]],
        nodes: [
          { op: 'QuantizeLinear', inputs: ['x', 's'], outputs: ['q'], name: 'ql' },
          { op: 'DequantizeLinear', inputs: ['q', 's'], outputs: ['y'], name: 'op' },
        ],
      }),
    ],
    [
      'Clip',
      buildModel({
        inputs: [['x', ['N', C, 4, 4]]],
        outputs: [['y', ['N', C, 4, 4]]],
        nodes: [{ op: 'Clip', inputs: ['x'], outputs: ['y'], name: 'op', attrs: { min: { float: -1.3 }, max: { float: 2.71 } } }],
        opset: 6,
      }),
    ],
  ];
  for (const [label, bytes] of cases) {
    it(`${label}`, () => {
      const g0 = importOnnx(bytes, `${label}.onnx`);
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 2 ** 30 }), fc.constantFrom(...CONFIGS), (seed, cfg) => {
          const g = prepareFixed(g0, parseConfig(cfg, 'cfg')).graph;
          const inputs = g0.inputs.map((io, k) => {
            const shape = [2, ...g0.values.get(io.value)!.shape];
            return { shape, data: rnd(seed + k, shape.reduce((p, d) => p * d, 1), 9) };
          });
          same(g, inputs);
        }),
        { seed: 20261130, numRuns: 12 },
      );
    });
  }
});
