// What happens around one run on a chosen layout: infrastructure, failures and checkpoints, wall-clock
// time including the failure loss, cost at that time, and the ways to pay. Shared by the planner
// (POST /v1/estimate) and the procurement answers (compare, recommend, sweep). Pure: no Fastify, no I/O.
import { estimateCost, type CostEstimate, estimateCostOptions, type CostOptions, type PriceOptions, estimateInfrastructure, type InfrastructureEstimate, type InfrastructureOptions, estimateReliability, type ReliabilityEstimate, type ReliabilityOptions } from '../economics/index.js';
import type { Assumption, ParallelLayout, PerformanceEstimate } from '../core/index.js';
import { toPointer, type ResolvedWorkload } from './workload.js';

const HOURS_PER_DAY = 24;

/** The request's options for infrastructure, reliability and rental prices (all optional). */
export interface OperationsOptions {
  infrastructure?: InfrastructureOptions;
  reliability?: ReliabilityOptions;
  /** rental prices of the accelerator from the catalog */
  priceOptions?: PriceOptions;
}

export type WorkloadWithOperations = ResolvedWorkload & OperationsOptions;

/** Ideal time from the step time (planner.timeFor), before failures. */
export interface IdealTime {
  days: number;
  hours: number;
  gpuHours: number;
  steps: number;
}

/** Wall-clock time: days includes the failure loss; idealDays and goodput show it. */
export interface WallTime extends IdealTime {
  idealDays: number;
  idealGpuHours: number;
  /** useful / wall-clock time, 0..1 */
  goodput: number;
  /** days lost to failures: restarts, redone work, blocking checkpoints */
  failureLossDays: number;
  /** days at the ends of performance.stepSecondsRange (planner) */
  daysRange?: { low: number; high: number; confidence: number };
}

export interface Operations {
  time: WallTime;
  cost: CostEstimate;
  infrastructure: InfrastructureEstimate;
  reliability: ReliabilityEstimate;
  costOptions: CostOptions;
  warnings: string[];
  assumptions: Assumption[];
}

/** Infrastructure → reliability (checkpoint size and storage) → wall-clock days → cost and ways to pay. */
export function planOperations(w: WorkloadWithOperations, gpus: number, layout: ParallelLayout, performance: PerformanceEstimate, ideal: IdealTime): Operations {
  const infrastructure = estimateInfrastructure({
    gpus,
    accelerator: w.accelerator,
    shape: w.model.shape,
    counts: w.model.counts,
    training: w.training,
    layout,
    performance,
    days: ideal.days,
    cost: w.cost,
    ...(w.infrastructure ? { options: w.infrastructure } : {}),
  });
  const reliability = estimateReliability({
    gpus,
    idealDays: ideal.days,
    checkpointBytes: infrastructure.checkpoint.bytes,
    storageWriteBytesPerSecond: infrastructure.checkpoint.storageWriteBytesPerSecond,
    stepSeconds: performance.stepSeconds,
    ...(w.reliability ? { options: w.reliability } : {}),
  });
  const days = reliability.wallDays;
  const time: WallTime = {
    days,
    hours: days * HOURS_PER_DAY,
    gpuHours: days * HOURS_PER_DAY * gpus,
    steps: ideal.steps,
    idealDays: ideal.days,
    idealGpuHours: ideal.gpuHours,
    goodput: reliability.goodput,
    failureLossDays: reliability.lostDays,
  };
  const cost = estimateCost({ gpus, days, accelerator: w.accelerator, inputs: w.cost });
  const costOptions = estimateCostOptions(cost, w.priceOptions ?? {}, w.cost.gpuHourUsd);
  return {
    time,
    cost,
    infrastructure,
    reliability,
    costOptions,
    warnings: [...cost.warnings, ...infrastructure.warnings, ...reliability.warnings, ...costOptions.warnings],
    assumptions: [
      ...cost.assumptions.map((a) => ({ ...a, field: toPointer(a.field) })),
      ...infrastructure.assumptions,
      ...reliability.assumptions,
      ...costOptions.assumptions,
    ],
  };
}
