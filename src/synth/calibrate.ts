/**
 * Recalibration of the estimator from synthesis reports. For each (tool release, device family)
 * with enough designs it fits one correction per quantity: a multiplicative factor for DSP, LUT,
 * FF and BRAM_18K (the geometric median of reported/estimated — a median, so one wild LUT count
 * cannot move it, and each quantity is fitted on its own, so noisy LUTs never touch DSP or
 * latency) and an additive offset in cycles for latency (the median difference: the tools add
 * whole pipeline stages, they do not stretch them). A correction is kept only when most designs
 * of the group err in its direction (a sign test) and it lowers the median absolute error on the
 * designs it was fitted on; otherwise the quantity stays as the estimator computed it. A pooled entry per tool (family "*") serves families with too few points.
 * The result is calibration.json; applyCalibration corrects an estimate (--json shape) with it.
 */
import { readFileSync } from 'node:fs';
import { NnInputError } from '../util/tensor.js';
import type { EstimateJson } from './compare.js';

export const RATIO_KEYS = ['dsp', 'lut', 'ff', 'bram18k'] as const;
export type RatioKey = (typeof RATIO_KEYS)[number];
export const FIT_KEYS = ['latency_cycles', ...RATIO_KEYS] as const;
export type FitKey = (typeof FIT_KEYS)[number];

/** Fewer points than this in a group: no entry (the pooled one, or nothing, is used). */
export const MIN_POINTS = 3;

export interface CalibrationEntry {
  readonly tool: string;
  /** Device family, or "*" for all families of the tool. */
  readonly family: string;
  readonly points: number;
  /** Multiplicative corrections (1 = unchanged). */
  readonly scale: Readonly<Record<RatioKey, number>>;
  /** Cycles added to the design latency. */
  readonly latency_offset: number;
}

export interface Calibration {
  readonly nn2hls_calibration: 1;
  readonly entries: readonly CalibrationEntry[];
}

/** One design: what the estimator said and what synthesis reported (null = not reported). */
export interface Pair {
  readonly id: string;
  readonly tool: string;
  readonly family: string;
  readonly estimate: Readonly<Record<FitKey, number>>;
  readonly report: Readonly<Record<FitKey, number | null>>;
}

export function median(xs: readonly number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export const absPct = (est: number, ref: number): number => (ref === 0 ? (est === 0 ? 0 : 100) : (Math.abs(est - ref) / Math.abs(ref)) * 100);

function corrected(k: FitKey, v: number, e: CalibrationEntry | null): number {
  if (!e) return v;
  if (k === 'latency_cycles') return Math.max(0, v + e.latency_offset);
  return Math.round(v * e.scale[k]);
}

/** Median absolute % error of one quantity over pairs, with a correction (or none). */
function medErr(ps: readonly Pair[], k: FitKey, e: CalibrationEntry | null): number {
  const errs = ps.filter((p) => p.report[k] !== null).map((p) => absPct(corrected(k, p.estimate[k], e), p.report[k]!));
  return median(errs);
}

const IDENTITY = (tool: string, family: string, points: number): CalibrationEntry => ({
  tool, family, points, scale: { dsp: 1, lut: 1, ff: 1, bram18k: 1 }, latency_offset: 0,
});

const round4 = (x: number) => Number(x.toPrecision(4));

/**
 * A sign test: a correction upwards (direction > 0) is made only when more than half of the
 * designs were under-estimated, and downwards only when more than half were over-estimated.
 * Designs the estimator already got right vote against any correction, so a group that is mostly
 * exact stays exact even when the median of a few misses would say otherwise.
 */
function mostAgree(deltas: readonly number[], direction: number): boolean {
  const agree = deltas.filter((d) => Math.sign(d) === Math.sign(direction)).length;
  return direction !== 0 && agree * 2 > deltas.length;
}

function fitGroup(tool: string, family: string, ps: readonly Pair[]): CalibrationEntry {
  const scale: Record<RatioKey, number> = { dsp: 1, lut: 1, ff: 1, bram18k: 1 };
  for (const k of RATIO_KEYS) {
    const logs = ps.filter((p) => p.report[k] !== null && p.report[k]! > 0 && p.estimate[k] > 0).map((p) => Math.log(p.report[k]! / p.estimate[k]));
    if (logs.length < MIN_POINTS) continue;
    const f = round4(Math.exp(median(logs)));
    const trial = { ...IDENTITY(tool, family, ps.length), scale: { ...scale, [k]: f } };
    if (mostAgree(logs, f - 1) && medErr(ps, k, trial) < medErr(ps, k, null)) scale[k] = f;
  }
  let latency_offset = 0;
  const diffs = ps.filter((p) => p.report.latency_cycles !== null).map((p) => p.report.latency_cycles! - p.estimate.latency_cycles);
  if (diffs.length >= MIN_POINTS) {
    const off = Math.round(median(diffs));
    const trial = { ...IDENTITY(tool, family, ps.length), latency_offset: off };
    if (off !== 0 && mostAgree(diffs, off) && medErr(ps, 'latency_cycles', trial) < medErr(ps, 'latency_cycles', null)) latency_offset = off;
  }
  return { tool, family, points: ps.length, scale, latency_offset };
}

/** Fits one entry per (tool, family) with ≥ MIN_POINTS designs, and one pooled entry per tool. */
export function fitCalibration(pairs: readonly Pair[]): Calibration {
  const groups = new Map<string, Pair[]>();
  const add = (key: string, p: Pair) => groups.set(key, [...(groups.get(key) ?? []), p]);
  for (const p of pairs) {
    add(`${p.tool}\u0000${p.family}`, p);
    add(`${p.tool}\u0000*`, p);
  }
  const entries: CalibrationEntry[] = [];
  for (const [key, ps] of [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (ps.length < MIN_POINTS) continue;
    const [tool, family] = key.split('\u0000') as [string, string];
    entries.push(fitGroup(tool, family, ps));
  }
  return { nn2hls_calibration: 1, entries };
}

/** The entry for a design: its (tool, family), else the tool's pooled one, else none. */
export function entryFor(cal: Calibration, tool: string, family: string | null | undefined): CalibrationEntry | null {
  return cal.entries.find((e) => e.tool === tool && e.family === family) ?? cal.entries.find((e) => e.tool === tool && e.family === '*') ?? null;
}

export function correctPair(cal: Calibration, p: Pair): Record<FitKey, number> {
  const e = entryFor(cal, p.tool, p.family);
  return Object.fromEntries(FIT_KEYS.map((k) => [k, corrected(k, p.estimate[k], e)])) as Record<FitKey, number>;
}

/** Median |error| % per quantity over pairs, before and after a calibration. */
export function errorTable(pairs: readonly Pair[], cal: Calibration | null): Record<FitKey, number> {
  return Object.fromEntries(
    FIT_KEYS.map((k) => {
      const errs = pairs.filter((p) => p.report[k] !== null).map((p) => absPct(cal ? correctPair(cal, p)[k] : p.estimate[k], p.report[k]!));
      return [k, median(errs)];
    }),
  ) as Record<FitKey, number>;
}

/** Leave-one-out: each design corrected by a calibration fitted on all the others. */
export function leaveOneOut(pairs: readonly Pair[]): { before: Record<FitKey, number>; after: Record<FitKey, number> } {
  const after: Record<FitKey, number[]> = { latency_cycles: [], dsp: [], lut: [], ff: [], bram18k: [] };
  const before: Record<FitKey, number[]> = { latency_cycles: [], dsp: [], lut: [], ff: [], bram18k: [] };
  pairs.forEach((p, i) => {
    const cal = fitCalibration(pairs.filter((_, j) => j !== i));
    const c = correctPair(cal, p);
    for (const k of FIT_KEYS) {
      if (p.report[k] === null) continue;
      before[k].push(absPct(p.estimate[k], p.report[k]!));
      after[k].push(absPct(c[k], p.report[k]!));
    }
  });
  const med = (r: Record<FitKey, number[]>) => Object.fromEntries(FIT_KEYS.map((k) => [k, median(r[k])])) as Record<FitKey, number>;
  return { before: med(before), after: med(after) };
}

/**
 * An estimate (--json shape) corrected by a calibration: totals and layers scaled, the latency
 * offset added to the design, utilisation and latency in seconds updated, and a "calibration"
 * key saying which entry was used. Returns the estimate unchanged (with a note) when no entry fits.
 */
export function applyCalibration<T extends EstimateJson>(cal: Calibration, est: T, family?: string): T & { calibration: unknown } {
  const tool = est.tool ?? '';
  const e = entryFor(cal, tool, family ?? est.family);
  if (!e) return { ...est, calibration: { applied: false, note: `no calibration entry for ${tool || 'an unknown tool'}${family ? ` / ${family}` : ''}` } };
  const t = est.total;
  const util = t.utilization ? Object.fromEntries(Object.entries(t.utilization).map(([k, v]) => [k, v !== null && k in e.scale ? Number((v * e.scale[k as RatioKey]).toPrecision(6)) : v])) : undefined;
  const lat = corrected('latency_cycles', t.latency_cycles, e);
  return {
    ...est,
    layers: est.layers?.map((l) => ({ ...l, dsp: corrected('dsp', l.dsp, e), lut: corrected('lut', l.lut, e), ff: corrected('ff', l.ff, e), bram18k: corrected('bram18k', l.bram18k, e) })),
    total: {
      ...t, latency_cycles: lat, dsp: corrected('dsp', t.dsp, e), lut: corrected('lut', t.lut, e), ff: corrected('ff', t.ff, e), bram18k: corrected('bram18k', t.bram18k, e),
      ...(util ? { utilization: util } : {}),
      ...(typeof t.latency_s === 'number' && est.clock_ns ? { latency_s: Number((lat * est.clock_ns * 1e-9).toPrecision(6)) } : {}),
    },
    calibration: { applied: true, tool: e.tool, family: e.family, points: e.points, scale: e.scale, latency_offset: e.latency_offset },
  };
}

/** Reads and checks a calibration.json. */
export function parseCalibration(text: string, file: string): Calibration {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new NnInputError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  const o = j as Partial<Calibration> | null;
  if (!o || o.nn2hls_calibration !== 1 || !Array.isArray(o.entries)) throw new NnInputError(`${file}: not an nn2hls calibration file (make one with 'nn2hls calibrate DIR... -o ${file}')`);
  for (const [i, e] of o.entries.entries()) {
    const ok = e && typeof e.tool === 'string' && typeof e.family === 'string' && typeof e.latency_offset === 'number' && e.scale &&
      RATIO_KEYS.every((k) => typeof e.scale[k] === 'number' && Number.isFinite(e.scale[k]) && e.scale[k] > 0);
    if (!ok) throw new NnInputError(`${file}: entries[${i}] needs tool, family, latency_offset and positive scale.dsp/lut/ff/bram18k`);
  }
  return o as Calibration;
}

/** calibration.json from disk (for `estimate --calibration FILE` and `report --calibration FILE`). */
export function readCalibrationFile(file: string): Calibration {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new NnInputError(`--calibration ${file}: cannot read the file`);
  }
  return parseCalibration(text, file);
}
