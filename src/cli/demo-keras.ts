/**
 * The Keras part of `npm start`: the bundled digits MLP saved as a Keras full-model .h5 (by
 * scripts/make_keras_example.py, from the project's own weights) is read with the Keras
 * frontend, checked against the ONNX export of the same network on the bundled samples, and
 * compiled into build/digits_mlp_keras/ like the ONNX examples.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULTS } from '../backend-hls/index.js';
import { loadModel, loadModelAsync } from '../frontend/index.js';
import { defaultConfig } from '../ir/precision-config.js';
import { runFloat } from '../sim/float/executor.js';
import type { RtTensor } from '../ir/semantics/tensor.js';
import { readNpyFile } from '../util/npy.js';
import { toFloat32 } from '../util/tensor.js';
import { compileProject } from './compile.js';
import { argmaxRows } from './demo.js';
import { readInputTensor } from './io.js';
import { withModelPrecision } from './model-options.js';

export async function runKerasDemo(root = 'examples'): Promise<void> {
  const file = join(root, 'digits_mlp_keras.h5');
  if (!existsSync(file)) {
    process.stdout.write(`\n(${file} not found: make it with /usr/bin/python3 scripts/make_keras_example.py)\n`);
    return;
  }
  const t0 = performance.now();
  const m = await loadModelAsync(file);
  const loadMs = performance.now() - t0;
  const x = readInputTensor(join(root, 'digits_mlp_input.npy'));
  const [y] = runFloat(m.graph, [x]);
  const [ref] = runFloat(loadModel(join(root, 'digits_mlp.onnx')), [x]);
  let maxErr = 0;
  for (let i = 0; i < ref!.data.length; i++) maxErr = Math.max(maxErr, Math.abs(ref!.data[i]! - y!.data[i]!));
  const labels = Array.from(toFloat32(readNpyFile(join(root, 'digits_labels.npy'))));
  const pred = argmaxRows(y!);
  const correct = pred.filter((p, i) => p === labels[i]).length;
  process.stdout.write(
    `\n=== digits_mlp as a Keras .h5 (${file}) ===\n` +
      `read in ${loadMs.toFixed(0)} ms (HDF5 via h5wasm): ${m.graph.nodes.length} layers; float accuracy ${((100 * correct) / pred.length).toFixed(2)}% ` +
      `(${correct}/${pred.length}); max |Keras − ONNX| = ${maxErr.toExponential(2)}\n`,
  );
  const per = x.data.length / x.shape[0]!;
  const n = Math.min(64, x.shape[0]!);
  const tb: RtTensor = { shape: [n, ...x.shape.slice(1)], data: x.data.slice(0, n * per) };
  const out = join('build', 'digits_mlp_keras');
  // Folded to the default part when over it, as `nn2hls compile` does with no flags.
  const { files, fit } = compileProject(
    { model: file, out, precision: withModelPrecision(defaultConfig(), m.precision, false), options: { ...DEFAULTS, layers: {} }, runs: [[tb]], fitToPart: true },
    m.graph,
  );
  process.stdout.write(`HLS project: ${out}/ (${files.size} files) — same network, read from Keras${fit ? `; fit: ${fit.message}` : ''}\n`);
}
