// Model-state memory: weights, gradients and optimizer states per parameter, and their ZeRO
// sharding over the data-parallel group (Rajbhandari et al. 2020, "ZeRO", arXiv 1910.02054).
import type { OptimizerKind, Precision, ZeroStage } from '../core/index.js';

export interface StateBytesPerParameter {
  weights: number;
  gradients: number;
  optimizer: number;
}

/**
 * Bytes each parameter costs in weights, gradients and optimizer states.
 * - bf16/fp16 + Adam(W): 2 + 2 + 12 (ZeRO Sec. 3.1: fp16 params and grads, fp32 master copy,
 *   momentum and variance, K = 12).
 * - fp32 + Adam(W): 4 + 4 + 8 (no master copy: the weights are the master; momentum + variance).
 * - fp8 + Adam(W): 2 + 2 + 12, as bf16. Transformer Engine FP8 training keeps the model weights in
 *   bf16 with an fp32 master copy and fp32 Adam states in the optimizer; the fp8 weight casts are
 *   transient per-GEMM copies (TE "Using FP8 with Transformer Engine": "the master weights are kept
 *   in higher precision"), so they are not model state.
 * - SGD with momentum: mixed precision 2 + 2 + 8 (fp32 master + momentum); fp32 4 + 4 + 4 (momentum).
 */
export function modelStateBytesPerParameter(precision: Precision, optimizer: OptimizerKind): StateBytesPerParameter {
  return STATE_BYTES[precision][optimizer];
}

// mixed precision (fp16/bf16, and fp8 via bf16 weights): ZeRO Sec. 3.1, K = 12 for Adam, 8 for SGD+momentum
const MIXED: Record<OptimizerKind, StateBytesPerParameter> = {
  adamw: Object.freeze({ weights: 2, gradients: 2, optimizer: 12 }),
  sgd: Object.freeze({ weights: 2, gradients: 2, optimizer: 8 }),
};
/** Precomputed at module load (the search calls this per candidate). */
const STATE_BYTES: Record<Precision, Record<OptimizerKind, StateBytesPerParameter>> = {
  // fp32 training: the weights are the master copy; Adam m+v (8) or SGD momentum (4)
  fp32: {
    adamw: Object.freeze({ weights: 4, gradients: 4, optimizer: 8 }),
    sgd: Object.freeze({ weights: 4, gradients: 4, optimizer: 4 }),
  },
  bf16: MIXED,
  fp16: MIXED,
  fp8: MIXED,
};

/** Divisors ZeRO applies to weights / gradients / optimizer states for a stage over Nd ranks (ZeRO Sec. 5.1-5.3). */
export function zeroDivisors(zeroStage: ZeroStage, dataParallel: number): StateBytesPerParameter {
  const nd = Math.max(1, dataParallel);
  return {
    optimizer: zeroStage >= 1 ? nd : 1, // Pos: optimizer states partitioned
    gradients: zeroStage >= 2 ? nd : 1, // Pos+g: gradients partitioned too
    weights: zeroStage >= 3 ? nd : 1, // Pos+g+p: parameters partitioned too
  };
}

export interface ModelStateBytes {
  weightsBytes: number;
  gradientsBytes: number;
  optimizerBytes: number;
  totalBytes: number;
}

/**
 * Model-state bytes per data-parallel rank for `parameters` parameters (no model parallelism):
 * ZeRO Sec. 5: baseline (2+2+K)Ψ, Pos 4Ψ + KΨ/Nd, Pos+g 2Ψ + (2+K)Ψ/Nd, Pos+g+p (2+2+K)Ψ/Nd.
 */
export function modelStateBytes(
  parameters: number, precision: Precision, optimizer: OptimizerKind, zeroStage: ZeroStage, dataParallel: number,
  options?: { fp32Gradients?: boolean },
): ModelStateBytes {
  const per = modelStateBytesPerParameter(precision, optimizer);
  const gradientBytes = options?.fp32Gradients ? 4 : per.gradients;
  const div = zeroDivisors(zeroStage, dataParallel);
  const weightsBytes = (per.weights * parameters) / div.weights;
  const gradientsBytes = (gradientBytes * parameters) / div.gradients;
  const optimizerBytes = (per.optimizer * parameters) / div.optimizer;
  return { weightsBytes, gradientsBytes, optimizerBytes, totalBytes: weightsBytes + gradientsBytes + optimizerBytes };
}
