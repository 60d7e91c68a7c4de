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
