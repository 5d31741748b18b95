// Parallel-layout validity: the divisibility rules Megatron-LM / Megatron-Core enforce, phrased
// as problems a user can act on (JSON-pointer paths into the request body), and the divisor
// tables the layout search enumerates. Pure: no I/O, no Fastify.
import type { Accelerator, ModelShape, ParallelLayout, TrainingFramework, TrainingSetup } from '../core/index.js';

export interface LayoutProblem {
  path: string;
  message: string;
}

export interface LayoutRuleOptions {
  /** report tensor-parallel groups larger than the accelerator's scale-up domain (NVLink) as a problem;
   *  off by default: a user who fixes t beyond the domain asked for it (the search never proposes it unless allowed) */
  tensorWithinScaleUp?: boolean;
  /** JSON pointer of the field the global batch came from (default '/training/globalBatchTokens') */
  globalBatchPath?: string;
  /** interleaving needs micro-batches a multiple of pipeline (Megatron-LM; relaxed in Megatron-Core); default true */
  interleavedMicroBatchesMultipleOfPipeline?: boolean;
}

/** Greatest common divisor (Euclid). */
export function gcd(x: number, y: number): number {
  let a = Math.abs(x);
  let b = Math.abs(y);
  while (b !== 0) {
    const r = a % b;
    a = b;
    b = r;
  }
  return a;
}

/** All positive divisors of n, ascending. n must be a positive integer. */
export function divisors(n: number): number[] {
  if (!Number.isInteger(n) || n < 1) return [];
  const small: number[] = [];
  const large: number[] = [];
  for (let i = 1; i * i <= n; i++) {
    if (n % i === 0) {
      small.push(i);
      if (i * i !== n) large.push(n / i);
    }
  }
  return small.concat(large.reverse());
}

/** Divisors of n that also divide every value in `alsoDivide`, ascending. */
export function commonDivisors(n: number, ...alsoDivide: number[]): number[] {
  let g = n;
  for (const v of alsoDivide) g = gcd(g, v);
  return divisors(g);
}

/**
 * How layers split over pipeline chunks. 'even': L layers over p·v chunks as evenly as possible, the
 * extra layers on the earliest chunks (Megatron's default split; DeepSpeed's partition by transformer
 * layers). 'edges-as-layers': the input embedding and the LM head each count as one layer, so the
 * first and last chunks get one layer fewer (Llama 3: Dubey et al. 2024 Sec. 3.3.2; torchtitan's
 * generate_llm_fqn_per_model_part input/output weights; Megatron-Core
 * --account-for-embedding-in-pipeline-split / --account-for-loss-in-pipeline-split).
 */
export type StageSplit = 'even' | 'edges-as-layers';

/** Transformer layers of the heaviest GPU and of the last pipeline stage (which also runs the LM head). */
export interface StageLayerCounts {
  /** layers of the GPU holding the most layers */
  heaviest: number;
  /** layers of the last stage, p − 1 */
  last: number;
}

/** Units the split shares out: the layers, plus the embedding and the LM head when they count as layers. */
export function stageSplitUnits(L: number, split: StageSplit): number {
  return split === 'edges-as-layers' ? L + 2 : L;
}

/**
 * Layers of chunk j when L layers split into C = p·v chunks (chunk j runs on GPU j mod p; Narayanan
 * 2021 Sec. 2.2.2): U = stageSplitUnits units, ⌊U/C⌋ each and one more on the first U mod C chunks;
 * with 'edges-as-layers' the first and the last chunk give one unit to the embedding / LM head.
 */
export function chunkLayers(L: number, C: number, j: number, split: StageSplit = 'even'): number {
  const U = stageSplitUnits(L, split);
  const base = Math.floor(U / C);
  const units = base + (j < U - base * C ? 1 : 0);
  if (split === 'even') return units;
  return Math.max(0, units - (j === 0 ? 1 : 0) - (j === C - 1 ? 1 : 0));
}

/**
 * Layers of the heaviest GPU and of the last GPU when L layers split into p·v chunks (v virtual stages
 * per GPU, chunk j on GPU j mod p), in closed form (allocation-free, for the search). 'even': with
 * base = ⌊L/(p·v)⌋ and r = L mod (p·v), GPU 0 holds v·base + ⌈r/p⌉ layers and the last GPU
 * v·base + ⌊r/p⌋ (v = 1: ⌈L/p⌉ and ⌊L/p⌋). 'edges-as-layers': the same over L + 2 units, GPU 0 and
 * the last GPU one layer fewer (Llama 3 405B, 126 layers on 16 stages: 7, 8, …, 8, 7).
 */
export function stageLayerCounts(
  L: number, p: number, v: number, out: StageLayerCounts = { heaviest: 0, last: 0 }, split: StageSplit = 'even',
): StageLayerCounts {
  const layers = L >= 1 ? Math.floor(L) : 1;
  const stages = p >= 1 ? Math.floor(p) : 1;
  const chunksPerGpu = v >= 1 ? Math.floor(v) : 1;
  const C = stages * chunksPerGpu;
  const U = split === 'edges-as-layers' ? layers + 2 : layers;
  const base = Math.floor(U / C);
  const rem = U - base * C;
  if (split === 'even') {
    out.heaviest = chunksPerGpu * base + Math.ceil(rem / stages);
    out.last = chunksPerGpu * base + Math.floor(rem / stages);
    return out;
  }
  // units of GPU i: v·base + (chunks i, i+p, … below rem) = v·base + clamp(⌈(rem − i)/p⌉, 0, v)
  const unitsOf = (i: number): number => chunksPerGpu * base + Math.min(chunksPerGpu, Math.max(0, Math.ceil((rem - i) / stages)));
  if (stages === 1) {
    out.heaviest = layers;
    out.last = layers;
    return out;
  }
  const first = unitsOf(0) - 1;
  const last = unitsOf(stages - 1) - 1;
  const middle = stages > 2 ? unitsOf(1) : 0;
  out.heaviest = Math.max(first, last, middle);
  out.last = last;
  return out;
}

function isPositiveInteger(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 1;
}

/** Tensor-parallel degrees the model allows: t divides attention heads, kv heads and the MLP widths
 *  (Megatron ColumnParallelLinear splits each output dimension evenly, Shoeybi et al. 2019 Sec. 3). */
export function tensorDegreesForShape(shape: ModelShape): number[] {
  const widths = [shape.attentionHeads, shape.kvHeads, shape.ffnHiddenSize];
  if (shape.moe) widths.push(shape.moe.expertFfnHiddenSize);
  return commonDivisors(widths[0] ?? 1, ...widths.slice(1));
}

/**
 * Everything wrong with a (possibly partial) layout for this model, batch and GPU count.
 * Fields absent from `layout` are not checked, so the same function validates the fixed part
 * of a search request and a complete layout. Rules:
 * - GPUs = t·p·d·c (Narayanan et al. 2021 Sec. 3; Megatron-Core CP adds c to the product)
 * - heads, kv heads and MLP width divisible by t (Shoeybi et al. 2019 Sec. 3)
 * - t within the scale-up domain when options.tensorWithinScaleUp (NVLink; Narayanan et al. 2021 Sec. 3.3 takeaway #1)
 * - p ≤ L, and p·v ≤ L when interleaved: stages may hold unequal layer counts, the heaviest GPU
 *   v·⌈…⌉ (stageLayerCounts; Megatron-Core uneven first/last stages, Llama 3 405B: 126 layers on 16
 *   interleaved stages, Dubey et al. 2024 Sec. 3.3.2)
 * - interleaved needs p > 1, v ≥ 2 and micro-batches a multiple of p (Narayanan et al. 2021 Sec. 2.2.2)
 * - global batch B divisible by d·b (m = B/(d·b) micro-batches per step, Narayanan et al. 2021 Sec. 2.2)
 * - sequence divisible by 2c for load-balanced causal context parallelism (Megatron-Core CP)
 * - sequence (per context rank) divisible by t with sequence parallelism (Korthikanti et al. 2022 Sec. 4.2.2)
 * - routed experts divisible by e, and e divides d·c (Megatron-Core MoE: EP is carved out of DP×CP)
 */
export function layoutProblems(
  shape: ModelShape,
  training: TrainingSetup,
  gpus: number,
  layout: Partial<ParallelLayout>,
  accelerator?: Accelerator,
  options: LayoutRuleOptions = {},
): LayoutProblem[] {
  const problems: LayoutProblem[] = [];
  const batchPath = options.globalBatchPath ?? '/training/globalBatchTokens';
  const add = (path: string, message: string): void => {
    problems.push({ path, message });
  };

  // Each degree must be a positive integer before any arithmetic on it.
  const degreeFields = ['tensor', 'pipeline', 'data', 'context', 'expert', 'microBatchSize', 'virtualStages'] as const;
  const ok: Partial<Record<(typeof degreeFields)[number], number>> = {};
  for (const f of degreeFields) {
    const v = layout[f];
    if (v === undefined) continue;
    if (!isPositiveInteger(v)) add(`/parallelism/${f}`, `${f}=${String(v)} must be a positive integer`);
    else ok[f] = v;
  }
  const { tensor: t, pipeline: p, data: d, context: c, expert: e, microBatchSize: b, virtualStages: v } = ok;
  const L = shape.layers;
  const B = training.globalBatchSequences;
  const s = training.sequenceLength;

  // GPU count: the product of the four grid degrees.
  const grid: [string, number | undefined][] = [['tensor', t], ['pipeline', p], ['data', d], ['context', c]];
  const given = grid.filter((g): g is [string, number] => g[1] !== undefined);
  for (const [name, value] of given) {
    if (gpus % value !== 0) add(`/parallelism/${name}`, `${name}=${value} does not divide hardware.count=${gpus}`);
  }
  const product = given.reduce((acc, g) => acc * g[1], 1);
  if (given.length === 4 && product !== gpus) {
    add('/hardware/count', `tensor×pipeline×data×context = ${given.map((g) => g[1]).join('×')} = ${product}, not hardware.count=${gpus}`);
  } else if (given.length > 1 && given.length < 4 && given.every(([, value]) => gpus % value === 0) && gpus % product !== 0) {
    add('/hardware/count', `${given.map((g) => `${g[0]}=${g[1]}`).join(' × ')} = ${product} does not divide hardware.count=${gpus}`);
  }

  // Tensor parallelism.
  if (t !== undefined) {
    if (shape.attentionHeads % t !== 0) add('/parallelism/tensor', `tensor=${t} does not divide attentionHeads=${shape.attentionHeads}`);
    // Megatron-Core splits the key/value groups over t (num_query_groups % t == 0).
    if (shape.kvHeads % t !== 0) add('/parallelism/tensor', `tensor=${t} does not divide kvHeads=${shape.kvHeads}`);
    if (shape.ffnHiddenSize % t !== 0) add('/parallelism/tensor', `tensor=${t} does not divide ffnHiddenSize=${shape.ffnHiddenSize}`);
    if (shape.moe && shape.moe.expertFfnHiddenSize % t !== 0) {
      add('/parallelism/tensor', `tensor=${t} does not divide moe.expertFfnHiddenSize=${shape.moe.expertFfnHiddenSize}`);
    }
    if (accelerator && options.tensorWithinScaleUp === true && t > accelerator.scaleUpDomainSize) {
      add('/parallelism/tensor', `tensor=${t} exceeds the ${accelerator.scaleUpDomainSize}-GPU scale-up domain of ${accelerator.name}; tensor-parallel all-reduces would cross the scale-out network`);
    }
  }

  // Pipeline and virtual stages.
  const schedule = layout.schedule;
  // Layers may split unevenly, 1F1B and interleaved alike: every (virtual) stage needs at least one
  // layer, so p ≤ L and p·v ≤ L; the heaviest GPU holds the extra layers (stageLayerCounts). Llama 3
  // 405B ran 126 layers on 16 interleaved stages, one layer fewer on the first and last (Dubey et al.
  // 2024 Sec. 3.3.2); Megatron-Core takes uneven first/last stages (--decoder-first/last-pipeline-num-layers).
  if (p !== undefined && p > L) add('/parallelism/pipeline', `pipeline=${p} exceeds layers=${L}`);
  if (v !== undefined) {
    const pv = (p ?? 1) * v;
    if (v > 1 && p !== undefined && p <= L && pv > L) {
      add('/parallelism/virtualStages', `pipeline×virtualStages = ${p}×${v} = ${pv} exceeds layers=${L} (each virtual stage needs a layer)`);
    } else if (v > 1 && p === undefined && v > L) {
      add('/parallelism/virtualStages', `virtualStages=${v} exceeds layers=${L}`);
    }
    if (v > 1 && schedule === '1f1b') add('/parallelism/virtualStages', `virtualStages=${v} needs schedule "interleaved" (1F1B has one stage per GPU)`);
    if (v > 1 && p === 1) add('/parallelism/virtualStages', `virtualStages=${v} needs pipeline > 1`);
  }
  if (schedule === 'interleaved') {
    if (p === 1) add('/parallelism/schedule', 'the interleaved schedule needs pipeline > 1');
    if (v === 1) add('/parallelism/schedule', 'the interleaved schedule needs virtualStages ≥ 2');
  }
  // DualPipe (DeepSeek-V3 Sec. 3.2.1; deepseek-ai/DualPipe): each GPU holds stage i and stage p−1−i for
  // the two directions, so p is even; the micro-batches split over the two directions (check: ≥ 2p)
  if (schedule === 'dualpipe') {
    if (p !== undefined && (p < 2 || p % 2 !== 0)) add('/parallelism/pipeline', `the dualpipe schedule needs an even pipeline ≥ 2, not ${p}`);
    if (v !== undefined && v > 1) add('/parallelism/virtualStages', 'the dualpipe schedule has no virtual stages (each GPU holds two mirrored stages)');
  }

  // Global batch: B = d·b·m.
  if (d !== undefined && B % d !== 0) {
    add(batchPath, `global batch of ${B} sequences does not split evenly over data=${d}`);
  } else if (b !== undefined) {
    const perRank = d !== undefined ? B / d : B;
    if (perRank % b !== 0) {
      const where = d !== undefined ? `the ${perRank} sequences each data-parallel rank gets (global batch ${B} / data ${d})` : `the global batch of ${B} sequences`;
      add('/parallelism/microBatchSize', `microBatchSize=${b} does not divide ${where}`);
    } else if (d !== undefined && p !== undefined && p > 1 && schedule === 'interleaved' && options.interleavedMicroBatchesMultipleOfPipeline !== false) {
      const m = perRank / b;
      if (m % p !== 0) add('/parallelism/microBatchSize', `the interleaved schedule needs the ${m} micro-batches per step to be a multiple of pipeline=${p}`);
    } else if (d !== undefined && p !== undefined && schedule === 'dualpipe') {
      const m = perRank / b;
      if (m % 2 !== 0 || m < 2 * p) add('/parallelism/microBatchSize', `the dualpipe schedule needs an even number of micro-batches, at least 2 × pipeline = ${2 * p}; this layout has ${m}`);
    }
  }

  // Context parallelism.
  if (c !== undefined && c > 1 && s % (2 * c) !== 0) {
    add('/parallelism/context', `context=${c} needs sequenceLength=${s} divisible by 2×context=${2 * c} (load-balanced causal attention)`);
  }
  if (layout.sequenceParallel === true && t !== undefined && t > 1 && (s / (c ?? 1)) % t !== 0) {
    add('/parallelism/sequenceParallel', `sequence parallelism needs the ${s / (c ?? 1)} tokens per context rank divisible by tensor=${t}`);
  }

  // Expert parallelism.
  if (e !== undefined) {
    const experts = shape.moe?.experts;
    if (experts === undefined) {
      if (e !== 1) add('/parallelism/expert', `expert=${e} needs a mixture-of-experts model (this model is dense)`);
    } else {
      if (experts % e !== 0) add('/parallelism/expert', `expert=${e} does not divide experts=${experts}`);
      if (d !== undefined && c !== undefined && (d * c) % e !== 0) {
        add('/parallelism/expert', `expert=${e} does not divide data×context = ${d}×${c} = ${d * c} (expert parallelism is carved out of data×context)`);
      } else if (gpus % e !== 0) {
        add('/parallelism/expert', `expert=${e} does not divide hardware.count=${gpus}`);
      }
    }
  }

  // ZeRO and recomputation are enumerations; the schema checks their spelling. Nothing else to do.
  return problems;
}

/** Defaults for the layout fields a user left out when no search is run. */
export const DEFAULT_LAYOUT: Readonly<ParallelLayout> = {
  tensor: 1,
  pipeline: 1,
  data: 1,
  context: 1,
  expert: 1,
  microBatchSize: 1,
  zeroStage: 1,
  recompute: 'selective',
  sequenceParallel: false,
  schedule: '1f1b',
  virtualStages: 1,
};

/**
 * Fill a partial layout: given fields win, then `defaults`; data is derived from the GPU count
 * (d = gpus / (t·p·c)) when absent; the schedule follows virtualStages (v > 1 ⇒ interleaved) and
 * sequence parallelism defaults to on whenever t > 1 (it never costs more communication,
 * Korthikanti et al. 2022 Sec. 4.2.2). The result may still be invalid: check layoutProblems.
 */
export function completeLayout(partial: Partial<ParallelLayout>, gpus: number, defaults: Partial<ParallelLayout> = {}): ParallelLayout {
  const base: ParallelLayout = { ...DEFAULT_LAYOUT, ...defaults };
  const t = partial.tensor ?? base.tensor;
  const p = partial.pipeline ?? base.pipeline;
  const c = partial.context ?? base.context;
  const d = partial.data ?? (defaults.data !== undefined ? base.data : Math.max(1, Math.floor(gpus / (t * p * c))));
  const v = partial.virtualStages ?? (partial.schedule === 'interleaved' ? 2 : base.virtualStages);
  const schedule = partial.schedule ?? (v > 1 ? 'interleaved' : '1f1b');
  return {
    tensor: t,
    pipeline: p,
    data: d,
    context: c,
    expert: partial.expert ?? base.expert,
    microBatchSize: partial.microBatchSize ?? base.microBatchSize,
    zeroStage: partial.zeroStage ?? base.zeroStage,
    recompute: partial.recompute ?? base.recompute,
    sequenceParallel: partial.sequenceParallel ?? (defaults.sequenceParallel ?? t > 1),
    schedule,
    virtualStages: v,
  };
}

/** Short human description of a layout, e.g. 'tp=8 pp=16 dp=128 cp=1 ep=1 mbs=1 zero=1 recompute=selective sp v=1'. */
export function describeLayout(l: ParallelLayout): string {
  return `tp=${l.tensor} pp=${l.pipeline} dp=${l.data} cp=${l.context} ep=${l.expert} mbs=${l.microBatchSize} zero=${l.zeroStage} recompute=${l.recompute}${l.sequenceParallel ? ' sp' : ''} ${l.schedule === 'interleaved' ? `interleaved v=${l.virtualStages}` : l.schedule}`;
}

/**
 * What a training framework cannot run, among the fields a request fixes (config/frameworks.yaml
 * rules): each problem names the field and the framework. Fields left out are searched within the
 * rules instead. Whole layers per virtual stage: Megatron asserts num_layers % (p·v) == 0 for the
 * interleaved schedule; DeepSpeed's pipeline engine refuses ZeRO-2/3 (deepspeed/runtime/pipe/engine.py).
 */
export function frameworkLayoutProblems(
  framework: TrainingFramework, shape: ModelShape, training: TrainingSetup, layout: Partial<ParallelLayout>, split: StageSplit = framework.defaults.stageSplit,
): LayoutProblem[] {
  const problems: LayoutProblem[] = [];
  const r = framework.rules;
  const name = framework.id;
  const add = (field: string, message: string): void => {
    problems.push({ path: `/parallelism/${field}`, message: `${message} (training.framework ${name})` });
  };
  const offered: [keyof ParallelLayout, boolean, string][] = [
    ['tensor', r.tensorParallel, 'tensor parallelism'],
    ['pipeline', r.pipelineParallel, 'pipeline parallelism'],
    ['context', r.contextParallel, 'context parallelism'],
    ['expert', r.expertParallel, 'expert parallelism'],
  ];
  for (const [field, ok, what] of offered) {
    const v = layout[field];
    if (!ok && typeof v === 'number' && v > 1) add(field, `${field}=${v}: the framework has no ${what}`);
  }
  if (layout.sequenceParallel === true && !r.sequenceParallel) add('sequenceParallel', 'the framework has no sequence parallelism');
  const interleaved = layout.schedule === 'interleaved' || (layout.virtualStages ?? 1) > 1;
  if (interleaved && !r.schedules.includes('interleaved')) {
    add(layout.schedule === 'interleaved' ? 'schedule' : 'virtualStages', `the framework runs only the ${r.schedules.join(', ')} schedule`);
  }
  if (layout.schedule === 'dualpipe' && !r.schedules.includes('dualpipe')) add('schedule', `the framework runs only the ${r.schedules.join(', ')} schedule`);
  const p = layout.pipeline;
  const v = layout.virtualStages;
  const units = stageSplitUnits(shape.layers, split);
  if (interleaved && r.interleavedWholeLayers && p !== undefined && v !== undefined && v > 1 && units % (p * v) !== 0) {
    const what = split === 'edges-as-layers' ? `${shape.layers} layers + embedding + LM head` : `${shape.layers} layers`;
    add('virtualStages', `${what} do not split into whole layers over pipeline ${p} × virtualStages ${v}`);
  }
  if (interleaved && r.interleavedMicroBatchesMultipleOfPipeline && p !== undefined && layout.data !== undefined && layout.microBatchSize !== undefined) {
    const m = training.globalBatchSequences / (layout.data * layout.microBatchSize);
    if (Number.isInteger(m) && m % p !== 0) add('microBatchSize', `interleaving needs the ${m} micro-batches per pipeline to be a multiple of pipeline ${p}`);
  }
  const z = layout.zeroStage;
  if (z !== undefined && !r.zeroStages.includes(z)) add('zeroStage', `zeroStage=${z}: the framework offers ZeRO stages ${r.zeroStages.join(', ')}`);
  else if (z !== undefined && p !== undefined && p > 1 && !r.zeroStagesWithPipeline.includes(z)) {
    add('zeroStage', `zeroStage=${z} with pipeline=${p}: the framework combines only ZeRO stages ${r.zeroStagesWithPipeline.join(', ')} with pipeline parallelism`);
  }
  if (layout.recompute !== undefined && !r.recompute.includes(layout.recompute)) {
    add('recompute', `recompute=${layout.recompute}: the framework offers ${r.recompute.join(', ')}`);
  }
  return problems;
}
