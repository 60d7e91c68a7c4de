/**
 * Runs the nn2hls CLI in-process for tests, capturing what it writes to stdout and stderr
 * (reset before every test) so assertions can read the user-facing text and exit code.
 */
import { afterEach, beforeEach, vi } from 'vitest';
import { main } from '../../src/cli/main.js';

export function captureCli(): { io: { out: string; err: string }; cli: (...args: string[]) => Promise<number> } {
  const io = { out: '', err: '' };
  beforeEach(() => {
    io.out = '';
    io.err = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((io.out += String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((io.err += String(s)), true));
  });
  afterEach(() => vi.restoreAllMocks());
  return { io, cli: (...args) => main(['node', 'nn2hls', ...args]) };
}
