/**
 * Memoized raws of constant data: the stored integers `quantizeDouble(x, t)` of every element of
 * a constant's data under a fixed-point type, computed once per (data array, type) and shared by
 * the quantize pass, the simulator, the planner and the estimator. The IR is immutable data, so a
 * data array never changes after it is made and the raws of it under one type are a pure function
 * of the two; `nn2hls optimize` measures hundreds of candidates that differ in a few layers'
 * types, and this makes the unchanged layers' constants free instead of re-quantizing every weight
 * (BigInt per element) for every candidate. The cache is a WeakMap keyed by the data array, so
 * it lives exactly as long as the graph that holds the data; per array it keeps a small number of
 * types (least recently used dropped first), so it stays bounded however many types are tried.
 * Results are read-only views shared between callers: never write into them.
 */
import type { FixedType } from '../fixed.js';
import { FAST_MAX_WIDTH, quantizeDouble, quantizeDoubleNum } from './apfixed.js';

type Data = Float32Array | Float64Array;

/** Types remembered per data array (candidates try a handful of widths per layer at a time). */
const PER_ARRAY = 16;

const numCache = new WeakMap<Data, Map<string, Float64Array>>();
const bigCache = new WeakMap<Data, Map<string, readonly bigint[]>>();

/** Every field of the type: two types with one key quantize identically. */
function typeKey(t: FixedType): string {
  return `${t.width},${t.int},${t.signed ? 1 : 0},${t.q},${t.o},${t.n}`;
}

function memo<R>(cache: WeakMap<Data, Map<string, R>>, data: Data, t: FixedType, make: () => R): R {
  let m = cache.get(data);
  if (!m) cache.set(data, (m = new Map()));
  const k = typeKey(t);
  const hit = m.get(k);
  if (hit !== undefined) {
    // Re-insert: Map iteration order is insertion order, so the first key is the least recent.
    m.delete(k);
    m.set(k, hit);
    return hit;
  }
  const r = make();
  if (m.size >= PER_ARRAY) m.delete(m.keys().next().value!);
  m.set(k, r);
  return r;
}

/**
 * `Number(quantizeDouble(x, t))` for every element of `data` (read-only, shared). Types up to
 * FAST_MAX_WIDTH bits take the exact number path (same integers as the BigInt reference); wider
 * ones the BigInt path, converted to the nearest double as before.
 */
export function rawNumbers(data: Data, t: FixedType): Float64Array {
  return memo(numCache, data, t, () => {
    const out = new Float64Array(data.length);
    if (t.width <= FAST_MAX_WIDTH) for (let i = 0; i < data.length; i++) out[i] = quantizeDoubleNum(data[i]!, t);
    else for (let i = 0; i < data.length; i++) out[i] = Number(quantizeDouble(data[i]!, t));
    return out;
  });
}

/** `quantizeDouble(x, t)` for every element of `data`, as exact BigInts (read-only, shared). */
export function rawBigints(data: Data, t: FixedType): readonly bigint[] {
  return memo(bigCache, data, t, () => {
    if (t.width > FAST_MAX_WIDTH) return Array.from(data, (x) => quantizeDouble(x, t));
    const nums = rawNumbers(data, t);
    return Array.from(nums, (r) => BigInt(r));
  });
}
