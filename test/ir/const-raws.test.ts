/**
 * Tests of the memoized constant raws (src/ir/semantics/const-raws.ts): on random data and random
 * types of every Q/O mode, narrow (number path) and wide (BigInt path), rawNumbers and rawBigints
 * give exactly what the BigInt reference quantizeDouble gives element by element; a repeated
 * request returns the same array (that is the point: unchanged constants cost nothing), a type that
 * differs in any field is a different entry, and the per-array cache drops the least recently used
 * type once it holds 16 types.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixedType, MAX_WIDTH, O_MODES, Q_MODES } from '../../src/ir/fixed.js';
import { quantizeDouble } from '../../src/ir/semantics/apfixed.js';
import { rawBigints, rawNumbers } from '../../src/ir/semantics/const-raws.js';

const typeArb = fc
  .record({
    width: fc.oneof(fc.integer({ min: 1, max: 52 }), fc.integer({ min: 53, max: Math.min(MAX_WIDTH, 96) })),
    intOff: fc.integer({ min: -8, max: 8 }),
    signed: fc.boolean(),
    q: fc.constantFrom(...Q_MODES),
    o: fc.constantFrom(...O_MODES),
    n: fc.integer({ min: 0, max: 3 }),
  })
  .map(({ width, intOff, signed, q, o, n }) =>
    fixedType(width, Math.floor(width / 2) + intOff, { signed, q, o, n: o === 'AP_WRAP' ? Math.min(n, width) : 0 }),
  );

const dataArb = fc.array(
  fc.oneof(fc.double({ noNaN: true, min: -1e3, max: 1e3 }), fc.integer({ min: -4096, max: 4096 }).map((k) => k / 64), fc.constantFrom(0, -0, 0.5, -0.5, 1e-300, -1e300)),
  { minLength: 0, maxLength: 40 },
);

describe('memoized constant raws', () => {
  it('equal quantizeDouble element by element on every type (number and BigInt paths)', () => {
    fc.assert(
      fc.property(dataArb, typeArb, (xs, t) => {
        const data = Float64Array.from(xs);
        const ref = xs.map((x) => quantizeDouble(x, t));
        expect(Array.from(rawBigints(data, t))).toEqual(ref);
        expect(Array.from(rawNumbers(data, t))).toEqual(ref.map((r) => Number(r)));
      }),
      { numRuns: 400 },
    );
  });

  it('returns the same array for the same data and type, and a new one when any type field differs', () => {
    const data = Float32Array.from([0.3, -1.7, 2.25, 0.125]);
    const t = fixedType(8, 3, { q: 'AP_RND_CONV', o: 'AP_SAT' });
    const a = rawNumbers(data, t);
    expect(rawNumbers(data, fixedType(8, 3, { q: 'AP_RND_CONV', o: 'AP_SAT' }))).toBe(a);
    expect(Array.from(a)).toEqual([10, -54, 72, 4]);
    const trn = rawNumbers(data, fixedType(8, 3, { o: 'AP_SAT' }));
    expect(trn).not.toBe(a);
    expect(Array.from(trn)).toEqual([9, -55, 72, 4]);
    expect(rawBigints(data, t)).toBe(rawBigints(data, t));
    // Another array with equal contents is another key (identity, not contents).
    expect(rawNumbers(Float32Array.from(data), t)).not.toBe(a);
  });

  it('keeps at most 16 types per array, dropping the least recently used', () => {
    const data = Float64Array.from([1.5, -2.25]);
    const types = Array.from({ length: 17 }, (_, k) => fixedType(8 + k, 4));
    const first = types.map((t) => rawNumbers(data, t)).slice(0, 2);
    // types[0] was dropped when types[16] came in; types[1] is still there.
    expect(rawNumbers(data, types[1]!)).toBe(first[1]);
    const again = rawNumbers(data, types[0]!);
    expect(again).not.toBe(first[0]);
    expect(Array.from(again)).toEqual(Array.from(first[0]!));
  });
});
