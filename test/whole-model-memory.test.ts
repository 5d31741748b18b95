// POST /v1/memory without hardware: what training a model takes in all, and its weights in every
// precision ("100B in fp16 ≈ 200 GB"). Hand-worked from ZeRO Sec. 3.1 and Korthikanti 2022 Table 2.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp } from './helper.js';

type App = Awaited<ReturnType<typeof buildTestApp>>;
let app: App;
beforeAll(async () => {
  app = await buildTestApp();
});
afterAll(async () => {
  await app.close();
});

async function memory(payload: object) {
  const res = await app.inject({ method: 'POST', url: '/v1/memory', payload });
  return { status: res.statusCode, body: res.json() };
}

describe('POST /v1/memory without hardware', () => {
  it('answers a bare parameter count with the whole model: 2 bytes per parameter of fp16 weights, 16 per parameter with Adam (ZeRO Sec. 3.1)', async () => {
    const { status, body } = await memory({ model: { parameters: '100B' }, training: { fp32Gradients: false } });
    expect(status, JSON.stringify(body)).toBe(200);
    const P = body.model.parameters;
    expect(P / 1e9).toBeCloseTo(100, -0.5); // 99.6B counted for 100B asked
    expect(body.perGpu).toBeUndefined();
    expect(body.fits).toBeUndefined();
    const fp16 = body.byPrecision.find((p: { precision: string }) => p.precision === 'fp16');
    expect(fp16.weightsBytes).toBe(2 * P); // ≈ 200 GB, the guide's figure
    expect(body.byPrecision.find((p: { precision: string }) => p.precision === 'fp32').weightsBytes).toBe(4 * P);
    expect(body.byPrecision.find((p: { precision: string }) => p.precision === 'fp8').weightsBytes).toBe(P);
    // bf16 mixed precision with Adam: 2 (weights) + 2 (gradients) + 12 (fp32 master, momentum, variance)
    expect(body.total.weightsBytes).toBe(2 * P);
    expect(body.total.gradientsBytes).toBe(2 * P);
    expect(body.total.optimizerBytes).toBe(12 * P);
    expect(body.total.totalBytes).toBe(16 * P + body.total.activationsBytes);
    expect(body.total.activationsBytes).toBeGreaterThan(0);
    // the request's own precision is one of the rows
    expect(body.byPrecision.find((p: { precision: string }) => p.precision === 'bf16').totalBytes).toBe(body.total.totalBytes);
    // what the answer does not depend on is not listed as assumed
    const fields = body.assumptions.map((a: { field: string }) => a.field);
    expect(fields).not.toContain('/training/tokens');
    expect(fields).toContain('/training/precision');
  });

  it('counts Megatron\'s fp32 main gradients where the framework keeps them (18 bytes per parameter)', async () => {
    const { body } = await memory({ model: { parameters: '7B' }, training: { framework: 'megatron-core' } });
    const P = body.model.parameters;
    expect(body.total.gradientsBytes).toBe(4 * P);
    expect(body.total.weightsBytes + body.total.gradientsBytes + body.total.optimizerBytes).toBe(18 * P);
    expect(body.assumptions.some((a: { field: string; value: unknown }) => a.field === '/training/fp32Gradients' && a.value === true)).toBe(true);
  });

  it('GPT-3 175B activations are Korthikanti Table 2\'s sbh(34 + 5as/h) per layer, times 96 layers, plus the loss\'s logits', async () => {
    const { status, body } = await memory({
      model: { preset: 'gpt-3-175b' },
      training: { sequenceLength: 2048, framework: 'megatron-lm', fp32Gradients: false, dropout: 0.1 },
    });
    expect(status, JSON.stringify(body)).toBe(200);
    const s = 2048, h = 12288, a = 96, L = 96, V = body.model.architecture.vocabSize;
    const perLayer = s * h * (34 + (5 * a * s) / h); // bytes, b = 1, t = 1, no flash attention, dropout on
    const layers = L * perLayer; // 275 GB
    const logits = 4 * s * V; // fp32 logits, Korthikanti "4sbv"
    expect(body.total.activationsBytes).toBeGreaterThanOrEqual(layers);
    expect(body.total.activationsBytes).toBeLessThanOrEqual(layers + 2 * logits + 2 * s * h * 2);
    // full recomputation keeps only each layer's input: 2sbh per layer (Korthikanti Sec. 4.2)
    const full = await memory({
      model: { preset: 'gpt-3-175b' },
      training: { sequenceLength: 2048, framework: 'megatron-lm' },
      parallelism: { recompute: 'full' },
    });
    expect(full.body.total.recompute).toBe('full');
    expect(full.body.total.activationsBytes).toBeLessThan(body.total.activationsBytes / 10);
  });

  it('grows with the parameter count and the micro-batch, and every number is finite', async () => {
    let previous = 0;
    for (const parameters of ['1B', '7B', '70B', '400B', '1T']) {
      const { body } = await memory({ model: { parameters } });
      expect(body.total.totalBytes).toBeGreaterThan(previous);
      previous = body.total.totalBytes;
      for (const row of body.byPrecision) {
        expect(Number.isFinite(row.totalBytes) && row.totalBytes > row.weightsBytes).toBe(true);
      }
    }
    const one = await memory({ model: { preset: 'llama-3.1-8b' } });
    const four = await memory({ model: { preset: 'llama-3.1-8b' }, parallelism: { microBatchSize: 4 } });
    expect(four.body.total.microBatchSize).toBe(4);
    expect(four.body.total.activationsBytes).toBeCloseTo(4 * one.body.total.activationsBytes, -3);
    expect(four.body.total.weightsBytes).toBe(one.body.total.weightsBytes);
  });

  it('with hardware, answers the same whole model beside the per-GPU breakdown', async () => {
    const bare = await memory({ model: { preset: 'llama-3.1-70b' }, training: { sequenceLength: 8192 } });
    const onGpus = await memory({
      model: { preset: 'llama-3.1-70b' },
      training: { sequenceLength: 8192 },
      hardware: { gpu: 'h100', count: 64 },
      parallelism: { tensor: 8, pipeline: 2, data: 4, microBatchSize: 1 },
    });
    expect(onGpus.status).toBe(200);
    expect(onGpus.body.total).toEqual(bare.body.total);
    expect(onGpus.body.perGpu.totalBytes).toBeLessThan(onGpus.body.total.totalBytes / 8);
    expect(onGpus.body.parallelism.gpus).toBe(64);
  });

  it('refuses a bad field with a 400 naming it', async () => {
    const bad = await memory({ model: { parameters: '100B' }, parallelism: { microBatchSize: 0 } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.errors)).toContain('/parallelism/microBatchSize');
    const unknown = await memory({ model: { preset: 'no-such-model' } });
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body.errors)).toContain('/model/preset');
  });
});

describe('POST /v1/memory without hardware but with a layout', () => {
  it('says the layout needs hardware instead of silently ignoring it', async () => {
    const { status, body } = await memory({ model: { preset: 'llama-3.1-8b' }, parallelism: { tensor: 8, microBatchSize: 2 } });
    expect(status).toBe(200);
    expect(body.total.microBatchSize).toBe(2);
    expect(body.warnings.join(' ')).toMatch(/parallelism\.tensor.*give hardware/);
  });
});
