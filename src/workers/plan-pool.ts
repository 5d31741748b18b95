// The server's pool of worker threads for planning tasks: searches and sizing are CPU-bound and
// must never stall the event loop that serves health checks and cheap requests.
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { PlanTask, PlanTaskResult } from '../domain/plan-tasks.js';

export interface PlanPoolOptions {
  /** worker threads (default: piscina's, from the CPU count) */
  maxThreads?: number;
  /** tasks allowed to wait for a thread before run() rejects with PlanQueueFullError (default 4 × threads) */
  maxQueue?: number;
}

export interface PlanPool {
  run(task: PlanTask): Promise<PlanTaskResult>;
  readonly queueSize: number;
  readonly threads: number;
  close(): Promise<void>;
}

/** The queue is full: the route answers 503 with Retry-After instead of queueing without bound. */
export class PlanQueueFullError extends Error {
  readonly statusCode = 503;
  readonly code = 'TRAINPLAN_QUEUE_FULL';
  constructor(limit: number) {
    super(`the planning queue is full (${limit} tasks waiting); retry shortly`);
    this.name = 'PlanQueueFullError';
  }
}

/** dist/ loads the compiled plan-worker.js; sources (tsx, vitest) load the .mjs bootstrap that registers tsx. */
function workerFilename(): string {
  const self = fileURLToPath(import.meta.url);
  return fileURLToPath(new URL(self.endsWith('.js') ? './plan-worker.js' : './plan-worker.mjs', import.meta.url));
}

export function createPlanPool(options: PlanPoolOptions = {}): PlanPool {
  const pool = new Piscina<PlanTask, PlanTaskResult>({
    filename: workerFilename(),
    minThreads: 1,
    idleTimeout: 30_000,
    ...(options.maxThreads !== undefined ? { maxThreads: options.maxThreads } : {}),
  });
  const maxQueue = options.maxQueue ?? 4 * pool.maxThreads;
  return {
    async run(task) {
      if (pool.queueSize >= maxQueue) throw new PlanQueueFullError(maxQueue);
      return pool.run(task);
    },
    get queueSize() {
      return pool.queueSize;
    },
    get threads() {
      return pool.threads.length;
    },
    close: () => pool.close(),
  };
}
