/**
 * bin/nn2hls.js runs the esbuild-compiled dist/ when it is at least as new as src/, else tsx. The
 * test builds dist into a temp tree (never the worktree's dist/, which other test files' spawned
 * launchers may be reading), checks the launcher picks dist when fresh and tsx when stale, and that
 * both give the same `estimate --json` on the jet tagger (compiled code = source code).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/spawn-cli.js';

const JET = join(REPO, '../shared/models/onnx/three_layer_keras.onnx');
let root = '';

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [join(root, 'bin/nn2hls.js'), ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NN2HLS_MAIN: '', NN2HLS_TRACE_LAUNCH: '1', ...env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('launcher: compiled dist vs tsx', () => {
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'nn2hls-launch-'));
    mkdirSync(join(root, 'bin'));
    copyFileSync(join(REPO, 'bin/nn2hls.js'), join(root, 'bin/nn2hls.js'));
    copyFileSync(join(REPO, 'package.json'), join(root, 'package.json'));
    symlinkSync(join(REPO, 'src'), join(root, 'src'));
    symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));
    const b = spawnSync(process.execPath, [join(REPO, 'scripts/build-dist.mjs'), join(root, 'dist')], { encoding: 'utf8' });
    expect(b.status, b.stderr).toBe(0);
  }, 60_000);

  it('builds every module and the kernel headers', () => {
    expect(existsSync(join(root, 'dist/cli/main.js'))).toBe(true);
    expect(existsSync(join(root, 'dist/sim/sim-worker.js'))).toBe(true);
    expect(readFileSync(join(root, 'dist/backend-hls/kernels/nn_dense.h'), 'utf8')).toBe(readFileSync(join(REPO, 'src/backend-hls/kernels/nn_dense.h'), 'utf8'));
  });

  it('runs dist when fresh, tsx when src is newer, with the same version', () => {
    const fresh = run(['--version']);
    expect(fresh.err).toContain('nn2hls launch: dist');
    const version = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
    expect(fresh.out.trim()).toBe(version);
    const old = new Date('2001-01-01T00:00:00Z');
    utimesSync(join(root, 'dist/.stamp'), old, old);
    const stale = run(['--version']);
    expect(stale.err).toContain('nn2hls launch: tsx');
    expect(stale.out.trim()).toBe(version);
  }, 60_000);

  it.skipIf(!existsSync(JET))('estimate --json is identical from dist and from tsx (needs ../shared)', () => {
    const now = new Date();
    utimesSync(join(root, 'dist/.stamp'), now, now);
    const args = (f: string) => ['estimate', JET, '--part', 'xczu7ev', '--clock', '5ns', '--reuse', '4', '--json', join(root, f)];
    const a = run(args('a.json'));
    const b = run(args('b.json'), { NN2HLS_NO_DIST: '1' });
    expect(a.err).toContain('nn2hls launch: dist');
    expect(b.err).toContain('nn2hls launch: tsx');
    expect(a.code).toBe(0);
    expect(a.out.replace('a.json', 'b.json')).toBe(b.out);
    const ja = readFileSync(join(root, 'a.json'), 'utf8');
    expect(ja).toBe(readFileSync(join(root, 'b.json'), 'utf8'));
    expect((JSON.parse(ja) as { total: { dsp: number } }).total.dsp).toBeGreaterThan(0);
  }, 60_000);
});
