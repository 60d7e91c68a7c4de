/**
 * LSTM / GRU / RNN in the HLS backend: small ONNX models (built in memory, written to a temp
 * directory) are compiled with compileProject in both io modes, at the default precision
 * (derived accumulator: every partial sum exact) and at a narrow configuration with a
 * configured accumulator and non-default rounding/overflow modes (per-term casts, saturation,
 * wrap), and the C simulation must be bit-exact with the TypeScript simulator on every sample.
 * The lowering itself (no compiler needed) is checked to emit the kernel and to refuse what it
 * does not support. The C simulations need AP_TYPES_INCLUDE (a directory holding ap_fixed.h).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULTS, emitProject, planProject } from '../../src/backend-hls/index.js';
import { compileProject, defaultRuns, writeProject } from '../../src/cli/compile.js';
import { runCsim } from '../../src/cli/csim.js';
import { importOnnx } from '../../src/frontend/onnx/model.js';
import { defaultConfig, parseConfig, type PrecisionConfig } from '../../src/ir/precision-config.js';
import { prepareFixed } from '../../src/passes/pipeline.js';
import { NARROW_LAYER, type RecurrentCase, recurrentModel as buildRecurrent } from '../helpers/recurrent-model.js';
import { simulateFixed } from '../../src/sim/fixed/simulate.js';


const INC = process.env['AP_TYPES_INCLUDE'];
const HAVE = !!INC && existsSync(join(INC, 'ap_fixed.h'));
if (!HAVE) {
  console.log(`test/backend/recurrent-csim: C simulations skipped — set AP_TYPES_INCLUDE to a directory holding ap_fixed.h (got ${INC ?? 'nothing'})`);
}

type Case = RecurrentCase & {
  /** Also output Y_h (slices of Y: the last step, or both directions' final steps joined). */
  yh?: boolean;
  /** The layer's schedule (hls.layers): the resource strategy folds each step's products by `reuse`. */
  fold?: { strategy: 'latency' | 'resource'; reuse: number };
};

const layerName = (c: Case) => `${c.kind.toLowerCase()}_layer`;
const layersOf = (c: Case) => (c.fold ? { [layerName(c)]: c.fold } : {});

/** The case's model with Y (and Y_h when asked) as graph outputs. */
function recurrentModel(c: Case): Uint8Array {
  return buildRecurrent({ w: 0.6, ...c, outputs: c.yh ? 'Y,Y_h' : 'Y' });
}

const cfg = (o: object): PrecisionConfig => parseConfig(o, 'test-config');

// Same narrow layer types as test/fixed/recurrent-fixed.test.ts: a configured accumulator
// (per-term casts), saturating/rounding gate, state and table types, a wrapping result.
const NARROW = { model: { default: 'ap_fixed<12,4>', table_size: 256 }, op_types: { LSTM: NARROW_LAYER, GRU: NARROW_LAYER, RNN: NARROW_LAYER } };

const CASES: [string, Case][] = [
  ['lstm', { kind: 'LSTM', T: 5, I: 3, H: 4, seed: 1 }],
  ['lstm_bidir_peep_clip_init', { kind: 'LSTM', T: 4, I: 3, H: 3, dir: 'bidirectional', peep: true, clip: 1.25, init: true, seed: 2 }],
  ['lstm_reverse_coupled_nobias', { kind: 'LSTM', T: 4, I: 2, H: 3, dir: 'reverse', inputForget: true, bias: false, seed: 3 }],
  ['gru', { kind: 'GRU', T: 5, I: 3, H: 4, seed: 4 }],
  ['gru_lbr_bidir_init_clip', { kind: 'GRU', T: 4, I: 3, H: 3, lbr: true, dir: 'bidirectional', init: true, clip: 1.1, seed: 5 }],
  ['rnn_bidir_init', { kind: 'RNN', T: 4, I: 2, H: 3, dir: 'bidirectional', init: true, seed: 6 }],
  [
    'lstm_exact_acts',
    { kind: 'LSTM', T: 4, I: 2, H: 3, acts: ['HardSigmoid', 'LeakyRelu', 'Affine'], alpha: [0.25, 0.1, 0.75], beta: [0.5, 0, 0.125], seed: 7 },
  ],
  ['gru_relu_thresh', { kind: 'GRU', T: 4, I: 2, H: 3, acts: ['Sigmoid', 'ThresholdedRelu'], alpha: [0, 0.3], seed: 8 }],
  ['rnn_relu_reverse', { kind: 'RNN', T: 4, I: 3, H: 3, dir: 'reverse', acts: ['Relu'], seed: 9 }],
  ['gru_bidir_yh', { kind: 'GRU', T: 4, I: 3, H: 3, dir: 'bidirectional', yh: true, seed: 10 }],
  // Resource schedule (folded products, weights in per-pass ROMs). n_xh = I + H terms per row:
  // reuse dividing it (kb > 1, blocks straddling x and h), reuse = n_xh (one term per step),
  // reuse beyond it (mr > 1: a term for part of the rows per step).
  ['lstm_fold', { kind: 'LSTM', T: 5, I: 3, H: 5, seed: 11, fold: { strategy: 'resource', reuse: 2 } }],
  ['lstm_fold_bidir_peep_clip_init', { kind: 'LSTM', T: 4, I: 3, H: 3, dir: 'bidirectional', peep: true, clip: 1.25, init: true, seed: 12, fold: { strategy: 'resource', reuse: 3 } }],
  ['lstm_fold_mr_coupled', { kind: 'LSTM', T: 4, I: 2, H: 4, inputForget: true, seed: 13, fold: { strategy: 'resource', reuse: 12 } }],
  ['gru_fold', { kind: 'GRU', T: 5, I: 3, H: 3, seed: 14, fold: { strategy: 'resource', reuse: 3 } }],
  ['gru_fold_lbr_bidir_init_clip', { kind: 'GRU', T: 4, I: 3, H: 3, lbr: true, dir: 'bidirectional', init: true, clip: 1.1, seed: 15, fold: { strategy: 'resource', reuse: 2 } }],
  ['rnn_fold_reverse', { kind: 'RNN', T: 4, I: 3, H: 3, dir: 'reverse', seed: 16, fold: { strategy: 'resource', reuse: 6 } }],
];

const PRECISIONS: [string, () => PrecisionConfig][] = [
  ['default', defaultConfig],
  ['narrow', () => cfg(NARROW)],
];

const root = mkdtempSync(join(tmpdir(), 'nn2hls-rec-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function modelFile(name: string, c: Case): string {
  const f = join(root, `${name}.onnx`);
  if (!existsSync(f)) writeFileSync(f, recurrentModel(c));
  return f;
}

describe('recurrent layers lower to nn2hls::recurrent', () => {
  it('emits the kernel call and its header', () => {
    const g = prepareFixed(importOnnx(recurrentModel(CASES[1]![1]), 'lstm.onnx'), defaultConfig()).graph;
    const files = emitProject(g, { ...DEFAULTS, layers: {}, runs: defaultRuns(g, 2), simulate: simulateFixed });
    expect(files.get('firmware/myproject.cpp')).toContain('nn2hls::recurrent<');
    expect(files.get('firmware/kernels/nn2hls.h')).toContain('nn_recurrent.h');
    expect(files.has('firmware/kernels/nn_recurrent.h')).toBe(true);
  });

  it('plans the resource schedule: multipliers = products / reuse, one reuse step per ROM word, time steps serial', () => {
    // GRU I 3, H 3 (n_xh 6), reuse 3: pass 0 (z, r rows: 6 rows x 2 terms per step), pass 1
    // (candidate rows: 3 x 2) — 54 products per step on 18 multipliers.
    const g = prepareFixed(importOnnx(recurrentModel({ kind: 'GRU', T: 5, I: 3, H: 3, seed: 14 }), 'gru.onnx'), defaultConfig()).graph;
    const layers = { gru_layer: { strategy: 'resource' as const, reuse: 3 } };
    for (const io of ['parallel', 'stream'] as const) {
      const plan = planProject(g, { ...DEFAULTS, io, layers, runs: [] });
      const l = plan.plans.find((p) => p.op === 'GRU')!;
      expect(l).toMatchObject({ strategy: 'resource', reuse: 3, macs: 5 * 54, multipliers: 18, unrolled: 18, tripCount: 5 * 2 * 3, stepII: 1, serialSteps: 10 });
      expect(l.kernel).toBe(io === 'stream' ? 'nn2hls::recurrent_stream' : 'nn2hls::recurrent');
      expect(l.stream).toBe(io === 'stream' ? 'native' : null);
      expect(l.bufferedElements).toBe(0);
      const roms = l.weights.filter((w) => w.id.startsWith('wr'));
      expect(roms.map((w) => [w.elements, w.wordElements, w.words])).toEqual([[36, 12, 3], [18, 6, 3]]);
    }
    const files = emitProject(g, { ...DEFAULTS, layers, runs: defaultRuns(g, 2), simulate: simulateFixed });
    const params = files.get('firmware/parameters.h')!;
    expect(params).toContain('static const int strategy = nn2hls::STRATEGY_RESOURCE;');
    expect(params).toMatch(/static const unsigned kb = 2;[\s\S]*static const unsigned rows0 = 6;[\s\S]*static const unsigned rows1 = 3;/);
    // The latency schedule of the same layer: every product unrolled, nothing serial beyond the steps.
    const lat = planProject(g, { ...DEFAULTS, layers: {}, runs: [] }).plans.find((p) => p.op === 'GRU')!;
    expect(lat).toMatchObject({ strategy: 'latency', reuse: 1, multipliers: 54, unrolled: 54, tripCount: 5, serialSteps: 5 });
  });

    it('lowers Y_h to slices of Y: the last step one-directional, both directions joined when bidirectional', () => {
    // recurrent-final-state (canonicalization) turns the forward Y_h into Y's last step.
    const g = prepareFixed(importOnnx(recurrentModel({ kind: 'GRU', T: 3, I: 2, H: 2, yh: true, seed: 1 }), 'gru.onnx'), defaultConfig()).graph;
    expect(g.nodes.map((n) => n.op)).toEqual(['GRU', 'Slice', 'Reshape']);
    expect([...emitProject(g, { ...DEFAULTS, layers: {}, runs: defaultRuns(g, 2), simulate: simulateFixed }).keys()]).toContain('firmware/myproject.cpp');
    const bi = prepareFixed(importOnnx(recurrentModel({ kind: 'GRU', T: 3, I: 2, H: 2, dir: 'bidirectional', yh: true, seed: 1 }), 'gru.onnx'), defaultConfig()).graph;
    expect(bi.nodes.map((n) => n.op)).toEqual(['GRU', 'Slice', 'Slice', 'Concat', 'Reshape']);
    expect([...emitProject(bi, { ...DEFAULTS, layers: {}, runs: defaultRuns(bi, 2), simulate: simulateFixed }).keys()]).toContain('firmware/myproject.cpp');
  });
});

describe.skipIf(!HAVE).concurrent('recurrent csim is bit-exact with the simulator', () => {
  for (const [name, c] of CASES) {
    for (const [pname, precision] of PRECISIONS) {
      for (const io of ['parallel', 'stream'] as const) {
        it(`${name} (${pname}, io ${io})`, { timeout: 600_000 }, async () => {
          const dir = join(root, `${name}_${pname}_${io}`);
          compileProject({ model: modelFile(name, c), out: dir, precision: precision(), samples: 24, options: { ...DEFAULTS, io, layers: layersOf(c) } });
          const r = await runCsim(dir, { hlsInclude: INC! });
          console.log(`recurrent ${name} ${pname} io ${io}: bit-exact ${r.exact}/${r.samples}, g++ ${(r.compileMs / 1000).toFixed(1)} s`);
          expect(r.mismatches).toEqual([]);
          expect(r.exact).toBe(r.samples);
          expect(r.samples).toBe(24);
        });
      }
    }
  }
});

describe.skipIf(!HAVE)('recurrent C++ is warning-free', () => {
  it('g++ -std=c++14 -Wall -Wextra reports nothing in our files (both schedules, both io modes)', { timeout: 600_000 }, () => {
    const names = ['lstm_bidir_peep_clip_init', 'gru_lbr_bidir_init_clip', 'lstm_exact_acts', 'rnn_relu_reverse', 'lstm_fold_mr_coupled', 'gru_fold', 'gru_fold_lbr_bidir_init_clip'];
    for (const [name, c] of CASES.filter(([n]) => names.includes(n))) {
      const g = prepareFixed(importOnnx(recurrentModel(c), `${name}.onnx`), defaultConfig()).graph;
      for (const io of ['parallel', 'stream'] as const) {
        const dir = join(root, `warn_${name}_${io}`);
        writeProject(dir, emitProject(g, { ...DEFAULTS, io, layers: layersOf(c), runs: defaultRuns(g, 2), simulate: simulateFixed }));
        const r = spawnSync('g++', ['-std=c++14', '-Wall', '-Wextra', '-fsyntax-only', `-I${join(dir, 'firmware')}`,
          '-isystem', INC!, '-DNN2HLS_OWN_STREAM', join(dir, 'firmware/myproject.cpp')], { encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
        const ours = r.stderr.split('\n').filter((l) => l.includes(dir) && /warning/.test(l));
        expect(ours, r.stderr).toEqual([]);
      }
    }
  });
});
