// A working request body for every POST operation, shown in the OpenAPI document and so in Swagger
// UI's "Try it out". test/openapi.test.ts posts each one and expects a 200: an example that stops
// working fails the build. Each is a question someone really asks, sized to answer at once.

export const REQUEST_EXAMPLES: Record<string, { summary: string; value: object }> = {
  '/v1/estimate': {
    summary: 'Llama 3.1 70B on 1,024 H100, 2T tokens',
    value: {
      model: { preset: 'llama-3.1-70b' },
      training: { tokens: '2T', sequenceLength: 8192, globalBatchTokens: '16M', framework: 'megatron-core' },
      hardware: { gpu: 'h100-sxm-80gb', count: 1024 },
    },
  },
  '/v1/memory': {
    summary: 'GPT-3 175B per GPU at TP8 × PP8 × DP16 on A100, Megatron-LM as in 2022',
    value: {
      model: { preset: 'gpt-3-175b' },
      training: { sequenceLength: 2048, globalBatchSize: 1536, framework: 'megatron-lm' },
      hardware: { gpu: 'a100-sxm-80gb', count: 1024 },
      parallelism: { tensor: 8, pipeline: 8, data: 16, microBatchSize: 1, recompute: 'selective', sequenceParallel: true },
    },
  },
  '/v1/flops': {
    summary: 'GPT-3 175B on 300B tokens (≈ 3.14e23 FLOPs)',
    value: { model: { preset: 'gpt-3-175b' }, training: { tokens: '300B' } },
  },
  '/v1/gpu-sizing': {
    summary: 'A 100B model on 2T tokens in 90 days on H100',
    value: { model: { parameters: '100B' }, training: { tokens: '2T' }, hardware: { gpu: 'h100-sxm-80gb' }, constraints: { deadlineDays: 90 } },
  },
  '/v1/parallelism': {
    summary: 'The fastest layouts for GPT-3 175B on 1,024 A100',
    value: {
      model: { preset: 'gpt-3-175b' },
      training: { sequenceLength: 2048, globalBatchSize: 1536 },
      hardware: { gpu: 'a100-sxm-80gb', count: 1024 },
      search: { topK: 5 },
    },
  },
  '/v1/cost': {
    summary: 'Llama 2 70B on 2T tokens with 2,048 A100: cloud and on-premises',
    value: { model: { preset: 'llama-2-70b' }, training: { tokens: '2T' }, hardware: { gpu: 'a100-sxm-80gb', count: 2048 } },
  },
  '/v1/compare': {
    summary: 'Llama 2 70B at 512 GPUs on A100, H100 and MI300X',
    value: {
      model: { preset: 'llama-2-70b' },
      training: { tokens: '2T' },
      hardware: { count: 512 },
      compare: { accelerators: ['a100-sxm-80gb', 'h100-sxm-80gb', 'mi300x'] },
    },
  },
  '/v1/recommend': {
    summary: 'A 70B model for $1M within 120 days',
    value: {
      model: { parameters: '70B' },
      constraints: { budgetUsd: 1_000_000, deadlineDays: 120 },
      recommend: { accelerators: ['a100-sxm-80gb', 'h100-sxm-80gb', 'mi300x'], procurement: 'cloud' },
    },
  },
  '/v1/sweep': {
    summary: 'Llama 2 70B on H100: days and cost from 256 to 2,048 GPUs',
    value: {
      model: { preset: 'llama-2-70b' },
      training: { tokens: '2T' },
      hardware: { gpu: 'h100-sxm-80gb', count: 256 },
      sweep: { parameter: 'gpus', values: [256, 512, 1024, 2048] },
    },
  },
  '/v1/scaling': {
    summary: 'What 1,000 H100 for 30 days should train, compute-optimally',
    value: { cluster: { gpu: 'h100-sxm-80gb', count: 1000, days: 30 } },
  },
};

/** operationId per route: stable names for generated clients. */
export const OPERATION_IDS: Record<string, string> = {
  'GET /healthz': 'getHealth',
  'GET /readyz': 'getReadiness',
  'GET /v1/hardware': 'listHardware',
  'GET /v1/hardware/{id}': 'getHardware',
  'GET /v1/models': 'listModels',
  'GET /v1/models/{id}': 'getModel',
  'GET /v1/frameworks': 'listFrameworks',
  'GET /v1/frameworks/{id}': 'getFramework',
  'POST /v1/estimate': 'estimate',
  'POST /v1/memory': 'estimateMemory',
  'POST /v1/flops': 'estimateFlops',
  'POST /v1/gpu-sizing': 'sizeGpus',
  'POST /v1/parallelism': 'searchParallelism',
  'POST /v1/cost': 'estimateCost',
  'POST /v1/compare': 'compareAccelerators',
  'POST /v1/recommend': 'recommend',
  'POST /v1/sweep': 'sweep',
  'POST /v1/scaling': 'computeOptimalScaling',
};
