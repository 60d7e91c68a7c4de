/**
 * Model loading by file type: the one place the CLI asks for a graph. Only ONNX is read so far;
 * other formats get a message saying what to do instead.
 */
import { extname } from 'node:path';
import type { Graph } from '../ir/graph.js';
import { NnInputError } from '../util/tensor.js';
import { loadOnnxFile, type OnnxImportOptions } from './onnx/model.js';

export function loadModel(path: string, opts: OnnxImportOptions = {}): Graph {
  const ext = extname(path).toLowerCase();
  if (ext === '.onnx') return loadOnnxFile(path, opts);
  throw new NnInputError(
    `${path}: unsupported model file type '${ext || '(none)'}'; nn2hls reads ONNX (.onnx) models. ` +
      'Convert Keras/TensorFlow models with tf2onnx or PyTorch models with torch.onnx.export.',
  );
}
