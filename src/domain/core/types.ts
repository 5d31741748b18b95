// Shared domain types. Pure data: no Fastify, no I/O.
// Notation follows the Megatron papers: a heads, b micro-batch, s sequence, h hidden, L layers,
// V vocab, t tensor-parallel, p pipeline-parallel, d data-parallel, c context-parallel, e expert-parallel.

export type Precision = 'fp32' | 'fp16' | 'bf16' | 'fp8';
export type OptimizerKind = 'adamw' | 'sgd';
export type RecomputeMode = 'none' | 'selective' | 'full';
export type PipelineSchedule = '1f1b' | 'interleaved' | 'dualpipe';
export type ZeroStage = 0 | 1 | 2 | 3;

export const PRECISIONS: readonly Precision[] = ['fp32', 'fp16', 'bf16', 'fp8'];
export const OPTIMIZERS: readonly OptimizerKind[] = ['adamw', 'sgd'];
export const RECOMPUTE_MODES: readonly RecomputeMode[] = ['none', 'selective', 'full'];
export const PIPELINE_SCHEDULES: readonly PipelineSchedule[] = ['1f1b', 'interleaved', 'dualpipe'];

/** Mixture-of-experts block shape (per MoE layer). */
export interface MoeShape {
  /** routed experts per MoE layer */
  experts: number;
  /** routed experts each token visits (top-k) */
  activeExperts: number;
  /** FFN hidden size of one expert */
  expertFfnHiddenSize: number;
  /** experts every token visits in addition to the routed ones */
  sharedExperts: number;
  /** leading layers that keep a dense MLP (ffnHiddenSize) instead of MoE */
  denseLayers: number;
}

/** A decoder-only transformer. */
export interface ModelShape {
  layers: number;
  hiddenSize: number;
  attentionHeads: number;
  /** key/value heads: = attentionHeads for MHA, < for GQA, 1 for MQA */
  kvHeads: number;
  /** per-head dimension; usually hiddenSize / attentionHeads */
  headDim: number;
  /** dense MLP hidden size (per gate/up projection when gated) */
  ffnHiddenSize: number;
  vocabSize: number;
  /** SwiGLU/GeGLU: three matrices h×f instead of two */
  gatedMlp: boolean;
  /** input embedding and LM head share one matrix */
  tiedEmbeddings: boolean;
  moe?: MoeShape;
  /** multi-head latent attention (DeepSeek-V2/V3): replaces the GQA projections when present */
  mla?: MlaShape;
}

/**
 * Multi-head latent attention (DeepSeek-V2/V3, arXiv 2405.04434 Sec. 2.1). When present it replaces
 * the GQA projections: headDim and kvHeads are then unused for parameters, FLOPs, memory and time.
 */
export interface MlaShape {
  /** rank of the query down-projection; 0 = queries projected straight from h (DeepSeek-V2-Lite) */
  qLoraRank: number;
  /** rank of the joint key/value down-projection (the cached latent) */
  kvLoraRank: number;
  /** per-head query/key dimension without rotary embedding */
  qkNopeHeadDim: number;
  /** per-head query/key dimension carrying the decoupled rotary embedding (key part shared by all heads) */
  qkRopeHeadDim: number;
  /** per-head value dimension */
  vHeadDim: number;
}

export interface ParameterCounts {
  /** all parameters, every expert counted */
  totalParameters: number;
  /** parameters one token's forward pass touches (MoE: top-k + shared experts) */
  activeParameters: number;
  /** input embedding V·h */
  embeddingParameters: number;
  /** LM head V·h (0 when tied) */
  lmHeadParameters: number;
  /** all transformer-layer parameters (attention + MLP/MoE + norms), every expert counted */
  transformerParameters: number;
  /** attention parameters of one layer */
  attentionParametersPerLayer: number;
  /** dense MLP parameters of one dense layer */
  denseMlpParametersPerLayer: number;
  /** routed-expert parameters of one MoE layer, all experts (0 for dense models) */
  expertParametersPerMoeLayer: number;
  /** shared-expert + router parameters of one MoE layer (0 for dense models) */
  nonExpertMoeParametersPerMoeLayer: number;
  /** norm parameters of one layer */
  normParametersPerLayer: number;
}

/** One accelerator as the domain uses it: SI units only. */
export interface Accelerator {
  id: string;
  name: string;
  vendor: string;
  /** calibration key, e.g. 'volta' | 'ampere' | 'hopper' | 'blackwell' | 'ada' | 'cdna2' | 'cdna3' | 'cdna4' | 'gaudi' | 'tpu' | 'trainium' */
  generation: string;
  launchYear: number;
  memoryBytes: number;
  memoryBandwidthBytesPerSecond: number;
  /** dense peak per precision; a precision the chip lacks is absent */
  peakFlopsPerSecond: Partial<Record<Precision | 'tf32', number>>;
  /** scale-up (NVLink / Infinity Fabric / ICI) bandwidth per GPU, one direction */
  scaleUpBytesPerSecond: number;
  /** GPUs in one scale-up domain (8 for HGX, 72 for NVL72) */
  scaleUpDomainSize: number;
  /** scale-out (InfiniBand / RoCE) bandwidth per GPU, one direction */
  scaleOutBytesPerSecond: number;
  /** GPUs per node (server) */
  gpusPerNode: number;
  tdpWatts: number;
  /** indicative on-demand cloud price per GPU-hour, if any */
  cloudGpuHourUsd?: number;
  /** indicative purchase price per GPU including its share of the server, if any */
  purchaseUsdPerGpu?: number;
}

export interface TrainingSetup {
  tokens: number;
  sequenceLength: number;
  /** global batch in sequences */
  globalBatchSequences: number;
  precision: Precision;
  optimizer: OptimizerKind;
}

/** A complete parallel layout. GPUs = tensor · pipeline · data · context. Expert parallelism is carved out of data × context. */
export interface ParallelLayout {
  tensor: number;
  pipeline: number;
  data: number;
  context: number;
  expert: number;
  microBatchSize: number;
  zeroStage: ZeroStage;
  recompute: RecomputeMode;
  sequenceParallel: boolean;
  schedule: PipelineSchedule;
  /** virtual pipeline stages per GPU (interleaved schedule); 1 for plain 1F1B */
  virtualStages: number;
}

/** Per-GPU memory of the most loaded GPU of a layout. Bytes. */
export interface MemoryBreakdown {
  weightsBytes: number;
  gradientsBytes: number;
  optimizerBytes: number;
  /** transformer-layer activations held for backward, all in-flight micro-batches */
  activationsBytes: number;
  /** LM-head output logits (fp32 for the loss) and embedding-output buffers on the edge stages */
  logitsBytes: number;
  /** CUDA context, cuBLAS/cuDNN workspaces */
  cudaContextBytes: number;
  /** NCCL and gradient-bucket / all-gather buffers */
  communicationBuffersBytes: number;
  /** caching-allocator fragmentation */
  fragmentationBytes: number;
  totalBytes: number;
}

export interface MemoryEstimate {
  perGpu: MemoryBreakdown;
  gpuMemoryBytes: number;
  fits: boolean;
  /** which pipeline stage is the most loaded (0-based) */
  mostLoadedStage: number;
  /** micro-batches whose activations the most loaded stage holds at peak */
  inFlightMicroBatches: number;
  /** activation bytes of one transformer layer for one micro-batch on one GPU */
  activationBytesPerLayerPerMicroBatch: number;
}

export interface StepTimeBreakdown {
  compute: number;
  recompute: number;
  tensorComm: number;
  pipelineBubble: number;
  pipelineComm: number;
  dataComm: number;
  contextComm: number;
  expertComm: number;
  /** the GPU waiting for the host to launch a layer's kernels and collectives (small per-GPU work) */
  hostOverhead: number;
  optimizer: number;
}

export interface PerformanceEstimate {
  stepSeconds: number;
  tokensPerSecond: number;
  /** model FLOP/s per GPU, in 1e12 */
  tflopsPerGpu: number;
  mfu: number;
  hfu: number;
  breakdownSeconds: StepTimeBreakdown;
  /** 'model' when predicted, 'override' when efficiency.mfu was given */
  source: 'model' | 'override';
  /** where a measured step time falls for `confidence` of comparable calibration runs (planner, from the fitted bands) */
  stepSecondsRange?: SecondsRange;
}

export interface SecondsRange {
  low: number;
  high: number;
  confidence: number;
  /** the calibration runs and cross-validation the band comes from */
  basis: string;
}

export interface Assumption {
  field: string;
  value: string | number | boolean;
  reason: string;
}

/** What 'selective' recomputation keeps (memory/activations.ts MemoryOptions.selectivePolicy). */
export type SelectiveRecomputePolicy = 'attention-core' | 'save-matmuls';
/** The loss kernel (memory/activations.ts MemoryOptions.crossEntropy). */
export type CrossEntropyKind = 'fp32-logits' | 'fused' | 'unfused';

/**
 * A training framework as data (config/frameworks.yaml): what it does by default and which parallel
 * layouts it can run. Defaults shape memory and time; rules bound the layout search and the layouts a
 * request may fix.
 */
export interface TrainingFramework {
  id: string;
  name: string;
  defaults: {
    flashAttention: boolean;
    fusedKernels: boolean;
    /** dropout probability on attention probabilities and residual branches; 0 = off */
    dropout: number;
    fp32Gradients: boolean;
    selectiveRecompute: SelectiveRecomputePolicy;
    crossEntropy: CrossEntropyKind;
    /** layers over pipeline stages (layouts/rules.ts StageSplit) */
    stageSplit: 'even' | 'edges-as-layers';
  };
  rules: {
    schedules: readonly PipelineSchedule[];
    /** interleaving needs the split's units (layers, plus embedding and head when they count) divisible by pipeline × virtual stages */
    interleavedWholeLayers: boolean;
    /** interleaving needs the micro-batch count to be a multiple of the pipeline size */
    interleavedMicroBatchesMultipleOfPipeline: boolean;
    zeroStages: readonly ZeroStage[];
    zeroStagesWithPipeline: readonly ZeroStage[];
    tensorParallel: boolean;
    sequenceParallel: boolean;
    pipelineParallel: boolean;
    contextParallel: boolean;
    expertParallel: boolean;
    recompute: readonly RecomputeMode[];
    pipelineSendsSplitOverTensor: boolean;
  };
  sources: readonly { title: string; url: string }[];
  notes?: string;
}
