// The unit of work the server sends to a worker thread: one planning question about one resolved
// workload. Results are plain data (structured-clone safe); input problems come back as data too,
// because an Error's class does not survive the trip between threads.
import { InputProblemError, type FieldProblem, type Assumption } from '../core/index.js';
import { trainingFlops } from '../model/index.js';
import { incompleteSearchWarning, searchLayouts, type SearchResult } from '../search/index.js';
import { planEstimate, planSizing, type EstimateResult, type SizingResult } from './planner.js';
import { chooseLayout, fixedLayoutProblems, searchRequestFor, type ChosenLayout } from './layout-choice.js';
import type { ResolvedWorkload } from './workload.js';
import { compareAccelerators, recommend, sweep, type CompareResult, type ProcurementTaskInput, type RecommendResult, type SweepPoint } from './procurement.js';

export type PlanTaskKind = 'estimate' | 'memory' | 'sizing' | 'parallelism' | 'compare' | 'recommend' | 'sweep';

export interface PlanTask {
  kind: PlanTaskKind;
  workload: ResolvedWorkload;
  /** compare / recommend / sweep (issue 4): the per-accelerator or per-point workloads and options */
  procurement?: ProcurementTaskInput;
}

export interface MemoryAnswer {
  gpus: number;
  chosen: ChosenLayout;
  warnings: string[];
  assumptions: Assumption[];
}

export interface SizingAnswer {
  sizing: SizingResult;
  warnings: string[];
  assumptions: Assumption[];
}

export interface ParallelismAnswer {
  gpus: number;
  search: SearchResult;
  warnings: string[];
  assumptions: Assumption[];
}

export type PlanTaskResult =
  | { ok: true; kind: 'estimate'; value: EstimateResult }
  | { ok: true; kind: 'memory'; value: MemoryAnswer }
  | { ok: true; kind: 'sizing'; value: SizingAnswer }
  | { ok: true; kind: 'parallelism'; value: ParallelismAnswer }
  | { ok: true; kind: 'compare'; value: CompareResult }
  | { ok: true; kind: 'recommend'; value: RecommendResult }
  | { ok: true; kind: 'sweep'; value: { points: SweepPoint[]; elapsedMs: number } }
  | { ok: false; problems: FieldProblem[] };

export type PlanRunner = (task: PlanTask) => Promise<PlanTaskResult>;

/** GPUs of the request, or the recommended count when it gives none (and say so). */
function gpusFor(w: ResolvedWorkload, assumptions: Assumption[]): number {
  if (w.gpus !== undefined) return w.gpus;
  const sizing = planSizing(w, trainingFlops(w.model.shape, w.model.counts, w.training));
  assumptions.push({ field: '/hardware/count', value: sizing.recommendedGpus, reason: 'not given: the recommended count (see POST /v1/gpu-sizing)' });
  return sizing.recommendedGpus;
}

function answer(task: PlanTask): PlanTaskResult {
  const w = task.workload;
  const assumptions = [...w.assumptions];
  switch (task.kind) {
    case 'estimate':
      return { ok: true, kind: 'estimate', value: planEstimate(w) };
    case 'memory': {
      const gpus = gpusFor(w, assumptions);
      const chosen = chooseLayout(w, gpus);
      return { ok: true, kind: 'memory', value: { gpus, chosen, warnings: [...w.warnings, ...chosen.warnings], assumptions } };
    }
    case 'sizing': {
      const sizing = planSizing(w, trainingFlops(w.model.shape, w.model.counts, w.training));
      return { ok: true, kind: 'sizing', value: { sizing, warnings: [...w.warnings], assumptions } };
    }
    case 'parallelism': {
      const gpus = gpusFor(w, assumptions);
      const problems = fixedLayoutProblems(w, gpus);
      if (problems.length > 0) return { ok: false, problems };
      const search = searchLayouts(searchRequestFor(w, gpus));
      const warnings = [...w.warnings];
      if (search.candidates.length === 0) warnings.push(search.infeasibleReason ?? `no layout fits on ${gpus} GPUs`);
      if (!search.complete) warnings.push(incompleteSearchWarning(search, w.search.maxEvaluations));
      return { ok: true, kind: 'parallelism', value: { gpus, search, warnings, assumptions } };
    }
    case 'compare':
    case 'recommend':
    case 'sweep': {
      const p = task.procurement;
      if (!p || p.kind !== task.kind) return { ok: false, problems: [{ path: '/', message: `the ${task.kind} task carries no ${task.kind} input` }] };
      if (p.kind === 'compare') return { ok: true, kind: 'compare', value: compareAccelerators(p.workloads, p.options) };
      if (p.kind === 'recommend') return { ok: true, kind: 'recommend', value: recommend(p.workloads, p.options) };
      return { ok: true, kind: 'sweep', value: sweep(p.points, p.searchMaxEvaluations) };
    }
  }
}

/** Runs one task; input problems become data. Anything else is a bug and propagates. */
export function runPlanTask(task: PlanTask): PlanTaskResult {
  try {
    return answer(task);
  } catch (error) {
    if (error instanceof InputProblemError) return { ok: false, problems: error.errors };
    throw error;
  }
}

export const inThreadRunner: PlanRunner = async (task) => runPlanTask(task);
