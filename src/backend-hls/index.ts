/**
 * The HLS backend: IR (quantized) -> Vivado/Vitis HLS project files. See project.ts.
 */
export { emitProject, planProject, BACKEND_VERSION } from './project.js';
export { DEFAULTS, type EmitOptions, type LayerHlsOptions, parseClock, checkReuse, checkStrategy, checkProjectName } from './options.js';
export { sanitize } from './names.js';
export { planTable, planChanges, planJson } from './plan-table.js';
export type { LayerPlan, EdgePlan, WeightPlan, LineBufferPlan, PartitionPlan, PipelineInputs, StreamMode, WeightStorage, Strategy } from './layer-plan.js';
export type { Plan, Port, TopStep } from './plan.js';
