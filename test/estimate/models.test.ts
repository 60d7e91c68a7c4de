/**
 * The estimator's per-layer formulas against values worked out by hand, and its monotonicity
 * properties (DSP never grows with reuse; pruning never adds DSPs).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolvePart } from '../../src/estimate/devices.js';
import { estimateGraph, estimateJson } from '../../src/estimate/index.js';
import { bufferedTiming, designTiming, layerTiming } from '../../src/estimate/latency.js';
import type { LayerView } from '../../src/estimate/plan-view.js';
import { ramb18For, uramFor } from '../../src/estimate/memory.js';
import { constShape, dspsPerProduct } from '../../src/estimate/multipliers.js';
import { DEFAULTS } from '../../src/backend-hls/index.js';
import { planView } from '../../src/estimate/plan-view.js';
import { dynamicPower } from '../../src/estimate/power.js';
import { resolveTool } from '../../src/estimate/tools.js';
import { denseGraph, randomWeights } from './helpers.js';
import { parseConfig } from '../../src/ir/precision-config.js';

const r = (raw: number) => raw / 1024; // ap_fixed<16,6>: 10 fractional bits
// Hand-picked raws: 0 (vanishes), ±2^k (shifts: 512, -1, 64), small (|raw| < 2^4.5: 10, 3, 21 -> LUT adders),
// and 5 that need a DSP (1336, 1000, -700, 300, 2047).
const W = [
  [0, 512, 1336],
  [10, 1000, -700],
  [3, -1, 300],
  [64, 21, 2047],
].map((row) => row.map(r));
const Z7 = { part: 'xczu7ev-ffvc1156-2-e', clockNs: 5, tool: 'vivado-2019.2' };
const est = (g: ReturnType<typeof denseGraph>, reuse: number, o = Z7) => estimateGraph(g, { io: 'parallel', strategy: 'latency', reuse }, o);

describe('primitive formulas', () => {
  it('constant shapes: bits and canonical signed digits', () => {
    expect(constShape(0)).toEqual({ bits: 0, csd: 0 });
    expect(constShape(-512)).toEqual({ bits: 10, csd: 1 });
    expect(constShape(7)).toEqual({ bits: 3, csd: 2 }); // 8 - 1
    expect(constShape(21)).toEqual({ bits: 5, csd: 3 }); // 16 + 4 + 1
    expect(constShape(2047)).toEqual({ bits: 11, csd: 2 }); // 2048 - 1
  });
  it('DSP slices per product by the DSP port widths', () => {
    const e2 = resolvePart('xczu7ev').device.dspShape;
    const e1 = resolvePart('xc7z020').device.dspShape;
    expect(dspsPerProduct(16, 16, e2)).toBe(1);
    expect(dspsPerProduct(27, 18, e2)).toBe(1);
    expect(dspsPerProduct(28, 18, e2)).toBe(2);
    expect(dspsPerProduct(32, 32, e2)).toBe(4); // ceil(32/27) * ceil(32/18)
    expect(dspsPerProduct(26, 16, e1)).toBe(2); // 25x18 ports
  });
  it('RAMB18 and URAM counts from the aspect ratios', () => {
    expect(ramb18For(1024, 18)).toBe(1);
    expect(ramb18For(1024, 16)).toBe(1);
    expect(ramb18For(2048, 18)).toBe(2);
    expect(ramb18For(512, 36)).toBe(1);
    expect(ramb18For(4096, 4)).toBe(1);
    expect(ramb18For(100, 72)).toBe(2); // 512x36 twice
    expect(ramb18For(16384, 1)).toBe(1);
    expect(uramFor(4096, 72)).toBe(1);
    expect(uramFor(5000, 80)).toBe(4);
  });
  it('dynamic power: count x f x toggle x coefficient (xc7a100t report: 19 DSP48E1 -> 10 mW at 100 MHz, 12.5 %)', () => {
    const a100 = resolvePart('xc7a100t').device;
    expect(dynamicPower({ dsp: 19, lut: 0, ff: 0, bram18k: 0, uram: 0 }, a100, 100, 0.125)).toBeCloseTo(0.01, 9);
    expect(dynamicPower({ dsp: 19, lut: 0, ff: 0, bram18k: 0, uram: 0 }, a100, 200, 0.25)).toBeCloseTo(0.04, 9);
    expect(dynamicPower({ dsp: 0, lut: 0, ff: 0, bram18k: 240, uram: 0 }, a100, 100, 0.125)).toBeCloseTo(0.009, 9); // 120 RAMB36
  });
});

describe('a Dense layer worked out by hand', () => {
  const g = denseGraph(W);
  it('reuse 1: zero weights vanish, ±2^k are shifts, small constants are LUT adders, the rest one DSP each', () => {
    const e = est(g, 1);
    expect(e.layers[0]).toMatchObject({ name: 'fc', dsp: 5, ii: 1, latency_cycles: 0 });
    // 3 LUT constant multipliers (10: 2 digits, 3: 2 digits, 21: 3 digits) of a 16-bit input: (csd-1)*(16+1) LUTs each.
    expect(e.layers[0]!.lut).toBeGreaterThanOrEqual((1 + 1 + 2) * 17);
  });
  it('reuse 2 and 4: the plan shares ceil(12/R) multipliers, capped by the constant design', () => {
    expect(est(g, 2).layers[0]).toMatchObject({ dsp: 5, ii: 2 });
    expect(est(g, 4).layers[0]).toMatchObject({ dsp: 3, ii: 4 });
  });
  it('latency: multiply + adder tree over the fan-in, cut into stages of the clock period less 12.5 %', () => {
    // 3.0 ns + 0.35 ns * ceil(log2(4 + 1)) = 4.05 ns: fits 5 ns (4.375 usable), two stages at 2 ns (1.75 usable).
    expect(est(g, 1).total.latency_cycles).toBe(0);
    expect(est(g, 1, { ...Z7, clockNs: 2 }).total.latency_cycles).toBe(2);
    // A -1 speed grade stretches the path twice (fitted): 8.1 ns -> one stage at 5 ns.
    expect(est(g, 1, { ...Z7, part: 'xczu3eg-sbva484-1-e' }).total.latency_cycles).toBe(1);
  });
  it('a 64-way table activation reads its 1024x18 table (18 Kb: BRAM by the plan) through two ports per RAMB18: 32 BRAMs', () => {
    const cfg = parseConfig({ model: { default: 'ap_fixed<16,6>', table: 'ap_fixed<18,8>' } }, 'test');
    const g = denseGraph(randomWeights(1, 64, 1.7), 'Sigmoid', cfg);
    const t = planView(g, { ...DEFAULTS, layers: {}, runs: [] }).layers[1]!.tables;
    expect(t).toEqual([{ entries: 1024, width: 18, reads: 64, storage: 'bram' }]);
    const e = est(g, 1, { ...Z7, tool: 'vivado-2020.1' });
    expect(e.layers[1]).toMatchObject({ op: 'Sigmoid', bram18k: 32, latency_cycles: 2 });
  });
  it('a 1024x16 table (16 Kb) read once a cycle is LUTRAM by the plan (a LUT ROM per 64 entries and bit); read 64 times, BRAM', () => {
    const g = denseGraph(randomWeights(1, 64, 1.7), 'Sigmoid');
    // Reuse 64: the 64 lookups spread over the top's II of 64, one read per cycle.
    const once = planView(g, { ...DEFAULTS, layers: {}, runs: [], reuse: 64 }).layers[1]!.tables;
    expect(once).toEqual([{ entries: 1024, width: 16, reads: 1, storage: 'lutram' }]);
    const e1 = est(g, 64, { ...Z7, tool: 'vivado-2020.1' });
    expect(e1.layers[1]!.bram18k).toBe(0);
    expect(e1.layers[1]!.lut).toBeGreaterThanOrEqual(16 * 16);
    // Reuse 1: 64 LUTRAM copies would be 1 Mb, so BRAM: 32 dual-port RAMB18.
    expect(planView(g, { ...DEFAULTS, layers: {}, runs: [] }).layers[1]!.tables).toEqual([{ entries: 1024, width: 16, reads: 64, storage: 'bram' }]);
    expect(est(g, 1, { ...Z7, tool: 'vivado-2020.1' }).layers[1]!.bram18k).toBe(32);
  });
  it('the timing model reads the plan: II and trip count of a looped layer', () => {
    const view = planView(g, { ...DEFAULTS, layers: {}, runs: [], strategy: 'resource', reuse: 4 });
    const l = view.layers[0]!;
    expect([l.ii, l.iterations, l.multipliers]).toEqual([4, 4, 3]);
    const t = layerTiming(l, resolveTool('vivado-2019.2').profile, 5, 1);
    expect(t.ii).toBe(4);
    expect(t.latency).toBeGreaterThanOrEqual(5);
  });
});

describe('dataflow timing (io_stream)', () => {
  const prof = resolveTool('vivado-2020.1').profile;
  const lv = (over: Partial<LayerView>): LayerView => ({ stream: 'native', kind: 'conv', producers: [], ...over }) as LayerView;
  it('streaming layers overlap: the next starts after the previous one\'s depth and line-buffer fill', () => {
    // Two 100-pixel stages of depth 3; the second has a 3-row line buffer of 10-pixel rows (fill 2*10 + 3).
    const layers = [lv({}), lv({ lineBuffer: { rows: 3, cols: 10, channels: 1, width: 16, partitioned: true } }), lv({})];
    const t = [{ latency: 103, ii: 100, stages: 3 }, { latency: 103, ii: 100, stages: 3 }, { latency: 2, ii: 1, stages: 2 }];
    // offsets: 0, 3+0+1 = 4, 4 + 3+23+1 = 31; last outputs at 104, 108, 31+2+1 = 34 -> 108
    expect(designTiming(layers, t, 'stream', false, prof)).toEqual({ latency: 108, ii: 100 });
  });
  it('a native layer holding an input whole (a streamed MatMul) waits for that input\'s packs', () => {
    const layers = [lv({ kind: 'product', heldPacks: 32 }), lv({})];
    const t = [{ latency: 40, ii: 32, stages: 8 }, { latency: 5, ii: 1, stages: 5 }];
    // Its rows start after the 32 packs (cycle 32) and end 40 cycles later (73); offsets 0,
    // 32+8+1 = 41, the next layer's last output at 41+5+1 = 47. Without the held input 41.
    expect(designTiming(layers, t, 'stream', false, prof)).toEqual({ latency: 73, ii: 32 });
    expect(designTiming([lv({ kind: 'product' }), lv({})], t, 'stream', false, prof)).toEqual({ latency: 41, ii: 32 });
    // Held input written by a layer done only at 103+1: the rows start at 104, not 32 (104+40+1),
    // the next layer at 104+8+1 = 113 (last output 119); its other, fast input changes nothing.
    const slow = { latency: 103, ii: 100, stages: 3 };
    const behind = [lv({}), lv({ kind: 'product', heldPacks: 32, heldProducers: [0], producers: [0] }), lv({})];
    expect(designTiming(behind, [slow, ...t], 'stream', false, prof)).toEqual({ latency: 145, ii: 100 });
    const other = [lv({}), lv({ kind: 'product', heldPacks: 32, heldProducers: [], producers: [0] }), lv({})];
    // Slow writer of the streamed input only: rows at 0+3+1+32 = 36 .. 77, the design ends with it (104).
    expect(designTiming(other, [slow, ...t], 'stream', false, prof)).toEqual({ latency: 104, ii: 100 });
  });
  it('a buffered layer waits for its whole input, its kernel and two array hops before its first output', () => {
    const arr = { elements: 40, bits: 16, packs: 10, banks: 0, storage: 'registers' as const, copies: 2 };
    // The plan's II: the slowest of reading the input's 10 packs, the kernel's loop, writing 4 packs.
    const sm = lv({ stream: 'buffered', kind: 'softmax', ii: 10, buffers: [{ what: 'input 0', ...arr }, { what: 'result', ...arr, packs: 4 }] });
    // Kernel 12 cycles: first output at 10 packs + 12 + 2 = 24, last 4 packs later; II the plan's.
    const b = bufferedTiming(sm, { latency: 12, ii: 3, stages: 2 });
    expect(b).toEqual({ latency: 28, ii: 10, stages: 2, fill: 10, first: 24 });
    // offsets: 0, 24+1 = 25; outputs at 28+1 and 25+51+1 = 77
    expect(designTiming([sm, lv({})], [b, { latency: 51, ii: 50, stages: 1 }], 'stream', false, prof)).toEqual({ latency: 77, ii: 50 });
    // Behind a layer writing its 10 packs over 100 cycles, the input is whole only at that
    // layer's last output (103 + 1): first output at 104 + 12 + 2 = 118, offset 119, end 119+51+1.
    const slow = { latency: 103, ii: 100, stages: 3 };
    const behind = [lv({}), { ...sm, producers: [0] }, lv({})];
    expect(designTiming(behind, [slow, b, { latency: 51, ii: 50, stages: 1 }], 'stream', false, prof)).toEqual({ latency: 171, ii: 100 });
    // Not reading that layer (a parallel branch), it waits only for its own packs: offsets 0, 3+0+1 = 4;
    // first output 4+24 = 28, offset 29; ends 104, 28+4+1 = 33, 29+51+1 = 81.
    expect(designTiming([lv({}), sm, lv({})], [slow, b, { latency: 51, ii: 50, stages: 1 }], 'stream', false, prof)).toEqual({ latency: 104, ii: 100 });
  });
});

describe('properties', () => {
  const reuses = [1, 2, 3, 4, 6, 8, 12, 16, 24, 48];
  it('DSP never increases with reuse (random weights, both tool lines)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), fc.constantFrom('vivado-2019.2', 'vitis-2024.1'), fc.double({ min: 0.01, max: 4, noNaN: true }), (seed, tool, a) => {
        const g = denseGraph(randomWeights(8, 6, a, seed));
        let prev = Infinity;
        for (const R of reuses) {
          const d = est(g, R, { ...Z7, tool }).total.dsp;
          expect(d).toBeLessThanOrEqual(prev);
          prev = d;
        }
      }),
      { numRuns: 25 },
    );
  });
  it('pruning lowers DSP', () => {
    const w = randomWeights(16, 16, 1.5, 7);
    const pruned = w.map((row, i) => row.map((x, j) => ((i + j) % 2 ? 0 : x)));
    for (const R of [1, 2, 4]) {
      const full = est(denseGraph(w), R).total.dsp;
      const half = est(denseGraph(pruned), R).total.dsp;
      expect(half).toBeLessThan(full);
      expect(half).toBeLessThanOrEqual(Math.ceil(full / 2) + 1);
    }
  });
});

describe('estimate output', () => {
  it('has exactly the JSON shape of the issue', () => {
    const j = estimateJson(est(denseGraph(W, 'Relu'), 1)) as Record<string, unknown>;
    expect(Object.keys(j)).toEqual(expect.arrayContaining(['part', 'clock_ns', 'tool', 'layers', 'total', 'power', 'energy_per_inference_j']));
    const layer = (j.layers as Record<string, unknown>[])[0]!;
    expect(Object.keys(layer).sort()).toEqual(['bram18k', 'dsp', 'dynamic_power_w', 'ff', 'ii', 'latency_cycles', 'lut', 'name', 'op', 'uram'].sort());
    const total = j.total as Record<string, unknown>;
    for (const k of ['latency_cycles', 'ii', 'dsp', 'lut', 'ff', 'bram18k', 'uram', 'latency_s', 'throughput_per_s', 'utilization', 'fits']) expect(total).toHaveProperty(k);
    expect(Object.keys(total.utilization as object).sort()).toEqual(['bram18k', 'dsp', 'ff', 'lut', 'uram']);
    expect(Object.keys(j.power as object).sort()).toEqual(['dynamic_w', 'static_w', 'total_w']);
    expect(j).toMatchObject({ part: 'xczu7ev-ffvc1156-2-e', clock_ns: 5, tool: 'vivado-2019.2', total: { fits: true } });
  });
  it('throughput, energy and power add up', () => {
    const e = est(denseGraph(W), 2);
    expect(e.total.throughput_per_s).toBeCloseTo(1e9 / (2 * 5), 0);
    expect(e.power.total_w).toBeCloseTo(e.power.static_w + e.power.dynamic_w, 12);
    expect(e.energy_per_inference_j).toBeCloseTo(e.power.total_w * 2 * 5e-9, 15);
    expect(e.power.static_w).toBe(resolvePart('xczu7ev').device.staticW);
  });
  it('a design beyond a tool limit is estimated and marked, not refused', () => {
    const g = denseGraph(randomWeights(128, 40, 1.5, 4)); // 5120 products > the 4096 unroll limit
    const asked = estimateGraph(g, { io: 'parallel', strategy: 'latency', reuse: 1, explicit: { strategy: true, reuse: true } }, Z7);
    expect(asked.layers[0]!.marks.join()).toMatch(/layer 'fc' \(Dense\): 5120 multiplications unrolled in one step \(limit 4096\)/);
    expect(asked.total.fits).toBe(false);
    expect(asked.total.dsp).toBeGreaterThan(4000);
    // Left to the planner, the same model is folded under the limit (as compile would) and fits.
    const planned = estimateGraph(g, { io: 'parallel', strategy: 'latency', reuse: 1 }, Z7);
    expect(planned.layers[0]!.marks).toEqual([]);
    expect(planned.layers[0]!.ii).toBeGreaterThan(1);
  });
  it('a design that does not fit is estimated and marked, not refused', () => {
    const g = denseGraph(randomWeights(32, 32, 1.5, 3));
    const e = est(g, 1, { ...Z7, part: 'xc7z007s' });
    expect(e.total.dsp).toBeGreaterThan(66);
    expect(e.total.fits).toBe(false);
    expect(e.marks.join('\n')).toMatch(/dsp \d+ exceeds the 66 of xc7z007s/);
  });
});

describe('recurrent layers read their schedule from the plan', () => {
  it('LSTM at the resource strategy: shared multipliers = plan multipliers, each time step drains the pipeline', async () => {
    const { importOnnx } = await import('../../src/frontend/onnx/model.js');
    const { recurrentModel } = await import('../helpers/recurrent-model.js');
    const { prepareFixed } = await import('../../src/passes/pipeline.js');
    const { defaultConfig } = await import('../../src/ir/precision-config.js');
    const { planProject } = await import('../../src/backend-hls/index.js');
    // I 4, H 4: n_xh 8, 4 gates — 128 products per step, T 6.
    const g = prepareFixed(importOnnx(recurrentModel({ kind: 'LSTM', T: 6, I: 4, H: 4, seed: 3, outputs: 'Y' }), 'lstm.onnx'), defaultConfig()).graph;
    const dsp = resolvePart('xczu7ev').device.dspShape;
    let last = { latency: 0, dsp: Infinity };
    for (const reuse of [2, 4, 8]) {
      const layers = { lstm_layer: { strategy: 'resource' as const, reuse } };
      const plan = planProject(g, { ...DEFAULTS, layers, runs: [] }).plans[0]!;
      expect(plan).toMatchObject({ multipliers: 128 / reuse, tripCount: 6 * reuse, serialSteps: 6 });
      const view = planView(g, { ...DEFAULTS, layers, runs: [] }).layers[0]!;
      expect(view).toMatchObject({ kind: 'recurrent', multipliers: 128 / reuse, iterations: 6 * reuse, serialSteps: 6, constOperands: false });
      const e = estimateGraph(g, { io: 'parallel', strategy: 'latency', reuse: 1, layers }, Z7).layers[0]!;
      // 16-bit operands on shared multipliers: one DSP each.
      expect(e.dsp).toBe((128 / reuse) * dspsPerProduct(16, 16, dsp));
      const t = layerTiming(view, resolveTool('vivado-2019.2').profile, 5, 1, false);
      expect(t.ii).toBe(6 * reuse + 6 * t.stages);
      expect(e.latency_cycles).toBe(t.latency);
      expect(e.latency_cycles).toBeGreaterThan(last.latency);
      expect(e.dsp).toBeLessThan(last.dsp);
      last = { latency: e.latency_cycles, dsp: e.dsp };
    }
  });
});
