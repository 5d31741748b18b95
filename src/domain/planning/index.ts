// planning: a request's whole answer. Resolves a workload (defaults listed as assumptions), sizes
// GPUs for memory and deadline, chooses or searches the layout, composes memory, time and
// economics, and plans procurement (compare, recommend, sweep). The top layer: the HTTP routes,
// the worker threads and the command line call it.

export type {
  CountInput,
  MoeInput,
  ArchitectureInput,
  ModelInput,
  TrainingInput,
  HardwareInput,
  ParallelismInput,
  EfficiencyInput,
  CostInput,
  ConstraintsInput,
  SearchInput,
  InfrastructureInput,
  ReliabilityInput,
  WorkloadInput,
} from './workload-input.js';
export {
  lookupAccelerator,
  toPointer,
  sequencesForBatchTokens,
  resolveWorkload,
  resolveModelTraining,
  resolveModelStack,
  defaultPrecisionFor,
  unknownAcceleratorProblem,
  costFieldProblems,
  DEFAULT_FRAMEWORK,
  priceOptionsOf,
} from './workload.js';
export type {
  PresetLike,
  CatalogPriceEntry,
  CatalogView,
  ResolvedCostInputs,
  ResolvedSearchOptions,
  ResolvedWorkload,
  ResolveOptions,
} from './workload.js';
export {
  ceilTolerant,
  isGridNodeCount,
  nextGridNodeCount,
  candidateGpuCounts,
  MAX_LINEAR_CHECKS,
  minGpusByMemory,
  firstFittingNodeCount,
  memoryLowerBoundGpus,
  plannerGuideGpusByMemory,
  gpusForDeadline,
  roundToLayoutFriendlyCount,
  recommendedGpus,
  estimateSizing,
  memoryFrugalLayouts,
  memoryFitEvaluator,
  sizeForWorkload,
} from './gpu-sizing.js';
export type {
  MemorySizingOptions,
  MemorySizing,
  SizingEstimate,
  SizingInputs,
  MemoryFitOptions,
  MemoryFit,
  WorkloadSizingRequest,
} from './gpu-sizing.js';
export {
  planOperations,
} from './operations.js';
export type {
  OperationsOptions,
  WorkloadWithOperations,
  IdealTime,
  WallTime,
  Operations,
} from './operations.js';
export {
  trainingPeakFlopsPerSecond,
  searchRequestFor,
  fixedLayoutProblems,
  chooseLayout,
  timeFor,
} from './layout-choice.js';
export type {
  ChosenLayout,
  TimeResult,
} from './layout-choice.js';
export {
  planSizing,
  planEstimate,
  planHeldGpusCost,
} from './planner.js';
export type {
  SizingResult,
  EstimateResult,
  HeldGpusRequest,
  HeldGpusCost,
} from './planner.js';
export {
  DEFAULT_PROCUREMENT_SEARCH_EVALUATIONS,
  MAX_DEADLINE_PROBES,
  MAX_PROCUREMENT_GPUS,
  DEFAULT_RECOMMEND_HORIZON_DAYS,
  evaluateAt,
  gridCountAtLeast,
  memoryFloorGpus,
  sizeForDeadline,
  paretoFrontier,
  compareAccelerators,
  modelForCompute,
  recommend,
  sweep,
} from './procurement.js';
export type {
  EvaluationStatus,
  Evaluation,
  DeadlineSizing,
  CostBasis,
  CompareOptions,
  CompareEntry,
  FrontierPoint,
  CompareResult,
  Procurement,
  RecommendOptions,
  RecommendOption,
  Rejection,
  Suggestion,
  RecommendResult,
  SweepParameter,
  SweepPointInput,
  SweepPoint,
  ProcurementTaskInput,
} from './procurement.js';
export {
  runPlanTask,
  inThreadRunner,
} from './plan-tasks.js';
export type {
  PlanTaskKind,
  PlanTask,
  MemoryAnswer,
  SizingAnswer,
  ParallelismAnswer,
  PlanTaskResult,
  PlanRunner,
} from './plan-tasks.js';
