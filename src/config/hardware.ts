// The accelerator catalog (config/hardware.yaml): its schema, semantic checks, and the conversion
// of an entry in human units (GiB, TB/s, TFLOPS, GB/s, Gb/s) to the SI domain type Accelerator.
import { Type, type Static } from 'typebox';
import type { Accelerator, Precision } from '../domain/core/index.js';
import { get, isObject, positive, positiveInteger, str, type FieldProblem } from './yaml-source.js';

export const GENERATIONS = ['volta', 'ampere', 'hopper', 'blackwell', 'ada', 'cdna2', 'cdna3', 'cdna4', 'gaudi', 'tpu', 'trainium'] as const;
export const VENDORS = ['NVIDIA', 'AMD', 'Intel', 'Google', 'AWS'] as const;
const GENERATIONS_BY_VENDOR: Record<(typeof VENDORS)[number], readonly string[]> = {
  NVIDIA: ['volta', 'ampere', 'hopper', 'blackwell', 'ada'],
  AMD: ['cdna2', 'cdna3', 'cdna4'],
  Intel: ['gaudi'],
  Google: ['tpu'],
  AWS: ['trainium'],
};

const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9.-]*$', maxLength: 64, description: 'lower-case letters, digits, dots and dashes' });
const Text = Type.String({ minLength: 1 });
const Positive = (description: string) => Type.Number({ exclusiveMinimum: 0, description });
const PositiveInteger = (description: string) => Type.Integer({ minimum: 1, description });

export const SourceSchema = Type.Object(
  {
    id: Type.String({ pattern: '^[A-Za-z0-9_.-]+$' }),
    kind: Type.Optional(Type.Enum(['primary', 'primary_via_secondary', 'secondary', 'unverified'])),
    title: Text,
    url: Text,
  },
  { additionalProperties: false },
);

export const PriceReferenceSchema = Type.Object(
  {
    value: Positive('USD'),
    date: Text,
    /** one of the entry's sources[].id */
    source: Text,
    description: Type.Optional(Text),
    confidence: Type.Optional(Text),
    note: Type.Optional(Text),
  },
  { additionalProperties: false },
);

export const OtherPriceReferenceSchema = Type.Object(
  {
    kind: Text,
    value: Positive('USD'),
    date: Text,
    source: Text,
    description: Type.Optional(Text),
    confidence: Type.Optional(Text),
    note: Type.Optional(Text),
  },
  { additionalProperties: false },
);

export const DenseTflopsSchema = Type.Object(
  {
    fp32: Type.Optional(Positive('dense FP32 peak, TFLOPS')),
    tf32: Type.Optional(Positive('dense TF32 peak, TFLOPS')),
    fp16: Type.Optional(Positive('dense FP16 peak, TFLOPS')),
    bf16: Type.Optional(Positive('dense BF16 peak, TFLOPS')),
    fp8: Type.Optional(Positive('dense FP8 peak, TFLOPS')),
    fp4: Type.Optional(Positive('dense FP4 peak, TFLOPS (informational)')),
  },
  { additionalProperties: false },
);

export const HardwareEntrySchema = Type.Object(
  {
    id: Id,
    referenceId: Type.Optional(Text),
    name: Text,
    vendor: Type.Enum([...VENDORS]),
    generation: Type.Enum([...GENERATIONS]),
    chip: Type.Optional(Text),
    formFactor: Type.Optional(Text),
    aliases: Type.Optional(Type.Array(Id)),
    launchYear: Type.Integer({ minimum: 2010, maximum: 2100 }),
    memoryGiB: Positive('memory per accelerator, GiB (2^30 bytes)'),
    memoryType: Type.Optional(Text),
    memoryBandwidthTBps: Positive('peak memory bandwidth, TB/s (1e12 bytes/s)'),
    denseTflops: DenseTflopsSchema,
    flopsBasis: Type.Optional(Text),
    scaleUp: Type.Object(
      {
        interconnect: Text,
        bandwidthGBpsPerDirection: Positive('scale-up bandwidth per GPU, one direction, GB/s (1e9 bytes/s)'),
        domainSize: PositiveInteger('GPUs in one scale-up domain'),
        note: Type.Optional(Text),
      },
      { additionalProperties: false },
    ),
    scaleOut: Type.Object(
      {
        bandwidthGbpsPerGpu: Positive('scale-out network per GPU, Gb/s (1e9 bits/s)'),
        assumed: Type.Optional(Type.Boolean()),
        note: Type.Optional(Text),
      },
      { additionalProperties: false },
    ),
    gpusPerNode: PositiveInteger('accelerators per server/host/tray'),
    gpusPerNodeNote: Type.Optional(Text),
    tdpWatts: Positive('maximum board power, W'),
    tdpEstimated: Type.Optional(Type.Boolean()),
    tdpNote: Type.Optional(Text),
    prices: Type.Object(
      {
        cloudOnDemandGpuHourUsd: Type.Optional(PriceReferenceSchema),
        reservedGpuHourUsd: Type.Optional(PriceReferenceSchema),
        spotGpuHourUsd: Type.Optional(PriceReferenceSchema),
        purchaseUsdPerGpu: Type.Optional(PriceReferenceSchema),
        otherReferences: Type.Optional(Type.Array(OtherPriceReferenceSchema)),
      },
      { additionalProperties: false },
    ),
    confidence: Type.Optional(Type.Object({ specs: Text, prices: Text }, { additionalProperties: false })),
    sources: Type.Array(SourceSchema, { minItems: 1 }),
    notes: Type.Optional(Text),
  },
  { additionalProperties: false },
);

export type HardwareEntry = Static<typeof HardwareEntrySchema>;

/** Semantic checks of one entry. The entry may have failed the schema: every read is guarded, and a
 *  check runs only when the fields it reads are well-typed (schema problems are reported separately). */
export function hardwareEntryProblems(raw: unknown, at: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const vendor = str(get(raw, 'vendor'));
  const generation = str(get(raw, 'generation'));
  const allowed = vendor !== undefined && vendor in GENERATIONS_BY_VENDOR ? GENERATIONS_BY_VENDOR[vendor as (typeof VENDORS)[number]] : undefined;
  if (allowed && generation !== undefined && (GENERATIONS as readonly string[]).includes(generation) && !allowed.includes(generation)) {
    problems.push({ path: `${at}/generation`, message: `"${generation}" is not a ${vendor} generation (expected one of ${allowed.join(', ')})` });
  }
  const tflops = get(raw, 'denseTflops');
  if (isObject(tflops)) {
    const fp16 = get(tflops, 'fp16');
    const bf16 = get(tflops, 'bf16');
    if (fp16 === undefined && bf16 === undefined) {
      problems.push({ path: `${at}/denseTflops`, message: 'needs an fp16 or bf16 peak (training runs in 16-bit)' });
    }
    const fp32 = positive(get(tflops, 'fp32'));
    if (fp32 !== undefined) {
      for (const k of ['tf32', 'fp16', 'bf16', 'fp8', 'fp4'] as const) {
        const v = positive(get(tflops, k));
        if (v !== undefined && v < fp32) {
          problems.push({ path: `${at}/denseTflops/${k}`, message: `${v} is below the fp32 peak ${fp32}: a sparse/dense or unit mix-up?` });
        }
      }
    }
  }
  const domainSize = positiveInteger(get(raw, 'scaleUp', 'domainSize'));
  const gpusPerNode = positiveInteger(get(raw, 'gpusPerNode'));
  if (domainSize !== undefined && gpusPerNode !== undefined && domainSize % gpusPerNode !== 0 && gpusPerNode % domainSize !== 0) {
    problems.push({ path: `${at}/scaleUp/domainSize`, message: `${domainSize} must be a multiple or a divisor of gpusPerNode (${gpusPerNode})` });
  }
  if (get(raw, 'tdpEstimated') === true && get(raw, 'tdpNote') === undefined) {
    problems.push({ path: `${at}/tdpNote`, message: 'is required when tdpEstimated is true (say how the estimate was made)' });
  }
  if (get(raw, 'scaleOut', 'assumed') === true && get(raw, 'scaleOut', 'note') === undefined) {
    problems.push({ path: `${at}/scaleOut/note`, message: 'is required when scaleOut.assumed is true (say where the default comes from)' });
  }
  const year = positiveInteger(get(raw, 'launchYear'));
  if (year !== undefined && year > new Date().getUTCFullYear() + 2) {
    problems.push({ path: `${at}/launchYear`, message: `${year} is in the future` });
  }
  const sources = get(raw, 'sources');
  if (Array.isArray(sources)) {
    const sourceIds = new Set<string>();
    sources.forEach((s: unknown, i: number) => {
      const id = str(get(s, 'id'));
      if (id === undefined) return;
      if (sourceIds.has(id)) problems.push({ path: `${at}/sources/${i}/id`, message: `duplicate source id "${id}"` });
      sourceIds.add(id);
    });
    const checkSource = (path: string, source: unknown): void => {
      if (typeof source === 'string' && !sourceIds.has(source)) {
        problems.push({ path, message: `"${source}" is not one of this entry's sources (${[...sourceIds].join(', ')})` });
      }
    };
    for (const k of ['cloudOnDemandGpuHourUsd', 'reservedGpuHourUsd', 'spotGpuHourUsd', 'purchaseUsdPerGpu'] as const) {
      checkSource(`${at}/prices/${k}/source`, get(raw, 'prices', k, 'source'));
    }
    const others = get(raw, 'prices', 'otherReferences');
    if (Array.isArray(others)) others.forEach((p: unknown, i: number) => checkSource(`${at}/prices/otherReferences/${i}/source`, get(p, 'source')));
  }
  // a reservation is a commitment discount on the on-demand price of the same provider: never dearer
  const onDemand = get(raw, 'prices', 'cloudOnDemandGpuHourUsd', 'value');
  const reserved = get(raw, 'prices', 'reservedGpuHourUsd', 'value');
  if (typeof onDemand === 'number' && typeof reserved === 'number' && reserved > onDemand) {
    problems.push({
      path: `${at}/prices/reservedGpuHourUsd/value`,
      message: `a reservation (${reserved}) dearer than the on-demand price (${onDemand}): the two must come from one provider; move a reservation from another provider to otherReferences`,
    });
  }
  const id = str(get(raw, 'id'));
  const aliases = get(raw, 'aliases');
  if (id !== undefined && Array.isArray(aliases)) {
    aliases.forEach((alias: unknown, i: number) => {
      if (alias === id) problems.push({ path: `${at}/aliases/${i}`, message: 'repeats the id' });
    });
  }
  return problems;
}

/** Across entries (schema-valid or not): an alias must not equal another entry's id or alias. */
export function hardwareAcrossProblems(entries: { entry: unknown; index: number; pointer: string }[]): (FieldProblem & { index: number })[] {
  const problems: (FieldProblem & { index: number })[] = [];
  const owner = new Map<string, string>();
  for (const { entry } of entries) {
    const id = str(get(entry, 'id'));
    if (id !== undefined && !owner.has(id)) owner.set(id, id);
  }
  for (const { entry, index, pointer } of entries) {
    const id = str(get(entry, 'id'));
    const aliases = get(entry, 'aliases');
    if (!Array.isArray(aliases)) continue;
    aliases.forEach((alias: unknown, i: number) => {
      if (typeof alias !== 'string' || alias === id) return; // the latter is reported per entry
      const taken = owner.get(alias);
      if (taken !== undefined) problems.push({ index, path: `${pointer}/aliases/${i}`, message: `"${alias}" already names "${taken}"` });
      else owner.set(alias, id ?? `#${index}`);
    });
  }
  return problems;
}

/** value · 10^exponent without binary round-off for decimal inputs: 989.4 → 989.4e12 exactly as the literal parses. */
function scaled(value: number, exponent: number): number {
  const s = String(value);
  return /e/i.test(s) ? value * 10 ** exponent : Number(`${s}e${exponent}`);
}

const GIB = 2 ** 30;

/** The price the service uses by default per GPU-hour: on-demand, else reserved (see config/hardware.yaml header). */
export function defaultGpuHourUsd(e: HardwareEntry): number | undefined {
  return e.prices.cloudOnDemandGpuHourUsd?.value ?? e.prices.reservedGpuHourUsd?.value;
}

/** Converts a catalog entry to the SI domain type. */
export function toAccelerator(e: HardwareEntry): Accelerator {
  const peakFlopsPerSecond: Partial<Record<Precision | 'tf32', number>> = {};
  for (const k of ['fp32', 'tf32', 'fp16', 'bf16', 'fp8'] as const) {
    const v = e.denseTflops[k];
    if (v !== undefined) peakFlopsPerSecond[k] = scaled(v, 12); // TFLOPS → FLOP/s
  }
  const accelerator: Accelerator = {
    id: e.id,
    name: e.name,
    vendor: e.vendor,
    generation: e.generation,
    launchYear: e.launchYear,
    memoryBytes: e.memoryGiB * GIB, // GiB → bytes (2^30)
    memoryBandwidthBytesPerSecond: scaled(e.memoryBandwidthTBps, 12), // TB/s → bytes/s
    peakFlopsPerSecond,
    scaleUpBytesPerSecond: scaled(e.scaleUp.bandwidthGBpsPerDirection, 9), // GB/s → bytes/s
    scaleUpDomainSize: e.scaleUp.domainSize,
    scaleOutBytesPerSecond: scaled(e.scaleOut.bandwidthGbpsPerGpu, 9) / 8, // Gb/s → bytes/s
    gpusPerNode: e.gpusPerNode,
    tdpWatts: e.tdpWatts,
  };
  const hour = defaultGpuHourUsd(e);
  if (hour !== undefined) accelerator.cloudGpuHourUsd = hour;
  const purchase = e.prices.purchaseUsdPerGpu?.value;
  if (purchase !== undefined) accelerator.purchaseUsdPerGpu = purchase;
  return accelerator;
}
