// Step time of one global batch, and the MFU / HFU that follow from it, for a workload, an
// accelerator and a parallel layout. An analytic model in the style of Narayanan et al. 2021
// (Megatron PTD-P, Sec. 3) and Calculon (Isaev et al. 2023): per micro-batch compute of each layer
// from its GEMM shapes at a shape-dependent share of the dense peak, attention, the memory-bound
// kernels at HBM speed, recomputation by mode; tensor-, context-, expert-, pipeline- and
// data-parallel communication from ring/tree/all-to-all cost models (collectives.ts) with the share
// each framework overlaps; the pipeline bubble (p−1)/(m·v); the optimizer step.
// Constants: src/domain/calibration.ts (per accelerator generation, each with its source).
//
// Hot path: the layout search calls evaluateLayout(context, layout, out) millions of times; it
// allocates nothing when `out` comes from createPerformanceEstimate(). prepareWorkload() does the
// per-workload work once; evaluateLayout keeps the per-layer and per-data-group terms it computes on
// the context (see "The search's fast path"), and evaluateLayoutReference is the same model in one
// straightforward pass, which the fast path reproduces to the bit.
import type {
  Accelerator,
  ModelShape,
  ParallelLayout,
  ParameterCounts,
  PerformanceEstimate,
  Precision,
  StepTimeBreakdown,
  TrainingSetup,
} from './types.js';
import { attentionFlopsPerToken, hardwareFlopsPerToken, modelFlopsPerToken } from './flops.js';
import { attentionHeadDims } from './model.js';
import { stageLayerCounts } from './layout.js';
import type { StageLayerCounts } from './layout.js';
import type { ModelShapeWithMla } from './model.js';
import {
  ACTIVATION_BYTES,
  BACKWARD_ELEMENTWISE_FACTOR,
  CAUSAL_ATTENTION_WORK_FRACTION,
  CROSS_ENTROPY_BYTES_PER_LOGIT,
  FLASH_BACKWARD_TO_FORWARD,
  FLASH_EFFICIENCY_BOUND,
  EAGER_GATED_MLP_ACTIVATION_BYTES_PER_ELEMENT,
  EAGER_LAYER_ELEMENTWISE_BYTES_PER_HIDDEN,
  EAGER_MLP_ACTIVATION_BYTES_PER_ELEMENT,
  FP8_CAST_BYTES_PER_ELEMENT,
  GATED_MLP_ACTIVATION_BYTES_PER_ELEMENT,
  GRADIENT_REDUCE_BYTES,
  KERNELS_PER_LAYER_BACKWARD,
  KERNELS_PER_LAYER_FORWARD,
  LAYER_ELEMENTWISE_BYTES_PER_HIDDEN,
  MLP_ACTIVATION_BYTES_PER_ELEMENT,
  MOE_PERMUTE_BYTES_PER_ELEMENT,
  OPTIMIZER_BYTES_PER_PARAMETER,
  PARAMETER_GATHER_BYTES,
  UNFUSED_ATTENTION_BACKWARD_BYTES_PER_SCORE,
  UNFUSED_ATTENTION_FORWARD_BYTES_PER_SCORE,
  calibrationFor,
} from './calibration.js';
import type { Fabric } from './collectives.js';
import {
  allGatherSeconds,
  allReduceSeconds,
  allToAllSeconds,
  membersPerDomain,
  pointToPointSeconds,
  reduceScatterSeconds,
  ringLatencySeconds,
} from './collectives.js';

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
}

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
  fabric: Fabric;
  // software options, resolved
  tensorCommOverlap: number;
  dataCommOverlap: number;
  pipelineCommOverlap: number;
  contextCommOverlap: number;
  expertCommOverlap: number;
  flashAttention: boolean;
  /** HBM bytes per s·b·h of the layer's norms and residual/dropout adds, and per MLP-width element of the activation */
  layerElementwiseBytesPerHidden: number;
  mlpActivationBytesPerElement: number;
  /** evaluateLayout's per-layer and per-data-group rows, built on first use (performance.ts only; tied to this object) */
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
  return {
    L,
    h,
    kv: shape.kvHeads,
    dh: shape.headDim,
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
}

/**
 * Seconds of one GEMM M×K×N (2·M·K·N FLOPs) at gemmEfficiencyMax · I/(I + I0) of the peak, with
 * I = 1/(1/M + 1/K + 1/N) its arithmetic intensity per element (roofline, Williams et al. 2009;
 * the saturating form reproduces the cuBLAS efficiency-vs-size curves). Same for dgrad and wgrad:
 * I is symmetric in M, K, N.
 */
function gemmSeconds(ctx: WorkloadContext, M: number, K: number, N: number): number {
  if (M <= 0 || K <= 0 || N <= 0) return 0;
  return 2 * M * K * N * ctx.gemmSecondsPerFlop * (1 + ctx.gemmHalfIntensity * (1 / M + 1 / K + 1 / N));
}

/** Exposed part of `comm` seconds when a share `overlap` can hide behind `hideable` seconds of compute. */
function exposedSeconds(comm: number, overlap: number, hideable: number): number {
  if (comm <= 0) return 0;
  const floor = comm * (1 - overlap);
  const rest = comm - hideable;
  return floor > rest ? floor : rest;
}

function emptyBreakdown(): StepTimeBreakdown {
  return {
    compute: 0,
    recompute: 0,
    tensorComm: 0,
    pipelineBubble: 0,
    pipelineComm: 0,
    dataComm: 0,
    contextComm: 0,
    expertComm: 0,
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

function positiveInt(x: number): number {
  return Number.isFinite(x) && x >= 1 ? Math.floor(x) : 1;
}

// scratch for the stage split (neither evaluation allocates for it)
const STAGE_LAYERS: StageLayerCounts = { heaviest: 0, last: 0 };

/**
 * Step time and utilization of one layout, computed top to bottom in one pass: the model as
 * written, and the specification evaluateLayout (below) must reproduce to the bit
 * (test/performance-fastpath.test.ts compares every field on 100k layouts). Not for the search:
 * it recomputes everything per call and its helpers return boxed doubles.
 * Micro-batches per pipeline m = ⌈B/(d·b)⌉; each GPU processes b·s/c tokens per micro-batch.
 */
export function evaluateLayoutReference(
  ctx: WorkloadContext,
  layout: ParallelLayout,
  out: PerformanceEstimate = createPerformanceEstimate(),
): PerformanceEstimate {
  const t = positiveInt(layout.tensor);
  const p = positiveInt(layout.pipeline);
  const d = positiveInt(layout.data);
  const c = positiveInt(layout.context);
  const e = ctx.E > 0 ? positiveInt(layout.expert) : 1;
  const b = positiveInt(layout.microBatchSize);
  const v = layout.schedule === 'interleaved' ? positiveInt(layout.virtualStages) : 1;
  const sp = layout.sequenceParallel && t > 1;
  const recompute = layout.recompute;
  const { L, h, kv, dh, s, bytesAct, fabric } = ctx;
  const gpus = t * p * d * c;
  const m = Math.max(1, Math.ceil(ctx.B / (d * b) - 1e-9));
  const actScale = bytesAct / 2;
  const mem = ctx.memorySecondsPerByte;
  const ko = ctx.kernelOverheadSeconds;

  // ---- one layer, one micro-batch, one GPU ----
  const T = (b * s) / c; // tokens of the micro-batch on this context-parallel rank (GEMM M)
  const qkvN = ctx.qkvWidth / t;
  const attnK = ctx.attnOutWidth / t;
  // attention block GEMMs (QKV and output projection), Shoeybi et al. 2019 Sec. 3 column/row split
  const attnGemm = gemmSeconds(ctx, T, h, qkvN) + gemmSeconds(ctx, T, attnK, h);
  // dense MLP GEMMs (fc1: gate and up when gated; fc2)
  const denseMlpGemm = gemmSeconds(ctx, T, h, ctx.mlpUpWidth / t) + gemmSeconds(ctx, T, ctx.mlpDownWidth / t, h);

  // attention scores: QKᵀ and AV of T queries against s keys, non-causal count (Korthikanti Eq. 7 / flops.ts)
  const scoreFlops = (T * ctx.scoreFlopsPerTokenPerLayer) / t;
  let attnFwd: number;
  let attnBwd: number;
  let selectiveRecompute: number;
  if (ctx.flashAttention) {
    // causal FlashAttention executes half the score work; backward 2.5× forward (Dao 2022)
    attnFwd = CAUSAL_ATTENTION_WORK_FRACTION * scoreFlops * ctx.flashSecondsPerFlop + 2 * ko;
    attnBwd = FLASH_BACKWARD_TO_FORWARD * (attnFwd - 2 * ko) + 2 * ko;
    selectiveRecompute = 0; // FlashAttention already recomputes scores in its backward
  } else {
    // unfused: batched GEMMs per head (s/c × dh × s) plus the softmax/dropout traffic on a·s²·b/t scores
    const scores = (ctx.heads * T * s) / t;
    const gemm = scoreFlops * ctx.gemmSecondsPerFlop * (1 + ctx.gemmHalfIntensity * (1 / (s / c) + 1 / ctx.scoreHeadDim + 1 / s));
    attnFwd = gemm + UNFUSED_ATTENTION_FORWARD_BYTES_PER_SCORE * scores * actScale * mem + 4 * ko;
    attnBwd = 2 * gemm + UNFUSED_ATTENTION_BACKWARD_BYTES_PER_SCORE * scores * actScale * mem + 6 * ko;
    selectiveRecompute = attnFwd; // Korthikanti 2022 Sec. 5: recompute QKᵀ, softmax, dropout, AV
  }

  // memory-bound kernels: norms, bias-dropout-adds (replicated over t unless sequence parallel), MLP activation
  const hiddenBytes = (ctx.layerElementwiseBytesPerHidden * T * h * actScale) / (sp ? t : 1);
  const actBytesPerElement = ctx.mlpActivationBytesPerElement;
  const mlpActivationWidth = ctx.gated ? ctx.mlpUpWidth / 2 : ctx.mlpUpWidth;
  const denseMlpBytes = (actBytesPerElement * T * mlpActivationWidth * actScale) / t;
  // FP8: cast every GEMM input (Micikevicius et al. 2022, FP8 formats; TE casts per GEMM)
  const castAttn = ctx.fp8 ? FP8_CAST_BYTES_PER_ELEMENT * T * (h + attnK) : 0;
  const castDenseMlp = ctx.fp8 ? FP8_CAST_BYTES_PER_ELEMENT * T * (h + ctx.mlpDownWidth / t) : 0;

  const attnBlockFwd = attnGemm + attnFwd + (hiddenBytes + castAttn) * mem + KERNELS_PER_LAYER_FORWARD * ko;
  const attnBlockBwd =
    2 * attnGemm + attnBwd + (BACKWARD_ELEMENTWISE_FACTOR * hiddenBytes + castAttn) * mem + KERNELS_PER_LAYER_BACKWARD * ko;
  const denseMlpFwd = denseMlpGemm + (denseMlpBytes + castDenseMlp) * mem;
  const denseMlpBwd = 2 * denseMlpGemm + (BACKWARD_ELEMENTWISE_FACTOR * denseMlpBytes + castDenseMlp) * mem;

  // MoE block: router, shared experts, routed experts (expert weights split over e and, as Megatron's
  // default expert-tensor-parallel, over t); each local expert sees T·k·e/E tokens (balanced routing)
  let moeMlpFwd = 0;
  let moeMlpBwd = 0;
  let moeGemm = 0;
  if (ctx.moeLayers > 0) {
    const k = ctx.topK;
    const fE = ctx.fE;
    const gatedFactor = ctx.gated ? 2 : 1;
    const routerGemm = gemmSeconds(ctx, T, h, ctx.E);
    const fs = ctx.sharedExperts * fE;
    const sharedGemm = fs > 0 ? gemmSeconds(ctx, T, h, (gatedFactor * fs) / t) + gemmSeconds(ctx, T, fs / t, h) : 0;
    const Me = (T * k * e) / ctx.E;
    const localExperts = ctx.E / e;
    const routedGemm =
      localExperts * (gemmSeconds(ctx, Me, h, ctx.expertUpWidth / t) + gemmSeconds(ctx, Me, ctx.expertDownWidth / t, h));
    moeGemm = routerGemm + sharedGemm + routedGemm;
    const moeBytes =
      (actBytesPerElement * T * (k * fE + fs) * actScale) / t + MOE_PERMUTE_BYTES_PER_ELEMENT * T * k * h * actScale;
    const castMoe = ctx.fp8 ? FP8_CAST_BYTES_PER_ELEMENT * T * ((k + (fs > 0 ? 1 : 0)) * h + (k * fE + fs) / t) : 0;
    const moeKernels = 2 * localExperts + 6;
    moeMlpFwd = moeGemm + (moeBytes + castMoe) * mem + moeKernels * ko;
    moeMlpBwd = 2 * moeGemm + (BACKWARD_ELEMENTWISE_FACTOR * moeBytes + castMoe) * mem + 2 * moeKernels * ko;
  }

  const denseShare = ctx.denseLayers / L;
  const moeShare = ctx.moeLayers / L;
  const layerFwd = attnBlockFwd + denseShare * denseMlpFwd + moeShare * moeMlpFwd;
  const layerBwd = attnBlockBwd + denseShare * denseMlpBwd + moeShare * moeMlpBwd;
  const layerGemm = attnGemm + denseShare * denseMlpGemm + moeShare * moeGemm;
  const layerRecompute = recompute === 'full' ? layerFwd : recompute === 'selective' ? selectiveRecompute : 0;

  // ---- tensor-parallel communication per layer: 2 all-reduces forward, 2 backward, 2 more when the
  // forward is recomputed (Shoeybi 2019 Fig. 4); sequence parallel swaps each for reduce-scatter +
  // all-gather of the same volume (Korthikanti 2022 Sec. 4.2.2)
  const tpGroupPerDomain = membersPerDomain(t, 1, fabric.domainSize);
  const actMessage = T * h * bytesAct;
  const tpCollective = t > 1 ? allReduceSeconds(actMessage, t, tpGroupPerDomain, fabric) : 0;
  // sequence parallel also all-gathers the layer input again in backward for the weight gradients
  // of QKV and fc1 (Korthikanti 2022 Sec. 4.2.2): two all-gathers, half an all-reduce each
  const tpCollectives = (recompute === 'full' ? 6 : 4) + (sp ? 1 : 0);
  const layerTpComm = tpCollectives * tpCollective;
  const layerTpExposed = exposedSeconds(layerTpComm, ctx.tensorCommOverlap, (recompute === 'full' ? 4 : 3) * layerGemm);

  // ---- context parallel: ring attention passes the K,V chunk c−1 times forward, K,V and dK,dV backward
  // (Liu et al. 2023 Ring Attention; Megatron-Core CP), hidden behind the attention of each chunk
  let layerCpExposed = 0;
  if (c > 1) {
    const kvChunk = (2 * T * kv * dh * bytesAct) / t;
    const inside = t * c <= fabric.domainSize;
    const cpComm = 3 * (c - 1) * pointToPointSeconds(kvChunk, inside, fabric);
    layerCpExposed = exposedSeconds(cpComm, ctx.contextCommOverlap, attnFwd + attnBwd);
  }

  // ---- expert parallel: dispatch + combine all-to-all forward and backward (+ forward again on full recompute).
  // Overlap comes from running another micro-batch's attention and MLP meanwhile (DeepSeek-V3 DualPipe,
  // Sec. 3.2.1; Megatron-Core's overlapped 1F1B all-to-all), so the whole layer's compute can hide it
  let layerEpExposed = 0;
  if (ctx.moeLayers > 0 && e > 1) {
    const a2aBytes = (T * ctx.topK * h * bytesAct) / t;
    const perDomain = membersPerDomain(e, t * c, fabric.domainSize);
    const epComm = (recompute === 'full' ? 6 : 4) * allToAllSeconds(a2aBytes, e, perDomain, fabric);
    layerEpExposed = moeShare * exposedSeconds(epComm, ctx.expertCommOverlap, layerFwd + layerBwd);
  }

  // ---- LM head on the last stage: logits GEMM T×h×V/t, vocab-parallel cross entropy, its TP traffic
  const headGemm = gemmSeconds(ctx, T, h, ctx.V / t);
  const headCompute = 3 * headGemm + CROSS_ENTROPY_BYTES_PER_LOGIT * T * (ctx.V / t) * mem + 8 * ko;
  const headTp = exposedSeconds(2 * tpCollective, ctx.tensorCommOverlap, 3 * headGemm);

  // ---- one micro-batch on the critical pipeline stage. Layers split over p·v chunks as evenly as
  // possible (layout.ts stageLayerCounts, the split memory.ts uses): GPU 0 holds the most layers, the
  // last GPU possibly fewer plus the LM head; the slower of the two paces the pipeline (1F1B steady
  // state runs at the slowest stage, Narayanan 2021 Sec. 2.2). Even splits: L/p layers + the head.
  const split = stageLayerCounts(L, Math.min(p, L), v, STAGE_LAYERS);
  const layerTime = layerFwd + layerBwd + layerRecompute + layerTpExposed + layerCpExposed + layerEpExposed;
  const headTime = headCompute + headTp;
  const lastIsCritical = split.last * layerTime + headTime >= split.heaviest * layerTime;
  const lps = lastIsCritical ? split.last : split.heaviest;
  const head = lastIsCritical ? 1 : 0;
  const stageCompute = lps * (layerFwd + layerBwd) + head * headCompute;
  const stageRecompute = lps * layerRecompute;
  const stageTp = lps * layerTpExposed + head * headTp;
  const stageCp = lps * layerCpExposed;
  const stageEp = lps * layerEpExposed;
  const perMicroBatch = stageCompute + stageRecompute + stageTp + stageCp + stageEp;

  // ---- pipeline: bubble (p−1)/v average stage-times (1F1B: Narayanan 2021 Sec. 2.2.1; interleaved
  // Sec. 2.2.2), the average stage being (L layers + LM head)/p, and the point-to-point sends:
  // activation forward, gradient backward, v times per micro-batch when interleaved; 1/t of the tensor
  // each (scatter/gather)
  let bubble = 0;
  let pipelineComm = 0;
  if (p > 1) {
    const averageStage = (L * layerTime + headTime) / p;
    bubble = ((p - 1) / v) * averageStage;
    const inside = t * c * d * p <= fabric.domainSize;
    const send = pointToPointSeconds(actMessage / t, inside, fabric);
    pipelineComm = m * 2 * v * send * (1 - ctx.pipelineCommOverlap) + (p - 1) * 2 * send;
  }

  // ---- data parallel over d·c ranks (tensor-parallel ranks innermost): gradients of the most loaded
  // GPU (its layers plus embedding or LM head), 1/t each; routed experts over d·c/e ranks
  const dpRanks = d * c;
  const stageShare = split.heaviest / L;
  const nonExpertParams = (ctx.nonExpertTransformerParameters * stageShare + ctx.edgeParameters) / t;
  const expertParams = (ctx.expertParameters * stageShare) / (t * e);
  const expertDpRanks = Math.max(1, dpRanks / e);
  const dpPerDomain = membersPerDomain(dpRanks, t, fabric.domainSize);
  const edpPerDomain = membersPerDomain(expertDpRanks, t * e, fabric.domainSize);
  const reduceGradients =
    reduceScatterSeconds(nonExpertParams * ctx.gradBytes, dpRanks, dpPerDomain, fabric) +
    reduceScatterSeconds(expertParams * ctx.gradBytes, expertDpRanks, edpPerDomain, fabric);
  const gatherParameters =
    allGatherSeconds(nonExpertParams * ctx.gatherBytes, dpRanks, dpPerDomain, fabric) +
    allGatherSeconds(expertParams * ctx.gatherBytes, expertDpRanks, edpPerDomain, fabric);
  // What the traffic can hide behind. Gradients accumulate over the m micro-batches, so a once-per-step
  // reduction starts in the backward of the last one and the updated parameters are needed by the
  // forward of the first one (Megatron --overlap-grad-reduce / --overlap-param-gather, PyTorch DDP
  // no_sync): one micro-batch of the most loaded GPU, not the whole step. The first stage, which ends
  // the step, has no bubble to spare before its first forward or after its last backward.
  let dataComm: number;
  let hideable: number;
  const zero = layout.zeroStage;
  if (zero === 0) {
    // all-reduce of the gradients once per step (Li et al. 2020, PyTorch DDP)
    dataComm =
      allReduceSeconds(nonExpertParams * ctx.gradBytes, dpRanks, dpPerDomain, fabric) +
      allReduceSeconds(expertParams * ctx.gradBytes, expertDpRanks, edpPerDomain, fabric);
    hideable = perMicroBatch;
  } else if (zero === 3) {
    // ZeRO-3 / FSDP: parameters all-gathered for forward and again for backward, gradients reduce-scattered,
    // every micro-batch (Rajbhandari et al. 2020 Sec. 5.3: 1.5× the all-reduce volume per pass)
    // FSDP wraps each layer: one all-gather (×2) and reduce-scatter per layer, each paying the ring latency
    // (the bandwidth term above already covers the bytes); the embedding/LM head is one more unit
    const units = split.heaviest + 1;
    const unitLatency =
      3 * ringLatencySeconds(dpRanks, dpPerDomain, fabric) + (ctx.expertParameters > 0 ? 3 * ringLatencySeconds(expertDpRanks, edpPerDomain, fabric) : 0);
    dataComm = m * (2 * gatherParameters + reduceGradients + (units - 1) * unitLatency);
    hideable = m * perMicroBatch;
  } else if (zero === 2) {
    // ZeRO-2 keeps only its shard of the gradients, so every micro-batch's gradients are reduce-scattered
    // in its backward (Rajbhandari et al. 2020 Sec. 5.2; DeepSpeed stage 2 reduces each micro-step and
    // refuses pipeline parallelism); the updated parameters are all-gathered once per step
    dataComm = m * reduceGradients + gatherParameters;
    hideable = m * perMicroBatch;
  } else {
    // ZeRO-1 (Megatron distributed optimizer): full gradient buffer, reduce-scattered once per step,
    // updated parameters all-gathered once (Rajbhandari et al. 2020 Sec. 5.1)
    dataComm = reduceGradients + gatherParameters;
    hideable = perMicroBatch;
  }
  const dataExposed = exposedSeconds(dataComm, ctx.dataCommOverlap, hideable);

  // ---- optimizer step: memory-bound over the parameters this GPU updates (sharded by ZeRO ≥ 1)
  const updated =
    zero === 0 ? nonExpertParams + expertParams : nonExpertParams / dpRanks + expertParams / expertDpRanks;
  const optimizer = updated * ctx.optimizerBytesPerParameter * mem + ctx.stepOverheadSeconds;

  const br = out.breakdownSeconds;
  br.compute = m * stageCompute;
  br.recompute = m * stageRecompute;
  br.tensorComm = m * stageTp;
  br.contextComm = m * stageCp;
  br.expertComm = m * stageEp;
  br.pipelineBubble = bubble;
  br.pipelineComm = pipelineComm;
  br.dataComm = dataExposed;
  br.optimizer = optimizer;
  const step =
    br.compute + br.recompute + br.tensorComm + br.contextComm + br.expertComm + bubble + pipelineComm + dataExposed + optimizer;

  const hwPerToken =
    recompute === 'full'
      ? ctx.hardwareFlopsPerTokenFull
      : recompute === 'selective'
        ? ctx.hardwareFlopsPerTokenSelective
        : ctx.hardwareFlopsPerTokenNone;
  const tokensPerSecond = ctx.tokensPerStep / step;
  const modelFlopsPerGpu = (ctx.modelFlopsPerToken * tokensPerSecond) / gpus;
  out.stepSeconds = step;
  out.tokensPerSecond = tokensPerSecond;
  out.tflopsPerGpu = modelFlopsPerGpu / 1e12;
  out.mfu = modelFlopsPerGpu / ctx.peakFlopsPerSecond;
  out.hfu = (hwPerToken * tokensPerSecond) / gpus / ctx.peakFlopsPerSecond;
  out.source = 'model';
  return out;
}

// ---- The search's fast path ----
// evaluateLayoutReference split by what each part depends on, so that a search, which visits the
// same few values of each axis over and over, computes each part once:
//   layer row, keyed by (t, c, b, sp, e): one layer and the LM head for one micro-batch on one GPU
//     (compute, recomputation, exposed tensor/context/expert communication for each recompute mode)
//     and the pipeline send inside and outside the scale-up domain;
//   data row, keyed by (t, e, layers of the heaviest GPU, d·c): gradient reduce / parameter gather of
//     each ZeRO stage and the optimizer step;
//   per call: the stage split, m, the critical stage, the bubble, the pipeline sends, the ZeRO choice.
// Rows live in Float64Arrays, found through an open-addressing table keyed by the packed axis
// values, and the lookup is skipped when the key repeats. Every expression is the reference's, with the
// same operands in the same order, so the results are identical to the bit; nothing is allocated
// once the rows exist (the helpers the reference calls return boxed doubles; here they run only
// when a row is filled).

/**
 * Open-addressing hash table (linear probing, load ≤ 1/2) from a row key to its offset. A key packs
 * the raw axis values into one exactly representable double (below 2^53); the hash mixes the same
 * values as int32s.
 */
interface RowTable {
  keys: Float64Array; // −1: empty slot
  hashes: Int32Array;
  offsets: Int32Array;
  mask: number;
  size: number;
}

/** evaluateLayout's rows for one WorkloadContext (see above). Opaque; mutated by evaluateLayout. */
export interface LayoutCache {
  owner: WorkloadContext;
  layerRowOf: RowTable;
  layerRows: Float64Array;
  layerUsed: number;
  dataRowOf: RowTable;
  dataRows: Float64Array;
  dataUsed: number;
  // the last row of each kind, by its raw key (−1: none)
  lastT: number;
  lastC: number;
  lastB: number;
  lastSp: number;
  lastE: number;
  lastLayerRow: number;
  lastDataT: number;
  lastDataE: number;
  lastHeaviest: number;
  lastDc: number;
  lastDataRow: number;
}

// layer row (16 doubles, two cache lines): fields, then 3 per recompute mode (none, selective, full)
const LAYER_FWD_BWD = 0; // layerFwd + layerBwd
const LAYER_CP = 1; // layerCpExposed
const LAYER_HEAD_COMPUTE = 2;
const LAYER_HEAD_TP = 3;
const LAYER_SEND_INSIDE = 4; // pipeline point-to-point send inside the scale-up domain
const LAYER_SEND_OUTSIDE = 5;
const LAYER_MODE = 6; // + 3·mode: layerRecompute, layerTpExposed, layerEpExposed
const LAYER_ROW = 16;
// data row
const DATA_REDUCE = 0; // reduceGradients
const DATA_GATHER = 1; // gatherParameters
const DATA_ALL_REDUCE = 2; // ZeRO-0 gradient all-reduce
const DATA_ZERO3_UNIT = 3; // ZeRO-3 traffic of one micro-batch
const DATA_ZERO1 = 4; // ZeRO-1 reduce-scatter + all-gather
const DATA_OPTIMIZER_FULL = 5; // optimizer step without ZeRO
const DATA_OPTIMIZER_SHARDED = 6; // optimizer step with ZeRO ≥ 1
const DATA_ROW = 8;

function emptyTable(slots: number): RowTable {
  return { keys: new Float64Array(slots).fill(-1), hashes: new Int32Array(slots), offsets: new Int32Array(slots), mask: slots - 1, size: 0 };
}

function createLayoutCache(ctx: WorkloadContext): LayoutCache {
  return {
    owner: ctx,
    layerRowOf: emptyTable(256),
    layerRows: new Float64Array(64 * LAYER_ROW),
    layerUsed: 1, // row 0: scratch for keys too large to pack
    dataRowOf: emptyTable(256),
    dataRows: new Float64Array(64 * DATA_ROW),
    dataUsed: 1,
    lastT: -1,
    lastC: -1,
    lastB: -1,
    lastSp: -1,
    lastE: -1,
    lastLayerRow: 0,
    lastDataT: -1,
    lastDataE: -1,
    lastHeaviest: -1,
    lastDc: -1,
    lastDataRow: 0,
  };
}

/** The slot holding `key`, or the empty slot where it would go. */
function tableSlot(tb: RowTable, key: number, hash: number): number {
  let i = hash & tb.mask;
  for (;;) {
    const k = tb.keys[i] as number;
    if (k === key || k === -1) return i;
    i = (i + 1) & tb.mask;
  }
}

function tableInsert(tb: RowTable, key: number, hash: number, offset: number): RowTable {
  if (2 * (tb.size + 1) > tb.keys.length) {
    const bigger = emptyTable(2 * tb.keys.length);
    for (let i = 0; i < tb.keys.length; i++) {
      const k = tb.keys[i] as number;
      if (k !== -1) tableInsert(bigger, k, tb.hashes[i] as number, tb.offsets[i] as number);
    }
    tb = bigger;
  }
  const i = tableSlot(tb, key, hash);
  tb.keys[i] = key;
  tb.hashes[i] = hash;
  tb.offsets[i] = offset;
  tb.size++;
  return tb;
}

/** Multiplicative mixing of up to four int32 values (Fibonacci hashing constants). */
function mix(a: number, b: number, c: number, d: number): number {
  const x = a ^ Math.imul(b, 0x2545f491) ^ Math.imul(c, 0x6c8e9cf5) ^ Math.imul(d, 0x3c6ef372);
  return Math.imul(x ^ (x >>> 15), 0x9e3779b1) >>> 7;
}

function grow(rows: Float64Array, used: number, width: number): Float64Array {
  if ((used + 1) * width <= rows.length) return rows;
  const bigger = new Float64Array(rows.length * 2);
  bigger.set(rows);
  return bigger;
}

/** Offset of the layer row of (t, c, b, sp, e) in cache.layerRows, filled on first use (evaluateLayout checks the last key first). */
function layerRowOffset(ctx: WorkloadContext, cache: LayoutCache, t: number, c: number, b: number, sp: number, e: number): number {
  let off: number;
  if (t >= 2 ** 8 || c >= 2 ** 10 || e >= 2 ** 12 || b >= 2 ** 22) {
    // beyond any real layout: computed into the scratch row, not kept
    off = 0;
    fillLayerRow(ctx, t, c, b, sp === 1, e, cache.layerRows, off);
    cache.lastT = -1;
    return off;
  }
  const key = (((t * 2 ** 10 + c) * 2 ** 12 + e) * 2 ** 22 + b) * 2 + sp; // < 2^53
  const hash = mix(b * 2 + sp, e, c, t);
  const table = cache.layerRowOf;
  const slot = tableSlot(table, key, hash);
  if (table.keys[slot] === key) off = table.offsets[slot] as number;
  else {
    cache.layerRows = grow(cache.layerRows, cache.layerUsed, LAYER_ROW);
    off = cache.layerUsed++ * LAYER_ROW;
    fillLayerRow(ctx, t, c, b, sp === 1, e, cache.layerRows, off);
    cache.layerRowOf = tableInsert(table, key, hash, off);
  }
  cache.lastT = t;
  cache.lastC = c;
  cache.lastB = b;
  cache.lastSp = sp;
  cache.lastE = e;
  cache.lastLayerRow = off;
  return off;
}

/** Offset of the data row of (t, e, heaviest, d·c) in cache.dataRows, filled on first use (evaluateLayout checks the last key first). */
function dataRowOffset(ctx: WorkloadContext, cache: LayoutCache, t: number, e: number, heaviest: number, dc: number): number {
  let off: number;
  if (t >= 2 ** 8 || e >= 2 ** 12 || heaviest >= 2 ** 12 || dc >= 2 ** 21) {
    off = 0;
    fillDataRow(ctx, t, e, heaviest, dc, cache.dataRows, off);
    cache.lastDataT = -1;
    return off;
  }
  const key = ((t * 2 ** 12 + e) * 2 ** 12 + heaviest) * 2 ** 21 + dc; // < 2^53
  const hash = mix(dc, heaviest, e, t);
  const table = cache.dataRowOf;
  const slot = tableSlot(table, key, hash);
  if (table.keys[slot] === key) off = table.offsets[slot] as number;
  else {
    cache.dataRows = grow(cache.dataRows, cache.dataUsed, DATA_ROW);
    off = cache.dataUsed++ * DATA_ROW;
    fillDataRow(ctx, t, e, heaviest, dc, cache.dataRows, off);
    cache.dataRowOf = tableInsert(table, key, hash, off);
  }
  cache.lastDataT = t;
  cache.lastDataE = e;
  cache.lastHeaviest = heaviest;
  cache.lastDc = dc;
  cache.lastDataRow = off;
  return off;
}

/** The layer, LM-head and send terms of evaluateLayoutReference for (t, c, b, sp, e), each recompute mode. */
function fillLayerRow(ctx: WorkloadContext, t: number, c: number, b: number, sp: boolean, e: number, row: Float64Array, off: number): void {
  const { L, h, kv, dh, s, bytesAct, fabric } = ctx;
  const actScale = bytesAct / 2;
  const mem = ctx.memorySecondsPerByte;
  const ko = ctx.kernelOverheadSeconds;
  const T = (b * s) / c;
  const qkvN = ctx.qkvWidth / t;
  const attnK = ctx.attnOutWidth / t;
  const attnGemm = gemmSeconds(ctx, T, h, qkvN) + gemmSeconds(ctx, T, attnK, h);
  const denseMlpGemm = gemmSeconds(ctx, T, h, ctx.mlpUpWidth / t) + gemmSeconds(ctx, T, ctx.mlpDownWidth / t, h);
  const scoreFlops = (T * ctx.scoreFlopsPerTokenPerLayer) / t;
  let attnFwd: number;
  let attnBwd: number;
  let selectiveRecompute: number;
  if (ctx.flashAttention) {
    attnFwd = CAUSAL_ATTENTION_WORK_FRACTION * scoreFlops * ctx.flashSecondsPerFlop + 2 * ko;
    attnBwd = FLASH_BACKWARD_TO_FORWARD * (attnFwd - 2 * ko) + 2 * ko;
    selectiveRecompute = 0;
  } else {
    const scores = (ctx.heads * T * s) / t;
    const gemm = scoreFlops * ctx.gemmSecondsPerFlop * (1 + ctx.gemmHalfIntensity * (1 / (s / c) + 1 / ctx.scoreHeadDim + 1 / s));
    attnFwd = gemm + UNFUSED_ATTENTION_FORWARD_BYTES_PER_SCORE * scores * actScale * mem + 4 * ko;
    attnBwd = 2 * gemm + UNFUSED_ATTENTION_BACKWARD_BYTES_PER_SCORE * scores * actScale * mem + 6 * ko;
    selectiveRecompute = attnFwd;
  }
  const hiddenBytes = (ctx.layerElementwiseBytesPerHidden * T * h * actScale) / (sp ? t : 1);
  const actBytesPerElement = ctx.mlpActivationBytesPerElement;
  const mlpActivationWidth = ctx.gated ? ctx.mlpUpWidth / 2 : ctx.mlpUpWidth;
  const denseMlpBytes = (actBytesPerElement * T * mlpActivationWidth * actScale) / t;
  const castAttn = ctx.fp8 ? FP8_CAST_BYTES_PER_ELEMENT * T * (h + attnK) : 0;
  const castDenseMlp = ctx.fp8 ? FP8_CAST_BYTES_PER_ELEMENT * T * (h + ctx.mlpDownWidth / t) : 0;
  const attnBlockFwd = attnGemm + attnFwd + (hiddenBytes + castAttn) * mem + KERNELS_PER_LAYER_FORWARD * ko;
  const attnBlockBwd =
    2 * attnGemm + attnBwd + (BACKWARD_ELEMENTWISE_FACTOR * hiddenBytes + castAttn) * mem + KERNELS_PER_LAYER_BACKWARD * ko;
  const denseMlpFwd = denseMlpGemm + (denseMlpBytes + castDenseMlp) * mem;
  const denseMlpBwd = 2 * denseMlpGemm + (BACKWARD_ELEMENTWISE_FACTOR * denseMlpBytes + castDenseMlp) * mem;
  let moeMlpFwd = 0;
  let moeMlpBwd = 0;
  let moeGemm = 0;
  if (ctx.moeLayers > 0) {
    const k = ctx.topK;
    const fE = ctx.fE;
    const gatedFactor = ctx.gated ? 2 : 1;
    const routerGemm = gemmSeconds(ctx, T, h, ctx.E);
    const fs = ctx.sharedExperts * fE;
    const sharedGemm = fs > 0 ? gemmSeconds(ctx, T, h, (gatedFactor * fs) / t) + gemmSeconds(ctx, T, fs / t, h) : 0;
    const Me = (T * k * e) / ctx.E;
    const localExperts = ctx.E / e;
    const routedGemm =
      localExperts * (gemmSeconds(ctx, Me, h, ctx.expertUpWidth / t) + gemmSeconds(ctx, Me, ctx.expertDownWidth / t, h));
    moeGemm = routerGemm + sharedGemm + routedGemm;
    const moeBytes =
      (actBytesPerElement * T * (k * fE + fs) * actScale) / t + MOE_PERMUTE_BYTES_PER_ELEMENT * T * k * h * actScale;
    const castMoe = ctx.fp8 ? FP8_CAST_BYTES_PER_ELEMENT * T * ((k + (fs > 0 ? 1 : 0)) * h + (k * fE + fs) / t) : 0;
    const moeKernels = 2 * localExperts + 6;
    moeMlpFwd = moeGemm + (moeBytes + castMoe) * mem + moeKernels * ko;
    moeMlpBwd = 2 * moeGemm + (BACKWARD_ELEMENTWISE_FACTOR * moeBytes + castMoe) * mem + 2 * moeKernels * ko;
  }
  const denseShare = ctx.denseLayers / L;
  const moeShare = ctx.moeLayers / L;
  const layerFwd = attnBlockFwd + denseShare * denseMlpFwd + moeShare * moeMlpFwd;
  const layerBwd = attnBlockBwd + denseShare * denseMlpBwd + moeShare * moeMlpBwd;
  const layerGemm = attnGemm + denseShare * denseMlpGemm + moeShare * moeGemm;

  const tpGroupPerDomain = membersPerDomain(t, 1, fabric.domainSize);
  const actMessage = T * h * bytesAct;
  const tpCollective = t > 1 ? allReduceSeconds(actMessage, t, tpGroupPerDomain, fabric) : 0;

  let layerCpExposed = 0;
  if (c > 1) {
    const kvChunk = (2 * T * kv * dh * bytesAct) / t;
    const inside = t * c <= fabric.domainSize;
    const cpComm = 3 * (c - 1) * pointToPointSeconds(kvChunk, inside, fabric);
    layerCpExposed = exposedSeconds(cpComm, ctx.contextCommOverlap, attnFwd + attnBwd);
  }
  const headGemm = gemmSeconds(ctx, T, h, ctx.V / t);
  const headCompute = 3 * headGemm + CROSS_ENTROPY_BYTES_PER_LOGIT * T * (ctx.V / t) * mem + 8 * ko;
  const headTp = exposedSeconds(2 * tpCollective, ctx.tensorCommOverlap, 3 * headGemm);

  row[off + LAYER_FWD_BWD] = layerFwd + layerBwd;
  row[off + LAYER_CP] = layerCpExposed;
  row[off + LAYER_HEAD_COMPUTE] = headCompute;
  row[off + LAYER_HEAD_TP] = headTp;
  row[off + LAYER_SEND_INSIDE] = pointToPointSeconds(actMessage / t, true, fabric);
  row[off + LAYER_SEND_OUTSIDE] = pointToPointSeconds(actMessage / t, false, fabric);
  for (let mode = 0; mode < 3; mode++) {
    const full = mode === 2;
    const layerRecompute = full ? layerFwd : mode === 1 ? selectiveRecompute : 0;
    const tpCollectives = (full ? 6 : 4) + (sp ? 1 : 0);
    const layerTpComm = tpCollectives * tpCollective;
    const layerTpExposed = exposedSeconds(layerTpComm, ctx.tensorCommOverlap, (full ? 4 : 3) * layerGemm);
    let layerEpExposed = 0;
    if (ctx.moeLayers > 0 && e > 1) {
      const a2aBytes = (T * ctx.topK * h * bytesAct) / t;
      const perDomain = membersPerDomain(e, t * c, fabric.domainSize);
      const epComm = (full ? 6 : 4) * allToAllSeconds(a2aBytes, e, perDomain, fabric);
      layerEpExposed = moeShare * exposedSeconds(epComm, ctx.expertCommOverlap, layerFwd + layerBwd);
    }
    const at = off + LAYER_MODE + 3 * mode;
    row[at] = layerRecompute;
    row[at + 1] = layerTpExposed;
    row[at + 2] = layerEpExposed;
  }
}

/** The data-parallel and optimizer terms of evaluateLayoutReference for (t, e, heaviest, d·c). */
function fillDataRow(ctx: WorkloadContext, t: number, e: number, heaviest: number, dpRanks: number, row: Float64Array, off: number): void {
  const { L, fabric } = ctx;
  const mem = ctx.memorySecondsPerByte;
  const stageShare = heaviest / L;
  const nonExpertParams = (ctx.nonExpertTransformerParameters * stageShare + ctx.edgeParameters) / t;
  const expertParams = (ctx.expertParameters * stageShare) / (t * e);
  const expertDpRanks = Math.max(1, dpRanks / e);
  const dpPerDomain = membersPerDomain(dpRanks, t, fabric.domainSize);
  const edpPerDomain = membersPerDomain(expertDpRanks, t * e, fabric.domainSize);
  const reduceGradients =
    reduceScatterSeconds(nonExpertParams * ctx.gradBytes, dpRanks, dpPerDomain, fabric) +
    reduceScatterSeconds(expertParams * ctx.gradBytes, expertDpRanks, edpPerDomain, fabric);
  const gatherParameters =
    allGatherSeconds(nonExpertParams * ctx.gatherBytes, dpRanks, dpPerDomain, fabric) +
    allGatherSeconds(expertParams * ctx.gatherBytes, expertDpRanks, edpPerDomain, fabric);
  const units = heaviest + 1;
  const unitLatency =
    3 * ringLatencySeconds(dpRanks, dpPerDomain, fabric) + (ctx.expertParameters > 0 ? 3 * ringLatencySeconds(expertDpRanks, edpPerDomain, fabric) : 0);
  row[off + DATA_REDUCE] = reduceGradients;
  row[off + DATA_GATHER] = gatherParameters;
  row[off + DATA_ALL_REDUCE] =
    allReduceSeconds(nonExpertParams * ctx.gradBytes, dpRanks, dpPerDomain, fabric) +
    allReduceSeconds(expertParams * ctx.gradBytes, expertDpRanks, edpPerDomain, fabric);
  row[off + DATA_ZERO3_UNIT] = 2 * gatherParameters + reduceGradients + (units - 1) * unitLatency;
  row[off + DATA_ZERO1] = reduceGradients + gatherParameters;
  row[off + DATA_OPTIMIZER_FULL] = (nonExpertParams + expertParams) * ctx.optimizerBytesPerParameter * mem + ctx.stepOverheadSeconds;
  row[off + DATA_OPTIMIZER_SHARDED] =
    (nonExpertParams / dpRanks + expertParams / expertDpRanks) * ctx.optimizerBytesPerParameter * mem + ctx.stepOverheadSeconds;
}

/**
 * Step time and utilization of one layout: the search's fast path, no allocation when `out` is
 * given (after the first layouts of a workload fill the rows). Same figures as
 * evaluateLayoutReference, to the bit. Treat `ctx` as immutable once evaluated (its rows are kept on it).
 * Micro-batches per pipeline m = ⌈B/(d·b)⌉; each GPU processes b·s/c tokens per micro-batch.
 */
export function evaluateLayout(
  ctx: WorkloadContext,
  layout: ParallelLayout,
  out: PerformanceEstimate = createPerformanceEstimate(),
): PerformanceEstimate {
  const t = positiveInt(layout.tensor);
  const p = positiveInt(layout.pipeline);
  const d = positiveInt(layout.data);
  const c = positiveInt(layout.context);
  const e = ctx.E > 0 ? positiveInt(layout.expert) : 1;
  const b = positiveInt(layout.microBatchSize);
  const v = layout.schedule === 'interleaved' ? positiveInt(layout.virtualStages) : 1;
  const sp = layout.sequenceParallel && t > 1 ? 1 : 0;
  const recompute = layout.recompute;
  const mode = recompute === 'full' ? 2 : recompute === 'selective' ? 1 : 0;
  const zero = layout.zeroStage;
  let cache = ctx.cache;
  if (cache === undefined || cache.owner !== ctx) cache = ctx.cache = createLayoutCache(ctx);
  const L = ctx.L;
  const gpus = t * p * d * c;
  const m = Math.max(1, Math.ceil(ctx.B / (d * b) - 1e-9));
  const split = stageLayerCounts(L, Math.min(p, L), v, STAGE_LAYERS);
  const heaviest = split.heaviest;
  const last = split.last;

  // one micro-batch on the critical stage (evaluateLayoutReference: the last stage with the LM head, or the heaviest)
  // the last row's key first: inline and cheap; the lookup stays out of line so that V8 inlines the small helpers instead
  const lo =
    t === cache.lastT && c === cache.lastC && b === cache.lastB && sp === cache.lastSp && e === cache.lastE
      ? cache.lastLayerRow
      : layerRowOffset(ctx, cache, t, c, b, sp, e);
  const lr = cache.layerRows;
  const at = lo + LAYER_MODE + 3 * mode;
  const fwdBwd = lr[lo + LAYER_FWD_BWD] as number;
  const layerRecompute = lr[at] as number;
  const layerTpExposed = lr[at + 1] as number;
  const layerEpExposed = lr[at + 2] as number;
  const layerCpExposed = lr[lo + LAYER_CP] as number;
  const layerTime = fwdBwd + layerRecompute + layerTpExposed + layerCpExposed + layerEpExposed;
  const headCompute = lr[lo + LAYER_HEAD_COMPUTE] as number;
  const headTp = lr[lo + LAYER_HEAD_TP] as number;
  const headTime = headCompute + headTp;
  const lastIsCritical = last * layerTime + headTime >= heaviest * layerTime;
  const lps = lastIsCritical ? last : heaviest;
  const head = lastIsCritical ? 1 : 0;
  const stageCompute = lps * fwdBwd + head * headCompute;
  const stageRecompute = lps * layerRecompute;
  const stageTp = lps * layerTpExposed + head * headTp;
  const stageCp = lps * layerCpExposed;
  const stageEp = lps * layerEpExposed;
  const perMicroBatch = stageCompute + stageRecompute + stageTp + stageCp + stageEp;

  // pipeline bubble and sends
  let bubble = 0;
  let pipelineComm = 0;
  if (p > 1) {
    const averageStage = (L * layerTime + headTime) / p;
    bubble = ((p - 1) / v) * averageStage;
    const send = (t * c * d * p <= ctx.fabric.domainSize ? lr[lo + LAYER_SEND_INSIDE] : lr[lo + LAYER_SEND_OUTSIDE]) as number;
    pipelineComm = m * 2 * v * send * (1 - ctx.pipelineCommOverlap) + (p - 1) * 2 * send;
  }

  // data parallel and optimizer
  const dc = d * c;
  const dataOff =
    t === cache.lastDataT && e === cache.lastDataE && heaviest === cache.lastHeaviest && dc === cache.lastDc
      ? cache.lastDataRow
      : dataRowOffset(ctx, cache, t, e, heaviest, dc);
  const dr = cache.dataRows;
  let dataComm: number;
  let hideable: number;
  if (zero === 0) {
    dataComm = dr[dataOff + DATA_ALL_REDUCE] as number;
    hideable = perMicroBatch;
  } else if (zero === 3) {
    dataComm = m * (dr[dataOff + DATA_ZERO3_UNIT] as number);
    hideable = m * perMicroBatch;
  } else if (zero === 2) {
    dataComm = m * (dr[dataOff + DATA_REDUCE] as number) + (dr[dataOff + DATA_GATHER] as number);
    hideable = m * perMicroBatch;
  } else {
    dataComm = dr[dataOff + DATA_ZERO1] as number;
    hideable = perMicroBatch;
  }
  // exposedSeconds, inline (a call would box its result)
  let dataExposed = 0;
  if (dataComm > 0) {
    const floor = dataComm * (1 - ctx.dataCommOverlap);
    const rest = dataComm - hideable;
    dataExposed = floor > rest ? floor : rest;
  }
  const optimizer = (zero === 0 ? dr[dataOff + DATA_OPTIMIZER_FULL] : dr[dataOff + DATA_OPTIMIZER_SHARDED]) as number;

  const compute = m * stageCompute;
  const recomputeSeconds = m * stageRecompute;
  const tensorComm = m * stageTp;
  const contextComm = m * stageCp;
  const expertComm = m * stageEp;
  const br = out.breakdownSeconds;
  br.compute = compute;
  br.recompute = recomputeSeconds;
  br.tensorComm = tensorComm;
  br.contextComm = contextComm;
  br.expertComm = expertComm;
  br.pipelineBubble = bubble;
  br.pipelineComm = pipelineComm;
  br.dataComm = dataExposed;
  br.optimizer = optimizer;
  const step = compute + recomputeSeconds + tensorComm + contextComm + expertComm + bubble + pipelineComm + dataExposed + optimizer;

  const hwPerToken =
    mode === 2 ? ctx.hardwareFlopsPerTokenFull : mode === 1 ? ctx.hardwareFlopsPerTokenSelective : ctx.hardwareFlopsPerTokenNone;
  const tokensPerSecond = ctx.tokensPerStep / step;
  const modelFlopsPerGpu = (ctx.modelFlopsPerToken * tokensPerSecond) / gpus;
  out.stepSeconds = step;
  out.tokensPerSecond = tokensPerSecond;
  out.tflopsPerGpu = modelFlopsPerGpu / 1e12;
  out.mfu = modelFlopsPerGpu / ctx.peakFlopsPerSecond;
  out.hfu = (hwPerToken * tokensPerSecond) / gpus / ctx.peakFlopsPerSecond;
  out.source = 'model';
  return out;
}

/** Step time, throughput, MFU/HFU and where the time goes, for one workload, accelerator and layout. */
export function estimatePerformance(
  shape: ModelShape,
  counts: ParameterCounts,
  training: TrainingSetup,
  layout: ParallelLayout,
  accelerator: Accelerator,
  options?: PerformanceOptions,
): PerformanceEstimate {
  return evaluateLayout(prepareWorkload(shape, counts, training, accelerator, options), layout);
}

/**
 * The efficiency.mfu override: a user who knows their MFU. Throughput = mfu · gpus · peak / model
 * FLOPs per token (PaLM App. B definition); the whole step is reported as compute.
 */
export function performanceFromMfu(
  modelFlopsPerTokenValue: number,
  training: TrainingSetup,
  gpus: number,
  accelerator: Accelerator,
  mfu: number,
): PerformanceEstimate {
  const peak = peakFlopsForPrecision(accelerator, training.precision);
  const n = Math.max(1, gpus);
  const u = Number.isFinite(mfu) && mfu > 0 ? mfu : defaultMfu(accelerator);
  const perToken = modelFlopsPerTokenValue > 0 ? modelFlopsPerTokenValue : 1;
  const tokensPerSecond = (u * n * peak) / perToken;
  const stepSeconds = (Math.max(1, training.globalBatchSequences) * Math.max(1, training.sequenceLength)) / tokensPerSecond;
  const breakdownSeconds = emptyBreakdown();
  breakdownSeconds.compute = stepSeconds;
  return {
    stepSeconds,
    tokensPerSecond,
    tflopsPerGpu: (u * peak) / 1e12,
    mfu: u,
    hfu: u,
    breakdownSeconds,
    source: 'override',
  };
}

/** The documented per-generation MFU (calibration.ts) used when nothing better is available. */
export function defaultMfu(accelerator: Accelerator): number {
  return calibrationFor(accelerator.generation).defaultMfu;
}
