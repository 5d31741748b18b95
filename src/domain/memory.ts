// Per-GPU memory of the most loaded GPU of a parallel layout: model states (by precision,
// optimizer, ZeRO stage and model-parallel sharding), activations (per-operation sum, pipeline
// in-flight micro-batches), logits and edge-stage buffers, and the named overheads.
import type {
  Accelerator, MemoryBreakdown, MemoryEstimate, ModelShape, ParallelLayout, ParameterCounts, TrainingSetup,
} from './types.js';
import {
  DEFAULT_MEMORY_OPTIONS, activationElementBytes, layerActivationBytes, layerActivationContext,
  type MemoryOptions,
} from './memory-activations.js';
import { modelStateBytesPerParameter } from './memory-states.js';

export {
  ACTIVATION_TENSORS, DEFAULT_MEMORY_OPTIONS, OP_SAC_TENSORS, activationBytesPerLayer, activationBytesPerLayerByKind,
  activationTensorBreakdown,
} from './memory-activations.js';
export type { ActivationTensorRow, MemoryOptions, SavedTensor } from './memory-activations.js';
export { modelStateBytes, modelStateBytesPerParameter, zeroDivisors } from './memory-states.js';
export type { ModelStateBytes, StateBytesPerParameter } from './memory-states.js';

const MiB = 2 ** 20;

/**
 * CUDA context of a PyTorch process: ≈ 0.5 GiB with lazy module loading (CUDA C Programming Guide
 * "Lazy Loading": CUDA_MODULE_LOADING=LAZY, introduced in CUDA 11.7, default since 12.2; PyTorch ≥ 2.0 sets it).
 */
export const CUDA_CONTEXT_BYTES = 512 * MiB;
/**
 * cuBLAS/cuBLASLt, cuDNN and Transformer Engine workspaces: PyTorch's default cuBLAS workspace is
 * 4096 KiB × 8 = 32 MiB per handle/stream (CUBLAS_WORKSPACE_CONFIG ":4096:8", PyTorch "CUDA
 * semantics"); a few streams plus cuDNN/TE attention workspaces: 256 MiB.
 */
export const CUDA_WORKSPACE_BYTES = 256 * MiB;
/**
 * NCCL buffers per communicator actually used: NCCL_BUFFSIZE defaults to 4 MiB per channel and
 * peer (NCCL environment-variable docs); ~32 channels × send+recv ≈ 256 MiB. Allocated by NCCL
 * outside PyTorch's caching allocator.
 */
export const NCCL_BYTES_PER_COMMUNICATOR = 256 * MiB;
/** PyTorch DDP gradient buckets: bucket_cap_mb = 25 (DDP docs), two buckets in flight. */
export const GRADIENT_BUCKET_BYTES = 2 * 25 * MiB;

/** Number of NCCL communicators with more than one rank in a layout (tensor, pipeline, data×context, context, expert). */
export function ncclCommunicatorCount(layout: ParallelLayout, moe: boolean): number {
  const t = Math.max(1, layout.tensor), p = Math.max(1, layout.pipeline);
  const d = Math.max(1, layout.data), c = Math.max(1, layout.context), e = Math.max(1, layout.expert);
  return (t > 1 ? 1 : 0) + (p > 1 ? 1 : 0) + (d * c > 1 ? 1 : 0) + (c > 1 ? 1 : 0) + (moe && e > 1 ? 1 : 0);
}

/** Micro-batches per optimizer step per pipeline: m = globalBatch / (d·b). */
export function microBatchesPerStep(training: TrainingSetup, layout: ParallelLayout): number {
  const d = Math.max(1, layout.data), b = Math.max(1, layout.microBatchSize);
  return Math.max(1, Math.floor(training.globalBatchSequences / (d * b)));
}

/**
 * Micro-batches whose activations pipeline stage i (0-based) holds at its peak, in units of
 * "all of this stage's layers for one micro-batch".
 * 1F1B (Narayanan 2021 Sec. 2.2; Korthikanti Eq. 5): min(p − i, m).
 * Interleaved with v chunks per GPU (Megatron schedules.py: warm-up 2(p−i−1) + (v−1)p chunk
 * forwards, +1 in steady state, capped at m·v): chunk-micro-batches / v. For i = 0 this is
 * p·(1 + (p−1)/(p·v)), Korthikanti Sec. 4.2.3's interleaving factor.
 */
export function inFlightMicroBatches(stage: number, p: number, m: number, v: number): number {
  if (p <= 1) return 1;
  if (v <= 1) return Math.max(1, Math.min(p - stage, m));
  const chunks = Math.min(2 * (p - stage - 1) + (v - 1) * p + 1, m * v);
  return Math.max(1, chunks) / v;
}

/** First layer of chunk j of C chunks: chunks as even as possible, the extra layers on the earliest chunks. */
function chunkStart(j: number, L: number, C: number): number {
  const base = Math.floor(L / C), rem = L % C;
  return j * base + Math.min(j, rem);
}

/** Everything estimateMemory precomputes once per call; the stage loop only reads scalars. */
interface Plan {
  p: number; v: number; m: number; L: number; denseLayers: number;
  /** activation bytes of one dense / MoE layer for one micro-batch, and the recompute working set */
  actDense: number; actMoe: number; wsDense: number; wsMoe: number;
  /** model-state bytes per parameter after ZeRO, non-expert (ne*) and expert (ex*) */
  neW: number; neG: number; neO: number; exW: number; exG: number; exO: number;
  /** parameters per GPU of one dense layer, one MoE layer (non-expert / expert), the embedding and the LM head */
  neDenseParams: number; neMoeParams: number; exMoeParams: number; embeddingParams: number; headParams: number;
  stageOutputBytes: number; embeddingMaskBytes: number; lastStageLossBytes: number;
  commBaseBytes: number; ncclBytes: number; zero3UnitFactor: number;
  fragmentation: number; cudaBytes: number;
}

function emptyPlan(): Plan {
  return {
    p: 1, v: 1, m: 1, L: 1, denseLayers: 0, actDense: 0, actMoe: 0, wsDense: 0, wsMoe: 0,
    neW: 0, neG: 0, neO: 0, exW: 0, exG: 0, exO: 0,
    neDenseParams: 0, neMoeParams: 0, exMoeParams: 0, embeddingParams: 0, headParams: 0,
    stageOutputBytes: 0, embeddingMaskBytes: 0, lastStageLossBytes: 0,
    commBaseBytes: 0, ncclBytes: 0, zero3UnitFactor: 0, fragmentation: 0, cudaBytes: 0,
  };
}

// Module-level scratch: estimateMemory runs inside the layout search, so it allocates only its result.
const PLAN = emptyPlan();
const CTX = layerActivationContext(
  { tokens: 0, sequenceLength: 1, globalBatchSequences: 1, precision: 'bf16', optimizer: 'adamw' },
  { tensor: 1, pipeline: 1, data: 1, context: 1, expert: 1, microBatchSize: 1, zeroStage: 0, recompute: 'none',
    sequenceParallel: false, schedule: '1f1b', virtualStages: 1 },
);

function buildPlan(
  shape: ModelShape, counts: ParameterCounts, training: TrainingSetup, layout: ParallelLayout,
  options: MemoryOptions | undefined, out: Plan,
): Plan {
  const t = Math.max(1, layout.tensor), p = Math.max(1, layout.pipeline);
  const d = Math.max(1, layout.data), c = Math.max(1, layout.context), e = Math.max(1, layout.expert);
  const v = layout.schedule === 'interleaved' ? Math.max(1, layout.virtualStages) : 1;
  const L = Math.max(1, shape.layers);
  const moe = shape.moe !== undefined && shape.moe.experts > 0;
  const denseLayers = moe ? Math.min(L, Math.max(0, shape.moe?.denseLayers ?? 0)) : L;
  const spDiv = layout.sequenceParallel ? t : 1;
  const s = training.sequenceLength, b = Math.max(1, layout.microBatchSize);
  const n = (s / c) * b; // tokens of one micro-batch on one GPU (context parallelism splits the sequence)
  const h = shape.hiddenSize;
  const actB = activationElementBytes(training.precision);
  out.p = p; out.v = v; out.L = L; out.denseLayers = denseLayers;
  out.m = microBatchesPerStep(training, layout);

  // activations: per-operation sums (memory-activations.ts)
  const ctx = layerActivationContext(training, layout, options, CTX);
  const policy = options?.selectivePolicy ?? DEFAULT_MEMORY_OPTIONS.selectivePolicy;
  out.actDense = denseLayers > 0 ? layerActivationBytes(shape, ctx, layout.recompute, false, policy) : 0;
  out.actMoe = denseLayers < L ? layerActivationBytes(shape, ctx, layout.recompute, true, policy) : 0;
  // recompute working set: during one layer's backward its dropped tensors are rematerialised
  // (Chen et al. 2016, "Training Deep Nets with Sublinear Memory Cost", Sec. 4: peak = kept + one segment)
  const recomputing = layout.recompute !== 'none';
  out.wsDense = recomputing && denseLayers > 0 ? layerActivationBytes(shape, ctx, 'none', false) - out.actDense : 0;
  out.wsMoe = recomputing && denseLayers < L ? layerActivationBytes(shape, ctx, 'none', true) - out.actMoe : 0;

  // model states per parameter, ZeRO over each parameter's own data-parallel group (ZeRO Sec. 5)
  const per = modelStateBytesPerParameter(training.precision, training.optimizer);
  const gradB = options?.fp32Gradients ?? DEFAULT_MEMORY_OPTIONS.fp32Gradients ? 4 : per.gradients;
  const z = layout.zeroStage;
  // non-expert parameters: replicated over data × context (Megatron-Core shards the distributed optimizer over dp·cp)
  const nd = d * c;
  // expert parameters: expert-data-parallel group d·c/e (Megatron-Core, expert-tensor-parallel = t)
  const ndE = Math.max(1, nd / e);
  out.neW = per.weights / (z >= 3 ? nd : 1); out.neG = gradB / (z >= 2 ? nd : 1); out.neO = per.optimizer / (z >= 1 ? nd : 1);
  out.exW = per.weights / (z >= 3 ? ndE : 1); out.exG = gradB / (z >= 2 ? ndE : 1); out.exO = per.optimizer / (z >= 1 ? ndE : 1);
  const norm = counts.normParametersPerLayer;
  // Narayanan 2021 Sec. 2.3 / Shoeybi 2019: a layer's matrices are split t ways; norms are replicated on every tensor rank
  out.neDenseParams = (counts.attentionParametersPerLayer + counts.denseMlpParametersPerLayer) / t + norm;
  out.neMoeParams = (counts.attentionParametersPerLayer + counts.nonExpertMoeParametersPerMoeLayer) / t + norm;
  // routed-expert weights split over expert × tensor ranks (Megatron-Core MoE, expert-tensor-parallel = t)
  out.exMoeParams = counts.expertParametersPerMoeLayer / (e * t);
  // embeddings V·h/t on the first stage; LM head V·h/t and the final norm h on the last. Tied with
  // p > 1: the last stage holds its own copy, kept in sync by an all-reduce (Shoeybi 2019 Sec. 3; Megatron "embedding group")
  out.embeddingParams = counts.embeddingParameters / t;
  out.headParams = (counts.lmHeadParameters > 0
    ? counts.lmHeadParameters / t
    : shape.tiedEmbeddings && p > 1 ? counts.embeddingParameters / t : 0) + h;

  // edge-stage buffers
  const dealloc = options?.deallocatePipelineOutputs ?? DEFAULT_MEMORY_OPTIONS.deallocatePipelineOutputs;
  const dropout = options?.dropout ?? DEFAULT_MEMORY_OPTIONS.dropout;
  // Korthikanti App. B: without deallocation each sent stage output (2sbh, /t with SP) stays until its backward
  out.stageOutputBytes = !dealloc && p > 1 ? (actB * n * h) / spDiv : 0;
  // Korthikanti Sec. 4.2.3 extra terms: embedding dropout mask sbh/t per in-flight micro-batch
  out.embeddingMaskBytes = dropout ? (n * h) / spDiv : 0;
  const ce = options?.crossEntropy ?? DEFAULT_MEMORY_OPTIONS.crossEntropy;
  const logitBytes = ce === 'fused' ? 2 : ce === 'unfused' ? 12 : 4;
  // Korthikanti Sec. 4.2.3 extra terms: final layernorm input 2sbh/t, output-layer input 2sbh/t, fp32 logits 4sbV/t
  out.lastStageLossBytes = (2 * actB * n * h) / spDiv + (logitBytes * n * shape.vocabSize) / t;

  // communication buffers
  out.ncclBytes = ncclCommunicatorCount(layout, moe) * NCCL_BYTES_PER_COMMUNICATOR;
  let comm = 0;
  if (nd > 1 && z < 3) comm += GRADIENT_BUCKET_BYTES;
  // 1F1B point-to-point: one activation being received and one gradient being sent (2sbh each, /t with SP)
  if (p > 1) comm += (2 * actB * n * h) / spDiv;
  // ring attention: the neighbour's K and V chunks, double-buffered (Megatron-Core context parallelism)
  if (c > 1) comm += (2 * 2 * actB * n * shape.kvHeads * shape.headDim) / t;
  out.commBaseBytes = comm;
  // ZeRO-3 / FSDP: the current and the prefetched unit all-gathered (weights dtype) plus one unit's
  // unsharded gradients before their reduce-scatter (ZeRO Sec. 5.3; PyTorch FSDP2 forward/backward prefetch)
  out.zero3UnitFactor = z === 3 && nd > 1 ? 2 * per.weights + gradB : 0;

  out.cudaBytes = CUDA_CONTEXT_BYTES + CUDA_WORKSPACE_BYTES;
  out.fragmentation = options?.fragmentationFraction ?? DEFAULT_MEMORY_OPTIONS.fragmentationFraction;
  return out;
}

/** One stage's breakdown (module-level scratch: no allocation per stage). */
interface StageScratch {
  weights: number; gradients: number; optimizer: number; activations: number; logits: number;
  comm: number; fragmentation: number; total: number; inFlight: number; perLayer: number;
}

function emptyStage(): StageScratch {
  return { weights: 0, gradients: 0, optimizer: 0, activations: 0, logits: 0, comm: 0, fragmentation: 0, total: 0, inFlight: 0, perLayer: 0 };
}
const STAGE = emptyStage();
const BEST = emptyStage();

function evaluateStage(plan: Plan, stage: number, out: StageScratch): void {
  const { p, v, L, denseLayers } = plan;
  // layers and dense/MoE split of this GPU's v chunks (chunk k·p + stage), extra layers on the earliest chunks
  const C = p * v;
  let nDense = 0, nMoe = 0;
  for (let k = 0; k < v; k++) {
    const j = k * p + stage;
    const start = chunkStart(j, L, C), end = chunkStart(j + 1, L, C);
    const dense = Math.max(0, Math.min(end, denseLayers) - start);
    nDense += dense;
    nMoe += end - start - dense;
  }
  const first = stage === 0, last = stage === p - 1;
  const inFlight = inFlightMicroBatches(stage, p, plan.m, v);

  // model states
  const neParams = nDense * plan.neDenseParams + nMoe * plan.neMoeParams
    + (first ? plan.embeddingParams : 0) + (last ? plan.headParams : 0);
  const exParams = nMoe * plan.exMoeParams;
  out.weights = neParams * plan.neW + exParams * plan.exW;
  out.gradients = neParams * plan.neG + exParams * plan.exG;
  out.optimizer = neParams * plan.neO + exParams * plan.exO;

  // activations: in-flight micro-batches × this stage's layers (Korthikanti Eq. 5), plus one layer's
  // recompute working set
  const stored = inFlight * (nDense * plan.actDense + nMoe * plan.actMoe);
  const ws = Math.max(nDense > 0 ? plan.wsDense : 0, nMoe > 0 ? plan.wsMoe : 0);
  out.activations = stored + ws;
  out.perLayer = nMoe > 0 ? plan.actMoe : plan.actDense;
  out.inFlight = inFlight;

  // edge buffers: embedding dropout masks on the first stage, unfreed stage outputs (one per
  // in-flight chunk-micro-batch), the loss buffers on the last stage
  out.logits = (first ? inFlight * plan.embeddingMaskBytes : 0)
    + (last ? plan.lastStageLossBytes : inFlight * v * plan.stageOutputBytes);

  // communication: NCCL + buckets + p2p + ZeRO-3 gathered units (the largest unit on this stage)
  let unitParams = nDense > 0 ? plan.neDenseParams : 0;
  if (nMoe > 0 && plan.neMoeParams + plan.exMoeParams > unitParams) unitParams = plan.neMoeParams + plan.exMoeParams;
  if (first && plan.embeddingParams > unitParams) unitParams = plan.embeddingParams;
  if (last && plan.headParams > unitParams) unitParams = plan.headParams;
  const allocatorComm = plan.commBaseBytes + plan.zero3UnitFactor * unitParams;
  out.comm = plan.ncclBytes + allocatorComm;

  // caching-allocator fragmentation on what is allocated and freed every step
  out.fragmentation = plan.fragmentation * (out.activations + out.logits + allocatorComm);
  out.total = out.weights + out.gradients + out.optimizer + out.activations + out.logits
    + plan.cudaBytes + out.comm + out.fragmentation;
}

function copyStage(from: StageScratch, to: StageScratch): void {
  to.weights = from.weights; to.gradients = from.gradients; to.optimizer = from.optimizer;
  to.activations = from.activations; to.logits = from.logits; to.comm = from.comm;
  to.fragmentation = from.fragmentation; to.total = from.total; to.inFlight = from.inFlight; to.perLayer = from.perLayer;
}

/**
 * Per-GPU memory of the most loaded GPU of a layout. Every pipeline stage is evaluated (first:
 * embeddings and the most in-flight micro-batches; last: LM head and logits; middle stages when
 * MoE dense layers or uneven splits make them heavier) and the largest total is reported.
 * options: modelling choices with documented defaults (see MemoryOptions / DEFAULT_MEMORY_OPTIONS).
 */
export function estimateMemory(
  shape: ModelShape, counts: ParameterCounts, training: TrainingSetup, layout: ParallelLayout,
  accelerator: Accelerator, options?: MemoryOptions,
): MemoryEstimate {
  const plan = buildPlan(shape, counts, training, layout, options, PLAN);
  let bestStage = 0;
  BEST.total = -1;
  for (let i = 0; i < plan.p; i++) {
    evaluateStage(plan, i, STAGE);
    if (STAGE.total > BEST.total) { copyStage(STAGE, BEST); bestStage = i; }
  }
  return {
    perGpu: {
      weightsBytes: BEST.weights, gradientsBytes: BEST.gradients, optimizerBytes: BEST.optimizer,
      activationsBytes: BEST.activations, logitsBytes: BEST.logits, cudaContextBytes: plan.cudaBytes,
      communicationBuffersBytes: BEST.comm, fragmentationBytes: BEST.fragmentation, totalBytes: BEST.total,
    },
    gpuMemoryBytes: accelerator.memoryBytes,
    fits: BEST.total <= accelerator.memoryBytes,
    mostLoadedStage: bestStage,
    inFlightMicroBatches: BEST.inFlight,
    activationBytesPerLayerPerMicroBatch: BEST.perLayer,
  };
}

/** The breakdown of one pipeline stage (0-based), e.g. to show first and last stage side by side. */
export function estimateStageMemory(
  shape: ModelShape, counts: ParameterCounts, training: TrainingSetup, layout: ParallelLayout,
  stage: number, options?: MemoryOptions,
): MemoryBreakdown & { inFlightMicroBatches: number } {
  const plan = buildPlan(shape, counts, training, layout, options, emptyPlan());
  const out = emptyStage();
  evaluateStage(plan, Math.min(Math.max(0, Math.floor(stage)), plan.p - 1), out);
  return {
    weightsBytes: out.weights, gradientsBytes: out.gradients, optimizerBytes: out.optimizer,
    activationsBytes: out.activations, logitsBytes: out.logits, cudaContextBytes: plan.cudaBytes,
    communicationBuffersBytes: out.comm, fragmentationBytes: out.fragmentation, totalBytes: out.total,
    inFlightMicroBatches: out.inFlight,
  };
}

/**
 * A cheap lower bound on estimateMemory(...).perGpu.totalBytes for search pruning: the CUDA
 * context plus the model states and one micro-batch of activations of floor(L/p) layers of the
 * lighter kind (every stage holds at least that much, and the estimate is the maximum over stages).
 */
export function memoryLowerBoundBytes(
  shape: ModelShape, counts: ParameterCounts, training: TrainingSetup, layout: ParallelLayout,
  _accelerator: Accelerator, options?: MemoryOptions,
): number {
  const plan = buildPlan(shape, counts, training, layout, options, PLAN);
  const layersPerStage = Math.floor(plan.L / plan.p);
  const hasDense = plan.denseLayers > 0, hasMoe = plan.denseLayers < plan.L;
  const neState = plan.neW + plan.neG + plan.neO, exState = plan.exW + plan.exG + plan.exO;
  const stateDense = hasDense ? plan.neDenseParams * neState : Infinity;
  const stateMoe = hasMoe ? plan.neMoeParams * neState + plan.exMoeParams * exState : Infinity;
  const actDense = hasDense ? plan.actDense : Infinity;
  const actMoe = hasMoe ? plan.actMoe : Infinity;
  return plan.cudaBytes + layersPerStage * (Math.min(stateDense, stateMoe) + Math.min(actDense, actMoe));
}
