// core: what every layer speaks. Domain types (shape, layout, accelerator, estimates), SI-suffixed
// counts, the bounds on every count, and the input problem every layer may raise. Imports nothing.

export {
  PRECISIONS,
  OPTIMIZERS,
  RECOMPUTE_MODES,
  PIPELINE_SCHEDULES,
} from './types.js';
export type {
  Precision,
  OptimizerKind,
  RecomputeMode,
  PipelineSchedule,
  ZeroStage,
  MoeShape,
  MlaShape,
  ModelShape,
  ParameterCounts,
  Accelerator,
  TrainingSetup,
  ParallelLayout,
  MemoryBreakdown,
  MemoryEstimate,
  StepTimeBreakdown,
  PerformanceEstimate,
  Assumption,
  SelectiveRecomputePolicy,
  SecondsRange,
  CrossEntropyKind,
  TrainingFramework,
} from './types.js';
export {
  COUNT_SUFFIX_EXPONENTS,
  COUNT_PATTERN,
  parseCount,
  parseIntegerCount,
} from './units.js';
export {
  LIMITS,
} from './limits.js';
export {
  InputProblemError,
} from './problems.js';
export type {
  FieldProblem,
} from './problems.js';
