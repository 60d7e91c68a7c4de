/**
 * Storage of lookup tables and index maps (LayerPlan.weights[] kind table/index): the plan
 * classifies every table and index map, stores it by the weights' rule (weightStorage) when it
 * is read at run-time addresses, folds index maps read at the constants of unrolled code, gives
 * each memory as many ports as reads per cycle; the top function binds exactly those memories
 * (rom_1p/rom_2p/rom_np, ROM_1P/2P/nP), never an array a kernel partitions or reshapes; the
 * estimator reads the same storage and ports.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULTS, planProject } from '../../src/backend-hls/index.js';
import type { WeightPlan } from '../../src/backend-hls/layer-plan.js';
import { lookupStorage, weightStorage } from '../../src/backend-hls/plan.js';
import { topSource } from '../../src/backend-hls/top.js';
import { defaultRuns } from '../../src/cli/compile.js';
import { planView } from '../../src/estimate/plan-view.js';
import { numel } from '../../src/ir/graph.js';
import { defaultConfig, parseConfig } from '../../src/ir/precision-config.js';
import { parseGraph } from '../../src/ir/parse.js';
import { prepareFixed } from '../../src/passes/pipeline.js';
import { backendCase, CASE_NAMES, caseGraph, caseHlsOptions } from './cases.js';

const VARIANTS = CASE_NAMES.flatMap((name) => backendCase(name).io.map((io) => [name, io] as const));

function casePlan(name: string, io: 'parallel' | 'stream') {
  const c = backendCase(name);
  const g = prepareFixed(c.graph, c.config).graph;
  return planProject(g, { ...DEFAULTS, io, ...caseHlsOptions(c), runs: defaultRuns(g, 1) });
}

/** The ROM bindings of a top function, per tool: `id type impl` (Vivado cores mapped to the same words). */
function bindings(src: string): { vitis: string[]; vivado: string[] } {
  const vitis = [...src.matchAll(/HLS BIND_STORAGE variable=(\w+) type=(rom_1p|rom_2p|rom_np) impl=(bram|lutram)\)/g)].map((m) => `${m[1]} ${m[2]} ${m[3]}`);
  const vivado = [...src.matchAll(/HLS RESOURCE variable=(\w+) core=ROM_(1P|2P|nP)_(BRAM|LUTRAM)\)/g)].map((m) => `${m[1]} rom_${m[2]!.toLowerCase()} ${m[3]!.toLowerCase()}`);
  return { vitis: vitis.sort(), vivado: vivado.sort() };
}

const romType = (w: WeightPlan) => (w.ports === 1 ? 'rom_1p' : w.ports === 2 ? 'rom_2p' : 'rom_np');

describe('table and index-map storage', () => {
  for (const [name, io] of VARIANTS) {
    it(`${name} (io ${io}): every table and index map stored by the weights' rule and bound as planned`, () => {
      const p = casePlan(name, io);
      const src = topSource(p);
      const expected: string[] = [];
      p.layers.forEach((l, i) => {
        const lp = p.plans[i]!;
        for (const c of l.consts) {
          const w = lp.weights.find((x) => x.id === c.id)!;
          // Classification: index-encoded arrays are index maps, the *_table arrays tables.
          if (c.storage.encoding === 'index') expect(w.kind, c.id).toBe('index');
          else if (/_table(_\d+)?$/.test(c.id)) expect(w.kind, c.id).toBe('table');
          else expect(w.kind, c.id).toBe('data');
          if (w.kind === 'data') continue;
          // Read one element at a time: never reshaped into words or partitioned by a kernel.
          expect(w.wordElements).toBe(1);
          expect(lp.partitioned.some((x) => x.what.includes(c.id))).toBe(false);
          expect(src).not.toMatch(new RegExp(`ARRAY_(PARTITION|RESHAPE) variable=${c.id}\\b`));
          if (w.ports === 0) {
            // Read only at constants of unrolled code: folded, no memory.
            expect([w.kind, w.storage, w.rom]).toEqual(['index', 'registers', null]);
          } else {
            expect(w.storage).toBe(lookupStorage(w.elements, w.bits, w.ports));
            expect(w.rom).toBe(w.storage === 'bram' || w.storage === 'lutram' ? w.storage : null);
          }
        }
        for (const w of lp.weights) if (w.rom) expected.push(`${w.id} ${romType(w)} ${w.rom}`);
      });
      const b = bindings(src);
      expect(b.vitis).toEqual([...new Set(expected)].sort());
      expect(b.vivado).toEqual(b.vitis);
      // The estimator's tables are the plan's run-time lookups, with the plan's storage and ports.
      const view = planView(p.g, { ...DEFAULTS, io, ...caseHlsOptions(backendCase(name)), runs: [] });
      view.layers.forEach((lv, i) => {
        const want = p.plans[i]!.weights.filter((w) => w.kind !== 'data' && w.ports > 0).map((w) => ({ entries: w.elements, width: w.bits, reads: w.ports, storage: w.storage }));
        expect(new Set(lv.tables.map((t) => JSON.stringify(t)))).toEqual(new Set(want.map((t) => JSON.stringify(t))));
      });
    });
  }

  it('stores a lookup by the weights\' rule on the LUTRAM copies its reads need', () => {
    // One read: exactly the weights' rule.
    for (const [e, b] of [[2, 16], [513, 18], [1024, 16], [1024, 18], [40, 32], [4096, 18]] as const) expect(lookupStorage(e, b, 1)).toBe(weightStorage(e, b, 1));
    // 513x18 (9 Kb): LUTRAM for one or two reads (18.5 Kb of copies is a BRAM's worth at two).
    expect([1, 2, 5].map((r) => lookupStorage(513, 18, r))).toEqual(['lutram', 'bram', 'bram']);
    // Shallow (under 64 words) stays LUTRAM however often it is read; up to 64 bits registers.
    expect(lookupStorage(40, 32, 100)).toBe('lutram');
    expect(lookupStorage(4, 16, 100)).toBe('registers');
  });

  it('a table read by every element of an unrolled layer is multi-port; reuse spreads its reads over the II', () => {
    const g = prepareFixed(caseGraph('activations'), defaultConfig()).graph;
    const sig = g.nodes.find((n) => n.op === 'Sigmoid')!;
    const n = numel(g.values.get(sig.outputs[0]!)!.shape);
    const table = (reuse: number, io: 'parallel' | 'stream') => {
      const p = planProject(g, { ...DEFAULTS, io, reuse, layers: {}, runs: defaultRuns(g, 1) });
      const i = p.layers.findIndex((l) => l.node === sig);
      return { w: p.plans[i]!.weights.find((w) => w.kind === 'table')!, p, pack: p.plans[i]!.outPack };
    };
    expect(n).toBeGreaterThan(2);
    // 1024x16 (16 Kb): read n times a cycle, its LUTRAM copies would exceed a BRAM's worth.
    const a = table(1, 'parallel');
    expect([a.w.elements, a.w.bits, a.w.ports, a.w.storage, a.w.rom]).toEqual([1024, 16, n, 'bram', 'bram']);
    expect(topSource(a.p)).toContain(`HLS BIND_STORAGE variable=${a.w.id} type=rom_np impl=bram`);
    expect(topSource(a.p)).toContain(`HLS RESOURCE variable=${a.w.id} core=ROM_nP_BRAM`);
    // Reuse n: one lookup per cycle, a single-port ROM in LUTRAM (the weights' rule).
    const b = table(n, 'parallel');
    expect([b.w.ports, b.w.storage]).toEqual([1, 'lutram']);
    expect(topSource(b.p)).toContain(`HLS BIND_STORAGE variable=${b.w.id} type=rom_1p impl=lutram`);
    expect(topSource(b.p)).toContain(`HLS RESOURCE variable=${b.w.id} core=ROM_1P_LUTRAM`);
    // io stream: one pack per cycle.
    const s = table(1, 'stream');
    expect(s.w.ports).toBe(s.pack);
  });

  it('an 18 Kb table is BRAM (the weights\' threshold), one under it LUTRAM', () => {
    const g18 = prepareFixed(caseGraph('activations'), parseConfig({ model: { default: 'ap_fixed<16,6>', table: 'ap_fixed<18,8>' } }, 'test')).graph;
    const p = planProject(g18, { ...DEFAULTS, layers: {}, runs: defaultRuns(g18, 1) });
    const tables = p.plans.flatMap((l) => l.weights.filter((w) => w.kind === 'table'));
    expect(tables.length).toBeGreaterThan(0);
    for (const w of tables) {
      expect(w.elements * w.bits >= 18432).toBe(w.storage === 'bram');
      if (w.elements === 1024) expect([w.bits, w.storage, w.rom]).toEqual([18, 'bram', 'bram']);
    }
    expect(tables.some((w) => w.rom === 'bram')).toBe(true);
    expect(topSource(p)).toMatch(/HLS RESOURCE variable=\w+ core=ROM_nP_BRAM/);
  });

  it('an index map read at run-time addresses (kept pixels, one per cycle) is a single-port ROM; one read by unrolled code is folded', () => {
    const text = [
      'graph "keep" batched source "keep.ir"',
      'input "x" %x [null, 8, 4] float32',
      'output "y" %y [null, 6, 4] float32',
      '%x : float32[8,4]',
      '%y : float32[6,4]',
      'node sl = Slice(%x) -> (%y) {starts: [1, 0], steps: [1, 1], shape: [6, 4]}',
    ].join('\n');
    const g = prepareFixed(parseGraph(text, 'keep.ir'), defaultConfig()).graph;
    const keepOf = (p: ReturnType<typeof planProject>) => p.plans[0]!.weights.find((w) => w.kind === 'index')!;
    // io stream: select_stream reads keep[k] once per input pack. io parallel beyond the
    // partition limit: gather_pixels reads keep[q] once per output pixel.
    for (const opts of [{ io: 'stream' as const }, { io: 'parallel' as const, partitionLimit: 16 }]) {
      const p = planProject(g, { ...DEFAULTS, ...opts, layers: {}, runs: defaultRuns(g, 1) });
      const w = keepOf(p);
      expect([w.elements, w.ports, w.storage, w.rom], opts.io).toEqual([6, 1, 'lutram', 'lutram']);
      expect(topSource(p)).toContain(`HLS BIND_STORAGE variable=${w.id} type=rom_1p impl=lutram`);
      expect(topSource(p)).toContain(`HLS RESOURCE variable=${w.id} core=ROM_1P_LUTRAM`);
    }
    // Within the limit, gather reads its element map at the constants of its unrolled loop.
    const p = planProject(g, { ...DEFAULTS, layers: {}, runs: defaultRuns(g, 1) });
    expect(p.plans[0]!.kernel).toBe('nn2hls::gather');
    const w = keepOf(p);
    expect([w.elements, w.ports, w.storage, w.rom]).toEqual([24, 0, 'registers', null]);
    expect(topSource(p)).not.toContain('BIND_STORAGE');
  });
});
