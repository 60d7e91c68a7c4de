/**
 * The config's hls.multiplier ("dsp" | "fabric" | "auto", model-wide and per layer): parsed by the
 * one config parser, carried in the LayerPlan, rendered into the layer's cfg, and honoured by the
 * estimator (fabric: LUT multipliers and no DSP; dsp: every real product on a DSP).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULTS, emitProject, planProject } from '../../src/backend-hls/index.js';
import { fitDesign } from '../../src/estimate/fit.js';
import { estimateGraph } from '../../src/estimate/index.js';
import { defaultConfig, parseConfigDocument } from '../../src/ir/precision-config.js';
import { denseGraph, randomWeights } from './helpers.js';
import { simulateFixed } from '../../src/sim/fixed/simulate.js';
import { DSP_SHAPES } from '../../src/estimate/devices.js';
import { multiplierCost } from '../../src/estimate/multipliers.js';
import { planView } from '../../src/estimate/plan-view.js';
import { resolveTool } from '../../src/estimate/tools.js';
import { valueOf } from '../../src/ir/graph.js';
import { prepareFixed } from '../../src/passes/pipeline.js';
import { caseGraph } from '../backend/cases.js';

const r = (raw: number) => raw / 1024; // ap_fixed<16,6>
// 0 and ±2^k (512, -1, 64) are no multiplication at all; the other 8 are real products, of which
// 5 (1336, 1000, -700, 300, 2047) go to DSPs under 'auto' and 3 small ones (10, 3, 21) to LUTs.
const W = [
  [0, 512, 1336],
  [10, 1000, -700],
  [3, -1, 300],
  [64, 21, 2047],
].map((row) => row.map(r));
const Z7 = { part: 'xczu7ev-ffvc1156-2-e', clockNs: 5, tool: 'vivado-2019.2' };

describe('hls.multiplier', () => {
  it('parses model-wide and per layer, and rejects other values with where and what', () => {
    const d = parseConfigDocument({ hls: { multiplier: 'dsp', layers: { fc: { multiplier: 'fabric', reuse: 2 } } } }, 'cfg.json');
    expect(d.hls.multiplier).toBe('dsp');
    expect(d.hls.layers['fc']).toEqual({ multiplier: 'fabric', reuse: 2 });
    expect(() => parseConfigDocument({ hls: { multiplier: 'lut' } }, 'cfg.json')).toThrow(/cfg\.json: hls\.multiplier: multiplier must be "dsp", "fabric" or "auto", got "lut"/);
    expect(() => parseConfigDocument({ hls: { layers: { fc: { multiplier: 1 } } } }, 'c.json')).toThrow(/hls\.layers\.fc\.multiplier/);
  });

  it('the plan carries it per layer (own, else model-wide, else auto; auto where the kernel binds none) and the cfg renders it', () => {
    const g = denseGraph(W, 'Relu');
    const opts = { ...DEFAULTS, io: 'parallel' as const, layers: { fc: { multiplier: 'fabric' as const } }, multiplier: 'dsp' as const, runs: [], simulate: simulateFixed };
    const plan = planProject(g, opts);
    // The Relu's kernel has no weight products to bind: its plan says 'auto' under the model-wide 'dsp'.
    expect(plan.plans.map((p) => [p.name, p.multiplier])).toEqual([['fc', 'fabric'], ['act', 'auto']]);
    expect(planProject(g, { ...opts, layers: {} }).plans.map((p) => [p.name, p.multiplier])).toEqual([['fc', 'dsp'], ['act', 'auto']]);
    const params = emitProject(g, opts, plan).get('firmware/parameters.h')!;
    expect(params).toMatch(/static const int multiplier = nn2hls::MULT_FABRIC;/);
    expect(planProject(g, { ...opts, layers: {}, multiplier: undefined }).plans[0]!.multiplier).toBe('auto');
  });

  it('fabric: no DSP, the products in LUTs; dsp: every real product on a DSP', () => {
    const g = denseGraph(W);
    const auto = estimateGraph(g, { io: 'parallel', strategy: 'latency', reuse: 1 }, Z7);
    const fabric = estimateGraph(g, { io: 'parallel', strategy: 'latency', reuse: 1, layers: { fc: { multiplier: 'fabric' } } }, Z7);
    const wide = estimateGraph(g, { io: 'parallel', strategy: 'latency', reuse: 1, multiplier: 'fabric' }, Z7);
    const dsp = estimateGraph(g, { io: 'parallel', strategy: 'latency', reuse: 1, multiplier: 'dsp' }, Z7);
    expect(auto.layers[0]!.dsp).toBe(5);
    expect(fabric.layers[0]!.dsp).toBe(0);
    expect(fabric.total.dsp).toBe(0);
    expect(fabric.layers[0]!.lut).toBeGreaterThan(auto.layers[0]!.lut);
    expect(wide.layers[0]!.dsp).toBe(0);
    expect(dsp.layers[0]!.dsp).toBe(8);
  });

  it('fabric with shared multipliers (reuse > 1, resource strategy): still no DSP', () => {
    const g = denseGraph(randomWeights(16, 8, 0.9));
    for (const strategy of ['latency', 'resource'] as const) {
      const auto = estimateGraph(g, { io: 'parallel', strategy, reuse: 4 }, Z7);
      const fabric = estimateGraph(g, { io: 'parallel', strategy, reuse: 4, multiplier: 'fabric' }, Z7);
      expect(auto.total.dsp).toBeGreaterThan(0);
      expect(fabric.total.dsp).toBe(0);
      expect(fabric.total.lut).toBeGreaterThan(auto.total.lut);
    }
  });

  it('fitDesign keeps the binding while it folds: a fabric design is costed without DSPs', () => {
    const g = denseGraph(randomWeights(16, 8, 0.9));
    const plain = fitDesign(g, 'parallel', Z7, {});
    const fabric = fitDesign(g, 'parallel', Z7, {}, undefined, { layers: { fc: 'fabric' } });
    expect(plain.estimate.total.dsp).toBeGreaterThan(0);
    expect(fabric.estimate.total.dsp).toBe(0);
    expect(fabric.layers['fc']).toMatchObject({ multiplier: 'fabric' });
  });
});

describe('Softmax normalisation products', () => {
  it('are counted in the plan (one multiplier per term) and the estimator reads them from there', () => {
    const g = prepareFixed(caseGraph('softmax'), defaultConfig()).graph;
    const opts = { ...DEFAULTS, layers: {}, runs: [] };
    const sm = planProject(g, opts).plans.find((p) => p.op === 'Softmax')!;
    const len = valueOf(g, g.nodes.find((n) => n.op === 'Softmax')!.inputs[0]!).shape.at(-1)!;
    expect([sm.multipliers, sm.macs]).toEqual([len, len]);
    const view = planView(g, opts).layers.find((l) => l.kind === 'softmax')!;
    expect(view.multipliers).toBe(len);
    const tool = resolveTool().profile;
    // The count comes from the plan: a view claiming other multipliers is costed by them.
    expect(multiplierCost(view, DSP_SHAPES.DSP48E2, tool).realProducts).toBe(len);
    expect(multiplierCost({ ...view, multipliers: 3 }, DSP_SHAPES.DSP48E2, tool).realProducts).toBe(3);
  });
});
