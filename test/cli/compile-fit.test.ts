/**
 * `compile --fit`: estimate's fitDesign picks per-layer strategy/reuse for the part and the
 * constraints, and the project is compiled with exactly that design: its estimate.json is the
 * fitted estimate (fits, same DSP count as `estimate --fit`). Misuse and "nothing fits" exit 1
 * and write nothing.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureCli } from '../helpers/cli.js';

const MLP = join(import.meta.dirname, '../../examples/digits_mlp.onnx');
const { io, cli } = captureCli();
const tmp = () => join(mkdtempSync(join(tmpdir(), 'nn2hls-cfit-')), 'p');

describe.skipIf(!existsSync(MLP))('compile --fit', () => {
  it('compiles the fitted design: per-layer reuse from the fit, estimate.json fits the part', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nn2hls-cfit-'));
    expect(await cli('estimate', MLP, '--part', 'xc7z007s', '--fit', '--json', join(dir, 'fit.json'))).toBe(0);
    const fitted = JSON.parse(readFileSync(join(dir, 'fit.json'), 'utf8')) as { total: { dsp: number; fits: boolean }; fit: { layers: Record<string, { strategy: string; reuse: number }> } };
    expect(fitted.total.fits).toBe(true);
    const out = join(dir, 'p');
    expect(await cli('compile', MLP, '-o', out, '--part', 'xc7z007s', '--fit', '--samples', '2')).toBe(0);
    expect(io.out).toMatch(/fit \(xc7z007s\): \d+ folding step\(s\); binding constraint: DSP [\d.]+% of xc7z007s/);
    const est = JSON.parse(readFileSync(join(out, 'estimate.json'), 'utf8')) as { total: { dsp: number; fits: boolean } };
    expect(est.total.fits).toBe(true);
    expect(est.total.dsp).toBe(fitted.total.dsp);
    const plan = JSON.parse(readFileSync(join(out, 'nn2hls.json'), 'utf8')) as { layers: { name: string; plan?: { reuse: number; strategy: string } }[] };
    for (const [name, s] of Object.entries(fitted.fit.layers)) {
      const l = plan.layers.find((x) => x.name === name);
      expect(l?.plan, name).toMatchObject({ reuse: s.reuse, strategy: s.strategy });
    }
    expect(Math.max(...Object.values(fitted.fit.layers).map((s) => s.reuse))).toBeGreaterThan(1);
  }, 120_000);

  it('constraints need --fit; --fit refuses --reuse; nothing fits: exit 1, closest design, nothing written', async () => {
    const out = tmp();
    expect(await cli('compile', MLP, '-o', out, '--max-util', '80%')).toBe(1);
    expect(io.err).toMatch(/constraints of --fit; add --fit/);
    expect(await cli('compile', MLP, '-o', out, '--fit', '--reuse', '4')).toBe(1);
    expect(io.err).toMatch(/--fit chooses strategy and reuse itself; drop --strategy\/--reuse/);
    expect(await cli('compile', MLP, '-o', out, '--part', 'xc7z007s', '--fit', '--max-latency', '1ns')).toBe(1);
    expect(io.err).toMatch(/--fit: no design fits xc7z007s/);
    expect(io.err).toMatch(/closest: latency \d+ cycles/);
    expect(existsSync(out)).toBe(false);
  }, 120_000);
});
