import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { PLANNER_ROUTE } from '../plugins/pressure.js';
import type { FastifyInstance } from 'fastify';
import { InputProblemError } from '../domain/core/index.js';
import { peakFlopsForPrecision } from '../domain/performance/index.js';

const HOURS_PER_DAY = 24;
import { trainingFlops } from '../domain/model/index.js';
import { wholeModelMemory } from '../domain/memory/index.js';
import { inThreadRunner, type PlanTaskKind, type PlanTaskResult, timeFor, planHeldGpusCost, resolveModelStack, resolveModelTraining, resolveWorkload, type ResolvedWorkload } from '../domain/planning/index.js';
import { problemResponses } from '../schemas/problem.js';
import {
  CostResponseSchema,
  EstimateSchema,
  FlopsResponseSchema,
  MemoryResponseSchema,
  ParallelismResponseSchema,
  SizingResponseSchema,
} from '../schemas/plan.js';
import { CostRequestSchema, FlopsRequestSchema, MemoryRequestSchema, WorkloadSchema, type WorkloadInput } from '../schemas/workload.js';
import {
  presentCost,
  presentEstimate,
  presentFlops,
  presentHardware,
  presentLayout,
  presentMemory,
  presentWholeModelMemory,
  presentModel,
  presentPerformance,
  presentSizing,
  presentTime,
} from './present.js';

function resolve(app: FastifyInstance, body: WorkloadInput): ResolvedWorkload {
  const resolved = resolveWorkload(body, app.trainplan.catalog, { defaultSearchMaxEvaluations: app.trainplan.searchMaxEvaluations });
  if ('problems' in resolved) throw new InputProblemError(resolved.problems);
  return resolved;
}

/**
 * A plan whose GPU count and tensor × pipeline grid are fixed searches a few thousand layouts at most:
 * a few milliseconds (`npm run bench`), less than the trip to a worker thread and back costs.
 */
function runsInThread(w: ResolvedWorkload): boolean {
  return w.gpus !== undefined && w.fixedLayout.tensor !== undefined && w.fixedLayout.pipeline !== undefined;
}

/** Runs a planning task off the event loop (worker pool), or in-thread when it is cheap, and turns input problems into a 400. */
async function run<K extends PlanTaskKind>(app: FastifyInstance, kind: K, workload: ResolvedWorkload) {
  const runner = runsInThread(workload) ? inThreadRunner : (app.trainplan.planRunner ?? inThreadRunner);
  const result = await runner({ kind, workload });
  if (!result.ok) throw new InputProblemError(result.problems);
  return result as Extract<PlanTaskResult, { kind: K }>;
}

const body = WorkloadSchema;

export const planRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/estimate',
    {
      config: PLANNER_ROUTE,
      schema: {
        tags: ['plan'],
        summary: 'The whole plan for one workload',
        description:
          'Model, FLOPs, per-GPU memory term by term, the fastest layout that fits (searched for what the request leaves out), ' +
          'step time and MFU, days and GPU-hours, cloud and on-premises cost, energy and CO2, and GPU sizing.',
        body,
        response: { 200: EstimateSchema, ...problemResponses },
      },
    },
    async (request) => presentEstimate((await run(app, 'estimate', resolve(app, request.body))).value),
  );

  app.post(
    '/memory',
    {
      config: PLANNER_ROUTE,
      schema: {
        tags: ['plan'],
        summary: 'Memory: the whole model, and per GPU term by term',
        description:
          'Without hardware: what training the model takes in all (total) and its weights and training total in every precision (byPrecision). ' +
          'With hardware: also the most loaded GPU of the layout, term by term, against the accelerator\'s memory.',
        body: MemoryRequestSchema,
        response: { 200: MemoryResponseSchema, ...problemResponses },
      },
    },
    async (request) => {
      const input = request.body;
      const microBatchSize = input.parallelism?.microBatchSize ?? 1;
      const recompute = input.parallelism?.recompute ?? 'none';
      if (!input.hardware) {
        const resolved = resolveModelStack(input, app.trainplan.catalog);
        if ('problems' in resolved) throw new InputProblemError(resolved.problems);
        const whole = wholeModelMemory(resolved.model.shape, resolved.model.counts, resolved.training, resolved.memoryOptions, microBatchSize, recompute);
        const perGpuFields = Object.keys(input.parallelism ?? {}).filter((k) => k !== 'microBatchSize' && k !== 'recompute');
        return {
          ...presentWholeModelMemory(whole),
          model: presentModel(resolved),
          warnings: [
            ...resolved.warnings,
            ...(perGpuFields.length > 0 ? [`parallelism.${perGpuFields.join(', parallelism.')} split the model over GPUs: give hardware (gpu, count) for the per-GPU breakdown; without it only the whole model is answered`] : []),
          ],
          // tokens and batch size do not change the memory: their defaults are not part of this answer
          assumptions: resolved.assumptions.filter((a) => a.field !== '/training/tokens' && a.field !== '/training/globalBatchSize'),
        };
      }
      const w = resolve(app, input as WorkloadInput);
      const { value } = await run(app, 'memory', w);
      const whole = wholeModelMemory(w.model.shape, w.model.counts, w.training, w.modelOptions.memory, microBatchSize, recompute);
      return {
        ...presentWholeModelMemory(whole),
        ...presentMemory(value.chosen.memory),
        parallelism: presentLayout(value.chosen.layout, w),
        model: presentModel(w),
        warnings: value.warnings,
        assumptions: value.assumptions,
      };
    },
  );

  app.post(
    '/flops',
    {
      schema: {
        tags: ['plan'],
        summary: 'Training compute, every convention side by side',
        description: 'Needs no hardware: FLOPs depend on the model and the tokens alone. With hardware, the precision is checked against the accelerator.',
        body: FlopsRequestSchema,
        response: { 200: FlopsResponseSchema, ...problemResponses },
      },
    },
    async (request) => {
      const input = request.body;
      let w: Pick<ResolvedWorkload, 'model' | 'training' | 'fixedLayout' | 'warnings' | 'assumptions'>;
      if (input.hardware) {
        w = resolve(app, input as WorkloadInput);
      } else {
        const resolved = resolveModelTraining(input, app.trainplan.catalog);
        if ('problems' in resolved) throw new InputProblemError(resolved.problems);
        w = { ...resolved, fixedLayout: input.parallelism?.recompute !== undefined ? { recompute: input.parallelism.recompute } : {} };
      }
      const flops = trainingFlops(w.model.shape, w.model.counts, w.training);
      return {
        ...presentFlops(flops, w.fixedLayout.recompute ?? 'none'),
        model: presentModel(w),
        warnings: w.warnings,
        assumptions: w.assumptions,
      };
    },
  );

  app.post(
    '/gpu-sizing',
    {
      config: PLANNER_ROUTE,
      schema: {
        tags: ['plan'],
        summary: 'How many GPUs: by memory, by deadline, recommended',
        body,
        response: { 200: SizingResponseSchema, ...problemResponses },
      },
    },
    async (request) => {
      const { value } = await run(app, 'sizing', resolve(app, request.body));
      return { ...presentSizing(value.sizing), warnings: value.warnings, assumptions: value.assumptions };
    },
  );

  app.post(
    '/parallelism',
    {
      config: { ...PLANNER_ROUTE, csvRows: 'candidates' },
      schema: {
        tags: ['plan'],
        summary: 'Ranked parallel layouts that fit, best first',
        description: 'Honours every parallelism field the request fixes and searches the rest; rank by step time or cost per token (search.objective).',
        body,
        response: { 200: ParallelismResponseSchema, ...problemResponses },
      },
    },
    async (request) => {
      const w = resolve(app, request.body);
      const { value } = await run(app, 'parallelism', w);
      const { search, gpus } = value;
      return {
        candidates: search.candidates.map((c, i) => ({
          rank: i + 1,
          parallelism: presentLayout(c.parallelism, w),
          memory: presentMemory(c.memory),
          performance: presentPerformance(c.performance),
          days: timeFor(w, gpus, c.performance.stepSeconds).days,
          ...(c.costPerMillionTokensUsd !== undefined ? { costPerMillionTokensUsd: c.costPerMillionTokensUsd } : {}),
        })),
        searched: search.searched,
        evaluated: search.evaluated,
        complete: search.complete,
        workUnits: search.workUnits,
        ...(search.stoppedBy ? { stoppedBy: search.stoppedBy } : {}),
        elapsedMs: search.elapsedMs,
        objective: w.search.objective,
        gpus,
        ...(search.runnerUpReason ? { runnerUpReason: search.runnerUpReason } : {}),
        ...(search.infeasibleReason ? { infeasibleReason: search.infeasibleReason } : {}),
        pruned: { ...search.pruned },
        warnings: value.warnings,
        assumptions: value.assumptions,
      };
    },
  );

  app.post(
    '/cost',
    {
      config: PLANNER_ROUTE,
      schema: {
        tags: ['plan'],
        summary: 'Cloud and on-premises cost, energy and carbon',
        description:
          'Of a training run (model, tokens, hardware: planned as /v1/estimate plans it), or of hardware.count GPUs held for usage.days ' +
          '("128 A100 for 30 days"), whatever they train.',
        body: CostRequestSchema,
        response: { 200: CostResponseSchema, ...problemResponses },
      },
    },
    async (request) => {
      const body = request.body;
      if (body.usage) {
        const ignoredParts = (['training', 'parallelism', 'efficiency', 'search', 'constraints'] as const).filter((k) => body[k] !== undefined && !(k === 'training' && Object.keys(body.training ?? {}).every((f) => f === 'precision')));
        const held = planHeldGpusCost({ ...body, usage: body.usage, ignoredParts }, app.trainplan.catalog);
        if ('problems' in held) throw new InputProblemError(held.problems);
        const { accelerator: a, gpus, days, cost } = held;
        return {
          ...presentCost(cost),
          time: { days, hours: days * HOURS_PER_DAY, gpuHours: gpus * days * HOURS_PER_DAY, steps: 0 },
          hardware: { gpu: a.id, name: a.name, count: gpus, nodes: Math.ceil(gpus / a.gpusPerNode), gpuMemoryBytes: a.memoryBytes, peakFlopsPerSecond: peakFlopsForPrecision(a, held.precision) },
          warnings: held.warnings,
          assumptions: held.assumptions,
        };
      }
      if (!body.model) throw new InputProblemError([{ path: '/model', message: 'give model (the cost of training it) or usage.days (the cost of hardware.count GPUs for those days)' }]);
      const { value: r } = await run(app, 'estimate', resolve(app, body as WorkloadInput));
      return {
        ...presentCost(r.cost),
        time: presentTime(r.time),
        hardware: presentHardware(r.workload, r.gpus),
        warnings: r.warnings,
        assumptions: r.assumptions,
      };
    },
  );
};
