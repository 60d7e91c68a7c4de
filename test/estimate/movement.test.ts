/**
 * Movement layers in the estimator take their timing from the LayerPlan: unrolled movement is
 * wiring (II 1, no latency), while a streamed movement kernel (here the row-buffered nearest
 * upsample of the resize_upsample case) passes one pack per cycle, so its estimated II is the
 * plan's II (its output pixels) and not a constant.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULTS, planProject } from '../../src/backend-hls/index.js';
import { estimateGraph } from '../../src/estimate/index.js';
import { prepareFixed } from '../../src/passes/pipeline.js';
import { backendCase } from '../backend/cases.js';

const Z7 = { part: 'xczu7ev-ffvc1156-2-e', clockNs: 5, tool: 'vivado-2019.2' };

describe('estimator: movement layers', () => {
  const c = backendCase('resize_upsample');
  const g = prepareFixed(c.graph, c.config).graph;

  it('a natively streamed Resize has the plan II (output pixels) and a latency one cycle past it', () => {
    const plan = planProject(g, { ...DEFAULTS, io: 'stream', layers: {}, runs: [] });
    const e = estimateGraph(g, { io: 'stream', strategy: 'latency', reuse: 1 }, Z7);
    const resizes = plan.plans.filter((p) => p.op === 'Resize' && p.stream === 'native');
    expect(resizes.map((p) => p.name)).toEqual(['up']);
    for (const p of resizes) {
      expect(p.ii).toBeGreaterThan(1);
      const l = e.layers.find((x) => x.name === p.name)!;
      expect([l.ii, l.latency_cycles]).toEqual([p.ii, p.ii + 1]);
    }
  });

  it('an unrolled Resize (io parallel) stays wiring: II 1, no latency', () => {
    const e = estimateGraph(g, { io: 'parallel', strategy: 'latency', reuse: 1 }, Z7);
    for (const l of e.layers.filter((x) => x.op === 'Resize')) expect([l.ii, l.latency_cycles]).toEqual([1, 0]);
  });
});
