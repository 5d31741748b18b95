// data/calibration/step-time-fit.json: the constants `npm run calibrate -- --write` fitted on the
// measured runs (scripts/calibration/fit.ts). Read at start-up and checked field by field; a bad
// file stops the service naming the field, like the YAML catalogs. An absent file means no fit.
import { existsSync, readFileSync } from 'node:fs';
import type { StepTimeBand, StepTimeFit } from '../domain/performance/stack-fit.js';
import { CatalogError, type CatalogProblem } from './errors.js';

function positive(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x) && x > 0;
}

function bandProblems(b: unknown, path: string, file: string): CatalogProblem[] {
  const band = b as Partial<StepTimeBand> | undefined;
  if (!band || !positive(band.low) || !positive(band.high) || band.low > 1 || band.high < 1 || !positive(band.confidence) || band.confidence >= 1) {
    return [{ file, path, message: 'a band needs 0 < low ≤ 1 ≤ high and 0 < confidence < 1' }];
  }
  return [];
}

export function parseStepTimeFit(text: string, file: string): StepTimeFit {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new CatalogError([{ file, path: '', message: `not JSON: ${(error as Error).message}` }]);
  }
  const fit = doc as Partial<StepTimeFit>;
  const problems: CatalogProblem[] = [];
  if (!fit || typeof fit !== 'object' || typeof fit.frameworks !== 'object' || typeof fit.groups !== 'object' || fit.frameworks === null || fit.groups === null) {
    throw new CatalogError([{ file, path: '', message: 'needs frameworks, groups, fallbackBand and priorHost' }]);
  }
  for (const [id, f] of Object.entries(fit.frameworks)) {
    for (const k of ['hostSecondsPerLayerPass', 'hostSecondsPerCollective'] as const) {
      if (!positive(f[k])) problems.push({ file, entry: id, path: `/frameworks/${id}/${k}`, message: 'must be a positive number of seconds' });
    }
  }
  for (const [id, g] of Object.entries(fit.groups)) {
    if (!positive(g.computeTimeScale)) problems.push({ file, entry: id, path: `/groups/${id}/computeTimeScale`, message: 'must be a positive number' });
    if (!g.gpus || !positive(g.gpus.min) || !positive(g.gpus.max)) problems.push({ file, entry: id, path: `/groups/${id}/gpus`, message: 'needs positive min and max' });
    problems.push(...bandProblems(g.band, `/groups/${id}/band`, file));
  }
  problems.push(...bandProblems(fit.fallbackBand, '/fallbackBand', file));
  if (!fit.priorHost || !positive(fit.priorHost.hostSecondsPerLayerPass) || !positive(fit.priorHost.hostSecondsPerCollective)) {
    problems.push({ file, path: '/priorHost', message: 'needs positive hostSecondsPerLayerPass and hostSecondsPerCollective' });
  }
  if (problems.length > 0) throw new CatalogError(problems);
  return fit as StepTimeFit;
}

/** The fit at `path`, or undefined when there is no such file. */
export function loadStepTimeFit(path: string): StepTimeFit | undefined {
  if (!existsSync(path)) return undefined;
  return parseStepTimeFit(readFileSync(path, 'utf8'), path);
}
