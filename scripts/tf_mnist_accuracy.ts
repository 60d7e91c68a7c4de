/**
 * MNIST accuracy of the TF.js graph-model in ../shared/models/tfjs/model_graph (raw 0..255
 * pixels) on the 10,000 t10k images: float, and bit-accurate fixed point at post-training
 * auto precision (16- and 8-bit, calibrated on the first 500 test images).
 *
 *   npx tsx scripts/tf_mnist_accuracy.ts [../shared]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { argmaxRows } from '../src/cli/demo.js';
import { loadModel } from '../src/frontend/index.js';
import { autoPrecision } from '../src/passes/auto-precision.js';
import { canonicalize, prepareFixed } from '../src/passes/pipeline.js';
import { simulate } from '../src/sim/compare.js';
import { runFloat } from '../src/sim/float/executor.js';

const shared = process.argv[2] ?? '../shared';
const idx = (f: string) => gunzipSync(readFileSync(join(shared, 'datasets/mnist', f)));
const img = idx('t10k-images-idx3-ubyte.gz');
const lab = idx('t10k-labels-idx1-ubyte.gz');
const N = img.readUInt32BE(4);
const pixels = Float32Array.from(img.subarray(16, 16 + N * 784));
const labels = Array.from(lab.subarray(8, 8 + N));

const g = loadModel(join(shared, 'models/tfjs/model_graph'));
const batch = (a: number, b: number) => ({ shape: [b - a, 28, 28, 1], data: pixels.subarray(a * 784, b * 784) });
let t0 = performance.now();
let correct = 0;
for (let a = 0; a < N; a += 1000) {
  const pred = argmaxRows(runFloat(g, [batch(a, Math.min(N, a + 1000))])[0]!);
  pred.forEach((p, i) => (correct += p === labels[a + i] ? 1 : 0));
}
console.log(`float: ${((100 * correct) / N).toFixed(2)}% (${correct}/${N}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

const cg = canonicalize(g);
const calib = batch(0, 500);
const nFixed = Number(process.env.FIXED_N ?? N);
for (const bits of [16, 8]) {
  t0 = performance.now();
  const { graph } = prepareFixed(g, autoPrecision(g, [calib], { bits, run: runFloat }));
  let ok = 0;
  let agree = 0;
  for (let a = 0; a < nFixed; a += 1000) {
    const b = Math.min(nFixed, a + 1000);
    const r = simulate(cg, graph, [batch(a, b)], { labels: Float32Array.from(labels.slice(a, b)) }).report;
    ok += Math.round(r.fixed.accuracy! * (b - a));
    agree += Math.round(r.agreement * (b - a));
  }
  console.log(`auto ${bits}-bit: ${((100 * ok) / nFixed).toFixed(2)}% on ${nFixed} images, agreement with float ${((100 * agree) / nFixed).toFixed(2)}% (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}
