/**
 * The simulator and the emitter derive the same constants: clip bounds and clipped results,
 * ThresholdedRelu's threshold, LeakyRelu's α raw, Pad's pad raw. Without a C++ compiler this
 * was only visible through csim; here, for random attributes and random input/result types,
 * the constants are read from the emitted layer (its config struct members and constant
 * arrays, i.e. what the C++ kernel in nn_unary.h / gather reads), the kernel's few lines are
 * replayed with them using the ap_fixed cast semantics, and the result must equal the
 * simulator's output raw for EVERY raw of the input type (exhaustive: inputs are at most 8 bits).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, planProject } from '../../src/backend-hls/index.js';
import { defaultRuns } from '../../src/cli/compile.js';
import { fracBits, parseType, renderType, type FixedType } from '../../src/ir/fixed.js';
import type { Graph, Node } from '../../src/ir/graph.js';
import { parseConfig } from '../../src/ir/precision-config.js';
import { rawRange } from '../../src/ir/precision.js';
import { prepareFixed } from '../../src/passes/pipeline.js';
import { castRaw, mulType, quantizeDouble } from '../../src/ir/semantics/apfixed.js';
import { FixedProgram } from '../../src/sim/fixed/executor.js';
import { dyn, graph, node } from '../passes/ir.js';

// ---- reading the emitted layer (the one place that knows how constants are spelled) ----

type EmittedLayer = ReturnType<typeof planProject>['layers'][number];

/** A config struct member of the layer (`static const long long lo = -12LL;`). */
function member(l: EmittedLayer, name: string): bigint | boolean {
  const m = new RegExp(`static const (?:long long|bool|unsigned|int) ${name} = (true|false|-?\\d+)(?:LL)?;`).exec(l.cfgText);
  if (!m) throw new Error(`layer ${l.id}: no member '${name}' in\n${l.cfgText}`);
  return m[1] === 'true' ? true : m[1] === 'false' ? false : BigInt(m[1]!);
}

/** Exact raw of a decimal C++ literal of a type with F fraction bits. */
function literalRaw(s: string, F: number): bigint {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:LL)?$/.exec(s.trim());
  if (!m) throw new Error(`not an exact decimal literal: ${s}`);
  const d = m[3]?.length ?? 0;
  const n = BigInt(m[2]! + (m[3] ?? '')) * (m[1] ? -1n : 1n);
  const num = F >= 0 ? n * 2n ** BigInt(F) : n;
  const den = 10n ** BigInt(d) * (F < 0 ? 2n ** BigInt(-F) : 1n);
  if (num % den !== 0n) throw new Error(`literal ${s} is not on a grid of ${F} fraction bits`);
  return num / den;
}

/**
 * Raws and type of the layer's constant array whose id ends with `suffix`. Arrays stored as raw
 * bits (integer ROM words re-typed by the kernel, `storage.encoding === 'raw-bits'`) and arrays
 * of exact decimal literals of an ap_fixed element type are both read.
 */
function constArray(l: EmittedLayer, suffix: string): { raws: bigint[]; type: FixedType } {
  const c = l.consts.find((k) => k.id.endsWith(suffix)) as (EmittedLayer['consts'][number] & { storage?: { encoding: string; value?: FixedType } }) | undefined;
  if (!c) throw new Error(`layer ${l.id}: no constant array *${suffix} (has ${l.consts.map((k) => k.id).join(', ')})`);
  const ints = () => c.items.map((s) => BigInt(s.replace(/LL$/, '')));
  if (c.storage?.encoding === 'raw-bits') return { raws: ints(), type: c.storage.value! };
  if (c.storage?.encoding === 'index' || c.ctype === 'int') return { raws: ints(), type: parseType('ap_int<32>') };
  const type = parseType(c.ctype);
  return { raws: c.items.map((s) => literalRaw(s, fracBits(type))), type };
}

// ---- the random single-node cases ----

const typeArb = (maxW: number) =>
  fc
    .record({
      w: fc.integer({ min: 2, max: maxW }),
      i: fc.integer({ min: -2, max: 6 }),
      u: fc.boolean(),
      q: fc.constantFrom('AP_TRN', 'AP_RND', 'AP_RND_CONV', 'AP_RND_ZERO'),
      o: fc.constantFrom('AP_WRAP', 'AP_SAT', 'AP_SAT_SYM'),
    })
    .map(({ w, i, u, q, o }) => parseType(`${u ? 'ap_ufixed' : 'ap_fixed'}<${w},${Math.min(i, w)},${q},${o}>`));

/** Reals that are sometimes exactly on a grid and sometimes between grid points. */
const realArb = fc.oneof(
  fc.integer({ min: -64, max: 64 }).map((k) => k / 8),
  fc.integer({ min: -1_200_000, max: 1_200_000 }).map((k) => k / 100_000),
  fc.double({ min: -12, max: 12, noNaN: true }),
);

type Op = { op: 'Clip'; min: number; max: number } | { op: 'ThresholdedRelu'; alpha: number } | { op: 'LeakyRelu'; alpha: number } | { op: 'Pad'; value: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc
    .tuple(fc.oneof(realArb, fc.constant(-Infinity)), fc.oneof(realArb, fc.constant(Infinity)))
    .map(([a, b]) => ({ op: 'Clip' as const, min: Math.min(a, b), max: Math.max(a, b) })),
  realArb.map((alpha) => ({ op: 'ThresholdedRelu' as const, alpha })),
  realArb.map((alpha) => ({ op: 'LeakyRelu' as const, alpha })),
  realArb.map((value) => ({ op: 'Pad' as const, value })),
);

function singleNode(o: Op, n: number): Graph {
  const out = o.op === 'Pad' ? n + 2 : n;
  let nd: Node;
  if (o.op === 'Clip') nd = node('n', 'Clip', ['x'], ['y'], { min: o.min, max: o.max });
  else if (o.op === 'Pad') nd = node('n', 'Pad', ['x'], ['y'], { mode: 'constant', pads: [1, 1], value: o.value });
  else if (o.op === 'LeakyRelu') nd = node('n', 'LeakyRelu', ['x'], ['y'], { alpha: o.alpha });
  else nd = node('n', 'ThresholdedRelu', ['x'], ['y'], { alpha: o.alpha });
  return { ...graph([dyn('x', [n]), dyn('y', [out])], [nd], ['x'], ['y']), batched: false };
}

/** What the C++ kernel computes for input raw r, given the emitted constants. */
function replay(o: Op, l: EmittedLayer, xT: FixedType, yT: FixedType): (r: bigint) => bigint {
  const pass = (r: bigint) => castRaw(r, xT, yT); // `y = x`
  switch (o.op) {
    case 'Clip': {
      const lo = member(l, 'lo') as bigint;
      const hi = member(l, 'hi') as bigint;
      const [hasLo, hasHi] = [member(l, 'has_lo'), member(l, 'has_hi')];
      const b = constArray(l, '_bounds');
      expect(b.type).toEqual(yT);
      return (r) => (hasLo && r < lo ? b.raws[0]! : hasHi && r > hi ? b.raws[1]! : pass(r));
    }
    case 'ThresholdedRelu': {
      const thr = member(l, 'thr') as bigint;
      return (r) => (r > thr ? pass(r) : 0n);
    }
    case 'LeakyRelu': {
      const a = constArray(l, '_alpha');
      const pT = mulType(xT, a.type);
      return (r) => (r >= 0n ? pass(r) : castRaw(r * a.raws[0]!, pT, yT));
    }
    case 'Pad': {
      const map = constArray(l, '_map').raws;
      const pad = constArray(l, '_pad');
      expect(pad.type).toEqual(yT);
      expect(map.map(Number)).toEqual([-1, ...Array.from({ length: map.length - 2 }, (_, i) => i), -1]);
      return pass; // interior elements; the padded ones are checked against pad.raws[0] below
    }
  }
}

describe('simulator and emitter derive the same constants', () => {
  it('clip bounds, thresholds, α and pad raws: replayed kernel = simulator on every input raw', () => {
    const seen = { Clip: 0, ThresholdedRelu: 0, LeakyRelu: 0, Pad: 0 };
    fc.assert(
      fc.property(opArb, typeArb(8), typeArb(10), (o, xT, yT) => {
        const [rmin, rmax] = rawRange(xT);
        const n = rmax - rmin + 1;
        const g = singleNode(o, n);
        const cfg = parseConfig({ inputs: { m_x: renderType(xT) }, layers: { n: { result: renderType(yT) } } }, 'c');
        const q = prepareFixed(g, cfg).graph;
        expect(q.values.get('x')!.fixed).toEqual(xT);
        expect(q.values.get('y')!.fixed).toEqual(yT);
        const layer = planProject(q, { ...DEFAULTS, layers: {}, runs: defaultRuns(q, 1) }).layers[0]!;
        const f = replay(o, layer, xT, yT);
        // Every raw of x's type, as exact floats.
        const xs = Float32Array.from({ length: n }, (_, i) => (rmin + i) * 2 ** -fracBits(xT));
        const y = new FixedProgram(q).run([{ shape: [n], data: xs }])[0]!;
        if (o.op === 'Pad') {
          const pad = constArray(layer, '_pad').raws[0]!;
          expect(BigInt(y.raw[0]!), 'pad raw').toBe(pad);
          expect(BigInt(y.raw[n + 1]!), 'pad raw').toBe(pad);
        }
        const off = o.op === 'Pad' ? 1 : 0;
        for (let i = 0; i < n; i++) {
          // The raw x holds after its entry cast (AP_SAT_SYM never holds the most negative raw).
          const r = quantizeDouble(xs[i]!, xT);
          expect(BigInt(y.raw[i + off]!), `${o.op} ${JSON.stringify(o)} x raw ${r}`).toBe(f(r));
        }
        seen[o.op]++;
      }),
      { numRuns: 200, seed: 1618 },
    );
    for (const [op, k] of Object.entries(seen)) expect(k, op).toBeGreaterThan(25);
  });
});
