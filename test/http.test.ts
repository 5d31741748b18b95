import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import SwaggerParser from '@apidevtools/swagger-parser';
import { buildTestApp, LLAMA_405B_REQUEST } from './helper.js';
import { parseCsvObjects } from '../src/plugins/csv.js';

type App = Awaited<ReturnType<typeof buildTestApp>>;
let app: App;

beforeAll(async () => {
  app = await buildTestApp();
});
afterAll(async () => {
  await app.close();
});

/** Every number in a JSON value, with its path. */
function numbersIn(value: unknown, path = ''): [string, number][] {
  if (typeof value === 'number') return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => numbersIn(v, `${path}/${i}`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => numbersIn(v, `${path}/${k}`));
  return [];
}

async function post(url: string, payload: unknown) {
  return app.inject({ method: 'POST', url, payload: payload as object });
}

describe('POST /v1/estimate, Llama 3.1 405B on 16,384 H100 (the issue\'s done-means request)', () => {
  let body: any;
  beforeAll(async () => {
    const res = await post('/v1/estimate', LLAMA_405B_REQUEST);
    expect(res.statusCode, res.body).toBe(200);
    body = res.json();
  });

  it('answers every stable field with a finite number', () => {
    for (const [path, n] of numbersIn(body)) expect(Number.isFinite(n), path).toBe(true);
    const stable = [
      body.model.parameters, body.model.activeParameters, body.flops.perToken, body.flops.total,
      body.memory.perGpu.weightsBytes, body.memory.perGpu.gradientsBytes, body.memory.perGpu.optimizerBytes,
      body.memory.perGpu.activationsBytes, body.memory.perGpu.totalBytes, body.memory.gpuMemoryBytes,
      body.performance.stepSeconds, body.performance.tokensPerSecond, body.performance.tflopsPerGpu, body.performance.mfu,
      body.time.days, body.time.gpuHours, body.cost.cloud.totalUsd, body.cost.onPrem.totalUsd, body.cost.energy.kwh,
      body.sizing.minGpusByMemory, body.sizing.recommendedGpus,
    ];
    for (const n of stable) expect(typeof n).toBe('number');
    expect(typeof body.memory.fits).toBe('boolean');
    expect(Array.isArray(body.warnings) && Array.isArray(body.assumptions)).toBe(true);
  });

  it('keeps the given layout and reports it', () => {
    expect(body.parallelism).toMatchObject({ tensor: 8, pipeline: 16, data: 128, context: 1, gpus: 16384 });
  });

  it('has plausible figures for the published run', () => {
    // 405B parameters (Meta model card); 6·N·D + attention ≈ 3.8e25 FLOPs (Llama 3 paper Sec. 3.4: 3.8e25).
    expect(body.model.parameters / 405e9).toBeGreaterThan(0.99);
    expect(body.model.parameters / 405e9).toBeLessThan(1.01);
    expect(body.flops.total / 3.8e25).toBeGreaterThan(0.95);
    expect(body.flops.total / 3.8e25).toBeLessThan(1.1);
    // Llama 3 paper Table 4: 38–43% BF16 MFU at this scale.
    expect(body.performance.mfu).toBeGreaterThan(0.25);
    expect(body.performance.mfu).toBeLessThan(0.6);
    expect(body.memory.fits).toBe(true);
    expect(body.memory.perGpu.totalBytes).toBeLessThanOrEqual(body.memory.gpuMemoryBytes);
    // Days at 16k GPUs: the paper's pre-training took months including the 8k→16k ramp; 30–150 days is plausible.
    expect(body.time.days).toBeGreaterThan(30);
    expect(body.time.days).toBeLessThan(150);
  });
});

describe('input handling', () => {
  const base = {
    model: { preset: 'llama-2-7b' },
    training: { tokens: '2T', sequenceLength: 4096, globalBatchSize: 1024 },
    hardware: { gpu: 'a100-sxm-80gb', count: 64 },
  };

  it('accepts SI-suffixed counts and plain numbers alike', async () => {
    const a = (await post('/v1/flops', base)).json();
    const b = (await post('/v1/flops', { ...base, training: { ...base.training, tokens: 2e12 } })).json();
    expect(a.total).toBeCloseTo(b.total, -10);
  });

  const badInputs: [string, (b: any) => void, string][] = [
    ['negative tokens', (b) => (b.training.tokens = -5), '/training/tokens'],
    ['zero tokens', (b) => (b.training.tokens = 0), '/training/tokens'],
    ['NaN-like string', (b) => (b.training.tokens = 'NaN'), '/training/tokens'],
    ['Infinity string', (b) => (b.training.tokens = 'Infinity'), '/training/tokens'],
    ['overflowing string', (b) => (b.training.tokens = '1e400'), '/training/tokens'],
    ['huge token count', (b) => (b.training.tokens = '900P'), '/training/tokens'],
    ['zero as a string', (b) => (b.training.tokens = '0'), '/training/tokens'],
    ['GPU count as a string', (b) => (b.hardware.count = '64'), '/hardware/count'],
    ['fractional GPU count', (b) => (b.hardware.count = 1.5), '/hardware/count'],
    ['zero GPUs', (b) => (b.hardware.count = 0), '/hardware/count'],
    ['absurd GPU count', (b) => (b.hardware.count = 1e9), '/hardware/count'],
    ['unknown preset', (b) => (b.model.preset = 'gpt-9'), '/model/preset'],
    ['unknown GPU', (b) => (b.hardware.gpu = 'h100-sxm-800gb'), '/hardware/gpu'],
    ['two model forms', (b) => (b.model.parameters = '7B'), '/model'],
    ['no model form', (b) => (b.model = {}), '/model'],
    ['unknown property', (b) => (b.training.epochs = 3), '/training/epochs'],
    ['unknown top-level property', (b) => (b.extra = true), '/extra'],
    ['wrong enum', (b) => (b.training.precision = 'fp64'), '/training/precision'],
    ['sequence length zero', (b) => (b.training.sequenceLength = 0), '/training/sequenceLength'],
    ['tensor not dividing heads', (b) => (b.parallelism = { tensor: 3 }), '/parallelism/tensor'],
    ['layout product not the GPU count', (b) => (b.parallelism = { tensor: 8, pipeline: 2, data: 2, context: 1 }), '/hardware/count'],
    ['pipeline larger than layers', (b) => (b.parallelism = { pipeline: 64, tensor: 1, data: 1 }), '/parallelism/pipeline'],
    ['missing hardware', (b) => delete b.hardware, '/hardware'],
    ['architecture with bad kv heads', (b) => (b.model = { architecture: { layers: 32, hiddenSize: 4096, attentionHeads: 32, kvHeads: 5 } }), '/model/architecture/kvHeads'],
    ['mfu above 1', (b) => (b.efficiency = { mfu: 1.5 }), '/efficiency/mfu'],
    ['negative price', (b) => (b.cost = { gpuHourUsd: -1 }), '/cost/gpuHourUsd'],
    ['PUE below 1', (b) => (b.cost = { pue: 0.5 }), '/cost/pue'],
  ];

  it.each(badInputs)('%s → 400 problem+json naming %s', async (_name, mutate, path) => {
    const payload = structuredClone(base) as any;
    mutate(payload);
    // /v1/memory without hardware answers the whole model (test/whole-model-memory.test.ts)
    for (const url of path === '/hardware' ? ['/v1/estimate'] : ['/v1/estimate', '/v1/memory']) {
      const res = await post(url, payload);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      const problem = res.json();
      expect(problem).toMatchObject({ status: 400, title: expect.any(String), detail: expect.any(String), type: expect.any(String) });
      expect(problem.errors.map((e: { path: string }) => e.path).some((p: string) => p.startsWith(path)), JSON.stringify(problem.errors)).toBe(true);
    }
  });

  it('says why no layout exists when the fixed fields rule every one out, naming /parallelism', async () => {
    // 120 sequences over data = 4 leave 30 per rank: no micro-batch makes m a multiple of pipeline = 16, as
    // Megatron-LM's interleaving needs (Narayanan 2021 Sec. 2.2.2; Megatron-Core later relaxed it)
    const res = await post('/v1/estimate', {
      model: { preset: 'llama-2-7b' }, training: { globalBatchSize: 120, framework: 'megatron-lm' }, hardware: { gpu: 'h100', count: 64 },
      parallelism: { tensor: 1, pipeline: 16, data: 4, schedule: 'interleaved', virtualStages: 2 },
    });
    expect(res.statusCode).toBe(400);
    const problem = res.json();
    expect(problem.errors[0].path).toBe('/parallelism');
    expect(problem.errors[0].message).toContain('multiple of pipeline=16');
  });

  it('names every bad field at once', async () => {
    const res = await post('/v1/estimate', { ...base, training: { tokens: -1, sequenceLength: -1 }, hardware: { gpu: 'a100-sxm-80gb', count: 'x' } });
    expect(res.statusCode).toBe(400);
    const paths = res.json().errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['/training/tokens', '/training/sequenceLength', '/hardware/count']));
  });

  it('says which ids exist for an unknown preset', async () => {
    const res = await post('/v1/estimate', { ...base, model: { preset: 'gpt-9' } });
    expect(res.json().errors[0].message).toContain('llama-3.1-405b');
  });

  it('rejects malformed JSON, a wrong content type, an oversized body and prototype pollution with 4xx problem+json', async () => {
    const cases = [
      { payload: '{"model":', headers: { 'content-type': 'application/json' }, status: 400 },
      { payload: 'model=x', headers: { 'content-type': 'text/plain' }, status: 415 },
      { payload: JSON.stringify({ ...base, pad: 'x'.repeat(2 * 1024 * 1024) }), headers: { 'content-type': 'application/json' }, status: 413 },
      { payload: '{"__proto__":{"polluted":1},"model":{"preset":"llama-2-7b"},"hardware":{"gpu":"a100-sxm-80gb"}}', headers: { 'content-type': 'application/json' }, status: 400 },
      { payload: '{"constructor":{"prototype":{"polluted":1}},"model":{"preset":"llama-2-7b"},"hardware":{"gpu":"a100-sxm-80gb"}}', headers: { 'content-type': 'application/json' }, status: 400 },
      { payload: '', headers: { 'content-type': 'application/json' }, status: 400 },
    ];
    for (const c of cases) {
      const res = await app.inject({ method: 'POST', url: '/v1/estimate', payload: c.payload, headers: c.headers });
      expect(res.statusCode, `${c.payload.slice(0, 40)} → ${res.body.slice(0, 200)}`).toBe(c.status);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    }
  });

  it('answers an unknown route with a 404 problem', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});

describe('the other plan endpoints', () => {
  const body = {
    model: { preset: 'llama-2-70b' },
    training: { tokens: '2T', sequenceLength: 4096, globalBatchTokens: '4M' },
    hardware: { gpu: 'a100-sxm-80gb', count: 512 },
  };

  it('POST /v1/memory answers the memory object with every term summing to the total', async () => {
    const res = await post('/v1/memory', body);
    expect(res.statusCode, res.body).toBe(200);
    const m = res.json();
    const terms = ['weightsBytes', 'gradientsBytes', 'optimizerBytes', 'activationsBytes', 'logitsBytes', 'cudaContextBytes', 'communicationBuffersBytes', 'fragmentationBytes'];
    const sum = terms.reduce((s, k) => s + m.perGpu[k], 0);
    expect(sum).toBeCloseTo(m.perGpu.totalBytes, -3);
    expect(m.fits).toBe(true);
    expect(m.parallelism.gpus).toBe(512);
  });

  it('POST /v1/flops gives every convention and says which one total is', async () => {
    const f = (await post('/v1/flops', body)).json();
    expect(f.total).toBeCloseTo(f.perToken * 2e12, -12);
    // total counts the LM-head matmul but not the embedding lookup: between 6ND-without-embedding and 6ND + attention
    expect(f.total).toBeLessThan(f.conventions.sixNDPlusAttention);
    expect(f.conventions.sixNDPlusCausalAttention).toBeLessThan(f.conventions.sixNDPlusAttention);
    expect(f.convention.length).toBeGreaterThan(20);
    // Llama 2 70B: 6·N·D = 6·69e9·2e12 ≈ 8.3e23
    expect(f.sixNDTotal / 8.28e23).toBeGreaterThan(0.98);
    expect(f.sixNDTotal / 8.28e23).toBeLessThan(1.02);
  });

  it('POST /v1/gpu-sizing: memory minimum ≤ recommended, recommended whole nodes', async () => {
    const s = (await post('/v1/gpu-sizing', { ...body, constraints: { deadlineDays: 60 } })).json();
    expect(s.minGpusByMemory).toBeGreaterThan(0);
    expect(s.recommendedGpus).toBeGreaterThanOrEqual(s.minGpusByMemory);
    expect(s.recommendedGpus).toBeGreaterThanOrEqual(s.gpusForDeadline);
    expect(s.recommendedGpus % 8).toBe(0);
  });

  it('POST /v1/parallelism ranks candidates that fit, best first, honouring fixed fields', async () => {
    const res = await post('/v1/parallelism', { ...body, parallelism: { tensor: 8 }, search: { topK: 5 } });
    expect(res.statusCode, res.body).toBe(200);
    const r = res.json();
    expect(r.candidates.length).toBeGreaterThan(0);
    expect(r.candidates.length).toBeLessThanOrEqual(5);
    for (const c of r.candidates) {
      expect(c.parallelism.tensor).toBe(8);
      expect(c.memory.fits).toBe(true);
      expect(c.parallelism.gpus).toBe(512);
    }
    const steps = r.candidates.map((c: any) => c.performance.stepSeconds);
    expect([...steps].sort((a, b) => a - b)).toEqual(steps);
    expect(r.searched).toBeGreaterThanOrEqual(r.candidates.length);
  });

  it('POST /v1/cost: cloud cost is GPU-hours × price', async () => {
    const c = (await post('/v1/cost', { ...body, cost: { gpuHourUsd: 2 } })).json();
    expect(c.cloud.totalUsd).toBeCloseTo(c.time.gpuHours * 2, 0);
    expect(c.energy.kwh).toBeGreaterThan(0);
  });

  it('sizes the GPU count when none is given and says so', async () => {
    const res = await post('/v1/estimate', { ...body, hardware: { gpu: 'h100-sxm-80gb' } });
    expect(res.statusCode, res.body).toBe(200);
    const e = res.json();
    expect(e.hardware.count).toBe(e.sizing.recommendedGpus);
    expect(e.assumptions.some((a: any) => a.field === '/hardware/count')).toBe(true);
  });

  it('efficiency.* reaches the time and memory models: no TP overlap is slower, no flash attention needs more memory', async () => {
    const fixed = { ...body, parallelism: { tensor: 8, pipeline: 4, data: 16, microBatchSize: 1, recompute: 'none', zeroStage: 1 } };
    const withOverlap = (await post('/v1/estimate', { ...fixed, efficiency: { tensorCommOverlap: 1 } })).json();
    const without = (await post('/v1/estimate', { ...fixed, efficiency: { tensorCommOverlap: 0 } })).json();
    expect(without.performance.breakdownSeconds.tensorComm).toBeGreaterThan(withOverlap.performance.breakdownSeconds.tensorComm);
    expect(without.performance.stepSeconds).toBeGreaterThan(withOverlap.performance.stepSeconds);
    const flash = (await post('/v1/memory', fixed)).json();
    const noFlash = (await post('/v1/memory', { ...fixed, efficiency: { flashAttention: false } })).json();
    // without flash attention the a·s² score matrices are kept (Korthikanti 2022 Eq. 1: 5as²b per layer)
    expect(noFlash.perGpu.activationsBytes).toBeGreaterThan(flash.perGpu.activationsBytes);
  });

  it('efficiency.mfu overrides the performance model', async () => {
    const e = (await post('/v1/estimate', { ...body, efficiency: { mfu: 0.5 } })).json();
    expect(e.performance.mfu).toBeCloseTo(0.5, 6);
    expect(e.performance.source).toBe('override');
  });
});

describe('catalog, health and documentation', () => {
  it('lists at least 20 accelerators and the model presets', async () => {
    const hw = (await app.inject({ method: 'GET', url: '/v1/hardware' })).json();
    expect(hw.accelerators.length).toBeGreaterThanOrEqual(20);
    const one = (await app.inject({ method: 'GET', url: '/v1/hardware/h100-sxm-80gb' })).json();
    expect(one.id).toBe('h100-sxm-80gb');
    const models = (await app.inject({ method: 'GET', url: '/v1/models' })).json();
    expect(models.models.map((m: any) => m.id)).toEqual(expect.arrayContaining(['gpt-3-175b', 'llama-3.1-405b', 'deepseek-v3', 'mixtral-8x7b']));
    const missing = await app.inject({ method: 'GET', url: '/v1/hardware/nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('answers the list routes as CSV on Accept: text/csv, one row per item of the JSON answer', async () => {
    const parallelism = { model: { preset: 'llama-2-7b' }, training: { globalBatchSize: 1024 }, hardware: { gpu: 'h100', count: 64 }, search: { topK: 3 } };
    const cases = [
      { method: 'GET' as const, url: '/v1/hardware', key: 'accelerators' },
      { method: 'GET' as const, url: '/v1/models', key: 'models' },
      { method: 'POST' as const, url: '/v1/parallelism', key: 'candidates', payload: parallelism },
    ];
    for (const c of cases) {
      const json = (await app.inject({ method: c.method, url: c.url, ...(c.payload ? { payload: c.payload } : {}) })).json();
      const csv = await app.inject({ method: c.method, url: c.url, headers: { accept: 'text/csv' }, ...(c.payload ? { payload: c.payload } : {}) });
      expect(csv.headers['content-type'], c.url).toMatch(/^text\/csv/);
      expect(parseCsvObjects(csv.body).length, c.url).toBe(json[c.key].length);
    }
  });

  it('is live and ready', async () => {
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
  });

  it('serves a valid OpenAPI 3.1 document and Swagger UI', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    for (const p of ['/v1/estimate', '/v1/memory', '/v1/flops', '/v1/gpu-sizing', '/v1/parallelism', '/v1/cost', '/v1/hardware', '/v1/models']) {
      expect(doc.paths[p], p).toBeDefined();
    }
    await SwaggerParser.validate(structuredClone(doc));
    const ui = await app.inject({ method: 'GET', url: '/docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toContain('swagger');
  });

  it('echoes x-request-id', async () => {
    const res = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'abc-123' } });
    expect(res.headers['x-request-id']).toBe('abc-123');
  });
});

describe('HTTP semantics (issue 11)', () => {
  it('GET / is the planner page, with its script, styles and libraries served by the service itself (issue 12)', async () => {
    const res = await app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    const assets = [...res.body.matchAll(/(?:src|href)="(\/planner\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets).toEqual(expect.arrayContaining(['/planner/planner.js', '/planner/planner.css', '/planner/vendor/chart.umd.min.js']));
    expect(res.body).not.toMatch(/https?:\/\/(?!localhost)/); // no CDN
    for (const url of [...assets, '/planner/vendor/openapi-fetch.mjs']) {
      const asset = await app.inject({ method: 'GET', url });
      expect(asset.statusCode, url).toBe(200);
      expect(asset.headers['content-type'], url).toMatch(/^text\/(javascript|css)/);
    }
  });

  it('answers 405 with Allow for a wrong method on a known path, 404 for an unknown path', async () => {
    const wrong = await app.inject({ method: 'GET', url: '/v1/estimate' });
    expect(wrong.statusCode).toBe(405);
    expect(wrong.headers.allow).toBe('POST');
    expect(wrong.headers['content-type']).toContain('application/problem+json');
    const param = await app.inject({ method: 'DELETE', url: '/v1/hardware/h100' });
    expect(param.statusCode).toBe(405);
    expect(String(param.headers.allow)).toContain('GET');
    expect((await app.inject({ method: 'GET', url: '/v1/nothing' })).statusCode).toBe(404);
  });

  it('answers 406 to an Accept it cannot serve, and serves JSON, CSV where offered, and wildcards', async () => {
    const xml = await app.inject({ method: 'GET', url: '/v1/models', headers: { accept: 'application/xml' } });
    expect(xml.statusCode).toBe(406);
    expect(xml.json().detail).toContain('application/json or text/csv');
    const csvOnPlan = await app.inject({ method: 'POST', url: '/v1/flops', headers: { accept: 'text/csv' }, payload: { model: { preset: 'gpt-3-175b' }, hardware: { gpu: 'a100-sxm-80gb' } } });
    expect(csvOnPlan.statusCode).toBe(406);
    for (const accept of ['application/json', '*/*', 'application/*', 'application/problem+json, */*;q=0.1', 'text/csv']) {
      expect((await app.inject({ method: 'GET', url: '/v1/models', headers: { accept } })).statusCode, accept).toBe(200);
    }
  });
});

describe("the guide's questions, directly (issue 11)", () => {
  it('FLOPs for GPT-3 need no hardware: 6·N·D ≈ 3.14e23 (Brown et al. 2020)', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/flops', payload: { model: { preset: 'gpt-3-175b' }, training: { tokens: '300B' } } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().conventions.sixND / 3.14e23).toBeCloseTo(1, 2);
  });

  it('V100 defaults to fp16 (no bf16 tensor cores) and says so', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/flops', payload: { model: { preset: 'gpt-3-175b' }, hardware: { gpu: 'v100-sxm2-32gb' } } });
    expect(res.statusCode, res.body).toBe(200);
    const precision = res.json().assumptions.find((a: { field: string }) => a.field === '/training/precision');
    expect(precision.value).toBe('fp16');
    expect(precision.reason).toContain('no bf16');
  });

  it('without a GPU count, sizes for a 90-day deadline (listed), not the memory minimum', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/estimate', payload: { model: { preset: 'llama-2-70b' }, training: { tokens: '2T' }, hardware: { gpu: 'h100-sxm-80gb' } } });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.assumptions.find((a: { field: string }) => a.field === '/constraints/deadlineDays')?.value).toBe(90);
    // sized with the 20% margin for 90 days: the plan finishes well inside a year (a memory-minimum plan took 553 days)
    expect(body.time.days).toBeLessThan(120);
    expect(body.hardware.count).toBeGreaterThan(24);
  });

  it('warns when a plan takes over a year', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/estimate', payload: { model: { preset: 'llama-2-70b' }, training: { tokens: '2T' }, hardware: { gpu: 'h100-sxm-80gb', count: 32 } } });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.time.days).toBeGreaterThan(365);
    expect(body.warnings.some((w: string) => w.includes('over a year'))).toBe(true);
  });
});

describe('unknown money is null, never 0 (docs/API.md)', () => {
  it('an accelerator with no cloud price answers null cloud cost, is not on the frontier, and CSV leaves the cell empty', async () => {
    const body = {
      model: { preset: 'llama-2-70b' }, training: { tokens: '2T' }, hardware: { count: 512 },
      compare: { accelerators: ['gb200-nvl72', 'h100-sxm-80gb'], searchMaxEvaluations: 20000 },
    };
    const res = await post('/v1/compare', body);
    expect(res.statusCode, res.body).toBe(200);
    const entries = res.json().entries as any[];
    const gb200 = entries.find((e) => e.accelerator === 'gb200-nvl72');
    const h100 = entries.find((e) => e.accelerator === 'h100-sxm-80gb');
    expect(gb200.cloudPriceKnown).toBe(false);
    expect(gb200.cloudUsd).toBeNull();
    expect(gb200.gpuHourUsd).toBeNull();
    expect(gb200.costUsd).toBeNull();
    expect(gb200.onFrontier).toBe(false);
    expect(h100.costUsd).toBeGreaterThan(0);
    expect(res.json().frontier.map((f: any) => f.accelerator)).toEqual(['h100-sxm-80gb']);
    const csv = await app.inject({ method: 'POST', url: '/v1/compare', payload: body, headers: { accept: 'text/csv' } });
    const rows = parseCsvObjects(csv.body);
    expect(rows.find((r) => r.accelerator === 'gb200-nvl72')!.cloudUsd).toBe('');
  });

  it('an estimate with no cloud price answers null totalUsd, gpuHourUsd and no range', async () => {
    const res = await post('/v1/estimate', { model: { preset: 'llama-3.1-8b' }, training: { tokens: '100B' }, hardware: { gpu: 'gb200-nvl72', count: 72 } });
    expect(res.statusCode, res.body).toBe(200);
    const cloud = res.json().cost.cloud;
    expect(cloud.priceKnown).toBe(false);
    expect(cloud.totalUsd).toBeNull();
    expect(cloud.gpuHourUsd).toBeNull();
    expect(cloud.totalUsdRange).toBeUndefined();
    // a price the request gives makes it known
    const priced = await post('/v1/estimate', { model: { preset: 'llama-3.1-8b' }, training: { tokens: '100B' }, hardware: { gpu: 'gb200-nvl72', count: 72 }, cost: { gpuHourUsd: 6 } });
    expect(priced.json().cost.cloud.totalUsd).toBeCloseTo(priced.json().time.gpuHours * 6, 0);
  });
});

describe('infrastructure around the plan', () => {
  const workload = { model: { preset: 'llama-3.1-70b' }, training: { tokens: '2T' }, hardware: { gpu: 'h100', count: 1024 }, parallelism: { tensor: 8, pipeline: 4, data: 32 } };

  it('answers cooling, the fabric and storage under a retention policy, each default listed as assumed', async () => {
    const res = await post('/v1/estimate', workload);
    expect(res.statusCode, res.body).toBe(200);
    const { infrastructure, assumptions } = res.json();
    expect(infrastructure.cooling.kind).toBe('air-with-containment');
    expect(infrastructure.fabric).toMatchObject({ technology: 'infiniband', tiers: 2, leafSwitches: 32, spineSwitches: 16, meetsGuideMinimum: true });
    expect(infrastructure.checkpoint.retention.retained).toBe(10);
    const fields = assumptions.map((a: { field: string }) => a.field);
    expect(fields).toEqual(expect.arrayContaining(['/infrastructure/checkpointKeepLatest', '/infrastructure/fabric', '/infrastructure/switchRadix']));
  });

  it('a slower network given in the request slows the step and fails the guide\'s 100 Gb/s check', async () => {
    const fast = (await post('/v1/estimate', workload)).json();
    const slow = (await post('/v1/estimate', { ...workload, infrastructure: { scaleOutGbpsPerGpu: 25 } })).json();
    expect(slow.infrastructure.network.availableGbpsPerGpu).toBeCloseTo(25, 9);
    expect(slow.infrastructure.fabric.meetsGuideMinimum).toBe(false);
    expect(slow.warnings.join(' ')).toMatch(/under the 100 Gb\/s/);
    expect(slow.performance.stepSeconds).toBeGreaterThan(fast.performance.stepSeconds);
  });
});

describe('POST /v1/cost for GPUs held for a time ("128 A100 for 30 days")', () => {
  it('is GPUs × days × 24 × the catalog price, with energy at the same power model', async () => {
    const res = await post('/v1/cost', { hardware: { gpu: 'a100', count: 128 }, usage: { days: 30 } });
    expect(res.statusCode, res.body).toBe(200);
    const c = res.json();
    expect(c.time.gpuHours).toBe(128 * 30 * 24);
    expect(c.cloud.totalUsd).toBeCloseTo(128 * 30 * 24 * c.cloud.gpuHourUsd, 6);
    expect(c.cloud.priceKnown).toBe(true);
    expect(c.energy.kwh).toBeGreaterThan(0);
    // the catalog has no A100 purchase price: on-premises is unknown, not 0
    expect(c.onPrem.priceKnown).toBe(false);
    expect(c.onPrem.totalUsd).toBeNull();
    // H100 has one: depreciation of 128 purchases for 30 of 365 × years days, plus that energy
    const h = (await post('/v1/cost', { hardware: { gpu: 'h100', count: 128 }, usage: { days: 30 } })).json();
    expect(h.onPrem.totalUsd).toBeCloseTo(h.onPrem.capitalUsd * 30 / (365 * h.onPrem.depreciationYears) + h.onPrem.energyUsd, 6);
    const priced = (await post('/v1/cost', { hardware: { gpu: 'a100', count: 128 }, usage: { days: 30 }, cost: { gpuHourUsd: 1.5 } })).json();
    expect(priced.cloud.totalUsd).toBeCloseTo(128 * 30 * 24 * 1.5, 6);
  });

  it('refuses usage without a count, with a model, and a request with neither', async () => {
    const noCount = await post('/v1/cost', { hardware: { gpu: 'a100' }, usage: { days: 30 } });
    expect(noCount.statusCode).toBe(400);
    expect(noCount.json().errors.map((e: any) => e.path)).toContain('/hardware/count');
    const both = await post('/v1/cost', { model: { preset: 'llama-2-7b' }, hardware: { gpu: 'a100', count: 8 }, usage: { days: 1 } });
    expect(both.json().errors.map((e: any) => e.path)).toContain('/usage');
    const neither = await post('/v1/cost', { hardware: { gpu: 'a100', count: 8 } });
    expect(neither.statusCode).toBe(400);
    expect(neither.json().errors.map((e: any) => e.path)).toContain('/model');
  });
});

describe('per-accelerator prices and network in compare and recommend', () => {
  const body = (overrides: object) => ({
    model: { preset: 'llama-2-70b' }, training: { tokens: '2T' }, hardware: { count: 512 },
    compare: { accelerators: ['gb200-nvl72', 'h100'], searchMaxEvaluations: 20000, overrides },
  });

  it('each accelerator is priced by its own override; the others keep the catalog', async () => {
    const res = await post('/v1/compare', body({ 'gb200-nvl72': { gpuHourUsd: 6 }, h100: { gpuHourUsd: 1.5 } }));
    expect(res.statusCode, res.body).toBe(200);
    const entries = res.json().entries as any[];
    const gb = entries.find((e) => e.accelerator === 'gb200-nvl72');
    const h = entries.find((e) => e.accelerator === 'h100-sxm-80gb');
    expect(gb.cloudPriceKnown).toBe(true);
    expect(gb.cloudUsd).toBeCloseTo(gb.gpuHours * 6, 3);
    expect(h.cloudUsd).toBeCloseTo(h.gpuHours * 1.5, 3);
    expect(res.json().frontier.length).toBeGreaterThan(0);
  });

  it('a slower network for one accelerator slows only that one', async () => {
    const base = (await post('/v1/compare', body({}))).json().entries as any[];
    const slow = (await post('/v1/compare', body({ h100: { scaleOutGbpsPerGpu: 25 } }))).json().entries as any[];
    const pick = (xs: any[], id: string) => xs.find((e) => e.accelerator === id);
    expect(pick(slow, 'h100-sxm-80gb').stepSeconds).toBeGreaterThan(pick(base, 'h100-sxm-80gb').stepSeconds);
    expect(pick(slow, 'gb200-nvl72').stepSeconds).toBe(pick(base, 'gb200-nvl72').stepSeconds);
  });

  it('an override for an unknown accelerator is a 400 naming it', async () => {
    const res = await post('/v1/compare', body({ 'h900': { gpuHourUsd: 1 } }));
    expect(res.statusCode).toBe(400);
    expect(res.json().errors.map((e: any) => e.path)).toContain('/compare/overrides/h900');
    const rec = await post('/v1/recommend', { model: { parameters: '7B' }, constraints: { budgetUsd: 1e5 }, recommend: { accelerators: ['h100'], overrides: { nope: { gpuHourUsd: 1 } } } });
    expect(rec.json().errors.map((e: any) => e.path)).toContain('/recommend/overrides/nope');
  });
});

describe('TFLOP/s per GPU in both attention conventions', () => {
  it('the causal figure halves the attention scores: ratio (6N + A/2) / (6N + A) from the answer\'s own FLOPs', async () => {
    const e = (await post('/v1/estimate', LLAMA_405B_REQUEST)).json();
    const { nonCausal, causal } = e.performance.byAttentionConvention;
    expect(nonCausal.tflopsPerGpu).toBe(e.performance.tflopsPerGpu);
    expect(nonCausal.mfu).toBe(e.performance.mfu);
    const ratio = e.flops.conventions.sixNDPlusCausalAttention / e.flops.conventions.sixNDPlusAttention;
    expect(ratio).toBeLessThan(1);
    expect(ratio).toBeGreaterThan(0.8); // 405B at 8K: attention is a small share of the FLOPs
    expect(causal.tflopsPerGpu).toBeCloseTo(nonCausal.tflopsPerGpu * ratio, 9);
    expect(causal.mfu).toBeCloseTo(nonCausal.mfu * ratio, 12);
  });
});
