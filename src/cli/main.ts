/**
 * The nn2hls command line: parses arguments with commander and dispatches to the commands.
 * Commands are loaded lazily: each command module registers its options and action, and only
 * the module of the command being run is imported (with its readers, passes, simulator or
 * backend), so `nn2hls simulate` does not load the HLS backend, the optimizer or YAML; the
 * full help, `help`, and anything that names no known command load them all. User mistakes
 * (NnInputError, and usage errors such as an unknown flag, which get one line with the closest
 * known flag) print one clear message and exit 1; anything else is an internal error, printed
 * briefly with a hint to rerun with --verbose for the stack trace.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { NnInputError } from '../util/tensor.js';
import { usageError } from './suggest.js';
import { mark } from '../util/trace.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

type Register = (program: Command) => void;

/** `demo`: what `npm start` runs; its modules load only when it runs. */
function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('the main job on the bundled example models (what `npm start` runs)')
    .action(async () => {
      const { runDemo } = await import('./demo.js');
      const { runKerasDemo } = await import('./demo-keras.js');
      runDemo();
      await runKerasDemo();
    });
}

/**
 * The command modules in help order: the commands each registers, how to load it, and what to
 * start before loading it when it runs (returning what ends that if the command did not use it).
 */
export const COMMANDS: readonly { names: readonly string[]; load: () => Promise<Register>; early?: (argv: readonly string[]) => Promise<() => void> }[] = [
  { names: ['inspect', 'run'], load: async () => (await import('./inspect-run.js')).register },
  // A long run's worker threads start before the simulator's modules load (simulate-workers.ts).
  { names: ['simulate'], load: async () => (await import('./simulate.js')).register, early: async (argv) => (await import('./simulate-workers.js')).startEarly(argv) },
  { names: ['compile'], load: async () => (await import('./compile.js')).register },
  { names: ['csim'], load: async () => (await import('./csim.js')).register },
  { names: ['estimate', 'parts'], load: async () => (await import('./estimate.js')).register },
  // `sweep` compiles each design point through a fresh program of its own.
  { names: ['report', 'calibrate', 'sweep'], load: async () => { const m = await import('./synth.js'); return (p) => m.register(p, buildProgram); } },
  { names: ['optimize'], load: async () => (await import('./optimize.js')).register },
  { names: ['demo'], load: async () => registerDemo },
];

/** The command argv names: its first argument that is not a flag (the program's own flags take no value). */
export function commandName(argv: readonly string[]): string | undefined {
  return argv.slice(2).find((a) => !a.startsWith('-'));
}

/**
 * The program for `argv`: with the one command module it names, or with every command when it
 * names none (the full help, `help`, an unknown command, which then gets a suggestion).
 */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command();
  program
    .name('nn2hls')
    .description('Compile trained neural networks to Vivado/Vitis HLS projects, with a bit-accurate fixed-point simulator')
    .version(VERSION, '-V, --version', 'print the version')
    .option('--verbose', 'show stack traces for internal errors')
    // Usage errors become one line with a suggestion (main() below), not commander's text plus the help.
    .exitOverride()
    .configureOutput({ outputError: () => {} });
  const name = commandName(argv);
  const one = COMMANDS.find((c) => name !== undefined && c.names.includes(name));
  for (const register of await Promise.all((one ? [one] : COMMANDS).map((c) => c.load()))) register(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  mark('cli modules loaded');
  const verbose = argv.includes('--verbose');
  const name = commandName(argv);
  let ended: (() => void) | undefined;
  try {
    ended = await COMMANDS.find((c) => name !== undefined && c.names.includes(name))?.early?.(argv);
    const program = await buildProgram(argv);
    mark('command loaded');
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return 0; // --help, --version
      if (e.code === 'commander.help') return e.exitCode; // no command given: the help is the message
      // The suggestion may come from any command's flags: the full program.
      process.stderr.write(`nn2hls: ${usageError(await buildProgram(), argv, e)}\n`);
      return 1;
    }
    if (e instanceof NnInputError) {
      process.stderr.write(`nn2hls: ${e.message}\n`);
      if (verbose && e.stack) process.stderr.write(`${e.stack}\n`);
      return 1;
    }
    const err = e as Error;
    process.stderr.write(`nn2hls: internal error: ${err.message}\n`);
    process.stderr.write(verbose && err.stack ? `${err.stack}\n` : 'Rerun with --verbose for the stack trace, and please report it.\n');
    return 2;
  } finally {
    ended?.();
  }
}

const invoked = process.argv[1] ?? '';
if (/(^|[\\/])main\.ts$/.test(invoked) || process.env.NN2HLS_MAIN === '1') {
  main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
