/**
 * The pass contract and the one rewrite driver. A pass is `{name, run(g): Graph}` and returns
 * a new graph (the IR is immutable). Local rewrites are written as rules: a pattern that looks
 * at one node in context and either declines (returns null) or returns the replacement — new
 * nodes, new constant values, and a map of old value names to new ones. The driver applies
 * rules in node order until none fires, drops values nothing uses any more, and keeps the
 * graph's inputs and outputs where they are. A rule set that rewrites a graph back into one it
 * produced before would loop forever; the driver fingerprints every graph it reaches and stops
 * at the first repeat, naming the rules and nodes of the cycle, instead of spinning until a
 * step limit (which remains only as a backstop for rules that grow the graph without end).
 */
import { consumers, type Graph, isConst, type Node, producers, type Value } from '../ir/graph.js';

export interface Pass {
  readonly name: string;
  run(g: Graph): Graph;
}

/** What a rule sees: the graph, and who consumes and produces each value. */
export interface RuleContext {
  readonly g: Graph;
  readonly uses: ReadonlyMap<string, number[]>;
  readonly producer: ReadonlyMap<string, Node>;
  /** True when the value is a graph output (it must keep its name and meaning). */
  isOutput(value: string): boolean;
  constOf(value: string): (Value & { data: Float32Array | Float64Array }) | undefined;
}

export interface Rewrite {
  /** Nodes (by index) the rewrite removes; the replacement goes where the last of them was. */
  readonly remove: readonly number[];
  readonly add: readonly Node[];
  readonly values?: readonly Value[];
  /** Old value name -> new value name, applied to every later consumer and graph output. */
  readonly rename?: ReadonlyMap<string, string>;
}

export type Rule = (n: Node, index: number, ctx: RuleContext) => Rewrite | null;

function context(g: Graph): RuleContext {
  const outs = new Set(g.outputs.map((o) => o.value));
  return {
    g,
    uses: consumers(g),
    producer: producers(g),
    isOutput: (v) => outs.has(v),
    constOf: (v) => {
      const val = g.values.get(v);
      return val && isConst(val) ? val : undefined;
    },
  };
}

/** Removes values that no node uses and that are neither graph inputs nor outputs nor produced. */
export function pruneValues(g: Graph): Graph {
  const live = new Set<string>();
  for (const n of g.nodes) {
    for (const i of n.inputs) if (i) live.add(i);
    for (const o of n.outputs) if (o) live.add(o);
  }
  for (const io of [...g.inputs, ...g.outputs]) live.add(io.value);
  const values = new Map([...g.values].filter(([k]) => live.has(k)));
  return values.size === g.values.size ? g : { ...g, values };
}

/** Backstop for rule sets that keep producing new graphs (each step is also checked for repeats). */
const MAX_STEPS = 100000;

/** Applies the first rule that fires, repeatedly, until a fixpoint. */
export function applyRules(g: Graph, rules: readonly Rule[]): Graph {
  // Fingerprint of every graph reached -> the step that reached it; the rewrite made at each step.
  const seen = new Map<string, number>([[fingerprint(g), 0]]);
  const steps: string[] = [];
  for (let step = 0; step < MAX_STEPS; step++) {
    const ctx = context(g);
    let hit: Rewrite | null = null;
    let what = '';
    for (let i = 0; i < g.nodes.length && !hit; i++) {
      for (let k = 0; k < rules.length; k++) {
        hit = rules[k]!(g.nodes[i]!, i, ctx);
        if (hit) {
          what = `rule '${rules[k]!.name || `#${k}`}' at node '${g.nodes[i]!.name}'`;
          break;
        }
      }
    }
    if (!hit) return pruneValues(g);
    g = applyRewrite(g, hit);
    steps.push(what);
    const fp = fingerprint(g);
    const before = seen.get(fp);
    if (before !== undefined) {
      const cycle = [...new Set(steps.slice(before))];
      throw new Error(
        `rewrite rules loop: after ${steps.length - before} rewrite(s) the graph is back to what it was after step ${before} ` +
          `(${cycle.join(', ')}); a rule must not undo itself or another rule`,
      );
    }
    seen.set(fp, steps.length);
  }
  throw new Error(`rewrite rules did not reach a fixpoint after ${MAX_STEPS} rewrites (last: ${steps[steps.length - 1]})`);
}

// Content hashes of constant arrays, computed once per (immutable) array.
const dataHashes = new WeakMap<Float32Array | Float64Array, string>();

function dataHash(d: Float32Array | Float64Array): string {
  let h = dataHashes.get(d);
  if (h === undefined) {
    h = `${d.constructor.name}:${d.length}:${hash53(new Uint8Array(d.buffer, d.byteOffset, d.byteLength))}`;
    dataHashes.set(d, h);
  }
  return h;
}

/** 53-bit FNV-style hash of bytes or of a string's UTF-16 code units (two 32-bit lanes). */
function hash53(x: Uint8Array | string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  const n = x.length;
  for (let i = 0; i < n; i++) {
    const c = typeof x === 'string' ? x.charCodeAt(i) : x[i]!;
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

/** JSON that keeps non-finite numbers apart (Clip bounds are ±Infinity) and spells exact integers (derived raws). */
const exact = (_k: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : typeof v === 'bigint' ? `${v}n` : v);

/**
 * A value-based fingerprint of everything a rewrite can change: nodes in order (with attrs and
 * precision), live values (shape, element type, fixed type, constant contents) and outputs.
 */
function fingerprint(g: Graph): string {
  const parts: string[] = [];
  for (const n of g.nodes) parts.push(JSON.stringify([n.name, n.op, n.inputs, n.outputs, n.attrs, n.prec ?? null], exact));
  for (const v of pruneValues(g).values.values()) {
    parts.push(JSON.stringify([v.name, v.shape, v.elem, v.fixed ?? null, v.data ? dataHash(v.data) : null]));
  }
  parts.push(JSON.stringify(g.outputs.map((o) => o.value)));
  const s = parts.join('\n');
  return `${s.length}:${hash53(s)}`;
}

function applyRewrite(g: Graph, rw: Rewrite): Graph {
  // The replacement goes where the last removed node was: a rewrite must remove something.
  if (rw.remove.length === 0) throw new Error('internal: a rewrite rule fired without removing a node');
  const at = Math.max(...rw.remove);
  const removed = new Set(rw.remove);
  const ren = rw.rename ?? new Map<string, string>();
  const fix = (v: string) => ren.get(v) ?? v;
  const nodes: Node[] = [];
  g.nodes.forEach((n, i) => {
    if (!removed.has(i)) nodes.push(i > at ? ({ ...n, inputs: n.inputs.map(fix) } as Node) : n);
    if (i === at) nodes.push(...rw.add);
  });
  const values = new Map(g.values);
  for (const v of rw.values ?? []) values.set(v.name, v);
  return { ...g, nodes, values, outputs: g.outputs.map((o) => ({ ...o, value: fix(o.value) })) };
}

/** A name not yet used by any value, derived from `base`. */
export function freshValueName(g: Graph, base: string, taken: ReadonlySet<string> = new Set()): string {
  if (!g.values.has(base) && !taken.has(base)) return base;
  for (let k = 1; ; k++) {
    const n = `${base}_${k}`;
    if (!g.values.has(n) && !taken.has(n)) return n;
  }
}
