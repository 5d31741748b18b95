// model: the transformer as numbers. Parameter counts from a shape (GQA, MLA, gated MLPs, MoE
// total vs active), shape inference from a bare count, and training FLOPs in every convention.
// Builds on core.

export {
  mlpMatrixCount,
  attentionHeadDims,
  attentionParametersPerLayer,
  denseMlpParametersPerLayer,
  expertParameters,
  normParametersPerLayer,
  denseLayerCount,
  moeLayerCount,
  denseLayerParameters,
  moeLayerParameters,
  layerParameters,
  countParameters,
  MIN_INFERABLE_PARAMETERS,
  inferShapeFromParameters,
  shapeProblems,
} from './parameters.js';
export type {
  ModelShapeWithMla,
  LayerParameters,
  ShapeProblem,
} from './parameters.js';
export {
  MODEL_FLOPS_CONVENTION,
  activeMatmulParameters,
  attentionFlopsPerToken,
  modelFlopsPerToken,
  hardwareFlopsPerToken,
  korthikantiEq8HardwareFlopsPerToken,
  megatronEq3FlopsPerToken,
  trainingFlops,
} from './flops.js';
export type {
  FlopsConventions,
  FlopsEstimate,
} from './flops.js';
