// Whole-model memory: what training the model takes in all, before it is split over GPUs, and
// what its weights alone take in each number format ("100B in fp16 ≈ 200 GB"). The same
// per-term model as the per-GPU breakdown, on one GPU holding everything (t = p = d = 1).
import type { ModelShape, ParallelLayout, ParameterCounts, Precision, RecomputeMode, TrainingSetup } from '../core/index.js';
import { PRECISIONS } from '../core/index.js';
import type { MemoryOptions } from './activations.js';
import { estimateStageMemory } from './per-gpu.js';

/** Bytes per stored element of each number format (IEEE 754 binary32 / binary16, bfloat16, OCP FP8 E4M3/E5M2). */
export const WEIGHT_BYTES_PER_PARAMETER: Readonly<Record<Precision, number>> = Object.freeze({ fp32: 4, fp16: 2, bf16: 2, fp8: 1 });

export interface WholeModelTotal {
  weightsBytes: number;
  gradientsBytes: number;
  optimizerBytes: number;
  /** one micro-batch of every layer's saved activations, plus the loss's logits */
  activationsBytes: number;
  totalBytes: number;
}

export interface WholeModelByPrecision {
  precision: Precision;
  /** the weights alone stored in this format (a checkpoint or inference copy): parameters × bytes per element */
  weightsBytes: number;
  /** training in this precision's recipe: weights, gradients, optimizer states and one micro-batch of activations */
  totalBytes: number;
}

export interface WholeModelMemory {
  total: WholeModelTotal;
  byPrecision: WholeModelByPrecision[];
  microBatchSize: number;
  recompute: RecomputeMode;
}

/** The whole model on one device: no tensor, pipeline, data, context or expert split, no ZeRO. */
function unsplitLayout(microBatchSize: number, recompute: RecomputeMode): ParallelLayout {
  return {
    tensor: 1, pipeline: 1, data: 1, context: 1, expert: 1, microBatchSize, zeroStage: 0, recompute,
    sequenceParallel: false, schedule: '1f1b', virtualStages: 1,
  };
}

function trainingTotal(
  shape: ModelShape, counts: ParameterCounts, training: TrainingSetup, layout: ParallelLayout, options: MemoryOptions | undefined,
): WholeModelTotal {
  const stage = estimateStageMemory(shape, counts, training, layout, 0, options);
  const activationsBytes = stage.activationsBytes + stage.logitsBytes;
  return {
    weightsBytes: stage.weightsBytes,
    gradientsBytes: stage.gradientsBytes,
    optimizerBytes: stage.optimizerBytes,
    activationsBytes,
    // per-GPU overheads (CUDA context, NCCL buffers, fragmentation) belong to a device, not to the model
    totalBytes: stage.weightsBytes + stage.gradientsBytes + stage.optimizerBytes + activationsBytes,
  };
}

/**
 * Whole-model memory in the request's precision (`total`) and in every precision (`byPrecision`).
 * Model states follow ZeRO Sec. 3.1 (2 + 2 + 12 bytes per parameter with Adam in mixed precision)
 * and activations the per-operation sum of memory/activations.ts for one micro-batch.
 */
export function wholeModelMemory(
  shape: ModelShape, counts: ParameterCounts, training: TrainingSetup,
  options: MemoryOptions | undefined, microBatchSize = 1, recompute: RecomputeMode = 'none',
): WholeModelMemory {
  const layout = unsplitLayout(microBatchSize, recompute);
  const total = trainingTotal(shape, counts, training, layout, options);
  const byPrecision = PRECISIONS.map((precision) => ({
    precision,
    weightsBytes: counts.totalParameters * WEIGHT_BYTES_PER_PARAMETER[precision],
    totalBytes: precision === training.precision ? total.totalBytes : trainingTotal(shape, counts, { ...training, precision }, layout, options).totalBytes,
  }));
  return { total, byPrecision, microBatchSize, recompute };
}
