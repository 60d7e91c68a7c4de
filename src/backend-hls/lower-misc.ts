/**
 * Lowerings of the element-wise, softmax and data-movement ops:
 *  - one-input element-wise ops -> nn2hls::unary (kind per op, see nn_unary.h);
 *  - Add/Sub/Mul/Max/Min -> nn2hls::binary with broadcast maps (in io_stream per pixel when
 *    both operands have the output's shape, or one is a constant read through its map);
 *  - Softmax -> nn2hls::softmax with its exp and 1/x tables (in io_stream over the last axis,
 *    nn2hls::softmax_stream: a slice at a time);
 *  - Transpose/Pad/Resize/Slice/Tile/Expand/Gather -> nn2hls::gather with an index map computed by running the float
 *    kernel on element numbers (the simulator's own method, so the orders cannot differ); in
 *    io_stream a map that repeats pixels by integer factors (nearest upsampling) streams
 *    through nn2hls::upsample_stream with a one-row buffer instead, and one that keeps the
 *    same elements of ascending packs (a Slice of the last dim) through nn2hls::slice_stream;
 *  - Reduce (sum, mean, max, min) -> nn2hls::reduce with the simulator's output-position map
 *    (in io_stream nn2hls::reduce_stream, a pack at a time into the output's accumulators);
 *  - Concat -> one nn2hls::concat_part per input.
 * Every derived constant (thresholds, clip bounds, α and ±scale raws, the pad raw) is read from
 * the node's precision record, where the quantize pass stored it for the simulator too
 * (src/ir/semantics/derived-raws.ts).
 */
import { type FixedType, fixedType, fracBits, renderType } from '../ir/fixed.js';
import { isConst, type Node, numel, valueOf } from '../ir/graph.js';
import { isTableNode } from '../ir/precision.js';
import { padRawOf } from '../ir/semantics/derived-raws.js';
import {
  bcastStruct, Cfg, type ConstArray, constArray, DUMMY_ARRAY, DUMMY_T, indexArray, type Layer, type LowerContext, ownArray,
  plainFacts, tableStruct, unsupported,
} from './layer.js';
import { movementIndexMap } from '../ir/semantics/index-maps.js';
import { reduceIndexMap } from '../ir/semantics/index-maps.js';

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function common(ctx: LowerContext, node: Node) {
  const id = ctx.names.fresh(node.name, 'layer');
  return { id, cfg: ctx.names.fresh(`cfg_${id}`), strategy: ctx.strategyOf(node), reuse: ctx.reuseOf(node) };
}

export function lowerUnary(ctx: LowerContext, node: Node): Layer {
  const { g } = ctx;
  const { id, cfg, strategy, reuse } = common(ctx, node);
  const x = valueOf(g, node.inputs[0]!);
  const y = valueOf(g, node.outputs[0]!);
  const xT = x.fixed!;
  const yT = y.fixed!;
  const n = numel(y.shape);
  const C = y.shape.length ? y.shape[y.shape.length - 1]! : 1;
  const consts: ConstArray[] = [];
  const c = new Cfg(cfg).type('in_t', xT).type('out_t', yT);
  let kind = 'U_COPY';
  let pT: FixedType | string = DUMMY_T;
  let qT: FixedType | string = DUMMY_T;
  let p = DUMMY_ARRAY;
  let q = DUMMY_ARRAY;
  const extra: ((c: Cfg) => void)[] = [];
  switch (node.op) {
    case 'Reshape':
      break;
    case 'Quant': {
      const pc = node.prec;
      if (!pc) break;
      // Per-channel powers of two (nn_unary.h QUANT_PC): shift amounts from the same exponents the simulator reads.
      kind = 'U_QUANT_PC';
      const grid = pc.types.grid;
      const s = valueOf(g, node.inputs[1]!);
      const { exps, eMin, eMax } = pc.channels;
      const D = eMax - eMin;
      pT = fixedType(Math.max(1, Math.ceil(Math.log2(D + 1))), Math.max(1, Math.ceil(Math.log2(D + 1))), { signed: false });
      p = ownArray(ctx, consts, `${id}_shift`, pT, exps.map((e) => BigInt(e - eMin)), `per-channel exponents of ${id} (e - e_min)`);
      const sT = fixedType(xT.width + D, xT.int - eMin, { signed: xT.signed });
      const wT = fixedType(grid.width + D, grid.width + D, { signed: grid.signed });
      extra.push((c) => c.nested(bcastStruct('pb', node, s.shape, x.shape)).type('s_t', sT).type('grid_t', grid).type('w_t', wT).i('d', String(D)));
      break;
    }
    case 'Relu':
      kind = 'U_RELU';
      break;
    case 'Abs':
      kind = 'U_ABS';
      break;
    case 'Neg':
      kind = 'U_NEG';
      break;
    case 'Sign':
      kind = 'U_SIGN';
      break;
    case 'Floor':
    case 'Ceil':
    case 'Round': {
      kind = node.op === 'Floor' ? 'U_FLOOR' : node.op === 'Ceil' ? 'U_CEIL' : 'U_ROUND';
      const wT = node.prec?.types?.['whole'];
      if (!wT) unsupported(node, 'no whole-number type (run the quantize pass)');
      // Spelled as ap_fixed: an ap_int target would truncate toward zero, not apply wT's mode.
      extra.push((c) => c.type('whole_t', `ap_fixed<${wT.width},${wT.int},${wT.q}>`));
      break;
    }
    case 'LeakyRelu': {
      kind = 'U_LEAKY';
      pT = node.prec!.types!['alpha']!;
      p = ownArray(ctx, consts, `${id}_alpha`, pT, [node.prec!.raws!.alpha], `negative slope of ${id}`);
      break;
    }
    case 'PRelu': {
      kind = 'U_PRELU';
      const s = valueOf(g, node.inputs[1]!);
      pT = s.fixed!;
      p = constArray(ctx, consts, node.inputs[1]!, `${id}_slope`, `slopes of ${id}`);
      extra.push((c) => c.nested(bcastStruct('pb', node, s.shape, x.shape)));
      break;
    }
    case 'ThresholdedRelu': {
      kind = 'U_THRESH';
      const raws = node.prec?.raws;
      if (!raws) unsupported(node, 'no threshold (run the quantize pass)');
      extra.push((c) => c.ll('thr', raws.thr));
      break;
    }
    case 'Clip': {
      kind = 'U_CLIP';
      const { min, max } = node.attrs;
      const raws = node.prec?.raws;
      if (!raws) unsupported(node, 'no clip bounds (run the quantize pass)');
      const { lo, hi } = raws;
      pT = yT;
      p = ownArray(ctx, consts, `${id}_bounds`, yT, [raws.lo_out, raws.hi_out], `clip results of ${id}`);
      extra.push((c) => c.b('has_lo', min !== -Infinity).ll('lo', lo).b('has_hi', max !== Infinity).ll('hi', hi));
      break;
    }
    case 'BipolarQuant': {
      kind = 'U_BIPOLAR';
      const s = valueOf(g, node.inputs[1]!);
      pT = yT;
      qT = yT;
      const raws = node.prec?.raws;
      if (!raws) unsupported(node, 'no ±scale raws (run the quantize pass)');
      p = ownArray(ctx, consts, `${id}_pos`, yT, [...raws.pos], `+scale of ${id}`);
      q = ownArray(ctx, consts, `${id}_neg`, yT, [...raws.neg], `-scale of ${id}`);
      extra.push((c) => c.nested(bcastStruct('pb', node, s.shape, x.shape)));
      break;
    }
    case 'QuantizeLinear':
    case 'DequantizeLinear': {
      kind = 'U_RELABEL';
      // QuantizeLinear reads x's raw on the grid the quantize pass recorded; Dequantize on y's.
      const rel = node.op === 'QuantizeLinear' ? node.prec?.types?.['scaled'] : yT;
      if (!rel) unsupported(node, 'no scaled type (run the quantize pass)');
      extra.push((c) => c.type('rel_t', rel));
      break;
    }
    case 'Gelu': {
      kind = 'U_XTABLE';
      const spec = node.prec?.tables?.['cdf'];
      if (!spec) unsupported(node, 'no normal-CDF table (run the quantize pass)');
      pT = valueOf(g, spec.value).fixed!;
      p = constArray(ctx, consts, spec.value, `${id}_table`, `normal CDF table of ${id}`);
      extra.push((c) => c.nested(tableStruct('tab', spec)));
      break;
    }
    case 'Affine': {
      kind = 'U_AFFINE';
      pT = valueOf(g, node.inputs[1]!).fixed!;
      qT = valueOf(g, node.inputs[2]!).fixed!;
      p = constArray(ctx, consts, node.inputs[1]!, `${id}_scale`, `scales of ${id}`);
      q = constArray(ctx, consts, node.inputs[2]!, `${id}_bias`, `biases of ${id}`);
      break;
    }
    default: {
      if (!isTableNode(node)) throw new Error(`internal: ${node.op} is not unary`);
      kind = 'U_TABLE';
      const spec = node.prec?.tables.f;
      if (!spec) unsupported(node, 'no lookup table (run the quantize pass)');
      pT = valueOf(g, spec.value).fixed!;
      p = constArray(ctx, consts, spec.value, `${id}_table`, `${spec.fn} table of ${id}`);
      extra.push((c) => c.nested(tableStruct('tab', spec)));
    }
  }
  // io_parallel tensors beyond the unroll or partition limit go one pixel per cycle.
  const perPixel = ctx.io === 'parallel' && (n > ctx.unrollLimit || ctx.partitionOf(node.inputs[0]!) > 0 || ctx.partitionOf(node.outputs[0]!) > 0) && x.shape.at(-1) === C;
  c.i('kind', `nn2hls::${kind}`).type('p_t', pT).type('q_t', qT).u('n', n).u('c', C).u('reuse', reuse).b('per_pixel', perPixel);
  for (const e of extra) e(c);
  // Gelu (io_parallel, one step): its n products share ceil(n / reuse) multipliers over the
  // step's II of reuse cycles (nn2hls::unary_shared's ALLOCATION), the fold of foldShape.
  const shared = kind === 'U_XTABLE' && ctx.io === 'parallel' && !perPixel;
  const multLimit = shared ? Math.ceil(n / reuse) : 0;
  if (shared) c.u('mult_limit', multLimit);
  // Reshape keeps the element order: in io_stream only the pack width changes (repack_stream).
  const reshape = node.op === 'Reshape';
  const pi = ctx.packOf(node.inputs[0]!);
  const po = ctx.packOf(node.outputs[0]!);
  const lcm = (pi * po) / gcd(pi, po);
  const stream = reshape
    ? (ins: readonly string[], out: string) => `nn2hls::repack_stream<${renderType(xT)}, ${renderType(yT)}, ${pi}, ${po}, ${n}, ${lcm}>(${ins[0]}, ${out});`
    : (ins: readonly string[], out: string) => `nn2hls::unary_stream<${cfg}>(${ins[0]}, ${out}, ${p}, ${q});`;
  return {
    node, id, cfg, cfgText: c.render(), consts, dyn: [node.inputs[0]!], out: node.outputs[0]!,
    parallel: (ins, out) => `nn2hls::${shared ? 'unary_shared' : 'unary'}<${cfg}>(${ins[0]}, ${out}, ${p}, ${q});`,
    stream,
    burst: 1, unrolled: perPixel ? C : n, partitioned: [], strategy, reuse, looped: perPixel,
    facts: plainFacts(shared ? 'nn2hls::unary_shared' : 'nn2hls::unary', {
      // io_parallel: one step of II reuse (unary_all's PIPELINE), or a pixel per cycle.
      ...(ctx.io === 'parallel' && !perPixel ? { stepII: reuse } : {}),
      ...(perPixel ? { pixelWise: true, tripCount: n / C } : {}),
      ...(reshape ? { streamKernel: 'nn2hls::repack_stream', streamUnrolled: Math.max(pi, po), ...(lcm > Math.max(pi, po) ? { streamBuffer: lcm, streamArrays: [{ what: 'result', elements: lcm }] } : {}) } : { streamKernel: 'nn2hls::unary_stream', streamUnrolled: C, streamReads: { kind: 'pack' } }),
      tableLookups: kind === 'U_TABLE' || kind === 'U_XTABLE' ? 1 : 0,
      // The table is read at every element's own address: all n in one initiation of II reuse,
      // a pixel (c elements) per cycle per pixel or per io_stream pack.
      ...(kind === 'U_TABLE' || kind === 'U_XTABLE'
        ? { lookups: { [p]: perPixel ? { kind: 'table', reads: C, ii: 1 } : { kind: 'table', reads: n, ii: reuse } }, streamLookups: { [p]: { kind: 'table', reads: C, ii: 1 } } }
        : {}),
      multBits: kind === 'U_AFFINE' || kind === 'U_LEAKY' || kind === 'U_PRELU' || kind === 'U_XTABLE' ? Math.max(xT.width, typeof pT === 'string' ? 0 : pT.width) : 0,
      // Gelu multiplies every element by its table entry: one run-time product per element of a
      // step (io stream: unary_stream's step is one pack of C elements).
      ...(kind === 'U_XTABLE' ? { macs: n, multipliers: shared ? multLimit : C } : {}),
    }),
  };
}

export function lowerBinary(ctx: LowerContext, node: Node): Layer {
  const { g } = ctx;
  const { id, cfg, strategy, reuse } = common(ctx, node);
  const A = valueOf(g, node.inputs[0]!);
  const B = valueOf(g, node.inputs[1]!);
  const Y = valueOf(g, node.outputs[0]!);
  const consts: ConstArray[] = [];
  const operand = (slot: number): string | null =>
    isConst(slot === 0 ? A : B) ? constArray(ctx, consts, node.inputs[slot]!, `${id}_${slot === 0 ? 'a' : 'b'}`, `constant operand of ${id}`) : null;
  const ca = operand(0);
  const cb = operand(1);
  const dyn = [ca === null ? node.inputs[0]! : '', cb === null ? node.inputs[1]! : ''].filter((s) => s);
  const sameShape = (s: readonly number[]) => s.length === Y.shape.length && s.every((d, i) => d === Y.shape[i]);
  const nY = numel(Y.shape);
  const cY = Y.shape.length ? Y.shape[Y.shape.length - 1]! : 1;
  const pixels = ctx.io === 'parallel' && ca === null && cb === null && sameShape(A.shape) && sameShape(B.shape) &&
    (nY > ctx.unrollLimit || [node.inputs[0]!, node.inputs[1]!, node.outputs[0]!].some((v) => ctx.partitionOf(v) > 0));
  const c = new Cfg(cfg)
    .i('op', `nn2hls::B_${node.op.toUpperCase()}`)
    .type('a_t', A.fixed!)
    .type('b_t', B.fixed!)
    .type('out_t', Y.fixed!)
    .u('n', numel(Y.shape))
    .u('reuse', reuse)
    .u('c', ctx.io === 'parallel' ? cY : ctx.packOf(node.outputs[0]!))
    .b('per_pixel', pixels)
    .nested(bcastStruct('ab', node, A.shape, Y.shape))
    .nested(bcastStruct('bb', node, B.shape, Y.shape));
  // Per pixel in io_stream when both operands are run-time values of the output's shape.
  const same = (s: readonly number[]) => s.length === Y.shape.length && s.every((d, i) => d === Y.shape[i]);
  const perPixel = dyn.length === 2 && same(A.shape) && same(B.shape) && ctx.packOf(dyn[0]!) === ctx.packOf(node.outputs[0]!) && ctx.packOf(dyn[1]!) === ctx.packOf(node.outputs[0]!);
  // ... or when one is a constant (read through its broadcast map) and the other has the output's shape.
  const withConst = ctx.io === 'stream' && dyn.length === 1 && same(valueOf(g, dyn[0]!).shape) && ctx.packOf(dyn[0]!) === ctx.packOf(node.outputs[0]!);
  const constStream = withConst
    ? (ins: readonly string[], out: string) => (cb !== null ? `nn2hls::binary_stream_kb<${cfg}>(${ins[0]}, ${cb}, ${out});` : `nn2hls::binary_stream_ka<${cfg}>(${ca}, ${ins[0]}, ${out});`)
    : undefined;
  return {
    node, id, cfg, cfgText: c.render(), consts, dyn, out: node.outputs[0]!,
    parallel: (ins, out) => {
      let k = 0;
      const a = ca ?? ins[k++]!;
      const b = cb ?? ins[k++]!;
      return `nn2hls::binary<${cfg}>(${a}, ${b}, ${out});`;
    },
    ...(perPixel ? { stream: (ins: readonly string[], out: string) => `nn2hls::binary_stream<${cfg}>(${ins[0]}, ${ins[1]}, ${out});` } : {}),
    ...(constStream ? { stream: constStream } : {}),
    burst: 1, unrolled: pixels ? cY : nY, partitioned: [], strategy, reuse, looped: pixels,
    facts: plainFacts('nn2hls::binary', { ...(pixels ? { pixelWise: true, tripCount: nY / cY } : {}), ...(perPixel ? { streamKernel: 'nn2hls::binary_stream', streamUnrolled: ctx.packOf(node.outputs[0]!), streamLockstep: true, streamReads: { kind: 'pack' } } : {}), ...(withConst ? { streamKernel: cb !== null ? 'nn2hls::binary_stream_kb' : 'nn2hls::binary_stream_ka', streamUnrolled: ctx.packOf(node.outputs[0]!), streamReads: { kind: 'pack' } } : {}), multBits: node.op === 'Mul' ? Math.max(A.fixed!.width, B.fixed!.width) : 0 }),
  };
}

export function lowerSoftmax(ctx: LowerContext, node: Node<'Softmax'>): Layer {
  const { g } = ctx;
  const { id, cfg, strategy, reuse } = common(ctx, node);
  const x = valueOf(g, node.inputs[0]!);
  const y = valueOf(g, node.outputs[0]!);
  const ax = x.shape.length + node.attrs.axis;
  const inner = node.attrs.toEnd ? 1 : numel(x.shape.slice(ax + 1));
  const len = node.attrs.toEnd ? numel(x.shape.slice(ax)) : x.shape[ax]!;
  const outer = numel(x.shape) / (len * inner);
  const expS = node.prec!.tables!['exp']!;
  const invS = node.prec!.tables!['inv']!;
  const consts: ConstArray[] = [];
  const eId = constArray(ctx, consts, expS.value, `${id}_exp_table`, `exp table of ${id}`);
  const iId = constArray(ctx, consts, invS.value, `${id}_inv_table`, `1/x table of ${id}`);
  const c = new Cfg(cfg)
    .type('in_t', x.fixed!)
    .type('out_t', y.fixed!)
    .type('diff_t', node.prec!.types!['diff']!)
    .type('exp_t', valueOf(g, expS.value).fixed!)
    .type('sum_t', node.prec!.types!['sum']!)
    .type('inv_t', valueOf(g, invS.value).fixed!)
    .u('outer', outer)
    .u('len', len)
    .u('inner', inner)
    .u('reuse', reuse)
    .nested(tableStruct('exp_tab', expS))
    .nested(tableStruct('inv_tab', invS));
  // io_stream over the last axis: a slice is len / pin packs in and len / pout out, one slice held.
  const pin = ctx.packOf(node.inputs[0]!);
  const pout = ctx.packOf(node.outputs[0]!);
  const streamable = ctx.io === 'stream' && inner === 1 && len % pin === 0 && len % pout === 0;
  if (streamable) c.u('pin', pin).u('pout', pout);
  return {
    node, id, cfg, cfgText: c.render(), consts, dyn: [node.inputs[0]!], out: node.outputs[0]!,
    parallel: (ins, out) => `nn2hls::softmax<${cfg}>(${ins[0]}, ${out}, ${eId}, ${iId});`,
    ...(streamable ? { stream: (ins: readonly string[], out: string) => `nn2hls::softmax_stream<${cfg}>(${ins[0]}, ${out}, ${eId}, ${iId});` } : {}),
    burst: 1, unrolled: len, partitioned: [], strategy, reuse, looped: outer * inner > 1,
    // y = e[j] * r for the len terms of a slice, unrolled in the pipelined step: len multipliers.
    facts: plainFacts('nn2hls::softmax', {
      tripCount: outer * inner, stepII: reuse, tableLookups: 2, reduction: len, macs: outer * inner * len, multipliers: len, multBits: valueOf(g, expS.value).fixed!.width,
      // A slice's step reads the exp table once per term and the 1/x table once.
      lookups: { [eId]: { kind: 'table', reads: len, ii: reuse }, [iId]: { kind: 'table', reads: 1, ii: reuse } },
      ...(streamable ? { streamKernel: 'nn2hls::softmax_stream', streamStepII: Math.max(reuse, len / pin, len / pout), streamBuffer: len, streamArrays: [{ what: 'input', elements: len }, { what: 'result', elements: len }], streamBurst: len / pout, streamLookups: { [eId]: { kind: 'table', reads: len, ii: Math.max(reuse, len / pin, len / pout) }, [iId]: { kind: 'table', reads: 1, ii: Math.max(reuse, len / pin, len / pout) } } } : {}),
    }),
  };
}

/**
 * The input packs a movement map keeps, when it keeps whole packs (same width P in and out,
 * element e of output pack q is element e of one input pack) in strictly ascending order;
 * null otherwise (the map reorders, pads or splits packs).
 */
function keptPacks(map: Int32Array, pIn: number, pOut: number): number[] | null {
  if (pIn !== pOut || map.length % pOut !== 0) return null;
  const keep: number[] = [];
  for (let q = 0; q < map.length / pOut; q++) {
    const s = map[q * pOut]!;
    if (s < 0 || s % pIn !== 0 || (keep.length && s / pIn <= keep[keep.length - 1]!)) return null;
    for (let e = 1; e < pOut; e++) if (map[q * pOut + e] !== s + e) return null;
    keep.push(s / pIn);
  }
  return keep;
}

/**
 * The input packs a movement map reads and the offset it reads them at, when every output pack
 * q (width pOut) is elements off..off+pOut-1 of one input pack (width pIn), the same off for all,
 * those input packs strictly ascending (a Slice of the last dim, e.g. attention's Q, K, V out of
 * one projection, possibly of leading dims too); null otherwise.
 */
export function slicedPacks(map: Int32Array, pIn: number, pOut: number): { keep: number[]; off: number } | null {
  if (pOut >= pIn || map.length % pOut !== 0 || map.length === 0) return null;
  const off = map[0]! % pIn;
  if (map[0]! < 0 || off + pOut > pIn) return null;
  const keep: number[] = [];
  for (let q = 0; q < map.length / pOut; q++) {
    const s = map[q * pOut]!;
    if (s < 0 || s % pIn !== off || (keep.length && Math.floor(s / pIn) <= keep[keep.length - 1]!)) return null;
    for (let e = 1; e < pOut; e++) if (map[q * pOut + e] !== s + e) return null;
    keep.push(Math.floor(s / pIn));
  }
  return { keep, off };
}

/** Geometry of a nearest upsampling by integer factors over [..., H, W, C] (leading dims: images). */
interface Upsample {
  readonly imgs: number;
  readonly h: number;
  readonly w: number;
  readonly c: number;
  readonly fh: number;
  readonly fw: number;
}

/**
 * The upsampling a movement map performs, when output pixel (oh, ow) of every image is input
 * pixel (oh / fh, ow / fw) (integer division) with its channels in order, for integer fh, fw;
 * null otherwise. Decided from the map itself (the simulator's semantics, whatever coordinate
 * and rounding modes produced it), so the kernel cannot disagree with the simulator.
 */
export function upsampleOf(map: Int32Array, xShape: readonly number[], yShape: readonly number[]): Upsample | null {
  const r = xShape.length;
  if (r < 2 || yShape.length !== r) return null;
  const c = xShape[r - 1]!;
  const w = xShape[r - 2]!;
  const h = r >= 3 ? xShape[r - 3]! : 1;
  const lead = xShape.slice(0, Math.max(0, r - 3));
  if (yShape[r - 1] !== c || lead.some((d, i) => yShape[i] !== d)) return null;
  const ow = yShape[r - 2]!;
  const oh = r >= 3 ? yShape[r - 3]! : 1;
  if (ow % w !== 0 || oh % h !== 0) return null;
  const fh = oh / h;
  const fw = ow / w;
  const imgs = lead.reduce((a, d) => a * d, 1);
  if (map.length !== imgs * oh * ow * c) return null;
  let j = 0;
  for (let b = 0; b < imgs; b++) {
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        const src = ((b * h + Math.floor(y / fh)) * w + Math.floor(x / fw)) * c;
        for (let e = 0; e < c; e++) if (map[j++] !== src + e) return null;
      }
    }
  }
  return { imgs, h, w, c, fh, fw };
}

export function lowerGather(ctx: LowerContext, node: Node): Layer {
  const { g } = ctx;
  const { id, cfg, strategy, reuse } = common(ctx, node);
  const x = valueOf(g, node.inputs[0]!);
  const y = valueOf(g, node.outputs[0]!);
  const yT = y.fixed!;
  const map = movementIndexMap(ctx.g, node);
  const consts: ConstArray[] = [];
  const c = new Cfg(cfg).type('in_t', x.fixed!).type('out_t', yT).u('n_in', numel(x.shape)).u('n', map.length).u('reuse', reuse);
  // io_stream: a map keeping whole input packs in ascending order streams natively. io_parallel:
  // such a map over pixels (last dim) of arrays beyond the partition limit (partitioned by
  // channel) goes a pixel per cycle. Otherwise the element map (and pad value) is emitted.
  const stream = ctx.io === 'stream';
  const P = stream ? ctx.packOf(node.outputs[0]!) : (y.shape.at(-1) ?? 1);
  const keep = keptPacks(map, stream ? ctx.packOf(node.inputs[0]!) : (x.shape.at(-1) ?? 1), P);
  const pixels = !stream && !!keep && (ctx.partitionOf(node.inputs[0]!) > 0 || ctx.partitionOf(node.outputs[0]!) > 0);
  const byPack = !!keep && (stream || pixels);
  // io_stream nearest upsampling (pixels repeated by integer factors, one pixel per pack):
  // streams with one input row held, instead of the whole tensor the buffered gather holds.
  const up0 = stream && !keep && node.op === 'Resize' ? upsampleOf(map, x.shape, y.shape) : null;
  const up = up0 && ctx.packOf(node.inputs[0]!) === up0.c && P === up0.c ? up0 : null;
  // io_stream: a slice within each pack (the same elements of ascending input packs) streams too.
  const pIn = ctx.packOf(node.inputs[0]!);
  const sl = stream && !keep && !up ? slicedPacks(map, pIn, P) : null;
  if (sl) {
    const sId = indexArray(ctx, consts, `${id}_keep`, sl.keep, `input packs ${id} reads, ascending`);
    return {
      node, id, cfg, cfgText: c.render(), consts, dyn: [node.inputs[0]!], out: node.outputs[0]!,
      parallel: () => {
        throw new Error(`internal: ${id} streams natively and has no array form`);
      },
      stream: (ins, out) => `nn2hls::slice_stream<${renderType(x.fixed!)}, ${renderType(yT)}, ${pIn}, ${P}, ${sl.off}, ${numel(x.shape) / pIn}, ${sl.keep.length}>(${ins[0]}, ${out}, ${sId});`,
      burst: 1, unrolled: map.length, partitioned: [], strategy, reuse, looped: false,
      // One keep entry per input pack (II 1), at a run-time address (the kept-pack counter).
      facts: plainFacts('nn2hls::gather', { streamKernel: 'nn2hls::slice_stream', streamUnrolled: pIn, streamLookups: { [sId]: { kind: 'index', reads: 1, ii: 1 } } }),
    };
  }
  const kId = byPack ? indexArray(ctx, consts, `${id}_keep`, keep, `input ${stream ? 'packs' : 'pixels'} ${id} keeps, ascending`) : null;
  let mId = DUMMY_ARRAY;
  let padId = DUMMY_ARRAY;
  if (!byPack && !up) {
    mId = indexArray(ctx, consts, `${id}_map`, map, `source index of each output element of ${id}`);
    const padRaw = node.op === 'Pad' ? padRawOf(node) : 0n;
    padId = ownArray(ctx, consts, `${id}_pad`, yT, [padRaw], `pad value of ${id}`);
  }
  const nIn = numel(x.shape);
  const tI = renderType(x.fixed!);
  const tO = renderType(yT);
  if (up) {
    c.u('n_chan', up.c).u('n_img', up.imgs).u('in_h', up.h).u('in_w', up.w).u('fh', up.fh).u('fw', up.fw);
    return {
      node, id, cfg, cfgText: c.render(), consts, dyn: [node.inputs[0]!], out: node.outputs[0]!,
      parallel: () => {
        throw new Error(`internal: ${id} streams natively and has no array form`);
      },
      stream: (ins, out) => `nn2hls::upsample_stream<${cfg}>(${ins[0]}, ${out});`,
      burst: 1, unrolled: map.length, partitioned: [], strategy, reuse, looped: false,
      facts: plainFacts('nn2hls::gather', {
        streamKernel: 'nn2hls::upsample_stream', streamUnrolled: up.c, tripCount: map.length / up.c,
        lineBuffer: { rows: 1, width: up.w, channels: up.c, elements: up.w * up.c, partitioned: false },
        // Output row q copies input row floor(q / fh): its first copy reads the row as it goes, the others from the buffer.
        streamReads: { kind: 'rows', inRow: up.w, outRow: up.w * up.fw, need: Array.from({ length: up.imgs * up.h * up.fh }, (_, q) => Math.floor(q / up.fh) + 1) },
      }),
    };
  }
  return {
    node, id, cfg, cfgText: c.render(), consts, dyn: [node.inputs[0]!], out: node.outputs[0]!,
    parallel: pixels
      ? (ins, out) => `nn2hls::gather_pixels<${tI}, ${tO}, ${P}, ${nIn / P}, ${keep!.length}>(${ins[0]}, ${out}, ${kId});`
      : (ins, out) => `nn2hls::gather<${cfg}>(${ins[0]}, ${out}, ${mId}, ${padId});`,
    ...(stream && keep ? { stream: (ins: readonly string[], out: string) => `nn2hls::select_stream<${tI}, ${tO}, ${P}, ${nIn / P}, ${keep.length}>(${ins[0]}, ${out}, ${kId});` } : {}),
    burst: 1, unrolled: pixels ? P : map.length, partitioned: [], strategy, reuse, looped: pixels,
    facts: plainFacts(pixels ? 'nn2hls::gather_pixels' : 'nn2hls::gather', {
      ...(stream && keep ? { streamKernel: 'nn2hls::select_stream', streamUnrolled: P } : {}),
      ...(pixels ? { pixelWise: true, tripCount: keep!.length } : {}),
      // gather reads the element map at the constants of its unrolled loop (folded into
      // wiring); gather_pixels and select_stream read one kept pixel/pack index per cycle.
      lookups: kId ? { [kId]: { kind: 'index', reads: 1, ii: 1 } } : { [mId]: { kind: 'index', reads: map.length, ii: reuse, fixed: true } },
      ...(kId ? { streamLookups: { [kId]: { kind: 'index', reads: 1, ii: 1 } } } : {}),
    }),
  };
}

/** Reduce Sum/Mean/Max/Min -> nn2hls::reduce with the simulator's output-position map. */
export function lowerReduce(ctx: LowerContext, node: Node<'Reduce'>): Layer | null {
  const { g } = ctx;
  const kinds = { Sum: 0, Mean: 1, Max: 2, Min: 3 } as const;
  const fn = node.attrs.fn;
  if (!(fn in kinds)) return null;
  const kind = kinds[fn as keyof typeof kinds];
  const { id, cfg, strategy, reuse } = common(ctx, node);
  const x = valueOf(g, node.inputs[0]!);
  const yT = valueOf(g, node.outputs[0]!).fixed!;
  const { map, outSize, count } = reduceIndexMap(x.shape, node.attrs.axes);
  const consts: ConstArray[] = [];
  // io_stream: how a pack's lanes map to outputs picks the stream kernel (nn_layout.h): mode 1,
  // lane j of every pack into lane j of a pack-aligned output group (the last axis kept); mode
  // 2, every lane of a pack into one output (the last axis reduced); else mode 0, element by
  // element through the map. Modes 1 and 2 read one group entry per pack (grp) instead of the map.
  const pin = ctx.packOf(node.inputs[0]!);
  const pout = ctx.packOf(node.outputs[0]!);
  const streamable = ctx.io === 'stream' && map.length % pin === 0 && outSize % pout === 0;
  const packs = map.length / pin;
  const lanes = pin === pout && Array.from({ length: packs }, (_, k) => map[k * pin]! % pin === 0 && Array.from({ length: pin }, (_, j) => map[k * pin + j] === map[k * pin]! + j).every(Boolean)).every(Boolean);
  const whole = Array.from({ length: packs }, (_, k) => Array.from({ length: pin }, (_, j) => map[k * pin + j] === map[k * pin]).every(Boolean)).every(Boolean);
  const mode = !streamable ? 0 : pin === 1 || whole ? 2 : lanes ? 1 : 0;
  const grp = mode === 0 ? null : Array.from({ length: packs }, (_, k) => (mode === 1 ? map[k * pin]! / pin : map[k * pin]!));
  const mId = grp
    ? indexArray(ctx, consts, `${id}_grp`, grp, `output ${mode === 1 ? 'group' : 'position'} of each input pack of ${id}`)
    : indexArray(ctx, consts, `${id}_map`, map, `output position of each input element of ${id}`);
  const spec = node.prec?.tables?.['recip'];
  let pT: FixedType = yT;
  let word = 0n;
  if (kind === 1) {
    if (!spec) unsupported(node, 'no reciprocal table (run the quantize pass)');
    pT = valueOf(g, spec.value).fixed!;
    word = BigInt(Math.round(valueOf(g, spec.value).data![count]! * 2 ** fracBits(pT)));
  }
  const pId = ownArray(ctx, consts, `${id}_recip`, pT, [word], kind === 1 ? `1/${count} of ${id}` : `unused word of ${id}`);
  const accT = kind <= 1 ? node.prec?.accum : x.fixed!;
  if (!accT) unsupported(node, 'no accumulator type (run the quantize pass)');
  const c = new Cfg(cfg).type('in_t', x.fixed!).type('out_t', yT).type('acc_t', accT).type('p_t', pT)
    .i('kind', String(kind)).u('n_in', map.length).u('n', outSize).u('reuse', reuse);
  // io_stream: a pack at a time into the outSize accumulators (e.g. a mean over the tokens);
  // mode 0 chains a pack's pin read-modify-writes, so its pack loop runs at II pin·reuse.
  const stepII = mode === 0 ? pin * reuse : reuse;
  if (streamable) c.u('pin', pin).u('pout', pout).u('step_ii', stepII);
  const streamKernel = ['nn2hls::reduce_stream', 'nn2hls::reduce_stream_lanes', 'nn2hls::reduce_stream_packs'][mode]!;
  return {
    node, id, cfg, cfgText: c.render(), consts, dyn: [node.inputs[0]!], out: node.outputs[0]!,
    parallel: (ins, out) => `nn2hls::reduce<${cfg}>(${ins[0]}, ${out}, ${mId}, ${pId});`,
    ...(streamable ? { stream: (ins: readonly string[], out: string) => `${streamKernel}<${cfg}>(${ins[0]}, ${out}, ${mId}, ${pId});` } : {}),
    burst: 1, unrolled: map.length, partitioned: [], strategy, reuse, looped: false,
    facts: plainFacts('nn2hls::reduce', {
      // The map is read at the constants of the unrolled loop: folded into wiring.
      lookups: { [mId]: { kind: 'index', reads: map.length, ii: reuse, fixed: true } },
      // The input's packs (at the pack loop's II), then the output's (written once every input
      // is in, one per cycle); the stream kernel reads a pack's map entries (mode 0) or its one
      // group entry (modes 1, 2) at run-time addresses.
      ...(streamable
        ? { streamKernel, streamTripCount: packs + Math.ceil((outSize / pout) / stepII), streamStepII: stepII, streamUnrolled: pin, streamBuffer: outSize, streamArrays: [{ what: 'accumulators', elements: outSize, bits: accT.width + 1 }], streamBurst: outSize / pout, streamLookups: { [mId]: { kind: 'index', reads: mode === 0 ? pin : 1, ii: stepII } } }
        : {}),
    }),
  };
}

export function lowerConcat(ctx: LowerContext, node: Node<'Concat'>): Layer {
  const { g } = ctx;
  const { id, cfg, strategy, reuse } = common(ctx, node);
  const Y = valueOf(g, node.outputs[0]!);
  const ax = Y.shape.length + node.attrs.axis;
  const outer = numel(Y.shape.slice(0, ax));
  const outChunk = numel(Y.shape.slice(ax));
  const consts: ConstArray[] = [];
  const parts: string[] = [];
  const cfgs: string[] = [];
  const dyn: string[] = [];
  const src: (string | null)[] = [];
  let offset = 0;
  node.inputs.forEach((name, k) => {
    const v = valueOf(g, name);
    const chunk = numel(v.shape.slice(ax));
    const pc = ctx.names.fresh(`${cfg}_part${k}`);
    parts.push(pc);
    cfgs.push(
      new Cfg(pc).type('in_t', v.fixed!).type('out_t', Y.fixed!).u('outer', outer).u('chunk', chunk)
        .u('out_chunk', outChunk).u('offset', offset).u('reuse', reuse).render(),
    );
    offset += chunk;
    if (isConst(v)) src.push(constArray(ctx, consts, name, `${id}_in${k}`, `constant input ${k} of ${id}`));
    else {
      src.push(null);
      dyn.push(name);
    }
  });
  // One function per Concat, so DATAFLOW sees a single process writing the output array.
  const fn = ctx.names.fresh(`${id}_concat`);
  const params = dyn.map((v, k) => `const ${renderType(valueOf(g, v).fixed!)} x${k}[${numel(valueOf(g, v).shape)}]`);
  let k = 0;
  const body = parts.map((pc, i) => `  nn2hls::concat_part<${pc}>(${src[i] ?? `x${k++}`}, y);`);
  cfgs.push(`inline void ${fn}(${[...params, `${renderType(Y.fixed!)} y[${numel(Y.shape)}]`].join(', ')}) {\n  NN2HLS_PRAGMA(HLS INLINE off)\n${body.join('\n')}\n}`);
  // Channel Concat of two run-time values in io_stream: per pixel.
  const pix = numel(Y.shape) / Y.shape[Y.shape.length - 1]!;
  const chans = dyn.map((v) => valueOf(g, v).shape.at(-1)!);
  const perPixel = dyn.length === 2 && node.inputs.length === 2 && ax === Y.shape.length - 1 &&
    dyn.every((v, k) => ctx.packOf(v) === chans[k]) && ctx.packOf(node.outputs[0]!) === Y.shape.at(-1);
  const t = (v: string) => renderType(valueOf(g, v).fixed!);
  return {
    node, id, cfg: parts[0]!, cfgText: cfgs.join('\n\n'), consts, dyn, out: node.outputs[0]!,
    parallel: (ins, out) => `${fn}(${[...ins, out].join(', ')});`,
    ...(perPixel
      ? { stream: (ins: readonly string[], out: string) => `nn2hls::concat2_stream<${t(dyn[0]!)}, ${t(dyn[1]!)}, ${renderType(Y.fixed!)}, ${chans[0]}, ${chans[1]}, ${pix}>(${ins[0]}, ${ins[1]}, ${out});` }
      : {}),
    burst: 1, unrolled: numel(Y.shape), partitioned: [], strategy, reuse, looped: false,
    facts: plainFacts(fn, perPixel ? { streamKernel: 'nn2hls::concat2_stream', streamUnrolled: Y.shape.at(-1)!, streamLockstep: true, streamReads: { kind: 'pack' } } : {}),
  };
}
