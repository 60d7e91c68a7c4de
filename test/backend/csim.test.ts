/**
 * End to end: compile every example and standard shared model (and every golden case) in both
 * io modes, build the testbench with g++ against Xilinx's ap_types headers, and require the C
 * simulation to be bit-exact with the TypeScript simulator on every sample. Also checks that
 * the emitted C++ compiles with `g++ -std=c++14 -Wall -Wextra` without warnings from our files.
 * Needs AP_TYPES_INCLUDE (a directory holding ap_fixed.h); skips, saying why, without it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULTS, emitProject } from '../../src/backend-hls/index.js';
import { compileProject, defaultRuns, writeProject } from '../../src/cli/compile.js';
import { runCsim } from '../../src/cli/csim.js';
import { loadOnnxFile } from '../../src/frontend/onnx/model.js';
import { defaultConfig, type PrecisionConfig } from '../../src/ir/precision-config.js';
import { autoPrecision } from '../../src/passes/auto-precision.js';
import { readNpyFile } from '../../src/util/npy.js';
import { toFloat32 } from '../../src/util/tensor.js';
import { prepareFixed } from '../../src/passes/pipeline.js';
import { backendCase, CASE_NAMES, caseGraph, caseHlsOptions } from './cases.js';
import { runFloat } from '../../src/sim/float/executor.js';
import { simulateFixed } from '../../src/sim/fixed/simulate.js';

const INC = process.env['AP_TYPES_INCLUDE'];
const HAVE = !!INC && existsSync(join(INC, 'ap_fixed.h'));
if (!HAVE) {
  console.log(`test/backend/csim: skipped — set AP_TYPES_INCLUDE to a directory holding ap_fixed.h (got ${INC ?? 'nothing'})`);
}

const SHARED = join(__dirname, '../../../shared/models/onnx');
const EXAMPLES = join(__dirname, '../../examples');
// three_layer_bn_keras.onnx is an invalid model (onnxruntime rejects it too).
const MODELS = [
  ...readdirSync(EXAMPLES).filter((f) => f.endsWith('.onnx')).map((f) => join(EXAMPLES, f)),
  ...(existsSync(SHARED) ? readdirSync(SHARED).filter((f) => f.endsWith('.onnx') && f !== 'three_layer_bn_keras.onnx').map((f) => join(SHARED, f)) : []),
].sort();

const root = HAVE ? mkdtempSync(join(tmpdir(), 'nn2hls-csim-')) : '';
// Removing a hundred built projects can take longer than the default 10 s on a busy machine.
afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
}, 120_000);

/** ap_fixed<16,6> everywhere, or post-training 8-bit types calibrated on 256 samples. */
function precisionFor(model: string, kind: 'default' | 'auto8'): PrecisionConfig {
  if (kind === 'default') return defaultConfig();
  const g = loadOnnxFile(model);
  const calibFile = model.replace(/\.onnx$/, '_calib.npy');
  const calib = existsSync(calibFile)
    ? (() => {
        const t = readNpyFile(calibFile);
        return { shape: t.shape, data: toFloat32(t) };
      })()
    : defaultRuns(g, 256)[0]![0]!;
  return autoPrecision(g, [calib], { bits: 8, run: runFloat });
}

describe.skipIf(!HAVE).concurrent('csim is bit-exact with the simulator', () => {
  for (const model of MODELS) {
    for (const [io, kind] of [['parallel', 'default'], ['stream', 'default'], ['parallel', 'auto8'], ['stream', 'auto8']] as const) {
      it(`${model} (io ${io}, ${kind})`, { timeout: 600_000 }, async () => {
        const base = model.replace(/^.*\//, '');
        const dir = join(root, `${base}_${io}_${kind}`);
        compileProject({
          model,
          out: dir,
          precision: precisionFor(model, kind),
          samples: 32,
          // No flags: the tiling pass folds layers beyond the limits (dense_big_keras) itself.
          options: { ...DEFAULTS, io, layers: {} },
        });
        const r = await runCsim(dir, { hlsInclude: INC! });
        console.log(`${base} io ${io} ${kind}: bit-exact ${r.exact}/${r.samples}, g++ ${(r.compileMs / 1000).toFixed(1)} s`);
        expect(r.mismatches).toEqual([]);
        expect(r.exact).toBe(r.samples);
        expect(r.samples).toBe(32);
      });
    }
  }
  for (const name of CASE_NAMES) {
    for (const io of backendCase(name).io) {
      it(`case ${name} (io ${io})`, { timeout: 600_000 }, async () => {
        const c = backendCase(name);
        const g = prepareFixed(c.graph, c.config).graph;
        const dir = join(root, `case_${name}_${io}`);
        writeProject(dir, emitProject(g, { ...DEFAULTS, io, ...caseHlsOptions(c), runs: defaultRuns(g, 16), simulate: simulateFixed }));
        const r = await runCsim(dir, { hlsInclude: INC! });
        expect(r.mismatches).toEqual([]);
        expect(r.exact).toBe(16);
      });
    }
  }
});

describe.skipIf(!HAVE)('emitted C++ is warning-free', () => {
  it('g++ -std=c++14 -Wall -Wextra reports nothing in our files', { timeout: 300_000 }, () => {
    for (const [name, io, strategy] of [['conv2d', 'stream', 'latency'], ['add_concat', 'parallel', 'latency'], ['activations', 'stream', 'latency'],
      ['pool_residual', 'stream', 'latency'], ['conv2d', 'parallel', 'resource']] as const) {
      const g = prepareFixed(caseGraph(name), defaultConfig()).graph;
      const dir = join(root, `warn_${name}_${io}`);
      writeProject(dir, emitProject(g, { ...DEFAULTS, io, strategy, layers: {}, runs: defaultRuns(g, 2), simulate: simulateFixed }));
      for (const src of ['firmware/myproject.cpp', 'tb/myproject_test.cpp']) {
        const r = spawnSync('g++', ['-std=c++14', '-Wall', '-Wextra', '-fsyntax-only', `-I${join(dir, 'firmware')}`,
          '-isystem', INC!, '-DNN2HLS_OWN_STREAM', join(dir, src)], { encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
        const ours = r.stderr.split('\n').filter((l) => l.includes(dir) && /warning/.test(l));
        expect(ours, r.stderr).toEqual([]);
      }
    }
  });
});
