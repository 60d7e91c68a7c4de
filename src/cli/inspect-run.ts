/**
 * The model-reading commands `inspect` (what nn2hls understood of a model) and `run` (float
 * inference to .npy files), registered on the CLI's program by main.ts when one of them runs
 * or the full help is shown.
 */
import type { Command } from 'commander';
import { loadModelAsync, parameterInputs } from '../frontend/index.js';
import { runFloat } from '../sim/float/executor.js';
import type { HostTensor } from '../util/tensor.js';
import { addDumpOption, dumpHook } from './dump.js';
import { canonicalize, prepareFixed } from '../passes/pipeline.js';
import { defaultConfig } from '../ir/precision-config.js';
import { formatInspect, inspectReport } from './inspect.js';
import { readModelInputs, readTensorFile, toModelLayout, writeOutputs } from './io.js';
import { addModelOptions, loadOptionsOf, type ModelFlags } from './model-options.js';

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

export function register(program: Command): void {
  addDumpOption(
    addModelOptions(program
      .command('inspect')
      .description('show what nn2hls understood of a model: layers, shapes, parameters, MACs, I/O layouts')
      .argument('<model>', 'model file: .onnx, TensorFlow .pb or SavedModel dir, Keras .h5/.keras/.json, TF.js model.json')
      .option('--json', 'print JSON instead of a table')),
  ).action(async (model: string, o: { json?: boolean; dumpAfter?: string } & ModelFlags) => {
    const hook = dumpHook(o.dumpAfter);
    const g = (await loadModelAsync(model, loadOptionsOf(o))).graph;
    // With --dump-after, run the pipeline up to the stage (quantize at the default precision).
    if (hook) {
      if (o.dumpAfter === 'quantize') prepareFixed(g, defaultConfig(), hook);
      else canonicalize(g, hook);
      return;
    }
    const r = inspectReport(g);
    process.stdout.write(o.json ? `${JSON.stringify(r, null, 2)}\n` : `${formatInspect(r)}\n`);
  });

  addModelOptions(
    program
      .command('run')
      .description('float inference: writes DIR/output_<k>.npy in the model’s own output layout')
      .argument('<model>', 'model file: .onnx, TensorFlow .pb or SavedModel dir, Keras .h5/.keras/.json, TF.js model.json')
      .option('--input <file>', 'input tensor (.npy or TensorProto .pb), once per graph input, in order (required)', collect, [])
      .requiredOption('--out <dir>', 'output directory'),
  ).action(async (model: string, o: { input: string[]; out: string } & ModelFlags) => {
      const { freeze, files: dataFiles } = foldParameterInputs(model, o.input);
      const g = (await loadModelAsync(model, { ...loadOptionsOf(o), ...(freeze ? { freeze } : {}) })).graph;
      const inputs = readModelInputs(g, dataFiles, '--input');
      const t0 = performance.now();
      const outs = runFloat(g, inputs);
      const ms = performance.now() - t0;
      const files = writeOutputs(o.out, toModelLayout(g, outs));
      const n = g.batched ? (inputs[0]?.shape[0] ?? 1) : 1;
      for (const [k, f] of files.entries()) process.stdout.write(`${f}  [${outs[k]!.shape.join(',')}]\n`);
      process.stdout.write(`${n} sample(s) in ${ms.toFixed(1)} ms\n`);
    });
}

/**
 * `run` with a file for every graph input of a model whose inputs include operands that must be
 * constant (a Reshape's shape, a Pad's pads, a Resize's scales): those files are folded into the
 * model as constants for this run, with a one-line note each; the others stay data inputs.
 */
function foldParameterInputs(model: string, files: readonly string[]): { freeze?: Map<string, HostTensor>; files: string[] } {
  const p = parameterInputs(model);
  if (!p || files.length !== p.inputs.length) return { files: [...files] };
  const freeze = new Map<string, HostTensor>();
  const data: string[] = [];
  p.inputs.forEach((name, k) => {
    if (!p.constant.includes(name)) return void data.push(files[k]!);
    freeze.set(name, readTensorFile(files[k]!));
    process.stderr.write(`note: input '${name}' sets a constant operand (shape, axes, pads or scales); folded from ${files[k]} for this run\n`);
  });
  return { freeze, files: data };
}
