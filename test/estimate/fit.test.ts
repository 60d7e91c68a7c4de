import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fitDesign } from '../../src/estimate/fit.js';
import { NnInputError } from '../../src/util/tensor.js';
import { denseGraph, randomWeights } from './helpers.js';

const O = { clockNs: 5, tool: 'vivado-2019.2' };

describe('--fit', () => {
  it('never returns a design that does not fit (random layers, parts and utilisation limits)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1e6 }),
        fc.constantFrom(8, 16, 32),
        fc.constantFrom(4, 16, 24),
        fc.constantFrom('xc7z007s', 'xc7z020', 'xczu3eg', 'xczu7ev'),
        fc.constantFrom(0.1, 0.5, 0.8, 1),
        (seed, k, m, part, maxUtil) => {
          const g = denseGraph(randomWeights(k, m, 1.5, seed), 'Relu');
          try {
            const r = fitDesign(g, 'parallel', { ...O, part }, { maxUtil });
            expect(r.estimate.total.fits).toBe(true);
            for (const u of Object.values(r.estimate.total.utilization)) expect(u).toBeLessThanOrEqual(maxUtil);
          } catch (e) {
            expect(e).toBeInstanceOf(NnInputError);
            expect((e as Error).message).toMatch(/^--fit: no design fits/);
          }
        },
      ),
      { numRuns: 15 },
    );
  });
  it('keeps the fully parallel design when it fits, and folds only as far as needed', () => {
    const g = denseGraph(randomWeights(16, 16, 1.5, 5));
    const free = fitDesign(g, 'parallel', { ...O, part: 'xczu7ev' }, {});
    expect(free.binding).toMatch(/^none/);
    expect(free.estimate.total.ii).toBe(1);
    const tight = fitDesign(g, 'parallel', { ...O, part: 'xczu7ev' }, { maxUtil: 0.02 });
    expect(tight.binding).toMatch(/% of xczu7ev \(limit 2\.0%\)/);
    expect(tight.estimate.total.utilization.dsp).toBeLessThanOrEqual(0.02);
    expect(tight.estimate.total.ii).toBeGreaterThan(1);
  });
  it('impossible constraints: a clear error with the closest design and what it lacks', () => {
    const g = denseGraph(randomWeights(32, 32, 1.5, 9));
    expect(() => fitDesign(g, 'parallel', { ...O, part: 'xc7z007s' }, { maxLatencyS: 1e-9 })).toThrow(
      /--fit: no design fits xc7z007s with these constraints \(folding further only makes latency worse\)\.\n {2}closest: latency \d+ cycles.*\n {2}it lacks: .*latency/,
    );
  });
});
