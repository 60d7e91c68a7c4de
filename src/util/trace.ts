/**
 * The timeline of one run, for finding where a command's whole-process time goes (issue #13):
 * with NN2HLS_TRACE=1 in the environment, mark(label) records the wall time since the process
 * started and the CPU time of all its threads, on the main thread and on every simulation worker
 * (workers hand their marks to the main thread with their chunk results), and the main thread
 * prints the marks in time order on stderr as the process exits, each with the wall and CPU time
 * since the previous mark of the same thread. Without the variable mark() does nothing.
 */
import { isMainThread, threadId } from 'node:worker_threads';

export const traceOn = Boolean(process.env['NN2HLS_TRACE']);

/** A mark: absolute time (ms since the epoch, fractional) and this process's CPU time (µs). */
export interface TraceMark {
  label: string;
  thread: number;
  at: number;
  cpu: number;
}

const marks: TraceMark[] = [];
/** Marks not yet handed on (a worker's, taken with its next chunk result). */
let fresh = 0;

export function mark(label: string): void {
  if (!traceOn) return;
  const c = process.cpuUsage();
  marks.push({ label, thread: threadId, at: performance.timeOrigin + performance.now(), cpu: c.user + c.system });
}

/** A worker's marks recorded since the last call (undefined when there are none or tracing is off). */
export function takeMarks(): TraceMark[] | undefined {
  if (!traceOn || fresh === marks.length) return undefined;
  const out = marks.slice(fresh);
  fresh = marks.length;
  return out;
}

/** Marks a worker handed over. */
export function addMarks(ms: readonly TraceMark[] | undefined): void {
  if (ms) marks.push(...ms);
}

/** The timeline as text: one line per mark, time order, deltas per thread. */
export function formatTrace(all: readonly TraceMark[] = marks): string {
  const t0 = performance.timeOrigin;
  const last = new Map<number, TraceMark>();
  const lines = ['nn2hls trace (ms since process start; Δ wall and Δ CPU of the whole process since the thread\'s previous mark):'];
  for (const m of [...all].sort((a, b) => a.at - b.at)) {
    const p = last.get(m.thread);
    const dWall = p ? m.at - p.at : m.at - t0;
    const dCpu = p ? (m.cpu - p.cpu) / 1000 : m.cpu / 1000;
    const who = m.thread === 0 ? 'main' : `w${m.thread}`;
    lines.push(`  ${(m.at - t0).toFixed(1).padStart(8)}  ${who.padEnd(4)}  Δ ${dWall.toFixed(1).padStart(7)} wall  ${dCpu.toFixed(1).padStart(7)} cpu  ${m.label}`);
    last.set(m.thread, m);
  }
  return lines.join('\n');
}

if (traceOn && isMainThread) {
  process.on('exit', () => {
    mark('exit');
    process.stderr.write(`${formatTrace()}\n`);
  });
}
