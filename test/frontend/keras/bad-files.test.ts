/**
 * Bad Keras inputs get clear errors naming the file and the layer: not HDF5, an HDF5 file
 * without a model, missing weights for a layer, a weight shape mismatch, a truncated .keras
 * zip, an unknown quantizer, unsupported layer classes (all listed at once by layer name), and
 * an architecture .json without its weights file.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadKeras } from '../../../src/frontend/keras/index.js';
import { loadModelAsync } from '../../../src/frontend/index.js';
import { NnInputError } from '../../../src/util/tensor.js';
import { existsSync } from 'node:fs';

const SHARED = join(__dirname, '../../../../shared/models/keras');
const HAVE = existsSync(SHARED);
if (!HAVE) console.log(`test/frontend/keras/bad-files: skipped — ${SHARED} not found`);
const tmp = mkdtempSync(join(tmpdir(), 'nn2hls-keras-bad-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(NnInputError);
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

/** KERAS_3layer.json with `edit` applied to its config, beside the original weights. */
function edited(edit: (cfg: { config: { layers: Record<string, unknown>[] } }) => void, name: string): string {
  const cfg = JSON.parse(readFileSync(join(SHARED, 'KERAS_3layer.json'), 'utf8'));
  edit(cfg);
  const p = join(tmp, `${name}.json`);
  writeFileSync(p, JSON.stringify(cfg));
  return p;
}

describe.skipIf(!HAVE)('bad Keras files', () => {
  it('a file that is not HDF5', async () => {
    const p = join(tmp, 'model.h5');
    writeFileSync(p, 'this is not a model');
    expect(await failure(loadModelAsync(p))).toMatch(/model\.h5: .*(not HDF5|unknown format|not a Keras model)/);
  });

  it('an HDF5 weights file given alone', async () => {
    expect(await failure(loadKeras(join(SHARED, 'KERAS_3layer_weights.h5')))).toMatch(/KERAS_3layer_weights\.h5: HDF5 file without a Keras model: it holds weights only.*--weights/);
  });

  it('missing weights for a layer names the layer', async () => {
    const p = edited((c) => {
      (c.config.layers[2]!['config'] as Record<string, unknown>)['name'] = 'fc2_renamed';
      c.config.layers[2]!['name'] = 'fc2_renamed';
      (c.config.layers[3]!['inbound_nodes'] as string[][][])[0]![0]![0] = 'fc2_renamed';
    }, 'renamed');
    const msg = await failure(loadKeras(p, { weights: join(SHARED, 'KERAS_3layer_weights.h5') }));
    expect(msg).toMatch(/layer 'fc2_renamed' \(Dense\): missing weights: expected kernel/);
  });

  it('a weight shape mismatch names the layer and both shapes', async () => {
    const p = edited((c) => ((c.config.layers[1]!['config'] as Record<string, unknown>)['units'] = 60), 'units');
    const msg = await failure(loadKeras(p, { weights: join(SHARED, 'KERAS_3layer_weights.h5') }));
    expect(msg).toMatch(/layer 'fc1_relu' \(Dense\): kernel has shape \[16,64\], expected \[16,60\]/);
  });

  it('a truncated .keras zip', async () => {
    const bytes = readFileSync(join(SHARED, 'qkeras-v3_3layer.keras'));
    const p = join(tmp, 'cut.keras');
    writeFileSync(p, bytes.subarray(0, 30000));
    expect(await failure(loadModelAsync(p))).toMatch(/cut\.keras: the \.keras zip cannot be read .*truncated/);
  });

  it('an unknown quantizer names the layer and the quantizer', async () => {
    const cfg = JSON.parse(readFileSync(join(SHARED, 'qkeras_3layer.json'), 'utf8'));
    cfg.config.layers[1].config.kernel_quantizer.class_name = 'quantized_ulaw';
    const p = join(tmp, 'q.json');
    writeFileSync(p, JSON.stringify(cfg));
    const msg = await failure(loadKeras(p, { weights: join(SHARED, 'qkeras_3layer_weights.h5') }));
    expect(msg).toMatch(/layer 'fc1' \(QDense\): kernel_quantizer: unknown quantizer 'quantized_ulaw'; supported: quantized_bits/);
  });

  it('unsupported layer classes are listed together by layer name', async () => {
    const p = edited((c) => {
      c.config.layers[2]!['class_name'] = 'Lambda';
      c.config.layers[3]!['class_name'] = 'Lambda';
      c.config.layers[4]!['class_name'] = 'MyCustomLayer';
    }, 'lambda');
    const msg = await failure(loadKeras(p, { weights: join(SHARED, 'KERAS_3layer_weights.h5') }));
    expect(msg).toMatch(/3 unsupported|2 unsupported Keras layer class/);
    expect(msg).toMatch(/Lambda: 'fc2_relu', 'fc3_relu'/);
    expect(msg).toMatch(/MyCustomLayer: 'output_softmax'/);
    expect(msg).toMatch(/Supported layers: .*Conv2D/);
  });

  it('an architecture .json without its weights file', async () => {
    const p = join(tmp, 'alone.json');
    copyFileSync(join(SHARED, 'KERAS_1layer.json'), p);
    expect(await failure(loadModelAsync(p))).toMatch(/alone\.json: Keras architecture without weights: .*alone_weights\.h5 not found; pass the weights file with --weights/);
  });
});
