/**
 * Constants that do not fit their type (issue #7, "silently wrong"): each overflowing weight,
 * bias or table entry is counted per layer with the largest value and a type that holds them,
 * the simulator's report carries the count, and `simulate` warns on stderr.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/frontend/onnx/model.js';
import { constantOverflows, formatConstOverflow } from '../../src/ir/const-overflow.js';
import { renderType } from '../../src/ir/fixed.js';
import { parseConfig } from '../../src/ir/precision-config.js';
import { prepareFixed } from '../../src/passes/pipeline.js';
import { quantizeDouble } from '../../src/ir/semantics/apfixed.js';
import { parseType } from '../../src/ir/fixed.js';
import { writeNpyFile } from '../../src/util/npy.js';
import { captureCli } from '../helpers/cli.js';
import { buildModel } from '../helpers/onnx-builder.js';

const SHARED = join(__dirname, '../../../shared/models/onnx');
const { io, cli } = captureCli();

function dense(w: number[], b: number[]) {
  return importOnnx(
    buildModel({
      inputs: [['x', ['N', 2]]],
      outputs: [['y', ['N', 3]]],
      inits: [['W', [2, 3], w], ['B', [3], b]],
      nodes: [
        { op: 'Gemm', inputs: ['x', 'W', 'B'], outputs: ['h'], name: 'fc1' },
        { op: 'Tanh', inputs: ['h'], outputs: ['y'], name: 'act' },
      ],
    }),
    'c.onnx',
  );
}

describe('constant overflows', () => {
  it('counts weights and biases that wrap, with the largest value and a type that holds them', () => {
    // ap_fixed<8,2> holds [-2, 1.984375]: 3.37 and -2.5 wrap; 1.99 rounds down (AP_TRN) and fits.
    const g = dense([3.37, 0.5, -2.5, 1.99, -2, 0.25], [0.5, 40, -1]);
    const { graph } = prepareFixed(g, parseConfig({ layers: { fc1: { weight: 'ap_fixed<8,2>', bias: 'ap_fixed<8,4>' } } }, 'cfg'));
    const list = constantOverflows(graph);
    expect(list.map((c) => [c.layer, c.role, c.count, c.total, c.largest, renderType(c.holding)])).toEqual([
      ['fc1', 'weight', 2, 6, Math.fround(3.37), 'ap_fixed<9,3>'],
      ['fc1', 'bias', 1, 3, 40, 'ap_fixed<11,7>'],
    ]);
    // The named type really holds every element (same fraction bits, no wrap), the old one did not.
    for (const x of [3.37, -2.5]) {
      const h = parseType('ap_fixed<9,3>');
      expect(Number(quantizeDouble(Math.fround(x), h)) / 64).toBeCloseTo(x, 1);
    }
    expect(Number(quantizeDouble(Math.fround(3.37), parseType('ap_fixed<8,2>'))) / 64).toBe(-0.640625); // the number
    expect(formatConstOverflow(list[0]!)).toBe(
      "layer 'fc1' (Dense): 2 of 6 weight values do not fit ap_fixed<8,2> and wrap around (largest |value| 3.37); ap_fixed<9,3> would hold them",
    );
  });

  it('saturating types say saturate; values that fit give nothing (must not fire)', () => {
    const g = dense([1.9, 0.5, -2, 1.5, -1, 0.25], [0.5, 1, -1]);
    expect(constantOverflows(prepareFixed(g, parseConfig({ layers: { fc1: { weight: 'ap_fixed<8,2>' } } }, 'cfg')).graph)).toEqual([]);
    const sat = constantOverflows(prepareFixed(g, parseConfig({ layers: { fc1: { weight: 'ap_fixed<6,1,AP_RND,AP_SAT>' } } }, 'cfg')).graph);
    expect(sat.map((c) => [c.role, c.count])).toEqual([['weight', 3]]);
    expect(formatConstOverflow(sat[0]!)).toMatch(/do not fit ap_fixed<6,1,AP_RND,AP_SAT> and saturate .*ap_fixed<7,2,AP_RND,AP_SAT> would hold them/);
  });

  it('table entries that saturate by more than one LSB are counted (tanh into an unsigned table)', () => {
    const g = dense([1, 0.5, -2, 1.5, -1, 0.25], [0.5, 1, -1]);
    const { graph } = prepareFixed(g, parseConfig({ layers: { act: { table: 'ap_ufixed<8,0>' } } }, 'cfg'));
    const [c] = constantOverflows(graph);
    expect(c!.role).toBe('f table');
    expect(c!.count).toBeGreaterThan(400); // every negative tanh value of a 1024-entry table over [-8, 8)
    expect(c!.count).toBeLessThan(520);
    expect(renderType(c!.holding)).toBe('ap_fixed<10,2>'); // tanh's top entries round to 1.0
  });

  it.skipIf(!existsSync(SHARED))('simulate reports them per layer and warns (jet tagger, weight ap_fixed<8,2>)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nn2hls-co-'));
    const cfg = join(dir, 'cfg.json');
    writeFileSync(cfg, JSON.stringify({ model: { default: 'ap_fixed<16,6>', weight: 'ap_fixed<8,2>' } }));
    const inp = join(dir, 'x.npy');
    writeNpyFile(inp, { dtype: 'float32', shape: [4, 16], data: Float32Array.from({ length: 64 }, (_, i) => Math.sin(i)) });
    const json = join(dir, 'r.json');
    expect(await cli('simulate', join(SHARED, 'three_layer_keras.onnx'), '--input', inp, '--config', cfg, '--json', json)).toBe(0);
    const r = JSON.parse(readFileSync(json, 'utf8'));
    expect(r.layers[0].constant_overflows).toBe(53);
    expect(r.layers[0].overflows).toBe(0);
    expect(io.err).toMatch(/warning: layer '_class__keras_layers_core_Dense__' \(Dense\): 53 of 1024 weight values do not fit ap_fixed<8,2> and wrap around \(largest \|value\| 3\.36964\); ap_fixed<9,3> would hold them/);
    expect(io.out).toMatch(/const ovf/);
  });

  it('compile warns too, and the suggested type really holds the weights (AP_TRN never rounds a positive up)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nn2hls-co-'));
    const cfg = join(dir, 'cfg.json');
    writeFileSync(cfg, JSON.stringify({ model: { weight: 'ap_fixed<6,0>' } }));
    const mlp = join(__dirname, '../../examples/digits_mlp.onnx');
    expect(await cli('compile', mlp, '-o', join(dir, 'p'), '--config', cfg, '--samples', '2')).toBe(0);
    expect(io.err).toMatch(/warning: layer '\/body\/body\.0\/Gemm' \(Dense\): 78 of 2048 weight values do not fit ap_fixed<6,0> and wrap around \(largest \|value\| 0\.985066\); ap_fixed<7,1> would hold them/);
    // With the suggested types, nothing is reported any more.
    writeFileSync(cfg, JSON.stringify({ layers: { '/body/body.0/Gemm': { weight: 'ap_fixed<7,1>' }, '/body/body.2/Gemm': { weight: 'ap_fixed<7,1>' }, '/body/body.4/Gemm': { weight: 'ap_fixed<8,2>' } } }));
    io.err = '';
    expect(await cli('compile', mlp, '-o', join(dir, 'p2'), '--config', cfg, '--samples', '2')).toBe(0);
    expect(io.err).toBe('');
  });
});
