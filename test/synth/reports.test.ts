/**
 * Report parsers on real files (../shared/reference/estimator: a Vivado HLS 2020.1 csynth
 * rpt/xml, a Vivado 2020.1 report_utilization, hls4ml's report dictionaries over four tool
 * releases) and on small fixtures of the other formats (Vitis HLS 2023.1 with `DSP` columns, `?`
 * latencies, SLR rows, UltraScale `CLB LUTs`, report_power, cosim; a truncated Vivado HLS 2019.2
 * report). Numbers asserted are the ones printed in the files.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readProjectReports } from '../../src/synth/project.js';
import { cellNumber, parseCosim, parseCsynthRpt, parseCsynthXml, parsePower, parseReportDict, parseUtilization, resourceKey } from '../../src/synth/reports.js';

const REF = join(import.meta.dirname, '../../../shared/reference/estimator');
const REAL = join(REF, 'hls4ml_test_report');
const FIX = join(import.meta.dirname, 'fixtures');
const haveShared = existsSync(REAL);
const made: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'nn2hls-synth-'));
  made.push(d);
  return d;
};
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(!haveShared)('real Vivado HLS 2020.1 reports (../shared, absent → skipped)', () => {
  it('csynth.rpt: clock, latency, II, resources, DSP48E column, per-instance rows', () => {
    const r = parseCsynthRpt(readFileSync(join(REAL, 'myproject_csynth.rpt'), 'utf8'), 'myproject_csynth.rpt');
    expect(r.problems).toEqual([]);
    expect(r.tool).toEqual({ line: 'vivado', year: 2020, release: 1, certain: true });
    expect([r.top, r.part, r.targetClockNs, r.estimatedClockNs]).toEqual(['myproject', 'xc7z020-clg400-1', 5, 4.049]);
    expect([r.latencyBest, r.latencyWorst, r.iiMin, r.iiMax, r.pipelineType]).toEqual([10, 10, 8, 8, 'dataflow']);
    expect(r.resources).toEqual({ bram18k: 0, dsp: 73, ff: 7969, lut: 2532, uram: 0 });
    expect(r.available).toEqual({ bram18k: 280, dsp: 220, ff: 106400, lut: 53200, uram: 0 });
    expect(r.dspColumn).toBe('DSP48E');
    expect(r.instances.map((i) => [i.instance.slice(0, 12), i.latencyMax, i.iiMax, i.dsp, i.ff, i.lut])).toEqual([
      ['dense_array_', 7, 7, 73, 7860, 2134],
      ['relu_array_a', 2, 1, 0, 84, 256],
    ]);
  });
  it('csynth.xml agrees with the rpt of the same run', () => {
    const x = parseCsynthXml(readFileSync(join(REAL, 'myproject_csynth.xml'), 'utf8'));
    expect(x.problems).toEqual([]);
    expect([x.latencyBest, x.latencyWorst, x.iiMin, x.iiMax, x.estimatedClockNs, x.top]).toEqual([10, 10, 8, 8, 4.049, 'myproject']);
    expect(x.resources).toEqual({ bram18k: 0, dsp: 73, ff: 7969, lut: 2532, uram: 0 });
    // 2020.1 shipped as both Vivado HLS and Vitis HLS: the XML alone cannot say which.
    expect(x.tool).toMatchObject({ year: 2020, release: 1, certain: false, line: 'vivado' });
  });
  it('vivado_synth.rpt (7-series report_utilization)', () => {
    const u = parseUtilization(readFileSync(join(REAL, 'vivado_synth.rpt'), 'utf8'));
    expect(u.problems).toEqual([]);
    expect([u.lut, u.ff, u.dsp, u.bram18k, u.device]).toEqual([1526, 2428, 66, 0, '7z020clg400-1']);
    expect(u.tool).toMatchObject({ line: 'vivado', year: 2020, release: 1 });
  });
  it('readProjectReports on the directory merges rpt + xml and reads vivado_synth', () => {
    const p = readProjectReports(REAL);
    expect(p.problems).toEqual([]);
    expect(p.files).toEqual(['myproject_csynth.rpt', 'myproject_csynth.xml', 'vivado_synth.rpt']);
    expect(p.csynth?.instances).toHaveLength(2);
    expect(p.synth?.dsp).toBe(66);
  });
  it('every hls4ml Vivado/Vitis baseline dictionary parses; spot check of one', () => {
    const dir = join(REF, 'hls4ml_baselines');
    let n = 0;
    for (const f of readdirSync(dir).sort()) {
      const d = parseReportDict(JSON.parse(readFileSync(join(dir, f), 'utf8')), f);
      if (f.startsWith('oneAPI')) {
        expect(d.csynth).toBeNull();
        expect(d.problems[0]).toMatch(/oneAPI/);
        continue;
      }
      expect(d.problems).toEqual([]);
      const c = d.csynth!;
      expect(c.tool?.line).toBe(f.startsWith('Vitis') ? 'vitis' : 'vivado');
      expect(c.latencyWorst).not.toBeNull();
      expect(c.resources.dsp).not.toBeNull();
      expect(c.resources.lut).toBeGreaterThan(0);
      n++;
    }
    expect(n).toBe(60);
    const d = parseReportDict(JSON.parse(readFileSync(join(dir, 'Vivado__2020.1__test_keras_api_test_dense_io_parallel-Vivado.json'), 'utf8')), 'Vivado__2020.1__x.json');
    expect([d.csynth!.latencyWorst, d.csynth!.iiMax, d.csynth!.resources.dsp, d.csynth!.resources.ff, d.csynth!.resources.lut]).toEqual([2, 1, 2, 89, 190]);
  });
});

describe('other tool versions (fixtures)', () => {
  it('Vitis HLS 2023.1: DSP column, 2023.1.1 version, SLR rows, ? latencies, thousands separators', () => {
    const r = parseCsynthRpt(readFileSync(join(FIX, 'vitis2023/jet_csynth.rpt'), 'utf8'));
    expect(r.problems).toEqual([]);
    expect(r.tool).toEqual({ line: 'vitis', year: 2023, release: 1, certain: true });
    expect([r.latencyBest, r.latencyWorst, r.iiMin, r.iiMax, r.pipelineType, r.estimatedClockNs]).toEqual([12, 14, 2, 3, 'yes', 3.612]);
    expect(r.resources).toEqual({ bram18k: 2, dsp: 650, ff: 10051, lut: 31019, uram: 0 });
    expect(r.available.dsp).toBe(1728);
    expect(r.dspColumn).toBe('DSP');
    expect(r.instances.map((i) => [i.instance, i.latencyMax, i.dsp, i.lut])).toEqual([
      ['grp_dense_fc1_cfg_fu_120', 4, 512, 24001],
      ['grp_dense_fc2_cfg_fu_180', null, 138, 7006],
    ]);
  });
  it('Vitis csynth.xml with <DSP> and a 2023 version is Vitis for sure', () => {
    const x = parseCsynthXml(readFileSync(join(FIX, 'vitis2023/jet_csynth.xml'), 'utf8'));
    expect(x.tool).toEqual({ line: 'vitis', year: 2023, release: 1, certain: true });
    expect([x.latencyWorst, x.iiMax, x.resources.dsp, x.resources.lut, x.resources.bram18k]).toEqual([14, 3, 650, 31019, 2]);
  });
  it('UltraScale report_utilization: CLB LUTs/Registers, RAMB36 counted as two 18K, URAM', () => {
    const u = parseUtilization(readFileSync(join(FIX, 'vitis2023/vivado_synth.rpt'), 'utf8'));
    expect(u.problems).toEqual([]);
    expect([u.lut, u.ff, u.dsp, u.ramb36, u.ramb18, u.bram18k, u.uram]).toEqual([20412, 8120, 601, 1, 1, 3, 2]);
  });
  it('report_power: totals and top-level components only', () => {
    const p = parsePower(readFileSync(join(FIX, 'vitis2023/jet_power.rpt'), 'utf8'));
    expect(p.problems).toEqual([]);
    expect([p.totalW, p.dynamicW, p.staticW]).toEqual([1.254, 0.655, 0.599]);
    expect(p.byClass).toEqual({ Clocks: 0.061, 'CLB Logic': 0.14, Signals: 0.21, 'Block RAM': 0.004, URAM: 0.01, DSPs: 0.23 });
  });
  it('cosim: the Verilog row that passed', () => {
    const c = parseCosim(readFileSync(join(FIX, 'vitis2023/jet_cosim.rpt'), 'utf8'));
    expect(c.problems).toEqual([]);
    expect([c.rtl, c.status, c.latencyMin, c.latencyMax, c.iiMax]).toEqual(['Verilog', 'Pass', 13, 13, 2]);
  });
  it('a project dir with all five reports', () => {
    const p = readProjectReports(join(FIX, 'vitis2023'));
    expect(p.problems).toEqual([]);
    expect(p.files).toEqual(['jet_csynth.rpt', 'jet_csynth.xml', 'vivado_synth.rpt', 'jet_power.rpt', 'jet_cosim.rpt']);
    expect([p.top, p.csynth?.resources.dsp, p.synth?.dsp, p.power?.totalW, p.cosim?.latencyMax]).toEqual(['jet', 650, 601, 1.254, 13]);
  });
  it('a truncated Vivado HLS 2019.2 report: what is there, and a sentence for what is not', () => {
    const r = parseCsynthRpt(readFileSync(join(FIX, 'vivado2019/myproject_csynth.rpt'), 'utf8'), 'x_csynth.rpt');
    expect(r.tool).toEqual({ line: 'vivado', year: 2019, release: 2, certain: true });
    expect([r.latencyWorst, r.iiMax, r.targetClockNs, r.estimatedClockNs]).toEqual([9, 1, 5, 4.348]);
    expect(r.resources.dsp).toBeNull();
    expect(r.problems).toEqual(['x_csynth.rpt: no Utilization Estimates section (synthesis did not finish?)']);
  });
  it('garbage and empty input never throw', () => {
    for (const t of ['', 'hello\n|a|b|\n+--+', '<profile><AreaEstimates></AreaEstimates></profile>', '+---+\n| x |\n']) {
      expect(parseCsynthRpt(t).problems.length).toBeGreaterThan(0);
      expect(parseCsynthXml(t).problems.length).toBeGreaterThan(0);
      expect(parseUtilization(t).problems.length).toBeGreaterThan(0);
      expect(parsePower(t).problems.length).toBeGreaterThan(0);
      expect(parseCosim(t).problems.length).toBeGreaterThan(0);
    }
    expect(parseReportDict(null).problems.length).toBe(1);
  });
  it('a directory without reports says what to run', () => {
    const p = readProjectReports(join(FIX, 'vivado2019/notes.txt'));
    expect(p.problems[0]).toMatch(/not a directory/);
    const empty = tmp();
    const q = readProjectReports(empty);
    expect(q.csynth).toBeNull();
    expect(q.problems).toHaveLength(1);
    expect(q.problems[0]).toMatch(/no synthesis report found .* run `vitis_hls -f build_prj.tcl`/);
  });
  it('without nn2hls.json the top report is the largest module report; the Vitis summary layout is passed over', () => {
    const d = tmp();
    const top = readFileSync(join(FIX, 'vitis2023/jet_csynth.rpt'), 'utf8');
    writeFileSync(join(d, 'jet_csynth.rpt'), top);
    writeFileSync(join(d, 'dense_fc1_cfg_s_csynth.rpt'), top.replace("Report for 'jet'", "Report for 'dense_fc1_cfg_s'").replace(/\|Total {16}\|.*\n/, '|Total                |        2|   512|    7811|    24001|    0|\n'));
    writeFileSync(join(d, 'csynth.rpt'), "================================================================\n== Synthesis Summary Report of 'jet'\n================================================================\n");
    const p = readProjectReports(d);
    expect(p.files).toEqual(['jet_csynth.rpt']);
    expect([p.top, p.csynth?.resources.dsp]).toEqual(['jet', 650]);
  });
  it('a failed HLS run: its first ERROR line is the message', () => {
    const d = tmp();
    writeFileSync(join(d, 'hls.log'), 'INFO: [HLS 200-10] Running vitis_hls\nERROR: [HLS 207-3776] use of undeclared identifier x\nERROR: second\n');
    const p = readProjectReports(d);
    expect(p.problems[0]).toMatch(/HLS failed — hls.log: ERROR: \[HLS 207-3776\] use of undeclared identifier x$/);
  });
  it('cell numbers and column names', () => {
    expect([cellNumber('4.049 ns'), cellNumber('1,234'), cellNumber('?'), cellNumber('undef'), cellNumber('NA'), cellNumber('-'), cellNumber('~0')]).toEqual([4.049, 1234, null, null, null, null, 0]);
    expect(['DSP48E', 'DSP', 'DSP48E2', 'DSP58', 'BRAM_18K', 'FF', 'LUT', 'URAM', 'Name'].map(resourceKey)).toEqual(['dsp', 'dsp', 'dsp', 'dsp', 'bram18k', 'ff', 'lut', 'uram', null]);
  });
});
