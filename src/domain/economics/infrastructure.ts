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
  /** rolling checkpoints kept on storage (the latest k) */
  checkpointKeepLatest?: number;
  /** also keep one checkpoint per this many days of training for good (0: none) */
  checkpointArchiveEveryDays?: number;
  /** scale-out fabric technology */
  fabric?: FabricTechnology;
  /** ports per scale-out switch at the NIC's speed */
  switchRadix?: number;
}

export type FabricTechnology = 'infiniband' | 'roce';

/** torchtitan's default retention, checkpoint.keep_latest_k = 10 (torchtitan/config/job_config.py). */
export const DEFAULT_CHECKPOINT_KEEP_LATEST = 10;

/**
 * Ports per scale-out switch when the request gives none: 64, NVIDIA Quantum-2 QM9700 (64 × 400 Gb/s
 * NDR InfiniBand) and Spectrum-4 SN5600 (64 × 800 GbE, or 128 × 400 GbE split) datasheets.
 */
export const DEFAULT_SWITCH_RADIX = 64;

/** The planning guide's minimum scale-out bandwidth for multi-node training, Gb/s per GPU. */
export const GUIDE_MINIMUM_SCALE_OUT_GBPS = 100;

export type CoolingKind = 'air' | 'air-with-containment' | 'direct-liquid' | 'liquid-required';

/**
 * Cooling a rack's peak power calls for (datacenter_facts.json "AI rack densities": 2× DGX H100 per
 * air-cooled rack ≈ 20 kW; air-cooled practical ceiling ~30–40 kW; direct-liquid-cooled HGX H100
 * racks ~60 kW; GB200/GB300 NVL72 racks 120–135 kW, 100% liquid cooled). The 80 kW step between
 * direct-to-chip liquid with room air and liquid only is the midpoint of those last two.
 */
export function coolingForRackKw(rackPeakKw: number): { kind: CoolingKind; advice: string } {
  if (rackPeakKw <= 20) return { kind: 'air', advice: `${rackPeakKw.toFixed(1)} kW per rack: conventional air cooling (two DGX H100 per air-cooled rack draw ~20 kW)` };
  if (rackPeakKw <= 40) return { kind: 'air-with-containment', advice: `${rackPeakKw.toFixed(1)} kW per rack: air at its practical ceiling (~30–40 kW): hot/cold-aisle containment or rear-door heat exchangers` };
  if (rackPeakKw <= 80) return { kind: 'direct-liquid', advice: `${rackPeakKw.toFixed(1)} kW per rack: above what air removes; direct-to-chip liquid cooling (HGX H100 DLC racks run ~60 kW)` };
  return { kind: 'liquid-required', advice: `${rackPeakKw.toFixed(1)} kW per rack: liquid cooling only, with facility water to the rack (NVL72 racks draw 120–135 kW, 100% liquid cooled)` };
}

export interface FabricPlan {
  technology: FabricTechnology;
  /** the link speed per GPU: one NIC port per GPU (rail-optimised) */
  linkGbpsPerGpu: number;
  /** NICs per node, each on its own rail (leaf switch group) */
  railsPerNode: number;
  /** ports the fabric connects: one per GPU */
  endpoints: number;
  switchRadix: number;
  /** independent fabric planes (more endpoints than a three-tier fat tree of this radix holds) */
  planes: number;
  tiers: number;
  leafSwitches: number;
  spineSwitches: number;
  coreSwitches: number;
  totalSwitches: number;
  /** the planning guide's ≥ 100 Gb/s per GPU for multi-node training */
  meetsGuideMinimum: boolean;
  note: string;
}

/**
 * Non-blocking folded-Clos (fat-tree) switch counts for N endpoints on k-port switches (Al-Fares et al.
 * 2008, "A Scalable, Commodity Data Center Network Architecture": a k-ary fat tree connects k³/4 hosts
 * with 5k²/4 switches). Each leaf gives k/2 ports down and k/2 up: one tier up to k endpoints, two
 * (leaf + spine) up to k²/2, three (edge + aggregation + core) up to k³/4, beyond that several planes.
 */
export function fatTreeSwitches(endpoints: number, radix: number): { planes: number; tiers: number; leaf: number; spine: number; core: number } {
  const k = Math.max(4, Math.floor(radix / 2) * 2);
  const half = k / 2;
  const perPlaneMax = (k * k * k) / 4;
  const planes = Math.max(1, Math.ceil(endpoints / perPlaneMax));
  const n = Math.ceil(endpoints / planes);
  if (n <= k) return { planes, tiers: 1, leaf: planes, spine: 0, core: 0 };
  const leaf = Math.ceil(n / half);
  if (n <= (k * k) / 2) return { planes, tiers: 2, leaf: leaf * planes, spine: Math.ceil(leaf / 2) * planes, core: 0 };
  return { planes, tiers: 3, leaf: leaf * planes, spine: leaf * planes, core: Math.ceil(leaf / 2) * planes };
}

/** The scale-out fabric for a cluster: rails, fat-tree tiers and switch counts, and the guide's bandwidth check. */
export function planFabric(a: Accelerator, gpus: number, options: Pick<InfrastructureOptions, 'fabric' | 'switchRadix'>): FabricPlan {
  const technology: FabricTechnology = options.fabric ?? (a.vendor === 'NVIDIA' ? 'infiniband' : 'roce');
  const switchRadix = options.switchRadix ?? DEFAULT_SWITCH_RADIX;
  const linkGbpsPerGpu = (a.scaleOutBytesPerSecond * 8) / 1e9;
  const t = fatTreeSwitches(gpus, switchRadix);
  const crosses = gpus > a.gpusPerNode && !(isRackScale(a) && gpus <= a.scaleUpDomainSize);
  const kind = technology === 'infiniband' ? 'InfiniBand' : 'RoCE Ethernet';
  const note = !crosses
    ? 'the job fits in one scale-up domain: no scale-out fabric is needed for it'
    : `${kind}, one ${linkGbpsPerGpu.toFixed(0)} Gb/s port per GPU on ${a.gpusPerNode} rails; ${t.tiers}-tier non-blocking fat tree of ${switchRadix}-port switches` +
      (t.planes > 1 ? ` in ${t.planes} planes (one plane holds at most ${switchRadix ** 3 / 4} endpoints)` : '');
  return {
    technology,
    linkGbpsPerGpu,
    railsPerNode: a.gpusPerNode,
    endpoints: crosses ? gpus : 0,
    switchRadix,
    planes: crosses ? t.planes : 0,
    tiers: crosses ? t.tiers : 0,
    leafSwitches: crosses ? t.leaf : 0,
    spineSwitches: crosses ? t.spine : 0,
    coreSwitches: crosses ? t.core : 0,
    totalSwitches: crosses ? t.leaf + t.spine + t.core : 0,
    meetsGuideMinimum: linkGbpsPerGpu >= GUIDE_MINIMUM_SCALE_OUT_GBPS,
    note,
  };
}

export interface InfrastructureInput {
  gpus: number;
  accelerator: Accelerator;
  shape: ModelShape;
  counts: ParameterCounts;
  training: TrainingSetup;
  layout: ParallelLayout;
  performance: PerformanceEstimate;
  /** the run's days, for the archived checkpoints of the retention policy */
  days?: number;
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
  /** what one full rack draws at peak: servers per rack × server peak */
  rackPeakKw: number;
  cooling: { kind: CoolingKind; advice: string };
  fabric: FabricPlan;
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
    /** the retention policy: the latest k kept, plus one per archiveEveryDays for good */
    retention: { keepLatest: number; archiveEveryDays: number; archived: number; retained: number };
    /** storage the retained checkpoints take */
    retainedBytes: number;
  };
  /** checkpoints under the retention policy + the tokenized dataset */
  storageCapacityBytes: number;
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

  const keepLatest = options.checkpointKeepLatest ?? DEFAULT_CHECKPOINT_KEEP_LATEST;
  if (options.checkpointKeepLatest === undefined) {
    assumptions.push({ field: '/infrastructure/checkpointKeepLatest', value: keepLatest, reason: 'the latest 10 checkpoints kept, older ones deleted: torchtitan\'s default checkpoint.keep_latest_k' });
  }
  const archiveEveryDays = options.checkpointArchiveEveryDays ?? 0;
  const archived = archiveEveryDays > 0 && input.days !== undefined && Number.isFinite(input.days / archiveEveryDays) ? Math.floor(input.days / archiveEveryDays) : 0;
  const retained = keepLatest + archived;

  // racks' cooling and the scale-out fabric
  const rackPeakKw = Math.min(nodesPerRack, nodes) * nodePeakKw;
  const cooling = coolingForRackKw(rackPeakKw);
  const fabric = planFabric(a, gpus, options);
  if (options.fabric === undefined) {
    assumptions.push({ field: '/infrastructure/fabric', value: fabric.technology, reason: a.vendor === 'NVIDIA' ? 'NVIDIA reference clusters (DGX SuperPOD) use InfiniBand' : `${a.vendor} clusters use Ethernet with RoCE` });
  }
  if (options.switchRadix === undefined && fabric.totalSwitches > 0) {
    assumptions.push({ field: '/infrastructure/switchRadix', value: fabric.switchRadix, reason: '64-port switches: NVIDIA Quantum-2 QM9700 (64 × NDR 400 Gb/s), Spectrum-4 SN5600 (64 × 800 GbE)' });
  }
  if (gpus > a.gpusPerNode && !fabric.meetsGuideMinimum) {
    warnings.push(`${a.name} servers have ${fabric.linkGbpsPerGpu.toFixed(0)} Gb/s of scale-out per GPU, under the ${GUIDE_MINIMUM_SCALE_OUT_GBPS} Gb/s the planning guide asks for multi-node training`);
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
    rackPeakKw,
    cooling,
    fabric,
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
      retention: { keepLatest, archiveEveryDays, archived, retained },
      retainedBytes: ckpt.bytes * retained,
    },
    storageCapacityBytes: ckpt.bytes * retained + input.training.tokens * bytesPerToken,
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
