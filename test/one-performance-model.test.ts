// One performance model behind every endpoint (issue 10): sizing for a deadline uses the step-time
// model that /v1/estimate uses, so an estimate at the sized count meets the deadline; a flat MFU
// only when the request gives efficiency.mfu.
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

async function post(url: string, payload: object) {
  const res = await app.inject({ method: 'POST', url, payload });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

const workload = { model: { parameters: '100B' }, training: { tokens: '2T' } };

describe('GPUs for a deadline come from the step-time model', () => {
  it('100B on 2T tokens on A100 in 90 days: the estimate at the sized count finishes in time, at half of it does not', async () => {
    const sizing = await post('/v1/gpu-sizing', { ...workload, hardware: { gpu: 'a100' }, constraints: { deadlineDays: 90 } });
    const g = sizing.gpusForDeadline as number;
    expect(g % 8).toBe(0); // whole nodes
    expect(sizing.reasoning.join(' ')).toMatch(/step-time model/);
    const at = await post('/v1/estimate', { ...workload, hardware: { gpu: 'a100', count: g } });
    expect(at.time.days).toBeLessThanOrEqual(90);
    const half = await post('/v1/estimate', { ...workload, hardware: { gpu: 'a100', count: g / 2 } });
    expect(half.time.days).toBeGreaterThan(90);
    // the recommendation adds the planning guide's margin on top, so it meets the deadline too
    expect(sizing.recommendedGpus).toBeGreaterThanOrEqual(g);
  });

  it('an estimate without a GPU count is sized for the deadline and meets it', async () => {
    const e = await post('/v1/estimate', { ...workload, hardware: { gpu: 'h100' }, constraints: { deadlineDays: 60 } });
    expect(e.time.days).toBeLessThanOrEqual(60);
    expect(e.assumptions.some((a: { field: string }) => a.field === '/hardware/count')).toBe(true);
  });

  it('with efficiency.mfu the deadline count is model FLOPs at that flat rate: ⌈F / (days · 86400 · peak · MFU)⌉', async () => {
    const mfu = 0.4;
    const sizing = await post('/v1/gpu-sizing', { ...workload, hardware: { gpu: 'a100' }, constraints: { deadlineDays: 90 }, efficiency: { mfu } });
    const flops = await post('/v1/flops', workload);
    const expected = Math.ceil(flops.total / (90 * 86_400 * 312e12 * mfu)); // A100 bf16 dense peak 312 TFLOP/s
    expect(sizing.gpusForDeadline).toBe(expected);
  });
});

describe('the compute of a cluster comes from the step-time model', () => {
  it('1,000 H100 for 30 days: the MFU is what /v1/estimate predicts for the compute-optimal model on that cluster (a fixed point)', async () => {
    const s = await post('/v1/scaling', { cluster: { gpu: 'h100', count: 1000, days: 30 } });
    expect(s.cluster.mfuSource).toBe('step-time-model');
    const { mfu, goodput } = s.cluster;
    expect(s.computeFlops).toBeCloseTo(1000 * 30 * 86_400 * 989.4e12 * mfu * goodput, -20);
    // plan the model the answer recommends, as the assumption describes it, and read its MFU back
    const batch = Number(/batch (\d+)/.exec(s.assumptions.find((a: { field: string }) => a.field === '/cluster/mfu').reason)![1]);
    const e = await post('/v1/estimate', {
      model: { parameters: Math.round(s.optimal.ruleOfThumb.parameters) },
      training: { tokens: Math.round(s.optimal.ruleOfThumb.tokens), sequenceLength: 4096, globalBatchSize: batch },
      hardware: { gpu: 'h100', count: 1000 },
    });
    expect(Math.abs(e.performance.mfu - mfu) / mfu).toBeLessThan(0.03);
    // and that model trains in about the cluster's 30 days
    expect(e.time.days).toBeGreaterThan(30 * 0.9);
    expect(e.time.days).toBeLessThan(30 * 1.1);
  });

  it('a V100 cluster trains in fp16, its own default precision, listed as assumed', async () => {
    const s = await post('/v1/scaling', { cluster: { gpu: 'v100', count: 64, days: 30 } });
    expect(s.assumptions.find((a: { field: string }) => a.field === '/cluster/precision').value).toBe('fp16');
    expect(s.cluster.peakFlopsPerSecond).toBe(125e12); // V100 fp16 tensor-core peak
  });

  it('a given cluster.mfu is used as given', async () => {
    const s = await post('/v1/scaling', { cluster: { gpu: 'h100', count: 1000, days: 30, mfu: 0.4 } });
    expect(s.cluster.mfuSource).toBe('request');
    expect(s.computeFlops).toBeCloseTo(1000 * 30 * 86_400 * 989.4e12 * 0.4, -18);
  });
});

describe('a budget buys the fastest plans within it and says what it can train', () => {
  const ask = (budgetUsd: number) => post('/v1/recommend', {
    model: { parameters: '70B' }, constraints: { budgetUsd },
    recommend: { accelerators: ['h100-sxm-80gb', 'a100-sxm-80gb', 'mi300x'], procurement: 'cloud' },
  });

  it('fastest first, every option within the budget, and more budget is never slower', async () => {
    let previousDays = Infinity;
    let previousParameters = 0;
    for (const budget of [1e6, 5e6, 10e6]) {
      const r = await ask(budget);
      expect(r.ranking).toBe('fastest');
      expect(r.options.length).toBeGreaterThan(0);
      const days = r.options.map((o: { days: number }) => o.days);
      expect(days).toEqual([...days].sort((a, b) => a - b));
      for (const o of r.options) expect(o.costUsd).toBeLessThanOrEqual(budget);
      expect(days[0]).toBeLessThanOrEqual(previousDays);
      previousDays = days[0];
      // the compute-optimal model grows as √budget (C ∝ budget, N = √(C / 120))
      expect(r.budgetBuys.parameters).toBeGreaterThan(previousParameters);
      expect(r.budgetBuys.tokens / r.budgetBuys.parameters).toBeCloseTo(20, 6);
      expect(6 * r.budgetBuys.parameters * r.budgetBuys.tokens).toBeCloseTo(r.budgetBuys.computeFlops, -10);
      previousParameters = r.budgetBuys.parameters;
    }
  });

  it('with a deadline too, the cheapest plan that meets both comes first', async () => {
    const r = await post('/v1/recommend', {
      model: { parameters: '70B' }, constraints: { budgetUsd: 5e6, deadlineDays: 60 },
      recommend: { accelerators: ['h100-sxm-80gb', 'mi300x'], procurement: 'cloud' },
    });
    expect(r.ranking).toBe('cheapest');
    const costs = r.options.map((o: { costUsd: number }) => o.costUsd);
    expect(costs).toEqual([...costs].sort((a, b) => a - b));
  });
});
