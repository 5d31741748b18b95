// Service configuration from environment variables, validated against a schema; every bad
// variable is named in one ConfigError (STYLE.md 6).
import { Type, type Static } from 'typebox';
import { ConfigError, type EnvProblem } from './errors.js';
import { schemaProblems } from './yaml-source.js';
import { DEFAULT_MAX_EVALUATIONS } from '../domain/search/index.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const AppConfigSchema = Type.Object(
  {
    port: Type.Integer({ minimum: 0, maximum: 65535, description: 'PORT; 0 picks a free port' }),
    host: Type.String({ minLength: 1, description: 'HOST' }),
    logLevel: Type.Enum([...LOG_LEVELS], { description: 'LOG_LEVEL' }),
    hardwareCatalogPath: Type.String({ minLength: 1, description: 'HARDWARE_CATALOG' }),
    modelPresetsPath: Type.String({ minLength: 1, description: 'MODEL_PRESETS' }),
    trainingFrameworksPath: Type.String({ minLength: 1, description: 'TRAINING_FRAMEWORKS' }),
    searchMaxEvaluations: Type.Integer({ minimum: 1000, maximum: 1_000_000_000, description: 'SEARCH_MAX_EVALUATIONS' }),
  },
  { additionalProperties: false },
);

export type AppConfig = Static<typeof AppConfigSchema>;

const VARIABLES: Record<keyof AppConfig, string> = {
  port: 'PORT',
  host: 'HOST',
  logLevel: 'LOG_LEVEL',
  hardwareCatalogPath: 'HARDWARE_CATALOG',
  modelPresetsPath: 'MODEL_PRESETS',
  trainingFrameworksPath: 'TRAINING_FRAMEWORKS',
  searchMaxEvaluations: 'SEARCH_MAX_EVALUATIONS',
};

/** Reading variables: an empty one counts as unset; a non-integer is recorded in `problems` and the fallback used. */
function envReader(env: NodeJS.ProcessEnv, problems: EnvProblem[]) {
  const get = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const integer = (name: string, fallback: number): number => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw)) {
      problems.push({ variable: name, value: env[name], message: 'must be a whole number' });
      return fallback;
    }
    return Number(raw);
  };
  return { get, integer };
}

export interface EnvDefaults {
  hardwareCatalogPath: string;
  modelPresetsPath: string;
  trainingFrameworksPath: string;
}

/**
 * Reads PORT (default 3000), HOST (0.0.0.0), LOG_LEVEL (info), HARDWARE_CATALOG and MODEL_PRESETS
 * (default: the shipped config/ files), SEARCH_MAX_EVALUATIONS (8000000). An empty variable counts as
 * unset. Throws a ConfigError naming every bad variable.
 */
export function readConfigFromEnvWith(env: NodeJS.ProcessEnv, defaults: EnvDefaults): AppConfig {
  const problems: EnvProblem[] = [];
  const { get, integer } = envReader(env, problems);
  const config = {
    port: integer('PORT', 3000),
    host: get('HOST') ?? '0.0.0.0',
    logLevel: (get('LOG_LEVEL') ?? 'info').toLowerCase(),
    hardwareCatalogPath: get('HARDWARE_CATALOG') ?? defaults.hardwareCatalogPath,
    modelPresetsPath: get('MODEL_PRESETS') ?? defaults.modelPresetsPath,
    trainingFrameworksPath: get('TRAINING_FRAMEWORKS') ?? defaults.trainingFrameworksPath,
    searchMaxEvaluations: integer('SEARCH_MAX_EVALUATIONS', DEFAULT_MAX_EVALUATIONS),
  };
  for (const p of schemaProblems(AppConfigSchema, config, '')) {
    const key = p.path.slice(1) as keyof AppConfig;
    const variable = VARIABLES[key] ?? key;
    problems.push({ variable, value: env[variable], message: p.message });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config as AppConfig;
}

// --- operations: security, timeouts, overload, workers, shutdown ------------------------------------
// Read separately from AppConfig so the original variables keep their exact shape.

export const OpsConfigSchema = Type.Object(
  {
    apiKeys: Type.Array(Type.String({ minLength: 16, maxLength: 256, pattern: '^[\\x21-\\x7e]+$' }), {
      maxItems: 100,
      description: 'API_KEYS: comma-separated; empty = authentication off',
    }),
    corsOrigins: Type.Array(Type.String({ pattern: '^(\\*|https?://[^/\\s,]+)$' }), {
      maxItems: 100,
      description: 'CORS_ORIGINS: comma-separated origins (scheme://host[:port]) or *; empty = CORS off',
    }),
    requestTimeoutMs: Type.Integer({ minimum: 1000, maximum: 600_000, description: 'REQUEST_TIMEOUT_MS' }),
    headersTimeoutMs: Type.Integer({ minimum: 500, maximum: 600_000, description: 'HEADERS_TIMEOUT_MS' }),
    keepAliveTimeoutMs: Type.Integer({ minimum: 1000, maximum: 600_000, description: 'KEEP_ALIVE_TIMEOUT_MS' }),
    connectionTimeoutMs: Type.Integer({ minimum: 0, maximum: 3_600_000, description: 'CONNECTION_TIMEOUT_MS' }),
    maxEventLoopDelayMs: Type.Integer({ minimum: 0, maximum: 60_000, description: 'MAX_EVENT_LOOP_DELAY_MS' }),
    workerThreads: Type.Integer({ minimum: 1, maximum: 256, description: 'WORKER_THREADS' }),
    workerQueue: Type.Integer({ minimum: 0, maximum: 100_000, description: 'WORKER_QUEUE' }),
    workerMaxWaitMs: Type.Integer({ minimum: 1, maximum: 600_000, description: 'WORKER_MAX_WAIT_MS' }),
    planTaskTimeoutMs: Type.Integer({ minimum: 1000, maximum: 3_600_000, description: 'PLAN_TASK_TIMEOUT_MS' }),
    shutdownDelayMs: Type.Integer({ minimum: 0, maximum: 300_000, description: 'SHUTDOWN_DELAY_MS' }),
    shutdownTimeoutMs: Type.Integer({ minimum: 1000, maximum: 3_600_000, description: 'SHUTDOWN_TIMEOUT_MS' }),
  },
  { additionalProperties: false },
);

export type OpsConfig = Static<typeof OpsConfigSchema>;

const OPS_VARIABLES: Record<keyof OpsConfig, string> = {
  apiKeys: 'API_KEYS',
  corsOrigins: 'CORS_ORIGINS',
  requestTimeoutMs: 'REQUEST_TIMEOUT_MS',
  headersTimeoutMs: 'HEADERS_TIMEOUT_MS',
  keepAliveTimeoutMs: 'KEEP_ALIVE_TIMEOUT_MS',
  connectionTimeoutMs: 'CONNECTION_TIMEOUT_MS',
  maxEventLoopDelayMs: 'MAX_EVENT_LOOP_DELAY_MS',
  workerThreads: 'WORKER_THREADS',
  workerQueue: 'WORKER_QUEUE',
  workerMaxWaitMs: 'WORKER_MAX_WAIT_MS',
  planTaskTimeoutMs: 'PLAN_TASK_TIMEOUT_MS',
  shutdownDelayMs: 'SHUTDOWN_DELAY_MS',
  shutdownTimeoutMs: 'SHUTDOWN_TIMEOUT_MS',
};

/** Variables whose values are secrets: never echoed in an error message. */
const SECRET_VARIABLES = new Set(['API_KEYS']);

/** The defaults, documented in docs/OPERATIONS.md. `cpus` is os.availableParallelism(). */
export function defaultOpsConfig(cpus: number): OpsConfig {
  return {
    apiKeys: [],
    corsOrigins: [],
    // Whole request (headers + body) must arrive within 30 s; headers within 10 s (slowloris).
    requestTimeoutMs: 30_000,
    headersTimeoutMs: 10_000,
    // Above the 60 s idle timeout of common load balancers, so the balancer closes first.
    keepAliveTimeoutMs: 72_000,
    // A socket silent for 2 minutes is closed; above the longest search (60 s budget) plus queueing.
    connectionTimeoutMs: 120_000,
    maxEventLoopDelayMs: 1000,
    // CPU-bound work: one thread per core, leaving one core to the event loop.
    workerThreads: Math.max(1, cpus - 1),
    // hard cap on waiting tasks; 0 = 256 × WORKER_THREADS (admission is by predicted wait first)
    workerQueue: 0,
    // a planning task is refused (503 + Retry-After) when it would wait longer than this for a thread
    workerMaxWaitMs: 2000,
    // Above the schema's largest search budget (60 s): a planning task past it is stopped.
    planTaskTimeoutMs: 90_000,
    shutdownDelayMs: 0,
    shutdownTimeoutMs: 10_000,
  };
}

/**
 * Reads the operations variables (API_KEYS, CORS_ORIGINS, *_TIMEOUT_MS, MAX_EVENT_LOOP_DELAY_MS,
 * WORKER_THREADS, WORKER_QUEUE, PLAN_TASK_TIMEOUT_MS, SHUTDOWN_DELAY_MS); an empty variable counts as
 * unset. Throws a ConfigError naming every bad variable (API key values are never echoed).
 */
export function readOpsConfigFromEnv(env: NodeJS.ProcessEnv, cpus: number): OpsConfig {
  const defaults = defaultOpsConfig(cpus);
  const problems: EnvProblem[] = [];
  const { get, integer } = envReader(env, problems);
  const shown = (name: string): string | undefined => (SECRET_VARIABLES.has(name) ? '(hidden)' : env[name]);
  const list = (name: string): string[] => (get(name) ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const config: OpsConfig = {
    apiKeys: [...new Set(list('API_KEYS'))],
    corsOrigins: [...new Set(list('CORS_ORIGINS'))],
    requestTimeoutMs: integer('REQUEST_TIMEOUT_MS', defaults.requestTimeoutMs),
    headersTimeoutMs: integer('HEADERS_TIMEOUT_MS', defaults.headersTimeoutMs),
    keepAliveTimeoutMs: integer('KEEP_ALIVE_TIMEOUT_MS', defaults.keepAliveTimeoutMs),
    connectionTimeoutMs: integer('CONNECTION_TIMEOUT_MS', defaults.connectionTimeoutMs),
    maxEventLoopDelayMs: integer('MAX_EVENT_LOOP_DELAY_MS', defaults.maxEventLoopDelayMs),
    workerThreads: integer('WORKER_THREADS', defaults.workerThreads),
    workerQueue: integer('WORKER_QUEUE', defaults.workerQueue),
    workerMaxWaitMs: integer('WORKER_MAX_WAIT_MS', defaults.workerMaxWaitMs),
    planTaskTimeoutMs: integer('PLAN_TASK_TIMEOUT_MS', defaults.planTaskTimeoutMs),
    shutdownDelayMs: integer('SHUTDOWN_DELAY_MS', defaults.shutdownDelayMs),
    shutdownTimeoutMs: integer('SHUTDOWN_TIMEOUT_MS', defaults.shutdownTimeoutMs),
  };
  for (const p of schemaProblems(OpsConfigSchema, config, '')) {
    const key = p.path.split('/')[1] as keyof OpsConfig;
    const variable = OPS_VARIABLES[key] ?? key;
    const item = p.path.split('/')[2];
    const message = SECRET_VARIABLES.has(variable)
      ? `entry ${item ?? ''} must be 16 to 256 printable characters without spaces or commas`.replace('  ', ' ')
      : `${item !== undefined ? `entry ${item} ` : ''}${p.message}`;
    problems.push({ variable, value: shown(variable), message });
  }
  if (config.headersTimeoutMs > config.requestTimeoutMs) {
    problems.push({ variable: 'HEADERS_TIMEOUT_MS', value: env.HEADERS_TIMEOUT_MS, message: `must not exceed REQUEST_TIMEOUT_MS (${config.requestTimeoutMs})` });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
