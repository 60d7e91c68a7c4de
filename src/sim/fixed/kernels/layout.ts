/**
 * Bit-accurate data movement: Reshape, Transpose, Pad, nearest Resize and the static selections
 * Slice, Tile, Expand and Gather (constant indices). Each is an index map
 * per sample (output element <- input element, or the pad constant; movementIndexMap in
 * src/ir/semantics/index-maps.ts, shared with the HLS emitter); then every element is cast into
 * the output's type (the identity when the types agree). Pad's constant is quantized into y's type.
 */
import { fracBits } from '../../../ir/fixed.js';
import { padRawOf } from '../../../ir/semantics/derived-raws.js';
import { movementIndexMap } from '../../../ir/semantics/index-maps.js';
import { checkWidth, isIdentityCast, resultCast } from '../casts.js';
import { type FixedKernel, type FixedKernelTable, type FixedRun, freshAlloc } from '../kernel.js';

const movement: FixedKernel = (node, ctx) => {
  const xT = ctx.value(node.inputs[0]!).fixed!;
  const Y = ctx.value(node.outputs[0]!);
  const yT = Y.fixed!;
  checkWidth(yT, `node '${node.name}' (${node.op})`);
  const map = movementIndexMap(ctx.g, node);
  const inSize = ctx.value(node.inputs[0]!).shape.reduce((p, d) => p * d, 1);
  const per = map.length;
  const padRaw = node.op === 'Pad' ? Number(padRawOf(node)) : 0;
  const same = isIdentityCast(xT, yT);
  const c = resultCast(fracBits(xT), yT, ctx.stats);
  const copy: FixedRun = (ins, _n, alloc = freshAlloc) => {
    const x = ins[0]!;
    const y = alloc(x.length);
    y.set(x);
    return [y];
  };
  if (node.op === 'Reshape' && same) return copy;
  // A map that moves nothing (a transpose of size-1 dims) is a copy; one without padding or cast a plain gather.
  if (same && per === inSize && map.every((v, j) => v === j)) return copy;
  const rot = same ? rotation(map, inSize) : null;
  if (rot) {
    // A dim rotation (the channels-first → channels-last relayout): y[i·C + c] = x[c·P + i],
    // loops without the index map (the gather below costs several times more per element).
    const { C, P } = rot;
    return (ins, n, alloc = freshAlloc) => {
      const x = ins[0]!;
      const y = alloc(n * per);
      for (let s = 0; s < n; s++) {
        const o = s * per;
        for (let c = 0; c < C; c++) {
          const xo = o + c * P;
          for (let i = 0; i < P; i++) y[o + i * C + c] = x[xo + i]!;
        }
      }
      return [y];
    };
  }
  if (same && map.every((v) => v >= 0)) {
    return (ins, n, alloc = freshAlloc) => {
      const x = ins[0]!;
      const y = alloc(n * per);
      for (let s = 0; s < n; s++) {
        const xo = s * inSize;
        const yo = s * per;
        for (let j = 0; j < per; j++) y[yo + j] = x[xo + map[j]!]!;
      }
      return [y];
    };
  }
  return (ins, n, alloc = freshAlloc) => {
    const x = ins[0]!;
    const y = alloc(n * per);
    for (let s = 0; s < n; s++) {
      const xo = s * inSize;
      for (let j = 0; j < per; j++) {
        const i = map[j]!;
        y[s * per + j] = i < 0 ? padRaw : same ? x[xo + i]! : c(x[xo + i]!);
      }
    }
    return [y];
  };
};

/**
 * C and P when the map is a rotation of a [C, P] sample into [P, C] (map[i·C + c] = c·P + i,
 * C, P > 1, every input element read once), else null.
 */
function rotation(map: Int32Array | readonly number[], inSize: number): { C: number; P: number } | null {
  const per = map.length;
  if (per !== inSize || per < 4 || map[0] !== 0) return null;
  const P = map[1]!;
  if (!(P > 1) || per % P !== 0) return null;
  const C = per / P;
  if (C < 2) return null;
  for (let i = 0; i < P; i++) for (let c = 0; c < C; c++) if (map[i * C + c] !== c * P + i) return null;
  return { C, P };
}

export const layoutFixedKernels: FixedKernelTable = {
  Reshape: movement,
  Transpose: movement,
  Pad: movement,
  Resize: movement,
  Slice: movement,
  Tile: movement,
  Expand: movement,
  Gather: movement,
};
