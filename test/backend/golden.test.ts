/**
 * Golden files of the HLS emitter, generic over the cases in test/backend/golden/cases/*.ir
 * (see cases.ts): each case is quantized with its config and emitted in each of its io modes
 * with 4 seeded testbench samples; what is frozen per case is what the case decides — the
 * generated C++ under firmware/ (our kernel headers, copied verbatim, left out) and the plan
 * summary nn2hls.json — under golden/NAME_IO/. The files every project shares (Makefile,
 * build_prj.tcl, README.md, testbench, tb_data) are frozen once, for one case, under
 * golden/project_dense_parallel/, so a script change churns one directory, not all.
 * Each case's plan is also rendered twice in one process: state leaking between renders shows.
 * Regenerate after an intended change with UPDATE_GOLDEN=1 and review the diff.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, emitProject, planProject } from '../../src/backend-hls/index.js';
import { defaultRuns } from '../../src/cli/compile.js';
import { prepareFixed } from '../../src/passes/pipeline.js';
import { backendCase, CASE_NAMES, caseHlsOptions, type Io } from './cases.js';
import { simulateFixed } from '../../src/sim/fixed/simulate.js';

const GOLDEN = join(__dirname, 'golden');
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';
/** The case whose whole project (shared files included) is frozen. */
const PROJECT_CASE: [string, Io] = ['dense', 'parallel'];
const PROJECT_DIR = `project_${PROJECT_CASE[0]}_${PROJECT_CASE[1]}`;

const isKernel = (f: string) => f.startsWith('firmware/kernels/');
/** Files a case decides: generated C++ and the plan summary. */
const isCaseFile = (f: string) => f === 'nn2hls.json' || (f.startsWith('firmware/') && !isKernel(f));

function renderTwice(name: string, io: Io): Map<string, string> {
  const c = backendCase(name);
  const g = prepareFixed(c.graph, c.config).graph;
  const opts = { ...DEFAULTS, io, ...caseHlsOptions(c), runs: defaultRuns(g, 4), simulate: simulateFixed, meta: { source: `${name}.ir` } };
  const plan = planProject(g, opts);
  const first = emitProject(g, opts, plan);
  const second = emitProject(g, opts, plan);
  expect([...second.keys()]).toEqual([...first.keys()]);
  for (const [f, text] of first) expect(second.get(f), `${f} rendered twice from one plan`).toBe(text);
  return first;
}

function listFiles(dir: string, base = ''): string[] {
  return readdirSync(join(dir, base)).flatMap((f) => {
    const rel = base ? `${base}/${f}` : f;
    return statSync(join(dir, rel)).isDirectory() ? listFiles(dir, rel) : [rel];
  });
}

function checkGolden(dirName: string, files: Map<string, string>): void {
  const dir = join(GOLDEN, dirName);
  if (UPDATE) {
    rmSync(dir, { recursive: true, force: true });
    for (const [f, text] of files) {
      mkdirSync(dirname(join(dir, f)), { recursive: true });
      writeFileSync(join(dir, f), text);
    }
  }
  expect(existsSync(dir), `missing ${dir}; run with UPDATE_GOLDEN=1`).toBe(true);
  expect(listFiles(dir).sort()).toEqual([...files.keys()].sort());
  for (const [f, text] of files) expect(text, `${dirName}/${f}`).toBe(readFileSync(join(dir, f), 'utf8'));
}

const VARIANTS = CASE_NAMES.flatMap((name) => backendCase(name).io.map((io) => [name, io] as const));

describe('HLS emitter golden files', () => {
  for (const [name, io] of VARIANTS) {
    it(`${name} (io ${io})`, () => {
      const files = renderTwice(name, io);
      checkGolden(`${name}_${io}`, new Map([...files].filter(([f]) => isCaseFile(f))));
    });
  }

  it(`the files every project shares, for ${PROJECT_CASE.join(', io ')} (scripts, README, testbench, data)`, () => {
    const files = renderTwice(...PROJECT_CASE);
    checkGolden(PROJECT_DIR, new Map([...files].filter(([f]) => !isKernel(f) && !isCaseFile(f))));
  });

  it('holds no golden directory without a case', () => {
    const expected = new Set(['cases', 'plans', PROJECT_DIR, ...VARIANTS.map(([n, io]) => `${n}_${io}`)]);
    const stale = readdirSync(GOLDEN).filter((d) => !expected.has(d));
    if (UPDATE) for (const d of stale) rmSync(join(GOLDEN, d), { recursive: true, force: true });
    else expect(stale, 'golden directories of removed cases; run with UPDATE_GOLDEN=1').toEqual([]);
  });
});
