/**
 * The pass contract and the one rewrite driver. A pass is `{name, run(g): Graph}` and returns
 * a new graph (the IR is immutable). Local rewrites are written as rules: a pattern that looks
 * at one node in context and either declines (returns null) or returns the replacement — new
 * nodes, new constant values, and a map of old value names to new ones. The driver applies
 * rules in node order until none fires, drops values nothing uses any more, and keeps the
 * graph's inputs and outputs where they are.
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

/** Applies the first rule that fires, repeatedly, until a fixpoint. */
export function applyRules(g: Graph, rules: readonly Rule[]): Graph {
  for (let guard = 0; guard < 100000; guard++) {
    const ctx = context(g);
    let hit: Rewrite | null = null;
    for (let i = 0; i < g.nodes.length && !hit; i++) {
      for (const r of rules) {
        hit = r(g.nodes[i]!, i, ctx);
        if (hit) break;
      }
    }
    if (!hit) return pruneValues(g);
    g = applyRewrite(g, hit);
  }
  throw new Error('rewrite rules did not reach a fixpoint');
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
