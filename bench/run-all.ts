/**
 * `npm run bench`: every scenario, side by side, in one run on the local broker — drain, HTTP
 * publish, memory (moderate default: BENCH_MEMORY_N=200000 × 1 KB and 200 × 4 MB, 30 s per
 * subject, so the whole run stays under ~15 minutes on a 2-core machine; `npm run bench:memory`
 * runs the full 1,000,000 × 1 KB, 60 s version) and the codec hook. Writes
 * bench/results/results.{json,md}, memory-A.svg, memory-B.svg, throughput.svg and prints the table.
 *
 * BENCH_SCENARIOS=drain,http,memory,poison,codec selects scenarios; every scenario's own env applies.
 */
import { runCodec } from './codec.js';
import { drainFailed, runDrain } from './drain.js';
import { httpAppsFromEnv, httpFailed, httpOptionsFromEnv, runHttp } from './http-publish.js';
import { closeRun, openRun } from './lib/bench-run.js';
import { machineInfo } from './lib/machine.js';
import { writeReport } from './lib/report.js';
import type { BenchResults } from './lib/results.js';
import { envInt, log } from './lib/util.js';
import { memoryFailed, memoryOptionsFromEnv, runMemory } from './memory.js';
import { poisonFailed, runPoison } from './poison.js';

export const RUN_ALL_MEMORY_N = 200_000;
/** Drain size of the full run: 50,000 per round, 3 rounds taking turns (`npm run bench:drain` keeps 200,000, one round). */
export const RUN_ALL_DRAIN_N = 50_000;
export const RUN_ALL_DRAIN_ROUNDS = 3;
/** 8 s per HTTP run (not 10) since the drain runs 3 rounds: the whole run must stay under 15 minutes. */
export const RUN_ALL_HTTP_SECONDS = '8';
/**
 * The full run's HTTP apps: warren's minimal app on Fastify (the service's adapter), not also on
 * Express (`npm run bench:http` runs both: that comparison is why the service moved to Fastify).
 */
export const RUN_ALL_HTTP_APPS = 'nest,warren-fastify,golevelup,demo';
/** 3 s per message-shape run (not 5): the broker's confirm rate varies little. */
export const RUN_ALL_SHAPE_SECONDS = '3';
/** 20 s (not 30) since golevelup joined the memory subjects: the whole run must stay under 15 minutes. */
export const RUN_ALL_MEMORY_SECONDS = 20;
/** HTTP rounds per app in the full run (3 apps take turns since golevelup joined; `npm run bench:http` keeps 3). */
export const RUN_ALL_HTTP_ROUNDS = '2';

const wanted = new Set((process.env.BENCH_SCENARIOS ?? 'drain,http,memory,poison,codec').split(',').map((s) => s.trim()));
const started = Date.now();
const run = await openRun();
const { broker } = run;
const results: BenchResults = {
  rabbitmqVersion: broker.serverVersion,
  startedAt: new Date(started).toISOString(),
  command: 'npm run bench',
  settings: {},
};
let failed = false;
try {
  if (wanted.has('drain')) {
    const n = envInt('BENCH_DRAIN_N', RUN_ALL_DRAIN_N);
    results.settings = { ...results.settings, drainN: n, drainRounds: envInt('BENCH_DRAIN_ROUNDS', RUN_ALL_DRAIN_ROUNDS) };
    results.drain = await runDrain(broker, n, undefined, envInt('BENCH_DRAIN_ROUNDS', RUN_ALL_DRAIN_ROUNDS));
    failed ||= drainFailed(results.drain);
  }
  if (wanted.has('http')) {
    process.env.BENCH_HTTP_ROUNDS ??= RUN_ALL_HTTP_ROUNDS;
    process.env.BENCH_HTTP_SECONDS ??= RUN_ALL_HTTP_SECONDS;
    process.env.BENCH_HTTP_APPS ??= RUN_ALL_HTTP_APPS;
    process.env.BENCH_SHAPE_SECONDS ??= RUN_ALL_SHAPE_SECONDS;
    const options = httpOptionsFromEnv();
    results.settings = { ...results.settings, http: options };
    results.http = await runHttp(broker, options, httpAppsFromEnv());
    failed ||= httpFailed(results.http);
  }
  if (wanted.has('memory')) {
    const options = memoryOptionsFromEnv({ n: RUN_ALL_MEMORY_N, seconds: RUN_ALL_MEMORY_SECONDS });
    results.settings = { ...results.settings, memory: options };
    results.memory = await runMemory(broker, options);
    failed ||= memoryFailed(results.memory);
  }
  if (wanted.has('poison')) {
    results.poison = await runPoison(broker, envInt('BENCH_POISON_SECONDS', 10));
    failed ||= poisonFailed(results.poison);
  }
  if (wanted.has('codec')) {
    results.codec = await runCodec();
  }
} catch (error) {
  log(`benchmark failed: ${String(error instanceof Error ? (error.stack ?? error.message) : error)}`);
  failed = true;
} finally {
  const clean = await closeRun(run);
  failed ||= !clean;
}
results.durationSeconds = (Date.now() - started) / 1000;
results.machine = await machineInfo(results.rabbitmqVersion);
await writeReport(results, 'results');
log(`done in ${Math.round(results.durationSeconds)} s${failed ? ' (with failures, see above)' : ''}`);
process.exit(failed ? 1 : 0);
