import { describe, expect, it } from 'vitest';
import { completeLayout } from '../src/domain/layouts/index.js';
import { countParameters } from '../src/domain/model/index.js';
import {
  checkpointBytes,
  DEFAULT_RACK_KW,
  DEFAULT_STORAGE_WRITE_BYTES_PER_SECOND_PER_GPU,
  estimateInfrastructure,
  fatTreeSwitches,
  coolingForRackKw,
  isRackScale,
  scaleOutBytesPerStep,
  tokenBytesForVocab,
} from '../src/domain/economics/index.js';
import { performanceFromMfu } from '../src/domain/performance/index.js';
import type { Accelerator, ModelShape, ParameterCounts, TrainingSetup } from '../src/domain/core/index.js';
import { H100_SXM } from './fixtures/accelerators.js';
import { shippedCatalog } from './helper.js';

const LLAMA_405B: ModelShape = {
  layers: 126, hiddenSize: 16384, attentionHeads: 128, kvHeads: 8, headDim: 128,
  ffnHiddenSize: 53248, vocabSize: 128256, gatedMlp: true, tiedEmbeddings: false,
};
const training: TrainingSetup = { tokens: 15.6e12, sequenceLength: 8192, globalBatchSequences: 2048, precision: 'bf16', optimizer: 'adamw' };

function infra(accelerator: Accelerator, gpus: number, layoutPartial: Parameters<typeof completeLayout>[0], options = {}) {
  const counts = countParameters(LLAMA_405B);
  const layout = completeLayout(layoutPartial, gpus);
  const performance = performanceFromMfu(6 * counts.activeParameters, training, gpus, accelerator, 0.4);
  return estimateInfrastructure({ gpus, accelerator, shape: LLAMA_405B, counts, training, layout, performance, options });
}

describe('nodes, racks and power', () => {
  it('16,384 H100: 2,048 DGX-class nodes of 10.2 kW, 3 per 40 kW rack → 683 racks; 20.9 MW IT peak, × PUE 1.56', () => {
    const i = infra(H100_SXM, 16384, { tensor: 8, pipeline: 16, data: 128 });
    expect(i.nodes).toBe(2048);
    // DGX H100: 10.2 kW / 8 GPUs = 1,275 W per GPU (datacenter_facts)
    expect(i.power.peakWattsPerGpu).toBeCloseTo(1275, 6);
    expect(i.power.nodePeakKw).toBeCloseTo(10.2, 9);
    expect(i.rackKw).toBe(DEFAULT_RACK_KW);
    expect(i.nodesPerRack).toBe(3);
    expect(i.racks).toBe(Math.ceil(2048 / 3));
    expect(i.power.itPeakKw).toBeCloseTo(16384 * 1.275, 6);
    expect(i.power.facilityPeakKw).toBeCloseTo(16384 * 1.275 * 1.56, 6);
    expect(i.power.facilityAverageKw).toBeLessThan(i.power.facilityPeakKw);
  });

  it('a 20 kW rack holds one 10.2 kW server; a 5 kW rack cannot hold one and says so', () => {
    expect(infra(H100_SXM, 64, { tensor: 8, pipeline: 8, data: 1 }, { rackKw: 20 }).nodesPerRack).toBe(1);
    const tight = infra(H100_SXM, 64, { tensor: 8, pipeline: 8, data: 1 }, { rackKw: 5 });
    expect(tight.racks).toBe(8);
    expect(tight.warnings.join(' ')).toMatch(/more than the 5 kW rack/);
  });

  it('GB200 NVL72 is rack-scale: 288 GPUs are 4 racks of 72', async () => {
    const nvl = (await shippedCatalog()).accelerators.get('gb200-nvl72')!;
    expect(isRackScale(nvl)).toBe(true);
    expect(isRackScale(H100_SXM)).toBe(false);
    const i = infra(nvl, 288, { tensor: 4, pipeline: 9, data: 8 });
    expect(i.gpusPerRack).toBe(72);
    expect(i.racks).toBe(4);
    expect(i.rackKwSource).toBe('rack-scale system');
  });
});

describe('checkpoint and dataset', () => {
  it('checkpoint = parameters × (2 weight + 12 optimizer bytes) for bf16 AdamW: Llama 3.1 405B ≈ 5.68 TB', () => {
    const counts = countParameters(LLAMA_405B);
    const c = checkpointBytes(counts, training);
    expect(c.bytesPerParameter).toBe(14);
    expect(c.bytes).toBe(counts.totalParameters * 14);
    expect(c.bytes / 1e12).toBeCloseTo(5.68, 1);
  });

  it('write time = bytes / bandwidth: default ~427 MB/s per GPU (Llama 3 storage), or the request\'s GB/s', () => {
    const i = infra(H100_SXM, 16384, { tensor: 8, pipeline: 16, data: 128 });
    expect(i.checkpoint.storageWriteBytesPerSecond).toBeCloseTo(16384 * DEFAULT_STORAGE_WRITE_BYTES_PER_SECOND_PER_GPU, 3);
    expect(i.checkpoint.storageWriteBytesPerSecond).toBeCloseTo(7e12, 3);
    const slow = infra(H100_SXM, 16384, { tensor: 8, pipeline: 16, data: 128 }, { storageWriteGBps: 100 });
    expect(slow.checkpoint.writeSeconds).toBeCloseTo(slow.checkpoint.bytes / 100e9, 9);
  });

  it('dataset: int32 token ids for a 128k vocabulary, uint16 below 65,500 (Megatron indexed dataset)', () => {
    expect(tokenBytesForVocab(128256)).toBe(4);
    expect(tokenBytesForVocab(50257)).toBe(2);
    const i = infra(H100_SXM, 64, { tensor: 8, pipeline: 8, data: 1 });
    expect(i.dataset.tokenizedBytes).toBe(15.6e12 * 4);
    expect(i.dataset.rawTextBytes).toBe(15.6e12 * 4);
  });
});

describe('scale-out network', () => {
  const shape: ModelShape = { ...LLAMA_405B, hiddenSize: 4096, layers: 32 };
  const counts = { totalParameters: 8e9, expertParametersPerMoeLayer: 0 } as ParameterCounts;
  const t: TrainingSetup = { tokens: 1e12, sequenceLength: 4096, globalBatchSequences: 1024, precision: 'bf16', optimizer: 'adamw' };

  it('data parallel, by hand: 8e9 params / t=8 = 1e9 per shard × 4 B (fp32 reduce) × 2·(4−1)/4 = 6e9 bytes; ZeRO-3 adds half again', () => {
    const l = completeLayout({ tensor: 8, pipeline: 1, data: 4, zeroStage: 1 }, 32);
    expect(scaleOutBytesPerStep(shape, counts, t, l).dataParallel).toBeCloseTo(6e9, 0);
    const z3 = completeLayout({ tensor: 8, pipeline: 1, data: 4, zeroStage: 3 }, 32);
    // + 2·(3/4)·1e9·2 B of parameter all-gathers = 3e9 (ZeRO: 3Ψ vs 2Ψ)
    expect(scaleOutBytesPerStep(shape, counts, t, z3).dataParallel).toBeCloseTo(9e9, 0);
  });

  it('pipeline, by hand: 2 · (1024/2 sequences) · 4096 · 4096 · 2 B / t=4 = 8.59e9 bytes', () => {
    const l = completeLayout({ tensor: 4, pipeline: 2, data: 2 }, 16);
    expect(scaleOutBytesPerStep(shape, counts, t, l).pipeline).toBeCloseTo((2 * 512 * 4096 * 4096 * 2) / 4, 0);
  });

  it('a single-node job needs no scale-out bandwidth; a 405B job on H100 fits in its 400 Gb/s', () => {
    const one = infra(H100_SXM, 8, { tensor: 8, pipeline: 1, data: 1 });
    expect(one.network.crossesNodes).toBe(false);
    expect(one.network.neededBytesPerSecondPerGpu).toBe(0);
    const big = infra(H100_SXM, 16384, { tensor: 8, pipeline: 16, data: 128 });
    expect(big.network.crossesNodes).toBe(true);
    expect(big.network.availableGbpsPerGpu).toBeCloseTo(400, 6);
    expect(big.network.neededGbpsPerGpu).toBeGreaterThan(0);
    expect(big.network.utilization).toBeCloseTo(big.network.neededBytesPerSecondPerGpu / big.network.availableBytesPerSecondPerGpu, 12);
  });
});

describe('cooling by rack power', () => {
  it('three 10.2 kW DGX H100 in a 40 kW rack draw 30.6 kW: air at its ceiling, with containment', () => {
    const i = infra(H100_SXM, 16384, { tensor: 8, pipeline: 16, data: 128 });
    expect(i.rackPeakKw).toBeCloseTo(3 * 10.2, 9);
    expect(i.cooling.kind).toBe('air-with-containment');
  });
  it('one server per 20 kW rack is plain air; an NVL72 rack is liquid only', async () => {
    expect(infra(H100_SXM, 64, { tensor: 8, pipeline: 8, data: 1 }, { rackKw: 20 }).cooling.kind).toBe('air');
    const nvl = (await shippedCatalog()).accelerators.get('gb200-nvl72')!;
    const i = infra(nvl, 288, { tensor: 4, pipeline: 9, data: 8 });
    expect(i.rackPeakKw).toBeGreaterThan(80);
    expect(i.cooling.kind).toBe('liquid-required');
  });
  it('the bands are air ≤ 20 < containment ≤ 40 < direct liquid ≤ 80 < liquid only', () => {
    expect([10, 20, 20.1, 40, 60, 80, 81, 130].map((kw) => coolingForRackKw(kw).kind)).toEqual([
      'air', 'air', 'air-with-containment', 'air-with-containment', 'direct-liquid', 'direct-liquid', 'liquid-required', 'liquid-required',
    ]);
  });
});

describe('scale-out fabric: a non-blocking fat tree (Al-Fares et al. 2008)', () => {
  it('k = 64: one switch up to 64 ports, leaf + spine up to k²/2 = 2,048 (3N/k switches), three tiers up to k³/4 = 65,536 (5N/k)', () => {
    expect(fatTreeSwitches(64, 64)).toEqual({ planes: 1, tiers: 1, leaf: 1, spine: 0, core: 0 });
    expect(fatTreeSwitches(2048, 64)).toEqual({ planes: 1, tiers: 2, leaf: 64, spine: 32, core: 0 });
    const full = fatTreeSwitches(65_536, 64);
    expect(full).toEqual({ planes: 1, tiers: 3, leaf: 2048, spine: 2048, core: 1024 });
    expect(full.leaf + full.spine + full.core).toBe((5 * 64 * 64) / 4);
    expect(fatTreeSwitches(131_072, 64).planes).toBe(2);
  });
  it('16,384 H100: 400 Gb/s InfiniBand per GPU on 8 rails, three tiers of 64-port switches, above the guide\'s 100 Gb/s', () => {
    const f = infra(H100_SXM, 16384, { tensor: 8, pipeline: 16, data: 128 }).fabric;
    expect(f.technology).toBe('infiniband');
    expect(f.linkGbpsPerGpu).toBeCloseTo(400, 6);
    expect(f.railsPerNode).toBe(8);
    expect(f.tiers).toBe(3);
    expect(f.totalSwitches).toBe(512 + 512 + 256);
    expect(f.meetsGuideMinimum).toBe(true);
  });
  it('one node needs no fabric', () => {
    const f = infra(H100_SXM, 8, { tensor: 8, pipeline: 1, data: 1 }).fabric;
    expect(f.totalSwitches).toBe(0);
    expect(f.note).toMatch(/no scale-out fabric/);
  });
});

describe('checkpoint retention', () => {
  it('keeps the latest 10 by default (torchtitan keep_latest_k), and one per archive period for good', () => {
    const i = infra(H100_SXM, 16384, { tensor: 8, pipeline: 16, data: 128 });
    expect(i.checkpoint.retention).toEqual({ keepLatest: 10, archiveEveryDays: 0, archived: 0, retained: 10 });
    expect(i.checkpoint.retainedBytes).toBe(10 * i.checkpoint.bytes);
    expect(i.storageCapacityBytes).toBe(i.checkpoint.retainedBytes + i.dataset.tokenizedBytes);
    const counts = countParameters(LLAMA_405B);
    const layout = completeLayout({ tensor: 8, pipeline: 16, data: 128 }, 16384);
    const performance = performanceFromMfu(6 * counts.activeParameters, training, 16384, H100_SXM, 0.4);
    const kept = estimateInfrastructure({
      gpus: 16384, accelerator: H100_SXM, shape: LLAMA_405B, counts, training, layout, performance, days: 54,
      options: { checkpointKeepLatest: 3, checkpointArchiveEveryDays: 7 },
    });
    expect(kept.checkpoint.retention).toEqual({ keepLatest: 3, archiveEveryDays: 7, archived: 7, retained: 10 });
  });
});
