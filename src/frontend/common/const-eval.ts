/**
 * Constant evaluation at import time, in float64 so int64 shape arithmetic is exact. Exporters
 * (PyTorch's x.view(x.size(0), -1), Keras' reshapes) compute shapes with small subgraphs of
 * Shape, Gather, Slice, Unsqueeze, Concat, Cast, Range, Expand and arithmetic; with static
 * shapes all of them fold to constants here and never reach the IR. BATCH entries (the
 * symbolic batch size) pass through gathers and concatenations untouched.
 */
import type { ElemType } from '../../ir/graph.js';
import { numel, strides } from '../../ir/graph.js';
import { BATCH, type ConstT, constOf } from './importer.js';

export function broadcast2(a: ConstT, b: ConstT, f: (x: number, y: number) => number, elem: ElemType): ConstT {
  const r = Math.max(a.shape.length, b.shape.length);
  const pa = [...new Array<number>(r - a.shape.length).fill(1), ...a.shape];
  const pb = [...new Array<number>(r - b.shape.length).fill(1), ...b.shape];
  const out = pa.map((d, i) => {
    const e = pb[i]!;
    if (d !== e && d !== 1 && e !== 1) throw new Error(`shapes [${a.shape}] and [${b.shape}] do not broadcast`);
    return d === 1 ? e : d;
  });
  const sa = strides(pa).map((s, i) => (pa[i] === 1 ? 0 : s));
  const sb = strides(pb).map((s, i) => (pb[i] === 1 ? 0 : s));
  const so = strides(out);
  const n = numel(out);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let ia = 0;
    let ib = 0;
    let rem = i;
    for (let d = 0; d < r; d++) {
      const q = Math.floor(rem / so[d]!);
      rem -= q * so[d]!;
      ia += q * sa[d]!;
      ib += q * sb[d]!;
    }
    data[i] = f(a.data[ia]!, b.data[ib]!);
  }
  return { shape: out, data, elem };
}

export const isIntElem = (e: ElemType): boolean => e !== 'float32';

/** numpy.take along an axis. */
export function gather(data: ConstT, indices: ConstT, axis: number): ConstT {
  const r = data.shape.length;
  const ax = axis < 0 ? axis + r : axis;
  const outer = numel(data.shape.slice(0, ax));
  const len = data.shape[ax]!;
  const inner = numel(data.shape.slice(ax + 1));
  const idx = Array.from(indices.data, (v) => {
    const k = v < 0 ? v + len : v;
    if (k < 0 || k >= len) throw new Error(`index ${v} out of range for axis of size ${len}`);
    return k;
  });
  const out = new Float64Array(outer * idx.length * inner);
  let o = 0;
  for (let a = 0; a < outer; a++) {
    for (const k of idx) {
      const base = (a * len + k) * inner;
      for (let j = 0; j < inner; j++) out[o++] = data.data[base + j]!;
    }
  }
  return { shape: [...data.shape.slice(0, ax), ...indices.shape, ...data.shape.slice(ax + 1)], data: out, elem: data.elem };
}

/** Normalized [start, end, step] per ONNX Slice clamping rules for one axis of length `len`. */
export function sliceBounds(len: number, start: number, end: number, step: number): [number, number, number] {
  const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
  let s = start < 0 ? start + len : start;
  let e = end < 0 ? end + len : end;
  if (step > 0) {
    s = clamp(s, 0, len);
    e = clamp(e, 0, len);
  } else {
    s = clamp(s, 0, len - 1);
    e = clamp(e, -1, len - 1);
  }
  return [s, e, step];
}

export function slice(data: ConstT, starts: number[], ends: number[], axes: number[], steps: number[]): ConstT {
  const r = data.shape.length;
  const ranges = data.shape.map((d) => [0, d, 1] as [number, number, number]);
  axes.forEach((a0, i) => {
    const a = a0 < 0 ? a0 + r : a0;
    ranges[a] = sliceBounds(data.shape[a]!, starts[i]!, ends[i]!, steps[i] ?? 1);
  });
  const picks = ranges.map(([s, e, st]) => {
    const out: number[] = [];
    if (st > 0) for (let k = s; k < e; k += st) out.push(k);
    else for (let k = s; k > e; k += st) out.push(k);
    return out;
  });
  const shape = picks.map((p) => p.length);
  const st = strides(data.shape);
  const out = new Float64Array(numel(shape));
  const idx = new Array<number>(r).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let d = 0; d < r; d++) src += picks[d]![idx[d]!]! * st[d]!;
    out[o] = data.data[src]!;
    for (let d = r - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return { shape, data: out, elem: data.elem };
}

export function concat(parts: ConstT[], axis: number): ConstT {
  const r = parts[0]!.shape.length;
  const ax = axis < 0 ? axis + r : axis;
  const outer = numel(parts[0]!.shape.slice(0, ax));
  const shape = [...parts[0]!.shape];
  shape[ax] = parts.reduce((s, p) => s + p.shape[ax]!, 0);
  const out = new Float64Array(numel(shape));
  let o = 0;
  for (let a = 0; a < outer; a++) {
    for (const p of parts) {
      const row = numel(p.shape.slice(ax));
      out.set(p.data.subarray(a * row, (a + 1) * row), o);
      o += row;
    }
  }
  return { shape, data: out, elem: parts[0]!.elem };
}

export function range(start: number, limit: number, delta: number, elem: ElemType): ConstT {
  const n = Math.max(Math.ceil((limit - start) / delta), 0);
  return constOf([n], Array.from({ length: n }, (_, i) => start + i * delta), elem);
}

export function expand(input: ConstT, shape: number[]): ConstT {
  const ones = constOf(shape, new Float64Array(numel(shape)).fill(0), input.elem);
  return broadcast2(input, ones, (x) => x, input.elem);
}

/** ONNX Cast of constant data: float→int truncates toward zero, bool is x != 0. */
export function cast(t: ConstT, to: ElemType): ConstT {
  let data = t.data;
  if (to === 'bool') data = data.map((v) => (v !== 0 ? 1 : 0));
  else if (to !== 'float32' && !isIntElem(t.elem)) data = data.map((v) => Math.trunc(v));
  else if (to === 'float32' && t.elem !== 'float32') data = data.map((v) => Math.fround(v));
  else if (to === 'float32') data = data.map((v) => Math.fround(v));
  return { shape: t.shape, data, elem: to };
}

/** Describes a shape constant for messages, showing the batch marker as N. */
export function shapeText(t: ConstT): string {
  return `[${Array.from(t.data, (v) => (v === BATCH ? 'N' : String(v))).join(',')}]`;
}

/** The single value of an optional scalar constant, or a default when absent. */
export function constScalarOr(t: ConstT | undefined, dflt: number): number {
  if (!t) return dflt;
  if (t.data.length !== 1) throw new Error(`expected a scalar, got shape [${t.shape.join(',')}]`);
  return t.data[0]!;
}
