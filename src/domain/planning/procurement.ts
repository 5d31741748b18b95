// Procurement answers built on the planner: one workload across many accelerators (compare), the
// options that satisfy a budget and a deadline (recommend), and one parameter varied (sweep).
// Pure and synchronous: the server runs these in worker threads (plan-tasks.ts). Each evaluation is a
// layout search with a small time budget, so a compare over the whole catalog stays within seconds.
import { InputProblemError, type Accelerator, type MemoryEstimate, type ParallelLayout, type PerformanceEstimate } from '../core/index.js';
import { trainingFlops } from '../model/index.js';
import { nextGridNodeCount } from './gpu-sizing.js';
import { describeLayout } from '../layouts/index.js';
import { modelStateBytesPerParameter } from '../memory/index.js';
import { planOperations, type Operations, type WorkloadWithOperations } from './operations.js';
import { defaultMfu, peakFlopsForPrecision, performanceFromMfu, supportsPrecision } from '../performance/index.js';
import { chooseLayout, timeFor } from './layout-choice.js';
import { CHINCHILLA_TOKENS_PER_PARAMETER, FLOPS_PER_PARAMETER_TOKEN } from '../economics/index.js';

const SECONDS_PER_DAY = 86_400;
/** Layout-search budget per evaluation in compare / recommend / sweep (the planner's default is 2 s). */
/** Work budget of each layout search inside compare / recommend / sweep (memory- and time-model calls):
 *  completes the GPT-3 and Llama 3 405B benchmark searches (~0.2 M), about 40 ms each here. */
export const DEFAULT_PROCUREMENT_SEARCH_EVALUATIONS = 250_000;
/** Evaluations per accelerator when sizing for a deadline. */
export const MAX_DEADLINE_PROBES = 5;
/** The most GPUs a deadline sizing will try (the schema's hardware.count bound). */
export const MAX_PROCUREMENT_GPUS = 1_048_576;
/** Without a deadline or a GPU count, recommend sizes each option to finish within this many days. */
export const DEFAULT_RECOMMEND_HORIZON_DAYS = 90;
/** First guess of the goodput when sizing for a deadline (refined by evaluating). */
const GOODPUT_GUESS = 0.9;

export type EvaluationStatus = 'ok' | 'does-not-fit' | 'no-layout' | 'unsupported';

export interface Evaluation {
  status: EvaluationStatus;
  reason?: string;
  accelerator: Accelerator;
  gpus: number;
  layout?: ParallelLayout;
  memory?: MemoryEstimate;
  performance?: PerformanceEstimate;
  ops?: Operations;
  searchComplete: boolean;
}

/** Best layout on `gpus` (search with a small budget), performance (or the MFU override), and operations. */
export function evaluateAt(w: WorkloadWithOperations, gpus: number, searchMaxEvaluations: number): Evaluation {
  const a = w.accelerator;
  if (!supportsPrecision(a, w.training.precision)) {
    const supported = Object.keys(a.peakFlopsPerSecond).filter((k) => k !== 'tf32');
    return { status: 'unsupported', reason: `${a.id} has no ${w.training.precision} tensor-core peak (supported: ${supported.join(', ')})`, accelerator: a, gpus, searchComplete: true };
  }
  // the request's own wall-clock cut does not apply per probe: procurement budgets each search in work only
  const { timeBudgetMs: _wallClock, ...search } = w.search;
  void _wallClock;
  const wq: WorkloadWithOperations = { ...w, gpus, search: { ...search, topK: 1, maxEvaluations: searchMaxEvaluations } };
  let chosen;
  try {
    chosen = chooseLayout(wq, gpus);
  } catch (error) {
    if (error instanceof InputProblemError) {
      return { status: 'no-layout', reason: error.errors.map((e) => e.message).join('; '), accelerator: a, gpus, searchComplete: true };
    }
    throw error;
  }
  let performance = chosen.performance;
  if (w.mfuOverride !== undefined) {
    const flops = trainingFlops(w.model.shape, w.model.counts, w.training);
    performance = performanceFromMfu(flops.perToken, w.training, gpus, a, w.mfuOverride);
  }
  const ideal = timeFor(w, gpus, performance.stepSeconds);
  const ops = planOperations(wq, gpus, chosen.layout, performance, ideal);
  const fits = chosen.source === 'search';
  return {
    status: fits ? 'ok' : 'does-not-fit',
    ...(fits ? {} : { reason: chosen.warnings[0] ?? `no layout fits memory on ${gpus} GPUs` }),
    accelerator: a,
    gpus,
    layout: chosen.layout,
    memory: chosen.memory,
    performance,
    ops,
    searchComplete: chosen.search?.complete ?? true,
  };
}

/** Smallest whole-node count on the sizing grid (gpu-sizing.ts) ≥ gpus. */
export function gridCountAtLeast(gpus: number, gpusPerNode: number): number {
  return nextGridNodeCount(Math.ceil(Math.max(1, gpus) / gpusPerNode)) * gpusPerNode;
}

/** GPUs whose memory holds weights + gradients + optimizer states at all (the planning guide's bound, no margin). */
export function memoryFloorGpus(w: WorkloadWithOperations): number {
  const s = modelStateBytesPerParameter(w.training.precision, w.training.optimizer);
  return Math.max(1, Math.ceil((w.model.counts.totalParameters * (s.weights + s.gradients + s.optimizer)) / w.accelerator.memoryBytes));
}

export interface DeadlineSizing {
  evaluation: Evaluation;
  meetsDeadline: boolean;
  probes: number;
  /** when the deadline cannot be met: why (scaling limit, no fit) */
  limit?: string;
}

/**
 * Fewest GPUs (on the node grid) whose run, failures included, ends within the deadline. Starts from
 * F / (deadline · peak · default MFU · 0.9) and the memory floor, then corrects by the evaluated days
 * (days scale about as 1/GPUs) in at most MAX_DEADLINE_PROBES evaluations.
 */
export function sizeForDeadline(w: WorkloadWithOperations, deadlineDays: number, searchMaxEvaluations: number): DeadlineSizing {
  const a = w.accelerator;
  if (!supportsPrecision(a, w.training.precision)) return { evaluation: evaluateAt(w, 0, searchMaxEvaluations), meetsDeadline: false, probes: 0 };
  const flops = trainingFlops(w.model.shape, w.model.counts, w.training);
  const perGpu = peakFlopsForPrecision(a, w.training.precision) * (w.mfuOverride ?? defaultMfu(a)) * GOODPUT_GUESS;
  const byCompute = flops.total / (deadlineDays * SECONDS_PER_DAY * perGpu);
  let n = Math.min(MAX_PROCUREMENT_GPUS, gridCountAtLeast(Math.max(byCompute, memoryFloorGpus(w)), a.gpusPerNode));
  let best: Evaluation | undefined;
  let last: Evaluation | undefined;
  let previous: { gpus: number; days: number } | undefined;
  let limit: string | undefined;
  const tried = new Set<number>();
  let probes = 0;
  while (probes < MAX_DEADLINE_PROBES && !tried.has(n)) {
    tried.add(n);
    probes++;
    const e = evaluateAt(w, n, searchMaxEvaluations);
    last = e;
    if (e.status === 'unsupported') return { evaluation: e, meetsDeadline: false, probes };
    let next: number;
    if (e.status !== 'ok' || !e.ops) {
      next = gridCountAtLeast(n * 2, a.gpusPerNode);
    } else {
      const days = e.ops.time.days;
      if (days <= deadlineDays) {
        if (!best || e.gpus < best.gpus) best = e;
        // met: try the count the measured days suggest, if clearly smaller and not yet tried
        const shrink = gridCountAtLeast((n * days) / deadlineDays, a.gpusPerNode);
        if (shrink >= n || tried.has(shrink) || (best && shrink >= best.gpus)) break;
        next = shrink;
      } else {
        if (previous && previous.gpus < n && days >= previous.days * 0.98) {
          limit = `adding GPUs no longer shortens the run beyond ~${n.toLocaleString('en-US')} ${a.id} (the global batch of ${w.training.globalBatchSequences} sequences limits data parallelism): ${days.toFixed(1)} days at best`;
          break;
        }
        previous = { gpus: n, days };
        next = gridCountAtLeast(Math.max(n + 1, (n * days * 1.03) / deadlineDays), a.gpusPerNode);
        if (best && next >= best.gpus) break;
      }
    }
    if (next > MAX_PROCUREMENT_GPUS) {
      limit ??= `would need more than ${MAX_PROCUREMENT_GPUS.toLocaleString('en-US')} GPUs`;
      break;
    }
    n = next;
  }
  if (best) return { evaluation: best, meetsDeadline: true, probes };
  const evaluation = last!;
  if (!limit && evaluation.status === 'ok' && evaluation.ops) {
    limit = `${evaluation.ops.time.days.toFixed(1)} days on ${evaluation.gpus.toLocaleString('en-US')} GPUs after ${probes} sizing steps`;
  }
  return { evaluation, meetsDeadline: false, probes, ...(limit ? { limit } : {}) };
}

// ---------------------------------------------------------------------------------------------
// compare

export type CostBasis = 'cloud' | 'onPrem';

export interface CompareOptions {
  /** a fixed GPU count for every accelerator; else sized for deadlineDays */
  gpus?: number;
  deadlineDays?: number;
  costBasis: CostBasis;
  searchMaxEvaluations: number;
}

export interface CompareEntry {
  evaluation: Evaluation;
  meetsDeadline?: boolean;
  deadlineLimit?: string;
  /** cost on the chosen basis, 0 when unknown */
  costUsd: number;
  costKnown: boolean;
  onFrontier: boolean;
}

export interface FrontierPoint {
  accelerator: string;
  gpus: number;
  days: number;
  costUsd: number;
}

export interface CompareResult {
  entries: CompareEntry[];
  frontier: FrontierPoint[];
  costBasis: CostBasis;
  mode: 'count' | 'deadline';
  elapsedMs: number;
}

function costOn(e: Evaluation, basis: CostBasis): { costUsd: number; costKnown: boolean } {
  if (!e.ops) return { costUsd: 0, costKnown: false };
  const c = basis === 'cloud' ? e.ops.cost.cloud : e.ops.cost.onPrem;
  return { costUsd: c.priceKnown ? c.totalUsd : 0, costKnown: c.priceKnown };
}

/** Points no other point beats on both days and cost (lower is better on both), fastest first. */
export function paretoFrontier<T extends { days: number; costUsd: number }>(points: readonly T[]): T[] {
  const sorted = [...points].sort((x, y) => x.days - y.days || x.costUsd - y.costUsd);
  const out: T[] = [];
  let cheapest = Number.POSITIVE_INFINITY;
  for (const p of sorted) {
    if (p.costUsd < cheapest) {
      out.push(p);
      cheapest = p.costUsd;
    }
  }
  return out;
}

/** One workload on each accelerator: at a fixed count, or at the fewest GPUs that meet the deadline. */
export function compareAccelerators(workloads: readonly WorkloadWithOperations[], options: CompareOptions): CompareResult {
  const started = Date.now();
  const entries: CompareEntry[] = workloads.map((w) => {
    if (options.gpus !== undefined) {
      const evaluation = evaluateAt(w, options.gpus, options.searchMaxEvaluations);
      const meets = options.deadlineDays !== undefined && evaluation.ops ? evaluation.ops.time.days <= options.deadlineDays : undefined;
      return { evaluation, ...(meets !== undefined ? { meetsDeadline: meets } : {}), ...costOn(evaluation, options.costBasis), onFrontier: false };
    }
    const sized = sizeForDeadline(w, options.deadlineDays!, options.searchMaxEvaluations);
    return {
      evaluation: sized.evaluation,
      meetsDeadline: sized.meetsDeadline,
      ...(sized.limit ? { deadlineLimit: sized.limit } : {}),
      ...costOn(sized.evaluation, options.costBasis),
      onFrontier: false,
    };
  });
  const candidates = entries
    .filter((e) => e.evaluation.status === 'ok' && e.costKnown && e.evaluation.ops && (e.meetsDeadline ?? true))
    .map((e) => ({ entry: e, days: e.evaluation.ops!.time.days, costUsd: e.costUsd }));
  const frontier = paretoFrontier(candidates);
  for (const f of frontier) f.entry.onFrontier = true;
  return {
    entries,
    frontier: frontier.map((f) => ({ accelerator: f.entry.evaluation.accelerator.id, gpus: f.entry.evaluation.gpus, days: f.days, costUsd: f.costUsd })),
    costBasis: options.costBasis,
    mode: options.gpus !== undefined ? 'count' : 'deadline',
    elapsedMs: Date.now() - started,
  };
}

// ---------------------------------------------------------------------------------------------
// recommend

export type Procurement = 'cloud' | 'onPrem' | 'either';

export interface RecommendOptions {
  budgetUsd?: number;
  deadlineDays?: number;
  /** a fixed GPU count for every accelerator; else sized for the deadline (or the default horizon) */
  gpus?: number;
  procurement: Procurement;
  maxOptions: number;
  searchMaxEvaluations: number;
}

export interface RecommendOption {
  rank: number;
  accelerator: string;
  acceleratorName: string;
  gpus: number;
  mode: CostBasis;
  layout: ParallelLayout;
  layoutDescription: string;
  days: number;
  idealDays: number;
  goodput: number;
  gpuHours: number;
  mfu: number;
  /** cloud: GPU-hours × price; onPrem: capital + energy (the cash a purchase needs) */
  costUsd: number;
  /** onPrem: depreciation + energy (the run's share when the hardware is kept); cloud: = costUsd */
  runCostUsd: number;
  gpuHourUsd: number;
  capitalUsd: number;
  energyKwh: number;
  facilityPeakKw: number;
  racks: number;
  meetsBudget: boolean;
  meetsDeadline: boolean;
}

export interface Rejection {
  accelerator: string;
  gpus: number;
  reason: string;
}

export interface Suggestion {
  kind: 'more-budget' | 'more-days' | 'smaller-model' | 'fewer-tokens';
  message: string;
  budgetUsd?: number;
  deadlineDays?: number;
  parameters?: number;
  tokens?: number;
  accelerator?: string;
  gpus?: number;
}

/** What a budget trains: the largest compute-optimal model (20 tokens per parameter) its compute affords. */
export interface BudgetBuys {
  computeFlops: number;
  parameters: number;
  tokens: number;
  /** the option whose cost per FLOP sets it */
  accelerator: string;
  gpus: number;
  mode: CostBasis;
}

export interface RecommendResult {
  options: RecommendOption[];
  /** 'fastest' when only a budget constrains (it buys the fastest plan within it), else 'cheapest' */
  ranking: 'fastest' | 'cheapest';
  budgetBuys?: BudgetBuys;
  /** every evaluated option, whether or not it satisfied the constraints (for the explanations) */
  considered: number;
  rejected: Rejection[];
  suggestions: Suggestion[];
  satisfiable: boolean;
  explanation: string;
  sizedFor: { deadlineDays?: number; gpus?: number; horizonDays?: number };
  elapsedMs: number;
}

function money(x: number): string {
  return `$${Math.round(x).toLocaleString('en-US')}`;
}

function optionFrom(e: Evaluation, mode: CostBasis, budgetUsd: number | undefined, deadlineDays: number | undefined): RecommendOption | undefined {
  const ops = e.ops;
  if (!ops || !e.layout || !e.performance) return undefined;
  const cloud = mode === 'cloud';
  const known = cloud ? ops.cost.cloud.priceKnown : ops.cost.onPrem.priceKnown;
  if (!known) return undefined;
  const costUsd = cloud ? ops.cost.cloud.totalUsd : ops.costOptions.purchase.cashOutlayUsd;
  return {
    rank: 0,
    accelerator: e.accelerator.id,
    acceleratorName: e.accelerator.name,
    gpus: e.gpus,
    mode,
    layout: e.layout,
    layoutDescription: describeLayout(e.layout),
    days: ops.time.days,
    idealDays: ops.time.idealDays,
    goodput: ops.time.goodput,
    gpuHours: ops.time.gpuHours,
    mfu: e.performance.mfu,
    costUsd,
    runCostUsd: cloud ? costUsd : ops.costOptions.purchase.depreciatedTotalUsd,
    gpuHourUsd: ops.cost.cloud.gpuHourUsd,
    capitalUsd: ops.cost.onPrem.capitalUsd,
    energyKwh: ops.cost.energy.kwh,
    facilityPeakKw: ops.infrastructure.power.facilityPeakKw,
    racks: ops.infrastructure.racks,
    meetsBudget: budgetUsd === undefined || costUsd <= budgetUsd,
    meetsDeadline: deadlineDays === undefined || ops.time.days <= deadlineDays,
  };
}

/** The largest dense model (and its tokens) that `computeFlops` trains at `tokensPerParameter`: C = 6·N·(r·N). */
export function modelForCompute(computeFlops: number, tokensPerParameter: number): { parameters: number; tokens: number } {
  const parameters = Math.sqrt(computeFlops / (FLOPS_PER_PARAMETER_TOKEN * tokensPerParameter));
  return { parameters, tokens: parameters * tokensPerParameter };
}

/** Deadlines tried below the horizon when a budget alone constrains: each half the last (90 → 45 → 22.5 → 11.25 → 5.6 days). */
const BUDGET_SPEED_STEPS = 4;

/**
 * The fastest plan on one accelerator that a budget pays for: sized for the horizon, then for half
 * the days while the budget still covers it and the run still gets faster (more GPUs cost about the
 * same GPU-hours until scaling loses efficiency, so a budget mostly buys speed). A larger budget
 * reaches every plan a smaller one reaches, so it is never slower.
 */
function fastestWithinBudget(
  w: WorkloadWithOperations, atHorizon: Evaluation, mode: CostBasis, options: RecommendOptions, horizonDays: number,
): RecommendOption | undefined {
  let best = optionFrom(atHorizon, mode, options.budgetUsd, undefined);
  if (!best || !best.meetsBudget) return best;
  let days = horizonDays;
  for (let step = 0; step < BUDGET_SPEED_STEPS; step++) {
    days /= 2;
    const sized = sizeForDeadline(w, days, options.searchMaxEvaluations);
    const o = sized.evaluation.status === 'ok' ? optionFrom(sized.evaluation, mode, options.budgetUsd, undefined) : undefined;
    if (!o || !o.meetsBudget || o.days >= best.days * 0.98) break;
    best = o;
    if (!sized.meetsDeadline) break;
  }
  return best;
}

/**
 * The largest compute-optimal model the budget trains when renting: model FLOPs scale with GPU-hours,
 * so the cloud option with the lowest cost per model FLOP sets it (a purchase's capital is spent once
 * whatever it trains, so it does not scale this way and is left out).
 */
function budgetBuys(base: WorkloadWithOperations, all: readonly RecommendOption[], budgetUsd: number): BudgetBuys | undefined {
  const flops = trainingFlops(base.model.shape, base.model.counts, base.training);
  const cheapest = all.filter((o) => o.mode === 'cloud' && o.costUsd > 0).sort((x, y) => x.costUsd - y.costUsd)[0];
  if (!cheapest) return undefined;
  const computeFlops = (flops.sixNDTotal * budgetUsd) / cheapest.costUsd;
  const m = modelForCompute(computeFlops, CHINCHILLA_TOKENS_PER_PARAMETER);
  return { computeFlops, parameters: m.parameters, tokens: m.tokens, accelerator: cheapest.accelerator, gpus: cheapest.gpus, mode: cheapest.mode };
}

/** Ranked options that satisfy budget and deadline, or why none does and what would. */
export function recommend(workloads: readonly WorkloadWithOperations[], options: RecommendOptions): RecommendResult {
  const started = Date.now();
  const modes: CostBasis[] = options.procurement === 'either' ? ['cloud', 'onPrem'] : [options.procurement];
  const horizon = options.deadlineDays === undefined && options.gpus === undefined ? DEFAULT_RECOMMEND_HORIZON_DAYS : undefined;
  const sizingDeadline = options.deadlineDays ?? horizon;
  // a budget and nothing else: it buys the fastest plan it can pay for, not the cheapest one
  const budgetOnly = options.budgetUsd !== undefined && horizon !== undefined;
  const all: RecommendOption[] = [];
  const rejected: Rejection[] = [];
  const limits: string[] = [];
  const base = workloads[0];
  for (const w of workloads) {
    let e: Evaluation;
    if (options.gpus !== undefined) {
      e = evaluateAt(w, options.gpus, options.searchMaxEvaluations);
    } else {
      const sized = sizeForDeadline(w, sizingDeadline!, options.searchMaxEvaluations);
      e = sized.evaluation;
      if (!sized.meetsDeadline && sized.limit) limits.push(`${w.accelerator.id}: ${sized.limit}`);
    }
    if (e.status !== 'ok') {
      rejected.push({ accelerator: w.accelerator.id, gpus: e.gpus, reason: e.reason ?? e.status });
      continue;
    }
    for (const mode of modes) {
      const o = budgetOnly ? fastestWithinBudget(w, e, mode, options, sizingDeadline!) : optionFrom(e, mode, options.budgetUsd, options.deadlineDays);
      if (!o) {
        rejected.push({ accelerator: w.accelerator.id, gpus: e.gpus, reason: `no ${mode === 'cloud' ? 'cloud price' : 'purchase price'} in the catalog for ${w.accelerator.id} (pass cost.${mode === 'cloud' ? 'gpuHourUsd' : 'purchaseUsdPerGpu'})` });
        continue;
      }
      all.push(o);
      const why: string[] = [];
      if (!o.meetsBudget) why.push(`costs ${money(o.costUsd)} (${mode}), over the ${money(options.budgetUsd!)} budget by ${money(o.costUsd - options.budgetUsd!)}`);
      if (!o.meetsDeadline) why.push(`takes ${o.days.toFixed(1)} days, past the ${options.deadlineDays}-day deadline`);
      if (why.length > 0) rejected.push({ accelerator: o.accelerator, gpus: o.gpus, reason: why.join('; ') });
    }
  }
  const ok = all
    .filter((o) => o.meetsBudget && o.meetsDeadline)
    .sort(budgetOnly ? (x, y) => x.days - y.days || x.costUsd - y.costUsd : (x, y) => x.costUsd - y.costUsd || x.days - y.days);
  const ranked = ok.slice(0, options.maxOptions).map((o, i) => ({ ...o, rank: i + 1 }));

  const suggestions: Suggestion[] = [];
  if (ranked.length === 0 && base) {
    // more budget: the cheapest option that meets the deadline
    const inTime = all.filter((o) => o.meetsDeadline).sort((x, y) => x.costUsd - y.costUsd)[0];
    if (options.budgetUsd !== undefined && inTime) {
      suggestions.push({
        kind: 'more-budget',
        message: `a budget of ${money(Math.ceil(inTime.costUsd))} would do: ${inTime.gpus} ${inTime.accelerator} (${inTime.mode}) for ${inTime.days.toFixed(1)} days`,
        budgetUsd: Math.ceil(inTime.costUsd),
        accelerator: inTime.accelerator,
        gpus: inTime.gpus,
      });
    }
    // more days: the fastest option within budget
    const inBudget = all.filter((o) => o.meetsBudget).sort((x, y) => x.days - y.days)[0];
    if (options.deadlineDays !== undefined && inBudget) {
      suggestions.push({
        kind: 'more-days',
        message: `a deadline of ${Math.ceil(inBudget.days)} days would do: ${inBudget.gpus} ${inBudget.accelerator} (${inBudget.mode}) for ${money(inBudget.costUsd)}`,
        deadlineDays: Math.ceil(inBudget.days),
        accelerator: inBudget.accelerator,
        gpus: inBudget.gpus,
      });
    } else if (options.deadlineDays !== undefined && !inBudget && all.length > 0 && options.budgetUsd === undefined) {
      const fastest = [...all].sort((x, y) => x.days - y.days)[0]!;
      suggestions.push({
        kind: 'more-days',
        message: `the fastest option found takes ${fastest.days.toFixed(1)} days (${fastest.gpus} ${fastest.accelerator})`,
        deadlineDays: Math.ceil(fastest.days),
        accelerator: fastest.accelerator,
        gpus: fastest.gpus,
      });
    }
    // a smaller model / fewer tokens: the compute the constraints afford on the best option
    const flops = trainingFlops(base.model.shape, base.model.counts, base.training);
    // days and the variable cost scale about linearly with compute; a purchase's capital does not:
    // each option affords flops · min((budget − fixed) / (cost − fixed), deadline / days)
    let affordable = 0;
    let via: RecommendOption | undefined;
    for (const o of all) {
      let c = flops.total;
      const fixed = o.mode === 'onPrem' ? o.capitalUsd : 0;
      if (options.budgetUsd !== undefined) {
        if (options.budgetUsd <= fixed) continue;
        if (o.costUsd > fixed) c = Math.min(c, (flops.total * (options.budgetUsd - fixed)) / (o.costUsd - fixed));
      }
      if (options.deadlineDays !== undefined && o.days > 0) c = Math.min(c, (flops.total * options.deadlineDays) / o.days);
      if (c > affordable) {
        affordable = c;
        via = o;
      }
    }
    if (via && affordable > 0 && affordable < flops.total) {
      const share = affordable / flops.total;
      const N = base.model.counts.activeParameters;
      const D = base.training.tokens;
      const ratio = D / N;
      const sameRatio = modelForCompute(flops.sixNDTotal * share, ratio);
      const optimal = modelForCompute(flops.sixNDTotal * share, CHINCHILLA_TOKENS_PER_PARAMETER);
      const describe = (m: { parameters: number; tokens: number }) => `~${(m.parameters / 1e9).toFixed(1)}B model on ${(m.tokens / 1e12).toFixed(2)}T tokens`;
      const nearOptimal = Math.abs(ratio / CHINCHILLA_TOKENS_PER_PARAMETER - 1) < 0.05;
      suggestions.push({
        kind: 'smaller-model',
        message:
          `the constraints afford about ${(share * 100).toFixed(0)}% of the requested compute on ${via.gpus} ${via.accelerator} (${via.mode}): ` +
          (nearOptimal
            ? `a compute-optimal ${describe(sameRatio)}`
            : `a ${describe(sameRatio)} (same ${ratio.toFixed(0)} tokens per parameter), or a compute-optimal ${describe(optimal)}`),
        parameters: sameRatio.parameters,
        tokens: sameRatio.tokens,
        accelerator: via.accelerator,
        gpus: via.gpus,
      });
      suggestions.push({
        kind: 'fewer-tokens',
        message: `or keep the model and train it on ~${((D * share) / 1e12).toFixed(2)}T tokens instead of ${(D / 1e12).toFixed(2)}T`,
        tokens: D * share,
        accelerator: via.accelerator,
        gpus: via.gpus,
      });
    }
  }
  const constraintText = [
    options.budgetUsd !== undefined ? `a budget of ${money(options.budgetUsd)}` : undefined,
    options.deadlineDays !== undefined ? `a ${options.deadlineDays}-day deadline` : undefined,
  ].filter(Boolean).join(' and ');
  const buys = options.budgetUsd !== undefined && base ? budgetBuys(base, all, options.budgetUsd) : undefined;
  const explanation =
    ranked.length > 0 && budgetOnly
      ? `${ok.length} option(s) within ${constraintText}; the fastest is ${ranked[0]!.gpus} ${ranked[0]!.accelerator} (${ranked[0]!.mode}) in ${ranked[0]!.days.toFixed(1)} days for ${money(ranked[0]!.costUsd)}` +
        (buys ? `; the budget trains a compute-optimal ~${(buys.parameters / 1e9).toFixed(0)}B model on ${(buys.tokens / 1e12).toFixed(2)}T tokens on ${buys.accelerator}` : '')
      : ranked.length > 0
      ? `${ok.length} option(s) meet ${constraintText || 'the request'}; the cheapest is ${ranked[0]!.gpus} ${ranked[0]!.accelerator} (${ranked[0]!.mode}) for ${money(ranked[0]!.costUsd)} in ${ranked[0]!.days.toFixed(1)} days`
      : all.length === 0
        ? `no accelerator could run the workload with a price for ${options.procurement === 'either' ? 'cloud or purchase' : options.procurement}: see rejected`
        : `no option meets ${constraintText || 'the request'}: ${suggestions.map((s) => s.message).join('; ') || 'see rejected'}${limits.length > 0 ? ` (${limits.slice(0, 3).join('; ')})` : ''}`;
  return {
    options: ranked,
    considered: all.length,
    rejected,
    suggestions,
    satisfiable: ranked.length > 0,
    explanation,
    ...(buys ? { budgetBuys: buys } : {}),
    ranking: budgetOnly ? 'fastest' : 'cheapest',
    sizedFor: {
      ...(options.deadlineDays !== undefined ? { deadlineDays: options.deadlineDays } : {}),
      ...(options.gpus !== undefined ? { gpus: options.gpus } : {}),
      ...(horizon !== undefined ? { horizonDays: horizon } : {}),
    },
    elapsedMs: Date.now() - started,
  };
}

// ---------------------------------------------------------------------------------------------
// sweep

export type SweepParameter = 'gpus' | 'accelerator' | 'sequenceLength' | 'globalBatchSize' | 'globalBatchTokens';

export interface SweepPointInput {
  /** the value as the request gave it */
  value: number | string;
  workload: WorkloadWithOperations;
  gpus: number;
}

export interface SweepPoint {
  value: number | string;
  evaluation: Evaluation;
}

/** Evaluates every point (each is one workload on one count). */
export function sweep(points: readonly SweepPointInput[], searchMaxEvaluations: number): { points: SweepPoint[]; elapsedMs: number } {
  const started = Date.now();
  return {
    points: points.map((p) => ({ value: p.value, evaluation: evaluateAt(p.workload, p.gpus, searchMaxEvaluations) })),
    elapsedMs: Date.now() - started,
  };
}

// ---------------------------------------------------------------------------------------------
// the worker-thread task (plan-tasks.ts)

export type ProcurementTaskInput =
  | { kind: 'compare'; workloads: WorkloadWithOperations[]; options: CompareOptions }
  | { kind: 'recommend'; workloads: WorkloadWithOperations[]; options: RecommendOptions }
  | { kind: 'sweep'; points: SweepPointInput[]; searchMaxEvaluations: number };
