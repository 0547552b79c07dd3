#!/usr/bin/env node
// Fails when the TypeScript files under the given folders (default: src test bench) import each other in a cycle.
// Type-only imports count too: a cycle of types is still two modules that cannot be understood one without the other.
// Usage: node scripts/check-import-cycles.mjs [folder...]   (part of `npm run lint`)
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const folders = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['src', 'test', 'bench'];
const SKIP = new Set(['node_modules', 'dist', '.build', 'results', 'coverage']);

/** Every .ts file under `dir`, build output and dependencies left out. */
function tsFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return SKIP.has(name) ? [] : tsFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Relative module specifiers of `file`: imports, re-exports and import() with a literal. */
function relativeSpecifiers(file) {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found = [];
  const visit = (node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [argument] = node.arguments;
      if (argument && ts.isStringLiteralLike(argument)) found.push(argument.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found.filter((specifier) => specifier.startsWith('./') || specifier.startsWith('../'));
}

/** `./x.js` (nodenext style) → the `x.ts` beside it, or `x/index.ts`; undefined for anything else (json, mjs). */
function resolveTs(from, specifier) {
  const base = resolve(dirname(from), specifier);
  const candidates = [base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
}

const files = folders.flatMap((folder) => tsFiles(resolve(root, folder)));
const graph = new Map(
  files.map((file) => [
    file,
    relativeSpecifiers(file)
      .map((s) => resolveTs(file, s))
      .filter(Boolean),
  ]),
);

// Tarjan's strongly connected components: every component of more than one file (or a file importing itself) is a cycle.
const index = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
const cycles = [];
let counter = 0;
function connect(file) {
  index.set(file, counter);
  low.set(file, counter);
  counter++;
  stack.push(file);
  onStack.add(file);
  for (const next of graph.get(file) ?? []) {
    if (!index.has(next)) {
      connect(next);
      low.set(file, Math.min(low.get(file), low.get(next)));
    } else if (onStack.has(next)) {
      low.set(file, Math.min(low.get(file), index.get(next)));
    }
  }
  if (low.get(file) === index.get(file)) {
    const component = [];
    let member;
    do {
      member = stack.pop();
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || (graph.get(file) ?? []).includes(file)) cycles.push(component);
  }
}
for (const file of graph.keys()) {
  if (!index.has(file)) connect(file);
}

if (cycles.length > 0) {
  console.error(`${cycles.length} import cycle(s) among ${folders.join(', ')}: move what both sides need into a module of its own.`);
  for (const component of cycles) {
    console.error(
      `- ${component
        .map((file) => relative(root, file))
        .sort()
        .join(' <-> ')}`,
    );
  }
  process.exit(1);
}
console.log(`no import cycle among ${files.length} files in ${folders.join(', ')}`);
