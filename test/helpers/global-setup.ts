/**
 * vitest globalSetup: work shared by every test file of a run, done once before the first one.
 * With AP_TYPES_INCLUDE set, it builds (or finds in the per-user cache) the precompiled header of
 * csim builds (src/cli/csim-pch.ts) with the flags runCsim uses. Without it, every concurrent csim
 * case of a cold cache would compile the same ~80 MB header at once (~4 s of CPU each) before
 * finding it cached. Nothing here decides a test's outcome: a header that cannot be had only
 * means the builds parse the headers themselves, as they do with NN2HLS_NO_PCH.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { warmPrecompiledHeader } from '../../src/cli/csim.js';

export default async function setup(): Promise<void> {
  const inc = process.env['AP_TYPES_INCLUDE'];
  if (!inc || !existsSync(join(inc, 'ap_fixed.h')) || process.env['NN2HLS_NO_PCH']) return;
  const t0 = performance.now();
  const h = await warmPrecompiledHeader(inc).catch(() => null);
  const what = h ? (h.built ? 'built' : 'cached') : 'unavailable (csim builds parse the headers themselves)';
  console.log(`csim precompiled header: ${what} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}
