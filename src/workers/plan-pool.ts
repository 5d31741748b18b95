// The server's pool of worker threads for planning tasks: searches and sizing are CPU-bound and
// must never stall the event loop that serves health checks and cheap requests. The queue in front
// of the threads is bounded (a full queue answers 503 with Retry-After) and every task has a hard
// deadline (a task past it is stopped and its thread replaced), so no request can hold a thread forever.
import { AsyncLocalStorage } from 'node:async_hooks';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { PlanTask, PlanTaskResult } from '../domain/planning/index.js';

export interface PlanPoolOptions {
  /** worker threads (default: piscina's, from the CPU count) */
  maxThreads?: number;
  /** hard cap on tasks waiting for a thread (default 256 × threads); admission is by predicted wait first */
  maxQueue?: number;
  /**
   * admission: run() rejects with PlanQueueFullError when the predicted wait for a thread (tasks queued
   * and running × the measured service time ÷ threads) exceeds this (default 2000 ms)
   */
  maxWaitMs?: number;
  /** a task running (or waiting) longer than this is aborted with PlanTimeoutError (default: none) */
  taskTimeoutMs?: number;
  /** worker threads kept alive while idle (default 1) */
  minThreads?: number;
}

/** What the pool has done so far and holds now; read by GET /metrics. */
export interface PlanPoolStats {
  /** tasks waiting for a thread */
  queueSize: number;
  maxQueue: number;
  /** worker threads started */
  threads: number;
  maxThreads: number;
  /** tasks running on a thread now */
  running: number;
  completed: number;
  rejectedQueueFull: number;
  timedOut: number;
  /** tasks dropped because their client disconnected before the answer */
  abandoned: number;
  /** moving average of a task's wall time (queue wait included), ms */
  meanTaskMs: number;
  /** moving average of a task's service time (measured on tasks that did not wait), ms */
  meanServiceMs: number;
  /** what a task submitted now would wait for a thread, ms */
  predictedWaitMs: number;
  maxWaitMs: number;
}

export interface PlanPool {
  run(task: PlanTask): Promise<PlanTaskResult>;
  /** true while run() would reject with PlanQueueFullError */
  isFull(): boolean;
  readonly queueSize: number;
  readonly threads: number;
  /** the worker threads' ids: a thread that was stopped and replaced gets a new one */
  threadIds(): number[];
  stats(): PlanPoolStats;
  close(): Promise<void>;
}

/** The queue is full: the route answers 503 with Retry-After instead of queueing without bound. */
export class PlanQueueFullError extends Error {
  readonly statusCode = 503;
  readonly code = 'TRAINPLAN_QUEUE_FULL';
  readonly shedReason = 'queue_full';
  constructor(
    limit: number,
    /** seconds after which a retry is likely to find room (the problem handler sends it as Retry-After) */
    readonly retryAfterSeconds = 1,
  ) {
    super(`the planning queue is full (${limit} tasks waiting); retry shortly`);
    this.name = 'PlanQueueFullError';
  }
}

/** A planning task exceeded the pool's hard deadline and was stopped (its worker thread is replaced). */
export class PlanTimeoutError extends Error {
  readonly statusCode = 503;
  readonly code = 'TRAINPLAN_PLAN_TIMEOUT';
  readonly shedReason = 'task_timeout';
  constructor(timeoutMs: number) {
    super(
      `planning took longer than ${timeoutMs} ms and was stopped; fix more of the layout (parallelism.*), give hardware.count, or lower search.timeBudgetMs`,
    );
    this.name = 'PlanTimeoutError';
  }
}

/**
 * The abort signal of the HTTP request a task is run for (set by src/plugins/pressure.ts around each
 * handler): when the client disconnects while its task waits for a thread, the task leaves the queue.
 * A task already on a thread finishes there and its answer is dropped: stopping it would terminate
 * the thread, and the next request would wait for a new one to start.
 */
export const requestAbortSignal = new AsyncLocalStorage<AbortSignal>();

/** The client disconnected before its answer; the task was dropped. Nobody receives this answer (499, as nginx logs it). */
export class PlanAbandonedError extends Error {
  readonly statusCode = 499;
  readonly code = 'TRAINPLAN_CLIENT_CLOSED';
  constructor() {
    super('the client disconnected before the answer; its planning task was dropped');
    this.name = 'PlanAbandonedError';
  }
}

/** dist/ loads the compiled plan-worker.js; sources (tsx, vitest) load the .mjs bootstrap that registers tsx. */
function workerFilename(): string {
  const self = fileURLToPath(import.meta.url);
  return fileURLToPath(new URL(self.endsWith('.js') ? './plan-worker.js' : './plan-worker.mjs', import.meta.url));
}

/** Retry-After for a full queue: about the time the queue ahead needs to drain, 1..30 s. */
export function retryAfterSecondsFor(meanTaskMs: number, queued: number, threads: number): number {
  const drainSeconds = (meanTaskMs * (queued + threads)) / Math.max(1, threads) / 1000;
  return Math.min(30, Math.max(1, Math.ceil(Number.isFinite(drainSeconds) ? drainSeconds : 1)));
}

export function createPlanPool(options: PlanPoolOptions = {}): PlanPool {
  const pool = new Piscina<PlanTask, PlanTaskResult>({
    filename: workerFilename(),
    minThreads: options.minThreads ?? 1,
    idleTimeout: 30_000,
    ...(options.maxThreads !== undefined ? { maxThreads: options.maxThreads } : {}),
  });
  const maxQueue = options.maxQueue ?? 256 * pool.maxThreads;
  const maxWaitMs = options.maxWaitMs ?? 2000;
  let running = 0;
  let completed = 0;
  let rejectedQueueFull = 0;
  let timedOut = 0;
  let abandoned = 0;
  // exponential moving averages of task wall time (for Retry-After) and of service time (for admission)
  let meanTaskMs = 100;
  let meanServiceMs = 20;
  // tasks wait here, not in piscina's queue, until a thread is free: a waiting task can leave without
  // touching a thread; piscina only ever gets as many tasks as it has threads
  let onThreads = 0;
  const waiting: { start: () => void }[] = [];
  const queued = (): number => waiting.length + pool.queueSize;
  const predictedWaitMs = (): number =>
    onThreads < pool.maxThreads ? 0 : ((queued() + 1) * meanServiceMs) / Math.max(1, pool.maxThreads);
  const full = (): boolean => queued() >= maxQueue || predictedWaitMs() > maxWaitMs;

  /** A thread for one task, in arrival order; rejects (the task leaves the queue) when `signal` aborts first. */
  const acquireThread = (signal: AbortSignal | undefined): Promise<void> => {
    if (onThreads < pool.maxThreads && waiting.length === 0) {
      onThreads++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const i = waiting.indexOf(entry);
        if (i >= 0) waiting.splice(i, 1);
        reject(signal?.reason ?? new Error('aborted'));
      };
      const entry = {
        start: (): void => {
          signal?.removeEventListener('abort', onAbort);
          onThreads++;
          resolve();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      waiting.push(entry);
    });
  };
  const releaseThread = (): void => {
    onThreads--;
    waiting.shift()?.start();
  };

  return {
    async run(task) {
      if (full()) {
        rejectedQueueFull++;
        throw new PlanQueueFullError(maxQueue, retryAfterSecondsFor(meanTaskMs, queued(), pool.maxThreads));
      }
      const timeoutMs = options.taskTimeoutMs;
      const timeout = timeoutMs !== undefined ? AbortSignal.timeout(timeoutMs) : undefined;
      const client = requestAbortSignal.getStore();
      const signals = [timeout, client].filter((s): s is AbortSignal => s !== undefined);
      const whileWaiting = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
      const started = performance.now();
      // a task that finds a free thread measures the service time itself
      const waitless = onThreads < pool.maxThreads && waiting.length === 0;
      running++;
      try {
        if (client?.aborted) throw new PlanAbandonedError();
        await acquireThread(whileWaiting);
        try {
          // on a thread only the hard deadline stops it (that replaces the thread); a client that leaves does not
          return await pool.run(task, timeout ? { signal: timeout } : {});
        } finally {
          releaseThread();
        }
      } catch (error) {
        if (timeout?.aborted && timeoutMs !== undefined) {
          timedOut++;
          throw new PlanTimeoutError(timeoutMs);
        }
        if (client?.aborted) {
          abandoned++;
          throw new PlanAbandonedError();
        }
        throw error;
      } finally {
        running--;
        completed++;
        const wallMs = performance.now() - started;
        meanTaskMs = 0.8 * meanTaskMs + 0.2 * wallMs;
        if (waitless) meanServiceMs = 0.8 * meanServiceMs + 0.2 * wallMs;
      }
    },
    isFull: full,
    get queueSize() {
      return queued();
    },
    get threads() {
      return pool.threads.length;
    },
    threadIds: () => pool.threads.map((t) => t.threadId),
    stats() {
      const queueSize = queued();
      return {
        queueSize,
        maxQueue,
        threads: pool.threads.length,
        maxThreads: pool.maxThreads,
        running: onThreads,
        completed,
        rejectedQueueFull,
        timedOut,
        abandoned,
        meanTaskMs,
        meanServiceMs,
        predictedWaitMs: predictedWaitMs(),
        maxWaitMs,
      };
    },
    close: () => pool.close(),
  };
}
