/**
 * The post-training quantization table: for every bundled example model, top-1 accuracy on its
 * bundled samples in float, at ap_fixed<16,6>, and with `--precision auto` at 8 and 6 bits (for
 * each calibration method asked for), all through the bit-accurate simulator. With `--mnist`
 * the MNIST models are also measured on the 2000 held-out MNIST images 8000..9999 read from
 * ../shared/datasets/mnist (the bundled sets are only 100 images, one image = 1 point).
 *
 *   npx tsx scripts/ptq-table.ts [--calibration max,percentile,mse] [--bits 8,6] [--mnist]
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { loadModel, loadModelAsync } from '../src/frontend/index.js';
import type { Graph } from '../src/ir/graph.js';
import { defaultConfig, type PrecisionConfig } from '../src/ir/precision-config.js';
import { autoPrecision, type Calibration } from '../src/passes/auto-precision.js';
import { canonicalize, prepareFixed } from '../src/passes/pipeline.js';
import { predictions, simulate } from '../src/sim/compare.js';
import { runFloat } from '../src/sim/float/executor.js';
import type { RtTensor } from '../src/ir/semantics/tensor.js';
import { readNpyFile } from '../src/util/npy.js';
import { toFloat32 } from '../src/util/tensor.js';

const root = 'examples';
const arg = (k: string, d: string) => {
  const i = process.argv.indexOf(k);
  return i >= 0 ? process.argv[i + 1]! : d;
};
// A method may end in '-nobc' (bias correction off).
const methods = arg('--calibration', 'max,mse').split(',');
const optsOf = (m: string) => ({ calibration: m.replace(/-nobc$/, '') as Calibration, ...(m.endsWith('-nobc') ? { biasCorrection: false } : {}) });
const bitsList = arg('--bits', '8,6').split(',').map(Number);

function npy(name: string): RtTensor {
  const t = readNpyFile(join(root, name));
  return { shape: [...t.shape], data: toFloat32(t) };
}
function fixture(name: string): RtTensor {
  const t = readNpyFile(join('test/fixtures/ptq', name));
  return { shape: [...t.shape], data: toFloat32(t) };
}
function labelsOf(name: string): Float32Array {
  return toFloat32(readNpyFile(join(root, name)));
}
function head(t: RtTensor, n: number): RtTensor {
  const per = t.data.length / t.shape[0]!;
  return { shape: [n, ...t.shape.slice(1)], data: t.data.slice(0, n * per) };
}
function nhwc(t: RtTensor): RtTensor {
  const [n, c, h, w] = t.shape as [number, number, number, number];
  const out = new Float32Array(t.data.length);
  for (let i = 0; i < n; i++) for (let k = 0; k < c; k++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    out[((i * h + y) * w + x) * c + k] = t.data[((i * c + k) * h + y) * w + x]!;
  }
  return { shape: [n, h, w, c], data: out };
}

function mnistHeldOut(pad32: boolean): { x: RtTensor; y: Float32Array } | null {
  const dir = '../shared/datasets/mnist';
  if (!existsSync(join(dir, 't10k-images-idx3-ubyte.gz'))) return null;
  const img = gunzipSync(readFileSync(join(dir, 't10k-images-idx3-ubyte.gz')));
  const lab = gunzipSync(readFileSync(join(dir, 't10k-labels-idx1-ubyte.gz')));
  const n = 2000;
  const s = pad32 ? 32 : 28;
  const ch = pad32 ? 3 : 1;
  const x = new Float32Array(n * ch * s * s);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = lab[8 + 8000 + i]!;
    for (let r = 0; r < 28; r++) for (let c = 0; c < 28; c++) {
      const v = img[16 + (8000 + i) * 784 + r * 28 + c]! / 255;
      for (let k = 0; k < ch; k++) x[((i * ch + k) * s + r + (pad32 ? 2 : 0)) * s + c + (pad32 ? 2 : 0)] = v;
    }
  }
  return { x: { shape: [n, ch, s, s], data: x }, y };
}

interface Case {
  name: string;
  g: () => Promise<Graph>;
  x: RtTensor;
  labels: Float32Array;
  calib: RtTensor;
}

const digitsLabels = labelsOf('digits_labels.npy');
const mnistLabels = labelsOf('mnist_labels.npy');
const only = arg('--models', '');
const all: Case[] = [
  { name: 'digits_mlp', g: async () => loadModel(join(root, 'digits_mlp.onnx')), x: npy('digits_mlp_input.npy'), labels: digitsLabels, calib: npy('digits_mlp_calib.npy') },
  { name: 'digits_mlp_keras', g: async () => (await loadModelAsync(join(root, 'digits_mlp_keras.h5'))).graph, x: npy('digits_mlp_input.npy'), labels: digitsLabels, calib: npy('digits_mlp_calib.npy') },
  { name: 'digits_cnn', g: async () => loadModel(join(root, 'digits_cnn.onnx')), x: npy('digits_cnn_input.npy'), labels: digitsLabels, calib: npy('digits_cnn_calib.npy') },
  { name: 'digits_cnn_tf', g: async () => loadModel(join(root, 'digits_cnn_tf.pb')), x: nhwc(npy('digits_cnn_input.npy')), labels: digitsLabels, calib: nhwc(npy('digits_cnn_calib.npy')) },
  ...['lenet5_mnist', 'dsconv_mnist', 'resnet_mnist'].map((m): Case => ({
    name: m, g: async () => loadModel(join(root, `${m}.onnx`)), x: npy('mnist_input.npy'), labels: mnistLabels, calib: npy('mnist_calib.npy'),
  })),
  {
    name: 'dsconv_bn_digits', g: async () => loadModel('test/fixtures/ptq/dsconv_bn_digits.onnx'),
    x: fixture('dsconv_bn_digits_test.npy'), labels: toFloat32(readNpyFile('test/fixtures/ptq/dsconv_bn_digits_labels.npy')), calib: fixture('dsconv_bn_digits_calib.npy'),
  },
  { name: 'cnn32_mnist', g: async () => loadModel(join(root, 'cnn32_mnist.onnx')), x: npy('cnn32_mnist_test.npy'), labels: labelsOf('cnn32_mnist_test_labels.npy'), calib: npy('cnn32_mnist_calib.npy') },
];
const cases = only ? all.filter((c) => only.split(',').includes(c.name)) : all;
if (process.argv.includes('--mnist')) {
  const m28 = mnistHeldOut(false);
  const m32 = mnistHeldOut(true);
  if (m28 && m32) {
    for (const m of ['lenet5_mnist', 'dsconv_mnist', 'resnet_mnist']) {
      cases.push({ name: `${m} (2000)`, g: async () => loadModel(join(root, `${m}.onnx`)), x: m28.x, labels: m28.y, calib: npy('mnist_calib.npy') });
    }
    cases.push({ name: 'cnn32_mnist (2000)', g: async () => loadModel(join(root, 'cnn32_mnist.onnx')), x: m32.x, labels: m32.y, calib: npy('cnn32_mnist_calib.npy') });
  }
}

const pct = (v: number) => `${(100 * v).toFixed(1)}`.padStart(6);
const cols = ['model', 'n', 'float', '<16,6>', ...bitsList.flatMap((b) => methods.map((m) => `${m}-${b}`))];
process.stdout.write(`${cols.map((c, i) => (i === 0 ? c.padEnd(20) : c.padStart(i === 1 ? 5 : 8))).join(' ')}\n`);
for (const c of cases) {
  const g = await c.g();
  const cg = canonicalize(g);
  const [yf] = runFloat(cg, [c.x]);
  const pf = predictions(yf!);
  const floatAcc = pf.reduce((a, p, i) => a + (p === c.labels[i] ? 1 : 0), 0) / pf.length;
  const acc = (cfg: PrecisionConfig) => simulate(cg, prepareFixed(g, cfg).graph, [c.x], { labels: c.labels }).report.fixed.accuracy!;
  const row = [c.name.padEnd(20), String(pf.length).padStart(5), pct(floatAcc).padStart(8), pct(acc(defaultConfig())).padStart(8)];
  for (const b of bitsList) for (const m of methods) row.push(pct(acc(autoPrecision(g, [c.calib], { bits: b, ...optsOf(m), run: runFloat }))).padStart(8));
  process.stdout.write(`${row.join(' ')}\n`);
}
void head;
