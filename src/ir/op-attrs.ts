/**
 * The typed attributes of every IR op (OpAttrs, keyed by op name: the discriminated union of
 * nodes) and the small attribute types they share (convolution, pooling, recurrent, resize,
 * reduction). The registry that gives each op its summary, arity and shape inference is ops.ts,
 * which re-exports everything here.
 */
export interface ConvAttrs {
  /** Spatial kernel size, e.g. [3,3]. Its length is the number of spatial dims. */
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  /** [begin_0, begin_1, ..., end_0, end_1, ...] as in ONNX, explicit (auto_pad resolved). */
  readonly pads: readonly number[];
  readonly group: number;
}

export interface ConvTransposeAttrs extends ConvAttrs {
  readonly outputPadding: readonly number[];
}

export interface PoolAttrs {
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  readonly pads: readonly number[];
  /** Output size uses ceil instead of floor; windows may then hang over the padded input. */
  readonly ceilMode: boolean;
}

export interface RecurrentAttrs {
  readonly hidden: number;
  readonly direction: 'forward' | 'reverse' | 'bidirectional';
  /**
   * The cell's activations per direction (forward first), one per slot in ONNX's order: LSTM
   * f (gates), g (candidate), h (output); GRU f, g; RNN f. Parsed once at import from the model's
   * names and parameters (src/ir/semantics/recurrent.ts), with every default filled in.
   */
  readonly activations: readonly (readonly RecurrentActivation[])[];
  /** Cell clip threshold, 0 = none. */
  readonly clip: number;
}

/** One activation function of a recurrent cell, as ONNX names them, with its parameters. */
export type RecurrentActivation =
  | { readonly fn: 'Sigmoid' | 'Tanh' | 'Relu' | 'Softsign' | 'Softplus' }
  /** LeakyRelu: x ≥ 0 ? x : αx; ThresholdedRelu: x > α ? x : 0; Elu: x ≥ 0 ? x : α(e^x − 1). */
  | { readonly fn: 'LeakyRelu' | 'ThresholdedRelu' | 'Elu'; readonly alpha: number }
  /** HardSigmoid: clamp(αx + β, 0, 1); Affine: αx + β; ScaledTanh: α·tanh(βx). */
  | { readonly fn: 'HardSigmoid' | 'Affine' | 'ScaledTanh'; readonly alpha: number; readonly beta: number };

export type ResizeCoordMode =
  | 'half_pixel'
  | 'pytorch_half_pixel'
  | 'align_corners'
  | 'asymmetric'
  | 'tf_half_pixel_for_nn';
export type ResizeNearestMode = 'round_prefer_floor' | 'round_prefer_ceil' | 'floor' | 'ceil';

export interface OpAttrs {
  /** x[..., K] · W[K, M] (+ b[M]) -> [..., M]; W, b constant. */
  Dense: Record<string, never>;
  /** numpy matmul of two tensors (either may be dynamic). */
  MatMul: Record<string, never>;
  /** x[..., S..., Cin] * W[k..., Cin/group, Cout] (+ b[Cout]) -> [..., S'..., Cout]. */
  Conv: ConvAttrs;
  /** x[..., S..., Cin], W[k..., Cin, Cout/group] (+ b[Cout]) -> [..., S'..., Cout]. */
  ConvTranspose: ConvTransposeAttrs;
  MaxPool: PoolAttrs;
  AvgPool: PoolAttrs & { readonly countIncludePad: boolean };
  GlobalAvgPool: { readonly spatialRank: number };
  GlobalMaxPool: { readonly spatialRank: number };
  /** y = (x - mean) / sqrt(var + eps) * scale + bias over the last (channel) axis. */
  BatchNorm: { readonly epsilon: number };
  /** y = x·scale[c] + bias[c] over the last (channel) axis; scale, bias constant (folded BatchNorm). */
  Affine: Record<string, never>;
  /** Training-mode batch norm: statistics of this batch; outputs y, running mean, running var. */
  BatchNormTraining: { readonly epsilon: number; readonly momentum: number };
  Relu: Record<string, never>;
  LeakyRelu: { readonly alpha: number };
  Sigmoid: Record<string, never>;
  HardSigmoid: { readonly alpha: number; readonly beta: number };
  HardSwish: Record<string, never>;
  Tanh: Record<string, never>;
  Elu: { readonly alpha: number };
  Selu: { readonly alpha: number; readonly gamma: number };
  Softplus: Record<string, never>;
  Softsign: Record<string, never>;
  ThresholdedRelu: { readonly alpha: number };
  /** Clamp to [min, max] (±Infinity when absent). */
  Clip: { readonly min: number; readonly max: number };
  Add: Record<string, never>;
  Sub: Record<string, never>;
  Mul: Record<string, never>;
  Div: Record<string, never>;
  Max: Record<string, never>;
  Min: Record<string, never>;
  /** x < 0 ? slope * x : x, slope broadcast to x. */
  PRelu: Record<string, never>;
  /**
   * Layer normalization over the dims from `axis` (negative) to the end:
   * y = (x − mean) / sqrt(var + epsilon) · scale + bias; scale (and bias) constant, of those dims' shape.
   */
  LayerNorm: { readonly axis: number; readonly epsilon: number };
  /** x · Φ(x), Φ the normal CDF (`approximate: 'tanh'`: its tanh approximation). */
  Gelu: { readonly approximate: 'none' | 'tanh' };
  /** Softmax over `axis` (negative), or over all dims from axis to the end when toEnd (opset < 13). */
  Softmax: { readonly axis: number; readonly toEnd: boolean };
  LogSoftmax: { readonly axis: number; readonly toEnd: boolean };
  /** Same data, new static shape (row-major order kept). */
  Reshape: { readonly shape: readonly number[] };
  /** Permute the value's own dims (leading run-time dims stay first). */
  Transpose: { readonly perm: readonly number[] };
  Concat: { readonly axis: number };
  Pad: {
    readonly mode: 'constant' | 'edge' | 'reflect';
    /** [begin per dim..., end per dim...] over the value's own dims; may be negative (crop). */
    readonly pads: readonly number[];
    readonly value: number;
  };
  Resize: {
    readonly mode: 'nearest' | 'linear';
    /** Scale per dim of the value (output/input), as used by the coordinate transform. */
    readonly scales: readonly number[];
    readonly outShape: readonly number[];
    readonly coordMode: ResizeCoordMode;
    readonly nearestMode: ResizeNearestMode;
  };
  /** x[..., T, I], W, R, B?, h0?[..., D, H], c0?[..., D, H], P? -> Y[..., T, D, H], Yh, Yc. */
  LSTM: RecurrentAttrs & { readonly inputForget: boolean };
  GRU: RecurrentAttrs & { readonly linearBeforeReset: boolean };
  RNN: RecurrentAttrs;
  /** y = saturate(round_half_even(x / scale) + zero_point); scale/zp per tensor or along axis. */
  QuantizeLinear: { readonly axis: number; readonly elem: 'int8' | 'uint8' };
  DequantizeLinear: { readonly axis: number };
  /** QONNX Quant: inputs x, scale, zeropt, bitwidth (all but x constant). */
  Quant: { readonly signed: boolean; readonly narrow: boolean; readonly rounding: string };
  /** QONNX BipolarQuant: x >= 0 ? scale : -scale. */
  BipolarQuant: Record<string, never>;
  Abs: Record<string, never>;
  Neg: Record<string, never>;
  Exp: Record<string, never>;
  Log: Record<string, never>;
  Sqrt: Record<string, never>;
  Reciprocal: Record<string, never>;
  Sign: Record<string, never>;
  Floor: Record<string, never>;
  Ceil: Record<string, never>;
  /** Round half to even. */
  Round: Record<string, never>;
  Erf: Record<string, never>;
  Mish: Record<string, never>;
  /** a^b with broadcasting. */
  Pow: Record<string, never>;
  /** 1 where a == b (else 0), broadcasting. */
  Equal: Record<string, never>;
  Greater: Record<string, never>;
  Less: Record<string, never>;
  /** cond != 0 ? a : b, broadcasting all three. */
  Where: Record<string, never>;
  /** Reduction over `axes` (negative, ascending; all dims of the value when empty), keeping them as 1s when keepdims. */
  Reduce: { readonly fn: ReduceFn; readonly axes: readonly number[]; readonly keepdims: boolean };
  /** Index of the largest element along `axis` (negative); first occurrence unless selectLast. */
  ArgMax: ArgAttrs;
  ArgMin: ArgAttrs;
  /** y[k...] = x[start + k·step ...] per own dim; `shape` is the output shape (static slice). */
  Slice: { readonly starts: readonly number[]; readonly steps: readonly number[]; readonly shape: readonly number[] };
  /** Repeat the value `repeats[d]` times along each own dim d. */
  Tile: { readonly repeats: readonly number[] };
  /** Broadcast the value to `shape` (numpy rules; the result's own dims). */
  Expand: { readonly shape: readonly number[] };
  /** Select along `axis` (negative) by constant indices (non-negative), numpy take. */
  Gather: { readonly axis: number; readonly indices: readonly number[]; readonly indicesShape: readonly number[] };
  /** table[idx] rows: integer indices (run time) into a constant table [V, ...] -> [...idx, ...]. */
  Embedding: Record<string, never>;
}

export type ReduceFn = 'Sum' | 'Mean' | 'Max' | 'Min' | 'Prod' | 'L1' | 'L2' | 'SumSquare' | 'LogSumExp';

export interface ArgAttrs {
  readonly axis: number;
  readonly keepdims: boolean;
  readonly selectLast: boolean;
}

export type OpKind = keyof OpAttrs;
