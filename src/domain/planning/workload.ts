// Resolve a request's workload into domain values: preset or inferred shape, counts parsed from
// SI strings, defaults filled in and listed as assumptions. Every problem is named by its JSON Pointer.
import { type FieldProblem, LIMITS, type Accelerator, type Assumption, type ModelShape, type OptimizerKind, type ParallelLayout, type ParameterCounts, type Precision, type TrainingFramework, type TrainingSetup, parseCount } from '../core/index.js';
import { frameworkLayoutProblems } from '../layouts/index.js';
import type { MemoryOptions } from '../memory/index.js';
import type { WorkloadInput } from './workload-input.js';
import { costInputProblems, type CostOverrides, type PriceOptions, type InfrastructureOptions, type ReliabilityOptions } from '../economics/index.js';
import { countParameters, inferShapeFromParameters, MIN_INFERABLE_PARAMETERS, shapeProblems } from '../model/index.js';
import type { ModelOptions } from '../search/index.js';
import { stackCalibrationFor, supportsPrecision, type PerformanceOptions, type StepTimeFit } from '../performance/index.js';

export interface PresetLike {
  id: string;
  architecture: ModelShape;
  sequenceLength: number;
  notes?: string;
}

/** The catalog's rental prices of one entry (config/hardware.yaml prices), as much as resolveWorkload reads. */
export interface CatalogPriceEntry {
  id: string;
  prices: {
    cloudOnDemandGpuHourUsd?: { value: number };
    reservedGpuHourUsd?: { value: number };
    spotGpuHourUsd?: { value: number };
  };
}

export interface CatalogView {
  /** entries with on-demand / reserved / spot prices (the loaded Catalog has them); optional */
  hardwareEntries?: readonly CatalogPriceEntry[];
  accelerators: ReadonlyMap<string, Accelerator>;
  /** alias → id, e.g. 'h100' → 'h100-sxm-80gb' */
  aliases?: ReadonlyMap<string, string>;
  presets: ReadonlyMap<string, PresetLike>;
  /** training frameworks by id (config/frameworks.yaml); optional for catalogs built by hand */
  frameworks?: ReadonlyMap<string, TrainingFramework>;
  /** constants fitted on the measured runs (data/calibration/step-time-fit.json); optional */
  stepTimeFit?: StepTimeFit;
}

/** An accelerator by id or alias, case-insensitive. */
export function lookupAccelerator(catalog: CatalogView, name: string): Accelerator | undefined {
  const key = name.trim().toLowerCase();
  return catalog.accelerators.get(key) ?? catalog.accelerators.get(catalog.aliases?.get(key) ?? '');
}

/** The problem for an accelerator name the catalog does not know, listing the ids it does. */
export function unknownAcceleratorProblem(catalog: CatalogView, name: string, path: string): FieldProblem {
  return { path, message: `unknown accelerator "${name}"; known ids: ${knownIds(catalog.accelerators.keys())}` };
}

/** cost.* inputs that cannot give a meaningful estimate, at their request pointers (/cost/pue). */
export function costFieldProblems(cost: CostOverrides): FieldProblem[] {
  return costInputProblems(cost).map((p) => ({ ...p, path: toPointer(p.path.startsWith('/cost') || p.path.startsWith('cost') ? p.path : `/cost/${p.path.replace(/^\//, '')}`) }));
}

export interface ResolvedCostInputs {
  gpuHourUsd?: number;
  purchaseUsdPerGpu?: number;
  electricityUsdPerKwh?: number;
  pue?: number;
  depreciationYears?: number;
  utilization?: number;
  carbonKgPerKwh?: number;
}

export interface ResolvedSearchOptions {
  objective: 'time' | 'cost';
  topK: number;
  /** work budget of each layout search (memory- and time-model calls): deterministic */
  maxEvaluations: number;
  /** optional wall-clock cut on top of it (the request's search.timeBudgetMs) */
  timeBudgetMs?: number;
  allowTensorBeyondScaleUp: boolean;
}

export interface ResolvedWorkload {
  model: {
    source: 'preset' | 'parameters' | 'architecture';
    presetId?: string;
    shape: ModelShape;
    counts: ParameterCounts;
  };
  training: TrainingSetup;
  accelerator: Accelerator;
  /** GPUs given by the request (hardware.count, or the product of a fully given layout); undefined → sized */
  gpus?: number;
  fixedLayout: Partial<ParallelLayout>;
  /** the request field that set the global batch, for problems about it */
  globalBatchPath: string;
  mfuOverride?: number;
  /** training-stack options for the memory and time models (the request's, else the framework's defaults) */
  modelOptions: ModelOptions;
  /** training.framework (default megatron-core); absent only when the catalog lists no frameworks */
  framework?: TrainingFramework;
  /** the fitted step-time constants and bands (catalog.stepTimeFit); absent: hand-set constants, no band */
  stepTimeFit?: StepTimeFit;
  cost: ResolvedCostInputs;
  constraints: { deadlineDays?: number; budgetUsd?: number };
  search: ResolvedSearchOptions;
  /** issue 4: infrastructure and reliability options of the request, as given (defaults applied where used) */
  infrastructure?: InfrastructureOptions;
  reliability?: ReliabilityOptions;
  /** issue 4: the accelerator's rental prices from the catalog (on-demand / reserved / spot) */
  priceOptions?: PriceOptions;
  assumptions: Assumption[];
  warnings: string[];
}

export interface ResolveOptions {
  /** search.maxEvaluations when the request leaves it out (SEARCH_MAX_EVALUATIONS) */
  defaultSearchMaxEvaluations: number;
}

const DEFAULT_SEQUENCE_LENGTH = 4096;
/** constraints.deadlineDays when the request gives neither it nor hardware.count: a quarter */
export const DEFAULT_DEADLINE_DAYS = 90;
/** training.framework when the request names none (issue 9: a 2024 Megatron-Core stack) */
export const DEFAULT_FRAMEWORK = 'megatron-core';
/** Llama 2/3 trained with 4M-token batches (Touvron et al. 2023 Table 1); a common default for planning. */
const DEFAULT_GLOBAL_BATCH_TOKENS = 4_194_304;
/** Hoffmann et al. 2022 (Chinchilla): compute-optimal D ≈ 20·N. */
const CHINCHILLA_TOKENS_PER_PARAMETER = 20;

function parseCountField(
  value: number | string | undefined,
  path: string,
  maximum: number,
  problems: FieldProblem[],
): number | undefined {
  if (value === undefined) return undefined;
  const parsed = parseCount(value);
  if (parsed === undefined || !Number.isFinite(parsed)) {
    problems.push({ path, message: `"${String(value)}" is not a count (use a number or e.g. "175B", "2T", "16M")` });
    return undefined;
  }
  if (parsed <= 0) {
    problems.push({ path, message: 'must be greater than 0' });
    return undefined;
  }
  if (parsed > maximum) {
    problems.push({ path, message: `must be at most ${maximum.toExponential(0)} (got ${parsed.toExponential(3)})` });
    return undefined;
  }
  return parsed;
}

function knownIds(ids: Iterable<string>): string {
  return [...ids].sort().join(', ');
}

/** 'model.architecture.hiddenSize' → '/model/architecture/hiddenSize' (assumptions name request fields by JSON Pointer). */
export function toPointer(field: string): string {
  return field.startsWith('/') ? field : `/${field.split('.').join('/')}`;
}

function resolveModel(
  input: WorkloadInput['model'],
  catalog: CatalogView,
  problems: FieldProblem[],
  assumptions: Assumption[],
): { source: ResolvedWorkload['model']['source']; presetId?: string; shape: ModelShape; sequenceLength?: number } | undefined {
  const given = (['preset', 'parameters', 'architecture'] as const).filter((k) => input[k] !== undefined);
  if (given.length !== 1) {
    problems.push({
      path: '/model',
      message:
        given.length === 0
          ? 'give exactly one of preset, parameters or architecture'
          : `give exactly one of preset, parameters or architecture (got ${given.join(' and ')})`,
    });
    return undefined;
  }
  if (input.preset !== undefined) {
    const preset = catalog.presets.get(input.preset);
    if (!preset) {
      problems.push({ path: '/model/preset', message: `unknown preset "${input.preset}"; known presets: ${knownIds(catalog.presets.keys())}` });
      return undefined;
    }
    return { source: 'preset', presetId: preset.id, shape: preset.architecture, sequenceLength: preset.sequenceLength };
  }
  if (input.parameters !== undefined) {
    const n = parseCountField(input.parameters, '/model/parameters', LIMITS.parameters, problems);
    if (n === undefined) return undefined;
    if (n < MIN_INFERABLE_PARAMETERS) {
      problems.push({ path: '/model/parameters', message: `must be at least ${MIN_INFERABLE_PARAMETERS.toExponential(0)} parameters to infer a transformer shape` });
      return undefined;
    }
    const inferred = inferShapeFromParameters(n);
    for (const a of inferred.assumptions) assumptions.push({ ...a, field: toPointer(a.field) });
    return { source: 'parameters', shape: inferred.shape };
  }
  const arch = input.architecture!;
  const gatedMlp = arch.gatedMlp ?? true;
  const shape: ModelShape = {
    layers: arch.layers,
    hiddenSize: arch.hiddenSize,
    attentionHeads: arch.attentionHeads,
    kvHeads: arch.kvHeads ?? arch.attentionHeads,
    headDim: arch.headDim ?? Math.max(1, Math.floor(arch.hiddenSize / arch.attentionHeads)),
    // LLaMA: f = 8h/3 rounded up to a multiple of 256 (Touvron et al. 2023 Sec. 2.2); GPT: f = 4h (Brown et al. 2020 Sec. 2.1).
    ffnHiddenSize: arch.ffnHiddenSize ?? (gatedMlp ? Math.ceil((8 * arch.hiddenSize) / 3 / 256) * 256 : 4 * arch.hiddenSize),
    vocabSize: arch.vocabSize ?? 128_256,
    gatedMlp,
    tiedEmbeddings: arch.tiedEmbeddings ?? false,
    ...(arch.moe
      ? {
          moe: {
            experts: arch.moe.experts,
            activeExperts: arch.moe.activeExperts,
            expertFfnHiddenSize: arch.moe.expertFfnHiddenSize,
            sharedExperts: arch.moe.sharedExperts ?? 0,
            denseLayers: arch.moe.denseLayers ?? 0,
          },
        }
      : {}),
    ...(arch.mla ? { mla: { ...arch.mla, qLoraRank: arch.mla.qLoraRank ?? 0 } } : {}),
  };
  const defaulted: [keyof typeof arch, string | number | boolean, string][] = [
    ['kvHeads', shape.kvHeads, 'multi-head attention (kvHeads = attentionHeads) when not given'],
    ['headDim', shape.headDim, 'hiddenSize / attentionHeads when not given'],
    ['ffnHiddenSize', shape.ffnHiddenSize, gatedMlp ? 'gated MLP: 8h/3 rounded up to a multiple of 256 (LLaMA)' : 'plain MLP: 4h (GPT-3)'],
    ['vocabSize', shape.vocabSize, 'Llama 3 tokenizer size when not given'],
    ['gatedMlp', shape.gatedMlp, 'SwiGLU MLP, as in most 2023+ models'],
    ['tiedEmbeddings', shape.tiedEmbeddings, 'untied input embedding and LM head'],
  ];
  for (const [field, value, reason] of defaulted) {
    if (arch[field] === undefined) assumptions.push({ field: `/model/architecture/${String(field)}`, value, reason });
  }
  for (const p of shapeProblems(shape)) problems.push({ path: `/model/architecture${p.path}`, message: p.message });
  return { source: 'architecture', shape };
}

/** A batch given in tokens within this fraction of a power-of-two number of sequences is read as that power of two. */
const POWER_OF_TWO_BATCH_SNAP = 0.05;

/**
 * Global batch in sequences for a batch given in tokens. Batch sizes in practice are powers of two
 * ("16M tokens" at s=8192 is Llama 3's 2048 sequences = 2^24 tokens, Dubey et al. 2024 Sec. 3.4),
 * while SI suffixes are decimal (16M = 16e6 = 1953.1 sequences, which no power-of-two data-parallel
 * degree divides). So a request within 5% of a power-of-two sequence count is read as it, and said;
 * anything else is rounded to whole sequences.
 */
export function sequencesForBatchTokens(tokens: number, sequenceLength: number): { sequences: number; reason?: string } {
  const exact = tokens / sequenceLength;
  const pow2 = 2 ** Math.round(Math.log2(Math.max(1, exact)));
  if (Math.abs(pow2 - exact) / exact <= POWER_OF_TWO_BATCH_SNAP && pow2 !== exact) {
    return {
      sequences: pow2,
      reason: `globalBatchTokens ${tokens} is ${exact.toFixed(1)} sequences of ${sequenceLength}: read as ${pow2} sequences (${pow2 * sequenceLength} tokens), the power of two within 5% — batch sizes are powers of two in practice; give globalBatchSize for an exact count`,
    };
  }
  const sequences = Math.max(1, Math.round(exact));
  return sequences === exact ? { sequences } : { sequences, reason: `globalBatchTokens ${tokens} rounded to ${sequences} whole sequences of ${sequenceLength} tokens` };
}

/** The framework the request names (training.framework), else megatron-core; undefined when the catalog has none. */
function resolveFramework(
  input: WorkloadInput,
  catalog: CatalogView,
  problems: FieldProblem[],
  assumptions: Assumption[],
): TrainingFramework | undefined {
  const frameworks = catalog.frameworks;
  const asked = input.training?.framework;
  if (!frameworks || frameworks.size === 0) {
    if (asked !== undefined) problems.push({ path: '/training/framework', message: `unknown framework "${asked}": this catalog lists none` });
    return undefined;
  }
  const id = (asked ?? DEFAULT_FRAMEWORK).trim().toLowerCase();
  const framework = frameworks.get(id);
  if (!framework) {
    problems.push({ path: '/training/framework', message: `unknown framework "${asked}"; known frameworks: ${knownIds(frameworks.keys())}` });
    return undefined;
  }
  if (asked === undefined) assumptions.push({ field: '/training/framework', value: id, reason: `not given: ${framework.name}, the default training stack` });
  return framework;
}

/**
 * The options of the memory and time models: what the request gives (training.dropout,
 * training.fp32Gradients, efficiency.*), else the framework's default, each default listed as an
 * assumption with the framework it came from. Without a framework, only what the request gives.
 */
function modelOptionsOf(input: WorkloadInput, framework: TrainingFramework | undefined, assumptions: Assumption[]): ModelOptions {
  const e = input.efficiency ?? {};
  const t = input.training ?? {};
  const performance: PerformanceOptions = {};
  for (const key of ['tensorCommOverlap', 'dataCommOverlap', 'pipelineCommOverlap', 'contextCommOverlap', 'expertCommOverlap'] as const) {
    if (e[key] !== undefined) performance[key] = e[key];
  }
  const memory: MemoryOptions = {};
  const fromFramework = <T extends string | number | boolean>(field: string, given: T | undefined, pick: (f: TrainingFramework) => T): T | undefined => {
    if (given !== undefined || !framework) return given;
    const value = pick(framework);
    assumptions.push({ field, value, reason: `the default of training.framework ${framework.id}` });
    return value;
  };
  const flash = fromFramework('/efficiency/flashAttention', e.flashAttention, (f) => f.defaults.flashAttention);
  const fused = fromFramework('/efficiency/fusedKernels', e.fusedKernels, (f) => f.defaults.fusedKernels);
  const dropout = fromFramework('/training/dropout', t.dropout, (f) => f.defaults.dropout);
  const fp32Gradients = fromFramework('/training/fp32Gradients', t.fp32Gradients, (f) => f.defaults.fp32Gradients);
  const selective = fromFramework('/efficiency/selectiveRecompute', e.selectiveRecompute, (f) => f.defaults.selectiveRecompute);
  const crossEntropy = fromFramework('/efficiency/crossEntropy', e.crossEntropy, (f) => f.defaults.crossEntropy);
  const stageSplit = fromFramework('/parallelism/stageSplit', input.parallelism?.stageSplit, (f) => f.defaults.stageSplit);
  if (flash !== undefined) {
    performance.flashAttention = flash;
    memory.flashAttention = flash;
  }
  if (fused !== undefined) {
    performance.fusedKernels = fused;
    memory.fusedKernels = fused;
  }
  if (dropout !== undefined) memory.dropout = dropout > 0;
  if (fp32Gradients !== undefined) memory.fp32Gradients = fp32Gradients;
  if (selective !== undefined) {
    memory.selectivePolicy = selective;
    performance.selectiveRecompute = selective;
  }
  if (crossEntropy !== undefined) memory.crossEntropy = crossEntropy;
  if (stageSplit !== undefined) {
    memory.stageSplit = stageSplit;
    performance.stageSplit = stageSplit;
  }
  return {
    ...(Object.keys(performance).length > 0 ? { performance } : {}),
    ...(Object.keys(memory).length > 0 ? { memory } : {}),
  };
}

/** The model options with the training stack's fitted constants (npm run calibrate) for this generation and framework. */
function withFittedStack(options: ModelOptions, fit: StepTimeFit | undefined, generation: string, framework: string | undefined): ModelOptions {
  const lookup = stackCalibrationFor(fit, generation, framework, Number.NaN);
  if (!lookup) return options;
  return { ...options, performance: { ...(options.performance ?? {}), stack: lookup.stack } };
}

/** The precision a run trains in when the request names none: bf16 where the accelerator has a bf16 peak; fp16 on those without (Volta: V100's tensor cores have no bf16). */
export function defaultPrecisionFor(accelerator: Accelerator | undefined): Precision {
  return accelerator && !supportsPrecision(accelerator, 'bf16') && supportsPrecision(accelerator, 'fp16') ? 'fp16' : 'bf16';
}

/** The training setup: precision (per accelerator when not given), optimizer, sequence, batch, tokens. */
function resolveTraining(
  t: NonNullable<WorkloadInput['training']>,
  model: { shape: ModelShape; sequenceLength?: number } | undefined,
  accelerator: Accelerator | undefined,
  problems: FieldProblem[],
  assumptions: Assumption[],
): { precision: Precision; optimizer: OptimizerKind; sequenceLength: number; globalBatchSequences: number; counts: ParameterCounts | undefined; tokens: number | undefined } {
  const precision: Precision = t.precision ?? defaultPrecisionFor(accelerator);
  if (t.precision === undefined) {
    assumptions.push({
      field: '/training/precision',
      value: precision,
      reason: precision === 'fp16' ? `${accelerator?.name ?? 'this accelerator'} has no bf16 tensor cores: fp16 mixed precision with loss scaling` : 'bf16 mixed precision is the default for LLM training',
    });
  }
  if (accelerator && !supportsPrecision(accelerator, precision)) {
    const supported = Object.keys(accelerator.peakFlopsPerSecond).filter((k) => k !== 'tf32');
    problems.push({ path: '/training/precision', message: `${accelerator.id} has no ${precision} tensor-core peak; supported: ${supported.join(', ')}` });
  }
  const optimizer: OptimizerKind = t.optimizer ?? 'adamw';
  if (t.optimizer === undefined) assumptions.push({ field: '/training/optimizer', value: optimizer, reason: 'AdamW with fp32 master weights and moments' });

  let sequenceLength = t.sequenceLength ?? model?.sequenceLength;
  if (sequenceLength === undefined) {
    sequenceLength = DEFAULT_SEQUENCE_LENGTH;
    assumptions.push({ field: '/training/sequenceLength', value: sequenceLength, reason: 'default sequence length when neither the request nor a preset gives one' });
  } else if (t.sequenceLength === undefined) {
    assumptions.push({ field: '/training/sequenceLength', value: sequenceLength, reason: "the preset's training sequence length" });
  }

  if (t.globalBatchTokens !== undefined && t.globalBatchSize !== undefined) {
    problems.push({ path: '/training/globalBatchSize', message: 'give globalBatchTokens or globalBatchSize, not both' });
  }
  let globalBatchSequences: number | undefined = t.globalBatchSize;
  if (t.globalBatchTokens !== undefined) {
    const tokens = parseCountField(t.globalBatchTokens, '/training/globalBatchTokens', LIMITS.globalBatchTokens, problems);
    if (tokens !== undefined) {
      const batch = sequencesForBatchTokens(tokens, sequenceLength);
      globalBatchSequences = batch.sequences;
      if (batch.reason) assumptions.push({ field: '/training/globalBatchSize', value: batch.sequences, reason: batch.reason });
    }
  }
  if (globalBatchSequences === undefined) {
    globalBatchSequences = Math.max(1, Math.round(DEFAULT_GLOBAL_BATCH_TOKENS / sequenceLength));
    assumptions.push({ field: '/training/globalBatchSize', value: globalBatchSequences, reason: `about 4M tokens per batch (Llama 2/3) in sequences of ${sequenceLength}` });
  }

  let counts: ParameterCounts | undefined;
  if (model && problems.every((p) => !p.path.startsWith('/model'))) counts = countParameters(model.shape);

  let tokens = parseCountField(t.tokens, '/training/tokens', LIMITS.tokens, problems);
  if (t.tokens === undefined && counts) {
    tokens = CHINCHILLA_TOKENS_PER_PARAMETER * counts.activeParameters;
    assumptions.push({ field: '/training/tokens', value: tokens, reason: '20 tokens per (active) parameter, compute-optimal per Hoffmann et al. 2022' });
  }

  return { precision, optimizer, sequenceLength, globalBatchSequences, counts, tokens };
}

/**
 * Model and training alone, for the questions that need no accelerator (training FLOPs): the same
 * resolution as resolveWorkload, without hardware, layout or cost.
 */
export function resolveModelTraining(
  input: Pick<WorkloadInput, 'model' | 'training'>,
  catalog: CatalogView,
): { model: ResolvedWorkload['model']; training: TrainingSetup; warnings: string[]; assumptions: Assumption[] } | { problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const assumptions: Assumption[] = [];
  const model = resolveModel(input.model, catalog, problems, assumptions);
  const tr = resolveTraining(input.training ?? {}, model, undefined, problems, assumptions);
  if (problems.length > 0 || !model || !tr.counts || tr.tokens === undefined) {
    return { problems: problems.length > 0 ? problems : [{ path: '/', message: 'the workload could not be resolved' }] };
  }
  return {
    model: { source: model.source, ...(model.presetId ? { presetId: model.presetId } : {}), shape: model.shape, counts: tr.counts },
    training: { tokens: tr.tokens, sequenceLength: tr.sequenceLength, globalBatchSequences: tr.globalBatchSequences, precision: tr.precision, optimizer: tr.optimizer },
    warnings: [],
    assumptions,
  };
}

/**
 * A workload without hardware, resolved for what depends on the model and the training stack only
 * (the whole-model memory): model, training, and the framework's memory options with their
 * assumptions. The precision defaults as for no accelerator (bf16).
 */
export function resolveModelStack(
  input: Omit<WorkloadInput, 'hardware'>,
  catalog: CatalogView,
): { model: ResolvedWorkload['model']; training: TrainingSetup; memoryOptions: MemoryOptions; warnings: string[]; assumptions: Assumption[] } | { problems: FieldProblem[] } {
  const resolved = resolveModelTraining(input, catalog);
  if ('problems' in resolved) return resolved;
  const problems: FieldProblem[] = [];
  const withHardware = input as WorkloadInput;
  const framework = resolveFramework(withHardware, catalog, problems, resolved.assumptions);
  if (problems.length > 0) return { problems };
  const options = modelOptionsOf(withHardware, framework, resolved.assumptions);
  return { ...resolved, memoryOptions: options.memory ?? {} };
}

export function resolveWorkload(input: WorkloadInput, catalog: CatalogView, options: ResolveOptions): ResolvedWorkload | { problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const assumptions: Assumption[] = [];
  const warnings: string[] = [];

  const model = resolveModel(input.model, catalog, problems, assumptions);
  const framework = resolveFramework(input, catalog, problems, assumptions);

  const listed = lookupAccelerator(catalog, input.hardware.gpu);
  const scaleOutGbps = input.infrastructure?.scaleOutGbpsPerGpu;
  // the request's own network in place of the catalog's: the time model, the network check and the fabric use it
  const accelerator = listed && scaleOutGbps !== undefined ? { ...listed, scaleOutBytesPerSecond: (scaleOutGbps * 1e9) / 8 } : listed;
  if (!accelerator) {
    problems.push(unknownAcceleratorProblem(catalog, input.hardware.gpu, '/hardware/gpu'));
  }

  const t = input.training ?? {};
  const resolvedTraining = resolveTraining(t, model, accelerator, problems, assumptions);
  const { precision, optimizer, sequenceLength, globalBatchSequences, counts, tokens } = resolvedTraining;

  // GPUs: hardware.count, else the product of a fully given layout, else sized later.
  const par = input.parallelism ?? {};
  const fixedLayout: Partial<ParallelLayout> = {};
  // every field but stageSplit is a layout field the search honours; stageSplit is an option of the memory and time models
  for (const [k, v] of Object.entries(par)) if (v !== undefined && k !== 'stageSplit') (fixedLayout as Record<string, unknown>)[k] = v;
  let gpus = input.hardware.count;
  if (gpus === undefined && par.tensor !== undefined && par.pipeline !== undefined && par.data !== undefined) {
    gpus = par.tensor * par.pipeline * par.data * (par.context ?? 1);
    assumptions.push({ field: '/hardware/count', value: gpus, reason: 'tensor × pipeline × data × context of the given layout' });
  }
  // without a GPU count the service sizes one: for the request's deadline, else for a default one, so
  // that a plan is never the memory minimum running for years unannounced
  const constraints = { ...(input.constraints ?? {}) };
  if (gpus === undefined && constraints.deadlineDays === undefined) {
    constraints.deadlineDays = DEFAULT_DEADLINE_DAYS;
    assumptions.push({ field: '/constraints/deadlineDays', value: DEFAULT_DEADLINE_DAYS, reason: `no hardware.count: GPUs sized to finish within ${DEFAULT_DEADLINE_DAYS} days` });
  }
  if (par.schedule === '1f1b' && par.virtualStages !== undefined && par.virtualStages > 1) {
    problems.push({ path: '/parallelism/virtualStages', message: 'virtualStages > 1 needs schedule "interleaved"' });
  }
  if (framework && model) {
    const split = par.stageSplit ?? framework.defaults.stageSplit;
    problems.push(...frameworkLayoutProblems(framework, model.shape, { tokens: 0, sequenceLength, globalBatchSequences, precision, optimizer }, fixedLayout, split));
  }

  problems.push(...costFieldProblems(input.cost ?? {}));

  const search: ResolvedSearchOptions = {
    objective: input.search?.objective ?? 'time',
    topK: input.search?.topK ?? 10,
    maxEvaluations: input.search?.maxEvaluations ?? options.defaultSearchMaxEvaluations,
    ...(input.search?.timeBudgetMs !== undefined ? { timeBudgetMs: input.search.timeBudgetMs } : {}),
    allowTensorBeyondScaleUp: input.search?.allowTensorBeyondScaleUp ?? false,
  };

  if (problems.length > 0 || !model || !counts || !accelerator || tokens === undefined) {
    return { problems: problems.length > 0 ? problems : [{ path: '/', message: 'the workload could not be resolved' }] };
  }
  if (tokens < globalBatchSequences * sequenceLength) {
    warnings.push(`training.tokens (${tokens}) is less than one global batch (${globalBatchSequences * sequenceLength} tokens): the run is a single step`);
  }

  return {
    model: { source: model.source, ...(model.presetId ? { presetId: model.presetId } : {}), shape: model.shape, counts },
    training: { tokens, sequenceLength, globalBatchSequences, precision, optimizer },
    accelerator,
    ...(gpus !== undefined ? { gpus } : {}),
    fixedLayout,
    globalBatchPath: t.globalBatchTokens !== undefined ? '/training/globalBatchTokens' : t.globalBatchSize !== undefined ? '/training/globalBatchSize' : '/training',
    ...(input.efficiency?.mfu !== undefined ? { mfuOverride: input.efficiency.mfu } : {}),
    modelOptions: withFittedStack(modelOptionsOf(input, framework, assumptions), catalog.stepTimeFit, accelerator.generation, framework?.id),
    ...(framework ? { framework } : {}),
    ...(catalog.stepTimeFit ? { stepTimeFit: catalog.stepTimeFit } : {}),
    cost: { ...(input.cost ?? {}) },
    constraints,
    search,
    ...(input.infrastructure ? { infrastructure: { ...input.infrastructure } } : {}),
    ...(input.reliability ? { reliability: { ...input.reliability } } : {}),
    ...priceOptionsOf(catalog, accelerator.id),
    assumptions,
    warnings,
  };
}

/** On-demand / reserved / spot prices of an accelerator from the catalog entries, when the catalog has them. */
export function priceOptionsOf(catalog: CatalogView, id: string): { priceOptions?: PriceOptions } {
  const e = catalog.hardwareEntries?.find((x) => x.id === id);
  if (!e) return {};
  const p = e.prices;
  const priceOptions: PriceOptions = {
    ...(p.cloudOnDemandGpuHourUsd ? { onDemandGpuHourUsd: p.cloudOnDemandGpuHourUsd.value } : {}),
    ...(p.reservedGpuHourUsd ? { reservedGpuHourUsd: p.reservedGpuHourUsd.value } : {}),
    ...(p.spotGpuHourUsd ? { spotGpuHourUsd: p.spotGpuHourUsd.value } : {}),
  };
  return { priceOptions };
}
