import { Type, type Static } from 'typebox';
import { LIMITS } from '../domain/core/index.js';
import { AssumptionSchema, LayoutSchema, UsdOrNull } from './plan.js';
import {
  Count,
  HardwareInputSchema,
  ModelInputSchema,
  WorkloadParts,
} from './workload.js';

// Procurement endpoints (issue 4): compare, recommend, sweep, scaling. Request bodies reuse the
// workload's parts (docs/API.md); responses declare every field (Fastify drops the rest).

const Num = (description?: string) => Type.Number(description ? { description } : {});
const Int = (description?: string) => Type.Integer(description ? { description } : {});
const AcceleratorId = Type.String({ minLength: 1, maxLength: 100, description: 'an id or alias from GET /v1/hardware' });
const SearchBudget = Type.Integer({ minimum: 1_000, maximum: 100_000_000, description: 'work budget of each layout search, in memory- and time-model calls (default 150,000); deterministic, so the same request gets the same answer on any machine' });

/** hardware for compare / recommend: the GPU is optional (the accelerators list decides), the count fixes every option. */
export const ProcurementHardwareSchema = Type.Object(
  {
    gpu: Type.Optional(AcceleratorId),
    count: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMITS.gpus, description: 'a fixed GPU count for every accelerator; else sized for constraints.deadlineDays' })),
  },
  { additionalProperties: false },
);


/** Per-accelerator prices and network over the catalog's: each compared accelerator has its own. */
export const AcceleratorOverridesSchema = Type.Record(
  Type.String({ minLength: 1, maxLength: 64 }),
  Type.Object(
    {
      gpuHourUsd: Type.Optional(Type.Number({ minimum: 0, maximum: 10_000, description: 'cloud price per GPU-hour for this accelerator' })),
      purchaseUsdPerGpu: Type.Optional(Type.Number({ minimum: 0, maximum: 10_000_000, description: 'purchase price per GPU (with its server share) for this accelerator' })),
      scaleOutGbpsPerGpu: Type.Optional(Type.Number({ minimum: 1, maximum: 100_000, description: 'scale-out bandwidth per GPU, Gb/s, for this accelerator' })),
    },
    { additionalProperties: false },
  ),
  { maxProperties: 64, description: 'keyed by accelerator id or alias: prices and network for that accelerator over the catalog\'s (and over cost.* / infrastructure.*, which apply to all)' },
);

export const CompareRequestSchema = Type.Object(
  {
    ...WorkloadParts,
    hardware: Type.Optional(ProcurementHardwareSchema),
    compare: Type.Optional(
      Type.Object(
        {
          accelerators: Type.Optional(Type.Array(AcceleratorId, { minItems: 1, maxItems: 64, description: 'default: every accelerator in the catalog' })),
          costBasis: Type.Optional(Type.Enum(['cloud', 'onPrem'], { description: 'cost the Pareto frontier uses (default cloud)' })),
          overrides: Type.Optional(AcceleratorOverridesSchema),
          searchMaxEvaluations: Type.Optional(SearchBudget),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const RecommendRequestSchema = Type.Object(
  {
    ...WorkloadParts,
    hardware: Type.Optional(ProcurementHardwareSchema),
    recommend: Type.Optional(
      Type.Object(
        {
          accelerators: Type.Optional(Type.Array(AcceleratorId, { minItems: 1, maxItems: 64, description: 'allowed accelerators (default: the whole catalog)' })),
          procurement: Type.Optional(Type.Enum(['cloud', 'onPrem', 'either'], { description: 'rent, buy, or both (default either)' })),
          maxOptions: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'options returned (default 10)' })),
          overrides: Type.Optional(AcceleratorOverridesSchema),
          searchMaxEvaluations: Type.Optional(SearchBudget),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const SWEEP_PARAMETERS = ['gpus', 'accelerator', 'sequenceLength', 'globalBatchSize', 'globalBatchTokens'] as const;

export const SweepRequestSchema = Type.Object(
  {
    ...WorkloadParts,
    hardware: HardwareInputSchema,
    sweep: Type.Object(
      {
        parameter: Type.Enum([...SWEEP_PARAMETERS], { description: 'what varies; everything else stays as the workload says' }),
        values: Type.Array(Type.Union([Type.Number({ exclusiveMinimum: 0, maximum: 1e10 }), Type.String({ minLength: 1, maxLength: 100 })]), {
          minItems: 1,
          maxItems: 32,
          description: 'GPU counts, accelerator ids, sequence lengths, batch sizes (sequences) or batch tokens (numbers or SI strings)',
        }),
        searchMaxEvaluations: Type.Optional(SearchBudget),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export const ScalingRequestSchema = Type.Object(
  {
    computeFlops: Type.Optional(Count('training compute budget in model FLOPs', 1e32, 1e15)),
    cluster: Type.Optional(
      Type.Object(
        {
          gpu: AcceleratorId,
          count: Type.Integer({ minimum: 1, maximum: LIMITS.gpus }),
          days: Type.Number({ minimum: 0.01, maximum: 36_500 }),
          mfu: Type.Optional(Type.Number({ minimum: 0.001, maximum: 1, description: "default: the accelerator generation's documented MFU" })),
          precision: Type.Optional(Type.Enum(['fp32', 'fp16', 'bf16', 'fp8'], { description: 'default bf16' })),
        },
        { additionalProperties: false, description: 'compute budget as GPUs × days on an accelerator: C = GPUs · days · 86400 · peak · MFU' },
      ),
    ),
    model: Type.Optional(ModelInputSchema),
    tokens: Type.Optional(Count('training tokens of the given model (default: 20 per parameter)', LIMITS.tokens)),
  },
  { additionalProperties: false, description: 'computeFlops or cluster (a compute budget), and/or model (+ tokens) to assess' },
);

export type CompareRequest = Static<typeof CompareRequestSchema>;
export type RecommendRequest = Static<typeof RecommendRequestSchema>;
export type SweepRequest = Static<typeof SweepRequestSchema>;
export type ScalingRequest = Static<typeof ScalingRequestSchema>;

// --- responses -------------------------------------------------------------------------------------


const STATUS = Type.Enum(['ok', 'does-not-fit', 'no-layout', 'unsupported'], {
  description: 'ok: a layout fits; does-not-fit: the most sharded layout misses memory; no-layout: no valid layout on this count; unsupported: no peak for the precision',
});

/** One accelerator (compare) or one point (sweep): flat, so the CSV columns are the same fields. */
const EvaluationFields = {
  accelerator: Type.String(),
  name: Type.String(),
  vendor: Type.String(),
  status: STATUS,
  reason: Type.Optional(Type.String()),
  gpus: Int(),
  nodes: Int(),
  racks: Int(),
  layout: Type.String({ description: 'the chosen layout in short form ("" when none)' }),
  parallelism: Type.Optional(LayoutSchema),
  fits: Type.Boolean(),
  days: Num('wall-clock days, failures included (0 when not evaluated)'),
  idealDays: Num(),
  goodput: Num(),
  gpuHours: Num(),
  stepSeconds: Num(),
  tokensPerSecond: Num(),
  mfu: Num(),
  tflopsPerGpu: Num(),
  cloudUsd: UsdOrNull('GPU-hours × gpuHourUsd'),
  cloudPriceKnown: Type.Boolean(),
  gpuHourUsd: UsdOrNull(),
  onPremUsd: UsdOrNull('depreciation over the run + energy'),
  onPremPriceKnown: Type.Boolean(),
  capitalUsd: UsdOrNull(),
  energyKwh: Num(),
  co2Kg: Num(),
  facilityPeakKw: Num(),
  networkSufficient: Type.Boolean(),
  checkpointBytes: Num(),
  searchComplete: Type.Boolean(),
};

export const CompareEntrySchema = Type.Object({
  ...EvaluationFields,
  costUsd: UsdOrNull('cost on the costBasis'),
  costKnown: Type.Boolean(),
  meetsDeadline: Type.Optional(Type.Boolean()),
  deadlineLimit: Type.Optional(Type.String()),
  onFrontier: Type.Boolean({ description: 'on the Pareto frontier of days vs cost' }),
});

const WithNotes = { warnings: Type.Array(Type.String()), assumptions: Type.Array(AssumptionSchema) };

export const CompareResponseSchema = Type.Object({
  entries: Type.Array(CompareEntrySchema, { description: 'one per accelerator, fastest first (Accept: text/csv gives these rows)' }),
  frontier: Type.Array(Type.Object({ accelerator: Type.String(), gpus: Int(), days: Num(), costUsd: Num() }), { description: 'Pareto frontier of days vs cost, fastest first' }),
  mode: Type.Enum(['count', 'deadline']),
  costBasis: Type.Enum(['cloud', 'onPrem']),
  deadlineDays: Type.Optional(Num()),
  elapsedMs: Num(),
  ...WithNotes,
});

export const RecommendOptionSchema = Type.Object({
  rank: Int(),
  accelerator: Type.String(),
  acceleratorName: Type.String(),
  gpus: Int(),
  mode: Type.Enum(['cloud', 'onPrem']),
  layout: Type.String(),
  parallelism: LayoutSchema,
  days: Num(),
  idealDays: Num(),
  goodput: Num(),
  gpuHours: Num(),
  mfu: Num(),
  costUsd: Num('cloud: GPU-hours × price; onPrem: capital + energy (the cash a purchase needs)'),
  runCostUsd: Num('onPrem: depreciation + energy; cloud: = costUsd'),
  gpuHourUsd: Num(),
  capitalUsd: Num(),
  energyKwh: Num(),
  facilityPeakKw: Num(),
  racks: Int(),
  meetsBudget: Type.Boolean(),
  meetsDeadline: Type.Boolean(),
});

export const RecommendResponseSchema = Type.Object({
  options: Type.Array(RecommendOptionSchema, { description: 'options that satisfy every constraint, in the order of ranking (Accept: text/csv gives these rows)' }),
  satisfiable: Type.Boolean(),
  explanation: Type.String(),
  ranking: Type.Enum(['fastest', 'cheapest'], { description: 'fastest first when only a budget constrains (it buys the fastest plan within it); cheapest first otherwise' }),
  budgetBuys: Type.Optional(Type.Object({
    computeFlops: Num('6·N·D the budget pays for at the cheapest cloud option\'s cost per FLOP'),
    parameters: Num('the largest compute-optimal model (20 tokens per parameter) for that compute'),
    tokens: Num(),
    accelerator: Type.String(),
    gpus: Int(),
    mode: Type.Enum(['cloud', 'onPrem']),
  }, { description: 'what the budget can train' })),
  considered: Int(),
  rejected: Type.Array(Type.Object({ accelerator: Type.String(), gpus: Int(), reason: Type.String() })),
  suggestions: Type.Array(
    Type.Object({
      kind: Type.Enum(['more-budget', 'more-days', 'smaller-model', 'fewer-tokens']),
      message: Type.String(),
      budgetUsd: Type.Optional(Num()),
      deadlineDays: Type.Optional(Num()),
      parameters: Type.Optional(Num()),
      tokens: Type.Optional(Num()),
      accelerator: Type.Optional(Type.String()),
      gpus: Type.Optional(Int()),
    }),
    { description: 'when nothing satisfies the constraints: what would' },
  ),
  sizedFor: Type.Object({ deadlineDays: Type.Optional(Num()), gpus: Type.Optional(Int()), horizonDays: Type.Optional(Num()) }),
  budgetUsd: Type.Optional(Num()),
  deadlineDays: Type.Optional(Num()),
  elapsedMs: Num(),
  ...WithNotes,
});

export const SweepPointSchema = Type.Object({
  value: Type.String({ description: 'the swept value as given' }),
  sequenceLength: Int(),
  globalBatchSize: Int(),
  ...EvaluationFields,
});

export const SweepResponseSchema = Type.Object({
  parameter: Type.Enum([...SWEEP_PARAMETERS]),
  points: Type.Array(SweepPointSchema, { description: 'one per value, in request order (Accept: text/csv gives these rows)' }),
  elapsedMs: Num(),
  ...WithNotes,
});

const LawAllocationSchema = Type.Object({
  law: Type.String(),
  name: Type.String(),
  parameters: Num(),
  tokens: Num(),
  tokensPerParameter: Num(),
  loss: Num('predicted loss, nats per token'),
  source: Type.String(),
});

export const ScalingResponseSchema = Type.Object({
  computeFlops: Type.Optional(Num('the compute budget (given, or from the cluster)')),
  computeSource: Type.Optional(Type.Enum(['computeFlops', 'cluster'])),
  cluster: Type.Optional(Type.Object({
    gpu: Type.String(), count: Int(), days: Num(),
    mfu: Num('cluster.mfu when given; else the step-time model\'s MFU for the compute-optimal model on this cluster (its best layout)'),
    goodput: Num('share of the days spent on useful steps (failures and restarts removed; 1 when cluster.mfu is given)'),
    mfuSource: Type.Enum(['request', 'step-time-model', 'default']),
    layout: Type.Optional(Type.String({ description: 'the layout the step-time model chose for the compute-optimal model' })),
    peakFlopsPerSecond: Num(),
  })),
  optimal: Type.Optional(
    Type.Object({
      ruleOfThumb: Type.Object({ parameters: Num(), tokens: Num(), tokensPerParameter: Num(), loss: Num() }),
      laws: Type.Array(LawAllocationSchema, { description: 'compute-optimal allocation by each fitted law (Accept: text/csv gives these rows)' }),
    }),
  ),
  laws: Type.Array(LawAllocationSchema, { description: 'the optimal allocations (same as optimal.laws; empty without a compute budget)' }),
  model: Type.Optional(
    Type.Object({
      parameters: Num('parameters used (active parameters for MoE)'),
      tokens: Num(),
      computeFlops: Num('6·N·D'),
      tokensPerParameter: Num(),
      ruleOfThumbRatio: Num('tokensPerParameter / 20'),
      verdict: Type.Enum(['under-trained', 'compute-optimal', 'over-trained']),
      optimalTokensByRule: Num(),
      explanation: Type.String(),
      laws: Type.Array(
        Type.Object({
          law: Type.String(),
          verdict: Type.Enum(['under-trained', 'compute-optimal', 'over-trained']),
          optimalParameters: Num('the optimum for the same compute'),
          optimalTokens: Num(),
          tokensRatio: Num('tokens / optimal tokens'),
          modelLoss: Num(),
          optimalLoss: Num(),
          excessLoss: Num(),
        }),
      ),
    }),
  ),
  band: Num('a token budget within this factor of the optimum counts as compute-optimal'),
  ...WithNotes,
});
