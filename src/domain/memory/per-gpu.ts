// Per-GPU memory of the most loaded GPU of a parallel layout: model states (by precision,
// optimizer, ZeRO stage and model-parallel sharding), activations (per-operation sum, pipeline
// in-flight micro-batches), logits and edge-stage buffers, and the named overheads.
// Two entry points share one code path: estimateMemory (the full breakdown, any caller) and the
// layout search's fast path, prepareMemory once per request + evaluateMemoryBytes per layout
// (allocation-free, per-layer activation bytes cached, only the stages that can be the maximum
// evaluated). Both run fillPlan + evaluateStage, so their totals are identical to the bit.
import type {
  Accelerator, MemoryBreakdown, MemoryEstimate, ModelShape, ParallelLayout, ParameterCounts, RecomputeMode, TrainingSetup,
} from '../core/index.js';
import {
  DEFAULT_MEMORY_OPTIONS, activationElementBytes, layerActivationBytes, layerActivationContext,
  type LayerActivationContext, type MemoryOptions,
} from './activations.js';
import { modelStateBytesPerParameter } from './states.js';
import { chunkLayers, type StageSplit } from '../layouts/index.js';


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

/**
 * Dense-MLP and MoE layers of each pipeline stage, written into dense[0..p) and moe[0..p) (both at
 * least p long; the first denseLayers of the model are dense-MLP layers, the rest MoE layers). The
 * model is cut into C = p·v chunks as evenly as possible, the L mod C extra layers on the earliest
 * chunks; chunk j runs on stage j mod p (Narayanan 2021 Sec. 2.2.2: stage i holds chunks i, i+p, …).
 * With base = ⌊L/C⌋ and r = L mod C, stage 0 holds v·base + ⌈r/p⌉ layers (the most) and the last
 * stage v·base + ⌊r/p⌋: the split layouts/rules.ts stageLayerCounts gives the time model. v = 1: ⌈L/p⌉ on
 * the first L mod p stages, ⌊L/p⌋ on the rest. With split 'edges-as-layers' the embedding and the
 * LM head count as one layer each (Llama 3 405B: 126 layers on 16 stages as 7, 8, …, 8, 7).
 */
export function stageLayerSplit(
  layers: number, denseLayers: number, p: number, v: number, dense: Int32Array, moe: Int32Array, split: StageSplit = 'even',
): void {
  const C = p * v;
  dense.fill(0, 0, p);
  moe.fill(0, 0, p);
  let start = 0;
  for (let j = 0; j < C; j++) {
    const i = j % p;
    // layouts/rules.ts chunkLayers: the same split the time model's stageLayerCounts closes over
    const end = Math.min(layers, start + chunkLayers(layers, C, j, split));
    const nDense = Math.max(0, Math.min(end, denseLayers) - start);
    dense[i] = (dense[i] as number) + nDense;
    moe[i] = (moe[i] as number) + (end - start - nDense);
    start = end;
  }
}

/** Per-layout scalars: everything the stage loop reads. */
interface Plan {
  p: number; v: number; m: number;
  /** DualPipe: GPU i holds stages i and p−1−i (the stage tables are folded per GPU; v = 1) */
  dual: boolean;
  /** activation bytes of one dense / MoE layer for one micro-batch, and the recompute working set */
  actDense: number; actMoe: number; wsDense: number; wsMoe: number;
  /** model-state bytes per parameter after ZeRO, non-expert (ne*) and expert (ex*) */
  neW: number; neG: number; neO: number; exW: number; exG: number; exO: number;
  /** parameters per GPU of one dense layer, one MoE layer (non-expert / expert), the embedding and the LM head */
  neDenseParams: number; neMoeParams: number; exMoeParams: number; embeddingParams: number; headParams: number;
  stageOutputBytes: number; embeddingMaskBytes: number; lastStageLossBytes: number;
  commBaseBytes: number; ncclBytes: number; zero3UnitFactor: number;
}

function emptyPlan(): Plan {
  return {
    p: 1, v: 1, m: 1, dual: false, actDense: 0, actMoe: 0, wsDense: 0, wsMoe: 0,
    neW: 0, neG: 0, neO: 0, exW: 0, exG: 0, exO: 0,
    neDenseParams: 0, neMoeParams: 0, exMoeParams: 0, embeddingParams: 0, headParams: 0,
    stageOutputBytes: 0, embeddingMaskBytes: 0, lastStageLossBytes: 0,
    commBaseBytes: 0, ncclBytes: 0, zero3UnitFactor: 0,
  };
}

/** One stage's breakdown (scratch: no allocation per stage). */
interface StageScratch {
  weights: number; gradients: number; optimizer: number; activations: number; logits: number;
  comm: number; fragmentation: number; total: number; inFlight: number; perLayer: number;
}

function emptyStage(): StageScratch {
  return { weights: 0, gradients: 0, optimizer: 0, activations: 0, logits: 0, comm: 0, fragmentation: 0, total: 0, inFlight: 0, perLayer: 0 };
}

const RECOMPUTE_BY_INDEX: readonly RecomputeMode[] = ['none', 'selective', 'full'];
/** per (t, c, b) row: 2 (sequence parallel) × 3 (recompute) × 2 (dense / MoE layer) activation sums */
const ROW = 12;
/** distinct values per axis (t, c, b) the activation cache indexes; one more and it starts over */
const AXIS_LIMIT = 1024;

/**
 * Everything about a workload the memory model needs, normalised once (prepareMemory), plus the
 * caches and scratch the per-layout evaluation reuses. Treat as opaque; one per request (it is
 * mutated by every evaluation, so not shared between concurrent users).
 */
export interface MemoryContext {
  shape: ModelShape;
  gpuMemoryBytes: number;
  L: number; denseLayers: number; moe: boolean; hasDense: boolean; hasMoe: boolean;
  h: number; V: number; kvWidth: number; s: number; B: number; actB: number; tied: boolean;
  stateW: number; stateG: number; stateO: number;
  attnParams: number; denseMlpParams: number; nonExpertMoeParams: number; expertParams: number;
  normParams: number; embeddingParams: number; lmHeadParams: number;
  policy: 'attention-core' | 'save-matmuls';
  stageSplit: StageSplit;
  dealloc: boolean; dropout: boolean; logitBytes: number; fragmentation: number; cudaBytes: number;
  /** per-layer activation context handed to memory/activations.ts (t, c, b, sp set per lookup) */
  act: LayerActivationContext;
  /** activation cache: axis value → index maps, (t, c, b) index key → row offset, rows (NaN = not yet computed) */
  tIndex: Map<number, number>; cIndex: Map<number, number>; bIndex: Map<number, number>;
  rowOf: Map<number, number>; rows: Float64Array; rowsUsed: number;
  lastT: number; lastC: number; lastB: number; lastRow: number;
  /** stage cache: (p, v) key → offset in stageData of [n, (stage, dense layers, MoE layers) × n] */
  stageOf: Map<number, number>; stageData: Int32Array; stageUsed: number;
  lastP: number; lastV: number; lastStages: number;
  /** per-stage layer counts (scratch, grown on demand) */
  dense: Int32Array; moeCount: Int32Array;
  plan: Plan; stage: StageScratch; best: StageScratch;
}

/**
 * Prepare the memory model for one workload: per-shape constants, normalised options, and empty
 * caches for per-layer activation bytes (keyed by t, c, b, sequence parallelism, recomputation)
 * and per-(p, v) stage layer splits. evaluateMemoryBytes then runs without allocating.
 */
export function prepareMemory(
  shape: ModelShape, counts: ParameterCounts, training: TrainingSetup, accelerator: Accelerator,
  options?: MemoryOptions,
): MemoryContext {
  return fillContext(emptyContext(shape), shape, counts, training, accelerator.memoryBytes, options);
}

function emptyContext(shape: ModelShape): MemoryContext {
  return {
    shape, gpuMemoryBytes: 0,
    L: 1, denseLayers: 0, moe: false, hasDense: true, hasMoe: false,
    h: 0, V: 0, kvWidth: 0, s: 1, B: 1, actB: 2, tied: false, stateW: 0, stateG: 0, stateO: 0,
    attnParams: 0, denseMlpParams: 0, nonExpertMoeParams: 0, expertParams: 0, normParams: 0, embeddingParams: 0, lmHeadParams: 0,
    policy: 'attention-core', stageSplit: 'even', dealloc: true, dropout: false, logitBytes: 4, fragmentation: 0, cudaBytes: 0,
    act: { s: 1, b: 1, t: 1, c: 1, sp: false, actBytes: 2, flash: true, dropout: false, fused: true },
    tIndex: new Map(), cIndex: new Map(), bIndex: new Map(), rowOf: new Map(), rows: new Float64Array(16 * ROW).fill(NaN), rowsUsed: 0,
    lastT: -1, lastC: -1, lastB: -1, lastRow: -1,
    stageOf: new Map(), stageData: new Int32Array(256), stageUsed: 0, lastP: -1, lastV: -1, lastStages: -1,
    dense: new Int32Array(16), moeCount: new Int32Array(16),
    plan: emptyPlan(), stage: emptyStage(), best: emptyStage(),
  };
}

function fillContext(
  ctx: MemoryContext, shape: ModelShape, counts: ParameterCounts, training: TrainingSetup, gpuMemoryBytes: number,
  options: MemoryOptions | undefined,
): MemoryContext {
  const L = Math.max(1, shape.layers);
  const moe = shape.moe !== undefined && shape.moe.experts > 0;
  const denseLayers = moe ? Math.min(L, Math.max(0, shape.moe?.denseLayers ?? 0)) : L;
  ctx.shape = shape;
  ctx.gpuMemoryBytes = gpuMemoryBytes;
  ctx.L = L; ctx.denseLayers = denseLayers; ctx.moe = moe;
  ctx.hasDense = denseLayers > 0; ctx.hasMoe = denseLayers < L;
  ctx.h = shape.hiddenSize; ctx.V = shape.vocabSize; // K and V widths (MLA: per-head keys qk and values v after the up-projections)
  ctx.kvWidth = shape.mla ? (shape.attentionHeads * (shape.mla.qkNopeHeadDim + shape.mla.qkRopeHeadDim + shape.mla.vHeadDim)) / 2 : shape.kvHeads * shape.headDim;
  ctx.s = training.sequenceLength; ctx.B = training.globalBatchSequences;
  ctx.actB = activationElementBytes(training.precision);
  ctx.tied = shape.tiedEmbeddings;
  // model states per parameter (memory/states.ts; ZeRO Sec. 3.1)
  const per = modelStateBytesPerParameter(training.precision, training.optimizer);
  ctx.stateW = per.weights;
  ctx.stateG = options?.fp32Gradients ?? DEFAULT_MEMORY_OPTIONS.fp32Gradients ? 4 : per.gradients;
  ctx.stateO = per.optimizer;
  ctx.attnParams = counts.attentionParametersPerLayer;
  ctx.denseMlpParams = counts.denseMlpParametersPerLayer;
  ctx.nonExpertMoeParams = counts.nonExpertMoeParametersPerMoeLayer;
  ctx.expertParams = counts.expertParametersPerMoeLayer;
  ctx.normParams = counts.normParametersPerLayer;
  ctx.embeddingParams = counts.embeddingParameters;
  ctx.lmHeadParams = counts.lmHeadParameters;
  ctx.policy = options?.selectivePolicy ?? DEFAULT_MEMORY_OPTIONS.selectivePolicy;
  ctx.stageSplit = options?.stageSplit ?? DEFAULT_MEMORY_OPTIONS.stageSplit;
  ctx.dealloc = options?.deallocatePipelineOutputs ?? DEFAULT_MEMORY_OPTIONS.deallocatePipelineOutputs;
  ctx.dropout = options?.dropout ?? DEFAULT_MEMORY_OPTIONS.dropout;
  const ce = options?.crossEntropy ?? DEFAULT_MEMORY_OPTIONS.crossEntropy;
  ctx.logitBytes = ce === 'fused' ? 2 : ce === 'unfused' ? 12 : 4;
  ctx.fragmentation = options?.fragmentationFraction ?? DEFAULT_MEMORY_OPTIONS.fragmentationFraction;
  ctx.cudaBytes = CUDA_CONTEXT_BYTES + CUDA_WORKSPACE_BYTES;
  layerActivationContext(training, PROBE_LAYOUT, options, ctx.act);
  return ctx;
}

const PROBE_SHAPE: ModelShape = {
  layers: 1, hiddenSize: 1, attentionHeads: 1, kvHeads: 1, headDim: 1, ffnHiddenSize: 1, vocabSize: 1, gatedMlp: false, tiedEmbeddings: false,
};
const PROBE_LAYOUT: ParallelLayout = {
  tensor: 1, pipeline: 1, data: 1, context: 1, expert: 1, microBatchSize: 1, zeroStage: 0, recompute: 'none',
  sequenceParallel: false, schedule: '1f1b', virtualStages: 1,
};

/** Index of an axis value in the activation cache, -1 when the axis already holds AXIS_LIMIT values. */
function axisIndex(map: Map<number, number>, x: number): number {
  const i = map.get(x);
  if (i !== undefined) return i;
  if (map.size >= AXIS_LIMIT) return -1;
  map.set(x, map.size);
  return map.size - 1;
}

/** Empty the activation cache (each one-shot call; a prepared context that met more than AXIS_LIMIT values on an axis). */
function resetActivationCache(ctx: MemoryContext): void {
  ctx.tIndex.clear(); ctx.cIndex.clear(); ctx.bIndex.clear(); ctx.rowOf.clear();
  ctx.rows.fill(NaN, 0, ctx.rowsUsed);
  ctx.rowsUsed = 0;
  ctx.lastT = -1; ctx.lastC = -1; ctx.lastB = -1; ctx.lastRow = -1;
}

/** Forget the per-(p, v) stage tables: they depend on the layer count, the dense layers and the split. */
function resetStageCache(ctx: MemoryContext): void {
  ctx.stageOf.clear();
  ctx.stageUsed = 0;
  ctx.lastP = -1; ctx.lastV = -1; ctx.lastStages = -1;
}

/** Offset of the (t, c, b) row in ctx.rows, added (NaN-filled) on first use. */
function activationRow(ctx: MemoryContext, t: number, c: number, b: number): number {
  if (t === ctx.lastT && c === ctx.lastC && b === ctx.lastB) return ctx.lastRow;
  let ti = axisIndex(ctx.tIndex, t), ci = axisIndex(ctx.cIndex, c), bi = axisIndex(ctx.bIndex, b);
  if (ti < 0 || ci < 0 || bi < 0) {
    resetActivationCache(ctx);
    ti = axisIndex(ctx.tIndex, t); ci = axisIndex(ctx.cIndex, c); bi = axisIndex(ctx.bIndex, b);
  }
  const key = (ti * AXIS_LIMIT + ci) * AXIS_LIMIT + bi; // < 2^30: a small-integer key
  let row = ctx.rowOf.get(key);
  if (row === undefined) {
    row = ctx.rowsUsed;
    if (row + ROW > ctx.rows.length) {
      const grown = new Float64Array(2 * ctx.rows.length).fill(NaN);
      grown.set(ctx.rows);
      ctx.rows = grown;
    }
    ctx.rowsUsed += ROW;
    ctx.rowOf.set(key, row);
  }
  ctx.lastT = t; ctx.lastC = c; ctx.lastB = b; ctx.lastRow = row;
  return row;
}

/**
 * Make sure ctx.rows[at] holds one layer's activation bytes for one micro-batch
 * (memory/activations.ts layerActivationBytes, Korthikanti 2022 Sec. 4 per-operation sum): that
 * pure function's result for these inputs, computed on first use. NaN marks an empty slot.
 */
function ensureActivationSlot(
  ctx: MemoryContext, at: number, t: number, c: number, b: number, sp: boolean, r: number, moeLayer: boolean,
): void {
  const cached = ctx.rows[at] as number;
  if (cached === cached) return;
  const a = ctx.act;
  a.t = t; a.c = c; a.b = b; a.sp = sp;
  ctx.rows[at] = layerActivationBytes(ctx.shape, a, RECOMPUTE_BY_INDEX[r] ?? 'none', moeLayer, ctx.policy);
}

/** Activation bytes of one dense and one MoE layer, and the recompute working sets, into `out`. */
function fillActivations(ctx: MemoryContext, t: number, c: number, b: number, sp: boolean, r: number, out: Plan): void {
  // row layout: [sequence parallel][recompute][dense, MoE]
  const row = activationRow(ctx, t, c, b) + (sp ? 6 : 0);
  const at = row + 2 * r;
  if (ctx.hasDense) ensureActivationSlot(ctx, at, t, c, b, sp, r, false);
  if (ctx.hasMoe) ensureActivationSlot(ctx, at + 1, t, c, b, sp, r, true);
  if (r > 0 && ctx.hasDense) ensureActivationSlot(ctx, row, t, c, b, sp, 0, false);
  if (r > 0 && ctx.hasMoe) ensureActivationSlot(ctx, row + 1, t, c, b, sp, 0, true);
  const rows = ctx.rows;
  out.actDense = ctx.hasDense ? (rows[at] as number) : 0;
  out.actMoe = ctx.hasMoe ? (rows[at + 1] as number) : 0;
  // recompute working set: during one layer's backward its dropped tensors are rematerialised
  // (Chen et al. 2016, "Training Deep Nets with Sublinear Memory Cost", Sec. 4: peak = kept + one segment)
  out.wsDense = r > 0 && ctx.hasDense ? (rows[row] as number) - out.actDense : 0;
  out.wsMoe = r > 0 && ctx.hasMoe ? (rows[row + 1] as number) - out.actMoe : 0;
}

/** Per-layout scalars (no allocation: fills `out`). */
function fillPlan(ctx: MemoryContext, layout: ParallelLayout, out: Plan): Plan {
  const t = Math.max(1, layout.tensor), p = Math.max(1, Math.floor(layout.pipeline));
  const d = Math.max(1, layout.data), c = Math.max(1, layout.context), e = Math.max(1, layout.expert);
  const v = layout.schedule === 'interleaved' ? Math.max(1, Math.floor(layout.virtualStages)) : 1;
  const b = Math.max(1, layout.microBatchSize);
  const sp = layout.sequenceParallel;
  const spDiv = sp ? t : 1;
  const n = (ctx.s / c) * b; // tokens of one micro-batch on one GPU (context parallelism splits the sequence)
  const h = ctx.h, actB = ctx.actB;
  out.p = p; out.v = v;
  out.dual = layout.schedule === 'dualpipe' && p > 1;
  // micro-batches per optimizer step per pipeline: m = globalBatch / (d·b)
  out.m = Math.max(1, Math.floor(ctx.B / (d * b)));

  // activations: per-operation sums (memory/activations.ts), cached per (t, c, b, sp, recompute)
  const rc = layout.recompute;
  fillActivations(ctx, t, c, b, sp, rc === 'selective' ? 1 : rc === 'full' ? 2 : 0, out);

  // model states per parameter, ZeRO over each parameter's own data-parallel group (ZeRO Sec. 5)
  const z = layout.zeroStage;
  // non-expert parameters: replicated over data × context (Megatron-Core shards the distributed optimizer over dp·cp)
  const nd = d * c;
  // expert parameters: expert-data-parallel group d·c/e (Megatron-Core, expert-tensor-parallel = t)
  const ndE = Math.max(1, nd / e);
  out.neW = ctx.stateW / (z >= 3 ? nd : 1); out.neG = ctx.stateG / (z >= 2 ? nd : 1); out.neO = ctx.stateO / (z >= 1 ? nd : 1);
  out.exW = ctx.stateW / (z >= 3 ? ndE : 1); out.exG = ctx.stateG / (z >= 2 ? ndE : 1); out.exO = ctx.stateO / (z >= 1 ? ndE : 1);
  const norm = ctx.normParams;
  // Narayanan 2021 Sec. 2.3 / Shoeybi 2019: a layer's matrices are split t ways; norms are replicated on every tensor rank
  out.neDenseParams = (ctx.attnParams + ctx.denseMlpParams) / t + norm;
  out.neMoeParams = (ctx.attnParams + ctx.nonExpertMoeParams) / t + norm;
  // routed-expert weights split over expert × tensor ranks (Megatron-Core MoE, expert-tensor-parallel = t)
  out.exMoeParams = ctx.expertParams / (e * t);
  // embeddings V·h/t on the first stage; LM head V·h/t and the final norm h on the last. Tied with
  // p > 1: the last stage holds its own copy, kept in sync by an all-reduce (Shoeybi 2019 Sec. 3; Megatron "embedding group")
  out.embeddingParams = ctx.embeddingParams / t;
  out.headParams = (ctx.lmHeadParams > 0 ? ctx.lmHeadParams / t : ctx.tied && p > 1 ? ctx.embeddingParams / t : 0) + h;

  // edge-stage buffers
  // Korthikanti App. B: without deallocation each sent stage output (2sbh, /t with SP) stays until its backward
  out.stageOutputBytes = !ctx.dealloc && p > 1 ? (actB * n * h) / spDiv : 0;
  // Korthikanti Sec. 4.2.3 extra terms: embedding dropout mask sbh/t per in-flight micro-batch
  out.embeddingMaskBytes = ctx.dropout ? (n * h) / spDiv : 0;
  // Korthikanti Sec. 4.2.3 extra terms: final layernorm input 2sbh/t, output-layer input 2sbh/t, fp32 logits 4sbV/t
  out.lastStageLossBytes = (2 * actB * n * h) / spDiv + (ctx.logitBytes * n * ctx.V) / t;

  // communication buffers: NCCL communicators with more than one rank (tensor, pipeline, data×context, context, expert)
  const communicators = (t > 1 ? 1 : 0) + (p > 1 ? 1 : 0) + (nd > 1 ? 1 : 0) + (c > 1 ? 1 : 0) + (ctx.moe && e > 1 ? 1 : 0);
  out.ncclBytes = communicators * NCCL_BYTES_PER_COMMUNICATOR;
  let comm = 0;
  if (nd > 1 && z < 3) comm += GRADIENT_BUCKET_BYTES;
  // 1F1B point-to-point: one activation being received and one gradient being sent (2sbh each, /t with SP)
  if (p > 1) comm += (2 * actB * n * h) / spDiv;
  // ring attention: the neighbour's K and V chunks, double-buffered (Megatron-Core context parallelism)
  if (c > 1) comm += (2 * 2 * actB * n * ctx.kvWidth) / t;
  out.commBaseBytes = comm;
  // ZeRO-3 / FSDP: the current and the prefetched unit all-gathered (weights dtype) plus one unit's
  // unsharded gradients before their reduce-scatter (ZeRO Sec. 5.3; PyTorch FSDP2 forward/backward prefetch)
  out.zero3UnitFactor = z === 3 && nd > 1 ? 2 * ctx.stateW + ctx.stateG : 0;
  return out;
}

/** The breakdown of stage `stage` holding nDense dense and nMoe MoE layers, into `out` (returns nothing: no boxed double). */
function evaluateStage(ctx: MemoryContext, plan: Plan, stage: number, nDense: number, nMoe: number, out: StageScratch): void {
  const { p, v } = plan;
  // DualPipe (DeepSeek-V3 Table 2): the two edge GPUs hold both the first and the last stage (one per
  // direction); every GPU keeps PP+1 micro-batches of one stage's activations, i.e. (p+1)/2 of its two stages'
  const edge = plan.dual && (stage === 0 || stage === p - 1);
  const first = plan.dual ? edge : stage === 0, last = plan.dual ? edge : stage === p - 1;
  const inFlight = plan.dual ? Math.min(p + 1, plan.m) / 2 : inFlightMicroBatches(stage, p, plan.m, v);

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
  out.fragmentation = ctx.fragmentation * (out.activations + out.logits + allocatorComm);
  out.total = out.weights + out.gradients + out.optimizer + out.activations + out.logits
    + ctx.cudaBytes + out.comm + out.fragmentation;
}

function copyStage(from: StageScratch, to: StageScratch): void {
  to.weights = from.weights; to.gradients = from.gradients; to.optimizer = from.optimizer;
  to.activations = from.activations; to.logits = from.logits; to.comm = from.comm;
  to.fragmentation = from.fragmentation; to.total = from.total; to.inFlight = from.inFlight; to.perLayer = from.perLayer;
}

/**
 * Per-GPU layer counts of (p, v) into ctx.dense / ctx.moeCount (grown when p exceeds them). v = 0
 * stands for DualPipe: the 1F1B split folded so that GPU i counts stage i and stage p−1−i.
 */
function fillStageLayers(ctx: MemoryContext, p: number, v: number): void {
  if (ctx.dense.length < p) {
    ctx.dense = new Int32Array(Math.max(p, 2 * ctx.dense.length));
    ctx.moeCount = new Int32Array(ctx.dense.length);
  }
  stageLayerSplit(ctx.L, ctx.denseLayers, p, Math.max(1, v), ctx.dense, ctx.moeCount, ctx.stageSplit);
  if (v === 0) {
    const dense = ctx.dense, moe = ctx.moeCount;
    for (let i = 0; i < p / 2; i++) {
      const j = p - 1 - i;
      const d = (dense[i] as number) + (dense[j] as number), m = (moe[i] as number) + (moe[j] as number);
      dense[i] = d; dense[j] = d; moe[i] = m; moe[j] = m;
    }
  }
}

/** The stage-table key of a plan: v, or 0 for DualPipe's folded table. */
function stageTableV(plan: Plan): number {
  return plan.dual ? 0 : plan.v;
}

function putStage(data: Int32Array, at: number, stage: number, dense: Int32Array, moe: Int32Array): void {
  data[at] = stage;
  data[at + 1] = dense[stage] as number;
  data[at + 2] = moe[stage] as number;
}

/**
 * The stages that can be the most loaded, as an offset into ctx.stageData ([n, (stage, dense, MoE) × n]).
 * A stage's total grows with its in-flight micro-batches, which never increase from one stage to
 * the next (inFlightMicroBatches), and otherwise depends only on its layer counts and on being the
 * first or the last stage. So the maximum over all stages is the maximum over: stage 0, stage p−1,
 * and the earliest middle stage of each distinct (dense, MoE) layer count other than stage 0's.
 * IEEE rounding is monotone, so this holds for the computed floating-point totals too, not only in
 * exact arithmetic: evaluateMemoryBytes equals estimateMemory's maximum over every stage exactly.
 */
function candidateStages(ctx: MemoryContext, p: number, v: number): number {
  if (p === ctx.lastP && v === ctx.lastV) return ctx.lastStages;
  const cacheable = p <= ctx.L && v <= ctx.L && ctx.L < 16384;
  const key = p * (ctx.L + 1) + v;
  if (cacheable) {
    const hit = ctx.stageOf.get(key);
    if (hit !== undefined) {
      ctx.lastP = p; ctx.lastV = v; ctx.lastStages = hit;
      return hit;
    }
  }
  fillStageLayers(ctx, p, v);
  const dense = ctx.dense, moe = ctx.moeCount;
  const off = ctx.stageUsed;
  // at most p candidates of 3 entries plus the count
  if (off + 1 + 3 * p > ctx.stageData.length) {
    const grown = new Int32Array(Math.max(2 * ctx.stageData.length, off + 1 + 3 * p));
    grown.set(ctx.stageData);
    ctx.stageData = grown;
  }
  const data = ctx.stageData;
  // stage 0 and stage p−1 always; a middle stage unless an earlier middle stage has its layer counts
  putStage(data, off + 1, 0, dense, moe);
  let count = 1;
  if (p > 1) putStage(data, off + 1 + 3 * count++, p - 1, dense, moe);
  for (let i = 1; i < p - 1; i++) {
    // a middle stage with stage 0's layer counts never exceeds it: stage 0 adds the embedding, its
    // dropout masks and gathered unit, and holds at least as many micro-batches (not so with DualPipe,
    // v = 0, whose edge GPUs hold the loss buffers instead of the middle GPUs' unfreed stage outputs)
    let seen = v !== 0 && dense[i] === dense[0] && moe[i] === moe[0];
    for (let q = 2; q < count && !seen; q++) {
      const at = off + 1 + 3 * q;
      seen = data[at + 1] === dense[i] && data[at + 2] === moe[i];
    }
    if (!seen) putStage(data, off + 1 + 3 * count++, i, dense, moe);
  }
  data[off] = count;
  if (cacheable) {
    ctx.stageUsed = off + 1 + 3 * count;
    ctx.stageOf.set(key, off);
    ctx.lastP = p; ctx.lastV = v; ctx.lastStages = off;
  }
  return off;
}

/**
 * Total bytes of the most loaded GPU of `layout`: exactly estimateMemory(...).perGpu.totalBytes
 * for the context's workload, without allocating (after the caches have warmed up). The layout
 * search's memory model.
 */
export function evaluateMemoryBytes(ctx: MemoryContext, layout: ParallelLayout): number {
  const plan = fillPlan(ctx, layout, ctx.plan);
  const off = candidateStages(ctx, plan.p, stageTableV(plan));
  const data = ctx.stageData;
  const n = data[off] as number;
  let max = -Infinity;
  for (let q = 0; q < n; q++) {
    const at = off + 1 + 3 * q;
    evaluateStage(ctx, plan, data[at] as number, data[at + 1] as number, data[at + 2] as number, ctx.stage);
    if (ctx.stage.total > max) max = ctx.stage.total;
  }
  return max;
}

/**
 * A cheap lower bound on evaluateMemoryBytes(ctx, layout) for search pruning: the CUDA context
 * plus the model states and one micro-batch of activations of ⌊L/p⌋ layers of the lighter kind
 * (stage 0 holds at least that many layers, and the estimate is the maximum over stages).
 */
export function evaluateMemoryLowerBoundBytes(ctx: MemoryContext, layout: ParallelLayout): number {
  const plan = fillPlan(ctx, layout, ctx.plan);
  const layersPerStage = Math.floor(ctx.L / plan.p);
  const neState = plan.neW + plan.neG + plan.neO, exState = plan.exW + plan.exG + plan.exO;
  const stateDense = ctx.hasDense ? plan.neDenseParams * neState : Infinity;
  const stateMoe = ctx.hasMoe ? plan.neMoeParams * neState + plan.exMoeParams * exState : Infinity;
  const actDense = ctx.hasDense ? plan.actDense : Infinity;
  const actMoe = ctx.hasMoe ? plan.actMoe : Infinity;
  return ctx.cudaBytes + layersPerStage * (Math.min(stateDense, stateMoe) + Math.min(actDense, actMoe));
}

// Module-level context for the one-shot entry points (estimateMemory & co. allocate only their
// result). Its activation cache survives from call to call while the inputs of the per-layer sums
// stay the same (a caller looping over layouts of one workload), and starts over when they change.
const SCRATCH = emptyContext(PROBE_SHAPE);
const SCRATCH_KEY = new Float64Array(25).fill(NaN);
const NEXT_KEY = new Float64Array(25);

/** Everything layerActivationBytes reads besides t, c, b, sp and the recompute mode. */
function activationInputs(ctx: MemoryContext, out: Float64Array): void {
  const sh = ctx.shape, moe = sh.moe, a = ctx.act;
  out[0] = sh.hiddenSize; out[1] = sh.attentionHeads; out[2] = sh.kvHeads; out[3] = sh.headDim;
  out[4] = sh.ffnHiddenSize; out[5] = sh.gatedMlp ? 1 : 0;
  out[6] = moe ? moe.experts : -1; out[7] = moe ? moe.activeExperts : -1;
  out[8] = moe ? moe.expertFfnHiddenSize : -1; out[9] = moe ? moe.sharedExperts : -1;
  out[10] = a.s; out[11] = a.actBytes; out[12] = a.flash ? 1 : 0; out[13] = a.dropout ? 1 : 0;
  out[14] = ctx.policy === 'save-matmuls' ? 1 : 0; out[15] = ctx.hasMoe ? 1 : 0;
  out[16] = a.fused ? 1 : 0;
  const mla = sh.mla;
  out[17] = mla ? mla.qLoraRank : -1; out[18] = mla ? mla.kvLoraRank : -1; out[19] = mla ? mla.qkNopeHeadDim : -1;
  out[20] = mla ? mla.qkRopeHeadDim : -1; out[21] = mla ? mla.vHeadDim : -1;
  // the stage tables (candidateStages) depend on the layer split
  out[22] = ctx.denseLayers; out[23] = ctx.stageSplit === 'edges-as-layers' ? 1 : 0; out[24] = ctx.L;
}

function scratchContext(
  shape: ModelShape, counts: ParameterCounts, training: TrainingSetup, gpuMemoryBytes: number, options?: MemoryOptions,
): MemoryContext {
  fillContext(SCRATCH, shape, counts, training, gpuMemoryBytes, options);
  activationInputs(SCRATCH, NEXT_KEY);
  for (let i = 0; i < NEXT_KEY.length; i++) {
    // NaN never equals itself: a NaN input (rejected upstream) simply never reuses the cache
    if (NEXT_KEY[i] !== SCRATCH_KEY[i]) {
      resetActivationCache(SCRATCH);
      resetStageCache(SCRATCH);
      SCRATCH_KEY.set(NEXT_KEY);
      break;
    }
  }
  return SCRATCH;
}

/** Full breakdown of the most loaded stage of a prepared workload (the first such stage on a tie). */
export function estimateMemoryPrepared(ctx: MemoryContext, layout: ParallelLayout): MemoryEstimate {
  const plan = fillPlan(ctx, layout, ctx.plan);
  fillStageLayers(ctx, plan.p, stageTableV(plan));
  const best = ctx.best;
  let bestStage = 0;
  best.total = -Infinity;
  for (let i = 0; i < plan.p; i++) {
    evaluateStage(ctx, plan, i, ctx.dense[i] as number, ctx.moeCount[i] as number, ctx.stage);
    if (ctx.stage.total > best.total) { copyStage(ctx.stage, best); bestStage = i; }
  }
  return {
    perGpu: {
      weightsBytes: best.weights, gradientsBytes: best.gradients, optimizerBytes: best.optimizer,
      activationsBytes: best.activations, logitsBytes: best.logits, cudaContextBytes: ctx.cudaBytes,
      communicationBuffersBytes: best.comm, fragmentationBytes: best.fragmentation, totalBytes: best.total,
    },
    gpuMemoryBytes: ctx.gpuMemoryBytes,
    fits: best.total <= ctx.gpuMemoryBytes,
    mostLoadedStage: bestStage,
    inFlightMicroBatches: best.inFlight,
    activationBytesPerLayerPerMicroBatch: best.perLayer,
  };
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
  return estimateMemoryPrepared(scratchContext(shape, counts, training, accelerator.memoryBytes, options), layout);
}

/** The breakdown of one pipeline stage (0-based), e.g. to show first and last stage side by side. */
export function estimateStageMemory(
  shape: ModelShape, counts: ParameterCounts, training: TrainingSetup, layout: ParallelLayout,
  stage: number, options?: MemoryOptions,
): MemoryBreakdown & { inFlightMicroBatches: number } {
  const ctx = scratchContext(shape, counts, training, 0, options);
  const plan = fillPlan(ctx, layout, ctx.plan);
  fillStageLayers(ctx, plan.p, stageTableV(plan));
  const i = Math.min(Math.max(0, Math.floor(stage)), plan.p - 1);
  const out = emptyStage();
  evaluateStage(ctx, plan, i, ctx.dense[i] as number, ctx.moeCount[i] as number, out);
  return {
    weightsBytes: out.weights, gradientsBytes: out.gradients, optimizerBytes: out.optimizer,
    activationsBytes: out.activations, logitsBytes: out.logits, cudaContextBytes: ctx.cudaBytes,
    communicationBuffersBytes: out.comm, fragmentationBytes: out.fragmentation, totalBytes: out.total,
    inFlightMicroBatches: out.inFlight,
  };
}

/**
 * A cheap lower bound on estimateMemory(...).perGpu.totalBytes for search pruning: the CUDA
 * context plus the model states and one micro-batch of activations of ⌊L/p⌋ layers of the
 * lighter kind (stage 0 holds at least that many layers, and the estimate is the maximum over stages).
 */
export function memoryLowerBoundBytes(
  shape: ModelShape, counts: ParameterCounts, training: TrainingSetup, layout: ParallelLayout,
  accelerator: Accelerator, options?: MemoryOptions,
): number {
  return evaluateMemoryLowerBoundBytes(scratchContext(shape, counts, training, accelerator.memoryBytes, options), layout);
}
