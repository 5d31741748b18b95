// The constants `npm run calibrate` fits on the measured runs (data/calibration/step-time-fit.json),
// and how a request finds its own: the training framework's host times, the framework × accelerator
// generation's compute scale, and the band a measured step time falls in (80% of comparable
// calibration runs, from cross-validated residuals). What no measured run covers falls back to the
// hand-set generation constants (calibration.ts) with the widest band, and says so.
import type { StackCalibration } from './workload-context.js';

/** measured / predicted step time: the band's ends as ratios, with the share of runs inside it */
export interface StepTimeBand {
  low: number;
  high: number;
  confidence: number;
  /** how the band was made (residuals of which runs, which cross-validation) */
  basis: string;
}

export interface FittedFramework {
  hostSecondsPerLayerPass: number;
  hostSecondsPerCollective: number;
  runs: number;
  sources: string[];
}

export interface FittedGroup {
  computeTimeScale: number;
  runs: number;
  sources: string[];
  /** GPU counts the group's runs span */
  gpus: { min: number; max: number };
  band: StepTimeBand;
}

export interface StepTimeFit {
  /** host times per training framework id */
  frameworks: Record<string, FittedFramework>;
  /** compute scale and band per "generation/framework" */
  groups: Record<string, FittedGroup>;
  /** the band where no group matches: leave-one-source-out residuals of every source */
  fallbackBand: StepTimeBand;
  /** host times where the framework has no measured run: the prior of the fit */
  priorHost: { hostSecondsPerLayerPass: number; hostSecondsPerCollective: number };
}

export interface StackLookup {
  stack: StackCalibration;
  band: StepTimeBand;
  /** what the prediction leans on that no measured run covers (for warnings); empty when covered */
  unvalidated: string[];
}

/** Widening of the band's log-width when a request runs beyond the group's measured GPU counts, per factor of 2. */
export const BAND_WIDENING_PER_DOUBLING_OUTSIDE = 0.05;

/**
 * The fitted constants and band for a request on `generation` with `framework` on `gpus` GPUs.
 * Without a fit (catalogs built by hand): the generation's hand-set constants and no band.
 */
export function stackCalibrationFor(
  fit: StepTimeFit | undefined,
  generation: string,
  framework: string | undefined,
  gpus: number,
): StackLookup | undefined {
  if (!fit) return undefined;
  const fw = framework ?? 'megatron-core';
  const key = `${generation.toLowerCase()}/${fw}`;
  const group = fit.groups[key];
  const host = fit.frameworks[fw];
  const unvalidated: string[] = [];
  if (!host) unvalidated.push(`no measured run of framework ${fw}: host launch times are the fit's prior`);
  if (!group) unvalidated.push(`no measured run of ${fw} on ${generation} accelerators: the generation's reference constants and the widest band (all sources, leave-one-source-out)`);
  const stack: StackCalibration = {
    computeTimeScale: group?.computeTimeScale ?? 1,
    hostSecondsPerLayerPass: host?.hostSecondsPerLayerPass ?? fit.priorHost.hostSecondsPerLayerPass,
    hostSecondsPerCollective: host?.hostSecondsPerCollective ?? fit.priorHost.hostSecondsPerCollective,
  };
  let band = group?.band ?? fit.fallbackBand;
  if (group && Number.isFinite(gpus) && gpus > 0) {
    const outside = gpus > group.gpus.max ? gpus / group.gpus.max : gpus < group.gpus.min ? group.gpus.min / gpus : 1;
    if (outside > 2) {
      // a scale no run measured: widen by 5% of log-width per doubling beyond the measured range
      const widen = BAND_WIDENING_PER_DOUBLING_OUTSIDE * Math.log2(outside);
      band = {
        ...band,
        low: band.low * Math.exp(-widen),
        high: band.high * Math.exp(widen),
        basis: `${band.basis}; widened for ${gpus} GPUs, outside the ${group.gpus.min}-${group.gpus.max} measured`,
      };
      unvalidated.push(`${gpus} GPUs is beyond the ${group.gpus.min}-${group.gpus.max} GPUs of the measured ${fw} runs on ${generation}`);
    }
  }
  return { stack, band, unvalidated };
}
