/**
 * The order in which vitest starts the test files: the longest first, so that on two cores the
 * run does not end with one long file (a g++ C-simulation suite) running alone after
 * everything else has finished. vitest orders by the durations of the previous run when it has
 * them (node_modules/.vite), but a clean clone (CI) has none and falls back to file size, which
 * says little: a 6 kB file compiling a hundred projects with g++ takes minutes, a 30 kB file of
 * parser tests a second. A previous run also may have had other settings (the csim suites skip
 * in a second without AP_TYPES_INCLUDE), so the order here never depends on one: a file's
 * expected cost is its CPU-seconds in EXPECTED_CPU_S (measured on a whole-suite run with and
 * without AP_TYPES_INCLUDE; only the order matters, so these need not be exact or current), or
 * else a guess from its text (does it build with g++? then it is slow when the ap types are
 * there) and size.
 */
import { readFileSync, statSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * CPU-seconds (user + sys, with their child processes) of the slowest files, with
 * AP_TYPES_INCLUDE set (csim) and without (plain); measured 2026-11-30 on main c04f9d3, where the
 * whole suite took 1,226 CPU-s with it, 87 % of them in g++.
 */
export const EXPECTED_CPU_S: Readonly<Record<string, { csim: number; plain: number }>> = {
  'test/backend/csim.test.ts': { csim: 447, plain: 1 },
  'test/backend/recurrent-csim.test.ts': { csim: 315, plain: 2 },
  'test/onnx/attention-fixtures.test.ts': { csim: 67, plain: 8 },
  'test/backend/qonnx-csim.test.ts': { csim: 58, plain: 2 },
  'test/backend/unet-stream.test.ts': { csim: 41, plain: 9 },
  'test/backend/fifo-depth-csim.test.ts': { csim: 50, plain: 1 },
  'test/onnx/torch-rnn.test.ts': { csim: 40, plain: 5 },
  'test/cli/csim-pch.test.ts': { csim: 24, plain: 1 },
  'test/onnx/node-tests-cli.test.ts': { csim: 23, plain: 23 },
  'test/cli/makefile-pch.test.ts': { csim: 21, plain: 1 },
  'test/cli/first-hour-broken.test.ts': { csim: 15, plain: 2 },
  'test/optimize/optimize.test.ts': { csim: 13, plain: 8 },
  'test/tf/tf-csim.test.ts': { csim: 13, plain: 2 },
  'test/cli/keras.test.ts': { csim: 11, plain: 2 },
  'test/onnx/dsconv-fixture.test.ts': { csim: 10, plain: 2 },
  'test/tf/tf-loops.test.ts': { csim: 9, plain: 2 },
  'test/report/report.test.ts': { csim: 6, plain: 6 },
  'test/cli/first-hour.test.ts': { csim: 6, plain: 4 },
  'test/onnx/pytorch-suites.test.ts': { csim: 5, plain: 5 },
  'test/cli/launcher.test.ts': { csim: 4, plain: 4 },
  'test/sim/fast-paths.test.ts': { csim: 4, plain: 4 },
};

/** A file that builds C++ (g++ or make) is a C-simulation suite: slow when the ap types are present. */
const BUILDS = /\brunCsim\(|spawnSync\('(g\+\+|make)'|\bexecFileSync\('(g\+\+|make)'/;

export function expectedCost(root: string, file: string, csim: boolean): number {
  const rel = relative(root, file).split('\\').join('/');
  const known = EXPECTED_CPU_S[rel];
  if (known) return csim ? known.csim : known.plain;
  let text = '';
  let size = 0;
  try {
    text = readFileSync(file, 'utf8');
    size = statSync(file).size;
  } catch {
    return 0;
  }
  // ~1 s per 10 kB of test code; a C-simulation suite ten seconds more.
  return size / 10_000 + (csim && BUILDS.test(text) ? 10 : 0);
}

export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const csim = !!process.env['AP_TYPES_INCLUDE'];
    const cost = new Map(files.map((f) => [f, expectedCost(f.project.config.root, f.moduleId, csim)]));
    return [...files].sort((a, b) => cost.get(b)! - cost.get(a)! || (a.moduleId < b.moduleId ? -1 : 1));
  }
}
