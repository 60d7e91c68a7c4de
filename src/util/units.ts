/**
 * Physical quantities at the CLI and config boundary: clocks (period or frequency), times,
 * power, energy and percentages, parsed and printed with mathjs. mathjs is large, so it is loaded
 * lazily on first use and from its single-file bundle (about 50 ms here, against about 0.6 s for the
 * package's default entry and 2-3 s for its ESM graph); nothing in the simulator or the emitter
 * imports this module's parse functions. Clock cycles are never a mathjs unit: mathjs already
 * defines `cycle` as an angle (2π rad), so cycle counts stay plain integers.
 *
 * API: parseClock(s) -> {periodNs, freqMhz}; parseTime(s) -> seconds; parsePower(s) -> watts;
 * parsePercent(s) -> fraction; parseRate(s) -> per second; format{Time,Power,Energy,Freq}(x) -> text.
 */
import { createRequire } from 'node:module';
import { NnInputError } from './tensor.js';

type MathJs = typeof import('mathjs');
type Unit = import('mathjs').Unit;

let math: MathJs | undefined;

/** The mathjs instance, loaded on first use from the browser bundle (same API, fast load). */
export function mathjs(): MathJs {
  if (!math) math = createRequire(import.meta.url)('mathjs/lib/browser/math.js') as MathJs;
  return math;
}

const BASE = { time: '1 s', freq: '1 Hz', power: '1 W', energy: '1 J' } as const;
type Dim = keyof typeof BASE;

function parseUnit(s: string, what: string, dims: readonly Dim[], example: string): { unit: Unit; dim: Dim } {
  const text = String(s).trim();
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) {
    throw new NnInputError(`${what} '${s}': a bare number has no unit; write it with one, e.g. ${example}`);
  }
  const m = mathjs();
  let u: Unit;
  try {
    u = m.unit(text);
  } catch {
    throw new NnInputError(`${what} '${s}': not a quantity mathjs understands; write a number and a unit, e.g. ${example}`);
  }
  const dim = dims.find((d) => u.equalBase(m.unit(BASE[d])));
  if (!dim) {
    throw new NnInputError(`${what} '${s}': expected ${dims.map((d) => (d === 'freq' ? 'a frequency' : d === 'time' ? 'a time' : `a ${d}`)).join(' or ')}, e.g. ${example}`);
  }
  const v = u.toNumber(BASE[dim].slice(2));
  if (!(v > 0) || !Number.isFinite(v)) throw new NnInputError(`${what} '${s}': must be positive`);
  return { unit: u, dim };
}

/** Snaps float noise from unit conversion (1/(200 MHz) = 4.999999999 ns) to 9 significant digits. */
const snap = (x: number) => Number(x.toPrecision(9));

export interface Clock {
  readonly periodNs: number;
  readonly freqMhz: number;
}

/** A clock given as a period (5ns, 2.5 ns) or a frequency (200MHz, 0.2 GHz); a bare number is refused. */
export function parseClock(s: string, what = '--clock'): Clock {
  const { unit, dim } = parseUnit(s, what, ['time', 'freq'], '5ns or 200MHz');
  const periodNs = dim === 'time' ? unit.toNumber('ns') : 1e3 / unit.toNumber('MHz');
  return { periodNs: snap(periodNs), freqMhz: snap(1e3 / periodNs) };
}

/** A duration such as 1us, 250 ns, 2 ms -> seconds. */
export function parseTime(s: string, what = 'time'): number {
  return snap(parseUnit(s, what, ['time'], '1us').unit.toNumber('s'));
}

/** A power such as 2W, 350 mW -> watts. */
export function parsePower(s: string, what = 'power'): number {
  return snap(parseUnit(s, what, ['power'], '1.5W').unit.toNumber('W'));
}

/** A percentage such as 12.5% -> 0.125 (a bare fraction 0..1 is also accepted). */
export function parsePercent(s: string, what = 'percentage'): number {
  const text = String(s).trim();
  const pct = /^(\d+\.?\d*|\.\d+)\s*%$/.exec(text);
  const frac = /^(\d+\.?\d*|\.\d+)$/.exec(text);
  const v = pct ? Number(pct[1]) / 100 : frac ? Number(frac[1]) : NaN;
  if (!Number.isFinite(v) || (frac && v > 1)) throw new NnInputError(`${what} '${s}': expected a percentage such as 12.5% (or a fraction 0..1)`);
  if (v < 0 || v > 1) throw new NnInputError(`${what} '${s}': must be between 0% and 100%`);
  return v;
}

/** A rate such as 1M/s, 250k/s, 1e6/s or 1 MHz -> events per second. */
export function parseRate(s: string, what = 'rate'): number {
  const m = /^\s*(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+)\s*([kMG]?)\s*\/\s*s\s*$/.exec(String(s));
  if (m) return Number(m[1]) * ({ '': 1, k: 1e3, M: 1e6, G: 1e9 } as const)[m[2] as '' | 'k' | 'M' | 'G'];
  return snap(parseUnit(s, what, ['freq'], '1M/s').unit.toNumber('Hz'));
}

function best(value: number, unit: string, candidates: readonly string[], digits: number): string {
  const m = mathjs();
  if (value === 0) return `0 ${candidates[candidates.length - 1]}`;
  const u = m.unit(value, unit).to(unit);
  // Pick the largest unit that keeps the number >= 1, so output is stable and readable.
  for (const c of candidates) {
    const v = u.toNumber(c);
    if (Math.abs(v) >= 1) return `${m.format(v, { precision: digits })} ${c}`;
  }
  const last = candidates[candidates.length - 1]!;
  return `${m.format(u.toNumber(last), { precision: digits })} ${last}`;
}

export const formatTime = (seconds: number, digits = 4) => best(seconds, 's', ['s', 'ms', 'us', 'ns'], digits).replace(/ us$/, ' µs');
export const formatPower = (watts: number, digits = 4) => best(watts, 'W', ['W', 'mW', 'uW'], digits).replace(/ uW$/, ' µW');
export const formatEnergy = (joules: number, digits = 4) => best(joules, 'J', ['J', 'mJ', 'uJ', 'nJ', 'pJ'], digits).replace(/ uJ$/, ' µJ');
export const formatFreq = (hz: number, digits = 4) => best(hz, 'Hz', ['GHz', 'MHz', 'kHz', 'Hz'], digits);
