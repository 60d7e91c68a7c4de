import { describe, expect, it } from 'vitest';
import { formatClock, formatEnergy, formatPower, formatRate, formatTime, parseClockNs, parsePercent, parsePower, parseRate, parseTime } from '../../src/util/units.js';

describe('units (mathjs, lazily loaded)', () => {
  it('a clock round-trips between frequency and period', () => {
    expect(parseClockNs('200MHz', '--clock')).toBe(5);
    expect(parseClockNs('5ns', '--clock')).toBe(5);
    expect(parseClockNs('0.25 GHz', '--clock')).toBe(4);
    expect(parseClockNs('3.2 ns', '--clock')).toBe(3.2);
    expect(formatClock(parseClockNs('200 MHz', '--clock'))).toBe('5 ns (200 MHz)');
  });
  it('refuses a bare number or the wrong dimension for a clock, naming the flag', () => {
    expect(() => parseClockNs('5', '--clock')).toThrow(/--clock '5': a bare number is ambiguous; write 5MHz .* or 5ns/);
    expect(() => parseClockNs('5W', '--clock')).toThrow(/--clock '5W'.*not W/);
    expect(() => parseClockNs('fast', '--clock')).toThrow(/--clock 'fast': not a clock/);
  });
  it('parses times, powers, rates and percentages', () => {
    expect(parseTime('1us', '--max-latency')).toBe(1e-6);
    expect(parseTime('250 ns', '--max-latency')).toBe(2.5e-7);
    expect(parsePower('2W', '--max-power')).toBe(2);
    expect(parsePower('350 mW', '--max-power')).toBe(0.35);
    expect(parseRate('1M/s', '--min-throughput')).toBe(1e6);
    expect(parseRate('250k/s', '--min-throughput')).toBe(2.5e5);
    expect(parsePercent('12.5%', '--toggle')).toBe(0.125);
    expect(parsePercent('0.3', '--toggle')).toBe(0.3);
  });
  it('gives clear errors for bad quantities', () => {
    expect(() => parsePower('5ns', '--max-power')).toThrow(/--max-power '5ns': expected a power such as 1.5W, not ns/);
    expect(() => parseTime('2', '--max-latency')).toThrow(/bare number has no unit/);
    expect(() => parsePercent('150%', '--toggle')).toThrow(/between 0% and 100%/);
    expect(() => parsePercent('2', '--toggle')).toThrow(/expected a percentage/);
  });
  it('prints quantities in the unit that keeps the number readable', () => {
    expect(formatTime(45e-9)).toBe('45 ns');
    expect(formatTime(1.24e-6)).toBe('1.24 µs');
    expect(formatPower(0.0123)).toBe('12.3 mW');
    expect(formatPower(5.061)).toBe('5.061 W');
    expect(formatEnergy(2.53e-8)).toBe('25.3 nJ');
    expect(formatRate(2e8)).toBe('200 M/s');
  });
});
