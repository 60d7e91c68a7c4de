/**
 * `nn2hls compile` through the CLI: a project is written atomically and byte-identically on a
 * second run; a directory that is not an nn2hls project is never overwritten; layers beyond
 * the HLS tool limits are refused with the layer named and the fix spelled out; and the
 * project's nn2hls.json records, layer by layer, the types the quantize pass chose (checked
 * with a non-default config, so a record of the defaults or of the config text would show).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/frontend/index.js';
import { renderType } from '../../src/ir/fixed.js';
import { valueOf } from '../../src/ir/graph.js';
import { readConfig } from '../../src/ir/precision-config.js';
import { prepareFixed } from '../../src/passes/pipeline.js';
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
    expect(await cli(...args)).toBe(0);
    expect(tree(dir)).toEqual(first);
    // No temporary directories are left next to the project.
    expect(readdirSync(join(dir, '..'))).toEqual(['prj']);
  });

  it('records per layer the types the quantize pass chose from a non-default config', async () => {
    const root = mkdtempSync(join(tmpdir(), 'nn2hls-c-'));
    const cfgPath = join(root, 'prec.json');
    writeFileSync(cfgPath, JSON.stringify({
      model: { default: 'ap_fixed<12,5>' },
      op_types: { Dense: { weight: 'ap_fixed<8,2>', result: 'ap_fixed<14,7,AP_RND_CONV,AP_SAT>' } },
      layers: { '/body/body.2/Gemm': { result: 'ap_fixed<10,4>', accum: 'ap_fixed<24,10>' } },
      inputs: { input: 'ap_ufixed<9,5>' },
    }));
    const model = join(EX, 'digits_mlp.onnx');
    expect(await cli('compile', model, '-o', join(root, 'prj'), '--config', cfgPath)).toBe(0);
    const meta = JSON.parse(readFileSync(join(root, 'prj', 'nn2hls.json'), 'utf8')) as {
      inputs: { value: string; type: string }[];
      layers: { name: string; inputs: { value: string; type: string | null }[]; output: { value: string; type: string }; accum?: string }[];
    };
    // The quantize pass on the same model and config is the reference for every record.
    const g = prepareFixed(await loadModel(model), readConfig(cfgPath).precision).graph;
    const typeOf = (v: string) => renderType(valueOf(g, v).fixed!);
    expect(meta.layers.map((l) => l.name)).toEqual(g.nodes.map((n) => n.name));
    for (const l of meta.layers) {
      const n = g.nodes.find((m) => m.name === l.name)!;
      expect(l.output.type, l.name).toBe(typeOf(l.output.value));
      for (const i of l.inputs) expect(i.type, `${l.name} <- ${i.value}`).toBe(typeOf(i.value));
      expect(l.accum, l.name).toBe(n.prec?.accum ? renderType(n.prec.accum) : undefined);
    }
    // And the config visibly took effect (the records are not the defaults).
    const layer = (name: string) => meta.layers.find((l) => l.name === name)!;
    expect(meta.inputs[0]!.type).toBe('ap_ufixed<9,5>');
    expect(layer('/body/body.0/Gemm').output.type).toBe('ap_fixed<14,7,AP_RND_CONV,AP_SAT>');
    expect(layer('/body/body.0/Gemm').inputs[1]!.type).toBe('ap_fixed<8,2>');
    expect(layer('/body/body.2/Gemm').output.type).toBe('ap_fixed<10,4>');
    expect(layer('/body/body.2/Gemm').accum).toBe('ap_fixed<24,10>');
    expect(layer('/body/body.1/Relu').output.type).toBe('ap_fixed<12,5>');
    expect(JSON.stringify(meta.layers)).not.toContain('ap_fixed<16,6>');
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
    expect(await cli('compile', join(SHARED, 'dense_big_keras.onnx'), '-o', dir, '--dump-plan', '--no-fit')).toBe(0);
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
