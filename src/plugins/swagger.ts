import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export const OPENAPI_INFO = {
  title: 'TrainPlan API',
  description:
    'Plans the compute for training large language models: FLOPs, per-GPU memory term by term, GPU counts, ' +
    'the fastest parallel layout that fits, step time and MFU, days, cost, energy and CO2. ' +
    'Errors are RFC 9457 application/problem+json. Big counts accept SI suffixes ("175B", "15.6T", "16M").',
  version: '0.1.0',
};

/** OpenAPI 3.1 document from the route schemas, served at /openapi.json, and Swagger UI at /docs. */
export const swaggerPlugin = fp(
  async (app: FastifyInstance) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: OPENAPI_INFO,
        components: {
          // Only enforced when the operator sets API_KEYS (docs/OPERATIONS.md); either header works.
          securitySchemes: {
            apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
            bearer: { type: 'http', scheme: 'bearer' },
          },
        },
        // {} first: no key is needed unless the deployment turns API keys on.
        security: [{}, { apiKey: [] }, { bearer: [] }],
        tags: [
          { name: 'plan', description: 'Estimates for one workload' },
          { name: 'catalog', description: 'Accelerators and model presets from config/' },
          { name: 'ops', description: 'Health and readiness' },
        ],
      },
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  },
  { name: 'trainplan-swagger' },
);
