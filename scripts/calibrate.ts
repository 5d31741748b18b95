// npm run calibrate: the step-time model against every measured run of data/calibration
// (measured-runs.jsonl), each described only by what its source published (scripts/calibration/
// measured-runs.ts): fits the few constants of scripts/calibration/fit.ts (host times per framework,
// a compute scale per accelerator generation × framework), and prints the error per source with
// nothing fitted, in-sample, and cross-validated (leave-one-source-out), and the 80% band's coverage.
//   npm run calibrate [-- --json] [-- --write]   (--write: data/calibration/step-time-fit.json)
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defaultCatalogPaths, loadCatalog } from '../src/config/catalog.js';
import { completeLayout } from '../src/domain/layouts/index.js';
import { estimatePerformance } from '../src/domain/performance/index.js';
import { DEFAULT_MAX_EVALUATIONS } from '../src/domain/search/index.js';
import { resolveWorkload } from '../src/domain/planning/index.js';
import { measuredStepSeconds, parseMeasuredRuns, requestOf, type MeasuredRun } from './calibration/measured-runs.js';
import { buildStepTimeFit, crossValidate, fitConstants, predictSeconds, stackOf, type PreparedRun } from './calibration/fit.js';
import { stackCalibrationFor, type StepTimeFit } from '../src/domain/performance/stack-fit.js';
import { loadStepTimeFit } from '../src/config/step-time-fit.js';

export interface RunError {
  run: MeasuredRun;
  measuredSeconds: number;
  predictedSeconds: number;
  /** predicted / measured − 1 */
  error: number;
  /** the 80% band of the prediction, seconds (when the catalog has a fit) */
  bandLow?: number;
  bandHigh?: number;
}

export interface Evaluation {
  errors: RunError[];
  refused: { run: MeasuredRun; reason: string }[];
}

export const MEASURED_RUNS_PATH = fileURLToPath(new URL('../data/calibration/measured-runs.jsonl', import.meta.url));

export const STEP_TIME_FIT_PATH = fileURLToPath(new URL('../data/calibration/step-time-fit.json', import.meta.url));

type CatalogOf = ReturnType<typeof loadCatalog> | Omit<ReturnType<typeof loadCatalog>, 'stepTimeFit'>;
type Resolved = Extract<ReturnType<typeof resolveWorkload>, { model: unknown }>;

/** Every measured run as the request its source describes, resolved against `catalog`, with its layout; or why not. */
function resolveRuns(path: string, catalog: CatalogOf): { resolved: { run: MeasuredRun; measuredSeconds: number; w: Resolved; layout: ReturnType<typeof completeLayout> }[]; refused: Evaluation['refused'] } {
  const resolved: { run: MeasuredRun; measuredSeconds: number; w: Resolved; layout: ReturnType<typeof completeLayout> }[] = [];
  const refused: Evaluation['refused'] = [];
  for (const run of parseMeasuredRuns(readFileSync(path, 'utf8'))) {
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
    resolved.push({ run, measuredSeconds, w, layout: completeLayout(w.fixedLayout, w.gpus ?? run.hardware.count) });
  }
  return { resolved, refused };
}

/** Every measured run resolved once as its request, with the model's inputs (nothing fitted applied). */
export function prepareRuns(path = MEASURED_RUNS_PATH): { prepared: PreparedRun[]; refused: Evaluation['refused'] } {
  const { stepTimeFit: _ignored, ...catalog } = loadCatalog(defaultCatalogPaths());
  const { resolved, refused } = resolveRuns(path, catalog);
  const prepared = resolved.map(({ run, measuredSeconds, w, layout }): PreparedRun => {
    const framework = w.framework?.id ?? 'megatron-core';
    const generation = w.accelerator.generation.toLowerCase();
    const { stack: _none, ...options } = w.modelOptions.performance ?? {};
    return {
      run, source: run.source, framework, generation, group: `${generation}/${framework}`, gpus: run.hardware.count, measuredSeconds,
      shape: w.model.shape, counts: w.model.counts, training: w.training, layout, accelerator: w.accelerator, options,
    };
  });
  return { prepared, refused };
}

/** The shipped fit, loaded and checked as the service loads it (undefined when the file is absent). */
export function readStepTimeFit(path = STEP_TIME_FIT_PATH): StepTimeFit | undefined {
  return loadStepTimeFit(path);
}

/** Predicted step time of every measured run with the shipped catalog, frameworks and fitted constants. */
export function evaluateMeasuredRuns(path = MEASURED_RUNS_PATH): Evaluation {
  const catalog = loadCatalog(defaultCatalogPaths());
  const { resolved, refused } = resolveRuns(path, catalog);
  const errors: RunError[] = resolved.map(({ run, measuredSeconds, w, layout }) => {
    const perf = estimatePerformance(w.model.shape, w.model.counts, w.training, layout, w.accelerator, w.modelOptions.performance);
    const look = stackCalibrationFor(catalog.stepTimeFit, w.accelerator.generation, w.framework?.id, run.hardware.count);
    return {
      run, measuredSeconds, predictedSeconds: perf.stepSeconds, error: perf.stepSeconds / measuredSeconds - 1,
      ...(look ? { bandLow: perf.stepSeconds * look.band.low, bandHigh: perf.stepSeconds * look.band.high } : {}),
    };
  });
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
  const t0 = Date.now();
  const { prepared, refused } = prepareRuns();
  const base = fitConstants([]); // nothing fitted: the prior everywhere
  const fit = fitConstants(prepared);
  const cv = crossValidate(prepared);
  const shipped = buildStepTimeFit(prepared, cv);
  const rowsOf = (predict: (r: PreparedRun) => number): RunError[] =>
    prepared.map((r) => {
      const predictedSeconds = predict(r);
      return { run: r.run, measuredSeconds: r.measuredSeconds, predictedSeconds, error: predictedSeconds / r.measuredSeconds - 1 };
    });
  const before = summarize(rowsOf((r) => predictSeconds(r, stackOf(base, r))));
  const inSample = summarize(rowsOf((r) => predictSeconds(r, stackOf(fit, r))));
  const loso = summarize(rowsOf((r) => cv.looPredicted.get(r)!));
  // band coverage: the shipped band around the in-sample prediction, and around the leave-one-source-out one
  const covered = (predict: (r: PreparedRun) => number) => {
    const by = new Map<string, { n: number; inside: number }>();
    for (const r of prepared) {
      const look = stackCalibrationFor(shipped, r.generation, r.framework, r.gpus)!;
      const p = predict(r);
      const inside = r.measuredSeconds >= p * look.band.low && r.measuredSeconds <= p * look.band.high ? 1 : 0;
      for (const k of [r.source, 'all']) {
        const c = by.get(k) ?? { n: 0, inside: 0 };
        by.set(k, { n: c.n + 1, inside: c.inside + inside });
      }
    }
    return by;
  };
  const coverIn = covered((r) => predictSeconds(r, stackOf(fit, r)));
  if (process.argv.includes('--write')) {
    const out = {
      about: 'Fitted by `npm run calibrate -- --write` (scripts/calibrate.ts, scripts/calibration/fit.ts) on data/calibration/measured-runs.jsonl; read by the service (src/config/catalog.ts). Do not edit by hand.',
      objective: 'mean over sources of mean |ln(predicted/measured)|, a source weighing √(its runs), + 0.01·(ln x − ln prior)² per constant; bands: 10th-90th percentile of cross-validated ln(measured/predicted), sources weighted equally',
      ...shipped,
    };
    writeFileSync(STEP_TIME_FIT_PATH, `${JSON.stringify(out, null, 2)}\n`);
  }
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify({ before, inSample, crossValidated: loso, fit: shipped, refused: refused.map((r) => ({ source: r.run.source, model: r.run.model.name, reason: r.reason })) }, null, 2)}\n`);
  } else {
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    process.stdout.write('step time, predicted vs measured (data/calibration/measured-runs.jsonl): median | p90 of |predicted/measured − 1|\n');
    process.stdout.write(`${'source'.padEnd(21)} ${'runs'.padStart(5)}  ${'nothing fitted'.padStart(15)}  ${'in-sample'.padStart(15)}  ${'leave-source-out'.padStart(16)}  ${'80% band holds'.padStart(14)}\n`);
    for (const s of inSample) {
      const b = before.find((x) => x.source === s.source)!;
      const l = loso.find((x) => x.source === s.source)!;
      const c = coverIn.get(s.source)!;
      const cell = (x: SourceSummary) => `${pct(x.medianAbsError).padStart(6)} | ${pct(x.p90AbsError).padStart(6)}`;
      process.stdout.write(`${s.source.padEnd(21)} ${String(s.runs).padStart(5)}  ${cell(b).padStart(15)}  ${cell(s).padStart(15)}  ${cell(l).padStart(16)}  ${pct(c.inside / c.n).padStart(14)}\n`);
    }
    process.stdout.write('\nfitted constants (host floor per framework; compute scale and 80% band of measured/predicted per generation/framework)\n');
    for (const [fw, f] of Object.entries(shipped.frameworks)) {
      process.stdout.write(`  ${fw.padEnd(20)} host ${(f.hostSecondsPerLayerPass * 1e6).toFixed(0)} µs per layer pass, ${(f.hostSecondsPerCollective * 1e6).toFixed(0)} µs per TP collective (${f.runs} runs: ${f.sources.join(', ')})\n`);
    }
    for (const [g, x] of Object.entries(shipped.groups)) {
      process.stdout.write(`  ${g.padEnd(30)} compute × ${x.computeTimeScale.toFixed(3)}  band ${x.band.low.toFixed(2)}-${x.band.high.toFixed(2)} × predicted  (${x.runs} runs, ${x.gpus.min}-${x.gpus.max} GPUs)\n`);
    }
    process.stdout.write(`  fallback band ${shipped.fallbackBand.low.toFixed(2)}-${shipped.fallbackBand.high.toFixed(2)} × predicted (${shipped.fallbackBand.basis})\n`);
    const reasons = new Map<string, number>();
    for (const r of refused) reasons.set(`${r.run.source}: ${r.reason}`, (reasons.get(`${r.run.source}: ${r.reason}`) ?? 0) + 1);
    process.stdout.write(`\nnot predicted: ${refused.length} run(s)\n`);
    for (const [reason, n] of reasons) process.stdout.write(`  ${n} × ${reason}\n`);
    process.stdout.write(`(${((Date.now() - t0) / 1000).toFixed(1)} s${process.argv.includes('--write') ? '; wrote data/calibration/step-time-fit.json' : ''})\n`);
  }
}
