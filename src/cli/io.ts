/**
 * File I/O at the CLI's edge: reading input tensors (.npy or ONNX TensorProto .pb) into float32
 * with checks that name the file, and writing outputs atomically (temp file, then rename) so an
 * interrupted run never leaves a file that looks complete.
 */
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { extname, join } from 'node:path';
import { readTensorProtoFile } from '../frontend/onnx/tensor-proto.js';
import type { Graph } from '../ir/graph.js';
import { checkInputs } from '../sim/float/executor.js';
import { transposeData } from '../ir/semantics/float/layout.js';
import type { RtTensor } from '../ir/semantics/tensor.js';
import { readNpyFile, writeNpyFile } from '../util/npy.js';
import { type HostTensor, NnInputError, toFloat32 } from '../util/tensor.js';

/** `shared`: a .npy float32 payload is read into a SharedArrayBuffer (simulation workers read it in place). */
export function readTensorFile(path: string, shared = false): HostTensor {
  const ext = extname(path).toLowerCase();
  if (ext === '.npy') return readNpyFile(path, { shared });
  if (ext === '.pb') return readTensorProtoFile(path);
  throw new NnInputError(`${path}: unsupported input file type '${ext || '(none)'}'; give a .npy file or an ONNX TensorProto .pb file`);
}

/**
 * Reads an input as float32 (booleans as 0/1 where the model declares a bool input, e.g. a
 * Where's condition), refusing NaN (it would silently poison every later number).
 */
export function readInputTensor(path: string, boolOk = false, shared = false): RtTensor {
  const h = readTensorFile(path, shared);
  if (h.dtype === 'bool' && !boolOk) throw new NnInputError(`${path}: boolean data cannot be this model input (it is not declared bool)`);
  const data = toFloat32(h);
  // includes() compares with SameValueZero, which finds NaN: a built-in scan, about twice as fast
  // as a loop here; the loop runs only to name the element.
  if (data.includes(NaN)) {
    const bad = data.findIndex((v) => v !== v);
    throw new NnInputError(`${path}: element ${bad} is NaN; clean the data before running the model`);
  }
  return { shape: h.shape, data };
}

function expectedShapes(g: Graph): string {
  return g.inputs
    .map((io) => {
      const v = g.values.get(io.value)!;
      return `'${io.modelName}' ${g.batched ? `[N,${v.shape.join(',')}]` : `[${v.shape.join(',')}]`}`;
    })
    .join(', ');
}

/**
 * Reads the files given to `flag` (--input, --calib) as the model's inputs, one per graph input,
 * and checks count and shapes with messages that name the flag and the file. `shared`: float32
 * .npy data is read into SharedArrayBuffers, for simulation workers to read in place.
 */
export function readModelInputs(g: Graph, files: readonly string[], flag: string, what = 'input data', shared = false): RtTensor[] {
  if (files.length === 0) {
    throw new NnInputError(`${flag} FILE is required: ${what} (.npy or .pb), one file per model input: ${expectedShapes(g)}`);
  }
  if (files.length !== g.inputs.length) {
    throw new NnInputError(`${flag}: the model has ${g.inputs.length} input(s) (${expectedShapes(g)}), but ${files.length} file(s) were given`);
  }
  const ts = files.map((f, k) => moveAxis(readInputTensor(f, g.inputs[k]!.elem === 'bool', shared), g.inputs[k]!.batchAxis ?? 0, 0));
  try {
    checkInputs(g, ts);
  } catch (e) {
    if (!(e instanceof NnInputError)) throw e;
    const k = Number(/^input (\d+)/.exec(e.message)?.[1] ?? 0);
    throw new NnInputError(`${flag} ${files[k] ?? files[0]}: the ${what} file does not fit the model: ${e.message}`);
  }
  return ts;
}

/**
 * Moves dim `from` of a tensor to position `to` (the batch of a sequence-first model's input
 * [T, N, F] to the front, where the IR and the simulators hold it, and back for its outputs).
 */
export function moveAxis(t: RtTensor, from: number, to: number): RtTensor {
  if (from === to || t.shape.length <= Math.max(from, to)) return t;
  const order = t.shape.map((_, i) => i).filter((i) => i !== from);
  order.splice(to, 0, from);
  return { shape: order.map((i) => t.shape[i]!), data: transposeData(t.data, t.shape, order) };
}

/** The graph's outputs (batch-first, as every executor returns them) in the model's own layout. */
export function toModelLayout(g: Graph, outs: readonly RtTensor[]): RtTensor[] {
  return outs.map((t, k) => (g.batched ? moveAxis(t, 0, g.outputs[k]?.batchAxis ?? 0) : t));
}

/** Writes float32 tensors as DIR/output_<k>.npy through a temp dir renamed into place file by file. */
export function writeOutputs(dir: string, outs: readonly RtTensor[], prefix = 'output'): string[] {
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.nn2hls-tmp-${process.pid}`);
  mkdirSync(tmp, { recursive: true });
  try {
    const names = outs.map((t, k) => {
      const name = `${prefix}_${k}.npy`;
      writeNpyFile(join(tmp, name), { dtype: 'float32', shape: [...t.shape], data: t.data });
      return name;
    });
    for (const name of names) renameSync(join(tmp, name), join(dir, name));
    return names.map((n) => join(dir, n));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
