// Training frameworks (config/frameworks.yaml): schema, semantic checks, conversion to the domain's
// TrainingFramework. Validated at start-up like the hardware catalog.
import { Type, type Static } from 'typebox';
import type { TrainingFramework } from '../domain/core/index.js';
import { get, type FieldProblem } from './yaml-source.js';

const Text = Type.String({ minLength: 1 });
const Stages = Type.Array(Type.Enum([0, 1, 2, 3]), { minItems: 1, uniqueItems: true });

export const FrameworkEntrySchema = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9.-]*$', maxLength: 64 }),
    name: Text,
    sources: Type.Array(Type.Object({ title: Text, url: Text }, { additionalProperties: false }), { minItems: 1 }),
    defaults: Type.Object(
      {
        flashAttention: Type.Boolean(),
        fusedKernels: Type.Boolean(),
        dropout: Type.Number({ minimum: 0, maximum: 0.9 }),
        fp32Gradients: Type.Boolean(),
        selectiveRecompute: Type.Enum(['attention-core', 'save-matmuls']),
        crossEntropy: Type.Enum(['fp32-logits', 'fused', 'unfused']),
        stageSplit: Type.Enum(['even', 'edges-as-layers']),
      },
      { additionalProperties: false },
    ),
    rules: Type.Object(
      {
        schedules: Type.Array(Type.Enum(['1f1b', 'interleaved', 'dualpipe']), { minItems: 1, uniqueItems: true }),
        interleavedWholeLayers: Type.Boolean(),
        interleavedMicroBatchesMultipleOfPipeline: Type.Boolean(),
        zeroStages: Stages,
        zeroStagesWithPipeline: Stages,
        tensorParallel: Type.Boolean(),
        sequenceParallel: Type.Boolean(),
        pipelineParallel: Type.Boolean(),
        contextParallel: Type.Boolean(),
        expertParallel: Type.Boolean(),
        recompute: Type.Array(Type.Enum(['none', 'selective', 'full']), { minItems: 1, uniqueItems: true }),
        pipelineSendsSplitOverTensor: Type.Boolean(),
      },
      { additionalProperties: false },
    ),
    notes: Type.Optional(Text),
  },
  { additionalProperties: false },
);

export type FrameworkEntry = Static<typeof FrameworkEntrySchema>;

/** Rules that contradict each other: checked only where the fields are well-typed. */
export function frameworkEntryProblems(raw: unknown, at: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const rules = `${at}/rules`;
  const stages = get(raw, 'rules', 'zeroStages');
  const withPipeline = get(raw, 'rules', 'zeroStagesWithPipeline');
  if (Array.isArray(stages) && Array.isArray(withPipeline)) {
    for (const z of withPipeline) {
      if (!stages.includes(z)) problems.push({ path: `${rules}/zeroStagesWithPipeline`, message: `ZeRO stage ${String(z)} is not in zeroStages` });
    }
  }
  const schedules = get(raw, 'rules', 'schedules');
  if (get(raw, 'rules', 'pipelineParallel') === false && Array.isArray(schedules) && schedules.includes('interleaved')) {
    problems.push({ path: `${rules}/schedules`, message: 'lists interleaved although pipelineParallel is false' });
  }
  if (get(raw, 'rules', 'sequenceParallel') === true && get(raw, 'rules', 'tensorParallel') === false) {
    problems.push({ path: `${rules}/sequenceParallel`, message: 'sequence parallelism needs tensorParallel' });
  }
  return problems;
}

export function toTrainingFramework(e: FrameworkEntry): TrainingFramework {
  const framework: TrainingFramework = {
    id: e.id,
    name: e.name,
    defaults: { ...e.defaults },
    rules: {
      ...e.rules,
      schedules: [...e.rules.schedules],
      zeroStages: [...e.rules.zeroStages].sort(),
      zeroStagesWithPipeline: [...e.rules.zeroStagesWithPipeline].sort(),
      recompute: [...e.rules.recompute],
    },
    sources: e.sources.map((s) => ({ ...s })),
  };
  if (e.notes !== undefined) framework.notes = e.notes;
  return framework;
}
