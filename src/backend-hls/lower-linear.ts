/**
 * Lowerings of the weighted sums and pools: Dense -> nn2hls::dense, Conv (1-D/2-D, groups) ->
 * nn2hls::conv2d / conv2d_stream, MaxPool/AvgPool/GlobalMaxPool/GlobalAvgPool -> nn2hls::pool2d.
 * 1-D windows become 2-D ones of height 1; global pools one window over all pixels (the order
 * of an exact sum or a max does not matter). Leading dims before the spatial ones are `rows`.
 */
import type { Node } from '../ir/graph.js';
import { numel, valueOf } from '../ir/graph.js';
import type { ConvAttrs, PoolAttrs } from '../ir/ops.js';
import type { HlsMultiplier } from '../ir/precision-config.js';
import { Cfg, type ConstArray, constArray, DUMMY_ARRAY, DUMMY_T, type Layer, type LowerContext, plainFacts, unsupported, windowReads } from './layer.js';

/** The cfg's `multiplier` (nn_common.h mult_impl_t), read by the dense/conv product helper. */
const MULT_ENUM: Record<HlsMultiplier, string> = { auto: 'nn2hls::MULT_AUTO', dsp: 'nn2hls::MULT_DSP', fabric: 'nn2hls::MULT_FABRIC' };

function common(ctx: LowerContext, node: Node) {
  const id = ctx.names.fresh(node.name, 'layer');
  const binding = ctx.multiplierOf(node);
  return { id, cfg: ctx.names.fresh(`cfg_${id}`), strategy: ctx.strategyOf(node), reuse: ctx.reuseOf(node), binding, multiplier: MULT_ENUM[binding] };
}

export function lowerDense(ctx: LowerContext, node: Node<'Dense'>): Layer {
  const { g } = ctx;
  const { id, cfg, strategy, reuse, binding, multiplier } = common(ctx, node);
  const x = valueOf(g, node.inputs[0]!);
  const w = valueOf(g, node.inputs[1]!);
  const y = valueOf(g, node.outputs[0]!);
  const [K, M] = [w.shape[0]!, w.shape[1]!];
  const rows = numel(x.shape) / K;
  const consts: ConstArray[] = [];
  const wId = constArray(ctx, consts, node.inputs[1]!, `w_${id}`, `weights [${K}][${M}] of ${id}`);
  const hasBias = !!node.inputs[2];
  const bId = hasBias ? constArray(ctx, consts, node.inputs[2]!, `b_${id}`, `bias [${M}] of ${id}`) : DUMMY_ARRAY;
  const mults = K * M;
  // Resource schedule (nn_dense.h): `reuse` steps, each taking kb inputs for mb outputs; the
  // reuse factor was validated (src/passes/tile.ts), so kb·mb·reuse = K·M exactly.
  const resource = strategy === 'resource';
  const kb = resource ? (reuse <= K ? K / reuse : 1) : K;
  const mr = resource && reuse > K ? reuse / K : 1;
  const mb = M / mr;
  if (resource && (!Number.isInteger(kb) || !Number.isInteger(mb))) throw new Error(`internal: invalid reuse ${reuse} for ${K}x${M}`);
  const block = resource ? kb * mb : Math.ceil(mults / reuse);
  const inPack = ctx.packOf(node.inputs[0]!);
  // io stream (dense_stream): the rows (pixels) arrive one after another and each is computed by
  // one instance of the row schedule, so multipliers, the ALLOCATION limit and the unrolled
  // products are a row's; io parallel unrolls every row into one pipelined step.
  const perPixel = ctx.io === 'stream';
  const unrolledRows = perPixel ? 1 : rows;
  const multLimit = Math.ceil((unrolledRows * mults) / reuse);
  const c = new Cfg(cfg)
    .type('in_t', x.fixed!)
    .type('out_t', y.fixed!)
    .type('weight_t', w.fixed!)
    .type('bias_t', hasBias ? valueOf(g, node.inputs[2]!).fixed! : DUMMY_T)
    .type('accum_t', node.prec!.accum!)
    .u('rows', rows)
    .u('n_in', K)
    .u('n_out', M)
    .b('has_bias', hasBias)
    .i('strategy', resource ? 'nn2hls::STRATEGY_RESOURCE' : 'nn2hls::STRATEGY_LATENCY')
    .i('multiplier', multiplier)
    .u('reuse', reuse)
    .u('block', block)
    .u('kb', kb)
    .u('mb', mb)
    .u('mr', mr)
    .u('in_pack', inPack)
    .u('mult_limit', multLimit);
  // io stream: a row's packs, then its products (nn_dense.h dense_stream_latency/_resource).
  const packsPerRow = K / inPack;
  const stepII = Math.max(reuse, packsPerRow);
  if (perPixel) c.u('step_ii', stepII);
  const perRow = resource ? block : mults;
  return {
    node, id, cfg, cfgText: c.render(), consts, dyn: [node.inputs[0]!], out: node.outputs[0]!,
    parallel: (ins, out) => `nn2hls::dense<${cfg}>(${ins[0]}, ${out}, ${wId}, ${bId});`,
    stream: (ins, out) => `nn2hls::dense_stream<${cfg}>(${ins[0]}, ${out}, ${wId}, ${bId});`,
    burst: 1,
    unrolled: resource ? block : rows * mults,
    partitioned: resource ? [] : [{ what: `weights of ${id}`, size: K * M }],
    strategy, reuse, looped: resource,
    facts: {
      kernel: 'nn2hls::dense', streamKernel: 'nn2hls::dense_stream',
      macs: rows * mults, multipliers: resource ? block : multLimit, multiplier: binding,
      // Latency at reuse 1: mult_limit is a multiplier per product (io stream: per row, a row per
      // iteration), each on a weight of the partitioned constant array.
      constOperands: !resource && reuse === 1,
      tripCount: resource ? rows * reuse : 1, stepII: resource ? 1 : reuse, block: resource ? block : 0,
      // The resource schedule's row loop is not pipelined: each row's step loop drains before the next row.
      ...(resource && rows > 1 ? { serialSteps: rows } : {}),
      reduction: K, tableLookups: 0, multBits: Math.max(x.fixed!.width, w.fixed!.width), accumBits: node.prec!.accum!.width,
      wordElements: { [wId]: resource ? block : K * M, [bId]: M },
      streamBuffer: K, streamUnrolled: perRow, streamArrays: [{ what: 'input', elements: K }],
      // io stream, latency: one row per iteration of a loop pipelined at II max(reuse, packs
      // per row); resource: per row a read loop (a pack per cycle) then the reuse-step loop,
      // one after the other (serialSteps above).
      streamTripCount: resource ? rows * (packsPerRow + reuse) : rows,
      streamStepII: resource ? 1 : stepII,
    },
  };
}

interface Geo2 {
  rows: number; inH: number; inW: number; c: number; outH: number; outW: number;
  kH: number; kW: number; sH: number; sW: number; dH: number; dW: number;
  pT: number; pL: number; pB: number; pR: number;
}

/** 2-D geometry of a 1-D or 2-D window op over x [..., S..., C] -> y [..., S'..., C']. */
function geometry(node: Node, x: readonly number[], y: readonly number[], a: PoolAttrs | ConvAttrs): Geo2 {
  const s = a.kernel.length;
  if (s !== 1 && s !== 2) unsupported(node, `${s}-D windows are not supported by the HLS backend yet (1-D and 2-D are)`);
  const r = x.length;
  const rows = numel(x.slice(0, r - s - 1));
  const inSp = x.slice(r - s - 1, r - 1);
  const outSp = y.slice(r - s - 1, r - 1);
  const c = x[r - 1]!;
  if (s === 1) {
    return {
      rows, inH: 1, inW: inSp[0]!, c, outH: 1, outW: outSp[0]!, kH: 1, kW: a.kernel[0]!, sH: 1, sW: a.strides[0]!,
      dH: 1, dW: a.dilations[0]!, pT: 0, pL: a.pads[0]!, pB: 0, pR: a.pads[1]!,
    };
  }
  return {
    rows, inH: inSp[0]!, inW: inSp[1]!, c, outH: outSp[0]!, outW: outSp[1]!, kH: a.kernel[0]!, kW: a.kernel[1]!,
    sH: a.strides[0]!, sW: a.strides[1]!, dH: a.dilations[0]!, dW: a.dilations[1]!,
    pT: a.pads[0]!, pL: a.pads[1]!, pB: a.pads[2]!, pR: a.pads[3]!,
  };
}

function geoMembers(c: Cfg, G: Geo2): Cfg {
  return c
    .u('rows', G.rows).u('in_h', G.inH).u('in_w', G.inW).u('out_h', G.outH).u('out_w', G.outW)
    .u('k_h', G.kH).u('k_w', G.kW).u('s_h', G.sH).u('s_w', G.sW).u('d_h', G.dH).u('d_w', G.dW)
    .u('p_top', G.pT).u('p_left', G.pL).u('p_bottom', G.pB).u('p_right', G.pR);
}

export function lowerConv(ctx: LowerContext, node: Node<'Conv'>): Layer {
  const { g } = ctx;
  const { id, cfg, strategy, reuse, binding, multiplier } = common(ctx, node);
  const x = valueOf(g, node.inputs[0]!);
  const w = valueOf(g, node.inputs[1]!);
  const y = valueOf(g, node.outputs[0]!);
  const G = geometry(node, x.shape, y.shape, node.attrs);
  const cout = y.shape[y.shape.length - 1]!;
  const group = node.attrs.group;
  const consts: ConstArray[] = [];
  const wId = constArray(ctx, consts, node.inputs[1]!, `w_${id}`, `weights [${w.shape.join('][')}] of ${id}`);
  const hasBias = !!node.inputs[2];
  const bId = hasBias ? constArray(ctx, consts, node.inputs[2]!, `b_${id}`, `bias [${cout}] of ${id}`) : DUMMY_ARRAY;
  const perPixel = G.kH * G.kW * (G.c / group) * cout;
  const lbRows = (G.kH - 1) * G.dH + 1;
  // Resource schedule (group 1 only; the tiling pass keeps grouped convolutions latency): the
  // pixel's window is a Dense of n_in = k_h*k_w*cin inputs by cout outputs (nn_dense.h).
  const nIn = G.kH * G.kW * (G.c / group);
  const resource = strategy === 'resource' && group === 1;
  const kb = resource ? (reuse <= nIn ? nIn / reuse : 1) : nIn;
  const mr = resource && reuse > nIn ? reuse / nIn : 1;
  const mb = cout / mr;
  if (resource && (!Number.isInteger(kb) || !Number.isInteger(mb))) throw new Error(`internal: invalid reuse ${reuse} for ${nIn}x${cout}`);
  const block = resource ? kb * mb : perPixel;
  const pixels = G.rows * G.outH * G.outW;
  // An input partitioned by channel only (beyond the partition limit) gives each bank k_h*k_w
  // reads per pixel; two ports per bank.
  // Likewise in io_stream when the line buffer is beyond the partition limit: one bank per channel.
  const lbr0 = Math.min(lbRows, G.inH);
  const lbElems = lbr0 * G.inW * G.c;
  const lbSplit = ctx.io === 'stream' && lbElems > ctx.partitionLimit;
  const ii = ctx.partitionOf(node.inputs[0]!) || lbSplit ? Math.max(reuse, Math.ceil((G.kH * G.kW) / 2)) : reuse;
  const c = geoMembers(
    new Cfg(cfg)
      .type('in_t', x.fixed!)
      .type('out_t', y.fixed!)
      .type('weight_t', w.fixed!)
      .type('bias_t', hasBias ? valueOf(g, node.inputs[2]!).fixed! : DUMMY_T)
      .type('accum_t', node.prec!.accum!),
    G,
  )
    .u('cin', G.c)
    .u('cout', cout)
    .u('group', group)
    .b('has_bias', hasBias)
    .i('strategy', resource ? 'nn2hls::STRATEGY_RESOURCE' : 'nn2hls::STRATEGY_LATENCY')
    .i('multiplier', multiplier)
    .u('reuse', reuse)
    .u('mult_limit', Math.ceil(perPixel / reuse))
    .u('ii', ii)
    .u('lb_rows', lbr0)
    .u('lb_banks', lbSplit ? G.c : lbElems)
    .u('n_in', nIn)
    .u('n_out', cout)
    .u('kb', kb)
    .u('mb', mb)
    .u('mr', mr)
    .u('block', block);
  const lbr = Math.min(lbRows, G.inH);
  return {
    node, id, cfg, cfgText: c.render(), consts, dyn: [node.inputs[0]!], out: node.outputs[0]!,
    parallel: (ins, out) => `nn2hls::conv2d<${cfg}>(${ins[0]}, ${out}, ${wId}, ${bId});`,
    stream: (ins, out) => `nn2hls::conv2d_stream<${cfg}>(${ins[0]}, ${out}, ${wId}, ${bId});`,
    burst: G.outW,
    unrolled: resource ? block : perPixel,
    partitioned: resource ? [] : [{ what: `weights of ${id}`, size: perPixel }],
    strategy: resource ? 'resource' : 'latency', reuse, looped: true,
    facts: {
      kernel: 'nn2hls::conv2d', streamKernel: 'nn2hls::conv2d_stream',
      macs: pixels * perPixel, multipliers: resource ? block : Math.ceil(perPixel / reuse), multiplier: binding,
      // Latency, one pixel per cycle: a multiplier per product of the window. A pixel taking more
      // cycles (reuse, or window reads over the input's or line buffer's banks) lets the tool share.
      constOperands: !resource && ii === 1,
      tripCount: resource ? pixels * reuse : pixels, stepII: resource ? 1 : ii, block: resource ? block : 0, pixelWise: true,
      reduction: nIn, tableLookups: 0, multBits: Math.max(x.fixed!.width, w.fixed!.width), accumBits: node.prec!.accum!.width,
      wordElements: { [wId]: block, [bId]: cout },
      lineBuffer: { rows: lbr, width: G.inW, channels: G.c, elements: lbr * G.inW * G.c, partitioned: !lbSplit },
      streamBurst: G.outW,
      streamReads: windowReads(G.rows, G.inH, G.inW, G.outH, G.outW, G.kH, G.sH, G.dH, G.pT),
    },
  };
}

export function lowerPool(ctx: LowerContext, node: Node<'MaxPool' | 'AvgPool' | 'GlobalMaxPool' | 'GlobalAvgPool'>): Layer {
  const { g } = ctx;
  const { id, cfg, strategy, reuse } = common(ctx, node);
  const x = valueOf(g, node.inputs[0]!);
  const y = valueOf(g, node.outputs[0]!);
  const isMax = node.op === 'MaxPool' || node.op === 'GlobalMaxPool';
  let G: Geo2;
  let includePad = false;
  if (node.op === 'GlobalMaxPool' || node.op === 'GlobalAvgPool') {
    const sr = node.attrs.spatialRank;
    const r = x.shape.length;
    const pix = numel(x.shape.slice(r - sr - 1, r - 1));
    G = {
      rows: numel(x.shape.slice(0, r - sr - 1)), inH: 1, inW: pix, c: x.shape[r - 1]!, outH: 1, outW: 1,
      kH: 1, kW: pix, sH: 1, sW: 1, dH: 1, dW: 1, pT: 0, pL: 0, pB: 0, pR: 0,
    };
  } else {
    G = geometry(node, x.shape, y.shape, node.attrs);
    includePad = node.op === 'AvgPool' && node.attrs.countIncludePad;
    // A window entirely outside the input has no value to keep (the simulator's -inf).
    for (let oh = 0; oh < G.outH; oh++) {
      for (let ow = 0; ow < G.outW; ow++) {
        let any = false;
        for (let kh = 0; kh < G.kH; kh++) {
          for (let kw = 0; kw < G.kW; kw++) {
            const ih = oh * G.sH + kh * G.dH - G.pT;
            const iw = ow * G.sW + kw * G.dW - G.pL;
            if (ih >= 0 && ih < G.inH && iw >= 0 && iw < G.inW) any = true;
          }
        }
        if (!any) unsupported(node, `output pixel (${oh}, ${ow}) has a window entirely in the padding; reduce the padding`);
      }
    }
  }
  // A window whose taps × channels exceed the unroll limit is walked one tap (all channels) per
  // pipelined step instead of one output pixel per step (nn2hls::pool_pixel_taps; same result).
  const tapsSerial = G.kH * G.kW * G.c > ctx.unrollLimit;
  const lbr = Math.min((G.kH - 1) * G.dH + 1, G.inH);
  const lbSplit = ctx.io === 'stream' && lbr * G.inW * G.c > ctx.partitionLimit;
  const poolII = ctx.partitionOf(node.inputs[0]!) || lbSplit ? Math.max(reuse, Math.ceil((G.kH * G.kW) / 2)) : reuse;
  const consts: ConstArray[] = [];
  const spec = node.prec?.tables?.['recip'];
  let recipId = DUMMY_ARRAY;
  if (!isMax) {
    if (!spec) throw new Error(`internal: ${node.name} has no reciprocal table`);
    if (spec.size !== G.kH * G.kW + 1) throw new Error(`internal: ${node.name} reciprocal table size ${spec.size}`);
    recipId = constArray(ctx, consts, spec.value, `${id}_recip_table`, `1/count table of ${id}`);
  }
  const c = geoMembers(
    new Cfg(cfg)
      .type('in_t', x.fixed!)
      .type('out_t', y.fixed!)
      .type('accum_t', isMax ? x.fixed! : node.prec!.accum!)
      .type('recip_t', isMax ? DUMMY_T : valueOf(g, spec!.value).fixed!),
    G,
  )
    .u('c', G.c)
    .b('is_max', isMax)
    .b('include_pad', includePad)
    .u('reuse', reuse)
    .u('ii', poolII)
    .u('lb_rows', lbr)
    .u('lb_banks', lbSplit ? G.c : lbr * G.inW * G.c)
    .b('taps_serial', tapsSerial);
  const global = node.op === 'GlobalMaxPool' || node.op === 'GlobalAvgPool';
  const streamKernel = global ? 'nn2hls::global_pool_stream' : 'nn2hls::pool2d_stream';
  return {
    node, id, cfg, cfgText: c.render(), consts, dyn: [node.inputs[0]!], out: node.outputs[0]!,
    parallel: (ins, out) => `nn2hls::pool2d<${cfg}>(${ins[0]}, ${out}, ${recipId});`,
    stream: (ins, out) => `${streamKernel}<${cfg}>(${ins[0]}, ${out}, ${recipId});`,
    burst: 1,
    unrolled: tapsSerial ? G.c : G.kH * G.kW * G.c,
    partitioned: [],
    strategy, reuse, looped: true,
    facts: plainFacts('nn2hls::pool2d', {
      streamKernel, streamBurst: global ? 1 : G.outW, ...(global ? { streamUnrolled: G.c } : {}),
      ...(global ? {} : { lineBuffer: { rows: lbr, width: G.inW, channels: G.c, elements: lbr * G.inW * G.c, partitioned: !lbSplit }, streamReads: windowReads(G.rows, G.inH, G.inW, G.outH, G.outW, G.kH, G.sH, G.dH, G.pT) }),
      ...(tapsSerial
        ? { tripCount: G.rows * G.outH * G.outW * G.kH * G.kW, stepII: 1, reduction: 1 }
        : { tripCount: G.rows * G.outH * G.outW, stepII: poolII, reduction: G.kH * G.kW }),
      pixelWise: true,
      // Average pooling reads 1/count per output pixel: the count depends on the pixel's
      // position only, so every channel reads the same entry (one read, shared).
      ...(isMax ? {} : { lookups: { [recipId]: { kind: 'table', reads: 1, ii: tapsSerial ? 1 : poolII } } }),
      multBits: isMax ? 0 : Math.max(node.prec!.accum!.width, valueOf(g, spec!.value).fixed!.width), accumBits: isMax ? 0 : node.prec!.accum!.width,
    }),
  };
}
