import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { canStartDisposableBroker, DisposableBroker, disposableBrokerUnavailableReason } from '../support/disposable-broker.js';
import {
  brokerKill,
  brokerStopStart,
  closeAllConnections,
  proxyFreeze,
  resultsTable,
  runScenario,
  type ScenarioResult,
  serviceKill,
  summary,
} from '../support/recovery-scenarios.js';
import { freePort } from '../support/free-port.js';
import { ServiceProcess } from '../support/service-process.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { waitFor } from '../support/wait-for.js';

/**
 * Issue 5, "Prove": the real service (node dist/main.js) under ~50 POST /users per second while
 * its broker — a disposable node this file starts and removes, never the shared one — is
 * stopped, disconnected, SIGKILLed or cut off by a frozen TCP proxy, and while the service
 * itself is SIGKILLed. Every 202 must end up as a `mail to` line: 0 lost. Duplicates are allowed
 * (at-least-once) and counted. The table of all results is printed at the end.
 */
const HEARTBEAT_SECONDS = 10; // the library's default heartbeatSeconds (not an env var)
const SCENARIO_TIMEOUT_MS = 240_000;
/** How long the long-outage scenario keeps the broker stopped once both connections noticed (stop and boot add ~20 s). */
const LONG_OUTAGE_MS = 40_000;

const reason = disposableBrokerUnavailableReason();
if (reason) {
  // eslint-disable-next-line no-console -- a report the test prints on purpose
  console.warn(`skipping recovery e2e: ${reason}`);
}

function expectNothingLost(result: ScenarioResult): void {
  if (result.lost > 0) {
    // eslint-disable-next-line no-console -- a report the test prints on purpose
    console.log(`${summary(result)}\n${result.logTail}`);
  }
  expect({ lost: result.lost, lostSample: result.lostSample }).toEqual({ lost: 0, lostSample: [] });
  // The load really ran through the fault: a few hundred events accepted.
  expect(result.accepted).toBeGreaterThan(100);
  expect(result.processed).toBeGreaterThanOrEqual(result.accepted);
}

(canStartDisposableBroker() ? describe : describe.skip)('recovery under load: broker faults lose nothing (disposable node)', () => {
  let broker: DisposableBroker | undefined;
  const results: ScenarioResult[] = [];
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    broker = await DisposableBroker.start({ name: 'recovery' });
  }, 90_000);

  // A scenario that failed half-way must not leave the next one without a broker.
  beforeEach(async () => {
    if (broker && !broker.isRunning()) {
      await broker.startAgain();
    }
  }, 90_000);

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  afterAll(async () => {
    if (results.length > 0) {
      // eslint-disable-next-line no-console -- a report the test prints on purpose
      console.log(`recovery results (${results.length} faults)\n${resultsTable(results)}`);
    }
    await broker?.remove();
  }, 90_000);

  function record(result: ScenarioResult): ScenarioResult {
    results.push(result);
    // eslint-disable-next-line no-console -- a report the test prints on purpose
    console.log(summary(result));
    return result;
  }

  it(
    'broker stopped and started again mid-load: 503 while away, then every accepted event processed',
    async () => {
      const result = record(await runScenario('broker stopped, started again', { slug: 'stop', amqpUrl: broker!.url }, brokerStopStart(broker!)));
      expectNothingLost(result);
      expect(result.unavailable).toBeGreaterThan(0); // the outage was seen, and answered honestly
      expect(result.recoveryMs[0]).toBeLessThan(5_000); // RECONNECT_MAX_MS (1 s) + consumer set-up + slack
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'broker stopped for a long outage (~1 min): publishing back within 2 s of its return, at most 2 connection attempts a second per connection',
    async () => {
      const result = record(
        await runScenario(
          'broker stopped ~1 min, started again',
          { slug: 'stop-long', amqpUrl: broker!.url },
          brokerStopStart(broker!, LONG_OUTAGE_MS),
        ),
      );
      expectNothingLost(result);
      // Before (backoff up to 30 s, full jitter): 503s for up to 30 s with a healthy broker.
      expect(result.firstAcceptedMs).toBeLessThanOrEqual(2_000);
      const { awayMs, failedAttempts } = result.extra as { awayMs: number; failedAttempts: Record<'publisher' | 'consumer', number> };
      // Kept trying all along (not 5 attempts in a minute), but never a storm: 2 per second at most.
      for (const failed of Object.values(failedAttempts)) {
        expect(failed).toBeGreaterThanOrEqual(Math.floor(awayMs / 2_000));
        expect(failed).toBeLessThanOrEqual(2 * Math.ceil(awayMs / 1_000) + 2);
      }
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'rabbitmqctl close_all_connections ten times under load: reconnects each time, no stale ack on the new channel, nothing lost',
    async () => {
      const result = record(
        await runScenario(
          'close_all_connections × 10',
          // A slow mailer keeps handlers running across each close: they finish on the new channel.
          { slug: 'close', amqpUrl: broker!.url, afterMs: 2_000, env: { MAILER_DELAY_MS: '100' } },
          closeAllConnections(broker!, 10),
        ),
      );
      expectNothingLost(result);
      expect(result.recoveryMs).toHaveLength(10);
      // One disconnect per round and role: no handler acked a stale delivery tag on a new channel.
      expect(result.extra).toEqual({ consumerDisconnects: 10, publisherDisconnects: 10, staleAckErrors: 0 });
      // The backoff starts over once every channel is set up again after a reconnect: base 500 ms, so each round is quick.
      expect(Math.max(...result.recoveryMs)).toBeLessThan(10_000);
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'broker SIGKILLed and restarted: confirmed events survive in the quorum queue, nothing lost',
    async () => {
      const result = record(await runScenario('broker SIGKILLed, restarted', { slug: 'kill', amqpUrl: broker!.url }, brokerKill(broker!)));
      expectNothingLost(result);
      expect(result.recoveryMs[0]).toBeLessThan(40_000);
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    `traffic frozen by a TCP proxy: both dead connections detected by heartbeats (${HEARTBEAT_SECONDS} s) within 2 intervals, reconnect, nothing lost`,
    async () => {
      const proxy = await TcpProxy.start({ port: broker!.port });
      cleanups.push(() => proxy.close());
      const result = record(
        await runScenario('traffic frozen (TCP proxy), then flowing again', { slug: 'freeze', amqpUrl: proxy.url() }, proxyFreeze(proxy)),
      );
      expectNothingLost(result);
      // Both connections go through the proxy. amqplib checks for received bytes once per
      // negotiated interval (half of heartbeatSeconds) and gives up after two silent checks in a
      // row: within 2 × heartbeatSeconds of the freeze (before: the full value, 26.8 s for 10 s).
      const bound = 2 * HEARTBEAT_SECONDS * 1000 + 1_000;
      expect(result.detectionMs).toEqual({ publisher: expect.any(Number), consumer: expect.any(Number) });
      expect(result.detectionMs!.publisher).toBeLessThanOrEqual(bound);
      expect(result.detectionMs!.consumer).toBeLessThanOrEqual(bound);
      expect(result.recoveryMs[0]).toBeLessThan(10_000);
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'the service SIGKILLed mid-processing and restarted: in-flight messages redelivered, nothing lost',
    async () => {
      const result = record(
        await runScenario(
          'service SIGKILLed mid-processing, restarted',
          { slug: 'svc-kill', amqpUrl: broker!.url, env: { MAILER_DELAY_MS: '500' }, warmupMs: 4_000 },
          serviceKill(),
        ),
      );
      expectNothingLost(result);
      // Messages were in flight at the kill; their mail may have been logged before the ack.
      expect(result.notes[0]).toMatch(/^[1-9]\d* accepted but not yet mailed/);
    },
    SCENARIO_TIMEOUT_MS,
  );

  it('a node that accepts TCP but never answers the AMQP handshake does not stall the service: it moves on to the next URL', async () => {
    const hole = await TcpProxy.blackHole();
    const port = await freePort();
    // eslint-disable-next-line prefer-const -- assigned after the cleanup that reads it is registered
    let service: ServiceProcess | undefined;
    cleanups.push(async () => {
      await service?.stop();
      await hole.close();
    });
    const name = `rec-blackhole-${port}`;
    const startedAt = Date.now();
    service = await ServiceProcess.startListening(
      { AMQP_URL: `${hole.url()},${broker!.url}`, PORT: port, SERVICE_NAME: name, EVENTS_EXCHANGE: `${name}.events` },
      30_000,
    );
    const onSecondUrl = `connected to amqp://guest:***@127.0.0.1:${broker!.port}`;
    await waitFor('both connections to give up on the black hole and connect to the second URL', () => service.linesWith(onSecondUrl).length >= 2, {
      timeoutMs: 45_000,
      intervalMs: 100,
    });
    const connectedAfterMs = Date.now() - startedAt;
    // Readiness is polled only once the consumers had time to declare their queues: a probe
    // racing the very first declaration closes the consumer connection (see the report on
    // QueueDepthReader), which is a different bug from the one this test is about.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await waitFor('the service to be ready', () => service.isReady(port), { timeoutMs: 20_000, intervalMs: 500 });
    expect(hole.stats.accepted).toBeGreaterThanOrEqual(2); // both connections did try the black hole first
    expect(service.linesWith(`could not connect to amqp://guest:***@127.0.0.1:${hole.port}`).join('\n')).toContain('connect ETIMEDOUT');
    // eslint-disable-next-line no-console -- a report the test prints on purpose
    console.log(`black-holed first URL: both connections on the second URL after ${connectedAfterMs} ms`);
  }, 90_000);
});
