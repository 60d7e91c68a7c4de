/**
 * Regenerates test/synth/fixtures/test_report_estimate.json: the estimator's estimate of the design of
 * ../shared/reference/estimator/hls4ml_test_report (Dense(5) on 16 inputs + ReLU, io_stream, xc7z020,
 * 5 ns, Vivado HLS 2020.1), the estimate `report` is tested against. Needs src/estimate; run with
 * `npx tsx scripts/synth/test-report-estimate.ts OUT.json`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseType } from '../../src/ir/fixed.js';
import { defaultConfig } from '../../src/ir/precision-config.js';
import { prepareFixed } from '../../src/passes/pipeline.js';
import { resolvePart } from '../../src/estimate/devices.js';
import { estimateGraph, estimateJson } from '../../src/estimate/index.js';
import { designFor } from '../../bench/estimate-designs.js';
const d = designFor('C-test_report', join(import.meta.dirname, '../../../shared/models'))!;
const g = prepareFixed(d.graph, defaultConfig(parseType(d.precision))).graph;
const part = 'xc7z020-clg400-1';
const e = estimateGraph(g, { io: 'stream', strategy: 'latency', reuse: 1 }, { part, clockNs: 5, tool: 'vivado-2020.1' });
const j = { ...(estimateJson(e) as object), family: resolvePart(part).device.family };
writeFileSync(process.argv[2]!, `${JSON.stringify(j, null, 2)}\n`);
