import { describe, expect, it } from 'vitest';
import { DEVICES, resolvePart } from '../../src/estimate/devices.js';
import { parseTool, resolveTool } from '../../src/estimate/tools.js';

describe('device database', () => {
  it('has the parts hls4ml/FINN users target, each with its datasheet', () => {
    const names = DEVICES.map((d) => d.name);
    for (const n of ['xc7z007s', 'xc7z010', 'xc7z020', 'xc7z045', 'xc7a35t', 'xc7a100t', 'xc7a200t', 'xc7k325t', 'xc7vx690t', 'xczu3eg', 'xczu7ev', 'xczu9eg', 'xcku115', 'xcvu9p', 'xcvu13p', 'xcu50', 'xcu250', 'xcu280', 'xcvc1902']) {
      expect(names).toContain(n);
    }
    expect(DEVICES.length).toBeGreaterThanOrEqual(20);
    for (const d of DEVICES) {
      expect(d.datasheet).toMatch(/^DS\d{3} /);
      expect(d.bram18k % 2).toBe(0);
      expect(d.staticW).toBeGreaterThan(0);
    }
  });
  it('carries the datasheet counts (cross-checked with csynth "Available" rows)', () => {
    const zu7 = resolvePart('xczu7ev').device;
    expect([zu7.lut, zu7.ff, zu7.dsp, zu7.bram18k, zu7.uram]).toEqual([230400, 460800, 1728, 624, 96]);
    const z020 = resolvePart('xc7z020').device; // csynth Available row of the hls4ml test report
    expect([z020.bram18k, z020.dsp, z020.ff, z020.lut]).toEqual([280, 220, 106400, 53200]);
    const vu13 = resolvePart('xcvu13p').device; // AvailableBRAM_18K etc. of the hls4ml baselines
    expect([vu13.bram18k, vu13.dsp, vu13.ff, vu13.lut, vu13.uram]).toEqual([5376, 12288, 3456000, 1728000, 1280]);
    expect(zu7.dspShape).toEqual({ kind: 'DSP48E2', a: 27, b: 18 });
    expect(z020.dspShape.kind).toBe('DSP48E1');
    expect(resolvePart('xcvc1902').device.dspShape.kind).toBe('DSP58');
  });
  it('resolves full part names with package, speed grade and temperature suffixes', () => {
    expect(resolvePart('xczu7ev-ffvc1156-2-e')).toMatchObject({ device: { name: 'xczu7ev' }, speedGrade: '2', temperature: 'e' });
    expect(resolvePart('xc7z020clg400-1')).toMatchObject({ device: { name: 'xc7z020' }, speedGrade: '1' });
    expect(resolvePart('xcu250-figd2104-2L-e')).toMatchObject({ device: { name: 'xcu250' }, speedGrade: '2L', temperature: 'e' });
    expect(resolvePart('xcku115-flvb2104-2-i')).toMatchObject({ device: { name: 'xcku115' }, temperature: 'i' });
    expect(resolvePart('XCVC1902-VSVA2197-2MP-E-S').device.name).toBe('xcvc1902');
    expect(resolvePart('xc7a100t').speedGrade).toBeUndefined();
  });
  it('an unknown part is an error listing the nearest known ones', () => {
    expect(() => resolvePart('xczu7eg-ffvc1156-2-e')).toThrow(/--part 'xczu7eg-ffvc1156-2-e': unknown part\. Nearest known: xczu7ev/);
    expect(() => resolvePart('xc7z030')).toThrow(/Nearest known: .*xc7z0/);
    expect(() => resolvePart('xczu7evx')).toThrow(/unknown part/);
  });
});

describe('tool versions', () => {
  it('parses vivado/vitis releases in both spellings', () => {
    expect(parseTool('vitis-2023.2')).toEqual({ line: 'vitis', year: 2023, release: 2 });
    expect(parseTool('Vivado HLS 2019.2')).toEqual({ line: 'vivado', year: 2019, release: 2 });
    expect(() => parseTool('quartus-2020.1')).toThrow(/expected vivado-YYYY.N or vitis-YYYY.N/);
  });
  it('uses the nearest calibrated release of the same tool line and says so', () => {
    expect(resolveTool('vivado-2019.2')).toEqual({ asked: 'vivado-2019.2', profile: expect.objectContaining({ id: 'vivado-2019.2' }) });
    const r = resolveTool('vitis-2021.1');
    expect(r.profile.id).toBe('vitis-2020.1');
    expect(r.note).toMatch(/vitis-2021.1 is not calibrated; using the nearest calibrated release, vitis-2020.1/);
    expect(resolveTool('vitis-2025.1').profile.id).toBe('vitis-2024.1');
    expect(resolveTool('vivado-2018.2').profile.id).toBe('vivado-2019.2');
  });
});
