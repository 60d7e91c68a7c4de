/**
 * A float Conv (one group) as input-stationary sums in WebAssembly
 * SIMD (issue #13), a module of its own (emitted with wasm-asm.ts, compiled once per thread, on
 * the integer kernels' memory: arrays lying there are read and written in place, wasm-float-io.ts).
 * gemm_f64_dense (wasm-float.ts) adds every term, zeros included, which is the cheapest when most
 * inputs are not 0; on a sparse input (an image with a blank background: the first conv sees
 * ~85 % zeros on MNIST, a ReLU output about half) this kernel visits each input pixel once, lists
 * its channels that are not 0, and adds them into the float64 sums of every output the pixel
 * reaches (one tap each), 8 outputs in four f64x2 registers per tap, two taps (two outputs) per
 * pass over the list. (At ~3.4 cycles per listed input, tap and 8 outputs, the residual CNN's
 * inner convs run near the 2.7 the float64 multiplies and adds alone take on this machine's
 * ports: without a fused multiply-add, only skipping more terms could make them much faster.)
 * The order of terms is still the reference's (src/ir/semantics/float/conv.ts: ascending k =
 * tap·cin + c from init, x = 0 and padding skipped): an output's taps read input pixels in
 * raster order, so visiting pixels in raster order, and a pixel's channels in order, adds each
 * output's terms in ascending k. The results are therefore bit-identical for any weights.
 */
import { u, I32, F64, V128, get, set, i32c, add, mul, i32load, f32load, f64load, v128load, v128store, f64x2splat, f64x2add, f64x2mul, ifThen, inc, whileLt, block, loop, br, brIf, vec, section, str, funcBody, simd, mem, lazyModule, layout, type ScratchModule } from './wasm-asm.js';
import { wasmFloat } from './wasm-float.js';
import { sumsCodegen } from './sums-codegen.js';
import { blockOf, copyOut, floatImports, inMemory, memoryImportSection, stillIn } from './wasm-float-io.js';

const f64store = (off = 0) => [0x39, ...mem(3, off)];
const i32store = (off = 0) => [0x36, ...mem(2, off)];
const promote = [0xbb];
const f64ne = [0x62];
const f64zero = [0x44, 0, 0, 0, 0, 0, 0, 0, 0];
const shl = [0x74];
const tee = (l: number) => [0x22, ...u(l)];
const v128zeroConst = [...simd(0x0c), ...new Array<number>(16).fill(0)];

/**
 * scatter_f64(x, nb, sstride, pstart, ptab, nPix, cin, K64, nquad, w, init, acc, rowBytes, y, z, list, outPix, yRow):
 * for each of nb samples (sstride bytes apart from x; pixels of cin floats): acc (outPix rows of
 * nquad·8 float64, rowBytes = outPix·nquad·64) starts as init (nquad·8 float64) in every row; for each input pixel p,
 * its channels that are not 0 are listed (value, c·64), and for each entry (tOff, oOff) of p in
 * ptab[pstart[p] .. pstart[p+1]) (bytes), quad by quad: acc[oOff + q·64 ..] += x·w[q·K64 + tOff +
 * c·64 ..] over the list. Then y (and with `relu` z = max(y, +0)) = float32(acc), rows yRow
 * bytes apart (cout·4: the columns past cout of the last quad are padding, overwritten).
 */
function scatterBody(relu: boolean): number[] {
  const [x, nb, sstride, pstart, ptab, nPix, cin, K64, nquad, w, init, acc, rowBytes, y, z, list, outPix, yRow] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17];
  const [s, xs, p, xp, c, lp, e, eend, accA, wq, q, li, wp, zd, yc, r, yrow] = [18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34];
  const [accB, wqB, wpB] = [35, 36, 37];
  const v = 38;
  const [sv, tmp] = [39, 40];
  const A = [41, 42, 43, 44];
  const B = [45, 46, 47, 48];
  const join = [...simd(0x0d), 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];
  const demoteZero = simd(0x5e);
  const compact = whileLt(
    c,
    get(cin),
    [...get(xp), ...get(c), ...i32c(2), ...shl, ...add, ...f32load(), ...promote, ...set(v)],
    [...get(lp), ...get(v), ...f64store()],
    [...get(lp), ...get(c), ...i32c(6), ...shl, ...i32store(8)],
    // Advance past the entry only when the value is not 0.
    inc(lp, [...get(v), ...f64zero, ...f64ne, ...i32c(4), ...shl]),
    inc(c, i32c(1)),
  );
  const terms = whileLt(
    li,
    get(lp),
    [...get(li), ...f64load(), ...f64x2splat, ...set(sv)],
    [...get(wq), ...get(li), ...i32load(8), ...add, ...set(wp)],
    A.flatMap((a, i) => [...get(a), ...get(sv), ...get(wp), ...v128load(16 * i), ...f64x2mul, ...f64x2add, ...set(a)]),
    inc(li, i32c(16)),
  );
  const quads = whileLt(
    q,
    get(nquad),
    A.flatMap((a, i) => [...get(accA), ...v128load(16 * i), ...set(a)]),
    [...get(list), ...set(li)],
    terms,
    A.flatMap((a, i) => [...get(accA), ...get(a), ...v128store(16 * i)]),
    inc(accA, i32c(64)),
    inc(wq, get(K64)),
    inc(q, i32c(1)),
  );
  // Two taps of the pixel at a time (two different outputs, A and B), sharing each listed
  // input: a pair of taps costs one list pass instead of two.
  const terms2 = whileLt(
    li,
    get(lp),
    [...get(li), ...f64load(), ...f64x2splat, ...set(sv)],
    [...get(li), ...i32load(8), ...tee(wp), ...get(wqB), ...add, ...set(wpB)],
    [...get(wq), ...get(wp), ...add, ...set(wp)],
    A.flatMap((a, i) => [...get(a), ...get(sv), ...get(wp), ...v128load(16 * i), ...f64x2mul, ...f64x2add, ...set(a)]),
    B.flatMap((b, i) => [...get(b), ...get(sv), ...get(wpB), ...v128load(16 * i), ...f64x2mul, ...f64x2add, ...set(b)]),
    inc(li, i32c(16)),
  );
  const quads2 = whileLt(
    q,
    get(nquad),
    A.flatMap((a, i) => [...get(accA), ...v128load(16 * i), ...set(a)]),
    B.flatMap((b, i) => [...get(accB), ...v128load(16 * i), ...set(b)]),
    [...get(list), ...set(li)],
    terms2,
    A.flatMap((a, i) => [...get(accA), ...get(a), ...v128store(16 * i)]),
    B.flatMap((b, i) => [...get(accB), ...get(b), ...v128store(16 * i)]),
    inc(accA, i32c(64)),
    inc(accB, i32c(64)),
    inc(wq, get(K64)),
    inc(wqB, get(K64)),
    inc(q, i32c(1)),
  );
  const taps = [
    // while e + 8 < eend: the pair (e, e + 8)
    ...block(
      loop(
        [...get(e), ...i32c(8), ...add, ...get(eend), 0x4f /* i32.ge_u */, ...brIf(1)],
        [...get(acc), ...get(ptab), ...get(e), ...add, ...i32load(4), ...add, ...set(accA)],
        [...get(acc), ...get(ptab), ...get(e), ...add, ...i32load(12), ...add, ...set(accB)],
        [...get(w), ...get(ptab), ...get(e), ...add, ...i32load(), ...add, ...set(wq)],
        [...get(w), ...get(ptab), ...get(e), ...add, ...i32load(8), ...add, ...set(wqB)],
        [...i32c(0), ...set(q)],
        quads2,
        inc(e, i32c(16)),
        br(0),
      ),
    ),
    // the last one alone
    ...[...get(e), ...get(eend), 0x49 /* i32.lt_u */],
    ...ifThen(
      [...get(acc), ...get(ptab), ...get(e), ...add, ...i32load(4), ...add, ...set(accA)],
      [...get(w), ...get(ptab), ...get(e), ...add, ...i32load(), ...add, ...set(wq)],
      [...i32c(0), ...set(q)],
      quads,
    ),
  ];
  const pixels = whileLt(
    p,
    get(nPix),
    [...get(list), ...set(lp)],
    [...i32c(0), ...set(c)],
    compact,
    [...get(lp), ...get(list), 0x47 /* i32.ne */],
    ifThen(
      [...get(pstart), ...get(p), ...i32c(2), ...shl, ...add, ...i32load(), ...set(e)],
      [...get(pstart), ...get(p), ...i32c(2), ...shl, ...add, ...i32load(4), ...set(eend)],
      taps,
    ),
    inc(xp, [...get(cin), ...i32c(4), ...mul]),
    inc(p, i32c(1)),
  );
  // acc → float32 y (and z), a quad (two vectors) at a time; a row's last quad may run past
  // its cout columns into the next row, which is written after it (and the scratch has room).
  const out = whileLt(
    r,
    get(outPix),
    [...get(yrow), ...set(yc)],
    [...i32c(0), ...set(q)],
    whileLt(
      q,
      get(nquad),
      ...[0, 2].map((h) => [
        ...[...get(accA), ...v128load(16 * h), ...demoteZero, ...get(accA), ...v128load(16 * h + 16), ...demoteZero, ...join, ...set(tmp)],
        ...[...get(yc), ...get(tmp), ...v128store(8 * h)],
        ...(relu ? [...get(yc), ...get(zd), ...add, ...get(tmp), ...get(tmp), ...v128zeroConst, ...simd(0x44) /* f32x4.gt */, ...simd(0x4e) /* v128.and */, ...v128store(8 * h)] : []),
      ]),
      inc(accA, i32c(64)),
      inc(yc, i32c(32)),
      inc(q, i32c(1)),
    ),
    inc(yrow, get(yRow)),
    inc(r, i32c(1)),
  );
  return [
    ...[...get(z), ...get(y), 0x6b /* i32.sub */, ...set(zd)],
    ...[...get(x), ...set(xs)],
    ...[...get(y), ...set(yrow)],
    ...i32c(0),
    ...set(s),
    ...whileLt(
      s,
      get(nb),
      // acc = the start values, row after row (init is one row: nquad·8 float64).
      [...get(acc), ...set(accA)],
      [...get(acc), ...get(rowBytes), ...add, ...set(eend)],
      whileLt(
        accA,
        get(eend),
        [...get(init), ...set(wp)],
        [...i32c(0), ...set(q)],
        whileLt(q, get(nquad), [0, 1, 2, 3].flatMap((i) => [...get(accA), ...get(wp), ...v128load(16 * i), ...v128store(16 * i)]), inc(accA, i32c(64)), inc(wp, i32c(64)), inc(q, i32c(1))),
      ),
      [...get(xs), ...set(xp)],
      [...i32c(0), ...set(p)],
      pixels,
      [...get(acc), ...set(accA)],
      [...i32c(0), ...set(r)],
      out,
      inc(xs, get(sstride)),
      inc(s, i32c(1)),
    ),
  ];
}

/** The module's bytes (exported for the test that validates them). */
export function floatScatterModuleBytes(): Uint8Array {
  const type = [0x60, ...vec(new Array<number>(18).fill(I32).map((t) => [t])), ...vec([])];
  const locals: [number, number][] = [[20, I32], [1, F64], [10, V128]];
  const funcs = [
    { name: 'scatter_f64', code: scatterBody(false) },
    { name: 'scatter_f64_relu', code: scatterBody(true) },
  ];
  const bytes = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00].concat(
    section(1, vec([type])),
    memoryImportSection(),
    section(3, vec(funcs.map(() => [0]))),
    section(7, vec([[...str('mem'), 0x02, 0], ...funcs.map((f, i) => [...str(f.name), 0x00, i])])),
    section(10, vec(funcs.map((f) => funcBody(locals, f.code)))),
  );
  return Uint8Array.from(bytes);
}

type ScatterFn = (x: number, nb: number, sstride: number, pstart: number, ptab: number, nPix: number, cin: number, K64: number, nquad: number, w: number, init: number, acc: number, rowBytes: number, y: number, z: number, list: number, outPix: number, yRow: number) => void;
interface Exports extends ScratchModule {
  scatter_f64: ScatterFn;
  scatter_f64_relu: ScatterFn;
}

const wasm = lazyModule<Exports>('float-scatter', floatScatterModuleBytes, floatImports);

export function wasmScatterAvailable(): boolean {
  return wasmFloat.enabled && sumsCodegen.enabled && wasm() !== null;
}

/** Calls of scatter_f64 so far (tests check the path is taken). */
export const wasmScatter = { calls: 0 };

/**
 * A one-group Conv through scatter_f64, its outputs in whole quads (cout rounded up to 8 with
 * zero weights, whose sums are dropped). `plan[op]` lists the output pixel op's (tap, input
 * pixel) pairs (im2col.ts convWindows); w[k·cout + m] with k = tap·cin + c.
 */
export class FloatScatterConv {
  private readonly nquad: number;
  private readonly K: number;
  private readonly w: Float64Array;
  private readonly init: Float64Array;
  private readonly pstart: Int32Array;
  private readonly ptab: Int32Array;

  constructor(
    readonly inPix: number,
    readonly outPix: number,
    readonly cin: number,
    readonly cout: number,
    taps: number,
    plan: readonly ArrayLike<number>[],
    w: ArrayLike<number>,
    init: ArrayLike<number>,
  ) {
    const K = (this.K = taps * cin);
    const nquad = (this.nquad = Math.ceil(cout / 8));
    const Mp = 8 * nquad;
    // Weights [quad][k][8], as gemm_f64 reads them.
    this.w = new Float64Array(K * Mp);
    let o = 0;
    for (let q = 0; q < nquad; q++) for (let k = 0; k < K; k++) for (let j = 0; j < 8; j++) this.w[o++] = 8 * q + j < cout ? w[k * cout + 8 * q + j]! : 0;
    this.init = new Float64Array(Mp);
    for (let m = 0; m < cout; m++) this.init[m] = init[m]!;
    // Per input pixel, the (tap, output pixel) pairs reading it, as byte offsets (tap·cin·64, op·Mp·8).
    const per: number[][] = Array.from({ length: inPix }, () => []);
    plan.forEach((list, op) => {
      for (let j = 0; j < list.length; j += 2) per[list[j + 1]!]!.push(list[j]! * cin * 64, op * Mp * 8);
    });
    this.pstart = new Int32Array(inPix + 1);
    for (let p = 0; p < inPix; p++) this.pstart[p + 1] = this.pstart[p]! + per[p]!.length * 4;
    this.ptab = Int32Array.from(per.flat());
  }

  run(x: Float32Array, samples: number, out: Float32Array, reluOut?: Float32Array): void {
    const ex = wasm()!;
    wasmScatter.calls++;
    const step = this.inPix * this.cin;
    const ylen = this.outPix * this.cout;
    // In place where the arrays lie in the memory: the outputs only in whole quads (the last row's would run past them).
    const buf0 = ex.mem.buffer;
    const xIn = inMemory(buf0, x);
    const yIn = this.cout % 8 === 0 && inMemory(buf0, out, reluOut);
    const bs = blockOf((xIn ? 0 : step * 4) + (yIn ? 0 : ylen * 4 * (reluOut ? 2 : 1)), samples);
    const rowBytes = this.outPix * this.nquad * 64;
    // y and z with room for the last row's padding columns.
    const slack = (8 * this.nquad - this.cout) * 4;
    const ysize = yIn ? 0 : bs * ylen * 4 + slack;
    const [xo, yo, zo, ao, io, wo, so, to, lo] = layout(ex, [xIn ? 0 : bs * step * 4, ysize, reluOut ? ysize : 0, rowBytes, this.init.length * 8, this.w.length * 8, this.pstart.length * 4, this.ptab.length * 4, this.cin * 16]) as number[];
    const buf = ex.mem.buffer;
    stillIn(buf, xIn, x, yIn, out, reluOut);
    new Float64Array(buf, io!, this.init.length).set(this.init);
    new Float64Array(buf, wo!, this.w.length).set(this.w);
    new Int32Array(buf, so!, this.pstart.length).set(this.pstart);
    new Int32Array(buf, to!, this.ptab.length).set(this.ptab);
    const fn = reluOut ? ex.scatter_f64_relu : ex.scatter_f64;
    for (let s0 = 0; s0 < samples; s0 += bs) {
      const nb = Math.min(bs, samples - s0);
      if (!xIn) new Float32Array(buf, xo!, nb * step).set(x.subarray(s0 * step, (s0 + nb) * step));
      const xAt = xIn ? x.byteOffset + 4 * s0 * step : xo!;
      const yAt = yIn ? out.byteOffset + 4 * s0 * ylen : yo!;
      const zAt = reluOut && yIn ? reluOut.byteOffset + 4 * s0 * ylen : zo!;
      fn(xAt, nb, step * 4, so!, to!, this.inPix, this.cin, this.K * 64, this.nquad, wo!, io!, ao!, rowBytes, yAt, zAt, lo!, this.outPix, this.cout * 4);
      if (!yIn) copyOut(buf, yo!, zo!, nb * ylen, s0 * ylen, out, reluOut);
    }
  }
}
