/**
 * fuse-bias-add: MatMul + Add(bias) as Keras exports it becomes one Dense with a bias; it must
 * not fire when the layer output has another reader, is a graph output, or when the constant is
 * not one value per output channel. Float results are unchanged.
 */
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/frontend/onnx/model.js';
import { verify } from '../../src/ir/verify.js';
import { fuseBiasAdd } from '../../src/passes/fuse-bias-add.js';
import { runFloat } from '../../src/sim/float/executor.js';
import { buildModel } from '../helpers/onnx-builder.js';

const W = [0.5, -1, 2, 0.25, 1.5, -0.75];
const x = { shape: [2, 3], data: Float32Array.from([1, 2, 3, -1, 0.5, 4]) };

function keras(extra: Partial<Parameters<typeof buildModel>[0]> = {}, bias: [number[], number[]] = [[2], [0.1, -0.2]]) {
  return importOnnx(
    buildModel({
      inputs: [['x', ['N', 3]]],
      outputs: [['y', ['N', 2]]],
      inits: [['W', [3, 2], W], ['b', bias[0], bias[1]]],
      nodes: [
        { op: 'MatMul', name: 'fc', inputs: ['x', 'W'], outputs: ['h'] },
        { op: 'Add', name: 'fc_bias', inputs: ['h', 'b'], outputs: ['y'] },
      ],
      ...extra,
    }),
    'k.onnx',
  );
}

describe('fuse-bias-add', () => {
  it('MatMul + Add(bias) -> one Dense with the bias, same float result', () => {
    const g = keras();
    expect(g.nodes.map((n) => n.op)).toEqual(['Dense', 'Add']);
    const f = verify(fuseBiasAdd.run(g));
    expect(f.nodes.map((n) => n.op)).toEqual(['Dense']);
    expect(f.nodes[0]!.name).toBe('fc');
    expect(Array.from(f.values.get(f.nodes[0]!.inputs[2]!)!.data!)).toEqual([Math.fround(0.1), Math.fround(-0.2)]);
    expect(f.nodes[0]!.outputs[0]).toBe(g.outputs[0]!.value);
    expect([...runFloat(f, [x])[0]!.data]).toEqual([...runFloat(g, [x])[0]!.data]);
  });

  it('must not fire when the bias is not per channel', () => {
    const g = keras({}, [[1], [0.3]]);
    expect(fuseBiasAdd.run(g).nodes.map((n) => n.op)).toEqual(['Dense', 'Add']);
  });

  it('must not fire when the layer output is also read elsewhere', () => {
    const g = importOnnx(
      buildModel({
        inputs: [['x', ['N', 3]]],
        outputs: [['y', ['N', 2]], ['z', ['N', 2]]],
        inits: [['W', [3, 2], W], ['b', [2], [0.1, -0.2]]],
        nodes: [
          { op: 'MatMul', name: 'fc', inputs: ['x', 'W'], outputs: ['h'] },
          { op: 'Add', name: 'fc_bias', inputs: ['h', 'b'], outputs: ['y'] },
          { op: 'Relu', name: 'r', inputs: ['h'], outputs: ['z'] },
        ],
      }),
      'k2.onnx',
    );
    expect(fuseBiasAdd.run(g).nodes.map((n) => n.op)).toEqual(['Dense', 'Add', 'Relu']);
  });
});
