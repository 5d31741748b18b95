// Every assumptions[].field names a field the request accepts (issue 11): a user who reads
// "/cost/pue = 1.56" can send cost.pue to change it. Checked against each route's own request schema.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp } from './helper.js';

type App = Awaited<ReturnType<typeof buildTestApp>>;
type Schema = { $ref?: string; properties?: Record<string, Schema>; anyOf?: Schema[]; oneOf?: Schema[]; allOf?: Schema[] };
let app: App;
let spec: { paths: Record<string, any>; components?: { schemas?: Record<string, Schema> } };

beforeAll(async () => {
  app = await buildTestApp();
  await app.ready();
  spec = app.swagger() as typeof spec;
});
afterAll(async () => {
  await app.close();
});

function deref(s: Schema | undefined): Schema | undefined {
  let out = s;
  while (out?.$ref) out = spec.components?.schemas?.[out.$ref.replace('#/components/schemas/', '')];
  return out;
}

/** Whether a JSON pointer walks the request schema's properties (through $ref and unions). */
function accepts(root: Schema, pointer: string): boolean {
  let here: Schema[] = [root];
  for (const segment of pointer.split('/').filter(Boolean)) {
    const next: Schema[] = [];
    const visit = (s: Schema | undefined): void => {
      const d = deref(s);
      if (!d) return;
      for (const branch of [...(d.anyOf ?? []), ...(d.oneOf ?? []), ...(d.allOf ?? [])]) visit(branch);
      const child = d.properties?.[segment];
      if (child) next.push(child);
    };
    here.forEach(visit);
    if (next.length === 0) return false;
    here = next;
  }
  return true;
}

const REQUESTS: [string, object][] = [
  ['/v1/estimate', { model: { preset: 'llama-3.1-70b' }, hardware: { gpu: 'h100', count: 1024 } }],
  ['/v1/estimate', { model: { parameters: '13B' }, hardware: { gpu: 'v100' } }],
  ['/v1/estimate', { model: { preset: 'deepseek-v3' }, training: { tokens: '1T' }, hardware: { gpu: 'h800', count: 2048 } }],
  ['/v1/estimate', { model: { preset: 'llama-3.1-8b' }, training: { framework: 'torchtitan' }, hardware: { gpu: 'h100', count: 64 } }],
  ['/v1/memory', { model: { parameters: '100B' } }],
  ['/v1/memory', { model: { preset: 'gpt-3-175b' }, training: { framework: 'megatron-lm' }, hardware: { gpu: 'a100', count: 1024 } }],
  ['/v1/flops', { model: { preset: 'gpt-3-175b' } }],
  ['/v1/gpu-sizing', { model: { parameters: '100B' }, hardware: { gpu: 'a100' } }],
  ['/v1/parallelism', { model: { preset: 'llama-2-70b' }, hardware: { gpu: 'h100', count: 256 }, search: { topK: 2 } }],
  ['/v1/cost', { model: { preset: 'llama-2-70b' }, hardware: { gpu: 'a100', count: 512 } }],
  ['/v1/compare', { model: { preset: 'llama-2-70b' }, hardware: { count: 512 }, compare: { accelerators: ['h100', 'a100'] } }],
  ['/v1/recommend', { model: { parameters: '70B' }, constraints: { budgetUsd: 1e6, deadlineDays: 120 }, recommend: { accelerators: ['h100', 'a100'] } }],
  ['/v1/sweep', { model: { preset: 'llama-2-70b' }, hardware: { gpu: 'h100', count: 256 }, sweep: { parameter: 'gpus', values: [256, 512] } }],
  ['/v1/scaling', { cluster: { gpu: 'h100', count: 1000, days: 30 } }],
];

describe('assumptions name fields the request accepts', () => {
  it.each(REQUESTS)('%s %j', async (url, payload) => {
    const res = await app.inject({ method: 'POST', url, payload });
    expect(res.statusCode, res.body).toBe(200);
    const fields = [...new Set((res.json().assumptions as { field: string }[]).map((a) => a.field))];
    expect(fields.length).toBeGreaterThan(0);
    const schema = spec.paths[url].post.requestBody.content['application/json'].schema as Schema;
    expect(fields.filter((f) => !accepts(schema, f))).toEqual([]);
  });

  it('the check itself refuses a field no request has', () => {
    const schema = spec.paths['/v1/estimate'].post.requestBody.content['application/json'].schema as Schema;
    expect(accepts(schema, '/cost/pue')).toBe(true);
    expect(accepts(schema, '/cost/onPrem')).toBe(false);
    expect(accepts(schema, '/hardware/count')).toBe(true);
  });
});
