/**
 * The designs behind the published calibration points, rebuilt as nn2hls graphs: hls4ml's CI
 * baselines (test/pytest/test_keras_api.py: Dense(2) on 1 input + ELU; Dense(64) on 1 input +
 * an activation; Average/MaxPooling 1-D on (121,3) and 2-D on (18,15,3), same/valid; Conv2D 32
 * filters 4x4 stride 4 on 28x28x3; DepthwiseConv1D(3) on 32x3 and DepthwiseConv2D(3x3) on
 * 32x32x3; the test_report Dense(5) on 16 inputs + ReLU) and the jet tagger from
 * ../shared/models/onnx/three_layer_keras.onnx. Weights follow the Keras initialisers those tests
 * use, drawn from a fixed seed (the published runs used unseeded random weights, so individual
 * constant-weight products differ; the distributions match).
 */
import type { Graph, Node, Value } from '../src/ir/graph.js';
import { loadModel } from '../src/frontend/index.js';

let seed = 0x9e3779b9;
function rnd(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
}
const uniform = (lo: number, hi: number) => lo + (hi - lo) * rnd();
const normal = (sd: number) => sd * Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());

const dyn = (name: string, shape: number[]): Value => ({ name, shape, elem: 'float32' });
const konst = (name: string, shape: number[], f: () => number): Value => ({
  name, shape, elem: 'float32', data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, f),
});
const node = (name: string, op: string, inputs: string[], outputs: string[], attrs: object = {}): Node =>
  ({ name, op, inputs, outputs, attrs }) as unknown as Node;

function graph(name: string, values: Value[], nodes: Node[], input: string, output: string): Graph {
  const vs = new Map(values.map((v) => [v.name, v]));
  const io = (v: string) => ({ modelName: v, value: v, modelShape: [null, ...vs.get(v)!.shape], elem: 'float32' as const });
  return { name, batched: true, values: vs, nodes, inputs: [io(input)], outputs: [io(output)], source: `bench:${name}` };
}

const ACT: { [k: string]: { op: string; attrs?: object; extra?: Value } } = {
  relu: { op: 'Relu' },
  leaky_relu: { op: 'LeakyRelu', attrs: { alpha: 1.0 } },
  elu: { op: 'Elu', attrs: { alpha: 1.0 } },
  sigmoid: { op: 'Sigmoid' },
  prelu: { op: 'PRelu' },
};

/** Dense(units) on `nIn` inputs with the given initialiser, then an activation. */
function denseAct(nIn: number, units: number, init: () => number, act: string): Graph {
  const a = ACT[act];
  if (!a) throw new Error(`bench: no activation '${act}'`);
  const values = [dyn('x', [nIn]), konst('w', [nIn, units], init), konst('b', [units], () => 0), dyn('h', [units]), dyn('y', [units])];
  const ins = ['h'];
  if (a.op === 'PRelu') {
    values.push(konst('slope', [units], () => 0));
    ins.push('slope');
  }
  return graph(`dense${units}_${act}`, values, [node('dense', 'Dense', ['x', 'w', 'b'], ['h']), node(act, a.op, ins, ['y'], a.attrs ?? {})], 'x', 'y');
}

function pool(kind: 'Max' | 'Avg', rank: 1 | 2, padding: 'same' | 'valid'): Graph {
  const inSp = rank === 1 ? [121] : [18, 15];
  const outSp = inSp.map((d) => (padding === 'same' ? Math.ceil(d / 2) : Math.floor((d - 2) / 2) + 1));
  const padEnd = inSp.map((d, i) => (padding === 'same' ? Math.max(0, (outSp[i]! - 1) * 2 + 2 - d) : 0));
  const attrs = {
    kernel: inSp.map(() => 2), strides: inSp.map(() => 2), dilations: inSp.map(() => 1),
    pads: [...inSp.map(() => 0), ...padEnd], ceilMode: false, ...(kind === 'Avg' ? { countIncludePad: false } : {}),
  };
  return graph(`${kind}Pool${rank}D_${padding}`, [dyn('x', [...inSp, 3]), dyn('y', [...outSp, 3])], [node('pool', `${kind}Pool`, ['x'], ['y'], attrs)], 'x', 'y');
}

function conv(name: string, inSp: number[], c: number, k: number[], cout: number, stride: number, group: number, init: () => number, outSp: number[]): Graph {
  const attrs = { kernel: k, strides: k.map(() => stride), dilations: k.map(() => 1), pads: [...k.map(() => 0), ...k.map(() => 0)], group };
  return graph(name, [dyn('x', [...inSp, c]), konst('w', [...k, c / group, cout], init), dyn('y', [...outSp, cout])], [node('conv', 'Conv', ['x', 'w'], ['y'], attrs)], 'x', 'y');
}

export interface Design {
  readonly graph: Graph;
  /** Precision of every variable (hls4ml's default_precision). */
  readonly precision: string;
}

/** The nn2hls design for a calibration row, by its id and arch; null when we have no rebuild. */
export function designFor(id: string, sharedModels: string): Design | null {
  seed = 0x9e3779b9 ^ id.length * 7919;
  const p16 = 'ap_fixed<16,6>';
  if (id.startsWith('T-')) return { graph: loadModel(`${sharedModels}/onnx/three_layer_keras.onnx`), precision: p16 };
  if (id === 'C-test_report') return { graph: denseAct(16, 5, () => uniform(-Math.sqrt(6 / 21), Math.sqrt(6 / 21)), 'relu'), precision: p16 };
  const m = /__(dense|activations|pooling|conv2d|depthwise1d|depthwise2d)_/.exec(id);
  if (!m) return null;
  switch (m[1]) {
    case 'dense':
      return { graph: denseAct(1, 2, () => uniform(1, 10), 'elu'), precision: p16 };
    case 'activations': {
      const act = /-(elu|leaky_relu|prelu|relu|sigmoid)$/.exec(id)?.[1];
      return act ? { graph: denseAct(1, 64, () => uniform(-Math.sqrt(3), Math.sqrt(3)), act), precision: p16 } : null;
    }
    case 'pooling': {
      const pm = /-(same|valid)-(Average|Max)Pooling([12])D$/.exec(id);
      return pm ? { graph: pool(pm[2] === 'Max' ? 'Max' : 'Avg', Number(pm[3]) as 1 | 2, pm[1] as 'same' | 'valid'), precision: p16 } : null;
    }
    case 'conv2d':
      return { graph: conv('conv2d', [28, 28], 3, [4, 4], 32, 4, 1, () => normal(0.05), [7, 7]), precision: p16 };
    case 'depthwise1d':
      return { graph: conv('depthwise1d', [32], 3, [3], 3, 1, 3, () => uniform(-1, 1), [30]), precision: p16 };
    case 'depthwise2d':
      return { graph: conv('depthwise2d', [32, 32], 3, [3, 3], 3, 1, 3, () => uniform(-1, 1), [30, 30]), precision: 'ap_fixed<32,12>' };
  }
  return null;
}
