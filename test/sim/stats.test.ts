/**
 * The report's per-layer statistics (src/sim/wasm-stats.ts): Σ f² and Σ (raw·scale − f)² in
 * lanes against a plain loop, for values copied into the module's scratch and for values that
 * live in its arena (read in place) — which must give the same bits, so a report does not depend
 * on which arrays were placed where.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { sumsCodegen } from '../../src/sim/sums-codegen.js';
import { statsModuleBytes, sumSquares, wasmStats } from '../../src/sim/wasm-stats.js';

const FC = { seed: 20261130, numRuns: 25 };

afterEach(() => {
  sumsCodegen.enabled = true;
  wasmStats.enabled = true;
});

/** Deterministic values in [-amp, amp], about `zeros` of them exactly 0. */
function values(n: number, seed: number, amp: number, zeros = 0.3): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u = s / 4294967296;
    out[i] = u < zeros ? 0 : (2 * ((u - zeros) / (1 - zeros)) - 1) * amp;
  }
  return out;
}

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
