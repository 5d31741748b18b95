// npm run load: throughput and latency under load (autocannon), loopback only, bounded in time.
// Starts the real server (src/server.ts, production settings: info logs, worker pool, helmet,
// metrics) as a child process on 127.0.0.1, then drives, one after the other:
//   bare         GET /healthz: the cost of Fastify + hooks alone, the reference for the ratios
//   validated    POST /v1/flops: JSON parse + schema validation + a little arithmetic, in-thread
//   fixed        POST /v1/estimate, Llama 3.1 405B on 16,384 H100 with Meta's layout (no search)
//   searched     POST /v1/estimate, Llama 2 70B on 512 A100, nothing fixed (layout search)
// each at every connection count asked (default 16 and 64). The POST bodies vary per request (tokens,
// and for the searched estimate the GPU count), so no cache can flatter a scenario.
// and prints req/s (2xx only), p50/p99/max latency, non-2xx (503 = shed by the full worker queue)
// and errors, and the ratio of each to the bare route. The load generator runs in this process,
// the server in another, so on a 2-core machine each gets about one core.
// Options: --duration S (per scenario, default 8), --connections N[,N...] (default 16,64),
//          --workers N (WORKER_THREADS, default the server's), --queue N (WORKER_QUEUE, default the server's).
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
// autocannon ships no types: the little used here is declared in bench/autocannon.d.ts
import autocannon from 'autocannon';
import type { AutocannonResult } from 'autocannon';

const args = process.argv.slice(2);
const numberArg = (flag: string, fallback: number): number => {
  const i = args.indexOf(flag);
  const v = i >= 0 ? Number(args[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : fallback;
};
const DURATION_S = Math.min(numberArg('--duration', 8), 60);
const connectionsArg = args.indexOf('--connections') >= 0 ? args[args.indexOf('--connections') + 1] ?? '' : '16,64';
const CONNECTION_COUNTS = connectionsArg.split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0).map((n) => Math.min(n, 256));
if (CONNECTION_COUNTS.length === 0) CONNECTION_COUNTS.push(16, 64);
const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Scenario {
  name: string;
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  /** a different body per request (i = request number), so that no cache serves a repeat */
  vary?: (body: any, i: number) => unknown;
}

/** 1.0T to 20.9T tokens, a different count for each of 200 requests in turn */
const tokensFor = (i: number): string => `${(1 + (i % 200) / 10).toFixed(1)}T`;

const SCENARIOS: Scenario[] = [
  { name: 'bare GET /healthz', method: 'GET', path: '/healthz' },
  {
    name: 'validated POST /v1/flops',
    method: 'POST',
    path: '/v1/flops',
    body: { model: { preset: 'llama-2-70b' }, training: { tokens: '2T', sequenceLength: 4096, globalBatchTokens: '4M' }, hardware: { gpu: 'a100-sxm-80gb', count: 512 } },
    vary: (b, i) => ({ ...b, training: { ...b.training, tokens: tokensFor(i) } }),
  },
  {
    name: 'estimate, fixed layout',
    method: 'POST',
    path: '/v1/estimate',
    body: {
      model: { preset: 'llama-3.1-405b' },
      training: { tokens: '15.6T', sequenceLength: 8192, globalBatchTokens: '16M', precision: 'bf16' },
      hardware: { gpu: 'h100-sxm-80gb', count: 16384 },
      parallelism: { tensor: 8, pipeline: 16, data: 128, context: 1, microBatchSize: 1, zeroStage: 1, recompute: 'none', sequenceParallel: true, schedule: 'interleaved', virtualStages: 4, stageSplit: 'edges-as-layers' },
    },
    vary: (b, i) => ({ ...b, training: { ...b.training, tokens: tokensFor(i) } }),
  },
  {
    name: 'estimate, searched layout',
    method: 'POST',
    path: '/v1/estimate',
    body: { model: { preset: 'llama-2-70b' }, training: { tokens: '2T', sequenceLength: 4096, globalBatchTokens: '4M' }, hardware: { gpu: 'a100-sxm-80gb', count: 512 } },
    vary: (b, i) => ({ ...b, training: { ...b.training, tokens: tokensFor(i) }, hardware: { ...b.hardware, count: [256, 512, 1024][i % 3] } }),
  },
];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitReady(base: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    try {
      if ((await fetch(`${base}/readyz`)).ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the server did not become ready within ${timeoutMs} ms`);
}

function run(base: string, s: Scenario, connections: number): Promise<AutocannonResult> {
  let sent = 0;
  const vary = s.vary;
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `${base}${s.path}`,
        method: s.method,
        connections,
        duration: DURATION_S,
        timeout: 30,
        ...(s.body !== undefined ? { body: JSON.stringify(s.body), headers: { 'content-type': 'application/json' } } : {}),
        ...(vary ? { requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify(vary(s.body, sent++)) }) }] } : {}),
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

const pad = (x: string, n: number) => x.padStart(n);

async function main(): Promise<void> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: process.env.LOG_LEVEL ?? 'info' };
  const workers = args.includes('--workers') ? numberArg('--workers', 1) : undefined;
  // by default the queue holds every connection's request, so all are served and latency shows the
  // queueing; --queue 4 (the production default for one thread) shows load shedding instead
  if (workers !== undefined) env.WORKER_THREADS = String(workers);
  if (args.includes('--queue')) env.WORKER_QUEUE = String(numberArg('--queue', 4));
  // logs go to /dev/null: written (their cost is measured) but not shown
  const server = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
  const stop = () => {
    if (server.exitCode === null) server.kill('SIGTERM');
  };
  process.on('exit', stop);
  try {
    await waitReady(base, 30_000);
    // warm-up (worker threads load the domain modules on their first task), and every scenario must answer 2xx
    for (const s of SCENARIOS) {
      const res = await fetch(`${base}${s.path}`, { method: s.method, ...(s.body !== undefined ? { body: JSON.stringify(s.body), headers: { 'content-type': 'application/json' } } : {}) });
      if (!res.ok) throw new Error(`${s.name}: ${res.status} ${(await res.text()).slice(0, 300)}`);
    }
    const cpus = os.cpus();
    process.stdout.write(
      `npm run load: ${DURATION_S} s per scenario, at ${CONNECTION_COUNTS.join(' and ')} connections, varied bodies, loopback; server: src/server.ts (WORKER_THREADS=${env.WORKER_THREADS ?? 'default'}, WORKER_QUEUE=${env.WORKER_QUEUE ?? 'default'}, LOG_LEVEL=${env.LOG_LEVEL}); ` +
        `${cpus.length} × ${cpus[0]?.model ?? 'cpu'}, Node ${process.version}\n\n`,
    );
    const header = `${'scenario'.padEnd(28)}${pad('conns', 6)}${pad('2xx req/s', 11)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}${pad('max ms', 9)}${pad('non-2xx', 9)}${pad('errors', 8)}${pad('vs bare', 9)}`;
    process.stdout.write(`${header}\n${'-'.repeat(header.length)}\n`);
    const rows: Record<string, unknown>[] = [];
    for (const connections of CONNECTION_COUNTS) {
      let bare: number | undefined;
      for (const s of SCENARIOS) {
        const r = await run(base, s, connections);
        const okPerSecond = r['2xx'] / r.duration;
        bare ??= okPerSecond;
        const errors = r.errors + r.timeouts;
        const ratio = okPerSecond / bare;
        process.stdout.write(
          `${s.name.padEnd(28)}${pad(String(connections), 6)}${pad(okPerSecond.toFixed(0), 11)}${pad(r.latency.p50.toFixed(0), 9)}${pad(r.latency.p99.toFixed(0), 9)}${pad(r.latency.max.toFixed(0), 9)}${pad(String(r.non2xx), 9)}${pad(String(errors), 8)}${pad(ratio.toFixed(3), 9)}\n`,
        );
        rows.push({ scenario: s.name, connections, okPerSecond: Math.round(okPerSecond), p50Ms: r.latency.p50, p99Ms: r.latency.p99, maxMs: r.latency.max, non2xx: r.non2xx, errors, ratioToBare: Number(ratio.toFixed(4)) });
      }
    }
    process.stdout.write('\nnon-2xx on the estimate routes are 503 + Retry-After: admission refused a task whose predicted wait passed WORKER_MAX_WAIT_MS.\n');
    if (args.includes('--json')) process.stdout.write(`${JSON.stringify(rows)}\n`);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const shed = [...metrics.matchAll(/^trainplan_shed_total\{reason="([a-z_]+)"\} (\d+)/gm)].map((m) => `${m[1]}=${m[2]}`).join(' ');
    process.stdout.write(`server metrics: shed ${shed || 'none'}\n`);
  } finally {
    stop();
  }
}

await main();
