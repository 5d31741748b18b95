import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import {
  COST_INPUT_SOURCES,
  DEFAULT_COST_INPUTS,
  SERVER_POWER_BY_GENERATION,
  costAssumptions,
  costInputProblems,
  defaultServerOverheadFactor,
  estimateCost,
  resolveCostInputs,
} from '../src/domain/economics/index.js';
import type { Accelerator } from '../src/domain/core/index.js';
import { A100_80GB, H100_SXM, H800_SXM, V100_32GB } from './fixtures/accelerators.js';

interface Run {
  id: string;
  figures: Record<string, unknown>;
}
const runs = JSON.parse(readFileSync(new URL('../data/calibration/published-runs.json', import.meta.url), 'utf8')) as Run[];
const run = (id: string): Run => {
  const r = runs.find((x) => x.id === id);
  if (!r) throw new Error(`no calibration record ${id}`);
  return r;
};

interface Fact {
  fact: string;
  value: unknown;
}
const facts = JSON.parse(readFileSync(new URL('../data/reference/datacenter_facts.json', import.meta.url), 'utf8')) as Fact[];
const fact = (name: string): unknown => facts.find((f) => f.fact === name)?.value;

describe('defaults', () => {
  it('come from data/reference/datacenter_facts.json', () => {
    expect(DEFAULT_COST_INPUTS.electricityUsdPerKwh * 100).toBeCloseTo(fact('US industrial average retail electricity price') as number, 6);
    expect(DEFAULT_COST_INPUTS.carbonKgPerKwh).toBe(fact('US average grid carbon intensity'));
    expect(DEFAULT_COST_INPUTS.pue).toBe(fact('Industry-average PUE (2024 survey)'));
    expect(DEFAULT_COST_INPUTS.depreciationYears).toBe(3);
    // per-GPU IT power (max) in the facts table: A100 0.81 kW, H100 1.275 kW, B200 1.79 kW
    const perGpuKw = fact('Per-GPU IT power incl. server overhead (max)') as Record<string, number>;
    expect(defaultServerOverheadFactor(A100_80GB) * A100_80GB.tdpWatts / 1000).toBeCloseTo(perGpuKw['A100 (DGX A100)'] as number, 2);
    expect(defaultServerOverheadFactor(H100_SXM) * H100_SXM.tdpWatts / 1000).toBeCloseTo(perGpuKw['H100/H200 (DGX H100)'] as number, 3);
    expect(defaultServerOverheadFactor({ generation: 'blackwell' }) * 1000 / 1000).toBeCloseTo(perGpuKw['B200 (DGX B200)'] as number, 2);
    expect(defaultServerOverheadFactor({ generation: 'cdna3' })).toBe(DEFAULT_COST_INPUTS.serverOverheadFactor);
    expect(Object.isFrozen(DEFAULT_COST_INPUTS)).toBe(true);
    expect(Object.isFrozen(SERVER_POWER_BY_GENERATION)).toBe(true);
  });

  it('every default has a source and is listed as an assumption when not given', () => {
    for (const k of Object.keys(COST_INPUT_SOURCES)) expect((COST_INPUT_SOURCES as Record<string, string>)[k]?.length).toBeGreaterThan(20);
    const all = costAssumptions(H100_SXM, {});
    expect(all.map((a) => a.field).sort()).toEqual(
      ['carbonKgPerKwh', 'depreciationYears', 'electricityUsdPerKwh', 'gpuHourUsd', 'pue', 'purchaseUsdPerGpu', 'serverOverheadFactor', 'utilization']
        .map((f) => `/cost/${f}`).sort(),
    );
    const some = costAssumptions(H100_SXM, { pue: 1.1, gpuHourUsd: 2 });
    expect(some.map((a) => a.field)).not.toContain('/cost/pue');
    expect(some.map((a) => a.field)).not.toContain('/cost/gpuHourUsd');
    expect(some.find((a) => a.field === '/cost/serverOverheadFactor')?.reason).toContain('DGX H100');
    // V100 has no catalog purchase price: nothing to assume, nothing listed
    expect(costAssumptions(V100_32GB, {}).map((a) => a.field)).not.toContain('/cost/purchaseUsdPerGpu');
  });

  it('the average per-server draw lands inside the reported DGX H100 typical 6.5–8.5 kW', () => {
    const r = resolveCostInputs(H100_SXM);
    const serverKw = (8 * H100_SXM.tdpWatts * r.serverOverheadFactor * r.utilization) / 1000;
    expect(serverKw).toBeGreaterThanOrEqual(6.5);
    expect(serverKw).toBeLessThanOrEqual(8.5);
  });
});

describe('estimateCost: hand-worked', () => {
  it('1024 H100 for 30 days with every default', () => {
    const c = estimateCost({ gpus: 1024, days: 30, accelerator: H100_SXM });
    // Power: server overhead 10,200 W / 8 GPUs / 700 W = 1.82142857; utilization (6.5+8.5)/2/10.2 = 0.73529412
    //   per GPU 700 × 1.82142857 × 0.73529412 = 1275 × 0.73529412 = 937.5 W
    //   IT power 1024 × 937.5 W = 960 kW; facility 960 × 1.56 = 1,497.6 kW
    expect(c.energy.itWattsPerGpu).toBeCloseTo(937.5, 9);
    expect(c.energy.itPowerKw).toBeCloseTo(960, 9);
    expect(c.energy.facilityPowerKw).toBeCloseTo(1497.6, 9);
    // Energy: 30 d × 24 h = 720 h; IT 960 kW × 720 h = 691,200 kWh; facility × 1.56 = 1,078,272 kWh
    expect(c.energy.itKwh).toBeCloseTo(691_200, 6);
    expect(c.energy.kwh).toBeCloseTo(1_078_272, 6);
    // CO2: 1,078,272 kWh × 0.367 kg/kWh = 395,725.824 kg
    expect(c.energy.co2Kg).toBeCloseTo(395_725.824, 3);
    // Cloud: 1024 × 720 h = 737,280 GPU-hours × $6.88 = $5,072,486.40
    expect(c.cloud.gpuHours).toBe(737_280);
    expect(c.cloud.totalUsd).toBeCloseTo(5_072_486.4, 4);
    expect(c.cloud.priceSource).toBe('catalog');
    // On-prem: capital 1024 × $35,000 = $35,840,000; depreciation × 30/(365·3) = $981,917.81
    //   energy 1,078,272 kWh × $0.0806 = $86,908.72; total $1,068,826.53
    expect(c.onPrem.capitalUsd).toBe(35_840_000);
    expect(c.onPrem.depreciationUsd).toBeCloseTo(981_917.808, 2);
    expect(c.onPrem.energyUsd).toBeCloseTo(86_908.72, 2);
    expect(c.onPrem.totalUsd).toBeCloseTo(1_068_826.53, 1);
    // Break-even of buying vs renting: rent 1024×24×6.88 = $169,082.88/day, energy 1497.6×24×0.0806 = $2,896.96/day
    //   35,840,000 / (169,082.88 − 2,896.96) = 215.66 days
    expect(c.comparison.cheaper).toBe('onPrem');
    expect(c.comparison.buyVsRentBreakEvenDays).toBeCloseTo(215.66, 2);
    expect(c.warnings).toEqual([]);
  });

  it('keeps kWh and dollars apart (the planning guide called GPUs × 0.4 × 24 × days dollars)', () => {
    // The guide: 1024 GPUs × 0.4 kW × 24 h × 30 d = 294,912, labelled $. It is kWh of bare GPUs at 400 W.
    const guide = 1024 * 0.4 * 24 * 30;
    const bare = estimateCost({
      gpus: 1024, days: 30, accelerator: A100_80GB,
      inputs: { utilization: 1, serverOverheadFactor: 1, pue: 1, electricityUsdPerKwh: 0.0806 },
    });
    expect(bare.energy.itKwh).toBeCloseTo(guide, 6);
    // as money it is 294,912 kWh × $0.0806 = $23,769.91, 12.4× less than the guide's "$294,912"
    expect(bare.onPrem.energyUsd).toBeCloseTo(23_769.9072, 4);
    expect(bare.onPrem.energyUsd).not.toBeCloseTo(guide, 0);
    // doubling the electricity price doubles the dollars and leaves the kWh alone
    const dear = estimateCost({
      gpus: 1024, days: 30, accelerator: A100_80GB,
      inputs: { utilization: 1, serverOverheadFactor: 1, pue: 1, electricityUsdPerKwh: 0.1612 },
    });
    expect(dear.energy.kwh).toBe(bare.energy.kwh);
    expect(dear.onPrem.energyUsd).toBeCloseTo(2 * bare.onPrem.energyUsd, 6);
  });

  it('DeepSeek-V3: 2.788M H800 GPU-hours at the report\'s assumed $2 = $5.576M', () => {
    // DeepSeek-V3 technical report (data/reference hardware.json, H800 price_market_reference): 2,048 H800
    const days = 2.788e6 / (2048 * 24);
    const c = estimateCost({ gpus: 2048, days, accelerator: H800_SXM, inputs: { gpuHourUsd: 2 } });
    expect(c.cloud.gpuHours).toBeCloseTo(2.788e6, 3);
    expect(c.cloud.totalUsd).toBeCloseTo(5.576e6, 3);
    expect(c.cloud.priceSource).toBe('request');
  });

  it('GPT-3 energy (Patterson et al. 2021 Table 4: 10,000 V100, 14.8 days, 1,287 MWh) within 5% with our V100 power model', () => {
    // Published: 1,287 MWh at Microsoft's PUE 1.10 (Patterson et al. 2021 Table 4). Our per-GPU IT power is not fitted to it:
    //   300 W × (3,500 W DGX-1 / 8 / 300 W) × 0.7353 = 437.5 × 0.7353 = 321.7 W (Patterson measured 330 W per processor)
    //   10,000 × 321.7 W × 355.2 h = 1,142.6 MWh IT; × 1.1 = 1,256.9 MWh, 2.3% under 1,287.
    const g = run('gpt3-175b').figures.secondary_patterson_2021_table4 as { gpus: number; days: number; energy_MWh: number };
    const c = estimateCost({ gpus: g.gpus, days: g.days, accelerator: V100_32GB, inputs: { pue: 1.1 } });
    expect(c.energy.kwh / 1000).toBeCloseTo(1256.9, 0);
    expect(Math.abs(c.energy.kwh / 1000 / g.energy_MWh - 1)).toBeLessThan(0.05);
  });

  it('Llama 2 CO2 (Touvron et al. 2023 Table 2): one intensity from 70B predicts 7B, 13B and 34B (350 W) within 1%', () => {
    // Meta's accounting: GPU-hours × power cap × implied kg/kWh. Calibrate on 70B only:
    //   291.42 t / (1,720,320 h × 0.4 kW) = 0.42348 kg/kWh, then predict the others with the same formula we use.
    const f70 = run('llama2-70b').figures as { gpu_hours: number; power_W: number; tCO2eq: number };
    const kgPerKwh = (f70.tCO2eq * 1000) / (f70.gpu_hours * f70.power_W / 1000);
    expect(kgPerKwh).toBeCloseTo(0.4235, 4);
    for (const id of ['llama2-7b', 'llama2-13b', 'llama2-34b']) {
      const f = run(id).figures as { gpu_hours: number; power_W: number; tCO2eq: number };
      const acc: Accelerator = { ...A100_80GB, tdpWatts: f.power_W };
      const c = estimateCost({
        gpus: 1, days: f.gpu_hours / 24, accelerator: acc,
        inputs: { utilization: 1, serverOverheadFactor: 1, pue: 1, carbonKgPerKwh: kgPerKwh },
      });
      expect(Math.abs(c.energy.co2Kg / 1000 / f.tCO2eq - 1), id).toBeLessThan(0.01);
    }
  });

  it('caps depreciation at the purchase price when the run outlasts the depreciation period', () => {
    const c = estimateCost({ gpus: 8, days: 4 * 365, accelerator: H100_SXM, inputs: { depreciationYears: 3 } });
    expect(c.onPrem.depreciationUsd).toBe(8 * 35_000);
    expect(c.warnings.join(' ')).toContain('outlasts');
  });
});

describe('estimateCost: unknown prices and power', () => {
  const bare: Accelerator = { ...V100_32GB, id: 'x', name: 'Mystery chip', generation: 'tpu', tdpWatts: 0 };
  delete (bare as Partial<Accelerator>).cloudGpuHourUsd;

  it('returns finite zeros, flags and warnings', () => {
    const c = estimateCost({ gpus: 64, days: 10, accelerator: bare });
    expect(c.cloud).toMatchObject({ totalUsd: 0, priceKnown: false, priceSource: 'unknown' });
    expect(c.onPrem).toMatchObject({ totalUsd: 0, priceKnown: false, priceSource: 'unknown', capitalUsd: 0 });
    expect(c.energy).toMatchObject({ kwh: 0, co2Kg: 0, powerKnown: false });
    expect(c.comparison).toEqual({ cheaper: 'unknown', buyVsRentBreakEvenDays: null });
    expect(c.warnings).toHaveLength(3);
    expect(c.warnings.join(' ')).toMatch(/cloud price.*purchase price|purchase price.*cloud price/s);
    expect(JSON.stringify(c)).not.toMatch(/NaN|Infinity|null,"warn/);
  });

  it('a request price fills the gap; energy cost is known even without a purchase price', () => {
    const c = estimateCost({ gpus: 64, days: 10, accelerator: V100_32GB, inputs: { purchaseUsdPerGpu: 10_000 } });
    expect(c.onPrem.priceKnown).toBe(true);
    expect(c.onPrem.capitalUsd).toBe(640_000);
    const noPurchase = estimateCost({ gpus: 64, days: 10, accelerator: V100_32GB });
    expect(noPurchase.onPrem.totalUsd).toBe(0);
    expect(noPurchase.onPrem.energyUsd).toBeGreaterThan(0);
    expect(noPurchase.onPrem.energyUsd).toBeCloseTo(c.onPrem.energyUsd, 9);
  });

  it('rejects inputs that make no sense, naming each', () => {
    expect(costInputProblems({ pue: 0.9, utilization: 1.5, depreciationYears: 0, gpuHourUsd: Number.NaN }).map((p) => p.path).sort())
      .toEqual(['/cost/depreciationYears', '/cost/gpuHourUsd', '/cost/pue', '/cost/utilization']);
    expect(costInputProblems({ pue: 1.2, utilization: 0.5 })).toEqual([]);
    expect(() => estimateCost({ gpus: 8, days: 1, accelerator: H100_SXM, inputs: { pue: 0.5 } })).toThrow(/pue/);
    expect(() => estimateCost({ gpus: -1, days: 1, accelerator: H100_SXM })).toThrow(RangeError);
  });
});

describe('estimateCost: properties', () => {
  const accelerators = [A100_80GB, H100_SXM, H800_SXM, V100_32GB];
  const arbInputs = fc.record({
    pue: fc.double({ min: 1, max: 3, noNaN: true }),
    utilization: fc.double({ min: 0.01, max: 1, noNaN: true }),
    electricityUsdPerKwh: fc.double({ min: 0, max: 1, noNaN: true }),
    depreciationYears: fc.double({ min: 0.5, max: 10, noNaN: true }),
  }, { requiredKeys: [] });

  it('every number is finite and non-negative', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 200_000 }), fc.double({ min: 0, max: 5000, noNaN: true }), fc.constantFrom(...accelerators), arbInputs,
      (gpus, days, accelerator, inputs) => {
        const c = estimateCost({ gpus, days, accelerator, inputs });
        for (const part of [c.cloud, c.onPrem, c.energy]) {
          for (const v of Object.values(part)) if (typeof v === 'number') expect(Number.isFinite(v) && v >= 0).toBe(true);
        }
      },
    ));
  });

  it('cost, energy and CO2 never decrease with more days or more GPUs', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 0, max: 1000 }),
      fc.double({ min: 0.01, max: 2000, noNaN: true }), fc.double({ min: 0, max: 2000, noNaN: true }),
      fc.constantFrom(...accelerators), arbInputs,
      (gpus, moreGpus, days, moreDays, accelerator, inputs) => {
        const a = estimateCost({ gpus, days, accelerator, inputs });
        for (const b of [
          estimateCost({ gpus: gpus + moreGpus, days, accelerator, inputs }),
          estimateCost({ gpus, days: days + moreDays, accelerator, inputs }),
        ]) {
          expect(b.cloud.totalUsd).toBeGreaterThanOrEqual(a.cloud.totalUsd);
          expect(b.onPrem.totalUsd).toBeGreaterThanOrEqual(a.onPrem.totalUsd);
          expect(b.energy.kwh).toBeGreaterThanOrEqual(a.energy.kwh);
          expect(b.energy.co2Kg).toBeGreaterThanOrEqual(a.energy.co2Kg);
        }
      },
    ));
  });

  it('cloud cost is linear in GPU-hours: twice the GPUs for half the days costs the same', () => {
    const a = estimateCost({ gpus: 512, days: 40, accelerator: H100_SXM });
    const b = estimateCost({ gpus: 1024, days: 20, accelerator: H100_SXM });
    expect(b.cloud.totalUsd).toBeCloseTo(a.cloud.totalUsd, 6);
    expect(b.energy.kwh).toBeCloseTo(a.energy.kwh, 6);
    // but owning twice the hardware for half the time depreciates the same capital-days, so on-prem matches too
    expect(b.onPrem.totalUsd).toBeCloseTo(a.onPrem.totalUsd, 4);
  });
});
