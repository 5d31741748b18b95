// Bounds on every count a workload may carry: generous for 2026-scale training, and small enough
// that every valid request stays finite and fast. The request schemas (src/schemas) declare them;
// the domain enforces them on SI-suffixed strings it parses itself.
export const LIMITS = {
  parameters: 1e14,
  tokens: 1e16,
  gpus: 1_048_576,
  sequenceLength: 4_194_304,
  globalBatchTokens: 1e10,
  globalBatchSize: 16_777_216,
  layers: 2048,
  hiddenSize: 262_144,
  heads: 4096,
  vocab: 10_000_000,
  experts: 16_384,
  parallelDegree: 1_048_576,
  microBatchSize: 65_536,
  virtualStages: 128,
} as const;
