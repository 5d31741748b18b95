// The server's worker pool: planning tasks run off the event loop and answer exactly what they answer in-thread.
import { DEFAULT_MAX_EVALUATIONS } from '../src/domain/search/index.js';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runPlanTask, type PlanTask, resolveWorkload, type ResolvedWorkload } from '../src/domain/planning/index.js';
import { createPlanPool, PlanQueueFullError } from '../src/workers/plan-pool.js';
import { shippedCatalog } from './helper.js';

function workload(body: Parameters<typeof resolveWorkload>[0]): ResolvedWorkload {
  const w = resolveWorkload(body, shippedCatalog(), { defaultSearchMaxEvaluations: DEFAULT_MAX_EVALUATIONS });
  if ('problems' in w) throw new Error(JSON.stringify(w.problems));
  return w;
}

/** Search wall time differs between runs; everything else must not. */
function withoutTiming(result: ReturnType<typeof runPlanTask>): unknown {
  return JSON.parse(JSON.stringify(result, (key, value) => (key === 'elapsedMs' ? 0 : value)));
}

describe('plan worker pool (piscina)', () => {
  const pool = createPlanPool({ maxThreads: 1, maxQueue: 1 });
  afterAll(async () => {
    await pool.close();
  });

  it('loads its worker from a real file', () => {
    expect(existsSync(fileURLToPath(new URL('../src/workers/plan-worker.mjs', import.meta.url)))).toBe(true);
    expect(existsSync(fileURLToPath(new URL('../src/workers/plan-worker.ts', import.meta.url)))).toBe(true);
  });

  it('runs a GPT-3 175B layout search on 1,024 A100 in a worker, same answer as in-thread, while the event loop turns', async () => {
    const task: PlanTask = {
      kind: 'parallelism',
      workload: workload({ model: { preset: 'gpt-3-175b' }, training: { sequenceLength: 2048, globalBatchSize: 1536 }, hardware: { gpu: 'a100-sxm-80gb', count: 1024 } }),
    };
    let turns = 0;
    const timer = setInterval(() => {
      turns++;
    }, 1);
    const inWorker = await pool.run(task);
    clearInterval(timer);
    const inThread = runPlanTask(task);
    expect(inWorker.ok).toBe(true);
    expect(withoutTiming(inWorker)).toEqual(withoutTiming(inThread));
    if (inWorker.ok && inWorker.kind === 'parallelism') expect(inWorker.value.search.candidates.length).toBe(10);
    // an in-thread search of this size would block the loop for its whole duration
    expect(turns).toBeGreaterThan(3);
  });

  it('returns input problems found in the worker as data (an Error class does not survive the thread boundary)', async () => {
    const task: PlanTask = { kind: 'parallelism', workload: workload({ model: { preset: 'llama-2-7b' }, hardware: { gpu: 'h100', count: 64 }, parallelism: { tensor: 3 } }) };
    const result = await pool.run(task);
    expect(result).toEqual({ ok: false, problems: expect.arrayContaining([expect.objectContaining({ path: '/parallelism/tensor' })]) });
  });

  it('rejects tasks beyond the queue limit with PlanQueueFullError (503)', async () => {
    const task: PlanTask = { kind: 'parallelism', workload: workload({ model: { preset: 'llama-2-7b' }, hardware: { gpu: 'a100-sxm-80gb', count: 64 } }) };
    const settled = await Promise.allSettled([pool.run(task), pool.run(task), pool.run(task), pool.run(task)]);
    const rejected = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
    expect(settled.filter((s) => s.status === 'fulfilled').length).toBeGreaterThanOrEqual(1);
    expect(rejected.length).toBeGreaterThanOrEqual(2);
    for (const r of rejected) {
      expect(r.reason).toBeInstanceOf(PlanQueueFullError);
      expect((r.reason as PlanQueueFullError).statusCode).toBe(503);
    }
  });
});

describe('admission by predicted wait (issue 11)', () => {
  const task = (): PlanTask => ({
    kind: 'parallelism',
    workload: workload({ model: { preset: 'gpt-3-175b' }, training: { sequenceLength: 2048, globalBatchSize: 1536 }, hardware: { gpu: 'a100-sxm-80gb', count: 1024 } }),
  });

  it('refuses a task only when its predicted wait for a thread passes the budget, not by a count', async () => {
    // budget 1 ms: with the one thread busy, the next task would wait about one service time (≥ 1 ms)
    const strict = createPlanPool({ maxThreads: 1, maxWaitMs: 1, maxQueue: 1000 });
    const lenient = createPlanPool({ maxThreads: 1, maxWaitMs: 600_000, maxQueue: 1000 });
    try {
      const busy = strict.run(task());
      await expect(strict.run(task())).rejects.toBeInstanceOf(PlanQueueFullError);
      await busy;
      expect(strict.stats().predictedWaitMs).toBe(0); // idle again: admitted at once
      // a generous budget queues many tasks where a count of 4 per thread would have refused them
      const all = await Promise.all(Array.from({ length: 8 }, () => lenient.run(task())));
      expect(all.every((r) => r.ok)).toBe(true);
      expect(lenient.stats().rejectedQueueFull).toBe(0);
    } finally {
      await strict.close();
      await lenient.close();
    }
  }, 60_000);
});
