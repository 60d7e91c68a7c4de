/**
 * Property tests of the entry cast in the integer WebAssembly module (issue #13,
 * src/sim/wasm-fixed-quant.ts): for random fixed types (signed and unsigned, widths 2..52, every
 * quantization and overflow mode, fraction bits from −20 to 60) and float32 or float64 inputs —
 * exact ties of every LSB fraction, values at and beyond the range, −0, tiny negatives and
 * subnormals, huge values, Inf and NaN — every raw (+0 and −0 told apart) and the overflow count
 * must be prepareQuantize's; and a FixedProgram's graph-input raws and counters must not change.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { lcg } from '../helpers/random.js';
import { fixedType, type FixedType, fracBits, O_MODES, Q_MODES } from '../../src/ir/fixed.js';
import type { Graph, Node, Value } from '../../src/ir/graph.js';
import { prepareQuantize } from '../../src/ir/semantics/apfixed.js';
import { parseConfig } from '../../src/ir/precision-config.js';
import { prepareFixed } from '../../src/passes/pipeline.js';
import { FixedProgram } from '../../src/sim/fixed/executor.js';
import { quantPlan, quantRun, wasmQuant } from '../../src/sim/wasm-fixed-quant.js';
import { fixedModule } from '../../src/sim/wasm-gemm.js';
import { statsArena } from '../../src/sim/wasm-stats.js';

afterEach(() => {
  wasmQuant.enabled = true;
  statsArena.release();
});

/** Inputs for type t: mostly in range, with exact half-LSB ties, edges, specials. */
function inputs(t: FixedType, n: number, rnd: () => number, specials: boolean): number[] {
  const F = fracBits(t);
  const lsb = 2 ** -F;
  const hi = (t.signed ? 2 ** (t.width - 1) : 2 ** t.width) * lsb;
  const lo = t.signed ? -hi : 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const u = rnd();
    const k = Math.floor((rnd() * 2 - 1) * 2 ** Math.min(t.width, 30));
    if (u < 0.25) out.push((k + 0.5) * lsb); // exact ties
    else if (u < 0.35) out.push((k + (rnd() < 0.5 ? 0.25 : 0.75)) * lsb);
    else if (u < 0.5) out.push([hi, lo, hi - lsb, lo - lsb, hi + lsb / 2, lo - lsb / 2, 0, -0, lsb / 2, -lsb / 2][Math.floor(rnd() * 10)]!);
    else if (u < 0.55 && specials) out.push([Infinity, -Infinity, NaN, 1e300, -1e300, -1e-300, 5e-324, -5e-324, hi * 2 ** 40][Math.floor(rnd() * 9)]!);
    else out.push((rnd() * 2.4 - 1.2) * (hi - lo) + lo);
  }
  return out;
}

const bits = (a: ArrayLike<number>) => Array.from(a, (v) => (Object.is(v, -0) ? '-0' : Number.isNaN(v) ? 'NaN' : v));

describe('quant_f64 (the entry cast in the WebAssembly module)', () => {
  it('gives every raw and overflow count of prepareQuantize: all modes, widths 2..52, float32 and float64, specials, odd lengths, in the module memory or not', () => {
    let covered = 0;
    let slow = 0;
    let overflowed = 0;
    const spec = fc.record({
      signed: fc.boolean(),
      width: fc.integer({ min: 2, max: 52 }),
      int: fc.integer({ min: -8, max: 40 }),
      q: fc.constantFrom(...Q_MODES),
      o: fc.constantFrom(...O_MODES),
      n: fc.integer({ min: 1, max: 37 }),
      single: fc.boolean(),
      specials: fc.boolean(),
      arena: fc.boolean(),
      seed: fc.integer({ min: 1, max: 1 << 30 }),
    });
    fc.assert(
      fc.property(spec, (p) => {
        const t = fixedType(p.width, p.int, { signed: p.signed, q: p.q, o: p.o });
        const plan = quantPlan(t);
        expect(plan, JSON.stringify(p)).not.toBeNull();
        const rnd = lcg(p.seed);
        const vals = inputs(t, p.n, rnd, p.specials);
        const x0 = p.single ? Float32Array.from(vals) : Float64Array.from(vals);
        let count = 0;
        const ref = prepareQuantize(t, () => count++);
        const want = Array.from(x0, (v) => ref(v));
        const wantCount = count;
        count = 0;
        let x: Float32Array | Float64Array = x0;
        let y: Float64Array = new Float64Array(p.n).fill(-7);
        if (p.arena) {
          const owner = {};
          expect(statsArena.claim(owner, 16 * p.n + 64)).toBe(true);
          y = statsArena.f64(owner, p.n).fill(-7);
          if (!p.single) x = statsArena.f64(owner, p.n).map((_, i) => x0[i]!);
          expect(y.buffer).toBe(fixedModule()!.mem.buffer);
        }
        let fell = false;
        const got = quantRun(fixedModule()!, plan!, x, y, (from, to) => {
          fell = true;
          for (let i = from; i < to; i++) y[i] = ref(x[i]!);
        });
        if (fell) slow++;
        else covered++;
        if (wantCount > 0) overflowed++;
        expect(bits(y), JSON.stringify(p)).toEqual(bits(want));
        expect(got + count).toBe(wantCount);
        statsArena.release();
      }),
      { seed: 20261130, numRuns: 400 },
    );
    expect(covered).toBeGreaterThan(200);
    expect(slow).toBeGreaterThan(10);
    expect(overflowed).toBeGreaterThan(100);
  });

  it('rounds exact ties per mode (fixed cases, ap_fixed<4,2> from float32)', () => {
    // Quarters: x·4 = ±0.5, ±1.5, ±2.5 ties, ±9.2 (saturates at 7 / −8 under AP_SAT).
    const x = Float32Array.from([0.125, -0.125, 0.375, -0.375, 0.625, -0.625, 2.3, -2.3]);
    const want: Record<string, number[]> = {
      AP_TRN: [0, -1, 1, -2, 2, -3, 7, -8],
      AP_TRN_ZERO: [0, 0, 1, -1, 2, -2, 7, -8],
      AP_RND: [1, 0, 2, -1, 3, -2, 7, -8],
      AP_RND_ZERO: [0, 0, 1, -1, 2, -2, 7, -8],
      AP_RND_INF: [1, -1, 2, -2, 3, -3, 7, -8],
      AP_RND_MIN_INF: [0, -1, 1, -2, 2, -3, 7, -8],
      AP_RND_CONV: [0, 0, 2, -2, 2, -2, 7, -8],
    };
    for (const q of Q_MODES) {
      const y = new Float64Array(8);
      const n = quantRun(fixedModule()!, quantPlan(fixedType(4, 2, { q, o: 'AP_SAT' }))!, x, y, () => {
        throw new Error('no slow branch expected');
      });
      expect([q, ...bits(y)]).toEqual([q, ...want[q]!]);
      expect(n).toBe(2);
    }
  });

  it('takes the slow branch where x·2^F underflows to 0 for a negative x under AP_TRN (which floors it to −1)', () => {
    const t = fixedType(8, 40); // F = −32
    const x = Float64Array.from([-5e-324, -1e-310, 5e-324, -0, -3]);
    let count = 0;
    const ref = prepareQuantize(t, () => count++);
    const y = new Float64Array(5);
    let fell = false;
    quantRun(fixedModule()!, quantPlan(t)!, x, y, (from, to) => {
      fell = true;
      for (let i = from; i < to; i++) y[i] = ref(x[i]!);
    });
    expect(fell).toBe(true);
    expect(bits(y)).toEqual([-1, -1, 0, 0, -1]);
    const y2 = new Float64Array(2);
    expect(quantRun(fixedModule()!, quantPlan(t)!, Float64Array.from([5e-324, -0]), y2, () => { throw new Error('no slow branch expected'); })).toBe(0);
    expect(bits(y2)).toEqual([0, 0]);
  });

  it('is refused for AP_WRAP with saturation bits and types wider than 52 bits', () => {
    expect(quantPlan(fixedType(8, 3, { o: 'AP_WRAP', n: 2 }))).toBeNull();
    expect(quantPlan(fixedType(60, 10))).toBeNull();
    expect(quantPlan(fixedType(16, 6))).not.toBeNull();
    wasmQuant.enabled = false;
    expect(quantPlan(fixedType(16, 6))).toBeNull();
  });
});

describe('a FixedProgram with the entry cast in the module', () => {
  it('delivers the graph input raws, outputs and counters of the JavaScript cast', () => {
    const g: Graph = {
      name: 'g',
      batched: true,
      values: new Map<string, Value>([
        ['x', { name: 'x', shape: [7], elem: 'float32' }],
        ['y', { name: 'y', shape: [7], elem: 'float32' }],
      ]),
      nodes: [{ name: 'relu', op: 'Relu', inputs: ['x'], outputs: ['y'], attrs: {} } as unknown as Node],
      inputs: [{ modelName: 'x', value: 'x', modelShape: [null, 7], elem: 'float32' }],
      outputs: [{ modelName: 'y', value: 'y', modelShape: [null, 7], elem: 'float32' }],
      source: 'fixed-quant test',
    };
    const rnd = lcg(5);
    for (const type of ['ap_fixed<16,6>', 'ap_fixed<8,3,AP_RND_CONV,AP_SAT>', 'ap_ufixed<6,2,AP_RND_INF,AP_WRAP>', 'ap_fixed<10,4,AP_RND,AP_WRAP,2>']) {
      const q = prepareFixed(g, parseConfig({ model: { default: type } }, 'cfg')).graph;
      const t = q.values.get('x')!.fixed!;
      const data = Float32Array.from(inputs(t, 5 * 7, rnd, true));
      const run = (enabled: boolean) => {
        wasmQuant.enabled = enabled;
        const prog = new FixedProgram(q);
        const seen: unknown[] = [];
        const outs = prog.run([{ shape: [5, 7], data }], { onValue: (_, v) => seen.push(bits(v.raw)) });
        return { seen, outs: outs.map((o) => bits(o.raw)), stats: JSON.stringify([...prog.stats]) };
      };
      expect(run(true), type).toEqual(run(false));
    }
  });
});
