/**
 * QKeras quantizers and models. The reference here is written from QKeras's definitions
 * (quantizers.py: tf.round rounds half to even, m = 2^(bits − keep_negative), clip to
 * [keep_negative·(−m + symmetric), m − 1]) independently of the importer: the ap_fixed type the
 * importer derives for each quantizer must reproduce the quantizer on every input, ties and
 * saturation included; quantized weights are represented exactly; and the shared QKeras models,
 * simulated bit-accurately with their own types (layer results widened so nothing else rounds),
 * equal the QKeras forward pass computed in float64 from the same .h5 weights, bit for bit.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openKeras } from '../../../src/frontend/keras/containers.js';
import { loadKeras } from '../../../src/frontend/keras/index.js';
import { activationQuantizer, parseQuantizer, quantizeWeights } from '../../../src/frontend/keras/qkeras.js';
import { fracBits, parseType, type FixedType } from '../../../src/ir/fixed.js';
import { defaultConfig, type PrecisionConfig } from '../../../src/ir/precision-config.js';
import { prepareFixed } from '../../../src/passes/pipeline.js';
import { quantizeDouble } from '../../../src/ir/semantics/apfixed.js';
import { FixedProgram, fxToFloat } from '../../../src/sim/fixed/executor.js';
import { withModelPrecision } from '../../../src/cli/model-options.js';

/** tf.round: half to even. */
function tfRound(v: number): number {
  const r = Math.round(v);
  return Math.abs(v - Math.trunc(v)) === 0.5 ? 2 * Math.round(v / 2) : r;
}
const clip = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
function qBits(x: number, bits: number, integer: number, keepNeg = 1, sym = 0, alpha = 1): number {
  const m = 2 ** (bits - keepNeg);
  const mi = 2 ** integer;
  return (alpha * mi * clip(tfRound((x * m) / mi), keepNeg * (-m + sym), m - 1)) / m;
}
function qRelu(x: number, bits: number, integer: number): number {
  const m = 2 ** bits;
  const mi = 2 ** integer;
  return mi * clip(tfRound((x * m) / mi) / m, 0, 1 - 1 / m);
}
const valueIn = (x: number, t: FixedType) => Number(quantizeDouble(x, t)) * 2 ** -fracBits(t);

/** Inputs that hit ties, saturation and the grid: k/64 steps plus random values. */
function probes(): number[] {
  const out: number[] = [];
  for (let k = -600; k <= 600; k++) out.push(k / 256);
  let s = 12345;
  for (let i = 0; i < 2000; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out.push(((s / 2 ** 32) * 2 - 1) * 6);
  }
  return out;
}

describe('QKeras quantizers become exact ap_fixed types', () => {
  it('reads the string and the serialized forms', () => {
    expect(parseQuantizer('quantized_bits(6,0,alpha=1)', 'w')).toEqual({ name: 'quantized_bits', args: { bits: 6, integer: 0, alpha: 1 } });
    expect(parseQuantizer("quantized_relu(4, 2, use_stochastic_rounding=False)", 'w')?.args).toEqual({ bits: 4, integer: 2, use_stochastic_rounding: false });
    expect(parseQuantizer({ class_name: 'quantized_bits', config: { bits: 8, integer: 3, keep_negative: false } }, 'w')?.args['keep_negative']).toBe(false);
    expect(parseQuantizer(null, 'w')).toBeNull();
    expect(() => parseQuantizer('quantized_ulaw(8,0)', "layer 'fc1'")).toThrow(/layer 'fc1'.*unknown quantizer 'quantized_ulaw'.*quantized_bits/);
  });

  it.each([
    [6, 0, 1, 0, 1],
    [4, 1, 1, 0, 1],
    [8, 3, 1, 1, 1],
    [5, 0, 0, 0, 1],
    [6, 2, 1, 0, 4],
    [3, -1, 1, 0, 0.5],
  ])('quantized_bits(bits=%i, integer=%i, keep_negative=%i, symmetric=%i, alpha=%s)', (bits, integer, kn, sym, alpha) => {
    const q = parseQuantizer({ class_name: 'quantized_bits', config: { bits, integer, keep_negative: kn === 1, symmetric: sym, alpha } }, 'w')!;
    const xs = probes();
    const r = quantizeWeights(q, Float32Array.from(xs), [xs.length], 'w');
    const t = r.type!;
    expect(t.width).toBe(bits);
    xs.forEach((x, i) => {
      const want = qBits(Math.fround(x), bits, integer, kn, sym, alpha) + 0;
      expect(r.data[i]! + 0).toBe(want);
      expect(valueIn(want, t)).toBe(want);
      // The type's own cast (rounding + saturation) is the quantizer.
      expect(valueIn(Math.fround(x) * alpha, t) + 0).toBe(want);
    });
  });

  it('quantized_bits alpha auto_po2 picks power-of-two channel scales and an exact type', () => {
    const w = Float32Array.from({ length: 24 }, (_, i) => Math.sin(i * 1.3) * (1 + (i % 3) * 3));
    const q = parseQuantizer("quantized_bits(4,0,alpha='auto_po2')", 'w')!;
    const r = quantizeWeights(q, w, [8, 3], 'w');
    expect(r.type).not.toBeNull();
    for (const v of r.data) expect(valueIn(v, r.type!)).toBe(v);
    // Per column: every value is scale·k/8 with one power-of-two scale and |k| <= 7.
    for (let c = 0; c < 3; c++) {
      const col = Array.from({ length: 8 }, (_, i) => r.data[i * 3 + c]!).filter((v) => v !== 0);
      // The largest power of two dividing every value; 4 bits symmetric leave |k| <= 7 of it.
      const lowbit = (v: number) => {
        let u = 2 ** 20;
        while (!Number.isInteger(v / u)) u /= 2;
        return u;
      };
      const unit = Math.min(...col.map(lowbit));
      expect(Math.max(...col.map(Math.abs)) / unit).toBeLessThanOrEqual(7);
    }
    const auto = quantizeWeights(parseQuantizer("quantized_bits(4,0,alpha='auto')", 'w')!, w, [8, 3], 'w');
    expect(auto.type).toBeNull();
    expect(auto.note).toMatch(/per-channel float scales/);
  });

  it('quantized_relu: ap_ufixed<bits,integer,AP_RND_CONV,AP_SAT> reproduces it, ties to even', () => {
    for (const [bits, integer] of [[6, 0], [4, 2], [8, 3], [3, 0]] as const) {
      const a = activationQuantizer(parseQuantizer(`quantized_relu(${bits},${integer})`, 'a')!, 'a');
      expect(a.op).toBe('relu');
      for (const x of probes()) expect(valueIn(Math.max(0, x), a.type)).toBe(qRelu(x, bits, integer));
    }
    // 0.5 LSB ties: 1/128 rounds to 0 (even), 3/128 to 4/128.
    const t = activationQuantizer(parseQuantizer('quantized_relu(6,0)', 'a')!, 'a').type;
    expect([valueIn(1 / 128, t), valueIn(3 / 128, t)]).toEqual([0, 4 / 128]);
  });

  it('quantized_tanh / quantized_sigmoid (QKeras hard versions) as clip or hard sigmoid plus the type', () => {
    const th = activationQuantizer(parseQuantizer('quantized_tanh(5)', 'a')!, 'a');
    expect(th.op).toBe('hardtanh');
    const sg = activationQuantizer(parseQuantizer('quantized_sigmoid(4)', 'a')!, 'a');
    expect(sg.op).toBe('hardsigmoid');
    for (const x of probes()) {
      const m = 16;
      expect(valueIn(clip(x, -1, 1), th.type) + 0).toBe(clip(tfRound(clip(x, -1, 1) * m) / m, -1, 1 - 1 / m) + 0);
      const hs = clip(0.5 * x + 0.5, 0, 1);
      expect(valueIn(hs, sg.type)).toBe(clip(tfRound(hs * 16) / 16, 0, 1 - 1 / 16));
    }
  });

  it('binary, ternary and quantized_po2 weights', () => {
    const w = Float32Array.from([-0.7, -0.2, 0, 0.1, 0.5, 3]);
    expect(Array.from(quantizeWeights(parseQuantizer('binary()', 'w')!, w, [6], 'w').data)).toEqual([-1, -1, 1, 1, 1, 1]);
    expect(Array.from(quantizeWeights(parseQuantizer('ternary(threshold=0.3)', 'w')!, w, [6], 'w').data)).toEqual([-1, 0, 0, 0, 1, 1]);
    const p = quantizeWeights(parseQuantizer('quantized_po2(4, 1)', 'w')!, w, [6], 'w');
    expect(Array.from(p.data, (v) => v + 0)).toEqual([-0.5, -0.25, 0, 0.125, 0.5, 1]);
    for (const v of p.data) expect(valueIn(v, p.type!)).toBe(v);
    expect(() => quantizeWeights(parseQuantizer("binary(alpha='mean')", 'w')!, w, [6], "layer 'd'")).toThrow(/alpha 'mean'/);
  });

  it("quantized_bits alpha 'auto' on a 1-D tensor (a bias) uses one scale, max over axis 0", () => {
    const b = Float32Array.from([0.8, -0.05, 0.3, -0.4]);
    const [bits, levels, m] = [4, 14, 8];
    const scale = (0.8 * 2) / levels;
    const want = Array.from(b, (v) => Math.fround(scale * m) * Math.fround(Math.sign(v) * Math.min(Math.floor(Math.abs(v) / scale + 0.5), levels / 2) / m));
    const got = quantizeWeights(parseQuantizer(`quantized_bits(${bits},0,alpha='auto')`, 'b')!, b, [4], 'b');
    expect(Array.from(got.data)).toEqual(want);
    // Per-element scales would put every entry at its own ±levels/2 step, i.e. return b itself.
    expect(Math.abs(got.data[1]! - b[1]!)).toBeGreaterThan(0.01);
  });

  it("binary and ternary alpha 'auto'/'auto_po2': QKeras's least-squares scale per output channel", () => {
    // [4, 2]: channel 0 = column 0. Reference: _get_scale = mean(x·q)/(mean(q·q)+1e-7), po2: 2^round(log2).
    const w = Float32Array.from([0.9, -0.1, -0.3, 0.2, 0.0, -0.6, 0.5, 0.05]);
    const col = (c: number) => [0, 1, 2, 3].map((r) => w[r * 2 + c]!);
    const lsq = (x: number[], q: number[]) => x.reduce((a, v, i) => a + v * q[i]!, 0) / x.length / (q.reduce((a, v) => a + v * v, 0) / x.length + 1e-7);
    const po2 = (v: number) => 2 ** tfRound(Math.log(v + 1e-7) / Math.LN2);
    const sgn = (v: number) => (v >= 0 ? 1 : -1);
    const bin = quantizeWeights(parseQuantizer("binary(alpha='auto')", 'w')!, w, [4, 2], 'w');
    const s = [0, 1].map((c) => lsq(col(c), col(c).map(sgn)));
    expect(Array.from(bin.data)).toEqual(Array.from(w, (v, i) => s[i % 2]! * sgn(v)));
    expect(bin.type).toBeNull();
    const binPo2 = quantizeWeights(parseQuantizer("binary(alpha='auto_po2')", 'w')!, w, [4, 2], 'w');
    expect(Array.from(binPo2.data)).toEqual(Array.from(w, (v, i) => po2(s[i % 2]!) * sgn(v)));
    for (const v of binPo2.data) expect(valueIn(v, binPo2.type!)).toBe(v);
    // Ternary: from 2·max|x|/3, five rounds of (threshold scale/2, least-squares scale).
    for (const mode of ['auto', 'auto_po2'] as const) {
      const want = [0, 1].map((c) => {
        const x = col(c);
        let sc = (2 * Math.max(...x.map(Math.abs))) / 3;
        if (mode === 'auto_po2') sc = po2(sc);
        let q: number[] = [];
        for (let it = 0; it < 5; it++) {
          q = x.map((v) => (Math.abs(sc * tfRound(v / sc)) >= sc / 2 ? Math.sign(v) : 0));
          sc = mode === 'auto_po2' ? po2(lsq(x, q)) : lsq(x, q);
        }
        return q.map((v) => v * sc);
      });
      const t = quantizeWeights(parseQuantizer(`ternary(alpha='${mode}')`, 'w')!, w, [4, 2], 'w');
      expect(Array.from(t.data, (v) => v + 0)).toEqual(Array.from(w, (_, i) => want[i % 2]![Math.floor(i / 2)]! + 0));
      expect(t.data.some((v) => v === 0)).toBe(true);
      if (mode === 'auto_po2') for (const v of t.data) expect(valueIn(v, t.type!)).toBe(v);
    }
  });
});

const SHARED = join(__dirname, '../../../../shared/models/keras');
const HAVE = existsSync(SHARED);
if (!HAVE) console.log(`test/frontend/keras/qkeras: shared QKeras models skipped — ${SHARED} not found`);

describe.skipIf(!HAVE)('shared QKeras models simulate exactly as QKeras computes them', () => {
  it.each(['qkeras_3layer.json', 'qkeras-v3_3layer.keras'])('%s', async (file) => {
    const path = join(SHARED, file);
    const { graph, precision } = await loadKeras(path);
    // Raw float weights, quantized here by the reference.
    const { model, close } = await openKeras(path);
    const layers = ['fc1', 'fc2', 'fc3', 'output'].map((n) => model.weights.weights({ name: n, className: 'QDense' }));
    close();
    const W = layers.map(([k, b]) => ({
      k: Array.from(k!.data, (v) => qBits(v, 6, 0)),
      b: Array.from(b!.data, (v) => qBits(v, 6, 0)),
      K: k!.shape[0]!,
      M: k!.shape[1]!,
    }));
    const wide = parseType('ap_fixed<40,14>');
    const base: PrecisionConfig = { ...defaultConfig(), layers: Object.fromEntries(['fc1', 'fc2', 'fc3', 'output'].map((n) => [n, { types: { result: wide } }])) };
    const cfg = withModelPrecision(base, precision, false);
    const { graph: qg } = prepareFixed(graph, cfg);
    // Weights are represented exactly in their QKeras types.
    for (const v of qg.values.values()) {
      if (!v.data || !v.fixed || !/kernel|bias/.test(v.name)) continue;
      for (const x of v.data) expect(valueIn(x, v.fixed)).toBe(x);
    }
    const N = 64;
    const x = Float32Array.from({ length: N * 16 }, (_, i) => Math.round(Math.sin(i * 0.77) * 6 * 1024) / 1024);
    const seen = new Map<string, Float64Array>();
    new FixedProgram(qg).run([{ shape: [N, 16], data: x }], { onValue: (_name, t, node) => seen.set(node.name, fxToFloat(t)) });
    let h: number[][] = Array.from({ length: N }, (_, s) => Array.from(x.subarray(s * 16, s * 16 + 16)));
    W.forEach((w, li) => {
      const pre = h.map((row) => Array.from({ length: w.M }, (_, m) => row.reduce((acc, v, k) => acc + v * w.k[k * w.M + m]!, w.b[m]!)));
      const name = ['fc1', 'fc2', 'fc3', 'output'][li]!;
      expect(Array.from(seen.get(name)!)).toEqual(pre.flat());
      if (li < 3) {
        h = pre.map((row) => row.map((v) => qRelu(v, 6, 0)));
        expect(Array.from(seen.get(`relu${li + 1}`)!)).toEqual(h.flat());
      }
    });
  });

  it('qkeras_mnist_cnn: conv and dense weights exact in ap_fixed<6,1>, activations ap_ufixed<6,0>', async () => {
    const { graph, precision } = await loadKeras(join(SHARED, 'qkeras_mnist_cnn.json'));
    expect(Object.keys(precision).sort()).toEqual(['q_activation', 'q_activation_1', 'q_conv2d', 'q_conv2d_1', 'q_dense']);
    const { graph: qg } = prepareFixed(graph, withModelPrecision(defaultConfig(), precision, false));
    let checked = 0;
    for (const v of qg.values.values()) {
      if (!v.data || !/kernel|bias/.test(v.name)) continue;
      expect(v.fixed?.width).toBe(6);
      for (const x of v.data) expect(valueIn(x, v.fixed!)).toBe(x);
      checked++;
    }
    expect(checked).toBe(6);
  });
});
