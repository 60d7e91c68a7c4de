/**
 * Tests of the precision configuration (src/ir/precision-config.ts) and the C++ spelling of
 * types (renderType): the documented precedence layer.var > layer.default > op_type.var >
 * op_type.default > model.var > model.default, and that accumulators/tables never come from a
 * bare default; plain-string entries; `accum: "auto"` (derive, overriding a less specific
 * accumulator); table_size/table_range validation; errors that name the offending key;
 * unknown keys rejected; configToJson → parseConfig round trips (fast-check); and exact
 * renderType strings.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type FixedType, fixedType, O_MODES, parseType, Q_MODES, renderType } from '../../src/ir/fixed.js';
import { configToJson, parseConfig, type PrecVar, resolveTableRange, resolveTableSize, resolveType } from '../../src/ir/precision-config.js';

const T = parseType;
const r = (t: FixedType | undefined) => (t ? renderType(t) : undefined);

describe('resolveType precedence', () => {
  const full = {
    model: { default: 'ap_fixed<9,3>', weight: 'ap_fixed<10,3>' },
    op_types: { Dense: { default: 'ap_fixed<11,3>', weight: 'ap_fixed<12,3>' } },
    layers: { fc1: { default: 'ap_fixed<13,3>', weight: 'ap_fixed<14,3>' } },
  };
  // Remove levels one at a time, most specific first: each removal exposes the next.
  const steps: [string, (c: typeof full) => void, string][] = [
    ['layer.var', () => {}, 'ap_fixed<14,3>'],
    ['layer.default', (c) => delete (c.layers.fc1 as Record<string, string>)['weight'], 'ap_fixed<13,3>'],
    ['op_type.var', (c) => delete (c.layers.fc1 as Record<string, string>)['default'], 'ap_fixed<12,3>'],
    ['op_type.default', (c) => delete (c.op_types.Dense as Record<string, string>)['weight'], 'ap_fixed<11,3>'],
    ['model.var', (c) => delete (c.op_types.Dense as Record<string, string>)['default'], 'ap_fixed<10,3>'],
    ['model.default', (c) => delete (c.model as Record<string, string>)['weight'], 'ap_fixed<9,3>'],
  ];
  it('walks layer.var > layer.default > op_type.var > op_type.default > model.var > model.default', () => {
    const c = structuredClone(full);
    for (const [label, drop, want] of steps) {
      drop(c);
      expect([label, r(resolveType(parseConfig(c, 'cfg'), 'fc1', 'Dense', 'weight'))]).toEqual([label, want]);
    }
  });

  it('levels of other layers and op types do not leak in', () => {
    const cfg = parseConfig(full, 'cfg');
    expect(r(resolveType(cfg, 'fc2', 'Dense', 'weight'))).toBe('ap_fixed<12,3>');
    expect(r(resolveType(cfg, 'fc1x', 'Conv', 'weight'))).toBe('ap_fixed<10,3>');
    expect(r(resolveType(cfg, 'fc1x', 'Conv', 'bias'))).toBe('ap_fixed<9,3>');
  });

  it('accum and table types are never taken from a default, only named', () => {
    const cfg = parseConfig({ model: 'ap_fixed<9,3>', op_types: { Dense: 'ap_fixed<10,3>' }, layers: { fc1: 'ap_fixed<11,3>' } }, 'cfg');
    for (const v of ['accum', 'table', 'exp_table', 'inv_table'] as PrecVar[]) expect(resolveType(cfg, 'fc1', 'Dense', v)).toBeUndefined();
    expect(r(resolveType(cfg, 'fc1', 'Dense', 'result'))).toBe('ap_fixed<11,3>');
    const named = parseConfig({ model: { accum: 'ap_fixed<20,8>' }, op_types: { Softmax: { exp_table: 'ap_ufixed<12,1>' } } }, 'cfg');
    expect(r(resolveType(named, 'fc1', 'Dense', 'accum'))).toBe('ap_fixed<20,8>');
    expect(r(resolveType(named, 'sm', 'Softmax', 'exp_table'))).toBe('ap_ufixed<12,1>');
  });

  it('plain-string entries mean the level default; an absent model gives ap_fixed<16,6>', () => {
    const cfg = parseConfig({ layers: { fc1: 'ap_fixed<8,2>' }, op_types: { Relu: 'ap_ufixed<6,3>' } }, 'cfg');
    expect(r(cfg.model.types.default)).toBe('ap_fixed<16,6>');
    expect(r(resolveType(cfg, 'fc1', 'Dense', 'weight'))).toBe('ap_fixed<8,2>');
    expect(r(resolveType(cfg, 'r', 'Relu', 'result'))).toBe('ap_ufixed<6,3>');
    expect(r(resolveType(cfg, 'other', 'Dense', 'bias'))).toBe('ap_fixed<16,6>');
    expect(r(parseConfig({ model: { weight: 'ap_fixed<8,3>' } }, 'cfg').model.types.default)).toBe('ap_fixed<16,6>');
  });

  it('accum "auto" derives the accumulator, even over a less specific named one', () => {
    const cfg = parseConfig({ model: { accum: 'ap_fixed<24,10>' }, op_types: { Conv: { accum: 'ap_fixed<20,8>' } }, layers: { fc1: { accum: 'auto' }, c1: { accum: 'auto' } } }, 'cfg');
    expect(resolveType(cfg, 'fc1', 'Dense', 'accum')).toBeUndefined();
    expect(resolveType(cfg, 'c1', 'Conv', 'accum')).toBeUndefined();
    expect(r(resolveType(cfg, 'c2', 'Conv', 'accum'))).toBe('ap_fixed<20,8>');
    expect(r(resolveType(cfg, 'fc2', 'Dense', 'accum'))).toBe('ap_fixed<24,10>');
    const opAuto = parseConfig({ model: { accum: 'ap_fixed<24,10>' }, op_types: { Dense: { accum: 'auto' } } }, 'cfg');
    expect(resolveType(opAuto, 'fc1', 'Dense', 'accum')).toBeUndefined();
    expect(r(resolveType(opAuto, 'c1', 'Conv', 'accum'))).toBe('ap_fixed<24,10>');
    // ... and it survives a round trip through JSON
    expect(resolveType(parseConfig(JSON.parse(configToJson(cfg)), 'cfg2'), 'fc1', 'Dense', 'accum')).toBeUndefined();
  });
});

describe('table_size and table_range', () => {
  it('resolve most specific first and default to 1024 entries / no range', () => {
    const cfg = parseConfig({ model: { table_size: 256, table_range: [-4, 4] }, op_types: { Tanh: { table_size: 64 } }, layers: { t1: { table_range: [-2, 3] } } }, 'cfg');
    expect(resolveTableSize(cfg, 't1', 'Tanh')).toBe(64);
    expect(resolveTableSize(cfg, 's', 'Sigmoid')).toBe(256);
    expect(resolveTableRange(cfg, 't1', 'Tanh')).toEqual([-2, 3]);
    expect(resolveTableRange(cfg, 's', 'Sigmoid')).toEqual([-4, 4]);
    expect(resolveTableSize(parseConfig({}, 'c'), 'a', 'Sigmoid')).toBe(1024);
    expect(resolveTableRange(parseConfig({}, 'c'), 'a', 'Sigmoid')).toBeUndefined();
  });

  it('rejects bad sizes and ranges, naming the key', () => {
    for (const bad of [1, 0, 65537, 2.5, '64', null]) {
      expect(() => parseConfig({ layers: { s1: { table_size: bad } } }, 'cfg')).toThrow(/^cfg: layers\.s1\.table_size: expected an integer 2\.\.65536/);
    }
    expect(parseConfig({ model: { table_size: 65536 } }, 'c').model.tableSize).toBe(65536);
    expect(parseConfig({ model: { table_size: 2 } }, 'c').model.tableSize).toBe(2);
    for (const bad of [[1, 1], [2, 1], [0], [0, 1, 2], ['a', 1], [0, Infinity], [NaN, 1], '0,1']) {
      expect(() => parseConfig({ op_types: { Tanh: { table_range: bad } } }, 'cfg')).toThrow(/^cfg: op_types\.Tanh\.table_range: expected \[lo, hi\] with lo < hi/);
    }
  });
});

describe('errors name the key', () => {
  it('invalid type strings', () => {
    expect(() => parseConfig({ layers: { fc1: { weight: 'ap_fixed<8>' } } }, 'cfg')).toThrow(/^cfg: layers\.fc1\.weight: .*ap_fixed' takes 2 to 5 arguments/);
    expect(() => parseConfig({ layers: { fc1: 'ap_fixd<8,3>' } }, 'cfg')).toThrow(/^cfg: layers\.fc1: cannot parse fixed-point type 'ap_fixd<8,3>'/);
    expect(() => parseConfig({ op_types: { Dense: { accum: 'ap_fixed<8,3,AP_FOO>' } } }, 'cfg')).toThrow(/^cfg: op_types\.Dense\.accum: unknown quantization mode 'AP_FOO'/);
    expect(() => parseConfig({ model: { default: 'ap_fixed<0,3>' } }, 'cfg')).toThrow(/^cfg: model\.default: fixed-point width must be/);
    expect(() => parseConfig({ inputs: { x: 'ap_int<8,1>' } }, 'cfg')).toThrow(/^cfg: inputs\.x: 'ap_int' takes exactly one argument/);
    expect(() => parseConfig({ inputs: { x: 8 } }, 'cfg')).toThrow(/^cfg: inputs\.x: expected a type string/);
    expect(() => parseConfig({ layers: { fc1: { bias: 16 } } }, 'cfg')).toThrow(/^cfg: layers\.fc1\.bias: expected a type string/);
    expect(() => parseConfig({ layers: { fc1: { accum: 'AUTO' } } }, 'cfg')).toThrow(/^cfg: layers\.fc1\.accum: cannot parse/);
  });

  it('unknown keys and wrong shapes are rejected', () => {
    expect(() => parseConfig({ model: {}, layer: {} }, 'cfg')).toThrow(/^cfg: unknown top-level key 'layer'/);
    expect(() => parseConfig({ layers: { fc1: { wieght: 'ap_fixed<8,2>' } } }, 'cfg')).toThrow(/^cfg: layers\.fc1\.wieght: unknown key 'wieght'/);
    expect(() => parseConfig({ model: { tablesize: 8 } }, 'cfg')).toThrow(/^cfg: model\.tablesize: unknown key/);
    expect(() => parseConfig({ layers: [] }, 'cfg')).toThrow(/^cfg: layers: expected an object keyed by name/);
    expect(() => parseConfig({ layers: { fc1: 12 } }, 'cfg')).toThrow(/^cfg: layers\.fc1: expected a type string or an object/);
    expect(() => parseConfig([], 'cfg')).toThrow(/^cfg: the config must be a JSON object/);
    expect(() => parseConfig(null, 'cfg')).toThrow(/^cfg: the config must be a JSON object/);
  });
});

describe('configToJson round trip', () => {
  const typeArb = fc
    .record({
      kind: fc.constantFrom('fixed', 'ufixed', 'int', 'uint'),
      w: fc.integer({ min: 1, max: 40 }),
      i: fc.integer({ min: -8, max: 48 }),
      q: fc.constantFrom(...Q_MODES),
      o: fc.constantFrom(...O_MODES),
      n: fc.integer({ min: 0, max: 3 }),
    })
    .map(({ kind, w, i, q, o, n }) => {
      if (kind === 'int' || kind === 'uint') return `ap_${kind}<${w}>`;
      return renderType(fixedType(w, i, { signed: kind === 'fixed', q, o, n: Math.min(n, w) }));
    });
  const levelArb = fc.oneof(
    typeArb,
    fc.record(
      {
        default: typeArb,
        weight: typeArb,
        bias: typeArb,
        result: typeArb,
        accum: fc.oneof(typeArb, fc.constant('auto')),
        table: typeArb,
        exp_table: typeArb,
        inv_table: typeArb,
        table_size: fc.integer({ min: 2, max: 65536 }),
        table_range: fc.tuple(fc.integer({ min: -64, max: 0 }), fc.integer({ min: 1, max: 64 })).map(([a, b]) => [a / 4, b / 4]),
      },
      { requiredKeys: [] },
    ),
  );
  const cfgArb = fc.record(
    {
      model: levelArb,
      op_types: fc.dictionary(fc.constantFrom('Dense', 'Conv', 'Softmax', 'Sigmoid'), levelArb, { maxKeys: 3 }),
      layers: fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/), levelArb, { maxKeys: 4 }),
      inputs: fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9_:.]{0,6}$/), typeArb, { maxKeys: 2 }),
    },
    { requiredKeys: [] },
  );

  it('parseConfig(configToJson(c)) equals c, and the JSON is stable (fast-check)', () => {
    fc.assert(
      fc.property(cfgArb, (raw) => {
        const c = parseConfig(raw, 'cfg');
        const json = configToJson(c);
        const back = parseConfig(JSON.parse(json), 'cfg2');
        expect(back).toEqual(c);
        expect(configToJson(back)).toBe(json);
        for (const layer of ['fc1', ...Object.keys(c.layers)]) {
          for (const op of ['Dense', 'Softmax']) {
            for (const v of ['weight', 'bias', 'result', 'accum', 'table', 'exp_table', 'inv_table'] as PrecVar[]) {
              expect(r(resolveType(back, layer, op, v))).toBe(r(resolveType(c, layer, op, v)));
            }
          }
        }
      }),
      { seed: 5, numRuns: 150 },
    );
  });
});

describe('renderType', () => {
  it('spells types exactly, dropping only trailing default arguments', () => {
    const cases: [FixedType, string][] = [
      [fixedType(16, 6), 'ap_fixed<16,6>'],
      [fixedType(16, 6, { q: 'AP_RND_CONV', o: 'AP_SAT' }), 'ap_fixed<16,6,AP_RND_CONV,AP_SAT>'],
      [fixedType(16, 6, { q: 'AP_RND' }), 'ap_fixed<16,6,AP_RND>'],
      [fixedType(16, 6, { o: 'AP_SAT' }), 'ap_fixed<16,6,AP_TRN,AP_SAT>'],
      [fixedType(8, 0, { signed: false }), 'ap_ufixed<8,0>'],
      [fixedType(8, 8), 'ap_int<8>'],
      [fixedType(4, 4, { signed: false }), 'ap_uint<4>'],
      [fixedType(8, 8, { o: 'AP_SAT' }), 'ap_fixed<8,8,AP_TRN,AP_SAT>'],
      [fixedType(8, 3, { n: 2 }), 'ap_fixed<8,3,AP_TRN,AP_WRAP,2>'],
      [fixedType(8, 3, { q: 'AP_RND', n: 2 }), 'ap_fixed<8,3,AP_RND,AP_WRAP,2>'],
      [fixedType(8, -2, { signed: false, q: 'AP_RND_ZERO', o: 'AP_SAT_SYM' }), 'ap_ufixed<8,-2,AP_RND_ZERO,AP_SAT_SYM>'],
      [fixedType(4, 10), 'ap_fixed<4,10>'],
    ];
    for (const [t, s] of cases) {
      expect(renderType(t)).toBe(s);
      expect(T(s)).toEqual(t);
    }
  });
});
