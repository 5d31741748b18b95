// Readable summaries of the API's answers for a person at a terminal, and the field,value CSV of an
// answer that has no table of its own. Only presentation: every number is the API's.
import type { Answer } from '../client/index.js';

const GIB = 1024 ** 3;

export const gib = (bytes: number): string => `${(bytes / GIB).toFixed(1)} GiB`;
/** Dollars in short form; 'unknown' where the API answers null (no price). */
export function usd(value: number | null, known = true): string {
  if (!known || value === null) return 'unknown';
  const abs = Math.abs(value);
  if (abs >= 1e9) return `$${(value / 1e9).toFixed(2)}B`;
  if (abs >= 1e6) return `$${(value / 1e6).toFixed(2)}M`;
  if (abs >= 1e3) return `$${(value / 1e3).toFixed(1)}k`;
  return `$${value.toFixed(0)}`;
}
export const days = (value: number): string => `${value.toFixed(1)} d`;
export function si(value: number): string {
  const units: [number, string][] = [
    [1e24, 'Y'],
    [1e21, 'Z'],
    [1e18, 'E'],
    [1e15, 'P'],
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [scale, unit] of units) if (Math.abs(value) >= scale) return `${(value / scale).toPrecision(3)}${unit}`;
  return value.toPrecision(3);
}
const pct = (fraction: number): string => `${(fraction * 100).toFixed(1)}%`;

/** Rows of label and value, the labels padded to one column. */
function table(rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`);
}

function notes(warnings: readonly string[], assumptions: readonly { field: string; value?: unknown; reason: string }[]): string[] {
  const out: string[] = [];
  if (warnings.length > 0) out.push('', 'warnings:', ...warnings.map((w) => `  ! ${w}`));
  if (assumptions.length > 0) out.push('', `assumed (${assumptions.length}):`, ...assumptions.map((a) => `  ${a.field} = ${JSON.stringify(a.value)}: ${a.reason}`));
  return out;
}

type Memory = Answer<'estimateMemory'>;

function memoryRows(m: Pick<Answer<'estimate'>['memory'], 'perGpu' | 'gpuMemoryBytes' | 'fits'>): [string, string][] {
  const p = m.perGpu;
  return [
    ['weights', gib(p.weightsBytes)],
    ['gradients', gib(p.gradientsBytes)],
    ['optimizer', gib(p.optimizerBytes)],
    ['activations', gib(p.activationsBytes)],
    ['logits', gib(p.logitsBytes)],
    ['CUDA context', gib(p.cudaContextBytes)],
    ['comm. buffers', gib(p.communicationBuffersBytes)],
    ['fragmentation', gib(p.fragmentationBytes)],
    ['total', `${gib(p.totalBytes)} of ${gib(m.gpuMemoryBytes)} (${m.fits ? 'fits' : 'does NOT fit'})`],
  ];
}

export function layoutText(p: Answer<'estimate'>['parallelism']): string {
  const parts = [`TP${p.tensor}`, `PP${p.pipeline}`, `DP${p.data}`];
  if (p.context > 1) parts.push(`CP${p.context}`);
  if (p.expert > 1) parts.push(`EP${p.expert}`);
  const extras = [`micro-batch ${p.microBatchSize}`, `ZeRO-${p.zeroStage}`, `recompute ${p.recompute}`, p.schedule + (p.virtualStages > 1 ? ` ×${p.virtualStages}` : '')];
  if (p.sequenceParallel) extras.push('sequence parallel');
  return `${parts.join(' × ')} = ${p.gpus} GPUs; ${extras.join(', ')}`;
}

export function estimateText(a: Answer<'estimate'>): string {
  const perf = a.performance;
  const band = perf.stepSecondsRange;
  const cloud = a.cost.cloud;
  const lines = [
    `${a.model.presetId ?? 'model'}: ${si(a.model.parameters)} parameters, ${si(a.training.tokens)} tokens, on ${a.hardware.count} × ${a.hardware.name} (${a.training.precision})`,
    '',
    `memory per GPU (most loaded, stage ${a.memory.mostLoadedStage}):`,
    ...table(memoryRows(a.memory)),
    '',
    `layout: ${layoutText(a.parallelism)}`,
    '',
    'performance:',
    ...table([
      ['step time', `${perf.stepSeconds.toFixed(3)} s${band ? ` (80% band ${band.low.toFixed(3)}–${band.high.toFixed(3)} s)` : ''}`],
      ['throughput', `${si(perf.tokensPerSecond)} tokens/s, ${perf.tflopsPerGpu.toFixed(0)} TFLOP/s per GPU, MFU ${pct(perf.mfu)}`],
      ...Object.entries(perf.breakdownSeconds)
        .filter(([, seconds]) => seconds > 0)
        .map(([term, seconds]) => [`  ${term}`, `${seconds.toFixed(3)} s`] as [string, string]),
    ]),
    '',
    'time and cost:',
    ...table([
      ['days', `${days(a.time.days)}${a.time.daysRange ? ` (80% band ${days(a.time.daysRange.low)}–${days(a.time.daysRange.high)})` : ''}${a.time.goodput !== undefined ? `, goodput ${pct(a.time.goodput)}` : ''}`],
      ['GPU-hours', si(a.time.gpuHours)],
      [
        'cloud',
        `${usd(cloud.totalUsd, cloud.priceKnown)}${cloud.totalUsdRange && cloud.priceKnown ? ` (${usd(cloud.totalUsdRange.low)}–${usd(cloud.totalUsdRange.high)})` : ''} at ${cloud.gpuHourUsd === null ? 'unknown price' : `$${cloud.gpuHourUsd.toFixed(2)}`}/GPU-hour`,
      ],
      ['on premises', `${usd(a.cost.onPrem.totalUsd, a.cost.onPrem.priceKnown)} (depreciation + energy; capital ${usd(a.cost.onPrem.capitalUsd, a.cost.onPrem.priceKnown)})`],
      ['energy', `${si(a.cost.energy.kwh)} kWh, ${si(a.cost.energy.co2Kg)} kg CO2`],
    ]),
    ...notes(a.warnings, a.assumptions),
  ];
  return lines.join('\n');
}

export function memoryText(a: Memory): string {
  const t = a.total;
  const whole = [
    `whole model (${si(a.model.parameters)} parameters, before any split; ${t.microBatchSize} sequence(s) of activations, recompute ${t.recompute}):`,
    ...table([
      ['weights', gib(t.weightsBytes)],
      ['gradients', gib(t.gradientsBytes)],
      ['optimizer', gib(t.optimizerBytes)],
      ['activations', gib(t.activationsBytes)],
      ['total', gib(t.totalBytes)],
    ]),
    '',
    'by precision (weights alone / training total):',
    ...table(a.byPrecision.map((p) => [p.precision, `${gib(p.weightsBytes)} / ${gib(p.totalBytes)}`])),
  ];
  const { perGpu, gpuMemoryBytes, fits, parallelism } = a;
  const perGpuLines = perGpu && gpuMemoryBytes !== undefined && fits !== undefined && parallelism
    ? ['', `memory per GPU (most loaded, stage ${a.mostLoadedStage}):`, ...table(memoryRows({ perGpu, gpuMemoryBytes, fits })), '', `layout: ${layoutText(parallelism)}`]
    : [];
  return [...whole, ...perGpuLines, ...notes(a.warnings, a.assumptions)].join('\n');
}

export function flopsText(a: Answer<'estimateFlops'>): string {
  const c = a.conventions;
  return [
    `training compute for ${a.model.presetId ?? 'the model'} (${si(a.model.parameters)} parameters):`,
    ...table([
      ['model FLOPs', `${a.total.toExponential(3)} (${si(a.perToken)} per token)`],
      ['6·N·D', c.sixND.toExponential(3)],
      ['6ND + attention', c.sixNDPlusAttention.toExponential(3)],
      ['6ND + causal attn.', c.sixNDPlusCausalAttention.toExponential(3)],
      ['Megatron Eq. 3', c.megatronEq3.toExponential(3)],
    ]),
    ...notes(a.warnings, a.assumptions),
  ].join('\n');
}

function evaluationTable(
  rows: readonly { label: string; status: string; gpus: number; layout: string; days: number; cost: string; mfu: number; mark?: string }[],
): string[] {
  const header = ['', 'gpus', 'layout', 'days', 'cost', 'MFU', ''];
  const body = rows.map((r) =>
    r.status === 'ok' ? [r.label, String(r.gpus), r.layout, r.days.toFixed(1), r.cost, pct(r.mfu), r.mark ?? ''] : [r.label, String(r.gpus), r.status, '', '', '', ''],
  );
  const widths = header.map((_, i) => Math.max(header[i]!.length, ...body.map((row) => row[i]!.length)));
  return [header, ...body].map((row) => `  ${row.map((cell, i) => (i === 0 || i === 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')}`.trimEnd());
}

export function compareText(a: Answer<'compareAccelerators'>): string {
  return [
    `${a.entries.length} accelerators, fastest first (cost: ${a.costBasis}; * = on the days–cost Pareto frontier):`,
    ...evaluationTable(
      a.entries.map((e) => ({ label: e.accelerator, status: e.status, gpus: e.gpus, layout: e.layout, days: e.days, cost: usd(e.costUsd, e.costKnown), mfu: e.mfu, mark: e.onFrontier ? '*' : '' })),
    ),
    ...notes(a.warnings, a.assumptions),
  ].join('\n');
}

export function sweepText(a: Answer<'sweep'>): string {
  return [
    `sweep of ${a.parameter}:`,
    ...evaluationTable(a.points.map((p) => ({ label: p.value, status: p.status, gpus: p.gpus, layout: p.layout, days: p.days, cost: usd(p.cloudUsd, p.cloudPriceKnown), mfu: p.mfu }))),
    ...notes(a.warnings, a.assumptions),
  ].join('\n');
}

export function recommendText(a: Answer<'recommend'>): string {
  return [
    a.explanation,
    ...evaluationTable(
      a.options.map((o) => ({ label: `${o.rank}. ${o.accelerator} (${o.mode})`, status: 'ok', gpus: o.gpus, layout: o.layout, days: o.days, cost: usd(o.costUsd), mfu: o.mfu })),
    ),
    ...(a.suggestions.length > 0 ? ['', 'what would work:', ...a.suggestions.map((s) => `  - ${s.message}`)] : []),
    ...notes(a.warnings, a.assumptions),
  ].join('\n');
}

function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** An answer as field,value rows, one per leaf, the field a JSON Pointer (/memory/perGpu/totalBytes). */
export function fieldValueCsv(answer: unknown): string {
  const rows: string[] = ['field,value'];
  const walk = (value: unknown, pointer: string): void => {
    if (Array.isArray(value)) {
      if (value.every((v) => typeof v !== 'object' || v === null)) rows.push(`${csvCell(pointer)},${csvCell(value.join('; '))}`);
      else value.forEach((v, i) => walk(v, `${pointer}/${i}`));
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, v] of Object.entries(value)) walk(v, `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`);
    } else {
      rows.push(`${csvCell(pointer)},${csvCell(value === null || value === undefined ? '' : String(value))}`);
    }
  };
  walk(answer, '');
  return `${rows.join('\r\n')}\r\n`;
}
