/**
 * Constants that do not fit their type: weights, biases and other constant operands whose
 * quantized value wraps or saturates, and lookup-table entries that saturate by more than one
 * LSB (a table's top entry rounding one LSB past the range is expected and harmless). The
 * hardware stores exactly these clipped values, so a weight of 3.37 in ap_fixed<8,2> silently
 * becomes -0.640625; this module finds them once per quantized graph, for the simulator's report
 * and the warnings of `simulate` and `compile`, and names a type that would hold them (same
 * fraction bits, enough integer bits).
 */
import { type FixedType, fixedType, fracBits, MAX_WIDTH, renderType } from './fixed.js';
import { type Graph, isConst, type Node } from './graph.js';
import { rawRange, tableValues } from './precision.js';

export interface ConstOverflow {
  layer: string;
  op: string;
  /** Which constant: 'weight', 'bias', 'operand <k>' or '<role> table'. */
  role: string;
  value: string;
  type: FixedType;
  /** Elements that wrapped or saturated, of `total`. */
  count: number;
  total: number;
  /** Largest |value| among the constant's elements (not only the overflowing ones). */
  largest: number;
  /** The same fraction bits with enough integer bits for every element. */
  holding: FixedType;
}

function roleOf(n: Node, slot: number): string {
  switch (n.op) {
    case 'Dense':
    case 'Conv':
    case 'ConvTranspose':
    case 'Affine':
      return slot === 1 ? 'weight' : slot === 2 ? 'bias' : `operand ${slot}`;
    case 'PRelu':
      return 'slope';
    default:
      return `constant operand ${slot}`;
  }
}

/**
 * Smallest type with t's fraction bits (and signedness, unless negatives need a sign) holding
 * [-neg, pos]; `rounded`: the values are rounded to nearest whatever t's mode (table entries are).
 */
function holdingType(t: FixedType, pos: number, neg: number, rounded = false): FixedType {
  const signed = t.signed || neg > 0;
  // Truncation never rounds a magnitude up (AP_TRN floors, so only negatives grow; AP_TRN_ZERO
  // shrinks both); a rounding mode can reach the next raw up, never further.
  const up = (v: number, grows: boolean) => (grows ? Math.ceil(v * 2 ** fracBits(t)) : Math.floor(v * 2 ** fracBits(t)));
  const needHi = up(pos, rounded || (t.q !== 'AP_TRN' && t.q !== 'AP_TRN_ZERO'));
  const needLo = up(neg, rounded || t.q !== 'AP_TRN_ZERO');
  const fits = (int: number) => {
    const w = fracBits(t) + int;
    if (w < 1) return false;
    const hi = 2 ** (w - (signed ? 1 : 0)) - 1;
    const lo = signed ? (t.o === 'AP_SAT_SYM' ? hi : hi + 1) : 0;
    return hi >= needHi && lo >= needLo;
  };
  let int = t.int;
  while (int < MAX_WIDTH && !fits(int)) int++;
  return fixedType(Math.min(MAX_WIDTH, fracBits(t) + int), int, { signed, q: t.q, o: t.o });
}

/**
 * Whether quantizing x into t leaves t's range (so the O mode wraps or saturates it). Exact in
 * doubles: x·2^F is an exact scaling, and when it is too large for a fraction to survive it is
 * an integer already; only the rounding step at the two edges needs the Q mode.
 */
function overflowTest(t: FixedType): (x: number) => boolean {
  const [lo0, hi] = rawRange(t);
  const lo = t.signed && t.o === 'AP_SAT_SYM' ? lo0 + 1 : lo0;
  const scale = 2 ** fracBits(t);
  const roundsUp = (y: number, fl: number, fr: number): boolean => {
    switch (t.q) {
      case 'AP_TRN': return false;
      case 'AP_TRN_ZERO': return y < 0;
      case 'AP_RND': return fr >= 0.5;
      case 'AP_RND_ZERO': return fr > 0.5 || (fr === 0.5 && y < 0);
      case 'AP_RND_INF': return fr > 0.5 || (fr === 0.5 && y > 0);
      case 'AP_RND_MIN_INF': return fr > 0.5;
      default: return fr > 0.5 || (fr === 0.5 && Math.abs(fl % 2) === 1);
    }
  };
  return (x) => {
    if (!Number.isFinite(x)) return true;
    const y = x * scale;
    const fl = Math.floor(y);
    const fr = y - fl;
    const k = fr !== 0 && roundsUp(y, fl, fr) ? fl + 1 : fl;
    return k > hi || k < lo;
  };
}

/** Per graph (graphs are immutable): simulate warns before its run and reports after it. */
const memo = new WeakMap<Graph, readonly ConstOverflow[]>();

export function constantOverflows(g: Graph): ConstOverflow[] {
  let found = memo.get(g);
  if (!found) memo.set(g, (found = scanConstants(g)));
  return [...found];
}

function scanConstants(g: Graph): ConstOverflow[] {
  const out: ConstOverflow[] = [];
  for (const n of g.nodes) {
    n.inputs.forEach((name, slot) => {
      if (!name) return;
      const v = g.values.get(name);
      if (!v || !isConst(v) || !v.fixed || !v.data) return;
      // Tables are checked below from their exact function values.
      if (Object.values(n.prec?.tables ?? {}).some((s) => s.value === name)) return;
      const over = overflowTest(v.fixed);
      let count = 0;
      let pos = 0;
      let neg = 0;
      const data = v.data;
      for (let i = 0; i < data.length; i++) {
        const x = data[i]!;
        if (over(x)) count++;
        if (x > pos) pos = x;
        if (-x > neg) neg = -x;
      }
      if (count > 0) {
        const largest = Math.max(pos, neg);
        out.push({ layer: n.name, op: n.op, role: roleOf(n, slot), value: name, type: v.fixed, count, total: v.data.length, largest, holding: holdingType(v.fixed, pos, neg) });
      }
    });
    for (const [role, spec] of Object.entries(n.prec?.tables ?? {})) {
      const t = g.values.get(spec.value)?.fixed;
      if (!t) continue;
      const [lo, hi] = rawRange(t);
      const lsb = 2 ** -fracBits(t);
      const vals = tableValues(spec);
      let count = 0;
      let pos = 0;
      let neg = 0;
      for (let i = 0; i < vals.length; i++) {
        const x = vals[i]!;
        if (!Number.isFinite(x)) continue; // 1/0 at an unreachable index: saturation is the intent
        if (x > (hi + 1) * lsb || x < (lo - 1) * lsb) count++;
        if (x > pos) pos = x;
        if (-x > neg) neg = -x;
      }
      if (count > 0) {
        const largest = Math.max(pos, neg);
        out.push({ layer: n.name, op: n.op, role: `${role} table`, value: spec.value, type: t, count, total: vals.length, largest, holding: holdingType(t, pos, neg, true) });
      }
    }
  }
  return out;
}

/** One warning line per overflowing constant. */
export function formatConstOverflow(c: ConstOverflow): string {
  const how = c.role.endsWith('table') || c.type.o !== 'AP_WRAP' ? 'saturate' : 'wrap around';
  return (
    `layer '${c.layer}' (${c.op}): ${c.count} of ${c.total} ${c.role} values do not fit ${renderType(c.type)} and ${how} ` +
    `(largest |value| ${Number(c.largest.toPrecision(6))}); ${renderType(c.holding)} would hold them`
  );
}
