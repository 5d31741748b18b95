// Shapes domain results into the response schemas of src/schemas/plan.ts.
import type { CostEstimate, CostOptions, InfrastructureEstimate, ReliabilityEstimate } from '../domain/economics/index.js';
import type { FlopsEstimate } from '../domain/model/index.js';
import { type EstimateResult, type SizingResult, type TimeResult, type ResolvedWorkload, trainingPeakFlopsPerSecond } from '../domain/planning/index.js';
import type { SearchResult } from '../domain/search/index.js';
import type { WholeModelMemory } from '../domain/memory/index.js';
import type { MemoryEstimate, ParallelLayout, PerformanceEstimate } from '../domain/core/index.js';

export function presentModel(w: Pick<ResolvedWorkload, 'model'>) {
  const { shape, counts } = w.model;
  return {
    parameters: counts.totalParameters,
    activeParameters: counts.activeParameters,
    embeddingParameters: counts.embeddingParameters,
    lmHeadParameters: counts.lmHeadParameters,
    source: w.model.source,
    ...(w.model.presetId ? { presetId: w.model.presetId } : {}),
    architecture: {
      layers: shape.layers,
      hiddenSize: shape.hiddenSize,
      attentionHeads: shape.attentionHeads,
      kvHeads: shape.kvHeads,
      headDim: shape.headDim,
      ffnHiddenSize: shape.ffnHiddenSize,
      vocabSize: shape.vocabSize,
      gatedMlp: shape.gatedMlp,
      tiedEmbeddings: shape.tiedEmbeddings,
      ...(shape.moe ? { moe: { ...shape.moe } } : {}),
    },
  };
}

export function presentTraining(w: ResolvedWorkload, steps: number) {
  const t = w.training;
  return {
    tokens: t.tokens,
    sequenceLength: t.sequenceLength,
    globalBatchSize: t.globalBatchSequences,
    globalBatchTokens: t.globalBatchSequences * t.sequenceLength,
    steps,
    precision: t.precision,
    optimizer: t.optimizer,
  };
}

export function presentHardware(w: ResolvedWorkload, gpus: number) {
  const a = w.accelerator;
  return {
    gpu: a.id,
    name: a.name,
    count: gpus,
    nodes: Math.ceil(gpus / a.gpusPerNode),
    gpuMemoryBytes: a.memoryBytes,
    peakFlopsPerSecond: trainingPeakFlopsPerSecond(w),
  };
}

export function presentFlops(f: FlopsEstimate, recompute: ParallelLayout['recompute']) {
  return {
    perToken: f.perToken,
    total: f.total,
    convention: f.convention,
    sixNDTotal: f.sixNDTotal,
    attentionPerToken: f.attentionFlopsPerToken,
    conventions: {
      sixND: f.conventions.sixND,
      sixNDPlusAttention: f.conventions.sixNDPlusAttention,
      sixNDPlusCausalAttention: f.conventions.sixNDPlusCausalAttention,
      megatronEq3: f.conventions.megatronEq3,
    },
    hardwareTotal: f.hardwareTotalByRecompute[recompute],
    hardwareTotalByRecompute: { ...f.hardwareTotalByRecompute },
  };
}

export function presentMemory(m: MemoryEstimate) {
  return {
    perGpu: { ...m.perGpu },
    gpuMemoryBytes: m.gpuMemoryBytes,
    fits: m.fits,
    headroomBytes: m.gpuMemoryBytes - m.perGpu.totalBytes,
    mostLoadedStage: m.mostLoadedStage,
    inFlightMicroBatches: m.inFlightMicroBatches,
    activationBytesPerLayerPerMicroBatch: m.activationBytesPerLayerPerMicroBatch,
  };
}

export function presentWholeModelMemory(m: WholeModelMemory) {
  return {
    total: { ...m.total, microBatchSize: m.microBatchSize, recompute: m.recompute },
    byPrecision: m.byPrecision.map((p) => ({ ...p })),
  };
}

export function presentLayout(l: ParallelLayout, w: ResolvedWorkload) {
  const gpus = l.tensor * l.pipeline * l.data * l.context;
  return {
    ...l,
    gpus,
    microBatchesPerStep: Math.max(1, Math.round(w.training.globalBatchSequences / (l.data * l.microBatchSize))),
  };
}

/** TFLOP/s and MFU with attention scores counted in full and halved for the causal mask (flops.conventions). */
export function attentionConventions(p: PerformanceEstimate, f: FlopsEstimate) {
  const causalShare = f.conventions.sixNDPlusAttention > 0 ? f.conventions.sixNDPlusCausalAttention / f.conventions.sixNDPlusAttention : 1;
  return {
    nonCausal: { tflopsPerGpu: p.tflopsPerGpu, mfu: p.mfu },
    causal: { tflopsPerGpu: p.tflopsPerGpu * causalShare, mfu: p.mfu * causalShare },
  };
}

export function presentPerformance(p: PerformanceEstimate) {
  return { ...p, breakdownSeconds: { ...p.breakdownSeconds }, ...(p.stepSecondsRange ? { stepSecondsRange: { ...p.stepSecondsRange } } : {}) };
}

/** Unknown money is null, never 0 (docs/API.md): the domain keeps 0 with its priceKnown flag, the answer says null. */
export function usdIfKnown(usd: number, known: boolean): number | null {
  return known ? usd : null;
}

export function presentCost(c: CostEstimate) {
  return {
    cloud: {
      totalUsd: usdIfKnown(c.cloud.totalUsd, c.cloud.priceKnown),
      gpuHourUsd: usdIfKnown(c.cloud.gpuHourUsd, c.cloud.priceKnown),
      gpuHours: c.cloud.gpuHours,
      priceKnown: c.cloud.priceKnown,
      priceSource: c.cloud.priceSource,
      ...(c.cloud.totalUsdRange ? { totalUsdRange: { ...c.cloud.totalUsdRange } } : {}),
    },
    onPrem: {
      basis: 'depreciation-plus-energy' as const,
      totalUsd: usdIfKnown(c.onPrem.totalUsd, c.onPrem.priceKnown),
      capitalUsd: usdIfKnown(c.onPrem.capitalUsd, c.onPrem.priceKnown),
      depreciationUsd: usdIfKnown(c.onPrem.depreciationUsd, c.onPrem.priceKnown),
      energyUsd: c.onPrem.energyUsd,
      purchaseUsdPerGpu: usdIfKnown(c.onPrem.purchaseUsdPerGpu, c.onPrem.priceKnown),
      depreciationYears: c.onPrem.depreciationYears,
      priceKnown: c.onPrem.priceKnown,
    },
    energy: {
      kwh: c.energy.kwh,
      itKwh: c.energy.itKwh,
      facilityPowerKw: c.energy.facilityPowerKw,
      pue: c.energy.pue,
      co2Kg: c.energy.co2Kg,
      carbonKgPerKwh: c.energy.carbonKgPerKwh,
      electricityUsdPerKwh: c.energy.electricityUsdPerKwh,
    },
  };
}

export function presentSizing(s: SizingResult) {
  return { ...s, reasoning: [...s.reasoning] };
}

export function presentTime(t: TimeResult) {
  return { ...t, ...(t.daysRange ? { daysRange: { ...t.daysRange } } : {}) };
}

export function presentSearch(s: SearchResult) {
  return {
    searched: s.searched,
    evaluated: s.evaluated,
    complete: s.complete,
    workUnits: s.workUnits,
    ...(s.stoppedBy ? { stoppedBy: s.stoppedBy } : {}),
    elapsedMs: s.elapsedMs,
    ...(s.runnerUpReason ? { runnerUpReason: s.runnerUpReason } : {}),
    ...(s.infeasibleReason ? { infeasibleReason: s.infeasibleReason } : {}),
    pruned: { ...s.pruned },
  };
}

export function presentEstimate(r: EstimateResult) {
  const w = r.workload;
  return {
    model: presentModel(w),
    training: presentTraining(w, r.time.steps),
    hardware: presentHardware(w, r.gpus),
    flops: presentFlops(r.flops, r.chosen.layout.recompute),
    memory: presentMemory(r.chosen.memory),
    parallelism: presentLayout(r.chosen.layout, w),
    performance: { ...presentPerformance(r.performance), byAttentionConvention: attentionConventions(r.performance, r.flops) },
    time: presentTime(r.time),
    cost: presentCost(r.cost),
    sizing: presentSizing(r.sizing),
    ...(r.chosen.search ? { search: presentSearch(r.chosen.search) } : {}),
    ...(r.infrastructure ? { infrastructure: presentInfrastructure(r.infrastructure) } : {}),
    ...(r.reliability ? { reliability: presentReliability(r.reliability) } : {}),
    ...(r.costOptions ? { costOptions: presentCostOptions(r.costOptions) } : {}),
    warnings: r.warnings,
    assumptions: r.assumptions,
  };
}

export function presentInfrastructure(i: InfrastructureEstimate) {
  const { assumptions: _a, warnings: _w, ...rest } = i;
  return {
    ...rest,
    power: { ...i.power },
    network: { ...i.network, bytesPerStepPerGpu: { ...i.network.bytesPerStepPerGpu } },
    checkpoint: { ...i.checkpoint },
    dataset: { ...i.dataset },
  };
}

export function presentReliability(r: ReliabilityEstimate) {
  const { assumptions: _a, warnings: _w, ...rest } = r;
  return rest;
}

export function presentCostOptions(c: CostOptions) {
  return {
    rental: c.rental.map((r) => ({ ...r })),
    purchase: {
      ...c.purchase,
      purchaseUsdPerGpu: usdIfKnown(c.purchase.purchaseUsdPerGpu, c.purchase.priceKnown),
      capitalUsd: usdIfKnown(c.purchase.capitalUsd, c.purchase.priceKnown),
      depreciationUsd: usdIfKnown(c.purchase.depreciationUsd, c.purchase.priceKnown),
      depreciatedTotalUsd: usdIfKnown(c.purchase.depreciatedTotalUsd, c.purchase.priceKnown),
      cashOutlayUsd: usdIfKnown(c.purchase.cashOutlayUsd, c.purchase.priceKnown),
    },
    ...(c.cheapest ? { cheapest: { ...c.cheapest } } : {}),
  };
}
