// Properties of the domain over random valid inputs (fast-check, fixed seed, bounded runs):
//  - every number of a whole plan is finite, and non-negative except the signed headroom;
//  - per-GPU memory grows with parameters, sequence length and micro-batch size, and the sharded
//    terms shrink with more sharding (tensor, pipeline, ZeRO stage, data parallelism under ZeRO);
//  - cost, energy and days grow with tokens;
//  - the time model never beats the accelerator's peak (MFU, HFU ≤ 1; step ≥ FLOPs / (GPUs · peak)).
import { DEFAULT_MAX_EVALUATIONS } from '../src/domain/search/index.js';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Catalog } from '../src/config/catalog.js';
import { modelFlopsPerToken, hardwareFlopsPerToken, countParameters } from '../src/domain/model/index.js';
import { layoutProblems } from '../src/domain/layouts/index.js';
import { estimateMemory } from '../src/domain/memory/index.js';
import { estimatePerformance, peakFlopsForPrecision } from '../src/domain/performance/index.js';
import { planEstimate, resolveWorkload } from '../src/domain/planning/index.js';
import { type Accelerator, type ModelShape, type ParallelLayout, type TrainingSetup, type ZeroStage, InputProblemError } from '../src/domain/core/index.js';
import { shippedCatalog } from './helper.js';

const SEED = Number(process.env.PROPERTY_SEED ?? 42);
let catalog: Catalog;
let presetIds: string[];
let gpuIds: string[];

beforeAll(async () => {
  catalog = await shippedCatalog();
  presetIds = [...catalog.presets.keys()];
  gpuIds = [...catalog.accelerators.keys()];
});

function numbersIn(value: unknown, path = ''): [string, number][] {
  if (typeof value === 'number') return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => numbersIn(v, `${path}/${i}`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => numbersIn(v, `${path}/${k}`));
  return [];
}

/** Fields that are differences and may be negative by definition. */
const SIGNED = /headroom|delta|difference|savings|margin(?!Fraction)|vs|change/i;

describe('a whole plan for any valid workload', () => {
  const pow2 = (max: number) => fc.integer({ min: 0, max }).map((k) => 2 ** k);
  const workload = () =>
    fc.record(
      {
        model: fc.oneof(
          fc.constantFrom(...presetIds).map((preset) => ({ preset })),
          fc.double({ min: 1e6, max: 2e12, noNaN: true }).map((parameters) => ({ parameters })),
        ),
        training: fc.record(
          {
            tokens: fc.double({ min: 1e6, max: 1e15, noNaN: true }),
            sequenceLength: pow2(17),
            globalBatchSize: pow2(14),
            precision: fc.constantFrom('fp32', 'fp16', 'bf16', 'fp8'),
            optimizer: fc.constantFrom('adamw', 'sgd'),
          },
          { requiredKeys: [] },
        ),
        hardware: fc.record({ gpu: fc.constantFrom(...gpuIds), count: fc.tuple(fc.integer({ min: 1, max: 7 }), pow2(14)).map(([m, p]) => m * p) }, { requiredKeys: ['gpu'] }),
        parallelism: fc.record(
          { tensor: pow2(3), pipeline: pow2(4), microBatchSize: pow2(3), zeroStage: fc.constantFrom(0, 1, 2, 3), recompute: fc.constantFrom('none', 'selective', 'full') },
          { requiredKeys: [] },
        ),
        efficiency: fc.record({ mfu: fc.double({ min: 0.01, max: 1, noNaN: true }) }, { requiredKeys: [] }),
        cost: fc.record(
          {
            gpuHourUsd: fc.double({ min: 0, max: 100, noNaN: true }),
            pue: fc.double({ min: 1, max: 3, noNaN: true }),
            utilization: fc.double({ min: 0.05, max: 1, noNaN: true }),
          },
          { requiredKeys: [] },
        ),
        constraints: fc.record({ deadlineDays: fc.double({ min: 1, max: 3650, noNaN: true }) }, { requiredKeys: [] }),
        search: fc.constant({ timeBudgetMs: 20, topK: 3 }),
      },
      { requiredKeys: ['model', 'hardware', 'search'] },
    );

  it('answers only finite numbers, non-negative except signed differences (or a 400 naming the field)', () => {
    let planned = 0;
    fc.assert(
      fc.property(workload(), (input) => {
        const w = resolveWorkload(input as never, catalog, { defaultSearchMaxEvaluations: DEFAULT_MAX_EVALUATIONS });
        if ('problems' in w) return; // a 400 with named fields: covered by the HTTP tests
        let plan: ReturnType<typeof planEstimate>;
        try {
          plan = planEstimate(w);
        } catch (error) {
          if (error instanceof InputProblemError) return;
          throw error;
        }
        planned++;
        const { workload: _w, ...out } = plan;
        for (const [path, n] of numbersIn(out)) {
          expect(Number.isFinite(n), `${path} = ${n}`).toBe(true);
          if (!SIGNED.test(path)) expect(n, path).toBeGreaterThanOrEqual(0);
        }
        expect(plan.time.days).toBeGreaterThan(0);
        expect(plan.performance.stepSeconds).toBeGreaterThan(0);
      }),
      { numRuns: 60, seed: SEED },
    );
    expect(planned).toBeGreaterThan(10);
  });
});

// --- memory -----------------------------------------------------------------------------------------

const baseLayout: ParallelLayout = {
  tensor: 1,
  pipeline: 1,
  data: 1,
  context: 1,
  expert: 1,
  microBatchSize: 1,
  zeroStage: 0,
  recompute: 'none',
  sequenceParallel: false,
  schedule: '1f1b',
  virtualStages: 1,
};

/** A dense GQA shape with heads, layers and head size that the sharding degrees below divide. */
const denseShape = fc
  .record({ heads: fc.constantFrom(16, 32, 64), headDim: fc.constantFrom(64, 128), layers: fc.constantFrom(16, 32, 48, 64), kvDiv: fc.constantFrom(1, 2, 8), gated: fc.boolean() })
  .map(({ heads, headDim, layers, kvDiv, gated }): ModelShape => ({
    layers,
    hiddenSize: heads * headDim,
    attentionHeads: heads,
    kvHeads: heads / kvDiv,
    headDim,
    ffnHiddenSize: 4 * heads * headDim,
    vocabSize: 32_000,
    gatedMlp: gated,
    tiedEmbeddings: false,
  }));

const training = (s: number, gbs: number, precision: TrainingSetup['precision'] = 'bf16'): TrainingSetup => ({
  tokens: 1e12,
  sequenceLength: s,
  globalBatchSequences: gbs,
  precision,
  optimizer: 'adamw',
});

function memory(shape: ModelShape, t: TrainingSetup, layout: ParallelLayout, a: Accelerator) {
  return estimateMemory(shape, countParameters(shape), t, layout, a).perGpu;
}
const sharded = (m: ReturnType<typeof memory>) => m.weightsBytes + m.gradientsBytes + m.optimizerBytes + m.activationsBytes;

describe('per-GPU memory', () => {
  const gpu = () => fc.constantFrom(...gpuIds).map((id) => catalog.accelerators.get(id)!);
  const recompute = fc.constantFrom('none', 'selective', 'full') as fc.Arbitrary<ParallelLayout['recompute']>;

  it('grows with parameters (more layers, wider layers)', () => {
    fc.assert(
      fc.property(denseShape, gpu(), recompute, fc.constantFrom(1024, 4096), (shape, a, rc, s) => {
        const layout = { ...baseLayout, recompute: rc };
        const t = training(s, 8);
        const base = memory(shape, t, layout, a).totalBytes;
        expect(memory({ ...shape, layers: shape.layers + 1 }, t, layout, a).totalBytes).toBeGreaterThan(base);
        const wider = { ...shape, headDim: shape.headDim + 8, hiddenSize: shape.attentionHeads * (shape.headDim + 8), ffnHiddenSize: 4 * shape.attentionHeads * (shape.headDim + 8) };
        expect(memory(wider, t, layout, a).totalBytes).toBeGreaterThan(base);
      }),
      { numRuns: 100, seed: SEED },
    );
  });

  it('grows with sequence length and with micro-batch size', () => {
    fc.assert(
      fc.property(denseShape, gpu(), recompute, fc.constantFrom(512, 2048, 8192), fc.constantFrom(1, 2, 4), (shape, a, rc, s, b) => {
        const layout = { ...baseLayout, recompute: rc, microBatchSize: b };
        const t = training(s, 64);
        const base = memory(shape, t, layout, a);
        expect(memory(shape, training(2 * s, 64), layout, a).activationsBytes).toBeGreaterThan(base.activationsBytes);
        expect(memory(shape, training(2 * s, 64), layout, a).totalBytes).toBeGreaterThan(base.totalBytes);
        expect(memory(shape, t, { ...layout, microBatchSize: 2 * b }, a).totalBytes).toBeGreaterThan(base.totalBytes);
      }),
      { numRuns: 100, seed: SEED },
    );
  });

  it('the sharded terms (weights, gradients, optimizer, activations) shrink with more tensor, pipeline, ZeRO and data sharding', () => {
    fc.assert(
      fc.property(
        denseShape,
        gpu(),
        recompute,
        fc.constantFrom(1, 2, 4),
        fc.constantFrom(1, 2, 4),
        fc.constantFrom(0, 1, 2) as fc.Arbitrary<ZeroStage>,
        fc.constantFrom(1, 2, 4, 8),
        (shape, a, rc, t0, p0, z, d) => {
          const layout: ParallelLayout = { ...baseLayout, recompute: rc, tensor: t0, pipeline: p0, data: d, zeroStage: z, sequenceParallel: t0 > 1 };
          const t = training(2048, 8 * 16 * d);
          const base = sharded(memory(shape, t, layout, a));
          expect(sharded(memory(shape, t, { ...layout, tensor: 2 * t0, sequenceParallel: true }, a))).toBeLessThan(base);
          expect(sharded(memory(shape, t, { ...layout, pipeline: 2 * p0 }, a))).toBeLessThanOrEqual(base);
          // ZeRO shards over data parallelism: with d = 1 there is nothing to shard over
          const zeroNext = sharded(memory(shape, t, { ...layout, zeroStage: (z + 1) as ZeroStage }, a));
          if (d > 1) expect(zeroNext).toBeLessThan(base);
          else expect(zeroNext).toBe(base);
          if (z >= 1) {
            // ZeRO shards optimizer states over data parallelism: twice the replicas, less per GPU
            expect(sharded(memory(shape, training(2048, 8 * 16 * 2 * d), { ...layout, data: 2 * d }, a))).toBeLessThan(base);
          }
        },
      ),
      { numRuns: 100, seed: SEED },
    );
  });
});

// --- performance and cost ----------------------------------------------------------------------------

describe('time and cost', () => {
  it('the time model never beats the peak: MFU, HFU ≤ 1 and step time ≥ model FLOPs / (GPUs · peak)', () => {
    let checked = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(...presetIds),
        fc.constantFrom(...gpuIds),
        fc.constantFrom('fp16', 'bf16', 'fp8') as fc.Arbitrary<TrainingSetup['precision']>,
        fc.constantFrom(1, 2, 4, 8),
        fc.constantFrom(1, 2, 4, 8, 16),
        fc.constantFrom(1, 2, 8, 64, 512),
        fc.constantFrom(1, 2, 4),
        fc.constantFrom('none', 'selective', 'full') as fc.Arbitrary<ParallelLayout['recompute']>,
        fc.constantFrom(1024, 4096, 8192),
        (presetId, gpuId, precision, tp, pp, dp, b, rc, s) => {
          const shape = catalog.presets.get(presetId)!.architecture;
          const a = catalog.accelerators.get(gpuId)!;
          const peak = peakFlopsForPrecision(a, precision);
          if (!(peak > 0)) return;
          const layout: ParallelLayout = { ...baseLayout, tensor: tp, pipeline: pp, data: dp, microBatchSize: b, recompute: rc, sequenceParallel: tp > 1, zeroStage: 1 };
          const t = training(s, dp * b * 8 * pp, precision);
          if (layoutProblems(shape, t, tp * pp * dp, layout, a).length > 0) return;
          const counts = countParameters(shape);
          const perf = estimatePerformance(shape, counts, t, layout, a);
          checked++;
          expect(perf.mfu).toBeGreaterThan(0);
          expect(perf.mfu).toBeLessThanOrEqual(1);
          expect(perf.hfu).toBeLessThanOrEqual(1);
          expect(perf.hfu).toBeGreaterThanOrEqual(perf.mfu * (1 - 1e-9));
          expect(perf.tflopsPerGpu * 1e12).toBeLessThanOrEqual(peak * (1 + 1e-9));
          const gpus = tp * pp * dp;
          const tokensPerStep = t.globalBatchSequences * s;
          expect(perf.stepSeconds).toBeGreaterThanOrEqual((modelFlopsPerToken(shape, counts, s) * tokensPerStep) / (gpus * peak) * (1 - 1e-9));
          expect(perf.stepSeconds).toBeGreaterThanOrEqual((hardwareFlopsPerToken(shape, counts, s, rc) * tokensPerStep) / (gpus * peak) * (1 - 1e-9));
          for (const [k, v] of Object.entries(perf.breakdownSeconds)) expect(v, k).toBeGreaterThanOrEqual(0);
        },
      ),
      { numRuns: 300, seed: SEED },
    );
    expect(checked).toBeGreaterThan(30);
  });

  it('cost, energy, carbon and days grow with tokens (same model, hardware and layout)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('llama-2-7b', 'llama-2-70b', 'llama-3.1-8b'),
        fc.constantFrom('h100-sxm-80gb', 'a100-sxm-80gb'),
        fc.double({ min: 1e9, max: 1e13, noNaN: true }),
        fc.double({ min: 1.01, max: 100, noNaN: true }),
        (preset, gpu, tokens, factor) => {
          const plan = (d: number) => {
            const w = resolveWorkload(
              { model: { preset }, training: { tokens: d, sequenceLength: 4096, globalBatchSize: 512 }, hardware: { gpu, count: 64 }, parallelism: { tensor: 8, pipeline: 1, data: 8 }, efficiency: { mfu: 0.4 } } as never,
              catalog,
              { defaultSearchMaxEvaluations: DEFAULT_MAX_EVALUATIONS },
            );
            if ('problems' in w) throw new Error(JSON.stringify(w.problems));
            return planEstimate(w);
          };
          const small = plan(tokens);
          const large = plan(tokens * factor);
          expect(large.flops.total).toBeGreaterThan(small.flops.total);
          expect(large.time.days).toBeGreaterThanOrEqual(small.time.days);
          expect(large.cost.cloud.totalUsd).toBeGreaterThanOrEqual(small.cost.cloud.totalUsd);
          expect(large.cost.onPrem.totalUsd).toBeGreaterThanOrEqual(small.cost.onPrem.totalUsd);
          expect(large.cost.energy.kwh).toBeGreaterThanOrEqual(small.cost.energy.kwh);
          // at least a few steps more: strictly more
          if (large.time.steps > small.time.steps) expect(large.cost.cloud.totalUsd).toBeGreaterThan(small.cost.cloud.totalUsd);
        },
      ),
      { numRuns: 40, seed: SEED },
    );
  });
});
