/**
 * A Keras 3 `.keras` file written here (config.json + model.weights.h5 made with h5wasm, zipped
 * with fflate) holding an LSTM — whose weights Keras 3 keeps under `layers/lstm/cell/vars` — and
 * a Dense: nn2hls reads it to the outputs tfjs computes with the same weights.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync, strToU8 } from 'fflate';
import h5wasm from 'h5wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { loadKeras } from '../../../src/frontend/keras/index.js';
import { runFloat } from '../../../src/sim/float/executor.js';
import { predict, randomInput, relErr, tfjs } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'nn2hls-keras3-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Keras 3 .keras zip', () => {
  it('nested cell weights (layers/lstm/cell/vars) and class-name paths', async () => {
    const tf = await tfjs();
    const model = tf.sequential({
      layers: [tf.layers.lstm({ inputShape: [4, 2], units: 3, recurrentActivation: 'sigmoid' }), tf.layers.dense({ units: 2 })],
    });
    let seed = 1;
    for (const l of model.layers) l.setWeights(l.getWeights().map((w) => tf.tensor(randomInput(w.shape as number[], seed++, 0.7).data, w.shape)));
    const config = {
      module: 'keras',
      class_name: 'Sequential',
      config: {
        name: 'sequential',
        layers: [
          { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 4, 2], dtype: 'float32', name: 'inp' } },
          { module: 'keras.layers', class_name: 'LSTM', config: { name: 'lstm', units: 3, activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true, return_sequences: false } },
          { module: 'keras.layers', class_name: 'Dense', config: { name: 'dense', units: 2, activation: 'linear', use_bias: true } },
        ],
      },
    };
    const { FS } = (await h5wasm.ready) as unknown as { FS: { readFile(p: string): Uint8Array; unlink(p: string): void } };
    const f = new h5wasm.File('/k3.h5', 'w');
    const put = (path: string, w: { shape: number[]; dataSync(): unknown }) => {
      f.create_dataset({ name: path, data: w.dataSync() as Float32Array, shape: w.shape, dtype: '<f' });
    };
    f.create_group('layers');
    f.create_group('layers/lstm');
    f.create_group('layers/lstm/cell');
    f.create_group('layers/lstm/cell/vars');
    f.create_group('layers/dense');
    f.create_group('layers/dense/vars');
    model.layers[0]!.getWeights().forEach((w, i) => put(`layers/lstm/cell/vars/${i}`, w as never));
    model.layers[1]!.getWeights().forEach((w, i) => put(`layers/dense/vars/${i}`, w as never));
    f.close();
    const h5 = FS.readFile('/k3.h5');
    FS.unlink('/k3.h5');
    const path = join(dir, 'm.keras');
    writeFileSync(path, zipSync({ 'metadata.json': strToU8('{"keras_version": "3.3.3"}'), 'config.json': strToU8(JSON.stringify(config)), 'model.weights.h5': h5 }));
    const { graph } = await loadKeras(path);
    const x = randomInput([6, 4, 2], 9);
    expect(relErr(runFloat(graph, [x])[0]!.data, predict(model, [x])[0]!)).toBeLessThan(1e-5);
  });
});
