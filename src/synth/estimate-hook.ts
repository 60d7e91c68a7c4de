/**
 * The hook by which `nn2hls estimate` takes `--calibration FILE` (a calibration.json written by
 * `nn2hls calibrate`): one option to add to the command, one call on its --json object, one line
 * to print. Kept here so the estimator's CLI needs only those three lines, and so that estimate
 * and report apply a calibration the same way (applyCalibration).
 */
import type { Command } from 'commander';
import { applyCalibration, readCalibrationFile } from './calibrate.js';
import type { EstimateJson } from './compare.js';

export function addCalibrationOption(cmd: Command): Command {
  return cmd.option('--calibration <file>', 'correct the estimate with a calibration.json written by `nn2hls calibrate` (per tool and device family)');
}

/**
 * The estimate's --json object corrected by the calibration file (unchanged without one). The
 * device family is recorded in the result so `calibrate` can group designs by it later.
 */
export function calibratedJson(json: unknown, family: string, file: string | undefined): EstimateJson {
  const est = { ...(json as EstimateJson), family };
  return file ? applyCalibration(readCalibrationFile(file), est, family) : est;
}

/** One line saying what the calibration changed (empty without one). */
export function formatCalibrated(j: EstimateJson): string {
  const c = j['calibration'] as { applied: boolean; tool?: string; family?: string; points?: number; note?: string } | undefined;
  if (!c) return '';
  if (!c.applied) return `calibration: not applied (${c.note})`;
  const t = j.total;
  return `calibrated (${c.tool} / ${c.family}, fitted on ${c.points} designs): latency ${t.latency_cycles} cycles, DSP ${t.dsp}, LUT ${t.lut}, FF ${t.ff}, BRAM_18K ${t.bram18k}`;
}
