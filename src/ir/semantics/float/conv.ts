/**
 * Float reference kernels for N-d convolution and transposed convolution in the IR's
 * channels-last layout. Conv weights are [k..., Cin/group, Cout]; ConvTranspose weights are
 * [k..., Cin, Cout/group] (ONNX's [Cin, Cout/g, k...] moved channels-last). Both handle
 * strides, dilations, asymmetric pads and groups (depthwise is group = Cin), and accumulate in
 * float64. Dims in front of the spatial dims are independent samples.
 */
import type { ConvAttrs, ConvTransposeAttrs } from '../../ops.js';
import { type Kernel, type KernelTable, tensor } from '../tensor.js';

/** Row-major strides of a shape. */
function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

/** Calls fn with every multi-index of `shape` (row-major order) and its flat position. */
function forEachIndex(shape: readonly number[], fn: (idx: readonly number[], flat: number) => void): void {
  const n = shape.reduce((p, d) => p * d, 1);
  const idx = new Array<number>(shape.length).fill(0);
  for (let f = 0; f < n; f++) {
    fn(idx, f);
    for (let i = shape.length - 1; i >= 0; i--) {
      if (++idx[i]! < shape[i]!) break;
      idx[i] = 0;
    }
  }
}

interface Geometry {
  samples: number;
  inSp: number[];
  outSp: number[];
  cin: number;
  cout: number;
  inSpStr: number[];
  outSpStr: number[];
}

function geometry(xShape: readonly number[], outShape: readonly number[], s: number): Geometry {
  const r = xShape.length;
  const inSp = xShape.slice(r - s - 1, r - 1);
  const outSp = outShape.slice(r - s - 1, r - 1);
  return {
    samples: xShape.slice(0, r - s - 1).reduce((p, d) => p * d, 1),
    inSp,
    outSp,
    cin: xShape[r - 1]!,
    cout: outShape[r - 1]!,
    inSpStr: stridesOf(inSp),
    outSpStr: stridesOf(outSp),
  };
}

const conv: Kernel<'Conv'> = (node, ins, outShapes) => {
  const a: ConvAttrs = node.attrs;
  const x = ins[0]!;
  const w = ins[1]!;
  const b = ins[2];
  const s = a.kernel.length;
  const g = geometry(x.shape, outShapes[0]!, s);
  const out = tensor(outShapes[0]!);
  const cinG = g.cin / a.group;
  const coutG = g.cout / a.group;
  const inPlane = g.inSp.reduce((p, d) => p * d, 1) * g.cin;
  const outPlane = g.outSp.reduce((p, d) => p * d, 1) * g.cout;
  const taps: number[][] = [];
  forEachIndex(a.kernel, (k) => taps.push([...k]));
  const acc = new Float64Array(g.cout);
  const pos = new Array<number>(s);
  for (let n = 0; n < g.samples; n++) {
    const xo = n * inPlane;
    forEachIndex(g.outSp, (o, of) => {
      if (b) for (let c = 0; c < g.cout; c++) acc[c] = b.data[c]!;
      else acc.fill(0);
      for (let t = 0; t < taps.length; t++) {
        const k = taps[t]!;
        let inside = true;
        let off = 0;
        for (let i = 0; i < s; i++) {
          pos[i] = o[i]! * a.strides[i]! + k[i]! * a.dilations[i]! - a.pads[i]!;
          if (pos[i]! < 0 || pos[i]! >= g.inSp[i]!) {
            inside = false;
            break;
          }
          off += pos[i]! * g.inSpStr[i]!;
        }
        if (!inside) continue;
        const xBase = xo + off * g.cin;
        const wBase = t * cinG * g.cout;
        for (let gr = 0; gr < a.group; gr++) {
          for (let ci = 0; ci < cinG; ci++) {
            const xv = x.data[xBase + gr * cinG + ci]!;
            if (xv === 0) continue;
            const wRow = wBase + ci * g.cout + gr * coutG;
            const aRow = gr * coutG;
            for (let co = 0; co < coutG; co++) acc[aRow + co]! += xv * w.data[wRow + co]!;
          }
        }
      }
      out.data.set(acc, n * outPlane + of * g.cout);
    });
  }
  return [out];
};

/**
 * Transposed convolution as a scatter: every input pixel adds its weighted kernel footprint to
 * the output at o = i*stride + k*dilation - pad_begin (positions outside the output drop).
 */
const convTranspose: Kernel<'ConvTranspose'> = (node, ins, outShapes) => {
  const a: ConvTransposeAttrs = node.attrs;
  const x = ins[0]!;
  const w = ins[1]!;
  const b = ins[2];
  const s = a.kernel.length;
  const g = geometry(x.shape, outShapes[0]!, s);
  const cinG = g.cin / a.group;
  const coutG = g.cout / a.group;
  const inPlane = g.inSp.reduce((p, d) => p * d, 1) * g.cin;
  const outPix = g.outSp.reduce((p, d) => p * d, 1);
  const outPlane = outPix * g.cout;
  const taps: number[][] = [];
  forEachIndex(a.kernel, (k) => taps.push([...k]));
  const acc = new Float64Array(outPlane);
  const out = tensor(outShapes[0]!);
  for (let n = 0; n < g.samples; n++) {
    for (let p = 0; p < outPix; p++) {
      for (let c = 0; c < g.cout; c++) acc[p * g.cout + c] = b ? b.data[c]! : 0;
    }
    const xo = n * inPlane;
    forEachIndex(g.inSp, (iIdx, iFlat) => {
      for (let t = 0; t < taps.length; t++) {
        const k = taps[t]!;
        let off = 0;
        let inside = true;
        for (let d = 0; d < s; d++) {
          const o = iIdx[d]! * a.strides[d]! + k[d]! * a.dilations[d]! - a.pads[d]!;
          if (o < 0 || o >= g.outSp[d]!) {
            inside = false;
            break;
          }
          off += o * g.outSpStr[d]!;
        }
        if (!inside) continue;
        const oBase = off * g.cout;
        for (let gr = 0; gr < a.group; gr++) {
          for (let ci = 0; ci < cinG; ci++) {
            const cIn = gr * cinG + ci;
            const xv = x.data[xo + iFlat * g.cin + cIn]!;
            if (xv === 0) continue;
            const wRow = (t * g.cin + cIn) * coutG;
            const oRow = oBase + gr * coutG;
            for (let co = 0; co < coutG; co++) acc[oRow + co]! += xv * w.data[wRow + co]!;
          }
        }
      }
    });
    out.data.set(acc, n * outPlane);
  }
  return [out];
};

export const convKernels: KernelTable = { Conv: conv, ConvTranspose: convTranspose };
export { forEachIndex, stridesOf };
