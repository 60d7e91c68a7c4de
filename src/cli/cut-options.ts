/**
 * The graph-cut options every model-taking command shares: `--inputs NAME[:k][:d0,d1,...]`
 * (repeatable; start the graph at these tensors, with their full dims, -1 for the batch) and
 * `--outputs NAME[,NAME]` (end it there). They cut TensorFlow graphs, e.g. to start a keyword-
 * spotting model at its MFCC features after the audio front end. A compiled project records
 * the cut (nn2hls.load.json) so csim rebuilds the same graph.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
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

/** The cut a project was compiled with ({} when none). */
export function projectLoadOptions(dir: string): LoadOptions {
  const p = join(dir, LOAD_FILE);
  if (!existsSync(p)) return {};
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as LoadOptions;
  } catch (e) {
    throw new NnInputError(`${p}: not valid JSON (${(e as Error).message}); recompile the project`);
  }
}

/** The file a project records as its source: a TF.js model directory is its model.json. */
export function modelFileOf(path: string): string {
  return existsSync(path) && statSync(path).isDirectory() && existsSync(join(path, 'model.json')) ? join(path, 'model.json') : path;
}
