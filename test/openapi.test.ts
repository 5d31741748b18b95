import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import SwaggerParser from '@apidevtools/swagger-parser';
import { OPENAPI_JSON_PATH, renderOpenApi } from '../scripts/export-openapi.js';

describe('openapi/openapi.json', () => {
  it('is what the routes produce (run `npm run openapi` after changing a schema)', async () => {
    const { json } = await renderOpenApi();
    const committed = readFileSync(OPENAPI_JSON_PATH, 'utf8');
    expect(committed === json, 'openapi/openapi.json is stale: run `npm run openapi` and commit it').toBe(true);
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const doc = JSON.parse(readFileSync(OPENAPI_JSON_PATH, 'utf8'));
    expect(doc.openapi).toBe('3.1.0');
    await SwaggerParser.validate(doc);
  });
});
