// Fuzzing the HTTP API from its own OpenAPI document: for every POST route, random bodies valid
// against the route's request schema and random invalid ones (mutations of valid bodies, and raw
// byte-level attacks). Not one 5xx; every 4xx is problem+json; every 2xx body validates against the
// route's 200 response schema (AJV 8) and holds only finite numbers.
//
// Bounds: FUZZ_VALID valid + FUZZ_INVALID invalid bodies per route (defaults below), a fixed seed
// (FUZZ_SEED), planning in 2 worker threads with a hard 10 s deadline per task, the layout-search
// budget capped at 100 ms (procurement: 5–20 ms per evaluation) so the whole file runs well under a minute on 2 cores.
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlanPool } from '../src/workers/plan-pool.js';
import { buildTestApp, shippedCatalog } from './helper.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20_260_505);
const VALID_PER_ROUTE = Number(process.env.FUZZ_VALID ?? 100);
const INVALID_PER_ROUTE = Number(process.env.FUZZ_INVALID ?? 900);
const CONCURRENCY = 4;
const TASK_TIMEOUT_MS = 10_000;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Schema = Record<string, any>;
type App = Awaited<ReturnType<typeof buildTestApp>>;

const pool = createPlanPool({ maxThreads: 2, maxQueue: 1000, taskTimeoutMs: TASK_TIMEOUT_MS });
let app: App;
let doc: Schema;
let presets: string[];
let gpus: string[];

beforeAll(async () => {
  const catalog = await shippedCatalog();
  presets = [...catalog.presets.keys()];
  gpus = [...catalog.accelerators.keys(), ...catalog.aliases.keys()];
  app = await buildTestApp({ planRunner: (task) => pool.run(task), searchMaxEvaluations: 200_000 });
  doc = app.swagger() as Schema;
});
afterAll(async () => {
  await app?.close();
  await pool.close();
});

// --- JSON Schema (as the OpenAPI document has it) → fast-check arbitrary -------------------------

function deref(schema: Schema): Schema {
  let s = schema;
  for (let i = 0; s.$ref && i < 10; i++) {
    const path = (s.$ref as string).replace(/^#\//, '').split('/');
    s = path.reduce((node: any, key) => node?.[key], doc);
  }
  return s;
}

/** Field-name hints: ids from the catalog (so bodies reach the planner), small search budgets (so the run stays bounded). */
function hint(name: string, schema: Schema): fc.Arbitrary<Json> | undefined {
  if (name === 'preset' && schema.type === 'string') return fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...presets) }, { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 20 }) });
  if ((name === 'gpu' || name === 'accelerators/items') && schema.type === 'string') return fc.constantFrom(...gpus);
  if (name === 'timeBudgetMs') return fc.integer({ min: 1, max: 100 });
  if (name === 'searchMaxEvaluations') return fc.integer({ min: 1_000, max: 20_000 });
  if (name === 'sweep' && schema.type === 'object') {
    const ints = (max: number) => fc.uniqueArray(fc.integer({ min: 1, max }), { minLength: 1, maxLength: 4 });
    return fc.oneof(
      fc.record({ parameter: fc.constant('gpus'), values: ints(4096) }),
      fc.record({ parameter: fc.constant('accelerator'), values: fc.uniqueArray(fc.constantFrom(...gpus), { minLength: 1, maxLength: 3 }) }),
      fc.record({ parameter: fc.constant('sequenceLength'), values: ints(65_536) }),
      fc.record({ parameter: fc.constant('globalBatchSize'), values: ints(8192) }),
      fc.record({ parameter: fc.constant('globalBatchTokens'), values: fc.uniqueArray(fc.constantFrom('1M', '4M', '16M', 2 ** 22), { minLength: 1, maxLength: 3 }) }),
    ).chain((sweep) => fc.record({ searchMaxEvaluations: fc.integer({ min: 1_000, max: 20_000 }) }, { requiredKeys: [] }).map((extra) => ({ ...sweep, ...extra }) as Json));
  }
  if (name === 'accelerators' && schema.type === 'array') return fc.uniqueArray(fc.constantFrom(...gpus), { minLength: 1, maxLength: 3 });
  return undefined;
}

function arbitraryFor(input: Schema, name = '', depth = 0): fc.Arbitrary<Json> {
  const s = deref(input);
  const hinted = hint(name, s);
  if (hinted) return hinted;
  if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as Json[]));
  if (s.const !== undefined) return fc.constant(s.const as Json);
  const union = (s.anyOf ?? s.oneOf) as Schema[] | undefined;
  if (union) return fc.oneof(...union.map((u) => arbitraryFor(u, name, depth + 1)));
  switch (s.type) {
    case 'object': {
      const props = (s.properties ?? {}) as Record<string, Schema>;
      const required = new Set<string>(s.required ?? []);
      // "exactly one of a | b | c" (the model): one key, each form in turn
      if (typeof s.description === 'string' && /exactly one of/.test(s.description)) {
        return fc.oneof(...Object.entries(props).map(([k, v]) => arbitraryFor(v, k, depth + 1).map((x) => ({ [k]: x }) as Json)));
      }
      // each optional field present one time in four: bodies with every field set almost never make
      // sense together (layouts that do not divide), and would only exercise the 400 path
      const entries = Object.entries(props).map(([k, v]) => {
        const value = arbitraryFor(v, k, depth + 1);
        // the GPU count half the time: with it the procurement routes compare at a fixed count, without it the service sizes
        const absent = k === 'hardware' || k === 'count' ? 1 : 3;
        return required.has(k) ? value.map((x) => [k, x] as const) : fc.oneof({ weight: absent, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: value.map((x) => [k, x] as const) });
      });
      return fc.tuple(...entries).map((kvs) => Object.fromEntries(kvs.filter((kv) => kv !== undefined) as [string, Json][]) as Json);
    }
    case 'array': {
      const items = arbitraryFor(s.items ?? {}, `${name}/items`, depth + 1);
      return fc.array(items, { minLength: s.minItems ?? 0, maxLength: Math.min(s.maxItems ?? 4, 4) });
    }
    case 'integer': {
      const min = Math.ceil(s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : -1e6));
      const max = Math.floor(s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1 : 1e6));
      // small values are where layouts divide; the extremes are where numbers overflow
      return fc.oneof(fc.integer({ min, max: Math.min(max, min + 64) }), fc.integer({ min, max }), fc.constantFrom(min, max));
    }
    case 'number': {
      const min = s.minimum ?? s.exclusiveMinimum ?? -1e6;
      const max = s.maximum ?? s.exclusiveMaximum ?? 1e6;
      return fc.double({ min, max, noNaN: true, noDefaultInfinity: true, minExcluded: s.exclusiveMinimum !== undefined, maxExcluded: s.exclusiveMaximum !== undefined });
    }
    case 'string': {
      if (typeof s.pattern === 'string') {
        return fc.stringMatching(new RegExp(s.pattern)).filter((x) => x.length <= (s.maxLength ?? 1000) && x.length >= (s.minLength ?? 0));
      }
      return fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 40, 40) });
    }
    case 'boolean':
      return fc.boolean();
    default:
      return fc.constant(null);
  }
}

// --- invalid bodies ------------------------------------------------------------------------------------

interface RawCase {
  label: string;
  payload: string | Buffer;
  contentType?: string;
}

/** Every path to a value in a JSON document. */
function pathsOf(value: Json, prefix: string[] = []): string[][] {
  const out: string[][] = [prefix];
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v as Json, [...prefix, k]));
  }
  return out;
}

function setAt(root: Json, path: string[], replace: (old: Json) => Json | undefined): Json {
  if (path.length === 0) return replace(root) ?? null;
  const copy = structuredClone(root) as any;
  let node = copy;
  for (const k of path.slice(0, -1)) node = node[k];
  const last = path.at(-1)!;
  const next = replace(node[last]);
  if (next === undefined) {
    if (Array.isArray(node)) node.splice(Number(last), 1);
    else delete node[last];
  } else node[last] = next;
  return copy;
}

const BAD_VALUES: [string, Json | undefined][] = [
  ['deleted', undefined],
  ['null', null],
  ['true', true],
  ['empty string', ''],
  ['"NaN"', 'NaN'],
  ['"Infinity"', 'Infinity'],
  ['"-Infinity"', '-Infinity'],
  ['"1e400"', '1e400'],
  ['"-5"', '-5'],
  ['"0x10"', '0x10'],
  ['"٣٢"', '٣٢'],
  ['"1e99P"', '1e99P'],
  ['"175 B B"', '175 B B'],
  ['negative', -1],
  ['zero', 0],
  ['-0', -0],
  ['fraction', 0.5],
  ['1.5', 1.5],
  ['max safe int', Number.MAX_SAFE_INTEGER],
  ['1e308', 1e308],
  ['-1e308', -1e308],
  ['5e-324', 5e-324],
  ['empty object', {}],
  ['empty array', []],
  ['array of numbers', [1, 2, 3]],
  ['10 kB string', 'x'.repeat(10_000)],
  ['unicode', '\u0000\u202e\ud83d\ude00'],
  ['object', { nested: { deeper: 1 } }],
];

/** Large payload parts, built once. */
const BIG = {
  deep: `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
  keys: `{${Array.from({ length: 60_000 }, (_, i) => `"k${i}":1`).join(',')}}`,
  keysInner: Array.from({ length: 60_000 }, (_, i) => `"k${i}":1`).join(','),
  items: Array.from({ length: 20_000 }, () => '"x"').join(','),
  pad: 'x'.repeat(1_100_000),
};

function mutations(valid: Json): fc.Arbitrary<RawCase> {
  const paths = pathsOf(valid);
  const valueMutation = fc.tuple(fc.constantFrom(...paths), fc.constantFrom(...BAD_VALUES)).map(([path, [label, bad]]) => ({
    label: `${path.join('/') || '(root)'} := ${label}`,
    payload: JSON.stringify(setAt(valid, path, () => bad)),
  }));
  const objectPaths = paths.filter((p) => {
    const v = p.reduce((n: any, k) => n?.[k], valid);
    return v && typeof v === 'object' && !Array.isArray(v);
  });
  const unknownKey = fc.tuple(fc.constantFrom(...objectPaths), fc.string({ minLength: 1, maxLength: 12 })).map(([path, key]) => ({
    label: `${path.join('/')}/+${JSON.stringify(key)}`,
    payload: JSON.stringify(setAt(valid, path, (o) => ({ ...(o as object), [`x-${key}`]: 1 }))),
  }));
  const text = JSON.stringify(valid);
  // built only when drawn: several are hundreds of kilobytes
  const raw: (() => RawCase)[] = [
    () => ({ label: '__proto__ key', payload: text.replace(/^\{/, '{"__proto__":{"polluted":true},') }),
    () => ({ label: 'escaped __proto__ key', payload: text.replace(/^\{/, '{"\\u005f_proto__":{"polluted":true},') }),
    () => ({ label: 'constructor.prototype', payload: text.replace(/^\{/, '{"constructor":{"prototype":{"polluted":true}},') }),
    () => ({ label: 'duplicate top-level key', payload: text.replace(/^\{/, '{"model":{"preset":"gpt-2"},') }),
    () => ({ label: 'duplicate nested key', payload: /:\{/.test(text) ? text.replace(/:\{/, ':{"x":1,"x":2,') : text.replace(/^\{/, '{"x":{"y":1,"y":2},') }),
    () => ({ label: 'nesting 40 deep', payload: text.replace(/^\{/, `{"deep":${'['.repeat(40)}${']'.repeat(40)},`) }),
    () => ({ label: 'nesting 100 000 deep', payload: BIG.deep }),
    () => ({ label: '60 000 unknown keys', payload: BIG.keys }),
    () => ({ label: '60 000 unknown keys inside the first object', payload: text.replace(/:\{/, `:{${BIG.keysInner},`) }),
    () => ({ label: '20 000 items in an array', payload: text.replace(/^\{/, `{"x":[${BIG.items}],`) }),
    () => ({ label: 'array at the top', payload: `[${text}]` }),
    () => ({ label: 'string at the top', payload: JSON.stringify(text) }),
    () => ({ label: 'number at the top', payload: '42' }),
    () => ({ label: 'null at the top', payload: 'null' }),
    () => ({ label: 'truncated', payload: text.slice(0, Math.max(1, Math.floor(text.length / 2))) }),
    () => ({ label: 'trailing garbage', payload: `${text}xyz` }),
    () => ({ label: 'two documents', payload: `${text}${text}` }),
    () => ({ label: 'empty body', payload: '' }),
    () => ({ label: 'whitespace body', payload: '   \n' }),
    () => ({ label: 'NaN literal', payload: text.replace(/^\{/, '{"x":NaN,') }),
    () => ({ label: 'single quotes', payload: text.replace(/"/g, "'") }),
    () => ({ label: 'comment', payload: `/* hi */${text}` }),
    () => ({ label: 'BOM', payload: `\ufeff${text}` }),
    () => ({ label: 'invalid UTF-8', payload: Buffer.concat([Buffer.from('{"model":{"preset":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}}')]) }),
    () => ({ label: '1.1 MiB body', payload: text.replace(/^\{/, `{"pad":"${BIG.pad}",`) }),
    () => ({ label: 'text/plain', payload: text, contentType: 'text/plain' }),
    () => ({ label: 'form encoded', payload: 'model=llama', contentType: 'application/x-www-form-urlencoded' }),
    () => ({ label: 'multipart', payload: '--b\r\n\r\nx\r\n--b--', contentType: 'multipart/form-data; boundary=b' }),
    () => ({ label: 'xml', payload: '<workload/>', contentType: 'application/xml' }),
    () => ({ label: 'json with charset=utf-8', payload: text, contentType: 'application/json; charset=utf-8' }),
  ];

  return fc.oneof({ weight: 6, arbitrary: valueMutation }, { weight: 2, arbitrary: unknownKey }, { weight: 2, arbitrary: fc.constantFrom(...raw).map((make) => make()) });
}

// --- checks ---------------------------------------------------------------------------------------------

function numbersIn(value: unknown, path = ''): [string, number][] {
  if (typeof value === 'number') return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => numbersIn(v, `${path}/${i}`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => numbersIn(v, `${path}/${k}`));
  return [];
}

interface Outcome {
  status: number;
  label: string;
}

async function send(url: string, c: RawCase): Promise<{ statusCode: number; headers: Record<string, unknown>; body: string }> {
  const res = await app.inject({
    method: 'POST',
    url,
    payload: c.payload,
    headers: c.contentType === undefined ? { 'content-type': 'application/json' } : { 'content-type': c.contentType },
  });
  return { statusCode: res.statusCode, headers: res.headers, body: res.body };
}

async function inBatches<T>(items: T[], each: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += CONCURRENCY) await Promise.all(items.slice(i, i + CONCURRENCY).map(each));
}

describe('HTTP fuzz from the OpenAPI document', () => {
  it('lists the POST routes it fuzzes', () => {
    const posts = Object.entries(doc.paths as Record<string, Schema>).filter(([, ops]) => ops.post?.requestBody).map(([p]) => p);
    expect(posts).toEqual(expect.arrayContaining(['/v1/estimate', '/v1/memory', '/v1/flops', '/v1/gpu-sizing', '/v1/parallelism', '/v1/cost']));
  });

  // one test per POST route found in the document at collection time (the committed file lists them)
  const committed = JSON.parse(readFileSync(new URL('../openapi/openapi.json', import.meta.url), 'utf8')) as Schema;
  const routes = Object.entries(committed.paths as Record<string, Schema>)
    .filter(([, ops]) => ops.post?.requestBody)
    .map(([p]) => p);

  it.each(routes)(
    'POST %s: valid and invalid bodies never get a 5xx; 2xx bodies match the response schema',
    async (url) => {
      const op = (doc.paths as Record<string, Schema>)[url]?.post;
      expect(op, `${url} is in the committed openapi.json but not in the live document`).toBeDefined();
      const bodySchema = op.requestBody.content['application/json'].schema as Schema;
      const responseSchema = op.responses['200'].content['application/json'].schema as Schema;
      const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
      ajv.addSchema({ components: doc.components }, 'doc');
      const fix = (s: unknown): unknown => JSON.parse(JSON.stringify(s).replace(/"#\/components\//g, '"doc#/components/'));
      const validResponse: ValidateFunction = ajv.compile(fix(responseSchema) as object);
      const validRequest: ValidateFunction = ajv.compile(fix(bodySchema) as object);

      const seed = SEED + [...url].reduce((h, c) => (h * 31 + c.charCodeAt(0)) | 0, 0);
      const validBodies = fc.sample(arbitraryFor(bodySchema), { numRuns: VALID_PER_ROUTE, seed });
      const invalidCases = fc.sample(
        fc.constantFrom(...validBodies).chain((v) => mutations(v)),
        { numRuns: INVALID_PER_ROUTE, seed: seed + 1 },
      );

      const failures: string[] = [];
      const statuses = new Map<number, number>();
      const tally = (o: Outcome) => statuses.set(o.status, (statuses.get(o.status) ?? 0) + 1);
      let schemaValid = 0;
      const validMs: number[] = [];

      const check = async (c: RawCase, expectValidSchema: boolean | undefined) => {
        const started = performance.now();
        const res = await send(url, c);
        const ms = performance.now() - started;
        tally({ status: res.statusCode, label: c.label });
        const where = `${c.label} → ${res.statusCode} in ${ms.toFixed(0)} ms: ${String(c.payload).slice(0, 300)} :: ${res.body.slice(0, 300)}`;
        if (res.statusCode >= 500) failures.push(`5xx: ${where}`);
        else if (res.statusCode >= 400) {
          if (!String(res.headers['content-type']).startsWith('application/problem+json')) failures.push(`4xx without problem+json: ${where}`);
          const p = JSON.parse(res.body);
          if (p.status !== res.statusCode || typeof p.title !== 'string' || typeof p.detail !== 'string') failures.push(`malformed problem: ${where}`);
        } else if (res.statusCode >= 200 && res.statusCode < 300) {
          if (expectValidSchema === false) failures.push(`accepted a body that fails the request schema: ${where}`);
          const body = JSON.parse(res.body);
          if (!validResponse(body)) failures.push(`response schema: ${ajv.errorsText(validResponse.errors)}: ${where}`);
          const bad = numbersIn(body).filter(([, n]) => !Number.isFinite(n));
          if (bad.length > 0) failures.push(`non-finite numbers ${JSON.stringify(bad.slice(0, 3))}: ${where}`);
        } else failures.push(`unexpected status: ${where}`);
        if (ms > TASK_TIMEOUT_MS) failures.push(`slow (${ms.toFixed(0)} ms): ${where}`);
        if (({} as Record<string, unknown>).polluted !== undefined) failures.push(`prototype polluted: ${where}`);
      };

      const phase0 = performance.now();
      await inBatches(validBodies, async (b) => {
        if (validRequest(b)) schemaValid++;
        const t0 = performance.now();
        await check({ label: 'valid', payload: JSON.stringify(b) }, undefined);
        validMs.push(performance.now() - t0);
      });
      const validPhaseMs = performance.now() - phase0;
      await inBatches(invalidCases, async (c) => {
        let parsed: unknown;
        try {
          parsed = (c.contentType === undefined || c.contentType.startsWith('application/json')) && typeof c.payload === 'string' ? JSON.parse(c.payload) : undefined;
        } catch {
          parsed = undefined;
        }
        await check(c, parsed === undefined ? false : validRequest(parsed) ? undefined : false);
      });

      const summary = [...statuses.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ');
      validMs.sort((a, b) => a - b);
      const q = (f: number) => (validMs[Math.min(validMs.length - 1, Math.floor(f * validMs.length))] ?? 0).toFixed(0);
      console.log(
        `fuzz ${url}: ${validBodies.length} valid (${schemaValid} pass the request schema; ms p50 ${q(0.5)} p90 ${q(0.9)} max ${q(1)}; ${(validPhaseMs / 1000).toFixed(1)} s) + ` +
          `${invalidCases.length} invalid bodies (${((performance.now() - phase0 - validPhaseMs) / 1000).toFixed(1)} s) → ${summary}`,
      );
      expect(schemaValid).toBe(validBodies.length);
      expect(failures.slice(0, 10), `${failures.length} failures`).toEqual([]);
      // the generator reaches the planner, not only the validator
      expect(statuses.get(200) ?? 0, summary).toBeGreaterThan(0);
    },
    120_000,
  );
});
