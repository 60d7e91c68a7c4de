/**
 * Dependencies point down: the application layer (cli, optimize, report, synth) → the
 * compiler's parts (frontend, passes, backend-hls, estimate, sim) → ir → util. Among the parts,
 * nobody but sim itself imports src/sim: the semantics the simulator shares with the rest
 * (ap_fixed arithmetic, the reference float kernels, index maps, recurrent activations, the
 * tensor type) live in src/ir/semantics, and a pass or the backend that needs to *run* the model
 * gets the simulator passed in by the application layer. This test scans every import (static,
 * `export … from`, dynamic `import()`, type-only included) of src/ and lists each one that
 * points the wrong way.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(__dirname, '../../src');

/** Layer of each top-level directory of src/ (higher may import lower, never the reverse). */
const LAYER: Readonly<Record<string, number>> = {
  util: 0,
  ir: 1,
  frontend: 2,
  passes: 2,
  'backend-hls': 2,
  estimate: 2,
  sim: 2,
  cli: 3,
  optimize: 3,
  report: 3,
  synth: 3,
};

/** Relative module specifiers of a TypeScript source (imports, re-exports, dynamic imports). */
export function importsOf(text: string): string[] {
  const out: string[] = [];
  const re = /(?:^|[\s;])(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;
  for (const m of text.matchAll(re)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec && spec.startsWith('.')) out.push(spec);
  }
  return out;
}

/** "file: import 'spec' (from → to)" for every import of `files` (path relative to src/ → text) that points the wrong way. */
export function wrongImports(files: ReadonlyMap<string, string>): string[] {
  const bad: string[] = [];
  for (const [file, text] of files) {
    const from = file.split('/')[0]!;
    for (const spec of importsOf(text)) {
      const target = normalize(join(dirname(file), spec)).split(sep).join('/');
      const to = target.split('/')[0]!;
      if (to === from) continue;
      const lf = LAYER[from];
      const lt = LAYER[to];
      let why: string | null = null;
      if (lf === undefined) why = `src/${from} has no layer in the dependency rule`;
      else if (lt === undefined) why = target.startsWith('..') ? 'leaves src/' : `src/${to} has no layer in the dependency rule`;
      else if (lt > lf) why = `${from} (layer ${lf}) must not import ${to} (layer ${lt})`;
      else if (to === 'sim' && lf === 2) why = `${from} must not import the simulator; take the semantics from src/ir/semantics or have the caller pass the simulator in`;
      if (why) bad.push(`src/${file}: import '${spec}' — ${why}`);
    }
  }
  return bad.sort();
}

function sources(dir: string, out = new Map<string, string>()): Map<string, string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (name.endsWith('.ts')) out.set(relative(SRC, p).split(sep).join('/'), readFileSync(p, 'utf8'));
  }
  return out;
}

describe('dependency direction', () => {
  it('the checker finds every kind of wrong import and accepts the allowed ones', () => {
    const files = new Map([
      ['passes/quantize.ts', "import { quantizeDouble } from '../sim/fixed/apfixed.js';\nimport { x } from '../ir/graph.js';"],
      ['backend-hls/testbench.ts', "import type { FixedProgram } from '../sim/fixed/executor.js';\nimport { p } from '../passes/pipeline.js';"],
      ['frontend/common/context.ts', "export { K } from '../../sim/float/executor.js';"],
      ['ir/graph.ts', "const m = await import('../passes/pipeline.js');\nimport { e } from '../util/tensor.js';"],
      ['util/tensor.ts', "import {\n  Graph,\n} from '../ir/graph.js';"],
      ['sim/compare.ts', "import { run } from '../cli/io.js';\nimport { g } from '../ir/graph.js';"],
      ['estimate/index.ts', "import { planProject } from '../backend-hls/index.js';"],
      ['cli/csim.ts', "import { FixedProgram } from '../sim/fixed/executor.js';\nimport 'node:fs';\nimport { x } from 'vitest';"],
      ['report/html.ts', "import { optimize } from '../optimize/index.js';"],
      ['newdir/a.ts', "import { g } from '../ir/graph.js';"],
    ]);
    const bad = wrongImports(files);
    expect(bad.map((b) => b.split(':')[0])).toEqual([
      'src/backend-hls/testbench.ts',
      'src/frontend/common/context.ts',
      'src/ir/graph.ts',
      'src/newdir/a.ts',
      'src/passes/quantize.ts',
      'src/sim/compare.ts',
      'src/util/tensor.ts',
    ]);
    expect(bad.find((b) => b.startsWith('src/ir/graph.ts'))).toContain("'../passes/pipeline.js' — ir (layer 1) must not import passes (layer 2)");
    expect(bad.find((b) => b.startsWith('src/passes/quantize.ts'))).toContain('must not import the simulator');
  });

  it('src/ has no import pointing the wrong way', () => {
    const files = sources(SRC);
    expect(files.size).toBeGreaterThan(100);
    // Every top-level directory is placed in the rule (a new one must be added on purpose).
    expect([...new Set([...files.keys()].map((f) => f.split('/')[0]!))].filter((d) => !d.endsWith('.ts') && LAYER[d] === undefined)).toEqual([]);
    expect(wrongImports(files)).toEqual([]);
  });
});
