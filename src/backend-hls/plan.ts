/**
 * The planning step: from the quantized graph, the options and the tiling decisions to the
 * project Plan every renderer prints — ports, the lowered layers with their LayerPlan (see
 * layer-plan.ts), the FIFO/array joining each producer to each reader (EdgePlan, with its
 * depth and pack width), and the top function as a list of steps whose every C++ name is fixed
 * here. Renderers only print a Plan, so rendering twice gives the same bytes.
 *
 * io_stream decisions made here:
 *  - pack width of each value: its last (channel) dim, except the output of a Reshape/Flatten
 *    read only by Dense layers, which keeps its producer's pack (an order-preserving stream:
 *    a Flatten of [h,w,c] passes c-wide packs through and the Dense gathers n_in/c of them);
 *  - a layer runs natively (reads and writes packs) when it has a streaming kernel, else it
 *    is buffered (stream_to_array, kernel, array_to_stream);
 *  - FIFO depth: the longest run of packs the producer writes without reading (one output row
 *    for a line-buffer window, the whole tensor for a buffered layer, else 2); a value read by
 *    several layers goes through clone processes whose FIFOs hold the whole tensor, so a
 *    reconvergent branch never deadlocks on a short FIFO — except when one reader e starts a
 *    branch from which every other reader is reached, each reading its inputs a pixel at a time
 *    in step (a U-Net's down path beside its skip connection, a residual block): e's FIFO keeps
 *    the producer's depth, and each other reader's (the skip) holds the packs the clone writes
 *    ahead of it — how many packs of the value the branch reads before it delivers the reader's
 *    next pixel (each kernel's streamReads: a pack per pack, or whole rows for a window), a few
 *    rows for a U-Net instead of the whole image;
 *  - a graph input read only by a Transpose (a channels-first model's relayout) is fed in the
 *    Transpose's output order by the host: the testbench writes that layout, and the port
 *    takes it directly (no hardware relayout buffering the whole image);
 *  - a Transpose read only as a streamed MatMul's right operand (attention's K and V head
 *    splits), which the MatMul holds whole anyway, is folded into that operand's load
 *    (heldRelayouts): no Transpose layer, no buffers of its own.
 */
import { renderType } from '../ir/fixed.js';
import { type Graph, isConst, type Node, numel, valueOf } from '../ir/graph.js';
import { NnInputError } from '../util/tensor.js';
import type { Layer } from './layer.js';
import type { BufferPlan, BufferRole, EdgePlan, LayerPlan, PartitionPlan, WeightPlan, WeightStorage } from './layer-plan.js';
import type { NameTable } from './names.js';
import type { EmitOptions } from './options.js';
import type { TileDecision } from '../passes/tile.js';

export interface Port {
  readonly modelName: string;
  readonly value: string;
  /** C++ port name. */
  readonly id: string;
  /** typedef name of its element type and constant name of its size (defines.h). */
  readonly typeName: string;
  readonly sizeName: string;
  readonly ctype: string;
  readonly size: number;
  /** io_stream pack width. */
  readonly pack: number;
  /** Shape at the port (the hardware layout). */
  readonly shape: readonly number[];
  /**
   * Host-side layout change: element i of the port is element hostMap[i] of the model's
   * input (the testbench applies it); null when the port takes the model's layout.
   */
  readonly hostMap: Int32Array | null;
}

/** One statement of the top function. */
export type TopStep =
  | { readonly kind: 'comment'; readonly text: string }
  /** A local array; partitioned completely, or cyclically by `cyclic` banks (its channels) when beyond the partition limit. */
  | { readonly kind: 'array'; readonly id: string; readonly ctype: string; readonly size: number; readonly cyclic: number }
  | { readonly kind: 'stream'; readonly id: string; readonly ctype: string; readonly pack: number; readonly depth: number; readonly uram?: boolean }
  | { readonly kind: 'call'; readonly text: string }
  | { readonly kind: 'trace'; readonly layer: string; readonly id: string; readonly size: number };

export interface Plan {
  readonly g: Graph;
  readonly opts: EmitOptions;
  readonly inputs: readonly Port[];
  readonly outputs: readonly Port[];
  readonly layers: readonly Layer[];
  /** One LayerPlan per layer, same order as `layers`. */
  readonly plans: readonly LayerPlan[];
  readonly edges: readonly EdgePlan[];
  readonly top: readonly TopStep[];
  /** The top function is one pipeline (io_parallel, every layer unrolled) rather than DATAFLOW. */
  readonly pipelineTop: boolean;
  /** II of the pipelined top (max reuse), when pipelineTop. */
  readonly topII: number;
  /** Pack width of every run-time value in io_stream. */
  readonly packs: ReadonlyMap<string, number>;
  /** Settings honoured beyond a tool limit (printed by compile, recorded in nn2hls.json). */
  readonly warnings: readonly string[];
}

/**
 * Packs a skip FIFO holds beyond the clone's lag ahead of its reader (skipLag), a margin for
 * the reads the processes' pipelines hold in flight: skipLag's count is exact (under bounded
 * FIFOs the U-Net 64's 768-pack skip runs from 767 packs, test/backend/fifo-depth-csim.test.ts).
 */
export const SKIP_SLACK = 4;

/** Bits from which a FIFO of at least 4096 packs is bound to URAM on a part that has it: 8 RAMB18s. */
export const URAM_FIFO_BITS = 8 * 18432;

/** A FIFO bound to UltraRAM (EdgePlan.storage): the part has it, and the FIFO fills one's depth and 8 RAMB18s. */
export function uramFifo(opts: Pick<EmitOptions, 'uram'>, depth: number, packBits: number): boolean {
  return opts.uram === true && depth >= 4096 && depth * packBits >= URAM_FIFO_BITS;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** Graph inputs whose only reader is a Transpose: the host feeds the transposed layout. */
export function hostRelayouts(g: Graph, io: 'parallel' | 'stream'): Map<string, Node> {
  const out = new Map<string, Node>();
  if (io !== 'stream') return out;
  const outputs = new Set(g.outputs.map((o) => o.value));
  for (const x of g.inputs) {
    const readers = g.nodes.filter((n) => n.inputs.includes(x.value));
    const t = readers[0];
    if (readers.length === 1 && t && t.op === 'Transpose' && !outputs.has(x.value) && !outputs.has(t.outputs[0]!) && !g.inputs.some((i) => i.value === t.outputs[0])) {
      out.set(x.value, t);
    }
  }
  return out;
}

/**
 * io_stream Transposes folded into a streamed MatMul's load of its held right operand: the
 * Transpose's output is read only as that right operand (input 1) of one MatMul that streams
 * (`streams`), and its input is a run-time value streamed in packs of its whole last axis. The
 * MatMul reads the whole operand into a buffer anyway, so it can put each element where the
 * Transpose would have: lane j of arriving pack q goes to base[q] + j·stride (the input's last
 * axis lands at one output axis, `stride` elements apart; 1 when the Transpose keeps the last
 * axis and moves whole packs). The Transpose's own buffers (its input and result arrays, each
 * a ping-pong, and a whole-tensor output FIFO) go. By Transpose output value: the Transpose, the
 * value read instead, base and stride.
 */
export function heldRelayouts(g: Graph, io: 'parallel' | 'stream', skip: ReadonlySet<Node>, packs: ReadonlyMap<string, number>, streams: (mm: Node<'MatMul'>) => boolean, elementMap: (t: Node) => Int32Array): Map<string, HeldRelayout> {
  const out = new Map<string, HeldRelayout>();
  if (io !== 'stream') return out;
  const outputs = new Set(g.outputs.map((o) => o.value));
  for (const t of g.nodes) {
    if (t.op !== 'Transpose' || skip.has(t)) continue;
    const x = t.inputs[0]!;
    const y = t.outputs[0]!;
    const xs = valueOf(g, x).shape;
    if (xs.length === 0 || outputs.has(y) || isConst(valueOf(g, x)) || packs.get(x) !== xs[xs.length - 1]) continue;
    const readers = g.nodes.filter((n) => n.inputs.includes(y));
    const mm = readers[0];
    // (Not when the MatMul reads x itself too: one layer reads a value once.)
    if (readers.length !== 1 || !mm || mm.op !== 'MatMul' || mm.inputs[1] !== y || mm.inputs[0] === y || mm.inputs.includes(x) || !streams(mm)) continue;
    // Output element i is input element map[i]; where each input element goes, pack by pack.
    const map = elementMap(t);
    const to = new Int32Array(map.length);
    map.forEach((src, i) => (to[src] = i));
    const p = xs[xs.length - 1]!;
    const base = new Int32Array(map.length / p);
    const stride = p > 1 ? to[1]! - to[0]! : 1;
    let linear = true;
    for (let q = 0; q < base.length && linear; q++) {
      base[q] = to[q * p]!;
      for (let j = 1; j < p; j++) if (to[q * p + j] !== base[q]! + j * stride) linear = false;
    }
    if (linear && stride > 0) out.set(y, { node: t, source: x, base, stride });
  }
  return out;
}

/** A Transpose folded into a MatMul's load (heldRelayouts). */
export interface HeldRelayout {
  readonly node: Node;
  readonly source: string;
  readonly base: Int32Array;
  readonly stride: number;
}

/** Pack width of every value (see the file comment). */
export function choosePacks(g: Graph, skip: ReadonlySet<Node>): Map<string, number> {
  const packs = new Map<string, number>();
  const last = (v: string) => {
    const s = valueOf(g, v).shape;
    return s.length === 0 ? 1 : s[s.length - 1]!;
  };
  for (const x of g.inputs) packs.set(x.value, last(x.value));
  const outputs = new Set(g.outputs.map((o) => o.value));
  for (const n of g.nodes) {
    for (const v of n.inputs) if (v && !packs.has(v)) packs.set(v, last(v));
    const y = n.outputs[0];
    if (!y) continue;
    let p = last(y);
    if (skip.has(n)) p = last(y);
    else if (n.op === 'Reshape' && !outputs.has(y)) {
      const readers = g.nodes.filter((m) => m.inputs.includes(y));
      if (readers.length > 0 && readers.every((m) => m.op === 'Dense' && m.inputs[0] === y)) p = gcd(packs.get(n.inputs[0]!) ?? last(n.inputs[0]!), p);
    }
    packs.set(y, p);
  }
  return packs;
}

export function makePorts(g: Graph, names: NameTable, relayout: ReadonlyMap<string, Node>, movementMap: (n: Node) => Int32Array): { inputs: Port[]; outputs: Port[] } {
  const port = (io: Graph['inputs'][number], prefix: string, value: string, hostMap: Int32Array | null): Port => {
    const v = valueOf(g, value);
    const id = names.fresh(io.modelName, prefix);
    const s = v.shape;
    return {
      modelName: io.modelName, value, id, typeName: names.fresh(`${id}_t`), sizeName: names.fresh(`${id}_size`), ctype: renderType(v.fixed!),
      size: numel(s), pack: s.length === 0 ? 1 : s[s.length - 1]!, shape: s, hostMap,
    };
  };
  return {
    inputs: g.inputs.map((io) => {
      const t = relayout.get(io.value);
      return t ? port(io, 'in', t.outputs[0]!, movementMap(t)) : port(io, 'in', io.value, null);
    }),
    outputs: g.outputs.map((io) => port(io, 'out', io.value, null)),
  };
}

/**
 * Storage of a constant array: completely partitioned arrays are registers (folded into logic
 * when constant); reshaped ones are memories of `words` words — LUTRAM when shallow (under 64
 * words, or under one 18 Kb BRAM's worth of bits), BRAM otherwise. Never URAM: UltraRAM has no
 * initial contents at configuration (UG573), so a constant array cannot live there as a ROM.
 */
export function weightStorage(elements: number, bits: number, wordElements: number): WeightStorage {
  const words = Math.ceil(elements / wordElements);
  if (words <= 1 || elements * bits <= 64) return 'registers';
  const total = elements * bits;
  if (words < 64 || total < 18432) return 'lutram';
  return 'bram';
}

/**
 * Storage of a lookup table or index map read `ports` times per cycle: the weights' rule
 * (weightStorage) applied to the memory those reads need. Registers by one copy's bits (they
 * serve any number of reads); otherwise LUTRAM or BRAM by the bits of the LUTRAM it would take,
 * a copy per read (a LUT ROM has one read port), against the same one-BRAM threshold. For a
 * single read it is weightStorage's answer.
 */
export function lookupStorage(elements: number, bits: number, ports: number): WeightStorage {
  const one = weightStorage(elements, bits, 1);
  if (one !== 'lutram' || ports <= 1) return one;
  // elements·ports elements in words of `ports`: `elements` words, elements·bits·ports bits.
  return weightStorage(elements * ports, bits, ports) === 'bram' ? 'bram' : 'lutram';
}

interface Facts {
  readonly decisions: ReadonlyMap<string, TileDecision>;
  readonly cyclic: ReadonlyMap<string, number>;
}

/**
 * io_parallel arrays beyond the partition limit are partitioned cyclically by channel (one
 * bank per channel) instead of completely; the layers reading them take one pixel per cycle
 * (or per ceil(window/2) cycles: two ports per bank).
 */
export function cyclicArrays(g: Graph, opts: EmitOptions): Map<string, number> {
  const out = new Map<string, number>();
  if (opts.io !== 'parallel') return out;
  for (const [name, v] of g.values) {
    if (isConst(v) || !v.fixed) continue;
    const n = numel(v.shape);
    const c = v.shape.length ? v.shape[v.shape.length - 1]! : 1;
    if (n > opts.partitionLimit && c <= opts.partitionLimit) out.set(name, c);
  }
  return out;
}

export function makePlan(g: Graph, opts: EmitOptions, names: NameTable, ports: { inputs: Port[]; outputs: Port[] }, layers: Layer[], packs: ReadonlyMap<string, number>, f: Facts): Plan {
  const io = opts.io;
  const stream = io === 'stream';
  const pipelineTop = io === 'parallel' && layers.every((l) => !l.looped);
  const dataflow = !pipelineTop;
  const ctypeOf = (v: string) => renderType(valueOf(g, v).fixed!);
  const bitsOf = (v: string) => valueOf(g, v).fixed!.width;
  const sizeOf = (v: string) => numel(valueOf(g, v).shape);
  const packOf = (v: string) => packs.get(v) ?? 1;
  const native = (l: Layer) => stream && l.stream !== undefined;

  // Producers and readers of every run-time value: layer index, -1 for a graph input/output.
  const valueIds = new Map<string, string>();
  const producer = new Map<string, number>();
  for (const p of ports.inputs) {
    valueIds.set(p.value, p.id);
    producer.set(p.value, -1);
  }
  layers.forEach((l, i) => {
    valueIds.set(l.out, names.fresh(`${l.id}_out`));
    producer.set(l.out, i);
  });
  const readers = new Map<string, number[]>();
  layers.forEach((l, i) => {
    for (const v of l.dyn) {
      if (isConst(valueOf(g, v))) continue;
      readers.set(v, [...(readers.get(v) ?? []), i]);
    }
  });
  for (const p of ports.outputs) readers.set(p.value, [...(readers.get(p.value) ?? []), -1]);
  const portOf = new Map(ports.outputs.map((o) => [o.value, o]));
  // Layers reachable from each layer through the values it writes (memoized, graph order).
  const reach = new Map<number, Set<number>>();
  const reachable = (i: number): Set<number> => {
    let out = reach.get(i);
    if (out) return out;
    out = new Set<number>();
    for (const r of readers.get(layers[i]!.out) ?? []) {
      if (r < 0 || out.has(r)) continue;
      out.add(r);
      for (const x of reachable(r)) out.add(x);
    }
    reach.set(i, out);
    return out;
  };
  const reaches = (from: number, to: number) => to >= 0 && reachable(from).has(to);

  // FIFO depth of each layer's output (io_stream).
  const outDepth = layers.map((l) => {
    if (!stream) return 0;
    const v = l.out;
    const n = sizeOf(v) / packOf(v);
    if (!native(l)) return Math.max(2, n);
    return Math.max(2, Math.min(n, l.facts.streamBurst ?? 1));
  });

  /**
   * Packs of `v` that must have been written before value x's first k+1 packs can all exist
   * (index k), by the producers' streamReads; null when x does not depend on v. A producer
   * that may read its whole input first (buffered, or no streamReads) needs all of it.
   */
  const needOf = (v: string, memo: Map<string, Float64Array | null>, x: string): Float64Array | null => {
    if (memo.has(x)) return memo.get(x)!;
    let out: Float64Array | null = null;
    const px = sizeOf(x) / packOf(x);
    if (x === v) out = Float64Array.from({ length: px }, (_, k) => k + 1);
    else {
      const i = producer.get(x) ?? -1;
      const l = i >= 0 ? layers[i]! : null;
      const ins = l ? l.dyn.map((d) => (isConst(valueOf(g, d)) ? null : needOf(v, memo, d))) : [];
      if (l && ins.some((a) => a)) {
        out = new Float64Array(px);
        const reads = native(l) ? l.facts.streamReads : undefined;
        const sameCount = ins.every((a) => !a || a.length === px);
        for (let k = 0; k < px; k++) {
          let m = 0;
          for (const a of ins) {
            if (!a) continue;
            if (reads?.kind === 'pack' && sameCount) m = Math.max(m, a[k]!);
            else if (reads?.kind === 'rows' && ins.length === 1 && reads.need.length * reads.outRow === px && reads.need[reads.need.length - 1]! * reads.inRow === a.length) {
              m = Math.max(m, a[reads.need[Math.floor(k / reads.outRow)]! * reads.inRow - 1]!);
            } else m = Math.max(m, a[a.length - 1]!);
          }
          out[k] = m;
        }
      }
    }
    memo.set(x, out);
    return out;
  };
  /**
   * Largest number of packs of `v` the clone has written ahead of reader o (a lockstep reader of
   * v and of values computed from v) when o waits for its next pixel: o reading pixel k of
   * every input waits on the others, which need need[k] packs of v, while k were read from v.
   */
  const skipLag = (v: string, o: number): number => {
    const memo = new Map<string, Float64Array | null>();
    let lag = 0;
    for (const y of layers[o]!.dyn) {
      if (y === v) continue;
      const a = needOf(v, memo, y);
      if (!a) continue;
      for (let k = 0; k < a.length; k++) lag = Math.max(lag, a[k]! - k);
    }
    return lag;
  };

  const top: TopStep[] = [];
  const edges: EdgePlan[] = [];
  const readName = new Map<string, string>();
  const key = (v: string, reader: number) => `${v}#${reader}`;
  /** A local array holding (a copy of) `value`, partitioned as cyclicArrays decided. */
  const declArray = (value: string, id: string) =>
    top.push({ kind: 'array', id, ctype: ctypeOf(value), size: sizeOf(value), cyclic: f.cyclic.get(value) ?? 0 });
  const declStream = (ctype: string, pack: number, id: string, depth: number, bits: number) =>
    top.push({ kind: 'stream', id, ctype, pack, depth, ...(uramFifo(opts, depth, pack * bits) ? { uram: true } : {}) });
  const edgeDepth = new Map<string, number>();

  /** After `v` exists under `src`, gives every reader its name (copies where one reader per object is required). */
  const distribute = (v: string, src: string, depth: number) => {
    const rs = readers.get(v) ?? [];
    const ctype = ctypeOf(v);
    const n = sizeOf(v);
    const c = packOf(v);
    const port = portOf.get(v);
    const dest = (r: number, hint: string): string => (r === -1 ? port!.id : names.fresh(hint));
    const record = (r: number, name: string, d: number) => {
      readName.set(key(v, r), name);
      edgeDepth.set(key(v, r), d);
    };
    if (rs.length === 0) return;
    if (rs.length === 1 && rs[0] === -1) {
      record(-1, port!.id, depth);
      if (src === port!.id) return;
      if (stream) throw new NnInputError(`graph output '${port!.modelName}' is a graph input; io stream needs at least one layer between them`);
      top.push({ kind: 'call', text: `nn2hls::copy_array<${ctype}, ${n}>(${src}, ${port!.id});` });
      return;
    }
    if (!dataflow) {
      for (const r of rs) {
        if (r === -1) top.push({ kind: 'call', text: `nn2hls::copy_array<${ctype}, ${n}>(${src}, ${port!.id});` });
        record(r, r === -1 ? port!.id : src, 0);
      }
      return;
    }
    if (rs.length === 1) {
      record(rs[0]!, src, depth);
      return;
    }
    // Clone chain: each clone process feeds one reader and passes the rest on. The clone
    // FIFOs hold the whole tensor, so branches of different latency cannot deadlock — except
    // when there is a reader e from which every other reader is reached (the start of a branch
    // that reconverges, e.g. a U-Net's down path beside its skip connection) and every other
    // reader o reads its inputs in lockstep, a pack per pixel (streamLockstep). Then o at pixel
    // k waits only for pixel k of its inputs computed from the value, which need the first
    // need[k] packs of the value (needOf); by then o has read k packs from its own FIFO, so that
    // FIFO holds at most max(need[k] - k) (skipLag) while the clone writes on, and with that
    // depth the clone never blocks before e's branch has what it needs. e's FIFO keeps the
    // producer's depth: the clone waits on it only while o can still read.
    const cloneDepth = stream ? Math.max(2, n / c) : 0;
    const lockstep = (o: number) => o >= 0 && native(layers[o]!) && layers[o]!.facts.streamLockstep === true;
    const early = stream ? rs.find((r) => r >= 0 && rs.every((o) => o === r || (reaches(r, o) && lockstep(o)))) : undefined;
    // The other readers' (skip) FIFOs hold what the clone writes ahead of them: the packs the
    // branch from `early` needs before it delivers their next pixel (skipLag), else the tensor.
    const depths = new Map<number, number>();
    const depthOf = (r: number): number => {
      let d = depths.get(r);
      if (d === undefined) {
        d = r === early ? Math.max(2, Math.min(cloneDepth, depth)) : early !== undefined && r >= 0 ? Math.max(2, Math.min(cloneDepth, skipLag(v, r) + SKIP_SLACK)) : cloneDepth;
        depths.set(r, d);
      }
      return d;
    };
    let cur = src;
    for (let j = 0; j < rs.length - 1; j++) {
      const r = rs[j]!;
      const a = dest(r, `${src}_cp${j}`);
      const last = j === rs.length - 2;
      const b = last ? dest(rs[j + 1]!, `${src}_cp${j + 1}`) : names.fresh(`${src}_rest${j}`);
      // A rest FIFO (towards the next clone) holds what the deepest reader after it needs.
      for (const [id, rr] of [[a, r], [b, last ? rs[j + 1]! : -2]] as const) {
        if (rr === -1) continue;
        if (stream) declStream(ctype, c, id, rr === -2 ? Math.max(...rs.slice(j + 1).map(depthOf)) : depthOf(rr), bitsOf(v));
        else declArray(v, id);
      }
      if (stream) top.push({ kind: 'call', text: `nn2hls::clone2<${ctype}, ${c}, ${n}>(${cur}, ${a}, ${b});` });
      else top.push({ kind: 'call', text: `nn2hls::clone_array<${ctype}, ${n}>(${cur}, ${a}, ${b});` });
      record(r, a, depthOf(r));
      if (last) record(rs[j + 1]!, b, depthOf(rs[j + 1]!));
      cur = b;
    }
  };

  for (const x of ports.inputs) distribute(x.value, x.id, 2);

  const buffered = new Map<number, number>();
  const buffers = new Map<number, BufferPlan[]>();
  /**
   * A buffered layer's array as declArray renders it (complete partition unless cyclic) and the
   * DATAFLOW top passes it between two processes (stream_to_array or the kernel, then the
   * kernel or array_to_stream): a ping-pong channel, two copies.
   */
  const bufferOf = (what: BufferRole, value: string): BufferPlan => {
    const elements = sizeOf(value);
    const banks = f.cyclic.get(value) ?? 0;
    const storage = banks ? weightStorage(Math.ceil(elements / banks), bitsOf(value), 1) : 'registers';
    return { what, elements, bits: bitsOf(value), packs: elements / packOf(value), banks, storage, copies: dataflow ? 2 : 1 };
  };
  layers.forEach((l, i) => {
    const v = l.out;
    const n = sizeOf(v);
    const ctype = ctypeOf(v);
    const c = packOf(v);
    const rs = readers.get(v) ?? [];
    const direct = rs.length === 1 && rs[0] === -1;
    const outName = direct ? portOf.get(v)!.id : valueIds.get(v)!;
    const ins = l.dyn.map((d) => readName.get(key(d, i)) ?? valueIds.get(d)!);
    l.dyn.forEach((d, k) => {
      const ed = stream ? (edgeDepth.get(key(d, i)) ?? 2) : 0;
      edges.push({
        value: d, from: producer.get(d) ?? -1, to: i, cpp: ins[k]!, kind: stream ? 'stream' : 'array',
        depth: ed, pack: stream ? packOf(d) : sizeOf(d), elements: sizeOf(d), bits: bitsOf(d),
        ...(stream && uramFifo(opts, ed, packOf(d) * bitsOf(d)) ? { storage: 'uram' as const } : {}),
      });
    });
    top.push({ kind: 'comment', text: `${l.id}: ${l.node.op}` });
    const depth = outDepth[i]!;
    if (!stream) {
      if (!direct) declArray(v, outName);
      top.push({ kind: 'call', text: l.parallel(ins, outName) });
      top.push({ kind: 'trace', layer: l.id, id: outName, size: n });
    } else if (native(l)) {
      if (!direct) declStream(ctype, c, outName, depth, bitsOf(v));
      top.push({ kind: 'call', text: l.stream!(ins, outName) });
    } else {
      let held = n;
      const arrays: BufferPlan[] = [];
      const bufs = l.dyn.map((d, k) => {
        const id = names.fresh(`${l.id}_in${k}`);
        declArray(d, id);
        arrays.push(bufferOf(`input ${k}`, d));
        held = Math.max(held, sizeOf(d));
        top.push({ kind: 'call', text: `nn2hls::stream_to_array<${ctypeOf(d)}, ${packOf(d)}, ${sizeOf(d)}>(${ins[k]}, ${id});` });
        return id;
      });
      const res = names.fresh(`${l.id}_res`);
      declArray(v, res);
      arrays.push(bufferOf('result', v));
      top.push({ kind: 'call', text: l.parallel(bufs, res) });
      if (!direct) declStream(ctype, c, outName, depth, bitsOf(v));
      top.push({ kind: 'call', text: `nn2hls::array_to_stream<${ctype}, ${c}, ${n}>(${res}, ${outName});` });
      buffered.set(i, held);
      buffers.set(i, arrays);
    }
    if (!direct) distribute(v, outName, depth);
  });
  for (const p of ports.outputs) {
    edges.push({
      value: p.value, from: producer.get(p.value) ?? -1, to: -1, cpp: p.id, kind: stream ? 'stream' : 'array',
      depth: stream ? (edgeDepth.get(key(p.value, -1)) ?? 2) : 0, pack: stream ? packOf(p.value) : p.size, elements: p.size, bits: bitsOf(p.value),
    });
  }

  const topII = Math.max(1, ...layers.map((l) => l.reuse));
  const lookupsOf = (l: Layer) => (native(l) && l.facts.streamLookups) || l.facts.lookups || {};
  // Reads per cycle of each table and index map, summed over the layers reading it (a shared
  // table serves them at once): a step's reads spread over its II, or over the top's II when
  // the whole design is one pipeline.
  const readsPerCycle = new Map<string, number>();
  for (const l of layers) {
    for (const [id, lk] of Object.entries(lookupsOf(l))) {
      if (lk.fixed) continue;
      readsPerCycle.set(id, (readsPerCycle.get(id) ?? 0) + Math.ceil(lk.reads / (pipelineTop ? topII : lk.ii)));
    }
  }

  const plans: LayerPlan[] = layers.map((l, i) => {
    const d = f.decisions.get(l.node.name);
    const fx = l.facts;
    const nat = native(l);
    const mode = stream ? (nat ? 'native' : 'buffered') : null;
    const lb = nat && fx.lineBuffer ? fx.lineBuffer : null;
    const lookups = lookupsOf(l);
    const weights: WeightPlan[] = l.consts.map((c) => {
      const listed = fx.wordElements?.[c.id];
      const lk = lookups[c.id];
      if (lk && listed !== undefined) throw new Error(`internal: ${l.id} reshapes its lookup array ${c.id}`);
      if (!lk && c.storage.encoding === 'index') throw new Error(`internal: ${l.id} does not say how it reads its index map ${c.id}`);
      const words = (we: number) => Math.ceil(c.items.length / we);
      const base = { id: c.id, elements: c.items.length, bits: c.bits };
      if (lk) {
        // Tables and index maps: one element per read; a memory when read at run-time
        // addresses, with as many ports as reads per cycle, stored by the weights' rule.
        const ports = lk.fixed ? 0 : Math.max(1, readsPerCycle.get(c.id) ?? 1);
        const storage = lk.fixed ? 'registers' : lookupStorage(c.items.length, c.bits, ports);
        const rom = storage === 'bram' || storage === 'lutram' ? storage : null;
        return { ...base, kind: lk.kind, words: words(1), wordElements: 1, storage, rom, ports };
      }
      // Other arrays not listed are read one element per access at fixed addresses; listed
      // ones are reshaped into words read one per cycle: single-port ROMs.
      const wordElements = listed ?? 1;
      const storage = weightStorage(c.items.length, c.bits, wordElements);
      const rom = listed !== undefined && (storage === 'bram' || storage === 'lutram') ? storage : null;
      return { ...base, kind: 'data', words: words(wordElements), wordElements, storage, rom, ports: rom ? 1 : 0 };
    });
    const partitioned: PartitionPlan[] = l.partitioned.map((p) => ({ what: p.what, elements: p.size }));
    if (lb && lb.partitioned) partitioned.push({ what: `line buffer of ${l.id}`, elements: lb.elements });
    let unrolled = l.unrolled;
    if (nat && fx.streamUnrolled !== undefined) unrolled = fx.streamUnrolled;
    const bufferedElements = !stream ? 0 : nat ? (fx.streamBuffer ?? 0) : (buffered.get(i) ?? 0);
    if (stream && nat && fx.streamBuffer) partitioned.push({ what: `${nat && fx.streamHeld ? `buffer of input ${fx.streamHeld.input}` : 'row buffer'} of ${l.id}`, elements: fx.streamBuffer });
    // A native stream kernel also takes a cycle per pack it reads or writes.
    const packsIn = nat ? Math.max(0, ...l.dyn.map((v) => sizeOf(v) / packOf(v))) : 0;
    const tripCount = nat && fx.streamTripCount !== undefined ? fx.streamTripCount : fx.tripCount;
    const stepII = nat && fx.streamStepII !== undefined ? fx.streamStepII : fx.stepII;
    const held = nat && fx.streamHeld ? fx.streamHeld : null;
    const heldV = held ? l.dyn[held.input]! : '';
    // An input held whole is read by its own process into a ping-pong buffer: it delays the
    // first output (heldInput.packs, the estimator's fill) but overlaps the previous sample's loop.
    const heldPacks = held ? held.elements / packOf(heldV) : 0;
    // A buffered layer is three DATAFLOW processes (stream_to_array per input, the kernel,
    // array_to_stream): the slowest sets its II, reading an input's packs or writing the
    // result's at one a cycle being as much a process as the kernel's loop.
    const arrayPacks = nat ? 0 : Math.max(0, ...(buffers.get(i) ?? []).map((b) => b.packs));
    const ii = Math.max(tripCount * stepII, heldPacks, packsIn, nat ? sizeOf(l.out) / packOf(l.out) : arrayPacks);
    // A native kernel's row arrays (LayerFacts.streamArrays), completely partitioned: those
    // filled or emptied over more than one pack hold their elements in registers across the
    // loop's cycles; a row that is one pack is the FIFO's word itself (wires into the step).
    const rowArrays: BufferPlan[] = !stream || !nat ? [] : (fx.streamArrays ?? []).flatMap((a) => {
      const v = a.what === 'input' ? l.dyn[0]! : l.out;
      const packs = a.what === 'accumulators' ? 0 : a.elements / packOf(v);
      if (a.what !== 'accumulators' && packs <= 1) return [];
      return [{ what: `row ${a.what}` as const, elements: a.elements, bits: a.bits ?? bitsOf(v), packs, banks: 0, storage: 'registers' as const, copies: 1 }];
    });
    return {
      index: i,
      id: l.id,
      name: l.node.name,
      op: l.node.op,
      kernel: nat ? (fx.streamKernel ?? fx.kernel) : fx.kernel,
      strategy: l.strategy,
      reuse: l.reuse,
      multiplier: fx.multiplier ?? 'auto',
      reuseRequested: d?.reuseRequested ?? l.reuse,
      chosenBy: opts.fit?.layers.includes(l.node.name) ? 'fit' : (d?.chosenBy ?? 'default'),
      notes: d?.notes ?? [],
      ii: Math.max(1, ii),
      tripCount,
      stepII,
      serialSteps: fx.serialSteps ?? 0,
      macs: fx.macs,
      multipliers: fx.multipliers,
      constOperands: fx.constOperands ?? false,
      unrolled,
      block: fx.block,
      partitioned,
      stream: mode,
      lineBuffer: lb,
      bufferedElements,
      // A native kernel's held input is the same kind of array: its load and its rows are
      // DATAFLOW processes joined by it, partitioned completely (nn_attention.h).
      buffers: [...(held ? [{ what: `input ${held.input}` as const, elements: held.elements, bits: bitsOf(heldV), packs: heldPacks, banks: 0, storage: 'registers' as const, copies: 2 }] : (buffers.get(i) ?? [])), ...rowArrays],
      heldInput: held ? { input: held.input, value: heldV, elements: held.elements, packs: heldPacks } : null,
      outDepth: outDepth[i]!,
      outPack: stream ? packOf(l.out) : sizeOf(l.out),
      weights,
      pixelWise: fx.pixelWise ?? false,
      pipeline: { reduction: fx.reduction, tableLookups: fx.tableLookups, multBits: fx.multBits, accumBits: fx.accumBits },
      inShapes: l.dyn.map((v) => valueOf(g, v).shape),
      outShape: valueOf(g, l.out).shape,
    };
  });
  const warnings = [...f.decisions.values()].flatMap((d) => d.warnings);
  return { g, opts, ...ports, layers, plans, edges, top, pipelineTop, topII, packs, warnings };
}
