import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { countParameters, inferShapeFromParameters, activeMatmulParameters, attentionFlopsPerToken, hardwareFlopsPerToken, korthikantiEq8HardwareFlopsPerToken, megatronEq3FlopsPerToken, modelFlopsPerToken, trainingFlops } from '../src/domain/model/index.js';
import type { ModelShape, TrainingSetup } from '../src/domain/core/index.js';
import {
  DEEPSEEK_V3_MLA,
  GPT3_175B,
  KORTHIKANTI_TABLE5,
  LLAMA31_405B,
  LLAMA31_8B,
  MEGATRON_TABLE1,
  MIXTRAL_8X7B,
  PALM_540B,
  megatronGpt,
} from './fixtures/published-models.js';

const relErr = (actual: number, expected: number): number => Math.abs(actual / expected - 1);

function training(tokens: number, sequenceLength: number): TrainingSetup {
  return { tokens, sequenceLength, globalBatchSequences: 1024, precision: 'bf16', optimizer: 'adamw' };
}

describe('published training compute', () => {
  it('GPT-3 175B: 6·N·D within 1% of 3.14e23 (Brown 2020 Table D.1; N = 174.6B, D = 300B)', () => {
    const f = trainingFlops(GPT3_175B, countParameters(GPT3_175B), training(300e9, 2048));
    expect(relErr(f.sixNDTotal, 3.14e23)).toBeLessThan(0.01);
    expect(f.conventions.sixND).toBe(f.sixNDTotal);
    // attention at s = 2048 adds 12·96·2048·12288 per token, 2.8% of 6N: the "<10%" GPT-3 ignores
    expect(f.attentionFlopsPerToken).toBe(12 * 96 * 2048 * 12288);
    const share = f.attentionFlopsPerToken / (6 * countParameters(GPT3_175B).activeParameters);
    expect(share).toBeGreaterThan(0.02);
    expect(share).toBeLessThan(0.1);
  });

  it('Llama 3.1 405B: 6·N·D within 1% of 3.8e25 over 15.6T tokens (Dubey 2024, arXiv 2407.21783 Sec. 1 and 3)', () => {
    const f = trainingFlops(LLAMA31_405B, countParameters(LLAMA31_405B), training(15.6e12, 8192));
    expect(relErr(f.sixNDTotal, 3.8e25)).toBeLessThan(0.01);
    // the MFU convention is higher at s = 8192: attention 12·L·s·a·d ≈ 0.2e12 per token
    expect(f.total).toBeGreaterThan(f.sixNDTotal);
  });

  it('PaLM 540B: model FLOPs per token within 1% of 3.28e12 (App. B Table 22, "non-attn + attn")', () => {
    const counts = countParameters(PALM_540B);
    const perToken = modelFlopsPerToken(PALM_540B, counts, 2048);
    expect(relErr(perToken, 3.28e12)).toBeLessThan(0.01);
    // the paper's formula 6N + 12·L·H·Q·T (N = 540.35B) — tied embedding counted once, as its LM head
    const palm = 6 * 540.35e9 + 12 * 118 * 48 * 256 * 2048;
    expect(relErr(perToken, palm)).toBeLessThan(0.001);
    // Train FLOPs 2.56e24 over 780B tokens
    const f = trainingFlops(PALM_540B, counts, training(780e9, 2048));
    expect(relErr(f.total, 2.56e24)).toBeLessThan(0.01);
  });

  it('PaLM 540B: MFU 46.2% with attention, 45.7% without (Sec. 4.1: 238.3k tokens/s on 6144 TPU v4 at 275 TFLOP/s)', () => {
    const counts = countParameters(PALM_540B);
    const peak = 6144 * 275e12;
    const mfu = (238.3e3 * modelFlopsPerToken(PALM_540B, counts, 2048)) / peak;
    expect(Math.abs(mfu - 0.462)).toBeLessThan(0.005);
    const mfuNoAttention = (238.3e3 * 6 * activeMatmulParameters(PALM_540B, counts)) / peak;
    expect(Math.abs(mfuNoAttention - 0.457)).toBeLessThan(0.005);
  });

  it('PaLM 540B rematerialised 4.1e12 per token: between selective and full recomputation (it re-ran part of each layer)', () => {
    const counts = countParameters(PALM_540B);
    expect(hardwareFlopsPerToken(PALM_540B, counts, 2048, 'selective')).toBeLessThan(4.1e12);
    expect(hardwareFlopsPerToken(PALM_540B, counts, 2048, 'full')).toBeGreaterThan(4.1e12);
  });
});

describe('Korthikanti 2022 Table 5: MFU and HFU of 22B–1T on A100 (s = 2048, V = 51200, 312 TFLOP/s)', () => {
  const s = 2048;
  const peak = 312e12;
  for (const row of KORTHIKANTI_TABLE5) {
    const shape = megatronGpt(row.layers, row.hidden, row.heads);
    const counts = countParameters(shape);
    const perSecond = (flopsPerToken: number): number => (flopsPerToken * row.globalBatch * s) / (row.iterSeconds * row.gpus * peak);

    it(`${row.name}: MFU from our model FLOPs within 1 point of ${row.mfu * 100}%`, () => {
      const mfu = perSecond(modelFlopsPerToken(shape, counts, s));
      expect(Math.abs(mfu - row.mfu)).toBeLessThan(0.01);
      // and equals Eq. 7, 72·B·L·s·h²·(1 + s/(6h) + V/(12hL)), to rounding
      const h = row.hidden;
      const eq7 = 72 * row.layers * h * h * (1 + s / (6 * h) + 51200 / (12 * h * row.layers));
      expect(relErr(modelFlopsPerToken(shape, counts, s), eq7)).toBeLessThan(1e-9);
    });

    it(`${row.name}: HFU from Eq. 8 within 1 point of ${row.hfu * 100}%; our selective HFU between MFU and it`, () => {
      const eq8 = perSecond(korthikantiEq8HardwareFlopsPerToken(shape, s));
      expect(Math.abs(eq8 - row.hfu)).toBeLessThan(0.01);
      // We count the attention forward re-run (1/3 of the attention term); Eq. 8 counts the whole term again
      const ours = perSecond(hardwareFlopsPerToken(shape, counts, s, 'selective'));
      expect(ours).toBeGreaterThan(row.mfu - 0.005);
      expect(ours).toBeLessThan(row.hfu + 0.005);
    });
  }
});

describe('Narayanan 2021 Eq. 3 (with full recomputation) for the Table 1 models', () => {
  for (const row of MEGATRON_TABLE1) {
    it(`${row.paramsB}B: hardwareFlopsPerToken(full) within 1% of Eq. 3`, () => {
      const shape = megatronGpt(row.layers, row.hidden, row.heads);
      const counts = countParameters(shape);
      const ours = hardwareFlopsPerToken(shape, counts, 2048, 'full');
      const h = row.hidden;
      const eq3 = 96 * row.layers * h * h * (1 + 2048 / (6 * h) + 51200 / (16 * row.layers * h));
      expect(relErr(ours, eq3)).toBeLessThan(0.01);
      expect(relErr(megatronEq3FlopsPerToken(shape, 2048), eq3)).toBeLessThan(1e-12);
    });
  }

  it('the megatronEq3 convention of trainingFlops is the printed Eq. 3 for GPT-3 (V = 50257), within 1%', () => {
    const f = trainingFlops(GPT3_175B, countParameters(GPT3_175B), training(300e9, 2048));
    expect(relErr(f.conventions.megatronEq3, megatronEq3FlopsPerToken(GPT3_175B, 2048) * 300e9)).toBeLessThan(0.01);
    expect(f.conventions.megatronEq3).toBe(f.hardwareTotalByRecompute.full);
  });
});

describe('hand-worked per-token terms', () => {
  it('Llama 3.1 8B at s = 8192: 6·(N − V·h input embedding − norms) + 12·L·s·a·d', () => {
    const counts = countParameters(LLAMA31_8B);
    const matmul = counts.totalParameters - 128256 * 4096 - (32 * 2 * 4096 + 4096);
    expect(activeMatmulParameters(LLAMA31_8B, counts)).toBe(matmul);
    expect(attentionFlopsPerToken(LLAMA31_8B, 8192)).toBe(12 * 32 * 8192 * 32 * 128);
    expect(modelFlopsPerToken(LLAMA31_8B, counts, 8192)).toBe(6 * matmul + 12 * 32 * 8192 * 32 * 128);
  });

  it('tied embeddings still pay for the LM head matmul', () => {
    const tied = { ...LLAMA31_8B, tiedEmbeddings: true };
    expect(modelFlopsPerToken(tied, countParameters(tied), 4096)).toBe(modelFlopsPerToken(LLAMA31_8B, countParameters(LLAMA31_8B), 4096));
  });

  it('Mixtral: only top-2 experts count; 6·N_active·D is about 6·12.9B', () => {
    const counts = countParameters(MIXTRAL_8X7B);
    const f = trainingFlops(MIXTRAL_8X7B, counts, training(1e12, 4096));
    expect(relErr(f.sixNDTotal, 6 * 12.9e9 * 1e12)).toBeLessThan(0.01);
    // the model-FLOPs N excludes the 131M-parameter input embedding
    expect(counts.activeParameters - activeMatmulParameters(MIXTRAL_8X7B, counts)).toBe(32000 * 4096 + 32 * 2 * 4096 + 4096);
  });

  it('MLA attention scores use d_qk = 192 and d_v = 128 per head', () => {
    expect(attentionFlopsPerToken(DEEPSEEK_V3_MLA, 4096)).toBe(6 * 61 * 4096 * 128 * (192 + 128));
  });
});

describe('trainingFlops', () => {
  const shape = LLAMA31_405B;
  const counts = countParameters(shape);
  const f = trainingFlops(shape, counts, training(15e12, 8192));

  it('total is perToken × tokens and equals hardware FLOPs without recomputation', () => {
    expect(f.total).toBeCloseTo(f.perToken * 15e12, -10);
    expect(f.hardwareTotalByRecompute.none).toBeCloseTo(f.total, -10);
    expect(f.convention).toMatch(/MFU/);
  });

  it('conventions are ordered: 6ND < causal < non-causal attention; recomputation adds only to hardware FLOPs', () => {
    const c = f.conventions;
    expect(c.sixND).toBeLessThan(c.sixNDPlusCausalAttention);
    expect(c.sixNDPlusCausalAttention).toBeLessThan(c.sixNDPlusAttention);
    expect(c.sixNDPlusAttention - c.sixND).toBeCloseTo(2 * (c.sixNDPlusCausalAttention - c.sixND), -10);
    expect(f.hardwareTotalByRecompute.selective).toBeGreaterThan(f.total);
    expect(f.hardwareTotalByRecompute.full).toBeGreaterThan(f.hardwareTotalByRecompute.selective);
  });

  it('full recomputation costs about a third more than no recomputation (one extra forward of 3 passes)', () => {
    const ratio = f.hardwareTotalByRecompute.full / f.total;
    expect(ratio).toBeGreaterThan(1.3);
    expect(ratio).toBeLessThan(4 / 3);
  });
});

describe('properties over shapes and sequence lengths', () => {
  const arb = fc.record({
    n: fc.double({ min: 8, max: 13, noNaN: true }).map((x) => 10 ** x),
    s: fc.integer({ min: 128, max: 131072 }),
  });

  it('causal < non-causal; hardware(full) > hardware(selective) >= model; finite; grows with s', () => {
    fc.assert(
      fc.property(arb, ({ n, s }) => {
        const shape: ModelShape = inferShapeFromParameters(n).shape;
        const counts = countParameters(shape);
        const model = modelFlopsPerToken(shape, counts, s);
        const selective = hardwareFlopsPerToken(shape, counts, s, 'selective');
        const full = hardwareFlopsPerToken(shape, counts, s, 'full');
        expect(attentionFlopsPerToken(shape, s, true)).toBeLessThan(attentionFlopsPerToken(shape, s));
        expect(hardwareFlopsPerToken(shape, counts, s, 'none')).toBe(model);
        expect(selective).toBeGreaterThanOrEqual(model);
        expect(full).toBeGreaterThan(selective);
        expect(modelFlopsPerToken(shape, counts, s + 1)).toBeGreaterThan(model);
        const t = trainingFlops(shape, counts, training(1e12, s));
        for (const v of [t.perToken, t.total, t.sixNDTotal, ...Object.values(t.conventions), ...Object.values(t.hardwareTotalByRecompute)]) {
          expect(Number.isFinite(v) && v > 0).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });
});
