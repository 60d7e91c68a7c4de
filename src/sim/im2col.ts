/**
 * Convolution windows gathered into rows ("im2col"), shared by the float executor and the
 * fixed-point simulator: for each output pixel the list of (tap, input pixel) pairs inside the
 * input, computed once per layer, and the index map of a gather that copies a block of samples'
 * windows into a patch matrix [samples·outPix, taps·channels] in the weights' row order
 * (tap-major, then channel). A convolution then runs as one weighted sum over the patch rows.
 */
import { forEachIndex, stridesOf } from '../ir/semantics/float/conv.js';

export interface ConvWindows {
  readonly inPix: number;
  readonly outPix: number;
  readonly taps: number;
  /** Per output pixel: flat pairs (tap index, input pixel offset), inside-the-input taps only. */
  readonly plan: readonly Int32Array[];
}

export interface WindowGeometry {
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  /** Begin pads per spatial dim (end pads only bound the output size, already in outSp). */
  readonly pads: readonly number[];
}

export function convWindows(inSp: readonly number[], outSp: readonly number[], a: WindowGeometry): ConvWindows {
  const s = a.kernel.length;
  const inStr = stridesOf(inSp);
  const taps: number[][] = [];
  forEachIndex(a.kernel, (k) => taps.push([...k]));
  const plan: Int32Array[] = [];
  forEachIndex(outSp, (o) => {
    const list: number[] = [];
    taps.forEach((k, t) => {
      let off = 0;
      for (let i = 0; i < s; i++) {
        const p = o[i]! * a.strides[i]! + k[i]! * a.dilations[i]! - a.pads[i]!;
        if (p < 0 || p >= inSp[i]!) return;
        off += p * inStr[i]!;
      }
      list.push(t, off);
    });
    plan.push(Int32Array.from(list));
  });
  return { inPix: inSp.reduce((p, d) => p * d, 1), outPix: outSp.reduce((p, d) => p * d, 1), taps: taps.length, plan };
}

/**
 * Where each element of one sample's patch comes from: for patch element (output pixel p,
 * tap t, channel ci) of channels [c0, c0 + cn), the offset of its input inside the sample
 * (channels-last, `cin` channels), or -1 where the tap hangs over the padding. A gather is then
 * one linear pass: patch[i] = idx[i] < 0 ? 0 : x[sampleBase + idx[i]] (each kernel writes that
 * loop itself, so V8 sees one array type per loop).
 */
export function windowIndex(W: ConvWindows, cin: number, c0: number, cn: number): Int32Array {
  const K = W.taps * cn;
  const idx = new Int32Array(W.outPix * K).fill(-1);
  for (let op = 0; op < W.outPix; op++) {
    const list = W.plan[op]!;
    for (let j = 0; j < list.length; j += 2) {
      const dst = op * K + list[j]! * cn;
      const src = list[j + 1]! * cin + c0;
      for (let ci = 0; ci < cn; ci++) idx[dst + ci] = src + ci;
    }
  }
  return idx;
}

/** Samples per gathered block so a patch stays near `budget` elements. */
export function blockSamples(W: ConvWindows, K: number, samples: number, budget = 1 << 20): number {
  return Math.max(1, Math.min(samples, Math.floor(budget / (W.outPix * K))));
}

/**
 * A convolution laid out for weighted row sums (sums-codegen.ts rowSums): output pixels whose
 * window lies inside the input read the input directly (row base = the window's first input
 * element, per-k offsets = the window's shape), and only the others — along padded borders —
 * are gathered into patch rows first. k = tap·cinG + channel, the weights' row order.
 */
export interface ConvPlan {
  readonly W: ConvWindows;
  readonly cin: number;
  readonly cinG: number;
  readonly group: number;
  readonly cout: number;
  /** Output pixels with a full window, and the offset (elements in a sample) of each window's first tap. */
  readonly inside: Int32Array;
  readonly origin: Int32Array;
  /** Output pixels whose window hangs over the padding. */
  readonly border: Int32Array;
  /** Per group: the window offsets of the K = taps·cinG terms, relative to the origin. */
  readonly off: Int32Array[];
  /** Per group: patch index map of the border rows ([border.length·K], -1 = padding; see windowIndex). */
  readonly borderIndex: Int32Array[];
  /** 0..K-1: the offsets of a patch row. */
  readonly identity: Int32Array;
  /** This plan's own border gather (see makeGather). */
  readonly gather: Gather;
}

/** patch[s·L + i] = x[base + s·step + idx[i]] (0 where idx[i] < 0) for s < nb, L = idx.length. */
export type Gather = (x: ArrayLike<number>, base: number, step: number, nb: number, idx: Int32Array, patch: { [i: number]: number }) => void;

/**
 * A gather loop of its own (new source per plan): a float plan always sees float32 arrays and a
 * fixed one float64 arrays, so each loop keeps one element type — a loop shared by both
 * degrades to slow generic element access.
 */
function makeGather(): Gather {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function(
    'x',
    'base',
    'step',
    'nb',
    'idx',
    'patch',
    'const L = idx.length; for (let s = 0; s < nb; s++) { const xo = base + s * step; const po = s * L; for (let i = 0; i < L; i++) { const j = idx[i]; patch[po + i] = j < 0 ? 0 : x[xo + j]; } }',
  ) as Gather;
}

export function convPlan(inSp: readonly number[], outSp: readonly number[], a: WindowGeometry & { group: number }, cin: number, cout: number): ConvPlan {
  const W = convWindows(inSp, outSp, a);
  const s = a.kernel.length;
  const inStr = stridesOf(inSp);
  const cinG = cin / a.group;
  const K = W.taps * cinG;
  const rel: number[] = [];
  forEachIndex(a.kernel, (k) => rel.push(k.reduce((p, ki, i) => p + ki * a.dilations[i]! * inStr[i]!, 0)));
  const inside: number[] = [];
  const origin: number[] = [];
  const border: number[] = [];
  forEachIndex(outSp, (o, op) => {
    if (W.plan[op]!.length / 2 === W.taps) {
      inside.push(op);
      let org = 0;
      for (let i = 0; i < s; i++) org += (o[i]! * a.strides[i]! - a.pads[i]!) * inStr[i]!;
      origin.push(org * cin);
    } else border.push(op);
  });
  const off: Int32Array[] = [];
  const borderIndex: Int32Array[] = [];
  for (let gr = 0; gr < a.group; gr++) {
    const o = new Int32Array(K);
    for (let t = 0; t < W.taps; t++) for (let ci = 0; ci < cinG; ci++) o[t * cinG + ci] = rel[t]! * cin + gr * cinG + ci;
    off.push(o);
    const full = windowIndex(W, cin, gr * cinG, cinG);
    const bi = new Int32Array(border.length * K);
    border.forEach((op, j) => bi.set(full.subarray(op * K, (op + 1) * K), j * K));
    borderIndex.push(bi);
  }
  return {
    W,
    cin,
    cinG,
    group: a.group,
    cout,
    inside: Int32Array.from(inside),
    origin: Int32Array.from(origin),
    border: Int32Array.from(border),
    off,
    borderIndex,
    identity: Int32Array.from({ length: K }, (_, k) => k),
    gather: makeGather(),
  };
}

type Sink = { [i: number]: number } & { subarray(begin: number): Sink };
type RowFn = (x: ArrayLike<number>, xb: Int32Array, y: { [i: number]: number }, yb: Int32Array, rows: number) => void;

/**
 * Runs the convolution of `samples` samples of x into y (channels-last, y fully written):
 * per block of samples, the inside rows of every group straight from x, the border rows through
 * a patch. `inside[gr]` was compiled with plan.off[gr], `border[gr]` with plan.identity; both
 * write rows `cout` apart into y from the group's first output channel. `patch` must hold
 * blockSize·border.length·K elements.
 */
export function runConvPlan(
  P: ConvPlan,
  x: ArrayLike<number>,
  samples: number,
  y: Sink,
  inside: readonly RowFn[],
  border: readonly RowFn[],
  patch: Sink & ArrayLike<number>,
  blockSize: number,
): void {
  const { W, cin, cout } = P;
  const K = W.taps * P.cinG;
  const coutG = cout / P.group;
  const nIn = P.inside.length;
  const nBd = P.border.length;
  const xbIn = new Int32Array(blockSize * nIn);
  const ybIn = new Int32Array(blockSize * nIn);
  const xbBd = new Int32Array(blockSize * nBd);
  const ybBd = new Int32Array(blockSize * nBd);
  for (let r = 0; r < blockSize * nBd; r++) xbBd[r] = r * K;
  for (let n0 = 0; n0 < samples; n0 += blockSize) {
    const nb = Math.min(blockSize, samples - n0);
    for (let s = 0; s < nb; s++) {
      const xs = (n0 + s) * W.inPix * cin;
      const ys = (n0 + s) * W.outPix;
      for (let j = 0; j < nIn; j++) {
        xbIn[s * nIn + j] = xs + P.origin[j]!;
        ybIn[s * nIn + j] = (ys + P.inside[j]!) * cout;
      }
      for (let j = 0; j < nBd; j++) ybBd[s * nBd + j] = (ys + P.border[j]!) * cout;
    }
    for (let gr = 0; gr < P.group; gr++) {
      const yg = gr === 0 ? y : y.subarray(gr * coutG);
      if (nIn) inside[gr]!(x, xbIn, yg, ybIn, nb * nIn);
      if (nBd) {
        P.gather(x, n0 * W.inPix * cin, W.inPix * cin, nb, P.borderIndex[gr]!, patch);
        border[gr]!(patch, xbBd, yg, ybBd, nb * nBd);
      }
    }
  }
}

/** Samples per block of runConvPlan: the border patch near 2^20 elements, at most 1024 samples. */
export function convBlock(P: ConvPlan, samples: number): number {
  const per = Math.max(1, P.border.length * P.W.taps * P.cinG);
  return Math.max(1, Math.min(samples, 1024, Math.floor((1 << 20) / per)));
}
