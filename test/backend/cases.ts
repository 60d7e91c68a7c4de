/**
 * Small ONNX graphs, one per layer family the HLS backend lowers, built in memory with seeded
 * weights so golden files and C simulations are reproducible.
 */
import { importOnnx } from '../../src/frontend/onnx/model.js';
import type { Graph } from '../../src/ir/graph.js';
import { buildModel, type NodeSpec } from '../helpers/onnx-builder.js';

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

const CASES: { [name: string]: Spec } = {
  dense: {
    inputs: [['x', ['N', 8]]],
    outputs: [['y', ['N', 4]]],
    inits: [init('W', [4, 8], 1), init('B', [4], 2)],
    nodes: [
      { op: 'Gemm', inputs: ['x', 'W', 'B'], outputs: ['h'], attrs: { transB: 1 } },
      { op: 'Relu', inputs: ['h'], outputs: ['y'] },
    ],
  },
  conv2d: {
    inputs: [['x', ['N', 2, 5, 5]]],
    outputs: [['y', ['N', 5]]],
    inits: [init('W', [3, 2, 3, 3], 3), init('B', [3], 4), init('W2', [5, 12], 5), init('B2', [5], 6)],
    nodes: [
      { op: 'Conv', inputs: ['x', 'W', 'B'], outputs: ['c'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      { op: 'MaxPool', inputs: ['c'], outputs: ['p'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
      { op: 'Flatten', inputs: ['p'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'W2', 'B2'], outputs: ['y'], attrs: { transB: 1 } },
    ],
  },
  depthwise1d: {
    inputs: [['x', ['N', 4, 9]]],
    outputs: [['y', ['N', 4, 5]]],
    inits: [init('W', [4, 1, 3], 7)],
    nodes: [
      { op: 'Conv', inputs: ['x', 'W'], outputs: ['c'], attrs: { kernel_shape: [3], strides: [2], pads: [1, 1], group: 4 } },
      { op: 'LeakyRelu', inputs: ['c'], outputs: ['y'], attrs: { alpha: { float: 0.1 } } },
    ],
  },
  pool: {
    inputs: [['x', ['N', 2, 6, 6]]],
    outputs: [['y', ['N', 2, 1, 1]]],
    nodes: [
      { op: 'AveragePool', inputs: ['x'], outputs: ['a'], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] } },
      { op: 'GlobalMaxPool', inputs: ['a'], outputs: ['y'] },
    ],
  },
  activations: {
    inputs: [['x', ['N', 6]]],
    outputs: [['y', ['N', 6]]],
    nodes: [
      { op: 'Sigmoid', inputs: ['x'], outputs: ['a'] },
      { op: 'Tanh', inputs: ['x'], outputs: ['b'] },
      { op: 'Add', inputs: ['a', 'b'], outputs: ['c'] },
      { op: 'Clip', inputs: ['c', 'lo', 'hi'], outputs: ['y'] },
    ],
    inits: [['lo', [], [-0.75]], ['hi', [], [1.25]]],
  },
  softmax: {
    inputs: [['x', ['N', 7]]],
    outputs: [['y', ['N', 7]]],
    nodes: [{ op: 'Softmax', inputs: ['x'], outputs: ['y'], attrs: { axis: -1 } }],
  },
  add_concat: {
    inputs: [['x', ['N', 6]]],
    outputs: [['y', ['N', 10]]],
    inits: [init('Wa', [4, 6], 8), init('Wb', [4, 6], 9), init('Bb', [4], 10)],
    nodes: [
      { op: 'Gemm', inputs: ['x', 'Wa'], outputs: ['a'], attrs: { transB: 1 } },
      { op: 'Gemm', inputs: ['x', 'Wb', 'Bb'], outputs: ['b'], attrs: { transB: 1 } },
      { op: 'Mul', inputs: ['a', 'b'], outputs: ['m'] },
      { op: 'Concat', inputs: ['m', 'x'], outputs: ['y'], attrs: { axis: 1 } },
    ],
  },
  batchnorm: {
    inputs: [['x', ['N', 3, 4]]],
    outputs: [['y', ['N', 3, 4]]],
    inits: [init('s', [3], 11, 2), init('b', [3], 12), init('m', [3], 13), ['v', [3], [0.5, 1, 2]]],
    nodes: [
      { op: 'BatchNormalization', inputs: ['x', 's', 'b', 'm', 'v'], outputs: ['n'] },
      { op: 'Relu', inputs: ['n'], outputs: ['y'] },
    ],
  },
  layout: {
    inputs: [['x', ['N', 3, 4]]],
    outputs: [['y', ['N', 6, 3]]],
    nodes: [
      { op: 'Pad', inputs: ['x', 'pads'], outputs: ['p'], attrs: { mode: 'reflect' } },
      { op: 'Transpose', inputs: ['p'], outputs: ['y'], attrs: { perm: [0, 2, 1] } },
    ],
    intInits: [['pads', [6], [0, 0, 1, 0, 0, 1]]],
  },
  qdq: {
    inputs: [['x', ['N', 6]]],
    outputs: [['y', ['N', 6]]],
    inits: [['s', [], [0.25]]],
    int8Inits: [['z', [], [0]]],
    nodes: [
      { op: 'QuantizeLinear', inputs: ['x', 's', 'z'], outputs: ['q'] },
      { op: 'DequantizeLinear', inputs: ['q', 's', 'z'], outputs: ['d'] },
      { op: 'Relu', inputs: ['d'], outputs: ['y'] },
    ],
  },
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
  // Strided, padded, ceil_mode pooling; a residual join; channel Concat; global average pooling.
  pool_residual: {
    inputs: [['x', ['N', 3, 11, 11]]],
    outputs: [['y', ['N', 8, 1, 1]]],
    inits: [init('W1', [4, 3, 3, 3], 31), init('W2', [4, 4, 3, 3], 32)],
    nodes: [
      { op: 'MaxPool', inputs: ['x'], outputs: ['m'], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 0, 0], ceil_mode: 1 } },
      { op: 'Conv', inputs: ['m', 'W1'], outputs: ['a'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      { op: 'Relu', inputs: ['a'], outputs: ['ra'] },
      { op: 'Conv', inputs: ['ra', 'W2'], outputs: ['b'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      { op: 'Add', inputs: ['b', 'ra'], outputs: ['s'] },
      { op: 'Concat', inputs: ['s', 'ra'], outputs: ['cat'], attrs: { axis: 1 } },
      { op: 'AveragePool', inputs: ['cat'], outputs: ['ap'], attrs: { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 } },
      { op: 'GlobalAveragePool', inputs: ['ap'], outputs: ['y'] },
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

export const CASE_NAMES = Object.keys(CASES);

export function caseGraph(name: string): Graph {
  const spec = CASES[name];
  if (!spec) throw new Error(`no case ${name}`);
  return importOnnx(buildModel(spec), `${name}.onnx`);
}

export type { NodeSpec };
