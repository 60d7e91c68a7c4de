/**
 * WebAssembly SIMD kernels of the float reference executor and of the report's statistics
 * (issue #13), a module of their own (emitted with wasm-asm.ts, compiled once per thread):
 *  - gemm_f64 / gemm_f64_relu: a Dense or Conv layer's weighted sums y[r][m] = init[m] +
 *    Σ_k x[r][k]·w[k][m] in float64, stored to float32 — the rows read straight from the
 *    input through an index map (im2col.ts windowIndex; -1 = padding), no patch matrix. Each
 *    row is first compacted, without a branch, into the list of its inputs that are not 0
 *    (value and k); the sums then run over that list only, so a ReLU input or a blank pixel
 *    costs nothing and no branch mispredicts. The terms of every output are still added in
 *    ascending k starting from init, skipping x = 0 — the order of the reference loops
 *    (src/ir/semantics/float/conv.ts, linear.ts) — so the float32 results are bit-identical to
 *    them. The _relu variant also stores max(y, 0) of the float32 result (+0 for −0 and NaN,
 *    as the Relu reference kernel gives), so a Relu reading the layer costs no pass of its own;
 *  - gemm_f64_dense / _relu (wasm-float-dense.ts): the same sums with every term added, two
 *    rows per weight load, where that cannot change a bit (finite weights, no −0 start value)
 *    and the inputs are mostly not 0 (FloatGemm.run measures it);
 *  - dw_f64 / pool_max_f32: depthwise conv and max pooling with channels in lanes.
 * (The report's per-layer sums of squares live in wasm-stats.ts.)
 * Outputs are computed 8 at a time (4 f64x2 accumulators, weights interleaved [quad][k][8]),
 * then the 1–7 left in one more pass ([k][2·ntail]). The module runs on the integer kernels'
 * memory (wasm-float-io.ts): each call copies its constants into scratch (reset per call), so
 * nothing lives there between calls; inputs and outputs that lie in that memory (the report's
 * arena) are used in place, others are copied through scratch in blocks of 128 KB so a kernel's
 * outputs are still in L2 when copied out.
 */
import { u, I32, F32, F64, V128, get, set, i32c, add, mul, i32load, f32load, f64load, f32store, v128load, v128store, f64x2splat, f64x2add, f64x2mul, ifThen, inc, whileLt, vec, section, str, funcBody, simd, mem, lazyModule, layout, type ScratchModule } from './wasm-asm.js';
import { sumsCodegen } from './sums-codegen.js';
import { gemmDenseBody } from './wasm-float-dense.js';
import { blockOf, copyOut, floatImports, inMemory, memoryImportSection, stillIn } from './wasm-float-io.js';

/** Off: the float executor uses its JavaScript sums and the statistics their loop (the tests' reference). */
export const wasmFloat = {
  enabled: true,
  /** Layers prepared for the module so far, and those of them taking gemm_f64_dense (tests check the paths are taken). */
  compiled: 0,
  dense: 0,
  /** Calls of FloatGemm.run that took gemm_f64_dense. */
  denseCalls: 0,
};

const tee = (l: number) => [0x22, ...u(l)];
const f64store = (off = 0) => [0x39, ...mem(3, off)];
const i32store = (off = 0) => [0x36, ...mem(2, off)];
const geS = [0x4e];
const and = [0x71];
const shl = [0x74];
const select = [0x1b];
const promote = [0xbb];
const demote = [0xb6];
const f64ne = [0x62];
const f32gt = [0x5e];
const f32zero = [0x43, 0, 0, 0, 0];
const f64zero = [0x44, 0, 0, 0, 0, 0, 0, 0, 0];
const extract = (lane: number) => [...simd(0x21), lane];
const load64zero = (off = 0) => [...simd(0x5d), ...mem(3, off)];
const promoteLow = simd(0x5f);
const v128zeroConst = [...simd(0x0c), ...new Array<number>(16).fill(0)];

/**
 * gemm_f64(x, nb, step, idx, R, K, nquad, ntail, mtail, w, init, y, yStride, z, list): for each
 * of nb samples (step floats apart from x) and each of its R rows (K index entries each, from
 * idx): y[row·yStride + m] = float32(init[m] + Σ_k x·w) for m < 8·nquad + mtail; with `relu`,
 * also z[…] = max(that, +0). `list` is scratch for K doubles and K ints.
 */
function gemmBody(relu: boolean): number[] {
  const [x, nb, step, idx, R, K, nquad, ntail, mtail, w, init, y, yStride, z, list] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
  const [s, xs, r, ip, iend, k, j, lv, lo, q, wq, wp, ip2, yo, yc, lpv, lpo, lend, zd] = [15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33];
  const v = 34;
  const t = 35;
  const sv = 36;
  const accs = [37, 38, 39, 40];
  // One stored output: lane `lane` of accumulator i into column offset `col` (floats) of the row.
  const store = (i: number, lane: number, col: number) => [
    ...get(yc),
    ...get(accs[i]!),
    ...extract(lane),
    ...demote,
    ...(relu ? tee(t) : []),
    ...f32store(4 * col),
    ...(relu ? [...get(yc), ...get(zd), ...add, ...get(t), ...f32zero, ...get(t), ...f32zero, ...f32gt, ...select, ...f32store(4 * col)] : []),
  ];
  // A whole quad: the 8 sums rounded to float32 in two vectors (demote, then the two halves
  // joined) and stored at once; the Relu per lane as v & (v > 0): +0 for v ≤ 0 and NaN.
  const join = [...simd(0x0d), 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];
  const demoteZero = simd(0x5e);
  const reluStore = (v: number, off: number) =>
    relu ? [...get(yc), ...get(zd), ...add, ...get(v), ...get(v), ...v128zeroConst, ...simd(0x44) /* f32x4.gt */, ...simd(0x4e) /* v128.and */, ...v128store(off)] : [];
  const quadStore = [
    ...[...get(accs[0]!), ...demoteZero, ...get(accs[1]!), ...demoteZero, ...join, ...set(sv)],
    ...[...get(accs[2]!), ...demoteZero, ...get(accs[3]!), ...demoteZero, ...join, ...set(accs[0]!)],
    ...[...get(yc), ...get(sv), ...v128store(0)],
    ...[...get(yc), ...get(accs[0]!), ...v128store(16)],
    ...reluStore(sv, 0),
    ...reluStore(accs[0]!, 16),
  ];
  const pass = (limit: number[], nv: number, checked: boolean) => [
    ...i32c(0),
    ...set(q),
    ...whileLt(
      q,
      limit,
      accs.slice(0, nv).flatMap((a, i) => [...get(ip2), ...v128load(16 * i), ...set(a)]),
      [...get(lv), ...set(lpv)],
      [...get(lo), ...set(lpo)],
      whileLt(
        lpo,
        get(lend),
        [...get(lpv), ...f64load(), ...f64x2splat, ...set(sv)],
        [...get(wq), ...get(lpo), ...i32load(), ...i32c(16 * nv), ...mul, ...add, ...set(wp)],
        ...accs.slice(0, nv).map((a, i) => [...get(a), ...get(sv), ...get(wp), ...v128load(16 * i), ...f64x2mul, ...f64x2add, ...set(a)]),
        inc(lpv, i32c(8)),
        inc(lpo, i32c(4)),
      ),
      ...(checked ? [] : [quadStore]),
      ...Array.from({ length: checked ? nv : 0 }, (_, i) =>
        [0, 1].flatMap((lane) => {
          const col = 2 * i + lane;
          // In the last pass only the first mtail columns exist.
          return checked && col > 0 ? [...get(mtail), ...i32c(col), 0x4a /* i32.gt_s */, ...ifThen(store(i, lane, col))] : store(i, lane, col);
        }),
      ),
      inc(wq, [...get(K), ...i32c(16 * nv), ...mul]),
      inc(ip2, i32c(16 * nv)),
      inc(yc, i32c(8 * nv)),
      inc(q, i32c(1)),
    ),
  ];
  const tailPass = [1, 2, 3, 4].flatMap((nv) => [...get(ntail), ...i32c(nv), 0x46 /* i32.eq */, ...ifThen(pass(i32c(1), nv, true))]);
  const compact = whileLt(
    ip,
    get(iend),
    [...get(ip), ...i32load(), ...set(j)],
    // v = x[j] (x[0] for padding, masked out below)
    [...get(xs), ...get(j), ...i32c(0), ...get(j), ...i32c(0), ...geS, ...select, ...i32c(2), ...shl, ...add, ...f32load(), ...promote, ...set(v)],
    [...get(lpv), ...get(v), ...f64store()],
    [...get(lpo), ...get(k), ...i32store()],
    // Advance past the entry only when it is inside the input and not 0.
    [...get(j), ...i32c(0), ...geS, ...get(v), ...f64zero, ...f64ne, ...and, ...set(j)],
    inc(lpv, [...get(j), ...i32c(3), ...shl]),
    inc(lpo, [...get(j), ...i32c(2), ...shl]),
    inc(ip, i32c(4)),
    inc(k, i32c(1)),
  );
  return [
    ...get(z),
    ...get(y),
    0x6b /* i32.sub */,
    ...set(zd),
    ...get(list),
    ...set(lv),
    ...get(list),
    ...get(K),
    ...i32c(8),
    ...mul,
    ...add,
    ...set(lo),
    ...get(y),
    ...set(yo),
    ...get(x),
    ...set(xs),
    ...i32c(0),
    ...set(s),
    ...whileLt(
      s,
      get(nb),
      [...get(idx), ...set(ip)],
      [...i32c(0), ...set(r)],
      whileLt(
        r,
        get(R),
        [...get(ip), ...get(K), ...i32c(4), ...mul, ...add, ...set(iend)],
        [...get(lv), ...set(lpv)],
        [...get(lo), ...set(lpo)],
        [...i32c(0), ...set(k)],
        compact,
        [...get(lpo), ...set(lend)],
        [...get(w), ...set(wq)],
        [...get(init), ...set(ip2)],
        [...get(yo), ...set(yc)],
        pass(get(nquad), 4, false),
        tailPass,
        inc(yo, [...get(yStride), ...i32c(4), ...mul]),
        inc(r, i32c(1)),
      ),
      inc(xs, [...get(step), ...i32c(4), ...mul]),
      inc(s, i32c(1)),
    ),
  ];
}

/**
 * dw_f64(x, nb, step, idx, R, T, C, w, init, y, z): a depthwise conv (one input and one output
 * channel per group): for each sample and output pixel r, channels two at a time in f64x2
 * lanes, y[r·C + c] = float32(init[c] + Σ_t x[idx[r·T + t] + c]·w[t·Cp + c]) over the taps t
 * inside the input (idx ≥ 0), each term added only where its x is not 0 (a lane mask, so the
 * per-output sequence is the reference loop's); with `relu` also z = max(y, +0).
 */
function dwBody(relu: boolean): number[] {
  const [x, nb, step, idx, R, T, C, w, init, y, z] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const [s, xs, r, ip, c, t, j, wp, yo, zd, ipt, cp8] = [11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22];
  const [acc, xv] = [23, 24];
  const tf = 25;
  const store = (lane: number) => [
    ...get(yo),
    ...get(c),
    ...i32c(4),
    ...mul,
    ...add,
    ...get(acc),
    ...extract(lane),
    ...demote,
    ...(relu ? tee(tf) : []),
    ...f32store(4 * lane),
    ...(relu ? [...get(yo), ...get(c), ...i32c(4), ...mul, ...add, ...get(zd), ...add, ...get(tf), ...f32zero, ...get(tf), ...f32zero, ...f32gt, ...select, ...f32store(4 * lane)] : []),
  ];
  const tap = [
    ...get(ipt),
    ...i32load(),
    ...tee(j),
    ...i32c(0),
    ...geS,
    ...ifThen(
      [...get(xs), ...get(j), ...get(c), ...add, ...i32c(4), ...mul, ...add, ...load64zero(), ...promoteLow, ...set(xv)],
      // acc = x ≠ 0 ? acc + x·w : acc, per lane
      [...get(acc), ...get(xv), ...get(wp), ...v128load(), ...f64x2mul, ...f64x2add, ...get(acc), ...get(xv), ...v128zeroConst, ...simd(0x48) /* f64x2.ne */, ...simd(0x52) /* v128.bitselect */, ...set(acc)],
    ),
    ...inc(ipt, i32c(4)),
    ...inc(wp, get(cp8)),
    ...inc(t, i32c(1)),
  ];
  return [
    ...get(z),
    ...get(y),
    0x6b /* i32.sub */,
    ...set(zd),
    // Cp·8: bytes per tap of the packed weights (C rounded up to even).
    ...get(C),
    ...i32c(1),
    ...add,
    ...i32c(-2),
    ...and,
    ...i32c(8),
    ...mul,
    ...set(cp8),
    ...get(y),
    ...set(yo),
    ...get(x),
    ...set(xs),
    ...i32c(0),
    ...set(s),
    ...whileLt(
      s,
      get(nb),
      [...get(idx), ...set(ip)],
      [...i32c(0), ...set(r)],
      whileLt(
        r,
        get(R),
        [...i32c(0), ...set(c)],
        whileLt(
          c,
          get(C),
          [...get(init), ...get(c), ...i32c(8), ...mul, ...add, ...v128load(), ...set(acc)],
          [...get(ip), ...set(ipt)],
          [...get(w), ...get(c), ...i32c(8), ...mul, ...add, ...set(wp)],
          [...i32c(0), ...set(t)],
          whileLt(t, get(T), tap),
          store(0),
          [...get(c), ...i32c(1), ...add, ...get(C), 0x48 /* i32.lt_s */, ...ifThen(store(1))],
          inc(c, i32c(2)),
        ),
        inc(ip, [...get(T), ...i32c(4), ...mul]),
        inc(yo, [...get(C), ...i32c(4), ...mul]),
        inc(r, i32c(1)),
      ),
      inc(xs, [...get(step), ...i32c(4), ...mul]),
      inc(s, i32c(1)),
    ),
  ];
}

/**
 * pool_max_f32(x, nb, step, origins, outPix, rel, T, C, y): max pooling with windows of one
 * shape: for each sample, output pixel p and channels four at a time, m = −Inf, then for each
 * tap in order m = v > m ? v : m per lane (the reference's comparison: NaN never wins, the
 * first of equal values stays), stored to y[p·C + c]. origins (per pixel) and rel (per tap)
 * are byte offsets.
 */
function poolBody(): number[] {
  const [x, nb, step, origins, outPix, rel, T, C, y] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [s, xs, op, ob, c, t, rp, yo] = [9, 10, 11, 12, 13, 14, 15, 16];
  const [m, v] = [17, 18];
  const negInf = [...simd(0x0c), ...Array.from({ length: 4 }, () => [0, 0, 0x80, 0xff] /* float32 −Inf */).flat()];
  const laneStore = (lane: number) => [...get(yo), ...get(c), ...i32c(4), ...mul, ...add, ...get(m), ...simd(0x1f), lane /* f32x4.extract_lane */, ...f32store(4 * lane)];
  return [
    ...get(y),
    ...set(yo),
    ...get(x),
    ...set(xs),
    ...i32c(0),
    ...set(s),
    ...whileLt(
      s,
      get(nb),
      [...i32c(0), ...set(op)],
      whileLt(
        op,
        get(outPix),
        [...get(xs), ...get(origins), ...get(op), ...i32c(4), ...mul, ...add, ...i32load(), ...add, ...set(ob)],
        [...i32c(0), ...set(c)],
        whileLt(
          c,
          get(C),
          [...negInf, ...set(m)],
          [...get(rel), ...set(rp)],
          [...i32c(0), ...set(t)],
          whileLt(
            t,
            get(T),
            [...get(ob), ...get(rp), ...i32load(), ...add, ...get(c), ...i32c(4), ...mul, ...add, ...v128load(), ...set(v)],
            [...get(v), ...get(m), ...get(v), ...get(m), ...simd(0x44) /* f32x4.gt */, ...simd(0x52) /* v128.bitselect */, ...set(m)],
            inc(rp, i32c(4)),
            inc(t, i32c(1)),
          ),
          // A whole vector of channels, else the 1–3 left lane by lane.
          [...get(c), ...i32c(4), ...add, ...get(C), 0x4c /* i32.le_s */],
          [0x04, 0x40, ...get(yo), ...get(c), ...i32c(4), ...mul, ...add, ...get(m), ...[...simd(0x0b), ...mem(4, 0)], 0x05],
          laneStore(0),
          [1, 2].flatMap((lane) => [...get(c), ...i32c(lane), ...add, ...get(C), 0x48 /* i32.lt_s */, ...ifThen(laneStore(lane))]),
          [0x0b],
          inc(c, i32c(4)),
        ),
        inc(yo, [...get(C), ...i32c(4), ...mul]),
        inc(op, i32c(1)),
      ),
      inc(xs, [...get(step), ...i32c(4), ...mul]),
      inc(s, i32c(1)),
    ),
  ];
}

/** The module's bytes (exported for the test that validates them). */
export function floatModuleBytes(): Uint8Array {
  const fn = (params: number[], results: number[] = []) => [0x60, ...vec(params.map((p) => [p])), ...vec(results.map((r) => [r]))];
  const types = [fn(new Array<number>(15).fill(I32)), fn([I32, I32, I32, F64, I32]), fn(new Array<number>(11).fill(I32))];
  const dwLocals: [number, number][] = [[12, I32], [2, V128], [1, F32]];
  types.push(fn(new Array<number>(9).fill(I32)));
  types.push(fn(new Array<number>(12).fill(I32)));
  const denseLocals: [number, number][] = [[18, I32], [15, V128]];
  const gemmLocals: [number, number][] = [[19, I32], [1, F64], [1, F32], [5, V128]];
  const funcs: { name: string; type: number; locals: [number, number][]; code: number[] }[] = [
    { name: 'gemm_f64', type: 0, locals: gemmLocals, code: gemmBody(false) },
    { name: 'gemm_f64_relu', type: 0, locals: gemmLocals, code: gemmBody(true) },
    { name: 'dw_f64', type: 2, locals: dwLocals, code: dwBody(false) },
    { name: 'dw_f64_relu', type: 2, locals: dwLocals, code: dwBody(true) },
    { name: 'pool_max_f32', type: 3, locals: [[8, I32], [2, V128]], code: poolBody() },
    { name: 'gemm_f64_dense', type: 4, locals: denseLocals, code: gemmDenseBody(false) },
    { name: 'gemm_f64_dense_relu', type: 4, locals: denseLocals, code: gemmDenseBody(true) },
  ];
  const bytes = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00].concat(
    section(1, vec(types)),
    memoryImportSection(),
    section(3, vec(funcs.map((f) => u(f.type)))),
    section(7, vec([[...str('mem'), 0x02, 0], ...funcs.map((f, i) => [...str(f.name), 0x00, ...u(i)])])),
    section(10, vec(funcs.map((f) => funcBody(f.locals, f.code)))),
  );
  return Uint8Array.from(bytes);
}

// ---------- runtime ----------

type GemmFn = (x: number, nb: number, step: number, idx: number, R: number, K: number, nquad: number, ntail: number, mtail: number, w: number, init: number, y: number, yStride: number, z: number, list: number) => void;
interface Exports extends ScratchModule {
  gemm_f64: GemmFn;
  gemm_f64_relu: GemmFn;
  dw_f64: DwFn;
  dw_f64_relu: DwFn;
  pool_max_f32(x: number, nb: number, step: number, origins: number, outPix: number, rel: number, T: number, C: number, y: number): void;
  gemm_f64_dense: DenseFn;
  gemm_f64_dense_relu: DenseFn;
}
type DenseFn = (x: number, nb: number, sstride: number, idx: number, R: number, K: number, nquad: number, w: number, init: number, y: number, yStride: number, z: number) => void;
type DwFn = (x: number, nb: number, step: number, idx: number, R: number, T: number, C: number, w: number, init: number, y: number, z: number) => void;

/** The module on this thread, or null where WebAssembly SIMD is unavailable. */
const wasm = lazyModule<Exports>('float', floatModuleBytes, floatImports);

export function wasmFloatAvailable(): boolean {
  return wasmFloat.enabled && sumsCodegen.enabled && wasm() !== null;
}

/** One group of a layer: rows of K inputs through `idx`, M outputs into columns [c0, c0 + M). */
export interface FloatGroup {
  readonly K: number;
  readonly M: number;
  /** Weights w[k·M + m] and the start values (bias or 0) of the M outputs. */
  readonly w: ArrayLike<number>;
  readonly init: ArrayLike<number>;
  /** Per-sample index map of rowsPerSample·K entries into the sample (-1 = padding). */
  readonly idx: Int32Array;
  readonly c0: number;
}

interface Packed {
  K: number;
  nquad: number;
  ntail: number;
  mtail: number;
  w: Float64Array;
  init: Float64Array;
  idx: Int32Array;
  c0: number;
  /** Whole quads, finite weights, no −0 start value: gemm_f64_dense gives the same sums. */
  dense: boolean;
}

/** The share of the first `n` values of x that are not 0 (a sample of how sparse a layer's input is). */
export function nonZeroShare(x: Float32Array, n: number): number {
  let nz = 0;
  const m = Math.min(n, x.length);
  for (let i = 0; i < m; i++) nz += +(x[i] !== 0);
  return m > 0 ? nz / m : 1;
}

/**
 * A Dense or Conv layer in float64 sums stored as float32: `rowsPerSample` rows per sample
 * (output pixels; 1 for Dense) of `cout` outputs, made of groups (one for Dense and an
 * ungrouped Conv) each writing its own columns.
 */
export class FloatGemm {
  private readonly groups: Packed[];

  constructor(
    readonly rowsPerSample: number,
    readonly cout: number,
    groups: readonly FloatGroup[],
  ) {
    wasmFloat.compiled++;
    this.groups = groups.map((g) => {
      const { K, M } = g;
      // Whole quads of 8 outputs, then the 0–7 left as 0–4 vectors (the last one maybe half used).
      const nquad = Math.floor(M / 8);
      const ntail = Math.ceil((M - 8 * nquad) / 2);
      const Mp = 8 * nquad + 2 * ntail;
      const wp = new Float64Array(K * Mp);
      const wAt = (k: number, m: number) => (m < M ? g.w[k * M + m]! : 0);
      let o = 0;
      for (let q = 0; q < nquad; q++) for (let k = 0; k < K; k++) for (let j = 0; j < 8; j++) wp[o++] = wAt(k, 8 * q + j);
      for (let k = 0; k < K; k++) for (let j = 0; j < 2 * ntail; j++) wp[o++] = wAt(k, 8 * nquad + j);
      const init = new Float64Array(Mp);
      for (let m = 0; m < M; m++) init[m] = g.init[m]!;
      const dense = ntail === 0 && wp.every(Number.isFinite) && !init.some((v) => Object.is(v, -0));
      return { K, nquad, ntail, mtail: M - 8 * nquad, w: wp, init, idx: g.idx, c0: g.c0, dense };
    });
    this.dense = this.groups.every((g) => g.dense);
    if (this.dense) wasmFloat.dense++;
  }

  /** Every group takes gemm_f64_dense (see Packed.dense). */
  readonly dense: boolean;
  /** The groups' index maps as byte offsets for gemm_f64_dense, for one sample stride. */
  private denseIdx: { stride: number; pad: boolean; idx: Int32Array[]; rows?: Int32Array[] } | undefined;

  /**
   * The layer on `samples` samples of x (sampleStride floats apart) into `out` (rows of cout);
   * with `reluOut`, max(out, +0) into it too.
   */
  run(x: Float32Array, samples: number, sampleStride: number, out: Float32Array, reluOut?: Float32Array, density = this.dense ? nonZeroShare(x, 4096) : 1): void {
    // All terms cost 4 vector multiply-adds per quad and input; the compacted sums cost a fixed
    // ~3 quads' worth per input to list it, then only the non-zero ones (measured on Dense 16-64-32).
    const nquad = this.groups[0]!.nquad;
    if (this.dense && density * nquad * 20 + 15 >= nquad * 17.5) return this.runDense(x, samples, sampleStride, out, reluOut);
    const ex = wasm()!;
    const R = this.rowsPerSample;
    const C = this.cout;
    const maxK = Math.max(...this.groups.map((g) => g.K));
    // Arrays in the kernels' memory (the report's arena) are read and written in place.
    const buf0 = ex.mem.buffer;
    const xIn = inMemory(buf0, x);
    const yIn = inMemory(buf0, out, reluOut);
    const perSample = (xIn ? 0 : sampleStride * 4) + (yIn ? 0 : R * C * 4 * (reluOut ? 2 : 1));
    const bs = blockOf(perSample, samples);
    const sizes = [xIn ? 0 : bs * sampleStride * 4, maxK * 12, yIn ? 0 : bs * R * C * 4, reluOut && !yIn ? bs * R * C * 4 : 0];
    for (const g of this.groups) sizes.push(g.idx.length * 4, g.w.length * 8, g.init.length * 8);
    const offs = layout(ex, sizes);
    const [xo, lo, yo, zo] = offs as [number, number, number, number];
    const buf = ex.mem.buffer;
    stillIn(buf, xIn, x, yIn, out, reluOut);
    this.groups.forEach((g, i) => {
      new Int32Array(buf, offs[4 + 3 * i]!, g.idx.length).set(g.idx);
      new Float64Array(buf, offs[5 + 3 * i]!, g.w.length).set(g.w);
      new Float64Array(buf, offs[6 + 3 * i]!, g.init.length).set(g.init);
    });
    const fn = reluOut ? ex.gemm_f64_relu : ex.gemm_f64;
    for (let s0 = 0; s0 < samples; s0 += bs) {
      const nb = Math.min(bs, samples - s0);
      const xAt = xIn ? x.byteOffset + 4 * s0 * sampleStride : xo;
      if (!xIn) new Float32Array(buf, xo, nb * sampleStride).set(x.subarray(s0 * sampleStride, (s0 + nb) * sampleStride));
      const yAt = yIn ? out.byteOffset + 4 * s0 * R * C : yo;
      const zAt = reluOut && yIn ? reluOut.byteOffset + 4 * s0 * R * C : zo;
      this.groups.forEach((g, i) => {
        fn(xAt, nb, sampleStride, offs[4 + 3 * i]!, R, g.K, g.nquad, g.ntail, g.mtail, offs[5 + 3 * i]!, offs[6 + 3 * i]!, yAt + 4 * g.c0, C, zAt + 4 * g.c0, lo);
      });
      if (!yIn) copyOut(buf, yo, zo, nb * R * C, s0 * R * C, out, reluOut);
    }
  }
  /**
   * run() through gemm_f64_dense: each sample copied with one 0 after it when a window reaches
   * into the padding (its index entries point there), else samples back to back.
   */
  private runDense(x: Float32Array, samples: number, sampleStride: number, out: Float32Array, reluOut?: Float32Array): void {
    const ex = wasm()!;
    wasmFloat.denseCalls++;
    const R = this.rowsPerSample;
    const C = this.cout;
    let d = this.denseIdx;
    if (!d || d.stride !== sampleStride) {
      const pad = this.groups.some((g) => g.idx.some((j) => j < 0));
      d = this.denseIdx = { stride: sampleStride, pad, idx: this.groups.map((g) => g.idx.map((j) => 4 * (j < 0 ? sampleStride : j))) };
    }
    // Floats per sample in the scratch: its own, then (with padding) a 0 and 16-byte alignment.
    // With padding the samples are always copied (the 0 after each); else read in place where they lie in the memory.
    const ss = d.pad ? Math.ceil((sampleStride + 1) / 4) * 4 : sampleStride;
    const buf0 = ex.mem.buffer;
    const xIn = !d.pad && inMemory(buf0, x);
    const yIn = inMemory(buf0, out, reluOut);
    // One row per sample and no padding (a Dense layer): the block's samples are one sample's
    // rows, so the rows pair up across samples (the index map repeated, one sample further each;
    // blocks sized as if x were copied, so that map stays as small).
    const rows = R === 1 && !d.pad;
    const perSample = (xIn && !rows ? 0 : ss * 4) + (yIn ? 0 : R * C * 4 * (reluOut ? 2 : 1));
    const bs = blockOf(perSample, samples);
    if (rows && (!d.rows || d.rows[0]!.length < bs * d.idx[0]!.length)) {
      d.rows = d.idx.map((m) => Int32Array.from({ length: bs * m.length }, (_, i) => m[i % m.length]! + 4 * sampleStride * Math.floor(i / m.length)));
    }
    const idx = rows ? d.rows! : d.idx;
    const sizes = [xIn ? 0 : bs * ss * 4, yIn ? 0 : bs * R * C * 4, reluOut && !yIn ? bs * R * C * 4 : 0];
    this.groups.forEach((g, i) => sizes.push(Math.min(idx[i]!.length, rows ? bs * g.K : Infinity) * 4, g.w.length * 8, g.init.length * 8));
    const offs = layout(ex, sizes);
    const [xo, yo, zo] = offs as [number, number, number];
    const buf = ex.mem.buffer;
    stillIn(buf, xIn, x, yIn, out, reluOut);
    this.groups.forEach((g, i) => {
      new Int32Array(buf, offs[3 + 3 * i]!, sizes[3 + 3 * i]! / 4).set(idx[i]!.subarray(0, sizes[3 + 3 * i]! / 4));
      new Float64Array(buf, offs[4 + 3 * i]!, g.w.length).set(g.w);
      new Float64Array(buf, offs[5 + 3 * i]!, g.init.length).set(g.init);
    });
    const xv = xIn ? null : new Float32Array(buf, xo, bs * ss);
    const fn = reluOut ? ex.gemm_f64_dense_relu : ex.gemm_f64_dense;
    for (let s0 = 0; s0 < samples; s0 += bs) {
      const nb = Math.min(bs, samples - s0);
      if (!xv) {
        // in place
      } else if (!d.pad) xv.set(x.subarray(s0 * sampleStride, (s0 + nb) * sampleStride));
      else {
        for (let s = 0; s < nb; s++) {
          const from = (s0 + s) * sampleStride;
          xv.set(x.subarray(from, from + sampleStride), s * ss);
          xv[s * ss + sampleStride] = 0;
        }
      }
      const xAt = xIn ? x.byteOffset + 4 * s0 * sampleStride : xo;
      const yAt = yIn ? out.byteOffset + 4 * s0 * R * C : yo;
      const zAt = reluOut && yIn ? reluOut.byteOffset + 4 * s0 * R * C : zo;
      this.groups.forEach((g, i) => {
        if (rows) fn(xAt, 1, 0, offs[3 + 3 * i]!, nb, g.K, g.nquad, offs[4 + 3 * i]!, offs[5 + 3 * i]!, yAt + 4 * g.c0, C, zAt + 4 * g.c0);
        else fn(xAt, nb, ss * 4, offs[3 + 3 * i]!, R, g.K, g.nquad, offs[4 + 3 * i]!, offs[5 + 3 * i]!, yAt + 4 * g.c0, C, zAt + 4 * g.c0);
      });
      if (!yIn) copyOut(buf, yo, zo, nb * R * C, s0 * R * C, out, reluOut);
    }
  }
}

/**
 * A depthwise conv (group = channels, one in and one out per group): `rowsPerSample` output
 * pixels of C channels, `idx` the input pixel offset × C of each (pixel, tap), -1 outside the
 * input; weights w[t·C + c].
 */
export class FloatDepthwise {
  private readonly Cp: number;
  private readonly w: Float64Array;
  private readonly init: Float64Array;

  constructor(
    readonly rowsPerSample: number,
    readonly taps: number,
    readonly C: number,
    w: ArrayLike<number>,
    init: ArrayLike<number>,
    private readonly idx: Int32Array,
  ) {
    wasmFloat.compiled++;
    this.Cp = C + (C & 1);
    this.w = new Float64Array(taps * this.Cp);
    for (let t = 0; t < taps; t++) for (let c = 0; c < C; c++) this.w[t * this.Cp + c] = w[t * C + c]!;
    this.init = new Float64Array(this.Cp);
    for (let c = 0; c < C; c++) this.init[c] = init[c]!;
  }

  run(x: Float32Array, samples: number, sampleStride: number, out: Float32Array, reluOut?: Float32Array): void {
    const ex = wasm()!;
    const R = this.rowsPerSample;
    const C = this.C;
    // In place where the arrays lie in the memory: x only for an even C (an odd C reads one float past a pixel).
    const buf0 = ex.mem.buffer;
    const xIn = C % 2 === 0 && inMemory(buf0, x);
    const yIn = inMemory(buf0, out, reluOut);
    const bs = blockOf((xIn ? 0 : sampleStride * 4) + (yIn ? 0 : R * C * 4 * (reluOut ? 2 : 1)), samples);
    // x first with 16 bytes of slack: an odd C reads one float past a pixel's channels.
    const [xo, io, wo, ino, yo, zo] = layout(ex, [xIn ? 0 : bs * sampleStride * 4 + 16, this.idx.length * 4, this.w.length * 8, this.init.length * 8, yIn ? 0 : bs * R * C * 4, reluOut && !yIn ? bs * R * C * 4 : 0]) as number[];
    const buf = ex.mem.buffer;
    stillIn(buf, xIn, x, yIn, out, reluOut);
    new Int32Array(buf, io!, this.idx.length).set(this.idx);
    new Float64Array(buf, wo!, this.w.length).set(this.w);
    new Float64Array(buf, ino!, this.init.length).set(this.init);
    const fn = reluOut ? ex.dw_f64_relu : ex.dw_f64;
    for (let s0 = 0; s0 < samples; s0 += bs) {
      const nb = Math.min(bs, samples - s0);
      if (!xIn) new Float32Array(buf, xo!, nb * sampleStride).set(x.subarray(s0 * sampleStride, (s0 + nb) * sampleStride));
      const xAt = xIn ? x.byteOffset + 4 * s0 * sampleStride : xo!;
      const yAt = yIn ? out.byteOffset + 4 * s0 * R * C : yo!;
      const zAt = reluOut && yIn ? reluOut.byteOffset + 4 * s0 * R * C : zo!;
      fn(xAt, nb, sampleStride, io!, R, this.taps, C, wo!, ino!, yAt, zAt);
      if (!yIn) copyOut(buf, yo!, zo!, nb * R * C, s0 * R * C, out, reluOut);
    }
  }
}

/**
 * Max pooling whose windows all have one shape inside the input (the usual 2×2 stride 2):
 * `origins` the first tap's input pixel per output pixel, `rel` the taps' pixel offsets from it.
 */
export class FloatMaxPool {
  private readonly origins: Int32Array;
  private readonly rel: Int32Array;

  constructor(
    readonly inPix: number,
    readonly C: number,
    origins: Int32Array,
    rel: Int32Array,
  ) {
    wasmFloat.compiled++;
    this.origins = origins.map((o) => o * C * 4);
    this.rel = rel.map((r) => r * C * 4);
  }

  run(x: Float32Array, samples: number, out: Float32Array): void {
    const ex = wasm()!;
    const C = this.C;
    const step = this.inPix * C;
    const outPix = this.origins.length;
    // In place where the arrays lie in the memory: x only for whole vectors of channels (else the last one reads past a pixel).
    const buf0 = ex.mem.buffer;
    const xIn = C % 4 === 0 && inMemory(buf0, x);
    const yIn = inMemory(buf0, out);
    const bs = blockOf((xIn ? 0 : step * 4) + (yIn ? 0 : outPix * C * 4), samples);
    // x first with 16 bytes of slack: the last vector of channels may read past a pixel.
    const [xo, oo, ro, yo] = layout(ex, [xIn ? 0 : bs * step * 4 + 16, outPix * 4, this.rel.length * 4, yIn ? 0 : bs * outPix * C * 4]) as number[];
    const buf = ex.mem.buffer;
    stillIn(buf, xIn, x, yIn, out);
    new Int32Array(buf, oo!, outPix).set(this.origins);
    new Int32Array(buf, ro!, this.rel.length).set(this.rel);
    for (let s0 = 0; s0 < samples; s0 += bs) {
      const nb = Math.min(bs, samples - s0);
      if (!xIn) new Float32Array(buf, xo!, nb * step).set(x.subarray(s0 * step, (s0 + nb) * step));
      const xAt = xIn ? x.byteOffset + 4 * s0 * step : xo!;
      const yAt = yIn ? out.byteOffset + 4 * s0 * outPix * C : yo!;
      ex.pool_max_f32(xAt, nb, step, oo!, outPix, ro!, this.rel.length, C, yAt);
      if (!yIn) copyOut(buf, yo!, 0, nb * outPix * C, s0 * outPix * C, out);
    }
  }
}
