// @ts-check
// The planner page: a workload form, then the API's answers as pictures with their numbers at hand.
// It calls the service through the typed client (openapi-fetch over src/client/openapi-types.ts;
// `npm run typecheck` checks this file against them), keeps its state in the URL, and draws with
// Chart.js, both served by the service itself.
import createClient from '/planner/vendor/openapi-fetch.mjs';

/** @typedef {import('../src/client/openapi-types').paths} Paths */
/** @typedef {import('../src/client/openapi-types').operations} Operations */
/** @template {keyof Operations} Op @typedef {Operations[Op] extends { requestBody: { content: { 'application/json': infer B } } } ? B : never} Body */
/** @template {keyof Operations} Op @typedef {Operations[Op] extends { responses: { 200: { content: { 'application/json': infer R } } } } ? R : never} Answer */
/** @typedef {{ type: string, title: string, status: number, detail: string, errors?: { path: string, message: string }[] }} Problem */

/** @type {typeof import('chart.js').Chart} */
// @ts-ignore -- the UMD build defines the global
const Chart = window.Chart;

/** @type {import('openapi-fetch').Client<Paths>} */
const api = createClient({ baseUrl: window.location.origin });

const GIB = 1024 ** 3;
/** Fixed colours per memory term and time term, so a term keeps its colour in every chart. */
const COLOURS = {
  weights: '#3b6fb6',
  gradients: '#6fa8dc',
  optimizer: '#e69138',
  activations: '#6aa84f',
  overheads: '#999999',
  compute: '#3b6fb6',
  recompute: '#8e7cc3',
  tensorComm: '#e69138',
  pipelineBubble: '#cc4125',
  pipelineComm: '#f1c232',
  dataComm: '#6aa84f',
  contextComm: '#45818e',
  expertComm: '#c27ba0',
  hostOverhead: '#666666',
  optimizerStep: '#b45f06',
};
const TERM_LABELS = {
  compute: 'compute',
  recompute: 'recompute',
  tensorComm: 'tensor-parallel comm.',
  pipelineBubble: 'pipeline bubble',
  pipelineComm: 'pipeline comm.',
  dataComm: 'data-parallel comm.',
  contextComm: 'context-parallel comm.',
  expertComm: 'expert all-to-all',
  hostOverhead: 'host overhead',
  optimizer: 'optimizer step',
};

/** The form fields a request problem can name, by the JSON Pointer prefix it names. */
const FIELD_OF_POINTER = [
  ['/model/preset', 'preset'],
  ['/model/parameters', 'parameters'],
  ['/model/architecture', 'architecture'],
  ['/model', 'preset'],
  ['/training/tokens', 'tokens'],
  ['/training/sequenceLength', 'sequenceLength'],
  ['/training/globalBatchTokens', 'globalBatchTokens'],
  ['/training/precision', 'precision'],
  ['/training/framework', 'framework'],
  ['/hardware/gpu', 'gpu'],
  ['/hardware/count', 'count'],
  ['/hardware', 'gpu'],
  ['/constraints/deadlineDays', 'deadlineDays'],
  ['/constraints/budgetUsd', 'budgetUsd'],
  ['/compare/accelerators', 'compareAccelerators'],
  ['/recommend/accelerators', 'compareAccelerators'],
];
const STATE_FIELDS = ['preset', 'parameters', 'architecture', 'tokens', 'sequenceLength', 'globalBatchTokens', 'precision', 'framework', 'gpu', 'count', 'deadlineDays', 'budgetUsd', 'compareAccelerators'];

// --- small helpers ---------------------------------------------------------------------------------

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
/** @param {string} id */
const input = (id) => /** @type {HTMLInputElement} */ (document.getElementById(id));
/** @param {number} bytes */
const gib = (bytes) => (bytes / GIB).toFixed(1);
/** @param {number | null} value null where the API knows no price @param {boolean} [known] */
function usd(value, known = true) {
  if (!known || value === null) return 'price unknown';
  if (Math.abs(value) >= 1e9) return `$${(value / 1e9).toFixed(2)}B`;
  if (Math.abs(value) >= 1e6) return `$${(value / 1e6).toFixed(2)}M`;
  if (Math.abs(value) >= 1e3) return `$${(value / 1e3).toFixed(1)}k`;
  return `$${value.toFixed(0)}`;
}
/** @param {number} value */
function si(value) {
  for (const [scale, unit] of /** @type {[number, string][]} */ ([[1e24, 'Y'], [1e21, 'Z'], [1e18, 'E'], [1e15, 'P'], [1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']])) {
    if (Math.abs(value) >= scale) return `${(value / scale).toPrecision(3)}${unit}`;
  }
  return value.toPrecision(3);
}
/** @param {number} f */
const pct = (f) => `${(f * 100).toFixed(1)}%`;

/** @param {string} tag @param {Record<string, string>} [attrs] @param {(Node|string)[]} [children] */
function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) node.append(c);
  return node;
}

/** A table from a header and rows of cells; cells carry data-value for tests and screen readers. @param {string} id @param {string[]} header @param {(string|number)[][]} rows */
function fillTable(id, header, rows) {
  const table = $(id);
  table.replaceChildren(
    el('thead', {}, [el('tr', {}, header.map((h) => el('th', { scope: 'col' }, [h])))]),
    el('tbody', {}, rows.map((row) => el('tr', {}, row.map((cell, i) => el(i === 0 ? 'th' : 'td', i === 0 ? { scope: 'row' } : { 'data-value': String(cell) }, [String(cell)]))))),
  );
}

/** @type {Map<string, import('chart.js').Chart>} */
const charts = new Map();
/** @param {string} id @param {import('chart.js').ChartConfiguration} config */
function draw(id, config) {
  charts.get(id)?.destroy();
  const canvas = /** @type {HTMLCanvasElement} */ ($(id));
  charts.set(id, new Chart(canvas, { ...config, options: { responsive: true, maintainAspectRatio: false, animation: false, ...config.options } }));
}

/** A refused request: the problem+json the service answered (or the page's own, in the same shape). */
class ProblemError extends Error {
  /** @param {Problem} problem */
  constructor(problem) {
    super(problem.detail);
    this.problem = problem;
  }
}

// --- the form and the URL --------------------------------------------------------------------------

/** @returns {'count'|'deadline'|'budget'} */
function goal() {
  const checked = /** @type {HTMLInputElement|null} */ (document.querySelector('input[name="goal"]:checked'));
  return /** @type {'count'|'deadline'|'budget'} */ (checked?.value ?? 'count');
}

function showGoalFields() {
  const g = goal();
  for (const node of document.querySelectorAll('[data-goal]')) {
    /** @type {HTMLElement} */ (node).hidden = node.getAttribute('data-goal') !== g;
    const problem = node.id ? document.getElementById(`${node.id}-problem`) : null;
    if (problem) problem.hidden = node.getAttribute('data-goal') !== g;
  }
}

/** "1024" → 1024; "2T" stays a string for the API to parse (and to name when it cannot). @param {string} text */
function countOrText(text) {
  const t = text.trim();
  return /^\d+(\.\d+)?([eE]\d+)?$/.test(t) ? Number(t) : t;
}

/** The workload part of every request, from the form. @returns {Body<'estimate'>} */
function workloadBody() {
  const v = (/** @type {string} */ id) => input(id).value.trim();
  /** @type {Record<string, unknown>} */
  let model = v('preset') ? { preset: v('preset') } : { parameters: countOrText(v('parameters')) };
  if (v('architecture')) {
    try {
      model = { architecture: JSON.parse(v('architecture')) };
    } catch (error) {
      throw new ProblemError({
        type: 'about:blank',
        title: 'Invalid request',
        status: 400,
        detail: 'the architecture is not JSON',
        errors: [{ path: '/model/architecture', message: `not JSON: ${error instanceof Error ? error.message : String(error)}` }],
      });
    }
  }
  /** @type {Record<string, unknown>} */
  const training = {};
  if (v('tokens')) training.tokens = countOrText(v('tokens'));
  if (v('sequenceLength')) training.sequenceLength = countOrText(v('sequenceLength'));
  if (v('globalBatchTokens')) training.globalBatchTokens = countOrText(v('globalBatchTokens'));
  if (v('precision')) training.precision = v('precision');
  if (v('framework')) training.framework = v('framework');
  /** @type {Record<string, unknown>} */
  const hardware = { gpu: v('gpu') };
  /** @type {Record<string, unknown>} */
  const constraints = {};
  if (goal() === 'count') hardware.count = countOrText(v('count'));
  if (goal() === 'deadline') constraints.deadlineDays = countOrText(v('deadlineDays'));
  const body = { model, training, hardware, ...(Object.keys(constraints).length > 0 ? { constraints } : {}) };
  return /** @type {Body<'estimate'>} */ (/** @type {unknown} */ (body));
}

function saveState() {
  const params = new URLSearchParams();
  for (const id of STATE_FIELDS) {
    const value = input(id).value.trim();
    if (value !== '') params.set(id, value);
  }
  params.set('goal', goal());
  history.replaceState(null, '', `${location.pathname}?${params}`);
}

/** @returns {boolean} true when the URL held a plan */
function restoreState() {
  const params = new URLSearchParams(location.search);
  if (params.size === 0) return false;
  for (const id of STATE_FIELDS) if (params.has(id)) input(id).value = params.get(id) ?? '';
  if (input('architecture').value.trim()) $('architecture-box').setAttribute('open', '');
  const g = params.get('goal');
  const radio = /** @type {HTMLInputElement|null} */ (document.querySelector(`input[name="goal"][value="${g === 'deadline' || g === 'budget' ? g : 'count'}"]`));
  if (radio) radio.checked = true;
  return true;
}

function clearProblems() {
  for (const node of document.querySelectorAll('.problem')) node.textContent = '';
  for (const node of document.querySelectorAll('[aria-invalid]')) node.removeAttribute('aria-invalid');
}

/** Shows each field a problem names next to that field, the rest above the button. @param {Problem} problem */
function showProblem(problem) {
  const general = [];
  let focused = false;
  for (const e of problem.errors ?? []) {
    const match = FIELD_OF_POINTER.find(([pointer]) => e.path === pointer || e.path.startsWith(`${pointer}/`) || (pointer !== '/model' && pointer !== '/hardware' && e.path.startsWith(pointer)));
    const field = match ? document.getElementById(match[1]) : null;
    if (field && !field.hidden) {
      field.closest('details')?.setAttribute('open', '');
      field.setAttribute('aria-invalid', 'true');
      const slot = $(`${match?.[1]}-problem`);
      slot.textContent = slot.textContent ? `${slot.textContent}; ${e.message}` : e.message;
      if (!focused) {
        field.focus();
        focused = true;
      }
    } else {
      general.push(`${e.path}: ${e.message}`);
    }
  }
  $('form-problem').textContent = general.length > 0 || !(problem.errors?.length) ? [problem.detail, ...general].join(' — ') : '';
}

// --- calling the API -------------------------------------------------------------------------------


/** @returns {Record<string, string>} */
function headers() {
  const key = input('apiKey').value.trim();
  return key ? { 'x-api-key': key } : {};
}

/**
 * @template T
 * @param {Promise<{ data?: T, error?: unknown, response: Response }>} call
 * @returns {Promise<T>}
 */
async function answer(call) {
  const { data, error, response } = await call;
  if (data !== undefined && response.ok) return data;
  const problem = /** @type {Problem} */ (
    error && typeof error === 'object' && 'detail' in error ? error : { type: 'about:blank', title: response.statusText, status: response.status, detail: `the service answered ${response.status}` }
  );
  throw new ProblemError(problem);
}

/** The last plan's answers, for the downloads. */
/** @type {{ estimate?: Answer<'estimate'>, compare?: Answer<'compareAccelerators'>, sweep?: Answer<'sweep'>, parallelism?: Answer<'searchParallelism'> }} */
let last = {};
/** @type {AbortController|undefined} */
let running;

/** @param {number} done @param {string} text */
function progress(done, text) {
  /** @type {HTMLProgressElement} */ ($('progress-bar')).value = done;
  $('progress-text').textContent = text;
}

/** What a budget buys on this accelerator: the fastest option /v1/recommend finds within it. @param {AbortSignal} signal */
async function countForBudget(signal) {
  const base = /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (workloadBody()));
  const body = {
    model: base.model,
    training: base.training,
    constraints: { budgetUsd: countOrText(input('budgetUsd').value) },
    recommend: { accelerators: [input('gpu').value], procurement: 'cloud' },
  };
  const rec = await answer(api.POST('/v1/recommend', { body: /** @type {Body<'recommend'>} */ (/** @type {unknown} */ (body)), headers: headers(), signal }));
  const best = [...rec.options].filter((o) => o.meetsBudget).sort((a, b) => a.days - b.days)[0];
  if (!best) throw new ProblemError({ type: 'about:blank', title: 'Nothing fits the budget', status: 400, detail: rec.explanation, errors: [{ path: '/constraints/budgetUsd', message: rec.suggestions[0]?.message ?? rec.explanation }] });
  return best.gpus;
}

/** GPU counts around the plan's: a quarter to four times, whole nodes. @param {number} gpus @param {number} perNode */
function sweepCounts(gpus, perNode) {
  const counts = [0.25, 0.5, 1, 2, 4].map((f) => Math.max(perNode, Math.round((gpus * f) / perNode) * perNode));
  return [...new Set(counts)].filter((n) => n >= 1 && n <= 1_000_000);
}

const SWEEP_LABELS = { gpus: 'GPUs', sequenceLength: 'sequence length', globalBatchTokens: 'global batch, tokens' };

/** The sweep's values: GPU counts around the plan's, or sequence lengths, or batch sizes in tokens. @param {string} parameter @param {Answer<'estimate'>} e */
function sweepValues(parameter, e) {
  if (parameter === 'sequenceLength') return [2048, 4096, 8192, 16384, 32768];
  if (parameter === 'globalBatchTokens') return ['1M', '2M', '4M', '8M', '16M'];
  return sweepCounts(e.hardware.count, e.infrastructure?.gpusPerNode ?? 8);
}

/** The plan's workload at the GPU count it chose (no deadline or budget left to size for). @param {Answer<'estimate'>} e @returns {Body<'estimate'>} */
function fixedWorkload(e) {
  const body = workloadBody();
  return { ...body, hardware: { ...body.hardware, gpu: e.hardware.gpu, count: e.hardware.count }, constraints: undefined };
}

/** @param {Answer<'estimate'>} e @param {AbortSignal} [signal] */
async function runSweep(e, signal) {
  const parameter = /** @type {'gpus'|'sequenceLength'|'globalBatchTokens'} */ (input('sweep-parameter').value);
  const body = fixedWorkload(e);
  // a swept sequence length or batch replaces the workload's own
  if (parameter !== 'gpus' && body.training) body.training = { ...body.training, sequenceLength: undefined, globalBatchTokens: undefined };
  const sweep = await answer(api.POST('/v1/sweep', { body: { ...body, sweep: { parameter, values: sweepValues(parameter, e) } }, headers: headers(), ...(signal ? { signal } : {}) }));
  last = { ...last, sweep };
  renderSweep(sweep);
  return sweep;
}

async function plan() {
  running?.abort();
  const controller = new AbortController();
  running = controller;
  const { signal } = controller;
  clearProblems();
  saveState();
  const started = performance.now();
  $('progress').hidden = false;
  $('cancel').hidden = false;
  /** @type {HTMLButtonElement} */ ($('plan')).disabled = true;
  const tick = setInterval(() => {
    const t = $('progress-text');
    t.textContent = `${t.dataset.step ?? ''} ${((performance.now() - started) / 1000).toFixed(1)} s`;
  }, 100);
  const step = (/** @type {number} */ done, /** @type {string} */ text) => {
    $('progress-text').dataset.step = text;
    progress(done, text);
  };
  try {
    step(0, goal() === 'budget' ? 'sizing for the budget…' : 'searching the layout…');
    let body = workloadBody();
    if (goal() === 'budget') {
      const gpus = await countForBudget(signal);
      const b = /** @type {Record<string, any>} */ (/** @type {unknown} */ (body));
      body = /** @type {Body<'estimate'>} */ (/** @type {unknown} */ ({ ...b, hardware: { ...b.hardware, count: gpus } }));
    }
    const estimate = await answer(api.POST('/v1/estimate', { body, headers: headers(), signal }));
    last = { estimate };
    renderEstimate(estimate);
    $('results').hidden = false;
    step(1, 'runners-up, other accelerators, other GPU counts…');
    const gpus = estimate.hardware.count;
    const b = /** @type {Record<string, any>} */ (/** @type {unknown} */ (body));
    const fixed = fixedWorkload(estimate);
    const accelerators = input('compareAccelerators').value.split(',').map((s) => s.trim()).filter(Boolean);
    let done = 1;
    const count = (/** @type {string} */ what) => step(++done, `${what} ✓`);
    const [parallelism, compare, sweep] = await Promise.all([
      answer(api.POST('/v1/parallelism', { body: { ...fixed, search: { topK: 4 } }, headers: headers(), signal })).then((r) => (count('runners-up'), r)),
      answer(
        api.POST('/v1/compare', {
          body: { model: b.model, training: b.training, hardware: { count: gpus }, ...(accelerators.length > 0 ? { compare: { accelerators } } : {}) },
          headers: headers(),
          signal,
        }),
      ).then((r) => (count('accelerators'), r)),
      runSweep(estimate, signal).then((r) => (count('sweep'), r)),
    ]);
    last = { estimate, parallelism, compare, sweep };
    renderMemory(estimate, parallelism);
    renderCompare(compare, estimate);
    step(4, `planned in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    document.body.dataset.planned = 'true';
  } catch (error) {
    if (signal.aborted) {
      step(0, 'cancelled');
    } else if (error instanceof ProblemError) {
      showProblem(error.problem);
      step(0, 'the request was refused');
    } else {
      $('form-problem').textContent = `cannot reach the service: ${error instanceof Error ? error.message : String(error)}`;
      step(0, 'failed');
    }
  } finally {
    clearInterval(tick);
    $('progress-text').textContent = $('progress-text').dataset.step ?? '';
    if (running === controller) running = undefined;
    $('cancel').hidden = true;
    /** @type {HTMLButtonElement} */ ($('plan')).disabled = false;
  }
}

// --- pictures ----------------------------------------------------------------------------------------

/** @param {Answer<'estimate'>['parallelism']} p */
function layoutShort(p) {
  const parts = [`TP${p.tensor}`, `PP${p.pipeline}`, `DP${p.data}`];
  if (p.context > 1) parts.push(`CP${p.context}`);
  if (p.expert > 1) parts.push(`EP${p.expert}`);
  return parts.join('·');
}

/** @param {Answer<'estimate'>} e */
function renderEstimate(e) {
  const p = e.parallelism;
  const perf = e.performance;
  const band = perf.stepSecondsRange;
  const figures = [
    ['GPUs', `${e.hardware.count} × ${e.hardware.name}`],
    ['days', `${e.time.days.toFixed(1)}${e.time.daysRange ? ` (${e.time.daysRange.low.toFixed(1)}–${e.time.daysRange.high.toFixed(1)})` : ''}`],
    ['cloud cost', `${usd(e.cost.cloud.totalUsd, e.cost.cloud.priceKnown)}${e.cost.cloud.totalUsdRange && e.cost.cloud.priceKnown ? ` (${usd(e.cost.cloud.totalUsdRange.low)}–${usd(e.cost.cloud.totalUsdRange.high)})` : ''}`],
    ['MFU', pct(perf.mfu)],
    ['step', `${perf.stepSeconds.toFixed(2)} s`],
    ['memory', `${gib(e.memory.perGpu.totalBytes)} / ${gib(e.memory.gpuMemoryBytes)} GiB`],
    ['compute', `${e.flops.total.toExponential(2)} FLOPs`],
    ['energy', `${si(e.cost.energy.kwh)} kWh, ${si(e.cost.energy.co2Kg / 1000)} t CO2`],
  ];
  $('summary-figures').replaceChildren(...figures.map(([label, value]) => el('div', { class: 'figure', 'data-figure': label }, [el('span', { class: 'label' }, [label]), el('span', { class: 'value' }, [value])])));
  $('layout-text').textContent =
    `${e.model.presetId ?? `${si(e.model.parameters)}-parameter model`} on ${si(e.training.tokens)} tokens: ` +
    `tensor ${p.tensor} × pipeline ${p.pipeline} × data ${p.data}${p.context > 1 ? ` × context ${p.context}` : ''}${p.expert > 1 ? `, expert ${p.expert}` : ''}; ` +
    `micro-batch ${p.microBatchSize}, ${p.microBatchesPerStep} micro-batches per step, ZeRO-${p.zeroStage}, recompute ${p.recompute}, ${p.schedule}${p.virtualStages > 1 ? ` with ${p.virtualStages} virtual stages` : ''}${p.sequenceParallel ? ', sequence parallel' : ''}. ` +
    `${si(perf.tokensPerSecond)} tokens/s, ${perf.tflopsPerGpu.toFixed(0)} TFLOP/s per GPU.`;

  // step time: one stacked horizontal bar of the terms, and the 80% band as a floating bar under it
  const terms = Object.entries(perf.breakdownSeconds).filter(([, s]) => s > 0);
  draw('step-chart', {
    type: 'bar',
    data: {
      labels: ['predicted step', '80% band'],
      datasets: [
        ...terms.map(([term, seconds]) => ({
          label: TERM_LABELS[/** @type {keyof typeof TERM_LABELS} */ (term)] ?? term,
          data: [seconds, null],
          backgroundColor: COLOURS[/** @type {keyof typeof COLOURS} */ (term === 'optimizer' ? 'optimizerStep' : term)] ?? '#999',
          stack: 'step',
        })),
        ...(band ? [{ label: `band (${band.basis})`, data: [null, /** @type {[number, number]} */ ([band.low, band.high])], backgroundColor: 'rgba(59,111,182,0.25)', borderColor: '#3b6fb6', borderWidth: 1, stack: 'band' }] : []),
      ],
    },
    options: {
      indexAxis: 'y',
      scales: { x: { stacked: true, title: { display: true, text: 'seconds per step' }, beginAtZero: true }, y: { stacked: true } },
      plugins: { legend: { position: 'bottom' } },
    },
  });
  $('step-caption').textContent = band
    ? `${perf.stepSeconds.toFixed(3)} s per step; 80% of measured runs like this one fall within ${band.low.toFixed(3)}–${band.high.toFixed(3)} s.`
    : `${perf.stepSeconds.toFixed(3)} s per step (${perf.source}).`;
  fillTable('step-table', ['term', 'seconds', 'share'], [
    ...terms.map(([term, s]) => [TERM_LABELS[/** @type {keyof typeof TERM_LABELS} */ (term)] ?? term, s.toFixed(4), pct(s / perf.stepSeconds)]),
    ['step', perf.stepSeconds.toFixed(4), '100%'],
    ...(band ? [['80% band', `${band.low.toFixed(4)}–${band.high.toFixed(4)}`, '']] : []),
  ]);

  const inf = e.infrastructure;
  const rel = e.reliability;
  /** @type {(string|number)[][]} */
  const infra = !inf ? [] : [
    ['nodes', `${inf.nodes} of ${inf.gpusPerNode} GPUs`],
    ['racks', `${inf.racks} (${inf.nodesPerRack} nodes, ${inf.rackKw} kW each)`],
    ['facility power', `${(inf.power.facilityPeakKw / 1000).toFixed(2)} MW peak, ${(inf.power.facilityAverageKw / 1000).toFixed(2)} MW average (PUE ${inf.power.pue})`],
    ['network per GPU', `${inf.network.neededGbpsPerGpu.toFixed(0)} of ${inf.network.availableGbpsPerGpu.toFixed(0)} Gb/s needed (${inf.network.sufficient ? 'sufficient' : 'NOT sufficient'})`],
    ['cooling', inf.cooling.advice],
    ['fabric', inf.fabric.totalSwitches > 0 ? `${inf.fabric.note}: ${inf.fabric.totalSwitches} switches (${inf.fabric.leafSwitches} leaf, ${inf.fabric.spineSwitches} spine, ${inf.fabric.coreSwitches} core)` : inf.fabric.note],
    ['checkpoint', `${(inf.checkpoint.bytes / 1e12).toFixed(2)} TB, written in ${inf.checkpoint.writeSeconds.toFixed(1)} s`],
    ['storage', `${(inf.storageCapacityBytes / 1e12).toFixed(1)} TB: ${inf.checkpoint.retention.retained} checkpoints kept (latest ${inf.checkpoint.retention.keepLatest}${inf.checkpoint.retention.archived > 0 ? ` + ${inf.checkpoint.retention.archived} archived` : ''}) and the tokenized dataset`],
  ];
  if (rel) {
    infra.push(
      ['job MTBF', `${rel.jobMtbfHours.toFixed(1)} h; ${rel.expectedInterruptions.toFixed(0)} interruptions expected`],
      ['checkpoint interval', `${rel.checkpointIntervalMinutes.toFixed(1)} min (${rel.checkpointIntervalRule})`],
      ['goodput', `${pct(rel.goodput)}: ${rel.lostDays.toFixed(2)} days lost to failures`],
    );
  }
  fillTable('infra-table', ['', 'value'], infra);

  $('warnings').replaceChildren(...(e.warnings.length > 0 ? e.warnings.map((w) => el('li', {}, [w])) : [el('li', { class: 'none' }, ['no warnings'])]));
  $('assumptions-summary').textContent = `${e.assumptions.length} assumptions: what the request left out and the service inferred`;
  fillTable('assumptions', ['field', 'value', 'why'], e.assumptions.map((a) => [a.field, JSON.stringify(a.value), a.reason]));
}

/** @param {Answer<'estimate'>} e @param {Answer<'searchParallelism'>} par */
function renderMemory(e, par) {
  const chosenKey = JSON.stringify(e.parallelism);
  const others = par.candidates.filter((c) => JSON.stringify(c.parallelism) !== chosenKey).slice(0, 3);
  const bars = [{ label: `chosen: ${layoutShort(e.parallelism)}`, memory: e.memory }, ...others.map((c) => ({ label: `#${c.rank} ${layoutShort(c.parallelism)} mbs${c.parallelism.microBatchSize} ${c.parallelism.recompute}`, memory: c.memory }))];
  const term = (/** @type {typeof bars[number]['memory']['perGpu']} */ m, /** @type {string} */ t) =>
    t === 'overheads' ? m.logitsBytes + m.cudaContextBytes + m.communicationBuffersBytes + m.fragmentationBytes : /** @type {Record<string, number>} */ (m)[`${t}Bytes`] ?? 0;
  const terms = ['weights', 'gradients', 'optimizer', 'activations', 'overheads'];
  draw('memory-chart', {
    type: 'bar',
    data: {
      labels: bars.map((b) => b.label),
      datasets: [
        ...terms.map((t) => ({ type: /** @type {const} */ ('bar'), label: t, data: bars.map((b) => term(b.memory.perGpu, t) / GIB), backgroundColor: COLOURS[/** @type {keyof typeof COLOURS} */ (t)], stack: 'memory' })),
        { type: /** @type {const} */ ('line'), label: `${e.hardware.name} memory`, data: bars.map(() => e.memory.gpuMemoryBytes / GIB), borderColor: '#cc0000', borderDash: [6, 4], pointRadius: 0, fill: false },
      ],
    },
    options: {
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, title: { display: true, text: 'GiB per GPU' } } },
      plugins: { legend: { position: 'bottom' } },
    },
  });
  fillTable('memory-table', ['layout', ...terms.map((t) => `${t}, GiB`), 'total, GiB', 'fits'], bars.map((b) => [b.label, ...terms.map((t) => gib(term(b.memory.perGpu, t))), gib(b.memory.perGpu.totalBytes), b.memory.fits ? 'yes' : 'no']));
}

/** Writes each frontier accelerator's id (and the chosen one's) next to its point, so a printed chart still names them. */
const pointLabels = {
  id: 'pointLabels',
  /** @param {import('chart.js').Chart} chart */
  afterDatasetsDraw(chart) {
    const meta = chart.getDatasetMeta(0);
    const ctx = chart.ctx;
    ctx.save();
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = '#1d2330';
    meta.data.forEach((point, i) => {
      const raw = /** @type {{ accelerator: string, label: boolean } | undefined} */ (/** @type {unknown} */ (chart.data.datasets[0]?.data[i]));
      if (raw?.label) ctx.fillText(raw.accelerator, point.x + 7, point.y - 5);
    });
    ctx.restore();
  },
};

/** @param {Answer<'compareAccelerators'>} c @param {Answer<'estimate'>} e */
function renderCompare(c, e) {
  const plotted = c.entries.flatMap((x) => (x.status === 'ok' && x.costUsd !== null ? [{ ...x, costUsd: x.costUsd }] : []));
  const frontier = c.frontier.filter((f) => plotted.some((p) => p.accelerator === f.accelerator)).sort((a, b) => a.days - b.days);
  draw('compare-chart', {
    type: 'scatter',
    data: {
      datasets: [
        {
          label: 'accelerators',
          data: plotted.map((x) => ({ x: x.days, y: x.costUsd / 1e6, accelerator: x.accelerator, label: x.onFrontier || x.accelerator === e.hardware.gpu })),
          backgroundColor: plotted.map((x) => (x.accelerator === e.hardware.gpu ? '#cc0000' : x.onFrontier ? '#3b6fb6' : '#9fb7d9')),
          pointRadius: plotted.map((x) => (x.accelerator === e.hardware.gpu ? 7 : 5)),
        },
        { type: 'line', label: 'Pareto frontier', data: frontier.map((f) => ({ x: f.days, y: f.costUsd / 1e6 })), borderColor: '#3b6fb6', pointRadius: 0, fill: false, showLine: true },
      ],
    },
    plugins: [pointLabels],
    options: {
      scales: { x: { type: 'logarithmic', title: { display: true, text: 'days' } }, y: { type: 'logarithmic', title: { display: true, text: `${c.costBasis} cost, $M` } } },
      plugins: {
        legend: { position: 'bottom' },
        tooltip: { callbacks: { label: (ctx) => `${/** @type {any} */ (ctx.raw).accelerator ?? 'frontier'}: ${Number(ctx.parsed.x).toFixed(1)} days, $${Number(ctx.parsed.y).toFixed(2)}M` } },
      },
    },
  });
  const unknown = c.entries.filter((x) => x.status === 'ok' && !x.costKnown).map((x) => x.accelerator);
  $('compare-caption').textContent =
    `${c.entries.length} accelerators at ${e.hardware.count} GPUs; the frontier joins those no other beats on both days and cost; red is ${e.hardware.gpu}.` +
    (unknown.length > 0 ? ` Not plotted, price unknown: ${unknown.join(', ')}.` : '');
  fillTable('compare-table', ['accelerator', 'status', 'days', 'cost', 'MFU', 'frontier'], c.entries.map((x) => [x.accelerator, x.status, x.status === 'ok' ? x.days.toFixed(1) : '', usd(x.costUsd, x.costKnown), x.status === 'ok' ? pct(x.mfu) : '', x.onFrontier ? 'yes' : '']));
}

/** @param {Answer<'sweep'>} s */
function renderSweep(s) {
  const ok = s.points.filter((p) => p.status === 'ok');
  const xLabel = SWEEP_LABELS[s.parameter === 'sequenceLength' || s.parameter === 'globalBatchTokens' ? s.parameter : 'gpus'];
  const xOf = (/** @type {typeof s.points[number]} */ p) => (s.parameter === 'gpus' ? String(p.gpus) : p.value);
  draw('sweep-chart', {
    type: 'line',
    data: {
      labels: ok.map(xOf),
      datasets: [
        { label: 'days', data: ok.map((p) => p.days), borderColor: '#3b6fb6', backgroundColor: '#3b6fb6', yAxisID: 'days' },
        { label: 'cloud cost, $M', data: ok.map((p) => (p.cloudUsd === null ? null : p.cloudUsd / 1e6)), borderColor: '#e69138', backgroundColor: '#e69138', yAxisID: 'cost' },
      ],
    },
    options: {
      scales: {
        x: { title: { display: true, text: xLabel } },
        days: { type: 'linear', position: 'left', beginAtZero: true, title: { display: true, text: 'days' } },
        cost: { type: 'linear', position: 'right', beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: '$M' } },
      },
      plugins: { legend: { position: 'bottom' } },
    },
  });
  const skipped = s.points.filter((p) => p.status !== 'ok');
  $('sweep-caption').textContent =
    `The same workload as the ${xLabel.toLowerCase()} goes from ${xOf(/** @type {any} */ (s.points[0]))} to ${xOf(/** @type {any} */ (s.points[s.points.length - 1]))}, each point on its own fastest layout.` +
    (skipped.length > 0 ? ` No layout: ${skipped.map((p) => `${xOf(p)} (${p.reason ?? p.status})`).join(', ')}.` : '');
  fillTable('sweep-table', [xLabel, 'GPUs', 'layout', 'days', 'cloud cost', 'MFU'], s.points.map((p) => [xOf(p), p.gpus, p.layout || p.status, p.status === 'ok' ? p.days.toFixed(1) : '', usd(p.cloudUsd, p.cloudPriceKnown), p.status === 'ok' ? pct(p.mfu) : '']));
}

// --- downloads ---------------------------------------------------------------------------------------

/** @param {string} name @param {string} type @param {string} text */
function download(name, type, text) {
  const a = el('a', { href: URL.createObjectURL(new Blob([text], { type })), download: name });
  document.body.append(a);
  a.click();
  a.remove();
}

/** The compare and sweep rows as CSV, as the API gives them with Accept: text/csv. */
async function downloadCsv() {
  if (!last.sweep) return;
  const res = await fetch('/v1/sweep', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/csv', ...headers() },
    body: JSON.stringify({ ...(last.estimate ? fixedWorkload(last.estimate) : {}), sweep: { parameter: last.sweep.parameter, values: last.sweep.points.map((p) => p.value) } }),
  });
  download('trainplan-sweep.csv', 'text/csv', await res.text());
}

// --- start -------------------------------------------------------------------------------------------

async function loadCatalog() {
  const [hardware, models, frameworks] = await Promise.all([
    answer(api.GET('/v1/hardware', { headers: headers() })),
    answer(api.GET('/v1/models', { headers: headers() })),
    answer(api.GET('/v1/frameworks', { headers: headers() })),
  ]);
  const preset = /** @type {HTMLSelectElement} */ ($('preset'));
  for (const m of models.models) preset.append(el('option', { value: m.id }, [`${m.name}`]));
  const gpu = /** @type {HTMLSelectElement} */ ($('gpu'));
  for (const a of hardware.accelerators) gpu.append(el('option', { value: a.id }, [`${a.name} (${a.memoryGiB} GiB)`]));
  const framework = /** @type {HTMLSelectElement} */ ($('framework'));
  for (const f of frameworks.frameworks) framework.append(el('option', { value: f.id }, [f.name]));
  preset.value = 'llama-3.1-70b';
  gpu.value = 'h100-sxm-80gb';
}

async function start() {
  try {
    await loadCatalog();
  } catch (error) {
    $('form-problem').textContent = `cannot load the catalog: ${error instanceof Error ? error.message : String(error)}`;
    return;
  }
  const restored = restoreState();
  showGoalFields();
  for (const radio of document.querySelectorAll('input[name="goal"]')) radio.addEventListener('change', showGoalFields);
  $('workload').addEventListener('submit', (event) => {
    event.preventDefault();
    void plan();
  });
  $('cancel').addEventListener('click', () => running?.abort());
  $('download-json').addEventListener('click', () => download('trainplan-plan.json', 'application/json', JSON.stringify(last, null, 2)));
  $('download-csv').addEventListener('click', () => void downloadCsv());
  $('sweep-parameter').addEventListener('change', () => {
    if (last.estimate) void runSweep(last.estimate).catch((error) => ($('sweep-caption').textContent = error instanceof ProblemError ? error.problem.detail : String(error)));
  });
  $('copy-link').addEventListener('click', () => void navigator.clipboard?.writeText(location.href));
  document.body.dataset.ready = 'true';
  if (restored) await plan();
}

void start();
