// npm run bench: search speed and API latency, printed as tables (DESIGN.md "bench/": run on
// demand, printed figures; not a timed test).
//   1. layouts evaluated per second on one core (memory and time fast paths, alone and together)
//   2. wall time of the full searches: llama-3.1-405b on 16,384 H100, gpt-3-175b on 1,024 A100,
//      deepseek-v3 on 2,048 H800
//   3. p50/p99 latency of POST /v1/parallelism for the same three workloads (in-process server,
//      real worker pool, sequential requests)
// Options: --repeat N (full searches, default 5), --requests N (per workload, default 30),
// --quick (fewer of everything), --no-http. Bounded: about a minute on a 2-core machine.
import os from 'node:os';
import { measureLatency } from './http.js';
import { measureSearches, measureThroughput } from './search.js';

const args = process.argv.slice(2);
const numberArg = (flag: string, fallback: number): number => {
  const i = args.indexOf(flag);
  const v = i >= 0 ? Number(args[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : fallback;
};
const quick = args.includes('--quick');
const REPEAT = numberArg('--repeat', quick ? 3 : 5);
const REQUESTS = numberArg('--requests', quick ? 10 : 30);
const HTTP = !args.includes('--no-http');

// Calculon's figures the issue quotes, for scale (DESIGN.md "Where the existing calculators go wrong")
const CALCULON_MS_PER_LAYOUT = [15, 35];
const TARGET_LAYOUTS_PER_SECOND = 1e6;
const TARGET_SEARCH_MS = 1000;

const started = performance.now();
const rate = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M/s` : `${(n / 1e3).toFixed(0)} k/s`);
const ms = (x: number): string => (x >= 100 ? `${x.toFixed(0)} ms` : `${x.toFixed(1)} ms`);
const mark = (ok: boolean): string => (ok ? 'ok' : 'MISSED');
function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].map((l) => `  ${l}`).join('\n');
}

const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
const load = os.loadavg()[0] ?? 0;
console.log(`TrainPlan bench: node ${process.version}, ${cpu}, ${os.cpus().length} cores, load average ${load.toFixed(2)}`);
if (load > os.cpus().length / 2) console.log('  (the machine is busy: figures below are pessimistic)');

console.log('\n1. Layouts evaluated per second, one core, on the layouts each full search hands its models');
const throughput = measureThroughput(quick ? 200 : 400);
console.log(table(
  ['workload', 'memory', 'time', 'memory + time', `target ${rate(TARGET_LAYOUTS_PER_SECOND)}`, 'estimateMemory (one-shot)', 'layouts'],
  throughput.map((r) => [
    r.name, rate(r.memoryPerSecond), rate(r.timePerSecond), rate(r.bothPerSecond), mark(r.bothPerSecond > TARGET_LAYOUTS_PER_SECOND),
    rate(r.oneShotMemoryPerSecond), `${r.memoryLayouts.toLocaleString('en-US')} / ${r.timedLayouts.toLocaleString('en-US')}`,
  ]),
));
console.log('  memory: prepareMemory + evaluateMemoryBytes; time: prepareWorkload + evaluateLayout into one reused estimate;');
console.log('  memory + time: both on every layout the search times. Calculon: 15-35 ms per layout, i.e. 29-67 layouts/s.');

console.log(`\n2. Full searches, time budget lifted (wall time: median of ${REPEAT} after one warm-up run)`);
const searches = measureSearches(REPEAT, started + 60_000);
console.log(table(
  ['workload', 'median', 'min', `target < ${ms(TARGET_SEARCH_MS)}`, 'complete', 'space', 'timed', 'pruned div / mem / dominated'],
  searches.map((s) => {
    const r = s.result;
    return [
      s.name, ms(s.medianMs), ms(s.minMs), mark(s.medianMs < TARGET_SEARCH_MS), String(r.complete),
      r.searched.toLocaleString('en-US'), r.evaluated.toLocaleString('en-US'),
      `${r.pruned.divisibility.toLocaleString('en-US')} / ${r.pruned.memory.toLocaleString('en-US')} / ${r.pruned.dominated.toLocaleString('en-US')}`,
    ];
  }),
));
for (const s of searches) {
  const best = s.result.candidates[0];
  if (!best) {
    console.log(`  ${s.name}: nothing fits: ${s.result.infeasibleReason ?? ''}`);
    continue;
  }
  const l = best.parallelism;
  const layout = `tp=${l.tensor} pp=${l.pipeline} dp=${l.data} cp=${l.context} ep=${l.expert} mbs=${l.microBatchSize} zero=${l.zeroStage} ${l.recompute} sp=${l.sequenceParallel ? 'on' : 'off'} v=${l.virtualStages}`;
  console.log(`  ${s.name}: best ${layout}, step ${best.performance.stepSeconds.toFixed(2)} s, MFU ${(100 * best.performance.mfu).toFixed(1)}%, ${(best.memory.perGpu.totalBytes / 2 ** 30).toFixed(1)} GiB/GPU`);
}
const gpt3 = searches.find((s) => s.name.startsWith('gpt-3'));
if (gpt3) {
  const hours = CALCULON_MS_PER_LAYOUT.map((x) => (gpt3.spaceSize * x) / 3.6e6);
  console.log(`  For scale: Calculon at 15-35 ms per layout would need ${hours.map((h) => h.toFixed(0)).join('-')} CPU-hours for this GPT-3 space of ${gpt3.spaceSize.toLocaleString('en-US')} layouts (the issue quotes about 19 for its 11.7 M).`);
}

if (HTTP) {
  console.log(`\n3. POST /v1/parallelism latency (in-process app on the shipped catalog, real worker pool, 127.0.0.1, sequential requests, default 2 s search budget)`);
  const remainingMs = Math.max(15_000, 110_000 - (performance.now() - started));
  const { rows, threads } = await measureLatency({ requests: REQUESTS, warmup: 2, perWorkloadMs: remainingMs / 3 });
  console.log(table(
    ['workload', 'n', 'p50', 'p99', 'max', 'first (cold)', 'search (server)', 'complete', 'candidates'],
    rows.map((r) => [
      r.name, String(r.samplesMs.length), ms(r.p50Ms), ms(r.p99Ms), ms(r.maxMs), ms(r.firstMs), ms(r.searchMedianMs), String(r.complete), String(r.candidates),
    ]),
  ));
  console.log(`  p99: nearest-rank percentile (for n ≤ 100 that is the slowest request); first: the first request, cold worker JIT; worker threads: ${threads}.`);
}

console.log(`\nTotal bench time ${((performance.now() - started) / 1000).toFixed(1)} s`);
