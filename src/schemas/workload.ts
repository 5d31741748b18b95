import { Type, type Static } from 'typebox';
import { LIMITS } from '../domain/core/index.js';
import type { WorkloadInput as DomainWorkloadInput } from '../domain/planning/index.js';

// The workload: request body of every POST in the v1 contract (docs/API.md).
// Bounds keep every valid request finite and fast; they are generous for 2026-scale training.

/** SI-suffixed count: "175B", "2T", "300e9", "16M" (K=1e3, M=1e6, B|G=1e9, T=1e12, P=1e15). */
export const COUNT_STRING_PATTERN = '^\\s*[0-9]+(\\.[0-9]+)?([eE][+]?[0-9]{1,2})?\\s*([kKmMbBgGtTpP])?\\s*$';

export function Count(description: string, maximum: number, minimum?: number) {
  return Type.Union(
    [
      Type.Number(minimum !== undefined ? { minimum, maximum } : { exclusiveMinimum: 0, maximum }),
      Type.String({ pattern: COUNT_STRING_PATTERN, maxLength: 32, description: 'SI-suffixed count, e.g. "175B", "15.6T", "16M", "300e9"' }),
    ],
    { description: `${description} (a number, or a string with an SI suffix K/M/B/G/T/P; at most ${maximum.toExponential(0)})` },
  );
}


const Int = (minimum: number, maximum: number, description: string) => Type.Integer({ minimum, maximum, description });

export const MoeSchema = Type.Object(
  {
    experts: Int(1, LIMITS.experts, 'routed experts per MoE layer'),
    activeExperts: Int(1, LIMITS.experts, 'routed experts per token (top-k)'),
    expertFfnHiddenSize: Int(1, LIMITS.hiddenSize * 8, 'FFN hidden size of one expert'),
    sharedExperts: Type.Optional(Int(0, 64, 'experts every token visits (default 0)')),
    denseLayers: Type.Optional(Int(0, LIMITS.layers, 'leading layers with a dense MLP (default 0)')),
  },
  { additionalProperties: false },
);

export const MlaSchema = Type.Object(
  {
    qLoraRank: Type.Optional(Int(0, LIMITS.hiddenSize, 'rank of the query down-projection; 0 = queries straight from h (default 0)')),
    kvLoraRank: Int(1, LIMITS.hiddenSize, 'rank of the joint key/value down-projection (the latent)'),
    qkNopeHeadDim: Int(0, 4096, 'per-head query/key dimension without rotary embedding'),
    qkRopeHeadDim: Int(0, 4096, 'per-head query/key dimension with the decoupled rotary embedding'),
    vHeadDim: Int(1, 4096, 'per-head value dimension'),
  },
  { additionalProperties: false, description: 'multi-head latent attention (DeepSeek-V2/V3, arXiv 2405.04434 Sec. 2.1): replaces kvHeads/headDim for parameters, FLOPs, memory and time' },
);

export const ArchitectureSchema = Type.Object(
  {
    layers: Int(1, LIMITS.layers, 'transformer layers L'),
    hiddenSize: Int(1, LIMITS.hiddenSize, 'hidden size h'),
    attentionHeads: Int(1, LIMITS.heads, 'attention heads a'),
    kvHeads: Type.Optional(Int(1, LIMITS.heads, 'key/value heads (GQA); default = attentionHeads')),
    headDim: Type.Optional(Int(1, 4096, 'per-head dimension; default hiddenSize / attentionHeads')),
    ffnHiddenSize: Type.Optional(Int(1, LIMITS.hiddenSize * 8, 'MLP hidden size; default 4h (plain) or 8h/3 rounded (gated)')),
    vocabSize: Type.Optional(Int(1, LIMITS.vocab, 'vocabulary size V; default 128256')),
    gatedMlp: Type.Optional(Type.Boolean({ description: 'SwiGLU-style gated MLP (3 matrices); default true' })),
    tiedEmbeddings: Type.Optional(Type.Boolean({ description: 'input embedding shared with the LM head; default false' })),
    moe: Type.Optional(MoeSchema),
    mla: Type.Optional(MlaSchema),
  },
  { additionalProperties: false },
);

export const ModelInputSchema = Type.Object(
  {
    preset: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'an id from GET /v1/models' })),
    parameters: Type.Optional(Count('dense model size; the shape is inferred and listed in assumptions', LIMITS.parameters)),
    architecture: Type.Optional(ArchitectureSchema),
  },
  { additionalProperties: false, description: 'exactly one of preset | parameters | architecture' },
);

export const TrainingInputSchema = Type.Object(
  {
    tokens: Type.Optional(Count('training tokens D; default 20 tokens per parameter (Chinchilla)', LIMITS.tokens)),
    sequenceLength: Type.Optional(Int(1, LIMITS.sequenceLength, "sequence length s; default the preset's, else 4096")),
    globalBatchTokens: Type.Optional(Count('global batch in tokens (rounded to whole sequences)', LIMITS.globalBatchTokens)),
    globalBatchSize: Type.Optional(Int(1, LIMITS.globalBatchSize, 'global batch in sequences (alternative to globalBatchTokens)')),
    precision: Type.Optional(Type.Enum(['fp32', 'fp16', 'bf16', 'fp8'], { description: 'default bf16' })),
    optimizer: Type.Optional(Type.Enum(['adamw', 'sgd'], { description: 'default adamw' })),
    framework: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'the training stack, an id from GET /v1/frameworks (default megatron-core): its defaults (attention kernel, fused kernels, dropout, gradient precision, recompute policy, loss kernel) and its layout rules apply; each default is listed in assumptions' })),
    dropout: Type.Optional(Type.Number({ minimum: 0, maximum: 0.9, description: "dropout probability on attention probabilities and residual branches (0 = off); default the framework's (Megatron-LM 2021-22: 0.1)" })),
    fp32Gradients: Type.Optional(Type.Boolean({ description: "gradients in fp32 main-gradient buffers (Megatron: 18 bytes per parameter with Adam instead of ZeRO's 16); default the framework's" })),
  },
  { additionalProperties: false },
);

export const HardwareInputSchema = Type.Object(
  {
    gpu: Type.String({ minLength: 1, maxLength: 100, description: 'an id from GET /v1/hardware' }),
    count: Type.Optional(Int(1, LIMITS.gpus, 'GPUs; when left out the service sizes it')),
  },
  { additionalProperties: false },
);

export const ParallelismInputSchema = Type.Object(
  {
    tensor: Type.Optional(Int(1, 1024, 'tensor-parallel degree t')),
    pipeline: Type.Optional(Int(1, LIMITS.layers, 'pipeline-parallel degree p')),
    data: Type.Optional(Int(1, LIMITS.parallelDegree, 'data-parallel degree d')),
    context: Type.Optional(Int(1, 1024, 'context-parallel degree c')),
    expert: Type.Optional(Int(1, LIMITS.experts, 'expert-parallel degree e')),
    microBatchSize: Type.Optional(Int(1, LIMITS.microBatchSize, 'micro-batch size b in sequences')),
    zeroStage: Type.Optional(Type.Enum([0, 1, 2, 3], { description: 'ZeRO / FSDP sharding stage over data parallel' })),
    recompute: Type.Optional(Type.Enum(['none', 'selective', 'full'])),
    sequenceParallel: Type.Optional(Type.Boolean()),
    schedule: Type.Optional(Type.Enum(['1f1b', 'interleaved', 'dualpipe'], { description: '1f1b, interleaved (virtualStages ≥ 2), or dualpipe (DeepSeek-V3: bidirectional, two copies of the parameters; pipeline even, micro-batches even and ≥ 2 × pipeline); the search proposes dualpipe only when it is given' })),
    virtualStages: Type.Optional(Int(1, LIMITS.virtualStages, 'virtual pipeline stages per GPU (interleaved schedule)')),
    stageSplit: Type.Optional(Type.Enum(['even', 'edges-as-layers'], { description: "how layers split over pipeline stages: even (extra layers on the earliest stages), or edges-as-layers (the embedding and the LM head count as one layer each, as Llama 3 and torchtitan split); default the framework's" })),
  },
  { additionalProperties: false, description: 'every field optional; what is left out is searched' },
);

const Fraction = (description: string) => Type.Optional(Type.Number({ minimum: 0, maximum: 1, description }));

export const EfficiencyInputSchema = Type.Object(
  {
    // bounded below so that no valid request divides by a denormal (a 5e-324 MFU made days Infinity: issue 5 fuzz)
    mfu: Type.Optional(Type.Number({ minimum: 0.001, maximum: 1, description: "model FLOPs utilisation 0.001..1; overrides the performance model's prediction" })),
    tensorCommOverlap: Fraction('share of tensor-parallel communication hidden behind GEMMs (TransformerEngine --tp-comm-overlap); default per generation (Hopper 0.7, Ampere 0)'),
    dataCommOverlap: Fraction('share of data-parallel gradient reduce / parameter gather hidden behind backward / forward; default per generation'),
    pipelineCommOverlap: Fraction('share of pipeline send/recv hidden behind compute; default per generation'),
    contextCommOverlap: Fraction('share of context-parallel K/V exchange hidden behind attention; default per generation'),
    expertCommOverlap: Fraction('share of expert-parallel all-to-all hidden behind compute; default per generation'),
    flashAttention: Type.Optional(Type.Boolean({ description: "fused FlashAttention / SDPA flash: no s² score matrices in memory, one attention kernel in time; default the framework's" })),
    fusedKernels: Type.Optional(Type.Boolean({ description: "fused norm / activation / dropout-add kernels; false = eager PyTorch modules; default the framework's" })),
    selectiveRecompute: Type.Optional(Type.Enum(['attention-core', 'save-matmuls'], { description: "what recompute 'selective' keeps: attention-core (Korthikanti 2022, Megatron) or save-matmuls (torchtitan op-level SAC); default the framework's" })),
    crossEntropy: Type.Optional(Type.Enum(['fp32-logits', 'fused', 'unfused'], { description: "loss kernel: fp32-logits (Megatron vocab-parallel, 4 bytes per logit), fused (2), unfused (F.cross_entropy on fp32 logits, 12); default the framework's" })),
  },
  { additionalProperties: false, description: 'what is known about the training stack; each left-out field takes the per-generation default of src/domain/performance/calibration.ts' },
);

export const CostInputSchema = Type.Object(
  {
    gpuHourUsd: Type.Optional(Type.Number({ minimum: 0, maximum: 10_000, description: 'cloud price per GPU-hour; default the catalog' })),
    purchaseUsdPerGpu: Type.Optional(Type.Number({ minimum: 0, maximum: 10_000_000, description: 'purchase price per GPU incl. its share of the server; default the catalog' })),
    electricityUsdPerKwh: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
    pue: Type.Optional(Type.Number({ minimum: 1, maximum: 5, description: 'power usage effectiveness' })),
    depreciationYears: Type.Optional(Type.Number({ minimum: 0.1, maximum: 50 })),
    utilization: Type.Optional(Type.Number({ minimum: 0.01, maximum: 1, description: 'average power draw as a fraction of TDP' })),
    carbonKgPerKwh: Type.Optional(Type.Number({ minimum: 0, maximum: 5, description: 'grid carbon intensity' })),
    serverOverheadFactor: Type.Optional(Type.Number({ minimum: 1, maximum: 5, description: 'server power per GPU (CPUs, memory, NICs, fans) / GPU TDP; default the generation\'s reference server' })),
  },
  { additionalProperties: false },
);

export const ConstraintsInputSchema = Type.Object(
  {
    deadlineDays: Type.Optional(Type.Number({ minimum: 0.01, maximum: 36_500, description: 'at least 0.01 days (~15 minutes)' })),
    budgetUsd: Type.Optional(Type.Number({ minimum: 1, maximum: 1e13 })),
  },
  { additionalProperties: false },
);

export const SearchInputSchema = Type.Object(
  {
    objective: Type.Optional(Type.Enum(['time', 'cost'], { description: 'rank layouts by step time (default) or cloud cost per token' })),
    topK: Type.Optional(Int(1, 100, 'candidates returned (default 10)')),
    maxEvaluations: Type.Optional(Int(1_000, 1_000_000_000, 'work budget of the layout search in memory- and time-model calls (default 8,000,000, SEARCH_MAX_EVALUATIONS): the same request always gets the same answer; when spent, the best so far is returned with complete:false')),
    timeBudgetMs: Type.Optional(Int(1, 60_000, 'optional wall-clock cut on top of maxEvaluations; with it, answers depend on the speed and load of the machine')),
    allowTensorBeyondScaleUp: Type.Optional(Type.Boolean({ description: 'allow tensor parallelism across the scale-out network (default false)' })),
  },
  { additionalProperties: false },
);

/** Issue 4: infrastructure around the run (racks, checkpoint storage, dataset). */
export const InfrastructureInputSchema = Type.Object(
  {
    rackKw: Type.Optional(Type.Number({ minimum: 1, maximum: 2000, description: 'usable IT power per rack, kW; default 40 (air-cooled ceiling), or one NVL72 domain per rack' })),
    storageWriteGBps: Type.Optional(Type.Number({ minimum: 0.01, maximum: 1_000_000, description: 'aggregate checkpoint write bandwidth, GB/s; default ~0.43 GB/s per GPU (Llama 3 storage)' })),
    rawTextBytesPerToken: Type.Optional(Type.Number({ minimum: 0.5, maximum: 64, description: 'raw text bytes per token for the dataset size; default 4' })),
    checkpointKeepLatest: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description: 'rolling checkpoints kept on storage; default 10 (torchtitan keep_latest_k)' })),
    checkpointArchiveEveryDays: Type.Optional(Type.Number({ minimum: 0.01, maximum: 36_500, description: 'also keep one checkpoint per this many days of training for good (at least 0.01 days); default none' })),
    fabric: Type.Optional(Type.Enum(['infiniband', 'roce'], { description: 'scale-out fabric; default InfiniBand for NVIDIA, RoCE Ethernet otherwise' })),
    switchRadix: Type.Optional(Type.Integer({ minimum: 4, maximum: 1024, description: 'ports per scale-out switch; default 64' })),
    scaleOutGbpsPerGpu: Type.Optional(Type.Number({ minimum: 1, maximum: 100_000, description: 'scale-out (backend RDMA) bandwidth per GPU, Gb/s, in place of the catalog\'s: the step-time model and the network check use it' })),
  },
  { additionalProperties: false },
);

/** Issue 4: failures, checkpoints and restarts (the goodput loss is included in days and cost). */
export const ReliabilityInputSchema = Type.Object(
  {
    failuresPerGpuDay: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'unexpected job interruptions per GPU-day; default 4.74e-4 (Llama 3: 419 in 54 days on 16,384 H100); 0 ignores failures' })),
    restartMinutes: Type.Optional(Type.Number({ minimum: 0, maximum: 10_080, description: 'minutes from a failure until training resumes, checkpoint load included; default 10' })),
    checkpointWriteSeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 86_400, description: 'seconds training is blocked per checkpoint; default the host copy (async) or the storage write (sync)' })),
    checkpointIntervalMinutes: Type.Optional(Type.Number({ minimum: 1, maximum: 525_600, description: 'fixed checkpoint interval; default the Young/Daly optimum' })),
    asyncCheckpoint: Type.Optional(Type.Boolean({ description: 'snapshot to host memory and write in the background (default true)' })),
  },
  { additionalProperties: false },
);

/** Every part of a workload but the hardware, which the procurement routes take in their own form. */
export const WorkloadParts = {
  model: ModelInputSchema,
  training: Type.Optional(TrainingInputSchema),
  parallelism: Type.Optional(ParallelismInputSchema),
  efficiency: Type.Optional(EfficiencyInputSchema),
  cost: Type.Optional(CostInputSchema),
  constraints: Type.Optional(ConstraintsInputSchema),
  search: Type.Optional(SearchInputSchema),
  infrastructure: Type.Optional(InfrastructureInputSchema),
  reliability: Type.Optional(ReliabilityInputSchema),
};

export const WorkloadSchema = Type.Object({ ...WorkloadParts, hardware: HardwareInputSchema }, { additionalProperties: false, $id: 'Workload' });

export type WorkloadInput = Static<typeof WorkloadSchema>;

/** POST /v1/flops: the workload with hardware optional (training FLOPs need no accelerator). */
/** POST /v1/cost: a training run (model + hardware), or GPUs for a time (hardware.count + usage.days, no model). */
export const CostRequestSchema = Type.Object(
  {
    ...WorkloadParts,
    model: Type.Optional(ModelInputSchema),
    hardware: HardwareInputSchema,
    usage: Type.Optional(Type.Object(
      { days: Type.Number({ minimum: 0.001, maximum: 36_500, description: 'days the GPUs are held (rented or running)' }) },
      { additionalProperties: false, description: 'price hardware.count GPUs for these days, whatever they train ("128 A100 for 30 days"); give it instead of model' },
    )),
  },
  { additionalProperties: false, $id: 'CostRequest' },
);

/** POST /v1/memory: the workload with hardware optional (without it, the whole-model memory alone). */
export const MemoryRequestSchema = Type.Object({ ...WorkloadParts, hardware: Type.Optional(HardwareInputSchema) }, { additionalProperties: false, $id: 'MemoryRequest' });

export const FlopsRequestSchema = Type.Object({ ...WorkloadParts, hardware: Type.Optional(HardwareInputSchema) }, { additionalProperties: false, $id: 'FlopsRequest' });

// The domain describes the same body in its own terms (src/domain/planning/workload-input.ts); this
// fails to compile when the schema and that type disagree in either direction.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaMatchesDomainInput: Same<WorkloadInput, DomainWorkloadInput> = true;
void schemaMatchesDomainInput;
