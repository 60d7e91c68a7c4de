/**
 * Small ONNX models with one LSTM, GRU or RNN node (layout 1, batch-major) and deterministic
 * random weights, for the simulator's and the HLS backend's recurrent tests, plus the narrow
 * layer types both use to exercise a configured accumulator and non-default modes.
 */
import onnxProto from 'onnx-proto';
import { buildModel } from './onnx-builder.js';

const { onnx } = onnxProto;

export type RecurrentKind = 'LSTM' | 'GRU' | 'RNN';

export interface RecurrentCase {
  kind: RecurrentKind;
  T: number;
  I: number;
  H: number;
  dir?: 'forward' | 'reverse' | 'bidirectional';
  bias?: boolean;
  peep?: boolean;
  /** Initial states as graph inputs (run-time values). */
  init?: boolean;
  clip?: number;
  lbr?: boolean;
  inputForget?: boolean;
  acts?: string[];
  alpha?: number[];
  beta?: number[];
  /** Weight scale: W and R are uniform in [-w, w] (default 0.5). */
  w?: number;
  /** Graph outputs: Y only, Y and Y_h, or all the node has (default). */
  outputs?: 'Y' | 'Y,Y_h' | 'all';
  seed: number;
}

export const GATES: Record<RecurrentKind, number> = { LSTM: 4, GRU: 3, RNN: 1 };

/** Small deterministic PRNG (mulberry32) so failures reproduce. */
export function rng(seed: number): (lo?: number, hi?: number) => number {
  let a = seed >>> 0;
  return (lo = -1, hi = 1) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  };
}

export function recurrentModel(c: RecurrentCase): Uint8Array {
  const r = rng(c.seed);
  const D = c.dir === 'bidirectional' ? 2 : 1;
  const GH = GATES[c.kind] * c.H;
  const ws = c.w ?? 0.5;
  const rand = (n: number, s = ws) => Array.from({ length: n }, () => Math.fround(r(-s, s)));
  const inits: [string, number[], number[]][] = [
    ['W', [D, GH, c.I], rand(D * GH * c.I)],
    ['R', [D, GH, c.H], rand(D * GH * c.H)],
  ];
  if (c.bias !== false) inits.push(['B', [D, 2 * GH], rand(D * 2 * GH, 0.3)]);
  if (c.peep) inits.push(['P', [D, 3 * c.H], rand(D * 3 * c.H, 0.4)]);
  const inputs: [string, (number | string)[]][] = [['X', ['N', c.T, c.I]]];
  if (c.init) {
    inputs.push(['h0', ['N', D, c.H]]);
    if (c.kind === 'LSTM') inputs.push(['c0', ['N', D, c.H]]);
  }
  const nodeIn = ['X', 'W', 'R', c.bias !== false ? 'B' : '', '', c.init ? 'h0' : ''];
  if (c.kind === 'LSTM') nodeIn.push(c.init ? 'c0' : '', c.peep ? 'P' : '');
  while (nodeIn[nodeIn.length - 1] === '') nodeIn.pop();
  const which = c.outputs ?? 'all';
  const outs: [string, (number | string)[]][] = [['Y', ['N', c.T, D, c.H]]];
  if (which !== 'Y') outs.push(['Y_h', ['N', D, c.H]]);
  if (which === 'all' && c.kind === 'LSTM') outs.push(['Y_c', ['N', D, c.H]]);
  const attrs: Record<string, number | { float: number } | { floats: number[] } | string> = {
    hidden_size: c.H,
    layout: 1,
    direction: c.dir ?? 'forward',
  };
  if (c.clip) attrs['clip'] = { float: c.clip };
  if (c.lbr) attrs['linear_before_reset'] = 1;
  if (c.inputForget) attrs['input_forget'] = 1;
  if (c.alpha) attrs['activation_alpha'] = { floats: c.alpha };
  if (c.beta) attrs['activation_beta'] = { floats: c.beta };
  const bytes = buildModel({
    inputs,
    outputs: outs,
    inits,
    opset: 14,
    nodes: [{ op: c.kind, name: `${c.kind.toLowerCase()}_layer`, inputs: nodeIn, outputs: outs.map((o) => o[0]), attrs }],
  });
  if (!c.acts) return bytes;
  // The builder has no string-list attributes: add `activations` to the encoded model.
  const m = onnx.ModelProto.decode(bytes);
  m.graph!.node![0]!.attribute!.push(
    onnx.AttributeProto.create({
      name: 'activations',
      type: onnx.AttributeProto.AttributeType.STRINGS,
      strings: c.acts.map((s) => new TextEncoder().encode(s)),
    }),
  );
  return onnx.ModelProto.encode(m).finish();
}

/** Narrow types with non-default modes and a configured (non-derived) accumulator. */
export const NARROW_LAYER = {
  weight: 'ap_fixed<8,2,AP_RND_CONV>',
  bias: 'ap_fixed<8,3>',
  accum: 'ap_fixed<12,3,AP_RND,AP_SAT>',
  gate: 'ap_fixed<10,3,AP_RND_CONV,AP_SAT>',
  state: 'ap_fixed<11,2,AP_RND,AP_SAT>',
  table: 'ap_fixed<10,2,AP_RND_CONV,AP_SAT>',
  // 1·1 = 1 (a saturated sigmoid times tanh) wraps to −1 here: a real AP_WRAP case.
  result: 'ap_fixed<9,1,AP_TRN,AP_WRAP>',
};
