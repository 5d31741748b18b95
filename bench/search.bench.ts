// Layout-search speed. Run: npx tsx bench/search.bench.ts [--repeat N]
// Prints (1) layouts evaluated per second on one core: the time model's fast path alone, and the
// memory + time evaluation the search runs on every layout that reaches the models; (2) the wall
// time of the three full searches the issue names. Single-threaded: everything runs on this
// thread, so the figures are per core.
import { layoutProblems } from '../src/domain/layout.js';
import { modelEvaluator, searchLayouts, searchSpaceSize, type SearchRequest } from '../src/domain/parallelism.js';
import type { ParallelLayout, RecomputeMode, ZeroStage } from '../src/domain/types.js';
import { BENCH_SEARCHES } from '../test/fixtures/search-workloads.js';

const repeatArg = process.argv.indexOf('--repeat');
const REPEAT = repeatArg > 0 ? Number(process.argv[repeatArg + 1]) : 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

/** Valid layouts of a request (divisibility only), for the per-layout throughput loop. */
function sampleLayouts(req: SearchRequest, max: number): ParallelLayout[] {
  const out: ParallelLayout[] = [];
  const N = req.gpus;
  const recomputes: RecomputeMode[] = ['none', 'selective', 'full'];
  const zeros: ZeroStage[] = [0, 1, 2, 3];
  for (let t = 1; t <= 8; t *= 2)
    for (let p = 1; p <= N / t && out.length < max; p++) {
      if ((N / t) % p !== 0) continue;
      for (const c of [1, 2, 4]) {
        const d = N / (t * p * c);
        if (!Number.isInteger(d)) continue;
        for (const b of [1, 2, 4])
          for (const z of zeros)
            for (const r of recomputes) {
              const l: ParallelLayout = {
                tensor: t, pipeline: p, data: d, context: c, expert: 1, microBatchSize: b, zeroStage: z, recompute: r,
                sequenceParallel: t > 1, schedule: '1f1b', virtualStages: 1,
              };
              if (layoutProblems(req.shape, req.training, N, l).length === 0) out.push(l);
            }
      }
    }
  return out;
}

function perSecond(fn: () => void, calls: number): number {
  // warm up, then time at least ~0.5 s
  fn();
  let rounds = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    fn();
    rounds++;
    elapsed = performance.now() - start;
  } while (elapsed < 500);
  return (rounds * calls) / (elapsed / 1000);
}

function fmt(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : n.toFixed(0);
}

console.log(`node ${process.version}, one thread; median of ${REPEAT} runs where repeated\n`);

console.log('Layouts evaluated per second (one core)');
for (const { name, request } of BENCH_SEARCHES) {
  const req = request();
  const ev = modelEvaluator(req);
  const layouts = sampleLayouts(req, 2000);
  let sink = 0;
  const timeOnly = perSecond(() => {
    for (const l of layouts) sink += ev.stepSeconds(l);
  }, layouts.length);
  const memOnly = perSecond(() => {
    for (const l of layouts) sink += ev.memoryBytes(l);
  }, layouts.length);
  const both = perSecond(() => {
    for (const l of layouts) sink += ev.memoryBytes(l) + ev.stepSeconds(l);
  }, layouts.length);
  if (!Number.isFinite(sink)) console.log('(non-finite result)');
  console.log(`  ${name.padEnd(32)} time model ${fmt(timeOnly)}/s   memory model ${fmt(memOnly)}/s   memory + time ${fmt(both)}/s   (${layouts.length} layouts)`);
}

console.log('\nFull searches (time budget lifted, complete: true expected)');
for (const { name, request } of BENCH_SEARCHES) {
  const req = { ...request(), timeBudgetMs: 600_000 };
  const walls: number[] = [];
  let last = searchLayouts(req);
  for (let i = 0; i < REPEAT; i++) {
    const t0 = performance.now();
    last = searchLayouts(req);
    walls.push(performance.now() - t0);
  }
  const wall = median(walls);
  const best = last.candidates[0];
  console.log(`  ${name}`);
  console.log(`    wall ${wall.toFixed(1)} ms (min ${Math.min(...walls).toFixed(1)}), complete=${last.complete}`);
  console.log(`    searched ${last.searched.toLocaleString('en-US')} of ${searchSpaceSize(req).toLocaleString('en-US')} (${fmt(last.searched / (wall / 1000))} layouts/s incl. pruned), evaluated ${last.evaluated.toLocaleString('en-US')}, pruned divisibility ${last.pruned.divisibility.toLocaleString('en-US')} / memory ${last.pruned.memory.toLocaleString('en-US')} / dominated ${last.pruned.dominated.toLocaleString('en-US')}`);
  if (best) {
    const l = best.parallelism;
    console.log(`    best: tp=${l.tensor} pp=${l.pipeline} dp=${l.data} cp=${l.context} ep=${l.expert} mbs=${l.microBatchSize} zero=${l.zeroStage} recompute=${l.recompute} sp=${l.sequenceParallel} v=${l.virtualStages}: step ${best.performance.stepSeconds.toFixed(2)} s, MFU ${(100 * best.performance.mfu).toFixed(1)}%, ${(best.memory.perGpu.totalBytes / 2 ** 30).toFixed(1)} GiB/GPU`);
    if (last.runnerUpReason) console.log(`    ${last.runnerUpReason}`);
  } else {
    console.log(`    nothing fits: ${last.infeasibleReason}`);
  }
}

console.log('\nDefault 2 s budget: the same searches as a request would run them');
for (const { name, request } of BENCH_SEARCHES) {
  const r = searchLayouts({ ...request(), timeBudgetMs: 2000 });
  console.log(`  ${name.padEnd(32)} ${r.elapsedMs.toFixed(1)} ms, complete=${r.complete}`);
}
