/**
 * WebAssembly SIMD weighted sums for the fixed-point simulator's Dense and Conv layers (issue #13;
 * the float executor's are in wasm-float.ts): a small module emitted as bytes from this file (no
 * toolchain), compiled once per thread, holding
 *  - gather_f64_i16: rows gathered through an index map (im2col.ts's windowIndex; -1 =
 *    padding, 0), converting integer raws held as doubles to int16;
 *  - gemm_i16: y[r][m] = Σ_k x[r][k]·w[k][m] with i32x4.dot_i16x8_s — 8 products per
 *    instruction, pairs of k at a time, skipping a pair of inputs that are both 0. Used for
 *    integer raws only when the int32 sums are exact: every raw fits int16 and
 *    Σ_k |w[k][m]|·max|x| < 2^31 for every m, so no partial sum, in any order, overflows
 *    (int16SumsExact in src/ir/precision.ts, from the same bound the quantize pass uses), and
 *    exact integer sums are identical in any order.
 * Outputs are processed in quads of 4 vectors (weights interleaved [quad][k][4][lanes]) so one
 * input load feeds 4 vectors, then the 1–3 vectors left in one more pass ([k][vec][lanes]). Each call copies its
 * inputs, index map and packed weights into one scratch memory (reset per call, grown when
 * needed), so nothing lives in WebAssembly memory between calls and compiling many programs
 * leaks nothing. `wasmGemm.enabled = false` turns the path off (the tests' reference).
 */

import { sumsCodegen } from './sums-codegen.js';
import { u, I32, F32, V128, get, set, i32c, add, mul, ltS, i32load, f64load, i32store16, v128load, v128store, v128zero, i32x4splat, i32x4add, dot, ifThen, inc, whileLt, vec, section, str, funcBody } from './wasm-asm.js';

/** Off: Dense/Conv use the JavaScript sums (the tests compare both); sumsCodegen off turns it off too. */
export const wasmGemm = { enabled: true, /** Layers prepared for the module so far (tests check the path is taken). */ compiled: 0 };

/**
 * gather(src, step, nb, idx, L, dst): for s < nb, i < L:
 * dst[s·L + i] = idx[i] < 0 ? 0 : convert(src[s·step + idx[i]]). Locals: src step nb idx L dst | si ip iend j.
 */
function gatherBody(srcBytes: 4 | 8, load: number[], convert: number[], storeOp: number[], dstBytes: 2 | 4, zero: number[]): number[] {
  const [src, step, nb, idx, L, dst, si, ip, iend, j] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const inner = whileLt(
    ip,
    get(iend),
    [...get(ip), ...i32load(), ...set(j)],
    get(dst),
    [...get(j), ...i32c(0), ...ltS],
    // if/else with a result: 0 for padding, else the converted element.
    [0x04, dstBytes === 2 ? I32 : F32, ...zero, 0x05, ...get(src), ...get(j), ...i32c(srcBytes), ...mul, ...add, ...load, ...convert, 0x0b],
    storeOp,
    inc(dst, i32c(dstBytes)),
    inc(ip, i32c(4)),
  );
  return [
    ...i32c(0),
    ...set(si),
    ...whileLt(
      si,
      get(nb),
      [...get(idx), ...set(ip)],
      [...get(idx), ...get(L), ...i32c(4), ...mul, ...add, ...set(iend)],
      inner,
      inc(src, [...get(step), ...i32c(srcBytes), ...mul]),
      inc(si, i32c(1)),
    ),
  ];
}

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
      [
        ...get(p),
        ...ifThen(
          [...get(p), ...i32x4splat, ...set(sv)],
          ...accs.slice(0, nv).map((a, i) => [...get(a), ...get(sv), ...get(wp), ...v128load(16 * i), ...dot, ...i32x4add, ...set(a)]),
        ),
      ],
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
  const types = [fn(6), fn(7)];
  const funcs: { name: string; type: number; locals: [number, number][]; code: number[] }[] = [
    { name: 'gather_f64_i16', type: 0, locals: [[4, I32]], code: gatherBody(8, f64load(), [0xaa /* i32.trunc_f64_s */], i32store16(), 2, i32c(0)) },
    { name: 'gemm_i16', type: 1, locals: [[6, I32], [5, V128]], code: gemmI16Body() },
  ];
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec(types)),
    ...section(3, vec(funcs.map((f) => u(f.type)))),
    ...section(5, vec([[0x00, ...u(1)]])),
    ...section(7, vec([[...str('mem'), 0x02, 0], ...funcs.map((f, i) => [...str(f.name), 0x00, ...u(i)])])),
    ...section(10, vec(funcs.map((f) => funcBody(f.locals, f.code)))),
  ];
  return Uint8Array.from(bytes);
}

// ---------- runtime ----------
/** The parts of the WebAssembly API used here (the project's TypeScript lib has no DOM types). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object, imports: object) => { exports: unknown };
}
const WA = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

interface Exports {
  mem: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  gather_f64_i16(src: number, step: number, nb: number, idx: number, L: number, dst: number): void;
  gemm_i16(x: number, rows: number, K2: number, nquad: number, ntail: number, w: number, y: number): void;
}

let instance: Exports | null | undefined;

/** The module on this thread, or null where WebAssembly SIMD is unavailable. */
function wasm(): Exports | null {
  if (instance === undefined) {
    try {
      if (!WA) throw new Error('no WebAssembly');
      const m = new WA.Module(moduleBytes());
      instance = new WA.Instance(m, {}).exports as Exports;
    } catch {
      instance = null;
    }
  }
  return instance;
}

export function wasmAvailable(): boolean {
  return wasmGemm.enabled && sumsCodegen.enabled && wasm() !== null;
}

/** Scratch regions of one call, 16-byte aligned, the memory grown to hold them. */
function layout(ex: Exports, sizes: number[]): number[] {
  const offs: number[] = [];
  let at = 0;
  for (const b of sizes) {
    offs.push(at);
    at += Math.ceil(b / 16) * 16;
  }
  const have = ex.mem.buffer.byteLength;
  if (at > have) ex.mem.grow(Math.ceil((at - have) / 65536));
  return offs;
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
function blockOf(perSample: number, samples: number): number {
  return Math.max(1, Math.min(samples, Math.floor((32 << 20) / Math.max(1, perSample))));
}

/**
 * Exact integer sums: S[r][m] = Σ_k x·w in int32, given raws x (doubles holding integers) and
 * integer weights. `fits` reports whether every raw fits int16 and the sums cannot overflow.
 */
export class GemmI16 {
  private readonly K2: number;
  private readonly nquad: number;
  private readonly ntail: number;
  private readonly Mp: number;
  private readonly wPacked: Int16Array;
  private readonly idx: Int32Array;

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
    this.idx = pi;
  }

  /**
   * Sums for `samples` samples of x (sampleStride elements apart), calling
   * `emit(sums, Mp, row0, rows)` per block with int32 sums rows·Mp (column m of row r at r·Mp + m).
   */
  run(x: Float64Array, samples: number, sampleStride: number, emit: (sums: Int32Array, Mp: number, row0: number, rows: number) => void): void {
    const ex = wasm()!;
    const R = this.L.rowsPerSample;
    const Kp = 2 * this.K2;
    const bs = blockOf(R * (Kp * 2 + this.Mp * 4) + sampleStride * 8, samples);
    const [xo, io, po, wo, yo] = layout(ex, [bs * sampleStride * 8, this.idx.length * 4, bs * R * Kp * 2, this.wPacked.length * 2, bs * R * this.Mp * 4]);
    const buf = ex.mem.buffer;
    new Int32Array(buf, io!, this.idx.length).set(this.idx);
    new Int16Array(buf, wo!, this.wPacked.length).set(this.wPacked);
    const xv = new Float64Array(buf, xo!, bs * sampleStride);
    const yv = new Int32Array(buf, yo!, bs * R * this.Mp);
    for (let s0 = 0; s0 < samples; s0 += bs) {
      const nb = Math.min(bs, samples - s0);
      xv.set(x.subarray(s0 * sampleStride, (s0 + nb) * sampleStride));
      ex.gather_f64_i16(xo!, sampleStride, nb, io!, R * Kp, po!);
      ex.gemm_i16(po!, nb * R, this.K2, this.nquad, this.ntail, wo!, yo!);
      emit(yv, this.Mp, s0 * R, nb * R);
    }
  }
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
