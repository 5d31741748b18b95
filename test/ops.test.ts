// Operations: metrics, request ids, logs without bodies, API keys, CORS, security headers, load
// shedding on event-loop lag, server timeouts against slow clients, and the real server process:
// SIGHUP catalog reload (good and bad file), SIGTERM while a search runs (its client still gets
// the answer; /readyz says not ready meanwhile).
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { request } from 'undici';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config/errors.js';
import { defaultOpsConfig, readOpsConfigFromEnv } from '../src/config/env.js';
import { checkJsonStructure, parseStrictJson } from '../src/plugins/security.js';
import { startServer, REPO_ROOT as ROOT, type ServerProcess } from './fixtures/server-process.js';
import { createPlanPool } from '../src/workers/plan-pool.js';
import { buildTestApp } from './helper.js';

const KEY_A = 'test-key-aaaaaaaaaaaaaaaa';
const KEY_B = 'test-key-bbbbbbbbbbbbbbbb';
const SMALL = { model: { preset: 'llama-2-7b' }, training: { tokens: '2T', sequenceLength: 4096, globalBatchSize: 1024 }, hardware: { gpu: 'a100-sxm-80gb', count: 64 } };

type App = Awaited<ReturnType<typeof buildTestApp>>;

describe('GET /metrics', () => {
  let app: App;
  beforeAll(async () => {
    app = await buildTestApp({
      poolStats: () => ({ queueSize: 3, maxQueue: 8, threads: 2, maxThreads: 2, running: 2, completed: 10, rejectedQueueFull: 4, timedOut: 1, abandoned: 0, meanTaskMs: 100, meanServiceMs: 50, predictedWaitMs: 100, maxWaitMs: 2000 }),
    });
  });
  afterAll(() => app.close());

  it('exposes request rate and latency by route template, task and search time, queue depth and event-loop lag', async () => {
    await app.inject({ method: 'POST', url: '/v1/estimate', payload: SMALL });
    await app.inject({ method: 'POST', url: '/v1/flops', payload: { ...SMALL, hardware: 'x' } });
    await app.inject({ method: 'GET', url: '/v1/hardware/h100' });
    await app.inject({ method: 'GET', url: '/v1/hardware/a100-sxm-80gb' });
    await app.inject({ method: 'GET', url: '/no/such/path/12345' });
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.body;
    expect(text).toContain('http_requests_total{method="POST",route="/v1/estimate",status_code="200"} 1');
    expect(text).toContain('http_requests_total{method="POST",route="/v1/flops",status_code="400"} 1');
    // both hardware ids count under the one template; unknown paths do not create labels
    expect(text).toContain('http_requests_total{method="GET",route="/v1/hardware/:id",status_code="200"} 2');
    expect(text).toContain('route="unmatched",status_code="404"');
    expect(text).not.toContain('12345');
    expect(text).toMatch(/http_request_duration_seconds_bucket\{le="\+Inf",method="POST",route="\/v1\/estimate",status_code="200"\} 1/);
    expect(text).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/v1\/hardware\/:id",status_code="200"\} 2/);
    expect(text).toMatch(/trainplan_plan_task_duration_seconds_count\{kind="estimate",outcome="ok"\} 1/);
    expect(text).toMatch(/trainplan_search_duration_seconds_count\{kind="estimate"\} 1/);
    expect(text).toContain('trainplan_worker_queue_depth 3');
    expect(text).toContain('trainplan_worker_running 2');
    expect(text).toContain('trainplan_worker_rejected_queue_full 4');
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds \d/m);
    expect(text).toContain('trainplan_ready 1');
  });
});

describe('request ids and logs', () => {
  let app: App;
  const lines: Record<string, unknown>[] = [];
  let raw = '';
  beforeAll(async () => {
    const stream = new Writable({
      write(chunk, _enc, done) {
        raw += chunk.toString();
        for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l));
        done();
      },
    });
    app = await buildTestApp({ logger: { level: 'info', stream }, security: { apiKeys: [KEY_A] } });
  });
  afterAll(() => app.close());

  it('accepts a safe x-request-id, echoes it and uses it in the logs and the problem body', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/flops', payload: { nope: 1 }, headers: { 'x-request-id': 'client-42.a:b', authorization: `Bearer ${KEY_A}` } });
    expect(res.headers['x-request-id']).toBe('client-42.a:b');
    expect(res.json().requestId).toBe('client-42.a:b');
    expect(lines.some((l) => l.reqId === 'client-42.a:b' && l.msg === 'request completed')).toBe(true);
  });

  it('replaces an unsafe or oversized x-request-id with a fresh UUID', async () => {
    for (const bad of ['has space', 'x'.repeat(129), '<script>', 'a"b', 'ä']) {
      const res = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': bad } });
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
    const fresh = await app.inject({ method: 'GET', url: '/healthz' });
    expect(fresh.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('logs method, URL, status and time at info, never the body or the API key', async () => {
    const marker = 'BODY-MARKER-7f3a';
    await app.inject({ method: 'POST', url: '/v1/estimate', payload: { ...SMALL, [marker]: marker }, headers: { 'x-api-key': KEY_A } });
    await app.inject({ method: 'POST', url: '/v1/flops', payload: SMALL, headers: { authorization: `Bearer ${KEY_A}` } });
    expect(raw).not.toContain(marker);
    expect(raw).not.toContain('"sequenceLength"');
    expect(raw).not.toContain(KEY_A);
    const done = lines.filter((l) => l.msg === 'request completed');
    expect(done.length).toBeGreaterThan(2);
    for (const l of done) {
      expect(typeof l.reqId).toBe('string');
      expect(typeof l.responseTime).toBe('number');
      expect((l.res as { statusCode: number }).statusCode).toBeGreaterThanOrEqual(200);
    }
  });
});

describe('API keys, CORS and security headers', () => {
  it('are off by default: no key needed, no CORS headers', async () => {
    const app = await buildTestApp();
    const res = await app.inject({ method: 'GET', url: '/v1/models', headers: { origin: 'https://dash.example.com' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    await app.close();
  });

  it('with API_KEYS: 401 problem+json without or with a wrong key; Bearer or X-API-Key with any listed key passes; probes stay open', async () => {
    const app = await buildTestApp({ security: { apiKeys: [KEY_A, KEY_B] } });
    const none = await app.inject({ method: 'POST', url: '/v1/flops', payload: SMALL });
    expect(none.statusCode).toBe(401);
    expect(none.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(none.json()).toMatchObject({ status: 401, title: 'Unauthorized' });
    for (const wrong of [KEY_A.slice(0, -1), `${KEY_A}x`, KEY_A.toUpperCase(), '']) {
      const res = await app.inject({ method: 'GET', url: '/v1/models', headers: { authorization: `Bearer ${wrong}` } });
      expect(res.statusCode, wrong).toBe(401);
    }
    expect((await app.inject({ method: 'GET', url: '/v1/models', headers: { authorization: `Bearer ${KEY_A}` } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/v1/models', headers: { 'x-api-key': KEY_B } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/v1/flops', payload: SMALL, headers: { 'x-api-key': KEY_B } })).statusCode).toBe(200);
    for (const open of ['/healthz', '/readyz', '/metrics', '/openapi.json']) {
      expect((await app.inject({ method: 'GET', url: open })).statusCode, open).toBe(200);
    }
    await app.close();
  });

  it('rejects an unauthenticated body before reading it (no 413/400 leak of parsing)', async () => {
    const app = await buildTestApp({ security: { apiKeys: [KEY_A] } });
    const res = await app.inject({ method: 'POST', url: '/v1/estimate', payload: '{"broken', headers: { 'content-type': 'application/json' } });
    expect(res.statusCode).toBe(401);
    await app.close();
  });

  it('with CORS_ORIGINS: allowed origins get CORS headers and preflights, others none', async () => {
    const app = await buildTestApp({ security: { corsOrigins: ['https://dash.example.com'], apiKeys: [KEY_A] } });
    const ok = await app.inject({ method: 'GET', url: '/v1/models', headers: { origin: 'https://dash.example.com', 'x-api-key': KEY_A } });
    expect(ok.headers['access-control-allow-origin']).toBe('https://dash.example.com');
    expect(String(ok.headers['access-control-expose-headers'])).toContain('x-request-id');
    const other = await app.inject({ method: 'GET', url: '/v1/models', headers: { origin: 'https://evil.example', 'x-api-key': KEY_A } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/v1/estimate',
      headers: { origin: 'https://dash.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' },
    });
    expect(preflight.statusCode).toBe(204);
    expect(String(preflight.headers['access-control-allow-methods'])).toContain('POST');
    expect(String(preflight.headers['access-control-allow-headers'])).toContain('authorization');
    // a 401 still carries CORS headers, so the dashboard can read the problem
    const denied = await app.inject({ method: 'GET', url: '/v1/models', headers: { origin: 'https://dash.example.com' } });
    expect(denied.statusCode).toBe(401);
    expect(denied.headers['access-control-allow-origin']).toBe('https://dash.example.com');
    await app.close();
  });

  it('sends security headers (helmet) on answers and on problems', async () => {
    const app = await buildTestApp();
    for (const url of ['/v1/models', '/v1/nope', '/healthz']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
      expect(res.headers['x-frame-options'], url).toBe('SAMEORIGIN');
      expect(String(res.headers['content-security-policy']), url).toContain("default-src 'self'");
      expect(String(res.headers['content-security-policy']), url).not.toContain('upgrade-insecure-requests');
      expect(res.headers['strict-transport-security'], url).toMatch(/max-age=/);
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
    await app.close();
  });
});

describe('strict JSON bodies', () => {
  it.each([
    ['duplicate key', '{"a":1,"a":2}', /duplicate key "a"/],
    ['duplicate nested key', '{"a":{"b":1,"c":[{"d":1,"d":2}]}}', /\/a\/c\/-\/d: duplicate key/],
    ['__proto__', '{"__proto__":{"x":1}}', /__proto__/],
    ['escaped __proto__', '{"\\u005f_proto__":{"x":1}}', /__proto__/],
    ['constructor', '{"a":{"constructor":{"prototype":{}}}}', /constructor/],
    ['too deep', `${'['.repeat(33)}${']'.repeat(33)}`, /deeper than 32/],
    ['empty', '  ', /empty/],
    ['malformed', '{"a":', /not valid JSON/],
  ])('%s → JsonBodyError', (_name, text, message) => {
    expect(() => parseStrictJson(text)).toThrow(message);
  });

  it('keeps keys that only look alike, strings with braces and escaped quotes', () => {
    expect(() => checkJsonStructure('{"a":"}{\\"a\\":1","b":{"a":1},"c":[{"a":1},{"a":2}],"A":1}')).not.toThrow();
    expect(parseStrictJson('{"x":"\\"__proto__\\""}')).toEqual({ x: '"__proto__"' });
  });

  it('answers each over HTTP with a 400 problem naming the rule', async () => {
    const app = await buildTestApp();
    const res = await app.inject({ method: 'POST', url: '/v1/flops', payload: '{"model":{"preset":"llama-2-7b"},"hardware":{"gpu":"h100"},"hardware":{"gpu":"a100"}}', headers: { 'content-type': 'application/json' } });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json().detail).toContain('/hardware: duplicate key');
    await app.close();
  });
});

describe('load shedding on event-loop lag', () => {
  it('answers 503 problem+json with Retry-After while the loop lags, keeps probes and metrics up, then recovers', async () => {
    const app = await buildTestApp({ maxEventLoopDelayMs: 30 });
    const busy = (ms: number) => {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        /* block the event loop */
      }
    };
    // ~1.5 s of a loop that is blocked 250 ms at a time: every sample sees the lag
    for (let i = 0; i < 6; i++) {
      busy(250);
      await new Promise((r) => setImmediate(r));
    }
    const shed = await app.inject({ method: 'GET', url: '/v1/models' });
    expect(shed.statusCode).toBe(503);
    expect(shed.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(shed.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(shed.json().detail).toMatch(/event-loop delay/);
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 1200));
    expect((await app.inject({ method: 'GET', url: '/v1/models' })).statusCode).toBe(200);
    await app.close();
  });
});

describe('server timeouts against slow clients', () => {
  let app: App;
  let port: number;
  beforeAll(async () => {
    app = await buildTestApp({ timeouts: { headersTimeoutMs: 500, requestTimeoutMs: 1000, keepAliveTimeoutMs: 800, connectionTimeoutMs: 5000, checkIntervalMs: 100 } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as AddressInfo).port;
  });
  afterAll(() => app.close());

  /** Opens a socket, runs `act`, and resolves with the ms until the server closed it and what it sent. */
  function hold(act: (s: Socket) => void): Promise<{ closedAfterMs: number; received: string }> {
    return new Promise((resolve) => {
      const s = connect(port, '127.0.0.1');
      const started = performance.now();
      let received = '';
      s.on('data', (d) => (received += d.toString()));
      s.on('error', () => {});
      s.on('close', () => resolve({ closedAfterMs: performance.now() - started, received }));
      s.on('connect', () => act(s));
    });
  }

  it('uses the configured timeouts, and deliberate defaults otherwise', async () => {
    expect(app.server.headersTimeout).toBe(500);
    expect(app.server.requestTimeout).toBe(1000);
    expect(app.server.keepAliveTimeout).toBe(800);
    const plain = await buildTestApp();
    const d = defaultOpsConfig(2);
    expect(plain.server.headersTimeout).toBe(d.headersTimeoutMs);
    expect(plain.server.requestTimeout).toBe(d.requestTimeoutMs);
    expect(plain.server.keepAliveTimeout).toBe(d.keepAliveTimeoutMs);
    expect(plain.server.timeout).toBe(d.connectionTimeoutMs);
    await plain.close();
  });

  it('closes slow-header (slowloris), slow-body and idle keep-alive connections, while others are served', async () => {
    const slowHeaders = hold((s) => {
      s.write('POST /v1/flops HTTP/1.1\r\nHost: x\r\n');
      const t = setInterval(() => s.writable && s.write('X-Slow: 1\r\n'), 100);
      s.on('close', () => clearInterval(t));
    });
    const slowBody = hold((s) => {
      s.write('POST /v1/flops HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{');
      const t = setInterval(() => s.writable && s.write(' '), 100);
      s.on('close', () => clearInterval(t));
    });
    const idle = hold((s) => s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'));
    const silent = hold(() => {});
    // meanwhile a normal client is served promptly
    const t0 = performance.now();
    const ok = await request(`http://127.0.0.1:${port}/healthz`);
    expect(ok.statusCode).toBe(200);
    await ok.body.text();
    expect(performance.now() - t0).toBeLessThan(500);

    const [h, b, k, n] = await Promise.all([slowHeaders, slowBody, idle, silent]);
    expect(h.received).toMatch(/^HTTP\/1\.1 408/);
    expect(h.closedAfterMs).toBeLessThan(1500);
    expect(b.received).toMatch(/^HTTP\/1\.1 408/);
    expect(b.closedAfterMs).toBeLessThan(2500);
    expect(k.received).toMatch(/^HTTP\/1\.1 200/);
    expect(k.closedAfterMs).toBeGreaterThan(700);
    expect(k.closedAfterMs).toBeLessThan(2500);
    expect(n.closedAfterMs).toBeLessThan(1500);
  });
});

describe('operations configuration from the environment', () => {
  it('reads keys, origins and limits, with documented defaults', () => {
    const c = readOpsConfigFromEnv({ API_KEYS: ` ${KEY_A}, ${KEY_B} ,`, CORS_ORIGINS: 'https://a.example,http://localhost:5173', WORKER_THREADS: '3', SHUTDOWN_DELAY_MS: '5000' }, 8);
    expect(c.apiKeys).toEqual([KEY_A, KEY_B]);
    expect(c.corsOrigins).toEqual(['https://a.example', 'http://localhost:5173']);
    expect(c.workerThreads).toBe(3);
    expect(c.shutdownDelayMs).toBe(5000);
    expect(readOpsConfigFromEnv({}, 8)).toEqual(defaultOpsConfig(8));
    expect(defaultOpsConfig(8).workerThreads).toBe(7);
    expect(defaultOpsConfig(1).workerThreads).toBe(1);
  });

  it('names every bad variable and never echoes an API key', () => {
    let error: unknown;
    try {
      readOpsConfigFromEnv({ API_KEYS: 'short-secret', CORS_ORIGINS: 'dash.example.com', REQUEST_TIMEOUT_MS: '5000', HEADERS_TIMEOUT_MS: '9000', WORKER_THREADS: 'many' }, 2);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems.map((p) => p.variable).sort()).toEqual(['API_KEYS', 'CORS_ORIGINS', 'HEADERS_TIMEOUT_MS', 'WORKER_THREADS']);
    expect((error as ConfigError).message).not.toContain('short-secret');
  });
});

// --- the real server process ------------------------------------------------------------------------

describe('the server process', () => {
  let dir: string;
  let hardwarePath: string;
  let server: ServerProcess;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trainplan-ops-'));
    hardwarePath = join(dir, 'hardware.yaml');
    copyFileSync(join(ROOT, 'config', 'hardware.yaml'), hardwarePath);
    server = await startServer({ HARDWARE_CATALOG: hardwarePath, SHUTDOWN_DELAY_MS: '1000', WORKER_THREADS: '1' });
  }, 30_000);
  afterAll(() => {
    if (server?.proc.exitCode === null) server.proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  const nameOfV100 = async () => {
    const res = await request(`${server.base}/v1/hardware/v100-sxm2-32gb`);
    return ((await res.body.json()) as { name: string }).name;
  };

  it('SIGHUP reloads the catalog without a restart; a bad file is rejected with a log line and the old catalog keeps serving', async () => {
    expect(await nameOfV100()).toBe('NVIDIA Tesla V100 SXM2 32GB');
    const original = readFileSync(hardwarePath, 'utf8');
    writeFileSync(hardwarePath, original.replace('name: "NVIDIA Tesla V100 SXM2 32GB"', 'name: "Reloaded V100"'));
    server.proc.kill('SIGHUP');
    await server.waitForLog((l) => l.event === 'catalog-reload' && l.result === 'ok');
    expect(await nameOfV100()).toBe('Reloaded V100');

    writeFileSync(hardwarePath, original.replace('name: "NVIDIA Tesla V100 SXM2 32GB"', 'name: "Broken"\n    memoryGiB: -5'));
    server.proc.kill('SIGHUP');
    const rejected = await server.waitForLog((l) => l.event === 'catalog-reload' && l.result === 'rejected');
    expect(rejected.level).toBe(50);
    expect(rejected.detail).toContain(hardwarePath);
    expect(await nameOfV100()).toBe('Reloaded V100');
    const metrics = await (await request(`${server.base}/metrics`)).body.text();
    expect(metrics).toContain('trainplan_catalog_reloads_total{result="ok"} 1');
    expect(metrics).toContain('trainplan_catalog_reloads_total{result="rejected"} 1');
    expect(server.proc.exitCode).toBeNull();
  }, 30_000);

  it('SIGTERM during a search: /readyz turns 503, the search still answers 200, then the process exits 0', async () => {
    // DeepSeek-V3 on 2048 H100 with nothing fixed: a search of several hundred ms, on a cold worker thread
    const heavy = request(`${server.base}/v1/estimate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'drain-me' },
      body: JSON.stringify({ model: { preset: 'deepseek-v3' }, hardware: { gpu: 'h100-sxm-80gb', count: 2048 }, search: { timeBudgetMs: 3000 } }),
    });
    await server.waitForLog((l) => l.reqId === 'drain-me' && l.msg === 'incoming request');
    const signalledAt = performance.now();
    server.proc.kill('SIGTERM');
    await server.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('shutting down'));
    const ready = await request(`${server.base}/readyz`);
    expect(ready.statusCode).toBe(503);
    expect(((await ready.body.json()) as { status: string }).status).toBe('not ready');

    const res = await heavy;
    const answeredAt = performance.now();
    expect(res.statusCode).toBe(200);
    const body = (await res.body.json()) as { performance: { stepSeconds: number }; parallelism: { gpus: number } };
    expect(body.parallelism.gpus).toBe(2048);
    expect(body.performance.stepSeconds).toBeGreaterThan(0);
    // the answer came after the signal: the search really was in flight
    expect(answeredAt).toBeGreaterThan(signalledAt);
    expect(await server.exited).toBe(0);
    expect(server.logs.some((l) => l.msg === 'shut down')).toBe(true);
  }, 30_000);
});

describe('deployment files', () => {
  const known = new Set(['PORT', 'HOST', 'LOG_LEVEL', 'HARDWARE_CATALOG', 'MODEL_PRESETS', 'TRAINING_FRAMEWORKS', 'SEARCH_MAX_EVALUATIONS', ...Object.keys(envVariables())]);
  function envVariables(): Record<string, true> {
    const names = readFileSync(join(ROOT, 'src', 'config', 'env.ts'), 'utf8').matchAll(/^\s+\w+: '([A-Z_]+)',$/gm);
    return Object.fromEntries([...names].map((m) => [m[1]!, true as const]));
  }

  it('the Kubernetes ConfigMap holds exactly the shipped catalog (regenerate: npx tsx deploy/k8s/make-configmap.ts)', async () => {
    const { renderCatalogConfigMap } = await import('../deploy/k8s/make-configmap.js');
    expect(readFileSync(join(ROOT, 'deploy', 'k8s', 'catalog-configmap.yaml'), 'utf8')).toBe(renderCatalogConfigMap());
  });

  it('the Deployment probes /readyz and /healthz, mounts the ConfigMap where HARDWARE_CATALOG points, sets only known variables, and outlasts the shutdown', () => {
    const deployment = parseYaml(readFileSync(join(ROOT, 'deploy', 'k8s', 'deployment.yaml'), 'utf8'));
    const pod = deployment.spec.template.spec;
    const c = pod.containers[0];
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    const env = Object.fromEntries(c.env.map((e: { name: string; value?: string }) => [e.name, e.value]));
    for (const name of Object.keys(env)) expect(known.has(name), name).toBe(true);
    const mount = c.volumeMounts.find((m: { name: string }) => m.name === 'catalog');
    expect(env.HARDWARE_CATALOG.startsWith(`${mount.mountPath}/`)).toBe(true);
    expect(env.MODEL_PRESETS.startsWith(`${mount.mountPath}/`)).toBe(true);
    expect(mount.subPath).toBeUndefined();
    expect(pod.volumes.find((v: { name: string }) => v.name === 'catalog').configMap.name).toBe('trainplan-catalog');
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(Number(env.SHUTDOWN_DELAY_MS) + Number(env.SHUTDOWN_TIMEOUT_MS));
    const kustomization = parseYaml(readFileSync(join(ROOT, 'deploy', 'k8s', 'kustomization.yaml'), 'utf8'));
    expect(kustomization.resources).toEqual(expect.arrayContaining(['catalog-configmap.yaml', 'deployment.yaml', 'service.yaml']));
  });

  it('docker-compose keeps the default service and adds a `scale` profile: replicas behind nginx', () => {
    const compose = parseYaml(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'));
    expect(compose.services.trainplan.profiles).toBeUndefined();
    expect(compose.services['trainplan-replica'].profiles).toEqual(['scale']);
    expect(String(compose.services['trainplan-replica'].deploy.replicas)).toMatch(/REPLICAS|^\d+$/);
    expect(compose.services['trainplan-replica'].ports).toBeUndefined();
    expect(compose.services.lb.profiles).toEqual(['scale']);
    for (const name of Object.keys(compose.services['trainplan-replica'].environment)) expect(known.has(name), name).toBe(true);
    const nginx = readFileSync(join(ROOT, 'deploy', 'nginx.conf'), 'utf8');
    expect(nginx).toContain('server trainplan-replica:3000');
    expect(nginx).toMatch(/proxy_set_header X-Request-Id/);
  });
});

describe('clients that give up', () => {
  it('release their planning task: queued tasks leave the queue, the running one finishes on its thread, which is kept', async () => {
    const pool = createPlanPool({ maxThreads: 1, maxQueue: 20 });
    const app = await buildTestApp({ planRunner: (task) => pool.run(task), poolStats: () => pool.stats() });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const heavy = JSON.stringify({ model: { preset: 'deepseek-v3' }, hardware: { gpu: 'h100-sxm-80gb', count: 2048 }, search: { timeBudgetMs: 2000 } });
    // warm the worker thread
    expect((await request(`${base}/v1/estimate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: heavy })).statusCode).toBe(200);
    const completedBefore = pool.stats().completed;
    const threadsBefore = pool.threadIds();
    const controllers = Array.from({ length: 5 }, () => new AbortController());
    const sent = controllers.map((c) =>
      request(`${base}/v1/estimate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: heavy, signal: c.signal }).then(
        () => 'answered',
        () => 'aborted',
      ),
    );
    // abort once all five are in the pool (one running, four queued)
    const tq = performance.now();
    while (pool.stats().queueSize + pool.stats().running < 5 && performance.now() - tq < 5000) await new Promise((r) => setTimeout(r, 5));
    for (const c of controllers) c.abort();
    const outcomes = await Promise.all(sent);
    const aborted = outcomes.filter((o) => o === 'aborted').length;
    // the running search may just have finished; the queued ones cannot have
    expect(aborted).toBeGreaterThanOrEqual(4);
    const t0 = performance.now();
    while (pool.stats().queueSize + pool.stats().running > 0 && performance.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20));
    const s = pool.stats();
    expect(s.queueSize).toBe(0);
    expect(s.abandoned).toBeGreaterThanOrEqual(aborted - 1);
    expect(s.completed - completedBefore).toBe(5);
    // drained well before five searches (~0.5 s each) could have run one after the other
    expect(performance.now() - t0).toBeLessThan(1500);
    // no thread was stopped for a client that left: the next request finds the same warm thread
    expect(pool.threadIds()).toEqual(threadsBefore);
    expect((await request(`${base}/v1/estimate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: heavy })).statusCode).toBe(200);
    await app.close();
    await pool.close();
  }, 30_000);
});
