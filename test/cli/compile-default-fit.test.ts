/**
 * `compile` folds to the part by default: with no strategy/reuse from the user, a default design
 * over --part is replaced by the estimator's fitted design (per-layer reuse/strategy recorded in
 * nn2hls.json, chosen_by 'fit', estimate.json within the part), and `estimate` without flags
 * shows that same design. A design that fits is emitted unchanged; --no-fit keeps the default
 * design; an explicit reuse wins; when nothing fits, the closest design is emitted with a warning.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureCli } from '../helpers/cli.js';

const EX = join(import.meta.dirname, '../../examples');
const MLP = join(EX, 'digits_mlp.onnx');
const LENET = join(EX, 'lenet5_mnist.onnx');
const { io, cli } = captureCli();
const tmp = () => mkdtempSync(join(tmpdir(), 'nn2hls-dfit-'));

interface Summary {
  options: { layers: Record<string, { strategy?: string; reuse?: number }>; fit?: { by: string; outcome: string; message: string } };
  layers: { name: string; op: string; plan?: { strategy: string; reuse: number; chosen_by: string } }[];
}
interface Est {
  total: { dsp: number; lut: number; latency_cycles: number; fits: boolean; utilization: Record<string, number> };
}
const summary = (dir: string) => JSON.parse(readFileSync(join(dir, 'nn2hls.json'), 'utf8')) as Summary;
const est = (dir: string) => JSON.parse(readFileSync(join(dir, 'estimate.json'), 'utf8')) as Est;
const dense = (s: Summary) => s.layers.filter((l) => l.op === 'Dense').map((l) => l.plan!);

describe.skipIf(!existsSync(MLP))('compile folds to the part by default', () => {
  it('over the part: the fitted design, its reuse in the plan, estimate within the part, the same as `estimate`', async () => {
    const d = tmp();
    const out = join(d, 'p');
    expect(await cli('compile', MLP, '-o', out, '--part', 'xc7z007s', '--samples', '2')).toBe(0);
    expect(io.out).toMatch(/^fit: folded \d+ layer\(s\) to fit xc7z007s, binding DSP: DSP [\d.]+% → [\d.]+%.*; latency \d+ → [\d,]+ cycles/m);
    const s = summary(out);
    expect(s.options.fit).toMatchObject({ by: 'default', outcome: 'folded' });
    const plans = dense(s);
    expect(Math.max(...plans.map((p) => p.reuse))).toBeGreaterThan(1);
    for (const p of plans) expect(p.chosen_by).toBe('fit');
    // The per-layer settings recorded are the plan's.
    for (const l of s.layers.filter((x) => x.op === 'Dense')) expect(s.options.layers[l.name]).toMatchObject({ strategy: l.plan!.strategy, reuse: l.plan!.reuse });
    const e = est(out);
    expect(e.total.fits).toBe(true);
    for (const u of Object.values(e.total.utilization)) expect(u).toBeLessThanOrEqual(1);
    // `estimate` with no flags shows the design compile emits.
    expect(await cli('estimate', MLP, '--part', 'xc7z007s', '--json', join(d, 'e.json'))).toBe(0);
    expect(io.out).toMatch(/^fit: folded/m);
    const e2 = JSON.parse(readFileSync(join(d, 'e.json'), 'utf8')) as Est;
    expect([e2.total.dsp, e2.total.lut, e2.total.latency_cycles]).toEqual([e.total.dsp, e.total.lut, e.total.latency_cycles]);
  }, 120_000);

  it('--no-fit: the default design (every Dense at reuse 1, over the part); a design that fits is not touched', async () => {
    const out = join(tmp(), 'p');
    expect(await cli('compile', MLP, '-o', out, '--part', 'xc7z007s', '--samples', '2', '--no-fit')).toBe(0);
    expect(io.out).not.toMatch(/^fit:/m);
    const s = summary(out);
    expect(s.options.fit).toBeUndefined();
    expect(dense(s).map((p) => [p.strategy, p.reuse, p.chosen_by])).toEqual(dense(s).map(() => ['latency', 1, 'default']));
    expect(est(out).total.fits).toBe(false);
    expect(est(out).total.utilization['dsp']).toBeGreaterThan(1);
    // On a part it fits, the default compile is byte for byte the --no-fit one.
    const a = join(tmp(), 'a');
    const b = join(tmp(), 'b');
    io.out = '';
    expect(await cli('compile', MLP, '-o', a, '--part', 'xcvu9p', '--samples', '2')).toBe(0);
    expect(io.out).not.toMatch(/^fit:/m);
    expect(await cli('compile', MLP, '-o', b, '--part', 'xcvu9p', '--samples', '2', '--no-fit')).toBe(0);
    const files = (dir: string): string[] => readdirSync(dir, { recursive: true, withFileTypes: true }).filter((f) => f.isFile()).map((f) => join(f.parentPath, f.name).slice(dir.length)).sort();
    expect(files(a)).toEqual(files(b));
    for (const f of files(a)) expect(readFileSync(join(a, f), 'utf8'), f).toBe(readFileSync(join(b, f), 'utf8'));
    expect(est(a).total.fits).toBe(true);
  }, 120_000);

  it('explicit reuse wins: --reuse, or a layer reuse in the config, is emitted as given and nothing is folded', async () => {
    const d = tmp();
    const out = join(d, 'p');
    expect(await cli('compile', MLP, '-o', out, '--part', 'xc7z007s', '--samples', '2', '--reuse', '2')).toBe(0);
    expect(io.out).not.toMatch(/^fit:/m);
    const s = summary(out);
    expect(s.options.fit).toBeUndefined();
    for (const p of dense(s)) expect([p.reuse, p.chosen_by]).toEqual([2, 'user']);
    const first = s.layers.find((l) => l.op === 'Dense')!.name;
    const cfg = join(d, 'cfg.json');
    writeFileSync(cfg, JSON.stringify({ hls: { layers: { [first]: { reuse: 4 } } } }));
    io.out = '';
    expect(await cli('compile', MLP, '-o', join(d, 'q'), '--part', 'xc7z007s', '--samples', '2', '--config', cfg)).toBe(0);
    expect(io.out).not.toMatch(/^fit:/m);
    const q = summary(join(d, 'q'));
    expect(q.options.fit).toBeUndefined();
    expect(dense(q).map((p) => p.reuse)).toEqual(dense(q).map((_, i) => (i === 0 ? 4 : 1)));
  }, 120_000);

  it.skipIf(!existsSync(LENET))('nothing fits: the closest design is emitted, with a warning naming what is over and by how much', async () => {
    const out = join(tmp(), 'p');
    expect(await cli('compile', LENET, '-o', out, '--part', 'xc7z007s', '--samples', '1')).toBe(0);
    expect(io.out).toMatch(/^estimate \(xc7z007s, [^)]*\): .* — does not fit xc7z007s$/m);
    expect(io.err).toMatch(/warning: no design fits xc7z007s \(folded as far as it goes, LUT stays at [\d.]+%[^)]*\): LUT [\d.]+% \([\d,]+ of 14,400, [\d,]+ over\); emitted the closest design found, \d+ layer\(s\) folded \(DSP [\d.]+% → [\d.]+%/);
    const s = summary(out);
    expect(s.options.fit).toMatchObject({ by: 'default', outcome: 'closest' });
    const e = est(out);
    expect(e.total.fits).toBe(false);
    // Closer than the default design: DSPs within the part now, only LUT over.
    expect(e.total.utilization['dsp']).toBeLessThanOrEqual(1);
    expect(Object.entries(e.total.utilization).filter(([, u]) => u > 1).map(([k]) => k)).toEqual(['lut']);
    // Explicit --fit keeps its error.
    expect(await cli('compile', LENET, '-o', join(tmp(), 'q'), '--part', 'xc7z007s', '--fit')).toBe(1);
    expect(io.err).toMatch(/--fit: no design fits xc7z007s/);
  }, 180_000);
});
