/**
 * Float equality of the TensorFlow frontend + float executor against @tensorflow/tfjs on every
 * shared TensorFlow model: hls4ml_3layer.pb, the keyword-spotting DNN/CNN/DS-CNN graphs cut at
 * their MFCC features (--inputs Mfcc, --outputs labels_softmax) — Basic_LSTM_S's while loop
 * included — and the TF.js MNIST graph-model.
 * Random inputs (fixed seed, batch 4), scaled like the real data. Pass: max |nn2hls − tfjs| ≤
 * 1e-4 · max |tfjs|. Skipped, saying why, when ../shared is absent.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/frontend/index.js';
import { runFloat } from '../../src/sim/float/executor.js';
import { randn } from '../helpers/ort.js';
import { graphDefAsTfjs, loadTfjsGraphModel, runTfjs } from '../helpers/tfjs.js';

const SHARED = join(__dirname, '../../../shared/models');
const have = existsSync(SHARED);
if (!have) console.log(`skipping TensorFlow oracle tests: ${SHARED} is absent (a fresh clone has no ../shared)`);

interface Case {
  name: string;
  path: string;
  input: string;
  dims: number[];
  output: string;
  scale: number;
  offset?: number;
  cut: boolean;
}
const KWS = join(SHARED, 'tensorflow/kws');
const CASES: Case[] = [
  { name: 'hls4ml_3layer', path: join(SHARED, 'tensorflow/hls4ml_3layer.pb'), input: 'input_1', dims: [16], output: 'output_softmax/Softmax', scale: 1, cut: false },
  { name: 'DNN_S', path: join(KWS, 'DNN_S.pb'), input: 'Mfcc', dims: [25, 10], output: 'labels_softmax', scale: 2, cut: true },
  { name: 'CNN_S', path: join(KWS, 'CNN_S.pb'), input: 'Mfcc', dims: [49, 10], output: 'labels_softmax', scale: 2, cut: true },
  { name: 'DS_CNN_S', path: join(KWS, 'DS_CNN_S.pb'), input: 'Mfcc', dims: [49, 10], output: 'labels_softmax', scale: 2, cut: true },
  // A TF1 dynamic_rnn while loop around a BasicLSTMCell, recognised and lowered to the IR's LSTM.
  { name: 'Basic_LSTM_S', path: join(KWS, 'Basic_LSTM_S.pb'), input: 'Mfcc', dims: [49, 10], output: 'labels_softmax', scale: 2, cut: true },
];
const N = 4;

function maxRel(got: Float32Array, want: Float32Array): { err: number; ref: number } {
  let err = 0;
  let ref = 0;
  for (let i = 0; i < want.length; i++) {
    err = Math.max(err, Math.abs(got[i]! - want[i]!));
    ref = Math.max(ref, Math.abs(want[i]!));
  }
  return { err, ref };
}

describe.skipIf(!have)('TensorFlow frontend vs tfjs', () => {
  for (const c of CASES) {
    it(`${c.name}: float output equals tfjs`, async () => {
      const g = loadModel(c.path, c.cut ? { inputs: [{ name: c.input, dims: [-1, ...c.dims] }], outputs: [c.output] } : {});
      expect(g.batched).toBe(true);
      if (c.name === 'Basic_LSTM_S') expect(g.nodes.map((n) => n.op)).toContain('LSTM');
      const n = c.dims.reduce((p, d) => p * d, 1);
      const x = randn(N * n, 7).map((v) => v * c.scale);
      const ours = runFloat(g, [{ shape: [N, ...c.dims], data: x }])[0]!;
      const model = await graphDefAsTfjs(c.path, { [c.input]: [-1, ...c.dims] }, [c.output]);
      // Basic_LSTM_S's zero state is built for batch 1 in the graph itself: run tfjs per sample.
      const per = c.name === 'Basic_LSTM_S' ? 1 : N;
      const parts: Float32Array[] = [];
      for (let s = 0; s < N; s += per) {
        parts.push(await runTfjs(model, { [c.input]: { shape: [per, ...c.dims], data: x.subarray(s * n, (s + per) * n) } }, c.output));
      }
      const ref = Float32Array.from(parts.flatMap((p) => Array.from(p)));
      expect(ours.data.length).toBe(ref.length);
      const { err, ref: mx } = maxRel(ours.data, ref);
      console.log(`${c.name}: ${g.nodes.length} IR nodes, max |err| ${err.toExponential(2)} (max |ref| ${mx.toFixed(3)})`);
      expect(err).toBeLessThanOrEqual(1e-4 * mx);
    }, 60_000);
  }

  it('TF.js MNIST graph-model: float output equals tfjs', async () => {
    const dir = join(SHARED, 'tfjs/model_graph');
    const g = loadModel(dir);
    const x = randn(N * 784, 3).map((v) => Math.min(255, Math.abs(v) * 100));
    const ours = runFloat(g, [{ shape: [N, 28, 28, 1], data: x }])[0]!;
    const ref = await runTfjs(await loadTfjsGraphModel(dir), { input_1: { shape: [N, 28, 28, 1], data: x } }, 'Identity');
    const { err, ref: mx } = maxRel(ours.data, ref);
    console.log(`model_graph: ${g.nodes.length} IR nodes, max |err| ${err.toExponential(2)} (max |ref| ${mx.toFixed(3)})`);
    expect(err).toBeLessThanOrEqual(1e-4 * mx);
  }, 60_000);
});
