import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { chunkLayers, completeLayout, divisors, gcd, layoutProblems, stageLayerCounts, tensorDegreesForShape } from '../src/domain/layouts/index.js';
import type { ModelShape, ParallelLayout, TrainingSetup } from '../src/domain/core/index.js';
import { H100_SXM } from './fixtures/accelerators.js';
import { DEEPSEEK_V3, GPT3_175B, LLAMA31_405B, training } from './fixtures/search-workloads.js';

const layout = (l: Partial<ParallelLayout>): ParallelLayout => completeLayout(l, 0, { data: l.data ?? 1 });

/** Narayanan et al. 2021 Table 1 (data/calibration megatron-ptdp-2021-table1): published layouts are valid. */
const PTDP_ROWS = [
  { heads: 24, hidden: 2304, layers: 24, t: 1, p: 1, d: 32, batch: 512 },
  { heads: 32, hidden: 3072, layers: 30, t: 2, p: 1, d: 32, batch: 512 },
  { heads: 32, hidden: 4096, layers: 36, t: 4, p: 1, d: 32, batch: 512 },
  { heads: 48, hidden: 6144, layers: 40, t: 8, p: 1, d: 32, batch: 1024 },
  { heads: 64, hidden: 8192, layers: 48, t: 8, p: 2, d: 32, batch: 1536 },
  { heads: 80, hidden: 10240, layers: 60, t: 8, p: 4, d: 32, batch: 1792 },
  { heads: 96, hidden: 12288, layers: 80, t: 8, p: 8, d: 24, batch: 2304 },
  { heads: 128, hidden: 16384, layers: 96, t: 8, p: 16, d: 15, batch: 2160 },
  { heads: 128, hidden: 20480, layers: 105, t: 8, p: 35, d: 9, batch: 2520 },
  { heads: 160, hidden: 25600, layers: 128, t: 8, p: 64, d: 6, batch: 3072 },
];

function gptShape(r: (typeof PTDP_ROWS)[number]): ModelShape {
  return {
    layers: r.layers, hiddenSize: r.hidden, attentionHeads: r.heads, kvHeads: r.heads, headDim: r.hidden / r.heads,
    ffnHiddenSize: 4 * r.hidden, vocabSize: 51200, gatedMlp: false, tiedEmbeddings: true,
  };
}

describe('divisor helpers', () => {
  it('lists divisors ascending', () => {
    expect(divisors(1)).toEqual([1]);
    expect(divisors(12)).toEqual([1, 2, 3, 4, 6, 12]);
    expect(divisors(126)).toEqual([1, 2, 3, 6, 7, 9, 14, 18, 21, 42, 63, 126]);
    expect(divisors(0)).toEqual([]);
    expect(divisors(2.5)).toEqual([]);
  });

  it('divisors are exactly the numbers that divide n (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), (n) => {
        const ds = divisors(n);
        const brute = Array.from({ length: n }, (_, i) => i + 1).filter((k) => n % k === 0);
        expect(ds).toEqual(brute);
      }),
      { numRuns: 200 },
    );
  });

  it('gcd', () => {
    expect(gcd(128, 8)).toBe(8);
    expect(gcd(96, 49152)).toBe(96);
    expect(gcd(7, 5)).toBe(1);
  });

  it('tensor degrees divide heads, kv heads and MLP widths', () => {
    // Llama 3.1 405B: 128 heads, 8 kv heads, f = 53248 = 2^12·13 → t ∈ {1,2,4,8}
    expect(tensorDegreesForShape(LLAMA31_405B)).toEqual([1, 2, 4, 8]);
    // GPT-3: 96 heads, f = 49152 → all divisors of 96
    expect(tensorDegreesForShape(GPT3_175B)).toEqual(divisors(96));
    // DeepSeek-V3: 128 heads, f = 18432, expert f = 2048 → powers of two up to 128
    expect(tensorDegreesForShape(DEEPSEEK_V3)).toEqual([1, 2, 4, 8, 16, 32, 64, 128]);
  });
});

describe('layoutProblems', () => {
  it('accepts every layout of Narayanan et al. 2021 Table 1', () => {
    for (const r of PTDP_ROWS) {
      const gpus = r.t * r.p * r.d;
      const l = layout({ tensor: r.t, pipeline: r.p, data: r.d, sequenceParallel: false });
      expect(layoutProblems(gptShape(r), training(2048, r.batch), gpus, l, H100_SXM), JSON.stringify(r)).toEqual([]);
    }
  });

  it('rejects a tensor degree that does not divide the heads, with a message naming both numbers', () => {
    const shape = gptShape(PTDP_ROWS[4]!); // 64 heads
    const problems = layoutProblems(shape, training(2048, 1536), 3 * 512, layout({ tensor: 3, data: 512 }));
    expect(problems).toContainEqual({ path: '/parallelism/tensor', message: 'tensor=3 does not divide attentionHeads=64' });
  });

  it('rejects a tensor degree that does not divide the kv heads (GQA)', () => {
    // 405B has 8 kv heads: t = 16 splits query heads fine but not kv heads
    const problems = layoutProblems(LLAMA31_405B, training(8192, 2048), 16 * 1024, layout({ tensor: 16, data: 1024 }));
    expect(problems.map((q) => q.message)).toContain('tensor=16 does not divide kvHeads=8');
    expect(problems.every((q) => q.path === '/parallelism/tensor')).toBe(true);
  });

  it('reports t beyond the scale-up domain only when asked to', () => {
    const l = layout({ tensor: 16, data: 64 });
    const shape = gptShape(PTDP_ROWS[9]!); // 160 heads
    expect(layoutProblems(shape, training(2048, 3072), 1024, l, H100_SXM)).toEqual([]);
    const strict = layoutProblems(shape, training(2048, 3072), 1024, l, H100_SXM, { tensorWithinScaleUp: true });
    expect(strict).toHaveLength(1);
    expect(strict[0]!.path).toBe('/parallelism/tensor');
    expect(strict[0]!.message).toContain('8-GPU scale-up domain');
  });

  it('allows uneven splits, 1F1B and interleaved, as long as every (virtual) stage gets a layer', () => {
    // Llama 3.1 405B: 126 layers on p = 16, interleaved, is Meta's own uneven split (Dubey et al. 2024 Sec. 3.3.2)
    const t = training(8192, 2048);
    expect(layoutProblems(LLAMA31_405B, t, 16384, layout({ tensor: 8, pipeline: 16, data: 128 }))).toEqual([]);
    expect(layoutProblems(LLAMA31_405B, t, 8 * 127 * 8, layout({ tensor: 8, pipeline: 127, data: 8 }))).toContainEqual({ path: '/parallelism/pipeline', message: 'pipeline=127 exceeds layers=126' });
    expect(layoutProblems(LLAMA31_405B, t, 16384, layout({ tensor: 8, pipeline: 16, data: 128, schedule: 'interleaved', virtualStages: 2 }))).toEqual([]);
    expect(layoutProblems(LLAMA31_405B, t, 16384, layout({ tensor: 8, pipeline: 16, data: 128, schedule: 'interleaved', virtualStages: 7 }))).toEqual([]);
    // 16 × 8 = 128 virtual stages for 126 layers: two would be empty
    const tooDeep = layoutProblems(LLAMA31_405B, t, 16384, layout({ tensor: 8, pipeline: 16, data: 128, schedule: 'interleaved', virtualStages: 8 }));
    expect(tooDeep).toContainEqual({ path: '/parallelism/virtualStages', message: 'pipeline×virtualStages = 16×8 = 128 exceeds layers=126 (each virtual stage needs a layer)' });
    const pv = layoutProblems(LLAMA31_405B, training(8192, 2304), 8 * 9 * 8, layout({ tensor: 8, pipeline: 9, data: 8, schedule: 'interleaved', virtualStages: 4 }));
    expect(pv).toEqual([]);
    // 2304 sequences / d=8 = 288 micro-batches, a multiple of p=9 as the interleaved schedule needs
    const ok = layoutProblems(LLAMA31_405B, training(8192, 2304), 8 * 9 * 8, layout({ tensor: 8, pipeline: 9, data: 8, schedule: 'interleaved', virtualStages: 7 }));
    expect(ok).toEqual([]);
  });

  it('checks the schedule and virtual stages agree', () => {
    const t = training(2048, 1536);
    const shape = gptShape(PTDP_ROWS[4]!);
    expect(layoutProblems(shape, t, 16, { virtualStages: 2, schedule: '1f1b', pipeline: 2 }).map((q) => q.path)).toEqual(['/parallelism/virtualStages']);
    expect(layoutProblems(shape, t, 16, { virtualStages: 1, schedule: 'interleaved', pipeline: 2 }).map((q) => q.path)).toEqual(['/parallelism/schedule']);
    expect(layoutProblems(shape, t, 16, { virtualStages: 2, schedule: 'interleaved', pipeline: 1 }).map((q) => q.path).sort()).toEqual(['/parallelism/schedule', '/parallelism/virtualStages']);
  });

  it('needs the GPU count to be t·p·d·c', () => {
    const problems = layoutProblems(GPT3_175B, training(2048, 1536), 1024, layout({ tensor: 8, pipeline: 8, data: 32 }));
    expect(problems).toEqual([{ path: '/hardware/count', message: 'tensor×pipeline×data×context = 8×8×32×1 = 2048, not hardware.count=1024' }]);
    const partial = layoutProblems(GPT3_175B, training(2048, 1536), 100, { tensor: 8 });
    expect(partial).toEqual([{ path: '/parallelism/tensor', message: 'tensor=8 does not divide hardware.count=100' }]);
    const pair = layoutProblems(GPT3_175B, training(2048, 1536), 96, { tensor: 32, pipeline: 4 });
    expect(pair).toEqual([{ path: '/hardware/count', message: 'tensor=32 × pipeline=4 = 128 does not divide hardware.count=96' }]);
  });

  it('needs the global batch to divide into d·b', () => {
    const t = training(2048, 1536);
    const byData = layoutProblems(GPT3_175B, t, 8 * 8 * 10, layout({ tensor: 8, pipeline: 8, data: 10 }));
    expect(byData).toEqual([{ path: '/training/globalBatchTokens', message: 'global batch of 1536 sequences does not split evenly over data=10' }]);
    const byMicro = layoutProblems(GPT3_175B, t, 8 * 8 * 16, layout({ tensor: 8, pipeline: 8, data: 16, microBatchSize: 5 }));
    expect(byMicro).toEqual([
      { path: '/parallelism/microBatchSize', message: 'microBatchSize=5 does not divide the 96 sequences each data-parallel rank gets (global batch 1536 / data 16)' },
    ]);
    const custom = layoutProblems(GPT3_175B, t, 8 * 8 * 10, { data: 10 }, undefined, { globalBatchPath: '/training/globalBatchSize' });
    expect(custom[0]!.path).toBe('/training/globalBatchSize');
  });

  it('needs interleaved micro-batches to be a multiple of p (Narayanan et al. 2021 Sec. 2.2.2)', () => {
    // 1536 / (d=16 · b=4) = 24 micro-batches: fine for p=8, not for p=16? 24 % 16 ≠ 0
    const t = training(2048, 1536);
    const bad = layoutProblems(GPT3_175B, t, 4 * 16 * 16, layout({ tensor: 4, pipeline: 16, data: 16, microBatchSize: 4, schedule: 'interleaved', virtualStages: 2 }));
    expect(bad).toEqual([{ path: '/parallelism/microBatchSize', message: 'the interleaved schedule needs the 24 micro-batches per step to be a multiple of pipeline=16' }]);
    const good = layoutProblems(GPT3_175B, t, 4 * 8 * 16, layout({ tensor: 4, pipeline: 8, data: 16, microBatchSize: 4, schedule: 'interleaved', virtualStages: 2 }));
    expect(good).toEqual([]);
  });

  it('checks context and sequence parallelism against the sequence length', () => {
    const t: TrainingSetup = training(6000, 64);
    expect(layoutProblems(GPT3_175B, t, 16, { context: 16 }).map((q) => q.path)).toEqual(['/parallelism/context']);
    expect(layoutProblems(GPT3_175B, t, 16, { context: 4 })).toEqual([]);
    // 6000 tokens / c=1 over t=16 with sequence parallelism: 375 tokens each; over t=32: not even
    expect(layoutProblems(GPT3_175B, t, 32, { tensor: 32, sequenceParallel: true }).map((q) => q.path)).toEqual(['/parallelism/sequenceParallel']);
    expect(layoutProblems(GPT3_175B, t, 32, { tensor: 32, sequenceParallel: false })).toEqual([]);
  });

  it('checks expert parallelism: experts by e, e within data × context, dense models only e = 1', () => {
    const t = training(4096, 15360);
    // DeepSeek-V3 has 61 layers (prime) and still ran PP16, unevenly (DeepSeek-AI 2024 Sec. 3.2.1)
    expect(layoutProblems(DEEPSEEK_V3, t, 2048, layout({ tensor: 8, data: 256, expert: 64 }))).toEqual([]);
    expect(layoutProblems(DEEPSEEK_V3, t, 2048, layout({ tensor: 8, data: 256, expert: 3 })).map((q) => q.message)).toContain('expert=3 does not divide experts=256');
    expect(layoutProblems(DEEPSEEK_V3, t, 2048, layout({ pipeline: 16, data: 128 }))).toEqual([]);
    expect(layoutProblems(DEEPSEEK_V3, t, 256, layout({ tensor: 8, data: 32, expert: 64 })).map((q) => q.message)).toContain(
      'expert=64 does not divide data×context = 32×1 = 32 (expert parallelism is carved out of data×context)',
    );
    expect(layoutProblems(GPT3_175B, training(2048, 1536), 8, { expert: 2 })).toEqual([
      { path: '/parallelism/expert', message: 'expert=2 needs a mixture-of-experts model (this model is dense)' },
    ]);
  });

  it('rejects non-integer and non-positive degrees without arithmetic on them', () => {
    const problems = layoutProblems(GPT3_175B, training(2048, 1536), 8, { tensor: 0, pipeline: 1.5 });
    expect(problems).toEqual([
      { path: '/parallelism/tensor', message: 'tensor=0 must be a positive integer' },
      { path: '/parallelism/pipeline', message: 'pipeline=1.5 must be a positive integer' },
    ]);
  });

  it('a layout without problems multiplies to the GPU count and meets every divisibility rule (property)', () => {
    const t = training(2048, 1536);
    fc.assert(
      fc.property(
        fc.constantFrom(...divisors(96)), fc.constantFrom(...divisors(96)), fc.integer({ min: 1, max: 64 }),
        fc.constantFrom(1, 2, 4, 8), fc.constantFrom(1, 2, 3, 4), fc.constantFrom(1, 2, 4),
        (tt, p, d, c, b, v) => {
          const gpus = tt * p * d * c;
          const l = layout({ tensor: tt, pipeline: p, data: d, context: c, microBatchSize: b, virtualStages: v, schedule: v > 1 ? 'interleaved' : '1f1b' });
          if (layoutProblems(GPT3_175B, t, gpus, l).length > 0) return;
          expect(tt * p * d * c).toBe(gpus);
          expect(96 % tt).toBe(0);
          expect(p * v).toBeLessThanOrEqual(96);
          expect(1536 % (d * b)).toBe(0);
          expect(2048 % (2 * c) === 0 || c === 1).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('stageLayerCounts', () => {
  it('hand-worked splits: the heaviest GPU and the last stage', () => {
    // Llama 3 405B, 126 layers on 16 stages: 14 stages of 8 and 2 of 7 (Dubey et al. 2024 Sec. 3.3.2)
    expect(stageLayerCounts(126, 16, 1)).toEqual({ heaviest: 8, last: 7 });
    // interleaved v = 2: 32 chunks of 3 or 4 layers, GPU 0 holds chunks 0 and 16 (4 + 4)
    expect(stageLayerCounts(126, 16, 2)).toEqual({ heaviest: 8, last: 7 });
    // DeepSeek-V3, 61 layers on 16 stages
    expect(stageLayerCounts(61, 16, 1)).toEqual({ heaviest: 4, last: 3 });
    // 100 layers, p = 16, v = 2: chunks of 3 with 4 extra on chunks 0-3 (all on GPUs 0-3, first round)
    expect(stageLayerCounts(100, 16, 2)).toEqual({ heaviest: 7, last: 6 });
    // even splits
    expect(stageLayerCounts(96, 8, 12)).toEqual({ heaviest: 12, last: 12 });
    expect(stageLayerCounts(80, 1, 1)).toEqual({ heaviest: 80, last: 80 });
  });

  it('never more than v·⌈L/(p·v)⌉ nor less than ⌈L/p⌉ on the heaviest GPU; the GPUs hold L in all (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 12 }), (L, p, v) => {
        if (p * v > L) return;
        const { heaviest, last } = stageLayerCounts(L, p, v);
        expect(heaviest).toBeLessThanOrEqual(v * Math.ceil(L / (p * v)));
        expect(heaviest).toBeGreaterThanOrEqual(Math.ceil(L / p));
        expect(last).toBeLessThanOrEqual(heaviest);
        expect(last).toBeGreaterThanOrEqual(v * Math.floor(L / (p * v)));
        // GPU i holds v·base + #{k < v : k·p + i < r}: the sum over GPUs is L
        const C = p * v;
        const base = Math.floor(L / C);
        const r = L - base * C;
        let total = 0;
        for (let i = 0; i < p; i++) {
          let n = v * base;
          for (let k = 0; k < v; k++) if (k * p + i < r) n++;
          total += n;
        }
        expect(total).toBe(L);
      }),
      { numRuns: 300 },
    );
  });
});

describe('completeLayout', () => {
  it('fills defaults, derives data from the GPU count and the schedule from virtual stages', () => {
    expect(completeLayout({ tensor: 8, pipeline: 4 }, 1024)).toEqual({
      tensor: 8, pipeline: 4, data: 32, context: 1, expert: 1, microBatchSize: 1, zeroStage: 1,
      recompute: 'selective', sequenceParallel: true, schedule: '1f1b', virtualStages: 1,
    });
    expect(completeLayout({ pipeline: 4, virtualStages: 3 }, 8).schedule).toBe('interleaved');
    expect(completeLayout({ pipeline: 4, schedule: 'interleaved' }, 8).virtualStages).toBe(2);
    expect(completeLayout({ tensor: 2 }, 16, { zeroStage: 3, recompute: 'full' })).toMatchObject({ data: 8, zeroStage: 3, recompute: 'full' });
  });
});

describe('stage splits (issue 9)', () => {
  it("edges-as-layers: Llama 3 405B's 126 layers on 16 stages are 7, 8, …, 8, 7 (Dubey et al. 2024 Sec. 3.3.2)", () => {
    expect(stageLayerCounts(126, 16, 1, undefined, 'edges-as-layers')).toEqual({ heaviest: 8, last: 7 });
    // interleaved v = 2: 128 units over 32 chunks of 4; GPU 0 and GPU 15 lose one to the embedding / LM head
    expect(stageLayerCounts(126, 16, 2, undefined, 'edges-as-layers')).toEqual({ heaviest: 8, last: 7 });
    expect([...Array(32).keys()].map((j) => chunkLayers(126, 32, j, 'edges-as-layers'))).toEqual([3, ...Array(30).fill(4), 3]);
    // even: 126 = 16·7 + 14, the 14 extra layers on stages 0–13 (Megatron's default split)
    expect(stageLayerCounts(126, 16, 1)).toEqual({ heaviest: 8, last: 7 });
    expect([...Array(16).keys()].map((j) => chunkLayers(126, 16, j))).toEqual([...Array(14).fill(8), 7, 7]);
  });

  it('every split places every layer once, and the closed form agrees with the per-chunk count (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 32 }), fc.integer({ min: 1, max: 8 }), fc.constantFrom('even', 'edges-as-layers'), (L, p, v, split) => {
        fc.pre(p * v <= L);
        const C = p * v;
        const chunks = [...Array(C).keys()].map((j) => chunkLayers(L, C, j, split as 'even' | 'edges-as-layers'));
        expect(chunks.reduce((a, b) => a + b, 0)).toBe(L);
        const perGpu = [...Array(p).keys()].map((i) => chunks.filter((_, j) => j % p === i).reduce((a, b) => a + b, 0));
        const counts = stageLayerCounts(L, p, v, undefined, split as 'even' | 'edges-as-layers');
        expect(counts.heaviest).toBe(Math.max(...perGpu));
        expect(counts.last).toBe(perGpu[p - 1]);
      }),
      { numRuns: 2000 },
    );
  });
});
