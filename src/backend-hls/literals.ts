/**
 * Exact C++ literals for fixed-point constants. A constant's raws are
 * `quantizeDouble(value, const.fixed)` (docs/fixed-point.md); we print each raw r of a type with
 * F fraction bits as the exact decimal of r·2^-F (a terminating decimal), which every
 * correctly rounding C++ compiler turns into the double r·2^-F exactly — representable because
 * a raw has at most 53 significant bits (any raw of a type of at most 53 bits, float32 data in
 * wider types) — and assigning that double to the ap_fixed type
 * reproduces r bit for bit. Output depends only on the raws, so it is deterministic.
 */
import { type FixedType, fracBits, renderType } from '../ir/fixed.js';
import { NnInputError } from '../util/tensor.js';
import { type Graph, isConst, valueOf } from '../ir/graph.js';
import { quantizeDouble } from '../sim/fixed/apfixed.js';

/** Exact decimal text of raw·2^-frac. */
export function exactDecimal(raw: bigint, frac: number): string {
  if (frac <= 0) return (raw << BigInt(-frac)).toString();
  const neg = raw < 0n;
  const a = neg ? -raw : raw;
  const ip = a >> BigInt(frac);
  const fp = a - (ip << BigInt(frac));
  let s = ip.toString();
  if (fp !== 0n) {
    // fp / 2^frac = fp·5^frac / 10^frac: exactly `frac` decimal digits.
    const digits = (fp * 5n ** BigInt(frac)).toString().padStart(frac, '0').replace(/0+$/, '');
    s += `.${digits}`;
  }
  return neg && a !== 0n ? `-${s}` : s;
}

export function literal(raw: bigint, t: FixedType): string {
  if (t.width > 53) {
    // A wide type's raw is still an exact double when its significant bits fit 53 (float32
    // weights have 24): trailing zero bits cost nothing.
    let odd = raw < 0n ? -raw : raw;
    while (odd !== 0n && (odd & 1n) === 0n) odd >>= 1n;
    if (odd >= 1n << 53n) {
      throw new NnInputError(`a constant of type ${renderType(t)} has more than 53 significant bits and cannot be written as an exact C++ literal; give constants types of at most 53 bits (weight, bias, table)`);
    }
  }
  const s = exactDecimal(raw, fracBits(t));
  // A bare integer literal beyond int's range needs a suffix to stay an integer constant.
  if (!s.includes('.') && (BigInt(s) > 2147483647n || BigInt(s) < -2147483647n)) return `${s}LL`;
  return s;
}

/** Raws of a typed constant of the quantized graph, exactly as the simulator computes them. */
export function constRaws(g: Graph, name: string): { raws: bigint[]; type: FixedType } {
  const v = valueOf(g, name);
  if (!isConst(v) || !v.fixed) throw new Error(`internal: '${name}' is not a typed constant`);
  const t = v.fixed;
  return { raws: Array.from(v.data, (x) => quantizeDouble(x, t)), type: t };
}

/** Body of a C++ brace initializer, 8 items per line. */
export function initList(items: readonly string[], indent = '    '): string {
  const lines: string[] = [];
  for (let i = 0; i < items.length; i += 8) lines.push(indent + items.slice(i, i + 8).join(', '));
  return lines.join(',\n');
}
