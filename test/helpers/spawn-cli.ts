/**
 * Runs the real `bin/nn2hls.js` launcher (tsx under node) in a child process with a chosen cwd,
 * for the CLI behaviour that only shows up there: relative paths, exit codes, stderr text.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const REPO = join(__dirname, '../..');
export const BIN = join(REPO, 'bin/nn2hls.js');

export interface Spawned {
  code: number | null;
  out: string;
  err: string;
}

export function runBin(args: string[], cwd: string, env: Record<string, string> = {}): Spawned {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...env, NN2HLS_MAIN: '' },
    maxBuffer: 1 << 26,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
