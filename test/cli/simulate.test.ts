/**
 * `nn2hls simulate` end to end through the CLI entry point: the printed report, the JSON report
 * with the fields the issue names, the saved outputs, the auto config written and read back,
 * and the errors for bad flags (exit code 1, one line, no stack).
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureCli } from '../helpers/cli.js';
import { readNpyFile } from '../../src/util/npy.js';

const EX = join(__dirname, '../../examples');
const { io, cli } = captureCli();

describe('nn2hls simulate', () => {
  it('reports accuracy, agreement and a per-layer table; writes JSON and outputs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nn2hls-sim-'));
    const code = await cli(
      'simulate', join(EX, 'digits_mlp.onnx'), '--input', join(EX, 'digits_mlp_input.npy'),
      '--labels', join(EX, 'digits_labels.npy'), '--precision', 'ap_fixed<16,6>',
      '--json', join(dir, 'r.json'), '--save-outputs', join(dir, 'o'),
    );
    expect(io.err).toBe('');
    expect(code).toBe(0);
    expect(io.out).toMatch(/accuracy: float \d+\.\d\d%, fixed \d+\.\d\d%/);
    expect(io.out).toMatch(/\/body\/body.0\/Gemm\s+Dense\s+result=ap_fixed<16,6> weight=ap_fixed<16,6> bias=ap_fixed<16,6> accum=ap_fixed<\d+,\d+>/);
    const r = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8'));
    expect(Object.keys(r)).toEqual(expect.arrayContaining(['samples', 'float', 'fixed', 'agreement', 'max_abs_error', 'mean_abs_error', 'layers']));
    expect(r.samples).toBe(200);
    expect(r.fixed.accuracy).toBeGreaterThan(0.9);
    expect(r.layers.map((l: { op: string }) => l.op)).toEqual(['Dense', 'Relu', 'Dense', 'Relu', 'Dense', 'Softmax']);
    expect(Object.keys(r.layers[0])).toEqual(['name', 'op', 'types', 'snr_db', 'overflows', 'constant_overflows', 'weight_error']);
    const fixed = readNpyFile(join(dir, 'o', 'fixed_output_0.npy'));
    const float = readNpyFile(join(dir, 'o', 'float_output_0.npy'));
    expect(fixed.shape).toEqual([200, 10]);
    expect(float.shape).toEqual([200, 10]);
    // The saved outputs are on the result type's grid (2^-10 for ap_fixed<16,6>).
    expect(Array.from(fixed.data as Float32Array).every((v) => Number.isInteger(v * 1024))).toBe(true);
  });

  it('--precision auto writes a config that --config reproduces exactly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nn2hls-auto-'));
    const cfg = join(dir, 'mlp.json');
    const base = ['simulate', join(EX, 'digits_mlp.onnx'), '--input', join(EX, 'digits_mlp_input.npy')];
    expect(await cli(...base, '--precision', 'auto', '--calib', join(EX, 'digits_mlp_calib.npy'), '--bits', '10', '--write-config', cfg, '--json', join(dir, 'a.json'))).toBe(0);
    expect(existsSync(cfg)).toBe(true);
    expect(io.out).toContain(`written to ${cfg}`);
    expect(await cli(...base, '--config', cfg, '--json', join(dir, 'b.json'))).toBe(0);
    const a = JSON.parse(readFileSync(join(dir, 'a.json'), 'utf8'));
    const b = JSON.parse(readFileSync(join(dir, 'b.json'), 'utf8'));
    expect(b).toEqual(a);
  });

  it('bad flags are one-line errors with exit code 1', async () => {
    const base = ['simulate', join(EX, 'digits_mlp.onnx'), '--input', join(EX, 'digits_mlp_input.npy')];
    expect(await cli(...base, '--precision', 'auto')).toBe(1);
    expect(io.err).toMatch(/--precision auto needs calibration data/);
    io.err = '';
    expect(await cli(...base, '--precision', 'ap_fixed<16>')).toBe(1);
    expect(io.err).toMatch(/^nn2hls: --precision: 'ap_fixed' takes 2 to 5 arguments/);
    expect(io.err).not.toMatch(/\n\s+at /);
  });
});
