/**
 * Float reference kernels for the ONNX recurrent layers LSTM, GRU and RNN (opset 14 equations),
 * in the IR's batch-major layout: X [...lead, T, I], initial states [...lead, D, H], outputs
 * Y [...lead, T, D, H], Y_h and Y_c [...lead, D, H], while W [D, G·H, I], R [D, G·H, H],
 * B [D, 2·G·H] and P [D, 3·H] keep ONNX's layouts and gate orders (LSTM i,o,f,c; GRU z,r,h).
 * Every leading dim is an independent sample; 'reverse' walks time backwards and
 * 'bidirectional' runs direction 0 forward and direction 1 backward. The clip threshold bounds
 * every gate pre-activation, as onnxruntime does (the cell state itself is not clipped).
 * Arithmetic and the carried states are float64; only the outputs are rounded to float32.
 */
import type { Node } from '../../graph.js';
import type { RecurrentActivation, RecurrentAttrs } from '../../ops.js';
import { type Kernel, type KernelTable, type RtTensor, tensor } from '../tensor.js';

type Act = (x: number) => number;

const sigmoid: Act = (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

/** The float function of one typed activation (parsed at import, src/ir/semantics/recurrent.ts). */
function floatAct(a: RecurrentActivation): Act {
  switch (a.fn) {
    case 'Sigmoid':
      return sigmoid;
    case 'Tanh':
      return Math.tanh;
    case 'Relu':
      return (x) => (x > 0 ? x : 0);
    case 'LeakyRelu': {
      const { alpha } = a;
      return (x) => (x >= 0 ? x : alpha * x);
    }
    case 'ThresholdedRelu': {
      const { alpha } = a;
      return (x) => (x > alpha ? x : 0);
    }
    case 'ScaledTanh': {
      const { alpha, beta } = a;
      return (x) => alpha * Math.tanh(beta * x);
    }
    case 'Affine': {
      const { alpha, beta } = a;
      return (x) => alpha * x + beta;
    }
    case 'HardSigmoid': {
      const { alpha, beta } = a;
      return (x) => Math.max(0, Math.min(1, alpha * x + beta));
    }
    case 'Elu': {
      const { alpha } = a;
      return (x) => (x >= 0 ? x : alpha * Math.expm1(x));
    }
    case 'Softsign':
      return (x) => x / (1 + Math.abs(x));
    // log(1 + e^x) without overflow for large x.
    case 'Softplus':
      return (x) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));
  }
}

/** What one direction's cell sees while stepping through one sample. */
interface StepCtx {
  readonly H: number;
  readonly I: number;
  /** W[d] as [G·H, I] and R[d] as [G·H, H], row-major, with their offsets into the data. */
  readonly w: Float32Array;
  readonly wOff: number;
  readonly r: Float32Array;
  readonly rOff: number;
  /** Wb[d] and Rb[d] (G·H each), or undefined without B. */
  readonly b: Float32Array | undefined;
  readonly wbOff: number;
  readonly rbOff: number;
  readonly acts: readonly Act[];
  /** Clamps a gate pre-activation to [-clip, clip] (identity when clip is 0). */
  readonly clip: (v: number) => number;
  /** Scratch: x·Wᵀ + Wb and h·Rᵀ + Rb for all gates. */
  readonly xw: Float64Array;
  readonly hr: Float64Array;
}

/** xw[k] = W[k,:]·x + Wb[k] for every gate row k. */
function inputProjection(s: StepCtx, x: Float32Array, xOff: number): void {
  const { I, w, wOff, xw } = s;
  for (let k = 0; k < xw.length; k++) {
    let acc = s.b ? s.b[s.wbOff + k]! : 0;
    const row = wOff + k * I;
    for (let i = 0; i < I; i++) acc += w[row + i]! * x[xOff + i]!;
    xw[k] = acc;
  }
}

/** out[k] = R[k,:]·h + Rb[k] for gate rows k in [k0, k1). */
function recurrentProjection(s: StepCtx, h: Float64Array, out: Float64Array, k0: number, k1: number): void {
  const { H, r, rOff } = s;
  for (let k = k0; k < k1; k++) {
    let acc = s.b ? s.b[s.rbOff + k]! : 0;
    const row = rOff + k * H;
    for (let j = 0; j < H; j++) acc += r[row + j]! * h[j]!;
    out[k] = acc;
  }
}

/** One time step of a cell: updates h (and c for LSTM) in place from the projections. */
type Step = (s: StepCtx, d: number, h: Float64Array, c: Float64Array) => void;

interface CellSpec<K extends 'LSTM' | 'GRU' | 'RNN'> {
  readonly gates: number;
  readonly hasCell: boolean;
  /** Builds the step function once per kernel call (reads kind-specific attrs and P). */
  readonly step: (node: Node<K>, ins: readonly (RtTensor | undefined)[]) => Step;
}

function runRecurrent<K extends 'LSTM' | 'GRU' | 'RNN'>(
  spec: CellSpec<K>,
  node: Node<K>,
  ins: readonly (RtTensor | undefined)[],
  outShapes: readonly (readonly number[])[],
): RtTensor[] {
  const a: RecurrentAttrs = node.attrs;
  const x = ins[0]!;
  const W = ins[1]!;
  const R = ins[2]!;
  const B = ins[3];
  const h0 = ins[4];
  const c0 = spec.hasCell ? ins[5] : undefined;
  const D = a.direction === 'bidirectional' ? 2 : 1;
  const H = a.hidden;
  const GH = spec.gates * H;
  const T = x.shape[x.shape.length - 2]!;
  const I = x.shape[x.shape.length - 1]!;
  const Nb = x.shape.slice(0, -2).reduce((p, v) => p * v, 1);
  const acts = a.activations.map((dir) => dir.map(floatAct));
  const clipT = a.clip;
  const clip = clipT > 0 ? (v: number) => (v > clipT ? clipT : v < -clipT ? -clipT : v) : (v: number) => v;
  const step = spec.step(node, ins);

  const Y = new Float32Array(Nb * T * D * H);
  const Yh = new Float32Array(Nb * D * H);
  const Yc = new Float32Array(Nb * D * H);
  const h = new Float64Array(H);
  const c = new Float64Array(H);
  for (let d = 0; d < D; d++) {
    const reverse = a.direction === 'reverse' || d === 1;
    const s: StepCtx = {
      H,
      I,
      w: W.data,
      wOff: d * GH * I,
      r: R.data,
      rOff: d * GH * H,
      b: B?.data,
      wbOff: d * 2 * GH,
      rbOff: d * 2 * GH + GH,
      acts: acts[d]!,
      clip,
      xw: new Float64Array(GH),
      hr: new Float64Array(GH),
    };
    for (let n = 0; n < Nb; n++) {
      const stOff = (n * D + d) * H;
      for (let j = 0; j < H; j++) {
        h[j] = h0 ? h0.data[stOff + j]! : 0;
        c[j] = c0 ? c0.data[stOff + j]! : 0;
      }
      for (let k = 0; k < T; k++) {
        const t = reverse ? T - 1 - k : k;
        inputProjection(s, x.data, (n * T + t) * I);
        step(s, d, h, c);
        const yOff = ((n * T + t) * D + d) * H;
        for (let j = 0; j < H; j++) Y[yOff + j] = h[j]!;
      }
      for (let j = 0; j < H; j++) {
        Yh[stOff + j] = h[j]!;
        Yc[stOff + j] = c[j]!;
      }
    }
  }
  const all = [Y, Yh, Yc];
  // An absent output (empty shape from the executor) is returned flat; nothing reads it.
  return outShapes.map((shape, i) => tensor(shape.length ? shape : [all[i]!.length], all[i]!));
}

/**
 * LSTM, gate rows i, o, f, c:
 *   i = f(x·Wiᵀ + h·Riᵀ + Pi⊙c + Wbi + Rbi), f = f(... + Pf⊙c ...) (or 1 − i when coupled),
 *   g = g(x·Wcᵀ + h·Rcᵀ + Wbc + Rbc), C = f⊙c + i⊙g, o = f(... + Po⊙C ...), H = o⊙h(C).
 */
const LSTM_SPEC: CellSpec<'LSTM'> = {
  gates: 4,
  hasCell: true,
  step: (node, ins) => {
    const coupled = node.attrs.inputForget;
    const P = ins[6]?.data;
    return (s, d, h, c) => {
      const { H, xw, hr, clip } = s;
      const [fAct, gAct, hAct] = s.acts as [Act, Act, Act];
      recurrentProjection(s, h, hr, 0, 4 * H);
      const pOff = d * 3 * H;
      // Each unit j depends only on its own c[j] once h·Rᵀ is known, so update in place.
      for (let j = 0; j < H; j++) {
        const cPrev = c[j]!;
        const iPre = xw[j]! + hr[j]! + (P ? P[pOff + j]! * cPrev : 0);
        const ig = fAct(clip(iPre));
        let fg: number;
        if (coupled) fg = 1 - ig;
        else fg = fAct(clip(xw[2 * H + j]! + hr[2 * H + j]! + (P ? P[pOff + 2 * H + j]! * cPrev : 0)));
        const gg = gAct(clip(xw[3 * H + j]! + hr[3 * H + j]!));
        const cNew = fg * cPrev + ig * gg;
        const og = fAct(clip(xw[H + j]! + hr[H + j]! + (P ? P[pOff + H + j]! * cNew : 0)));
        c[j] = cNew;
        h[j] = og * hAct(cNew);
      }
    };
  },
};

/**
 * GRU, gate rows z, r, h:
 *   z = f(x·Wzᵀ + h·Rzᵀ + Wbz + Rbz), r = f(x·Wrᵀ + h·Rrᵀ + Wbr + Rbr),
 *   n = g(x·Whᵀ + (r⊙h)·Rhᵀ + Rbh + Wbh)      (linear_before_reset = 0)
 *   n = g(x·Whᵀ + r⊙(h·Rhᵀ + Rbh) + Wbh)      (linear_before_reset = 1),
 *   H = (1 − z)⊙n + z⊙h.
 */
const GRU_SPEC: CellSpec<'GRU'> = {
  gates: 3,
  hasCell: false,
  step: (node) => {
    const lbr = node.attrs.linearBeforeReset;
    let z = new Float64Array(0);
    let rh = new Float64Array(0);
    return (s, _d, h) => {
      const { H, xw, hr, clip } = s;
      const [fAct, gAct] = s.acts as [Act, Act];
      if (z.length !== H) {
        z = new Float64Array(H);
        rh = new Float64Array(H);
      }
      recurrentProjection(s, h, hr, 0, lbr ? 3 * H : 2 * H);
      for (let j = 0; j < H; j++) {
        z[j] = fAct(clip(xw[j]! + hr[j]!));
        const r = fAct(clip(xw[H + j]! + hr[H + j]!));
        // lbr: hr already holds h·Rhᵀ + Rbh, reset after the product; else reset h first.
        if (lbr) hr[2 * H + j] = r * hr[2 * H + j]!;
        else rh[j] = r * h[j]!;
      }
      if (!lbr) {
        // (r⊙h)·Rhᵀ + Rbh into the h-gate rows of hr; needs every r before any row.
        recurrentProjection(s, rh, hr, 2 * H, 3 * H);
      }
      for (let j = 0; j < H; j++) {
        const n = gAct(clip(xw[2 * H + j]! + hr[2 * H + j]!));
        h[j] = (1 - z[j]!) * n + z[j]! * h[j]!;
      }
    };
  },
};

/** RNN: H = f(x·Wᵀ + h·Rᵀ + Wb + Rb). */
const RNN_SPEC: CellSpec<'RNN'> = {
  gates: 1,
  hasCell: false,
  step: () => (s, _d, h) => {
    const { H, xw, hr, clip } = s;
    const f = s.acts[0]!;
    recurrentProjection(s, h, hr, 0, H);
    for (let j = 0; j < H; j++) h[j] = f(clip(xw[j]! + hr[j]!));
  },
};

const lstm: Kernel<'LSTM'> = (node, ins, outShapes) => runRecurrent(LSTM_SPEC, node, ins, outShapes);
const gru: Kernel<'GRU'> = (node, ins, outShapes) => runRecurrent(GRU_SPEC, node, ins, outShapes);
const rnn: Kernel<'RNN'> = (node, ins, outShapes) => runRecurrent(RNN_SPEC, node, ins, outShapes);

export const recurrentKernels: KernelTable = { LSTM: lstm, GRU: gru, RNN: rnn };
