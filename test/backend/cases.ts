/**
 * The backend's test cases, as data: every test/backend/golden/cases/NAME.ir is one small graph
 * in the IR text form (src/ir/print.ts), so backend goldens and C simulations do not depend on
 * any frontend. Leading comment lines may carry directives:
 *   # config: {...}            config (JSON, as for --config: precision sections and an optional
 *                              "hls" section, whose layers/multiplier the tests emit); default ap_fixed<16,6>
 *   # io: parallel stream      io modes to emit (default both)
 * Lookup tables default to 64 entries so the frozen files stay readable (the code is the same
 * at any size). Add a case by adding a file; UPDATE_GOLDEN=1 writes its goldens.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Graph } from '../../src/ir/graph.js';
import { parseGraph } from '../../src/ir/parse.js';
import { cnnCaseGraph } from './cnn-cases.js';
import { type HlsSection, parseConfigDocument, type PrecisionConfig } from '../../src/ir/precision-config.js';

export const CASES_DIR = join(__dirname, 'golden', 'cases');

export const CASE_NAMES = readdirSync(CASES_DIR)
  .filter((f) => f.endsWith('.ir'))
  .map((f) => f.slice(0, -3))
  .sort();

export type Io = 'parallel' | 'stream';

export interface BackendCase {
  readonly name: string;
  readonly graph: Graph;
  readonly config: PrecisionConfig;
  readonly hls: HlsSection;
  readonly io: readonly Io[];
}

/** The emitter options a case's hls section sets (per-layer settings, model-wide multiplier). */
export function caseHlsOptions(c: BackendCase): { layers: HlsSection['layers']; multiplier?: HlsSection['multiplier'] } {
  return { layers: c.hls.layers, ...(c.hls.multiplier ? { multiplier: c.hls.multiplier } : {}) };
}

function directive(text: string, key: string): string | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith('#')) break;
    const m = new RegExp(`^#\\s*${key}:\\s*(.*)$`).exec(line);
    if (m) return m[1]!.trim();
  }
  return undefined;
}

export function backendCase(name: string): BackendCase {
  const file = join(CASES_DIR, `${name}.ir`);
  const text = readFileSync(file, 'utf8');
  const raw = JSON.parse(directive(text, 'config') ?? '{}') as { model?: object };
  const doc = parseConfigDocument({ ...raw, model: { default: 'ap_fixed<16,6>', table_size: 64, ...raw.model } }, `${file} (# config)`);
  const io = (directive(text, 'io') ?? 'parallel stream').split(/\s+/) as Io[];
  if (io.some((m) => m !== 'parallel' && m !== 'stream')) throw new Error(`${file}: '# io:' takes parallel and/or stream`);
  return { name, graph: parseGraph(text, file), config: doc.precision, hls: doc.hls, io };
}

/** The case's float graph: its .ir file, or one of the real-size CNN shapes (cnn-cases.ts). */
export function caseGraph(name: string): Graph {
  return cnnCaseGraph(name) ?? backendCase(name).graph;
}
