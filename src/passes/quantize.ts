/**
 * quantize: gives every value of a float graph its fixed-point type and every node its internal
 * types and lookup tables, from a PrecisionConfig — the single place where nn2hls decides
 * precision. After it, the simulator and the emitter only read (docs/fixed-point.md).
 *  - node outputs get the layer's `result` type; data-movement ops (the registry's keepsType
 *    trait: Reshape, Transpose, Pad, Resize, MaxPool, ...) keep their input's type unless a
 *    layer or op-type entry names one; quantizer ops (QONNX Quant/BipolarQuant, QuantizeLinear/DequantizeLinear with
 *    power-of-two scales) get exactly the type they implement;
 *  - constants that a kernel reads as numbers get `weight`/`bias` types;
 *  - accumulators are derived so no partial sum can overflow unless the config names one;
 *  - activation, softmax and average-pool tables are built here as constant values;
 *  - the derived raws (thresholds, clip bounds, α/β raws, ±scale levels, pad raw) are stored in
 *    the node's record once its types are decided.
 * Preconditions: batchnorm-to-affine and div-to-mul have run. Invariant: the graph's float
 * meaning is untouched (no data changes; tables are new constants used by no float kernel).
 * Ops without fixed-point semantics are all listed in one error.
 */
import { fixedType, type FixedType, fracBits, HLS_MAX_WIDTH, intType, MAX_WIDTH, type QMode, sameType } from '../ir/fixed.js';
import { type Graph, isConst, type Node, type Value } from '../ir/graph.js';
import { constOperandName, floatOnlyReason, hasTrait, opInfo, OPS } from '../ir/ops.js';
import {
  type LevelSpec,
  type PrecisionConfig,
  VARIABLES,
  resolveTableRange,
  resolveTableSize,
  resolveType,
  DEFAULT_TYPE,
} from '../ir/precision-config.js';
import { isTableOp, TABLE_FN, type TableSpec, rawRange, tableGeometry, tableValues, maxAbsRaw, productSumBounds, typeHolding, actParamType, typeForRange } from '../ir/precision.js';
import { quantizeDouble, subType, toDouble } from '../ir/semantics/apfixed.js';
import { rawNumbers } from '../ir/semantics/const-raws.js';
import { derivedRaws } from '../ir/semantics/derived-raws.js';
import { RECURRENT_SLOTS } from '../ir/semantics/recurrent.js';
import { NnInputError } from '../util/tensor.js';
import { bipolarType, channelExponents, log2Exact, perChannelGrid, qModeOf, quantTyping } from '../ir/quantizer-types.js';
import { freshValueName, type Pass } from './pass.js';
import { type PrecDraft, quantizeRecurrent } from './quantize-recurrent.js';

/** Default Softmax table types: values in (0, 1] and [1/n, 1]. */
export const SOFTMAX_TABLE_TYPE: FixedType = fixedType(18, 1, { signed: false });
/** Default type of the 1/count table of average pooling. */
export const RECIP_TYPE: FixedType = fixedType(18, 1, { signed: false });
const TABLE_ROUND = { q: 'AP_RND_CONV', o: 'AP_SAT' } as const;

export interface QuantizeResult {
  graph: Graph;
  /** Approximations made (non-power-of-two quantizer scales, ...), one line each. */
  notes: string[];
  /** Config keys no layer read, so they changed nothing (`weight` on a Relu, ...), one line each. */
  ignored: string[];
}

const SPEC_KEYS: Record<string, string> = { tableSize: 'table_size', tableRange: 'table_range', autoAccum: 'accum', biasCorrection: 'bias_correction' };

/**
 * The config with every `layers` and `op_types` entry wrapped so that reading a key records it:
 * whatever the quantizer never read for a layer had no effect on it. This needs no list of which
 * op uses which variable — the quantizer's own lookups are the list.
 */
function trackReads(cfg: PrecisionConfig): { cfg: PrecisionConfig; read: Map<string, Set<string>> } {
  const read = new Map<string, Set<string>>();
  const wrap = (at: string, spec: LevelSpec): LevelSpec => {
    const keys = new Set<string>();
    read.set(at, keys);
    const types = new Proxy(spec.types, {
      get(t, k) {
        if (typeof k === 'string') keys.add(k);
        return (t as Record<string | symbol, unknown>)[k];
      },
    });
    return new Proxy(spec, {
      get(t, k) {
        if (k === 'types') return types;
        if (typeof k === 'string' && SPEC_KEYS[k]) keys.add(SPEC_KEYS[k]);
        return (t as unknown as Record<string | symbol, unknown>)[k];
      },
    });
  };
  const map = (prefix: string, m: { readonly [k: string]: LevelSpec }) =>
    Object.fromEntries(Object.entries(m).map(([k, v]) => [k, wrap(`${prefix}.${k}`, v)]));
  return { cfg: { ...cfg, layers: map('layers', cfg.layers), opTypes: map('op_types', cfg.opTypes) }, read };
}

/** `layers.X.k` / `op_types.Op.k` keys that were set but never read (op types the model lacks are skipped). */
function ignoredKeys(g: Graph, cfg: PrecisionConfig, read: Map<string, Set<string>>): string[] {
  const out: string[] = [];
  const ops = new Set(g.nodes.map((n) => n.op as string));
  const opOf = new Map(g.nodes.map((n) => [n.name, n.op as string]));
  const check = (at: string, spec: LevelSpec, what: string) => {
    const set = [
      ...Object.keys(spec.types).filter((k) => k !== 'default'),
      ...(spec.tableSize !== undefined ? ['table_size'] : []),
      ...(spec.tableRange ? ['table_range'] : []),
      ...(spec.autoAccum ? ['accum'] : []),
      ...(spec.biasCorrection ? ['bias_correction'] : []),
    ];
    const r = read.get(at) ?? new Set<string>();
    const uses = [...r].filter(
      (k) => k !== 'default' && k in { ...Object.fromEntries(VARIABLES.map((v) => [v, 1])), table_size: 1, table_range: 1, bias_correction: 1 },
    );
    for (const k of set) {
      if (!r.has(k)) out.push(`${at}.${k} has no effect: ${what} has no ${k} (what it uses: ${uses.length ? uses.sort().join(', ') : 'result only'})`);
    }
  };
  for (const [name, spec] of Object.entries(cfg.layers)) check(`layers.${name}`, spec, `layer '${name}' (${opOf.get(name) ?? '?'})`);
  for (const [op, spec] of Object.entries(cfg.opTypes)) if (ops.has(op)) check(`op_types.${op}`, spec, `a ${op} layer`);
  return out;
}

function bitsFor(n: number): number {
  return Math.max(1, Math.ceil(Math.log2(n + 1)));
}

function withModes(t: FixedType, m: { q: QMode; o: FixedType['o'] }): FixedType {
  return fixedType(t.width, t.int, { signed: t.signed, q: m.q, o: m.o });
}


export class Quantizer {
  readonly values = new Map<string, Value>();
  readonly nodes: Node[] = [];
  readonly notes: string[] = [];
  private readonly constUse = new Map<string, FixedType>();
  /**
   * Values holding exactly a model quantizer's output (Quant/BipolarQuant with an exact type), or
   * data movement of one, or the exact result of a layer below: a Dense/Conv reading one with
   * quantizer-typed weights (binary × binary, ...) keeps its derived accumulator as its result.
   */
  private readonly quantizerExact = new Set<string>();

  constructor(
    readonly g: Graph,
    readonly cfg: PrecisionConfig,
  ) {
    for (const [k, v] of g.values) this.values.set(k, v);
  }

  type(name: string): FixedType {
    const t = this.values.get(name)?.fixed;
    if (!t) throw new Error(`internal: value '${name}' has no fixed type yet`);
    return t;
  }

  setFixed(name: string, t: FixedType): void {
    this.values.set(name, { ...this.values.get(name)!, fixed: t });
  }

  /** Gives a constant operand a type; a constant shared with a different type is cloned. */
  constTyped(n: Node, slot: number, t: FixedType): string {
    const name = n.inputs[slot]!;
    const prev = this.constUse.get(name);
    if (!prev || sameType(prev, t)) {
      this.constUse.set(name, t);
      this.setFixed(name, t);
      return name;
    }
    const clone = freshValueName({ ...this.g, values: this.values }, `${name}_${n.name}`);
    this.values.set(clone, { ...this.values.get(name)!, name: clone, fixed: t });
    this.constUse.set(clone, t);
    return clone;
  }

  /**
   * Type of constant operand `slot` read as `v`: the layer's or op type's configured type, else the
   * type of the model quantizer it was folded from (Value.quantized), else the model default.
   */
  constType(n: Node, slot: number, v: 'weight' | 'bias'): FixedType {
    const l = this.cfg.layers[n.name]?.types;
    const o = this.cfg.opTypes[n.op]?.types;
    const explicit = l?.[v] ?? l?.default ?? o?.[v] ?? o?.default;
    return explicit ?? this.values.get(n.inputs[slot]!)?.quantized ?? resolveType(this.cfg, n.name, n.op, v) ?? DEFAULT_TYPE;
  }

  /**
   * The bias of weighted layer `n` plus the config's per-channel correction, as a new constant of
   * type `t` (the model's bias is left as it is for the float reference and for other readers).
   */
  correctedBias(n: Node, corr: readonly number[], t: FixedType): string {
    const b = this.values.get(n.inputs[2]!)!;
    if (corr.length !== b.data!.length) {
      throw new NnInputError(
        `layers.${n.name}.bias_correction has ${corr.length} value(s), but layer '${n.name}' (${n.op}) has ${b.data!.length} output channel(s)`,
      );
    }
    const data = Float64Array.from(b.data!, (v, c) => v + corr[c]!);
    const name = freshValueName({ ...this.g, values: this.values }, `${b.name}_corrected`);
    this.values.set(name, { ...b, name, data, fixed: t });
    return name;
  }

  /** The constant's raws under its type (memoized per data and type, shared: read only). */
  raws(name: string): Float64Array {
    const v = this.values.get(name)!;
    return rawNumbers(v.data!, v.fixed!);
  }

  addTable(n: Node, role: string, spec: Omit<TableSpec, 'value'>, type: FixedType): TableSpec {
    const exact = withModes(type, TABLE_ROUND);
    const vals = tableValues(spec);
    // Float64 so entries of any width up to 52 bits are stored exactly (float32 holds only 24).
    const data = new Float64Array(vals.length);
    for (let i = 0; i < vals.length; i++) data[i] = toDouble(quantizeDouble(vals[i]!, exact), type);
    const name = freshValueName({ ...this.g, values: this.values }, `${n.name}_${role}_table`);
    this.values.set(name, { name, shape: [spec.size], elem: 'float32', data, fixed: type });
    return { ...spec, value: name };
  }

  /** The layer or op type names a result type (or a default) itself. */
  explicitResult(n: Node): boolean {
    const l = this.cfg.layers[n.name]?.types;
    const o = this.cfg.opTypes[n.op]?.types;
    return !!(l?.result ?? l?.default ?? o?.result ?? o?.default);
  }

  resultType(n: Node): FixedType {
    const explicit =
      this.cfg.layers[n.name]?.types.result ??
      this.cfg.layers[n.name]?.types.default ??
      this.cfg.opTypes[n.op]?.types.result ??
      this.cfg.opTypes[n.op]?.types.default;
    // Selections keep the input's type: so do the max/min reductions.
    const selects = n.op === 'Reduce' && (n.attrs.fn === 'Max' || n.attrs.fn === 'Min');
    if ((hasTrait(n.op, 'keepsType') || selects) && !explicit) return this.type(n.inputs[0]!);
    return resolveType(this.cfg, n.name, n.op, 'result') ?? DEFAULT_TYPE;
  }

  /** Derived accumulator of a weighted sum: exact products, no partial sum can overflow. */
  derivedAccum(n: Node, xT: FixedType, wName: string, bName: string | undefined, outCh: number): FixedType {
    const wT = this.type(wName);
    const wr = this.raws(wName);
    const fp = fracBits(xT) + fracBits(wT);
    const bT = bName ? this.type(bName) : undefined;
    const fa = Math.max(fp, bT ? fracBits(bT) : -Infinity);
    const sums = productSumBounds(wr, outCh, xT);
    const br = bName ? this.raws(bName) : undefined;
    let bound = 0;
    for (let m = 0; m < outCh; m++) {
      const b = br ? Math.abs(br[m]!) * 2 ** (fa - fracBits(bT!)) : 0;
      bound = Math.max(bound, sums[m]! * 2 ** (fa - fp) + b);
    }
    void n;
    return typeHolding(bound, fa);
  }

  quantOp(n: Node): FixedType {
    const c = (slot: number) => this.values.get(n.inputs[slot]!)?.data;
    const uniform = (d: Float32Array | Float64Array | undefined) => (d && d.every((v) => v === d[0]) ? d[0]! : null);
    const where = `node '${n.name}' (${n.op})`;
    if (n.op === 'BipolarQuant') {
      const t = bipolarType(c(1) ?? [1]);
      if (t === null) {
        const approx = 2 ** Math.ceil(Math.log2(Math.max(...Array.from(c(1) ?? [1], Math.abs))));
        this.notes.push(`${where}: scale is not a single power of two; its output ±scale is held in ap_fixed<18,${Math.log2(approx) + 2}> (values rounded to 16 fraction bits)`);
        return fixedType(18, Math.log2(approx) + 2);
      }
      return t;
    }
    if (n.op === 'Quant') {
      const a = n.attrs;
      const params = { scale: c(1) ?? [1], zeroPoint: c(2) ?? [0], bits: uniform(c(3)) ?? 8, signed: a.signed, narrow: a.narrow, rounding: a.rounding };
      if (!qModeOf(a.rounding)) this.notes.push(`${where}: rounding mode ${a.rounding} has no ap_fixed equivalent; AP_RND_CONV is used`);
      if (a.narrow && !a.signed) this.notes.push(`${where}: unsigned narrow range has no ap_fixed mode; AP_SAT keeps the top code 2^bits−1`);
      // Per-channel powers of two: one type as wide as the widest channel needs; the node's kernels
      // cast channel by channel through prec.types.grid (see node()).
      const t = quantTyping(params, true);
      if (t.kind === 'approx') this.notes.push(`${where}: ${t.note}`);
      return t.type;
    }
    // QuantizeLinear (int8/uint8 of x/scale) and DequantizeLinear ((q - zp)·scale)
    const s = uniform(c(1));
    const z = n.inputs[2] ? uniform(c(2)) : 0;
    const signed = n.op === 'QuantizeLinear' ? n.attrs.elem === 'int8' : this.type(n.inputs[0]!).signed;
    const e = s === null ? null : log2Exact(s);
    if (e === null || z !== 0) {
      throw new NnInputError(
        `${where}: fixed point needs a power-of-two scale and zero point 0 (got scale ${s ?? 'per channel'}, zero point ${z ?? 'per channel'}); re-quantize with power-of-two scales or remove the QDQ pair`,
      );
    }
    // The integer q itself (value q, as in the float graph); the kernel reads x/2^e.
    if (n.op === 'QuantizeLinear') return fixedType(8, 8, { signed, q: 'AP_RND_CONV', o: 'AP_SAT' });
    const inT = this.type(n.inputs[0]!);
    return fixedType(inT.width, inT.int + e, { signed: inT.signed });
  }

  /**
   * LayerNorm's types, 1/sqrt table and derived integers (docs/fixed-point.md, "LayerNorm"):
   * sum of the row exact; d = N·x − sum exact; v = Σ raw(d)² + eps_raw exact below 2^52;
   * v = m·2^s with m in [2^(t−2), 2^t) indexes a table of sqrt(N)/sqrt(m); rstd = entry·2^(−s/2)
   * exactly in a type spanning every s the row can have; z = cast(raw(d)·rstd → norm), raw(d) the
   * integer behind d (so rstd·raw(d) = d/N / sqrt(var + eps));
   * y = cast(z·gamma + beta → Y).
   */
  layerNorm(n: Node<'LayerNorm'>, xT: FixedType, R: FixedType, inputs: string[], prec: PrecDraft): void {
    const typeVar = (v: 'weight' | 'bias' | 'table') => resolveType(this.cfg, n.name, n.op, v);
    inputs[1] = this.constTyped(n, 1, typeVar('weight') ?? DEFAULT_TYPE);
    if (n.inputs[2]) inputs[2] = this.constTyped(n, 2, typeVar('bias') ?? DEFAULT_TYPE);
    const xs = this.values.get(n.inputs[0]!)!.shape;
    const N = xs.slice(xs.length + n.attrs.axis).reduce((p, d) => p * d, 1);
    const lg = Math.ceil(Math.log2(N));
    const Fx = fracBits(xT);
    const sumT = fixedType(xT.width + lg, xT.int + lg, { signed: xT.signed });
    // |N·x − sum| < N·2^w: w + lg + 1 signed bits hold it.
    const dT = fixedType(xT.width + lg + 1, xT.int + lg + 1);
    const dBound = N * 2 ** xT.width;
    const eps = Math.max(1, Math.round(n.attrs.epsilon * N ** 3 * 2 ** (2 * Fx)));
    const vMax = N * dBound * dBound + eps;
    if (!(vMax < 2 ** 52)) {
      throw new NnInputError(
        `layer '${n.name}' (LayerNorm): the variance sum of ${N} values of a ${xT.width}-bit input (${Math.ceil(Math.log2(vMax))} bits) exceeds the 52 bits this kernel computes exactly, or epsilon ${n.attrs.epsilon} is too large for its grid; give this layer's input a narrower type`,
      );
    }
    const bitlen = (v: number) => {
      let p = 0;
      while (2 ** p <= v) p++;
      return p;
    };
    const size = resolveTableSize(this.cfg, n.name, n.op);
    if (size < 3) throw new NnInputError(`layer '${n.name}' (LayerNorm): table_size ${size} is below the 3 entries its 1/sqrt table needs`);
    const t = Math.floor(Math.log2(size / 3)) + 2;
    const half = (p: number) => (p - t + (((p - t) % 2) + 2) % 2) / 2;
    const hMin = half(bitlen(eps));
    const hMax = half(bitlen(vMax));
    const tabT = typeVar('table') ?? typeForRange(0, Math.sqrt(N) / Math.sqrt(2 ** (t - 2)), 18);
    const spec = { fn: 'rsqrt' as const, params: [N], inType: intType(t, false), base: 2 ** (t - 2), shift: 0, size: 3 * 2 ** (t - 2) };
    prec.tables = { rsqrt: this.addTable(n, 'rsqrt', spec, tabT) };
    const rstdT = fixedType(tabT.width + hMax - hMin, tabT.int - hMin, { signed: false });
    const normT = fixedType(Math.max(18, R.width + 2), Math.ceil(Math.log2(Math.sqrt(N))) + 2, { q: 'AP_RND_CONV', o: 'AP_SAT' });
    prec.types = { sum: sumT, diff: dT, rstd: rstdT, norm: normT };
    prec.ints = { eps, mant: t, hmin: hMin, hmax: hMax, vbits: bitlen(vMax) };
  }

  node(n: Node): void {
    const prec: PrecDraft = {};
    const inputs = [...n.inputs];
    // The first run-time input (a constant may come first, as in `1 - x`).
    const first = n.inputs.find((i) => i && !isConst(this.values.get(i)!)) ?? n.inputs[0]!;
    const xT = this.type(first);
    const R = this.resultType(n);
    let outT = R;
    // Per-output types, for ops whose outputs differ (recurrent: Y, Y_h, Y_c).
    let outTs: FixedType[] | undefined;
    const typeVar = (v: 'weight' | 'bias' | 'accum' | 'table' | 'exp_table' | 'inv_table') => resolveType(this.cfg, n.name, n.op, v);
    switch (n.op) {
      case 'Dense':
      case 'Conv':
      case 'ConvTranspose': {
        inputs[1] = this.constTyped(n, 1, this.constType(n, 1, 'weight'));
        const corr = this.cfg.layers[n.name]?.biasCorrection;
        if (n.inputs[2]) {
          const bT = this.constType(n, 2, 'bias');
          inputs[2] = corr && isConst(this.values.get(n.inputs[2])!) ? this.correctedBias(n, corr, bT) : this.constTyped(n, 2, bT);
        } else if (corr) {
          throw new NnInputError(`layers.${n.name}.bias_correction: layer '${n.name}' (${n.op}) has no bias to correct; remove the entry`);
        }
        const w = this.values.get(inputs[1]!)!;
        const outCh = w.shape[w.shape.length - 1]!;
        const configured = typeVar('accum');
        prec.accum = configured ?? this.derivedAccum(n, xT, inputs[1]!, inputs[2] || undefined, outCh);
        // Quantizer-typed input and weights (a binarized or few-bit layer): the exact sum, as the
        // model computes it, is the result — popcount-sized, and no default type to overflow.
        const exact = !configured && !this.explicitResult(n) && this.quantizerExact.has(first) && !!this.values.get(n.inputs[1]!)?.quantized && sameType(w.fixed!, w.quantized!);
        if (exact) {
          outT = prec.accum;
          this.quantizerExact.add(n.outputs[0]!);
        }
        break;
      }
      case 'MatMul': {
        // A product of two tensors (run-time or one constant typed as a weight): exact products
        // on the sum of the grids; the derived accumulator holds K of them at the operands'
        // extremes, so no partial sum overflows.
        for (const slot of [0, 1]) {
          if (isConst(this.values.get(n.inputs[slot]!)!)) inputs[slot] = this.constTyped(n, slot, typeVar('weight') ?? DEFAULT_TYPE);
        }
        const aT = this.type(inputs[0]!);
        const bT = this.type(inputs[1]!);
        const as = this.values.get(n.inputs[0]!)!.shape;
        const K = as[as.length - 1]!;
        prec.accum = typeVar('accum') ?? typeHolding(K * maxAbsRaw(aT) * maxAbsRaw(bT), fracBits(aT) + fracBits(bT));
        break;
      }
      case 'LayerNorm':
        this.layerNorm(n, xT, R, inputs, prec);
        break;
      case 'Gelu': {
        // y = cast(x · Φ(x)): Φ from a table over [−8, 8) (0 and 1 beyond, where x·Φ is 0 or x).
        const range = resolveTableRange(this.cfg, n.name, n.op) ?? [-8, 8];
        const geo = tableGeometry(xT, range[0], range[1], resolveTableSize(this.cfg, n.name, n.op));
        const params = [n.attrs.approximate === 'tanh' ? 1 : 0];
        prec.tables = { cdf: this.addTable(n, 'cdf', { fn: 'normcdf', params, inType: xT, ...geo }, typeVar('table') ?? fixedType(18, 1, { signed: false })) };
        break;
      }
      case 'Affine': {
        inputs[1] = this.constTyped(n, 1, this.constType(n, 1, 'weight'));
        inputs[2] = this.constTyped(n, 2, this.constType(n, 2, 'bias'));
        // A threshold (bipolar-threshold) on an exact input: its exact value is the result, so the sign is float's.
        const sV = this.values.get(inputs[1]!)!;
        const tV = this.values.get(inputs[2]!)!;
        const typed = (v: Value) => !!v.quantized && sameType(v.fixed!, v.quantized);
        if (!this.explicitResult(n) && this.quantizerExact.has(first) && typed(sV) && typed(tV)) {
          const [fx, fs, ft] = [fracBits(xT), fracBits(sV.fixed!), fracBits(tV.fixed!)];
          const fa = Math.max(fx + fs, ft);
          const maxRaw = (name: string) => this.raws(name).reduce((m, r) => Math.max(m, Math.abs(r)), 0);
          outT = typeHolding(maxAbsRaw(xT) * maxRaw(inputs[1]!) * 2 ** (fa - fx - fs) + maxRaw(inputs[2]!) * 2 ** (fa - ft), fa);
        }
        break;
      }
      case 'PRelu':
        inputs[1] = this.constTyped(n, 1, this.constType(n, 1, 'weight'));
        break;
      case 'Floor':
      case 'Ceil':
      case 'Round': {
        // The integer part through a whole-number type: truncation (AP_TRN) floors, Ceil is
        // −floor(−x), Round is AP_RND_CONV (halves to even). Two more integer bits than x hold
        // every result (ceil of x's maximum, −x of its minimum) exactly.
        const I = Math.max(xT.int + 2, 2);
        prec.types = { whole: fixedType(I, I, { signed: true, q: n.op === 'Round' ? 'AP_RND_CONV' : 'AP_TRN' }) };
        break;
      }
      case 'LeakyRelu': {
        const alpha = n.attrs.alpha;
        // Only an explicit layer or op-type weight type applies: the model default is for tensors,
        // and a slope like 0.1 deserves its own 18 bits (docs/fixed-point.md).
        const base = this.cfg.layers[n.name]?.types.weight ?? this.cfg.opTypes[n.op]?.types.weight;
        prec.types = { alpha: base ?? actParamType(alpha) };
        break;
      }
      case 'Add':
      case 'Sub':
      case 'Mul':
      case 'Max':
      case 'Min':
        for (const slot of [0, 1]) {
          const v = this.values.get(n.inputs[slot]!)!;
          if (isConst(v)) inputs[slot] = this.constTyped(n, slot, this.constType(n, slot, n.op === 'Mul' ? 'weight' : 'bias'));
        }
        break;
      case 'Reduce': {
        if (n.attrs.fn !== 'Mean' && n.attrs.fn !== 'Sum') break;
        const xs = this.values.get(n.inputs[0]!)!.shape;
        const count = n.attrs.axes.reduce((p, a) => p * xs[xs.length + a]!, 1);
        const g2 = Math.ceil(Math.log2(count));
        // The exact sum's type (the simulator sums exactly; the emitter declares this accumulator).
        prec.accum = fixedType(xT.width + g2, xT.int + g2, { signed: xT.signed });
        if (n.attrs.fn === 'Sum') break;
        // Mean = exact sum · 1/K with 1/K from the same reciprocal table average pooling uses.
        const shape = this.values.get(n.inputs[0]!)!.shape;
        const K = n.attrs.axes.reduce((p, a) => p * shape[shape.length + a]!, 1);
        const countT = intType(bitsFor(K), false);
        prec.tables = {
          recip: this.addTable(n, 'recip', { fn: 'inv', params: [], inType: countT, base: 0, shift: 0, size: K + 1 }, RECIP_TYPE),
        };
        break;
      }
      case 'AvgPool':
      case 'GlobalAvgPool': {
        const K =
          n.op === 'AvgPool'
            ? n.attrs.kernel.reduce((p, d) => p * d, 1)
            : this.values.get(n.inputs[0]!)!.shape.slice(-1 - n.attrs.spatialRank, -1).reduce((p, d) => p * d, 1);
        const grow = Math.ceil(Math.log2(K));
        prec.accum = fixedType(xT.width + grow, xT.int + grow, { signed: xT.signed });
        const countT = intType(bitsFor(K), false);
        prec.tables = {
          recip: this.addTable(n, 'recip', { fn: 'inv', params: [], inType: countT, base: 0, shift: 0, size: K + 1 }, RECIP_TYPE),
        };
        break;
      }
      case 'Softmax': {
        const shape = this.values.get(n.inputs[0]!)!.shape;
        const a = n.attrs;
        const ax = shape.length + a.axis;
        const len = a.toEnd ? shape.slice(ax).reduce((p, d) => p * d, 1) : shape[ax]!;
        const size = resolveTableSize(this.cfg, n.name, n.op);
        const dT = subType(xT, xT);
        const expT = typeVar('exp_table') ?? SOFTMAX_TABLE_TYPE;
        const expG = tableGeometry(dT, -16, 2 ** -fracBits(dT), size);
        const grow = Math.ceil(Math.log2(len));
        const sumT = fixedType(expT.width + grow, expT.int + grow, { signed: false });
        const invG = tableGeometry(sumT, 1, len + 2 ** -fracBits(sumT), size);
        prec.types = { diff: dT, sum: sumT };
        prec.tables = {
          exp: this.addTable(n, 'exp', { fn: 'exp', params: [], inType: dT, ...expG }, expT),
          inv: this.addTable(n, 'inv', { fn: 'inv', params: [], inType: sumT, ...invG }, typeVar('inv_table') ?? SOFTMAX_TABLE_TYPE),
        };
        break;
      }
      case 'LSTM':
      case 'GRU':
      case 'RNN':
        outTs = quantizeRecurrent(this, n, inputs, prec);
        break;
      case 'Quant':
      case 'BipolarQuant':
      case 'QuantizeLinear':
      case 'DequantizeLinear': {
        const notes = this.notes.length;
        outT = this.quantOp(n);
        if ((n.op === 'Quant' || n.op === 'BipolarQuant') && this.notes.length === notes) this.quantizerExact.add(n.outputs[0]!);
        if (n.op === 'Quant') {
          const d = (slot: number) => this.values.get(n.inputs[slot]!)!.data!;
          const grid = perChannelGrid({ scale: d(1), zeroPoint: d(2), bits: d(3)[0]!, ...n.attrs });
          if (grid) {
            prec.types = { grid };
            prec.channels = channelExponents(d(1));
          }
        }
        if (n.op === 'QuantizeLinear') {
          // x / 2^e: x's raw read on a grid e bits finer, the value the cast into y starts from.
          const e = Math.log2(this.values.get(n.inputs[1]!)!.data![0]!);
          prec.types = { scaled: fixedType(xT.width, xT.int - e, { signed: xT.signed }) };
        }
        break;
      }
      default: {
        if (isTableOp(n.op)) {
          const fn = TABLE_FN[n.op];
          const params =
            n.op === 'Elu' ? [n.attrs.alpha] : n.op === 'Selu' ? [n.attrs.alpha, n.attrs.gamma] : n.op === 'HardSigmoid' ? [n.attrs.alpha, n.attrs.beta] : [];
          const [tlo, thi] = rawRange(xT).map((r) => r * 2 ** -fracBits(xT)) as [number, number];
          const range = resolveTableRange(this.cfg, n.name, n.op) ?? (fn === 'sigmoid' || fn === 'tanh' ? [-8, 8] : [tlo, thi + 2 ** -fracBits(xT)]);
          const geo = tableGeometry(xT, range[0], range[1], resolveTableSize(this.cfg, n.name, n.op));
          prec.tables = { f: this.addTable(n, 'f', { fn, params, inType: xT, ...geo }, typeVar('table') ?? R) };
        }
      }
    }
    n.outputs.forEach((o, k) => {
      if (o) this.setFixed(o, outTs?.[k] ?? outT);
    });
    // Data movement of a quantizer's exact values (type inherited) is still exactly them.
    if (hasTrait(n.op, 'keepsType') && !this.explicitResult(n) && this.quantizerExact.has(first)) this.quantizerExact.add(n.outputs[0]!);
    // The constants the datapath compares with or multiplies by, derived once from the types
    // just decided (src/ir/semantics/derived-raws.ts); simulator and emitter read them.
    const raws = derivedRaws({ ...n, inputs } as Node, { value: (name) => this.values.get(name)!, types: prec.types });
    if (raws && Object.keys(raws).length) prec.raws = raws;
    const hasPrec = prec.accum || prec.tables || prec.types || prec.ints || prec.channels || prec.raws;
    // The record is built per op above; verify() checks it against OpPrecision's shape for the op.
    this.nodes.push({ ...n, inputs, ...(hasPrec ? { prec } : {}) } as Node);
  }
}

/**
 * Every type a layer's C++ spells — outputs, accumulator, internal and table types, and the
 * full-precision product of a weighted sum — must fit the headers' HLS_MAX_WIDTH.
 */
function checkDerivedWidths(q: Quantizer, n: Node): void {
  const named: [string, FixedType][] = [];
  for (const o of n.outputs) if (o) named.push([`output '${o}'`, q.type(o)]);
  if (n.prec?.accum) named.push(['accumulator', n.prec.accum]);
  for (const [role, t] of Object.entries(n.prec?.types ?? {})) named.push([`${role} type`, t]);
  if (constOperandName(n.op, 1) === 'weight') {
    const x = q.type(n.inputs[0]!);
    const w = q.type(n.inputs[1]!);
    named.push(['product of input and weight', fixedType(Math.min(x.width + w.width, MAX_WIDTH), x.int)]);
  }
  if (n.op === 'MatMul') {
    const a = q.type(n.inputs[0]!);
    const b = q.type(n.inputs[1]!);
    named.push(['product of its operands', fixedType(Math.min(a.width + b.width, MAX_WIDTH), a.int)]);
  }
  for (const [what, t] of named) {
    if (t.width > HLS_MAX_WIDTH) {
      throw new NnInputError(
        `layer '${n.name}' (${n.op}): its ${what} would be ${t.width} bits wide, beyond the ${HLS_MAX_WIDTH} bits the Xilinx headers accept; choose narrower types (typical widths: 8 to 32)`,
      );
    }
  }
}

/** A config that names layers, op types or inputs the graph does not have is a typo, not a no-op. */
function checkConfigNames(g: Graph, cfg: PrecisionConfig): void {
  const problems: string[] = [];
  const layers = new Set(g.nodes.map((n) => n.name));
  const ops = new Set(g.nodes.map((n) => n.op as string));
  const inputs = new Set(g.inputs.map((i) => i.modelName));
  const list = (s: Set<string>) => [...s].map((x) => `'${x}'`).join(', ');
  for (const k of Object.keys(cfg.layers)) if (!layers.has(k)) problems.push(`layers.${k}: no layer of that name (layers: ${list(layers)})`);
  // An op type the model lacks is fine (one config may serve many models); an unknown one is a typo.
  for (const k of Object.keys(cfg.opTypes)) {
    if (!(k in OPS)) problems.push(`op_types.${k}: not an op type (this model's: ${list(ops)}; all: ${Object.keys(OPS).join(', ')})`);
  }
  for (const k of Object.keys(cfg.inputs)) if (!inputs.has(k)) problems.push(`inputs.${k}: no graph input of that name (inputs: ${list(inputs)})`);
  if (problems.length) {
    throw new NnInputError(`${g.source}: the precision config names what the model does not have (see \`nn2hls inspect\`):\n  ${problems.join('\n  ')}`);
  }
}

export function quantizeGraph(g: Graph, cfg: PrecisionConfig): QuantizeResult {
  checkConfigNames(g, cfg);
  const bad = new Map<string, string[]>();
  const reasons = new Map<string, string>();
  for (const n of g.nodes) {
    // Float-only ops, and ops canonicalization rewrites into kernels when it can (a Div left here
    // divides by a run-time value): the registry says why.
    const why = floatOnlyReason(n) ?? opInfo(n.op).rewritten;
    if (why || (n.op === 'Resize' && n.attrs.mode !== 'nearest')) {
      const key = n.op === 'Resize' ? 'Resize (linear)' : n.op === 'Reduce' ? `Reduce${n.attrs.fn}` : n.op;
      if (why) reasons.set(key, why);
      bad.set(key, [...(bad.get(key) ?? []), n.name]);
    }
    const multi = n.op in RECURRENT_SLOTS;
    if (!multi && n.outputs.length > 1 && n.outputs.slice(1).some((o) => o)) bad.set(n.op, [...(bad.get(n.op) ?? []), n.name]);
  }
  if (bad.size > 0) {
    const lines = [...bad].map(([op, names]) => {
      const hint = reasons.get(op);
      return `  ${op}: ${names.map((x) => `'${x}'`).join(', ')}${hint ? ` — ${hint}` : ''}`;
    });
    throw new NnInputError(`${g.source}: no fixed-point semantics for these ops (float 'run' still works):\n${lines.join('\n')}`);
  }
  const tracked = trackReads(cfg);
  const q = new Quantizer(g, tracked.cfg);
  for (const io of g.inputs) q.setFixed(io.value, cfg.inputs[io.modelName] ?? cfg.model.types.default ?? DEFAULT_TYPE);
  for (const n of g.nodes) {
    try {
      q.node(n);
    } catch (e) {
      // fixedType() refusing a derived width: the user's types are too wide for this layer.
      if (e instanceof NnInputError || !/fixed-point width must be/.test((e as Error).message)) throw e;
      throw new NnInputError(`layer '${n.name}' (${n.op}): a type derived from the precision config is too wide (${(e as Error).message}); choose narrower types`);
    }
    checkDerivedWidths(q, q.nodes[q.nodes.length - 1]!);
  }
  return { graph: { ...g, values: q.values, nodes: q.nodes }, notes: q.notes, ignored: ignoredKeys(g, cfg, tracked.read) };
}

export function quantizePass(cfg: PrecisionConfig): Pass {
  return { name: 'quantize', run: (g) => quantizeGraph(g, cfg).graph };
}
