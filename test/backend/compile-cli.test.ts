/**
 * `nn2hls compile` through the CLI: a project is written atomically and byte-identically on a
 * second run; a directory that is not an nn2hls project is never overwritten; layers beyond
 * the HLS tool limits are refused with the layer named and the fix spelled out; and the
 * project's nn2hls.json records the types the simulator used.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureCli } from '../helpers/cli.js';

const EX = join(__dirname, '../../examples');
const SHARED = join(__dirname, '../../../shared/models/onnx');
const { io, cli } = captureCli();

function tree(dir: string, rel = ''): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) for (const [k, v] of tree(dir, r)) m.set(k, v);
    else m.set(r, readFileSync(join(dir, r), 'utf8'));
  }
  return m;
}

describe('nn2hls compile', () => {
  it('writes a complete project, identical byte for byte when run again', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'nn2hls-c-')), 'prj');
    const args = ['compile', join(EX, 'digits_cnn.onnx'), '-o', dir, '--io', 'stream', '--name', 'digits'];
    expect(await cli(...args)).toBe(0);
    const first = tree(dir);
    for (const f of ['firmware/digits.cpp', 'firmware/digits.h', 'firmware/defines.h', 'firmware/parameters.h', 'tb/digits_test.cpp', 'build_prj.tcl', 'Makefile', 'nn2hls.json', 'README.md']) {
      expect(first.has(f), f).toBe(true);
    }
    expect(first.get('firmware/digits.cpp')).toMatch(/#pragma HLS DATAFLOW|HLS DATAFLOW/);
    const meta = JSON.parse(first.get('nn2hls.json')!);
    expect(JSON.stringify(meta)).toContain('ap_fixed<16,6>');
    expect(await cli(...args)).toBe(0);
    expect(tree(dir)).toEqual(first);
    // No temporary directories are left next to the project.
    expect(readdirSync(join(dir, '..'))).toEqual(['prj']);
  });

  it('refuses to overwrite a directory that is not an nn2hls project', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nn2hls-c-'));
    writeFileSync(join(dir, 'thesis.tex'), 'precious');
    expect(await cli('compile', join(EX, 'digits_mlp.onnx'), '-o', dir)).toBe(1);
    expect(io.err).toMatch(/is not an nn2hls project \(no nn2hls\.json\); refusing to overwrite it/);
    expect(readFileSync(join(dir, 'thesis.tex'), 'utf8')).toBe('precious');
    expect(readdirSync(dir)).toEqual(['thesis.tex']);
  });

  it.skipIf(!existsSync(SHARED))('names the layers beyond the unroll limit and says what to change', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'nn2hls-c-')), 'big');
    expect(await cli('compile', join(SHARED, 'dense_big_keras.onnx'), '-o', dir)).toBe(1);
    expect(io.err).toMatch(/exceed tool limits/);
    expect(io.err).toMatch(/layer '_class__keras_layers_core_Dense__1' \(Dense 100x100\): latency strategy unrolls 10000 multiplications/);
    expect(io.err).toMatch(/--strategy resource/);
    expect(existsSync(dir)).toBe(false);
    io.err = '';
    mkdirSync(join(dir, '..'), { recursive: true });
    expect(await cli('compile', join(SHARED, 'dense_big_keras.onnx'), '-o', dir, '--strategy', 'resource', '--reuse', '4')).toBe(0);
    expect(existsSync(join(dir, 'nn2hls.json'))).toBe(true);
  });
});
