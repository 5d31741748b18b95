import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import SwaggerParser from '@apidevtools/swagger-parser';
import { CLIENT_TYPES_PATH, OPENAPI_JSON_PATH, renderClientTypes, renderOpenApi } from '../scripts/export-openapi.js';

describe('openapi/openapi.json', () => {
  it('is what the routes produce (run `npm run openapi` after changing a schema)', async () => {
    const { json } = await renderOpenApi();
    const committed = readFileSync(OPENAPI_JSON_PATH, 'utf8');
    expect(committed === json, 'openapi/openapi.json is stale: run `npm run openapi` and commit it').toBe(true);
  });

  it('has a typed client whose types are what openapi-typescript makes of it (issue 12)', async () => {
    const types = await renderClientTypes(readFileSync(OPENAPI_JSON_PATH, 'utf8'));
    const committed = readFileSync(CLIENT_TYPES_PATH, 'utf8');
    expect(committed === types, 'src/client/openapi-types.ts is stale: run `npm run openapi` and commit it').toBe(true);
    // every POST operation of the document is a typed method of the client
    expect(types).toContain('"/v1/estimate": {');
    expect(types).toMatch(/estimate: \{\s+parameters/);
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const doc = JSON.parse(readFileSync(OPENAPI_JSON_PATH, 'utf8'));
    expect(doc.openapi).toBe('3.1.0');
    await SwaggerParser.validate(doc);
  });
});

describe('the OpenAPI document works for people and generators (issue 11)', () => {
  const doc = JSON.parse(readFileSync(OPENAPI_JSON_PATH, 'utf8')) as {
    paths: Record<string, Record<string, { operationId?: string; tags?: string[]; requestBody?: { content: Record<string, { examples?: Record<string, { value: unknown }> }> }; responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }> }>>;
    tags: { name: string }[];
    servers?: unknown[];
    security?: unknown[];
    components: { securitySchemes?: unknown; schemas: Record<string, unknown> };
  };
  const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })));

  it('names every operation with a unique operationId, and declares every tag it uses', () => {
    const ids = operations.map((o) => o.op.operationId);
    expect(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const declared = new Set(doc.tags.map((t) => t.name));
    for (const o of operations) for (const t of o.op.tags ?? []) expect(declared, `${o.method} ${o.path}`).toContain(t);
  });

  it('declares every error as the one Problem component, sent as application/problem+json', () => {
    expect(doc.components.schemas.Problem).toBeDefined();
    let errors = 0;
    for (const o of operations) {
      for (const [code, response] of Object.entries(o.op.responses)) {
        if (Number(code) < 400 || (o.path === '/readyz' && code === '503')) continue;
        errors++;
        expect(Object.keys(response.content ?? {}), `${o.method} ${o.path} ${code}`).toEqual(['application/problem+json']);
        expect(response.content!['application/problem+json']!.schema.$ref).toBe('#/components/schemas/Problem');
      }
    }
    expect(errors).toBeGreaterThan(50);
  });

  it('has servers, and no security while API keys are off (no lock in Swagger UI)', async () => {
    expect(doc.servers).toEqual([{ url: '/', description: 'this TrainPlan server' }]);
    expect(doc.security).toEqual([]);
    expect(doc.components.securitySchemes).toBeUndefined();
    const { buildTestApp } = await import('./helper.js');
    const keyed = await buildTestApp({ security: { apiKeys: ['k-1'] } });
    try {
      const withKeys = (await keyed.inject({ method: 'GET', url: '/openapi.json' })).json();
      expect(withKeys.security).toEqual([{ apiKey: [] }, { bearer: [] }]);
      expect(Object.keys(withKeys.components.securitySchemes)).toEqual(['apiKey', 'bearer']);
      expect(withKeys.paths['/healthz'].get.security).toEqual([]);
    } finally {
      await keyed.close();
    }
  });

  it('passes the Redocly linter (recommended rules) with no error', async () => {
    const { createConfig, lintFromString } = await import('@redocly/openapi-core');
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({ source: readFileSync(OPENAPI_JSON_PATH, 'utf8'), absoluteRef: OPENAPI_JSON_PATH, config });
    const errors = problems.filter((p) => p.severity === 'error').map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`);
    expect(errors).toEqual([]);
  });
});

describe('"Try it out": every request body has an example that answers 200 at once (issue 11)', async () => {
  const { buildTestApp } = await import('./helper.js');
  const doc = JSON.parse(readFileSync(OPENAPI_JSON_PATH, 'utf8')) as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { examples?: Record<string, { value: unknown }> }> } }>> };
  const posts = Object.entries(doc.paths).filter(([, ops]) => ops.post !== undefined);

  it('covers all ten POST operations', () => {
    expect(posts.length).toBe(10);
  });

  it.each(posts.map(([path, ops]) => [path, ops.post!] as const))('%s', async (path, op) => {
    const examples = Object.values(op.requestBody?.content['application/json']?.examples ?? {});
    expect(examples.length, `${path} has no example`).toBeGreaterThan(0);
    const app = await buildTestApp();
    try {
      const res = await app.inject({ method: 'POST', url: path, payload: examples[0]!.value as object });
      expect(res.statusCode, res.body.slice(0, 400)).toBe(200);
    } finally {
      await app.close();
    }
  });
});
