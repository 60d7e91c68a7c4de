/**
 * Guards for models declaring opsets 1–6. Most ops kept their meaning from opset 1 to 7 (the
 * old `consumed_inputs` attribute is a no-op), so the opset-7 converters read them correctly;
 * the few pre-7 forms whose semantics differ are refused here by name instead of being
 * misread: legacy broadcasting with an `axis`, BatchNormalization with `spatial = 0`, Pad's
 * `paddings` attribute and Upsample-1's `width_scale`/`height_scale`.
 */
import type { Ctx } from './context.js';

const LEGACY_BROADCAST_OPS = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'And', 'Or', 'Xor', 'Equal', 'Greater', 'Less']);
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
