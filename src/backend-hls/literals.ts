/**
 * Exact C++ text for constant arrays (weights, biases, tables, constant operands). A constant's
 * raws are `quantizeDouble(value, const.fixed)` (docs/fixed-point.md). Arrays are stored as ROM
 * words: each raw r printed as an integer literal of `nn2hls::rom_word<W, S>::type` — a plain
 * C++ integer of the smallest standard width in C simulation, ap_int/ap_uint<W> in synthesis
 * (nn_common.h) — which the kernels re-type bit for bit with `nn2hls::rom<T>`. That is exact by
 * construction (no decimal, no double, no rounding), and g++ compiles it in time linear in the
 * number of elements, whereas an ap_fixed array with one literal per element costs one
 * constructor call per element in a static initializer (issue #18: 11 GB and a compiler crash
 * at a million weights). Output depends only on the raws, so it is deterministic.
 */
import { type FixedType, renderType } from '../ir/fixed.js';
import { NnInputError } from '../util/tensor.js';
import { type Graph, isConst, valueOf } from '../ir/graph.js';
import { rawBigints } from '../ir/semantics/const-raws.js';

/** The ROM word type holding raws of type t (nn_common.h). */
export function romWord(t: FixedType): string {
  if (t.width > 64) {
    throw new NnInputError(`a constant (weight, bias or table) of type ${renderType(t)} is wider than the 64-bit ROM words the HLS project stores constants in; give weight, bias and table types of at most 64 bits in the config`);
  }
  return `nn2hls::rom_word<${t.width}, ${t.signed}>::type`;
}

/** A raw as an integer literal; beyond int's range it carries LL so it stays an integer constant on every ABI. */
export function rawLiteral(raw: bigint): string {
  return raw > 2147483647n || raw < -2147483647n ? `${raw}LL` : raw.toString();
}

/** Raws of a typed constant of the quantized graph, exactly as the simulator computes them. */
export function constRaws(g: Graph, name: string): { raws: readonly bigint[]; type: FixedType } {
  const v = valueOf(g, name);
  if (!isConst(v) || !v.fixed) throw new Error(`internal: '${name}' is not a typed constant`);
  // Memoized per (data, type): `optimize` plans hundreds of candidates that share most constants.
  return { raws: rawBigints(v.data, v.fixed), type: v.fixed };
}

const literalCache = new WeakMap<readonly bigint[], readonly string[]>();

/**
 * rawLiteral of every raw (read-only, shared): memoized per raws array, so the memoized raws of
 * an unchanged constant are printed once however many designs are planned.
 */
export function rawLiterals(raws: readonly bigint[]): readonly string[] {
  let r = literalCache.get(raws);
  if (!r) literalCache.set(raws, (r = raws.map(rawLiteral)));
  return r;
}

/** Body of a C++ brace initializer, `perLine` items per line. */
export function initList(items: readonly string[], indent = '    ', perLine = 8): string {
  const lines: string[] = [];
  for (let i = 0; i < items.length; i += perLine) lines.push(indent + items.slice(i, i + perLine).join(', '));
  return lines.join(',\n');
}
