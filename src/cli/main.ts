/**
 * The nn2hls command line: parses arguments with commander and dispatches to the commands.
 * User mistakes (NnInputError, and usage errors such as an unknown flag, which get one line with
 * the closest known flag) print one clear message and exit 1; anything else is an internal
 * error, printed briefly with a hint to rerun with --verbose for the stack trace.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { loadModelAsync, parameterInputs } from '../frontend/index.js';
import { runFloat } from '../sim/float/executor.js';
import { type HostTensor, NnInputError } from '../util/tensor.js';
import { runDemo } from './demo.js';
import { runKerasDemo } from './demo-keras.js';
import { addDumpOption, dumpHook } from './dump.js';
import { canonicalize, prepareFixed } from '../passes/pipeline.js';
import { defaultConfig } from '../ir/precision-config.js';
import { formatInspect, inspectReport } from './inspect.js';
import { readModelInputs, readTensorFile, toModelLayout, writeOutputs } from './io.js';
import { register as registerCompile } from './compile.js';
import { register as registerCsim } from './csim.js';
import { register as registerSimulate } from './simulate.js';
import { register as registerEstimate } from './estimate.js';
import { addModelOptions, loadOptionsOf, type ModelFlags } from './model-options.js';
import { register as registerSynth } from './synth.js';
import { usageError } from './suggest.js';
import { mark } from '../util/trace.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
import { register as registerOptimize } from './optimize.js';

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('nn2hls')
    .description('Compile trained neural networks to Vivado/Vitis HLS projects, with a bit-accurate fixed-point simulator')
    .version(VERSION, '-V, --version', 'print the version')
    .option('--verbose', 'show stack traces for internal errors')
    // Usage errors become one line with a suggestion (main() below), not commander's text plus the help.
    .exitOverride()
    .configureOutput({ outputError: () => {} });

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

  registerSimulate(program);
  registerCompile(program);
  registerCsim(program);
  registerEstimate(program);
  registerSynth(program, buildProgram);
  registerOptimize(program);

  program
    .command('demo')
    .description('the main job on the bundled example models (what `npm start` runs)')
    .action(async () => {
      runDemo();
      await runKerasDemo();
    });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  mark('cli modules loaded');
  const program = buildProgram();
  const verbose = argv.includes('--verbose');
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return 0; // --help, --version
      if (e.code === 'commander.help') return e.exitCode; // no command given: the help is the message
      process.stderr.write(`nn2hls: ${usageError(program, argv, e)}\n`);
      return 1;
    }
    if (e instanceof NnInputError) {
      process.stderr.write(`nn2hls: ${e.message}\n`);
      if (verbose && e.stack) process.stderr.write(`${e.stack}\n`);
      return 1;
    }
    const err = e as Error;
    process.stderr.write(`nn2hls: internal error: ${err.message}\n`);
    process.stderr.write(verbose && err.stack ? `${err.stack}\n` : 'Rerun with --verbose for the stack trace, and please report it.\n');
    return 2;
  }
}

const invoked = process.argv[1] ?? '';
if (/(^|[\\/])main\.ts$/.test(invoked) || process.env.NN2HLS_MAIN === '1') {
  main(process.argv).then((code) => {
    process.exitCode = code;
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
