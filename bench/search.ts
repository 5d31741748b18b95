// Layout-search speed on one core: (1) layouts evaluated per second by the memory and time models
// on the layouts a full search really hands them; (2) wall time of the full searches the issue
// names. Everything here runs on the calling thread, so the figures are per core.
import { estimateMemory, evaluateMemoryBytes, prepareMemory } from '../src/domain/memory/index.js';
import { modelEvaluator, searchLayouts, searchSpaceSize, type SearchRequest, type SearchResult } from '../src/domain/search/index.js';
import { createPerformanceEstimate, evaluateLayout, prepareWorkload } from '../src/domain/performance/index.js';
import type { ParallelLayout } from '../src/domain/core/index.js';
import { BENCH_SEARCHES } from '../test/fixtures/search-workloads.js';

export interface ThroughputRow {
  name: string;
  /** layouts per second: memory fast path (prepareMemory + evaluateMemoryBytes) */
  memoryPerSecond: number;
  /** time fast path (prepareWorkload + evaluateLayout into one reused estimate) */
  timePerSecond: number;
  /** both, on the layouts the search times: what the search pays per evaluated layout */
  bothPerSecond: number;
  /** estimateMemory per layout (one-shot, full breakdown): what the search called before the fast path */
  oneShotMemoryPerSecond: number;
  memoryLayouts: number;
  timedLayouts: number;
}

export interface SearchRow {
  name: string;
  walls: number[];
  medianMs: number;
  minMs: number;
  spaceSize: number;
  result: SearchResult;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

/** Every `step`-th element, at most `max` of them, spread over the whole array. */
function spread<T>(xs: T[], max: number): T[] {
  if (xs.length <= max) return xs;
  const step = xs.length / max;
  return Array.from({ length: max }, (_, i) => xs[Math.floor(i * step)] as T);
}

/** The layouts a full search hands to memoryBytes and to stepSeconds (copies), in search order. */
export function recordSearchLayouts(req: SearchRequest, max = 20_000): { memory: ParallelLayout[]; timed: ParallelLayout[] } {
  const memory: ParallelLayout[] = [];
  const timed: ParallelLayout[] = [];
  searchLayouts({ ...req, timeBudgetMs: 600_000 }, (r) => {
    const ev = modelEvaluator(r);
    return {
      ...ev,
      memoryBytes: (l) => {
        memory.push({ ...l });
        return ev.memoryBytes(l);
      },
      stepSeconds: (l) => {
        timed.push({ ...l });
        return ev.stepSeconds(l);
      },
    };
  });
  return { memory: spread(memory, max), timed: spread(timed, max) };
}

/** Calls per second of `fn` over `layouts`: one warm-up pass (JIT), then whole passes for at least minMs. */
function perSecond(layouts: readonly ParallelLayout[], fn: (l: ParallelLayout) => number, minMs: number): number {
  let sink = 0;
  for (const l of layouts) sink += fn(l);
  let passes = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    for (const l of layouts) sink += fn(l);
    passes++;
    elapsed = performance.now() - start;
  } while (elapsed < minMs);
  if (!Number.isFinite(sink)) throw new Error('non-finite model output');
  return (passes * layouts.length) / (elapsed / 1000);
}

export function measureThroughput(minMs = 400): ThroughputRow[] {
  return BENCH_SEARCHES.map(({ name, request }) => {
    const req = request();
    const { memory, timed } = recordSearchLayouts(req);
    const { shape, counts, training, accelerator } = req;
    const mem = prepareMemory(shape, counts, training, accelerator);
    const work = prepareWorkload(shape, counts, training, accelerator);
    const out = createPerformanceEstimate();
    return {
      name,
      memoryPerSecond: perSecond(memory, (l) => evaluateMemoryBytes(mem, l), minMs),
      timePerSecond: perSecond(timed, (l) => evaluateLayout(work, l, out).stepSeconds, minMs),
      bothPerSecond: perSecond(timed, (l) => evaluateMemoryBytes(mem, l) + evaluateLayout(work, l, out).stepSeconds, minMs),
      oneShotMemoryPerSecond: perSecond(memory, (l) => estimateMemory(shape, counts, training, l, accelerator).perGpu.totalBytes, minMs),
      memoryLayouts: memory.length,
      timedLayouts: timed.length,
    };
  });
}

/** Each full search (time budget lifted) once to warm up, then `repeat` timed runs. */
export function measureSearches(repeat = 5, deadline = Infinity): SearchRow[] {
  return BENCH_SEARCHES.map(({ name, request }) => {
    const req = { ...request(), timeBudgetMs: 600_000 };
    let result = searchLayouts(req);
    const walls: number[] = [];
    for (let i = 0; i < repeat && (i === 0 || performance.now() < deadline); i++) {
      const t0 = performance.now();
      result = searchLayouts(req);
      walls.push(performance.now() - t0);
    }
    return { name, walls, medianMs: median(walls), minMs: Math.min(...walls), spaceSize: searchSpaceSize(req), result };
  });
}
