/**
 * The ONNX backend node tests (Debian libonnx-testdata) that nn2hls runs: every non-`_expanded`
 * test whose ops are all in nn2hls' required op list, except the categories the foundation
 * issue excludes (3-D variants, cubic and crop-and-resize Resize, MaxPool's argmax output,
 * int8/uint8-typed variants, sequence and optional Identity, random training Dropout, zero-size
 * tensors). Shared by the harness test (importer + float executor) and the CLI test (`nn2hls run`).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';

export const ROOT = '/usr/share/libonnx-testdata/data/node';

/** The ONNX ops of the foundation issue. */
const REQUIRED = new Set(
  (
    'Conv ConvTranspose Gemm MatMul Add Sub Mul Div Relu LeakyRelu PRelu Sigmoid HardSigmoid HardSwish Tanh ' +
    'Softmax LogSoftmax Elu Selu Softplus Softsign ThresholdedRelu Clip MaxPool AveragePool GlobalAveragePool ' +
    'GlobalMaxPool BatchNormalization Flatten Reshape Transpose Concat Squeeze Unsqueeze Identity Dropout Pad ' +
    'Upsample Resize LSTM GRU RNN QuantizeLinear DequantizeLinear ' +
    // Issue #17: the everyday operator set.
    'Abs Neg Exp Log Sqrt Reciprocal Pow Sign Floor Ceil Round Erf Mish Sum Mean Max Min ' +
    'ReduceMean ReduceSum ReduceMax ReduceMin ReduceProd ReduceL1 ReduceL2 ReduceSumSquare ReduceLogSumExp ' +
    'ArgMax ArgMin Split Slice Gather Tile Expand DepthToSpace SpaceToDepth InstanceNormalization LpNormalization ' +
    'Where Equal Greater Less'
  ).split(' '),
);

/** Why a test in scope is not run; each reason is a category the issue names. */
function excluded(name: string, model: onnxProto.onnx.IModelProto): string | null {
  if (/_3d/.test(name)) return '3-D variant';
  if (/cubic|crop_and_resize/.test(name)) return 'cubic / crop-and-resize Resize';
  if (/with_argmax/.test(name)) return "MaxPool's argmax output";
  if (/u?int8/.test(name)) return 'int8/uint8-typed variant';
  if (/^test_identity_(opt|sequence)/.test(name)) return 'sequence/optional Identity';
  if (/^test_training_dropout/.test(name) && !/zero_ratio/.test(name)) return 'training-mode Dropout is random';
  if (name === 'test_reshape_allowzero_reordered' || name === 'test_slice_start_out_of_bounds' || name === 'test_split_zero_size_splits') {
    return 'zero-size tensor';
  }
  // libonnx-testdata 1.12 computed this expectation with the fractional output length 2.4;
  // onnxruntime (our oracle) and the later ONNX reference use the integer length 2.
  if (name === 'test_resize_downsample_scales_linear_align_corners') return 'expectation disagrees with onnxruntime';
  void model;
  return null;
}

export interface Case {
  name: string;
  dir: string;
  family: string;
}

export function collect(): { cases: Case[]; skipped: Map<string, string[]> } {
  const cases: Case[] = [];
  const skipped = new Map<string, string[]>();
  if (!existsSync(ROOT)) return { cases, skipped };
  for (const name of readdirSync(ROOT).sort()) {
    if (name.endsWith('_expanded')) continue;
    const dir = join(ROOT, name);
    const modelPath = join(dir, 'model.onnx');
    if (!existsSync(modelPath)) continue;
    const model = onnxProto.onnx.ModelProto.decode(readFileSync(modelPath));
    const ops = (model.graph?.node ?? []).map((n) => n.opType ?? '');
    if (ops.length === 0 || !ops.every((op) => REQUIRED.has(op))) continue;
    const why = excluded(name, model);
    if (why) {
      skipped.set(why, [...(skipped.get(why) ?? []), name]);
      continue;
    }
    cases.push({ name, dir, family: ops[0]! });
  }
  return { cases, skipped };
}

