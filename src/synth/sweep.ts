/**
 * Design-point sweeps for a batch cluster: the grid (`reuse=1,2,4;precision=ap_fixed<16,6>,...`)
 * expanded to points with a directory name and the compile flags of each, and the job files
 * around them — points.txt (one project directory per line; the index a job reads), run_point.sh
 * (runs the HLS tool in one project, C synthesis only), submit_slurm.sh (`sbatch --array`),
 * submit_htcondor.sub (`queue dir from points.txt`) and sweep.json. Pure: data in, file texts out.
 * Both schedulers assume the sweep directory is on a file system the nodes share.
 */
import { NnInputError } from '../util/tensor.js';

/** Grid keys and the compile flag each sets. */
export const GRID_KEYS: Readonly<Record<string, string>> = {
  reuse: '--reuse', precision: '--precision', io: '--io', strategy: '--strategy', clock: '--clock', part: '--part',
};

export interface GridAxis {
  readonly key: string;
  readonly values: readonly string[];
}

export interface SweepPoint {
  readonly dir: string;
  readonly params: Readonly<Record<string, string>>;
  readonly flags: readonly string[];
}

export interface SweepOptions {
  readonly hls: string;
  readonly time: string;
  readonly mem: string;
  readonly partition?: string;
}

/** Splits at commas/semicolons outside <...> (ap_fixed<16,6> keeps its comma). */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '<') depth++;
    if (ch === '>') depth = Math.max(0, depth - 1);
    if ((ch === ',' || ch === ';') && depth === 0) {
      out.push(cur);
      cur = ch === ';' ? '\u0000' : '';
      continue;
    }
    cur += ch;
  }
  out.push(cur);
  return out.map((x) => x.replace(/\u0000/g, '').trim()).filter((x) => x !== '');
}

/** `reuse=1,2,4,precision=ap_fixed<16,6>,ap_fixed<8,3>` (or `;` between keys, or repeated --grid). */
export function parseGrid(specs: readonly string[]): GridAxis[] {
  const axes: { key: string; values: string[] }[] = [];
  for (const spec of specs) {
    for (const item of splitTop(spec)) {
      const m = /^([A-Za-z_]+)\s*=\s*(.*)$/.exec(item);
      if (m) {
        const key = m[1]!.toLowerCase();
        if (!(key in GRID_KEYS)) throw new NnInputError(`--grid: unknown key '${m[1]}'; the grid can vary ${Object.keys(GRID_KEYS).join(', ')}`);
        if (axes.some((a) => a.key === key)) throw new NnInputError(`--grid: '${key}' is given twice; list all its values once (${key}=a,b,c)`);
        axes.push({ key, values: m[2]!.trim() ? [m[2]!.trim()] : [] });
      } else if (axes.length) axes.at(-1)!.values.push(item);
      else throw new NnInputError(`--grid '${spec}': expected KEY=V1,V2,... (e.g. reuse=1,2,4,8)`);
    }
  }
  if (!axes.length) throw new NnInputError("--grid: no axis; e.g. --grid 'reuse=1,2,4,8'");
  for (const a of axes) {
    if (!a.values.length) throw new NnInputError(`--grid: '${a.key}' has no values`);
    if (new Set(a.values).size !== a.values.length) throw new NnInputError(`--grid: '${a.key}' repeats a value (${a.values.join(', ')})`);
    if (a.key === 'reuse') for (const v of a.values) if (!/^[1-9]\d*$/.test(v)) throw new NnInputError(`--grid: reuse '${v}' is not a positive integer`);
  }
  return axes;
}

const slug = (v: string) => v.replace(/[^A-Za-z0-9.]+/g, '_').replace(/^_+|_+$/g, '') || 'x';

/** The cartesian product, first axis slowest; directory names are unique and file-system safe. */
export function gridPoints(axes: readonly GridAxis[]): SweepPoint[] {
  let acc: Record<string, string>[] = [{}];
  for (const a of axes) acc = acc.flatMap((p) => a.values.map((v) => ({ ...p, [a.key]: v })));
  const seen = new Set<string>();
  return acc.map((params) => {
    const dir = axes.map((a) => `${a.key}${slug(params[a.key]!)}`).join('_');
    if (seen.has(dir)) throw new NnInputError(`--grid: two points map to the directory '${dir}'; make the values differ in letters or digits`);
    seen.add(dir);
    return { dir, params, flags: axes.flatMap((a) => [GRID_KEYS[a.key]!, params[a.key]!]) };
  });
}

const shellSafe = (s: string, what: string) => {
  if (!/^[A-Za-z0-9_.:+-]+$/.test(s)) throw new NnInputError(`${what} '${s}': only letters, digits and _ . : + - are allowed`);
  return s;
};

export function sweepFiles(points: readonly SweepPoint[], o: SweepOptions): Map<string, string> {
  if (o.hls !== 'vitis_hls' && o.hls !== 'vivado_hls') throw new NnInputError(`--hls must be vitis_hls or vivado_hls, got '${o.hls}'`);
  if (!/^(\d+-)?\d{1,3}(:\d\d){0,2}$/.test(o.time)) throw new NnInputError(`--time '${o.time}': expected Slurm's [D-]HH:MM:SS (e.g. 04:00:00)`);
  const mem = /^(\d+)\s*([MGT])B?$/i.exec(o.mem);
  if (!mem) throw new NnInputError(`--mem '${o.mem}': expected a size like 16G or 8000M`);
  const memSlurm = `${mem[1]}${mem[2]!.toUpperCase()}`;
  const memCondor = `${mem[1]}${mem[2]!.toUpperCase()}B`;
  const partition = o.partition ? shellSafe(o.partition, '--partition') : null;
  const n = points.length;
  const files = new Map<string, string>();
  files.set('points.txt', `${points.map((p) => p.dir).join('\n')}\n`);
  files.set('run_point.sh', `#!/bin/bash
# Runs C synthesis of one design point of this nn2hls sweep: ./run_point.sh POINT_DIR
# (the HLS tool must be on PATH: source Vivado/Vitis settings64.sh in the job environment).
# NN2HLS_HLS overrides the tool (vitis_hls or vivado_hls); NN2HLS_COSIM=1 adds C/RTL co-simulation.
set -euo pipefail
point="\${1:?usage: run_point.sh POINT_DIR}"
hls="\${NN2HLS_HLS:-${o.hls}}"
cd "$point"
export NN2HLS_CSIM="\${NN2HLS_CSIM:-0}" NN2HLS_SYNTH=1 NN2HLS_COSIM="\${NN2HLS_COSIM:-0}"
echo "nn2hls sweep: $hls in $(pwd) on $(hostname) at $(date -u +%FT%TZ)"
"$hls" -f build_prj.tcl > hls.log 2>&1 || { echo "nn2hls sweep: $hls failed in $point; see $point/hls.log" >&2; exit 1; }
echo "nn2hls sweep: done $point"
`);
  files.set('submit_slurm.sh', `#!/bin/bash
# Slurm job array over the ${n} design points of this nn2hls sweep.
# Submit from this directory (it must be visible to the compute nodes): sbatch submit_slurm.sh
#SBATCH --job-name=nn2hls-sweep
#SBATCH --array=0-${n - 1}
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=1
#SBATCH --mem=${memSlurm}
#SBATCH --time=${o.time}
#SBATCH --output=logs/slurm-%A_%a.out
${partition ? `#SBATCH --partition=${partition}\n` : ''}set -euo pipefail
cd "\${SLURM_SUBMIT_DIR:?run this script with sbatch}"
mapfile -t points < points.txt
point="\${points[\${SLURM_ARRAY_TASK_ID:?not a Slurm array job}]}"
exec ./run_point.sh "$point"
`);
  files.set('submit_htcondor.sub', `# HTCondor cluster of the ${n} design points of this nn2hls sweep (one job per line of points.txt).
# Submit from this directory, on a file system the execute nodes share: condor_submit submit_htcondor.sub
universe              = vanilla
executable            = run_point.sh
arguments             = $(dir)
getenv                = True
should_transfer_files = NO
request_cpus          = 1
request_memory        = ${memCondor}
log                   = logs/htcondor.log
output                = logs/$(dir).out
error                 = logs/$(dir).err
queue dir from points.txt
`);
  files.set('logs/README', 'Scheduler logs of the sweep jobs (Slurm: slurm-<job>_<index>.out; HTCondor: <point>.out/.err, htcondor.log).\n');
  files.set('sweep.json', `${JSON.stringify({ nn2hls_sweep: 1, hls: o.hls, points: points.map((p, i) => ({ index: i, dir: p.dir, params: p.params })) }, null, 2)}\n`);
  return files;
}
