/**
 * emitProject: the HLS backend as a pure function from a quantized graph and options to the
 * project's files (relative path -> text). Nothing here touches the file system except reading
 * our own kernel headers; the CLI writes the map atomically. Same inputs, same bytes.
 */
import { renderType } from '../ir/fixed.js';
import { type Graph, isConst, valueOf } from '../ir/graph.js';
import { NnInputError } from '../util/tensor.js';
import { definesH, parametersH, weightH } from './headers.js';
import { kernelSources } from './kernels.js';
import type { LowerContext, Strategy } from './layer.js';
import { checkLimits } from './limits.js';
import { lowerGraph } from './lower.js';
import { NameTable } from './names.js';
import { checkProjectName, DEFAULTS, type EmitOptions, multiplierOf } from './options.js';
import { choosePacks, cyclicArrays, heldRelayouts, hostRelayouts, makePlan, makePorts, type Plan } from './plan.js';
import { matmulStreams } from './lower-attention.js';
import { movementIndexMap } from '../ir/semantics/index-maps.js';
import { tileGraph } from '../passes/tile.js';
import { planJson } from './plan-table.js';
import { buildTcl, makefile, readme } from './scripts.js';
import type { FixedRun } from '../ir/semantics/tensor.js';
import { TB_MAX_ELEMENTS, testbenchCpp, testbenchData } from './testbench.js';
import { topHeader, topSource } from './top.js';

export const BACKEND_VERSION = 1;

export function planProject(g: Graph, opts: EmitOptions): Plan {
  const name = checkProjectName(opts.name);
  for (const k of Object.keys(opts.layers)) {
    if (!g.nodes.some((n) => n.name === k)) {
      throw new NnInputError(`hls.layers: no layer named '${k}' (layer names are the IR node names shown by 'nn2hls inspect')`);
    }
  }
  const decisions = tileGraph(g, {
    io: opts.io, strategy: opts.strategy, reuse: opts.reuse, layers: opts.layers,
    unrollLimit: opts.unrollLimit, partitionLimit: opts.partitionLimit,
    userStrategy: opts.explicit?.strategy ?? opts.strategy !== DEFAULTS.strategy,
    userReuse: opts.explicit?.reuse ?? opts.reuse !== DEFAULTS.reuse,
  });
  const names = new NameTable([name, `${name}_test`, 'defines', 'parameters', 'none', 'raw', 'set_raw', 'trace', 'main']);
  const relayout = hostRelayouts(g, opts.io);
  const hostSkip = new Set(relayout.values());
  const packs0 = choosePacks(g, hostSkip);
  const held = heldRelayouts(g, opts.io, hostSkip, packs0, (mm) => matmulStreams(g, mm, (v) => packs0.get(v) ?? 1), (n) => movementIndexMap(g, n));
  const skip = new Set([...hostSkip, ...[...held.values()].map((h) => h.node)]);
  const packs = choosePacks(g, skip);
  const ports = makePorts(g, names, relayout, (n) => movementIndexMap(g, n));
  const cyclic = cyclicArrays(g, opts);
  const ctx: LowerContext = {
    g,
    names,
    constIds: new Map(),
    io: opts.io,
    strategyOf: (n) => decisions.get(n.name)!.strategy as Strategy,
    reuseOf: (n) => decisions.get(n.name)!.reuse,
    multiplierOf: (n) => multiplierOf(opts, n.name),
    packOf: (v) => packs.get(v) ?? 1,
    partitionOf: (v) => cyclic.get(v) ?? 0,
    unrollLimit: opts.unrollLimit,
    partitionLimit: opts.partitionLimit,
    heldRelayout: (v) => held.get(v),
  };
  const layers = lowerGraph(g, ctx, skip);
  const plan = makePlan(g, opts, names, ports, layers, packs, { decisions, cyclic });
  const limitWarnings = checkLimits(plan);
  return { ...plan, warnings: [...plan.warnings, ...limitWarnings] };
}

function summaryJson(p: Plan, samples: number, offered: number): string {
  const t = (v: string) => {
    const f = valueOf(p.g, v).fixed;
    return f ? renderType(f) : null;
  };
  const o = p.opts;
  const json = {
    nn2hls: { backend: BACKEND_VERSION },
    name: o.name,
    source: o.meta?.source ?? p.g.source,
    source_sha256: o.meta?.sha256 ?? null,
    options: {
      part: o.part, clock_ns: o.clockNs, io: o.io, strategy: o.strategy, reuse: o.reuse,
      layers: Object.fromEntries(Object.keys(o.layers).sort().map((k) => [k, o.layers[k]])),
      unroll_limit: o.unrollLimit, partition_limit: o.partitionLimit,
      ...(o.uram ? { uram: true } : {}),
      ...(o.fit ? { fit: { by: o.fit.by, outcome: o.fit.outcome, message: o.fit.message } } : {}),
    },
    precision: o.meta?.precision ?? null,
    notes: o.meta?.notes ?? [],
    top: p.pipelineTop ? 'PIPELINE' : 'DATAFLOW',
    inputs: p.inputs.map((x) => ({ port: x.id, model_name: x.modelName, value: x.value, shape: x.shape, type: x.ctype, host_layout: x.hostMap ? 'transposed by the host (see README)' : 'model' })),
    outputs: p.outputs.map((x) => ({ port: x.id, model_name: x.modelName, value: x.value, shape: x.shape, type: x.ctype })),
    warnings: p.warnings,
    layers: p.layers.map((l, i) => ({
      id: l.id,
      name: l.node.name,
      op: l.node.op,
      inputs: l.node.inputs.filter((v) => v).map((v) => ({ value: v, shape: valueOf(p.g, v).shape, type: t(v), const: isConst(valueOf(p.g, v)) })),
      output: { value: l.out, shape: valueOf(p.g, l.out).shape, type: t(l.out) },
      ...(l.node.prec?.accum ? { accum: renderType(l.node.prec.accum) } : {}),
      ...(l.node.prec?.types ? { types: Object.fromEntries(Object.entries(l.node.prec.types).map(([k, v]) => [k, renderType(v)])) } : {}),
      ...(l.node.prec?.tables
        ? { tables: Object.fromEntries(Object.entries(l.node.prec.tables).map(([k, s]) => [k, { fn: s.fn, base: s.base, shift: s.shift, size: s.size, type: t(s.value) }])) }
        : {}),
      strategy: l.strategy,
      reuse: l.reuse,
      stream_kernel: p.plans[i]!.stream ?? undefined,
      plan: planJson(p.plans[i]!),
    })),
    edges: p.edges,
    testbench: { samples, ...(offered > samples ? { capped_from: offered, cap_elements: TB_MAX_ELEMENTS } : {}) },
    weight_storage: p.layers.flatMap((l) =>
      l.consts.map((c) => ({
        array: c.id,
        layer: l.id,
        elements: c.items.length,
        encoding: c.storage.encoding,
        ...(c.storage.encoding === 'raw-bits' ? { type: renderType(c.storage.value), word_bits: c.storage.value.width } : {}),
      })),
    ),
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

/** The project's files; `plan` (from planProject with the same g and opts) avoids planning twice. */
export function emitProject(g: Graph, opts: EmitOptions & { readonly simulate: FixedRun }, plan?: Plan): Map<string, string> {
  const p = plan ?? planProject(g, opts);
  const n = opts.name;
  const files = new Map<string, string>();
  const tb = testbenchData(p, opts.runs, opts.simulate);
  files.set('README.md', readme(p, tb.samples));
  files.set('nn2hls.json', summaryJson(p, tb.samples, tb.offered));
  files.set('build_prj.tcl', buildTcl(p));
  files.set('Makefile', makefile(p));
  files.set(`firmware/${n}.h`, topHeader(p));
  files.set(`firmware/${n}.cpp`, topSource(p));
  files.set('firmware/defines.h', definesH(p));
  files.set('firmware/parameters.h', parametersH(p));
  for (const l of p.layers) for (const c of l.consts) files.set(`firmware/weights/${c.id}.h`, weightH(c));
  for (const [f, text] of kernelSources()) files.set(`firmware/kernels/${f}`, text);
  files.set(`tb/${n}_test.cpp`, testbenchCpp(p));
  files.set('tb_data/inputs.txt', tb.inputs);
  files.set('tb_data/expected.txt', tb.expected);
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
