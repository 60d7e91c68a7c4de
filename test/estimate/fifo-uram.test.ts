/**
 * Deep io_stream FIFOs in UltraRAM: on a part with URAM (EmitOptions.uram, set from --part by
 * compileProject and the estimator) the plan binds a FIFO of at least 4096 packs and 8 RAMB18s'
 * bits to URAM (EdgePlan.storage), the top function renders Vitis HLS's BIND_STORAGE type=fifo
 * impl=uram for it (Vivado HLS keeps BRAM), and the estimator counts URAM for it under a Vitis
 * tool profile, BRAM under a Vivado one. Two parallel branches of a 64x128x8 tensor joined by an
 * Add: neither branch starts from the other, so both clone FIFOs hold the whole tensor, 8192
 * packs of 128 bits. (The U-Net's skip FIFOs, once such FIFOs, are now sized by the lag of the
 * branch beside them: see test/backend/unet-stream.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { DEFAULTS, emitProject, planProject } from '../../src/backend-hls/index.js';
import { URAM_FIFO_BITS } from '../../src/backend-hls/plan.js';
import { estimateGraph } from '../../src/estimate/index.js';
import { parseGraph } from '../../src/ir/parse.js';
import { defaultConfig } from '../../src/ir/precision-config.js';
import { prepareFixed } from '../../src/passes/pipeline.js';
import { simulateFixed } from '../../src/sim/fixed/simulate.js';

const IR = `
graph "deep" batched source "deep.ir"
input "x" %x [null, 64, 128, 8] float32
output "y" %y [null, 64, 128, 8] float32
%x : float32[64,128,8]
%r : float32[64,128,8]
%a : float32[64,128,8]
%b : float32[64,128,8]
%y : float32[64,128,8]
node relu0 = Relu(%x) -> (%r)
node sig1 = Sigmoid(%r) -> (%a)
node tanh2 = Tanh(%r) -> (%b)
node add3 = Add(%a, %b) -> (%y)
`;
const g = prepareFixed(parseGraph(IR, 'deep.ir'), defaultConfig()).graph;
const opts = (uram: boolean) => ({ ...DEFAULTS, io: 'stream' as const, layers: {}, runs: [], ...(uram ? { uram: true } : {}) });

describe('deep FIFOs in UltraRAM', () => {
  it('the plan binds the deep FIFOs of a part with URAM, the renderer and nn2hls.json say so', () => {
    const p = planProject(g, opts(true));
    const deep = p.edges.filter((e) => e.storage === 'uram');
    // relu0's two clone FIFOs: 8192 packs of 8 x 16 bits each.
    expect(deep.map((e) => [e.value, e.depth, e.pack, e.bits])).toEqual([['r', 8192, 8, 16], ['r', 8192, 8, 16]]);
    for (const e of p.edges.filter((x) => x.kind === 'stream')) {
      expect(e.storage === 'uram', e.cpp).toBe(e.depth >= 4096 && e.depth * e.pack * e.bits >= URAM_FIFO_BITS);
    }
    const files = emitProject(g, { ...opts(true), simulate: simulateFixed }, p);
    const top = [...files].find(([f]) => f.endsWith('myproject.cpp'))![1];
    for (const e of deep) expect(top).toContain(`NN2HLS_PRAGMA(HLS BIND_STORAGE variable=${e.cpp} type=fifo impl=uram)`);
    expect(JSON.parse(files.get('nn2hls.json')!).options.uram).toBe(true);
    // Without URAM (the option unset) nothing is bound: the same depths, no storage.
    const plain = planProject(g, opts(false));
    expect(plain.edges.some((e) => e.storage)).toBe(false);
    expect(plain.edges.map((e) => e.depth)).toEqual(p.edges.map((e) => e.depth));
  });

  it('the estimate counts them in URAM under Vitis HLS, in BRAM under Vivado HLS, and not on a part without URAM', () => {
    const at = (part: string, tool: string) => estimateGraph(g, { io: 'stream', strategy: 'latency', reuse: 1 }, { part, clockNs: 5, tool }).total;
    const vitis = at('xczu7ev', 'vitis-2023.2');
    const vivado = at('xczu7ev', 'vivado-2019.2');
    expect(vitis.uram).toBeGreaterThan(0);
    expect(vivado.uram).toBe(0);
    expect(vitis.bram18k).toBeLessThan(vivado.bram18k);
    // xc7z020 has no URAM: the plan binds nothing there.
    expect(at('xc7z020', 'vitis-2023.2').uram).toBe(0);
  });
});
