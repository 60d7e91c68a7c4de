/**
 * The one config schema and parser (issue #7, "meeting hls4ml users"): nn2hls documents in
 * JSON and YAML with the hls section; hls4ml configs in both shapes (the tutorial's
 * config_from_*_model dictionary and the command-line YAML with HLSConfig) translated, with one
 * note per key nn2hls cannot honour; and translation → nn2hls JSON → parse is the identity.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderType } from '../../src/ir/fixed.js';
import { configDocumentToJson, type ConfigDocument, parseConfigDocument, readConfig, readConfigFile } from '../../src/ir/precision-config.js';

const FIX = join(__dirname, '../fixtures/hls4ml');
const types = (doc: ConfigDocument, layer: string) =>
  Object.fromEntries(Object.entries(doc.precision.layers[layer]?.types ?? {}).map(([k, t]) => [k, renderType(t!)]));

function roundTrip(doc: ConfigDocument): void {
  const json = configDocumentToJson(doc);
  const back = parseConfigDocument(JSON.parse(json), 'back.json');
  expect(back.precision).toEqual(doc.precision);
  expect(back.hls).toEqual(doc.hls);
  expect(back.format).toBe('nn2hls');
  expect(configDocumentToJson(back)).toBe(json);
}

describe('config documents', () => {
  it('YAML and JSON give the same document, hls section included', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nn2hls-cfg-'));
    const yml = join(dir, 'c.yaml');
    writeFileSync(yml, [
      'model: {default: "ap_fixed<12,4>"}',
      'layers:',
      '  fc1: {weight: "ap_fixed<8,2>"}',
      'hls:',
      '  part: xcu250-figd2104-2L-e',
      '  clock: 250MHz',
      '  io: stream',
      '  strategy: resource',
      '  reuse: 4',
      '  layers: {fc1: {reuse: 2}}',
      '',
    ].join('\n'));
    const a = readConfig(yml);
    const js = join(dir, 'c.json');
    writeFileSync(js, configDocumentToJson(a));
    const b = readConfig(js);
    expect(b.precision).toEqual(a.precision);
    expect(b.hls).toEqual({ part: 'xcu250-figd2104-2L-e', clock: '250MHz', io: 'stream', strategy: 'resource', reuse: 4, layers: { fc1: { reuse: 2 } } });
    expect(types(a, 'fc1')).toEqual({ weight: 'ap_fixed<8,2>' });
    // The precision reader accepts the hls section too (simulate --config used to refuse it).
    expect(readConfigFile(yml).model.types.default).toEqual(a.precision.model.types.default);
  });

  it('errors name the file and key; YAML needs a .yml/.yaml name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nn2hls-cfg-'));
    const bad = join(dir, 'b.json');
    writeFileSync(bad, JSON.stringify({ hls: { reuse: 0 } }));
    expect(() => readConfig(bad)).toThrow(/b\.json: hls\.reuse: reuse factor must be an integer 1\.\.65536, got 0/);
    writeFileSync(bad, JSON.stringify({ hls: { clok: '5ns' } }));
    expect(() => readConfig(bad)).toThrow(/hls\.clok: unknown key 'clok'; expected part, clock, io, strategy, reuse, multiplier, layers/);
    writeFileSync(bad, 'model: {default: "ap_fixed<8,3>"}\n');
    expect(() => readConfig(bad)).toThrow(/not valid JSON .*YAML configs need a \.yml or \.yaml name/);
    const y = join(dir, 'b.yml');
    writeFileSync(y, 'model: [unclosed\n');
    expect(() => readConfig(y)).toThrow(/b\.yml: not valid YAML/);
  });

  it('tutorial-style hls4ml config (config_from_*_model, granularity name): translated, notes for the rest, round-trips', () => {
    const doc = readConfig(join(FIX, 'tutorial.json'));
    expect(doc.format).toBe('hls4ml');
    expect(renderType(doc.precision.model.types.default!)).toBe('ap_fixed<16,6>');
    expect(types(doc, '/body/body.0/Gemm')).toEqual({ weight: 'ap_fixed<8,2>', bias: 'ap_fixed<8,3>', result: 'ap_fixed<16,6>' });
    expect(doc.precision.layers['/body/body.0/Gemm']!.autoAccum).toBe(true);
    expect(types(doc, '/body/body.1/Relu')).toEqual({ result: 'ap_ufixed<10,4,AP_RND_CONV,AP_SAT>' });
    expect(types(doc, '/softmax/Softmax')).toEqual({ result: 'ap_fixed<16,6>', exp_table: 'ap_fixed<18,8,AP_RND,AP_SAT>', inv_table: 'ap_fixed<18,8,AP_RND,AP_SAT>' });
    expect(doc.precision.layers['/softmax/Softmax']!.tableSize).toBe(1024);
    expect(doc.hls).toEqual({
      strategy: 'latency',
      reuse: 1,
      layers: { '/body/body.0/Gemm': { reuse: 4 }, '/body/body.2/Gemm': { reuse: 2, strategy: 'resource' } },
    });
    expect(doc.notes.map((n) => n.replace(/^.*tutorial\.json: /, ''))).toEqual([
      'Model.BramFactor: no nn2hls equivalent; ignored',
      "LayerName./body/body.4/Gemm.Trace: per-layer traces come from 'nn2hls csim' on a mismatch (and 'simulate --save-outputs'); ignored",
      "LayerName./body/body.4/Gemm.Precision.result: 'auto' is not translated; the level's default applies",
      "LayerName./softmax/Softmax.Strategy: strategy 'Stable' has no nn2hls equivalent (nn2hls has latency and resource); ignored",
    ]);
    roundTrip(doc);
  });

  it('ArgyKokk-style hls4ml YAML (HLSConfig + project keys): translated, notes for the rest, round-trips', () => {
    const doc = readConfig(join(FIX, 'argykokk.yml'));
    expect(doc.format).toBe('hls4ml');
    expect(renderType(doc.precision.model.types.default!)).toBe('ap_fixed<18,8>');
    expect(Object.fromEntries(Object.entries(doc.precision.opTypes.Dense!.types).map(([k, t]) => [k, renderType(t!)]))).toEqual({
      weight: 'ap_fixed<10,3>',
      bias: 'ap_fixed<10,4>',
    });
    expect(doc.precision.opTypes.Softmax!.tableSize).toBe(512);
    expect(types(doc, '/body/body.0/Gemm')).toEqual({ weight: 'ap_fixed<8,2>' });
    expect(doc.hls).toEqual({
      part: 'xcvu9p-flgb2104-2-e',
      clock: '5ns',
      io: 'stream',
      strategy: 'resource',
      reuse: 2,
      layers: { '/body/body.0/Gemm': { reuse: 8 } },
    });
    expect(doc.notes.map((n) => n.replace(/^.*argykokk\.yml: /, ''))).toEqual([
      'KerasJson: nn2hls takes the model and data files on the command line; ignored',
      'KerasH5: nn2hls takes the model and data files on the command line; ignored',
      'InputData: nn2hls takes the model and data files on the command line; ignored',
      'OutputPredictions: nn2hls takes the model and data files on the command line; ignored',
      'OutputDir: give it on the command line (-o/--out); ignored',
      'ProjectName: give it on the command line (--name); ignored',
      'HLSConfig.LayerType.Dense: reuse per layer type has no nn2hls equivalent; set it per layer (hls.layers) or for the model',
      "HLSConfig.LayerType.Activation: no nn2hls op type corresponds to the hls4ml layer type 'Activation'; ignored (set it per layer under LayerName)",
      'HLSConfig.LayerName./body/body.0/Gemm.Compression: no nn2hls equivalent; ignored',
    ]);
    roundTrip(doc);
  });
});
