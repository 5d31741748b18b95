// Latency of POST /v1/parallelism: the real app (src/app.ts) on the shipped catalog, in this
// process, with the real worker pool (src/workers/plan-pool.ts) running the searches, listening on
// 127.0.0.1:0. Requests are sequential (one in flight), so the figures are per-request latency,
// not throughput under load (that is the load test's job).
import { request } from 'undici';
import { buildApp } from '../src/app.js';
import { defaultCatalogPaths, loadCatalog } from '../src/config/catalog.js';
import { createPlanPool } from '../src/workers/plan-pool.js';

/** The three searches of bench/search.ts as API requests (same models, batches, precisions, GPUs). */
export const HTTP_WORKLOADS: { name: string; body: Record<string, unknown> }[] = [
  {
    name: 'llama-3.1-405b on 16,384 H100',
    body: {
      model: { preset: 'llama-3.1-405b' },
      training: { tokens: '15.6T', sequenceLength: 8192, globalBatchSize: 2048, precision: 'bf16' },
      hardware: { gpu: 'h100-sxm-80gb', count: 16384 },
    },
  },
  {
    name: 'gpt-3-175b on 1,024 A100',
    body: {
      model: { preset: 'gpt-3-175b' },
      training: { tokens: '300B', sequenceLength: 2048, globalBatchSize: 1536, precision: 'bf16' },
      hardware: { gpu: 'a100-sxm-80gb', count: 1024 },
    },
  },
  {
    name: 'deepseek-v3 on 2,048 H800',
    body: {
      model: { preset: 'deepseek-v3' },
      training: { tokens: '14.8T', sequenceLength: 4096, globalBatchSize: 15360, precision: 'fp8' },
      hardware: { gpu: 'h800-sxm-80gb', count: 2048 },
    },
  },
];

export interface LatencyRow {
  name: string;
  samplesMs: number[];
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** the first request of this workload (cold worker JIT for it) */
  firstMs: number;
  /** the search's own elapsedMs as the response reports it, median */
  searchMedianMs: number;
  complete: boolean;
  candidates: number;
}

/** Nearest-rank percentile of a sample. */
export function percentile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] as number;
}

export async function measureLatency(opts: { requests: number; warmup: number; perWorkloadMs: number; threads?: number }): Promise<{ rows: LatencyRow[]; threads: number }> {
  const pool = createPlanPool(opts.threads !== undefined ? { maxThreads: opts.threads } : {});
  const app = await buildApp({ catalog: loadCatalog(defaultCatalogPaths()), logger: false, planRunner: (task) => pool.run(task) });
  try {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    const url = `http://127.0.0.1:${address.port}/v1/parallelism`;
    const post = async (body: unknown): Promise<{ ms: number; json: { elapsedMs: number; complete: boolean; candidates: unknown[] } }> => {
      const t0 = performance.now();
      const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const json = (await res.body.json()) as { elapsedMs: number; complete: boolean; candidates: unknown[] };
      const ms = performance.now() - t0;
      if (res.statusCode !== 200) throw new Error(`POST /v1/parallelism answered ${res.statusCode}: ${JSON.stringify(json).slice(0, 300)}`);
      return { ms, json };
    };
    const rows: LatencyRow[] = [];
    for (const { name, body } of HTTP_WORKLOADS) {
      const first = await post(body);
      for (let i = 1; i < opts.warmup; i++) await post(body);
      const samplesMs: number[] = [];
      const searchMs: number[] = [];
      let last = first.json;
      const stop = performance.now() + opts.perWorkloadMs;
      while (samplesMs.length < opts.requests && (samplesMs.length < 5 || performance.now() < stop)) {
        const r = await post(body);
        samplesMs.push(r.ms);
        searchMs.push(r.json.elapsedMs);
        last = r.json;
      }
      rows.push({
        name, samplesMs,
        p50Ms: percentile(samplesMs, 0.5), p99Ms: percentile(samplesMs, 0.99), maxMs: Math.max(...samplesMs),
        firstMs: first.ms, searchMedianMs: percentile(searchMs, 0.5), complete: last.complete, candidates: last.candidates.length,
      });
    }
    return { rows, threads: pool.threads };
  } finally {
    await app.close();
    await pool.close();
  }
}
