import { afterAll, describe, expect, it } from '@jest/globals';
import { BrokerProbe, SHARED_AMQP_URL, uniqueNames } from './support/broker.js';
import { removeTopology, serviceQueues } from './support/demo-app.js';
import { ServiceProcess } from './support/service-process.js';
import { waitFor } from './support/wait-for.js';
import { freePort } from './support/free-port.js';

const TOTAL = 200;
const PREFETCH = 50;

/**
 * The real service process with a slow mailer (each welcome mail takes MAILER_DELAY_MS), a
 * backlog of user.registered events, and a prefetch of 50: at any moment 50 are in flight.
 */
async function serviceWithBacklog(prefix: string, env: Record<string, string>, cleanups: (() => Promise<void>)[]) {
  const names = uniqueNames(prefix);
  const queue = `${names.serviceName}.notifications.user-registered`;
  const baseEnv = {
    AMQP_URL: SHARED_AMQP_URL,
    SERVICE_NAME: names.serviceName,
    EVENTS_EXCHANGE: names.exchange,
    PORT: await freePort(),
    PREFETCH: String(PREFETCH),
    // Room for the demo's 5 queues × 50 × 256 KiB and its 8 partition queues × 1 (notifications.inventory-result is
    // ordered by key), so the byte budget does not lower the prefetch of 50.
    MAX_IN_FLIGHT_BYTES: String((5 * PREFETCH + 8) * 256 * 1024),
  };
  const broker = await BrokerProbe.open();
  const services: ServiceProcess[] = [];
  cleanups.push(async () => {
    await Promise.all(services.map((s) => s.stop()));
    await broker.close();
    await removeTopology(names.exchange, await serviceQueues(names));
  });
  const service = await ServiceProcess.start({ ...baseEnv, ...env });
  services.push(service);
  for (let i = 0; i < TOTAL; i++) {
    broker.publish(names.exchange, 'user.registered', JSON.stringify({ userId: `u-${i}`, email: `u-${i}@example.com`, name: 'N' }), {
      persistent: true,
    });
  }
  // Ready is exact (passive declare): TOTAL - 50 means 50 are delivered and in flight.
  await waitFor('50 messages in flight', async () => (await broker.ready(queue)) === TOTAL - PREFETCH);
  const restart = async (extra: Record<string, string>) => {
    const again = await ServiceProcess.start({ ...baseEnv, ...extra });
    services.push(again);
    return again;
  };
  return { names, queue, service, broker, restart };
}

function mailedIds(...services: ServiceProcess[]): Set<string> {
  const ids = services.flatMap((s) => s.linesWith('mail to ').map((line) => /mail to (u-\d+)@/.exec(line)?.[1]));
  return new Set(ids.filter((id): id is string => !!id));
}

// The four services run side by side (each with names of its own): most of each test is waiting for slow mails.
describe('graceful shutdown and crashes of the service process lose nothing', () => {
  const cleanups: (() => Promise<void>)[] = [];

  afterAll(async () => {
    await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
  });

  it.concurrent('SIGTERM with 50 messages in flight: exit 0, unfinished ones requeued, none lost', async () => {
    const run = await serviceWithBacklog('sigterm', { MAILER_DELAY_MS: '1500', SHUTDOWN_GRACE_MS: '500' }, cleanups);
    run.service.signal('SIGTERM');
    const { code } = await run.service.exit();
    expect(code).toBe(0);
    expect(run.service.logs).toContain('still in flight after 500 ms: requeued');
    const processed = mailedIds(run.service).size;
    const ready = await run.broker.ready(run.queue);
    // Nothing acked without being processed, nothing processed twice in this run.
    expect(ready + processed).toBe(TOTAL);
    expect(ready).toBeGreaterThanOrEqual(TOTAL - PREFETCH);
  });

  it.concurrent('SIGTERM with a grace period long enough: in-flight handlers finish and are acked before exit', async () => {
    const run = await serviceWithBacklog('sigterm-grace', { MAILER_DELAY_MS: '1000', SHUTDOWN_GRACE_MS: '10000' }, cleanups);
    run.service.signal('SIGTERM');
    const { code } = await run.service.exit();
    expect(code).toBe(0);
    const readyAfter = await run.broker.ready(run.queue);
    // Every in-flight handler finished before exit...
    expect(mailedIds(run.service).size).toBe(PREFETCH);
    // ...and acked: none of them comes back. Acks are coalesced so that a quorum queue does
    // not drop the burst of acks sent just before the channel closes (rabbitmq-server#10327).
    expect(readyAfter).toBe(TOTAL - PREFETCH);
  });

  it.concurrent('a second SIGTERM exits at once, without waiting for the grace period', async () => {
    const run = await serviceWithBacklog('sigterm-twice', { MAILER_DELAY_MS: '60000', SHUTDOWN_GRACE_MS: '60000' }, cleanups);
    run.service.signal('SIGTERM');
    await waitFor('the first signal to be acknowledged', () => run.service.logs.includes('SIGTERM received: draining'));
    const secondAt = Date.now();
    run.service.signal('SIGTERM');
    const { code } = await run.service.exit(10_000);
    expect(Date.now() - secondAt).toBeLessThan(5_000);
    expect(code).toBe(143);
    // Killed mid-drain: the broker requeues every unacked message; still nothing lost.
    await waitFor('all messages back in the queue', async () => (await run.broker.ready(run.queue)) === TOTAL);
  });

  it.concurrent('SIGKILL mid-processing: the broker redelivers, a restarted service processes every message', async () => {
    const run = await serviceWithBacklog('sigkill', { MAILER_DELAY_MS: '1000' }, cleanups);
    run.service.signal('SIGKILL');
    await run.service.exit();
    const firstRun = mailedIds(run.service);
    await waitFor('unacked messages back in the queue', async () => (await run.broker.ready(run.queue)) === TOTAL - firstRun.size);

    const restarted = await run.restart({ MAILER_DELAY_MS: '0' });
    await waitFor('the backlog drained', async () => (await run.broker.ready(run.queue)) === 0 && mailedIds(run.service, restarted).size === TOTAL, {
      timeoutMs: 30_000,
    });
    expect(mailedIds(run.service, restarted).size).toBe(TOTAL);
  });
});
