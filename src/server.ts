// Entry point: read env, load and validate the catalog, build the app, listen, reload the catalog on
// SIGHUP, shut down gracefully on SIGTERM/SIGINT (not ready → optional delay → drain → exit 0).
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { CatalogError, ConfigError, defaultCatalogPaths, loadCatalog, readConfigFromEnv, type AppConfig, type CatalogPaths, type EnvProblem } from './config/catalog.js';
import { readOpsConfigFromEnv, type OpsConfig } from './config/env.js';
import { createPlanPool } from './workers/plan-pool.js';

/** Both groups of variables, every bad one named in one ConfigError. */
function readEnvironment(env: NodeJS.ProcessEnv): { config: AppConfig; ops: OpsConfig } {
  const problems: EnvProblem[] = [];
  const attempt = <T>(read: () => T): T | undefined => {
    try {
      return read();
    } catch (error) {
      if (error instanceof ConfigError) {
        problems.push(...error.problems);
        return undefined;
      }
      throw error;
    }
  };
  const config = attempt(() => readConfigFromEnv(env));
  const ops = attempt(() => readOpsConfigFromEnv(env, availableParallelism()));
  if (!config || !ops) throw new ConfigError(problems);
  return { config, ops };
}

async function main(): Promise<void> {
  let config: AppConfig;
  let ops: OpsConfig;
  let catalog: ReturnType<typeof loadCatalog>;
  let catalogPaths: CatalogPaths;
  try {
    ({ config, ops } = readEnvironment(process.env));
    const defaults = defaultCatalogPaths();
    catalogPaths = {
      hardwarePath: config.hardwareCatalogPath ?? defaults.hardwarePath,
      modelsPath: config.modelPresetsPath ?? defaults.modelsPath,
      frameworksPath: config.trainingFrameworksPath ?? defaults.frameworksPath,
    };
    catalog = loadCatalog(catalogPaths);
  } catch (error) {
    // A bad environment or catalog stops start-up with a message naming the file, entry and field.
    const message = error instanceof CatalogError || error instanceof Error ? error.message : String(error);
    process.stderr.write(`trainplan: cannot start: ${message}\n`);
    process.exit(1);
  }

  const planPool = createPlanPool({
    maxThreads: ops.workerThreads,
    maxQueue: ops.workerQueue > 0 ? ops.workerQueue : 256 * ops.workerThreads,
    maxWaitMs: ops.workerMaxWaitMs,
    taskTimeoutMs: ops.planTaskTimeoutMs,
  });
  const app = await buildApp({
    catalog,
    logger: {
      level: config.logLevel,
      // Pretty logs for a person at a terminal, JSON lines for everything else (STYLE.md 6).
      // Requests are logged with their id, method, URL and status, never their body.
      ...(process.stdout.isTTY ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:standard' } } } : {}),
    },
    searchMaxEvaluations: config.searchMaxEvaluations,
    planRunner: (task) => planPool.run(task),
    poolStats: () => planPool.stats(),
    security: { apiKeys: ops.apiKeys, corsOrigins: ops.corsOrigins },
    maxEventLoopDelayMs: ops.maxEventLoopDelayMs,
    timeouts: {
      requestTimeoutMs: ops.requestTimeoutMs,
      headersTimeoutMs: ops.headersTimeoutMs,
      keepAliveTimeoutMs: ops.keepAliveTimeoutMs,
      connectionTimeoutMs: ops.connectionTimeoutMs,
    },
  });

  // SIGHUP: reload both catalog files; the new catalog replaces the old in one assignment (requests
  // in flight keep the one they resolved against). A bad file is logged and the old one keeps serving.
  let reloading = false;
  const reload = (): void => {
    if (reloading) return;
    reloading = true;
    try {
      const next = loadCatalog(catalogPaths);
      app.trainplan.catalog = next;
      app.metrics.catalogReloads.inc({ result: 'ok' });
      app.log.info({ event: 'catalog-reload', result: 'ok', accelerators: next.accelerators.size, presets: next.presets.size, ...catalogPaths }, 'catalog reloaded');
    } catch (error) {
      app.metrics.catalogReloads.inc({ result: 'rejected' });
      const detail = error instanceof Error ? error.message : String(error);
      app.log.error({ event: 'catalog-reload', result: 'rejected', detail, ...catalogPaths }, 'catalog reload rejected: the previous catalog keeps serving');
    } finally {
      reloading = false;
    }
  };
  process.on('SIGHUP', reload);

  closeWithGrace(
    {
      // the whole shutdown (delay + drain) must end by then, else exit 1
      delay: ops.shutdownDelayMs + ops.shutdownTimeoutMs,
      skip: ['SIGHUP'],
      logger: { error: (m: string) => app.log.error(m) },
    },
    async ({ signal, err }) => {
      app.trainplan.ready = false;
      if (err) app.log.error({ err }, 'closing after an error');
      else app.log.info({ signal, shutdownDelayMs: ops.shutdownDelayMs }, 'shutting down: not ready; draining in-flight requests');
      // Let load balancers see /readyz fail before the listener closes.
      if (!err && ops.shutdownDelayMs > 0) await sleep(ops.shutdownDelayMs);
      await app.close();
      await planPool.close();
      app.log.info('shut down');
    },
  );

  await app.listen({ port: config.port, host: config.host });
}

await main();
