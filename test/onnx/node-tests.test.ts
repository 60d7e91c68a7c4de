/**
 * Runs the ONNX project's own backend node tests (Debian libonnx-testdata) through the whole
 * chain — frontend, IR, float executor — and compares with the stored outputs
 * (rtol 1e-4, atol 1e-5). Every non-`_expanded` test whose ops are all in nn2hls' required op
 * list runs, except the categories the foundation issue excludes (3-D variants, cubic and
 * crop-and-resize Resize, MaxPool's argmax output, int8/uint8-typed variants, sequence and
 * optional Identity). Graph inputs feeding constant-only slots (shapes, pads, scales) are
 * frozen to the test's values, as a user would pass them. Prints the count per op family.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { importOnnx, inputsNeedingFreeze } from '../../src/frontend/onnx/model.js';
import { readTensorProtoFile } from '../../src/frontend/onnx/tensor-proto.js';
import { runFloat } from '../../src/sim/float/executor.js';
import { type HostTensor, toFloat32 } from '../../src/util/tensor.js';
import { collect } from '../helpers/onnx-node-tests.js';

const { cases, skipped } = collect();
const passed = new Map<string, number>();
const total = new Map<string, number>();

function readInputs(dir: string, count: number): HostTensor[] {
  const ds = join(dir, 'test_data_set_0');
  return Array.from({ length: count }, (_, i) => readTensorProtoFile(join(ds, `input_${i}.pb`)));
}

describe.skipIf(cases.length === 0)('ONNX backend node tests (libonnx-testdata)', () => {
  afterAll(() => {
    const fams = [...total.keys()].sort();
    const lines = fams.map((f) => `  ${f.padEnd(20)} ${passed.get(f) ?? 0}/${total.get(f)}`);
    const sum = [...passed.values()].reduce((a, b) => a + b, 0);
    const all = [...total.values()].reduce((a, b) => a + b, 0);
    const skippedLines = [...skipped].map(([why, names]) => `  excluded (${why}): ${names.length}`);
    console.log(`ONNX node tests passed per op family:\n${lines.join('\n')}\n  TOTAL ${sum}/${all}\n${skippedLines.join('\n')}`);
  });

  for (const tc of cases) {
    it(tc.name, () => {
      total.set(tc.family, (total.get(tc.family) ?? 0) + 1);
      const bytes = readFileSync(join(tc.dir, 'model.onnx'));
      const model = onnxProto.onnx.ModelProto.decode(bytes);
      const inits = new Set((model.graph!.initializer ?? []).map((t) => t.name));
      const graphInputs = (model.graph!.input ?? []).map((i) => i.name ?? '').filter((n) => !inits.has(n));
      const values = readInputs(tc.dir, graphInputs.length);
      const toFreeze = new Set(inputsNeedingFreeze(bytes, tc.name));
      const freeze = new Map<string, HostTensor>();
      graphInputs.forEach((n, i) => {
        if (toFreeze.has(n)) freeze.set(n, values[i]!);
      });
      const g = importOnnx(bytes, tc.name, { freeze });
      const feeds = graphInputs
        .map((n, i) => ({ n, t: values[i]! }))
        .filter(({ n }) => !toFreeze.has(n))
        .map(({ t }) => ({ shape: t.shape, data: toFloat32(t) }));
      const outs = runFloat(g, feeds);
      const nOut = (model.graph!.output ?? []).length;
      for (let k = 0; k < nOut; k++) {
        const want = readTensorProtoFile(join(tc.dir, 'test_data_set_0', `output_${k}.pb`));
        const got = outs[k]!;
        expect(got.shape, `output ${k} shape`).toEqual(want.shape);
        const w = toFloat32(want);
        let worst = 0;
        let at = -1;
        for (let i = 0; i < w.length; i++) {
          const err = Math.abs(got.data[i]! - w[i]!) - (1e-5 + 1e-4 * Math.abs(w[i]!));
          if (err > worst || Number.isNaN(err)) {
            worst = Number.isNaN(err) ? Infinity : err;
            at = i;
          }
        }
        expect(worst, `output ${k}: element ${at} is ${got.data[at]}, expected ${w[at]}`).toBeLessThanOrEqual(0);
      }
      passed.set(tc.family, (passed.get(tc.family) ?? 0) + 1);
    });
  }
});
