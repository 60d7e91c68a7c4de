/**
 * fuse-bias-add: folds a constant per-channel Add that follows a Dense or Conv into the layer's
 * bias. Keras and TensorFlow exports write a dense layer as MatMul + Add; as one layer it is one
 * accumulation and one cast instead of two, which is both what hls4ml builds and what the
 * hardware should be. Preconditions: the layer's output feeds only the Add and is not a graph
 * output; the constant has one value per output channel (shape [M], or 1s then M). Invariant:
 * float results equal up to float32 rounding of b + c.
 */
import type { Node } from '../ir/graph.js';
import { applyRules, freshValueName, type Pass, type Rule } from './pass.js';

// Dense|Conv(x, W, b?) -> Add(·, c)   ==>   Dense|Conv(x, W, b + c)
const fold: Rule = (n, i, ctx) => {
  if (n.op !== 'Add') return null;
  for (const side of [0, 1]) {
    const src = ctx.producer.get(n.inputs[side]!);
    const c = ctx.constOf(n.inputs[1 - side]!);
    if (!src || !c || (src.op !== 'Dense' && src.op !== 'Conv')) continue;
    const mid = src.outputs[0]!;
    if ((ctx.uses.get(mid)?.length ?? 0) !== 1 || ctx.isOutput(mid)) continue;
    const w = ctx.constOf(src.inputs[1]!);
    if (!w) continue;
    const M = w.shape[w.shape.length - 1]!;
    if (c.data.length !== M || c.shape[c.shape.length - 1] !== M) continue;
    // The Add's output must have the layer's shape (the constant may not add dims).
    const outShape = ctx.g.values.get(n.outputs[0]!)!.shape;
    const midShape = ctx.g.values.get(mid)!.shape;
    if (outShape.join() !== midShape.join()) continue;
    const b = src.inputs[2] ? ctx.constOf(src.inputs[2]) : undefined;
    if (src.inputs[2] && (!b || (ctx.uses.get(b.name)?.length ?? 0) !== 1)) continue;
    const bd = new Float32Array(M);
    for (let m = 0; m < M; m++) bd[m] = (b ? b.data[m]! : 0) + c.data[m]!;
    const bName = freshValueName(ctx.g, `${src.name}_bias`);
    const fused = { ...src, inputs: [src.inputs[0]!, src.inputs[1]!, bName], outputs: n.outputs } as Node;
    return {
      remove: [ctx.g.nodes.indexOf(src), i],
      add: [fused],
      values: [{ name: bName, shape: [M], elem: 'float32', data: bd }],
    };
  }
  return null;
};

export const fuseBiasAdd: Pass = { name: 'fuse-bias-add', run: (g) => applyRules(g, [fold]) };
