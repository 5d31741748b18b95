// Activation memory of one transformer layer, as a per-operation sum (the Calculon approach):
// every tensor each op keeps for its backward pass, with its dtype size and how it is sharded.
// Reproduces Korthikanti et al. 2022 ("Reducing Activation Recomputation in Large Transformer
// Models", arXiv 2205.05198) Sec. 4 Eq. (1)-(4) and Table 2 exactly for GPT layers
// (4h GeLU MLP, dropout on, no flash attention), and generalises to GQA, headDim ≠ h/a,
// gated MLPs, MoE layers, flash attention and context parallelism.
import type { ModelShape, ParallelLayout, Precision, RecomputeMode, TrainingSetup } from '../core/index.js';
import type { StageSplit } from '../layouts/index.js';

/** Modelling choices that are not part of the layout. Every field is optional; defaults below. */
export interface MemoryOptions {
  /**
   * Flash-attention-style kernel (FlashAttention, cuDNN fused attention, PyTorch SDPA flash):
   * keeps only Q, K, V, the output and an fp32 log-sum-exp per row, never the s×s scores.
   * Default true: every current training stack (Megatron-Core/TE, torchtitan, DeepSpeed) uses it.
   * Set false to reproduce Korthikanti et al. 2022, whose 5·a·s/h term is the stored scores.
   */
  flashAttention?: boolean;
  /**
   * Dropout on attention probabilities and on the two residual branches (1-byte masks).
   * Default false: Llama/Mistral/DeepSeek-style pre-training uses no dropout. Korthikanti's GPT
   * runs (and Megatron-LM's GPT defaults, hidden/attention dropout 0.1) have it on.
   */
  dropout?: boolean;
  /**
   * What 'selective' recomputation keeps.
   * 'attention-core' (default): Korthikanti Sec. 4.3 / Megatron --recompute-granularity selective:
   *   drop the attention core (QKᵀ scores, softmax, softmax dropout, attention over V), keep the rest.
   * 'save-matmuls': torchtitan's op-level selective AC (selective_ac_option='op'): keep the layer
   *   input, the outputs of every other matmul (wq, wv, w1, and w2 for gated MLPs) and of the
   *   attention kernel; recompute norms, activations, RoPE and the other matmuls.
   */
  selectivePolicy?: 'attention-core' | 'save-matmuls';
  /**
   * Bytes per logit the loss keeps at its peak on the last stage (elements s·b·V/t).
   * 'fp32-logits' (default, 4): Megatron's vocab-parallel cross-entropy keeps one fp32 softmax and
   *   writes the gradient in place (Korthikanti "4sbv/t" term).
   * 'fused' (2): a fused kernel keeps only the 16-bit logits (gradient written in place).
   * 'unfused' (12): PyTorch F.cross_entropy(logits.float()): the fp32 log-softmax output, its
   *   incoming gradient and its input gradient are alive together during the loss backward.
   */
  crossEntropy?: 'fp32-logits' | 'fused' | 'unfused';
  /**
   * Megatron's deallocate_pipeline_outputs (Korthikanti App. B): a stage frees the data of the
   * output tensors it has sent. Default true. False keeps 2·s·b·h (/t with SP) per in-flight
   * micro-batch on every non-last stage.
   */
  deallocatePipelineOutputs?: boolean;
  /**
   * Mixed-precision gradients held in fp32 (Megatron-LM main_grad buffers, the default for bf16
   * there: 18 bytes/parameter with Adam). Default false: the ZeRO paper's 2-byte gradients.
   */
  fp32Gradients?: boolean;
  /**
   * Fused norm and activation kernels (Megatron / Transformer Engine). Default true. False counts what
   * PyTorch autograd saves for eager modules (measured: scripts/measure-saved-tensors.py): a hand-written
   * RMSNorm keeps its fp32 copy, the fp32 square and 1/rms besides the normalised tensor; an eager
   * SwiGLU keeps silu(gate) besides gate and up; with flashAttention false, the eager attention keeps
   * the fp32 softmax besides its 16-bit copy, and K and V repeated to every query head (repeat_kv).
   */
  fusedKernels?: boolean;
  /** How layers split over pipeline chunks (layouts/rules.ts StageSplit). Default 'even'. */
  stageSplit?: StageSplit;
  /** Caching-allocator fragmentation as a fraction of the dynamic part. Default 0.10. */
  fragmentationFraction?: number;
}

/** The documented defaults of {@link MemoryOptions}. */
export const DEFAULT_MEMORY_OPTIONS: Readonly<Required<MemoryOptions>> = Object.freeze({
  flashAttention: true,
  dropout: false,
  selectivePolicy: 'attention-core',
  crossEntropy: 'fp32-logits',
  deallocatePipelineOutputs: true,
  fp32Gradients: false,
  fusedKernels: true,
  stageSplit: 'even',
  fragmentationFraction: 0.1,
});

/** Element counts a saved tensor can have (per layer, per micro-batch, before sharding). */
type Dim =
  | 'h' // s·b·h
  | 'q' // s·b·a·headDim
  | 'kv' // s·b·kvHeads·headDim
  | 'v' // s·b·kvHeads·headDim (MLA: s·b·a·vHeadDim, values per head after the up-projection)
  | 'attnOut' // s·b·a·headDim (MLA: s·b·a·vHeadDim): the attention output
  | 'mlaQ' // MLA: s·b·qLoraRank, the query latent
  | 'mlaKv' // MLA: s·b·kvLoraRank, the key/value latent
  | 'qMinusKv' // s·b·(a − kvHeads)·headDim: what repeat_kv adds to K or V (0 with MLA)
  | 'tokens' // s·b (one fp32 statistic per token)
  | 'f' // s·b·ffnHiddenSize
  | 'scores' // a·b·s·s (per query head)
  | 'heads' // a·s·b (one fp32 statistic per row)
  | 'routedH' // k·s·b·h (top-k copies of each token)
  | 'routedF' // k·s·b·expertFfnHiddenSize
  | 'sharedF' // s·b·sharedExperts·expertFfnHiddenSize
  | 'experts'; // s·b·E
/** 'act' = activation dtype (2 bytes for 16-bit training, 4 for fp32), 'mask' = 1-byte dropout mask, 'fp32' = 4 bytes. */
type Dtype = 'act' | 'mask' | 'fp32';
/**
 * 'tp': split across the tensor-parallel group (tensor-parallel regions, Korthikanti Sec. 4.2.1);
 * 'sp': split across it only with sequence parallelism (layernorm/dropout regions, Sec. 4.2.2);
 * 'none': replicated on every tensor-parallel rank.
 * Every tensor is split by context parallelism (the sequence is split into s/c).
 */
type Shard = 'tp' | 'sp' | 'none';
/** Which layers hold the tensor: 'any' (attention and norms), 'dense' MLP layers, 'moe' layers. */
type Block = 'any' | 'dense' | 'moe';
type When = 'always' | 'dropout' | 'nonflash' | 'nonflashDropout' | 'flash' | 'eager' | 'eagerNonflash';

export interface SavedTensor {
  op: string;
  tensor: string;
  dtype: Dtype;
  dim: Dim;
  /** multiplier on dim for a plain (GeLU) MLP */
  plainMult: number;
  /** multiplier on dim for a gated (SwiGLU/GeGLU) MLP */
  gatedMult: number;
  shard: Shard;
  when: When;
  block: Block;
  /** the attention core that Korthikanti's selective recomputation drops */
  attentionCore: boolean;
  /** the layer input: the only tensor full recomputation keeps */
  layerInput: boolean;
}

function entry(
  op: string, tensor: string, dtype: Dtype, dim: Dim, shard: Shard,
  extra: Partial<Pick<SavedTensor, 'plainMult' | 'gatedMult' | 'when' | 'block' | 'attentionCore' | 'layerInput'>> = {},
): SavedTensor {
  return {
    op, tensor, dtype, dim, shard,
    plainMult: extra.plainMult ?? 1, gatedMult: extra.gatedMult ?? extra.plainMult ?? 1,
    when: extra.when ?? 'always', block: extra.block ?? 'any',
    attentionCore: extra.attentionCore ?? false, layerInput: extra.layerInput ?? false,
  };
}

/** The tensors an eager RMSNorm keeps beyond the normalised 16-bit tensor (gated-MLP, i.e. Llama-family, shapes only). */
function eagerRmsNormRows(op: string): SavedTensor[] {
  const eager = { when: 'eager', plainMult: 0, gatedMult: 1 } as const;
  return [
    entry(op, 'fp32 copy of the input', 'fp32', 'h', 'sp', eager),
    entry(op, 'fp32 square of the input', 'fp32', 'h', 'sp', eager),
    entry(op, '1/rms per token (fp32)', 'fp32', 'tokens', 'sp', eager),
  ];
}

/**
 * Every tensor a transformer layer keeps for backward (no recomputation).
 * GPT check (Korthikanti Eq. 1, units of s·b·h bytes): attention 2+2+2+2+2+2+1 = 11 plus 5·a·s/h
 * (scores 2 + mask 1 + dropout output 2), MLP 2+8+8+1 = 19, two layernorms 2+2 = 4: total 34.
 * Residual adds keep nothing (the backward of an add needs no input), so they have no row.
 */
export const ACTIVATION_TENSORS: readonly SavedTensor[] = Object.freeze([
  // Korthikanti Sec. 4.1: layernorm keeps its input, 2sbh (also the layer input full recompute keeps)
  entry('input layernorm', 'input (layer input)', 'act', 'h', 'sp', { layerInput: true }),
  // eager RMSNorm (HF LlamaRMSNorm: x.float(), pow(2).mean, rsqrt, multiply, cast back, × weight; Llama-family
  // shapes, i.e. gated MLPs): autograd keeps the fp32 copy, the fp32 square (PyTorch 1.13's mean keeps its
  // input) and 1/rms per token; the 16-bit normalised tensor takes the place of the input above (same size)
  ...eagerRmsNormRows('input RMSNorm (eager)'),
  // QKV projection keeps its input (the layernorm output), 2sbh; replicated across t unless SP
  entry('QKV projection', 'input (layernorm output)', 'act', 'h', 'sp'),
  // MLA (DeepSeek-V3 modeling code, Megatron-Core MLASelfAttention): the query and key/value latents
  // pass a norm (keeps its input) into the up-projection (keeps the normalised latent); not split over t
  entry('MLA query latent norm', 'input (q_a_proj output)', 'act', 'mlaQ', 'sp'),
  entry('MLA query up-projection', 'input (normalised latent)', 'act', 'mlaQ', 'sp'),
  entry('MLA key/value latent norm', 'input (kv_a_proj output)', 'act', 'mlaKv', 'sp'),
  entry('MLA key/value up-projection', 'input (normalised latent)', 'act', 'mlaKv', 'sp'),
  // Q·Kᵀ keeps Q and K: 4sbh for MHA; K is kvHeads·headDim wide under GQA
  entry('Q·Kᵀ', 'Q', 'act', 'q', 'tp'),
  entry('Q·Kᵀ', 'K', 'act', 'kv', 'tp'),
  // softmax keeps its output, 2as²b
  entry('softmax', 'output (probabilities)', 'act', 'scores', 'tp', { when: 'nonflash', attentionCore: true }),
  // eager attention (HF eager_attention_forward): softmax in fp32, then cast; both are kept (4 + 2 bytes per score),
  // and repeat_kv materialises K and V at every query head for the two matmuls
  entry('softmax (eager, fp32)', 'fp32 probabilities (before the cast)', 'fp32', 'scores', 'tp', { when: 'eagerNonflash', attentionCore: true }),
  entry('Q·Kᵀ (eager)', 'K repeated to every query head (repeat_kv), beyond K', 'act', 'qMinusKv', 'tp', { when: 'eagerNonflash', attentionCore: true }),
  entry('attention over V (eager)', 'V repeated to every query head (repeat_kv), beyond V', 'act', 'qMinusKv', 'tp', { when: 'eagerNonflash', attentionCore: true }),
  // softmax dropout keeps a mask, as²b
  entry('softmax dropout', 'mask', 'mask', 'scores', 'tp', { when: 'nonflashDropout', attentionCore: true }),
  // attention over V keeps the dropout output 2as²b (without dropout it reuses the softmax output)
  entry('attention over V', 'dropout output', 'act', 'scores', 'tp', { when: 'nonflashDropout', attentionCore: true }),
  // attention over V keeps V, 2sbh (kvHeads·headDim wide under GQA)
  entry('attention over V', 'V', 'act', 'v', 'tp'),
  // FlashAttention-2 (Dao 2023, Alg. 1): output O and the fp32 log-sum-exp L per row; O is the output projection's input below
  entry('flash attention', 'log-sum-exp (fp32)', 'fp32', 'heads', 'tp', { when: 'flash', attentionCore: true }),
  // output projection keeps its input, 2sbh (a·headDim wide)
  entry('output projection', 'input (attention output)', 'act', 'attnOut', 'tp'),
  // attention residual dropout keeps a mask, sbh
  entry('attention dropout', 'mask', 'mask', 'h', 'sp', { when: 'dropout' }),
  // post-attention layernorm keeps its input, 2sbh
  entry('post-attention layernorm', 'input', 'act', 'h', 'sp'),
  ...eagerRmsNormRows('post-attention RMSNorm (eager)'),
  // dense MLP up (and gate) projection keeps its input, 2sbh
  entry('MLP up/gate projection', 'input (layernorm output)', 'act', 'h', 'sp', { block: 'dense' }),
  // GeLU keeps its input 2sbf (=8sbh for f=4h); fused SwiGLU (Megatron bias_swiglu) keeps gate and up, 4sbf
  entry('MLP activation (GeLU / SwiGLU)', 'input (up-projection output; gate+up when gated)', 'act', 'f', 'tp', { block: 'dense', plainMult: 1, gatedMult: 2 }),
  // eager SwiGLU (HF LlamaMLP down(silu(gate(x)) * up(x))): the product keeps silu(gate) as well; eager GeLU keeps what the fused one does
  entry('MLP activation (eager SwiGLU)', 'silu(gate) output', 'act', 'f', 'tp', { block: 'dense', plainMult: 0, gatedMult: 1, when: 'eager' }),
  // down projection keeps its input, 2sbf (=8sbh for f=4h)
  entry('MLP down projection', 'input (activation output)', 'act', 'f', 'tp', { block: 'dense' }),
  // MoE router keeps its input (the layernorm output, shared with the shared experts), 2sbh
  entry('MoE router', 'input (layernorm output)', 'act', 'h', 'sp', { block: 'moe' }),
  // router softmax/top-k keeps fp32 probabilities, 4·s·b·E (Megatron-Core computes routing in fp32)
  entry('MoE router', 'probabilities (fp32)', 'fp32', 'experts', 'sp', { block: 'moe' }),
  // token dispatch: each token copied to its top-k experts; with expert-tensor-parallel = t the
  // dispatched tokens are all-gathered over the tensor group, so replicated across t (Megatron-Core alltoall dispatcher)
  entry('expert up/gate projection', 'input (dispatched tokens, top-k copies)', 'act', 'routedH', 'none', { block: 'moe' }),
  entry('expert activation', 'input (gate+up when gated)', 'act', 'routedF', 'tp', { block: 'moe', plainMult: 1, gatedMult: 2 }),
  entry('expert activation (eager SwiGLU)', 'silu(gate) output', 'act', 'routedF', 'tp', { block: 'moe', plainMult: 0, gatedMult: 1, when: 'eager' }),
  entry('expert down projection', 'input (activation output)', 'act', 'routedF', 'tp', { block: 'moe' }),
  // combine weighted by the router probabilities keeps the expert outputs for the probabilities' gradient
  entry('expert combine', 'expert outputs (top-k copies)', 'act', 'routedH', 'sp', { block: 'moe' }),
  entry('shared-expert activation', 'input (gate+up when gated)', 'act', 'sharedF', 'tp', { block: 'moe', plainMult: 1, gatedMult: 2 }),
  entry('shared-expert activation (eager SwiGLU)', 'silu(gate) output', 'act', 'sharedF', 'tp', { block: 'moe', plainMult: 0, gatedMult: 1, when: 'eager' }),
  entry('shared-expert down projection', 'input (activation output)', 'act', 'sharedF', 'tp', { block: 'moe' }),
  // MLP residual dropout keeps a mask, sbh
  entry('MLP dropout', 'mask', 'mask', 'h', 'sp', { when: 'dropout' }),
]);

/**
 * What torchtitan's op-level selective AC keeps (torchtitan parallelize_llama.py, _save_list =
 * {aten.mm, SDPA flash/efficient, reduce_scatter}, "save every other mm"): per layer the mm order
 * is wq, wk, wv, wo, w1, (w3,) w2 — so wq, wv, w1 (and w2 when gated) are kept, plus the layer input
 * and the attention kernel's output and log-sum-exp. MoE layers keep the router matmul output only
 * (an approximation: grouped expert GEMMs were not in the save list).
 */
export const OP_SAC_TENSORS: readonly SavedTensor[] = Object.freeze([
  entry('input layernorm', 'input (layer input)', 'act', 'h', 'sp', { layerInput: true }),
  entry('Q projection', 'output (mm 1)', 'act', 'q', 'tp'),
  entry('V projection', 'output (mm 3)', 'act', 'v', 'tp'),
  entry('attention kernel', 'output', 'act', 'attnOut', 'tp'),
  entry('attention kernel', 'log-sum-exp (fp32)', 'fp32', 'heads', 'tp'),
  entry('MLP gate/up projection', 'output (mm 5)', 'act', 'f', 'tp', { block: 'dense' }),
  entry('MLP down projection', 'output (mm 7, gated only)', 'act', 'h', 'sp', { block: 'dense', plainMult: 0, gatedMult: 1 }),
  entry('MoE router', 'logits (mm 5)', 'act', 'experts', 'sp', { block: 'moe' }),
]);

/** Bytes per element of a 16-bit/32-bit activation for the training precision (fp8 stacks keep 16-bit activations between layers). */
export function activationElementBytes(precision: Precision): number {
  return precision === 'fp32' ? 4 : 2;
}

/** The layer-level inputs the per-layer sum needs, already normalised. */
export interface LayerActivationContext {
  s: number; // full sequence length
  b: number; // micro-batch size
  t: number; // tensor-parallel degree
  c: number; // context-parallel degree
  sp: boolean; // sequence parallelism
  actBytes: number; // bytes per 16-bit (or fp32) activation element
  flash: boolean;
  dropout: boolean;
  /** fused norm / activation kernels; false = eager PyTorch modules */
  fused: boolean;
}

function elements(shape: ModelShape, ctx: LayerActivationContext, dim: Dim): number {
  const sl = ctx.s / ctx.c; // context parallelism splits the sequence (Megatron-Core CP)
  const n = sl * ctx.b; // tokens of one micro-batch on this GPU
  const moe = shape.moe;
  const mla = shape.mla;
  switch (dim) {
    case 'h': return n * shape.hiddenSize;
    // MLA (DeepSeek-V2 Sec. 2.1.2): after the up-projections every head has its own qk (nope + rope) keys and v values
    case 'q': return mla ? n * shape.attentionHeads * (mla.qkNopeHeadDim + mla.qkRopeHeadDim) : n * shape.attentionHeads * shape.headDim;
    case 'kv': return mla ? n * shape.attentionHeads * (mla.qkNopeHeadDim + mla.qkRopeHeadDim) : n * shape.kvHeads * shape.headDim;
    case 'v': return mla ? n * shape.attentionHeads * mla.vHeadDim : n * shape.kvHeads * shape.headDim;
    case 'attnOut': return mla ? n * shape.attentionHeads * mla.vHeadDim : n * shape.attentionHeads * shape.headDim;
    case 'mlaQ': return mla ? n * mla.qLoraRank : 0;
    case 'mlaKv': return mla ? n * mla.kvLoraRank : 0;
    case 'qMinusKv': return mla ? 0 : n * (shape.attentionHeads - shape.kvHeads) * shape.headDim;
    case 'tokens': return n;
    case 'f': return n * shape.ffnHiddenSize;
    // local queries against the whole sequence's keys: a·b·(s/c)·s (= a·s²·b for c = 1)
    case 'scores': return shape.attentionHeads * ctx.b * sl * ctx.s;
    case 'heads': return n * shape.attentionHeads;
    case 'routedH': return moe ? moe.activeExperts * n * shape.hiddenSize : 0;
    case 'routedF': return moe ? moe.activeExperts * n * moe.expertFfnHiddenSize : 0;
    case 'sharedF': return moe ? moe.sharedExperts * n * moe.expertFfnHiddenSize : 0;
    case 'experts': return moe ? n * moe.experts : 0;
  }
}

function applies(e: SavedTensor, moeLayer: boolean, ctx: LayerActivationContext): boolean {
  if (e.block === 'dense' && moeLayer) return false;
  if (e.block === 'moe' && !moeLayer) return false;
  switch (e.when) {
    case 'always': return true;
    case 'dropout': return ctx.dropout;
    case 'nonflash': return !ctx.flash;
    case 'nonflashDropout': return !ctx.flash && ctx.dropout;
    case 'flash': return ctx.flash;
    case 'eager': return !ctx.fused;
    case 'eagerNonflash': return !ctx.fused && !ctx.flash;
  }
}

function tensorBytes(e: SavedTensor, shape: ModelShape, ctx: LayerActivationContext): number {
  const bytesPerElement = e.dtype === 'act' ? ctx.actBytes : e.dtype === 'mask' ? 1 : 4;
  const mult = shape.gatedMlp ? e.gatedMult : e.plainMult;
  const div = e.shard === 'tp' ? ctx.t : e.shard === 'sp' && ctx.sp ? ctx.t : 1;
  return (bytesPerElement * mult * elements(shape, ctx, e.dim)) / div;
}

function kept(e: SavedTensor, recompute: RecomputeMode): boolean {
  if (recompute === 'full') return e.layerInput; // Korthikanti Sec. 4.3: full recompute keeps the layer input only
  if (recompute === 'selective') return !e.attentionCore; // Korthikanti Sec. 4.3 selective: drop the attention core
  return true;
}

/**
 * Bytes one layer keeps for backward, one micro-batch, one GPU. No allocation: loops a static table.
 * moeLayer selects the MoE block instead of the dense MLP.
 */
export function layerActivationBytes(
  shape: ModelShape, ctx: LayerActivationContext, recompute: RecomputeMode, moeLayer: boolean,
  selectivePolicy: 'attention-core' | 'save-matmuls' = 'attention-core',
): number {
  const table = recompute === 'selective' && selectivePolicy === 'save-matmuls' ? OP_SAC_TENSORS : ACTIVATION_TENSORS;
  const mode: RecomputeMode = table === OP_SAC_TENSORS ? 'none' : recompute;
  let total = 0;
  for (const e of table) {
    if (!applies(e, moeLayer, ctx) || !kept(e, mode)) continue;
    total += tensorBytes(e, shape, ctx);
  }
  return total;
}

/** Build the per-layer context from the public inputs (fills `out` when given, so a hot loop allocates nothing). */
export function layerActivationContext(
  training: TrainingSetup, layout: ParallelLayout, options?: MemoryOptions, out?: LayerActivationContext,
): LayerActivationContext {
  const ctx = out ?? { s: 0, b: 1, t: 1, c: 1, sp: false, actBytes: 2, flash: true, dropout: false, fused: true };
  ctx.s = training.sequenceLength;
  ctx.b = Math.max(1, layout.microBatchSize);
  ctx.t = Math.max(1, layout.tensor);
  ctx.c = Math.max(1, layout.context);
  ctx.sp = layout.sequenceParallel;
  ctx.actBytes = activationElementBytes(training.precision);
  ctx.flash = options?.flashAttention ?? DEFAULT_MEMORY_OPTIONS.flashAttention;
  ctx.dropout = options?.dropout ?? DEFAULT_MEMORY_OPTIONS.dropout;
  ctx.fused = options?.fusedKernels ?? DEFAULT_MEMORY_OPTIONS.fusedKernels;
  return ctx;
}

/** True when the shape's typical layer is an MoE layer. */
export function hasMoeLayers(shape: ModelShape): boolean {
  return shape.moe !== undefined && shape.moe.experts > 0 && shape.moe.denseLayers < shape.layers;
}

/**
 * Activation bytes of one transformer layer for one micro-batch on one GPU, in the layout's
 * recomputation mode (Korthikanti 2022 Sec. 4, per-operation sum). For MoE shapes this is an MoE
 * layer; {@link activationBytesPerLayerByKind} gives both kinds.
 */
export function activationBytesPerLayer(
  shape: ModelShape, training: TrainingSetup, layout: ParallelLayout, options?: MemoryOptions,
): number {
  const ctx = layerActivationContext(training, layout, options);
  return layerActivationBytes(shape, ctx, layout.recompute, hasMoeLayers(shape), options?.selectivePolicy);
}

/** Dense-layer and MoE-layer activation bytes (one layer, one micro-batch, one GPU). */
export function activationBytesPerLayerByKind(
  shape: ModelShape, training: TrainingSetup, layout: ParallelLayout, options?: MemoryOptions,
): { denseBytes: number; moeBytes: number } {
  const ctx = layerActivationContext(training, layout, options);
  return {
    denseBytes: layerActivationBytes(shape, ctx, layout.recompute, false, options?.selectivePolicy),
    moeBytes: shape.moe ? layerActivationBytes(shape, ctx, layout.recompute, true, options?.selectivePolicy) : 0,
  };
}

/** One row of the per-operation breakdown (for explaining where a layer's memory goes). */
export interface ActivationTensorRow {
  op: string;
  tensor: string;
  bytesPerElement: number;
  sharding: string;
  keptUnder: RecomputeMode[];
  bytes: number;
}

/**
 * The per-operation table for one layer as rows (allocates; not for the search hot path).
 * bytes are in the layout's recompute mode (0 when that mode drops the tensor).
 */
export function activationTensorBreakdown(
  shape: ModelShape, training: TrainingSetup, layout: ParallelLayout, options?: MemoryOptions, moeLayer = hasMoeLayers(shape),
): ActivationTensorRow[] {
  const ctx = layerActivationContext(training, layout, options);
  const opSac = layout.recompute === 'selective' && options?.selectivePolicy === 'save-matmuls';
  const table = opSac ? OP_SAC_TENSORS : ACTIVATION_TENSORS;
  const rows: ActivationTensorRow[] = [];
  for (const e of table) {
    if (!applies(e, moeLayer, ctx)) continue;
    const modes: RecomputeMode[] = opSac
      ? ['selective']
      : (['none', 'selective', 'full'] as const).filter((m) => kept(e, m));
    const on = opSac || kept(e, layout.recompute);
    rows.push({
      op: e.op,
      tensor: e.tensor,
      bytesPerElement: e.dtype === 'act' ? ctx.actBytes : e.dtype === 'mask' ? 1 : 4,
      sharding: e.shard === 'tp' ? 'tensor' : e.shard === 'sp' ? 'tensor with sequence parallelism' : 'replicated',
      keptUnder: modes,
      bytes: on ? tensorBytes(e, shape, ctx) : 0,
    });
  }
  return rows;
}
