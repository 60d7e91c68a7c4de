/**
 * Models declaring opsets 1–6. Most ops kept their meaning from opset 1 to 7 (the old
 * `consumed_inputs` attribute is a no-op), so the opset-7 converters read them correctly.
 * Legacy broadcasting (`broadcast = 1` with an `axis`: B's dims line up with A's from `axis`
 * on) and PRelu's per-channel slope are rewritten here into numpy broadcasting; the pre-7 forms
 * whose semantics differ otherwise are refused by name instead of being misread:
 * BatchNormalization with `spatial = 0`, Pad's `paddings` attribute and Upsample-1's
 * `width_scale`/`height_scale`.
 */
import { reshapeTo, shapeOf } from '../common/builders.js';
import type { OVal } from '../common/importer.js';
import type { Ctx } from './context.js';

const LEGACY_BROADCAST_OPS = new Set(['And', 'Or', 'Xor']);

/**
 * B of an opset-1..6 binary op as a numpy-broadcasting operand: with `broadcast = 1` and an
 * `axis`, B's dims align with A's starting at `axis`, so B gets trailing 1s up to A's rank.
 */
export function legacyOperandB(c: Ctx, a: OVal, b: OVal): OVal {
  if (c.opset >= 7 || c.a.int('broadcast', 0) !== 1 || !c.a.has('axis')) return b;
  const sa = shapeOf(c, a);
  const sb = shapeOf(c, b);
  let axis = c.a.int('axis', 0);
  if (axis < 0) axis += sa.length;
  const trail = sa.length - axis - sb.length;
  if (axis < 0 || trail < 0) return c.fail(`B of shape [${sb.join(',')}] does not fit A [${sa.join(',')}] at axis ${c.a.int('axis', 0)}`);
  return trail === 0 ? b : reshapeTo(c, b, [...sb, ...new Array<number>(trail).fill(1)]);
}

/**
 * PRelu's slope before opset 7: a vector of one slope per channel (dim 1) of an [N, C, ...]
 * input, which numpy rules would align with the last dim instead.
 */
export function legacySlope(c: Ctx, x: OVal, slope: OVal): OVal {
  if (c.opset >= 7 || slope.kind !== 'const' || slope.t.shape.length !== 1 || slope.t.shape[0] === 1) return slope;
  const sx = shapeOf(c, x);
  if (sx.length < 3 || sx[1] !== slope.t.shape[0]) return slope;
  return { kind: 'const', t: { ...slope.t, shape: [slope.t.shape[0]!, ...new Array<number>(sx.length - 2).fill(1)] } };
}
const FIX = 'upgrade it with onnx.version_converter.convert_version(model, 13)';

export function refuseLegacySemantics(c: Ctx): void {
  if (c.opset >= 7) return;
  if (LEGACY_BROADCAST_OPS.has(c.op) && c.a.has('axis')) {
    c.fail(`opset ${c.opset} broadcasting along axis ${c.a.int('axis', 0)} is not supported; ${FIX}`);
  }
  if (c.op === 'BatchNormalization' && c.a.int('spatial', 1) === 0) {
    c.fail(`opset ${c.opset} BatchNormalization with spatial=0 is not supported; ${FIX}`);
  }
  if (c.op === 'Pad' && c.a.has('paddings')) c.fail(`opset ${c.opset} Pad with 'paddings' is not supported; ${FIX}`);
  if (c.op === 'Upsample') c.fail(`opset ${c.opset} Upsample (width_scale/height_scale) is not supported; ${FIX}`);
}
