/**
 * Keras recurrent layers (SimpleRNN, LSTM, GRU, their QKeras versions, Bidirectional) and
 * TimeDistributed, onto the IR's ONNX-style RNN/LSTM/GRU ops. Keras keeps kernels as [I, G·H]
 * with gates in the order i, f, c, o (LSTM) and z, r, h (GRU); the IR wants W [D, G·H, I] with
 * ONNX's i, o, f, c and z, r, h. GRU's reset_after=True is ONNX's linear_before_reset with a
 * separate recurrent bias. Keras 2 before 2.3 defaulted recurrent_activation to hard_sigmoid,
 * Keras 3 defines hard_sigmoid as relu6(x+3)/6 — both are honoured.
 */
import type { RecurrentActivation, RecurrentAttrs } from '../../ir/ops.js';
import { RECURRENT_GATES } from '../../ir/semantics/recurrent.js';
import { KERAS_CONVERTERS, type LayerConverter, LayerCtx, type NodeTypes } from './convert.js';
import { quantizeWeights } from './qkeras.js';
import type { WeightTensor } from './containers.js';

type Obj = Record<string, unknown>;
type Kind = 'RNN' | 'LSTM' | 'GRU';

/** ONNX gate block k takes Keras gate block ORDER[k]. */
const ORDER: Record<Kind, number[]> = { RNN: [0], LSTM: [0, 3, 1, 2], GRU: [0, 1, 2] };

function onnxAct(c: LayerCtx, name: string): RecurrentActivation {
  switch (name) {
    case 'sigmoid':
      return { fn: 'Sigmoid' };
    case 'tanh':
      return { fn: 'Tanh' };
    case 'relu':
      return { fn: 'Relu' };
    case 'hard_sigmoid':
      return c.kerasMajor >= 3 ? { fn: 'HardSigmoid', alpha: 1 / 6, beta: 0.5 } : { fn: 'HardSigmoid', alpha: 0.2, beta: 0.5 };
    case 'linear':
      return { fn: 'Affine', alpha: 1, beta: 0 };
    case 'softsign':
      return { fn: 'Softsign' };
    case 'softplus':
      return { fn: 'Softplus' };
    case 'elu':
      return { fn: 'Elu', alpha: 1 };
    default:
      return c.fail(`recurrent activation '${name}' is not supported (sigmoid, hard_sigmoid, tanh, relu, linear, softsign, softplus, elu)`);
  }
}

/** Keras [rows, G·H] → ONNX [G·H, rows] with gate blocks reordered. */
function toOnnx(data: ArrayLike<number>, rows: number, H: number, kind: Kind): Float32Array {
  const G = RECURRENT_GATES[kind];
  const out = new Float32Array(G * H * rows);
  ORDER[kind].forEach((src, k) => {
    for (let h = 0; h < H; h++) for (let r = 0; r < rows; r++) out[(k * H + h) * rows + r] = data[r * G * H + src * H + h]!;
  });
  return out;
}

function reorderBias(data: ArrayLike<number>, off: number, H: number, kind: Kind): Float32Array {
  const out = new Float32Array(RECURRENT_GATES[kind] * H);
  ORDER[kind].forEach((src, k) => {
    for (let h = 0; h < H; h++) out[k * H + h] = data[off + src * H + h]!;
  });
  return out;
}

interface DirWeights {
  W: Float32Array;
  R: Float32Array;
  B: Float32Array;
}

/** One direction's W, R, B (B = [Wb, Rb]) from the layer's weights starting at index k0. */
function directionWeights(c: LayerCtx, cfg: Obj, kind: Kind, I: number, H: number, k0: number, node: string, types: NodeTypes): { w: DirWeights; used: number } {
  const G = RECURRENT_GATES[kind];
  const q = (w: WeightTensor, key: string, slot: keyof NodeTypes): ArrayLike<number> => {
    const spec = c.quantizerOf(cfg, key);
    if (!spec) return w.data;
    const r = quantizeWeights(spec, w.data, w.shape, `${c.where}: ${key}`);
    if (r.type) types[slot] = r.type;
    else if (r.note) c.notes.push(`${c.where}: ${r.note}`);
    void node;
    return r.data;
  };
  const kernel = c.weight(k0, 'kernel', [I, G * H]);
  const rec = c.weight(k0 + 1, 'recurrent kernel', [H, G * H]);
  const useBias = cfg['use_bias'] === undefined ? true : Boolean(cfg['use_bias']);
  const resetAfter = kind === 'GRU' && gruResetAfter(c, cfg);
  const B = new Float32Array(2 * G * H);
  let used = 2;
  if (useBias) {
    const b = c.weight(k0 + 2, 'bias', resetAfter ? [2, G * H] : [G * H]);
    const bd = q(b, 'bias_quantizer', 'bias');
    B.set(reorderBias(bd, 0, H, kind), 0);
    if (resetAfter) B.set(reorderBias(bd, G * H, H, kind), G * H);
    used = 3;
  }
  return { w: { W: toOnnx(q(kernel, 'kernel_quantizer', 'weight'), I, H, kind), R: toOnnx(q(rec, 'recurrent_quantizer', 'recurrent_weight'), H, H, kind), B }, used };
}

/** Keras 3 and tf.keras default to reset_after=True; configs from before it existed mean False. */
function gruResetAfter(c: LayerCtx, cfg: Obj): boolean {
  return cfg['reset_after'] === undefined ? c.kerasMajor >= 3 : Boolean(cfg['reset_after']);
}

function kindOf(cls: string): Kind | null {
  const base = cls.replace(/^Q/, '');
  if (base === 'SimpleRNN') return 'RNN';
  if (base === 'LSTM' || base === 'GRU') return base;
  return null;
}

function buildRecurrent(c: LayerCtx, inner: { className: string; cfg: Obj }, dirs: ('forward' | 'backward')[], mergeMode: string): string[] {
  const kind = kindOf(inner.className)!;
  const cfg = inner.cfg;
  const x = c.x();
  const xs = c.shape(x);
  if (xs.length < 2) c.fail(`input [N,${xs.join(',')}] is not a sequence [N, time, features]`);
  const T = xs[xs.length - 2]!;
  const I = xs[xs.length - 1]!;
  const H = Number(cfg['units']);
  const goBack = Boolean(cfg['go_backwards']);
  const retSeq = Boolean(cfg['return_sequences']);
  const retState = Boolean(cfg['return_state']);
  if (cfg['stateful']) c.fail('stateful recurrent layers are not supported');
  const node = c.imp.peekNode(c.name);
  const types: NodeTypes = {};
  const per = dirs.map((_, k) => directionWeights(c, cfg, kind, I, H, k * (cfg['use_bias'] === false ? 2 : 3), node, types).w);
  const G = RECURRENT_GATES[kind];
  const cat = (f: (d: DirWeights) => Float32Array) => {
    const parts = per.map(f);
    const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  };
  const D = dirs.length;
  const act = String(cfg['activation'] ?? 'tanh');
  const recAct = String(cfg['recurrent_activation'] ?? (c.kerasMajor >= 3 ? 'sigmoid' : 'hard_sigmoid'));
  const acts = (kind === 'LSTM' ? [recAct, act, act] : kind === 'GRU' ? [recAct, act] : [act]).map((a) => onnxAct(c, a));
  const attrs: RecurrentAttrs = {
    hidden: H,
    direction: D === 2 ? 'bidirectional' : goBack ? 'reverse' : 'forward',
    activations: Array.from({ length: D }, () => acts),
    clip: 0,
  };
  const ins = [x, c.constant(cat((d) => d.W), [D, G * H, I], 'W'), c.constant(cat((d) => d.R), [D, G * H, H], 'R'), c.constant(cat((d) => d.B), [D, 2 * G * H], 'B')];
  const nOut = retState ? (kind === 'LSTM' ? 3 : 2) : retSeq ? 1 : 2;
  const resetAfter = kind === 'GRU' && gruResetAfter(c, cfg);
  const outs =
    kind === 'LSTM'
      ? c.emit('LSTM', c.name, ins, { ...attrs, inputForget: false }, nOut)
      : kind === 'GRU'
        ? c.emit('GRU', c.name, ins, { ...attrs, linearBeforeReset: resetAfter }, nOut)
        : c.emit('RNN', c.name, ins, attrs, nOut);
  if (Object.keys(types).length) c.setType(node, types);
  const lead = xs.slice(0, -2);
  // Keras's go_backwards processes the input from the last step and returns the sequence in that
  // processing order; the IR's 'reverse' direction returns it in input time order (y[t] belongs to
  // x[t]), so a lone backwards layer's sequence is read back reversed along time. Bidirectional
  // already realigns its backward half in time, as ONNX's bidirectional output is.
  const timeOrdered = (v: string): string =>
    D === 1 && goBack && retSeq
      ? c.emit('Gather', `${c.name}_reversed`, [v], { axis: -3, indices: Array.from({ length: T }, (_, t) => T - 1 - t), indicesShape: [T] })[0]!
      : v;
  /** One direction d of v [..., D, H] as [..., H]. */
  const half = (v: string, d: number, tag: string): string => c.emit('Gather', `${c.name}_${tag}_${d === 0 ? 'forward' : 'backward'}`, [v], { axis: -2, indices: [d], indicesShape: [] })[0]!;
  const merged = (v: string, shape: number[], tag: string): string[] => {
    // v: [..., D, H] (with shape = [..., D, H]); merge the directions.
    if (D === 1 || mergeMode === 'concat') return [c.emit('Reshape', `${c.name}_${tag}`, [v], { shape: [...shape.slice(0, -2), D * H] })[0]!];
    if (mergeMode === 'mul') return [c.emit('Mul', `${c.name}_${tag}_mul`, [half(v, 0, tag), half(v, 1, tag)], {})[0]!];
    // merge_mode None: Keras returns the forward and the backward outputs as two tensors.
    if (mergeMode === 'none') return [half(v, 0, tag), half(v, 1, tag)];
    if (mergeMode !== 'ave' && mergeMode !== 'sum') c.fail(`Bidirectional merge_mode '${mergeMode}' is not supported (concat, ave, sum, mul, None)`);
    const avg = c.emit('AvgPool', `${c.name}_${tag}_merge`, [v], { kernel: [2], strides: [1], dilations: [1], pads: [0, 0], ceilMode: false, countIncludePad: true })[0]!;
    const flat = c.emit('Reshape', `${c.name}_${tag}`, [avg], { shape: [...shape.slice(0, -2), H] })[0]!;
    return [mergeMode === 'sum' ? c.emit('Mul', `${c.name}_${tag}_sum`, [flat, c.constant([2], [1], 'two')], {})[0]! : flat];
  };
  const y = retSeq ? merged(timeOrdered(outs[0]!), [...lead, T, D, H], 'sequence') : merged(outs[1]!, [...lead, D, H], 'last');
  if (!retState) return y;
  const states = outs.slice(1).map((s, k) => c.emit('Reshape', `${c.name}_state${k}`, [s], { shape: [...lead, D * H] })[0]!);
  return [...y, ...states];
}

const recurrent: LayerConverter = (c) => buildRecurrent(c, { className: c.call.className, cfg: c.cfg }, ['forward'], 'concat');

const bidirectional: LayerConverter = (c) => {
  const layer = c.cfg['layer'] as Obj | undefined;
  const cls = String(layer?.['class_name'] ?? '');
  if (!layer || !kindOf(cls)) c.fail(`wraps '${cls || '?'}'; Bidirectional supports SimpleRNN, LSTM and GRU`);
  if (c.cfg['backward_layer']) {
    const bl = (c.cfg['backward_layer'] as Obj)['config'] as Obj;
    if (bl && !bl['go_backwards']) c.fail('a backward_layer that does not go backwards is not supported');
  }
  return buildRecurrent(c, { className: cls, cfg: (layer!['config'] ?? {}) as Obj }, ['forward', 'backward'], c.cfg['merge_mode'] === null ? 'none' : String(c.cfg['merge_mode'] ?? 'concat'));
};

const timeDistributed: LayerConverter = (c) => {
  const layer = c.cfg['layer'] as Obj | undefined;
  const cls = String(layer?.['class_name'] ?? '');
  const conv = KERAS_CONVERTERS[cls];
  if (!layer || !conv || !['Dense', 'QDense', 'Activation', 'QActivation', 'Dropout', 'BatchNormalization'].includes(cls)) {
    c.fail(`wraps '${cls || '?'}'; TimeDistributed supports Dense, Activation, Dropout and BatchNormalization`);
  }
  // The wrapped layer acts on the last axis, which the IR's ops already do for any leading dims.
  return conv!(c.withConfig(cls, (layer!['config'] ?? {}) as Obj));
};

export const RECURRENT_CONVERTERS: Readonly<Record<string, LayerConverter>> = {
  SimpleRNN: recurrent,
  LSTM: recurrent,
  GRU: recurrent,
  QSimpleRNN: recurrent,
  QLSTM: recurrent,
  QGRU: recurrent,
  Bidirectional: bidirectional,
  TimeDistributed: timeDistributed,
};

