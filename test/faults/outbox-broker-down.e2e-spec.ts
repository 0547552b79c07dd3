import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import type pg from 'pg';
import { Outbox } from '../../src/rabbitmq/index.js';
import { RabbitMetrics } from '../../src/rabbitmq/admin.js';
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
  console.warn(`skipping outbox-broker-down e2e: ${unavailable}`);
}

const EVENTS = 200;

describeWithBroker('outbox while the broker is down (disposable node)', () => {
  let broker: DisposableBroker;
  let database: TestDatabase;
  let pool: pg.Pool;
  let app: INestApplication;
  const names = uniqueNames('outbox-down');

  beforeAll(async () => {
    broker = await DisposableBroker.start({ name: 'outbox-down' });
    database = await TestDatabase.create();
    pool = database.pool();
    app = await startOutboxApp(names, pool, { retryBaseMs: 10, maxAttempts: 2 }, broker.url);
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await pool?.end();
    await database?.drop();
    await broker?.remove();
  }, 90_000);

  it('accepts events while the broker is stopped, spends no attempts, and publishes them all once it is back', async () => {
    const outbox = app.get(Outbox);
    const queue = `${names.serviceName}.observer`;
    // Bound before the stop (durable): every row is routable the moment the node is back.
    const before = await BrokerProbe.open(broker.url);
    await before.channel.assertExchange(names.exchange, 'topic', { durable: true });
    await before.channel.assertQueue(queue, { durable: true });
    await before.channel.bindQueue(queue, names.exchange, 'order.#');
    await before.close();
    await broker.stop();
    for (let n = 0; n < EVENTS; n += 1) {
      await outbox.transaction((tx) => outbox.publish(tx, 'order.created', { n }, { key: `k${n % 7}` }));
    }
    // maxAttempts is 2: one attempt spent per failed publish would bury rows within a second.
    await holdsFor(
      'every row pending, none attempted',
      async () => {
        const { rows } = await pool.query<{ n: string; attempted: string }>(
          'SELECT count(*) AS n, count(*) FILTER (WHERE attempts > 0) AS attempted FROM warren_outbox',
        );
        return rows[0].n === String(EVENTS) && rows[0].attempted === '0';
      },
      { durationMs: 3_000 },
    );

    await broker.startAgain();
    const probe = await BrokerProbe.open(broker.url);
    try {
      const deliveries = await collectDeliveries(probe.channel, names.exchange, queue, 'order.#');
      await waitFor('an empty outbox', async () => (await pool.query('SELECT 1 FROM warren_outbox')).rowCount === 0, { timeoutMs: 60_000 });
      await waitFor(`${EVENTS} deliveries`, () => deliveries.length >= EVENTS, { timeoutMs: 10_000 });
      expect(new Set(deliveries.map((d) => (d.body as { n: number }).n)).size).toBe(EVENTS);
    } finally {
      await probe.close();
    }
    expect((await pool.query('SELECT 1 FROM warren_outbox_dead')).rowCount).toBe(0);
    const dead = (await app.get(RabbitMetrics).registry.getSingleMetric('warren_outbox_dead_total')!.get()).values[0]?.value ?? 0;
    expect(dead).toBe(0);
  }, 120_000);
});
