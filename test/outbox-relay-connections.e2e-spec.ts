import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import type pg from 'pg';
import { Outbox } from '../src/rabbitmq/index.js';
import { RELAY_APPLICATION_NAME } from '../src/rabbitmq/outbox/outbox-database.js';
import { BrokerProbe, uniqueNames } from './support/broker.js';
import { removeTopology } from './support/demo-app.js';
import { collectDeliveries, startOutboxApp } from './support/outbox-app.js';
import { TestDatabase } from './support/test-database.js';
import { waitFor } from './support/wait-for.js';

/** The relay's own connections to the test's database. */
const RELAY_BACKENDS = `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = '${RELAY_APPLICATION_NAME}'`;

/**
 * The relay claims and deletes on connections of its own: with every connection of the app's pool
 * checked out by the app's transactions, events are still published (on the shared pool, the
 * claim would wait for one of them), and those connections are closed at shutdown.
 */
describe('outbox relay: connections of its own', () => {
  const names = uniqueNames('outbox-relay-connections');
  const queue = `${names.serviceName}.observer`;
  let database: TestDatabase;
  let appPool: pg.Pool;
  let writer: pg.Pool;
  let probe: BrokerProbe;
  let app: INestApplication;
  let deliveries: { messageId: string; body: unknown }[];

  beforeAll(async () => {
    database = await TestDatabase.create();
    appPool = database.pool(1);
    writer = database.pool(1);
    probe = await BrokerProbe.open();
    deliveries = await collectDeliveries(probe.channel, names.exchange, queue, 'order.#');
    app = await startOutboxApp(names, appPool, { pollMs: 100 });
  });

  afterAll(async () => {
    await app?.close();
    await appPool?.end();
    await writer?.end();
    await probe?.channel.deleteQueue(queue).catch(() => undefined);
    await probe?.close();
    await removeTopology(names.exchange, []);
    await database?.drop();
  });

  it("publishes while the app's transactions hold every connection of its pool", async () => {
    const outbox = app.get(Outbox);
    const held = await appPool.connect();
    try {
      await held.query('BEGIN');
      // Written in a transaction of another pool (a team's own transaction joined), committed; the relay finds it at its next poll.
      const client = await writer.connect();
      let messageId: string;
      try {
        await client.query('BEGIN');
        ({ messageId } = await outbox.publish(client, 'order.created', { orderId: 'o-held' }, { key: 'o-held' }));
        await client.query('COMMIT');
      } finally {
        client.release();
      }
      const delivered = await waitFor('the event published with the app pool exhausted', () => deliveries.find((d) => d.messageId === messageId), {
        timeoutMs: 15_000,
      });
      expect(delivered.body).toEqual({ orderId: 'o-held' });
      expect(appPool.waitingCount).toBe(0);
    } finally {
      await held.query('ROLLBACK');
      held.release();
    }
  });

  it('closes its connections at shutdown and leaves the app its pool', async () => {
    expect((await writer.query<{ n: number }>(RELAY_BACKENDS)).rows[0].n).toBeGreaterThan(0);
    await app.close();
    await waitFor('no relay connection left', async () => (await writer.query<{ n: number }>(RELAY_BACKENDS)).rows[0].n === 0);
    expect(appPool.ended).toBe(false);
  });
});
