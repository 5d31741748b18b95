// Service configuration from environment variables, validated against a schema; every bad
// variable is named in one ConfigError (STYLE.md 6).
import { Type, type Static } from 'typebox';
import { ConfigError, type EnvProblem } from './errors.js';
import { schemaProblems } from './yaml-source.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const AppConfigSchema = Type.Object(
  {
    port: Type.Integer({ minimum: 0, maximum: 65535, description: 'PORT; 0 picks a free port' }),
    host: Type.String({ minLength: 1, description: 'HOST' }),
    logLevel: Type.Enum([...LOG_LEVELS], { description: 'LOG_LEVEL' }),
    hardwareCatalogPath: Type.String({ minLength: 1, description: 'HARDWARE_CATALOG' }),
    modelPresetsPath: Type.String({ minLength: 1, description: 'MODEL_PRESETS' }),
    searchTimeBudgetMs: Type.Integer({ minimum: 1, maximum: 600_000, description: 'SEARCH_TIME_BUDGET_MS' }),
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
  searchTimeBudgetMs: 'SEARCH_TIME_BUDGET_MS',
};

export interface EnvDefaults {
  hardwareCatalogPath: string;
  modelPresetsPath: string;
}

/**
 * Reads PORT (default 3000), HOST (0.0.0.0), LOG_LEVEL (info), HARDWARE_CATALOG and MODEL_PRESETS
 * (default: the shipped config/ files), SEARCH_TIME_BUDGET_MS (2000). An empty variable counts as
 * unset. Throws a ConfigError naming every bad variable.
 */
export function readConfigFromEnvWith(env: NodeJS.ProcessEnv, defaults: EnvDefaults): AppConfig {
  const problems: EnvProblem[] = [];
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
  const config = {
    port: integer('PORT', 3000),
    host: get('HOST') ?? '0.0.0.0',
    logLevel: (get('LOG_LEVEL') ?? 'info').toLowerCase(),
    hardwareCatalogPath: get('HARDWARE_CATALOG') ?? defaults.hardwareCatalogPath,
    modelPresetsPath: get('MODEL_PRESETS') ?? defaults.modelPresetsPath,
    searchTimeBudgetMs: integer('SEARCH_TIME_BUDGET_MS', 2000),
  };
  for (const p of schemaProblems(AppConfigSchema, config, '')) {
    const key = p.path.slice(1) as keyof AppConfig;
    const variable = VARIABLES[key] ?? key;
    problems.push({ variable, value: env[variable], message: p.message });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config as AppConfig;
}
