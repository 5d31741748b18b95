// The layout-independent half of the step-time model: the software-stack options a request can
// set, the workload context prepareWorkload() computes once per request (shape, training, the
// accelerator's peaks and fabric, resolved overlaps), and the primitives both evaluations of a
// layout share: the GEMM time of a shape, the exposed part of a communication, the estimate objects.
// Constants: calibration.ts (per accelerator generation, each with its source).
import type { Accelerator, ModelShape, ParameterCounts, PerformanceEstimate, Precision, SelectiveRecomputePolicy, StepTimeBreakdown, TrainingSetup } from '../core/index.js';
import { attentionFlopsPerToken, hardwareFlopsPerToken, modelFlopsPerToken, attentionHeadDims, type ModelShapeWithMla } from '../model/index.js';
import { ACTIVATION_BYTES, FLASH_EFFICIENCY_BOUND, EAGER_GATED_MLP_ACTIVATION_BYTES_PER_ELEMENT, EAGER_LAYER_ELEMENTWISE_BYTES_PER_HIDDEN, EAGER_MLP_ACTIVATION_BYTES_PER_ELEMENT, GATED_MLP_ACTIVATION_BYTES_PER_ELEMENT, GRADIENT_REDUCE_BYTES, LAYER_ELEMENTWISE_BYTES_PER_HIDDEN, MLP_ACTIVATION_BYTES_PER_ELEMENT, OPTIMIZER_BYTES_PER_PARAMETER, PARAMETER_GATHER_BYTES, calibrationFor } from './calibration.js';
import type { Fabric } from './collectives.js';
import type { StageSplit } from '../layouts/index.js';
import type { LayoutCache } from './step-time.js';
/**
 * Software-stack choices that swing a prediction most (DESIGN.md "what swings a step-time
 * prediction"). Every field is optional; the default comes from the accelerator generation
 * (calibration.ts GENERATION_CALIBRATION). Overlaps are fractions 0..1 of the communication
 * hidden behind compute (never more than the compute available to hide it).
 */
export interface PerformanceOptions {
  /** tensor-parallel all-reduce / reduce-scatter+all-gather hidden behind GEMMs (TE --tp-comm-overlap); hopper default 0.7, ampere 0 */
  tensorCommOverlap?: number;
  /** data-parallel gradient reduce and parameter all-gather hidden behind backward / forward (--overlap-grad-reduce / --overlap-param-gather) */
  dataCommOverlap?: number;
  /** pipeline send/recv hidden behind compute */
  pipelineCommOverlap?: number;
  /** context-parallel ring-attention K/V exchange hidden behind attention */
  contextCommOverlap?: number;
  /** expert-parallel all-to-all hidden behind compute */
  expertCommOverlap?: number;
  /** fused FlashAttention kernel; false = unfused QKᵀ, softmax, dropout, AV (Megatron 2021-2022) */
  flashAttention?: boolean;
  /** FlashAttention fwd+bwd achieved share of the 16-bit dense peak on executed FLOPs (calibration.ts
   *  flashAttentionEfficiency): the kernel generation matters, e.g. FlashAttention-2 on H100 ≈ 0.35
   *  (Shah et al. 2024, FlashAttention-3 Fig. 5-6) against cuDNN / FlashAttention-3 ≈ 0.42-0.5 */
  flashAttentionEfficiency?: number;
  /** fused norm / bias-activation / dropout-add kernels (Megatron, TransformerEngine, torch.compile; default);
   *  false = eager PyTorch ops, ≈ 4× the HBM traffic outside the GEMMs */
  fusedKernels?: boolean;
  /** how layers split over pipeline chunks (layouts/rules.ts StageSplit); default 'even' */
  stageSplit?: StageSplit;
  /** what 'selective' recomputation keeps (memory/activations.ts): attention-core (Korthikanti 2022,
   *  recompute the attention core) or save-matmuls (torchtitan op SAC: every second matmul and all
   *  memory-bound ops are recomputed); default attention-core */
  selectiveRecompute?: SelectiveRecomputePolicy;
  /** the training stack's fitted constants (data/calibration/step-time-fit.json, npm run calibrate); default: none (1, 0, 0) */
  stack?: StackCalibration;
}

/**
 * Constants of one training stack on one accelerator generation, fitted by `npm run calibrate` on the
 * measured runs (scripts/calibrate.ts): few, each a mechanism rather than a per-case factor.
 */
export interface StackCalibration {
  /** multiplies every per-layer kernel time (GEMMs, attention, memory-bound ops): the framework's kernels against the generation's reference stack */
  computeTimeScale: number;
  /** host (CPU) time to launch one forward-equivalent pass of a layer (backward counts 2): the GPU cannot run a layer faster than its launches */
  hostSecondsPerLayerPass: number;
  /** host time of one tensor-parallel collective call (NCCL launch and stream synchronisation), added to the layer's host time */
  hostSecondsPerCollective: number;
}

/** torchtitan op-level SAC recomputes every second matmul of a block (torchtitan distributed/activation_checkpoint.py,
 *  `meta[mm_count_key] % 2 == 0`): wk, wo and w3 of a Llama block, 36-37% of its forward GEMM FLOPs (Llama 3 8B and 70B). */
export const SAVE_MATMULS_RECOMPUTED_GEMM_SHARE = 0.365;

/** Everything about a workload on an accelerator that does not depend on the layout. Numbers only. */
export interface WorkloadContext {
  // shape (Megatron notation); GEMM widths come from the parameter counts so that timing and the
  // MFU convention (flops.ts) see the same matrices (GQA, MLA, gated MLPs alike)
  L: number;
  h: number;
  kv: number;
  dh: number;
  f: number;
  V: number;
  gated: boolean;
  /** output width of the fused QKV (or MLA down/up) projections: attention weights but the output projection, ÷ h */
  qkvWidth: number;
  /** input width of the attention output projection (heads × value head dim) */
  attnOutWidth: number;
  /** dense MLP: output width of fc1 (both gate and up when gated) and input width of fc2 */
  mlpUpWidth: number;
  mlpDownWidth: number;
  /** one routed expert: fc1 output width and fc2 input width */
  expertUpWidth: number;
  expertDownWidth: number;
  /** attention-score FLOPs of one token in one layer, forward, non-causal (flops.ts convention) */
  scoreFlopsPerTokenPerLayer: number;
  /** attention heads × (qk + v head dims) / 2: the per-head width the unfused score GEMMs contract over */
  scoreHeadDim: number;
  heads: number;
  /** experts, top-k, expert FFN width, shared experts; E = 0 for dense models */
  E: number;
  topK: number;
  fE: number;
  sharedExperts: number;
  moeLayers: number;
  denseLayers: number;
  // training
  s: number;
  B: number;
  tokensPerStep: number;
  fp8: boolean;
  bytesAct: number;
  gradBytes: number;
  gatherBytes: number;
  optimizerBytesPerParameter: number;
  // parameters
  /** non-expert transformer parameters, all layers (attention, dense MLPs, shared experts, routers, norms) */
  nonExpertTransformerParameters: number;
  /** routed-expert parameters, all layers, all experts */
  expertParameters: number;
  /** parameters of the heavier pipeline edge stage: input embedding or LM head */
  edgeParameters: number;
  // FLOPs convention for MFU / HFU (flops.ts)
  modelFlopsPerToken: number;
  hardwareFlopsPerTokenNone: number;
  hardwareFlopsPerTokenSelective: number;
  hardwareFlopsPerTokenFull: number;
  // accelerator
  peakFlopsPerSecond: number;
  attentionPeakFlopsPerSecond: number;
  /** 1 / (peak · gemmEfficiencyMax), seconds per FLOP of an ideally shaped GEMM */
  gemmSecondsPerFlop: number;
  /** I0 of the GEMM shape penalty (calibration.ts gemmHalfIntensityRatio) */
  gemmHalfIntensity: number;
  /** seconds per FLOP of the fused attention kernel (executed FLOPs) */
  flashSecondsPerFlop: number;
  /** seconds per byte of memory-bound kernels */
  memorySecondsPerByte: number;
  kernelOverheadSeconds: number;
  stepOverheadSeconds: number;
  /** StackCalibration host times (0 without a fitted stack) */
  hostSecondsPerLayerPass: number;
  hostSecondsPerCollective: number;
  /** selective recomputation replays every second matmul and the memory-bound ops (torchtitan op SAC) */
  selectiveSavesMatmuls: boolean;
  fabric: Fabric;
  // software options, resolved
  tensorCommOverlap: number;
  dataCommOverlap: number;
  pipelineCommOverlap: number;
  contextCommOverlap: number;
  expertCommOverlap: number;
  flashAttention: boolean;
  stageSplit: StageSplit;
  /** HBM bytes per s·b·h of the layer's norms and residual/dropout adds, and per MLP-width element of the activation */
  layerElementwiseBytesPerHidden: number;
  mlpActivationBytesPerElement: number;
  /** evaluateLayout's per-layer and per-data-group rows, built on first use (performance/step-time.ts only; tied to this object) */
  cache: LayoutCache | undefined;
}

/** Does the accelerator have a tensor-core peak for this precision? (resolveWorkload rejects the rest) */
export function supportsPrecision(a: Accelerator, precision: Precision): boolean {
  return a.peakFlopsPerSecond[precision] !== undefined || (precision === 'fp32' && a.peakFlopsPerSecond.fp32 !== undefined);
}

/** Dense peak for the training precision: fp8 → fp8, fp32 → tf32 when present (sigs: module map). */
export function peakFlopsForPrecision(accelerator: Accelerator, precision: Precision): number {
  const pk = accelerator.peakFlopsPerSecond;
  const sixteen = pk.bf16 ?? pk.fp16;
  let peak: number | undefined;
  if (precision === 'fp8') peak = pk.fp8 ?? sixteen;
  else if (precision === 'fp32') peak = pk.tf32 ?? pk.fp32;
  else if (precision === 'bf16') peak = pk.bf16 ?? pk.fp16;
  else peak = pk.fp16 ?? pk.bf16;
  peak = peak ?? sixteen ?? pk.tf32 ?? pk.fp32 ?? pk.fp8;
  return peak !== undefined && peak > 0 ? peak : 1e12;
}

function nonNegative(x: number | undefined): number {
  return x !== undefined && Number.isFinite(x) && x > 0 ? x : 0;
}

function clampFraction(x: number | undefined, fallback: number): number {
  if (x === undefined || !Number.isFinite(x)) return fallback;
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

/** Precompute the layout-independent quantities of a workload on an accelerator (once per request). */
export function prepareWorkload(
  shape: ModelShape,
  counts: ParameterCounts,
  training: TrainingSetup,
  accelerator: Accelerator,
  options: PerformanceOptions = {},
): WorkloadContext {
  const cal = calibrationFor(accelerator.generation);
  const precision = training.precision;
  const moe = shape.moe;
  const moeLayers = moe ? Math.max(0, shape.layers - moe.denseLayers) : 0;
  const peak = peakFlopsForPrecision(accelerator, precision);
  const sixteen = precision === 'fp32' ? peak : peakFlopsForPrecision(accelerator, 'bf16');
  const memBps = Math.max(1, accelerator.memoryBandwidthBytesPerSecond) * cal.memoryEfficiency;
  const gemmEff = cal.gemmEfficiencyMax * (precision === 'fp8' ? cal.fp8GemmEfficiencyScale : 1);
  const s = Math.max(1, training.sequenceLength);
  const B = Math.max(1, training.globalBatchSequences);
  const expertParameters = counts.expertParametersPerMoeLayer * moeLayers;
  const edge = Math.max(counts.embeddingParameters, counts.lmHeadParameters);
  const h = Math.max(1, shape.hiddenSize);
  const heads = Math.max(1, shape.attentionHeads);
  const dims = attentionHeadDims(shape as ModelShapeWithMla);
  const attnOutWidth = heads * dims.v;
  const upShare = shape.gatedMlp ? 2 / 3 : 1 / 2;
  const perExpert = moe && moe.experts > 0 ? counts.expertParametersPerMoeLayer / moe.experts : 0;
  const L = Math.max(1, shape.layers);
  const flashOption = options.flashAttentionEfficiency;
  const flashEfficiency =
    flashOption !== undefined && Number.isFinite(flashOption) && flashOption > 0 ? Math.min(1, flashOption) : cal.flashAttentionEfficiency;
  const ctx: WorkloadContext = {
    L,
    h,
    // K/V exchanged by context parallelism: MLA has a per-head qk key and v value after the up-projections
    kv: shape.mla ? heads : shape.kvHeads,
    dh: shape.mla ? (dims.qk + dims.v) / 2 : shape.headDim,
    f: shape.ffnHiddenSize,
    V: shape.vocabSize,
    gated: shape.gatedMlp,
    qkvWidth: Math.max(0, counts.attentionParametersPerLayer / h - attnOutWidth),
    attnOutWidth,
    mlpUpWidth: (counts.denseMlpParametersPerLayer * upShare) / h,
    mlpDownWidth: (counts.denseMlpParametersPerLayer * (1 - upShare)) / h,
    expertUpWidth: (perExpert * upShare) / h,
    expertDownWidth: (perExpert * (1 - upShare)) / h,
    scoreFlopsPerTokenPerLayer: attentionFlopsPerToken(shape as ModelShapeWithMla, s) / (3 * L),
    scoreHeadDim: (dims.qk + dims.v) / 2,
    heads,
    E: moe ? Math.max(1, moe.experts) : 0,
    topK: moe ? moe.activeExperts : 0,
    fE: moe ? moe.expertFfnHiddenSize : 0,
    sharedExperts: moe ? moe.sharedExperts : 0,
    moeLayers,
    denseLayers: Math.max(0, shape.layers - moeLayers),
    s,
    B,
    tokensPerStep: B * s,
    fp8: precision === 'fp8',
    bytesAct: ACTIVATION_BYTES[precision],
    gradBytes: GRADIENT_REDUCE_BYTES[precision],
    gatherBytes: PARAMETER_GATHER_BYTES[precision],
    optimizerBytesPerParameter: OPTIMIZER_BYTES_PER_PARAMETER[training.optimizer] - (precision === 'fp32' ? 2 : 0),
    nonExpertTransformerParameters: Math.max(0, counts.transformerParameters - expertParameters),
    expertParameters,
    edgeParameters: edge,
    modelFlopsPerToken: modelFlopsPerToken(shape, counts, s),
    hardwareFlopsPerTokenNone: hardwareFlopsPerToken(shape, counts, s, 'none'),
    hardwareFlopsPerTokenSelective: hardwareFlopsPerToken(shape, counts, s, 'selective'),
    hardwareFlopsPerTokenFull: hardwareFlopsPerToken(shape, counts, s, 'full'),
    peakFlopsPerSecond: peak,
    attentionPeakFlopsPerSecond: sixteen,
    gemmSecondsPerFlop: 1 / (peak * gemmEff),
    // roofline ridge point (FLOP per byte) scaled: chips with more FLOPs per byte need bigger GEMMs
    gemmHalfIntensity: cal.gemmHalfIntensityRatio * (peak / Math.max(1, accelerator.memoryBandwidthBytesPerSecond)),
    flashSecondsPerFlop: 1 / (sixteen * Math.min(flashEfficiency, FLASH_EFFICIENCY_BOUND)),
    memorySecondsPerByte: 1 / memBps,
    kernelOverheadSeconds: cal.kernelOverheadSeconds,
    stepOverheadSeconds: cal.stepOverheadSeconds,
    hostSecondsPerLayerPass: 0,
    hostSecondsPerCollective: 0,
    selectiveSavesMatmuls: options.selectiveRecompute === 'save-matmuls',
    fabric: {
      scaleUpBytesPerSecond: Math.max(1, accelerator.scaleUpBytesPerSecond) * cal.scaleUpEfficiency,
      scaleOutBytesPerSecond: Math.max(1, accelerator.scaleOutBytesPerSecond) * cal.scaleOutEfficiency,
      scaleUpLatencySeconds: cal.scaleUpLatencySeconds,
      scaleOutLatencySeconds: cal.scaleOutLatencySeconds,
      domainSize: Math.max(1, accelerator.scaleUpDomainSize),
    },
    tensorCommOverlap: clampFraction(options.tensorCommOverlap, cal.tensorCommOverlap),
    dataCommOverlap: clampFraction(options.dataCommOverlap, cal.dataCommOverlap),
    pipelineCommOverlap: clampFraction(options.pipelineCommOverlap, cal.pipelineCommOverlap),
    contextCommOverlap: clampFraction(options.contextCommOverlap, cal.contextCommOverlap),
    expertCommOverlap: clampFraction(options.expertCommOverlap, cal.expertCommOverlap),
    flashAttention: options.flashAttention ?? cal.flashAttention,
    stageSplit: options.stageSplit ?? 'even',
    layerElementwiseBytesPerHidden:
      options.fusedKernels === false ? EAGER_LAYER_ELEMENTWISE_BYTES_PER_HIDDEN : LAYER_ELEMENTWISE_BYTES_PER_HIDDEN,
    mlpActivationBytesPerElement:
      options.fusedKernels === false
        ? shape.gatedMlp
          ? EAGER_GATED_MLP_ACTIVATION_BYTES_PER_ELEMENT
          : EAGER_MLP_ACTIVATION_BYTES_PER_ELEMENT
        : shape.gatedMlp
          ? GATED_MLP_ACTIVATION_BYTES_PER_ELEMENT
          : MLP_ACTIVATION_BYTES_PER_ELEMENT,
    cache: undefined,
  };
  return options.stack ? withStack(ctx, options.stack) : ctx;
}

/**
 * The context with a training stack's fitted constants applied (a copy; `ctx` is untouched): every
 * per-layer kernel time × computeTimeScale, and the host floor's times. `base` is the context
 * prepareWorkload made without a stack (the calibration fit reuses it for every trial constant).
 */
export function withStack(base: WorkloadContext, stack: StackCalibration): WorkloadContext {
  const scale = Number.isFinite(stack.computeTimeScale) && stack.computeTimeScale > 0 ? stack.computeTimeScale : 1;
  return {
    ...base,
    gemmSecondsPerFlop: base.gemmSecondsPerFlop * scale,
    flashSecondsPerFlop: base.flashSecondsPerFlop * scale,
    memorySecondsPerByte: base.memorySecondsPerByte * scale,
    hostSecondsPerLayerPass: nonNegative(stack.hostSecondsPerLayerPass),
    hostSecondsPerCollective: nonNegative(stack.hostSecondsPerCollective),
    cache: undefined,
  };
}

/**
 * Seconds of one GEMM M×K×N (2·M·K·N FLOPs) at gemmEfficiencyMax · I/(I + I0) of the peak, with
 * I = 1/(1/M + 1/K + 1/N) its arithmetic intensity per element (roofline, Williams et al. 2009;
 * the saturating form reproduces the cuBLAS efficiency-vs-size curves). Same for dgrad and wgrad:
 * I is symmetric in M, K, N.
 */
export function gemmSeconds(ctx: WorkloadContext, M: number, K: number, N: number): number {
  if (M <= 0 || K <= 0 || N <= 0) return 0;
  return 2 * M * K * N * ctx.gemmSecondsPerFlop * (1 + ctx.gemmHalfIntensity * (1 / M + 1 / K + 1 / N));
}

/** Exposed part of `comm` seconds when a share `overlap` can hide behind `hideable` seconds of compute. */
export function exposedSeconds(comm: number, overlap: number, hideable: number): number {
  if (comm <= 0) return 0;
  const floor = comm * (1 - overlap);
  const rest = comm - hideable;
  return floor > rest ? floor : rest;
}

export function emptyBreakdown(): StepTimeBreakdown {
  return {
    compute: 0,
    recompute: 0,
    tensorComm: 0,
    pipelineBubble: 0,
    pipelineComm: 0,
    dataComm: 0,
    contextComm: 0,
    expertComm: 0,
    hostOverhead: 0,
    optimizer: 0,
  };
}

// Classes rather than object literals for the estimates evaluateLayout writes: V8 shares the
// hidden-class tree of every object literal with the same leading keys, so a literal { compute: … }
// elsewhere in the process holding a non-number turns these fields into boxed ones and each store
// of a double allocates a HeapNumber. A class has its own tree: its fields stay unboxed doubles.
class Breakdown implements StepTimeBreakdown {
  compute = 0;
  recompute = 0;
  tensorComm = 0;
  pipelineBubble = 0;
  pipelineComm = 0;
  dataComm = 0;
  contextComm = 0;
  expertComm = 0;
  hostOverhead = 0;
  optimizer = 0;
}

class Estimate implements PerformanceEstimate {
  stepSeconds = 0;
  tokensPerSecond = 0;
  tflopsPerGpu = 0;
  mfu = 0;
  hfu = 0;
  breakdownSeconds: StepTimeBreakdown = new Breakdown();
  source: PerformanceEstimate['source'] = 'model';
}

/** A blank estimate to pass as `out` to evaluateLayout (reuse it across calls; its number fields store without allocating). */
export function createPerformanceEstimate(): PerformanceEstimate {
  return new Estimate();
}

export function positiveInt(x: number): number {
  return Number.isFinite(x) && x >= 1 ? Math.floor(x) : 1;
}

/**
 * DualPipe's bubble per (p/2 − 1), as a share of one stage's forward + backward time (DeepSeek-V3
 * Table 2: F&B + B − 3W). With the backward twice the forward and its weight-gradient half equal to
 * it (B = 2F, W = F) and F&B ≈ F + B: (3F + 2F − 3F) / 3F = 2/3.
 */
export const DUALPIPE_BUBBLE_STAGE_FRACTION = 2 / 3;
