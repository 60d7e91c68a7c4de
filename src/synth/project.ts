/**
 * Finds and reads the synthesis reports of one project directory: the C-synthesis report of the
 * top function (`<prj>/solution1/syn/report/<top>_csynth.rpt|.xml`, or `csynth.rpt|.xml`, or a
 * report copied next to nn2hls.json), Vivado's post-synthesis utilisation (`vivado_synth.rpt`,
 * `*utilization*.rpt`), `report_power` output (`*power*.rpt`), the co-simulation report
 * (`<top>_cosim.rpt`) and hls4ml report dictionaries (`*.json` with "CSynthesisReport"). Which
 * files were read and every problem found go into the result, so `report` can say what is missing
 * instead of failing.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import {
  type CosimReport, type CsynthReport, mergeCsynth, parseCosim, parseCsynthRpt, parseCsynthXml, parsePower, parseReportDict, parseUtilization,
  type PowerReport, type UtilizationReport,
} from './reports.js';

export interface ProjectReports {
  readonly dir: string;
  /** Top function name from nn2hls.json (or the report), when known. */
  readonly top: string | null;
  /** Layer name → C identifier (its config struct is cfg_<id>), from nn2hls.json. */
  readonly layerIds: Readonly<Record<string, string>>;
  readonly files: readonly string[];
  readonly csynth: CsynthReport | null;
  readonly synth: UtilizationReport | null;
  readonly power: PowerReport | null;
  readonly cosim: CosimReport | null;
  readonly problems: readonly string[];
}

const SKIP_DIRS = new Set(['node_modules', '.git', 'firmware', 'tb_data', 'tb', '.autopilot', 'verilog', 'vhdl', 'systemc', 'impl', 'sim']);

/** Files under `dir` (depth-limited; the directories that only hold sources or RTL are skipped). */
function listFiles(dir: string, depth = 6): string[] {
  const out: string[] = [];
  const walk = (d: string, k: number) => {
    let names: string[];
    try {
      names = readdirSync(d).sort();
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      let st;
      try {
        st = statSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) {
        // cosim reports live under sim/report: keep that one path into sim/.
        if (k > 0 && (!SKIP_DIRS.has(n) || (n === 'sim' && existsSync(join(p, 'report'))))) walk(n === 'sim' ? join(p, 'report') : p, k - 1);
      } else if (st.isFile() && st.size < 64 * 1024 * 1024) out.push(p);
    }
  };
  walk(dir, depth);
  return out;
}

function projectInfo(dir: string): { top: string | null; layerIds: Record<string, string> } {
  const p = join(dir, 'nn2hls.json');
  const none = { top: null, layerIds: {} };
  if (!existsSync(p)) return none;
  try {
    const j = JSON.parse(readFileSync(p, 'utf8')) as { name?: unknown; layers?: unknown };
    const layerIds: Record<string, string> = {};
    if (Array.isArray(j.layers)) for (const l of j.layers as { name?: unknown; id?: unknown }[]) if (typeof l.name === 'string' && typeof l.id === 'string') layerIds[l.name] = l.id;
    return { top: typeof j.name === 'string' ? j.name : null, layerIds };
  } catch {
    return none;
  }
}

/**
 * The csynth report of the top among several per-module ones: `<top>_<suffix>` when the top is
 * known, else the plain `csynth.*` (the tools name the top's report so), else the module report
 * with the largest resource total (the top contains every other module).
 */
function pickTop(files: string[], suffix: string, top: string | null, parse?: (f: string) => CsynthReport): string | null {
  // Vitis HLS 2022+ also writes a "Synthesis Summary Report" csynth.rpt in another layout; the
  // classic per-module report of the top sits beside it.
  const c = files.filter((f) => basename(f).endsWith(suffix) && !/Synthesis Summary Report/.test(readFileSync(f, 'utf8').slice(0, 400)));
  if (!c.length) return null;
  const exact = top ? c.find((f) => basename(f) === `${top}_${suffix}`) : undefined;
  const plain = c.find((f) => basename(f) === suffix);
  if (exact ?? plain) return (exact ?? plain)!;
  if (c.length === 1 || !parse) return c[0]!;
  const size = (r: CsynthReport) => (r.resources.lut ?? 0) + (r.resources.ff ?? 0) + 1e3 * (r.resources.dsp ?? 0) + r.instances.length;
  return [...c].map((f) => ({ f, n: size(parse(f)) })).sort((a, b) => b.n - a.n || a.f.length - b.f.length)[0]!.f;
}

/** The first ERROR line of the HLS log a sweep job leaves (hls.log, vitis_hls.log, vivado_hls.log). */
function hlsFailure(files: string[]): string | null {
  const log = files.find((f) => /^(hls|vitis_hls|vivado_hls)\.log$/.test(basename(f)));
  if (!log) return null;
  const m = /^ERROR:.*$/m.exec(readFileSync(log, 'utf8'));
  return m ? `${basename(log)}: ${m[0].slice(0, 300)}` : null;
}

export function readProjectReports(dir: string): ProjectReports {
  const problems: string[] = [];
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    return { dir, top: null, layerIds: {}, files: [], csynth: null, synth: null, power: null, cosim: null, problems: [`${dir}: not a directory`] };
  }
  const { top, layerIds } = projectInfo(dir);
  const files = listFiles(dir);
  const used: string[] = [];
  const read = (f: string) => {
    used.push(relative(dir, f) || basename(f));
    return readFileSync(f, 'utf8');
  };
  const rel = (f: string) => relative(dir, f) || basename(f);
  const text = (f: string) => readFileSync(f, 'utf8');
  const rptFile = pickTop(files, 'csynth.rpt', top, (f) => parseCsynthRpt(text(f)));
  const xmlFile = pickTop(files, 'csynth.xml', top, (f) => parseCsynthXml(text(f)));
  const rpt = rptFile ? parseCsynthRpt(read(rptFile), rel(rptFile)) : null;
  const xml = xmlFile ? parseCsynthXml(read(xmlFile), rel(xmlFile)) : null;
  let csynth = mergeCsynth(rpt, xml);
  let synth: UtilizationReport | null = null;
  const utilFile = files.find((f) => basename(f) === 'vivado_synth.rpt') ?? files.find((f) => /utili[sz]ation.*\.rpt$/i.test(basename(f)));
  if (utilFile) synth = parseUtilization(read(utilFile), rel(utilFile));
  if (!csynth || !synth) {
    for (const f of files.filter((x) => x.endsWith('.json') && basename(x) !== 'nn2hls.json' && basename(x) !== 'estimate.json')) {
      let j: unknown;
      try {
        j = JSON.parse(readFileSync(f, 'utf8'));
      } catch {
        continue;
      }
      if (!j || typeof j !== 'object' || !('CSynthesisReport' in j || 'VivadoSynthReport' in j)) continue;
      const d = parseReportDict(j, rel(f));
      used.push(rel(f));
      csynth ??= d.csynth;
      synth ??= d.synth;
      problems.push(...d.problems);
    }
  }
  const powerFile = files.find((f) => /power.*\.rpt$/i.test(basename(f)));
  const power = powerFile ? parsePower(read(powerFile), rel(powerFile)) : null;
  const cosimFile = pickTop(files, 'cosim.rpt', top);
  const cosim = cosimFile ? parseCosim(read(cosimFile), rel(cosimFile)) : null;
  const failed = !csynth ? hlsFailure(files) : null;
  if (failed) problems.push(`${dir}: HLS failed — ${failed}`);
  if (!csynth && !synth) {
    problems.push(`${dir}: no synthesis report found (looked for *_csynth.rpt, csynth.xml, vivado_synth.rpt, hls4ml report .json); run \`vitis_hls -f build_prj.tcl\` (or vivado_hls) in the project first`);
  }
  for (const r of [csynth, synth, power, cosim]) if (r) problems.push(...r.problems);
  return { dir, top: top ?? csynth?.top ?? null, layerIds, files: used, csynth, synth, power, cosim, problems };
}
