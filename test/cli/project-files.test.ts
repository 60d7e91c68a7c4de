/**
 * writeProject (src/cli/project-files.ts): hashes recorded in nn2hls.json, user files kept,
 * edited generated files protected unless forced, stale generated files removed, and a run
 * interrupted while moving files in (its journal left behind) recognised as nn2hls's own work,
 * and files whose content does not change left alone.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeProject } from '../../src/cli/project-files.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const project = (a: string, extra: Record<string, string> = {}) =>
  new Map<string, string>([['nn2hls.json', '{"name":"p"}\n'], ['firmware/a.cpp', a], ['b.tcl', 'tcl\n'], ...Object.entries(extra)]);

describe('writeProject', () => {
  it('records hashes; removes generated files no longer generated; keeps the rest', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'nn2hls-pf-')), 'p');
    writeProject(dir, project('v1\n', { 'old.h': 'x\n' }));
    const meta = JSON.parse(readFileSync(join(dir, 'nn2hls.json'), 'utf8'));
    expect(meta.files).toEqual({ 'b.tcl': sha('tcl\n'), 'firmware/a.cpp': sha('v1\n'), 'old.h': sha('x\n') });
    writeFileSync(join(dir, 'mine.txt'), 'keep');
    const r = writeProject(dir, project('v2\n'));
    expect(existsSync(join(dir, 'old.h'))).toBe(false);
    expect(readFileSync(join(dir, 'firmware/a.cpp'), 'utf8')).toBe('v2\n');
    expect(r.kept).toEqual(['mine.txt']);
  });

  it('leaves files whose content does not change untouched, time stamps included (make rebuilds only what changed)', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'nn2hls-pf-')), 'p');
    writeProject(dir, project('v1\n'));
    const old = new Date(Date.now() - 3_600_000);
    for (const f of ['firmware/a.cpp', 'b.tcl']) utimesSync(join(dir, f), old, old);
    writeProject(dir, project('v2\n'));
    expect(readFileSync(join(dir, 'firmware/a.cpp'), 'utf8')).toBe('v2\n');
    expect(statSync(join(dir, 'firmware/a.cpp')).mtimeMs).toBeGreaterThan(old.getTime() + 1000);
    expect(Math.abs(statSync(join(dir, 'b.tcl')).mtimeMs - old.getTime())).toBeLessThan(2);
  });

  it('an edited generated file blocks the write (nothing changes) unless forced; deleting a stale edited file needs force too', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'nn2hls-pf-')), 'p');
    writeProject(dir, project('v1\n', { 'old.h': 'x\n' }));
    writeFileSync(join(dir, 'old.h'), 'edited\n');
    expect(() => writeProject(dir, project('v2\n'))).toThrow(/edited since nn2hls wrote them: old\.h/);
    expect(readFileSync(join(dir, 'firmware/a.cpp'), 'utf8')).toBe('v1\n');
    expect(writeProject(dir, project('v2\n'), { force: true }).overwritten).toEqual(['old.h']);
    expect(existsSync(join(dir, 'old.h'))).toBe(false);
  });

  it('a run interrupted while moving files in (journal left) is not mistaken for user edits', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'nn2hls-pf-')), 'p');
    writeProject(dir, project('v1\n'));
    // The interrupted run had moved its a.cpp (v2) in, but not yet nn2hls.json.
    writeFileSync(join(dir, 'firmware/a.cpp'), 'v2\n');
    writeFileSync(join(dir, '.nn2hls-pending.json'), JSON.stringify({ files: { 'firmware/a.cpp': sha('v2\n'), 'b.tcl': sha('tcl\n') } }));
    writeProject(dir, project('v3\n'));
    expect(readFileSync(join(dir, 'firmware/a.cpp'), 'utf8')).toBe('v3\n');
    expect(readdirSync(dir).sort()).toEqual(['b.tcl', 'firmware', 'nn2hls.json']);
    // Without the journal the same state is a user edit.
    writeFileSync(join(dir, 'firmware/a.cpp'), 'v4\n');
    expect(() => writeProject(dir, project('v5\n'))).toThrow(/firmware\/a\.cpp/);
  });

  it('a project from before hashes were recorded: changing generated files needs --force, identical ones do not', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nn2hls-pf-'));
    writeFileSync(join(dir, 'nn2hls.json'), '{"name":"p"}\n');
    writeFileSync(join(dir, 'b.tcl'), 'tcl\n');
    expect(() => writeProject(dir, project('v1\n'))).not.toThrow(); // a.cpp absent, b.tcl identical
    const legacy = mkdtempSync(join(tmpdir(), 'nn2hls-pf-'));
    writeFileSync(join(legacy, 'nn2hls.json'), '{"name":"p"}\n');
    writeFileSync(join(legacy, 'b.tcl'), 'older tcl\n');
    expect(() => writeProject(legacy, project('v1\n'))).toThrow(/recorded no file hashes.*b\.tcl.*--force/);
  });

  it('a real interruption mid-move (a path in the way) leaves a journal; the rerun completes without --force', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'nn2hls-pf-')), 'p');
    writeProject(dir, project('v1\n'));
    writeFileSync(join(dir, 'zz'), 'a file where v2 needs a directory');
    const v2 = project('v2\n', { 'zz/new.h': 'new\n' });
    expect(() => writeProject(dir, v2)).toThrow(/cannot put zz\/new\.h in place \(\w+\); the project is partly updated — remove what is in the way and rerun/);
    expect(readFileSync(join(dir, 'firmware/a.cpp'), 'utf8')).toBe('v2\n'); // moved before the failure
    expect(existsSync(join(dir, '.nn2hls-pending.json'))).toBe(true);
    rmSync(join(dir, 'zz'));
    writeProject(dir, v2);
    expect(readFileSync(join(dir, 'zz/new.h'), 'utf8')).toBe('new\n');
    expect(existsSync(join(dir, '.nn2hls-pending.json'))).toBe(false);
    expect(JSON.parse(readFileSync(join(dir, 'nn2hls.json'), 'utf8')).files['firmware/a.cpp']).toBe(sha('v2\n'));
  });
});
