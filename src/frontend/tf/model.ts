/**
 * The TensorFlow frontend's entry point, for frozen GraphDefs, SavedModels and TF.js
 * graph-models alike: parses tensor references ("node", "node:1", "^control"), chooses the
 * graph's inputs (Placeholders, or the tensors named by --inputs, which cut the graph there)
 * and outputs (sinks, or --outputs), keeps only the nodes between them in dependency order,
 * refuses while-loop frames and unsupported ops with one message each, then runs the TF op
 * table through the common importer (batched, or unbatched when an op mixes samples).
 */
import type { ElemType, Graph, IoBinding } from '../../ir/graph.js';
import { NnInputError } from '../../util/tensor.js';
import { Ctx } from '../common/context.js';
import { detectBatch, importWithBatchRetry, refuseUnsupported } from '../common/import.js';
import { Importer } from '../common/importer.js';
import type { NodeView } from '../common/node-view.js';
import { TfAttrs } from './attrs.js';
import { readTfContainer, type TfContainer } from './container.js';
import { rewriteLstmLoops } from './loops.js';
import { rewriteStaticRnn } from './static-rnn.js';
import { parseRefSimple } from './refs.js';
import { supportedTfOps, TF_CONVERTERS } from './convert.js';
import type { TNode } from './schema.js';
import { elemOfTfType, shapeDims } from './tensor.js';

export interface TfImportOptions {
  batch?: 'auto' | false;
  /** Start the graph at these tensors; dims (full, -1 = batch) are needed where the graph does not declare them. */
  inputs?: readonly { name: string; dims?: readonly number[] }[];
  outputs?: readonly string[];
}

/** "node:k" → [node, k]; "node" → [node, 0]. */
export const parseRef = parseRefSimple;
const key = (ref: string): string => {
  const [n, k] = parseRef(ref);
  return `${n}:${k}`;
};

const LOOP_OPS = new Set(['Enter', 'Exit', 'Merge', 'Switch', 'NextIteration', 'LoopCond', 'RefEnter', 'RefExit', 'RefMerge', 'RefSwitch', 'RefNextIteration']);
const isLoopOp = (op: string): boolean => LOOP_OPS.has(op) || op.startsWith('TensorArray');
const CONTROL_V2 = new Set(['While', 'StatelessWhile', 'If', 'StatelessIf']);

function dataInputs(n: TNode): string[] {
  return (n.input ?? []).filter((i) => !i.startsWith('^'));
}

function closest(name: string, names: readonly string[]): string[] {
  const low = name.toLowerCase();
  const hits = names.filter((n) => n.toLowerCase().includes(low) || low.includes(n.toLowerCase()));
  return (hits.length ? hits : names).slice(0, 8);
}

/** Names the loop frames among `nodes` and the ops in each, for the error. */
function refuseLoops(source: string, nodes: readonly TNode[], byName: ReadonlyMap<string, TNode>): void {
  const loopNodes = nodes.filter((n) => isLoopOp(n.op ?? '') || CONTROL_V2.has(n.op ?? ''));
  if (loopNodes.length === 0) return;
  const frames = new Map<string, Set<string>>();
  for (const n of loopNodes) {
    const attrs = new TfAttrs(n, source);
    const frame = n.op === 'Enter' ? attrs.string('frame_name', '?') : CONTROL_V2.has(n.op ?? '') ? `${n.op} '${n.name}'` : null;
    if (frame === null) continue;
    const set = frames.get(frame) ?? new Set<string>();
    frames.set(frame, set);
  }
  // The ops inside a frame: nodes whose name shares the frame's scope prefix.
  const allOps = new Map<string, Set<string>>();
  for (const [frame] of frames) {
    const scope = frame.replace(/\/[^/]*$/, '/');
    const ops = new Set<string>();
    for (const n of byName.values()) if (n.name?.startsWith(scope) && n.op !== 'Const') ops.add(n.op ?? '');
    allOps.set(frame, ops);
  }
  const lines = [...allOps].map(([f, ops]) => `  frame '${f}': ${[...ops].sort().join(', ')}`);
  if (lines.length === 0) lines.push(`  ${[...new Set(loopNodes.map((n) => n.op))].join(', ')}`);
  throw new NnInputError(
    `${source}: the graph runs a TensorFlow while loop (control flow), which nn2hls does not convert:\n${lines.join('\n')}\n` +
      'Recurrent cells inside such loops are not recognised yet; export the model with the loop unrolled, as ONNX LSTM/GRU/RNN, or cut the graph before the loop with --inputs/--outputs.',
  );
}

export function importTf(ct: TfContainer, source: string, opts: TfImportOptions = {}): Graph {
  const nodes = rewriteStaticRnn(rewriteLstmLoops(ct.graph.node ?? [], source), source);
  const byName = new Map<string, TNode>();
  for (const n of nodes) byName.set(n.name ?? '', n);
  // Sinks are judged on the graph as written: a recognised loop's leftovers (its zero state,
  // its counter) are not outputs.
  const consumed = new Set<string>();
  for (const n of ct.graph.node ?? []) for (const i of n.input ?? []) consumed.add(parseRef(i.replace(/^\^/, ''))[0]);

  // Inputs: --inputs, else every Placeholder (that is needed, decided below).
  const cutIns = opts.inputs?.length ? opts.inputs : undefined;
  const placeholders = nodes.filter((n) => n.op === 'Placeholder').map((n) => n.name ?? '');
  for (const i of cutIns ?? []) {
    const [n] = parseRef(i.name);
    if (!byName.has(n)) {
      throw new NnInputError(`${source}: --inputs: no node named '${n}'; candidates: ${closest(n, [...byName.keys()].filter((k) => byName.get(k)!.op !== 'Const')).join(', ')}`);
    }
  }
  // Outputs: --outputs, else sinks that compute something.
  let outRefs = opts.outputs?.length ? [...opts.outputs] : nodes.filter((n) => !consumed.has(n.name ?? '') && !['Const', 'NoOp', 'Placeholder', 'Assert', 'SaveV2'].includes(n.op ?? '')).map((n) => n.name ?? '');
  for (const o of outRefs) {
    const [n] = parseRef(o);
    if (!byName.has(n)) {
      const sinks = nodes.filter((m) => !consumed.has(m.name ?? '') && m.op !== 'Const').map((m) => m.name ?? '');
      throw new NnInputError(`${source}: --outputs: no node named '${n}'; candidates: ${closest(n, sinks.length ? sinks : [...byName.keys()]).join(', ')}`);
    }
  }
  if (outRefs.length === 0) throw new NnInputError(`${source}: the graph has no outputs; name them with --outputs`);
  outRefs = outRefs.map(key);

  const inKeys = new Map<string, readonly number[] | undefined>();
  for (const i of cutIns ?? placeholders.map((name) => ({ name, dims: undefined }))) inKeys.set(key(i.name), i.dims);
  const cutNodes = new Set([...inKeys.keys()].map((k) => parseRef(k)[0]));

  // Nodes between inputs and outputs, in dependency order (iterative DFS; cycles are loops).
  const order: TNode[] = [];
  const state = new Map<string, 1 | 2>();
  const reached = new Set<string>();
  const visit = (root: string): void => {
    const stack: [string, number][] = [[root, 0]];
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const [name, i] = top;
      const node = byName.get(name);
      if (!node) throw new NnInputError(`${source}: a node's input '${name}' does not exist in the graph; the file is damaged`);
      if (i === 0) {
        if (state.get(name) === 2) {
          stack.pop();
          continue;
        }
        state.set(name, 1);
      }
      const ins = cutNodes.has(name) ? [] : dataInputs(node);
      if (i < ins.length) {
        top[1] = i + 1;
        const [dep, k] = parseRef(ins[i]!);
        if (inKeys.has(`${dep}:${k}`)) {
          reached.add(`${dep}:${k}`);
          continue;
        }
        const st = state.get(dep);
        if (st === 1) {
          refuseLoops(source, [...state.keys()].map((s) => byName.get(s)!), byName);
          throw new NnInputError(`${source}: the graph has a cycle through node '${dep}' that is not a recognised loop`);
        }
        if (st !== 2) stack.push([dep, 0]);
        continue;
      }
      state.set(name, 2);
      if (!cutNodes.has(name)) order.push(node);
      stack.pop();
    }
  };
  for (const o of outRefs) {
    if (inKeys.has(o)) {
      reached.add(o);
      continue;
    }
    visit(parseRef(o)[0]);
  }
  refuseLoops(source, order, byName);
  refuseUnsupported(source, order, (n) => (TF_CONVERTERS[n.op ?? ''] ? null : n.op ?? '?'), (n) => n.name ?? '?', supportedTfOps(), 'TensorFlow');

  // Declared input shapes: --inputs dims, else the Placeholder's shape attr.
  const inputs = [...inKeys].filter(([k]) => reached.has(k) || (cutIns !== undefined));
  const decls = inputs.map(([k, dims]) => {
    const [n] = parseRef(k);
    const node = byName.get(n)!;
    const attrs = new TfAttrs(node, `${source}: node '${n}'`);
    let d: readonly number[] | null = dims ?? null;
    if (!d && (node.op === 'Placeholder' || node.op === 'PlaceholderWithDefault')) d = shapeDims(attrs.shape('shape'));
    if (!d) {
      const os = (node.attr?.['_output_shapes']?.list?.shape ?? [])[parseRef(k)[1]];
      d = os ? shapeDims(os) : null;
    }
    if (!d) throw new NnInputError(`${source}: input '${n}' has no declared shape; give it as --inputs ${n}:d0,d1,... (-1 for the batch dim)`);
    const elem: ElemType = node.op === 'Placeholder' ? elemOfTfType(attrs.type('dtype') ?? 1) : 'float32';
    return { key: k, name: parseRef(k)[1] === 0 ? n : k, dims: d.map((x): number | null => (x < 0 ? null : x)), elem };
  });

  const batch = opts.batch === false ? { batched: false, declared: null } : detectBatch(decls.map((d) => d.dims));
  const build = (batched: boolean, declared: number | null): Graph => {
    const imp = new Importer(source, batched, declared, 0);
    const bindings: IoBinding[] = decls.map((d) => {
      // Unbatched (a batched import mixed samples): an unknown leading dim runs at 1.
      const sample = batched ? d.dims.slice(1) : d.dims.map((x, k) => (k === 0 && x === null ? 1 : x));
      sample.forEach((dim, k) => {
        if (dim === null) throw new NnInputError(`${source}: input '${d.name}' has unknown dim ${batched ? k + 1 : k}; give its dims with --inputs ${d.name}:d0,d1,...`);
      });
      const ir = imp.addInput(d.name, sample as number[], d.elem);
      imp.set(d.key, imp.dyn(ir));
      return { modelName: d.name, value: ir, modelShape: d.dims.map((x) => x), elem: d.elem };
    });
    for (const node of order) {
      const name = node.name ?? '';
      const w = ct.weights.get(name);
      if (node.op === 'Const' && w) {
        imp.set(`${name}:0`, { kind: 'const', t: w });
        continue;
      }
      const irName = imp.peekNode(name || node.op || 'node');
      const where = `${source}: node '${name}' (${node.op})`;
      const view: NodeView<TfAttrs> = { op: node.op ?? '', name, inputs: dataInputs(node).map(key), outputs: [], attrs: new TfAttrs(node, where) };
      const outs = TF_CONVERTERS[node.op ?? '']!(new Ctx(imp, view, irName));
      outs.forEach((v, k) => v && imp.set(`${name}:${k}`, v));
    }
    const outputs: IoBinding[] = outRefs.map((o) => {
      const [n, k] = parseRef(o);
      const v = imp.get(o, `${source}: output '${n}'${k ? ` (output ${k})` : ''}`);
      const modelName = k === 0 ? n : o;
      let ir: string;
      if (v.kind === 'const') {
        imp.cross(`output '${modelName}' is a constant`);
        ir = imp.addConst({ shape: v.t.shape, data: v.t.data, elem: v.t.elem }, modelName);
      } else ir = imp.plain(v, `output_${n}`);
      const shape = imp.values.get(ir)!.shape;
      return { modelName, value: ir, modelShape: batched ? [declared, ...shape] : [...shape], elem: imp.values.get(ir)!.elem };
    });
    return {
      name: source.replace(/[\\/]model\.json$/i, '').replace(/^.*[\\/]/, '').replace(/\.(pb|json)$/i, '') || 'tf_model',
      batched,
      values: imp.values,
      nodes: imp.nodes,
      inputs: bindings,
      outputs,
      source,
    };
  };
  return importWithBatchRetry(source, batch, build);
}

export function loadTfFile(path: string, opts: TfImportOptions = {}): Graph {
  return importTf(readTfContainer(path), path, opts);
}
