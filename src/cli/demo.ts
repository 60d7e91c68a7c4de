/**
 * `npm start`: the main job on the bundled example models: inspect the example CNN and MLP, run
 * them in float on the bundled digits test samples (accuracy against the labels, agreement with
 * PyTorch's own outputs), then bit-accurately in fixed point at ap_fixed<16,6> and at
 * post-training 16/10/8-bit types, to show what fixed point costs each model, and finally
 * compile each into an HLS project under build/<example>/ with its own samples as testbench,
 * folded to the default part as `nn2hls compile` does with no flags.
 * The CNN also comes as a frozen TensorFlow GraphDef (digits_cnn_tf.pb), run and compiled too.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../frontend/index.js';
import type { Graph } from '../ir/graph.js';
import { defaultConfig, type PrecisionConfig } from '../ir/precision-config.js';
import { autoPrecision } from '../passes/auto-precision.js';
import { canonicalize, prepareFixed } from '../passes/pipeline.js';
import { simulate } from '../sim/compare.js';
import { DEFAULTS, planChanges, planTable } from '../backend-hls/index.js';
import { compileProject } from './compile.js';
import { runFloat } from '../sim/float/executor.js';
import type { RtTensor } from '../ir/semantics/tensor.js';
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
    fixedPointSummary(g, x, Float32Array.from(labels), readInputTensor(join(root, `${name}_calib.npy`)));
    emitExample(name, g, x, root);
  }
  // LeNet-5 on 28x28 MNIST (examples/README.md): its 400x120 and 120x84 layers are beyond the
  // unroll limit, so the plan printed below shows the tiling pass folding them.
  const lenet = join(root, 'lenet5_mnist.onnx');
  if (existsSync(lenet) && existsSync(join(root, 'mnist_input.npy'))) {
    const g = loadModel(lenet);
    process.stdout.write(`\n=== lenet5_mnist ===\n${formatInspect(inspectReport(g))}\n\n`);
    emitExample('lenet5_mnist', g, readInputTensor(join(root, 'mnist_input.npy')), root);
  }
  tfExample(root, labels);
  process.stdout.write(
    `\nnext: C-simulate a project against the simulator with \`npx nn2hls csim build/<example>\` ` +
      '(needs Xilinx ap_fixed headers: --hls-include DIR, $XILINX_HLS/include or AP_TYPES_INCLUDE)\n',
  );
}

/**
 * The TensorFlow path end to end: the same digits CNN as a frozen GraphDef (written by
 * scripts/export_tf_example.ts with the project's own schema), NHWC, compiled like the others.
 */
function tfExample(root: string, labels: number[]): void {
  const name = 'digits_cnn_tf';
  const model = join(root, `${name}.pb`);
  const g = loadModel(model);
  process.stdout.write(`\n=== ${name} (TensorFlow frozen GraphDef) ===\n${formatInspect(inspectReport(g))}\n\n`);
  // The ONNX samples are [N,1,8,8]; with one channel NCHW and NHWC hold the same bytes.
  const nchw = readInputTensor(join(root, 'digits_cnn_input.npy'));
  const x: RtTensor = { shape: [nchw.shape[0]!, 8, 8, 1], data: nchw.data };
  const [y] = runFloat(g, [x]);
  const pred = argmaxRows(y!);
  const correct = pred.filter((p, i) => p === labels[i]).length;
  const ref = toFloat32(readNpyFile(join(root, 'digits_cnn_expected.npy')));
  let maxErr = 0;
  for (let i = 0; i < ref.length; i++) maxErr = Math.max(maxErr, Math.abs(ref[i]! - y!.data[i]!));
  process.stdout.write(
    `float run: accuracy ${((100 * correct) / pred.length).toFixed(2)}% (${correct}/${pred.length}); ` +
      `max |TensorFlow graph − PyTorch| = ${maxErr.toExponential(2)}\n`,
  );
  const calib = readInputTensor(join(root, 'digits_cnn_calib.npy'));
  fixedPointSummary(g, x, Float32Array.from(labels), { shape: [calib.shape[0]!, 8, 8, 1], data: calib.data });
  emitExample(name, g, x, root, model);
}

/** Compiles the example at ap_fixed<16,6> into build/<name>/ with 64 of its samples as testbench data. */
function emitExample(name: string, g: Graph, x: RtTensor, root: string, model = join(root, `${name}.onnx`)): void {
  const per = x.data.length / x.shape[0]!;
  const n = Math.min(64, x.shape[0]!);
  const tb: RtTensor = { shape: [n, ...x.shape.slice(1)], data: x.data.slice(0, n * per) };
  const out = join('build', name);
  const t0 = performance.now();
  // As `nn2hls compile` with no flags: a design over the part is folded to it (fitToPart).
  const { files, plan, estimate, fit } = compileProject(
    {
      model,
      out,
      precision: defaultConfig(),
      options: { ...DEFAULTS, layers: {} },
      runs: [[tb]],
      fitToPart: true,
    },
    g,
  );
  const ms = performance.now() - t0;
  process.stdout.write(
    `HLS project: ${out}/ (${files.size} files, io parallel, part ${DEFAULTS.part}, ${DEFAULTS.clockNs} ns clock) in ${ms.toFixed(0)} ms\n` +
      (fit ? `  fit: ${fit.message}\n` : '') +
      `  ${estimate} (assumed part ${DEFAULTS.part}; nn2hls estimate for others)\n` +
      `  synthesize: cd ${out} && vitis_hls -f build_prj.tcl   (Vivado HLS: vivado_hls -f build_prj.tcl)\n`,
  );
  // What the compiler chose per layer (the LayerPlan), and the layers it folded itself.
  const lines = [...planChanges(plan), ...planTable(plan).split('\n')];
  process.stdout.write(`${lines.map((l) => `  ${l}`).join('\n')}\n`);
}

/** What fixed point costs this model: the default ap_fixed<16,6> and post-training auto types. */
function fixedPointSummary(g: Graph, x: RtTensor, labels: Float32Array, calib: RtTensor): void {
  const cg = canonicalize(g);
  const rows: string[] = [];
  const variants: [string, () => PrecisionConfig][] = [
    ['ap_fixed<16,6>', () => defaultConfig()],
    ...[16, 10, 8].map((b): [string, () => PrecisionConfig] => [`auto ${b}-bit`, () => autoPrecision(g, [calib], { bits: b, run: runFloat })]),
  ];
  for (const [label, make] of variants) {
    const { graph } = prepareFixed(g, make());
    const t0 = performance.now();
    const r = simulate(cg, graph, [x], { labels }).report;
    const ms = performance.now() - t0;
    const over = r.layers.reduce((a, l) => a + l.overflows, 0);
    rows.push(
      `  ${label.padEnd(15)} accuracy ${(100 * r.fixed.accuracy!).toFixed(2)}%  agreement ${(100 * r.agreement).toFixed(2)}%  ` +
        `max |fixed − float| ${r.max_abs_error.toExponential(2)}  overflows ${over}  (${ms.toFixed(0)} ms)`,
    );
  }
  process.stdout.write(`bit-accurate fixed point (float accuracy as above; auto calibrated on ${calib.shape[0]} samples):\n${rows.join('\n')}\n`);
}
