/**
 * The synthesis-loop commands. `nn2hls report DIR...` reads what Vivado/Vitis HLS left in
 * projects (src/synth) and prints it beside the project's estimate — estimate.json, or a fresh
 * one from nn2hls.json when that is missing or was made for another tool than the report's — with
 * the error per quantity and per layer (one project), or one row per project (several, e.g. a sweep). `nn2hls calibrate
 * DIR...` fits the estimator's corrections per tool and device family from those projects and
 * prints the errors before/after (and leave-one-out). `nn2hls sweep MODEL --grid ...` compiles one
 * project per design point (through the `compile` command itself) and writes Slurm and HTCondor
 * submit scripts that run the HLS tool in each.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { applyCalibration, type Calibration, errorTable, FIT_KEYS, type FitKey, fitCalibration, leaveOneOut, type Pair, readCalibrationFile } from '../synth/calibrate.js';
import { compare, type Comparison, type CompareRow, type EstimateJson, readEstimate } from '../synth/compare.js';
import { readProjectReports, type ProjectReports } from '../synth/project.js';
import { toolId } from '../synth/reports.js';
import { gridPoints, parseGrid, type SweepOptions, sweepFiles } from '../synth/sweep.js';
import { NnInputError } from '../util/tensor.js';
import type { LayerHlsOptions } from '../backend-hls/index.js';
import { resolvePart } from '../estimate/devices.js';
import { estimateGraph, estimateJson } from '../estimate/index.js';
import { resolveTool } from '../estimate/tools.js';
import { projectGraph, readSummary } from './csim.js';

function table(rows: string[][], right: ReadonlySet<number>): string {
  const w = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((s, c) => (right.has(c) ? s.padStart(w[c]!) : s.padEnd(w[c]!))).join('  ').trimEnd()).join('\n');
}

const fmt = (x: number | null) => (x === null ? '-' : Number.isInteger(x) ? x.toLocaleString('en-US') : x.toPrecision(4));
const fmtErr = (x: number | null) => (x === null ? '' : `${x >= 0 ? '+' : ''}${x.toFixed(1)}%`);

interface Loaded {
  dir: string;
  reports: ProjectReports;
  estimate: EstimateJson | null;
  estimateProblem: string | null;
  comparison: Comparison;
}

/**
 * The estimate of a project for the tool that synthesised it: estimate.json when it was made for
 * that tool (compile writes it for the default tool), else a fresh estimate from nn2hls.json (same
 * model, precision and options) through the estimator, with a note saying so.
 */
async function projectEstimate(dir: string, reports: ProjectReports): Promise<{ estimate: EstimateJson | null; note: string | null }> {
  const { estimate: saved, problem } = readEstimate(dir);
  const reportTool = reports.csynth?.tool ? toolId(reports.csynth.tool) : null;
  let wanted: string | null = null;
  if (reportTool) {
    try {
      wanted = resolveTool(reportTool).profile.id;
    } catch {
      wanted = null;
    }
  }
  const stale = saved && wanted && saved.tool !== wanted;
  if ((saved && !stale) || !existsSync(join(dir, 'nn2hls.json'))) return { estimate: saved, note: problem };
  try {
    const s = readSummary(dir);
    const o = (JSON.parse(readFileSync(join(dir, 'nn2hls.json'), 'utf8')) as { options: { part: string; clock_ns: number; io: 'parallel' | 'stream'; strategy: 'latency' | 'resource'; reuse: number; layers?: Record<string, LayerHlsOptions> } }).options;
    const g = await projectGraph(s, dir);
    const part = resolvePart(o.part);
    const e = estimateGraph(g, { io: o.io, strategy: o.strategy, reuse: o.reuse, layers: o.layers ?? {} }, { part, clockNs: o.clock_ns, ...(wanted ? { tool: wanted } : {}) });
    const why = stale ? `estimate.json is for ${saved!.tool}, the report for ${reportTool}` : 'no estimate.json';
    return { estimate: { ...(estimateJson(e) as EstimateJson), family: part.device.family }, note: `${dir}: re-estimated for ${e.tool} from nn2hls.json (${why})` };
  } catch (err) {
    const msg = err instanceof NnInputError ? err.message : (err as Error).message;
    return { estimate: saved, note: `${dir}: could not re-estimate from nn2hls.json (${msg})${saved ? `; using estimate.json (${saved.tool})` : ''}` };
  }
}

async function load(dir: string, cal: Calibration | null): Promise<Loaded> {
  const reports = readProjectReports(dir);
  const { estimate: raw, note } = await projectEstimate(dir, reports);
  const estimate = raw && cal ? applyCalibration(cal, raw) : raw;
  return { dir, reports, estimate, estimateProblem: note, comparison: compare(estimate, reports) };
}

function formatOne(l: Loaded): string {
  const r = l.reports;
  const c = r.csynth;
  const out: string[] = [];
  out.push(`${l.dir}: ${r.files.length ? `read ${r.files.join(', ')}` : 'no report files'}`);
  const facts = [
    c?.tool ? `tool ${toolId(c.tool)}${c.tool.certain ? '' : ' (inferred)'}` : null,
    c?.part ? `part ${c.part}` : null,
    c?.targetClockNs !== null && c?.targetClockNs !== undefined ? `target clock ${c.targetClockNs} ns` : null,
    l.estimate ? `estimate: ${l.estimate.tool ?? '?'} on ${l.estimate.part ?? '?'}` : null,
  ].filter(Boolean);
  if (facts.length) out.push(`  ${facts.join('   ')}`);
  const cal = l.estimate?.['calibration'] as { applied?: boolean; tool?: string; family?: string; note?: string } | undefined;
  if (cal) out.push(`  calibration: ${cal.applied ? `${cal.tool} / ${cal.family}` : cal.note}`);
  out.push('');
  const head = ['quantity', 'estimate', 'csynth', 'error', 'post-synth/measured', 'error'];
  const rows = l.comparison.rows
    .filter((x) => x.estimate !== null || x.csynth !== null || x.actual !== null)
    .map((x: CompareRow) => [x.quantity, fmt(x.estimate), fmt(x.csynth), x.csynth !== null ? fmtErr(x.errorPct) : '', x.actual !== null ? `${fmt(x.actual)} (${x.actualSource})` : '-', fmtErr(x.errorVsActualPct)]);
  out.push(table([head, ...rows], new Set([1, 2, 3, 4, 5])));
  if (l.comparison.layers.length) {
    out.push('', 'per layer (estimate / csynth instance):');
    const lh = ['layer', 'instance', 'latency', 'II', 'DSP', 'LUT', 'FF', 'BRAM_18K'];
    const lr = l.comparison.layers.map((x) => [x.layer, x.instance ?? '-', ...x.rows.map((q) => `${fmt(q.estimate)}/${fmt(q.csynth)}${q.errorPct !== null && q.errorPct !== 0 ? ` (${fmtErr(q.errorPct)})` : ''}`)]);
    out.push(table([lh, ...lr], new Set([2, 3, 4, 5, 6, 7])));
  }
  if (l.comparison.unmatched.length && l.estimate) out.push(`  report instances without an estimated layer: ${l.comparison.unmatched.join(', ')}`);
  if (r.power && Object.keys(r.power.byClass).length) {
    out.push(`  power by class (W): ${Object.entries(r.power.byClass).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
  for (const p of [...r.problems, ...(l.estimateProblem ? [l.estimateProblem] : [])]) out.push(`note: ${p}`);
  return out.join('\n');
}

const QCOLS: [FitKey | 'ii', string][] = [['latency_cycles', 'latency'], ['ii', 'II'], ['dsp', 'DSP'], ['lut', 'LUT'], ['ff', 'FF'], ['bram18k', 'BRAM_18K']];

const LABEL: Record<FitKey | 'ii', string> = { latency_cycles: 'latency (cycles)', ii: 'II (cycles)', dsp: 'DSP', lut: 'LUT', ff: 'FF', bram18k: 'BRAM_18K' };

function pickRow(c: Comparison, k: FitKey | 'ii'): CompareRow {
  return c.rows.find((r) => r.quantity === LABEL[k])!;
}

function formatMany(ls: Loaded[]): string {
  const head = ['project', 'tool', ...QCOLS.map(([, n]) => `${n} est/rep`)];
  const rows = ls.map((l) => [
    l.dir, l.reports.csynth ? (l.reports.csynth.tool ? toolId(l.reports.csynth.tool) : '?') : l.reports.synth ? 'synth only' : 'no report',
    ...QCOLS.map(([k]) => {
      const r = pickRow(l.comparison, k);
      return `${fmt(r.estimate)}/${fmt(r.csynth)}${r.csynth !== null && r.errorPct !== null ? ` ${fmtErr(r.errorPct)}` : ''}`;
    }),
  ]);
  const out = [table([head, ...rows], new Set([2, 3, 4, 5, 6, 7]))];
  const med = QCOLS.map(([k, n]) => {
    const errs = ls.map((l) => pickRow(l.comparison, k).errorPct).filter((x): x is number => x !== null).map(Math.abs).sort((a, b) => a - b);
    return errs.length ? `${n} ${(errs.length % 2 ? errs[errs.length >> 1]! : (errs[errs.length / 2 - 1]! + errs[errs.length / 2]!) / 2).toFixed(1)}%` : null;
  }).filter(Boolean);
  const withRep = ls.filter((l) => l.reports.csynth).length;
  out.push('', `${withRep}/${ls.length} projects have a csynth report${med.length ? `; median |error| of the estimate: ${med.join('  ')}` : ''}`);
  const missing = ls.filter((l) => !l.reports.csynth && !l.reports.synth).map((l) => l.dir);
  if (missing.length) out.push(`not synthesised yet: ${missing.join(', ')}`);
  return out.join('\n');
}

function jsonOf(l: Loaded): unknown {
  return {
    dir: l.dir, files: l.reports.files, problems: [...l.reports.problems, ...(l.estimateProblem ? [l.estimateProblem] : [])],
    report: { csynth: l.reports.csynth, synth: l.reports.synth, power: l.reports.power, cosim: l.reports.cosim },
    estimate: l.estimate, comparison: l.comparison,
  };
}

function isProject(d: string): boolean {
  try {
    if (!statSync(d).isDirectory()) return false;
  } catch {
    return false;
  }
  const r = readProjectReports(d);
  return existsSync(join(d, 'nn2hls.json')) || r.csynth !== null || r.synth !== null;
}

/** The (estimate, report) pair of one project for calibration, or why it cannot be one. */
export function projectPair(l: Loaded): Pair | string {
  const c = l.reports.csynth;
  if (!c) return `${l.dir}: no csynth report`;
  if (!l.estimate) return l.estimateProblem ?? `${l.dir}: no estimate`;
  const tool = l.estimate.tool;
  if (!tool) return `${l.dir}: estimate.json names no tool`;
  if (c.tool && !tool.startsWith(`${c.tool.line}-`)) return `${l.dir}: estimated for ${tool} but synthesised with ${toolId(c.tool)}; re-estimate with --tool ${toolId(c.tool)}`;
  const t = l.estimate.total;
  return {
    id: l.dir, tool, family: l.estimate.family ?? 'unknown',
    estimate: { latency_cycles: t.latency_cycles, dsp: t.dsp, lut: t.lut, ff: t.ff, bram18k: t.bram18k },
    report: { latency_cycles: c.latencyWorst, dsp: c.resources.dsp, lut: c.resources.lut, ff: c.resources.ff, bram18k: c.resources.bram18k },
  };
}

export function formatErrors(title: string, before: Record<FitKey, number>, after: Record<FitKey, number>): string {
  const head = ['median |error|', ...FIT_KEYS];
  const f = (x: number) => (Number.isFinite(x) ? `${x.toFixed(1)}%` : '-');
  return `${title}\n${table([head, ['before', ...FIT_KEYS.map((k) => f(before[k]))], ['after', ...FIT_KEYS.map((k) => f(after[k]))]], new Set([1, 2, 3, 4, 5]))}`;
}

export function register(program: Command, freshProgram: (argv: readonly string[]) => Promise<Command>): void {
  program
    .command('report')
    .description('synthesis reports (csynth, post-synthesis utilisation, power, cosim) of projects beside their estimate, with the error per quantity and layer')
    .argument('<dirs...>', 'project directories (after vitis_hls/vivado_hls ran in them); several → one row each')
    .option('--json <file>', 'write the reports, estimates and comparisons as JSON')
    .option('--calibration <file>', 'correct the estimates with a calibration.json (from nn2hls calibrate) first')
    .action(async (dirs: string[], o: { json?: string; calibration?: string }) => {
      const cal = o.calibration ? readCalibrationFile(o.calibration) : null;
      // `report SWEEP/*` also names the sweep's scripts and logs/: several arguments keep projects only.
      // Natural order, so a sweep reads reuse1, reuse2, ..., reuse64 whatever the shell's glob order.
      const keep = dirs.length === 1 ? dirs : dirs.filter((d) => isProject(d)).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
      if (!keep.length) throw new NnInputError(`none of ${dirs.join(', ')} is a project directory (with nn2hls.json or a synthesis report)`);
      const ls: Loaded[] = [];
      for (const d of keep) ls.push(await load(d, cal));
      if (ls.length === 1) {
        const l = ls[0]!;
        if (!l.reports.csynth && !l.reports.synth && !l.estimate) throw new NnInputError(l.reports.problems.join('; '));
        process.stdout.write(`${formatOne(l)}\n`);
      } else process.stdout.write(`${formatMany(ls)}\n`);
      if (o.json) {
        writeFileSync(o.json, `${JSON.stringify(ls.length === 1 ? jsonOf(ls[0]!) : ls.map(jsonOf), null, 2)}\n`);
        process.stdout.write(`wrote ${o.json}\n`);
      }
      if (ls.every((l) => !l.reports.csynth && !l.reports.synth)) throw new NnInputError(`none of the ${ls.length} projects has a synthesis report yet`);
    });

  program
    .command('calibrate')
    .description("fit the estimator's corrections (per tool release and device family) to the synthesis reports of projects")
    .argument('<dirs...>', 'synthesised project directories, each with estimate.json')
    .option('-o, --out <file>', 'write calibration.json (use it with estimate/report --calibration)')
    .action(async (dirs: string[], o: { out?: string }) => {
      const pairs: Pair[] = [];
      for (const d of dirs) {
        const p = projectPair(await load(d, null));
        if (typeof p === 'string') process.stderr.write(`nn2hls: skipped: ${p}\n`);
        else pairs.push(p);
      }
      if (!pairs.length) throw new NnInputError(`no project among the ${dirs.length} given has both a csynth report and estimate.json`);
      const cal = fitCalibration(pairs);
      process.stdout.write(`${pairs.length} designs; ${cal.entries.length} calibration entries (groups need at least 3 designs)\n`);
      for (const e of cal.entries) {
        process.stdout.write(`  ${e.tool} / ${e.family} (${e.points}): DSP ×${e.scale.dsp} LUT ×${e.scale.lut} FF ×${e.scale.ff} BRAM ×${e.scale.bram18k} latency ${e.latency_offset >= 0 ? '+' : ''}${e.latency_offset}\n`);
      }
      process.stdout.write(`${formatErrors('on the designs fitted:', errorTable(pairs, null), errorTable(pairs, cal))}\n`);
      if (pairs.length >= 4) {
        const loo = leaveOneOut(pairs);
        process.stdout.write(`${formatErrors('leave-one-out (each design corrected by a fit on the others):', loo.before, loo.after)}\n`);
      }
      if (o.out) {
        writeFileSync(o.out, `${JSON.stringify(cal, null, 2)}\n`);
        process.stdout.write(`wrote ${o.out}\n`);
      }
    });

  program
    .command('sweep')
    .description('compile one project per design point of a grid, plus Slurm and HTCondor scripts that run HLS synthesis in each')
    .argument('<model>', 'model file')
    .requiredOption('--grid <spec>', "design points, e.g. 'reuse=1,2,4,8' or 'reuse=1,2;precision=ap_fixed<16,6>,ap_fixed<8,3>' (repeatable)", (v: string, p: string[]) => [...p, v], [] as string[])
    .requiredOption('-o, --out <dir>', 'sweep directory (one subdirectory per point)')
    .option('--hls <tool>', 'HLS tool the jobs run: vitis_hls or vivado_hls', 'vitis_hls')
    .option('--time <limit>', 'wall-time limit per job (Slurm --time)', '04:00:00')
    .option('--mem <size>', 'memory per job (Slurm --mem, HTCondor request_memory), e.g. 16G', '16G')
    .option('--partition <name>', 'Slurm partition')
    .option('--compile-args <args>', "further compile flags for every point, e.g. '--part xczu7ev-ffvc1156-2-e --clock 5ns'")
    .action(async (model: string, o: { grid: string[]; out: string; hls: string; time: string; mem: string; partition?: string; compileArgs?: string }) => {
      const grid = parseGrid(o.grid);
      const points = gridPoints(grid);
      const opts: SweepOptions = { hls: o.hls, time: o.time, mem: o.mem, ...(o.partition ? { partition: o.partition } : {}) };
      const extra = (o.compileArgs ?? '').split(/\s+/).filter(Boolean);
      const files = sweepFiles(points, opts); // validates the options before anything is written
      mkdirSync(o.out, { recursive: true });
      const tty = process.stderr.isTTY;
      for (const [i, p] of points.entries()) {
        if (tty) process.stderr.write(`\rsweep: compiling ${i + 1}/${points.length} (${p.dir})   `);
        const argv = ['node', 'nn2hls', 'compile', model, '-o', join(o.out, p.dir), ...p.flags, ...extra];
        await (await freshProgram(argv)).parseAsync(argv);
      }
      if (tty) process.stderr.write('\n');
      for (const [rel, text] of files) {
        const f = join(o.out, rel);
        mkdirSync(join(f, '..'), { recursive: true });
        writeFileSync(f, text, rel.endsWith('.sh') ? { mode: 0o755 } : {});
      }
      process.stdout.write(`${o.out}: ${points.length} projects (${points.map((p) => p.dir).join(', ')})\n`);
      process.stdout.write(`  Slurm:    cd ${o.out} && sbatch submit_slurm.sh        (array of ${points.length} jobs)\n`);
      process.stdout.write(`  HTCondor: cd ${o.out} && condor_submit submit_htcondor.sub\n`);
      process.stdout.write(`  then:     nn2hls report ${join(o.out, '*')}/\n`);
    });
}
