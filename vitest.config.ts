import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import LongestFirst from './test/helpers/sequencer.ts';

// vitest's default for `run` is one worker fewer than there are cores: on CI's two cores that is a
// single test file at a time, leaving a core idle through the whole suite except while g++ runs.
// One worker per core; the g++ C-simulation files add their own processes on top of that.
const workers = Math.max(2, availableParallelism());

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Generous: two workers, their g++ processes and whatever else runs on a shared machine can
    // slow a test several times over (a 20 s accuracy check once took 83 s). Speed is measured
    // in benchmarks, never by a test's time limit; these limits only catch a hang.
    testTimeout: 240_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: workers,
    // A worker runs its files one after another in one process, importing the sources (tfjs,
    // onnxruntime, the simulator) once instead of once per file: without the g++ suites that
    // halves the suite's CPU (217 -> 131 CPU-s measured). Test files restore what they change
    // (environment variables, spies) themselves.
    isolate: false,
    // Builds the csim precompiled header once before any file (test/helpers/global-setup.ts).
    globalSetup: ['test/helpers/global-setup.ts'],
    // Longest files first (test/helpers/sequencer.ts).
    sequence: { sequencer: LongestFirst },
  },
});
