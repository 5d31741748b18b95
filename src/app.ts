import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Catalog } from './config/catalog.js';
import { problemPlugin } from './plugins/problem.js';
import { swaggerPlugin } from './plugins/swagger.js';
import { FieldProblemSchema, ProblemSchema } from './schemas/problem.js';
import { catalogRoutes } from './routes/catalog.js';
import { healthRoutes } from './routes/health.js';
import { plannerPagePlugin } from './plugins/planner-page.js';
import { planRoutes } from './routes/plan.js';
import { procurementRoutes } from './routes/procurement.js';
import { csvPlugin } from './plugins/csv.js';
import type { PlanRunner } from './domain/planning/index.js';
import { DEFAULT_MAX_EVALUATIONS } from './domain/search/index.js';
import { defaultOpsConfig } from './config/env.js';
import { metricsPlugin } from './plugins/metrics.js';
import { pressurePlugin } from './plugins/pressure.js';
import { requestIdFrom, securityPlugin, type SecurityOptions } from './plugins/security.js';
import { retryAfterSecondsFor, type PlanPoolStats } from './workers/plan-pool.js';

/** Server timeouts, milliseconds (defaults: src/config/env.ts defaultOpsConfig). */
export interface ServerTimeouts {
  /** the whole request (headers and body) must arrive within this (slow senders get 408) */
  requestTimeoutMs?: number;
  /** the headers must arrive within this (slowloris) */
  headersTimeoutMs?: number;
  /** an idle keep-alive connection is closed after this */
  keepAliveTimeoutMs?: number;
  /** a socket without any activity for this long is destroyed (0 = never) */
  connectionTimeoutMs?: number;
  /** how often Node checks the request and headers timeouts (default 1000) */
  checkIntervalMs?: number;
}

export interface AppOptions {
  catalog: Catalog;
  /** pino options, or false for silence (tests) */
  logger?: FastifyServerOptions['logger'];
  /** default time budget of a layout search, milliseconds */
  searchMaxEvaluations?: number;
  /** runs planning tasks (a worker pool in the server; in-thread when left out) */
  planRunner?: PlanRunner;
  /** request body limit, bytes (default 1 MiB) */
  bodyLimitBytes?: number;
  /** API keys and CORS origins (both off when left out); strict JSON limits */
  security?: SecurityOptions;
  /** answer 503 + Retry-After while the event loop lags more than this, ms (0 = off, the default here; server.ts: MAX_EVENT_LOOP_DELAY_MS, 1000) */
  maxEventLoopDelayMs?: number;
  /** server timeouts (defaults: defaultOpsConfig in src/config/env.ts) */
  timeouts?: ServerTimeouts;
  /** the worker pool's counters for GET /metrics */
  poolStats?: () => PlanPoolStats;
}

export type App = FastifyInstance & { readonly trainplan: AppState };

export interface AppState {
  catalog: Catalog;
  ready: boolean;
  searchMaxEvaluations: number;
  planRunner: PlanRunner | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    trainplan: AppState;
  }
}

/** Builds the app without listening and without reading process.env: server.ts and the tests build the same one. */
export async function buildApp(options: AppOptions) {
  const ops = defaultOpsConfig(1);
  const timeouts = options.timeouts ?? {};
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimitBytes ?? 1024 * 1024,
    // x-request-id is accepted when it is a safe token (no log injection), else a UUID is made.
    requestIdHeader: false,
    genReqId: requestIdFrom,
    requestTimeout: timeouts.requestTimeoutMs ?? ops.requestTimeoutMs,
    keepAliveTimeout: timeouts.keepAliveTimeoutMs ?? ops.keepAliveTimeoutMs,
    connectionTimeout: timeouts.connectionTimeoutMs ?? ops.connectionTimeoutMs,
    http: {
      headersTimeout: timeouts.headersTimeoutMs ?? ops.headersTimeoutMs,
      connectionsCheckingInterval: timeouts.checkIntervalMs ?? 1000,
    },
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    ajv: {
      customOptions: {
        // Fastify's default strips unknown properties and answers 200; we reject them (STACK.md pitfall).
        removeAdditional: false,
        // Name every bad field, not only the first.
        allErrors: true,
        // Bodies are JSON: "8" is not 8.
        coerceTypes: false,
        useDefaults: true,
      },
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorate('trainplan', {
    catalog: options.catalog,
    ready: false,
    searchMaxEvaluations: options.searchMaxEvaluations ?? DEFAULT_MAX_EVALUATIONS,
    planRunner: options.planRunner,
  } satisfies AppState);

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', String(request.id));
  });

  // JSON only: a text/plain body is a wrong content type (415), not a string to validate.
  app.removeContentTypeParser(['text/plain']);
  app.addSchema(FieldProblemSchema);
  app.addSchema(ProblemSchema);
  await app.register(problemPlugin);
  await app.register(securityPlugin, options.security ?? {});
  const poolStats = options.poolStats;
  await app.register(pressurePlugin, {
    maxEventLoopDelayMs: options.maxEventLoopDelayMs ?? 0,
    ...(poolStats
      ? {
          queue: () => {
            const st = poolStats();
            return { full: st.queueSize >= st.maxQueue, retryAfterSeconds: retryAfterSecondsFor(st.meanTaskMs, st.queueSize, st.maxThreads) };
          },
        }
      : {}),
  });
  await app.register(metricsPlugin, options.poolStats ? { poolStats: options.poolStats } : {});
  await app.register(csvPlugin);
  await app.register(swaggerPlugin, { apiKeys: (options.security?.apiKeys?.length ?? 0) > 0 });
  await app.register(healthRoutes);
  await app.register(plannerPagePlugin);
  await app.register(catalogRoutes, { prefix: '/v1' });
  await app.register(planRoutes, { prefix: '/v1' });
  await app.register(procurementRoutes, { prefix: '/v1' });

  app.addHook('onReady', async () => {
    app.trainplan.ready = true;
  });
  app.addHook('preClose', async () => {
    app.trainplan.ready = false;
  });
  return app;
}

export type TrainPlanApp = Awaited<ReturnType<typeof buildApp>>;
