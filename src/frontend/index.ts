/**
 * Model loading: the one place the CLI asks for a graph. The format is recognised by content
 * (ONNX protobuf; Keras HDF5 .h5, Keras 3 .keras zip, architecture .json + weights .h5, TF.js
 * layers-model folder or model.json), not only by extension. Keras files are read with h5wasm,
 * which loads asynchronously, so loadModelAsync is the general entry; loadModel stays for ONNX.
 */
import { existsSync, openSync, readSync, closeSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { Graph } from '../ir/graph.js';
import type { LevelSpec } from '../ir/precision-config.js';
import { NnInputError } from '../util/tensor.js';
import { loadOnnxFile, type OnnxImportOptions } from './onnx/model.js';
import { loadKeras } from './keras/index.js';

export interface LoadOptions extends OnnxImportOptions {
  /** Weights .h5 for a Keras architecture .json (default: <stem>_weights.h5 beside it). */
  weights?: string;
}

export interface LoadedModel {
  readonly graph: Graph;
  /** Per-layer precision the model itself fixes (QKeras quantizers), keyed by IR node name. */
  readonly precision: Readonly<Record<string, LevelSpec>>;
  readonly notes: readonly string[];
}

const KERAS_EXT = new Set(['.h5', '.hdf5', '.keras', '.json']);

/** The file a model path stands for (a TF.js folder stands for its model.json). */
export function modelFile(path: string): string {
  if (existsSync(path) && statSync(path).isDirectory()) return join(path, 'model.json');
  return path;
}

function head(path: string): Uint8Array {
  const buf = new Uint8Array(8);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new NnInputError(`${path}: cannot read the model (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    readSync(fd, buf, 0, 8, 0);
  } finally {
    closeSync(fd);
  }
  return buf;
}

/** True when the path holds a Keras/TF.js model (by content, falling back to the extension). */
export function isKerasModel(path: string): boolean {
  if (existsSync(path) && statSync(path).isDirectory()) return true;
  const ext = extname(path).toLowerCase();
  if (ext === '.onnx') return false;
  const b = head(path);
  if (b[0] === 0x89 && b[1] === 0x48 && b[2] === 0x44 && b[3] === 0x46) return true; // HDF5
  if (b[0] === 0x50 && b[1] === 0x4b) return true; // zip (.keras)
  if (b[0] === 0x7b || ((b[0] === 0x20 || b[0] === 0x0a || b[0] === 0x0d || b[0] === 0x09) && KERAS_EXT.has(ext))) return true; // JSON
  return KERAS_EXT.has(ext);
}

export async function loadModelAsync(path: string, opts: LoadOptions = {}): Promise<LoadedModel> {
  if (isKerasModel(path)) {
    const r = await loadKeras(path, opts.weights ? { weights: opts.weights } : {});
    return { graph: r.graph, precision: r.precision, notes: r.notes };
  }
  if (opts.weights) throw new NnInputError(`${path}: --weights is only used with a Keras architecture .json`);
  return { graph: loadModel(path, opts), precision: {}, notes: [] };
}

export function loadModel(path: string, opts: OnnxImportOptions = {}): Graph {
  const ext = extname(path).toLowerCase();
  if (ext === '.onnx' || (existsSync(path) && !isKerasModel(path))) return loadOnnxFile(path, opts);
  throw new NnInputError(
    `${path}: unsupported model file type '${ext || '(none)'}' here; nn2hls reads ONNX (.onnx) and Keras (.h5, .keras, .json + weights, TF.js model.json) models.`,
  );
}
