/**
 * The tiling pass (src/passes/tile.ts): the reuse-factor rule, "must not fire" when the layer
 * fits or the user set everything, "always legal" when it does fire, and a property test over
 * random Dense/Conv sizes: every default-planned layer ends up inside the unroll and partition
 * limits with a valid reuse factor, and the chosen reuse is the smallest valid one that fits.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../src/ir/graph.js';
import { importOnnx } from '../../src/frontend/onnx/model.js';
import { closestValidReuse, foldCost, foldShape, isValidReuse, tileGraph, type TileOptions, validReuses } from '../../src/passes/tile.js';
import { buildModel } from '../helpers/onnx-builder.js';
import { recurrentModel } from '../helpers/recurrent-model.js';

const BASE: TileOptions = { io: 'parallel', strategy: 'latency', reuse: 1, layers: {}, unrollLimit: 4096, partitionLimit: 4096, userStrategy: false, userReuse: false };

function denseGraph(k: number, m: number): Graph {
  return importOnnx(buildModel({
    inputs: [['x', ['N', k]]], outputs: [['y', ['N', m]]],
    inits: [['W', [m, k], new Array<number>(k * m).fill(0.25)]],
    nodes: [{ op: 'Gemm', inputs: ['x', 'W'], outputs: ['y'], name: 'fc', attrs: { transB: 1 } }],
  }), 'dense.onnx');
}

function convGraph(cin: number, cout: number, k: number, hw: number): Graph {
  return importOnnx(buildModel({
    inputs: [['x', ['N', cin, hw, hw]]], outputs: [['y', ['N', cout, hw - k + 1, hw - k + 1]]],
    inits: [['W', [cout, cin, k, k], new Array<number>(cout * cin * k * k).fill(0.125)]],
    nodes: [{ op: 'Conv', inputs: ['x', 'W'], outputs: ['y'], name: 'conv', attrs: { kernel_shape: [k, k] } }],
  }), 'conv.onnx');
}

describe('reuse factor rule', () => {
  it('accepts divisors of n_in and n_in times divisors of n_out, nothing else', () => {
    expect(validReuses(8, 4)).toEqual([1, 2, 4, 8, 16, 32]);
    expect(validReuses(100, 100)).toEqual([1, 2, 4, 5, 10, 20, 25, 50, 100, 200, 400, 500, 1000, 2000, 2500, 5000, 10000]);
    expect(isValidReuse(100, 100, 3)).toBe(false);
    expect(isValidReuse(16, 5, 48)).toBe(false);
    expect(isValidReuse(16, 5, 80)).toBe(true);
  });
  it('corrects to the closest valid factor, ties to the larger', () => {
    expect(closestValidReuse(8, 4, 3)).toBe(4);
    expect(closestValidReuse(100, 100, 3)).toBe(4);
    expect(closestValidReuse(100, 100, 7)).toBe(5);
    expect(closestValidReuse(784, 10, 12)).toBe(14);
  });
});

describe('tiling pass', () => {
  it('must not fire on a layer inside the limits', () => {
    const d = tileGraph(denseGraph(16, 64), BASE).get('fc')!;
    expect(d).toMatchObject({ strategy: 'latency', reuse: 1, chosenBy: 'default', notes: [] });
  });
  it('must not fire when the user set strategy and reuse, even beyond a limit (warns instead)', () => {
    const g = denseGraph(400, 120);
    const d = tileGraph(g, { ...BASE, layers: { fc: { strategy: 'latency', reuse: 1 } } }).get('fc')!;
    expect(d).toMatchObject({ strategy: 'latency', reuse: 1, chosenBy: 'user' });
    expect(d.warnings.join()).toMatch(/fc.*48000 multiplications.*resource, reuse 16/);
    const e = tileGraph(g, { ...BASE, strategy: 'resource', reuse: 20, userStrategy: true, userReuse: true }).get('fc')!;
    expect(e).toMatchObject({ strategy: 'resource', reuse: 20, chosenBy: 'user', notes: [], warnings: [] });
  });
  it('fires on an oversized Dense: smallest valid reuse that fits, with a note', () => {
    const d = tileGraph(denseGraph(400, 120), BASE).get('fc')!;
    // 48000 products; reuse 16 is the smallest divisor of 400 leaving <= 4096 per step (3000).
    expect(d).toMatchObject({ strategy: 'resource', reuse: 16, chosenBy: 'tiling' });
    expect(d.notes[0]).toMatch(/chose strategy resource, reuse 16 \(3000 multipliers\)/);
  });
  it('corrects an invalid user reuse and reports it', () => {
    const d = tileGraph(denseGraph(100, 100), { ...BASE, strategy: 'resource', reuse: 3, userStrategy: true, userReuse: true }).get('fc')!;
    expect(d.reuse).toBe(4);
    expect(d.reuseRequested).toBe(3);
    expect(d.notes[0]).toMatch(/reuse 3 .*closest valid reuse 4/);
  });
  it('honours a reuse-only setting by switching to resource when that makes it fit', () => {
    const d = tileGraph(denseGraph(400, 120), { ...BASE, reuse: 40, userReuse: true }).get('fc')!;
    expect(d).toMatchObject({ strategy: 'resource', reuse: 40 });
  });
  it('is legal over random Dense and Conv sizes (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 600 }), fc.integer({ min: 1, max: 300 }), fc.constantFrom('parallel', 'stream'), (k, m, io) => {
        const g = denseGraph(k, m);
        const o = { ...BASE, io: io as 'parallel' | 'stream' };
        const d = tileGraph(g, o).get('fc')!;
        const f = foldShape(g, g.nodes[0]!, o.io)!;
        const cost = foldCost(f, d.strategy, d.reuse);
        expect(cost.unrolled).toBeLessThanOrEqual(4096);
        expect(cost.partitioned).toBeLessThanOrEqual(4096);
        if (d.strategy === 'resource') {
          expect(isValidReuse(k, m, d.reuse)).toBe(true);
          // Lowest latency the limits allow: no smaller valid reuse fits.
          for (const r of validReuses(k, m).filter((r) => r < d.reuse)) expect(foldCost(f, 'resource', r).unrolled).toBeGreaterThan(4096);
        } else {
          expect(d.chosenBy).toBe('default');
        }
      }),
      { numRuns: 60, seed: 8 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 64 }), fc.constantFrom(1, 3, 5), (cin, cout, k) => {
        const g = convGraph(cin, cout, k, k + 2);
        const d = tileGraph(g, BASE).get('conv')!;
        const f = foldShape(g, g.nodes.find((n) => n.op === 'Conv')!, 'parallel')!;
        const cost = foldCost(f, d.strategy, d.reuse);
        expect(cost.unrolled).toBeLessThanOrEqual(4096);
        if (d.strategy === 'resource') expect(isValidReuse(f.nIn, f.nOut, d.reuse)).toBe(true);
      }),
      { numRuns: 40, seed: 9 },
    );
  });
});

describe('tiling pass on recurrent layers (LSTM/GRU/RNN)', () => {
  const lstm = (I: number, H: number, dir?: 'bidirectional') =>
    importOnnx(recurrentModel({ kind: 'LSTM', T: 3, I, H, seed: 1, outputs: 'Y', ...(dir ? { dir } : {}) }), 'lstm.onnx');
  it('folds one time step: n_xh = I + H terms per row, gate blocks of H rows, directions held apart', () => {
    const g = lstm(10, 118, 'bidirectional');
    const f = foldShape(g, g.nodes[0]!, 'parallel')!;
    expect(f).toMatchObject({ nIn: 128, nOut: 118, blocks: 4, sets: 2, resource: true });
    expect(foldCost(f, 'latency', 1)).toEqual({ unrolled: 60416, partitioned: 120832 });
    expect(foldCost(f, 'resource', 16)).toEqual({ unrolled: 3776, partitioned: 472 });
  });
  it('must not fire on a recurrent layer inside the limits', () => {
    const d = tileGraph(lstm(3, 4), BASE).get('lstm_layer')!;
    expect(d).toMatchObject({ strategy: 'latency', reuse: 1, chosenBy: 'default', notes: [] });
  });
  it("fires on Basic_LSTM_S's size (I 10, H 118): the smallest valid reuse that fits, resource", () => {
    const d = tileGraph(lstm(10, 118), BASE).get('lstm_layer')!;
    // 60,416 products per step: reuse 16 leaves 3,776 (reuse 8 would leave 7,552 > 4,096).
    expect(d).toMatchObject({ strategy: 'resource', reuse: 16, chosenBy: 'tiling' });
    expect(d.notes.join()).toMatch(/60416 multiplications.*resource, reuse 16 \(3776 multipliers\)/);
  });
  it('turns a latency reuse > 1 into the resource schedule and corrects an invalid reuse (n_xh 7, H 4)', () => {
    const d = tileGraph(lstm(3, 4), { ...BASE, layers: { lstm_layer: { reuse: 3 } } }).get('lstm_layer')!;
    expect(d.strategy).toBe('resource');
    expect(d.reuse).toBe(closestValidReuse(7, 4, 3));
    expect(d.reuse).toBe(1);
    expect(d.notes.join('\n')).toMatch(/resource schedule[\s\S]*closest valid reuse 1/);
    const e = tileGraph(lstm(3, 4), { ...BASE, layers: { lstm_layer: { strategy: 'resource', reuse: 14 } } }).get('lstm_layer')!;
    expect(e).toMatchObject({ strategy: 'resource', reuse: 14, notes: [] });
  });
});
