/**
 * `nn2hls optimize --grid`: one row per bits x reuse point (bits outer), whose held-out accuracy is
 * the simulator's on the uniform auto-precision config at those bits and whose DSP/latency are the
 * estimator's at that reuse; the CSV holds the same rows; a malformed grid is a clear error.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readInputTensor, readTensorFile } from '../../src/cli/io.js';
import { resolvePart } from '../../src/estimate/devices.js';
import { estimateGraph } from '../../src/estimate/index.js';
import { loadModel } from '../../src/frontend/index.js';
import { parseGrid } from '../../src/optimize/grid.js';
import { splitSamples } from '../../src/optimize/split.js';
import { autoPrecision } from '../../src/passes/auto-precision.js';
import { canonicalize } from '../../src/passes/pipeline.js';
import { quantizeGraph } from '../../src/passes/quantize.js';
import { simulate } from '../../src/sim/compare.js';
import { toFloat32 } from '../../src/util/tensor.js';
import { captureCli } from '../helpers/cli.js';
import { REPO } from '../helpers/spawn-cli.js';
import { runFloat } from '../../src/sim/float/executor.js';

const EX = join(REPO, 'examples');

describe('optimize --grid', () => {
  const { io, cli } = captureCli();

  it('parses the grid spec and rejects bad ones', () => {
    expect(parseGrid('bits=16,12,8;reuse=1,2,4')).toEqual({ bits: [16, 12, 8], reuse: [1, 2, 4] });
    expect(parseGrid('reuse=2')).toEqual({ bits: [16], reuse: [2] });
    expect(() => parseGrid('bits=16;width=3')).toThrow(/cannot read 'width=3'/);
    expect(() => parseGrid('bits=1,8')).toThrow(/bits must be whole numbers 2..32/);
  });

  it('writes a table and CSV matching the simulator and the estimator point by point', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nn2hls-grid-'));
    const csv = join(dir, 'grid.csv');
    const model = join(EX, 'digits_mlp.onnx');
    const args = ['optimize', model, '--input', join(EX, 'digits_mlp_input.npy'), '--labels', join(EX, 'digits_labels.npy'), '--grid', 'bits=16,6;reuse=1,4', '--csv', csv];
    expect(await cli(...args)).toBe(0);
    expect(io.out).toContain(`wrote ${csv}`);
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('bits,reuse,accuracy,latency_cycles,latency_s,ii,dsp,lut,ff,bram18k,power_w');
    const rows = lines.slice(1).map((l) => l.split(',').map(Number));
    expect(rows.map((r) => [r[0], r[1]])).toEqual([[16, 1], [16, 4], [6, 1], [6, 4]]);
    // Recompute the (6 bits, reuse 4) point independently.
    const g = loadModel(model);
    const x = readInputTensor(join(EX, 'digits_mlp_input.npy'));
    const lt = readTensorFile(join(EX, 'digits_labels.npy'));
    const split = splitSamples({ inputs: [x], labels: toFloat32(lt), labelShape: [...lt.shape] }, 1, 0.5);
    const cfg = autoPrecision(g, split.choose.inputs, { bits: 6, run: runFloat });
    const cg = canonicalize(g);
    const qg = quantizeGraph(cg, cfg).graph;
    const sim = simulate(cg, qg, split.heldOut.inputs, { labels: split.heldOut.labels, labelShape: split.heldOut.labelShape });
    const e = estimateGraph(qg, { io: 'parallel', strategy: 'latency', reuse: 4, layers: {}, explicit: { strategy: true, reuse: true } }, { part: resolvePart('xczu7ev-ffvc1156-2-e'), clockNs: 5 });
    const r = rows[3]!;
    expect(r[2]).toBeCloseTo(sim.report.fixed.accuracy!, 6);
    expect([r[3], r[5], r[6], r[9]]).toEqual([e.total.latency_cycles, e.total.ii, e.total.dsp, e.total.bram18k]);
    // Fewer bits never cost more DSPs at the same reuse; more reuse never fewer cycles.
    expect(rows[2]![6]!).toBeLessThanOrEqual(rows[0]![6]!);
    expect(rows[1]![3]!).toBeGreaterThanOrEqual(rows[0]![3]!);
    expect(io.out).toMatch(/bits\s+reuse\s+held-out top-1/);
  }, 120_000);

  it('--csv without --grid is an error', async () => {
    expect(await cli('optimize', join(EX, 'digits_mlp.onnx'), '--input', join(EX, 'digits_mlp_input.npy'), '--labels', join(EX, 'digits_labels.npy'), '--csv', '/tmp/x.csv')).not.toBe(0);
    expect(io.err).toContain('--csv is written by --grid');
  });
});
