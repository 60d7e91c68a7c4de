/**
 * The bundled cnn32_mnist held-out test set (examples/cnn32_mnist_test.npy, float16, and its int64
 * labels) that `optimize` measures accuracy on: it is read as float32 [200,3,32,32], its first 40
 * images are the bundled float32 sample input up to float16 rounding of k/255, its labels agree with
 * mnist_labels.npy where they overlap, and the float model classifies it as well as the README says.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readInputTensor, readTensorFile } from '../../src/cli/io.js';
import { loadModel } from '../../src/frontend/index.js';
import { predictions } from '../../src/sim/compare.js';
import { runFloat } from '../../src/sim/float/executor.js';
import { toFloat32 } from '../../src/util/tensor.js';

const EX = join(__dirname, '..', '..', 'examples');

describe('cnn32_mnist held-out test set', () => {
  it('is 200 float16 images 8000..8199 with labels, matching the float32 samples', () => {
    const raw = readTensorFile(join(EX, 'cnn32_mnist_test.npy'));
    expect(raw.shape).toEqual([200, 3, 32, 32]);
    const x = readInputTensor(join(EX, 'cnn32_mnist_test.npy'));
    expect(x.data).toBeInstanceOf(Float32Array);
    const ref = toFloat32(readTensorFile(join(EX, 'cnn32_mnist_input.npy')));
    expect(ref.length).toBe(40 * 3 * 32 * 32);
    let maxErr = 0;
    for (let i = 0; i < ref.length; i++) maxErr = Math.max(maxErr, Math.abs(x.data[i]! - ref[i]!));
    expect(maxErr).toBeLessThanOrEqual(2 ** -12);
    const labels = readTensorFile(join(EX, 'cnn32_mnist_test_labels.npy'));
    expect(labels.dtype).toBe('int64');
    expect(labels.shape).toEqual([200]);
    const l = toFloat32(labels);
    const l28 = toFloat32(readTensorFile(join(EX, 'mnist_labels.npy')));
    expect(Array.from(l.slice(0, 100))).toEqual(Array.from(l28));
    expect(new Set(Array.from(l)).size).toBe(10);
  });

  it.skipIf(!existsSync(join(EX, 'cnn32_mnist.onnx')))('the float model gets >= 95% of it right', () => {
    const g = loadModel(join(EX, 'cnn32_mnist.onnx'));
    const x = readInputTensor(join(EX, 'cnn32_mnist_test.npy'));
    const pred = predictions(runFloat(g, [x])[0]!);
    const l = toFloat32(readTensorFile(join(EX, 'cnn32_mnist_test_labels.npy')));
    let right = 0;
    for (let i = 0; i < l.length; i++) if (pred[i] === l[i]) right++;
    expect(pred.length).toBe(200);
    expect(right / 200).toBeGreaterThanOrEqual(0.95);
  });
});
