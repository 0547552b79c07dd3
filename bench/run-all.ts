/**
 * `npm run bench`: the scenarios side by side in one run on the local broker (AMQP_URL), each subject a child
 * process, every queue and exchange named `bench-<run id>-…` and deleted at the end (the run fails if anything is
 * left). Writes bench/results/results.md, drain.svg, memory.svg, http.svg (and a git-ignored results.json).
 * BENCH_SCENARIOS=drain,memory,poison,http,outbox selects scenarios; see bench/README.md for every setting.
 */
import { loadavg } from 'node:os';
import { BenchBroker } from './lib/broker.js';
import { onInterrupt } from './lib/child.js';
import { writeReport } from './lib/report.js';
import type { BenchResults } from './lib/results.js';
import { envInt, envList, errorText, log, randomSuffix } from './lib/util.js';
import { runDrain } from './drain.js';
import { runHttp } from './http-publish.js';
import { runMemory } from './memory.js';
import { runOutbox } from './outbox.js';
import { runPoison } from './poison.js';

const load = (): number[] => loadavg().map((l) => Math.round(l * 100) / 100);
const settings = [
  'BENCH_SCENARIOS',
  'BENCH_DRAIN_N',
  'BENCH_DRAIN_ROUNDS',
  'BENCH_MEMORY_N',
  'BENCH_MEMORY_SECONDS',
  'BENCH_HTTP_SECONDS',
  'BENCH_HTTP_ROUNDS',
  'BENCH_OUTBOX_ROWS',
  'BENCH_OUTBOX_INBOX_ROWS',
]
  .filter((name) => process.env[name])
  .map((name) => `${name}=${process.env[name]} `)
  .join('');
const scenarios = envList('BENCH_SCENARIOS', ['drain', 'memory', 'poison', 'http', 'outbox']);
const started = Date.now();
const broker = await BenchBroker.open(`bench-${randomSuffix()}`);
onInterrupt(() => broker.cleanup());
const results: BenchResults = { command: `${settings}npm run bench`, rabbitmqVersion: broker.serverVersion, loadAtStart: load() };
let failed = false;
try {
  if (scenarios.includes('drain')) {
    results.drain = await runDrain(broker, envInt('BENCH_DRAIN_N', 50_000), envInt('BENCH_DRAIN_ROUNDS', 3));
    failed ||= results.drain.rows.some((r) => r.error);
  }
  if (scenarios.includes('memory')) {
    results.memory = await runMemory(broker, envInt('BENCH_MEMORY_N', 200_000), envInt('BENCH_MEMORY_SECONDS', 20));
    failed ||= results.memory.scenarios.some((s) => s.error || s.rows.some((r) => r.error));
  }
  if (scenarios.includes('poison')) {
    results.poison = await runPoison(broker, envInt('BENCH_POISON_SECONDS', 10));
    failed ||= results.poison.rows.some((r) => r.error);
  }
  if (scenarios.includes('outbox')) {
    results.outbox = await runOutbox(broker);
    failed ||= Boolean(results.outbox.error) || results.outbox.http.some((r) => r.error);
  }
  if (scenarios.includes('http')) {
    results.http = await runHttp(broker);
    failed ||= results.http.rows.some((r) => r.error);
  }
} catch (error) {
  log(`benchmark failed: ${errorText(error)}`);
  failed = true;
} finally {
  await broker.cleanup();
  results.leftovers = await broker.leftovers().catch((error: unknown) => [`unknown (${errorText(error)})`]);
  await broker.close();
}
if (results.leftovers.length > 0) {
  log(`LEFT ON THE BROKER: ${results.leftovers.join(', ')}`);
  failed = true;
}
results.durationSeconds = (Date.now() - started) / 1000;
results.loadAtEnd = load();
process.stdout.write(writeReport(results, scenarios.length === 5 ? 'results' : scenarios.join('-')));
log(`done in ${Math.round(results.durationSeconds)} s${failed ? ' (with failures, see above)' : ''}`);
process.exit(failed ? 1 : 0);
