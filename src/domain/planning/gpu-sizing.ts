// How many GPUs: by memory (the smallest count some valid layout fits), by deadline (compute at a
// realistic MFU), and the recommendation (with margin, on whole nodes, on a count that splits well).
// Pure: no Fastify, no I/O. The memory check is injected (`fits`) so the search does not depend on
// the memory model's internals; sizeForWorkload() wires in the real one.
//
// The planning guide this replaces divided weights+gradients+optimizer bytes by one GPU's memory and
// added 20%. That ignores activations, the fixed per-GPU overheads, and that the count must admit a
// layout (tensor × pipeline × data) the model and batch divide into. Both numbers are returned.
import { completeLayout, describeLayout, divisors, gcd, layoutProblems, tensorDegreesForShape } from '../layouts/index.js';
import { estimateMemory, memoryLowerBoundBytes, modelStateBytesPerParameter } from '../memory/index.js';
import type {
  Accelerator, MemoryEstimate, ModelShape, ParallelLayout, ParameterCounts, TrainingSetup, ZeroStage,
} from '../core/index.js';

const SECONDS_PER_DAY = 86_400;
/** relative tolerance so that 776.0000000001 GPUs (floating-point noise) rounds to 776, not 777 */
const CEIL_TOLERANCE = 1e-9;

/** ceil with a relative tolerance for floating-point noise. */
export function ceilTolerant(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - r) <= CEIL_TOLERANCE * Math.max(1, Math.abs(x)) ? r : Math.ceil(x);
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * Node counts the sizing considers: 1..7, then m·2^k for m ∈ {4, 5, 6, 7} (8, 10, 12, 14, 16, 20, ...).
 * Steps of at most 25%, and every count beyond 7 nodes keeps at least 2^k as a factor so that
 * data-parallel and pipeline degrees (usually powers of two) divide it.
 */
export function isGridNodeCount(nodes: number): boolean {
  if (!Number.isInteger(nodes) || nodes < 1) return false;
  if (nodes <= 7) return true;
  let m = nodes;
  while (m % 2 === 0 && m > 7) m /= 2;
  return m >= 4 && m <= 7;
}

/** Smallest grid node count >= nodes (see isGridNodeCount). */
export function nextGridNodeCount(nodes: number): number {
  const n = Math.max(1, Math.ceil(nodes));
  if (n <= 7) return n;
  // grid counts in [2^(k+2), 2^(k+3)) are exactly m·2^k, m ∈ {4..7}: O(1) instead of a walk of up to n/7 steps
  const k = Math.floor(Math.log2(n)) - 2;
  const m = Math.ceil(n / 2 ** k);
  return m <= 7 ? m * 2 ** k : 4 * 2 ** (k + 1);
}

/**
 * Candidate GPU counts, ascending: powers of two below one node (single-node tensor/data splits),
 * then whole nodes on the grid of isGridNodeCount, up to maxGpus.
 */
export function candidateGpuCounts(gpusPerNode: number, maxGpus: number): number[] {
  if (!(Number.isInteger(gpusPerNode) && gpusPerNode >= 1)) throw new RangeError(`gpusPerNode must be a positive integer, got ${gpusPerNode}`);
  const out: number[] = [];
  for (let g = 1; g < gpusPerNode && g <= maxGpus; g *= 2) out.push(g);
  for (let n = 1; n * gpusPerNode <= maxGpus; n = nextGridNodeCount(n + 1)) out.push(n * gpusPerNode);
  return out;
}

/** Anchors of the doubling search: powers of two below a node, then gpusPerNode · 2^k. */
function isAnchor(gpus: number, gpusPerNode: number): boolean {
  return gpus < gpusPerNode ? isPowerOfTwo(gpus) : gpus % gpusPerNode === 0 && isPowerOfTwo(gpus / gpusPerNode);
}

export interface MemorySizingOptions {
  gpusPerNode: number;
  /** largest count to try (default 2^20 GPUs) */
  maxGpus?: number;
  /** counts below this are known not to fit (e.g. memoryLowerBoundGpus) and are skipped */
  atLeastGpus?: number;
}

export interface MemorySizing {
  /** smallest candidate count that fits; null when none up to maxGpus does */
  gpus: number | null;
  /** every count checked, in order, and the answer */
  checked: { gpus: number; fits: boolean }[];
}

/** Most counts one linear scan over whole-node counts may check (the fallbacks below). */
export const MAX_LINEAR_CHECKS = 256;

/**
 * Smallest candidate GPU count for which `fits` holds. Doubling over the anchors (1, 2, 4, ..., one
 * node, 2, 4, 8 ... nodes) finds the first anchor that fits; the grid counts between it and the
 * previous anchor are then tried in ascending order. Assumes that if N GPUs fit then 2N do (double
 * the data-parallel degree; ZeRO shards further, activations per GPU do not grow), which holds for
 * memory, so the answer costs about log2(N) + 3 evaluations.
 * When no anchor fits at all, divisibility rather than memory is the obstacle (e.g. 105 layers
 * without ZeRO need an odd pipeline degree, so no power-of-two count has a layout): every whole-node
 * count from the lower bound up is then tried, at most MAX_LINEAR_CHECKS of them.
 */
export function minGpusByMemory(options: MemorySizingOptions, fits: (gpus: number) => boolean): MemorySizing {
  const { gpusPerNode } = options;
  const maxGpus = options.maxGpus ?? 2 ** 20;
  const atLeast = options.atLeastGpus ?? 1;
  const candidates = candidateGpuCounts(gpusPerNode, maxGpus).filter((g) => g >= atLeast);
  const checked: { gpus: number; fits: boolean }[] = [];
  const seen = new Map<number, boolean>();
  const test = (g: number): boolean => {
    const known = seen.get(g);
    if (known !== undefined) return known;
    const ok = fits(g);
    seen.set(g, ok);
    checked.push({ gpus: g, fits: ok });
    return ok;
  };
  // Doubling over the anchors; the first candidate is always tried, even off-anchor, so atLeastGpus
  // cannot skip the answer.
  let previous = -1;
  let hit = -1;
  for (let i = 0; i < candidates.length; i++) {
    const g = candidates[i] as number;
    if (i !== 0 && !isAnchor(g, gpusPerNode) && i !== candidates.length - 1) continue;
    if (test(g)) {
      hit = i;
      break;
    }
    previous = i;
  }
  if (hit >= 0) {
    for (let i = previous + 1; i < hit; i++) {
      const g = candidates[i] as number;
      if (test(g)) return { gpus: g, checked };
    }
    return { gpus: candidates[hit] as number, checked };
  }
  // No anchor fits at all: divisibility, not memory, is the obstacle. Try whole-node counts.
  const linear = firstFittingNodeCount(Math.max(atLeast, gpusPerNode), gpusPerNode, maxGpus, test);
  return { gpus: linear ?? null, checked };
}

/** First whole-node count ≥ fromGpus (ascending, at most MAX_LINEAR_CHECKS counts, ≤ maxGpus) for which `fits` holds. */
export function firstFittingNodeCount(fromGpus: number, gpusPerNode: number, maxGpus: number, fits: (gpus: number) => boolean): number | undefined {
  const first = Math.max(1, Math.ceil(fromGpus / gpusPerNode));
  for (let n = first; n < first + MAX_LINEAR_CHECKS && n * gpusPerNode <= maxGpus; n++) {
    if (fits(n * gpusPerNode)) return n * gpusPerNode;
  }
  return undefined;
}

/** Hard lower bound: model-state bytes cannot be spread thinner than perfectly over every GPU (ZeRO-3). */
export function memoryLowerBoundGpus(totalModelStateBytes: number, perGpuUsableBytes: number): number {
  if (!(perGpuUsableBytes > 0)) throw new RangeError(`perGpuUsableBytes must be > 0, got ${perGpuUsableBytes}`);
  return Math.max(1, ceilTolerant(totalModelStateBytes / perGpuUsableBytes));
}

/** The planning guide's method: (weights + gradients + optimizer bytes) / GPU memory, plus its 20% margin. */
export function plannerGuideGpusByMemory(totalModelStateBytes: number, gpuMemoryBytes: number, margin = 0.2): { naive: number; withMargin: number } {
  const naive = memoryLowerBoundGpus(totalModelStateBytes, gpuMemoryBytes);
  return { naive, withMargin: ceilTolerant(naive * (1 + margin)) };
}

/** GPUs to finish F model FLOPs in the deadline: N = ⌈F / (days · 86400 s · per-GPU model FLOP/s)⌉ (per-GPU rate = peak · MFU). */
export function gpusForDeadline(totalModelFlops: number, deadlineDays: number, perGpuModelFlopsPerSecond: number): number {
  if (!(Number.isFinite(totalModelFlops) && totalModelFlops >= 0)) throw new RangeError(`totalModelFlops must be finite and >= 0, got ${totalModelFlops}`);
  if (!(Number.isFinite(deadlineDays) && deadlineDays > 0)) throw new RangeError(`deadlineDays must be > 0, got ${deadlineDays}`);
  if (!(Number.isFinite(perGpuModelFlopsPerSecond) && perGpuModelFlopsPerSecond > 0)) {
    throw new RangeError(`perGpuModelFlopsPerSecond must be > 0, got ${perGpuModelFlopsPerSecond}`);
  }
  return Math.max(1, ceilTolerant(totalModelFlops / (deadlineDays * SECONDS_PER_DAY * perGpuModelFlopsPerSecond)));
}

/** Round a GPU count up to one that admits a layout; returns the count and the rule applied. */
export function roundToLayoutFriendlyCount(gpus: number, gpusPerNode: number): { gpus: number; nodes: number; rule: string } {
  const g = Math.max(1, ceilTolerant(gpus));
  if (g < gpusPerNode) {
    // inside one node: a power of two, so tensor (≤ node) × data splits it
    const p2 = Math.min(nextPowerOfTwo(g), gpusPerNode);
    return { gpus: p2, nodes: 1, rule: `${g} GPUs fit in one node: rounded up to ${p2}, a power of two (tensor × data divides it)` };
  }
  const nodes = Math.ceil(g / gpusPerNode);
  const p2 = nextPowerOfTwo(nodes);
  if (p2 <= nodes * 1.25) {
    return { gpus: p2 * gpusPerNode, nodes: p2, rule: `${nodes} nodes rounded up to ${p2}, a power of two (≤ 25% more)` };
  }
  const grid = nextGridNodeCount(nodes);
  return {
    gpus: grid * gpusPerNode,
    nodes: grid,
    rule: grid === nodes
      ? `${nodes} whole nodes of ${gpusPerNode} (${nodes} = m·2^k, m ≤ 7: data-parallel and pipeline degrees divide it)`
      : `${nodes} nodes rounded up to ${grid} (m·2^k with m ≤ 7, so data-parallel and pipeline degrees divide it; the next power of two, ${p2}, would add more than 25%)`,
  };
}

/**
 * Recommended GPUs: max(by memory, by deadline) · (1 + margin) (the planning guide's 20% margin, here
 * covering MFU uncertainty, restarts and spares), then rounded by roundToLayoutFriendlyCount:
 * below one node to a power of two; else to whole nodes, to a power-of-two node count when that
 * adds ≤ 25%, else to the next m·2^k nodes with m ∈ {4..7}.
 */
export function recommendedGpus(byMemory: number, byDeadline: number | undefined, gpusPerNode: number, margin = 0.2): number {
  return roundToLayoutFriendlyCount(Math.max(byMemory, byDeadline ?? 0) * (1 + margin), gpusPerNode).gpus;
}

export interface SizingEstimate {
  /** smallest count on the candidate grid for which a valid layout fits memory (null: none up to the limit) */
  minGpusByMemory: number | null;
  /** the planning guide's method: model-state bytes / GPU memory, no margin */
  naiveGpusByMemory: number;
  /** the guide's method with its 20% margin, as it would have recommended */
  naiveGpusWithMargin: number;
  /** GPUs to meet the deadline, when one was given */
  gpusForDeadline?: number;
  recommendedGpus: number;
  nodes: number;
  gpusPerNode: number;
  marginFraction: number;
  reasoning: string[];
}

export interface SizingInputs {
  gpusPerNode: number;
  gpuMemoryBytes: number;
  /** weights + gradients + optimizer states of the whole model */
  totalModelStateBytes: number;
  /** per-GPU memory usable for model states (GPU memory less fixed overheads); default gpuMemoryBytes */
  perGpuUsableBytes?: number;
  /** the real memory check for a GPU count */
  fits: (gpus: number) => boolean;
  /** optional description of the layout that fits at a count, for the reasoning */
  describeFit?: (gpus: number) => string | undefined;
  deadline?: DeadlineInput;
  margin?: number;
  maxGpus?: number;
}

/**
 * What the deadline count comes from: model FLOPs at a flat per-GPU rate (an MFU the request gives),
 * or a count already found with the step-time model (procurement.ts sizeForDeadline), with how.
 */
export type DeadlineInput =
  | { totalModelFlops: number; deadlineDays: number; perGpuModelFlopsPerSecond: number }
  | { gpus: number; explanation: string };

const fmtBytes = (x: number): string => `${(x / 1e12).toPrecision(3)} TB`;

/** Memory, deadline and recommendation, with the reasoning a user can check. */
export function estimateSizing(inp: SizingInputs): SizingEstimate {
  const margin = inp.margin ?? 0.2;
  const { gpusPerNode } = inp;
  const reasoning: string[] = [];
  const guide = plannerGuideGpusByMemory(inp.totalModelStateBytes, inp.gpuMemoryBytes, margin);
  reasoning.push(
    `planning-guide method: ${fmtBytes(inp.totalModelStateBytes)} of weights+gradients+optimizer / ${fmtBytes(inp.gpuMemoryBytes)} per GPU = ${guide.naive} GPUs, +${Math.round(margin * 100)}% = ${guide.withMargin}; it ignores activations, per-GPU overheads and layout divisibility`,
  );
  const lower = memoryLowerBoundGpus(inp.totalModelStateBytes, inp.perGpuUsableBytes ?? inp.gpuMemoryBytes);
  const mem = minGpusByMemory({ gpusPerNode, atLeastGpus: lower, ...(inp.maxGpus !== undefined ? { maxGpus: inp.maxGpus } : {}) }, inp.fits);
  if (mem.gpus === null) {
    reasoning.push(`no layout fits memory on up to ${inp.maxGpus ?? 2 ** 20} GPUs (checked ${mem.checked.map((c) => c.gpus).join(', ')})`);
  } else {
    const how = inp.describeFit?.(mem.gpus);
    reasoning.push(`by memory: ${mem.gpus} GPUs is the smallest candidate count with a layout that fits (${how ?? 'model states sharded, activations of one micro-batch, fixed overheads'}); checked ${mem.checked.map((c) => `${c.gpus}${c.fits ? '✓' : '✗'}`).join(' ')}`);
  }
  let byDeadline: number | undefined;
  if (inp.deadline && 'gpus' in inp.deadline) {
    byDeadline = inp.deadline.gpus;
    reasoning.push(`by deadline: ${inp.deadline.explanation}`);
  } else if (inp.deadline) {
    const { totalModelFlops, deadlineDays, perGpuModelFlopsPerSecond } = inp.deadline;
    byDeadline = gpusForDeadline(totalModelFlops, deadlineDays, perGpuModelFlopsPerSecond);
    reasoning.push(
      `by deadline: ${totalModelFlops.toExponential(3)} FLOPs / (${deadlineDays} d × 86400 s × ${(perGpuModelFlopsPerSecond / 1e12).toPrecision(4)} TFLOP/s per GPU) = ${byDeadline} GPUs`,
    );
  }
  // never recommend past the sizing limit: a deadline of minutes on 10^16 tokens asks for 10^12 GPUs,
  // and rounding or fitting such a count would take minutes (issue 5)
  const maxGpus = inp.maxGpus ?? 2 ** 20;
  if (byDeadline !== undefined && byDeadline > maxGpus) {
    reasoning.push(`the deadline needs ${byDeadline.toExponential(2)} GPUs, more than the ${maxGpus} this sizing considers: capped there; the deadline cannot be met`);
  }
  const base = Math.min(Math.max(mem.gpus ?? 0, byDeadline ?? 0, 1), maxGpus);
  let rounded = roundToLayoutFriendlyCount(base * (1 + margin), gpusPerNode);
  reasoning.push(`recommended: max(${mem.gpus ?? '–'}, ${byDeadline ?? '–'}) × ${1 + margin} = ${(base * (1 + margin)).toFixed(1)}; ${rounded.rule}`);
  // the rounded count is on or above the memory answer; confirm a layout fits there too, else take the
  // smallest whole-node count at or above the target that has one (divisibility can rule out the nice counts)
  if (mem.gpus !== null && !inp.fits(rounded.gpus)) {
    const from = Math.max(base * (1 + margin), gpusPerNode);
    const next = firstFittingNodeCount(from, gpusPerNode, inp.maxGpus ?? 2 ** 20, (g) => g !== rounded.gpus && inp.fits(g));
    if (next !== undefined) {
      const rule = `no layout fits at ${rounded.gpus}: the smallest whole-node count from ${Math.ceil(from)} GPUs with a layout that fits is ${next}`;
      rounded = { gpus: next, nodes: next / gpusPerNode, rule };
      reasoning.push(rule);
    } else {
      reasoning.push(`no layout found at or above ${rounded.gpus} GPUs within ${MAX_LINEAR_CHECKS} node counts: the recommendation may not fit`);
    }
  }
  return {
    minGpusByMemory: mem.gpus,
    naiveGpusByMemory: guide.naive,
    naiveGpusWithMargin: guide.withMargin,
    ...(byDeadline !== undefined ? { gpusForDeadline: byDeadline } : {}),
    recommendedGpus: rounded.gpus,
    nodes: rounded.nodes,
    gpusPerNode,
    marginFraction: margin,
    reasoning,
  };
}

// --- the real memory check: some valid layout of N GPUs fits (layouts/rules.ts rules, memory/per-gpu.ts model) ------

export interface MemoryFitOptions {
  /** highest ZeRO stage the framework offers (Megatron's distributed optimizer = 1; FSDP = 3); default 3 */
  maxZeroStage?: ZeroStage;
  /** layout fields the request fixes; the rest is chosen to minimise memory */
  fixed?: Partial<ParallelLayout>;
  /** allow tensor-parallel groups beyond the scale-up domain */
  allowTensorBeyondScaleUp?: boolean;
  /** largest context-parallel degree to try (default 32) */
  maxContext?: number;
}

export interface MemoryFit {
  layout: ParallelLayout;
  memory: MemoryEstimate;
}

/**
 * The memory-frugal layouts of `gpus` GPUs that the divisibility rules allow: every t (≤ scale-up
 * domain) × p × c split, d = N/(t·p·c), the most expert parallelism that divides, micro-batch 1,
 * full recomputation (the least activation memory, Korthikanti et al. 2022 Table 2), the highest
 * ZeRO stage allowed (memory never grows with the stage, Rajbhandari et al. 2020 Fig. 1), sequence
 * parallelism with t > 1, plain 1F1B. Ordered most-sharded first (large t, then p), so a fit is found early.
 */
export function memoryFrugalLayouts(
  shape: ModelShape, training: TrainingSetup, gpus: number, accelerator: Accelerator, options: MemoryFitOptions = {},
): ParallelLayout[] {
  const fixed = options.fixed ?? {};
  const maxT = options.allowTensorBeyondScaleUp ? gpus : accelerator.scaleUpDomainSize;
  const ts = tensorDegreesForShape(shape).filter((t) => t <= maxT && gpus % t === 0).reverse();
  const maxC = options.maxContext ?? 32;
  const out: ParallelLayout[] = [];
  for (const t of ts) {
    if (fixed.tensor !== undefined && fixed.tensor !== t) continue;
    const ps = divisors(gpus / t).filter((p) => p <= shape.layers).reverse();
    for (const p of ps) {
      if (fixed.pipeline !== undefined && fixed.pipeline !== p) continue;
      for (const c of divisors(gpus / (t * p))) {
        if (c > maxC) break;
        if (fixed.context !== undefined && fixed.context !== c) continue;
        if (c > 1 && training.sequenceLength % (2 * c) !== 0) continue;
        const d = gpus / (t * p * c);
        if (fixed.data !== undefined && fixed.data !== d) continue;
        if (training.globalBatchSequences % d !== 0) continue;
        const experts = shape.moe?.experts;
        const e = fixed.expert ?? (experts === undefined ? 1 : Math.max(...divisors(gcd(experts, d * c))));
        const layout = completeLayout(fixed, gpus, {
          tensor: t, pipeline: p, data: d, context: c, expert: e, microBatchSize: 1,
          zeroStage: options.maxZeroStage ?? 3, recompute: 'full', sequenceParallel: t > 1,
          schedule: '1f1b', virtualStages: 1,
        });
        if (layoutProblems(shape, training, gpus, layout, accelerator, { tensorWithinScaleUp: !(options.allowTensorBeyondScaleUp ?? false) }).length === 0) {
          out.push(layout);
        }
      }
    }
  }
  return out;
}

/**
 * The real `fits` for minGpusByMemory: a count fits when one of its memoryFrugalLayouts fits the
 * accelerator's memory by estimateMemory (pruned by memoryLowerBoundBytes). Results are cached per count.
 */
export function memoryFitEvaluator(
  shape: ModelShape, counts: ParameterCounts, training: TrainingSetup, accelerator: Accelerator, options: MemoryFitOptions = {},
): MemoryFitEvaluator {
  // the answers depend on the shape, the batch and precision, the accelerator's memory and domain and
  // the options, not on the tokens: repeated plans of one model on one accelerator reuse them
  const key = JSON.stringify([
    shape, training.sequenceLength, training.globalBatchSequences, training.precision, training.optimizer,
    accelerator.id, accelerator.memoryBytes, accelerator.scaleUpDomainSize, accelerator.gpusPerNode, options,
  ]);
  const hit = EVALUATORS.get(key);
  if (hit) return hit;
  const evaluator = newMemoryFitEvaluator(shape, counts, training, accelerator, options);
  if (EVALUATORS.size >= EVALUATOR_CACHE_ENTRIES) EVALUATORS.delete(EVALUATORS.keys().next().value as string);
  EVALUATORS.set(key, evaluator);
  return evaluator;
}

export interface MemoryFitEvaluator {
  fits: (gpus: number) => boolean;
  fitAt: (gpus: number) => MemoryFit | undefined;
}

/** Evaluators kept per workload key (oldest dropped first): a few KB each. */
const EVALUATOR_CACHE_ENTRIES = 64;
const EVALUATORS = new Map<string, MemoryFitEvaluator>();

function newMemoryFitEvaluator(
  shape: ModelShape, counts: ParameterCounts, training: TrainingSetup, accelerator: Accelerator, options: MemoryFitOptions,
): MemoryFitEvaluator {
  const cache = new Map<number, MemoryFit | null>();
  const fitAt = (gpus: number): MemoryFit | undefined => {
    const hit = cache.get(gpus);
    if (hit !== undefined) return hit ?? undefined;
    let found: MemoryFit | null = null;
    for (const layout of memoryFrugalLayouts(shape, training, gpus, accelerator, options)) {
      if (memoryLowerBoundBytes(shape, counts, training, layout, accelerator) > accelerator.memoryBytes) continue;
      const memory = estimateMemory(shape, counts, training, layout, accelerator);
      if (memory.fits) {
        found = { layout, memory };
        break;
      }
    }
    cache.set(gpus, found);
    return found ?? undefined;
  };
  return { fits: (gpus) => fitAt(gpus) !== undefined, fitAt };
}

export interface WorkloadSizingRequest {
  shape: ModelShape;
  counts: ParameterCounts;
  training: TrainingSetup;
  accelerator: Accelerator;
  /** model FLOPs of the run and the per-GPU rate, or a count already sized, for the deadline count */
  deadline?: DeadlineInput;
  margin?: number;
  maxGpus?: number;
  fit?: MemoryFitOptions;
}

/** estimateSizing wired to the real memory model (memoryFitEvaluator) and model-state bytes (memory/per-gpu.ts). */
export function sizeForWorkload(req: WorkloadSizingRequest): SizingEstimate & { layoutAtMinimum?: ParallelLayout } {
  const { shape, counts, training, accelerator } = req;
  const perParam = modelStateBytesPerParameter(training.precision, training.optimizer);
  const totalModelStateBytes = counts.totalParameters * (perParam.weights + perParam.gradients + perParam.optimizer);
  const ev = memoryFitEvaluator(shape, counts, training, accelerator, req.fit);
  const sizing = estimateSizing({
    gpusPerNode: accelerator.gpusPerNode,
    gpuMemoryBytes: accelerator.memoryBytes,
    totalModelStateBytes,
    fits: ev.fits,
    describeFit: (g) => {
      const f = ev.fitAt(g);
      return f && `${describeLayout(f.layout)}: ${(f.memory.perGpu.totalBytes / 2 ** 30).toFixed(1)} of ${(accelerator.memoryBytes / 2 ** 30).toFixed(0)} GiB`;
    },
    ...(req.deadline ? { deadline: req.deadline } : {}),
    ...(req.margin !== undefined ? { margin: req.margin } : {}),
    ...(req.maxGpus !== undefined ? { maxGpus: req.maxGpus } : {}),
  });
  const at = sizing.minGpusByMemory === null ? undefined : ev.fitAt(sizing.minGpusByMemory);
  return at ? { ...sizing, layoutAtMinimum: at.layout } : sizing;
}
