/**
 * The precompiled header of `nn2hls csim` builds. Parsing Xilinx's ap_types headers, nn2hls's
 * kernel library and the testbench's standard headers costs g++ about half a second of CPU per
 * translation unit on every build, which for small and mid-sized models is most of the build
 * (issue #18). csim therefore compiles them once into a g++ precompiled header (.gch) and
 * passes `-include <cache>/nn2hls_pch.h` to both units; g++ loads the .gch instead of parsing.
 *
 * The .gch lives in a per-user cache ($NN2HLS_CACHE_DIR, else $XDG_CACHE_HOME/nn2hls, else
 * ~/.cache/nn2hls), under a key hashing everything that decides its content and that g++
 * itself does not check: the compiler (`--version`, `-dumpmachine`, the command), the flags,
 * the ap_types directory and the project's kernel headers (copied into the entry, so the
 * entry never points into a project). g++ rejects a .gch built by another compiler or with
 * other code-generation flags on its own, but it never re-reads the headers a .gch was made
 * from, so the entry also records every header the build read (g++ -MD) with its SHA-256, and
 * an entry whose headers changed since (an ap_types update, a new libstdc++) is rebuilt. Files
 * are written under temporary names and renamed, so parallel csim runs never read half a file;
 * the least recently used entries beyond MAX_ENTRIES are deleted once unused for PRUNE_AFTER_MS
 * (an entry another csim run may be reading right now is never deleted).
 *
 * Whatever goes wrong here (unwritable cache, g++ refusing the header) only costs speed: the
 * build then proceeds without the header, exactly as before.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { precompiledIncludes } from '../backend-hls/testbench.js';

/** Bump when the header's text or the manifest's format changes. */
const FORMAT = 1;
/** Entries kept (each is ~80 MB: a .gch holds g++'s parsed state). */
const MAX_ENTRIES = 4;
/** Entries beyond MAX_ENTRIES are deleted only after this long unused. */
const PRUNE_AFTER_MS = 15 * 60 * 1000;

export interface Pch {
  /** Pass as `-include <header>`; g++ picks up `<header>.gch` beside it. */
  readonly header: string;
  /** True when this call compiled the header (a cold cache). */
  readonly built: boolean;
  readonly ms: number;
}

interface Manifest {
  format: number;
  deps: [path: string, sha256: string][];
}

export function cacheRoot(): string {
  const own = process.env['NN2HLS_CACHE_DIR'];
  if (own) return own;
  return join(process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'nn2hls');
}

const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * Hashes already computed in this process, by path, kept while the file's size, mtime, ctime and
 * inode stay the same: checking an entry hashes its ~250 headers (3.4 MB, ~60 ms), which a test
 * run building hundreds of projects in a few processes would otherwise repeat for every build.
 * Any write to a header changes its mtime and ctime (a rename its inode), so it is hashed again.
 */
const hashed = new Map<string, { stamp: string; sha: string }>();

function fileSha(p: string): string | null {
  try {
    const st = statSync(p, { bigint: true });
    const stamp = `${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.ino}`;
    const known = hashed.get(p);
    if (known?.stamp === stamp) return known.sha;
    const h = sha(readFileSync(p));
    hashed.set(p, { stamp, sha: h });
    return h;
  } catch {
    return null;
  }
}

/** The text of the precompiled header: the testbench's std headers, ap_types, the kernel library. */
export function pchSource(): string {
  return [
    '// Precompiled header of nn2hls csim builds (src/cli/csim-pch.ts); generated, do not edit.',
    ...precompiledIncludes(),
    '',
  ].join('\n');
}

/** Dependencies listed by g++ -MD (make syntax: `target: a b \` continued lines, `\ ` escapes a space). */
export function parseDeps(text: string): string[] {
  const body = text.replace(/\\\r?\n/g, ' ');
  const colon = body.search(/:\s/);
  const rest = colon >= 0 ? body.slice(colon + 1) : body;
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i]!;
    if (c === '\\' && rest[i + 1] === ' ') {
      cur += ' ';
      i++;
    } else if (/\s/.test(c)) {
      if (cur) out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (cur) out.push(cur);
  return out;
}

/** A temporary name no other writer uses (concurrent csim runs share one process under vitest). */
const tmpName = (path: string) => `${path}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`;

function writeAtomic(path: string, text: string | Buffer): void {
  const tmp = tmpName(path);
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

function compilerId(cxx: string): string {
  const v = spawnSync(cxx, ['--version'], { encoding: 'utf8' });
  const m = spawnSync(cxx, ['-dumpmachine'], { encoding: 'utf8' });
  return `${cxx}\n${v.stdout ?? ''}\n${m.stdout ?? ''}`;
}

function valid(entry: string): boolean {
  if (!existsSync(join(entry, 'nn2hls_pch.h.gch'))) return false;
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(join(entry, 'manifest.json'), 'utf8')) as Manifest;
  } catch {
    return false;
  }
  return m.format === FORMAT && m.deps.length > 0 && m.deps.every(([p, h]) => fileSha(p) === h);
}

function prune(root: string, keep: string): void {
  let entries: { dir: string; t: number }[];
  try {
    entries = readdirSync(root).map((d) => {
      const dir = join(root, d);
      let t = 0;
      try {
        t = statSync(join(dir, 'manifest.json')).mtimeMs;
      } catch {
        t = statSync(dir).mtimeMs;
      }
      return { dir, t };
    });
  } catch {
    return;
  }
  entries.sort((a, b) => b.t - a.t);
  const now = Date.now();
  for (const e of entries.slice(MAX_ENTRIES)) if (e.dir !== keep && now - e.t > PRUNE_AFTER_MS) rmSync(e.dir, { recursive: true, force: true });
}

function run(cxx: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolveP) => {
    const p = spawn(cxx, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', (e) => resolveP({ code: -1, out: e.message }));
    p.on('close', (code) => resolveP({ code, out }));
  });
}

/** Forget an entry (g++ crashed loading it): the next build compiles it again. */
export function discardPch(header: string): void {
  rmSync(join(dirname(header), 'manifest.json'), { force: true });
}

/**
 * The precompiled header for a build with `flags` (every flag both units share, without the
 * project's own -I) and the project's kernel headers in `kernelsDir`: found in the cache, or
 * compiled now. Null when it cannot be had (the build then parses the headers itself).
 */
export async function precompiledHeader(cxx: string, flags: readonly string[], inc: string, kernelsDir: string): Promise<Pch | null> {
  const t0 = performance.now();
  let kernels: [string, string][];
  try {
    kernels = readdirSync(kernelsDir).filter((f) => f.endsWith('.h')).sort().map((f) => [f, readFileSync(join(kernelsDir, f), 'utf8')]);
  } catch {
    return null;
  }
  const key = sha(JSON.stringify({ format: FORMAT, compiler: compilerId(cxx), flags, inc, kernels, source: pchSource() })).slice(0, 24);
  const root = join(cacheRoot(), 'pch');
  const entry = join(root, key);
  const header = join(entry, 'nn2hls_pch.h');
  if (valid(entry)) {
    // Mark it recently used (pruning keeps the newest).
    const now = new Date();
    try {
      utimesSync(join(entry, 'manifest.json'), now, now);
    } catch {
      /* read-only cache: still usable */
    }
    return { header, built: false, ms: performance.now() - t0 };
  }
  try {
    mkdirSync(join(entry, 'kernels'), { recursive: true });
    for (const [f, text] of kernels) writeAtomic(join(entry, 'kernels', f), text);
    writeAtomic(header, pchSource());
    const tmp = tmpName(join(entry, 'nn2hls_pch.h.gch'));
    const depFile = tmpName(join(entry, 'deps'));
    const r = await run(cxx, [...flags, '-x', 'c++-header', '-MD', '-MF', depFile, '-o', tmp, header]);
    if (r.code !== 0) {
      rmSync(tmp, { force: true });
      rmSync(depFile, { force: true });
      return null;
    }
    const deps = parseDeps(readFileSync(depFile, 'utf8'));
    rmSync(depFile, { force: true });
    const manifest: Manifest = { format: FORMAT, deps: deps.map((p) => [p, fileSha(p) ?? '']) };
    renameSync(tmp, join(entry, 'nn2hls_pch.h.gch'));
    writeAtomic(join(entry, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
    prune(root, entry);
    return { header, built: true, ms: performance.now() - t0 };
  } catch {
    return null;
  }
}
