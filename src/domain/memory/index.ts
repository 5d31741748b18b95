// memory: bytes per GPU. Model states by precision, optimizer and ZeRO stage; activations as a
// per-operation sum; the most loaded pipeline stage with its in-flight micro-batches; named
// overheads. Both the full breakdown and the search's allocation-free fast path. Builds on core,
// model and layouts.

export {
  modelStateBytesPerParameter,
  zeroDivisors,
  modelStateBytes,
} from './states.js';
export type {
  StateBytesPerParameter,
  ModelStateBytes,
} from './states.js';
export {
  DEFAULT_MEMORY_OPTIONS,
  ACTIVATION_TENSORS,
  OP_SAC_TENSORS,
  activationElementBytes,
  layerActivationBytes,
  layerActivationContext,
  hasMoeLayers,
  activationBytesPerLayer,
  activationBytesPerLayerByKind,
  activationTensorBreakdown,
} from './activations.js';
export type {
  MemoryOptions,
  SavedTensor,
  LayerActivationContext,
  ActivationTensorRow,
} from './activations.js';
export {
  CUDA_CONTEXT_BYTES,
  CUDA_WORKSPACE_BYTES,
  NCCL_BYTES_PER_COMMUNICATOR,
  GRADIENT_BUCKET_BYTES,
  ncclCommunicatorCount,
  microBatchesPerStep,
  inFlightMicroBatches,
  stageLayerSplit,
  prepareMemory,
  evaluateMemoryBytes,
  evaluateMemoryLowerBoundBytes,
  estimateMemoryPrepared,
  estimateMemory,
  estimateStageMemory,
  memoryLowerBoundBytes,
} from './per-gpu.js';
export type {
  MemoryContext,
} from './per-gpu.js';
export {
  WEIGHT_BYTES_PER_PARAMETER,
  wholeModelMemory,
} from './whole-model.js';
export type {
  WholeModelTotal,
  WholeModelByPrecision,
  WholeModelMemory,
} from './whole-model.js';
