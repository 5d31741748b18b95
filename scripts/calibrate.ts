// npm run calibrate: the step-time model against every measured run of data/calibration
// (measured-runs.jsonl), each described only by what its source published (scripts/calibration/
// measured-runs.ts), and the error per source. Nothing here is fitted yet: these are the errors of the
// per-generation constants in src/domain/performance/calibration.ts on runs they were not set with.
//   npx tsx scripts/calibrate.ts [--json]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defaultCatalogPaths, loadCatalog } from '../src/config/catalog.js';
import { completeLayout } from '../src/domain/layouts/index.js';
import { estimatePerformance } from '../src/domain/performance/index.js';
import { DEFAULT_MAX_EVALUATIONS } from '../src/domain/search/index.js';
import { resolveWorkload } from '../src/domain/planning/index.js';
import { measuredStepSeconds, parseMeasuredRuns, requestOf, type MeasuredRun } from './calibration/measured-runs.js';

export interface RunError {
  run: MeasuredRun;
  measuredSeconds: number;
  predictedSeconds: number;
  /** predicted / measured − 1 */
  error: number;
}

export interface Evaluation {
  errors: RunError[];
  refused: { run: MeasuredRun; reason: string }[];
}

export const MEASURED_RUNS_PATH = fileURLToPath(new URL('../data/calibration/measured-runs.jsonl', import.meta.url));

/** Predicted step time of every measured run with the shipped catalog and frameworks. */
export function evaluateMeasuredRuns(path = MEASURED_RUNS_PATH): Evaluation {
  const catalog = loadCatalog(defaultCatalogPaths());
  const runs = parseMeasuredRuns(readFileSync(path, 'utf8'));
  const errors: RunError[] = [];
  const refused: Evaluation['refused'] = [];
  for (const run of runs) {
    const measuredSeconds = measuredStepSeconds(run);
    if (measuredSeconds === undefined || !(measuredSeconds > 0)) {
      refused.push({ run, reason: 'no measured step time' });
      continue;
    }
    const mapped = requestOf(run);
    if ('reason' in mapped) {
      refused.push({ run, reason: mapped.reason });
      continue;
    }
    const w = resolveWorkload(mapped.request, catalog, { defaultSearchMaxEvaluations: DEFAULT_MAX_EVALUATIONS });
    if ('problems' in w) {
      refused.push({ run, reason: w.problems.map((p) => `${p.path}: ${p.message}`).join('; ') });
      continue;
    }
    const layout = completeLayout(w.fixedLayout, w.gpus ?? run.hardware.count);
    const perf = estimatePerformance(w.model.shape, w.model.counts, w.training, layout, w.accelerator, w.modelOptions.performance);
    errors.push({ run, measuredSeconds, predictedSeconds: perf.stepSeconds, error: perf.stepSeconds / measuredSeconds - 1 });
  }
  return { errors, refused };
}

function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

export interface SourceSummary {
  source: string;
  runs: number;
  medianAbsError: number;
  p90AbsError: number;
  medianSignedError: number;
}

export function summarize(errors: readonly RunError[]): SourceSummary[] {
  const bySource = new Map<string, RunError[]>();
  for (const e of errors) bySource.set(e.run.source, [...(bySource.get(e.run.source) ?? []), e]);
  const rows = [...bySource.entries()].map(([source, es]) => row(source, es));
  rows.push(row('all', [...errors]));
  return rows;
}

function row(source: string, es: readonly RunError[]): SourceSummary {
  const abs = es.map((e) => Math.abs(e.error));
  return { source, runs: es.length, medianAbsError: quantile(abs, 0.5), p90AbsError: quantile(abs, 0.9), medianSignedError: quantile(es.map((e) => e.error), 0.5) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { errors, refused } = evaluateMeasuredRuns();
  const summary = summarize(errors);
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify({ summary, refused: refused.map((r) => ({ source: r.run.source, model: r.run.model.name, reason: r.reason })) }, null, 2)}\n`);
  } else {
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`.padStart(8);
    process.stdout.write('step time, predicted vs measured (data/calibration/measured-runs.jsonl), current constants, nothing fitted\n');
    process.stdout.write(`${'source'.padEnd(22)} ${'runs'.padStart(5)} ${'median |e|'.padStart(11)} ${'p90 |e|'.padStart(8)} ${'median e'.padStart(9)}\n`);
    for (const s of summary) process.stdout.write(`${s.source.padEnd(22)} ${String(s.runs).padStart(5)} ${pct(s.medianAbsError).padStart(11)} ${pct(s.p90AbsError)} ${pct(s.medianSignedError).padStart(9)}\n`);
    const reasons = new Map<string, number>();
    for (const r of refused) reasons.set(`${r.run.source}: ${r.reason}`, (reasons.get(`${r.run.source}: ${r.reason}`) ?? 0) + 1);
    process.stdout.write(`\nnot predicted: ${refused.length} run(s)\n`);
    for (const [reason, n] of reasons) process.stdout.write(`  ${n} × ${reason}\n`);
  }
}
