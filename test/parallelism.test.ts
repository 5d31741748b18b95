import { describe, expect, it } from 'vitest';
import { divisors, layoutProblems } from '../src/domain/layouts/index.js';
import { estimateMemory, memoryLowerBoundBytes } from '../src/domain/memory/index.js';
import { estimatePerformance } from '../src/domain/performance/index.js';
import {
  DEFAULT_MAX_EVALUATIONS,
  TopK,
  incompleteSearchWarning,
  explainRunnerUp,
  modelEvaluator,
  searchLayouts,
  searchSpaceSize,
  type EvaluatorFactory,
  type LayoutCandidate,
  type SearchRequest,
} from '../src/domain/search/index.js';
import type { Accelerator, ModelShape, ParallelLayout, RecomputeMode, ZeroStage } from '../src/domain/core/index.js';
import { A100_80GB, H100_SXM } from './fixtures/accelerators.js';
import { standInEvaluator, type StandInCalls } from './fixtures/search-evaluator.js';
import { BENCH_SEARCHES, GPT3_175B, LLAMA2_7B, LLAMA31_405B, searchRequest, training } from './fixtures/search-workloads.js';

const GiB = 2 ** 30;

interface Scored {
  layout: ParallelLayout;
  seconds: number;
  bytes: number;
}

/** Two step times equal within a relative 1e-12, as the search compares them. */
function ties(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b));
}

/**
 * Every valid layout, no pruning: the reference the pruned search must reproduce.
 * timed: the fitting layouts left after recomputation dominance (what the search must time);
 * fitting: those ranked by (step time, memory), without the weakly dominated ones (a tie on step
 * time with no less memory than a better-ranked layout), which the search does not list.
 */
function bruteForce(req: SearchRequest, factory: EvaluatorFactory): { all: number; timed: number; fitting: Scored[]; minBytes: number } {
  const ev = factory(req);
  const N = req.gpus;
  const f = req.fixed;
  const fitting: Scored[] = [];
  let all = 0;
  let minBytes = Infinity;
  const pick = <T>(fixed: T | undefined, all: T[]): T[] => (fixed !== undefined ? [fixed] : all);
  for (const t of pick(f.tensor, divisors(N)))
    for (const p of pick(f.pipeline, divisors(N / t)))
      for (const c of pick(f.context, divisors(N / (t * p)))) {
        const d = N / (t * p * c);
        if (!Number.isInteger(d) || (f.data !== undefined && f.data !== d)) continue;
        for (const v of pick(f.virtualStages, divisors(req.shape.layers)))
          for (const e of pick(f.expert, req.shape.moe ? divisors(req.shape.moe.experts) : [1]))
            for (const b of pick(f.microBatchSize, divisors(req.training.globalBatchSequences)))
              for (const sp of pick(f.sequenceParallel, [false, true]))
                for (const z of pick<ZeroStage>(f.zeroStage, [0, 1, 2, 3]))
                  for (const r of pick<RecomputeMode>(f.recompute, ['none', 'selective', 'full'])) {
                    const schedule = v > 1 ? 'interleaved' : '1f1b';
                    if (f.schedule !== undefined && f.schedule !== schedule) continue;
                    all++;
                    if (sp && t === 1 && f.sequenceParallel === undefined) continue; // same layout as sp off
                    if (z > 0 && d * c === 1 && f.zeroStage === undefined) continue; // ZeRO over one rank: same as ZeRO-0
                    const layout: ParallelLayout = { tensor: t, pipeline: p, data: d, context: c, expert: e, microBatchSize: b, zeroStage: z, recompute: r, sequenceParallel: sp, schedule, virtualStages: v };
                    if (layoutProblems(req.shape, req.training, N, layout).length > 0) continue;
                    if (t > req.accelerator.scaleUpDomainSize && !req.allowTensorBeyondScaleUp && f.tensor === undefined) continue;
                    const bytes = ev.memoryBytes(layout);
                    minBytes = Math.min(minBytes, bytes);
                    if (bytes > ev.capacityBytes) continue;
                    fitting.push({ layout, seconds: ev.stepSeconds(layout), bytes });
                  }
      }
  // dominance, as the issue defines it: more recomputation never wins when less fits
  const rank = { none: 0, selective: 1, full: 2 } as const;
  const key = (l: ParallelLayout) => JSON.stringify({ ...l, recompute: undefined });
  const least = new Map<string, number>();
  for (const x of fitting) least.set(key(x.layout), Math.min(least.get(key(x.layout)) ?? 9, rank[x.layout.recompute]));
  const kept = fitting.filter((x) => rank[x.layout.recompute] === least.get(key(x.layout)));
  kept.sort((x, y) => x.seconds - y.seconds || x.bytes - y.bytes);
  const ranked: Scored[] = [];
  for (const x of kept) {
    const tie = ranked.findIndex((y) => ties(x.seconds, y.seconds));
    if (tie < 0) ranked.push(x);
    else if (x.bytes < ranked[tie]!.bytes) ranked[tie] = x;
  }
  return { all, timed: kept.length, fitting: ranked, minBytes };
}

function expectValid(req: SearchRequest, candidates: LayoutCandidate[]): void {
  for (const cand of candidates) {
    const l = cand.parallelism;
    expect(layoutProblems(req.shape, req.training, req.gpus, l), JSON.stringify(l)).toEqual([]);
    expect(l.tensor * l.pipeline * l.data * l.context).toBe(req.gpus);
    expect(cand.memory.fits).toBe(true);
    expect(cand.memory.perGpu.totalBytes).toBeLessThanOrEqual(req.accelerator.memoryBytes);
    for (const [k, v] of Object.entries(req.fixed)) expect(l[k as keyof ParallelLayout], k).toBe(v);
  }
  for (let i = 1; i < candidates.length; i++) {
    expect(candidates[i]!.performance.stepSeconds).toBeGreaterThanOrEqual(candidates[i - 1]!.performance.stepSeconds * (1 - 1e-12));
  }
}

/** A 40 GiB variant of the H100 (memory-hungrier problem on the same chip). */
const H100_40GB: Accelerator = { ...H100_SXM, id: 'h100-40gb-test', memoryBytes: 40 * GiB };

/** DeepSeek-V2-Lite (arXiv 2405.04434 App. B, HF config.json): 27 layers, the first dense, 64 routed
 *  experts (top-6) + 2 shared; attention as MHA here (its MLA fields left out). */
const DEEPSEEK_V2_LITE_MHA: ModelShape = {
  layers: 27, hiddenSize: 2048, attentionHeads: 16, kvHeads: 16, headDim: 128, ffnHiddenSize: 10944,
  vocabSize: 102400, gatedMlp: true, tiedEmbeddings: false,
  moe: { experts: 64, activeExperts: 6, expertFfnHiddenSize: 1408, sharedExperts: 2, denseLayers: 1 },
};

describe('searchLayouts (stand-in memory and time model)', () => {
  const standIn = standInEvaluator();
  // Llama 2 7B on 16 V100-sized GPUs: memory rules out many layouts
  const small = searchRequest(LLAMA2_7B, training(4096, 64), { ...H100_SXM, memoryBytes: 32 * GiB }, 16);

  it('finds the same best layouts as brute force, while timing far fewer', () => {
    const calls: StandInCalls = { lowerBound: 0, memory: 0, step: 0 };
    const result = searchLayouts(small, standInEvaluator(calls));
    const ref = bruteForce(small, standIn);
    expect(ref.fitting.length).toBeGreaterThan(small.topK);
    expect(result.complete).toBe(true);
    expect(result.candidates).toHaveLength(10);
    const got = result.candidates.map((c) => c.performance.stepSeconds);
    const want = ref.fitting.slice(0, 10).map((s) => s.seconds);
    for (let i = 0; i < 10; i++) expect(got[i]).toBeCloseTo(want[i]!, 12);
    expect(result.candidates[0]!.parallelism).toEqual(ref.fitting[0]!.layout);
    // pruning: the time model ran on a fraction of the fitting layouts (dominated recomputation)
    // the time model ran exactly on the fitting, non-dominated layouts: a small part of the space
    expect(calls.step).toBe(result.evaluated);
    expect(result.evaluated).toBe(ref.timed);
    expect(result.evaluated).toBeLessThan(result.searched / 5);
    expectValid(small, result.candidates);
  });

  it('counts every layout of the space exactly once: searched = evaluated + pruned', () => {
    const result = searchLayouts(small, standIn);
    const ref = bruteForce(small, standIn);
    // 16 GPUs: 35 (t,p,c,d) grid points × 6 virtual-stage counts × 7 micro-batches × 2 × 4 × 3
    expect(searchSpaceSize(small)).toBe(35 * 6 * 7 * 2 * 4 * 3);
    expect(result.searched).toBe(ref.all);
    expect(result.searched).toBe(searchSpaceSize(small));
    const { divisibility, memory, dominated } = result.pruned;
    expect(result.evaluated + divisibility + memory + dominated).toBe(result.searched);
    expect(divisibility).toBeGreaterThan(0);
    expect(memory).toBeGreaterThan(0);
    expect(dominated).toBeGreaterThan(0);
  });

  it('honours every fixed field', () => {
    const fixed: Partial<ParallelLayout> = { pipeline: 2, zeroStage: 1, recompute: 'full', microBatchSize: 2 };
    const req = { ...small, fixed };
    const result = searchLayouts(req, standIn);
    const ref = bruteForce(req, standIn);
    expect(result.candidates.length).toBe(Math.min(10, ref.fitting.length));
    expect(result.candidates[0]!.performance.stepSeconds).toBeCloseTo(ref.fitting[0]!.seconds, 12);
    expectValid(req, result.candidates);
  });

  it('keeps t within the scale-up domain unless allowed, or unless t is fixed', () => {
    // 32 GPUs, one pipeline stage, no context parallelism: t × d = 32
    const fixed0: Partial<ParallelLayout> = { pipeline: 1, context: 1, microBatchSize: 1, zeroStage: 1, recompute: 'full', sequenceParallel: true };
    const req = searchRequest(GPT3_175B, training(2048, 64), { ...H100_SXM, memoryBytes: 1e15 }, 32, { fixed: fixed0, topK: 100 });
    const inside = searchLayouts(req, standIn);
    expect(inside.candidates.map((c) => c.parallelism.tensor).sort((x, y) => x - y)).toEqual([1, 2, 4, 8]);
    const beyond = searchLayouts({ ...req, allowTensorBeyondScaleUp: true }, standIn);
    expect(beyond.candidates.map((c) => c.parallelism.tensor).sort((x, y) => x - y)).toEqual([1, 2, 4, 8, 16, 32]);
    const fixed = searchLayouts({ ...req, fixed: { ...fixed0, tensor: 16 } }, standIn);
    expect(fixed.candidates.length).toBeGreaterThan(0);
    expect(fixed.candidates.every((c) => c.parallelism.tensor === 16)).toBe(true);
  });

  it('returns the closest layout and its shortfall when nothing fits', () => {
    const req = searchRequest(LLAMA2_7B, training(4096, 64), { ...H100_SXM, memoryBytes: 2.5 * GiB }, 16);
    const result = searchLayouts(req, standIn);
    const ref = bruteForce(req, standIn);
    expect(ref.fitting).toHaveLength(0);
    expect(result.candidates).toEqual([]);
    expect(result.closest!.memoryBytes).toBeCloseTo(ref.minBytes, 0);
    expect(result.infeasibleReason).toMatch(/^no layout fits in 2\.5 GiB per GPU; the closest, tp=\d+ pp=\d+ .*, needs \d+\.\d GiB \(\d+\.\d GiB over\)$/);
    expect(result.infeasibleReason).toContain(`needs ${(ref.minBytes / GiB).toFixed(1)} GiB`);
  });

  it('explains when no layout passes the divisibility rules', () => {
    // 37 GPUs (prime): t must divide 32 heads, p ≤ 32 layers, 64 sequences and 4096 tokens share no factor with 37
    const req = searchRequest(LLAMA2_7B, training(4096, 64), H100_SXM, 37);
    const result = searchLayouts(req, standIn);
    expect(result.candidates).toEqual([]);
    expect(result.evaluated).toBe(0);
    expect(result.pruned.divisibility).toBe(result.searched);
    expect(result.infeasibleReason).toContain('no parallel layout of 37 GPUs satisfies the divisibility rules');
    expect(result.infeasibleReason).toContain('global batch of 64 sequences does not split evenly over data=37');
  });

  it('does not report a memory miss when the only obstacle is divisibility (interleaving needs m a multiple of p)', () => {
    // 120 sequences over d = 4: 30 per rank, so m = 30/b is never a multiple of p = 16 for any valid b
    const req = searchRequest(LLAMA2_7B, training(4096, 120), H100_SXM, 64, {
      fixed: { tensor: 1, pipeline: 16, data: 4, schedule: 'interleaved', virtualStages: 2 },
    });
    const result = searchLayouts(req);
    expect(result.candidates).toEqual([]);
    expect(result.closest).toBeUndefined();
    expect(result.infeasibleReason).toContain('satisfies the divisibility rules');
    expect(result.infeasibleReason).not.toContain('GiB over');
  });

  it('stops at the time budget with complete: false and the best found so far', () => {
    const req = searchRequest(LLAMA31_405B, training(8192, 2048), H100_SXM, 16_384, { timeBudgetMs: 1 });
    const result = searchLayouts(req, standIn);
    expect(result.complete).toBe(false);
    expect(result.searched).toBeLessThan(searchSpaceSize(req));
    expect(result.elapsedMs).toBeLessThan(250);
    const zero = searchLayouts({ ...req, timeBudgetMs: 0 }, standIn);
    expect(zero.complete).toBe(false);
  });

  it('prices candidates per million tokens when asked for cost', () => {
    const req = { ...small, objective: 'cost' as const, gpuHourUsd: 2 };
    const result = searchLayouts(req, standIn);
    const best = result.candidates[0]!;
    // 16 GPUs × step s / 3600 × $2 per GPU-hour, over 64 × 4096 tokens per step
    const expected = ((16 * best.performance.stepSeconds) / 3600) * 2 * (1e6 / (64 * 4096));
    expect(best.costPerMillionTokensUsd).toBeCloseTo(expected, 10);
    // with a fixed GPU count and batch, cost per token ranks exactly like step time
    expect(result.candidates.map((c) => c.parallelism)).toEqual(searchLayouts(small, standIn).candidates.map((c) => c.parallelism));
  });

  it('lists no two candidates tying on step time: of a tie, the leaner layout (ties from fields the model ignores)', () => {
    // the stand-in's step time ignores sequence parallelism and charges ZeRO-1 and ZeRO-2 alike,
    // while both save memory: brute force finds many exact ties among the fastest layouts
    const ref = bruteForce(small, standIn);
    expect(ref.timed).toBeGreaterThan(ref.fitting.length);
    const result = searchLayouts(small, standIn);
    const seconds = result.candidates.map((c) => c.performance.stepSeconds);
    for (let i = 1; i < seconds.length; i++) expect(seconds[i]! / seconds[i - 1]!).toBeGreaterThan(1 + 1e-12);
    for (const c of result.candidates) {
      const l = c.parallelism;
      // ZeRO-2 holds less than ZeRO-1 at the same step time; sequence parallel less than without
      expect(l.zeroStage, JSON.stringify(l)).not.toBe(1);
      if (l.tensor > 1) expect(l.sequenceParallel, JSON.stringify(l)).toBe(true);
    }
  });

  it('does not repeat ZeRO over a one-rank data-parallel group, unless the stage is fixed', () => {
    // d = c = 1: 16 GPUs as t × p only; ZeRO-1/2/3 shard over one rank, i.e. nothing
    const req = { ...small, fixed: { data: 1, context: 1 }, topK: 50 };
    const result = searchLayouts(req, standIn);
    expect(result.candidates.length).toBeGreaterThan(0);
    for (const c of result.candidates) expect(c.parallelism.zeroStage).toBe(0);
    expect(result.searched).toBe(searchSpaceSize(req));
    const fixed = searchLayouts({ ...req, fixed: { ...req.fixed, zeroStage: 3 } }, standIn);
    expect(fixed.candidates.length).toBeGreaterThan(0);
    for (const c of fixed.candidates) expect(c.parallelism.zeroStage).toBe(3);
  });

  it('says why the runner-up lost', () => {
    const result = searchLayouts(small, standIn);
    expect(result.runnerUpReason).toMatch(/^runner-up .+: (\+\d+\.\d% step time, mostly .+ \(\+.+\)|same step time within 0\.05%.*)$/);
  });
});

describe('TopK (the search\'s best-K list)', () => {
  const at = (tensor: number): ParallelLayout => ({ tensor, pipeline: 1, data: 1, context: 1, expert: 1, microBatchSize: 1, zeroStage: 0, recompute: 'none', sequenceParallel: false, schedule: '1f1b', virtualStages: 1 });
  const kept = (top: TopK) => Array.from({ length: top.size }, (_, i) => [top.scores[i], top.memories[i], top.layouts[i]!.tensor]);

  it('keeps the k best by (score, memory), in order, reusing its slots', () => {
    const top = new TopK(3);
    top.offer(5, 10, at(1));
    top.offer(3, 10, at(2));
    top.offer(4, 10, at(4));
    expect(top.threshold).toBe(5);
    top.offer(6, 1, at(8)); // worse than the worst kept: ignored
    top.offer(1, 10, at(16));
    expect(kept(top)).toEqual([[1, 10, 16], [3, 10, 2], [4, 10, 4]]);
    expect(new Set(top.layouts).size).toBe(3);
  });

  it('a tie on score keeps only the leaner layout, whichever comes first; equal memory keeps the first', () => {
    const top = new TopK(4);
    top.offer(2, 50, at(1));
    top.offer(2 * (1 + 1e-14), 60, at(2)); // ties, more memory: not kept
    top.offer(2, 50, at(4)); // ties, same memory: not kept
    expect(kept(top)).toEqual([[2, 50, 1]]);
    top.offer(2 * (1 - 1e-14), 40, at(8)); // ties, less memory: replaces it
    top.offer(2 * (1 + 1e-9), 10, at(16)); // a real difference: kept beside it
    expect(kept(top)).toEqual([[2 * (1 - 1e-14), 40, 8], [2 * (1 + 1e-9), 10, 16]]);
    expect(new Set(top.layouts).size).toBe(4);
  });
});

describe('explainRunnerUp', () => {
  const breakdown = { compute: 40, recompute: 1, tensorComm: 2, pipelineBubble: 4, pipelineComm: 0.5, dataComm: 2, contextComm: 0, expertComm: 0, hostOverhead: 0, optimizer: 0.5 };
  const cand = (l: Partial<ParallelLayout>, bd: typeof breakdown, totalBytes = 60 * GiB): LayoutCandidate => ({
    parallelism: { tensor: 8, pipeline: 8, data: 128, context: 1, expert: 1, microBatchSize: 1, zeroStage: 1, recompute: 'selective', sequenceParallel: true, schedule: 'interleaved', virtualStages: 4, ...l },
    memory: { perGpu: { weightsBytes: 0, gradientsBytes: 0, optimizerBytes: 0, activationsBytes: 0, logitsBytes: 0, cudaContextBytes: 0, communicationBuffersBytes: 0, fragmentationBytes: 0, totalBytes }, gpuMemoryBytes: 80 * GiB, fits: true, mostLoadedStage: 0, inFlightMicroBatches: 8, activationBytesPerLayerPerMicroBatch: 0 },
    performance: { stepSeconds: Object.values(bd).reduce((a, b) => a + b, 0), tokensPerSecond: 1, tflopsPerGpu: 1, mfu: 0.4, hfu: 0.4, breakdownSeconds: bd, source: 'model' },
  });

  it('names the differing fields, the step-time gap and the component that grew most', () => {
    const winner = cand({}, breakdown); // 50 s
    const runnerUp = cand({ pipeline: 16, data: 64, schedule: '1f1b', virtualStages: 1 }, { ...breakdown, pipelineBubble: 7.1 }); // 53.1 s
    expect(explainRunnerUp(winner, runnerUp)).toBe('runner-up pp=16 dp=64 v=1: +6.2% step time, mostly pipeline bubble (+3.10 s)');
  });

  it('reports a tie on step time and the memory difference', () => {
    const winner = cand({}, breakdown, 50 * GiB);
    const runnerUp = cand({ zeroStage: 0 }, breakdown, 62 * GiB);
    expect(explainRunnerUp(winner, runnerUp)).toBe('runner-up zero=0: same step time within 0.05%, 12.0 GiB more memory per GPU');
    const nearly = cand({ microBatchSize: 2 }, { ...breakdown, dataComm: 2.01 }, 50 * GiB); // 50.01 s
    expect(explainRunnerUp(winner, nearly)).toBe('runner-up mbs=2: same step time within 0.05% (+0.020%)');
  });
});

describe('searchLayouts with the real memory and time models', () => {
  it('Llama 2 7B on 8 H100 finds layouts that fit', () => {
    const req = searchRequest(LLAMA2_7B, training(4096, 512), H100_SXM, 8);
    const result = searchLayouts(req);
    expect(result.complete).toBe(true);
    expect(result.candidates.length).toBe(10);
    expectValid(req, result.candidates);
    const best = result.candidates[0]!;
    expect(best.performance.mfu).toBeGreaterThan(0.2);
    expect(best.performance.mfu).toBeLessThan(0.8);
  });

  it('pruning loses nothing against brute force on the real models (7B, 16 GPUs, 40 GiB)', () => {
    const req = searchRequest(LLAMA2_7B, training(4096, 64), H100_40GB, 16);
    const result = searchLayouts(req);
    const ref = bruteForce(req, modelEvaluator);
    expect(ref.fitting.length).toBeGreaterThan(10);
    expect(result.searched).toBe(ref.all);
    const got = result.candidates.map((c) => c.performance.stepSeconds);
    const want = ref.fitting.slice(0, 10).map((s) => s.seconds);
    for (let i = 0; i < 10; i++) expect(got[i]! / want[i]!).toBeCloseTo(1, 9);
  });

  it('the fast path (prepared memory + time models) returns exactly what the one-shot models give', () => {
    // the evaluator the search ran on before prepareMemory: estimateMemory / estimatePerformance per layout
    const oneShot: EvaluatorFactory = (r) => ({
      capacityBytes: r.accelerator.memoryBytes,
      memoryLowerBoundBytes: (l) => memoryLowerBoundBytes(r.shape, r.counts, r.training, l, r.accelerator),
      leafLowerBound: false,
      memoryBytes: (l) => estimateMemory(r.shape, r.counts, r.training, l, r.accelerator).perGpu.totalBytes,
      stepSeconds: (l) => estimatePerformance(r.shape, r.counts, r.training, l, r.accelerator).stepSeconds,
      memory: (l) => estimateMemory(r.shape, r.counts, r.training, l, r.accelerator),
      performance: (l) => estimatePerformance(r.shape, r.counts, r.training, l, r.accelerator),
    });
    const requests = [
      // an odd layer count (uneven 1F1B and interleaved splits) and a leading dense layer before MoE ones
      searchRequest(DEEPSEEK_V2_LITE_MHA, training(4096, 64, 'fp8'), H100_SXM, 32, { topK: 20 }),
      searchRequest(GPT3_175B, training(2048, 64), A100_80GB, 64, { topK: 20 }), // 96 layers: p·v up to 96
    ];
    for (const req of requests) {
      const fast = searchLayouts(req);
      const slow = searchLayouts(req, oneShot);
      expect(fast.candidates.length).toBeGreaterThan(0);
      expect(fast.candidates).toEqual(slow.candidates);
      expect({ ...fast, elapsedMs: 0 }).toEqual({ ...slow, elapsedMs: 0 });
    }
  });

  it('the real lower bound never exceeds the real memory', () => {
    const req = searchRequest(GPT3_175B, training(2048, 1536), A100_80GB, 1024);
    const ev = modelEvaluator(req);
    let checked = 0;
    for (const t of [1, 2, 4, 8])
      for (const p of [1, 4, 8, 16])
        for (const z of [0, 1, 2, 3] as ZeroStage[])
          for (const r of ['none', 'selective', 'full'] as RecomputeMode[])
            for (const b of [1, 2]) {
              const l: ParallelLayout = { tensor: t, pipeline: p, data: 1024 / (t * p), context: 1, expert: 1, microBatchSize: b, zeroStage: z, recompute: r, sequenceParallel: t > 1, schedule: '1f1b', virtualStages: 1 };
              expect(ev.memoryLowerBoundBytes(l)).toBeLessThanOrEqual(ev.memory(l).perGpu.totalBytes);
              checked++;
            }
    expect(checked).toBe(4 * 4 * 4 * 3 * 2);
  });

  it('Llama 3.1 405B on 16,384 H100 finds a fitting layout with t ≤ 8', () => {
    const req = searchRequest(LLAMA31_405B, training(8192, 2048), H100_SXM, 16_384);
    const result = searchLayouts(req);
    expect(result.complete).toBe(true);
    expect(result.candidates.length).toBeGreaterThan(0);
    expectValid(req, result.candidates);
    for (const c of result.candidates) expect(c.parallelism.tensor).toBeLessThanOrEqual(8);
    expect(result.runnerUpReason).toMatch(/^runner-up /);
  });

  it('honours fixed fields on the real models', () => {
    const fixed: Partial<ParallelLayout> = { tensor: 4, zeroStage: 1, sequenceParallel: true };
    const req = searchRequest(GPT3_175B, training(2048, 1536), A100_80GB, 1024, { fixed });
    const result = searchLayouts(req);
    expect(result.candidates.length).toBeGreaterThan(0);
    expectValid(req, result.candidates);
  });

  it('a memory-hungrier problem needs more sharding and is never faster', () => {
    const roomy = searchRequest(GPT3_175B, training(2048, 1536), A100_80GB, 1024);
    const tight = { ...roomy, accelerator: { ...A100_80GB, memoryBytes: 40 * GiB } };
    const a = searchLayouts(roomy).candidates[0]!;
    const b = searchLayouts(tight).candidates[0]!;
    expect(b.memory.perGpu.totalBytes).toBeLessThanOrEqual(40 * GiB);
    expect(b.performance.stepSeconds).toBeGreaterThanOrEqual(a.performance.stepSeconds);
    // per-GPU model states shrink: more t·p, or a higher ZeRO stage
    const states = (c: LayoutCandidate) => c.memory.perGpu.weightsBytes + c.memory.perGpu.gradientsBytes + c.memory.perGpu.optimizerBytes;
    expect(states(b) + b.memory.perGpu.activationsBytes).toBeLessThan(states(a) + a.memory.perGpu.activationsBytes);
  });

  it('when nothing fits, names the layout that needs the least memory (405B on 64 H100)', () => {
    // 405e9 parameters × 16 bytes of mixed-precision Adam state / 64 GPUs ≈ 101 GB > 80 GiB: cannot fit
    const req = searchRequest(LLAMA31_405B, training(8192, 2048), H100_SXM, 64, { fixed: { microBatchSize: 1, recompute: 'full' } });
    const result = searchLayouts(req);
    const ref = bruteForce(req, modelEvaluator);
    expect(ref.fitting).toHaveLength(0);
    expect(result.candidates).toEqual([]);
    expect(result.closest!.memoryBytes).toBeCloseTo(ref.minBytes, 0);
    expect(result.closest!.memoryBytes).toBeGreaterThan((405e9 * 16) / 64);
    expect(result.infeasibleReason).toContain(`needs ${(ref.minBytes / GiB).toFixed(1)} GiB (${((ref.minBytes - 80 * GiB) / GiB).toFixed(1)} GiB over)`);
  });

  it('is budgeted in work: the same request gives the same answer every time, and says what cut it short', () => {
    const req = searchRequest(LLAMA31_405B, training(8192, 2048), H100_SXM, 16_384, { maxEvaluations: 20_000 });
    const first = searchLayouts(req);
    const again = searchLayouts(req);
    expect(first.complete).toBe(false);
    expect(first.stoppedBy).toBe('work-budget');
    // the budget is checked every 512 units: it stops within one interval (plus one sub-tree) of the budget
    expect(first.workUnits).toBeGreaterThan(20_000);
    expect(first.workUnits).toBeLessThan(20_000 + 4 * 512);
    const strip = (r: typeof first) => ({ ...r, elapsedMs: 0 });
    expect(strip(again)).toEqual(strip(first));
    expect(incompleteSearchWarning(first, 20_000)).toContain('search.maxEvaluations');
  });

  it('completes every benchmark search well inside the default work budget', () => {
    for (const b of BENCH_SEARCHES) {
      const result = searchLayouts({ ...b.request(), maxEvaluations: DEFAULT_MAX_EVALUATIONS });
      expect(result.complete, b.name).toBe(true);
      expect(result.stoppedBy).toBeUndefined();
      // the default is ten times the largest of them (DeepSeek-V3 on 2,048 H800, ~0.8 M calls)
      expect(result.workUnits * 5, b.name).toBeLessThan(DEFAULT_MAX_EVALUATIONS);
    }
  });

  it('a tiny time budget returns complete: false quickly', () => {
    const req = searchRequest(LLAMA31_405B, training(8192, 2048), H100_SXM, 16_384, { timeBudgetMs: 5 });
    const result = searchLayouts(req);
    expect(result.complete).toBe(false);
    expect(result.stoppedBy).toBe('time-budget');
    expect(result.elapsedMs).toBeLessThan(300);
  });
});
