/**
 * Issue 5 — recovery under broker and network faults, as a table:
 *   fault | accepted (202) | 503 | no answer | processed | lost | duplicates | back → first ack | …
 *
 * Each fault runs the real service (the compiled demo, `main.js`) as a child process under
 * RECOVERY_LOAD_RATE (50) POST /users per second, on a DISPOSABLE RabbitMQ node this script
 * starts and removes (never the shared broker):
 *   stop          `rabbitmqctl stop`, RECOVERY_STOP_DOWN_MS (2000) more after both connections
 *                 noticed (the broker is away ~10 s in all), the same node started again
 *   close         `rabbitmqctl close_all_connections` ten times (MAILER_DELAY_MS=100, so handlers
 *                 run across each close and must not ack on the new channel)
 *   kill          SIGKILL of the broker VM, 2 s away, started again (quorum queues on disk)
 *   freeze        a TCP proxy between service and broker stops forwarding until the service's
 *                 heartbeats (10 s) declare the connections dead, then forwards again
 *   freeze-2nd    two proxies to the node in AMQP_URL; the one the consumer uses freezes for
 *                 good: after the heartbeat timeout the service must move to the other URL
 *   service-kill  the service SIGKILLed with messages in flight (MAILER_DELAY_MS=500), restarted
 *   cluster       scripts/cluster.sh up; the node the consumer is on SIGKILLed; down (~2 min)
 * accepted = emails answered 202; processed = distinct emails in the service's `mail to` lines;
 * lost = accepted − processed (must be 0); duplicates = mail lines − distinct emails.
 *
 * Run: `tsc -p bench/tsconfig.json && node bench/.build/bench/recovery.js` (package.json:
 * `npm run bench:recovery`). Env: RECOVERY_SCENARIOS (comma list, default all of the above),
 * RECOVERY_LOAD_RATE (50), RECOVERY_DRAIN_TIMEOUT_MS (60000), RECOVERY_RESULTS_DIR (bench/results),
 * RECOVERY_STOP_DOWN_MS (2000; e.g. 52000 for a ~60 s outage).
 * Writes recovery.md and recovery.json there; exits 1 when anything was lost or a scenario failed. ~6 min on 2 cores.
 */
import { existsSync, lstatSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clusterDown, clusterUp } from '../test/support/cluster.js';
import { DisposableBroker } from '../test/support/disposable-broker.js';
import {
  brokerKill,
  brokerStopStart,
  closeAllConnections,
  clusterNodeKill,
  LOAD_RATE,
  proxyFreeze,
  resultsTable,
  runScenario,
  type ScenarioResult,
  serviceKill,
  summary,
} from '../test/support/recovery-scenarios.js';
import { TcpProxy } from '../test/support/tcp-proxy.js';

/** How long the broker stays stopped in 'stop' once both connections noticed, in ms. */
const STOP_DOWN_MS = Number(process.env.RECOVERY_STOP_DOWN_MS ?? 2_000);

const ALL = ['stop', 'close', 'kill', 'freeze', 'freeze-2nd', 'service-kill', 'cluster'] as const;
type Scenario = (typeof ALL)[number];

/** bench/.build/bench/recovery.js → bench/.build */
const BUILD_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BENCH_DIR = resolve(BUILD_DIR, '..');
// RECOVERY_RESULTS_DIR: where the table goes instead (npm run drill keeps the committed figures untouched).
const RESULTS_DIR = process.env.RECOVERY_RESULTS_DIR ? resolve(process.env.RECOVERY_RESULTS_DIR) : join(BENCH_DIR, 'results');

/**
 * test/support/service-process.ts runs `../../dist/main.js` from where it is: in this compiled
 * copy that is bench/.build/dist/main.js. The same tsc run compiled src/ to bench/.build/src/,
 * so bench/.build/dist is made a link to it (inside the git-ignored build dir).
 */
function linkServiceBuild(): void {
  const link = join(BUILD_DIR, 'dist');
  if (!existsSync(join(BUILD_DIR, 'src', 'main.js'))) {
    throw new Error(`${join(BUILD_DIR, 'src', 'main.js')} is missing: run tsc -p bench/tsconfig.json first`);
  }
  let present = false;
  try {
    lstatSync(link);
    present = true;
  } catch {
    // absent
  }
  if (!present) {
    symlinkSync('src', link, 'dir');
  }
  if (!existsSync(join(link, 'main.js'))) {
    throw new Error(`${link}/main.js does not resolve to the compiled service`);
  }
}

function selected(): Scenario[] {
  const raw = process.env.RECOVERY_SCENARIOS;
  if (!raw) return [...ALL];
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const name of names) {
    if (!(ALL as readonly string[]).includes(name)) {
      throw new Error(`RECOVERY_SCENARIOS: unknown '${name}' (known: ${ALL.join(', ')})`);
    }
  }
  return names as Scenario[];
}

interface Failure {
  fault: string;
  error: string;
}

/** Runs one fault's scenario: its result is kept, or its error recorded as a failure; either way the run goes on. */
type Attempt = (fault: string, body: () => Promise<ScenarioResult>) => Promise<void>;

async function main(): Promise<number> {
  linkServiceBuild();
  const scenarios = selected();
  const results: ScenarioResult[] = [];
  const failures: Failure[] = [];
  const started = Date.now();
  const attempt: Attempt = async (fault, body) => {
    console.error(`[recovery] ${fault} …`);
    try {
      const result = await body();
      results.push(result);
      console.error(`[recovery] ${summary(result)}`);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      failures.push({ fault, error: message.split('\n')[0] });
      console.error(`[recovery] ${fault} FAILED: ${message}`);
    }
  };

  const onBroker = scenarios.filter((s) => s !== 'cluster');
  if (onBroker.length > 0) {
    await runOnDisposableBroker(onBroker, attempt);
  }
  if (scenarios.includes('cluster')) {
    await runOnCluster(attempt, failures);
  }
  writeRecoveryResults(results, failures, started);
  const lost = results.reduce((sum, r) => sum + r.lost, 0);
  return lost > 0 || failures.length > 0 ? 1 : 0;
}

/** The single-node faults, one after the other on one disposable node (started again when a fault left it down). */
async function runOnDisposableBroker(onBroker: Exclude<Scenario, 'cluster'>[], attempt: Attempt): Promise<void> {
  const broker = await DisposableBroker.start({ name: 'bench-recovery' });
  const ensureUp = async () => {
    if (!broker.isRunning()) await broker.startAgain();
  };
  try {
    for (const scenario of onBroker) {
      await ensureUp();
      await runBrokerScenario(scenario, broker, attempt);
    }
  } finally {
    await broker.remove();
  }
}

async function runBrokerScenario(scenario: Exclude<Scenario, 'cluster'>, broker: DisposableBroker, attempt: Attempt): Promise<void> {
  switch (scenario) {
    case 'stop':
      await attempt('broker stopped, started again', () =>
        runScenario('broker stopped, started again', { slug: 'stop', amqpUrl: broker.url }, brokerStopStart(broker, STOP_DOWN_MS)),
      );
      break;
    case 'close':
      await attempt('close_all_connections × 10', () =>
        runScenario(
          'close_all_connections × 10',
          { slug: 'close', amqpUrl: broker.url, afterMs: 2_000, env: { MAILER_DELAY_MS: '100' } },
          closeAllConnections(broker, 10),
        ),
      );
      break;
    case 'kill':
      await attempt('broker SIGKILLed, restarted', () =>
        runScenario('broker SIGKILLed, restarted', { slug: 'kill', amqpUrl: broker.url }, brokerKill(broker)),
      );
      break;
    case 'freeze': {
      const proxy = await TcpProxy.start({ port: broker.port });
      const fault = 'traffic frozen (TCP proxy), then flowing again';
      try {
        await attempt(fault, () => runScenario(fault, { slug: 'freeze', amqpUrl: proxy.url() }, proxyFreeze(proxy)));
      } finally {
        await proxy.close();
      }
      break;
    }
    case 'freeze-2nd': {
      // Two proxies to the same node; the one the consumer uses freezes for good.
      const proxies = [await TcpProxy.start({ port: broker.port }), await TcpProxy.start({ port: broker.port })];
      const fault = 'traffic frozen for good, next URL in AMQP_URL';
      try {
        await attempt(fault, () =>
          runScenario(fault, { slug: 'freeze-2nd', amqpUrl: proxies.map((p) => p.url()).join(',') }, proxyFreeze(proxies, { thaw: false })),
        );
      } finally {
        await Promise.all(proxies.map((p) => p.close()));
      }
      break;
    }
    case 'service-kill':
      await attempt('service SIGKILLed mid-processing, restarted', () =>
        runScenario(
          'service SIGKILLed mid-processing, restarted',
          { slug: 'svc-kill', amqpUrl: broker.url, env: { MAILER_DELAY_MS: '500' }, warmupMs: 4_000 },
          serviceKill(),
        ),
      );
      break;
  }
}

/** scripts/cluster.sh up, the node the service is on SIGKILLed, down again whatever happened. */
async function runOnCluster(attempt: Attempt, failures: Failure[]): Promise<void> {
  try {
    console.error('[recovery] scripts/cluster.sh up …');
    clusterStarted = true;
    const amqpUrl = await clusterUp(180_000);
    await attempt('cluster: SIGKILL of the node the service is on', () =>
      runScenario('cluster: SIGKILL of the node the service is on', { slug: 'cluster', amqpUrl }, clusterNodeKill()),
    );
  } catch (error) {
    failures.push({ fault: 'cluster', error: (error as Error).message.split('\n')[0] });
  } finally {
    await clusterDown(90_000).catch((error: Error) => console.error(`[recovery] cluster down failed: ${error.message}`));
    clusterStarted = false;
  }
}

/** Prints the table and writes bench/results/recovery.md and recovery.json. */
function writeRecoveryResults(results: ScenarioResult[], failures: Failure[], started: number): void {
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  const table = resultsTable(results);
  const failed = failures.map((f) => `- **${f.fault} failed**: ${f.error}`).join('\n');
  const markdown = [
    `## Recovery under faults (issue 5)`,
    '',
    `${LOAD_RATE} POST /users per second on the real service; disposable RabbitMQ nodes; ${new Date().toISOString()}; ${minutes} min.`,
    '"back → first ack": from the broker being back (startAgain done, connections closed, proxy thawed, node or service killed) to the first message handled after it.',
    '',
    table,
    ...(failed ? ['', failed] : []),
    '',
  ].join('\n');
  console.log(markdown);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, 'recovery.md'), markdown);
  writeFileSync(
    join(RESULTS_DIR, 'recovery.json'),
    JSON.stringify(
      { at: new Date().toISOString(), loadRate: LOAD_RATE, results: results.map((result) => ({ ...result, logTail: undefined })), failures },
      null,
      2,
    ),
  );
}

let clusterStarted = false;
let interrupted = false;
process.on('SIGINT', () => {
  if (interrupted || !clusterStarted) process.exit(130); // disposable nodes die with this process (exit hook)
  interrupted = true;
  console.error('[recovery] interrupted: stopping the cluster');
  void clusterDown(60_000)
    .catch(() => undefined)
    .finally(() => process.exit(130));
});

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
