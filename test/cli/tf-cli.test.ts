/**
 * The TensorFlow path through the CLI: --inputs/--outputs parsing, inspect and compile of a
 * cut graph (the cut is recorded in nn2hls.load.json for csim), and a clear exit-1 message
 * for a bad .pb without a stack trace.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseInputSpec } from '../../src/cli/cut-options.js';
import { GraphDefBuilder } from '../../src/frontend/tf/write.js';
import { captureCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'nn2hls-tfcli-'));

describe('--inputs specs', () => {
  it('parses names, output indices and dims', () => {
    expect(parseInputSpec('Mfcc')).toEqual({ name: 'Mfcc' });
    expect(parseInputSpec('Mfcc:-1,49,10')).toEqual({ name: 'Mfcc', dims: [-1, 49, 10] });
    expect(parseInputSpec('split:1')).toEqual({ name: 'split:1' });
    expect(parseInputSpec('split:1:-1,16')).toEqual({ name: 'split:1', dims: [-1, 16] });
    expect(parseInputSpec('a/b:0:16')).toEqual({ name: 'a/b', dims: [16] });
    expect(() => parseInputSpec('x:-1,0')).toThrow(/dims must be positive integers or -1/);
  });
});

describe('nn2hls on a TensorFlow graph', () => {
  const { io, cli } = captureCli();
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', [-1, 6]);
  const pre = b.node('pre', 'Mul', [x, b.const('k', [], [2])]);
  const h = b.node('h', 'Relu', [b.node('fc', 'MatMul', [pre, b.const('w', [6, 4], Array.from({ length: 24 }, (_, i) => (i % 5) / 8 - 0.2))])]);
  b.node('out', 'Softmax', [b.node('fc2', 'MatMul', [h, b.const('w2', [4, 3], Array.from({ length: 12 }, (_, i) => (i % 3) / 4 - 0.1))])]);
  const model = join(dir, 'm.pb');
  writeFileSync(model, b.encode());

  it('inspect cuts the graph at --inputs/--outputs', async () => {
    expect(await cli('inspect', model, '--inputs', 'pre:-1,6', '--outputs', 'h', '--json')).toBe(0);
    const r = JSON.parse(io.out);
    expect(r.layers.map((l: { op: string }) => l.op)).toEqual(['Dense', 'Relu']);
  });

  it('compile records the cut for csim', async () => {
    const out = join(dir, 'proj');
    expect(await cli('compile', model, '--inputs', 'pre:-1,6', '-o', out)).toBe(0);
    expect(io.out).toMatch(/io parallel/);
    expect(JSON.parse(readFileSync(join(out, 'nn2hls.load.json'), 'utf8'))).toEqual({ inputs: [{ name: 'pre', dims: [-1, 6] }] });
    const out2 = join(dir, 'proj2');
    expect(await cli('compile', model, '-o', out2)).toBe(0);
    expect(existsSync(join(out2, 'nn2hls.load.json'))).toBe(false);
  });

  it('a damaged .pb exits 1 with one clear line and no stack trace', async () => {
    const bad = join(dir, 'bad.pb');
    writeFileSync(bad, readFileSync(model).subarray(0, 40));
    expect(await cli('inspect', bad)).toBe(1);
    expect(io.err).toMatch(/^nn2hls: .*bad\.pb: not a readable TensorFlow GraphDef/);
    expect(io.err).not.toMatch(/\n\s+at /);
  });
});
