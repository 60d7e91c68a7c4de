/**
 * `npm run bench`: throughput of the bit-accurate fixed-point simulator, the float reference
 * executor and onnxruntime-node on the same inputs, single thread, for the hls4ml jet tagger
 * (../shared/models/onnx/three_layer_keras.onnx at ap_fixed<16,6>; skipped with a note when
 * ../shared is absent) and the bundled example CNN and MLP. Prints samples per second; the
 * target for the jet tagger's fixed simulator is 100,000 samples/s on one core.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { freeBatch, randn } from '../test/helpers/ort.js';
import { loadOnnxFile } from '../src/frontend/onnx/model.js';
import { defaultConfig } from '../src/ir/precision-config.js';
import { prepareFixed } from '../src/passes/pipeline.js';
import { FixedProgram } from '../src/sim/fixed/executor.js';
import { runFloat } from '../src/sim/float/executor.js';
import type { RtTensor } from '../src/sim/float/kernel.js';

const ROOT = join(import.meta.dirname, '..');
const SHARED = join(ROOT, '../shared/models/onnx');

/** Best of `reps` timed runs (after one warm-up), in samples per second. */
async function rate(n: number, reps: number, f: () => unknown): Promise<number> {
  await f();
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    await f();
    best = Math.min(best, performance.now() - t0);
  }
  return (n / best) * 1000;
}

async function bench(label: string, path: string, n: number): Promise<void> {
  const g = loadOnnxFile(path);
  const { graph: qg } = prepareFixed(g, defaultConfig());
  const shape = [n, ...g.values.get(g.inputs[0]!.value)!.shape];
  const x: RtTensor = { shape, data: randn(shape.reduce((a, b) => a * b, 1), 7) };
  const program = new FixedProgram(qg);
  const fixed = await rate(n, 5, () => program.run([x]));
  const float = await rate(n, 5, () => runFloat(g, [x]));
  const session = await ort.InferenceSession.create(freeBatch(readFileSync(path)), { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const feeds = { [g.inputs[0]!.modelName]: new ort.Tensor('float32', x.data, shape) };
  const onnx = await rate(n, 5, () => session.run(feeds));
  const f = (v: number) => Math.round(v).toLocaleString('en-US').padStart(12);
  console.log(`${label.padEnd(34)} ${f(fixed)} ${f(float)} ${f(onnx)}`);
}

async function main(): Promise<void> {
  console.log(`node ${process.version}, one thread; samples/s (best of 5 runs)`);
  console.log(`${'model'.padEnd(34)} ${'fixed sim'.padStart(12)} ${'float exec'.padStart(12)} ${'onnxruntime'.padStart(12)}`);
  const jet = join(SHARED, 'three_layer_keras.onnx');
  if (existsSync(jet)) await bench('jet tagger ap_fixed<16,6>', jet, 50000);
  else console.log(`jet tagger: skipped, ${jet} is absent`);
  await bench('digits_mlp ap_fixed<16,6>', join(ROOT, 'examples/digits_mlp.onnx'), 50000);
  await bench('digits_cnn ap_fixed<16,6>', join(ROOT, 'examples/digits_cnn.onnx'), 5000);
  console.log('target: jet tagger fixed sim >= 100,000 samples/s (hls4ml C++ emulation: ~6,800/s)');
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
