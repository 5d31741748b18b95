// Calibration constants of the performance model (src/domain/performance/step-time.ts), one set per
// accelerator generation (Accelerator.generation), never per published case. Each constant says
// where it comes from: a measurement the field publishes (MAMF, nccl-tests, FlashAttention papers)
// or, for the few fitted ones, which calibration set constrains it (data/calibration: Megatron
// PTD-P Table 1 on A100, Korthikanti 2022 Table 4/5 on A100, Megatron-Core H100 weak scaling,
// Llama 2 GPU-hours). test/calibration.test.ts prints the error on every one of those rows.
//
// The defaults describe the software stack a team would use today on that generation (Megatron-Core
// / TransformerEngine / FlashAttention / NCCL); options in PerformanceOptions override the
// software-dependent ones (communication overlap, FlashAttention) per request.

export interface GenerationCalibration {
  /** best fraction of the dense peak a large, well-shaped GEMM reaches inside a training step */
  gemmEfficiencyMax: number;
  /**
   * shape penalty: a GEMM M×K×N with intensity I = 1/(1/M + 1/K + 1/N) runs at
   * gemmEfficiencyMax · I / (I + I0), I0 = gemmHalfIntensityRatio · (peak FLOP/s ÷ HBM bytes/s).
   * Small per-GPU shards (after tensor/expert parallelism) have small I and run further from peak.
   */
  gemmHalfIntensityRatio: number;
  /** FP8 GEMMs reach a smaller share of the (2×) FP8 peak than BF16 GEMMs of theirs */
  fp8GemmEfficiencyScale: number;
  /**
   * FlashAttention fwd+bwd: achieved FLOP/s over the 16-bit dense peak, counting only the FLOPs it
   * executes (causal half, backward 2.5× forward). At most 3/(0.5·3.5) ≈ 0.58: above that, attention
   * would beat the peak in model-FLOP terms; prepareWorkload clamps it there.
   */
  flashAttentionEfficiency: number;
  /** achieved / peak HBM bandwidth of memory-bound kernels (norms, activations, dropout, softmax, optimizer) */
  memoryEfficiency: number;
  /** NCCL bus bandwidth / link bandwidth on the scale-up fabric (NVLink, Infinity Fabric, ICI) */
  scaleUpEfficiency: number;
  /** NCCL bus bandwidth / NIC bandwidth on the scale-out network (InfiniBand / RoCE) */
  scaleOutEfficiency: number;
  /** per-step latency of a collective on the scale-up fabric, seconds */
  scaleUpLatencySeconds: number;
  /** per-step latency of a collective across the scale-out network, seconds */
  scaleOutLatencySeconds: number;
  /** fixed cost of one kernel (launch gap, tail) that does not shrink with the work, seconds */
  kernelOverheadSeconds: number;
  /** end-to-end per-step overhead outside the model (data loader, loss logging, scheduler), seconds */
  stepOverheadSeconds: number;
  /** default share of tensor-parallel communication hidden behind GEMMs (TE --tp-comm-overlap) */
  tensorCommOverlap: number;
  /** default share of data-parallel gradient reduce / parameter gather hidden behind backward / forward */
  dataCommOverlap: number;
  /** default share of pipeline point-to-point transfers hidden behind compute */
  pipelineCommOverlap: number;
  /** default share of context-parallel (ring attention) transfers hidden behind attention */
  contextCommOverlap: number;
  /** default share of expert all-to-all hidden behind compute */
  expertCommOverlap: number;
  /** FlashAttention (or an equivalent fused kernel) available on this generation */
  flashAttention: boolean;
  /** MFU used when nothing better is known (defaultMfu): typical well-tuned dense training */
  defaultMfu: number;
}

// Shared by every generation (physics of the software stack, not of a chip).
// - scale-up 0.80: nccl-tests all_reduce busbw on DGX A100 ≈ 230-240 GB/s of 300 GB/s per direction
//   (NVLink3) and ≈ 360-370 GB/s of 450 GB/s on DGX H100 (NVLink4 without NVLS): 0.77-0.82.
// - scale-out 0.90: an 8-NIC node reaches ≈ 90% of line rate in nccl-tests inter-node busbw
//   (NCCL docs "performance" / DGX SuperPOD reference architecture).
// - latencies: NCCL ring step ≈ 2-5 µs over NVLink, ≈ 10 µs per hop across IB (NCCL tests, small messages).
// - kernel overhead 3 µs: CUDA launch ≈ 3-5 µs per kernel when the GPU drains its queue
//   (CUDA C Best Practices Guide; PyTorch profiler traces); charged per GEMM / fused op.
// - memory efficiency 0.70: elementwise PyTorch/Apex kernels reach 70-90% of HBM bandwidth on
//   large tensors (stas00 ml-engineering measured 90.6% for a copy) but training mixes many small
//   and non-coalesced ones; 0.70 reproduces Korthikanti Table 4 (22B layer, 7.7 ms forward).
const COMMON = {
  scaleUpEfficiency: 0.8,
  scaleOutEfficiency: 0.9,
  scaleUpLatencySeconds: 5e-6,
  scaleOutLatencySeconds: 1e-5,
  kernelOverheadSeconds: 3e-6,
  memoryEfficiency: 0.7,
  fp8GemmEfficiencyScale: 0.8,
  // shape penalty: fitted once across all calibration rows (A100 + H100); the ridge point of each
  // chip (peak ÷ HBM bandwidth) carries the per-generation difference.
  gemmHalfIntensityRatio: 0.5,
  stepOverheadSeconds: 0.01,
  pipelineCommOverlap: 0.5,
  contextCommOverlap: 0.8,
  expertCommOverlap: 0,
} as const;

/**
 * Per-generation constants. gemmEfficiencyMax starts from the Maximum Achievable Matmul FLOPS
 * measured with large BF16 matmuls (stas00/ml-engineering compute/accelerator/README.md, MAMF table:
 * A100 SXM 85.9%, H100 SXM 80.1%, GH200 83.0%, MI250X 76.7%, MI300X 60.1%) and is lowered for what a
 * full training step costs a GEMM (clocks under the power cap, NCCL kernels sharing the SMs):
 * ampere 0.76 (fitted to Narayanan 2021 Table 1 + Korthikanti 2022 Table 4/5 + Llama 2 together: 0.74
 * gives median 5.7% / rms 8.2% over those 23 rows, 0.76 4.7% / 8.1%), hopper 0.64 (zero-mean fit over
 * the 9 Megatron-Core H100 rows once uneven stages, the DP overlap window and the cross-entropy traffic
 * were fixed: 0.66 leaves them +2.6% fast on average, rms 8.4%; 0.64 −0.4%, rms 7.9%, worst 15% → 13%);
 * the other generations keep roughly the same ratio to their MAMF.
 */
// MI300X/MI325X: MAMF 60.1% (stas00, ROCm 6.2).
const CDNA3: GenerationCalibration = {
  ...COMMON,
  gemmEfficiencyMax: 0.52,
  flashAttentionEfficiency: 0.35,
  tensorCommOverlap: 0,
  dataCommOverlap: 0.8,
  flashAttention: true,
  defaultMfu: 0.3,
};

export const GENERATION_CALIBRATION: Readonly<Record<string, GenerationCalibration>> = {
  // V100: no bf16, no FlashAttention-2 (needs sm80); Megatron 2020 V100 runs reached 30-40% of peak.
  volta: {
    ...COMMON,
    gemmEfficiencyMax: 0.65,
    flashAttentionEfficiency: 0.35,
    tensorCommOverlap: 0,
    dataCommOverlap: 0.8,
    flashAttention: false,
    defaultMfu: 0.35,
  },
  // A100: MAMF 85.9% (stas00). FlashAttention-2 reaches 50-73% of peak fwd+bwd on A100 (Dao 2023,
  // FlashAttention-2 Fig. 4-5, causal head dim 128); 0.5 for typical training lengths and head sizes.
  // TP overlap 0: TE userbuffer overlap is a Hopper-era feature of Megatron-Core; the 2021-2022
  // A100 runs (Narayanan, Korthikanti) exposed all TP communication.
  ampere: {
    ...COMMON,
    gemmEfficiencyMax: 0.76,
    flashAttentionEfficiency: 0.5,
    tensorCommOverlap: 0,
    dataCommOverlap: 0.8,
    flashAttention: true,
    defaultMfu: 0.45,
  },
  // H100/H200/H800: MAMF 80.1% (stas00). Attention: FlashAttention-2 ≈ 35% of peak on H100, cuDNN /
  // FlashAttention-3 forward 50-75%, backward 40-55% (Shah et al. 2024, FlashAttention-3 Fig. 5-6):
  // 0.42 fwd+bwd for the TE fused attention of 2024. TE --tp-comm-overlap hides most TP traffic (the
  // Megatron-Core H100 table was measured with it); 0.7 of it hidden.
  hopper: {
    ...COMMON,
    gemmEfficiencyMax: 0.64,
    flashAttentionEfficiency: 0.42,
    tensorCommOverlap: 0.7,
    dataCommOverlap: 0.9,
    flashAttention: true,
    defaultMfu: 0.4,
  },
  // Blackwell: no public MAMF in the sources here; same software stack and shares as Hopper.
  blackwell: {
    ...COMMON,
    gemmEfficiencyMax: 0.66,
    flashAttentionEfficiency: 0.42,
    tensorCommOverlap: 0.7,
    dataCommOverlap: 0.9,
    flashAttention: true,
    defaultMfu: 0.4,
  },
  // Ada (L40S): PCIe, no NVLink; GEMM efficiency as Ampere consumer parts.
  ada: {
    ...COMMON,
    gemmEfficiencyMax: 0.65,
    flashAttentionEfficiency: 0.45,
    tensorCommOverlap: 0,
    dataCommOverlap: 0.8,
    flashAttention: true,
    defaultMfu: 0.35,
  },
  // MI250X: MAMF 76.7% per GCD (stas00).
  cdna2: {
    ...COMMON,
    gemmEfficiencyMax: 0.66,
    flashAttentionEfficiency: 0.35,
    tensorCommOverlap: 0,
    dataCommOverlap: 0.8,
    flashAttention: true,
    defaultMfu: 0.3,
  },
  cdna3: CDNA3,
  // MI355X: no public MAMF measurement yet; assumed the same as CDNA3 until one exists.
  cdna4: CDNA3,
  // Gaudi: no public MAMF here; conservative.
  gaudi: {
    ...COMMON,
    gemmEfficiencyMax: 0.55,
    flashAttentionEfficiency: 0.35,
    tensorCommOverlap: 0,
    dataCommOverlap: 0.8,
    flashAttention: true,
    defaultMfu: 0.3,
  },
  // TPU: PaLM 540B reached 46.2% MFU / 57.8% HFU on TPU v4 (Chowdhery et al. 2022, Table 3 / App. B).
  tpu: {
    ...COMMON,
    gemmEfficiencyMax: 0.66,
    flashAttentionEfficiency: 0.45,
    tensorCommOverlap: 0.5,
    dataCommOverlap: 0.9,
    flashAttention: true,
    defaultMfu: 0.45,
  },
  trainium: {
    ...COMMON,
    gemmEfficiencyMax: 0.55,
    flashAttentionEfficiency: 0.35,
    tensorCommOverlap: 0,
    dataCommOverlap: 0.8,
    flashAttention: true,
    defaultMfu: 0.3,
  },
};

/** Fallback for a generation the table does not know: conservative, no overlap of TP traffic. */
export const UNKNOWN_GENERATION_CALIBRATION: GenerationCalibration = {
  ...COMMON,
  gemmEfficiencyMax: 0.6,
  flashAttentionEfficiency: 0.35,
  tensorCommOverlap: 0,
  dataCommOverlap: 0.8,
  flashAttention: true,
  defaultMfu: 0.3,
};

/** The calibration set of an accelerator generation (case-insensitive), or the conservative fallback. */
export function calibrationFor(generation: string): GenerationCalibration {
  return GENERATION_CALIBRATION[generation.toLowerCase()] ?? UNKNOWN_GENERATION_CALIBRATION;
}

// ---- Software-stack constants (same on every generation) ----

/** Share of the attention-score work a causal FlashAttention kernel executes (it skips the masked half). */
export const CAUSAL_ATTENTION_WORK_FRACTION = 0.5;
/** FlashAttention backward runs 2.5× the matmul FLOPs of its forward (it recomputes QKᵀ; Dao 2022 Sec. 3.1/App. B). */
export const FLASH_BACKWARD_TO_FORWARD = 2.5;
/**
 * Highest FlashAttention efficiency the model accepts: model FLOPs count the attention non-causal,
 * forward + 2× backward (3 units), the kernel executes 0.5 · (1 + 2.5) = 1.75 units; above 3/1.75·… the
 * attention would run faster than the peak in model-FLOP terms (MFU > 1).
 */
export const FLASH_EFFICIENCY_BOUND = (CAUSAL_ATTENTION_WORK_FRACTION * (1 + FLASH_BACKWARD_TO_FORWARD)) / 3;

/**
 * HBM bytes per activation element moved by the memory-bound kernels of one transformer layer,
 * forward, 16-bit activations, in units of s·b·h (Korthikanti 2022 Sec. 4.1 lists the tensors each
 * op keeps; reading + writing them): two LayerNorms 2·(2+2), two fused bias-dropout-adds
 * 2·(2+2+2 in, out, residual + 1 mask) = 22.
 */
export const LAYER_ELEMENTWISE_BYTES_PER_HIDDEN = 22;
/**
 * The same layer run as eager PyTorch ops (no fused norm / activation kernels: HF-style modules, FSDP
 * stacks without torch.compile), per s·b·h: RMSNorm as cast-to-fp32, pow, mean, rsqrt-mul, cast back,
 * weight-mul ≈ 36 bytes each, two of them, two residual adds 2·6: 84.
 */
export const EAGER_LAYER_ELEMENTWISE_BYTES_PER_HIDDEN = 84;
/** Eager MLP activation per element: gated SiLU (read 2, write 2) then multiply (read 4, write 2) = 10; GeLU + bias add = 8. */
export const EAGER_GATED_MLP_ACTIVATION_BYTES_PER_ELEMENT = 10;
export const EAGER_MLP_ACTIVATION_BYTES_PER_ELEMENT = 8;
/** GeLU on the MLP width: read 2 + write 2 bytes per element; gated (SwiGLU): read 2·2, write 2. */
export const MLP_ACTIVATION_BYTES_PER_ELEMENT = 4;
export const GATED_MLP_ACTIVATION_BYTES_PER_ELEMENT = 6;
/**
 * Unfused attention (no FlashAttention), bytes per attention-score element (a·s² per sequence):
 * QKᵀ writes 2, fused scale-mask-softmax reads 2 and writes 2, dropout reads 2, writes 2 + mask 1,
 * AV reads 2 (Korthikanti 2022 Sec. 4.1: 5·a·s²·b kept) = 13 forward; backward ≈ 17.
 */
export const UNFUSED_ATTENTION_FORWARD_BYTES_PER_SCORE = 13;
export const UNFUSED_ATTENTION_BACKWARD_BYTES_PER_SCORE = 17;
/**
 * Backward memory-bound traffic per forward byte. Per op: LayerNorm backward reads x and dy, writes dx
 * (6 vs 4 forward); dropout-add backward reads dy and the mask, writes dx (5 vs 7); GeLU backward reads
 * x and dy, writes dx (6 vs 4): ≈ 1.2× forward over a layer. Checked against Korthikanti 2022 Table 4
 * (sequence parallelism saves 0.5 ms forward, 0.1 ms backward on the 22B layer).
 */
export const BACKWARD_ELEMENTWISE_FACTOR = 1.2;
/**
 * LM-head loss on V logits per token, HBM bytes per logit, Megatron-LM's VocabParallelCrossEntropy
 * (tensor_parallel/cross_entropy.py, unfused, the default through Megatron-Core r0.8): cast the 16-bit
 * logits to fp32 (read 2, write 4), max (read 4), subtract the max (read 4, write 4), exp (read 4,
 * write 4), sum (read 4), divide into the saved softmax (read 4, write 4); backward: softmax − one-hot
 * times the loss gradient (read 4, write 4), cast back to 16 bits for the output layer's backward
 * (read 4, write 2): 52. (Was 24, "partly fused", which no 2021-2024 Megatron release is.)
 */
export const CROSS_ENTROPY_BYTES_PER_LOGIT = 52;
/** FP8 GEMM inputs are cast (read 16-bit, write 8-bit) on every GEMM input, forward and backward. */
export const FP8_CAST_BYTES_PER_ELEMENT = 3;
/** MoE token permute + unpermute: read and write each routed token's hidden vector twice (2+2)·2. */
export const MOE_PERMUTE_BYTES_PER_ELEMENT = 8;
/** GEMM and fused-op kernels per transformer layer: forward ≈ 12, backward ≈ 24 (Megatron-Core traces). */
export const KERNELS_PER_LAYER_FORWARD = 12;
export const KERNELS_PER_LAYER_BACKWARD = 24;

/**
 * Optimizer step, HBM bytes per parameter held by the GPU. AdamW mixed precision: read fp32 master
 * weight, grad, m, v (16), write weight, m, v (12), write the 16-bit copy (2), grad-norm pass (4) = 34.
 * SGD with momentum: read weight, grad, momentum (12), write weight, momentum (8), 16-bit copy (2) = 22.
 * fp32 training has no 16-bit copy.
 */
export const OPTIMIZER_BYTES_PER_PARAMETER = { adamw: 34, sgd: 22 } as const;

/**
 * Gradient bytes on the wire in the data-parallel reduction. bf16 (and fp8) runs reduce fp32 main
 * gradients (Megatron-LM sets accumulate_allreduce_grads_in_fp32 for bf16); fp16 runs reduce fp16
 * gradients; fp32 runs fp32.
 */
export const GRADIENT_REDUCE_BYTES = { fp32: 4, fp16: 2, bf16: 4, fp8: 4 } as const;
/** Parameter bytes in ZeRO all-gathers: the 16-bit (or fp32) working copy; fp8 gathers bf16. */
export const PARAMETER_GATHER_BYTES = { fp32: 4, fp16: 2, bf16: 2, fp8: 2 } as const;
/** Activation bytes per element (tensor-parallel, pipeline, context and expert traffic; memory-bound ops). */
export const ACTIVATION_BYTES = { fp32: 4, fp16: 2, bf16: 2, fp8: 2 } as const;
