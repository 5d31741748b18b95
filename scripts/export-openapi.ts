// Writes openapi/openapi.json and openapi/openapi.yaml from the route schemas (fastify-cli generate-swagger style).
// With --check, exits 1 when the committed files differ from what the routes produce.
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { buildApp } from '../src/app.js';
import { defaultCatalogPaths, loadCatalog } from '../src/config/catalog.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const OPENAPI_JSON_PATH = join(root, 'openapi', 'openapi.json');
export const OPENAPI_YAML_PATH = join(root, 'openapi', 'openapi.yaml');

/** The OpenAPI document as the committed files hold it. */
export async function renderOpenApi(): Promise<{ json: string; yaml: string }> {
  const app = await buildApp({ catalog: await loadCatalog(defaultCatalogPaths()) });
  await app.ready();
  const document = app.swagger() as Record<string, unknown>;
  await app.close();
  return { json: `${JSON.stringify(document, null, 2)}\n`, yaml: stringify(document) };
}

async function main(): Promise<void> {
  const { json, yaml } = await renderOpenApi();
  if (process.argv.includes('--check')) {
    const current = await readFile(OPENAPI_JSON_PATH, 'utf8').catch(() => '');
    if (current !== json) {
      process.stderr.write('openapi/openapi.json is stale: run `npm run openapi` and commit the result\n');
      process.exit(1);
    }
    process.stdout.write('openapi/openapi.json is up to date\n');
    return;
  }
  await mkdir(dirname(OPENAPI_JSON_PATH), { recursive: true });
  await writeFile(OPENAPI_JSON_PATH, json);
  await writeFile(OPENAPI_YAML_PATH, yaml);
  process.stdout.write(`wrote ${OPENAPI_JSON_PATH} and ${OPENAPI_YAML_PATH}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
