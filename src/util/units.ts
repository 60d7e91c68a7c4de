/**
 * Units at the CLI and config boundary (clock periods and frequencies), parsed and printed with
 * mathjs. mathjs is loaded lazily and from its single-file browser build, which loads in about
 * 150 ms instead of the 2-3 s of its module graph, and only when a unit is actually parsed.
 * A bare number is refused for a clock: 200 could mean 200 MHz or 200 ns, a factor of 40,000.
 * (mathjs calls an angle unit `cycle`, so clock cycles are never expressed as a mathjs unit.)
 */
import { createRequire } from 'node:module';
import { NnInputError } from './tensor.js';

type MathJs = typeof import('mathjs');
let math: MathJs | undefined;

function mathjs(): MathJs {
  math ??= createRequire(import.meta.url)('mathjs/lib/browser/math.js') as MathJs;
  return math;
}

function trimNumber(v: number): string {
  return String(Number(v.toPrecision(6)));
}

/**
 * A clock given as a period ("5ns", "5 ns", "0.005us") or a frequency ("200MHz", "0.2 GHz"),
 * as a period in ns. `where` names the flag or config key in errors.
 */
export function parseClockNs(s: string, where: string): number {
  const text = s.trim();
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text)) {
    const v = Number(text);
    const hint = v > 0 ? `write ${trimNumber(v)}MHz (a frequency; period ${trimNumber(1000 / v)}ns) or ${trimNumber(v)}ns (a period; ${trimNumber(1000 / v)}MHz)` : 'write e.g. 200MHz or 5ns';
    throw new NnInputError(`${where} '${s}': a bare number is ambiguous; ${hint}`);
  }
  const m = mathjs();
  let u;
  try {
    u = m.unit(text);
  } catch (e) {
    throw new NnInputError(`${where} '${s}': not a clock (${(e as Error).message}); write a period such as 5ns or a frequency such as 200MHz`);
  }
  let ns: number;
  if (u.equalBase(m.unit('1 s'))) ns = u.toNumber('ns');
  else if (u.equalBase(m.unit('1 Hz'))) ns = 1000 / u.toNumber('MHz');
  else throw new NnInputError(`${where} '${s}': a clock is a period (ns, us) or a frequency (MHz, GHz), not ${u.formatUnits() || 'a plain number'}`);
  if (!(ns > 0) || !Number.isFinite(ns)) throw new NnInputError(`${where} '${s}': the clock must be positive`);
  return Number(ns.toPrecision(6));
}

/** "5 ns (200 MHz)". */
export function formatClock(ns: number): string {
  const m = mathjs();
  const period = m.unit(ns, 'ns');
  const freq = m.unit(1000 / ns, 'MHz');
  return `${m.format(period, { precision: 6 })} (${m.format(freq, { precision: 6 })})`;
}

// ---- Further quantities for `estimate` (time, power, energy, percentages, rates). ----

const snap = (x: number) => Number(x.toPrecision(9));

function quantity(s: string, where: string, base: 's' | 'W' | 'Hz', example: string): number {
  const text = String(s).trim();
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text)) throw new NnInputError(`${where} '${s}': a bare number has no unit; write e.g. ${example}`);
  const m = mathjs();
  let u;
  try {
    u = m.unit(text);
  } catch (e) {
    throw new NnInputError(`${where} '${s}': not a quantity (${(e as Error).message}); write e.g. ${example}`);
  }
  if (!u.equalBase(m.unit(`1 ${base}`))) {
    const what = base === 's' ? 'a time' : base === 'W' ? 'a power' : 'a rate';
    throw new NnInputError(`${where} '${s}': expected ${what} such as ${example}, not ${u.formatUnits() || 'a plain number'}`);
  }
  const v = u.toNumber(base);
  if (!(v > 0) || !Number.isFinite(v)) throw new NnInputError(`${where} '${s}': must be positive`);
  return snap(v);
}

/** A duration such as 1us, 250 ns, 2 ms, in seconds. */
export const parseTime = (s: string, where: string) => quantity(s, where, 's', '1us');
/** A power such as 2W, 350 mW, in watts. */
export const parsePower = (s: string, where: string) => quantity(s, where, 'W', '1.5W');

/** A rate such as 1M/s, 250k/s, 1e6/s or 1 MHz, per second. */
export function parseRate(s: string, where: string): number {
  const m = /^\s*(\d+\.?\d*(?:e[+-]?\d+)?|\.\d+)\s*([kMG]?)\s*\/\s*s\s*$/i.exec(String(s));
  if (m) {
    const v = Number(m[1]) * ({ '': 1, k: 1e3, M: 1e6, G: 1e9 } as const)[m[2] as '' | 'k' | 'M' | 'G'];
    if (v > 0) return v;
  }
  return quantity(s, where, 'Hz', '1M/s');
}

/** A percentage such as 12.5% (or a fraction 0..1), as a fraction. */
export function parsePercent(s: string, where: string): number {
  const text = String(s).trim();
  const pct = /^(\d+\.?\d*|\.\d+)\s*%$/.exec(text);
  const frac = /^(\d+\.?\d*|\.\d+)$/.exec(text);
  const v = pct ? Number(pct[1]) / 100 : frac ? Number(frac[1]) : NaN;
  if (!Number.isFinite(v) || (frac && v > 1)) throw new NnInputError(`${where} '${s}': expected a percentage such as 12.5% (or a fraction 0..1)`);
  if (v > 1) throw new NnInputError(`${where} '${s}': must be between 0% and 100%`);
  return v;
}

/** `value` (in `unit`) in the largest of `candidates` that keeps the number at least 1. */
function best(value: number, unit: string, candidates: readonly string[], digits: number): string {
  const m = mathjs();
  const last = candidates[candidates.length - 1]!;
  if (value === 0) return `0 ${last}`.replace(/ u([sWJ])$/, ' µ$1');
  const u = m.unit(value, unit);
  const c = candidates.find((k) => Math.abs(u.toNumber(k)) >= 1) ?? last;
  return `${m.format(u.toNumber(c), { precision: digits })} ${c}`.replace(/ u([sWJ])$/, ' µ$1');
}

export const formatTime = (seconds: number, digits = 4) => best(seconds, 's', ['s', 'ms', 'us', 'ns'], digits);
export const formatPower = (watts: number, digits = 4) => best(watts, 'W', ['W', 'mW', 'uW'], digits);
export const formatEnergy = (joules: number, digits = 4) => best(joules, 'J', ['J', 'mJ', 'uJ', 'nJ', 'pJ'], digits);
export const formatRate = (perSecond: number, digits = 4) => best(perSecond, 'Hz', ['GHz', 'MHz', 'kHz', 'Hz'], digits).replace(/([kMG]?)Hz$/, '$1/s');
