/**
 * The workers a long `simulate` starts before its modules load (src/cli/simulate-workers.ts):
 * which flags it reads from the raw command line, how many it starts, and that workers the
 * action did not take are ended.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { flagValues, prestartCount, startEarly, takeEarly } from '../../src/cli/simulate-workers.js';

const dir = mkdtempSync(join(tmpdir(), 'nn2hls-early-'));
const big = join(dir, 'big.npy');
const small = join(dir, 'small.npy');
writeFileSync(big, new Uint8Array(5 << 20));
writeFileSync(small, new Uint8Array(1000));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('simulate workers started early', () => {
  it('reads --input and --threads in both spellings, up to --', () => {
    const args = ['m.onnx', '--input', 'a.npy', '--input=b.npy', '--threads=3', '--quiet', '--', '--input', 'c.npy'];
    expect(flagValues(args, '--input')).toEqual(['a.npy', 'b.npy']);
    expect(flagValues(args, '--threads')).toEqual(['3']);
    expect(flagValues(['--input'], '--input')).toEqual([]);
  });

  it('starts threads − 1 workers only for large inputs and an explicit or default count of 2+', () => {
    expect(prestartCount([big], '2')).toBe(1);
    expect(prestartCount([big], '3')).toBe(2);
    expect(prestartCount([small], '2')).toBe(0);
    expect(prestartCount([big], '1')).toBe(0);
    expect(prestartCount([big], 'x')).toBe(0);
    expect(prestartCount([join(dir, 'missing.npy')], '2')).toBe(0);
  });

  it('the action takes them; the ones it did not take are ended', async () => {
    const end = startEarly(['node', 'nn2hls', 'simulate', 'm.onnx', '--input', big, '--threads', '2']);
    const ws = takeEarly()!;
    expect(ws).toHaveLength(1);
    expect(takeEarly()).toBeUndefined();
    end(); // taken: left running for the action
    const exited = new Promise((r) => ws[0]!.once('exit', r));
    await ws[0]!.terminate();
    await exited;
    const end2 = startEarly(['node', 'nn2hls', 'simulate', 'm.onnx', '--input', big, '--threads=2']);
    end2(); // never taken (e.g. a usage error): ended, and takeEarly finds none
    expect(takeEarly()).toBeUndefined();
  }, 60000);
});
