// Loading the accelerator catalog and the model presets from config/*.yaml, and the service
// configuration from the environment. Everything is validated at start-up: a bad file throws a
// CatalogError naming the file, the entry and the field (JSON Pointer) of every problem.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Accelerator, TrainingFramework } from '../domain/core/index.js';
import { readConfigFromEnvWith, type AppConfig } from './env.js';
import { CatalogError, type CatalogProblem } from './errors.js';
import { FrameworkEntrySchema, frameworkEntryProblems, toTrainingFramework } from './frameworks.js';
import { HardwareEntrySchema, hardwareAcrossProblems, hardwareEntryProblems, toAccelerator, type HardwareEntry } from './hardware.js';
import { loadStepTimeFit } from './step-time-fit.js';
import type { StepTimeFit } from '../domain/performance/stack-fit.js';
import { ModelPresetEntrySchema, modelPresetProblems, toModelPreset, type ModelPreset } from './models.js';
import { parseYamlText, readYamlFile, validateCollection, type YamlSource } from './yaml-source.js';

export { CatalogError, ConfigError, formatProblem, type CatalogProblem, type EnvProblem } from './errors.js';
export { AppConfigSchema, LOG_LEVELS, type AppConfig } from './env.js';
export { HardwareEntrySchema, defaultGpuHourUsd, toAccelerator, type HardwareEntry } from './hardware.js';
export { FrameworkEntrySchema, toTrainingFramework, type FrameworkEntry } from './frameworks.js';
export { ArchitectureSchema, ModelPresetEntrySchema, toModelPreset, type ModelPreset, type ModelPresetEntry } from './models.js';

export interface HardwareCatalog {
  /** by id, SI units */
  accelerators: Map<string, Accelerator>;
  /** the validated entries as written (human units, notes, prices, sources), file order; for GET /v1/hardware */
  hardwareEntries: HardwareEntry[];
  /** alias → id (e.g. 'h100' → 'h100-sxm-80gb'); ids are not repeated here */
  aliases: Map<string, string>;
}

export interface Catalog extends HardwareCatalog {
  /** by id, file order */
  presets: Map<string, ModelPreset>;
  /** training frameworks by id, file order (config/frameworks.yaml) */
  frameworks: Map<string, TrainingFramework>;
  /** constants fitted on the measured runs (data/calibration/step-time-fit.json); absent: the hand-set generation constants */
  stepTimeFit?: StepTimeFit;
}

/** The catalog files: hardware, model presets and training frameworks. */
export interface CatalogPaths {
  hardwarePath: string;
  modelsPath: string;
  /** default: the shipped config/frameworks.yaml */
  frameworksPath?: string;
  /** default: the shipped data/calibration/step-time-fit.json (npm run calibrate -- --write) */
  stepTimeFitPath?: string;
}

function hardwareFrom(src: YamlSource): HardwareCatalog {
  const hardwareEntries = validateCollection(src, {
    key: 'accelerators',
    entrySchema: HardwareEntrySchema,
    semantic: hardwareEntryProblems,
    across: hardwareAcrossProblems,
  });
  const accelerators = new Map<string, Accelerator>();
  const aliases = new Map<string, string>();
  for (const e of hardwareEntries) {
    accelerators.set(e.id, toAccelerator(e));
    for (const alias of e.aliases ?? []) aliases.set(alias, e.id);
  }
  return { accelerators, hardwareEntries, aliases };
}

function presetsFrom(src: YamlSource): Map<string, ModelPreset> {
  const entries = validateCollection(src, { key: 'presets', entrySchema: ModelPresetEntrySchema, semantic: modelPresetProblems });
  return new Map(entries.map((e) => [e.id, toModelPreset(e)]));
}

function frameworksFrom(src: YamlSource): Map<string, TrainingFramework> {
  const entries = validateCollection(src, { key: 'frameworks', entrySchema: FrameworkEntrySchema, semantic: frameworkEntryProblems });
  return new Map(entries.map((e) => [e.id, toTrainingFramework(e)]));
}

/** Parses and validates training-framework YAML text; `file` names it in errors. */
export function parseTrainingFrameworks(text: string, file: string): Map<string, TrainingFramework> {
  return frameworksFrom(parseYamlText(text, file));
}

export function loadTrainingFrameworks(path: string): Map<string, TrainingFramework> {
  return frameworksFrom(readYamlFile(path));
}

/** Parses and validates hardware YAML text; `file` names it in errors. */
export function parseHardwareCatalog(text: string, file: string): HardwareCatalog {
  return hardwareFrom(parseYamlText(text, file));
}

/** Parses and validates model-preset YAML text; `file` names it in errors. */
export function parseModelPresets(text: string, file: string): Map<string, ModelPreset> {
  return presetsFrom(parseYamlText(text, file));
}

export function loadHardwareCatalog(path: string): HardwareCatalog {
  return hardwareFrom(readYamlFile(path));
}

export function loadModelPresets(path: string): Map<string, ModelPreset> {
  return presetsFrom(readYamlFile(path));
}

/** Loads every file; when several are bad, the CatalogError lists the problems of each. */
export function loadCatalog(paths: CatalogPaths): Catalog {
  const problems: CatalogProblem[] = [];
  const attempt = <T>(load: () => T): T | undefined => {
    try {
      return load();
    } catch (error) {
      if (error instanceof CatalogError) {
        problems.push(...error.problems);
        return undefined;
      }
      throw error;
    }
  };
  const hardware = attempt(() => loadHardwareCatalog(paths.hardwarePath));
  const presets = attempt(() => loadModelPresets(paths.modelsPath));
  const frameworks = attempt(() => loadTrainingFrameworks(paths.frameworksPath ?? defaultCatalogPaths().frameworksPath));
  const fit = attempt(() => loadStepTimeFit(paths.stepTimeFitPath ?? defaultCatalogPaths().stepTimeFitPath));
  if (!hardware || !presets || !frameworks || problems.length > 0) throw new CatalogError(problems);
  return { ...hardware, presets, frameworks, ...(fit ? { stepTimeFit: fit } : {}) };
}

/** An accelerator by id or alias, case-insensitive ('H100' → h100-sxm-80gb). */
export function findAccelerator(catalog: Pick<HardwareCatalog, 'accelerators' | 'aliases'>, name: string): Accelerator | undefined {
  const key = name.trim().toLowerCase();
  return catalog.accelerators.get(key) ?? catalog.accelerators.get(catalog.aliases.get(key) ?? '');
}

/** The package root: the nearest ancestor of this module holding package.json (works from src/ under tsx and from dist/). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** The shipped catalog files, as absolute paths (independent of the working directory). */
export function defaultCatalogPaths(): Required<CatalogPaths> {
  const root = packageRoot();
  return {
    hardwarePath: join(root, 'config', 'hardware.yaml'),
    modelsPath: join(root, 'config', 'models.yaml'),
    frameworksPath: join(root, 'config', 'frameworks.yaml'),
    stepTimeFitPath: join(root, 'data', 'calibration', 'step-time-fit.json'),
  };
}

/**
 * The service configuration from the environment: PORT (3000), HOST (0.0.0.0), LOG_LEVEL (info),
 * HARDWARE_CATALOG / MODEL_PRESETS (the shipped files), TRAINING_FRAMEWORKS (the shipped file), SEARCH_MAX_EVALUATIONS (8000000).
 * Throws a ConfigError naming every bad variable.
 */
export function readConfigFromEnv(env: NodeJS.ProcessEnv): AppConfig {
  const d = defaultCatalogPaths();
  return readConfigFromEnvWith(env, { hardwareCatalogPath: d.hardwarePath, modelPresetsPath: d.modelsPath, trainingFrameworksPath: d.frameworksPath });
}
