import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import type pg from 'pg';
import { Outbox } from '../../src/rabbitmq/index.js';
import { RabbitConnections, RabbitMetrics } from '../../src/rabbitmq/admin.js';
import { BrokerProbe, uniqueNames } from '../support/broker.js';
import { canStartDisposableBroker, DisposableBroker, disposableBrokerUnavailableReason } from '../support/disposable-broker.js';
import { holdsFor } from '../support/holds-for.js';
import { collectDeliveries, startOutboxApp } from '../support/outbox-app.js';
import { TestDatabase } from '../support/test-database.js';
import { waitFor } from '../support/wait-for.js';

const unavailable = disposableBrokerUnavailableReason();
const describeWithBroker = canStartDisposableBroker() ? describe : describe.skip;
if (unavailable) {
  // eslint-disable-next-line no-console
  console.warn(`skipping outbox-broker-alarm e2e: ${unavailable}`);
}

const EVENTS = 100;

/**
 * The relay while the broker BLOCKS publishers (a memory alarm on a disposable node; the
 * connection stays up): it pauses, spends no attempt on any row (maxAttempts 2 and a 10 ms
 * backoff would bury every row within a second if it did), and publishes everything once the
 * alarm clears.
 */
describeWithBroker('outbox while the broker blocks publishers (memory alarm, disposable node)', () => {
  let broker: DisposableBroker;
  let database: TestDatabase;
  let pool: pg.Pool;
  let app: INestApplication;
  let probe: BrokerProbe | undefined;
  const names = uniqueNames('outbox-alarm');

  beforeAll(async () => {
    broker = await DisposableBroker.start({ name: 'outbox-alarm' });
    database = await TestDatabase.create();
    pool = database.pool();
    app = await startOutboxApp(names, pool, { retryBaseMs: 10, maxAttempts: 2 }, broker.url);
  }, 120_000);

  afterAll(async () => {
    await broker?.unblock().catch(() => undefined);
    await probe?.close();
    await app?.close();
    await pool?.end();
    await database?.drop();
    await broker?.remove();
  }, 90_000);

  async function outboxCounts(): Promise<{ pending: number; attempted: number; dead: number }> {
    const { rows } = await pool.query<{ pending: string; attempted: string; dead: string }>(
      `SELECT count(*) AS pending, count(*) FILTER (WHERE attempts > 0) AS attempted, (SELECT count(*) FROM warren_outbox_dead) AS dead FROM warren_outbox`,
    );
    return { pending: Number(rows[0].pending), attempted: Number(rows[0].attempted), dead: Number(rows[0].dead) };
  }

  async function counter(name: string): Promise<number> {
    return (await app.get(RabbitMetrics).registry.getSingleMetric(name)!.get()).values[0]?.value ?? 0;
  }

  it('pauses while blocked, spends no attempts, and publishes every event once the alarm clears', async () => {
    const outbox = app.get(Outbox);
    const queue = `${names.serviceName}.observer`;
    probe = await BrokerProbe.open(broker.url);
    const deliveries = await collectDeliveries(probe.channel, names.exchange, queue, 'order.#');
    // The relay publishes before the alarm: its publisher connection is up and in use.
    await outbox.transaction((tx) => outbox.publish(tx, 'order.created', { n: -1 }));
    await waitFor('the first event delivered', () => deliveries.length === 1, { timeoutMs: 30_000 });

    await broker.blockPublishers();
    for (let n = 0; n < EVENTS; n += 1) {
      await outbox.transaction((tx) => outbox.publish(tx, 'order.created', { n }, { key: `k${n % 5}` }));
    }
    // The relay's first publish under the alarm meets the block; from then on it claims nothing.
    await waitFor('the publisher connection to be reported blocked', () => app.get(RabbitConnections).state('publisher').blocked, {
      timeoutMs: 30_000,
    });
    await holdsFor(
      'every row pending, none attempted, none dead',
      async () => {
        const counts = await outboxCounts();
        return counts.pending === EVENTS && counts.attempted === 0 && counts.dead === 0 && deliveries.length === 1;
      },
      { durationMs: 5_000, intervalMs: 200 },
    );

    await broker.unblock();
    await waitFor('an empty outbox', async () => (await outboxCounts()).pending === 0, { timeoutMs: 60_000 });
    await waitFor(`${EVENTS + 1} deliveries`, () => deliveries.length >= EVENTS + 1, { timeoutMs: 10_000 });
    expect(new Set(deliveries.map((d) => (d.body as { n: number }).n)).size).toBe(EVENTS + 1);
    expect(await outboxCounts()).toEqual({ pending: 0, attempted: 0, dead: 0 });
    expect(await counter('warren_outbox_retried_total')).toBe(0);
    expect(await counter('warren_outbox_dead_total')).toBe(0);
  }, 180_000);
});
