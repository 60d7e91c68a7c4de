/**
 * Lowerings of the attention ops to nn_attention.h: MatMul of two tensors -> nn2hls::matmul
 * (batch offsets from matmulMap, the simulator's own map) and LayerNorm -> nn2hls::layernorm
 * (its types, rsqrt table and derived integers read from the node's prec). Their products
 * multiply two run-time values, so the LayerPlan records one multiplier per product of a step
 * and the estimator reads that count (src/estimate).
 */
import { isConst, type Node, numel, valueOf } from '../ir/graph.js';
import { matmulMap } from '../ir/index-maps.js';
import { Cfg, type ConstArray, constArray, indexArray, type Layer, type LowerContext, plainFacts } from './layer.js';

function common(ctx: LowerContext, node: Node) {
  const id = ctx.names.fresh(node.name, 'layer');
  return { id, cfg: ctx.names.fresh(`cfg_${id}`), strategy: ctx.strategyOf(node), reuse: ctx.reuseOf(node) };
}

export function lowerMatMul(ctx: LowerContext, node: Node<'MatMul'>): Layer {
  const { g } = ctx;
  const { id, cfg, strategy, reuse } = common(ctx, node);
  const A = valueOf(g, node.inputs[0]!);
  const B = valueOf(g, node.inputs[1]!);
  const Y = valueOf(g, node.outputs[0]!);
  const { m, k: K, n: N, batch, aOff, bOff } = matmulMap(A.shape, B.shape);
  const consts: ConstArray[] = [];
  const operand = (slot: number): string | null =>
    isConst(slot === 0 ? A : B) ? constArray(ctx, consts, node.inputs[slot]!, `${id}_${slot === 0 ? 'a' : 'b'}`, `constant operand of ${id}`) : null;
  const ca = operand(0);
  const cb = operand(1);
  const dyn = [ca === null ? node.inputs[0]! : '', cb === null ? node.inputs[1]! : ''].filter((s) => s);
  const aMap = indexArray(ctx, consts, `${id}_a_off`, aOff, `offset of each product's left matrix in ${id}`);
  const bMap = indexArray(ctx, consts, `${id}_b_off`, bOff, `offset of each product's right matrix in ${id}`);
  const perRow = N * K;
  const multLimit = Math.ceil(perRow / reuse);
  const c = new Cfg(cfg)
    .type('a_t', A.fixed!)
    .type('b_t', B.fixed!)
    .type('out_t', Y.fixed!)
    .type('accum_t', node.prec!.accum!)
    .u('batch', batch)
    .u('m', m)
    .u('k', K)
    .u('n', N)
    .u('a_n', numel(A.shape))
    .u('b_n', numel(B.shape))
    .u('reuse', reuse)
    .u('mult_limit', multLimit);
  const rows = batch * m;
  return {
    node, id, cfg, cfgText: c.render(), consts, dyn, out: node.outputs[0]!,
    parallel: (ins, out) => {
      let i = 0;
      const a = ca ?? ins[i++]!;
      const b = cb ?? ins[i++]!;
      return `nn2hls::matmul<${cfg}>(${a}, ${b}, ${out}, ${aMap}, ${bMap});`;
    },
    burst: 1, unrolled: perRow, partitioned: [], strategy, reuse, looped: rows > 1,
    facts: plainFacts('nn2hls::matmul', {
      macs: rows * perRow, multipliers: multLimit, tripCount: rows, stepII: reuse,
      reduction: K, multBits: Math.max(A.fixed!.width, B.fixed!.width), accumBits: node.prec!.accum!.width,
    }),
  };
}
