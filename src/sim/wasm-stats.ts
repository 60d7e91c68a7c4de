/**
 * The per-layer statistics of `simulate` (Σ f² and Σ (raw·scale − f)² of a layer's float32
 * values and its fixed-point raws, for the SNR) in WebAssembly SIMD, and the memory they read:
 * a module of its own (emitted with wasm-asm.ts, compiled once per thread) that imports the
 * integer kernels' memory (wasm-gemm.ts), which holds
 *  - below a limit: both modules' scratch (the statistics copy values that live elsewhere into
 *    [0, SCRATCH) a piece at a time);
 *  - above it, an arena (StatsArena): the report's chunk runner places the arrays its two
 *    executors reuse chunk after chunk here, so the statistics read those values where the
 *    kernels wrote them — copying them in cost more than the sums themselves — and the integer
 *    Dense/Conv read their inputs and write their outputs in place.
 * The memory grows when the arena is claimed, between runs; a kernel call needing more scratch
 * than the limit takes the arena back first (wasm-asm.ts scratchLimits), and the runner that
 * held it notices (StatsArena.generation) and runs its chunk again on ordinary arrays.
 * Sums run in pieces of 2^16 elements with two f64x2 lanes per sum, in the same order whether
 * a value is read in place or copied, so a report is the same whatever ran where.
 */
import { u, I32, F64, V128, get, set, i32c, add, mul, v128load, f64x2splat, f64x2add, f64x2mul, inc, whileLt, vec, section, str, funcBody, simd, mem, lazyModule, scratchLimits, type ScratchModule } from './wasm-asm.js';
import { sumsCodegen } from './sums-codegen.js';
import { gemmMemory } from './wasm-gemm.js';

/** Off: the statistics use their JavaScript loop (the tests' reference). */
export const wasmStats = { enabled: true, /** Pieces summed where they lie in the arena, no copy (tests check the path is taken). */ inPlace: 0 };

const load64zero = (off = 0) => [...simd(0x5d), ...mem(3, off)];
const promoteLow = simd(0x5f);
const f64x2sub = simd(0xf1);

/**
 * stats_f32_f64(f, raw, n4, scale, out): out[0..1] = Σ f² and out[2..3] = Σ (raw·scale − f)²
 * over the first n4 elements (a multiple of 4), as two f64x2 lanes each.
 */
function statsBody(): number[] {
  const [f, raw, n4, scale, out] = [0, 1, 2, 3, 4];
  const [fp, rp, fend] = [5, 6, 7];
  const [sc, s0, s1, e0, e1, a, d] = [8, 9, 10, 11, 12, 13, 14];
  const step = (sAcc: number, eAcc: number, off: number) => [
    ...get(fp),
    ...load64zero(off * 4),
    ...promoteLow,
    ...set(a),
    ...get(rp),
    ...v128load(off * 8),
    ...get(sc),
    ...f64x2mul,
    ...get(a),
    ...f64x2sub,
    ...set(d),
    ...get(sAcc),
    ...get(a),
    ...get(a),
    ...f64x2mul,
    ...f64x2add,
    ...set(sAcc),
    ...get(eAcc),
    ...get(d),
    ...get(d),
    ...f64x2mul,
    ...f64x2add,
    ...set(eAcc),
  ];
  return [
    ...get(scale),
    ...f64x2splat,
    ...set(sc),
    ...get(f),
    ...set(fp),
    ...get(raw),
    ...set(rp),
    ...get(f),
    ...get(n4),
    ...i32c(4),
    ...mul,
    ...add,
    ...set(fend),
    ...whileLt(fp, get(fend), step(s0, e0, 0), step(s1, e1, 2), inc(fp, i32c(16)), inc(rp, i32c(32))),
    ...get(out),
    ...get(s0),
    ...get(s1),
    ...f64x2add,
    ...[...simd(0x0b), ...mem(4, 0)],
    ...get(out),
    ...get(e0),
    ...get(e1),
    ...f64x2add,
    ...[...simd(0x0b), ...mem(4, 16)],
  ];
}

/** The module's bytes (exported for the test that validates them). */
export function statsModuleBytes(): Uint8Array {
  const type = [0x60, ...vec([I32, I32, I32, F64, I32].map((p) => [p])), ...vec([])];
  const bytes = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00].concat(
    section(1, vec([type])),
    section(2, vec([[...str('env'), ...str('mem'), 0x02, 0x00, ...u(1)]])),
    section(3, vec([u(0)])),
    section(7, vec([[...str('stats_f32_f64'), 0x00, ...u(0)]])),
    section(10, vec([funcBody([[3, I32], [7, V128]], statsBody())])),
  );
  return Uint8Array.from(bytes);
}

interface Exports {
  stats_f32_f64(f: number, raw: number, n4: number, scale: number, out: number): void;
}

/** The instance (null where WebAssembly SIMD is unavailable) with the memory it imports as `mem`. */
const wasm = lazyModule<Exports & ScratchModule>('stats', statsModuleBytes, () => {
  const m = gemmMemory();
  return m ? { env: { mem: m } } : null;
});
let shared: (Exports & ScratchModule) | null | undefined;

function statsModule(): (Exports & ScratchModule) | null {
  if (!(wasmStats.enabled && sumsCodegen.enabled)) return null;
  if (shared === undefined) {
    const ex = wasm();
    const m = gemmMemory();
    shared = ex && m ? { stats_f32_f64: ex.stats_f32_f64.bind(ex), mem: m } : null;
  }
  return shared;
}

/** Whether the statistics run in the module here (compiling it on first use). */
export function wasmStatsAvailable(): boolean {
  return statsModule() !== null;
}

/** Elements per piece, and the scratch below the arena: a piece of each, and the 4 sums. */
const PIECE = 1 << 16;
const OUT = 0;
const F_AT = 32;
const R_AT = F_AT + PIECE * 4;
const SCRATCH = R_AT + PIECE * 8;
const PAGE = 65536;

function grow(ex: ScratchModule, bytes: number): void {
  const have = ex.mem.buffer.byteLength;
  if (bytes > have) ex.mem.grow(Math.ceil((bytes - have) / PAGE));
}

/**
 * [Σ f², Σ (raw·scale − f)²] over a value's float32 outputs and its fixed-point raws (same
 * length). Arrays in the arena are read in place; others are copied into the scratch a piece
 * at a time. Both sum each piece in the same lanes, so the result does not depend on where the
 * arrays live.
 */
export function sumSquares(f: Float32Array, raw: Float64Array, scale: number): [number, number] {
  const n = f.length;
  const n4 = n & ~3;
  let ss = 0;
  let ee = 0;
  const ex = n4 > 0 ? statsModule() : null;
  if (ex) {
    grow(ex, SCRATCH);
    const buf = ex.mem.buffer;
    const o = new Float64Array(buf, OUT, 4);
    const inPlace = f.buffer === buf && raw.buffer === buf;
    for (let a = 0; a < n4; a += PIECE) {
      const len = Math.min(PIECE, n4 - a);
      let fo = F_AT;
      let ro = R_AT;
      if (inPlace) {
        fo = f.byteOffset + 4 * a;
        ro = raw.byteOffset + 8 * a;
        wasmStats.inPlace++;
      } else {
        new Float32Array(buf, F_AT, len).set(f.subarray(a, a + len));
        new Float64Array(buf, R_AT, len).set(raw.subarray(a, a + len));
      }
      ex.stats_f32_f64(fo, ro, len, scale, OUT);
      ss += o[0]! + o[1]!;
      ee += o[2]! + o[3]!;
    }
  } else {
    for (let j = 0; j < n4; j++) {
      const d = raw[j]! * scale - f[j]!;
      ss += f[j]! * f[j]!;
      ee += d * d;
    }
  }
  for (let j = n4; j < n; j++) {
    const d = raw[j]! * scale - f[j]!;
    ss += f[j]! * f[j]!;
    ee += d * d;
  }
  return [ss, ee];
}

/** Largest arena claimed: beyond it the arrays stay ordinary (memory is never given back). */
const MAX_ARENA = 1 << 30;

/**
 * The region above the scratch limit, lent to one owner at a time (the thread's latest
 * claimant). An owner claims the bytes its arrays need — the memory grows then, detaching every
 * earlier view — and then takes arrays from it in order with f32/f64 while it still owns it;
 * past the end, or once another owner has claimed, it gets ordinary arrays. An owner that finds
 * it no longer owns the arena must drop the arrays it took (they may be another owner's now).
 * A kernel call needing scratch above the limit evicts the owner (wasm-asm.ts layout): the
 * generation changes, and an owner whose run saw that runs again on ordinary arrays.
 */
export class StatsArena {
  private owner: object | null = null;
  private top = 0;
  private end = 0;
  /** Bumped whenever the owner loses the arena (a new claim, or an eviction). */
  generation = 0;

  /** Makes `owner` the owner of `bytes` of arena (a fresh bump); false where unavailable or too big. */
  claim(owner: object, bytes: number): boolean {
    const ex = statsModule();
    if (!ex || bytes > MAX_ARENA) return false;
    const lent = scratchLimits.get(ex.mem);
    // Scratch keeps what the kernels have needed so far (the memory grew to fit it) and the statistics' own.
    const limit = Math.max(SCRATCH, lent ? lent.limit : ex.mem.buffer.byteLength);
    this.release();
    try {
      grow(ex, limit + bytes);
    } catch {
      return false; // no memory for it: the arrays stay ordinary
    }
    this.owner = owner;
    this.top = limit;
    this.end = limit + bytes;
    scratchLimits.set(ex.mem, { limit, evict: () => this.release() });
    return true;
  }

  /** Takes the arena back from its owner (if any); scratch may use all of the memory again. */
  release(): void {
    if (this.owner !== null) this.generation++;
    this.owner = null;
    const m = gemmMemory();
    if (m) scratchLimits.delete(m);
  }

  owns(owner: object): boolean {
    return this.owner === owner && statsModule() !== null;
  }

  private take(owner: object, bytes: number): number | undefined {
    const ex = this.owns(owner) ? statsModule() : null;
    const at = this.top;
    if (!ex || at + bytes > this.end || at + bytes > ex.mem.buffer.byteLength) return undefined;
    this.top = at + Math.ceil(bytes / 16) * 16;
    return at;
  }

  f32(owner: object, len: number): Float32Array {
    const at = this.take(owner, len * 4);
    return at === undefined ? new Float32Array(len) : new Float32Array(statsModule()!.mem.buffer, at, len);
  }

  f64(owner: object, len: number): Float64Array {
    const at = this.take(owner, len * 8);
    return at === undefined ? new Float64Array(len) : new Float64Array(statsModule()!.mem.buffer, at, len);
  }
}

/** This thread's arena. */
export const statsArena = new StatsArena();
