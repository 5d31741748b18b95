// The 1,723 measured runs of data/calibration (MEASURED-RUNS.md), each asked as a request built from
// what its source published (scripts/calibration/measured-runs.ts): the service must answer every one
// it can express, with a finite step time; `npm run calibrate` prints the errors per source.
import { describe, expect, it } from 'vitest';
import { evaluateMeasuredRuns, summarize } from '../scripts/calibrate.js';

describe('measured runs as requests (issue 10)', () => {
  const { errors, refused } = evaluateMeasuredRuns();

  it('answers every run but the NVFP4 ones (fp4 is not modelled yet), none refused for its layout', () => {
    expect(errors.length + refused.length).toBe(1723);
    expect(refused.map((r) => r.reason).filter((r) => !r.includes('fp4'))).toEqual([]);
    expect(refused.every((r) => r.run.source === 'megatron-bridge' && /nvfp4/i.test(r.run.training.precision ?? ''))).toBe(true);
  });

  it('predicts a finite, positive step time for each, and the summary covers every source', () => {
    for (const e of errors) {
      expect(Number.isFinite(e.predictedSeconds) && e.predictedSeconds > 0, e.run.model.name).toBe(true);
    }
    const sources = summarize(errors).map((s) => s.source);
    expect(sources).toEqual(expect.arrayContaining(['vtrain-single', 'llm-foundry', 'megatron-bridge', 'torchtitan', 'torchtitan-community', 'nemo-24.07', 'all']));
  });
});
