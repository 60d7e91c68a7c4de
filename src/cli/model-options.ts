/**
 * Model-side command-line pieces shared by the commands: the --weights option of Keras
 * architecture .json models, and the precision that a model fixes itself (QKeras quantizers: a layer's weight/bias types, a
 * QActivation's result type) joined with the precision the user chose. The model's per-layer
 * types win over --precision TYPE, the default and --precision auto calibration; a --config
 * file's own per-layer entries win over them (that is how a user overrides them). The merged
 * config is what simulate and compile print and write, so the quantizer types are visible.
 */
import type { Command } from 'commander';
import { type LoadedModel, type LoadOptions, loadModelAsync } from '../frontend/index.js';
import { addCutOptions, cutOptionsOf, type CutFlags } from './cut-options.js';
import { renderType } from '../ir/fixed.js';
import type { LevelSpec, PrecisionConfig } from '../ir/precision-config.js';

export interface ModelFlags extends CutFlags {
  weights?: string;
}

export function addModelOptions(cmd: Command): Command {
  return addCutOptions(cmd).option('--weights <file>', 'Keras: weights .h5 of an architecture .json (default <stem>_weights.h5 beside it)');
}

/** What the model flags ask of the loader: a graph cut (--inputs/--outputs) and a Keras weights file. */
export function loadOptionsOf(f: ModelFlags): LoadOptions {
  return { ...cutOptionsOf(f), ...(f.weights ? { weights: f.weights } : {}) };
}

/** Loads the model named on the command line, printing any import notes. */
export async function loadForCommand(model: string, f: ModelFlags, log: (s: string) => void): Promise<LoadedModel> {
  const m = await loadModelAsync(model, loadOptionsOf(f));
  for (const n of m.notes) log(`note: ${n}`);
  return m;
}

export function withModelPrecision(
  cfg: PrecisionConfig,
  model: Readonly<Record<string, LevelSpec>>,
  userWins: boolean,
): PrecisionConfig {
  if (Object.keys(model).length === 0) return cfg;
  const layers: Record<string, LevelSpec> = { ...cfg.layers };
  for (const [name, spec] of Object.entries(model)) {
    const mine = cfg.layers[name];
    if (!mine) {
      layers[name] = spec;
      continue;
    }
    layers[name] = userWins
      ? { ...spec, ...mine, types: { ...spec.types, ...mine.types } }
      : { ...mine, ...spec, types: { ...mine.types, ...spec.types } };
  }
  return { ...cfg, layers };
}

/** One line per layer the model typed, for the command's output. */
export function describeModelPrecision(model: Readonly<Record<string, LevelSpec>>): string[] {
  const names = Object.keys(model);
  if (names.length === 0) return [];
  const w = Math.max(...names.map((n) => n.length));
  return [
    `quantizer types from the model (${names.length} layer(s); they win over --precision, override them per layer with --config):`,
    ...names.map((n) => `  ${n.padEnd(w)}  ${Object.entries(model[n]!.types).map(([k, t]) => `${k} ${renderType(t!)}`).join('  ')}`),
  ];
}
