// Training compute. One convention is THE convention (what MFU divides by); the others that users
// meet in papers and calculators are returned beside it so numbers can be compared.
//
// Model FLOPs per token (Korthikanti 2022 App. A Eq. 7; Narayanan 2021; PaLM 2022 App. B):
//   6 · (active matmul parameters: transformer weights a token touches + LM head V·h)
//   + attention scores, non-causal: per layer 2·s·a·d (QKᵀ) + 2·s·a·d (softmax·V) forward, ×3 with backward
// The input-embedding lookup is a gather, not a matmul; norms and softmax are not counted (MLA's two small
// internal norms, qLoraRank + kvLoraRank weights per layer, stay in the matmul count: < 0.001%).
// Hardware FLOPs add what recomputation runs again (HFU); model FLOPs never do.
import type { ModelShape, ParameterCounts, RecomputeMode, TrainingSetup } from '../core/index.js';
import { attentionHeadDims, normParametersPerLayer, type ModelShapeWithMla } from './parameters.js';

export interface FlopsConventions {
  /** 6·N·D with N = all active parameters including the input embedding (Kaplan 2020; GPT-3 Table D.1) */
  sixND: number;
  /** 6·N·D + non-causal attention scores 12·L·s·a·d per token (PaLM App. B "6N + 12LHQT") */
  sixNDPlusAttention: number;
  /** 6·N·D + attention scores halved for the causal mask (6·L·s·a·d per token) */
  sixNDPlusCausalAttention: number;
  /** Narayanan 2021 Eq. 3, 96·B·s·l·h²·(1 + s/(6h) + V/(16·l·h)) per iteration, i.e. with full recomputation.
   * Generalised to any shape as 8·(transformer matmul weights) + 16·L·s·a·d + 6·V·h per token, which equals the
   * printed formula for GPT shapes (MHA, MLP 4h; see megatronEq3FlopsPerToken) */
  megatronEq3: number;
}

export interface FlopsEstimate {
  /** model FLOPs per training token (the MFU convention) */
  perToken: number;
  /** model FLOPs of the whole run: perToken × training tokens */
  total: number;
  /** what `total` counts, in one sentence */
  convention: string;
  /** 6 · activeParameters · tokens: the classic estimate, for comparison */
  sixNDTotal: number;
  /** totals over the run under other published conventions */
  conventions: FlopsConventions;
  /** non-causal attention-score FLOPs per token (forward + backward), included in perToken */
  attentionFlopsPerToken: number;
  /** FLOPs the hardware executes over the run (HFU numerator) for each recomputation mode */
  hardwareTotalByRecompute: Record<RecomputeMode, number>;
}

export const MODEL_FLOPS_CONVENTION =
  'Model FLOPs: 6 × active matmul parameters (transformer weights a token uses + LM head; the embedding lookup is not a matmul) ' +
  '+ non-causal attention scores 12·L·s·heads·headDim per token (Korthikanti 2022 Eq. 7, PaLM App. B), times training tokens. ' +
  'This is what MFU divides by; activation recomputation is not counted (see hardwareTotalByRecompute).';

/**
 * Parameters that take part in a matmul for one token: active transformer weights (norms excluded)
 * + the LM head V·h, which is a matmul even when tied to the input embedding.
 */
export function activeMatmulParameters(shape: ModelShape, counts: ParameterCounts): number {
  const norms = shape.layers * normParametersPerLayer(shape) + shape.hiddenSize; // per-layer norms + final norm
  const activeTransformer = counts.activeParameters - counts.embeddingParameters - counts.lmHeadParameters;
  return activeTransformer - norms + shape.vocabSize * shape.hiddenSize;
}

/**
 * Attention-score FLOPs per token, forward + backward: per layer 2·s·a·d_qk (QKᵀ) + 2·s·a·d_v (A·V)
 * forward, ×3 with backward (Korthikanti 2022 Eq. 7 term 12·s·h per layer when d = h/a); halved when causal.
 */
export function attentionFlopsPerToken(shape: ModelShapeWithMla, sequenceLength: number, causal = false): number {
  const { qk, v } = attentionHeadDims(shape);
  const s = sequenceLength;
  const nonCausal = 6 * shape.layers * s * shape.attentionHeads * (qk + v);
  return causal ? nonCausal / 2 : nonCausal;
}

/** Model FLOPs per token, the MFU convention (Korthikanti 2022 Eq. 7 generalised to GQA, gated MLP, MoE). */
export function modelFlopsPerToken(shape: ModelShape, counts: ParameterCounts, sequenceLength: number): number {
  return 6 * activeMatmulParameters(shape, counts) + attentionFlopsPerToken(shape, sequenceLength);
}

/**
 * FLOPs the hardware executes per token (HFU numerator):
 * - none: model FLOPs.
 * - selective: + the forward of the attention core again (QKᵀ and A·V, a third of the attention term;
 *   Korthikanti 2022 Sec. 4.3). Note: their Eq. 8 writes s/(3h), i.e. adds the whole attention term
 *   (forward + backward) once more; see korthikantiEq8HardwareFlopsPerToken.
 * - full: + the forward of every transformer layer again: 2·(active transformer matmul weights) + the
 *   attention forward; the LM head is not recomputed (Narayanan 2021 Eq. 3: 96 = 4 passes × 24, V/(16lh)).
 */
export function hardwareFlopsPerToken(
  shape: ModelShape,
  counts: ParameterCounts,
  sequenceLength: number,
  recompute: RecomputeMode,
): number {
  const model = modelFlopsPerToken(shape, counts, sequenceLength);
  const attentionForward = attentionFlopsPerToken(shape, sequenceLength) / 3;
  switch (recompute) {
    case 'none':
      return model;
    case 'selective':
      return model + attentionForward;
    case 'full': {
      const transformerMatmul = activeMatmulParameters(shape, counts) - shape.vocabSize * shape.hiddenSize;
      return model + 2 * transformerMatmul + attentionForward;
    }
  }
}

/**
 * Korthikanti 2022 App. A Eq. 8 as printed, per token: 72·L·h²·(1 + s/(3h) + V/(12·h·L)). Their published
 * HFU uses it; it counts the attention term twice (forward + backward again), 3× the forward that
 * selective recomputation actually re-runs. GPT shape only (MHA, MLP 4h); for comparison with papers.
 */
export function korthikantiEq8HardwareFlopsPerToken(shape: ModelShape, sequenceLength: number): number {
  const { layers: L, hiddenSize: h, vocabSize: V } = shape;
  const s = sequenceLength;
  return 72 * L * h * h * (1 + s / (3 * h) + V / (12 * h * L));
}

/**
 * Narayanan 2021 Eq. 3 as printed, per token: 96·l·h²·(1 + s/(6h) + V/(16·l·h)) (with full recomputation).
 * Assumes a GPT shape (12h² weights per layer, MHA); meaningless for MoE. For comparison with papers.
 */
export function megatronEq3FlopsPerToken(shape: ModelShape, sequenceLength: number): number {
  const { layers: l, hiddenSize: h, vocabSize: V } = shape;
  const s = sequenceLength;
  return 96 * l * h * h * (1 + s / (6 * h) + V / (16 * l * h));
}

/** Training compute of a run, THE convention and the others side by side. */
export function trainingFlops(shape: ModelShape, counts: ParameterCounts, training: TrainingSetup): FlopsEstimate {
  const D = training.tokens;
  const s = training.sequenceLength;
  const perToken = modelFlopsPerToken(shape, counts, s);
  const attention = attentionFlopsPerToken(shape, s);
  const sixN = 6 * counts.activeParameters; // Kaplan 2020 Sec. 2.1: C ≈ 6·N per token
  return {
    perToken,
    total: perToken * D,
    convention: MODEL_FLOPS_CONVENTION,
    sixNDTotal: sixN * D,
    conventions: {
      sixND: sixN * D,
      sixNDPlusAttention: (sixN + attention) * D,
      sixNDPlusCausalAttention: (sixN + attentionFlopsPerToken(shape, s, true)) * D,
      megatronEq3: hardwareFlopsPerToken(shape, counts, s, 'full') * D,
    },
    attentionFlopsPerToken: attention,
    hardwareTotalByRecompute: {
      none: hardwareFlopsPerToken(shape, counts, s, 'none') * D,
      selective: hardwareFlopsPerToken(shape, counts, s, 'selective') * D,
      full: hardwareFlopsPerToken(shape, counts, s, 'full') * D,
    },
  };
}
