/**
 * Dense with operands so wide that exact partial sums pass 2^53: the simulator must switch to
 * BigInt for the per-term accumulation and still perform exactly acc = cast(acc + x·w → A) per
 * term (checked against a step-by-step BigInt reference), counting the accumulator overflows.
 */
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/frontend/onnx/model.js';
import { fixedType, fracBits, parseType } from '../../src/ir/fixed.js';
import { parseConfig } from '../../src/ir/precision-config.js';
import { prepareFixed } from '../../src/passes/pipeline.js';
import { castRaw, quantizeDouble } from '../../src/ir/semantics/apfixed.js';
import { FixedProgram } from '../../src/sim/fixed/executor.js';
import { buildModel } from '../helpers/onnx-builder.js';

describe('wide accumulation', () => {
  it('products beyond 2^53 accumulate per term in BigInt, bit for bit', () => {
    const K = 6;
    const M = 3;
    const w = Array.from({ length: K * M }, (_, i) => Math.sin(i + 1) * 7.3);
    const g = importOnnx(
      buildModel({
        inputs: [['x', ['N', K]]],
        outputs: [['y', ['N', M]]],
        inits: [['W', [K, M], w]],
        nodes: [{ op: 'MatMul', name: 'fc', inputs: ['x', 'W'], outputs: ['y'] }],
      }),
      'wide.onnx',
    );
    const xT = parseType('ap_fixed<30,8>');
    const wT = parseType('ap_fixed<30,4>');
    const A = parseType('ap_fixed<40,9>'); // narrow on purpose: wraps and drops fraction bits
    const yT = parseType('ap_fixed<20,9,AP_RND_CONV,AP_SAT>');
    const cfg = parseConfig(
      { inputs: { x: 'ap_fixed<30,8>' }, layers: { fc: { weight: 'ap_fixed<30,4>', accum: 'ap_fixed<40,9>', result: 'ap_fixed<20,9,AP_RND_CONV,AP_SAT>' } } },
      'cfg',
    );
    const { graph } = prepareFixed(g, cfg);
    const prog = new FixedProgram(graph);
    const rows = 4;
    const xs = Array.from({ length: rows * K }, (_, i) => Math.cos(i * 1.7) * 100);
    const [y] = prog.run([{ shape: [rows, K], data: Float32Array.from(xs) }]);
    // Reference: exact products on the grid fx + fw, each partial sum cast into A.
    const pT = fixedType(xT.width + wT.width, xT.int + wT.int);
    let overflows = 0;
    for (let r = 0; r < rows; r++) {
      for (let m = 0; m < M; m++) {
        let acc = 0n;
        for (let k = 0; k < K; k++) {
          const x = quantizeDouble(Math.fround(xs[r * K + k]!), xT);
          const wr = quantizeDouble(Math.fround(w[k * M + m]!), wT);
          const f = Math.max(fracBits(A), fracBits(pT));
          const s = acc * 2n ** BigInt(f - fracBits(A)) + x * wr * 2n ** BigInt(f - fracBits(pT));
          const sT = fixedType(200, 200 - f);
          const next = castRaw(s, sT, A);
          if (next !== castRaw(s, sT, fixedType(400, 400 - fracBits(A)))) overflows++;
          acc = next;
        }
        expect(y!.raw[r * M + m]).toBe(Number(castRaw(acc, A, yT)));
      }
    }
    expect(overflows).toBeGreaterThan(0);
    expect(prog.stats.get('fc')!.accum).toBe(overflows);
  });
});
