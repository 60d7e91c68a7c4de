/**
 * A progress bar on stderr for long runs: silent for the first two seconds (short runs print
 * nothing), and never when stderr is not a terminal or CI is set, so logs and pipes stay clean.
 */
export interface Progress {
  update(done: number, total: number): void;
  done(): void;
}

export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  const enabled = Boolean(stream.isTTY) && !process.env['CI'];
  const start = performance.now();
  let shown = false;
  return {
    update(done, total) {
      if (!enabled || performance.now() - start < 2000) return;
      shown = true;
      const w = 30;
      const k = Math.round((w * done) / Math.max(1, total));
      stream.write(`\r${label} [${'#'.repeat(k)}${' '.repeat(w - k)}] ${done}/${total}`);
    },
    done() {
      if (shown) stream.write('\r\x1b[K');
    },
  };
}

/**
 * A one-line status on stderr for a long synchronous step that cannot report fractions (the
 * testbench simulation inside compile, ...): shown at once, erased by done(); like the bar,
 * never when stderr is not a terminal or CI is set.
 */
export function statusLine(label: string, stream: NodeJS.WriteStream = process.stderr): { done(): void } {
  const enabled = Boolean(stream.isTTY) && !process.env['CI'];
  if (enabled) stream.write(`\r${label}...`);
  return {
    done() {
      if (enabled) stream.write('\r\x1b[K');
    },
  };
}
