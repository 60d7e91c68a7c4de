/**
 * Writes examples/digits_cnn_tf.pb: the bundled digits CNN (examples/digits_cnn.onnx, trained
 * by scripts/make_examples.py) as a frozen TensorFlow GraphDef, in the form a Keras model
 * frozen with convert_variables_to_constants takes: NHWC input [-1,8,8,1], Conv2D (HWIO
 * filters, SAME) + BiasAdd + Relu, MaxPool, a Keras Flatten whose target shape is computed
 * (Shape → StridedSlice → Pack → Reshape), MatMul + BiasAdd, Softmax. The weights are the
 * ONNX model's, read with nn2hls's own ONNX reader; the dense rows are permuted from PyTorch's
 * CHW flatten order to TF's HWC order, so both models compute the same function. Encoded with
 * the project's TF schema (src/frontend/tf/schema.ts): no TensorFlow install needed.
 *
 *   npx tsx scripts/export_tf_example.ts      (from the repository root)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { importOnnx } from '../src/frontend/onnx/model.js';
import { GraphDefBuilder } from '../src/frontend/tf/write.js';

const SRC = 'examples/digits_cnn.onnx';
const OUT = 'examples/digits_cnn_tf.pb';

const g = importOnnx(readFileSync(SRC), SRC);
const ops = g.nodes.map((n) => n.op).join(',');
if (ops !== 'Transpose,Conv,Relu,MaxPool,Conv,Relu,MaxPool,Transpose,Reshape,Dense,Softmax') throw new Error(`unexpected layers in ${SRC}: ${ops}`);
const data = (v: string) => {
  const val = g.values.get(v)!;
  return { shape: [...val.shape], data: Array.from(val.data!) };
};

const b = new GraphDefBuilder();
const f32 = { T: { type: 'float32' as const } };
let x = b.placeholder('input', [-1, 8, 8, 1]);
let k = 0;
for (const n of g.nodes) {
  if (n.op === 'Conv') {
    k++;
    // IR conv weights are [kh, kw, Cin, Cout]: TF's HWIO filter layout as is.
    const w = data(n.inputs[1]!);
    const bias = data(n.inputs[2]!);
    if (n.attrs.pads.some((p) => p !== 1) || n.attrs.strides.some((s) => s !== 1)) throw new Error('expected 3x3 SAME convolutions');
    const c = b.node(`conv${k}/Conv2D`, 'Conv2D', [x, b.const(`conv${k}/kernel`, w.shape, w.data)], { ...f32, strides: { ints: [1, 1, 1, 1] }, padding: { s: 'SAME' }, data_format: { s: 'NHWC' }, dilations: { ints: [1, 1, 1, 1] } });
    const a = b.node(`conv${k}/BiasAdd`, 'BiasAdd', [c, b.const(`conv${k}/bias`, bias.shape, bias.data)], { ...f32, data_format: { s: 'NHWC' } });
    x = b.node(`conv${k}/Relu`, 'Relu', [a], f32);
  } else if (n.op === 'MaxPool') {
    x = b.node(`pool${k}/MaxPool`, 'MaxPool', [x], { ...f32, ksize: { ints: [1, 2, 2, 1] }, strides: { ints: [1, 2, 2, 1] }, padding: { s: 'VALID' }, data_format: { s: 'NHWC' } });
  } else if (n.op === 'Dense') {
    // Keras Flatten: the batch size is read from the tensor, so the target shape is computed.
    const i32 = (name: string, v: number[]) => b.const(name, [v.length], v, 'int32');
    const shape = b.node('flatten/Shape', 'Shape', [x], { ...f32, out_type: { type: 'int32' } });
    const n0 = b.node('flatten/strided_slice', 'StridedSlice', [shape, i32('flatten/begin', [0]), i32('flatten/end', [1]), i32('flatten/strides', [1])], { shrink_axis_mask: { i: 1 }, T: { type: 'int32' }, Index: { type: 'int32' } });
    const target = b.node('flatten/Reshape/shape', 'Pack', [n0, b.const('flatten/Reshape/shape/1', [], [-1], 'int32')], { N: { i: 2 }, axis: { i: 0 }, T: { type: 'int32' } });
    x = b.node('flatten/Reshape', 'Reshape', [x, target], { ...f32, Tshape: { type: 'int32' } });
    const w = data(n.inputs[1]!);
    const bias = data(n.inputs[2]!);
    // Rows in PyTorch's flatten order c·4 + h·2 + w → TF's (h·2 + w)·16 + c.
    const [rows, cols] = w.shape as [number, number];
    const C = 16;
    const HW = rows / C;
    const perm = new Array<number>(rows * cols);
    for (let hw = 0; hw < HW; hw++) for (let c = 0; c < C; c++) for (let j = 0; j < cols; j++) perm[(hw * C + c) * cols + j] = w.data[(c * HW + hw) * cols + j]!;
    const m = b.node('dense/MatMul', 'MatMul', [x, b.const('dense/kernel', w.shape, perm)], { ...f32, transpose_a: { b: false }, transpose_b: { b: false } });
    x = b.node('dense/BiasAdd', 'BiasAdd', [m, b.const('dense/bias', bias.shape, bias.data)], { ...f32, data_format: { s: 'NHWC' } });
  } else if (n.op === 'Softmax') {
    x = b.node('output', 'Softmax', [x], f32);
  }
}
writeFileSync(OUT, b.encode());
console.log(`wrote ${OUT} (${readFileSync(OUT).length} bytes); output tensor '${x}'`);
