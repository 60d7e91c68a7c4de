/**
 * QONNX models through the whole flow with no flags: the channels-last fixtures
 * (test/fixtures/qonnx: separable-conv, branched and tiny U-Net CNNs, per-channel power-of-two
 * weight Quant) and the binarized ../shared bnn_model_fc_1layer.onnx (BipolarQuant on input,
 * weights and output). Each compiles at the default precision in io stream and io parallel and
 * its C simulation must be bit-exact with the fixed-point simulator on every testbench sample.
 * The C simulations need AP_TYPES_INCLUDE (a directory holding ap_fixed.h); the bnn model needs ../shared.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/backend-hls/index.js';
import { compileProject } from '../../src/cli/compile.js';
import { runCsim } from '../../src/cli/csim.js';
import { defaultConfig } from '../../src/ir/precision-config.js';

const INC = process.env['AP_TYPES_INCLUDE'];
const HAVE = !!INC && existsSync(join(INC, 'ap_fixed.h'));
if (!HAVE) console.log(`test/backend/qonnx-csim: C simulations skipped — set AP_TYPES_INCLUDE to a directory holding ap_fixed.h (got ${INC ?? 'nothing'})`);
const BNN = join(__dirname, '../../../shared/models/onnx/bnn_model_fc_1layer.onnx');
if (!existsSync(BNN)) console.log(`test/backend/qonnx-csim: bnn_model_fc_1layer skipped — ${BNN} is absent (a fresh clone has no ../shared)`);

const MODELS: [string, string][] = [
  ...['sepconv_cl', 'branched_cl', 'unet_cl', 'bnn_cl'].map((n): [string, string] => [n, join(__dirname, `../fixtures/qonnx/${n}.onnx`)]),
  ...(existsSync(BNN) ? [['bnn_model_fc_1layer', BNN] as [string, string]] : []),
];

const root = mkdtempSync(join(tmpdir(), 'nn2hls-qonnx-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.skipIf(!HAVE).concurrent('QONNX models: csim is bit-exact with the simulator (no flags)', () => {
  for (const [name, file] of MODELS) {
    for (const io of ['stream', 'parallel'] as const) {
      it(`${name} (io ${io})`, { timeout: 900_000 }, async () => {
        const dir = join(root, `${name}_${io}`);
        compileProject({ model: file, out: dir, precision: defaultConfig(), samples: 16, options: { ...DEFAULTS, io, layers: {} } });
        const r = await runCsim(dir, { hlsInclude: INC! });
        console.log(`qonnx ${name} io ${io}: bit-exact ${r.exact}/${r.samples}, g++ ${(r.compileMs / 1000).toFixed(1)} s`);
        expect(r.mismatches).toEqual([]);
        expect(r.samples).toBe(16);
        expect(r.exact).toBe(r.samples);
      });
    }
  }
});
