/**
 * Reading the zip container of a Keras 3 `.keras` file with fflate (small, maintained, pure
 * JS). Only what Keras writes is needed: stored or deflated entries listed in the central
 * directory. A truncated or damaged archive is reported as such, naming the file.
 */
import { createRequire } from 'node:module';
import { NnInputError } from '../../util/tensor.js';

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/** Entry name → contents. */
export function readZip(bytes: Uint8Array, source: string): Map<string, Uint8Array> {
  // fflate loads with the first .keras file, not with every command.
  const { unzipSync } = createRequire(import.meta.url)('fflate') as typeof import('fflate');
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (e) {
    throw new NnInputError(
      `${source}: the .keras zip cannot be read (${(e as Error).message}); the file is truncated or damaged — save it again with model.save("model.keras")`,
    );
  }
  return new Map(Object.entries(files));
}
