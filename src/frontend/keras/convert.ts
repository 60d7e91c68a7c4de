/**
 * The Keras-layer converter table: one entry per Keras (and QKeras) layer class, turning a layer
 * call into IR nodes on the importer. Keras tensors are batch-first and channels-last, exactly
 * the IR's convention, so values map one to one (a `channels_first` layer is wrapped in two
 * Transposes). Weights come from the container's store in Keras order and are checked against
 * the shapes the layer implies. QKeras kernel/bias quantizers are applied to the weights here
 * (as QKeras does at inference) and their exact types recorded for the layer's node; quantized
 * activations become the float op plus a result type. Every error names the layer.
 */
import type { FixedType } from '../../ir/fixed.js';
import { numel } from '../../ir/graph.js';
import type { ConvAttrs } from '../../ir/ops.js';
import { NnInputError } from '../../util/tensor.js';
import type { Importer } from '../common/importer.js';
import type { LayerCall } from './topology.js';
import type { WeightTensor } from './containers.js';
import { activationQuantizer, parseQuantizer, quantizeWeights, type QSpec } from './qkeras.js';

type Obj = Record<string, unknown>;

/** Types a QKeras layer fixes for one IR node (precision config variables). */
export interface NodeTypes {
  weight?: FixedType;
  bias?: FixedType;
  recurrent_weight?: FixedType;
  result?: FixedType;
}

export class LayerCtx {
  private cachedWeights: WeightTensor[] | null = null;
  constructor(
    readonly imp: Importer,
    readonly call: LayerCall,
    readonly ins: readonly string[],
    private readonly loadWeights: () => WeightTensor[],
    readonly kerasMajor: number,
    readonly types: Map<string, NodeTypes>,
    readonly notes: string[],
  ) {}

  get name(): string {
    return this.call.name;
  }
  get cfg(): Obj {
    return this.call.config;
  }
  get where(): string {
    return `${this.imp.source}: layer '${this.call.name}' (${this.call.className})`;
  }
  fail(msg: string): never {
    throw new NnInputError(`${this.where}: ${msg}`);
  }
  x(i = 0): string {
    const v = this.ins[i];
    if (v === undefined) this.fail(`expects input ${i}, got ${this.ins.length}`);
    return v;
  }
  shape(v: string): readonly number[] {
    return this.imp.irShape(v);
  }
  num(key: string, d: number): number {
    const v = this.cfg[key];
    return v === undefined || v === null ? d : Number(v);
  }
  bool(key: string, d: boolean): boolean {
    const v = this.cfg[key];
    return v === undefined || v === null ? d : Boolean(v);
  }
  str(key: string, d: string): string {
    const v = this.cfg[key];
    return typeof v === 'string' ? v : d;
  }
  ints(key: string, n: number, d: number): number[] {
    const v = this.cfg[key];
    if (v === undefined || v === null) return new Array<number>(n).fill(d);
    const a = Array.isArray(v) ? v.map(Number) : [Number(v)];
    if (a.length === 1 && n > 1) return new Array<number>(n).fill(a[0]!);
    if (a.length !== n) this.fail(`${key} must have ${n} entries, got ${JSON.stringify(v)}`);
    return a;
  }
  weights(): WeightTensor[] {
    if (!this.cachedWeights) this.cachedWeights = this.loadWeights();
    return this.cachedWeights;
  }
  /** The k-th weight, checked against the shape the layer implies. */
  weight(k: number, what: string, expect: readonly number[] | null): WeightTensor {
    const w = this.weights()[k];
    if (!w) {
      this.fail(`missing weights: expected ${what} (weight ${k}), the file holds ${this.weights().length} weight(s) for this layer; is the weights file from this model?`);
    }
    if (expect && w.shape.join() !== expect.join()) {
      this.fail(`${what} has shape [${w.shape.join(',')}], expected [${expect.join(',')}] for this layer's input; weights and architecture do not match`);
    }
    return w;
  }
  quantizer(key: string): QSpec | null {
    return this.quantizerOf(this.cfg, key);
  }
  quantizerOf(cfg: Obj, key: string): QSpec | null {
    return parseQuantizer(cfg[key], `${this.where}: ${key}`);
  }
  /** The same call seen as the layer a wrapper (TimeDistributed) holds; weights stay the wrapper's. */
  withConfig(className: string, config: Obj): LayerCtx {
    return new LayerCtx(this.imp, { ...this.call, className, config }, this.ins, () => this.weights(), this.kerasMajor, this.types, this.notes);
  }
  setType(node: string, t: NodeTypes): void {
    this.types.set(node, { ...this.types.get(node), ...t });
  }
  constant(data: ArrayLike<number>, shape: readonly number[], base: string): string {
    return this.imp.addConst({ shape, data }, `${this.name}_${base}`);
  }
  emit: Importer['emit'] = (op, name, inputs, attrs, nOut) => this.imp.emit(op, name, inputs, attrs, nOut);
}

export type LayerConverter = (c: LayerCtx) => string[];

// ---- helpers ------------------------------------------------------------------------------

/** Quantizes a weight with a QKeras quantizer (if any) and records its type for `node`/`slot`. */
function qWeight(c: LayerCtx, w: WeightTensor, qKey: string, node: string | null, slot: keyof NodeTypes): Float64Array | Float32Array {
  const q = c.quantizer(qKey);
  if (!q) return w.data;
  const r = quantizeWeights(q, w.data, w.shape, `${c.where}: ${qKey}`);
  if (node === null) return r.data;
  if (r.type) c.setType(node, { [slot]: r.type });
  else if (r.note) c.notes.push(`${c.where}: ${r.note}; ${slot} type left to the precision config`);
  return r.data;
}

/** Keras 'same'/'valid'/'causal' padding → explicit [begins..., ends...]. */
export function kerasPads(mode: string, sp: readonly number[], k: readonly number[], s: readonly number[], d: readonly number[], where: string): number[] {
  const n = sp.length;
  if (mode === 'valid') return new Array<number>(2 * n).fill(0);
  if (mode === 'causal') return [...k.map((kk, i) => (kk - 1) * d[i]!), ...new Array<number>(n).fill(0)];
  if (mode !== 'same') throw new NnInputError(`${where}: padding '${mode}' is not 'valid', 'same' or 'causal'`);
  const begin: number[] = [];
  const end: number[] = [];
  for (let i = 0; i < n; i++) {
    const out = Math.ceil(sp[i]! / s[i]!);
    const total = Math.max((out - 1) * s[i]! + (k[i]! - 1) * d[i]! + 1 - sp[i]!, 0);
    begin.push(Math.floor(total / 2));
    end.push(total - Math.floor(total / 2));
  }
  return [...begin, ...end];
}

/** Wraps a channels-last body for a layer whose data_format is channels_first. */
function withLayout(c: LayerCtx, body: (x: string) => string): string {
  const df = c.str('data_format', 'channels_last');
  if (df === 'channels_last') return body(c.x());
  if (df !== 'channels_first') c.fail(`data_format '${df}' is not channels_last or channels_first`);
  const r = c.shape(c.x()).length;
  const toLast = [...Array.from({ length: r - 1 }, (_, i) => i + 1), 0];
  const toFirst = [r - 1, ...Array.from({ length: r - 1 }, (_, i) => i)];
  const xl = c.emit('Transpose', `${c.name}_to_channels_last`, [c.x()], { perm: toLast })[0]!;
  const y = body(xl);
  return c.emit('Transpose', `${c.name}_to_channels_first`, [y], { perm: toFirst })[0]!;
}

/** Emits a Keras activation (string or QKeras quantizer) after `x`; returns the new value. */
export function activation(c: LayerCtx, x: string, spec: unknown, base: string): string {
  if (spec === undefined || spec === null || spec === 'linear' || spec === 'None') return x;
  let name: string;
  if (typeof spec === 'string') name = spec;
  else if (typeof spec === 'object' && typeof (spec as Obj)['class_name'] === 'string') name = String((spec as Obj)['class_name']);
  else return c.fail(`cannot read activation ${JSON.stringify(spec).slice(0, 80)}`);
  if (/^(quantized_|binary|ternary|stochastic_)/.test(name) || /\(/.test(name)) {
    const q = parseQuantizer(spec, `${c.where}: activation`)!;
    const a = activationQuantizer(q, `${c.where}: activation ${q.name}`);
    let y: string;
    switch (a.op) {
      case 'identity':
        y = c.emit('Clip', base, [x], { min: -Infinity, max: Infinity })[0]!;
        break;
      case 'relu':
        y = c.emit('Relu', base, [x], {})[0]!;
        break;
      case 'leaky': {
        // QKeras bounds the negative side at −s·2^integer, inside the type's range: one more clip, same type.
        const l = c.emit('LeakyRelu', base, [x], { alpha: a.alpha })[0]!;
        c.setType(c.imp.nodes[c.imp.nodes.length - 1]!.name, { result: a.type });
        y = c.emit('Clip', `${base}_floor`, [l], { min: a.floor, max: Infinity })[0]!;
        break;
      }
      case 'hardtanh':
        y = c.emit('Clip', base, [x], { min: -1, max: 1 })[0]!;
        break;
      case 'tanh':
        y = c.emit('Tanh', base, [x], {})[0]!;
        break;
      case 'hardsigmoid':
        y = c.emit('HardSigmoid', base, [x], { alpha: 0.5, beta: 0.5 })[0]!;
        break;
      case 'sigmoid':
        y = c.emit('Sigmoid', base, [x], {})[0]!;
        break;
      case 'binary':
        // BipolarQuant is x >= 0 ? scale : −scale, QKeras's sign with 0 counted as +1; use_01 then drops −scale to 0.
        y = c.emit('BipolarQuant', a.use01 ? `${base}_sign` : base, [x, c.constant([a.scale], [1], 'alpha')], {})[0]!;
        if (a.use01) y = c.emit('Relu', base, [y], {})[0]!;
        break;
    }
    const node = c.imp.nodes[c.imp.nodes.length - 1]!.name;
    c.setType(node, { result: a.type });
    return y;
  }
  const hs = c.kerasMajor >= 3 ? { alpha: 1 / 6, beta: 0.5 } : { alpha: 0.2, beta: 0.5 };
  switch (name) {
    case 'relu':
      return c.emit('Relu', base, [x], {})[0]!;
    case 'relu6':
      return c.emit('Clip', base, [x], { min: 0, max: 6 })[0]!;
    case 'sigmoid':
      return c.emit('Sigmoid', base, [x], {})[0]!;
    case 'tanh':
      return c.emit('Tanh', base, [x], {})[0]!;
    case 'softmax':
      return c.emit('Softmax', base, [x], { axis: -1, toEnd: false })[0]!;
    case 'log_softmax':
      return c.emit('LogSoftmax', base, [x], { axis: -1, toEnd: false })[0]!;
    case 'elu':
      return c.emit('Elu', base, [x], { alpha: 1 })[0]!;
    case 'selu':
      return c.emit('Selu', base, [x], { alpha: 1.6732632423543772, gamma: 1.0507009873554805 })[0]!;
    case 'softplus':
      return c.emit('Softplus', base, [x], {})[0]!;
    case 'softsign':
      return c.emit('Softsign', base, [x], {})[0]!;
    case 'hard_sigmoid':
      return c.emit('HardSigmoid', base, [x], hs)[0]!;
    case 'hard_swish':
    case 'hard_silu':
      return c.emit('HardSwish', base, [x], {})[0]!;
    case 'leaky_relu':
      return c.emit('LeakyRelu', base, [x], { alpha: 0.2 })[0]!;
    case 'swish':
    case 'silu': {
      const s = c.emit('Sigmoid', `${base}_sigmoid`, [x], {})[0]!;
      return c.emit('Mul', base, [x, s], {})[0]!;
    }
    default:
      return c.fail(`activation '${name}' is not supported; supported: linear, relu, relu6, sigmoid, tanh, softmax, log_softmax, elu, selu, softplus, softsign, hard_sigmoid, hard_swish, leaky_relu, swish/silu and QKeras quantizers`);
  }
}

const actBase = (c: LayerCtx) => `${c.name}_${typeof c.cfg['activation'] === 'string' ? String(c.cfg['activation']).replace(/\(.*$/, '') : 'act'}`;

// ---- layers ------------------------------------------------------------------------------

const dense: LayerConverter = (c) => {
  const x = c.x();
  const K = c.shape(x)[c.shape(x).length - 1]!;
  const M = c.num('units', 0);
  const w = c.weight(0, 'kernel', [K, M]);
  const useBias = c.bool('use_bias', true);
  const node = c.imp.peekNode(c.name);
  const wd = qWeight(c, w, 'kernel_quantizer', node, 'weight');
  const ins = [x, c.constant(wd, [K, M], 'kernel')];
  if (useBias) ins.push(c.constant(qWeight(c, c.weight(1, 'bias', [M]), 'bias_quantizer', node, 'bias'), [M], 'bias'));
  const y = c.emit('Dense', c.name, ins, {})[0]!;
  return [activation(c, y, c.cfg['activation'], actBase(c))];
};

function convLike(rank: number, kind: 'conv' | 'depthwise' | 'separable'): LayerConverter {
  return (c) => [
    withLayout(c, (x) => {
      const xs = c.shape(x);
      if (xs.length < rank + 1) c.fail(`input [${xs.join(',')}] has too few dims for ${rank} spatial dims plus channels`);
      const sp = xs.slice(xs.length - rank - 1, xs.length - 1);
      const cin = xs[xs.length - 1]!;
      const k = c.ints('kernel_size', rank, 1);
      const s = c.ints('strides', rank, 1);
      const d = c.ints('dilation_rate', rank, 1);
      const pads = kerasPads(c.str('padding', 'valid'), sp, k, s, d, c.where);
      const useBias = c.bool('use_bias', true);
      const node = c.imp.peekNode(c.name);
      let y: string;
      if (kind === 'conv') {
        const groups = c.num('groups', 1);
        const f = c.num('filters', 0);
        const w = c.weight(0, 'kernel', [...k, cin / groups, f]);
        const attrs: ConvAttrs = { kernel: k, strides: s, dilations: d, pads, group: groups };
        const ins = [x, c.constant(qWeight(c, w, 'kernel_quantizer', node, 'weight'), w.shape, 'kernel')];
        if (useBias) ins.push(c.constant(qWeight(c, c.weight(1, 'bias', [f]), 'bias_quantizer', node, 'bias'), [f], 'bias'));
        y = c.emit('Conv', c.name, ins, attrs)[0]!;
      } else {
        const dm = c.num('depth_multiplier', 1);
        const dw = c.weight(0, 'depthwise kernel', [...k, cin, dm]);
        const dwNode = kind === 'separable' ? c.imp.peekNode(`${c.name}_depthwise`) : node;
        const dwData = qWeight(c, dw, 'depthwise_quantizer', dwNode, 'weight');
        const attrs: ConvAttrs = { kernel: k, strides: s, dilations: d, pads, group: cin };
        if (kind === 'depthwise') {
          const ins = [x, c.constant(dwData, [...k, 1, cin * dm], 'depthwise_kernel')];
          if (useBias) ins.push(c.constant(qWeight(c, c.weight(1, 'bias', [cin * dm]), 'bias_quantizer', node, 'bias'), [cin * dm], 'bias'));
          y = c.emit('Conv', c.name, ins, attrs)[0]!;
        } else {
          const f = c.num('filters', 0);
          const dwOut = c.emit('Conv', `${c.name}_depthwise`, [x, c.constant(dwData, [...k, 1, cin * dm], 'depthwise_kernel')], attrs)[0]!;
          const pwNode = c.imp.peekNode(c.name);
          const pw = c.weight(1, 'pointwise kernel', [...new Array<number>(rank).fill(1), cin * dm, f]);
          const ins = [dwOut, c.constant(qWeight(c, pw, 'pointwise_quantizer', pwNode, 'weight'), pw.shape, 'pointwise_kernel')];
          if (useBias) ins.push(c.constant(qWeight(c, c.weight(2, 'bias', [f]), 'bias_quantizer', pwNode, 'bias'), [f], 'bias'));
          const one = new Array<number>(rank).fill(1);
          y = c.emit('Conv', c.name, ins, { kernel: one, strides: one, dilations: one, pads: new Array<number>(2 * rank).fill(0), group: 1 })[0]!;
        }
      }
      return activation(c, y, c.cfg['activation'], actBase(c));
    }),
  ];
}

function convTranspose(rank: number): LayerConverter {
  return (c) => [
    withLayout(c, (x) => {
      const xs = c.shape(x);
      const sp = xs.slice(xs.length - rank - 1, xs.length - 1);
      const cin = xs[xs.length - 1]!;
      const k = c.ints('kernel_size', rank, 1);
      const s = c.ints('strides', rank, 1);
      const d = c.ints('dilation_rate', rank, 1);
      const f = c.num('filters', 0);
      const opRaw = c.cfg['output_padding'];
      const mode = c.str('padding', 'valid');
      const w = c.weight(0, 'kernel', [...k, f, cin]);
      // Keras kernel [k..., out, in] -> IR [k..., in, out].
      const kk = numel(k);
      const wt = new Float32Array(w.data.length);
      for (let p = 0; p < kk; p++) for (let o = 0; o < f; o++) for (let i = 0; i < cin; i++) wt[(p * cin + i) * f + o] = w.data[(p * f + o) * cin + i]!;
      const begin: number[] = [];
      const end: number[] = [];
      const outPad: number[] = [];
      for (let i = 0; i < rank; i++) {
        const span = (k[i]! - 1) * d[i]! + 1;
        const op = opRaw === null || opRaw === undefined ? null : (Array.isArray(opRaw) ? opRaw.map(Number) : [Number(opRaw)])[i] ?? Number((opRaw as number[])[0]);
        let out: number;
        if (op === null) out = mode === 'same' ? sp[i]! * s[i]! : sp[i]! * s[i]! + Math.max(span - s[i]!, 0);
        else out = (sp[i]! - 1) * s[i]! + span - (mode === 'same' ? Math.floor(span / 2) * 2 : 0) + op;
        const total = mode === 'same' ? Math.max((sp[i]! - 1) * s[i]! + span - out, 0) : 0;
        const b = mode === 'same' ? Math.floor(total / 2) : 0;
        begin.push(b);
        end.push(total - b);
        outPad.push(out - ((sp[i]! - 1) * s[i]! + span - total));
      }
      const ins = [x, c.constant(wt, [...k, cin, f], 'kernel')];
      if (c.bool('use_bias', true)) ins.push(c.constant(c.weight(1, 'bias', [f]).data, [f], 'bias'));
      const y = c.emit('ConvTranspose', c.name, ins, { kernel: k, strides: s, dilations: d, pads: [...begin, ...end], group: 1, outputPadding: outPad })[0]!;
      return activation(c, y, c.cfg['activation'], actBase(c));
    }),
  ];
}

function pool(rank: number, kind: 'max' | 'avg'): LayerConverter {
  return (c) => [
    withLayout(c, (x) => {
      const xs = c.shape(x);
      const sp = xs.slice(xs.length - rank - 1, xs.length - 1);
      const k = c.ints('pool_size', rank, 2);
      const sRaw = c.cfg['strides'];
      const s = sRaw === null || sRaw === undefined ? k : c.ints('strides', rank, 1);
      const one = new Array<number>(rank).fill(1);
      const pads = kerasPads(c.str('padding', 'valid'), sp, k, s, one, c.where);
      const base = { kernel: k, strides: s, dilations: one, pads, ceilMode: false };
      // Keras averages 'same' windows over the valid elements only.
      return kind === 'max'
        ? c.emit('MaxPool', c.name, [x], base)[0]!
        : c.emit('AvgPool', c.name, [x], { ...base, countIncludePad: false })[0]!;
    }),
  ];
}

function globalPool(rank: number, kind: 'max' | 'avg'): LayerConverter {
  return (c) => [
    withLayout(c, (x) => {
      const xs = c.shape(x);
      const y = c.emit(kind === 'max' ? 'GlobalMaxPool' : 'GlobalAvgPool', c.name, [x], { spatialRank: rank })[0]!;
      if (c.bool('keepdims', false)) return y;
      const lead = xs.slice(0, xs.length - rank - 1);
      return c.emit('Reshape', `${c.name}_squeeze`, [y], { shape: [...lead, xs[xs.length - 1]!] })[0]!;
    }),
  ];
}

const batchNorm: LayerConverter = (c) => {
  const x = c.x();
  const xs = c.shape(x);
  const rawAxis = c.cfg['axis'];
  const axis = Array.isArray(rawAxis) ? Number(rawAxis[0]) : rawAxis === undefined ? -1 : Number(rawAxis);
  const full = xs.length + 1;
  const ax = axis < 0 ? full + axis : axis;
  const C = xs[ax - 1];
  if (C === undefined || ax < 1) c.fail(`axis ${axis} is outside the input [N,${xs.join(',')}]`);
  const center = c.bool('center', true);
  const scale = c.bool('scale', true);
  let k = 0;
  // QBatchNormalization's quantizers act on gamma/beta/mean/variance, which fold into one
  // per-channel scale and offset: the parameters are quantized, no type is implied.
  const param = (what: string, qKey: string, dflt: number | null): Float32Array | Float64Array => {
    if (dflt !== null) return new Float32Array(C).fill(dflt);
    const w = c.weight(k++, what, [C]);
    return qWeight(c, w, qKey, null, 'weight');
  };
  const gamma = scale ? param('gamma', 'gamma_quantizer', null) : param('gamma', '', 1);
  const beta = center ? param('beta', 'beta_quantizer', null) : param('beta', '', 0);
  const mean = param('moving_mean', 'mean_quantizer', null);
  const variance = param('moving_variance', 'variance_quantizer', null);
  const eps = c.num('epsilon', 1e-3);
  const emitBn = (xin: string) =>
    c.emit('BatchNorm', c.name, [xin, c.constant(gamma, [C], 'gamma'), c.constant(beta, [C], 'beta'), c.constant(mean, [C], 'moving_mean'), c.constant(variance, [C], 'moving_variance')], { epsilon: eps })[0]!;
  if (ax === full - 1) return [emitBn(x)];
  // Normalizing a non-last axis (channels_first): move it last and back.
  const r = xs.length;
  const p = ax - 1;
  const perm = [...Array.from({ length: r }, (_, i) => i).filter((i) => i !== p), p];
  const inv = perm.map((_, i) => perm.indexOf(i));
  const t = c.emit('Transpose', `${c.name}_to_channels_last`, [x], { perm })[0]!;
  return [c.emit('Transpose', `${c.name}_to_channels_first`, [emitBn(t)], { perm: inv })[0]!];
};

const activationLayer: LayerConverter = (c) => [activation(c, c.x(), c.cfg['activation'], c.name)];

const reluLayer: LayerConverter = (c) => {
  const x = c.x();
  const maxV = c.cfg['max_value'];
  const th = c.num('threshold', 0);
  const slope = c.num('negative_slope', 0);
  if (th !== 0) {
    if (slope !== 0 || (maxV !== null && maxV !== undefined)) c.fail('threshold together with negative_slope or max_value is not supported');
    return [c.emit('ThresholdedRelu', c.name, [x], { alpha: th })[0]!];
  }
  const hasMax = maxV !== null && maxV !== undefined;
  if (slope === 0) return [hasMax ? c.emit('Clip', c.name, [x], { min: 0, max: Number(maxV) })[0]! : c.emit('Relu', c.name, [x], {})[0]!];
  const y = c.emit('LeakyRelu', hasMax ? `${c.name}_leaky` : c.name, [x], { alpha: slope })[0]!;
  return [hasMax ? c.emit('Clip', c.name, [y], { min: -Infinity, max: Number(maxV) })[0]! : y];
};

const leakyRelu: LayerConverter = (c) => {
  const a = c.cfg['negative_slope'] ?? c.cfg['alpha'];
  return [c.emit('LeakyRelu', c.name, [c.x()], { alpha: a === undefined || a === null ? 0.3 : Number(a) })[0]!];
};

const prelu: LayerConverter = (c) => {
  const xs = c.shape(c.x());
  const shared = ((c.cfg['shared_axes'] as number[] | null) ?? []).map(Number);
  const shape = xs.map((d, i) => (shared.includes(i + 1) ? 1 : d));
  const w = c.weight(0, 'alpha', shape);
  return [c.emit('PRelu', c.name, [c.x(), c.constant(w.data, shape, 'alpha')], {})[0]!];
};

const softmaxLayer: LayerConverter = (c) => {
  const r = c.shape(c.x()).length;
  const raw = c.cfg['axis'];
  let axis = Array.isArray(raw) ? Number(raw[0]) : raw === undefined || raw === null ? -1 : Number(raw);
  if (axis > 0) axis = axis - (r + 1);
  if (axis === 0 || axis < -r) c.fail(`softmax over axis ${String(raw)} (the batch axis) is not supported`);
  return [c.emit('Softmax', c.name, [c.x()], { axis, toEnd: false })[0]!];
};

const reshapeTo = (c: LayerCtx, shape: number[]) => [c.emit('Reshape', c.name, [c.x()], { shape })[0]!];

const flatten: LayerConverter = (c) => {
  const xs = c.shape(c.x());
  // Keras moves channels_first data to channels_last before flattening (so weights after it
  // are the same in both formats).
  if (c.str('data_format', 'channels_last') === 'channels_first' && xs.length > 1) {
    const r = xs.length;
    const t = c.emit('Transpose', `${c.name}_to_channels_last`, [c.x()], { perm: [...Array.from({ length: r - 1 }, (_, i) => i + 1), 0] })[0]!;
    return [c.emit('Reshape', c.name, [t], { shape: [numel(xs)] })[0]!];
  }
  return reshapeTo(c, [numel(xs)]);
};

const reshape: LayerConverter = (c) => {
  const n = numel(c.shape(c.x()));
  const t = ((c.cfg['target_shape'] as number[]) ?? []).map(Number);
  const known = t.filter((d) => d !== -1).reduce((a, d) => a * d, 1);
  return reshapeTo(c, t.map((d) => (d === -1 ? n / known : d)));
};

const permute: LayerConverter = (c) => {
  const dims = ((c.cfg['dims'] as number[]) ?? []).map((d) => Number(d) - 1);
  return [c.emit('Transpose', c.name, [c.x()], { perm: dims })[0]!];
};

const identityLayer: LayerConverter = (c) => [c.x()];

function spatialPad(rank: number, crop: boolean): LayerConverter {
  return (c) => [
    withLayout(c, (x) => {
      const key = crop ? 'cropping' : 'padding';
      const raw = c.cfg[key];
      const pairs: [number, number][] = [];
      const arr = Array.isArray(raw) ? raw : [raw ?? 1];
      for (let i = 0; i < rank; i++) {
        const e = arr.length === rank ? arr[i] : arr.length === 2 && rank === 1 ? arr : arr[0];
        if (Array.isArray(e)) pairs.push([Number(e[0]), Number(e[1])]);
        else pairs.push([Number(e ?? 1), Number(e ?? 1)]);
      }
      const r = c.shape(x).length;
      const begin = new Array<number>(r).fill(0);
      const end = new Array<number>(r).fill(0);
      for (let i = 0; i < rank; i++) {
        const dim = r - 1 - rank + i;
        begin[dim] = crop ? -pairs[i]![0] : pairs[i]![0];
        end[dim] = crop ? -pairs[i]![1] : pairs[i]![1];
      }
      return c.emit('Pad', c.name, [x], { mode: 'constant', pads: [...begin, ...end], value: 0 })[0]!;
    }),
  ];
}

function upsampling(rank: number): LayerConverter {
  return (c) => [
    withLayout(c, (x) => {
      const xs = c.shape(x);
      const f = c.ints(rank === 1 ? 'size' : 'size', rank, 2);
      const interp = c.str('interpolation', 'nearest');
      if (interp !== 'nearest' && interp !== 'bilinear') c.fail(`interpolation '${interp}' is not supported (nearest, bilinear)`);
      const r = xs.length;
      const scales = xs.map((_, i) => (i >= r - 1 - rank && i < r - 1 ? f[i - (r - 1 - rank)]! : 1));
      const outShape = xs.map((d, i) => d * scales[i]!);
      return c.emit('Resize', c.name, [x], {
        mode: interp === 'nearest' ? 'nearest' : 'linear',
        scales,
        outShape,
        coordMode: interp === 'nearest' ? 'asymmetric' : 'half_pixel',
        nearestMode: 'floor',
      })[0]!;
    }),
  ];
}

const concatenate: LayerConverter = (c) => {
  const r = c.shape(c.x()).length;
  let axis = c.num('axis', -1);
  if (axis > 0) axis -= r + 1;
  if (axis === 0 || axis < -r) c.fail(`concatenation along axis ${c.cfg['axis']} (the batch axis) is not supported`);
  return [c.emit('Concat', c.name, [...c.ins], { axis })[0]!];
};

function merge(op: 'Add' | 'Sub' | 'Mul' | 'Max' | 'Min' | 'Average'): LayerConverter {
  return (c) => {
    if (c.ins.length < 2) c.fail(`needs at least 2 inputs, got ${c.ins.length}`);
    if (op === 'Sub' && c.ins.length !== 2) c.fail(`Subtract takes exactly 2 inputs, got ${c.ins.length}`);
    const bin = op === 'Average' ? 'Add' : op;
    let acc = c.ins[0]!;
    for (let i = 1; i < c.ins.length; i++) {
      const last = i === c.ins.length - 1 && op !== 'Average';
      acc = c.emit(bin, last ? c.name : `${c.name}_${i}`, [acc, c.ins[i]!], {})[0]!;
    }
    if (op === 'Average') acc = c.emit('Mul', c.name, [acc, c.constant([1 / c.ins.length], [1], 'inv_count')], {})[0]!;
    return [acc];
  };
}

/**
 * QDenseBatchnorm / QConv2DBatchnorm at inference, as QKeras folds them: inv = γ/√(moving_var+ε),
 * kernel' = quantize(inv·kernel) per output channel, bias' = quantize(inv·(bias − moving_mean) + β).
 * Weights are found by name when the container keeps names (kernel, bias, gamma, beta,
 * moving_mean, moving_variance), else in that order.
 */
function foldedBatchnorm(kind: 'dense' | 'conv'): LayerConverter {
  return (c) => {
    const ws = c.weights();
    const useBias = c.bool('use_bias', true);
    const hasGamma = c.bool('scale', true);
    const hasBeta = c.bool('center', true);
    const roles = ['kernel', ...(useBias ? ['bias'] : []), ...(hasGamma ? ['gamma'] : []), ...(hasBeta ? ['beta'] : []), 'moving_mean', 'moving_variance'];
    const named = ws.every((w) => w.name);
    const get = (role: string): WeightTensor => {
      const w = named ? ws.find((t) => new RegExp(`(^|/)${role}(:\\d+)?$`).test(t.name)) : ws[roles.indexOf(role)];
      if (!w) c.fail(`missing weights: expected ${role}; the file holds ${ws.map((t) => t.name || '?').join(', ') || 'none'} for this layer`);
      return w!;
    };
    const k = get('kernel');
    const M = k.shape[k.shape.length - 1]!;
    const vec = (role: string, present: boolean, dflt: number) => {
      if (!present) return new Float32Array(M).fill(dflt);
      const w = get(role);
      if (w.shape.join() !== String(M)) c.fail(`${role} has shape [${w.shape.join(',')}], expected [${M}]`);
      return w.data;
    };
    const gamma = vec('gamma', hasGamma, 1);
    const beta = vec('beta', hasBeta, 0);
    const mean = vec('moving_mean', true, 0);
    const variance = vec('moving_variance', true, 1);
    const bias = vec('bias', useBias, 0);
    const eps = c.num('epsilon', 1e-3);
    const inv = Float64Array.from(gamma, (g, m) => g / Math.sqrt(variance[m]! + eps));
    const fk: WeightTensor = { name: k.name, shape: k.shape, data: Float32Array.from(k.data, (v, i) => v * inv[i % M]!) };
    const fb: WeightTensor = { name: '', shape: [M], data: Float32Array.from(bias, (b, m) => inv[m]! * (b - mean[m]!) + beta[m]!) };
    const node = c.imp.peekNode(c.name);
    const kd = qWeight(c, fk, 'kernel_quantizer', node, 'weight');
    const bd = qWeight(c, fb, 'bias_quantizer', node, 'bias');
    const x = c.x();
    let y: string;
    if (kind === 'dense') {
      const K = c.shape(x)[c.shape(x).length - 1]!;
      if (k.shape.join() !== [K, M].join()) c.fail(`kernel has shape [${k.shape.join(',')}], expected [${K},${M}]`);
      y = c.emit('Dense', c.name, [x, c.constant(kd, k.shape, 'kernel'), c.constant(bd, [M], 'bias')], {})[0]!;
    } else {
      if (c.str('data_format', 'channels_last') !== 'channels_last') c.fail('channels_first is not supported for folded batchnorm layers');
      const xs = c.shape(x);
      const rank = k.shape.length - 2;
      const sp = xs.slice(xs.length - rank - 1, xs.length - 1);
      const ks = k.shape.slice(0, rank);
      const s = c.ints('strides', rank, 1);
      const d = c.ints('dilation_rate', rank, 1);
      const pads = kerasPads(c.str('padding', 'valid'), sp, ks, s, d, c.where);
      if (k.shape[rank] !== xs[xs.length - 1]) c.fail(`kernel has shape [${k.shape.join(',')}] for ${xs[xs.length - 1]} input channels`);
      y = c.emit('Conv', c.name, [x, c.constant(kd, k.shape, 'kernel'), c.constant(bd, [M], 'bias')], { kernel: ks, strides: s, dilations: d, pads, group: 1 })[0]!;
    }
    return [activation(c, y, c.cfg['activation'], actBase(c))];
  };
}

export const KERAS_CONVERTERS: Readonly<Record<string, LayerConverter>> = {
  QDenseBatchnorm: foldedBatchnorm('dense'),
  QConv2DBatchnorm: foldedBatchnorm('conv'),
  Dense: dense,
  QDense: dense,
  Conv1D: convLike(1, 'conv'),
  Conv2D: convLike(2, 'conv'),
  QConv1D: convLike(1, 'conv'),
  QConv2D: convLike(2, 'conv'),
  DepthwiseConv2D: convLike(2, 'depthwise'),
  DepthwiseConv1D: convLike(1, 'depthwise'),
  QDepthwiseConv2D: convLike(2, 'depthwise'),
  SeparableConv1D: convLike(1, 'separable'),
  SeparableConv2D: convLike(2, 'separable'),
  QSeparableConv1D: convLike(1, 'separable'),
  QSeparableConv2D: convLike(2, 'separable'),
  Conv2DTranspose: convTranspose(2),
  Conv1DTranspose: convTranspose(1),
  MaxPooling1D: pool(1, 'max'),
  MaxPooling2D: pool(2, 'max'),
  MaxPool1D: pool(1, 'max'),
  MaxPool2D: pool(2, 'max'),
  AveragePooling1D: pool(1, 'avg'),
  AveragePooling2D: pool(2, 'avg'),
  AvgPool1D: pool(1, 'avg'),
  AvgPool2D: pool(2, 'avg'),
  GlobalAveragePooling1D: globalPool(1, 'avg'),
  GlobalAveragePooling2D: globalPool(2, 'avg'),
  GlobalMaxPooling1D: globalPool(1, 'max'),
  GlobalMaxPooling2D: globalPool(2, 'max'),
  BatchNormalization: batchNorm,
  QBatchNormalization: batchNorm,
  Activation: activationLayer,
  QActivation: activationLayer,
  ReLU: reluLayer,
  LeakyReLU: leakyRelu,
  PReLU: prelu,
  ELU: (c) => [c.emit('Elu', c.name, [c.x()], { alpha: c.num('alpha', 1) })[0]!],
  ThresholdedReLU: (c) => [c.emit('ThresholdedRelu', c.name, [c.x()], { alpha: c.num('theta', 1) })[0]!],
  Softmax: softmaxLayer,
  Flatten: flatten,
  Reshape: reshape,
  Permute: permute,
  Dropout: identityLayer,
  SpatialDropout1D: identityLayer,
  SpatialDropout2D: identityLayer,
  GaussianNoise: identityLayer,
  GaussianDropout: identityLayer,
  AlphaDropout: identityLayer,
  ActivityRegularization: identityLayer,
  ZeroPadding1D: spatialPad(1, false),
  ZeroPadding2D: spatialPad(2, false),
  Cropping1D: spatialPad(1, true),
  Cropping2D: spatialPad(2, true),
  UpSampling1D: upsampling(1),
  UpSampling2D: upsampling(2),
  Concatenate: concatenate,
  Add: merge('Add'),
  Subtract: merge('Sub'),
  Multiply: merge('Mul'),
  Average: merge('Average'),
  Maximum: merge('Max'),
  Minimum: merge('Min'),
};
