/**
 * Power: device static (devices.ts) + dynamic = Σ over resource classes of count × f × toggle ×
 * coefficient, per layer (UG440/UG907: dynamic power scales with clock, toggle rate and count).
 * The coefficients are W per unit per MHz at 100 % toggle, fitted to the public report_power
 * points in ../shared/reference/fpga_power_and_estimation.md at XPE's default 12.5 % toggle:
 * - 28 nm (xc7a100t, 100 MHz): 19 DSP48E1 -> 10 mW, 120 RAMB36 -> 9 mW, 6,135 slices (4 LUT +
 *   8 FF each) of logic -> 16 mW;
 * - 16 nm (xcu50, ~180 MHz): 475k LUT -> 1.235 W, 666k FF -> 0.137 W, 412.5 RAMB36 -> 1.532 W;
 *   DSP and URAM have no 16 nm point and reuse the 28 nm DSP and 16 nm BRAM rates.
 * These are first-order numbers (routing and clock-tree power are not modelled separately).
 */
import type { Device } from './devices.js';

export interface Resources {
  readonly dsp: number;
  readonly lut: number;
  readonly ff: number;
  readonly bram18k: number;
  readonly uram: number;
}

const T = 0.125;
const C28 = {
  dsp: 10e-3 / (19 * 100 * T),
  bram18k: 9e-3 / (240 * 100 * T),
  lut: (16e-3 * 0.8) / (6135 * 4 * 100 * T),
  ff: (16e-3 * 0.2) / (6135 * 8 * 100 * T),
};
const C16 = {
  dsp: C28.dsp,
  bram18k: 1.532 / (825 * 180 * T),
  lut: 1.235 / (475e3 * 180 * T),
  ff: 0.137 / (666e3 * 180 * T),
};
const URAM_PER_BRAM18 = 4; // a URAM holds 16 RAMB18s of bits; its access energy is lower per bit

export function coefficients(dev: Device): typeof C28 & { uram: number } {
  const c = dev.dspShape.kind === 'DSP48E1' ? C28 : C16;
  return { ...c, uram: c.bram18k * URAM_PER_BRAM18 };
}

/** Dynamic power in W of `r` at `freqMhz` and toggle rate `toggle` (0..1). */
export function dynamicPower(r: Resources, dev: Device, freqMhz: number, toggle: number): number {
  const c = coefficients(dev);
  const perMhz = r.dsp * c.dsp + r.lut * c.lut + r.ff * c.ff + r.bram18k * c.bram18k + r.uram * c.uram;
  return perMhz * freqMhz * toggle;
}
