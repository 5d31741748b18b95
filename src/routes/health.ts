import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';

const HealthSchema = Type.Object({ status: Type.String() });
const ReadySchema = Type.Object({
  status: Type.String(),
  accelerators: Type.Integer({ description: 'accelerators in the loaded catalog' }),
  presets: Type.Integer({ description: 'model presets loaded' }),
});

/** Liveness answers while the process runs; readiness only once the catalog is loaded and not while shutting down. */
export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/healthz', { schema: { tags: ['ops'], summary: 'Liveness', response: { 200: HealthSchema } } }, async () => ({ status: 'ok' }));

  app.get(
    '/readyz',
    { schema: { tags: ['ops'], summary: 'Readiness: catalog loaded and not shutting down', response: { 200: ReadySchema, 503: ReadySchema } } },
    async (_request, reply) => {
      const { catalog, ready } = app.trainplan;
      const body = { status: ready ? 'ready' : 'not ready', accelerators: catalog.accelerators.size, presets: catalog.presets.size };
      return reply.code(ready ? 200 : 503).send(body);
    },
  );
};
