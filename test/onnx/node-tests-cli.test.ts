/**
 * The ONNX backend node tests (Debian libonnx-testdata) through the CLI as a user runs them:
 * `nn2hls run model.onnx --input input_0.pb ... --out DIR`, one file per graph input, then the
 * written .npy outputs compared with the stored expectations (rtol 1e-4, atol 1e-5). Graph
 * inputs that set a constant operand (a Reshape's shape, a Pad's pads, a Resize's scales) are
 * folded by `run` itself with a note. Every test the harness test (node-tests.test.ts) runs is
 * run here in-process through the CLI's exported main(); a sample of 20 also spawns the real
 * launcher bin/nn2hls.js. Tests that fail through the CLI though the harness passes them are
 * listed in EXPECTED_FAIL with the reason: each must still fail (so the list shrinks) and every
 * other test must pass. Prints the count passing through the CLI.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parameterInputs } from '../../src/frontend/index.js';
import { readTensorProtoFile } from '../../src/frontend/onnx/tensor-proto.js';
import { readNpyFile } from '../../src/util/npy.js';
import { toFloat32 } from '../../src/util/tensor.js';
import { captureCli } from '../helpers/cli.js';
import { type Case, collect } from '../helpers/onnx-node-tests.js';
import { REPO, runBin } from '../helpers/spawn-cli.js';

/** Tests the harness passes that fail through `nn2hls run`, with why. */
const EXPECTED_FAIL: Record<string, string> = {};

const { cases } = collect();

function files(dir: string, prefix: string): string[] {
  const ds = join(dir, 'test_data_set_0');
  return readdirSync(ds)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.pb'))
    .sort((a, b) => Number(/\d+/.exec(a)![0]) - Number(/\d+/.exec(b)![0]))
    .map((f) => join(ds, f));
}

/** '' when every output matches within rtol 1e-4 / atol 1e-5, else what differs first. */
function compareOutputs(tc: Case, outDir: string): string {
  for (const [k, f] of files(tc.dir, 'output_').entries()) {
    const want = readTensorProtoFile(f);
    const path = join(outDir, `output_${k}.npy`);
    if (!existsSync(path)) return `output_${k}.npy was not written`;
    const got = readNpyFile(path);
    if (got.shape.join() !== want.shape.join()) return `output ${k} shape [${got.shape}] != [${want.shape}]`;
    const g = toFloat32(got);
    const w = toFloat32(want);
    for (let i = 0; i < w.length; i++) {
      const tol = 1e-5 + 1e-4 * Math.abs(w[i]!);
      if (g[i] !== w[i] && !(Number.isNaN(g[i]!) && Number.isNaN(w[i]!)) && !(Math.abs(g[i]! - w[i]!) <= tol)) return `output ${k} element ${i} is ${g[i]}, expected ${w[i]}`;
    }
  }
  return '';
}

const runArgs = (tc: Case, out: string) => ['run', join(tc.dir, 'model.onnx'), ...files(tc.dir, 'input_').flatMap((f) => ['--input', f]), '--out', out];

const { io, cli } = captureCli();
let pass = 0;
let total = 0;
const failures: string[] = [];

describe.skipIf(cases.length === 0)('ONNX node tests through `nn2hls run` (in-process, all)', () => {
  afterAll(() => {
    console.log(`ONNX node tests passing through the CLI: ${pass}/${total}${failures.length ? `\n  failing: ${failures.join('\n  failing: ')}` : ''}`);
  });

  for (const tc of cases) {
    it(tc.name, async () => {
      const out = mkdtempSync(join(tmpdir(), 'nn2hls-node-'));
      try {
        const code = await cli(...runArgs(tc, out));
        const problem = code !== 0 ? `exit ${code}: ${io.err.trim().split('\n')[0]}` : compareOutputs(tc, out);
        total++;
        if (!problem) pass++;
        else failures.push(`${tc.name}: ${problem}`);
        const reason = EXPECTED_FAIL[tc.name];
        if (reason === undefined) expect(problem, 'CLI run').toBe('');
        else expect(problem, `listed as failing (${reason}) but passes now: remove it from EXPECTED_FAIL`).not.toBe('');
        if (code === 2) expect.fail(`internal error instead of a clear message: ${io.err}`);
        // Each folded parameter input gets its one-line note, and only those do.
        const notes = [...io.err.matchAll(/^note: input '([^']*)' sets a constant operand/gm)].map((m) => m[1]);
        expect(notes).toEqual(parameterInputs(join(tc.dir, 'model.onnx'))?.constant ?? []);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });
  }
});

/** Every k-th test, 20 in all, through the real launcher (a parameter-input Reshape among them). */
const runnable = cases.filter((c) => EXPECTED_FAIL[c.name] === undefined);
const step = Math.max(1, Math.floor(runnable.length / 19));
const SAMPLE = [...new Set([...runnable.filter((_, i) => i % step === 0).slice(0, 19), ...runnable.filter((c) => c.name === 'test_reshape_extended_dims')])];

describe.skipIf(SAMPLE.length === 0)('ONNX node tests through bin/nn2hls.js (sample of 20)', () => {
  for (const tc of SAMPLE) {
    it(`spawned: ${tc.name}`, () => {
      const out = mkdtempSync(join(tmpdir(), 'nn2hls-node-bin-'));
      try {
        const r = runBin(runArgs(tc, out), REPO);
        expect(r.code, r.err).toBe(0);
        expect(r.err.split('\n').filter((l) => l && !l.startsWith('note: '))).toEqual([]);
        expect(compareOutputs(tc, out)).toBe('');
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });
  }
});
