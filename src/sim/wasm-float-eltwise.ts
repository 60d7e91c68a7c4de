/**
 * WebAssembly SIMD elementwise kernels of the float reference executor (issue #13), a module of
 * its own (emitted with wasm-asm.ts, compiled once per thread, on the integer kernels' memory:
 * arrays lying there are used in place, wasm-float-io.ts): the float32 Add of two tensors
 * where one is the other's shape or a block of its trailing dims repeated (a residual join, a
 * per-channel or scalar bias in channel-last layout), optionally with the Relu of the sum in
 * the same pass. f32x4.add is the IEEE float32 sum, which equals the reference's float64 sum of
 * two float32 values rounded to float32 (a double rounding that cannot differ for one add), and
 * the Relu is v & (v > 0): +0 for v ≤ 0, −0 and NaN, as the Relu reference kernel gives. Four
 * lanes at a time and a branch-free Relu: the JavaScript loop this replaces loses the branch
 * predictor's coin flip on every sign, which costs several times the copies in and out.
 */
import { I32, V128, get, set, i32c, add, mul, inc, whileLt, vec, section, str, funcBody, simd, lazyModule, layout, v128load, v128store, type ScratchModule } from './wasm-asm.js';
import { wasmFloat } from './wasm-float.js';
import { sumsCodegen } from './sums-codegen.js';
import { copyOut, floatImports, inMemory, memoryImportSection, stillIn } from './wasm-float-io.js';

const f32x4add = simd(0xe4);
const f32x4gt = simd(0x44);
const v128and = simd(0x4e);
const v128zeroConst = [...simd(0x0c), ...new Array<number>(16).fill(0)];

/**
 * add_f32(a, aStep, b, bStep, nb, m, y, z): for nb blocks t of m floats (rounded up to whole
 * vectors: the blocks are written in ascending order, so a block's overhang is rewritten by the
 * next, and the scratch has room past the last), y[t·m + j] = a[t·aStep + j] + b[t·bStep + j]
 * (steps in floats: m for a full operand, 0 for a repeated block); with `relu` also
 * z[…] = max(y, +0).
 */
function addBody(relu: boolean): number[] {
  const [a, aStep, b, bStep, nb, m, y, z] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [t, j, mb] = [8, 9, 10];
  const v = 11;
  const at = (base: number) => [...get(base), ...get(j), ...add];
  return [
    ...get(m),
    ...i32c(4),
    ...mul,
    ...set(mb),
    ...i32c(0),
    ...set(t),
    ...whileLt(
      t,
      get(nb),
      [...i32c(0), ...set(j)],
      whileLt(
        j,
        get(mb),
        [...at(a), ...v128load(), ...at(b), ...v128load(), ...f32x4add, ...set(v)],
        [...at(y), ...get(v), ...v128store()],
        relu ? [...at(z), ...get(v), ...get(v), ...v128zeroConst, ...f32x4gt, ...v128and, ...v128store()] : [],
        inc(j, i32c(16)),
      ),
      inc(a, [...get(aStep), ...i32c(4), ...mul]),
      inc(b, [...get(bStep), ...i32c(4), ...mul]),
      inc(y, get(mb)),
      inc(z, get(mb)),
      inc(t, i32c(1)),
    ),
  ];
}

/** The module's bytes (exported for the test that validates them). */
export function floatEltwiseModuleBytes(): Uint8Array {
  const fn = (params: number[]) => [0x60, ...vec(params.map((p) => [p])), ...vec([])];
  const locals: [number, number][] = [[3, I32], [1, V128]];
  const funcs = [
    { name: 'add_f32', code: addBody(false) },
    { name: 'add_f32_relu', code: addBody(true) },
  ];
  const bytes = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00].concat(
    section(1, vec([fn(new Array<number>(8).fill(I32))])),
    memoryImportSection(),
    section(3, vec(funcs.map(() => u0))),
    section(7, vec([[...str('mem'), 0x02, 0], ...funcs.map((f, i) => [...str(f.name), 0x00, i])])),
    section(10, vec(funcs.map((f) => funcBody(locals, f.code)))),
  );
  return Uint8Array.from(bytes);
}
const u0 = [0];

type AddFn = (a: number, aStep: number, b: number, bStep: number, nb: number, m: number, y: number, z: number) => void;
interface Exports extends ScratchModule {
  add_f32: AddFn;
  add_f32_relu: AddFn;
}

const wasm = lazyModule<Exports>('float-eltwise', floatEltwiseModuleBytes, floatImports);

/** Calls of the module's kernels so far (tests check the path is taken). */
export const wasmEltwise = { calls: 0 };

export function wasmEltwiseAvailable(): boolean {
  return wasmFloat.enabled && sumsCodegen.enabled && wasm() !== null;
}

/**
 * out = a + b (and z = max(out, +0) when given) where a and b are each either `n` floats or a
 * block of `m` floats repeated n/m times (not both repeated); n a multiple of m.
 */
export function addF32(a: Float32Array, b: Float32Array, n: number, m: number, out: Float32Array, z?: Float32Array): void {
  const ex = wasm()!;
  wasmEltwise.calls++;
  const blocks = n / m;
  const aFull = a.length === n;
  const bFull = b.length === n;
  // Whole operands and outputs that lie in the memory are used in place when blocks are whole
  // vectors (else a block's overhang would be written past the output, or read past an operand).
  const buf0 = ex.mem.buffer;
  const whole = m % 4 === 0;
  const aIn = whole && aFull && inMemory(buf0, a);
  const bIn = whole && bFull && inMemory(buf0, b);
  const yIn = whole && inMemory(buf0, out, z);
  // Otherwise blocks in pieces of at most 32k floats (128 KB) per array, so the scratch stays in L2.
  const per = aIn && bIn && yIn ? blocks : Math.max(1, Math.min(blocks, Math.floor((1 << 15) / m)));
  const len = per * m;
  const mp = Math.ceil(m / 4) * 4;
  const slack = 4 * (mp - m) + 16;
  const [ao, bo, yo, zo] = layout(ex, [aIn ? 0 : (aFull ? len : m) * 4 + slack, bIn ? 0 : (bFull ? len : m) * 4 + slack, yIn ? 0 : len * 4 + slack, z && !yIn ? len * 4 + slack : 0]) as [number, number, number, number];
  const buf = ex.mem.buffer;
  stillIn(buf, aIn, a, yIn, out, z);
  stillIn(buf, bIn, b, false, out);
  if (!aFull) new Float32Array(buf, ao, m).set(a);
  if (!bFull) new Float32Array(buf, bo, m).set(b);
  const fn = z ? ex.add_f32_relu : ex.add_f32;
  for (let t0 = 0; t0 < blocks; t0 += per) {
    const nb = Math.min(per, blocks - t0);
    const lo = t0 * m;
    const hi = lo + nb * m;
    if (aFull && !aIn) new Float32Array(buf, ao, nb * m).set(a.subarray(lo, hi));
    if (bFull && !bIn) new Float32Array(buf, bo, nb * m).set(b.subarray(lo, hi));
    const aAt = aIn ? a.byteOffset + 4 * lo : ao;
    const bAt = bIn ? b.byteOffset + 4 * lo : bo;
    const yAt = yIn ? out.byteOffset + 4 * lo : yo;
    const zAt = z && yIn ? z.byteOffset + 4 * lo : zo;
    fn(aAt, aFull ? m : 0, bAt, bFull ? m : 0, nb, m, yAt, zAt);
    if (!yIn) copyOut(buf, yo, zo, nb * m, lo, out, z);
  }
}
