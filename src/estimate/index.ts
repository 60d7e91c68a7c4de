/**
 * The estimator: a plan view (plan-view.ts), a resolved part and tool, a clock and a toggle rate
 * in; per-layer latency, II, DSP, LUT, FF, BRAM_18K, URAM and dynamic power, the totals,
 * utilisation of the part, whether it fits, power and energy per inference out. A design beyond
 * a tool limit or the part's capacity is estimated and marked, never refused.
 */
import { type Device, resolvePart, type ResolvedPart } from './devices.js';
import { designTiming, layerTiming, speedFactor } from './latency.js';
import { logicCost } from './logic.js';
import { memoryCost } from './memory.js';
import { multipliersFor } from './multipliers.js';
import { DEFAULTS, type EmitOptions, type LayerHlsOptions } from '../backend-hls/index.js';
import type { Graph } from '../ir/graph.js';
import type { Plan } from '../backend-hls/plan.js';
import { type PlanView, planView, viewOfPlan } from './plan-view.js';
import { dynamicPower, type Resources } from './power.js';
import { type ResolvedTool, resolveTool } from './tools.js';

export interface LayerEstimate extends Resources {
  readonly name: string;
  readonly op: string;
  readonly latency_cycles: number;
  readonly ii: number;
  readonly dynamic_power_w: number;
  /** Why this layer is marked (tool limits exceeded); empty when fine. */
  readonly marks: readonly string[];
}

export interface Estimate {
  readonly part: string;
  readonly device: Device;
  readonly clock_ns: number;
  readonly tool: string;
  readonly toolNote?: string;
  readonly toggle: number;
  readonly io: 'parallel' | 'stream';
  readonly layers: readonly LayerEstimate[];
  readonly total: Resources & {
    readonly latency_cycles: number;
    readonly ii: number;
    readonly latency_s: number;
    readonly throughput_per_s: number;
    readonly utilization: { readonly [k in keyof Resources]: number };
    readonly fits: boolean;
  };
  readonly power: { readonly static_w: number; readonly dynamic_w: number; readonly total_w: number };
  readonly energy_per_inference_j: number;
  readonly marks: readonly string[];
}

export interface EstimateOptions {
  readonly part: string | ResolvedPart;
  readonly clockNs: number;
  readonly tool?: string | ResolvedTool;
  /** Toggle rate 0..1 (XPE's default 12.5 %). */
  readonly toggle?: number;
}

export const DEFAULT_TOGGLE = 0.125;
/** Top-level glue csynth reports besides the layers (control FSM, port registers). */
const TOP_DSP = 0;

export function estimate(view: PlanView, o: EstimateOptions): Estimate {
  const part = typeof o.part === 'string' ? resolvePart(o.part) : o.part;
  const tool = typeof o.tool === 'object' ? o.tool : resolveTool(o.tool);
  const dev = part.device;
  const toggle = o.toggle ?? DEFAULT_TOGGLE;
  const freqMhz = 1e3 / o.clockNs;
  const speed = speedFactor(dev, part.speedGrade);
  const prof = tool.profile;
  const mults = view.layers.map((l) => multipliersFor(l, dev.dspShape, prof));
  const timings = view.layers.map((l, i) => layerTiming(l, prof, o.clockNs, speed, mults[i]!.constant));
  const design = designTiming(view.layers, timings, view.io, view.pipelineTop, prof);
  const layers: LayerEstimate[] = view.layers.map((l, i) => {
    const t = timings[i]!;
    const m = mults[i]!;
    const mem = memoryCost(l, dev, prof.line === 'vitis');
    const logic = logicCost(l, m, t.stages, prof);
    const r: Resources = { dsp: m.dsp, lut: logic.lut + mem.lut, ff: logic.ff + mem.ff, bram18k: mem.bram18k, uram: mem.uram };
    return {
      name: l.name, op: l.op, latency_cycles: t.latency, ii: t.ii, ...r,
      dynamic_power_w: dynamicPower(r, dev, freqMhz, toggle), marks: l.beyond,
    };
  });
  const sum = (k: keyof Resources) => layers.reduce((s, l) => s + l[k], 0);
  const total: Resources = { dsp: sum('dsp') + TOP_DSP, lut: sum('lut'), ff: sum('ff'), bram18k: sum('bram18k'), uram: sum('uram') };
  const avail: Resources = { dsp: dev.dsp, lut: dev.lut, ff: dev.ff, bram18k: dev.bram18k, uram: dev.uram };
  const util = Object.fromEntries((Object.keys(total) as (keyof Resources)[]).map((k) => [k, avail[k] > 0 ? total[k] / avail[k] : total[k] > 0 ? Infinity : 0])) as { [k in keyof Resources]: number };
  const marks = [...view.beyond, ...layers.flatMap((l) => l.marks)];
  const over = (Object.keys(util) as (keyof Resources)[]).filter((k) => util[k] > 1);
  for (const k of over) marks.push(`${k} ${total[k]} exceeds the ${avail[k]} of ${dev.name}`);
  const latencyS = design.latency * o.clockNs * 1e-9;
  const throughput = 1 / (design.ii * o.clockNs * 1e-9);
  const dynamicW = layers.reduce((s, l) => s + l.dynamic_power_w, 0);
  const totalW = dev.staticW + dynamicW;
  return {
    part: part.part, device: dev, clock_ns: o.clockNs, tool: prof.id, ...(tool.note ? { toolNote: tool.note } : {}), toggle, io: view.io,
    layers,
    total: { ...total, latency_cycles: design.latency, ii: design.ii, latency_s: latencyS, throughput_per_s: throughput, utilization: util, fits: marks.length === 0 },
    power: { static_w: dev.staticW, dynamic_w: dynamicW, total_w: totalW },
    // At full throughput one inference occupies the design for II cycles.
    energy_per_inference_j: totalW / throughput,
    marks,
  };
}

/** The --json shape of the issue (plus a few extra keys). */
export function estimateJson(e: Estimate): unknown {
  const r6 = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(6)) : null);
  return {
    part: e.part, device: e.device.name, family: e.device.family, clock_ns: e.clock_ns, tool: e.tool, toggle: e.toggle, io: e.io,
    layers: e.layers.map((l) => ({
      name: l.name, op: l.op, latency_cycles: l.latency_cycles, ii: l.ii, dsp: l.dsp, lut: l.lut, ff: l.ff, bram18k: l.bram18k, uram: l.uram,
      dynamic_power_w: r6(l.dynamic_power_w), ...(l.marks.length ? { marks: l.marks } : {}),
    })),
    total: {
      latency_cycles: e.total.latency_cycles, ii: e.total.ii, dsp: e.total.dsp, lut: e.total.lut, ff: e.total.ff, bram18k: e.total.bram18k, uram: e.total.uram,
      latency_s: r6(e.total.latency_s), throughput_per_s: r6(e.total.throughput_per_s),
      utilization: Object.fromEntries(Object.entries(e.total.utilization).map(([k, v]) => [k, r6(v)])),
      fits: e.total.fits,
    },
    power: { static_w: r6(e.power.static_w), dynamic_w: r6(e.power.dynamic_w), total_w: r6(e.power.total_w) },
    energy_per_inference_j: r6(e.energy_per_inference_j),
    ...(e.marks.length ? { marks: e.marks } : {}),
  };
}

export interface DesignOptions {
  readonly io: 'parallel' | 'stream';
  readonly strategy: 'latency' | 'resource';
  readonly reuse: number;
  readonly layers?: { readonly [node: string]: LayerHlsOptions };
  /** The user gave strategy/reuse (a flag or the config): honoured beyond tool limits, and marked. */
  readonly explicit?: { readonly strategy?: boolean; readonly reuse?: boolean };
  /** Model-wide multiplier binding (config hls.multiplier); per-layer ones are in `layers`. */
  readonly multiplier?: 'dsp' | 'fabric' | 'auto';
}

/** Plans a quantized graph exactly as `compile` would and estimates it. */
export function estimateGraph(g: Graph, d: DesignOptions, o: EstimateOptions): Estimate {
  const part = typeof o.part === 'string' ? resolvePart(o.part) : o.part;
  const opts: EmitOptions = {
    ...DEFAULTS, name: DEFAULTS.name, part: part.part, clockNs: o.clockNs, io: d.io, strategy: d.strategy, reuse: d.reuse,
    layers: d.layers ?? {}, runs: [], ...(d.explicit ? { explicit: d.explicit } : {}), ...(d.multiplier ? { multiplier: d.multiplier } : {}),
    ...(part.device.uram > 0 ? { uram: true } : {}),
  };
  return estimate(planView(g, opts), { ...o, part });
}

/**
 * The estimate `compile` records next to a project: estimate.json (the --json shape) and a
 * one-line headline, for the plan it just emitted; null with a reason when the part is not in
 * the device database (compile still succeeds). `searched`: the fold to the part already
 * searched for a design that fits (the headline then does not suggest --fit).
 */
export function estimateForProject(p: Plan, tool?: string, searched = false): { json: string; headline: string } | { skipped: string } {
  let part: ResolvedPart;
  try {
    part = resolvePart(p.opts.part);
  } catch {
    return { skipped: `no estimate: part '${p.opts.part}' is not in the estimator's device database (nn2hls parts)` };
  }
  const e = estimate(viewOfPlan(p), { part, clockNs: p.opts.clockNs, ...(tool ? { tool } : {}) });
  return { json: `${JSON.stringify(estimateJson(e), null, 2)}\n`, headline: headline(e, !searched) };
}

/** "estimate (xczu7ev, vivado-2019.2): latency 9 cycles (45 ns), II 1, DSP 222.7% LUT 57.7% ... power 5.06 W". */
export function headline(e: Estimate, hint = true): string {
  const u = e.total.utilization;
  const p = (x: number) => `${(100 * x).toFixed(1)}%`;
  const ns = e.total.latency_s * 1e9;
  return (
    `estimate (${e.device.name}, ${e.tool}): latency ${e.total.latency_cycles} cycles (${Number(ns.toPrecision(4))} ns), II ${e.total.ii}, ` +
    `DSP ${p(u.dsp)} LUT ${p(u.lut)} FF ${p(u.ff)} BRAM ${p(u.bram18k)}, power ${Number(e.power.total_w.toPrecision(3))} W${e.total.fits ? '' : hint ? ' — does not fit (nn2hls estimate MODEL --part P --fit finds per-layer reuse factors that do)' : ` — does not fit ${e.device.name}`}`
  );
}
