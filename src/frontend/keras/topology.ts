/**
 * A Keras model config as a format-neutral list of layer calls. Sequential models (Keras 2.0's
 * bare list, later {name, layers}, with or without an InputLayer) become a chain; functional
 * models keep their wiring: each call names its input tensors as (layer, node index, tensor
 * index), read from Keras 2 `inbound_nodes` ([[layer, node, tensor, kwargs], ...]) or Keras 3
 * ({args: [{keras_history: [layer, node, tensor]}]}). A layer called twice (shared) yields two
 * calls. Calls come out in an order where every input is produced before it is read.
 */
import { NnInputError } from '../../util/tensor.js';

export type TensorRef = string;
export const ref = (layer: string, node: number, tensor: number): TensorRef => `${layer}:${node}:${tensor}`;

export interface LayerCall {
  readonly name: string;
  readonly className: string;
  readonly config: Record<string, unknown>;
  /** Which call of the layer this is (0 for the first). */
  readonly node: number;
  readonly inputs: readonly TensorRef[];
}

export interface ModelInput {
  readonly name: string;
  /** Per-sample shape (batch dim dropped). */
  readonly shape: readonly number[];
}

export interface Topology {
  readonly name: string;
  readonly inputs: readonly ModelInput[];
  readonly calls: readonly LayerCall[];
  readonly outputs: readonly TensorRef[];
  readonly outputNames: readonly string[];
}

type Obj = Record<string, unknown>;

function inputShapeOf(cfg: Obj): (number | null)[] | null {
  const b = (cfg['batch_input_shape'] ?? cfg['batch_shape']) as (number | null)[] | undefined;
  if (Array.isArray(b)) return b;
  const s = cfg['input_shape'] as (number | null)[] | undefined;
  if (Array.isArray(s)) return [null, ...s];
  return null;
}

function staticShape(shape: (number | null)[], where: string): number[] {
  const per = shape.slice(1);
  per.forEach((d, i) => {
    if (typeof d !== 'number' || d <= 0) {
      throw new NnInputError(`${where}: input dim ${i + 1} is ${d === null ? 'None (unknown)' : d}; nn2hls needs static shapes apart from the batch dim — set it in the InputLayer`);
    }
  });
  return per as number[];
}

function layerName(l: Obj): string {
  return String((l['config'] as Obj | undefined)?.['name'] ?? l['name'] ?? '');
}

/** Normalizes one Keras 3 or Keras 2 inbound spec to tensor refs. */
function inboundRefs(node: unknown, where: string): TensorRef[] {
  if (Array.isArray(node)) {
    return node.map((e) => {
      if (!Array.isArray(e) || typeof e[0] !== 'string') throw new NnInputError(`${where}: cannot read inbound node ${JSON.stringify(e).slice(0, 80)}`);
      return ref(e[0], Number(e[1] ?? 0), Number(e[2] ?? 0));
    });
  }
  if (node && typeof node === 'object') {
    const out: TensorRef[] = [];
    const visit = (v: unknown) => {
      if (Array.isArray(v)) return v.forEach(visit);
      if (!v || typeof v !== 'object') return;
      const o = v as Obj;
      if (o['class_name'] === '__keras_tensor__') {
        const h = (o['config'] as Obj)['keras_history'] as [string, number, number];
        out.push(ref(h[0], Number(h[1]), Number(h[2])));
        return;
      }
      Object.values(o).forEach(visit);
    };
    visit((node as Obj)['args']);
    return out;
  }
  throw new NnInputError(`${where}: cannot read inbound node ${JSON.stringify(node).slice(0, 80)}`);
}

function ioRefs(v: unknown): TensorRef[] {
  if (!Array.isArray(v)) return [];
  if (v.length > 0 && typeof v[0] === 'string') return [ref(v[0] as string, Number(v[1] ?? 0), Number(v[2] ?? 0))];
  return v.map((e) => ref(String((e as unknown[])[0]), Number((e as unknown[])[1] ?? 0), Number((e as unknown[])[2] ?? 0)));
}

const NESTED = new Set(['Sequential', 'Functional', 'Model']);

export function readTopology(model: Obj, source: string): Topology {
  const cls = String(model['class_name']);
  const cfg = model['config'];
  if (cls === 'Sequential') return sequential(cfg, source);
  if (cls === 'Model' || cls === 'Functional') return functional(cfg as Obj, source);
  throw new NnInputError(`${source}: model class '${cls}' is not a Keras Sequential or functional Model`);
}

function refuseNested(layers: Obj[], source: string): void {
  const nested = layers.filter((l) => NESTED.has(String(l['class_name'])));
  if (nested.length) {
    throw new NnInputError(
      `${source}: nested models are not supported (${nested.map((l) => `'${layerName(l)}' (${l['class_name']})`).join(', ')}); flatten the model before saving`,
    );
  }
}

function sequential(cfg: unknown, source: string): Topology {
  const layers = (Array.isArray(cfg) ? cfg : ((cfg as Obj)?.['layers'] as Obj[])) as Obj[] | undefined;
  if (!Array.isArray(layers) || layers.length === 0) throw new NnInputError(`${source}: Sequential model without layers`);
  refuseNested(layers, source);
  const name = Array.isArray(cfg) ? 'sequential' : String((cfg as Obj)['name'] ?? 'sequential');
  let rest = layers;
  let input: ModelInput;
  const first = layers[0]!;
  const firstCfg = (first['config'] ?? {}) as Obj;
  const shape = inputShapeOf(firstCfg);
  if (!shape) throw new NnInputError(`${source}: the first layer '${layerName(first)}' declares no input shape (batch_input_shape); build the model with an Input before saving`);
  if (first['class_name'] === 'InputLayer') {
    input = { name: layerName(first), shape: staticShape(shape, `${source}: input '${layerName(first)}'`) };
    rest = layers.slice(1);
  } else {
    input = { name: `${layerName(first)}_input`, shape: staticShape(shape, `${source}: layer '${layerName(first)}'`) };
  }
  let prev = ref(input.name, 0, 0);
  const calls: LayerCall[] = rest.map((l) => {
    const c: LayerCall = { name: layerName(l), className: String(l['class_name']), config: (l['config'] ?? {}) as Obj, node: 0, inputs: [prev] };
    prev = ref(c.name, 0, 0);
    return c;
  });
  return { name, inputs: [input], calls, outputs: [prev], outputNames: [calls.length ? calls[calls.length - 1]!.name : input.name] };
}

function functional(cfg: Obj, source: string): Topology {
  const layers = cfg['layers'] as Obj[] | undefined;
  if (!Array.isArray(layers)) throw new NnInputError(`${source}: functional model without layers`);
  refuseNested(layers, source);
  const inputs: ModelInput[] = [];
  const pending: LayerCall[] = [];
  for (const l of layers) {
    const name = layerName(l);
    const className = String(l['class_name']);
    const lc = (l['config'] ?? {}) as Obj;
    if (className === 'InputLayer') {
      const shape = inputShapeOf(lc);
      if (!shape) throw new NnInputError(`${source}: InputLayer '${name}' has no batch_input_shape`);
      inputs.push({ name, shape: staticShape(shape, `${source}: input '${name}'`) });
      continue;
    }
    const nodes = (l['inbound_nodes'] ?? []) as unknown[];
    nodes.forEach((node, k) => {
      pending.push({ name, className, config: lc, node: k, inputs: inboundRefs(node, `${source}: layer '${name}'`) });
    });
  }
  // Order calls so inputs come first (configs are usually in order already).
  const have = new Set(inputs.map((i) => ref(i.name, 0, 0)));
  const calls: LayerCall[] = [];
  let left = pending;
  while (left.length) {
    const next: LayerCall[] = [];
    for (const c of left) {
      if (c.inputs.every((r) => have.has(r))) {
        calls.push(c);
        // Multi-output layers (none in the supported set but RNN states) expose tensor 0..k.
        for (let t = 0; t < 4; t++) have.add(ref(c.name, c.node, t));
      } else next.push(c);
    }
    if (next.length === left.length) {
      const c = next[0]!;
      const missing = c.inputs.filter((r) => !have.has(r)).map((r) => r.split(':')[0]);
      throw new NnInputError(`${source}: layer '${c.name}' (${c.className}) reads ${missing.map((m) => `'${m}'`).join(', ')}, which no layer produces`);
    }
    left = next;
  }
  const outputs = ioRefs(cfg['output_layers']);
  const declaredIn = ioRefs(cfg['input_layers']).map((r) => r.split(':')[0]!);
  const ordered = declaredIn.length ? declaredIn.map((n) => inputs.find((i) => i.name === n)!).filter(Boolean) : inputs;
  if (outputs.length === 0) throw new NnInputError(`${source}: functional model declares no output_layers`);
  return { name: String(cfg['name'] ?? 'model'), inputs: ordered, calls, outputs, outputNames: outputs.map((r) => r.split(':')[0]!) };
}
