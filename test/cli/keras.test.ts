/**
 * Keras models through the CLI: inspect/run/simulate/compile read .json (+ _weights.h5 or
 * --weights), .keras and TF.js folders; a QKeras model's quantizer types are printed, win over
 * --precision auto calibration, are overridden by a --config layer entry, and land in the
 * written config and the project's nn2hls.json; compiled QKeras projects C-simulate bit-exact
 * with the simulator at the defaults (needs AP_TYPES_INCLUDE for g++; skips that part without);
 * a project compiled from a .json with --weights records that file (and its hash) for csim.
 */
import { appendFileSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectGraph, readSummary, runCsim } from '../../src/cli/csim.js';
import { writeNpy } from '../../src/util/npy.js';
import { captureCli } from '../helpers/cli.js';

const SHARED = join(__dirname, '../../../shared/models');
const HAVE = existsSync(join(SHARED, 'keras'));
if (!HAVE) console.log(`test/cli/keras: skipped — ${SHARED}/keras not found`);
const INC = process.env['AP_TYPES_INCLUDE'];
const HAVE_INC = !!INC && existsSync(join(INC, 'ap_fixed.h'));
if (!HAVE_INC) console.log('test/cli/keras: csim part skipped — set AP_TYPES_INCLUDE to a directory holding ap_fixed.h');
const K = (f: string) => join(SHARED, 'keras', f);
const tmp = mkdtempSync(join(tmpdir(), 'nn2hls-keras-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const { io, cli } = captureCli();

function npy(name: string, shape: number[], seed: number): string {
  const n = shape.reduce((a, d) => a * d, 1);
  const data = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed) * 1.5);
  const p = join(tmp, name);
  writeFileSync(p, writeNpy({ dtype: 'float32', shape, data }));
  return p;
}

describe.skipIf(!HAVE)('Keras models on the command line', () => {
  it('inspect reads an architecture .json with its _weights.h5 beside it, and a TF.js folder', async () => {
    expect(await cli('inspect', K('KERAS_3layer.json'))).toBe(0);
    expect(io.out).toMatch(/fc1_relu/);
    expect(await cli('inspect', join(SHARED, 'tfjs/model_layers'))).toBe(0);
    expect(io.out).toMatch(/conv2d_2/);
  });

  it('--weights names the weights file; a wrong one is a clear error', async () => {
    const x = npy('x10.npy', [4, 10], 1);
    expect(await cli('run', K('KERAS_1layer.json'), '--weights', K('KERAS_1layer_weights.h5'), '--input', x, '--out', join(tmp, 'run1'))).toBe(0);
    expect(await cli('run', K('KERAS_1layer.json'), '--weights', K('KERAS_3layer_weights.h5'), '--input', x, '--out', join(tmp, 'run2'))).toBe(1);
    expect(io.err).toMatch(/layer 'fc1_relu' \(Dense\): .*(missing weights|shape)/);
  });

  it('a project compiled from a .json with --weights records the weights file and its hash; csim rebuilds from it', async () => {
    const dir = mkdtempSync(join(tmp, 'wts-'));
    // No arch_weights.h5 beside arch.json: only --weights finds the weights.
    copyFileSync(K('KERAS_1layer.json'), join(dir, 'arch.json'));
    copyFileSync(K('KERAS_1layer_weights.h5'), join(dir, 'w.h5'));
    const prj = join(dir, 'prj');
    expect(await cli('compile', join(dir, 'arch.json'), '--weights', join(dir, 'w.h5'), '-o', prj, '--samples', '4')).toBe(0);
    const rec = JSON.parse(readFileSync(join(prj, 'nn2hls.load.json'), 'utf8'));
    expect(rec.weights).toBe(join(dir, 'w.h5'));
    expect(rec.weights_sha256).toMatch(/^[0-9a-f]{64}$/);
    const s = readSummary(prj);
    const g = await projectGraph(s, prj);
    expect(g.nodes.some((n) => n.op === 'Dense')).toBe(true);
    if (HAVE_INC) {
      const r = await runCsim(prj, { log: () => undefined });
      expect(r.mismatches).toEqual([]);
      expect(r.exact).toBe(4);
    }
    // The weights are part of the source check: changed or gone, csim refuses with a clear error.
    appendFileSync(join(dir, 'w.h5'), Buffer.from([0]));
    await expect(projectGraph(s, prj)).rejects.toThrow(/w\.h5 changed since the project was compiled; recompile it/);
    rmSync(join(dir, 'w.h5'));
    await expect(projectGraph(s, prj)).rejects.toThrow(/weights file it was compiled with .*w\.h5\) is gone/);
    // The default <stem>_weights.h5 beside the .json is recorded too.
    copyFileSync(K('KERAS_1layer_weights.h5'), join(dir, 'arch_weights.h5'));
    const prj2 = join(dir, 'prj2');
    expect(await cli('compile', join(dir, 'arch.json'), '-o', prj2, '--samples', '4')).toBe(0);
    expect(JSON.parse(readFileSync(join(prj2, 'nn2hls.load.json'), 'utf8')).weights).toBe(join(dir, 'arch_weights.h5'));
    // A self-contained model records nothing.
    const prj3 = join(dir, 'prj3');
    expect(await cli('compile', K('qkeras-v3_3layer.keras'), '-o', prj3, '--samples', '4')).toBe(0);
    expect(existsSync(join(prj3, 'nn2hls.load.json'))).toBe(false);
  }, 120_000);

  it('QKeras types win over --precision auto and are written with the config', async () => {
    const x = npy('x16.npy', [64, 16], 2);
    const out = join(tmp, 'auto.json');
    expect(await cli('simulate', K('qkeras_3layer.json'), '--input', x, '--precision', 'auto', '--calib', x, '--bits', '10', '--write-config', out)).toBe(0);
    expect(io.out).toMatch(/quantizer types from the model \(7 layer\(s\)/);
    // QKeras weights sit on their types' grids: zero weight-quantization error per layer.
    for (const l of ['fc1', 'fc2', 'fc3', 'output']) expect(io.out).toMatch(new RegExp(`\\n${l} +Dense .* exact\\n`));
    const cfg = JSON.parse(readFileSync(out, 'utf8'));
    expect(cfg.layers.fc1.weight).toBe('ap_fixed<6,1,AP_RND_CONV,AP_SAT>');
    expect(cfg.layers.fc1.bias).toBe('ap_fixed<6,1,AP_RND_CONV,AP_SAT>');
    expect(cfg.layers.relu2.result).toBe('ap_ufixed<6,0,AP_RND_CONV,AP_SAT>');
    // Calibrated types stay where QKeras says nothing (a 10-bit result for the Dense layers;
    // unsigned, since only the Relu reads fc1 and the cast's saturation at 0 is that Relu).
    expect(cfg.layers.fc1.result).toMatch(/^ap_ufixed<10,/);
  });

  it('a --config layer entry overrides the quantizer type; compile records the merged config', async () => {
    const c = join(tmp, 'override.json');
    writeFileSync(c, JSON.stringify({ layers: { relu1: { result: 'ap_ufixed<8,1>' } } }));
    const prj = join(tmp, 'prj_override');
    expect(await cli('compile', K('qkeras_3layer.json'), '-o', prj, '--config', c, '--samples', '4')).toBe(0);
    const summary = JSON.parse(readFileSync(join(prj, 'nn2hls.json'), 'utf8'));
    const layers = summary.precision.layers;
    expect(layers.relu1.result).toBe('ap_ufixed<8,1>');
    expect(layers.relu2.result).toBe('ap_ufixed<6,0,AP_RND_CONV,AP_SAT>');
    expect(layers.output.weight).toBe('ap_fixed<6,1,AP_RND_CONV,AP_SAT>');
  });

  it.skipIf(!HAVE_INC).each(['qkeras_3layer.json', 'qkeras-v3_3layer.keras'])(
    '%s compiles at the defaults and C-simulates bit-exact',
    async (f) => {
      const prj = join(tmp, `prj_${f.replace(/\W/g, '_')}`);
      expect(await cli('compile', K(f), '-o', prj, '--samples', '16')).toBe(0);
      const r = await runCsim(prj, { log: () => undefined });
      expect(r.mismatches).toEqual([]);
      expect(r.exact).toBe(r.samples);
      expect(r.samples).toBe(16);
    },
    300_000,
  );

  // Its 26x26x16 activations pass the HLS array-partition limit (4096) in io parallel; the tiling
  // pass splits them by channel, so the CLI compiles it with no flags and csim is bit-exact.
  it.skipIf(!HAVE_INC)(
    'qkeras_mnist_cnn.json at the default precision compiles with no flags and C-simulates bit-exact',
    async () => {
      const prj = join(tmp, 'prj_mnist_cnn');
      expect(await cli('compile', K('qkeras_mnist_cnn.json'), '-o', prj, '--samples', '16')).toBe(0);
      const r = await runCsim(prj, { log: () => undefined });
      expect(r.mismatches).toEqual([]);
      expect(r.exact).toBe(16);
    },
    300_000,
  );
});
