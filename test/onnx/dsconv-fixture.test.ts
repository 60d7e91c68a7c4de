/**
 * The depthwise-separable CNN fixture of the model-coverage issue (test/fixtures/ptq, made by
 * scripts/make_ptq_fixtures.py: PyTorch, trained on sklearn digits, batch norm folded by the
 * exporter) end to end as a user runs it: float equal to onnxruntime, ap_fixed<16,6> within 1 point
 * of float top-1, auto 8-bit within 2 points, and compiled with no flags in both io modes with a
 * bit-exact C simulation (skipped without AP_TYPES_INCLUDE).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { loadOnnxFile } from '../../src/frontend/onnx/model.js';
import { runFloat } from '../../src/sim/float/executor.js';
import { readNpyFile } from '../../src/util/npy.js';
import { toFloat32 } from '../../src/util/tensor.js';
import { captureCli } from '../helpers/cli.js';

const DIR = join(__dirname, '../fixtures/ptq');
const MODEL = join(DIR, 'dsconv_bn_digits.onnx');
const TEST = join(DIR, 'dsconv_bn_digits_test.npy');
const LABELS = join(DIR, 'dsconv_bn_digits_labels.npy');
const CALIB = join(DIR, 'dsconv_bn_digits_calib.npy');
const AP = process.env.AP_TYPES_INCLUDE;
const { io, cli } = captureCli();

async function simulateJson(...flags: string[]): Promise<{ float: { accuracy: number }; fixed: { accuracy: number } }> {
  const out = mkdtempSync(join(tmpdir(), 'nn2hls-dsconv-'));
  try {
    const json = join(out, 'r.json');
    const code = await cli('simulate', MODEL, '--input', TEST, '--labels', LABELS, '--quiet', '--threads', '1', '--json', json, ...flags);
    expect(code, io.err).toBe(0);
    return JSON.parse(readFileSync(json, 'utf8'));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

describe('depthwise-separable CNN fixture (360 held-out digits)', () => {
  it('float equals onnxruntime', async () => {
    const x = readNpyFile(TEST);
    const xf = toFloat32(x);
    const session = await ort.InferenceSession.create(readFileSync(MODEL));
    const want = (await session.run({ input: new ort.Tensor('float32', xf, x.shape) })).output!.data as Float32Array;
    const [got] = runFloat(loadOnnxFile(MODEL), [{ shape: [...x.shape], data: xf }]);
    expect(got!.data.length).toBe(want.length);
    const scale = Math.max(...Array.from(want, Math.abs));
    const err = Math.max(...Array.from(want, (w, i) => Math.abs(got!.data[i]! - w)));
    expect(err).toBeLessThanOrEqual(1e-4 * scale);
  });

  it('ap_fixed<16,6> within 1 point of float top-1; auto 8-bit within 2', async () => {
    const r16 = await simulateJson();
    expect(r16.float.accuracy).toBeCloseTo(350 / 360, 6);
    expect(Math.abs(r16.float.accuracy - r16.fixed.accuracy)).toBeLessThanOrEqual(0.01);
    const r8 = await simulateJson('--precision', 'auto', '--bits', '8', '--calib', CALIB);
    expect(r8.float.accuracy - r8.fixed.accuracy).toBeLessThanOrEqual(0.02);
  });
});

describe.skipIf(!AP)('depthwise-separable CNN fixture: compile with no flags, csim bit-exact', () => {
  for (const mode of ['parallel', 'stream']) {
    it(`--io ${mode}`, async () => {
      const out = mkdtempSync(join(tmpdir(), 'nn2hls-dsconv-csim-'));
      try {
        expect(await cli('compile', MODEL, '--io', mode, '-o', out, '--input', TEST), io.err).toBe(0);
        io.out = '';
        expect(await cli('csim', out, '--hls-include', AP!), io.err).toBe(0);
        expect(io.out).toMatch(/bit-exact: (\d+)\/\1 samples/);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    }, 600_000);
  }
});
