// The command line's flags, turned into the request body the API takes. Each flag is a short name
// for one request field (--gpu → hardware.gpu); --set reaches any other field by its path, and
// --body starts from a whole request file. What the flags leave out, the service infers and lists
// in `assumptions`, exactly as over HTTP.
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';

export const COMMANDS = ['estimate', 'memory', 'flops', 'compare', 'sweep', 'recommend'] as const;
export type Command = (typeof COMMANDS)[number];

/** The route each command calls. */
export const COMMAND_ROUTES = {
  estimate: '/v1/estimate',
  memory: '/v1/memory',
  flops: '/v1/flops',
  compare: '/v1/compare',
  sweep: '/v1/sweep',
  recommend: '/v1/recommend',
} as const satisfies Record<Command, string>;

export class UsageError extends Error {}

interface FieldFlag {
  /** dotted path into the request body */
  path: string;
  /** how the flag's text becomes the field's value */
  kind: 'string' | 'integer' | 'number' | 'count' | 'list' | 'values' | 'boolean';
  help: string;
}

/** Flags that set one request field each. `count`: an integer or an SI string the API parses ("2T", "16M"). */
export const FIELD_FLAGS: Record<string, FieldFlag> = {
  preset: { path: 'model.preset', kind: 'string', help: 'model preset id (GET /v1/models), e.g. llama-3.1-70b' },
  parameters: { path: 'model.parameters', kind: 'count', help: 'model size when there is no preset, e.g. 70B' },
  tokens: { path: 'training.tokens', kind: 'count', help: 'training tokens, e.g. 2T' },
  'seq-len': { path: 'training.sequenceLength', kind: 'integer', help: 'sequence length, tokens' },
  'batch-tokens': { path: 'training.globalBatchTokens', kind: 'count', help: 'global batch, tokens (e.g. 16M)' },
  batch: { path: 'training.globalBatchSize', kind: 'integer', help: 'global batch, sequences' },
  precision: { path: 'training.precision', kind: 'string', help: 'fp32 | fp16 | bf16 | fp8' },
  framework: { path: 'training.framework', kind: 'string', help: 'training stack (GET /v1/frameworks), e.g. megatron-core' },
  gpu: { path: 'hardware.gpu', kind: 'string', help: 'accelerator id or alias (GET /v1/hardware), e.g. h100' },
  count: { path: 'hardware.count', kind: 'integer', help: 'GPU count (left out: sized for the deadline)' },
  'deadline-days': { path: 'constraints.deadlineDays', kind: 'number', help: 'deadline, days' },
  'budget-usd': { path: 'constraints.budgetUsd', kind: 'number', help: 'budget, US dollars' },
  tensor: { path: 'parallelism.tensor', kind: 'integer', help: 'tensor-parallel degree' },
  pipeline: { path: 'parallelism.pipeline', kind: 'integer', help: 'pipeline-parallel degree' },
  data: { path: 'parallelism.data', kind: 'integer', help: 'data-parallel degree' },
  context: { path: 'parallelism.context', kind: 'integer', help: 'context-parallel degree' },
  expert: { path: 'parallelism.expert', kind: 'integer', help: 'expert-parallel degree' },
  'micro-batch': { path: 'parallelism.microBatchSize', kind: 'integer', help: 'micro-batch size, sequences' },
  zero: { path: 'parallelism.zeroStage', kind: 'integer', help: 'ZeRO stage 0-3' },
  recompute: { path: 'parallelism.recompute', kind: 'string', help: 'none | selective | full' },
  gpus: { path: 'compare.accelerators', kind: 'list', help: 'compare / recommend: accelerators, comma-separated' },
  parameter: { path: 'sweep.parameter', kind: 'string', help: 'sweep: gpus | accelerator | sequenceLength | globalBatchSize | globalBatchTokens' },
  values: { path: 'sweep.values', kind: 'values', help: 'sweep: the values, comma-separated (e.g. 256,512,1024)' },
};

export const OUTPUT_FLAGS = {
  json: 'print the API answer as JSON',
  csv: 'print CSV (compare, sweep, recommend: the API rows; others: field,value pairs)',
  body: 'start from a request body in a JSON file (- for stdin); flags override it',
  set: 'set any request field: --set parallelism.schedule=interleaved (repeatable; the value is JSON when it parses)',
  url: 'call a running server instead of planning in this process, e.g. http://localhost:3000',
  'api-key': 'API key for --url (x-api-key)',
  quiet: 'no progress on stderr',
  help: 'this help',
} as const;

export interface ParsedCommand {
  command: Command;
  body: Record<string, unknown>;
  output: 'text' | 'json' | 'csv';
  url: string | undefined;
  apiKey: string | undefined;
  quiet: boolean;
}

function options(): ParseArgsConfig['options'] {
  const out: NonNullable<ParseArgsConfig['options']> = {};
  for (const name of Object.keys(FIELD_FLAGS)) out[name] = { type: 'string' };
  out.set = { type: 'string', multiple: true };
  out.body = { type: 'string' };
  out.url = { type: 'string' };
  out['api-key'] = { type: 'string' };
  for (const name of ['json', 'csv', 'quiet', 'help']) out[name] = { type: 'boolean' };
  out.help = { type: 'boolean', short: 'h' };
  return out;
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  if (keys.some((k) => k === '' || k === '__proto__' || k === 'constructor' || k === 'prototype')) throw new UsageError(`--set: "${dotted}" is not a field path`);
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
}

/** "256" → 256, "2T" stays "2T" (the API parses SI strings and names the field when it cannot). */
function countOrString(text: string): number | string {
  return /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(text.trim()) ? Number(text) : text.trim();
}

function valueOf(flag: string, spec: FieldFlag, text: string): unknown {
  switch (spec.kind) {
    case 'string':
      return text;
    case 'integer':
    case 'number': {
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n) || (spec.kind === 'integer' && !Number.isInteger(n))) {
        throw new UsageError(`--${flag}: "${text}" is not ${spec.kind === 'integer' ? 'an integer' : 'a number'}`);
      }
      return n;
    }
    case 'count':
      return countOrString(text);
    case 'list':
      return text.split(',').map((s) => s.trim()).filter(Boolean);
    case 'values':
      return text.split(',').map((s) => s.trim()).filter(Boolean).map(countOrString);
    case 'boolean':
      return text !== 'false';
  }
}

function readBody(source: string, readStdin: () => string): Record<string, unknown> {
  let text: string;
  try {
    text = source === '-' ? readStdin() : readFileSync(source, 'utf8');
  } catch (error) {
    throw new UsageError(`--body: cannot read ${source}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--body: ${source} is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError(`--body: ${source} must hold a JSON object`);
  return parsed as Record<string, unknown>;
}

/** argv after the program name: `<command> [flags]`. Throws UsageError on anything it cannot read. */
export function parseCommandLine(argv: readonly string[], readStdin: () => string = () => readFileSync(0, 'utf8')): ParsedCommand | 'help' {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') return 'help';
  if (!(COMMANDS as readonly string[]).includes(command)) throw new UsageError(`unknown command "${command}"; commands: ${COMMANDS.join(', ')}`);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...rest], options: options(), allowPositionals: false, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (values.help) return 'help';
  if (values.json && values.csv) throw new UsageError('--json and --csv: choose one');
  const body = typeof values.body === 'string' ? readBody(values.body, readStdin) : {};
  for (const [flag, spec] of Object.entries(FIELD_FLAGS)) {
    const text = values[flag];
    if (typeof text !== 'string') continue;
    // compare and recommend name their accelerators in different objects
    const path = flag === 'gpus' && command === 'recommend' ? 'recommend.accelerators' : spec.path;
    setPath(body, path, valueOf(flag, spec, text));
  }
  for (const assignment of (values.set as string[] | undefined) ?? []) {
    const eq = assignment.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set: "${assignment}" is not path=value`);
    const raw = assignment.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // not JSON: the text itself
    }
    setPath(body, assignment.slice(0, eq), value);
  }
  return {
    command: command as Command,
    body,
    output: values.json ? 'json' : values.csv ? 'csv' : 'text',
    url: typeof values.url === 'string' ? values.url : undefined,
    apiKey: typeof values['api-key'] === 'string' ? values['api-key'] : undefined,
    quiet: values.quiet === true,
  };
}

export function helpText(): string {
  const pad = (s: string): string => s.padEnd(16);
  return [
    'trainplan — plan the compute for training a large language model',
    '',
    'usage: trainplan <command> [flags]',
    '',
    'commands:',
    '  estimate   the whole plan: memory per term, layout, step time with its band, days, cost',
    '  memory     per-GPU memory of the most loaded GPU, term by term',
    '  flops      training compute, every convention (no accelerator needed)',
    '  compare    one workload on several accelerators: days, cost, the Pareto frontier',
    '  sweep      one workload as one parameter varies (--parameter gpus --values 256,512,1024)',
    '  recommend  the cheapest or fastest options within a budget and a deadline',
    '',
    'request fields:',
    ...Object.entries(FIELD_FLAGS).map(([flag, spec]) => `  --${pad(flag)}${spec.help}`),
    '',
    'output and transport:',
    ...Object.entries(OUTPUT_FLAGS).map(([flag, help]) => `  --${pad(flag)}${help}`),
    '',
    'examples:',
    '  trainplan estimate --preset llama-3.1-70b --gpu h100 --count 1024 --tokens 2T',
    '  trainplan compare --preset llama-2-70b --tokens 2T --count 512 --gpus a100,h100,mi300x --csv',
    '  trainplan flops --preset gpt-3-175b --tokens 300B --json',
    '',
    'Runs the planner in this process (no server); the numbers are those POST /v1/<command> answers.',
    'Exit status: 0 answered, 1 the request was refused (the problem is printed), 2 bad command line.',
  ].join('\n');
}
