/**
 * The Keras frontend's entry point: opens any of the four containers, reads the model config
 * into layer calls, refuses unsupported layer classes all at once (listed by layer name), runs
 * the converter table and returns a verified, batched IR graph whose inputs and outputs keep
 * the model's names. QKeras quantizers come back as per-layer precision settings (weight,
 * bias, recurrent_weight, result) that the CLI puts into the precision config it prints/writes.
 */
import type { FixedType } from '../../ir/fixed.js';
import type { Graph, IoBinding } from '../../ir/graph.js';
import type { LevelSpec } from '../../ir/precision-config.js';
import { verify, VerifyError } from '../../ir/verify.js';
import { NnInputError } from '../../util/tensor.js';
import { Importer } from '../common/importer.js';
import { openKeras, type OpenOptions } from './containers.js';
import { KERAS_CONVERTERS, LayerCtx, type LayerConverter, type NodeTypes } from './convert.js';
import { RECURRENT_CONVERTERS } from './recurrent.js';
import { readTopology, ref, type TensorRef } from './topology.js';

export const CONVERTERS: Readonly<Record<string, LayerConverter>> = { ...KERAS_CONVERTERS, ...RECURRENT_CONVERTERS };

export function supportedKerasLayers(): string[] {
  return Object.keys(CONVERTERS).sort();
}

export interface KerasImport {
  readonly graph: Graph;
  /** Precision settings fixed by QKeras quantizers, keyed by IR node name. */
  readonly precision: Readonly<Record<string, LevelSpec>>;
  /** Approximations made on import, one line each. */
  readonly notes: readonly string[];
  /** The weights .h5 of an architecture .json (absent for self-contained formats). */
  readonly weightsFile?: string;
}

export type KerasImportOptions = OpenOptions;

function toLevels(types: Map<string, NodeTypes>): Record<string, LevelSpec> {
  const out: Record<string, LevelSpec> = {};
  for (const [node, t] of [...types].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const entries = Object.entries(t).filter(([, v]) => v) as [string, FixedType][];
    if (entries.length) out[node] = { types: Object.fromEntries(entries) };
  }
  return out;
}

export async function loadKeras(path: string, opts: KerasImportOptions = {}): Promise<KerasImport> {
  const { model, close } = await openKeras(path, opts);
  try {
    const source = model.source;
    const topo = readTopology(model.config, source);
    const missing = new Map<string, string[]>();
    for (const c of topo.calls) {
      if (CONVERTERS[c.className]) continue;
      const l = missing.get(c.className) ?? [];
      if (!l.includes(c.name)) l.push(c.name);
      missing.set(c.className, l);
    }
    if (missing.size) {
      const lines = [...missing].map(([cls, names]) => `  ${cls}: ${names.map((n) => `'${n}'`).join(', ')}`);
      throw new NnInputError(
        `${source}: ${missing.size} unsupported Keras layer class(es):\n${lines.join('\n')}\nSupported layers: ${supportedKerasLayers().join(', ')}.`,
      );
    }
    const imp = new Importer(source, true, null, 13);
    const vals = new Map<TensorRef, string>();
    const inputs: IoBinding[] = topo.inputs.map((i) => {
      const ir = imp.addInput(i.name, i.shape, 'float32');
      vals.set(ref(i.name, 0, 0), ir);
      return { modelName: i.name, value: ir, modelShape: [null, ...i.shape], elem: 'float32' };
    });
    const types = new Map<string, NodeTypes>();
    const notes: string[] = [];
    for (const call of topo.calls) {
      const ins = call.inputs.map((r) => vals.get(r)!);
      const ctx = new LayerCtx(imp, call, ins, () => model.weights.weights({ name: call.name, className: call.className }), model.kerasMajor, types, notes);
      const outs = CONVERTERS[call.className]!(ctx);
      outs.forEach((o, t) => vals.set(ref(call.name, call.node, t), o));
    }
    const outputs: IoBinding[] = topo.outputs.map((r, k) => {
      const v = vals.get(r);
      const name = topo.outputNames[k]!;
      if (!v) throw new NnInputError(`${source}: model output '${name}' is not produced by any layer`);
      const shape = imp.irShape(v);
      return { modelName: name, value: v, modelShape: [null, ...shape], elem: 'float32' };
    });
    const graph: Graph = { name: topo.name, batched: true, values: imp.values, nodes: imp.nodes, inputs, outputs, source };
    let verified: Graph;
    try {
      verified = verify(graph);
    } catch (e) {
      if (e instanceof VerifyError) throw new Error(`${source}: internal error, the imported graph is inconsistent:\n${e.message}`);
      throw e;
    }
    return { graph: verified, precision: toLevels(types), notes, ...(model.weightsFile ? { weightsFile: model.weightsFile } : {}) };
  } finally {
    close();
  }
}
