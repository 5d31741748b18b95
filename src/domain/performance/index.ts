// performance: seconds per step. Per-generation calibration constants with their sources,
// collective cost models, the workload context, and the step-time model (the search's cached fast
// path; its readable oracle is step-time-reference.ts). Builds on core, model and layouts.

export {
  GENERATION_CALIBRATION,
  UNKNOWN_GENERATION_CALIBRATION,
  calibrationFor,
  CAUSAL_ATTENTION_WORK_FRACTION,
  FLASH_BACKWARD_TO_FORWARD,
  FLASH_EFFICIENCY_BOUND,
  LAYER_ELEMENTWISE_BYTES_PER_HIDDEN,
  EAGER_LAYER_ELEMENTWISE_BYTES_PER_HIDDEN,
  EAGER_GATED_MLP_ACTIVATION_BYTES_PER_ELEMENT,
  EAGER_MLP_ACTIVATION_BYTES_PER_ELEMENT,
  MLP_ACTIVATION_BYTES_PER_ELEMENT,
  GATED_MLP_ACTIVATION_BYTES_PER_ELEMENT,
  UNFUSED_ATTENTION_FORWARD_BYTES_PER_SCORE,
  UNFUSED_ATTENTION_BACKWARD_BYTES_PER_SCORE,
  BACKWARD_ELEMENTWISE_FACTOR,
  CROSS_ENTROPY_BYTES_PER_LOGIT,
  FP8_CAST_BYTES_PER_ELEMENT,
  MOE_PERMUTE_BYTES_PER_ELEMENT,
  KERNELS_PER_LAYER_FORWARD,
  KERNELS_PER_LAYER_BACKWARD,
  OPTIMIZER_BYTES_PER_PARAMETER,
  GRADIENT_REDUCE_BYTES,
  PARAMETER_GATHER_BYTES,
  ACTIVATION_BYTES,
} from './calibration.js';
export type {
  GenerationCalibration,
} from './calibration.js';
export {
  membersPerDomain,
  allReduceSeconds,
  ringLatencySeconds,
  reduceScatterSeconds,
  allGatherSeconds,
  allToAllSeconds,
  pointToPointSeconds,
} from './collectives.js';
export type {
  Fabric,
} from './collectives.js';
export {
  supportsPrecision,
  peakFlopsForPrecision,
  prepareWorkload,
  createPerformanceEstimate,
  SAVE_MATMULS_RECOMPUTED_GEMM_SHARE,
  withStack,
} from './workload-context.js';
export type {
  PerformanceOptions,
  StackCalibration,
  WorkloadContext,
} from './workload-context.js';
export {
  evaluateLayout,
  estimatePerformance,
  performanceFromMfu,
  defaultMfu,
} from './step-time.js';
export {
  evaluateLayoutReference,
} from './step-time-reference.js';
export {
  stackCalibrationFor,
  BAND_WIDENING_PER_DOUBLING_OUTSIDE,
} from './stack-fit.js';
export type {
  StepTimeBand,
  StepTimeFit,
  FittedFramework,
  FittedGroup,
  StackLookup,
} from './stack-fit.js';
