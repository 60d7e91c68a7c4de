/**
 * The precompiled header of csim builds (src/cli/csim-pch.ts): the make-syntax dependency
 * parser, and the cache — built once, found the second time, rebuilt when a header it was
 * made from changes (g++ itself never re-reads them) and a separate entry when the kernel
 * library or the flags differ; a compiler crash with a cached header falls back to building
 * without it. The cache tests need g++ and AP_TYPES_INCLUDE; they skip, saying
 * why, without them.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULTS, emitProject } from '../../src/backend-hls/index.js';
import { defaultRuns, writeProject } from '../../src/cli/compile.js';
import { runCsim } from '../../src/cli/csim.js';
import { parseDeps, pchSource, precompiledHeader } from '../../src/cli/csim-pch.js';
import { defaultConfig } from '../../src/ir/precision-config.js';
import { prepareFixed } from '../../src/passes/pipeline.js';
import { simulateFixed } from '../../src/sim/fixed/simulate.js';
import { caseGraph } from '../backend/cases.js';

const INC = process.env['AP_TYPES_INCLUDE'];
const HAVE = !!INC && existsSync(join(INC, 'ap_fixed.h')) && spawnSync('g++', ['--version']).status === 0;
if (!HAVE) console.log(`test/cli/csim-pch: cache tests skipped — they need g++ and AP_TYPES_INCLUDE (a directory holding ap_fixed.h; got ${INC ?? 'nothing'})`);

describe('parseDeps', () => {
  it('reads targets, continuation lines and escaped spaces', () => {
    const text = 'out.gch: /a/pch.h /usr/include/c++/12/cstdio \\\n /x/my\\ dir/ap_fixed.h \\\n  /k/nn2hls.h\n';
    expect(parseDeps(text)).toEqual(['/a/pch.h', '/usr/include/c++/12/cstdio', '/x/my dir/ap_fixed.h', '/k/nn2hls.h']);
  });
  it('the header includes the ap types and the kernel library', () => {
    expect(pchSource()).toContain('#include <ap_fixed.h>');
    expect(pchSource()).toContain('#include "kernels/nn2hls.h"');
  });
});

describe.skipIf(!HAVE)('precompiled header cache', () => {
  const work = HAVE ? mkdtempSync(join(tmpdir(), 'nn2hls-pch-')) : '';
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
    delete process.env['NN2HLS_CACHE_DIR'];
  });
  const flags = ['-std=c++14', '-O1', '-fno-exceptions', '-DNN2HLS_OWN_STREAM'];

  it('is built once, reused, rebuilt when a header changes, and keyed by kernels and flags', async () => {
    process.env['NN2HLS_CACHE_DIR'] = join(work, 'cache');
    // Private copies, so that the test can edit them.
    const inc = join(work, 'inc');
    cpSync(INC!, inc, { recursive: true });
    const kernels = join(work, 'kernels');
    cpSync(join(__dirname, '../../src/backend-hls/kernels'), kernels, { recursive: true });
    const f = [...flags, '-isystem', inc];

    const a = await precompiledHeader('g++', f, inc, kernels);
    expect(a?.built).toBe(true);
    expect(existsSync(`${a!.header}.gch`)).toBe(true);
    const manifest = JSON.parse(readFileSync(join(dirname(a!.header), 'manifest.json'), 'utf8')) as { deps: [string, string][] };
    expect(manifest.deps.map(([p]) => p)).toContain(join(inc, 'ap_fixed.h'));

    const b = await precompiledHeader('g++', f, inc, kernels);
    expect(b).toMatchObject({ header: a!.header, built: false });

    // A header the .gch was made from changes: same entry, rebuilt.
    appendFileSync(join(inc, 'ap_fixed.h'), '\n// edited\n');
    const c = await precompiledHeader('g++', f, inc, kernels);
    expect(c).toMatchObject({ header: a!.header, built: true });

    // Other kernels or other flags: another entry.
    appendFileSync(join(kernels, 'nn_common.h'), '\n// edited\n');
    const d = await precompiledHeader('g++', f, inc, kernels);
    expect(d?.built).toBe(true);
    expect(d!.header).not.toBe(a!.header);
    const e = await precompiledHeader('g++', [...f, '-DEXTRA=1'], inc, kernels);
    expect(e?.built).toBe(true);
    expect(new Set([a!.header, d!.header, e!.header]).size).toBe(3);
  }, 300_000);

  it('a g++ crash with a cached header discards the entry and builds the unit without it', async () => {
    process.env['NN2HLS_CACHE_DIR'] = join(work, 'cache3');
    // A compiler that dies (exit 4, an internal compiler error) whenever it is given the header.
    const cxx = join(work, 'crashing-gxx.sh');
    writeFileSync(cxx, '#!/bin/sh\nfor a in "$@"; do [ "$a" = "-include" ] && { echo "internal compiler error: Segmentation fault" >&2; exit 4; }; done\nexec g++ "$@"\n');
    chmodSync(cxx, 0o755);
    const g = prepareFixed(caseGraph('dense'), defaultConfig()).graph;
    const dir = join(work, 'dense');
    writeProject(dir, emitProject(g, { ...DEFAULTS, layers: {}, runs: defaultRuns(g, 4), simulate: simulateFixed }));
    const saved = process.env['CXX'];
    process.env['CXX'] = cxx;
    const log: string[] = [];
    try {
      const r = await runCsim(dir, { hlsInclude: INC!, log: (x) => log.push(x) });
      expect([r.pch, r.exact, r.samples]).toEqual(['built', 4, 4]);
    } finally {
      if (saved === undefined) delete process.env['CXX'];
      else process.env['CXX'] = saved;
    }
    expect(log.filter((l) => l.includes('discarded it')).length).toBe(2);
    // The entry is forgotten: its manifest is gone, so the next build compiles it again.
    const entries = readdirSync(join(work, 'cache3', 'pch'));
    expect(entries.length).toBe(1);
    expect(existsSync(join(work, 'cache3', 'pch', entries[0]!, 'manifest.json'))).toBe(false);
  }, 300_000);

  it('gives up (null) instead of failing when g++ rejects the header', async () => {
    process.env['NN2HLS_CACHE_DIR'] = join(work, 'cache2');
    const kernels = join(work, 'bad-kernels');
    cpSync(join(__dirname, '../../src/backend-hls/kernels'), kernels, { recursive: true });
    appendFileSync(join(kernels, 'nn2hls.h'), '\n#error broken on purpose\n');
    expect(await precompiledHeader('g++', [...flags, '-isystem', INC!], INC!, kernels)).toBeNull();
  }, 120_000);
});
