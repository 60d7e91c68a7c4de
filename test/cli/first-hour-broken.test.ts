/**
 * Issue #7, "Broken": what a new user ran in the first hour and what it must do now. Path and
 * exit-code cases spawn the real launcher with a relative path and a cwd; the rest run in-process.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureCli } from '../helpers/cli.js';
import { REPO, runBin } from '../helpers/spawn-cli.js';

const EX = join(REPO, 'examples');
const HEADERS = join(REPO, '../shared/vendor/xilinx-ap-types/include');
const haveGxx = (() => {
  try {
    execFileSync(process.env['CXX'] || 'g++', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const { io, cli } = captureCli();

describe('first hour: broken commands', () => {
  it.skipIf(!existsSync(HEADERS) || !haveGxx)(
    'csim on a RELATIVE project path from another cwd, with ap_fixed<32,16> (64-bit products, wide accumulators): bit-exact',
    () => {
      const cwd = mkdtempSync(join(tmpdir(), 'nn2hls-rel-'));
      const c = runBin(['compile', join(EX, 'digits_mlp.onnx'), '-o', 'build/mlp', '--precision', 'ap_fixed<32,16>', '--samples', '24', '--clock', '5ns'], cwd);
      expect(c.err).toBe('');
      expect(c.code).toBe(0);
      const r = runBin(['csim', 'build/mlp', '--hls-include', HEADERS], cwd);
      expect(r.err).not.toMatch(/ENOENT|internal error/);
      expect(r.out).toMatch(/bit-exact: 24\/24 samples/);
      expect(r.code).toBe(0);
    },
    300_000,
  );

  it.skipIf(!existsSync(HEADERS) || !haveGxx)(
    "--precision 'ap_fixed<64,32>' (64-bit values on the BigInt path): simulate and g++ csim agree bit for bit",
    () => {
      const cwd = mkdtempSync(join(tmpdir(), 'nn2hls-w64-'));
      const c = runBin(['compile', join(EX, 'digits_cnn.onnx'), '-o', 'p64', '--precision', 'ap_fixed<64,32>', '--samples', '12', '--io', 'stream'], cwd);
      expect(c.err).toBe('');
      expect(c.code).toBe(0);
      const r = runBin(['csim', 'p64', '--hls-include', HEADERS], cwd);
      expect(r.out).toMatch(/bit-exact: 12\/12 samples/);
      expect(r.code).toBe(0);
    },
    300_000,
  );

  it('simulate without --input says what is missing (exit 1, no internal error)', () => {
    const r = runBin(['simulate', 'examples/digits_mlp.onnx'], REPO);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--input FILE is required/);
    expect(r.err).toMatch(/'input' \[N,64\]/);
    expect(r.err).not.toMatch(/internal error|Cannot read/);
  });

  it('run without --input says what is missing', async () => {
    expect(await cli('run', join(EX, 'digits_mlp.onnx'), '--out', mkdtempSync(join(tmpdir(), 'nn2hls-run-')))).toBe(1);
    expect(io.err).toMatch(/--input FILE is required/);
  });

  it.each(['ap_fixed<2000,6>', 'ap_fixed<4096,6>'])('--precision %s is a user error naming the limit', async (t) => {
    const code = await cli('simulate', join(EX, 'digits_cnn.onnx'), '--input', join(EX, 'digits_cnn_input.npy'), '--precision', t);
    expect(code).toBe(1);
    expect(io.err).toMatch(new RegExp(`--precision: '${t.replace(/[<>]/g, '.')}' is \\d+ bits wide; the Xilinx headers accept at most 1024`));
    expect(io.err).not.toMatch(/internal error/);
  });

  it('a width that fits but whose accumulators would not names the layer', async () => {
    const code = await cli('simulate', join(EX, 'digits_mlp.onnx'), '--input', join(EX, 'digits_mlp_input.npy'), '--precision', 'ap_fixed<600,6>');
    expect(code).toBe(1);
    expect(io.err).toMatch(/layer '[^']+' \(Dense\): its (accumulator|product of input and weight) would be \d+ bits wide, beyond the 1024 bits/);
  });

  it("--precision 'ap_fixed<32,16>' simply works (accumulators derived past 52 bits)", async () => {
    const json = join(mkdtempSync(join(tmpdir(), 'nn2hls-w-')), 'r.json');
    const code = await cli('simulate', join(EX, 'digits_cnn.onnx'), '--input', join(EX, 'digits_cnn_input.npy'),
      '--labels', join(EX, 'digits_labels.npy'), '--precision', 'ap_fixed<32,16>', '--json', json);
    expect(io.err).toBe('');
    expect(code).toBe(0);
    const r = JSON.parse(readFileSync(json, 'utf8'));
    expect(r.agreement).toBe(1);
    const accs = r.layers.filter((l: { types: Record<string, string> }) => l.types['accum']).map((l: { types: Record<string, string> }) => l.types['accum']);
    expect(accs.length).toBeGreaterThan(0);
    expect(accs.some((a: string) => Number(/<(\d+),/.exec(a)![1]) > 52)).toBe(true);
  });

  it('a calibration file of the wrong shape is reported as the calibration file', async () => {
    const code = await cli('simulate', join(EX, 'digits_cnn.onnx'), '--input', join(EX, 'digits_cnn_input.npy'),
      '--precision', 'auto', '--calib', join(EX, 'digits_mlp_calib.npy'), '--write-config', join(mkdtempSync(join(tmpdir(), 'nn2hls-c-')), 'p.json'));
    expect(code).toBe(1);
    expect(io.err).toMatch(/--calib .*digits_mlp_calib\.npy: the calibration data file does not fit the model: .*expected shape \[N,1,8,8\], got \[256,64\]/);
  });
});
