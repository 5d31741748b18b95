import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { OPERATION_IDS, REQUEST_EXAMPLES } from '../schemas/examples.js';

export const OPENAPI_INFO = {
  title: 'TrainPlan API',
  description:
    'Plans the compute for training large language models: FLOPs, per-GPU memory term by term, GPU counts, ' +
    'the fastest parallel layout that fits, step time and MFU, days, cost, energy and CO2. ' +
    'Errors are RFC 9457 application/problem+json. Big counts accept SI suffixes ("175B", "15.6T", "16M").',
  version: '0.1.0',
};

export interface SwaggerOptions {
  /** API keys are on (API_KEYS): the document declares the key schemes and requires one */
  apiKeys?: boolean;
}

const TAGS = [
  { name: 'plan', description: 'Estimates for one workload: memory, FLOPs, GPUs, layout, time, cost' },
  { name: 'procurement', description: 'Accelerators compared, options within a budget and a deadline, sweeps, compute-optimal scaling' },
  { name: 'catalog', description: 'Accelerators, model presets and training frameworks from config/' },
  { name: 'ops', description: 'Health and readiness' },
];

type Json = Record<string, unknown>;

/** The Problem shape, inlined or referenced (a 503 of /readyz is not one). */
function isProblemSchema(schema: Json | undefined): boolean {
  if (!schema) return false;
  if (typeof schema.$ref === 'string') return schema.$ref.endsWith('/Problem');
  const props = schema.properties as Json | undefined;
  return props !== undefined && ['type', 'title', 'status', 'detail'].every((k) => k in props);
}

/** camelCase operationId from the method and path, for a route the table does not name. */
function derivedOperationId(method: string, path: string): string {
  const words = path.split(/[/{}-]+/).filter((w) => w !== '' && w !== 'v1');
  return [method.toLowerCase(), ...words.map((w) => w[0]!.toUpperCase() + w.slice(1))].join('');
}

/**
 * Finishes the generated document: operationIds, one Problem component sent as
 * application/problem+json for every error response, a working example on every request body,
 * servers, declared tags, and security only when API keys are on.
 */
export function finishOpenApiDocument(doc: Json, options: SwaggerOptions): Json {
  doc.servers = [{ url: '/', description: 'this TrainPlan server' }];
  doc.tags = TAGS;
  const components = (doc.components ??= {}) as Json;
  if (options.apiKeys) {
    components.securitySchemes = {
      apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      bearer: { type: 'http', scheme: 'bearer' },
    };
    doc.security = [{ apiKey: [] }, { bearer: [] }];
  } else {
    // keys off: no operation needs one (an empty list says so; no lock in Swagger UI)
    delete components.securitySchemes;
    doc.security = [];
  }
  const problemRef = { $ref: '#/components/schemas/Problem' };
  for (const [path, ops] of Object.entries((doc.paths ?? {}) as Record<string, Record<string, Json>>)) {
    for (const [method, op] of Object.entries(ops)) {
      op.operationId = OPERATION_IDS[`${method.toUpperCase()} ${path}`] ?? derivedOperationId(method, path);
      // the probes stay open when keys are on (plugins/security.ts)
      if (options.apiKeys && (path === '/healthz' || path === '/readyz')) op.security = [];
      for (const [code, response] of Object.entries((op.responses ?? {}) as Record<string, Json>)) {
        const schema = (response.content as Record<string, { schema?: Json }> | undefined)?.['application/json']?.schema;
        if (Number(code) >= 400 && isProblemSchema(schema)) response.content = { 'application/problem+json': { schema: problemRef } };
      }
      const example = REQUEST_EXAMPLES[path];
      const media = ((op.requestBody as Json | undefined)?.content as Record<string, Json> | undefined)?.['application/json'];
      if (example && media) media.examples = { [OPERATION_IDS[`${method.toUpperCase()} ${path}`] ?? 'example']: example };
    }
  }
  return doc;
}

/** OpenAPI 3.1 document from the route schemas, served at /openapi.json, and Swagger UI at /docs. */
export const swaggerPlugin = fp(
  async (app: FastifyInstance, options: SwaggerOptions) => {
    await app.register(swagger, {
      openapi: { openapi: '3.1.0', info: OPENAPI_INFO },
      // shared schemas keep their $id as their component name (Problem, FieldProblem, Assumption)
      refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
      transformObject: (input) => finishOpenApiDocument(('openapiObject' in input ? input.openapiObject : input.swaggerObject) as Json, options) as never,
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  },
  { name: 'trainplan-swagger' },
);
