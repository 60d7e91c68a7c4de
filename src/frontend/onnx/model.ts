/**
 * The ONNX frontend's entry point: decodes a ModelProto, checks the opset and that every op is
 * supported (listing all unsupported ones at once), reads initializers and Constant nodes,
 * decides whether dim 0 of the inputs is a batch dim, runs the per-op converters in graph order
 * and returns a verified IR graph whose inputs and outputs keep the model's own layout. When a
 * batched import meets an op that mixes samples it starts over without a batch dim, so any
 * model still imports (it then runs only at its declared shape).
 */
import { readFileSync } from 'node:fs';
import type onnxProto from 'onnx-proto';
import type { Graph, IoBinding } from '../../ir/graph.js';
import { type HostTensor, NnInputError } from '../../util/tensor.js';
import { toNum } from './attrs.js';
import { BASIC_CONVERTERS } from './convert-basic.js';
import { MATH_CONVERTERS } from './convert-math.js';
import { NN_CONVERTERS, QONNX_CONVERTERS } from './convert-nn.js';
import { CHANNELS_LAST_CONVERTERS, CHANNELS_LAST_DOMAINS } from './convert-channels-last.js';
import { refuseLegacySemantics } from './legacy.js';
import { type Converter, elemOfOnnxType, onnxCtx } from './context.js';
import { detectBatch, importWithBatchRetry, refuseUnsupported } from '../common/import.js';
import { batchFirstPerm, constOf, Importer, type OVal } from '../common/importer.js';
import { decodeTensorProto } from './tensor-proto.js';
import { decodeModelProto } from './wire.js';

type IModel = onnxProto.onnx.IModelProto;
type INode = onnxProto.onnx.INodeProto;

/** Opsets 1–6 import too: legacy.ts refuses the few pre-7 forms whose meaning differs. */
export const MIN_OPSET = 1;
export const MAX_OPSET = 21;

export interface OnnxImportOptions {
  /** 'auto' (default): treat a shared leading input dim as the batch; false: never. */
  batch?: 'auto' | false;
  /** Graph inputs to treat as constants with these values (e.g. shape or pads tensors). */
  freeze?: ReadonlyMap<string, HostTensor>;
}

const STANDARD_DOMAINS = new Set(['', 'ai.onnx']);
const isQonnxDomain = (d: string) => d === 'onnx.brevitas' || d.startsWith('qonnx');

function converterFor(node: INode): Converter | undefined {
  const domain = node.domain ?? '';
  const op = node.opType ?? '';
  if (STANDARD_DOMAINS.has(domain)) return MATH_CONVERTERS[op] ?? BASIC_CONVERTERS[op] ?? NN_CONVERTERS[op];
  if (CHANNELS_LAST_DOMAINS.has(domain)) return CHANNELS_LAST_CONVERTERS[op];
  if (isQonnxDomain(domain)) return QONNX_CONVERTERS[op];
  return undefined;
}

/** Names every supported ONNX op type (for `inspect` and error messages). */
export function supportedOnnxOps(): string[] {
  const std = new Set([...Object.keys(MATH_CONVERTERS), ...Object.keys(BASIC_CONVERTERS), ...Object.keys(NN_CONVERTERS)]);
  const qonnx = Object.keys(QONNX_CONVERTERS).map((k) => `${k} (QONNX)`);
  const channelsLast = Object.keys(CHANNELS_LAST_CONVERTERS).map((k) => `${k} (QONNX channels-last)`);
  return [...std, ...qonnx, ...channelsLast].sort();
}

export function decodeModel(bytes: Uint8Array, source: string): IModel {
  let model: IModel;
  try {
    model = decodeModelProto(bytes);
  } catch (e) {
    throw new NnInputError(`${source}: not a readable ONNX model (${(e as Error).message}); is the file truncated or of another format?`);
  }
  if (!model.graph || !(model.graph.node?.length || model.graph.output?.length)) {
    throw new NnInputError(`${source}: not an ONNX model (no graph found); expected a .onnx file saved by onnx.save or an exporter`);
  }
  return model;
}

function opsetOf(model: IModel, source: string): number {
  const entry = (model.opsetImport ?? []).find((o) => STANDARD_DOMAINS.has(o.domain ?? ''));
  const v = entry ? toNum(entry.version) : toNum(model.irVersion) < 3 ? 1 : MAX_OPSET;
  if (v < MIN_OPSET) {
    throw new NnInputError(`${source}: opset ${v} is older than the oldest supported (${MIN_OPSET}); convert it with onnx.version_converter.convert_version(model, 13)`);
  }
  if (v > MAX_OPSET) {
    throw new NnInputError(`${source}: opset ${v} is newer than the newest supported (${MAX_OPSET}); re-export with opset <= ${MAX_OPSET}`);
  }
  return v;
}

function checkSupported(model: IModel, source: string): void {
  refuseUnsupported(
    source,
    model.graph!.node ?? [],
    (n) => {
      if (converterFor(n)) return null;
      const domain = n.domain ?? '';
      return STANDARD_DOMAINS.has(domain) ? (n.opType ?? '?') : `${n.opType} (domain ${domain})`;
    },
    (n, i) => n.name || `#${i}`,
    supportedOnnxOps(),
    'ONNX',
  );
}

function hostToConst(h: HostTensor, elem = 'float32' as const): OVal {
  return { kind: 'const', t: constOf(h.shape, Array.from(h.data as ArrayLike<number | bigint>, Number), elem) };
}

interface InputDecl {
  name: string;
  dims: (number | string | null)[];
  elem: ReturnType<typeof elemOfOnnxType>;
}

function declaredInputs(model: IModel, frozen: ReadonlySet<string>, source: string): InputDecl[] {
  const inits = new Set((model.graph!.initializer ?? []).map((t) => t.name ?? ''));
  return (model.graph!.input ?? [])
    .filter((i) => !inits.has(i.name ?? '') && !frozen.has(i.name ?? ''))
    .map((i) => {
      const tt = i.type?.tensorType;
      if (!tt) throw new NnInputError(`${source}: graph input '${i.name}' is not a tensor (sequences, maps and optionals are not supported)`);
      if (!tt.shape) throw new NnInputError(`${source}: graph input '${i.name}' has no declared shape; nn2hls needs static shapes`);
      const dims = (tt.shape.dim ?? []).map((d, k) => {
        // protobufjs sets the oneof name `value` only for a dim that was written.
        if ((d as { value?: string }).value === 'dimValue' && toNum(d.dimValue) === 0) {
          throw new NnInputError(`${source}: graph input '${i.name}' has dim ${k} of size 0; empty tensors cannot be deployed`);
        }
        return d.dimValue != null && toNum(d.dimValue) > 0 ? toNum(d.dimValue) : d.dimParam || null;
      });
      return { name: i.name ?? '', dims, elem: elemOfOnnxType(tt.elemType ?? 1) };
    });
}

function build(
  model: IModel,
  source: string,
  opset: number,
  batched: boolean,
  declared: number | null,
  opts: OnnxImportOptions,
  batchAxes: readonly number[] | undefined,
): Graph {
  const g = model.graph!;
  const frozen = opts.freeze ?? new Map<string, HostTensor>();
  const imp = new Importer(source, batched, declared, opset);
  for (const t of g.initializer ?? []) {
    const h = decodeTensorProto(t, `${source}: initializer '${t.name}'`);
    imp.set(t.name ?? '', { kind: 'const', t: constOf(h.shape, Array.from(h.data as ArrayLike<number | bigint>, Number), elemOfOnnxType(t.dataType ?? 1)) });
  }
  for (const [name, h] of frozen) imp.set(name, hostToConst(h));
  const decls = declaredInputs(model, new Set(frozen.keys()), source);
  const inputs: IoBinding[] = decls.map((d, j) => {
    // The batch is dim 0, or (a sequence-first RNN's [T, N, F]) the one symbolic dim.
    const axis = batched ? (batchAxes?.[j] ?? 0) : -1;
    d.dims.forEach((dim, k) => {
      if (k !== axis && typeof dim !== 'number') {
        throw new NnInputError(
          `${source}: graph input '${d.name}' has symbolic dim ${k} ('${dim ?? '?'}'); nn2hls needs static shapes apart from one batch dim`,
        );
      }
    });
    const sampleDims = d.dims.filter((_, k) => k !== axis) as number[];
    const ir = imp.addInput(d.name, sampleDims, d.elem);
    imp.set(d.name, imp.dyn(ir, batchFirstPerm(d.dims.length, axis)));
    const modelShape = d.dims.map((x) => (typeof x === 'number' ? x : null));
    return { modelName: d.name, value: ir, modelShape, elem: d.elem, ...(axis > 0 ? { batchAxis: axis } : {}) };
  });

  (g.node ?? []).forEach((node, idx) => {
    const name = imp.peekNode(node.name || `${node.opType}_${idx}`);
    const ctx = onnxCtx(imp, node, name);
    refuseLegacySemantics(ctx);
    const outs = converterFor(node)!(ctx);
    (node.output ?? []).forEach((o, i) => {
      if (!o) return;
      const v = outs[i];
      if (!v) return ctx.fail(`output ${i} ('${o}') is not supported`);
      imp.set(o, v);
    });
  });

  const outputs: IoBinding[] = (g.output ?? []).map((o) => {
    const name = o.name ?? '';
    const v = imp.get(name, `${source}: graph output '${name}'`);
    const elem = elemOfOnnxType(o.type?.tensorType?.elemType ?? 1);
    let ir: string;
    let axis = batched ? 0 : -1;
    if (v.kind === 'const') {
      imp.cross(`graph output '${name}' is a constant`);
      ir = imp.addConst({ shape: v.t.shape, data: v.t.data, elem }, name);
    } else {
      // An output whose batch is not its dim 0 (a sequence-first RNN's Y) keeps it first in the IR.
      axis = imp.batchPos(v);
      // Only a symbolic batch may end up elsewhere; a declared size there is just a dim (run unbatched).
      if (axis > 0 && declared !== null) imp.cross(`graph output '${name}' has the batch dim at axis ${axis}`);
      ir = axis > 0 ? imp.sampleMajor(v, `output_${name}`).ir : imp.plain(v, `output_${name}`);
    }
    const shape = imp.values.get(ir)!.shape;
    const modelShape = batched ? [...shape.slice(0, axis), declared, ...shape.slice(axis)] : [...shape];
    return { modelName: name, value: ir, modelShape, elem, ...(axis > 0 ? { batchAxis: axis } : {}) };
  });

  return {
    name: g.name || source.replace(/^.*[\\/]/, '').replace(/\.onnx$/i, ''),
    batched,
    values: imp.values,
    nodes: imp.nodes,
    inputs,
    outputs,
    source,
  };
}

export function importOnnx(bytes: Uint8Array, source: string, opts: OnnxImportOptions = {}): Graph {
  const model = decodeModel(bytes, source);
  const opset = opsetOf(model, source);
  checkSupported(model, source);
  const decls = declaredInputs(model, new Set(opts.freeze?.keys() ?? []), source);
  const batch = opts.batch === false ? { batched: false, declared: null } : detectBatch(decls.map((d) => d.dims));
  return importWithBatchRetry(source, batch, (batched, declared) => build(model, source, opset, batched, declared, opts, batched ? batch.axes : undefined));
}

export function loadOnnxFile(path: string, opts: OnnxImportOptions = {}): Graph {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new NnInputError(`${path}: cannot read the model (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return importOnnx(bytes, path, opts);
}

/**
 * Inputs of ONNX ops that nn2hls needs as constants because they decide shapes or parameters
 * (a static-shape compiler cannot take them at run time). A tool or test that holds values for
 * graph inputs feeding these slots can pass them through `freeze`.
 */
export const CONSTANT_INPUT_SLOTS: Readonly<Record<string, readonly number[]>> = {
  Reshape: [1],
  Pad: [1, 2, 3],
  Resize: [1, 2, 3],
  Upsample: [1],
  Squeeze: [1],
  Unsqueeze: [1],
  Slice: [1, 2, 3, 4],
  Expand: [1],
  ConstantOfShape: [0],
  QuantizeLinear: [1, 2],
  DequantizeLinear: [1, 2],
  Dropout: [1, 2],
  LSTM: [4],
  GRU: [4],
  RNN: [4],
  Quant: [1, 2, 3],
  BipolarQuant: [1],
  ReduceSum: [1],
  ReduceMean: [1],
  ReduceMax: [1],
  ReduceMin: [1],
  ReduceProd: [1],
  ReduceL1: [1],
  ReduceL2: [1],
  ReduceSumSquare: [1],
  ReduceLogSumExp: [1],
  Split: [1],
  Tile: [1, 2],
  Gather: [1],
  InstanceNormalization: [1, 2],
  LayerNormalization: [1, 2],
};

/**
 * The model's graph inputs in order (initializers excluded: they are not given on the command
 * line) and those among them that feed a constant-only slot, so a command holding a file for
 * every graph input can fold the latter for one run.
 */
export function onnxParameterInputs(bytes: Uint8Array, source: string): { inputs: string[]; constant: string[] } {
  const model = decodeModel(bytes, source);
  const inits = new Set((model.graph!.initializer ?? []).map((t) => t.name ?? ''));
  const inputs = (model.graph!.input ?? []).map((i) => i.name ?? '').filter((n) => !inits.has(n));
  const needed = new Set(inputsNeedingFreeze(bytes, source));
  return { inputs, constant: inputs.filter((n) => needed.has(n)) };
}

/** Graph inputs (by name) that feed a constant-only slot of some node. */
export function inputsNeedingFreeze(bytes: Uint8Array, source: string): string[] {
  const model = decodeModel(bytes, source);
  const graphInputs = new Set((model.graph!.input ?? []).map((i) => i.name ?? ''));
  const constants = new Set([
    ...(model.graph!.initializer ?? []).map((t) => t.name ?? ''),
    ...(model.graph!.node ?? []).filter((n) => n.opType === 'Constant').flatMap((n) => n.output ?? []),
  ]);
  const out = new Set<string>();
  for (const n of model.graph!.node ?? []) {
    // A Gather from a constant table takes run-time indices (an embedding lookup).
    if (n.opType === 'Gather' && constants.has(n.input?.[0] ?? '')) continue;
    for (const slot of CONSTANT_INPUT_SLOTS[n.opType ?? ''] ?? []) {
      const name = n.input?.[slot];
      if (name && graphInputs.has(name)) out.add(name);
    }
  }
  return [...out];
}
