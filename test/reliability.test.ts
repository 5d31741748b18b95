import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_EVALUATIONS } from '../src/domain/search/index.js';
import { planEstimate, type EstimateResult, resolveWorkload, type ResolvedWorkload } from '../src/domain/planning/index.js';
import {
  dalyIntervalSeconds,
  DEFAULT_FAILURES_PER_GPU_DAY,
  estimateReliability,
  jobMtbfSeconds,
  logWallClockFactor,
  youngIntervalSeconds,
} from '../src/domain/economics/index.js';
import { LLAMA_405B_REQUEST, shippedCatalog } from './helper.js';

describe('failure rate and MTBF', () => {
  it('default rate is Llama 3\'s: 419 unexpected interruptions / (54 days · 16,384 GPUs) ≈ 4.74e-4 per GPU-day', () => {
    expect(DEFAULT_FAILURES_PER_GPU_DAY).toBeCloseTo(419 / (54 * 16384), 12);
    expect(DEFAULT_FAILURES_PER_GPU_DAY).toBeCloseTo(4.736e-4, 6);
  });

  it('at 16,384 GPUs that is a job interruption about every 3 hours (as Meta reported)', () => {
    // 86400 / (4.736e-4 · 16384) = 86400 / 7.759 = 11,135 s = 3.09 h
    expect(jobMtbfSeconds(DEFAULT_FAILURES_PER_GPU_DAY, 16384) / 3600).toBeCloseTo(3.093, 2);
    expect(jobMtbfSeconds(0, 1000)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('checkpoint interval, Young 1974 and Daly 2006, by hand', () => {
  it('Young: δ = 60 s, M = 1 h → √(2·60·3600) = 657.3 s', () => {
    expect(youngIntervalSeconds(60, 3600)).toBeCloseTo(657.267, 2);
  });

  it('Daly: same inputs → √(2δM)·(1 + ⅓√(δ/2M) + ⅑·δ/2M) − δ = 657.267·1.031355 − 60 ≈ 617.9 s', () => {
    // δ/2M = 60/7200 = 0.0083333; √ = 0.0912871; 1 + 0.0304290 + 0.0009259 = 1.0313549
    expect(dalyIntervalSeconds(60, 3600)).toBeCloseTo(657.267 * 1.0313549 - 60, 1);
    // δ ≥ 2M: checkpoint once per MTBF
    expect(dalyIntervalSeconds(8000, 3600)).toBe(3600);
  });

  it('Daly wall-clock factor: τ = 600, δ = 60, R = 300, M = 36,000 s → (M/τ)·e^{R/M}·(e^{(τ+δ)/M} − 1) ≈ 1.1194', () => {
    // 60 · e^0.0083333 · (e^0.0183333 − 1) = 60 · 1.0083682 · 0.0185024 = 1.11944
    expect(Math.exp(logWallClockFactor(600, 60, 300, 36_000))).toBeCloseTo(1.11944, 4);
    // first-order check: 1 + δ/τ + (τ/2 + R)/M = 1.11667
    expect(Math.exp(logWallClockFactor(600, 60, 300, 36_000))).toBeCloseTo(1 + 60 / 600 + (300 + 300) / 36_000, 2);
  });

  it('the Daly interval minimises the wall-clock factor (neighbours are worse)', () => {
    const d = 120;
    const M = 4 * 3600;
    const R = 600;
    const tau = dalyIntervalSeconds(d, M);
    const at = (t: number) => logWallClockFactor(t, d, R, M);
    for (const k of [0.7, 0.9, 1.1, 1.4]) expect(at(tau * k)).toBeGreaterThan(at(tau));
  });
});

describe('estimateReliability', () => {
  const base = { gpus: 2048, idealDays: 50, checkpointBytes: 1e12, storageWriteBytesPerSecond: 1e11 };

  it('wall days = ideal days / goodput, interruptions = λ·GPUs·wall days, all finite', () => {
    const r = estimateReliability(base);
    expect(r.wallDays).toBeCloseTo(r.idealDays / r.goodput, 9);
    expect(r.expectedInterruptions).toBeCloseTo(DEFAULT_FAILURES_PER_GPU_DAY * 2048 * r.wallDays, 9);
    expect(r.goodput).toBeGreaterThan(0);
    expect(r.goodput).toBeLessThan(1);
    for (const v of Object.values(r)) if (typeof v === 'number') expect(Number.isFinite(v)).toBe(true);
  });

  it('sync checkpoints block for the full write (1e12 B at 1e11 B/s = 10 s); async only for the host copy', () => {
    const sync = estimateReliability({ ...base, options: { asyncCheckpoint: false } });
    expect(sync.checkpointBlockingSeconds).toBeCloseTo(10, 9);
    const asyncR = estimateReliability(base);
    // 1e12 / 2048 GPUs / 31.5e9 B/s
    expect(asyncR.checkpointBlockingSeconds).toBeCloseTo(1e12 / 2048 / 31.5e9, 9);
    expect(asyncR.checkpointWriteSeconds).toBeCloseTo(10, 9);
  });

  it('goodput falls with more GPUs, longer restarts and a higher failure rate', () => {
    const g = (o: Partial<typeof base> & { options?: object }) => estimateReliability({ ...base, ...o }).goodput;
    expect(g({ gpus: 16384 })).toBeLessThan(g({ gpus: 2048 }));
    expect(g({ options: { restartMinutes: 60 } })).toBeLessThan(g({ options: { restartMinutes: 5 } }));
    expect(g({ options: { failuresPerGpuDay: 1e-3 } })).toBeLessThan(g({ options: { failuresPerGpuDay: 1e-4 } }));
  });

  it('no failures: goodput ≈ 1 and no interruptions', () => {
    const r = estimateReliability({ ...base, options: { failuresPerGpuDay: 0 } });
    expect(r.expectedInterruptions).toBe(0);
    expect(r.goodput).toBeGreaterThan(0.999);
  });

  it('failures that outpace progress give a finite answer and a warning', () => {
    const r = estimateReliability({ ...base, gpus: 100_000, options: { failuresPerGpuDay: 1, restartMinutes: 600 } });
    expect(Number.isFinite(r.wallDays)).toBe(true);
    expect(r.warnings.join(' ')).toMatch(/outpace/);
  });

  it('a requested interval is used as given', () => {
    const r = estimateReliability({ ...base, options: { checkpointIntervalMinutes: 30 } });
    expect(r.checkpointIntervalMinutes).toBe(30);
    expect(r.checkpointIntervalRule).toBe('request');
  });
});

describe('Llama 3.1 405B on 16,384 H100: against Meta\'s ">90% effective training time"', () => {
  let w: ResolvedWorkload;
  let r: EstimateResult;
  beforeAll(async () => {
    const resolved = resolveWorkload(structuredClone(LLAMA_405B_REQUEST) as any, await shippedCatalog(), { defaultSearchMaxEvaluations: DEFAULT_MAX_EVALUATIONS });
    if ('problems' in resolved) throw new Error(JSON.stringify(resolved.problems));
    w = resolved;
    r = planEstimate(w);
  });

  it('goodput lands between 0.88 and 0.97 (Dubey et al. 2024 Sec. 3.3.4: higher than 90%)', () => {
    expect(r.reliability!.goodput).toBeGreaterThan(0.88);
    expect(r.reliability!.goodput).toBeLessThan(0.97);
  });

  it('about 7.8 interruptions per wall-clock day, as 419 in 54 days', () => {
    expect(r.reliability!.expectedInterruptions / r.time.days).toBeCloseTo(419 / 54, 1);
  });

  it('time.days includes the loss, time.idealDays does not; cost follows wall-clock GPU-hours', () => {
    const t = r.time as typeof r.time & { idealDays: number; goodput: number };
    expect(t.days).toBeCloseTo(t.idealDays / t.goodput, 9);
    expect(t.gpuHours).toBeCloseTo(t.days * 24 * 16384, 3);
    expect(r.cost.cloud.totalUsd).toBeCloseTo(t.gpuHours * r.cost.cloud.gpuHourUsd, 0);
  });

  it('overrides flow from the request: no failures → days = idealDays', () => {
    const noFail = planEstimate({ ...w, reliability: { failuresPerGpuDay: 0 } } as ResolvedWorkload);
    const t = noFail.time as typeof noFail.time & { idealDays: number };
    expect(t.days / t.idealDays).toBeLessThan(1.001);
  });
});
