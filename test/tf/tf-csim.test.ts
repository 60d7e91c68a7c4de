/**
 * Basic_LSTM_S (../shared, the keyword-spotting BasicLSTMCell graph cut at its MFCC features)
 * at the DEFAULT flags in both io modes: the tiling pass folds its LSTM (60,416 products per
 * time step) to the resource strategy inside the tool limits, io stream holds no whole tensor
 * (the LSTM streams a time step at a time, the final-step Slice keeps one pack), and the C
 * simulation is bit-exact with the simulator. The plan checks run everywhere ../shared is; the
 * C simulations need AP_TYPES_INCLUDE (a directory holding ap_fixed.h).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULTS, planProject } from '../../src/backend-hls/index.js';
import { compileProject } from '../../src/cli/compile.js';
import { runCsim } from '../../src/cli/csim.js';
import { loadModel } from '../../src/frontend/index.js';
import { defaultConfig } from '../../src/ir/precision-config.js';
import { prepareFixed } from '../../src/passes/pipeline.js';

const MODEL = join(__dirname, '../../../shared/models/tensorflow/kws/Basic_LSTM_S.pb');
const have = existsSync(MODEL);
if (!have) console.log(`skipping Basic_LSTM_S compile tests: ${MODEL} is absent (a fresh clone has no ../shared)`);
const INC = process.env['AP_TYPES_INCLUDE'];
const HAVE_CC = !!INC && existsSync(join(INC, 'ap_fixed.h'));
if (!HAVE_CC) console.log(`test/tf/tf-csim: C simulations skipped — set AP_TYPES_INCLUDE to a directory holding ap_fixed.h (got ${INC ?? 'nothing'})`);

const load = () => loadModel(MODEL, { inputs: [{ name: 'Mfcc', dims: [-1, 49, 10] }], outputs: ['labels_softmax'] });
const root = mkdtempSync(join(tmpdir(), 'nn2hls-tfcsim-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.skipIf(!have)('Basic_LSTM_S at the default flags', () => {
  for (const io of ['parallel', 'stream'] as const) {
    it(`plans inside the tool limits (io ${io}): LSTM folded to resource, reuse 16`, () => {
      const g = prepareFixed(load(), defaultConfig()).graph;
      const plan = planProject(g, { ...DEFAULTS, io, layers: {}, runs: [] });
      expect(plan.warnings).toEqual([]);
      const lstm = plan.plans.find((l) => l.op === 'LSTM')!;
      // 4 gates x 118 rows x (10 + 118) terms = 60,416 products per step; reuse 16 -> 3,776 multipliers.
      expect(lstm).toMatchObject({ strategy: 'resource', reuse: 16, chosenBy: 'tiling', multipliers: 3776, unrolled: 3776, tripCount: 49 * 16, serialSteps: 49 });
      for (const l of plan.plans) {
        expect(l.unrolled, l.name).toBeLessThanOrEqual(4096);
        for (const p of l.partitioned) expect(p.elements, `${l.name} ${p.what}`).toBeLessThanOrEqual(4096);
      }
      if (io === 'stream') {
        expect(lstm.kernel).toBe('nn2hls::recurrent_stream');
        expect(plan.plans.find((l) => l.op === 'Slice')!.kernel).toBe('nn2hls::select_stream');
        for (const l of plan.plans) expect(l.bufferedElements, l.name).toBeLessThanOrEqual(118);
      }
    }, 60_000);
  }
});

describe.skipIf(!have || !HAVE_CC)('Basic_LSTM_S csim at the default flags', () => {
  for (const io of ['parallel', 'stream'] as const) {
    it(`is bit-exact with the simulator (io ${io})`, { timeout: 900_000 }, async () => {
      const dir = join(root, io);
      compileProject({ model: MODEL, out: dir, precision: defaultConfig(), samples: 16, options: { ...DEFAULTS, io, layers: {} } }, load());
      const r = await runCsim(dir, { hlsInclude: INC! });
      console.log(`Basic_LSTM_S io ${io}: bit-exact ${r.exact}/${r.samples}, g++ ${(r.compileMs / 1000).toFixed(1)} s`);
      expect(r.mismatches).toEqual([]);
      expect(r.exact).toBe(16);
    });
  }
});
