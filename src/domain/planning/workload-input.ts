// The workload as a caller states it, before defaults: the domain's own description of the request
// body of every POST in the v1 contract (docs/API.md). The HTTP layer's TypeBox schema
// (src/schemas/workload.ts) is checked at compile time to produce exactly this type, so the two
// cannot drift while the domain stays free of the HTTP layer.

/** A count as a number or an SI-suffixed string ("175B", "2T", "16M"); parsed by core/units.ts. */
export type CountInput = number | string;

export interface MoeInput {
  experts: number;
  activeExperts: number;
  expertFfnHiddenSize: number;
  sharedExperts?: number;
  denseLayers?: number;
}

export interface ArchitectureInput {
  layers: number;
  hiddenSize: number;
  attentionHeads: number;
  kvHeads?: number;
  headDim?: number;
  ffnHiddenSize?: number;
  vocabSize?: number;
  gatedMlp?: boolean;
  tiedEmbeddings?: boolean;
  moe?: MoeInput;
  mla?: MlaInput;
}

export interface MlaInput {
  qLoraRank?: number;
  kvLoraRank: number;
  qkNopeHeadDim: number;
  qkRopeHeadDim: number;
  vHeadDim: number;
}

export interface ModelInput {
  preset?: string;
  parameters?: CountInput;
  architecture?: ArchitectureInput;
}

export interface TrainingInput {
  tokens?: CountInput;
  sequenceLength?: number;
  globalBatchTokens?: CountInput;
  globalBatchSize?: number;
  precision?: 'fp32' | 'fp16' | 'bf16' | 'fp8';
  optimizer?: 'adamw' | 'sgd';
  framework?: string;
  dropout?: number;
  fp32Gradients?: boolean;
}

export interface HardwareInput {
  gpu: string;
  count?: number;
}

export interface ParallelismInput {
  tensor?: number;
  pipeline?: number;
  data?: number;
  context?: number;
  expert?: number;
  microBatchSize?: number;
  zeroStage?: 0 | 1 | 2 | 3;
  recompute?: 'none' | 'selective' | 'full';
  sequenceParallel?: boolean;
  schedule?: '1f1b' | 'interleaved' | 'dualpipe';
  virtualStages?: number;
  stageSplit?: 'even' | 'edges-as-layers';
}

export interface EfficiencyInput {
  mfu?: number;
  tensorCommOverlap?: number;
  dataCommOverlap?: number;
  pipelineCommOverlap?: number;
  contextCommOverlap?: number;
  expertCommOverlap?: number;
  flashAttention?: boolean;
  fusedKernels?: boolean;
  selectiveRecompute?: 'attention-core' | 'save-matmuls';
  crossEntropy?: 'fp32-logits' | 'fused' | 'unfused';
}

export interface CostInput {
  gpuHourUsd?: number;
  purchaseUsdPerGpu?: number;
  electricityUsdPerKwh?: number;
  pue?: number;
  depreciationYears?: number;
  utilization?: number;
  carbonKgPerKwh?: number;
}

export interface ConstraintsInput {
  deadlineDays?: number;
  budgetUsd?: number;
}

export interface SearchInput {
  objective?: 'time' | 'cost';
  topK?: number;
  maxEvaluations?: number;
  timeBudgetMs?: number;
  allowTensorBeyondScaleUp?: boolean;
}

export interface InfrastructureInput {
  rackKw?: number;
  storageWriteGBps?: number;
  rawTextBytesPerToken?: number;
  checkpointKeepLatest?: number;
  checkpointArchiveEveryDays?: number;
  fabric?: 'infiniband' | 'roce';
  switchRadix?: number;
  /** Gb/s per GPU in place of the catalog's scale-out bandwidth */
  scaleOutGbpsPerGpu?: number;
}

export interface ReliabilityInput {
  failuresPerGpuDay?: number;
  restartMinutes?: number;
  checkpointWriteSeconds?: number;
  checkpointIntervalMinutes?: number;
  asyncCheckpoint?: boolean;
}

export interface WorkloadInput {
  model: ModelInput;
  training?: TrainingInput;
  parallelism?: ParallelismInput;
  efficiency?: EfficiencyInput;
  cost?: CostInput;
  constraints?: ConstraintsInput;
  search?: SearchInput;
  infrastructure?: InfrastructureInput;
  reliability?: ReliabilityInput;
  hardware: HardwareInput;
}
