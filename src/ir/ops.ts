/**
 * The closed op registry of the nn2hls IR. For every op: a one-line summary, the input arity,
 * shape inference and, where it has no fixed-point form, why; its typed attributes (OpAttrs,
 * the discriminated union of nodes) are declared in op-attrs.ts and re-exported here.
 * Conventions shared by all ops:
 *  - spatial ops are channels-last: activations are [...lead, spatial..., C]; any leading dims
 *    (the run-time batch, or explicit dims of an unbatched graph) pass through untouched;
 *  - axes in attributes are negative (counted from the end) so they mean the same thing with or
 *    without the run-time batch dim;
 *  - everything shape-like is static and resolved by the frontend (no dynamic shapes).
 * The verifier (verify.ts) and both executors dispatch on this table; nothing else lists ops.
 */
import type { ElemType, Node, Value } from './graph.js';
import { RECURRENT_GATES, type RecOp, recurrentActivationsProblem } from './semantics/recurrent.js';

export type { ConvAttrs, ConvTransposeAttrs, PoolAttrs, RecurrentActivation, RecurrentAttrs, ResizeCoordMode, ResizeNearestMode, OpAttrs, ReduceFn, ArgAttrs, OpKind } from './op-attrs.js';
import type { ArgAttrs, ConvAttrs, ConvTransposeAttrs, OpAttrs, OpKind, PoolAttrs, RecurrentAttrs, ReduceFn } from './op-attrs.js';

export interface OpInfo<K extends OpKind = OpKind> {
  readonly summary: string;
  /** [min, max] number of inputs. */
  readonly arity: readonly [number, number];
  readonly outputs: readonly [number, number];
  /**
   * Set when the op has no fixed-point form: why, and what to do. Such ops run in float (`run`)
   * and are refused by name at `simulate`/`compile`; `inspect` shows them as float-only.
   */
  readonly floatOnly?: string | ((attrs: OpAttrs[K]) => string | undefined);
  /**
   * Set when the op has no fixed-point kernel because canonicalization rewrites it into ops that
   * have one (Div by a constant, BatchNorm with constant statistics): why one was left, and what to do.
   */
  readonly rewritten?: string;
  /** Traits passes, reports and the backend ask about (see OpTrait); absent = none. */
  readonly traits?: readonly OpTrait[];
  /** The output's range whatever the input (auto-precision types such a result from it). */
  readonly range?: readonly [number, number];
  /**
   * Constant operands the precision config types, by input slot: `weight` (it scales) or `bias`
   * (it offsets). An elementwise op lists both operand slots (either may be the constant).
   */
  readonly constRoles?: { readonly [slot: number]: 'weight' | 'bias' };
  /** Parameter slots (weights, biases, recurrent weights) whose quantization error reports show. */
  readonly params?: readonly number[];
  /** Output shapes from input values; throws Error(message) on inconsistency. */
  infer(inputs: readonly (Value | undefined)[], attrs: OpAttrs[K]): ShapeResult[];
}

/**
 * What passes and reports need to know about an op beyond its shape:
 *  - keepsType: its output keeps its input's fixed-point type unless the config names one (data
 *    movement or selection);
 *  - selects: every output element is one of its input's elements, whatever the attributes;
 *  - maxOf: every output element is the maximum of some input elements (and 0, for Relu), so a
 *    monotone cast commutes with it;
 *  - quantizer: it implements a model quantizer, so its output type is the quantizer's own;
 *  - weightedSum: x·W (+ b) with constant weights W (weight rounding shifts its output mean);
 *  - channelsLast: it reads a channels-last spatial input [..., spatial..., C].
 */
export type OpTrait = 'keepsType' | 'selects' | 'maxOf' | 'quantizer' | 'weightedSum' | 'channelsLast';

const WEIGHT_BIAS = { 1: 'weight', 2: 'bias' } as const;
const SCALES = { 0: 'weight', 1: 'weight' } as const;
const OFFSETS = { 0: 'bias', 1: 'bias' } as const;

export interface ShapeResult {
  shape: number[];
  elem: ElemType;
}

const f32 = (shape: number[]): ShapeResult => ({ shape, elem: 'float32' });

function need(v: Value | undefined, what: string): Value {
  if (!v) throw new Error(`missing ${what}`);
  return v;
}

/** numpy broadcasting of two shapes; throws on mismatch. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out = new Array<number>(r);
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`shapes [${a.join(',')}] and [${b.join(',')}] do not broadcast`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Output length of one spatial dim of a conv/pool window. */
export function windowOut(
  inp: number,
  k: number,
  stride: number,
  dil: number,
  padBegin: number,
  padEnd: number,
  ceil = false,
): number {
  const span = dil * (k - 1) + 1;
  const num = inp + padBegin + padEnd - span;
  let out = (ceil ? Math.ceil(num / stride) : Math.floor(num / stride)) + 1;
  // ONNX/PyTorch: with ceil mode the last window must start inside the input or left padding.
  if (ceil && (out - 1) * stride >= inp + padBegin) out -= 1;
  return out;
}

function spatialCheck(x: Value, a: PoolAttrs | ConvAttrs, min = 1): { lead: number[]; sp: number[]; c: number } {
  const s = a.kernel.length;
  if (x.shape.length < s + min) {
    throw new Error(`input of rank ${x.shape.length} is too small for ${s} spatial dims plus channels`);
  }
  if (a.strides.length !== s || a.dilations.length !== s || a.pads.length !== 2 * s) {
    throw new Error(`kernel/strides/dilations/pads lengths disagree (${s} spatial dims)`);
  }
  const r = x.shape.length;
  return { lead: x.shape.slice(0, r - s - 1), sp: x.shape.slice(r - s - 1, r - 1), c: x.shape[r - 1]! };
}

function poolInfer(x: Value, a: PoolAttrs): number[] {
  const { lead, sp, c } = spatialCheck(x, a);
  const s = a.kernel.length;
  const out = sp.map((d, i) =>
    windowOut(d, a.kernel[i]!, a.strides[i]!, a.dilations[i]!, a.pads[i]!, a.pads[i + s]!, a.ceilMode),
  );
  if (out.some((d) => d < 1)) throw new Error(`window larger than padded input [${sp.join(',')}]`);
  return [...lead, ...out, c];
}

const unary = <K extends OpKind>(summary: string, floatOnly?: string): OpInfo<K> => ({
  summary,
  ...(floatOnly ? { floatOnly } : {}),
  arity: [1, 1],
  outputs: [1, 1],
  infer: (ins) => [f32([...need(ins[0], 'input').shape])],
});

const binary = <K extends OpKind>(summary: string, floatOnly?: string): OpInfo<K> => ({
  summary,
  ...(floatOnly ? { floatOnly } : {}),
  arity: [2, 2],
  outputs: [1, 1],
  infer: (ins) => [f32(broadcastShapes(need(ins[0], 'A').shape, need(ins[1], 'B').shape))],
});

function normAxis(axis: number, rank: number): number {
  if (axis >= 0 || axis < -rank) throw new Error(`axis ${axis} must be negative and within rank ${rank}`);
  return rank + axis;
}

function recurrentInfer(ins: readonly (Value | undefined)[], a: RecurrentAttrs, op: RecOp): ShapeResult[] {
  const gates = RECURRENT_GATES[op];
  const x = need(ins[0], 'X');
  const w = need(ins[1], 'W');
  const r = need(ins[2], 'R');
  const dirs = a.direction === 'bidirectional' ? 2 : 1;
  const bad = recurrentActivationsProblem(op, dirs, a.activations);
  if (bad) throw new Error(bad);
  if (x.shape.length < 2) throw new Error(`X must be [..., seq, input], got [${x.shape.join(',')}]`);
  const t = x.shape[x.shape.length - 2]!;
  const inSize = x.shape[x.shape.length - 1]!;
  const lead = x.shape.slice(0, -2);
  const H = a.hidden;
  const expectW = [dirs, gates * H, inSize];
  const expectR = [dirs, gates * H, H];
  if (w.shape.join() !== expectW.join()) throw new Error(`W must be [${expectW}], got [${w.shape}]`);
  if (r.shape.join() !== expectR.join()) throw new Error(`R must be [${expectR}], got [${r.shape}]`);
  return [f32([...lead, t, dirs, H]), f32([...lead, dirs, H]), f32([...lead, dirs, H])];
}

const NO_FIXED = (what: string) => `${what} has no fixed-point kernel yet; keep it out of the deployed graph (float \`run\` supports it)`;

/** Normalized (non-negative, ascending) axes of a reduction; empty means all dims. */
export function reduceAxes(axes: readonly number[], rank: number): number[] {
  if (axes.length === 0) return Array.from({ length: rank }, (_, i) => i);
  return axes.map((a) => normAxis(a, rank)).sort((p, q) => p - q);
}

function reduceShape(shape: readonly number[], axes: readonly number[], keepdims: boolean): number[] {
  const ax = reduceAxes(axes, shape.length);
  return keepdims ? shape.map((d, i) => (ax.includes(i) ? 1 : d)) : shape.filter((_, i) => !ax.includes(i));
}

function argInfer(ins: readonly (Value | undefined)[], a: ArgAttrs): ShapeResult[] {
  const x = need(ins[0], 'input');
  const ax = normAxis(a.axis, x.shape.length);
  return [{ shape: a.keepdims ? x.shape.map((d, i) => (i === ax ? 1 : d)) : x.shape.filter((_, i) => i !== ax), elem: 'int64' }];
}

export const OPS: { readonly [K in OpKind]: OpInfo<K> } = {
  Dense: {
    summary: 'fully connected layer x·W + b with constant weights',
    traits: ['weightedSum'],
    constRoles: WEIGHT_BIAS,
    params: [1, 2],
    arity: [2, 3],
    outputs: [1, 1],
    infer: (ins) => {
      const x = need(ins[0], 'input');
      const w = need(ins[1], 'weight');
      const k = x.shape[x.shape.length - 1];
      if (w.shape.length !== 2 || w.shape[0] !== k) {
        throw new Error(`weight must be [${k}, M] for input [${x.shape.join(',')}], got [${w.shape.join(',')}]`);
      }
      const b = ins[2];
      if (b && (b.shape.length !== 1 || b.shape[0] !== w.shape[1])) {
        throw new Error(`bias must be [${w.shape[1]}], got [${b.shape.join(',')}]`);
      }
      return [f32([...x.shape.slice(0, -1), w.shape[1]!])];
    },
  },
  MatMul: {
    summary: 'numpy-style matrix product of two tensors',
    arity: [2, 2],
    outputs: [1, 1],
    infer: (ins) => {
      let a = [...need(ins[0], 'A').shape];
      let b = [...need(ins[1], 'B').shape];
      const aVec = a.length === 1;
      const bVec = b.length === 1;
      if (aVec) a = [1, a[0]!];
      if (bVec) b = [b[0]!, 1];
      if (a[a.length - 1] !== b[b.length - 2]) {
        throw new Error(`inner dims differ: [${a.join(',')}] x [${b.join(',')}]`);
      }
      const batch = broadcastShapes(a.slice(0, -2), b.slice(0, -2));
      const out = [...batch];
      if (!aVec) out.push(a[a.length - 2]!);
      if (!bVec) out.push(b[b.length - 1]!);
      return [f32(out)];
    },
  },
  Conv: {
    summary: 'N-d convolution, channels-last, with groups (depthwise when group = channels)',
    traits: ['weightedSum', 'channelsLast'],
    constRoles: WEIGHT_BIAS,
    params: [1, 2],
    arity: [2, 3],
    outputs: [1, 1],
    infer: (ins, a: ConvAttrs) => {
      const x = need(ins[0], 'input');
      const w = need(ins[1], 'weight');
      const { lead, sp, c } = spatialCheck(x, a);
      const s = a.kernel.length;
      const cout = w.shape[w.shape.length - 1]!;
      const expectW = [...a.kernel, c / a.group, cout];
      if (c % a.group !== 0 || cout % a.group !== 0 || w.shape.join() !== expectW.join()) {
        throw new Error(`weight must be [${expectW.join(',')}] (group ${a.group}), got [${w.shape.join(',')}]`);
      }
      const out = sp.map((d, i) =>
        windowOut(d, a.kernel[i]!, a.strides[i]!, a.dilations[i]!, a.pads[i]!, a.pads[i + s]!),
      );
      if (out.some((d) => d < 1)) throw new Error(`kernel larger than padded input [${sp.join(',')}]`);
      return [f32([...lead, ...out, cout])];
    },
  },
  ConvTranspose: {
    summary: 'N-d transposed convolution, channels-last, with groups and output padding',
    traits: ['weightedSum', 'channelsLast'],
    constRoles: WEIGHT_BIAS,
    params: [1, 2],
    arity: [2, 3],
    outputs: [1, 1],
    infer: (ins, a: ConvTransposeAttrs) => {
      const x = need(ins[0], 'input');
      const w = need(ins[1], 'weight');
      const { lead, sp, c } = spatialCheck(x, a);
      const s = a.kernel.length;
      const coutG = w.shape[w.shape.length - 1]!;
      const expectW = [...a.kernel, c, coutG];
      if (w.shape.join() !== expectW.join() || c % a.group !== 0) {
        throw new Error(`weight must be [${expectW.join(',')}], got [${w.shape.join(',')}]`);
      }
      const out = sp.map(
        (d, i) =>
          a.strides[i]! * (d - 1) +
          a.outputPadding[i]! +
          (a.kernel[i]! - 1) * a.dilations[i]! +
          1 -
          a.pads[i]! -
          a.pads[i + s]!,
      );
      if (out.some((d) => d < 1)) throw new Error(`empty output [${out.join(',')}]`);
      return [f32([...lead, ...out, coutG * a.group])];
    },
  },
  MaxPool: {
    summary: 'max pooling over spatial windows, channels-last',
    traits: ['keepsType', 'selects', 'maxOf', 'channelsLast'],
    arity: [1, 1],
    outputs: [1, 1],
    infer: (ins, a: PoolAttrs) => [f32(poolInfer(need(ins[0], 'input'), a))],
  },
  AvgPool: {
    summary: 'average pooling over spatial windows, channels-last',
    traits: ['channelsLast'],
    arity: [1, 1],
    outputs: [1, 1],
    infer: (ins, a: PoolAttrs) => [f32(poolInfer(need(ins[0], 'input'), a))],
  },
  GlobalAvgPool: {
    summary: 'mean over all spatial dims (kept as size-1 dims), channels-last',
    traits: ['channelsLast'],
    arity: [1, 1],
    outputs: [1, 1],
    infer: (ins, a: { spatialRank: number }) => {
      const x = need(ins[0], 'input');
      const r = x.shape.length;
      if (r < a.spatialRank + 1) throw new Error(`input rank ${r} too small`);
      return [f32(x.shape.map((d, i) => (i >= r - 1 - a.spatialRank && i < r - 1 ? 1 : d)))];
    },
  },
  GlobalMaxPool: {
    summary: 'max over all spatial dims (kept as size-1 dims), channels-last',
    traits: ['keepsType', 'selects', 'maxOf', 'channelsLast'],
    arity: [1, 1],
    outputs: [1, 1],
    infer: (ins, a: { spatialRank: number }) => {
      const x = need(ins[0], 'input');
      const r = x.shape.length;
      if (r < a.spatialRank + 1) throw new Error(`input rank ${r} too small`);
      return [f32(x.shape.map((d, i) => (i >= r - 1 - a.spatialRank && i < r - 1 ? 1 : d)))];
    },
  },
  BatchNorm: {
    summary: 'inference batch normalization over the last (channel) axis',
    traits: ['channelsLast'],
    rewritten: 'non-constant batch-norm parameters are not supported',
    arity: [5, 5],
    outputs: [1, 1],
    infer: (ins) => {
      const x = need(ins[0], 'input');
      const c = x.shape[x.shape.length - 1];
      for (let i = 1; i < 5; i++) {
        const p = need(ins[i], 'parameter');
        if (p.shape.length !== 1 || p.shape[0] !== c) throw new Error(`parameter ${i} must be [${c}]`);
      }
      return [f32([...x.shape])];
    },
  },
  Affine: {
    summary: 'per-channel x·scale + bias (inference batch norm folded to two constants)',
    constRoles: WEIGHT_BIAS,
    params: [1, 2],
    arity: [3, 3],
    outputs: [1, 1],
    infer: (ins) => {
      const x = need(ins[0], 'input');
      const c = x.shape[x.shape.length - 1];
      for (let i = 1; i < 3; i++) {
        const p = need(ins[i], 'parameter');
        if (p.shape.length !== 1 || p.shape[0] !== c) throw new Error(`${i === 1 ? 'scale' : 'bias'} must be [${c}]`);
      }
      return [f32([...x.shape])];
    },
  },
  BatchNormTraining: {
    summary: 'training-mode batch normalization using this batch’s statistics',
    floatOnly: 'export the model in inference mode (model.eval())',
    arity: [5, 5],
    outputs: [1, 3],
    infer: (ins) => {
      const x = need(ins[0], 'input');
      const c = x.shape[x.shape.length - 1]!;
      return [f32([...x.shape]), f32([c]), f32([c])];
    },
  },
  Relu: { ...unary('max(x, 0)'), traits: ['maxOf'] },
  LeakyRelu: unary('x < 0 ? alpha·x : x'),
  Sigmoid: { ...unary('1 / (1 + exp(-x))'), range: [0, 1] },
  HardSigmoid: { ...unary('clamp(alpha·x + beta, 0, 1)'), range: [0, 1] },
  HardSwish: unary('x · clamp(x/6 + 1/2, 0, 1)'),
  Tanh: { ...unary('hyperbolic tangent'), range: [-1, 1] },
  Elu: unary('x < 0 ? alpha·(exp(x) − 1) : x'),
  Selu: unary('gamma · (x <= 0 ? alpha·(exp(x) − 1) : x)'),
  Softplus: unary('log(1 + exp(x))'),
  Softsign: { ...unary('x / (1 + |x|)'), range: [-1, 1] },
  ThresholdedRelu: unary('x > alpha ? x : 0'),
  Clip: unary('clamp(x, min, max)'),
  Add: { ...binary('elementwise a + b with broadcasting'), constRoles: OFFSETS },
  Sub: { ...binary('elementwise a − b with broadcasting'), constRoles: OFFSETS },
  Mul: { ...binary('elementwise a · b with broadcasting'), constRoles: SCALES },
  Div: { ...binary('elementwise a / b with broadcasting'), rewritten: 'only division by a constant is supported (it becomes a multiply)' },
  Max: { ...binary('elementwise max(a, b) with broadcasting'), constRoles: OFFSETS },
  Min: { ...binary('elementwise min(a, b) with broadcasting'), constRoles: OFFSETS },
  PRelu: {
    summary: 'x < 0 ? slope·x : x with slope broadcast to x',
    constRoles: SCALES,
    arity: [2, 2],
    outputs: [1, 1],
    infer: (ins) => {
      const x = need(ins[0], 'X');
      const out = broadcastShapes(x.shape, need(ins[1], 'slope').shape);
      if (out.join() !== x.shape.join()) throw new Error(`slope must broadcast to input [${x.shape.join(',')}]`);
      return [f32(out)];
    },
  },
  LayerNorm: {
    summary: 'layer normalization over the trailing dims: (x − mean)/sqrt(var + eps)·scale + bias (fixed point: 1/sqrt table)',
    arity: [2, 3],
    outputs: [1, 1],
    infer: (ins, a: { axis: number }) => {
      const x = need(ins[0], 'input');
      const ax = normAxis(a.axis, x.shape.length);
      const norm = x.shape.slice(ax);
      for (let i = 1; i < ins.length; i++) {
        const p = ins[i];
        if (!p) continue;
        if (p.shape.reduce((q, d) => q * d, 1) !== norm.reduce((q, d) => q * d, 1) || broadcastShapes(p.shape, norm).join() !== norm.join()) {
          throw new Error(`${i === 1 ? 'scale' : 'bias'} [${p.shape.join(',')}] must have the normalized dims' shape [${norm.join(',')}]`);
        }
      }
      return [f32([...x.shape])];
    },
  },
  Gelu: unary('x·Φ(x), Φ the normal CDF (fixed point: x times a Φ lookup table)'),
  Softmax: {
    summary: 'exp(x) / sum(exp(x)) along an axis',
    range: [0, 1],
    arity: [1, 1],
    outputs: [1, 1],
    infer: (ins, a: { axis: number }) => {
      const x = need(ins[0], 'input');
      normAxis(a.axis, x.shape.length);
      return [f32([...x.shape])];
    },
  },
  LogSoftmax: {
    summary: 'x − log(sum(exp(x))) along an axis',
    floatOnly: 'replace it by Softmax (argmax is the same) or leave it out of the deployed graph',
    arity: [1, 1],
    outputs: [1, 1],
    infer: (ins, a: { axis: number }) => {
      const x = need(ins[0], 'input');
      normAxis(a.axis, x.shape.length);
      return [f32([...x.shape])];
    },
  },
  Reshape: {
    summary: 'same elements, new static shape',
    traits: ['keepsType', 'selects'],
    arity: [1, 1],
    outputs: [1, 1],
    infer: (ins, a: { shape: readonly number[] }) => {
      const x = need(ins[0], 'input');
      const n = x.shape.reduce((p, d) => p * d, 1);
      const m = a.shape.reduce((p, d) => p * d, 1);
      if (a.shape.some((d) => !Number.isInteger(d) || d < 0) || n !== m) {
        throw new Error(`cannot reshape [${x.shape.join(',')}] to [${a.shape.join(',')}]`);
      }
      return [{ shape: [...a.shape], elem: x.elem }];
    },
  },
  Transpose: {
    summary: 'permute dims',
    traits: ['keepsType', 'selects'],
    arity: [1, 1],
    outputs: [1, 1],
    infer: (ins, a: { perm: readonly number[] }) => {
      const x = need(ins[0], 'input');
      const sorted = [...a.perm].sort((p, q) => p - q);
      if (a.perm.length !== x.shape.length || sorted.some((p, i) => p !== i)) {
        throw new Error(`perm [${a.perm.join(',')}] is not a permutation of rank ${x.shape.length}`);
      }
      return [{ shape: a.perm.map((p) => x.shape[p]!), elem: x.elem }];
    },
  },
  Concat: {
    summary: 'join tensors along an axis',
    arity: [1, 1 << 20],
    outputs: [1, 1],
    infer: (ins, a: { axis: number }) => {
      const first = need(ins[0], 'input');
      const r = first.shape.length;
      const ax = normAxis(a.axis, r);
      const out = [...first.shape];
      out[ax] = 0;
      for (const v of ins) {
        const s = need(v, 'input').shape;
        if (s.length !== r || s.some((d, i) => i !== ax && d !== first.shape[i])) {
          throw new Error(`inputs [${first.shape.join(',')}] and [${s.join(',')}] differ off axis ${a.axis}`);
        }
        out[ax]! += s[ax]!;
      }
      return [{ shape: out, elem: first.elem }];
    },
  },
  Pad: {
    summary: 'pad (or crop, with negative pads) with a constant, edge or reflection',
    traits: ['keepsType'],
    arity: [1, 1],
    outputs: [1, 1],
    infer: (ins, a: { pads: readonly number[]; mode: string }) => {
      const x = need(ins[0], 'input');
      const r = x.shape.length;
      if (a.pads.length !== 2 * r) throw new Error(`pads must have ${2 * r} entries, got ${a.pads.length}`);
      const out = x.shape.map((d, i) => d + a.pads[i]! + a.pads[i + r]!);
      if (out.some((d) => d < 0)) throw new Error(`negative output dim [${out.join(',')}]`);
      if (a.mode === 'reflect' && x.shape.some((d, i) => d < 2 && (a.pads[i]! > 0 || a.pads[i + r]! > 0))) {
        throw new Error('reflect padding needs at least 2 elements along padded dims');
      }
      return [{ shape: out, elem: x.elem }];
    },
  },
  Resize: {
    summary: 'nearest or (multi)linear resampling to a static output shape',
    traits: ['keepsType'],
    arity: [1, 1],
    outputs: [1, 1],
    infer: (ins, a: { outShape: readonly number[]; scales: readonly number[] }) => {
      const x = need(ins[0], 'input');
      if (a.outShape.length !== x.shape.length || a.scales.length !== x.shape.length) {
        throw new Error(`output shape/scales must have rank ${x.shape.length}`);
      }
      return [f32([...a.outShape])];
    },
  },
  LSTM: {
    summary: 'long short-term memory layer (ONNX gate order i, o, f, c)',
    params: [1, 2, 3, 6],
    arity: [3, 8],
    outputs: [1, 3],
    infer: (ins, a: RecurrentAttrs) => recurrentInfer(ins, a, 'LSTM'),
  },
  GRU: {
    summary: 'gated recurrent unit layer (ONNX gate order z, r, h)',
    params: [1, 2, 3],
    arity: [3, 6],
    outputs: [1, 2],
    infer: (ins, a: RecurrentAttrs) => recurrentInfer(ins, a, 'GRU').slice(0, 2),
  },
  RNN: {
    summary: 'simple recurrent layer h = f(x·Wᵀ + h·Rᵀ + b)',
    params: [1, 2, 3],
    arity: [3, 6],
    outputs: [1, 2],
    infer: (ins, a: RecurrentAttrs) => recurrentInfer(ins, a, 'RNN').slice(0, 2),
  },
  QuantizeLinear: {
    summary: 'float to int8/uint8 with scale and zero point (round half to even, saturate)',
    traits: ['quantizer'],
    arity: [2, 3],
    outputs: [1, 1],
    infer: (ins, a: { elem: 'int8' | 'uint8' }) => [{ shape: [...need(ins[0], 'x').shape], elem: a.elem }],
  },
  DequantizeLinear: {
    summary: '(x − zero point) · scale',
    traits: ['quantizer'],
    arity: [2, 3],
    outputs: [1, 1],
    infer: (ins) => [f32([...need(ins[0], 'x').shape])],
  },
  Quant: {
    summary: 'QONNX uniform quantization: scale·(clamp(round(x/scale + zp)) − zp)',
    traits: ['quantizer'],
    arity: [4, 4],
    outputs: [1, 1],
    infer: (ins) => [f32([...need(ins[0], 'x').shape])],
  },
  BipolarQuant: {
    summary: 'QONNX binary quantization: x >= 0 ? scale : −scale',
    traits: ['quantizer'],
    arity: [2, 2],
    outputs: [1, 1],
    infer: (ins) => [f32([...need(ins[0], 'x').shape])],
  },
  Abs: unary('|x|'),
  Neg: unary('−x'),
  Exp: unary('e^x (fixed point: lookup table)'),
  Log: unary('natural logarithm (fixed point: lookup table)'),
  Sqrt: unary('square root (fixed point: lookup table)'),
  Reciprocal: unary('1 / x (fixed point: lookup table)'),
  Sign: unary('−1, 0 or 1 by the sign of x'),
  Floor: unary('largest integer ≤ x'),
  Ceil: unary('smallest integer ≥ x'),
  Round: unary('nearest integer, halves to even'),
  Erf: { ...unary('Gauss error function (fixed point: lookup table)'), range: [-1, 1] },
  Mish: unary('x · tanh(softplus(x)) (fixed point: lookup table)'),
  Pow: binary('elementwise a^b with broadcasting', NO_FIXED('Pow')),
  Equal: binary('1 where a = b else 0, broadcasting', 'a comparison produces a boolean mask, which has no fixed-point datapath; fold it into constants'),
  Greater: binary('1 where a > b else 0, broadcasting', 'a comparison produces a boolean mask, which has no fixed-point datapath; fold it into constants'),
  Less: binary('1 where a < b else 0, broadcasting', 'a comparison produces a boolean mask, which has no fixed-point datapath; fold it into constants'),
  Where: {
    summary: 'cond ? a : b with broadcasting',
    floatOnly: 'selection by a run-time boolean mask has no fixed-point kernel yet',
    arity: [3, 3],
    outputs: [1, 1],
    infer: (ins) => [
      f32(broadcastShapes(broadcastShapes(need(ins[0], 'cond').shape, need(ins[1], 'X').shape), need(ins[2], 'Y').shape)),
    ],
  },
  Reduce: {
    summary: 'reduction (sum, mean, max, min, product, L1, L2, sum of squares, log-sum-exp) over axes',
    arity: [1, 1],
    outputs: [1, 1],
    floatOnly: (a: { fn: ReduceFn }) =>
      ['Sum', 'Mean', 'Max', 'Min'].includes(a.fn) ? undefined : NO_FIXED(`Reduce${a.fn === 'SumSquare' ? 'SumSquare' : a.fn}`),
    infer: (ins, a: { axes: readonly number[]; keepdims: boolean }) => {
      const x = need(ins[0], 'input');
      return [f32(reduceShape(x.shape, a.axes, a.keepdims))];
    },
  },
  ArgMax: {
    summary: 'index of the largest element along an axis',
    arity: [1, 1],
    outputs: [1, 1],
    floatOnly: 'an index output has no fixed-point form; take the argmax of the simulated output instead',
    infer: (ins, a: ArgAttrs) => argInfer(ins, a),
  },
  ArgMin: {
    summary: 'index of the smallest element along an axis',
    arity: [1, 1],
    outputs: [1, 1],
    floatOnly: 'an index output has no fixed-point form; take the argmin of the simulated output instead',
    infer: (ins, a: ArgAttrs) => argInfer(ins, a),
  },
  Slice: {
    summary: 'strided static slice of the own dims',
    traits: ['keepsType', 'selects'],
    arity: [1, 1],
    outputs: [1, 1],
    infer: (ins, a: { starts: readonly number[]; steps: readonly number[]; shape: readonly number[] }) => {
      const x = need(ins[0], 'input');
      const r = x.shape.length;
      if (a.starts.length !== r || a.steps.length !== r || a.shape.length !== r) throw new Error(`starts/steps/shape must have ${r} entries`);
      x.shape.forEach((d, i) => {
        const last = a.starts[i]! + (a.shape[i]! - 1) * a.steps[i]!;
        if (a.shape[i]! > 0 && (a.starts[i]! < 0 || a.starts[i]! >= d || last < 0 || last >= d || a.steps[i] === 0)) {
          throw new Error(`slice of dim ${i} (size ${d}) from ${a.starts[i]} by ${a.steps[i]} for ${a.shape[i]} leaves the input`);
        }
      });
      return [{ shape: [...a.shape], elem: x.elem }];
    },
  },
  Tile: {
    summary: 'repeat the tensor along each dim',
    traits: ['keepsType', 'selects'],
    arity: [1, 1],
    outputs: [1, 1],
    infer: (ins, a: { repeats: readonly number[] }) => {
      const x = need(ins[0], 'input');
      if (a.repeats.length !== x.shape.length || a.repeats.some((k) => !Number.isInteger(k) || k < 0)) {
        throw new Error(`repeats [${a.repeats.join(',')}] must be ${x.shape.length} non-negative integers`);
      }
      return [{ shape: x.shape.map((d, i) => d * a.repeats[i]!), elem: x.elem }];
    },
  },
  Expand: {
    summary: 'broadcast the tensor to a larger shape',
    traits: ['keepsType', 'selects'],
    arity: [1, 1],
    outputs: [1, 1],
    infer: (ins, a: { shape: readonly number[] }) => {
      const x = need(ins[0], 'input');
      const out = broadcastShapes(x.shape, a.shape);
      if (out.length !== a.shape.length || out.some((d, i) => d !== a.shape[i])) {
        throw new Error(`[${x.shape.join(',')}] does not expand to [${a.shape.join(',')}]`);
      }
      return [{ shape: out, elem: x.elem }];
    },
  },
  Gather: {
    summary: 'select entries along an axis by constant indices',
    traits: ['keepsType', 'selects'],
    arity: [1, 1],
    outputs: [1, 1],
    infer: (ins, a: { axis: number; indices: readonly number[]; indicesShape: readonly number[] }) => {
      const x = need(ins[0], 'input');
      const ax = normAxis(a.axis, x.shape.length);
      if (a.indices.length !== a.indicesShape.reduce((p, d) => p * d, 1)) throw new Error('indices do not fill indicesShape');
      if (a.indices.some((i) => !Number.isInteger(i) || i < 0 || i >= x.shape[ax]!)) {
        throw new Error(`indices must lie in [0, ${x.shape[ax]})`);
      }
      return [{ shape: [...x.shape.slice(0, ax), ...a.indicesShape, ...x.shape.slice(ax + 1)], elem: x.elem }];
    },
  },
  Embedding: {
    summary: 'rows of a constant table selected by run-time integer indices',
    arity: [2, 2],
    outputs: [1, 1],
    floatOnly: 'a lookup by run-time indices has no fixed-point kernel yet',
    infer: (ins) => {
      const idx = need(ins[0], 'indices');
      const t = need(ins[1], 'table');
      if (t.shape.length < 1) throw new Error('table must have at least one dim');
      return [f32([...idx.shape, ...t.shape.slice(1)])];
    },
  },
};

/** Why a node has no fixed-point form (the registry's floatOnly trait), or undefined when it is deployable. */
export function floatOnlyReason(n: Node): string | undefined {
  return nodeInfo(n).floatOnly(n.attrs);
}

export function opInfo<K extends OpKind>(op: K): OpInfo<K> {
  return OPS[op];
}

/**
 * What constant operand `slot` of op is to reports and the precision config: a layer's `weight`
 * or `bias` (its constRoles), else `const` (an elementwise op's operand, either of which may be
 * the constant).
 */
export function constOperandName(op: OpKind, slot: number): 'weight' | 'bias' | 'const' {
  const r = OPS[op].constRoles;
  return r && !(0 in r) ? (r[slot] ?? 'const') : 'const';
}

/** Whether op has trait t (the registry's traits). */
export function hasTrait(op: OpKind, t: OpTrait): boolean {
  return OPS[op].traits?.includes(t) ?? false;
}

/** Output shapes of `op` over `inputs` (the registry's shape inference). */
export function inferShapes<K extends OpKind>(op: K, inputs: readonly (Value | undefined)[], attrs: OpAttrs[K]): ShapeResult[] {
  const info: OpInfo<K> = OPS[op];
  return info.infer(inputs, attrs);
}

export function inferNode(n: Node, inputs: readonly (Value | undefined)[]): ShapeResult[] {
  return nodeInfo(n).infer(inputs, n.attrs);
}

/**
 * The registry's entry for a node, typed for that node's attrs. The one cast of the registry's
 * dispatch: `Node` is a union over ops, and TypeScript cannot correlate `OPS[n.op]` with `n.attrs`
 * of the same member (the "correlated union" limitation), so the pairing that the table
 * guarantees by construction is asserted here once.
 */
function nodeInfo(n: Node): { floatOnly(attrs: Node['attrs']): string | undefined; infer(inputs: readonly (Value | undefined)[], attrs: Node['attrs']): ShapeResult[] } {
  const info = OPS[n.op] as OpInfo<OpKind>;
  const f = info.floatOnly;
  return {
    floatOnly: (a) => (typeof f === 'function' ? f(a) : f),
    infer: (ins, a) => info.infer(ins, a),
  };
}

export function isOpKind(s: string): s is OpKind {
  return Object.prototype.hasOwnProperty.call(OPS, s);
}
