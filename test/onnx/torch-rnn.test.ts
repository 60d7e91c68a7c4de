/**
 * PyTorch recurrent classifiers exported the ordinary way (torch.onnx.export with a dynamic
 * batch axis, no initial state, so the exporter builds the zero state from the batch size):
 * nn.LSTM / nn.GRU / nn.RNN, batch_first true and false, a 2-layer bidirectional LSTM, heads
 * y[:, -1], h[-1], h.squeeze(0) and mean over time (fixtures by scripts/make_torch_rnn_fixtures.py,
 * trained on sklearn digits read row by row; 300 held-out samples). For each: the import keeps
 * the batch free; float equals onnxruntime-node (max |diff| <= 1e-4 * max |ORT|) and PyTorch's
 * top-1; `simulate` at ap_fixed<16,6> is within 1 point of float top-1; and (with
 * AP_TYPES_INCLUDE) `compile` with no flags in both io modes csims bit-exact on all 300 samples.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { moveAxis } from '../../src/cli/io.js';
import { loadOnnxFile } from '../../src/frontend/onnx/model.js';
import { runFloat } from '../../src/sim/float/executor.js';
import { readNpyFile } from '../../src/util/npy.js';
import { toFloat32 } from '../../src/util/tensor.js';
import { captureCli } from '../helpers/cli.js';

const DIR = join(__dirname, '../fixtures/torch_rnn');
const AP = process.env.AP_TYPES_INCLUDE;
const FIXTURES = ['lstm_bf_last', 'lstm_sf_hlast', 'gru_bf_squeeze', 'gru_sf_mean', 'lstm2_bidir', 'rnn_bf_hlast'];
const torchAcc = JSON.parse(readFileSync(join(DIR, 'accuracy.json'), 'utf8')) as Record<string, number>;
const labels = Array.from(readNpyFile(join(DIR, 'digits_seq_labels.npy')).data as ArrayLike<number | bigint>, Number);
const N = labels.length;
const seqFirst = (m: string) => m.includes('_sf_');
const inputFile = (m: string) => join(DIR, seqFirst(m) ? 'digits_seq_sf.npy' : 'digits_seq_bf.npy');

function top1(data: Float32Array, classes: number): number {
  let right = 0;
  for (let n = 0; n < N; n++) {
    const row = data.subarray(n * classes, (n + 1) * classes);
    if (row.indexOf(Math.max(...row)) === labels[n]) right++;
  }
  return right / N;
}

const { io, cli } = captureCli();
const table: string[] = [];

describe('PyTorch RNN classifiers with a dynamic batch', () => {
  afterAll(() => console.log(`torch RNN fixtures (${N} held-out digits):\n${table.join('\n')}`));

  for (const m of FIXTURES) {
    it(`${m}: batched import; float equals onnxruntime and PyTorch's top-1; ap_fixed<16,6> within 1 point`, async () => {
      const path = join(DIR, `${m}.onnx`);
      const g = loadOnnxFile(path);
      expect(g.batched).toBe(true);
      expect(g.inputs[0]!.batchAxis).toBe(seqFirst(m) ? 1 : undefined);
      const x = readNpyFile(inputFile(m));
      const xf = toFloat32(x);
      const ortOut = await (await ort.InferenceSession.create(readFileSync(path))).run({ x: new ort.Tensor('float32', xf, x.shape) });
      const want = ortOut.logits!.data as Float32Array;
      const [got] = runFloat(g, [moveAxis({ shape: x.shape, data: xf }, g.inputs[0]!.batchAxis ?? 0, 0)]);
      expect(got!.shape).toEqual([N, 10]);
      const scale = Math.max(...Array.from(want, Math.abs));
      const err = Math.max(...Array.from(want, (w, i) => Math.abs(got!.data[i]! - w)));
      expect(err).toBeLessThanOrEqual(1e-4 * scale);
      const acc = top1(got!.data, 10);
      expect(Math.abs(acc - torchAcc[m]!)).toBeLessThanOrEqual(1 / N + 1e-12);

      const out = mkdtempSync(join(tmpdir(), 'nn2hls-rnn-'));
      try {
        const json = join(out, 'r.json');
        const code = await cli('simulate', path, '--input', inputFile(m), '--labels', join(DIR, 'digits_seq_labels.npy'), '--quiet', '--threads', '1', '--json', json);
        expect(code, io.err).toBe(0);
        const r = JSON.parse(readFileSync(json, 'utf8')) as { float: { accuracy: number }; fixed: { accuracy: number } };
        expect(r.float.accuracy).toBeCloseTo(acc, 12);
        expect(Math.abs(r.fixed.accuracy - acc)).toBeLessThanOrEqual(0.01);
        table.push(`  ${m.padEnd(15)} float ${(acc * 100).toFixed(2)}%  max rel err vs ORT ${(err / scale).toExponential(1)}  ap_fixed<16,6> ${(r.fixed.accuracy * 100).toFixed(2)}%`);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });
  }
});

describe('PyTorch RNN classifiers at --precision auto --bits 8', () => {
  // The hidden state is fed back every step, so auto precision keeps its whole range and gives the
  // gate pre-activations (and LSTM cell state) ±8; typing them like the output (about ±1) clipped the
  // gates and cost up to 52 points (gru_bf_squeeze 97% -> 45%).
  for (const m of FIXTURES) {
    it(`${m}: within 2 points of float top-1`, async () => {
      const out = mkdtempSync(join(tmpdir(), 'nn2hls-rnn8-'));
      try {
        const json = join(out, 'r.json');
        const calib = join(DIR, seqFirst(m) ? 'digits_seq_calib_sf.npy' : 'digits_seq_calib_bf.npy');
        const code = await cli('simulate', join(DIR, `${m}.onnx`), '--input', inputFile(m), '--labels', join(DIR, 'digits_seq_labels.npy'),
          '--precision', 'auto', '--bits', '8', '--calib', calib, '--quiet', '--threads', '1', '--json', json);
        expect(code, io.err).toBe(0);
        const r = JSON.parse(readFileSync(json, 'utf8')) as { float: { accuracy: number }; fixed: { accuracy: number } };
        expect(r.float.accuracy - r.fixed.accuracy).toBeLessThanOrEqual(0.02);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });
  }
});

describe.skipIf(!AP)('PyTorch RNN classifiers: compile with no flags, csim bit-exact in both io modes', () => {
  for (const m of FIXTURES) {
    for (const ioMode of ['parallel', 'stream']) {
      it(`${m} --io ${ioMode}`, async () => {
        const out = mkdtempSync(join(tmpdir(), 'nn2hls-rnn-csim-'));
        try {
          expect(await cli('compile', join(DIR, `${m}.onnx`), '--io', ioMode, '-o', out, '--input', inputFile(m)), io.err).toBe(0);
          io.out = '';
          expect(await cli('csim', out, '--hls-include', AP!), io.err).toBe(0);
          expect(io.out).toContain(`bit-exact: ${N}/${N} samples`);
        } finally {
          rmSync(out, { recursive: true, force: true });
        }
      }, 600_000);
    }
  }
});
