import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type pg from 'pg';
import { AppDatabase } from '../src/database/app-database.js';
import { INITIAL_UNITS_PER_SKU } from '../src/inventory/stock-ledger.js';
import { BrokerProbe } from './support/broker.js';
import { type DemoApp, startDemoApp } from './support/demo-app.js';
import { collectDeliveries } from './support/outbox-app.js';
import { waitFor } from './support/wait-for.js';

const order = (sku: string) => ({ customerId: 'c-1', items: [{ sku, quantity: 2 }] });

/** A row the relay leaves alone (leased by a replica that is not running), as old as `ageSeconds`. */
async function insertStuckOutboxRow(pool: pg.Pool, ageSeconds: number): Promise<string> {
  const messageId = randomUUID();
  await pool.query(
    `INSERT INTO warren_outbox (message_id, exchange, routing_key, body, properties, created_at, lease_owner, lease_until)
     VALUES ($1, 'nowhere', 'order.created', '\\x7b7d', '{}', now() - $2 * interval '1 second', 'a replica that crashed', now() + interval '1 hour')`,
    [messageId, ageSeconds],
  );
  return messageId;
}

describe('orders in PostgreSQL, their events through the outbox', () => {
  let demo: DemoApp;
  let pool: pg.Pool;
  let probe: BrokerProbe;
  let reserved: { messageId: string; body: unknown }[];

  beforeAll(async () => {
    demo = await startDemoApp('orders-db', { OUTBOX_MAX_PENDING_AGE_MS: '60000' });
    pool = demo.app.get(AppDatabase).pool;
    probe = await BrokerProbe.open();
    reserved = await collectDeliveries(
      probe.channel,
      demo.config.rabbitmq.exchange!,
      `${demo.config.rabbitmq.serviceName}.observer`,
      'inventory.reserved',
    );
  });

  afterAll(async () => {
    await probe.channel.deleteQueue(`${demo.config.rabbitmq.serviceName}.observer`).catch(() => undefined);
    await probe.close();
    await demo.dispose();
  });

  it('POST /orders answers 202 with Location and {orderId, eventId}; GET shows the order, its event published; stock reserved once', async () => {
    const sku = `sku-${randomUUID()}`;
    const created = await request(demo.app.getHttpServer()).post('/orders').send(order(sku)).expect(202);
    const { orderId, eventId } = created.body as { orderId: string; eventId: string };
    expect(created.headers.location).toBe(`/orders/${orderId}`);
    expect(eventId).toMatch(/^[0-9a-f-]{36}$/);

    const published = await waitFor('the order event published', async () => {
      const response = await request(demo.app.getHttpServer()).get(`/orders/${orderId}`).expect(200);
      return (response.body as { eventState: string }).eventState === 'published' && (response.body as Record<string, unknown>);
    });
    expect(published).toMatchObject({ orderId, eventId, customerId: 'c-1', items: [{ sku, quantity: 2 }], eventState: 'published' });

    await waitFor('inventory.reserved for the order', () => reserved.some((event) => (event.body as { orderId: string }).orderId === orderId));
    const { rows } = await pool.query<{ available: number }>('SELECT available FROM inventory_stock WHERE sku = $1', [sku]);
    expect(rows).toEqual([{ available: INITIAL_UNITS_PER_SKU - 2 }]);
    expect(reserved.filter((event) => (event.body as { orderId: string }).orderId === orderId)).toHaveLength(1);
  });

  it('GET /orders/:id says pending while the event is in the outbox and dead once it was given up on', async () => {
    const created = await request(demo.app.getHttpServer()).post('/orders').send(order('sku-state')).expect(202);
    const { orderId } = created.body as { orderId: string };
    // Point the order at an event the relay cannot take (leased elsewhere), then at a dead one.
    const stuck = await insertStuckOutboxRow(pool, 0);
    await pool.query('UPDATE orders SET event_id = $2 WHERE id = $1', [orderId, stuck]);
    const pending = await request(demo.app.getHttpServer()).get(`/orders/${orderId}`).expect(200);
    expect(pending.body).toMatchObject({ orderId, eventId: stuck, eventState: 'pending' });

    await pool.query(
      `WITH moved AS (DELETE FROM warren_outbox WHERE message_id = $1 RETURNING *)
       INSERT INTO warren_outbox_dead (seq, message_id, exchange, routing_key, partition_key, body, properties, created_at, attempts, last_error, reason)
       SELECT seq, message_id, exchange, routing_key, partition_key, body, properties, created_at, attempts, last_error, 'unroutable' FROM moved`,
      [stuck],
    );
    const dead = await request(demo.app.getHttpServer()).get(`/orders/${orderId}`).expect(200);
    expect(dead.body).toMatchObject({ orderId, eventState: 'dead' });
  });

  it('GET /orders/:id answers 404 for an unknown id and 400 for one that is not a UUID', async () => {
    await request(demo.app.getHttpServer()).get(`/orders/${randomUUID()}`).expect(404);
    await request(demo.app.getHttpServer()).get('/orders/not-a-uuid').expect(400);
  });

  it('POST /orders answers 503 with Retry-After above the outbox age watermark, and 202 again once it drained', async () => {
    const stuck = await insertStuckOutboxRow(pool, 120); // older than OUTBOX_MAX_PENDING_AGE_MS (60 s)
    const refused = await waitFor('a 503 above the watermark', async () => {
      const response = await request(demo.app.getHttpServer()).post('/orders').send(order('sku-full'));
      return response.status === 503 ? response : undefined;
    });
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    expect((refused.body as { message: string }).message).toContain('unpublished events');
    const before = await pool.query('SELECT count(*)::int AS n FROM orders');

    await pool.query('DELETE FROM warren_outbox WHERE message_id = $1', [stuck]);
    await waitFor(
      'a 202 below the watermark',
      async () => (await request(demo.app.getHttpServer()).post('/orders').send(order('sku-full'))).status === 202,
    );
    const after = await pool.query('SELECT count(*)::int AS n FROM orders');
    expect((after.rows[0] as { n: number }).n).toBe((before.rows[0] as { n: number }).n + 1); // refused orders were not written
  });

  it('readiness reports the outbox backlog and PostgreSQL', async () => {
    const response = await request(demo.app.getHttpServer()).get('/health/ready').expect(200);
    expect(response.body).toMatchObject({
      details: { database: { status: 'up', outbox: { pending: expect.any(Number), oldestPendingSeconds: expect.any(Number) } } },
    });
  });
});
