/**
 * Loader of the published synthesis results the estimator is calibrated and benchmarked on
 * (../shared/reference/estimator): calibration.csv (one row per design and report level), the raw
 * hls4ml CSynthesisReport dictionaries behind its C-* rows, and the jet-tagger reuse sweep table of
 * hls4ml_jet_tagger_published.md. Only the loader lives here; the designs themselves are rebuilt
 * by bench/estimate-designs.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NnInputError } from '../util/tensor.js';
import { parseTool } from './tools.js';

export interface PublishedPoint {
  readonly id: string;
  readonly source: string;
  readonly arch: string;
  readonly precision: string;
  readonly strategy: 'latency' | 'resource';
  readonly io: 'parallel' | 'stream';
  readonly reuse: number;
  readonly part: string;
  readonly clockNs: number;
  /** Tool id as --tool spells it (vivado-2019.2). */
  readonly tool: string;
  readonly level: string;
  readonly latency: number | null;
  readonly ii: number | null;
  readonly bram18k: number | null;
  readonly dsp: number | null;
  readonly ff: number | null;
  readonly lut: number | null;
  readonly uram: number | null;
  readonly notes: string;
}

/** RFC 4180 rows (quoted fields with commas and doubled quotes). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let f = '';
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (q) {
      if (c === '"' && text[i + 1] === '"') {
        f += '"';
        i++;
      } else if (c === '"') q = false;
      else f += c;
    } else if (c === '"') q = true;
    else if (c === ',') {
      row.push(f);
      f = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(f);
      if (row.some((x) => x !== '')) rows.push(row);
      row = [];
      f = '';
    } else f += c;
  }
  if (f !== '' || row.length) {
    row.push(f);
    rows.push(row);
  }
  return rows;
}

const num = (s: string | undefined): number | null => {
  const m = /^\s*(-?\d+(?:\.\d+)?)/.exec(s ?? '');
  return m ? Number(m[1]) : null;
};

function toolId(s: string): string | null {
  try {
    const t = parseTool(s.replace(/\s+synth$/i, ''));
    return `${t.line}-${t.year}.${t.release}`;
  } catch {
    return null;
  }
}

export function loadCalibration(dir: string): PublishedPoint[] {
  const path = join(dir, 'calibration.csv');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new NnInputError(`${path}: cannot read the calibration data`);
  }
  const [head, ...rows] = parseCsv(text);
  const col = (name: string) => {
    const i = head!.indexOf(name);
    if (i < 0) throw new NnInputError(`${path}: no column '${name}'`);
    return i;
  };
  const C = Object.fromEntries(['id', 'source', 'arch', 'precision', 'strategy', 'io', 'rf', 'part', 'clk_target_ns', 'tool', 'level', 'lat_max', 'ii_max', 'bram18k', 'dsp', 'ff', 'lut', 'uram', 'notes'].map((k) => [k, col(k)]));
  const out: PublishedPoint[] = [];
  for (const r of rows) {
    const g = (k: string) => r[C[k]!] ?? '';
    const tool = toolId(g('tool'));
    if (!tool) continue;
    out.push({
      id: g('id'), source: g('source'), arch: g('arch'), precision: g('precision'),
      strategy: /resource/i.test(g('strategy')) ? 'resource' : 'latency',
      io: /stream/.test(g('io')) ? 'stream' : 'parallel',
      reuse: num(g('rf')) ?? 1,
      part: g('part').trim().split(/\s+/)[0]!,
      clockNs: num(g('clk_target_ns')) ?? 5,
      tool, level: g('level'),
      latency: num(g('lat_max')), ii: num(g('ii_max')), bram18k: num(g('bram18k')), dsp: num(g('dsp')), ff: num(g('ff')), lut: num(g('lut')), uram: num(g('uram')),
      notes: g('notes'),
    });
  }
  return out;
}

export interface SweepPoint {
  readonly reuse: number;
  readonly latency: number;
  readonly ii: number;
  readonly dsp: number;
  readonly lut: number;
  readonly ff: number;
  readonly bram18k: number;
}

/** The "Part 2b" reuse sweep table (xczu7ev, Vivado HLS 2019.2) of the published jet-tagger file. */
export function loadJetSweep(path: string): SweepPoint[] {
  const text = readFileSync(path, 'utf8');
  const start = text.indexOf('reuse-factor sweep');
  if (start < 0) throw new NnInputError(`${path}: no reuse-factor sweep section`);
  const out: SweepPoint[] = [];
  for (const line of text.slice(start).split('\n')) {
    const cells = line.split('|').map((c) => c.trim().replace(/,/g, ''));
    if (cells.length < 9 || !/^\d+$/.test(cells[1]!)) {
      if (out.length && !line.startsWith('|')) break;
      continue;
    }
    const [, rf, lat, ii, , dsp, lut, ff, bram] = cells.map(Number);
    out.push({ reuse: rf!, latency: lat!, ii: ii!, dsp: dsp!, lut: lut!, ff: ff!, bram18k: bram! });
  }
  return out;
}
