// The planning guide's questions, asked of the service as a user would, with our answer beside the
// guide's rule of thumb. Writes docs/GUIDE-QUESTIONS.md (npm run guide); every figure in it comes
// from a request printed next to it, so anyone can ask it again.
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../src/app.js';
import { defaultCatalogPaths, loadCatalog } from '../src/config/catalog.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(root, 'docs', 'GUIDE-QUESTIONS.md');

type Json = any;
interface Question {
  question: string;
  url: string;
  body: object;
  guide: string;
  ours: (answer: Json) => string;
}

const GB = 1e9;
const fmt = (x: number, digits = 3): string => x.toPrecision(digits);
const usd = (x: number | null): string => (x === null ? 'unknown (null)' : x >= 1e6 ? `$${(x / 1e6).toFixed(2)}M` : `$${(x / 1e3).toFixed(0)}k`);

const QUESTIONS: Question[] = [
  {
    question: 'How much compute does GPT-3 (175B, 300B tokens) take?',
    url: '/v1/flops',
    body: { model: { preset: 'gpt-3-175b' }, training: { tokens: '300B' } },
    guide: '6 · N · D = 6 × 175e9 × 300e9 ≈ 3.15e23 FLOPs',
    ours: (a) => `${fmt(a.total)} model FLOPs (6·N·D = ${fmt(a.sixNDTotal)}; attention adds ${fmt(a.total - a.sixNDTotal, 2)}); with full recomputation the GPUs execute ${fmt(a.hardwareTotalByRecompute.full)}. No hardware needed.`,
  },
  {
    question: 'How much memory does a 100B model need?',
    url: '/v1/memory',
    body: { model: { parameters: '100B' } },
    guide: 'fp16 weights ≈ 200 GB; training ≈ 500–700 GB',
    ours: (a) => {
      const fp16 = a.byPrecision.find((p: Json) => p.precision === 'fp16');
      return `weights in fp16 ${(fp16.weightsBytes / GB).toFixed(0)} GB; training in bf16 with AdamW ${(a.total.totalBytes / GB).toFixed(0)} GB ` +
        `(weights ${(a.total.weightsBytes / GB).toFixed(0)}, gradients ${(a.total.gradientsBytes / GB).toFixed(0)} in fp32 as Megatron keeps them, optimizer ${(a.total.optimizerBytes / GB).toFixed(0)}, ` +
        `one 4,096-token sequence of activations ${(a.total.activationsBytes / GB).toFixed(0)}). The guide's 500–700 GB leaves out the fp32 master weights and Adam moments (12 bytes per parameter, ZeRO Sec. 3.1).`;
    },
  },
  {
    question: 'How many A100 80GB does a 70B model need, by memory?',
    url: '/v1/gpu-sizing',
    body: { model: { parameters: '70B' }, hardware: { gpu: 'a100' }, training: { tokens: '1.4T' } },
    guide: 'model states / 80 GB, +20%',
    ours: (a) => `${a.minGpusByMemory} GPUs is the fewest with a layout that fits (the guide's method gives ${a.naiveGpusByMemory}); for the default 90-day deadline ${a.gpusForDeadline ?? '–'} by the step-time model, ${a.recommendedGpus} recommended with the 20% margin on whole nodes.`,
  },
  {
    question: 'How long does Llama 2 70B (2T tokens) take on H100, when I do not say how many?',
    url: '/v1/estimate',
    body: { model: { preset: 'llama-2-70b' }, training: { tokens: '2T' }, hardware: { gpu: 'h100' } },
    guide: 'pick a cluster, then F / (GPUs × peak × MFU)',
    ours: (a) => `sized for the default 90-day deadline: ${a.hardware.count} GPUs, ${a.time.days.toFixed(1)} days (80% band ${a.time.daysRange ? `${a.time.daysRange.low.toFixed(1)}–${a.time.daysRange.high.toFixed(1)}` : 'n/a'}), MFU ${(a.performance.mfu * 100).toFixed(1)}%, ${usd(a.cost.cloud.totalUsd)} in the cloud; the count is listed in assumptions.`,
  },
  {
    question: 'V100 has no bf16: what precision does it train in?',
    url: '/v1/estimate',
    body: { model: { parameters: '1.3B' }, training: { tokens: '26B' }, hardware: { gpu: 'v100', count: 8 } },
    guide: 'fp16 mixed precision with loss scaling on Volta',
    ours: (a) => `trains in ${a.training?.precision ?? a.assumptions.find((x: Json) => x.field === '/training/precision')?.value} (listed in assumptions), ${a.time.days.toFixed(1)} days on 8 V100.`,
  },
  {
    question: 'What do 128 A100 cost for 30 days?',
    url: '/v1/cost',
    body: { hardware: { gpu: 'a100', count: 128 }, usage: { days: 30 } },
    guide: 'GPUs × hours × price per GPU-hour',
    ours: (a) => `${usd(a.cloud.totalUsd)} in the cloud (${a.time.gpuHours} GPU-hours at $${a.cloud.gpuHourUsd}/h); ${(a.energy.kwh / 1000).toFixed(1)} MWh and ${(a.energy.co2Kg / 1000).toFixed(1)} t CO2; on premises ${usd(a.onPrem.totalUsd)} (the catalog has no A100 purchase price).`,
  },
  {
    question: 'What should 1,000 H100 for 30 days train?',
    url: '/v1/scaling',
    body: { cluster: { gpu: 'h100', count: 1000, days: 30 } },
    guide: 'C = GPUs × seconds × peak × MFU; N = √(C / 120), D = 20 N (Chinchilla)',
    ours: (a) => `${fmt(a.computeFlops)} FLOPs at the step-time model's ${(a.cluster.mfu * 100).toFixed(1)}% MFU and ${(a.cluster.goodput * 100).toFixed(1)}% goodput; compute-optimal ${(a.optimal.ruleOfThumb.parameters / 1e9).toFixed(0)}B parameters on ${(a.optimal.ruleOfThumb.tokens / 1e12).toFixed(2)}T tokens (20 per parameter).`,
  },
  {
    question: 'Is the network fast enough for Llama 3.1 70B on 1,024 H100 (≥ 100 Gb/s per GPU)?',
    url: '/v1/estimate',
    body: { model: { preset: 'llama-3.1-70b' }, training: { tokens: '2T' }, hardware: { gpu: 'h100', count: 1024 } },
    guide: '≥ 100 Gb/s per GPU for multi-node training',
    ours: (a) => {
      const f = a.infrastructure.fabric;
      return `${f.linkGbpsPerGpu} Gb/s per GPU (${f.meetsGuideMinimum ? 'meets' : 'misses'} the guide); the chosen layout needs ${a.infrastructure.network.neededGbpsPerGpu.toFixed(0)} Gb/s to hide its traffic. Fabric: ${f.note}, ${f.totalSwitches} switches. Cooling: ${a.infrastructure.cooling.advice}.`;
    },
  },
  {
    question: 'A 70B model for $1M within 120 days: on what?',
    url: '/v1/recommend',
    body: { model: { parameters: '70B' }, constraints: { budgetUsd: 1_000_000, deadlineDays: 120 }, recommend: { accelerators: ['a100-sxm-80gb', 'h100-sxm-80gb', 'mi300x'], procurement: 'cloud' } },
    guide: 'price per GPU-hour × GPU-hours, compared by hand',
    ours: (a) => a.options.length > 0
      ? `${a.options.length} option(s); cheapest ${a.options[0].gpus} ${a.options[0].accelerator} for ${usd(a.options[0].costUsd)} in ${a.options[0].days.toFixed(0)} days.`
      : `none fits: ${a.explanation}`,
  },
  {
    question: 'Which accelerator trains Llama 2 70B fastest and cheapest at 512 GPUs?',
    url: '/v1/compare',
    body: { model: { preset: 'llama-2-70b' }, training: { tokens: '2T' }, hardware: { count: 512 }, compare: { accelerators: ['a100-sxm-80gb', 'h100-sxm-80gb', 'h200-sxm-141gb', 'mi300x', 'b200'] } },
    guide: 'peak TFLOP/s and price, compared by hand',
    ours: (a) => a.entries.filter((e: Json) => e.status === 'ok').map((e: Json) => `${e.accelerator} ${e.days.toFixed(1)} d ${usd(e.costUsd)}${e.onFrontier ? ' (frontier)' : ''}`).join('; '),
  },
];

async function main(): Promise<void> {
  const app = await buildApp({ catalog: await loadCatalog(defaultCatalogPaths()) });
  await app.ready();
  const rows: string[] = [];
  for (const q of QUESTIONS) {
    const res = await app.inject({ method: 'POST', url: q.url, payload: q.body });
    if (res.statusCode !== 200) throw new Error(`${q.url} answered ${res.statusCode}: ${res.body}`);
    const answer = res.json();
    rows.push(`### ${q.question}\n\n\`POST ${q.url}\` \`${JSON.stringify(q.body)}\`\n\n- **The guide:** ${q.guide}\n- **TrainPlan:** ${q.ours(answer)}\n`);
  }
  await app.close();
  const doc =
    '# The planning guide\'s questions, asked of TrainPlan\n\n' +
    'Each question as a user would ask it, the request that asks it, the guide\'s rule of thumb and our answer. ' +
    'Written by `npm run guide` (scripts/guide-questions.ts) from the shipped catalog; rerun it after a change to the models.\n\n' +
    rows.join('\n');
  await writeFile(OUT, doc);
  process.stdout.write(doc);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
