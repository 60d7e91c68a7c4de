/**
 * The precision flags shared by `simulate` and `compile`: --config FILE, --precision TYPE, or
 * --precision auto with --calib FILE (post-training quantization, --bits / --weight-bits /
 * --margin). Resolves them to one PrecisionConfig; for `auto` it prints the chosen type of
 * every tensor and writes the config to a file the user can edit and pass back with --config.
 */
import { writeFileSync, renameSync } from 'node:fs';
import type { Command } from 'commander';
import { parseType, renderType } from '../ir/fixed.js';
import type { Graph } from '../ir/graph.js';
import { configToJson, defaultConfig, type LevelSpec, type PrecisionConfig, readConfigFile } from '../ir/precision-config.js';
import { autoPrecision } from '../passes/auto-precision.js';
import { NnInputError } from '../util/tensor.js';
import { readInputTensor } from './io.js';
import { describeModelPrecision, withModelPrecision } from './model-options.js';

export interface PrecisionFlags {
  config?: string;
  precision?: string;
  calib?: string;
  bits?: string;
  weightBits?: string;
  margin?: string;
  writeConfig?: string;
}

export function addPrecisionOptions(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'precision config (JSON): model default, per op type, per layer, per variable')
    .option('--precision <type|auto>', "one type for everything (e.g. 'ap_fixed<16,6>'), or 'auto' with --calib")
    .option('--calib <file>', 'calibration inputs (.npy) for --precision auto')
    .option('--bits <n>', 'auto: width of activations', '16')
    .option('--weight-bits <n>', 'auto: width of weights and biases (default: --bits)')
    .option('--margin <fraction>', 'auto: headroom over calibrated ranges', '0.1')
    .option('--write-config <file>', 'where to write the chosen config (auto: default <model>.precision.json; also written for models with quantizer types)');
}

function intFlag(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new NnInputError(`${name} must be an integer, got '${v}'`);
  return n;
}

export interface ResolvedPrecision {
  cfg: PrecisionConfig;
  /** One line saying where the precision came from. */
  describe: string;
}

/**
 * `modelTypes`: per-layer types the model fixes (QKeras); they are merged in (see
 * model-options.ts), printed, and written with --write-config.
 */
export function resolvePrecision(
  g: Graph,
  modelPath: string,
  f: PrecisionFlags,
  log: (s: string) => void,
  modelTypes: Readonly<Record<string, LevelSpec>> = {},
): ResolvedPrecision {
  const r = resolveUserPrecision(g, modelPath, f, log, modelTypes);
  if (Object.keys(modelTypes).length === 0) return r;
  for (const line of describeModelPrecision(modelTypes)) log(line);
  if (f.writeConfig && f.precision !== 'auto') {
    const tmp = `${f.writeConfig}.tmp-${process.pid}`;
    writeFileSync(tmp, configToJson(r.cfg));
    renameSync(tmp, f.writeConfig);
    log(`precision config written to ${f.writeConfig} (edit it and pass it back with --config ${f.writeConfig})`);
  }
  return { ...r, describe: `${r.describe}, with the model's quantizer types` };
}

function resolveUserPrecision(
  g: Graph,
  modelPath: string,
  f: PrecisionFlags,
  log: (s: string) => void,
  modelTypes: Readonly<Record<string, LevelSpec>>,
): ResolvedPrecision {
  if (f.config && f.precision) throw new NnInputError('give either --config or --precision, not both');
  if (f.config) return { cfg: withModelPrecision(readConfigFile(f.config), modelTypes, true), describe: `config ${f.config}` };
  if (!f.precision) {
    if (f.calib) throw new NnInputError('--calib is only used with --precision auto');
    return { cfg: withModelPrecision(defaultConfig(), modelTypes, false), describe: 'default ap_fixed<16,6> (accumulators derived)' };
  }
  if (f.precision !== 'auto') {
    if (f.calib) throw new NnInputError('--calib is only used with --precision auto');
    let t;
    try {
      t = parseType(f.precision);
    } catch (e) {
      throw new NnInputError(`--precision: ${(e as Error).message}`);
    }
    return { cfg: withModelPrecision(defaultConfig(t), modelTypes, false), describe: `${renderType(t)} everywhere (accumulators derived)` };
  }
  if (!f.calib) throw new NnInputError('--precision auto needs calibration data: add --calib FILE.npy (a few hundred typical inputs)');
  const calib = readInputTensor(f.calib);
  const bits = intFlag(f.bits, '--bits') ?? 16;
  const weightBits = intFlag(f.weightBits, '--weight-bits') ?? bits;
  const margin = Number(f.margin ?? '0.1');
  if (!Number.isFinite(margin)) throw new NnInputError(`--margin must be a number, got '${f.margin}'`);
  // The model's own quantizer types win over calibrated ones.
  const cfg = withModelPrecision(autoPrecision(g, [calib], { bits, weightBits, margin }), modelTypes, false);
  const out = f.writeConfig ?? `${modelPath.replace(/^.*[\\/]/, '').replace(/\.[^.]*$/, '')}.precision.json`;
  const tmp = `${out}.tmp-${process.pid}`;
  writeFileSync(tmp, configToJson(cfg));
  renameSync(tmp, out);
  const n = g.batched ? calib.shape[0] : 1;
  log(`auto precision: ${bits}-bit activations, ${weightBits}-bit weights, ${Math.round(margin * 100)}% margin, from ${n} calibration sample(s) in ${f.calib}`);
  for (const [name, t] of Object.entries(cfg.inputs)) log(`  input ${name.padEnd(30)} ${renderType(t)}`);
  for (const [name, l] of Object.entries(cfg.layers)) {
    const parts = Object.entries(l.types).map(([k, t]) => `${k} ${renderType(t!)}`);
    log(`  ${name.padEnd(36)} ${parts.join('  ')}`);
  }
  log(`written to ${out} (edit it and pass it back with --config ${out})`);
  return { cfg, describe: `auto ${bits}-bit (config ${out})` };
}
