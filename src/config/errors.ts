// Errors raised while loading configuration. Every problem is collected before throwing, so one
// start-up attempt names all of them (STYLE.md 6: fail fast with every problem named).

/** One problem in a configuration file. */
export interface CatalogProblem {
  /** the file, as given to the loader */
  file: string;
  /** the entry's id, or `#<index>` when it has none (absent for file-level problems) */
  entry?: string;
  /** JSON Pointer from the document root, e.g. /accelerators/3/memoryGiB ('' for the whole file) */
  path: string;
  message: string;
  /** 1-based line in the file, where known */
  line?: number;
  /** 1-based column, where known (YAML syntax errors) */
  column?: number;
}

export function formatProblem(p: CatalogProblem): string {
  const where = p.line === undefined ? p.file : `${p.file}:${p.line}${p.column === undefined ? '' : `:${p.column}`}`;
  const parts = [where];
  if (p.entry !== undefined) parts.push(`entry ${p.entry}`);
  if (p.path !== '') parts.push(`field ${p.path}`);
  return `${parts.join(' ')}: ${p.message}`;
}

/** A configuration file that cannot be used: unreadable, not YAML, or failing the schema or semantic checks. */
export class CatalogError extends Error {
  override readonly name = 'CatalogError';
  readonly problems: readonly CatalogProblem[];

  constructor(problems: readonly CatalogProblem[]) {
    const files = [...new Set(problems.map((p) => p.file))].join(', ');
    const n = problems.length;
    super(`invalid configuration in ${files} (${n} problem${n === 1 ? '' : 's'}):\n${problems.map((p) => `  - ${formatProblem(p)}`).join('\n')}`);
    this.problems = problems;
  }
}

/** One bad environment variable. */
export interface EnvProblem {
  variable: string;
  value: string | undefined;
  message: string;
}

/** The environment cannot be used; lists every bad variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly EnvProblem[];

  constructor(problems: readonly EnvProblem[]) {
    const n = problems.length;
    super(
      `invalid environment (${n} problem${n === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p.variable}=${JSON.stringify(p.value ?? '')}: ${p.message}`).join('\n'),
    );
    this.problems = problems;
  }
}
