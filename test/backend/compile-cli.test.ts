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

  it.skipIf(!existsSync(SHARED))('plans layers beyond the unroll limit itself, and honours an explicit setting with a warning', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'nn2hls-c-')), 'big');
    expect(await cli('compile', join(SHARED, 'dense_big_keras.onnx'), '-o', dir, '--dump-plan')).toBe(0);
    // 100x100 products: reuse 4 is the smallest valid factor leaving <= 4096 per step (2500).
    expect(io.out).toMatch(/plan: layer '_class__keras_layers_core_Dense__1' \(Dense\): .*chose strategy resource, reuse 4 \(2500 multipliers\)/);
    expect(io.out).toMatch(/^layer\s+op\s+kernel/m);
    const j = JSON.parse(readFileSync(join(dir, 'nn2hls.json'), 'utf8')) as { layers: { op: string; plan: { strategy: string; reuse: number; block: number; macs: number; unrolled: number } }[] };
    const dense = j.layers.filter((x) => x.op === 'Dense');
    expect(dense.filter((l) => l.plan.strategy === 'resource').length).toBeGreaterThan(0);
    for (const l of dense) {
      expect(l.plan.unrolled).toBeLessThanOrEqual(4096);
      if (l.plan.strategy === 'resource') expect(l.plan.block * l.plan.reuse).toBe(l.plan.macs);
    }
    io.out = '';
    expect(await cli('compile', join(SHARED, 'dense_big_keras.onnx'), '-o', dir, '--strategy', 'latency')).toBe(0);
    expect(io.out).toMatch(/warning: layer '_class__keras_layers_core_Dense__1' \(Dense\): latency strategy with reuse 1 has 10000 multiplications unrolled in one step \(limit 4096\).*strategy resource, reuse 4 would stay under/);
    io.out = '';
    mkdirSync(join(dir, '..'), { recursive: true });
    expect(await cli('compile', join(SHARED, 'dense_big_keras.onnx'), '-o', dir, '--strategy', 'resource', '--reuse', '3')).toBe(0);
    expect(io.out).toMatch(/reuse 3 does not divide the 100x100 products .* closest valid reuse 4/);
    expect(existsSync(join(dir, 'nn2hls.json'))).toBe(true);
  });
});
