/**
 * Golden-file tests of the HLS emitter: one small graph per layer family (cases.ts), emitted
 * with fixed options and 4 seeded testbench samples, compared file by file with the frozen
 * projects under test/backend/golden/ (the kernel headers, copied verbatim, are left out).
 * Regenerate after an intended change with UPDATE_GOLDEN=1 and review the diff.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, emitProject, type EmitOptions } from '../../src/backend-hls/index.js';
import { defaultRuns } from '../../src/cli/compile.js';
import { defaultConfig } from '../../src/ir/precision-config.js';
import { prepareFixed } from '../../src/passes/pipeline.js';
import { CASE_NAMES, caseGraph } from './cases.js';

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), 'golden');
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';

function emit(name: string, io: 'parallel' | 'stream'): Map<string, string> {
  // Small tables keep the frozen files readable; the table code is the same at any size.
  const base = defaultConfig();
  const g = prepareFixed(caseGraph(name), { ...base, model: { ...base.model, tableSize: 64 } }).graph;
  const opts: EmitOptions = { ...DEFAULTS, io, layers: {}, runs: defaultRuns(g, 4), meta: { source: `${name}.onnx` } };
  return new Map([...emitProject(g, opts)].filter(([f]) => !f.startsWith('firmware/kernels/')));
}

function listFiles(dir: string, base = ''): string[] {
  return readdirSync(join(dir, base)).flatMap((f) => {
    const rel = base ? `${base}/${f}` : f;
    return statSync(join(dir, rel)).isDirectory() ? listFiles(dir, rel) : [rel];
  });
}

const VARIANTS: [string, 'parallel' | 'stream'][] = [
  // The CNN shapes' weights would make MB-sized goldens; their plans are frozen in golden/plans.
  ...CASE_NAMES.filter((c) => !['lenet', 'cifar', 'dwsep'].includes(c)).map((c) => [c, 'parallel'] as [string, 'parallel']),
  ['pool_residual', 'stream'],
  ['dense', 'stream'],
  ['conv2d', 'stream'],
  ['add_concat', 'stream'],
];

describe('HLS emitter golden files', () => {
  for (const [name, io] of VARIANTS) {
    it(`${name} (io ${io})`, () => {
      const files = emit(name, io);
      const dir = join(GOLDEN, `${name}_${io}`);
      if (UPDATE) {
        rmSync(dir, { recursive: true, force: true });
        for (const [f, text] of files) {
          mkdirSync(dirname(join(dir, f)), { recursive: true });
          writeFileSync(join(dir, f), text);
        }
      }
      expect(existsSync(dir), `missing ${dir}; run with UPDATE_GOLDEN=1`).toBe(true);
      expect(listFiles(dir).sort()).toEqual([...files.keys()].sort());
      for (const [f, text] of files) expect(text, f).toBe(readFileSync(join(dir, f), 'utf8'));
    });
  }

  it('is byte-identical across runs', () => {
    const a = emit('add_concat', 'stream');
    const b = emit('add_concat', 'stream');
    expect([...a]).toEqual([...b]);
  });
});
