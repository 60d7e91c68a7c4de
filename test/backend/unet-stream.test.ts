/**
 * The QONNX tiny U-Net at real image sizes in io stream with no flags
 * (test/fixtures/qonnx/unet_cl_64.onnx and unet_cl_256.onnx: 64x64x3 and hls4ml's 256x256x3,
 * the 16x16 fixture's weights): every layer streams natively — in particular the decoder's
 * nearest 2x Resizes run nn2hls::upsample_stream holding one input row instead of buffering the
 * whole tensor (which at 256x256 would be 262144 and 524288 elements) — the project is inside
 * the tool limits, and its C simulation is bit-exact with the fixed-point simulator: the
 * testbench's own samples plus samples on the input Quant's grid run through `csim --input`.
 * The 64x64 model's float run also equals onnxruntime on its standard-ONNX twin.
 * The C simulations need AP_TYPES_INCLUDE (a directory holding ap_fixed.h) and skip without it.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/backend-hls/index.js';
import { SKIP_SLACK } from '../../src/backend-hls/plan.js';
import { estimate } from '../../src/estimate/index.js';
import { viewOfPlan } from '../../src/estimate/plan-view.js';
import { compileProject } from '../../src/cli/compile.js';
import { runCsim } from '../../src/cli/csim.js';
import { defaultConfig } from '../../src/ir/precision-config.js';
import { importOnnx } from '../../src/frontend/onnx/model.js';
import { runFloat } from '../../src/sim/float/executor.js';
import * as ort from 'onnxruntime-node';
import { randn } from '../helpers/ort.js';

const INC = process.env['AP_TYPES_INCLUDE'];
const HAVE = !!INC && existsSync(join(INC, 'ap_fixed.h'));
if (!HAVE) console.log(`test/backend/unet-stream: C simulations skipped — set AP_TYPES_INCLUDE to a directory holding ap_fixed.h (got ${INC ?? 'nothing'})`);

const DIR = join(__dirname, '../fixtures/qonnx');
const root = mkdtempSync(join(tmpdir(), 'nn2hls-unet-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function compile(size: number) {
  const out = join(root, `unet_${size}`);
  const r = compileProject({ model: join(DIR, `unet_cl_${size}.onnx`), out, precision: defaultConfig(), samples: 2, options: { ...DEFAULTS, io: 'stream', layers: {} } });
  return { out, ...r };
}

/** Samples in [-3, 3) on the input Quant's grid (8 bits, scale 2^-5). */
function gridInputs(shape: number[], seed: number): Float32Array {
  return randn(shape.reduce((a, b) => a * b, 1), seed).map((v) => Math.round(Math.max(-3, Math.min(2.96, v)) * 32) / 32);
}

describe('tiny U-Net 64x64x3 in float', () => {
  it('equals onnxruntime on the standard twin (relative 1e-4)', async () => {
    const g = importOnnx(readFileSync(join(DIR, 'unet_cl_64.onnx')), 'unet_cl_64.onnx');
    const shape = [1, ...g.values.get(g.inputs[0]!.value)!.shape];
    const x = gridInputs(shape, 5);
    const ours = runFloat(g, [{ shape, data: x }])[0]!;
    const session = await ort.InferenceSession.create(readFileSync(join(DIR, 'unet_cl_64_standard.onnx')));
    const r = (await session.run({ [g.inputs[0]!.modelName]: new ort.Tensor('float32', x, shape) }))[g.outputs[0]!.modelName]!;
    const want = r.data as Float32Array;
    expect(r.dims.map(Number)).toEqual([1, 64, 64, 2]);
    expect([...ours.shape]).toEqual([1, 64, 64, 2]);
    let maxRef = 0;
    let maxErr = 0;
    want.forEach((v, k) => {
      maxRef = Math.max(maxRef, Math.abs(v));
      maxErr = Math.max(maxErr, Math.abs(v - ours.data[k]!));
    });
    expect(maxRef).toBeGreaterThan(0.1);
    expect(maxErr).toBeLessThanOrEqual(1e-4 * maxRef);
  });
});

describe('tiny U-Net in io stream, no flags', () => {
  for (const size of [64, 256]) {
    it(`${size}x${size}x3: every layer native, the Resizes hold one input row`, { timeout: 300_000 }, () => {
      const { plan } = compile(size);
      expect(plan.plans.filter((l) => l.stream !== 'native').map((l) => l.name)).toEqual([]);
      expect(Math.max(...plan.plans.map((l) => l.bufferedElements))).toBe(0);
      const resizes = plan.plans.filter((l) => l.op === 'Resize');
      // Decoder: [s/4, s/4, 16] -> [s/2, s/2, 16] and [s/2, s/2, 8] -> [s, s, 8].
      expect(resizes.map((l) => [l.kernel, l.inShapes[0], l.outShape, l.lineBuffer])).toEqual([
        ['nn2hls::upsample_stream', [size / 4, size / 4, 16], [size / 2, size / 2, 16], { rows: 1, width: size / 4, channels: 16, elements: (size / 4) * 16, partitioned: false }],
        ['nn2hls::upsample_stream', [size / 2, size / 2, 8], [size, size, 8], { rows: 1, width: size / 2, channels: 8, elements: (size / 2) * 8, partitioned: false }],
      ]);
      // One output pixel per cycle.
      expect(resizes.map((l) => l.ii)).toEqual([(size / 2) ** 2, size ** 2]);
      // The skip connections' clone FIFOs hold the lag of the branch beside them, not the image.
      // concat_61 (full resolution) at row r waits for resize_60's row r: relu_58 row r/2, so
      // conv_52 (3x3, pad 1) reads concat_45 row r/2+1; resize_43 row r/2+1 is quant_39 row
      // r/4+1/2, so conv_34 reads maxpool_27 row r/4+3/2, i.e. relu_26 rows up to r/2+4, conv_25
      // reads maxpool_18 row r/2+5, i.e. relu_17 rows up to r+11: 12 rows of `size` packs ahead.
      // concat_45 at row q likewise needs relu_26 up to row q+3: 4 rows of size/2 packs.
      const skips = plan.edges.filter((e) => e.kind === 'stream' && e.to >= 0 && plan.plans[e.to]!.op === 'Concat' && e.from >= 0 && plan.plans[e.from]!.op === 'Relu');
      expect(skips.map((e) => [e.value, e.depth])).toEqual([
        ['relu_26_node', 4 * (size / 2) + SKIP_SLACK],
        ['relu_17_node', 12 * size + SKIP_SLACK],
      ]);
      // The other side of each clone keeps its producer's short FIFO.
      for (const e of plan.edges.filter((x) => x.cpp.endsWith('_cp0'))) expect(e.depth, e.cpp).toBe(2);
      // At 256x256 those skips were 65536 and 16384 packs (712 RAMB18 under Vivado HLS, which
      // cannot bind a FIFO to URAM); now the whole design's block RAM fits xczu7ev, no URAM.
      if (size === 256) {
        const e = estimate(viewOfPlan(plan), { part: 'xczu7ev-ffvc1156-2-e', clockNs: 5, tool: 'vivado-2019.2' });
        expect(e.total.uram).toBe(0);
        expect(e.total.bram18k).toBeLessThan(0.3 * e.device.bram18k);
      }
    });
  }
});

describe.skipIf(!HAVE)('tiny U-Net in io stream: csim is bit-exact with the simulator', () => {
  for (const size of [64, 256]) {
    it(`${size}x${size}x3`, { timeout: 900_000 }, async () => {
      const { out, plan } = compile(size);
      const tb = await runCsim(out, { hlsInclude: INC! });
      expect(tb.mismatches).toEqual([]);
      expect(tb.exact).toBe(tb.samples);
      expect(tb.samples).toBe(2);
      // Two more samples in [-3, 3) on the input Quant's grid (8 bits, scale 2^-5).
      const n = 2;
      const shape = [n, ...plan.inputs[0]!.shape];
      const data = gridInputs(shape, 11);
      const r = await runCsim(out, { hlsInclude: INC!, inputs: [{ shape, data }] });
      console.log(`unet ${size}x${size} io stream: bit-exact ${tb.exact}/${tb.samples} (testbench) + ${r.exact}/${r.samples} (grid inputs), g++ ${(tb.compileMs / 1000).toFixed(1)} s, run ${(r.runMs / 1000).toFixed(1)} s`);
      expect(r.mismatches).toEqual([]);
      expect(r.samples).toBe(n);
      expect(r.exact).toBe(n);
    });
  }
});
