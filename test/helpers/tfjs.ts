/**
 * The float oracle for TensorFlow models: @tensorflow/tfjs (pure JavaScript CPU backend).
 * TF.js graph-models load as they are, from files through a custom IO handler. A frozen
 * GraphDef is turned into an in-memory graph-model artifact here, independently of nn2hls's
 * reader: the graph is pruned to the nodes between the chosen inputs and outputs (cut inputs
 * become Placeholders), and every Const's value is decoded by this file's own small decoder
 * into the weight buffer, since TF.js takes Const values from the weights by node name.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { tfType } from '../../src/frontend/tf/schema.js';

let ready: Promise<void> | undefined;
export function tfReady(): Promise<void> {
  ready ??= (async () => {
    await tf.setBackend('cpu');
    await tf.ready();
    // TF.js has no Softsign; TF defines it as x / (1 + |x|).
    tf.registerOp('Softsign', (node) => {
      const x = node.inputs[0]!;
      return tf.div(x, tf.add(tf.abs(x), 1));
    });
  })();
  return ready;
}

function concat(parts: Uint8Array[]): ArrayBuffer {
  const n = parts.reduce((s, p) => s + p.byteLength, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out.buffer;
}

/** Loads a TF.js graph-model directory (model.json + shards) from disk. */
export async function loadTfjsGraphModel(dir: string): Promise<tf.GraphModel> {
  await tfReady();
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const specs: tf.io.WeightsManifestEntry[] = [];
  const parts: Uint8Array[] = [];
  for (const g of json.weightsManifest) {
    specs.push(...g.weights);
    for (const p of g.paths) parts.push(readFileSync(join(dir, p)));
  }
  const handler: tf.io.IOHandler = {
    load: async () => ({ modelTopology: json.modelTopology, format: json.format, generatedBy: json.generatedBy, convertedBy: json.convertedBy, weightSpecs: specs, weightData: concat(parts) }),
  };
  return tf.loadGraphModel(handler);
}

interface JNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, { tensor?: JTensor; [k: string]: unknown }>;
}
interface JTensor {
  dtype?: string;
  tensorShape?: { dim?: { size?: string }[] };
  tensorContent?: string;
  floatVal?: number[];
  intVal?: number[];
  int64Val?: string[];
  boolVal?: boolean[];
}

/** Const value → [TF.js dtype, shape, data] (float32/int32/bool only, which the shared models use). */
function constValue(t: JTensor, name: string): { dtype: 'float32' | 'int32' | 'bool'; shape: number[]; data: Float32Array | Int32Array | Uint8Array } {
  const shape = (t.tensorShape?.dim ?? []).map((d) => Number(d.size ?? 0));
  const n = shape.reduce((p, d) => p * d, 1);
  const raw = t.tensorContent ? Buffer.from(t.tensorContent, 'base64') : undefined;
  const fillFrom = <T extends Float32Array | Int32Array | Uint8Array>(out: T, vals: ArrayLike<number>): T => {
    for (let i = 0; i < n; i++) out[i] = vals.length ? vals[Math.min(i, vals.length - 1)]! : 0;
    return out;
  };
  switch (t.dtype) {
    case 'DT_FLOAT':
      return { dtype: 'float32', shape, data: raw ? new Float32Array(new Uint8Array(raw).buffer.slice(0)) : fillFrom(new Float32Array(n), t.floatVal ?? []) };
    case 'DT_INT32':
      return { dtype: 'int32', shape, data: raw ? new Int32Array(new Uint8Array(raw).buffer.slice(0)) : fillFrom(new Int32Array(n), t.intVal ?? []) };
    case 'DT_INT64': {
      const v = raw ? Array.from(new BigInt64Array(new Uint8Array(raw).buffer.slice(0)), Number) : (t.int64Val ?? []).map(Number);
      return { dtype: 'int32', shape, data: fillFrom(new Int32Array(n), v) };
    }
    case 'DT_BOOL':
      return { dtype: 'bool', shape, data: raw ? new Uint8Array(raw) : fillFrom(new Uint8Array(n), (t.boolVal ?? []).map(Number)) };
    default:
      throw new Error(`oracle: Const '${name}' of ${t.dtype} is not handled`);
  }
}

/**
 * A frozen GraphDef (.pb) as a TF.js GraphModel, cut to `inputs` (name → full dims, -1 for
 * batch) and `outputs`.
 */
export async function graphDefAsTfjs(pb: string | Uint8Array, inputs: Record<string, number[]>, outputs: string[]): Promise<tf.GraphModel> {
  await tfReady();
  const T = tfType('GraphDef');
  const obj = T.toObject(T.decode(typeof pb === 'string' ? readFileSync(pb) : pb), { enums: String, longs: String, bytes: String, defaults: false }) as { node: JNode[]; versions?: unknown };
  const byName = new Map(obj.node.map((n) => [n.name, n]));
  const keep = new Map<string, JNode>();
  const base = (ref: string) => ref.replace(/^\^/, '').replace(/:\d+$/, '');
  const stack = outputs.map(base);
  while (stack.length) {
    const name = stack.pop()!;
    if (keep.has(name)) continue;
    if (name in inputs) {
      keep.set(name, {
        name,
        op: 'Placeholder',
        attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim: inputs[name]!.map((d) => ({ size: String(d) })) } } },
      });
      continue;
    }
    const n = byName.get(name);
    if (!n) throw new Error(`oracle: no node '${name}'`);
    const data = (n.input ?? []).filter((i) => !i.startsWith('^'));
    // TF1 graphs omit attrs at their registered default; TF.js's executor reads some unconditionally.
    const attr = { ...(n.attr ?? {}) };
    if (['Conv2D', 'DepthwiseConv2dNative'].includes(n.op) && !attr['dilations']) attr['dilations'] = { list: { i: ['1', '1', '1', '1'] } };
    keep.set(name, { ...n, input: data, attr });
    stack.push(...data.map(base));
  }
  const specs: tf.io.WeightsManifestEntry[] = [];
  const parts: Uint8Array[] = [];
  const nodes = obj.node.filter((n) => keep.has(n.name)).map((n) => keep.get(n.name)!);
  for (const n of nodes) {
    if (n.op !== 'Const') continue;
    const v = constValue(n.attr!['value']!.tensor!, n.name);
    specs.push({ name: n.name, shape: v.shape, dtype: v.dtype });
    parts.push(new Uint8Array(v.data.buffer, v.data.byteOffset, v.data.byteLength));
    n.attr!['value'] = { tensor: { dtype: n.attr!['value']!.tensor!.dtype, tensorShape: n.attr!['value']!.tensor!.tensorShape } };
  }
  const handler: tf.io.IOHandler = {
    load: async () => ({ modelTopology: { node: nodes, versions: obj.versions ?? { producer: 1 } }, format: 'graph-model', weightSpecs: specs, weightData: concat(parts) }),
  };
  return tf.loadGraphModel(handler);
}

/** Runs a graph model on one float32 input, returning the output's data. */
export async function runTfjs(m: tf.GraphModel, feeds: Record<string, { shape: number[]; data: Float32Array }>, output: string): Promise<Float32Array> {
  const inT: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(feeds)) inT[k] = tf.tensor(v.data, v.shape, 'float32');
  const out = (await m.executeAsync(inT, output)) as tf.Tensor;
  const data = (await out.data()) as Float32Array;
  tf.dispose([out, ...Object.values(inT)]);
  return Float32Array.from(data);
}

export { dirname };
