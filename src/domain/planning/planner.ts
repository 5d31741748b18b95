// The planner composes the domain services into the answers of the API: one workload in, memory,
// FLOPs, layout, performance, time, cost and sizing out. Pure and synchronous: the server runs it in
// worker threads (src/workers), tests call it directly.
import { InputProblemError, type FieldProblem, type Assumption, type MemoryEstimate, type ParallelLayout, type PerformanceEstimate } from '../core/index.js';
import type { CostEstimate, CostOptions, InfrastructureEstimate, ReliabilityEstimate } from '../economics/index.js';
import { trainingFlops, type FlopsEstimate } from '../model/index.js';
import { memoryFrugalLayouts, sizeForWorkload } from './gpu-sizing.js';
import { describeLayout, layoutProblems } from '../layouts/index.js';
import { estimateMemory } from '../memory/index.js';
import { incompleteSearchWarning, searchLayouts, type SearchRequest, type SearchResult } from '../search/index.js';
import { defaultMfu, estimatePerformance, peakFlopsForPrecision, performanceFromMfu, stackCalibrationFor } from '../performance/index.js';
import type { ResolvedWorkload } from './workload.js';
import { planOperations, type WorkloadWithOperations } from './operations.js';


const SECONDS_PER_DAY = 86_400;
/** Sizing looks no further than this many GPUs (the schema's hardware.count bound). */
const MAX_SIZED_GPUS = 1_048_576;

export interface ChosenLayout {
  layout: ParallelLayout;
  memory: MemoryEstimate;
  performance: PerformanceEstimate;
  source: 'search' | 'fallback';
  search?: SearchResult;
  warnings: string[];
}

export interface SizingResult {
  minGpusByMemory: number;
  naiveGpusByMemory: number;
  gpusForDeadline?: number;
  recommendedGpus: number;
  nodes: number;
  marginFraction: number;
  reasoning: string[];
}

export interface TimeResult {
  days: number;
  hours: number;
  gpuHours: number;
  steps: number;
  /** days at the ends of performance.stepSecondsRange */
  daysRange?: { low: number; high: number; confidence: number };
}

export interface EstimateResult {
  workload: ResolvedWorkload;
  gpus: number;
  flops: FlopsEstimate;
  chosen: ChosenLayout;
  performance: PerformanceEstimate;
  time: TimeResult;
  cost: CostEstimate;
  sizing: SizingResult;
  /** nodes, racks, power, network, checkpoint, dataset (issue 4) */
  infrastructure?: InfrastructureEstimate;
  /** failures, checkpoint interval, goodput: time.days includes the loss, time.idealDays does not */
  reliability?: ReliabilityEstimate;
  /** on-demand / reserved / spot rental, purchase, break-even */
  costOptions?: CostOptions;
  warnings: string[];
  assumptions: Assumption[];
}

/** The dense peak the time model uses for this precision (fp32 trains in TF32 where the chip has it). */
export function trainingPeakFlopsPerSecond(w: ResolvedWorkload): number {
  return peakFlopsForPrecision(w.accelerator, w.training.precision);
}

export function searchRequestFor(w: ResolvedWorkload, gpus: number, overrides: Partial<SearchRequest> = {}): SearchRequest {
  return {
    shape: w.model.shape,
    counts: w.model.counts,
    training: w.training,
    accelerator: w.accelerator,
    gpus,
    fixed: w.fixedLayout,
    objective: w.search.objective,
    topK: w.search.topK,
    maxEvaluations: w.search.maxEvaluations,
    ...(w.search.timeBudgetMs !== undefined ? { timeBudgetMs: w.search.timeBudgetMs } : {}),
    allowTensorBeyondScaleUp: w.search.allowTensorBeyondScaleUp,
    ...(w.cost.gpuHourUsd !== undefined ? { gpuHourUsd: w.cost.gpuHourUsd } : {}),
    modelOptions: w.modelOptions,
    ...(w.framework ? { rules: w.framework.rules } : {}),
    ...overrides,
  };
}

/** Problems with the request's fixed layout fields on `gpus` GPUs (divisibility, products). */
export function fixedLayoutProblems(w: ResolvedWorkload, gpus: number): FieldProblem[] {
  return layoutProblems(w.model.shape, w.training, gpus, w.fixedLayout, w.accelerator, {
    ...(w.framework ? { interleavedMicroBatchesMultipleOfPipeline: w.framework.rules.interleavedMicroBatchesMultipleOfPipeline } : {}),
    globalBatchPath: w.globalBatchPath,
    tensorWithinScaleUp: !w.search.allowTensorBeyondScaleUp,
  });
}

/** The most memory-frugal valid layout the request allows: shown when nothing fits, so the user sees by how much it misses. */
function mostShardedLayout(w: ResolvedWorkload, gpus: number): ParallelLayout | undefined {
  return memoryFrugalLayouts(w.model.shape, w.training, gpus, w.accelerator, {
    fixed: w.fixedLayout,
    allowTensorBeyondScaleUp: w.search.allowTensorBeyondScaleUp,
  })[0];
}

function evaluate(w: ResolvedWorkload, layout: ParallelLayout): { memory: MemoryEstimate; performance: PerformanceEstimate } {
  const { shape, counts } = w.model;
  return {
    memory: estimateMemory(shape, counts, w.training, layout, w.accelerator, w.modelOptions.memory),
    performance: estimatePerformance(shape, counts, w.training, layout, w.accelerator, w.modelOptions.performance),
  };
}

/** The layout to report: the search's best that fits, or (nothing fits) the most sharded valid layout, marked as not fitting. */
export function chooseLayout(w: ResolvedWorkload, gpus: number): ChosenLayout {
  throwIfLayoutProblems(w, gpus);
  const search = searchLayouts(searchRequestFor(w, gpus));
  const best = search.candidates[0];
  if (best) {
    const warnings = search.complete ? [] : [incompleteSearchWarning(search, w.search.maxEvaluations)];
    return { layout: best.parallelism, memory: best.memory, performance: best.performance, source: 'search', search, warnings };
  }
  const fallback = mostShardedLayout(w, gpus);
  if (!fallback) {
    throw new InputProblemError([
      {
        // with layout fields fixed, those are what to change; otherwise the GPU count is
        path: Object.keys(w.fixedLayout).length > 0 ? '/parallelism' : '/hardware/count',
        message: `no valid parallel layout of ${w.model.shape.layers} layers, ${w.model.shape.attentionHeads} heads and a global batch of ${w.training.globalBatchSequences} sequences exists on ${gpus} GPUs${search.infeasibleReason ? `: ${search.infeasibleReason}` : ''}`,
      },
    ]);
  }
  const { memory, performance } = evaluate(w, fallback);
  const missGiB = (memory.perGpu.totalBytes - memory.gpuMemoryBytes) / 2 ** 30;
  return {
    layout: fallback,
    memory,
    performance,
    source: 'fallback',
    search,
    warnings: [
      `no layout fits in ${(w.accelerator.memoryBytes / 2 ** 30).toFixed(0)} GiB per GPU on ${gpus} ${w.accelerator.id}: ` +
        `the most sharded one (${describeLayout(fallback)}) needs ${(memory.perGpu.totalBytes / 2 ** 30).toFixed(1)} GiB, ${missGiB.toFixed(1)} GiB too many. ` +
        'Use more GPUs (see sizing.minGpusByMemory) or a larger-memory accelerator.',
    ],
  };
}

function throwIfLayoutProblems(w: ResolvedWorkload, gpus: number): void {
  const problems = fixedLayoutProblems(w, gpus);
  if (problems.length > 0) throw new InputProblemError(problems);
}

export function timeFor(w: ResolvedWorkload, gpus: number, stepSeconds: number): TimeResult {
  const tokensPerStep = w.training.globalBatchSequences * w.training.sequenceLength;
  const steps = Math.max(1, Math.ceil(w.training.tokens / tokensPerStep));
  const seconds = steps * stepSeconds;
  const hours = seconds / 3600;
  return { days: seconds / SECONDS_PER_DAY, hours, gpuHours: hours * gpus, steps };
}

function withoutData(layout: Partial<ParallelLayout>): Partial<ParallelLayout> {
  const { data: _data, ...rest } = layout;
  return rest;
}

/** Sizing: fewest GPUs that fit memory, GPUs for the deadline, and the recommendation with the planning guide's 20% margin. */
export function planSizing(w: ResolvedWorkload, flops: FlopsEstimate): SizingResult {
  const mfu = w.mfuOverride ?? defaultMfu(w.accelerator);
  const perGpuModelFlopsPerSecond = trainingPeakFlopsPerSecond(w) * mfu;
  const deadlineDays = w.constraints.deadlineDays;
  const sizing = sizeForWorkload({
    shape: w.model.shape,
    counts: w.model.counts,
    training: w.training,
    accelerator: w.accelerator,
    ...(deadlineDays !== undefined && perGpuModelFlopsPerSecond > 0
      ? { deadline: { totalModelFlops: flops.total, deadlineDays, perGpuModelFlopsPerSecond } }
      : {}),
    maxGpus: MAX_SIZED_GPUS,
    // The data-parallel degree follows the GPU count being tried; the other fixed fields hold.
    fit: { fixed: withoutData(w.fixedLayout), allowTensorBeyondScaleUp: w.search.allowTensorBeyondScaleUp },
  });
  if (deadlineDays !== undefined) {
    sizing.reasoning.push(
      `the deadline count assumes ${(mfu * 100).toFixed(0)}% MFU (${w.mfuOverride !== undefined ? 'efficiency.mfu' : `default for ${w.accelerator.generation}`})`,
    );
  }
  return {
    minGpusByMemory: sizing.minGpusByMemory ?? 0,
    naiveGpusByMemory: sizing.naiveGpusWithMargin,
    ...(sizing.gpusForDeadline !== undefined ? { gpusForDeadline: sizing.gpusForDeadline } : {}),
    recommendedGpus: sizing.recommendedGpus,
    nodes: sizing.nodes,
    marginFraction: sizing.marginFraction,
    reasoning: sizing.reasoning,
  };
}

/** The whole plan for one workload. */
export function planEstimate(w: ResolvedWorkload): EstimateResult {
  const warnings = [...w.warnings];
  const assumptions = [...w.assumptions];
  const flops = trainingFlops(w.model.shape, w.model.counts, w.training);
  const sizing = planSizing(w, flops);

  let gpus = w.gpus;
  if (gpus === undefined) {
    gpus = sizing.recommendedGpus;
    assumptions.push({ field: '/hardware/count', value: gpus, reason: `not given: the recommended count (${sizing.reasoning.at(-1) ?? 'sizing'})` });
  }
  const chosen = chooseLayout(w, gpus);
  warnings.push(...chosen.warnings);

  let performance = chosen.performance;
  if (w.mfuOverride !== undefined) {
    performance = performanceFromMfu(flops.perToken, w.training, gpus, w.accelerator, w.mfuOverride);
    assumptions.push({ field: '/efficiency/mfu', value: w.mfuOverride, reason: "given: step time from this MFU instead of the performance model's prediction" });
  }
  // ideal time from the step time, then failures and checkpoints (reliability.ts): time.days is
  // wall-clock days including the loss, time.idealDays the loss-free figure; cost follows wall-clock days.
  const ideal = timeFor(w, gpus, performance.stepSeconds);
  const ops = planOperations(w as WorkloadWithOperations, gpus, chosen.layout, performance, ideal);
  const { time, cost, infrastructure, reliability, costOptions } = ops;
  warnings.push(...ops.warnings);
  assumptions.push(...ops.assumptions);

  // the fitted band (npm run calibrate): measured step times of comparable runs fall in it 80% of the time;
  // time and cloud cost scale with the step time
  let timeOut = time;
  let costOut = cost;
  if (performance.source === 'model') {
    const look = stackCalibrationFor(w.stepTimeFit, w.accelerator.generation, w.framework?.id, gpus);
    if (look) {
      const { low, high, confidence, basis } = look.band;
      performance = { ...performance, stepSecondsRange: { low: performance.stepSeconds * low, high: performance.stepSeconds * high, confidence, basis } };
      timeOut = { ...time, daysRange: { low: time.days * low, high: time.days * high, confidence } };
      if (cost.cloud.priceKnown) costOut = { ...cost, cloud: { ...cost.cloud, totalUsdRange: { low: cost.cloud.totalUsd * low, high: cost.cloud.totalUsd * high, confidence } } };
      for (const u of look.unvalidated) warnings.push(`step time not validated on measured runs: ${u}`);
    }
  }

  if (time.days > 365) {
    warnings.push(`the run takes ${time.days.toFixed(0)} days, over a year on ${gpus} GPUs: give more GPUs (hardware.count) or a deadline (constraints.deadlineDays)`);
  }
  if (w.constraints.deadlineDays !== undefined && time.days > w.constraints.deadlineDays) {
    warnings.push(
      `the run takes ${time.days.toFixed(1)} days, past the ${w.constraints.deadlineDays}-day deadline: about ${sizing.gpusForDeadline ?? '?'} GPUs would meet it`,
    );
  }
  if (w.constraints.budgetUsd !== undefined && cost.cloud.priceKnown && cost.cloud.totalUsd > w.constraints.budgetUsd) {
    warnings.push(`the cloud cost $${Math.round(cost.cloud.totalUsd).toLocaleString('en-US')} exceeds the budget of $${Math.round(w.constraints.budgetUsd).toLocaleString('en-US')}`);
  }
  return { workload: w, gpus, flops, chosen, performance, time: timeOut, cost: costOut, sizing, infrastructure, reliability, costOptions, warnings, assumptions };
}
