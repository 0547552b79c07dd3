import { afterAll, describe, expect, it } from '@jest/globals';
import amqp from 'amqplib';
import pg from 'pg';
import { canStartDisposableBroker, DisposableBroker } from '../support/disposable-broker.js';
import { freePort } from '../support/free-port.js';
import { ServiceProcess } from '../support/service-process.js';
import { TestDatabase } from '../support/test-database.js';
import { waitFor } from '../support/wait-for.js';

/**
 * Issue 23: the demo service (`node dist/main.js`) on a disposable RabbitMQ node that is stopped
 * for 30 s while 1,000 orders arrive over 10 connections. Every POST is answered 202 (the order
 * and its event are committed in PostgreSQL); after the broker returns every order.created is
 * delivered, the stock is reserved once per order and inventory.reserved is emitted once per order.
 */
const ORDERS = 1_000;
const CONNECTIONS = 10;
const OUTAGE_MS = 30_000;
const SKU = 'sku-outage';

(canStartDisposableBroker() ? describe : describe.skip)('orders accepted while the broker is down, applied once (disposable node)', () => {
  let broker: DisposableBroker | undefined;
  let database: TestDatabase | undefined;
  let pool: pg.Pool | undefined;
  let service: ServiceProcess | undefined;
  let connection: amqp.ChannelModel | undefined;

  afterAll(async () => {
    await connection?.close().catch(() => undefined);
    await service?.stop();
    await pool?.end();
    await database?.drop();
    await broker?.remove();
  }, 90_000);

  it(`answers ${ORDERS} POSTs 202 during a ${OUTAGE_MS / 1000} s outage; afterwards 0 lost, stock reserved once, inventory.reserved once per order`, async () => {
    broker = await DisposableBroker.start({ name: 'outbox-outage' });
    database = await TestDatabase.create();
    pool = database.pool(2);
    const port = await freePort();
    service = await ServiceProcess.start({ AMQP_URL: broker.url, PORT: port, SERVICE_NAME: 'outage', DATABASE_URL: database.url }, 60_000);

    // A durable observer of both events (persistent messages survive the broker's restart).
    const observe = async () => {
      connection = await amqp.connect(broker!.url);
      const channel = await connection.createChannel();
      await channel.assertQueue('outage.observer', { durable: true });
      await channel.bindQueue('outage.observer', 'warren.events', 'order.created');
      await channel.bindQueue('outage.observer', 'warren.events', 'inventory.reserved');
      return channel;
    };
    await (await observe()).close();
    await connection!.close();

    await broker.stop();
    const stoppedAt = Date.now();
    const statuses = new Map<number, number>();
    const orderIds: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (next < ORDERS) {
          next += 1;
          const response = await fetch(`http://127.0.0.1:${port}/orders`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ customerId: 'c-outage', items: [{ sku: SKU, quantity: 1 }] }),
          });
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          if (response.status === 202) orderIds.push(((await response.json()) as { orderId: string }).orderId);
          else await response.text();
        }
      }),
    );
    const acceptedInMs = Date.now() - stoppedAt;
    expect(Object.fromEntries(statuses)).toEqual({ 202: ORDERS });
    const ready = await fetch(`http://127.0.0.1:${port}/health/ready`);
    expect(ready.status).toBe(200); // still accepting: the outbox holds the events
    const pending = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM warren_outbox');
    expect(pending.rows[0].n).toBe(ORDERS);

    // The rest of the 30 s outage (the load itself took part of it), then the broker returns.
    await waitFor('the end of the outage', () => Date.now() - stoppedAt >= OUTAGE_MS, { timeoutMs: OUTAGE_MS + 1_000, intervalMs: 250 });
    await broker.startAgain();
    const back = Date.now();

    await waitFor(
      'every order reserved and the outbox drained',
      async () => {
        const { rows } = await pool!.query<{ reservations: number; outbox: number }>(
          'SELECT (SELECT count(*)::int FROM inventory_reservations) AS reservations, (SELECT count(*)::int FROM warren_outbox) AS outbox',
        );
        return rows[0].reservations === ORDERS && rows[0].outbox === 0;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    const drainedInMs = Date.now() - back;

    const stock = await pool.query<{ available: number }>('SELECT available FROM inventory_stock WHERE sku = $1', [SKU]);
    expect(stock.rows).toEqual([{ available: 0 }]); // 1,000 units, 1,000 orders of 1: each reserved exactly once
    const rejected = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM inventory_reservations WHERE NOT reserved');
    expect(rejected.rows[0].n).toBe(0);

    const channel = await observe();
    const seen = { 'order.created': new Map<string, number>(), 'inventory.reserved': new Map<string, number>() };
    await channel.consume('outage.observer', (message) => {
      if (!message) return;
      const counts = seen[message.fields.routingKey as keyof typeof seen];
      const { orderId } = JSON.parse(message.content.toString()) as { orderId: string };
      counts.set(orderId, (counts.get(orderId) ?? 0) + 1);
      channel.ack(message);
    });
    await waitFor('every event at the observer', () => seen['order.created'].size === ORDERS && seen['inventory.reserved'].size === ORDERS, {
      timeoutMs: 30_000,
    });
    const duplicates = [...seen['order.created'].values(), ...seen['inventory.reserved'].values()].filter((count) => count > 1).length;
    const missing = orderIds.filter((id) => !seen['order.created'].has(id) || !seen['inventory.reserved'].has(id));
    process.stdout.write(
      `${ORDERS} orders during a ${OUTAGE_MS / 1000} s outage at ${CONNECTIONS} connections: ${statuses.get(202)} × 202 in ${acceptedInMs} ms; ` +
        `drained ${drainedInMs} ms after the broker returned; lost ${missing.length}; events delivered twice ${duplicates}\n`,
    );
    expect(missing).toEqual([]);
    expect(duplicates).toBe(0);
  }, 300_000);
});
