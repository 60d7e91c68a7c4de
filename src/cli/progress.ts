/**
 * A progress line on stderr for long runs: silent for the first two seconds (short runs print
 * nothing), and never when stderr is not a terminal, CI is set or the user asked for --quiet,
 * so logs and pipes stay clean. Shows done/total, samples per second and the time left.
 */
export interface Progress {
  update(done: number, total: number): void;
  done(): void;
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(0)} s`;
  return `${Math.floor(s / 60)} min ${String(Math.round(s % 60)).padStart(2, '0')} s`;
}

export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr, quiet = false): Progress {
  const enabled = !quiet && Boolean(stream.isTTY) && !process.env['CI'];
  const start = performance.now();
  let shown = false;
  return {
    update(done, total) {
      const ms = performance.now() - start;
      if (!enabled || ms < 2000) return;
      shown = true;
      const w = 30;
      const k = Math.round((w * done) / Math.max(1, total));
      const rate = (done / ms) * 1000;
      const eta = rate > 0 ? (total - done) / rate : Infinity;
      stream.write(
        `\r${label} [${'#'.repeat(k)}${' '.repeat(w - k)}] ${done}/${total}  ${Math.round(rate).toLocaleString('en-US')} samples/s  ETA ${formatSeconds(eta)}\x1b[K`,
      );
    },
    done() {
      if (shown) stream.write('\r\x1b[K');
    },
  };
}
