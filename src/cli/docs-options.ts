/**
 * Writes the README configuration tables from SETTING_TABLE: `npm run docs:options`.
 * src/config/configuration-table.spec.ts fails when README.md and the tables disagree.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { withConfigurationTables } from '../config/configuration-table.js';

const README = 'README.md';
const before = readFileSync(README, 'utf8');
const after = withConfigurationTables(before);
if (after === before) {
  process.stdout.write(`${README}: configuration tables already up to date\n`);
} else {
  writeFileSync(README, after);
  process.stdout.write(`${README}: configuration tables rewritten\n`);
}
