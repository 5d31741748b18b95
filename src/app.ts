import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Catalog } from './config/catalog.js';
import { problemPlugin } from './plugins/problem.js';
import { swaggerPlugin } from './plugins/swagger.js';
import { FieldProblemSchema, ProblemSchema } from './schemas/problem.js';
import { catalogRoutes } from './routes/catalog.js';
import { healthRoutes } from './routes/health.js';
import { planRoutes } from './routes/plan.js';
import type { PlanRunner } from './domain/plan-tasks.js';

export interface AppOptions {
  catalog: Catalog;
  /** pino options, or false for silence (tests) */
  logger?: FastifyServerOptions['logger'];
  /** default time budget of a layout search, milliseconds */
  searchTimeBudgetMs?: number;
  /** runs planning tasks (a worker pool in the server; in-thread when left out) */
  planRunner?: PlanRunner;
  /** request body limit, bytes (default 1 MiB) */
  bodyLimitBytes?: number;
}

export type App = FastifyInstance & { readonly trainplan: AppState };

export interface AppState {
  catalog: Catalog;
  ready: boolean;
  searchTimeBudgetMs: number;
  planRunner: PlanRunner | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    trainplan: AppState;
  }
}

/** Builds the app without listening and without reading process.env: server.ts and the tests build the same one. */
export async function buildApp(options: AppOptions) {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimitBytes ?? 1024 * 1024,
    requestIdHeader: 'x-request-id',
    genReqId: () => crypto.randomUUID(),
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
    searchTimeBudgetMs: options.searchTimeBudgetMs ?? 2000,
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
  await app.register(swaggerPlugin);
  await app.register(healthRoutes);
  await app.register(catalogRoutes, { prefix: '/v1' });
  await app.register(planRoutes, { prefix: '/v1' });

  app.addHook('onReady', async () => {
    app.trainplan.ready = true;
  });
  app.addHook('preClose', async () => {
    app.trainplan.ready = false;
  });
  return app;
}

export type TrainPlanApp = Awaited<ReturnType<typeof buildApp>>;
