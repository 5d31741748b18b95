// The command line (issue 12): `trainplan <command>` prints the numbers POST /v1/<command> answers,
// --json / --csv for scripts, and a non-zero exit with the problem's message on bad input.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/main.js';
import { parseCommandLine, UsageError } from '../src/cli/arguments.js';
import { fieldValueCsv } from '../src/cli/format.js';
import { buildTestApp } from './helper.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

async function cli(argv: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), interactive: false, readStdin: () => stdin });
  return { code, stdout, stderr };
}

/** Timings differ from one run to the next; everything else must be the same. */
function withoutTimings(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (key, v) => (key === 'elapsedMs' ? undefined : v)));
}

const ESTIMATE_ARGS = ['estimate', '--preset', 'llama-3.1-70b', '--gpu', 'h100', '--count', '1024', '--tokens', '2T'];
const ESTIMATE_BODY = { model: { preset: 'llama-3.1-70b' }, hardware: { gpu: 'h100', count: 1024 }, training: { tokens: '2T' } };

describe('trainplan command line', () => {
  let app: Awaited<ReturnType<typeof buildTestApp>>;
  let api: Record<string, any>;
  beforeAll(async () => {
    app = await buildTestApp();
    api = (await app.inject({ method: 'POST', url: '/v1/estimate', payload: ESTIMATE_BODY })).json();
  });
  afterAll(() => app.close());

  it('turns flags into the request body the API takes', () => {
    const parsed = parseCommandLine([...ESTIMATE_ARGS, '--set', 'parallelism.schedule=interleaved', '--set', 'parallelism.virtualStages=2']);
    expect(parsed).not.toBe('help');
    if (parsed === 'help') return;
    expect(parsed.body).toEqual({ ...ESTIMATE_BODY, parallelism: { schedule: 'interleaved', virtualStages: 2 } });
    const sweep = parseCommandLine(['sweep', '--parameter', 'gpus', '--values', '256,512,2k']);
    expect(sweep !== 'help' && sweep.body).toEqual({ sweep: { parameter: 'gpus', values: [256, 512, '2k'] } });
    const recommend = parseCommandLine(['recommend', '--gpus', 'a100, h100']);
    expect(recommend !== 'help' && recommend.body).toEqual({ recommend: { accelerators: ['a100', 'h100'] } });
    expect(() => parseCommandLine(['estimate', '--count', '8.5'])).toThrow(UsageError);
    expect(() => parseCommandLine(['estimate', '--set', '__proto__.x=1'])).toThrow(UsageError);
  });

  it('estimate --json prints exactly what POST /v1/estimate answers', async () => {
    const { code, stdout } = await cli([...ESTIMATE_ARGS, '--json']);
    expect(code).toBe(0);
    expect(withoutTimings(JSON.parse(stdout))).toEqual(withoutTimings(api));
  });

  it('estimate prints memory per term, the layout, step time with its band, days and cost, as the API answers them', async () => {
    const { code, stdout } = await cli(ESTIMATE_ARGS);
    expect(code).toBe(0);
    const gib = (b: number): string => `${(b / 1024 ** 3).toFixed(1)} GiB`;
    expect(stdout).toContain(`weights        ${gib(api.memory.perGpu.weightsBytes)}`);
    expect(stdout).toContain(`activations    ${gib(api.memory.perGpu.activationsBytes)}`);
    expect(stdout).toContain(`${gib(api.memory.perGpu.totalBytes)} of 80.0 GiB (fits)`);
    const p = api.parallelism;
    expect(stdout).toContain(`TP${p.tensor} × PP${p.pipeline} × DP${p.data} = 1024 GPUs`);
    const band = api.performance.stepSecondsRange;
    expect(stdout).toContain(`${api.performance.stepSeconds.toFixed(3)} s (80% band ${band.low.toFixed(3)}–${band.high.toFixed(3)} s)`);
    expect(stdout).toContain(`${api.time.days.toFixed(1)} d`);
    expect(stdout).toContain(`$${(api.cost.cloud.totalUsd / 1e6).toFixed(2)}M`);
    expect(stdout).toContain('/training/framework = "megatron-core"');
  });

  it('compare --csv prints the rows GET-with-Accept: text/csv gives', async () => {
    const args = ['compare', '--preset', 'llama-2-70b', '--tokens', '2T', '--count', '512', '--gpus', 'a100,h100'];
    const { code, stdout } = await cli([...args, '--csv']);
    expect(code).toBe(0);
    const csv = await app.inject({
      method: 'POST',
      url: '/v1/compare',
      headers: { accept: 'text/csv' },
      payload: { model: { preset: 'llama-2-70b' }, training: { tokens: '2T' }, hardware: { count: 512 }, compare: { accelerators: ['a100', 'h100'] } },
    });
    expect(stdout).toBe(csv.body);
    const text = await cli(args);
    expect(text.stdout).toMatch(/h100-sxm-80gb\s+512\s+tp=/);
  });

  it('flops needs no accelerator, and --csv lists every leaf as a JSON Pointer', async () => {
    const { code, stdout } = await cli(['flops', '--preset', 'gpt-3-175b', '--tokens', '300B', '--csv']);
    expect(code).toBe(0);
    // GPT-3 175B on 300B tokens: 6·N·D = 3.14e23 (Brown et al. 2020 Table D.1)
    const sixND = Number(/\/conventions\/sixND,([^\r\n]+)/.exec(stdout)?.[1]);
    expect(sixND / 3.14e23).toBeCloseTo(1, 2);
    expect(fieldValueCsv({ a: { 'b/c': 1, list: [1, 2] }, s: 'x,"y"' })).toBe('field,value\r\n/a/b~1c,1\r\n/a/list,1; 2\r\n/s,"x,""y"""\r\n');
  });

  it('memory starts from a --body request, with flags over it', async () => {
    const body = JSON.stringify({ model: { preset: 'gpt-3-175b' }, training: { sequenceLength: 2048, globalBatchSize: 1536 }, hardware: { gpu: 'a100-sxm-80gb', count: 1024 }, parallelism: { tensor: 8, pipeline: 8 } });
    const { code, stdout } = await cli(['memory', '--body', '-', '--pipeline', '16', '--json'], body);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).parallelism).toMatchObject({ tensor: 8, pipeline: 16, data: 8 });
  });

  it('exits 1 with the problem and the field it names when the service refuses the request', async () => {
    const { code, stdout, stderr } = await cli(['estimate', '--preset', 'no-such-model', '--gpu', 'h100', '--count', '8']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^trainplan: 400 Invalid request/);
    expect(stderr).toContain('/model/preset: unknown preset "no-such-model"');
  });

  it('exits 2 on a command line it cannot read, and prints help on --help', async () => {
    expect((await cli(['estimat'])).code).toBe(2);
    const unknownFlag = await cli(['estimate', '--gpuz', 'h100']);
    expect(unknownFlag.code).toBe(2);
    expect(unknownFlag.stderr).toContain("'--gpuz'");
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: trainplan <command>');
  });

  it('runs as the package bin (npx trainplan)', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [join(root, 'bin', 'trainplan.mjs'), 'flops', '--preset', 'gpt-3-175b', '--tokens', '300B', '--json'], { cwd: root });
    expect(JSON.parse(stdout).conventions.sixND / 3.14e23).toBeCloseTo(1, 2);
    const failed = await promisify(execFile)(process.execPath, [join(root, 'bin', 'trainplan.mjs'), 'flops', '--tokens', 'lots'], { cwd: root }).catch((e: { code: number; stderr: string }) => e);
    expect('code' in failed && failed.code).toBe(1);
    expect((failed as { stderr: string }).stderr).toContain('/model');
  }, 30_000);
});
