// Parallel-layout search: enumerate t, p, d, c, e, micro-batch, ZeRO stage, recomputation, sequence
// parallelism, schedule and virtual stages for a fixed GPU count; keep the layouts that fit memory;
// rank them by step time (or cost per token). Pruned, not brute force:
//  - divisibility tables (layouts/rules.ts rules) cut whole sub-trees before any model runs;
//  - a memory lower bound at the leanest setting of each (t, p, c, d, v, e) sub-tree (ZeRO-3, most
//    recomputation, smallest micro-batch, sequence parallel) cuts sub-trees that cannot fit;
//  - dominance: with everything else fixed, more recomputation only adds time (Korthikanti et al.
//    2022 Sec. 5), so only the least recomputation that fits is timed; memory grows with the
//    micro-batch, so recomputation levels that did not fit at a smaller b are not tried at a larger
//    one, and once nothing fits at b no larger b is tried; sequence parallelism at t = 1 and ZeRO
//    over a one-rank data-parallel group are the same run as without them, so they are not repeated;
//    in the top-K a layout that ties a kept one's step time with no less memory is not kept.
// The hot path mutates one layout object and keeps the top-K in preallocated slots: no allocation
// per layout beyond what the evaluators do (the memory model's fast path allocates nothing). Pure
// and synchronous. The search is budgeted in work (memory- and time-model calls), so the same
// request gives the same answer on a cold or a warm, idle or loaded server; a wall-clock budget is
// honoured only when the caller asks for one (checked every WORK_CHECK_INTERVAL units of work).
import { completeLayout, describeLayout, divisors, layoutProblems, stageSplitUnits, tensorDegreesForShape } from '../layouts/index.js';
import { estimateMemoryPrepared, evaluateMemoryBytes, evaluateMemoryLowerBoundBytes, prepareMemory, type MemoryOptions } from '../memory/index.js';
import { createPerformanceEstimate, evaluateLayout, prepareWorkload, type PerformanceOptions } from '../performance/index.js';
import type {
  Accelerator,
  MemoryEstimate,
  ModelShape,
  ParallelLayout,
  ParameterCounts,
  PerformanceEstimate,
  RecomputeMode,
  StepTimeBreakdown,
  TrainingFramework,
  TrainingSetup,
  ZeroStage,
} from '../core/index.js';

export interface SearchRequest {
  shape: ModelShape;
  counts: ParameterCounts;
  training: TrainingSetup;
  accelerator: Accelerator;
  gpus: number;
  fixed: Partial<ParallelLayout>;
  objective: 'time' | 'cost';
  topK: number;
  /** work budget: memory- and time-model calls before the search stops with complete:false (deterministic) */
  maxEvaluations: number;
  /** optional wall-clock budget on top of the work budget; answers then depend on the machine's speed */
  timeBudgetMs?: number;
  allowTensorBeyondScaleUp?: boolean;
  gpuHourUsd?: number;
  /** software-stack options of the memory and time models (flash attention, communication overlap, fused kernels) */
  modelOptions?: ModelOptions;
  /** the layouts the training framework can run (config/frameworks.yaml); left out, every layout the shape admits */
  rules?: TrainingFramework['rules'];
}

/** What the request says about the training stack; left out, each model uses its per-generation default. */
export interface ModelOptions {
  memory?: MemoryOptions;
  performance?: PerformanceOptions;
}

export interface LayoutCandidate {
  parallelism: ParallelLayout;
  memory: MemoryEstimate;
  performance: PerformanceEstimate;
  costPerMillionTokensUsd?: number;
}

export interface SearchResult {
  candidates: LayoutCandidate[];
  /** layouts considered, pruned ones included */
  searched: number;
  /** time-model calls */
  evaluated: number;
  pruned: { divisibility: number; memory: number; dominated: number };
  complete: boolean;
  /** memory- and time-model calls the search made (what maxEvaluations bounds) */
  workUnits: number;
  /** what stopped an incomplete search */
  stoppedBy?: 'work-budget' | 'time-budget';
  elapsedMs: number;
  /** for the winner: why the runner-up lost */
  runnerUpReason?: string;
  /** when nothing fits: the closest layout and by how much memory it misses */
  infeasibleReason?: string;
  /** when nothing fits: the layout needing the least memory per GPU, and how much it needs */
  closest?: { parallelism: ParallelLayout; memoryBytes: number; gpuMemoryBytes: number };
}

/**
 * What the search needs from the memory and time models, bound to one request. Implementations
 * read the layout they are given and must not keep it (the search mutates one object).
 */
export interface LayoutEvaluator {
  /** usable memory per GPU: a layout fits when memoryBytes(layout) ≤ capacityBytes */
  capacityBytes: number;
  /** cheap bound, ≤ memoryBytes(layout); memory must not decrease with micro-batch or increase with ZeRO stage / recomputation */
  memoryLowerBoundBytes(layout: ParallelLayout): number;
  /** also try the bound on every single layout before memoryBytes (default true); worth it only when
   *  the bound costs much less than the exact model, otherwise it is used per sub-tree only */
  leafLowerBound?: boolean;
  /** per-GPU memory of the most loaded GPU */
  memoryBytes(layout: ParallelLayout): number;
  /** step time in seconds (the fast path; must agree with performance(layout).stepSeconds) */
  stepSeconds(layout: ParallelLayout): number;
  /** full estimates, only called for the returned candidates */
  memory(layout: ParallelLayout): MemoryEstimate;
  performance(layout: ParallelLayout): PerformanceEstimate;
}

export type EvaluatorFactory = (request: SearchRequest) => LayoutEvaluator;

/**
 * The real memory (memory/per-gpu.ts) and time (performance/step-time.ts) models through their prepared fast paths:
 * prepareMemory / prepareWorkload once per request, then evaluateMemoryBytes and evaluateLayout
 * (into one reused estimate) per layout, with no per-layout objects on either side. The
 * full breakdowns (estimateMemoryPrepared, evaluateLayout into a new estimate) run only for the
 * returned candidates; they share the fast paths' code, so the figures agree exactly.
 */
export const modelEvaluator: EvaluatorFactory = (req) => {
  const { shape, counts, training, accelerator } = req;
  const ctx = prepareWorkload(shape, counts, training, accelerator, req.modelOptions?.performance);
  const mem = prepareMemory(shape, counts, training, accelerator, req.modelOptions?.memory);
  const scratch = createPerformanceEstimate();
  return {
    capacityBytes: accelerator.memoryBytes,
    memoryLowerBoundBytes: (l) => evaluateMemoryLowerBoundBytes(mem, l),
    // the bound costs about as much as the exact model (same per-layer plan): per sub-tree only
    leafLowerBound: false,
    memoryBytes: (l) => evaluateMemoryBytes(mem, l),
    stepSeconds: (l) => evaluateLayout(ctx, l, scratch).stepSeconds,
    memory: (l) => estimateMemoryPrepared(mem, l),
    performance: (l) => evaluateLayout(ctx, l),
  };
};

/** Defaults the API documents: 10 candidates, and a work budget ten times the largest full search
 *  of the benchmark set (DeepSeek-V3 on 2,048 H800: about 0.8 M memory- and time-model calls;
 *  test/parallelism.test.ts), about 2 s of one core here at ~4 M calls/s. */
export const DEFAULT_TOP_K = 10;
export const DEFAULT_MAX_EVALUATIONS = 8_000_000;

/** Units of work between two checks of the budgets. */
const WORK_CHECK_INTERVAL = 512;
const RECOMPUTE_ORDER: readonly RecomputeMode[] = ['none', 'selective', 'full'];
const ZERO_ORDER: readonly ZeroStage[] = [0, 1, 2, 3];
const GiB = 2 ** 30;

interface Triple {
  t: number;
  p: number;
  c: number;
  d: number;
}

/** The enumeration axes after the request's fixed fields are applied. */
interface Axes {
  triples: Triple[];
  virtualStages: number[];
  experts: number[];
  microBatches: number[];
  sequenceParallel: boolean[];
  zeroStages: ZeroStage[];
  recompute: RecomputeMode[];
}

function buildAxes(req: SearchRequest): Axes {
  const { shape, fixed: f, gpus: N } = req;
  const r = req.rules;
  // a framework that does not offer a kind of parallelism runs it at degree 1 (fixed fields are checked against the rules before the search)
  const only1 = (offered: boolean | undefined, fixed: number | undefined, all: () => number[]): number[] =>
    fixed !== undefined ? [fixed] : offered === false ? [1] : all();
  const L = shape.layers;
  const B = req.training.globalBatchSequences;
  const triples: Triple[] = [];
  for (const t of only1(r?.tensorParallel, f.tensor, () => divisors(N))) {
    if (N % t !== 0) continue;
    for (const p of only1(r?.pipelineParallel, f.pipeline, () => divisors(N / t))) {
      if ((N / t) % p !== 0) continue;
      for (const c of only1(r?.contextParallel, f.context, () => divisors(N / (t * p)))) {
        if ((N / (t * p)) % c !== 0) continue;
        const d = N / (t * p * c);
        if (f.data !== undefined && f.data !== d) continue;
        triples.push({ t, p, c, d });
      }
    }
  }
  // Fewest model-parallel GPUs first: when they fit they are usually fastest, which makes a
  // search cut short by its time budget return a good answer.
  triples.sort((x, y) => x.t * x.p * x.c - y.t * y.p * y.c || y.t - x.t || x.p - y.p);
  let virtualStages = f.virtualStages !== undefined ? [f.virtualStages] : divisors(L);
  if (f.schedule === '1f1b') virtualStages = virtualStages.filter((v) => v === 1);
  if (f.schedule === 'interleaved') virtualStages = virtualStages.filter((v) => v >= 2);
  if (f.schedule === 'dualpipe') virtualStages = [1];
  if (r && !r.schedules.includes('interleaved') && f.virtualStages === undefined) virtualStages = virtualStages.filter((v) => v === 1);
  return {
    triples,
    virtualStages,
    experts: only1(r?.expertParallel, f.expert, () => (shape.moe ? divisors(shape.moe.experts) : [1])),
    microBatches: f.microBatchSize !== undefined ? [f.microBatchSize] : divisors(B),
    sequenceParallel: f.sequenceParallel !== undefined ? [f.sequenceParallel] : r?.sequenceParallel === false ? [false] : [false, true],
    zeroStages: f.zeroStage !== undefined ? [f.zeroStage] : ZERO_ORDER.filter((z) => !r || r.zeroStages.includes(z)),
    recompute: f.recompute !== undefined ? [f.recompute] : RECOMPUTE_ORDER.filter((m) => !r || r.recompute.includes(m)),
  };
}

/** DualPipe's micro-batches: an even number, at least two per pipeline stage (layouts/rules.ts). */
function dualpipeMicroBatchesOk(m: number, p: number): boolean {
  return m % 2 === 0 && m >= 2 * p;
}

/** Size of the space the search walks (every leaf it counts as searched when it runs to completion). */
export function searchSpaceSize(req: SearchRequest): number {
  const a = buildAxes(req);
  return a.triples.length * a.virtualStages.length * a.experts.length * a.microBatches.length * a.sequenceParallel.length * a.zeroStages.length * a.recompute.length;
}

function copyLayout(from: ParallelLayout, to: ParallelLayout): void {
  to.tensor = from.tensor;
  to.pipeline = from.pipeline;
  to.data = from.data;
  to.context = from.context;
  to.expert = from.expert;
  to.microBatchSize = from.microBatchSize;
  to.zeroStage = from.zeroStage;
  to.recompute = from.recompute;
  to.sequenceParallel = from.sequenceParallel;
  to.schedule = from.schedule;
  to.virtualStages = from.virtualStages;
}

function blankLayout(): ParallelLayout {
  return { tensor: 1, pipeline: 1, data: 1, context: 1, expert: 1, microBatchSize: 1, zeroStage: 0, recompute: 'none', sequenceParallel: false, schedule: '1f1b', virtualStages: 1 };
}

/**
 * Best-K list in preallocated slots, ordered by (score, memory) ascending. A layout whose score ties
 * a kept one's (relative 1e-12) and needs no less memory is weakly dominated (no faster, no leaner)
 * and is not kept: such ties come from fields the time model does not see (e.g. ZeRO-1 vs ZeRO-2
 * in a model that charges them the same traffic), and listing both would only crowd out real
 * alternatives. A tying layout with less memory replaces the kept one.
 */
export class TopK {
  readonly scores: Float64Array;
  readonly memories: Float64Array;
  readonly layouts: ParallelLayout[];
  size = 0;
  constructor(readonly k: number) {
    this.scores = new Float64Array(k);
    this.memories = new Float64Array(k);
    this.layouts = Array.from({ length: k }, blankLayout);
  }
  /** worst kept score, +∞ while not full */
  get threshold(): number {
    return this.size < this.k ? Infinity : (this.scores[this.k - 1] ?? Infinity);
  }
  offer(score: number, memoryBytes: number, layout: ParallelLayout): void {
    const k = this.k;
    if (k === 0) return;
    for (let j = 0; j < this.size; j++) {
      if (!ties(score, this.scores[j] ?? Infinity)) continue;
      if (memoryBytes >= (this.memories[j] ?? Infinity)) return;
      this.remove(j--);
    }
    let i = this.size < k ? this.size : k - 1;
    if (this.size === k && !better(score, memoryBytes, this.scores[i] ?? Infinity, this.memories[i] ?? Infinity)) return;
    const slot = this.layouts[i] as ParallelLayout; // the evicted (or unused) slot is reused
    while (i > 0 && better(score, memoryBytes, this.scores[i - 1] ?? Infinity, this.memories[i - 1] ?? Infinity)) {
      this.scores[i] = this.scores[i - 1] ?? 0;
      this.memories[i] = this.memories[i - 1] ?? 0;
      this.layouts[i] = this.layouts[i - 1] as ParallelLayout;
      i--;
    }
    this.scores[i] = score;
    this.memories[i] = memoryBytes;
    this.layouts[i] = slot;
    copyLayout(layout, slot);
    if (this.size < k) this.size++;
  }
  /** drop entry j, moving its slot object to the end for reuse */
  private remove(j: number): void {
    const slot = this.layouts[j] as ParallelLayout;
    for (let q = j; q < this.size - 1; q++) {
      this.scores[q] = this.scores[q + 1] ?? 0;
      this.memories[q] = this.memories[q + 1] ?? 0;
      this.layouts[q] = this.layouts[q + 1] as ParallelLayout;
    }
    this.size--;
    this.layouts[this.size] = slot;
  }
}

/** Two scores equal within a relative 1e-12 (floating-point noise, not a modelled difference). */
function ties(score: number, otherScore: number): boolean {
  return Math.abs(score - otherScore) <= 1e-12 * Math.max(Math.abs(score), Math.abs(otherScore));
}

/** Lower score wins; on a tie (relative 1e-12) the layout with more memory headroom wins. */
function better(score: number, mem: number, otherScore: number, otherMem: number): boolean {
  if (!ties(score, otherScore)) return score < otherScore;
  return mem < otherMem;
}

/** Order of the returned candidates: step time, then memory; 0 when both tie (the sort is stable). */
function compareCandidates(a: LayoutCandidate, b: LayoutCandidate): number {
  const sa = a.performance.stepSeconds, sb = b.performance.stepSeconds;
  if (!ties(sa, sb)) return sa < sb ? -1 : 1;
  const ma = a.memory.perGpu.totalBytes, mb = b.memory.perGpu.totalBytes;
  return ma < mb ? -1 : ma > mb ? 1 : 0;
}

const BREAKDOWN_LABELS: Record<keyof StepTimeBreakdown, string> = {
  compute: 'compute',
  recompute: 'recomputation',
  tensorComm: 'tensor-parallel communication',
  pipelineBubble: 'pipeline bubble',
  pipelineComm: 'pipeline sends',
  dataComm: 'data-parallel gradient communication',
  contextComm: 'context-parallel communication',
  expertComm: 'expert all-to-all',
  hostOverhead: 'host launch overhead',
  optimizer: 'optimizer step',
};

function formatSeconds(x: number): string {
  const a = Math.abs(x);
  if (a >= 10) return `${x.toFixed(1)} s`;
  if (a >= 0.1) return `${x.toFixed(2)} s`;
  return `${(x * 1000).toFixed(1)} ms`;
}

/** The fields in which `other` differs from `base`, e.g. 'pp=16 v=1'. */
export function layoutDifference(base: ParallelLayout, other: ParallelLayout): string {
  const parts: string[] = [];
  if (other.tensor !== base.tensor) parts.push(`tp=${other.tensor}`);
  if (other.pipeline !== base.pipeline) parts.push(`pp=${other.pipeline}`);
  if (other.data !== base.data) parts.push(`dp=${other.data}`);
  if (other.context !== base.context) parts.push(`cp=${other.context}`);
  if (other.expert !== base.expert) parts.push(`ep=${other.expert}`);
  if (other.microBatchSize !== base.microBatchSize) parts.push(`mbs=${other.microBatchSize}`);
  if (other.zeroStage !== base.zeroStage) parts.push(`zero=${other.zeroStage}`);
  if (other.recompute !== base.recompute) parts.push(`recompute=${other.recompute}`);
  if (other.sequenceParallel !== base.sequenceParallel) parts.push(`sp=${other.sequenceParallel ? 'on' : 'off'}`);
  if (other.virtualStages !== base.virtualStages || other.schedule !== base.schedule) parts.push(`v=${other.virtualStages}`);
  return parts.length > 0 ? parts.join(' ') : 'identical layout';
}

/** Why the runner-up ranks below the winner, in the terms of the step-time breakdown. */
export function explainRunnerUp(winner: LayoutCandidate, runnerUp: LayoutCandidate): string {
  const who = `runner-up ${layoutDifference(winner.parallelism, runnerUp.parallelism)}`;
  const w = winner.performance;
  const r = runnerUp.performance;
  const dt = r.stepSeconds - w.stepSeconds;
  const pct = w.stepSeconds > 0 ? (100 * dt) / w.stepSeconds : 0;
  if (Math.abs(pct) < 0.05) {
    const dm = runnerUp.memory.perGpu.totalBytes - winner.memory.perGpu.totalBytes;
    const slower = dt > 0 ? ` (+${pct.toFixed(3)}%)` : '';
    const memory = dm >= 0.05 * GiB ? `, ${(dm / GiB).toFixed(1)} GiB more memory per GPU` : '';
    return `${who}: same step time within 0.05%${slower}${memory}`;
  }
  let worstKey: keyof StepTimeBreakdown = 'compute';
  let worstDelta = -Infinity;
  for (const key of Object.keys(BREAKDOWN_LABELS) as (keyof StepTimeBreakdown)[]) {
    const delta = r.breakdownSeconds[key] - w.breakdownSeconds[key];
    if (delta > worstDelta) {
      worstDelta = delta;
      worstKey = key;
    }
  }
  return `${who}: +${pct.toFixed(1)}% step time, mostly ${BREAKDOWN_LABELS[worstKey]} (+${formatSeconds(worstDelta)})`;
}

function costPerMillionTokensUsd(req: SearchRequest, stepSeconds: number): number | undefined {
  const price = req.gpuHourUsd ?? req.accelerator.cloudGpuHourUsd;
  if (price === undefined) return undefined;
  const tokensPerStep = req.training.globalBatchSequences * req.training.sequenceLength;
  // GPU-hours per step × price / tokens per step, per 1e6 tokens
  return ((req.gpus * stepSeconds) / 3600) * price * (1e6 / tokensPerStep);
}

/**
 * Search the parallel layouts of `req.gpus` GPUs for this workload. Honours every field of
 * `req.fixed`; keeps t within the scale-up domain unless `allowTensorBeyondScaleUp` or t is fixed.
 */
export function searchLayouts(req: SearchRequest, makeEvaluator: EvaluatorFactory = modelEvaluator): SearchResult {
  const start = performance.now();
  const maxWork = Number.isFinite(req.maxEvaluations) ? Math.max(0, req.maxEvaluations) : DEFAULT_MAX_EVALUATIONS;
  const deadline = req.timeBudgetMs !== undefined && Number.isFinite(req.timeBudgetMs) ? start + Math.max(0, req.timeBudgetMs) : Infinity;
  let stoppedBy: SearchResult['stoppedBy'];
  const ev = makeEvaluator(req);
  const cap = ev.capacityBytes;
  const { shape, training, fixed: f } = req;
  const L = shape.layers;
  const B = training.globalBatchSequences;
  const s = training.sequenceLength;
  const expertsTotal = shape.moe?.experts ?? 1;
  const axes = buildAxes(req);
  const tensorOk = new Set(tensorDegreesForShape(shape));
  const tensorLimit = req.allowTensorBeyondScaleUp || f.tensor !== undefined ? Infinity : req.accelerator.scaleUpDomainSize;
  const top = new TopK(Number.isFinite(req.topK) ? Math.max(1, Math.floor(req.topK)) : DEFAULT_TOP_K);

  const V = axes.virtualStages;
  const E = axes.experts;
  const MB = axes.microBatches;
  const SP = axes.sequenceParallel;
  const Z = axes.zeroStages;
  const R = axes.recompute;
  const perZ = R.length;
  const perSp = Z.length * perZ;
  const perB = SP.length * perSp;
  const perE = MB.length * perB;
  const perV = E.length * perE;
  const perTriple = V.length * perV;
  const leafBound = ev.leafLowerBound !== false;
  // per (sp, zero): index of the least recomputation that fitted at the previous micro-batch size
  const leastFitting = new Uint8Array(SP.length * Z.length);
  const rules = req.rules;
  // framework rules (config/frameworks.yaml): whole layers per virtual stage, micro-batches a multiple
  // of p when interleaving, the ZeRO stages that combine with pipeline parallelism
  const wholeLayers = rules?.interleavedWholeLayers === true;
  const splitUnits = stageSplitUnits(L, req.modelOptions?.performance?.stageSplit ?? 'even');
  const microBatchesMultipleOfP = rules ? rules.interleavedMicroBatchesMultipleOfPipeline : true;
  const zeroWithPipeline = Z.map((z) => !rules || rules.zeroStagesWithPipeline.includes(z));
  const leanZeroWithPipeline = Z.filter((_, i) => zeroWithPipeline[i]).at(-1);
  const leanZeroAlone = Z[Z.length - 1] ?? 0;
  // DualPipe only when the request fixes it (layouts/rules.ts): even p, an even m of at least 2p
  const dualpipe = f.schedule === 'dualpipe';
  const leanRecompute = R[R.length - 1] ?? 'none';

  let evaluated = 0;
  let prunedDiv = 0;
  let prunedMem = 0;
  let prunedDom = 0;
  let sinceCheck = 0;
  let work = 0;
  let complete = true;
  // The layout closest to fitting, in case nothing fits: while nothing has fitted, the exact memory
  // of each sub-tree's leanest layout (memory is monotone inside a sub-tree, so that is its minimum).
  const closest = blankLayout();
  let closestBytes = Infinity;

  const x = blankLayout();

  search: for (const { t, p, c, d } of axes.triples) {
    // divisibility tables: the (t, p, c, d) grid point
    if (!tensorOk.has(t) || t > tensorLimit || p > L || B % d !== 0 || (c > 1 && s % (2 * c) !== 0)) {
      prunedDiv += perTriple;
      continue;
    }
    x.tensor = t;
    x.pipeline = p;
    x.context = c;
    x.data = d;
    if (dualpipe && (p < 2 || p % 2 !== 0)) {
      prunedDiv += perTriple;
      continue;
    }
    const perRank = B / d;
    const leanZero = p > 1 ? leanZeroWithPipeline : leanZeroAlone;
    if (leanZero === undefined) {
      prunedDiv += perTriple; // no ZeRO stage the framework runs with pipeline parallelism
      continue;
    }
    for (const v of V) {
      // layers may split unevenly, 1F1B and interleaved alike (Llama 3 405B: 126 layers on 16 stages); every virtual stage needs a layer: p·v ≤ L
      if (v > 1 && (p === 1 || p * v > L || (wholeLayers && splitUnits % (p * v) !== 0))) {
        prunedDiv += perV;
        continue;
      }
      x.virtualStages = v;
      x.schedule = dualpipe ? 'dualpipe' : v > 1 ? 'interleaved' : '1f1b';
      for (const e of E) {
        if (expertsTotal % e !== 0 || (d * c) % e !== 0) {
          prunedDiv += perE;
          continue;
        }
        x.expert = e;
        // memory lower bound of the whole sub-tree: smallest valid micro-batch, leanest settings
        let bMin = 0;
        for (const b of MB) {
          // the same validity rules as the leaves below: b divides the rank's batch, and interleaving needs m a multiple of p
          if (perRank % b === 0 && (v === 1 || !microBatchesMultipleOfP || (perRank / b) % p === 0) && (!dualpipe || dualpipeMicroBatchesOk(perRank / b, p))) {
            bMin = b;
            break;
          }
        }
        if (bMin === 0) {
          prunedDiv += perE;
          continue;
        }
        x.microBatchSize = bMin;
        x.zeroStage = leanZero;
        x.recompute = leanRecompute;
        x.sequenceParallel = SP.includes(true) && t > 1 && (s / c) % t === 0 ? true : (SP[0] ?? false);
        if (top.size === 0) {
          // ZeRO-3's gathered-parameter buffers can outweigh its savings on small data-parallel
          // groups, so the leanest stage is not always the highest: try each
          for (let zi = 0; zi < Z.length; zi++) {
            if (p > 1 && !zeroWithPipeline[zi]) continue;
            x.zeroStage = Z[zi] as ZeroStage;
            const leanBytes = ev.memoryBytes(x);
            if (leanBytes < closestBytes) {
              closestBytes = leanBytes;
              copyLayout(x, closest);
            }
          }
          x.zeroStage = leanZero;
          sinceCheck += Z.length;
        }
        sinceCheck++;
        if (ev.memoryLowerBoundBytes(x) > cap) {
          prunedMem += perE;
          if (sinceCheck >= WORK_CHECK_INTERVAL) {
            // budgets are checked at fixed points of the work, so a work-budget cut is deterministic
            work += sinceCheck;
            sinceCheck = 0;
            if (work > maxWork) stoppedBy = 'work-budget';
            else if (deadline !== Infinity && performance.now() > deadline) stoppedBy = 'time-budget';
            if (stoppedBy !== undefined) {
              complete = false;
              break search;
            }
          }
          continue;
        }
        leastFitting.fill(0);
        for (let bi = 0; bi < MB.length; bi++) {
          const b = MB[bi] as number;
          if (perRank % b !== 0) {
            prunedDiv += perB;
            continue;
          }
          const m = perRank / b;
          if ((v > 1 && microBatchesMultipleOfP && m % p !== 0) || (dualpipe && !dualpipeMicroBatchesOk(m, p))) {
            prunedDiv += perB;
            continue;
          }
          x.microBatchSize = b;
          let anyFit = false;
          for (let si = 0; si < SP.length; si++) {
            const sp = SP[si] as boolean;
            if (sp && t === 1 && SP.length > 1) {
              prunedDom += perSp; // identical to sp=off when t=1
              continue;
            }
            if (sp && t > 1 && (s / c) % t !== 0) {
              prunedDiv += perSp;
              continue;
            }
            x.sequenceParallel = sp;
            for (let zi = 0; zi < Z.length; zi++) {
              if (p > 1 && !zeroWithPipeline[zi]) {
                prunedDiv += R.length; // the framework refuses this ZeRO stage with pipeline parallelism (DeepSpeed's pipeline engine: ZeRO ≤ 1)
                continue;
              }
              x.zeroStage = Z[zi] as ZeroStage;
              if (x.zeroStage > 0 && d * c === 1 && Z.length > 1) {
                prunedDom += R.length; // ZeRO over a one-rank data-parallel group shards nothing: the ZeRO-0 layout
                continue;
              }
              // memory grows with b: recomputation levels that did not fit at a smaller b do not fit now
              const slot = si * Z.length + zi;
              let ri = leastFitting[slot] as number;
              prunedMem += ri;
              for (; ri < R.length; ri++) {
                x.recompute = R[ri] as RecomputeMode;
                if (leafBound && ev.memoryLowerBoundBytes(x) > cap) {
                  prunedMem++;
                  continue;
                }
                const bytes = ev.memoryBytes(x);
                if (bytes > cap) {
                  prunedMem++;
                  continue;
                }
                // the least recomputation that fits: the rest are dominated
                const seconds = ev.stepSeconds(x);
                evaluated++;
                if (seconds <= top.threshold) top.offer(seconds, bytes, x);
                anyFit = true;
                prunedDom += R.length - ri - 1;
                break;
              }
              leastFitting[slot] = ri;
              sinceCheck += R.length;
            }
          }
          if (sinceCheck >= WORK_CHECK_INTERVAL) {
            // budgets are checked at fixed points of the work, so a work-budget cut is deterministic
            work += sinceCheck;
            sinceCheck = 0;
            if (work > maxWork) stoppedBy = 'work-budget';
            else if (deadline !== Infinity && performance.now() > deadline) stoppedBy = 'time-budget';
            if (stoppedBy !== undefined) {
              complete = false;
              break search;
            }
          }
          if (!anyFit) {
            // memory grows with the micro-batch: no larger b fits either
            prunedMem += (MB.length - bi - 1) * perB;
            break;
          }
        }
      }
    }
  }

  const candidates: LayoutCandidate[] = [];
  for (let i = 0; i < top.size; i++) {
    const l = { ...(top.layouts[i] as ParallelLayout) };
    const cand: LayoutCandidate = { parallelism: l, memory: ev.memory(l), performance: ev.performance(l) };
    const cost = costPerMillionTokensUsd(req, cand.performance.stepSeconds);
    if (cost !== undefined) cand.costPerMillionTokensUsd = cost;
    candidates.push(cand);
  }
  // the full models rank the final list (they agree with the fast path; this guards a drift)
  candidates.sort(compareCandidates);

  const result: SearchResult = {
    candidates,
    searched: evaluated + prunedDiv + prunedMem + prunedDom,
    evaluated,
    pruned: { divisibility: prunedDiv, memory: prunedMem, dominated: prunedDom },
    complete,
    workUnits: work + sinceCheck,
    elapsedMs: 0,
  };
  if (stoppedBy) result.stoppedBy = stoppedBy;
  const [first, second] = candidates;
  if (first && second) result.runnerUpReason = explainRunnerUp(first, second);
  if (candidates.length === 0) {
    result.infeasibleReason = explainInfeasible(req, cap, closest, closestBytes, complete);
    if (closestBytes < Infinity) result.closest = { parallelism: { ...closest }, memoryBytes: closestBytes, gpuMemoryBytes: cap };
  }
  result.elapsedMs = performance.now() - start;
  return result;
}

/** Why an incomplete search stopped, in words, for the response's warnings. */
export function incompleteSearchWarning(result: SearchResult, maxEvaluations: number): string {
  return result.stoppedBy === 'time-budget'
    ? `the layout search stopped at its wall-clock budget (search.timeBudgetMs) after ${result.workUnits} model calls: these are the best layouts found so far, and another machine may find others`
    : `the layout search stopped at its work budget of ${maxEvaluations} model calls (search.maxEvaluations): these are the best layouts found so far; raise it, or fix more of parallelism.*, for a complete search`;
}

function explainInfeasible(req: SearchRequest, cap: number, closest: ParallelLayout, closestBytes: number, complete: boolean): string {
  if (closestBytes === Infinity) {
    if (!complete) return 'the search budget ran out before any layout was checked; raise search.maxEvaluations';
    const layout = completeLayout(req.fixed, req.gpus);
    const problems = layoutProblems(req.shape, req.training, req.gpus, layout, req.accelerator);
    const why = problems.length > 0 ? problems.map((q) => q.message).join('; ') : 'the fixed fields leave no layout';
    return `no parallel layout of ${req.gpus} GPUs satisfies the divisibility rules, e.g. ${describeLayout(layout)}: ${why}`;
  }
  const need = closestBytes;
  return `no layout fits in ${(cap / GiB).toFixed(1)} GiB per GPU; the closest, ${describeLayout(closest)}, needs ${(need / GiB).toFixed(1)} GiB (${((need - cap) / GiB).toFixed(1)} GiB over)`;
}

