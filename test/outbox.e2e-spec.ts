import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import type pg from 'pg';
import { Inbox, Outbox, OutboxFullError } from '../src/rabbitmq/index.js';
import { listDeadOutboxRows, OutboxRelay, RabbitMetrics } from '../src/rabbitmq/admin.js';
import { OutboxDatabase } from '../src/rabbitmq/outbox/outbox-database.js';
import { BrokerProbe, uniqueNames } from './support/broker.js';
import { removeTopology } from './support/demo-app.js';
import { collectDeliveries, startOutboxApp } from './support/outbox-app.js';
import { TestDatabase } from './support/test-database.js';
import { waitFor } from './support/wait-for.js';

const names = uniqueNames('outbox');
const queue = `${names.serviceName}.observer`;

describe('transactional outbox on PostgreSQL', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let probe: BrokerProbe;
  let replicas: INestApplication[] = [];
  let deliveries: { messageId: string; body: unknown }[];

  beforeAll(async () => {
    database = await TestDatabase.create();
    pool = database.pool();
    probe = await BrokerProbe.open();
    deliveries = await collectDeliveries(probe.channel, names.exchange, queue, 'order.#');
    // Two replicas relaying one table (the second from a connection string: a pool of its own).
    replicas = [
      await startOutboxApp(names, pool, { retryBaseMs: 20, maxAttempts: 3 }),
      await startOutboxApp(names, database.url, { retryBaseMs: 20, maxAttempts: 3 }),
    ];
  });

  afterAll(async () => {
    await Promise.all(replicas.map((app) => app.close()));
    await pool.end();
    await database.drop();
    await probe.channel.deleteQueue(queue).catch(() => undefined);
    await probe.close();
    await removeTopology(names.exchange, []);
  });

  it('publishes an event written in a committed transaction, with the message id fixed at insert, and nothing of a rolled-back one', async () => {
    const outbox = replicas[0].get(Outbox);
    const { messageId } = await outbox.transaction((tx) => outbox.publish(tx, 'order.created', { orderId: 'o-1' }, { key: 'o-1' }));
    await expect(
      outbox.transaction(async (tx) => {
        await outbox.publish(tx, 'order.created', { orderId: 'rolled-back' });
        throw new Error('the order could not be stored');
      }),
    ).rejects.toThrow('the order could not be stored');

    const delivered = await waitFor('the committed event', () => deliveries.find((d) => d.messageId === messageId));
    expect(delivered.body).toEqual({ orderId: 'o-1' });
    await waitFor('an empty outbox', async () => (await pool.query('SELECT 1 FROM warren_outbox')).rowCount === 0);
    expect(deliveries.some((d) => (d.body as { orderId: string }).orderId === 'rolled-back')).toBe(false);
  });

  it('keeps per-key order over 1,000 events on 10 keys with two relays on one table, and publishes no row twice', async () => {
    deliveries.length = 0;
    const outbox = replicas[0].get(Outbox);
    const client = await pool.connect();
    const started = performance.now();
    try {
      // Committed in 100 transactions of 10 (one event per key each), as concurrent requests would.
      for (let round = 0; round < 100; round += 1) {
        await client.query('BEGIN');
        for (let key = 0; key < 10; key += 1) {
          await outbox.publish(client, 'order.sequenced', { key: `k${key}`, n: round }, { key: `k${key}` });
        }
        await client.query('COMMIT');
      }
    } finally {
      client.release();
    }
    for (const app of replicas) app.get(OutboxRelay).wake();
    await waitFor('1,000 deliveries', () => deliveries.length >= 1_000, { timeoutMs: 60_000 });
    const seconds = (performance.now() - started) / 1000;
    // eslint-disable-next-line no-console -- a report the test prints on purpose
    console.log(
      `outbox: 1,000 events on 10 keys written and relayed by two relays in ${seconds.toFixed(2)} s (${Math.round(1000 / seconds)} events/s)`,
    );

    expect(new Set(deliveries.map((d) => d.messageId)).size).toBe(deliveries.length);
    for (let key = 0; key < 10; key += 1) {
      const sequence = deliveries
        .map((d) => d.body as { key: string; n: number })
        .filter((b) => b.key === `k${key}`)
        .map((b) => b.n);
      expect(sequence).toEqual([...Array(100).keys()]);
    }
    await waitFor('an empty outbox', async () => (await pool.query('SELECT 1 FROM warren_outbox')).rowCount === 0);
  });

  it('retries a row no queue is bound for, then moves it to warren_outbox_dead with its reason', async () => {
    const outbox = replicas[0].get(Outbox);
    const { messageId } = await outbox.transaction((tx) => outbox.publish(tx, 'nobody.listens', { lost: true }));
    const dead = await waitFor(
      'the dead row',
      async () =>
        (await pool.query('SELECT * FROM warren_outbox_dead WHERE message_id = $1', [messageId])).rows[0] as
          { attempts: number; reason: string } | undefined,
    );
    expect(dead.attempts).toBe(3);
    expect(dead.reason).toMatch(/unroutable: no queue is bound for routing key 'nobody.listens'/);
    expect((await pool.query('SELECT 1 FROM warren_outbox WHERE message_id = $1', [messageId])).rowCount).toBe(0);
    const listed = await listDeadOutboxRows(pool);
    expect(listed.total).toBe(1);
    expect(listed.rows[0]).toMatchObject({ messageId, routingKey: 'nobody.listens', attempts: 3, reason: dead.reason });
    const counted = await Promise.all(
      replicas.map(async (app) => (await app.get(RabbitMetrics).registry.getSingleMetric('warren_outbox_dead_total')!.get()).values[0]?.value ?? 0),
    );
    expect(counted.reduce((a, b) => a + b, 0)).toBe(1);
  });

  it('the inbox lets a message id through once per queue, inside the handler transaction', async () => {
    const inbox = replicas[1].get(Inbox);
    const outbox = replicas[1].get(Outbox);
    const claimTwice = () =>
      outbox.transaction(async (tx) => [
        await inbox.claim(tx, { messageId: 'm-1', queue: 'q-a' }),
        await inbox.claim(tx, { messageId: 'm-1', queue: 'q-b' }),
      ]);
    expect(await claimTwice()).toEqual([true, true]);
    expect(await claimTwice()).toEqual([false, false]);
    // Rolled back, the claim goes with the effects: the next delivery runs them.
    await outbox.transaction(async (tx) => inbox.claim(tx, { messageId: 'm-2', queue: 'q-a' }).then(() => tx.query('ROLLBACK')));
    expect(await outbox.transaction((tx) => inbox.claim(tx, { messageId: 'm-2', queue: 'q-a' }))).toBe(true);
  });

  it('prunes inbox rows older than the retention in batches, and keeps the younger ones', async () => {
    await pool.query(
      `INSERT INTO warren_inbox (message_id, queue, processed_at)
       SELECT 'old-' || g, 'q-prune', now() - interval '8 days' FROM generate_series(1, 12000) g
       UNION ALL SELECT 'young-' || g, 'q-prune', now() - interval '6 days' FROM generate_series(1, 10) g`,
    );
    // 12,000 old rows: three batches of at most 5,000.
    expect(await replicas[0].get(Inbox).prune()).toBe(12_000);
    const left = await pool.query<{ message_id: string }>("SELECT message_id FROM warren_inbox WHERE queue = 'q-prune'");
    expect(left.rows.map((row) => row.message_id).sort()).toEqual([...Array(10).keys()].map((n) => `young-${n + 1}`).sort());
  });

  it('refuses with OutboxFullError (a 503 PublishError) once the pending rows pass the high watermark, and writes nothing', async () => {
    const own = await TestDatabase.create();
    // A replica that never relays: its rows pile up as while the broker is away.
    const writer = await startOutboxApp(names, own.url, { relay: false, maxPending: 5 });
    try {
      const outbox = writer.get(Outbox);
      for (let n = 0; n < 6; n += 1) {
        await outbox.transaction((tx) => outbox.publish(tx, 'order.created', { n }));
      }
      // Accepted until the relay's next count (at most a second) sees the backlog over the mark.
      let accepted = 6;
      const refused = await waitFor('a refusal', () =>
        outbox
          .transaction((tx) => outbox.publish(tx, 'order.created', { n: accepted }))
          .then(
            () => void (accepted += 1),
            (error: unknown) => error,
          ),
      );
      expect(refused).toBeInstanceOf(OutboxFullError);
      expect((refused as OutboxFullError).retryAfterSeconds).toBe(5);
      expect((refused as Error).message).toMatch(/holds \d+ unpublished events.*limits: 5 events/);
      const { rows } = await writer.get(OutboxDatabase).get().pool.query<{ n: string }>('SELECT count(*) AS n FROM warren_outbox');
      expect(Number(rows[0].n)).toBe(accepted);
    } finally {
      await writer.close();
      await own.drop();
    }
  });
});
