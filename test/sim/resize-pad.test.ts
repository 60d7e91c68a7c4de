/**
 * Tests of the float Resize and Pad kernels: hand-computed exact cases (nearest 2× upsampling,
 * align_corners and half_pixel linear, reflect/edge/constant padding, cropping), then random
 * tensors against independent references written here from the ONNX definitions — Resize as a
 * direct N-linear sum over the 2^k corner neighbours of every output element (the kernel works
 * one dim at a time), Pad as numpy-style padding applied one dim after another (the kernel maps
 * all dims at once). When the Debian ONNX node-test data and the project's TensorProto reader
 * are present, a few of ONNX's stored Resize and Pad node tests are compared as well.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import type { Node } from '../../src/ir/graph.js';
import type { OpAttrs, ResizeCoordMode, ResizeNearestMode } from '../../src/ir/ops.js';
import type { RtTensor } from '../../src/ir/semantics/tensor.js';
import { padKernels, padSourceIndex } from '../../src/ir/semantics/float/pad.js';
import { resizeKernels, resizeNearestIndex, resizeSourceCoord } from '../../src/ir/semantics/float/resize.js';

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 4 - 2;
  };
}

const prod = (s: readonly number[]) => s.reduce((p, v) => p * v, 1);
const stridesOf = (s: readonly number[]) => s.map((_, i) => prod(s.slice(i + 1)));

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string, atol = 1e-6, rtol = 1e-5): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const ok = Math.abs(got[i]! - want[i]!) <= atol + rtol * Math.abs(want[i]!);
    if (!ok) expect(got[i], `${what}: element ${i}`).toBe(want[i]);
  }
}

function runResize(x: RtTensor, attrs: OpAttrs['Resize']): RtTensor {
  const lead = x.shape.slice(0, x.shape.length - attrs.outShape.length);
  const node: Node<'Resize'> = { name: 'rs', op: 'Resize', inputs: ['x'], outputs: ['y'], attrs };
  return resizeKernels.Resize!(node, [x], [[...lead, ...attrs.outShape]])[0]!;
}

function runPad(x: RtTensor, attrs: OpAttrs['Pad']): RtTensor {
  const r = attrs.pads.length / 2;
  const lead = x.shape.length - r;
  const out = x.shape.map((d, i) => (i < lead ? d : d + attrs.pads[i - lead]! + attrs.pads[i - lead + r]!));
  const node: Node<'Pad'> = { name: 'pd', op: 'Pad', inputs: ['x'], outputs: ['y'], attrs };
  return padKernels.Pad!(node, [x], [out])[0]!;
}

const t = (shape: number[], data: number[]): RtTensor => ({ shape, data: Float32Array.from(data) });
const rs = (
  mode: 'nearest' | 'linear',
  scales: number[],
  outShape: number[],
  coordMode: ResizeCoordMode = 'half_pixel',
  nearestMode: ResizeNearestMode = 'round_prefer_floor',
): OpAttrs['Resize'] => ({ mode, scales, outShape, coordMode, nearestMode });

// ---------------------------------------------------------------- Resize

describe('Resize kernel, exact cases', () => {
  it('nearest 2x upsample of [[1,2],[3,4]]', () => {
    const y = runResize(t([2, 2], [1, 2, 3, 4]), rs('nearest', [2, 2], [4, 4]));
    expect(Array.from(y.data)).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
    expect(y.shape).toEqual([4, 4]);
  });

  it('nearest with asymmetric / floor keeps a leading dim untouched', () => {
    // Own dims are just the last one; the leading 2 is a run-time batch.
    const y = runResize(t([2, 3], [1, 2, 3, 4, 5, 6]), rs('nearest', [2], [6], 'asymmetric', 'floor'));
    expect(Array.from(y.data)).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6]);
  });

  it('linear align_corners, 1-D and 2-D', () => {
    const y1 = runResize(t([3], [1, 2, 4]), rs('linear', [5 / 3], [5], 'align_corners'));
    expectClose(y1.data, [1, 1.5, 2, 3, 4], '1-D');
    const y2 = runResize(t([2, 2], [1, 2, 3, 4]), rs('linear', [1.5, 1.5], [3, 3], 'align_corners'));
    expectClose(y2.data, [1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4], '2-D');
  });

  it('linear half_pixel clamps at the borders', () => {
    // x = -0.25 → 0, 0.25, 0.75, 1.25 → 1.
    const y = runResize(t([2], [1, 3]), rs('linear', [2], [4]));
    expectClose(y.data, [1, 1.5, 2.5, 3], 'half_pixel');
  });

  it('linear downsample to one element: pytorch_half_pixel reads index 0, half_pixel the middle', () => {
    const x = t([4], [1, 2, 3, 4]);
    expectClose(runResize(x, rs('linear', [0.25], [1], 'pytorch_half_pixel')).data, [1], 'pytorch');
    expectClose(runResize(x, rs('linear', [0.25], [1], 'half_pixel')).data, [2.5], 'half_pixel');
    expectClose(runResize(x, rs('linear', [0.25], [1], 'align_corners')).data, [1], 'align_corners');
  });

  it('coordinate transforms follow the ONNX formulas', () => {
    expect(resizeSourceCoord('half_pixel', 3, 2, 8, 4)).toBe(1.25);
    expect(resizeSourceCoord('pytorch_half_pixel', 3, 2, 8, 4)).toBe(1.25);
    expect(resizeSourceCoord('pytorch_half_pixel', 0, 0.25, 1, 4)).toBe(0);
    expect(resizeSourceCoord('align_corners', 3, 2, 7, 4)).toBe(1.5);
    expect(resizeSourceCoord('asymmetric', 3, 2, 8, 4)).toBe(1.5);
    expect(resizeSourceCoord('tf_half_pixel_for_nn', 3, 2, 8, 4)).toBe(1.75);
  });

  it('coordinates are float32, so exact ratios stay exact (onnxruntime agrees)', () => {
    const x = t([7], [0, 1, 2, 3, 4, 5, 6]);
    // 1 / 0.4 is 2.5 in float32 (2.49999996 in float64): a tie, which round_prefer_ceil lifts.
    expect(Array.from(runResize(x, rs('nearest', [0.4], [2], 'asymmetric', 'round_prefer_ceil')).data)).toEqual([0, 3]);
    // 1.5 / 0.6 − 0.5 is 2 in float32 (1.99999997 in float64).
    expect(Array.from(runResize(x, rs('nearest', [0.6], [4], 'half_pixel', 'floor')).data)).toEqual([0, 2, 3, 5]);
  });

  it('nearest modes round ties their own way and clamp', () => {
    const at = (m: ResizeNearestMode, x: number) => resizeNearestIndex(m, x, 5);
    expect([1.5, 2.5, 1.4, 1.6].map((x) => at('round_prefer_floor', x))).toEqual([1, 2, 1, 2]);
    expect([1.5, 2.5, 1.4, 1.6].map((x) => at('round_prefer_ceil', x))).toEqual([2, 3, 1, 2]);
    expect([1.2, 1.9].map((x) => at('floor', x))).toEqual([1, 1]);
    expect([1.2, 1.9, 1].map((x) => at('ceil', x))).toEqual([2, 2, 1]);
    expect([-0.6, 4.6, 9].map((x) => at('round_prefer_ceil', x))).toEqual([0, 4, 4]);
  });
});

/**
 * Reference Resize: for every output element, the weighted sum over all 2^k corners (k own dims).
 * A dim with scale 1 and unchanged length maps each index to itself, without the coordinate
 * transform (onnxruntime's rule; tf_half_pixel_for_nn would otherwise shift it by half a pixel).
 * Coordinates are computed in float32 (fr after every operation), as onnxruntime does.
 */
function refResize(x: RtTensor, a: OpAttrs['Resize']): number[] {
  const r = a.outShape.length;
  const lead = x.shape.slice(0, x.shape.length - r);
  const inOwn = x.shape.slice(lead.length);
  const inStr = stridesOf(inOwn);
  const outN = prod(a.outShape);
  const out: number[] = [];
  for (let b = 0; b < prod(lead); b++) {
    for (let o = 0; o < outN; o++) {
      const idx = a.outShape.map((_, d) => Math.floor(o / prod(a.outShape.slice(d + 1))) % a.outShape[d]!);
      // Per dim: list of [source index, weight].
      const perDim = idx.map((io, d): [number, number][] => {
        const len = inOwn[d]!;
        const lenOut = a.outShape[d]!;
        const s = a.scales[d]!;
        if (s === 1 && len === lenOut) return [[io, 1]];
        const fr = Math.fround;
        const sf = fr(s);
        let xo: number;
        if (a.coordMode === 'align_corners') xo = lenOut === 1 ? 0 : fr((io * (len - 1)) / (lenOut - 1));
        else if (a.coordMode === 'asymmetric') xo = fr(io / sf);
        else if (a.coordMode === 'tf_half_pixel_for_nn') xo = fr((io + 0.5) / sf);
        else if (a.coordMode === 'pytorch_half_pixel' && lenOut === 1) xo = 0;
        else xo = fr(fr((io + 0.5) / sf) - 0.5);
        if (a.mode === 'nearest') {
          const f = Math.floor(xo);
          const frac = xo - f;
          let n: number;
          if (a.nearestMode === 'floor') n = f;
          else if (a.nearestMode === 'ceil') n = frac > 0 ? f + 1 : f;
          else if (frac === 0.5) n = a.nearestMode === 'round_prefer_floor' ? f : f + 1;
          else n = frac < 0.5 ? f : f + 1;
          return [[Math.max(0, Math.min(len - 1, n)), 1]];
        }
        const xc = Math.max(0, Math.min(len - 1, xo));
        const f = Math.floor(xc);
        return [
          [f, 1 - (xc - f)],
          [Math.min(f + 1, len - 1), xc - f],
        ];
      });
      let acc = 0;
      const corners = perDim.reduce<[number, number][]>(
        (cs, taps, d) => cs.flatMap(([off, w]) => taps.map(([i, wt]): [number, number] => [off + i * inStr[d]!, w * wt])),
        [[0, 1]],
      );
      for (const [off, w] of corners) acc += w * x.data[b * prod(inOwn) + off]!;
      out.push(acc);
    }
  }
  return out;
}

describe('Resize kernel vs an N-linear reference', () => {
  const coords: ResizeCoordMode[] = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn'];
  const nearest: ResizeNearestMode[] = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];
  // [input own shape, output own shape]; scales are out / in as the frontend stores them.
  const geoms: [number[], number[]][] = [
    [[3, 4, 2], [6, 7, 2]],
    [[5, 6, 3], [2, 3, 3]],
    [[4, 3], [1, 5]],
    [[7], [3]],
  ];
  let seed = 1;
  for (const [inS, outS] of geoms) {
    for (const coordMode of coords) {
      for (const mode of ['linear', 'nearest'] as const) {
        for (const nearestMode of mode === 'linear' ? (['round_prefer_floor'] as const) : nearest) {
          it(`${mode} ${coordMode}${mode === 'nearest' ? ` ${nearestMode}` : ''} [${inS}] → [${outS}]`, () => {
            const r = rng(seed++);
            const shape = [2, ...inS];
            const x = t(shape, Array.from({ length: prod(shape) }, r));
            const a = rs(mode, inS.map((d, i) => outS[i]! / d), outS, coordMode, nearestMode);
            expectClose(runResize(x, a).data, refResize(x, a), 'resize');
          });
        }
      }
    }
  }

  it('a dim with scale 1 and unchanged size is passed through, even by tf_half_pixel_for_nn', () => {
    const x = t([2, 2], [1, 2, 3, 4]);
    const y = runResize(x, rs('linear', [2, 1], [4, 2], 'tf_half_pixel_for_nn'));
    // Rows: x = (o + 0.5) / 2 → 0.25, 0.75, 1.25 → 1, 1.75 → 1; columns untouched.
    expectClose(y.data, [1.5, 2.5, 2.5, 3.5, 3, 4, 3, 4], 'rows only');
  });

  it('a scale that is not out/in is honoured (the transform uses attrs.scales)', () => {
    // ONNX with scales 0.6 on length 4: out = floor(2.4) = 2, coords use 0.6, not 2/4.
    const x = t([4], [1, 2, 3, 4]);
    const a = rs('linear', [0.6], [2]);
    expectClose(runResize(x, a).data, refResize(x, a), 'scale 0.6');
    expectClose(runResize(x, a).data, [1 + (0.5 / 0.6 - 0.5), 1 + (1.5 / 0.6 - 0.5)], 'scale 0.6 exact');
  });
});

// ---------------------------------------------------------------- Pad

describe('Pad kernel, exact cases', () => {
  const p = (mode: OpAttrs['Pad']['mode'], pads: number[], value = 0): OpAttrs['Pad'] => ({ mode, pads, value });
  it('reflect [1,2,3] by 2 → [3,2,1,2,3,2,1]', () => {
    expect(Array.from(runPad(t([3], [1, 2, 3]), p('reflect', [2, 2])).data)).toEqual([3, 2, 1, 2, 3, 2, 1]);
  });
  it('reflect wider than the input keeps bouncing like numpy', () => {
    // np.pad([1,2,3], 5, 'reflect') and np.pad([1,2,3], (4,1), 'reflect').
    expect(Array.from(runPad(t([3], [1, 2, 3]), p('reflect', [5, 5])).data)).toEqual([2, 1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3, 2]);
    expect(Array.from(runPad(t([3], [1, 2, 3]), p('reflect', [4, 1])).data)).toEqual([1, 2, 3, 2, 1, 2, 3, 2]);
  });
  it('edge and constant', () => {
    expect(Array.from(runPad(t([3], [1, 2, 3]), p('edge', [1, 2])).data)).toEqual([1, 1, 2, 3, 3, 3]);
    expect(Array.from(runPad(t([3], [1, 2, 3]), p('constant', [2, 1], 9)).data)).toEqual([9, 9, 1, 2, 3, 9]);
  });
  it('negative pads crop', () => {
    expect(Array.from(runPad(t([5], [1, 2, 3, 4, 5]), p('constant', [-1, 1], 7)).data)).toEqual([2, 3, 4, 5, 7]);
    expect(Array.from(runPad(t([5], [1, 2, 3, 4, 5]), p('reflect', [-2, 2])).data)).toEqual([3, 4, 5, 4, 3]);
    expect(Array.from(runPad(t([5], [1, 2, 3, 4, 5]), p('edge', [1, -3])).data)).toEqual([1, 1, 2]);
  });
  it('reflect pads the cropped extent', () => {
    // Crop [1,2,3,4] to [2,3,4] first, then reflect about its own end.
    expect(Array.from(runPad(t([4], [1, 2, 3, 4]), p('reflect', [-1, 2])).data)).toEqual([2, 3, 4, 3, 2]);
    expect(Array.from(runPad(t([4], [1, 2, 3, 4]), p('reflect', [-1, 3])).data)).toEqual([2, 3, 4, 3, 2, 3]);
  });
  it('2-D reflect with a leading batch dim that is not padded', () => {
    // Own dims [2, 3]; pads rows (1, 0), cols (0, 1).
    const y = runPad(t([2, 2, 3], [1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 50, 60]), p('reflect', [1, 0, 0, 1]));
    expect(y.shape).toEqual([2, 3, 4]);
    expect(Array.from(y.data)).toEqual([4, 5, 6, 5, 1, 2, 3, 2, 4, 5, 6, 5, 40, 50, 60, 50, 10, 20, 30, 20, 40, 50, 60, 50]);
  });
  it('padSourceIndex', () => {
    expect([-3, -2, -1, 0, 2, 3, 4, 5].map((i) => padSourceIndex(i, 3, 'reflect'))).toEqual([1, 2, 1, 0, 2, 1, 0, 1]);
    expect([-2, 4].map((i) => padSourceIndex(i, 3, 'edge'))).toEqual([0, 2]);
    expect([-1, 1, 3].map((i) => padSourceIndex(i, 3, 'constant'))).toEqual([-1, 1, -1]);
  });
});

/** Reference Pad: pad (or crop) one own dim at a time, numpy style, on nested arrays. */
function refPad(x: RtTensor, a: OpAttrs['Pad']): number[] {
  const r = a.pads.length / 2;
  const lead = x.shape.length - r;
  const nest = (data: number[], shape: number[]): any =>
    shape.length === 0 ? data[0] : Array.from({ length: shape[0]! }, (_, i) => nest(data.slice((i * data.length) / shape[0]!, ((i + 1) * data.length) / shape[0]!), shape.slice(1)));
  const flat = (v: any): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v]);
  const pad1 = (row: any[], before: number, after: number, fillLike: any): any[] => {
    let v = row;
    if (before < 0) v = v.slice(-before);
    if (after < 0) v = v.slice(0, v.length + after);
    const n = v.length;
    const fill = (k: number): any => {
      if (a.mode === 'constant') return JSON.parse(JSON.stringify(fillLike, (_, e) => (typeof e === 'number' ? a.value : e)));
      if (a.mode === 'edge') return k < 0 ? v[0] : v[n - 1];
      // numpy reflect: mirror repeatedly about the end elements.
      let i = k;
      while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
      return v[i];
    };
    const b = Math.max(before, 0);
    const e = Math.max(after, 0);
    return [...Array.from({ length: b }, (_, j) => fill(j - b)), ...v, ...Array.from({ length: e }, (_, j) => fill(n + j))];
  };
  const walk = (v: any, depth: number, d: number): any => {
    if (depth < d) return v.map((c: any) => walk(c, depth + 1, d));
    return pad1(v, a.pads[d - lead]!, a.pads[d - lead + r]!, v[0]);
  };
  let v = nest(Array.from(x.data), [...x.shape]);
  for (let d = lead; d < x.shape.length; d++) v = walk(v, 0, d);
  return flat(v);
}

describe('Pad kernel vs a dim-by-dim numpy-style reference', () => {
  const cases: [number[], number[]][] = [
    [[2, 4, 5, 3], [1, 2, 0, 3, 1, 1]],
    [[3, 4, 5], [-1, 2, 3, -2]],
    [[1, 3, 4, 2], [4, 0, 1, 2, 5, 0]],
    [[6], [-2, 3]],
  ];
  let seed = 100;
  for (const [shape, pads] of cases) {
    for (const mode of ['constant', 'edge', 'reflect'] as const) {
      it(`${mode} [${shape}] pads [${pads}]`, () => {
        const r = rng(seed++);
        const x = t(shape, Array.from({ length: prod(shape) }, r));
        const a = { mode, pads, value: 1.25 };
        expectClose(runPad(x, a).data, refPad(x, a), 'pad', 0, 0);
      });
    }
  }
});

// ---------------------------------------------------------------- ONNX node tests

const NODE_ROOT = '/usr/share/libonnx-testdata/data/node';
const TP_PATH = fileURLToPath(new URL('../../src/frontend/onnx/tensor-proto.ts', import.meta.url));
type Reader = (path: string) => { shape: readonly number[]; data: ArrayLike<number | bigint> };

/** readTensorProtoFile from the project's frontend, if that module exists and exports it yet. */
async function loadReader(): Promise<Reader | string> {
  if (!existsSync(NODE_ROOT)) return `${NODE_ROOT} is not installed`;
  if (!existsSync(TP_PATH)) return 'src/frontend/onnx/tensor-proto.ts does not exist';
  const mod: Record<string, unknown> = await import(TP_PATH);
  if (typeof mod.readTensorProtoFile !== 'function') return 'tensor-proto.ts does not export readTensorProtoFile';
  return mod.readTensorProtoFile as Reader;
}
const reader = await loadReader();

/** A node test's single node, its tensors by the model's value names, and an attribute getter. */
function loadNodeTest(name: string, op: string, read: Reader) {
  const dir = join(NODE_ROOT, name);
  const model = onnxProto.onnx.ModelProto.decode(readFileSync(join(dir, 'model.onnx')));
  const g = model.graph!;
  // Some models feed the op from Constant nodes; only graph inputs carry test data.
  const node = g.node!.find((n) => n.opType === op)!;
  const tensors = new Map<string, { shape: number[]; data: number[] }>();
  const load = (file: string) => {
    const tp = read(join(dir, 'test_data_set_0', file));
    return { shape: Array.from(tp.shape, Number), data: Array.from(tp.data, Number) };
  };
  g.input!.forEach((v, k) => tensors.set(v.name!, load(`input_${k}.pb`)));
  g.output!.forEach((v, k) => tensors.set(v.name!, load(`output_${k}.pb`)));
  const str = (n: string, dflt: string) => {
    const at = node.attribute!.find((x) => x.name === n);
    return at?.s?.length ? new TextDecoder().decode(at.s) : dflt;
  };
  const input = (p: number) => (node.input![p] ? tensors.get(node.input![p]!) : undefined);
  return { tensors, str, input, output: tensors.get(node.output![0]!)! };
}

const skipWhy = typeof reader === 'string' ? ` — skipped: ${reader}` : '';

describe.skipIf(typeof reader === 'string')(`ONNX node tests (Resize, Pad)${skipWhy}`, () => {
  const resizeTests = [
    'test_resize_upsample_scales_linear',
    'test_resize_upsample_scales_linear_align_corners',
    'test_resize_downsample_scales_linear',
    'test_resize_downsample_scales_nearest',
    'test_resize_upsample_scales_nearest',
    'test_resize_downsample_sizes_linear_pytorch_half_pixel',
    'test_resize_upsample_sizes_nearest_ceil_half_pixel',
    'test_resize_upsample_sizes_nearest_floor_align_corners',
    'test_resize_upsample_sizes_nearest_round_prefer_ceil_asymmetric',
    'test_resize_downsample_sizes_nearest_tf_half_pixel_for_nn',
  ];
  for (const name of resizeTests) {
    it(name, () => {
      const { str, input, output } = loadNodeTest(name, 'Resize', reader as Reader);
      const x = input(0)!;
      // Inputs X, roi, scales, sizes (opset 13): sizes give out/in scales, as the frontend does.
      const sizes = input(3);
      const scales = sizes ? sizes.data.map((s, i) => s / x.shape[i]!) : input(2)!.data;
      const outShape = sizes ? sizes.data : x.shape.map((d, i) => Math.floor(d * scales[i]!));
      const a = rs(
        str('mode', 'nearest') as 'nearest' | 'linear',
        scales,
        outShape,
        str('coordinate_transformation_mode', 'half_pixel') as ResizeCoordMode,
        str('nearest_mode', 'round_prefer_floor') as ResizeNearestMode,
      );
      const y = runResize(t(x.shape, x.data), a);
      expect(y.shape).toEqual(output.shape);
      expectClose(y.data, output.data, name, 1e-5, 1e-4);
    });
  }

  for (const name of ['test_reflect_pad', 'test_edge_pad', 'test_constant_pad']) {
    it(name, () => {
      const { str, input, output } = loadNodeTest(name, 'Pad', reader as Reader);
      const x = input(0)!;
      const a = { mode: str('mode', 'constant') as OpAttrs['Pad']['mode'], pads: input(1)!.data, value: input(2)?.data[0] ?? 0 };
      const y = runPad(t(x.shape, x.data), a);
      expect(y.shape).toEqual(output.shape);
      expectClose(y.data, output.data, name, 0, 0);
    });
  }
});
