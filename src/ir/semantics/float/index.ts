/**
 * The reference float kernels of every op: the meaning of each op on float32 tensors, as the
 * frontends need it to fold constants, the index maps need it to move element numbers
 * (index-maps.ts), and the float executor (src/sim/float/executor.ts) runs it, with its
 * generated Dense/Conv fast paths on top (same results).
 */
import type { KernelTable } from '../tensor.js';
import { convKernels } from './conv.js';
import { elementwiseKernels } from './elementwise.js';
import { layoutKernels } from './layout.js';
import { linearKernels } from './linear.js';
import { mathKernels } from './math.js';
import { normalizeKernels } from './normalize.js';
import { padKernels } from './pad.js';
import { poolKernels } from './pool.js';
import { quantKernels } from './quant.js';
import { recurrentKernels } from './recurrent.js';
import { resizeKernels } from './resize.js';
import { selectKernels } from './select.js';

export const REFERENCE_FLOAT_KERNELS: KernelTable = {
  ...elementwiseKernels,
  ...mathKernels,
  ...selectKernels,
  ...linearKernels,
  ...normalizeKernels,
  ...layoutKernels,
  ...quantKernels,
  ...convKernels,
  ...poolKernels,
  ...recurrentKernels,
  ...resizeKernels,
  ...padKernels,
};
