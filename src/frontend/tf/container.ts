/**
 * The TensorFlow containers, each turned into one in-memory GraphDef plus a table of weights
 * by Const node name: a frozen GraphDef (.pb, binary protobuf), a TF.js graph-model
 * (model.json with the GraphDef as proto3 JSON and its weights in shard files, possibly
 * quantized, a group spread over several shards), and a TF2 SavedModel (saved_model.pb),
 * which is read when its graph is frozen and otherwise refused with how to freeze it.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { NnInputError } from '../../util/tensor.js';
import type { ConstT } from '../common/importer.js';
import { bundlePrefix, readBundle } from './bundle.js';
import { tfType, type TGraph, type TNode, type TTensor } from './schema.js';
import { decodeTfjsWeight, type TfjsWeightSpec, tfjsWeightBytes } from './tensor.js';

export interface TfContainer {
  /** 'GraphDef' | 'TF.js graph-model' | 'SavedModel'. */
  readonly kind: string;
  readonly graph: TGraph;
  /** Const values stored outside the graph (TF.js shards), by node name. */
  readonly weights: ReadonlyMap<string, ConstT>;
}

function readBytes(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new NnInputError(`${path}: cannot read the ${what} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** Ops that hold weights outside the graph: a graph containing them is not frozen. */
const VARIABLE_OPS = new Set(['VarHandleOp', 'VariableV2', 'Variable', 'ReadVariableOp', 'StatefulPartitionedCall', 'PartitionedCall', 'RestoreV2', 'AssignVariableOp']);

const FREEZE_HINT =
  'freeze it first: in TF2, `from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2`; ' +
  '`f = tf.function(model).get_concrete_function(tf.TensorSpec(shape, tf.float32))`; ' +
  '`tf.io.write_graph(convert_variables_to_constants_v2(f).graph, ".", "frozen.pb", as_text=False)` ' +
  '(TF1: tf.compat.v1.graph_util.convert_variables_to_constants), or convert it with tensorflowjs_converter --output_format=tfjs_graph_model';

export function decodeGraphDef(bytes: Uint8Array, source: string): TGraph {
  let g: TGraph;
  try {
    g = tfType('GraphDef').decode(bytes) as unknown as TGraph;
  } catch (e) {
    throw new NnInputError(`${source}: not a readable TensorFlow GraphDef (${(e as Error).message}); is the file truncated or of another format?`);
  }
  if (!g.node?.length || g.node.some((n) => !n.op)) {
    throw new NnInputError(`${source}: not a TensorFlow GraphDef (no nodes with an op found); expected a frozen graph written by tf.io.write_graph(..., as_text=False)`);
  }
  return g;
}

function readSavedModel(path: string): TfContainer {
  const bytes = readBytes(path, 'SavedModel');
  let sm: { metaGraphs?: { graphDef?: TGraph }[] };
  try {
    sm = tfType('SavedModel').decode(bytes) as unknown as typeof sm;
  } catch (e) {
    throw new NnInputError(`${path}: not a readable SavedModel (${(e as Error).message}); is the file truncated?`);
  }
  const graph = sm.metaGraphs?.[0]?.graphDef;
  if (!graph?.node?.length) throw new NnInputError(`${path}: the SavedModel has no graph`);
  const vars = graph.node.filter((n) => VARIABLE_OPS.has(n.op ?? ''));
  if (vars.length > 0) {
    const ops = [...new Set(vars.map((n) => n.op))].join(', ');
    const prefix = bundlePrefix(dirname(path));
    const calls = vars.some((n) => n.op === 'StatefulPartitionedCall' || n.op === 'PartitionedCall');
    if (calls || !existsSync(`${prefix}.index`)) {
      const why = calls ? 'its computation lives in functions (StatefulPartitionedCall), which nn2hls does not inline' : `its variables bundle ${prefix}.index is missing`;
      throw new NnInputError(`${path}: this SavedModel keeps its weights in variables (${ops}) and ${why}; ${FREEZE_HINT}`);
    }
    return { kind: 'SavedModel', graph: { ...graph, node: withVariables(graph.node, readBundle(prefix), path) }, weights: new Map() };
  }
  return { kind: 'SavedModel', graph, weights: new Map() };
}

/** Ops of the checkpoint saver and the variable initialisers: not part of the model. */
const SAVER_OPS = new Set(['RestoreV2', 'SaveV2', 'Assign', 'AssignVariableOp', 'MergeV2Checkpoints', 'VarIsInitializedOp', 'IsVariableInitialized']);

/**
 * The graph with its variables read from the bundle: each VariableV2/VarHandleOp becomes a
 * Const of its checkpoint tensor (key: shared_name, else the node name), ReadVariableOp an
 * Identity, and the saver/initialiser subgraph (what the saver ops feed, and what only fed it) is dropped.
 */
function withVariables(nodes: readonly TNode[], bundle: ReadonlyMap<string, TTensor>, path: string): TNode[] {
  const src = (ref: string) => ref.replace(/^\^/, '').split(':')[0]!;
  const consumers = new Map<string, string[]>();
  for (const n of nodes) for (const i of n.input ?? []) consumers.set(src(i), [...(consumers.get(src(i)) ?? []), n.name ?? '']);
  const drop = new Set<string>();
  const stack = nodes.filter((n) => SAVER_OPS.has(n.op ?? '')).map((n) => n.name ?? '');
  while (stack.length) {
    const n = stack.pop()!;
    if (drop.has(n)) continue;
    drop.add(n);
    stack.push(...(consumers.get(n) ?? []));
  }
  // What only fed the dropped nodes (file names, restore specs, initial values) goes too.
  for (let changed = true; changed; ) {
    changed = false;
    for (const n of nodes) {
      const name = n.name ?? '';
      const users = consumers.get(name) ?? [];
      if (!drop.has(name) && users.length > 0 && users.every((u) => drop.has(u))) {
        drop.add(name);
        changed = true;
      }
    }
  }
  return nodes.filter((n) => !drop.has(n.name ?? '')).map((n) => {
    if (n.op === 'VariableV2' || n.op === 'Variable' || n.op === 'VarHandleOp') {
      const shared = n.attr?.['shared_name']?.s;
      const key = shared?.length ? new TextDecoder().decode(shared) : (n.name ?? '');
      const t = bundle.get(key);
      if (!t) throw new NnInputError(`${path}: variable '${n.name}' (${n.op}) has no tensor '${key}' in the variables bundle (it holds ${[...bundle.keys()].slice(0, 8).join(', ')})`);
      return { name: n.name, op: 'Const', input: [], attr: { dtype: { value: 'type', type: t.dtype }, value: { value: 'tensor', tensor: t } } };
    }
    if (n.op === 'ReadVariableOp') return { name: n.name, op: 'Identity', input: (n.input ?? []).slice(0, 1), attr: { T: { value: 'type', type: n.attr?.['dtype']?.type ?? 1 } } };
    return n;
  });
}

interface ModelJson {
  format?: string;
  modelTopology?: unknown;
  weightsManifest?: { paths?: string[]; weights?: TfjsWeightSpec[] }[];
}

function readTfjs(path: string): TfContainer {
  const text = readBytes(path, 'TF.js model.json').toString('utf8');
  let json: ModelJson;
  try {
    json = JSON.parse(text) as ModelJson;
  } catch (e) {
    throw new NnInputError(`${path}: not valid JSON (${(e as Error).message}); is the file truncated?`);
  }
  if (json.format !== 'graph-model') {
    throw new NnInputError(`${path}: TF.js model of format '${json.format}'; the TensorFlow reader takes 'graph-model' (layers-models are Keras models)`);
  }
  const topo = json.modelTopology as { node?: unknown[] } | undefined;
  if (!topo?.node?.length) throw new NnInputError(`${path}: modelTopology has no nodes`);
  let graph: TGraph;
  try {
    graph = tfType('GraphDef').fromObject(topo) as unknown as TGraph;
  } catch (e) {
    throw new NnInputError(`${path}: modelTopology is not a GraphDef (${(e as Error).message})`);
  }
  const weights = new Map<string, ConstT>();
  const dir = dirname(path);
  (json.weightsManifest ?? []).forEach((group, gi) => {
    const paths = group.paths ?? [];
    const parts = paths.map((p) => {
      const file = join(dir, p);
      if (!existsSync(file)) throw new NnInputError(`${path}: weight shard '${p}' (group ${gi}) is missing; copy it next to model.json`);
      return readBytes(file, 'weight shard');
    });
    const all = Buffer.concat(parts);
    const specs = group.weights ?? [];
    const need = specs.reduce((s, w) => s + tfjsWeightBytes(w, path), 0);
    if (need !== all.length) {
      throw new NnInputError(`${path}: weight group ${gi} (${paths.join(', ')}) has ${all.length} bytes but its manifest describes ${need}; a shard is truncated or from another model`);
    }
    let off = 0;
    for (const w of specs) {
      const nb = tfjsWeightBytes(w, path);
      weights.set(w.name, decodeTfjsWeight(w, new Uint8Array(all.buffer, all.byteOffset + off, nb), path));
      off += nb;
    }
  });
  return { kind: 'TF.js graph-model', graph, weights };
}

/** Reads any TensorFlow container: a .pb GraphDef, a model.json (or its directory), a SavedModel (or its directory). */
export function readTfContainer(path: string): TfContainer {
  let p = path;
  if (statSync(p).isDirectory()) {
    if (existsSync(join(p, 'model.json'))) p = join(p, 'model.json');
    else if (existsSync(join(p, 'saved_model.pb'))) p = join(p, 'saved_model.pb');
    else throw new NnInputError(`${path}: directory has neither model.json (TF.js) nor saved_model.pb (SavedModel)`);
  }
  if (basename(p) === 'saved_model.pb') return readSavedModel(p);
  const head = readBytes(p, 'model');
  if (head.subarray(0, 64).toString('utf8').trimStart().startsWith('{')) return readTfjs(p);
  return { kind: 'GraphDef', graph: decodeGraphDef(head, p), weights: new Map() };
}
