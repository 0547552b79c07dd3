import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { uniqueNames } from '../support/broker.js';
import { canStartDisposableBroker, DisposableBroker, disposableBrokerUnavailableReason } from '../support/disposable-broker.js';
import { freePort } from '../support/free-port.js';
import { LogWatch } from '../support/service-log-watch.js';
import { ServiceProcess } from '../support/service-process.js';
import { waitFor } from '../support/wait-for.js';

/**
 * Issue 21, point 7: broker SIGSTOPped, no traffic — `/health/ready` said 200 for about 30 s, until
 * the heartbeat timed out (a depth read that timed out counted as healthy), and the dead
 * connections were found 2-3 heartbeats after the freeze. Now readiness goes down after two depth
 * reads in a row time out, and both connections are found dead within two heartbeats.
 * The real service (node dist/main.js: `npm run build` first) on a disposable node.
 */
const HEARTBEAT_SECONDS = 10; // the library's default heartbeatSeconds
/** A probe a second, as a kubelet with periodSeconds 1 would send. */
const PROBE_INTERVAL_MS = 1_000;

interface Ready {
  status: number;
  reasons: string[];
}

async function readiness(port: string): Promise<Ready> {
  const response = await fetch(`http://127.0.0.1:${port}/health/ready`, { signal: AbortSignal.timeout(5_000) });
  const body = (await response.json()) as { details?: { rabbitmq?: { reasons?: string[] } } };
  return { status: response.status, reasons: body.details?.rabbitmq?.reasons ?? [] };
}

const reason = disposableBrokerUnavailableReason();
if (reason) {
  // eslint-disable-next-line no-console
  console.warn(`skipping idle frozen broker e2e: ${reason}`);
}

(canStartDisposableBroker() ? describe : describe.skip)('an idle service sees a frozen broker (disposable node)', () => {
  let broker: DisposableBroker | undefined;
  let service: ServiceProcess | undefined;
  const names = uniqueNames('idle-freeze');

  beforeAll(async () => {
    broker = await DisposableBroker.start({ name: 'idle-freeze' });
  }, 90_000);

  afterAll(async () => {
    await broker?.thaw();
    await service?.stop();
    await broker?.remove(); // its queues go with it
  }, 90_000);

  it('SIGSTOP, no traffic: readiness 503 after two depth reads time out, both connections found dead within two heartbeats, ready again after SIGCONT', async () => {
    const port = await freePort();
    service = await ServiceProcess.start({
      AMQP_URL: broker!.url,
      PORT: port,
      SERVICE_NAME: names.serviceName,
      EVENTS_EXCHANGE: names.exchange,
    });
    const watch = new LogWatch();
    watch.attach(service);
    await waitFor('the idle service ready', async () => (await readiness(port)).status === 200, { timeoutMs: 30_000, intervalMs: 250 });

    await broker!.freeze();
    const frozenAt = Date.now();
    const down = await waitFor(
      'readiness down naming the silent broker',
      async () => {
        const ready = await readiness(port);
        return ready.status === 503 && ready.reasons.some((text) => text.startsWith('broker not answering')) ? ready : undefined;
      },
      { timeoutMs: 15_000, intervalMs: PROBE_INTERVAL_MS },
    );
    const downMs = Date.now() - frozenAt;
    const [publisher, consumer] = await Promise.all([
      watch.next('disconnected', frozenAt, 40_000, 'publisher'),
      watch.next('disconnected', frozenAt, 40_000, 'consumer'),
    ]);
    const detection = { publisher: publisher.at - frozenAt, consumer: consumer.at - frozenAt };
    // eslint-disable-next-line no-console
    console.log(
      `idle service, broker SIGSTOPped: readiness 503 after ${downMs} ms (${down.reasons.join('; ')}); dead connections found after ${JSON.stringify(detection)} ms`,
    );
    // A depth read cached before the freeze (2 s), then two probes that each wait the 1 s
    // depth-read deadline, a probe a second. Before: 200 for ~30 s, until the heartbeat expired.
    expect(downMs).toBeLessThan(8_000);
    // Before: 2-3 heartbeats (26.8 s measured for 10 s).
    expect(detection.publisher).toBeLessThanOrEqual(2 * HEARTBEAT_SECONDS * 1_000 + 1_000);
    expect(detection.consumer).toBeLessThanOrEqual(2 * HEARTBEAT_SECONDS * 1_000 + 1_000);

    await broker!.thaw();
    await waitFor('ready again after SIGCONT', async () => (await readiness(port)).status === 200, { timeoutMs: 40_000, intervalMs: 500 });
  }, 120_000);
});
