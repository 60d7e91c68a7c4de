/**
 * QONNX's channels-last domain (`qonnx.custom_op.channels_last`): Conv, MaxPool, AveragePool and
 * BatchNormalization whose data tensors are [N, spatial..., C], as QONNX's ConvertToChannelsLast
 * (and hls4ml's QONNX flow) writes them, plus the Concat and Resize that forks of that domain add.
 * QONNX defines each one as a wrapper of the standard op: its reference executor transposes the
 * data input (and a Conv's weight, stored [O, k..., I/group]) to channels-first, runs the standard
 * op with the node's own attributes and inputs, and transposes the output back to channels-last.
 * That definition is implemented literally here, on the importer's layout permutations: the
 * transposes are permutation bookkeeping (no IR node), the standard converter does the work, and
 * because the IR's spatial ops are channels-last already, a chain of these ops imports with no
 * Transpose at all. Attributes (pads [begins..., ends...], kernel_shape, strides, a Concat axis)
 * and the other inputs (BatchNormalization's per-channel vectors, Resize's scales/sizes) are
 * therefore read exactly as the standard op reads them, in channels-first numbering.
 * One exception is tolerated: a Resize whose scales or sizes were rewritten into channels-last
 * order (as a fork's shape inference does) — the channel entry then sits last, so scales with
 * the channel (dim 1) resized and the last dim not are read in channels-last order.
 */
import { clPerm, transposeConst } from '../common/builders.js';
import { Ctx as CommonCtx } from '../common/context.js';
import { constOf, invert, type OVal } from '../common/importer.js';
import { BASIC_CONVERTERS } from './convert-basic.js';
import { NN_CONVERTERS } from './convert-nn.js';
import type { Converter, Ctx } from './context.js';

/** The domains whose ops are channels-last wrappers of the standard ones. */
export const CHANNELS_LAST_DOMAINS: ReadonlySet<string> = new Set(['qonnx.custom_op.channels_last', 'finn.custom_op.channels_last']);

const rank = (v: OVal): number => (v.kind === 'dyn' ? v.perm.length : v.t.shape.length);

/** `v` transposed by `p` (numpy semantics): free for a computed tensor, folded for a constant. */
function transposedBy(v: OVal, p: readonly number[]): OVal {
  if (v.kind === 'const') return { kind: 'const', t: transposeConst(v.t, p) };
  return { kind: 'dyn', ir: v.ir, perm: p.map((i) => v.perm[i]!) };
}

/** Channels-last [N, S..., C] → channels-first [N, C, S...] is a transpose by clPerm(R); back by its inverse. */
const toFirst = (v: OVal): OVal => (rank(v) < 3 ? v : transposedBy(v, clPerm(rank(v))));
const toLast = (v: OVal): OVal => (rank(v) < 3 ? v : transposedBy(v, invert(clPerm(rank(v)))));

/** A Resize whose scales/sizes are in channels-last order (channel entry last) is put back in channels-first order. */
function resizeParamsFirst(c: Ctx, i: number, R: number): OVal | undefined {
  const v = c.opt(i);
  if (!v || v.kind !== 'const' || v.t.shape.length !== 1 || v.t.data.length !== R || R < 3) return v;
  const d = Array.from(v.t.data);
  if (i === 2) {
    // scales: the channels are never resized, so a channel-dim entry ≠ 1 with a last entry of 1 is channels-last order.
    if (d[1] === 1 || d[R - 1] !== 1) return v;
  } else {
    // sizes: channels-first order has the input's channel count at dim 1.
    const x = c.input(0);
    const chans = x.kind === 'dyn' ? c.imp.modelShape(x)[R - 1] : undefined;
    if (chans === undefined || d[1] === chans || d[R - 1] !== chans) return v;
  }
  return { kind: 'const', t: constOf([R], clPerm(R).map((k) => d[k]!), v.t.elem) };
}

/**
 * The wrapper: inputs for which `transposes(i)` holds are viewed channels-first, the standard
 * converter runs on that view, and its first output is viewed channels-last again.
 */
function wrapped(op: string, transposes: (i: number) => boolean, params?: (c: Ctx, i: number, R: number) => OVal | undefined): Converter {
  const std = NN_CONVERTERS[op] ?? BASIC_CONVERTERS[op];
  if (!std) throw new Error(`internal: no standard converter for ${op}`);
  return (c) => {
    if (c.node.outputs.filter((o) => o).length > 1) return c.fail('a channels-last op has exactly one output (QONNX wraps single-output ops only)');
    const x = c.input(0);
    const R = rank(x);
    if (x.kind === 'dyn' && R < 3) return c.fail(`expected a channels-last input [N, spatial..., C], got rank ${R}`);
    const names = c.node.inputs.map((name, i) => {
      if (!name) return '';
      let v = params?.(c, i, R) ?? c.input(i);
      if (transposes(i)) v = toFirst(v);
      const tmp = `\u0000channels_first:${c.name}:${i}`;
      c.imp.set(tmp, v);
      return tmp;
    });
    const inner: Ctx = new CommonCtx(c.imp, { ...c.node, inputs: names }, c.name);
    const outs = std(inner);
    const out = outs[0];
    if (out?.kind === 'batchConst') return c.fail('a channels-last op on a batch-sized constant cannot run per sample');
    if (out?.kind === 'merged') {
      c.imp.cross(`${c.where}: a channels-last op on a tensor merging the batch dim cannot run per sample`);
      return c.fail('internal: a batch-merged tensor in an unbatched import');
    }
    return [out ? toLast(out) : undefined];
  };
}

export const CHANNELS_LAST_CONVERTERS: Record<string, Converter> = {
  // Input 1, the weight, is [O, k..., I/group] channels-last; the bias is a vector.
  Conv: wrapped('Conv', (i) => i < 2),
  MaxPool: wrapped('MaxPool', (i) => i === 0),
  AveragePool: wrapped('AveragePool', (i) => i === 0),
  BatchNormalization: wrapped('BatchNormalization', (i) => i === 0),
  // Fork additions: every Concat input is a channels-last tensor; Resize's roi/scales/sizes are parameters.
  Concat: wrapped('Concat', () => true),
  Resize: wrapped('Resize', (i) => i === 0, (c, i, R) => (i === 2 || i === 3 ? resizeParamsFirst(c, i, R) : c.opt(i))),
};
