import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { findAccelerator, FrameworkEntrySchema, HardwareEntrySchema, ModelPresetEntrySchema, type Catalog, type HardwareEntry, type ModelPreset } from '../config/catalog.js';
import { countParameters } from '../domain/model/index.js';
import { DEFAULT_FRAMEWORK } from '../domain/planning/index.js';
import { NotFoundProblemError } from '../errors.js';
import { problemResponses } from '../schemas/problem.js';

// GET /v1/hardware, /v1/models and /v1/frameworks: the catalog from config/, as written (human units, prices, sources)
// plus the SI values the service computes with.

const AcceleratorSiSchema = Type.Object(
  {
    memoryBytes: Type.Number(),
    memoryBandwidthBytesPerSecond: Type.Number(),
    peakFlopsPerSecond: Type.Object({
      fp32: Type.Optional(Type.Number()),
      tf32: Type.Optional(Type.Number()),
      fp16: Type.Optional(Type.Number()),
      bf16: Type.Optional(Type.Number()),
      fp8: Type.Optional(Type.Number()),
    }),
    scaleUpBytesPerSecond: Type.Number({ description: 'per GPU, one direction' }),
    scaleUpDomainSize: Type.Integer(),
    scaleOutBytesPerSecond: Type.Number({ description: 'per GPU, one direction' }),
    gpusPerNode: Type.Integer(),
    tdpWatts: Type.Number(),
    cloudGpuHourUsd: Type.Optional(Type.Number({ description: 'the default price the cost model uses' })),
    purchaseUsdPerGpu: Type.Optional(Type.Number()),
  },
  { description: 'the values the service computes with (SI units)' },
);

const HardwareItemSchema = Type.Object({ ...HardwareEntrySchema.properties, si: AcceleratorSiSchema });
const HardwareListSchema = Type.Object({ accelerators: Type.Array(HardwareItemSchema) });

const ModelItemSchema = Type.Object({
  ...ModelPresetEntrySchema.properties,
  parameters: Type.Number({ description: 'total parameters counted from the architecture' }),
  activeParameters: Type.Number({ description: 'parameters one token touches' }),
});
const ModelListSchema = Type.Object({ models: Type.Array(ModelItemSchema) });
const FrameworkItemSchema = Type.Object({ ...FrameworkEntrySchema.properties, default: Type.Boolean({ description: 'the framework a request without training.framework gets' }) });
const FrameworkListSchema = Type.Object({ frameworks: Type.Array(FrameworkItemSchema) });
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

function hardwareItem(catalog: Catalog, entry: HardwareEntry) {
  const a = catalog.accelerators.get(entry.id)!;
  const { peakFlopsPerSecond, memoryBytes, memoryBandwidthBytesPerSecond, scaleUpBytesPerSecond, scaleUpDomainSize, scaleOutBytesPerSecond, gpusPerNode, tdpWatts } = a;
  return {
    ...entry,
    si: {
      memoryBytes,
      memoryBandwidthBytesPerSecond,
      peakFlopsPerSecond: { ...peakFlopsPerSecond },
      scaleUpBytesPerSecond,
      scaleUpDomainSize,
      scaleOutBytesPerSecond,
      gpusPerNode,
      tdpWatts,
      ...(a.cloudGpuHourUsd !== undefined ? { cloudGpuHourUsd: a.cloudGpuHourUsd } : {}),
      ...(a.purchaseUsdPerGpu !== undefined ? { purchaseUsdPerGpu: a.purchaseUsdPerGpu } : {}),
    },
  };
}

function modelItem(p: ModelPreset) {
  const counts = countParameters(p.architecture);
  return { ...p, parameters: counts.totalParameters, activeParameters: counts.activeParameters };
}

export const catalogRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const catalog = () => app.trainplan.catalog;

  app.get(
    '/hardware',
    { config: { csvRows: 'accelerators' }, schema: { tags: ['catalog'], summary: 'The accelerator catalog', response: { 200: HardwareListSchema, ...problemResponses } } },
    async () => ({ accelerators: catalog().hardwareEntries.map((e) => hardwareItem(catalog(), e)) }),
  );

  app.get(
    '/hardware/:id',
    {
      schema: { tags: ['catalog'], summary: 'One accelerator, by id or alias', params: IdParams, response: { 200: HardwareItemSchema, ...problemResponses } },
    },
    async (request) => {
      const c = catalog();
      const a = findAccelerator(c, request.params.id);
      const entry = a && c.hardwareEntries.find((e) => e.id === a.id);
      if (!entry) throw new NotFoundProblemError(`no accelerator "${request.params.id}"; known ids: ${[...c.accelerators.keys()].join(', ')}`);
      return hardwareItem(c, entry);
    },
  );

  app.get(
    '/models',
    { config: { csvRows: 'models' }, schema: { tags: ['catalog'], summary: 'Model presets', response: { 200: ModelListSchema, ...problemResponses } } },
    async () => ({ models: [...catalog().presets.values()].map(modelItem) }),
  );

  const frameworkItem = (id: string) => {
    const f = catalog().frameworks.get(id)!;
    const r = f.rules;
    const rules = { ...r, schedules: [...r.schedules], zeroStages: [...r.zeroStages], zeroStagesWithPipeline: [...r.zeroStagesWithPipeline], recompute: [...r.recompute] };
    return { ...f, sources: f.sources.map((x) => ({ ...x })), rules, defaults: { ...f.defaults }, default: f.id === DEFAULT_FRAMEWORK };
  };

  app.get(
    '/frameworks',
    {
      config: { csvRows: 'frameworks' },
      schema: { tags: ['catalog'], summary: 'Training frameworks: their defaults and the layouts they run', response: { 200: FrameworkListSchema, ...problemResponses } },
    },
    async () => ({ frameworks: [...catalog().frameworks.keys()].map(frameworkItem) }),
  );

  app.get(
    '/frameworks/:id',
    { schema: { tags: ['catalog'], summary: 'One training framework', params: IdParams, response: { 200: FrameworkItemSchema, ...problemResponses } } },
    async (request) => {
      const id = request.params.id.trim().toLowerCase();
      if (!catalog().frameworks.has(id)) throw new NotFoundProblemError(`no framework "${request.params.id}"; known ids: ${[...catalog().frameworks.keys()].join(', ')}`);
      return frameworkItem(id);
    },
  );

  app.get(
    '/models/:id',
    { schema: { tags: ['catalog'], summary: 'One model preset', params: IdParams, response: { 200: ModelItemSchema, ...problemResponses } } },
    async (request) => {
      const preset = catalog().presets.get(request.params.id);
      if (!preset) throw new NotFoundProblemError(`no model preset "${request.params.id}"; known ids: ${[...catalog().presets.keys()].join(', ')}`);
      return modelItem(preset);
    },
  );
};
