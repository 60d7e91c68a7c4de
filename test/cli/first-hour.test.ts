/**
 * Issue #7, "silently wrong", "losing the user's work" and "meeting hls4ml users": each line of
 * the issue as the command a new user ran, and what nn2hls must now say or do. Cases that
 * depend on the working directory spawn the real launcher (bin/nn2hls.js) with a cwd.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { statusLine } from '../../src/cli/progress.js';
import { captureCli } from '../helpers/cli.js';
import { buildModel } from '../helpers/onnx-builder.js';
import { REPO, runBin } from '../helpers/spawn-cli.js';

const EX = join(REPO, 'examples');
const MLP = join(EX, 'digits_mlp.onnx');
const FIX = join(__dirname, '../fixtures/hls4ml');
const { io, cli } = captureCli();
const tmp = (p = 'nn2hls-fh-') => mkdtempSync(join(tmpdir(), p));

describe('silently wrong', () => {
  it('--clock 200 is refused, showing 200MHz and 5ns; units are parsed', async () => {
    const out = join(tmp(), 'p');
    expect(await cli('compile', MLP, '-o', out, '--clock', '200')).toBe(1);
    expect(io.err).toMatch(/--clock '200': a bare number is ambiguous; write 200MHz \(a frequency; period 5ns\) or 200ns/);
    expect(existsSync(out)).toBe(false);
    expect(await cli('compile', MLP, '-o', out, '--clock', '250 MHz', '--samples', '2')).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'nn2hls.json'), 'utf8')).options.clock_ns).toBe(4);
  });

  it('compile echoes part, clock, io, strategy and reuse', async () => {
    const out = join(tmp(), 'p');
    expect(await cli('compile', MLP, '-o', out, '--samples', '2', '--part', 'xcu250-figd2104-2L-e', '--clock', '4ns', '--io', 'stream', '--strategy', 'resource', '--reuse', '8')).toBe(0);
    expect(io.out).toMatch(/part xcu250-figd2104-2L-e, clock 4 ns \(250 MHz\), io stream, strategy resource, reuse 8/);
  });

  it('--bits without --precision auto is an error, not ignored', async () => {
    expect(await cli('simulate', MLP, '--input', join(EX, 'digits_mlp_input.npy'), '--bits', '8')).toBe(1);
    expect(io.err).toMatch(/--bits only has an effect with --precision auto/);
    expect(await cli('compile', MLP, '-o', join(tmp(), 'p'), '--precision', 'ap_fixed<12,4>', '--margin', '0.2')).toBe(1);
    expect(io.err).toMatch(/--margin only has an effect with --precision auto/);
  });

  it('a weight type on a Relu is reported as having no effect (simulate and compile)', async () => {
    const cfg = join(tmp(), 'c.json');
    writeFileSync(cfg, JSON.stringify({ layers: { '/body/body.1/Relu': { weight: 'ap_fixed<8,2>' } } }));
    expect(await cli('simulate', MLP, '--input', join(EX, 'digits_mlp_input.npy'), '--config', cfg)).toBe(0);
    expect(io.err).toMatch(/warning: layers\.\/body\/body\.1\/Relu\.weight has no effect: layer '\/body\/body\.1\/Relu' \(Relu\) has no weight \(what it uses: result\)/);
    io.err = '';
    expect(await cli('compile', MLP, '-o', join(tmp(), 'p'), '--config', cfg, '--samples', '2')).toBe(0);
    expect(io.err).toMatch(/layers\.\/body\/body\.1\/Relu\.weight has no effect/);
  });

  it('--reuse beyond a layer\'s multiplications warns with the layer and its count', async () => {
    expect(await cli('compile', MLP, '-o', join(tmp(), 'p'), '--strategy', 'resource', '--reuse', '65536', '--samples', '2')).toBe(0);
    expect(io.err).toMatch(/--reuse 65536 has no effect beyond 2048 on layer '\/body\/body\.0\/Gemm' \(Dense\), which has 2048 multiplication\(s\) per sample/);
    expect(io.err).toMatch(/layer '\/body\/body\.4\/Gemm' \(Dense\), which has 160/);
    io.err = '';
    expect(await cli('compile', MLP, '-o', join(tmp(), 'p2'), '--strategy', 'resource', '--reuse', '160', '--samples', '2')).toBe(0);
    expect(io.err).toBe('');
  });

  it('inspect lists the layer names configs accept after fusion, and what was fused into what', async () => {
    // A Keras-style export: MatMul + Add (bias) + Relu, twice.
    const model = join(tmp(), 'keras_like.onnx');
    writeFileSync(model, buildModel({
      inputs: [['x', ['N', 4]]],
      outputs: [['y', ['N', 2]]],
      inits: [['W1', [4, 3], Array.from({ length: 12 }, (_, i) => i / 10)], ['b1', [3], [0.1, 0.2, 0.3]], ['W2', [3, 2], [1, 2, 3, 4, 5, 6]], ['b2', [2], [1, -1]]],
      nodes: [
        { op: 'MatMul', inputs: ['x', 'W1'], outputs: ['h1'], name: 'dense' },
        { op: 'Add', inputs: ['h1', 'b1'], outputs: ['h2'], name: 'Add' },
        { op: 'Relu', inputs: ['h2'], outputs: ['h3'], name: 'Relu' },
        { op: 'MatMul', inputs: ['h3', 'W2'], outputs: ['h4'], name: 'dense_1' },
        { op: 'Add', inputs: ['h4', 'b2'], outputs: ['y'], name: 'Add1' },
      ],
    }));
    expect(await cli('inspect', model, '--json')).toBe(0);
    const r = JSON.parse(io.out);
    expect(r.layers.map((l: { name: string; op: string; params: number }) => [l.name, l.op, l.params])).toEqual([
      ['dense', 'Dense', 15],
      ['Relu', 'Relu', 0],
      ['dense_1', 'Dense', 8],
    ]);
    expect(r.fused).toEqual([
      { name: 'Add', op: 'Add', into: 'dense' },
      { name: 'Add1', op: 'Add', into: 'dense_1' },
    ]);
    io.out = '';
    expect(await cli('inspect', model)).toBe(0);
    expect(io.out).toMatch(/layer names above are the ones the config accepts/);
    expect(io.out).toMatch(/ {2}Add \(Add\) -> dense\n {2}Add1 \(Add\) -> dense_1/);
    // A config naming a fused layer is pointed at the layer it went into.
    const cfg = join(tmp(), 'c.json');
    writeFileSync(cfg, JSON.stringify({ layers: { Add: { bias: 'ap_fixed<8,3>' } }, hls: { layers: { Add1: { reuse: 2 } } } }));
    expect(await cli('compile', model, '-o', join(tmp(), 'p'), '--config', cfg)).toBe(1);
    expect(io.err).toMatch(/layers\.Add: 'Add' \(Add\) was fused into 'dense'; configure 'dense' instead\n {2}hls\.layers\.Add1: 'Add1' \(Add\) was fused into 'dense_1'/);
  });
});

describe("losing the user's work", () => {
  it('recompiling keeps files nn2hls did not write and refuses to overwrite an edited generated file without --force', async () => {
    const out = join(tmp(), 'prj');
    const args = ['compile', MLP, '-o', out, '--samples', '4'];
    expect(await cli(...args)).toBe(0);
    const meta = JSON.parse(readFileSync(join(out, 'nn2hls.json'), 'utf8'));
    expect(Object.keys(meta.files)).toContain('firmware/myproject.cpp');
    expect(meta.files['firmware/myproject.cpp']).toMatch(/^[0-9a-f]{64}$/);
    // Synthesis results and notes appear; a generated file is edited.
    mkdirSync(join(out, 'myproject_prj/solution1/syn/report'), { recursive: true });
    writeFileSync(join(out, 'myproject_prj/solution1/syn/report/csynth.rpt'), 'latency 42');
    writeFileSync(join(out, 'NOTES.md'), 'mine');
    writeFileSync(join(out, 'firmware/notes.txt'), 'mine too');
    const cpp = join(out, 'firmware/myproject.cpp');
    writeFileSync(cpp, `${readFileSync(cpp, 'utf8')}// my tweak\n`);
    // A recompile with other options: the edit blocks it, nothing changes.
    expect(await cli(...args, '--io', 'stream')).toBe(1);
    expect(io.err).toMatch(/these generated files were edited since nn2hls wrote them: firmware\/myproject\.cpp\. .*--force/);
    expect(readFileSync(cpp, 'utf8')).toMatch(/my tweak/);
    expect(JSON.parse(readFileSync(join(out, 'nn2hls.json'), 'utf8')).options.io).toBe('parallel');
    // --force overwrites the edited file and still keeps everything nn2hls did not write.
    expect(await cli(...args, '--io', 'stream', '--force')).toBe(0);
    expect(readFileSync(cpp, 'utf8')).not.toMatch(/my tweak/);
    expect(readFileSync(join(out, 'myproject_prj/solution1/syn/report/csynth.rpt'), 'utf8')).toBe('latency 42');
    expect(readFileSync(join(out, 'NOTES.md'), 'utf8')).toBe('mine');
    expect(readFileSync(join(out, 'firmware/notes.txt'), 'utf8')).toBe('mine too');
    expect(io.out).toMatch(/kept \(not written by nn2hls\): NOTES\.md, myproject_prj/);
    expect(JSON.parse(readFileSync(join(out, 'nn2hls.json'), 'utf8')).options.io).toBe('stream');
    // Without edits a recompile just works, and leaves no temporary files.
    expect(await cli(...args)).toBe(0);
    expect(readdirSync(join(out, '..'))).toEqual(['prj']);
    expect(readdirSync(out).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('--precision auto writes no file into the cwd; --write-config FILE, or the project, gets it', () => {
    const cwd = tmp('nn2hls-cwd-');
    const sim = runBin(['simulate', MLP, '--input', join(EX, 'digits_mlp_input.npy'), '--precision', 'auto', '--calib', join(EX, 'digits_mlp_calib.npy')], cwd);
    expect(sim.code).toBe(0);
    expect(readdirSync(cwd)).toEqual([]);
    const w = runBin(['simulate', MLP, '--input', join(EX, 'digits_mlp_input.npy'), '--precision', 'auto', '--calib', join(EX, 'digits_mlp_calib.npy'), '--write-config', 'mine.json'], cwd);
    expect(w.code).toBe(0);
    expect(readdirSync(cwd)).toEqual(['mine.json']);
    const c = runBin(['compile', MLP, '-o', 'prj', '--precision', 'auto', '--calib', join(EX, 'digits_mlp_calib.npy'), '--samples', '2'], cwd);
    expect(c.code).toBe(0);
    expect(readdirSync(cwd).sort()).toEqual(['mine.json', 'prj']);
    const cfg = JSON.parse(readFileSync(join(cwd, 'prj/precision.json'), 'utf8'));
    expect(Object.keys(cfg.layers).length).toBeGreaterThan(0);
    expect(c.out).toMatch(/written to prj\/precision\.json/);
  });
});

describe('long steps show progress on stderr, only on a terminal', () => {
  const fake = (isTTY: boolean) => {
    const w: string[] = [];
    return { w, stream: { isTTY, write: (s: string) => (w.push(s), true) } as unknown as NodeJS.WriteStream };
  };
  it('compile status line: shown and erased on a TTY, silent otherwise (and with CI set)', () => {
    vi.stubEnv('CI', '');
    const t = fake(true);
    const s = statusLine('compiling m.onnx: simulating 20000 testbench sample(s)', t.stream);
    s.done();
    expect(t.w).toEqual(['\rcompiling m.onnx: simulating 20000 testbench sample(s)...', '\r\x1b[K']);
    const p = fake(false);
    statusLine('x', p.stream).done();
    expect(p.w).toEqual([]);
    vi.stubEnv('CI', '1');
    const c = fake(true);
    statusLine('x', c.stream).done();
    expect(c.w).toEqual([]);
    vi.unstubAllEnvs();
  });

  it('a spawned compile (stderr not a TTY) writes nothing to stderr', () => {
    const r = runBin(['compile', MLP, '-o', 'p', '--samples', '300'], tmp());
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
  });
});

describe('meeting hls4ml users', () => {
  it('simulate --config accepts the hls section; compile reads part/clock/io/strategy/reuse from it', async () => {
    const cfg = join(tmp(), 'c.yaml');
    writeFileSync(cfg, 'model: {default: "ap_fixed<14,5>"}\nhls: {part: xcu250-figd2104-2L-e, clock: 300MHz, io: stream, strategy: resource, reuse: 4}\n');
    expect(await cli('simulate', MLP, '--input', join(EX, 'digits_mlp_input.npy'), '--config', cfg)).toBe(0);
    expect(io.out).toMatch(/ap_fixed<14,5>/);
    expect(await cli('compile', MLP, '-o', join(tmp(), 'p'), '--config', cfg, '--samples', '2')).toBe(0);
    expect(io.out).toMatch(/part xcu250-figd2104-2L-e, clock 3\.33333 ns \(300 MHz\), io stream, strategy resource, reuse 4/);
  });

  it('an hls4ml config compiles, with a note per key it cannot honour, and --write-config gives the nn2hls form', async () => {
    const dir = tmp();
    expect(await cli('compile', MLP, '-o', join(dir, 'p'), '--config', join(FIX, 'tutorial.json'), '--samples', '2', '--write-config', join(dir, 'n.json'))).toBe(0);
    expect(io.out).toMatch(/note: .*tutorial\.json: Model\.BramFactor: no nn2hls equivalent; ignored/);
    expect(io.out).toMatch(/precision: config .*tutorial\.json \(hls4ml, translated\)/);
    const meta = JSON.parse(readFileSync(join(dir, 'p/nn2hls.json'), 'utf8'));
    const fc0 = meta.layers.find((l: { name: string }) => l.name === '/body/body.0/Gemm');
    expect(fc0.reuse).toBe(4);
    expect(fc0.inputs[0].type).toBe('ap_fixed<12,4>'); // LayerName.input typed the graph input
    expect(fc0.inputs[1].type).toBe('ap_fixed<8,2>');
    const n = JSON.parse(readFileSync(join(dir, 'n.json'), 'utf8'));
    expect(n.inputs).toEqual({ input: 'ap_fixed<12,4>' });
    expect(n.hls.layers['/body/body.2/Gemm']).toEqual({ reuse: 2, strategy: 'resource' });
  });

  it.each([
    [['compile', 'm.onnx', '--reuse-factor', '4'], /unknown option '--reuse-factor' for 'compile'; did you mean --reuse\?/],
    [['compile', 'm.onnx', '--output_dir', 'x'], /unknown option '--output_dir' for 'compile'; did you mean -o\/--out\?/],
    [['simulate', 'm.onnx', '--ClockPeriod', '5'], /unknown option '--ClockPeriod' for 'simulate'/],
    [['simlate', 'm.onnx'], /unknown command 'simlate'; did you mean 'simulate'\?/],
  ])('unknown flags: one line with the closest known one (%j)', async (args, re) => {
    expect(await cli(...(args as string[]))).toBe(1);
    expect(io.err).toMatch(re);
    expect(io.err.trim().split('\n')).toHaveLength(1);
    expect(io.err).not.toMatch(/Usage:|Options:/);
  });

  it('no command: the help on stderr, exit 1, nothing else', () => {
    const r = runBin([], tmp());
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^Usage: nn2hls \[options\] \[command\]/);
    expect(r.err).not.toMatch(/outputHelp|nn2hls: /);
  });

  it('--version prints the version (real launcher)', () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
    const r = runBin(['--version'], tmp());
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe(pkg.version);
  });

  it('npm warns about no unknown project config (.npmrc), and onnxruntime-node\'s CUDA download is denied the supported way', () => {
    const npmrc = readFileSync(join(REPO, '.npmrc'), 'utf8');
    expect(npmrc).not.toMatch(/onnxruntime/);
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
    expect(pkg.allowScripts['onnxruntime-node']).toBe(false);
    const r = spawnSync('npm', ['config', 'get', 'fund'], { cwd: REPO, encoding: 'utf8' });
    expect(r.stderr).not.toMatch(/Unknown project config/);
    expect(r.stdout.trim()).toBe('false');
  });
});
