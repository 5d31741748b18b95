// Parameter counts of a decoder-only transformer, shape inference from a bare size, shape checks.
//
// Conventions (documented once, used everywhere):
// - Weight matrices only, no biases: LLaMA/Mistral/DeepSeek/PaLM have none; GPT-3/Megatron GPT
//   biases (13h per layer, Narayanan 2021 Eq. 2) are < 0.01% of the model and are ignored.
// - Norms: two per layer (before attention, before MLP) of h weights each (RMSNorm gain, or the
//   LayerNorm gain; LayerNorm biases ignored as above), plus one final norm of h.
// - Learned positional embeddings (GPT-3: s·h = 0.01%) are not in ModelShape and not counted.
// - ParameterCounts.transformerParameters includes the final norm, so that
//   totalParameters = embeddingParameters + lmHeadParameters + transformerParameters.
import type { Assumption, ModelShape, ParameterCounts } from '../core/index.js';

/** A ModelShape that may carry MLA ranks (core/types.ts MlaShape): now ModelShape itself; kept as a name. */
export type ModelShapeWithMla = ModelShape;

export interface LayerParameters {
  /** every parameter of the layer, all experts */
  total: number;
  /** what one token touches (top-k + shared experts) */
  active: number;
}

/** 3 weight matrices h×f for a gated (SwiGLU/GeGLU) MLP, 2 for a plain one (Shazeer 2020). */
export function mlpMatrixCount(shape: ModelShape): number {
  return shape.gatedMlp ? 3 : 2;
}

/** Per-head dimensions that the attention scores use: QKᵀ over dQk, the weighted sum over dV. */
export function attentionHeadDims(shape: ModelShapeWithMla): { qk: number; v: number } {
  if (shape.mla) return { qk: shape.mla.qkNopeHeadDim + shape.mla.qkRopeHeadDim, v: shape.mla.vHeadDim };
  return { qk: shape.headDim, v: shape.headDim };
}

/** Attention weights of one layer. */
export function attentionParametersPerLayer(shape: ModelShapeWithMla): number {
  const h = shape.hiddenSize;
  const a = shape.attentionHeads;
  if (shape.mla) {
    // DeepSeek-V3 modeling code (q_a_proj, q_a_layernorm, q_b_proj, kv_a_proj_with_mqa, kv_a_layernorm, kv_b_proj, o_proj)
    const { qLoraRank: qr, kvLoraRank: kvr, qkNopeHeadDim: dn, qkRopeHeadDim: dr, vHeadDim: dv } = shape.mla;
    const q = qr > 0 ? h * qr + qr + qr * a * (dn + dr) : h * a * (dn + dr);
    const kv = h * (kvr + dr) + kvr + kvr * a * (dn + dv);
    const o = a * dv * h;
    return q + kv + o;
  }
  const d = shape.headDim;
  const kv = shape.kvHeads;
  // Q h·(a·d), K and V h·(kv·d) each (GQA, Ainslie 2023), O (a·d)·h
  return h * (a * d) + 2 * h * (kv * d) + a * d * h;
}

/** Dense MLP weights of one layer: 3·h·f gated or 2·h·f plain. */
export function denseMlpParametersPerLayer(shape: ModelShape): number {
  return mlpMatrixCount(shape) * shape.hiddenSize * shape.ffnHiddenSize;
}

/** Weights of one expert (same gating as the dense MLP). */
export function expertParameters(shape: ModelShape): number {
  return shape.moe ? mlpMatrixCount(shape) * shape.hiddenSize * shape.moe.expertFfnHiddenSize : 0;
}

/** Norm weights of one layer: two norms of h (see the file header). */
export function normParametersPerLayer(shape: ModelShape): number {
  return 2 * shape.hiddenSize;
}

/** Layers with a dense MLP (all of them for a dense model; the leading denseLayers for MoE). */
export function denseLayerCount(shape: ModelShape): number {
  return shape.moe ? Math.min(shape.moe.denseLayers, shape.layers) : shape.layers;
}

/** Layers with a mixture-of-experts block. */
export function moeLayerCount(shape: ModelShape): number {
  return shape.layers - denseLayerCount(shape);
}

/** Parameters of one dense layer (attention + MLP + norms). */
export function denseLayerParameters(shape: ModelShapeWithMla): LayerParameters {
  const p = attentionParametersPerLayer(shape) + denseMlpParametersPerLayer(shape) + normParametersPerLayer(shape);
  return { total: p, active: p };
}

/** Parameters of one MoE layer: routed experts (all / top-k), shared experts, router h·E (Fedus 2021; DeepSeek-V3 Sec. 2.1.2). */
export function moeLayerParameters(shape: ModelShapeWithMla): LayerParameters {
  if (!shape.moe) return { total: 0, active: 0 };
  const e = expertParameters(shape);
  const common = attentionParametersPerLayer(shape) + normParametersPerLayer(shape) + nonExpertMoeParameters(shape);
  return { total: common + shape.moe.experts * e, active: common + shape.moe.activeExperts * e };
}

/** Parameters of layer `layerIndex` (0-based): dense for the first moe.denseLayers, MoE after. */
export function layerParameters(shape: ModelShapeWithMla, layerIndex: number): LayerParameters {
  return !shape.moe || layerIndex < denseLayerCount(shape) ? denseLayerParameters(shape) : moeLayerParameters(shape);
}

function nonExpertMoeParameters(shape: ModelShape): number {
  if (!shape.moe) return 0;
  return shape.moe.sharedExperts * expertParameters(shape) + shape.hiddenSize * shape.moe.experts;
}

/** Total and active parameters of a shape (conventions in the file header). */
export function countParameters(shape: ModelShapeWithMla): ParameterCounts {
  const h = shape.hiddenSize;
  const V = shape.vocabSize;
  const embeddingParameters = V * h;
  const lmHeadParameters = shape.tiedEmbeddings ? 0 : V * h;
  const dense = denseLayerParameters(shape);
  const moe = moeLayerParameters(shape);
  const nDense = denseLayerCount(shape);
  const nMoe = moeLayerCount(shape);
  const finalNorm = h;
  const transformerParameters = nDense * dense.total + nMoe * moe.total + finalNorm;
  const activeTransformer = nDense * dense.active + nMoe * moe.active + finalNorm;
  return {
    totalParameters: embeddingParameters + lmHeadParameters + transformerParameters,
    activeParameters: embeddingParameters + lmHeadParameters + activeTransformer,
    embeddingParameters,
    lmHeadParameters,
    transformerParameters,
    attentionParametersPerLayer: attentionParametersPerLayer(shape),
    denseMlpParametersPerLayer: denseMlpParametersPerLayer(shape),
    expertParametersPerMoeLayer: shape.moe ? shape.moe.experts * expertParameters(shape) : 0,
    nonExpertMoeParametersPerMoeLayer: nonExpertMoeParameters(shape),
    normParametersPerLayer: normParametersPerLayer(shape),
  };
}

// ---------------------------------------------------------------------------------------------
// Shape inference from a bare parameter count

/** Smallest size inferShapeFromParameters accepts: below it the vocabulary alone is most of the model. */
export const MIN_INFERABLE_PARAMETERS = 5e7;

/** Hidden size of published dense models by size; inference interpolates log-log between them. */
const HIDDEN_SIZE_ANCHORS: readonly { parameters: number; hiddenSize: number; model: string }[] = [
  { parameters: 1.25e8, hiddenSize: 768, model: 'GPT-3 Small' },
  { parameters: 3.5e8, hiddenSize: 1024, model: 'GPT-3 Medium' },
  { parameters: 1.24e9, hiddenSize: 2048, model: 'Llama 3.2 1B' },
  { parameters: 3.21e9, hiddenSize: 3072, model: 'Llama 3.2 3B' },
  { parameters: 8.03e9, hiddenSize: 4096, model: 'Llama 3.1 8B' },
  { parameters: 1.3e10, hiddenSize: 5120, model: 'Llama 2 13B' },
  { parameters: 7.06e10, hiddenSize: 8192, model: 'Llama 3.1 70B' },
  { parameters: 1.75e11, hiddenSize: 12288, model: 'GPT-3 175B' },
  { parameters: 4.05e11, hiddenSize: 16384, model: 'Llama 3.1 405B' },
  { parameters: 1.008e12, hiddenSize: 25600, model: 'Megatron-LM 1T (Narayanan 2021 Table 1)' },
];

/** Llama 3 tokenizer vocabulary. */
const DEFAULT_VOCAB = 128256;
/** Llama 2 tokenizer vocabulary, for models too small to carry a 128k vocabulary. */
const SMALL_VOCAB = 32000;
/** Below this size embeddings are tied (Llama 3.2 1B/3B, Qwen2.5 ≤ 3B); larger models untie them. */
const TIE_BELOW_PARAMETERS = 5e9;
/** Llama 3 8B/70B: f = 3.5·h (14336 = 3.5·4096, 28672 = 3.5·8192). */
const FFN_RATIO = 3.5;
/** Share of the model the input embedding may take before a smaller vocabulary is assumed (Llama 3.2 1B: 21%). */
const MAX_EMBEDDING_SHARE = 0.3;
const TOLERANCE = 0.02;
const GOOD_ENOUGH = 0.005;

function targetHiddenSize(n: number): { h: number; reason: string } {
  const first = HIDDEN_SIZE_ANCHORS[0]!;
  const last = HIDDEN_SIZE_ANCHORS[HIDDEN_SIZE_ANCHORS.length - 1]!;
  // Outside the table: constant aspect ratio L ∝ h, so N ∝ h³ (Kaplan 2020 Sec. 2.1: 12·L·h²)
  if (n <= first.parameters) {
    return { h: first.hiddenSize * Math.cbrt(n / first.parameters), reason: `scaled as N^(1/3) from ${first.model}` };
  }
  if (n >= last.parameters) {
    return { h: last.hiddenSize * Math.cbrt(n / last.parameters), reason: `scaled as N^(1/3) from ${last.model}` };
  }
  for (let i = 1; i < HIDDEN_SIZE_ANCHORS.length; i++) {
    const hi = HIDDEN_SIZE_ANCHORS[i]!;
    const lo = HIDDEN_SIZE_ANCHORS[i - 1]!;
    if (n <= hi.parameters) {
      const t = Math.log(n / lo.parameters) / Math.log(hi.parameters / lo.parameters);
      const h = Math.exp(Math.log(lo.hiddenSize) + t * Math.log(hi.hiddenSize / lo.hiddenSize));
      return { h, reason: `interpolated (log-log) between ${lo.model} (h=${lo.hiddenSize}) and ${hi.model} (h=${hi.hiddenSize})` };
    }
  }
  return { h: last.hiddenSize, reason: last.model };
}

function gcd(x: number, y: number): number {
  return y === 0 ? x : gcd(y, x % y);
}

function roundTo(x: number, multiple: number): number {
  return Math.max(multiple, Math.round(x / multiple) * multiple);
}

interface Candidate {
  shape: ModelShape;
  error: number;
  ffnAdjusted: boolean;
  smallVocab: boolean;
}

function candidateFor(n: number, h: number, headDim: number): Candidate {
  const heads = h / headDim;
  const kvHeads = gcd(heads, 8);
  const tied = n < TIE_BELOW_PARAMETERS;
  const embeddingCopies = tied ? 1 : 2;
  const smallVocab = DEFAULT_VOCAB * h > MAX_EMBEDDING_SHARE * n;
  const vocabSize = smallVocab ? SMALL_VOCAB : DEFAULT_VOCAB;
  const base: ModelShape = {
    layers: 1,
    hiddenSize: h,
    attentionHeads: heads,
    kvHeads,
    headDim,
    ffnHiddenSize: roundTo(FFN_RATIO * h, 256),
    vocabSize,
    gatedMlp: true,
    tiedEmbeddings: tied,
  };
  const perLayer = denseLayerParameters(base).total;
  const l0 = Math.max(1, Math.round((n - embeddingCopies * vocabSize * h - h) / perLayer));
  const errorOf = (shape: ModelShape): number => Math.abs(countParameters(shape).totalParameters / n - 1);
  let shape: ModelShape = { ...base, layers: l0 };
  let error = errorOf(shape);
  let ffnAdjusted = false;
  if (error > TOLERANCE / 2) {
    // Absorb the rounding error: one layer more or fewer, f within [3h, 4h] in steps of 256 (64 below h = 4096,
    // where a step of 256 moves a few-layer model by several percent)
    const step = h < 4096 ? 64 : 256;
    // Prefer the f closest to 3.5·h among combinations within 0.5%; else the smallest error
    const rank = (e: number, f: number): number => (e <= GOOD_ENOUGH ? Math.abs(f - base.ffnHiddenSize) / h : 10 + e);
    let bestRank = rank(error, base.ffnHiddenSize);
    for (const layers of [l0, l0 - 1, l0 + 1].filter((l) => l >= 1)) {
      for (let f = roundTo(3 * h, step); f <= 4 * h; f += step) {
        const candidate: ModelShape = { ...base, layers, ffnHiddenSize: f };
        const e = errorOf(candidate);
        const r = rank(e, f);
        if (r < bestRank) {
          shape = candidate;
          error = e;
          bestRank = r;
          ffnAdjusted = f !== base.ffnHiddenSize;
        }
      }
    }
  }
  return { shape, error, ffnAdjusted, smallVocab };
}

/**
 * A plausible modern dense (LLaMA-style) shape for a bare parameter count: gated MLP, GQA with
 * up to 8 KV heads, head dimension 128 (64 below h = 2048), hidden size interpolated between
 * published models, layers from the count. countParameters(shape) lands within 2% of the request.
 * Throws RangeError below MIN_INFERABLE_PARAMETERS or for a non-finite count.
 */
export function inferShapeFromParameters(parameters: number): { shape: ModelShape; assumptions: Assumption[] } {
  if (!Number.isFinite(parameters) || parameters < MIN_INFERABLE_PARAMETERS) {
    throw new RangeError(`cannot infer a shape for ${parameters} parameters (minimum ${MIN_INFERABLE_PARAMETERS})`);
  }
  const n = parameters;
  const target = targetHiddenSize(n);
  const headDim = target.h < 2048 ? 64 : 128;
  // Large models: heads a multiple of 8 so tensor parallelism up to 8 divides them
  const headMultiple = target.h >= 4096 ? 8 : 4;
  const granularity = headDim * headMultiple;
  const nearest = Math.max(1, Math.round(target.h / granularity));
  const steps = [0, 1, -1, 2, -2, 3, -3].map((k) => nearest + k).filter((k) => k >= 1);
  let chosen: Candidate | undefined;
  for (const k of steps) {
    const c = candidateFor(n, k * granularity, headDim);
    if (c.error <= TOLERANCE) {
      chosen = c;
      break;
    }
    if (!chosen || c.error < chosen.error) chosen = c;
  }
  const best = chosen!;
  const s = best.shape;
  const counted = countParameters(s).totalParameters;
  const path = (field: string): string => `model.architecture.${field}`;
  const assumptions: Assumption[] = [
    {
      field: path('hiddenSize'),
      value: s.hiddenSize,
      reason: `${target.reason} (≈${Math.round(target.h)}), rounded to a multiple of ${granularity} (head dimension × ${headMultiple} heads)`,
    },
    { field: path('headDim'), value: s.headDim, reason: headDim === 128 ? 'head dimension 128 (LLaMA, Mistral, GPT-3 175B)' : 'head dimension 64 for small models (GPT-3 Small/Medium, Llama 3.2 1B)' },
    { field: path('attentionHeads'), value: s.attentionHeads, reason: 'hiddenSize / headDim' },
    { field: path('kvHeads'), value: s.kvHeads, reason: 'grouped-query attention with up to 8 key/value heads (Llama 2 70B, Llama 3)' },
    {
      field: path('ffnHiddenSize'),
      value: s.ffnHiddenSize,
      reason: best.ffnAdjusted
        ? 'SwiGLU MLP near 3.5·h (Llama 3), adjusted within [3h, 4h] to match the requested size'
        : 'SwiGLU MLP 3.5·h rounded to a multiple of 256 (Llama 3 8B/70B)',
    },
    { field: path('gatedMlp'), value: true, reason: 'SwiGLU, as in every recent open dense model' },
    {
      field: path('vocabSize'),
      value: s.vocabSize,
      reason: best.smallVocab
        ? `Llama 2 vocabulary: a ${DEFAULT_VOCAB}-token embedding would exceed ${MAX_EMBEDDING_SHARE * 100}% of the model`
        : 'Llama 3 tokenizer vocabulary',
    },
    {
      field: path('tiedEmbeddings'),
      value: s.tiedEmbeddings,
      reason: s.tiedEmbeddings ? 'small models tie input embedding and LM head (Llama 3.2 1B/3B)' : 'models from 5B up keep a separate LM head (Llama 3)',
    },
    {
      field: path('layers'),
      value: s.layers,
      reason: `layers to reach the requested size: ${formatCount(counted)} parameters counted for ${formatCount(n)} requested`,
    },
  ];
  return { shape: s, assumptions };
}

function formatCount(n: number): string {
  return n >= 1e12 ? `${(n / 1e12).toFixed(3)}T` : n >= 1e9 ? `${(n / 1e9).toFixed(2)}B` : `${(n / 1e6).toFixed(1)}M`;
}

// ---------------------------------------------------------------------------------------------
// Shape checks

export interface ShapeProblem {
  /** JSON Pointer relative to the architecture object, e.g. '/kvHeads', '/moe/activeExperts' */
  path: string;
  message: string;
}

/** headDim·attentionHeads outside [h/4, 4h] is not a transformer anyone trains (PaLM 0.67h, Gemma 7B 1.33h). */
const MAX_ATTENTION_WIDTH_RATIO = 4;

/** Problems that make a shape inconsistent; empty when it is usable. */
export function shapeProblems(shape: ModelShapeWithMla): ShapeProblem[] {
  const problems: ShapeProblem[] = [];
  const positiveInteger = (path: string, v: unknown, min = 1): boolean => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      problems.push({ path, message: min === 0 ? 'must be a non-negative integer' : 'must be a positive integer' });
      return false;
    }
    return true;
  };
  const okLayers = positiveInteger('/layers', shape.layers);
  const okHidden = positiveInteger('/hiddenSize', shape.hiddenSize);
  const okHeads = positiveInteger('/attentionHeads', shape.attentionHeads);
  const okKv = positiveInteger('/kvHeads', shape.kvHeads);
  const okHeadDim = positiveInteger('/headDim', shape.headDim);
  positiveInteger('/ffnHiddenSize', shape.ffnHiddenSize);
  positiveInteger('/vocabSize', shape.vocabSize);

  if (okHeads && okKv) {
    if (shape.kvHeads > shape.attentionHeads) {
      problems.push({ path: '/kvHeads', message: `kvHeads (${shape.kvHeads}) must not exceed attentionHeads (${shape.attentionHeads})` });
    } else if (shape.attentionHeads % shape.kvHeads !== 0) {
      problems.push({ path: '/kvHeads', message: `kvHeads (${shape.kvHeads}) must divide attentionHeads (${shape.attentionHeads})` });
    }
  }
  if (okHeads && okHeadDim && okHidden && !shape.mla) {
    const width = shape.attentionHeads * shape.headDim;
    const ratio = width / shape.hiddenSize;
    if (ratio > MAX_ATTENTION_WIDTH_RATIO || ratio < 1 / MAX_ATTENTION_WIDTH_RATIO) {
      problems.push({
        path: '/headDim',
        message: `attentionHeads × headDim = ${width} is ${ratio >= 1 ? `${ratio.toFixed(1)}×` : `1/${(1 / ratio).toFixed(1)} of`} hiddenSize (${shape.hiddenSize}); expected within ${MAX_ATTENTION_WIDTH_RATIO}× either way (usually equal)`,
      });
    }
  }

  if (shape.moe) {
    const m = shape.moe;
    const okExperts = positiveInteger('/moe/experts', m.experts);
    const okActive = positiveInteger('/moe/activeExperts', m.activeExperts);
    positiveInteger('/moe/expertFfnHiddenSize', m.expertFfnHiddenSize);
    positiveInteger('/moe/sharedExperts', m.sharedExperts, 0);
    const okDense = positiveInteger('/moe/denseLayers', m.denseLayers, 0);
    if (okExperts && okActive && m.activeExperts > m.experts) {
      problems.push({ path: '/moe/activeExperts', message: `activeExperts (${m.activeExperts}) must not exceed experts (${m.experts})` });
    }
    if (okDense && okLayers && m.denseLayers >= shape.layers) {
      problems.push({
        path: '/moe/denseLayers',
        message: `denseLayers (${m.denseLayers}) must be fewer than layers (${shape.layers}), or the model has no MoE layer`,
      });
    }
  }

  if (shape.mla) {
    positiveInteger('/mla/qLoraRank', shape.mla.qLoraRank, 0);
    positiveInteger('/mla/kvLoraRank', shape.mla.kvLoraRank);
    positiveInteger('/mla/qkNopeHeadDim', shape.mla.qkNopeHeadDim, 0);
    positiveInteger('/mla/qkRopeHeadDim', shape.mla.qkRopeHeadDim, 0);
    positiveInteger('/mla/vHeadDim', shape.mla.vHeadDim);
  }
  return problems;
}
