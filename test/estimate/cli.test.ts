import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureCli } from '../helpers/cli.js';

const MLP = join(import.meta.dirname, '../../examples/digits_mlp.onnx');
const { io, cli } = captureCli();

describe.skipIf(!existsSync(MLP))('nn2hls estimate / parts', () => {
  it('prints the per-layer table, totals, power and energy', async () => {
    expect(await cli('estimate', MLP, '--part', 'xc7z020clg400-1', '--clock', '100MHz', '--reuse', '4')).toBe(0);
    expect(io.out).toMatch(/part xc7z020clg400-1 \(Zynq-7000, DSP48E1 25x18; DS190/);
    expect(io.out).toMatch(/clock 10 ns \(100 MHz\)/);
    expect(io.out).toMatch(/^layer\s+op\s+latency\s+II\s+DSP\s+LUT\s+FF\s+BRAM_18K\s+URAM\s+dynamic$/m);
    expect(io.out).toMatch(/^total\s+\d+\s+4\s/m);
    expect(io.out).toMatch(/latency\s+\d+ cycles = [\d.]+ (ns|µs)\s+II 4 cycles\s+throughput 25 M\/s inferences/);
    expect(io.out).toMatch(/power\s+static 113 mW \+ dynamic [\d.]+ m?W = [\d.]+ m?W\s+energy [\d.]+ nJ per inference/);
  });
  it('sweeps a reuse list, one row per point, and writes JSON for each', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nn2hls-est-'));
    const out = join(dir, 'e.json');
    expect(await cli('estimate', MLP, '--reuse', '1,2,4,8', '--json', out)).toBe(0);
    const rows = io.out.split('\n').filter((l) => /^\s+\d+\s+\d+\s/.test(l));
    expect(rows.map((l) => Number(l.trim().split(/\s+/)[0]))).toEqual([1, 2, 4, 8]);
    const j = JSON.parse(readFileSync(out, 'utf8')) as { reuse: number; total: { dsp: number; ii: number } }[];
    expect(j.map((p) => p.reuse)).toEqual([1, 2, 4, 8]);
    for (let i = 1; i < j.length; i++) expect(j[i]!.total.dsp).toBeLessThanOrEqual(j[i - 1]!.total.dsp);
  });
  it('says which calibrated tool it used for an uncalibrated release', async () => {
    expect(await cli('estimate', MLP, '--tool', 'vitis-2021.1')).toBe(0);
    expect(io.out).toMatch(/note: vitis-2021.1 is not calibrated; using the nearest calibrated release, vitis-2020.1/);
  });
  it('marks designs beyond the part or a constraint instead of refusing them', async () => {
    expect(await cli('estimate', MLP, '--part', 'xc7z007s', '--max-power', '1mW')).toBe(0);
    expect(io.out).toMatch(/fits\s+NO/);
    expect(io.out).toMatch(/power .* exceeds --max-power 1 mW/);
  });
  it('bad part, unit and tool give one clear error and exit 1', async () => {
    expect(await cli('estimate', MLP, '--part', 'xczu7eg')).toBe(1);
    expect(io.err).toMatch(/^nn2hls: --part 'xczu7eg': unknown part\. Nearest known: xczu7ev/);
    expect(await cli('estimate', MLP, '--clock', '200')).toBe(1);
    expect(io.err).toMatch(/--clock '200': a bare number is ambiguous/);
    expect(await cli('estimate', MLP, '--max-latency', '2W')).toBe(1);
    expect(io.err).toMatch(/--max-latency '2W': expected a time/);
    expect(await cli('estimate', MLP, '--tool', 'quartus-20.1')).toBe(1);
    expect(io.err).toMatch(/--tool 'quartus-20.1': expected vivado-YYYY.N or vitis-YYYY.N/);
    expect(await cli('estimate', MLP, '--reuse', '2,x')).toBe(1);
    expect(io.err).toMatch(/--reuse '2,x'/);
    expect(io.err).not.toMatch(/at .*\.ts/);
  });
  it('compile writes estimate.json for the plan it emitted and prints the headline', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'nn2hls-est-')), 'prj');
    expect(await cli('compile', MLP, '-o', dir, '--part', 'xczu7ev-ffvc1156-2-e', '--reuse', '8')).toBe(0);
    expect(io.out).toMatch(/^estimate \(xczu7ev, vivado-2019\.2\): latency \d+ cycles \([\d.]+ ns\), II 8, DSP [\d.]+% LUT [\d.]+% FF [\d.]+% BRAM [\d.]+%, power [\d.]+ W/m);
    const j = JSON.parse(readFileSync(join(dir, 'estimate.json'), 'utf8')) as { part: string; total: { ii: number }; layers: { name: string }[] };
    const meta = JSON.parse(readFileSync(join(dir, 'nn2hls.json'), 'utf8')) as { layers: { name: string }[] };
    expect(j.part).toBe('xczu7ev-ffvc1156-2-e');
    expect(j.total.ii).toBe(8);
    expect(j.layers.map((l) => l.name)).toEqual(meta.layers.map((l) => l.name));
  });
  it('--fit prints the fitted design, the binding constraint and the per-layer settings', async () => {
    expect(await cli('estimate', MLP, '--part', 'xc7z020clg400-1', '--fit', '--max-util', '80%')).toBe(0);
    expect(io.out).toMatch(/fits\s+yes \(xc7z020\)/);
    expect(io.out).toMatch(/fit: \d+ folding step\(s\) in \d+ ms; binding constraint: (DSP|LUT|FF|BRAM18K) [\d.]+% of xc7z020 \(limit 80\.0%\)/);
    const cfg = JSON.parse(io.out.split('\n').find((l) => l.startsWith('{"hls"'))!) as { hls: { layers: Record<string, { reuse: number }> } };
    expect(Object.values(cfg.hls.layers).some((l) => l.reuse > 1)).toBe(true);
    expect(await cli('estimate', MLP, '--max-util', '80%')).toBe(1);
    expect(io.err).toMatch(/--min-throughput and --max-util are constraints of --fit; add --fit/);
  });
  it('parts lists the database with datasheets', async () => {
    expect(await cli('parts')).toBe(0);
    expect(io.out).toMatch(/^xczu7ev\s+Zynq UltraScale\+\s+ZCU106\s+230,400\s+460,800\s+1,728\s+DSP48E2 27x18\s+624\s+96\s+.*DS891/m);
    expect(io.out.split('\n').filter((l) => /^xc/.test(l)).length).toBeGreaterThanOrEqual(20);
  });
});
