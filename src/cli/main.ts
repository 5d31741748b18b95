// `trainplan <command> [flags]`: the planner from a terminal or a script. It builds the service's
// app in this process and calls it through the typed client (src/client) over an in-process fetch,
// so its numbers, validation and problems are those of POST /v1/<command>; with --url it calls a
// running server instead. A person at a terminal sees progress on stderr while a search runs.
import { buildApp } from '../app.js';
import { defaultCatalogPaths, loadCatalog } from '../config/catalog.js';
import { createTrainPlanClient, isProblem, type Answer, type TrainPlanClient } from '../client/index.js';
import { createPlanPool, type PlanPool } from '../workers/plan-pool.js';
import { COMMAND_ROUTES, helpText, parseCommandLine, UsageError, type Command, type ParsedCommand } from './arguments.js';
import { compareText, estimateText, fieldValueCsv, flopsText, memoryText, recommendText, sweepText } from './format.js';
import { inProcessFetch } from './in-process-fetch.js';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** true when a person watches stderr: progress is drawn there */
  interactive: boolean;
  readStdin?: () => string;
}

/** Commands whose API route has a CSV table of its own (Accept: text/csv). */
const CSV_ROUTES: ReadonlySet<Command> = new Set(['compare', 'sweep', 'recommend']);

function summary(command: Command, answer: unknown): string {
  switch (command) {
    case 'estimate':
      return estimateText(answer as Answer<'estimate'>);
    case 'memory':
      return memoryText(answer as Answer<'estimateMemory'>);
    case 'flops':
      return flopsText(answer as Answer<'estimateFlops'>);
    case 'compare':
      return compareText(answer as Answer<'compareAccelerators'>);
    case 'sweep':
      return sweepText(answer as Answer<'sweep'>);
    case 'recommend':
      return recommendText(answer as Answer<'recommend'>);
  }
}

/** "trainplan: 400 Invalid request" and one line per field the problem names. */
export function problemText(problem: unknown, status: number): string {
  if (!isProblem(problem)) return `trainplan: the service answered ${status}`;
  const fields = problem.errors ?? [];
  return [`trainplan: ${problem.status} ${problem.title}: ${fields.length > 0 ? `${fields.length} problem(s)` : problem.detail}`, ...fields.map((e) => `  ${e.path}: ${e.message}`)].join('\n');
}

function progress(io: CliIo, label: string): () => void {
  if (!io.interactive) return () => {};
  const started = Date.now();
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  let i = 0;
  const draw = (): void => io.stderr(`\r${frames[i++ % frames.length]} ${label} ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const timer = setInterval(draw, 100);
  return () => {
    clearInterval(timer);
    io.stderr(`\r${' '.repeat(label.length + 12)}\r`);
  };
}

async function call(client: TrainPlanClient, parsed: ParsedCommand, csvTable: boolean): Promise<{ status: number; answer: unknown; problem: unknown }> {
  const route = COMMAND_ROUTES[parsed.command];
  // One route per command: the body is the user's (flags and --body), sent as given for the service to validate.
  const { data, error, response } = await client.POST(route as '/v1/estimate', {
    body: parsed.body as never,
    headers: { accept: csvTable ? 'text/csv' : 'application/json', ...(parsed.apiKey ? { 'x-api-key': parsed.apiKey } : {}) },
    parseAs: csvTable ? 'text' : 'json',
  });
  return { status: response.status, answer: data, problem: error };
}

/** Runs one command line; resolves to the exit status (0 answered, 1 refused, 2 bad command line). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed: ParsedCommand | 'help';
  try {
    parsed = parseCommandLine(argv, io.readStdin);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`trainplan: ${error.message}\n(trainplan --help lists the commands and flags)\n`);
    return 2;
  }
  if (parsed === 'help') {
    io.stdout(`${helpText()}\n`);
    return 0;
  }

  const wantsCsvTable = parsed.output === 'csv' && CSV_ROUTES.has(parsed.command);
  const showProgress = io.interactive && !parsed.quiet;
  let pool: PlanPool | undefined;
  let close = async (): Promise<void> => {};
  let client: TrainPlanClient;
  if (parsed.url) {
    client = createTrainPlanClient({ baseUrl: parsed.url.replace(/\/+$/, '') });
  } else {
    let catalog;
    try {
      catalog = loadCatalog(defaultCatalogPaths());
    } catch (error) {
      io.stderr(`trainplan: cannot load the catalog: ${(error as Error).message}\n`);
      return 1;
    }
    // A worker thread keeps this thread free to draw progress; a script gets the search in-thread (the same numbers).
    if (showProgress) pool = createPlanPool({ maxThreads: 1, minThreads: 1 });
    const app = await buildApp({ catalog, ...(pool ? { planRunner: (task) => pool!.run(task) } : {}) });
    await app.ready();
    close = async () => {
      await app.close();
      await pool?.close();
    };
    client = createTrainPlanClient({ baseUrl: 'http://trainplan.in-process', fetch: inProcessFetch(app) });
  }

  const done = showProgress ? progress(io, `planning (${parsed.command})…`) : () => {};
  let answer: Awaited<ReturnType<typeof call>>;
  try {
    answer = await call(client, parsed, wantsCsvTable);
  } catch (error) {
    done();
    await close();
    io.stderr(`trainplan: cannot reach ${parsed.url ?? 'the planner'}: ${(error as Error).message}\n`);
    return 1;
  }
  done();
  await close();

  if (answer.status !== 200 || answer.answer === undefined) {
    io.stderr(`${problemText(answer.problem, answer.status)}\n`);
    return 1;
  }
  if (parsed.output === 'json') io.stdout(`${JSON.stringify(answer.answer, null, 2)}\n`);
  else if (wantsCsvTable) io.stdout(String(answer.answer));
  else if (parsed.output === 'csv') io.stdout(fieldValueCsv(answer.answer));
  else io.stdout(`${summary(parsed.command, answer.answer)}\n`);
  return 0;
}
