/**
 * simulateParallel with its inputs in shared memory (how `nn2hls simulate` reads them: workers
 * read their chunks in place instead of getting copies) gives simulate()'s report and outputs
 * bit for bit, as with ordinary arrays (copied to shared memory once).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readModelInputs } from '../../src/cli/io.js';
import { loadOnnxFile } from '../../src/frontend/onnx/model.js';
import { defaultConfig } from '../../src/ir/precision-config.js';
import { canonicalize, prepareFixed } from '../../src/passes/pipeline.js';
import { simulate } from '../../src/sim/compare.js';
import { sharedInputs, simulateParallel } from '../../src/sim/parallel.js';

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
});
