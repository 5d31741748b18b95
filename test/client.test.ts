// The typed client (issue 12) over a real socket, as another service calls POST /v1/estimate with it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTrainPlanClient, isProblem, type RequestBody, type TrainPlanClient } from '../src/client/index.js';
import { buildTestApp } from './helper.js';

describe('the typed client over HTTP', () => {
  let app: Awaited<ReturnType<typeof buildTestApp>>;
  let client: TrainPlanClient;
  beforeAll(async () => {
    app = await buildTestApp();
    client = createTrainPlanClient({ baseUrl: await app.listen({ host: '127.0.0.1', port: 0 }) });
  });
  afterAll(() => app.close());

  it('calls POST /v1/estimate with a typed body and gets the typed answer (the README example)', async () => {
    const body: RequestBody<'estimate'> = {
      model: { preset: 'llama-3.1-70b' },
      training: { tokens: '2T', sequenceLength: 8192, globalBatchTokens: '16M' },
      hardware: { gpu: 'h100-sxm-80gb', count: 1024 },
    };
    const { data, error, response } = await client.POST('/v1/estimate', { body });
    expect(error).toBeUndefined();
    expect(response.status).toBe(200);
    expect(data!.hardware.count).toBe(1024);
    // Llama 3.1 70B on 2T tokens: 6·N·D = 6 × 70.6e9 × 2e12 ≈ 8.47e23 FLOPs
    expect(data!.flops.conventions.sixND / 8.47e23).toBeCloseTo(1, 2);
    expect(data!.performance.stepSecondsRange!.low).toBeLessThan(data!.performance.stepSeconds);
  });

  it('gives the problem+json as a typed error, naming the field', async () => {
    const { data, error, response } = await client.POST('/v1/flops', { body: { model: { preset: 'llama-3.1-70b' }, training: { tokens: 'lots' } } });
    expect(data).toBeUndefined();
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(isProblem(error)).toBe(true);
    expect(error!.errors?.map((e) => e.path)).toContain('/training/tokens');
  });

  it('reads the catalog with path parameters', async () => {
    const { data } = await client.GET('/v1/hardware/{id}', { params: { path: { id: 'h100' } } });
    expect(data!.id).toBe('h100-sxm-80gb');
  });
});
