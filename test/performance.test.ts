// Performance model: hand-worked collective costs, the MFU override, and the properties a step-time
// model must have (never above peak, finite, monotone where physics says so).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Accelerator, ModelShape, ParallelLayout, TrainingSetup } from '../src/domain/core/index.js';
import { countParameters, modelFlopsPerToken } from '../src/domain/model/index.js';
import { createPerformanceEstimate, defaultMfu, estimatePerformance, evaluateLayout, peakFlopsForPrecision, performanceFromMfu, prepareWorkload, type PerformanceOptions, GENERATION_CALIBRATION, UNKNOWN_GENERATION_CALIBRATION, calibrationFor, type Fabric, allGatherSeconds, allReduceSeconds, allToAllSeconds, membersPerDomain, pointToPointSeconds, reduceScatterSeconds, ringLatencySeconds } from '../src/domain/performance/index.js';
import { searchLayouts } from '../src/domain/search/index.js';
import { GPT3_175B, LLAMA31_405B, searchRequest, training as searchTraining } from './fixtures/search-workloads.js';
import { A100_80GB, H100_SXM, H800_SXM, V100_32GB } from './fixtures/accelerators.js';

const LLAMA_70B: ModelShape = {
  layers: 80, hiddenSize: 8192, attentionHeads: 64, kvHeads: 8, headDim: 128, ffnHiddenSize: 28672,
  vocabSize: 128256, gatedMlp: true, tiedEmbeddings: false,
};
const GPT_22B: ModelShape = {
  layers: 48, hiddenSize: 6144, attentionHeads: 64, kvHeads: 64, headDim: 96, ffnHiddenSize: 24576,
  vocabSize: 51200, gatedMlp: false, tiedEmbeddings: true,
};
const SMALL_MOE: ModelShape = {
  layers: 24, hiddenSize: 2048, attentionHeads: 16, kvHeads: 16, headDim: 128, ffnHiddenSize: 10944,
  vocabSize: 102400, gatedMlp: true, tiedEmbeddings: false,
  moe: { experts: 64, activeExperts: 6, expertFfnHiddenSize: 1408, sharedExperts: 2, denseLayers: 1 },
};

function training(globalBatchSequences: number, sequenceLength = 4096, precision: TrainingSetup['precision'] = 'bf16'): TrainingSetup {
  return { tokens: 1e12, sequenceLength, globalBatchSequences, precision, optimizer: 'adamw' };
}

function layout(partial: Partial<ParallelLayout>): ParallelLayout {
  return {
    tensor: 1, pipeline: 1, data: 1, context: 1, expert: 1, microBatchSize: 1, zeroStage: 1,
    recompute: 'none', sequenceParallel: false, schedule: '1f1b', virtualStages: 1, ...partial,
  };
}

function perf(shape: ModelShape, t: TrainingSetup, l: ParallelLayout, acc: Accelerator = H100_SXM, options?: PerformanceOptions) {
  return estimatePerformance(shape, countParameters(shape), t, l, acc, options);
}

function breakdownSum(b: Record<string, number>): number {
  return Object.values(b).reduce((s, x) => s + x, 0);
}

describe('collective cost models (hand-worked)', () => {
  const f: Fabric = {
    scaleUpBytesPerSecond: 240e9, scaleOutBytesPerSecond: 45e9,
    scaleUpLatencySeconds: 5e-6, scaleOutLatencySeconds: 1e-5, domainSize: 8,
  };

  it('ring all-reduce inside one NVLink domain: 2(g−1)/g · S / B + 2(g−1)·α', () => {
    // 1 GB over 8 GPUs: 2·7/8·1e9/240e9 = 7.2917 ms, latency 2·7·5 µs = 70 µs
    expect(allReduceSeconds(1e9, 8, 8, f)).toBeCloseTo(7.2917e-3 + 7e-5, 6);
  });

  it('across domains the ring runs at min(scale-up, k · NIC) and adds a tree latency', () => {
    // 16 ranks, 8 per domain: min(240, 8·45 = 360) = 240 GB/s; latency 2·(7·5 µs + log2(2)·10 µs)
    expect(allReduceSeconds(1e9, 16, 8, f)).toBeCloseTo((2 * 15 / 16) * 1e9 / 240e9 + 2 * (35e-6 + 10e-6), 7);
    // 16 ranks, one per domain (TP fills the node): the NIC alone, 45 GB/s; latency 2·log2(16)·10 µs
    expect(allReduceSeconds(1e9, 16, 1, f)).toBeCloseTo((2 * 15 / 16) * 1e9 / 45e9 + 2 * 4 * 10e-6, 7);
  });

  it('reduce-scatter and all-gather cost half an all-reduce (bandwidth term)', () => {
    const ar = allReduceSeconds(1e9, 8, 8, f);
    expect(reduceScatterSeconds(1e9, 8, 8, f)).toBeCloseTo(ar / 2, 9);
    expect(allGatherSeconds(1e9, 8, 8, f)).toBe(reduceScatterSeconds(1e9, 8, 8, f));
  });

  it('all-to-all is bound by the slower side; point-to-point by its link', () => {
    // 16 ranks, 8 per domain: 7/16 of 1 GB over NVLink (1.82 ms) vs 8/16 over the NIC (11.1 ms)
    expect(allToAllSeconds(1e9, 16, 8, f)).toBeCloseTo(0.5 * 1e9 / 45e9 + 5e-6 + 1e-5, 7);
    expect(pointToPointSeconds(1e8, true, f)).toBeCloseTo(1e8 / 240e9 + 5e-6, 9);
    expect(pointToPointSeconds(1e8, false, f)).toBeCloseTo(1e8 / 45e9 + 1e-5, 9);
  });

  it('reduce-scatter / all-gather latency is a ring: g − n NVLink steps and n network steps (NCCL has no tree for them)', () => {
    // 512 ranks, 8 per domain: 64 domains → 448·5 µs + 64·10 µs = 2.88 ms
    expect(ringLatencySeconds(512, 8, f)).toBeCloseTo(448 * 5e-6 + 64 * 1e-5, 9);
    expect(ringLatencySeconds(8, 8, f)).toBeCloseTo(7 * 5e-6, 12);
    expect(reduceScatterSeconds(1e6, 512, 8, f) - (511 / 512) * 1e6 / 240e9).toBeCloseTo(ringLatencySeconds(512, 8, f), 12);
    // all-reduce keeps the tree across domains: far below the ring latency at 512 ranks
    expect(allReduceSeconds(8, 512, 8, f)).toBeLessThan(ringLatencySeconds(512, 8, f));
  });

  it('a group of one costs nothing; members per domain follow the stride', () => {
    expect(allReduceSeconds(1e9, 1, 1, f)).toBe(0);
    expect(allToAllSeconds(1e9, 1, 1, f)).toBe(0);
    expect(membersPerDomain(64, 8, 8)).toBe(1); // DP peers of a TP-8 layout: one per node
    expect(membersPerDomain(64, 2, 8)).toBe(4);
    expect(membersPerDomain(2, 1, 8)).toBe(2);
    expect(membersPerDomain(16, 1, 72)).toBe(16); // NVL72: the whole group in one domain
  });
});

describe('efficiency.mfu override and defaults', () => {
  it('throughput = mfu · gpus · peak / model FLOPs per token (hand-worked)', () => {
    // 6e9 FLOPs/token, MFU 0.5, 8 H100 bf16 (989.4 TFLOP/s): 659,600 tokens/s; 512 × 2048 tokens → 1.5897 s
    const r = performanceFromMfu(6e9, training(512, 2048), 8, H100_SXM, 0.5);
    expect(r.tokensPerSecond).toBeCloseTo(659_600, 0);
    expect(r.stepSeconds).toBeCloseTo(1_048_576 / 659_600, 6);
    expect(r.tflopsPerGpu).toBeCloseTo(494.7, 6);
    expect(r.mfu).toBe(0.5);
    expect(r.source).toBe('override');
    expect(r.breakdownSeconds.compute).toBe(r.stepSeconds);
    expect(breakdownSum({ ...r.breakdownSeconds })).toBe(r.stepSeconds);
  });

  it('the override uses the precision peak: fp8 doubles H100 throughput at the same MFU', () => {
    const bf16 = performanceFromMfu(6e9, training(512, 2048, 'bf16'), 8, H100_SXM, 0.4);
    const fp8 = performanceFromMfu(6e9, training(512, 2048, 'fp8'), 8, H100_SXM, 0.4);
    expect(fp8.tokensPerSecond / bf16.tokensPerSecond).toBeCloseTo(1978.9 / 989.4, 6);
  });

  it('peak per precision: fp32 → tf32, fp8 absent → 16-bit, bf16 absent (V100) → fp16', () => {
    expect(peakFlopsForPrecision(A100_80GB, 'fp32')).toBe(156e12);
    expect(peakFlopsForPrecision(A100_80GB, 'fp8')).toBe(312e12);
    expect(peakFlopsForPrecision(V100_32GB, 'bf16')).toBe(125e12);
    expect(peakFlopsForPrecision(V100_32GB, 'fp32')).toBe(15.7e12);
    expect(peakFlopsForPrecision(H100_SXM, 'fp8')).toBe(1978.9e12);
  });

  it('defaultMfu is a fraction for every generation, a conservative fallback for an unknown one', () => {
    for (const cal of Object.values(GENERATION_CALIBRATION)) {
      expect(cal.defaultMfu).toBeGreaterThan(0.2);
      expect(cal.defaultMfu).toBeLessThan(0.6);
    }
    expect(defaultMfu(H100_SXM)).toBe(GENERATION_CALIBRATION.hopper?.defaultMfu);
    expect(defaultMfu({ ...H100_SXM, generation: 'quantum-foo' })).toBe(UNKNOWN_GENERATION_CALIBRATION.defaultMfu);
    expect(calibrationFor('Hopper')).toBe(GENERATION_CALIBRATION.hopper);
  });
});

describe('estimatePerformance: structure', () => {
  it('the breakdown adds up to the step; tokens/s and MFU follow from it', () => {
    const t = training(1024);
    const r = perf(LLAMA_70B, t, layout({ tensor: 8, pipeline: 4, data: 16, schedule: 'interleaved', virtualStages: 5, sequenceParallel: true }));
    expect(breakdownSum({ ...r.breakdownSeconds })).toBeCloseTo(r.stepSeconds, 9);
    expect(r.tokensPerSecond).toBeCloseTo((1024 * 4096) / r.stepSeconds, 6);
    const perToken = modelFlopsPerToken(LLAMA_70B, countParameters(LLAMA_70B), 4096);
    expect(r.mfu).toBeCloseTo((perToken * r.tokensPerSecond) / 512 / 989.4e12, 9);
    expect(r.tflopsPerGpu).toBeCloseTo(r.mfu * 989.4, 6);
    expect(r.source).toBe('model');
    // a realistic answer for Llama-3-70B-class training on 512 H100 (published runs: 35-50% MFU)
    expect(r.mfu).toBeGreaterThan(0.3);
    expect(r.mfu).toBeLessThan(0.6);
  });

  it('the fast path reuses `out` and agrees with the wrapper', () => {
    const shape = LLAMA_70B;
    const t = training(512);
    const l = layout({ tensor: 8, pipeline: 2, data: 8, recompute: 'selective', sequenceParallel: true });
    const ctx = prepareWorkload(shape, countParameters(shape), t, H100_SXM);
    const out = createPerformanceEstimate();
    const a = evaluateLayout(ctx, l, out);
    expect(a).toBe(out);
    const b = estimatePerformance(shape, countParameters(shape), t, l, H100_SXM);
    expect(a.stepSeconds).toBe(b.stepSeconds);
    expect({ ...a.breakdownSeconds }).toEqual({ ...b.breakdownSeconds });
    const other = evaluateLayout(ctx, { ...l, data: 16 }, out);
    expect(other).toBe(out);
    expect(out.stepSeconds).toBeLessThan(b.stepSeconds);
  });
});

describe('estimatePerformance: properties', () => {
  const accelerators = [A100_80GB, H100_SXM, H800_SXM, V100_32GB];

  it('never reaches the peak and stays finite over random shapes, layouts and accelerators', () => {
    fc.assert(
      fc.property(
        fc.record({
          layers: fc.integer({ min: 1, max: 200 }),
          heads: fc.constantFrom(1, 8, 32, 128),
          headDim: fc.constantFrom(64, 128, 256),
          kvDiv: fc.constantFrom(1, 8),
          ffnMul: fc.constantFrom(1, 4, 8),
          vocab: fc.integer({ min: 1, max: 300_000 }),
          gated: fc.boolean(),
          moe: fc.boolean(),
          seq: fc.constantFrom(1, 128, 2048, 32768, 1_048_576),
          batch: fc.integer({ min: 1, max: 8192 }),
          precision: fc.constantFrom('fp32', 'fp16', 'bf16', 'fp8') as fc.Arbitrary<TrainingSetup['precision']>,
          t: fc.constantFrom(1, 2, 8, 16, 64),
          p: fc.constantFrom(1, 2, 7, 64),
          d: fc.integer({ min: 1, max: 4096 }),
          c: fc.constantFrom(1, 2, 16),
          e: fc.constantFrom(1, 2, 8),
          b: fc.integer({ min: 1, max: 16 }),
          zero: fc.constantFrom(0, 1, 2, 3) as fc.Arbitrary<0 | 1 | 2 | 3>,
          recompute: fc.constantFrom('none', 'selective', 'full') as fc.Arbitrary<ParallelLayout['recompute']>,
          sp: fc.boolean(),
          interleaved: fc.boolean(),
          v: fc.integer({ min: 1, max: 8 }),
          acc: fc.integer({ min: 0, max: accelerators.length - 1 }),
          flash: fc.boolean(),
          fused: fc.boolean(),
        }),
        (r) => {
          const h = r.heads * r.headDim;
          const shape: ModelShape = {
            layers: r.layers, hiddenSize: h, attentionHeads: r.heads, kvHeads: Math.max(1, r.heads / r.kvDiv),
            headDim: r.headDim, ffnHiddenSize: r.ffnMul * h, vocabSize: r.vocab, gatedMlp: r.gated, tiedEmbeddings: false,
            ...(r.moe ? { moe: { experts: 16, activeExperts: 2, expertFfnHiddenSize: h, sharedExperts: 1, denseLayers: 0 } } : {}),
          };
          const est = perf(
            shape,
            training(r.batch, r.seq, r.precision),
            layout({
              tensor: r.t, pipeline: r.p, data: r.d, context: r.c, expert: r.e, microBatchSize: r.b, zeroStage: r.zero,
              recompute: r.recompute, sequenceParallel: r.sp, schedule: r.interleaved ? 'interleaved' : '1f1b', virtualStages: r.v,
            }),
            accelerators[r.acc],
            { flashAttention: r.flash, fusedKernels: r.fused },
          );
          for (const x of [est.stepSeconds, est.tokensPerSecond, est.tflopsPerGpu, est.mfu, est.hfu, ...Object.values(est.breakdownSeconds)]) {
            expect(Number.isFinite(x)).toBe(true);
            expect(x).toBeGreaterThanOrEqual(0);
          }
          expect(est.stepSeconds).toBeGreaterThan(0);
          expect(est.mfu).toBeLessThan(1);
          expect(est.hfu).toBeLessThan(1);
          expect(est.hfu).toBeGreaterThanOrEqual(est.mfu * (1 - 1e-12));
        },
      ),
      { numRuns: 400, seed: 20240715 },
    );
  });

  it('finite on extreme but valid inputs (1 layer, 1M-token sequences, 100k GPUs, t beyond the NVLink domain)', () => {
    const cases: [ModelShape, TrainingSetup, ParallelLayout][] = [
      [{ ...GPT_22B, layers: 1, vocabSize: 1 }, training(1, 1), layout({})],
      [LLAMA_70B, training(1, 1_048_576), layout({ tensor: 8, context: 64 })],
      [LLAMA_70B, training(65_536), layout({ tensor: 8, pipeline: 16, data: 800, zeroStage: 3, recompute: 'full' })],
      [LLAMA_70B, training(16), layout({ tensor: 64, data: 2 })],
      [{ ...LLAMA_70B, layers: 1000 }, training(4), layout({ pipeline: 1000, schedule: 'interleaved', virtualStages: 1 })],
    ];
    for (const [shape, t, l] of cases) {
      const r = perf(shape, t, l);
      expect(Number.isFinite(r.stepSeconds) && r.stepSeconds > 0).toBe(true);
      expect(r.mfu).toBeGreaterThan(0);
      expect(r.mfu).toBeLessThan(1);
    }
  });

  it('more data-parallel GPUs on the same global batch → shorter step', () => {
    let previous = Infinity;
    for (const d of [4, 8, 16, 32, 64]) {
      const r = perf(LLAMA_70B, training(1024), layout({ tensor: 8, pipeline: 4, data: d, sequenceParallel: true }));
      expect(r.stepSeconds).toBeLessThan(previous);
      previous = r.stepSeconds;
    }
  });

  it('the 1F1B bubble is (p−1)/m of the pipelined work and shrinks with more micro-batches', () => {
    const small = { ...LLAMA_70B, vocabSize: 64 }; // LM head negligible: all stages equal
    const p = 8;
    let previousShare = Infinity;
    for (const B of [16, 64, 256]) {
      const r = perf(small, training(B), layout({ tensor: 8, pipeline: p, data: 1, sequenceParallel: true }));
      const br = r.breakdownSeconds;
      const pipelined = br.compute + br.recompute + br.tensorComm + br.contextComm + br.expertComm;
      // (p−1)/m average stages; the average stage shares the (tiny) LM head over p, the critical one holds it
      expect(Math.abs(br.pipelineBubble / pipelined / ((p - 1) / B) - 1)).toBeLessThan(0.02);
      const share = br.pipelineBubble / r.stepSeconds;
      expect(share).toBeLessThan(previousShare);
      previousShare = share;
    }
  });

  it('uneven pipeline stages: the heaviest stage paces the pipeline (126 layers on 16 stages run like 8 per stage)', () => {
    const tiny = { ...LLAMA_70B, vocabSize: 64 }; // LM head negligible
    const l = layout({ tensor: 8, pipeline: 16, data: 1, sequenceParallel: true });
    const at = (layers: number) => perf({ ...tiny, layers }, training(64), l).breakdownSeconds;
    const b126 = at(126);
    const b128 = at(128);
    const b112 = at(112);
    // the pipelined work per micro-batch is the heaviest stage's: 8 layers for 126 and 128, 7 for 112
    expect(b126.compute / b128.compute).toBeCloseTo(1, 2);
    expect(b112.compute / b128.compute).toBeCloseTo(7 / 8, 2);
    // the bubble follows the average stage: 126/128 of the 128-layer bubble
    expect(b126.pipelineBubble / b128.pipelineBubble).toBeCloseTo(126 / 128, 2);
    // interleaved, 126 layers on 16 × 2 chunks: GPU 0 holds 8 layers too (layouts/rules.ts stageLayerCounts)
    const inter = perf({ ...tiny, layers: 126 }, training(64), { ...l, schedule: 'interleaved', virtualStages: 2 }).breakdownSeconds;
    expect(inter.compute / b126.compute).toBeCloseTo(1, 6);
    // a large LM head makes the last stage (7 layers + head) the critical one when it outweighs a layer
    const big = { ...LLAMA_70B, layers: 126, vocabSize: 1_000_000 };
    const lastCritical = perf(big, training(64), l).breakdownSeconds.compute;
    const noHead = perf({ ...big, vocabSize: 64 }, training(64), l).breakdownSeconds.compute;
    expect(lastCritical).toBeGreaterThan(noHead);
  });

  it('interleaving divides the bubble by v and adds point-to-point traffic', () => {
    const base = layout({ tensor: 8, pipeline: 8, data: 4, sequenceParallel: true });
    const one = perf(LLAMA_70B, training(256), base);
    const two = perf(LLAMA_70B, training(256), { ...base, schedule: 'interleaved', virtualStages: 2 });
    const five = perf(LLAMA_70B, training(256), { ...base, schedule: 'interleaved', virtualStages: 5 });
    expect(two.breakdownSeconds.pipelineBubble).toBeCloseTo(one.breakdownSeconds.pipelineBubble / 2, 9);
    expect(five.breakdownSeconds.pipelineBubble).toBeLessThan(two.breakdownSeconds.pipelineBubble);
    expect(five.breakdownSeconds.pipelineComm).toBeGreaterThan(one.breakdownSeconds.pipelineComm);
    expect(five.stepSeconds).toBeLessThan(one.stepSeconds);
  });

  it('full recomputation is slower than selective, selective no faster than none (with and without FlashAttention)', () => {
    for (const flashAttention of [true, false]) {
      const at = (recompute: ParallelLayout['recompute']) =>
        perf(GPT_22B, training(512, 2048), layout({ tensor: 8, data: 8, recompute, sequenceParallel: true }), A100_80GB, { flashAttention });
      const none = at('none');
      const selective = at('selective');
      const full = at('full');
      expect(full.stepSeconds).toBeGreaterThan(selective.stepSeconds);
      expect(selective.stepSeconds).toBeGreaterThanOrEqual(none.stepSeconds);
      // Korthikanti 2022 Sec. 5: full recomputation costs 30-40% more time
      expect(full.stepSeconds / none.stepSeconds).toBeGreaterThan(1.2);
      expect(full.stepSeconds / none.stepSeconds).toBeLessThan(1.5);
      // HFU counts the recomputed work, MFU does not
      expect(full.hfu).toBeGreaterThan(full.mfu);
      expect(none.hfu).toBeCloseTo(none.mfu, 12);
    }
  });

  it('tensor-parallel overlap hides TP traffic: exposed time falls as the overlap share rises', () => {
    const l = layout({ tensor: 8, data: 8, sequenceParallel: true });
    const exposed = [0, 0.5, 0.9].map((tensorCommOverlap) => perf(LLAMA_70B, training(512), l, H100_SXM, { tensorCommOverlap }).breakdownSeconds.tensorComm);
    expect(exposed[0]).toBeGreaterThan(0);
    expect(exposed[1]).toBeLessThan(exposed[0] as number);
    expect(exposed[2]).toBeLessThan(exposed[1] as number);
    // the H800's NVLink (200 GB/s per direction vs 450) makes TP traffic 2.25× longer
    const h100 = perf(LLAMA_70B, training(512), l, H100_SXM, { tensorCommOverlap: 0 }).breakdownSeconds.tensorComm;
    const h800 = perf(LLAMA_70B, training(512), l, H800_SXM, { tensorCommOverlap: 0 }).breakdownSeconds.tensorComm;
    expect(h800 / h100).toBeGreaterThan(2);
    expect(h800 / h100).toBeLessThan(2.3);
  });

  it('tensor parallelism beyond the scale-up domain pays the network', () => {
    const inside = perf(LLAMA_70B, training(64), layout({ tensor: 8, data: 2 }), H100_SXM, { tensorCommOverlap: 0 });
    const across = perf(LLAMA_70B, training(64), layout({ tensor: 16, data: 1 }), H100_SXM, { tensorCommOverlap: 0 });
    // per-GPU message halves with t, but the NIC is 9× slower than NVLink
    expect(across.breakdownSeconds.tensorComm).toBeGreaterThan(2 * inside.breakdownSeconds.tensorComm);
  });

  it('ZeRO-3 gathers parameters every micro-batch; ZeRO-1 reduces once per step', () => {
    const opts = { dataCommOverlap: 0 };
    const at = (zeroStage: ParallelLayout['zeroStage'], B: number) =>
      perf(LLAMA_70B, training(B), layout({ tensor: 8, data: 16, zeroStage, sequenceParallel: true }), H100_SXM, opts).breakdownSeconds.dataComm;
    expect(at(1, 128) / at(1, 16)).toBeCloseTo(1, 9); // m = 8 vs 1: same traffic
    expect(at(3, 128) / at(3, 16)).toBeCloseTo(8, 6);
    expect(at(3, 16)).toBeGreaterThan(at(1, 16)); // 1.5× the volume of a reduce-scatter + all-gather
    // with overlap, ZeRO-1's once-per-step traffic hides behind the backward pass better
    expect(perf(LLAMA_70B, training(128), layout({ tensor: 8, data: 16, zeroStage: 1, sequenceParallel: true })).breakdownSeconds.dataComm).toBeLessThan(at(1, 128));
  });

  it('ZeRO-2 reduce-scatters every micro-batch (it keeps only its gradient shard); ZeRO-1 once per step', () => {
    const opts = { dataCommOverlap: 0 };
    const at = (zeroStage: ParallelLayout['zeroStage'], B: number) =>
      perf(LLAMA_70B, training(B), layout({ tensor: 8, data: 16, zeroStage, sequenceParallel: true }), H100_SXM, opts).breakdownSeconds.dataComm;
    // m = 8 vs 1: 8 reduce-scatters + 1 all-gather vs 1 + 1 (fp32 gradients are twice the 16-bit gather)
    expect(at(2, 16)).toBeCloseTo(at(1, 16), 9);
    expect(at(2, 128) / at(2, 16)).toBeCloseTo((8 * 2 + 1) / (2 + 1), 1);
    expect(at(2, 128)).toBeGreaterThan(4 * at(1, 128));
  });

  it('once-per-step gradient traffic hides behind one micro-batch, not the pipeline bubble', () => {
    // p = 8 with a large bubble: the same exposed DP time as without it, per micro-batch of work
    const l = layout({ tensor: 8, pipeline: 8, data: 16, zeroStage: 1, sequenceParallel: true });
    const r = perf(LLAMA_70B, training(128), l, H100_SXM, { dataCommOverlap: 1 });
    const br = r.breakdownSeconds;
    const m = 128 / 16;
    const perMicroBatch = (br.compute + br.recompute + br.tensorComm + br.contextComm + br.expertComm) / m;
    const noOverlap = perf(LLAMA_70B, training(128), l, H100_SXM, { dataCommOverlap: 0 }).breakdownSeconds.dataComm;
    expect(br.dataComm).toBeCloseTo(Math.max(0, noOverlap - perMicroBatch), 6);
  });

  it('a large vocabulary costs LM-head time (≈ 11% of FLOPs at 256k)', () => {
    const small = perf({ ...LLAMA_70B, layers: 16 }, training(256), layout({ tensor: 8, data: 8 }));
    const large = perf({ ...LLAMA_70B, layers: 16, vocabSize: 256_000 }, training(256), layout({ tensor: 8, data: 8 }));
    expect(large.stepSeconds).toBeGreaterThan(small.stepSeconds * 1.05);
  });

  it('context parallelism pays ring-attention traffic, expert parallelism all-to-all; dense models none', () => {
    const cp = perf(LLAMA_70B, training(64, 131_072), layout({ tensor: 8, context: 16, data: 1, sequenceParallel: true }), H100_SXM, { contextCommOverlap: 0 });
    expect(cp.breakdownSeconds.contextComm).toBeGreaterThan(0);
    const moe = perf(SMALL_MOE, training(512), layout({ data: 64, expert: 64 }));
    expect(moe.breakdownSeconds.expertComm).toBeGreaterThan(0);
    const moeLocal = perf(SMALL_MOE, training(512), layout({ data: 64, expert: 8 }));
    expect(moeLocal.breakdownSeconds.expertComm).toBeLessThan(moe.breakdownSeconds.expertComm);
    const dense = perf(LLAMA_70B, training(512), layout({ tensor: 8, data: 8 }));
    expect(dense.breakdownSeconds.expertComm).toBe(0);
    expect(dense.breakdownSeconds.contextComm).toBe(0);
  });

  it('fp8 is faster than bf16 but far from 2× (only the GEMMs speed up); MFU counts against the fp8 peak', () => {
    const l = layout({ tensor: 8, data: 8, sequenceParallel: true });
    const bf16 = perf(LLAMA_70B, training(512), l);
    const fp8 = perf(LLAMA_70B, training(512, 4096, 'fp8'), l);
    expect(bf16.stepSeconds / fp8.stepSeconds).toBeGreaterThan(1.15);
    expect(bf16.stepSeconds / fp8.stepSeconds).toBeLessThan(1.8);
    expect(fp8.mfu).toBeLessThan(bf16.mfu);
  });

  it('small per-GPU GEMM shards run further from peak: per-GPU TFLOP/s fall as t grows on a small model', () => {
    const small: ModelShape = { ...LLAMA_70B, layers: 8, hiddenSize: 2048, attentionHeads: 16, kvHeads: 8, ffnHiddenSize: 8192, vocabSize: 32000 };
    const opts = { tensorCommOverlap: 1 };
    const tflops = [1, 2, 4, 8].map((t) => perf(small, training(8, 2048), layout({ tensor: t, data: 8 / t }), H100_SXM, opts).tflopsPerGpu);
    for (let i = 1; i < tflops.length; i++) expect(tflops[i]).toBeLessThan(tflops[i - 1] as number);
  });
});

describe('the layout search picks plausible winners (no optimistic corner)', () => {
  // GPT-3 175B on 1,024 A100, batch 1536 × 2048 (Narayanan et al. 2021 Table 2). Published A100 runs:
  // 44-52% MFU (PTD-P 1,536 GPUs 141 TFLOP/s; Korthikanti 2022 175B 51.4% with t8, unfused attention,
  // selective recompute). The search may use FlashAttention, no recompute and t = 4, which the model
  // credits with ≈ +10%, +3.5% and +6% over Korthikanti's layout: ≈ 0.63 (see the report); it must stay
  // below 0.65. Before the ZeRO-2 and DP-window fixes it was 0.648 with a ZeRO-2 layout.
  it('GPT-3 175B on 1,024 A100: best layout within 0.40-0.65 MFU, and not a ZeRO-2 layout with gradient accumulation', () => {
    const r = searchLayouts(searchRequest(GPT3_175B, searchTraining(2048, 1536), A100_80GB, 1024, { topK: 3 }));
    const best = r.candidates[0];
    expect(best).toBeDefined();
    expect(best!.performance.mfu).toBeGreaterThan(0.4);
    expect(best!.performance.mfu).toBeLessThan(0.65);
    const m = 1536 / (best!.parallelism.data * best!.parallelism.microBatchSize);
    expect(best!.parallelism.zeroStage === 2 && m > 1).toBe(false);
  });

  // Llama 3 405B on 16,384 H100, 16M-token batches of 8192 (Dubey et al. 2024 Table 4: 41% MFU)
  it('Llama 3 405B on 16,384 H100: best layout within 0.33-0.50 MFU', () => {
    const r = searchLayouts(searchRequest(LLAMA31_405B, searchTraining(8192, 2048), H100_SXM, 16_384, { topK: 3 }));
    const best = r.candidates[0];
    expect(best).toBeDefined();
    expect(best!.performance.mfu).toBeGreaterThan(0.33);
    expect(best!.performance.mfu).toBeLessThan(0.5);
  });
});
