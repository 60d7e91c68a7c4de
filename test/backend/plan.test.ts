/**
 * The LayerPlan (src/backend-hls/plan.ts, layer-plan.ts): rendering is pure (the same plan
 * printed twice gives the same bytes, and planning does not depend on earlier renders), the
 * resource schedule's numbers are the ones the kernel uses, the io_stream decisions (native
 * kernels, order-preserving Flatten packs, host-side relayout of channels-first inputs) show
 * in the plan, and `--dump-plan`'s table and nn2hls.json carry it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, emitProject, type EmitOptions, planTable } from '../../src/backend-hls/index.js';
import { planProject } from '../../src/backend-hls/project.js';
import { SKIP_SLACK } from '../../src/backend-hls/plan.js';
import { movementIndexMap } from '../../src/ir/semantics/index-maps.js';
import { topSource } from '../../src/backend-hls/top.js';
import { upsampleOf } from '../../src/backend-hls/lower-misc.js';
import { defaultRuns } from '../../src/cli/compile.js';
import { loadModel } from '../../src/frontend/index.js';
import { defaultConfig } from '../../src/ir/precision-config.js';
import { prepareFixed } from '../../src/passes/pipeline.js';
import { backendCase, caseGraph, caseHlsOptions } from './cases.js';
import { simulateFixed } from '../../src/sim/fixed/simulate.js';

function setup(name: string, over: Partial<EmitOptions> = {}) {
  const g = prepareFixed(caseGraph(name), defaultConfig()).graph;
  const opts = { ...DEFAULTS, layers: {}, runs: defaultRuns(g, 2), simulate: simulateFixed, ...over };
  return { g, opts, plan: planProject(g, opts) };
}

describe('LayerPlan', () => {
  it('renders byte-identically twice from one plan, and equals a fresh plan', () => {
    const { g, opts, plan } = setup('add_concat', { io: 'stream' });
    const a = topSource(plan);
    expect(topSource(plan)).toBe(a);
    expect([...emitProject(g, opts, plan)]).toEqual([...emitProject(g, opts, plan)]);
    expect([...emitProject(g, opts)]).toEqual([...emitProject(g, opts, plan)]);
    // The clone names come from the plan, not from printing.
    expect(a).toContain('x_cp0("x_cp0")');
    expect(a).not.toContain('x_cp0_2');
  });

  it('records the resource schedule the kernel runs', () => {
    const { plan } = setup('dense', { strategy: 'resource', reuse: 3 });
    const fc = plan.plans.find((l) => l.op === 'Dense')!;
    // 8x4 products, reuse 3 is invalid: the closest valid one is 4 (2 inputs x 4 outputs per step).
    expect(fc).toMatchObject({ strategy: 'resource', reuse: 4, reuseRequested: 3, block: 8, multipliers: 8, tripCount: 4, stepII: 1, ii: 4, macs: 32 });
    expect(fc.notes.join()).toMatch(/closest valid reuse 4/);
    expect(fc.weights[0]).toMatchObject({ elements: 32, words: 4, wordElements: 8, storage: 'lutram' });
    const latency = setup('dense').plan.plans.find((l) => l.op === 'Dense')!;
    expect(latency).toMatchObject({ strategy: 'latency', reuse: 1, multipliers: 32, unrolled: 32, block: 0, chosenBy: 'default' });
    expect(latency.weights[0]!.storage).toBe('registers');
    expect(plan.pipelineTop).toBe(false);
    expect(setup('dense').plan.pipelineTop).toBe(true);
  });

  it('states which layers have a constant-weight multiplier per product, and which bind their multipliers', () => {
    const dense = (over: Partial<EmitOptions>) => setup('dense', over).plan.plans.find((l) => l.op === 'Dense')!;
    expect(dense({})).toMatchObject({ reuse: 1, constOperands: true });
    expect(dense({ reuse: 2 })).toMatchObject({ strategy: 'latency', reuse: 2, constOperands: false });
    expect(dense({ strategy: 'resource', reuse: 4 })).toMatchObject({ strategy: 'resource', constOperands: false });
    // io stream: the Dense after the Flatten gathers its 12 inputs over several packs (step II
    // above 1) and still has a multiplier per product of its row.
    const stream = setup('conv2d', { io: 'stream' }).plan;
    const fc = stream.plans.find((l) => l.op === 'Dense')!;
    expect(fc.stepII).toBeGreaterThan(1);
    expect(fc).toMatchObject({ reuse: 1, macs: 12 * 5, multipliers: 12 * 5, constOperands: true });
    expect(stream.plans.find((l) => l.op === 'Conv')).toMatchObject({ stepII: 1, constOperands: true });
    // A line buffer split into banks (beyond the partition limit) reads the 3x3 window over 5
    // cycles: shared (the latency strategy kept as the user set it beyond the limit).
    const banked = setup('conv2d', { io: 'stream', partitionLimit: 29, explicit: { strategy: true } }).plan.plans.find((l) => l.op === 'Conv')!;
    expect(banked).toMatchObject({ strategy: 'latency', reuse: 1, stepII: 5, constOperands: false });
    expect(setup('conv2d', { reuse: 2 }).plan.plans.find((l) => l.op === 'Conv')).toMatchObject({ strategy: 'latency', reuse: 2, constOperands: false });
    // Pools, relayouts and products of two run-time values have no constant operand.
    for (const l of stream.plans.filter((x) => x.op !== 'Dense' && x.op !== 'Conv')) expect(l.constOperands, l.name).toBe(false);
    const att = setup('attention', caseHlsOptions(backendCase('attention'))).plan;
    for (const l of att.plans) expect(l.constOperands, l.name).toBe(false);
    // Recurrent: the latency schedule has every product of a time step on its own multiplier; the folded one shares.
    expect(setup('lstm').plan.plans.find((l) => l.op === 'LSTM')).toMatchObject({ strategy: 'latency', constOperands: true });
    const c = backendCase('lstm_fold');
    const folded = planProject(prepareFixed(c.graph, c.config).graph, { ...DEFAULTS, ...caseHlsOptions(c), runs: [] });
    expect(folded.plans.find((l) => l.op === 'LSTM')).toMatchObject({ strategy: 'resource', constOperands: false });
    // Multiplier binding: the model-wide "dsp" and gemm0's own "fabric" reach the Dense kernels;
    // the Relu renders no binding, so its plan says 'auto'.
    const m = setup('multiplier', caseHlsOptions(backendCase('multiplier')));
    expect(m.plan.plans.map((l) => [l.name, l.multiplier])).toEqual([['gemm0', 'fabric'], ['relu1', 'auto'], ['gemm2', 'dsp']]);
    const json = JSON.parse(emitProject(m.g, m.opts, m.plan).get('nn2hls.json')!);
    expect(json.layers.map((l: { plan: { const_operands: boolean; multiplier_binding?: string } }) => [l.plan.const_operands, l.plan.multiplier_binding])).toEqual([[true, 'fabric'], [false, undefined], [true, 'dsp']]);
  });

  it('plans io stream natively: line buffer, per-pixel Dense over an order-preserving Flatten, host relayout', () => {
    const { plan } = setup('conv2d', { io: 'stream' });
    // The NCHW input's relayout Transpose is done by the host: no layer for it.
    // Of the two Transposes (input relayout, Flatten relayout) only the Flatten's stays.
    expect(plan.plans.filter((l) => l.op === 'Transpose')).toHaveLength(1);
    expect(plan.plans[0]!.op).toBe('Conv');
    expect(plan.inputs[0]!.hostMap).not.toBeNull();
    expect(plan.inputs[0]!.shape).toEqual([5, 5, 2]);
    const conv = plan.plans.find((l) => l.op === 'Conv')!;
    expect(conv.stream).toBe('native');
    expect(conv.lineBuffer).toEqual({ rows: 3, width: 5, channels: 2, elements: 30, partitioned: true });
    expect(conv.outDepth).toBe(5);
    const dense = plan.plans.find((l) => l.op === 'Dense')!;
    expect(dense).toMatchObject({ stream: 'native', kernel: 'nn2hls::dense_stream', bufferedElements: 12 });
    // Flatten keeps its producer's pack width, so the Dense gathers 12/pack packs.
    const flat = plan.plans.find((l) => l.op === 'Reshape')!;
    expect(flat.outPack).toBeLessThan(12);
    const edge = plan.edges.find((e) => e.to === dense.index)!;
    expect(edge).toMatchObject({ kind: 'stream', elements: 12, pack: flat.outPack });
  });

  it('streams a nearest upsampling by integer factors with one input row; other Resizes stay buffered', () => {
    const { plan } = setup('resize_upsample', { io: 'stream' });
    const [up, widen] = plan.plans;
    // [2,3,4] -> [6,6,4]: rows x3, columns x2; 36 output pixels, one pack per cycle.
    expect(up).toMatchObject({ name: 'up', stream: 'native', kernel: 'nn2hls::upsample_stream', bufferedElements: 0, tripCount: 36, ii: 36, unrolled: 4, weights: [] });
    expect(up!.lineBuffer).toEqual({ rows: 1, width: 3, channels: 4, elements: 12, partitioned: false });
    expect(up!.partitioned).toEqual([]);
    // 6 -> 9 columns is not a replication by an integer factor: the whole 6x9x4 output is held.
    expect(widen).toMatchObject({ name: 'widen', stream: 'buffered', kernel: 'nn2hls::gather', bufferedElements: 216, lineBuffer: null });
    // io parallel keeps the gather with its index map.
    const par = setup('resize_upsample', { io: 'parallel' }).plan.plans[0]!;
    expect(par).toMatchObject({ kernel: 'nn2hls::gather', stream: null, bufferedElements: 0 });
    expect(par.weights.map((w) => w.elements)).toEqual([144, 1]);
  });

  it('streams LayerNorm a row at a time (one row held), in io stream only', () => {
    const { plan } = setup('layernorm', { io: 'stream' });
    const [ln1, gelu, ln2] = plan.plans;
    // ln1 normalizes [3,6] over its last axis: 3 rows of one 6-wide pack each.
    expect(ln1).toMatchObject({ stream: 'native', kernel: 'nn2hls::layernorm_stream', bufferedElements: 6, heldInput: null, tripCount: 3, stepII: 1, ii: 3, outDepth: 2 });
    expect(gelu).toMatchObject({ stream: 'native', kernel: 'nn2hls::unary_stream', bufferedElements: 0 });
    // ln2 normalizes over the last two axes: one row of 18 elements, 3 packs in and 3 out per step.
    expect(ln2).toMatchObject({ stream: 'native', kernel: 'nn2hls::layernorm_stream', bufferedElements: 18, tripCount: 1, stepII: 3, ii: 3, outDepth: 3 });
    expect(ln2!.partitioned).toEqual([{ what: 'row buffer of ln2', elements: 18 }]);
    expect(plan.plans.every((l) => l.stream === 'native')).toBe(true);
    expect(topSource(plan)).not.toContain('stream_to_array');
    const par = setup('layernorm', { io: 'parallel' }).plan.plans[0]!;
    expect(par).toMatchObject({ kernel: 'nn2hls::layernorm', stream: null, bufferedElements: 0, tripCount: 3 });
  });

  it('streams MatMul row by row against its right operand (held whole, or a ROM); a constant left operand stays buffered', () => {
    const hls = caseHlsOptions(backendCase('attention'));
    const { g, opts, plan } = setup('attention', { io: 'stream', ...hls });
    const by = (n: string) => plan.plans.find((l) => l.name === n)!;
    // scores = x·xt: x [2,4,3] streams 8 rows of one 3-wide pack; xt [2,3,4] (24 elements, 6
    // packs of 4) is read whole by its own process (ping-pong): the II is the larger of its 6
    // packs and the 8 rows of one step each.
    expect(by('scores')).toMatchObject({
      stream: 'native', kernel: 'nn2hls::matmul_stream', bufferedElements: 24, tripCount: 8, stepII: 1, ii: 8, outDepth: 2,
      heldInput: { input: 1, elements: 24, packs: 6 },
    });
    expect(by('scores').heldInput!.value).toBe(plan.layers[by('scores').index]!.dyn[1]);
    expect(by('scores').partitioned).toEqual([{ what: 'buffer of input 1 of scores', elements: 24 }]);
    // context at reuse 2: a row of 3 outputs in 2 steps, so one row per 2 cycles; x held (24 elements, 8 packs of 3).
    expect(by('context')).toMatchObject({ stream: 'native', kernel: 'nn2hls::matmul_stream', tripCount: 8, stepII: 2, ii: 16, heldInput: { input: 1, elements: 24, packs: 8 } });
    // The scores' Softmax over the last axis streams a row of 4 at a time too.
    expect(by('softmax0')).toMatchObject({ stream: 'native', kernel: 'nn2hls::softmax_stream', bufferedElements: 4, tripCount: 8, ii: 8 });
    // w·context: the constant left operand would be re-read per head, so it is buffered.
    expect(by('mix')).toMatchObject({ stream: 'buffered', kernel: 'nn2hls::matmul', bufferedElements: 24, heldInput: null });
    // mixed·v with v a ROM: nothing held but a row of 3.
    expect(by('proj')).toMatchObject({ stream: 'native', kernel: 'nn2hls::matmul_stream_rom', bufferedElements: 3, heldInput: null, tripCount: 8, ii: 8 });
    const json = JSON.parse(emitProject(g, opts, plan).get('nn2hls.json')!);
    const scores = json.layers.find((l: { name: string }) => l.name === 'scores');
    expect(scores.plan.held_input).toMatchObject({ input: 1, elements: 24, packs: 6 });
    expect(planTable(plan)).toMatch(/scores\s+MatMul\s+matmul_stream\s.*24 \(input 1\)/);
    // io parallel: the array kernel everywhere.
    expect(setup('attention', { io: 'parallel', ...hls }).plan.plans.filter((l) => l.op === 'MatMul').map((l) => [l.kernel, l.heldInput])).toEqual(
      Array.from({ length: 4 }, () => ['nn2hls::matmul', null]),
    );
  });

  it('streams a Slice of the last dim within each pack; a reversed one stays buffered', () => {
    const { plan } = setup('slice_pack', { io: 'stream' });
    const by = (n: string) => plan.plans.find((l) => l.name === n)!;
    // [4,6] -> [4,3]: 4 packs of 6 read, elements 2..4 of each written.
    expect(by('cols')).toMatchObject({ stream: 'native', kernel: 'nn2hls::slice_stream', bufferedElements: 0, ii: 4, unrolled: 6 });
    expect(by('corner')).toMatchObject({ stream: 'native', kernel: 'nn2hls::slice_stream', bufferedElements: 0 });
    expect(by('rev')).toMatchObject({ stream: 'buffered', kernel: 'nn2hls::gather', bufferedElements: 24 });
    const top = topSource(plan);
    // <TI, TO, PI, PO, OFF, NI, NK>
    expect(top).toContain('ap_fixed<16,6>, 6, 3, 2, 4, 4>(x_cp0, y, cols_keep);');
    expect(top).toContain('ap_fixed<16,6>, 6, 2, 0, 4, 2>(x_cp1, z, corner_keep);');
  });

  it('streams a binary op with a constant operand per pixel, on either side', () => {
    const { plan } = setup('binary', { io: 'stream' });
    const by = (n: string) => plan.plans.find((l) => l.name === n)!;
    expect(by('sub')).toMatchObject({ stream: 'native', kernel: 'nn2hls::binary_stream_kb', bufferedElements: 0, ii: 2, unrolled: 4 });
    expect(by('rsub')).toMatchObject({ stream: 'native', kernel: 'nn2hls::binary_stream_ka', bufferedElements: 0, ii: 2 });
    expect(plan.plans.every((l) => l.stream === 'native')).toBe(true);
    expect(setup('binary', { io: 'parallel' }).plan.plans.map((l) => l.kernel)).toEqual(Array.from({ length: 5 }, () => 'nn2hls::binary'));
  });

  it('clone FIFOs: whole tensors, but short where a branch reconverges into lockstep readers: its own the producer\'s depth, the skips its lag', () => {
    const cloned = (name: string) => {
      const { plan } = setup(name, { io: 'stream' });
      const byValue = new Map<string, typeof plan.edges[number][]>();
      for (const e of plan.edges) if (e.to >= 0) byValue.set(e.value, [...(byValue.get(e.value) ?? []), e]);
      return { plan, multi: [...byValue.values()].filter((es) => es.length > 1) };
    };
    // pool_residual: relu2's output [6,6,4] (36 packs) feeds the residual branch (conv3, 3x3,
    // pad 1) and two lockstep readers, the Add (binary_stream) and the Concat (of the Add and
    // relu2): the branch's FIFO keeps relu2's depth. The Add at pixel k of row r waits for
    // conv3's row r, written once relu2's row r+1 is read whole: (r+2)·6 packs, at most 12 more
    // than the k it has read itself; the Concat waits on the Add, so the same. Each skip FIFO
    // holds 12 + SKIP_SLACK packs, and so does the rest FIFO between the two clones.
    const r = cloned('pool_residual');
    expect(r.multi).toHaveLength(1);
    const es = r.multi[0]!;
    const whole = es[0]!.elements / es[0]!.pack;
    expect(whole).toBe(36);
    const to = (op: string) => es.find((e) => r.plan.plans[e.to]!.op === op)!;
    expect(to('Conv').depth).toBe(Math.max(2, Math.min(whole, r.plan.plans[to('Conv').from]!.outDepth)));
    expect(to('Conv').depth).toBeLessThan(whole);
    expect([to('Add').depth, to('Concat').depth]).toEqual([12 + SKIP_SLACK, 12 + SKIP_SLACK]);
    expect(topSource(r.plan)).toMatch(/HLS STREAM variable=relu2_out_rest0 depth=16\)/);
    // attention: x is read by MatMuls (not lockstep readers): every clone FIFO holds the whole tensor.
    const a = cloned('attention');
    for (const es of a.multi) for (const e of es) expect(e.depth, e.cpp).toBe(Math.max(2, e.elements / e.pack));
  });

  it('folds a Transpose that feeds a streamed MatMul\'s held right operand into the operand\'s load', () => {
    const file = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/attention/transformer_digits.onnx');
    const g = prepareFixed(loadModel(file), defaultConfig()).graph;
    const plan = planProject(g, { ...DEFAULTS, io: 'stream', layers: {}, runs: [] });
    const mms = plan.plans.filter((l) => l.op === 'MatMul');
    // scores = Q·K (K's head split [16,2,16] -> [2,16,16]) and context = P·V (V's likewise):
    // both read K and V straight from the head-split Reshapes, which nothing else reads.
    expect(mms.map((l) => [l.kernel, l.heldInput?.elements, l.heldInput?.packs])).toEqual([
      ['nn2hls::matmul_stream_load', 512, 32],
      ['nn2hls::matmul_stream_load', 512, 32],
    ]);
    for (const l of mms) {
      const t = g.nodes.find((n) => n.name === l.name)!;
      const folded = g.nodes.find((n) => n.op === 'Transpose' && n.outputs[0] === t.inputs[1])!;
      expect(folded, l.name).toBeDefined();
      expect(plan.plans.some((x) => x.name === folded.name), folded.name).toBe(false);
      expect(l.heldInput!.value).toBe(folded.inputs[0]);
      expect(l.weights.find((w) => w.id.endsWith('_b_load'))).toMatchObject({ kind: 'index', elements: 32, ports: 1 });
      // The load puts lane j of arriving pack q at base[q] + j·stride: exactly where the Transpose's
      // element map (output i = input map[i]) puts input element 16q + j.
      const layer = plan.layers[l.index]!;
      const base = layer.consts.find((c) => c.id.endsWith('_b_load'))!.items.map(Number);
      const stride = Number(/b_stride = (\d+)/.exec(layer.cfgText)![1]);
      const map = movementIndexMap(g, folded);
      for (let q = 0; q < 32; q++) for (let j = 0; j < 16; j++) expect(map[base[q]! + j * stride]).toBe(16 * q + j);
    }
    // The head split of Q and the heads' merge still reorder the stream (buffered).
    expect(plan.plans.filter((l) => l.op === 'Transpose').map((l) => l.stream)).toEqual(['buffered', 'buffered']);
    // io parallel: nothing to fold.
    expect(planProject(g, { ...DEFAULTS, io: 'parallel', layers: {}, runs: [] }).plans.filter((l) => l.op === 'Transpose')).toHaveLength(4);
  });

  it('streams a reduction a pack at a time, holding only its outputs', () => {
    const { plan } = setup('reduce', { io: 'stream' });
    const by = (n: string) => plan.plans.find((l) => l.name === n)!;
    // [3,4,5] in 12 packs of 5; rsum keeps 4 sums: 12 input packs + 1 output pack. It reduces
    // the last axis, so a pack's 5 lanes all go to one sum: the pack is summed on its own, then
    // added to that one accumulator (one add of feedback per pack, II 1), reading one group
    // entry per pack instead of an element map.
    expect(by('rsum')).toMatchObject({ stream: 'native', kernel: 'nn2hls::reduce_stream_packs', bufferedElements: 4, tripCount: 13, stepII: 1, ii: 13 });
    expect(by('rsum').weights.find((w) => w.kind === 'index')).toMatchObject({ elements: 12, ports: 1 });
    expect(by('rmean')).toMatchObject({ stream: 'native', kernel: 'nn2hls::reduce_stream_packs', bufferedElements: 3 });
    // rmax keeps the last axis: lane j of every pack into its own accumulator j.
    expect(by('rmax')).toMatchObject({ stream: 'native', kernel: 'nn2hls::reduce_stream_lanes', bufferedElements: 5, stepII: 1, ii: 13 });
    const cfgOf = (n: string) => plan.layers[by(n).index]!.cfgText;
    expect(cfgOf('rmax')).toContain('static const unsigned step_ii = 1;');
  });

  it('recognizes an upsampling only from a map that replicates pixels exactly', () => {
    const id = (n: number) => Int32Array.from({ length: n }, (_, i) => i);
    // [1,2,1] -> [2,4,1]: each of the 2 pixels twice, each row twice.
    expect(upsampleOf(Int32Array.from([0, 0, 1, 1, 0, 0, 1, 1]), [1, 2, 1], [2, 4, 1])).toEqual({ imgs: 1, h: 1, w: 2, c: 1, fh: 2, fw: 2 });
    expect(upsampleOf(Int32Array.from([0, 0, 1, 1, 0, 1, 1, 1]), [1, 2, 1], [2, 4, 1])).toBeNull();
    // Leading dims are images; channels must stay in order.
    expect(upsampleOf(Int32Array.from([0, 1, 0, 1, 2, 3, 2, 3]), [2, 1, 1, 2], [2, 1, 2, 2])).toEqual({ imgs: 2, h: 1, w: 1, c: 2, fh: 1, fw: 2 });
    expect(upsampleOf(Int32Array.from([1, 0, 1, 0]), [1, 1, 2], [1, 2, 2])).toBeNull();
    expect(upsampleOf(id(6), [1, 3, 2], [1, 3, 2])).toEqual({ imgs: 1, h: 1, w: 3, c: 2, fh: 1, fw: 1 });
    expect(upsampleOf(id(6), [1, 2, 3], [1, 3, 2])).toBeNull();
  });

  it('walks a pooling window beyond the unroll limit one tap per step, in both io modes', () => {
    for (const io of ['parallel', 'stream'] as const) {
      const avg = setup('pool_large', { io }).plan.plans.find((l) => l.op === 'AvgPool')!;
      // 9x9 taps x 64 channels = 5184 > 4096: 64 per step, 4x4 pixels x 81 taps steps.
      expect(avg, io).toMatchObject({ unrolled: 64, tripCount: 16 * 81, stepII: 1 });
    }
    const small = setup('pool').plan.plans.find((l) => l.op === 'AvgPool')!;
    expect(small).toMatchObject({ unrolled: 3 * 3 * 2, tripCount: 9 });
  });

  it('prints a table with one row per layer', () => {
    const { plan } = setup('conv2d', { io: 'stream' });
    const t = planTable(plan).split('\n');
    expect(t[0]).toBe('top: DATAFLOW, io stream');
    expect(t[1]).toMatch(/^layer\s+op\s+kernel\s+strategy\s+reuse\s+II/);
    expect(t).toHaveLength(2 + plan.plans.length);
    expect(t.find((r) => r.includes('conv2d_stream'))).toMatch(/3x5x2/);
  });

  it('records the plan in nn2hls.json', () => {
    const { g, opts } = setup('dense', { strategy: 'resource', reuse: 2 });
    const j = JSON.parse(emitProject(g, opts).get('nn2hls.json')!) as { layers: { plan: { reuse: number; block: number; chosen_by: string } }[]; edges: unknown[] };
    expect(j.layers[0]!.plan).toMatchObject({ reuse: 2, block: 16, chosen_by: 'user' });
    expect(j.edges.length).toBeGreaterThan(0);
  });
});

describe('plans of the bundled CNN shapes', () => {
  const CNN = ['lenet', 'cifar', 'dwsep', 'pool_residual', 'conv2d', 'depthwise1d', 'pool'];
  for (const name of CNN) {
    for (const io of ['parallel', 'stream'] as const) {
      it(`${name} (io ${io}) compiles with no flags; in io stream no layer buffers more than 4096 elements`, () => {
        const { plan } = setup(name, { io });
        for (const l of plan.plans) {
          expect(l.unrolled, l.name).toBeLessThanOrEqual(4096);
          for (const p of l.partitioned) expect(p.elements, `${l.name} ${p.what}`).toBeLessThanOrEqual(4096);
          if (io === 'stream') {
            expect(l.bufferedElements, l.name).toBeLessThanOrEqual(4096);
            expect(l.stream).not.toBeNull();
          }
          // A resource schedule's reuse steps of `block` products cover every product of a row
          // (pixel); io stream's dense_stream also reads each row's packs in its own loop.
          const rows = l.op === 'Dense' && l.stream === 'native' ? Math.max(1, l.serialSteps) : l.tripCount / l.reuse;
          if (l.strategy === 'resource') expect(l.block * l.reuse * rows, l.name).toBe(l.macs);
        }
      });
    }
  }

  it('streams LeNet natively except the Flatten relayout (400 elements)', () => {
    const { plan } = setup('lenet', { io: 'stream' });
    const buffered = plan.plans.filter((l) => l.stream === 'buffered');
    expect(buffered.map((l) => [l.op, l.bufferedElements])).toEqual([['Transpose', 400]]);
    const dense = plan.plans.filter((l) => l.op === 'Dense');
    expect(dense.map((l) => [l.strategy, l.reuse, l.chosenBy])).toEqual([['resource', 16, 'tiling'], ['resource', 3, 'tiling'], ['latency', 1, 'default']]);
    const pool = plan.plans.find((l) => l.op === 'MaxPool')!;
    expect(pool).toMatchObject({ kernel: 'nn2hls::pool2d_stream', lineBuffer: { rows: 2, width: 28, channels: 6, elements: 336 } });
  });

  it('partitions io parallel arrays beyond the limit by channel, read a pixel per step', () => {
    const { plan } = setup('lenet', { io: 'parallel' });
    const conv = plan.plans.find((l) => l.op === 'Conv')!;
    expect(conv.outShape).toEqual([28, 28, 6]);
    expect(plan.top).toContainEqual(expect.objectContaining({ kind: 'array', size: 4704, cyclic: 6 }));
    const relu = plan.plans.find((l) => l.op === 'Relu')!;
    expect(relu).toMatchObject({ pixelWise: true, unrolled: 6, tripCount: 784 });
    expect(plan.plans.find((l) => l.op === 'MaxPool')).toMatchObject({ stepII: 2, ii: 392 });
  });
});

describe('plan golden tables', () => {
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'golden', 'plans');
  for (const name of ['lenet', 'cifar', 'dwsep', 'pool_residual', 'conv2d', 'add_concat']) {
    for (const io of ['parallel', 'stream'] as const) {
      it(`${name} (io ${io})`, () => {
        const text = `${planTable(setup(name, { io }).plan)}\n`;
        const file = join(dir, `${name}_${io}.txt`);
        if (process.env['UPDATE_GOLDEN'] === '1') {
          mkdirSync(dir, { recursive: true });
          writeFileSync(file, text);
        }
        expect(text).toBe(readFileSync(file, 'utf8'));
      });
    }
  }
});

describe('plan golden tables of folded recurrent layers (the case config: precision and hls.layers)', () => {
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'golden', 'plans');
  for (const name of ['lstm_fold', 'gru_fold']) {
    for (const io of ['parallel', 'stream'] as const) {
      it(`${name} (io ${io})`, () => {
        const c = backendCase(name);
        const g = prepareFixed(c.graph, c.config).graph;
        const plan = planProject(g, { ...DEFAULTS, io, ...caseHlsOptions(c), runs: [] });
        const rec = plan.plans.find((l) => l.op === 'LSTM' || l.op === 'GRU')!;
        expect(rec).toMatchObject({ strategy: 'resource', reuse: 5, stepII: 1 });
        // io stream: nothing holds a whole sequence (the layer streams, the final-step Slice selects a pack).
        if (io === 'stream') for (const l of plan.plans) expect(l.bufferedElements, l.name).toBe(0);
        const text = `${planTable(plan)}\n`;
        const file = join(dir, `${name}_${io}.txt`);
        if (process.env['UPDATE_GOLDEN'] === '1') {
          mkdirSync(dir, { recursive: true });
          writeFileSync(file, text);
        }
        expect(text).toBe(readFileSync(file, 'utf8'));
      });
    }
  }
});

describe('line buffers beyond the partition limit', () => {
  it('are partitioned by channel, with the pixel II the bank ports allow', async () => {
    const { importOnnx } = await import('../../src/frontend/onnx/model.js');
    const { buildModel } = await import('../helpers/onnx-builder.js');
    const g0 = importOnnx(buildModel({
      inputs: [['x', ['N', 32, 64, 64]]], outputs: [['y', ['N', 8]]],
      inits: [['W', [8, 32, 3, 3], new Array<number>(8 * 32 * 9).fill(0.125)]],
      nodes: [
        { op: 'Conv', inputs: ['x', 'W'], outputs: ['c'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
        { op: 'MaxPool', inputs: ['c'], outputs: ['m'], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] } },
        { op: 'GlobalAveragePool', inputs: ['m'], outputs: ['gp'] },
        { op: 'Flatten', inputs: ['gp'], outputs: ['y'] },
      ],
    }), 'wide.onnx');
    const g = prepareFixed(g0, defaultConfig()).graph;
    const plan = planProject(g, { ...DEFAULTS, io: 'stream', layers: {}, runs: [] });
    const conv = plan.plans.find((l) => l.op === 'Conv')!;
    expect(conv.lineBuffer).toEqual({ rows: 3, width: 64, channels: 32, elements: 6144, partitioned: false });
    expect(conv.stepII).toBe(5);
    expect(conv.partitioned.some((p) => p.what.startsWith('line buffer'))).toBe(false);
    const pool = plan.plans.find((l) => l.op === 'MaxPool')!;
    expect(pool.lineBuffer).toMatchObject({ elements: 1536, partitioned: true });
    expect(pool.stepII).toBe(1);
  });
});

describe('bundled CNN examples', () => {
  const ex = join(dirname(fileURLToPath(import.meta.url)), '../../examples');
  const models = ['lenet5_mnist', 'cnn32_mnist', 'dsconv_mnist', 'resnet_mnist'].filter((m) => existsSync(join(ex, `${m}.onnx`)));
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'golden', 'plans');
  for (const m of models) {
    for (const io of ['parallel', 'stream'] as const) {
      it(`${m} (io ${io}): no flags, inside the limits, no io-stream layer buffering > 4096 elements; plan golden`, () => {
        const g = prepareFixed(loadModel(join(ex, `${m}.onnx`)), defaultConfig()).graph;
        const plan = planProject(g, { ...DEFAULTS, io, layers: {}, runs: [] });
        expect(plan.warnings).toEqual([]);
        for (const l of plan.plans) {
          expect(l.unrolled, l.name).toBeLessThanOrEqual(4096);
          for (const p of l.partitioned) expect(p.elements, `${l.name} ${p.what}`).toBeLessThanOrEqual(4096);
          if (io === 'stream') expect(l.bufferedElements, l.name).toBeLessThanOrEqual(4096);
        }
        const text = `${planTable(plan)}\n`;
        const file = join(dir, `example_${m}_${io}.txt`);
        if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(file, text);
        expect(text).toBe(readFileSync(file, 'utf8'));
      });
    }
  }
});
