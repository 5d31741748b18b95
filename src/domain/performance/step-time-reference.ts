// The step-time model written top to bottom in one pass: the readable specification of the model,
// and the oracle the search's cached fast path (step-time.ts evaluateLayout) reproduces to the bit
// (test/performance-fastpath.test.ts compares every field on about 100k layouts). Not for the
// search: it recomputes everything per call.
import type { ParallelLayout, PerformanceEstimate } from '../core/index.js';
import { stageLayerCounts, type StageLayerCounts } from '../layouts/index.js';
import { BACKWARD_ELEMENTWISE_FACTOR, CAUSAL_ATTENTION_WORK_FRACTION, CROSS_ENTROPY_BYTES_PER_LOGIT, FLASH_BACKWARD_TO_FORWARD, FP8_CAST_BYTES_PER_ELEMENT, KERNELS_PER_LAYER_BACKWARD, KERNELS_PER_LAYER_FORWARD, MOE_PERMUTE_BYTES_PER_ELEMENT, UNFUSED_ATTENTION_BACKWARD_BYTES_PER_SCORE, UNFUSED_ATTENTION_FORWARD_BYTES_PER_SCORE } from './calibration.js';
import {
  allGatherSeconds,
  allReduceSeconds,
  allToAllSeconds,
  membersPerDomain,
  pointToPointSeconds,
  reduceScatterSeconds,
  ringLatencySeconds,
} from './collectives.js';

import { DUALPIPE_BUBBLE_STAGE_FRACTION, SAVE_MATMULS_RECOMPUTED_GEMM_SHARE, createPerformanceEstimate, exposedSeconds, gemmSeconds, positiveInt, type WorkloadContext } from './workload-context.js';

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
  const dual = layout.schedule === 'dualpipe' && positiveInt(layout.pipeline) > 1;
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
  // torchtitan op SAC replays every second matmul and every memory-bound op of the forward (not the attention kernel)
  const selectiveReplay = ctx.selectiveSavesMatmuls
    ? SAVE_MATMULS_RECOMPUTED_GEMM_SHARE * layerGemm + (hiddenBytes + denseShare * (denseMlpBytes + castDenseMlp) + castAttn) * mem
    : selectiveRecompute;
  const layerRecompute = recompute === 'full' ? layerFwd : recompute === 'selective' ? selectiveReplay : 0;

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
  // possible (layouts/rules.ts stageLayerCounts, the split memory/per-gpu.ts uses): GPU 0 holds the most layers, the
  // last GPU possibly fewer plus the LM head; the slower of the two paces the pipeline (1F1B steady
  // state runs at the slowest stage, Narayanan 2021 Sec. 2.2). Even splits: L/p layers + the head.
  const split = stageLayerCounts(L, Math.min(p, L), v, STAGE_LAYERS, ctx.stageSplit);
  // ---- host floor: the GPU runs a layer no faster than the host launches it, forward 1 pass, backward 2,
  // full recompute 1 more, plus each tensor-parallel collective call (StackCalibration, fitted per framework);
  // async launches hide the host entirely once the GPU work is longer (CUDA streams)
  const gpuLayer = layerFwd + layerBwd + layerRecompute + layerTpExposed + layerCpExposed + layerEpExposed;
  const hostLayer =
    (recompute === 'full' ? 4 : 3) * ctx.hostSecondsPerLayerPass + (t > 1 ? tpCollectives * ctx.hostSecondsPerCollective : 0);
  const layerHost = hostLayer > gpuLayer ? hostLayer - gpuLayer : 0;
  const layerTime = gpuLayer + layerHost;
  const headTime = headCompute + headTp;
  const lastIsCritical = split.last * layerTime + headTime >= split.heaviest * layerTime;
  const lps = lastIsCritical ? split.last : split.heaviest;
  const head = lastIsCritical ? 1 : 0;
  const stageCompute = lps * (layerFwd + layerBwd) + head * headCompute;
  const stageRecompute = lps * layerRecompute;
  const stageTp = lps * layerTpExposed + head * headTp;
  const stageCp = lps * layerCpExposed;
  const stageEp = lps * layerEpExposed;
  const stageHost = lps * layerHost;
  const perMicroBatch = stageCompute + stageRecompute + stageTp + stageCp + stageEp + stageHost;

  // ---- pipeline: bubble (p−1)/v average stage-times (1F1B: Narayanan 2021 Sec. 2.2.1; interleaved
  // Sec. 2.2.2), the average stage being (L layers + LM head)/p, and the point-to-point sends:
  // activation forward, gradient backward, v times per micro-batch when interleaved; 1/t of the tensor
  // each (scatter/gather)
  let bubble = 0;
  let pipelineComm = 0;
  if (p > 1) {
    const averageStage = (L * layerTime + headTime) / p;
    // DualPipe (DeepSeek-V3 Table 2): (p/2 − 1)(F&B + B − 3W) against 1F1B's (p − 1)(F + B)
    bubble = dual ? (p / 2 - 1) * DUALPIPE_BUBBLE_STAGE_FRACTION * averageStage : ((p - 1) / v) * averageStage;
    const inside = t * c * d * p <= fabric.domainSize;
    const send = pointToPointSeconds(actMessage / t, inside, fabric);
    pipelineComm = m * 2 * v * send * (1 - ctx.pipelineCommOverlap) + (p - 1) * 2 * send;
  }

  // ---- data parallel over d·c ranks (tensor-parallel ranks innermost): gradients of the most loaded
  // GPU (its layers plus embedding or LM head), 1/t each; routed experts over d·c/e ranks
  const dpRanks = d * c;
  // DualPipe keeps two copies of the parameters: each GPU reduces the gradients of two stages
  const stateLayers = dual ? 2 * split.heaviest : split.heaviest;
  const stageShare = stateLayers / L;
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
    const units = stateLayers + 1;
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
  br.hostOverhead = m * stageHost;
  br.pipelineBubble = bubble;
  br.pipelineComm = pipelineComm;
  br.dataComm = dataExposed;
  br.optimizer = optimizer;
  const step =
    br.compute + br.recompute + br.tensorComm + br.contextComm + br.expertComm + br.hostOverhead + bubble + pipelineComm + dataExposed + optimizer;

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
