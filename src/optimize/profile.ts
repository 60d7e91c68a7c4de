/**
 * Value profile of a design, as hls4ml's profiling plot shows it: per layer, the spread of the
 * magnitudes |x| of its float weights (every constant input with a fixed-point type: weight, bias,
 * constant operand) and of its float output activations on a set of samples, as log2 quantiles
 * (min, quartiles, max over the non-zero elements), next to the representable magnitude range of
 * the type the design chose for them: from one LSB, 2^(I-W), up to 2^(I-1) (signed) or 2^I
 * (unsigned). A box sticking out on the right overflows its type; one on the left loses to rounding.
 * Float values come from the canonical graph, types from the quantized graph (same node and value names).
 */
import type { Graph } from '../ir/graph.js';
import { isConst } from '../ir/graph.js';
import { constOperandName } from '../ir/ops.js';
import { type FixedType, renderType } from '../ir/fixed.js';
import { runFloat } from '../sim/float/executor.js';
import type { RtTensor } from '../ir/semantics/tensor.js';

/** Held-out samples `optimize` profiles activations on (float only: cheap, and quartiles settle early). */
export const PROFILE_SAMPLES = 64;

export interface ValueProfile {
  readonly layer: string;
  readonly kind: 'activation' | 'weight' | 'bias' | 'const';
  /** log2 of min, first quartile, median, third quartile and max of the non-zero |values|. */
  readonly log2: readonly [number, number, number, number, number];
  /** Elements profiled (zeros included) and how many were zero. */
  readonly count: number;
  readonly zeros: number;
  readonly type: string;
  /** log2 of the smallest non-zero magnitude (one LSB) and of the largest the type holds. */
  readonly typeLo: number;
  readonly typeHi: number;
}

/** log2 of the type's LSB and of its largest magnitude (2^(I-1) signed, 2^I unsigned, up to one LSB). */
export function typeLog2Range(t: FixedType): [number, number] {
  return [t.int - t.width, t.signed ? t.int - 1 : t.int];
}

function quantiles(data: ArrayLike<number>): { q: [number, number, number, number, number]; zeros: number } | null {
  const abs: number[] = [];
  let zeros = 0;
  for (let i = 0; i < data.length; i++) {
    const a = Math.abs(data[i]!);
    if (a === 0 || !Number.isFinite(a)) zeros++;
    else abs.push(a);
  }
  if (!abs.length) return null;
  const s = Float64Array.from(abs).sort();
  const at = (p: number) => Math.log2(s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))]!);
  return { q: [at(0), at(0.25), at(0.5), at(0.75), at(1)], zeros };
}

function entry(layer: string, kind: ValueProfile['kind'], data: ArrayLike<number>, t: FixedType): ValueProfile | null {
  const r = quantiles(data);
  if (!r) return null;
  const [typeLo, typeHi] = typeLog2Range(t);
  return { layer, kind, log2: r.q.map((v) => Number(v.toFixed(4))) as unknown as ValueProfile['log2'], count: data.length, zeros: r.zeros, type: renderType(t), typeLo, typeHi };
}

/** Profiles every node of qg that has a fixed-point output or constant inputs, on `inputs` (float). */
export function profileValues(cg: Graph, qg: Graph, inputs: readonly RtTensor[]): ValueProfile[] {
  const out: ValueProfile[] = [];
  const tables = new Set(qg.nodes.flatMap((n) => Object.values(n.prec?.tables ?? {}).map((s) => s.value)));
  const acts = new Map<string, ValueProfile>();
  runFloat(cg, inputs, {
    onValue: (name, t, node) => {
      const fx = qg.values.get(name)?.fixed;
      if (!fx || node.outputs[0] !== name) return;
      const e = entry(node.name, 'activation', t.data, fx);
      if (e) acts.set(node.name, e);
    },
  });
  for (const n of qg.nodes) {
    const a = acts.get(n.name);
    if (a) out.push(a);
    n.inputs.forEach((v, i) => {
      const q = v ? qg.values.get(v) : undefined;
      if (!q || !isConst(q) || !q.fixed || tables.has(v!)) return;
      const f = cg.values.get(v!);
      const data = f && isConst(f) ? f.data : q.data;
      const e = entry(n.name, constOperandName(n.op, i), data, q.fixed);
      if (e) out.push(e);
    });
  }
  return out;
}
