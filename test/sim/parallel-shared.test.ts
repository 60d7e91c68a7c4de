/**
 * simulateParallel with its inputs in shared memory (how `nn2hls simulate` reads them: workers
 * read their chunks in place instead of getting copies) gives simulate()'s report and outputs
 * bit for bit, as with ordinary arrays (copied to shared memory once); so do prestarted workers,
 * whether they were sent this thread's compiled kernel modules early (shareKernels) or get them
 * with the graphs, and a thread given compiled modules (provideModules) uses them as they are.
 */
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { readModelInputs } from '../../src/cli/io.js';
import { loadOnnxFile } from '../../src/frontend/onnx/model.js';
import { defaultConfig } from '../../src/ir/precision-config.js';
import { canonicalize, prepareFixed } from '../../src/passes/pipeline.js';
import { simulate } from '../../src/sim/compare.js';
import { prestartWorkers, shareKernels, sharedInputs, simulateParallel } from '../../src/sim/parallel.js';

const EX = join(import.meta.dirname, '../../examples');

describe('simulateParallel on shared inputs', () => {
  it('matches simulate() bit for bit, from a shared .npy read and from ordinary arrays', async () => {
    const g = loadOnnxFile(join(EX, 'lenet5_mnist.onnx'));
    const cg = canonicalize(g);
    const qg = prepareFixed(g, defaultConfig()).graph;
    const shared = readModelInputs(g, [join(EX, 'mnist_input.npy')], '--input', 'input data', true);
    const plain = readModelInputs(g, [join(EX, 'mnist_input.npy')], '--input');
    expect(shared[0]!.data.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(plain[0]!.data.buffer).toBeInstanceOf(ArrayBuffer);
    expect(sharedInputs(shared)[0]).toBe(shared[0]);
    expect(sharedInputs(plain)[0]!.data.buffer).toBeInstanceOf(SharedArrayBuffer);
    const a = simulate(cg, qg, plain, { chunk: 16 });
    for (const inputs of [shared, plain]) {
      let workers = -1;
      const b = await simulateParallel(cg, qg, inputs, { chunk: 16, threads: 2, minParallelMs: 0, onWorkers: (k) => (workers = k) });
      expect(workers).toBe(1);
      expect(b.report).toEqual(a.report);
      expect(Array.from(b.fixedOutputs[0]!.data)).toEqual(Array.from(a.fixedOutputs[0]!.data));
      expect(Array.from(b.floatOutputs[0]!.data)).toEqual(Array.from(a.floatOutputs[0]!.data));
    }
  }, 120000);

  it('prestarted workers, given the compiled kernels early or with the graphs, match simulate() bit for bit', async () => {
    const g = loadOnnxFile(join(EX, 'lenet5_mnist.onnx'));
    const cg = canonicalize(g);
    const qg = prepareFixed(g, defaultConfig()).graph;
    const inputs = readModelInputs(g, [join(EX, 'mnist_input.npy')], '--input', 'input data', true);
    const a = simulate(cg, qg, inputs, { chunk: 16 });
    for (const early of [true, false]) {
      const prestarted = prestartWorkers(1);
      if (early) shareKernels(prestarted);
      let workers = -1;
      const b = await simulateParallel(cg, qg, inputs, { chunk: 16, threads: 2, minParallelMs: 0, prestarted, onWorkers: (k) => (workers = k) });
      expect(workers).toBe(1);
      expect(b.report).toEqual(a.report);
      expect(Array.from(b.fixedOutputs[0]!.data)).toEqual(Array.from(a.fixedOutputs[0]!.data));
      expect(Array.from(b.floatOutputs[0]!.data)).toEqual(Array.from(a.floatOutputs[0]!.data));
    }
  }, 120000);
});

describe('kernel modules compiled once and shared', () => {
  it('a thread given compiled modules instantiates those instead of building its own', async () => {
    const here = await import('../../src/sim/wasm-asm.js');
    await import('../../src/sim/compare.js');
    const mine = here.compiledModules();
    // Every kernel module of the simulator is registered, and compiled once (same objects again).
    expect(Object.keys(mine).sort()).toEqual(['fixed', 'float', 'float-eltwise', 'float-scatter', 'stats']);
    expect(here.compiledModules().fixed).toBe(mine.fixed);
    // A fresh copy of the modules (as in a worker): given the modules, it keeps them as they are.
    vi.resetModules();
    const fresh = await import('../../src/sim/wasm-asm.js');
    const gemm = await import('../../src/sim/wasm-gemm.js');
    expect(fresh).not.toBe(here);
    fresh.provideModules(mine);
    expect(gemm.wasmAvailable()).toBe(true);
    expect(fresh.compiledModules().fixed).toBe(mine.fixed);
    // Without them it compiles its own.
    vi.resetModules();
    const other = await import('../../src/sim/wasm-asm.js');
    await import('../../src/sim/wasm-gemm.js');
    const own = other.compiledModules().fixed;
    expect(own?.constructor.name).toBe('Module');
    expect(own).not.toBe(mine.fixed);
  });
});
