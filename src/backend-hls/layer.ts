/**
 * The backend's view of one IR node: a Layer says which kernel of our C++ library computes it,
 * the config struct that instantiates the kernel (parameters.h), the constant arrays it reads
 * (weights/*.h), and how to call it in io_parallel (arrays) and io_stream (streams, or the
 * buffered fallback: stream -> array -> kernel -> stream). Lowerings (lower-*.ts) build Layers
 * from the quantized graph only; nothing here chooses a type or a rounding.
 */
import type { HlsMultiplier } from '../ir/precision-config.js';
import { type FixedType, renderType } from '../ir/fixed.js';
import type { Graph, Node } from '../ir/graph.js';
import { numel } from '../ir/graph.js';
import { rawRange } from '../ir/precision.js';
import { NnInputError } from '../util/tensor.js';
import { constRaws, rawLiterals, romWord } from './literals.js';
import type { NameTable } from './names.js';

import type { LineBufferPlan, Strategy } from './layer-plan.js';

export type { Strategy };

/**
 * How a constant array is stored in the emitted C++ (recorded in nn2hls.json, explained in the
 * project README): `raw-bits` arrays hold each element's raw as an integer ROM word of the
 * element's width and signedness (literals.ts), re-typed to `value` by the kernels; `index`
 * arrays are plain `int` index maps the emitter computed (no fixed-point values).
 */
export type ConstStorage =
  | { readonly encoding: 'raw-bits'; readonly value: FixedType }
  | { readonly encoding: 'index' };

export interface ConstArray {
  /** C++ identifier (also the file name weights/<id>.h). */
  readonly id: string;
  /** Element type as declared, already rendered (a ROM word type for raw-bits arrays). */
  readonly ctype: string;
  readonly items: readonly string[];
  /** What it holds, for the header comment (sanitized names only). */
  readonly doc: string;
  readonly storage: ConstStorage;
  /** Element width in bits (32 for the backend's int index maps). */
  readonly bits: number;
}

export interface Layer {
  readonly node: Node;
  readonly id: string;
  /** Config struct definitions (one or more) for parameters.h. */
  readonly cfgText: string;
  /** Main config struct name; `${cfg}::out_t` is the output element type. */
  readonly cfg: string;
  readonly consts: readonly ConstArray[];
  /** Run-time input values (graph value names) in the order the call expects them. */
  readonly dyn: readonly string[];
  readonly out: string;
  /** Statement(s) computing the layer on arrays; `ins` are the C++ names of `dyn`. */
  parallel(ins: readonly string[], out: string): string;
  /** Native streaming call (ins/out are stream names); absent: the buffered fallback is used. */
  readonly stream?: (ins: readonly string[], out: string) => string;
  /** Packs the streaming kernel writes back to back (sizes its output FIFO). */
  readonly burst: number;
  /** Loop iterations unrolled into one pipelined step (checked against the unroll limit). */
  readonly unrolled: number;
  /** Arrays the schedule partitions completely (checked against the partition limit). */
  readonly partitioned: readonly { what: string; size: number }[];
  readonly strategy: Strategy;
  readonly reuse: number;
  /** True when io_parallel computes the layer in a pipelined loop (the top function then uses DATAFLOW). */
  readonly looped: boolean;
  /** Schedule facts the plan records (see LayerPlan in layer-plan.ts). */
  readonly facts: LayerFacts;
}

/**
 * How a kernel reads one lookup table (activation, softmax, 1/sqrt, 1/count) or index map:
 * plan.ts decides from it where the array lives and which ROM the top function binds it to.
 */
export interface LookupFacts {
  readonly kind: 'table' | 'index';
  /** Reads of the array in one initiation of the pipelined step that reads it. */
  readonly reads: number;
  /** That step's initiation interval: its reads spread over this many cycles. */
  readonly ii: number;
  /**
   * Every address is a constant of fully unrolled code (an index map read at j for every j of
   * an unrolled loop): the tool folds the array into wiring, so it is no memory.
   */
  readonly fixed?: boolean;
}

/** What a lowering knows about its own schedule; plan.ts turns it into the LayerPlan. */
export interface LayerFacts {
  /** C++ kernel of io_parallel (and of the buffered io_stream fallback). */
  readonly kernel: string;
  /** C++ kernel of the native io_stream call, when there is one. */
  readonly streamKernel?: string;
  readonly macs: number;
  readonly multipliers: number;
  /** The binding the kernel's cfg renders for its weight products (dense/conv `multiplier`); absent: none is rendered ('auto'). */
  readonly multiplier?: HlsMultiplier;
  /** Each product on a multiplier of its own with a constant weight operand (LayerPlan.constOperands); absent: false. */
  readonly constOperands?: boolean;
  /** Pipelined-loop iterations per sample and their II. */
  readonly tripCount: number;
  readonly stepII: number;
  /** Iterations that wait for the previous one to finish (see LayerPlan.serialSteps); 0 when none. */
  readonly serialSteps?: number;
  readonly block: number;
  readonly reduction: number;
  readonly tableLookups: number;
  readonly multBits: number;
  readonly accumBits: number;
  /** Constant arrays reshaped into words of this many elements (resource weights), by id. */
  readonly wordElements?: { readonly [constId: string]: number };
  /** io_stream native kernel: its row buffer. */
  readonly lineBuffer?: LineBufferPlan;
  /** io_stream native kernel: the largest array it holds besides the line buffer. */
  readonly streamBuffer?: number;
  /**
   * io_stream native kernel: the completely partitioned arrays its loop fills and empties over
   * several cycles (LayerPlan.buffers): a row of its input read pack by pack, a row of its
   * result written pack by pack, accumulators held over the whole input (with their bits).
   */
  readonly streamArrays?: readonly StreamArray[];
  /** io_stream native kernel: unrolled per step and arrays partitioned, when they differ from io_parallel's. */
  readonly streamUnrolled?: number;
  /** Packs written back to back by the native kernel (sizes its output FIFO). */
  readonly streamBurst?: number;
  /** io_stream native kernel: pipelined-loop iterations per sample and their II, when they differ from io_parallel's. */
  readonly streamTripCount?: number;
  readonly streamStepII?: number;
  /** io_stream native kernel: the run-time input it reads whole before it writes anything (see LayerPlan.heldInput). */
  readonly streamHeld?: { readonly input: number; readonly elements: number };
  /**
   * io_stream native kernel reading all its run-time inputs a pack per pixel, in step and in the
   * same pixel order (binary_stream, concat2_stream): it never reads one input ahead of another
   * (plan.ts relies on it to keep a reconverging branch's clone FIFO short).
   */
  readonly streamLockstep?: boolean;
  /**
   * io_stream native kernel: how much of its inputs it has read when it writes an output pack
   * (plan.ts sizes the skip FIFO of a reconverging branch from it). `pack`: output pack k right
   * after pack k of every input, as many packs out as in (unary_stream, binary_stream,
   * concat2_stream). `rows`: output row r (outRow packs) once the first need[r] rows of its one
   * input (inRow packs each) are read whole, and no more (line-buffer windows: conv_ready_row;
   * upsample_stream, whose first copy of a row needs less). Absent: possibly its whole input
   * before its first output.
   */
  readonly streamReads?: StreamReads;
  /** io_parallel: arrays are read and written a pixel per step (see LayerPlan.pixelWise). */
  readonly pixelWise?: boolean;
  /**
   * The lookup tables and index maps the kernel reads, by array id (also ids another layer
   * emitted first: a shared table). `streamLookups` replaces it when the native io_stream
   * kernel runs (it reads them differently).
   */
  readonly lookups?: { readonly [constId: string]: LookupFacts };
  readonly streamLookups?: { readonly [constId: string]: LookupFacts };
}

/** See LayerFacts.streamReads. */
export type StreamReads =
  | { readonly kind: 'pack' }
  | { readonly kind: 'rows'; readonly inRow: number; readonly outRow: number; readonly need: readonly number[] };

/**
 * The `rows` reads of a line-buffer window kernel (conv2d_stream, pool2d_stream): per image,
 * output row oh is written once input row conv_ready_row(oh) (nn_conv.h: the last row its
 * window reads, clamped into the input) has been read whole.
 */
export function windowReads(images: number, inH: number, inW: number, outH: number, outW: number, kH: number, sH: number, dH: number, pT: number): StreamReads {
  const need: number[] = [];
  for (let img = 0; img < images; img++) {
    for (let oh = 0; oh < outH; oh++) {
      const last = Math.max(0, Math.min(inH - 1, oh * sH + (kH - 1) * dH - pT));
      need.push(img * inH + last + 1);
    }
  }
  return { kind: 'rows', inRow: inW, outRow: outW, need };
}

/** Facts of a layer without multiplications or tables. */
/** One of LayerFacts.streamArrays: `input` / `result` rows take the value's element width. */
export interface StreamArray {
  readonly what: 'input' | 'result' | 'accumulators';
  readonly elements: number;
  /** Element width (accumulators only: the input and result rows take their value's). */
  readonly bits?: number;
}

export function plainFacts(kernel: string, over: Partial<LayerFacts> = {}): LayerFacts {
  return { kernel, macs: 0, multipliers: 0, tripCount: 1, stepII: 1, block: 0, reduction: 0, tableLookups: 0, multBits: 0, accumBits: 0, ...over };
}

export interface LowerContext {
  readonly g: Graph;
  readonly names: NameTable;
  /** Array id of each constant value already emitted (shared constants are emitted once). */
  readonly constIds: Map<string, string>;
  strategyOf(node: Node): Strategy;
  reuseOf(node: Node): number;
  /** The layer's multiplier binding (see multiplierOf in options.ts); LayerPlan.multiplier records it for the kernels that render it. */
  multiplierOf(node: Node): HlsMultiplier;
  readonly io: 'parallel' | 'stream';
  /** Pack width of a value's io_stream FIFO (its last dim unless the plan chose otherwise). */
  packOf(value: string): number;
  /**
   * io_parallel: 0 when the value's array is partitioned completely, else the cyclic partition
   * factor (its channel count) chosen for arrays beyond the partition limit.
   */
  partitionOf(value: string): number;
  readonly unrollLimit: number;
  readonly partitionLimit: number;
  /**
   * io_stream: a Transpose whose output is only a streamed MatMul's held right operand, folded
   * into that operand's load (plan.ts heldRelayouts): the value it reads instead, and where lane
   * j of its pack q goes in the buffer (base[q] + j·stride). undefined otherwise.
   */
  heldRelayout(value: string): { readonly source: string; readonly base: Int32Array; readonly stride: number } | undefined;
}

export function where(node: Node): string {
  return `layer '${node.name}' (${node.op})`;
}

export function unsupported(node: Node, why: string): never {
  throw new NnInputError(`${where(node)}: ${why}`);
}

/** A config struct assembled member by member, in order. */
export class Cfg {
  private readonly lines: string[] = [];

  constructor(readonly name: string) {}

  type(member: string, t: FixedType | string): this {
    this.lines.push(`  typedef ${typeof t === 'string' ? t : renderType(t)} ${member};`);
    return this;
  }

  u(member: string, v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new Error(`internal: ${this.name}.${member} = ${v}`);
    this.lines.push(`  static const unsigned ${member} = ${v};`);
    return this;
  }

  i(member: string, expr: string): this {
    this.lines.push(`  static const int ${member} = ${expr};`);
    return this;
  }

  ll(member: string, v: bigint | number): this {
    this.lines.push(`  static const long long ${member} = ${BigInt(v).toString()}LL;`);
    return this;
  }

  b(member: string, v: boolean): this {
    this.lines.push(`  static const bool ${member} = ${v};`);
    return this;
  }

  nested(text: string): this {
    this.lines.push(...text.split('\n').map((l) => `  ${l}`));
    return this;
  }

  render(): string {
    return `struct ${this.name} {\n${this.lines.join('\n')}\n};`;
  }
}

/** Nested struct describing a table's geometry (see table_index in nn_common.h). */
export function tableStruct(name: string, spec: { base: number; shift: number; size: number; inType: FixedType }): string {
  const [lo, hi] = rawRange(spec.inType);
  const span = Math.max(Math.abs(lo - spec.base), Math.abs(hi - spec.base));
  const iw = Math.max(spec.inType.width + 1, span.toString(2).length + 1);
  return new Cfg(name).ll('base', spec.base).u('shift', spec.shift).u('size', spec.size).i('iw', String(iw)).render();
}

/** Nested struct mapping output element i to the element of `src` broadcast to `out` (bcast_index). */
export function bcastStruct(name: string, node: Node, src: readonly number[], out: readonly number[]): string {
  if (out.length > 6) unsupported(node, `tensors of rank ${out.length} exceed the HLS kernels' 6 broadcast dims`);
  const dims = [...new Array<number>(6 - out.length).fill(1), ...out];
  const strides = new Array<number>(6).fill(0);
  let acc = 1;
  for (let i = src.length - 1; i >= 0; i--) {
    const j = 6 - src.length + i;
    strides[j] = src[i] === 1 ? 0 : acc;
    acc *= src[i]!;
  }
  const c = new Cfg(name);
  dims.forEach((d, k) => c.u(`d${k}`, d));
  strides.forEach((s, k) => c.u(`s${k}`, s));
  return c.render();
}

/** The constant array of a graph constant (emitted once, named after its first user). */
export function constArray(ctx: LowerContext, out: ConstArray[], value: string, hint: string, doc: string): string {
  const known = ctx.constIds.get(value);
  if (known) return known;
  const { raws, type } = constRaws(ctx.g, value);
  const id = ctx.names.fresh(hint, 'c');
  ctx.constIds.set(value, id);
  out.push(romArray(id, type, raws, doc));
  return id;
}

function romArray(id: string, type: FixedType, raws: readonly bigint[], doc: string): ConstArray {
  if (type.width > 64) {
    throw new NnInputError(`${doc}: type ${renderType(type)} is wider than the 64-bit ROM words the HLS backend stores constants in; give this constant a type of at most 64 bits in the precision config`);
  }
  return { id, ctype: romWord(type), items: rawLiterals(raws), doc, storage: { encoding: 'raw-bits', value: type }, bits: type.width };
}

/** A fixed-point constant array the backend derives itself (clip bounds, bipolar levels, pad value...), given by its raws. */
export function ownArray(ctx: LowerContext, out: ConstArray[], hint: string, type: FixedType, raws: readonly bigint[], doc: string): string {
  const id = ctx.names.fresh(hint, 'c');
  out.push(romArray(id, type, raws, doc));
  return id;
}

/** An index map the backend computes (plain `int` elements). */
export function indexArray(ctx: LowerContext, out: ConstArray[], hint: string, items: ArrayLike<number>, doc: string): string {
  const id = ctx.names.fresh(hint, 'c');
  out.push({ id, ctype: 'int', items: Array.from(items, String), doc, storage: { encoding: 'index' }, bits: 32 });
  return id;
}

export function sizeOfValue(g: Graph, name: string): number {
  const v = g.values.get(name);
  if (!v) throw new Error(`internal: no value '${name}'`);
  return numel(v.shape);
}

/** Pack width of a value in io_stream: its last (channel) dim. */
export function packWidth(g: Graph, name: string): number {
  const s = g.values.get(name)!.shape;
  return s.length === 0 ? 1 : s[s.length - 1]!;
}

export const DUMMY_T = 'int';
export const DUMMY_ARRAY = 'nn2hls::none';
