/**
 * Constant arrays are stored as raw bits in integer ROM words (issue #18): the emitted
 * weights/<id>.h holds exactly the simulator's raws, nn2hls.json records the storage of every
 * array, and nn2hls::rom<T> turns a word back into T bit for bit for signed, unsigned, narrow,
 * odd and > 32-bit types (g++ against ap_types; skipped without AP_TYPES_INCLUDE).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, emitProject, planProject } from '../../src/backend-hls/index.js';
import { weightStorage } from '../../src/backend-hls/plan.js';
import { topSource } from '../../src/backend-hls/top.js';
import { rawLiteral, romWord } from '../../src/backend-hls/literals.js';
import { defaultRuns } from '../../src/cli/compile.js';
import { parseType } from '../../src/ir/fixed.js';
import { isConst, valueOf } from '../../src/ir/graph.js';
import { defaultConfig } from '../../src/ir/precision-config.js';
import { prepareFixed } from '../../src/passes/pipeline.js';
import { quantizeDouble } from '../../src/ir/semantics/apfixed.js';
import { caseGraph } from './cases.js';
import { simulateFixed } from '../../src/sim/fixed/simulate.js';

const KERNELS = join(__dirname, '../../src/backend-hls/kernels');
const INC = process.env['AP_TYPES_INCLUDE'];
const HAVE = !!INC && existsSync(join(INC, 'ap_fixed.h'));

describe('raw-bit weight storage', () => {
  it('prints raws as integer literals, with LL beyond int', () => {
    expect(rawLiteral(-5n)).toBe('-5');
    expect(rawLiteral(2147483647n)).toBe('2147483647');
    expect(rawLiteral(2147483648n)).toBe('2147483648LL');
    expect(rawLiteral(-2147483648n)).toBe('-2147483648LL');
    expect(romWord(parseType('ap_ufixed<12,4>'))).toBe('nn2hls::rom_word<12, false>::type');
  });

  it('writes the simulator raws of each weight into weights/<id>.h and records the storage in nn2hls.json', () => {
    const g = prepareFixed(caseGraph('dense'), defaultConfig()).graph;
    const opts = { ...DEFAULTS, layers: {}, runs: defaultRuns(g, 1), simulate: simulateFixed };
    const files = emitProject(g, opts);
    const summary = JSON.parse(files.get('nn2hls.json')!) as { weight_storage: { array: string; elements: number; encoding: string; type?: string; word_bits?: number }[] };
    const dense = g.nodes.find((n) => n.op === 'Dense')!;
    const w = valueOf(g, dense.inputs[1]!);
    if (!isConst(w) || !w.fixed) throw new Error('test model: dense weights are not a typed constant');
    const entry = summary.weight_storage.find((e) => e.array.startsWith('w_'))!;
    expect(entry).toMatchObject({ encoding: 'raw-bits', elements: w.data.length, type: 'ap_fixed<16,6>', word_bits: 16 });
    const text = files.get(`firmware/weights/${entry.array}.h`)!;
    expect(text).toContain(`static const nn2hls::rom_word<16, true>::type ${entry.array}[${w.data.length}] = {`);
    const body = text.slice(text.indexOf('{') + 1, text.lastIndexOf('}'));
    const raws = body.split(',').map((s) => BigInt(s.trim()));
    expect(raws).toEqual(Array.from(w.data, (x) => quantizeDouble(x, w.fixed!)));
    expect(files.get('README.md')).toContain('## Weight storage');
  });

  it.skipIf(!HAVE)('rom<T> re-types a word bit for bit in g++ (signed, unsigned, odd widths, > 32 bits)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nn2hls-rom-'));
    try {
      // [type, raw] pairs covering each word size and both signs; the program prints raw(rom<T>(word)).
      const cases: [string, bigint][] = [
        ['ap_fixed<5,2>', -16n], ['ap_fixed<5,2>', 15n], ['ap_ufixed<8,0>', 255n], ['ap_fixed<16,6>', -32768n],
        ['ap_fixed<17,3>', -65536n], ['ap_ufixed<32,1>', 4294967295n], ['ap_fixed<33,9>', -4294967296n],
        ['ap_fixed<53,20>', 4503599627370495n], ['ap_int<7>', -64n], ['ap_uint<12>', 4095n],
      ];
      const lines = cases.map(([t, r], i) => {
        const ft = parseType(t);
        return `  static const ${romWord(ft)} w${i}[1] = {${rawLiteral(r)}};\n  std::printf("%lld\\n", (long long)nn2hls::raw(nn2hls::rom<${t} >(w${i}[0])).to_int64());`;
      });
      writeFileSync(join(dir, 't.cpp'), `#include <cstdio>\n#include "nn_common.h"\nint main() {\n${lines.join('\n')}\n  return 0;\n}\n`);
      const exe = join(dir, 't');
      const cc = spawnSync(process.env['CXX'] || 'g++', ['-std=c++14', '-O1', `-I${KERNELS}`, '-isystem', INC!, '-o', exe, join(dir, 't.cpp')], { encoding: 'utf8' });
      expect(cc.stderr).toBe('');
      const out = spawnSync(exe, { encoding: 'utf8' }).stdout.trim().split('\n');
      expect(out).toEqual(cases.map(([, r]) => r.toString()));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('weight ROM bindings (BIND_STORAGE / RESOURCE)', () => {
  const bound = (src: string, re: RegExp) => [...src.matchAll(re)].map((m) => `${m[1]} ${m[2]}`).sort();

  it('binds exactly the weight arrays the plan puts in BRAM/LUTRAM, for Vitis and Vivado HLS', () => {
    const g = prepareFixed(caseGraph('conv2d'), defaultConfig()).graph;
    const plan = planProject(g, { ...DEFAULTS, strategy: 'resource', reuse: 4, layers: {}, runs: defaultRuns(g, 1) });
    const roms = plan.plans.flatMap((l) => l.weights.filter((w) => w.rom !== null).map((w) => `${w.id} ${w.rom}`)).sort();
    expect(roms.length).toBeGreaterThan(0);
    // Only arrays the kernels reshape into words, and only memories.
    for (const l of plan.plans) for (const w of l.weights) if (w.rom) expect([w.storage, w.words > 1]).toEqual([w.rom, true]);
    const src = topSource(plan);
    const vitis = src.slice(src.indexOf('#ifdef __VITIS_HLS__'), src.indexOf('#else'));
    const vivado = src.slice(src.indexOf('#else'), src.indexOf('#endif'));
    expect(bound(vitis, /HLS BIND_STORAGE variable=(\w+) type=rom_1p impl=(bram|lutram)\)/g)).toEqual(roms);
    const core = { ROM_1P_BRAM: 'bram', ROM_1P_LUTRAM: 'lutram' } as Record<string, string>;
    expect(bound(vivado, /HLS RESOURCE variable=(\w+) core=(ROM_1P_BRAM|ROM_1P_LUTRAM)\)/g).map((s) => s.replace(/\S+$/, (c) => core[c]!)).sort()).toEqual(roms);
    // The binding sits before DATAFLOW, inside the top function.
    expect(src.indexOf('BIND_STORAGE')).toBeLessThan(src.indexOf('HLS DATAFLOW'));
  });

  it('binds nothing when every weight is in registers (latency strategy)', () => {
    const g = prepareFixed(caseGraph('conv2d'), defaultConfig()).graph;
    const plan = planProject(g, { ...DEFAULTS, layers: {}, runs: defaultRuns(g, 1) });
    expect(plan.plans.flatMap((l) => l.weights).filter((w) => w.rom !== null)).toEqual([]);
    expect(topSource(plan)).not.toMatch(/BIND_STORAGE|RESOURCE variable/);
  });

  it('never plans a constant array into URAM (UltraRAM has no initial contents)', () => {
    expect(weightStorage(1 << 20, 16, 16)).toBe('bram');
    expect(weightStorage(4096, 72, 1)).toBe('bram');
    expect(weightStorage(1000, 16, 1)).toBe('lutram');
    expect(weightStorage(64, 16, 64)).toBe('registers');
  });
});
