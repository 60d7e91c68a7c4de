/**
 * HLS tool versions as an input of the estimator. The same design maps very differently across
 * releases (jet tagger at reuse 1: ~3,900 DSP with Vivado HLS 2018.2-2020.1, 1,502 with Vitis HLS
 * 2024.1), so every tool-dependent coefficient lives in one profile per calibrated release, and
 * `--tool vivado-YYYY.N | vitis-YYYY.N` picks the nearest calibrated release of the same tool
 * line (Vivado HLS or Vitis HLS), saying which.
 *
 * Profile coefficients (fitted by bench/estimate.ts on ../shared/reference/estimator):
 * - constLutBits: a product with a constant weight (fully unrolled, reuse 1) goes to LUTs when
 *   |raw weight| < 2^constLutBits; zero weights vanish and ±2^k ones become shifts.
 * - varDspMinWidth: a product of two run-time operands uses a DSP when both operands are at
 *   least this wide (FINN/qonnx: narrower products are built in LUTs).
 * - keepsConstantDesign: with reuse > 1 the tool keeps the constant-propagated design when it
 *   needs fewer DSPs than sharing would (seen with Vitis HLS 2024.1 at reuse 2).
 * - lutScale/ffScale: median published/estimated LUT and FF over the tool's calibration points
 *   (bench/estimate.ts prints them); vitis-2020.1's rest on two tiny designs only.
 * - denseStages/tableStages/streamIIIsLatency: cycle conventions seen in each release's reports.
 */
import { NnInputError } from '../util/tensor.js';

export type ToolLine = 'vivado' | 'vitis';

export interface ToolProfile {
  readonly id: string;
  readonly line: ToolLine;
  readonly year: number;
  readonly release: number;
  readonly constLutBits: number;
  readonly varDspMinWidth: number;
  readonly keepsConstantDesign: boolean;
  /** Scale of csynth's LUT and FF estimates relative to the nominal per-operator costs. */
  readonly lutScale: number;
  readonly ffScale: number;
  /** Extra pipeline stages the tool adds at the top level (I/O registers). */
  readonly topStages: number;
  /** Extra stages the tool puts on each multiply-accumulate layer. */
  readonly denseStages: number;
  /** Cycles of a lookup-table activation (index arithmetic + BRAM read). */
  readonly tableStages: number;
  /** io_stream: the DATAFLOW region's II equals its latency (Vitis HLS's csynth reports). */
  readonly streamIIIsLatency: boolean;
}

export const DEFAULT_TOOL = 'vivado-2019.2';

export const PROFILES: readonly ToolProfile[] = [
  { id: 'vivado-2019.2', line: 'vivado', year: 2019, release: 2, constLutBits: 4.5, varDspMinWidth: 10, keepsConstantDesign: false, lutScale: 1.0, ffScale: 0.9, topStages: 0, denseStages: 0, tableStages: 2, streamIIIsLatency: false },
  { id: 'vivado-2020.1', line: 'vivado', year: 2020, release: 1, constLutBits: 4.5, varDspMinWidth: 10, keepsConstantDesign: false, lutScale: 2.0, ffScale: 1.14, topStages: 0, denseStages: 0, tableStages: 2, streamIIIsLatency: false },
  { id: 'vitis-2020.1', line: 'vitis', year: 2020, release: 1, constLutBits: 4.5, varDspMinWidth: 10, keepsConstantDesign: false, lutScale: 3.2, ffScale: 2.87, topStages: 0, denseStages: 0, tableStages: 2, streamIIIsLatency: true },
  { id: 'vitis-2023.1', line: 'vitis', year: 2023, release: 1, constLutBits: 6, varDspMinWidth: 10, keepsConstantDesign: true, lutScale: 1.98, ffScale: 1.47, topStages: 0, denseStages: 0, tableStages: 2, streamIIIsLatency: true },
  { id: 'vitis-2024.1', line: 'vitis', year: 2024, release: 1, constLutBits: 7.6, varDspMinWidth: 10, keepsConstantDesign: true, lutScale: 1.16, ffScale: 1.23, topStages: 0, denseStages: 1, tableStages: 2, streamIIIsLatency: true },
];

export interface ResolvedTool {
  readonly asked: string;
  readonly profile: ToolProfile;
  /** Set when the asked release is not calibrated: what was used instead. */
  readonly note?: string;
}

/** Parses vivado-2019.2 / vitis-2023.2 / "Vivado HLS 2019.2" / "Vitis HLS 2024.1". */
export function parseTool(s: string): { line: ToolLine; year: number; release: number } {
  const m = /^\s*(vivado|vitis)(?:[\s_-]*hls)?[\s_-]*(\d{4})\.(\d)\s*$/i.exec(s);
  if (!m) throw new NnInputError(`--tool '${s}': expected vivado-YYYY.N or vitis-YYYY.N (e.g. ${DEFAULT_TOOL}, vitis-2023.2)`);
  const year = Number(m[2]);
  if (year < 2014 || year > 2099) throw new NnInputError(`--tool '${s}': ${year} is not a Vivado/Vitis HLS release year`);
  return { line: m[1]!.toLowerCase() as ToolLine, year, release: Number(m[3]) };
}

/** The calibrated profile nearest to the asked release (same tool line first). */
export function resolveTool(s: string = DEFAULT_TOOL): ResolvedTool {
  const t = parseTool(s);
  const key = (y: number, r: number) => y * 4 + r;
  const sameLine = PROFILES.filter((p) => p.line === t.line);
  const pool = sameLine.length ? sameLine : PROFILES;
  const best = [...pool].sort((a, b) => Math.abs(key(a.year, a.release) - key(t.year, t.release)) - Math.abs(key(b.year, b.release) - key(t.year, t.release)) || b.year - a.year)[0]!;
  const asked = `${t.line}-${t.year}.${t.release}`;
  return { asked, profile: best, ...(best.id !== asked ? { note: `${asked} is not calibrated; using the nearest calibrated release, ${best.id}` } : {}) };
}
