/**
 * Converters for ONNX's layer ops: Gemm and MatMul (to Dense when the weights are constant),
 * Conv and ConvTranspose, pooling, BatchNormalization, Pad, Upsample/Resize, the recurrent
 * layers, and the quantization ops (ONNX QDQ and QONNX Quant/BipolarQuant). Spatial ops read
 * their input channels-last and leave their output channels-last; auto_pad, output_shape and
 * the other shape-deciding attributes are resolved here into explicit static attributes.
 */
import { numel } from '../../ir/graph.js';
import { foldedQuantType } from '../../ir/quantizer-types.js';
import type { ResizeCoordMode, ResizeNearestMode } from '../../ir/ops.js';
import { DEFAULT_RECURRENT_ACTIVATIONS, parseRecurrentActivations } from '../../ir/semantics/recurrent.js';
import {
  batchNormLayer,
  binaryOp,
  clPerm,
  convLayer,
  convTransposeLayer,
  globalPoolLayer,
  matmulOp,
  padOp,
  paramInput,
  poolLayer,
  resizeOp,
  samePads,
  shapeOf,
  transposeConst,
} from '../common/builders.js';
import { BATCH, type ConstT, constOf, type Dyn, identity, type MVal, type OVal } from '../common/importer.js';
import { lastDimLast, laidOut, matmulMerged, sameLayout } from '../common/merged.js';
import { perSample } from '../common/batch-const.js';
import { type Converter, type Ctx, elemOfOnnxType } from './context.js';

export { clPerm };

/** Explicit pads from ONNX pads/auto_pad for a window op. */
function resolvePads(c: Ctx, inSp: number[], kernel: number[], strides: number[], dil: number[]): number[] {
  const S = inSp.length;
  const autoPad = c.a.string('auto_pad', 'NOTSET');
  if (autoPad === 'VALID') return new Array<number>(2 * S).fill(0);
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return samePads(inSp, kernel, strides, dil, autoPad === 'SAME_UPPER');
  if (autoPad !== 'NOTSET') return c.fail(`unknown auto_pad '${autoPad}'`);
  const pads = c.a.ints('pads', new Array<number>(2 * S).fill(0));
  if (pads.length !== 2 * S) return c.fail(`pads has ${pads.length} entries, expected ${2 * S}`);
  return pads;
}

function windowInput(c: Ctx): { x: Dyn; R: number; S: number; inSp: number[] } {
  const x = c.input(0);
  if (x.kind !== 'dyn') return c.fail('constant input is not supported for this op');
  const R = x.perm.length;
  if (R < 3) return c.fail(`expected input [N, C, spatial...], got rank ${R}`);
  return { x, R, S: R - 2, inSp: c.imp.modelShape(x).slice(2) };
}

const conv: Converter = (c) => {
  const { x, R, S, inSp } = windowInput(c);
  const w = c.input(1);
  const wShape = shapeOf(c, w);
  const kernel = c.a.ints('kernel_shape', wShape.slice(2));
  const strides = c.a.ints('strides', new Array<number>(S).fill(1));
  const dilations = c.a.ints('dilations', new Array<number>(S).fill(1));
  const pads = resolvePads(c, inSp, kernel, strides, dilations);
  const wPerm = [...identity(S).map((i) => i + 2), 1, 0];
  const b = c.opt(2);
  const bias = b ? paramInput(c, b, 'bias') : undefined;
  return [convLayer(c, x, clPerm(R), paramInput(c, w, 'weight', wPerm), bias, { kernel, strides, dilations, pads, group: c.a.int('group', 1) })];
};

const convTranspose: Converter = (c) => {
  const { x, R, S, inSp } = windowInput(c);
  const w = c.input(1);
  const wShape = shapeOf(c, w);
  const kernel = c.a.ints('kernel_shape', wShape.slice(2));
  const strides = c.a.ints('strides', new Array<number>(S).fill(1));
  const dilations = c.a.ints('dilations', new Array<number>(S).fill(1));
  const outputPadding = c.a.ints('output_padding', new Array<number>(S).fill(0));
  const autoPad = c.a.string('auto_pad', 'NOTSET');
  let outShape = c.a.ints('output_shape');
  if (outShape && outShape.length > S) outShape = outShape.slice(-S);
  if (!outShape && (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER')) outShape = inSp.map((d, i) => d * strides[i]!);
  let pads: number[];
  if (outShape) {
    const begin: number[] = [];
    const end: number[] = [];
    inSp.forEach((d, i) => {
      const total = strides[i]! * (d - 1) + outputPadding[i]! + (kernel[i]! - 1) * dilations[i]! + 1 - outShape![i]!;
      const half = Math.floor(total / 2);
      begin.push(autoPad === 'SAME_UPPER' ? half : total - half);
      end.push(autoPad === 'SAME_UPPER' ? total - half : half);
    });
    pads = [...begin, ...end];
  } else {
    pads = c.a.ints('pads', new Array<number>(2 * S).fill(0));
  }
  const wPerm = [...identity(S).map((i) => i + 2), 0, 1];
  const b = c.opt(2);
  const bias = b ? paramInput(c, b, 'bias') : undefined;
  const attrs = { kernel, strides, dilations, pads, group: c.a.int('group', 1), outputPadding };
  return [convTransposeLayer(c, x, clPerm(R), paramInput(c, w, 'weight', wPerm), bias, attrs)];
};

function pool(kind: 'MaxPool' | 'AvgPool'): Converter {
  return (c) => {
    const { x, R, S, inSp } = windowInput(c);
    if (kind === 'MaxPool' && c.wants(1)) return c.fail('the Indices output of MaxPool is not supported');
    const kernel = c.a.ints('kernel_shape');
    if (!kernel || kernel.length !== S) return c.fail(`kernel_shape must have ${S} entries`);
    const strides = c.a.ints('strides', new Array<number>(S).fill(1));
    const dilations = c.a.ints('dilations', new Array<number>(S).fill(1));
    const pads = resolvePads(c, inSp, kernel, strides, dilations);
    const ceilMode = c.a.int('ceil_mode', 0) === 1;
    return [poolLayer(c, kind, x, clPerm(R), { kernel, strides, dilations, pads, ceilMode, countIncludePad: c.a.int('count_include_pad', 0) === 1 })];
  };
}

function globalPool(kind: 'GlobalAvgPool' | 'GlobalMaxPool'): Converter {
  return (c) => {
    const { x, R } = windowInput(c);
    return [globalPoolLayer(c, kind, x, clPerm(R))];
  };
}

const batchNorm: Converter = (c) => {
  const x = c.input(0);
  if (x.kind !== 'dyn') return c.fail('constant input is not supported');
  const R = x.perm.length;
  if (R < 2) return c.fail(`expected input [N, C, ...], got rank ${R}`);
  const training = c.opset >= 14 ? c.a.int('training_mode', 0) === 1 : c.wants(1);
  const epsilon = c.a.float('epsilon', 1e-5);
  const params = [1, 2, 3, 4].map((i) => c.input(i));
  if (!training) return [batchNormLayer(c, x, clPerm(R), params, epsilon)];
  const channels = c.imp.modelShape(x)[1]!;
  if (channels === BATCH) c.imp.cross(`${c.where}: normalizes over the batch dim`);
  const names = ['scale', 'bias', 'mean', 'var'];
  for (let i = 1; i <= 4; i++) {
    const ps = shapeOf(c, c.input(i));
    if (ps.length !== 1 || ps[0] !== channels) {
      c.fail(`${names[i - 1]} has shape [${ps}] but the input has ${channels} channels (dim 1 of [${c.imp.modelShape(x)}]); the model is invalid (onnxruntime rejects it too)`);
    }
  }
  const ins = [c.imp.relayout(x, clPerm(R), c.name), ...params.map((p, i) => paramInput(c, p, names[i]!))];
  c.imp.cross(`${c.where}: training-mode statistics mix the samples of a batch`);
  const outs = c.imp.emit('BatchNormTraining', c.name, ins, { epsilon, momentum: c.a.float('momentum', 0.9) }, 3);
  return [c.imp.dyn(outs[0]!, clPerm(R)), c.imp.dyn(outs[1]!), c.imp.dyn(outs[2]!)];
};

const matmul: Converter = (c) => {
  const merged = mergedMatmul(c, c.laidInput(0), c.laidInput(1));
  if (merged) return [merged];
  return [matmulOp(c, c.input(0), c.input(1))];
};

/**
 * MatMul/Gemm with a batch-merged operand (merged.ts): two computed tensors multiplied per
 * sample, or a Dense over the last dim with a constant matrix (and Gemm's row bias); null when
 * no operand is merged.
 */
function mergedMatmul(c: Ctx, a0: MVal | undefined, b0: MVal | undefined, gemmBias?: OVal): MVal | null {
  if (a0?.kind !== 'merged' && b0?.kind !== 'merged') return null;
  const a = laidOut(a0);
  const b = laidOut(b0);
  if (a && b) {
    const y = matmulMerged(c, a, b);
    if (y) return y;
  } else if (a && b0?.kind === 'const' && b0.t.shape.length === 2) {
    const x = lastDimLast(c, a);
    const M = b0.t.shape[1]!;
    const bias = gemmBias?.kind === 'const' && numel(gemmBias.t.shape) === M ? gemmBias.t : undefined;
    if (x && (!gemmBias || bias)) {
      const ins = [x.ir, c.irConst(b0.t, 'weight')];
      if (bias) ins.push(c.irConst(constOf([M], bias.data), 'bias'));
      const [o] = c.imp.emit('Dense', c.name, ins, {});
      return sameLayout(x, o!);
    }
  }
  c.imp.cross(`${c.where}: a product with a tensor merging the batch dim that cannot run per sample`);
  return null;
}

function transposed(c: Ctx, v: OVal): OVal {
  if (v.kind === 'const') return { kind: 'const', t: transposeConst(v.t, [1, 0]) };
  return { kind: 'dyn', ir: v.ir, perm: [v.perm[1]!, v.perm[0]!] };
}

const gemm: Converter = (c) => {
  const alpha = c.a.float('alpha', 1);
  const beta = c.a.float('beta', 1);
  if (c.laidInput(0)?.kind === 'merged' && alpha === 1 && beta === 1 && !c.a.int('transA', 0)) {
    // PyTorch's attention output projection on [T·N, E]: B is its weight, transposed.
    const b = c.input(1);
    const w = b.kind === 'const' && c.a.int('transB', 0) ? transposeConst(b.t, [1, 0]) : null;
    const merged = w ? mergedMatmul(c, c.laidInput(0), { kind: 'const', t: w }, c.opt(2)) : null;
    if (merged) return [merged];
  }
  let a = c.input(0);
  let b = c.input(1);
  if (c.a.int('transA', 0)) a = transposed(c, a);
  if (c.a.int('transB', 0)) b = transposed(c, b);
  const cIn = c.opt(2);
  if (a.kind === 'dyn' && b.kind === 'const') {
    // Dense: fold alpha into the weights and beta·C into the bias when C is a row vector.
    const w = alpha === 1 ? b.t : { shape: b.t.shape, data: b.t.data.map((v) => v * alpha), elem: b.t.elem };
    const M = w.shape[1]!;
    const rowBias = cIn?.kind === 'const' && numel(cIn.t.shape) <= M && cIn.t.shape.every((d, i, s) => i === s.length - 1 ? d === M || d === 1 : d === 1);
    const ins = [c.imp.plain(a, c.name), c.irConst(w, 'weight')];
    if (rowBias && cIn?.kind === 'const') {
      const bias = new Float64Array(M).map((_, m) => beta * cIn.t.data[numel(cIn.t.shape) === 1 ? 0 : m]!);
      ins.push(c.irConst(constOf([M], bias), 'bias'));
    }
    const [o] = c.imp.emit('Dense', c.name, ins, {});
    let y: OVal = c.imp.dyn(o!);
    if (cIn && !rowBias) y = addScaled(c, y, cIn, beta);
    return [y];
  }
  let y = matmulOp(c, a, b);
  if (alpha !== 1) y = binaryOp(c, 'Mul', y, { kind: 'const', t: constOf([], [alpha]) }, (p, q) => p * q);
  if (cIn) y = addScaled(c, y, cIn, beta);
  return [y];
};

function addScaled(c: Ctx, y: OVal, v: OVal, beta: number): OVal {
  let term = v;
  if (beta !== 1) term = binaryOp(c, 'Mul', v, { kind: 'const', t: constOf([], [beta]) }, (p, q) => p * q);
  return binaryOp(c, 'Add', y, term, (p, q) => p + q);
}

const pad: Converter = (c) => {
  const x = c.input(0);
  if (x.kind !== 'dyn') return c.fail('constant input is not supported');
  const R = x.perm.length;
  let pads: number[];
  let value = 0;
  const mode = c.a.string('mode', 'constant');
  if (c.opset < 11) {
    pads = c.a.ints('pads', []);
    value = c.a.float('value', 0);
  } else {
    pads = Array.from(c.constInput(1, 'pads').data);
    const v = c.optConst(2, 'constant_value');
    value = v ? v.data[0]! : 0;
    const axesT = c.optConst(3, 'axes');
    if (axesT) {
      const axes = Array.from(axesT.data, (a) => (a < 0 ? a + R : a));
      const full = new Array<number>(2 * R).fill(0);
      axes.forEach((a, i) => {
        full[a] = pads[i]!;
        full[a + R] = pads[i + axes.length]!;
      });
      pads = full;
    }
  }
  if (mode !== 'constant' && mode !== 'edge' && mode !== 'reflect') return c.fail(`mode '${mode}' is not supported (constant, edge, reflect are)`);
  return [padOp(c, x, pads, mode, value)];
};

const COORD_MODES = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn'];
const NEAREST_MODES = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];

const resize: Converter = (c) => {
  const x = c.input(0);
  if (x.kind !== 'dyn') return c.fail('constant input is not supported');
  const R = x.perm.length;
  const inShape = c.imp.modelShape(x);
  const legacy = c.op === 'Upsample' || c.opset < 11;
  let mode = c.a.string('mode', 'nearest');
  if (mode === 'bilinear' || mode === 'trilinear') mode = 'linear';
  if (mode === 'cubic') return c.fail("mode 'cubic' is not supported (nearest and linear are)");
  if (mode !== 'nearest' && mode !== 'linear') return c.fail(`unknown mode '${mode}'`);
  let coordMode = legacy ? 'asymmetric' : c.a.string('coordinate_transformation_mode', 'half_pixel');
  const nearestMode = legacy ? 'floor' : c.a.string('nearest_mode', 'round_prefer_floor');
  if (coordMode === 'tf_crop_and_resize') return c.fail("coordinate_transformation_mode 'tf_crop_and_resize' is not supported");
  if (!COORD_MODES.includes(coordMode)) return c.fail(`unknown coordinate_transformation_mode '${coordMode}'`);
  if (!NEAREST_MODES.includes(nearestMode)) return c.fail(`unknown nearest_mode '${nearestMode}'`);
  if (c.a.int('antialias', 0)) return c.fail('antialias is not supported');
  if (c.a.string('keep_aspect_ratio_policy', 'stretch') !== 'stretch') return c.fail('keep_aspect_ratio_policy other than stretch is not supported');
  if (legacy && coordMode !== 'asymmetric') coordMode = 'asymmetric';
  let scales: number[] | undefined;
  let sizes: number[] | undefined;
  if (c.op === 'Upsample' && c.opset < 9) scales = c.a.floats('scales', []);
  else if (legacy) scales = Array.from(c.constInput(1, 'scales').data);
  else {
    const s = c.optConst(2, 'scales');
    const z = c.optConst(3, 'sizes');
    if (s && s.data.length > 0) scales = Array.from(s.data);
    else if (z) sizes = Array.from(z.data);
    const axes = c.a.ints('axes');
    if (axes) {
      const fullS = new Array<number>(R).fill(1);
      const fullZ = [...inShape];
      axes.forEach((a0, i) => {
        const a = a0 < 0 ? a0 + R : a0;
        if (scales) fullS[a] = scales[i]!;
        if (sizes) fullZ[a] = sizes[i]!;
      });
      if (scales) scales = fullS;
      if (sizes) sizes = fullZ;
    }
  }
  if (!scales && !sizes) return c.fail('needs scales or sizes');
  const outShape = sizes ?? inShape.map((d, i) => Math.floor(d * scales![i]!));
  const sc = scales ?? outShape.map((d, i) => d / inShape[i]!);
  return [resizeOp(c, x, { mode, outShape, scales: sc, coordMode: coordMode as ResizeCoordMode, nearestMode: nearestMode as ResizeNearestMode })];
};

function recurrent(kind: 'LSTM' | 'GRU' | 'RNN'): Converter {
  return (c) => {
    const x = c.input(0);
    if (x.kind !== 'dyn') return c.fail('constant input is not supported');
    const layout = c.a.int('layout', 0);
    const direction = c.a.string('direction', 'forward');
    if (direction !== 'forward' && direction !== 'reverse' && direction !== 'bidirectional') return c.fail(`unknown direction '${direction}'`);
    const D = direction === 'bidirectional' ? 2 : 1;
    const hidden = c.a.int('hidden_size');
    if (!hidden) return c.fail('hidden_size is required');
    const xShape = c.imp.modelShape(x);
    const T = layout === 0 ? xShape[0]! : xShape[1]!;
    // With layout 0 the leading dim is time, not the batch: such models run unbatched.
    if (T === BATCH) c.imp.cross(`${c.where}: the leading dim of X is the sequence, not the batch`);
    // sequence_lens may be built from the batch size (every sample's length): check its one sample.
    const lens = c.anyInput(4);
    const seqLens = lens?.kind === 'batchConst' ? lens.t : c.optConst(4, 'sequence_lens');
    if (seqLens && Array.from(seqLens.data).some((v) => v !== T)) {
      return c.fail(`sequence_lens other than the full length ${T} is not supported (padded batches)`);
    }
    const statePerm = layout === 0 ? [1, 0, 2] : [0, 1, 2];
    const state = (i: number, base: string): string => {
      const any = c.anyInput(i);
      if (any?.kind === 'batchConst') {
        // PyTorch's initial state built from the batch size: one sample's [D, H] for every sample.
        if (any.axis !== (layout === 0 ? 1 : 0)) c.imp.cross(`${c.where}: ${base} has the batch size on its wrong axis`);
        if (any.t.data.every((x) => x === 0)) return ''; // ONNX's default state is zero
        return c.irConst(perSample(any), base);
      }
      const v = c.opt(i);
      if (!v) return '';
      if (v.kind === 'const') {
        c.imp.cross(`${c.where}: constant ${base} would be shared by every sample`);
        return c.irConst(layout === 0 ? transposeConst(v.t, [1, 0, 2]) : v.t, base);
      }
      return c.imp.relayout(v, statePerm, c.name);
    };
    const ins = [
      c.imp.relayout(x, layout === 0 ? [1, 0, 2] : [0, 1, 2], c.name),
      paramInput(c, c.input(1), 'W'),
      paramInput(c, c.input(2), 'R'),
      c.opt(3) ? paramInput(c, c.input(3), 'B') : '',
      state(5, 'initial_h'),
    ];
    if (kind === 'LSTM') ins.push(state(6, 'initial_c'), c.opt(7) ? paramInput(c, c.input(7), 'P') : '');
    while (ins[ins.length - 1] === '') ins.pop();
    let activations;
    try {
      const names = c.a.strings('activations') ?? DEFAULT_RECURRENT_ACTIVATIONS[kind];
      activations = parseRecurrentActivations(kind, D, names, c.a.floats('activation_alpha', []), c.a.floats('activation_beta', []));
    } catch (e) {
      return c.fail((e as Error).message);
    }
    const base = { hidden, direction: direction as 'forward', activations, clip: c.a.float('clip', 0) };
    const nOut = Math.max(1, ...c.node.outputs.map((o, i) => (o ? i + 1 : 0)));
    const outs =
      kind === 'LSTM'
        ? c.imp.emit('LSTM', c.name, ins, { ...base, inputForget: c.a.int('input_forget', 0) === 1 }, nOut)
        : kind === 'GRU'
          ? c.imp.emit('GRU', c.name, ins, { ...base, linearBeforeReset: c.a.int('linear_before_reset', 0) === 1 }, nOut)
          : c.imp.emit('RNN', c.name, ins, base, nOut);
    return outs.map((o, i) => c.imp.dyn(o, i === 0 ? (layout === 0 ? [1, 2, 0, 3] : [0, 1, 2, 3]) : statePerm));
  };
}

/** Per-axis parameters follow the tensor's layout; scalar ones need nothing. */
function quantAxis(c: Ctx, x: OVal, dflt: number): number {
  const R = x.kind === 'dyn' ? x.perm.length : x.t.shape.length;
  let axis = c.a.int('axis', dflt);
  if (axis < 0) axis += R;
  const irAxis = x.kind === 'dyn' ? x.perm[axis]! : axis;
  return irAxis - R;
}

const quantizeLinear: Converter = (c) => {
  const x = c.input(0);
  const scale = c.constInput(1, 'y_scale');
  const zp = c.optConst(2, 'y_zero_point');
  const zpType = (c.node.inputs[2] && zp?.elem) || 'uint8';
  const elem = zpType === 'int8' ? 'int8' : 'uint8';
  const attrs = { axis: quantAxis(c, x, 1), elem } as const;
  if (x.kind === 'const') return [{ kind: 'const', t: c.fold('QuantizeLinear', attrs, [x.t, scale, zp], elem)[0]! }];
  const ins = [x.ir, c.irConst(scale, 'scale')];
  if (zp) ins.push(c.irConst(zp, 'zero_point'));
  const [o] = c.imp.emit('QuantizeLinear', c.name, ins, attrs);
  return [c.imp.dyn(o!, x.perm)];
};

const dequantizeLinear: Converter = (c) => {
  const x = c.input(0);
  const scale = c.constInput(1, 'x_scale');
  const zp = c.optConst(2, 'x_zero_point');
  const attrs = { axis: quantAxis(c, x, 1) };
  if (x.kind === 'const') return [{ kind: 'const', t: c.fold('DequantizeLinear', attrs, [x.t, scale, zp], 'float32')[0]! }];
  const ins = [x.ir, c.irConst(scale, 'scale')];
  if (zp) ins.push(c.irConst(zp, 'zero_point'));
  const [o] = c.imp.emit('DequantizeLinear', c.name, ins, attrs);
  return [c.imp.dyn(o!, x.perm)];
};

/** Places a broadcast constant parameter next to x (like a binary op's constant). */
function placedParam(c: Ctx, x: Dyn, t: ConstT, base: string): string {
  const placed = c.imp.constFor(t, x.perm, c.name, `${c.name}_${base}`);
  if (placed === null) return c.fail(`${base} of shape [${t.shape.join(',')}] has more dims than the input`);
  return placed;
}

const quant: Converter = (c) => {
  const x = c.input(0);
  const scale = c.constInput(1, 'scale');
  const zp = c.constInput(2, 'zeropt');
  const bits = c.constInput(3, 'bitwidth');
  if (bits.data.length !== 1 || !Number.isInteger(bits.data[0]) || bits.data[0]! < 1) return c.fail('bitwidth must be a positive integer scalar');
  const attrs = {
    signed: c.a.int('signed', 1) === 1,
    narrow: c.a.int('narrow', 0) === 1,
    rounding: c.a.string('rounding_mode', 'ROUND'),
  };
  if (x.kind === 'const') {
    // Folded weights keep the type their quantizer defines (per-channel powers of two included).
    const folded = c.fold('Quant', attrs, [x.t, scale, zp, bits])[0]!;
    const t = foldedQuantType({ scale: scale.data, zeroPoint: zp.data, bits: bits.data[0]!, ...attrs });
    return [{ kind: 'const', t: t ? { ...folded, quantized: t } : folded }];
  }
  const ins = [x.ir, placedParam(c, x, scale, 'scale'), placedParam(c, x, zp, 'zeropt'), c.irConst(bits, 'bitwidth')];
  const [o] = c.imp.emit('Quant', c.name, ins, attrs);
  return [c.imp.dyn(o!, x.perm)];
};

const bipolarQuant: Converter = (c) => {
  const x = c.input(0);
  const scale = c.constInput(1, 'scale');
  if (x.kind === 'const') {
    const folded = c.fold('BipolarQuant', {}, [x.t, scale])[0]!;
    const t = foldedQuantType({ bipolar: scale.data });
    return [{ kind: 'const', t: t ? { ...folded, quantized: t } : folded }];
  }
  const [o] = c.imp.emit('BipolarQuant', c.name, [x.ir, placedParam(c, x, scale, 'scale')], {});
  return [c.imp.dyn(o!, x.perm)];
};

export const NN_CONVERTERS: Record<string, Converter> = {
  Gemm: gemm,
  MatMul: matmul,
  Conv: conv,
  ConvTranspose: convTranspose,
  MaxPool: pool('MaxPool'),
  AveragePool: pool('AvgPool'),
  GlobalAveragePool: globalPool('GlobalAvgPool'),
  GlobalMaxPool: globalPool('GlobalMaxPool'),
  BatchNormalization: batchNorm,
  Pad: pad,
  Upsample: resize,
  Resize: resize,
  LSTM: recurrent('LSTM'),
  GRU: recurrent('GRU'),
  RNN: recurrent('RNN'),
  QuantizeLinear: quantizeLinear,
  DequantizeLinear: dequantizeLinear,
};

/** QONNX ops, looked up when the node's domain is a QONNX/Brevitas one. */
export const QONNX_CONVERTERS: Record<string, Converter> = {
  Quant: quant,
  BipolarQuant: bipolarQuant,
};

export { elemOfOnnxType };
