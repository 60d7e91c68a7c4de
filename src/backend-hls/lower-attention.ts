/**
 * Lowerings of the attention ops to nn_attention.h: MatMul of two tensors -> nn2hls::matmul
 * (batch offsets from matmulMap, the simulator's own map) and LayerNorm -> nn2hls::layernorm
 * (its types, rsqrt table and derived integers read from the node's prec). Their products
 * multiply two run-time values, so the LayerPlan records one multiplier per product of a step
 * and the estimator reads that count (src/estimate).
 *
 * io_stream runs both natively where the shapes allow: LayerNorm reads a row of the normalized
 * axes, computes it with the array kernel's row function and writes it (holding one row);
 * MatMul streams its left operand row by row against its right operand, which is read whole
 * into a buffer first (a run-time value; LayerPlan.heldInput says which and how big) or is a
 * ROM (a constant). A left operand that is a constant or is broadcast over the batch dims (its
 * rows would be read more than once) keeps the buffered fallback.
 */
import { isConst, type Node, numel, valueOf } from '../ir/graph.js';
import { matmulMap } from '../ir/semantics/index-maps.js';
import { renderType } from '../ir/fixed.js';
import { Cfg, type ConstArray, constArray, DUMMY_ARRAY, DUMMY_T, indexArray, type Layer, type LowerContext, plainFacts, unsupported } from './layer.js';

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
  // A row of N outputs in `reuse` steps of nb outputs each (nn_attention.h).
  const nb = Math.ceil(N / reuse);
  const perStep = nb * K;
  const c = new Cfg(cfg)
    .type('a_t', A.fixed!)
    .type('b_t', B.fixed!)
    .type('out_t', Y.fixed!)
    .type('accum_t', node.prec!.accum!)
    .u('batch', batch)
    .u('m', m)
    .u('k', K)
    .u('n', N)
    .u('nb', nb)
    .u('a_n', numel(A.shape))
    .u('b_n', numel(B.shape))
    .u('reuse', reuse)
    .u('mult_limit', perStep);
  const rows = batch * m;
  // io_stream natively: a run-time left operand whose rows are each read once, in product order.
  const pa = ca === null ? ctx.packOf(node.inputs[0]!) : 0;
  const pb = cb === null ? ctx.packOf(node.inputs[1]!) : 0;
  const pout = ctx.packOf(node.outputs[0]!);
  const streamable = ctx.io === 'stream' && matmulStreams(g, node, ctx.packOf);
  // A Transpose feeding the held right operand is folded into its load (plan.ts heldRelayouts):
  // b arrives in the Transpose's input order, lane j of pack q going to bLoad[q] + j·b_stride.
  const folded = streamable && cb === null ? ctx.heldRelayout(node.inputs[1]!) : undefined;
  if (folded) dyn[dyn.length - 1] = folded.source;
  const bLoad = folded ? indexArray(ctx, consts, `${id}_b_load`, folded.base, `buffer index of lane 0 of each pack of ${id}'s right operand as it arrives (a Transpose folded into the load)`) : null;
  const stepII = streamable ? Math.max(reuse, K / pa, N / pout) : 0;
  if (streamable) c.u('pa', pa).u('pb', folded ? ctx.packOf(folded.source) : cb === null ? pb : 1).u('pout', pout).u('step_ii', stepII);
  if (folded) c.u('b_stride', folded.stride);
  return {
    node, id, cfg, cfgText: c.render(), consts, dyn, out: node.outputs[0]!,
    parallel: (ins, out) => {
      let i = 0;
      const a = ca ?? ins[i++]!;
      const b = cb ?? ins[i++]!;
      return `nn2hls::matmul<${cfg}>(${a}, ${b}, ${out}, ${aMap}, ${bMap});`;
    },
    ...(streamable
      ? {
          stream: (ins: readonly string[], out: string) =>
            bLoad
              ? `nn2hls::matmul_stream_load<${cfg}>(${ins[0]}, ${ins[1]}, ${out}, ${bMap}, ${bLoad});`
              : cb === null
              ? `nn2hls::matmul_stream<${cfg}>(${ins[0]}, ${ins[1]}, ${out}, ${bMap});`
              : `nn2hls::matmul_stream_rom<${cfg}>(${ins[0]}, ${cb}, ${out}, ${bMap});`,
        }
      : {}),
    burst: 1, unrolled: perStep, partitioned: [], strategy, reuse, looped: rows * reuse > 1,
    facts: plainFacts('nn2hls::matmul', {
      macs: rows * N * K, multipliers: perStep, tripCount: rows * reuse, stepII: 1,
      reduction: K, multBits: Math.max(A.fixed!.width, B.fixed!.width), accumBits: node.prec!.accum!.width,
      // One offset of each map per row (of `reuse` cycles); a single step reads them at constants.
      lookups: Object.fromEntries([aMap, bMap].map((m) => [m, { kind: 'index', reads: 1, ii: reuse, fixed: rows * reuse === 1 }])),
      ...(streamable
        ? {
            streamKernel: bLoad ? 'nn2hls::matmul_stream_load' : cb === null ? 'nn2hls::matmul_stream' : 'nn2hls::matmul_stream_rom',
            // One row per pipelined step (its packs in, its reuse steps, its packs out); a
            // run-time b is loaded by its own process (LayerPlan.heldInput).
            streamTripCount: rows,
            streamStepII: stepII,
            streamUnrolled: N * K,
            // A row of a and of y, plus the whole of a run-time b.
            streamBuffer: cb === null ? numel(B.shape) : Math.max(K, N),
            streamArrays: [{ what: 'input', elements: K }, { what: 'result', elements: N }],
            ...(cb === null ? { streamHeld: { input: 1, elements: numel(B.shape) } } : {}),
            streamBurst: N / pout,
            // The stream kernels read b's offset once per row; a's map is not passed to them
            // (the rows arrive in order), so it is never read: no storage.
            streamLookups: {
              [bMap]: { kind: 'index', reads: 1, ii: stepII }, [aMap]: { kind: 'index', reads: 1, ii: stepII, fixed: true },
              // The load reads one slot per pack it takes, a pack per cycle.
              ...(bLoad ? { [bLoad]: { kind: 'index', reads: 1, ii: 1 } } : {}),
            },
          }
        : {}),
    }),
  };
}

/**
 * io_stream runs MatMul natively: a run-time left operand whose rows are each read once, in
 * product order, packs dividing its rows and the output's, and a ROM or a run-time right operand
 * in whole packs.
 */
export function matmulStreams(g: LowerContext['g'], node: Node<'MatMul'>, packOf: (v: string) => number): boolean {
  const A = valueOf(g, node.inputs[0]!);
  const B = valueOf(g, node.inputs[1]!);
  const { m, k: K, n: N, aOff } = matmulMap(A.shape, B.shape);
  if (isConst(A)) return false;
  const aInOrder = Array.from(aOff).every((o, bi) => o === bi * m * K);
  return aInOrder && K % packOf(node.inputs[0]!) === 0 && N % packOf(node.outputs[0]!) === 0 && (isConst(B) || numel(B.shape) % packOf(node.inputs[1]!) === 0);
}

export function lowerLayerNorm(ctx: LowerContext, node: Node<'LayerNorm'>): Layer {
  const { g } = ctx;
  const { id, cfg, strategy, reuse } = common(ctx, node);
  const X = valueOf(g, node.inputs[0]!);
  const Y = valueOf(g, node.outputs[0]!);
  const p = node.prec;
  const spec = p?.tables?.['rsqrt'];
  const t = p?.types;
  const ints = p?.ints;
  if (!spec || !t || !ints) unsupported(node, 'no 1/sqrt table or derived constants (run the quantize pass)');
  const N = numel(X.shape.slice(X.shape.length + node.attrs.axis));
  const rows = numel(X.shape) / N;
  const consts: ConstArray[] = [];
  const gId = constArray(ctx, consts, node.inputs[1]!, `${id}_gamma`, `scale of ${id}`);
  const hasBeta = !!node.inputs[2];
  const bId = hasBeta ? constArray(ctx, consts, node.inputs[2]!, `${id}_beta`, `bias of ${id}`) : DUMMY_ARRAY;
  const tId = constArray(ctx, consts, spec.value, `${id}_rsqrt_table`, `1/sqrt table of ${id}`);
  const rstdT = t['rstd']!;
  const c = new Cfg(cfg)
    .type('in_t', X.fixed!)
    .type('out_t', Y.fixed!)
    .type('sum_t', t['sum']!)
    .type('diff_t', t['diff']!)
    .type('norm_t', t['norm']!)
    .type('rstd_t', rstdT)
    .type('tab_t', valueOf(g, spec.value).fixed!)
    .type('gamma_t', valueOf(g, node.inputs[1]!).fixed!)
    .type('beta_t', hasBeta ? renderType(valueOf(g, node.inputs[2]!).fixed!) : DUMMY_T)
    .u('rows', rows)
    .u('n', N)
    .b('has_beta', hasBeta)
    .i('v_bits', String(ints['vbits']!))
    .i('d_bits', String(t['diff']!.width))
    .i('r_bits', String(rstdT.width))
    .ll('eps_raw', ints['eps']!)
    .i('t_bits', String(ints['mant']!))
    .u('tab_size', spec.size)
    .i('h_max', String(ints['hmax']!))
    .u('reuse', reuse);
  // Per row: N squares of d, N products d·rstd, N products z·gamma — all of run-time values —
  // and the N products n·x, a shift when n is a power of two, else a `mul` the tool may share
  // like the others. A row is one pipelined step of II reuse; the ALLOCATION limit shares the
  // step's products over those cycles on ceil(products / reuse) multipliers (a fold: LayerNorm's
  // reuse factors, src/passes/tile.ts foldShape, divide N).
  const perRow = 3 * N + ((N & (N - 1)) === 0 ? 0 : N);
  const multLimit = Math.ceil(perRow / reuse);
  c.u('mult_limit', multLimit);
  // io_stream: a row is N / pin packs in and N / pout out (the packs divide the row: they are the last dim).
  const pin = ctx.packOf(node.inputs[0]!);
  const pout = ctx.packOf(node.outputs[0]!);
  const streamable = ctx.io === 'stream' && N % pin === 0 && N % pout === 0;
  if (streamable) c.u('pin', pin).u('pout', pout);
  return {
    node, id, cfg, cfgText: c.render(), consts, dyn: [node.inputs[0]!], out: node.outputs[0]!,
    parallel: (ins, out) => `nn2hls::layernorm<${cfg}>(${ins[0]}, ${out}, ${gId}, ${bId}, ${tId});`,
    ...(streamable ? { stream: (ins: readonly string[], out: string) => `nn2hls::layernorm_stream<${cfg}>(${ins[0]}, ${out}, ${gId}, ${bId}, ${tId});` } : {}),
    burst: 1, unrolled: perRow, partitioned: [], strategy, reuse, looped: rows > 1,
    facts: plainFacts('nn2hls::layernorm', {
      // Unshared (reuse 1) the n·x products are constant ones the tool builds in LUTs; shared,
      // every product of the step runs on the mult_limit multipliers.
      macs: rows * 3 * N, multipliers: reuse === 1 ? 3 * N : multLimit, tripCount: rows, stepII: reuse,
      reduction: N, tableLookups: 1, multBits: Math.max(t['diff']!.width, rstdT.width), accumBits: ints['vbits']!,
      // One 1/sqrt entry per row.
      lookups: { [tId]: { kind: 'table', reads: 1, ii: reuse } },
      // One row per pipelined step, which also reads N / pin packs and writes N / pout.
      ...(streamable ? { streamKernel: 'nn2hls::layernorm_stream', streamStepII: Math.max(reuse, N / pin, N / pout), streamBuffer: N, streamArrays: [{ what: 'input', elements: N }, { what: 'result', elements: N }], streamBurst: N / pout, streamLookups: { [tId]: { kind: 'table', reads: 1, ii: Math.max(reuse, N / pin, N / pout) } } } : {}),
    }),
  };
}
