/**
 * The config flags shared by `simulate` and `compile`, resolved through the one config parser
 * (src/ir/precision-config.ts): --config FILE (JSON or YAML; nn2hls's sections or an hls4ml
 * config, translated with a note per key it cannot honour), --precision TYPE, or --precision
 * auto with --calib FILE (post-training quantization, --bits / --weight-bits / --calib-method
 * max|percentile|mse with --margin or --percentile / --no-bias-correction).
 * Options that would have no effect are refused rather than ignored. The chosen config is
 * written only where asked: --write-config FILE (or, for `compile`, inside the project).
 */
import { renameSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { renderType } from '../ir/fixed.js';
import type { Graph } from '../ir/graph.js';
import {
  type ConfigDocument, configDocumentToJson, defaultConfig, type HlsSection, type LevelSpec, parseUserType, type PrecisionConfig, readConfig,
} from '../ir/precision-config.js';
import { autoPrecision } from '../passes/auto-precision.js';
import { type Calibration, CALIBRATIONS, DEFAULT_CALIBRATION, DEFAULT_PERCENTILE } from '../passes/auto-precision-calibrate.js';
import { canonicalize } from '../passes/pipeline.js';
import { NnInputError } from '../util/tensor.js';
import { fusedLayers } from './inspect.js';
import { readModelInputs } from './io.js';
import { describeModelPrecision, withModelPrecision } from './model-options.js';
import { runFloat } from '../sim/float/executor.js';

export interface PrecisionFlags {
  config?: string;
  precision?: string;
  calib?: string;
  bits?: string;
  weightBits?: string;
  margin?: string;
  calibMethod?: string;
  percentile?: string;
  /** false with --no-bias-correction. */
  biasCorrection?: boolean;
  writeConfig?: string;
}

export function addPrecisionOptions(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'config file (JSON or YAML): precision sections and an "hls" section, or an hls4ml config')
    .option('--precision <type|auto>', "one type for everything (e.g. 'ap_fixed<16,6>'), or 'auto' with --calib")
    .option('--calib <file>', 'calibration inputs (.npy) for --precision auto')
    .option('--bits <n>', 'with --precision auto: width of activations (default 16)')
    .option('--weight-bits <n>', 'with --precision auto: width of weights (and, with --calib-method max, of biases; otherwise biases take their products\' fraction bits) (default: --bits)')
    .option('--calib-method <method>', `with --precision auto: how each tensor's integer bits are chosen: max (hold the calibrated max plus --margin), percentile (hold the --percentile of |v|), mse (least squared error; default)`)
    .option('--margin <fraction>', 'with --calib-method max: headroom over calibrated ranges (default 0.1)')
    .option('--percentile <p>', `with --calib-method percentile: percentile of |v| each type holds (default ${DEFAULT_PERCENTILE})`)
    .option('--no-bias-correction', 'with --precision auto: do not fold the mean shift of weight rounding into the biases (on by default, off with --calib-method max)')
    .option('--write-config <file>', 'write the precision config used (auto\'s choice, a translated hls4ml config) to FILE');
}

function intFlag(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new NnInputError(`${name} must be an integer, got '${v}'`);
  return n;
}

export interface ResolvedConfig {
  cfg: PrecisionConfig;
  hls: HlsSection;
  /** One line saying where the precision came from. */
  describe: string;
  /** The config document as nn2hls JSON, for --write-config or the project. */
  json: string;
  /** True when the precision was chosen here (auto) and is worth keeping next to the project. */
  chosen: boolean;
}

/** hls4ml names a model's input layer like the graph input: such a LayerName entry types that input. */
function moveInputs(g: Graph, doc: ConfigDocument): ConfigDocument {
  if (doc.format !== 'hls4ml') return doc;
  const names = new Set(g.inputs.map((i) => i.modelName));
  const layers = { ...doc.precision.layers };
  const inputs = { ...doc.precision.inputs };
  for (const [name, spec] of Object.entries(doc.precision.layers)) {
    const t = spec.types.result ?? spec.types.default;
    if (names.has(name) && !g.nodes.some((n) => n.name === name) && t) {
      inputs[name] = t;
      delete layers[name];
    }
  }
  return { ...doc, precision: { ...doc.precision, layers, inputs } };
}

/** A config naming a layer that a pass fused into another gets pointed at the layer it went into. */
function checkFusedNames(g: Graph, doc: ConfigDocument): void {
  const names = [...Object.keys(doc.precision.layers).map((k) => `layers.${k}`), ...Object.keys(doc.hls.layers).map((k) => `hls.layers.${k}`)];
  if (!names.length) return;
  const fused = new Map(fusedLayers(g, canonicalize(g)).map((f) => [f.name, f]));
  const problems = names.flatMap((at) => {
    const f = fused.get(at.replace(/^(hls\.)?layers\./, ''));
    return f ? [`${at}: '${f.name}' (${f.op}) ${f.into ? `was fused into '${f.into}'; configure '${f.into}' instead` : 'was removed'}`] : [];
  });
  if (problems.length) throw new NnInputError(`the config names layers that no longer exist after fusion (see 'nn2hls inspect'):\n  ${problems.join('\n  ')}`);
}

/** Writes text atomically (temp file + rename). */
export function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/**
 * `modelTypes`: per-layer types the model fixes itself (QKeras quantizers). They win over the
 * default, --precision TYPE and auto's calibration; a --config file's own layer entries win over
 * them. They are printed, and part of what --write-config and the project record.
 */
export function resolvePrecision(
  g: Graph,
  f: PrecisionFlags,
  log: (s: string) => void,
  modelTypes: Readonly<Record<string, LevelSpec>> = {},
): ResolvedConfig {
  const auto = f.precision === 'auto';
  if (!auto) {
    const given = [
      ['--calib', f.calib], ['--bits', f.bits], ['--weight-bits', f.weightBits], ['--margin', f.margin], ['--calib-method', f.calibMethod],
      ['--percentile', f.percentile], ['--no-bias-correction', f.biasCorrection === false ? 'off' : undefined],
    ] as const;
    for (const [flag, v] of given) {
      if (v !== undefined) throw new NnInputError(`${flag} only has an effect with --precision auto; add --precision auto --calib FILE, or leave ${flag} out`);
    }
  }
  if (f.config && f.precision) throw new NnInputError('give either --config or --precision, not both');
  let doc: ConfigDocument;
  let describe: string;
  if (f.config) {
    doc = moveInputs(g, readConfig(f.config));
    for (const n of doc.notes) log(`note: ${n}`);
    describe = `config ${f.config}${doc.format === 'hls4ml' ? ' (hls4ml, translated)' : ''}`;
  } else if (!f.precision) {
    doc = { precision: defaultConfig(), hls: { layers: {} }, notes: [], format: 'nn2hls' };
    describe = 'default ap_fixed<16,6> (accumulators derived)';
  } else if (!auto) {
    const t = parseUserType(f.precision, '--precision');
    doc = { precision: defaultConfig(t), hls: { layers: {} }, notes: [], format: 'nn2hls' };
    describe = `${renderType(t)} everywhere (accumulators derived)`;
  } else {
    if (!f.calib) throw new NnInputError('--precision auto needs calibration data: add --calib FILE.npy (a few hundred typical inputs)');
    const calib = readModelInputs(g, [f.calib], '--calib', 'calibration data')[0]!;
    const bits = intFlag(f.bits, '--bits') ?? 16;
    const weightBits = intFlag(f.weightBits, '--weight-bits') ?? bits;
    const calibration = (f.calibMethod ?? DEFAULT_CALIBRATION) as Calibration;
    if (!CALIBRATIONS.includes(calibration)) throw new NnInputError(`--calib-method must be one of ${CALIBRATIONS.join(', ')}, got '${f.calibMethod}'`);
    if (f.margin !== undefined && calibration !== 'max') {
      throw new NnInputError(`--margin only has an effect with --calib-method max (the ${calibration} calibration clips by its own rule); add --calib-method max or leave --margin out`);
    }
    if (f.percentile !== undefined && calibration !== 'percentile') {
      throw new NnInputError(`--percentile only has an effect with --calib-method percentile; add --calib-method percentile or leave --percentile out`);
    }
    const margin = Number(f.margin ?? '0.1');
    if (!Number.isFinite(margin)) throw new NnInputError(`--margin must be a number, got '${f.margin}'`);
    const percentile = Number(f.percentile ?? String(DEFAULT_PERCENTILE));
    if (!Number.isFinite(percentile)) throw new NnInputError(`--percentile must be a number, got '${f.percentile}'`);
    const biasCorrection = f.biasCorrection !== false && calibration !== 'max';
    const cfg = autoPrecision(g, [calib], { bits, weightBits, calibration, margin, percentile, biasCorrection, run: runFloat });
    doc = { precision: cfg, hls: { layers: {} }, notes: [], format: 'nn2hls' };
    const n = g.batched ? calib.shape[0] : 1;
    const rule = calibration === 'max' ? `max + ${Math.round(margin * 100)}% margin` : calibration === 'percentile' ? `${percentile}th percentile` : 'least squared error';
    const corrected = Object.values(cfg.layers).filter((l) => l.biasCorrection).length;
    log(
      `auto precision: ${bits}-bit activations, ${weightBits}-bit weights, ranges by ${rule}, ` +
        `bias correction ${biasCorrection ? `on ${corrected} layer(s)` : 'off'}, from ${n} calibration sample(s) in ${f.calib}`,
    );
    for (const [name, t] of Object.entries(cfg.inputs)) log(`  input ${name.padEnd(30)} ${renderType(t)}`);
    for (const [name, l] of Object.entries(cfg.layers)) {
      const parts = Object.entries(l.types).map(([k, t]) => `${k} ${renderType(t!)}`);
      if (l.biasCorrection) parts.push('bias corrected');
      log(`  ${name.padEnd(36)} ${parts.join('  ')}`);
    }
    describe = `auto ${bits}-bit`;
  }
  checkFusedNames(g, doc);
  if (Object.keys(modelTypes).length) {
    doc = { ...doc, precision: withModelPrecision(doc.precision, modelTypes, !!f.config) };
    for (const line of describeModelPrecision(modelTypes)) log(line);
    describe = `${describe}, with the model's quantizer types`;
  }
  const json = configDocumentToJson(doc);
  if (f.writeConfig) {
    writeAtomic(f.writeConfig, json);
    log(`config written to ${f.writeConfig} (edit it and pass it back with --config ${f.writeConfig})`);
  }
  return { cfg: doc.precision, hls: doc.hls, describe, json, chosen: auto };
}
