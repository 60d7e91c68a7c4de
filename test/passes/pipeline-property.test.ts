/**
 * Whole-pipeline properties over random small graphs (random-graphs.ts): Dense/Conv/BatchNorm/
 * Div/activation/pool/residual/flatten chains with random shapes, weights and precision.
 *  1. Canonicalization preserves float semantics (float executor before vs after, within
 *     float32 rounding), and it does fire on these graphs (fusions happen in most of them).
 *  2. After quantization, no derived accumulator can overflow: for every weighted sum and
 *     average pool, the accumulator's grid holds every product exactly and its range holds
 *     the worst-case sum for ANY input of the input type (computed here, independently of the
 *     quantize pass), and on simulator runs with inputs at the type extremes the actual sums
 *     (from the simulator's own values) stay inside it and no accumulator overflow is counted.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixedType, fracBits, type FixedType } from '../../src/ir/fixed.js';
import { type Graph, isConst, type Node } from '../../src/ir/graph.js';
import { parseConfig } from '../../src/ir/precision-config.js';
import { canonicalize, prepareFixed } from '../../src/passes/pipeline.js';
import { FixedProgram } from '../../src/sim/fixed/executor.js';
import { quantizeDouble } from '../../src/ir/semantics/apfixed.js';
import { expectSameFloat } from './ir.js';
import { buildGraph, configArb, recipeArb } from './random-graphs.js';

function inputs(g: Graph, batch: number, seed: number, lo = -4, hi = 4): Float32Array[] {
  let s = seed >>> 0 || 1;
  const r = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296;
  };
  return g.inputs.map((io) => {
    const n = batch * g.values.get(io.value)!.shape.reduce((p, d) => p * d, 1);
    return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
  });
}

const maxAbs = (t: FixedType) => (t.signed ? 2 ** (t.width - 1) : 2 ** t.width - 1);
/** Largest raw magnitude A can hold on both sides that sums may reach (its positive max when signed). */
const capacity = (t: FixedType) => (t.signed ? 2 ** (t.width - 1) - 1 : 2 ** t.width - 1);
const raws = (g: Graph, v: string): number[] => {
  const c = g.values.get(v)!;
  return Array.from(c.data!, (x) => Number(quantizeDouble(x, c.fixed!)));
};

describe('canonicalization preserves float semantics on random graphs', () => {
  it('float outputs agree before and after, and the fusions fire', () => {
    let fired = 0;
    let runs = 0;
    fc.assert(
      fc.property(recipeArb, fc.integer({ min: 1, max: 1 << 30 }), (recipe, seed) => {
        const g = buildGraph(recipe);
        const cg = canonicalize(g);
        runs++;
        if (cg.nodes.map((n) => n.op).join() !== g.nodes.map((n) => n.op).join()) fired++;
        expect(cg.nodes.some((n) => n.op === 'BatchNorm' || n.op === 'Div')).toBe(false);
        expectSameFloat(g, cg, inputs(g, 2, seed), 2, 2e-5);
      }),
      { numRuns: 80, seed: 1616 },
    );
    // A property that never exercises a fusion would test nothing.
    expect(fired / runs).toBeGreaterThan(0.5);
  });
});

/** Checks one node's derived accumulator against the worst case over its input type. */
function checkDerivedAccum(g: Graph, n: Node): void {
  const A = n.prec!.accum!;
  const xT = g.values.get(n.inputs[0]!)!.fixed!;
  const fa = fracBits(A);
  const where = `${n.name} (${n.op}) accum ${JSON.stringify(A)}`;
  if (n.op === 'Dense' || n.op === 'Conv') {
    const w = g.values.get(n.inputs[1]!)!;
    const wr = raws(g, w.name);
    const fp = fracBits(xT) + fracBits(w.fixed!);
    expect(fa, `${where}: products must land on A's grid`).toBeGreaterThanOrEqual(fp);
    const M = w.shape[w.shape.length - 1]!;
    const br = n.inputs[2] ? raws(g, n.inputs[2]) : undefined;
    const fb = n.inputs[2] ? fracBits(g.values.get(n.inputs[2])!.fixed!) : fa;
    expect(fa, `${where}: the bias must land on A's grid`).toBeGreaterThanOrEqual(fb);
    for (let m = 0; m < M; m++) {
      let s = 0;
      for (let i = m; i < wr.length; i += M) s += Math.abs(wr[i]!);
      const worst = s * maxAbs(xT) * 2 ** (fa - fp) + (br ? Math.abs(br[m]!) * 2 ** (fa - fb) : 0);
      expect(worst, `${where}: channel ${m}`).toBeLessThanOrEqual(capacity(A));
    }
  } else if (n.op === 'AvgPool' || n.op === 'GlobalAvgPool') {
    const xs = g.values.get(n.inputs[0]!)!.shape;
    const K = (n.op === 'AvgPool' ? n.attrs.kernel : xs.slice(-1 - n.attrs.spatialRank, -1)).reduce((p, d) => p * d, 1);
    expect(fa, `${where}: the sum stays on x's grid`).toBeGreaterThanOrEqual(fracBits(xT));
    const worst = K * maxAbs(xT) * 2 ** (fa - fracBits(xT));
    expect(worst, where).toBeLessThanOrEqual(A.signed ? 2 ** (A.width - 1) : capacity(A));
  }
}

describe('quantization derives accumulators that cannot overflow', () => {
  it('worst case over the input type fits, and simulated sums at the extremes stay inside', () => {
    let checked = 0;
    let saturatedInputs = 0;
    fc.assert(
      fc.property(recipeArb, configArb, fc.integer({ min: 1, max: 1 << 30 }), (recipe, rawCfg, seed) => {
        const g = buildGraph(recipe);
        const q = prepareFixed(g, parseConfig(rawCfg, 'random')).graph;
        const accNodes = q.nodes.filter((n) => n.prec?.accum);
        for (const n of accNodes) {
          checkDerivedAccum(q, n);
          checked++;
        }
        // Inputs far beyond the input type's range: the entry cast saturates or wraps them to extremes.
        const xT = q.values.get('x')!.fixed!;
        const big = 2 ** (xT.int + 1);
        const prog = new FixedProgram(q);
        const sums = new Map<string, Float64Array>();
        prog.run([{ shape: [3, ...q.values.get('x')!.shape], data: inputs(q, 3, seed, -big, big)[0]! }], {
          onValue: (name, t) => sums.set(name, t.raw),
        });
        saturatedInputs += prog.stats.get('x')!.result > 0 ? 1 : 0;
        for (const [name, s] of prog.stats) expect(s.accum, `${name}: accumulator overflows`).toBe(0);
        // Dense: the sum of |terms| of each actual sum (an upper bound on every partial sum in any order).
        for (const n of accNodes) {
          if (n.op !== 'Dense') continue;
          const x = n.inputs[0] === 'x' ? null : sums.get(n.inputs[0]!);
          if (!x) continue;
          const A = n.prec!.accum!;
          const xt = q.values.get(n.inputs[0]!)!.fixed!;
          const w = q.values.get(n.inputs[1]!)!;
          const wr = raws(q, w.name);
          const [K, M] = w.shape as [number, number];
          const sh = 2 ** (fracBits(A) - fracBits(xt) - fracBits(w.fixed!));
          for (let r = 0; r < x.length / K; r++) {
            for (let m = 0; m < M; m++) {
              let s = 0;
              for (let k = 0; k < K; k++) s += Math.abs(x[r * K + k]! * wr[k * M + m]!);
              expect(s * sh, `${n.name}: row ${r} channel ${m}`).toBeLessThanOrEqual(capacity(A));
            }
          }
        }
      }),
      { numRuns: 80, seed: 1617 },
    );
    expect(checked).toBeGreaterThan(25);
    expect(saturatedInputs).toBeGreaterThan(30);
  });

  it('a configured accumulator is not second-guessed (the property is about derived ones)', () => {
    const g = buildGraph({ shape: [4], steps: [{ k: 'dense', m: 2, bias: 'input', seed: 3 }] });
    const q = prepareFixed(g, parseConfig({ op_types: { Dense: { accum: 'ap_fixed<8,2>' } } }, 'c')).graph;
    expect(q.nodes[0]!.prec!.accum).toEqual(fixedType(8, 2));
    expect(isConst(q.values.get(q.nodes[0]!.inputs[1]!)!)).toBe(true);
  });
});
