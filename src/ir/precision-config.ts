/**
 * The one config schema and parser of every command. A config file is JSON or YAML and holds the
 * precision sections below plus an optional "hls" section (part, clock, io, strategy, reuse,
 * multiplier, per-layer strategy/reuse/multiplier) read by `compile`; an hls4ml config is accepted too and translated
 * (hls4ml-config.ts). The precision configuration is hls4ml-like in granularity: a model default, then per op
 * type, then per layer (IR node name), each optionally per variable (`weight`, `bias`, `result`,
 * `accum`, `table`, and Softmax's `exp_table`, `inv_table`). The most specific setting wins:
 * layer.var > layer.default > op_type.var > op_type.default > model.var > model.default.
 * Accumulators and internal sum types are derived (wide enough never to overflow) unless a var
 * names them explicitly. Graph inputs are typed under `inputs` by their model name.
 *
 * JSON form (a layer or op-type entry may also be a plain type string, meaning its default):
 *   { "model": {"default": "ap_fixed<16,6>", "table_size": 1024},
 *     "op_types": {"Softmax": {"exp_table": "ap_ufixed<18,1>"}},
 *     "layers": {"fc1": {"weight": "ap_fixed<8,2>", "result": "ap_fixed<16,6,AP_RND_CONV,AP_SAT>"}},
 *     "inputs": {"input_1": "ap_fixed<16,6>"} }
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { NnInputError } from '../util/tensor.js';
import { type FixedType, HLS_MAX_WIDTH, parseType, renderType } from './fixed.js';
import { isHls4mlConfig, translateHls4ml } from './hls4ml-config.js';

export const VARIABLES = [
  'default', 'weight', 'bias', 'result', 'accum', 'table', 'exp_table', 'inv_table', 'gate', 'state', 'recurrent_weight',
] as const;
export type PrecVar = Exclude<(typeof VARIABLES)[number], 'default'>;

export interface LevelSpec {
  readonly types: { readonly [K in (typeof VARIABLES)[number]]?: FixedType };
  readonly tableSize?: number;
  /** Input interval of the table of a Sigmoid/Tanh layer, [lo, hi). */
  readonly tableRange?: readonly [number, number];
  /** `accum: "auto"`: derive the accumulator here, whatever a less specific level names. */
  readonly autoAccum?: boolean;
  /**
   * `bias_correction` (a layer's own entry only): per output channel, added to a Dense/Conv
   * layer's bias before it is quantized (post-training bias correction; see auto-precision.ts).
   */
  readonly biasCorrection?: readonly number[];
}

export interface PrecisionConfig {
  readonly model: LevelSpec;
  readonly opTypes: { readonly [op: string]: LevelSpec };
  readonly layers: { readonly [name: string]: LevelSpec };
  readonly inputs: { readonly [modelName: string]: FixedType };
}

export const DEFAULT_TYPE: FixedType = parseType('ap_fixed<16,6>');
export const DEFAULT_TABLE_SIZE = 1024;

/** ap_fixed<16,6> everywhere, accumulators derived: what a user gets when configuring nothing. */
export function defaultConfig(type: FixedType = DEFAULT_TYPE): PrecisionConfig {
  return { model: { types: { default: type } }, opTypes: {}, layers: {}, inputs: {} };
}

function parseLevel(raw: unknown, where: string): LevelSpec {
  if (typeof raw === 'string') return { types: { default: parseAt(raw, where) } };
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new NnInputError(`${where}: expected a type string or an object of variables (${VARIABLES.join(', ')}, table_size, table_range)`);
  }
  const types: Record<string, FixedType> = {};
  let tableSize: number | undefined;
  let tableRange: [number, number] | undefined;
  let autoAccum = false;
  let biasCorrection: number[] | undefined;
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    const at = `${where}.${k}`;
    if (k === 'bias_correction') {
      if (!Array.isArray(v) || !v.length || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
        throw new NnInputError(`${at}: expected a non-empty list of numbers (one per output channel), got ${JSON.stringify(v)}`);
      }
      biasCorrection = v;
    } else if (k === 'table_size') {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 2 || v > 65536) {
        throw new NnInputError(`${at}: expected an integer 2..65536, got ${JSON.stringify(v)}`);
      }
      tableSize = v;
    } else if (k === 'table_range') {
      if (!Array.isArray(v) || v.length !== 2 || !v.every((x) => typeof x === 'number' && Number.isFinite(x)) || v[0] >= v[1]) {
        throw new NnInputError(`${at}: expected [lo, hi] with lo < hi, got ${JSON.stringify(v)}`);
      }
      tableRange = [v[0], v[1]];
    } else if ((VARIABLES as readonly string[]).includes(k)) {
      if (k === 'accum' && v === 'auto') {
        autoAccum = true;
        continue;
      }
      if (typeof v !== 'string') throw new NnInputError(`${at}: expected a type string such as "ap_fixed<16,6>", got ${JSON.stringify(v)}`);
      types[k] = parseAt(v, at);
    } else {
      throw new NnInputError(`${at}: unknown key '${k}'; expected one of ${VARIABLES.join(', ')}, table_size, table_range, bias_correction`);
    }
  }
  return {
    types,
    ...(tableSize !== undefined ? { tableSize } : {}),
    ...(tableRange ? { tableRange } : {}),
    ...(autoAccum ? { autoAccum } : {}),
    ...(biasCorrection ? { biasCorrection } : {}),
  };
}

/**
 * A type the user wrote, as a user error when it is malformed or wider than the headers accept
 * (HLS_MAX_WIDTH): `where` says which flag or config key it came from.
 */
export function parseUserType(s: string, where: string): FixedType {
  let t: FixedType;
  try {
    t = parseType(s);
  } catch (e) {
    throw new NnInputError(`${where}: ${(e as Error).message}`);
  }
  if (t.width > HLS_MAX_WIDTH) {
    throw new NnInputError(
      `${where}: '${s}' is ${t.width} bits wide; the Xilinx headers accept at most ${HLS_MAX_WIDTH} (AP_INT_MAX_W), ` +
        'and layers need room for their products and sums within that. Choose a narrower type (typical widths: 8 to 32)',
    );
  }
  return t;
}

function parseAt(s: string, where: string): FixedType {
  return parseUserType(s, where);
}

function parseMap<T>(raw: unknown, where: string, f: (v: unknown, at: string) => T): Record<string, T> {
  if (raw === undefined) return {};
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new NnInputError(`${where}: expected an object keyed by name`);
  const out: Record<string, T> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) out[k] = f(v, `${where}.${k}`);
  return out;
}

/** Parses a config object; `where` prefixes every error (the file name). */
export function parseConfig(raw: unknown, where: string): PrecisionConfig {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new NnInputError(`${where}: the config must be a JSON object`);
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!['model', 'op_types', 'layers', 'inputs'].includes(k)) {
      throw new NnInputError(`${where}: unknown top-level key '${k}'; expected model, op_types, layers, inputs`);
    }
  }
  const model = o['model'] === undefined ? { types: { default: DEFAULT_TYPE } } : parseLevel(o['model'], `${where}: model`);
  return {
    model: model.types.default ? model : { ...model, types: { ...model.types, default: DEFAULT_TYPE } },
    opTypes: parseMap(o['op_types'], `${where}: op_types`, parseLevel),
    layers: parseMap(o['layers'], `${where}: layers`, parseLevel),
    inputs: parseMap(o['inputs'], `${where}: inputs`, (v, at) => {
      if (typeof v !== 'string') throw new NnInputError(`${at}: expected a type string`);
      return parseAt(v, at);
    }),
  };
}

export type HlsStrategy = 'latency' | 'resource';
/**
 * What the layer's weight products are bound to: DSP slices, LUT fabric, or the tool's choice.
 * Emitted per layer as BIND_OP (Vitis HLS) / RESOURCE core (Vivado HLS) in the product helper of
 * nn_common.h; the estimator honours it (fabric: no DSP).
 */
export type HlsMultiplier = 'dsp' | 'fabric' | 'auto';

export interface HlsLayerSection {
  readonly strategy?: HlsStrategy;
  readonly reuse?: number;
  readonly multiplier?: HlsMultiplier;
}

/**
 * The `hls` section: what `compile` builds. Command-line flags override it; `part`, `clock` and
 * `io` come from hls4ml configs (Part, ClockPeriod, IOType) or may be written by hand.
 */
export interface HlsSection {
  readonly part?: string;
  /** As written ("5ns", "200MHz"); the CLI parses it with units. */
  readonly clock?: string;
  readonly io?: 'parallel' | 'stream';
  readonly strategy?: HlsStrategy;
  readonly reuse?: number;
  readonly multiplier?: HlsMultiplier;
  readonly layers: { readonly [layer: string]: HlsLayerSection };
}

/** A whole config file: precision sections, the hls section, and notes from translating it. */
export interface ConfigDocument {
  readonly precision: PrecisionConfig;
  readonly hls: HlsSection;
  /** One line per hls4ml key that could not be honoured (empty for nn2hls configs). */
  readonly notes: readonly string[];
  readonly format: 'nn2hls' | 'hls4ml';
}

function checkStrategyValue(v: unknown, at: string): HlsStrategy {
  if (v !== 'latency' && v !== 'resource') throw new NnInputError(`${at}: strategy must be "latency" or "resource", got ${JSON.stringify(v)}`);
  return v;
}

function checkReuseValue(v: unknown, at: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65536) {
    throw new NnInputError(`${at}: reuse factor must be an integer 1..65536, got ${JSON.stringify(v)}`);
  }
  return v;
}

function checkMultiplierValue(v: unknown, at: string): HlsMultiplier {
  if (v !== 'dsp' && v !== 'fabric' && v !== 'auto') throw new NnInputError(`${at}: multiplier must be "dsp", "fabric" or "auto", got ${JSON.stringify(v)}`);
  return v;
}

function parseHls(raw: unknown, where: string): HlsSection {
  if (raw === undefined) return { layers: {} };
  const o = raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : undefined;
  if (!o) throw new NnInputError(`${where}: "hls" must be an object`);
  const out: { -readonly [K in keyof HlsSection]: HlsSection[K] } = { layers: {} };
  for (const [k, v] of Object.entries(o)) {
    const at = `${where}: hls.${k}`;
    if (k === 'strategy') out.strategy = checkStrategyValue(v, at);
    else if (k === 'reuse') out.reuse = checkReuseValue(v, at);
    else if (k === 'multiplier') out.multiplier = checkMultiplierValue(v, at);
    else if (k === 'part') {
      if (typeof v !== 'string' || !v.trim()) throw new NnInputError(`${at}: expected a part name such as "xczu7ev-ffvc1156-2-e"`);
      out.part = v.trim();
    } else if (k === 'clock') {
      if (typeof v !== 'string') throw new NnInputError(`${at}: expected a string with a unit, such as "5ns" or "200MHz"`);
      out.clock = v;
    } else if (k === 'io') {
      if (v !== 'parallel' && v !== 'stream') throw new NnInputError(`${at}: expected "parallel" or "stream", got ${JSON.stringify(v)}`);
      out.io = v;
    } else if (k === 'layers') {
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw new NnInputError(`${at}: must be an object keyed by layer name`);
      const layers: Record<string, HlsLayerSection> = {};
      for (const [name, lv] of Object.entries(v as Record<string, unknown>)) {
        const la = `${at}.${name}`;
        if (!lv || typeof lv !== 'object' || Array.isArray(lv)) throw new NnInputError(`${la}: must be an object with strategy, reuse and/or multiplier`);
        const e: { strategy?: HlsStrategy; reuse?: number; multiplier?: HlsMultiplier } = {};
        for (const [lk, x] of Object.entries(lv as Record<string, unknown>)) {
          if (lk === 'strategy') e.strategy = checkStrategyValue(x, `${la}.strategy`);
          else if (lk === 'reuse') e.reuse = checkReuseValue(x, `${la}.reuse`);
          else if (lk === 'multiplier') e.multiplier = checkMultiplierValue(x, `${la}.multiplier`);
          else throw new NnInputError(`${la}: unknown key '${lk}'; expected strategy, reuse, multiplier`);
        }
        layers[name] = e;
      }
      out.layers = layers;
    } else throw new NnInputError(`${at}: unknown key '${k}'; expected part, clock, io, strategy, reuse, multiplier, layers`);
  }
  return out;
}

/**
 * Parses a whole config document (already read from JSON or YAML): nn2hls's own sections, or an
 * hls4ml config, which is translated first (see hls4ml-config.ts).
 */
export function parseConfigDocument(raw: unknown, where: string): ConfigDocument {
  if (isHls4mlConfig(raw)) {
    const t = translateHls4ml(raw as Record<string, unknown>, where);
    const { hls, ...rest } = t.doc;
    return { precision: parseConfig(rest, `${where} (translated from hls4ml)`), hls: parseHls(hls, where), notes: t.notes, format: 'hls4ml' };
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new NnInputError(`${where}: the config must be an object (JSON or YAML mapping)`);
  const { hls, ...rest } = raw as Record<string, unknown>;
  return { precision: parseConfig(rest, where), hls: parseHls(hls, where), notes: [], format: 'nn2hls' };
}

/** The YAML parser, loaded on the first YAML config (~35 ms of start-up every command would pay). */
function parseYaml(text: string): unknown {
  return (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse(text);
}

/** Reads a config file: JSON, or YAML for .yml/.yaml (YAML is a superset of JSON, so either parses). */
export function readConfig(path: string): ConfigDocument {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new NnInputError(`${path}: cannot read the config (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let raw: unknown;
  if (/\.ya?ml$/i.test(path)) {
    try {
      raw = parseYaml(text);
    } catch (e) {
      throw new NnInputError(`${path}: not valid YAML (${(e as Error).message.split('\n')[0]})`);
    }
  } else {
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw new NnInputError(`${path}: not valid JSON (${(e as Error).message}); YAML configs need a .yml or .yaml name`);
    }
  }
  return parseConfigDocument(raw, path);
}

/** The precision part of a config file (the hls section, if any, is checked and left out). */
export function readConfigFile(path: string): PrecisionConfig {
  return readConfig(path).precision;
}

/** How one variable of one layer resolves; `undefined` means "derive it". */
export function resolveType(cfg: PrecisionConfig, layer: string, op: string, v: PrecVar): FixedType | undefined {
  const l = cfg.layers[layer];
  const t = cfg.opTypes[op];
  // Accumulators and table types are never taken from a bare default: they are derived from the
  // layer's own types unless named.
  const viaDefault = v === 'weight' || v === 'bias' || v === 'result';
  for (const level of [l, t, cfg.model]) {
    if (!level) continue;
    const found = level.types[v] ?? (viaDefault ? level.types.default : undefined);
    if (found) return found;
    // `accum: "auto"` stops the search: derive it rather than take a less specific one.
    if (v === 'accum' && level.autoAccum) return undefined;
  }
  return undefined;
}

export function resolveTableSize(cfg: PrecisionConfig, layer: string, op: string): number {
  return cfg.layers[layer]?.tableSize ?? cfg.opTypes[op]?.tableSize ?? cfg.model.tableSize ?? DEFAULT_TABLE_SIZE;
}

export function resolveTableRange(cfg: PrecisionConfig, layer: string, op: string): readonly [number, number] | undefined {
  return cfg.layers[layer]?.tableRange ?? cfg.opTypes[op]?.tableRange ?? cfg.model.tableRange;
}

function levelJson(l: LevelSpec): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const k of VARIABLES) {
    if (l.types[k]) o[k] = renderType(l.types[k]);
    else if (k === 'accum' && l.autoAccum) o[k] = 'auto';
  }
  if (l.tableSize !== undefined) o['table_size'] = l.tableSize;
  if (l.tableRange) o['table_range'] = [...l.tableRange];
  if (l.biasCorrection) o['bias_correction'] = [...l.biasCorrection];
  return o;
}

function configObject(cfg: PrecisionConfig): Record<string, unknown> {
  const map = (m: { readonly [k: string]: LevelSpec }) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, levelJson(v)]));
  return {
    model: levelJson(cfg.model),
    op_types: map(cfg.opTypes),
    layers: map(cfg.layers),
    inputs: Object.fromEntries(Object.entries(cfg.inputs).map(([k, v]) => [k, renderType(v)])),
  };
}

/** The JSON text of a config (stable key order), readable back by parseConfig. */
export function configToJson(cfg: PrecisionConfig): string {
  return `${JSON.stringify(configObject(cfg), null, 2)}\n`;
}

/** A whole config document as nn2hls JSON (an hls4ml config comes out translated), readable by readConfig. */
export function configDocumentToJson(doc: Pick<ConfigDocument, 'precision' | 'hls'>): string {
  const o = configObject(doc.precision);
  const h = doc.hls;
  const hls: Record<string, unknown> = {};
  for (const k of ['part', 'clock', 'io', 'strategy', 'reuse', 'multiplier'] as const) if (h[k] !== undefined) hls[k] = h[k];
  if (Object.keys(h.layers).length) hls['layers'] = h.layers;
  if (Object.keys(hls).length) o['hls'] = hls;
  return `${JSON.stringify(o, null, 2)}\n`;
}
