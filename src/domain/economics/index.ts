// economics: money, energy and the facility. Cloud and on-premises cost, price options and
// break-even, compute-optimal scaling laws, failures and checkpoints, racks, power, network and
// storage. Builds on core, model, memory and performance.

export {
  SERVER_POWER_BY_GENERATION,
  serverOverheadFactorOf,
  DEFAULT_COST_INPUTS,
  COST_INPUT_SOURCES,
  defaultServerOverheadFactor,
  resolveCostInputs,
  costAssumptions,
  costInputProblems,
  itWattsPerGpu,
  estimateEnergy,
  estimateCost,
} from './cost.js';
export type {
  CostInputs,
  CostOverrides,
  EffectiveCostInputs,
  CloudCost,
  OnPremCost,
  EnergyEstimate,
  CostComparison,
  CostEstimate,
  CostRequest,
} from './cost.js';
export {
  breakEvenDays,
  estimateCostOptions,
} from './cost-options.js';
export type {
  PriceOptions,
  RentalKind,
  RentalOption,
  CostOptions,
} from './cost-options.js';
export {
  HOFFMANN_2022_LAW,
  BESIROGLU_2024_LAW,
  SCALING_LAWS,
  CHINCHILLA_TOKENS_PER_PARAMETER,
  FLOPS_PER_PARAMETER_TOKEN,
  COMPUTE_OPTIMAL_BAND,
  predictedLoss,
  frontierConstants,
  optimalAllocation,
  ruleOfThumbAllocation,
  computeForOptimalParameters,
  computeFromCluster,
  computeOptimal,
  verdictFor,
  assessModel,
} from './scaling.js';
export type {
  ScalingLaw,
  LawAllocation,
  ComputeOptimal,
  TrainingVerdict,
  ModelAssessment,
} from './scaling.js';
export {
  LLAMA3_UNEXPECTED_INTERRUPTIONS,
  LLAMA3_SNAPSHOT_DAYS,
  LLAMA3_GPUS,
  DEFAULT_FAILURES_PER_GPU_DAY,
  DEFAULT_RESTART_MINUTES,
  DEFAULT_HOST_COPY_BYTES_PER_SECOND,
  jobMtbfSeconds,
  youngIntervalSeconds,
  dalyIntervalSeconds,
  logWallClockFactor,
  estimateReliability,
} from './reliability.js';
export type {
  ReliabilityOptions,
  ReliabilityInput,
  ReliabilityEstimate,
} from './reliability.js';
export {
  DEFAULT_RACK_KW,
  MAX_RACK_SCALE_DOMAIN,
  DEFAULT_STORAGE_WRITE_BYTES_PER_SECOND_PER_GPU,
  tokenBytesForVocab,
  DEFAULT_RAW_TEXT_BYTES_PER_TOKEN,
  isRackScale,
  checkpointBytes,
  parametersPerModelShard,
  scaleOutBytesPerStep,
  estimateInfrastructure,
  DEFAULT_CHECKPOINT_KEEP_LATEST,
  DEFAULT_SWITCH_RADIX,
  GUIDE_MINIMUM_SCALE_OUT_GBPS,
  coolingForRackKw,
  fatTreeSwitches,
  planFabric,
} from './infrastructure.js';
export type {
  CoolingKind,
  FabricPlan,
  FabricTechnology,
  InfrastructureOptions,
  InfrastructureInput,
  NetworkNeed,
  InfrastructureEstimate,
} from './infrastructure.js';
