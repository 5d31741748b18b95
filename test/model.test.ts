import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  MIN_INFERABLE_PARAMETERS,
  countParameters,
  inferShapeFromParameters,
  layerParameters,
  shapeProblems,
} from '../src/domain/model/index.js';
import type { ModelShape } from '../src/domain/core/index.js';
import {
  DEEPSEEK_V3_MHA_APPROX,
  DEEPSEEK_V3_MLA,
  GPT3_175B,
  LLAMA2_70B,
  LLAMA2_7B,
  LLAMA31_405B,
  LLAMA31_8B,
  MEGATRON_TABLE1,
  MIXTRAL_8X7B,
  PALM_540B,
  megatronGpt,
} from './fixtures/published-models.js';

const relErr = (actual: number, expected: number): number => Math.abs(actual / expected - 1);

describe('countParameters against published sizes', () => {
  const cases: { name: string; shape: ModelShape; total: number; active?: number; tol: number; activeTol?: number }[] = [
    { name: 'Llama 3.1 405B', shape: LLAMA31_405B, total: 405e9, tol: 0.01 },
    { name: 'Llama 3.1 8B (8.03B)', shape: LLAMA31_8B, total: 8.03e9, tol: 0.01 },
    { name: 'Llama 2 70B (68.98B weights)', shape: LLAMA2_70B, total: 68.98e9, tol: 0.01 },
    { name: 'Llama 2 7B (6.74B weights)', shape: LLAMA2_7B, total: 6.74e9, tol: 0.01 },
    { name: 'GPT-3 175B (174.6B, Table D.1)', shape: GPT3_175B, total: 174.6e9, tol: 0.01 },
    { name: 'PaLM 540B (540.35B, Table 1)', shape: PALM_540B, total: 540.35e9, tol: 0.001 },
    { name: 'Mixtral 8x7B (46.7B / 12.9B)', shape: MIXTRAL_8X7B, total: 46.7e9, active: 12.9e9, tol: 0.01, activeTol: 0.01 },
    // 37B is rounded in the paper; the exact MLA count gives 37.55B
    { name: 'DeepSeek-V3 with MLA ranks (671B / 37B)', shape: DEEPSEEK_V3_MLA, total: 671e9, active: 37e9, tol: 0.01, activeTol: 0.02 },
    // Without MLA fields: MHA headDim h/a = 56 overcounts attention by 10% (205M vs 187M per layer)
    { name: 'DeepSeek-V3 MHA approximation (671B / 37B)', shape: DEEPSEEK_V3_MHA_APPROX, total: 671e9, active: 37e9, tol: 0.01, activeTol: 0.05 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const counts = countParameters(c.shape);
      expect(relErr(counts.totalParameters, c.total)).toBeLessThan(c.tol);
      expect(relErr(counts.activeParameters, c.active ?? c.total)).toBeLessThan(c.activeTol ?? c.tol);
    });
  }

  it('DeepSeek-V3 MLA attention weights match the hand count of its projections', () => {
    // q_a 7168·1536 + q_a_norm 1536 + q_b 1536·128·192 + kv_a 7168·576 + kv_a_norm 512 + kv_b 512·128·256 + o 128·128·7168
    const hand = 7168 * 1536 + 1536 + 1536 * 128 * 192 + 7168 * 576 + 512 + 512 * 128 * 256 + 128 * 128 * 7168;
    expect(countParameters(DEEPSEEK_V3_MLA).attentionParametersPerLayer).toBe(hand);
    expect(hand).toBeGreaterThan(187e6);
    expect(hand).toBeLessThan(188e6);
  });

  it('Llama 3.1 405B per-layer terms by hand', () => {
    const c = countParameters(LLAMA31_405B);
    expect(c.attentionParametersPerLayer).toBe(16384 * 16384 * 2 + 2 * 16384 * 8 * 128);
    expect(c.denseMlpParametersPerLayer).toBe(3 * 16384 * 53248);
    expect(c.embeddingParameters).toBe(128256 * 16384);
    expect(c.lmHeadParameters).toBe(128256 * 16384);
    expect(c.normParametersPerLayer).toBe(2 * 16384);
    expect(c.expertParametersPerMoeLayer).toBe(0);
    expect(c.nonExpertMoeParametersPerMoeLayer).toBe(0);
  });

  it('Mixtral per-MoE-layer terms: 8 experts of 3·h·f, router h·8', () => {
    const c = countParameters(MIXTRAL_8X7B);
    expect(c.expertParametersPerMoeLayer).toBe(8 * 3 * 4096 * 14336);
    expect(c.nonExpertMoeParametersPerMoeLayer).toBe(4096 * 8);
    const moeLayer = layerParameters(MIXTRAL_8X7B, 0);
    expect(moeLayer.total - moeLayer.active).toBe(6 * 3 * 4096 * 14336);
  });

  it('DeepSeek-V3: the first 3 layers are dense, the rest MoE with one shared expert', () => {
    const dense = layerParameters(DEEPSEEK_V3_MLA, 2);
    const moe = layerParameters(DEEPSEEK_V3_MLA, 3);
    expect(dense.total).toBe(dense.active);
    expect(moe.total - moe.active).toBe((256 - 8) * 3 * 7168 * 2048);
    expect(countParameters(DEEPSEEK_V3_MLA).nonExpertMoeParametersPerMoeLayer).toBe(3 * 7168 * 2048 + 7168 * 256);
  });
});

describe('countParameters against Megatron Eq. 2 (Narayanan 2021 Table 1)', () => {
  const s = 2048;
  const V = 51200;
  for (const row of MEGATRON_TABLE1) {
    it(`${row.paramsB}B: within 0.5% of Eq. 2 and within print rounding of Table 1`, () => {
      const { layers: l, hidden: h } = row;
      const eq2 = 12 * l * h * h * (1 + 13 / (12 * h) + (V + s) / (12 * l * h));
      const ours = countParameters(megatronGpt(row.layers, row.hidden, row.heads)).totalParameters;
      // Eq. 2 counts learned positions s·h and 13h per layer (biases 9h, LayerNorm gains and biases 4h), no final
      // LayerNorm; we count 2h of norm gains per layer + a final norm h, no biases, no positions
      expect(eq2 - ours).toBeCloseTo(s * h + 11 * l * h - h, 0);
      expect(relErr(ours, eq2)).toBeLessThan(0.005);
      // Table 1 prints one decimal in billions (Eq. 2's 1.652B prints as 1.7): print rounding + the 0.5% above
      expect(Math.abs(ours / 1e9 - row.paramsB)).toBeLessThanOrEqual(0.05 + 0.005 * row.paramsB);
    });
  }
});

describe('countParameters properties', () => {
  const shapeArb = fc.record({
    layers: fc.integer({ min: 1, max: 200 }),
    headDim: fc.constantFrom(64, 128, 256),
    heads: fc.integer({ min: 1, max: 128 }),
    kvDivisor: fc.constantFrom(1, 2, 4, 8),
    ffnRatio: fc.double({ min: 1, max: 6, noNaN: true }),
    vocabSize: fc.integer({ min: 1000, max: 300_000 }),
    gatedMlp: fc.boolean(),
    tiedEmbeddings: fc.boolean(),
    moe: fc.option(
      fc.record({
        experts: fc.integer({ min: 1, max: 256 }),
        activeFraction: fc.double({ min: 0, max: 1, noNaN: true }),
        expertFfnHiddenSize: fc.integer({ min: 64, max: 20_000 }),
        sharedExperts: fc.integer({ min: 0, max: 2 }),
        denseFraction: fc.double({ min: 0, max: 0.5, noNaN: true }),
      }),
      { nil: undefined },
    ),
  }).map((r): ModelShape => {
    const heads = r.heads * r.kvDivisor;
    const hiddenSize = heads * r.headDim;
    const shape: ModelShape = {
      layers: r.layers, hiddenSize, attentionHeads: heads, kvHeads: heads / r.kvDivisor, headDim: r.headDim,
      ffnHiddenSize: Math.round(r.ffnRatio * hiddenSize), vocabSize: r.vocabSize, gatedMlp: r.gatedMlp, tiedEmbeddings: r.tiedEmbeddings,
    };
    if (r.moe && r.layers > 1) {
      shape.moe = {
        experts: r.moe.experts,
        activeExperts: Math.max(1, Math.round(r.moe.activeFraction * r.moe.experts)),
        expertFfnHiddenSize: r.moe.expertFfnHiddenSize,
        sharedExperts: r.moe.sharedExperts,
        denseLayers: Math.floor(r.moe.denseFraction * r.layers),
      };
    }
    return shape;
  });

  it('total = embedding + LM head + transformer; active <= total, equal for dense models; all finite', () => {
    fc.assert(
      fc.property(shapeArb, (shape) => {
        const c = countParameters(shape);
        expect(shapeProblems(shape)).toEqual([]);
        expect(c.totalParameters).toBe(c.embeddingParameters + c.lmHeadParameters + c.transformerParameters);
        expect(c.activeParameters).toBeLessThanOrEqual(c.totalParameters);
        if (!shape.moe || shape.moe.activeExperts === shape.moe.experts) expect(c.activeParameters).toBe(c.totalParameters);
        else expect(c.activeParameters).toBeLessThan(c.totalParameters);
        for (const v of Object.values(c)) expect(Number.isFinite(v) && v >= 0).toBe(true);
      }),
    );
  });

  it('one more layer adds exactly one layer of parameters; untying adds V·h', () => {
    fc.assert(
      fc.property(shapeArb, (shape) => {
        const c = countParameters(shape);
        const more = countParameters({ ...shape, layers: shape.layers + 1 });
        expect(more.totalParameters - c.totalParameters).toBe(layerParameters(shape, shape.layers).total);
        const untied = countParameters({ ...shape, tiedEmbeddings: false });
        const tied = countParameters({ ...shape, tiedEmbeddings: true });
        expect(untied.totalParameters - tied.totalParameters).toBe(shape.vocabSize * shape.hiddenSize);
      }),
    );
  });
});

describe('inferShapeFromParameters', () => {
  for (const n of [1e9, 7e9, 70e9, 100e9, 175e9, 1e12]) {
    it(`${n / 1e9}B: within 3%, heads divide hidden, kvHeads divide heads, no shape problems`, () => {
      const { shape, assumptions } = inferShapeFromParameters(n);
      expect(relErr(countParameters(shape).totalParameters, n)).toBeLessThan(0.03);
      expect(shape.attentionHeads * shape.headDim).toBe(shape.hiddenSize);
      expect(shape.hiddenSize % shape.attentionHeads).toBe(0);
      expect(shape.attentionHeads % shape.kvHeads).toBe(0);
      expect(shapeProblems(shape)).toEqual([]);
      expect(shape.moe).toBeUndefined();
      // every shape field is stated as an assumption with a reason
      const fields = assumptions.map((a) => a.field.split('.').pop());
      for (const key of Object.keys(shape)) expect(fields).toContain(key);
      for (const a of assumptions) expect(a.reason.length).toBeGreaterThan(10);
    });
  }

  it('lands on the published shapes near the anchors: 70B is Llama-3-70B-like, 8B Llama-3-8B-like', () => {
    const s70 = inferShapeFromParameters(70e9).shape;
    expect(s70.hiddenSize).toBe(8192);
    expect(s70.kvHeads).toBe(8);
    expect(Math.abs(s70.layers - 80)).toBeLessThanOrEqual(2);
    const s8 = inferShapeFromParameters(8.03e9).shape;
    expect(s8.hiddenSize).toBe(4096);
    expect(Math.abs(s8.layers - 32)).toBeLessThanOrEqual(1);
  });

  it('large models keep heads a multiple of 8 (tensor parallelism up to 8)', () => {
    for (const n of [30e9, 70e9, 100e9, 175e9, 405e9, 1e12, 5e12]) {
      expect(inferShapeFromParameters(n).shape.attentionHeads % 8).toBe(0);
    }
  });

  it('within 2% and consistent for any size from the minimum to 100T', () => {
    fc.assert(
      fc.property(fc.double({ min: Math.log10(MIN_INFERABLE_PARAMETERS) + 1e-9, max: 14, noNaN: true }), (log10n) => {
        const n = 10 ** log10n;
        const { shape } = inferShapeFromParameters(n);
        expect(relErr(countParameters(shape).totalParameters, n)).toBeLessThanOrEqual(0.02);
        expect(shapeProblems(shape)).toEqual([]);
        expect(shape.layers).toBeGreaterThanOrEqual(2);
      }),
      { numRuns: 300 },
    );
  });

  it('bigger requests never get a smaller hidden size', () => {
    let previous = 0;
    for (let log10n = 7.7; log10n <= 14; log10n += 0.05) {
      const h = inferShapeFromParameters(10 ** log10n).shape.hiddenSize;
      expect(h).toBeGreaterThanOrEqual(previous);
      previous = h;
    }
  });

  it('rejects sizes it cannot shape', () => {
    expect(() => inferShapeFromParameters(1e6)).toThrow(RangeError);
    expect(() => inferShapeFromParameters(Number.NaN)).toThrow(RangeError);
    expect(() => inferShapeFromParameters(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});

describe('shapeProblems', () => {
  it('accepts published shapes', () => {
    for (const s of [LLAMA31_405B, LLAMA2_70B, GPT3_175B, MIXTRAL_8X7B, DEEPSEEK_V3_MLA, DEEPSEEK_V3_MHA_APPROX, PALM_540B]) {
      expect(shapeProblems(s)).toEqual([]);
    }
  });

  const bad: { name: string; patch: (s: ModelShape) => ModelShape; path: string }[] = [
    { name: 'kvHeads not dividing heads', patch: (s) => ({ ...s, kvHeads: 7 }), path: '/kvHeads' },
    { name: 'kvHeads above heads', patch: (s) => ({ ...s, kvHeads: 256 }), path: '/kvHeads' },
    { name: 'headDim·heads 8× hidden', patch: (s) => ({ ...s, headDim: 1024 }), path: '/headDim' },
    { name: 'headDim·heads 1/8 of hidden', patch: (s) => ({ ...s, headDim: 16 }), path: '/headDim' },
    { name: 'non-integer layers', patch: (s) => ({ ...s, layers: 80.5 }), path: '/layers' },
    { name: 'zero hidden size', patch: (s) => ({ ...s, hiddenSize: 0 }), path: '/hiddenSize' },
    { name: 'negative ffn', patch: (s) => ({ ...s, ffnHiddenSize: -1 }), path: '/ffnHiddenSize' },
    { name: 'NaN vocab', patch: (s) => ({ ...s, vocabSize: Number.NaN }), path: '/vocabSize' },
    { name: 'zero heads', patch: (s) => ({ ...s, attentionHeads: 0 }), path: '/attentionHeads' },
    {
      name: 'activeExperts > experts',
      patch: (s) => ({ ...s, moe: { experts: 8, activeExperts: 9, expertFfnHiddenSize: 1024, sharedExperts: 0, denseLayers: 0 } }),
      path: '/moe/activeExperts',
    },
    {
      name: 'denseLayers > layers',
      patch: (s) => ({ ...s, moe: { experts: 8, activeExperts: 2, expertFfnHiddenSize: 1024, sharedExperts: 0, denseLayers: 81 } }),
      path: '/moe/denseLayers',
    },
    {
      name: 'negative shared experts',
      patch: (s) => ({ ...s, moe: { experts: 8, activeExperts: 2, expertFfnHiddenSize: 1024, sharedExperts: -1, denseLayers: 0 } }),
      path: '/moe/sharedExperts',
    },
  ];
  for (const b of bad) {
    it(`flags ${b.name} at ${b.path}`, () => {
      const problems = shapeProblems(b.patch(LLAMA2_70B));
      expect(problems.map((p) => p.path)).toContain(b.path);
      for (const p of problems) expect(p.message.length).toBeGreaterThan(5);
    });
  }

  it('flags a bad MLA rank', () => {
    expect(shapeProblems({ ...DEEPSEEK_V3_MLA, mla: { ...DEEPSEEK_V3_MLA.mla!, kvLoraRank: 0 } }).map((p) => p.path)).toEqual(['/mla/kvLoraRank']);
  });
});
