/**
 * The emitted project's Makefile (backend-hls/scripts.ts) builds the C simulation through a
 * precompiled header in build/: built once, loaded by both units (g++ really reads the .gch,
 * not the header text), rebuilt when the flags change, skipped with NO_PCH=1, and a compiler
 * that refuses the header or crashes loading it only costs speed. Needs make, g++ and
 * AP_TYPES_INCLUDE; skips, saying why, without them.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULTS, emitProject } from '../../src/backend-hls/index.js';
import { defaultRuns, writeProject } from '../../src/cli/compile.js';
import { defaultConfig } from '../../src/ir/precision-config.js';
import { prepareFixed } from '../../src/passes/pipeline.js';
import { simulateFixed } from '../../src/sim/fixed/simulate.js';
import { caseGraph } from '../backend/cases.js';

// Absolute: make runs in the project directory (a relative ../shared/… path would point elsewhere there).
const INC = process.env['AP_TYPES_INCLUDE'] ? resolve(process.env['AP_TYPES_INCLUDE']) : undefined;
const tool = (t: string) => spawnSync(t, ['--version']).status === 0;
const HAVE = !!INC && existsSync(join(INC, 'ap_fixed.h')) && tool('g++') && tool('make');
if (!HAVE) console.log(`test/cli/makefile-pch: skipped — needs make, g++ and AP_TYPES_INCLUDE (a directory holding ap_fixed.h; got ${INC ?? 'nothing'})`);

describe.skipIf(!HAVE)('project Makefile: precompiled header', () => {
  const work = HAVE ? mkdtempSync(join(tmpdir(), 'nn2hls-mkpch-')) : '';
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });
  const project = (name: string) => {
    const g = prepareFixed(caseGraph('dense'), defaultConfig()).graph;
    const dir = join(work, name);
    writeProject(dir, emitProject(g, { ...DEFAULTS, layers: {}, runs: defaultRuns(g, 4), simulate: simulateFixed }));
    return dir;
  };
  const make = (dir: string, args: string[]) => {
    const r = spawnSync('make', ['-j2', ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, AP_TYPES_INCLUDE: INC } });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  };
  const lines = (out: string, what: string) => out.split('\n').filter((l) => l.includes(what));
  const USE = '-Winvalid-pch -include build/nn2hls_pch.h';
  const touchLater = (f: string) => {
    const t = new Date(Date.now() + 2000);
    utimesSync(f, t, t);
  };

  it('builds the header once, compiles both units with it, and g++ loads the .gch', () => {
    const dir = project('p1');
    const a = make(dir, ['csim']);
    expect(a.status, a.out).toBe(0);
    expect(a.out).toContain('bit-exact: 4/4 samples');
    expect(lines(a.out, '-x c++-header').length).toBe(1);
    expect(existsSync(join(dir, 'build/nn2hls_pch.h.gch'))).toBe(true);
    const units = lines(a.out, ' -c -o build/');
    expect(units.length).toBe(2);
    for (const u of units) expect(u).toContain(USE);
    // The dependency file lists ap_types (rebuilt when they change).
    expect(readFileSync(join(dir, 'build/nn2hls_pch.d'), 'utf8')).toContain('ap_fixed.h');

    // Nothing changed: nothing is compiled.
    const b = make(dir, ['build/myproject_csim']);
    expect(b.status, b.out).toBe(0);
    expect(lines(b.out, 'g++').length).toBe(0);

    // The header's text becomes an #error (its time kept, so make does not rebuild the .gch):
    // the testbench still compiles, so g++ read the .gch, not the text.
    const h = join(dir, 'build/nn2hls_pch.h');
    const text = readFileSync(h, 'utf8');
    const st = statSync(h);
    writeFileSync(h, '#error the precompiled header was not used\n');
    utimesSync(h, st.atime, st.mtime);
    touchLater(join(dir, 'tb/myproject_test.cpp'));
    const c = make(dir, ['build/myproject_csim']);
    expect(c.status, c.out).toBe(0);
    expect(lines(c.out, ' -c -o build/').map((l) => l.includes('tb/myproject_test.cpp'))).toEqual([true]);
    expect(c.out).not.toContain('-x c++-header');
    writeFileSync(h, text);
    utimesSync(h, st.atime, st.mtime);

    // Other flags: the header is rebuilt with them, and both units use it.
    const d = make(dir, ['CXXFLAGS=-O2', 'build/myproject_csim']);
    expect(d.status, d.out).toBe(0);
    expect(lines(d.out, '-x c++-header').length).toBe(1);
    expect(lines(d.out, '-x c++-header')[0]).toContain('-O2');
    expect(lines(d.out, ' -c -o build/').filter((l) => l.includes(USE) && l.includes('-O2')).length).toBe(2);

    // NO_PCH=1: the units are compiled without it.
    touchLater(join(dir, 'tb/myproject_test.cpp'));
    const e = make(dir, ['CXXFLAGS=-O2', 'NO_PCH=1', 'csim']);
    expect(e.status, e.out).toBe(0);
    expect(lines(e.out, ' -c -o build/').length).toBe(1);
    expect(e.out).not.toContain('-include');
    expect(e.out).toContain('bit-exact: 4/4 samples');

    // A compile error of the code itself (exit 1) stops the build; it is not retried.
    writeFileSync(join(dir, 'tb/myproject_test.cpp'), 'int main() { return undefined_name; }\n');
    const f = make(dir, ['CXXFLAGS=-O2', 'build/myproject_test.o']);
    expect(f.status).not.toBe(0);
    expect(f.out).toContain('undefined_name');
    expect(f.out).not.toContain('without it');
  }, 300_000);

  it('a compiler that refuses the header, or crashes loading it, builds without it', () => {
    // Refuses: fails whenever asked for a header.
    const refusing = join(work, 'refusing-gxx.sh');
    writeFileSync(refusing, '#!/bin/sh\nfor a in "$@"; do [ "$a" = "c++-header" ] && { echo "refused" >&2; exit 1; }; done\nexec g++ "$@"\n');
    chmodSync(refusing, 0o755);
    const dir = project('p2');
    const a = make(dir, [`CXX=${refusing}`, 'csim']);
    expect(a.status, a.out).toBe(0);
    expect(a.out).toContain('did not build the precompiled header; compiling without it');
    expect(existsSync(join(dir, 'build/nn2hls_pch.h.gch'))).toBe(false);
    expect(a.out).toContain('bit-exact: 4/4 samples');

    // Crashes (exit 4, an internal compiler error) whenever given the header: each unit is
    // compiled again without it, and the stamp is gone, so the next make rebuilds the header.
    const crashing = join(work, 'crashing-gxx.sh');
    writeFileSync(crashing, '#!/bin/sh\nfor a in "$@"; do [ "$a" = "-include" ] && { echo "internal compiler error: Segmentation fault" >&2; exit 4; }; done\nexec g++ "$@"\n');
    chmodSync(crashing, 0o755);
    const b = make(dir, [`CXX=${crashing}`, 'csim']);
    expect(b.status, b.out).toBe(0);
    expect(lines(b.out, 'crashed with the precompiled header').length).toBe(2);
    expect(existsSync(join(dir, 'build/nn2hls_pch.stamp'))).toBe(false);
    expect(b.out).toContain('bit-exact: 4/4 samples');
  }, 300_000);
});
