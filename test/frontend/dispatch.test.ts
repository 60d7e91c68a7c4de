/** Reader selection by content: ONNX without its extension, and the unknown-format error listing the known formats. */
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel, READERS } from '../../src/frontend/index.js';
import { NnInputError } from '../../src/util/tensor.js';

const ONNX = new URL('../../examples/digits_mlp.onnx', import.meta.url).pathname;

describe('frontend dispatch', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nn2hls-dispatch-'));

  it('reads an ONNX model by its content when the extension says nothing', () => {
    const p = join(dir, 'model.bin');
    copyFileSync(ONNX, p);
    const g = loadModel(p);
    expect(g.nodes.length).toBe(loadModel(ONNX).nodes.length);
  });

  it('names every known format for a file it does not recognise', () => {
    const p = join(dir, 'weird.xyz');
    writeFileSync(p, 'hello world');
    let err: unknown;
    try {
      loadModel(p);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NnInputError);
    const msg = (err as Error).message;
    for (const r of READERS) expect(msg).toContain(r.name);
    expect(msg).toContain('unknown format');
  });

  it('says which JSON format it found when the format is not one it reads', () => {
    const p = join(dir, 'm.json');
    writeFileSync(p, JSON.stringify({ format: 'something-else', modelTopology: {} }));
    expect(() => loadModel(p)).toThrow(/JSON file with format 'something-else'/);
  });
});
