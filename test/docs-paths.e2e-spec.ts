/**
 * The README and docs/ name files and folders of the repository (`src/app.module.ts`,
 * `test/support/…`, links to docs/): a rename must not leave a guide pointing at nothing. Reads the
 * Markdown only; no broker.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const DOCUMENTS = [
  'README.md',
  ...readdirSync('docs')
    .filter((name) => name.endsWith('.md'))
    .map((name) => join('docs', name)),
];

/** Repository paths written from the root, in backticks or plain text: `src/…`, `test/…`, `docs/…`, … */
const ROOT_PATH = /(?<![\w./-])(?:src|test|docs|scripts|bench|k8s|\.ci)\/[\w./-]*/g;
/** Output folders the docs name that exist only once a command ran (git-ignored). */
const WRITTEN_BY_COMMANDS = new Set(['bench/.drill/']); // npm run drill

/** Relative Markdown links: [text](target), without a scheme. */
const LINK = /\]\(([^)\s]+)\)/g;

/** The paths a Markdown text names; links are relative to `folder`, the document's folder. */
function namedPaths(text: string, folder: string): string[] {
  const fromRoot = [...text.matchAll(ROOT_PATH)].map(([path]) => path.replace(/[.,:;]+$/, ''));
  const linked = [...text.matchAll(LINK)]
    .map(([, target]) => target.split('#')[0])
    .filter((target) => target !== '' && !/^[a-z]+:/i.test(target))
    .map((target) => join(folder, target));
  return [...fromRoot, ...linked];
}

describe('paths the README and docs/ name', () => {
  it.each(DOCUMENTS)('%s names only paths that exist', (document) => {
    const missing = namedPaths(readFileSync(document, 'utf8'), dirname(document)).filter(
      (path) => !existsSync(path) && !WRITTEN_BY_COMMANDS.has(path),
    );
    expect(missing).toEqual([]);
  });

  it.each(DOCUMENTS)('%s never points outside the repository at a shared folder', (document) => {
    expect(readFileSync(document, 'utf8')).not.toMatch(/\/work\/shared|\.\.\/shared/);
  });

  it('would catch a path that does not exist', () => {
    const text = 'see `src/app.module.ts`, `src/rabbitmq/no-such-file.ts`. and [the guide](../README.md), [gone](gone.md#top)';
    expect(namedPaths(text, 'docs').filter((path) => !existsSync(path))).toEqual(['src/rabbitmq/no-such-file.ts', 'docs/gone.md']);
  });
});
