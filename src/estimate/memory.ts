/**
 * Block memory: RAMB18 and URAM for lookup tables, weight memories (resource strategy), io_stream
 * FIFOs, line buffers and the arrays of buffered io-stream layers, from the RAMB18 aspect ratios
 * (16K×1, 8K×2, 4K×4, 2K×9, 1K×18, 512×36 in simple dual port; two read ports per block) and
 * URAM's 4K×72. Small arrays stay in LUTs/registers as the tools do: FIFOs up to 32 deep become
 * shift registers, line buffers under 64 pixels distributed RAM, completely partitioned arrays
 * registers. Constant arrays (weights, tables, index maps) are costed where the
 * LayerPlan stores them (plan.ts weightStorage), which is what the top function binds them to.
 */
import type { Device } from './devices.js';
import type { LayerView } from './plan-view.js';

const ASPECTS: readonly (readonly [depth: number, width: number])[] = [
  [16384, 1], [8192, 2], [4096, 4], [2048, 9], [1024, 18], [512, 36],
];

/** RAMB18s for one depth×width memory (the cheapest aspect ratio). */
export function ramb18For(depth: number, width: number): number {
  if (depth <= 0 || width <= 0) return 0;
  return Math.min(...ASPECTS.map(([d, w]) => Math.ceil(depth / d) * Math.ceil(width / w)));
}

/** URAMs (4K×72) for one depth×width memory. */
export const uramFor = (depth: number, width: number) => Math.ceil(depth / 4096) * Math.ceil(width / 72);

export interface MemoryCost {
  readonly bram18k: number;
  readonly uram: number;
  /** LUTs used as ROM / distributed RAM / shift registers for the small ones. */
  readonly lut: number;
  readonly ff: number;
}

/**
 * Tables and index maps are stored where the plan put them (WeightPlan storage and ports, the
 * fields the top function's ROM bindings are rendered from): in BRAM every RAMB18 serves two
 * reads per cycle, so more parallel reads need copies; in LUTRAM (and the few-bit arrays kept in
 * registers, which become LUT ROMs) a 64-entry LUT ROM per bit per read.
 */
/** `uramFifos`: the tool binds the plan's URAM FIFOs to URAM (Vitis HLS; Vivado HLS keeps them in BRAM). */
export function memoryCost(l: LayerView, dev: Device, uramFifos = true): MemoryCost {
  let bram = 0;
  let uram = 0;
  let lut = 0;
  let ff = 0;
  for (const t of l.tables) {
    if (t.storage === 'bram') bram += Math.ceil(t.reads / 2) * ramb18For(t.entries, t.width);
    else lut += t.reads * Math.ceil(t.entries / 64) * t.width;
  }
  const wm = l.weightMemory;
  if (wm) {
    // The plan chose the storage (plan.ts weightStorage); a URAM part without URAM falls back to BRAM.
    if (wm.storage === 'uram' && dev.uram > 0) uram += uramFor(wm.depth, wm.width);
    else if (wm.storage === 'lutram') lut += Math.ceil(wm.depth / 64) * wm.width;
    else bram += ramb18For(wm.depth, wm.width);
  }
  for (const f of l.fifos) {
    // HLS builds shallow FIFOs from shift-register LUTs (SRL32), deep ones in block RAM.
    if (f.depth <= 32 || f.depth * f.width <= 1024) lut += f.width * Math.ceil(f.depth / 32);
    else if (f.uram && uramFifos && dev.uram > 0) uram += uramFor(f.depth, f.width);
    else bram += ramb18For(f.depth, f.width);
  }
  if (l.lineBuffer) {
    const { rows, cols, channels, width, partitioned } = l.lineBuffer;
    // A completely partitioned row buffer is a shift register: SRL32 LUTs plus the window's registers.
    if (partitioned) {
      lut += rows * Math.ceil(cols / 32) * channels * width;
      ff += rows * channels * width;
    }
    else if (cols < 64) lut += rows * Math.ceil(cols / 32) * channels * width;
    else bram += rows * ramb18For(cols, channels * width);
  }
  for (const b of l.buffers) {
    // The arrays an io-stream layer holds (a buffered layer's, a held input, a native kernel's
    // row arrays), where the plan put them (LayerPlan buffers), times the copies of a ping-pong channel. Completely partitioned: a register per bit, and the
    // reader's 2:1 select between the two copies (two per LUT6). Cyclic banks: memories by the
    // weights' and FIFOs' rules, ceil(elements / banks) words each.
    if (b.storage === 'registers') {
      ff += b.copies * b.elements * b.bits;
      if (b.copies > 1) lut += Math.ceil((b.elements * b.bits) / 2);
      continue;
    }
    const banks = Math.max(1, b.banks);
    const depth = Math.ceil(b.elements / banks);
    if (b.storage === 'uram' && dev.uram > 0) uram += b.copies * banks * uramFor(depth, b.bits);
    else if (b.storage === 'lutram') lut += b.copies * banks * Math.ceil(depth / 64) * b.bits;
    else bram += b.copies * banks * ramb18For(depth, b.bits);
  }
  return { bram18k: bram, uram, lut, ff };
}
