// The configuration layer: the shipped catalog and presets load, agree with the reference data
// (data/reference/hardware.json, data/calibration/published-runs.json) and with the domain test
// fixtures; bad files are rejected naming file, entry and field of every problem; env parsing.
import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import {
  CatalogError,
  ConfigError,
  defaultCatalogPaths,
  findAccelerator,
  loadCatalog,
  loadHardwareCatalog,
  loadModelPresets,
  parseHardwareCatalog,
  parseModelPresets,
  readConfigFromEnv,
  type CatalogProblem,
  type HardwareEntry,
} from '../src/config/catalog.js';
import type { Accelerator } from '../src/domain/core/index.js';
import { attentionParametersPerLayer, countParameters } from '../src/domain/model/index.js';
import { A100_80GB, H100_SXM, H800_SXM, V100_32GB } from './fixtures/accelerators.js';

const GiB = 2 ** 30;
const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const catalog = loadCatalog(defaultCatalogPaths());

interface RefAccelerator {
  id: string;
  memory_gb: number;
  memory_bandwidth_tbps: number;
  fp32_tflops_dense: number | null;
  tf32_tflops_dense: number | null;
  fp16_tflops_dense: number | null;
  bf16_tflops_dense: number | null;
  fp8_tflops_dense: number | null;
  scale_up_bw_gbytes_s: number;
  scale_up_bw_per_direction_gbytes_s: number | null;
  scale_up_domain_size: number;
  scale_out_per_accel_gbit_s: number | null;
  tdp_watts: number | null;
  launch_year: number;
  price_purchase: { value_usd?: number | string; value_cny?: number; unit: string }[];
}
const reference = JSON.parse(readFileSync(new URL('../data/reference/hardware.json', import.meta.url), 'utf8')) as RefAccelerator[];
const referenceById = new Map(reference.map((r) => [r.id, r]));

/** Throws and returns the CatalogError of `load`. */
function catalogError(load: () => unknown): CatalogError {
  try {
    load();
  } catch (error) {
    if (error instanceof CatalogError) return error;
    throw error;
  }
  throw new Error('expected a CatalogError, but the file loaded');
}

function problemAt(error: CatalogError, path: string): CatalogProblem {
  const p = error.problems.find((x) => x.path === path);
  if (!p) throw new Error(`no problem at ${path}; got ${error.problems.map((x) => x.path).join(', ')}`);
  return p;
}

describe('shipped accelerator catalog (config/hardware.yaml)', () => {
  const required = [
    'v100-sxm2-32gb', 'a100-sxm-40gb', 'a100-sxm-80gb', 'a100-pcie-80gb', 'h100-sxm-80gb', 'h100-pcie-80gb', 'h100-nvl-94gb',
    'h800-sxm-80gb', 'h20-96gb', 'h200-sxm-141gb', 'b200', 'gb200-nvl72', 'b300', 'gb300-nvl72', 'l40s', 'mi250x', 'mi300x',
    'mi325x', 'mi355x', 'gaudi2', 'gaudi3', 'tpu-v4', 'tpu-v5e', 'tpu-v5p', 'tpu-v6e', 'tpu-v7', 'trainium1', 'trainium2',
  ];

  it('holds every required accelerator (at least 24), keyed by id, in file order', () => {
    expect(catalog.accelerators.size).toBeGreaterThanOrEqual(24);
    for (const id of required) expect(catalog.accelerators.has(id), id).toBe(true);
    expect([...catalog.accelerators.keys()]).toEqual(catalog.hardwareEntries.map((e) => e.id));
    for (const [id, a] of catalog.accelerators) expect(a.id).toBe(id);
  });

  it('converts to SI units: GiB·2^30, TB/s·1e12, TFLOPS·1e12, GB/s·1e9, Gb/s·1e9/8', () => {
    for (const e of catalog.hardwareEntries) {
      const a = catalog.accelerators.get(e.id) as Accelerator;
      expect(a.memoryBytes).toBe(e.memoryGiB * GiB);
      expect(a.memoryBandwidthBytesPerSecond).toBeCloseTo(e.memoryBandwidthTBps * 1e12, -3);
      expect(a.scaleUpBytesPerSecond).toBeCloseTo(e.scaleUp.bandwidthGBpsPerDirection * 1e9, -3);
      expect(a.scaleOutBytesPerSecond).toBeCloseTo((e.scaleOut.bandwidthGbpsPerGpu * 1e9) / 8, -3);
      for (const k of ['fp32', 'tf32', 'fp16', 'bf16', 'fp8'] as const) {
        const tflops = e.denseTflops[k];
        if (tflops === undefined) expect(a.peakFlopsPerSecond[k], `${e.id} ${k}`).toBeUndefined();
        else expect(a.peakFlopsPerSecond[k]).toBeCloseTo(tflops * 1e12, -3);
      }
      expect(Object.keys(a.peakFlopsPerSecond)).not.toContain('fp4');
    }
  });

  it('has physically plausible values everywhere (catches a GB/TB or sparse/dense slip)', () => {
    for (const a of catalog.accelerators.values()) {
      const sixteenBit = a.peakFlopsPerSecond.bf16 ?? a.peakFlopsPerSecond.fp16;
      expect(sixteenBit, a.id).toBeDefined();
      expect(sixteenBit).toBeGreaterThan(100e12);
      expect(sixteenBit).toBeLessThan(3e15);
      expect(a.memoryBytes).toBeGreaterThanOrEqual(16 * GiB);
      expect(a.memoryBytes).toBeLessThanOrEqual(300 * GiB);
      expect(a.memoryBandwidthBytesPerSecond).toBeGreaterThan(0.5e12);
      expect(a.memoryBandwidthBytesPerSecond).toBeLessThan(10e12);
      // arithmetic intensity at the ridge point: 16-bit FLOP per byte of HBM, 50..700 for every chip here
      expect(sixteenBit! / a.memoryBandwidthBytesPerSecond).toBeGreaterThan(30);
      expect(sixteenBit! / a.memoryBandwidthBytesPerSecond).toBeLessThan(700);
      expect(a.scaleUpBytesPerSecond).toBeGreaterThan(a.scaleOutBytesPerSecond);
      expect(Number.isInteger(a.scaleUpDomainSize) && a.scaleUpDomainSize >= 1).toBe(true);
      expect(a.tdpWatts).toBeGreaterThanOrEqual(100);
      expect(a.tdpWatts).toBeLessThanOrEqual(1500);
      expect(a.launchYear).toBeGreaterThanOrEqual(2017);
      for (const v of [a.cloudGpuHourUsd, a.purchaseUsdPerGpu]) if (v !== undefined) expect(Number.isFinite(v) && v > 0).toBe(true);
    }
  });

  it('copies data/reference/hardware.json faithfully; every departure is flagged', () => {
    for (const e of catalog.hardwareEntries) {
      const r = referenceById.get(e.referenceId ?? '');
      expect(r, `${e.id} referenceId`).toBeDefined();
      if (!r) continue;
      expect(e.memoryGiB, e.id).toBe(r.memory_gb);
      expect(e.memoryBandwidthTBps, e.id).toBe(r.memory_bandwidth_tbps);
      expect(e.launchYear, e.id).toBe(r.launch_year);
      for (const k of ['fp32', 'tf32', 'fp16', 'bf16', 'fp8'] as const) {
        const ref = r[`${k}_tflops_dense`];
        const mine = e.denseTflops[k];
        if (e.id === 'gaudi3' && (k === 'bf16' || k === 'fp8')) {
          // documented: the shipped 1,600 MHz MME clock (1,677) instead of the whitepaper's 1,835
          expect(mine).toBe(1677);
          expect(ref).toBe(1835);
          expect(e.flopsBasis).toMatch(/1,677/);
        } else {
          expect(mine, `${e.id} ${k}`).toBe(ref ?? undefined);
        }
      }
      const perDirection = r.scale_up_bw_per_direction_gbytes_s ?? r.scale_up_bw_gbytes_s / 2;
      expect(e.scaleUp.bandwidthGBpsPerDirection, e.id).toBe(perDirection);
      if (e.id === 'l40s') {
        expect(r.scale_up_domain_size).toBe(1);
        expect(e.scaleUp.note).toMatch(/domain size 1/);
      } else {
        expect(e.scaleUp.domainSize, e.id).toBe(r.scale_up_domain_size);
      }
      if (r.scale_out_per_accel_gbit_s === null) {
        expect(e.scaleOut.assumed, e.id).toBe(true);
      } else {
        expect(e.scaleOut.bandwidthGbpsPerGpu, e.id).toBe(r.scale_out_per_accel_gbit_s);
        expect(e.scaleOut.assumed).toBeUndefined();
      }
      if (r.tdp_watts === null) {
        expect(e.tdpEstimated, e.id).toBe(true);
        expect(e.tdpNote).toMatch(/Estimate/);
      } else {
        expect(e.tdpWatts, e.id).toBe(r.tdp_watts);
        expect(e.tdpEstimated).toBeUndefined();
      }
    }
  });

  it('agrees with the domain test fixtures (memory, peaks, bandwidths, domain, node, power)', () => {
    for (const f of [A100_80GB, H100_SXM, H800_SXM, V100_32GB]) {
      const a = catalog.accelerators.get(f.id);
      expect(a, f.id).toBeDefined();
      if (!a) continue;
      expect(a.memoryBytes, f.id).toBe(f.memoryBytes);
      expect(a.memoryBandwidthBytesPerSecond, f.id).toBe(f.memoryBandwidthBytesPerSecond);
      expect(a.peakFlopsPerSecond, f.id).toEqual(f.peakFlopsPerSecond);
      expect(a.scaleUpBytesPerSecond, f.id).toBe(f.scaleUpBytesPerSecond);
      expect(a.scaleUpDomainSize, f.id).toBe(f.scaleUpDomainSize);
      expect(a.scaleOutBytesPerSecond, f.id).toBe(f.scaleOutBytesPerSecond);
      expect(a.gpusPerNode, f.id).toBe(f.gpusPerNode);
      expect(a.tdpWatts, f.id).toBe(f.tdpWatts);
      expect([a.vendor, a.generation, a.launchYear], f.id).toEqual([f.vendor, f.generation, f.launchYear]);
    }
  });

  it('H800 is an H100 SXM with NVLink cut from 450 to 200 GB/s per direction', () => {
    const h100 = catalog.accelerators.get('h100-sxm-80gb') as Accelerator;
    const h800 = catalog.accelerators.get('h800-sxm-80gb') as Accelerator;
    expect(h800.peakFlopsPerSecond).toEqual(h100.peakFlopsPerSecond);
    expect(h800.memoryBytes).toBe(h100.memoryBytes);
    expect(h800.scaleUpBytesPerSecond / h100.scaleUpBytesPerSecond).toBeCloseTo(200 / 450, 12);
  });

  it('derives per-GPU purchase prices from system prices as the notes say', () => {
    // Intel list kits (8 accelerators) and DGX systems (8 GPUs), reference price_purchase
    const perGpu = (refId: string): number => {
      const p = referenceById.get(refId)?.price_purchase[0]?.value_usd;
      return (p as number) / 8;
    };
    expect(catalog.accelerators.get('gaudi3')?.purchaseUsdPerGpu).toBe(perGpu('intel-gaudi3'));
    expect(catalog.accelerators.get('gaudi2')?.purchaseUsdPerGpu).toBe(perGpu('intel-gaudi2'));
    expect(catalog.accelerators.get('v100-sxm2-32gb')?.purchaseUsdPerGpu).toBe(perGpu('nvidia-v100-sxm2-32gb'));
    expect(catalog.accelerators.get('a100-sxm-40gb')?.purchaseUsdPerGpu).toBe(perGpu('nvidia-a100-sxm4-40gb'));
    // GB200 NVL72: $2-3M per rack of 72 GPUs
    expect(catalog.accelerators.get('gb200-nvl72')?.purchaseUsdPerGpu).toBeCloseTo(2.5e6 / 72, 0);
  });

  it('uses the on-demand price per GPU-hour, else the reserved one; every price is dated and sourced', () => {
    for (const e of catalog.hardwareEntries) {
      const a = catalog.accelerators.get(e.id) as Accelerator;
      expect(a.cloudGpuHourUsd, e.id).toBe(e.prices.cloudOnDemandGpuHourUsd?.value ?? e.prices.reservedGpuHourUsd?.value);
      const sourceIds = new Set(e.sources.map((s) => s.id));
      const refs = [e.prices.cloudOnDemandGpuHourUsd, e.prices.reservedGpuHourUsd, e.prices.purchaseUsdPerGpu, ...(e.prices.otherReferences ?? [])];
      for (const p of refs) if (p) expect(sourceIds.has(p.source), `${e.id} ${p.source}`).toBe(true);
    }
    // DeepSeek-V3's assumed $2 per H800 GPU-hour is the H800 default
    expect(catalog.accelerators.get('h800-sxm-80gb')?.cloudGpuHourUsd).toBe(2);
  });

  it('finds accelerators by id or alias, case-insensitively', () => {
    expect(findAccelerator(catalog, 'H100')?.id).toBe('h100-sxm-80gb');
    expect(findAccelerator(catalog, 'a100')?.id).toBe('a100-sxm-80gb');
    expect(findAccelerator(catalog, 'ironwood')?.id).toBe('tpu-v7');
    expect(findAccelerator(catalog, 'mi300x')?.id).toBe('mi300x');
    expect(findAccelerator(catalog, 'h100-sxm')?.id).toBe('h100-sxm-80gb');
    expect(findAccelerator(catalog, 'x999')).toBeUndefined();
    for (const id of catalog.aliases.values()) expect(catalog.accelerators.has(id)).toBe(true);
  });

  it('default paths are absolute and point at the shipped files', () => {
    const paths = defaultCatalogPaths();
    expect(isAbsolute(paths.hardwarePath) && isAbsolute(paths.modelsPath)).toBe(true);
    expect(paths.hardwarePath).toBe(fileURLToPath(new URL('../config/hardware.yaml', import.meta.url)));
    expect(paths.modelsPath).toBe(fileURLToPath(new URL('../config/models.yaml', import.meta.url)));
  });
});

interface Run {
  id: string;
  model?: Record<string, unknown>;
  figures?: { rows?: { params_B: number; attention_heads: number; hidden: number; layers: number }[] };
}
const runs = JSON.parse(readFileSync(new URL('../data/calibration/published-runs.json', import.meta.url), 'utf8')) as Run[];
const run = (id: string): Run => runs.find((r) => r.id === id) as Run;

describe('shipped model presets (config/models.yaml)', () => {
  const preset = (id: string) => {
    const p = catalog.presets.get(id);
    if (!p) throw new Error(`no preset ${id}`);
    return p;
  };

  it('holds the required presets, each with a source', () => {
    for (const id of [
      'gpt-3-175b', 'llama-2-7b', 'llama-2-13b', 'llama-2-70b', 'llama-3.1-8b', 'llama-3.1-70b', 'llama-3.1-405b', 'megatron-22b',
      'megatron-175b', 'mt-nlg-530b', 'megatron-1t', 'mixtral-8x7b', 'deepseek-v3', 'chinchilla-70b', 'palm-540b',
    ]) {
      const p = preset(id);
      expect(p.source.url).toMatch(/^https:\/\//);
      expect(p.sequenceLength).toBeGreaterThanOrEqual(2048);
    }
  });

  it('are internally consistent', () => {
    for (const p of catalog.presets.values()) {
      const a = p.architecture;
      expect(a.attentionHeads % a.kvHeads, p.id).toBe(0);
      expect(Number.isInteger(a.headDim), p.id).toBe(true);
      if (a.moe) {
        expect(a.moe.activeExperts).toBeLessThanOrEqual(a.moe.experts);
        expect(a.moe.denseLayers).toBeLessThan(a.layers);
        expect(p.publishedActiveParameters, p.id).toBeLessThan(p.publishedParameters ?? 0);
      } else {
        expect(p.publishedActiveParameters).toBeUndefined();
      }
      // a shape that departs from a·headDim = h is explained
      if (!a.mla && a.attentionHeads * a.headDim !== a.hiddenSize) expect(p.notes, p.id).toMatch(/headDim/);
      expect(p.publishedParameters, p.id).toBeGreaterThan(1e9);
    }
  });

  it('GPT-3 175B matches the paper as recorded in data/calibration', () => {
    const m = run('gpt3-175b').model as Record<string, number>;
    const a = preset('gpt-3-175b').architecture;
    expect([a.layers, a.hiddenSize, a.attentionHeads, a.headDim, a.kvHeads]).toEqual([m.n_layers, m.d_model, m.n_heads, m.d_head, m.kv_heads]);
    expect(a.ffnHiddenSize).toBe(4 * a.hiddenSize);
    expect(preset('gpt-3-175b').sequenceLength).toBe(m.context_len);
    expect(preset('gpt-3-175b').publishedParameters).toBe(m.params_table_D1_millions! * 1e6);
    expect([a.vocabSize, a.tiedEmbeddings, a.gatedMlp]).toEqual([50257, true, false]);
  });

  it('the Megatron presets match Korthikanti 2022 Table 3 and Narayanan 2021 Table 1', () => {
    const k = run('korthikanti-2022-activation-memory').model as { configs_table3: { name: string; heads: number; hidden: number; layers: number }[]; seq_len: number; vocab: number };
    const byName = new Map(k.configs_table3.map((c) => [c.name, c]));
    const pairs: [string, string][] = [['22B', 'megatron-22b'], ['175B (GPT-3)', 'megatron-175b'], ['530B (MT-NLG)', 'mt-nlg-530b'], ['1T', 'megatron-1t']];
    for (const [name, id] of pairs) {
      const c = byName.get(name)!;
      const p = preset(id);
      expect([p.architecture.attentionHeads, p.architecture.hiddenSize, p.architecture.layers], id).toEqual([c.heads, c.hidden, c.layers]);
      expect([p.architecture.vocabSize, p.sequenceLength, p.architecture.ffnHiddenSize], id).toEqual([k.vocab, k.seq_len, 4 * c.hidden]);
    }
    const rows = run('megatron-ptdp-2021-table1').figures!.rows!;
    expect(preset('mt-nlg-530b').publishedParameters).toBe(rows.find((r) => r.layers === 105)!.params_B * 1e9);
    expect(preset('megatron-1t').publishedParameters).toBe(rows.find((r) => r.layers === 128)!.params_B * 1e9);
  });

  it('PaLM 540B and Chinchilla 70B match data/calibration; their approximations keep the parameter budget', () => {
    const palm = run('palm-540b').model as Record<string, number>;
    const p = preset('palm-540b');
    expect([p.architecture.layers, p.architecture.hiddenSize, p.architecture.attentionHeads, p.architecture.headDim, p.architecture.kvHeads]).toEqual([
      palm.layers, palm.d_model, palm.heads, palm.head_dim, palm.kv_heads,
    ]);
    expect(p.architecture.ffnHiddenSize).toBe(4 * palm.d_model!);
    expect(p.publishedParameters).toBe(palm.params);
    expect(p.sequenceLength).toBe(palm.seq_len);

    const chin = run('chinchilla-70b').model as Record<string, number>;
    const c = preset('chinchilla-70b').architecture;
    expect([c.layers, c.hiddenSize, c.attentionHeads, c.headDim]).toEqual([chin.layers, chin.d_model, chin.heads, chin.kv_size]);
    // Transformer-XL relative position projection (h×h per layer) folded into the MLP:
    // 2·h·f_modelled = 2·h·4h + h² (Rae et al. 2021 Sec. 2 / Dai et al. 2019)
    const h = c.hiddenSize;
    expect(2 * h * c.ffnHiddenSize).toBe(2 * h * 4 * h + h * h);
  });

  it('Llama and Mixtral shapes are the published ones', () => {
    const shape = (id: string) => {
      const a = preset(id).architecture;
      return [a.layers, a.hiddenSize, a.attentionHeads, a.kvHeads, a.ffnHiddenSize, a.vocabSize, a.gatedMlp, a.tiedEmbeddings];
    };
    expect(shape('llama-2-70b')).toEqual([80, 8192, 64, 8, 28672, 32000, true, false]);
    expect(shape('llama-3.1-8b')).toEqual([32, 4096, 32, 8, 14336, 128256, true, false]);
    expect(shape('llama-3.1-405b')).toEqual([126, 16384, 128, 8, 53248, 128256, true, false]);
    const mixtral = preset('mixtral-8x7b').architecture;
    expect(mixtral.moe).toEqual({ experts: 8, activeExperts: 2, expertFfnHiddenSize: 14336, sharedExperts: 0, denseLayers: 0 });
    expect([mixtral.layers, mixtral.hiddenSize, mixtral.kvHeads, mixtral.vocabSize]).toEqual([32, 4096, 8, 32000]);
  });

  it('DeepSeek-V3: published MoE layout and its MLA as config.json gives it, counted exactly (671B total, 37B active)', () => {
    const p = preset('deepseek-v3');
    const a = p.architecture;
    expect([a.layers, a.hiddenSize, a.attentionHeads, a.vocabSize, a.ffnHiddenSize]).toEqual([61, 7168, 128, 129280, 18432]);
    expect(a.moe).toEqual({ experts: 256, activeExperts: 8, expertFfnHiddenSize: 2048, sharedExperts: 1, denseLayers: 3 });
    expect([p.publishedParameters, p.publishedActiveParameters]).toEqual([671e9, 37e9]);
    // MLA (DeepSeek-V3 report Sec. 4.2, config.json): q_lora 1536, kv_lora 512, rope 64, nope 128, v 128 per head, 128 heads
    expect(a.mla).toEqual({ qLoraRank: 1536, kvLoraRank: 512, qkNopeHeadDim: 128, qkRopeHeadDim: 64, vHeadDim: 128 });
    const h = a.hiddenSize;
    // q_a_proj, q_a_layernorm, q_b_proj, kv_a_proj_with_mqa, kv_a_layernorm, kv_b_proj, o_proj
    const mla = h * 1536 + 1536 + 1536 * 128 * (128 + 64) + h * (512 + 64) + 512 + 512 * 128 * (128 + 128) + 128 * 128 * h;
    expect(attentionParametersPerLayer(a)).toBe(mla);
    const counts = countParameters(a);
    expect(Math.abs(counts.totalParameters / 671e9 - 1)).toBeLessThan(0.001);
    expect(Math.abs(counts.activeParameters / 37e9 - 1)).toBeLessThan(0.02);
  });
});

describe('bad configuration files', () => {
  it('a missing field names file, entry (by id, or index without one), field and line', () => {
    const file = fixture('bad-missing-field.yaml');
    const error = catalogError(() => loadHardwareCatalog(file));
    expect(error.problems).toHaveLength(2);
    const memory = problemAt(error, '/accelerators/1/memoryGiB');
    expect(memory).toMatchObject({ file, entry: '"no-memory-gpu"', message: 'is required', line: 17 });
    expect(problemAt(error, '/accelerators/2/id')).toMatchObject({ file, entry: '#2', message: 'is required', line: 30 });
    expect(error.message).toContain(`${file}:17 entry "no-memory-gpu" field /accelerators/1/memoryGiB: is required`);
    expect(error.message).toContain('entry #2 field /accelerators/2/id');
  });

  it('negative numbers: every bad field is listed, not only the first', () => {
    const error = catalogError(() => loadHardwareCatalog(fixture('bad-negative-number.yaml')));
    expect(error.problems.map((p) => p.path)).toEqual([
      '/accelerators/0/memoryBandwidthTBps',
      '/accelerators/0/scaleUp/domainSize',
      '/accelerators/0/tdpWatts',
    ]);
    expect(problemAt(error, '/accelerators/0/tdpWatts').message).toBe('must be > 0 (got -400)');
    expect(error.problems.every((p) => p.entry === '"negative-gpu"')).toBe(true);
  });

  it('wrong types and misspelt fields', () => {
    const error = catalogError(() => loadHardwareCatalog(fixture('bad-wrong-type.yaml')));
    expect(problemAt(error, '/accelerators/0/memoryGiB').message).toMatch(/number.*"eighty"/);
    expect(problemAt(error, '/accelerators/0/denseTflops/bf16').message).toMatch(/number.*"989.4"/);
    expect(problemAt(error, '/accelerators/0/gpusPerNode').message).toMatch(/integer.*7\.5/);
    expect(problemAt(error, '/accelerators/0/tdpWatt').message).toMatch(/not an allowed field/);
    expect(problemAt(error, '/accelerators/0/tdpWatts').message).toBe('is required');
    expect(error.problems).toHaveLength(5);
  });

  it('duplicate ids and an alias that repeats another id', () => {
    const error = catalogError(() => loadHardwareCatalog(fixture('bad-duplicate-id.yaml')));
    expect(problemAt(error, '/accelerators/1/id')).toMatchObject({ entry: '"twin-gpu"', line: 17 });
    expect(problemAt(error, '/accelerators/1/id').message).toMatch(/duplicate id "twin-gpu".*#0/);
    expect(problemAt(error, '/accelerators/2/aliases/0')).toMatchObject({ entry: '"other-gpu"' });
  });

  it('a YAML syntax error names the file and the line', () => {
    const file = fixture('bad-yaml-syntax.yaml');
    const error = catalogError(() => loadHardwareCatalog(file));
    const [p] = error.problems;
    expect(p?.file).toBe(file);
    expect(p?.message).toMatch(/^YAML syntax error/);
    expect(p?.line).toBeGreaterThanOrEqual(11);
    expect(p?.line).toBeLessThanOrEqual(12);
    expect(error.message).toContain(`${file}:${p?.line}`);
  });

  it('semantic checks: unknown price source, domain vs node size, vendor vs generation, estimate without note', () => {
    const error = catalogError(() => loadHardwareCatalog(fixture('bad-semantic-hardware.yaml')));
    expect(error.problems.map((p) => p.path).sort()).toEqual([
      '/accelerators/0/generation',
      '/accelerators/0/prices/cloudOnDemandGpuHourUsd/source',
      '/accelerators/0/scaleUp/domainSize',
      '/accelerators/0/tdpNote',
    ]);
  });

  it('bad model presets: GQA, MoE, head size, dense-only MoE, missing and duplicate ids, all at once', () => {
    const file = fixture('bad-models.yaml');
    const error = catalogError(() => loadModelPresets(file));
    expect(error.problems.map((p) => [p.entry, p.path])).toEqual([
      ['"bad-gqa"', '/presets/0/architecture/kvHeads'],
      ['"bad-moe"', '/presets/1/architecture/vocabSize'],
      ['"bad-moe"', '/presets/1/architecture/moe/activeExperts'],
      ['#2', '/presets/2/id'],
      ['#2', '/presets/2/architecture/headDim'],
      ['#2', '/presets/2/architecture/moe/denseLayers'],
      ['#2', '/presets/2/sequenceLength'],
      ['"bad-gqa"', '/presets/3/id'],
    ]);
    expect(error.problems.every((p) => p.file === file && p.line !== undefined)).toBe(true);
  });

  it('a one-value change to the shipped file is caught, naming the entry and field', () => {
    const doc = parseDocument(readFileSync(defaultCatalogPaths().hardwarePath, 'utf8'));
    const index = catalog.hardwareEntries.findIndex((e) => e.id === 'h100-sxm-80gb');
    doc.setIn(['accelerators', index, 'memoryGiB'], -80);
    doc.setIn(['accelerators', index, 'scaleUp', 'domainSize'], 'eight');
    const error = catalogError(() => parseHardwareCatalog(doc.toString(), 'edited-hardware.yaml'));
    expect(error.problems.map((p) => [p.entry, p.path])).toEqual([
      ['"h100-sxm-80gb"', `/accelerators/${index}/memoryGiB`],
      ['"h100-sxm-80gb"', `/accelerators/${index}/scaleUp/domainSize`],
    ]);
    expect(error.message).toContain('edited-hardware.yaml:');
  });

  it('a reservation dearer than on-demand is refused: both must come from one provider', () => {
    const doc = parseDocument(readFileSync(defaultCatalogPaths().hardwarePath, 'utf8'));
    const index = catalog.hardwareEntries.findIndex((e) => e.id === 'a100-sxm-40gb');
    doc.setIn(['accelerators', index, 'prices', 'reservedGpuHourUsd', 'value'], 9.99);
    const error = catalogError(() => parseHardwareCatalog(doc.toString(), 'edited-hardware.yaml'));
    expect(error.problems.map((p) => p.path)).toEqual([`/accelerators/${index}/prices/reservedGpuHourUsd/value`]);
    expect(error.problems[0]!.message).toMatch(/one provider/);
    // the shipped catalog: where both exist, the reservation costs no more than on-demand
    for (const e of catalog.hardwareEntries) {
      const od = e.prices.cloudOnDemandGpuHourUsd?.value;
      const rs = e.prices.reservedGpuHourUsd?.value;
      if (od !== undefined && rs !== undefined) expect(rs, e.id).toBeLessThanOrEqual(od);
    }
  });

  it('the document shape itself: wrong root, unknown top-level key, empty list', () => {
    expect(catalogError(() => parseHardwareCatalog('- 1\n- 2\n', 'list.yaml')).problems[0]).toMatchObject({ file: 'list.yaml', path: '' });
    expect(problemAt(catalogError(() => parseHardwareCatalog('accelerators: {}\n', 'map.yaml')), '/accelerators').message).toMatch(/list/);
    const e = catalogError(() => parseModelPresets('presets: []\nextra: 1\n', 'empty.yaml'));
    expect(e.problems.map((p) => p.path).sort()).toEqual(['/extra', '/presets']);
  });

  it('an unreadable file, and both files bad at once', () => {
    expect(catalogError(() => loadHardwareCatalog('/nonexistent/hardware.yaml')).message).toMatch(/\/nonexistent\/hardware\.yaml.*ENOENT/);
    const both = catalogError(() => loadCatalog({ hardwarePath: fixture('bad-negative-number.yaml'), modelsPath: fixture('bad-models.yaml') }));
    expect(new Set(both.problems.map((p) => p.file))).toEqual(new Set([fixture('bad-negative-number.yaml'), fixture('bad-models.yaml')]));
    expect(both.problems).toHaveLength(3 + 8);
  });
});

describe('environment (readConfigFromEnv)', () => {
  it('defaults', () => {
    expect(readConfigFromEnv({})).toEqual({
      port: 3000,
      host: '0.0.0.0',
      logLevel: 'info',
      hardwareCatalogPath: defaultCatalogPaths().hardwarePath,
      modelPresetsPath: defaultCatalogPaths().modelsPath,
      trainingFrameworksPath: defaultCatalogPaths().frameworksPath,
      searchMaxEvaluations: 8_000_000,
    });
    expect(readConfigFromEnv({ PORT: '', LOG_LEVEL: '  ' }).port).toBe(3000);
  });

  it('reads every variable', () => {
    expect(
      readConfigFromEnv({
        PORT: '8080',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'DEBUG',
        HARDWARE_CATALOG: '/etc/trainplan/hw.yaml',
        MODEL_PRESETS: 'models.yaml',
        TRAINING_FRAMEWORKS: '/etc/trainplan/frameworks.yaml',
        SEARCH_MAX_EVALUATIONS: '500000',
      }),
    ).toEqual({
      port: 8080,
      host: '127.0.0.1',
      logLevel: 'debug',
      hardwareCatalogPath: '/etc/trainplan/hw.yaml',
      modelPresetsPath: 'models.yaml',
      trainingFrameworksPath: '/etc/trainplan/frameworks.yaml',
      searchMaxEvaluations: 500_000,
    });
    expect(readConfigFromEnv({ PORT: '0' }).port).toBe(0);
  });

  it.each(['abc', '70000', '-1', '3000.5', '1e3', '65536'])('rejects PORT=%s', (value) => {
    let error: unknown;
    try {
      readConfigFromEnv({ PORT: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.variable)).toEqual(['PORT']);
    expect((error as ConfigError).message).toContain(`PORT="${value}"`);
  });

  it('names every bad variable at once', () => {
    let error: unknown;
    try {
      readConfigFromEnv({ PORT: 'http', LOG_LEVEL: 'loud', SEARCH_MAX_EVALUATIONS: '0' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.variable).sort()).toEqual(['LOG_LEVEL', 'PORT', 'SEARCH_MAX_EVALUATIONS']);
    expect((error as ConfigError).message).toMatch(/LOG_LEVEL="loud": must be one of fatal, error, warn, info, debug, trace, silent/);
  });
});

// Type-level: the raw entries keep their sources for GET /v1/hardware.
const _sourcesKept: HardwareEntry['sources'][number]['url'] = catalog.hardwareEntries[0]!.sources[0]!.url;
void _sourcesKept;
