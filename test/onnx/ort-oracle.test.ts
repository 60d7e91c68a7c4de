/**
 * Checks the float executor against onnxruntime-node, the independent oracle, on every bundled
 * example model and every standard-domain ONNX model in ../shared/models/onnx (skipped, saying
 * why, when ../shared is absent). Inputs are random (a fixed seed) with a batch of 5, or the
 * bundled sample inputs for the examples. Pass: max |nn2hls − ORT| ≤ 1e-4 · max |ORT|.
 * Models declared with a fixed batch (e.g. 789444) get a symbolic batch dim for onnxruntime
 * only, so both run the same small batch.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { freeBatch, randn } from '../helpers/ort.js';
import { afterAll, describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/frontend/onnx/model.js';
import { runFloat } from '../../src/sim/float/executor.js';
import { readNpyFile } from '../../src/util/npy.js';
import { NnInputError, toFloat32 } from '../../src/util/tensor.js';

const SHARED = join(__dirname, '../../../shared/models/onnx');
const EXAMPLES = join(__dirname, '../../examples');

function isStandardDomain(bytes: Uint8Array): boolean {
  const m = onnxProto.onnx.ModelProto.decode(bytes);
  return (m.graph?.node ?? []).every((n) => !n.domain || n.domain === 'ai.onnx');
}

const models: { path: string; sample?: string }[] = [
  { path: join(EXAMPLES, 'digits_mlp.onnx'), sample: join(EXAMPLES, 'digits_mlp_input.npy') },
  { path: join(EXAMPLES, 'digits_cnn.onnx'), sample: join(EXAMPLES, 'digits_cnn_input.npy') },
  { path: join(EXAMPLES, 'lenet5_mnist.onnx'), sample: join(EXAMPLES, 'mnist_input.npy') },
  { path: join(EXAMPLES, 'cnn32_mnist.onnx'), sample: join(EXAMPLES, 'cnn32_mnist_input.npy') },
  { path: join(EXAMPLES, 'dsconv_mnist.onnx'), sample: join(EXAMPLES, 'mnist_input.npy') },
  { path: join(EXAMPLES, 'resnet_mnist.onnx'), sample: join(EXAMPLES, 'mnist_input.npy') },
];
const haveShared = existsSync(SHARED);
if (haveShared) {
  for (const f of readdirSync(SHARED).sort()) {
    if (f.endsWith('.onnx') && isStandardDomain(readFileSync(join(SHARED, f)))) models.push({ path: join(SHARED, f) });
  }
} else {
  console.log(`skipping shared models: ${SHARED} is absent (a fresh clone has no ../shared)`);
}

const report: string[] = [];

/**
 * Runs a batch in onnxruntime: in one call when the model accepts any batch, else (Keras
 * exports whose Flatten(axis=0) only works at their declared batch of 1) sample by sample.
 */
async function runOrtBatched(bytes: Uint8Array, feeds: Record<string, ort.Tensor>, n: number): Promise<Record<string, ort.Tensor>> {
  try {
    return await (await ort.InferenceSession.create(freeBatch(bytes))).run(feeds);
  } catch {
    const session = await ort.InferenceSession.create(bytes);
    const parts: Record<string, ort.Tensor>[] = [];
    for (let i = 0; i < n; i++) {
      const one: Record<string, ort.Tensor> = {};
      for (const [k, t] of Object.entries(feeds)) {
        const per = (t.data as Float32Array).length / n;
        one[k] = new ort.Tensor('float32', (t.data as Float32Array).slice(i * per, (i + 1) * per), [1, ...t.dims.slice(1)]);
      }
      parts.push(await session.run(one));
    }
    const out: Record<string, ort.Tensor> = {};
    for (const k of Object.keys(parts[0]!)) {
      const chunks = parts.map((p) => p[k]!.data as Float32Array);
      const data = new Float32Array(chunks.reduce((a, c) => a + c.length, 0));
      chunks.reduce((o, c) => (data.set(c, o), o + c.length), 0);
      out[k] = new ort.Tensor('float32', data, [n, ...parts[0]![k]!.dims.slice(1)]);
    }
    return out;
  }
}

/** Runs the model in onnxruntime on random inputs of its declared shapes (symbolic dims = 5). */
async function runOrtOnDeclaredShapes(bytes: Uint8Array): Promise<unknown> {
  const m = onnxProto.onnx.ModelProto.decode(bytes);
  const inits = new Set((m.graph!.initializer ?? []).map((t) => t.name));
  const feeds: Record<string, ort.Tensor> = {};
  (m.graph!.input ?? [])
    .filter((i) => !inits.has(i.name))
    .forEach((i, k) => {
      const shape = (i.type?.tensorType?.shape?.dim ?? []).map((d) => Number(d.dimValue ?? 0) || 5);
      feeds[i.name!] = new ort.Tensor('float32', randn(shape.reduce((a, b) => a * b, 1), 99 + k), shape);
    });
  const session = await ort.InferenceSession.create(bytes);
  return session.run(feeds);
}

describe('float executor vs onnxruntime', () => {
  afterAll(() => console.log(`max |nn2hls − onnxruntime| / max |onnxruntime|:\n${report.join('\n')}`));

  for (const m of models) {
    it(m.path.replace(/^.*[\\/]/, ''), async () => {
      const bytes = readFileSync(m.path);
      let g: ReturnType<typeof importOnnx>;
      try {
        g = importOnnx(bytes, m.path);
      } catch (e) {
        // A model we refuse must be one onnxruntime cannot run either, and the refusal must be
        // a user-facing error naming the node (three_layer_bn_keras.onnx has BN scale [64] on
        // a 1-channel tensor, which onnxruntime rejects too).
        expect(e).toBeInstanceOf(NnInputError);
        expect((e as Error).message).toMatch(/node '[^']+' \(\w+\)/);
        await expect(runOrtOnDeclaredShapes(bytes)).rejects.toThrow();
        report.push(`  ${m.path.replace(/^.*[\\/]/, '').padEnd(28)} invalid model, refused by both: ${(e as Error).message.replace(/^.*?: /, '')}`);
        return;
      }
      const feeds: Record<string, ort.Tensor> = {};
      const inputs = g.inputs.map((io, k) => {
        const v = g.values.get(io.value)!;
        if (m.sample) {
          const t = readNpyFile(m.sample);
          return { shape: t.shape, data: toFloat32(t) };
        }
        const shape = g.batched ? [5, ...v.shape] : [...v.shape];
        return { shape, data: randn(shape.reduce((a, b) => a * b, 1), 1234 + k) };
      });
      g.inputs.forEach((io, k) => (feeds[io.modelName] = new ort.Tensor('float32', inputs[k]!.data, inputs[k]!.shape)));
      const ref = g.batched ? await runOrtBatched(bytes, feeds, inputs[0]!.shape[0]!) : await (await ort.InferenceSession.create(bytes)).run(feeds);
      const ours = runFloat(g, inputs);
      g.outputs.forEach((io, k) => {
        const r = ref[io.modelName]!;
        expect([...ours[k]!.shape]).toEqual(r.dims.map(Number));
        const rd = r.data as Float32Array;
        let maxRef = 0;
        let maxErr = 0;
        for (let i = 0; i < rd.length; i++) {
          maxRef = Math.max(maxRef, Math.abs(rd[i]!));
          maxErr = Math.max(maxErr, Math.abs(rd[i]! - ours[k]!.data[i]!));
        }
        report.push(`  ${m.path.replace(/^.*[\\/]/, '').padEnd(28)} output '${io.modelName}': ${(maxErr / maxRef).toExponential(2)}`);
        expect(maxErr).toBeLessThanOrEqual(1e-4 * maxRef);
      });
    });
  }
});
