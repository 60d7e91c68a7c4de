/**
 * The estimator sees the attention kernels' products (MatMul of two run-time tensors, LayerNorm,
 * Gelu) through the LayerPlan's multiplier count: a layer's DSPs follow `multipliers` (each
 * 16×16-bit product of run-time values is one DSP) and change with the reuse factor the plan records,
 * and their II is the plan's loop (rows × step II), without the estimator deriving anything from the op.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULTS, planProject } from '../../src/backend-hls/index.js';
import { fitDesign } from '../../src/estimate/fit.js';
import { estimateGraph } from '../../src/estimate/index.js';
import { prepareFixed } from '../../src/passes/pipeline.js';
import { foldShape } from '../../src/passes/tile.js';
import { backendCase } from '../backend/cases.js';

const Z7 = { part: 'xczu7ev-ffvc1156-2-e', clockNs: 5, tool: 'vivado-2019.2' };

describe('estimator: attention kernels', () => {
  it('MatMul layers: DSPs = plan multipliers (a step of ⌈n/reuse⌉·k products), fewer with reuse 2', () => {
    const c = backendCase('attention');
    const g = prepareFixed(c.graph, c.config).graph;
    const plan = planProject(g, { ...DEFAULTS, io: 'parallel', layers: {}, runs: [] });
    const mm = plan.plans.filter((p) => p.op === 'MatMul');
    // scores: [2,4,3]x[2,3,4] -> 4·3 products per row, 8 rows; context: [2,4,4]x[2,4,3] -> 3·4 per
    // row; mix: constant [4,4] x [2,4,3] broadcast over the heads -> 3·4 per row, 8 rows; proj:
    // [2,4,3] x constant [3,3] -> 3·3 per row, 8 rows.
    expect(mm.map((p) => [p.kernel, p.multipliers, p.macs, p.tripCount, p.ii])).toEqual([
      ['nn2hls::matmul', 12, 96, 8, 8],
      ['nn2hls::matmul', 12, 96, 8, 8],
      ['nn2hls::matmul', 12, 96, 8, 8],
      ['nn2hls::matmul', 9, 72, 8, 8],
    ]);
    const e1 = estimateGraph(g, { io: 'parallel', strategy: 'latency', reuse: 1 }, Z7);
    const e2 = estimateGraph(g, { io: 'parallel', strategy: 'latency', reuse: 2 }, Z7);
    const dsp = (e: typeof e1) => e.layers.filter((l) => l.op === 'MatMul').map((l) => l.dsp);
    expect(dsp(e1)).toEqual([12, 12, 12, 9]);
    expect(dsp(e2)).toEqual([6, 8, 8, 6]); // ⌈n/2⌉·k: 2·3, 2·4, 2·4, 2·3
    // Timing: the plan's loop (8 rows × reuse steps) is the layer's II; latency adds a step's pipeline.
    const ii = (e: typeof e1) => e.layers.filter((l) => l.op === 'MatMul').map((l) => l.ii);
    expect(ii(e1)).toEqual([8, 8, 8, 8]);
    expect(ii(e2)).toEqual([16, 16, 16, 16]);
    for (const l of e1.layers.filter((x) => x.op === 'MatMul')) expect(l.latency_cycles).toBeGreaterThan(8);
  });

  it('io stream: a streamed MatMul loads its held right operand in its own process (the plan\'s II and heldInput)', () => {
    const c = backendCase('attention');
    const g = prepareFixed(c.graph, c.config).graph;
    const plan = planProject(g, { ...DEFAULTS, io: 'stream', layers: {}, runs: [] });
    const e = estimateGraph(g, { io: 'stream', strategy: 'latency', reuse: 1 }, Z7);
    const mm = (name: string) => [plan.plans.find((p) => p.name === name)!, e.layers.find((l) => l.name === name)!] as const;
    // scores: xt's 6 packs load while the previous sample's 8 rows stream (II 8); context at
    // the case's default reuse 1 here: 8 packs of x, 8 rows.
    expect(mm('scores')[0].heldInput).toMatchObject({ packs: 6 });
    expect([mm('scores')[1].ii, mm('context')[1].ii, mm('mix')[1].ii, mm('proj')[1].ii]).toEqual([8, 8, 8, 8]);
    // proj streams against a ROM and holds nothing: one row per cycle, as in io parallel.
    const par = estimateGraph(g, { io: 'parallel', strategy: 'latency', reuse: 1 }, Z7);
    expect(e.layers.find((l) => l.name === 'proj')!.ii).toBe(par.layers.find((l) => l.name === 'proj')!.ii);
  });

  it('LayerNorm: 3·N run-time products per row (squares, d·rstd, z·gamma); Gelu: one per element', () => {
    const c = backendCase('layernorm');
    const g = prepareFixed(c.graph, c.config).graph;
    const plan = planProject(g, { ...DEFAULTS, io: 'parallel', layers: {}, runs: [] });
    expect(plan.plans.map((p) => [p.op, p.multipliers])).toEqual([
      ['LayerNorm', 18],
      ['Gelu', 18],
      ['LayerNorm', 54],
    ]);
    const e = estimateGraph(g, { io: 'parallel', strategy: 'latency', reuse: 1 }, Z7);
    // Every product of the plan is estimated (on DSPs or LUTs): none is dropped.
    for (const l of e.layers) expect(l.dsp + l.lut).toBeGreaterThan(0);
    expect(e.layers.find((l) => l.name === 'ln1')!.dsp).toBeGreaterThan(0);
  });

  it('LayerNorm and io-parallel Gelu fold: reuse R shares a step\'s products on ⌈products/R⌉ multipliers at II R, and the estimate and the fit follow the plan', () => {
    const c = backendCase('layernorm');
    const g = prepareFixed(c.graph, c.config).graph;
    // Their reuse factors split a row (LayerNorm: N = 6 and 3·6 = 18) or the tensor (Gelu: 18) evenly.
    const shape = (name: string, io: 'parallel' | 'stream') => foldShape(g, g.nodes.find((n) => n.name === name)!, io);
    expect(shape('ln1', 'parallel')?.reuses).toEqual([1, 2, 3, 6]);
    expect(shape('ln2', 'stream')?.reuses).toEqual([1, 2, 3, 6, 9, 18]);
    expect(shape('gelu1', 'parallel')?.reuses).toEqual([1, 2, 3, 6, 9, 18]);
    expect(shape('gelu1', 'stream')).toBeNull(); // a pack per cycle whatever the reuse
    const layers = { ln2: { reuse: 3 }, gelu1: { reuse: 3 } };
    const plan = planProject(g, { ...DEFAULTS, io: 'parallel', layers, runs: [] });
    // ln2: a row of 18 (n·x products too: 18 is no power of two) -> ⌈4·18/3⌉ = 24 shared
    // multipliers, one row per step of II 3; gelu1: 18 products on 6, one step of II 3.
    expect(plan.plans.map((p) => [p.name, p.kernel, p.multipliers, p.tripCount, p.stepII, p.ii])).toEqual([
      ['ln1', 'nn2hls::layernorm', 18, 3, 1, 3],
      ['gelu1', 'nn2hls::unary_shared', 6, 1, 3, 3],
      ['ln2', 'nn2hls::layernorm', 24, 1, 3, 3],
    ]);
    const e1 = estimateGraph(g, { io: 'parallel', strategy: 'latency', reuse: 1 }, Z7);
    const e3 = estimateGraph(g, { io: 'parallel', strategy: 'latency', reuse: 1, layers }, Z7);
    const at = (e: typeof e1, name: string) => e.layers.find((l) => l.name === name)!;
    // 16-bit products of run-time values: one DSP each, so the DSPs are the plan's multipliers.
    expect([at(e1, 'gelu1').dsp, at(e1, 'ln2').dsp]).toEqual([18, 54]);
    expect([at(e3, 'gelu1').dsp, at(e3, 'ln2').dsp]).toEqual([6, 24]);
    expect([at(e3, 'gelu1').ii, at(e3, 'ln2').ii]).toEqual([3, 3]);
    // The shared Gelu spends its II before its last product; unshared it is its pipeline depth.
    expect(at(e3, 'gelu1').latency_cycles).toBe(at(e1, 'gelu1').latency_cycles + 3);
    // The fit folds them: at 2 % of the part the 90 DSPs of the unfolded design must go below 34.
    const fit = fitDesign(g, 'parallel', { ...Z7 }, { maxUtil: 0.02 });
    expect(fit.estimate.total.dsp).toBeLessThanOrEqual(0.02 * 1728);
    for (const name of ['ln1', 'gelu1', 'ln2']) expect(fit.layers[name]?.reuse, name).toBeGreaterThan(1);
  });
});
