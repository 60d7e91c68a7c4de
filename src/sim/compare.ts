/**
 * Float versus fixed point on the same inputs: what `nn2hls simulate` reports. Runs the
 * canonical float graph and its quantized twin chunk by chunk (bounded memory for any N),
 * pairs every layer's output by value name, and accumulates per layer the signal and error
 * power (SNR in dB) and the overflow counts of the layer's cast points; for the model outputs
 * it measures accuracy against labels (class indices or one-hot), top-1 agreement float vs
 * fixed, and the max and mean absolute error.
 */
import { fracBits, renderType } from '../ir/fixed.js';
import { constantOverflows } from '../ir/const-overflow.js';
import { quantizeDouble } from './fixed/apfixed.js';
import type { Graph, Node } from '../ir/graph.js';
import { runFloat } from './float/executor.js';
import type { RtTensor } from './float/kernel.js';
import { FixedProgram, fxToFloat } from './fixed/executor.js';

export interface LayerReport {
  name: string;
  op: string;
  /** Types by role: result, weight, bias, accum, and table types. */
  types: Record<string, string>;
  /** 10·log10(Σ float² / Σ (fixed − float)²); null when the layer is exact. */
  snr_db: number | null;
  overflows: number;
  /** Constant elements (weights, biases, table entries) that do not fit their type (ir/const-overflow.ts). */
  constant_overflows: number;
  /** Largest |quantized − float| over the layer's weights and biases; null without any. */
  weight_error: number | null;
}

export interface SimulationReport {
  samples: number;
  float: { accuracy: number | null };
  fixed: { accuracy: number | null };
  agreement: number;
  max_abs_error: number;
  mean_abs_error: number;
  layers: LayerReport[];
  /** Elements of the inputs that overflowed their entry type. */
  input_overflows: number;
}

export interface SimulationResult {
  report: SimulationReport;
  floatOutputs: RtTensor[];
  fixedOutputs: RtTensor[];
}

export interface SimulateOptions {
  /** Labels for accuracy: [N] class indices or [N, C] one-hot (or [N] 0/1 for one output unit). */
  labels?: Float32Array;
  labelShape?: readonly number[];
  chunk?: number;
  onProgress?: (done: number, total: number) => void;
}

/** Predicted class per row of output 0: argmax of the last dim, or > 0.5 for a single unit. */
export function predictions(t: { shape: readonly number[]; data: ArrayLike<number> }): Int32Array {
  const cols = t.shape[t.shape.length - 1] ?? 1;
  const rows = t.data.length / cols;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    if (cols === 1) {
      out[r] = t.data[r]! > 0.5 ? 1 : 0;
      continue;
    }
    let best = 0;
    for (let c = 1; c < cols; c++) if (t.data[r * cols + c]! > t.data[r * cols + best]!) best = c;
    out[r] = best;
  }
  return out;
}

function labelClasses(labels: Float32Array, shape: readonly number[], rows: number): Int32Array {
  if (shape.length >= 2 && shape[shape.length - 1]! > 1) {
    return predictions({ shape, data: labels });
  }
  if (labels.length !== rows) throw new Error(`labels hold ${labels.length} entries for ${rows} samples`);
  return Int32Array.from(labels, (v) => Math.round(v));
}

/** Parameter slots (weights, biases, recurrent weights) whose quantization error is reported. */
const PARAM_SLOTS: Partial<Record<string, readonly number[]>> = {
  Dense: [1, 2], Conv: [1, 2], ConvTranspose: [1, 2], Affine: [1, 2], LSTM: [1, 2, 3, 7], GRU: [1, 2, 3], RNN: [1, 2, 3],
};

/** max |value in its fixed type − float value| over the node's parameters (exact for QKeras models). */
function weightError(qg: Graph, n: Node): number | null {
  const slots = PARAM_SLOTS[n.op];
  if (!slots) return null;
  let worst: number | null = null;
  for (const i of slots) {
    const v = qg.values.get(n.inputs[i] ?? '');
    if (!v?.data || !v.fixed) continue;
    const scale = 2 ** -fracBits(v.fixed);
    for (const x of v.data) worst = Math.max(worst ?? 0, Math.abs(Number(quantizeDouble(x, v.fixed)) * scale - x));
  }
  return worst;
}

function layerTypes(qg: Graph, n: Node): Record<string, string> {
  const t: Record<string, string> = {};
  const out = qg.values.get(n.outputs[0]!)?.fixed;
  if (out) t['result'] = renderType(out);
  const role = (i: number, name: string) => {
    const v = qg.values.get(n.inputs[i] ?? '');
    if (v?.data && v.fixed) t[name] = renderType(v.fixed);
  };
  if (['Dense', 'Conv', 'ConvTranspose', 'Affine'].includes(n.op)) {
    role(1, 'weight');
    role(2, 'bias');
  } else if (['PRelu', 'Mul', 'Add', 'Sub', 'Max', 'Min'].includes(n.op)) {
    role(0, 'const');
    role(1, 'const');
  }
  if (n.prec?.accum) t['accum'] = renderType(n.prec.accum);
  for (const [k, s] of Object.entries(n.prec?.tables ?? {})) {
    const tt = qg.values.get(s.value)?.fixed;
    if (tt) t[`${k === 'f' ? '' : `${k}_`}table`] = `${renderType(tt)}[${s.size}]`;
  }
  for (const [k, v] of Object.entries(n.prec?.types ?? {})) t[k] = renderType(v);
  return t;
}

/**
 * `cg` is the canonical float graph (canonicalize(g)) and `qg` its quantized twin; both take
 * the user's inputs in the model's layout.
 */
export function simulate(cg: Graph, qg: Graph, inputs: readonly RtTensor[], opts: SimulateOptions = {}): SimulationResult {
  const program = new FixedProgram(qg);
  const n = cg.batched ? inputs[0]!.shape[0]! : 1;
  const chunk = opts.chunk ?? 1024;
  const sig = new Map<string, number>();
  const err = new Map<string, number>();
  const floatOuts: Float32Array[] = cg.outputs.map((o) => new Float32Array((cg.batched ? n : 1) * size(cg, o.value)));
  const fixedOuts: Float32Array[] = qg.outputs.map((o) => new Float32Array((cg.batched ? n : 1) * size(qg, o.value)));
  for (let s = 0; s < n; s += chunk) {
    const e = Math.min(n, s + chunk);
    const part = cg.batched
      ? inputs.map((t) => {
          const per = t.data.length / t.shape[0]!;
          return { shape: [e - s, ...t.shape.slice(1)], data: t.data.subarray(s * per, e * per) };
        })
      : inputs;
    const floatVals = new Map<string, Float32Array>();
    const fo = runFloat(cg, part, { onValue: (name, t) => floatVals.set(name, t.data) });
    const xo = program.run(part, {
      onValue: (name, t) => {
        const f = floatVals.get(name);
        if (!f) return;
        const q = fxToFloat(t);
        let ss = 0;
        let ee = 0;
        for (let i = 0; i < q.length; i++) {
          const d = q[i]! - f[i]!;
          ss += f[i]! * f[i]!;
          ee += d * d;
        }
        sig.set(name, (sig.get(name) ?? 0) + ss);
        err.set(name, (err.get(name) ?? 0) + ee);
      },
    });
    fo.forEach((t, k) => floatOuts[k]!.set(t.data, s * (t.data.length / (e - s))));
    xo.forEach((t, k) => fixedOuts[k]!.set(fxToFloat(t), s * (t.raw.length / (e - s))));
    opts.onProgress?.(e, n);
  }
  const shapeOf = (g: Graph, v: string) => [...(g.batched ? [n] : []), ...g.values.get(v)!.shape];
  const floatOutputs = cg.outputs.map((o, k) => ({ shape: shapeOf(cg, o.value), data: floatOuts[k]! }));
  const fixedOutputs = qg.outputs.map((o, k) => ({ shape: shapeOf(qg, o.value), data: fixedOuts[k]! }));

  let maxErr = 0;
  let sumErr = 0;
  let count = 0;
  floatOutputs.forEach((f, k) => {
    const q = fixedOutputs[k]!.data;
    for (let i = 0; i < q.length; i++) {
      const d = Math.abs(q[i]! - f.data[i]!);
      if (d > maxErr) maxErr = d;
      sumErr += d;
      count++;
    }
  });
  const pf = predictions(floatOutputs[0]!);
  const pq = predictions(fixedOutputs[0]!);
  let agree = 0;
  for (let i = 0; i < pf.length; i++) if (pf[i] === pq[i]) agree++;
  let accF: number | null = null;
  let accQ: number | null = null;
  if (opts.labels) {
    const cls = labelClasses(opts.labels, opts.labelShape ?? [opts.labels.length], pf.length);
    if (cls.length !== pf.length) throw new Error(`labels hold ${cls.length} samples, the inputs ${pf.length}`);
    let a = 0;
    let b = 0;
    for (let i = 0; i < cls.length; i++) {
      if (pf[i] === cls[i]) a++;
      if (pq[i] === cls[i]) b++;
    }
    accF = a / cls.length;
    accQ = b / cls.length;
  }
  const constOver = new Map<string, number>();
  for (const c of constantOverflows(qg)) constOver.set(c.layer, (constOver.get(c.layer) ?? 0) + c.count);
  const layers: LayerReport[] = qg.nodes.map((node) => {
    const o = node.outputs[0]!;
    const s = sig.get(o) ?? 0;
    const e = err.get(o) ?? 0;
    const st = program.stats.get(node.name)!;
    return {
      name: node.name,
      op: node.op,
      types: layerTypes(qg, node),
      snr_db: e === 0 ? null : 10 * Math.log10(s / e),
      overflows: st.result + st.accum,
      constant_overflows: constOver.get(node.name) ?? 0,
      weight_error: weightError(qg, node),
    };
  });
  const inputOverflows = qg.inputs.reduce((acc, io) => acc + (program.stats.get(io.value)?.result ?? 0), 0);
  return {
    report: {
      samples: pf.length,
      float: { accuracy: accF },
      fixed: { accuracy: accQ },
      agreement: agree / pf.length,
      max_abs_error: maxErr,
      mean_abs_error: count ? sumErr / count : 0,
      layers,
      input_overflows: inputOverflows,
    },
    floatOutputs,
    fixedOutputs,
  };
}

function size(g: Graph, v: string): number {
  return g.values.get(v)!.shape.reduce((p, d) => p * d, 1);
}
