// Input and access security: a strict JSON body parser (depth, duplicate keys, prototype-pollution
// keys → 400), request ids that cannot inject into logs, security headers (@fastify/helmet), CORS for
// dashboards and API-key authentication (both off unless configured).
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import type { FastifyInstance, FastifyRequest, RawRequestDefaultExpression } from 'fastify';
import fp from 'fastify-plugin';

// --- strict JSON ------------------------------------------------------------------------------------

/** Deepest nesting a body may have; the workload is 3 levels deep. */
export const MAX_JSON_DEPTH = 32;
/** Most members one object or array may have (the largest schema object has a dozen; arrays ≤ 64 items). */
export const MAX_JSON_MEMBERS = 1000;
/** Keys that pollute prototypes when a body is merged into an object (CVE class: prototype pollution). */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** A body that is not acceptable JSON. Always 400, named so a client can see which rule it broke. */
export class JsonBodyError extends Error {
  readonly statusCode = 400;
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'JsonBodyError';
  }
}

function decodeKey(raw: string): string {
  return raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
}

interface Level {
  object: boolean;
  keys: Set<string> | undefined;
  expectKey: boolean;
  path: string;
  members: number;
}

/**
 * Structure check of syntactically valid JSON text in one pass: nesting depth, duplicate keys in one
 * object (JSON.parse silently keeps the last; RFC 8259 §4 leaves it undefined) and prototype-pollution
 * keys (escaped spellings such as "\u005f_proto__" included). Throws JsonBodyError naming the path.
 */
export function checkJsonStructure(text: string, maxDepth = MAX_JSON_DEPTH, maxMembers = MAX_JSON_MEMBERS): void {
  // too many members: thousands of unknown keys would make thousands of validation errors (CPU and a
  // response many times the request), so they are refused before validation
  const tooMany = (level: Level) =>
    new JsonBodyError('TRAINPLAN_JSON_TOO_MANY_MEMBERS', `${level.path || '/'}: more than ${maxMembers} ${level.object ? 'keys in one object' : 'items in one array'}`);
  const stack: Level[] = [];
  let pendingKey: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22 /* " */) {
      let j = i + 1;
      while (j < text.length) {
        const c = text.charCodeAt(j);
        if (c === 0x5c /* \ */) j += 2;
        else if (c === 0x22) break;
        else j++;
      }
      const top = stack.at(-1);
      if (top?.object && top.expectKey) {
        const key = decodeKey(text.slice(i + 1, j));
        const path = `${top.path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
        if (FORBIDDEN_KEYS.has(key)) throw new JsonBodyError('TRAINPLAN_FORBIDDEN_KEY', `${path}: the key "${key}" is not allowed (prototype pollution)`);
        if (top.keys!.has(key)) throw new JsonBodyError('TRAINPLAN_DUPLICATE_KEY', `${path}: duplicate key "${key}" in one object`);
        top.keys!.add(key);
        pendingKey = path;
        top.expectKey = false;
      }
      i = j;
    } else if (ch === 0x7b /* { */ || ch === 0x5b /* [ */) {
      if (stack.length >= maxDepth) throw new JsonBodyError('TRAINPLAN_JSON_TOO_DEEP', `the body nests deeper than ${maxDepth} levels`);
      const parent = stack.at(-1);
      const path = parent?.object ? (pendingKey ?? parent.path) : parent ? `${parent.path}/-` : '';
      stack.push({ object: ch === 0x7b, keys: ch === 0x7b ? new Set() : undefined, expectKey: ch === 0x7b, path, members: 1 });
    } else if (ch === 0x7d /* } */ || ch === 0x5d /* ] */) {
      stack.pop();
    } else if (ch === 0x2c /* , */) {
      const top = stack.at(-1);
      if (top) {
        if (++top.members > maxMembers) throw tooMany(top);
        if (top.object) top.expectKey = true;
      }
    }
  }
}

/** JSON.parse plus checkJsonStructure; empty and malformed bodies are JsonBodyErrors too. */
export function parseStrictJson(text: string, maxDepth = MAX_JSON_DEPTH, maxMembers = MAX_JSON_MEMBERS): unknown {
  if (text.trim() === '') throw new JsonBodyError('TRAINPLAN_EMPTY_BODY', 'the body is empty; send a JSON object');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new JsonBodyError('TRAINPLAN_MALFORMED_JSON', `the body is not valid JSON: ${(error as Error).message.slice(0, 200)}`);
  }
  checkJsonStructure(text, maxDepth, maxMembers);
  return value;
}

// --- request ids -------------------------------------------------------------------------------------

const REQUEST_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

/** The caller's x-request-id when it is a safe token (≤ 128 of [A-Za-z0-9._:@-]), else a fresh UUID. */
export function requestIdFrom(req: IncomingMessage | RawRequestDefaultExpression): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

// --- API keys ----------------------------------------------------------------------------------------

/** Missing or wrong API key. 401 with WWW-Authenticate. */
export class UnauthorizedError extends Error {
  readonly statusCode = 401;
  readonly code = 'TRAINPLAN_UNAUTHORIZED';
  constructor(message: string) {
    super(message);
    this.name = 'UnauthorizedError';
  }
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * A checker comparing a presented key with every configured key in constant time: both sides are
 * hashed to 32 bytes (so lengths never differ) and every key is compared, without an early exit.
 */
export function apiKeyChecker(keys: readonly string[]): (presented: string) => boolean {
  const digests = keys.map(digest);
  return (presented) => {
    const d = digest(presented);
    let ok = false;
    for (const k of digests) ok = timingSafeEqual(d, k) || ok;
    return ok;
  };
}

/** The key a request presents: `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
export function presentedKey(request: FastifyRequest): string | undefined {
  const auth = request.headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  const header = request.headers['x-api-key'];
  return typeof header === 'string' && header !== '' ? header.trim() : undefined;
}

/** Paths open without a key: probes, metrics (keep them on the cluster network), the API documentation and the planner page (its API calls carry the key). */
export function isPublicPath(url: string): boolean {
  const path = url.split('?')[0] ?? '';
  return path === '/' || path === '/healthz' || path === '/readyz' || path === '/metrics' || path === '/openapi.json' || path === '/docs' || path.startsWith('/docs/') || path.startsWith('/planner/');
}

// --- the plugin --------------------------------------------------------------------------------------

export interface SecurityOptions {
  /** API keys; empty or absent = authentication off */
  apiKeys?: readonly string[];
  /** allowed CORS origins ('*' = any); empty or absent = no CORS headers */
  corsOrigins?: readonly string[];
  /** deepest JSON nesting accepted (default MAX_JSON_DEPTH) */
  maxJsonDepth?: number;
}

export const securityPlugin = fp(
  async (app: FastifyInstance, options: SecurityOptions) => {
    const maxDepth = options.maxJsonDepth ?? MAX_JSON_DEPTH;
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
      try {
        done(null, parseStrictJson(body as string, maxDepth));
      } catch (error) {
        done(error as Error, undefined);
      }
    });

    // Security headers. An API answering JSON: the defaults (CSP, nosniff, frame-ancestors, HSTS...)
    // fit, and Swagger UI at /docs works with them (STACK.md); only upgrade-insecure-requests is
    // dropped, as it breaks /docs served over plain HTTP inside a cluster.
    await app.register(helmet, { global: true, contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } });

    const origins = options.corsOrigins ?? [];
    if (origins.length > 0) {
      await app.register(cors, {
        origin: origins.includes('*') ? '*' : [...origins],
        methods: ['GET', 'POST', 'HEAD', 'OPTIONS'],
        allowedHeaders: ['content-type', 'authorization', 'x-api-key', 'x-request-id', 'accept'],
        exposedHeaders: ['x-request-id', 'retry-after'],
        maxAge: 600,
        strictPreflight: true,
      });
    }

    const keys = options.apiKeys ?? [];
    if (keys.length > 0) {
      const check = apiKeyChecker(keys);
      app.addHook('onRequest', async (request, reply) => {
        if (request.method === 'OPTIONS' || isPublicPath(request.url)) return;
        const key = presentedKey(request);
        if (key === undefined || !check(key)) {
          reply.header('www-authenticate', 'Bearer realm="trainplan"');
          throw new UnauthorizedError(key === undefined ? 'an API key is required: send Authorization: Bearer <key> or X-API-Key: <key>' : 'the API key is not valid');
        }
      });
    }
  },
  { name: 'trainplan-security' },
);
