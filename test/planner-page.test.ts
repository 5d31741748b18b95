// The planner page at / in a real browser (issue 12): Debian's chromium driven by playwright-core.
// The page plans Llama 3.1 70B on 1,024 H100; every chart must hold the numbers the API answers for
// the requests the page sent; a bad field shows the problem's message next to it; a shared URL
// restores the plan; the console stays clean. Screenshots go to test-results/planner/.
// Without chromium the suite is skipped, unless TRAINPLAN_REQUIRE_BROWSER=1 (set by .ci/run, which
// installs chromium), where a missing browser fails.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp } from './helper.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SCREENSHOTS = join(root, 'test-results', 'planner');
const CHROMIUM = process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const REQUIRED = process.env.TRAINPLAN_REQUIRE_BROWSER === '1';
const GIB = 1024 ** 3;

if (!CHROMIUM && !REQUIRED) console.warn('planner page tests skipped: no chromium (apt-get install chromium, or set CHROMIUM_PATH)');

describe.skipIf(!CHROMIUM && !REQUIRED)('the planner page in a browser', () => {
  let app: Awaited<ReturnType<typeof buildTestApp>>;
  let base: string;
  let browser: Browser;
  const consoleProblems: string[] = [];

  beforeAll(async () => {
    if (!CHROMIUM) throw new Error('TRAINPLAN_REQUIRE_BROWSER=1 but no chromium: apt-get install chromium');
    mkdirSync(SCREENSHOTS, { recursive: true });
    app = await buildTestApp();
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    // flags as this machine needs them (no sandbox as root, no background connections on a closed network)
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  /** expectRefusal: the page is about to send a bad request, so Chrome's own "status of 400" line is expected */
  async function open(url: string, viewport = { width: 1366, height: 768 }, expectRefusal = false): Promise<Page> {
    const page = await browser.newPage({ viewport });
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      if (expectRefusal && /status of 400/.test(m.text())) return;
      consoleProblems.push(`${url}: ${m.text()}`);
    });
    page.on('pageerror', (e) => consoleProblems.push(`${url}: ${e.message}`));
    await page.goto(`${base}${url}`);
    await page.waitForSelector('body[data-ready="true"]');
    return page;
  }

  /** The API's own answer to a body the page sent (replayed over HTTP, not read from the page). */
  async function apiAnswer(path: string, body: string): Promise<any> {
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(res.status, path).toBe(200);
    return res.json();
  }

  async function planLlama70b(page: Page): Promise<Map<string, string>> {
    const sent = new Map<string, string>();
    page.on('request', (r) => {
      const path = new URL(r.url()).pathname;
      if (r.method() === 'POST' && path.startsWith('/v1/')) sent.set(path, r.postData() ?? '');
    });
    await page.selectOption('#preset', 'llama-3.1-70b');
    await page.selectOption('#gpu', 'h100-sxm-80gb');
    await page.fill('#count', '1024');
    await page.fill('#tokens', '2T');
    await page.click('#plan');
    await page.waitForSelector('body[data-planned="true"]', { timeout: 60_000 });
    return sent;
  }

  const chartData = (page: Page, id: string) =>
    page.evaluate((canvasId) => {
      const chart = (globalThis as any).Chart.getChart((globalThis as any).document.getElementById(canvasId));
      return { labels: chart.data.labels, datasets: chart.data.datasets.map((d: any) => ({ label: d.label, data: d.data })) };
    }, id);

  it('plans Llama 3.1 70B on 1,024 H100 and draws every chart with the numbers of the API answer', async () => {
    const page = await open('/');
    const sent = await planLlama70b(page);
    expect([...sent.keys()].sort()).toEqual(['/v1/compare', '/v1/estimate', '/v1/parallelism', '/v1/sweep']);
    const estimate = await apiAnswer('/v1/estimate', sent.get('/v1/estimate')!);
    expect(estimate.hardware.count).toBe(1024);

    // summary figures
    const figure = (name: string) => page.textContent(`[data-figure="${name}"] .value`);
    expect(await figure('days')).toContain(estimate.time.days.toFixed(1));
    expect(await figure('MFU')).toBe(`${(estimate.performance.mfu * 100).toFixed(1)}%`);

    // memory: the chosen layout's stacked terms and the accelerator's memory line
    const memory = await chartData(page, 'memory-chart');
    const series = (label: string) => memory.datasets.find((d: any) => d.label === label)!.data as number[];
    const m = estimate.memory.perGpu;
    expect(series('weights')[0]).toBeCloseTo(m.weightsBytes / GIB, 9);
    expect(series('gradients')[0]).toBeCloseTo(m.gradientsBytes / GIB, 9);
    expect(series('optimizer')[0]).toBeCloseTo(m.optimizerBytes / GIB, 9);
    expect(series('activations')[0]).toBeCloseTo(m.activationsBytes / GIB, 9);
    const stacked = ['weights', 'gradients', 'optimizer', 'activations', 'overheads'].reduce((s, t) => s + series(t)[0]!, 0);
    expect(stacked).toBeCloseTo(m.totalBytes / GIB, 6);
    expect(memory.datasets.find((d: any) => d.label.endsWith('memory'))!.data[0]).toBeCloseTo(estimate.memory.gpuMemoryBytes / GIB, 9);
    const parallelism = await apiAnswer('/v1/parallelism', sent.get('/v1/parallelism')!);
    expect(memory.labels.length).toBe(Math.min(4, 1 + parallelism.candidates.filter((c: any) => JSON.stringify(c.parallelism) !== JSON.stringify(estimate.parallelism)).length));

    // step time: each term, and the 80% band
    const step = await chartData(page, 'step-chart');
    expect(step.datasets.find((d: any) => d.label === 'compute')!.data[0]).toBeCloseTo(estimate.performance.breakdownSeconds.compute, 12);
    const termSum = step.datasets.filter((d: any) => !d.label.startsWith('band')).reduce((s: number, d: any) => s + (d.data[0] ?? 0), 0);
    expect(termSum).toBeCloseTo(estimate.performance.stepSeconds, 6);
    const band = step.datasets.find((d: any) => d.label.startsWith('band'))!.data[1];
    expect(band).toEqual([estimate.performance.stepSecondsRange.low, estimate.performance.stepSecondsRange.high]);

    // time against cost: one point per accelerator with a known price, the frontier through the frontier's points
    const compare = await apiAnswer('/v1/compare', sent.get('/v1/compare')!);
    const scatter = await chartData(page, 'compare-chart');
    const priced = compare.entries.filter((e: any) => e.status === 'ok' && e.costKnown);
    expect(scatter.datasets[0].data.map((p: any) => [p.accelerator, p.x, p.y])).toEqual(priced.map((e: any) => [e.accelerator, e.days, e.costUsd / 1e6]));
    const frontier = scatter.datasets[1].data as { x: number; y: number }[];
    expect(frontier.length).toBeGreaterThan(0);
    for (const point of frontier) expect(priced.some((e: any) => e.onFrontier && e.days === point.x)).toBe(true);

    // sweep: GPU counts against days and cost
    const sweep = await apiAnswer('/v1/sweep', sent.get('/v1/sweep')!);
    const lines = await chartData(page, 'sweep-chart');
    const ok = sweep.points.filter((p: any) => p.status === 'ok');
    expect(lines.labels).toEqual(ok.map((p: any) => String(p.gpus)));
    expect(lines.labels).toContain('1024');
    expect(lines.datasets[0].data).toEqual(ok.map((p: any) => p.days));

    // words: the layout, the assumptions the API listed
    expect(await page.textContent('#layout-text')).toContain(`tensor ${estimate.parallelism.tensor} × pipeline ${estimate.parallelism.pipeline} × data ${estimate.parallelism.data}`);
    expect(await page.locator('#assumptions tbody tr').count()).toBe(estimate.assumptions.length);
    expect(await page.textContent('#infra-table')).toContain(`${estimate.infrastructure.racks}`);

    await page.screenshot({ path: join(SCREENSHOTS, 'plan-1366x768.png'), fullPage: true });

    // the sweep over sequence length instead of GPU count
    const sweepSent = page.waitForRequest((r) => r.url().endsWith('/v1/sweep'));
    await page.selectOption('#sweep-parameter', 'sequenceLength');
    const bySeq = await apiAnswer('/v1/sweep', (await sweepSent).postData()!);
    expect(bySeq.parameter).toBe('sequenceLength');
    await page.waitForFunction(() => (globalThis as any).Chart.getChart((globalThis as any).document.getElementById('sweep-chart')).data.labels[0] === '2048');
    const seqLines = await chartData(page, 'sweep-chart');
    expect(seqLines.datasets[0].data).toEqual(bySeq.points.filter((p: any) => p.status === 'ok').map((p: any) => p.days));
    await page.close();
  }, 120_000);

  it('restores a plan from its shared URL', async () => {
    const first = await open('/');
    await planLlama70b(first);
    const url = new URL(first.url());
    expect(url.searchParams.get('preset')).toBe('llama-3.1-70b');
    const days = await first.textContent('[data-figure="days"] .value');
    await first.close();

    const shared = await open(`${url.pathname}${url.search}`);
    await shared.waitForSelector('body[data-planned="true"]', { timeout: 60_000 });
    expect(await shared.inputValue('#count')).toBe('1024');
    expect(await shared.textContent('[data-figure="days"] .value')).toBe(days);

    // the JSON download holds the answers the page drew
    const downloading = shared.waitForEvent('download');
    await shared.click('#download-json');
    const saved = JSON.parse(readFileSync((await (await downloading).path())!, 'utf8'));
    expect(saved.estimate.time.days.toFixed(1)).toBe(days!.split(' ')[0]);
    expect(Object.keys(saved).sort()).toEqual(['compare', 'estimate', 'parallelism', 'sweep']);
    await shared.close();
  }, 120_000);

  it('sizes the run for a deadline when the goal is a deadline', async () => {
    const page = await open('/?preset=llama-3.1-8b&gpu=h100-sxm-80gb&tokens=1T&deadlineDays=20&goal=deadline');
    await page.waitForSelector('body[data-planned="true"]', { timeout: 60_000 });
    const answer = await apiAnswer('/v1/estimate', JSON.stringify({ model: { preset: 'llama-3.1-8b' }, training: { tokens: 1e12 }, hardware: { gpu: 'h100-sxm-80gb' }, constraints: { deadlineDays: 20 } }));
    expect(answer.time.days).toBeLessThanOrEqual(20);
    expect(await page.textContent('[data-figure="GPUs"] .value')).toBe(`${answer.hardware.count} × ${answer.hardware.name}`);
    expect(await page.isHidden('#count')).toBe(true);
    await page.close();
  }, 60_000);

  it("shows an invalid field's problem next to that field, as the API words it", async () => {
    const page = await open('/', undefined, true);
    await page.fill('#tokens', 'lots');
    await page.click('#plan');
    await page.waitForSelector('#tokens[aria-invalid="true"]');
    const body = JSON.stringify({ model: { preset: 'llama-3.1-70b' }, training: { tokens: 'lots' }, hardware: { gpu: 'h100-sxm-80gb', count: 1024 } });
    const problem: any = await (await fetch(`${base}/v1/estimate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).json();
    const message = problem.errors.find((e: any) => e.path === '/training/tokens').message;
    expect(await page.textContent('#tokens-problem')).toContain(message);
    expect(await page.evaluate(() => (globalThis as any).document.activeElement?.id)).toBe('tokens');
    await page.screenshot({ path: join(SCREENSHOTS, 'invalid-field.png') });
    await page.close();
  }, 60_000);

  it('shows a running plan\'s progress and cancels it', async () => {
    const page = await open('/');
    // hold the estimate back so the plan is still running when Cancel is pressed
    await page.route('**/v1/estimate', async (route) => {
      await new Promise((r) => setTimeout(r, 1500));
      await route.continue().catch(() => {});
    });
    await page.click('#plan');
    await page.waitForSelector('#cancel:not([hidden])');
    expect(await page.textContent('#progress-text')).toMatch(/searching the layout/);
    await page.click('#cancel');
    await page.waitForFunction(() => (globalThis as any).document.getElementById('progress-text').textContent === 'cancelled');
    expect(await page.isHidden('#results')).toBe(true);
    expect(await page.isEnabled('#plan')).toBe(true);
    await page.close();
  }, 60_000);

  it('is usable from the keyboard and fits a phone', async () => {
    const page = await open('/', { width: 390, height: 844 });
    await page.focus('#tokens');
    await page.keyboard.press('Enter'); // submits the form
    await page.waitForSelector('body[data-planned="true"]', { timeout: 60_000 });
    const overflow = await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth - (globalThis as any).innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(SCREENSHOTS, 'plan-phone.png'), fullPage: true });
    await page.close();
  });

  it('logged no console errors on any page', () => {
    expect(consoleProblems).toEqual([]);
  });
});
