/**
 * Keras layers against the @tensorflow/tfjs float oracle: models built with tfjs (functional
 * with several inputs/outputs, a shared layer and every merge; 2-D and 1-D convolution stacks
 * with every padding/pooling variant; recurrent layers; activations and reshaping layers) are
 * saved as TF.js layers-model folders, imported, and run by nn2hls's float executor. Outputs
 * must match tfjs's predict to 1e-5 relative. A uint8-quantized copy checks the dequantization
 * of quantized TF.js weights.
 */
import { rmSync } from 'node:fs';
import type * as TF from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKeras } from '../../../src/frontend/keras/index.js';
import { runFloat } from '../../../src/sim/float/executor.js';
import { dequantizedCopy, predict, randomInput, relErr, saveTfjs, tfjs } from './helpers.js';

let tf: typeof TF;
const dirs: string[] = [];
beforeAll(async () => {
  tf = await tfjs();
});
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Gives every weight deterministic non-trivial values (variances positive). */
function randomize(model: TF.LayersModel, seed: number): void {
  let k = seed;
  for (const l of model.layers) {
    const ws = l.getWeights();
    if (!ws.length) continue;
    l.setWeights(
      ws.map((w, i) => {
        const r = randomInput(w.shape as number[], k++, 0.6).data;
        const name = l.weights[i]!.name;
        if (/variance/.test(name)) return tf.tensor(Float32Array.from(r, (v) => Math.abs(v) + 0.5), w.shape);
        return tf.tensor(r, w.shape);
      }),
    );
  }
}

async function check(model: TF.LayersModel, seed: number, opts: { quantize?: boolean; tol?: number } = {}): Promise<number> {
  randomize(model, seed);
  const dir = await saveTfjs(model, opts);
  dirs.push(dir);
  if (opts.quantize) dequantizedCopy(model);
  const { graph } = await loadKeras(dir);
  const xs = model.inputs.map((inp, k) => randomInput([5, ...(inp.shape.slice(1) as number[])], 100 + seed + k));
  const want = predict(model, xs);
  const got = runFloat(graph, xs);
  expect(got.length).toBe(want.length);
  let worst = 0;
  got.forEach((g, k) => {
    expect(g.shape).toEqual([5, ...(model.outputs[k]!.shape.slice(1) as number[])]);
    worst = Math.max(worst, relErr(g.data, want[k]!));
  });
  expect(worst).toBeLessThanOrEqual(opts.tol ?? 1e-5);
  return worst;
}

describe('Keras layers vs tfjs', () => {
  it('functional: two inputs, a shared Dense, every merge, two outputs', async () => {
    const a = tf.input({ shape: [8], name: 'in_a' });
    const b = tf.input({ shape: [8], name: 'in_b' });
    const shared = tf.layers.dense({ units: 6, activation: 'relu', name: 'shared' });
    const sa = shared.apply(a) as TF.SymbolicTensor;
    const sb = shared.apply(b) as TF.SymbolicTensor;
    const merges = [
      tf.layers.add().apply([sa, sb]),
      tf.layers.multiply().apply([sa, sb]),
      tf.layers.average().apply([sa, sb]),
      tf.layers.maximum().apply([sa, sb]),
      tf.layers.minimum().apply([sa, sb]),
    ] as TF.SymbolicTensor[];
    const cat = tf.layers.concatenate({ axis: -1 }).apply(merges) as TF.SymbolicTensor;
    const out1 = tf.layers.dense({ units: 3, activation: 'softmax', name: 'head1' }).apply(cat) as TF.SymbolicTensor;
    const out2 = tf.layers.dense({ units: 2, activation: 'sigmoid', name: 'head2' }).apply(a) as TF.SymbolicTensor;
    const model = tf.model({ inputs: [a, b], outputs: [out1, out2] });
    await check(model, 1);
    const { graph } = await loadKeras(dirs[dirs.length - 1]!);
    expect(graph.inputs.map((i) => i.modelName)).toEqual(['in_a', 'in_b']);
    expect(graph.outputs.map((o) => o.modelName)).toEqual(['head1', 'head2']);
    // The shared layer is called twice: two Dense nodes with their own names.
    expect(graph.nodes.filter((n) => n.op === 'Dense' && n.name.startsWith('shared')).length).toBe(2);
  });

  it('2-D convolutions, padding, pooling, transpose conv, PReLU, global pools', async () => {
    const x = tf.input({ shape: [12, 12, 3] });
    let y = tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'elu' }).apply(x) as TF.SymbolicTensor;
    y = tf.layers.batchNormalization({ epsilon: 0.01 }).apply(y) as TF.SymbolicTensor;
    y = tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'relu' }).apply(y) as TF.SymbolicTensor;
    y = tf.layers.separableConv2d({ filters: 5, kernelSize: 3, padding: 'valid', activation: 'selu' }).apply(y) as TF.SymbolicTensor;
    y = tf.layers.zeroPadding2d({ padding: [[1, 2], [0, 1]] }).apply(y) as TF.SymbolicTensor;
    y = tf.layers.cropping2D({ cropping: [[1, 0], [0, 1]] }).apply(y) as TF.SymbolicTensor;
    y = tf.layers.upSampling2d({ size: [2, 2] }).apply(y) as TF.SymbolicTensor;
    y = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(y) as TF.SymbolicTensor;
    y = tf.layers.averagePooling2d({ poolSize: 2, strides: 1, padding: 'same' }).apply(y) as TF.SymbolicTensor;
    y = tf.layers.conv2dTranspose({ filters: 3, kernelSize: 3, strides: 2, padding: 'same' }).apply(y) as TF.SymbolicTensor;
    y = tf.layers.leakyReLU({ alpha: 0.1 }).apply(y) as TF.SymbolicTensor;
    y = tf.layers.prelu({ sharedAxes: [1, 2] }).apply(y) as TF.SymbolicTensor;
    const g1 = tf.layers.globalAveragePooling2d({}).apply(y) as TF.SymbolicTensor;
    const g2 = tf.layers.globalMaxPooling2d({}).apply(y) as TF.SymbolicTensor;
    const t = tf.layers.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 3, padding: 'valid' }).apply(y) as TF.SymbolicTensor;
    const f = tf.layers.flatten().apply(t) as TF.SymbolicTensor;
    const out = tf.layers.dense({ units: 4, activation: 'softplus' }).apply(tf.layers.concatenate().apply([g1, g2, f]) as TF.SymbolicTensor) as TF.SymbolicTensor;
    await check(tf.model({ inputs: x, outputs: out }), 2);
  });

  it('1-D convolutions: strided, dilated, pooling', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv1d({ inputShape: [20, 3], filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh' }),
        tf.layers.conv1d({ filters: 4, kernelSize: 3, dilationRate: 2, padding: 'same' }),
        tf.layers.maxPooling1d({ poolSize: 2 }),
        tf.layers.averagePooling1d({ poolSize: 3, strides: 2, padding: 'same' }),
        tf.layers.globalAveragePooling1d(),
        tf.layers.dense({ units: 3, activation: 'softsign' }),
      ],
    });
    await check(model, 3);
  });

  it('recurrent: LSTM, GRU, Bidirectional (concat, ave), TimeDistributed(Dense)', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.lstm({ inputShape: [6, 4], units: 5, returnSequences: true }),
        tf.layers.gru({ units: 4, returnSequences: true }),
        tf.layers.bidirectional({ layer: tf.layers.simpleRNN({ units: 3, returnSequences: true }) as TF.RNN, mergeMode: 'concat' }),
        tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2 }) }),
        tf.layers.gru({ units: 3, returnSequences: true }),
        tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 2 }) as TF.RNN, mergeMode: 'ave' }),
        tf.layers.dense({ units: 3 }),
      ],
    });
    await check(model, 4, { tol: 2e-5 });
  });

  it('go_backwards with return_sequences returns the sequence in processing (reversed) order', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.gru({ inputShape: [5, 3], units: 4, returnSequences: true, goBackwards: true }),
        tf.layers.lstm({ units: 3, returnSequences: true, goBackwards: true }),
        tf.layers.simpleRNN({ units: 2, returnSequences: true, goBackwards: true }),
      ],
    });
    const err = await check(model, 7, { tol: 2e-5 });
    expect(err).toBeLessThanOrEqual(2e-5);
  });

  it('Bidirectional merge_mode mul and None (two outputs)', async () => {
    const x = tf.input({ shape: [5, 3] });
    const mul = tf.layers.bidirectional({ layer: tf.layers.gru({ units: 4, returnSequences: true }) as TF.RNN, mergeMode: 'mul' }).apply(x) as TF.SymbolicTensor;
    const last = tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 3 }) as TF.RNN, mergeMode: 'mul' }).apply(mul) as TF.SymbolicTensor;
    const pair = tf.layers.bidirectional({ layer: tf.layers.simpleRNN({ units: 2, returnSequences: true }) as TF.RNN, mergeMode: null as unknown as 'concat' }).apply(x) as TF.SymbolicTensor[];
    expect(pair.length).toBe(2);
    await check(tf.model({ inputs: x, outputs: [last, ...pair] }), 8, { tol: 2e-5 });
  });

  it('activations and reshaping layers', async () => {
    const x = tf.input({ shape: [4, 6] });
    const acts = ['relu', 'sigmoid', 'tanh', 'softmax', 'elu', 'selu', 'softplus', 'softsign', 'hardSigmoid', 'linear', 'relu6'] as const;
    const outs = acts.map((a) => tf.layers.activation({ activation: a }).apply(x) as TF.SymbolicTensor);
    outs.push(tf.layers.reLU({ maxValue: 0.7 }).apply(x) as TF.SymbolicTensor);
    outs.push(tf.layers.thresholdedReLU({ theta: 0.3 }).apply(x) as TF.SymbolicTensor);
    outs.push(tf.layers.elu({}).apply(x) as TF.SymbolicTensor);
    outs.push(tf.layers.softmax({ axis: 2 }).apply(x) as TF.SymbolicTensor);
    outs.push(tf.layers.dropout({ rate: 0.5 }).apply(x) as TF.SymbolicTensor);
    const p = tf.layers.permute({ dims: [2, 1] }).apply(x) as TF.SymbolicTensor;
    outs.push(tf.layers.reshape({ targetShape: [4, 6] }).apply(p) as TF.SymbolicTensor);
    const cat = tf.layers.concatenate({ axis: 1 }).apply(outs) as TF.SymbolicTensor;
    const d = tf.layers.dense({ units: 3 }).apply(cat) as TF.SymbolicTensor;
    await check(tf.model({ inputs: x, outputs: d }), 5);
  });

  it('uint8-quantized TF.js weights are dequantized (scale, min) on reading', async () => {
    const model = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [7], units: 5, activation: 'relu' }), tf.layers.dense({ units: 2 })],
    });
    await check(model, 6, { quantize: true });
  });
});
