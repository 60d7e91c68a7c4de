/**
 * The graph-cut options every model-taking command shares: `--inputs NAME[:k][:d0,d1,...]`
 * (repeatable; start the graph at these tensors, with their full dims, -1 for the batch) and
 * `--outputs NAME[,NAME]` (end it there). They cut TensorFlow graphs, e.g. to start a keyword-
 * spotting model at its MFCC features after the audio front end. A compiled project records
 * how its model was loaded (nn2hls.load.json: the cut, and the weights .h5 of a Keras
 * architecture .json with its hash) so csim rebuilds the same graph from the same files.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { LoadOptions } from '../frontend/index.js';
import { NnInputError } from '../util/tensor.js';

export interface CutFlags {
  inputs?: string[];
  outputs?: string;
}

export function addCutOptions(cmd: Command): Command {
  return cmd
    .option('--inputs <spec>', 'start the graph at tensor NAME[:k][:d0,d1,...] (TensorFlow; repeatable; dims in full, -1 = batch)', (v: string, p: string[]) => [...p, v], [] as string[])
    .option('--outputs <names>', 'end the graph at these tensors NAME[,NAME] (TensorFlow)');
}

/** Parses one --inputs spec: a dims list has a comma or follows an explicit ':k'. */
export function parseInputSpec(spec: string): { name: string; dims?: number[] } {
  const m = /^(.+?)(?::(\d+))?(?::(-?\d+(?:,-?\d+)*))?$/.exec(spec);
  if (!m) throw new NnInputError(`--inputs '${spec}': expected NAME, NAME:k, NAME:d0,d1,... or NAME:k:d0,...`);
  const name = m[1]!;
  let k: string | undefined = m[2];
  let dims: string | undefined = m[3];
  // "NAME:16" alone is the output index 16; a single dim needs NAME:0:16.
  if (dims !== undefined && k === undefined && !dims.includes(',')) {
    k = dims;
    dims = undefined;
  }
  const full = k !== undefined && k !== '0' ? `${name}:${k}` : name;
  const d = dims?.split(',').map(Number);
  if (d?.some((x) => !Number.isInteger(x) || x === 0 || x < -1)) throw new NnInputError(`--inputs '${spec}': dims must be positive integers or -1`);
  return d ? { name: full, dims: d } : { name: full };
}

export function cutOptionsOf(f: CutFlags): LoadOptions {
  const inputs = (f.inputs ?? []).map(parseInputSpec);
  const outputs = f.outputs ? f.outputs.split(',').map((s) => s.trim()).filter(Boolean) : [];
  const o: { inputs?: typeof inputs; outputs?: string[] } = {};
  if (inputs.length) o.inputs = inputs;
  if (outputs.length) o.outputs = outputs;
  return o;
}

export const LOAD_FILE = 'nn2hls.load.json';

/** nn2hls.load.json: the cut, and a separate weights file (absolute) with its sha256. */
interface LoadRecord {
  inputs?: LoadOptions['inputs'];
  outputs?: LoadOptions['outputs'];
  weights?: string;
  weights_sha256?: string;
}

const sha256Of = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

/** What a project records of how its model was loaded, or null when there is nothing beyond the model file. */
export function loadRecordJson(cut: LoadOptions, weightsFile: string | undefined): string | null {
  const r: LoadRecord = {};
  if (cut.inputs?.length) r.inputs = cut.inputs;
  if (cut.outputs?.length) r.outputs = cut.outputs;
  if (weightsFile) {
    r.weights = resolve(weightsFile);
    r.weights_sha256 = sha256Of(weightsFile);
  }
  return Object.keys(r).length ? `${JSON.stringify(r, null, 2)}\n` : null;
}

/** The load options a project was compiled with ({} when none); its weights file must be unchanged. */
export function projectLoadOptions(dir: string): LoadOptions {
  const p = join(dir, LOAD_FILE);
  if (!existsSync(p)) return {};
  let r: LoadRecord;
  try {
    r = JSON.parse(readFileSync(p, 'utf8')) as LoadRecord;
  } catch (e) {
    throw new NnInputError(`${p}: not valid JSON (${(e as Error).message}); recompile the project`);
  }
  const o: { inputs?: LoadOptions['inputs']; outputs?: LoadOptions['outputs']; weights?: string } = {};
  if (r.inputs) o.inputs = r.inputs;
  if (r.outputs) o.outputs = r.outputs;
  if (r.weights) {
    if (!existsSync(r.weights)) throw new NnInputError(`${dir}: the weights file it was compiled with (${r.weights}) is gone; recompile the project`);
    if (r.weights_sha256 && sha256Of(r.weights) !== r.weights_sha256) {
      throw new NnInputError(`${dir}: ${r.weights} changed since the project was compiled; recompile it`);
    }
    o.weights = r.weights;
  }
  return o;
}

/** The file a project records as its source: a TF.js model directory is its model.json. */
export function modelFileOf(path: string): string {
  return existsSync(path) && statSync(path).isDirectory() && existsSync(join(path, 'model.json')) ? join(path, 'model.json') : path;
}
