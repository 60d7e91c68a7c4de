/**
 * The closed loop: estimate vs report comparison (totals and layers matched to csynth instances),
 * the robust calibration fit and its leave-one-out check on the shared calibration set, sweep grids
 * and job files, and the `report` / `calibrate` / `sweep` commands end to end.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { applyCalibration, errorTable, fitCalibration, leaveOneOut, type Pair, parseCalibration } from '../../src/synth/calibrate.js';
import { assignInstances, compare, type EstimateJson, matchInstance, readEstimate } from '../../src/synth/compare.js';
import { readProjectReports } from '../../src/synth/project.js';
import { gridPoints, parseGrid, sweepFiles } from '../../src/synth/sweep.js';
import { captureCli } from '../helpers/cli.js';

const FIX = join(import.meta.dirname, 'fixtures');
const REAL = join(import.meta.dirname, '../../../shared/reference/estimator/hls4ml_test_report');
const JET = join(import.meta.dirname, '../../../shared/models/onnx/three_layer_keras.onnx');
const EST = JSON.parse(readFileSync(join(FIX, 'test_report_estimate.json'), 'utf8')) as EstimateJson;
const made: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'nn2hls-loop-'));
  made.push(d);
  return d;
};
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

interface RawPair { id: string; tool: string; family: string; estimate: { total: Record<string, number> }; report: Record<string, number | null> }
const PAIRS: Pair[] = (JSON.parse(readFileSync(join(FIX, 'calibration-pairs.json'), 'utf8')) as { pairs: RawPair[] }).pairs.map((p) => ({
  id: p.id, tool: p.tool, family: p.family,
  estimate: { latency_cycles: p.estimate.total.latency_cycles!, dsp: p.estimate.total.dsp!, lut: p.estimate.total.lut!, ff: p.estimate.total.ff!, bram18k: p.estimate.total.bram18k! },
  report: { latency_cycles: p.report.latency_cycles!, dsp: p.report.dsp!, lut: p.report.lut!, ff: p.report.ff!, bram18k: p.report.bram18k! },
}));

/** A project directory holding the real shared report and the estimator's estimate of that design. */
function realProject(): string {
  const d = tmp();
  for (const f of readdirSync(REAL)) cpSync(join(REAL, f), join(d, f));
  writeFileSync(join(d, 'estimate.json'), JSON.stringify(EST));
  return d;
}

describe.skipIf(!existsSync(REAL))('estimate beside the real report (../shared absent → skipped)', () => {
  it('totals: estimate, csynth, post-synthesis and signed errors', () => {
    const c = compare(EST, readProjectReports(realProject()));
    const r = Object.fromEntries(c.rows.map((x) => [x.quantity, x]));
    expect([r['latency (cycles)']!.estimate, r['latency (cycles)']!.csynth, r['latency (cycles)']!.errorPct]).toEqual([4, 10, -60]);
    expect([r['DSP']!.estimate, r['DSP']!.csynth, r['DSP']!.actual, r['DSP']!.actualSource]).toEqual([78, 73, 66, 'synth']);
    expect(r['DSP']!.errorPct).toBeCloseTo((100 * 5) / 73, 6);
    expect(r['DSP']!.errorVsActualPct).toBeCloseTo((100 * 12) / 66, 6);
    expect(r['II (cycles)']!.csynth).toBe(8);
    expect([r['clock target / achieved (ns)']!.csynth, r['clock target / achieved (ns)']!.errorPct]).toEqual([4.049, null]);
  });
  it('layers are matched to their csynth instances by name', () => {
    const c = compare(EST, readProjectReports(realProject()));
    expect(c.layers.map((l) => [l.layer, l.instance?.slice(0, 10)])).toEqual([['dense', 'dense_arra'], ['relu', 'relu_array']]);
    const dense = Object.fromEntries(c.layers[0]!.rows.map((x) => [x.quantity, [x.estimate, x.csynth]]));
    expect(dense).toMatchObject({ DSP: [78, 73], latency: [3, 7], LUT: [3321, 2134], FF: [1756, 7860] });
    expect(c.unmatched).toEqual([]);
  });
});

describe('comparison pieces', () => {
  it('matchInstance needs the whole name as a token run', () => {
    const inst = (instance: string) => ({ instance, module: '', latencyMin: null, latencyMax: null, iiMin: null, iiMax: null, dsp: null, lut: null, ff: null, bram18k: null, uram: null });
    const xs = [inst('grp_dense_fc1_cfg_fu_120'), inst('grp_dense_fc12_cfg_fu_9'), inst('grp_relu_fc1_relu_fu_3')];
    expect(matchInstance('fc12', xs)?.instance).toBe('grp_dense_fc12_cfg_fu_9');
    expect(matchInstance('fc1', xs, 'Dense')?.instance).toBe('grp_dense_fc1_cfg_fu_120');
    expect(matchInstance('fc1', xs, 'Relu')?.instance).toBe('grp_relu_fc1_relu_fu_3');
    expect(matchInstance('fc3', xs)).toBeNull();
  });
  it('assignInstances: the longest key wins (cfg_X does not take cfg_X_1), whatever the name lengths', () => {
    const inst = (instance: string, module: string) => ({ instance, module, latencyMin: null, latencyMax: null, iiMin: null, iiMax: null, dsp: null, lut: null, ff: null, bram18k: null, uram: null });
    const xs = [
      inst('grp_dense_latency_ap_fixed_16_6_cfg_core_Dense_1_s_fu_40', 'dense_latency_ap_fixed_16_6_cfg_core_Dense_1_s'),
      inst('grp_dense_latency_ap_fixed_16_6_ap_fixed_31_11_cfg_core_Dense_s_fu_20', 'dense_latency_ap_fixed_16_6_ap_fixed_31_11_cfg_core_Dense_s'),
      inst('call_ret_relu_ap_fixed_cfg_Relu1_s_fu_90', 'relu_ap_fixed_cfg_Relu1_s'),
      inst('call_ret_relu_ap_fixed_cfg_Relu_s_fu_70', 'relu_ap_fixed_cfg_Relu_s'),
    ];
    const layers = [
      { name: '_class__core_Dense__', op: 'Dense', id: 'core_Dense' }, { name: 'Relu', op: 'Relu', id: 'Relu' },
      { name: '_class__core_Dense__1', op: 'Dense', id: 'core_Dense_1' }, { name: 'Relu1', op: 'Relu', id: 'Relu1' }, { name: 'Softmax', op: 'Softmax', id: 'Softmax' },
    ];
    expect(assignInstances(layers, xs).map((i) => i?.instance.slice(-5) ?? null)).toEqual(['_fu_20', '_fu_70', '_fu_40', '_fu_90', null].map((s) => s?.slice(-5) ?? null));
  });
  it('readEstimate: missing, broken and foreign files are sentences', () => {
    const d = tmp();
    expect(readEstimate(d).problem).toMatch(/no estimate.json .*nn2hls estimate MODEL/);
    writeFileSync(join(d, 'estimate.json'), '{');
    expect(readEstimate(d).problem).toMatch(/not valid JSON/);
    writeFileSync(join(d, 'estimate.json'), '{"total": {"dsp": 1}}');
    expect(readEstimate(d).problem).toMatch(/not an nn2hls estimate/);
    writeFileSync(join(d, 'estimate.json'), JSON.stringify([EST]));
    expect(readEstimate(d).estimate?.total.dsp).toBe(78);
  });
});

describe('calibration', () => {
  it('leave-one-out on the shared calibration set improves or keeps the median error of every quantity', () => {
    expect(PAIRS.length).toBe(68);
    const { before, after } = leaveOneOut(PAIRS);
    for (const k of ['latency_cycles', 'dsp', 'lut', 'ff', 'bram18k'] as const) expect(after[k]).toBeLessThanOrEqual(before[k]);
    // The measured numbers (see the closing note): DSP 2.09 % → 1.64 %, LUT 27.1 % → 25.5 %, FF 62.1 % → 47.2 %.
    expect(before.dsp).toBeCloseTo(2.09, 1);
    expect(after.dsp).toBeLessThan(before.dsp);
    expect(after.lut).toBeLessThan(before.lut);
    expect(after.ff).toBeLessThan(before.ff - 5);
  });
  it('a few wild LUT numbers move neither DSP nor latency, and barely move LUT', () => {
    const base: Pair[] = Array.from({ length: 9 }, (_, i) => ({
      id: `p${i}`, tool: 'vitis-2023.1', family: 'F',
      estimate: { latency_cycles: 10 + i, dsp: 100 + 10 * i, lut: 1000 + 100 * i, ff: 500, bram18k: 2 },
      report: { latency_cycles: 12 + i, dsp: Math.round((100 + 10 * i) * 0.8), lut: 2 * (1000 + 100 * i), ff: 500, bram18k: 2 },
    }));
    const noisy = base.map((p, i) => (i < 3 ? { ...p, report: { ...p.report, lut: p.report.lut! * 40 } } : p));
    const a = fitCalibration(base).entries.find((e) => e.family === 'F')!;
    const b = fitCalibration(noisy).entries.find((e) => e.family === 'F')!;
    expect([a.scale.dsp, a.latency_offset, a.scale.lut, a.scale.ff]).toEqual([0.8, 2, 2, 1]);
    expect([b.scale.dsp, b.latency_offset, b.scale.lut]).toEqual([0.8, 2, 2]);
    expect(errorTable(base, fitCalibration(base)).dsp).toBeLessThan(1);
  });
  it('groups with fewer than 3 designs get no entry; the pooled tool entry serves other families', () => {
    const cal = fitCalibration(PAIRS);
    expect(cal.entries.some((e) => e.tool === 'vivado-2020.1' && e.family === 'Zynq-7000')).toBe(false);
    expect(cal.entries.find((e) => e.tool === 'vivado-2019.2' && e.family === '*')?.points).toBe(14);
    const applied = applyCalibration(cal, EST);
    expect(applied.calibration).toMatchObject({ applied: true, tool: 'vivado-2020.1', family: '*' });
    const e = cal.entries.find((x) => x.tool === 'vivado-2020.1' && x.family === '*')!;
    expect(applied.total.dsp).toBe(Math.round(78 * e.scale.dsp));
    expect(applied.layers![0]!.lut).toBe(Math.round(3321 * e.scale.lut));
    expect(applyCalibration(cal, { ...EST, tool: 'vitis-2099.1' }).calibration).toMatchObject({ applied: false });
  });
  it('calibration files are checked', () => {
    expect(() => parseCalibration('{}', 'c.json')).toThrow(/not an nn2hls calibration file/);
    expect(() => parseCalibration('{"nn2hls_calibration":1,"entries":[{"tool":"x","family":"*","latency_offset":0,"scale":{"dsp":0,"lut":1,"ff":1,"bram18k":1}}]}', 'c.json')).toThrow(/entries\[0\]/);
    const cal = fitCalibration(PAIRS);
    expect(parseCalibration(JSON.stringify(cal), 'c.json')).toEqual(cal);
  });
});

describe('sweep grids and job files', () => {
  it('grid syntax: commas between values and keys, ap_fixed commas kept, repeated --grid', () => {
    expect(parseGrid(['reuse=1,2,4,precision=ap_fixed<16,6>,ap_fixed<8,3>'])).toEqual([
      { key: 'reuse', values: ['1', '2', '4'] }, { key: 'precision', values: ['ap_fixed<16,6>', 'ap_fixed<8,3>'] },
    ]);
    expect(parseGrid(['reuse=1,2', 'io=parallel,stream'])).toHaveLength(2);
    const pts = gridPoints(parseGrid(['reuse=1,64;precision=ap_fixed<16,6>,ap_fixed<8,3>']));
    expect(pts.map((p) => p.dir)).toEqual(['reuse1_precisionap_fixed_16_6', 'reuse1_precisionap_fixed_8_3', 'reuse64_precisionap_fixed_16_6', 'reuse64_precisionap_fixed_8_3']);
    expect(pts[3]!.flags).toEqual(['--reuse', '64', '--precision', 'ap_fixed<8,3>']);
  });
  it('bad grids are clear errors', () => {
    expect(() => parseGrid(['rf=1,2'])).toThrow(/unknown key 'rf'.*reuse/);
    expect(() => parseGrid(['1,2'])).toThrow(/expected KEY=V1,V2/);
    expect(() => parseGrid(['reuse=0,2'])).toThrow(/not a positive integer/);
    expect(() => parseGrid(['reuse=1,1'])).toThrow(/repeats/);
    expect(() => parseGrid(['reuse=1', 'reuse=2'])).toThrow(/twice/);
    expect(() => gridPoints(parseGrid(['precision=a<1>,a(1)']))).toThrow(/same|two points/);
    const pts = gridPoints(parseGrid(['reuse=1']));
    expect(() => sweepFiles(pts, { hls: 'quartus', time: '1:00:00', mem: '8G' })).toThrow(/--hls/);
    expect(() => sweepFiles(pts, { hls: 'vitis_hls', time: 'soon', mem: '8G' })).toThrow(/--time/);
    expect(() => sweepFiles(pts, { hls: 'vitis_hls', time: '01:00:00', mem: 'lots' })).toThrow(/--mem/);
    expect(() => sweepFiles(pts, { hls: 'vitis_hls', time: '01:00:00', mem: '8G', partition: 'a b;rm' })).toThrow(/--partition/);
  });
  it('scripts: array size, points file, HLS tool; bash -n accepts the shell scripts', () => {
    const pts = gridPoints(parseGrid(['reuse=1,2,4']));
    const f = sweepFiles(pts, { hls: 'vivado_hls', time: '02:00:00', mem: '8G', partition: 'fpga' });
    expect(f.get('points.txt')).toBe('reuse1\nreuse2\nreuse4\n');
    const slurm = f.get('submit_slurm.sh')!;
    expect(slurm).toContain('#SBATCH --array=0-2\n');
    expect(slurm).toContain('#SBATCH --partition=fpga\n');
    expect(slurm).toContain('#SBATCH --mem=8G\n');
    expect(f.get('run_point.sh')).toContain('hls="${NN2HLS_HLS:-vivado_hls}"');
    expect(f.get('run_point.sh')).toContain('-f build_prj.tcl');
    const d = tmp();
    for (const [k, v] of f) {
      mkdirSync(join(d, k, '..'), { recursive: true });
      writeFileSync(join(d, k), v);
    }
    for (const s of ['submit_slurm.sh', 'run_point.sh']) expect(spawnSync('bash', ['-n', join(d, s)]).status).toBe(0);
  });
  it('HTCondor submit file parses: key = value lines, one queue-from statement over points.txt, macros defined', () => {
    const pts = gridPoints(parseGrid(['reuse=1,2']));
    const sub = sweepFiles(pts, { hls: 'vitis_hls', time: '02:00:00', mem: '8G' }).get('submit_htcondor.sub')!;
    const lines = sub.split('\n').filter((l) => l.trim() && !l.startsWith('#'));
    const queue = lines.filter((l) => /^queue\b/.test(l));
    expect(queue).toEqual(['queue dir from points.txt']);
    const kv = lines.filter((l) => !/^queue\b/.test(l));
    for (const l of kv) expect(l).toMatch(/^[A-Za-z_]+\s*=\s*\S.*$/);
    const keys = kv.map((l) => l.split('=')[0]!.trim());
    expect(keys).toEqual(expect.arrayContaining(['executable', 'arguments', 'request_memory', 'log', 'output', 'error']));
    expect(new Set(keys).size).toBe(keys.length);
    const macros = [...sub.matchAll(/\$\((\w+)\)/g)].map((m) => m[1]);
    expect(new Set(macros)).toEqual(new Set(['dir']));
  });
  const sbatch = spawnSync('sh', ['-c', 'command -v sbatch']).status === 0;
  it.skipIf(!sbatch)('sbatch --test-only parses the Slurm script up to contacting a controller (needs slurm-client; skipped without)', () => {
    const d = tmp();
    const f = sweepFiles(gridPoints(parseGrid(['reuse=1,2'])), { hls: 'vitis_hls', time: '02:00:00', mem: '8G', partition: 'fpga' });
    writeFileSync(join(d, 'submit_slurm.sh'), f.get('submit_slurm.sh')!);
    writeFileSync(join(d, 'bad.sh'), f.get('submit_slurm.sh')!.replace('--array=', '--arrray='));
    writeFileSync(join(d, 'slurm.conf'), 'ClusterName=check\nSlurmctldHost=localhost\nMessageTimeout=1\nTCPTimeout=1\nNodeName=localhost CPUs=1 State=UNKNOWN\nPartitionName=fpga Nodes=localhost Default=YES State=UP\n');
    const run = (s: string) => spawnSync('sbatch', ['--test-only', s], { cwd: d, env: { ...process.env, SLURM_CONF: join(d, 'slurm.conf') }, encoding: 'utf8', timeout: 30000 });
    const good = run('submit_slurm.sh');
    expect(good.stderr).toMatch(/Unable to contact slurm controller/);
    expect(good.stderr).not.toMatch(/unrecognized|invalid/i);
    expect(run('bad.sh').stderr).toMatch(/unrecognized option '--arrray/);
  });
});

describe('commands', () => {
  const { io, cli } = captureCli();
  it.skipIf(!existsSync(REAL))('report DIR prints estimate vs report with errors and per-layer rows; --json writes them', async () => {
    const d = realProject();
    const out = join(d, 'r.json');
    expect(await cli('report', d, '--json', out)).toBe(0);
    expect(io.out).toMatch(/latency \(cycles\)\s+4\s+10\s+-60\.0%/);
    expect(io.out).toMatch(/DSP\s+78\s+73\s+\+6\.8%\s+66 \(synth\)\s+\+18\.2%/);
    expect(io.out).toMatch(/dense\s+dense_array_array\S+\s+3\/7/);
    expect(io.out).toContain('tool vivado-2020.1');
    const j = JSON.parse(readFileSync(out, 'utf8')) as { files: string[]; comparison: { rows: { quantity: string; csynth: number }[] } };
    expect(j.files).toContain('vivado_synth.rpt');
    expect(j.comparison.rows.find((r) => r.quantity === 'DSP')!.csynth).toBe(73);
  });
  it('report on a project without reports: a clear error and exit 1', async () => {
    const d = tmp();
    writeFileSync(join(d, 'nn2hls.json'), '{"name":"myproject"}');
    expect(await cli('report', d)).toBe(1);
    expect(io.err).toMatch(/no synthesis report found.*vitis_hls -f build_prj.tcl/);
  });
  it('calibrate over projects prints before/after and writes a file report --calibration reads', async () => {
    const root = tmp();
    const dirs: string[] = [];
    for (const [i, p] of PAIRS.filter((x) => x.tool === 'vitis-2024.1').entries()) {
      const d = join(root, `p${i}`);
      mkdirSync(d);
      writeFileSync(join(d, 'estimate.json'), JSON.stringify({ tool: p.tool, family: p.family, total: { ...p.estimate, ii: 1, uram: 0 } }));
      writeFileSync(join(d, 'r.json'), JSON.stringify({ CSynthesisReport: { BestLatency: String(p.report.latency_cycles), WorstLatency: String(p.report.latency_cycles), IntervalMin: '1', IntervalMax: '1', DSP: String(p.report.dsp), LUT: String(p.report.lut), FF: String(p.report.ff), BRAM_18K: String(p.report.bram18k), URAM: '0' } }));
      dirs.push(d);
    }
    const cal = join(root, 'calibration.json');
    // The dictionaries carry no tool: the tool of each pair comes from its estimate.
    expect(await cli('calibrate', ...dirs, '-o', cal)).toBe(0);
    expect(io.out).toMatch(/19 designs/);
    expect(io.out).toMatch(/vitis-2024.1 \/ \* \(19\)/);
    expect(io.out).toMatch(/leave-one-out/);
    expect(parseCalibration(readFileSync(cal, 'utf8'), cal).entries.length).toBeGreaterThan(0);
    io.out = '';
    expect(await cli('report', ...dirs.slice(0, 3), '--calibration', cal)).toBe(0);
    expect(io.out).toMatch(/3\/3 projects have a csynth report/);
  });
  it.skipIf(!existsSync(JET))('report re-estimates from nn2hls.json for the tool of the report, or when estimate.json is missing', async () => {
    const d = join(tmp(), 'jet');
    expect(await cli('compile', JET, '-o', d, '--samples', '2')).toBe(0);
    const saved = JSON.parse(readFileSync(join(d, 'estimate.json'), 'utf8')) as EstimateJson;
    expect(saved.tool).toBe('vivado-2019.2');
    cpSync(join(FIX, 'vitis2023/jet_csynth.rpt'), join(d, 'myproject_csynth.rpt'));
    io.out = '';
    const out = join(d, 'r.json');
    expect(await cli('report', d, '--json', out)).toBe(0);
    expect(io.out).toMatch(/re-estimated for vitis-2023.1 from nn2hls.json \(estimate.json is for vivado-2019.2, the report for vitis-2023.1\)/);
    const j = JSON.parse(readFileSync(out, 'utf8')) as { estimate: EstimateJson };
    expect([j.estimate.tool, j.estimate.family]).toEqual(['vitis-2023.1', 'Zynq UltraScale+']);
    expect(j.estimate.total.latency_cycles).toBeGreaterThan(0);
    rmSync(join(d, 'estimate.json'));
    rmSync(join(d, 'myproject_csynth.rpt'));
    cpSync(join(FIX, 'vivado2019/myproject_csynth.rpt'), join(d, 'myproject_csynth.rpt'));
    io.out = '';
    expect(await cli('report', d)).toBe(0);
    expect(io.out).toMatch(/re-estimated for vivado-2019.2 from nn2hls.json \(no estimate.json\)/);
    expect(io.out).toMatch(new RegExp(`DSP\\s+${saved.total.dsp.toLocaleString('en-US')}\\s`));
  }, 60000);
  it.skipIf(!existsSync(JET))('sweep of the jet tagger over reuse 1..64: 7 projects, both submit scripts; report tabulates them', async () => {
    const d = join(tmp(), 'sweep');
    expect(await cli('sweep', JET, '--grid', 'reuse=1,2,4,8,16,32,64', '-o', d, '--compile-args', '--samples 2')).toBe(0);
    const dirs = readdirSync(d).filter((n) => n.startsWith('reuse')).sort();
    expect(dirs).toEqual(['reuse1', 'reuse16', 'reuse2', 'reuse32', 'reuse4', 'reuse64', 'reuse8']);
    for (const n of dirs) {
      expect(existsSync(join(d, n, 'build_prj.tcl'))).toBe(true);
      expect(JSON.parse(readFileSync(join(d, n, 'nn2hls.json'), 'utf8')).options.reuse).toBe(Number(n.slice(5)));
    }
    expect(readFileSync(join(d, 'submit_slurm.sh'), 'utf8')).toContain('#SBATCH --array=0-6');
    expect(readFileSync(join(d, 'submit_htcondor.sub'), 'utf8')).toContain('queue dir from points.txt');
    expect(readFileSync(join(d, 'points.txt'), 'utf8').trim().split('\n')).toHaveLength(7);
    // compile writes each point's estimate.json; not synthesised yet: the table shows the estimates
    // in reuse order, says no point has a report, and report exits 1.
    for (const n of dirs) expect(existsSync(join(d, n, 'estimate.json'))).toBe(true);
    io.out = '';
    expect(await cli('report', ...readdirSync(d).map((n) => join(d, n)))).toBe(1);
    const rows = io.out.split('\n').filter((l) => /reuse\d+\s+no report/.test(l));
    expect(rows.map((l) => /(reuse\d+)/.exec(l)![1])).toEqual(['reuse1', 'reuse2', 'reuse4', 'reuse8', 'reuse16', 'reuse32', 'reuse64']);
    const dsp = rows.map((l) => Number(/\s([\d,]+)\/-\s+[\d,]+\/-\s+[\d,]+\/-\s+\d+\/-$/.exec(l)![1]!.replace(/,/g, '')));
    for (let k = 1; k < dsp.length; k++) expect(dsp[k]!).toBeLessThan(dsp[k - 1]!);
    expect(io.out).toMatch(/0\/7 projects have a csynth report/);
    expect(io.err).toMatch(/none of the 7 projects has a synthesis report yet/);
  }, 60000);
});

describe('estimate --calibration', () => {
  const { io, cli } = captureCli();
  it.skipIf(!existsSync(JET))('corrects the --json totals with the entry of its tool and family and prints one line', async () => {
    const d = tmp();
    const cal = join(d, 'cal.json');
    writeFileSync(cal, JSON.stringify(fitCalibration(PAIRS)));
    const args = ['estimate', JET, '--part', 'xczu7ev-ffvc1156-2-e', '--clock', '5ns', '--tool', 'vivado-2019.2'];
    expect(await cli(...args, '--json', join(d, 'raw.json'))).toBe(0);
    expect(await cli(...args, '--calibration', cal, '--json', join(d, 'cal-est.json'))).toBe(0);
    const raw = JSON.parse(readFileSync(join(d, 'raw.json'), 'utf8')) as EstimateJson;
    const c = JSON.parse(readFileSync(join(d, 'cal-est.json'), 'utf8')) as EstimateJson & { calibration: { tool: string; family: string; scale: Record<string, number> } };
    expect(raw.family).toBe('Zynq UltraScale+');
    expect([c.calibration.tool, c.calibration.family]).toEqual(['vivado-2019.2', 'Zynq UltraScale+']);
    expect(c.total.lut).toBe(Math.round(raw.total.lut * c.calibration.scale.lut!));
    expect(c.total.dsp).toBe(Math.round(raw.total.dsp * c.calibration.scale.dsp!));
    expect(io.out).toMatch(/calibrated \(vivado-2019.2 \/ Zynq UltraScale\+, fitted on 11 designs\)/);
    expect(await cli(...args, '--calibration', join(d, 'none.json'))).toBe(1);
    expect(io.err).toMatch(/--calibration .*none.json: cannot read the file/);
  }, 30000);
});

describe('estimate --calibration hook', () => {
  it('calibratedJson records the family, corrects with a file, and is the identity without one', async () => {
    const { calibratedJson, formatCalibrated, addCalibrationOption } = await import('../../src/synth/estimate-hook.js');
    const { Command } = await import('commander');
    expect(addCalibrationOption(new Command()).options.map((o) => o.long)).toEqual(['--calibration']);
    const plain = calibratedJson(EST, 'Zynq-7000', undefined);
    expect([plain.family, plain.total.dsp, formatCalibrated(plain)]).toEqual(['Zynq-7000', 78, '']);
    const f = join(tmp(), 'c.json');
    const cal = fitCalibration(PAIRS);
    writeFileSync(f, JSON.stringify(cal));
    const j = calibratedJson(EST, 'Zynq-7000', f);
    const e = cal.entries.find((x) => x.tool === 'vivado-2020.1' && x.family === '*')!;
    expect(j.total.dsp).toBe(Math.round(78 * e.scale.dsp));
    expect(formatCalibrated(j)).toMatch(/^calibrated \(vivado-2020.1 \/ \*, fitted on 16 designs\): latency \d+ cycles, DSP \d+/);
    expect(() => calibratedJson(EST, 'x', join(tmp(), 'missing.json'))).toThrow(/cannot read/);
  });
});
