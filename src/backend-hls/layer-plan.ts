/**
 * The LayerPlan: every hardware decision the HLS backend makes about one layer, as plain data
 * (no closures, no C++ text). One planning step (plan.ts `makePlan`, fed by the tiling pass in
 * src/passes/tile.ts) produces it; the renderers (top.ts, headers.ts, testbench.ts), the tool
 * limit checks (limits.ts), nn2hls.json, `compile --dump-plan` and the estimator
 * (src/estimate) all read it and never re-derive a decision. Field names are stable: later
 * work adds fields, it does not rename them.
 *
 * Units: cycles are clock cycles of the HLS design; "elements" are scalars of the value's
 * fixed-point type; "packs" are the channel vectors an io_stream FIFO carries per write.
 */

/** latency: all products of a step unrolled and weights in registers; resource: weights in memory, multipliers reused. */
import type { HlsMultiplier } from '../ir/precision-config.js';

export type Strategy = 'latency' | 'resource';

/** Where a constant array lives after synthesis (what its partition/reshape pragmas imply). */
export type WeightStorage = 'registers' | 'lutram' | 'bram' | 'uram';

/**
 * How an io_stream layer is computed: `native` kernels read and write packs as they go (line
 * buffers, per-pixel kernels); `buffered` ones read their whole input tensor into an array,
 * compute, and stream the result back (only where the math needs the whole tensor).
 */
export type StreamMode = 'native' | 'buffered';

/** One constant array a layer reads (weights, biases, tables, index maps). */
export interface WeightPlan {
  /** C++ identifier (weights/<id>.h). */
  readonly id: string;
  /**
   * `table`: a lookup table read at data-dependent addresses (activation, softmax exp and 1/x,
   * LayerNorm 1/sqrt, average pooling 1/count); `index`: an index map the backend computed
   * (Transpose/Pad/Resize/Slice maps, kept pixels, MatMul offsets); `data`: weights, biases and
   * the other constant operands.
   */
  readonly kind: 'data' | 'table' | 'index';
  readonly elements: number;
  /** Width of one element in bits. */
  readonly bits: number;
  /** Memory words after reshaping (elements / wordElements). */
  readonly words: number;
  /** Elements read together in one cycle (one memory word). */
  readonly wordElements: number;
  /**
   * Where the array lives (plan.ts weightStorage: registers up to 64 bits, LUTRAM when shallow,
   * else BRAM; never URAM). Tables and index maps read several times per cycle take the same
   * rule on the LUTRAM their reads need, a copy per read (plan.ts lookupStorage). An index map
   * read only at addresses fixed by unrolled code is `registers`: the tool folds it into wiring.
   */
  readonly storage: WeightStorage;
  /**
   * The ROM the top function binds the array to (Vitis HLS `BIND_STORAGE type=rom_1p|rom_2p|rom_np
   * impl=..`, Vivado HLS `RESOURCE core=ROM_1P_..|ROM_2P_..|ROM_nP_..`), what `storage` says, or
   * null when the array is no memory: registers, and data arrays the kernels read element by
   * element at addresses fixed by unrolled code (biases, per-channel parameters), which the tool
   * folds. Weight arrays the kernels reshape into words read one per cycle are bound, and so
   * are tables and index maps read at run-time addresses.
   */
  readonly rom: 'bram' | 'lutram' | null;
  /**
   * Reads per clock cycle (all layers reading the array together) of a table or index map read
   * at run-time addresses, or of a bound weight ROM; 0 for the other arrays. A bound ROM read
   * once per cycle is single-port, twice dual-port, more often multi-port (the tool keeps a copy
   * per two reads in BRAM, per read in LUTRAM).
   */
  readonly ports: number;
}

/** The row buffer of a sliding-window kernel in io_stream (convolution, pooling). */
export interface LineBufferPlan {
  /** Input rows held. */
  readonly rows: number;
  /** Pixels per row. */
  readonly width: number;
  readonly channels: number;
  /** rows · width · channels. */
  readonly elements: number;
  /** Completely partitioned (registers) or kept in a memory (BRAM/LUTRAM, one pixel per word). */
  readonly partitioned: boolean;
}

/** A run-time input a native io_stream kernel holds whole (LayerPlan.heldInput). */
export interface HeldInputPlan {
  /** Position among the layer's run-time inputs (inShapes). */
  readonly input: number;
  /** IR value held (a folded Transpose's input, plan.ts heldRelayouts: the layer lays it out as it loads). */
  readonly value: string;
  readonly elements: number;
  /** FIFO packs read to fill the buffer. */
  readonly packs: number;
}

/**
 * An array a buffered io_stream layer holds whole: the top reads the input FIFO into one per
 * run-time input (stream_to_array), the kernel computes into the result array, which is then
 * written to the output FIFO (array_to_stream). Three DATAFLOW processes joined by these arrays.
 * Also the input a native kernel holds whole (heldInput), between its load and its rows, and
 * the row arrays a native kernel's loop fills or empties pack by pack (`row input`, `row
 * result`: a dense_stream row, a softmax or LayerNorm slice; `row accumulators`: a streamed
 * reduction's sums and seen flags), registers of one copy.
 */
/** What a BufferPlan holds: an input (fills before the kernel runs), the result (drains after), or a native kernel's row array. */
export type BufferRole = `input ${number}` | 'result' | `row ${'input' | 'result' | 'accumulators'}`;

export interface BufferPlan {
  /** `input k` (k: position in inShapes) or `result`; a native kernel's `row input`, `row result`, `row accumulators`. */
  readonly what: BufferRole;
  readonly elements: number;
  /** Element width in bits. */
  readonly bits: number;
  /** FIFO packs read to fill it (an input: cycles before the kernel may start) or written to drain it (the result). */
  readonly packs: number;
  /**
   * Its ARRAY_PARTITION pragma: 0 when complete (every element a register), else the cyclic
   * factor (that many memory banks of ceil(elements / banks) words).
   */
  readonly banks: number;
  /** Where it lives: registers when partitioned completely; a bank's memory by the weights' rule (plan.ts weightStorage) otherwise. */
  readonly storage: WeightStorage;
  /**
   * Copies the tool builds: 2 for an array passed between two DATAFLOW processes (a ping-pong
   * channel: the producer fills one while the consumer reads the other), else 1.
   */
  readonly copies: number;
}

/** An array the schedule partitions completely (checked against the partition limit). */
export interface PartitionPlan {
  readonly what: string;
  readonly elements: number;
}

/** A FIFO or array joining a producer to one reader. */
export interface EdgePlan {
  /** IR value carried. */
  readonly value: string;
  /** Producing layer index, or -1 for a graph input port. */
  readonly from: number;
  /** Reading layer index, or -1 for a graph output port. */
  readonly to: number;
  /** C++ name of the stream/array the reader reads. */
  readonly cpp: string;
  readonly kind: 'stream' | 'array';
  /** FIFO depth in packs (io_stream); 0 for arrays. */
  readonly depth: number;
  /** Elements per pack (io_stream); the value's size for arrays. */
  readonly pack: number;
  /** Elements of the whole value per sample. */
  readonly elements: number;
  /** Element width in bits. */
  readonly bits: number;
  /**
   * 'uram': an io_stream FIFO bound to UltraRAM (Vitis HLS `BIND_STORAGE type=fifo impl=uram`;
   * Vivado HLS has no URAM FIFO binding and keeps BRAM): on a part with URAM (EmitOptions.uram),
   * a FIFO of at least 4096 packs (a URAM's depth) and 8 RAMB18s' worth of bits (plan.ts
   * URAM_FIFO_BITS). Absent: the tool's default (SRL, LUTRAM or BRAM by size).
   */
  readonly storage?: 'uram';
}

/** Inputs of a pipeline-depth model: what one output element costs in sequence. */
export interface PipelineInputs {
  /** Products summed into one output element (an adder chain/tree of this length), 0 if none. */
  readonly reduction: number;
  /** Table lookups in sequence per element (activation/softmax tables). */
  readonly tableLookups: number;
  /** Bits of the widest operand of a multiplication (0 without multiplications). */
  readonly multBits: number;
  /** Bits of the accumulator (0 without one). */
  readonly accumBits: number;
}

export interface LayerPlan {
  /** Position in the top function (graph order). */
  readonly index: number;
  /** C++ layer id (sanitized, unique). */
  readonly id: string;
  /** IR node name (what the user writes in hls.layers). */
  readonly name: string;
  readonly op: string;
  /** C++ kernel function called (e.g. nn2hls::dense, nn2hls::conv2d_stream). */
  readonly kernel: string;
  readonly strategy: Strategy;
  /** Reuse factor in effect (validated: see reuse.ts). */
  readonly reuse: number;
  /**
   * What the layer's weight products are bound to (config hls.multiplier, per layer or model-wide),
   * for the kernels that bind them (dense, conv: the cfg's `multiplier`, mult_bind in nn_common.h);
   * 'auto' for every other layer, whose kernel renders no binding. Read by the estimator
   * (fabric: LUT multipliers, no DSP; dsp: every real product on DSPs).
   */
  readonly multiplier: HlsMultiplier;
  /** Reuse factor asked for (user, config or default) before validation. */
  readonly reuseRequested: number;
  /** Who chose strategy/reuse: the user (flag, config), the tiling pass, the estimator's fold to the part (compile's default, --fit), or the defaults. */
  readonly chosenBy: 'user' | 'tiling' | 'default' | 'fit';
  /** Why the tiling pass or the reuse validation changed something (empty when nothing changed). */
  readonly notes: readonly string[];
  /** Cycles between two samples entering this layer (its initiation interval). */
  readonly ii: number;
  /** Iterations of the layer's pipelined loop per sample (1 when the layer is one pipelined step). */
  readonly tripCount: number;
  /** Initiation interval of that loop. */
  readonly stepII: number;
  /**
   * Groups of those iterations that run one after another because each needs the previous
   * one's result (a recurrent layer's time steps need the previous hidden state): the pipeline
   * drains between them. 0 when the iterations overlap freely.
   */
  readonly serialSteps: number;
  /** Multiplications per sample. */
  readonly macs: number;
  /** Multipliers instantiated (before constant folding by the tool). */
  readonly multipliers: number;
  /**
   * Every product of the layer has a multiplier of its own whose weight operand is a constant the
   * tool sees: the latency schedule (weights completely partitioned, read at addresses fixed by
   * unrolled code) at reuse 1, so the ALLOCATION limit is one multiplier per product and no weight
   * multiplexer exists — in io_parallel a step II of 1, in io_stream's dense_stream a row per
   * iteration at any II its pack reads need. The tool then builds each product on its constant:
   * a zero weight vanishes, ±2^k is a shift, a small one a LUT adder chain, only the rest takes a
   * DSP, and the step sums every product in one adder tree. False when products share multipliers
   * (reuse above 1; the resource schedule's weight ROM words; a convolution whose window reads
   * take more than one cycle, which lets the tool share over its II) or have no constant operand
   * (MatMul, LayerNorm, element-wise products, layers without products).
   */
  readonly constOperands: boolean;
  /** Loop iterations unrolled into one pipelined step (checked against the unroll limit). */
  readonly unrolled: number;
  /** Products computed per step by the resource reuse loop (0 for other schedules). */
  readonly block: number;
  /** Arrays partitioned completely (weights in registers, buffers, line buffers). */
  readonly partitioned: readonly PartitionPlan[];
  /** io_stream only: how the layer is computed; null in io_parallel. */
  readonly stream: StreamMode | null;
  readonly lineBuffer: LineBufferPlan | null;
  /** Largest tensor (elements) the layer holds whole at once (arrays in io_stream); 0 if none. */
  readonly bufferedElements: number;
  /**
   * stream `buffered`: the arrays the layer holds (inputs, then the result); a native kernel:
   * the input it holds whole (heldInput), then its row arrays; empty otherwise.
   */
  readonly buffers: readonly BufferPlan[];
  /**
   * io_stream native kernel that reads one run-time input whole before it writes anything (the
   * right operand of a streamed MatMul): which input (its position in inShapes), its value, its
   * elements and the packs read to fill it (cycles before the first output). The buffer is a
   * ping-pong channel between two DATAFLOW processes (load, then rows), so the fill delays the
   * first output but the next sample's operand loads during this sample's rows: the II is the
   * larger of the two, not their sum. null otherwise.
   */
  readonly heldInput: HeldInputPlan | null;
  /** Depth (packs) of the FIFO this layer writes in io_stream; 0 in io_parallel. */
  readonly outDepth: number;
  /** Pack width (elements per FIFO write) of the layer's output stream; its size in io_parallel. */
  readonly outPack: number;
  readonly weights: readonly WeightPlan[];
  /**
   * io_parallel: the layer reads and writes its arrays one pixel per step, so arrays beyond the
   * partition limit may be partitioned cyclically by channel (EdgePlan/TopStep `cyclic`).
   */
  readonly pixelWise: boolean;
  readonly pipeline: PipelineInputs;
  readonly inShapes: readonly (readonly number[])[];
  readonly outShape: readonly number[];
}
