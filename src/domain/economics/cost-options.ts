// Ways to pay for one run: rent on demand, reserved or spot where the catalog has a price, or buy
// (capital, depreciation over the run, energy), and the break-even point between renting and buying.
// Pure: no Fastify, no I/O. Built on cost.ts (energy, depreciation), which it does not change.
import type { CostEstimate } from './cost.js';
import type { Assumption } from '../core/index.js';

const HOURS_PER_DAY = 24;

/** Rental prices of one accelerator (catalog: prices.cloudOnDemandGpuHourUsd / reservedGpuHourUsd / spotGpuHourUsd). */
export interface PriceOptions {
  onDemandGpuHourUsd?: number;
  reservedGpuHourUsd?: number;
  spotGpuHourUsd?: number;
}

export type RentalKind = 'request' | 'onDemand' | 'reserved' | 'spot';

export interface RentalOption {
  kind: RentalKind;
  gpuHourUsd: number;
  totalUsd: number;
  /** days of continuous use after which buying (capital + energy) costs less than this rental; 0 when unknown or never */
  breakEvenDays: number;
  breakEvenKnown: boolean;
  /** break-even days / this run's days: how many such runs the purchase must serve to pay off */
  runsToBreakEven: number;
}

export interface CostOptions {
  rental: RentalOption[];
  purchase: {
    priceKnown: boolean;
    purchaseUsdPerGpu: number;
    capitalUsd: number;
    /** share of the capital this run uses up: capital × days / (365 · years) */
    depreciationUsd: number;
    energyUsd: number;
    /** depreciation + energy: the run's cost when the hardware is kept for its depreciation life */
    depreciatedTotalUsd: number;
    /** capital + energy: the cash a purchase needs before anything else runs on it */
    cashOutlayUsd: number;
    depreciationYears: number;
  };
  /** the cheapest way to pay for this run by its cost (rentals by total, purchase by depreciated total) */
  cheapest: { kind: RentalKind | 'purchase'; totalUsd: number } | null;
  assumptions: Assumption[];
  warnings: string[];
}

/**
 * Break-even of buying vs renting, in days of continuous use: capital + energy/day·x = rent/day·x
 * → x = capital / (rent/day − energy/day) (the planning guide's cloud-vs-purchase question, answered
 * with energy on the purchase side; a cloud price already includes its energy).
 */
export function breakEvenDays(capitalUsd: number, rentPerDayUsd: number, energyPerDayUsd: number): number | undefined {
  const saving = rentPerDayUsd - energyPerDayUsd;
  return saving > 0 && capitalUsd > 0 ? capitalUsd / saving : undefined;
}

/** Every way to pay for the run that `cost` (cost.ts) describes, with `prices` from the catalog. */
export function estimateCostOptions(cost: CostEstimate, prices: PriceOptions = {}, requestGpuHourUsd?: number): CostOptions {
  const { gpus, days } = cost;
  const gpuHours = gpus * days * HOURS_PER_DAY;
  const energyPerDayUsd = cost.energy.facilityPowerKw * HOURS_PER_DAY * cost.energy.electricityUsdPerKwh;
  const capitalUsd = cost.onPrem.capitalUsd;
  const warnings: string[] = [];
  const assumptions: Assumption[] = [];

  const rentals: [RentalKind, number | undefined][] = [
    ['request', requestGpuHourUsd],
    ['onDemand', prices.onDemandGpuHourUsd],
    ['reserved', prices.reservedGpuHourUsd],
    ['spot', prices.spotGpuHourUsd],
  ];
  const rental: RentalOption[] = [];
  for (const [kind, price] of rentals) {
    if (price === undefined || !Number.isFinite(price) || price < 0) continue;
    const be = cost.onPrem.priceKnown ? breakEvenDays(capitalUsd, gpus * HOURS_PER_DAY * price, energyPerDayUsd) : undefined;
    rental.push({
      kind,
      gpuHourUsd: price,
      totalUsd: gpuHours * price,
      breakEvenDays: be ?? 0,
      breakEvenKnown: be !== undefined,
      runsToBreakEven: be !== undefined && days > 0 ? be / days : 0,
    });
  }
  if (prices.spotGpuHourUsd !== undefined) {
    warnings.push('the spot option assumes the same goodput as the reliability model: spot preemptions are not modelled and would add restarts');
  }

  const purchase = {
    priceKnown: cost.onPrem.priceKnown,
    purchaseUsdPerGpu: cost.onPrem.purchaseUsdPerGpu,
    capitalUsd,
    depreciationUsd: cost.onPrem.depreciationUsd,
    energyUsd: cost.onPrem.energyUsd,
    depreciatedTotalUsd: cost.onPrem.priceKnown ? cost.onPrem.depreciationUsd + cost.onPrem.energyUsd : 0,
    cashOutlayUsd: cost.onPrem.priceKnown ? capitalUsd + cost.onPrem.energyUsd : 0,
    depreciationYears: cost.onPrem.depreciationYears,
  };

  const choices: { kind: RentalKind | 'purchase'; totalUsd: number }[] = rental.map((r) => ({ kind: r.kind, totalUsd: r.totalUsd }));
  if (purchase.priceKnown) choices.push({ kind: 'purchase', totalUsd: purchase.depreciatedTotalUsd });
  const cheapest = choices.length > 0 ? choices.reduce((best, c) => (c.totalUsd < best.totalUsd ? c : best)) : null;
  return { rental, purchase, cheapest, assumptions, warnings };
}
