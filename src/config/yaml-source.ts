// Reading a YAML configuration file and validating a list of entries in it, collecting every
// problem (YAML syntax, schema, semantic, duplicate ids) with file, entry, JSON Pointer and line.
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { Static, TSchema } from 'typebox';
import { Settings } from 'typebox/system';
import { Value } from 'typebox/value';
import { CatalogError, type CatalogProblem } from './errors.js';

export interface YamlSource {
  file: string;
  doc: Document;
  lineCounter: LineCounter;
  data: unknown;
}

/** A problem found inside one entry; path relative to the document root. */
export interface FieldProblem {
  path: string;
  message: string;
}

/** Reads a nested field of unvalidated data; undefined when any step is missing or not an object. */
export function get(value: unknown, ...keys: string[]): unknown {
  let v = value;
  for (const k of keys) {
    if (!isObject(v)) return undefined;
    v = v[k];
  }
  return v;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function positive(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;
}

export function positiveInteger(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;
}

/** Parses YAML text; syntax errors (all of them, with line and column) throw a CatalogError. */
export function parseYamlText(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new CatalogError(
      doc.errors.map((e) => {
        const pos = e.linePos?.[0] ?? lineCounter.linePos(e.pos[0]);
        const problem: CatalogProblem = { file, path: '', message: `YAML syntax error: ${firstLine(e.message).replace(/ at line \d+, column \d+:?$/, '')}` };
        if (pos) {
          problem.line = pos.line;
          problem.column = pos.col;
        }
        return problem;
      }),
    );
  }
  return { file, doc, lineCounter, data: doc.toJS() };
}

export function readYamlFile(path: string): YamlSource {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new CatalogError([{ file: path, path: '', message: `cannot read the file (${code})` }]);
  }
  return parseYamlText(text, path);
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

/** Pointer segments, unescaped (RFC 6901). */
function segments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function escapeSegment(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** 1-based line of the node a pointer names, or of its nearest existing ancestor. */
export function lineOf(src: YamlSource, pointer: string): number | undefined {
  const keys: (string | number)[] = segments(pointer).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  for (let n = keys.length; n >= 0; n--) {
    const node = n === 0 ? src.doc.contents : src.doc.getIn(keys.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (range) return src.lineCounter.linePos(range[0]).line;
  }
  return undefined;
}

function valueAt(data: unknown, pointer: string): unknown {
  let v: unknown = data;
  for (const s of segments(pointer)) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[s];
  }
  return v;
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Every schema violation of `value` (TypeBox stops at 8 by default; raised here for this call only). */
export function schemaProblems(schema: TSchema, value: unknown, pointerPrefix: string): FieldProblem[] {
  const previous = Settings.Get().maxErrors;
  Settings.Set({ maxErrors: 10_000 });
  let errors: ReturnType<typeof Value.Errors>;
  try {
    errors = Value.Errors(schema, value);
  } finally {
    Settings.Set({ maxErrors: previous });
  }
  const out: FieldProblem[] = [];
  const seen = new Set<string>();
  const push = (path: string, message: string): void => {
    const key = `${path}\u0000${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ path, message });
  };
  for (const e of errors) {
    const params = e.params as Record<string, unknown>;
    const at = pointerPrefix + e.instancePath;
    switch (e.keyword) {
      case 'required':
        for (const name of (params.requiredProperties as string[] | undefined) ?? []) {
          push(`${at}/${escapeSegment(name)}`, 'is required');
        }
        break;
      case 'additionalProperties':
        for (const name of (params.additionalProperties as string[] | undefined) ?? []) {
          push(`${at}/${escapeSegment(name)}`, 'is not an allowed field (misspelt?)');
        }
        break;
      case 'boolean':
        // the `false` sub-schema of additionalProperties: reported once above
        break;
      case 'enum':
        push(at, `must be one of ${((params.allowedValues as unknown[] | undefined) ?? []).join(', ')} (got ${show(valueAt(value, e.instancePath))})`);
        break;
      default:
        push(at, `${e.message} (got ${show(valueAt(value, e.instancePath))})`);
    }
  }
  return out;
}

export interface CollectionSpec<S extends TSchema> {
  /** the key of the entry list in the document root, e.g. 'accelerators' */
  key: string;
  entrySchema: S;
  /** semantic checks of one entry, run on every entry (even one failing the schema: guard every read); paths from the document root */
  semantic: (entry: unknown, pointer: string) => FieldProblem[];
  /** optional checks across all entries (ids are checked for duplicates already) */
  across?: (entries: { entry: unknown; index: number; pointer: string }[]) => (FieldProblem & { index: number })[];
}

/**
 * Validates `{ <key>: [entry, ...] }`: the root shape, every entry's schema, semantic checks on
 * the entries that pass, duplicate ids. Throws one CatalogError listing every problem.
 */
export function validateCollection<S extends TSchema>(src: YamlSource, spec: CollectionSpec<S>): Static<S>[] {
  const problems: CatalogProblem[] = [];
  const add = (path: string, message: string, entry?: string): void => {
    const p: CatalogProblem = { file: src.file, path, message };
    if (entry !== undefined) p.entry = entry;
    const line = lineOf(src, path);
    if (line !== undefined) p.line = line;
    problems.push(p);
  };

  const root = src.data;
  if (root === null || typeof root !== 'object' || Array.isArray(root)) {
    add('', `the document must be a mapping with a "${spec.key}" list`);
    throw new CatalogError(problems);
  }
  for (const k of Object.keys(root)) {
    if (k !== spec.key) add(`/${escapeSegment(k)}`, `is not an allowed top-level field (expected only "${spec.key}")`);
  }
  const list = (root as Record<string, unknown>)[spec.key];
  if (!Array.isArray(list)) {
    add(`/${spec.key}`, list === undefined ? 'is required (a list of entries)' : 'must be a list of entries');
    throw new CatalogError(problems);
  }
  if (list.length === 0) add(`/${spec.key}`, 'must contain at least one entry');

  const labelOf = (raw: unknown, index: number): string => {
    const id = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>).id : undefined;
    return typeof id === 'string' && id !== '' ? `"${id}"` : `#${index}`;
  };

  const all: { entry: unknown; index: number; pointer: string }[] = [];
  const firstIndexById = new Map<string, number>();
  list.forEach((raw: unknown, index: number) => {
    const pointer = `/${spec.key}/${index}`;
    const label = labelOf(raw, index);
    const id = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>).id : undefined;
    if (typeof id === 'string') {
      const first = firstIndexById.get(id);
      if (first === undefined) firstIndexById.set(id, index);
      else add(`${pointer}/id`, `duplicate id "${id}" (first used by entry #${first})`, label);
    }
    for (const p of schemaProblems(spec.entrySchema, raw, pointer)) add(p.path, p.message, label);
    for (const p of spec.semantic(raw, pointer)) add(p.path, p.message, label);
    all.push({ entry: raw, index, pointer });
  });
  if (spec.across) {
    for (const p of spec.across(all)) add(p.path, p.message, labelOf(list[p.index], p.index));
  }
  if (problems.length > 0) {
    problems.sort((x, y) => (x.line ?? 0) - (y.line ?? 0));
    throw new CatalogError(problems);
  }
  return list as Static<S>[];
}
