// Model presets (config/models.yaml): schema, semantic checks, conversion to the domain ModelShape.
import { Type, type Static } from 'typebox';
import type { ModelShape } from '../domain/core/index.js';
import { get, isObject, positive, positiveInteger, type FieldProblem } from './yaml-source.js';

const PositiveInteger = (description: string) => Type.Integer({ minimum: 1, description });
const Text = Type.String({ minLength: 1 });

export const MoeSchema = Type.Object(
  {
    experts: PositiveInteger('routed experts per MoE layer'),
    activeExperts: PositiveInteger('routed experts each token visits (top-k)'),
    expertFfnHiddenSize: PositiveInteger('FFN hidden size of one expert'),
    sharedExperts: Type.Integer({ minimum: 0, description: 'experts every token visits in addition' }),
    denseLayers: Type.Integer({ minimum: 0, description: 'leading layers with a dense MLP' }),
  },
  { additionalProperties: false },
);

export const MlaSchema = Type.Object(
  {
    qLoraRank: Type.Integer({ minimum: 0, description: 'rank of the query down-projection (0: none)' }),
    kvLoraRank: PositiveInteger('rank of the joint key/value down-projection'),
    qkNopeHeadDim: Type.Integer({ minimum: 0 }),
    qkRopeHeadDim: Type.Integer({ minimum: 0 }),
    vHeadDim: PositiveInteger('per-head value dimension'),
  },
  { additionalProperties: false, description: 'multi-head latent attention (DeepSeek-V2/V3)' },
);

export const ArchitectureSchema = Type.Object(
  {
    layers: PositiveInteger('transformer layers L'),
    hiddenSize: PositiveInteger('hidden size h'),
    attentionHeads: PositiveInteger('attention (query) heads a'),
    kvHeads: PositiveInteger('key/value heads: = attentionHeads for MHA, < for GQA, 1 for MQA'),
    headDim: Type.Optional(PositiveInteger('per-head dimension; default hiddenSize / attentionHeads')),
    ffnHiddenSize: PositiveInteger('dense MLP hidden size (per gate/up projection when gated)'),
    vocabSize: PositiveInteger('vocabulary V'),
    gatedMlp: Type.Boolean(),
    tiedEmbeddings: Type.Boolean(),
    moe: Type.Optional(MoeSchema),
    mla: Type.Optional(MlaSchema),
  },
  { additionalProperties: false },
);

export const PresetSourceSchema = Type.Object(
  {
    title: Text,
    url: Text,
    /** where in the source: table, section */
    section: Type.Optional(Text),
  },
  { additionalProperties: false },
);

export const ModelPresetEntrySchema = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9.-]*$', maxLength: 64 }),
    name: Text,
    source: PresetSourceSchema,
    otherSources: Type.Optional(Type.Array(PresetSourceSchema)),
    architecture: ArchitectureSchema,
    sequenceLength: PositiveInteger('default training sequence length s'),
    publishedParameters: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'the published total parameter count' })),
    publishedActiveParameters: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'MoE: published parameters active per token' })),
    publishedParametersNote: Type.Optional(Text),
    notes: Type.Optional(Text),
  },
  { additionalProperties: false },
);

export type ModelPresetEntry = Static<typeof ModelPresetEntrySchema>;

/** A preset as the service uses it. */
export interface ModelPreset {
  id: string;
  name: string;
  source: ModelPresetEntry['source'];
  otherSources?: ModelPresetEntry['source'][];
  architecture: ModelShape;
  sequenceLength: number;
  publishedParameters?: number;
  publishedActiveParameters?: number;
  publishedParametersNote?: string;
  notes?: string;
}

/** Semantic checks of one preset. The entry may have failed the schema: a check runs only when the
 *  fields it reads are well-typed (schema problems are reported separately). */
export function modelPresetProblems(raw: unknown, at: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const arch = `${at}/architecture`;
  const a = (k: string): number | undefined => positiveInteger(get(raw, 'architecture', k));
  const layers = a('layers');
  const hiddenSize = a('hiddenSize');
  const heads = a('attentionHeads');
  const kvHeads = a('kvHeads');
  if (heads !== undefined && kvHeads !== undefined && (kvHeads > heads || heads % kvHeads !== 0)) {
    problems.push({ path: `${arch}/kvHeads`, message: `${kvHeads} must divide attentionHeads (${heads})` });
  }
  if (get(raw, 'architecture', 'headDim') === undefined && hiddenSize !== undefined && heads !== undefined && hiddenSize % heads !== 0) {
    problems.push({ path: `${arch}/headDim`, message: `is required: hiddenSize ${hiddenSize} is not a multiple of attentionHeads ${heads}` });
  }
  const moe = (k: string): number | undefined => {
    const v = get(raw, 'architecture', 'moe', k);
    return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined;
  };
  const experts = moe('experts');
  const active = moe('activeExperts');
  if (experts !== undefined && active !== undefined && active > experts) {
    problems.push({ path: `${arch}/moe/activeExperts`, message: `${active} exceeds experts (${experts})` });
  }
  const denseLayers = moe('denseLayers');
  if (denseLayers !== undefined && layers !== undefined && denseLayers >= layers) {
    problems.push({ path: `${arch}/moe/denseLayers`, message: `${denseLayers} leaves no MoE layer (layers = ${layers})` });
  }
  const total = positive(get(raw, 'publishedParameters'));
  const activeParameters = positive(get(raw, 'publishedActiveParameters'));
  if (activeParameters !== undefined) {
    if (isObject(get(raw, 'architecture')) && get(raw, 'architecture', 'moe') === undefined) {
      problems.push({ path: `${at}/publishedActiveParameters`, message: 'is only meaningful for a mixture-of-experts model (no architecture.moe)' });
    }
    if (total !== undefined && activeParameters > total) {
      problems.push({ path: `${at}/publishedActiveParameters`, message: `${activeParameters} exceeds publishedParameters (${total})` });
    }
  }
  return problems;
}

/** Converts a preset entry to the service's form: headDim defaults to hiddenSize / attentionHeads. */
export function toModelPreset(p: ModelPresetEntry): ModelPreset {
  const a = p.architecture;
  const architecture: ModelShape = {
    layers: a.layers,
    hiddenSize: a.hiddenSize,
    attentionHeads: a.attentionHeads,
    kvHeads: a.kvHeads,
    headDim: a.headDim ?? a.hiddenSize / a.attentionHeads,
    ffnHiddenSize: a.ffnHiddenSize,
    vocabSize: a.vocabSize,
    gatedMlp: a.gatedMlp,
    tiedEmbeddings: a.tiedEmbeddings,
  };
  if (a.moe) architecture.moe = { ...a.moe };
  if (a.mla) architecture.mla = { ...a.mla };
  const preset: ModelPreset = { id: p.id, name: p.name, source: p.source, architecture, sequenceLength: p.sequenceLength };
  if (p.otherSources) preset.otherSources = p.otherSources;
  if (p.publishedParameters !== undefined) preset.publishedParameters = p.publishedParameters;
  if (p.publishedActiveParameters !== undefined) preset.publishedActiveParameters = p.publishedActiveParameters;
  if (p.publishedParametersNote !== undefined) preset.publishedParametersNote = p.publishedParametersNote;
  if (p.notes !== undefined) preset.notes = p.notes;
  return preset;
}
