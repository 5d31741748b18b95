// search: the fastest layout that fits. Enumerates the layouts a GPU count admits, prunes by
// divisibility, memory bounds and dominance, ranks by step time or cost, explains the runners-up.
// Builds on layouts, memory and performance.

export {
  modelEvaluator,
  DEFAULT_TOP_K,
  DEFAULT_MAX_EVALUATIONS,
  incompleteSearchWarning,
  searchSpaceSize,
  TopK,
  layoutDifference,
  explainRunnerUp,
  searchLayouts,
} from './layout-search.js';
export type {
  SearchRequest,
  ModelOptions,
  LayoutCandidate,
  SearchResult,
  LayoutEvaluator,
  EvaluatorFactory,
} from './layout-search.js';
