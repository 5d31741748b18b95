// The fit behind data/calibration/step-time-fit.json: few constants, each a mechanism, on the
// measured runs of data/calibration/measured-runs.jsonl (each asked as its source describes it).
//
// Constants (src/domain/performance/workload-context.ts StackCalibration):
//   per training framework   hostSecondsPerLayerPass, hostSecondsPerCollective (the host floor of a layer)
//   per generation×framework computeTimeScale (the stack's kernels against the generation's reference)
// Objective: the mean over sources of each source's mean |ln(predicted / measured)|, a source
// weighing √(its runs) (a big sweep does not drown a small table, a 2-run source does not match it), plus a weak prior, 0.01·(ln x − ln x0)², pulling each
// constant to its prior where the runs do not constrain it (host 10 µs per pass and per collective,
// scale 1). Coordinate descent, 3 sweeps: per constant a log-space grid, then golden section.
// Cross-validation: leave-one-source-out (each source predicted from constants fitted without it,
// the prior where nothing else constrains them) for the error, and for the band of a group with
// several sources; 5-fold by run for the band of a group with one source.
import type { Accelerator, ModelShape, ParallelLayout, ParameterCounts, TrainingSetup } from '../../src/domain/core/index.js';
import { evaluateLayout, prepareWorkload, withStack, type PerformanceOptions, type StackCalibration, type WorkloadContext } from '../../src/domain/performance/index.js';
import type { FittedFramework, FittedGroup, StepTimeBand, StepTimeFit } from '../../src/domain/performance/stack-fit.js';
import type { MeasuredRun } from './measured-runs.js';

export interface PreparedRun {
  run: MeasuredRun;
  source: string;
  framework: string;
  generation: string;
  group: string;
  gpus: number;
  measuredSeconds: number;
  shape: ModelShape;
  counts: ParameterCounts;
  training: TrainingSetup;
  layout: ParallelLayout;
  accelerator: Accelerator;
  options: PerformanceOptions;
  /** prepareWorkload of the run without a stack, made on first use */
  ctx?: WorkloadContext;
}

export const PRIOR = { hostSecondsPerLayerPass: 1e-5, hostSecondsPerCollective: 1e-5, computeTimeScale: 1 } as const;
const PRIOR_WEIGHT = 0.01;
const BOUNDS = { host: [1e-7, 2e-2], scale: [0.5, 2] } as const;
export const BAND_CONFIDENCE = 0.8;

export function predictSeconds(r: PreparedRun, stack: StackCalibration): number {
  r.ctx ??= prepareWorkload(r.shape, r.counts, r.training, r.accelerator, r.options);
  return evaluateLayout(withStack(r.ctx, stack), r.layout).stepSeconds;
}

export interface FitResult {
  frameworks: Record<string, FittedFramework>;
  scales: Record<string, number>;
}

export function stackOf(fit: FitResult, r: PreparedRun): StackCalibration {
  const f = fit.frameworks[r.framework];
  return {
    computeTimeScale: fit.scales[r.group] ?? PRIOR.computeTimeScale,
    hostSecondsPerLayerPass: f?.hostSecondsPerLayerPass ?? PRIOR.hostSecondsPerLayerPass,
    hostSecondsPerCollective: f?.hostSecondsPerCollective ?? PRIOR.hostSecondsPerCollective,
  };
}

function bySource(runs: readonly PreparedRun[]): Map<string, PreparedRun[]> {
  const m = new Map<string, PreparedRun[]>();
  for (const r of runs) m.set(r.source, [...(m.get(r.source) ?? []), r]);
  return m;
}

/** mean over sources of each source's mean |ln(predicted/measured)|, a source weighing √(its runs) */
function objective(groups: Map<string, PreparedRun[]>, stackFor: (r: PreparedRun) => StackCalibration): number {
  let sum = 0;
  let weights = 0;
  for (const rs of groups.values()) {
    let s = 0;
    for (const r of rs) s += Math.abs(Math.log(predictSeconds(r, stackFor(r)) / r.measuredSeconds));
    const w = Math.sqrt(rs.length);
    sum += (w * s) / rs.length;
    weights += w;
  }
  return weights > 0 ? sum / weights : 0;
}

/** The minimum of f on [lo, hi]: a 13-point grid (the objective has plateaus, where host times do not bite), then golden section around the best point. */
function minimize(f: (x: number) => number, lo: number, hi: number): number {
  const n = 13;
  let best = lo, bestF = Infinity;
  for (let i = 0; i < n; i++) {
    const x = lo + ((hi - lo) * i) / (n - 1);
    const fx = f(x);
    if (fx < bestF) { bestF = fx; best = x; }
  }
  const step = (hi - lo) / (n - 1);
  const x = golden(f, Math.max(lo, best - step), Math.min(hi, best + step), 14);
  return f(x) <= bestF ? x : best;
}

function golden(f: (x: number) => number, lo: number, hi: number, iterations = 28): number {
  const g = (Math.sqrt(5) - 1) / 2;
  let a = lo, b = hi;
  let c = b - g * (b - a), d = a + g * (b - a);
  let fc = f(c), fd = f(d);
  for (let i = 0; i < iterations; i++) {
    if (fc < fd) { b = d; d = c; fd = fc; c = b - g * (b - a); fc = f(c); }
    else { a = c; c = d; fc = fd; d = a + g * (b - a); fd = f(d); }
  }
  return (a + b) / 2;
}

/** Fits every framework's host times and every group's compute scale on `runs`. Deterministic. */
export function fitConstants(runs: readonly PreparedRun[]): FitResult {
  const fit: FitResult = { frameworks: {}, scales: {} };
  const frameworks = [...new Set(runs.map((r) => r.framework))].sort();
  for (const fw of frameworks) {
    const mine = runs.filter((r) => r.framework === fw);
    const sources = bySource(mine);
    const groups = [...new Set(mine.map((r) => r.group))].sort();
    const x = { pass: Math.log(PRIOR.hostSecondsPerLayerPass), coll: Math.log(PRIOR.hostSecondsPerCollective), scale: Object.fromEntries(groups.map((g) => [g, 0])) as Record<string, number> };
    const stackFor = (r: PreparedRun): StackCalibration => ({
      computeTimeScale: Math.exp(x.scale[r.group] ?? 0),
      hostSecondsPerLayerPass: Math.exp(x.pass),
      hostSecondsPerCollective: Math.exp(x.coll),
    });
    const prior = (): number =>
      PRIOR_WEIGHT * ((x.pass - Math.log(PRIOR.hostSecondsPerLayerPass)) ** 2 + (x.coll - Math.log(PRIOR.hostSecondsPerCollective)) ** 2 +
        Object.values(x.scale).reduce((a, v) => a + v * v, 0));
    const total = (): number => objective(sources, stackFor) + prior();
    for (let sweep = 0; sweep < 3; sweep++) {
      const pass = minimize((v) => { x.pass = v; return total(); }, Math.log(BOUNDS.host[0]), Math.log(BOUNDS.host[1]));
      x.pass = pass;
      const coll = minimize((v) => { x.coll = v; return total(); }, Math.log(BOUNDS.host[0]), Math.log(BOUNDS.host[1]));
      x.coll = coll;
      for (const g of groups) {
        const v = minimize((y) => { x.scale[g] = y; return total(); }, Math.log(BOUNDS.scale[0]), Math.log(BOUNDS.scale[1]));
        x.scale[g] = v;
      }
    }
    fit.frameworks[fw] = {
      hostSecondsPerLayerPass: round(Math.exp(x.pass)),
      hostSecondsPerCollective: round(Math.exp(x.coll)),
      runs: mine.length,
      sources: [...sources.keys()].sort(),
    };
    for (const g of groups) fit.scales[g] = round(Math.exp(x.scale[g]!));
  }
  return fit;
}

function round(x: number): number {
  return Number(x.toPrecision(4));
}

export interface CrossValidation {
  /** predicted seconds of every run from constants fitted without its source */
  looPredicted: Map<PreparedRun, number>;
  /** predicted seconds of every run from constants fitted without its fold (5 folds by run within its group) */
  foldPredicted: Map<PreparedRun, number>;
}

export function crossValidate(runs: readonly PreparedRun[]): CrossValidation {
  const looPredicted = new Map<PreparedRun, number>();
  for (const source of [...new Set(runs.map((r) => r.source))].sort()) {
    const fit = fitConstants(runs.filter((r) => r.source !== source));
    for (const r of runs) if (r.source === source) looPredicted.set(r, predictSeconds(r, stackOf(fit, r)));
  }
  const foldPredicted = new Map<PreparedRun, number>();
  const FOLDS = 5;
  const foldOf = new Map<PreparedRun, number>();
  const seen = new Map<string, number>();
  for (const r of runs) {
    const n = seen.get(r.group) ?? 0;
    foldOf.set(r, n % FOLDS);
    seen.set(r.group, n + 1);
  }
  for (let k = 0; k < FOLDS; k++) {
    const fit = fitConstants(runs.filter((r) => foldOf.get(r) !== k));
    for (const r of runs) if (foldOf.get(r) === k) foldPredicted.set(r, predictSeconds(r, stackOf(fit, r)));
  }
  return { looPredicted, foldPredicted };
}

/**
 * The 80% band of measured / predicted from residuals: the 10th and 90th percentiles of ln(measured/predicted),
 * each source weighing the same (its runs resampled to a common count), so the band of a group
 * with one big source is not that source's alone.
 */
export function bandOf(pairs: readonly { source: string; measured: number; predicted: number }[], basis: string): StepTimeBand {
  const bySrc = new Map<string, number[]>();
  for (const p of pairs) bySrc.set(p.source, [...(bySrc.get(p.source) ?? []), Math.log(p.measured / p.predicted)]);
  const weighted: { v: number; w: number }[] = [];
  for (const vs of bySrc.values()) for (const v of vs) weighted.push({ v, w: 1 / vs.length });
  weighted.sort((a, b) => a.v - b.v);
  const total = weighted.reduce((a, x) => a + x.w, 0);
  const at = (q: number): number => {
    let acc = 0;
    for (const x of weighted) {
      acc += x.w;
      if (acc >= q * total) return x.v;
    }
    return weighted[weighted.length - 1]?.v ?? 0;
  };
  const tail = (1 - BAND_CONFIDENCE) / 2;
  return { low: round(Math.exp(at(tail))), high: round(Math.exp(at(1 - tail))), confidence: BAND_CONFIDENCE, basis };
}

/** The shipped fit: constants on every run, bands from the cross-validated residuals. */
export function buildStepTimeFit(runs: readonly PreparedRun[], cv: CrossValidation): StepTimeFit {
  const fit = fitConstants(runs);
  const groups: Record<string, FittedGroup> = {};
  for (const g of [...new Set(runs.map((r) => r.group))].sort()) {
    const mine = runs.filter((r) => r.group === g);
    const sources = [...new Set(mine.map((r) => r.source))].sort();
    // several sources: leave-one-source-out residuals (what a new source of this group sees); one source: its 5-fold residuals
    let band: StepTimeBand;
    if (sources.length > 1) {
      band = bandOf(mine.map((r) => ({ source: r.source, measured: r.measuredSeconds, predicted: cv.looPredicted.get(r)! })), `${mine.length} runs of ${sources.join(', ')}, leave-one-source-out residuals`);
    } else {
      band = bandOf(mine.map((r) => ({ source: r.source, measured: r.measuredSeconds, predicted: cv.foldPredicted.get(r)! })), `${mine.length} runs of ${sources[0]}, 5-fold cross-validated residuals`);
    }
    groups[g] = {
      computeTimeScale: fit.scales[g] ?? 1,
      runs: mine.length,
      sources,
      gpus: { min: Math.min(...mine.map((r) => r.gpus)), max: Math.max(...mine.map((r) => r.gpus)) },
      band,
    };
  }
  const fallbackBand = bandOf(
    runs.map((r) => ({ source: r.source, measured: r.measuredSeconds, predicted: cv.looPredicted.get(r)! })),
    `${runs.length} runs of every source, leave-one-source-out residuals`,
  );
  return { frameworks: fit.frameworks, groups, fallbackBand, priorHost: { hostSecondsPerLayerPass: PRIOR.hostSecondsPerLayerPass, hostSecondsPerCollective: PRIOR.hostSecondsPerCollective } };
}
