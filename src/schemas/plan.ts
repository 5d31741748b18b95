import { Type, type Static } from 'typebox';

// Response schemas of the plan endpoints. Stable fields of docs/API.md keep their names and units;
// everything else is additive. Response schemas drop undeclared fields, so every field sent is declared here.

const Num = (description?: string) => Type.Number(description ? { description } : {});
const Int = (description?: string) => Type.Integer(description ? { description } : {});
/** Money that may be unknown: null (with its priceKnown flag false) where no price exists, never 0. */
export const UsdOrNull = (description?: string) =>
  Type.Union([Type.Number(), Type.Null()], { description: `${description ? `${description}; ` : ''}null when the price is unknown` });

export const AssumptionSchema = Type.Object(
  {
    field: Type.String({ description: 'JSON Pointer of the request field that was inferred or defaulted' }),
    value: Type.Union([Type.String(), Type.Number(), Type.Boolean()]),
    reason: Type.String(),
  },
  { $id: 'Assumption' },
);

export const ArchitectureOutSchema = Type.Object({
  layers: Int(),
  hiddenSize: Int(),
  attentionHeads: Int(),
  kvHeads: Int(),
  headDim: Int(),
  ffnHiddenSize: Int(),
  vocabSize: Int(),
  gatedMlp: Type.Boolean(),
  tiedEmbeddings: Type.Boolean(),
  moe: Type.Optional(
    Type.Object({
      experts: Int(),
      activeExperts: Int(),
      expertFfnHiddenSize: Int(),
      sharedExperts: Int(),
      denseLayers: Int(),
    }),
  ),
});

export const ModelOutSchema = Type.Object({
  parameters: Num('all parameters (stable)'),
  activeParameters: Num('parameters one token touches; = parameters for dense models (stable)'),
  embeddingParameters: Num('input embedding V·h'),
  lmHeadParameters: Num('LM head V·h; 0 when tied'),
  source: Type.Enum(['preset', 'parameters', 'architecture']),
  presetId: Type.Optional(Type.String()),
  architecture: ArchitectureOutSchema,
});

export const TrainingOutSchema = Type.Object({
  tokens: Num(),
  sequenceLength: Int(),
  globalBatchSize: Int('sequences per step'),
  globalBatchTokens: Num(),
  steps: Int(),
  precision: Type.String(),
  optimizer: Type.String(),
});

export const HardwareOutSchema = Type.Object({
  gpu: Type.String(),
  name: Type.String(),
  count: Int(),
  nodes: Int(),
  gpuMemoryBytes: Num(),
  peakFlopsPerSecond: Num('dense peak for the training precision'),
});

export const FlopsSchema = Type.Object({
  perToken: Num('model FLOPs per token: the convention flops.total and MFU use (stable)'),
  total: Num('model FLOPs of the whole run, no recomputation (stable)'),
  convention: Type.String({ description: 'what perToken and total count' }),
  sixNDTotal: Num('6·N_active·D, the classic estimate'),
  attentionPerToken: Num('attention-score FLOPs per token (non-causal), included in perToken'),
  conventions: Type.Object({
    sixND: Num('6·N·D with N all active parameters'),
    sixNDPlusAttention: Num('6·N·D + non-causal attention scores (what MFU uses)'),
    sixNDPlusCausalAttention: Num('6·N·D + attention scores halved for the causal mask'),
    megatronEq3: Num('Narayanan et al. 2021 Eq. 3: with full recomputation'),
  }),
  hardwareTotal: Num('FLOPs the GPUs execute with the chosen recomputation (what HFU uses)'),
  hardwareTotalByRecompute: Type.Object({ none: Num(), selective: Num(), full: Num() }),
});

export const MemoryPerGpuSchema = Type.Object({
  weightsBytes: Num(),
  gradientsBytes: Num(),
  optimizerBytes: Num(),
  activationsBytes: Num('transformer-layer activations of all in-flight micro-batches'),
  logitsBytes: Num('LM-head logits (fp32) and embedding-output buffers on the edge stages'),
  cudaContextBytes: Num('CUDA context and library workspaces'),
  communicationBuffersBytes: Num('NCCL, gradient buckets, ZeRO-3 prefetch buffers'),
  fragmentationBytes: Num('caching-allocator fragmentation'),
  totalBytes: Num(),
});

export const MemorySchema = Type.Object({
  perGpu: MemoryPerGpuSchema,
  gpuMemoryBytes: Num(),
  fits: Type.Boolean(),
  headroomBytes: Num('gpuMemoryBytes − totalBytes (negative when it does not fit)'),
  mostLoadedStage: Int('pipeline stage of the most loaded GPU (0-based)'),
  inFlightMicroBatches: Num('micro-batches of activations that stage holds at peak'),
  activationBytesPerLayerPerMicroBatch: Num(),
});

/** A complete parallel layout (src/domain/core/types.ts ParallelLayout). */
export const LayoutSchema = Type.Object({
  tensor: Int(),
  pipeline: Int(),
  data: Int(),
  context: Int(),
  expert: Int(),
  microBatchSize: Int(),
  zeroStage: Int(),
  recompute: Type.Enum(['none', 'selective', 'full']),
  sequenceParallel: Type.Boolean(),
  schedule: Type.Enum(['1f1b', 'interleaved', 'dualpipe']),
  virtualStages: Int(),
});

export const ParallelismOutSchema = Type.Object({
  ...LayoutSchema.properties,
  gpus: Int(),
  microBatchesPerStep: Int('gradient-accumulation micro-batches per pipeline per step'),
});

export const BreakdownSchema = Type.Object(
  {
    compute: Num(),
    recompute: Num(),
    tensorComm: Num(),
    pipelineBubble: Num(),
    pipelineComm: Num(),
    dataComm: Num('exposed (not overlapped) data-parallel communication'),
    contextComm: Num(),
    expertComm: Num(),
    hostOverhead: Num('the GPU waiting for the host (CPU) to launch kernels and collectives: small per-GPU work, fitted per training framework'),
    optimizer: Num(),
  },
  { description: 'seconds per step by cause' },
);

export const PerformanceSchema = Type.Object({
  stepSeconds: Num(),
  tokensPerSecond: Num(),
  tflopsPerGpu: Num('model FLOP/s per GPU in 1e12'),
  mfu: Num('model FLOPs utilisation 0..1'),
  hfu: Num('hardware FLOPs utilisation 0..1 (counts recomputation)'),
  breakdownSeconds: BreakdownSchema,
  source: Type.Enum(['model', 'override'], { description: 'predicted by the performance model, or from efficiency.mfu' }),
  byAttentionConvention: Type.Optional(Type.Object({
    nonCausal: Type.Object({ tflopsPerGpu: Num(), mfu: Num() }, { description: 'attention scores counted in full (Korthikanti Eq. 7; Megatron, this service\'s mfu)' }),
    causal: Type.Object({ tflopsPerGpu: Num(), mfu: Num() }, { description: 'attention scores halved for the causal mask (torchtitan, PaLM-style reports)' }),
  }, { description: 'the same step time in both attention conventions, side by side, for comparing with published TFLOP/s' })),
  stepSecondsRange: Type.Optional(
    Type.Object(
      {
        low: Num(),
        high: Num(),
        confidence: Num('share of comparable measured runs whose step time fell inside (0.8)'),
        basis: Type.String({ description: 'the calibration runs and the cross-validation the band comes from' }),
      },
      { description: 'the band a measured step time falls in for 80% of comparable calibration runs (same accelerator generation and framework), from cross-validated residuals (npm run calibrate); absent with efficiency.mfu' },
    ),
  ),
});

const RangeSchema = Type.Object({ low: Num(), high: Num(), confidence: Num() });

export const TimeSchema = Type.Object({
  days: Num('wall-clock days, failure loss included (see reliability)'),
  hours: Num(),
  gpuHours: Num(),
  steps: Int(),
  idealDays: Type.Optional(Num('days of useful training, no failures')),
  idealGpuHours: Type.Optional(Num()),
  goodput: Type.Optional(Num('useful time / wall-clock time, 0..1')),
  failureLossDays: Type.Optional(Num('days lost to restarts, redone work and blocking checkpoints')),
  daysRange: Type.Optional({ ...RangeSchema, description: 'days at the ends of performance.stepSecondsRange' }),
});

// --- issue 4: infrastructure, reliability, cost options (in every estimate) ---------------------------

export const InfrastructureSchema = Type.Object({
  gpus: Int(),
  gpusPerNode: Int(),
  nodes: Int(),
  racks: Int(),
  nodesPerRack: Int(),
  gpusPerRack: Int(),
  rackKw: Num('usable IT power per rack'),
  rackKwSource: Type.Enum(['request', 'default', 'rack-scale system']),
  rackPeakKw: Num('what one full rack draws at peak: servers per rack × server peak'),
  cooling: Type.Object({
    kind: Type.Enum(['air', 'air-with-containment', 'direct-liquid', 'liquid-required']),
    advice: Type.String(),
  }, { description: 'cooling for rackPeakKw: air to ~20 kW, air with containment to ~40 kW, direct-to-chip liquid to ~80 kW, liquid only above' }),
  fabric: Type.Object({
    technology: Type.Enum(['infiniband', 'roce']),
    linkGbpsPerGpu: Num('one NIC port per GPU (rail-optimised)'),
    railsPerNode: Int(),
    endpoints: Int('ports the fabric connects (0 when the job fits in one scale-up domain)'),
    switchRadix: Int(),
    planes: Int(),
    tiers: Int('1: one switch; 2: leaf + spine (to k²/2 endpoints); 3: edge + aggregation + core (to k³/4)'),
    leafSwitches: Int(),
    spineSwitches: Int(),
    coreSwitches: Int(),
    totalSwitches: Int(),
    meetsGuideMinimum: Type.Boolean({ description: 'the planning guide\'s ≥ 100 Gb/s per GPU for multi-node training' }),
    note: Type.String(),
  }, { description: 'a non-blocking fat tree (Al-Fares et al. 2008) for the scale-out network' }),
  storageCapacityBytes: Num('checkpoints under the retention policy + the tokenized dataset'),
  power: Type.Object({
    peakWattsPerGpu: Num('GPU TDP × server overhead (DGX system max / GPUs)'),
    nodePeakKw: Num(),
    itPeakKw: Num(),
    itAverageKw: Num(),
    pue: Num(),
    facilityPeakKw: Num('IT peak × PUE: what the facility must provision'),
    facilityAverageKw: Num(),
  }),
  network: Type.Object({
    crossesNodes: Type.Boolean(),
    bytesPerStepPerGpu: Type.Object({ dataParallel: Num(), pipeline: Num(), total: Num() }),
    neededBytesPerSecondPerGpu: Num('scale-out bandwidth that hides the traffic behind the step\'s compute'),
    availableBytesPerSecondPerGpu: Num(),
    neededGbpsPerGpu: Num(),
    availableGbpsPerGpu: Num(),
    utilization: Num('needed / available'),
    sufficient: Type.Boolean(),
  }),
  checkpoint: Type.Object({
    bytes: Num('weights + optimizer states of the whole model'),
    bytesPerParameter: Num(),
    storageWriteBytesPerSecond: Num('aggregate'),
    storageSource: Type.Enum(['request', 'default']),
    writeSeconds: Num(),
    retention: Type.Object({
      keepLatest: Int('rolling checkpoints kept'),
      archiveEveryDays: Num('one checkpoint kept for good per this many days (0: none)'),
      archived: Int(),
      retained: Int('keepLatest + archived'),
    }),
    retainedBytes: Num('bytes × retained'),
  }),
  dataset: Type.Object({
    tokens: Num(),
    bytesPerToken: Num('tokenized: uint16 below 65,500 vocabulary entries, else int32'),
    tokenizedBytes: Num(),
    rawTextBytesPerToken: Num(),
    rawTextBytes: Num(),
  }),
});

export const ReliabilitySchema = Type.Object({
  failuresPerGpuDay: Num(),
  jobMtbfHours: Num('mean time between job interruptions (0 when no failures are expected)'),
  expectedInterruptions: Num(),
  asyncCheckpoint: Type.Boolean(),
  checkpointBlockingSeconds: Num('seconds training stops per checkpoint'),
  checkpointWriteSeconds: Num('seconds until a checkpoint is durable on storage'),
  checkpointIntervalMinutes: Num(),
  checkpointIntervalRule: Type.Enum(['daly', 'young', 'storage-bound', 'request']),
  checkpoints: Int(),
  restartMinutes: Num(),
  lostMinutesPerInterruption: Num('restart + redone work, expected'),
  goodput: Num('useful time / wall-clock time, 0..1'),
  idealDays: Num(),
  wallDays: Num(),
  lostDays: Num(),
});

export const RentalOptionSchema = Type.Object({
  kind: Type.Enum(['request', 'onDemand', 'reserved', 'spot']),
  gpuHourUsd: Num(),
  totalUsd: Num(),
  breakEvenDays: Num('days of continuous use after which buying costs less than this rental (0 when unknown or never)'),
  breakEvenKnown: Type.Boolean(),
  runsToBreakEven: Num('break-even days / this run\'s days'),
});

export const CostOptionsSchema = Type.Object({
  rental: Type.Array(RentalOptionSchema),
  purchase: Type.Object({
    priceKnown: Type.Boolean(),
    purchaseUsdPerGpu: UsdOrNull(),
    capitalUsd: UsdOrNull(),
    depreciationUsd: UsdOrNull(),
    energyUsd: Num(),
    depreciatedTotalUsd: UsdOrNull('depreciation + energy: the run\'s share when the hardware is kept'),
    cashOutlayUsd: UsdOrNull('capital + energy: the cash a purchase needs'),
    depreciationYears: Num(),
  }),
  cheapest: Type.Optional(Type.Object({ kind: Type.Enum(['request', 'onDemand', 'reserved', 'spot', 'purchase']), totalUsd: Num() }, { description: 'the cheapest way to pay for this run (absent when no price is known)' })),
});

export const CostSchema = Type.Object({
  cloud: Type.Object({
    totalUsd: UsdOrNull('GPU-hours × gpuHourUsd'),
    gpuHourUsd: UsdOrNull(),
    gpuHours: Num(),
    priceKnown: Type.Boolean({ description: 'false when neither the catalog nor the request has a price (totalUsd and gpuHourUsd are null)' }),
    priceSource: Type.String(),
    totalUsdRange: Type.Optional({ ...RangeSchema, description: 'totalUsd at the ends of performance.stepSecondsRange' }),
  }),
  onPrem: Type.Object({
    basis: Type.Literal('depreciation-plus-energy', { description: 'what on-premises cost means on every endpoint: straight-line depreciation of the purchase price for the days used, plus facility energy; staff, fabric, storage, building and financing not included (capitalUsd is the purchase itself)' }),
    totalUsd: UsdOrNull('depreciation for the days used + energy'),
    capitalUsd: UsdOrNull('purchase price of the GPUs'),
    depreciationUsd: UsdOrNull(),
    energyUsd: Num(),
    purchaseUsdPerGpu: UsdOrNull(),
    depreciationYears: Num(),
    priceKnown: Type.Boolean(),
  }),
  energy: Type.Object({
    kwh: Num('facility energy (IT × PUE)'),
    itKwh: Num(),
    facilityPowerKw: Num(),
    pue: Num(),
    co2Kg: Num(),
    carbonKgPerKwh: Num(),
    electricityUsdPerKwh: Num(),
  }),
});

export const SizingSchema = Type.Object({
  minGpusByMemory: Int('fewest GPUs on which some valid layout fits memory'),
  naiveGpusByMemory: Int("the planning guide's method: model-state bytes / GPU memory, +20%"),
  gpusForDeadline: Type.Optional(Int()),
  recommendedGpus: Int(),
  nodes: Int(),
  marginFraction: Num(),
  reasoning: Type.Array(Type.String()),
});

export const SearchSummarySchema = Type.Object({
  searched: Int('layouts considered, pruned ones included'),
  evaluated: Int('layouts run through the time model'),
  complete: Type.Boolean({ description: 'false when the search budget (search.maxEvaluations, or search.timeBudgetMs) ran out first' }),
  workUnits: Int('memory- and time-model calls made: what search.maxEvaluations bounds; the same request always makes the same number'),
  stoppedBy: Type.Optional(Type.Enum(['work-budget', 'time-budget'], { description: 'what stopped an incomplete search' })),
  elapsedMs: Num(),
  runnerUpReason: Type.Optional(Type.String()),
  infeasibleReason: Type.Optional(Type.String()),
  pruned: Type.Object({ divisibility: Int(), memory: Int(), dominated: Int() }),
});

export const EstimateSchema = Type.Object(
  {
    model: ModelOutSchema,
    training: TrainingOutSchema,
    hardware: HardwareOutSchema,
    flops: FlopsSchema,
    memory: MemorySchema,
    parallelism: ParallelismOutSchema,
    performance: PerformanceSchema,
    time: TimeSchema,
    cost: CostSchema,
    sizing: SizingSchema,
    search: Type.Optional(SearchSummarySchema),
    infrastructure: Type.Optional(InfrastructureSchema),
    reliability: Type.Optional(ReliabilitySchema),
    costOptions: Type.Optional(CostOptionsSchema),
    warnings: Type.Array(Type.String()),
    assumptions: Type.Array(AssumptionSchema),
  },
  { $id: 'Estimate' },
);

const WithNotes = { warnings: Type.Array(Type.String()), assumptions: Type.Array(AssumptionSchema) };

/** The whole model before it is split over GPUs (POST /v1/memory, with or without hardware). */
export const WholeModelMemorySchema = Type.Object({
  weightsBytes: Num('weights in the training precision'),
  gradientsBytes: Num(),
  optimizerBytes: Num('optimizer states (and the fp32 master copy in mixed precision)'),
  activationsBytes: Num('one micro-batch of every layer\'s saved activations, with the loss\'s logits'),
  totalBytes: Num('weights + gradients + optimizer + activations: what training takes before any split (no per-GPU overheads)'),
  microBatchSize: Int('sequences of activations counted (parallelism.microBatchSize, else 1)'),
  recompute: Type.Enum(['none', 'selective', 'full']),
});

export const MemoryByPrecisionSchema = Type.Object({
  precision: Type.Enum(['fp32', 'fp16', 'bf16', 'fp8']),
  weightsBytes: Num('the weights alone stored in this format (checkpoint or inference copy): parameters × 4, 2 or 1 bytes'),
  totalBytes: Num('training in this precision\'s recipe: weights, gradients, optimizer states and one micro-batch of activations'),
});

export const MemoryResponseSchema = Type.Object({
  total: WholeModelMemorySchema,
  byPrecision: Type.Array(MemoryByPrecisionSchema),
  perGpu: Type.Optional(MemorySchema.properties.perGpu),
  gpuMemoryBytes: Type.Optional(MemorySchema.properties.gpuMemoryBytes),
  fits: Type.Optional(MemorySchema.properties.fits),
  headroomBytes: Type.Optional(MemorySchema.properties.headroomBytes),
  mostLoadedStage: Type.Optional(MemorySchema.properties.mostLoadedStage),
  inFlightMicroBatches: Type.Optional(MemorySchema.properties.inFlightMicroBatches),
  activationBytesPerLayerPerMicroBatch: Type.Optional(MemorySchema.properties.activationBytesPerLayerPerMicroBatch),
  parallelism: Type.Optional(ParallelismOutSchema),
  model: ModelOutSchema,
  ...WithNotes,
}, { description: 'total and byPrecision always; perGpu, fits, parallelism and the rest of the per-GPU breakdown when the request names hardware' });
export const FlopsResponseSchema = Type.Object({ ...FlopsSchema.properties, model: ModelOutSchema, ...WithNotes });
export const CostResponseSchema = Type.Object({ ...CostSchema.properties, time: TimeSchema, hardware: HardwareOutSchema, ...WithNotes });
export const SizingResponseSchema = Type.Object({ ...SizingSchema.properties, ...WithNotes });

export const CandidateSchema = Type.Object({
  rank: Int(),
  parallelism: ParallelismOutSchema,
  memory: MemorySchema,
  performance: PerformanceSchema,
  days: Num(),
  costPerMillionTokensUsd: Type.Optional(Num()),
});

export const ParallelismResponseSchema = Type.Object({
  candidates: Type.Array(CandidateSchema),
  searched: Int(),
  evaluated: Int(),
  complete: Type.Boolean(),
  workUnits: Int('memory- and time-model calls made (bounded by search.maxEvaluations)'),
  stoppedBy: Type.Optional(Type.Enum(['work-budget', 'time-budget'])),
  elapsedMs: Num(),
  objective: Type.Enum(['time', 'cost']),
  gpus: Int(),
  runnerUpReason: Type.Optional(Type.String()),
  infeasibleReason: Type.Optional(Type.String()),
  pruned: Type.Object({ divisibility: Int(), memory: Int(), dominated: Int() }),
  ...WithNotes,
});

export type Estimate = Static<typeof EstimateSchema>;
export type ParallelismResponse = Static<typeof ParallelismResponseSchema>;
