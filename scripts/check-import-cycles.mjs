#!/usr/bin/env node
// Fails when the TypeScript files under the given folders (default: src test bench) import each other in a cycle,
// or when the folders of the library (src/rabbitmq) do.
// Type-only imports count too, for files and folders alike: a cycle of types is still two modules (or folders)
// that cannot be understood one without the other.
// Folder level: the imports of the library's sources (specs left out) between its folders must form a DAG,
// so that each folder can be read knowing only the folders below it; a file at the library's root (index.ts,
// admin.ts, rabbitmq.module.ts…) counts as a folder of its own.
// Usage: node scripts/check-import-cycles.mjs [folder...]   (part of `npm run lint`)
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const folders = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['src', 'test', 'bench'];
const library = resolve(root, 'src/rabbitmq');
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

/** Tarjan's strongly connected components of `graph` (node → nodes): each of more than one node, or a node importing itself, is a cycle. */
function cyclesOf(graph) {
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const cycles = [];
  let counter = 0;
  function connect(node) {
    index.set(node, counter);
    low.set(node, counter);
    counter++;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        connect(next);
        low.set(node, Math.min(low.get(node), low.get(next)));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node), index.get(next)));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component = [];
      let member;
      do {
        member = stack.pop();
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) cycles.push(component.sort());
    }
  }
  for (const node of graph.keys()) {
    if (!index.has(node)) connect(node);
  }
  return cycles;
}

const files = folders.flatMap((folder) => tsFiles(resolve(root, folder)));
const imports = new Map(
  files.map((file) => [
    file,
    relativeSpecifiers(file)
      .map((specifier) => resolveTs(file, specifier))
      .filter((target) => target !== undefined),
  ]),
);
const fileCycles = cyclesOf(imports);

// The library's folders: imports of its sources (not specs) from one folder into another.
const folderOf = (file) => relative(library, file).split(sep)[0].replace(/\.ts$/, '');
const inLibrary = (file) => file.startsWith(library + sep);
const folderEdges = new Map();
for (const [file, targets] of imports) {
  if (!inLibrary(file) || file.endsWith('.spec.ts')) continue;
  for (const target of targets) {
    if (!inLibrary(target) || folderOf(target) === folderOf(file)) continue;
    const edges = folderEdges.get(folderOf(file)) ?? new Map();
    folderEdges.set(folderOf(file), edges);
    edges.set(folderOf(target), [...(edges.get(folderOf(target)) ?? []), `${relative(root, file)} -> ${relative(root, target)}`]);
  }
}
const folderCycles = cyclesOf(new Map([...folderEdges].map(([folder, edges]) => [folder, [...edges.keys()]])));

if (fileCycles.length > 0) {
  console.error(`${fileCycles.length} import cycle(s) among ${folders.join(', ')}: move what both sides need into a module of its own.`);
  for (const component of fileCycles) {
    console.error(`- ${component.map((file) => relative(root, file)).join(' <-> ')}`);
  }
}
if (folderCycles.length > 0) {
  console.error(
    `${folderCycles.length} cycle(s) among the folders of src/rabbitmq (type-only imports included): make the lower folder read what it needs ` +
      'through a small interface of its own, or move the file that creates the edge into the folder it belongs to.',
  );
  for (const component of folderCycles) {
    console.error(`- ${component.join(' <-> ')}, through:`);
    const members = new Set(component);
    for (const from of component) {
      for (const [to, through] of folderEdges.get(from) ?? []) {
        if (members.has(to)) console.error(`    ${through.join('\n    ')}`);
      }
    }
  }
}
if (fileCycles.length > 0 || folderCycles.length > 0) process.exit(1);
console.log(
  `no import cycle among ${files.length} files in ${folders.join(', ')}, nor among the ${new Set([...imports.keys()].filter(inLibrary).map(folderOf)).size} folders of src/rabbitmq`,
);
