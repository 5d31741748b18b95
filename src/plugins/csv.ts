// Accept: text/csv for list-shaped answers. A route names the array of its JSON answer that is the
// table (config.csvRows, e.g. 'entries'); when the client prefers text/csv, the serialized JSON is
// turned into RFC 4180 CSV: one row per element, nested objects flattened to dotted columns
// ('parallelism.tensor'), arrays of values joined with '; '. Errors stay application/problem+json.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** key of the array in the JSON answer to send as CSV rows when the client prefers text/csv */
    csvRows?: string;
  }
}

export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8; header=present';

interface MediaRange {
  type: string;
  q: number;
  order: number;
}

function parseAccept(header: string): MediaRange[] {
  return header.split(',').map((part, order) => {
    const [type = '', ...params] = part.trim().split(';');
    let q = 1;
    for (const p of params) {
      const [k, v] = p.trim().split('=');
      if (k?.trim() === 'q' && v !== undefined) {
        const n = Number(v.trim());
        q = Number.isFinite(n) ? n : 0;
      }
    }
    return { type: type.trim().toLowerCase(), q, order };
  });
}

/** True when the Accept header prefers text/csv to JSON (higher q, or equal q and listed first). */
export function prefersCsv(accept: string | undefined): boolean {
  if (!accept) return false;
  const ranges = parseAccept(accept);
  const csv = ranges.filter((r) => r.type === 'text/csv' && r.q > 0).sort((a, b) => b.q - a.q || a.order - b.order)[0];
  if (!csv) return false;
  const json = ranges
    .filter((r) => (r.type === 'application/json' || r.type === 'application/*' || r.type === '*/*') && r.q > 0)
    .sort((a, b) => b.q - a.q || a.order - b.order)[0];
  if (!json) return true;
  return csv.q > json.q || (csv.q === json.q && csv.order < json.order);
}

/**
 * Can an answer be sent that the Accept header takes? JSON (the answers and, as
 * application/problem+json, the errors) always; CSV on list-shaped routes. RFC 9110 §12.5.1: an
 * absent header accepts anything.
 */
export function acceptsAnswer(accept: string | undefined, csv: boolean): boolean {
  if (!accept || accept.trim() === '') return true;
  const served = ['application/json', 'application/problem+json', ...(csv ? ['text/csv'] : [])];
  return parseAccept(accept).some((r) => {
    if (r.q <= 0) return false;
    if (r.type === '*/*' || r.type === '*') return true;
    if (r.type.endsWith('/*')) return served.some((t) => t.startsWith(r.type.slice(0, -1)));
    return served.includes(r.type);
  });
}

/** One field, RFC 4180: quoted when it holds a comma, a quote, CR or LF; quotes doubled. */
export function csvField(value: unknown): string {
  if (value === undefined || value === null) return '';
  const s = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Flattens one row: nested objects → dotted keys; arrays of scalars → '; '-joined; arrays of objects → JSON. */
export function flattenRow(row: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (row === null || typeof row !== 'object' || Array.isArray(row)) {
    out[prefix || 'value'] = Array.isArray(row) ? joinArray(row) : row;
    return out;
  }
  for (const [k, v] of Object.entries(row as Record<string, unknown>)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flattenRow(v, key, out);
    else out[key] = Array.isArray(v) ? joinArray(v) : v;
  }
  return out;
}

function joinArray(values: unknown[]): string {
  return values.every((v) => v === null || typeof v !== 'object') ? values.map((v) => (v === null || v === undefined ? '' : String(v))).join('; ') : JSON.stringify(values);
}

/** Rows → CSV text with a header row (union of columns, first-seen order), CRLF line ends (RFC 4180 Sec. 2). */
export function toCsv(rows: readonly unknown[]): string {
  const flat = rows.map((r) => flattenRow(r));
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const r of flat) {
    for (const k of Object.keys(r)) {
      if (!seen.has(k)) {
        seen.add(k);
        columns.push(k);
      }
    }
  }
  const lines = [columns.map(csvField).join(',')];
  for (const r of flat) lines.push(columns.map((c) => csvField(r[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** RFC 4180 parser (for tests and clients): rows of fields, the header first. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      field += ch;
      i++;
      continue;
    }
    if (ch === '"') {
      quoted = true;
      i++;
    } else if (ch === ',') {
      row.push(field);
      field = '';
      i++;
    } else if (ch === '\r' || ch === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
    } else {
      field += ch;
      i++;
    }
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** CSV rows as objects keyed by the header. */
export function parseCsvObjects(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text);
  if (!header) return [];
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
}

function rowsKeyFor(request: FastifyRequest): string | undefined {
  return request.routeOptions.config?.csvRows;
}

async function csvPluginImpl(app: FastifyInstance): Promise<void> {
  // 406 before any work when the API cannot answer in a type the client accepts
  app.addHook('onRequest', async (request: FastifyRequest) => {
    if (!request.url.startsWith('/v1/') || acceptsAnswer(request.headers.accept, rowsKeyFor(request) !== undefined)) return;
    const types = rowsKeyFor(request) ? 'application/json or text/csv' : 'application/json';
    throw Object.assign(new Error(`cannot answer in ${request.headers.accept}; this route answers ${types} (errors as application/problem+json)`), { statusCode: 406 });
  });
  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const key = rowsKeyFor(request);
    if (!key) return payload;
    reply.header('vary', 'Accept');
    if (reply.statusCode !== 200 || typeof payload !== 'string' || !prefersCsv(request.headers.accept)) return payload;
    const contentType = String(reply.getHeader('content-type') ?? '');
    if (!contentType.startsWith('application/json')) return payload;
    let body: unknown;
    try {
      body = JSON.parse(payload);
    } catch {
      return payload;
    }
    const rows = body !== null && typeof body === 'object' ? (body as Record<string, unknown>)[key] : undefined;
    if (!Array.isArray(rows)) return payload;
    reply.header('content-type', CSV_CONTENT_TYPE);
    return toCsv(rows);
  });
}

/** App-wide (not encapsulated): serves every list-shaped answer as CSV on Accept: text/csv. */
export const csvPlugin = fp(csvPluginImpl, { name: 'trainplan-csv', fastify: '5.x' });
