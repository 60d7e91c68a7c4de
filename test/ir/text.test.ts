/**
 * The textual IR (src/ir/print.ts, src/ir/parse.ts): print → parse gives back an equal graph
 * and print → parse → print the same text, for float and quantized graphs (fixed types, node
 * `prec` with accumulators, internal types and tables, float32 and float64 constants), with
 * -0, ±inf and NaN surviving; a hand-written text parses into exactly the graph it says; bad
 * text fails with the place and what was expected; and `--dump-after STAGE` prints the IR after
 * that stage, parseable when nothing is elided.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { importOnnx, loadOnnxFile } from '../../src/frontend/onnx/model.js';
import { fixedType } from '../../src/ir/fixed.js';
import type { Graph } from '../../src/ir/graph.js';
import { parseGraph } from '../../src/ir/parse.js';
import { printFloat32, printGraph } from '../../src/ir/print.js';
import { defaultConfig, parseConfig } from '../../src/ir/precision-config.js';
import { canonicalize, prepareFixed } from '../../src/passes/pipeline.js';
import { captureCli } from '../helpers/cli.js';
import { recurrentModel } from '../helpers/recurrent-model.js';
import { dyn, graph, konst, node } from '../passes/ir.js';
import { buildGraph, configArb, recipeArb } from '../passes/random-graphs.js';

const EX = join(__dirname, '../../examples');

function roundTrip(g: Graph): void {
  const text = printGraph(g);
  const back = parseGraph(text, 'rt.ir');
  expect(back).toEqual(g);
  // toEqual ignores Map order and -0; the second print does not.
  expect([...back.values.keys()]).toEqual([...g.values.keys()]);
  expect(printGraph(back)).toBe(text);
}

describe('IR text round trip', () => {
  it('examples, float and quantized (non-default modes, derived accumulators, softmax tables)', () => {
    const cfg = parseConfig({ model: { default: 'ap_fixed<14,5,AP_RND_CONV,AP_SAT>', table_size: 128 }, op_types: { Dense: { weight: 'ap_fixed<8,1,AP_RND,AP_WRAP,2>' } } }, 'c.json');
    for (const f of ['digits_mlp', 'digits_cnn']) {
      const g = loadOnnxFile(join(EX, `${f}.onnx`));
      roundTrip(g);
      roundTrip(canonicalize(g));
      const q = prepareFixed(g, cfg).graph;
      expect(q.nodes.some((n) => n.prec?.tables)).toBe(true);
      roundTrip(q);
    }
  });

  it('recurrent layers with activation lists, optional inputs and quantized gates', () => {
    const g = importOnnx(recurrentModel({ kind: 'LSTM', T: 3, I: 2, H: 3, bias: false, peep: true, init: true, dir: 'bidirectional', seed: 5 }), 'l.onnx');
    expect(g.nodes[0]!.inputs[3]).toBe(''); // no bias: printed `_`
    expect(printGraph(g)).toContain('LSTM(%X, %lstm_layer_W, %lstm_layer_R, _, %h0, %c0, %lstm_layer_P)');
    roundTrip(g);
    roundTrip(prepareFixed(g, defaultConfig()).graph);
    const gru = importOnnx(recurrentModel({ kind: 'GRU', T: 2, I: 2, H: 2, bias: false, lbr: true, seed: 6 }), 'g.onnx');
    roundTrip(prepareFixed(gru, defaultConfig()).graph);
  });

  it('random graphs, float and quantized with random types and modes (property)', () => {
    fc.assert(
      fc.property(recipeArb, configArb, (recipe, cfg) => {
        const g = buildGraph(recipe);
        roundTrip(g);
        roundTrip(prepareFixed(g, parseConfig(cfg, 'random')).graph);
      }),
      { numRuns: 60, seed: 1619 },
    );
  });

  it('keeps -0, ±inf, NaN and float32/float64 constants exactly; prints float32 short', () => {
    const g = graph(
      [dyn('x', [3]), konst('k', [3], [-0, 0.1, 1e-30]), dyn('c', [3]), dyn('y', [3])],
      [node('clip', 'Clip', ['x'], ['c'], { min: -Infinity, max: Infinity }), node('add', 'Add', ['c', 'k'], ['y'])],
      ['x'],
      ['y'],
    );
    const nanTable = { ...g, values: new Map([...g.values, ['t', { name: 't', shape: [3], elem: 'float32' as const, data: Float64Array.of(NaN, 1 / 3, -Infinity) }]]) };
    roundTrip(nanTable);
    expect(printGraph(nanTable)).toContain('%k : float32[3] = f32[-0, 0.1, 1e-30]');
    expect(printGraph(nanTable)).toContain('= f64[nan, 0.3333333333333333, -inf]');
    expect(printGraph(g)).toContain('{min: -inf, max: inf}');
    expect(printFloat32(Math.fround(0.1))).toBe('0.1');
    expect(printFloat32(Math.fround(16777217))).toBe('16777216');
  });
});

describe('IR text parsing', () => {
  it('reads a hand-written graph into exactly what it says', () => {
    const text = `# a comment
graph "t" batched source "t.ir"
input "in:0" %x [null, 2] float32
output "out" %y [null, 2] float32
%x : float32[2] ap_ufixed<8,3>
%W : float32[2,2] ap_fixed<8,2,AP_RND_CONV,AP_SAT> = f32[0.5, -1, 0.25, 2]
%y : float32[2] ap_fixed<12,4>
node fc = Dense(%x, %W) -> (%y)
  prec {accum: ap_fixed<20,8>}
`;
    const g = parseGraph(text, 't.ir');
    expect(g.inputs).toEqual([{ modelName: 'in:0', value: 'x', modelShape: [null, 2], elem: 'float32' }]);
    expect(g.values.get('x')!.fixed).toEqual(fixedType(8, 3, { signed: false }));
    expect(g.values.get('W')!.fixed).toEqual(fixedType(8, 2, { q: 'AP_RND_CONV', o: 'AP_SAT' }));
    expect(Array.from(g.values.get('W')!.data!)).toEqual([0.5, -1, 0.25, 2]);
    expect(g.values.get('W')!.data).toBeInstanceOf(Float32Array);
    expect(g.nodes).toEqual([
      { name: 'fc', op: 'Dense', inputs: ['x', 'W'], outputs: ['y'], attrs: {}, prec: { accum: fixedType(20, 8) } },
    ]);
  });

  it('says where and what on bad text', () => {
    const head = 'graph "t" batched source "t.ir"\ninput "x" %x [null, 2] float32\noutput "y" %y [null, 2] float32\n%x : float32[2]\n%y : float32[2]\n';
    expect(() => parseGraph(`${head}node r = Rleu(%x) -> (%y)\n`, 'bad.ir')).toThrow(/^bad\.ir:6:10: expected an op of the registry \(src\/ir\/ops\.ts\), found 'Rleu'/);
    expect(() => parseGraph(`${head}node r = LeakyRelu(%x) -> (%y) {alpha: fast}\n`, 'bad.ir')).toThrow(/bad\.ir:6:40: expected a number, .* found 'fast'/);
    expect(() => parseGraph(`${head.replace('%x : float32[2]', '%x : float32[2] ap_fixed<4,9,AP_FOO>')}`, 'bad.ir')).toThrow(/bad\.ir:4:17: unknown quantization mode 'AP_FOO'/);
    expect(() => parseGraph(`${head}%k : float32[3] = f32[1, 2]\n`, 'bad.ir')).toThrow(/bad\.ir:6:19: constant '%k' holds 2 numbers, its shape needs 3/);
    expect(() => parseGraph(`${head}%k : float32[300] = f32 elided(300)\n`, 'bad.ir')).toThrow(/contents of constant '%k' were elided/);
    expect(() => parseGraph(`${head}node r = Relu(%x) -> (%nope)\n`, 'bad.ir')).toThrow(/node 'r' \(Relu\): output 'nope' has no value/);
    expect(() => parseGraph('%x : float32[2]\n', 'bad.ir')).toThrow(/bad\.ir: no 'graph' header/);
    // Precision records must have their op's shape (src/ir/verify-prec.ts).
    const fc = `${head}%W : float32[2,2] = f32[1, 2, 3, 4]\nnode fc = Dense(%x, %W) -> (%y)\n  prec `;
    expect(() => parseGraph(`${fc}{accum: ap_fixed<20,8>, types: {"odd role": ap_int<4>}}\n`, 'bad.ir')).toThrow(
      /node 'fc' \(Dense\): precision field 'types' is not one Dense has\n.*precision types role 'odd role' is not one Dense has/,
    );
    expect(() => parseGraph(`${fc}{types: {alpha: ap_int<4>}}\n`, 'bad.ir')).toThrow(/node 'fc' \(Dense\): precision field 'accum' is missing/);
    expect(() => parseGraph(`${head}node r = Relu(%x) -> (%y)\n  prec {accum: ap_int<4>}\n`, 'bad.ir')).toThrow(/node 'r' \(Relu\): has a precision record, but Relu has none/);
  });
});

describe('--dump-after', () => {
  const { io, cli } = captureCli();

  it('prints the IR after the named stage, parseable back when nothing is elided', async () => {
    const model = join(EX, 'digits_mlp.onnx');
    expect(await cli('inspect', model, '--dump-after', 'fuse-bias-add')).toBe(0);
    expect(io.out.startsWith('# IR after fuse-bias-add\ngraph "torch_jit" batched')).toBe(true);
    expect(io.out).toContain('f32 elided(2048)');
    expect(io.out).toContain('node /body/body.0/Gemm = Dense(%input, %/body/body.0/Gemm_weight, %/body/body.0/Gemm_bias) -> (%/body/body.0/Gemm)');
    io.out = '';
    // quantize through simulate with a config: the dump is the quantized graph, tables included.
    expect(await cli('simulate', model, '--input', join(EX, 'digits_mlp_input.npy'), '--precision', 'ap_fixed<12,4>', '--dump-after', 'quantize')).toBe(0);
    const dump = io.out.slice(0, io.out.indexOf('precision:'));
    expect(dump).toMatch(/^# IR after quantize\n/);
    expect(dump).toContain('%input : float32[64] ap_fixed<12,4>');
    expect(dump).toMatch(/node \/softmax\/Softmax = Softmax\(.*\n  prec \{types: \{diff: ap_fixed<\d+,\d+>/);
    const small = printGraph(prepareFixed(loadOnnxFile(model), parseConfig({ model: { default: 'ap_fixed<12,4>' } }, 'c')).graph, { maxData: 64 });
    expect(dump.slice(dump.indexOf('\n') + 1).replace(/source "[^"]*"/, '')).toBe(`${small}`.replace(/source "[^"]*"/, ''));
  });

  it('names the stages when given an unknown one', async () => {
    expect(await cli('compile', join(EX, 'digits_mlp.onnx'), '-o', '/nonexistent/x', '--dump-after', 'quantise')).toBe(1);
    expect(io.err).toMatch(/--dump-after 'quantise': no such stage; expected one of import, recurrent-final-state, fuse-bias-add, .*, quantize/);
  });
});
