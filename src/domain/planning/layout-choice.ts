// Choosing the layout a workload runs on at a GPU count (the search, or the most sharded layout as a
// fallback with its memory miss), and the run's time from its step time. Shared by the planner
// (estimate, memory, sizing) and procurement (compare, recommend, sweep).
import { InputProblemError, type FieldProblem, type MemoryEstimate, type ParallelLayout, type PerformanceEstimate } from '../core/index.js';
import { memoryFrugalLayouts } from './gpu-sizing.js';
import { describeLayout, layoutProblems } from '../layouts/index.js';
import { estimateMemory } from '../memory/index.js';
import { incompleteSearchWarning, searchLayouts, type SearchRequest, type SearchResult } from '../search/index.js';
import { estimatePerformance, peakFlopsForPrecision } from '../performance/index.js';
import type { ResolvedWorkload } from './workload.js';

const SECONDS_PER_DAY = 86_400;

export interface ChosenLayout {
  layout: ParallelLayout;
  memory: MemoryEstimate;
  performance: PerformanceEstimate;
  source: 'search' | 'fallback';
  search?: SearchResult;
  warnings: string[];
}

export interface TimeResult {
  days: number;
  hours: number;
  gpuHours: number;
  steps: number;
  /** days at the ends of performance.stepSecondsRange */
  daysRange?: { low: number; high: number; confidence: number };
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

