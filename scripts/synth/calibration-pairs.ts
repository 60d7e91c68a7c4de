/**
 * Regenerates test/synth/fixtures/calibration-pairs.json: for every csynth point of
 * ../shared/reference/estimator (and the jet-tagger reuse sweep) the estimator's totals next to the
 * published numbers, with tool and device family. The calibrate leave-one-out test fits on these
 * pairs, so it does not need the designs rebuilt in the unit tests. Needs the estimator
 * (src/estimate, bench/estimate-designs.ts); run with `npx tsx scripts/synth/calibration-pairs.ts`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseType } from '../../src/ir/fixed.js';
import { defaultConfig } from '../../src/ir/precision-config.js';
import { prepareFixed } from '../../src/passes/pipeline.js';
import { loadCalibration, loadJetSweep } from '../../src/estimate/calibration.js';
import { resolvePart } from '../../src/estimate/devices.js';
import { estimateGraph, estimateJson } from '../../src/estimate/index.js';
import { designFor } from '../../bench/estimate-designs.js';

const ROOT = join(import.meta.dirname, '../..');
const SHARED = join(ROOT, '../shared');
const REF = join(SHARED, 'reference/estimator');
const pairs: unknown[] = [];
// Totals only: the fixture stays small and the fit works on design totals.
const slim = (j: unknown) => {
  const { layers: _layers, ...rest } = j as { layers: unknown };
  return rest;
};
const quant = (id: string) => {
  const d = designFor(id, join(SHARED, 'models'));
  return d ? prepareFixed(d.graph, defaultConfig(parseType(d.precision.replace(/^fixed/, 'ap_fixed')))).graph : null;
};
for (const p of loadCalibration(REF)) {
  if (p.level !== 'csynth') continue;
  // nn2hls io_parallel pooling is a different design from hls4ml's (bench/estimate.ts DIFFERS).
  if (/Pooling/.test(p.id) && p.io === 'parallel') continue;
  const g = quant(p.id);
  if (!g) continue;
  const e = estimateGraph(g, { io: p.io, strategy: p.strategy, reuse: p.reuse }, { part: p.part, clockNs: p.clockNs, tool: p.tool });
  pairs.push({
    id: p.id, tool: p.tool, family: resolvePart(p.part).device.family, io: p.io,
    estimate: slim(estimateJson(e)),
    report: { latency_cycles: p.latency, ii: p.ii, dsp: p.dsp, lut: p.lut, ff: p.ff, bram18k: p.bram18k, uram: p.uram },
  });
}
const jet = quant('T-sweep')!;
for (const s of loadJetSweep(join(SHARED, 'reference/hls4ml_jet_tagger_published.md'))) {
  const e = estimateGraph(jet, { io: 'parallel', strategy: 'latency', reuse: s.reuse }, { part: 'xczu7ev-ffvc1156-2-e', clockNs: 5, tool: 'vivado-2019.2' });
  pairs.push({
    id: `J-sweep-rf${s.reuse}`, tool: 'vivado-2019.2', family: resolvePart('xczu7ev-ffvc1156-2-e').device.family, io: 'parallel',
    estimate: slim(estimateJson(e)),
    report: { latency_cycles: s.latency, ii: s.ii, dsp: s.dsp, lut: s.lut, ff: s.ff, bram18k: s.bram18k, uram: null },
  });
}
const out = join(ROOT, 'test/synth/fixtures/calibration-pairs.json');
writeFileSync(out, `${JSON.stringify({ generatedBy: 'scripts/synth/calibration-pairs.ts', pairs }, null, 1)}\n`);
process.stdout.write(`${out}: ${pairs.length} pairs\n`);
