/**
 * bipolar-threshold: BipolarQuant(Affine(x)) after an exact binarized Dense/Conv becomes an exact
 * integer threshold — before/after structure, float outputs unchanged, fixed point then equal to
 * float bit for bit; and the cases where it must not fire (float weights, the batch norm read
 * elsewhere too, an input not from a power-of-two quantizer).
 */
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/frontend/onnx/model.js';
import { defaultConfig } from '../../src/ir/precision-config.js';
import { bipolarThreshold } from '../../src/passes/bipolar-threshold.js';
import { canonicalize, prepareFixed } from '../../src/passes/pipeline.js';
import { simulate } from '../../src/sim/compare.js';
import { runFloat } from '../../src/sim/float/executor.js';
import { buildModel, type NodeSpec } from '../helpers/onnx-builder.js';

const QG = 'qonnx.custom_op.general';
const C = 6;
const K = 5;

/** x[1,K] → (BipolarQuant?) → Gemm(W through BipolarQuant?) → BN → BipolarQuant → y; `tap` also outputs the BN. */
function model(o: { inQuant?: boolean; wQuant?: boolean; tap?: boolean } = {}): Uint8Array {
  const { inQuant = true, wQuant = true, tap = false } = o;
  const nodes: NodeSpec[] = [];
  if (inQuant) nodes.push({ op: 'BipolarQuant', domain: QG, inputs: ['x', 'one'], outputs: ['xq'] });
  if (wQuant) nodes.push({ op: 'BipolarQuant', domain: QG, inputs: ['W', 'one'], outputs: ['Wq'] });
  nodes.push(
    { op: 'Gemm', name: 'fc', inputs: [inQuant ? 'xq' : 'x', wQuant ? 'Wq' : 'W'], outputs: ['h'] },
    { op: 'BatchNormalization', name: 'bn', inputs: ['h', 'g', 'b', 'm', 'v'], outputs: ['n'] },
    { op: 'BipolarQuant', name: 'sign', domain: QG, inputs: ['n', 'one'], outputs: ['y'] },
  );
  const W = Array.from({ length: K * C }, (_, i) => Math.sin(i * 2.3 + 1));
  return buildModel({
    inputs: [['x', [1, K]]],
    outputs: [['y', [1, C]], ...(tap ? ([['n', [1, C]]] as [string, number[]][]) : [])],
    nodes,
    inits: [
      ['one', [], [1]],
      ['W', [K, C], W],
      // Signs of the scale both ways and zero; thresholds between and on integers.
      ['g', [C], [0.7, -1.3, 0, 2, -0.4, 1]],
      ['b', [C], [0.1, 0.25, -0.2, -0.5, 0.3, 0]],
      ['m', [C], [0.5, -1, 0, 1.5, 0.2, -2.5]],
      ['v', [C], [1, 2, 1, 0.5, 1.5, 3]],
    ],
    extraOpsets: [{ domain: QG, version: 1 }],
  });
}

const inputs = (n: number) => ({ shape: [n, K], data: Float32Array.from({ length: n * K }, (_, i) => Math.sin(i * 0.91) * 2) });

describe('bipolar-threshold', () => {
  it('turns the batch norm before a BipolarQuant into ±1 scales and grid thresholds; outputs unchanged; fixed point exact', () => {
    const g = importOnnx(model(), 'bnn.onnx');
    const c = canonicalize(g);
    const aff = c.nodes.find((n) => n.op === 'Affine')!;
    expect(Array.from(c.values.get(aff.inputs[1]!)!.data!)).toEqual([1, -1, 0, 1, -1, 1]);
    const t = Array.from(c.values.get(aff.inputs[2]!)!.data!);
    expect(t.every((v) => Number.isInteger(v))).toBe(true);
    expect(t[2]).toBe(-1); // scale 0: the sign of the shift (−0.2 < 0)
    const x = inputs(64);
    expect(Array.from(runFloat(c, [x])[0]!.data)).toEqual(Array.from(runFloat(g, [x])[0]!.data));
    const r = simulate(c, prepareFixed(g, defaultConfig()).graph, [x]);
    expect(r.report.max_abs_error).toBe(0);
    // Running it again changes nothing.
    expect(bipolarThreshold.run(c)).toEqual(c);
  });

  it('must not fire: float weights, the batch norm read elsewhere, an input not from a quantizer', () => {
    for (const o of [{ wQuant: false }, { tap: true }, { inQuant: false }]) {
      const c = canonicalize(importOnnx(model(o), 'bnn.onnx'));
      expect([...c.values.keys()].filter((k) => k.endsWith('_threshold') || k.endsWith('_sign'))).toEqual([]);
      const aff = c.nodes.find((n) => n.op === 'Affine');
      // Float weights: fuse-affine folded the batch norm into the Gemm instead.
      expect(!aff).toBe('wQuant' in o && o.wQuant === false);
      if (!aff) continue;
      expect(c.values.get(aff.inputs[1]!)!.quantized).toBeUndefined();
      expect(Array.from(c.values.get(aff.inputs[1]!)!.data!).some((v) => Math.abs(v) !== 1 && v !== 0)).toBe(true);
    }
  });
});
