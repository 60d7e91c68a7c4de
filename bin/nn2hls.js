#!/usr/bin/env node
// Launcher. Runs the compiled CLI in dist/ (built by `npm run build:dist`, which `npm install` runs
// through `prepare`) when it is at least as new as every file under src/; otherwise runs the
// TypeScript sources through tsx, so an edit to src/ is never shadowed by a stale build.
// Why: tsx transforms ~160 modules on every start, which took ~1 s of a ~1.1 s `--help`.
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));

// Plain path strings, not a URL per entry: this runs on every start.
function newestMtime(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function distIsFresh() {
  if (process.env.NN2HLS_NO_DIST) return false;
  try {
    return statSync(`${root}dist/.stamp`).mtimeMs >= newestMtime(`${root}src`);
  } catch {
    return false;
  }
}

let main;
const fresh = distIsFresh();
// For the launcher test: which code ran.
if (process.env.NN2HLS_TRACE_LAUNCH) process.stderr.write(`nn2hls launch: ${fresh ? 'dist' : 'tsx'}\n`);
if (fresh) {
  ({ main } = await import('../dist/cli/main.js'));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
process.exitCode = await main(process.argv);
