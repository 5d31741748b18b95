// The infrastructure around a training run: nodes, racks, facility power, the scale-out network a
// layout needs against what the accelerator's servers have, checkpoint size and write time, and the
// dataset on disk. Pure: no Fastify, no I/O. Defaults come from data/reference/datacenter_facts.json
// (each with its source below and in the answer's assumptions).
import { GRADIENT_REDUCE_BYTES, PARAMETER_GATHER_BYTES } from '../performance/index.js';
import { resolveCostInputs, type CostOverrides } from './cost.js';
import { modelStateBytesPerParameter } from '../memory/index.js';
import { moeLayerCount } from '../model/index.js';
import type { Accelerator, Assumption, ModelShape, ParallelLayout, ParameterCounts, PerformanceEstimate, TrainingSetup } from '../core/index.js';

/**
 * Usable power per rack when the request gives none: 40 kW, the upper end of the ~30–40 kW practical
 * ceiling of air-cooled racks (datacenter_facts.json "AI rack densities", factryze.ai, secondary;
 * average racks are below 8–10 kW, Uptime 2024). Direct-liquid-cooled HGX racks reach ~60 kW.
 */
export const DEFAULT_RACK_KW = 40;
/** Rack-scale systems (GB200/GB300 NVL72): the scale-up domain is the rack (datacenter_facts "GB200 NVL72 rack power"). */
export const MAX_RACK_SCALE_DOMAIN = 72;

/**
 * Checkpoint storage write bandwidth per GPU when the request gives none: Llama 3's Tectonic storage
 * reached 7 TB/s peak for 16,384 GPUs (2 TB/s sustained; Dubey et al. 2024 Sec. 3.3.1; checkpoint
 * bursts are what saturated it) → 7e12 / 16,384 ≈ 427 MB/s per GPU, scaled with the cluster.
 */
export const DEFAULT_STORAGE_WRITE_BYTES_PER_SECOND_PER_GPU = 7e12 / 16_384;

/**
 * Tokenized dataset bytes per token: Megatron-LM's indexed dataset stores token ids as uint16 when
 * the vocabulary has fewer than 65,500 entries, else int32 (megatron/core/datasets/indexed_dataset.py,
 * DType.optimal_dtype).
 */
export function tokenBytesForVocab(vocabSize: number): number {
  return vocabSize < 65_500 ? 2 : 4;
}

/** Raw UTF-8 text per token: ~4 characters per BPE token for English text (OpenAI tokenizer guidance), ~1 byte per character. */
export const DEFAULT_RAW_TEXT_BYTES_PER_TOKEN = 4;

export interface InfrastructureOptions {
  /** usable IT power per rack, kW */
  rackKw?: number;
  /** aggregate checkpoint write bandwidth of the storage, GB/s (1e9 bytes/s) */
  storageWriteGBps?: number;
  /** raw text bytes per token, for the dataset size before tokenization */
  rawTextBytesPerToken?: number;
}

export interface InfrastructureInput {
  gpus: number;
  accelerator: Accelerator;
  shape: ModelShape;
  counts: ParameterCounts;
  training: TrainingSetup;
  layout: ParallelLayout;
  performance: PerformanceEstimate;
  cost?: CostOverrides;
  options?: InfrastructureOptions;
}

export interface NetworkNeed {
  /** true when the job spans more than one node (the scale-out network carries traffic) */
  crossesNodes: boolean;
  /** bytes per GPU per step over the scale-out network, by cause */
  bytesPerStepPerGpu: { dataParallel: number; pipeline: number; total: number };
  /** the bandwidth that hides that traffic behind the step's compute */
  neededBytesPerSecondPerGpu: number;
  availableBytesPerSecondPerGpu: number;
  neededGbpsPerGpu: number;
  availableGbpsPerGpu: number;
  /** needed / available */
  utilization: number;
  sufficient: boolean;
}

export interface InfrastructureEstimate {
  gpus: number;
  gpusPerNode: number;
  nodes: number;
  racks: number;
  nodesPerRack: number;
  gpusPerRack: number;
  rackKw: number;
  rackKwSource: 'request' | 'default' | 'rack-scale system';
  power: {
    /** GPU TDP × server overhead: what one GPU and its share of the server may draw */
    peakWattsPerGpu: number;
    nodePeakKw: number;
    itPeakKw: number;
    itAverageKw: number;
    pue: number;
    /** what the facility must provision: IT peak × PUE */
    facilityPeakKw: number;
    facilityAverageKw: number;
  };
  network: NetworkNeed;
  checkpoint: {
    /** weights + optimizer states of the whole model (gradients are not saved) */
    bytes: number;
    bytesPerParameter: number;
    storageWriteBytesPerSecond: number;
    storageSource: 'request' | 'default';
    writeSeconds: number;
  };
  dataset: {
    tokens: number;
    bytesPerToken: number;
    tokenizedBytes: number;
    rawTextBytesPerToken: number;
    rawTextBytes: number;
  };
  assumptions: Assumption[];
  warnings: string[];
}

/** A rack-scale system (NVL72): its scale-up domain spans several nodes and at most 72 GPUs — one rack. */
export function isRackScale(a: Pick<Accelerator, 'scaleUpDomainSize' | 'gpusPerNode'>): boolean {
  return a.scaleUpDomainSize > a.gpusPerNode && a.scaleUpDomainSize <= MAX_RACK_SCALE_DOMAIN;
}

/** Checkpoint bytes: parameters × (weight + optimizer bytes per parameter); ZeRO Sec. 3.1 (2 + 12 for mixed-precision Adam). */
export function checkpointBytes(counts: ParameterCounts, training: Pick<TrainingSetup, 'precision' | 'optimizer'>): { bytes: number; bytesPerParameter: number } {
  const s = modelStateBytesPerParameter(training.precision, training.optimizer);
  const bytesPerParameter = s.weights + s.optimizer;
  return { bytes: counts.totalParameters * bytesPerParameter, bytesPerParameter };
}

/** Parameters one GPU holds gradients for: dense parameters / (t·p), expert parameters / (t·p·e). */
export function parametersPerModelShard(shape: ModelShape, counts: ParameterCounts, layout: ParallelLayout): number {
  const expert = counts.expertParametersPerMoeLayer * moeLayerCount(shape);
  const dense = counts.totalParameters - expert;
  const tp = Math.max(1, layout.tensor * layout.pipeline);
  return dense / tp + expert / (tp * Math.max(1, layout.expert));
}

/**
 * Bytes one GPU sends over the scale-out network per step (upper bound: every data-parallel and
 * pipeline peer is taken to be on another node, tensor parallelism stays inside the node).
 * - data parallel: ring reduce-scatter + all-gather of the gradients, 2·(d−1)/d × shard bytes
 *   (Patarasuk & Yuan 2009; NCCL bus bandwidth); ZeRO-3 adds the parameter all-gathers of forward
 *   and backward, 1.5× the traffic in all (Rajbhandari et al. 2020 Sec. 7.2.2: 3Ψ vs 2Ψ).
 * - pipeline: per micro-batch one activation forward and one gradient backward of b·s·h elements,
 *   split over the t tensor ranks and c context ranks (Narayanan et al. 2021 Sec. 4.1 scatter/gather).
 */
export function scaleOutBytesPerStep(
  shape: ModelShape, counts: ParameterCounts, training: TrainingSetup, layout: ParallelLayout,
): { dataParallel: number; pipeline: number } {
  const d = Math.max(1, layout.data * layout.context);
  const shardParameters = parametersPerModelShard(shape, counts, layout);
  let dataParallel = 0;
  if (d > 1) {
    const grad = shardParameters * GRADIENT_REDUCE_BYTES[training.precision];
    dataParallel = (2 * (d - 1) / d) * grad;
    if (layout.zeroStage === 3) dataParallel += (2 * (d - 1) / d) * shardParameters * PARAMETER_GATHER_BYTES[training.precision];
  }
  let pipeline = 0;
  if (layout.pipeline > 1) {
    const sequencesPerPipeline = training.globalBatchSequences / Math.max(1, layout.data);
    const elementBytes = training.precision === 'fp32' ? 4 : 2;
    pipeline = (2 * sequencesPerPipeline * training.sequenceLength * shape.hiddenSize * elementBytes) / Math.max(1, layout.tensor * layout.context);
  }
  return { dataParallel, pipeline };
}

/** Nodes, racks, power, network, checkpoint and dataset of one run. */
export function estimateInfrastructure(input: InfrastructureInput): InfrastructureEstimate {
  const { gpus, accelerator: a, options = {} } = input;
  const assumptions: Assumption[] = [];
  const warnings: string[] = [];
  const costInputs = resolveCostInputs(a, input.cost ?? {});

  // power: GPU TDP × server overhead (DGX system max / GPUs, datacenter_facts "Per-GPU IT power incl. server overhead")
  const peakWattsPerGpu = a.tdpWatts * costInputs.serverOverheadFactor;
  const nodePeakKw = (a.gpusPerNode * peakWattsPerGpu) / 1000;
  const nodes = Math.ceil(gpus / a.gpusPerNode);
  const itPeakKw = (gpus * peakWattsPerGpu) / 1000;
  const itAverageKw = itPeakKw * costInputs.utilization;

  // racks: by power budget, or one rack per NVL72 domain
  let rackKw: number;
  let rackKwSource: InfrastructureEstimate['rackKwSource'];
  let nodesPerRack: number;
  if (options.rackKw !== undefined) {
    rackKw = options.rackKw;
    rackKwSource = 'request';
    nodesPerRack = Math.floor(rackKw / nodePeakKw);
  } else if (isRackScale(a)) {
    nodesPerRack = a.scaleUpDomainSize / a.gpusPerNode;
    rackKw = nodesPerRack * nodePeakKw;
    rackKwSource = 'rack-scale system';
    assumptions.push({ field: '/infrastructure/rackKw', value: rackKw, reason: `${a.name} is a rack-scale system: one ${a.scaleUpDomainSize}-GPU scale-up domain per rack (NVL72 racks draw 120–135 kW, datacenter_facts)` });
  } else {
    rackKw = DEFAULT_RACK_KW;
    rackKwSource = 'default';
    nodesPerRack = Math.floor(rackKw / nodePeakKw);
    assumptions.push({ field: '/infrastructure/rackKw', value: rackKw, reason: 'air-cooled practical ceiling ~30–40 kW per rack (datacenter_facts "AI rack densities"); liquid-cooled HGX racks reach ~60 kW' });
  }
  if (nodesPerRack < 1) {
    warnings.push(`one ${a.name} server draws up to ${nodePeakKw.toFixed(1)} kW, more than the ${rackKw} kW rack budget: counted one server per rack; the facility needs denser (liquid-cooled) racks`);
    nodesPerRack = 1;
  }
  const racks = Math.ceil(nodes / nodesPerRack);

  // network
  const perStep = scaleOutBytesPerStep(input.shape, input.counts, input.training, input.layout);
  const crossesNodes = gpus > a.gpusPerNode && !(isRackScale(a) && gpus <= a.scaleUpDomainSize);
  const totalBytes = crossesNodes ? perStep.dataParallel + perStep.pipeline : 0;
  const computeSeconds = input.performance.breakdownSeconds.compute + input.performance.breakdownSeconds.recompute;
  const overlapSeconds = computeSeconds > 0 ? computeSeconds : input.performance.stepSeconds;
  const needed = overlapSeconds > 0 ? totalBytes / overlapSeconds : 0;
  const available = a.scaleOutBytesPerSecond;
  const network: NetworkNeed = {
    crossesNodes,
    bytesPerStepPerGpu: crossesNodes ? { dataParallel: perStep.dataParallel, pipeline: perStep.pipeline, total: totalBytes } : { dataParallel: 0, pipeline: 0, total: 0 },
    neededBytesPerSecondPerGpu: needed,
    availableBytesPerSecondPerGpu: available,
    neededGbpsPerGpu: (needed * 8) / 1e9,
    availableGbpsPerGpu: (available * 8) / 1e9,
    utilization: available > 0 ? needed / available : 0,
    sufficient: needed <= available,
  };
  if (!network.sufficient) {
    warnings.push(
      `the layout moves ${network.neededGbpsPerGpu.toFixed(0)} Gb/s per GPU over the scale-out network to hide communication behind compute; ${a.name} servers have ${network.availableGbpsPerGpu.toFixed(0)} Gb/s: expect exposed communication`,
    );
  }

  // checkpoint
  const ckpt = checkpointBytes(input.counts, input.training);
  const storageSource = options.storageWriteGBps !== undefined ? 'request' : 'default';
  const storageWriteBytesPerSecond = options.storageWriteGBps !== undefined ? options.storageWriteGBps * 1e9 : gpus * DEFAULT_STORAGE_WRITE_BYTES_PER_SECOND_PER_GPU;
  if (storageSource === 'default') {
    assumptions.push({
      field: '/infrastructure/storageWriteGBps',
      value: storageWriteBytesPerSecond / 1e9,
      reason: 'scaled per GPU from Llama 3\'s checkpoint storage (Tectonic, 7 TB/s peak for 16,384 GPUs, Dubey et al. 2024 Sec. 3.3.1): ~427 MB/s per GPU',
    });
  }

  // dataset
  const bytesPerToken = tokenBytesForVocab(input.shape.vocabSize);
  const rawTextBytesPerToken = options.rawTextBytesPerToken ?? DEFAULT_RAW_TEXT_BYTES_PER_TOKEN;
  if (options.rawTextBytesPerToken === undefined) {
    assumptions.push({ field: '/infrastructure/rawTextBytesPerToken', value: rawTextBytesPerToken, reason: '~4 characters of English text per BPE token (OpenAI tokenizer guidance), 1 byte per character' });
  }

  return {
    gpus,
    gpusPerNode: a.gpusPerNode,
    nodes,
    racks,
    nodesPerRack,
    gpusPerRack: nodesPerRack * a.gpusPerNode,
    rackKw,
    rackKwSource,
    power: {
      peakWattsPerGpu,
      nodePeakKw,
      itPeakKw,
      itAverageKw,
      pue: costInputs.pue,
      facilityPeakKw: itPeakKw * costInputs.pue,
      facilityAverageKw: itAverageKw * costInputs.pue,
    },
    network,
    checkpoint: {
      bytes: ckpt.bytes,
      bytesPerParameter: ckpt.bytesPerParameter,
      storageWriteBytesPerSecond,
      storageSource,
      writeSeconds: storageWriteBytesPerSecond > 0 ? ckpt.bytes / storageWriteBytesPerSecond : 0,
    },
    dataset: {
      tokens: input.training.tokens,
      bytesPerToken,
      tokenizedBytes: input.training.tokens * bytesPerToken,
      rawTextBytesPerToken,
      rawTextBytes: input.training.tokens * rawTextBytesPerToken,
    },
    assumptions,
    warnings,
  };
}
