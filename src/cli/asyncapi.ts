/**
 * Writes the event catalogue, docs/asyncapi.yaml, from the code: `npm run asyncapi`.
 * src/cli/asyncapi.spec.ts fails when the file and the code disagree. The configuration is the
 * defaults (not this shell's environment), so the document is the same wherever it is generated.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { ASYNCAPI_FILE } from '../catalogue/service-catalogue.js';
import { loadConfig } from '../config/load-config.js';
import { asyncApiYaml } from './asyncapi-document.js';

const after = await asyncApiYaml(loadConfig({}));
let before = '';
try {
  before = readFileSync(ASYNCAPI_FILE, 'utf8');
} catch {
  // Not written yet.
}
if (after === before) {
  process.stdout.write(`${ASYNCAPI_FILE}: already up to date\n`);
} else {
  writeFileSync(ASYNCAPI_FILE, after);
  process.stdout.write(`${ASYNCAPI_FILE}: rewritten\n`);
}
