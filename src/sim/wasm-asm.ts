/**
 * A tiny WebAssembly assembler for the simulator's generated kernels (issue #13): LEB128
 * integers, the opcodes the kernels use (scalar, memory and SIMD), structured control flow
 * (block/loop/if, a `whileLt` counting loop), the section/vector/function-body encoders that
 * put a module together, and the small runtime every kernel module shares (compiled once per
 * process and handed to the workers, instantiated lazily once per thread; per-call scratch
 * regions in its one memory). No toolchain: kernels are
 * written as arrays of bytes in TypeScript and compiled by the engine at run time, so nothing
 * binary is committed.
 */
export const u = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};
export const s = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
};
export const I32 = 0x7f;
export const F32 = 0x7d;
export const F64 = 0x7c;
export const V128 = 0x7b;
export const get = (l: number) => [0x20, ...u(l)];
export const set = (l: number) => [0x21, ...u(l)];
export const i32c = (v: number) => [0x41, ...s(v)];
export const add = [0x6a];
export const mul = [0x6c];
export const ltS = [0x48];
/** memarg: alignment exponent, then offset. */
export const mem = (align: number, off = 0) => [...u(align), ...u(off)];
export const i32load = (off = 0) => [0x28, ...mem(2, off)];
export const f32load = (off = 0) => [0x2a, ...mem(2, off)];
export const f64load = (off = 0) => [0x2b, ...mem(3, off)];
export const i32store16 = (off = 0) => [0x3b, ...mem(1, off)];
export const f32store = (off = 0) => [0x38, ...mem(2, off)];
export const simd = (op: number) => [0xfd, ...u(op)];
export const v128load = (off = 0) => [...simd(0x00), ...mem(4, off)];
export const v128store = (off = 0) => [...simd(0x0b), ...mem(4, off)];
export const v128zero = [...simd(0x0c), ...new Array<number>(16).fill(0)];
export const i32x4splat = simd(0x11);
export const f64x2splat = simd(0x14);
export const i32x4add = simd(0xae);
export const dot = simd(0xba);
export const f64x2add = simd(0xf0);
export const f64x2mul = simd(0xf2);
// The structure builders join with concat: spreads and flat() made building the modules' bytes
// take ~60 ms per process (a cost on the start-up's critical path); concat copies packed arrays fast.
const END = [0x0b];
export const block = (...body: number[][]) => [0x02, 0x40].concat(...body, END);
export const loop = (...body: number[][]) => [0x03, 0x40].concat(...body, END);
export const ifThen = (...body: number[][]) => [0x04, 0x40].concat(...body, END);
export const br = (d: number) => [0x0c, ...u(d)];
export const brIf = (d: number) => [0x0d, ...u(d)];
/** if … else … end, no result. */
export const ifElse = (then: number[], els: number[]) => [0x04, 0x40].concat(then, [0x05], els, END);
export const i32eq = [0x46];
export const i32wrapI64 = [0xa7];
/** `l += v` for an i32 local. */
export const inc = (l: number, v: number[]) => [...get(l), ...v, ...add, ...set(l)];
/** while (get(i) < limit) { body; } with i tested before each pass (limit: i32 code). */
export const whileLt = (i: number, limit: number[], ...body: number[][]) =>
  block(loop([...get(i), ...limit, 0x4f /* i32.ge_u */, ...brIf(1)], ...body, br(0)));

export function vec(items: number[][]): number[] {
  return u(items.length).concat(...items);
}
export function section(id: number, body: number[]): number[] {
  return [id].concat(u(body.length), body);
}
export function str(t: string): number[] {
  return vec([...t].map((c) => [c.charCodeAt(0)]));
}
export function funcBody(locals: [number, number][], code: number[]): number[] {
  const b = vec(locals.map(([n, t]) => [...u(n), t])).concat(code, END);
  return u(b.length).concat(b);
}


// ---------- runtime shared by the kernel modules ----------
/** The parts of the WebAssembly API used here (the project's TypeScript lib has no DOM types). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object, imports: object) => { exports: unknown };
}
const WA = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

/** What every kernel module exports besides its functions: one memory used as scratch. */
export interface ScratchModule {
  mem: { readonly buffer: ArrayBuffer; grow(pages: number): number };
}

/**
 * The kernel modules by name: how to build each one's bytes, and the compiled module once
 * there is one (null: WebAssembly, or an instruction the module uses, is unavailable). Building
 * the bytes is most of a module's cost (~60 ms for all of them while the code is cold), so a
 * thread compiles them once and hands the compiled modules to its workers (compiledModules →
 * provideModules); structured clone shares the engine's compiled code between threads.
 */
const modules = new Map<string, { bytes: () => Uint8Array; compiled?: object | null }>();

function compiled(name: string): object | null {
  const m = modules.get(name)!;
  if (m.compiled === undefined) {
    try {
      if (!WA) throw new Error('no WebAssembly');
      m.compiled = new WA.Module(m.bytes());
    } catch {
      m.compiled = null;
    }
  }
  return m.compiled;
}

/** Every kernel module this thread has loaded, compiled (now, if not yet), by name — to post to a worker. */
export function compiledModules(): Record<string, object> {
  const out: Record<string, object> = {};
  for (const name of modules.keys()) {
    const c = compiled(name);
    if (c) out[name] = c;
  }
  return out;
}

/** Compiled modules from another thread (compiledModules), used instead of building and compiling them here. */
export function provideModules(given: Record<string, object> | undefined): void {
  for (const [name, c] of Object.entries(given ?? {})) {
    const m = modules.get(name);
    if (m && m.compiled === undefined) m.compiled = c;
  }
}

/**
 * The module `bytes()` builds (or another thread gave, provideModules), registered as `name`,
 * instantiated once per thread on first use; null where WebAssembly (or an instruction the
 * module uses, e.g. SIMD) is unavailable.
 */
export function lazyModule<E>(name: string, bytes: () => Uint8Array, imports: () => object | null = () => ({})): () => E | null {
  // A second registration (the file loaded afresh, e.g. a test's vi.resetModules) builds the same module.
  if (!modules.has(name)) modules.set(name, { bytes });
  let instance: E | null | undefined;
  return () => {
    if (instance === undefined) {
      try {
        const mod = compiled(name);
        if (!mod) throw new Error('module unavailable');
        const imp = imports();
        if (!imp) throw new Error('imports unavailable');
        instance = new WA!.Instance(mod, imp).exports as E;
      } catch {
        instance = null;
      }
    }
    return instance;
  };
}

/**
 * Memories whose bytes above `limit` are lent out (wasm-stats.ts StatsArena): scratch stays
 * below; a call that needs more first takes the loan back (`evict`), since growing the memory
 * would detach the views the borrower holds.
 */
export const scratchLimits = new WeakMap<object, { limit: number; evict: () => void }>();

/** Scratch regions of one call, 16-byte aligned, the memory grown to hold them. */
export function layout(ex: ScratchModule, sizes: number[]): number[] {
  const offs: number[] = [];
  let at = 0;
  for (const b of sizes) {
    offs.push(at);
    at += Math.ceil(b / 16) * 16;
  }
  const lent = scratchLimits.get(ex.mem);
  if (lent && at > lent.limit) lent.evict();
  const have = ex.mem.buffer.byteLength;
  if (at > have) ex.mem.grow(Math.ceil((at - have) / 65536));
  return offs;
}
