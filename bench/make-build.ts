/**
 * `npm run bench:make`: g++ CPU time of the emitted project's own Makefile (what a user runs
 * outside nn2hls: `make -j2 csim`) for the LeNet-5 and CIFAR-shaped examples, io parallel with
 * the default flags, without (`NO_PCH=1`, the build before the Makefile had a precompiled
 * header) and with its precompiled header in build/. Two builds each: the first from a clean
 * build/ (with the header, that also compiles the header), and the rebuild after touching the
 * testbench. CPU is user+sys of every process make waited for (bash `times`), steadier than
 * wall time on a shared machine; the testbench's bit-exact line is checked after each build.
 * Needs make, g++ and the ap_types headers (--hls-include, $XILINX_HLS or $AP_TYPES_INCLUDE).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULTS } from '../src/backend-hls/index.js';
import { compileProject } from '../src/cli/compile.js';
import { findHlsInclude } from '../src/cli/csim.js';
import { defaultConfig } from '../src/ir/precision-config.js';

const ROOT = join(import.meta.dirname, '..');

interface Run {
  cpu: number;
  wall: number;
  exact: string;
}

/** Runs make in `dir` and returns the CPU seconds of its children (bash `times`, second line). */
function make(dir: string, args: string[], inc: string): Run {
  const t0 = performance.now();
  const r = spawnSync('bash', ['-c', `make -j2 ${args.join(' ')} >make.log 2>&1; rc=$?; times; exit $rc`], {
    cwd: dir, encoding: 'utf8', env: { ...process.env, AP_TYPES_INCLUDE: inc },
  });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`make ${args.join(' ')} failed in ${dir} (see ${join(dir, 'make.log')})`);
  // `times` prints the shell's own user/sys, then its children's: "0m1.234s 0m0.100s".
  const child = r.stdout.trim().split('\n')[1] ?? '';
  const secs = [...child.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  const exe = spawnSync(join(dir, 'build', 'myproject_csim'), { cwd: dir, encoding: 'utf8' });
  const exact = /bit-exact: (\d+\/\d+)/.exec(exe.stdout)?.[1] ?? 'failed';
  return { cpu: secs.reduce((a, b) => a + b, 0), wall, exact };
}

function main(): void {
  let inc: string;
  try {
    inc = findHlsInclude(process.argv[2]);
  } catch (e) {
    console.log(`bench:make skipped: ${(e as Error).message.split('\n')[0]}`);
    return;
  }
  if (spawnSync('make', ['--version']).status !== 0) {
    console.log('bench:make skipped: no make');
    return;
  }
  const work = mkdtempSync(join(tmpdir(), 'nn2hls-bench-make-'));
  console.log('g++ CPU seconds (user+sys of every process make ran) of `make -j2 build/myproject_csim`, io parallel, default flags');
  console.log(`${'model'.padEnd(14)} ${'build'.padEnd(20)} ${'no PCH'.padStart(8)} ${'PCH'.padStart(8)} ${'speed-up'.padStart(9)}  bit-exact`);
  try {
    for (const name of ['lenet5_mnist', 'cnn32_mnist']) {
      const model = join(ROOT, 'examples', `${name}.onnx`);
      if (!existsSync(model)) {
        console.log(`${name}: skipped, ${model} is absent`);
        continue;
      }
      const dir = join(work, name);
      compileProject({ model, out: dir, precision: defaultConfig(), options: { ...DEFAULTS, layers: {} } });
      const tb = join(dir, 'tb', 'myproject_test.cpp');
      const touch = () => {
        const t = new Date(Date.now() + 1000);
        utimesSync(tb, t, t);
      };
      const runs: Record<'first' | 'rebuild', Run[]> = { first: [], rebuild: [] };
      for (const pch of [false, true]) {
        const args = ['build/myproject_csim', ...(pch ? [] : ['NO_PCH=1'])];
        rmSync(join(dir, 'build'), { recursive: true, force: true });
        runs.first.push(make(dir, args, inc));
        touch();
        runs.rebuild.push(make(dir, args, inc));
      }
      for (const k of ['first', 'rebuild'] as const) {
        const [a, b] = runs[k] as [Run, Run];
        const what = k === 'first' ? 'first build' : 'rebuild (tb touched)';
        console.log(`${name.padEnd(14)} ${what.padEnd(20)} ${a.cpu.toFixed(2).padStart(8)} ${b.cpu.toFixed(2).padStart(8)} ${`${(a.cpu / b.cpu).toFixed(2)}x`.padStart(9)}  ${a.exact}, ${b.exact}`);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main();
