/**
 * The four containers a Keras model comes in, reduced to one shape: the model config (the
 * JSON of `model.to_json()` / `get_config()`) and a weight store that hands each layer its
 * weights in Keras order (kernel, recurrent kernel, bias; gamma, beta, mean, variance; ...).
 *  - full-model .h5: `model_config` root attribute + weights under `model_weights/<layer>`;
 *  - architecture .json + weights .h5: `layer_names` / `weight_names` attributes (the weights
 *    of a nested model sit one group deeper, named by their full path);
 *  - Keras 3 .keras zip: config.json + model.weights.h5 with `layers/<class path>/vars/<i>`;
 *  - TF.js layers model: model.json (`format: layers-model`) + binary shards named by the
 *    weights manifest, uint8/uint16 affine-quantized and float16 weights included.
 * Formats are told apart by content (HDF5 signature, zip signature, JSON keys), not extension.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { NnInputError } from '../../util/tensor.js';
import { type H5Reader, isHdf5, openH5 } from './h5.js';
import { isZip, readZip } from './zip.js';

export interface WeightTensor {
  /** Keras name when the container keeps one (e.g. 'fc1/kernel:0'), else ''. */
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** One layer's view of its weights. `path` is the Keras 3 storage path when known. */
export interface LayerRef {
  readonly name: string;
  readonly className: string;
}

export interface WeightStore {
  /** Weights of a layer in Keras order; [] when the container holds none for it. */
  weights(layer: LayerRef): WeightTensor[];
}

export type KerasFormat = 'h5' | 'json+h5' | 'keras' | 'tfjs';

export interface KerasContainer {
  readonly source: string;
  readonly format: KerasFormat;
  /** The weights .h5 an architecture .json was read with (json+h5 only). */
  readonly weightsFile?: string;
  /** `{class_name, config}` of the model. */
  readonly config: Record<string, unknown>;
  /** Major Keras version that wrote the model (2 or 3), which decides a few defaults. */
  readonly kerasMajor: number;
  readonly weights: WeightStore;
}

function readBytes(path: string, what = 'the model'): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new NnInputError(`${path}: cannot read ${what} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

function parseJson(text: string, source: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new NnInputError(`${source}: not valid JSON (${(e as Error).message})`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new NnInputError(`${source}: expected a JSON object`);
  return v as Record<string, unknown>;
}

function modelConfigOf(v: unknown, source: string): Record<string, unknown> {
  const o = (typeof v === 'string' ? parseJson(v, source) : v) as Record<string, unknown> | null;
  if (!o || typeof o !== 'object' || typeof o['class_name'] !== 'string' || o['config'] === undefined) {
    throw new NnInputError(`${source}: no Keras model config found (expected {"class_name": ..., "config": ...})`);
  }
  return o;
}

function versionMajor(v: unknown): number {
  const m = typeof v === 'string' ? /^v?(\d+)/.exec(v) : null;
  return m ? Number(m[1]) : 2;
}

function strList(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === 'string') return v ? [v] : [];
  return [];
}

/** Keras 2 HDF5 weights (a weights file, or the model_weights group of a full model). */
function keras2Store(h5: H5Reader, root: string): WeightStore {
  const layerNames = new Set(strList(h5.attr(root, 'layer_names')));
  return {
    weights(layer) {
      const base = `${root === '/' ? '' : root}/${layer.name}`;
      if (!layerNames.has(layer.name) && !h5.keys(base)) return [];
      const names = strList(h5.attr(base, 'weight_names'));
      const where = `${h5.source}: layer '${layer.name}' (${layer.className})`;
      if (names.length === 0) {
        const keys = h5.keys(base) ?? [];
        if (keys.length > 0) {
          throw new NnInputError(`${where}: the weights group has members (${keys.join(', ')}) but no weight_names attribute; the file is not a Keras weights file`);
        }
        return [];
      }
      return names.map((n) => {
        const ds = h5.dataset(`${base}/${n}`, where);
        return { name: n, shape: ds.shape, data: ds.data };
      });
    },
  };
}

const snake = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();

/**
 * Keras 3 stores weights by object path (`layers/dense_1/vars/0`), not layer name. The vars
 * group names its layer in a `name` attribute when the saver wrote one; otherwise the path is
 * the snake-cased class name, numbered in the order the layers appear.
 */
function keras3Store(h5: H5Reader, layerOrder: readonly LayerRef[]): WeightStore {
  const byName = new Map<string, string>();
  for (const k of h5.keys('/layers') ?? []) {
    const n = h5.attr(`/layers/${k}/vars`, 'name');
    if (typeof n === 'string' && n) byName.set(n, `/layers/${k}`);
  }
  const counts = new Map<string, number>();
  const byOrder = new Map<string, string>();
  for (const l of layerOrder) {
    if (l.className === 'InputLayer') continue;
    const s = snake(l.className);
    const c = counts.get(s) ?? 0;
    counts.set(s, c + 1);
    byOrder.set(l.name, `/layers/${c === 0 ? s : `${s}_${c}`}`);
  }
  return {
    weights(layer) {
      const path = byName.get(layer.name) ?? byOrder.get(layer.name);
      if (!path) return [];
      const where = `${h5.source}: layer '${layer.name}' (${layer.className}, ${path.slice(1)})`;
      // A layer's own vars, then those of the objects it holds (an RNN's `cell`, a
      // Bidirectional's forward_layer then backward_layer, a wrapper's `layer`), depth first.
      const out: WeightTensor[] = [];
      const collect = (p: string) => {
        const vars = h5.keys(`${p}/vars`) ?? [];
        for (const k of vars.filter((v) => /^\d+$/.test(v)).sort((x, y) => Number(x) - Number(y))) {
          const ds = h5.dataset(`${p}/vars/${k}`, where);
          out.push({ name: '', shape: ds.shape, data: ds.data });
        }
        const rank = (k: string) => (k === 'forward_layer' ? 0 : k === 'backward_layer' ? 1 : 2);
        const subs = (h5.keys(p) ?? []).filter((k) => k !== 'vars' && h5.keys(`${p}/${k}`) !== null);
        subs.sort((x, y) => rank(x) - rank(y) || (x < y ? -1 : x > y ? 1 : 0));
        for (const k of subs) collect(`${p}/${k}`);
      };
      collect(path);
      return out;
    },
  };
}

/** Layers of a config in file order (nested models flattened), for Keras 3 path numbering. */
export function configLayerOrder(cfg: Record<string, unknown>): LayerRef[] {
  const out: LayerRef[] = [];
  const visit = (o: Record<string, unknown>) => {
    const c = o['config'];
    const layers = Array.isArray(c) ? c : (c as Record<string, unknown> | undefined)?.['layers'];
    if (!Array.isArray(layers)) return;
    for (const l of layers as Record<string, unknown>[]) {
      const lc = (l['config'] ?? {}) as Record<string, unknown>;
      out.push({ name: String(lc['name'] ?? l['name'] ?? ''), className: String(l['class_name'] ?? '') });
    }
  };
  visit(cfg);
  return out;
}

function tfjsStore(model: Record<string, unknown>, dir: string, source: string): WeightStore {
  const manifest = model['weightsManifest'];
  if (!Array.isArray(manifest)) throw new NnInputError(`${source}: TF.js layers model without a weightsManifest`);
  const all: WeightTensor[] = [];
  for (const group of manifest as Record<string, unknown>[]) {
    const paths = strList(group['paths']);
    const chunks = paths.map((p) => {
      const f = join(dir, p);
      if (!existsSync(f)) throw new NnInputError(`${source}: weight shard '${p}' listed in the manifest is missing (looked for ${f})`);
      return readBytes(f, 'the weight shard');
    });
    const total = chunks.reduce((a, c) => a + c.length, 0);
    const buf = new Uint8Array(total);
    let off = 0;
    for (const c of chunks) {
      buf.set(c, off);
      off += c.length;
    }
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let pos = 0;
    for (const w of (group['weights'] ?? []) as Record<string, unknown>[]) {
      const name = String(w['name']);
      const shape = (w['shape'] as number[]) ?? [];
      const n = shape.reduce((a, d) => a * d, 1);
      const q = w['quantization'] as Record<string, unknown> | undefined;
      const dtype = String(q?.['dtype'] ?? w['dtype'] ?? 'float32');
      const size = dtype === 'uint8' || dtype === 'bool' ? 1 : dtype === 'uint16' || dtype === 'float16' ? 2 : 4;
      if (pos + n * size > buf.length) {
        throw new NnInputError(`${source}: weight '${name}' runs past the end of the shards (${buf.length} bytes); a shard is truncated`);
      }
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const p = pos + i * size;
        let v: number;
        switch (dtype) {
          case 'float32':
            v = dv.getFloat32(p, true);
            break;
          case 'int32':
            v = dv.getInt32(p, true);
            break;
          case 'uint8':
          case 'bool':
            v = dv.getUint8(p);
            break;
          case 'uint16':
            v = dv.getUint16(p, true);
            break;
          case 'float16': {
            const h = dv.getUint16(p, true);
            const s = h & 0x8000 ? -1 : 1;
            const e = (h >> 10) & 0x1f;
            const f = h & 0x3ff;
            v = e === 0 ? s * f * 2 ** -24 : e === 31 ? (f ? NaN : s * Infinity) : s * (1 + f / 1024) * 2 ** (e - 15);
            break;
          }
          default:
            throw new NnInputError(`${source}: weight '${name}' has unsupported dtype '${dtype}'`);
        }
        if (q && (dtype === 'uint8' || dtype === 'uint16')) {
          const scale = Number(q['scale'] ?? 1);
          const min = Number(q['min'] ?? 0);
          v = v * scale + min;
        }
        data[i] = v;
      }
      pos += n * size;
      all.push({ name, shape, data });
    }
  }
  // A layer's weights are named '<layer>/...' (a wrapper's: '<layer>/<inner layer>/...').
  return { weights: (l) => all.filter((w) => w.name.startsWith(`${l.name}/`)) };
}

export interface OpenOptions {
  /** Weights .h5 for an architecture .json (default `<stem>_weights.h5` beside it). */
  weights?: string;
}

/** Recognizes the container by content and opens it. Caller closes via the returned `close`. */
export async function openKeras(path: string, opts: OpenOptions = {}): Promise<{ model: KerasContainer; close(): void }> {
  let file = path;
  if (existsSync(path) && statSync(path).isDirectory()) {
    file = join(path, 'model.json');
    if (!existsSync(file)) throw new NnInputError(`${path}: a directory without model.json; give a TF.js layers-model folder or a Keras file`);
  }
  const bytes = readBytes(file);
  if (isHdf5(bytes)) {
    if (opts.weights) throw new NnInputError(`${file}: --weights is only used with an architecture .json`);
    const h5 = await openH5(bytes, file);
    try {
      const mc = h5.attr('/', 'model_config');
      if (mc === undefined || mc === null) {
        const hint = h5.attr('/', 'layer_names') !== undefined
          ? 'it holds weights only (save_weights); give the architecture .json and pass this file with --weights'
          : 'no model_config attribute; save the model with model.save("model.h5")';
        throw new NnInputError(`${file}: HDF5 file without a Keras model: ${hint}`);
      }
      const config = modelConfigOf(mc, `${file}: model_config`);
      const root = h5.keys('/model_weights') ? '/model_weights' : '/';
      const model: KerasContainer = {
        source: file,
        format: 'h5',
        config,
        kerasMajor: versionMajor(h5.attr('/', 'keras_version')),
        weights: keras2Store(h5, root),
      };
      return { model, close: () => h5.close() };
    } catch (e) {
      h5.close();
      throw e;
    }
  }
  if (isZip(bytes)) {
    const entries = readZip(bytes, file);
    const cfgBytes = entries.get('config.json');
    const wBytes = entries.get('model.weights.h5');
    if (!cfgBytes) throw new NnInputError(`${file}: a zip without config.json; expected a Keras 3 .keras file`);
    const config = modelConfigOf(parseJson(new TextDecoder().decode(cfgBytes), `${file}: config.json`), `${file}: config.json`);
    const meta = entries.get('metadata.json');
    const major = meta ? versionMajor(parseJson(new TextDecoder().decode(meta), `${file}: metadata.json`)['keras_version']) : 3;
    if (!wBytes) {
      const empty: WeightStore = { weights: () => [] };
      return { model: { source: file, format: 'keras', config, kerasMajor: major, weights: empty }, close: () => undefined };
    }
    const h5 = await openH5(wBytes, `${file}: model.weights.h5`);
    const model: KerasContainer = { source: file, format: 'keras', config, kerasMajor: major, weights: keras3Store(h5, configLayerOrder(config)) };
    return { model, close: () => h5.close() };
  }
  const text = new TextDecoder().decode(bytes);
  if (!/^\s*\{/.test(text)) {
    throw new NnInputError(`${file}: not a Keras model: neither HDF5 (.h5), a .keras zip, nor JSON (architecture .json or TF.js model.json)`);
  }
  const json = parseJson(text, file);
  if (json['format'] === 'graph-model') {
    throw new NnInputError(`${file}: a TF.js graph model; nn2hls reads TF.js layers models (format "layers-model") here`);
  }
  if (json['modelTopology'] !== undefined) {
    const topo = json['modelTopology'] as Record<string, unknown>;
    const config = modelConfigOf(topo['model_config'] ?? topo, `${file}: modelTopology`);
    const model: KerasContainer = {
      source: file,
      format: 'tfjs',
      config,
      kerasMajor: versionMajor(topo['keras_version']),
      weights: tfjsStore(json, dirname(file), file),
    };
    return { model, close: () => undefined };
  }
  const config = modelConfigOf(json, file);
  const wPath = opts.weights ?? join(dirname(file), `${basename(file, extname(file))}_weights.h5`);
  if (!existsSync(wPath)) {
    throw new NnInputError(
      `${file}: Keras architecture without weights: ${wPath} not found; pass the weights file with --weights FILE.h5`,
    );
  }
  const wBytes = readBytes(wPath, 'the weights');
  const h5 = await openH5(wBytes, wPath);
  const root = h5.keys('/model_weights') ? '/model_weights' : '/';
  const model: KerasContainer = {
    source: file,
    format: 'json+h5',
    weightsFile: wPath,
    config,
    kerasMajor: versionMajor(json['keras_version']),
    weights: keras2Store(h5, root),
  };
  return { model, close: () => h5.close() };
}
