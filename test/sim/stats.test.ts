/**
 * The report's per-layer statistics (src/sim/wasm-stats.ts): Σ f² and Σ (raw·scale − f)² in
 * lanes against a plain loop, for values copied into the module's scratch and for values that
 * live in its arena (read in place) — which must give the same bits, so a report does not depend
 * on which arrays were placed where. The chunk runner's arena: chunks run on arrays in the arena
 * (dirty from the previous chunk), by runners that take the arena from each other and grow it,
 * give the same results bit for bit as a fresh runner on ordinary arrays.
 */
import fc from 'fast-check';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sparseValues as values } from '../helpers/random.js';
import { loadOnnxFile } from '../../src/frontend/onnx/model.js';
import { parseConfig } from '../../src/ir/precision-config.js';
import type { RtTensor } from '../../src/ir/semantics/tensor.js';
import { canonicalize, prepareFixed } from '../../src/passes/pipeline.js';
import { ChunkRunner, type ChunkResult } from '../../src/sim/compare.js';
import { FixedProgram } from '../../src/sim/fixed/executor.js';
import { runFloat } from '../../src/sim/float/executor.js';
import { fracBits } from '../../src/ir/fixed.js';
import { sumsCodegen } from '../../src/sim/sums-codegen.js';
import { wasmGemm } from '../../src/sim/wasm-gemm.js';
import { statsArena, statsModuleBytes, sumSquares, wasmStats } from '../../src/sim/wasm-stats.js';

const FC = { seed: 20261130, numRuns: 25 };

afterEach(() => {
  sumsCodegen.enabled = true;
  wasmStats.enabled = true;
});

function plain(f: Float32Array, raw: Float64Array, scale: number): [number, number] {
  let ss = 0;
  let ee = 0;
  for (let j = 0; j < f.length; j++) {
    const d = raw[j]! * scale - f[j]!;
    ss += f[j]! * f[j]!;
    ee += d * d;
  }
  return [ss, ee];
}

describe('per-layer sums of squares in lanes', () => {
  it('the module validates', () => {
    const wa = (globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } }).WebAssembly;
    expect(wa.validate(statsModuleBytes())).toBe(true);
  });

  it('equal a plain loop (exactly when every partial sum is exact), any length', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 70000 }), fc.integer({ min: 1, max: 1 << 30 }), fc.integer({ min: 0, max: 6 }), (n, seed, F) => {
        // Values on a 1/16 grid with small raws: every sum is exact in float64, in any order.
        const f = values(n, seed, 8, 0.3).map((v) => Math.round(v * 16) / 16);
        const raw = Float64Array.from(values(n, seed + 1, 200, 0.2), (v) => Math.round(v));
        const scale = 2 ** -F;
        const want = plain(f, raw, scale);
        expect(sumSquares(f, raw, scale)).toEqual(want);
        wasmStats.enabled = false;
        expect(sumSquares(f, raw, scale)).toEqual(want);
        wasmStats.enabled = true;
      }),
      FC,
    );
  });

  it('agree with the plain loop to rounding on arbitrary floats', () => {
    const n = 1001;
    const f = values(n, 5, 3, 0.2);
    const raw = Float64Array.from(values(n, 6, 3000, 0.2));
    const [ss, ee] = plain(f, raw, 2 ** -10);
    const [s, e] = sumSquares(f, raw, 2 ** -10);
    expect(Math.abs(s - ss) / ss).toBeLessThan(1e-13);
    expect(Math.abs(e - ee) / ee).toBeLessThan(1e-13);
    expect(s).toBeGreaterThan(100);
  });
});

describe('the chunk runner\'s arena (values read in place)', () => {
  const model = (name: string) => {
    const g = loadOnnxFile(join(import.meta.dirname, `../../examples/${name}.onnx`));
    return { cg: canonicalize(g), qg: prepareFixed(g, parseConfig({ model: { default: 'ap_fixed<10,4>' } }, 'cfg')).graph };
  };
  const mnist = (n: number, seed: number): RtTensor => ({ shape: [n, 1, 28, 28], data: values(n * 784, seed, 1, 0.5).map(Math.abs) });
  /** A chunk as a runner that never used the arena computes it (its first run is on ordinary arrays). */
  const fresh = (m: ReturnType<typeof model>, x: RtTensor, start: number, rows: number) => new ChunkRunner(m.cg, m.qg).run([x], start, rows);
  const same = (a: ChunkResult, b: ChunkResult) => {
    expect(Array.from(a.sig)).toEqual(Array.from(b.sig));
    expect(Array.from(a.err)).toEqual(Array.from(b.err));
    expect(Array.from(a.stats)).toEqual(Array.from(b.stats));
    a.fixedOuts.forEach((t, k) => expect(Array.from(t)).toEqual(Array.from(b.fixedOuts[k]!)));
    a.floatOuts.forEach((t, k) => expect(Array.from(t)).toEqual(Array.from(b.floatOuts[k]!)));
  };

  it('chunks on arena arrays, dirty from other chunks, equal a fresh runner\'s; the statistics read them in place', () => {
    const m = model('lenet5_mnist');
    const x = mnist(40, 3);
    // Expected results first: every new runner claims the arena after its first run.
    const want = [fresh(m, x, 0, 16), fresh(m, x, 16, 16), fresh(m, x, 32, 8)];
    const r = new ChunkRunner(m.cg, m.qg);
    same(r.run([x], 0, 16), want[0]!);
    expect(statsArena.owns(r)).toBe(true);
    const before = wasmStats.inPlace;
    const gemmBefore = wasmGemm.inPlace;
    same(r.run([x], 16, 16), want[1]!);
    // Every layer's value but the graph output's (not a reused array) was read where it lies.
    expect(wasmStats.inPlace - before).toBeGreaterThanOrEqual(m.qg.nodes.length - 1);
    // The integer convolutions and dense layers read and wrote theirs in place too.
    expect(wasmGemm.inPlace - gemmBefore).toBeGreaterThanOrEqual(3);
    same(r.run([x], 32, 8), want[2]!); // shorter: views of the arena arrays
    same(r.run([x], 0, 16), want[0]!);
  });

  it('runners taking the arena from each other (and growing it) stay correct', () => {
    const a = model('lenet5_mnist');
    const b = model('resnet_mnist');
    const x = mnist(32, 9);
    const ra = new ChunkRunner(a.cg, a.qg);
    const rb = new ChunkRunner(b.cg, b.qg);
    const ra2 = new ChunkRunner(a.cg, a.qg);
    for (let round = 0; round < 3; round++) {
      const s = (round * 7) % 16;
      // rb's arena is larger than ra's: its claim grows the memory, detaching ra's arrays.
      same(ra.run([x], s, 16), fresh(a, x, s, 16));
      same(rb.run([x], s, 16), fresh(b, x, s, 16));
      // Same size, no growth: ra2's claim reuses the bytes ra's arrays still point at.
      same(ra2.run([x], s + 1, 16), fresh(a, x, s + 1, 16));
      same(ra.run([x], s + 2, 16), fresh(a, x, s + 2, 16));
    }
    const want = [fresh(a, x, 3, 16), fresh(a, x, 4, 16)];
    rb.run([x], 0, 16);
    const before = wasmStats.inPlace;
    same(ra.run([x], 3, 16), want[0]!); // back on ordinary arrays, then claims again
    expect(wasmStats.inPlace).toBe(before);
    same(ra.run([x], 4, 16), want[1]!);
    expect(wasmStats.inPlace).toBeGreaterThan(before);
  });

  it('the runner (float in step with fixed, arena) sums each value as both executors run apart would give it', () => {
    const m = model('resnet_mnist');
    const x = mnist(24, 21);
    const r = new ChunkRunner(m.cg, m.qg);
    r.run([x], 0, 8);
    const got = r.run([x], 8, 16); // in the arena, in step
    const part = [{ shape: [16, 1, 28, 28], data: x.data.subarray(8 * 784, 24 * 784) }];
    const floatVals = new Map<string, Float32Array>();
    runFloat(m.cg, part, { onValue: (name, t) => floatVals.set(name, t.data.slice()) });
    const want = new Map<string, [number, number]>();
    new FixedProgram(m.qg).run(part, {
      onValue: (name, t) => {
        const f = floatVals.get(name);
        if (f) want.set(name, sumSquares(f, t.raw, 2 ** -fracBits(t.type)));
      },
    });
    expect(want.size).toBe(r.values.length);
    r.values.forEach((v, i) => {
      expect([got.sig[i], got.err[i]]).toEqual(want.get(v));
    });
  });

  it('a kernel call needing more scratch than the arena left takes it back mid-run; the chunk runs again, same results', async () => {
    const m = model('resnet_mnist');
    const x = mnist(48, 12);
    const want = [fresh(m, x, 0, 24), fresh(m, x, 24, 24)];
    // Fresh module instances: the arena starts where the memory ends, so memory grown by other
    // test files sharing this worker (vitest isolate: false) would leave room for any scratch.
    vi.resetModules();
    const { ChunkRunner } = await import('../../src/sim/compare.js');
    const { INT_BLOCK_BYTES } = await import('../../src/sim/wasm-gemm.js');
    const { statsArena } = await import('../../src/sim/wasm-stats.js');
    const r = new ChunkRunner(m.cg, m.qg);
    same(r.run([x], 0, 24), want[0]!);
    expect(statsArena.owns(r)).toBe(true);
    const gen = statsArena.generation;
    const block = INT_BLOCK_BYTES.value;
    try {
      INT_BLOCK_BYTES.value = 64 << 20; // whole chunks per call: scratch far above the limit
      same(r.run([x], 24, 24), want[1]!);
      expect(statsArena.generation).toBeGreaterThan(gen);
    } finally {
      INT_BLOCK_BYTES.value = block;
    }
    same(r.run([x], 0, 24), want[0]!);
  });

  it('with the module off, runs stay on ordinary arrays and the loop sums', () => {
    const m = model('lenet5_mnist');
    const x = mnist(16, 4);
    wasmStats.enabled = false;
    const r = new ChunkRunner(m.cg, m.qg);
    const want = r.run([x], 0, 8);
    const before = wasmStats.inPlace;
    same(r.run([x], 0, 8), want);
    expect(wasmStats.inPlace).toBe(before);
    expect(statsArena.owns(r)).toBe(false);
  });
});
