/**
 * WebAssembly SIMD weighted sums for the fixed-point simulator's Dense and Conv layers (issue #13;
 * the float executor's are in wasm-float.ts): a small module emitted as bytes from this file (no
 * toolchain), compiled once per thread, holding
 *  - cvt_f64_i16 + gather_seg (wasm-gather.ts): the input converted to int16 once, then the
 *    patch (im2col.ts's windows) copied as runs of 16 bytes;
 *  - gemm_i16: y[r][m] = Σ_k x[r][k]·w[k][m] with i32x4.dot_i16x8_s — 8 products per
 *    instruction, pairs of k at a time, branch-free. Used for
 *    integer raws only when the int32 sums are exact: every raw fits int16 and
 *    Σ_k |w[k][m]|·max|x| < 2^31 for every m, so no partial sum, in any order, overflows
 *    (int16SumsExact in src/ir/precision.ts, from the same bound the quantize pass uses);
 *  - cast_i32 / cast_i32x4 (wasm-cast.ts): the layer's output cast of those sums, in integers,
 *    with an optional ReLU output; maxpool_f64 (wasm-pool.ts): a max pool fused after that ReLU;
 *  - eltwise_f64 (wasm-fixed-eltwise.ts): the fixed element-wise ops and their cast;
 *  - quant_f64 (wasm-fixed-quant.ts): the graph inputs' entry cast.
 *    Exact integer sums are identical in any order.
 * Outputs are processed in quads of 4 vectors (weights interleaved [quad][k][4][lanes]) so one
 * input load feeds 4 vectors, then the 1–3 vectors left in one more pass ([k][vec][lanes]). Each call copies its
 * index map and packed weights, and its inputs unless they already live in this memory, into
 * scratch (reset per call, grown when needed), so compiling many programs leaks nothing; the
 * integer path works through it in blocks small enough to stay in L2 (INT_BLOCK_BYTES).
 * Above the scratch the memory may hold the report's arena (wasm-stats.ts StatsArena): inputs
 * there are read, and contiguous outputs written, in place. `wasmGemm.enabled = false` turns
 * the path off (the tests' reference).
 */

import { sumsCodegen } from './sums-codegen.js';
import { CAST4_LOCALS, CAST4_PARAMS, CAST_LOCALS, CAST_PARAMS, castBody, castSimdBody, type CastPlan, simdCast } from './wasm-cast.js';
import { ELTWISE_LOCALS, ELTWISE_PARAMS, eltwiseBody } from './wasm-fixed-eltwise.js';
import { QUANT_LOCALS, QUANT_PARAMS, quantBody } from './wasm-fixed-quant.js';
import { type FusedPool, MAXPOOL_LOCALS, MAXPOOL_PARAMS, maxPoolBody, poolBytes } from './wasm-pool.js';
import { CVT_LOCALS, cvtBody, GATHER_SEG_LOCALS, gatherSegBody, segments } from './wasm-gather.js';
import { u, I32, V128, get, set, i32c, add, mul, i32load, v128load, v128store, v128zero, i32x4splat, i32x4add, dot, ifThen, inc, whileLt, vec, section, str, funcBody, lazyModule, layout, type ScratchModule } from './wasm-asm.js';

/** Off: Dense/Conv use the JavaScript sums (the tests compare both); sumsCodegen off turns it off too. */
export const wasmGemm = {
  enabled: true,
  /** Layers prepared for the module so far (tests check the path is taken). */
  compiled: 0,
  /** Blocks whose input was read, and whose outputs were written, where they lie in the module's memory (the stats arena), no copy. */
  inPlace: 0,
};

/**
 * gemm_i16(x, rows, K2, nquad, ntail, w, y): x rows of K2 int16 pairs, y int32 rows of
 * 4·(4·nquad + ntail). Locals: x rows K2 nquad ntail w y | r xp xend wp q p s a0 a1 a2 a3.
 */
function gemmI16Body(): number[] {
  const [x, rows, K2, nquad, ntail, w, y, r, xp, xend, wp, q, p, sv, a0, a1, a2, a3] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17];
  const accs = [a0, a1, a2, a3];
  const kLoop = (nv: number) =>
    whileLt(
      xp,
      get(xend),
      [...get(xp), ...i32load(), ...set(p)],
      // No test for a zero pair: on post-ReLU inputs (zero pairs at random) the branch
      // mispredicted often enough that doing the dots anyway is 10–15 % faster (resnet, LeNet-5).
      [...get(p), ...i32x4splat, ...set(sv)],
      accs.slice(0, nv).flatMap((a, i) => [...get(a), ...get(sv), ...get(wp), ...v128load(16 * i), ...dot, ...i32x4add, ...set(a)]),
      inc(xp, i32c(4)),
      inc(wp, i32c(16 * nv)),
    );
  const pass = (limit: number[], nv: number) =>
    [
      ...i32c(0),
      ...set(q),
      ...whileLt(
        q,
        limit,
        accs.slice(0, nv).flatMap((a) => [...v128zero, ...set(a)]),
        [...get(x), ...get(r), ...get(K2), ...mul, ...i32c(4), ...mul, ...add, ...set(xp)],
        [...get(xp), ...get(K2), ...i32c(4), ...mul, ...add, ...set(xend)],
        kLoop(nv),
        accs.slice(0, nv).flatMap((a, i) => [...get(y), ...get(a), ...v128store(16 * i)]),
        inc(y, i32c(16 * nv)),
        inc(q, i32c(1)),
      ),
    ];
  return [
    ...i32c(0),
    ...set(r),
    ...whileLt(r, get(rows), [...get(w), ...set(wp)], pass(get(nquad), 4), tail(ntail, pass), inc(r, i32c(1))),
  ];
}

/** The 1–3 vectors after the quads as one pass (one read of the row): `pass` specialised for ntail. */
function tail(ntail: number, pass: (limit: number[], nv: number) => number[]): number[] {
  return [1, 2, 3].flatMap((nv) => [...get(ntail), ...i32c(nv), 0x46 /* i32.eq */, ...ifThen(pass(i32c(1), nv))]);
}

/** The module's bytes (exported for the test that validates them). */
export function moduleBytes(): Uint8Array {
  const fn = (params: number, results: number[] = []) => [0x60, ...vec(new Array<number[]>(params).fill([I32])), ...vec(results.map((r) => [r]))];
  const types = [fn(7), [0x60, ...vec(CAST_PARAMS.map((t) => [t])), ...vec([[I32]])], fn(3), [0x60, ...vec(CAST4_PARAMS.map((t) => [t])), ...vec([[I32]])], fn(MAXPOOL_PARAMS.length), [0x60, ...vec(ELTWISE_PARAMS.map((t) => [t])), ...vec([[I32]])], [0x60, ...vec(QUANT_PARAMS.map((t) => [t])), ...vec([[I32]])]];
  const funcs: { name: string; type: number; locals: [number, number][]; code: number[] }[] = [
    { name: 'gemm_i16', type: 0, locals: [[6, I32], [5, V128]], code: gemmI16Body() },
    { name: 'cast_i32', type: 1, locals: CAST_LOCALS, code: castBody() },
    { name: 'cvt_f64_i16', type: 2, locals: CVT_LOCALS, code: cvtBody() },
    { name: 'gather_seg', type: 0, locals: GATHER_SEG_LOCALS, code: gatherSegBody() },
    { name: 'cast_i32x4', type: 3, locals: CAST4_LOCALS, code: castSimdBody() },
    { name: 'maxpool_f64', type: 4, locals: MAXPOOL_LOCALS, code: maxPoolBody() },
    { name: 'eltwise_f64', type: 5, locals: ELTWISE_LOCALS, code: eltwiseBody() },
    { name: 'quant_f64', type: 6, locals: QUANT_LOCALS, code: quantBody() },
  ];
  const bytes = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00].concat(
    section(1, vec(types)),
    section(3, vec(funcs.map((f) => u(f.type)))),
    section(5, vec([[0x00, ...u(1)]])),
    section(7, vec([[...str('mem'), 0x02, 0], ...funcs.map((f, i) => [...str(f.name), 0x00, ...u(i)])])),
    section(10, vec(funcs.map((f) => funcBody(f.locals, f.code)))),
  );
  return Uint8Array.from(bytes);
}

// ---------- runtime ----------

export interface Exports extends ScratchModule {
  gemm_i16(x: number, rows: number, K2: number, nquad: number, ntail: number, w: number, y: number): void;
  cvt_f64_i16(src: number, n: number, dst: number): void;
  maxpool_f64(src: number, nb: number, inStride: number, orig: number, nOut: number, rel: number, nTaps: number, cBytes: number, dst: number): void;
  cast_i32x4(sums: number, rows: number, M4: number, init: number, y: number, z: number, up: number, sh: number, add: number, min: number, max: number, ws: number, om: number, nt: number): number;
  gather_seg(src: number, step: number, nb: number, segs: number, nseg: number, dst: number, dstStep: number): void;
  cast_i32(
    sums: number, rows: number, Mp: number, M: number, init: number, y: number, z: number, up: number, rm: number, om: number, W: number,
    sh: bigint, add: bigint, h: bigint, mask: bigint, min: bigint, max: bigint,
  ): number;
  eltwise_f64(
    a: number, sa: number, b: number, sb: number, n: number, y: number, z: number, op: number, rm: number, om: number,
    ka: number, kb: number, scale: number, add: number, min: number, max: number, w2: number, w2inv: number, half: number,
  ): number;
  quant_f64(x: number, n: number, y: number, f32: number, q: number, om: number, s: number, min: number, max: number, w2: number, w2inv: number, half: number): number;
}

/** The module on this thread, or null where WebAssembly SIMD is unavailable. */
const wasm = lazyModule<Exports>('fixed', moduleBytes);

export function wasmAvailable(): boolean {
  return wasmGemm.enabled && sumsCodegen.enabled && wasm() !== null;
}

/**
 * The module's memory, or null where the module is unavailable. The stats module shares it
 * (wasm-stats.ts): arrays lent from it above the scratch are read and written in place here.
 */
export function gemmMemory(): ScratchModule['mem'] | null {
  return wasm()?.mem ?? null;
}

/** The module's exports on this thread (null where unavailable): the element-wise kernels (wasm-fixed-eltwise.ts) run in it too. */
export function fixedModule(): Exports | null {
  return wasm();
}

/**
 * One weighted-sum layer prepared for the module: rows of K inputs gathered through `idx`
 * (per block of samples: idx.length = rowsPerSample·K entries, -1 = padding), M outputs per
 * row into columns [col0, col0 + M) of rows `yStride` apart. Weights are w[k·M + m].
 */
export interface GemmLayer {
  readonly K: number;
  readonly M: number;
  /** Rows per sample (output pixels of a conv, 1 for Dense). */
  readonly rowsPerSample: number;
}

const ceilDiv = (a: number, b: number) => Math.ceil(a / b);

/** Rows per call so scratch stays near 32 MB. */
function blockOf(perSample: number, samples: number, budget = 32 << 20): number {
  return Math.max(1, Math.min(samples, Math.floor(budget / Math.max(1, perSample))));
}

/**
 * Scratch per block of the integer sums: small enough that the block's input, patch, sums and
 * outputs stay in the core's L2 cache from one pass to the next (copy in, convert, gather,
 * multiply, cast, copy out); larger blocks made every pass stream through main memory.
 */
export const INT_BLOCK_BYTES = { value: 256 << 10 };

/**
 * Exact integer sums: S[r][m] = Σ_k x·w in int32, given raws x (doubles holding integers) and
 * integer weights. `fits` reports whether every raw fits int16 and the sums cannot overflow.
 */
export class GemmI16 {
  /** Packed form (read by gemmCastRun too): pairs of k, quads and tail of 4-output vectors. */
  readonly K2: number;
  readonly nquad: number;
  readonly ntail: number;
  readonly Mp: number;
  readonly wPacked: Int16Array;
  /** The patch gather as segments (wasm-gather.ts) of the per-sample index map. */
  readonly segs: Int32Array;

  /** `idx`: per-sample index map of rowsPerSample·K entries into the sample (see windowIndex). */
  constructor(
    readonly L: GemmLayer,
    w: ArrayLike<number>,
    idx: Int32Array,
  ) {
    const { K, M } = L;
    wasmGemm.compiled++;
    this.K2 = ceilDiv(K, 2);
    const nb = ceilDiv(M, 4);
    this.nquad = Math.floor(nb / 4);
    this.ntail = nb - 4 * this.nquad;
    this.Mp = 4 * nb;
    const Kp = 2 * this.K2;
    const wp = new Int16Array(this.K2 * this.Mp * 2);
    // Quads: [quad][kpair][4 vectors][4 outputs][2 k]; the 0–3 tail vectors: [kpair][vec][4 outputs][2 k].
    const wAt = (k: number, m: number) => (k < K && m < M ? w[k * M + m]! : 0);
    let o = 0;
    for (let q = 0; q < this.nquad; q++) {
      for (let kp = 0; kp < this.K2; kp++) {
        for (let vv = 0; vv < 4; vv++) {
          for (let lane = 0; lane < 4; lane++) {
            const m = (4 * q + vv) * 4 + lane;
            wp[o++] = wAt(2 * kp, m);
            wp[o++] = wAt(2 * kp + 1, m);
          }
        }
      }
    }
    for (let kp = 0; kp < this.K2; kp++) {
      for (let t = 0; t < this.ntail; t++) {
        for (let lane = 0; lane < 4; lane++) {
          const m = (4 * this.nquad + t) * 4 + lane;
          wp[o++] = wAt(2 * kp, m);
          wp[o++] = wAt(2 * kp + 1, m);
        }
      }
    }
    this.wPacked = wp;
    // Rows padded to an even length with padding entries.
    const R = L.rowsPerSample;
    const pi = new Int32Array(R * Kp).fill(-1);
    for (let r = 0; r < R; r++) pi.set(idx.subarray(r * K, (r + 1) * K), r * Kp);
    this.segs = segments(pi);
  }

  /**
   * Sums for `samples` samples of x (sampleStride elements apart), calling
   * `emit(sums, Mp, row0, rows)` per block with int32 sums rows·Mp (column m of row r at r·Mp + m).
   */
  run(x: Float64Array, samples: number, sampleStride: number, emit: (sums: Int32Array, Mp: number, row0: number, rows: number) => void): void {
    const ex = wasm()!;
    const R = this.L.rowsPerSample;
    const bs = blockOf(R * (2 * this.K2 * 2 + this.Mp * 4) + sampleStride * 10, samples, INT_BLOCK_BYTES.value);
    const [yo] = this.layoutCall(bs, sampleStride, [bs * R * this.Mp * 4]);
    const yv = new Int32Array(ex.mem.buffer, yo!, bs * R * this.Mp);
    for (let s0 = 0; s0 < samples; s0 += bs) {
      const nb = Math.min(bs, samples - s0);
      this.sums(ex, x, s0, nb, sampleStride, yo!);
      emit(yv, this.Mp, s0 * R, nb * R);
    }
  }

  /** Scratch of the gather and sums, the first four regions of every call: x, x as int16, segments, patch, weights. */
  gatherSizes(bs: number, sampleStride: number): number[] {
    return [bs * sampleStride * 8 + 16, bs * sampleStride * 2 + 16, this.segs.length * 4, bs * this.L.rowsPerSample * this.K2 * 4 + 16, this.wPacked.length * 2];
  }

  /**
   * Samples [s0, s0 + nb) of x into int32 sums at `so`: copy, convert, gather, multiply. The
   * regions are the ones gatherSizes() laid out first (offsets recomputed: layout is deterministic).
   */
  sums(ex: Exports, x: Float64Array, s0: number, nb: number, sampleStride: number, so: number): void {
    const R = this.L.rowsPerSample;
    const [xo, x16, sg, po, wo] = this.offs!;
    let xAt = xo!;
    if (x.buffer === ex.mem.buffer) xAt = x.byteOffset + s0 * sampleStride * 8; // in the arena: read in place
    else new Float64Array(ex.mem.buffer, xo!, nb * sampleStride).set(x.subarray(s0 * sampleStride, (s0 + nb) * sampleStride));
    ex.cvt_f64_i16(xAt, nb * sampleStride, x16!);
    ex.gather_seg(x16!, sampleStride * 2, nb, sg!, this.segs.length / 3, po!, R * this.K2 * 4);
    ex.gemm_i16(po!, nb * R, this.K2, this.nquad, this.ntail, wo!, so);
  }

  /** Offsets of the gather regions of the current call (set by layoutCall). */
  private offs?: number[];

  /**
   * Lays out this call's scratch — the gather regions, then `more` — and copies the segment
   * table and the packed weights in (scratch is shared by every layer, so once per call).
   * Returns the offsets of `more`.
   */
  layoutCall(bs: number, sampleStride: number, more: number[]): number[] {
    const ex = wasm()!;
    const all = layout(ex, [...this.gatherSizes(bs, sampleStride), ...more]);
    const [, , sg, , wo] = (this.offs = all.slice(0, 5));
    new Int32Array(ex.mem.buffer, sg!, this.segs.length).set(this.segs);
    new Int16Array(ex.mem.buffer, wo!, this.wPacked.length).set(this.wPacked);
    return all.slice(5);
  }
}

/**
 * The layer's output cast done in the module (wasm-cast.ts) after the sums of each block:
 * sums·2^up + init[m] cast by `plan` into y (rows yStride apart from column c0) and, when `z` is
 * given, its ReLU into z at the same places. Returns the number of elements that overflowed.
 */
export function gemmCastRun(
  g: GemmI16,
  x: Float64Array,
  samples: number,
  sampleStride: number,
  plan: CastPlan,
  init: BigInt64Array,
  bound: number,
  y: Float64Array,
  yStride: number,
  c0: number,
  z?: Float64Array,
  pool?: { spec: FusedPool; p: Float64Array },
): number {
  const ex = wasm()!;
  const { M, rowsPerSample: R } = g.L;
  const outB = M * 8 * (z ? 2 : 1);
  const bs = blockOf(R * (g.K2 * 4 + g.Mp * 4 + outB) + sampleStride * 10, samples, INT_BLOCK_BYTES.value);
  const nOut = pool ? pool.spec.origins.length : 0;
  const nTaps = pool ? pool.spec.rel.length : 0;
  const [so, ino, yo, zo, oo, ro, po] = g.layoutCall(bs, sampleStride, [bs * R * g.Mp * 4, Math.max(M * 8, g.Mp * 4), bs * R * M * 8, z ? bs * R * M * 8 : 0, nOut * 4, nTaps * 4, bs * nOut * M * 8]);
  const buf = ex.mem.buffer;
  if (pool) {
    // Origins and taps in bytes of the ReLU block (pixels of M channels).
    const b = poolBytes(pool.spec, M);
    new Int32Array(buf, oo!, nOut).set(b.origins);
    new Int32Array(buf, ro!, nTaps).set(b.rel);
  }
  const pv = pool ? new Float64Array(buf, po!, bs * nOut * M) : undefined;
  const s4 = simdCast(plan, bound);
  if (s4) new Int32Array(buf, ino!, g.Mp).set(init32(init, g.Mp));
  else new BigInt64Array(buf, ino!, M).set(init);
  const yv = new Float64Array(buf, yo!, bs * R * M);
  const zv = z ? new Float64Array(buf, zo!, bs * R * M) : undefined;
  // Outputs in the arena (this memory, after layoutCall, which may have taken the arena back)
  // and contiguous are written where they lie, the ReLU too when a fused pool reads it (the pool
  // reads it there: a copy out of scratch cost a pass over the layer's largest value).
  const inPlace = yStride === M && y.buffer === buf && (!z || z.buffer === buf) && (!pool || pool.p.buffer === buf);
  let overflows = 0;
  for (let s0 = 0; s0 < samples; s0 += bs) {
    const nb = Math.min(bs, samples - s0);
    const rows = nb * R;
    const r0 = s0 * R;
    g.sums(ex, x, s0, nb, sampleStride, so!);
    const yAt = inPlace ? y.byteOffset + r0 * M * 8 : yo!;
    const zAt = !z ? 0 : inPlace ? z.byteOffset + r0 * M * 8 : zo!;
    if (s4) overflows += ex.cast_i32x4(so!, rows, M >> 2, ino!, yAt, zAt, plan.up, s4.sh, s4.add, s4.min, s4.max, s4.ws, s4.om, M & 3);
    else overflows += ex.cast_i32(so!, rows, g.Mp, M, ino!, yAt, zAt, plan.up, plan.rm, plan.om, plan.W, plan.sh, plan.add, plan.h, plan.mask, plan.min, plan.max);
    if (pool) {
      ex.maxpool_f64(zAt, nb, R * M * 8, oo!, nOut, ro!, nTaps, M * 8, inPlace ? pool.p.byteOffset + s0 * nOut * M * 8 : po!);
      if (!inPlace) pool.p.set(pv!.subarray(0, nb * nOut * M), s0 * nOut * M);
    }
    if (inPlace) wasmGemm.inPlace++;
    else if (yStride === M) {
      y.set(yv.subarray(0, rows * M), r0 * M);
      if (z) z.set(zv!.subarray(0, rows * M), r0 * M);
    } else {
      for (let r = 0; r < rows; r++) {
        const at = (r0 + r) * yStride + c0;
        y.set(yv.subarray(r * M, (r + 1) * M), at);
        if (z) z.set(zv!.subarray(r * M, (r + 1) * M), at);
      }
    }
  }
  return overflows;
}

const init32Of = new WeakMap<BigInt64Array, Int32Array>();
/** init as int32, zero-padded to Mp entries (cast_i32x4 reads whole quads). */
function init32(init: BigInt64Array, Mp: number): Int32Array {
  let v = init32Of.get(init);
  if (!v) {
    v = new Int32Array(Mp);
    for (let m = 0; m < init.length; m++) v[m] = Number(init[m]);
    init32Of.set(init, v);
  }
  return v;
}

export type EmitCast = (sums: Int32Array, Mp: number, row0: number, rows: number, y: Float64Array, yStride: number, c0: number, M: number, scale: number, init: Float64Array) => void;

/**
 * y[(row0 + r)·yStride + c0 + m] = cast(sums[r·Mp + m]·scale + init[m]) — the sum moved to
 * A's grid (exact: integers below 2^53) and cast into the output type in the same pass. A
 * loop of its own per layer (new source), so the call to that layer's cast is inlined.
 */
export function emitCast(cast: (acc: number) => number): EmitCast {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function(
    'f',
    'return function (sums, Mp, row0, rows, y, yStride, c0, M, scale, init) { for (let r = 0; r < rows; r++) { const so = r * Mp; const yo = (row0 + r) * yStride + c0; for (let m = 0; m < M; m++) y[yo + m] = f(sums[so + m] * scale + init[m]); } };',
  )(cast) as EmitCast;
}

/** 0..K-1: the index map of a dense layer's rows. */
export function identityIndex(K: number): Int32Array {
  return Int32Array.from({ length: K }, (_, k) => k);
}
