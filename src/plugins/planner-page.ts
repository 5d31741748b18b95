// The planner page at / (issue 12): static files from web/ and the two browser libraries it uses,
// served from node_modules by this service itself (no CDN, no second server). Each file is read
// once at start-up; a missing file stops start-up rather than answering 404 to a person later.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);

/** URL under /planner/ → [file, content type]. */
function plannerFiles(): Record<string, [string, string]> {
  // both packages' entry points sit in their dist/ folders (their exports hide package.json)
  const chartDist = dirname(require.resolve('chart.js'));
  const fetchDist = dirname(require.resolve('openapi-fetch'));
  return {
    'planner.js': [join(root, 'web', 'planner.js'), 'text/javascript; charset=utf-8'],
    'planner.css': [join(root, 'web', 'planner.css'), 'text/css; charset=utf-8'],
    // Chart.js 4 (MIT), the UMD build: defines the global Chart
    'vendor/chart.umd.min.js': [join(chartDist, 'chart.umd.min.js'), 'text/javascript; charset=utf-8'],
    // openapi-fetch (MIT): the typed client's runtime, an ES module without imports
    'vendor/openapi-fetch.mjs': [join(fetchDist, 'index.mjs'), 'text/javascript; charset=utf-8'],
  };
}

export const plannerPagePlugin = fp(
  async (app: FastifyInstance) => {
    const page = readFileSync(join(root, 'web', 'index.html'));
    const files = new Map(Object.entries(plannerFiles()).map(([url, [file, type]]) => [url, { body: readFileSync(file), type }]));

    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(page),
    );
    for (const [url, file] of files) {
      app.get(`/planner/${url}`, { schema: { hide: true } }, async (_request, reply) =>
        reply.type(file.type).header('cache-control', url.startsWith('vendor/') ? 'public, max-age=86400' : 'no-cache').send(file.body),
      );
    }
  },
  { name: 'planner-page' },
);
