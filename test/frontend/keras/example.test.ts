/**
 * The bundled Keras example (examples/digits_mlp_keras.h5, written by
 * scripts/make_keras_example.py with h5py from the digits MLP's own weights) is a real Keras
 * full-model file: tfjs rebuilds it from its model_config, and nn2hls reads it to the same
 * outputs as the ONNX export of the same network.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openKeras } from '../../../src/frontend/keras/containers.js';
import { loadKeras } from '../../../src/frontend/keras/index.js';
import { loadOnnxFile } from '../../../src/frontend/onnx/model.js';
import { runFloat } from '../../../src/sim/float/executor.js';
import { readInputTensor } from '../../../src/cli/io.js';
import { predict, relErr, tfjs } from './helpers.js';

const EX = join(__dirname, '../../../examples');

describe('bundled Keras example', () => {
  it('digits_mlp_keras.h5 equals digits_mlp.onnx and the tfjs rebuild of its model_config', async () => {
    const tf = await tfjs();
    const file = join(EX, 'digits_mlp_keras.h5');
    const { graph } = await loadKeras(file);
    const x = readInputTensor(join(EX, 'digits_mlp_input.npy'));
    const got = runFloat(graph, [x])[0]!;
    expect(relErr(got.data, runFloat(loadOnnxFile(join(EX, 'digits_mlp.onnx')), [x])[0]!.data)).toBe(0);
    const { model: c, close } = await openKeras(file);
    const model = await tf.models.modelFromJSON({ modelTopology: c.config } as never);
    for (const l of model.layers) {
      const ws = c.weights.weights({ name: l.name, className: l.getClassName() });
      if (ws.length) l.setWeights(ws.map((w) => tf.tensor(w.data, [...w.shape])));
    }
    close();
    expect(relErr(got.data, predict(model, [x])[0]!)).toBeLessThanOrEqual(1e-5);
    expect(graph.nodes.map((n) => n.op)).toEqual(['Dense', 'Relu', 'Dense', 'Relu', 'Dense', 'Softmax']);
  });
});
