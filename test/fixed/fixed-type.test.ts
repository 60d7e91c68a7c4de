/**
 * Tests of the fixed-point type values (exact C++ spellings, parsing, error messages) and of the
 * arithmetic model's corner cases that the golden vectors cannot carry (NaN/Inf, subnormal and
 * wide to_double, the library quirks spelled out in the vector notes). The property tests hold
 * the simulator's number fast path (castRawNum, prepareCast, quantizeDoubleNum, prepareQuantize)
 * to the exact BigInt path on random types of every Q/O/N combination, with inputs biased
 * towards ties, grid points +-1 ulp, range boundaries and huge/tiny magnitudes, because those
 * are exactly where a floating-point shortcut would silently differ.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type FixedType, O_MODES, Q_MODES, fixedType, fracBits, intType, parseType, renderType, sameType,
} from '../../src/ir/fixed.js';
import {
  FAST_MAX_WIDTH, addType, castRaw, castRawNum, mulType, prepareCast, prepareQuantize, quantizeDouble,
  quantizeDoubleNum, subType, toDouble,
} from '../../src/ir/semantics/apfixed.js';

describe('renderType', () => {
  const cases: [FixedType, string][] = [
    [fixedType(16, 6), 'ap_fixed<16,6>'],
    [fixedType(16, 6, { q: 'AP_RND_CONV', o: 'AP_SAT' }), 'ap_fixed<16,6,AP_RND_CONV,AP_SAT>'],
    [fixedType(16, 6, { o: 'AP_SAT' }), 'ap_fixed<16,6,AP_TRN,AP_SAT>'],
    [fixedType(16, 6, { q: 'AP_RND' }), 'ap_fixed<16,6,AP_RND>'],
    [fixedType(8, 3, { q: 'AP_RND', n: 2 }), 'ap_fixed<8,3,AP_RND,AP_WRAP,2>'],
    [fixedType(8, 3, { n: 1 }), 'ap_fixed<8,3,AP_TRN,AP_WRAP,1>'],
    [fixedType(8, 0, { signed: false }), 'ap_ufixed<8,0>'],
    [fixedType(8, -3, { signed: false, q: 'AP_RND_ZERO', o: 'AP_SAT_SYM' }), 'ap_ufixed<8,-3,AP_RND_ZERO,AP_SAT_SYM>'],
    [fixedType(4, 6), 'ap_fixed<4,6>'],
    [fixedType(8, 8), 'ap_int<8>'],
    [fixedType(8, 8, { signed: false }), 'ap_uint<8>'],
    [intType(1, false), 'ap_uint<1>'],
    [fixedType(8, 8, { o: 'AP_SAT' }), 'ap_fixed<8,8,AP_TRN,AP_SAT>'],
  ];
  it.each(cases)('%o -> %s', (t, s) => {
    expect(renderType(t)).toBe(s);
    expect(sameType(parseType(s), t)).toBe(true);
  });

  it('round-trips parse(render(t)) for every mode combination', () => {
    for (const signed of [true, false]) {
      for (const q of Q_MODES) {
        for (const o of O_MODES) {
          for (const [w, i, n] of [[1, 1, 0], [8, 3, 0], [8, 3, 2], [12, -4, 0], [6, 9, 6], [32, 32, 0], [1024, 512, 3]] as const) {
            const t = fixedType(w, i, { signed, q, o, n });
            const back = parseType(renderType(t));
            expect(sameType(back, t), renderType(t)).toBe(true);
            expect(Object.isFrozen(back)).toBe(true);
          }
        }
      }
    }
  });
});

describe('parseType', () => {
  it('accepts the C++ spellings, shorthands, loose modes and whitespace', () => {
    const t = (s: string) => renderType(parseType(s));
    expect(t('ap_fixed<16,6>')).toBe('ap_fixed<16,6>');
    expect(t(' ap_fixed < 16 , 6 , AP_RND_CONV , AP_SAT > ')).toBe('ap_fixed<16,6,AP_RND_CONV,AP_SAT>');
    expect(t('ap_fixed<8,3,AP_RND,AP_WRAP,2>')).toBe('ap_fixed<8,3,AP_RND,AP_WRAP,2>');
    expect(t('ap_fixed<16,6,AP_TRN,AP_WRAP,0>')).toBe('ap_fixed<16,6>');
    expect(t('ap_ufixed<8,0>')).toBe('ap_ufixed<8,0>');
    expect(t('ap_int<8>')).toBe('ap_int<8>');
    expect(t('ap_uint<4>')).toBe('ap_uint<4>');
    expect(t('fixed<16,6>')).toBe('ap_fixed<16,6>');
    expect(t('ufixed<8,0>')).toBe('ap_ufixed<8,0>');
    expect(t('int<8>')).toBe('ap_int<8>');
    expect(t('uint<8>')).toBe('ap_uint<8>');
    expect(t('fixed<16,6,rnd_conv,sat>')).toBe('ap_fixed<16,6,AP_RND_CONV,AP_SAT>');
    expect(t('ap_fixed<8,+3,RND>')).toBe('ap_fixed<8,3,AP_RND>');
    expect(t('ap_fixed<8,8>')).toBe('ap_int<8>'); // numerically the same type
    expect(t('ap_fixed<8,-2>')).toBe('ap_fixed<8,-2>');
    expect(parseType('ap_ufixed<8,4>').signed).toBe(false);
  });

  const bad: [string, RegExp][] = [
    ['ap_fixed<16>', /2 to 5 arguments/],
    ['ap_fixed<16,6,AP_RND,AP_SAT,1,2>', /2 to 5 arguments/],
    ['ap_int<8,3>', /exactly one argument/],
    ['ap_fixed<0,0>', /width must be an integer in 1\.\./],
    ['ap_fixed<16.5,6>', /bad width '16\.5'/],
    ['ap_fixed<16,6,AP_ROUND>', /unknown quantization mode 'AP_ROUND'/],
    ['ap_fixed<16,6,AP_RND,AP_CLAMP>', /unknown overflow mode 'AP_CLAMP'/],
    ['ap_fixed<8,3,AP_RND,AP_WRAP,9>', /saturation bits N must be an integer in 0\.\.width \(8\)/],
    ['ap_fixed<8,3,AP_RND,AP_WRAP,-1>', /saturation bits/],
    ['float', /cannot parse fixed-point type 'float'/],
    ['ap_fixed<16,6', /cannot parse/],
    ['ap_fixed<16,,6>', /empty template argument/],
    ['ap_fixed<99999,6>', /width must be an integer/],
  ];
  it.each(bad)('rejects %s', (s, re) => {
    expect(() => parseType(s)).toThrow(re);
    expect(() => parseType(s)).toThrow(/valid examples: 'ap_fixed<16,6>'/);
  });

  it('fixedType validates its arguments', () => {
    expect(() => fixedType(8, 3, { n: 9 })).toThrow(/saturation bits/);
    expect(() => fixedType(-1, 0)).toThrow(/width/);
    expect(() => fixedType(8, 1.5)).toThrow(/integer bits/);
    expect(() => fixedType(8, 3, { q: 'AP_FOO' as never })).toThrow(/quantization mode/);
    expect(fracBits(fixedType(4, 6))).toBe(-2);
  });
});

describe('arithmetic model corner cases', () => {
  const T = (s: string) => parseType(s);
  it('result types follow the library', () => {
    expect(renderType(mulType(T('ap_fixed<8,3>'), T('ap_ufixed<16,6>')))).toBe('ap_fixed<24,9>');
    expect(renderType(addType(T('ap_fixed<8,3>'), T('ap_ufixed<16,6>')))).toBe('ap_fixed<18,8>');
    expect(renderType(addType(T('ap_ufixed<8,3>'), T('ap_ufixed<16,6>')))).toBe('ap_ufixed<17,7>');
    expect(renderType(subType(T('ap_ufixed<8,3>'), T('ap_ufixed<16,6>')))).toBe('ap_fixed<17,7>');
    expect(renderType(addType(T('ap_int<8>'), T('ap_uint<8>')))).toBe('ap_int<10>');
    expect(renderType(mulType(T('ap_fixed<8,3,AP_RND,AP_SAT>'), T('ap_int<4>')))).toBe('ap_fixed<12,7>');
  });

  it('reproduces the documented quirks and examples', () => {
    expect(quantizeDouble(-4.0, T('ap_fixed<8,3,AP_TRN,AP_SAT_SYM>'))).toBe(-127n);
    expect(castRaw(-128n, T('ap_fixed<8,3>'), T('ap_fixed<8,3,AP_TRN,AP_SAT_SYM>'))).toBe(-127n);
    expect(quantizeDouble(-1e10, T('ap_ufixed<4,0,AP_TRN,AP_WRAP,1>'))).toBe(8n);
    expect(quantizeDouble(-30.0, T('ap_fixed<8,10,AP_RND_CONV>'))).toBe(-8n);
    expect(quantizeDouble(30.0, T('ap_fixed<4,6,AP_TRN_ZERO>'))).toBe(7n);
    expect(quantizeDouble(-0.1, T('ap_fixed<8,8>'))).toBe(-1n); // AP_TRN floors
    expect(quantizeDouble(-0, T('ap_fixed<8,3,AP_TRN,AP_SAT>'))).toBe(0n);
  });

  it('treats Inf like a huge value and NaN like a huge positive value', () => {
    for (const t of [T('ap_fixed<8,3,AP_TRN,AP_SAT>'), T('ap_fixed<8,3>'), T('ap_ufixed<8,3,AP_RND,AP_SAT>'), T('ap_fixed<70,3,AP_TRN,AP_SAT>')]) {
      const max = t.signed ? 2n ** BigInt(t.width - 1) - 1n : 2n ** BigInt(t.width) - 1n;
      const min = t.signed ? -max - 1n : 0n;
      const sat = t.o === 'AP_SAT';
      expect(quantizeDouble(Infinity, t)).toBe(sat ? max : 0n);
      expect(quantizeDouble(-Infinity, t)).toBe(sat ? min : 0n);
      expect(quantizeDouble(NaN, t)).toBe(sat ? max : 0n);
    }
  });

  it('rounds the exact value once even where the C-sim model would read past the source', () => {
    // 1/4 target LSB and just above half a target LSB, from a source with many more fraction bits.
    const src = T('ap_fixed<4,-20>');
    const dst = T('ap_fixed<8,4,AP_RND,AP_SAT>');
    expect(castRaw(1n, src, dst)).toBe(0n);
    expect(castRaw(-1n, src, T('ap_fixed<8,4,AP_TRN>'))).toBe(-1n);
  });

  it('toDouble rounds to nearest even for wide and subnormal results', () => {
    const w = T('ap_fixed<64,64>');
    expect(toDouble(2n ** 53n + 1n, w)).toBe(2 ** 53);
    expect(toDouble(2n ** 53n + 3n, w)).toBe(2 ** 53 + 4);
    expect(toDouble(-(2n ** 63n), w)).toBe(-(2 ** 63));
    expect(toDouble(3n, T('ap_fixed<8,-1067>'))).toBe(2 ** -1074 * 2); // 1.5 subnormal LSBs -> 2
    expect(toDouble(-5n, T('ap_fixed<8,-1067>'))).toBe(-(2 ** -1074) * 2); // -2.5 -> -2
    expect(toDouble(7n, T('ap_fixed<8,-1067>'))).toBe(2 ** -1074 * 4); // 3.5 -> 4
    expect(toDouble(1n, T('ap_fixed<8,-1080>'))).toBe(0);
    expect(toDouble(1n, T('ap_fixed<8,1100>'))).toBe(Infinity);
    expect(toDouble(2n ** 1000n, T('ap_fixed<1002,2>'))).toBe(1);
    expect(Object.is(toDouble(0n, w), 0)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// Fast path == BigInt path.
// ---------------------------------------------------------------------------------------------

const qArb = fc.constantFrom(...Q_MODES);
const oArb = fc.constantFrom(...O_MODES);
const fastTypeArb = fc
  .record({ w: fc.integer({ min: 1, max: FAST_MAX_WIDTH }), i: fc.integer({ min: -70, max: 120 }), s: fc.boolean(), q: qArb, o: oArb, nFrac: fc.double({ min: 0, max: 1, noNaN: true }), wrapN: fc.boolean() })
  .map(({ w, i, s, q, o, nFrac, wrapN }) => fixedType(w, i, { signed: s, q, o: wrapN ? 'AP_WRAP' : o, n: wrapN ? Math.round(nFrac * w) : 0 }));

const MAX_SAFE = 2 ** 53 - 1;
/** Raws biased to interesting values around a target: ties, near-ties, boundaries, extremes. */
const rawArb = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.integer({ min: -MAX_SAFE, max: MAX_SAFE }),
  fc.integer({ min: -60, max: 52 }).chain((b) => fc.integer({ min: -2, max: 2 }).map((d) => (b < 0 ? -(2 ** -b) : 2 ** b) + d)),
  fc.constantFrom(0, 1, -1, MAX_SAFE, -MAX_SAFE),
).filter((r) => Math.abs(r) <= MAX_SAFE);

describe('number fast path equals the BigInt path', () => {
  it('castRawNum / prepareCast == castRaw', () => {
    fc.assert(
      fc.property(fastTypeArb, fc.integer({ min: -3, max: 60 }), rawArb, (to, dd, raw) => {
        const fromFrac = fracBits(to) + dd; // shifts around 0 produce ties and widening casts
        const from = fixedType(54, 54 - fromFrac);
        const want = Number(castRaw(BigInt(raw), from, to));
        expect(castRawNum(raw, fromFrac, to)).toBe(want);
        expect(prepareCast(fromFrac, to)(raw)).toBe(want);
        expect(Object.is(castRawNum(raw, fromFrac, to), -0)).toBe(false);
      }),
      { numRuns: 30000 },
    );
  });

  it('castRawNum / prepareCast == castRaw for far shifts', () => {
    fc.assert(
      fc.property(fastTypeArb, fc.integer({ min: -200, max: 250 }), rawArb, (to, fromFrac, raw) => {
        const want = Number(castRaw(BigInt(raw), fixedType(54, 54 - fromFrac), to));
        expect(castRawNum(raw, fromFrac, to)).toBe(want);
        expect(prepareCast(fromFrac, to)(raw)).toBe(want);
      }),
      { numRuns: 20000 },
    );
  });

  const F64 = new Float64Array(1);
  const I64 = new BigInt64Array(F64.buffer);
  const nextAfter = (x: number, dir: 1 | -1): number => {
    if (x === 0) return dir * 2 ** -1074;
    F64[0] = x;
    I64[0] = I64[0]! + BigInt((x > 0 ? 1 : -1) * dir);
    return F64[0];
  };
  /** Doubles on, between and +-1 ulp around the target grid, plus anything fc.double yields. */
  const doubleFor = (t: FixedType) =>
    fc.oneof(
      fc.double(),
      fc.tuple(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), fc.constantFrom(0, 0.25, 0.5, 0.75), fc.constantFrom(0, 1, -1), fc.integer({ min: -2, max: 2 })).map(
        ([k, f, ulp, sh]) => {
          let x = (k + f) * 2 ** -(fracBits(t) + sh);
          if (ulp !== 0 && Number.isFinite(x)) x = nextAfter(x, ulp as 1 | -1);
          return x;
        },
      ),
      fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 2 ** -1074, -(2 ** -1074), Number.MAX_VALUE, -Number.MAX_VALUE, 2 ** -1022),
    );

  it('quantizeDoubleNum / prepareQuantize == quantizeDouble', () => {
    fc.assert(
      fc.property(fastTypeArb.chain((t) => fc.tuple(fc.constant(t), doubleFor(t))), ([t, x]) => {
        const want = Number(quantizeDouble(x, t));
        expect(quantizeDoubleNum(x, t)).toBe(want);
        expect(prepareQuantize(t)(x)).toBe(want);
        expect(Object.is(quantizeDoubleNum(x, t), -0)).toBe(false);
      }),
      { numRuns: 30000 },
    );
  });

  it('toDouble equals the exact value for narrow types', () => {
    fc.assert(
      fc.property(fastTypeArb, rawArb, (t, raw) => {
        const r = BigInt(raw);
        expect(toDouble(r, t)).toBe(raw * 2 ** -fracBits(t));
      }),
      { numRuns: 5000 },
    );
  });

  it('rejects targets too wide for the number path', () => {
    expect(() => prepareCast(10, fixedType(53, 10))).toThrow(/width <= 52/);
    expect(() => prepareQuantize(fixedType(64, 10))).toThrow(/width <= 52/);
  });
});
