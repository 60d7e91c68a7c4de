/**
 * The bundled TensorFlow example (examples/digits_cnn_tf.pb, written by
 * scripts/export_tf_example.ts from the digits CNN's weights with the project's schema):
 * it imports without transposes, computes what the PyTorch-trained ONNX model computed
 * (examples/digits_cnn_expected.npy) and what tfjs computes from the same file.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/frontend/index.js';
import { runFloat } from '../../src/sim/float/executor.js';
import { readNpyFile } from '../../src/util/npy.js';
import { toFloat32 } from '../../src/util/tensor.js';
import { graphDefAsTfjs, runTfjs } from '../helpers/tfjs.js';

const EX = join(__dirname, '../../examples');

describe('bundled TensorFlow example', () => {
  it('digits_cnn_tf.pb equals the ONNX model and tfjs on the bundled samples', async () => {
    const g = loadModel(join(EX, 'digits_cnn_tf.pb'));
    expect(g.nodes.map((n) => n.op)).not.toContain('Transpose');
    const x = toFloat32(readNpyFile(join(EX, 'digits_cnn_input.npy')));
    const n = x.length / 64;
    const y = runFloat(g, [{ shape: [n, 8, 8, 1], data: x }])[0]!;
    const ref = toFloat32(readNpyFile(join(EX, 'digits_cnn_expected.npy')));
    let err = 0;
    ref.forEach((r, i) => (err = Math.max(err, Math.abs(r - y.data[i]!))));
    expect(err).toBeLessThan(1e-5);
    const tfjs = await runTfjs(await graphDefAsTfjs(join(EX, 'digits_cnn_tf.pb'), { input: [-1, 8, 8, 1] }, ['output']), { input: { shape: [n, 8, 8, 1], data: x } }, 'output');
    let err2 = 0;
    tfjs.forEach((r, i) => (err2 = Math.max(err2, Math.abs(r - y.data[i]!))));
    expect(err2).toBeLessThan(1e-5);
  }, 60_000);
});
