/**
 * `npx tsx bench/optimize.ts [name...]`: `nn2hls optimize --max-accuracy-drop 1% --objective dsp`
 * on the bundled examples with their labels, and on the jet tagger of ../shared (which has no
 * labels: they are the float model's argmax on seeded random inputs, said in the output). Prints,
 * per example, the ap_fixed<16,6> default design and the optimized one at the same folding:
 * held-out top-1, DSP, LUT, BRAM_18K, latency, power, the search time (wall and CPU: on a
 * shared machine the wall time depends on the load, the CPU time much less; the search itself
 * depends on neither), and whether the 2-minute budget cut it. `--config-dir DIR` writes each
 * chosen config to DIR/<name>.json (for `nn2hls compile --config` and csim).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { loadModel } from '../src/frontend/index.js';
import { readInputTensor, readTensorFile } from '../src/cli/io.js';
import { resolvePart } from '../src/estimate/devices.js';
import { chosenConfigJson, optimize, type OptimizeResult } from '../src/optimize/index.js';
import { mulberry32 } from '../src/optimize/split.js';
import { predictions } from '../src/sim/compare.js';
import { runFloat } from '../src/sim/float/executor.js';
import type { RtTensor } from '../src/ir/semantics/tensor.js';
import { toFloat32 } from '../src/util/tensor.js';
import { formatPower, formatTime } from '../src/util/units.js';

interface Case {
  name: string;
  model: string;
  input: string;
  labels: string;
  calib?: string;
  /** Only the first rows of the labels file label the inputs. */
  labelRows?: number;
  /** Labels are the float model's own argmax on seeded random inputs. */
  synthetic?: { features: number; samples: number };
}

const EX = 'examples';
const JET = '../shared/models/onnx/three_layer_keras.onnx';
const CASES: Case[] = [
  { name: 'digits_mlp', model: `${EX}/digits_mlp.onnx`, input: `${EX}/digits_mlp_input.npy`, labels: `${EX}/digits_labels.npy`, calib: `${EX}/digits_mlp_calib.npy` },
  { name: 'digits_cnn', model: `${EX}/digits_cnn.onnx`, input: `${EX}/digits_cnn_input.npy`, labels: `${EX}/digits_labels.npy`, calib: `${EX}/digits_cnn_calib.npy` },
  { name: 'lenet5_mnist', model: `${EX}/lenet5_mnist.onnx`, input: `${EX}/mnist_input.npy`, labels: `${EX}/mnist_labels.npy`, calib: `${EX}/mnist_calib.npy` },
  { name: 'cnn32_mnist', model: `${EX}/cnn32_mnist.onnx`, input: `${EX}/cnn32_mnist_test.npy`, labels: `${EX}/cnn32_mnist_test_labels.npy`, calib: `${EX}/cnn32_mnist_calib.npy` },
  { name: 'dsconv_mnist', model: `${EX}/dsconv_mnist.onnx`, input: `${EX}/mnist_input.npy`, labels: `${EX}/mnist_labels.npy`, calib: `${EX}/mnist_calib.npy` },
  { name: 'resnet_mnist', model: `${EX}/resnet_mnist.onnx`, input: `${EX}/mnist_input.npy`, labels: `${EX}/mnist_labels.npy`, calib: `${EX}/mnist_calib.npy` },
  { name: 'jet_tagger', model: JET, input: '', labels: '', synthetic: { features: 16, samples: 1000 } },
];

function gaussian(seed: number, n: number, features: number): RtTensor {
  const rnd = mulberry32(seed);
  const data = Float32Array.from({ length: n * features }, () => {
    const u = Math.max(rnd(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd());
  });
  return { shape: [n, features], data };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function row(name: string, r: OptimizeResult): string {
  const d = r.chosenDesign;
  const cells = (label: string, acc: number, e: OptimizeResult['reference']['estimate']) =>
    `| ${name} | ${label} | ${pct(acc)} | ${e.total.dsp} | ${e.total.lut} | ${e.total.bram18k} | ${e.total.latency_cycles} (${formatTime(e.total.latency_s, 3)}) | ${formatPower(e.power.total_w, 3)} |`;
  return [
    cells('float', r.float.heldOut, r.reference.estimate).replace(/\| [^|]+\| [^|]+\| [^|]+\| [^|]+\| [^|]+\|$/, '|  |  |  |  |  |'),
    cells('ap_fixed<16,6>', r.reference.heldOut.accuracy, r.reference.estimate),
    d ? cells('optimized', d.heldOut.accuracy, d.estimate) : `| ${name} | optimized | none: ${r.unmet.join('; ')} |`,
  ].join('\n');
}

const args = process.argv.slice(2);
const cd = args.indexOf('--config-dir');
const configDir = cd >= 0 ? args.splice(cd, 2)[1] : undefined;
const only = args;
const lines: string[] = [];
for (const c of CASES) {
  if (only.length && !only.includes(c.name)) continue;
  if (!existsSync(c.model)) {
    console.log(`${c.name}: skipped (${c.model} absent)`);
    continue;
  }
  const g = loadModel(c.model);
  let inputs: RtTensor[];
  let labels: Float32Array;
  let labelShape: number[];
  let calib: RtTensor[] | undefined;
  let note = '';
  if (c.synthetic) {
    const x = gaussian(7, c.synthetic.samples, c.synthetic.features);
    inputs = [x];
    labels = Float32Array.from(predictions(runFloat(g, inputs)[0]!));
    labelShape = [c.synthetic.samples];
    note = ` (no labels exist: labels are the float model's argmax on ${c.synthetic.samples} seeded N(0,1) inputs)`;
  } else {
    inputs = [readInputTensor(c.input)];
    const lt = readTensorFile(c.labels);
    labels = toFloat32(lt).slice(0, c.labelRows ?? lt.shape[0]);
    labelShape = [c.labelRows ?? lt.shape[0]!, ...lt.shape.slice(1)];
    calib = c.calib ? [readInputTensor(c.calib)] : undefined;
  }
  const cpu0 = process.cpuUsage();
  const r = optimize({
    graph: g, data: { inputs, labels, labelShape }, ...(calib ? { calib } : {}),
    est: { part: resolvePart('xczu7ev'), clockNs: 5 }, folding: { io: 'parallel', strategy: 'latency', reuse: 1, layers: {}, fixed: false },
    constraints: {}, objective: 'dsp', maxDrop: 0.01, seed: 1, heldOutFraction: 0.5, budgetMs: 120_000,
  });
  const d = r.chosenDesign;
  const ok = d ? r.float.heldOut - d.heldOut.accuracy <= 0.01 + 1e-9 && d.estimate.total.dsp <= r.reference.estimate.total.dsp / 2 : false;
  const cpu = process.cpuUsage(cpu0);
  console.log(
    `${c.name}${note}: split ${r.split.choose}/${r.split.heldOut}, ${r.probes} candidates (${r.screened} screened out, ${r.simulatedSamples} samples simulated) in ${(r.ms / 1000).toFixed(1)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU; ` +
      `${r.stoppedByBudget ? 'CUT BY THE BUDGET' : 'converged within the budget'}; ${ok ? 'meets' : 'MISSES'} the goal (held-out within 1 point of float, DSP <= half the default)`,
  );
  if (r.folding) console.log(`  folding for dsp: DSP ${r.folding.from.estimate.total.dsp} -> ${r.folding.to.estimate.total.dsp}, latency ${r.folding.from.estimate.total.latency_cycles} -> ${r.folding.to.estimate.total.latency_cycles} cycles (${r.folding.probes} designs estimated)`);
  if (configDir && r.chosen) writeFileSync(`${configDir}/${c.name}.json`, chosenConfigJson(r, { part: 'xczu7ev', clockNs: 5 }, { io: 'parallel', strategy: 'latency', reuse: 1, layers: {}, fixed: false })!);
  console.log(row(c.name, r));
  lines.push(row(c.name, r));
}
console.log('\n| example | design | held-out top-1 | DSP | LUT | BRAM_18K | latency | power |\n|---|---|---|---|---|---|---|---|');
console.log(lines.join('\n'));
