// Load shedding: when the event loop lags (@fastify/under-pressure measures it), new requests get 503
// problem+json with Retry-After at once instead of queueing behind the lag; probes and /metrics are
// always answered so an orchestrator does not kill a busy but healthy process. A full worker queue
// answers the same way (PlanQueueFullError, src/workers/plan-pool.ts).
import underPressure from '@fastify/under-pressure';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { requestAbortSignal } from '../workers/plan-pool.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** the handler runs a planning task on the worker pool (see PLANNER_ROUTE) */
    planner?: boolean;
  }
}

/**
 * Route config of the POST routes whose handler runs a planning task on the worker pool. While the
 * pool's queue is full they are refused in onRequest, before the body is read, parsed and validated:
 * refusing must cost far less than the work it avoids. Each such route declares it where it is defined.
 */
export const PLANNER_ROUTE = { planner: true } as const;

function isPlannerRoute(request: FastifyRequest): boolean {
  return request.routeOptions.config?.planner === true;
}

export interface PressureOptions {
  /** shed load when the mean event-loop delay over a sample exceeds this; 0 = off */
  maxEventLoopDelayMs: number;
  /** Retry-After sent with the 503, seconds (default 2) */
  retryAfterSeconds?: number;
  /** how often the delay is sampled, ms (default 500) */
  sampleIntervalMs?: number;
  /** the worker queue: when full, routes with PLANNER_ROUTE config get 503 before their body is read */
  queue?: () => { full: boolean; retryAfterSeconds: number };
}

/** The process is overloaded right now. 503 + Retry-After. */
export class OverloadedError extends Error {
  readonly statusCode = 503;
  readonly code = 'TRAINPLAN_OVERLOADED';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    /** for trainplan_shed_total */
    readonly shedReason: 'event_loop_delay' | 'queue_full',
  ) {
    super(message);
    this.name = 'OverloadedError';
  }
}

const ALWAYS_SERVED = new Set(['/healthz', '/readyz', '/metrics']);

function alwaysServed(request: FastifyRequest): boolean {
  return ALWAYS_SERVED.has(request.url.split('?')[0] ?? '');
}

export const pressurePlugin = fp(
  async (app: FastifyInstance, options: PressureOptions) => {
    const retryAfterSeconds = options.retryAfterSeconds ?? 2;
    await app.register(underPressure, {
      maxEventLoopDelay: options.maxEventLoopDelayMs,
      sampleInterval: options.sampleIntervalMs ?? 500,
      retryAfter: retryAfterSeconds,
      exposeStatusRoute: false,
      pressureHandler: (request, _reply, type, value) => {
        if (alwaysServed(request)) return undefined;
        const what = type === 'eventLoopDelay' ? `event-loop delay ${Math.round(Number(value))} ms > ${options.maxEventLoopDelayMs} ms` : String(type);
        request.log.warn({ type, value }, 'shedding load');
        return Promise.reject(new OverloadedError(`the service is overloaded (${what}); retry after ${retryAfterSeconds} s`, retryAfterSeconds, 'event_loop_delay'));
      },
    });

    // A client that disconnects before its answer gives up its planning task: the handler runs inside
    // this request's abort signal (AsyncLocalStorage), which the worker pool passes to the task.
    app.addHook('preHandler', (request, reply, done) => {
      if (!isPlannerRoute(request)) return done();
      const controller = new AbortController();
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) controller.abort(new Error('the client disconnected'));
      });
      requestAbortSignal.run(controller.signal, done);
    });

    const queue = options.queue;
    if (queue) {
      app.addHook('onRequest', async (request) => {
        if (!isPlannerRoute(request)) return;
        const q = queue();
        if (q.full) throw new OverloadedError(`the planning queue is full; retry after ${q.retryAfterSeconds} s`, q.retryAfterSeconds, 'queue_full');
      });
    }
  },
  { name: 'trainplan-pressure' },
);
