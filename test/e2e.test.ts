// End to end over a real socket: the app as server.ts builds it (worker pool included), undici as the client.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { buildTestApp, LLAMA_405B_REQUEST } from './helper.js';
import { createPlanPool } from '../src/workers/plan-pool.js';

const pool = createPlanPool({ maxThreads: 2 });
let app: Awaited<ReturnType<typeof buildTestApp>>;
let base: string;

beforeAll(async () => {
  app = await buildTestApp({ planRunner: (task) => pool.run(task) });
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await app.close();
  await pool.close();
});

describe('over a real socket', () => {
  it('answers the Llama 3.1 405B estimate from a worker thread', async () => {
    const res = await request(`${base}/v1/estimate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'e2e-1' },
      body: JSON.stringify(LLAMA_405B_REQUEST),
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-request-id']).toBe('e2e-1');
    const body = (await res.body.json()) as any;
    expect(body.parallelism).toMatchObject({ tensor: 8, pipeline: 16, data: 128 });
    expect(body.memory.fits).toBe(true);
    expect(body.performance.stepSeconds).toBeGreaterThan(0);
  });

  it('turns an input problem found inside the worker into a 400 problem+json', async () => {
    const res = await request(`${base}/v1/parallelism`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: { preset: 'llama-2-7b' }, hardware: { gpu: 'a100-sxm-80gb', count: 64 }, parallelism: { tensor: 3 } }),
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = (await res.body.json()) as any;
    expect(problem.errors[0].path).toBe('/parallelism/tensor');
  });

  it('serves GET /v1/hardware/{alias}', async () => {
    const res = await request(`${base}/v1/hardware/H100`);
    expect(res.statusCode).toBe(200);
    expect(((await res.body.json()) as any).id).toBe('h100-sxm-80gb');
  });
});
