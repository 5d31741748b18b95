import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { InputProblemError, type FieldProblem } from '../domain/core/index.js';
import { NotFoundProblemError } from '../errors.js';

const PROBLEM_BASE = 'https://trainplan.dev/problems/';
/** Field problems listed in one answer; the detail says how many more there were. */
const MAX_LISTED_PROBLEMS = 50;

interface AjvLikeError {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** AJV error → { path, message } with a JSON Pointer that names the offending field itself. */
export function fieldProblemFromAjv(error: AjvLikeError, context: string | undefined): FieldProblem {
  let path = error.instancePath ?? '';
  const params = error.params ?? {};
  if (error.keyword === 'required' && typeof params.missingProperty === 'string') {
    path = `${path}/${params.missingProperty}`;
  } else if (error.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
    path = `${path}/${params.additionalProperty}`;
    return { path: prefix(context, path), message: 'unknown property (not in the schema)' };
  }
  let message = error.message ?? 'is invalid';
  if (error.keyword === 'enum' && Array.isArray(params.allowedValues)) {
    message = `must be one of: ${params.allowedValues.map(String).join(', ')}`;
  }
  return { path: prefix(context, path), message };
}

function prefix(context: string | undefined, path: string): string {
  // Body paths are plain pointers into the body; other parts say where they are.
  if (!context || context === 'body') return path === '' ? '/' : path;
  return `${context}:${path === '' ? '/' : path}`;
}

const UNION_BRANCH_NOISE = /^(must be (string|number)|must match pattern .*)$/;

/**
 * Several AJV errors at one path collapse into one readable line. A count field is a union of a
 * number and an SI string ("175B"): AJV reports each failed branch; say what is wanted instead.
 */
function dedupe(errors: AjvLikeError[], context: string | undefined): FieldProblem[] {
  const byPath = new Map<string, { messages: string[]; union: boolean }>();
  for (const e of errors) {
    const p = fieldProblemFromAjv(e, context);
    const entry = byPath.get(p.path) ?? { messages: [], union: false };
    if (e.keyword === 'anyOf') entry.union = true;
    else if (!entry.messages.includes(p.message)) entry.messages.push(p.message);
    byPath.set(p.path, entry);
  }
  return [...byPath.entries()].map(([path, { messages, union }]) => {
    if (!union) return { path, message: messages.join('; ') };
    const meaningful = messages.filter((m) => !UNION_BRANCH_NOISE.test(m));
    const wanted = 'a number, or a string with an SI suffix such as "175B", "15.6T", "16M"';
    return { path, message: meaningful.length > 0 ? `${meaningful.join('; ')} (${wanted})` : `must be ${wanted}` };
  });
}

function send(reply: FastifyReply, request: FastifyRequest, status: number, title: string, detail: string, errors?: FieldProblem[]) {
  const slug = title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/(^-|-$)/g, '');
  return reply
    .code(status)
    .type('application/problem+json')
    .send({
      type: `${PROBLEM_BASE}${slug}`,
      title,
      status,
      detail,
      instance: request.url,
      requestId: String(request.id),
      ...(errors ? { errors } : {}),
    });
}

const STATUS_TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  499: 'Client Closed Request',
  503: 'Service Unavailable',
};

/** One error handler for the whole app: every error leaves as application/problem+json; 5xx details are masked. */
export const problemPlugin = fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler((error: FastifyError & { errors?: FieldProblem[] }, request, reply) => {
      if (error instanceof InputProblemError) {
        return send(reply, request, 400, error.title, `${error.errors.length} problem(s) with the request: ${error.message}`, error.errors);
      }
      if (error instanceof NotFoundProblemError) {
        return send(reply, request, 404, 'Not Found', error.message);
      }
      if (error.validation) {
        const all = dedupe(error.validation as AjvLikeError[], error.validationContext);
        // at most MAX_LISTED_PROBLEMS listed: a body with thousands of bad fields must not get an answer many times its size
        const problems = all.slice(0, MAX_LISTED_PROBLEMS);
        const more = all.length > problems.length ? `; and ${all.length - problems.length} more` : '';
        return send(reply, request, 400, 'Invalid request', `${all.length} problem(s) with the request: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}${more}`, problems);
      }
      const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
      // Overload and a full worker queue say when to come back (RFC 9110 §10.2.3).
      const retryAfter = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds;
      if (typeof retryAfter === 'number' && Number.isFinite(retryAfter) && retryAfter > 0) reply.header('retry-after', String(Math.ceil(retryAfter)));
      if (status >= 400 && status < 500) {
        const title = STATUS_TITLES[status] ?? 'Bad Request';
        return send(reply, request, status, title, error.message || title);
      }
      if (status === 503) {
        return send(reply, request, 503, STATUS_TITLES[503]!, error.message || 'The service is overloaded; retry later');
      }
      request.log.error({ err: error }, 'unhandled error');
      return send(reply, request, 500, 'Internal Server Error', 'An unexpected error occurred; it has been logged with this request id.');
    });

    // 405 for a path that exists under other methods (RFC 9110 §15.5.6, with Allow); 404 otherwise
    const routes: { pattern: RegExp; method: string }[] = [];
    app.addHook('onRoute', (route) => {
      const pattern = new RegExp(`^${route.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z0-9_]+/g, '[^/]+')}/?$`);
      for (const method of [route.method].flat()) routes.push({ pattern, method });
    });
    app.setNotFoundHandler((request, reply) => {
      const path = request.url.split('?')[0] ?? '/';
      const allowed = [...new Set(routes.filter((r) => r.pattern.test(path)).map((r) => r.method))].sort();
      if (allowed.length > 0) {
        reply.header('allow', allowed.join(', '));
        return send(reply, request, 405, 'Method Not Allowed', `${request.method} is not allowed on ${path}; allowed: ${allowed.join(', ')}`);
      }
      return send(reply, request, 404, 'Not Found', `No route ${request.method} ${path}; see /docs for the API`);
    });
  },
  { name: 'trainplan-problem' },
);
