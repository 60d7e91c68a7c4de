/**
 * A Dense applied per row (a [rows, K] input, as in a transformer) in io stream: dense_stream
 * computes one row at a time with one instance of the row schedule, so the plan's multipliers,
 * the cfg's ALLOCATION limit (mult_limit) and the estimator's DSPs are a row's K·M products (÷
 * reuse), and the rows are a loop (II = rows × reuse). io parallel unrolls every row. The row
 * loop is pipelined in the latency schedule (rows overlap, II max(reuse, packs per row)); the
 * resource schedule reads a row, then runs its reuse-step loop, and drains per row — the plan's
 * trip count, step II and serial steps say which, and the estimate follows them.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULTS, planProject } from '../../src/backend-hls/index.js';
import { estimateGraph } from '../../src/estimate/index.js';
import type { Graph, Node, Value } from '../../src/ir/graph.js';
import { parseType } from '../../src/ir/fixed.js';
import { defaultConfig } from '../../src/ir/precision-config.js';
import { prepareFixed } from '../../src/passes/pipeline.js';
import { randomWeights } from './helpers.js';
import { backendCase } from '../backend/cases.js';

const Z7 = { part: 'xczu7ev-ffvc1156-2-e', clockNs: 5, tool: 'vivado-2019.2' };
const ROWS = 16;
const K = 32;
const M = 64;

function rowsDense(): Graph {
  const values: Value[] = [
    { name: 'x', shape: [ROWS, K], elem: 'float32' },
    { name: 'w', shape: [K, M], elem: 'float32', data: Float32Array.from(randomWeights(K, M, 0.5).flat()) },
    { name: 'y', shape: [ROWS, M], elem: 'float32' },
  ];
  const nodes = [{ name: 'fc', op: 'Dense', inputs: ['x', 'w'], outputs: ['y'], attrs: {} } as unknown as Node];
  const vs = new Map(values.map((v) => [v.name, v]));
  const io = (v: string) => ({ modelName: v, value: v, modelShape: [null, ...vs.get(v)!.shape], elem: 'float32' as const });
  const g: Graph = { name: 'g', batched: true, values: vs, nodes, inputs: [io('x')], outputs: [io('y')], source: 'test' };
  return prepareFixed(g, defaultConfig(parseType('ap_fixed<16,6>'))).graph;
}

describe('io stream Dense over rows', () => {
  const g = rowsDense();
  const opts = (io: 'parallel' | 'stream', reuse: number) => ({ ...DEFAULTS, io, reuse, layers: {}, runs: [], explicit: { strategy: true, reuse: true } });

  it('plan and cfg: a row of products per step in io stream, every row in io parallel', () => {
    for (const reuse of [1, 2]) {
      const sp = planProject(g, opts('stream', reuse));
      const s = sp.plans[0]!;
      expect([s.kernel, s.multipliers, s.macs, s.tripCount, s.stepII, s.ii]).toEqual(['nn2hls::dense_stream', (K * M) / reuse, ROWS * K * M, ROWS, reuse, ROWS * reuse]);
      expect(sp.layers[0]!.cfgText).toContain(`static const unsigned mult_limit = ${(K * M) / reuse};`);
      const p = planProject(g, opts('parallel', reuse)).plans[0]!;
      expect([p.multipliers, p.tripCount]).toEqual([(ROWS * K * M) / reuse, 1]);
    }
  });

  it('estimate: io stream DSPs are one row of the io parallel design, and at most K·M', () => {
    const est = (io: 'parallel' | 'stream', reuse: number) => estimateGraph(g, { io, strategy: 'latency', reuse, explicit: { strategy: true, reuse: true } }, Z7);
    const par = est('parallel', 1).layers[0]!;
    const str = est('stream', 1).layers[0]!;
    expect(str.dsp).toBeGreaterThan(0);
    expect(str.dsp).toBeLessThanOrEqual(K * M);
    // The constant design of 16 copies of the same weights is 16 times one row's.
    expect(str.dsp * ROWS).toBe(par.dsp);
    expect(str.ii).toBe(ROWS);
    // Reuse 2 in io stream: shared multipliers, half a row's products at most.
    const s2 = est('stream', 2).layers[0]!;
    expect(s2.dsp).toBeLessThanOrEqual((K * M) / 2);
    expect(s2.ii).toBe(2 * ROWS);
  });
});

describe('io stream Dense: kernel, plan and estimate agree on the row loop', () => {
  const g = rowsDense();
  const opts = (strategy: 'latency' | 'resource', reuse: number) => ({ ...DEFAULTS, io: 'stream' as const, strategy, reuse, layers: {}, runs: [], explicit: { strategy: true, reuse: true } });
  const est = (strategy: 'latency' | 'resource', reuse: number) => estimateGraph(g, { io: 'stream', strategy, reuse, explicit: { strategy: true, reuse: true } }, Z7).layers[0]!;

  it('latency: one row per iteration of a loop pipelined at II max(reuse, packs per row) — the cfg\'s step_ii, the plan\'s stepII, the estimate\'s II', () => {
    for (const reuse of [1, 2, 4]) {
      const p = planProject(g, opts('latency', reuse));
      const s = p.plans[0]!;
      // One pack of K per row (the graph input's last dim): the step II is the reuse factor.
      expect([s.tripCount, s.stepII, s.serialSteps, s.ii]).toEqual([ROWS, reuse, 0, ROWS * reuse]);
      expect(p.layers[0]!.cfgText).toContain(`static const unsigned step_ii = ${reuse};`);
      const e = est('latency', reuse);
      expect(e.ii).toBe(s.ii);
      // The rows overlap: the last row leaves a pipeline depth after the loop's II, not a drain per row.
      expect(e.latency_cycles).toBeGreaterThan(s.ii);
      expect(e.latency_cycles).toBeLessThan(s.ii + ROWS);
    }
  });

  it('resource: per row a read loop then the reuse-step loop, draining before the next row — plan tripCount rows·(packs + reuse), serialSteps rows; the estimate adds the step pipeline per row', () => {
    for (const reuse of [2, 4]) {
      const s = planProject(g, opts('resource', reuse)).plans[0]!;
      expect([s.tripCount, s.stepII, s.serialSteps, s.ii, s.multipliers]).toEqual([ROWS * (1 + reuse), 1, ROWS, ROWS * (1 + reuse), (K * M) / reuse]);
      const e = est('resource', reuse);
      // The plan's loop, plus the step pipeline's depth once per row (its serial steps).
      expect(e.ii).toBeGreaterThanOrEqual(s.ii);
      expect((e.ii - s.ii) % ROWS).toBe(0);
      expect(e.latency_cycles).toBeGreaterThan(e.ii);
    }
    // The estimate moves with the plan's fields: more reuse steps per row, a longer loop.
    expect(est('resource', 4).ii - est('resource', 2).ii).toBeGreaterThanOrEqual(2 * ROWS);
  });
});

describe('io stream Gelu', () => {
  it("unary_stream multiplies one pack per step: the plan's multipliers are the pack, not the tensor", () => {
    const c = backendCase('layernorm');
    const g = prepareFixed(c.graph, c.config).graph;
    const par = planProject(g, { ...DEFAULTS, io: 'parallel', layers: {}, runs: [] }).plans.find((p) => p.op === 'Gelu')!;
    const str = planProject(g, { ...DEFAULTS, io: 'stream', layers: {}, runs: [] }).plans.find((p) => p.op === 'Gelu')!;
    const C = str.outShape.at(-1)!;
    expect(par.multipliers).toBe(18);
    expect(C).toBeLessThan(18);
    expect([str.kernel, str.multipliers, str.outPack]).toEqual(['nn2hls::unary_stream', C, C]);
  });
});
