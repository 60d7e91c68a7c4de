/**
 * Derived raws (src/ir/semantics/derived-raws.ts): the quantize pass stores each op's thresholds,
 * clip bounds and results, α/β raws, ±scale levels and pad raw once in `prec.raws`; they survive
 * the IR text; ops without such constants get none (must not fire); verify() refuses a record
 * that disagrees with the node's attributes and types; and the simulator and the emitter both
 * read the stored numbers — changing one in the IR changes the simulated output and the emitted
 * C++ alike, which a re-derivation on either side would not.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULTS, planProject } from '../../src/backend-hls/index.js';
import { defaultRuns } from '../../src/cli/compile.js';
import { importOnnx } from '../../src/frontend/onnx/model.js';
import type { Graph, Node } from '../../src/ir/graph.js';
import { parseGraph } from '../../src/ir/parse.js';
import { parseConfig } from '../../src/ir/precision-config.js';
import { printGraph } from '../../src/ir/print.js';
import { aboveThreshold, belowThreshold } from '../../src/ir/semantics/derived-raws.js';
import { parseType } from '../../src/ir/fixed.js';
import { verifyProblems } from '../../src/ir/verify.js';
import { prepareFixed } from '../../src/passes/pipeline.js';
import { FixedProgram } from '../../src/sim/fixed/executor.js';
import { recurrentModel } from '../helpers/recurrent-model.js';
import { dyn, graph, konst, node } from '../passes/ir.js';

const T8 = 'ap_fixed<8,4>'; // 4 fraction bits: raws −128..127

/** x → Clip, ThresholdedRelu, LeakyRelu, Pad, Relu (one node each, all reading x), every type ap_fixed<8,4>. */
function quantized(): Graph {
  const g = graph(
    [dyn('x', [4]), dyn('c', [4]), dyn('t', [4]), dyn('l', [4]), dyn('p', [6]), dyn('r', [4]), konst('s', [1], [0.75]), dyn('b', [4])],
    [
      node('clip', 'Clip', ['x'], ['c'], { min: -1.5, max: Infinity }),
      node('thr', 'ThresholdedRelu', ['x'], ['t'], { alpha: 0.8 }),
      node('leaky', 'LeakyRelu', ['x'], ['l'], { alpha: 0.1 }),
      node('pad', 'Pad', ['x'], ['p'], { mode: 'constant', pads: [1, 1], value: 0.3 }),
      node('relu', 'Relu', ['x'], ['r']),
      node('bq', 'BipolarQuant', ['x', 's'], ['b']),
    ],
    ['x'],
    ['c', 't', 'l', 'p', 'r', 'b'],
  );
  const cfg = parseConfig({ model: { default: T8 }, inputs: { m_x: T8 } }, 'c');
  return prepareFixed({ ...g, batched: false }, cfg).graph;
}

const find = <K extends Node['op']>(g: Graph, name: string, op: K) => g.nodes.find((n): n is Node<K> => n.name === name && n.op === op)!;

/** The graph with node `name`'s derived raws replaced by `raws` (a hand-edited IR text or a buggy pass). */
function withRaws(g: Graph, name: string, raws: unknown): Graph {
  return { ...g, nodes: g.nodes.map((n) => (n.name === name ? ({ ...n, prec: { ...n.prec, raws } } as Node) : n)) };
}

describe('derived raws: stored once by the quantize pass', () => {
  it('stores each op’s constants, exactly, computed from its attributes and types', () => {
    const g = quantized();
    // Clip [−1.5, ∞) on 4 fraction bits: raw < −24 ⟺ x < −1.5; no upper bound: one past the top raw.
    expect(find(g, 'clip', 'Clip').prec?.raws).toEqual({ lo: -24n, hi: 127n, lo_out: -24n, hi_out: 0n });
    // 0.8·16 = 12.8: raw > 12 ⟺ x > 0.8.
    expect(find(g, 'thr', 'ThresholdedRelu').prec?.raws).toEqual({ thr: 12n });
    // α = 0.1 in its own 18-bit type ap_fixed<18,1> (17 fraction bits), truncated: ⌊0.1·2^17⌋.
    const leaky = find(g, 'leaky', 'LeakyRelu').prec!;
    expect(leaky.types.alpha).toEqual(parseType('ap_fixed<18,1>'));
    expect(leaky.raws).toEqual({ alpha: 13107n });
    // 0.3·16 = 4.8, truncated (AP_TRN) to 4.
    expect(find(g, 'pad', 'Pad').prec?.raws).toEqual({ pad: 4n });
    // ±0.75 as raws of the output type: BipolarQuant's type holds exactly ±scale.
    const bq = find(g, 'bq', 'BipolarQuant');
    const yT = g.values.get('b')!.fixed!;
    expect(bq.prec?.raws).toEqual({ pos: [BigInt(0.75 * 2 ** (yT.width - yT.int))], neg: [BigInt(-0.75 * 2 ** (yT.width - yT.int))] });
    expect(verifyProblems(g)).toEqual([]);
  });

  it('must not fire: ops without derived constants get no raws, and a float graph has no records', () => {
    const g = quantized();
    expect(find(g, 'relu', 'Relu').prec).toBeUndefined();
    // An LSTM with only table activations and no clip: its record has no raws field at all.
    const lstm = prepareFixed(importOnnx(recurrentModel({ kind: 'LSTM', T: 2, I: 2, H: 2, outputs: 'Y', seed: 3 }), 'l.onnx'), parseConfig({}, 'c')).graph;
    const rec = lstm.nodes.find((n) => n.op === 'LSTM')!;
    expect(rec.prec?.types).toBeDefined();
    expect(rec.prec?.raws).toBeUndefined();
    const float = importOnnx(recurrentModel({ kind: 'RNN', T: 2, I: 2, H: 2, acts: ['ThresholdedRelu'], alpha: [0.25], clip: 0.5, outputs: 'Y', seed: 3 }), 'r.onnx');
    expect(float.nodes.every((n) => n.prec === undefined)).toBe(true);
    expect(verifyProblems(float)).toEqual([]);
  });

  it('recurrent: clip threshold/results and an exact activation’s threshold, per role', () => {
    const cfg = parseConfig({ model: { default: 'ap_fixed<16,6>' } }, 'c');
    const g = prepareFixed(importOnnx(recurrentModel({ kind: 'RNN', T: 2, I: 2, H: 2, acts: ['ThresholdedRelu'], alpha: [0.25], clip: 0.5, outputs: 'Y', seed: 3 }), 'r.onnx'), cfg).graph;
    const rnn = g.nodes.find((n): n is Node<'RNN'> => n.op === 'RNN')!;
    const G = rnn.prec!.types.gate;
    const F = G.width - G.int;
    expect(rnn.prec!.raws).toEqual({ clip_thr: BigInt(0.5 * 2 ** F), clip_hi: BigInt(0.5 * 2 ** F), clip_lo: BigInt(-0.5 * 2 ** F), f0_thr: BigInt(0.25 * 2 ** F) });
    expect(verifyProblems(g)).toEqual([]);
  });

  it('thresholds keep every raw of the type comparing as the real value does', () => {
    const t = parseType('ap_fixed<4,2>'); // raws −8..7, 2 fraction bits
    expect([aboveThreshold(0.3, t), aboveThreshold(-0.3, t), aboveThreshold(100, t), aboveThreshold(-100, t), aboveThreshold(NaN, t)]).toEqual([1n, -2n, 7n, -9n, 7n]);
    expect([belowThreshold(0.3, t), belowThreshold(-0.3, t), belowThreshold(100, t), belowThreshold(-100, t), belowThreshold(-Infinity, t)]).toEqual([2n, -1n, 8n, -8n, -8n]);
  });

  it('survive the IR text as exact integers', () => {
    const g = quantized();
    const text = printGraph(g);
    expect(text).toContain('raws: {lo: -24n, hi: 127n, lo_out: -24n, hi_out: 0n}');
    const back = parseGraph(text, 'q.ir');
    for (const n of g.nodes) expect(back.nodes.find((m) => m.name === n.name)!.prec, n.name).toEqual(n.prec);
  });
});

describe('derived raws: verify() refuses records that disagree with the types', () => {
  it('names the node, the role, the expected and the stored value', () => {
    const g = quantized();
    expect(verifyProblems(withRaws(g, 'clip', { lo: -24n, hi: 126n, lo_out: -24n, hi_out: 0n }))).toEqual([
      "node 'clip' (Clip): expected raws.hi = 127n (derived from its attributes and types), got 126n",
    ]);
    expect(verifyProblems(withRaws(g, 'thr', { thr: 13n }))).toEqual(["node 'thr' (ThresholdedRelu): expected raws.thr = 12n (derived from its attributes and types), got 13n"]);
    expect(verifyProblems(withRaws(g, 'leaky', { alpha: 13108n }))).toEqual(["node 'leaky' (LeakyRelu): expected raws.alpha = 13107n (derived from its attributes and types), got 13108n"]);
    expect(verifyProblems(withRaws(g, 'bq', { pos: [1n], neg: [-1n] }))[0]).toMatch(/^node 'bq' \(BipolarQuant\): expected raws\.pos = \[\d+n\] \(derived from its attributes and types\), got \[1n\]$/);
  });

  it('refuses a missing record or role, and raws that are not exact integers', () => {
    const g = quantized();
    const noPrec = { ...g, nodes: g.nodes.map((n) => (n.name === 'pad' ? ({ ...n, prec: undefined } as Node) : n)) };
    expect(verifyProblems(noPrec)).toEqual(["node 'pad' (Pad): expected a precision record with raws pad (run the quantize pass)"]);
    const noLeaky = { ...g, nodes: g.nodes.map((n) => (n.name === 'leaky' ? ({ ...n, prec: undefined } as Node) : n)) };
    expect(verifyProblems(noLeaky)).toEqual(["node 'leaky' (LeakyRelu): expected a precision record with raws alpha (run the quantize pass)"]);
    // A float graph (no types) needs none: the must-not-fire side of the same check.
    const float = { ...g, values: new Map([...g.values].map(([k, v]) => [k, { ...v, fixed: undefined }])), nodes: g.nodes.map((n) => ({ ...n, prec: undefined }) as Node) };
    expect(verifyProblems(float)).toEqual([]);
    expect(verifyProblems(withRaws(g, 'thr', undefined))).toEqual(["node 'thr' (ThresholdedRelu): precision field 'raws' is missing"]);
    expect(verifyProblems(withRaws(g, 'thr', {}))).toEqual(["node 'thr' (ThresholdedRelu): precision raws role 'thr' is missing"]);
    expect(verifyProblems(withRaws(g, 'thr', { thr: 12 }))).toEqual([
      "node 'thr' (ThresholdedRelu): precision raws role 'thr' is not an exact integer (123n) or a list of them",
    ]);
    expect(verifyProblems(withRaws(g, 'relu', { thr: 1n }))).toEqual(["node 'relu' (Relu): has a precision record, but Relu has none"]);
  });
});

describe('derived raws: the simulator and the emitter both read the stored numbers', () => {
  const unaryLayer = (g: Graph, name: string) => planProject(g, { ...DEFAULTS, layers: {}, runs: defaultRuns(g, 1) }).layers.find((l) => l.node.name === name)!;
  const simulate = (g: Graph, xs: number[]) => new FixedProgram(g).run([{ shape: [xs.length], data: Float32Array.from(xs) }]);

  it('unary ops: a changed threshold or clip result changes the simulated raws and the emitted C++', () => {
    const g = quantized();
    const xs = [-4, -1, 0.5, 1];
    const before = simulate(g, xs);
    expect(Array.from(before[0]!.raw)).toEqual([-24, -16, 8, 16]); // clip at −1.5
    expect(Array.from(before[1]!.raw)).toEqual([0, 0, 0, 16]); // x > 0.8
    // Stored constants that no derivation would produce: clip at raw −20 to result −7, threshold raw 7.
    const edited = withRaws(withRaws(g, 'clip', { lo: -20n, hi: 127n, lo_out: -7n, hi_out: 0n }), 'thr', { thr: 7n });
    expect(verifyProblems(edited).length).toBe(3); // clip lo, lo_out; thr
    const after = simulate(edited, xs);
    expect(Array.from(after[0]!.raw)).toEqual([-7, -16, 8, 16]);
    expect(Array.from(after[1]!.raw)).toEqual([0, 0, 8, 16]);
    const clipB = unaryLayer(g, 'clip');
    const clipA = unaryLayer(edited, 'clip');
    expect(clipB.cfgText).toContain('static const long long lo = -24LL;');
    expect(clipA.cfgText).toContain('static const long long lo = -20LL;');
    const bounds = (l: typeof clipA) => l.consts.find((k) => k.id.endsWith('_bounds'))!.items;
    expect(bounds(clipA)).not.toEqual(bounds(clipB));
    expect(bounds(clipA)[0]).toBe('-7'); // the ROM word: the raw itself
    expect(unaryLayer(g, 'thr').cfgText).toContain('static const long long thr = 12LL;');
    expect(unaryLayer(edited, 'thr').cfgText).toContain('static const long long thr = 7LL;');
  });

  it('recurrent: a changed activation threshold changes the simulated output and the emitted config', () => {
    const cfg = parseConfig({ model: { default: 'ap_fixed<16,6>' } }, 'c');
    const g = prepareFixed(importOnnx(recurrentModel({ kind: 'RNN', T: 2, I: 2, H: 2, acts: ['ThresholdedRelu'], alpha: [-4], clip: 0.5, outputs: 'Y', seed: 3 }), 'r.onnx'), cfg).graph;
    const rnn = g.nodes.find((n): n is Node<'RNN'> => n.op === 'RNN')!;
    const raws = rnn.prec!.raws!;
    // Nothing passes a threshold at the top of the gate type: every hidden state is 0.
    const top = BigInt(2 ** (rnn.prec!.types.gate.width - 1) - 1);
    const edited = withRaws(g, rnn.name, { ...raws, f0_thr: top });
    const run = (gr: Graph) => new FixedProgram(gr).run([{ shape: [1, 2, 2], data: Float32Array.from([0.5, -0.25, 1, 0.75]) }])[0]!.raw;
    expect(Array.from(run(g)).some((v) => v !== 0)).toBe(true);
    expect(Array.from(run(edited)).every((v) => v === 0)).toBe(true);
    const layer = (gr: Graph) => planProject(gr, { ...DEFAULTS, layers: {}, runs: defaultRuns(gr, 1) }).layers.find((l) => l.node.op === 'RNN')!.cfgText;
    expect(layer(g)).toContain(`static const long long thr = ${raws.f0_thr}LL;`);
    expect(layer(edited)).toContain(`static const long long thr = ${top}LL;`);
    expect(layer(edited)).toContain(`static const long long clip_thr = ${raws.clip_thr}LL;`);
  });
});
