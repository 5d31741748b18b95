// layouts: what a parallel layout is and which ones are valid. Divisibility rules, the tensor degrees a
// shape admits, how layers split over pipeline stages, defaults and a readable description.
// Builds on core and model.

export {
  gcd,
  divisors,
  commonDivisors,
  stageLayerCounts,
  stageSplitUnits,
  chunkLayers,
  tensorDegreesForShape,
  layoutProblems,
  DEFAULT_LAYOUT,
  completeLayout,
  describeLayout,
  frameworkLayoutProblems,
} from './rules.js';
export type {
  LayoutProblem,
  LayoutRuleOptions,
  StageLayerCounts,
  StageSplit,
} from './rules.js';
