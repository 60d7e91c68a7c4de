/**
 * Where the float reference's WebAssembly kernels (wasm-float*.ts) read their inputs and write
 * their outputs (issue #13): their modules import the integer kernels' memory (wasm-gemm.ts
 * gemmMemory), the memory whose upper part holds the report's arena (wasm-stats.ts StatsArena).
 * The report's chunk runner places the float executor's reused arrays there, so a kernel reads
 * an input that lies in that memory, and writes outputs that lie there, in place instead of
 * copying them in and out of its scratch (the copies were ~15 % of the residual CNN's float
 * path; in place, the kernels' stores into the colder arena take part of that back: measured
 * 5–10 % less float time per chunk of the residual, dsconv and CIFAR-shaped CNNs). Scratch (weights, index maps, partial sums, and the copies of arrays that
 * live elsewhere) is laid out per call from offset 0 with layout(), which takes the arena back
 * first when a call needs more than the scratch below it; a call therefore checks where its
 * arrays live only after laying out its scratch (growing the memory detaches older views).
 */
import { u, str, vec, section } from './wasm-asm.js';
import { gemmMemory } from './wasm-gemm.js';

/** The import section entry `env.mem` (a memory of at least one page) the float modules declare instead of a memory of their own. */
export const memoryImportSection = (): number[] => section(2, vec([[...str('env'), ...str('mem'), 0x02, 0x00, ...u(1)]]));

/** The imports of a float module: the integer kernels' memory, or null where it is unavailable. */
export function floatImports(): object | null {
  const m = gemmMemory();
  return m ? { env: { mem: m } } : null;
}

/** Kernel calls that read an input, and that wrote their outputs, in place (tests check the paths are taken). */
export const floatInPlace = { inputs: 0, outputs: 0 };

/** Whether every array lies in `buf` (the kernels' memory), so a kernel can use it in place. */
export function inMemory(buf: ArrayBufferLike, ...arrays: (Float32Array | undefined)[]): boolean {
  return arrays.every((a) => a === undefined || a.buffer === buf);
}

/**
 * Scratch bytes per block of samples copied in and out: small enough that what a kernel writes
 * is still in L2 when it is copied out (measured: 8 MB → 128 KB gave 1.2× on the residual CNN's
 * float path).
 */
export const FLOAT_BLOCK_BYTES = 1 << 17;

/** Samples per kernel call: `perSample` bytes of copies each within FLOAT_BLOCK_BYTES, or all of them when nothing is copied. */
export function blockOf(perSample: number, samples: number): number {
  return perSample === 0 ? Math.max(1, samples) : Math.max(1, Math.min(samples, Math.floor(FLOAT_BLOCK_BYTES / perSample)));
}

/**
 * Throws when arrays a call meant to use in place no longer lie in the memory: laying out the
 * scratch took the arena back (and grew the memory, detaching them). The report's runner then
 * runs the chunk again on ordinary arrays (compare.ts ChunkRunner.run).
 */
export function stillIn(buf: ArrayBufferLike, xIn: boolean, x: Float32Array, yIn: boolean, out: Float32Array, reluOut?: Float32Array): void {
  if (xIn) floatInPlace.inputs++;
  if (yIn) floatInPlace.outputs++;
  if ((xIn && !inMemory(buf, x)) || (yIn && !inMemory(buf, out, reluOut))) throw new Error('internal: the stats arena was taken back during a float kernel call');
}

/** Copies `len` outputs (and their Relu) from the scratch at yo (zo) into out (reluOut) from element `at`. */
export function copyOut(buf: ArrayBufferLike, yo: number, zo: number, len: number, at: number, out: Float32Array, reluOut?: Float32Array): void {
  out.set(new Float32Array(buf, yo, len), at);
  if (reluOut) reluOut.set(new Float32Array(buf, zo, len), at);
}
