/**
 * Speed paths of the float reference, overriding reference kernels of src/ir/semantics/float
 * (which stay the fallback and the oracle of the tests) with the same float32 results:
 *  - Dense and Conv in WebAssembly SIMD (wasm-float.ts: float64 sums read through an index map,
 *    compacted to the non-zero inputs or, on mostly non-zero ones, all terms; a depthwise conv
 *    with channels in lanes; wasm-float-scatter.ts: a one-group conv on a sparse input visiting
 *    each input pixel once), chosen per call by the measured share of non-zero inputs; else
 *    generated JavaScript sums (sums-codegen.ts; a conv's windows gathered into patch rows,
 *    im2col.ts). Every output is init + Σ x·w in float64 in the reference loops' term order
 *    (x = 0 skipped), stored to float32 once;
 *  - MaxPool with windows of one shape in WebAssembly (else generated JavaScript); Add of a
 *    whole operand and a whole or trailing-block one in WebAssembly SIMD (else, same-shape, a
 *    plain loop); Transpose as a view (order kept), a 2-D transpose (dims rotated, e.g.
 *    NCHW ↔ NHWC) or a gather through a per-node index map;
 *  - reluFusable: Conv, Dense and Add that also write the output of a Relu reading them, in
 *    the same pass (the executor hands that array to the Relu node).
 * Each layer is prepared once per node and weight array.
 */
import type { Node } from '../../../ir/graph.js';
import type { ConvAttrs } from '../../../ir/ops.js';
import { convBlock, type ConvPlan, convPlan, convWindows, runConvPlan, windowIndex } from '../../im2col.js';
import { FloatDepthwise, FloatGemm, FloatMaxPool, nonZeroShare, wasmFloatAvailable } from '../../wasm-float.js';
import { addF32, wasmEltwiseAvailable } from '../../wasm-float-eltwise.js';
import { FloatScatterConv, wasmScatterAvailable } from '../../wasm-float-scatter.js';
import { type RowSums, rowSums, type Sums, sumsCodegen, weightedSums } from '../../sums-codegen.js';
import type { Kernel, KernelTable, RtTensor } from '../../../ir/semantics/tensor.js';
import { convKernels } from '../../../ir/semantics/float/conv.js';
import { linearKernels } from '../../../ir/semantics/float/linear.js';
import { poolKernels } from '../../../ir/semantics/float/pool.js';
import { elementwiseKernels } from '../../../ir/semantics/float/elementwise.js';
import { layoutKernels, transposeData } from '../../../ir/semantics/float/layout.js';
import type { PoolAttrs } from '../../../ir/ops.js';
import { type MaxPoolRun, uniformMaxPool } from '../../pool-codegen.js';
import { poolWindowPlan } from '../../../ir/semantics/window.js';

interface Compiled<T> {
  w: Float32Array;
  b: Float32Array | undefined;
  kind: string;
  dims: readonly number[];
  value: T;
}

const cache = new WeakMap<Node, Compiled<unknown>>();

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The compiled form of `node` for these weights and this input geometry (`kind` and `dims`,
 * compared element by element: building a string key per call cost more than some layers), made once.
 */
function compiled<T>(node: Node, w: RtTensor, b: RtTensor | undefined, kind: string, dims: readonly number[], make: () => T): T {
  const c = cache.get(node) as Compiled<T> | undefined;
  if (c && c.w === w.data && c.b === b?.data && c.kind === kind && sameDims(c.dims, dims)) return c.value;
  const value = make();
  cache.set(node, { w: w.data, b: b?.data, kind, dims: [...dims], value });
  return value;
}

/** An input and an output geometry as one list of dims (-1 between them). */
const geometry = (inSp: readonly number[], outSp: readonly number[], ...more: number[]): number[] => [...inSp, -1, ...outSp, ...more];

const referenceDense = linearKernels.Dense!;
const referenceConv = convKernels.Conv!;

/** A second output array for a Relu reading this layer's output (fused: no pass of its own). */
export type ReluAlloc = (len: number) => Float32Array;

const denseWith = (node: Node, ins: readonly (RtTensor | undefined)[], outShapes: readonly (readonly number[])[], alloc: (len: number) => Float32Array, reluAlloc?: ReluAlloc): RtTensor[] => {
  const x = ins[0]!;
  const w = ins[1]!;
  const b = ins[2];
  const K = w.shape[0]!;
  const M = w.shape[1]!;
  const rows = x.data.length / K;
  const shape = [...x.shape.slice(0, -1), M];
  if (wasmFloatAvailable()) {
    const g = compiled<FloatGemm>(node, w, b, 'wasm', NO_DIMS, () => new FloatGemm(1, M, [{ K, M, w: w.data, init: b ? b.data : new Float32Array(M), idx: identityIndex(K), c0: 0 }]));
    const out = alloc(rows * M);
    const z = reluAlloc?.(rows * M);
    g.run(x.data, rows, K, out, z);
    return z ? [{ shape, data: out }, { shape, data: z }] : [{ shape, data: out }];
  }
  if (!sumsCodegen.enabled) return referenceDense(node as never, ins, outShapes);
  const sums = compiled<Sums>(node, w, b, '', NO_DIMS, () => weightedSums(K, M, w.data, b ? b.data : new Float32Array(M), { dropZeroWeights: false }))!;
  const out = alloc(rows * M);
  sums(x.data, out, rows);
  return [{ shape, data: out }];
};

const dense: Kernel<'Dense'> = (node, ins, outShapes, alloc = fresh32) => denseWith(node, ins, outShapes, alloc);

/** A conv's WebAssembly forms: the window sums, and the input-stationary one for sparse inputs (one group). */
interface WasmConv {
  gemm: FloatGemm;
  scatter: FloatScatterConv | null;
}

/**
 * Above this share of non-zero inputs a conv whose weights allow it adds every term
 * (gemm_f64_dense); below it, the input-stationary kernel that skips zeros is cheaper (measured
 * on the residual CNN and cnn32: equal at 0.87, 2× faster at 0.5, 3× at 0.15).
 */
const SCATTER_DENSITY = 0.9;

interface ConvProgram {
  P: ConvPlan;
  inside: RowSums[];
  border: RowSums[];
}

const convWith = (node: Node, ins: readonly (RtTensor | undefined)[], outShapes: readonly (readonly number[])[], alloc: (len: number) => Float32Array, reluAlloc?: ReluAlloc): RtTensor[] => {
  if (node.op !== 'Conv') throw new Error(`internal: conv kernel on ${node.op}`);
  const a: ConvAttrs = node.attrs;
  const x = ins[0]!;
  const w = ins[1]!;
  const b = ins[2];
  const s = a.kernel.length;
  const r = x.shape.length;
  const outShape = outShapes[0]!;
  const inSp = x.shape.slice(r - s - 1, r - 1);
  const outSp = outShape.slice(r - s - 1, r - 1);
  const cin = x.shape[r - 1]!;
  const cout = outShape[r - 1]!;
  const cinG = cin / a.group;
  const coutG = cout / a.group;
  if (wasmFloatAvailable() && cinG === 1 && coutG === 1) {
    // Depthwise: channels in SIMD lanes, taps in order (a gemm would have K = taps and M = 1 per group).
    const dw = compiled<FloatDepthwise>(node, w, b, 'dw', geometry(inSp, outSp), () => {
      const W = convWindows(inSp, outSp, a);
      const idx = new Int32Array(W.outPix * W.taps).fill(-1);
      W.plan.forEach((list, op) => {
        for (let j = 0; j < list.length; j += 2) idx[op * W.taps + list[j]!] = list[j + 1]! * cin;
      });
      return new FloatDepthwise(W.outPix, W.taps, cout, w.data, b ? b.data : new Float32Array(cout), idx);
    });
    const inPix = inSp.reduce((p, d) => p * d, 1);
    const samples = x.data.length / (inPix * cin);
    const len = samples * dw.rowsPerSample * cout;
    const out = alloc(len);
    const z = reluAlloc?.(len);
    dw.run(x.data, samples, inPix * cin, out, z);
    return z ? [{ shape: outShape, data: out }, { shape: outShape, data: z }] : [{ shape: outShape, data: out }];
  }
  if (wasmFloatAvailable()) {
    const { gemm, scatter } = compiled<WasmConv>(node, w, b, 'wasm', geometry(inSp, outSp), () => {
      const W = convWindows(inSp, outSp, a);
      const K = W.taps * cinG;
      const gemm = new FloatGemm(
        W.outPix,
        cout,
        Array.from({ length: a.group }, (_, gr) => {
          const wg = new Float64Array(K * coutG);
          for (let k = 0; k < K; k++) for (let co = 0; co < coutG; co++) wg[k * coutG + co] = w.data[k * cout + gr * coutG + co]!;
          const init = new Float64Array(coutG);
          if (b) for (let co = 0; co < coutG; co++) init[co] = b.data[gr * coutG + co]!;
          return { K, M: coutG, w: wg, init, idx: windowIndex(W, cin, gr * cinG, cinG), c0: gr * coutG };
        }),
      );
      const scatter =
        a.group === 1 && wasmScatterAvailable() ? new FloatScatterConv(W.inPix, W.outPix, cin, cout, W.taps, W.plan, w.data, b ? b.data : new Float32Array(cout)) : null;
      return { gemm, scatter };
    });
    const inPix = inSp.reduce((p, d) => p * d, 1);
    const samples = x.data.length / (inPix * cin);
    const len = samples * gemm.rowsPerSample * cout;
    const out = alloc(len);
    const z = reluAlloc?.(len);
    // Sparse inputs (measured on the first sample) visit each input once and skip its zeros.
    const share = nonZeroShare(x.data, inPix * cin);
    // Whole quads with weights gemm_f64_dense cannot take: the compacted sums list every row's inputs, this each input once.
    if (scatter && (share < SCATTER_DENSITY || (!gemm.dense && cout % 8 === 0))) scatter.run(x.data, samples, out, z);
    else gemm.run(x.data, samples, inPix * cin, out, z, share);
    return z ? [{ shape: outShape, data: out }, { shape: outShape, data: z }] : [{ shape: outShape, data: out }];
  }
  if (!sumsCodegen.enabled) return referenceConv(node as never, ins, outShapes);
  const prog = compiled<ConvProgram>(node, w, b, '', geometry(inSp, outSp), () => {
    const P = convPlan(inSp, outSp, a, cin, cout);
    const K = P.W.taps * cinG;
    const inside: RowSums[] = [];
    const border: RowSums[] = [];
    for (let gr = 0; gr < a.group; gr++) {
      const wg = new Float64Array(K * coutG);
      for (let k = 0; k < K; k++) for (let co = 0; co < coutG; co++) wg[k * coutG + co] = w.data[k * cout + gr * coutG + co]!;
      const init = new Float64Array(coutG);
      if (b) for (let co = 0; co < coutG; co++) init[co] = b.data[gr * coutG + co]!;
      inside.push(rowSums(K, coutG, wg, init, P.off[gr]!, { dropZeroWeights: false }));
      border.push(rowSums(K, coutG, wg, init, P.identity, { dropZeroWeights: false }));
    }
    return { P, inside, border };
  });
  const { P, inside, border } = prog;
  const samples = x.data.length / (P.W.inPix * cin);
  const out = new Float32Array(samples * P.W.outPix * cout);
  const block = convBlock(P, samples);
  const patch = new Float32Array(Math.max(1, block * P.border.length * P.W.taps * cinG));
  runConvPlan(P, x.data, samples, out, inside, border, patch, block);
  return [{ shape: outShape, data: out }];
};

const conv: Kernel<'Conv'> = (node, ins, outShapes, alloc = fresh32) => convWith(node, ins, outShapes, alloc);

const referenceAdd = elementwiseKernels.Add!;
const referenceTranspose = layoutKernels.Transpose!;

/**
 * The repeated block of an Add operand `s` into `out`: its element count m when it equals the
 * output's trailing dims after its own leading 1s (a residual join: m = all; a per-channel bias
 * in channel-last layout, a scalar), else null (a broadcast inside the shape).
 */
function trailingBlock(s: readonly number[], out: readonly number[]): number | null {
  let i = 0;
  while (i < s.length && s[i] === 1) i++;
  const own = s.slice(i);
  if (own.length > out.length || own.some((d, j) => d !== out[out.length - own.length + j])) return null;
  return own.reduce((p, d) => p * d, 1);
}

/**
 * Add where each operand is the whole output or a block of its trailing dims repeated (see
 * trailingBlock), in WebAssembly SIMD (wasm-float-eltwise.ts); without it, same-shape Add as a
 * plain loop. The sum is the reference's: the float64 sum of two float32 values rounded to
 * float32. With `reluAlloc` also the Relu of the stored sum (v > 0 ? v : +0, NaN → 0, as the
 * reference). Other broadcasts take the reference kernel.
 */
const addWith = (node: Node, ins: readonly (RtTensor | undefined)[], outShapes: readonly (readonly number[])[], alloc: (len: number) => Float32Array, reluAlloc?: ReluAlloc): RtTensor[] => {
  const a = ins[0]!;
  const b = ins[1]!;
  const shape = outShapes[0]!;
  const n = shape.reduce((p, d) => p * d, 1);
  if (wasmEltwiseAvailable() && n > 0) {
    const ma = trailingBlock(a.shape, shape);
    const mb = trailingBlock(b.shape, shape);
    // One operand whole, the other whole or repeated (both repeated would be a broadcast of both).
    if (ma !== null && mb !== null && (ma === n || mb === n)) {
      const out = alloc(n);
      const z = reluAlloc?.(n);
      addF32(a.data, b.data, n, Math.min(ma, mb), out, z);
      return z ? [{ shape, data: out }, { shape, data: z }] : [{ shape, data: out }];
    }
  }
  if (!sumsCodegen.enabled || a.data.length !== b.data.length || a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    return referenceAdd(node as never, ins, outShapes);
  }
  const x = a.data;
  const y = b.data;
  const out = alloc(n);
  if (!reluAlloc) {
    for (let i = 0; i < n; i++) out[i] = x[i]! + y[i]!;
    return [{ shape, data: out }];
  }
  const z = reluAlloc(n);
  for (let i = 0; i < n; i++) {
    const v = Math.fround(x[i]! + y[i]!);
    out[i] = v;
    // Branch-free like the Relu reference: v·(v > 0) + 0 is v or +0, NaN only for NaN/−Inf.
    const r = v * +(v > 0) + 0;
    z[i] = r === r ? r : 0;
  }
  return [{ shape, data: out }, { shape, data: z }];
};

/**
 * How a Transpose moves one sample: null keeps the order; `rot` when the perm (size-1 dims
 * dropped) rotates the dims, i.e. a 2-D transpose of [A, B] (NCHW ↔ NHWC: A or B = channels);
 * else a gather through `map`, each output element's source offset.
 */
type TransposePlan = { rot: { A: number; B: number } } | { map: Int32Array } | null;

/**
 * Transpose per a plan made once per node (the reference recomputes its index map per call),
 * into reused arrays; an order-keeping one is a view, like Reshape.
 */
const transpose: Kernel<'Transpose'> = (node, ins, outShapes, alloc = fresh32) => {
  const x = ins[0]!;
  const perm = node.attrs.perm;
  const own = x.shape.slice(x.shape.length - perm.length);
  const blk = own.reduce((p, d) => p * d, 1);
  const plan = compiled<TransposePlan>(node, EMPTY, undefined, 'transpose', own, () => {
    const moved = perm.filter((p) => own[p]! !== 1);
    if (moved.every((p, i) => i === 0 || p > moved[i - 1]!)) return null;
    // A rotation: moved = [k, k+1, …, r−1, 0, 1, …, k−1] (of the dims that are not 1).
    const kept = [...moved].sort((p, q) => p - q);
    const k = moved.indexOf(kept[0]!);
    if (moved.every((p, i) => p === kept[(i + moved.length - k) % moved.length])) {
      const A = moved.slice(k).reduce((acc, d) => acc * own[d]!, 1);
      return { rot: { A, B: blk / A } };
    }
    // transposeData on the sample 0..blk-1 gives each output element's source offset.
    return { map: Int32Array.from(transposeData(Float64Array.from({ length: blk }, (_, i) => i), own, perm)) };
  });
  const d = x.data;
  // Order kept: the same data under the new shape, as Reshape gives it (values are never written after they are made).
  if (!plan) return [{ shape: outShapes[0]!, data: d }];
  const out = alloc(d.length);
  if ('rot' in plan) {
    rotate(d, out, plan.rot.A, plan.rot.B);
    return [{ shape: outShapes[0]!, data: out }];
  }
  const map = plan.map;
  for (let base = 0; base < d.length; base += blk) for (let o = 0; o < blk; o++) out[base + o] = d[base + map[o]!]!;
  return [{ shape: outShapes[0]!, data: out }];
};

/**
 * The 2-D transpose out[j·A + i] = in[i·B + j] of each block of A·B floats: input rows four at
 * a time, so each step writes four neighbouring floats (for A < 4, an image of 2–3 channels to
 * channels-last, the A rows side by side and the output in order). Measured ~1.6× the one-row
 * strided loop it replaces, on a CIFAR-shaped input and on Flatten relayouts.
 */
function rotate(d: Float32Array, out: Float32Array, A: number, B: number): void {
  const blk = A * B;
  for (let base = 0; base < d.length; base += blk) {
    if (A === 3 || A === 2) {
      const r0 = base;
      const r1 = base + B;
      const r2 = base + 2 * B;
      let o = base;
      if (A === 3) {
        for (let j = 0; j < B; j++) {
          out[o++] = d[r0 + j]!;
          out[o++] = d[r1 + j]!;
          out[o++] = d[r2 + j]!;
        }
      } else {
        for (let j = 0; j < B; j++) {
          out[o++] = d[r0 + j]!;
          out[o++] = d[r1 + j]!;
        }
      }
      continue;
    }
    let i = 0;
    for (; i + 4 <= A; i += 4) {
      const r0 = base + i * B;
      const r1 = r0 + B;
      const r2 = r1 + B;
      const r3 = r2 + B;
      let o = base + i;
      for (let j = 0; j < B; j++, o += A) {
        out[o] = d[r0 + j]!;
        out[o + 1] = d[r1 + j]!;
        out[o + 2] = d[r2 + j]!;
        out[o + 3] = d[r3 + j]!;
      }
    }
    for (; i < A; i++) {
      const src = base + i * B;
      let o = base + i;
      for (let j = 0; j < B; j++, o += A) out[o] = d[src + j]!;
    }
  }
}

/**
 * Kernels that can also produce the output of a Relu reading theirs, in the same pass (the
 * executor then gives the Relu that array): the fused array is exactly the Relu reference
 * kernel's result on this output. They return [output] only when they cannot fuse.
 */
export const reluFusable: Partial<Record<string, (node: Node, ins: readonly (RtTensor | undefined)[], outShapes: readonly (readonly number[])[], alloc: (len: number) => Float32Array, reluAlloc: ReluAlloc) => RtTensor[]>> = {
  Dense: denseWith,
  Conv: convWith,
  Add: addWith,
};

const referenceMaxPool = poolKernels.MaxPool!;

/** The WebAssembly max pool of a layer whose windows all have one shape inside the input, else null. */
function wasmMaxPool(inSp: readonly number[], outSp: readonly number[], a: PoolAttrs, C: number): FloatMaxPool | null {
  const { taps } = poolWindowPlan(inSp, outSp, a, false);
  const first = taps[0];
  if (!first || first.length === 0) return null;
  const rel = first.map((t) => t - first[0]!);
  if (taps.some((l) => l.length !== rel.length || l.some((t, j) => t - l[0]! !== rel[j]))) return null;
  return new FloatMaxPool(inSp.reduce((p, d) => p * d, 1), C, Int32Array.from(taps, (l) => l[0]!), rel);
}
const wasmPools = new WeakMap<Node, { dims: readonly number[]; pool: FloatMaxPool | null }>();

/** MaxPool with uniform in-input windows as generated code (pool-codegen.ts); others the reference loops. */
const maxPool: Kernel<'MaxPool'> = (node, ins, outShapes, alloc = fresh32) => {
  const a: PoolAttrs = node.attrs;
  const x = ins[0]!;
  const s = a.kernel.length;
  const r = x.shape.length;
  const inSp = x.shape.slice(r - s - 1, r - 1);
  const outSp = outShapes[0]!.slice(r - s - 1, r - 1);
  const C = x.shape[r - 1]!;
  const inPix = inSp.reduce((p, d) => p * d, 1);
  if (!sumsCodegen.enabled) return referenceMaxPool(node, ins, outShapes);
  if (wasmFloatAvailable()) {
    // A cache of its own: for windows of several shapes (null here) the generated pool below
    // takes `compiled`'s slot, and sharing it would rebuild both on every call.
    const dims = geometry(inSp, outSp, C);
    let entry = wasmPools.get(node);
    if (!entry || !sameDims(entry.dims, dims)) wasmPools.set(node, (entry = { dims, pool: wasmMaxPool(inSp, outSp, a, C) }));
    const pool = entry.pool;
    if (pool) {
      const out = alloc(outShapes[0]!.reduce((p, d) => p * d, 1));
      pool.run(x.data, x.data.length / (inPix * C), out);
      return [{ shape: outShapes[0]!, data: out }];
    }
  }
  const run = compiled<MaxPoolRun | null>(node, EMPTY, undefined, 'pool', geometry(inSp, outSp, C), () => uniformMaxPool(poolWindowPlan(inSp, outSp, a, false), inPix, C));
  if (!run) return referenceMaxPool(node, ins, outShapes);
  const out = alloc(outShapes[0]!.reduce((p, d) => p * d, 1));
  run(x.data, out, x.data.length / (inPix * C));
  return [{ shape: outShapes[0]!, data: out }];
};
const EMPTY: RtTensor = { shape: [0], data: new Float32Array(0) };
const NO_DIMS: readonly number[] = [];

/** 0..K-1: the index map of a dense layer's rows. */
function identityIndex(K: number): Int32Array {
  return Int32Array.from({ length: K }, (_, k) => k);
}

function fresh32(len: number): Float32Array {
  return new Float32Array(len);
}

export const generatedFloatKernels: KernelTable = {
  Dense: dense,
  Conv: conv,
  MaxPool: maxPool,
  Transpose: (node, ins, outShapes, alloc) => (sumsCodegen.enabled ? transpose(node, ins, outShapes, alloc) : referenceTranspose(node, ins, outShapes)),
  Add: (node, ins, outShapes, alloc = fresh32) => addWith(node, ins, outShapes, alloc),
};

