/**
 * The io_stream FIFO depths the plan chooses, checked by running the emitted C++ the way the
 * hardware runs it: every DATAFLOW process of the top function in its own thread, every FIFO
 * bounded to the depth its STREAM pragma gives (a writer blocks when it is full, a reader when it
 * is empty). Plain csim runs the processes one after another on unbounded FIFOs, so it cannot
 * see a depth; this does, with the real kernels: a design whose FIFOs are too short stops with
 * every process blocked (a dataflow deadlock), which the watchdog reports. The skip FIFOs of a
 * reconverging branch (plan.ts skipLag) must pass, be bit-exact, and deadlock once cut 8 packs
 * below their lag (the U-Net's 768-pack skip runs from 767 packs up) — so the lag is what the
 * kernels need, not a guess.
 * Test-only: a bounded, thread-safe hls_stream.h in a scratch include directory beside the
 * ap_types headers, and a rewritten top function. Needs AP_TYPES_INCLUDE and g++.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULTS, emitProject } from '../../src/backend-hls/index.js';
import { SKIP_SLACK } from '../../src/backend-hls/plan.js';
import { planProject } from '../../src/backend-hls/project.js';
import { defaultRuns, writeProject } from '../../src/cli/compile.js';
import { runCsim } from '../../src/cli/csim.js';
import { importOnnx, loadOnnxFile } from '../../src/frontend/onnx/model.js';
import type { Graph } from '../../src/ir/graph.js';
import { defaultConfig } from '../../src/ir/precision-config.js';
import { prepareFixed } from '../../src/passes/pipeline.js';
import { simulateFixed } from '../../src/sim/fixed/simulate.js';
import { backendCase } from './cases.js';
import { BOUNDED_STREAM, threadedTop } from './threaded-top.js';

// Absolute: the scratch include directory links to these headers from elsewhere (a relative
// AP_TYPES_INCLUDE such as ../shared/… would leave the links dangling).
const INC = process.env['AP_TYPES_INCLUDE'] ? resolve(process.env['AP_TYPES_INCLUDE']) : undefined;
const HAVE = !!INC && existsSync(join(INC, 'ap_fixed.h'));
if (!HAVE) console.log(`test/backend/fifo-depth-csim: skipped — set AP_TYPES_INCLUDE to a directory holding ap_fixed.h (got ${INC ?? 'nothing'})`);

const root = HAVE ? mkdtempSync(join(tmpdir(), 'nn2hls-fifo-')) : '';
afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
}, 60_000);

/** A scratch include directory: the ap_types headers and the bounded hls_stream.h. */
function includeDir(): string {
  const inc = join(root, 'include');
  if (!existsSync(inc)) {
    mkdirSync(inc);
    for (const f of readdirSync(INC!)) symlinkSync(join(INC!, f), join(inc, f));
    writeFileSync(join(inc, 'hls_stream.h'), BOUNDED_STREAM);
  }
  return inc;
}

/** The project of `g` in io stream (no folding), its top threaded; `cut` rewrites depths first. */
function project(tag: string, g: Graph, cut?: (top: string) => string) {
  const out = join(root, tag);
  const q = prepareFixed(g, defaultConfig()).graph;
  const opts = { ...DEFAULTS, io: 'stream' as const, layers: {}, runs: defaultRuns(q, 2), simulate: simulateFixed };
  const plan = planProject(q, opts);
  const files = emitProject(q, opts, plan);
  const f = 'firmware/myproject.cpp';
  const top = files.get(f)!;
  files.set(f, threadedTop(cut ? cut(top) : top));
  writeProject(out, files);
  return { out, plan };
}

const run = (out: string) => runCsim(out, { hlsInclude: includeDir(), cxxflags: ['-pthread'], pch: false });

describe.skipIf(!HAVE)('FIFO depths under bounded FIFOs and concurrent processes', () => {
  it('the threaded top deadlocks when the skip FIFOs are cut to 2 (the checker sees deadlocks)', { timeout: 300_000 }, async () => {
    const { out } = project('residual_cut', backendCase('pool_residual').graph, (t) => t.replace(/(relu2_out_(?:rest0|cp1|cp2) depth=)\d+/g, '$12'));
    await expect(run(out)).rejects.toThrow(/exit 3/);
  });

  it('pool_residual: the skip FIFOs at the plan\'s depth are enough and bit-exact', { timeout: 300_000 }, async () => {
    const { out, plan } = project('residual', backendCase('pool_residual').graph);
    const skip = plan.edges.find((e) => e.cpp === 'relu2_out_cp1')!;
    expect(skip.depth).toBe(12 + SKIP_SLACK);
    const r = await run(out);
    expect(r.mismatches).toEqual([]);
    expect(r.exact).toBe(r.samples);
    expect(r.samples).toBe(2);
  });

  it('resnet_mnist: both residual skips (46 and 19 packs, were the whole 196 and 25) run, bit-exact', { timeout: 300_000 }, async () => {
    const { out, plan } = project('resnet', loadOnnxFile(join(__dirname, '../../examples/resnet_mnist.onnx')));
    expect(plan.edges.filter((e) => e.cpp.endsWith('_cp1')).map((e) => e.depth)).toEqual([46, 19]);
    const r = await run(out);
    expect(r.mismatches).toEqual([]);
    expect(r.exact).toBe(2);
  });

  it('transformer_digits: the folded K/V loads and the buffered head reorders run, bit-exact', { timeout: 300_000 }, async () => {
    const { out, plan } = project('transformer', loadOnnxFile(join(__dirname, '../fixtures/attention/transformer_digits.onnx')));
    expect(plan.plans.filter((l) => l.kernel === 'nn2hls::matmul_stream_load')).toHaveLength(2);
    const r = await run(out);
    expect(r.mismatches).toEqual([]);
    expect(r.exact).toBe(2);
  });

  it('U-Net 64x64: skip FIFOs of 12 and 4 rows run, bit-exact; cut 8 packs below the lag they deadlock', { timeout: 600_000 }, async () => {
    const unet = importOnnx(readFileSync(join(__dirname, '../fixtures/qonnx/unet_cl_64.onnx')), 'unet_cl_64.onnx');
    const { out, plan } = project('unet', unet);
    const skips = plan.edges.filter((e) => e.cpp.endsWith('_cp1'));
    expect(skips.map((e) => [e.cpp, e.depth])).toEqual([
      ['relu_26_node_out_cp1', 4 * 32 + SKIP_SLACK],
      ['relu_17_node_out_cp1', 12 * 64 + SKIP_SLACK],
    ]);
    const r = await run(out);
    expect(r.mismatches).toEqual([]);
    expect(r.exact).toBe(2);
    for (const cpp of ['relu_17_node_out_cp1', 'relu_26_node_out_cp1']) {
      const d = skips.find((e) => e.cpp === cpp)!.depth;
      const cut = project(`unet_${cpp}`, unet, (t) => t.replace(new RegExp(`(${cpp} depth=)\\d+`), `$1${d - SKIP_SLACK - 8}`));
      await expect(run(cut.out), cpp).rejects.toThrow(/exit 3/);
    }
  });
});
