// The performance model against published runs (data/calibration): prints the table
// (row, published, predicted, error %) and asserts the error on every row. Assumptions each
// source leaves open are stated per row in test/fixtures/calibration-cases.ts and printed.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { countParameters, megatronEq3FlopsPerToken } from '../src/domain/model/index.js';
import { estimatePerformance, evaluateLayout, prepareWorkload } from '../src/domain/performance/index.js';
import type { ModelShape, ParallelLayout } from '../src/domain/core/index.js';
import { LLAMA2_GOODPUT, calibrationCases, heldOutCases, type CalibrationCase } from './fixtures/calibration-cases.js';
import {
  KORTHIKANTI_530B_DP8,
  KORTHIKANTI_TABLE4_22B_LAYER_MS,
  KORTHIKANTI_TABLE5,
  LLAMA2,
  MCORE_H100,
  PTDP_TABLE1,
} from './fixtures/published-performance.js';
import { A100_80GB } from './fixtures/accelerators.js';

interface Row {
  c: CalibrationCase;
  predicted: number;
  errorPct: number;
  mfu: number;
}

function predict(c: CalibrationCase): Row {
  const est = estimatePerformance(c.shape, countParameters(c.shape), c.training, c.layout, c.accelerator, c.options);
  const gpus = c.layout.tensor * c.layout.pipeline * c.layout.data * c.layout.context;
  let predicted: number;
  switch (c.metric) {
    case 'tflopsEq3': // the paper's own FLOP count (with recompute) over our step time
      predicted = (megatronEq3FlopsPerToken(c.shape, c.training.sequenceLength) * est.tokensPerSecond) / gpus / 1e12;
      break;
    case 'tflopsModel':
      predicted = est.tflopsPerGpu;
      break;
    case 'iterationSeconds':
      predicted = est.stepSeconds;
      break;
    case 'gpuHours':
      predicted = (c.training.tokens / est.tokensPerSecond) * gpus / 3600 / LLAMA2_GOODPUT;
      break;
    case 'tokensPerSecondPerGpu':
      predicted = est.tokensPerSecond / gpus;
      break;
  }
  return { c, predicted, errorPct: (100 * (predicted - c.published)) / c.published, mfu: est.mfu };
}

const rows = calibrationCases().map(predict);
const heldOut = heldOutCases().map(predict);

function fmt(x: number): string {
  return x >= 1000 ? x.toFixed(0) : x.toFixed(2);
}

/** Largest |error| accepted per set. Megatron/Korthikanti rows state most of the run; the Megatron-Core
 *  table omits micro-batch, interleaving and gradient dtype; Llama 2 omits the whole layout and counts
 *  allocated GPU time (the held-out check). */
const BOUND_PCT: Record<Exclude<CalibrationCase['set'], 'held-out'>, number> = {
  'ptdp-table1': 12,
  'korthikanti-table5': 12,
  'mcore-h100': 20,
  llama2: 22,
};

/**
 * Held-out runs (not in data/calibration, no constant set with them): the largest |error| accepted,
 * per row, with what the model leaves out. A bound is what the model honestly achieves, not a target.
 */
const HELD_OUT_BOUND_PCT: Record<string, number> = {
  // interleaving depth unpublished: v = 2 by the calibration rule (v = 4 gives +12-16%, v = 8 +21%)
  'Llama 3 405B 8192 H100 t8 p16 d64': 15,
  'Llama 3 405B 16384 H100 t8 p16 d128': 15,
  // 500 W clocks, torchtitan's op-level selective recompute and eager-mode overheads are not modelled:
  // the model is expected to be fast here (published MFU 33-39% of the SXM peak)
  'torchtitan Llama 3.1 8B FSDP8 H100 (eager)': 50,
  'DeepSeek-V3 2048 H800 p16 e64 fp8': 25,
  'OPT-175B 992 A100 t8 FSDP d124': 20,
  'BLOOM-176B 384 A100 t4 p12 d8': 25,
};

function table(title: string, list: Row[]): string[] {
  return [
    title,
    `${'row'.padEnd(44)} ${'metric'.padEnd(21)} ${'published'.padStart(10)} ${'predicted'.padStart(10)} ${'error'.padStart(7)}  mfu    assumptions`,
    ...list.map(
      (r) =>
        `${r.c.name.padEnd(44)} ${r.c.metric.padEnd(21)} ${fmt(r.c.published).padStart(10)} ${fmt(r.predicted).padStart(10)} ${(
          (r.errorPct >= 0 ? '+' : '') + r.errorPct.toFixed(1)
        ).padStart(6)}%  ${r.mfu.toFixed(3)}  ${r.c.assumptions}`,
    ),
  ];
}

describe('calibration against published runs (data/calibration)', () => {
  it('prints the calibration table', () => {
    const lines = table('calibration (data/calibration)', rows);
    const abs = rows.map((r) => Math.abs(r.errorPct)).sort((a, b) => a - b);
    const median = abs[Math.floor(abs.length / 2)] as number;
    const worst = abs[abs.length - 1] as number;
    lines.push(`median |error| ${median.toFixed(1)}%, worst ${worst.toFixed(1)}% over ${rows.length} rows`);
    for (const set of Object.keys(BOUND_PCT) as CalibrationCase['set'][]) {
      const s = rows.filter((r) => r.c.set === set).map((r) => Math.abs(r.errorPct)).sort((a, b) => a - b);
      lines.push(`  ${set}: median ${(s[Math.floor(s.length / 2)] as number).toFixed(1)}%, worst ${(s[s.length - 1] as number).toFixed(1)}%`);
    }
    console.log(lines.join('\n'));
    expect(rows.length).toBe(PTDP_TABLE1.length + 2 * KORTHIKANTI_TABLE5.length + 1 + MCORE_H100.length + LLAMA2.length);
  });

  it('median error over all rows is within 10%', () => {
    const abs = rows.map((r) => Math.abs(r.errorPct)).sort((a, b) => a - b);
    expect(abs[Math.floor(abs.length / 2)]).toBeLessThan(10);
  });

  it('every calibration row is within 22% (Llama 2 7B, layout unpublished, is the worst)', () => {
    for (const r of rows) expect(Math.abs(r.errorPct)).toBeLessThan(22);
  });

  for (const r of rows) {
    const set = r.c.set as keyof typeof BOUND_PCT;
    it(`${r.c.name}: within ${BOUND_PCT[set]}% of ${fmt(r.c.published)} (${r.c.metric})`, () => {
      expect(Number.isFinite(r.predicted)).toBe(true);
      expect(Math.abs(r.errorPct)).toBeLessThan(BOUND_PCT[set]);
    });
  }
});

describe('held-out published runs (not in data/calibration; no constant was fitted to them)', () => {
  it('prints the held-out table', () => {
    const abs = heldOut.map((r) => Math.abs(r.errorPct)).sort((a, b) => a - b);
    const lines = table('held-out', heldOut);
    lines.push(`median |error| ${(abs[Math.floor(abs.length / 2)] as number).toFixed(1)}%, worst ${(abs[abs.length - 1] as number).toFixed(1)}% over ${heldOut.length} rows`);
    console.log(lines.join('\n'));
    expect(heldOut.length).toBe(Object.keys(HELD_OUT_BOUND_PCT).length);
  });

  for (const r of heldOut) {
    const bound = HELD_OUT_BOUND_PCT[r.c.name] ?? 0;
    it(`${r.c.name}: within ${bound}% of ${fmt(r.c.published)} (${r.c.metric})`, () => {
      expect(Number.isFinite(r.predicted)).toBe(true);
      expect(Math.abs(r.errorPct)).toBeLessThan(bound);
    });
  }

  it('Llama 3 405B: MFU within the published 38-43% band ±5 points, and 8,192 GPUs faster per GPU than 16,384 (Dubey et al. 2024 Table 4)', () => {
    const [k8, k16] = heldOut.filter((r) => r.c.name.startsWith('Llama 3 405B')) as [Row, Row];
    for (const r of [k8, k16]) {
      expect(r.mfu).toBeGreaterThan(0.33);
      expect(r.mfu).toBeLessThan(0.48);
    }
    // same 16M-token batch: twice the micro-batches per pipeline at DP64, a smaller bubble share
    expect(k8.predicted).toBeGreaterThan(k16.predicted);
  });

  it('Korthikanti Table 5: the model reproduces the speed-up of SP + selective over full recomputation (29-32%)', () => {
    for (const k of KORTHIKANTI_TABLE5) {
      const full = rows.find((r) => r.c.name === `Korthikanti ${k.model} full recompute`);
      const present = rows.find((r) => r.c.name === `Korthikanti ${k.model} SP+selective`);
      expect(full && present).toBeTruthy();
      const published = k.iterFullS / k.iterPresentS;
      const predicted = (full as Row).predicted / (present as Row).predicted;
      expect(Math.abs(predicted - published)).toBeLessThan(0.06);
    }
  });

  it('Korthikanti 530B: data parallelism ×8 over the network costs a few percent (published 37.83 → 39.15 s)', () => {
    const single = rows.find((r) => r.c.name === 'Korthikanti 530B SP+selective') as Row;
    const dp8 = rows.find((r) => r.c.name === 'Korthikanti 530B SP+selective DP8') as Row;
    const slowdown = dp8.predicted / single.predicted;
    expect(slowdown).toBeGreaterThan(1);
    expect(slowdown).toBeLessThan(1.08);
    expect(KORTHIKANTI_530B_DP8.iterS / KORTHIKANTI_TABLE5[2].iterPresentS).toBeLessThan(1.08);
  });

  it('Korthikanti Table 4: one 22B layer (t=8, b=4, s=2048) forward+backward, per mode, within 12%', () => {
    const mk = (layers: number): ModelShape => ({
      layers, hiddenSize: 6144, attentionHeads: 64, kvHeads: 64, headDim: 96, ffnHiddenSize: 24576,
      vocabSize: 51200, gatedMlp: false, tiedEmbeddings: true,
    });
    const t = { tokens: 1, sequenceLength: 2048, globalBatchSequences: 4, precision: 'bf16' as const, optimizer: 'adamw' as const };
    const opts = { flashAttention: false, tensorCommOverlap: 0 };
    const ctx1 = prepareWorkload(mk(1), countParameters(mk(1)), t, A100_80GB, opts);
    const ctx2 = prepareWorkload(mk(2), countParameters(mk(2)), t, A100_80GB, opts);
    const layerMs = (recompute: ParallelLayout['recompute'], sequenceParallel: boolean): number => {
      const l: ParallelLayout = {
        tensor: 8, pipeline: 1, data: 1, context: 1, expert: 1, microBatchSize: 4, zeroStage: 0,
        recompute, sequenceParallel, schedule: '1f1b', virtualStages: 1,
      };
      const a = evaluateLayout(ctx1, l).breakdownSeconds;
      const b = evaluateLayout(ctx2, l).breakdownSeconds;
      // one more layer: compute + recompute + tensor communication (everything else is per step)
      return 1000 * (b.compute - a.compute + b.recompute - a.recompute + b.tensorComm - a.tensorComm);
    };
    const T4 = KORTHIKANTI_TABLE4_22B_LAYER_MS;
    const checks: [string, number, number][] = [
      ['baseline', layerMs('none', false), T4.baseline.fwd + T4.baseline.bwd],
      ['sequence parallel', layerMs('none', true), T4.sequenceParallel.fwd + T4.sequenceParallel.bwd],
      ['full recompute', layerMs('full', false), T4.fullRecompute.fwd + T4.fullRecompute.bwd],
      ['selective', layerMs('selective', false), T4.selective.fwd + T4.selective.bwd],
      ['selective + sequence', layerMs('selective', true), T4.selectiveSequence.fwd + T4.selectiveSequence.bwd],
    ];
    console.log(checks.map(([n, p, pub]) => `22B layer ${n}: published ${pub.toFixed(1)} ms, predicted ${p.toFixed(1)} ms`).join('\n'));
    for (const [, predicted, published] of checks) expect(Math.abs(predicted / published - 1)).toBeLessThan(0.12);
    // the orderings Table 4 shows: full recompute +39%, selective +7%, sequence parallel slightly faster
    const [base, spOnly, full, sel] = checks.map((x) => x[1]) as [number, number, number, number];
    expect(full / base).toBeGreaterThan(1.3);
    expect(sel / base).toBeGreaterThan(1);
    expect(sel / base).toBeLessThan(1.12);
    expect(spOnly).toBeLessThan(base);
  });

  const publishedRunsJson = resolve(dirname(fileURLToPath(import.meta.url)), '../data/calibration/published-runs.json');

  it('the fixture copies data/calibration/published-runs.json faithfully', () => {
    const runs = JSON.parse(readFileSync(publishedRunsJson, 'utf8')) as { id: string; figures: Record<string, unknown>; model: Record<string, unknown> }[];
    const byId = (id: string) => runs.find((r) => r.id === id) as (typeof runs)[number];
    const t1 = byId('megatron-ptdp-2021-table1').figures.rows as Record<string, number>[];
    expect(t1.map((r) => [r.layers, r.hidden, r.TP, r.PP, r.DP_derived, r.global_batch_seqs, r.achieved_TFLOPs_per_gpu])).toEqual(
      PTDP_TABLE1.map((r) => [r.layers, r.hidden, r.t, r.p, r.d, r.batch, r.tflopsPerGpu]),
    );
    const k = byId('korthikanti-2022-activation-memory');
    const t5 = k.figures.table5_end_to_end as Record<string, number>[];
    expect(t5.map((r) => [r.iter_s_full_recompute, r.iter_s_present_work])).toEqual(KORTHIKANTI_TABLE5.map((r) => [r.iterFullS, r.iterPresentS]));
    const cfg = k.model.configs_table3 as Record<string, number>[];
    expect(cfg.map((r) => [r.layers, r.hidden, r.TP, r.PP, r.global_batch, r.micro_batch])).toEqual(
      KORTHIKANTI_TABLE5.map((r) => [r.layers, r.hidden, r.t, r.p, r.batch, r.micro]),
    );
    expect((k.figures['530B_with_DP8_2240_gpus'] as Record<string, number>).iter_s).toBe(KORTHIKANTI_530B_DP8.iterS);
    const mc = byId('megatron-core-h100-weak-scaling-2024').figures.rows as Record<string, number>[];
    expect(mc.map((r) => [r.layers, r.hidden, r.heads, r.TP, r.PP, r.DP, r.batch, r.TFLOPs_per_gpu])).toEqual(
      MCORE_H100.map((r) => [r.layers, r.hidden, r.heads, r.t, r.p, r.d, r.batch, r.tflopsPerGpu]),
    );
    for (const l of LLAMA2) expect((byId(`llama2-${l.model.toLowerCase()}`).figures as Record<string, number>).gpu_hours).toBe(l.gpuHours);
  });
});
