// The measured training runs of data/calibration/measured-runs.jsonl (MEASURED-RUNS.md describes
// every field) as requests the service answers: each row is described only by what its source
// published (model shape, GPUs, batch, precision, layout, framework), the rest is left to the
// framework's defaults, exactly as a user would ask. Used by `npm run calibrate` and the tests.
import type { WorkloadInput } from '../../src/domain/planning/index.js';

export interface MeasuredRun {
  source: string;
  sourcePath: string;
  model: {
    name: string; layers: number; hiddenSize: number; attentionHeads: number; kvHeads?: number; ffnHiddenSize: number;
    vocabSize: number; gatedMlp: boolean; tiedEmbeddings: boolean;
  };
  hardware: { gpu: string; count: number };
  training: { sequenceLength: number; globalBatchSize: number; microBatchSize?: number; precision?: string };
  layout: {
    tensor?: number; pipeline?: number; data?: number; context?: number; expert?: number; virtualStages?: number;
    sequenceParallel?: boolean; recompute?: string; fsdp?: boolean; fsdpShardingStrategy?: string; zeroStage?: number;
  };
  framework: string;
  measured: { iterationSeconds?: number; tokensPerSecondPerGpu?: number };
  derived?: { iterationSeconds?: number };
}

/** Why a run could not be put as a request (the calibration reports these; none should remain). */
export interface Unmappable {
  run: MeasuredRun;
  reason: string;
}

export function parseMeasuredRuns(jsonl: string): MeasuredRun[] {
  return jsonl.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as MeasuredRun);
}

/** The measured step time in seconds: vTrain's measured iteration, else the one derived from the measured throughput. */
export function measuredStepSeconds(run: MeasuredRun): number | undefined {
  return run.measured.iterationSeconds ?? run.derived?.iterationSeconds;
}

/** The catalog accelerator a source's free-text GPU names (MEASURED-RUNS.md "hardware"). */
export function acceleratorOf(gpu: string): string | undefined {
  const g = gpu.toLowerCase();
  if (g.startsWith('gb300')) return 'gb300-nvl72';
  if (g.startsWith('gb200')) return 'gb200-nvl72';
  if (g.startsWith('b300')) return 'b300';
  if (g.startsWith('b200')) return 'b200';
  if (g.startsWith('h200')) return 'h200-sxm-141gb';
  // Grand Teton's 96 GB HBM2e H100s are SXM parts at 500 W; the catalog's SXM5 peak is the closest entry
  if (g.startsWith('h100')) return 'h100-sxm-80gb';
  if (g.startsWith('a100-sxm4-40gb')) return 'a100-sxm-40gb';
  if (g.startsWith('a100')) return 'a100-sxm-80gb';
  return undefined;
}

/** The training precision a source's free text names; undefined when the service has no such precision. */
export function precisionOf(text: string | undefined): 'fp16' | 'bf16' | 'fp8' | undefined {
  const p = (text ?? 'bf16').toLowerCase();
  if (p.includes('fp4')) return undefined;
  if (p.includes('fp8')) return 'fp8';
  if (p.startsWith('fp16')) return 'fp16';
  return 'bf16';
}

/** The service's framework id for a source's framework. */
export function frameworkOf(text: string): string {
  const f = text.toLowerCase();
  if (f.startsWith('megatron-deepspeed')) return 'megatron-deepspeed';
  if (f.startsWith('llm-foundry')) return 'pytorch-fsdp';
  if (f.startsWith('torchtitan')) return 'torchtitan';
  return 'megatron-core'; // megatron-bridge, nemo: Megatron-Core underneath
}

function recomputeOf(text: string | undefined): 'none' | 'selective' | 'full' | undefined {
  if (text === undefined) return undefined;
  const first = text.trim().toLowerCase().split(/[\s(]/)[0];
  return first === 'none' || first === 'selective' || first === 'full' ? first : undefined;
}

/**
 * The request a user would send for this run: its model, GPUs, batch, precision and published layout,
 * with training.framework naming the stack. What the source does not state is left out (the
 * framework's defaults apply and are listed as assumptions), except where MEASURED-RUNS.md says what
 * the source's setup implies: FSDP sharding (ZeRO-3 FULL_SHARD, ZeRO-2 SHARD_GRAD_OP), Megatron's
 * distributed optimizer (ZeRO-1) where no FSDP is used, and torchtitan's pipeline micro-batch of 1.
 */
export function requestOf(run: MeasuredRun): { request: WorkloadInput } | Unmappable {
  const gpu = acceleratorOf(run.hardware.gpu);
  if (!gpu) return { run, reason: `no catalog accelerator for "${run.hardware.gpu}"` };
  const precision = precisionOf(run.training.precision);
  if (!precision) return { run, reason: `precision "${run.training.precision}" is not modelled (fp4)` };
  const framework = frameworkOf(run.framework);
  const l = run.layout;
  const m0 = run.model;
  const t = l.tensor ?? 1, p = l.pipeline ?? 1, c = l.context ?? 1;
  const d = l.data ?? run.hardware.count / (t * p * c);
  const strategy = (l.fsdpShardingStrategy ?? '').toUpperCase();
  const zeroStage = l.zeroStage ?? (l.fsdp || framework === 'pytorch-fsdp' || framework === 'torchtitan'
    ? (strategy.includes('SHARD_GRAD_OP') ? 2 : framework === 'torchtitan' && p > 1 ? 2 : 3)
    : framework === 'megatron-core' ? 1 : undefined);
  // the source's micro-batch; torchtitan's "local batch" with pipeline parallelism is not the pipeline micro-batch (1 by default)
  const microBatchSize = framework === 'torchtitan' && p > 1 ? 1 : run.training.microBatchSize;
  const recompute = recomputeOf(l.recompute);
  const v = l.virtualStages ?? 1;
  // Megatron-Bridge's Llama 3.1 405B recipe counts the embedding and the loss as stage work
  // (--account-for-embedding/loss-in-pipeline-split, FRAMEWORKS.md): the only split that gives its
  // 126 layers whole layers per virtual stage
  const edges = framework === 'megatron-core' && v > 1 && m0.layers % (p * v) !== 0 && (m0.layers + 2) % (p * v) === 0;
  const parallelism: NonNullable<WorkloadInput['parallelism']> = {
    tensor: t, pipeline: p, data: d, context: c,
    ...(l.expert !== undefined ? { expert: l.expert } : {}),
    ...(microBatchSize !== undefined ? { microBatchSize } : {}),
    ...(zeroStage !== undefined ? { zeroStage: Math.min(3, Math.max(0, zeroStage)) as 0 | 1 | 2 | 3 } : {}),
    ...(recompute ? { recompute } : {}),
    ...(l.sequenceParallel !== undefined ? { sequenceParallel: l.sequenceParallel && t > 1 } : {}),
    ...(v > 1 ? { schedule: 'interleaved' as const, virtualStages: v } : p > 1 ? { schedule: '1f1b' as const } : {}),
    ...(edges ? { stageSplit: 'edges-as-layers' as const } : {}),
  };
  const m = run.model;
  return {
    request: {
      model: {
        architecture: {
          layers: m.layers, hiddenSize: m.hiddenSize, attentionHeads: m.attentionHeads, kvHeads: m.kvHeads ?? m.attentionHeads,
          ffnHiddenSize: m.ffnHiddenSize, vocabSize: m.vocabSize, gatedMlp: m.gatedMlp, tiedEmbeddings: m.tiedEmbeddings,
          ...(m.hiddenSize % m.attentionHeads !== 0 ? { headDim: Math.round(m.hiddenSize / m.attentionHeads) } : {}),
        },
      },
      training: {
        sequenceLength: run.training.sequenceLength, globalBatchSize: run.training.globalBatchSize, precision, framework,
        tokens: run.training.globalBatchSize * run.training.sequenceLength,
      },
      hardware: { gpu, count: run.hardware.count },
      parallelism,
    },
  };
}
