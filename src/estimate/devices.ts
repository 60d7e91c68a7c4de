/**
 * The device database: the FPGA parts hls4ml/FINN users target, with their resource counts (LUT,
 * FF, DSP and its multiplier shape, RAMB18, URAM), family and a typical device static power, each
 * row naming the datasheet its counts come from. A part name as Vivado spells it (with package,
 * speed grade and temperature suffixes: xczu7ev-ffvc1156-2-e, xc7z020clg400-1, xcu250-figd2104-2L-e)
 * resolves to its device; an unknown one is an error listing the nearest known names.
 *
 * Static power: data sheets do not give it (AMD's XPE spreadsheet does, per temperature and
 * process corner). The values here are first-order: per-family watts-per-LUT rates fitted to the
 * public report_power points in ../shared/reference/fpga_power_and_estimation.md (xc7a100t 0.103 W,
 * xc7z020 0.113 W, xc7a200t 0.163 W, xcu50 2.335 W), scaled by the device's LUT count, except where
 * a part has its own measured point. `staticSource` says which.
 */
import { NnInputError } from '../util/tensor.js';

export type DspKind = 'DSP48E1' | 'DSP48E2' | 'DSP58';

export interface DspShape {
  readonly kind: DspKind;
  /** Signed multiplier operand widths (A×B). */
  readonly a: number;
  readonly b: number;
}

export const DSP_SHAPES: { readonly [k in DspKind]: DspShape } = {
  DSP48E1: { kind: 'DSP48E1', a: 25, b: 18 }, // UG479 (7 Series DSP48E1 Slice)
  DSP48E2: { kind: 'DSP48E2', a: 27, b: 18 }, // UG579 (UltraScale DSP Slice)
  DSP58: { kind: 'DSP58', a: 27, b: 24 }, // AM004 (Versal DSP Engine)
};

export type Family = 'Zynq-7000' | 'Artix-7' | 'Kintex-7' | 'Virtex-7' | 'Kintex UltraScale' | 'Kintex UltraScale+' | 'Virtex UltraScale+' | 'Zynq UltraScale+' | 'Alveo' | 'Versal AI Core';

export interface Device {
  /** Base device name, lower case (xczu7ev). */
  readonly name: string;
  readonly family: Family;
  /** Example full part name (package, speed grade, temperature) as Vivado takes it. */
  readonly example: string;
  readonly lut: number;
  readonly ff: number;
  readonly dsp: number;
  readonly dspShape: DspShape;
  /** Block RAM counted as RAMB18 halves (2 per RAMB36). */
  readonly bram18k: number;
  readonly uram: number;
  /** Datasheet the resource counts come from. */
  readonly datasheet: string;
  /** Typical device static power (W) at room junction temperature. */
  readonly staticW: number;
  readonly staticSource: string;
  /** Board it is found on, when that is how users name it. */
  readonly board?: string;
}

/** Watts of device static power per LUT, per process node (see the file comment). */
const STATIC_PER_LUT = {
  '28nm': { rate: 0.163 / 134600, from: 'xc7a200t 0.163 W (report_power, Tj 29.6 °C), scaled by LUT count' },
  '20nm': { rate: 2.0e-6, from: 'interpolated between the 28 nm and 16 nm rates, scaled by LUT count (no public point)' },
  '16nm': { rate: 2.335 / 871680, from: 'xcu50 2.335 W (report_power, Tj 34.8 °C), scaled by LUT count' },
  '7nm': { rate: 2.335 / 871680, from: 'no public point: the 16 nm rate, scaled by LUT count (rough)' },
} as const;

type Row = [name: string, family: Family, example: string, lut: number, ff: number, dsp: number, bram36: number, uram: number, datasheet: string, board?: string, staticW?: [number, string]];

const NODE: { readonly [f in Family]: keyof typeof STATIC_PER_LUT } = {
  'Zynq-7000': '28nm', 'Artix-7': '28nm', 'Kintex-7': '28nm', 'Virtex-7': '28nm', 'Kintex UltraScale': '20nm',
  'Kintex UltraScale+': '16nm', 'Virtex UltraScale+': '16nm', 'Zynq UltraScale+': '16nm', Alveo: '16nm', 'Versal AI Core': '7nm',
};

// name, family, example part, LUT, FF, DSP, RAMB36, URAM, datasheet (table of device resources)
const ROWS: readonly Row[] = [
  ['xc7z007s', 'Zynq-7000', 'xc7z007sclg400-1', 14400, 28800, 66, 50, 0, 'DS190 (Zynq-7000 SoC Overview) Table 1'],
  ['xc7z010', 'Zynq-7000', 'xc7z010clg400-1', 17600, 35200, 80, 60, 0, 'DS190 (Zynq-7000 SoC Overview) Table 1', 'Zybo'],
  ['xc7z020', 'Zynq-7000', 'xc7z020clg400-1', 53200, 106400, 220, 140, 0, 'DS190 (Zynq-7000 SoC Overview) Table 1', 'PYNQ-Z2 / ZedBoard', [0.113, 'report_power xc7z020 PL only, Tj 28.1 °C']],
  ['xc7z045', 'Zynq-7000', 'xc7z045ffg900-2', 218600, 437200, 900, 545, 0, 'DS190 (Zynq-7000 SoC Overview) Table 1', 'ZC706'],
  ['xc7a35t', 'Artix-7', 'xc7a35tcpg236-1', 20800, 41600, 90, 50, 0, 'DS180 (7 Series FPGAs Overview) Table 3', 'Basys 3 / Arty A7-35'],
  ['xc7a50t', 'Artix-7', 'xc7a50tcsg324-1', 32600, 65200, 120, 75, 0, 'DS180 (7 Series FPGAs Overview) Table 3'],
  ['xc7a100t', 'Artix-7', 'xc7a100tcsg324-1', 63400, 126800, 240, 135, 0, 'DS180 (7 Series FPGAs Overview) Table 3', 'Arty A7-100 / Nexys A7', [0.103, 'report_power xc7a100t, Tj 25.8 °C']],
  ['xc7a200t', 'Artix-7', 'xc7a200tsbg484-1', 134600, 269200, 740, 365, 0, 'DS180 (7 Series FPGAs Overview) Table 3', 'Nexys Video', [0.163, 'report_power xc7a200t, Tj 29.6 °C']],
  ['xc7k325t', 'Kintex-7', 'xc7k325tffg900-2', 203800, 407600, 840, 445, 0, 'DS180 (7 Series FPGAs Overview) Table 6', 'KC705'],
  ['xc7k410t', 'Kintex-7', 'xc7k410tffg900-2', 254200, 508400, 1540, 795, 0, 'DS180 (7 Series FPGAs Overview) Table 6'],
  ['xc7vx485t', 'Virtex-7', 'xc7vx485tffg1761-2', 303600, 607200, 2800, 1030, 0, 'DS180 (7 Series FPGAs Overview) Table 8', 'VC707'],
  ['xc7vx690t', 'Virtex-7', 'xc7vx690tffg1761-2', 433200, 866400, 3600, 1470, 0, 'DS180 (7 Series FPGAs Overview) Table 8', 'VC709'],
  ['xcku040', 'Kintex UltraScale', 'xcku040-ffva1156-2-e', 242400, 484800, 1920, 600, 0, 'DS890 (UltraScale Architecture and Product Overview) Table 3', 'KCU105'],
  ['xcku115', 'Kintex UltraScale', 'xcku115-flvb2104-2-e', 663360, 1326720, 5520, 2160, 0, 'DS890 (UltraScale Architecture and Product Overview) Table 3'],
  ['xcku5p', 'Kintex UltraScale+', 'xcku5p-ffvb676-2-e', 216960, 433920, 1824, 480, 64, 'DS890 (UltraScale Architecture and Product Overview) Table 5'],
  ['xcvu9p', 'Virtex UltraScale+', 'xcvu9p-flga2104-2L-e', 1182240, 2364480, 6840, 2160, 960, 'DS890 (UltraScale Architecture and Product Overview) Table 7', 'VCU118'],
  ['xcvu13p', 'Virtex UltraScale+', 'xcvu13p-flga2577-2-e', 1728000, 3456000, 12288, 2688, 1280, 'DS890 (UltraScale Architecture and Product Overview) Table 7'],
  ['xczu3eg', 'Zynq UltraScale+', 'xczu3eg-sbva484-1-e', 70560, 141120, 360, 216, 0, 'DS891 (Zynq UltraScale+ MPSoC Overview) Table 2', 'Ultra96'],
  ['xczu4ev', 'Zynq UltraScale+', 'xczu4ev-sfvc784-1-e', 87840, 175680, 728, 128, 48, 'DS891 (Zynq UltraScale+ MPSoC Overview) Table 3'],
  ['xczu5ev', 'Zynq UltraScale+', 'xczu5ev-sfvc784-1-e', 117120, 234240, 1248, 144, 64, 'DS891 (Zynq UltraScale+ MPSoC Overview) Table 3', 'ZCU104'],
  ['xczu7ev', 'Zynq UltraScale+', 'xczu7ev-ffvc1156-2-e', 230400, 460800, 1728, 312, 96, 'DS891 (Zynq UltraScale+ MPSoC Overview) Table 3', 'ZCU106'],
  ['xczu9eg', 'Zynq UltraScale+', 'xczu9eg-ffvb1156-2-e', 274080, 548160, 2520, 912, 0, 'DS891 (Zynq UltraScale+ MPSoC Overview) Table 2', 'ZCU102'],
  ['xcu50', 'Alveo', 'xcu50-fsvh2104-2-e', 871680, 1743360, 5952, 1344, 640, 'DS965 (Alveo U50 Data Sheet)', 'Alveo U50', [2.335, 'report_power xcu50, Tj 34.8 °C (device static, HBM excluded)']],
  ['xcu200', 'Alveo', 'xcu200-fsgd2104-2-e', 1182240, 2364480, 6840, 2160, 960, 'DS962 (Alveo U200 and U250 Data Sheet)', 'Alveo U200'],
  ['xcu250', 'Alveo', 'xcu250-figd2104-2L-e', 1728000, 3456000, 12288, 2688, 1280, 'DS962 (Alveo U200 and U250 Data Sheet)', 'Alveo U250'],
  ['xcu280', 'Alveo', 'xcu280-fsvh2892-2L-e', 1303680, 2607360, 9024, 2016, 960, 'DS963 (Alveo U280 Data Sheet)', 'Alveo U280'],
  ['xcvc1902', 'Versal AI Core', 'xcvc1902-vsva2197-2MP-e-S', 899840, 1799680, 1968, 967, 463, 'DS950 (Versal Architecture and Product Data Sheet: Overview) AI Core table', 'VCK190'],
];

function dspOf(f: Family): DspShape {
  if (f === 'Versal AI Core') return DSP_SHAPES.DSP58;
  return NODE[f] === '28nm' ? DSP_SHAPES.DSP48E1 : DSP_SHAPES.DSP48E2;
}

export const DEVICES: readonly Device[] = ROWS.map(([name, family, example, lut, ff, dsp, bram36, uram, datasheet, board, st]) => {
  const node = STATIC_PER_LUT[NODE[family]];
  return {
    name, family, example, lut, ff, dsp, dspShape: dspOf(family), bram18k: 2 * bram36, uram, datasheet,
    staticW: st ? st[0] : Number((node.rate * lut).toPrecision(3)),
    staticSource: st ? st[1] : node.from,
    ...(board ? { board } : {}),
  };
});

export interface ResolvedPart {
  readonly device: Device;
  /** The name as given. */
  readonly part: string;
  /** Speed grade (1, 2, 2L, 2MP, 3...) when the name carries one. */
  readonly speedGrade?: string;
  /** Temperature grade letter (e commercial/extended, i industrial, q automotive) when given. */
  readonly temperature?: string;
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

function levenshtein(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const t = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = t;
    }
  }
  return d[b.length]!;
}

/**
 * Resolves a part name: base device, then an optional package (ffvc1156, clg400; with or without
 * a dash), then optional -speed grade (-1, -2, -2L, -2MP, -3) and -temperature (-e, -i, -q),
 * then optional further suffixes (-S, -es1).
 */
export function resolvePart(part: string): ResolvedPart {
  const p = part.trim().toLowerCase();
  const byLength = [...DEVICES].sort((x, y) => y.name.length - x.name.length);
  for (const d of byLength) {
    if (!p.startsWith(d.name)) continue;
    const rest = p.slice(d.name.length);
    const m = /^(?:-?([a-z]{1,5}\d{3,4}))?(?:-(\d[a-z]{0,2}))?(?:-([eiq]))?((?:-[a-z0-9]+)*)$/.exec(rest);
    if (!m) continue;
    return {
      device: d, part: part.trim(),
      ...(m[2] ? { speedGrade: m[2].toUpperCase().replace(/^(\d)/, '$1') } : {}),
      ...(m[3] ? { temperature: m[3] } : {}),
    };
  }
  const base = /^[a-z0-9]+?(?=(-|[a-z]{2,5}\d{3,4}(-|$)|$))/.exec(p)?.[0] ?? p;
  const near = [...DEVICES]
    .map((d) => ({ d, dist: Math.min(levenshtein(base, d.name), levenshtein(p, d.example.toLowerCase())), common: commonPrefix(base, d.name) }))
    .sort((x, y) => x.dist - y.dist || y.common - x.common || (x.d.name < y.d.name ? -1 : 1))
    .slice(0, 4)
    .map((x) => `${x.d.name} (${x.d.family}${x.d.board ? `, ${x.d.board}` : ''})`);
  throw new NnInputError(`--part '${part}': unknown part. Nearest known: ${near.join(', ')}. 'nn2hls parts' lists all ${DEVICES.length}.`);
}
