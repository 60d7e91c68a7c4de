/**
 * Writing an HLS project without losing the user's work. nn2hls.json records the SHA-256 of
 * every file nn2hls wrote ("files"); recompiling into the same directory then
 *  - keeps every file nn2hls did not write (synthesis results in myproject_prj/, csim's build/,
 *    the user's notes), because only generated paths are ever touched;
 *  - refuses to overwrite (or delete) a generated file whose content no longer matches its
 *    recorded hash — the user edited it — unless `force` is set;
 *  - stages every new file in a temporary sibling directory first (the slow part, where Ctrl-C
 *    leaves the project as it was), then moves the files in one by one with rename and writes
 *    nn2hls.json last. A journal (.nn2hls-pending.json, the new hashes) written before the moves
 *    lets a run interrupted during them be recognised as nn2hls's own half-finished work.
 * A directory that exists, is not empty and has no nn2hls.json is never written into.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { NnInputError } from '../util/tensor.js';

const MANIFEST = 'nn2hls.json';
const JOURNAL = '.nn2hls-pending.json';

function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** nn2hls.json with "files": the hash of every other generated file, in path order. */
export function withFileHashes(files: ReadonlyMap<string, string>): Map<string, string> {
  const summary = files.get(MANIFEST);
  if (summary === undefined) return new Map(files);
  const hashes: Record<string, string> = {};
  for (const rel of [...files.keys()].sort()) if (rel !== MANIFEST) hashes[rel] = sha256(files.get(rel)!);
  const o = { ...(JSON.parse(summary) as Record<string, unknown>), files: hashes };
  return new Map([...files].map(([k, v]) => [k, k === MANIFEST ? `${JSON.stringify(o, null, 2)}\n` : v]));
}

function readHashes(path: string): Record<string, string> | undefined {
  try {
    const o = JSON.parse(readFileSync(path, 'utf8')) as { files?: Record<string, string> };
    return o.files && typeof o.files === 'object' ? o.files : undefined;
  } catch {
    return undefined;
  }
}

export interface WriteResult {
  /** Files present before that nn2hls did not write and left alone (top-level entries). */
  kept: string[];
  /** Generated files the user had edited, overwritten because of `force`. */
  overwritten: string[];
}

/**
 * Writes `files` (relative path → text) as the project `dir`. With a "nn2hls.json" among them,
 * the file hashes are recorded in it (see withFileHashes).
 */
export function writeProject(dir: string, filesIn: ReadonlyMap<string, string>, opts: { force?: boolean } = {}): WriteResult {
  const files = withFileHashes(filesIn);
  const target = resolve(dir);
  const fresh = !existsSync(target) || (statSync(target).isDirectory() && readdirSync(target).length === 0);
  if (existsSync(target) && !statSync(target).isDirectory()) throw new NnInputError(`${dir}: exists and is not a directory; choose another -o`);
  if (!fresh && !existsSync(join(target, MANIFEST))) {
    throw new NnInputError(`${dir}: exists and is not an nn2hls project (no nn2hls.json); refusing to overwrite it — choose another -o or remove it`);
  }
  mkdirSync(dirname(target), { recursive: true });
  const tmp = join(dirname(target), `.${basename(target)}.nn2hls-tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  try {
    for (const [rel, text] of files) {
      const p = join(tmp, rel);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, text);
    }
    if (fresh) {
      rmSync(target, { recursive: true, force: true }); // an empty directory
      renameSync(tmp, target);
      return { kept: [], overwritten: [] };
    }
    // Which existing generated files are unedited: their hash is the recorded one, or the one an
    // interrupted run was writing, or they already hold exactly the new content.
    const old = readHashes(join(target, MANIFEST));
    const pending = readHashes(join(target, JOURNAL)) ?? {};
    const generated = new Set([...Object.keys(old ?? {}), ...files.keys()]);
    generated.delete(MANIFEST);
    const edited: string[] = [];
    // Files that already hold their new content stay as they are, time stamp included, so the
    // project Makefile rebuilds only what changed (its precompiled header depends on the kernels).
    const unchanged = new Set<string>();
    for (const rel of [...generated].sort()) {
      const p = join(target, rel);
      if (!existsSync(p) || !statSync(p).isFile()) continue;
      const h = sha256(readFileSync(p));
      const next = files.get(rel);
      if (next !== undefined && h === sha256(next)) {
        unchanged.add(rel);
        continue;
      }
      if (old === undefined) {
        // A project from before hashes were recorded: any generated path that would change counts.
        if (next !== undefined) edited.push(rel);
        continue;
      }
      if (old[rel] !== h && pending[rel] !== h && (old[rel] !== undefined || next !== undefined)) edited.push(rel);
    }
    if (edited.length && !opts.force) {
      const why = old === undefined ? 'the project was made by an nn2hls that recorded no file hashes, so your edits cannot be told apart; these generated files would change' : 'these generated files were edited since nn2hls wrote them';
      throw new NnInputError(
        `${dir}: ${why}: ${edited.join(', ')}. Keep your changes elsewhere, or rerun with --force to overwrite them (files nn2hls did not write are kept either way)`,
      );
    }
    const journal = JSON.parse(files.get(MANIFEST) ?? '{}') as { files?: Record<string, string> };
    writeFileSync(join(target, JOURNAL), JSON.stringify({ files: journal.files ?? {} }));
    for (const rel of [...files.keys()].sort()) {
      if (rel === MANIFEST || unchanged.has(rel)) continue;
      try {
        mkdirSync(dirname(join(target, rel)), { recursive: true });
        renameSync(join(tmp, rel), join(target, rel));
      } catch (e) {
        throw new NnInputError(
          `${dir}: cannot put ${rel} in place (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); the project is partly updated — ` +
            'remove what is in the way and rerun the same command, which completes the update',
        );
      }
    }
    // Generated before, not any more (and unedited, or forced): remove.
    for (const rel of Object.keys(old ?? {})) {
      if (!files.has(rel) && existsSync(join(target, rel))) unlinkSync(join(target, rel));
    }
    if (files.has(MANIFEST)) renameSync(join(tmp, MANIFEST), join(target, MANIFEST));
    unlinkSync(join(target, JOURNAL));
    const top = new Set([...files.keys(), ...Object.keys(old ?? {})].map((r) => r.split('/')[0]!));
    return { kept: readdirSync(target).filter((e) => !top.has(e)).sort(), overwritten: edited };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
