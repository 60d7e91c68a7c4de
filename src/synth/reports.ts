/**
 * Parsers for what Vivado HLS and Vitis HLS leave in a project: the C-synthesis report
 * (`<top>_csynth.rpt`, text, with per-instance rows) and its XML twin (`csynth.xml` /
 * `<top>_csynth.xml`), Vivado's post-synthesis `report_utilization` (hls4ml's `vivado_synth.rpt`),
 * `report_power`, the C/RTL co-simulation report (`<top>_cosim.rpt`) and hls4ml's report
 * dictionaries (`{"CSynthesisReport": {...}}`). The formats drift between releases — Vivado HLS
 * 2019.x/2020.1 call the DSP column `DSP48E`, Vitis HLS 2020.2+ call it `DSP`; 7-series
 * utilisation says `Slice LUTs`, UltraScale says `CLB LUTs`; latencies can be `?` or `undef` — so
 * every table is read by its header names, never by column position, and every missing piece is
 * a recorded problem (a sentence for the user), never an exception. Pure text in, data out; the
 * file system is touched only in project.ts.
 */

export type ToolLine = 'vivado' | 'vitis';

/** A tool release as the reports state it (Vivado HLS 2020.1, Vitis HLS 2023.1.1 → 2023.1). */
export interface ToolVersion {
  readonly line: ToolLine;
  readonly year: number;
  readonly release: number;
  /** False when the report does not say which tool line it came from and we inferred it. */
  readonly certain: boolean;
}

export const toolId = (t: ToolVersion): string => `${t.line}-${t.year}.${t.release}`;

/** The resource classes every report and the estimate share (BRAM counted in 18 Kb halves). */
export interface Resources {
  readonly dsp: number | null;
  readonly lut: number | null;
  readonly ff: number | null;
  readonly bram18k: number | null;
  readonly uram: number | null;
}

export interface InstanceRow extends Resources {
  readonly instance: string;
  readonly module: string;
  readonly latencyMin: number | null;
  readonly latencyMax: number | null;
  readonly iiMin: number | null;
  readonly iiMax: number | null;
}

export interface CsynthReport {
  readonly file: string;
  readonly tool: ToolVersion | null;
  readonly top: string | null;
  readonly part: string | null;
  readonly targetClockNs: number | null;
  readonly estimatedClockNs: number | null;
  readonly latencyBest: number | null;
  readonly latencyWorst: number | null;
  readonly iiMin: number | null;
  readonly iiMax: number | null;
  readonly pipelineType: string | null;
  readonly resources: Resources;
  readonly available: Resources;
  /** Name of the DSP column as the tool spelt it (DSP48E, DSP, ...). */
  readonly dspColumn: string | null;
  readonly instances: readonly InstanceRow[];
  readonly problems: readonly string[];
}

export interface UtilizationReport extends Resources {
  readonly file: string;
  readonly tool: ToolVersion | null;
  readonly device: string | null;
  readonly ramb36: number | null;
  readonly ramb18: number | null;
  readonly problems: readonly string[];
}

export interface PowerReport {
  readonly file: string;
  readonly totalW: number | null;
  readonly dynamicW: number | null;
  readonly staticW: number | null;
  /** Top-level rows of "On-Chip Components" (Clocks, Slice Logic, Signals, Block RAM, DSPs, I/O...). */
  readonly byClass: Readonly<Record<string, number>>;
  readonly problems: readonly string[];
}

export interface CosimReport {
  readonly file: string;
  readonly rtl: string | null;
  readonly status: string | null;
  readonly latencyMin: number | null;
  readonly latencyAvg: number | null;
  readonly latencyMax: number | null;
  readonly iiMin: number | null;
  readonly iiAvg: number | null;
  readonly iiMax: number | null;
  readonly problems: readonly string[];
}

const EMPTY: Resources = { dsp: null, lut: null, ff: null, bram18k: null, uram: null };

/** A number from a report cell: "4.049 ns" → 4.049, "1,234" → 1234, "?"/"undef"/"NA"/"-" → null. */
export function cellNumber(s: string | undefined): number | null {
  if (s === undefined) return null;
  const m = /^\s*~?\s*(-?\d[\d,]*(?:\.\d+)?)/.exec(s);
  return m ? Number(m[1]!.replace(/,/g, '')) : null;
}

/** Maps a resource column header to our class name. */
export function resourceKey(h: string): keyof Resources | null {
  const k = h.trim().toUpperCase();
  if (k === 'BRAM_18K' || k === 'BRAM') return 'bram18k';
  if (/^DSP(48E\d?|58)?S?$/.test(k)) return 'dsp';
  if (k === 'FF') return 'ff';
  if (k === 'LUT') return 'lut';
  if (k === 'URAM') return 'uram';
  return null;
}

/** "2020.1", "2023.1.1 (Build ...)" → year and release. */
function parseVersion(s: string): { year: number; release: number } | null {
  const m = /(20\d\d)\.(\d)/.exec(s);
  return m ? { year: Number(m[1]), release: Number(m[2]) } : null;
}

/** Vitis HLS replaced Vivado HLS from 2020.2 on; 2020.1 shipped both. */
function inferLine(year: number, release: number, dspColumn: string | null): { line: ToolLine; certain: boolean } {
  if (year * 10 + release >= 20202) return { line: 'vitis', certain: true };
  if (year * 10 + release < 20201) return { line: 'vivado', certain: true };
  return { line: dspColumn === 'DSP' ? 'vitis' : 'vivado', certain: false };
}

interface Table {
  /** Header cells (the last header line before the first separator after it; merged when split). */
  readonly head: string[];
  readonly rows: string[][];
  /** Raw (untrimmed) cells per row, for indentation. */
  readonly raw: string[][];
}

const cellsOf = (line: string) => {
  const t = line.trim();
  const inner = t.slice(1, t.endsWith('|') ? -1 : undefined);
  return inner.split('|');
};

/**
 * The ASCII tables of a text block: consecutive lines starting with `|` or `+`. Rows before the
 * second `+---` separator are headers (the last one wins, since the tools split headers over
 * lines: "Latency (cycles)" above "min | max"); the rest are data rows.
 */
export function tablesOf(text: string): Table[] {
  const out: Table[] = [];
  const lines = text.split(/\r?\n/);
  let i = 0;
  while (i < lines.length) {
    if (!/^\s*\+-/.test(lines[i]!)) {
      i++;
      continue;
    }
    const block: string[] = [];
    while (i < lines.length && /^\s*[|+]/.test(lines[i]!)) block.push(lines[i++]!);
    const seps = block.map((l, k) => (/^\s*\+/.test(l) ? k : -1)).filter((k) => k >= 0);
    // Two separators only (top and bottom): a key/value table without a header.
    const headEnd = seps.length >= 3 ? seps[1]! : 0;
    const headLines = block.slice(0, headEnd).filter((l) => /^\s*\|/.test(l));
    const rawRows = block.slice(headEnd).filter((l) => /^\s*\|/.test(l)).map(cellsOf);
    out.push({ head: (headLines.length ? cellsOf(headLines.at(-1)!) : []).map((c) => c.trim()), rows: rawRows.map((r) => r.map((c) => c.trim())), raw: rawRows });
  }
  return out;
}

/** The text between a `== Title` banner and the next banner. */
function section(text: string, title: RegExp): string {
  const parts = text.split(/^={20,}\s*$/m);
  for (let k = 0; k < parts.length; k++) if (title.test(parts[k]!)) return parts[k + 1] ?? '';
  return '';
}

function resourcesFromRow(head: string[], row: string[]): { r: Resources; dspColumn: string | null } {
  const r: { -readonly [k in keyof Resources]: number | null } = { ...EMPTY };
  let dspColumn: string | null = null;
  head.forEach((h, c) => {
    const k = resourceKey(h);
    if (!k) return;
    if (k === 'dsp') dspColumn = h.trim();
    r[k] = cellNumber(row[c]);
  });
  return { r, dspColumn };
}

/** `<top>_csynth.rpt` of Vivado HLS 2017–2020.1 or Vitis HLS 2020.1–2024.x. */
export function parseCsynthRpt(text: string, file = 'csynth.rpt'): CsynthReport {
  const problems: string[] = [];
  const banner = /==\s*(Vivado|Vitis)\s+HLS\s+Report\s+for\s+'([^']+)'/i.exec(text);
  if (!banner) problems.push(`${file}: no "Vivado HLS Report for" / "Vitis HLS Report for" banner; is this a csynth report?`);
  const ver = parseVersion(/\*\s*Version:\s*(.*)/.exec(text)?.[1] ?? '');
  const part = /\*\s*Target device:\s*(\S+)/.exec(text)?.[1] ?? null;

  const perf = section(text, /Performance Estimates/);
  const util = section(text, /Utilization Estimates/);
  if (!perf) problems.push(`${file}: no Performance Estimates section (synthesis did not finish?)`);
  if (!util) problems.push(`${file}: no Utilization Estimates section (synthesis did not finish?)`);

  let targetClockNs: number | null = null;
  let estimatedClockNs: number | null = null;
  let latencyBest: number | null = null;
  let latencyWorst: number | null = null;
  let iiMin: number | null = null;
  let iiMax: number | null = null;
  let pipelineType: string | null = null;
  const latRows = new Map<string, { module: string; lmin: number | null; lmax: number | null; imin: number | null; imax: number | null }>();
  const perfTables = tablesOf(perf);
  for (const t of perfTables) {
    const headJoined = t.head.join('|').toLowerCase();
    if (/clock/.test(headJoined) && /target/.test(headJoined)) {
      const row = t.rows.find((r) => /ns/.test(r[1] ?? '') || cellNumber(r[1]) !== null);
      if (row) {
        targetClockNs = cellNumber(row[1]);
        estimatedClockNs = cellNumber(row[2]);
      }
    }
  }
  // The overall latency summary: the first table after "+ Latency" whose data row starts with cycles.
  const latText = perf.slice(perf.search(/\+\s*Latency/));
  const detailAt = latText.search(/\+\s*Detail/);
  const summaryTables = tablesOf(detailAt >= 0 ? latText.slice(0, detailAt) : latText);
  const sumRow = summaryTables.flatMap((t) => t.rows).find((r) => /^(\d+|\?|undef)$/.test(r[0] ?? ''));
  if (sumRow) {
    // min | max | abs min | abs max | II min | II max | type (II may be a single column in some releases)
    latencyBest = cellNumber(sumRow[0]);
    latencyWorst = cellNumber(sumRow[1]);
    const rest = sumRow.slice(4);
    iiMin = cellNumber(rest[0]);
    iiMax = rest.length >= 3 ? cellNumber(rest[1]) : iiMin;
    const last = rest.at(-1) ?? '';
    pipelineType = cellNumber(last) === null && last !== '' ? last : null;
  } else if (perf) problems.push(`${file}: no latency summary row in Performance Estimates`);
  if (detailAt >= 0) {
    const detail = latText.slice(detailAt);
    const instAt = detail.search(/\*\s*Instance:/);
    const loopAt = detail.search(/\*\s*Loop:/);
    if (instAt >= 0) {
      const instText = detail.slice(instAt, loopAt > instAt ? loopAt : undefined);
      for (const t of tablesOf(instText)) {
        for (const r of t.rows) {
          if (r.length < 8 || !/^(\d+|\?|undef)$/.test(r[2] ?? '')) continue;
          latRows.set(r[0]!, { module: r[1]!, lmin: cellNumber(r[2]), lmax: cellNumber(r[3]), imin: cellNumber(r[6]), imax: cellNumber(r[7]) });
        }
      }
    }
  }

  let resources: Resources = EMPTY;
  let available: Resources = EMPTY;
  let dspColumn: string | null = null;
  const resRows = new Map<string, { module: string; r: Resources }>();
  const summaryAt = util.search(/\*\s*Summary:/);
  const utilDetailAt = util.search(/\+\s*Detail/);
  for (const t of tablesOf(util.slice(Math.max(0, summaryAt), utilDetailAt >= 0 ? utilDetailAt : undefined))) {
    if (!t.head.some((h) => resourceKey(h))) continue;
    const total = t.rows.find((r) => r[0] === 'Total');
    const avail = t.rows.find((r) => r[0] === 'Available');
    if (total) ({ r: resources, dspColumn } = resourcesFromRow(t.head, total));
    if (avail) available = resourcesFromRow(t.head, avail).r;
    break;
  }
  if (util && resources === EMPTY) problems.push(`${file}: no Total row in the utilisation summary`);
  if (utilDetailAt >= 0) {
    const d = util.slice(utilDetailAt);
    const at = d.search(/\*\s*Instance:/);
    if (at >= 0) {
      const next = d.slice(at + 10).search(/\*\s*\w[\w\s/]*:/);
      for (const t of tablesOf(d.slice(at, next >= 0 ? at + 10 + next : undefined))) {
        if (!t.head.some((h) => resourceKey(h))) continue;
        for (const r of t.rows) if (r[0] && r[0] !== 'Total') resRows.set(r[0], { module: r[1] ?? '', r: resourcesFromRow(t.head, r).r });
      }
    }
  }
  const names = [...new Set([...latRows.keys(), ...resRows.keys()])];
  const instances: InstanceRow[] = names.map((n) => {
    const l = latRows.get(n);
    const r = resRows.get(n);
    return {
      instance: n, module: l?.module ?? r?.module ?? '',
      latencyMin: l?.lmin ?? null, latencyMax: l?.lmax ?? null, iiMin: l?.imin ?? null, iiMax: l?.imax ?? null,
      ...(r?.r ?? EMPTY),
    };
  });
  let tool: ToolVersion | null = null;
  if (ver) {
    if (banner) tool = { line: banner[1]!.toLowerCase() as ToolLine, ...ver, certain: true };
    else tool = { ...inferLine(ver.year, ver.release, dspColumn), ...ver };
  } else problems.push(`${file}: no "* Version:" line; tool release unknown`);
  return {
    file, tool, top: banner?.[2] ?? null, part, targetClockNs, estimatedClockNs, latencyBest, latencyWorst, iiMin, iiMax, pipelineType,
    resources, available, dspColumn, instances, problems,
  };
}

/** Text of the first `<tag>` inside `scope` (no attributes in these files). */
function tag(xml: string, name: string): string | null {
  const m = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml);
  return m ? m[1]!.trim() : null;
}

function block(xml: string, name: string): string {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
  return m ? m[1]! : '';
}

function xmlResources(xml: string): { r: Resources; dspColumn: string | null } {
  const r: { -readonly [k in keyof Resources]: number | null } = { ...EMPTY };
  let dspColumn: string | null = null;
  for (const m of xml.matchAll(/<(\w+)>([^<]*)<\/\1>/g)) {
    const k = resourceKey(m[1]!);
    if (!k) continue;
    if (k === 'dsp') dspColumn = m[1]!;
    r[k] = cellNumber(m[2]);
  }
  return { r, dspColumn };
}

/** `csynth.xml` / `<top>_csynth.xml` (a `<profile>` document). No per-instance data. */
export function parseCsynthXml(text: string, file = 'csynth.xml'): CsynthReport {
  const problems: string[] = [];
  if (!/<profile>/.test(text)) problems.push(`${file}: no <profile> element; is this a csynth XML report?`);
  const ver = parseVersion(tag(block(text, 'ReportVersion'), 'Version') ?? '');
  const user = block(text, 'UserAssignments');
  const perf = block(text, 'PerformanceEstimates');
  const lat = block(perf, 'SummaryOfOverallLatency');
  const area = block(text, 'AreaEstimates');
  if (!perf) problems.push(`${file}: no <PerformanceEstimates> (synthesis did not finish?)`);
  if (!area) problems.push(`${file}: no <AreaEstimates> (synthesis did not finish?)`);
  const { r: resources, dspColumn } = xmlResources(block(area, 'Resources'));
  const available = xmlResources(block(area, 'AvailableResources')).r;
  let tool: ToolVersion | null = null;
  if (ver) tool = { ...inferLine(ver.year, ver.release, dspColumn), ...ver };
  else problems.push(`${file}: no <ReportVersion>; tool release unknown`);
  const n = (s: string | null) => cellNumber(s ?? undefined);
  return {
    file, tool, top: tag(user, 'TopModelName'), part: tag(user, 'Part'),
    targetClockNs: n(tag(user, 'TargetClockPeriod')), estimatedClockNs: n(tag(block(perf, 'SummaryOfTimingAnalysis'), 'EstimatedClockPeriod')),
    latencyBest: n(tag(lat, 'Best-caseLatency')), latencyWorst: n(tag(lat, 'Worst-caseLatency')),
    iiMin: n(tag(lat, 'Interval-min')), iiMax: n(tag(lat, 'Interval-max')), pipelineType: tag(perf, 'PipelineType'),
    resources, available, dspColumn, instances: [], problems,
  };
}

/**
 * The text report is the richer one (instances, tool line); the XML fills what it lacks. Where
 * both give a number they come from the same run, so the text one is kept.
 */
export function mergeCsynth(rpt: CsynthReport | null, xml: CsynthReport | null): CsynthReport | null {
  if (!rpt || !xml) return rpt ?? xml;
  const pick = <T>(a: T | null, b: T | null) => (a ?? b);
  const res = (a: Resources, b: Resources): Resources => ({
    dsp: pick(a.dsp, b.dsp), lut: pick(a.lut, b.lut), ff: pick(a.ff, b.ff), bram18k: pick(a.bram18k, b.bram18k), uram: pick(a.uram, b.uram),
  });
  return {
    file: `${rpt.file} + ${xml.file}`,
    tool: rpt.tool?.certain ? rpt.tool : pick(xml.tool, rpt.tool), top: pick(rpt.top, xml.top), part: pick(rpt.part, xml.part),
    targetClockNs: pick(rpt.targetClockNs, xml.targetClockNs), estimatedClockNs: pick(rpt.estimatedClockNs, xml.estimatedClockNs),
    latencyBest: pick(rpt.latencyBest, xml.latencyBest), latencyWorst: pick(rpt.latencyWorst, xml.latencyWorst),
    iiMin: pick(rpt.iiMin, xml.iiMin), iiMax: pick(rpt.iiMax, xml.iiMax), pipelineType: pick(rpt.pipelineType, xml.pipelineType),
    resources: res(rpt.resources, xml.resources), available: res(rpt.available, xml.available), dspColumn: pick(rpt.dspColumn, xml.dspColumn),
    instances: rpt.instances,
    // A section one file lacks but the other has is not a problem of the pair.
    problems: [...rpt.problems, ...xml.problems].filter((p) => !/no (Performance|Utilization|<Perf|<Area)/.test(p) || (rpt.resources.dsp === null && xml.resources.dsp === null)),
  };
}

/** Vivado `report_utilization` (hls4ml's vivado_synth.rpt): post-synthesis resources. */
export function parseUtilization(text: string, file = 'vivado_synth.rpt'): UtilizationReport {
  const problems: string[] = [];
  const tv = /Tool Version\s*:\s*Vivado v\.(\S+)/.exec(text);
  const ver = parseVersion(tv?.[1] ?? '');
  const device = /\|\s*Device\s*:\s*(\S+)/.exec(text)?.[1] ?? null;
  if (!/report_utilization|Utilization Design Information/.test(text)) problems.push(`${file}: not a Vivado report_utilization output`);
  const used = new Map<string, number | null>();
  for (const t of tablesOf(text)) {
    const ui = t.head.findIndex((h) => /^Used$/i.test(h));
    if (ui < 0) continue;
    for (const r of t.rows) {
      const name = (r[0] ?? '').replace(/\*+$/, '').trim();
      if (!used.has(name)) used.set(name, cellNumber(r[ui]));
    }
  }
  const get = (...names: string[]) => {
    for (const n of names) if (used.has(n)) return used.get(n) ?? null;
    return null;
  };
  const lut = get('Slice LUTs', 'CLB LUTs');
  const ff = get('Slice Registers', 'CLB Registers', 'Register as Flip Flop');
  const dsp = get('DSPs');
  const ramb36 = get('RAMB36/FIFO', 'RAMB36');
  const ramb18 = get('RAMB18');
  const tiles = get('Block RAM Tile');
  const uram = get('URAM');
  const bram18k = ramb36 !== null || ramb18 !== null ? 2 * (ramb36 ?? 0) + (ramb18 ?? 0) : tiles !== null ? 2 * tiles : null;
  for (const [k, v] of Object.entries({ LUT: lut, FF: ff, DSP: dsp, BRAM: bram18k })) if (v === null) problems.push(`${file}: no ${k} row in the utilisation tables`);
  return {
    file, tool: ver ? { line: 'vivado', ...ver, certain: true } : null, device, lut, ff, dsp, bram18k, uram, ramb36, ramb18, problems,
  };
}

/** Vivado `report_power`: totals and the top-level on-chip components. */
export function parsePower(text: string, file = 'power.rpt'): PowerReport {
  const problems: string[] = [];
  const kv = new Map<string, number | null>();
  const byClass: Record<string, number> = {};
  for (const t of tablesOf(text)) {
    const pi = t.head.findIndex((h) => /^Power \(W\)$/i.test(h));
    t.rows.forEach((r, k) => {
      if (pi < 0 && r.length === 2) kv.set(r[0]!.replace(/\*+$/, '').trim(), cellNumber(r[1]));
      // Only unindented component rows: sub-rows ("  LUT as Logic") would double-count.
      if (pi >= 0 && /^\s?\S/.test(t.raw[k]![0] ?? '') && !/^(Total|Static Power)$/.test(r[0]!)) {
        const v = cellNumber(r[pi]);
        if (v !== null && r[0]) byClass[r[0]] = v;
      }
    });
  }
  const totalW = kv.get('Total On-Chip Power (W)') ?? null;
  const dynamicW = kv.get('Dynamic (W)') ?? null;
  const staticW = kv.get('Device Static (W)') ?? null;
  if (totalW === null) problems.push(`${file}: no "Total On-Chip Power (W)" row; is this a Vivado report_power output?`);
  return { file, totalW, dynamicW, staticW, byClass, problems };
}

/** `<top>_cosim.rpt`: measured latency and interval of the RTL simulation (the row that passed). */
export function parseCosim(text: string, file = 'cosim.rpt'): CosimReport {
  const rows = tablesOf(text).flatMap((t) => t.rows).filter((r) => /^(Verilog|VHDL|SystemC)$/i.test(r[0] ?? ''));
  const row = rows.find((r) => /pass/i.test(r[1] ?? '')) ?? rows.find((r) => cellNumber(r[2]) !== null) ?? null;
  const n = (k: number) => (row ? cellNumber(row[k]) : null);
  const problems = row ? (/pass/i.test(row[1] ?? '') ? [] : [`${file}: co-simulation status is ${row[1]}`]) : [`${file}: no Verilog/VHDL result row; did cosim run?`];
  return {
    file, rtl: row?.[0] ?? null, status: row?.[1] ?? null,
    latencyMin: n(2), latencyAvg: n(3), latencyMax: n(4), iiMin: n(5), iiAvg: n(6), iiMax: n(7), problems,
  };
}

/**
 * hls4ml's report dictionary (`{"CSynthesisReport": {...}, "VivadoSynthReport": {...}}`), as its
 * CI baselines store it. The file name of the baselines carries the tool (`Vitis__2024.1__...`);
 * pass it as `toolHint`. Intel oneAPI dictionaries are a different tool and are refused.
 */
export function parseReportDict(json: unknown, file = 'report.json', toolHint?: string): { csynth: CsynthReport | null; synth: UtilizationReport | null; problems: string[] } {
  const problems: string[] = [];
  const o = (json ?? {}) as Record<string, unknown>;
  if ('report' in o && !('CSynthesisReport' in o)) return { csynth: null, synth: null, problems: [`${file}: an Intel oneAPI report, not Vivado/Vitis HLS`] };
  const c = o.CSynthesisReport as Record<string, string> | undefined;
  const v = o.VivadoSynthReport as Record<string, string> | undefined;
  if (!c && !v) problems.push(`${file}: neither CSynthesisReport nor VivadoSynthReport in the dictionary`);
  const hint = /(Vivado|Vitis)\w*__?(20\d\d\.\d)/i.exec(toolHint ?? file);
  const tool: ToolVersion | null = hint ? { line: hint[1]!.toLowerCase() as ToolLine, ...parseVersion(hint[2]!)!, certain: true } : null;
  const res = (d: Record<string, string>, prefix = ''): { r: Resources; dspColumn: string | null } => {
    const r: { -readonly [k in keyof Resources]: number | null } = { ...EMPTY };
    let dspColumn: string | null = null;
    for (const [key, val] of Object.entries(d)) {
      if (prefix ? !key.startsWith(prefix) : key.startsWith('Available')) continue;
      const k = resourceKey(key.slice(prefix.length));
      if (!k) continue;
      if (k === 'dsp') dspColumn = key.slice(prefix.length);
      r[k] = cellNumber(String(val));
    }
    return { r, dspColumn };
  };
  let csynth: CsynthReport | null = null;
  if (c) {
    const { r, dspColumn } = res(c);
    const n = (k: string) => cellNumber(c[k] === undefined ? undefined : String(c[k]));
    csynth = {
      file, tool, top: null, part: null, targetClockNs: n('TargetClockPeriod'), estimatedClockNs: n('EstimatedClockPeriod'),
      latencyBest: n('BestLatency'), latencyWorst: n('WorstLatency'), iiMin: n('IntervalMin'), iiMax: n('IntervalMax'), pipelineType: null,
      resources: r, available: res(c, 'Available').r, dspColumn, instances: [], problems: tool ? [] : [`${file}: tool release unknown (not in the file name)`],
    };
  }
  let synth: UtilizationReport | null = null;
  if (v) {
    const { r } = res(v);
    synth = { file, tool: null, device: null, ...r, ramb36: null, ramb18: null, problems: [] };
  }
  return { csynth, synth, problems };
}
