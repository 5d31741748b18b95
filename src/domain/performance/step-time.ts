// Step time of one global batch, and the MFU / HFU that follow from it, for a workload, an
// accelerator and a parallel layout. An analytic model in the style of Narayanan et al. 2021
// (Megatron PTD-P, Sec. 3) and Calculon (Isaev et al. 2023): per micro-batch compute of each layer
// from its GEMM shapes at a shape-dependent share of the dense peak, attention, the memory-bound
// kernels at HBM speed, recomputation by mode; tensor-, context-, expert-, pipeline- and
// data-parallel communication from ring/tree/all-to-all cost models (collectives.ts) with the share
// each framework overlaps; the pipeline bubble (p−1)/(m·v); the optimizer step.
// Constants: src/domain/performance/calibration.ts (per accelerator generation, each with its source).
//
// Hot path: the layout search calls evaluateLayout(context, layout, out) millions of times; it
// allocates nothing when `out` comes from createPerformanceEstimate(). prepareWorkload()
// (workload-context.ts) does the per-workload work once; evaluateLayout keeps the per-layer and per-data-group terms it computes on
// the context (see "The search's fast path"), and evaluateLayoutReference
// (step-time-reference.ts) is the same model in one straightforward pass, which the fast path
// reproduces to the bit.
import type { Accelerator, ModelShape, ParallelLayout, ParameterCounts, PerformanceEstimate, TrainingSetup } from '../core/index.js';
import { stageLayerCounts, type StageLayerCounts } from '../layouts/index.js';
import { BACKWARD_ELEMENTWISE_FACTOR, CAUSAL_ATTENTION_WORK_FRACTION, CROSS_ENTROPY_BYTES_PER_LOGIT, FLASH_BACKWARD_TO_FORWARD, FP8_CAST_BYTES_PER_ELEMENT, KERNELS_PER_LAYER_BACKWARD, KERNELS_PER_LAYER_FORWARD, MOE_PERMUTE_BYTES_PER_ELEMENT, UNFUSED_ATTENTION_BACKWARD_BYTES_PER_SCORE, UNFUSED_ATTENTION_FORWARD_BYTES_PER_SCORE, calibrationFor } from './calibration.js';
import {
  allGatherSeconds,
  allReduceSeconds,
  allToAllSeconds,
  membersPerDomain,
  pointToPointSeconds,
  reduceScatterSeconds,
  ringLatencySeconds,
} from './collectives.js';

import { DUALPIPE_BUBBLE_STAGE_FRACTION, SAVE_MATMULS_RECOMPUTED_GEMM_SHARE, createPerformanceEstimate, emptyBreakdown, exposedSeconds, gemmSeconds, peakFlopsForPrecision, positiveInt, prepareWorkload, type PerformanceOptions, type WorkloadContext } from './workload-context.js';

// scratch for the stage split (neither evaluation allocates for it)
const STAGE_LAYERS: StageLayerCounts = { heaviest: 0, last: 0 };

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
const LAYER_MODE = 6; // + 4·mode: layerRecompute, layerTpExposed, layerEpExposed, layerHost
const LAYER_ROW = 24;
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
  const selectiveReplay = ctx.selectiveSavesMatmuls
    ? SAVE_MATMULS_RECOMPUTED_GEMM_SHARE * layerGemm + (hiddenBytes + denseShare * (denseMlpBytes + castDenseMlp) + castAttn) * mem
    : selectiveRecompute;
  for (let mode = 0; mode < 3; mode++) {
    const full = mode === 2;
    const layerRecompute = full ? layerFwd : mode === 1 ? selectiveReplay : 0;
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
    const gpuLayer = layerFwd + layerBwd + layerRecompute + layerTpExposed + layerCpExposed + layerEpExposed;
    const hostLayer = (full ? 4 : 3) * ctx.hostSecondsPerLayerPass + (t > 1 ? tpCollectives * ctx.hostSecondsPerCollective : 0);
    const at = off + LAYER_MODE + 4 * mode;
    row[at] = layerRecompute;
    row[at + 1] = layerTpExposed;
    row[at + 2] = layerEpExposed;
    row[at + 3] = hostLayer > gpuLayer ? hostLayer - gpuLayer : 0;
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
  const split = stageLayerCounts(L, Math.min(p, L), v, STAGE_LAYERS, ctx.stageSplit);
  const heaviest = split.heaviest;
  const last = split.last;
  const dual = layout.schedule === 'dualpipe' && p > 1;
  const stateLayers = dual ? 2 * heaviest : heaviest;

  // one micro-batch on the critical stage (evaluateLayoutReference: the last stage with the LM head, or the heaviest)
  // the last row's key first: inline and cheap; the lookup stays out of line so that V8 inlines the small helpers instead
  const lo =
    t === cache.lastT && c === cache.lastC && b === cache.lastB && sp === cache.lastSp && e === cache.lastE
      ? cache.lastLayerRow
      : layerRowOffset(ctx, cache, t, c, b, sp, e);
  const lr = cache.layerRows;
  const at = lo + LAYER_MODE + 4 * mode;
  const fwdBwd = lr[lo + LAYER_FWD_BWD] as number;
  const layerRecompute = lr[at] as number;
  const layerTpExposed = lr[at + 1] as number;
  const layerEpExposed = lr[at + 2] as number;
  const layerCpExposed = lr[lo + LAYER_CP] as number;
  const layerHost = lr[at + 3] as number;
  const layerTime = fwdBwd + layerRecompute + layerTpExposed + layerCpExposed + layerEpExposed + layerHost;
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
  const stageHost = lps * layerHost;
  const perMicroBatch = stageCompute + stageRecompute + stageTp + stageCp + stageEp + stageHost;

  // pipeline bubble and sends
  let bubble = 0;
  let pipelineComm = 0;
  if (p > 1) {
    const averageStage = (L * layerTime + headTime) / p;
    bubble = dual ? (p / 2 - 1) * DUALPIPE_BUBBLE_STAGE_FRACTION * averageStage : ((p - 1) / v) * averageStage;
    const send = (t * c * d * p <= ctx.fabric.domainSize ? lr[lo + LAYER_SEND_INSIDE] : lr[lo + LAYER_SEND_OUTSIDE]) as number;
    pipelineComm = m * 2 * v * send * (1 - ctx.pipelineCommOverlap) + (p - 1) * 2 * send;
  }

  // data parallel and optimizer
  const dc = d * c;
  const dataOff =
    t === cache.lastDataT && e === cache.lastDataE && stateLayers === cache.lastHeaviest && dc === cache.lastDc
      ? cache.lastDataRow
      : dataRowOffset(ctx, cache, t, e, stateLayers, dc);
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
  const hostOverhead = m * stageHost;
  const br = out.breakdownSeconds;
  br.compute = compute;
  br.recompute = recomputeSeconds;
  br.tensorComm = tensorComm;
  br.contextComm = contextComm;
  br.expertComm = expertComm;
  br.hostOverhead = hostOverhead;
  br.pipelineBubble = bubble;
  br.pipelineComm = pipelineComm;
  br.dataComm = dataExposed;
  br.optimizer = optimizer;
  const step = compute + recomputeSeconds + tensorComm + contextComm + expertComm + hostOverhead + bubble + pipelineComm + dataExposed + optimizer;

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

