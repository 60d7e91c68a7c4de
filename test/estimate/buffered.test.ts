/**
 * Buffered io-stream layers in the estimator (a Transpose that reorders the stream: it reads its
 * whole input into an array, gathers, and writes the result back). Their arrays are costed as
 * the plan declares them (LayerPlan.buffers: completely partitioned, ping-pong between DATAFLOW
 * processes), and their fill — the whole input before the first output — is in the latency.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/backend-hls/index.js';
import { estimate, estimateGraph } from '../../src/estimate/index.js';
import { memoryCost } from '../../src/estimate/memory.js';
import { planView } from '../../src/estimate/plan-view.js';
import { resolvePart } from '../../src/estimate/devices.js';
import { importOnnx } from '../../src/frontend/onnx/model.js';
import { defaultConfig } from '../../src/ir/precision-config.js';
import { prepareFixed } from '../../src/passes/pipeline.js';
import { buildModel } from '../helpers/onnx-builder.js';
import { backendCase } from '../backend/cases.js';

const Z7 = { part: 'xczu7ev-ffvc1156-2-e', clockNs: 5, tool: 'vivado-2019.2' };
const STREAM = { io: 'stream' as const, strategy: 'latency' as const, reuse: 1 };

/** x[16,16] → Relu → (Transpose) → Tanh: with and without the Transpose in the middle. */
function graph(transpose: boolean) {
  const nodes = [
    { op: 'Relu', inputs: ['x'], outputs: ['r'] },
    ...(transpose ? [{ op: 'Transpose', inputs: ['r'], outputs: ['t'], attrs: { perm: [0, 2, 1] } }] : []),
    { op: 'Tanh', inputs: [transpose ? 't' : 'r'], outputs: ['y'] },
  ];
  const m = buildModel({ inputs: [['x', ['N', 16, 16]]], outputs: [['y', ['N', 16, 16]]], inits: [], nodes });
  return prepareFixed(importOnnx(m, 'buffered.onnx'), defaultConfig()).graph;
}

describe('estimator: buffered io-stream layers', () => {
  const g = graph(true);
  const view = planView(g, { ...DEFAULTS, io: 'stream', layers: {}, runs: [] });
  const tr = view.layers.find((l) => l.op === 'Transpose')!;

  it('reads the arrays from the plan: 256 × 16-bit input and result, completely partitioned, ping-pong', () => {
    expect(tr.stream).toBe('buffered');
    const array = { elements: 256, bits: 16, packs: 16, banks: 0, storage: 'registers', copies: 2 };
    expect(tr.buffers).toEqual([{ what: 'input 0', ...array }, { what: 'result', ...array }]);
    // The plan's II is its slowest process: reading (or writing) 16 packs, not the gather's one step.
    expect([tr.ii, tr.iterations * tr.stepII]).toEqual([16, 1]);
  });

  it('costs them as registers: 2 arrays × 2 copies × 256 × 16 FF, a 2:1 select per two bits, no BRAM', () => {
    const e = estimateGraph(g, STREAM, Z7);
    const l = e.layers.find((x) => x.op === 'Transpose')!;
    expect(l.ff).toBe(2 * 2 * 256 * 16);
    expect(l.bram18k).toBe(0);
    const none = estimate({ ...view, layers: view.layers.map((x) => (x === tr ? { ...tr, buffers: [] } : x)) }, Z7).layers.find((x) => x.op === 'Transpose')!;
    expect(l.lut - none.lut).toBe(2 * (256 * 16) / 2);
    expect(none.ff).toBe(0);
  });

  it('arrays the plan keeps in memory banks take the RAMB18 rule of weights and FIFOs, twice for ping-pong', () => {
    const dev = resolvePart('xczu7ev').device;
    // 4096 × 16 bits cyclic over 4 banks: 1024 × 16 = one RAMB18 per bank and copy.
    const big = { what: 'result' as const, elements: 4096, bits: 16, packs: 256, banks: 4, storage: 'bram' as const, copies: 2 };
    expect(memoryCost({ ...tr, buffers: [big] }, dev).bram18k).toBe(8);
    expect(memoryCost({ ...tr, buffers: [{ ...big, copies: 1 }] }, dev).bram18k).toBe(4);
    // 36-bit elements, 2048 words in one bank: 512 × 36 aspect, 4 RAMB18.
    expect(memoryCost({ ...tr, buffers: [{ ...big, elements: 2048, bits: 36, banks: 1, copies: 1 }] }, dev).bram18k).toBe(4);
    // A shallow bank in LUTRAM: 2 copies × 2 banks × ceil(100/64) × 16 bits.
    const base = memoryCost({ ...tr, buffers: [] }, dev);
    const lutram = memoryCost({ ...tr, buffers: [{ ...big, elements: 200, banks: 2, storage: 'lutram' }] }, dev);
    expect([lutram.bram18k, lutram.lut - base.lut, lutram.ff - base.ff]).toEqual([0, 2 * 2 * 2 * 16, 0]);
  });

  it('delays everything downstream by its whole input: 16 packs, the gather, two array hops and its FIFO', () => {
    const withT = estimateGraph(g, STREAM, Z7);
    const without = estimateGraph(graph(false), STREAM, Z7);
    // Relu and Tanh stream 16 packs of 16 either way; the Transpose starts writing only after
    // reading all 16 packs, a cycle of gather and the two ping-pong hops, then one FIFO hop.
    expect(withT.total.latency_cycles - without.total.latency_cycles).toBe(16 + 1 + 2 + 1);
    const l = withT.layers.find((x) => x.op === 'Transpose')!;
    // First input to last output: that fill, then its 16 packs out; II: one pack a cycle.
    expect([l.latency_cycles, l.ii]).toEqual([16 + 1 + 2 + 16, 16]);
    expect(withT.total.ii).toBe(without.total.ii);
  });

  it('a native streamed MatMul\'s held right operand is the same ping-pong register array', () => {
    const c = backendCase('attention');
    const ga = prepareFixed(c.graph, c.config).graph;
    const va = planView(ga, { ...DEFAULTS, io: 'stream', layers: {}, runs: [] });
    const scores = va.layers.find((l) => l.name === 'scores')!;
    expect(scores.stream).toBe('native');
    // xt: [2,3,4] = 24 elements of 16 bits, 6 packs of 4.
    expect(scores.buffers).toEqual([{ what: 'input 1', elements: 24, bits: 16, packs: 6, banks: 0, storage: 'registers', copies: 2 }]);
    const dev = resolvePart('xczu7ev').device;
    const held = memoryCost(scores, dev);
    const none = memoryCost({ ...scores, buffers: [] }, dev);
    expect([held.ff - none.ff, held.lut - none.lut, held.bram18k - none.bram18k]).toEqual([2 * 24 * 16, (24 * 16) / 2, 0]);
  });

  it('a streamed MatMul\'s rows start once its held right operand is whole: not before the layer writing it is done', () => {
    // x[8,8] -> k = x·W (Dense) -> y = x·k (streamed MatMul holding k, 8 packs of 8).
    const w = Array.from({ length: 64 }, (_, i) => ((i * 7) % 5) / 8 - 0.25);
    const m = buildModel({
      inputs: [['x', ['N', 8, 8]]], outputs: [['y', ['N', 8, 8]]], inits: [['w', [8, 8], w]],
      nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['k'] }, { op: 'MatMul', inputs: ['x', 'k'], outputs: ['y'] }],
    });
    const gm = prepareFixed(importOnnx(m, 'held.onnx'), defaultConfig()).graph;
    const dense = gm.nodes.find((n) => n.op === 'Dense')!.name;
    const run = (layers: Record<string, { strategy: 'resource'; reuse: number }>) => {
      const v = planView(gm, { ...DEFAULTS, io: 'stream', layers, runs: [] });
      const mm = v.layers.find((l) => l.op === 'MatMul')!;
      expect([mm.heldPacks, mm.heldProducers]).toEqual([8, [0]]);
      return estimate(v, Z7);
    };
    // Fast writer (8 rows, one a cycle, done at 11): the 8 held packs arrive from cycle 3 (the
    // Dense's pipeline depth 2 and a FIFO hop) to 11; the rows then take 10 cycles and a hop.
    const fast = run({});
    expect(fast.layers.map((l) => [l.latency_cycles, l.ii])).toEqual([[10, 8], [10, 8]]);
    expect(fast.total.latency_cycles).toBe(11 + 10 + 1);
    // Slow writer (resource, reuse 64: 520 cycles of rows, 530 to its last output, done at 531):
    // the MatMul's rows wait for its last row, not only for 8 packs after its first.
    const slow = run({ [dense]: { strategy: 'resource', reuse: 64 } });
    expect(slow.layers.map((l) => [l.latency_cycles, l.ii])).toEqual([[530, 528], [10, 8]]);
    expect(slow.total.latency_cycles).toBe(530 + 1 + 10 + 1);
  });

  it('a native kernel\'s row arrays filled or emptied pack by pack are registers of one copy, costed as such', () => {
    const rowsOf = (name: string) => {
      const c = backendCase(name);
      const v = planView(prepareFixed(c.graph, c.config).graph, { ...DEFAULTS, io: 'stream', layers: {}, runs: [] });
      return v.layers.filter((l) => l.buffers.some((b) => b.what.startsWith('row')));
    };
    const dev = resolvePart('xczu7ev').device;
    const reg = { banks: 0, storage: 'registers', copies: 1 };
    // conv2d: the Dense after the flatten reads its 12-element row in 6 packs of 2 (dense_stream's x).
    const [dense] = rowsOf('conv2d');
    expect([dense!.op, dense!.buffers]).toEqual(['Dense', [{ what: 'row input', elements: 12, bits: 16, packs: 6, ...reg }]]);
    const with_ = memoryCost(dense!, dev);
    const none = memoryCost({ ...dense!, buffers: [] }, dev);
    expect([with_.ff - none.ff, with_.lut - none.lut, with_.bram18k - none.bram18k]).toEqual([12 * 16, 0, 0]);
    // layernorm: an 18-element row in 3 packs of 6, its 18 results out in 3 packs (14-bit outputs).
    const [ln] = rowsOf('layernorm');
    expect(ln!.buffers).toEqual([{ what: 'row input', elements: 18, bits: 16, packs: 3, ...reg }, { what: 'row result', elements: 18, bits: 14, packs: 3, ...reg }]);
    expect(memoryCost(ln!, dev).ff - memoryCost({ ...ln!, buffers: [] }, dev).ff).toBe(18 * 16 + 18 * 14);
    // reduce: the accumulators and their seen flags (accumulator width + 1) over the whole input.
    expect(rowsOf('reduce').map((l) => l.buffers.map((b) => [b.what, b.elements, b.bits, b.packs]))).toEqual([
      [['row accumulators', 4, 21, 0]], [['row accumulators', 3, 22, 0]], [['row accumulators', 5, 17, 0]], [['row accumulators', 5, 17, 0]],
    ]);
    // attention: every MatMul row is one pack (k = 4 elements in a pack of 4): wires, no row array.
    expect(rowsOf('attention')).toEqual([]);
  });
});
