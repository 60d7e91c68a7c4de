/**
 * `npm start`: the main job on the bundled example models. For now: inspect the example CNN and
 * MLP, run them in float on the bundled digits test samples and report accuracy against the
 * labels and agreement with PyTorch's own outputs.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../frontend/index.js';
import { runFloat } from '../sim/float/executor.js';
import type { RtTensor } from '../sim/float/kernel.js';
import { NnInputError, toFloat32 } from '../util/tensor.js';
import { readNpyFile } from '../util/npy.js';
import { formatInspect, inspectReport } from './inspect.js';
import { readInputTensor } from './io.js';

export function argmaxRows(t: RtTensor): number[] {
  const cols = t.shape[t.shape.length - 1]!;
  const rows = t.data.length / cols;
  return Array.from({ length: rows }, (_, r) => {
    let best = 0;
    for (let c = 1; c < cols; c++) if (t.data[r * cols + c]! > t.data[r * cols + best]!) best = c;
    return best;
  });
}

export function runDemo(root = 'examples'): void {
  if (!existsSync(root)) throw new NnInputError(`${root}/ not found: run npm start from the repository root`);
  const labels = Array.from(toFloat32(readNpyFile(join(root, 'digits_labels.npy'))));
  for (const name of ['digits_cnn', 'digits_mlp']) {
    const g = loadModel(join(root, `${name}.onnx`));
    process.stdout.write(`\n=== ${name} ===\n${formatInspect(inspectReport(g))}\n\n`);
    const x = readInputTensor(join(root, `${name}_input.npy`));
    const t0 = performance.now();
    const [y] = runFloat(g, [x]);
    const ms = performance.now() - t0;
    const pred = argmaxRows(y!);
    const correct = pred.filter((p, i) => p === labels[i]).length;
    const ref = toFloat32(readNpyFile(join(root, `${name}_expected.npy`)));
    let maxErr = 0;
    for (let i = 0; i < ref.length; i++) maxErr = Math.max(maxErr, Math.abs(ref[i]! - y!.data[i]!));
    process.stdout.write(
      `float run: ${pred.length} samples in ${ms.toFixed(1)} ms; accuracy ${((100 * correct) / pred.length).toFixed(2)}% ` +
        `(${correct}/${pred.length}); max |nn2hls − PyTorch| = ${maxErr.toExponential(2)}\n`,
    );
  }
}
