// Reliability of a long synchronous training run: expected interruptions, the checkpoint interval
// (Young 1974 / Daly 2006), restart time, and the goodput (useful time / wall-clock time) that turns
// ideal days into wall-clock days. Pure: no Fastify, no I/O.
//
// Failures are taken as a Poisson process with a constant rate per GPU-day; one GPU failing stops the
// whole synchronous job (Dubey et al. 2024, "The Llama 3 Herd of Models", Sec. 3.3.4).
import type { Assumption } from '../core/index.js';

const SECONDS_PER_DAY = 86_400;

/**
 * Llama 3 405B pre-training: 419 unexpected interruptions in a 54-day snapshot on 16,384 H100 GPUs
 * (Dubey et al. 2024 Sec. 3.3.4, Table 5) → 419 / (54 · 16,384) ≈ 4.74e-4 per GPU-day
 * (one job interruption about every 3 hours at that scale).
 */
export const LLAMA3_UNEXPECTED_INTERRUPTIONS = 419;
export const LLAMA3_SNAPSHOT_DAYS = 54;
export const LLAMA3_GPUS = 16_384;
export const DEFAULT_FAILURES_PER_GPU_DAY = LLAMA3_UNEXPECTED_INTERRUPTIONS / (LLAMA3_SNAPSHOT_DAYS * LLAMA3_GPUS);

/**
 * Time from a failure to training again: reschedule, re-initialise NCCL, load the last checkpoint.
 * An assumed planning value, not a published figure: Llama 3 kept "higher than 90% effective training
 * time" through 466 interruptions in 54 days (Dubey et al. 2024 Sec. 3.3.4), i.e. under ~17 minutes
 * lost per interruption, redone work included. Override with reliability.restartMinutes.
 */
export const DEFAULT_RESTART_MINUTES = 10;

/**
 * Device-to-host copy bandwidth for an asynchronous checkpoint snapshot: PCIe 4.0 x16, 16 GT/s × 16
 * lanes × 128/130 ≈ 31.5 GB/s per direction (PCI-SIG PCIe 4.0 base specification). Conservative for
 * PCIe 5.0 hosts (H100: 63 GB/s).
 */
export const DEFAULT_HOST_COPY_BYTES_PER_SECOND = 31.5e9;

export interface ReliabilityOptions {
  /** unexpected job interruptions per GPU-day */
  failuresPerGpuDay?: number;
  /** minutes from a failure until training resumes (incl. loading the checkpoint) */
  restartMinutes?: number;
  /** seconds training is blocked per checkpoint; default: host copy (async) or the full write (sync) */
  checkpointWriteSeconds?: number;
  /** fixed checkpoint interval; default the Young/Daly optimum */
  checkpointIntervalMinutes?: number;
  /** asynchronous checkpointing (snapshot to host memory, write in the background); default true */
  asyncCheckpoint?: boolean;
}

export interface ReliabilityInput {
  gpus: number;
  /** days of useful training (no failures) */
  idealDays: number;
  /** bytes of one checkpoint (whole job) */
  checkpointBytes: number;
  /** aggregate write bandwidth of the checkpoint storage, bytes/s */
  storageWriteBytesPerSecond: number;
  /** one training step: a checkpoint cannot be taken more often than once per step */
  stepSeconds?: number;
  options?: ReliabilityOptions;
}

export interface ReliabilityEstimate {
  failuresPerGpuDay: number;
  /** mean time between job interruptions, M = 1 / (λ·GPUs) */
  jobMtbfHours: number;
  /** λ·GPUs·wall-clock days */
  expectedInterruptions: number;
  asyncCheckpoint: boolean;
  /** seconds training is blocked per checkpoint (δ) */
  checkpointBlockingSeconds: number;
  /** seconds until a checkpoint is durable on storage (W) */
  checkpointWriteSeconds: number;
  /** interval between checkpoints (τ) */
  checkpointIntervalMinutes: number;
  checkpointIntervalRule: 'daly' | 'young' | 'storage-bound' | 'request';
  checkpoints: number;
  restartMinutes: number;
  /** expected time lost per interruption: restart + redone work */
  lostMinutesPerInterruption: number;
  /** useful time / wall-clock time, 0..1 */
  goodput: number;
  idealDays: number;
  wallDays: number;
  lostDays: number;
  assumptions: Assumption[];
  warnings: string[];
}

/** Job MTBF M = 1 / (λ·G) seconds for λ failures per GPU-day (independent failures add: Poisson). */
export function jobMtbfSeconds(failuresPerGpuDay: number, gpus: number): number {
  const rate = failuresPerGpuDay * gpus;
  return rate > 0 ? SECONDS_PER_DAY / rate : Number.POSITIVE_INFINITY;
}

/** Young 1974: τ = √(2·δ·M). */
export function youngIntervalSeconds(checkpointSeconds: number, mtbfSeconds: number): number {
  return Math.sqrt(2 * checkpointSeconds * mtbfSeconds);
}

/**
 * Daly 2006 ("A higher order estimate of the optimum checkpoint interval for restart dumps", FGCS 22):
 * τ = √(2δM)·[1 + ⅓·√(δ/(2M)) + ⅑·δ/(2M)] − δ for δ < 2M, else τ = M.
 */
export function dalyIntervalSeconds(checkpointSeconds: number, mtbfSeconds: number): number {
  const d = checkpointSeconds;
  const M = mtbfSeconds;
  if (d >= 2 * M) return M;
  const x = d / (2 * M);
  return Math.sqrt(2 * d * M) * (1 + Math.sqrt(x) / 3 + x / 9) - d;
}

/**
 * Wall-clock / solve time for exponential failures, Daly 2006 (complete model):
 * T_w / T_s = (M/τ)·e^{R/M}·(e^{(τ+δ)/M} − 1). Returned as its natural log to stay finite.
 * First order it is 1 + δ/τ + (τ/2 + R)/M: checkpoint overhead, half an interval redone, the restart.
 */
export function logWallClockFactor(intervalSeconds: number, checkpointSeconds: number, restartSeconds: number, mtbfSeconds: number): number {
  const M = mtbfSeconds;
  const tau = intervalSeconds;
  if (!Number.isFinite(M)) return Math.log1p(checkpointSeconds / tau);
  const x = (tau + checkpointSeconds) / M;
  // log(e^x − 1) = x + log(1 − e^{−x}), stable for large x
  const logExpm1 = x > 30 ? x : Math.log(Math.expm1(x));
  return Math.log(M / tau) + restartSeconds / M + logExpm1;
}

/** Lower bound on reported goodput: keeps days finite when failures outpace progress (a warning says so). */
const MIN_GOODPUT = 1e-6;

/** Expected interruptions, checkpoint interval, goodput and wall-clock days of one run. */
export function estimateReliability(input: ReliabilityInput): ReliabilityEstimate {
  const o = input.options ?? {};
  const assumptions: Assumption[] = [];
  const warnings: string[] = [];
  const lambda = o.failuresPerGpuDay ?? DEFAULT_FAILURES_PER_GPU_DAY;
  if (o.failuresPerGpuDay === undefined) {
    assumptions.push({
      field: '/reliability/failuresPerGpuDay',
      value: lambda,
      reason: `Llama 3 405B pre-training: ${LLAMA3_UNEXPECTED_INTERRUPTIONS} unexpected interruptions in ${LLAMA3_SNAPSHOT_DAYS} days on ${LLAMA3_GPUS.toLocaleString('en-US')} H100 (Dubey et al. 2024 Sec. 3.3.4)`,
    });
  }
  const restartMinutes = o.restartMinutes ?? DEFAULT_RESTART_MINUTES;
  if (o.restartMinutes === undefined) {
    assumptions.push({
      field: '/reliability/restartMinutes',
      value: restartMinutes,
      reason: 'assumed restart (reschedule, NCCL init, checkpoint load); Llama 3 lost under ~17 min per interruption overall (>90% effective training time, Dubey et al. 2024 Sec. 3.3.4)',
    });
  }
  const asyncCheckpoint = o.asyncCheckpoint ?? true;
  if (o.asyncCheckpoint === undefined) {
    assumptions.push({
      field: '/reliability/asyncCheckpoint',
      value: true,
      reason: 'asynchronous checkpointing (snapshot to host memory, write in the background), as in PyTorch DCP async_save and Megatron-LM',
    });
  }
  const G = Math.max(1, input.gpus);
  const writeSeconds = input.storageWriteBytesPerSecond > 0 ? input.checkpointBytes / input.storageWriteBytesPerSecond : 0;
  // async: training blocks only for the device-to-host copy of each GPU's shard (sharded save spreads the state over all GPUs)
  const defaultBlocking = asyncCheckpoint ? input.checkpointBytes / G / DEFAULT_HOST_COPY_BYTES_PER_SECOND : writeSeconds;
  const delta = o.checkpointWriteSeconds ?? defaultBlocking;
  if (o.checkpointWriteSeconds === undefined && asyncCheckpoint) {
    assumptions.push({
      field: '/reliability/checkpointWriteSeconds',
      value: delta,
      reason: `async snapshot: each GPU copies its 1/${G} share of the checkpoint to host memory at PCIe 4.0 x16 speed (31.5 GB/s); the storage write (${writeSeconds.toFixed(0)} s) runs in the background`,
    });
  }
  const M = jobMtbfSeconds(lambda, G);
  const R = restartMinutes * 60;
  // async: the snapshot in flight is not durable until written, so a failure also loses W on average:
  // expected lost work τ/2 + W (failure uniform in the interval), i.e. W behaves like extra restart time.
  const W = asyncCheckpoint ? writeSeconds : 0;
  let tau: number;
  let rule: ReliabilityEstimate['checkpointIntervalRule'];
  if (o.checkpointIntervalMinutes !== undefined) {
    tau = o.checkpointIntervalMinutes * 60;
    rule = 'request';
  } else if (!Number.isFinite(M)) {
    tau = Math.max(input.idealDays * SECONDS_PER_DAY, 1);
    rule = 'young';
  } else {
    tau = delta > 0 ? dalyIntervalSeconds(delta, M) : youngIntervalSeconds(1, M);
    rule = delta > 0 ? 'daly' : 'young';
    // async: a new snapshot waits for the previous write to finish
    if (asyncCheckpoint && tau < writeSeconds) {
      tau = writeSeconds;
      rule = 'storage-bound';
    }
    // checkpoints are taken between steps
    if (input.stepSeconds !== undefined && tau < input.stepSeconds) tau = input.stepSeconds;
  }
  tau = Math.max(tau, 1);
  const logFactor = Math.max(0, logWallClockFactor(tau, delta, R + W, M));
  let goodput = Math.exp(-logFactor);
  if (!(goodput > MIN_GOODPUT)) {
    goodput = MIN_GOODPUT;
    warnings.push(
      `failures outpace progress: a job interruption every ${(M / 3600).toFixed(2)} h against ${restartMinutes} min restarts and ${(tau / 60).toFixed(0)}-min checkpoints; use fewer GPUs, faster restarts or more reliable hardware`,
    );
  }
  const wallDays = input.idealDays / goodput;
  const expectedInterruptions = lambda * G * wallDays;
  if (goodput < 0.8 && goodput > MIN_GOODPUT) {
    warnings.push(`failures and checkpoints cost ${((1 - goodput) * 100).toFixed(0)}% of wall-clock time (goodput ${goodput.toFixed(2)}): faster checkpoint storage or restarts would pay off`);
  }
  return {
    failuresPerGpuDay: lambda,
    jobMtbfHours: Number.isFinite(M) ? M / 3600 : 0,
    expectedInterruptions,
    asyncCheckpoint,
    checkpointBlockingSeconds: delta,
    checkpointWriteSeconds: writeSeconds,
    checkpointIntervalMinutes: tau / 60,
    checkpointIntervalRule: rule,
    checkpoints: Math.floor((input.idealDays * SECONDS_PER_DAY) / tau),
    restartMinutes,
    lostMinutesPerInterruption: (R + W + tau / 2) / 60,
    goodput,
    idealDays: input.idealDays,
    wallDays,
    lostDays: wallDays - input.idealDays,
    assumptions,
    warnings,
  };
}
