/**
 * Shared pieces of the Keras frontend tests: the @tensorflow/tfjs float oracle (pure JS CPU
 * backend), saving a tfjs-built model as a TF.js layers-model folder the importer can read, and
 * comparing outputs by relative error.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { RtTensor } from '../../../src/ir/semantics/tensor.js';

let ready: Promise<unknown> | null = null;
export async function tfjs(): Promise<typeof tf> {
  ready ??= tf.setBackend('cpu');
  await ready;
  return tf;
}

/** Writes model.json + one shard; returns the folder. `quantize` stores weights as uint8 (affine). */
export async function saveTfjs(model: tf.LayersModel, opts: { quantize?: boolean } = {}): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'nn2hls-tfjs-'));
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      let specs = a.weightSpecs!;
      let data = new Uint8Array(a.weightData as ArrayBuffer);
      if (opts.quantize) {
        const f32 = new Float32Array(a.weightData as ArrayBuffer);
        const bytes: number[] = [];
        let off = 0;
        specs = specs.map((s) => {
          const n = s.shape.reduce((p, d) => p * d, 1);
          const vals = f32.subarray(off, off + n);
          off += n;
          const min = Math.min(...vals);
          const max = Math.max(...vals);
          const scale = max > min ? (max - min) / 255 : 1;
          for (const v of vals) bytes.push(Math.round((v - min) / scale));
          return { ...s, quantization: { dtype: 'uint8', scale, min } };
        });
        data = Uint8Array.from(bytes);
      }
      writeFileSync(join(dir, 'group1-shard1of1.bin'), data);
      writeFileSync(
        join(dir, 'model.json'),
        JSON.stringify({ format: 'layers-model', modelTopology: a.modelTopology, weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: specs }] }),
      );
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return dir;
}

/** Dequantizes uint8-stored weights as the reader must, and loads them into the model. */
export function dequantizedCopy(model: tf.LayersModel): void {
  for (const l of model.layers) {
    const ws = l.getWeights();
    if (!ws.length) continue;
    l.setWeights(
      ws.map((w) => {
        const v = w.dataSync() as Float32Array;
        let min = Infinity;
        let max = -Infinity;
        for (const x of v) {
          min = Math.min(min, x);
          max = Math.max(max, x);
        }
        const scale = max > min ? (max - min) / 255 : 1;
        return tf.tensor(Float32Array.from(v, (x) => Math.fround(Math.round((x - min) / scale) * scale + min)), w.shape);
      }),
    );
  }
}

export function predict(model: tf.LayersModel, xs: RtTensor[]): Float32Array[] {
  const ins = xs.map((x) => tf.tensor(x.data, [...x.shape]));
  const out = model.predict(ins.length === 1 ? ins[0]! : ins);
  const list = Array.isArray(out) ? out : [out];
  return list.map((t) => t.dataSync() as Float32Array);
}

/** max |a − b| / max |b|. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let e = 0;
  let m = 1e-30;
  for (let i = 0; i < a.length; i++) {
    e = Math.max(e, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return e / m;
}

/** Deterministic pseudo-random inputs in [-scale, scale). */
export function randomInput(shape: readonly number[], seed = 1, scale = 2): RtTensor {
  const n = shape.reduce((a, d) => a * d, 1);
  let s = seed >>> 0 || 1;
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = ((s / 2 ** 32) * 2 - 1) * scale;
  }
  return { shape: [...shape], data };
}
