/**
 * The CLI loads only the module of the command it runs (src/cli/main.ts): every command's
 * `--help` must still list all its options, exactly as the help of the fully loaded program
 * shows it, and the top-level help must still list every command.
 */
import { describe, expect, it } from 'vitest';
import { buildProgram, commandName, COMMANDS } from '../../src/cli/main.js';
import { captureCli } from '../helpers/cli.js';

const { io, cli } = captureCli();

/** Flags every command's help lists (from the help before commands loaded lazily). */
const FLAGS: Record<string, string[]> = {
  inspect: ['--json', '--inputs', '--outputs', '--weights', '--dump-after'],
  run: ['--input', '--out', '--inputs', '--outputs', '--weights'],
  simulate: ['--input', '--labels', '--json', '--save-outputs', '--threads', '--quiet', '--report', '--config', '--precision', '--calib', '--bits', '--weight-bits', '--calib-method', '--margin', '--percentile', '--no-bias-correction', '--write-config', '--inputs', '--outputs', '--weights', '--dump-after'],
  compile: ['--out', '--part', '--clock', '--io', '--strategy', '--reuse', '--name', '--input', '--samples', '--force', '--report', '--dump-plan', '--fit', '--no-fit', '--max-latency', '--max-power', '--min-throughput', '--max-util', '--config', '--precision', '--calib', '--bits', '--weight-bits', '--calib-method', '--margin', '--percentile', '--no-bias-correction', '--write-config', '--inputs', '--outputs', '--weights', '--dump-after'],
  csim: ['--hls-include', '--input'],
  estimate: ['--part', '--clock', '--tool', '--io', '--strategy', '--reuse', '--toggle', '--max-power', '--max-latency', '--min-throughput', '--max-util', '--fit', '--no-fit', '--json', '--calibration', '--config', '--precision', '--calib', '--bits', '--weight-bits', '--calib-method', '--margin', '--percentile', '--no-bias-correction', '--write-config', '--inputs', '--outputs', '--weights'],
  parts: [],
  report: ['--json', '--calibration'],
  calibrate: ['--out'],
  sweep: ['--grid', '--out', '--hls', '--time', '--mem', '--partition', '--compile-args'],
  optimize: ['--input', '--labels', '--calib', '--part', '--clock', '--tool', '--toggle', '--io', '--strategy', '--reuse', '--max-accuracy-drop', '--objective', '--max-latency', '--max-power', '--min-throughput', '--max-util', '--budget', '--seed', '--holdout', '--config-out', '--json', '--report', '--grid', '--csv', '--out', '--quiet', '--inputs', '--outputs', '--weights'],
  demo: [],
};

describe('lazily loaded commands', () => {
  it('the command table names every command once, in the help order', async () => {
    const names = COMMANDS.flatMap((c) => c.names);
    expect(names).toEqual(Object.keys(FLAGS));
    const full = await buildProgram();
    expect(full.commands.map((c) => c.name())).toEqual(names);
  });

  it('finds the command after the program flags', () => {
    expect(commandName(['node', 'nn2hls', '--verbose', 'simulate', 'm.onnx', '--input', 'x.npy'])).toBe('simulate');
    expect(commandName(['node', 'nn2hls', '--help'])).toBeUndefined();
  });

  it('a program built for one command registers only that module’s commands', async () => {
    const p = await buildProgram(['node', 'nn2hls', 'estimate', 'm.onnx']);
    expect(p.commands.map((c) => c.name())).toEqual(['estimate', 'parts']);
  });

  for (const [name, flags] of Object.entries(FLAGS)) {
    it(`${name} --help lists all its options, as the full program's help does`, async () => {
      expect(await cli(name, '--help')).toBe(0);
      const full = (await buildProgram()).commands.find((c) => c.name() === name)!;
      expect(io.out).toBe(full.helpInformation());
      const listed = new Set([...io.out.matchAll(/^\s+(?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1]));
      for (const f of [...flags, '--help']) expect(listed, `${name} --help lists ${f}`).toContain(f);
    });
  }

  it('the top-level help lists every command', async () => {
    expect(await cli('--help')).toBe(0);
    for (const name of Object.keys(FLAGS)) expect(io.out).toMatch(new RegExp(`^\\s+${name}\\b`, 'm'));
  });
});
