/**
 * Model loading: the one place the CLI asks for a graph. The reader is picked by the file's
 * content (protobuf field tags, HDF5/zip magic, the `format` key of a JSON model), falling
 * back to the extension only where contents are ambiguous; an unrecognised file gets an error
 * naming every format nn2hls reads. Each reader is one entry of READERS: how to recognise
 * its files and how to load them into a verified IR graph. Keras readers (h5wasm) load
 * asynchronously and may also return per-layer precision the model fixes (QKeras), so the
 * general entry is loadModelAsync; loadModel serves the synchronous readers.
 */
import { openSync, readSync, closeSync, statSync, existsSync, readFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { Graph } from '../ir/graph.js';
import type { LevelSpec } from '../ir/precision-config.js';
import { type HostTensor, NnInputError } from '../util/tensor.js';
import { loadOnnxFile, onnxParameterInputs } from './onnx/model.js';
import { loadTfFile } from './tf/model.js';

/** Options every reader honours (readers without the concept ignore the field). */
export interface LoadOptions {
  /** 'auto' (default): a shared leading input dim of -1/None/symbolic is the batch; false: never. */
  batch?: 'auto' | false;
  /** Cut the graph: start at these tensors (name, optional sample dims). */
  inputs?: readonly { name: string; dims?: readonly number[] }[];
  /** Cut the graph: end at these tensors. */
  outputs?: readonly string[];
  /** Keras: weights .h5 of an architecture .json (default: <stem>_weights.h5 beside it). */
  weights?: string;
  /** ONNX: graph inputs to fold as constants with these values (shape/axes/pads given as files). */
  freeze?: ReadonlyMap<string, HostTensor>;
}

export interface LoadedModel {
  readonly graph: Graph;
  /** Per-layer precision the model itself fixes (QKeras quantizers), keyed by IR node name. */
  readonly precision: Readonly<Record<string, LevelSpec>>;
  /** Approximations made on import, one line each. */
  readonly notes: readonly string[];
  /** A separate weights file the model was read with (a Keras architecture .json's weights .h5). */
  readonly weightsFile?: string;
}

/** What a reader sees of a file or directory when deciding whether it is its format. */
export interface Probe {
  readonly path: string;
  readonly isDir: boolean;
  /** First bytes of the file (empty for a directory). */
  readonly head: Uint8Array;
  /** The `format` key of a JSON file (or its model.json), when it parses as one. */
  readonly jsonFormat: string | undefined;
  readonly ext: string;
}

export interface Reader {
  /** Human name, as listed in the "unknown format" error. */
  readonly name: string;
  /** How the user recognises files of this format. */
  readonly files: string;
  readonly recognises: (p: Probe) => boolean;
  readonly load: (path: string, opts: LoadOptions) => Graph;
  /** Readers that need asynchronous loading (wasm) or give precision hints implement this. */
  readonly loadAsync?: (path: string, opts: LoadOptions) => Promise<LoadedModel>;
}

/** Protobuf wire tag of the first field: (field number << 3) | wire type. */
const firstTag = (head: Uint8Array): number => head[0] ?? -1;

const onnxReader: Reader = {
  name: 'ONNX',
  files: '.onnx (ModelProto)',
  // ModelProto starts with ir_version (field 1, varint: tag 0x08); SavedModel may too, so a
  // saved_model.pb is left to the TensorFlow readers.
  recognises: (p) => !p.isDir && (p.ext === '.onnx' || (firstTag(p.head) === 0x08 && basename(p.path) !== 'saved_model.pb' && p.ext !== '.pb')),
  load: (path, opts) => {
    if (opts.inputs?.length || opts.outputs?.length) {
      throw new NnInputError(`${path}: --inputs/--outputs cut TensorFlow graphs; for ONNX cut the model with onnx.utils.extract_model`);
    }
    return loadOnnxFile(path, { batch: opts.batch, ...(opts.freeze ? { freeze: opts.freeze } : {}) });
  },
};

/**
 * For a model whose graph inputs feed operands that must be constant (ONNX Reshape's shape,
 * Pad's pads, Resize's scales...): all its graph inputs in order and those constant ones, or
 * null when the format has no such inputs or the model has none.
 */
export function parameterInputs(path: string): { inputs: string[]; constant: string[] } | null {
  if (readerFor(path) !== onnxReader) return null;
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch {
    return null; // the loader reports the unreadable file
  }
  const r = onnxParameterInputs(bytes, path);
  return r.constant.length > 0 ? r : null;
}

const tfGraphReader: Reader = {
  name: 'TensorFlow frozen GraphDef',
  files: '.pb (GraphDef protobuf)',
  // GraphDef starts with node (field 1, tag 0x0a), library (0x12) or versions (0x22).
  recognises: (p) => !p.isDir && basename(p.path) !== 'saved_model.pb' && (p.ext === '.pb' || [0x0a, 0x12, 0x22].includes(firstTag(p.head))) && p.jsonFormat === undefined,
  load: (path, opts) => loadTfFile(path, opts),
};

const savedModelReader: Reader = {
  name: 'TensorFlow SavedModel',
  files: 'a directory with saved_model.pb, frozen',
  recognises: (p) => (p.isDir ? existsSync(join(p.path, 'saved_model.pb')) : basename(p.path) === 'saved_model.pb'),
  load: (path, opts) => loadTfFile(path, opts),
};

const tfjsGraphReader: Reader = {
  name: 'TF.js graph-model',
  files: 'model.json with "format": "graph-model" + weight shards, or its directory',
  recognises: (p) => p.jsonFormat === 'graph-model',
  load: (path, opts) => loadTfFile(path, opts),
};

const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46];
const isHdf5 = (h: Uint8Array) => HDF5_MAGIC.every((b, i) => h[i] === b);
const isZip = (h: Uint8Array) => h[0] === 0x50 && h[1] === 0x4b && h[2] === 0x03 && h[3] === 0x04;

const kerasReader: Reader = {
  name: 'Keras / QKeras / TF.js layers-model',
  files: 'full-model .h5, architecture .json + weights .h5 (--weights), Keras 3 .keras, TF.js model.json with "format": "layers-model" or its directory',
  // An architecture .json has no `format` key (jsonFormat ''); a TF.js layers model says so.
  recognises: (p) =>
    isHdf5(p.head) || isZip(p.head) || p.jsonFormat === 'layers-model' || (p.jsonFormat === '' && !p.isDir && (p.ext === '.json' || p.ext === '')),
  load: (path) => {
    throw new NnInputError(`${path}: Keras models load asynchronously; internal callers must use loadModelAsync`);
  },
  loadAsync: async (path, opts) => {
    if (opts.inputs?.length || opts.outputs?.length) throw new NnInputError(`${path}: --inputs/--outputs cut TensorFlow graphs, not Keras models`);
    // The Keras reader (and h5wasm, fflate) loads with the first Keras model, not with every command.
    const { loadKeras } = await import('./keras/index.js');
    const r = await loadKeras(path, opts.weights ? { weights: opts.weights } : {});
    return { graph: r.graph, precision: r.precision, notes: r.notes, ...(r.weightsFile ? { weightsFile: r.weightsFile } : {}) };
  },
};

/** The readers, tried in order. New formats add an entry here (see src/frontend/common/README.md). */
export const READERS: Reader[] = [onnxReader, tfjsGraphReader, kerasReader, savedModelReader, tfGraphReader];

/** The file a model path stands for (a TF.js folder stands for its model.json). */
export function modelFile(path: string): string {
  if (existsSync(path) && statSync(path).isDirectory() && existsSync(join(path, 'model.json'))) return join(path, 'model.json');
  return path;
}

export function probe(path: string): Probe {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (e) {
    throw new NnInputError(`${path}: cannot read the model (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const file = isDir ? (existsSync(join(path, 'model.json')) ? join(path, 'model.json') : null) : path;
  let head = new Uint8Array(0);
  let jsonFormat: string | undefined;
  if (file) {
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(4096);
      const n = readSync(fd, buf, 0, buf.length, 0);
      head = isDir ? head : new Uint8Array(buf.subarray(0, n));
      const text = buf.subarray(0, n).toString('utf8').trimStart();
      if (text.startsWith('{')) {
        const m = /"format"\s*:\s*"([^"]*)"/.exec(text);
        jsonFormat = m ? m[1] : '';
      }
    } finally {
      closeSync(fd);
    }
  }
  return { path, isDir, head, jsonFormat, ext: isDir ? '' : extname(path).toLowerCase() };
}

function readerFor(path: string): Reader {
  const p = probe(path);
  const reader = READERS.find((r) => r.recognises(p));
  if (reader) return reader;
  const known = READERS.map((r) => `${r.name} (${r.files})`).join('; ');
  const what = p.isDir ? 'a directory nn2hls does not recognise' : p.jsonFormat !== undefined ? `a JSON file with format '${p.jsonFormat}'` : `a file of unknown format${p.ext ? ` ('${p.ext}')` : ''}`;
  throw new NnInputError(`${path}: ${what}. nn2hls reads: ${known}.`);
}

export function loadModel(path: string, opts: LoadOptions = {}): Graph {
  const reader = readerFor(path);
  if (opts.weights && reader !== kerasReader) throw new NnInputError(`${path}: --weights is only used with a Keras architecture .json`);
  return reader.load(path, opts);
}

/** Any format; the general entry for the CLI. */
export async function loadModelAsync(path: string, opts: LoadOptions = {}): Promise<LoadedModel> {
  const reader = readerFor(path);
  if (opts.weights && reader !== kerasReader) throw new NnInputError(`${path}: --weights is only used with a Keras architecture .json`);
  if (reader.loadAsync) return reader.loadAsync(path, opts);
  return { graph: reader.load(path, opts), precision: {}, notes: [] };
}
