/**
 * The testbench's verdicts: it fails (exit 1) when expected.txt has fewer lines than the
 * inputs, and (exit 3) when there is no expected file outside a trace run; tb_data keeps at most
 * TB_MAX_ELEMENTS input elements. The g++ part needs AP_TYPES_INCLUDE and skips without it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULTS, emitProject } from '../../src/backend-hls/index.js';
import { planProject } from '../../src/backend-hls/project.js';
import { TB_MAX_ELEMENTS, testbenchData } from '../../src/backend-hls/testbench.js';
import { defaultRuns, writeProject } from '../../src/cli/compile.js';
import { runCsim } from '../../src/cli/csim.js';
import { defaultConfig } from '../../src/ir/precision-config.js';
import { prepareFixed } from '../../src/passes/pipeline.js';
import { caseGraph } from './cases.js';
import { simulateFixed } from '../../src/sim/fixed/simulate.js';

const INC = process.env['AP_TYPES_INCLUDE'];
const HAVE = !!INC && existsSync(join(INC, 'ap_fixed.h'));
const root = mkdtempSync(join(tmpdir(), 'nn2hls-tb-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('tb_data size cap', () => {
  it('keeps at most the capped number of input elements and records what it dropped', () => {
    const g = prepareFixed(caseGraph('lenet'), defaultConfig()).graph;
    const opts = { ...DEFAULTS, io: 'stream' as const, layers: {}, runs: defaultRuns(g, 9), simulate: simulateFixed };
    const tb = testbenchData(planProject(g, opts), opts.runs, simulateFixed, 784 * 3 + 5);
    expect(tb.inputs.trim().split('\n')).toHaveLength(3);
    expect(tb.expected.trim().split('\n')).toHaveLength(3);
    expect(tb).toMatchObject({ samples: 3, offered: 9 });
    // The default cap keeps a 64x64x32 input to 3 samples (not 64).
    expect(Math.floor(TB_MAX_ELEMENTS / (64 * 64 * 32))).toBe(3);
  });
});

describe.skipIf(!HAVE)('testbench exit status', () => {
  it('fails on a short or missing expected file', { timeout: 300_000 }, async () => {
    const g = prepareFixed(caseGraph('dense'), defaultConfig()).graph;
    const dir = join(root, 'dense');
    writeProject(dir, emitProject(g, { ...DEFAULTS, layers: {}, runs: defaultRuns(g, 8), simulate: simulateFixed }));
    const r = await runCsim(dir, { hlsInclude: INC! });
    expect(r.exact).toBe(8);
    const exe = join(dir, 'build', 'myproject_csim');
    const run = (exp: string) => spawnSync(exe, ['tb_data/inputs.txt', exp, join(root, 'res.txt')], { cwd: dir, encoding: 'utf8' });
    expect(run('tb_data/expected.txt').status).toBe(0);
    const short = join(root, 'short.txt');
    writeFileSync(short, readFileSync(join(dir, 'tb_data/expected.txt'), 'utf8').split('\n').slice(0, 5).join('\n') + '\n');
    const s = run(short);
    expect(s.status).toBe(1);
    expect(s.stdout).toMatch(/fewer lines than the 8 samples/);
    const m = run(join(root, 'missing.txt'));
    expect(m.status).toBe(3);
    expect(m.stderr).toMatch(/no expected outputs/);
  });
});
