import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import request from 'supertest';
import { type DemoApp, startDemoApp } from './support/demo-app.js';
import { freePort } from './support/free-port.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { TestDatabase } from './support/test-database.js';
import { waitFor } from './support/wait-for.js';

const order = { customerId: 'c-late-db', items: [{ sku: 'sku-late-db', quantity: 1 }] };

/**
 * The service started while its PostgreSQL is not there (DATABASE_URL points at a port where
 * nothing listens): it starts, says why it is not ready, refuses orders with a clear 503, and once
 * PostgreSQL appears on that port (a TCP proxy to the shared server, started late) migrates its
 * tables and takes orders, without a restart. The shared server is never touched.
 */
describe('PostgreSQL missing when the service starts', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let port: number;
  let proxy: TcpProxy | undefined;
  let demo: DemoApp;

  beforeAll(async () => {
    database = await TestDatabase.create();
    pool = database.pool(1);
    port = Number(await freePort());
    const url = new URL(database.url);
    url.port = String(port);
    demo = await startDemoApp('db-missing', { DATABASE_URL: url.toString() });
  }, 60_000);

  afterAll(async () => {
    await demo?.dispose();
    await proxy?.close();
    await pool?.end();
    await database?.drop();
  });

  it('starts, readiness down with the reason, POST /orders 503; then migrates and accepts orders once PostgreSQL answers', async () => {
    const http: Parameters<typeof request>[0] = demo.app.getHttpServer();
    await request(http).get('/health/live').expect(200);
    const notReady = await request(http).get('/health/ready');
    expect(notReady.status).toBe(503);
    expect(notReady.body).toMatchObject({
      details: { database: { status: 'down', reasons: [expect.stringMatching(/^PostgreSQL unreachable: .*ECONNREFUSED/)] } },
    });
    const refused = await request(http).post('/orders').send(order);
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    expect(refused.body).toEqual({ statusCode: 503, error: 'Service Unavailable', message: expect.stringContaining('the database is unavailable') });
    expect(JSON.stringify(refused.body)).not.toMatch(/ at |\.ts:|\.js:/);
    // Nothing was created in the database the service could not reach.
    expect((await pool.query("SELECT 1 FROM pg_tables WHERE tablename IN ('orders', 'warren_outbox')")).rowCount).toBe(0);

    proxy = await TcpProxy.start({ port: Number(new URL(database.url).port || 5432) }, port);
    const accepted = await waitFor(
      'an order accepted',
      async () => {
        const response = await request(http).post('/orders').send(order);
        return response.status === 202 ? response : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    await waitFor('readiness up', async () => (await request(http).get('/health/ready')).status === 200, { timeoutMs: 30_000, intervalMs: 250 });
    const migrated = await pool.query<{ demo: string; outbox: string }>(
      'SELECT (SELECT count(*) FROM demo_schema_migrations) AS demo, (SELECT count(*) FROM warren_schema_migrations) AS outbox',
    );
    expect(Number(migrated.rows[0].demo)).toBeGreaterThan(0);
    expect(Number(migrated.rows[0].outbox)).toBeGreaterThan(0);
    // The relay started claiming too: the order's event reaches the broker.
    const location = String(accepted.headers.location);
    await waitFor('the event published', async () => (await request(http).get(location)).body?.eventState === 'published', {
      timeoutMs: 30_000,
      intervalMs: 250,
    });
  }, 120_000);
});
