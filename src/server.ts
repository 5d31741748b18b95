// Entry point: read env, load and validate the catalog, build the app, listen, shut down gracefully.
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { CatalogError, defaultCatalogPaths, loadCatalog, readConfigFromEnv } from './config/catalog.js';
import { createPlanPool } from './workers/plan-pool.js';

async function main(): Promise<void> {
  let config: ReturnType<typeof readConfigFromEnv>;
  let catalog: Awaited<ReturnType<typeof loadCatalog>>;
  try {
    config = readConfigFromEnv(process.env);
    const defaults = defaultCatalogPaths();
    catalog = await loadCatalog({
      hardwarePath: config.hardwareCatalogPath ?? defaults.hardwarePath,
      modelsPath: config.modelPresetsPath ?? defaults.modelsPath,
    });
  } catch (error) {
    // A bad environment or catalog stops start-up with a message naming the file, entry and field.
    const message = error instanceof CatalogError || error instanceof Error ? error.message : String(error);
    process.stderr.write(`trainplan: cannot start: ${message}\n`);
    process.exit(1);
  }

  const planPool = createPlanPool({});
  const app = await buildApp({
    catalog,
    logger: {
      level: config.logLevel,
      // Pretty logs for a person at a terminal, JSON lines for everything else (STYLE.md 6).
      ...(process.stdout.isTTY ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:standard' } } } : {}),
    },
    searchTimeBudgetMs: config.searchTimeBudgetMs,
    planRunner: (task) => planPool.run(task),
  });

  closeWithGrace({ delay: 10_000, logger: { error: (m: string) => app.log.error(m) } }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'closing after an error');
    else app.log.info({ signal }, 'shutting down: draining in-flight requests');
    await app.close();
    await planPool.close();
  });

  await app.listen({ port: config.port, host: config.host });
}

await main();
