/**
 * bipolar-threshold: the sign of a batch norm, BipolarQuant(Affine(x, s, t)), becomes the integer
 * comparison it is when x is exact on a known grid 2^G — x the output of a Dense/Conv whose weights
 * carry their quantizer's type (Value.quantized) and whose input is a power-of-two Quant or
 * BipolarQuant output (through data movement), bias absent or on the grid. Per channel:
 * s > 0: s·x + t ≥ 0 ⟺ x ≥ θ with θ = −t/s rounded up to the grid, so Affine(x, 1, −θ);
 * s < 0: x ≤ θ (rounded down), Affine(x, −1, θ); s = 0: the sign of t, Affine(x, 0, 0 or −2^G).
 * The new scale and shift carry exact quantizer-style types, so fixed point decides every sign as
 * float does (a binarized net with batch norms simulates bit-exactly instead of flipping signs
 * wherever a rounded batch-norm output crosses 0) — what FINN calls absorbing the batch norm
 * into a threshold. Preconditions: batchnorm-to-affine and fuse-affine have run; the Affine's
 * only reader is the BipolarQuant and it is not a graph output. Invariant: BipolarQuant's
 * outputs are unchanged for every x on the grid (float32 ties at the threshold aside).
 */
import { fixedType, type FixedType } from '../ir/fixed.js';
import type { Node } from '../ir/graph.js';
import { hasTrait } from '../ir/ops.js';
import { log2Exact } from '../ir/quantizer-types.js';
import { applyRules, freshValueName, type Pass, type Rule, type RuleContext } from './pass.js';


/** log2 of the grid a run-time value is on, when it comes from a one-scale power-of-two quantizer. */
function quantizerGrid(v: string, ctx: RuleContext): number | null {
  let p = ctx.producer.get(v);
  // Ops that only select values (the registry's selects trait) keep x on its grid.
  while (p && hasTrait(p.op, 'selects')) p = ctx.producer.get(p.inputs[0]!);
  if (!p || (p.op !== 'Quant' && p.op !== 'BipolarQuant')) return null;
  const s = ctx.constOf(p.inputs[1]!);
  if (!s || !s.data.every((x) => x === s.data[0])) return null;
  if (p.op === 'Quant' && !ctx.constOf(p.inputs[2]!)?.data.every((z) => z === 0)) return null;
  return log2Exact(s.data[0]!);
}

/** The fewest-bits signed type holding the integers k·2^G, |k| ≤ maxK, on grid 2^G. */
function gridType(maxK: number, G: number): FixedType {
  const w = Math.max(2, Math.ceil(Math.log2(maxK + 1)) + 1);
  return fixedType(w, w + G);
}

const threshold: Rule = (n: Node, _i, ctx) => {
  if (n.op !== 'BipolarQuant') return null;
  const aff = ctx.producer.get(n.inputs[0]!);
  if (!aff || aff.op !== 'Affine') return null;
  if ((ctx.uses.get(aff.outputs[0]!)?.length ?? 0) !== 1 || ctx.isOutput(aff.outputs[0]!)) return null;
  const s = ctx.constOf(aff.inputs[1]!);
  const t = ctx.constOf(aff.inputs[2]!);
  if (!s || !t || (s.quantized && t.quantized)) return null;
  const layer = ctx.producer.get(aff.inputs[0]!);
  if (!layer || (layer.op !== 'Dense' && layer.op !== 'Conv')) return null;
  const w = ctx.constOf(layer.inputs[1]!);
  if (!w?.quantized) return null;
  const eIn = quantizerGrid(layer.inputs[0]!, ctx);
  if (eIn === null) return null;
  const G = eIn + w.quantized.int - w.quantized.width;
  const b = layer.inputs[2] ? ctx.constOf(layer.inputs[2]) : undefined;
  if (layer.inputs[2] && (!b || !b.data.every((v) => Number.isInteger(v * 2 ** -G)))) return null;
  const C = Math.max(s.data.length, t.data.length);
  const s2 = new Float32Array(C);
  const t2 = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    const sc = s.data[s.data.length === 1 ? 0 : c]!;
    const tc = t.data[t.data.length === 1 ? 0 : c]!;
    if (sc === 0) {
      t2[c] = tc >= 0 ? 0 : -(2 ** G);
      continue;
    }
    const k = sc > 0 ? Math.ceil((-tc / sc) * 2 ** -G) : Math.floor((-tc / sc) * 2 ** -G);
    if (!Number.isFinite(k) || Math.abs(k) >= 2 ** 24) return null;
    s2[c] = Math.sign(sc);
    t2[c] = (sc > 0 ? -k : k) * 2 ** G;
  }
  const maxK = Math.max(1, ...Array.from(t2, (v) => Math.abs(v) * 2 ** -G));
  const sName = freshValueName(ctx.g, `${aff.name}_sign`);
  const tName = freshValueName(ctx.g, `${aff.name}_threshold`, new Set([sName]));
  const shape = [C];
  return {
    remove: [ctx.g.nodes.indexOf(aff)],
    add: [{ ...aff, inputs: [aff.inputs[0]!, sName, tName] } as Node],
    values: [
      { name: sName, shape, elem: 'float32', data: s2, quantized: fixedType(2, 2) },
      { name: tName, shape, elem: 'float32', data: t2, quantized: gridType(maxK, G) },
    ],
  };
};

export const bipolarThreshold: Pass = { name: 'bipolar-threshold', run: (g) => applyRules(g, [threshold]) };
