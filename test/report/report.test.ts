/**
 * The HTML report (issue #14): one self-contained file (no scripts, no external resources), its
 * tables carry the numbers of the optimize result, and opened in Debian's headless Chromium
 * (driven by playwright-core against the system browser, which downloads nothing) every chart
 * renders its SVG marks with no console errors and no request leaving the file. A screenshot is
 * saved under the test's temp dir. Skips with a reason when /usr/bin/chromium is absent.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readInputTensor, readTensorFile } from '../../src/cli/io.js';
import { resolvePart } from '../../src/estimate/devices.js';
import { loadModel } from '../../src/frontend/index.js';
import { optimize } from '../../src/optimize/index.js';
import { takeRows } from '../../src/optimize/split.js';
import { writeOptimizeReport } from '../../src/report/index.js';
import { toFloat32 } from '../../src/util/tensor.js';
import { captureCli } from '../helpers/cli.js';
import { REPO } from '../helpers/spawn-cli.js';

const EX = join(REPO, 'examples');
const CHROMIUM = '/usr/bin/chromium';
const N = 80;

async function buildReport(): Promise<{ path: string; html: string; dir: string; result: ReturnType<typeof optimize> }> {
  const g = loadModel(join(EX, 'digits_mlp.onnx'));
  const x = takeRows(readInputTensor(join(EX, 'digits_mlp_input.npy')), [...Array(N).keys()]);
  const labels = toFloat32(readTensorFile(join(EX, 'digits_labels.npy'))).slice(0, N);
  const result = optimize({
    graph: g, data: { inputs: [x], labels, labelShape: [N] }, est: { part: resolvePart('xczu7ev'), clockNs: 5 },
    folding: { io: 'parallel', strategy: 'latency', reuse: 1, layers: {}, fixed: false }, constraints: {}, objective: 'dsp',
    maxDrop: 0.02, seed: 1, heldOutFraction: 0.5, budgetMs: 600_000,
  });
  const dir = mkdtempSync(join(tmpdir(), 'nn2hls-report-'));
  const path = join(dir, 'report.html');
  await writeOptimizeReport(path, { model: 'digits_mlp.onnx', graph: g, result });
  return { path, html: readFileSync(path, 'utf8'), dir, result };
}

interface PageMarks {
  svgs: number;
  bars: number;
  points: number;
  lines: number;
  rules: number;
  tables: number;
  width: number;
  errors: string[];
  requests: string[];
}

/** Opens a report in headless Chromium, counts the rendered marks and saves a full-page screenshot. */
async function openInChromium(path: string, shot: string): Promise<PageMarks> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-default-apps'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(path).href, { waitUntil: 'load' });
    const count = (sel: string) => page.locator(sel).count();
    const boxes = await Promise.all((await page.locator('svg.marks').all()).map((l) => l.boundingBox()));
    const marks = {
      svgs: await count('svg.marks'),
      bars: await count('svg .mark-rect path'),
      points: await count('svg .mark-symbol path'),
      lines: await count('svg .mark-line path'),
      rules: await count('svg .mark-rule line'),
      tables: await count('table'),
      width: Math.max(...boxes.map((b) => b?.width ?? 0)),
      errors,
      requests,
    };
    await page.screenshot({ path: shot, fullPage: true });
    return marks;
  } finally {
    await browser.close();
  }
}

const built = buildReport();

describe('optimize report', () => {
  it('is one self-contained file with the numbers of the result', async () => {
    const { html, result } = await built;
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(|<iframe/i);
    // The only URLs are SVG namespace declarations, which are never fetched.
    expect(html.match(/https?:\/\/[^\s"'<>]+/g)!.every((u) => /^http:\/\/www\.w3\.org\/(2000\/svg|1999\/xlink)$/.test(u))).toBe(true);
    expect((html.match(/<svg /g) ?? []).length).toBe(5);
    expect(html).toContain('<strong>Value profile</strong>');
    expect(html).toContain(`on ${Math.min(64, result.split.heldOut)} held-out samples`);
    expect(html).toContain(`${result.split.choose} samples to choose, ${result.split.heldOut} held out`);
    const d = result.chosenDesign!;
    expect(html).toContain(`<td class="num">${(100 * d.heldOut.accuracy).toFixed(2)}%</td>`);
    expect(html).toContain(`<td class="num">${d.estimate.total.dsp.toLocaleString('en-US')}</td>`);
    for (const l of d.heldOut.layers) expect(html).toContain(`<td>${l.name}</td>`);
  }, 120_000);

  it('profiles every Dense layer against the chosen types (hls4ml-style value profile)', async () => {
    const { result } = await built;
    const d = result.chosenDesign!;
    const dense = d.heldOut.layers.filter((l) => l.op === 'Dense');
    expect(dense.length).toBeGreaterThanOrEqual(2);
    for (const l of dense) {
      const w = result.profile.find((p) => p.layer === l.name && p.kind === 'weight')!;
      const a = result.profile.find((p) => p.layer === l.name && p.kind === 'activation')!;
      expect(w.type).toBe(l.types['weight']);
      expect(a.type).toBe(l.types['result']);
      for (const p of [w, a]) {
        expect([...p.log2]).toEqual([...p.log2].sort((x, y) => x - y));
        const m = /^ap_(u?)fixed<(\d+),(-?\d+)/.exec(p.type)!;
        expect(p.typeLo).toBe(Number(m[3]) - Number(m[2]));
        expect(p.typeHi).toBe(m[1] ? Number(m[3]) : Number(m[3]) - 1);
      }
      expect(a.count).toBe(Math.min(64, result.split.heldOut) * l.shape.reduce((x, y) => x * y, 1));
    }
    // The first Dense layer's largest |weight| is the float model's own.
    const g = loadModel(join(EX, 'digits_mlp.onnx'));
    const maxW = Math.max(...[...g.values.values()].filter((v) => v.data && v.shape.length === 2).map((v) => Math.max(...Array.from(v.data!, Math.abs))));
    const wMax = Math.max(...result.profile.filter((p) => p.kind === 'weight').map((p) => p.log2[4]));
    expect(wMax).toBeCloseTo(Math.log2(maxW), 3);
  }, 120_000);

  it.skipIf(!existsSync(CHROMIUM))(`renders in headless Chromium (${CHROMIUM}): SVG marks present, no console errors, nothing fetched`, async () => {
    const { path, dir } = await built;
    const shot = join(dir, 'report.png');
    const marks = await openInChromium(path, shot);
    expect(marks.svgs).toBe(5);
    expect(marks.bars).toBeGreaterThan(20);
    expect(marks.rules).toBeGreaterThanOrEqual(2 * 3);
    expect(marks.points).toBeGreaterThan(5);
    expect(marks.lines).toBeGreaterThanOrEqual(1);
    expect(marks.tables).toBe(3);
    expect(marks.width).toBeGreaterThan(200);
    expect(marks.errors).toEqual([]);
    expect(marks.requests.every((u) => u.startsWith('file://'))).toBe(true);
    expect(existsSync(shot)).toBe(true);
    console.log(`report screenshot: ${shot}`);
  }, 120_000);
});

describe('simulate --report and compile --report', () => {
  const { io, cli } = captureCli();
  it('write pages with the per-layer table and the same charts as optimize (value profile included); they render in Chromium when present', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nn2hls-simreport-'));
    const path = join(dir, 'sim.html');
    expect(await cli('simulate', join(EX, 'digits_cnn.onnx'), '--input', join(EX, 'digits_cnn_input.npy'), '--labels', join(EX, 'digits_labels.npy'), '--report', path)).toBe(0);
    expect(io.out).toContain(`report: ${path}`);
    const html = readFileSync(path, 'utf8');
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(/i);
    expect((html.match(/<svg /g) ?? []).length).toBe(4);
    const fixed = /accuracy: float [\d.]+%, fixed ([\d.]+%)/.exec(io.out)![1]!;
    expect(html).toContain(`fixed ${fixed}`);
    expect(html).toContain('<td>/body/body.0/Conv</td><td>Conv</td><td>[8,8,8]</td>');
    // The value profile: activations on the first 64 of the 100 samples, against the chosen types.
    expect(html).toContain('<strong>Value profile</strong>');
    expect(html).toContain('activations on 64 samples');
    // compile --report: the same page for the emitted plan and the testbench samples.
    const cpath = join(dir, 'compile.html');
    io.out = '';
    expect(await cli('compile', join(EX, 'digits_cnn.onnx'), '-o', join(dir, 'prj'), '--samples', '8', '--report', cpath)).toBe(0);
    const chtml = readFileSync(cpath, 'utf8');
    expect(chtml).toContain('<h1>nn2hls compile — ');
    expect(chtml).toContain('<dt>samples</dt><dd>8</dd>');
    expect((chtml.match(/<svg /g) ?? []).length).toBe(4);
    expect(chtml).toContain('<strong>Value profile</strong>');
    expect(chtml).toContain('activations on 8 samples');
    const plan = JSON.parse(readFileSync(join(dir, 'prj', 'estimate.json'), 'utf8')) as { total: { dsp: number } };
    expect(chtml).toContain(`DSP ${plan.total.dsp},`);
    if (!existsSync(CHROMIUM)) return;
    for (const [page, shot] of [[path, 'sim.png'], [cpath, 'compile.png']] as const) {
      const marks = await openInChromium(page, join(dir, shot));
      expect(marks.svgs).toBe(4);
      expect(marks.bars).toBeGreaterThan(20);
      // The value profile draws one min-max rule per profiled layer and role: the 3 Conv/Dense
      // layers have weights, biases and activations at least.
      expect(marks.rules).toBeGreaterThanOrEqual(3 * 3);
      expect(marks.tables).toBe(1);
      expect(marks.errors).toEqual([]);
      expect(marks.requests.every((u) => u.startsWith('file://'))).toBe(true);
      expect(existsSync(join(dir, shot))).toBe(true);
      console.log(`report screenshot: ${join(dir, shot)}`);
    }
  }, 180_000);
});
