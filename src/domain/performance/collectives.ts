// Collective-communication cost models (ring / tree, with latency terms) over a two-level fabric:
// a scale-up domain (NVLink / Infinity Fabric / ICI) of `domainSize` GPUs and a scale-out network
// (InfiniBand / RoCE, one NIC per GPU). Pure arithmetic, no allocation: called per layout in the search.
//
// A group of g ranks has k members in each scale-up domain (k = g when it fits in one) and spans
// n = ⌈g/k⌉ domains. NCCL builds one ring per channel that enters and leaves each domain once; with k
// GPUs per domain the k NICs carry the channels in parallel, so the ring's bus bandwidth is
// min(scale-up, k · scale-out) (Thakur et al. 2005 ring cost; NCCL tests "bus bandwidth" definition,
// nccl-tests/doc/PERFORMANCE.md).

/** Effective link figures of one accelerator: bandwidths already multiplied by their NCCL efficiency. */
export interface Fabric {
  /** achievable scale-up bus bandwidth per GPU, one direction, bytes/s */
  scaleUpBytesPerSecond: number;
  /** achievable scale-out bandwidth per GPU (its NIC), one direction, bytes/s */
  scaleOutBytesPerSecond: number;
  scaleUpLatencySeconds: number;
  scaleOutLatencySeconds: number;
  /** GPUs in one scale-up domain */
  domainSize: number;
}

/** Members of a group of `groupSize` ranks, placed `stride` ranks apart, that share one scale-up domain. */
export function membersPerDomain(groupSize: number, stride: number, domainSize: number): number {
  const k = Math.floor(domainSize / Math.max(1, stride));
  return k < 1 ? 1 : k > groupSize ? groupSize : k;
}

/** Bus bandwidth of a ring over g ranks with k per domain (see header). */
function ringBusBytesPerSecond(g: number, k: number, f: Fabric): number {
  if (k >= g) return f.scaleUpBytesPerSecond;
  const out = k * f.scaleOutBytesPerSecond;
  return k > 1 && f.scaleUpBytesPerSecond < out ? f.scaleUpBytesPerSecond : out;
}

/** Latency of one all-reduce pass: (k−1) scale-up steps plus a tree across the n domains (NCCL all-reduce uses trees at scale). */
function passLatencySeconds(g: number, k: number, f: Fabric): number {
  const n = Math.ceil(g / k);
  return (k - 1) * f.scaleUpLatencySeconds + (n > 1 ? Math.ceil(Math.log2(n)) * f.scaleOutLatencySeconds : 0);
}

/** Ring all-reduce of `bytes` per rank: 2(g−1)/g · bytes / busBW + latency (Patarasuk & Yuan 2009). */
export function allReduceSeconds(bytes: number, groupSize: number, perDomain: number, f: Fabric): number {
  if (groupSize <= 1 || bytes <= 0) return 0;
  const g = groupSize;
  return (2 * (g - 1) / g) * bytes / ringBusBytesPerSecond(g, perDomain, f) + 2 * passLatencySeconds(g, perDomain, f);
}

/**
 * Latency of one ring reduce-scatter or all-gather: g − 1 steps, n of them crossing the network between
 * the n domains, the rest on the scale-up fabric. NCCL runs these two collectives as rings only (no
 * tree; NCCL src/graph/tuning.cc: ring latency grows with the rank count), unlike all-reduce.
 */
export function ringLatencySeconds(groupSize: number, perDomain: number, f: Fabric): number {
  if (groupSize <= 1) return 0;
  const k = perDomain < 1 ? 1 : perDomain > groupSize ? groupSize : perDomain;
  const n = Math.ceil(groupSize / k);
  return n > 1 ? (groupSize - n) * f.scaleUpLatencySeconds + n * f.scaleOutLatencySeconds : (groupSize - 1) * f.scaleUpLatencySeconds;
}

/** Ring reduce-scatter (or all-gather) of a `bytes` buffer per rank: (g−1)/g · bytes / busBW + ring latency. */
export function reduceScatterSeconds(bytes: number, groupSize: number, perDomain: number, f: Fabric): number {
  if (groupSize <= 1 || bytes <= 0) return 0;
  const g = groupSize;
  return ((g - 1) / g) * bytes / ringBusBytesPerSecond(g, perDomain, f) + ringLatencySeconds(g, perDomain, f);
}

/** All-gather has the cost of reduce-scatter (same ring, no reduction). `bytes` is the gathered size. */
export const allGatherSeconds = reduceScatterSeconds;

/**
 * All-to-all of `bytes` per rank (each rank keeps 1/g and sends the rest): peers inside the domain
 * over scale-up, the others over the rank's own NIC, both at once; the slower side bounds it.
 */
export function allToAllSeconds(bytes: number, groupSize: number, perDomain: number, f: Fabric): number {
  if (groupSize <= 1 || bytes <= 0) return 0;
  const g = groupSize;
  const k = perDomain > g ? g : perDomain;
  const up = ((k - 1) / g) * bytes / f.scaleUpBytesPerSecond;
  const out = ((g - k) / g) * bytes / f.scaleOutBytesPerSecond;
  return (up > out ? up : out) + f.scaleUpLatencySeconds + (g > k ? f.scaleOutLatencySeconds : 0);
}

/** One point-to-point transfer of `bytes` over scale-up (inside a domain) or scale-out. */
export function pointToPointSeconds(bytes: number, insideDomain: boolean, f: Fabric): number {
  if (bytes <= 0) return 0;
  return insideDomain
    ? bytes / f.scaleUpBytesPerSecond + f.scaleUpLatencySeconds
    : bytes / f.scaleOutBytesPerSecond + f.scaleOutLatencySeconds;
}
