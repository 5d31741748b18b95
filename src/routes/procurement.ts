// Procurement endpoints (issue 4): compare accelerators, recommend options for a budget and a
// deadline, sweep one parameter, compute-optimal sizing. Thin: resolve the request, run the heavy
// part in the planning worker pool, shape the reply. List-shaped answers also come as CSV (plugins/csv.ts).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { PLANNER_ROUTE } from '../plugins/pressure.js';
import type { FastifyInstance } from 'fastify';
import { InputProblemError, type FieldProblem, type Assumption, type Precision, parseCount, LIMITS } from '../domain/core/index.js';
import { describeLayout } from '../domain/layouts/index.js';
import { type WorkloadWithOperations, inThreadRunner, type PlanTask, type PlanTaskKind, type PlanTaskResult, DEFAULT_PROCUREMENT_SEARCH_EVALUATIONS, defaultPrecisionFor, unknownAcceleratorProblem, type CompareEntry, type Evaluation, type ProcurementTaskInput, type SweepPointInput, lookupAccelerator, priceOptionsOf, resolveWorkload, sequencesForBatchTokens, type ResolvedWorkload } from '../domain/planning/index.js';
import { defaultMfu, peakFlopsForPrecision } from '../domain/performance/index.js';
import { assessModel, computeFromCluster, computeOptimal, COMPUTE_OPTIMAL_BAND } from '../domain/economics/index.js';
import { problemResponses } from '../schemas/problem.js';
import {
  CompareRequestSchema,
  CompareResponseSchema,
  RecommendRequestSchema,
  RecommendResponseSchema,
  ScalingRequestSchema,
  ScalingResponseSchema,
  SweepRequestSchema,
  SweepResponseSchema,
  type CompareRequest,
  type RecommendRequest,
  type ScalingRequest,
  type SweepRequest,
} from '../schemas/procurement.js';
import type { WorkloadInput } from '../schemas/workload.js';
import { usdIfKnown } from './present.js';

const CSV_NOTE = ' Send Accept: text/csv for the rows as RFC 4180 CSV.';
const produces = ['application/json', 'text/csv'];

type BodyWithWorkload = CompareRequest | RecommendRequest | SweepRequest;

/** The workload part of a procurement body on one accelerator. */
function workloadInput(body: BodyWithWorkload, gpu: string, count: number | undefined, override?: AcceleratorOverride): WorkloadInput {
  const { scaleOutGbpsPerGpu, ...prices } = override ?? {};
  const cost = { ...(body.cost ?? {}), ...prices };
  const infrastructure = { ...(body.infrastructure ?? {}), ...(scaleOutGbpsPerGpu !== undefined ? { scaleOutGbpsPerGpu } : {}) };
  return {
    model: body.model,
    hardware: { gpu, ...(count !== undefined ? { count } : {}) },
    ...(body.training ? { training: body.training } : {}),
    ...(body.parallelism ? { parallelism: body.parallelism } : {}),
    ...(body.efficiency ? { efficiency: body.efficiency } : {}),
    ...(Object.keys(cost).length > 0 ? { cost } : {}),
    ...(body.constraints ? { constraints: body.constraints } : {}),
    ...(body.search ? { search: body.search } : {}),
    ...(Object.keys(infrastructure).length > 0 ? { infrastructure } : {}),
    ...(body.reliability ? { reliability: body.reliability } : {}),
  };
}

type AcceleratorOverride = { gpuHourUsd?: number; purchaseUsdPerGpu?: number; scaleOutGbpsPerGpu?: number };

/** compare.overrides / recommend.overrides by canonical accelerator id; an unknown key is a 400 naming it. */
function overridesById(app: FastifyInstance, overrides: Record<string, AcceleratorOverride> | undefined, path: string): Map<string, AcceleratorOverride> {
  const out = new Map<string, AcceleratorOverride>();
  const problems: FieldProblem[] = [];
  for (const [key, value] of Object.entries(overrides ?? {})) {
    const a = lookupAccelerator(app.trainplan.catalog, key);
    if (!a) problems.push(unknownAcceleratorProblem(app.trainplan.catalog, key, `${path}/${key}`));
    else out.set(a.id, { ...(out.get(a.id) ?? {}), ...value });
  }
  if (problems.length > 0) throw new InputProblemError(problems);
  return out;
}

/**
 * One resolved workload per accelerator. Unknown ids and problems that are not about the accelerator
 * (model, tokens, ...) are a 400; an accelerator without a peak for the precision is kept (swapped into
 * another accelerator's workload) so that the answer lists it as unsupported.
 */
function resolveForAccelerators(
  app: FastifyInstance, body: BodyWithWorkload, ids: readonly string[], idsPath: string, count: number | undefined,
  overrides: Map<string, AcceleratorOverride> = new Map(),
): WorkloadWithOperations[] {
  const catalog = app.trainplan.catalog;
  const problems: FieldProblem[] = [];
  const resolved: (WorkloadWithOperations | string)[] = [];
  ids.forEach((id, i) => {
    const a = lookupAccelerator(catalog, id);
    if (!a) {
      problems.push(unknownAcceleratorProblem(catalog, id, `${idsPath}/${i}`));
      return;
    }
    const r = resolveWorkload(workloadInput(body, a.id, count, overrides.get(a.id)), catalog, { defaultSearchMaxEvaluations: app.trainplan.searchMaxEvaluations });
    if ('problems' in r) {
      const other = r.problems.filter((p) => p.path !== '/training/precision');
      if (other.length === 0) resolved.push(a.id);
      for (const p of other) if (!problems.some((q) => q.path === p.path && q.message === p.message)) problems.push(p);
      return;
    }
    resolved.push(r);
  });
  if (problems.length > 0) throw new InputProblemError(problems);
  const template = resolved.find((r): r is WorkloadWithOperations => typeof r !== 'string');
  if (!template) {
    throw new InputProblemError([{ path: '/training/precision', message: `none of the accelerators has a tensor-core peak for ${body.training?.precision ?? 'bf16'}` }]);
  }
  return resolved.map((r) => {
    if (typeof r !== 'string') return r;
    const a = catalog.accelerators.get(r)!;
    return { ...template, accelerator: a, ...priceOptionsOf(catalog, a.id) };
  });
}

async function runTask<K extends PlanTaskKind>(app: FastifyInstance, kind: K, workload: ResolvedWorkload, procurement: ProcurementTaskInput) {
  const runner = app.trainplan.planRunner ?? inThreadRunner;
  const task: PlanTask = { kind, workload, procurement };
  const result = await runner(task);
  if (!result.ok) throw new InputProblemError(result.problems);
  return result as Extract<PlanTaskResult, { kind: K }>;
}

function presentEvaluation(e: Evaluation) {
  const ops = e.ops;
  const p = e.performance;
  return {
    accelerator: e.accelerator.id,
    name: e.accelerator.name,
    vendor: e.accelerator.vendor,
    status: e.status,
    ...(e.reason ? { reason: e.reason } : {}),
    gpus: e.gpus,
    nodes: ops?.infrastructure.nodes ?? Math.ceil(e.gpus / e.accelerator.gpusPerNode),
    racks: ops?.infrastructure.racks ?? 0,
    layout: e.layout ? describeLayout(e.layout) : '',
    ...(e.layout ? { parallelism: { ...e.layout } } : {}),
    fits: e.status === 'ok',
    days: ops?.time.days ?? 0,
    idealDays: ops?.time.idealDays ?? 0,
    goodput: ops?.time.goodput ?? 0,
    gpuHours: ops?.time.gpuHours ?? 0,
    stepSeconds: p?.stepSeconds ?? 0,
    tokensPerSecond: p?.tokensPerSecond ?? 0,
    mfu: p?.mfu ?? 0,
    tflopsPerGpu: p?.tflopsPerGpu ?? 0,
    cloudUsd: ops ? usdIfKnown(ops.cost.cloud.totalUsd, ops.cost.cloud.priceKnown) : null,
    cloudPriceKnown: ops?.cost.cloud.priceKnown ?? false,
    gpuHourUsd: ops ? usdIfKnown(ops.cost.cloud.gpuHourUsd, ops.cost.cloud.priceKnown) : null,
    onPremUsd: ops ? usdIfKnown(ops.cost.onPrem.totalUsd, ops.cost.onPrem.priceKnown) : null,
    onPremPriceKnown: ops?.cost.onPrem.priceKnown ?? false,
    capitalUsd: ops ? usdIfKnown(ops.cost.onPrem.capitalUsd, ops.cost.onPrem.priceKnown) : null,
    energyKwh: ops?.cost.energy.kwh ?? 0,
    co2Kg: ops?.cost.energy.co2Kg ?? 0,
    facilityPeakKw: ops?.infrastructure.power.facilityPeakKw ?? 0,
    networkSufficient: ops?.infrastructure.network.sufficient ?? false,
    checkpointBytes: ops?.infrastructure.checkpoint.bytes ?? 0,
    searchComplete: e.searchComplete,
  };
}

function presentCompareEntry(c: CompareEntry) {
  return {
    ...presentEvaluation(c.evaluation),
    costUsd: usdIfKnown(c.costUsd, c.costKnown),
    costKnown: c.costKnown,
    ...(c.meetsDeadline !== undefined ? { meetsDeadline: c.meetsDeadline } : {}),
    ...(c.deadlineLimit ? { deadlineLimit: c.deadlineLimit } : {}),
    onFrontier: c.onFrontier,
  };
}

/** Fastest first among those that ran; the rest after, in request order. */
function byDays(a: CompareEntry, b: CompareEntry): number {
  const ra = a.evaluation.status === 'ok' ? 0 : 1;
  const rb = b.evaluation.status === 'ok' ? 0 : 1;
  if (ra !== rb) return ra - rb;
  if (ra === 1) return 0;
  return (a.evaluation.ops?.time.days ?? 0) - (b.evaluation.ops?.time.days ?? 0);
}

function incompleteSearchWarning(evaluations: readonly Evaluation[], maxEvaluations: number): string[] {
  const n = evaluations.filter((e) => !e.searchComplete).length;
  return n > 0 ? [`${n} layout search(es) stopped at their work budget of ${maxEvaluations} model calls: their layouts are the best found so far (raise searchMaxEvaluations for a complete search)`] : [];
}

function allIds(app: FastifyInstance): string[] {
  return [...app.trainplan.catalog.accelerators.keys()];
}

export const procurementRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/compare',
    {
      config: { ...PLANNER_ROUTE, csvRows: 'entries' },
      schema: {
        tags: ['procurement'],
        summary: 'One workload across many accelerators, with the Pareto frontier of days vs cost',
        description:
          'Per accelerator (all in the catalog, or compare.accelerators): the best layout at hardware.count, or the fewest GPUs that meet ' +
          'constraints.deadlineDays; days (failures included), GPU-hours, cloud and on-premises cost, energy, power; and the frontier of time vs cost.' +
          CSV_NOTE,
        body: CompareRequestSchema,
        produces,
        response: { 200: CompareResponseSchema, ...problemResponses },
      },
    },
    async (request) => {
      const body = request.body;
      const count = body.hardware?.count;
      const deadlineDays = body.constraints?.deadlineDays;
      if (count === undefined && deadlineDays === undefined) {
        throw new InputProblemError([{ path: '/hardware/count', message: 'give hardware.count (compare at a fixed count) or constraints.deadlineDays (the count that meets it)' }]);
      }
      const ids = body.compare?.accelerators ?? allIds(app);
      const workloads = resolveForAccelerators(app, body, ids, '/compare/accelerators', count, overridesById(app, body.compare?.overrides, '/compare/overrides'));
      const searchMaxEvaluations = body.compare?.searchMaxEvaluations ?? DEFAULT_PROCUREMENT_SEARCH_EVALUATIONS;
      const costBasis = body.compare?.costBasis ?? 'cloud';
      const { value } = await runTask(app, 'compare', workloads[0]!, {
        kind: 'compare',
        workloads,
        options: { ...(count !== undefined ? { gpus: count } : {}), ...(deadlineDays !== undefined ? { deadlineDays } : {}), costBasis, searchMaxEvaluations },
      });
      const entries = [...value.entries].sort(byDays);
      const assumptions: Assumption[] = [...workloads[0]!.assumptions.filter((a) => !a.field.startsWith('/cost/'))];
      return {
        entries: entries.map(presentCompareEntry),
        frontier: value.frontier,
        mode: value.mode,
        costBasis: value.costBasis,
        ...(deadlineDays !== undefined ? { deadlineDays } : {}),
        elapsedMs: value.elapsedMs,
        warnings: [...workloads[0]!.warnings, ...incompleteSearchWarning(value.entries.map((e) => e.evaluation), searchMaxEvaluations)],
        assumptions,
      };
    },
  );

  app.post(
    '/recommend',
    {
      config: { ...PLANNER_ROUTE, csvRows: 'options' },
      schema: {
        tags: ['procurement'],
        summary: 'Options that satisfy a budget and a deadline, ranked; or why none does and what would',
        description:
          'A workload plus constraints.budgetUsd and/or constraints.deadlineDays, allowed accelerators and cloud/on-premises → options ' +
          '(accelerator, GPU count, layout, days, cost), cheapest first. When none satisfies the constraints: the reason per accelerator and ' +
          'what would (more budget, more days, a smaller model or fewer tokens). Without a deadline or a GPU count, options are sized to finish in 90 days.' +
          CSV_NOTE,
        body: RecommendRequestSchema,
        produces,
        response: { 200: RecommendResponseSchema, ...problemResponses },
      },
    },
    async (request) => {
      const body = request.body;
      const count = body.hardware?.count;
      const ids = body.recommend?.accelerators ?? (body.hardware?.gpu !== undefined ? [body.hardware.gpu] : allIds(app));
      const idsPath = body.recommend?.accelerators ? '/recommend/accelerators' : '/hardware/gpu';
      const workloads = resolveForAccelerators(app, body, ids, idsPath, count, overridesById(app, body.recommend?.overrides, '/recommend/overrides'));
      const searchMaxEvaluations = body.recommend?.searchMaxEvaluations ?? DEFAULT_PROCUREMENT_SEARCH_EVALUATIONS;
      const budgetUsd = body.constraints?.budgetUsd;
      const deadlineDays = body.constraints?.deadlineDays;
      const { value } = await runTask(app, 'recommend', workloads[0]!, {
        kind: 'recommend',
        workloads,
        options: {
          ...(budgetUsd !== undefined ? { budgetUsd } : {}),
          ...(deadlineDays !== undefined ? { deadlineDays } : {}),
          ...(count !== undefined ? { gpus: count } : {}),
          procurement: body.recommend?.procurement ?? 'either',
          maxOptions: body.recommend?.maxOptions ?? 10,
          searchMaxEvaluations,
        },
      });
      const assumptions: Assumption[] = [...workloads[0]!.assumptions.filter((a) => !a.field.startsWith('/cost/'))];
      if (value.sizedFor.horizonDays !== undefined) {
        assumptions.push({
          field: '/constraints/deadlineDays',
          value: value.sizedFor.horizonDays,
          reason: value.ranking === 'fastest'
            ? 'a budget and no deadline: each option is sized to finish in about a quarter, then for half the days while the budget pays for it; the fastest come first'
            : 'neither a deadline nor a GPU count given: each option is sized to finish in about a quarter',
        });
      }
      assumptions.push({ field: '/recommend/procurement', value: body.recommend?.procurement ?? 'either', reason: 'onPrem options are costed as the cash a purchase needs (capital + energy); runCostUsd is the depreciated share' });
      return {
        options: value.options.map(({ layoutDescription, layout, ...o }) => ({ ...o, layout: layoutDescription, parallelism: { ...layout } })),
        satisfiable: value.satisfiable,
        explanation: value.explanation,
        ranking: value.ranking,
        ...(value.budgetBuys ? { budgetBuys: { ...value.budgetBuys } } : {}),
        considered: value.considered,
        rejected: value.rejected,
        suggestions: value.suggestions,
        sizedFor: value.sizedFor,
        ...(budgetUsd !== undefined ? { budgetUsd } : {}),
        ...(deadlineDays !== undefined ? { deadlineDays } : {}),
        elapsedMs: value.elapsedMs,
        warnings: [...workloads[0]!.warnings],
        assumptions,
      };
    },
  );

  app.post(
    '/sweep',
    {
      config: { ...PLANNER_ROUTE, csvRows: 'points' },
      schema: {
        tags: ['procurement'],
        summary: 'One parameter varied: days, cost and MFU per value, ready to plot',
        description:
          'Varies gpus, accelerator, sequenceLength (batch tokens kept), globalBatchSize (sequences) or globalBatchTokens; every point is the best ' +
          'layout found for that value with days (failures included), GPU-hours, cloud and on-premises cost and MFU.' +
          CSV_NOTE,
        body: SweepRequestSchema,
        produces,
        response: { 200: SweepResponseSchema, ...problemResponses },
      },
    },
    async (request) => {
      const body = request.body;
      const catalog = app.trainplan.catalog;
      const base = resolveWorkload(workloadInput(body, body.hardware.gpu, body.hardware.count), catalog, { defaultSearchMaxEvaluations: app.trainplan.searchMaxEvaluations });
      if ('problems' in base) throw new InputProblemError(base.problems);
      const { parameter, values } = body.sweep;
      if (parameter !== 'gpus' && base.gpus === undefined) {
        throw new InputProblemError([{ path: '/hardware/count', message: `a sweep over ${parameter} needs hardware.count (or a complete layout)` }]);
      }
      const problems: FieldProblem[] = [];
      const points: SweepPointInput[] = [];
      values.forEach((raw, i) => {
        const path = `/sweep/values/${i}`;
        const asNumber = typeof raw === 'number' ? raw : parseCount(raw);
        const int = (max: number): number | undefined => {
          if (asNumber === undefined || !Number.isInteger(asNumber) || asNumber < 1 || asNumber > max) {
            problems.push({ path, message: `must be a whole number between 1 and ${max} for ${parameter}` });
            return undefined;
          }
          return asNumber;
        };
        const w: WorkloadWithOperations = base;
        switch (parameter) {
          case 'gpus': {
            const n = int(LIMITS.gpus);
            if (n !== undefined) points.push({ value: raw, workload: w, gpus: n });
            return;
          }
          case 'accelerator': {
            const a = lookupAccelerator(catalog, String(raw));
            if (!a) {
              problems.push(unknownAcceleratorProblem(catalog, String(raw), path));
              return;
            }
            points.push({ value: raw, workload: { ...w, accelerator: a, ...priceOptionsOf(catalog, a.id) }, gpus: base.gpus! });
            return;
          }
          case 'sequenceLength': {
            const s = int(LIMITS.sequenceLength);
            if (s === undefined) return;
            const batchTokens = w.training.globalBatchSequences * w.training.sequenceLength;
            const training = { ...w.training, sequenceLength: s, globalBatchSequences: Math.max(1, Math.round(batchTokens / s)) };
            points.push({ value: raw, workload: { ...w, training }, gpus: base.gpus! });
            return;
          }
          case 'globalBatchSize': {
            const b = int(LIMITS.globalBatchSize);
            if (b !== undefined) points.push({ value: raw, workload: { ...w, training: { ...w.training, globalBatchSequences: b } }, gpus: base.gpus! });
            return;
          }
          case 'globalBatchTokens': {
            if (asNumber === undefined || !(asNumber > 0) || asNumber > LIMITS.globalBatchTokens) {
              problems.push({ path, message: `must be a token count above 0 and at most ${LIMITS.globalBatchTokens.toExponential(0)}` });
              return;
            }
            const b = sequencesForBatchTokens(asNumber, w.training.sequenceLength).sequences;
            points.push({ value: raw, workload: { ...w, training: { ...w.training, globalBatchSequences: b } }, gpus: base.gpus! });
            return;
          }
        }
      });
      if (problems.length > 0) throw new InputProblemError(problems);
      const searchMaxEvaluations = body.sweep.searchMaxEvaluations ?? DEFAULT_PROCUREMENT_SEARCH_EVALUATIONS;
      const { value } = await runTask(app, 'sweep', base, { kind: 'sweep', points, searchMaxEvaluations });
      return {
        parameter,
        points: value.points.map((p, i) => ({
          value: String(p.value),
          sequenceLength: points[i]!.workload.training.sequenceLength,
          globalBatchSize: points[i]!.workload.training.globalBatchSequences,
          ...presentEvaluation(p.evaluation),
        })),
        elapsedMs: value.elapsedMs,
        warnings: [...base.warnings, ...incompleteSearchWarning(value.points.map((p) => p.evaluation), searchMaxEvaluations)],
        assumptions: base.assumptions.filter((a) => !a.field.startsWith('/cost/')),
      };
    },
  );

  app.post(
    '/scaling',
    {
      config: { ...PLANNER_ROUTE, csvRows: 'laws' },
      schema: {
        tags: ['procurement'],
        summary: 'Compute-optimal sizing (Chinchilla) and whether a model is under- or over-trained',
        description:
          'From a compute budget (computeFlops, or cluster: GPUs × days on an accelerator at an MFU) the parameter count and tokens that are ' +
          'compute-optimal: 20 tokens per parameter, and the approach-3 law of Hoffmann et al. 2022 (as published and as refitted by ' +
          'Besiroglu et al. 2024). For a model (+ tokens): tokens per parameter against the optimum for the same compute.' +
          CSV_NOTE,
        body: ScalingRequestSchema,
        produces,
        response: { 200: ScalingResponseSchema, ...problemResponses },
      },
    },
    async (request) => scalingAnswer(app, request.body),
  );
};

interface ClusterCompute {
  gpu: string; count: number; days: number; mfu: number; goodput: number; mfuSource: 'request' | 'step-time-model' | 'default';
  layout?: string; peakFlopsPerSecond: number; computeFlops: number;
}

/** Fixed-point steps of the cluster's MFU (the model depends on the compute, the MFU on the model); 3 settle within 1% here. */
const CLUSTER_MFU_STEPS = 4;
/** The run the cluster's MFU is planned for: sequences of 4,096 tokens, about 4M tokens per batch (Llama 2, Touvron et al. 2023 Sec. 2.2). */
const CLUSTER_SEQUENCE_LENGTH = 4096;
const CLUSTER_BATCH_TOKENS = 4 * 1024 * 1024;

/**
 * The compute a cluster delivers in its days. With cluster.mfu: GPUs × days × 86,400 s × peak × MFU.
 * Otherwise the same step-time model as /v1/estimate: the compute-optimal model (20 tokens per
 * parameter) for a guessed compute is planned on the cluster, its MFU and goodput give the compute,
 * and the guess is repeated until the MFU settles (a fixed point: the model depends on the compute).
 */
async function clusterCompute(
  app: FastifyInstance,
  c: { gpu: string; count: number; days: number; precision: Precision; peak: number; mfu?: number },
  fallbackMfu: number,
  warnings: string[],
  assumptions: Assumption[],
): Promise<ClusterCompute> {
  const base = { gpu: c.gpu, count: c.count, days: c.days, peakFlopsPerSecond: c.peak };
  if (c.mfu !== undefined) return { ...base, mfu: c.mfu, goodput: 1, mfuSource: 'request', computeFlops: computeFromCluster(c.count, c.days, c.peak, c.mfu) };
  // a batch every data-parallel degree of the cluster divides: about 4M tokens (Llama 2/3) in whole multiples of the node count
  const gpusPerNode = app.trainplan.catalog.accelerators.get(c.gpu)?.gpusPerNode ?? 8;
  const batchUnit = c.count % gpusPerNode === 0 ? c.count / gpusPerNode : c.count;
  const globalBatchSize = Math.max(1, Math.round(CLUSTER_BATCH_TOKENS / CLUSTER_SEQUENCE_LENGTH / batchUnit)) * batchUnit;
  let mfu = fallbackMfu;
  let goodput = 1;
  let planned: { mfu: number; goodput: number; layout: string; parameters: number } | undefined;
  for (let step = 0; step < CLUSTER_MFU_STEPS; step++) {
    const optimal = computeOptimal(computeFromCluster(c.count, c.days, c.peak, mfu * goodput)).ruleOfThumb;
    const w = resolveWorkload(
      {
        model: { parameters: Math.max(1e8, Math.round(optimal.parameters)) },
        training: { tokens: Math.max(1e9, Math.round(optimal.tokens)), precision: c.precision, sequenceLength: CLUSTER_SEQUENCE_LENGTH, globalBatchSize },
        hardware: { gpu: c.gpu, count: c.count },
        search: { maxEvaluations: DEFAULT_PROCUREMENT_SEARCH_EVALUATIONS },
      },
      app.trainplan.catalog,
      { defaultSearchMaxEvaluations: app.trainplan.searchMaxEvaluations },
    );
    if ('problems' in w) break;
    let result;
    try {
      result = (await runTask(app, 'estimate', w, { kind: 'compare', workloads: [], options: { costBasis: 'cloud', searchMaxEvaluations: DEFAULT_PROCUREMENT_SEARCH_EVALUATIONS } })).value;
    } catch (error) {
      if (error instanceof InputProblemError) break;
      throw error;
    }
    if (!result.chosen.memory.fits) break;
    const settled = planned !== undefined && Math.abs(result.performance.mfu - planned.mfu) <= 0.01 * planned.mfu;
    planned = { mfu: result.performance.mfu, goodput: result.reliability?.goodput ?? 1, layout: describeLayout(result.chosen.layout), parameters: w.model.counts.totalParameters };
    mfu = planned.mfu;
    goodput = planned.goodput;
    if (settled) break;
  }
  if (!planned) {
    warnings.push(`the compute-optimal model for this cluster could not be planned on ${c.count} ${c.gpu}: compute at the documented default MFU ${(fallbackMfu * 100).toFixed(0)}% instead`);
    assumptions.push({ field: '/cluster/mfu', value: fallbackMfu, reason: 'documented default MFU for the generation (no layout of the compute-optimal model fits the cluster)' });
    return { ...base, mfu: fallbackMfu, goodput: 1, mfuSource: 'default', computeFlops: computeFromCluster(c.count, c.days, c.peak, fallbackMfu) };
  }
  assumptions.push({
    field: '/cluster/mfu',
    value: planned.mfu,
    reason: `the step-time model's MFU for the compute-optimal model (${(planned.parameters / 1e9).toFixed(1)}B parameters) on ${c.count} ${c.gpu} (${planned.layout}; sequences of ${CLUSTER_SEQUENCE_LENGTH}, batch ${globalBatchSize}), goodput ${(planned.goodput * 100).toFixed(1)}%: the same model as /v1/estimate`,
  });
  return { ...base, mfu: planned.mfu, goodput: planned.goodput, mfuSource: 'step-time-model', layout: planned.layout, computeFlops: computeFromCluster(c.count, c.days, c.peak, planned.mfu * planned.goodput) };
}

async function scalingAnswer(app: FastifyInstance, body: ScalingRequest) {
  const catalog = app.trainplan.catalog;
  const problems: FieldProblem[] = [];
  const warnings: string[] = [];
  const assumptions: Assumption[] = [];
  if (body.computeFlops === undefined && body.cluster === undefined && body.model === undefined) {
    throw new InputProblemError([{ path: '/', message: 'give a compute budget (computeFlops or cluster) and/or a model to assess' }]);
  }
  if (body.computeFlops !== undefined && body.cluster !== undefined) problems.push({ path: '/cluster', message: 'give computeFlops or cluster, not both' });
  if (body.tokens !== undefined && body.model === undefined) problems.push({ path: '/tokens', message: 'tokens needs a model to assess' });

  let computeFlops: number | undefined;
  let cluster: ClusterCompute | undefined;
  if (body.computeFlops !== undefined) {
    const c = parseCount(body.computeFlops);
    if (c === undefined || !Number.isFinite(c) || c < 1e15 || c > 1e32) problems.push({ path: '/computeFlops', message: 'must be a FLOP count from 1e15 to 1e32 (e.g. 5.76e23 or "576e21")' });
    else computeFlops = c;
  }
  if (body.cluster !== undefined && problems.length === 0) {
    const a = lookupAccelerator(catalog, body.cluster.gpu);
    if (!a) problems.push(unknownAcceleratorProblem(catalog, body.cluster.gpu, '/cluster/gpu'));
    else {
      const precision: Precision = body.cluster.precision ?? defaultPrecisionFor(a);
      if (body.cluster.precision === undefined) {
        assumptions.push({ field: '/cluster/precision', value: precision, reason: precision === 'fp16' ? `${a.name} has no bf16 tensor cores: fp16 mixed precision` : 'bf16 mixed precision is the default for LLM training' });
      }
      const peak = peakFlopsForPrecision(a, precision);
      if (!(peak > 0)) problems.push({ path: '/cluster/precision', message: `${a.id} has no ${precision} tensor-core peak` });
      else {
        cluster = await clusterCompute(app, { gpu: a.id, count: body.cluster.count, days: body.cluster.days, precision, peak, ...(body.cluster.mfu !== undefined ? { mfu: body.cluster.mfu } : {}) }, defaultMfu(a), warnings, assumptions);
        computeFlops = cluster.computeFlops;
      }
    }
  }

  let model: { parameters: number; tokens: number } | undefined;
  if (body.model !== undefined) {
    const gpu = catalog.accelerators.has('h100-sxm-80gb') ? 'h100-sxm-80gb' : [...catalog.accelerators.keys()][0]!;
    const r = resolveWorkload(
      { model: body.model, hardware: { gpu }, ...(body.tokens !== undefined ? { training: { tokens: body.tokens } } : {}) },
      catalog,
      { defaultSearchMaxEvaluations: app.trainplan.searchMaxEvaluations },
    );
    if ('problems' in r) {
      for (const p of r.problems) problems.push({ path: p.path === '/training/tokens' ? '/tokens' : p.path, message: p.message });
    } else {
      model = { parameters: r.model.counts.activeParameters, tokens: r.training.tokens };
      for (const a of r.assumptions) if (a.field.startsWith('/model') || a.field === '/training/tokens') assumptions.push(a.field === '/training/tokens' ? { ...a, field: '/tokens' } : a);
      if (r.model.shape.moe) warnings.push('a mixture-of-experts model: assessed by its active parameters; the Chinchilla laws were fitted on dense models');
    }
  }
  if (problems.length > 0) throw new InputProblemError(problems);

  const optimal = computeFlops !== undefined ? computeOptimal(computeFlops) : undefined;
  const assessed = model ? assessModel(model.parameters, model.tokens) : undefined;
  return {
    ...(computeFlops !== undefined ? { computeFlops, computeSource: cluster ? ('cluster' as const) : ('computeFlops' as const) } : {}),
    ...(cluster ? { cluster: { gpu: cluster.gpu, count: cluster.count, days: cluster.days, mfu: cluster.mfu, goodput: cluster.goodput, mfuSource: cluster.mfuSource, ...(cluster.layout ? { layout: cluster.layout } : {}), peakFlopsPerSecond: cluster.peakFlopsPerSecond } } : {}),
    ...(optimal ? { optimal: { ruleOfThumb: optimal.ruleOfThumb, laws: optimal.laws } } : {}),
    laws: optimal?.laws ?? [],
    ...(assessed
      ? {
          model: {
            parameters: assessed.parameters,
            tokens: assessed.tokens,
            computeFlops: assessed.computeFlops,
            tokensPerParameter: assessed.tokensPerParameter,
            ruleOfThumbRatio: assessed.ruleOfThumbRatio,
            verdict: assessed.ruleOfThumbVerdict,
            optimalTokensByRule: assessed.optimalTokensByRule,
            explanation: assessed.explanation,
            laws: assessed.laws.map((l) => ({
              law: l.law,
              verdict: l.verdict,
              optimalParameters: l.parameters,
              optimalTokens: l.tokens,
              tokensRatio: l.tokensRatio,
              modelLoss: l.modelLoss,
              optimalLoss: l.loss,
              excessLoss: l.excessLoss,
            })),
          },
        }
      : {}),
    band: COMPUTE_OPTIMAL_BAND,
    warnings,
    assumptions,
  };
}
