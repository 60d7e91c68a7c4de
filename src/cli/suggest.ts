/**
 * One-line usage errors for the CLI: an unknown flag or command gets the closest known one
 * ("--reuse-factor" → "did you mean --reuse?"), including the names hls4ml users bring with them
 * (OutputDir, ReuseFactor, ClockPeriod, IOType, ...), instead of commander's message plus the
 * whole help text.
 */
import type { Command, CommanderError } from 'commander';

/** hls4ml / common spellings (normalized: lower case, '-' for '_') → our flag's long name. */
const ALIASES: Record<string, string> = {
  'output-dir': '--out', outputdir: '--out', outdir: '--out', output: '--out', 'out-dir': '--out',
  'reuse-factor': '--reuse', reusefactor: '--reuse', rf: '--reuse',
  'clock-period': '--clock', clockperiod: '--clock', period: '--clock', frequency: '--clock', freq: '--clock',
  'io-type': '--io', iotype: '--io',
  'project-name': '--name', projectname: '--name',
  'fpga-part': '--part', 'xilinx-part': '--part', xilinxpart: '--part', board: '--part',
  'default-precision': '--precision', precisions: '--precision',
  calibration: '--calib', 'calibration-data': '--calib', calib_data: '--calib',
  labels: '--labels', label: '--labels', inputs: '--input', data: '--input',
  'config-file': '--config', cfg: '--config', yaml: '--config',
};

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** The subcommand named in argv (first non-flag word after the script), if any. */
function commandOf(program: Command, argv: readonly string[]): Command | undefined {
  for (const a of argv.slice(2)) {
    if (a.startsWith('-')) continue;
    return program.commands.find((c) => c.name() === a || c.aliases().includes(a));
  }
  return undefined;
}

/** "-o, --out <dir>" → "-o/--out". */
function shown(flags: string): string {
  return flags.split(/[ ,]+/).filter((f) => f.startsWith('-')).join('/');
}

export function suggestFlag(cmd: Command, program: Command, flag: string): string | undefined {
  const opts = [...cmd.options, ...(cmd === program ? [] : program.options)].filter((o) => o.long);
  const norm = flag.replace(/^-+/, '').replace(/=.*$/, '').toLowerCase().replace(/_/g, '-');
  const alias = ALIASES[norm] ?? ALIASES[norm.replace(/-/g, '')];
  const byLong = (l: string) => opts.find((o) => o.long === l);
  if (alias && byLong(alias)) return shown(byLong(alias)!.flags);
  let best: { d: number; flags: string } | undefined;
  for (const o of opts) {
    const name = o.long!.replace(/^--/, '');
    let d = distance(norm, name);
    if (name.startsWith(norm) || norm.startsWith(name)) d = Math.min(d, 1);
    if (!best || d < best.d) best = { d, flags: o.flags };
  }
  return best && best.d <= Math.max(2, Math.floor(norm.length / 3)) ? shown(best.flags) : undefined;
}

/** One line for a commander usage error. */
export function usageError(program: Command, argv: readonly string[], e: CommanderError): string {
  const cmd = commandOf(program, argv) ?? program;
  const help = cmd === program ? "'nn2hls --help'" : `'nn2hls ${cmd.name()} --help'`;
  if (e.code === 'commander.unknownOption') {
    const flag = /unknown option '([^']+)'/.exec(e.message)?.[1] ?? '';
    const s = suggestFlag(cmd, program, flag);
    return `unknown option '${flag}'${cmd === program ? '' : ` for '${cmd.name()}'`}${s ? `; did you mean ${s}?` : ''} (${help} lists them all)`;
  }
  if (e.code === 'commander.unknownCommand') {
    const word = /unknown command '([^']+)'/.exec(e.message)?.[1] ?? '';
    const names = program.commands.map((c) => c.name());
    const best = names.map((n) => ({ n, d: distance(word.toLowerCase(), n) })).sort((a, b) => a.d - b.d)[0];
    return `unknown command '${word}'${best && best.d <= 3 ? `; did you mean '${best.n}'?` : ''} (commands: ${names.join(', ')})`;
  }
  return `${e.message.replace(/^error: /, '').split('\n')[0]} (see ${help})`;
}
