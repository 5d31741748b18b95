import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { layoutProblems } from '../src/domain/layouts/index.js';
import { estimateMemory } from '../src/domain/memory/index.js';
import { countParameters } from '../src/domain/model/index.js';
import type { Accelerator, TrainingSetup } from '../src/domain/core/index.js';
import { A100_80GB, H100_SXM } from './fixtures/accelerators.js';
import { LLAMA2_70B, LLAMA31_405B, LLAMA31_8B, megatronGpt } from './fixtures/published-models.js';
import {
  candidateGpuCounts,
  ceilTolerant,
  estimateSizing,
  gpusForDeadline,
  isGridNodeCount,
  memoryFitEvaluator,
  memoryFrugalLayouts,
  memoryLowerBoundGpus,
  minGpusByMemory,
  plannerGuideGpusByMemory,
  recommendedGpus,
  roundToLayoutFriendlyCount,
  sizeForWorkload,
} from '../src/domain/planning/index.js';

describe('gpusForDeadline', () => {
  it('GPT-3 (3.14e23 FLOPs, Brown et al. 2020 Table D.1) in 30 days on A100 at 50% MFU', () => {
    // per GPU 312e12 × 0.5 = 1.56e14 FLOP/s; 30 d × 86,400 s = 2,592,000 s
    // 3.14e23 / (2,592,000 × 1.56e14) = 3.14e23 / 4.04352e20 = 776.55 → 777 GPUs
    expect(gpusForDeadline(3.14e23, 30, 312e12 * 0.5)).toBe(777);
    // 776 GPUs would miss the deadline, 777 make it
    expect(776 * 30 * 86_400 * 1.56e14).toBeLessThan(3.14e23);
    expect(777 * 30 * 86_400 * 1.56e14).toBeGreaterThanOrEqual(3.14e23);
  });

  it('does not round floating-point noise up to an extra GPU', () => {
    // exactly 1024 GPU-days of work at 1e14 FLOP/s
    const F = 1024 * 86_400 * 1e14 * 10;
    expect(gpusForDeadline(F, 10, 1e14)).toBe(1024);
    expect(gpusForDeadline(F * (1 + 1e-6), 10, 1e14)).toBe(1025);
    expect(ceilTolerant(0.1 * 3 * 10)).toBe(3);
  });

  it('is the smallest N that finishes in time, fewer with a longer deadline, never below 1', () => {
    fc.assert(fc.property(
      fc.double({ min: 1e18, max: 1e26, noNaN: true }), fc.double({ min: 0.1, max: 1000, noNaN: true }),
      fc.double({ min: 1e12, max: 2e15, noNaN: true }),
      (F, days, rate) => {
        const n = gpusForDeadline(F, days, rate);
        expect(n).toBeGreaterThanOrEqual(1);
        expect(n * days * 86_400 * rate).toBeGreaterThanOrEqual(F * (1 - 1e-9));
        if (n > 1) expect((n - 1) * days * 86_400 * rate).toBeLessThan(F);
        expect(gpusForDeadline(F, days * 2, rate)).toBeLessThanOrEqual(n);
        expect(gpusForDeadline(F * 2, days, rate)).toBeGreaterThanOrEqual(n);
      },
    ));
  });

  it('rejects a zero deadline or a zero rate instead of answering Infinity', () => {
    expect(() => gpusForDeadline(1e23, 0, 1e14)).toThrow(RangeError);
    expect(() => gpusForDeadline(1e23, 30, 0)).toThrow(RangeError);
  });
});

describe('the planning guide\'s memory method', () => {
  it('70B × 16 bytes (bf16 weights+grads, fp32 Adam states and master copy) = 1.12 TB / 80 GB → 14 GPUs, +20% → 17', () => {
    const bytes = 70e9 * 16; // 1.12e12
    expect(plannerGuideGpusByMemory(bytes, 80e9)).toEqual({ naive: 14, withMargin: 17 });
    // with 80 GiB (85.9e9 bytes): 1.12e12 / 85.899e9 = 13.04 → 14, same answer
    expect(memoryLowerBoundGpus(bytes, 80 * 2 ** 30)).toBe(14);
  });
});

describe('recommendedGpus: rounding', () => {
  // [byMemory, byDeadline, gpusPerNode, margin, expected GPUs, worked]
  const table: [number, number | undefined, number, number, number, string][] = [
    [3, undefined, 8, 0.2, 4, '3 × 1.2 = 3.6 → 4, a power of two inside one node'],
    [5, undefined, 8, 0.2, 8, '5 × 1.2 = 6 → 8'],
    [14, undefined, 8, 0.2, 24, '14 × 1.2 = 16.8 → 17 GPUs → 3 nodes; 4 nodes would add 33% > 25%: keep 3 nodes = 24'],
    [14, 20, 8, 0.2, 24, 'max(14, 20) × 1.2 = 24 → 3 nodes'],
    [16, undefined, 8, 0, 16, 'no margin: 2 nodes, already a power of two'],
    [777, undefined, 8, 0.2, 1024, '777 × 1.2 = 932.4 → 117 nodes; 128 ≤ 117 × 1.25 = 146.25 → 128 nodes'],
    [100, 777, 8, 0.2, 1024, 'deadline dominates: as above'],
    [1000, undefined, 8, 0.2, 1280, '1200 → 150 nodes; 256 > 187.5; next m·2^k: 160 = 5·32 nodes → 1280'],
    [2, undefined, 4, 0.2, 4, '2.4 → 3 → power of two 4, one 4-GPU node'],
    [60, undefined, 72, 0.2, 72, '72 → one 72-GPU node'],
  ];
  it.each(table)('byMemory %i, byDeadline %s, %i per node, margin %f → %i (%s)', (mem, dl, perNode, margin, expected) => {
    const r = recommendedGpus(mem, dl, perNode, margin);
    expect(r).toBe(expected);
    expect(r).toBeGreaterThanOrEqual(Math.max(mem, dl ?? 0) * (1 + margin) - 1e-9);
  });

  it('the rule is documented in what it returns', () => {
    expect(roundToLayoutFriendlyCount(932.4, 8).rule).toMatch(/117 nodes rounded up to 128/);
    expect(roundToLayoutFriendlyCount(1200, 8).rule).toMatch(/150 nodes rounded up to 160/);
  });

  it('always: whole nodes (or a power of two inside one), at most 25% above the target beyond 7 nodes', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 200_000 }), fc.constantFrom(4, 8, 16), (target, perNode) => {
      const r = roundToLayoutFriendlyCount(target, perNode);
      expect(r.gpus).toBeGreaterThanOrEqual(target);
      if (r.gpus < perNode) expect(Math.log2(r.gpus) % 1).toBe(0);
      else expect(r.gpus % perNode).toBe(0);
      expect(isGridNodeCount(r.nodes)).toBe(true);
      const nodesNeeded = Math.ceil(target / perNode);
      if (nodesNeeded > 7) expect(r.nodes / nodesNeeded).toBeLessThanOrEqual(1.25);
      // monotone: a larger target never gets a smaller recommendation
      expect(roundToLayoutFriendlyCount(target + perNode, perNode).gpus).toBeGreaterThanOrEqual(r.gpus);
    }));
  });
});

describe('minGpusByMemory with a stand-in evaluator', () => {
  it('candidate grid: powers of two below a node, then 1..7 nodes, then m·2^k nodes', () => {
    expect(candidateGpuCounts(8, 200)).toEqual([1, 2, 4, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192]);
  });

  it('a 100-GPU threshold: doubling reaches 128, then 80, 96, 112 are tried → 112 (14 nodes)', () => {
    const r = minGpusByMemory({ gpusPerNode: 8 }, (g) => g >= 100);
    expect(r.gpus).toBe(112);
    expect(r.checked.map((c) => c.gpus)).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 80, 96, 112]);
  });

  it('skips counts with no valid layout (24 GPUs for 80 layers, heads 64, batch 1024: no t·p·d = 24 divides them)', () => {
    // stand-in: memory would fit from 20 GPUs; divisibility is part of "fits"
    const validLayoutExists = (g: number): boolean => g % 3 !== 0;
    const r = minGpusByMemory({ gpusPerNode: 8 }, (g) => g >= 20 && validLayoutExists(g));
    expect(r.gpus).toBe(32);
  });

  it('falls back to every whole-node count when divisibility rules out every power of two', () => {
    // stand-in for 105 layers without ZeRO: only multiples of 5 nodes (40 GPUs) have a layout; memory needs 100
    const r = minGpusByMemory({ gpusPerNode: 8, maxGpus: 4096 }, (g) => g >= 100 && g % 40 === 0);
    expect(r.gpus).toBe(120);
  });

  it('starts at the lower bound and returns null when nothing fits', () => {
    const r = minGpusByMemory({ gpusPerNode: 8, atLeastGpus: 14 }, (g) => g >= 14);
    expect(r.gpus).toBe(16);
    expect(r.checked[0]?.gpus).toBe(16);
    expect(minGpusByMemory({ gpusPerNode: 8, maxGpus: 64 }, () => false)).toMatchObject({ gpus: null });
  });

  it('for any monotone threshold: the smallest candidate at or above it, in about log2(N) + 3 checks', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 100_000 }), fc.constantFrom(4, 8), (T, perNode) => {
      const r = minGpusByMemory({ gpusPerNode: perNode }, (g) => g >= T);
      const expected = candidateGpuCounts(perNode, 2 ** 20).find((g) => g >= T);
      expect(r.gpus).toBe(expected);
      expect(r.checked.length).toBeLessThanOrEqual(Math.ceil(Math.log2(T + 1)) + 5);
    }));
  });
});

describe('estimateSizing with a stand-in evaluator', () => {
  it('70B on 80 GB: the guide says 17; a memory model needing 20 GPUs and no layout at 24 gives 32 by memory', () => {
    const s = estimateSizing({
      gpusPerNode: 8,
      gpuMemoryBytes: 80e9,
      totalModelStateBytes: 70e9 * 16,
      fits: (g) => g >= 20 && g % 3 !== 0,
      describeFit: (g) => `stand-in layout on ${g}`,
    });
    expect(s.naiveGpusByMemory).toBe(14);
    expect(s.naiveGpusWithMargin).toBe(17);
    expect(s.minGpusByMemory).toBe(32);
    // 32 × 1.2 = 38.4 → 39 → 5 nodes (8 would add 60%) = 40 GPUs, and 40 admits a layout in the stand-in
    expect(s.recommendedGpus).toBe(40);
    expect(s.nodes).toBe(5);
    expect(s.reasoning.join('\n')).toMatch(/planning-guide method.*14 GPUs.*17/);
    expect(s.reasoning.join('\n')).toContain('stand-in layout on 32');
  });

  it('steps the recommendation up when the rounded count has no valid layout', () => {
    // 17 × 1.2 = 20.4 → 3 nodes = 24; 24 has no layout in this stand-in → 32
    const s = estimateSizing({ gpusPerNode: 8, gpuMemoryBytes: 80e9, totalModelStateBytes: 1e12, fits: (g) => g >= 17 && g % 3 !== 0 });
    expect(s.minGpusByMemory).toBe(32);
    const t = estimateSizing({ gpusPerNode: 8, gpuMemoryBytes: 80e9, totalModelStateBytes: 1e12, fits: (g) => g >= 16 && g !== 24 });
    expect(t.minGpusByMemory).toBe(16);
    expect(t.recommendedGpus).toBe(32);
    expect(t.reasoning.at(-1)).toMatch(/no layout fits at 24: the smallest whole-node count from 20 GPUs with a layout that fits is 32/);
  });

  it('the deadline can dominate', () => {
    const s = estimateSizing({
      gpusPerNode: 8, gpuMemoryBytes: 80e9, totalModelStateBytes: 70e9 * 16, fits: (g) => g >= 16,
      deadline: { totalModelFlops: 3.14e23, deadlineDays: 30, perGpuModelFlopsPerSecond: 1.56e14 },
    });
    expect(s.gpusForDeadline).toBe(777);
    expect(s.recommendedGpus).toBe(1024);
    expect(s.nodes).toBe(128);
  });
});

// --- the real memory model (memory/per-gpu.ts) and layout rules (layouts/rules.ts) --------------------------------

const GiB = 2 ** 30;

describe('sizeForWorkload: Llama 2 70B on A100-80GB (the planning guide\'s scenario)', () => {
  // Touvron et al. 2023: 4M-token batches of 4096 → 1024 sequences; bf16 + AdamW (16 bytes per parameter)
  const training: TrainingSetup = { tokens: 2e12, sequenceLength: 4096, globalBatchSequences: 1024, precision: 'bf16', optimizer: 'adamw' };
  const counts = countParameters(LLAMA2_70B);
  const s = sizeForWorkload({ shape: LLAMA2_70B, counts, training, accelerator: A100_80GB });

  it('the guide: 68.98e9 × 16 B = 1.104 TB / 80 GiB = 12.85 → 13 GPUs, +20% → 16', () => {
    expect(counts.totalParameters).toBeCloseTo(68.98e9, -7);
    expect(s.naiveGpusByMemory).toBe(13);
    expect(s.naiveGpusWithMargin).toBe(16);
  });

  it('ours: 16 GPUs, because 8 cannot hold 138 GB of model states and no count between 8 and 16 is a whole node', () => {
    // 8 GPUs: 1.104e12 / 8 = 138 GB of states alone > 85.9 GB; 16 GPUs: 69 GB states + activations + overheads
    expect(s.minGpusByMemory).toBe(16);
    expect(s.minGpusByMemory as number).toBeGreaterThanOrEqual(s.naiveGpusByMemory);
    const layout = s.layoutAtMinimum;
    expect(layout).toBeDefined();
    if (!layout) return;
    expect(layout.tensor * layout.pipeline * layout.data * layout.context).toBe(16);
    expect(layoutProblems(LLAMA2_70B, training, 16, layout, A100_80GB)).toEqual([]);
    const m = estimateMemory(LLAMA2_70B, counts, training, layout, A100_80GB);
    expect(m.fits).toBe(true);
    // the answer includes what the guide leaves out: activations and the fixed per-GPU terms
    expect(m.perGpu.activationsBytes).toBeGreaterThan(0);
    expect(m.perGpu.cudaContextBytes + m.perGpu.communicationBuffersBytes).toBeGreaterThan(0.5 * GiB);
    expect(memoryFitEvaluator(LLAMA2_70B, counts, training, A100_80GB).fits(8)).toBe(false);
  });

  it('recommends 24 = 3 nodes: tensor 8 × pipeline 3 splits 80 layers unevenly (27/27/26), as 1F1B allows', () => {
    const layouts = memoryFrugalLayouts(LLAMA2_70B, training, 24, A100_80GB);
    expect(layouts.some((l) => l.tensor === 8 && l.pipeline === 3)).toBe(true);
    // 16 × 1.2 = 19.2 → 3 nodes (the rounding rule), and a layout fits there
    expect(s.recommendedGpus).toBe(24);
    expect(s.nodes).toBe(3);
  });
});

describe('sizeForWorkload against published runs (a run that fit bounds our minimum from above)', () => {
  interface MegatronRow { params_B: number; attention_heads: number; hidden: number; layers: number; TP: number; PP: number; global_batch_seqs: number }
  const runs = JSON.parse(readFileSync(new URL('../data/calibration/published-runs.json', import.meta.url), 'utf8')) as { id: string; figures: { rows?: MegatronRow[] } }[];
  const rows = runs.find((r) => r.id === 'megatron-ptdp-2021-table1')?.figures.rows ?? [];

  it('Megatron-LM 2021 Table 1 (no ZeRO, A100-80GB): every model fits on at most its published t·p', () => {
    expect(rows).toHaveLength(10);
    for (const r of rows) {
      const shape = megatronGpt(r.layers, r.hidden, r.attention_heads);
      const counts = countParameters(shape);
      const training: TrainingSetup = { tokens: 3e11, sequenceLength: 2048, globalBatchSequences: r.global_batch_seqs, precision: 'fp16', optimizer: 'adamw' };
      // Megatron 2021 had no distributed optimizer: data parallelism does not cut memory, so the minimum is a model-parallel size
      const s = sizeForWorkload({ shape, counts, training, accelerator: A100_80GB, fit: { maxZeroStage: 0 } });
      const mine = s.minGpusByMemory;
      expect(mine, `${r.params_B}B`).not.toBeNull();
      expect(mine as number, `${r.params_B}B`).toBeLessThanOrEqual(r.TP * r.PP);
      expect(mine as number, `${r.params_B}B`).toBeGreaterThanOrEqual(s.naiveGpusByMemory);
    }
  });

  it('Megatron 530B (105 layers) without ZeRO: the minimum needs pipeline parallelism and stays within the published 280 GPUs', () => {
    const r = rows.find((x) => x.layers === 105);
    expect(r).toBeDefined();
    if (!r) return;
    const shape = megatronGpt(r.layers, r.hidden, r.attention_heads);
    const training: TrainingSetup = { tokens: 3e11, sequenceLength: 2048, globalBatchSequences: r.global_batch_seqs, precision: 'fp16', optimizer: 'adamw' };
    const s = sizeForWorkload({ shape, counts: countParameters(shape), training, accelerator: A100_80GB, fit: { maxZeroStage: 0 } });
    const l = s.layoutAtMinimum;
    expect(l).toBeDefined();
    expect(l?.pipeline ?? 2).toBeGreaterThan(1);
    expect(s.minGpusByMemory as number).toBeLessThanOrEqual(280);
  });

  it('torchtitan Llama 3.1 (H100 96 GB): 8B at 262,144 tokens fits on 8 as published, but needs more than the 2 model states alone suggest', () => {
    const h100x96: Accelerator = { ...H100_SXM, memoryBytes: 96e9 };
    const size = (seq: number, batch: number) => sizeForWorkload({
      shape: LLAMA31_8B, counts: countParameters(LLAMA31_8B), accelerator: h100x96,
      training: { tokens: 1e12, sequenceLength: seq, globalBatchSequences: batch, precision: 'bf16', optimizer: 'adamw' },
    });
    const long = size(262_144, 1); // Table 2: FSDP 1 × CP 8 on 8 GPUs, 84.5 GiB peak
    expect(long.naiveGpusByMemory).toBe(2);
    expect(long.minGpusByMemory as number).toBeGreaterThan(long.naiveGpusByMemory);
    expect(long.minGpusByMemory as number).toBeLessThanOrEqual(8);
    // longer sequences never need fewer GPUs
    const bySeq = [8192, 32_768, 65_536, 131_072, 262_144].map((seq) => size(seq, 1).minGpusByMemory as number);
    for (let i = 1; i < bySeq.length; i++) expect(bySeq[i] as number).toBeGreaterThanOrEqual(bySeq[i - 1] as number);
    // Table 5: 405B on 512 GPUs (FSDP 8 × TP 8 × PP 8), global batch 256 at 8192
    const big = sizeForWorkload({
      shape: LLAMA31_405B, counts: countParameters(LLAMA31_405B), accelerator: h100x96,
      training: { tokens: 1e12, sequenceLength: 8192, globalBatchSequences: 256, precision: 'bf16', optimizer: 'adamw' },
    });
    expect(big.minGpusByMemory as number).toBeLessThanOrEqual(512);
    expect(big.minGpusByMemory as number).toBeGreaterThanOrEqual(big.naiveGpusByMemory);
  });
});
