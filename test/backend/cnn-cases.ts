/**
 * Real-size CNN shapes for the backend's plan, tiling and streaming tests, built in memory as
 * ONNX with seeded weights (their weights would make the IR-text cases in golden/cases/ MB-sized):
 * LeNet-5 on 28x28, a CIFAR-shaped 32x32x3 CNN and a
 * depthwise-separable block. Only their plans are frozen (golden/plans); csim checks them.
 */
import { importOnnx } from '../../src/frontend/onnx/model.js';
import type { Graph } from '../../src/ir/graph.js';
import { buildModel } from '../helpers/onnx-builder.js';

function seeded(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) / 4294967296) * 2 - 1;
  };
}

function init(name: string, shape: number[], seed: number, scale = 0.5): [string, number[], number[]] {
  const r = seeded(seed);
  const n = shape.reduce((p, d) => p * d, 1);
  return [name, shape, Array.from({ length: n }, () => Math.round(r() * scale * 4096) / 4096)];
}

type Spec = Parameters<typeof buildModel>[0];

const CNN_CASES: { [name: string]: Spec } = {
  // The seeds' LeNet-5 shape on 28x28 MNIST (random weights): conv 6@5x5 -> pool -> conv 16@5x5
  // -> pool -> 400-120-84-10. Beyond the unroll limit at reuse 1 (400x120), so it exercises the
  // tiling pass; in io stream every layer streams (line buffers, per-row Dense).
  lenet: {
    inputs: [['x', ['N', 1, 28, 28]]],
    outputs: [['y', ['N', 10]]],
    inits: [
      init('W1', [6, 1, 5, 5], 21), init('B1', [6], 22), init('W2', [16, 6, 5, 5], 23, 0.25), init('B2', [16], 24),
      init('W3', [120, 400], 25, 0.125), init('B3', [120], 26), init('W4', [84, 120], 27, 0.25), init('B4', [84], 28),
      init('W5', [10, 84], 29), init('B5', [10], 30),
    ],
    nodes: [
      { op: 'Conv', inputs: ['x', 'W1', 'B1'], outputs: ['c1'], attrs: { kernel_shape: [5, 5], pads: [2, 2, 2, 2] } },
      { op: 'Relu', inputs: ['c1'], outputs: ['r1'] },
      { op: 'MaxPool', inputs: ['r1'], outputs: ['p1'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
      { op: 'Conv', inputs: ['p1', 'W2', 'B2'], outputs: ['c2'], attrs: { kernel_shape: [5, 5] } },
      { op: 'Relu', inputs: ['c2'], outputs: ['r2'] },
      { op: 'AveragePool', inputs: ['r2'], outputs: ['p2'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
      { op: 'Flatten', inputs: ['p2'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'W3', 'B3'], outputs: ['h3'], attrs: { transB: 1 } },
      { op: 'Relu', inputs: ['h3'], outputs: ['r3'] },
      { op: 'Gemm', inputs: ['r3', 'W4', 'B4'], outputs: ['h4'], attrs: { transB: 1 } },
      { op: 'Relu', inputs: ['h4'], outputs: ['r4'] },
      { op: 'Gemm', inputs: ['r4', 'W5', 'B5'], outputs: ['y'], attrs: { transB: 1 } },
    ],
  },
  // CIFAR-shaped: 32x32x3, (conv 3x3 -> relu -> maxpool) x3 -> dense. Its 32x32x16 maps
  // exceed the partition limit in io parallel (partitioned by channel there).
  cifar: {
    inputs: [['x', ['N', 3, 32, 32]]],
    outputs: [['y', ['N', 10]]],
    inits: [
      init('W1', [16, 3, 3, 3], 41), init('B1', [16], 42), init('W2', [32, 16, 3, 3], 43, 0.25), init('B2', [32], 44),
      init('W3', [32, 32, 3, 3], 45, 0.125), init('B3', [32], 46), init('W4', [10, 512], 47, 0.125), init('B4', [10], 48),
    ],
    nodes: [
      { op: 'Conv', inputs: ['x', 'W1', 'B1'], outputs: ['c1'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      { op: 'Relu', inputs: ['c1'], outputs: ['r1'] },
      { op: 'MaxPool', inputs: ['r1'], outputs: ['p1'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
      { op: 'Conv', inputs: ['p1', 'W2', 'B2'], outputs: ['c2'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      { op: 'Relu', inputs: ['c2'], outputs: ['r2'] },
      { op: 'MaxPool', inputs: ['r2'], outputs: ['p2'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
      { op: 'Conv', inputs: ['p2', 'W3', 'B3'], outputs: ['c3'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      { op: 'Relu', inputs: ['c3'], outputs: ['r3'] },
      { op: 'MaxPool', inputs: ['r3'], outputs: ['p3'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
      { op: 'Flatten', inputs: ['p3'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'W4', 'B4'], outputs: ['y'], attrs: { transB: 1 } },
    ],
  },
  // Depthwise-separable block on 16x16x8: depthwise 3x3 (group 8) -> pointwise 1x1 -> global pool.
  dwsep: {
    inputs: [['x', ['N', 8, 16, 16]]],
    outputs: [['y', ['N', 16]]],
    inits: [init('Wd', [8, 1, 3, 3], 51), init('Bd', [8], 52), init('Wp', [16, 8, 1, 1], 53), init('Bp', [16], 54)],
    nodes: [
      { op: 'Conv', inputs: ['x', 'Wd', 'Bd'], outputs: ['d'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 8 } },
      { op: 'Relu', inputs: ['d'], outputs: ['rd'] },
      { op: 'Conv', inputs: ['rd', 'Wp', 'Bp'], outputs: ['pw'], attrs: { kernel_shape: [1, 1] } },
      { op: 'Relu', inputs: ['pw'], outputs: ['rp'] },
      { op: 'GlobalAveragePool', inputs: ['rp'], outputs: ['gp'] },
      { op: 'Flatten', inputs: ['gp'], outputs: ['y'] },
    ],
  },
};

export const CNN_CASE_NAMES = Object.keys(CNN_CASES);

export function cnnCaseGraph(name: string): Graph | undefined {
  const spec = CNN_CASES[name];
  return spec ? importOnnx(buildModel(spec), `${name}.onnx`) : undefined;
}
