// A pool of worker threads (piscina) running layout searches, so one big search never stalls the
// event loop that serves other requests.
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { SearchRequest, SearchResult } from '../domain/parallelism.js';

export interface SearchPoolOptions {
  /** worker threads (default: piscina's, from the CPU count) */
  maxThreads?: number;
  /** searches allowed to wait for a thread before run() rejects with SearchQueueFullError (default: 4 × threads) */
  maxQueue?: number;
  /** worker threads kept alive while idle (default 1) */
  minThreads?: number;
  /** ms an idle thread above minThreads lives (default 30 000) */
  idleTimeoutMs?: number;
}

export interface SearchPool {
  run(request: SearchRequest): Promise<SearchResult>;
  /** searches waiting for a free thread */
  readonly queueSize: number;
  /** worker threads currently started */
  readonly threads: number;
  close(): Promise<void>;
}

/** run() rejected because the pool's queue is full; callers answer 503 and retry later. */
export class SearchQueueFullError extends Error {
  readonly code = 'TRAINPLAN_SEARCH_QUEUE_FULL';
  constructor(limit: number) {
    super(`the layout search queue is full (${limit} searches waiting); retry shortly`);
    this.name = 'SearchQueueFullError';
  }
}

/**
 * The worker file to load. From compiled JavaScript (dist/) the sibling search-worker.js; from
 * TypeScript sources (tsx, vitest) the .mjs bootstrap that registers tsx inside the worker thread.
 */
export function searchWorkerFilename(): string {
  const self = fileURLToPath(import.meta.url);
  return self.endsWith('.js') ? fileURLToPath(new URL('./search-worker.js', import.meta.url)) : fileURLToPath(new URL('./search-worker.mjs', import.meta.url));
}

export function createSearchPool(options: SearchPoolOptions = {}): SearchPool {
  const maxThreads = options.maxThreads;
  const minThreads = Math.min(options.minThreads ?? 1, maxThreads ?? Infinity);
  const piscinaOptions: ConstructorParameters<typeof Piscina>[0] = {
    filename: searchWorkerFilename(),
    minThreads,
    idleTimeout: options.idleTimeoutMs ?? 30_000,
  };
  if (maxThreads !== undefined) piscinaOptions.maxThreads = maxThreads;
  const pool = new Piscina<SearchRequest, SearchResult>(piscinaOptions);
  const maxQueue = options.maxQueue ?? 4 * pool.maxThreads;

  return {
    async run(request) {
      // piscina's own maxQueue only counts tasks once every thread is busy; bound it here so the
      // limit is exact and the error is ours.
      if (pool.queueSize >= maxQueue) throw new SearchQueueFullError(maxQueue);
      return pool.run(request);
    },
    get queueSize() {
      return pool.queueSize;
    },
    get threads() {
      return pool.threads.length;
    },
    async close() {
      await pool.close();
    },
  };
}
