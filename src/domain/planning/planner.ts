// The planner composes the domain services into the answers of the API: one workload in, memory,
// FLOPs, layout, performance, time, cost and sizing out. Pure and synchronous: the server runs it in
// worker threads (src/workers), tests call it directly.
import type { Accelerator, Assumption, FieldProblem, ParallelLayout, PerformanceEstimate, Precision } from '../core/index.js';
import { costAssumptions, estimateCost, type CostEstimate, type CostOptions, type CostOverrides, type InfrastructureEstimate, type ReliabilityEstimate } from '../economics/index.js';
import { trainingFlops, type FlopsEstimate } from '../model/index.js';
import { sizeForWorkload, type DeadlineInput } from './gpu-sizing.js';
import { describeLayout } from '../layouts/index.js';
import { performanceFromMfu, stackCalibrationFor } from '../performance/index.js';
import { costFieldProblems, defaultPrecisionFor, lookupAccelerator, unknownAcceleratorProblem, type CatalogView, type ResolvedWorkload } from './workload.js';
import { planOperations, type WorkloadWithOperations } from './operations.js';
import { chooseLayout, timeFor, trainingPeakFlopsPerSecond, type ChosenLayout, type TimeResult } from './layout-choice.js';
import { DEFAULT_PROCUREMENT_SEARCH_EVALUATIONS, sizeForDeadline } from './procurement.js';

/** Sizing looks no further than this many GPUs (the schema's hardware.count bound). */
const MAX_SIZED_GPUS = 1_048_576;


export interface SizingResult {
  minGpusByMemory: number;
  naiveGpusByMemory: number;
  gpusForDeadline?: number;
  recommendedGpus: number;
  nodes: number;
  marginFraction: number;
  reasoning: string[];
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

function withoutData(layout: Partial<ParallelLayout>): Partial<ParallelLayout> {
  const { data: _data, ...rest } = layout;
  return rest;
}

/**
 * GPUs for the deadline. With efficiency.mfu given: model FLOPs at that flat MFU. Otherwise the same
 * step-time model as every estimate: the fewest node-grid GPUs whose best layout, failures included,
 * ends within the deadline (procurement.ts sizeForDeadline), so that an estimate at that count meets it.
 */
function deadlineSizing(w: ResolvedWorkload, flops: FlopsEstimate, deadlineDays: number): DeadlineInput | undefined {
  if (w.mfuOverride !== undefined) {
    const perGpuModelFlopsPerSecond = trainingPeakFlopsPerSecond(w) * w.mfuOverride;
    return perGpuModelFlopsPerSecond > 0 ? { totalModelFlops: flops.total, deadlineDays, perGpuModelFlopsPerSecond } : undefined;
  }
  const budget = Math.min(w.search.maxEvaluations, DEFAULT_PROCUREMENT_SEARCH_EVALUATIONS);
  const sized = sizeForDeadline(w as WorkloadWithOperations, deadlineDays, budget);
  const e = sized.evaluation;
  if (e.status === 'unsupported' || !e.ops || !e.layout) return undefined;
  const days = e.ops.time.days;
  const explanation = sized.meetsDeadline
    ? `${e.gpus} GPUs: the fewest on the node grid whose best layout (${describeLayout(e.layout)}) finishes in ${days.toFixed(1)} of ${deadlineDays} days by the step-time model, failures included (${sized.probes} sized)`
    : `the deadline of ${deadlineDays} days is not met: ${sized.limit ?? `${days.toFixed(1)} days on ${e.gpus} GPUs`}`;
  return { gpus: e.gpus, explanation };
}

/** Sizing: fewest GPUs that fit memory, GPUs for the deadline, and the recommendation with the planning guide's 20% margin. */
export function planSizing(w: ResolvedWorkload, flops: FlopsEstimate): SizingResult {
  const deadlineDays = w.constraints.deadlineDays;
  const deadline = deadlineDays !== undefined ? deadlineSizing(w, flops, deadlineDays) : undefined;
  const sizing = sizeForWorkload({
    shape: w.model.shape,
    counts: w.model.counts,
    training: w.training,
    accelerator: w.accelerator,
    ...(deadline ? { deadline } : {}),
    maxGpus: MAX_SIZED_GPUS,
    // The data-parallel degree follows the GPU count being tried; the other fixed fields hold.
    fit: { fixed: withoutData(w.fixedLayout), allowTensorBeyondScaleUp: w.search.allowTensorBeyondScaleUp },
  });
  if (deadlineDays !== undefined && w.mfuOverride !== undefined) {
    sizing.reasoning.push(`the deadline count assumes ${(w.mfuOverride * 100).toFixed(0)}% MFU (efficiency.mfu)`);
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

/** GPUs held for days whatever they train ("128 A100 for 30 days"): POST /v1/cost with usage.days. */
export interface HeldGpusRequest {
  /** a model makes it a training run's cost instead: refused together with usage */
  model?: unknown;
  hardware: { gpu: string; count?: number };
  training?: { precision?: Precision };
  cost?: CostOverrides;
  usage: { days: number };
  /** request parts the held-GPU cost does not read, named in a warning when given */
  ignoredParts: string[];
}

export interface HeldGpusCost {
  accelerator: Accelerator;
  gpus: number;
  days: number;
  precision: Precision;
  cost: CostEstimate;
  warnings: string[];
  assumptions: Assumption[];
}

/** Cloud and on-premises cost, energy and CO2 of `hardware.count` GPUs for `usage.days` (cost.ts estimateCost), or the problems. */
export function planHeldGpusCost(input: HeldGpusRequest, catalog: CatalogView): HeldGpusCost | { problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  if (input.model !== undefined) problems.push({ path: '/usage', message: 'usage.days prices GPUs for a time and model prices a training run: give one of them' });
  const gpus = input.hardware.count;
  if (gpus === undefined) problems.push({ path: '/hardware/count', message: 'usage.days needs hardware.count: the GPUs held' });
  const accelerator = lookupAccelerator(catalog, input.hardware.gpu);
  if (!accelerator) problems.push(unknownAcceleratorProblem(catalog, input.hardware.gpu, '/hardware/gpu'));
  problems.push(...costFieldProblems(input.cost ?? {}));
  if (problems.length > 0 || !accelerator || gpus === undefined) return { problems };
  const days = input.usage.days;
  const cost = estimateCost({ gpus, days, accelerator, inputs: input.cost ?? {} });
  return {
    accelerator,
    gpus,
    days,
    precision: input.training?.precision ?? defaultPrecisionFor(accelerator),
    cost,
    warnings: [...cost.warnings, ...(input.ignoredParts.length > 0 ? [`usage.days prices the GPUs alone: ${input.ignoredParts.join(', ')} ignored`] : [])],
    assumptions: costAssumptions(accelerator, input.cost ?? {}),
  };
}
