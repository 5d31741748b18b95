// GET /metrics in the Prometheus text format (prom-client): request rate and latency by route, planning
// task and search time, worker queue depth, event-loop lag (Node's default metrics). One registry per
// app, so several apps in one process (tests) never collide.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { inThreadRunner, type PlanRunner, type PlanTaskResult } from '../domain/planning/index.js';
import type { PlanPoolStats } from '../workers/plan-pool.js';

export interface MetricsOptions {
  /** the worker pool's counters, when planning runs in worker threads */
  poolStats?: () => PlanPoolStats;
}

export interface TrainPlanMetrics {
  registry: Registry;
  catalogReloads: Counter<'result'>;
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: TrainPlanMetrics;
  }
}

const LATENCY_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** How long the layout search inside a task took, where the task ran one (worker-side clock). */
export function searchMillisOf(result: PlanTaskResult): number | undefined {
  if (!result.ok) return undefined;
  switch (result.kind) {
    case 'parallelism':
      return result.value.search.elapsedMs;
    case 'estimate':
    case 'memory':
      return result.value.chosen.search?.elapsedMs;
    default:
      return undefined;
  }
}

function outcomeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'TRAINPLAN_QUEUE_FULL') return 'queue_full';
  if (code === 'TRAINPLAN_PLAN_TIMEOUT') return 'timeout';
  return 'error';
}

export const metricsPlugin = fp(
  async (app: FastifyInstance, options: MetricsOptions) => {
    const registry = new Registry();
    // process CPU/memory, GC, handles, and nodejs_eventloop_lag_seconds (+ p50/p90/p99 from monitorEventLoopDelay)
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });

    const requests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by method, route template and status code',
      labelNames: ['method', 'route', 'status_code'] as const,
      registers: [registry],
    });
    const latency = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time from receiving the request to sending the answer, by route template',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: LATENCY_BUCKETS_SECONDS,
      registers: [registry],
    });
    const taskSeconds = new Histogram({
      name: 'trainplan_plan_task_duration_seconds',
      help: 'Planning tasks (estimate, memory, sizing, parallelism, ...) including the wait for a worker thread, by kind and outcome',
      labelNames: ['kind', 'outcome'] as const,
      buckets: LATENCY_BUCKETS_SECONDS,
      registers: [registry],
    });
    const searchSeconds = new Histogram({
      name: 'trainplan_search_duration_seconds',
      help: 'Time the parallel-layout search itself took (inside the worker), by task kind',
      labelNames: ['kind'] as const,
      buckets: LATENCY_BUCKETS_SECONDS,
      registers: [registry],
    });
    const shed = new Counter({
      name: 'trainplan_shed_total',
      help: 'Requests answered 503 to protect the service, by reason (queue_full, event_loop_delay, task_timeout)',
      labelNames: ['reason'] as const,
      registers: [registry],
    });
    const catalogReloads = new Counter({
      name: 'trainplan_catalog_reloads_total',
      help: 'Catalog reloads on SIGHUP, by result (ok: now serving the new files; rejected: the old catalog kept serving)',
      labelNames: ['result'] as const,
      registers: [registry],
    });
    new Gauge({
      name: 'trainplan_catalog_accelerators',
      help: 'Accelerators in the catalog being served',
      registers: [registry],
      collect() {
        this.set(app.trainplan.catalog.accelerators.size);
      },
    });
    new Gauge({
      name: 'trainplan_ready',
      help: '1 when /readyz answers ready',
      registers: [registry],
      collect() {
        this.set(app.trainplan.ready ? 1 : 0);
      },
    });

    const stats = options.poolStats;
    if (stats) {
      const gauge = (name: string, help: string, read: (s: PlanPoolStats) => number) =>
        new Gauge({
          name,
          help,
          registers: [registry],
          collect() {
            this.set(read(stats()));
          },
        });
      gauge('trainplan_worker_queue_depth', 'Planning tasks waiting for a worker thread', (s) => s.queueSize);
      gauge('trainplan_worker_queue_limit', 'Tasks allowed to wait before requests get 503', (s) => s.maxQueue);
      gauge('trainplan_worker_running', 'Planning tasks running on worker threads', (s) => s.running);
      gauge('trainplan_worker_threads', 'Worker threads started', (s) => s.threads);
      gauge('trainplan_worker_threads_max', 'Most worker threads the pool starts', (s) => s.maxThreads);
      gauge('trainplan_worker_rejected_queue_full', 'Tasks refused because the queue was full, since start (a counter)', (s) => s.rejectedQueueFull);
      gauge('trainplan_worker_timed_out', 'Tasks stopped at PLAN_TASK_TIMEOUT_MS, since start (a counter)', (s) => s.timedOut);
      gauge('trainplan_worker_abandoned', 'Tasks dropped because the client disconnected first, since start (a counter)', (s) => s.abandoned);
    }

    // Time every planning task where the routes run it (worker pool or in-thread).
    const inner: PlanRunner = app.trainplan.planRunner ?? inThreadRunner;
    app.trainplan.planRunner = async (task) => {
      const end = taskSeconds.startTimer({ kind: task.kind });
      try {
        const result = await inner(task);
        end({ outcome: result.ok ? 'ok' : 'input_problem' });
        const searchMs = searchMillisOf(result);
        if (searchMs !== undefined) searchSeconds.observe({ kind: task.kind }, searchMs / 1000);
        return result;
      } catch (error) {
        end({ outcome: outcomeOf(error) });
        throw error;
      }
    };

    app.decorate('metrics', { registry, catalogReloads } satisfies TrainPlanMetrics);

    app.addHook('onError', async (_request, _reply, error) => {
      const reason = (error as { shedReason?: unknown }).shedReason;
      if (typeof reason === 'string') shed.inc({ reason });
    });

    app.addHook('onResponse', async (request, reply) => {
      // the route template, never the raw URL: ids and typos must not explode the label set
      const route = request.routeOptions.url ?? 'unmatched';
      const labels = { method: request.method, route, status_code: String(reply.statusCode) };
      requests.inc(labels);
      latency.observe(labels, reply.elapsedTime / 1000);
    });

    app.get('/metrics', { schema: { hide: true }, logLevel: 'warn' }, async (_request, reply) => {
      const text = await registry.metrics();
      return reply.type(registry.contentType).send(text);
    });
  },
  { name: 'trainplan-metrics', dependencies: [] },
);
