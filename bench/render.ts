/**
 * Re-renders bench/results/<base>.md and the SVG charts from <base>.json without re-running
 * anything (after a change to the report or chart code). `node bench/.build/bench/render.js [results]`
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { writeReport } from './lib/report.js';
import type { BenchResults } from './lib/results.js';
import { RESULTS_DIR } from './lib/util.js';

const base = process.argv[2] ?? 'results';
const results = JSON.parse(readFileSync(resolve(RESULTS_DIR, `${base}.json`), 'utf8')) as BenchResults;
await writeReport(results, base);
