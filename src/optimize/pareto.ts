/**
 * The Pareto front of the candidates `nn2hls optimize` measured: accuracy on the choose set
 * (higher is better) against the objective (lower is better), over the designs that meet the
 * hardware constraints. A candidate is on the front when no other is at least as good in both
 * and better in one; ties in both keep the first measured (lowest id), so the front is
 * deterministic. Also the table the command prints.
 */
import type { Estimate } from '../estimate/index.js';
import { formatPower, formatTime } from '../util/units.js';
import { type Candidate, formatObjective, type Objective } from './evaluate.js';

export function paretoFront(cands: readonly Candidate[]): Candidate[] {
  const sorted = [...cands].sort((a, b) => a.cost - b.cost || b.accuracy - a.accuracy || a.id - b.id);
  const front: Candidate[] = [];
  let bestAcc = -Infinity;
  for (const c of sorted) {
    if (c.accuracy > bestAcc) {
      front.push(c);
      bestAcc = c.accuracy;
    }
  }
  return front;
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

export function resourceCells(e: Estimate): string[] {
  return [
    `${e.total.latency_cycles} (${formatTime(e.total.latency_s, 3)})`, String(e.total.ii), String(e.total.dsp), String(e.total.lut),
    String(e.total.ff), String(e.total.bram18k), formatPower(e.power.total_w, 3),
  ];
}

export function table(rows: string[][], right: ReadonlySet<number>): string {
  const w = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((s, c) => (right.has(c) ? s.padStart(w[c]!) : s.padEnd(w[c]!))).join('  ').trimEnd()).join('\n');
}

/** The front as a table; the chosen design is starred. */
export function formatFront(front: readonly Candidate[], objective: Objective, chosenId: number | undefined): string {
  const head = ['', 'accuracy', objective, 'latency (cycles)', 'II', 'DSP', 'LUT', 'FF', 'BRAM_18K', 'power', 'change'];
  const rows = front.map((c) => [c.id === chosenId ? '*' : '', pct(c.accuracy), formatObjective(c.cost, objective), ...resourceCells(c.estimate), c.label]);
  return table([head, ...rows], new Set([1, 2, 3, 4, 5, 6, 7, 8, 9]));
}
