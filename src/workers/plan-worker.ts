// Piscina worker: answers one planning task (estimate, memory, sizing, parallelism) off the main
// event loop. Tasks and results travel by structured clone (plain data).
import { runPlanTask, type PlanTask, type PlanTaskResult } from '../domain/planning/index.js';

export default function planWorker(task: PlanTask): PlanTaskResult {
  return runPlanTask(task);
}
