/**
 * The precision search of `nn2hls optimize`: coordinate descent over per-layer types, guided by
 * sensitivity. Starting from the calibrated auto config (16-bit, ranges with margin):
 * 1. every weight and result type and every graph input is visited in order of the layer's SNR
 *    in the start design (highest first: a layer far above the noise floor gives bits away
 *    cheaply), and its width is binary-searched down to the narrowest that keeps the choose-set
 *    accuracy and the share of stable samples at or above their targets, integer bits fixed
 *    (fraction bits go); then the integer bits of results and inputs are tightened (one integer
 *    and one total bit less, same resolution) while the accuracy holds;
 * 2. then, with the layer types settled, the types the IR derives unless named: each layer's
 *    accumulator (from the derived exact width down, then its integer bits), each lookup table's
 *    entry type (Sigmoid/Tanh `table`, Softmax `exp_table` and `inv_table`, the same two steps) and
 *    each table layer's table_size (halved while the accuracy holds);
 * 3. a last sweep tries one bit less on every type, now that the others are narrowed.
 * Every probe is screened (screen.ts): a probe that cannot reach the targets is rejected as soon
 * as that is certain, the others are measured in full and estimated, and kept in the evaluator's
 * history for the Pareto front. A change is kept only when it meets the accuracy targets, misses no
 * more hardware constraints than the current design, and does not raise the objective. Feasibility in width is assumed monotone (narrower never more
 * accurate), which is what makes the binary search a handful of probes per type. Deterministic:
 * no randomness and no clock in any decision; the budget only ever cuts the search short (and the
 * result says so).
 */
import { fixedType, type FixedType } from '../ir/fixed.js';
import type { Graph } from '../ir/graph.js';
import { DEFAULT_TABLE_SIZE, type LevelSpec, type PrecisionConfig } from '../ir/precision-config.js';
import type { Candidate, Evaluator } from './evaluate.js';
import type { Gate } from './screen.js';

export type TypeVar = 'weight' | 'result' | 'input' | 'accum' | 'table' | 'exp_table' | 'inv_table';
export type TunableVar = TypeVar | 'table_size';

export interface Tunable {
  /** Layer name (IR node) or graph input model name. */
  readonly name: string;
  readonly v: TunableVar;
}

export const tunableKey = (t: Tunable) => (t.v === 'input' ? `input ${t.name}` : `${t.name}.${t.v}`);

/** Types the quantize pass derived on a graph (accumulators, table entries) and table sizes, by tunable key. */
export interface Derived {
  readonly types: ReadonlyMap<string, FixedType>;
  readonly tableSizes: ReadonlyMap<string, number>;
}

/** IR table keys (node.prec.tables) and the config variable that types each. */
const TABLE_VARS: Readonly<Record<string, TypeVar>> = { f: 'table', exp: 'exp_table', inv: 'inv_table' };

export function derivedOf(qg: Graph, cfg: PrecisionConfig): Derived {
  const types = new Map<string, FixedType>();
  const tableSizes = new Map<string, number>();
  for (const n of qg.nodes) {
    if (n.prec?.accum) types.set(`${n.name}.accum`, n.prec.accum);
    let tables = false;
    for (const [k, s] of Object.entries(n.prec?.tables ?? {})) {
      const v = TABLE_VARS[k];
      const t = qg.values.get(s.value)?.fixed;
      if (!v || !t) continue;
      types.set(`${n.name}.${v}`, t);
      tables = true;
    }
    if (tables) tableSizes.set(n.name, cfg.layers[n.name]?.tableSize ?? cfg.opTypes[n.op]?.tableSize ?? cfg.model.tableSize ?? DEFAULT_TABLE_SIZE);
  }
  return { types, tableSizes };
}

export function getType(cfg: PrecisionConfig, t: Tunable, derived?: Derived): FixedType | undefined {
  if (t.v === 'table_size') return undefined;
  const own = t.v === 'input' ? cfg.inputs[t.name] : cfg.layers[t.name]?.types[t.v];
  return own ?? derived?.types.get(tunableKey(t));
}

function withLevel(cfg: PrecisionConfig, name: string, f: (l: LevelSpec) => LevelSpec): PrecisionConfig {
  return { ...cfg, layers: { ...cfg.layers, [name]: f(cfg.layers[name] ?? { types: {} }) } };
}

export function withType(cfg: PrecisionConfig, t: Tunable, ty: FixedType): PrecisionConfig {
  if (t.v === 'input') return { ...cfg, inputs: { ...cfg.inputs, [t.name]: ty } };
  if (t.v === 'table_size') throw new Error('withType: table_size is not a type');
  const v = t.v;
  return withLevel(cfg, t.name, (l) => ({ ...l, types: { ...l.types, [v]: ty } }));
}

export function withTableSize(cfg: PrecisionConfig, name: string, size: number): PrecisionConfig {
  return withLevel(cfg, name, (l) => ({ ...l, tableSize: size }));
}

const reshape = (t: FixedType, width: number, int: number) => fixedType(width, int, { signed: t.signed, q: t.q, o: t.o, n: Math.min(t.n, width) });

/** The weight, result and input types of a config, in sensitivity order (layers by start SNR, highest first; then inputs). */
export function tunables(cfg: PrecisionConfig, snr: Readonly<Record<string, number | null>>): Tunable[] {
  const layerNames = Object.keys(cfg.layers);
  const s = (n: string) => (snr[n] === null ? Infinity : (snr[n] ?? -Infinity));
  const order = layerNames.map((n, i) => ({ n, i })).sort((a, b) => s(b.n) - s(a.n) || a.i - b.i);
  const out: Tunable[] = [];
  for (const { n } of order) {
    const types = cfg.layers[n]!.types;
    if (types.weight) out.push({ name: n, v: 'weight' });
    if (types.result) out.push({ name: n, v: 'result' });
  }
  for (const n of Object.keys(cfg.inputs)) out.push({ name: n, v: 'input' });
  return out;
}

/** The derived types (accumulators, table entries) and table sizes, in the same layer order as `tunables`. */
export function derivedTunables(order: readonly Tunable[], derived: Derived): Tunable[] {
  const layers = [...new Set(order.filter((t) => t.v !== 'input').map((t) => t.name))];
  for (const k of [...derived.types.keys(), ...[...derived.tableSizes.keys()].map((n) => `${n}.table_size`)]) {
    const name = k.slice(0, k.lastIndexOf('.'));
    if (!layers.includes(name)) layers.push(name);
  }
  const out: Tunable[] = [];
  for (const name of layers) {
    for (const v of ['accum', 'table', 'exp_table', 'inv_table'] as const) if (derived.types.has(`${name}.${v}`)) out.push({ name, v });
    if (derived.tableSizes.has(name)) out.push({ name, v: 'table_size' });
  }
  return out;
}

export interface SearchOptions {
  /** Choose-set accuracy every kept change must reach. */
  readonly target: number;
  /** Share of stable samples (evaluate.ts, Measured.stable) every kept change must reach (guards against changes that only happen to keep the count). */
  readonly agreement: number;
  /** Narrowest width tried. */
  readonly minWidth?: number;
  /** Smallest table_size tried. */
  readonly minTableSize?: number;
  /** Wall-clock deadline (performance.now() value): a safety limit, never part of a decision. */
  readonly deadline: number;
  /** Search accumulators, table types and table sizes too (default true). */
  readonly derived?: boolean;
  readonly onProbe?: (c: Candidate | null, probes: number) => void;
}

export interface SearchResult {
  readonly start: Candidate;
  /** The candidate the descent ended on (meets the accuracy target unless the start did not). */
  readonly final: Candidate;
  readonly probes: number;
  readonly stoppedByBudget: boolean;
}

export function searchPrecision(ev: Evaluator, start: Candidate, o: SearchOptions): SearchResult {
  let probes = 0;
  let stopped = false;
  const minW = o.minWidth ?? 2;
  const gate: Gate = { target: o.target, agreement: o.agreement };
  let cur = start;
  /** A probe: null when the budget is spent (`stopped`) or when it misses the targets or raises the objective. */
  const probe = (cfg: PrecisionConfig, label: string): Candidate | null => {
    if (stopped || performance.now() > o.deadline) {
      stopped = true;
      return null;
    }
    const c = ev.evaluate(cfg, label, gate);
    probes++;
    o.onProbe?.(c, probes);
    if (!c || c.accuracy < o.target || c.stable < o.agreement) return null;
    // Never trade a constraint for the objective (a design missing a resource limit can be
    // faster): fewer misses win, then the objective must not rise.
    if (c.violations.length > cur.violations.length || (c.violations.length === cur.violations.length && c.cost > cur.cost)) return null;
    ev.screen.adoptLast(); // the caller keeps it: later probes share its prefix
    return c;
  };

  /**
   * Per type, the widest width (at its integer bits) seen to miss the targets. With the others
   * only ever narrowed since, a retry would miss again (the monotone assumption), so the last
   * sweep skips it: no redundant probes.
   */
  const failed = new Map<string, { width: number; int: number }>();
  /** Binary search of one type's width (integer bits fixed), then its integer bits unless it is a weight. */
  const narrow = (t: Tunable, derived: Derived | undefined, onlyOneBit: boolean) => {
    const ty = getType(cur.cfg, t, derived);
    if (!ty) return;
    const miss = failed.get(tunableKey(t));
    if (onlyOneBit && miss && miss.int === ty.int && miss.width >= ty.width - 1) return;
    const fail = (w: number, i: number) => {
      const m = failed.get(tunableKey(t));
      if (!m || m.int !== i || m.width < w) failed.set(tunableKey(t), { width: w, int: i });
    };
    // hi is known good (the current design); later sweeps only try one bit less.
    let lo = Math.max(minW, 1 + (ty.signed ? 1 : 0), onlyOneBit ? ty.width - 1 : 0);
    let hi = ty.width;
    while (lo < hi && !stopped) {
      const mid = Math.floor((lo + hi) / 2);
      const c = probe(withType(cur.cfg, t, reshape(ty, mid, ty.int)), `${tunableKey(t)} width ${mid}`);
      if (c) {
        hi = mid;
        cur = c;
      } else {
        if (!stopped) fail(mid, ty.int);
        lo = mid + 1;
      }
    }
    // Integer bits: one integer and one total bit less keeps the resolution and gives up range.
    if (t.v === 'weight' || onlyOneBit) return;
    for (let k = 0; k < 4 && !stopped; k++) {
      const t0 = getType(cur.cfg, t, derived)!;
      if (t0.width - 1 < lo - 1 || t0.width - 1 < minW) break;
      const c = probe(withType(cur.cfg, t, reshape(t0, t0.width - 1, t0.int - 1)), `${tunableKey(t)} int ${t0.int - 1} width ${t0.width - 1}`);
      if (!c) break;
      cur = c;
    }
  };

  /** Binary search of a table layer's table_size over powers of two. */
  const shrinkTable = (name: string, size: number) => {
    let lo = Math.ceil(Math.log2(o.minTableSize ?? 32));
    let hi = Math.floor(Math.log2(size));
    if (2 ** hi !== size) {
      const c = probe(withTableSize(cur.cfg, name, 2 ** hi), `${name}.table_size ${2 ** hi}`);
      if (!c) return;
      cur = c;
    }
    while (lo < hi && !stopped) {
      const mid = Math.floor((lo + hi) / 2);
      const c = probe(withTableSize(cur.cfg, name, 2 ** mid), `${name}.table_size ${2 ** mid}`);
      if (c) {
        hi = mid;
        cur = c;
      } else lo = mid + 1;
    }
  };

  const order = tunables(start.cfg, start.snr);
  for (const t of order) if (!stopped) narrow(t, undefined, false);
  let extra: Tunable[] = [];
  if (o.derived !== false && !stopped) {
    // Derived from the narrowed layer types: what the accumulators and tables are now.
    const derived = derivedOf(ev.quantize(cur.cfg), cur.cfg);
    extra = derivedTunables(order, derived);
    for (const t of extra) {
      if (stopped) break;
      if (t.v === 'table_size') shrinkTable(t.name, derived.tableSizes.get(t.name)!);
      else narrow(t, derived, false);
    }
  }
  // Last sweep: one bit less on every type, now that the others are narrowed (the derived ones
  // are named in the config by now when the search changed them; the others stay derived).
  if (!stopped && cur.id !== start.id) for (const t of [...order, ...extra]) if (!stopped && t.v !== 'table_size' && getType(cur.cfg, t)) narrow(t, undefined, true);
  return { start, final: cur, probes, stoppedByBudget: stopped };
}
