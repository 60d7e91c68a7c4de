/**
 * Runs the ONNX project's PyTorch-export suites (Debian libonnx-testdata: `pytorch-converted/`,
 * torch.nn modules, without the 3-D variants; `pytorch-operator/`, tensor operators) through
 * the CLI as a user would: `nn2hls run model.onnx --input input_0.pb ... --out DIR`, every graph
 * input (parameters included) given as the test's own .pb file, then the written .npy outputs
 * compared with the stored expectations (rtol 1e-4, atol 1e-5). All tests run in-process through
 * the CLI's exported main(); a small sample also spawns the real launcher bin/nn2hls.js.
 * Tests that do not pass yet are listed in EXPECTED_FAIL with the reason: such a test must still
 * fail (so the list shrinks as support grows) and every other test must pass.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readTensorProtoFile } from '../../src/frontend/onnx/tensor-proto.js';
import { readNpyFile } from '../../src/util/npy.js';
import { toFloat32 } from '../../src/util/tensor.js';
import { captureCli } from '../helpers/cli.js';
import { REPO, runBin } from '../helpers/spawn-cli.js';

const DATA = '/usr/share/libonnx-testdata/data';

/**
 * Tests that still fail through the CLI, with why. Each must keep failing until it is removed.
 * Before issue #17: pytorch-converted 55/64, pytorch-operator 15/35 (Neg, Abs, Exp, Sqrt, Pow,
 * Reduce*, Split, Slice/Gather/Tile on computed tensors, Embedding, InstanceNormalization, Sum,
 * opset-6 axis broadcasting, per-channel PRelu). Now every test passes, so the list is empty.
 */
const EXPECTED_FAIL: Record<string, string> = {};

interface Case {
  suite: string;
  name: string;
  dir: string;
}

function collect(suite: string, keep: (name: string) => boolean): Case[] {
  const root = join(DATA, suite);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .sort()
    .filter(keep)
    .map((name) => ({ suite, name, dir: join(root, name) }))
    .filter((c) => existsSync(join(c.dir, 'model.onnx')) && existsSync(join(c.dir, 'test_data_set_0')));
}

const cases = [
  ...collect('pytorch-converted', (n) => !/3d/i.test(n)),
  ...collect('pytorch-operator', () => true),
];

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

const { io, cli } = captureCli();
const tally = new Map<string, { pass: number; total: number }>();

describe.skipIf(cases.length === 0)('PyTorch-export suites through `nn2hls run`', () => {
  afterAll(() => {
    const lines = [...tally].map(([s, t]) => `  ${s.padEnd(18)} ${t.pass}/${t.total}`);
    console.log(`PyTorch suites passing through the CLI:\n${lines.join('\n')}`);
  });

  for (const tc of cases) {
    it(`${tc.suite}/${tc.name}`, async () => {
      const out = mkdtempSync(join(tmpdir(), 'nn2hls-pt-'));
      try {
        const args = ['run', join(tc.dir, 'model.onnx'), ...files(tc.dir, 'input_').flatMap((f) => ['--input', f]), '--out', out];
        const code = await cli(...args);
        const problem = code !== 0 ? `exit ${code}: ${io.err.trim()}` : compareOutputs(tc, out);
        const t = tally.get(tc.suite) ?? { pass: 0, total: 0 };
        t.total++;
        if (!problem) t.pass++;
        tally.set(tc.suite, t);
        const reason = EXPECTED_FAIL[tc.name];
        if (reason === undefined) expect(problem, 'CLI run').toBe('');
        else expect(problem, `listed as failing (${reason}) but passes now: remove it from EXPECTED_FAIL`).not.toBe('');
        if (code === 2) expect.fail(`internal error instead of a clear message: ${io.err}`);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });
  }
});

/** The real launcher on a sample: one module test and one operator test with parameter inputs. */
const SAMPLE = ['test_Linear', 'test_operator_params'].map((n) => cases.find((c) => c.name === n)).filter((c): c is Case => !!c);

describe.skipIf(SAMPLE.length === 0)('PyTorch-export suites through bin/nn2hls.js (sample)', () => {
  for (const tc of SAMPLE) {
    it.skipIf(EXPECTED_FAIL[tc.name] !== undefined)(`spawned: ${tc.suite}/${tc.name}`, () => {
      const out = mkdtempSync(join(tmpdir(), 'nn2hls-pt-bin-'));
      try {
        const r = runBin(['run', join(tc.dir, 'model.onnx'), ...files(tc.dir, 'input_').flatMap((f) => ['--input', f]), '--out', out], REPO);
        expect(r.err).toBe('');
        expect(r.code).toBe(0);
        expect(compareOutputs(tc, out)).toBe('');
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });
  }
});
