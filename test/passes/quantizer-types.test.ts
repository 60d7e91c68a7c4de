/**
 * Few-bit QONNX quantizers keep their width through import and the quantize pass: weights folded
 * from BipolarQuant / 1–2-bit Quant carry the type their quantizer defines (Value.quantized) and the
 * quantize pass gives them that type instead of the default ap_fixed<16,6>, unless the config names
 * one; per-channel power-of-two weight scales get one type as wide as the widest channel needs;
 * derived constants (batch-norm folded into quantized weights) lose it. The estimator then costs
 * binary/ternary products in LUTs (no DSP), on the ../shared binarized model and on in-memory ones.
 * Run-time Quant with per-channel powers of two keeps its printed approximation note.
 */
import { precisionOf } from '../../src/ir/precision.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/frontend/onnx/model.js';
import { renderType } from '../../src/ir/fixed.js';
import type { Graph } from '../../src/ir/graph.js';
import { parseGraph } from '../../src/ir/parse.js';
import { defaultConfig, parseConfig } from '../../src/ir/precision-config.js';
import { printGraph } from '../../src/ir/print.js';
import { foldedQuantType, quantTyping } from '../../src/ir/quantizer-types.js';
import { canonicalize, prepareFixed } from '../../src/passes/pipeline.js';
import { simulate } from '../../src/sim/compare.js';
import { FixedProgram } from '../../src/sim/fixed/executor.js';
import { simulateFixed } from '../../src/sim/fixed/simulate.js';
import { estimateGraph } from '../../src/estimate/index.js';
import { DEFAULTS, emitProject } from '../../src/backend-hls/index.js';
import { defaultRuns } from '../../src/cli/compile.js';
import { buildModel } from '../helpers/onnx-builder.js';

const QG = 'qonnx.custom_op.general';
const BNN = join(__dirname, '../../../shared/models/onnx/bnn_model_fc_1layer.onnx');
const Z7 = { part: 'xczu7ev-ffvc1156-2-e', clockNs: 5, tool: 'vivado-2019.2' };

const typeOf = (g: Graph, name: string) => renderType(g.values.get(name)!.fixed!);
const weightOf = (g: Graph, layer: string) => g.nodes.find((n) => n.name === layer)!.inputs[1]!;

/** x[1,K] (16-bit, not quantized) → Gemm with weights through `wq` (BipolarQuant or Quant) → y[1,M]. */
function fcModel(K: number, M: number, wq: 'bipolar' | { bits: number; scale: number[]; narrow?: number }): Uint8Array {
  const w = Array.from({ length: K * M }, (_, i) => Math.sin(i * 1.7 + 0.3) * 0.9);
  const qNode =
    wq === 'bipolar'
      ? { op: 'BipolarQuant', domain: QG, inputs: ['W', 's'], outputs: ['Wq'] }
      : { op: 'Quant', domain: QG, inputs: ['W', 's', 'z', 'b'], outputs: ['Wq'], attrs: { signed: 1, narrow: wq.narrow ?? 1, rounding_mode: 'ROUND' } };
  const scale = wq === 'bipolar' ? [1] : wq.scale;
  const sShape = scale.length === 1 ? [] : [scale.length, 1];
  return buildModel({
    inputs: [['x', [1, K]]],
    outputs: [['y', [1, M]]],
    nodes: [qNode, { op: 'Gemm', name: 'fc', inputs: ['x', 'Wq', 'bias'], outputs: ['y'], attrs: { transB: 1 } }],
    inits: [
      ['W', [M, K], w],
      ['s', sShape, scale],
      ['z', sShape, scale.map(() => 0)],
      ['b', [], [wq === 'bipolar' ? 1 : wq.bits]],
      ['bias', [M], Array.from({ length: M }, (_, m) => m / 8)],
    ],
    extraOpsets: [{ domain: QG, version: 1 }],
  });
}

describe('quantizer types (src/ir/quantizer-types.ts)', () => {
  it('types Quant outputs by bits and power-of-two scales, per channel as wide as the widest channel', () => {
    const t = (scale: number[], bits: number, signed = true, narrow = false) => quantTyping({ scale, zeroPoint: [0], bits, signed, narrow, rounding: 'ROUND' }, true);
    expect(renderType(t([1], 2, true, true).type)).toBe('ap_fixed<2,2,AP_RND_CONV,AP_SAT_SYM>');
    expect(renderType(t([0.25], 1, false).type)).toBe('ap_ufixed<1,-1,AP_RND_CONV,AP_SAT>');
    // 2^-3 .. 2^-1 per channel, 4 bits: fraction bits of the finest (3), integer bits of the coarsest (4 - 1).
    const pc = t([0.5, 0.125, 0.25], 4);
    expect(pc.kind).toBe('exact');
    expect(renderType(pc.type)).toBe('ap_fixed<6,3,AP_RND_CONV,AP_SAT>');
    // A run-time cast cannot do per-channel grids: approximated, with the note.
    const run = quantTyping({ scale: [0.5, 0.125], zeroPoint: [0], bits: 4, signed: true, narrow: false, rounding: 'ROUND' }, false);
    expect(run.kind).toBe('approx');
    expect(run.kind === 'approx' && run.note).toMatch(/per-channel powers of two/);
    expect(quantTyping({ scale: [0.3], zeroPoint: [0], bits: 4, signed: true, narrow: false, rounding: 'ROUND' }, true).kind).toBe('approx');
    expect(foldedQuantType({ bipolar: [1] })).toEqual(foldedQuantType({ bipolar: [1, 1] }));
    expect(renderType(foldedQuantType({ bipolar: [1] })!)).toBe('ap_int<2>');
    expect(renderType(foldedQuantType({ bipolar: [2, 0.5] })!)).toBe('ap_fixed<4,3>');
    expect(foldedQuantType({ bipolar: [0.3] })).toBeNull();
  });
});

describe('binary and ternary weights keep their quantizer width', () => {
  it('BipolarQuant weights are ap_int<2>, and a config entry for the layer still wins', () => {
    const g = importOnnx(fcModel(16, 8, 'bipolar'), 'fc.onnx');
    expect(renderType(g.values.get(weightOf(g, 'fc'))!.quantized!)).toBe('ap_int<2>');
    const q = prepareFixed(g, defaultConfig()).graph;
    expect(typeOf(q, weightOf(q, 'fc'))).toBe('ap_int<2>');
    expect(typeOf(q, q.nodes.find((n) => n.name === 'fc')!.inputs[2]!)).toBe('ap_fixed<16,6>');
    const over = prepareFixed(g, parseConfig({ layers: { fc: { weight: 'ap_fixed<8,3>' } } }, 't')).graph;
    expect(typeOf(over, weightOf(over, 'fc'))).toBe('ap_fixed<8,3>');
    // --precision TYPE (the model default) does not widen them.
    const narrow = prepareFixed(g, parseConfig({ model: { default: 'ap_fixed<12,4>' } }, 't')).graph;
    expect(typeOf(narrow, weightOf(narrow, 'fc'))).toBe('ap_int<2>');
  });

  it('ternary (2-bit narrow) and per-channel power-of-two Quant weights', () => {
    const tern = prepareFixed(importOnnx(fcModel(16, 8, { bits: 2, scale: [0.5] }), 'fc.onnx'), defaultConfig()).graph;
    const w = tern.values.get(weightOf(tern, 'fc'))!;
    expect(renderType(w.fixed!)).toBe('ap_fixed<2,1>');
    expect(new Set(w.data)).toEqual(new Set([-0.5, 0, 0.5]));
    const pc = prepareFixed(importOnnx(fcModel(16, 4, { bits: 4, scale: [0.5, 0.125, 0.25, 0.0625] }), 'fc.onnx'), defaultConfig()).graph;
    expect(typeOf(pc, weightOf(pc, 'fc'))).toBe('ap_fixed<7,3>');
  });

  it('survives the IR text round trip', () => {
    const g = importOnnx(fcModel(4, 2, 'bipolar'), 'fc.onnx');
    const text = printGraph(g);
    expect(text).toMatch(/quantized ap_int<2> = /);
    expect(printGraph(parseGraph(text))).toBe(text);
  });

  /** Conv 1x1 with weights through `q` (BipolarQuant, or a 4-bit Quant with scale 1/8), then BatchNormalization. */
  const convBn = (q: 'bipolar' | 'quant4') =>
    buildModel({
      inputs: [['x', [1, 2, 4, 4]]],
      outputs: [['y', [1, 2, 4, 4]]],
      nodes: [
        q === 'bipolar'
          ? { op: 'BipolarQuant', domain: QG, inputs: ['W', 's'], outputs: ['Wq'] }
          : { op: 'Quant', domain: QG, inputs: ['W', 's', 'z', 'b'], outputs: ['Wq'], attrs: { signed: 1, narrow: 0, rounding_mode: 'ROUND' } },
        { op: 'Conv', name: 'conv', inputs: ['x', 'Wq'], outputs: ['c'], attrs: { kernel_shape: [1, 1] } },
        { op: 'BatchNormalization', name: 'bn', inputs: ['c', 'g', 'bb', 'm', 'v'], outputs: ['y'] },
      ],
      inits: [
        ['W', [2, 2, 1, 1], [0.3, -0.6, -0.2, 0.9]], ['s', [], [q === 'bipolar' ? 1 : 0.125]], ['z', [], [0]], ['b', [], [4]],
        ['g', [2], [0.7, 1.3]], ['bb', [2], [0.1, 0]], ['m', [2], [0, 0.2]], ['v', [2], [1, 2]],
      ],
      extraOpsets: [{ domain: QG, version: 1 }],
    });

  it('a batch norm after binary weights stays a per-channel Affine; after 4-bit weights it folds and the type goes', () => {
    const bin = prepareFixed(importOnnx(convBn('bipolar'), 'conv.onnx'), defaultConfig()).graph;
    expect(bin.nodes.map((n) => n.op).filter((op) => op !== 'Transpose')).toEqual(['Conv', 'Affine']);
    expect(typeOf(bin, weightOf(bin, 'conv'))).toBe('ap_int<2>');
    const four = prepareFixed(importOnnx(convBn('quant4'), 'conv.onnx'), defaultConfig()).graph;
    expect(four.nodes.map((n) => n.op).filter((op) => op !== 'Transpose')).toEqual(['Conv']);
    const w = four.values.get(weightOf(four, 'conv'))!;
    expect(w.quantized).toBeUndefined();
    expect(renderType(w.fixed!)).toBe('ap_fixed<16,6>');
    // Before folding the 4-bit weights had their quantizer's type.
    const raw = importOnnx(convBn('quant4'), 'conv.onnx');
    expect(renderType(raw.values.get(weightOf(raw, 'conv'))!.quantized!)).toBe('ap_fixed<4,1>');
  });

  /** x[1,4,2,2] → Quant(scale per channel [1,4,1,1], 4 bits) → y. */
  const pcQuant = (scale: number[], narrow = 0) =>
    buildModel({
      inputs: [['x', [1, 4, 2, 2]]],
      outputs: [['y', [1, 4, 2, 2]]],
      nodes: [{ op: 'Quant', name: 'q', domain: QG, inputs: ['x', 's', 'z', 'b'], outputs: ['y'], attrs: { signed: 1, narrow, rounding_mode: 'ROUND' } }],
      inits: [['s', [1, 4, 1, 1], scale], ['z', [], [0]], ['b', [], [4]]],
      extraOpsets: [{ domain: QG, version: 1 }],
    });

  it('a run-time Quant with per-channel powers of two casts channel by channel, exactly as the float quantizer', () => {
    const g = importOnnx(pcQuant([0.5, 0.25, 0.125, 0.5], 1), 'q.onnx');
    const r = prepareFixed(g, defaultConfig());
    expect(r.notes).toEqual([]);
    const q = r.graph.nodes[0]!;
    expect(typeOf(r.graph, q.outputs[0]!)).toBe('ap_fixed<6,3,AP_RND_CONV,AP_SAT_SYM>');
    expect(renderType(precisionOf(q)!.types!['grid']!)).toBe('ap_fixed<4,4,AP_RND_CONV,AP_SAT_SYM>');
    // Halves (ties to even), saturation at ±7 steps (narrow), both signs, every channel; x on ap_fixed<16,6>'s grid.
    const N = 6;
    const data = Float32Array.from({ length: N * 16 }, (_, i) => ((i * 37) % 97) / 16 - 3 + (i % 3) / 32);
    const sim = simulate(canonicalize(g), r.graph, [{ shape: [N, 4, 2, 2], data }]);
    expect(Array.from(sim.fixedOutputs[0]!.data)).toEqual(Array.from(sim.floatOutputs[0]!.data));
    const y = Array.from(sim.floatOutputs[0]!.data);
    expect(Math.max(...y.filter((_, i) => Math.floor(i / 4) % 4 === 2))).toBe(0.875);
    expect(new Set(y).size).toBeGreaterThan(12);
    // The BigInt path (src/sim/fixed/wide.ts) gives the same raws and saturation counts.
    const fast = new FixedProgram(r.graph);
    const big = new FixedProgram(r.graph, { allBigInt: true });
    const a = fast.run([{ shape: [N, 4, 2, 2], data }]);
    const b = big.run([{ shape: [N, 4, 2, 2], data }]);
    expect(Array.from(b[0]!.raw)).toEqual(Array.from(a[0]!.raw));
    expect(Object.fromEntries(big.stats)).toEqual(Object.fromEntries(fast.stats));
    expect([...fast.stats.values()].reduce((n, s) => n + s.result, 0)).toBeGreaterThan(0);
  });

  it('a run-time Quant whose per-channel scales are not powers of two keeps the printed approximation note', () => {
    const r = prepareFixed(importOnnx(pcQuant([0.5, 0.3, 0.125, 0.5]), 'q.onnx'), defaultConfig());
    expect(r.notes.join('\n')).toMatch(/node 'q' \(Quant\): scale \(per channel\) \/ zero point 0 is not a power of two with zero point 0; approximated by ap_fixed<12,3>/);
  });
});

describe('the estimator costs binary products in LUTs', () => {
  it('16-bit input × BipolarQuant weights under a shared (resource) schedule: no DSP; typed 16-bit they take DSPs', () => {
    const g = importOnnx(fcModel(32, 16, 'bipolar'), 'fc.onnx');
    const d = { io: 'parallel' as const, strategy: 'resource' as const, reuse: 4 };
    const bin = estimateGraph(prepareFixed(g, defaultConfig()).graph, d, Z7);
    const wide = estimateGraph(prepareFixed(g, parseConfig({ layers: { fc: { weight: 'ap_fixed<16,6>' } } }, 't')).graph, d, Z7);
    const fc = (e: typeof bin) => e.layers.find((l) => l.name === 'fc')!;
    expect(fc(bin).dsp).toBe(0);
    expect(fc(bin).lut).toBeGreaterThan(0);
    expect(fc(wide).dsp).toBeGreaterThan(0);
  });

  it('bnn_cl (binary channels-last CNN): no DSP in either io mode; a streamed element-wise layer costs a pixel of operators', () => {
    const q = prepareFixed(importOnnx(readFileSync(join(__dirname, '../fixtures/qonnx/bnn_cl.onnx')), 'bnn_cl.onnx'), defaultConfig()).graph;
    expect(q.nodes.filter((n) => n.op === 'Conv' || n.op === 'Dense').map((n) => typeOf(q, n.inputs[1]!))).toEqual(['ap_int<2>', 'ap_int<2>', 'ap_int<2>', 'ap_int<2>']);
    const par = estimateGraph(q, { io: 'parallel', strategy: 'latency', reuse: 1 }, Z7);
    const str = estimateGraph(q, { io: 'stream', strategy: 'latency', reuse: 1 }, Z7);
    expect(par.total.dsp).toBe(0);
    expect(str.total.dsp).toBe(0);
    // The first BipolarQuant (16x16x16): an operator per element in io parallel, per element of a pixel in io stream.
    const bq = (e: typeof par) => e.layers.find((l) => l.op === 'BipolarQuant')!.lut;
    // (its ±scale constants add a few LUTs in io stream, read per element of the pack).
    const inW = q.values.get(q.nodes.find((n) => n.op === 'BipolarQuant' && n.inputs[0]!.startsWith('bn'))!.inputs[0]!)!.fixed!.width;
    expect(bq(par)).toBe(16 * 16 * 16 * inW);
    expect(bq(str)).toBeGreaterThanOrEqual(16 * inW);
    expect(bq(str)).toBeLessThan(2 * 16 * inW);
  });

  it.skipIf(!existsSync(BNN))('bnn_model_fc_1layer: weights ap_int<2>, DSP 0 in every io mode and strategy', () => {
    const q = prepareFixed(importOnnx(readFileSync(BNN), BNN), defaultConfig()).graph;
    expect(typeOf(q, weightOf(q, '/linear/Gemm'))).toBe('ap_int<2>');
    for (const d of [
      { io: 'parallel', strategy: 'latency', reuse: 1 },
      { io: 'stream', strategy: 'latency', reuse: 1 },
      { io: 'parallel', strategy: 'resource', reuse: 2 },
    ] as const) {
      const e = estimateGraph(q, d, Z7);
      expect(e.total.dsp).toBe(0);
      for (const tool of ['vitis-2024.1', 'vivado-2020.1']) expect(estimateGraph(q, d, { ...Z7, tool }).total.dsp).toBe(0);
    }
    // The kernel leaves the binding to the tool (no DSP pragma) and multiplies 2-bit by 2-bit operands.
    const params = emitProject(q, { ...DEFAULTS, layers: {}, runs: defaultRuns(q, 1), simulate: simulateFixed }).get('firmware/parameters.h')!;
    expect(params).toContain('nn2hls::MULT_AUTO');
    expect(params).not.toMatch(/MULT_DSP/);
    expect(params).toMatch(/struct cfg_linear_Gemm \{\n  typedef ap_int<2> in_t;\n  typedef ap_fixed<15,5> out_t;\n  typedef ap_int<2> weight_t;/);
  });
});
