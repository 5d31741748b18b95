// The layout search's fast path (evaluateLayout: per-layer and per-data-group rows cached on the
// workload context) against the model computed top to bottom (evaluateLayoutReference), on about
// 100k seeded pseudo-random layouts over the calibration, held-out and bench workloads: every field
// of PerformanceEstimate must be the same double (Object.is), whatever the order of the calls.
import { describe, expect, it } from 'vitest';
import {
  createPerformanceEstimate,
  evaluateLayout,
  evaluateLayoutReference,
  prepareWorkload,
  type WorkloadContext,
} from '../src/domain/performance/index.js';
import type { ParallelLayout, PerformanceEstimate } from '../src/domain/core/index.js';
import { performanceWorkloads, randomLayouts, type PerformanceWorkload } from './fixtures/performance-layouts.js';

const FIELDS = ['stepSeconds', 'tokensPerSecond', 'tflopsPerGpu', 'mfu', 'hfu'] as const;
const BREAKDOWN = [
  'compute', 'recompute', 'tensorComm', 'pipelineBubble', 'pipelineComm', 'dataComm', 'contextComm', 'expertComm', 'optimizer',
] as const;

/** The first field where the two estimates differ (Object.is), or '' when they agree on all of them. */
function difference(fast: PerformanceEstimate, ref: PerformanceEstimate): string {
  for (const f of FIELDS) if (!Object.is(fast[f], ref[f])) return `${f}: ${fast[f]} vs ${ref[f]}`;
  for (const f of BREAKDOWN) {
    if (!Object.is(fast.breakdownSeconds[f], ref.breakdownSeconds[f])) return `breakdownSeconds.${f}: ${fast.breakdownSeconds[f]} vs ${ref.breakdownSeconds[f]}`;
  }
  if (fast.source !== ref.source) return `source: ${fast.source} vs ${ref.source}`;
  return '';
}

/** Mismatches of evaluateLayout (into one reused estimate) against the reference, at most 5 described. */
function mismatches(ctx: WorkloadContext, layouts: readonly ParallelLayout[]): string[] {
  const out = createPerformanceEstimate();
  const found: string[] = [];
  for (const l of layouts) {
    const diff = difference(evaluateLayout(ctx, l, out), evaluateLayoutReference(ctx, l));
    if (diff && found.length < 5) found.push(`${JSON.stringify(l)}: ${diff}`);
  }
  return found;
}

function prepare(w: PerformanceWorkload): WorkloadContext {
  return prepareWorkload(w.shape, w.counts, w.training, w.accelerator, w.options);
}

const WORKLOADS = performanceWorkloads();
const PER_WORKLOAD = Math.ceil(100_000 / WORKLOADS.length);

describe('evaluateLayout (cached fast path) = evaluateLayoutReference, to the bit', () => {
  it(`covers the calibration, held-out and bench workloads (${WORKLOADS.length})`, () => {
    const names = WORKLOADS.map((w) => w.name);
    expect(names.some((n) => n.startsWith('PTD-P'))).toBe(true);
    expect(names.some((n) => n.startsWith('deepseek-v3 on 2,048 H800'))).toBe(true);
    expect(WORKLOADS.length).toBeGreaterThan(30);
  });

  it.each(WORKLOADS.map((w, i) => [w.name, w, i] as const))('%s: every field of every layout', (_name, w, i) => {
    const layouts = randomLayouts(1000 + i, PER_WORKLOAD, w.shape.layers);
    expect(mismatches(prepare(w), layouts)).toEqual([]);
  });

  it('into a fresh estimate (no `out`) as into a reused one', () => {
    const w = WORKLOADS[WORKLOADS.length - 1] as PerformanceWorkload;
    const ctx = prepare(w);
    for (const l of randomLayouts(7, 2000, w.shape.layers)) {
      expect(difference(evaluateLayout(ctx, l), evaluateLayoutReference(ctx, l))).toBe('');
    }
  });

  it('with more distinct micro-batch sizes than any search visits (1..300), evaluated twice in opposite orders', () => {
    for (const w of WORKLOADS.filter((_, i) => i % 5 === 0)) {
      const ctx = prepare(w);
      const layouts = randomLayouts(42, 3000, w.shape.layers, true);
      expect(mismatches(ctx, layouts)).toEqual([]);
      expect(mismatches(ctx, [...layouts].reverse())).toEqual([]);
    }
  });

  it('axis values too large to key a cached row (computed in place, not kept)', () => {
    const w = WORKLOADS.find((x) => x.name.startsWith('deepseek-v3 on 2,048 H800')) as PerformanceWorkload;
    const ctx = prepare(w);
    const base: ParallelLayout = {
      tensor: 8, pipeline: 8, data: 16, context: 2, expert: 8, microBatchSize: 2, zeroStage: 1, recompute: 'selective',
      sequenceParallel: true, schedule: 'interleaved', virtualStages: 2,
    };
    const huge: ParallelLayout[] = [
      base,
      { ...base, tensor: 512 },
      base,
      { ...base, context: 4096 },
      { ...base, expert: 8192 },
      { ...base, microBatchSize: 2 ** 23 },
      { ...base, data: 2 ** 22 },
      { ...base, pipeline: 1, data: 2 ** 21, context: 1 },
      base,
    ];
    expect(mismatches(ctx, huge)).toEqual([]);
    // the same layouts on a model with more layers than a row key holds (heaviest stage ≥ 4096 layers)
    const deep = prepareWorkload({ ...w.shape, layers: 9000 }, w.counts, w.training, w.accelerator, w.options);
    expect(mismatches(deep, huge.map((l) => ({ ...l, pipeline: 1 })))).toEqual([]);
  });

  it('a copy of an evaluated context with one setting changed does not reuse the original rows', () => {
    const w = WORKLOADS.find((x) => x.name.startsWith('llama-3.1-405b')) as PerformanceWorkload;
    const ctx = prepare(w);
    const layouts = randomLayouts(3, 2000, w.shape.layers);
    expect(mismatches(ctx, layouts)).toEqual([]);
    const copy: WorkloadContext = { ...ctx, tensorCommOverlap: 0, dataCommOverlap: 0 };
    expect(mismatches(copy, layouts)).toEqual([]);
    // and the copy's step times do differ (the comparison above could otherwise pass on stale rows)
    const l = layouts.find((x) => x.tensor > 1 && x.data > 1) as ParallelLayout;
    expect(evaluateLayout(copy, l).stepSeconds).toBeGreaterThan(evaluateLayout(ctx, l).stepSeconds);
  });

  it('two contexts evaluated alternately keep their own rows', () => {
    const a = WORKLOADS.find((x) => x.name.startsWith('gpt-3-175b on 1,024 A100')) as PerformanceWorkload;
    const b = WORKLOADS.find((x) => x.name.startsWith('gpt-3 fp32 A100')) as PerformanceWorkload;
    const ca = prepare(a);
    const cb = prepare(b);
    const out = createPerformanceEstimate();
    for (const l of randomLayouts(11, 3000, a.shape.layers)) {
      expect(difference(evaluateLayout(ca, l, out), evaluateLayoutReference(ca, l))).toBe('');
      expect(difference(evaluateLayout(cb, l, out), evaluateLayoutReference(cb, l))).toBe('');
    }
  });
});
