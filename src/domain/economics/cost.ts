// Cost, energy and carbon of a training run: cloud rental, on-premises ownership, kWh and CO2.
// Pure: no Fastify, no I/O. Every default below carries its source (data/reference/datacenter_facts.json).
//
// Units are kept apart on purpose: the planning guide this product replaces computed
// "GPUs × 0.4 × 24 × days" (kW × hours = kWh) and reported it as dollars. Here energy is kWh,
// money is USD, and the only bridge between them is electricityUsdPerKwh.
import type { Accelerator, Assumption } from '../core/index.js';

const HOURS_PER_DAY = 24;
const DAYS_PER_YEAR = 365;
const WATTS_PER_KILOWATT = 1000;

/** What a cost estimate depends on besides GPUs and days. All optional in a request; defaults below. */
export interface CostInputs {
  /** cloud price per GPU-hour; else the accelerator's catalog price */
  gpuHourUsd?: number;
  /** electricity price paid by the facility, USD per kWh */
  electricityUsdPerKwh: number;
  /** power usage effectiveness: facility energy / IT energy (>= 1) */
  pue: number;
  /** straight-line depreciation period of the purchased servers */
  depreciationYears: number;
  /** purchase price per GPU including its share of the server; else the accelerator's catalog price */
  purchaseUsdPerGpu?: number;
  /** average IT draw as a fraction of the server's maximum (nameplate) power, 0..1 */
  utilization: number;
  /** grid carbon intensity, kg CO2 per kWh */
  carbonKgPerKwh: number;
  /** per-GPU share of the server's maximum power / GPU TDP (host CPUs, NICs, NVSwitch, fans, PSU); else by generation */
  serverOverheadFactor: number;
}

/** What a request may override: every field optional. */
export type CostOverrides = Partial<CostInputs>;

// --- server overhead: DGX system maximum power / (GPUs × GPU TDP), datacenter_facts.json ---------------
interface ServerPowerFact {
  system: string;
  systemMaxWatts: number;
  gpus: number;
  gpuTdpWatts: number;
  source: string;
}

/** Reference 8-GPU servers per generation, from NVIDIA user guides (datacenter_facts.json). */
export const SERVER_POWER_BY_GENERATION: Readonly<Record<string, ServerPowerFact>> = Object.freeze({
  volta: { system: 'DGX-1', systemMaxWatts: 3500, gpus: 8, gpuTdpWatts: 300, source: 'NVIDIA DGX-1 datasheet, 3.5 kW max (low confidence)' },
  ampere: { system: 'DGX A100', systemMaxWatts: 6500, gpus: 8, gpuTdpWatts: 400, source: 'NVIDIA DGX A100 User Guide DU-09821-001, 6.5 kW max' },
  hopper: { system: 'DGX H100/H200', systemMaxWatts: 10200, gpus: 8, gpuTdpWatts: 700, source: 'NVIDIA DGX H100/H200 User Guide, 10.2 kW max' },
  blackwell: { system: 'DGX B200', systemMaxWatts: 14300, gpus: 8, gpuTdpWatts: 1000, source: 'NVIDIA DGX B200 User Guide, 14.3 kW max' },
});

/** Server max power per GPU / GPU TDP for one reference server. */
export function serverOverheadFactorOf(f: ServerPowerFact): number {
  // datacenter_facts "Per-GPU IT power incl. server overhead (max)": system max / GPUs, here divided by TDP
  return f.systemMaxWatts / f.gpus / f.gpuTdpWatts;
}

/** Fallback for generations without a reference server: ~1.8, the DGX H100 (1.82) and DGX B200 (1.79) ratios. */
const FALLBACK_SERVER_OVERHEAD_FACTOR = 1.8;

/** DGX H100 typical draw 6.5–8.5 kW (secondary, datacenter_facts) of its 10.2 kW maximum: midpoint 7.5 / 10.2. */
const TYPICAL_DGX_H100_DRAW_FRACTION = (6.5 + 8.5) / 2 / 10.2;

/** Defaults, each sourced in COST_INPUT_SOURCES. serverOverheadFactor here is the fallback; see defaultServerOverheadFactor. */
export const DEFAULT_COST_INPUTS: Readonly<Required<Omit<CostInputs, 'gpuHourUsd' | 'purchaseUsdPerGpu'>>> = Object.freeze({
  electricityUsdPerKwh: 0.0806,
  pue: 1.56,
  depreciationYears: 3,
  utilization: TYPICAL_DGX_H100_DRAW_FRACTION,
  carbonKgPerKwh: 0.367,
  serverOverheadFactor: FALLBACK_SERVER_OVERHEAD_FACTOR,
});

/** Why each default is what it is. */
export const COST_INPUT_SOURCES: Readonly<Record<keyof CostInputs, string>> = Object.freeze({
  gpuHourUsd: 'indicative on-demand price of the accelerator from the hardware catalog (dated, see /v1/hardware); override with cost.gpuHourUsd',
  electricityUsdPerKwh: 'US industrial average retail price 8.06 ¢/kWh in 2023 (EIA via Statista; states range ~6–18 ¢)',
  pue: 'industry-average PUE 1.56 (Uptime Institute 2024 survey; 1.55–1.59 every year since ~2020): an owned or colocated facility is typically average; purpose-built AI/hyperscale halls reach 1.1–1.2, pass cost.pue for those',
  depreciationYears: '3-year straight-line depreciation, the planning guide\'s convention',
  purchaseUsdPerGpu: 'indicative purchase price per GPU incl. its share of the server, from the hardware catalog (low confidence)',
  utilization: 'average draw 0.735 of nameplate maximum: DGX H100 typical 6.5–8.5 kW of 10.2 kW max (datacenter_facts, secondary), midpoint 7.5/10.2',
  carbonKgPerKwh: 'US average grid intensity 0.367 kg CO2/kWh in 2023 (EIA FAQ 74: 0.81 lb/kWh)',
  serverOverheadFactor: 'per-GPU share of the reference server\'s maximum power / GPU TDP (DGX-1 1.46, DGX A100 2.03, DGX H100 1.82, DGX B200 1.79; 1.8 for other generations)',
});

/** Server overhead factor for an accelerator: its generation's reference DGX, else the 1.8 fallback. */
export function defaultServerOverheadFactor(accelerator: Pick<Accelerator, 'generation'>): number {
  const f = SERVER_POWER_BY_GENERATION[accelerator.generation];
  return f === undefined ? FALLBACK_SERVER_OVERHEAD_FACTOR : serverOverheadFactorOf(f);
}

/** Inputs after defaults. Prices stay undefined when neither the request nor the catalog has one. */
export interface EffectiveCostInputs extends CostInputs {
  gpuHourUsd: number | undefined;
  purchaseUsdPerGpu: number | undefined;
}

function isUsablePrice(x: number | undefined): x is number {
  return x !== undefined && Number.isFinite(x) && x >= 0;
}

/** Fill every field not given: request override, else catalog, else the sourced default. */
export function resolveCostInputs(accelerator: Accelerator, overrides: CostOverrides = {}): EffectiveCostInputs {
  const catalogHour = isUsablePrice(accelerator.cloudGpuHourUsd) ? accelerator.cloudGpuHourUsd : undefined;
  const catalogPurchase = isUsablePrice(accelerator.purchaseUsdPerGpu) ? accelerator.purchaseUsdPerGpu : undefined;
  return {
    gpuHourUsd: overrides.gpuHourUsd ?? catalogHour,
    purchaseUsdPerGpu: overrides.purchaseUsdPerGpu ?? catalogPurchase,
    electricityUsdPerKwh: overrides.electricityUsdPerKwh ?? DEFAULT_COST_INPUTS.electricityUsdPerKwh,
    pue: overrides.pue ?? DEFAULT_COST_INPUTS.pue,
    depreciationYears: overrides.depreciationYears ?? DEFAULT_COST_INPUTS.depreciationYears,
    utilization: overrides.utilization ?? DEFAULT_COST_INPUTS.utilization,
    carbonKgPerKwh: overrides.carbonKgPerKwh ?? DEFAULT_COST_INPUTS.carbonKgPerKwh,
    serverOverheadFactor: overrides.serverOverheadFactor ?? defaultServerOverheadFactor(accelerator),
  };
}

/** What was defaulted (not given in the request), with the value used and why. Field names are JSON pointers into the request (/cost/pue). */
export function costAssumptions(accelerator: Accelerator, overrides: CostOverrides = {}): Assumption[] {
  const r = resolveCostInputs(accelerator, overrides);
  const out: Assumption[] = [];
  const add = (field: keyof CostInputs, value: number, reason: string): void => {
    if (overrides[field] === undefined) out.push({ field: `/cost/${field}`, value, reason });
  };
  if (r.gpuHourUsd !== undefined) add('gpuHourUsd', r.gpuHourUsd, `${accelerator.name}: ${COST_INPUT_SOURCES.gpuHourUsd}`);
  if (r.purchaseUsdPerGpu !== undefined) add('purchaseUsdPerGpu', r.purchaseUsdPerGpu, `${accelerator.name}: ${COST_INPUT_SOURCES.purchaseUsdPerGpu}`);
  add('electricityUsdPerKwh', r.electricityUsdPerKwh, COST_INPUT_SOURCES.electricityUsdPerKwh);
  add('pue', r.pue, COST_INPUT_SOURCES.pue);
  add('depreciationYears', r.depreciationYears, COST_INPUT_SOURCES.depreciationYears);
  add('utilization', r.utilization, COST_INPUT_SOURCES.utilization);
  add('carbonKgPerKwh', r.carbonKgPerKwh, COST_INPUT_SOURCES.carbonKgPerKwh);
  const ref = SERVER_POWER_BY_GENERATION[accelerator.generation];
  add('serverOverheadFactor', r.serverOverheadFactor, ref === undefined
    ? `no reference server for generation '${accelerator.generation}': ${COST_INPUT_SOURCES.serverOverheadFactor}`
    : `${ref.system}: ${ref.systemMaxWatts / 1000} kW max / (${ref.gpus} × ${ref.gpuTdpWatts} W TDP) (${ref.source})`);
  return out;
}

/** Inputs that cannot give a meaningful estimate, as { path, message } with request paths (/cost/...). */
export function costInputProblems(overrides: CostOverrides): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const check = (field: keyof CostInputs, ok: (x: number) => boolean, message: string): void => {
    const x = overrides[field];
    if (x !== undefined && !(Number.isFinite(x) && ok(x))) problems.push({ path: `/cost/${field}`, message });
  };
  check('gpuHourUsd', (x) => x >= 0, 'must be a finite number >= 0');
  check('purchaseUsdPerGpu', (x) => x >= 0, 'must be a finite number >= 0');
  check('electricityUsdPerKwh', (x) => x >= 0, 'must be a finite number >= 0');
  check('pue', (x) => x >= 1, 'PUE is facility energy / IT energy: must be >= 1');
  check('depreciationYears', (x) => x > 0, 'must be > 0');
  check('utilization', (x) => x > 0 && x <= 1, 'average draw as a fraction of maximum power: must be in (0, 1]');
  check('carbonKgPerKwh', (x) => x >= 0, 'must be a finite number >= 0');
  check('serverOverheadFactor', (x) => x >= 1, 'server power per GPU / GPU TDP: must be >= 1');
  return problems;
}

export interface CloudCost {
  totalUsd: number;
  /** price used (0 when unknown) */
  gpuHourUsd: number;
  gpuHours: number;
  priceKnown: boolean;
  priceSource: 'request' | 'catalog' | 'unknown';
  /** totalUsd at the ends of the step-time band (planner) */
  totalUsdRange?: { low: number; high: number; confidence: number };
}

export interface OnPremCost {
  /** depreciation over the run + energy; 0 when the purchase price is unknown (see priceKnown) */
  totalUsd: number;
  /** purchase × GPUs: what buying the servers costs up front */
  capitalUsd: number;
  /** capital × days / (365 · years), capped at the capital */
  depreciationUsd: number;
  /** facility energy × electricity price (known even when the purchase price is not) */
  energyUsd: number;
  purchaseUsdPerGpu: number;
  depreciationYears: number;
  priceKnown: boolean;
  priceSource: 'request' | 'catalog' | 'unknown';
}

export interface EnergyEstimate {
  /** facility energy: IT energy × PUE */
  kwh: number;
  /** IT energy: GPUs × TDP × server overhead × utilization × hours */
  itKwh: number;
  /** average IT power of the whole cluster */
  itPowerKw: number;
  /** average facility power: IT power × PUE */
  facilityPowerKw: number;
  /** average IT power per GPU including its share of the server */
  itWattsPerGpu: number;
  pue: number;
  utilization: number;
  serverOverheadFactor: number;
  co2Kg: number;
  carbonKgPerKwh: number;
  electricityUsdPerKwh: number;
  /** false when the accelerator has no published TDP: all energy figures are then 0 */
  powerKnown: boolean;
}

export interface CostComparison {
  cheaper: 'cloud' | 'onPrem' | 'unknown';
  /**
   * Days of continuous use after which buying (full capital + energy) costs less than renting:
   * capital / (cloud per day − energy per day). null when renting is never dearer or a price is unknown.
   */
  buyVsRentBreakEvenDays: number | null;
}

export interface CostEstimate {
  gpus: number;
  days: number;
  cloud: CloudCost;
  onPrem: OnPremCost;
  energy: EnergyEstimate;
  comparison: CostComparison;
  inputs: EffectiveCostInputs;
  assumptions: Assumption[];
  warnings: string[];
}

export interface CostRequest {
  gpus: number;
  days: number;
  accelerator: Accelerator;
  inputs?: CostOverrides;
}

/** Average IT watts per GPU: TDP × (server max per GPU / TDP) × (average / max). datacenter_facts per-GPU IT power. */
export function itWattsPerGpu(tdpWatts: number, serverOverheadFactor: number, utilization: number): number {
  return tdpWatts * serverOverheadFactor * utilization;
}

/** Energy of `gpus` running `days`: IT kWh = GPUs × W × hours / 1000; facility kWh = IT kWh × PUE (Green Grid PUE definition). */
export function estimateEnergy(gpus: number, days: number, accelerator: Accelerator, r: EffectiveCostInputs): EnergyEstimate {
  const powerKnown = Number.isFinite(accelerator.tdpWatts) && accelerator.tdpWatts > 0;
  const w = powerKnown ? itWattsPerGpu(accelerator.tdpWatts, r.serverOverheadFactor, r.utilization) : 0;
  const itPowerKw = (gpus * w) / WATTS_PER_KILOWATT;
  const hours = days * HOURS_PER_DAY;
  const itKwh = itPowerKw * hours;
  const kwh = itKwh * r.pue;
  return {
    kwh,
    itKwh,
    itPowerKw,
    facilityPowerKw: itPowerKw * r.pue,
    itWattsPerGpu: w,
    pue: r.pue,
    utilization: r.utilization,
    serverOverheadFactor: r.serverOverheadFactor,
    co2Kg: kwh * r.carbonKgPerKwh,
    carbonKgPerKwh: r.carbonKgPerKwh,
    electricityUsdPerKwh: r.electricityUsdPerKwh,
    powerKnown,
  };
}

/**
 * Cloud: GPU-hours × price. On-premises: capital × days / (365 · years) + facility kWh × price
 * (straight-line depreciation; staff, network fabric, storage and building are not included).
 * Energy and CO2 are the same physical run either way; a cloud price already includes its energy.
 */
export function estimateCost(req: CostRequest): CostEstimate {
  const { gpus, days, accelerator } = req;
  const overrides = req.inputs ?? {};
  if (!(Number.isFinite(gpus) && gpus >= 0)) throw new RangeError(`gpus must be a finite number >= 0, got ${gpus}`);
  if (!(Number.isFinite(days) && days >= 0)) throw new RangeError(`days must be a finite number >= 0, got ${days}`);
  const problems = costInputProblems(overrides);
  if (problems.length > 0) throw new RangeError(problems.map((p) => `${p.path}: ${p.message}`).join('; '));

  const r = resolveCostInputs(accelerator, overrides);
  const warnings: string[] = [];
  const energy = estimateEnergy(gpus, days, accelerator, r);
  if (!energy.powerKnown) warnings.push(`${accelerator.name} has no published TDP: energy, CO2 and energy cost are reported as 0`);

  const gpuHours = gpus * days * HOURS_PER_DAY;
  const cloudKnown = r.gpuHourUsd !== undefined;
  const gpuHourUsd = r.gpuHourUsd ?? 0;
  if (!cloudKnown) warnings.push(`no cloud price for ${accelerator.name}: cloud cost is null (unknown); pass cost.gpuHourUsd`);
  const cloud: CloudCost = {
    totalUsd: gpuHours * gpuHourUsd,
    gpuHourUsd,
    gpuHours,
    priceKnown: cloudKnown,
    priceSource: overrides.gpuHourUsd !== undefined ? 'request' : cloudKnown ? 'catalog' : 'unknown',
  };

  const purchaseKnown = r.purchaseUsdPerGpu !== undefined;
  const purchaseUsdPerGpu = r.purchaseUsdPerGpu ?? 0;
  if (!purchaseKnown) warnings.push(`no purchase price for ${accelerator.name}: on-premises cost is null (unknown; energy cost still given); pass cost.purchaseUsdPerGpu`);
  const capitalUsd = gpus * purchaseUsdPerGpu;
  const lifeDays = DAYS_PER_YEAR * r.depreciationYears;
  // straight-line depreciation; a run longer than the depreciation life uses fully depreciated hardware
  const depreciationUsd = capitalUsd * Math.min(days, lifeDays) / lifeDays;
  if (days > lifeDays) warnings.push(`the run (${days.toFixed(1)} days) outlasts the ${r.depreciationYears}-year depreciation period: depreciation capped at the purchase price`);
  const energyUsd = energy.kwh * r.electricityUsdPerKwh;
  const onPrem: OnPremCost = {
    totalUsd: purchaseKnown ? depreciationUsd + energyUsd : 0,
    capitalUsd,
    depreciationUsd,
    energyUsd,
    purchaseUsdPerGpu,
    depreciationYears: r.depreciationYears,
    priceKnown: purchaseKnown,
    priceSource: overrides.purchaseUsdPerGpu !== undefined ? 'request' : purchaseKnown ? 'catalog' : 'unknown',
  };

  return {
    gpus,
    days,
    cloud,
    onPrem,
    energy,
    comparison: compareCosts(cloud, onPrem, gpus, energy),
    inputs: r,
    assumptions: costAssumptions(accelerator, overrides),
    warnings,
  };
}

function compareCosts(cloud: CloudCost, onPrem: OnPremCost, gpus: number, energy: EnergyEstimate): CostComparison {
  if (!cloud.priceKnown || !onPrem.priceKnown) return { cheaper: 'unknown', buyVsRentBreakEvenDays: null };
  const cheaper = cloud.totalUsd <= onPrem.totalUsd ? 'cloud' : 'onPrem';
  // rent: gpus·24·price per day; buy: capital once + facility energy per day
  const rentPerDay = gpus * HOURS_PER_DAY * cloud.gpuHourUsd;
  const energyPerDay = energy.facilityPowerKw * HOURS_PER_DAY * energy.electricityUsdPerKwh;
  const savingPerDay = rentPerDay - energyPerDay;
  return { cheaper, buyVsRentBreakEvenDays: savingPerDay > 0 && gpus > 0 ? onPrem.capitalUsd / savingPerDay : null };
}
