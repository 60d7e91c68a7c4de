/**
 * Translation of an hls4ml configuration into nn2hls's config document, so hls4ml users can
 * bring the file they already have. Two shapes are read: the dictionary hls4ml's
 * config_from_*_model returns (`Model`, `LayerName`, `LayerType` at the top; "tutorial style"),
 * and the YAML file of hls4ml's command line (`Part`, `ClockPeriod`, `IOType`, ... with the same
 * dictionary under `HLSConfig`). Precisions, reuse factors and strategies map onto the
 * `model`/`op_types`/`layers` precision sections and the `hls` section; every key that has no
 * nn2hls meaning, or a value nn2hls cannot honour, becomes one note (nothing is dropped silently).
 * Layer names are kept as written: hls4ml names layers as the framework did, and the quantize
 * pass reports any name the model does not have.
 */

const TOP_KEYS = ['HLSConfig', 'Model', 'LayerName', 'LayerType', 'IOType', 'Part', 'ClockPeriod', 'OutputDir', 'ProjectName', 'Backend'];

/** True when a parsed document looks like hls4ml's rather than nn2hls's (whose keys are lower case). */
export function isHls4mlConfig(raw: unknown): boolean {
  return !!raw && typeof raw === 'object' && !Array.isArray(raw) && Object.keys(raw).some((k) => TOP_KEYS.includes(k));
}

/** hls4ml layer classes → the IR op the importer makes of them (only unambiguous ones). */
const LAYER_TYPE_OP: Record<string, string> = {
  Dense: 'Dense', QDense: 'Dense', Linear: 'Dense',
  Conv1D: 'Conv', Conv2D: 'Conv', QConv1D: 'Conv', QConv2D: 'Conv', DepthwiseConv2D: 'Conv', SeparableConv2D: 'Conv',
  Conv2DTranspose: 'ConvTranspose', Conv1DTranspose: 'ConvTranspose',
  BatchNormalization: 'Affine', QBatchNormalization: 'Affine',
  Softmax: 'Softmax', ReLU: 'Relu', LeakyReLU: 'LeakyRelu', PReLU: 'PRelu', ELU: 'Elu',
  MaxPooling1D: 'MaxPool', MaxPooling2D: 'MaxPool', AveragePooling1D: 'AvgPool', AveragePooling2D: 'AvgPool',
  GlobalAveragePooling1D: 'GlobalAvgPool', GlobalAveragePooling2D: 'GlobalAvgPool',
  GlobalMaxPooling1D: 'GlobalMaxPool', GlobalMaxPooling2D: 'GlobalMaxPool',
  Add: 'Add', Subtract: 'Sub', Multiply: 'Mul', Maximum: 'Max', Minimum: 'Min', Concatenate: 'Concat',
  LSTM: 'LSTM', GRU: 'GRU', SimpleRNN: 'RNN',
};

/** hls4ml precision variable names (with or without the `_t` suffix) → nn2hls's. */
const PREC_VARS: Record<string, string> = {
  default: 'default', weight: 'weight', bias: 'bias', result: 'result', accum: 'accum',
  table: 'table', exp_table: 'exp_table', inv_table: 'inv_table', recurrent_weight: 'recurrent_weight',
  state: 'state',
};

export interface Translation {
  /** An nn2hls config document: model / op_types / layers / hls. */
  doc: Record<string, unknown>;
  notes: string[];
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** hls4ml spells types like 'fixed<16,6>' or 'ap_fixed<16,6,AP_RND,AP_SAT>'; parseType reads both. */
function precString(v: unknown): string | undefined {
  return typeof v === 'string' ? v.trim() : undefined;
}

function strategyOf(v: unknown, at: string, notes: string[]): string | undefined {
  const s = typeof v === 'string' ? v.toLowerCase() : '';
  if (s === 'latency' || s === 'resource') return s;
  if (s === 'resource_unrolled') {
    notes.push(`${at}: '${String(v)}' has no nn2hls equivalent; using 'resource'`);
    return 'resource';
  }
  notes.push(`${at}: strategy '${String(v)}' has no nn2hls equivalent (nn2hls has latency and resource); ignored`);
  return undefined;
}

/** Precision entry of one level: a string (the default) or {weight, bias, result, ...}. */
function precisionLevel(v: unknown, at: string, notes: string[], level: Record<string, unknown>): void {
  const s = precString(v);
  if (s !== undefined) {
    if (s === 'auto') notes.push(`${at}: 'auto' (hls4ml's inferred precision) is not translated; nn2hls derives accumulators itself and uses the model default elsewhere (or run with --precision auto)`);
    else level['default'] = s;
    return;
  }
  const o = obj(v);
  if (!o) {
    notes.push(`${at}: expected a type string or an object of variables; ignored`);
    return;
  }
  for (const [k, x] of Object.entries(o)) {
    const name = PREC_VARS[k.replace(/_t$/, '')];
    const t = precString(x);
    if (!name) notes.push(`${at}.${k}: no nn2hls precision variable of that name; ignored`);
    else if (t === 'auto') {
      if (name === 'accum') level['accum'] = 'auto';
      else notes.push(`${at}.${k}: 'auto' is not translated; the level's default applies`);
    } else if (t === undefined) notes.push(`${at}.${k}: expected a type string; ignored`);
    else level[name] = t;
  }
}

/** Keys of a Model/LayerType/LayerName entry; fills the precision level and the hls options. */
function entry(
  e: Record<string, unknown>,
  at: string,
  notes: string[],
  level: Record<string, unknown>,
  hls: Record<string, unknown>,
): void {
  for (const [k, v] of Object.entries(e)) {
    const here = `${at}.${k}`;
    const tableKey = /^(table|exp_table|inv_table|accum)_t$/.exec(k);
    if (k === 'Precision') precisionLevel(v, here, notes, level);
    else if (k === 'ReuseFactor') {
      if (typeof v === 'number' && Number.isInteger(v) && v >= 1) hls['reuse'] = v;
      else notes.push(`${here}: expected a positive integer, got ${JSON.stringify(v)}; ignored`);
    } else if (k === 'Strategy') {
      const s = strategyOf(v, here, notes);
      if (s) hls['strategy'] = s;
    } else if (k === 'table_size' || k === 'TableSize') {
      if (typeof v === 'number') level['table_size'] = v;
      else notes.push(`${here}: expected an integer; ignored`);
    } else if (tableKey) {
      const t = precString(v);
      if (t) level[tableKey[1]!] = t;
    } else if ((k === 'Trace' || k === 'TraceOutput') && v === false) {
      // Asks for nothing.
    } else if (k === 'Trace' || k === 'TraceOutput') {
      notes.push(`${here}: per-layer traces come from 'nn2hls csim' on a mismatch (and 'simulate --save-outputs'); ignored`);
    } else {
      notes.push(`${here}: no nn2hls equivalent; ignored`);
    }
  }
}

export function translateHls4ml(raw: Record<string, unknown>, where: string): Translation {
  const notes: string[] = [];
  const hlsTop: Record<string, unknown> = {};
  const doc: Record<string, unknown> = {};
  const inner = obj(raw['HLSConfig']) ?? raw;
  for (const [k, v] of Object.entries(raw)) {
    const at = `${where}: ${k}`;
    switch (k) {
      case 'HLSConfig':
      case 'Model':
      case 'LayerName':
      case 'LayerType':
        break;
      case 'IOType':
        if (v === 'io_parallel' || v === 'io_stream') hlsTop['io'] = v === 'io_parallel' ? 'parallel' : 'stream';
        else notes.push(`${at}: '${String(v)}' is not io_parallel or io_stream; ignored`);
        break;
      case 'Part':
        if (typeof v === 'string') hlsTop['part'] = v;
        break;
      case 'ClockPeriod':
        // hls4ml's ClockPeriod is in ns.
        if (typeof v === 'number' || (typeof v === 'string' && /^\s*[\d.]+\s*$/.test(v))) hlsTop['clock'] = `${Number(v)}ns`;
        else if (typeof v === 'string') hlsTop['clock'] = v;
        break;
      case 'Backend':
        if (!/^(vivado|vitis)$/i.test(String(v))) notes.push(`${at}: nn2hls emits Vivado/Vitis HLS projects only; '${String(v)}' ignored`);
        break;
      case 'OutputDir':
      case 'ProjectName':
        notes.push(`${at}: give it on the command line (${k === 'OutputDir' ? '-o/--out' : '--name'}); ignored`);
        break;
      case 'KerasJson':
      case 'KerasH5':
      case 'KerasModel':
      case 'OnnxModel':
      case 'PytorchModel':
      case 'InputData':
      case 'OutputPredictions':
        notes.push(`${at}: nn2hls takes the model and data files on the command line; ignored`);
        break;
      default:
        notes.push(`${at}: no nn2hls equivalent; ignored`);
    }
  }
  if (inner !== raw) {
    for (const k of Object.keys(inner)) {
      if (!['Model', 'LayerName', 'LayerType'].includes(k)) notes.push(`${where}: HLSConfig.${k}: no nn2hls equivalent; ignored`);
    }
  }
  const prefix = inner === raw ? '' : 'HLSConfig.';
  const model = obj(inner['Model']);
  if (model) {
    const level: Record<string, unknown> = {};
    entry(model, `${where}: ${prefix}Model`, notes, level, hlsTop);
    if (Object.keys(level).length) doc['model'] = level;
  }
  const layerType = obj(inner['LayerType']);
  if (layerType) {
    const ops: Record<string, unknown> = {};
    for (const [cls, v] of Object.entries(layerType)) {
      const at = `${where}: ${prefix}LayerType.${cls}`;
      const op = LAYER_TYPE_OP[cls];
      const e = obj(v);
      if (!op) {
        notes.push(`${at}: no nn2hls op type corresponds to the hls4ml layer type '${cls}'; ignored (set it per layer under LayerName)`);
        continue;
      }
      if (!e) continue;
      const level: Record<string, unknown> = {};
      const hls: Record<string, unknown> = {};
      entry(e, at, notes, level, hls);
      if (Object.keys(level).length) ops[op] = level;
      for (const k of Object.keys(hls)) notes.push(`${at}: ${k} per layer type has no nn2hls equivalent; set it per layer (hls.layers) or for the model`);
    }
    if (Object.keys(ops).length) doc['op_types'] = ops;
  }
  const layerName = obj(inner['LayerName']);
  if (layerName) {
    const layers: Record<string, unknown> = {};
    const hlsLayers: Record<string, unknown> = {};
    for (const [name, v] of Object.entries(layerName)) {
      const e = obj(v);
      if (!e) {
        notes.push(`${where}: ${prefix}LayerName.${name}: expected an object; ignored`);
        continue;
      }
      const level: Record<string, unknown> = {};
      const hls: Record<string, unknown> = {};
      entry(e, `${where}: ${prefix}LayerName.${name}`, notes, level, hls);
      if (Object.keys(level).length) layers[name] = level;
      if (Object.keys(hls).length) hlsLayers[name] = hls;
    }
    if (Object.keys(layers).length) doc['layers'] = layers;
    if (Object.keys(hlsLayers).length) hlsTop['layers'] = hlsLayers;
  }
  if (Object.keys(hlsTop).length) doc['hls'] = hlsTop;
  return { doc, notes };
}
