// The domain's layers, checked on the source: every module sits in a concept folder, imports point
// only down the layer order (or within a folder), a folder is entered through its index, nothing in
// the domain reaches the HTTP layer or a package, and docs/ARCHITECTURE.md names every folder.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const domain = join(root, 'src', 'domain');

/** Bottom to top: a folder may import only folders before it in this list. */
export const DOMAIN_LAYERS = ['core', 'model', 'layouts', 'memory', 'performance', 'search', 'economics', 'planning'] as const;

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Module specifiers of every import / export-from in a file (static, type-only included). */
function specifiersOf(file: string): string[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      out.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && ts.isStringLiteral(node.arguments[0]!)) {
      out.push((node.arguments[0] as ts.StringLiteral).text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

interface Edge {
  from: string; // path relative to src/domain
  to: string; // resolved path relative to src/domain ('../x' when outside), or the package name
  spec: string;
}

function edges(): Edge[] {
  return walk(domain).flatMap((file) =>
    specifiersOf(file).map((spec) => {
      const from = relative(domain, file).split('\\').join('/');
      const to = spec.startsWith('.') ? posix.normalize(posix.join(posix.dirname(from), spec)) : spec;
      return { from, to, spec };
    }),
  );
}

const folderOf = (p: string): string => p.split('/')[0]!;

describe('domain layout (issue 8)', () => {
  const all = edges();

  it('has every module in a concept folder, and only the known folders', () => {
    const loose = readdirSync(domain).filter((n) => !statSync(join(domain, n)).isDirectory());
    expect(loose).toEqual([]);
    expect(readdirSync(domain).sort()).toEqual([...DOMAIN_LAYERS].sort());
    for (const layer of DOMAIN_LAYERS) expect(readdirSync(join(domain, layer))).toContain('index.ts');
  });

  it('imports no package (no Fastify, no I/O) and nothing outside src/domain', () => {
    const outward = all.filter((e) => !e.spec.startsWith('.') || e.to.startsWith('..'));
    expect(outward.map((e) => `${e.from} -> ${e.spec}`)).toEqual([]);
  });

  it('points every cross-folder import down the layer order', () => {
    const rank = (f: string): number => DOMAIN_LAYERS.indexOf(f as (typeof DOMAIN_LAYERS)[number]);
    const upward = all.filter((e) => e.spec.startsWith('.') && folderOf(e.from) !== folderOf(e.to) && rank(folderOf(e.to)) >= rank(folderOf(e.from)));
    expect(upward.map((e) => `${e.from} -> ${e.to}`)).toEqual([]);
  });

  it('enters another folder only through its index', () => {
    const sideDoors = all.filter((e) => e.spec.startsWith('.') && folderOf(e.from) !== folderOf(e.to) && !e.to.endsWith('/index.js'));
    expect(sideDoors.map((e) => `${e.from} -> ${e.to}`)).toEqual([]);
  });

  it('keeps the step-time oracle out of the model the routes use', () => {
    // the reference is imported only by the tests that compare the fast path against it
    const users = all.filter((e) => e.to.endsWith('step-time-reference.js') && !e.from.endsWith('index.ts'));
    expect(users).toEqual([]);
  });

  it('is the tree docs/ARCHITECTURE.md describes', () => {
    const doc = readFileSync(join(root, 'docs', 'ARCHITECTURE.md'), 'utf8');
    for (const file of walk(domain)) {
      const rel = relative(join(root, 'src'), file).split('\\').join('/');
      if (rel.endsWith('/index.ts')) continue;
      expect(doc, `docs/ARCHITECTURE.md should name ${rel}`).toContain(rel.replace(/^domain\//, ''));
    }
    for (const layer of DOMAIN_LAYERS) expect(doc).toContain(`domain/${layer}/`);
  });
});


describe('self-contained (issue 11)', () => {
  it('reads no file outside the repository: code, tests, benches and scripts name only paths inside it', () => {
    const files = ['src', 'test', 'bench', 'scripts'].flatMap((d) => walk(join(root, d)));
    const outside = files.flatMap((f) => {
      const text = readFileSync(f, 'utf8');
      return /\.\.\/shared\/|['"`]\.\.\/\.\.\/\.\.\//.test(text) ? [relative(root, f)] : [];
    });
    expect(outside).toEqual([]);
  });
});
