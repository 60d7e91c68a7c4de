/**
 * Float reference kernel for Pad over the value's own dims (leading run-time dims are never
 * padded), with pads [begin per dim..., end per dim...] as in ONNX. Negative pads crop, and the
 * positive ones then pad the cropped extent (onnxruntime's order). Modes: 'constant' fills with
 * the attribute value, 'edge' repeats the border element, 'reflect' mirrors about the border
 * without repeating it (numpy 'reflect': [1,2,3] padded by 2 gives [3,2,1,2,3,2,1]); reflections
 * wider than the input keep bouncing with period 2·(len − 1) as numpy's do, where onnxruntime
 * would refuse. Each output index maps to one source index per dim, so the kernel builds those
 * maps once and gathers.
 */
import { numel, strides } from '../../graph.js';
import { type Kernel, type KernelTable, tensor } from '../tensor.js';

/** Source index of padded position i (may be out of range) along a dim of length len; −1 = fill. */
export function padSourceIndex(i: number, len: number, mode: 'constant' | 'edge' | 'reflect'): number {
  if (i >= 0 && i < len) return i;
  if (mode === 'constant' || len === 0) return -1;
  if (mode === 'edge') return i < 0 ? 0 : len - 1;
  if (len === 1) return 0;
  const period = 2 * (len - 1);
  const m = ((i % period) + period) % period;
  return m < len ? m : period - m;
}

const pad: Kernel<'Pad'> = (node, ins, outShapes) => {
  const x = ins[0]!;
  const { mode, pads, value } = node.attrs;
  const outShape = outShapes[0]!;
  const r = pads.length / 2;
  const lead = x.shape.length - r;
  const inOwn = x.shape.slice(lead);
  const outOwn = outShape.slice(lead);
  const inStr = strides(inOwn);
  const inBlk = numel(inOwn);
  const outBlk = numel(outOwn);
  const nb = numel(x.shape.slice(0, lead));
  // maps[d][o]: offset of the source element along dim d (index · stride), or −1 to fill.
  // Negative pads crop first and positive ones then pad what is left (as onnxruntime does), so
  // edge and reflect see the cropped extent: [1,2,3,4] with pads (-1, 2) reflects [2,3,4].
  const maps = outOwn.map((len, d) => {
    const begin = pads[d]!;
    const lo = Math.max(-begin, 0);
    const kept = inOwn[d]! - lo - Math.max(-pads[d + r]!, 0);
    const m = new Int32Array(len);
    for (let o = 0; o < len; o++) {
      const s = padSourceIndex(o - Math.max(begin, 0), kept, mode);
      m[o] = s < 0 ? -1 : (lo + s) * inStr[d]!;
    }
    return m;
  });
  const out = tensor(outShape);
  const idx = new Array<number>(r).fill(0);
  for (let o = 0; o < outBlk; o++) {
    let off = 0;
    for (let d = 0; d < r && off >= 0; d++) {
      const m = maps[d]![idx[d]!]!;
      off = m < 0 ? -1 : off + m;
    }
    for (let b = 0; b < nb; b++) out.data[b * outBlk + o] = off < 0 ? value : x.data[b * inBlk + off]!;
    for (let d = r - 1; d >= 0; d--) {
      if (++idx[d]! < outOwn[d]!) break;
      idx[d] = 0;
    }
  }
  return [out];
};

export const padKernels: KernelTable = { Pad: pad };
