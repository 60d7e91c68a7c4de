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

/** CPU-seconds of the slowest files (user + sys, including their g++ children). */
export const EXPECTED_CPU_S: Readonly<Record<string, { csim: number; plain: number }>> = {
  'test/backend/csim.test.ts': { csim: 377, plain: 1 },
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
  // ~1 s per 10 kB of test code; a C-simulation suite at least half a minute.
  return size / 10_000 + (csim && BUILDS.test(text) ? 30 : 0);
}

export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const csim = !!process.env['AP_TYPES_INCLUDE'];
    const cost = new Map(files.map((f) => [f, expectedCost(f.project.config.root, f.moduleId, csim)]));
    return [...files].sort((a, b) => cost.get(b)! - cost.get(a)! || (a.moduleId < b.moduleId ? -1 : 1));
  }
}
