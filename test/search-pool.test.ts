import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { searchLayouts, type SearchResult } from '../src/domain/parallelism.js';
import { createSearchPool, searchWorkerFilename, SearchQueueFullError } from '../src/workers/search-pool.js';
import { A100_80GB } from './fixtures/accelerators.js';
import { GPT3_175B, LLAMA2_7B, searchRequest, training } from './fixtures/search-workloads.js';

const withoutTiming = (r: SearchResult) => ({ ...r, elapsedMs: 0 });

describe('search worker pool (piscina)', () => {
  const pool = createSearchPool({ maxThreads: 1, maxQueue: 1 });
  afterAll(async () => {
    await pool.close();
  });

  it('loads its worker from a real file', () => {
    const file = searchWorkerFilename();
    expect(existsSync(file)).toBe(true);
    expect(file).toMatch(/search-worker\.(mjs|js)$/);
  });

  it('runs a search in a worker thread and returns what the same search returns in-thread', async () => {
    const req = searchRequest(GPT3_175B, training(2048, 1536), A100_80GB, 1024);
    // the main event loop keeps turning while the worker searches: count its turns
    let turns = 0;
    const timer = setInterval(() => {
      turns++;
    }, 1);
    const inWorker = await pool.run(req);
    clearInterval(timer);
    const inThread = searchLayouts(req);
    expect(inWorker.complete).toBe(true);
    expect(withoutTiming(inWorker)).toEqual(withoutTiming(inThread));
    expect(inWorker.candidates.length).toBe(10);
    expect(pool.threads).toBeGreaterThanOrEqual(1);
    // an in-thread search of this size blocks the loop for its whole duration: no turns at all
    expect(turns).toBeGreaterThan(3);
  });

  it('rejects searches beyond the queue limit with SearchQueueFullError', async () => {
    const req = searchRequest(LLAMA2_7B, training(4096, 512), A100_80GB, 64);
    const settled = await Promise.allSettled([pool.run(req), pool.run(req), pool.run(req), pool.run(req)]);
    const rejected = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
    expect(settled.filter((s) => s.status === 'fulfilled').length).toBeGreaterThanOrEqual(1);
    expect(rejected.length).toBeGreaterThanOrEqual(2);
    for (const r of rejected) {
      expect(r.reason).toBeInstanceOf(SearchQueueFullError);
      expect((r.reason as SearchQueueFullError).code).toBe('TRAINPLAN_SEARCH_QUEUE_FULL');
    }
    expect(pool.queueSize).toBe(0);
  });
});
