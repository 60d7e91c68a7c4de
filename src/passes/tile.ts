/**
 * Tiling pass: decides how each weighted layer (Dense, Conv, LSTM/GRU/RNN) is folded onto the FPGA — its
 * strategy and reuse factor — so that the HLS design stays inside the tool limits, with the
 * lowest latency those limits allow. It reads the quantized graph and the user's settings and
 * returns one decision per node; it does not rewrite the graph (the decisions become the
 * LayerPlan in src/backend-hls/plan.ts). foldShape also gives the reuse factors of the layers
 * whose reuse only shares multipliers (MatMul, LayerNorm, io-parallel Gelu), which the
 * estimator's fit and the optimizer fold; the pass leaves those as the user set them.
 *
 * Preconditions: shapes inferred (any graph the HLS backend lowers). Invariants:
 *  - a setting the user gave (a per-layer strategy/reuse, or a global one different from the
 *    defaults) is never changed, only validated (an invalid reuse becomes the closest valid one,
 *    with a note) and warned about when it exceeds a limit;
 *  - a layer the user left to the defaults that fits the limits is left alone (must not fire);
 *  - otherwise the smallest valid reuse factor that fits is chosen (always legal: the largest
 *    valid reuse, n_in·n_out, needs n_out/… ≤ one multiplier per output).
 *
 * The limits (facts about the tools, not about nn2hls):
 *  - unroll: Vivado HLS 2019.x refuses to unroll a loop nest beyond ~4096 iterations in one
 *    pipelined step ("Pipelining … exceeds the unroll threshold", hls4ml issue #904); Vitis HLS
 *    2020.1+ warns and may take hours (hls4ml issue #1157: a 561×20 Dense at reuse 1 did
 *    synthesize with Vitis HLS 2021.1).
 *  - partition: Vivado HLS refuses to partition an array completely beyond
 *    `config_array_partition -maximum_size` (default 1024, hls4ml's projects set 4096: UG902,
 *    "config_array_partition"); Vitis HLS dropped the option (UG1399), so 4096 is our guard.
 *  - AXI4-Stream ports: Vitis HLS caps a TDATA at 4096 bits (UG1399, "AXI4-Stream Interfaces").
 */
import { type Graph, type Node, numel, valueOf } from '../ir/graph.js';
import { matmulMap } from '../ir/semantics/index-maps.js';

export type TileStrategy = 'latency' | 'resource';

export interface TileOptions {
  readonly io: 'parallel' | 'stream';
  readonly strategy: TileStrategy;
  readonly reuse: number;
  readonly layers: { readonly [node: string]: { readonly strategy?: TileStrategy; readonly reuse?: number } };
  readonly unrollLimit: number;
  readonly partitionLimit: number;
  /** Global strategy/reuse were given by the user (a flag or the config), not defaulted. */
  readonly userStrategy: boolean;
  readonly userReuse: boolean;
}

export interface TileDecision {
  readonly strategy: TileStrategy;
  readonly reuse: number;
  /** The reuse factor asked for before validation. */
  readonly reuseRequested: number;
  readonly chosenBy: 'user' | 'tiling' | 'default';
  /** What changed and why (one line each; printed by `compile`). */
  readonly notes: readonly string[];
  /** A user setting that exceeds a limit: honoured, with what would stay under it. */
  readonly warnings: readonly string[];
}

/** The product grid a reuse factor folds: n_in inputs summed into each of n_out outputs. */
export interface FoldShape {
  readonly nIn: number;
  readonly nOut: number;
  /** Independent repetitions unrolled with it in one step (rows of a per-row Dense in io_parallel). */
  readonly copies: number;
  /**
   * Grids of n_in × n_out folded together by the same reuse factor in one step, each with its
   * own weights (a recurrent layer's gate blocks: n_out = hidden, blocks = gates); 1 otherwise.
   */
  readonly blocks: number;
  /** Weight sets held but computed one after another (a bidirectional layer's directions); 1 otherwise. */
  readonly sets: number;
  /** Supports the resource schedule (weights in memory, reuse loop). */
  readonly resource: boolean;
  /** Shares multipliers only through the resource schedule (no latency schedule with reuse > 1). */
  readonly resourceOnlyReuse: boolean;
  /**
   * The reuse factors the layer's kernel folds evenly, ascending: validReuses(nIn, nOut) for the
   * weighted layers; the divisors of the outputs (row elements) a step is split into for the
   * layers whose reuse only splits a row into steps (MatMul, LayerNorm, io-parallel Gelu).
   */
  readonly reuses: readonly number[];
  /**
   * Weighted layers whose fold the tiling pass checks against the tool limits (Dense, Conv,
   * recurrent). false for MatMul, LayerNorm and Gelu: their reuse only shares multipliers (no
   * weights to partition, no resource schedule); their lowering records unrolled and partitioned
   * counts in the LayerPlan, which limits.ts checks.
   */
  readonly tiled: boolean;
}

/**
 * Valid reuse factors keep every multiplier busy in every step of the resource schedule:
 * n_in·n_out divisible by R, and R either divides n_in (each step takes n_in/R inputs for
 * every output) or is a multiple of n_in whose quotient divides n_out (each step takes one
 * input for n_out/(R/n_in) outputs). hls4ml's validate_reuse_factor states the same rule.
 */
export function isValidReuse(nIn: number, nOut: number, r: number): boolean {
  if (r < 1 || !Number.isInteger(r)) return false;
  if (r <= nIn) return nIn % r === 0;
  return r % nIn === 0 && nOut % (r / nIn) === 0;
}

/** All valid reuse factors of an n_in × n_out product grid, ascending. */
export function validReuses(nIn: number, nOut: number): number[] {
  const divisors = (n: number) => {
    const d: number[] = [];
    for (let i = 1; i * i <= n; i++) if (n % i === 0) d.push(i, n / i);
    return [...new Set(d)].sort((a, b) => a - b);
  };
  return [...new Set([...divisors(nIn), ...divisors(nOut).map((d) => d * nIn)])].sort((a, b) => a - b);
}

/** Divisors of n, ascending. */
export function divisors(n: number): number[] {
  const lo: number[] = [];
  const hi: number[] = [];
  for (let i = 1; i * i <= n; i++) {
    if (n % i !== 0) continue;
    lo.push(i);
    if (i * i !== n) hi.unshift(n / i);
  }
  return [...lo, ...hi];
}

/** The factor of `all` closest to r (ties go to the larger one: fewer multipliers). */
function closestOf(all: readonly number[], r: number): number {
  let best = 1;
  for (const v of all) {
    if (Math.abs(v - r) < Math.abs(best - r) || (Math.abs(v - r) === Math.abs(best - r) && v > best)) best = v;
  }
  return best;
}

/** The valid reuse factor closest to r (ties go to the larger one: fewer multipliers). */
export function closestValidReuse(nIn: number, nOut: number, r: number): number {
  return closestOf(validReuses(nIn, nOut), r);
}

/** The reuse factor of a fold shape closest to r (FoldShape.reuses). */
export function closestReuse(f: FoldShape, r: number): number {
  return closestOf(f.reuses, r);
}

/** The fold shape of a node, or null for layers without a reuse-folded product. */
export function foldShape(g: Graph, n: Node, io: 'parallel' | 'stream'): FoldShape | null {
  switch (n.op) {
    case 'Dense': {
      const w = valueOf(g, n.inputs[1]!).shape;
      const x = valueOf(g, n.inputs[0]!).shape;
      const rows = numel(x) / w[0]!;
      return { nIn: w[0]!, nOut: w[1]!, copies: io === 'parallel' ? rows : 1, blocks: 1, sets: 1, resource: true, resourceOnlyReuse: false, reuses: validReuses(w[0]!, w[1]!), tiled: true };
    }
    case 'Conv': {
      const w = valueOf(g, n.inputs[1]!).shape;
      const cout = w[w.length - 1]!;
      const perOut = numel(w) / cout;
      return { nIn: perOut, nOut: cout, copies: 1, blocks: 1, sets: 1, resource: n.attrs.group === 1, resourceOnlyReuse: false, reuses: validReuses(perOut, cout), tiled: true };
    }
    case 'LSTM':
    case 'GRU':
    case 'RNN': {
      // One time step: every gate row sums the inputs and the previous hidden state, [x ; h]
      // (n_in + hidden terms). The rows come in blocks of `hidden` (GRU's candidate rows may
      // be a pass of their own), so a valid reuse factor folds each block evenly.
      const x = valueOf(g, n.inputs[0]!).shape;
      const H = n.attrs.hidden;
      const gates = n.op === 'LSTM' ? 4 : n.op === 'GRU' ? 3 : 1;
      const sets = n.attrs.direction === 'bidirectional' ? 2 : 1;
      return { nIn: x[x.length - 1]! + H, nOut: H, copies: 1, blocks: gates, sets, resource: true, resourceOnlyReuse: true, reuses: validReuses(x[x.length - 1]! + H, H), tiled: true };
    }
    // Reuse R splits each row's n outputs into R pipelined steps of n/R outputs, each summing k
    // products (nn2hls::matmul_row): R divides n.
    case 'MatMul': {
      const { k, n: N } = matmulMap(valueOf(g, n.inputs[0]!).shape, valueOf(g, n.inputs[1]!).shape);
      return { nIn: k, nOut: N, copies: 1, blocks: 1, sets: 1, resource: false, resourceOnlyReuse: false, reuses: divisors(N), tiled: false };
    }
    // A row of N elements (three products each) per pipelined step of II R, its products
    // shared over the R cycles (nn2hls::layernorm's ALLOCATION): R divides N.
    case 'LayerNorm': {
      const x = valueOf(g, n.inputs[0]!).shape;
      const N = numel(x.slice(x.length + n.attrs.axis));
      return { nIn: 3, nOut: N, copies: 1, blocks: 1, sets: 1, resource: false, resourceOnlyReuse: false, reuses: divisors(N), tiled: false };
    }
    // io_parallel Gelu: its n products x·cdf(x) in one step of II R on n/R shared multipliers
    // (nn2hls::unary_shared); io_stream computes a pack per cycle whatever the reuse.
    case 'Gelu': {
      if (io !== 'parallel') return null;
      const N = numel(valueOf(g, n.outputs[0]!).shape);
      return { nIn: 1, nOut: N, copies: 1, blocks: 1, sets: 1, resource: false, resourceOnlyReuse: false, reuses: divisors(N), tiled: false };
    }
    default:
      return null;
  }
}

/** Multiplications unrolled into one step and weights partitioned, for a fold choice. */
export function foldCost(f: FoldShape, strategy: TileStrategy, reuse: number): { unrolled: number; partitioned: number } {
  const products = f.nIn * f.nOut;
  if (strategy === 'resource' && f.resource) return { unrolled: f.copies * f.blocks * Math.ceil(products / reuse), partitioned: f.blocks * f.nOut };
  return { unrolled: f.copies * f.blocks * products, partitioned: f.sets * f.blocks * products };
}

function fits(f: FoldShape, s: TileStrategy, r: number, o: TileOptions): boolean {
  const c = foldCost(f, s, r);
  return c.unrolled <= o.unrollLimit && c.partitioned <= o.partitionLimit;
}

function decide(g: Graph, n: Node, o: TileOptions): TileDecision {
  const own = o.layers[n.name] ?? {};
  const userS = own.strategy !== undefined || o.userStrategy;
  const userR = own.reuse !== undefined || o.userReuse;
  const strategy0 = own.strategy ?? o.strategy;
  const reuse0 = own.reuse ?? o.reuse;
  const f = foldShape(g, n, o.io);
  const chosen0 = userS || userR ? 'user' : 'default';
  if (!f || !f.tiled) return { strategy: strategy0, reuse: reuse0, reuseRequested: reuse0, chosenBy: chosen0, notes: [], warnings: [] };
  const notes: string[] = [];
  const warnings: string[] = [];
  let strategy = strategy0;
  if (strategy === 'resource' && !f.resource) {
    notes.push(`resource strategy needs one group; grouped convolution keeps the latency schedule with reuse ${reuse0} (multipliers shared by ALLOCATION)`);
    strategy = 'latency';
  }
  if (strategy === 'latency' && reuse0 > 1 && f.resourceOnlyReuse) {
    notes.push(`${n.op} layers share multipliers only with the resource schedule (weights in memory); reuse ${reuse0} asked, so strategy resource`);
    strategy = 'resource';
  }
  const validate = (r: number): number => {
    if (strategy !== 'resource' || isValidReuse(f.nIn, f.nOut, r)) return r;
    const v = closestValidReuse(f.nIn, f.nOut, r);
    notes.push(`reuse ${r} does not divide the ${f.nIn}x${f.nOut} products evenly over the multipliers; using the closest valid reuse ${v}`);
    return v;
  };
  let reuse = validate(reuse0);
  if (fits(f, strategy, reuse, o)) return { strategy, reuse, reuseRequested: reuse0, chosenBy: chosen0, notes, warnings };
  // Over a limit. What would stay under it:
  const options = f.resource ? validReuses(f.nIn, f.nOut).filter((r) => fits(f, 'resource', r, o)) : [];
  const suggestion = options.length ? `strategy resource, reuse ${options[0]}` : 'smaller layers (no reuse factor keeps it under the limits)';
  const c = foldCost(f, strategy, reuse);
  const what = c.unrolled > o.unrollLimit ? `${c.unrolled} multiplications unrolled in one step (limit ${o.unrollLimit})` : `${c.partitioned} weights partitioned (limit ${o.partitionLimit})`;
  if (userS && (userR || strategy === 'latency')) {
    // Explicit: honour it. Vitis HLS has synthesized designs beyond these limits (hls4ml #1157).
    warnings.push(`layer '${n.name}' (${n.op}): ${strategy} strategy with reuse ${reuse} has ${what}; Vivado HLS refuses this and Vitis HLS may take very long — ${suggestion} would stay under the limits`);
    return { strategy, reuse, reuseRequested: reuse0, chosenBy: 'user', notes, warnings };
  }
  if (!options.length) {
    warnings.push(`layer '${n.name}' (${n.op}): ${what} and no reuse factor keeps it under the limits; emitted as is`);
    return { strategy, reuse, reuseRequested: reuse0, chosenBy: chosen0, notes, warnings };
  }
  // The user fixed the reuse only: keep it if resource makes it fit, else the smallest that fits.
  const pick = userR && !userS && fits(f, 'resource', validateFor(f, reuse0), o) ? validateFor(f, reuse0) : options[0]!;
  strategy = 'resource';
  reuse = pick;
  notes.push(`${what.replace(/ \(limit.*\)/, '')} would exceed the tool limits; chose strategy resource, reuse ${reuse} (${foldCost(f, 'resource', reuse).unrolled} multipliers)`);
  return { strategy, reuse, reuseRequested: reuse0, chosenBy: 'tiling', notes, warnings };
}

function validateFor(f: FoldShape, r: number): number {
  return isValidReuse(f.nIn, f.nOut, r) ? r : closestValidReuse(f.nIn, f.nOut, r);
}

/** One decision per node name (every node; non-weighted layers keep the settings given). */
export function tileGraph(g: Graph, o: TileOptions): Map<string, TileDecision> {
  return new Map(g.nodes.map((n) => [n.name, decide(g, n, o)]));
}
