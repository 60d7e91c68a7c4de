/**
 * Compiles src/ to dist/ one file per file (esbuild transpile, no bundling, no type check — `npm run
 * typecheck` does that; only the simulation worker is also bundled into one file, see below),
 * copies the non-TypeScript files the code reads at run time (our C++ kernel headers), and
 * writes dist/.stamp last. bin/nn2hls.js runs dist when the stamp is newer than every file under
 * src/, so the CLI starts without tsx's on-the-fly transform (~1 s on a loaded machine);
 * a stale or missing dist silently falls back to tsx. dist/ mirrors src/ at the same depth, so
 * `new URL('../../package.json', import.meta.url)` and the kernel-header lookup resolve unchanged.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
// An output directory may be given (the launcher test builds into a temp tree); default dist/.
const out = process.argv[2] ? resolve(process.argv[2]) : join(root, 'dist');

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

// esbuild comes with the dev dependencies; an install without them (--omit=dev) keeps running from
// tsx-less sources impossible anyway, so say so and leave dist absent rather than fail the install.
let build;
try {
  ({ build } = await import('esbuild'));
} catch {
  console.warn('nn2hls: esbuild not installed (dev dependency); dist/ not built, bin/nn2hls.js will use tsx');
  process.exit(0);
}
rmSync(out, { recursive: true, force: true });
const files = walk(src).sort();
const ts = files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
await build({
  entryPoints: ts,
  outdir: out,
  outbase: src,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  bundle: false,
  logLevel: 'warning',
});
// The simulation worker as one file: each worker thread loads its ~60 modules at start-up, and
// one bundled module starts ~25 ms sooner. Safe only because nothing the worker imports uses
// import.meta (paths) and a worker shares no module state with the main thread anyway.
await build({
  entryPoints: [join(src, 'sim/sim-worker.ts')],
  outfile: join(out, 'sim/sim-worker.js'),
  format: 'esm',
  platform: 'node',
  target: 'node20',
  bundle: true,
  packages: 'external',
  logLevel: 'warning',
  allowOverwrite: true,
});
if (readFileSync(join(out, 'sim/sim-worker.js'), 'utf8').includes('import.meta')) {
  throw new Error('build-dist: a module the simulation worker imports uses import.meta, which bundling would point at dist/sim/; stop bundling the worker or resolve the path another way');
}
for (const f of files) {
  if (f.endsWith('.ts') || f.endsWith('.md')) continue;
  const dest = join(out, relative(src, f));
  mkdirSync(dirname(dest), { recursive: true });
  copyFileSync(f, dest);
}
writeFileSync(join(out, '.stamp'), `${ts.length} files\n`);
