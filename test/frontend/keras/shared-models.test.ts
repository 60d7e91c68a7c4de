/**
 * The real Keras/QKeras/TF.js models in ../shared/models: every one imports; float outputs
 * match the tfjs oracle (architecture rebuilt by tf.models.modelFromJSON, weights set from the
 * same .h5) and the ONNX exports of the same weights (≤ 1e-5 relative); the MNIST CNN reaches
 * 97.84 % on MNIST t10k from the full-model .h5 and from the TF.js layers model. Skips, saying
 * why, when ../shared is absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { openKeras } from '../../../src/frontend/keras/containers.js';
import { loadKeras } from '../../../src/frontend/keras/index.js';
import { loadOnnxFile } from '../../../src/frontend/onnx/model.js';
import { runFloat } from '../../../src/sim/float/executor.js';
import { predict, randomInput, relErr, tfjs } from './helpers.js';

const SHARED = join(__dirname, '../../../../shared');
const HAVE = existsSync(join(SHARED, 'models/keras'));
if (!HAVE) console.log(`test/frontend/keras/shared-models: skipped — ${SHARED}/models/keras not found (the shared reference data sits beside the repository)`);
const K = (f: string) => join(SHARED, 'models/keras', f);

const KERAS2 = ['KERAS_1layer', 'KERAS_3layer', 'KERAS_3layer_batch_norm', 'KERAS_conv1d_small', 'KERAS_conv2d_model', 'jetTagger_Conv2D_Small'];

describe.skipIf(!HAVE)('shared Keras models', () => {
  beforeAll(async () => {
    await tfjs();
  });

  it.each(KERAS2)('%s matches tfjs (modelFromJSON + weights from the .h5)', async (name) => {
    const tf = await tfjs();
    const path = K(`${name}.json`);
    const { graph } = await loadKeras(path);
    const model = await tf.models.modelFromJSON({ modelTopology: JSON.parse(readFileSync(path, 'utf8')) } as never);
    const { model: c, close } = await openKeras(path);
    for (const l of model.layers) {
      const ws = c.weights.weights({ name: l.name, className: l.getClassName() });
      if (ws.length) l.setWeights(ws.map((w) => tf.tensor(w.data, [...w.shape])));
    }
    close();
    const x = randomInput([16, ...(graph.inputs[0]!.modelShape.slice(1) as number[])], 7);
    const got = runFloat(graph, [x])[0]!;
    const want = predict(model, [x])[0]!;
    expect(relErr(got.data, want)).toBeLessThanOrEqual(1e-5);
  });

  it.each([
    ['KERAS_3layer.json', 'three_layer_keras.onnx'],
    ['KERAS_1layer.json', 'two_layer_keras.onnx'],
    ['KERAS_conv1d_small.json', 'conv1d_small_keras.onnx'],
    ['KERAS_conv2d_model.json', 'conv2d_small_keras.onnx'],
  ])('%s gives the outputs of %s (same weights)', async (k, o) => {
    const kg = (await loadKeras(K(k))).graph;
    const og = loadOnnxFile(join(SHARED, 'models/onnx', o));
    const x = randomInput([32, ...(kg.inputs[0]!.modelShape.slice(1) as number[])], 11);
    expect(relErr(runFloat(kg, [x])[0]!.data, runFloat(og, [x])[0]!.data)).toBeLessThanOrEqual(1e-5);
  });

  it('every model in models/keras imports (QKeras ones with their quantizer types)', async () => {
    const files = ['KERAS_1layer.json', 'KERAS_3layer.json', 'KERAS_3layer_batch_norm.json', 'KERAS_conv1d_small.json', 'KERAS_conv2d_model.json',
      'jetTagger_Conv2D_Small.json', 'qkeras_3layer.json', 'qkeras_mnist_cnn.json', 'qkeras-v3_3layer.keras'];
    const typed: Record<string, number> = {};
    for (const f of files) {
      const r = await loadKeras(K(f));
      expect(r.graph.nodes.length).toBeGreaterThan(2);
      typed[f] = Object.keys(r.precision).length;
    }
    expect(typed).toMatchObject({ 'KERAS_3layer.json': 0, 'qkeras_3layer.json': 7, 'qkeras_mnist_cnn.json': 5, 'qkeras-v3_3layer.keras': 7 });
  });
});

function readIdx(path: string): { dims: number[]; data: Uint8Array } {
  const b = gunzipSync(readFileSync(path));
  const nd = b[3]!;
  const dims = Array.from({ length: nd }, (_, i) => b.readUInt32BE(4 + 4 * i));
  return { dims, data: new Uint8Array(b.buffer, b.byteOffset + 4 + 4 * nd, dims.reduce((a, d) => a * d, 1)) };
}

describe.skipIf(!HAVE)('TF.js MNIST CNN in two Keras containers', () => {
  it('mnist_model.h5 and model_layers/ hold the same graph and weights, and reach 97.84 % on MNIST t10k', async () => {
    const h5 = (await loadKeras(join(SHARED, 'models/tfjs/mnist_model.h5'))).graph;
    const lm = (await loadKeras(join(SHARED, 'models/tfjs/model_layers'))).graph;
    const imgs = readIdx(join(SHARED, 'datasets/mnist/t10k-images-idx3-ubyte.gz'));
    const labels = readIdx(join(SHARED, 'datasets/mnist/t10k-labels-idx1-ubyte.gz')).data;
    const n = imgs.dims[0]!;
    const x = { shape: [n, 28, 28, 1], data: Float32Array.from(imgs.data) };
    // Same graph, same weights bit for bit: then one accuracy run speaks for both containers.
    expect(lm.nodes.map((nd) => `${nd.name}:${nd.op}`)).toEqual(h5.nodes.map((nd) => `${nd.name}:${nd.op}`));
    const consts = (g: typeof h5) => [...g.values.values()].filter((v) => v.data).map((v) => Array.from(v.data!));
    expect(consts(lm)).toEqual(consts(h5));
    const a = runFloat(h5, [x])[0]!;
    let correct = 0;
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let c = 1; c < 10; c++) if (a.data[i * 10 + c]! > a.data[i * 10 + best]!) best = c;
      if (best === labels[i]) correct++;
    }
    expect(correct / n).toBeCloseTo(0.9784, 4);
  }, 120_000);
});
